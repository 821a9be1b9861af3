//! Fixtures the crate's test modules share: the configuration, ARNs, and AWS Backup SDK answers.

use crate::config::BackupConfig;
use crate::model;
use aws_sdk_backup::operation::describe_recovery_point::DescribeRecoveryPointOutput;
use aws_sdk_backup::operation::list_backup_jobs::ListBackupJobsOutput;
use aws_sdk_backup::operation::list_copy_jobs::ListCopyJobsOutput;
use aws_sdk_backup::operation::list_recovery_points_by_backup_vault::ListRecoveryPointsByBackupVaultOutput;
use aws_sdk_backup::operation::start_copy_job::StartCopyJobOutput;
use aws_sdk_backup::types::{
    CopyJob, CopyJobState, RecoveryPointByBackupVault, RecoveryPointStatus,
};
use aws_sdk_backup::Client as Backup;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::DateTime;
use dr_core::backup::{CopyFanout, Destination, Lifecycle};
use dr_testkit::{arn, error_response, Protocol};

/// The source vault the configuration allows.
pub const SOURCE_VAULT: &str = "dr-primary";
/// Its ARN.
pub const PRIMARY: &str = "arn:aws:backup:us-east-1:123456789012:backup-vault:dr-primary";
/// A destination in another region of the same account, with a lifecycle.
pub const WEST: &str = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west";
/// A destination in another account of the same region, without a lifecycle.
pub const ISOLATED: &str = "arn:aws:backup:us-east-1:210987654321:backup-vault:dr-copy-isolated";
/// The role AWS Backup copies with.
pub const ROLE: &str = "arn:aws:iam::123456789012:role/dr-automation-backup-copy";
/// The SDK tests' clock: 2026-11-20T10:00:00Z.
pub const NOW: i64 = 1_795_168_800;

/// Recovery point `n` of the source vault.
pub fn rp(n: u32) -> String {
    format!("arn:aws:backup:us-east-1:123456789012:recovery-point:rp-{n:04}")
}

/// The volume recovery point `n` backs up.
pub fn volume(n: u32) -> String {
    format!("arn:aws:ec2:us-east-1:123456789012:volume/vol-{n:017}")
}

/// The report target of recovery point `n` copied to `dest`.
pub fn to(n: u32, dest: &str) -> String {
    model::target(&rp(n), dest)
}

/// The configuration: [`SOURCE_VAULT`] copied to [`WEST`] (cold after 30 days, deleted after
/// 120, archived) and [`ISOLATED`], three attempts, a 24-hour sweep.
pub fn config() -> BackupConfig {
    BackupConfig {
        settings: dr_testkit::settings(),
        vaults: CopyFanout {
            source_vaults: vec![SOURCE_VAULT.into()],
            destinations: vec![
                Destination {
                    vault_arn: arn(WEST),
                    lifecycle: Some(Lifecycle {
                        move_to_cold_storage_after_days: Some(30),
                        delete_after_days: Some(120),
                        opt_in_to_archive_for_supported_resources: Some(true),
                    }),
                },
                Destination {
                    vault_arn: arn(ISOLATED),
                    lifecycle: None,
                },
            ],
            resource_types: vec![],
        },
        copy_role_arn: arn(ROLE),
        sweep_window_hours: 24,
        fanout_horizon_days: 7,
        max_attempts: 3,
        region_copy_quota: 100,
        start_rate_per_second: 100.0,
    }
}

/// Recovery point `n` as `ListRecoveryPointsByBackupVault` lists it, created `n` seconds after
/// an hour ago.
pub fn listed(n: u32, status: RecoveryPointStatus) -> RecoveryPointByBackupVault {
    RecoveryPointByBackupVault::builder()
        .recovery_point_arn(rp(n))
        .backup_vault_name(SOURCE_VAULT)
        .backup_vault_arn(PRIMARY)
        .resource_arn(volume(n))
        .resource_type("EBS")
        .status(status)
        .creation_date(DateTime::from_secs(NOW - 3600 + i64::from(n)))
        .build()
}

