//! SDK adapter tests: observe, apply and the whole handler against mocked Backup and SNS clients.

use super::*;
use crate::apply::Pacer;
use crate::config::{Destination, Lifecycle};
use crate::plan::{Copy, Facts, PointRequest, Scope};
use aws_sdk_backup::operation::describe_recovery_point::DescribeRecoveryPointOutput;
use aws_sdk_backup::operation::list_backup_jobs::ListBackupJobsOutput;
use aws_sdk_backup::operation::list_copy_jobs::{ListCopyJobsInput, ListCopyJobsOutput};
use aws_sdk_backup::operation::list_recovery_points_by_backup_vault::ListRecoveryPointsByBackupVaultOutput;
use aws_sdk_backup::operation::start_copy_job::StartCopyJobOutput;
use aws_sdk_backup::types::{
    BackupJob, BackupJobState, CalculatedLifecycle, CopyJob, CopyJobState,
    RecoveryPointByBackupVault, RecoveryPointStatus, StorageClass,
};
use aws_sdk_backup::Client as Backup;
use aws_sdk_sns::operation::publish::PublishOutput;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::DateTime;
use dr_core::report::{OutcomeResult, RunStatus};
use lambda_runtime::Diagnostic;
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;

const REPORT_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:dr-automation-reports";
const PRIMARY: &str = "arn:aws:backup:us-east-1:123456789012:backup-vault:primary";
const WEST: &str = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west";
const ISOLATED: &str = "arn:aws:backup:us-east-1:210987654321:backup-vault:dr-isolated";
const ROLE: &str = "arn:aws:iam::123456789012:role/dr-automation-backup-copy";
/// The run's clock: 2026-11-20T10:00:00Z.
const NOW: i64 = 1_795_168_800;

fn rp(n: u32) -> String {
    format!("arn:aws:backup:us-east-1:123456789012:recovery-point:rp-{n:04}")
}

fn volume(n: u32) -> String {
    format!("arn:aws:ec2:us-east-1:123456789012:volume/vol-{n:017}")
}

fn config() -> BackupConfig {
    BackupConfig {
        home_account: None,
        source_vaults: vec!["primary".into()],
        destinations: vec![
            Destination {
                vault_arn: WEST.into(),
                region: "us-west-2".into(),
                account: "123456789012".into(),
                lifecycle: Some(Lifecycle {
                    move_to_cold_storage_after_days: Some(30),
                    delete_after_days: Some(120),
                    opt_in_to_archive_for_supported_resources: Some(true),
                }),
            },
            Destination {
                vault_arn: ISOLATED.into(),
                region: "us-east-1".into(),
                account: "210987654321".into(),
                lifecycle: None,
            },
        ],
        copy_role_arn: ROLE.into(),
        resource_types: vec![],
        sweep_window_hours: 24,
        fanout_horizon_days: 7,
        max_attempts: 3,
        region_copy_quota: 100,
        max_concurrency: 4,
        start_rate_per_second: 100.0,
        report_topic_arn: Some(REPORT_TOPIC.into()),
        trigger_topic_arns: vec![],
        dry_run: false,
    }
}

fn listed(n: u32, status: RecoveryPointStatus) -> RecoveryPointByBackupVault {
    RecoveryPointByBackupVault::builder()
        .recovery_point_arn(rp(n))
        .backup_vault_name("primary")
        .backup_vault_arn(PRIMARY)
        .resource_arn(volume(n))
        .resource_type("EBS")
        .status(status)
        .creation_date(DateTime::from_secs(NOW - 3600 + i64::from(n)))
        .build()
}

fn points_page(
    points: Vec<RecoveryPointByBackupVault>,
    next: Option<&str>,
) -> ListRecoveryPointsByBackupVaultOutput {
    ListRecoveryPointsByBackupVaultOutput::builder()
        .set_recovery_points(Some(points))
        .set_next_token(next.map(str::to_owned))
        .build()
}

fn described(n: u32) -> DescribeRecoveryPointOutput {
    DescribeRecoveryPointOutput::builder()
        .recovery_point_arn(rp(n))
        .backup_vault_name("primary")
        .backup_vault_arn(PRIMARY)
        .resource_arn(volume(n))
        .resource_type("EBS")
        .status(RecoveryPointStatus::Completed)
        .creation_date(DateTime::from_secs(NOW - 600))
        .build()
}

