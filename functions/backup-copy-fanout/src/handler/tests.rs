//! Whole invocations through the core's entry point, against mocked Backup and SNS clients.

use super::*;
use crate::testing::*;
use aws_sdk_backup::types::{CopyJobState, RecoveryPointStatus as SdkStatus};
use aws_sdk_backup::Client as Backup;
use aws_smithy_mocks::{mock, Rule};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::DateTime;
use dr_core::invocation::HandlerError;
use dr_core::report::{OutcomeResult, RunReport, RunStatus};
use dr_testkit::{publish_rule, publisher, sns_client};
use serde_json::{json, Value};

/// The fan-out over one target whose Backup is `backup`, reporting through `sns`.
type Deployed = (
    BackupCopyFanout,
    [Connected<Backup>; 1],
    aws_sdk_sns::Client,
);

fn fanout(backup: Backup, sns: aws_sdk_sns::Client) -> Deployed {
    let function = BackupCopyFanout { config: config() };
    (function, [Connected::home(backup)], sns)
}

async fn run(
    (function, fleet, sns): &Deployed,
    event: &Value,
    now: i64,
) -> Result<RunReport, HandlerError> {
    dr_core::function::handle(
        function,
        fleet,
        &publisher(sns.clone()),
        event,
        &dr_core::invocation::Invocation::at(now),
    )
    .await
}

fn backup_job_completed(n: u32, vault: &str) -> Value {
    json!({
        "version": "0", "id": "b2f0c6a4-6c1e-4d3b-9e8f-1a2b3c4d5e6f",
        "detail-type": "Backup Job State Change", "source": "aws.backup",
        "account": "123456789012", "time": "2026-11-20T09:31:12Z", "region": "us-east-1",
        "resources": [rp(n)],
        "detail": {"backupJobId": "bj-1", "backupSizeInBytes": "8589934592",
                   "backupVaultArn": format!("arn:aws:backup:us-east-1:123456789012:backup-vault:{vault}"),
                   "backupVaultName": vault, "resourceArn": volume(n), "resourceType": "EBS",
                   "state": "COMPLETED"}
    })
}

#[tokio::test]
async fn handler_copies_a_completed_backup_and_publishes_the_report() {
    let describe = mock!(Backup::describe_recovery_point)
        .match_requests(|r| r.backup_vault_name() == Some(SOURCE_VAULT))
        .then_output(|| described(1));
    let list = no_jobs();
    let start_west = mock!(Backup::start_copy_job)
        .match_requests(|r| r.destination_backup_vault_arn() == Some(WEST))
        .then_output(|| started("job-west", NOW));
    let start_isolated = mock!(Backup::start_copy_job)
        .match_requests(|r| r.destination_backup_vault_arn() == Some(ISOLATED))
        .then_output(|| started("job-isolated", NOW));
    let publish = publish_rule();
    let app = fanout(
        backup_client(&[&describe, &list, &start_west, &start_isolated]),
        sns_client(&[&publish]),
    );
    let report = run(&app, &backup_job_completed(1, SOURCE_VAULT), NOW)
        .await
        .expect("report");
    assert_eq!(report.status, RunStatus::Succeeded);
    assert_eq!(report.trigger, "aws.backup Backup Job State Change");
    assert_eq!((report.counts.done, report.counts.skipped), (2, 0));
    let details: Vec<&str> = report
        .outcomes
        .iter()
        .filter_map(|o| o.detail.as_deref())
        .collect();
    assert_eq!(
        details,
        [
            "copy job job-west (attempt 1)",
            "copy job job-isolated (attempt 1); queued in CREATED behind the copy to \
             arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west started by this run: AWS \
             Backup runs one backup or copy job per resource at a time",
        ],
        "both destinations start in one run"
    );
    assert_eq!(
        list.num_calls(),
        3,
        "CREATED, RUNNING, and this recovery point's copies"
    );
    assert_eq!((start_west.num_calls(), start_isolated.num_calls()), (1, 1));
    assert_eq!(publish.num_calls(), 1);
}