/// A page of recovery points, with the token of the next page.
pub fn points_page(
    points: Vec<RecoveryPointByBackupVault>,
    next: Option<&str>,
) -> ListRecoveryPointsByBackupVaultOutput {
    ListRecoveryPointsByBackupVaultOutput::builder()
        .set_recovery_points(Some(points))
        .set_next_token(next.map(str::to_owned))
        .build()
}

/// Recovery point `n` as `DescribeRecoveryPoint` describes it: completed ten minutes ago.
pub fn described(n: u32) -> DescribeRecoveryPointOutput {
    DescribeRecoveryPointOutput::builder()
        .recovery_point_arn(rp(n))
        .backup_vault_name(SOURCE_VAULT)
        .backup_vault_arn(PRIMARY)
        .resource_arn(volume(n))
        .resource_type("EBS")
        .status(RecoveryPointStatus::Completed)
        .creation_date(DateTime::from_secs(NOW - 600))
        .build()
}

/// Copy job `id` of recovery point `n` to `dest`, created five minutes ago.
pub fn copy_job(id: &str, n: u32, dest: &str, state: CopyJobState) -> CopyJob {
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

/// A page of copy jobs, with the token of the next page.
pub fn jobs_page(jobs: Vec<CopyJob>, next: Option<&str>) -> ListCopyJobsOutput {
    ListCopyJobsOutput::builder()
        .set_copy_jobs(Some(jobs))
        .set_next_token(next.map(str::to_owned))
        .build()
}

/// `ListCopyJobs` finding nothing, whatever the filter.
pub fn no_jobs() -> Rule {
    mock!(Backup::list_copy_jobs).then_output(|| jobs_page(vec![], None))
}

/// What `StartCopyJob` answers for job `id` created at `created` (epoch seconds).
pub fn started(id: &str, created: i64) -> StartCopyJobOutput {
    StartCopyJobOutput::builder()
        .copy_job_id(id)
        .creation_date(DateTime::from_secs(created))
        .build()
}

/// An AWS Backup error response with HTTP `status` and error code `code`.
pub fn backup_error(status: u16, code: &str) -> HttpResponse {
    error_response(Protocol::RestJsonCapitalised, status, code)
}

/// A Backup client answering `rules`, the first that matches, and then an empty backup-job
/// listing to any `ListBackupJobs` they leave; retries do not wait.
pub fn backup_client(rules: &[&Rule]) -> Backup {
    let backup_jobs =
        mock!(Backup::list_backup_jobs).then_output(|| ListBackupJobsOutput::builder().build());
    let mut rules = rules.to_vec();
    rules.push(&backup_jobs);
    mock_client!(aws_sdk_backup, RuleMode::MatchAny, &rules, |c| c
        .retry_config(dr_testkit::quick_retries()))
}

/// The plan tests' clock: recovery points are created minutes after it.
pub const T0: i64 = 1_795_000_000;

/// A completed EBS recovery point of volume `n` in the model, created `n` minutes after T0.
pub fn point(n: u32) -> model::RecoveryPoint {
    model::RecoveryPoint {
        arn: rp(n),
        vault_name: SOURCE_VAULT.into(),
        vault_arn: Some(arn(PRIMARY)),
        resource_arn: Some(volume(n)),
        resource_type: Some("EBS".into()),
        status: model::RecoveryPointStatus::Completed,
        created: Some(T0 + i64::from(n) * 60),
        parent_arn: None,
        storage_class: None,
        moves_to_cold_at: None,
    }
}

/// Copy job `id` of recovery point `n` to `dest` in the model, created `minute` minutes after
/// an hour past T0; a failed one says so in its status message.
pub fn job(
    id: &str,
    n: u32,
    dest: &str,
    state: model::CopyJobState,
    minute: i64,
) -> model::CopyJob {
    model::CopyJob {
        id: id.into(),
        source_recovery_point_arn: Some(rp(n)),
        source_vault_arn: Some(arn(PRIMARY)),
        destination_vault_arn: Some(arn(dest)),
        resource_arn: Some(volume(n)),
        status_message: (state == model::CopyJobState::Failed).then(|| format!("{id} failed")),
        state,
        created: Some(T0 + 3600 + minute * 60),
    }
}