fn copy_job(id: &str, n: u32, dest: &str, state: CopyJobState) -> CopyJob {
    CopyJob::builder()
        .copy_job_id(id)
        .source_recovery_point_arn(rp(n))
        .source_backup_vault_arn(PRIMARY)
        .destination_backup_vault_arn(dest)
        .resource_arn(volume(n))
        .state(state)
        .status_message(format!("{id} status"))
        .creation_date(DateTime::from_secs(NOW - 300))
        .build()
}

fn jobs_page(jobs: Vec<CopyJob>, next: Option<&str>) -> ListCopyJobsOutput {
    ListCopyJobsOutput::builder()
        .set_copy_jobs(Some(jobs))
        .set_next_token(next.map(str::to_owned))
        .build()
}

fn no_jobs() -> Rule {
    mock!(Backup::list_copy_jobs).then_output(|| jobs_page(vec![], None))
}

fn no_backup_jobs() -> Rule {
    mock!(Backup::list_backup_jobs).then_output(|| ListBackupJobsOutput::builder().build())
}

fn started(id: &str, created: i64) -> StartCopyJobOutput {
    StartCopyJobOutput::builder()
        .copy_job_id(id)
        .creation_date(DateTime::from_secs(created))
        .build()
}

/// A restJson1 error response exactly as AWS Backup sends it.
fn backup_error(status: u16, error_type: &str) -> HttpResponse {
    let mut resp = HttpResponse::new(
        StatusCode::try_from(status).expect("valid status"),
        SdkBody::from(json!({"Message": format!("{error_type} from test")}).to_string()),
    );
    resp.headers_mut()
        .insert("x-amzn-errortype", error_type.to_owned());
    resp.headers_mut()
        .insert("content-type", "application/json");
    resp
}

/// A Backup client answering `rules`, the first that matches, and then an empty backup-job
/// listing to any `ListBackupJobs` they leave.
fn backup_client(rules: &[&Rule]) -> Backup {
    let backup_jobs = no_backup_jobs();
    let mut rules = rules.to_vec();
    rules.push(&backup_jobs);
    mock_client!(aws_sdk_backup, RuleMode::MatchAny, &rules, |c| c
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1))
        ))
}

fn sweep() -> Scope {
    Scope {
        sweep: true,
        ..Scope::default()
    }
}

