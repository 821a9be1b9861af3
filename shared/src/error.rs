//! Classifying AWS call failures into what the caller should do about them.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;

/// What a failed AWS call means for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorClass {
    /// Transient (throttling, 5xx, timeouts, dropped connections): a later attempt may succeed.
    Retryable,
    /// The target is already in the state the call asks for, or is busy: not a failure.
    Conflict,
    /// The target does not exist (any more).
    NotFound,
    /// Retrying will not help (validation, access denied, uninitialised account...).
    Fatal,
}

/// Error codes that AWS services use for transient failures.
const RETRYABLE_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalServerException",
    "InternalServerError",
    "InternalFailure",
    "InternalError",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// Error codes that mean "already done" or "busy with it".
const CONFLICT_CODES: &[&str] = &["ConflictException", "ReplicationJobAlreadyExistsException"];

/// Error codes that mean the target does not exist.
const NOT_FOUND_CODES: &[&str] = &[
    "ResourceNotFoundException",
    "NotFoundException",
    "NotFound",
    "ServerCannotBeReplicatedException",
    "ReplicationJobNotFoundException",
];

/// A failed AWS call reduced to what reports and retries need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallFailure {
    /// How the caller should treat it.
    pub class: ErrorClass,
    /// The AWS error code, or the transport failure kind.
    pub code: String,
    /// The message AWS returned, or a description of the transport failure.
    pub message: String,
}

impl std::fmt::Display for CallFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl CallFailure {
    /// Classifies an SDK error by its error code, HTTP status and transport failure kind.
    pub fn from_sdk<E>(err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match err {
            SdkError::ConstructionFailure(_) => Self {
                class: ErrorClass::Fatal,
                code: "RequestConstruction".into(),
                message: source_text(err),
            },
            SdkError::TimeoutError(_) => Self {
                class: ErrorClass::Retryable,
                code: "Timeout".into(),
                message: source_text(err),
            },
            SdkError::DispatchFailure(_) => Self {
                class: ErrorClass::Retryable,
                code: "DispatchFailure".into(),
                message: source_text(err),
            },
            _ => {
                let status = err.raw_response().map(|r| r.status().as_u16());
                let code = err.code().map(str::to_owned);
                let message = err
                    .message()
                    .map(str::to_owned)
                    .unwrap_or_else(|| source_text(err));
                Self {
                    class: classify(code.as_deref(), status),
                    code: code.unwrap_or_else(|| match status {
                        Some(s) => format!("Http{s}"),
                        None => "Unknown".into(),
                    }),
                    message,
                }
            }
        }
    }

    /// True when a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        self.class == ErrorClass::Retryable
    }
}

/// Classifies by error code first, then HTTP status.
pub fn classify(code: Option<&str>, status: Option<u16>) -> ErrorClass {
    if let Some(code) = code {
        if RETRYABLE_CODES.contains(&code) {
            return ErrorClass::Retryable;
        }
        if CONFLICT_CODES.contains(&code) {
            return ErrorClass::Conflict;
        }
        if NOT_FOUND_CODES.contains(&code) {
            return ErrorClass::NotFound;
        }
    }
    match status {
        Some(429) | Some(500..=599) => ErrorClass::Retryable,
        Some(409) => ErrorClass::Conflict,
        Some(404) => ErrorClass::NotFound,
        None if code.is_none() => ErrorClass::Retryable,
        _ => ErrorClass::Fatal,
    }
}

/// The error and its sources joined, since SDK errors put the useful part in the source chain.
fn source_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_table() {
        let cases = [
            (
                Some("ThrottlingException"),
                Some(429),
                ErrorClass::Retryable,
            ),
            (Some("Throttling"), Some(400), ErrorClass::Retryable),
            (
                Some("InternalServerException"),
                Some(500),
                ErrorClass::Retryable,
            ),
            (Some("ConflictException"), Some(409), ErrorClass::Conflict),
            (
                Some("ReplicationJobAlreadyExistsException"),
                Some(400),
                ErrorClass::Conflict,
            ),
            (
                Some("ResourceNotFoundException"),
                Some(404),
                ErrorClass::NotFound,
            ),
            (
                Some("UninitializedAccountException"),
                Some(400),
                ErrorClass::Fatal,
            ),
            (Some("AccessDeniedException"), Some(403), ErrorClass::Fatal),
            (Some("ValidationException"), Some(400), ErrorClass::Fatal),
            (None, Some(503), ErrorClass::Retryable),
            (None, Some(409), ErrorClass::Conflict),
            (None, Some(404), ErrorClass::NotFound),
            (None, Some(400), ErrorClass::Fatal),
            (None, None, ErrorClass::Retryable),
            (Some("Odd"), None, ErrorClass::Fatal),
        ];
        for (code, status, want) in cases {
            assert_eq!(
                classify(code, status),
                want,
                "code={code:?} status={status:?}"
            );
        }
    }
}
