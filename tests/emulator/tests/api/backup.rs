//! AWS Backup through aws-sdk-backup.

use crate::common::{code_and_status, Env};
use aws_sdk_backup::types::{BackupJobState, CopyJobState, Lifecycle, StorageClass};
use aws_smithy_types::DateTime;
use dr_emulator::fixture::BackupJobSpec;
use dr_emulator::Fixture;

const SOURCE: &str = "dr-primary";
const WEST: &str = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west";
const ROLE: &str = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole";

/// The recovery points of the source vault, newest first.
async fn points(env: &Env) -> Vec<aws_sdk_backup::types::RecoveryPointByBackupVault> {
    env.backup()
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(SOURCE)
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

#[tokio::test]
async fn recovery_points_list_newest_first_with_filters_and_pages() {
    let env = Env::new(Fixture::demo()).await;
    let all = points(&env).await;
    assert_eq!(all.len(), 8);
    let dates: Vec<i64> = all
        .iter()
        .map(|p| p.creation_date().expect("date").secs())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");

    let pages: Vec<_> = env
        .backup()
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(SOURCE)
        .max_results(4)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("pages");
    assert_eq!(pages.len(), 2);

    let ec2 = env
        .backup()
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(SOURCE)
        .by_resource_type("EC2")
        .send()
        .await
        .expect("by type");
    assert_eq!(ec2.recovery_points().len(), 2);

    let cutoff = DateTime::from_secs(dates[0] - 20 * 3600);
    let recent = env
        .backup()
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(SOURCE)
        .by_created_after(cutoff)
        .send()
        .await
        .expect("created after");
    assert_eq!(recent.recovery_points().len(), 3);
    let older = env
        .backup()
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(SOURCE)
        .by_created_before(cutoff)
        .send()
        .await
        .expect("created before");
    assert_eq!(older.recovery_points().len(), 5);

    let err = env
        .backup()
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("no-such-vault")
        .send()
        .await
        .expect_err("unknown vault");
    assert_eq!(
        code_and_status(&err),
        ("ResourceNotFoundException".to_owned(), 400)
    );
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

#[tokio::test]
async fn a_copy_job_runs_and_lands_in_the_destination_vault() {
    let env = Env::new(Fixture::demo()).await;
    let arn = point_of(&env, "EBS").await;
    let started = env
        .backup()
        .start_copy_job()
        .recovery_point_arn(&arn)
        .source_backup_vault_name(SOURCE)
        .destination_backup_vault_arn(WEST)
        .iam_role_arn(ROLE)
        .idempotency_token("token-1")
        .lifecycle(
            Lifecycle::builder()
                .move_to_cold_storage_after_days(7)
                .delete_after_days(97)
                .build(),
        )
        .send()
        .await
        .expect("start");
    let id = started.copy_job_id().expect("id").to_owned();
    let describe = |env: &Env, id: String| {
        let client = env.backup();
        async move {
            client
                .describe_copy_job()
                .copy_job_id(id)
                .send()
                .await
                .expect("describe")
                .copy_job()
                .cloned()
                .expect("job")
        }
    };
    assert_eq!(
        describe(&env, id.clone()).await.state(),
        Some(&CopyJobState::Created)
    );
    env.emulator.advance(1);
    assert_eq!(
        describe(&env, id.clone()).await.state(),
        Some(&CopyJobState::Running)
    );
    env.emulator.advance(1);
    let done = describe(&env, id.clone()).await;
    assert_eq!(done.state(), Some(&CopyJobState::Completed));
    let copy_arn = done
        .destination_recovery_point_arn()
        .expect("destination recovery point")
        .to_owned();
    assert!(copy_arn.starts_with("arn:aws:ec2:us-west-2::snapshot/snap-"));
    assert_eq!(done.source_recovery_point_arn(), Some(arn.as_str()));
    assert_eq!(
        done.destination_recovery_point_lifecycle()
            .and_then(|l| l.delete_after_days()),
        Some(97)
    );

    let west = env.backup_in("us-west-2").await;
    let copied = west
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("dr-copy-west")
        .send()
        .await
        .expect("list west");
    assert_eq!(copied.recovery_points().len(), 1);
    let point = &copied.recovery_points()[0];
    assert_eq!(point.recovery_point_arn(), Some(copy_arn.as_str()));
    assert!(point
        .source_backup_vault_arn()
        .is_some_and(|a| a.ends_with(":backup-vault:dr-primary")));
}

#[tokio::test]
async fn start_copy_job_is_idempotent_per_token() {
    let env = Env::new(Fixture::demo()).await;
    let arn = point_of(&env, "RDS").await;
    let start = |token: &'static str, role: &'static str| {
        env.backup()
            .start_copy_job()
            .recovery_point_arn(&arn)
            .source_backup_vault_name(SOURCE)
            .destination_backup_vault_arn(WEST)
            .iam_role_arn(role)
            .idempotency_token(token)
            .send()
    };
    let first = start("same", ROLE).await.expect("first");
    let second = start("same", ROLE).await.expect("repeat");
    assert_eq!(first.copy_job_id(), second.copy_job_id());
    let jobs = env.backup().list_copy_jobs().send().await.expect("list");
    assert_eq!(jobs.copy_jobs().len(), 1);

    let err = start("same", "arn:aws:iam::123456789012:role/other")
        .await
        .expect_err("token reused with other parameters");
    assert_eq!(
        code_and_status(&err),
        ("InvalidRequestException".to_owned(), 400)
    );
}

#[tokio::test]
async fn start_copy_job_errors() {
    let env = Env::new(Fixture::demo()).await;
    let ebs = point_of(&env, "EBS").await;
    let err = env
        .backup()
        .start_copy_job()
        .recovery_point_arn(&ebs)
        .source_backup_vault_name(SOURCE)
        .destination_backup_vault_arn(WEST)
        .iam_role_arn(ROLE)
        .lifecycle(
            Lifecycle::builder()
                .move_to_cold_storage_after_days(30)
                .delete_after_days(100)
                .build(),
        )
        .send()
        .await
        .expect_err("lifecycle too short");
    assert_eq!(
        code_and_status(&err),
        ("InvalidParameterValueException".to_owned(), 400)
    );
    env.backup()
        .start_copy_job()
        .recovery_point_arn(&ebs)
        .source_backup_vault_name(SOURCE)
        .destination_backup_vault_arn(WEST)
        .iam_role_arn(ROLE)
        .lifecycle(
            Lifecycle::builder()
                .move_to_cold_storage_after_days(-1)
                .delete_after_days(-1)
                .build(),
        )
        .send()
        .await
        .expect("the API takes -1/-1 (a copy then keeps its source's expiration date)");
    let copy = |arn: String| {
        env.backup()
            .start_copy_job()
            .recovery_point_arn(arn)
            .source_backup_vault_name(SOURCE)
            .destination_backup_vault_arn(WEST)
            .iam_role_arn(ROLE)
            .send()
    };

    let err = copy("arn:aws:backup:us-east-1:123456789012:recovery-point:NOPE".into())
        .await
        .expect_err("unknown point");
    assert_eq!(
        code_and_status(&err),
        ("ResourceNotFoundException".to_owned(), 400)
    );
    let err = env
        .backup()
        .start_copy_job()
        .recovery_point_arn(&ebs)
        .source_backup_vault_name(SOURCE)
        .destination_backup_vault_arn(WEST)
        .send()
        .await
        .expect_err("missing role");
    assert_eq!(
        code_and_status(&err),
        ("MissingParameterValueException".to_owned(), 400)
    );
}

#[tokio::test]
async fn copies_fail_per_fixture_and_list_filters_by_state() {
    let env = Env::new(Fixture::demo()).await;
    let dynamo = point_of(&env, "DynamoDB").await;
    let start = || {
        env.backup()
            .start_copy_job()
            .recovery_point_arn(&dynamo)
            .source_backup_vault_name(SOURCE)
            .destination_backup_vault_arn(WEST)
            .iam_role_arn(ROLE)
            .send()
    };
    start().await.expect("first copy");
    env.emulator.advance(2);
    start().await.expect("second copy");
    env.emulator.advance(2);
    let failed = env
        .backup()
        .list_copy_jobs()
        .by_state(CopyJobState::Failed)
        .send()
        .await
        .expect("failed jobs");
    assert_eq!(failed.copy_jobs().len(), 1);
    assert!(failed.copy_jobs()[0].status_message().is_some());
    let completed = env
        .backup()
        .list_copy_jobs()
        .by_state(CopyJobState::Completed)
        .by_destination_vault_arn(WEST)
        .send()
        .await
        .expect("completed jobs");
    assert_eq!(completed.copy_jobs().len(), 1);
    let err = env
        .backup()
        .describe_copy_job()
        .copy_job_id("NOPE")
        .send()
        .await
        .expect_err("unknown job");
    assert_eq!(
        code_and_status(&err),
        ("ResourceNotFoundException".to_owned(), 400)
    );
}

/// The state of a copy job.
async fn state_of(env: &Env, id: &str) -> CopyJobState {
    env.backup()
        .describe_copy_job()
        .copy_job_id(id)
        .send()
        .await
        .expect("describe")
        .copy_job()
        .and_then(|j| j.state().cloned())
        .expect("state")
}

/// Starts a copy of `arn` to `destination`; returns the copy job id.
async fn start_copy(env: &Env, arn: &str, destination: &str) -> String {
    env.backup()
        .start_copy_job()
        .recovery_point_arn(arn)
        .source_backup_vault_name(SOURCE)
        .destination_backup_vault_arn(destination)
        .iam_role_arn(ROLE)
        .send()
        .await
        .expect("started, not refused")
        .copy_job_id()
        .expect("id")
        .to_owned()
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
    env.emulator.advance(1);
    assert_eq!(
        [
            state_of(&env, &first).await,
            state_of(&env, &second).await,
            state_of(&env, &third).await
        ],
        [
            CopyJobState::Running,
            CopyJobState::Created,
            CopyJobState::Created
        ]
    );
    env.emulator.advance(1);
    assert_eq!(state_of(&env, &first).await, CopyJobState::Completed);
    assert_eq!(
        state_of(&env, &second).await,
        CopyJobState::Running,
        "the oldest waiting copy starts as the first ends"
    );
    assert_eq!(state_of(&env, &third).await, CopyJobState::Created);
    env.emulator.advance(2);
    for id in [&first, &second, &third] {
        assert_eq!(state_of(&env, id).await, CopyJobState::Completed);
    }
}

const ISOLATED: &str = "arn:aws:backup:us-east-2:210987654321:backup-vault:dr-copy-isolated";
const VOLUME: &str = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0a1b2c3d4e5f60719";

/// The demo fixture with a backup job of the demo EBS volume in `state`.
fn with_backup_job(state: &str) -> Fixture {
    let mut fixture = Fixture::demo();
    fixture.backup.backup_jobs.push(BackupJobSpec {
        backup_vault_name: SOURCE.into(),
        resource_arn: VOLUME.into(),
        resource_type: "EBS".into(),
        state: state.into(),
        created_hours_ago: Some(0.5),
    });
    fixture
}

#[tokio::test]
async fn a_copy_waits_in_created_while_a_backup_job_of_its_resource_runs() {
    let env = Env::new(with_backup_job("CREATED")).await;
    let ebs = point_of(&env, "EBS").await;
    let copy = start_copy(&env, &ebs, WEST).await;
    env.emulator.advance(1);
    assert_eq!(state_of(&env, &copy).await, CopyJobState::Created);
    env.emulator.advance(1);
    let jobs = env
        .backup()
        .list_backup_jobs()
        .by_resource_arn(VOLUME)
        .send()
        .await
        .expect("backup jobs");
    let job = &jobs.backup_jobs()[0];
    assert_eq!(job.state(), Some(&BackupJobState::Completed));
    let new_point = job
        .recovery_point_arn()
        .expect("its recovery point")
        .to_owned();
    assert!(
        points(&env)
            .await
            .iter()
            .any(|p| p.recovery_point_arn() == Some(new_point.as_str())),
        "the completed backup job's recovery point is in its vault"
    );
    assert_eq!(
        state_of(&env, &copy).await,
        CopyJobState::Running,
        "the copy starts as the backup job ends"
    );
}

#[tokio::test]
async fn list_backup_jobs_filters_by_state_resource_and_vault() {
    let mut fixture = with_backup_job("PENDING");
    fixture.backup.backup_jobs.push(BackupJobSpec {
        backup_vault_name: SOURCE.into(),
        resource_arn: "arn:aws:rds:us-east-1:123456789012:db:orders".into(),
        resource_type: "RDS".into(),
        state: "FAILED".into(),
        created_hours_ago: Some(2.0),
    });
    fixture.backup.backup_jobs.push(BackupJobSpec {
        backup_vault_name: SOURCE.into(),
        resource_arn: "arn:aws:rds:us-east-1:123456789012:db:old".into(),
        resource_type: "RDS".into(),
        state: "COMPLETED".into(),
        created_hours_ago: Some(31.0 * 24.0),
    });
    let env = Env::new(fixture).await;
    let list = |state: Option<BackupJobState>, resource: Option<&str>| {
        env.backup()
            .list_backup_jobs()
            .set_by_state(state)
            .set_by_resource_arn(resource.map(str::to_owned))
            .by_backup_vault_name(SOURCE)
            .send()
    };
    let all = list(None, None).await.expect("all");
    assert_eq!(
        all.backup_jobs().len(),
        2,
        "jobs older than 30 days are not listed"
    );
    let pending = list(Some(BackupJobState::Pending), None)
        .await
        .expect("pending");
    assert_eq!(pending.backup_jobs().len(), 1);
    assert_eq!(pending.backup_jobs()[0].resource_arn(), Some(VOLUME));
    let of_db = list(None, Some("arn:aws:rds:us-east-1:123456789012:db:orders"))
        .await
        .expect("by resource");
    assert_eq!(
        of_db.backup_jobs()[0].state(),
        Some(&BackupJobState::Failed)
    );
    let err = env
        .backup()
        .list_backup_jobs()
        .max_results(0)
        .send()
        .await
        .expect_err("maxResults 0");
    assert_eq!(
        code_and_status(&err),
        ("InvalidParameterValueException".to_owned(), 400)
    );
}

#[tokio::test]
async fn continuous_and_cold_recovery_points_are_described_as_such_and_not_copied() {
    let env = Env::new(Fixture::demo()).await;
    let continuous =
        "arn:aws:backup:us-east-1:123456789012:recovery-point:continuous:db-orders-0a1b2c3d";
    let cold = "arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60003";
    let class = |arn: &'static str| {
        let client = env.backup();
        async move {
            client
                .describe_recovery_point()
                .backup_vault_name(SOURCE)
                .recovery_point_arn(arn)
                .send()
                .await
                .expect("describe")
                .storage_class()
                .cloned()
        }
    };
    assert_eq!(class(continuous).await, Some(StorageClass::Warm));
    assert_eq!(
        class(cold).await,
        Some(StorageClass::Cold),
        "40 days old with a 30-day cold storage move"
    );
    assert!(
        points(&env)
            .await
            .iter()
            .all(|p| p.recovery_point_arn() != Some(cold) || p.calculated_lifecycle().is_some()),
        "the listing has no storage class, only the calculated lifecycle"
    );
    for arn in [continuous, cold] {
        let err = env
            .backup()
            .start_copy_job()
            .recovery_point_arn(arn)
            .source_backup_vault_name(SOURCE)
            .destination_backup_vault_arn(WEST)
            .iam_role_arn(ROLE)
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