#[tokio::test]
async fn observe_sweep_follows_every_page() {
    let list = mock!(Backup::list_recovery_points_by_backup_vault)
        .match_requests(|r| {
            r.backup_vault_name() == Some("primary")
                && r.by_created_after() == Some(&DateTime::from_secs(NOW - 24 * 3600))
                && r.max_results() == Some(1000)
        })
        .sequence()
        .output(|| {
            points_page(
                vec![
                    listed(1, RecoveryPointStatus::Completed),
                    listed(2, RecoveryPointStatus::Partial),
                ],
                Some("p2"),
            )
        })
        .output(|| {
            points_page(
                vec![
                    RecoveryPointByBackupVault::builder().build(),
                    listed(3, RecoveryPointStatus::Completed),
                ],
                None,
            )
        })
        .build();
    let recent_to = |vault: &'static str| {
        move |r: &ListCopyJobsInput| {
            r.by_created_after() == Some(&DateTime::from_secs(NOW - 24 * 3600))
                && r.by_destination_vault_arn() == Some(vault)
        }
    };
    let to_west = mock!(Backup::list_copy_jobs)
        .match_requests(recent_to(WEST))
        .sequence()
        .output(|| {
            jobs_page(
                vec![copy_job("j1", 1, WEST, CopyJobState::Completed)],
                Some("c2"),
            )
        })
        .output(|| jobs_page(vec![copy_job("j3", 3, WEST, CopyJobState::Failed)], None))
        .build();
    let to_isolated = mock!(Backup::list_copy_jobs)
        .match_requests(recent_to(ISOLATED))
        .then_output(|| {
            jobs_page(
                vec![copy_job("j2", 1, ISOLATED, CopyJobState::Running)],
                None,
            )
        });
    let running = mock!(Backup::list_copy_jobs)
        .match_requests(|r| r.by_state() == Some(&CopyJobState::Running))
        .then_output(|| {
            jobs_page(
                vec![
                    copy_job("j2", 1, ISOLATED, CopyJobState::Running),
                    copy_job("j9", 9, WEST, CopyJobState::Running),
                ],
                None,
            )
        });
    let created = mock!(Backup::list_copy_jobs)
        .match_requests(|r| r.by_state() == Some(&CopyJobState::Created))
        .then_output(|| jobs_page(vec![], None));
    let failures = mock!(Backup::list_copy_jobs)
        .match_requests(|r| {
            matches!(
                r.by_state(),
                Some(CopyJobState::Failed | CopyJobState::Partial)
            ) && r.by_created_after() == Some(&DateTime::from_secs(NOW - 7 * 86_400))
        })
        .then_output(|| jobs_page(vec![], None));
    let backup_jobs = mock!(Backup::list_backup_jobs)
        .match_requests(|r| r.max_results() == Some(1000))
        .then_compute_output(|r| {
            let job = |id: &str, n: u32, state: BackupJobState| {
                BackupJob::builder()
                    .backup_job_id(id)
                    .resource_arn(volume(n))
                    .state(state)
                    .build()
            };
            let jobs = match r.by_state() {
                Some(BackupJobState::Running) => vec![job("bj-1", 1, BackupJobState::Running)],
                Some(BackupJobState::Pending) => vec![job("bj-2", 2, BackupJobState::Pending)],
                _ => vec![],
            };
            ListBackupJobsOutput::builder()
                .set_backup_jobs(Some(jobs))
                .build()
        });
    let backup = backup_client(&[
        &list,
        &to_west,
        &to_isolated,
        &running,
        &created,
        &failures,
        &backup_jobs,
    ]);
    let facts = observe::facts(&backup, &config(), &sweep(), NOW)
        .await
        .expect("observed");
    assert_eq!(list.num_calls(), 2);
    assert_eq!(
        failures.num_calls(),
        2,
        "failed and partial copies of the last 7 days"
    );
    assert_eq!(
        backup_jobs.num_calls(),
        3,
        "backup jobs CREATED, PENDING and RUNNING"
    );
    assert_eq!(
        facts.backup_jobs,
        vec![
            observe::BackupJob {
                id: "bj-2".into(),
                resource_arn: Some(volume(2)),
                state: "PENDING".into(),
            },
            observe::BackupJob {
                id: "bj-1".into(),
                resource_arn: Some(volume(1)),
                state: "RUNNING".into(),
            },
        ]
    );
    assert_eq!(
        to_west.num_calls(),
        2,
        "one listing per destination, every page"
    );
    assert_eq!(to_isolated.num_calls(), 1);
    let arns: Vec<_> = facts
        .recovery_points
        .iter()
        .map(|p| p.arn.clone())
        .collect();
    assert_eq!(
        arns,
        vec![rp(1), rp(2), rp(3)],
        "points without an ARN are dropped"
    );
    assert_eq!(
        facts.recovery_points[1],
        observe::RecoveryPoint {
            arn: rp(2),
            vault_name: "primary".into(),
            vault_arn: Some(PRIMARY.into()),
            resource_arn: Some(volume(2)),
            resource_type: Some("EBS".into()),
            status: "PARTIAL".into(),
            created: Some(NOW - 3600 + 2),
            parent_arn: None,
            storage_class: None,
            moves_to_cold_at: None,
        }
    );
    let ids: BTreeSet<_> = facts.copy_jobs.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(
        ids,
        BTreeSet::from(["j1", "j2", "j3", "j9"]),
        "listings are merged once per job"
    );
    assert_eq!(facts.copy_jobs.len(), 4);
}

