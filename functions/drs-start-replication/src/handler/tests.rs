//! SDK adapter tests: observe, apply and the whole handler against mocked DRS and SNS clients.

use super::*;
use crate::config::{AlarmMapping, Selection};
use crate::observe::{ReplicationState, SourceServer as Observed, Staging};
use aws_sdk_drs::operation::describe_source_servers::DescribeSourceServersOutput;
use aws_sdk_drs::operation::start_replication::StartReplicationOutput;
use aws_sdk_drs::types::{
    DataReplicationInfo, DataReplicationState, IdentificationHints, SourceProperties, SourceServer,
    StagingArea,
};
use aws_sdk_drs::Client as Drs;
use aws_sdk_sns::operation::publish::PublishOutput;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use dr_core::report::{OutcomeResult, RunStatus, TargetOutcome};
use lambda_runtime::Diagnostic;
use serde_json::json;
use std::time::Duration;

const REPORT_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:dr-automation-reports";

fn id(n: u32) -> String {
    format!("s-{n:017}")
}

fn sdk_server(n: u32, state: DataReplicationState) -> SourceServer {
    SourceServer::builder()
        .source_server_id(id(n))
        .arn(format!(
            "arn:aws:drs:us-east-1:123456789012:source-server/{}",
            id(n)
        ))
        .tags("Env", "prod")
        .data_replication_info(
            DataReplicationInfo::builder()
                .data_replication_state(state)
                .build(),
        )
        .source_properties(
            SourceProperties::builder()
                .identification_hints(
                    IdentificationHints::builder()
                        .hostname(format!("host-{n}"))
                        .aws_instance_id(format!("i-{n:017x}"))
                        .build(),
                )
                .build(),
        )
        .staging_area(
            StagingArea::builder()
                .staging_account_id("111111111111")
                .build(),
        )
        .build()
}

fn page(servers: Vec<SourceServer>, next: Option<&str>) -> DescribeSourceServersOutput {
    DescribeSourceServersOutput::builder()
        .set_items(Some(servers))
        .set_next_token(next.map(str::to_owned))
        .build()
}

/// A restJson1 error response exactly as DRS sends it.
fn drs_error(status: u16, error_type: &str) -> HttpResponse {
    let mut resp = HttpResponse::new(
        StatusCode::try_from(status).expect("valid status"),
        SdkBody::from(json!({"message": format!("{error_type} from test")}).to_string()),
    );
    resp.headers_mut()
        .insert("x-amzn-errortype", error_type.to_owned());
    resp.headers_mut()
        .insert("content-type", "application/json");
    resp
}

fn drs_client(rules: &[&Rule]) -> Drs {
    mock_client!(aws_sdk_drs, RuleMode::MatchAny, rules, |c| c.retry_config(
        RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(1))
    ))
}

fn started(n: u32) -> StartReplicationOutput {
    StartReplicationOutput::builder()
        .source_server(sdk_server(n, DataReplicationState::Initiating))
        .build()
}

#[tokio::test]
async fn observe_follows_every_page() {
    let describe = mock!(Drs::describe_source_servers)
        .sequence()
        .output(|| {
            page(
                (0..3)
                    .map(|n| sdk_server(n, DataReplicationState::Stopped))
                    .collect(),
                Some("p2"),
            )
        })
        .output(|| {
            page(
                vec![sdk_server(3, DataReplicationState::Continuous)],
                Some("p3"),
            )
        })
        .output(|| {
            page(
                vec![
                    SourceServer::builder().build(),
                    sdk_server(4, DataReplicationState::Stalled),
                ],
                None,
            )
        })
        .build();
    let drs = drs_client(&[&describe]);
    let servers = observe::source_servers(&drs, &["Env"])
        .await
        .expect("observed");
    assert_eq!(describe.num_calls(), 3);
    let ids: Vec<_> = servers.iter().map(|s| s.id.clone()).collect();
    assert_eq!(
        ids,
        (0..5).map(id).collect::<Vec<_>>(),
        "servers without an id are dropped"
    );
    assert_eq!(
        servers[3],
        Observed {
            id: id(3),
            hostname: Some("host-3".into()),
            fqdn: None,
            instance_id: Some(format!("i-{:017x}", 3)),
            tags: vec![("Env".to_owned(), "prod".to_owned())],
            state: ReplicationState::Continuous,
            replication_error: None,
            staging_account: Some("111111111111".into()),
            staging: Staging::NotExtended,
        }
    );
}

