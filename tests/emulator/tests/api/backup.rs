//! AWS Backup through aws-sdk-backup.

use crate::common::{assert_error, code_and_status, Env};
use aws_sdk_backup::operation::list_recovery_points_by_backup_vault::builders::ListRecoveryPointsByBackupVaultFluentBuilder;
use aws_sdk_backup::operation::start_copy_job::builders::StartCopyJobFluentBuilder;
use aws_sdk_backup::types::{
    BackupJobState, CopyJob, CopyJobState, Lifecycle, RecoveryPointByBackupVault, StorageClass,
};
use aws_smithy_types::DateTime;
use dr_emulator::fixture::BackupJobSpec;
use dr_emulator::Fixture;

const SOURCE: &str = "dr-primary";
const WEST: &str = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west";
const ROLE: &str = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole";
const ISOLATED: &str = "arn:aws:backup:us-east-2:210987654321:backup-vault:dr-copy-isolated";
const VOLUME: &str = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0a1b2c3d4e5f60719";
const ORDERS_DB: &str = "arn:aws:rds:us-east-1:123456789012:db:orders";
const CONTINUOUS: &str =
    "arn:aws:backup:us-east-1:123456789012:recovery-point:continuous:db-orders-0a1b2c3d";
const COLD: &str = "arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60003";

/// A listing of the source vault's recovery points.
fn list_points(env: &Env) -> ListRecoveryPointsByBackupVaultFluentBuilder {
    env.backup()
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(SOURCE)
}

/// The recovery points of the source vault, newest first.
async fn points(env: &Env) -> Vec<RecoveryPointByBackupVault> {
    list_points(env)
        .send()
        .await
        .expect("list")
        .recovery_points()
        .to_vec()
}

/// The newest snapshot (not continuous) recovery point of a resource type.
async fn point_of(env: &Env, resource_type: &str) -> String {
    points(env)
        .await
        .iter()
        .filter(|p| {
            p.recovery_point_arn()
                .is_some_and(|a| !a.contains(":recovery-point:continuous:"))
        })
        .find(|p| p.resource_type() == Some(resource_type))
        .and_then(|p| p.recovery_point_arn())
        .expect("point of that type")
        .to_owned()
}

/// A copy of `arn` from the source vault to [`WEST`] with [`ROLE`].
fn copy_to_west(env: &Env, arn: &str) -> StartCopyJobFluentBuilder {
    env.backup()
        .start_copy_job()
        .recovery_point_arn(arn)
        .source_backup_vault_name(SOURCE)
        .destination_backup_vault_arn(WEST)
        .iam_role_arn(ROLE)
}

fn lifecycle(cold_after_days: i64, delete_after_days: i64) -> Lifecycle {
    Lifecycle::builder()
        .move_to_cold_storage_after_days(cold_after_days)
        .delete_after_days(delete_after_days)
        .build()
}

/// A copy job as described.
async fn copy_job(env: &Env, id: &str) -> CopyJob {
    env.backup()
        .describe_copy_job()
        .copy_job_id(id)
        .send()
        .await
        .expect("describe")
        .copy_job()
        .cloned()
        .expect("job")
}

/// The state of a copy job.
async fn state_of(env: &Env, id: &str) -> CopyJobState {
    copy_job(env, id).await.state().cloned().expect("state")
}