#[tokio::test]
async fn observe_locates_named_points_in_the_allowlisted_vaults_only() {
    let mut cfg = config();
    cfg.source_vaults = vec!["primary".into(), "secondary".into()];
    let in_primary = mock!(Backup::describe_recovery_point)
        .match_requests(|r| r.backup_vault_name() == Some("primary"))
        .then_http_response(|| backup_error(404, "ResourceNotFoundException"));
    let in_secondary = mock!(Backup::describe_recovery_point)
        .match_requests(|r| {
            r.backup_vault_name() == Some("secondary")
                && r.recovery_point_arn() == Some(rp(1).as_str())
        })
        .then_output(|| {
            DescribeRecoveryPointOutput::builder()
                .backup_vault_name("secondary")
                .status(RecoveryPointStatus::Completed)
                .build()
        });
    let missing = mock!(Backup::describe_recovery_point)
        .match_requests(|r| r.backup_vault_name() == Some("secondary"))
        .then_http_response(|| backup_error(404, "ResourceNotFoundException"));
    let by_source = mock!(Backup::list_copy_jobs)
        .match_requests(|r| r.by_source_recovery_point_arn() == Some(rp(1).as_str()))
        .then_output(|| jobs_page(vec![copy_job("j1", 1, WEST, CopyJobState::Failed)], None));
    let by_state = mock!(Backup::list_copy_jobs)
        .match_requests(|r| r.by_state().is_some())
        .then_output(|| jobs_page(vec![], None));
    let backup = backup_client(&[&in_primary, &in_secondary, &missing, &by_source, &by_state]);
    let scope = Scope {
        points: [1, 2]
            .map(|n| PointRequest {
                recovery_point_arn: rp(n),
                vault: None,
                destinations: None,
            })
            .to_vec(),
        ..Scope::default()
    };
    let facts = observe::facts(&backup, &cfg, &scope, NOW)
        .await
        .expect("observed");
    assert_eq!(facts.recovery_points.len(), 1);
    let found = &facts.recovery_points[0];
    assert_eq!(
        (
            found.arn.as_str(),
            found.vault_name.as_str(),
            found.status.as_str()
        ),
        (rp(1).as_str(), "secondary", "COMPLETED"),
        "the ARN asked for is kept when the answer omits it"
    );
    assert_eq!(
        facts.unreadable.get(&rp(2)).map(String::as_str),
        Some("not found in the source vaults searched (primary, secondary)")
    );
    assert_eq!(in_primary.num_calls(), 2, "not found is not retried");
    assert_eq!(by_source.num_calls(), 1, "only found points are listed");
    assert_eq!(by_state.num_calls(), 2);
    assert_eq!(facts.copy_jobs.len(), 1);
}

#[tokio::test]
async fn observe_reports_a_persistent_throttle_as_retryable() {
    let list = mock!(Backup::list_recovery_points_by_backup_vault)
        .then_http_response(|| backup_error(429, "ThrottlingException"));
    // The copy jobs are listed alongside; the failed recovery-point listing stops the run.
    let jobs = no_jobs();
    let backup = backup_client(&[&list, &jobs]);
    let err = observe::facts(&backup, &config(), &sweep(), NOW)
        .await
        .expect_err("throttled");
    assert_eq!(err.operation, "ListRecoveryPointsByBackupVault");
    assert!(err.failure.is_retryable(), "{err:?}");
    assert_eq!(list.num_calls(), 3, "the SDK retried before giving up");
}

#[tokio::test]
async fn observe_with_nothing_named_calls_nothing() {
    let list = no_jobs();
    let backup = backup_client(&[&list]);
    let facts = observe::facts(&backup, &config(), &Scope::default(), NOW)
        .await
        .expect("observed");
    assert_eq!(
        facts,
        Facts {
            observed_at: NOW,
            ..Facts::default()
        }
    );
    assert_eq!(list.num_calls(), 0);
}

fn copy(n: u32, dest: &Destination, attempt: u32) -> Copy {
    Copy {
        recovery_point_arn: rp(n),
        source_vault_name: "primary".into(),
        destination: dest.clone(),
        attempt,
        queued_behind: None,
    }
}

