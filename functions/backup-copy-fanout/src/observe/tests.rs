//! Observe against a mocked AWS Backup client, and the choice of older fan-outs to re-examine.

use super::*;
use crate::model::CopyJobState as State;
use crate::testing::*;
use aws_sdk_backup::operation::list_backup_jobs::ListBackupJobsOutput;
use aws_sdk_backup::operation::list_copy_jobs::ListCopyJobsInput;
use aws_sdk_backup::types::{
    BackupJob as SdkJob, CalculatedLifecycle, RecoveryPointStatus as SdkStatus,
    StorageClass as SdkStorageClass,
};
use aws_sdk_backup::Client as Backup;
use aws_smithy_mocks::{mock, Rule};
use dr_testkit::arn;

fn sweep() -> Scope {
    Scope {
        sweep: true,
        ..Scope::default()
    }
}

fn named(points: &[u32]) -> Scope {
    Scope {
        points: points
            .iter()
            .map(|n| PointRequest {
                recovery_point_arn: rp(*n),
                vault: None,
                destinations: None,
            })
            .collect(),
        ..Scope::default()
    }
}

/// A source vault listing with recovery point 1 only.
fn one_point() -> Rule {
    mock!(Backup::list_recovery_points_by_backup_vault)
        .then_output(|| points_page(vec![listed(1, SdkStatus::Completed)], None))
}

async fn observe(rules: &[&Rule], scope: Scope) -> Result<Facts, ObserveError> {
    facts(&backup_client(rules), &config(), scope, NOW).await
}

#[tokio::test]
async fn a_sweep_lists_every_page_of_each_source_vault_since_the_window() {
    let list = mock!(Backup::list_recovery_points_by_backup_vault)
        .match_requests(|r| {
            r.backup_vault_name() == Some(SOURCE_VAULT)
                && r.by_created_after() == Some(&DateTime::from_secs(NOW - 24 * 3600))
                && r.max_results() == Some(1000)
        })
        .sequence()
        .output(|| points_page(vec![listed(1, SdkStatus::Completed)], Some("p2")))
        .output(|| points_page(vec![listed(2, SdkStatus::Completed)], None))
        .build();
    let facts = observe(&[&list, &no_jobs()], sweep())
        .await
        .expect("observed");
    assert_eq!(list.num_calls(), 2);
    let arns: Vec<&str> = facts
        .recovery_points
        .iter()
        .map(|p| p.arn.as_str())
        .collect();
    assert_eq!(arns, [rp(1), rp(2)]);
}

#[tokio::test]
async fn a_listed_recovery_point_without_an_arn_is_dropped() {
    let list = mock!(Backup::list_recovery_points_by_backup_vault).then_output(|| {
        points_page(
            vec![
                RecoveryPointByBackupVault::builder().build(),
                listed(3, SdkStatus::Completed),
            ],
            None,
        )
    });
    let facts = observe(&[&list, &no_jobs()], sweep())
        .await
        .expect("observed");
    assert_eq!(facts.recovery_points.len(), 1);
    assert_eq!(facts.recovery_points[0].arn, rp(3));
}

#[tokio::test]
async fn a_listed_recovery_point_enters_the_model_with_its_status_and_vault() {
    let list = mock!(Backup::list_recovery_points_by_backup_vault)
        .then_output(|| points_page(vec![listed(2, SdkStatus::Partial)], None));
    let facts = observe(&[&list, &no_jobs()], sweep())
        .await
        .expect("observed");
    assert_eq!(
        facts.recovery_points,
        [RecoveryPoint {
            arn: rp(2),
            vault_name: SOURCE_VAULT.into(),
            vault_arn: Some(arn(PRIMARY)),
            resource_arn: Some(volume(2)),
            resource_type: Some("EBS".into()),
            status: RecoveryPointStatus::Partial,
            created: Some(NOW - 3600 + 2),
            parent_arn: None,
            storage_class: None,
            moves_to_cold_at: None,
        }]
    );
}