/// Starts a copy of `arn` to `destination`; returns the copy job id.
async fn start_copy(env: &Env, arn: &str, destination: &str) -> String {
    copy_to_west(env, arn)
        .destination_backup_vault_arn(destination)
        .send()
        .await
        .expect("started, not refused")
        .copy_job_id()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn recovery_points_list_newest_first() {
    let env = Env::new(Fixture::demo()).await;
    let all = points(&env).await;
    assert_eq!(all.len(), 8);
    let dates: Vec<i64> = all
        .iter()
        .map(|p| p.creation_date().expect("date").secs())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
}

#[tokio::test]
async fn recovery_points_come_in_pages_of_max_results() {
    let env = Env::new(Fixture::demo()).await;
    let pages: Vec<_> = list_points(&env)
        .max_results(4)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("pages");
    assert_eq!(pages.len(), 2);
}

#[tokio::test]
async fn recovery_points_filter_by_resource_type() {
    let env = Env::new(Fixture::demo()).await;
    let ec2 = list_points(&env)
        .by_resource_type("EC2")
        .send()
        .await
        .expect("by type");
    assert_eq!(ec2.recovery_points().len(), 2);
}

#[tokio::test]
async fn recovery_points_created_after_and_before_a_cutoff_split_the_vault() {
    let env = Env::new(Fixture::demo()).await;
    let newest = points(&env).await[0].creation_date().expect("date").secs();
    let cutoff = DateTime::from_secs(newest - 20 * 3600);
    let recent = list_points(&env).by_created_after(cutoff).send().await;
    assert_eq!(recent.expect("created after").recovery_points().len(), 3);
    let older = list_points(&env).by_created_before(cutoff).send().await;
    assert_eq!(older.expect("created before").recovery_points().len(), 5);
}

#[tokio::test]
async fn listing_an_unknown_vault_is_resource_not_found() {
    let env = Env::new(Fixture::demo()).await;
    let err = list_points(&env)
        .backup_vault_name("no-such-vault")
        .send()
        .await
        .expect_err("unknown vault");
    assert_error(&err, "ResourceNotFoundException", 400);
}

#[tokio::test]
async fn describe_recovery_point_takes_the_arn_in_the_path() {
    let env = Env::new(Fixture::demo()).await;
    let arn = point_of(&env, "EBS").await;
    let out = env
        .backup()
        .describe_recovery_point()
        .backup_vault_name(SOURCE)
        .recovery_point_arn(&arn)
        .send()
        .await
        .expect("describe");
    assert_eq!(out.recovery_point_arn(), Some(arn.as_str()));
    assert_eq!(out.status().map(|s| s.as_str()), Some("COMPLETED"));
    let lifecycle = out.lifecycle().expect("lifecycle");
    assert_eq!(lifecycle.move_to_cold_storage_after_days(), Some(30));
    assert_eq!(lifecycle.delete_after_days(), Some(365));
    assert!(out.calculated_lifecycle().is_some());
}

/// Starts a copy of the newest EBS point to [`WEST`] with a 7/97-day lifecycle; returns the
/// point and the copy job id.
async fn ebs_copy(env: &Env) -> (String, String) {
    let arn = point_of(env, "EBS").await;
    let started = copy_to_west(env, &arn)
        .idempotency_token("token-1")
        .lifecycle(lifecycle(7, 97))
        .send()
        .await
        .expect("start");
    (arn, started.copy_job_id().expect("id").to_owned())
}

#[tokio::test]
async fn a_copy_job_moves_from_created_to_running_to_completed_one_step_each() {
    let env = Env::new(Fixture::demo()).await;
    let (_, id) = ebs_copy(&env).await;
    assert_eq!(state_of(&env, &id).await, CopyJobState::Created);
    env.emulator.advance(1);
    assert_eq!(state_of(&env, &id).await, CopyJobState::Running);
    env.emulator.advance(1);
    assert_eq!(state_of(&env, &id).await, CopyJobState::Completed);
}

#[tokio::test]
async fn a_completed_copy_job_names_both_points_and_the_copys_lifecycle() {
    let env = Env::new(Fixture::demo()).await;
    let (arn, id) = ebs_copy(&env).await;
    env.emulator.advance(2);
    let done = copy_job(&env, &id).await;
    let copy_arn = done
        .destination_recovery_point_arn()
        .expect("destination recovery point");
    assert!(copy_arn.starts_with("arn:aws:ec2:us-west-2::snapshot/snap-"));
    assert_eq!(done.source_recovery_point_arn(), Some(arn.as_str()));
    assert_eq!(
        done.destination_recovery_point_lifecycle()
            .and_then(|l| l.delete_after_days()),
        Some(97)
    );
}

#[tokio::test]
async fn a_completed_copy_lands_in_the_destination_vault() {
    let env = Env::new(Fixture::demo()).await;
    let (_, id) = ebs_copy(&env).await;
    env.emulator.advance(2);
    let done = copy_job(&env, &id).await;
    let west = env.backup_in("us-west-2").await;
    let copied = west
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("dr-copy-west")
        .send()
        .await
        .expect("list west");
    assert_eq!(copied.recovery_points().len(), 1);
    let point = &copied.recovery_points()[0];
    assert_eq!(
        point.recovery_point_arn(),
        done.destination_recovery_point_arn()
    );
    assert!(point
        .source_backup_vault_arn()
        .is_some_and(|a| a.ends_with(":backup-vault:dr-primary")));
}

#[tokio::test]
async fn start_copy_job_is_idempotent_per_token() {
    let env = Env::new(Fixture::demo()).await;
    let arn = point_of(&env, "RDS").await;
    let start = || copy_to_west(&env, &arn).idempotency_token("same").send();
    let first = start().await.expect("first");
    let second = start().await.expect("repeat");
    assert_eq!(first.copy_job_id(), second.copy_job_id());
    let jobs = env.backup().list_copy_jobs().send().await.expect("list");
    assert_eq!(jobs.copy_jobs().len(), 1);
}

#[tokio::test]
async fn a_copy_token_reused_with_other_parameters_is_an_invalid_request() {
    let env = Env::new(Fixture::demo()).await;
    let arn = point_of(&env, "RDS").await;
    let start = || copy_to_west(&env, &arn).idempotency_token("same");
    start().send().await.expect("first");
    let err = start()
        .iam_role_arn("arn:aws:iam::123456789012:role/other")
        .send()
        .await
        .expect_err("token reused with other parameters");
    assert_error(&err, "InvalidRequestException", 400);
}

// Lifecycle (AWS Backup API Reference): DeleteAfterDays "must be at least 90 days after" the
// MoveToColdStorageAfterDays; -1 for both removes the lifecycle.
#[tokio::test]
async fn a_copy_deleted_sooner_than_90_days_after_its_cold_move_is_refused() {
    let env = Env::new(Fixture::demo()).await;
    let err = copy_to_west(&env, &point_of(&env, "EBS").await)
        .lifecycle(lifecycle(30, 100))
        .send()
        .await
        .expect_err("lifecycle too short");
    assert_error(&err, "InvalidParameterValueException", 400);
}

#[tokio::test]
async fn a_copy_lifecycle_of_minus_one_days_is_taken() {
    let env = Env::new(Fixture::demo()).await;
    copy_to_west(&env, &point_of(&env, "EBS").await)
        .lifecycle(lifecycle(-1, -1))
        .send()
        .await
        .expect(
            "the API takes -1/-1 (\"keep indefinitely\" in the API reference's Lifecycle; a \
             copy keeps its source's expiration date per the Developer Guide's copy page)",
        );
}

#[tokio::test]
async fn a_copy_of_an_unknown_recovery_point_is_resource_not_found() {
    let env = Env::new(Fixture::demo()).await;
    let err = copy_to_west(
        &env,
        "arn:aws:backup:us-east-1:123456789012:recovery-point:NOPE",
    )
    .send()
    .await
    .expect_err("unknown point");
    assert_error(&err, "ResourceNotFoundException", 400);
}

#[tokio::test]
async fn a_copy_without_a_role_is_a_missing_parameter_value() {
    let env = Env::new(Fixture::demo()).await;
    let err = copy_to_west(&env, &point_of(&env, "EBS").await)
        .set_iam_role_arn(None)
        .send()
        .await
        .expect_err("missing role");
    assert_error(&err, "MissingParameterValueException", 400);
}

/// Two copies of the DynamoDB point, the fixture failing one of them; both ended.
async fn two_dynamodb_copies() -> Env {
    let env = Env::new(Fixture::demo()).await;
    let dynamo = point_of(&env, "DynamoDB").await;
    start_copy(&env, &dynamo, WEST).await;
    env.emulator.advance(2);
    start_copy(&env, &dynamo, WEST).await;
    env.emulator.advance(2);
    env
}

#[tokio::test]
async fn a_copy_the_fixture_fails_is_listed_as_failed_with_a_message() {
    let env = two_dynamodb_copies().await;
    let failed = env
        .backup()
        .list_copy_jobs()
        .by_state(CopyJobState::Failed)
        .send()
        .await
        .expect("failed jobs");
    assert_eq!(failed.copy_jobs().len(), 1);
    assert!(failed.copy_jobs()[0].status_message().is_some());
}

#[tokio::test]
async fn copy_jobs_list_by_state_and_destination_vault() {
    let env = two_dynamodb_copies().await;
    let completed = env
        .backup()
        .list_copy_jobs()
        .by_state(CopyJobState::Completed)
        .by_destination_vault_arn(WEST)
        .send()
        .await
        .expect("completed jobs");
    assert_eq!(completed.copy_jobs().len(), 1);
}

#[tokio::test]
async fn describing_an_unknown_copy_job_is_resource_not_found() {
    let env = Env::new(Fixture::demo()).await;
    let err = env
        .backup()
        .describe_copy_job()
        .copy_job_id("NOPE")
        .send()
        .await
        .expect_err("unknown job");
    assert_error(&err, "ResourceNotFoundException", 400);
}

#[tokio::test]
async fn further_copies_of_a_resource_wait_in_created_instead_of_being_refused() {
    let env = Env::new(Fixture::demo()).await;
    // Both EC2 points protect the same instance; AWS runs one job per resource at a time.
    let ec2: Vec<String> = points(&env)
        .await
        .iter()
        .filter(|p| p.resource_type() == Some("EC2"))
        .filter_map(|p| p.recovery_point_arn().map(str::to_owned))
        .collect();
    let first = start_copy(&env, &ec2[0], WEST).await;
    let second = start_copy(&env, &ec2[0], ISOLATED).await;
    let third = start_copy(&env, &ec2[1], WEST).await;
    let states = || async {
        [
            state_of(&env, &first).await,
            state_of(&env, &second).await,
            state_of(&env, &third).await,
        ]
    };
    use CopyJobState::{Completed, Created, Running};
    env.emulator.advance(1);
    assert_eq!(states().await, [Running, Created, Created]);
    env.emulator.advance(1);
    assert_eq!(
        states().await,
        [Completed, Running, Created],
        "the oldest waiting copy starts as the first ends"
    );
    env.emulator.advance(2);
    assert_eq!(states().await, [Completed, Completed, Completed]);
}

/// A backup job of `resource` in the source vault.
fn backup_job(resource: &str, resource_type: &str, state: &str, hours_ago: f64) -> BackupJobSpec {
    BackupJobSpec {
        backup_vault_name: SOURCE.into(),
        resource_arn: resource.into(),
        resource_type: resource_type.into(),
        state: state.into(),
        created_hours_ago: Some(hours_ago),
    }
}

/// The demo fixture with a backup job of the demo EBS volume in `state`.
fn with_backup_job(state: &str) -> Fixture {
    let mut fixture = Fixture::demo();
    let job = backup_job(VOLUME, "EBS", state, 0.5);
    fixture.backup.backup_jobs.push(job);
    fixture
}

#[tokio::test]
async fn a_copy_waits_in_created_while_a_backup_job_of_its_resource_runs() {
    let env = Env::new(with_backup_job("CREATED")).await;
    let copy = start_copy(&env, &point_of(&env, "EBS").await, WEST).await;
    env.emulator.advance(1);
    assert_eq!(state_of(&env, &copy).await, CopyJobState::Created);
    env.emulator.advance(1);
    assert_eq!(
        state_of(&env, &copy).await,
        CopyJobState::Running,
        "the copy starts as the backup job ends"
    );
}

#[tokio::test]
async fn a_completed_backup_job_adds_its_recovery_point_to_its_vault() {
    let env = Env::new(with_backup_job("CREATED")).await;
    env.emulator.advance(2);
    let jobs = env
        .backup()
        .list_backup_jobs()
        .by_resource_arn(VOLUME)
        .send()
        .await
        .expect("backup jobs");
    let job = &jobs.backup_jobs()[0];
    assert_eq!(job.state(), Some(&BackupJobState::Completed));
    let new_point = job.recovery_point_arn().expect("its recovery point");
    assert!(
        points(&env)
            .await
            .iter()
            .any(|p| p.recovery_point_arn() == Some(new_point)),
        "the completed backup job's recovery point is in its vault"
    );
}

/// Backup jobs in the source vault: the volume's pending, a database's failed one, and one
/// 31 days old.
async fn three_backup_jobs() -> Env {
    let mut fixture = with_backup_job("PENDING");
    let old_db = "arn:aws:rds:us-east-1:123456789012:db:old";
    fixture.backup.backup_jobs.extend([
        backup_job(ORDERS_DB, "RDS", "FAILED", 2.0),
        backup_job(old_db, "RDS", "COMPLETED", 31.0 * 24.0),
    ]);
    Env::new(fixture).await
}

/// The source vault's backup jobs with an optional state and resource filter.
async fn backup_jobs(
    env: &Env,
    state: Option<BackupJobState>,
    resource: Option<&str>,
) -> Vec<aws_sdk_backup::types::BackupJob> {
    env.backup()
        .list_backup_jobs()
        .set_by_state(state)
        .set_by_resource_arn(resource.map(str::to_owned))
        .by_backup_vault_name(SOURCE)
        .send()
        .await
        .expect("backup jobs")
        .backup_jobs()
        .to_vec()
}

#[tokio::test]
async fn backup_jobs_older_than_30_days_are_not_listed() {
    let env = three_backup_jobs().await;
    let all = backup_jobs(&env, None, None).await;
    assert_eq!(all.len(), 2, "jobs older than 30 days are not listed");
}

#[tokio::test]
async fn backup_jobs_filter_by_state() {
    let env = three_backup_jobs().await;
    let pending = backup_jobs(&env, Some(BackupJobState::Pending), None).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].resource_arn(), Some(VOLUME));
}

