//! The report publisher against a mocked SNS client.

use aws_sdk_sns::operation::publish::PublishOutput;
use aws_sdk_sns::Client as Sns;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use dr_core::arn::Arn;
use dr_core::publish::ReportPublisher;
use dr_core::report::{RunReport, Skip, Skips, TargetOutcome, SNS_MESSAGE_LIMIT};

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:dr-automation-reports";

#[tokio::test]
async fn small_report_is_one_message_with_attributes() {
    let publish = mock!(Sns::publish)
        .match_requests(|r| {
            let attrs = r.message_attributes().cloned().unwrap_or_default();
            let attr = |k: &str| {
                attrs
                    .get(k)
                    .and_then(|v| v.string_value().map(str::to_owned))
            };
            r.topic_arn() == Some(TOPIC)
                && r.subject()
                    == Some(
                        "drs-start-replication SUCCEEDED: 1 done, 0 unchanged, 0 failed, 1 skipped",
                    )
                && attr("function").as_deref() == Some("drs-start-replication")
                && attr("status").as_deref() == Some("SUCCEEDED")
                && attr("dryRun").as_deref() == Some("false")
                && attrs.get("failed").map(|v| v.data_type()) == Some("Number")
                && r.message()
                    .is_some_and(|m| serde_json::from_str::<RunReport>(m).is_ok())
        })
        .then_output(|| PublishOutput::builder().message_id("m-1").build());
    let sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, [&publish]);
    let report = RunReport::new(
        "drs-start-replication",
        "schedule",
        false,
        vec![TargetOutcome::done(
            "s-00000000000000001",
            "StartReplication",
            None,
        )],
        Skips::from_iter([Skip::new(
            "s-00000000000000002",
            "CONTINUOUS: already replicating",
        )]),
    );
    let ids = ReportPublisher::new(sns, Arn::parse(TOPIC).ok())
        .publish(&report)
        .await
        .expect("published");
    assert_eq!(ids, vec!["m-1"]);
    assert_eq!(publish.num_calls(), 1);
}

#[tokio::test]
async fn large_report_is_published_in_numbered_parts() {
    let publish = mock!(Sns::publish)
        .match_requests(|r| {
            r.message().is_some_and(|m| m.len() <= SNS_MESSAGE_LIMIT)
                && r.subject()
                    .is_some_and(|s| s.len() < 100 && s.ends_with(')'))
        })
        .then_output(|| PublishOutput::builder().message_id("part").build());
    let sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, [&publish]);
    let outcomes = (0..6000)
        .map(|i| {
            TargetOutcome::done(
                format!("s-{i:017}"),
                "StartReplication",
                Some("INITIATING".into()),
            )
        })
        .collect();
    let report = RunReport::new(
        "drs-start-replication",
        "schedule",
        false,
        outcomes,
        Skips::new(),
    );
    let ids = ReportPublisher::new(sns, Arn::parse(TOPIC).ok())
        .publish(&report)
        .await
        .expect("published");
    assert!(ids.len() > 1, "{} parts", ids.len());
    assert_eq!(publish.num_calls(), ids.len());
}

#[tokio::test]
async fn no_topic_publishes_nothing_and_failures_name_the_topic() {
    let publish = mock!(Sns::publish).then_http_response(|| {
        aws_smithy_runtime_api::client::orchestrator::HttpResponse::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(400).expect("status"),
            aws_smithy_types::body::SdkBody::from(
                "<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>r</RequestId></ErrorResponse>",
            ),
        )
    });
    let sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, [&publish]);
    let report = RunReport::new("f", "t", false, vec![], Skips::new());
    let none = ReportPublisher::new(sns.clone(), None)
        .publish(&report)
        .await
        .expect("nothing to do");
    assert!(none.is_empty());
    assert_eq!(publish.num_calls(), 0);
    let err = ReportPublisher::new(sns, Arn::parse(TOPIC).ok())
        .publish(&report)
        .await
        .expect_err("not found");
    assert_eq!(err.failure.code, "NotFound");
    assert!(err.to_string().contains(TOPIC), "{err}");
}
