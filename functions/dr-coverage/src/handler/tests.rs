//! Whole invocations through the core's entry point, against mocked Backup, DRS, MGN and SNS.

use super::*;
use crate::testing::*;
use aws_sdk_backup::operation::list_copy_jobs::ListCopyJobsOutput;
use aws_sdk_backup::operation::list_recovery_points_by_backup_vault::ListRecoveryPointsByBackupVaultOutput;
use aws_sdk_backup::types::{
    CopyJob, CopyJobState, RecoveryPointByBackupVault, RecoveryPointStatus,
};
use aws_sdk_backup::Client as Backup;
use aws_smithy_mocks::{mock, Rule};
use aws_smithy_types::DateTime;
use dr_core::invocation::{HandlerError, Invocation};
use dr_core::report::{OutcomeResult, RunReport, RunStatus};
use dr_testkit::{publish_rule, publisher, sns_client};
use serde_json::{json, Value};

/// Coverage of Backup only, over one target whose Backup answers `rules`, reporting to SNS.
async fn run(rules: &[&Rule], event: &Value) -> (Result<RunReport, HandlerError>, Rule) {
    let function = Coverage {
        config: CoverageConfig {
            drs: None,
            mgn: false,
            ..config()
        },
    };
    let publish = publish_rule();
    let fleet = [Connected::home(clients(rules, &[], &[]))];
    let report = dr_core::function::handle(
        &function,
        &fleet,
        &publisher(sns_client(&[&publish])),
        event,
        &Invocation::at(NOW),
    )
    .await;
    (report, publish)
}

/// Recovery point 1 of a day ago, listed.
fn window() -> Rule {
    mock!(Backup::list_recovery_points_by_backup_vault).then_output(|| {
        ListRecoveryPointsByBackupVaultOutput::builder()
            .recovery_points(
                RecoveryPointByBackupVault::builder()
                    .recovery_point_arn(rp(1))
                    .backup_vault_arn(PRIMARY)
                    .status(RecoveryPointStatus::Completed)
                    .creation_date(DateTime::from_secs(NOW - DAY))
                    .build(),
            )
            .build()
    })
}

/// Completed copies of recovery point 1 to `destinations`, and nothing failed.
fn copied_to(destinations: &'static [&'static str]) -> Rule {
    mock!(Backup::list_copy_jobs).then_compute_output(move |r| {
        let jobs = destinations
            .iter()
            .filter(|d| r.by_destination_vault_arn() == Some(**d))
            .map(|d| {
                CopyJob::builder()
                    .copy_job_id(format!("cj-{d}"))
                    .source_recovery_point_arn(rp(1))
                    .destination_backup_vault_arn(*d)
                    .state(CopyJobState::Completed)
                    .creation_date(DateTime::from_secs(NOW - DAY + 60))
                    .build()
            })
            .collect();
        ListCopyJobsOutput::builder()
            .set_copy_jobs(Some(jobs))
            .build()
    })
}

#[tokio::test]
async fn a_scheduled_run_with_every_copy_made_succeeds_and_publishes_its_report() {
    let (points, copies) = (window(), copied_to(&[WEST, ISOLATED]));
    let (report, publish) = run(&[&points, &copies], &json!({"schedule": "dr-coverage"})).await;
    let report = report.expect("a report");
    assert_eq!(report.status, RunStatus::Succeeded);
    assert_eq!((report.counts.unchanged, report.counts.failed), (2, 0));
    assert!(report
        .outcomes
        .iter()
        .all(|o| o.state.as_deref() == Some("COVERED")));
    assert_eq!(publish.num_calls(), 1);
}

#[tokio::test]
async fn a_missing_copy_makes_the_run_partly_failed_naming_the_point_and_destination() {
    let (points, copies) = (window(), copied_to(&[WEST]));
    let (report, _) = run(&[&points, &copies], &json!({})).await;
    let report = report.expect("a report");
    assert_eq!(report.status, RunStatus::PartiallyFailed);
    let failed: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|o| o.result == OutcomeResult::Failed)
        .map(|o| o.target.as_str())
        .collect();
    assert_eq!(failed, [format!("{} -> {ISOLATED}", rp(1))]);
    assert_eq!(report.counts.retryable, 0, "a gap is not retried away");
}

#[tokio::test]
async fn a_dry_run_reports_the_same_judgements_with_nothing_to_apply() {
    let (points, copies) = (window(), copied_to(&[WEST]));
    let (report, _) = run(&[&points, &copies], &json!({"dryRun": true})).await;
    let report = report.expect("a report");
    assert!(report.dry_run);
    assert_eq!(report.status, RunStatus::DryRun);
    assert_eq!(
        (
            report.counts.unchanged,
            report.counts.failed,
            report.counts.planned
        ),
        (1, 1, 0)
    );
}

#[tokio::test]
async fn an_event_a_coverage_run_does_not_act_on_reads_nothing() {
    let (points, copies) = (window(), copied_to(&[WEST]));
    let sample = dr_testkit::samples::events_dir().join("drs-recovery/alarm-lambda-action.json");
    let alarm = dr_testkit::samples::read_json(&sample).expect("the sample");
    let (report, _) = run(&[&points, &copies], &alarm).await;
    let report = report.expect("a report");
    assert!(report.outcomes.is_empty());
    assert_eq!(report.counts.skipped, 1);
    assert_eq!((points.num_calls(), copies.num_calls()), (0, 0));
}

#[tokio::test]
async fn a_refused_read_stops_the_target_and_says_which() {
    let points = window();
    let denied = mock!(Backup::list_copy_jobs).then_http_response(|| {
        dr_testkit::error_response(
            dr_testkit::Protocol::RestJsonCapitalised,
            403,
            "AccessDeniedException",
        )
    });
    let (report, _) = run(&[&points, &denied], &json!({})).await;
    let report = report.expect("a report");
    assert_eq!(report.status, RunStatus::Failed);
    let error = report.targets[0]
        .error
        .as_ref()
        .expect("the target stopped");
    assert!(error.message.contains("ListCopyJobs"), "{}", error.message);
}

#[test]
fn the_measures_are_the_coverage_of_the_facts() {
    let function = Coverage { config: config() };
    let facts = Facts {
        observed_at: NOW,
        mgn: Some(vec![]),
        ..Facts::default()
    };
    let names: Vec<String> = function
        .measure(&facts, &[])
        .iter()
        .map(|m| m.name.clone())
        .collect();
    assert_eq!(names, ["MgnServers", "MgnReplicationStalled"]);
}
