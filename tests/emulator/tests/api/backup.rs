//! AWS Backup through aws-sdk-backup.

use crate::common::{code_and_status, Env};
use aws_sdk_backup::types::{CopyJobState, Lifecycle};
use aws_smithy_types::DateTime;
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

/// The newest recovery point of a resource type.
async fn point_of(env: &Env, resource_type: &str) -> String {
    points(env)
        .await
        .iter()
        .find(|p| p.resource_type() == Some(resource_type))
        .and_then(|p| p.recovery_point_arn())
        .expect("point of that type")
        .to_owned()
}

#[tokio::test]
async fn recovery_points_list_newest_first_with_filters_and_pages() {
    let env = Env::new(Fixture::demo()).await;
    let all = points(&env).await;
    assert_eq!(all.len(), 6);
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
    assert_eq!(recent.recovery_points().len(), 2);
    let older = env
        .backup()
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(SOURCE)
        .by_created_before(cutoff)
        .send()
        .await
        .expect("created before");
    assert_eq!(older.recovery_points().len(), 4);

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
        .expect("-1/-1 keeps forever");

    // Both EC2 points protect the same instance: one copy at a time per resource.
    let ec2: Vec<String> = points(&env)
        .await
        .iter()
        .filter(|p| p.resource_type() == Some("EC2"))
        .filter_map(|p| p.recovery_point_arn().map(str::to_owned))
        .collect();
    let copy = |arn: String| {
        env.backup()
            .start_copy_job()
            .recovery_point_arn(arn)
            .source_backup_vault_name(SOURCE)
            .destination_backup_vault_arn(WEST)
            .iam_role_arn(ROLE)
            .send()
    };
    copy(ec2[0].clone()).await.expect("first copy");
    let err = copy(ec2[1].clone())
        .await
        .expect_err("second concurrent copy");
    assert_eq!(
        code_and_status(&err),
        ("LimitExceededException".to_owned(), 400)
    );
    env.emulator.advance(2);
    copy(ec2[1].clone())
        .await
        .expect("after the first finished");

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