#[tokio::test]
async fn handler_redelivery_starts_nothing_new() {
    let describe = mock!(Backup::describe_recovery_point).then_output(|| described(1));
    let list = mock!(Backup::list_copy_jobs).then_compute_output(|r| {
        let running = copy_job("job-west", 1, WEST, CopyJobState::Running);
        let queued = copy_job("job-isolated", 1, ISOLATED, CopyJobState::Created);
        match r.by_state() {
            Some(CopyJobState::Running) => jobs_page(vec![running], None),
            Some(CopyJobState::Created) => jobs_page(vec![queued], None),
            None => jobs_page(vec![running, queued], None),
            Some(_) => jobs_page(vec![], None),
        }
    });
    let start = mock!(Backup::start_copy_job).then_output(|| started("x", NOW));
    let publish = publish_rule();
    let app = fanout(
        backup_client(&[&describe, &list, &start]),
        sns_client(&[&publish]),
    );
    let report = run(&app, &backup_job_completed(1, SOURCE_VAULT), NOW)
        .await
        .expect("report");
    assert_eq!(start.num_calls(), 0);
    assert_eq!(report.status, RunStatus::Succeeded);
    let reasons: Vec<&str> = report.skips.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(
        reasons,
        vec![
            "copy job job-west is RUNNING",
            "copy job job-isolated is CREATED"
        ]
    );
}

#[tokio::test]
async fn handler_skips_a_vault_outside_the_allowlist_without_calling_aws() {
    let describe = mock!(Backup::describe_recovery_point).then_output(|| described(1));
    let publish = publish_rule();
    let app = fanout(backup_client(&[&describe]), sns_client(&[&publish]));
    let report = run(&app, &backup_job_completed(1, "scratch"), NOW)
        .await
        .expect("report");
    assert_eq!(describe.num_calls(), 0);
    assert_eq!(report.counts.skipped, 1);
    assert_eq!(
        report.skips[0].reason,
        "source vault `scratch` is not in BACKUP_SOURCE_VAULTS"
    );
    assert_eq!(publish.num_calls(), 1);
}

fn sweep_of_two() -> (Rule, Rule) {
    let list = mock!(Backup::list_recovery_points_by_backup_vault).then_output(|| {
        points_page(
            vec![
                listed(1, SdkStatus::Completed),
                listed(2, SdkStatus::Completed),
            ],
            None,
        )
    });
    (list, no_jobs())
}

#[tokio::test]
async fn handler_fails_the_invocation_only_for_retryable_failures() {
    let (list, jobs) = sweep_of_two();
    let ok = mock!(Backup::start_copy_job)
        .match_requests(|r| r.recovery_point_arn() == Some(rp(1).as_str()))
        .then_output(|| started("job-1", NOW));
    let throttled = mock!(Backup::start_copy_job)
        .match_requests(|r| r.recovery_point_arn() == Some(rp(2).as_str()))
        .then_http_response(|| backup_error(429, "ThrottlingException"));
    let publish = publish_rule();
    let app = fanout(
        backup_client(&[&list, &jobs, &ok, &throttled]),
        sns_client(&[&publish]),
    );
    let err = run(&app, &json!({"schedule": "sweep"}), NOW)
        .await
        .expect_err("retryable failure fails the invocation");
    assert!(matches!(err, HandlerError::Retryable(_)), "{err}");
    assert_eq!(
        publish.num_calls(),
        1,
        "the report is published before failing"
    );
    assert_eq!(err.error_type(), "RetryableFailures");

    let (list, jobs) = sweep_of_two();
    let not_found = mock!(Backup::start_copy_job)
        .match_requests(|r| r.recovery_point_arn() == Some(rp(2).as_str()))
        .then_http_response(|| backup_error(404, "ResourceNotFoundException"));
    let publish = publish_rule();
    let app = fanout(
        backup_client(&[&list, &jobs, &ok, &not_found]),
        sns_client(&[&publish]),
    );
    let report = run(&app, &json!({"schedule": "sweep"}), NOW)
        .await
        .expect("non-retryable failures are reported, not retried");
    assert_eq!(report.status, RunStatus::PartiallyFailed);
    assert_eq!(
        (report.counts.done, report.counts.failed),
        (2, 2),
        "both destinations of each point"
    );
    assert_eq!(publish.num_calls(), 1);
}

