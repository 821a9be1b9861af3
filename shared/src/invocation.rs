//! How an invocation fails, the same for every function.

use crate::report::PublishError;
use crate::trigger::TriggerError;
use lambda_runtime::Diagnostic;

/// Why an invocation failed (so Lambda retries it or sends it to the dead-letter queue).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The event is malformed or of a kind this function does not take; nothing was changed.
    #[error("rejected event: {0}")]
    BadEvent(#[from] TriggerError),
    /// Some actions failed in a way a retry may fix; the report says which.
    #[error("retryable failures: {0}")]
    Retryable(String),
    /// The report could not be published.
    #[error(transparent)]
    Publish(#[from] PublishError),
}

impl From<HandlerError> for Diagnostic {
    fn from(err: HandlerError) -> Self {
        let error_type = match &err {
            HandlerError::BadEvent(_) => "BadEvent",
            HandlerError::Retryable(_) => "RetryableFailures",
            HandlerError::Publish(_) => "ReportNotPublished",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: err.to_string(),
        }
    }
}
