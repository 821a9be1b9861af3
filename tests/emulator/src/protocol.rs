//! The five wire protocols: which service a request is for, and how replies and errors look
//! (restJson1 for DRS, MGN and Backup, awsJson1.1 for SMS, awsQuery with XML replies for SNS and
//! STS, restXml for S3).
//!
//! Shapes follow the Smithy AWS protocol specifications (restJson1: `x-amzn-ErrorType` and the
//! error's `httpError` status; awsJson1_1: `__type` in the body; awsQuery: `<ErrorResponse>`
//! with `Type`, `Code`, `Message`) and the statuses and codes of `aws-models/*.service-2.json`.

use crate::util::xml_escape;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Serialize;
use serde_json::{Map, Value};

/// The emulated services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// Elastic Disaster Recovery, restJson1.
    Drs,
    /// Application Migration Service, restJson1 (signing name `mgn`). It shares DRS's paths
    /// (`POST /DescribeSourceServers`), so only a request signed for `mgn` reaches it.
    Mgn,
    /// Server Migration Service, awsJson1.1.
    Sms,
    /// AWS Backup, restJson1.
    Backup,
    /// Simple Notification Service, awsQuery.
    Sns,
    /// Security Token Service, awsQuery.
    Sts,
    /// Simple Storage Service, restXml, path-style requests only.
    S3,
}

/// The `X-Amz-Target` prefix of every SMS operation.
pub const SMS_TARGET_PREFIX: &str = "AWSServerMigrationService_V2016_10_24.";

impl Service {
    /// The service named by a SigV4 signing name.
    fn from_signing_name(name: &str) -> Option<Self> {
        match name {
            "drs" => Some(Self::Drs),
            "mgn" => Some(Self::Mgn),
            "sms" => Some(Self::Sms),
            "backup" => Some(Self::Backup),
            "sns" => Some(Self::Sns),
            "sts" => Some(Self::Sts),
            "s3" => Some(Self::S3),
            _ => None,
        }
    }

    /// Works out the service: the SigV4 credential scope when the request is signed (the scope
    /// names the service: "Elements of an AWS API request signature", IAM user guide), otherwise
    /// the protocol's own marks (SMS target header, SNS form body, Backup and DRS paths). A
    /// request signed for a service the emulator does not serve is never routed by its path.
    pub fn detect(headers: &HeaderMap, path: &str, body: &[u8]) -> Detected {
        if let Some((_, name)) = credential_scope(headers) {
            return match Self::from_signing_name(&name) {
                Some(service) => Detected::Served(service),
                None => Detected::Unserved {
                    protocol: Protocol::of_unserved(&name, headers, body),
                    service: name,
                },
            };
        }
        let target = headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if target.starts_with(SMS_TARGET_PREFIX) {
            return Detected::Served(Self::Sms);
        }
        if path.starts_with("/backup-vaults") || path.starts_with("/copy-jobs") {
            return Detected::Served(Self::Backup);
        }
        if form_has_action(body) {
            return Detected::Served(Self::Sns);
        }
        let op = path.trim_start_matches('/');
        if !op.is_empty() && !op.contains('/') && op.starts_with(|c: char| c.is_ascii_uppercase()) {
            Detected::Served(Self::Drs)
        } else {
            Detected::Unknown
        }
    }
}

/// What a request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    /// One of the emulated services.
    Served(Service),
    /// A service the emulator does not emulate, as the credential scope names it (`ec2`, `s3`),
    /// with the protocol its error is sent in.
    Unserved {
        /// The signing name.
        service: String,
        /// The request's protocol.
        protocol: Protocol,
    },
    /// Unsigned, and no protocol mark says which service.
    Unknown,
}

/// The wire protocol of a request for a service the emulator does not serve, as far as the
/// request shows it (the Smithy protocol specifications: awsJson1_0/1_1 requests carry
/// `X-Amz-Target`, awsQuery requests are forms with `Action`; the S3 family (S3 on Outposts,
/// `s3-outposts`) is restXml; the rest of the services that have neither mark are restJson1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protocol {
    /// awsJson1_0 or awsJson1_1: the request's own content type is sent back.
    AwsJson(String),
    /// awsQuery (and ec2Query): an XML `<ErrorResponse>`.
    AwsQuery,
    /// restXml (the S3 family): an XML `<Error>`.
    RestXml,
    /// restJson1: JSON with `x-amzn-ErrorType`.
    RestJson,
}

