//! Whole invocations: an event in, DRS and SNS mocked, the report out.

use super::*;
use crate::testing::{drs_client, drs_error, id, page, sdk_server, started};
use aws_sdk_drs::types::DataReplicationState;
use aws_sdk_drs::Client as Drs;
use aws_smithy_mocks::{mock, Rule};
use dr_core::drs::{AlarmMapping, Selection, ServerChoice};
use dr_core::invocation::HandlerError;
use dr_core::report::{OutcomeResult, RunReport, RunStatus};
use dr_testkit::{publish_rule, publisher, settings, sns_client};
use serde_json::{json, Value};

const NOW: i64 = 1_764_586_800;

/// The function over every server of the mocked DRS, reporting through the mocked SNS.
fn function(drs: Drs, sns: aws_sdk_sns::Client) -> (StartReplication, Drs, aws_sdk_sns::Client) {
    let config = DrsConfig {
        settings: settings(),
        choice: ServerChoice {
            selection: Selection {
                all: true,
                ..Selection::default()
            },
            alarm_mapping: AlarmMapping::default(),
        },
        replication_quota: 300,
    };
    (StartReplication { config }, drs, sns)
}

async fn run(
    (function, drs, sns): &(StartReplication, Drs, aws_sdk_sns::Client),
    event: &Value,
) -> Result<RunReport, HandlerError> {
    let fleet = [Connected::home(drs.clone())];
    dr_core::function::handle(
        function,
        &fleet,
        &publisher(sns.clone()),
        event,
        &dr_core::invocation::Invocation::at(NOW),
    )
    .await
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
    let app = function(drs_client(&[&describe, &start]), sns_client(&[&publish]));
    let report = run(&app, &json!({"schedule": "nightly"}))
        .await
        .expect("report");
    assert_eq!(report.status, RunStatus::Succeeded);
    assert_eq!(report.trigger, "schedule nightly");
    assert_eq!((report.counts.done, report.counts.skipped), (2, 1));
    assert_eq!(start.num_calls(), 2);
    assert_eq!(publish.num_calls(), 1);
}

#[tokio::test]
async fn a_run_measures_the_selected_servers_by_replication_state() {
    let describe = mock!(Drs::describe_source_servers).then_output(|| {
        page(
            vec![
                sdk_server(1, DataReplicationState::Stalled),
                sdk_server(2, DataReplicationState::Continuous),
                sdk_server(3, DataReplicationState::Continuous),
            ],
            None,
        )
    });
    let publish = publish_rule();
    let (app, drs, _) = function(drs_client(&[&describe]), sns_client(&[&publish]));
    let (publisher, metrics) = dr_testkit::metered(sns_client(&[&publish]));
    let fleet = [Connected::home(drs)];
    let event = json!({"schedule": "nightly"});
    let invocation = dr_core::invocation::Invocation::at(NOW);
    dr_core::function::handle(&app, &fleet, &publisher, &event, &invocation)
        .await
        .expect("report");
    let line = metrics.fleet_line();
    let counts = [
        "DrsServers",
        "DrsServersContinuous",
        "DrsServersStalled",
        "DrsServersStopped",
    ]
    .map(|name| line[name].as_f64());
    assert_eq!(
        counts,
        [Some(3.0), Some(2.0), Some(1.0), Some(0.0)],
        "{line}"
    );
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
    let app = function(
        drs_client(&[&describe, &ok, &throttled]),
        sns_client(&[&publish]),
    );
    let err = run(&app, &json!({}))
        .await
        .expect_err("retryable failure fails the invocation");
    assert!(matches!(err, HandlerError::Retryable(_)), "{err}");
    assert_eq!(
        publish.num_calls(),
        1,
        "the report is published before failing"
    );
    assert_eq!(err.error_type(), "RetryableFailures");

    let not_found = mock!(Drs::start_replication)
        .then_http_response(|| drs_error(404, "ResourceNotFoundException"));
    let publish = publish_rule();
    let app = function(
        drs_client(&[&describe, &not_found]),
        sns_client(&[&publish]),
    );
    let report = run(&app, &json!({}))
        .await
        .expect("non-retryable failures are reported, not retried");
    assert_eq!(report.status, RunStatus::Failed);
    assert_eq!(report.counts.failed, 2);
}