#[tokio::test]
async fn a_sweep_lists_each_destination_and_the_jobs_in_flight_merging_each_job_once() {
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
                vec![copy_job("j1", 1, WEST, SdkCopyJobState::Completed)],
                Some("c2"),
            )
        })
        .output(|| jobs_page(vec![copy_job("j3", 3, WEST, SdkCopyJobState::Failed)], None))
        .build();
    let isolated = || copy_job("j2", 1, ISOLATED, SdkCopyJobState::Running);
    let to_isolated = mock!(Backup::list_copy_jobs)
        .match_requests(recent_to(ISOLATED))
        .then_output(move || jobs_page(vec![isolated()], None));
    let running = mock!(Backup::list_copy_jobs)
        .match_requests(|r| r.by_state() == Some(&SdkCopyJobState::Running))
        .then_output(move || {
            let other = copy_job("j9", 9, WEST, SdkCopyJobState::Running);
            jobs_page(vec![isolated(), other], None)
        });
    let rules = [&one_point(), &to_west, &to_isolated, &running, &no_jobs()];
    let facts = observe(&rules, sweep()).await.expect("observed");
    assert_eq!(
        to_west.num_calls(),
        2,
        "one listing per destination, every page"
    );
    assert_eq!((to_isolated.num_calls(), running.num_calls()), (1, 1));
    let mut ids: Vec<&str> = facts.copy_jobs.iter().map(|j| j.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        ["j1", "j2", "j3", "j9"],
        "listings are merged once per job"
    );
}

#[tokio::test]
async fn a_sweep_lists_the_failed_and_partial_copies_of_the_fan_out_horizon() {
    let failures = mock!(Backup::list_copy_jobs)
        .match_requests(|r| {
            matches!(
                r.by_state(),
                Some(SdkCopyJobState::Failed | SdkCopyJobState::Partial)
            ) && r.by_created_after() == Some(&DateTime::from_secs(NOW - 7 * 86_400))
        })
        .then_output(|| jobs_page(vec![], None));
    observe(&[&one_point(), &failures, &no_jobs()], sweep())
        .await
        .expect("observed");
    assert_eq!(
        failures.num_calls(),
        2,
        "failed and partial copies of the last 7 days"
    );
}

#[tokio::test]
async fn the_backup_jobs_in_flight_are_listed_in_each_state_and_enter_the_model() {
    let backup_jobs = mock!(Backup::list_backup_jobs)
        .match_requests(|r| r.max_results() == Some(1000))
        .then_compute_output(|r| {
            let job = |id: &str, n: u32, state: SdkBackupJobState| {
                SdkJob::builder()
                    .backup_job_id(id)
                    .resource_arn(volume(n))
                    .state(state)
                    .build()
            };
            let jobs = match r.by_state() {
                Some(SdkBackupJobState::Running) => {
                    vec![job("bj-1", 1, SdkBackupJobState::Running)]
                }
                Some(SdkBackupJobState::Pending) => {
                    vec![job("bj-2", 2, SdkBackupJobState::Pending)]
                }
                _ => vec![],
            };
            ListBackupJobsOutput::builder()
                .set_backup_jobs(Some(jobs))
                .build()
        });
    let facts = observe(&[&one_point(), &no_jobs(), &backup_jobs], sweep())
        .await
        .expect("observed");
    assert_eq!(
        backup_jobs.num_calls(),
        3,
        "backup jobs CREATED, PENDING and RUNNING"
    );
    let job = |id: &str, n: u32, state| BackupJob {
        id: id.into(),
        resource_arn: Some(volume(n)),
        state,
    };
    assert_eq!(
        facts.backup_jobs,
        [
            job("bj-2", 2, BackupJobState::Pending),
            job("bj-1", 1, BackupJobState::Running)
        ]
    );
}

#[tokio::test]
async fn a_copy_job_enters_the_model_with_its_state_and_parsed_vaults() {
    let jobs = mock!(Backup::list_copy_jobs).then_output(|| {
        jobs_page(
            vec![copy_job("j1", 1, WEST, SdkCopyJobState::Partial)],
            None,
        )
    });
    let facts = observe(&[&one_point(), &jobs], sweep())
        .await
        .expect("observed");
    let j = &facts.copy_jobs[0];
    assert_eq!(j.state, State::Partial);
    assert_eq!(j.source_vault_arn.as_ref(), Some(&arn(PRIMARY)));
    assert_eq!(
        j.destination_vault_arn.as_ref().and_then(|d| d.region()),
        Some("us-west-2")
    );
    assert_eq!(j.status_message.as_deref(), Some("j1 status"));
}