#[tokio::test]
async fn observe_reports_a_persistent_throttle_as_retryable() {
    let describe = mock!(Drs::describe_source_servers)
        .then_http_response(|| drs_error(429, "ThrottlingException"));
    let drs = drs_client(&[&describe]);
    let failure = observe::source_servers(&drs, &[])
        .await
        .expect_err("throttled");
    assert!(failure.is_retryable(), "{failure:?}");
    assert_eq!(failure.code, "ThrottlingException");
    assert_eq!(describe.num_calls(), 3, "the SDK retried before giving up");
}

#[tokio::test]
async fn apply_handles_conflict_throttling_and_partial_failure() {
    let ok = mock!(Drs::start_replication)
        .match_requests(|r| r.source_server_id() == Some(id(1).as_str()))
        .then_output(|| started(1));
    let conflict = mock!(Drs::start_replication)
        .match_requests(|r| r.source_server_id() == Some(id(2).as_str()))
        .then_http_response(|| drs_error(409, "ConflictException"));
    let throttled_then_ok = mock!(Drs::start_replication)
        .match_requests(|r| r.source_server_id() == Some(id(3).as_str()))
        .sequence()
        .http_response(|| drs_error(429, "ThrottlingException"))
        .times(2)
        .output(|| started(3))
        .build();
    let not_found = mock!(Drs::start_replication)
        .match_requests(|r| r.source_server_id() == Some(id(4).as_str()))
        .then_http_response(|| drs_error(404, "ResourceNotFoundException"));
    let broken = mock!(Drs::start_replication)
        .match_requests(|r| r.source_server_id() == Some(id(5).as_str()))
        .then_http_response(|| drs_error(500, "InternalServerException"));
    let uninitialised = mock!(Drs::start_replication)
        .match_requests(|r| r.source_server_id() == Some(id(6).as_str()))
        .then_http_response(|| drs_error(400, "UninitializedAccountException"));
    let now_replicating = describe_one(2, || page_of(2, DataReplicationState::Continuous));
    let drs = drs_client(&[
        &ok,
        &conflict,
        &now_replicating,
        &throttled_then_ok,
        &not_found,
        &broken,
        &uninitialised,
    ]);

    let ids: Vec<String> = (1..=6).map(id).collect();
    let outcomes = apply::start_replication(&drs, &ids, 3, false).await;
    let summary: Vec<(String, OutcomeResult, Option<String>, bool)> = outcomes
        .iter()
        .map(|o| (o.target.clone(), o.result, o.state.clone(), o.retryable))
        .collect();
    assert_eq!(
        summary,
        vec![
            (id(1), OutcomeResult::Done, Some("INITIATING".into()), false),
            (
                id(2),
                OutcomeResult::Unchanged,
                Some("CONTINUOUS".into()),
                false
            ),
            (id(3), OutcomeResult::Done, Some("INITIATING".into()), false),
            (id(4), OutcomeResult::Failed, None, false),
            (id(5), OutcomeResult::Failed, None, true),
            (id(6), OutcomeResult::Failed, None, false),
        ]
    );
    assert_eq!(throttled_then_ok.num_calls(), 3);
    assert_eq!(broken.num_calls(), 3);
    assert_eq!(not_found.num_calls(), 1, "client errors are not retried");
    assert!(outcomes[3]
        .detail
        .as_deref()
        .is_some_and(|d| d.starts_with("ResourceNotFoundException")));
    assert!(outcomes[5]
        .detail
        .as_deref()
        .is_some_and(|d| d.starts_with("UninitializedAccountException")));
}

#[tokio::test]
async fn dry_run_calls_nothing() {
    let start = mock!(Drs::start_replication).then_output(|| started(1));
    let drs = drs_client(&[&start]);
    let outcomes = apply::start_replication(&drs, &[id(1)], 3, true).await;
    assert_eq!(outcomes[0].result, OutcomeResult::Planned);
    assert_eq!(start.num_calls(), 0);
}

/// A DescribeSourceServers rule answering only the read of server `n` by id.
fn describe_one(
    n: u32,
    answer: impl Fn() -> DescribeSourceServersOutput + Send + Sync + 'static,
) -> Rule {
    mock!(Drs::describe_source_servers)
        .match_requests(move |r| {
            r.filters().map(|f| f.source_server_ids()) == Some([id(n)].as_slice())
        })
        .then_output(answer)
}