impl Protocol {
    fn of_unserved(service: &str, headers: &HeaderMap, body: &[u8]) -> Self {
        if headers.contains_key("x-amz-target") {
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .filter(|t| t.starts_with("application/x-amz-json-"))
                .unwrap_or("application/x-amz-json-1.1");
            Self::AwsJson(content_type.to_owned())
        } else if form_has_action(body) {
            Self::AwsQuery
        } else if service.starts_with("s3") {
            Self::RestXml
        } else {
            Self::RestJson
        }
    }
}

/// The answer to a request signed for a service the emulator does not emulate: a client error
/// the SDKs do not retry, in the request's protocol, saying so. The codes are the ones each
/// protocol uses for an operation the endpoint does not know (`UnknownOperationException` in
/// the API references' "Common Errors", awsQuery's `InvalidAction`, S3's `NotImplemented`,
/// "Error responses" in the S3 API reference, 501).
pub fn unserved(service: &str, protocol: &Protocol, request_id: &str) -> Response {
    let message = format!(
        "This endpoint (dr-emulator) does not emulate the {service} service named by the \
         request's SigV4 credential scope; it serves drs, mgn, sms, backup, sns, sts and s3"
    );
    let mut response = match protocol {
        Protocol::AwsJson(content_type) => json_with_status(
            StatusCode::BAD_REQUEST,
            content_type,
            serde_json::json!({"__type": "UnknownOperationException", "message": message}),
        ),
        Protocol::RestJson => {
            let mut r = json_with_status(
                StatusCode::NOT_FOUND,
                "application/json",
                serde_json::json!({"message": message}),
            );
            set_header(&mut r, "x-amzn-ErrorType", "UnknownOperationException");
            r
        }
        Protocol::AwsQuery => text_response(
            StatusCode::BAD_REQUEST,
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                xml_escape(&message)
            ),
        ),
        Protocol::RestXml => text_response(
            StatusCode::NOT_IMPLEMENTED,
            "application/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NotImplemented</Code><Message>{}</Message><RequestId>{request_id}</RequestId></Error>",
                xml_escape(&message)
            ),
        ),
    };
    set_header(&mut response, "x-amzn-RequestId", request_id);
    response
}

/// `(region, service)` from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...`.
pub fn credential_scope(headers: &HeaderMap) -> Option<(String, String)> {
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let start = auth.find("Credential=")? + "Credential=".len();
    let scope = auth[start..].split([',', ' ']).next()?;
    let parts: Vec<&str> = scope.split('/').collect();
    // The access key id itself may not contain '/', so the scope has exactly five parts.
    (parts.len() == 5).then(|| (parts[2].to_owned(), parts[3].to_owned()))
}

/// The access key id of a SigV4-signed request (`Credential=AKID/...`), which names the account
/// the request acts in.
pub fn access_key(headers: &HeaderMap) -> Option<&str> {
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let start = auth.find("Credential=")? + "Credential=".len();
    auth[start..].split('/').next().filter(|k| !k.is_empty())
}

/// Whether a body is a form with an `Action` field, which is how awsQuery requests look.
fn form_has_action(body: &[u8]) -> bool {
    form_urlencoded::parse(body).any(|(k, _)| k == "Action")
}