#[tokio::test]
async fn backup_jobs_filter_by_resource() {
    let env = three_backup_jobs().await;
    let of_db = backup_jobs(&env, None, Some(ORDERS_DB)).await;
    assert_eq!(of_db[0].state(), Some(&BackupJobState::Failed));
}

#[tokio::test]
async fn listing_backup_jobs_with_max_results_zero_is_an_invalid_parameter_value() {
    let env = Env::new(Fixture::demo()).await;
    let err = env
        .backup()
        .list_backup_jobs()
        .max_results(0)
        .send()
        .await
        .expect_err("maxResults 0");
    assert_error(&err, "InvalidParameterValueException", 400);
}

/// The storage class a recovery point of the source vault is described with.
async fn storage_class(env: &Env, arn: &str) -> Option<StorageClass> {
    env.backup()
        .describe_recovery_point()
        .backup_vault_name(SOURCE)
        .recovery_point_arn(arn)
        .send()
        .await
        .expect("describe")
        .storage_class()
        .cloned()
}

#[tokio::test]
async fn a_continuous_recovery_point_is_described_as_warm() {
    let env = Env::new(Fixture::demo()).await;
    assert_eq!(
        storage_class(&env, CONTINUOUS).await,
        Some(StorageClass::Warm)
    );
}