#[tokio::test]
async fn named_points_are_looked_for_in_the_allowlisted_vaults_only() {
    let mut cfg = config();
    cfg.vaults.source_vaults = vec![SOURCE_VAULT.into(), "secondary".into()];
    let in_primary = mock!(Backup::describe_recovery_point)
        .match_requests(|r| r.backup_vault_name() == Some(SOURCE_VAULT))
        .then_http_response(|| backup_error(404, "ResourceNotFoundException"));
    let in_secondary = mock!(Backup::describe_recovery_point)
        .match_requests(|r| {
            r.backup_vault_name() == Some("secondary")
                && r.recovery_point_arn() == Some(rp(1).as_str())
        })
        .then_output(|| {
            DescribeRecoveryPointOutput::builder()
                .backup_vault_name("secondary")
                .status(SdkStatus::Completed)
                .build()
        });
    let missing = mock!(Backup::describe_recovery_point)
        .match_requests(|r| r.backup_vault_name() == Some("secondary"))
        .then_http_response(|| backup_error(404, "ResourceNotFoundException"));
    let by_source = mock!(Backup::list_copy_jobs)
        .match_requests(|r| r.by_source_recovery_point_arn() == Some(rp(1).as_str()))
        .then_output(|| jobs_page(vec![copy_job("j1", 1, WEST, SdkCopyJobState::Failed)], None));
    let by_state = mock!(Backup::list_copy_jobs)
        .match_requests(|r| r.by_state().is_some())
        .then_output(|| jobs_page(vec![], None));
    let backup = backup_client(&[&in_primary, &in_secondary, &missing, &by_source, &by_state]);
    let facts = facts(&backup, &cfg, named(&[1, 2]), NOW)
        .await
        .expect("observed");
    assert_eq!(facts.recovery_points.len(), 1);
    let found = &facts.recovery_points[0];
    assert_eq!(
        (found.arn.as_str(), found.vault_name.as_str(), &found.status),
        (rp(1).as_str(), "secondary", &RecoveryPointStatus::Completed),
        "the ARN asked for is kept when the answer omits it"
    );
    assert_eq!(
        facts.unreadable.get(&rp(2)).map(String::as_str),
        Some("not found in the source vaults searched (dr-primary, secondary)")
    );
    assert_eq!(in_primary.num_calls(), 2, "not found is not retried");
    assert_eq!(by_source.num_calls(), 1, "only found points are listed");
    assert_eq!(by_state.num_calls(), 2);
    assert_eq!(facts.copy_jobs.len(), 1);
}

#[tokio::test]
async fn a_persistent_throttle_stops_the_run_as_retryable() {
    let list = mock!(Backup::list_recovery_points_by_backup_vault)
        .then_http_response(|| backup_error(429, "ThrottlingException"));
    // The copy jobs are listed alongside; the failed recovery-point listing stops the run.
    let err = observe(&[&list, &no_jobs()], sweep())
        .await
        .expect_err("throttled");
    assert_eq!(err.operation, "ListRecoveryPointsByBackupVault");
    assert!(err.failure.is_retryable(), "{err:?}");
    assert_eq!(list.num_calls(), 3, "the SDK retried before giving up");
}

#[tokio::test]
async fn with_nothing_named_nothing_is_called() {
    let list = no_jobs();
    let facts = observe(&[&list], Scope::default()).await.expect("observed");
    assert_eq!(
        facts,
        Facts {
            observed_at: NOW,
            ..Facts::default()
        }
    );
    assert_eq!(list.num_calls(), 0);
}

#[tokio::test]
async fn the_facts_carry_the_scope_on_to_the_plan() {
    let describe = mock!(Backup::describe_recovery_point).then_output(|| described(1));
    let facts = observe(&[&describe, &no_jobs()], named(&[1]))
        .await
        .expect("observed");
    assert_eq!(facts.scope, named(&[1]));
}