/// A service error: the code the SDKs match on, a message and any extra members of the error shape.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// The error code, e.g. `ConflictException`.
    pub code: String,
    /// The human-readable message.
    pub message: String,
    /// Seconds to send in a `Retry-After` header (DRS throttling and server errors).
    pub retry_after: Option<u32>,
    /// Extra members of the error structure, e.g. DRS `resourceId` (boxed: rarely set, and it
    /// keeps every `Result<_, ApiError>` small).
    pub fields: Box<Map<String, Value>>,
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            retry_after: None,
            fields: Box::default(),
        }
    }

    /// Adds a member to the error body.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.fields.insert(key.to_owned(), value.into());
        self
    }

    /// Asks the client to wait before retrying.
    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The answer to an operation the emulator does not know, as the service itself gives it
    /// (`UnknownOperationException`, awsQuery `InvalidAction`: "Common Errors" in the API
    /// references).
    pub fn unknown_operation(service: Service, op: &str) -> Self {
        match service {
            Service::Sns | Service::Sts => Self::new(
                "InvalidAction",
                format!("The action {op} is not valid for this web service."),
            ),
            _ => Self::new(
                "UnknownOperationException",
                format!("The operation {op} is not supported by this endpoint."),
            ),
        }
    }

    /// The error for a body that is not valid for the protocol. Assumption: no model or API
    /// reference names this error.
    pub fn malformed(service: Service, detail: impl std::fmt::Display) -> Self {
        match service {
            Service::Sns | Service::Sts => {
                Self::new("MalformedInput", format!("Malformed input: {detail}"))
            }
            _ => Self::new(
                "SerializationException",
                format!("Could not parse the request body: {detail}"),
            ),
        }
    }

    /// The error an injected fault of `kind` produces in `service`, so that each SDK classifies it
    /// the way it would classify the real one (throttling, server fault, or a named error): DRS's
    /// modelled `ThrottlingException` (429) and `InternalServerException` (500), both with
    /// `Retry-After` (their `retryAfterSeconds` member); SMS's modelled `InternalError`; Backup's
    /// modelled `ServiceUnavailableException` (500 in its API reference); SNS's modelled
    /// `InternalError` (500); S3's `SlowDown` (503) and `InternalError` (500) of its "Error
    /// responses" list; and for throttling of SMS, Backup and SNS, which model none (SNS's
    /// `Throttled` is its account-level limit), the API references' common `ThrottlingException`
    /// (awsQuery: `Throttling`), status 400.
    pub fn fault(service: Service, kind: &str) -> Self {
        let throttle = matches!(
            kind,
            "ThrottlingException" | "Throttling" | "Throttled" | "TooManyRequestsException"
        );
        let internal = matches!(
            kind,
            "InternalServerException"
                | "InternalError"
                | "InternalFailure"
                | "ServiceUnavailableException"
                | "ServiceUnavailable"
        );
        let code = match (service, throttle, internal) {
            (Service::Drs | Service::Mgn, true, _) => "ThrottlingException",
            (Service::Drs | Service::Mgn, _, true) => "InternalServerException",
            (Service::Backup, true, _) | (Service::Sms, true, _) => "ThrottlingException",
            (Service::Backup, _, true) => "ServiceUnavailableException",
            (Service::Sms, _, true) | (Service::Sns, _, true) => "InternalError",
            (Service::Sns, true, _) | (Service::Sts, true, _) => "Throttling",
            (Service::Sts, _, true) => "InternalFailure",
            (Service::S3, true, _) => "SlowDown",
            (Service::S3, _, true) => "InternalError",
            _ => kind,
        };
        let message = if throttle {
            "Rate exceeded (injected fault)".to_owned()
        } else {
            format!("{code} (injected fault)")
        };
        let err = Self::new(code, message);
        if matches!(service, Service::Drs | Service::Mgn) && (throttle || internal) {
            err.retry_after(1)
        } else {
            err
        }
    }

    /// The HTTP status the service's model gives this error (`httpStatusCode` in
    /// `aws-models/*.service-2.json`, or the API reference where the model has none); 400
    /// otherwise, the status of every client error the models leave unnumbered.
    pub fn status(&self, service: Service) -> StatusCode {
        let code = match (service, self.code.as_str()) {
            (Service::Drs | Service::Mgn, "ConflictException") => 409,
            (Service::Drs | Service::Mgn, "ResourceNotFoundException") => 404,
            (Service::Drs | Service::Mgn, "ThrottlingException") => 429,
            (Service::Drs | Service::Mgn, "InternalServerException") => 500,
            (Service::Drs | Service::Mgn, "AccessDeniedException") => 403,
            (Service::Drs | Service::Mgn, "ServiceQuotaExceededException") => 402,
            (Service::Drs | Service::Mgn | Service::Backup, "UnknownOperationException") => 404,
            (Service::Backup, "ServiceUnavailableException") => 500,
            (Service::Sms, "InternalError") => 500,
            (Service::Sns, "NotFound") => 404,
            (Service::Sns, "InternalError") => 500,
            (Service::Sns, "AuthorizationError") => 403,
            (Service::Sns, "Throttled") => 429,
            (Service::Sts, "AccessDenied" | "RegionDisabledException") => 403,
            (Service::Sts, "InternalFailure") => 500,
            (Service::S3, code) => crate::s3::status(code),
            _ => 400,
        };
        StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST)
    }

    /// The error as the service's protocol sends it.
    pub fn into_response(self, service: Service, request_id: &str) -> Response {
        let status = self.status(service);
        let mut response = match service {
            Service::Drs | Service::Mgn | Service::Backup => {
                let mut body = (*self.fields).clone();
                // DRS and MGN error shapes spell the member `message`, Backup's `Message` and
                // `Code`.
                if service == Service::Backup {
                    body.insert("Code".into(), self.code.clone().into());
                    body.insert("Message".into(), self.message.clone().into());
                } else {
                    body.insert("message".into(), self.message.clone().into());
                }
                let mut r = json_with_status(status, "application/json", Value::Object(body));
                set_header(&mut r, "x-amzn-ErrorType", &self.code);
                r
            }
            Service::Sms => {
                let mut body = (*self.fields).clone();
                body.insert("__type".into(), self.code.clone().into());
                body.insert("message".into(), self.message.clone().into());
                json_with_status(status, "application/x-amz-json-1.1", Value::Object(body))
            }
            Service::Sns | Service::Sts => {
                let kind = if status.is_server_error() {
                    "Receiver"
                } else {
                    "Sender"
                };
                let xml = format!(
                    "<ErrorResponse xmlns=\"{}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                    xml_namespace(service),
                    xml_escape(&self.code),
                    xml_escape(&self.message)
                );
                text_response(status, "text/xml", xml)
            }
            Service::S3 => {
                let mut r = text_response(
                    status,
                    "application/xml",
                    crate::s3::error_xml(&self, request_id),
                );
                s3_request_ids(&mut r, request_id);
                return r;
            }
        };
        if let Some(seconds) = self.retry_after {
            set_header(&mut response, "Retry-After", &seconds.to_string());
        }
        set_header(&mut response, "x-amzn-RequestId", request_id);
        response
    }
}