#[tokio::test]
async fn a_point_past_its_cold_storage_move_is_described_as_cold() {
    let env = Env::new(Fixture::demo()).await;
    assert_eq!(
        storage_class(&env, COLD).await,
        Some(StorageClass::Cold),
        "40 days old with a 30-day cold storage move"
    );
}

#[tokio::test]
async fn the_listing_shows_a_cold_points_calculated_lifecycle_not_a_storage_class() {
    let env = Env::new(Fixture::demo()).await;
    assert!(
        points(&env)
            .await
            .iter()
            .all(|p| p.recovery_point_arn() != Some(COLD) || p.calculated_lifecycle().is_some()),
        "the listing has no storage class, only the calculated lifecycle"
    );
}

#[tokio::test]
async fn continuous_and_cold_recovery_points_are_not_copied() {
    let env = Env::new(Fixture::demo()).await;
    for arn in [CONTINUOUS, COLD] {
        let err = copy_to_west(&env, arn)
            .send()
            .await
            .expect_err("not copyable");
        assert_eq!(
            code_and_status(&err),
            ("InvalidRequestException".to_owned(), 400),
            "{arn}"
        );
    }
}

#[tokio::test]
async fn a_fixture_continuous_point_is_named_as_aws_names_them() {
    let mut fixture = Fixture::demo();
    let mut spec = fixture.backup.vaults[0].recovery_points[2].clone();
    spec.recovery_point_arn = None;
    spec.continuous = true;
    fixture.backup.vaults[0].recovery_points = vec![spec];
    let env = Env::new(fixture).await;
    let arn = points(&env).await[0]
        .recovery_point_arn()
        .expect("arn")
        .to_owned();
    assert!(
        arn.starts_with("arn:aws:backup:us-east-1:123456789012:recovery-point:continuous:"),
        "{arn}"
    );
}