#[tokio::test]
async fn handler_alerts_for_an_exhausted_destination_and_copies_to_the_others() {
    let describe = mock!(Backup::describe_recovery_point).then_output(|| described(1));
    let list = three_failures_to_west();
    let start = mock!(Backup::start_copy_job)
        .match_requests(|r| r.destination_backup_vault_arn() == Some(ISOLATED))
        .then_output(|| started("x", NOW));
    let publish = publish_rule();
    let app = fanout(
        backup_client(&[&describe, &list, &start]),
        sns_client(&[&publish]),
    );
    // Every destination is asked for, as a sweep re-examining a failed copy would.
    let event = json!({"targets": [rp(1)]});
    let report = run(&app, &event, NOW)
        .await
        .expect("an exhausted retry is an alert, not a retryable failure");
    assert_eq!(start.num_calls(), 1, "only the other destination starts");
    assert_eq!(report.status, RunStatus::PartiallyFailed);
    assert_eq!((report.counts.failed, report.counts.done), (1, 1));
    let alert = report
        .outcomes
        .iter()
        .find(|o| o.result == OutcomeResult::Failed)
        .and_then(|o| o.detail.clone())
        .unwrap_or_default();
    assert!(
        alert.starts_with("CopyAttemptsExhausted: 3 copy attempts failed"),
        "{alert}"
    );
}

/// `ListCopyJobs` that finds three failed copies of recovery point 1 to the west vault.
fn three_failures_to_west() -> Rule {
    mock!(Backup::list_copy_jobs).then_compute_output(|r| {
        if r.by_source_recovery_point_arn().is_some() {
            jobs_page(
                ["f1", "f2", "f3"]
                    .map(|id| copy_job(id, 1, WEST, CopyJobState::Failed))
                    .to_vec(),
                None,
            )
        } else {
            jobs_page(vec![], None)
        }
    })
}

#[tokio::test]
async fn handler_alerts_when_a_failed_copy_event_finds_the_attempts_exhausted() {
    let describe = mock!(Backup::describe_recovery_point).then_output(|| described(1));
    let list = three_failures_to_west();
    let start = mock!(Backup::start_copy_job).then_output(|| started("x", NOW));
    let publish = publish_rule();
    let app = fanout(
        backup_client(&[&describe, &list, &start]),
        sns_client(&[&publish]),
    );
    let event = json!({
        "version": "0", "id": "5d7e2f1a-0b9c-4e8d-a6f5-4c3b2a190807",
        "detail-type": "Copy Job State Change", "source": "aws.backup",
        "account": "123456789012", "region": "us-east-1", "resources": [rp(1)],
        "detail": {"copyJobId": "f3", "state": "FAILED", "resourceType": "EBS",
                   "sourceBackupVaultArn": PRIMARY, "destinationBackupVaultArn": WEST,
                   "statusMessage": "f3 status"}
    });
    let report = run(&app, &event, NOW)
        .await
        .expect("an exhausted retry is an alert, not a retryable failure");
    assert_eq!(start.num_calls(), 0);
    assert_eq!(report.status, RunStatus::Failed);
    assert_eq!(report.counts.failed, 1);
    let detail = report.outcomes[0].detail.clone().unwrap_or_default();
    assert!(
        detail.starts_with("CopyAttemptsExhausted: 3 copy attempts failed"),
        "{detail}"
    );
    assert_eq!(publish.num_calls(), 1);
}

#[tokio::test]
async fn handler_dry_run_plans_without_starting() {
    let describe = mock!(Backup::describe_recovery_point).then_output(|| described(1));
    let list = no_jobs();
    let start = mock!(Backup::start_copy_job).then_output(|| started("x", NOW));
    let publish = publish_rule();
    let app = fanout(
        backup_client(&[&describe, &list, &start]),
        sns_client(&[&publish]),
    );
    let report = run(&app, &json!({"targets": [rp(1)], "dryRun": true}), NOW)
        .await
        .expect("report");
    assert_eq!(report.status, RunStatus::DryRun);
    assert_eq!(report.counts.planned, 2);
    assert_eq!(start.num_calls(), 0);
}

#[tokio::test]
async fn handler_rejects_bad_events_without_calling_aws() {
    let list = mock!(Backup::list_recovery_points_by_backup_vault)
        .then_output(|| points_page(vec![], None));
    let publish = publish_rule();
    let app = fanout(backup_client(&[&list]), sns_client(&[&publish]));
    for bad in [
        json!("x"),
        json!({"targets": 5}),
        json!({"source": "aws.backup", "detail-type": "Backup Job State Change", "detail": {"state": "COMPLETED"}}),
    ] {
        let err = run(&app, &bad, NOW).await.expect_err("rejected");
        assert_eq!(err.error_type(), "BadEvent");
    }
    assert_eq!(list.num_calls(), 0);
    assert_eq!(publish.num_calls(), 0);
}