/// The request id headers every S3 response carries ("Common Response Headers":
/// `x-amz-request-id`, and `x-amz-id-2`, a token used together with it), the second derived from
/// the first.
pub fn s3_request_ids(response: &mut Response, request_id: &str) {
    use base64::Engine as _;
    use sha2::Digest as _;
    let id2 = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(request_id));
    set_header(response, "x-amz-request-id", request_id);
    set_header(response, "x-amz-id-2", &id2);
}

/// A successful S3 reply: 200, an empty body, the reply's headers and the request ids.
pub fn s3_reply(reply: &crate::s3::Reply, request_id: &str) -> Response {
    let mut r = Response::new(Body::empty());
    for (name, value) in &reply.headers {
        set_header(&mut r, name, value);
    }
    s3_request_ids(&mut r, request_id);
    r
}

/// A successful JSON reply with the content type of the service's protocol.
pub fn json_reply(service: Service, body: Value, request_id: &str) -> Response {
    let content_type = if service == Service::Sms {
        "application/x-amz-json-1.1"
    } else {
        "application/json"
    };
    let mut r = json_with_status(StatusCode::OK, content_type, body);
    set_header(&mut r, "x-amzn-RequestId", request_id);
    r
}

/// The XML namespace of an awsQuery service's replies (the model's `xmlNamespace`).
fn xml_namespace(service: Service) -> &'static str {
    if service == Service::Sts {
        "https://sts.amazonaws.com/doc/2011-06-15/"
    } else {
        "http://sns.amazonaws.com/doc/2010-03-31/"
    }
}

/// A successful awsQuery reply: `<{Action}Response><{Action}Result>…</…><ResponseMetadata>…`.
pub fn query_reply(service: Service, action: &str, result_xml: &str, request_id: &str) -> Response {
    let namespace = xml_namespace(service);
    let xml = format!(
        "<{action}Response xmlns=\"{namespace}\"><{action}Result>{result_xml}</{action}Result><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
    );
    let mut r = text_response(StatusCode::OK, "text/xml", xml);
    set_header(&mut r, "x-amzn-RequestId", request_id);
    r
}

/// A JSON response with a given status.
pub fn json_with_status(status: StatusCode, content_type: &str, body: Value) -> Response {
    text_response(status, content_type, body.to_string())
}

/// A text response with a given status and content type.
pub fn text_response(status: StatusCode, content_type: &str, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    set_header(&mut r, header::CONTENT_TYPE.as_str(), content_type);
    r
}