#[tokio::test]
async fn apply_handles_replay_throttling_limits_and_partial_failure() {
    let cfg = config();
    let west = &cfg.destinations[0];
    let token = copy(1, west, 1).idempotency_token();
    let ok = mock!(Backup::start_copy_job)
        .match_requests(move |r| {
            r.recovery_point_arn() == Some(rp(1).as_str())
                && r.source_backup_vault_name() == Some("primary")
                && r.destination_backup_vault_arn() == Some(WEST)
                && r.iam_role_arn() == Some(ROLE)
                && r.idempotency_token() == Some(token.as_str())
                && r.lifecycle().is_some_and(|l| {
                    l.move_to_cold_storage_after_days() == Some(30)
                        && l.delete_after_days() == Some(120)
                        && l.opt_in_to_archive_for_supported_resources() == Some(true)
                        && l.delete_after_event().is_none()
                })
        })
        .then_output(|| started("job-1", NOW + 2));
    let replay = mock!(Backup::start_copy_job)
        .match_requests(|r| r.recovery_point_arn() == Some(rp(2).as_str()))
        .then_output(|| started("job-2-earlier", NOW - 3600));
    let throttled_then_ok = mock!(Backup::start_copy_job)
        .match_requests(|r| r.recovery_point_arn() == Some(rp(3).as_str()))
        .sequence()
        .http_response(|| backup_error(429, "ThrottlingException"))
        .times(2)
        .output(|| started("job-3", NOW + 3))
        .build();
    let limited = mock!(Backup::start_copy_job)
        .match_requests(|r| r.recovery_point_arn() == Some(rp(4).as_str()))
        .then_http_response(|| backup_error(400, "LimitExceededException"));
    let invalid = mock!(Backup::start_copy_job)
        .match_requests(|r| r.recovery_point_arn() == Some(rp(5).as_str()))
        .then_http_response(|| backup_error(400, "InvalidParameterValueException"));
    let unavailable = mock!(Backup::start_copy_job)
        .match_requests(|r| r.recovery_point_arn() == Some(rp(6).as_str()))
        .then_http_response(|| backup_error(503, "ServiceUnavailableException"));
    let no_lifecycle = mock!(Backup::start_copy_job)
        .match_requests(|r| {
            r.recovery_point_arn() == Some(rp(7).as_str())
                && r.destination_backup_vault_arn() == Some(ISOLATED)
                && r.lifecycle().is_none()
                && r.idempotency_token().is_some_and(|t| t.ends_with("-2"))
        })
        .then_output(|| started("job-7", NOW + 4));
    let backup = backup_client(&[
        &ok,
        &replay,
        &throttled_then_ok,
        &limited,
        &invalid,
        &unavailable,
        &no_lifecycle,
    ]);
    let mut copies: Vec<Copy> = (1..=6).map(|n| copy(n, west, 1)).collect();
    copies.push(copy(7, &cfg.destinations[1], 2));
    let outcomes = apply::start_copy_jobs(&backup, &cfg, &copies, false, NOW).await;
    let summary: Vec<(String, OutcomeResult, bool)> = outcomes
        .iter()
        .map(|o| (o.target.clone(), o.result, o.retryable))
        .collect();
    assert_eq!(
        summary,
        vec![
            (copies[0].target(), OutcomeResult::Done, false),
            (copies[1].target(), OutcomeResult::Unchanged, false),
            (copies[2].target(), OutcomeResult::Done, false),
            (copies[3].target(), OutcomeResult::Unchanged, false),
            (copies[4].target(), OutcomeResult::Failed, false),
            (copies[5].target(), OutcomeResult::Failed, true),
            (copies[6].target(), OutcomeResult::Done, false),
        ]
    );
    let detail = |i: usize| outcomes[i].detail.clone().unwrap_or_default();
    assert_eq!(detail(0), "copy job job-1 (attempt 1)");
    assert!(
        detail(1).starts_with(
            "copy job job-2-earlier (attempt 1) was already started by an earlier delivery"
        ),
        "{}",
        detail(1)
    );
    assert_eq!(detail(2), "copy job job-3 (attempt 1)");
    assert!(
        detail(3).starts_with("deferred, nothing started (LimitExceededException"),
        "{}",
        detail(3)
    );
    assert!(
        detail(4).starts_with("InvalidParameterValueException"),
        "{}",
        detail(4)
    );
    assert!(
        detail(5).starts_with("ServiceUnavailableException"),
        "{}",
        detail(5)
    );
    assert_eq!(detail(6), "copy job job-7 (attempt 2)");
    assert_eq!(throttled_then_ok.num_calls(), 3);
    assert_eq!(unavailable.num_calls(), 3);
    assert_eq!(invalid.num_calls(), 1, "client errors are not retried");
    assert_eq!(
        limited.num_calls(),
        3,
        "the SDK retries LimitExceededException as throttling before it is deferred"
    );
    assert_eq!(no_lifecycle.num_calls(), 1);
}