fn page_of(n: u32, state: DataReplicationState) -> DescribeSourceServersOutput {
    page(vec![sdk_server(n, state)], None)
}

/// The outcome of starting server 1 when DRS answers ConflictException and then `describe`.
async fn conflict_then(describe: Rule) -> (TargetOutcome, usize) {
    let conflict =
        mock!(Drs::start_replication).then_http_response(|| drs_error(409, "ConflictException"));
    let drs = drs_client(&[&conflict, &describe]);
    let outcomes = apply::start_replication(&drs, &[id(1)], 1, false).await;
    assert_eq!(conflict.num_calls(), 1, "a conflict is not retried");
    (outcomes[0].clone(), describe.num_calls())
}

#[tokio::test]
async fn a_conflict_on_a_server_that_replicates_by_now_is_unchanged() {
    let (outcome, reads) = conflict_then(describe_one(1, || {
        page_of(1, DataReplicationState::InitialSync)
    }))
    .await;
    assert_eq!(reads, 1);
    assert_eq!(outcome.result, OutcomeResult::Unchanged);
    assert_eq!(outcome.state.as_deref(), Some("INITIAL_SYNC"));
    assert!(outcome
        .detail
        .as_deref()
        .is_some_and(|d| d.starts_with("already replicating (ConflictException")));
}

#[tokio::test]
async fn a_conflict_on_a_server_still_stopped_is_a_failure_with_drs_message() {
    let (outcome, _) = conflict_then(describe_one(1, || {
        page_of(1, DataReplicationState::Stopped)
    }))
    .await;
    assert_eq!(outcome.result, OutcomeResult::Failed);
    assert!(!outcome.retryable);
    assert_eq!(outcome.state.as_deref(), Some("STOPPED"));
    let detail = outcome.detail.unwrap_or_default();
    assert!(
        detail.starts_with(
            "ConflictException: ConflictException from test; the server is STOPPED now"
        ),
        "{detail}"
    );
}

#[tokio::test]
async fn a_conflict_on_a_server_disconnected_since_is_a_failure() {
    let (outcome, _) = conflict_then(describe_one(1, || {
        page_of(1, DataReplicationState::Disconnected)
    }))
    .await;
    assert_eq!(outcome.result, OutcomeResult::Failed);
    assert_eq!(outcome.state.as_deref(), Some("DISCONNECTED"));
}

#[tokio::test]
async fn a_conflict_on_a_server_drs_no_longer_lists_is_a_failure() {
    let (outcome, _) = conflict_then(describe_one(1, || page(vec![], None))).await;
    assert_eq!(outcome.result, OutcomeResult::Failed);
    assert!(outcome
        .detail
        .as_deref()
        .is_some_and(|d| d.ends_with("DescribeSourceServers no longer lists the server")));
}

#[tokio::test]
async fn a_conflict_whose_state_cannot_be_read_is_a_failure_retryable_as_the_read() {
    let throttled = mock!(Drs::describe_source_servers)
        .then_http_response(|| drs_error(429, "ThrottlingException"));
    let (outcome, reads) = conflict_then(throttled).await;
    assert_eq!(
        reads, 3,
        "the read is retried by the SDK like any other call"
    );
    assert_eq!(outcome.result, OutcomeResult::Failed);
    assert!(outcome.retryable);
    assert!(outcome.detail.as_deref().is_some_and(
        |d| d.contains("its state could not be read to tell why (ThrottlingException")
    ));
}

fn app(drs: Drs, sns: aws_sdk_sns::Client) -> App {
    App {
        drs,
        publisher: ReportPublisher::new(sns, Some(REPORT_TOPIC.into())),
        config: DrsConfig {
            home_account: None,
            selection: Selection {
                all: true,
                ..Selection::default()
            },
            alarm_mapping: AlarmMapping::default(),
            replication_quota: 300,
            max_concurrency: 4,
            report_topic_arn: Some(REPORT_TOPIC.into()),
            trigger_topic_arns: vec![],
            dry_run: false,
        },
    }
}

fn publish_rule() -> Rule {
    mock!(aws_sdk_sns::Client::publish)
        .match_requests(|r| {
            r.topic_arn() == Some(REPORT_TOPIC)
                && r.subject().is_some_and(|s| s.len() < 100)
                && r.message_attributes()
                    .is_some_and(|a| a.contains_key("status"))
        })
        .then_output(|| PublishOutput::builder().message_id("msg-1").build())
}