#[tokio::test]
async fn handler_reports_an_observe_failure() {
    let list = mock!(Backup::list_recovery_points_by_backup_vault)
        .then_http_response(|| backup_error(404, "ResourceNotFoundException"));
    let start = mock!(Backup::start_copy_job).then_output(|| started("x", NOW));
    let publish = publish_rule();
    let jobs = no_jobs();
    let app = fanout(
        backup_client(&[&list, &jobs, &start]),
        sns_client(&[&publish]),
    );
    let report = run(&app, &json!({}), NOW)
        .await
        .expect("fatal observe failures are reported");
    assert_eq!(report.status, RunStatus::Failed);
    assert!(report.error.as_ref().is_some_and(|e| e
        .message
        .starts_with("ListRecoveryPointsByBackupVault failed: ResourceNotFoundException")));
    assert_eq!(start.num_calls(), 0);
    assert_eq!(publish.num_calls(), 1);
}

#[tokio::test]
async fn handler_fails_when_the_report_cannot_be_published() {
    let (list, jobs) = sweep_of_two();
    let start = mock!(Backup::start_copy_job).then_output(|| started("job", NOW));
    let publish = mock!(aws_sdk_sns::Client::publish).then_http_response(|| {
        HttpResponse::new(
            StatusCode::try_from(403).expect("valid status"),
            SdkBody::from(
                "<ErrorResponse><Error><Type>Sender</Type><Code>AuthorizationError</Code>\
                 <Message>not allowed</Message></Error></ErrorResponse>",
            ),
        )
    });
    let app = fanout(
        backup_client(&[&list, &jobs, &start]),
        sns_client(&[&publish]),
    );
    let err = run(&app, &json!({}), NOW)
        .await
        .expect_err("unpublished report");
    assert_eq!(err.error_type(), "ReportNotPublished");
    assert_eq!(start.num_calls(), 4);
}

#[tokio::test]
async fn a_sweep_finishes_the_fan_out_of_a_point_older_than_its_window_whose_copy_failed() {
    // The sweep window holds nothing; a copy of rp(50), days old, failed and its event was lost.
    let list = mock!(Backup::list_recovery_points_by_backup_vault)
        .then_output(|| points_page(vec![], None));
    let old_failure = || copy_job("lost", 50, WEST, CopyJobState::Failed);
    let failures = mock!(Backup::list_copy_jobs)
        .match_requests(|r| r.by_state() == Some(&CopyJobState::Failed))
        .then_output(move || jobs_page(vec![old_failure()], None));
    let by_source = mock!(Backup::list_copy_jobs)
        .match_requests(|r| r.by_source_recovery_point_arn() == Some(rp(50).as_str()))
        .then_output(move || jobs_page(vec![old_failure()], None));
    let others = no_jobs();
    let describe = mock!(Backup::describe_recovery_point)
        .match_requests(|r| {
            r.recovery_point_arn() == Some(rp(50).as_str())
                && r.backup_vault_name() == Some(SOURCE_VAULT)
        })
        .then_output(|| {
            let mut days_old = described(50);
            days_old.creation_date = Some(DateTime::from_secs(NOW - 5 * 86_400));
            days_old
        });
    let start = mock!(Backup::start_copy_job)
        .match_requests(|r| r.recovery_point_arn() == Some(rp(50).as_str()))
        .then_compute_output(|r| {
            started(
                &format!("job-{}", r.destination_backup_vault_arn().unwrap_or("?")),
                NOW,
            )
        });
    let publish = publish_rule();
    let app = fanout(
        backup_client(&[&list, &failures, &by_source, &others, &describe, &start]),
        sns_client(&[&publish]),
    );
    let report = run(&app, &json!({"schedule": "sweep"}), NOW)
        .await
        .expect("report");
    assert_eq!(describe.num_calls(), 1);
    assert_eq!(by_source.num_calls(), 1);
    let started: Vec<(&str, &str)> = report
        .outcomes
        .iter()
        .filter(|o| o.result == OutcomeResult::Done)
        .map(|o| (o.target.as_str(), o.detail.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(
        started,
        [
            (
                format!("{} -> {WEST}", rp(50)).as_str(),
                format!("copy job job-{WEST} (attempt 2)").as_str()
            ),
            (
                format!("{} -> {ISOLATED}", rp(50)).as_str(),
                format!(
                    "copy job job-{ISOLATED} (attempt 1); queued in CREATED behind the copy to \
                     {WEST} started by this run: AWS Backup runs one backup or copy job per \
                     resource at a time"
                )
                .as_str()
            ),
        ],
        "the failed destination is retried and the one never started is started"
    );
}