#[tokio::test]
async fn apply_dry_run_calls_nothing() {
    let start = mock!(Backup::start_copy_job).then_output(|| started("x", NOW));
    let backup = backup_client(&[&start]);
    let cfg = config();
    let c = copy(1, &cfg.destinations[0], 2);
    let outcomes = apply::start_copy_jobs(&backup, &cfg, std::slice::from_ref(&c), true, NOW).await;
    assert_eq!(outcomes[0].result, OutcomeResult::Planned);
    assert_eq!(
        outcomes[0].detail.as_deref(),
        Some(format!("attempt 2, idempotency token {}", c.idempotency_token()).as_str())
    );
    assert_eq!(start.num_calls(), 0);
}

#[tokio::test]
async fn pacer_spaces_starts_at_the_configured_rate() {
    let pacer = Pacer::new(50.0);
    let began = tokio::time::Instant::now();
    wait_all(&pacer, 5).await;
    // Five starts at 50 per second: the fifth waits four intervals of 20 ms.
    assert!(
        began.elapsed() >= Duration::from_millis(80),
        "{:?}",
        began.elapsed()
    );
}

async fn wait_all(pacer: &Pacer, n: usize) {
    dr_core::fanout::run_bounded((0..n).collect(), n, |_| pacer.wait()).await;
}