#[tokio::test]
async fn handler_runs_a_schedule_and_publishes_the_report() {
    let describe = mock!(Drs::describe_source_servers).then_output(|| {
        page(
            vec![
                sdk_server(1, DataReplicationState::Stopped),
                sdk_server(2, DataReplicationState::Continuous),
                sdk_server(3, DataReplicationState::Stopped),
            ],
            None,
        )
    });
    let start = mock!(Drs::start_replication).then_compute_output(|r| {
        let n = r
            .source_server_id()
            .and_then(|s| s[2..].parse().ok())
            .unwrap_or(0);
        started(n)
    });
    let publish = publish_rule();
    let app = app(
        drs_client(&[&describe, &start]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    let report = handle(&app, &json!({"schedule": "nightly"}))
        .await
        .expect("report");
    assert_eq!(report.status, RunStatus::Succeeded);
    assert_eq!(report.trigger, "schedule nightly");
    assert_eq!((report.counts.done, report.counts.skipped), (2, 1));
    assert_eq!(start.num_calls(), 2);
    assert_eq!(publish.num_calls(), 1);
}

#[tokio::test]
async fn handler_fails_the_invocation_only_for_retryable_failures() {
    let describe = mock!(Drs::describe_source_servers).then_output(|| {
        page(
            vec![
                sdk_server(1, DataReplicationState::Stopped),
                sdk_server(2, DataReplicationState::Stopped),
            ],
            None,
        )
    });
    let ok = mock!(Drs::start_replication)
        .match_requests(|r| r.source_server_id() == Some(id(1).as_str()))
        .then_output(|| started(1));
    let throttled = mock!(Drs::start_replication)
        .match_requests(|r| r.source_server_id() == Some(id(2).as_str()))
        .then_http_response(|| drs_error(429, "ThrottlingException"));
    let publish = publish_rule();
    let app = app(
        drs_client(&[&describe, &ok, &throttled]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    let err = handle(&app, &json!({}))
        .await
        .expect_err("retryable failure fails the invocation");
    assert!(matches!(err, HandlerError::Retryable(_)), "{err}");
    assert_eq!(
        publish.num_calls(),
        1,
        "the report is published before failing"
    );
    let diagnostic = Diagnostic::from(err);
    assert_eq!(diagnostic.error_type, "RetryableFailures");

    let not_found = mock!(Drs::start_replication)
        .then_http_response(|| drs_error(404, "ResourceNotFoundException"));
    let publish = publish_rule();
    let app = self::app(
        drs_client(&[&describe, &not_found]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    let report = handle(&app, &json!({}))
        .await
        .expect("non-retryable failures are reported, not retried");
    assert_eq!(report.status, RunStatus::Failed);
    assert_eq!(report.counts.failed, 2);
}

#[tokio::test]
async fn handler_rejects_bad_events_without_calling_aws() {
    let describe = mock!(Drs::describe_source_servers).then_output(|| page(vec![], None));
    let publish = publish_rule();
    let app = app(
        drs_client(&[&describe]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    for bad in [
        json!("x"),
        json!({"targets": 5}),
        json!({"source": "aws.ec2", "detail-type": "x", "detail": {}}),
    ] {
        let err = handle(&app, &bad).await.expect_err("rejected");
        assert_eq!(Diagnostic::from(err).error_type, "BadEvent");
    }
    assert_eq!(describe.num_calls(), 0);
    assert_eq!(publish.num_calls(), 0);
}

#[tokio::test]
async fn handler_reports_an_observe_failure() {
    let describe = mock!(Drs::describe_source_servers)
        .then_http_response(|| drs_error(400, "UninitializedAccountException"));
    let start = mock!(Drs::start_replication).then_output(|| started(1));
    let publish = publish_rule();
    let app = app(
        drs_client(&[&describe, &start]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    let report = handle(&app, &json!({}))
        .await
        .expect("fatal observe failures are reported");
    assert_eq!(report.status, RunStatus::Failed);
    assert!(report.error.as_ref().is_some_and(|e| e
        .message
        .starts_with("DescribeSourceServers failed: UninitializedAccountException")));
    assert_eq!(start.num_calls(), 0);
    assert_eq!(publish.num_calls(), 1);
}