#[tokio::test]
async fn swept_points_due_in_cold_storage_are_described_to_read_their_storage_class() {
    let moving_at = |n: u32, at: i64| {
        let mut p = listed(n, SdkStatus::Completed);
        p.calculated_lifecycle = Some(
            CalculatedLifecycle::builder()
                .move_to_cold_storage_at(DateTime::from_secs(at))
                .build(),
        );
        p
    };
    let list = mock!(Backup::list_recovery_points_by_backup_vault).then_output(move || {
        points_page(
            vec![moving_at(1, NOW - 60), moving_at(2, NOW + 86_400)],
            None,
        )
    });
    let describe = mock!(Backup::describe_recovery_point)
        .match_requests(|r| r.recovery_point_arn() == Some(rp(1).as_str()))
        .then_output(|| {
            DescribeRecoveryPointOutput::builder()
                .recovery_point_arn(rp(1))
                .status(SdkStatus::Completed)
                .storage_class(SdkStorageClass::Cold)
                .build()
        });
    let facts = observe(&[&list, &describe, &no_jobs()], sweep())
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
    assert_eq!(class(rp(1)), Some(Some(StorageClass::Cold)));
    assert_eq!(class(rp(2)), Some(None));
}

fn failed(id: &str, n: u32, dest: &str, minute: i64) -> CopyJob {
    job(id, n, dest, State::Failed, minute)
}

fn every_destination_of(points: &[u32]) -> Vec<PointRequest> {
    points
        .iter()
        .map(|n| PointRequest {
            recovery_point_arn: rp(*n),
            vault: Some(SOURCE_VAULT.into()),
            destinations: None,
        })
        .collect()
}

#[test]
fn failed_copies_of_older_points_are_re_examined_newest_first_once_each() {
    let jobs = [
        failed("f1", 1, WEST, 10),
        failed("f2", 2, ISOLATED, 30),
        failed("f3", 1, ISOLATED, 20),
        job("p4", 4, WEST, State::Partial, 40),
    ];
    let got = failed_fanouts(&config(), &[], &jobs);
    assert_eq!(got.requests, every_destination_of(&[4, 2, 1]));
    assert_eq!(got.unexamined, 0);
}

#[test]
fn a_failed_copy_of_a_swept_point_is_left_to_the_sweep() {
    let got = failed_fanouts(&config(), &[point(9)], &[failed("f9", 9, WEST, 70)]);
    assert_eq!(got, FailedFanouts::default());
}

#[test]
fn a_failed_copy_from_a_vault_outside_the_allowlist_is_not_re_examined() {
    let from_scratch = CopyJob {
        source_vault_arn: Some(arn(
            "arn:aws:backup:us-east-1:123456789012:backup-vault:scratch",
        )),
        ..failed("s1", 5, WEST, 50)
    };
    assert_eq!(
        failed_fanouts(&config(), &[], &[from_scratch]),
        FailedFanouts::default()
    );
}

#[test]
fn a_failed_copy_to_a_vault_not_configured_is_not_re_examined() {
    let legacy = "arn:aws:backup:eu-west-1:123456789012:backup-vault:legacy";
    let got = failed_fanouts(&config(), &[], &[failed("e1", 6, legacy, 60)]);
    assert_eq!(got, FailedFanouts::default());
}

#[test]
fn failed_copies_past_the_per_sweep_bound_are_counted_newest_first() {
    let jobs: Vec<CopyJob> = (0..(MAX_FAILED_FANOUTS_PER_SWEEP as u32 + 3))
        .map(|n| failed(&format!("f{n}"), n, WEST, i64::from(n)))
        .collect();
    let got = failed_fanouts(&config(), &[], &jobs);
    assert_eq!(got.requests.len(), MAX_FAILED_FANOUTS_PER_SWEEP);
    assert_eq!(got.unexamined, 3);
    assert_eq!(
        got.requests[0].recovery_point_arn,
        rp(MAX_FAILED_FANOUTS_PER_SWEEP as u32 + 2),
        "newest failure first"
    );
}
