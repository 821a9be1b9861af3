//! Test helpers the function crates share, so that their tests read as what they test.
//!
//! Dev-only: every function crate takes it as a dev-dependency, never as a dependency.

pub mod emf;
pub mod samples;
pub mod triggers;

use aws_sdk_sns::operation::publish::PublishOutput;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use dr_core::arn::Arn;
use dr_core::metrics::{MetricsSink, Namespace};
use dr_core::publish::ReportPublisher;
use dr_core::report::{Skip, Skips};
use dr_core::settings::Settings;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The report topic of [`settings`] and [`publisher`].
pub const REPORT_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:dr-automation-reports";

/// The shared settings of a test function: reports to [`REPORT_TOPIC`], four calls at once,
/// every account and topic admitted, not a dry run.
pub fn settings() -> Settings {
    Settings {
        max_concurrency: 4,
        report_topic: Some(arn(REPORT_TOPIC)),
        ..Settings::default()
    }
}

/// Parses an ARN a test writes out.
pub fn arn(text: &str) -> Arn {
    Arn::parse(text).unwrap_or_else(|e| panic!("test ARN: {e}"))
}

/// Retries as the SDK's standard policy does, three attempts, but without waiting.
pub fn quick_retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(1))
}

/// How an AWS protocol spells an error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// restJson1 with the message under `message` (DRS, MGN).
    RestJson,
    /// restJson1 with the message under `Message` (AWS Backup).
    RestJsonCapitalised,
    /// awsJson1.1 (SMS): the code in `__type`.
    AwsJson11,
}

/// An error response exactly as a service of `protocol` sends it, with HTTP `status` and error
/// code `error_type`; its message is `<error_type> from test`.
pub fn error_response(protocol: Protocol, status: u16, error_type: &str) -> HttpResponse {
    let message = format!("{error_type} from test");
    let (body, content_type) = match protocol {
        Protocol::RestJson => (json!({ "message": message }), "application/json"),
        Protocol::RestJsonCapitalised => (json!({ "Message": message }), "application/json"),
        Protocol::AwsJson11 => (
            json!({ "__type": error_type, "message": message }),
            "application/x-amz-json-1.1",
        ),
    };
    let status = StatusCode::try_from(status).unwrap_or_else(|e| panic!("test status: {e}"));
    let mut response = HttpResponse::new(status, SdkBody::from(body.to_string()));
    if protocol != Protocol::AwsJson11 {
        response
            .headers_mut()
            .insert("x-amzn-errortype", error_type.to_owned());
    }
    response.headers_mut().insert("content-type", content_type);
    response
}

/// An SNS `Publish` to [`REPORT_TOPIC`] with a subject SNS accepts and the status attribute.
pub fn publish_rule() -> Rule {
    mock!(aws_sdk_sns::Client::publish)
        .match_requests(|r| {
            r.topic_arn() == Some(REPORT_TOPIC)
                && r.subject().is_some_and(|s| s.len() < 100)
                && r.message_attributes()
                    .is_some_and(|a| a.contains_key("status"))
        })
        .then_output(|| PublishOutput::builder().message_id("msg-1").build())
}

/// An SNS client answering `rules`.
pub fn sns_client(rules: &[&Rule]) -> aws_sdk_sns::Client {
    mock_client!(aws_sdk_sns, RuleMode::MatchAny, rules)
}

/// A publisher to [`REPORT_TOPIC`] through `sns`.
pub fn publisher(sns: aws_sdk_sns::Client) -> ReportPublisher {
    ReportPublisher::new(sns, Some(arn(REPORT_TOPIC)))
}

/// Metrics lines a [`metered`] publisher kept.
#[derive(Debug, Clone, Default)]
pub struct KeptMetrics(Arc<Mutex<Vec<String>>>);

impl KeptMetrics {
    /// The fleet line of the last run, checked against the EMF specification.
    pub fn fleet_line(&self) -> Value {
        let lines = self.0.lock().map(|l| l.clone()).unwrap_or_default();
        let line = lines
            .iter()
            .rev()
            .map(|l| emf::check(l).unwrap_or_else(|rule| panic!("{rule}: {l}")))
            .find(|l| l["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == json!([["Function"]]))
            .unwrap_or_else(|| panic!("no fleet metrics line among {lines:?}"));
        line
    }
}

/// A publisher to [`REPORT_TOPIC`] through `sns` that keeps its metrics lines for the test.
pub fn metered(sns: aws_sdk_sns::Client) -> (ReportPublisher, KeptMetrics) {
    let kept = KeptMetrics::default();
    let publisher =
        publisher(sns).with_metrics(Namespace::default(), MetricsSink::Kept(kept.0.clone()));
    (publisher, kept)
}

/// The reason `target` was skipped, panicking with every skip when it was not.
pub fn skip_reason<'a>(skips: &'a Skips, target: &str) -> &'a str {
    skips
        .listed()
        .iter()
        .find(|s| s.target == target)
        .map(|s| s.reason.as_str())
        .unwrap_or_else(|| panic!("{target} not skipped; skips: {:#?}", skips.listed()))
}

/// Asserts that `target` was skipped for a reason that starts with `reason`.
pub fn assert_skipped(skips: &Skips, target: &str, reason: &str) {
    let got = skip_reason(skips, target);
    assert!(
        got.starts_with(reason),
        "{target} skipped for `{got}`, expected a reason starting `{reason}`"
    );
}

/// The targets skipped, in order.
pub fn skipped_targets(skips: &Skips) -> Vec<&str> {
    skips
        .listed()
        .iter()
        .map(|s: &Skip| s.target.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_is_found_by_its_target() {
        let skips = Skips::from_iter([Skip::new("s-1", "CONTINUOUS: already replicating")]);
        assert_skipped(&skips, "s-1", "CONTINUOUS");
        assert_eq!(skipped_targets(&skips), ["s-1"]);
    }

    #[test]
    #[should_panic(expected = "s-2 not skipped")]
    fn a_missing_skip_fails_naming_the_target() {
        skip_reason(&Skips::new(), "s-2");
    }

    #[test]
    fn a_rest_json_error_carries_its_code_in_the_header() {
        let response = error_response(Protocol::RestJson, 409, "ConflictException");
        assert_eq!(response.status().as_u16(), 409);
        assert_eq!(
            response.headers().get("x-amzn-errortype"),
            Some("ConflictException")
        );
    }

    #[test]
    fn an_aws_json_error_carries_its_code_in_the_body() {
        let response = error_response(Protocol::AwsJson11, 400, "NoConnectorsAvailableException");
        assert_eq!(response.headers().get("x-amzn-errortype"), None);
        let body = std::str::from_utf8(response.body().bytes().unwrap_or_default()).unwrap();
        assert!(
            body.contains("\"__type\":\"NoConnectorsAvailableException\""),
            "{body}"
        );
    }
}