fn app(backup: Backup, sns: aws_sdk_sns::Client) -> App {
    App {
        backup,
        publisher: ReportPublisher::new(sns, dr_core::arn::Arn::parse(REPORT_TOPIC).ok()),
        config: config(),
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
        .match_requests(|r| r.backup_vault_name() == Some("primary"))
        .then_output(|| described(1));
    let list = no_jobs();
    let start_west = mock!(Backup::start_copy_job)
        .match_requests(|r| r.destination_backup_vault_arn() == Some(WEST))
        .then_output(|| started("job-west", NOW));
    let start_isolated = mock!(Backup::start_copy_job)
        .match_requests(|r| r.destination_backup_vault_arn() == Some(ISOLATED))
        .then_output(|| started("job-isolated", NOW));
    let publish = publish_rule();
    let app = app(
        backup_client(&[&describe, &list, &start_west, &start_isolated]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    let report = handle_at(&app, &backup_job_completed(1, "primary"), NOW)
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
             arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west started by this run: AWS \
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
    let app = app(
        backup_client(&[&describe, &list, &start]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    let report = handle_at(&app, &backup_job_completed(1, "primary"), NOW)
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
    let app = app(
        backup_client(&[&describe]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    let report = handle_at(&app, &backup_job_completed(1, "scratch"), NOW)
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
                listed(1, RecoveryPointStatus::Completed),
                listed(2, RecoveryPointStatus::Completed),
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
    let app = app(
        backup_client(&[&list, &jobs, &ok, &throttled]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    let err = handle_at(&app, &json!({"schedule": "sweep"}), NOW)
        .await
        .expect_err("retryable failure fails the invocation");
    assert!(matches!(err, HandlerError::Retryable(_)), "{err}");
    assert_eq!(
        publish.num_calls(),
        1,
        "the report is published before failing"
    );
    assert_eq!(Diagnostic::from(err).error_type, "RetryableFailures");

    let (list, jobs) = sweep_of_two();
    let not_found = mock!(Backup::start_copy_job)
        .match_requests(|r| r.recovery_point_arn() == Some(rp(2).as_str()))
        .then_http_response(|| backup_error(404, "ResourceNotFoundException"));
    let publish = publish_rule();
    let app = self::app(
        backup_client(&[&list, &jobs, &ok, &not_found]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    let report = handle_at(&app, &json!({"schedule": "sweep"}), NOW)
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
    let app = app(
        backup_client(&[&describe, &list, &start]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    // Every destination is asked for, as a sweep re-examining a failed copy would.
    let event = json!({"targets": [rp(1)]});
    let report = handle_at(&app, &event, NOW)
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
    let app = app(
        backup_client(&[&describe, &list, &start]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    let event = json!({
        "version": "0", "id": "5d7e2f1a-0b9c-4e8d-a6f5-4c3b2a190807",
        "detail-type": "Copy Job State Change", "source": "aws.backup",
        "account": "123456789012", "region": "us-east-1", "resources": [rp(1)],
        "detail": {"copyJobId": "f3", "state": "FAILED", "resourceType": "EBS",
                   "sourceBackupVaultArn": PRIMARY, "destinationBackupVaultArn": WEST,
                   "statusMessage": "f3 status"}
    });
    let report = handle_at(&app, &event, NOW)
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
    let app = app(
        backup_client(&[&describe, &list, &start]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    let report = handle_at(&app, &json!({"targets": [rp(1)], "dryRun": true}), NOW)
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
    let app = app(
        backup_client(&[&list]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    for bad in [
        json!("x"),
        json!({"targets": 5}),
        json!({"source": "aws.backup", "detail-type": "Backup Job State Change", "detail": {"state": "COMPLETED"}}),
    ] {
        let err = handle_at(&app, &bad, NOW).await.expect_err("rejected");
        assert_eq!(Diagnostic::from(err).error_type, "BadEvent");
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
    let app = app(
        backup_client(&[&list, &jobs, &start]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    let report = handle_at(&app, &json!({}), NOW)
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
    let app = app(
        backup_client(&[&list, &jobs, &start]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    let err = handle_at(&app, &json!({}), NOW)
        .await
        .expect_err("unpublished report");
    assert_eq!(Diagnostic::from(err).error_type, "ReportNotPublished");
    assert_eq!(start.num_calls(), 4);
}

#[tokio::test]
async fn observe_describes_swept_points_due_in_cold_storage_to_read_their_storage_class() {
    let moved = |n: u32| {
        let mut p = listed(n, RecoveryPointStatus::Completed);
        p.calculated_lifecycle = Some(
            CalculatedLifecycle::builder()
                .move_to_cold_storage_at(DateTime::from_secs(NOW - 60))
                .build(),
        );
        p
    };
    let not_yet = |n: u32| {
        let mut p = listed(n, RecoveryPointStatus::Completed);
        p.calculated_lifecycle = Some(
            CalculatedLifecycle::builder()
                .move_to_cold_storage_at(DateTime::from_secs(NOW + 86_400))
                .build(),
        );
        p
    };
    let list = mock!(Backup::list_recovery_points_by_backup_vault)
        .then_output(move || points_page(vec![moved(1), not_yet(2)], None));
    let describe = mock!(Backup::describe_recovery_point)
        .match_requests(|r| r.recovery_point_arn() == Some(rp(1).as_str()))
        .then_output(|| {
            DescribeRecoveryPointOutput::builder()
                .recovery_point_arn(rp(1))
                .status(RecoveryPointStatus::Completed)
                .storage_class(StorageClass::Cold)
                .build()
        });
    let jobs = no_jobs();
    let backup = backup_client(&[&list, &describe, &jobs]);
    let facts = observe::facts(&backup, &config(), &sweep(), NOW)
        .await
        .expect("observed");
    assert_eq!(
        describe.num_calls(),
        1,
        "only the point due in cold storage"
    );
    let class = |arn: String| {
        facts
            .recovery_points
            .iter()
            .find(|p| p.arn == arn)
            .map(|p| p.storage_class.clone())
    };
    assert_eq!(class(rp(1)), Some(Some("COLD".into())));
    assert_eq!(class(rp(2)), Some(None));
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
                && r.backup_vault_name() == Some("primary")
        })
        .then_output(|| {
            DescribeRecoveryPointOutput::builder()
                .recovery_point_arn(rp(50))
                .backup_vault_arn(PRIMARY)
                .resource_arn(volume(50))
                .resource_type("EBS")
                .status(RecoveryPointStatus::Completed)
                .creation_date(DateTime::from_secs(NOW - 5 * 86_400))
                .build()
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
    let app = app(
        backup_client(&[&list, &failures, &by_source, &others, &describe, &start]),
        mock_client!(aws_sdk_sns, [&publish]),
    );
    let report = handle_at(&app, &json!({"schedule": "sweep"}), NOW)
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