#[tokio::test]
async fn handler_rejects_bad_events_without_calling_aws() {
    let describe = mock!(Drs::describe_source_servers).then_output(|| page(vec![], None));
    let publish = publish_rule();
    let app = function(drs_client(&[&describe]), sns_client(&[&publish]));
    for bad in [
        json!("x"),
        json!({"targets": 5}),
        json!({"source": "aws.ec2", "detail-type": "x", "detail": {}}),
    ] {
        let err = run(&app, &bad).await.expect_err("rejected");
        assert_eq!(err.error_type(), "BadEvent");
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
    let app = function(drs_client(&[&describe, &start]), sns_client(&[&publish]));
    let report = run(&app, &json!({}))
        .await
        .expect("fatal observe failures are reported");
    assert_eq!(report.status, RunStatus::Failed);
    assert!(report.error.as_ref().is_some_and(|e| e
        .message
        .starts_with("DescribeSourceServers failed: UninitializedAccountException")));
    assert_eq!(start.num_calls(), 0);
    assert_eq!(publish.num_calls(), 1);
}

#[tokio::test]
async fn a_dry_run_reports_the_planned_starts_and_starts_nothing() {
    let describe = mock!(Drs::describe_source_servers)
        .then_output(|| page(vec![sdk_server(1, DataReplicationState::Stopped)], None));
    let start = mock!(Drs::start_replication).then_output(|| started(1));
    let publish = publish_rule();
    let app = function(drs_client(&[&describe, &start]), sns_client(&[&publish]));
    let report = run(&app, &json!({"targets": [id(1)], "dryRun": true}))
        .await
        .expect("report");
    assert_eq!(report.status, RunStatus::DryRun);
    assert_eq!(report.outcomes[0].result, OutcomeResult::Planned);
    assert_eq!(report.outcomes[0].action, "StartReplication");
    assert_eq!(start.num_calls(), 0);
    assert_eq!(publish.num_calls(), 1);
}

const TARGET: &str = "123456789012";
const STAGING: &str = "345678901234";

/// Server `n` of the target account, extended from the staging account's server `n + 500`.
fn extended_server(n: u32) -> aws_sdk_drs::types::SourceServer {
    let mut server = sdk_server(n, DataReplicationState::Stopped);
    server.staging_area = Some(
        aws_sdk_drs::types::StagingArea::builder()
            .status(aws_sdk_drs::types::ExtensionStatus::Extended)
            .staging_account_id(STAGING)
            .staging_source_server_arn(format!(
                "arn:aws:drs:us-east-1:{STAGING}:source-server/{}",
                id(n + 500)
            ))
            .build(),
    );
    server
}

/// A fleet of the target account and the staging account in us-east-1: the target lists
/// extended server 1, the staging account its server 501, STOPPED. Runs `event` over it and
/// returns the report with the StartReplication rules of each account.
async fn staging_fleet_run(event: &Value) -> (RunReport, Rule, Rule) {
    let target_describe =
        mock!(Drs::describe_source_servers).then_output(|| page(vec![extended_server(1)], None));
    let target_start = mock!(Drs::start_replication).then_output(|| started(1));
    let staging_describe = mock!(Drs::describe_source_servers)
        .then_output(|| page(vec![sdk_server(501, DataReplicationState::Stopped)], None));
    let staging_start = mock!(Drs::start_replication)
        .match_requests(|r| r.source_server_id() == Some(id(501).as_str()))
        .then_output(|| started(501));
    let publish = publish_rule();
    let (function, _, sns) = function(drs_client(&[]), sns_client(&[&publish]));
    let at = |account: &str| {
        dr_core::fleet::Target::home(Some(account.into()), Some("us-east-1".into()))
    };
    let fleet = [
        Connected::new(
            at(TARGET),
            drs_client(&[&target_describe, &target_start]),
            None,
        ),
        Connected::new(
            at(STAGING),
            drs_client(&[&staging_describe, &staging_start]),
            None,
        ),
    ];
    let report = dr_core::function::handle(
        &function,
        &fleet,
        &publisher(sns),
        event,
        &dr_core::invocation::Invocation::at(NOW),
    )
    .await
    .expect("report");
    (report, target_start, staging_start)
}

#[tokio::test]
async fn an_extended_server_is_started_in_its_staging_account_of_the_fleet() {
    let (report, target_start, staging_start) = staging_fleet_run(&json!({})).await;
    assert_eq!(
        (target_start.num_calls(), staging_start.num_calls()),
        (0, 1)
    );
    let outcome = &report.outcomes[0];
    assert_eq!(
        (outcome.target.as_str(), outcome.account.as_deref()),
        (id(501).as_str(), Some(STAGING))
    );
    assert_eq!(
        outcome.detail.as_deref(),
        Some(format!("for extended server {} of account {TARGET}", id(1)).as_str())
    );
    assert_eq!(report.skips[0].account.as_deref(), Some(TARGET));
    assert!(report.skips[0]
        .reason
        .ends_with("started there, on its staging source server s-00000000000000501"));
}

#[tokio::test]
async fn a_dry_run_over_the_fleet_plans_the_staging_start_and_starts_nothing() {
    let (report, target_start, staging_start) = staging_fleet_run(&json!({"dryRun": true})).await;
    assert_eq!(
        (target_start.num_calls(), staging_start.num_calls()),
        (0, 0)
    );
    assert_eq!(report.outcomes[0].result, OutcomeResult::Planned);
    assert_eq!(report.outcomes[0].account.as_deref(), Some(STAGING));
    assert!(report.outcomes[0]
        .detail
        .as_deref()
        .is_some_and(|d| d.starts_with("for extended server")));
}