/// Sets a header, ignoring values that cannot be header values (they never come from requests).
fn set_header(response: &mut Response, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        header::HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        response.headers_mut().insert(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn detects_service_from_the_credential_scope() {
        let h = headers(&[(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20261120/us-east-1/backup/aws4_request, SignedHeaders=host, Signature=abc",
        )]);
        assert_eq!(
            Service::detect(&h, "/", b""),
            Detected::Served(Service::Backup)
        );
        assert_eq!(
            credential_scope(&h),
            Some(("us-east-1".into(), "backup".into()))
        );
    }

    #[test]
    fn falls_back_to_protocol_marks() {
        let h = headers(&[(
            "x-amz-target",
            "AWSServerMigrationService_V2016_10_24.GetServers",
        )]);
        assert_eq!(
            Service::detect(&h, "/", b"{}"),
            Detected::Served(Service::Sms)
        );
        let none = HeaderMap::new();
        assert_eq!(
            Service::detect(&none, "/", b"Action=Publish&Message=x"),
            Detected::Served(Service::Sns)
        );
        assert_eq!(
            Service::detect(&none, "/StartReplication", b"{}"),
            Detected::Served(Service::Drs)
        );
        assert_eq!(
            Service::detect(&none, "/copy-jobs/", b""),
            Detected::Served(Service::Backup)
        );
        assert_eq!(Service::detect(&none, "/", b""), Detected::Unknown);
    }

    #[test]
    fn a_scope_naming_another_service_is_not_routed_by_path() {
        let signed = |service: &str| {
            format!("AWS4-HMAC-SHA256 Credential=AKID/20261120/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=abc")
        };
        let mgn = headers(&[("authorization", &signed("mgn"))]);
        assert_eq!(
            Service::detect(&mgn, "/DescribeSourceServers", b"{}"),
            Detected::Served(Service::Mgn)
        );
        let ec2 = headers(&[("authorization", &signed("ec2"))]);
        assert_eq!(
            Service::detect(&ec2, "/DescribeSourceServers", b"{}"),
            Detected::Unserved {
                service: "ec2".into(),
                protocol: Protocol::RestJson
            }
        );
        let iam = headers(&[("authorization", &signed("iam"))]);
        assert_eq!(
            Service::detect(&iam, "/", b"Action=ListRoles&Version=2010-05-08"),
            Detected::Unserved {
                service: "iam".into(),
                protocol: Protocol::AwsQuery
            }
        );
        let sts = headers(&[("authorization", &signed("sts"))]);
        assert_eq!(
            Service::detect(&sts, "/", b"Action=AssumeRole&Version=2011-06-15"),
            Detected::Served(Service::Sts)
        );
        let s3 = headers(&[("authorization", &signed("s3"))]);
        assert_eq!(
            Service::detect(&s3, "/backup-vaults", b""),
            Detected::Served(Service::S3)
        );
        let outposts = headers(&[("authorization", &signed("s3-outposts"))]);
        assert_eq!(
            Service::detect(&outposts, "/backup-vaults", b""),
            Detected::Unserved {
                service: "s3-outposts".into(),
                protocol: Protocol::RestXml
            }
        );
        let ssm = headers(&[
            ("authorization", &signed("ssm")),
            ("x-amz-target", "AmazonSSM.GetParameter"),
            ("content-type", "application/x-amz-json-1.1"),
        ]);
        assert_eq!(
            Service::detect(&ssm, "/", b"{}"),
            Detected::Unserved {
                service: "ssm".into(),
                protocol: Protocol::AwsJson("application/x-amz-json-1.1".into())
            }
        );
    }

    #[test]
    fn mgn_errors_have_the_models_statuses() {
        for (code, status) in [
            ("ConflictException", 409),
            ("ServiceQuotaExceededException", 402),
            ("ResourceNotFoundException", 404),
            ("ValidationException", 400),
            ("UninitializedAccountException", 400),
            ("ThrottlingException", 429),
        ] {
            assert_eq!(
                ApiError::new(code, "m").status(Service::Mgn).as_u16(),
                status,
                "{code}"
            );
        }
        assert_eq!(
            ApiError::fault(Service::Mgn, "ThrottlingException").retry_after,
            Some(1)
        );
    }

    #[test]
    fn faults_map_to_each_protocols_codes() {
        assert_eq!(
            ApiError::fault(Service::Drs, "ThrottlingException").status(Service::Drs),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            ApiError::fault(Service::Sns, "ThrottlingException").code,
            "Throttling"
        );
        assert_eq!(
            ApiError::fault(Service::Sms, "InternalServerException").code,
            "InternalError"
        );
        assert_eq!(
            ApiError::fault(Service::Backup, "InternalServerException").status(Service::Backup),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
