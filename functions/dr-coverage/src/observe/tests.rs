//! Observe against mocked Backup, DRS and MGN clients, and the choice of older points.

use super::*;
use crate::testing::*;
use aws_sdk_backup::operation::describe_recovery_point::DescribeRecoveryPointOutput as Described;
use aws_sdk_backup::operation::list_copy_jobs::ListCopyJobsOutput;
use aws_sdk_backup::operation::list_recovery_points_by_backup_vault::ListRecoveryPointsByBackupVaultOutput;
use aws_sdk_backup::types::{CopyJob as BackupJob, RecoveryPointStatus as SdkStatus};
use aws_sdk_backup::Client as Backup;
use aws_sdk_drs::operation::describe_jobs::DescribeJobsOutput;
use aws_sdk_drs::operation::describe_source_servers::DescribeSourceServersOutput as DrsPage;
use aws_sdk_drs::types::{
    DataReplicationInfo, DataReplicationState, InitiatedBy as SdkInitiatedBy,
    JobStatus as SdkJobStatus, LaunchStatus as SdkLaunchStatus, LifeCycle, LifeCycleLastLaunch,
    LifeCycleLastLaunchInitiated, ParticipatingServer,
};
use aws_sdk_drs::Client as Drs;
use aws_sdk_mgn::operation::describe_source_servers::DescribeSourceServersOutput as MgnPage;
use aws_sdk_mgn::types::{
    DataReplicationInfo as MgnInfo, DataReplicationState as MgnState, LifeCycle as MgnLife,
    LifeCycleState,
};
use aws_sdk_mgn::Client as Mgn;
use aws_smithy_mocks::{mock, Rule};
use dr_testkit::{error_response, Protocol};

fn sdk_point(n: u32, age: i64) -> RecoveryPointByBackupVault {
    RecoveryPointByBackupVault::builder()
        .recovery_point_arn(rp(n))
        .backup_vault_name(SOURCE_VAULT)
        .backup_vault_arn(PRIMARY)
        .resource_type("EBS")
        .status(SdkStatus::Completed)
        .creation_date(DateTime::from_secs(NOW - age))
        .build()
}

fn sdk_job(id: &str, n: u32, dest: &str, state: SdkCopyJobState, age: i64) -> BackupJob {
    BackupJob::builder()
        .copy_job_id(id)
        .source_recovery_point_arn(rp(n))
        .source_backup_vault_arn(PRIMARY)
        .destination_backup_vault_arn(dest)
        .state(state)
        .status_message(format!("{id} status"))
        .creation_date(DateTime::from_secs(NOW - age))
        .build()
}

fn jobs(list: Vec<BackupJob>, next: Option<&str>) -> ListCopyJobsOutput {
    ListCopyJobsOutput::builder()
        .set_copy_jobs(Some(list))
        .set_next_token(next.map(str::to_owned))
        .build()
}

fn points(list: Vec<RecoveryPointByBackupVault>) -> ListRecoveryPointsByBackupVaultOutput {
    ListRecoveryPointsByBackupVaultOutput::builder()
        .set_recovery_points(Some(list))
        .build()
}

/// Backup only.
fn backup_only() -> CoverageConfig {
    CoverageConfig {
        drs: None,
        mgn: false,
        ..config()
    }
}

async fn observe(
    config: &CoverageConfig,
    backup: &[&Rule],
    drs: &[&Rule],
    mgn: &[&Rule],
) -> Result<Facts, ObserveError> {
    facts(&clients(backup, drs, mgn), config, NOW).await
}

#[tokio::test]
async fn the_window_is_read_from_every_page_of_each_source_vault() {
    let list = mock!(Backup::list_recovery_points_by_backup_vault)
        .match_requests(|r| {
            r.backup_vault_name() == Some(SOURCE_VAULT)
                && r.by_created_after() == Some(&DateTime::from_secs(NOW - 7 * DAY))
        })
        .sequence()
        .output(|| {
            ListRecoveryPointsByBackupVaultOutput::builder()
                .recovery_points(sdk_point(1, DAY))
                .next_token("p2")
                .build()
        })
        .output(|| points(vec![sdk_point(2, 2 * DAY)]))
        .build();
    let none = mock!(Backup::list_copy_jobs).then_output(|| jobs(vec![], None));
    let got = observe(&backup_only(), &[&list, &none], &[], &[])
        .await
        .expect("observed");
    let read = got.backup.expect("backup read");
    let arns: Vec<&str> = read.points.iter().map(|p| p.arn.as_str()).collect();
    assert_eq!(arns, [rp(1), rp(2)]);
    assert_eq!(list.num_calls(), 2);
    assert_eq!(read.window_start, NOW - 7 * DAY);
}

#[tokio::test]
async fn copy_jobs_are_read_per_destination_since_the_window_and_failures_for_thirty_days() {
    let window = DateTime::from_secs(NOW - 7 * DAY);
    let horizon = DateTime::from_secs(NOW - 30 * DAY);
    let west = mock!(Backup::list_copy_jobs)
        .match_requests(move |r| {
            r.by_destination_vault_arn() == Some(WEST) && r.by_created_after() == Some(&window)
        })
        .then_output(|| {
            jobs(
                vec![sdk_job("cj-1", 1, WEST, SdkCopyJobState::Completed, 100)],
                None,
            )
        });
    let isolated = mock!(Backup::list_copy_jobs)
        .match_requests(move |r| {
            r.by_destination_vault_arn() == Some(ISOLATED) && r.by_created_after() == Some(&window)
        })
        .sequence()
        .output(|| {
            jobs(
                vec![sdk_job("cj-2", 1, ISOLATED, SdkCopyJobState::Running, 100)],
                Some("n"),
            )
        })
        .output(|| {
            jobs(
                vec![sdk_job("cj-3", 2, ISOLATED, SdkCopyJobState::Created, 50)],
                None,
            )
        })
        .build();
    let failures = mock!(Backup::list_copy_jobs)
        .match_requests(move |r| {
            matches!(
                r.by_state(),
                Some(SdkCopyJobState::Failed | SdkCopyJobState::Partial)
            ) && r.by_created_after() == Some(&horizon)
        })
        .then_output(|| jobs(vec![], None));
    let list = mock!(Backup::list_recovery_points_by_backup_vault)
        .then_output(|| points(vec![sdk_point(1, DAY)]));
    let got = observe(
        &backup_only(),
        &[&list, &west, &isolated, &failures],
        &[],
        &[],
    )
    .await
    .expect("observed");
    let ids: Vec<String> = got
        .backup
        .expect("read")
        .copy_jobs
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(ids, ["cj-1", "cj-2", "cj-3"]);
    assert_eq!(
        (west.num_calls(), isolated.num_calls(), failures.num_calls()),
        (1, 2, 2)
    );
}

/// Backup rules for an empty window whose failure listing finds `failed`, the point it names
/// described by `describe`, and the jobs of that point.
fn older_rules(describe: Rule) -> [Rule; 5] {
    [
        mock!(Backup::list_recovery_points_by_backup_vault).then_output(|| points(vec![])),
        mock!(Backup::list_copy_jobs)
            .match_requests(|r| r.by_state() == Some(&SdkCopyJobState::Failed))
            .then_output(|| {
                jobs(
                    vec![sdk_job("cj-9", 9, WEST, SdkCopyJobState::Failed, 20 * DAY)],
                    None,
                )
            }),
        mock!(Backup::list_copy_jobs)
            .match_requests(|r| r.by_source_recovery_point_arn() == Some(rp(9).as_str()))
            .then_output(|| {
                jobs(
                    vec![
                        sdk_job("cj-9", 9, WEST, SdkCopyJobState::Failed, 20 * DAY),
                        sdk_job("cj-10", 9, ISOLATED, SdkCopyJobState::Completed, 20 * DAY),
                    ],
                    None,
                )
            }),
        describe,
        mock!(Backup::list_copy_jobs).then_output(|| jobs(vec![], None)),
    ]
}

#[tokio::test]
async fn an_older_point_with_a_failed_copy_is_described_and_all_its_copy_jobs_read() {
    let describe = mock!(Backup::describe_recovery_point)
        .match_requests(|r| {
            r.backup_vault_name() == Some(SOURCE_VAULT)
                && r.recovery_point_arn() == Some(rp(9).as_str())
        })
        .then_output(|| {
            Described::builder()
                .recovery_point_arn(rp(9))
                .backup_vault_arn(PRIMARY)
                .status(SdkStatus::Completed)
                .creation_date(DateTime::from_secs(NOW - 21 * DAY))
                .build()
        });
    let rules = older_rules(describe);
    let refs: Vec<&Rule> = rules.iter().collect();
    let read = observe(&backup_only(), &refs, &[], &[])
        .await
        .expect("observed")
        .backup
        .expect("read");
    assert_eq!(read.older.len(), 1);
    assert!(
        matches!(&read.older[0], OlderPoint::Found(p) if p.arn == rp(9) && p.created == Some(NOW - 21 * DAY))
    );
    assert!(read.copy_jobs.iter().any(|j| j.id == "cj-10"));
}

#[tokio::test]
async fn an_older_point_gone_is_dropped_and_one_refused_is_unreadable() {
    let gone = mock!(Backup::describe_recovery_point).then_http_response(|| {
        error_response(
            Protocol::RestJsonCapitalised,
            404,
            "ResourceNotFoundException",
        )
    });
    let rules = older_rules(gone);
    let refs: Vec<&Rule> = rules.iter().collect();
    let read = observe(&backup_only(), &refs, &[], &[])
        .await
        .expect("observed")
        .backup
        .expect("read");
    assert!(read.older.is_empty());

    let refused = mock!(Backup::describe_recovery_point).then_http_response(|| {
        error_response(Protocol::RestJsonCapitalised, 403, "AccessDeniedException")
    });
    let rules = older_rules(refused);
    let refs: Vec<&Rule> = rules.iter().collect();
    let read = observe(&backup_only(), &refs, &[], &[])
        .await
        .expect("observed")
        .backup
        .expect("read");
    match &read.older[..] {
        [OlderPoint::Unreadable { arn, reason }] => {
            assert_eq!(arn, &rp(9));
            assert!(reason.contains("AccessDeniedException"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_refused_copy_job_listing_stops_the_target_naming_the_read() {
    let list = mock!(Backup::list_recovery_points_by_backup_vault).then_output(|| points(vec![]));
    let denied = mock!(Backup::list_copy_jobs).then_http_response(|| {
        error_response(Protocol::RestJsonCapitalised, 403, "AccessDeniedException")
    });
    let err = observe(&backup_only(), &[&list, &denied], &[], &[])
        .await
        .expect_err("stopped");
    assert_eq!(err.operation, LIST_COPY_JOBS);
}

#[test]
fn older_candidates_are_failed_copies_to_destinations_from_source_vaults_outside_the_window() {
    let cfg = config();
    let backup = cfg.backup.as_ref().expect("backup");
    let failed =
        |id: &str, n: u32, dest: &str, age: i64| job(id, n, dest, CopyJobState::Failed, age);
    let mut elsewhere = failed("cj-5", 5, WEST, 10 * DAY);
    elsewhere.source_vault_arn =
        Some("arn:aws:backup:us-east-1:123456789012:backup-vault:scratch".into());
    let listed = vec![
        failed("cj-1", 1, WEST, 10 * DAY),
        failed("cj-2", 2, WEST, 12 * DAY),
        failed("cj-3", 2, ISOLATED, 11 * DAY),
        failed(
            "cj-4",
            4,
            "arn:aws:backup:us-west-2:123456789012:backup-vault:other",
            10 * DAY,
        ),
        elsewhere,
        job("cj-6", 6, WEST, CopyJobState::Completed, 10 * DAY),
        failed("cj-7", 7, WEST, 9 * DAY),
    ];
    let window = [point(7, 9 * DAY)];
    let (got, more) = older_candidates(backup, &window, &listed);
    let arns: Vec<&str> = got.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        arns,
        [rp(1), rp(2)],
        "newest failure first, each point once"
    );
    assert!(got.iter().all(|(_, v)| v == SOURCE_VAULT));
    assert_eq!(more, 0);
}

#[test]
fn older_candidates_stop_at_the_bound_and_count_the_rest() {
    let cfg = config();
    let backup = cfg.backup.as_ref().expect("backup");
    let listed: Vec<CopyJob> = (0..105u32)
        .map(|n| {
            job(
                &format!("cj-{n}"),
                n,
                WEST,
                CopyJobState::Partial,
                10 * DAY + i64::from(n),
            )
        })
        .collect();
    let (got, more) = older_candidates(backup, &[], &listed);
    assert_eq!((got.len(), more), (MAX_OLDER_POINTS, 5));
    assert_eq!(got[0].0, rp(0));
}

fn sdk_drs_server(n: u32) -> aws_sdk_drs::types::SourceServer {
    aws_sdk_drs::types::SourceServer::builder()
        .source_server_id(format!("s-{n:017}"))
        .tags("Env", "prod")
        .tags("Other", "dropped")
        .data_replication_info(
            DataReplicationInfo::builder()
                .data_replication_state(DataReplicationState::Continuous)
                .lag_duration("PT2M30S")
                .build(),
        )
        .life_cycle(
            LifeCycle::builder()
                .last_launch(
                    LifeCycleLastLaunch::builder()
                        .initiated(
                            LifeCycleLastLaunchInitiated::builder()
                                .api_call_date_time("2026-11-19T10:00:00Z")
                                .job_id("drsjob-0000000000000000a")
                                .r#type(LastLaunchType::Drill)
                                .build(),
                        )
                        .status(SdkLaunchStatus::Launched)
                        .build(),
                )
                .build(),
        )
        .build()
}

fn sdk_drs_job(id: &str, kind: JobType) -> aws_sdk_drs::types::Job {
    aws_sdk_drs::types::Job::builder()
        .job_id(id)
        .r#type(kind)
        .initiated_by(SdkInitiatedBy::StartDrill)
        .status(SdkJobStatus::Completed)
        .creation_date_time("2026-11-18T10:00:00Z")
        .end_date_time("2026-11-18T10:20:00Z")
        .participating_servers(
            ParticipatingServer::builder()
                .source_server_id("s-00000000000000001")
                .launch_status(SdkLaunchStatus::Launched)
                .build(),
        )
        .build()
        .expect("a job id")
}

#[tokio::test]
async fn drs_servers_are_read_every_page_and_launch_jobs_since_the_drill_interval() {
    let servers = mock!(Drs::describe_source_servers)
        .sequence()
        .output(|| {
            DrsPage::builder()
                .items(sdk_drs_server(1))
                .next_token("n")
                .build()
        })
        .output(|| DrsPage::builder().items(sdk_drs_server(2)).build())
        .build();
    let jobs = mock!(Drs::describe_jobs)
        .match_requests(|r| r.filters().and_then(|f| f.from_date()) == Some("2026-11-13T10:00:00Z"))
        .then_output(|| {
            DescribeJobsOutput::builder()
                .items(sdk_drs_job("drsjob-00000000000000001", JobType::Launch))
                .items(sdk_drs_job("drsjob-00000000000000002", JobType::Terminate))
                .build()
        });
    let config = CoverageConfig {
        backup: None,
        mgn: false,
        ..config()
    };
    let read = observe(&config, &[], &[&servers, &jobs], &[])
        .await
        .expect("observed")
        .drs
        .expect("drs");
    assert_eq!(read.servers.len(), 2);
    let first = &read.servers[0];
    assert_eq!(first.tags, [("Env".to_owned(), "prod".to_owned())]);
    assert_eq!((first.lag, first.state.as_str()), (Some(150), "CONTINUOUS"));
    let last = first.last_launch.as_ref().expect("last launch");
    assert!(last.drill && last.status == LaunchStatus::Launched);
    assert_eq!(last.initiated, Some(NOW - DAY));
    let ids: Vec<&str> = read.launch_jobs.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(
        ids,
        ["drsjob-00000000000000001"],
        "only launch jobs are kept"
    );
    assert_eq!(read.launch_jobs[0].ended, Some(NOW - 2 * DAY + 1_200));
    assert_eq!(read.jobs_since, NOW - 7 * DAY);
}

#[tokio::test]
async fn mgn_servers_are_the_non_archived_ones_of_every_page() {
    let server = |n: u32, state: MgnState| {
        aws_sdk_mgn::types::SourceServer::builder()
            .source_server_id(format!("s-{n:017}"))
            .data_replication_info(MgnInfo::builder().data_replication_state(state).build())
            .life_cycle(
                MgnLife::builder()
                    .state(LifeCycleState::ReadyForTest)
                    .build(),
            )
            .build()
    };
    let pages = mock!(Mgn::describe_source_servers)
        .match_requests(|r| r.filters().and_then(|f| f.is_archived()) == Some(false))
        .sequence()
        .output(move || {
            MgnPage::builder()
                .items(server(1, MgnState::Stalled))
                .next_token("n")
                .build()
        })
        .output(move || {
            MgnPage::builder()
                .items(server(2, MgnState::Continuous))
                .build()
        })
        .build();
    let config = CoverageConfig {
        backup: None,
        drs: None,
        ..config()
    };
    let read = observe(&config, &[], &[], &[&pages])
        .await
        .expect("observed")
        .mgn
        .expect("mgn");
    let states: Vec<String> = read.iter().map(MgnServer::states).collect();
    assert_eq!(
        states,
        ["READY_FOR_TEST/STALLED", "READY_FOR_TEST/CONTINUOUS"]
    );
}

#[tokio::test]
async fn a_service_not_configured_is_not_called() {
    let backup = mock!(Backup::list_recovery_points_by_backup_vault).then_output(|| points(vec![]));
    let drs = mock!(Drs::describe_source_servers).then_output(|| DrsPage::builder().build());
    let mgn = mock!(Mgn::describe_source_servers).then_output(|| MgnPage::builder().build());
    let config = CoverageConfig {
        backup: None,
        drs: None,
        ..config()
    };
    let got = observe(&config, &[&backup], &[&drs], &[&mgn])
        .await
        .expect("observed");
    assert!(got.backup.is_none() && got.drs.is_none());
    assert_eq!(
        (backup.num_calls(), drs.num_calls(), mgn.num_calls()),
        (0, 0, 1)
    );
}

#[tokio::test]
async fn launch_jobs_are_read_over_the_longer_of_the_drill_interval_and_the_window() {
    for (every, from) in [
        (Some(30 * DAY), "2026-10-21T10:00:00Z"),
        (Some(DAY), "2026-11-13T10:00:00Z"),
        (None, "2026-11-13T10:00:00Z"),
    ] {
        let servers =
            mock!(Drs::describe_source_servers).then_output(|| DrsPage::builder().build());
        let jobs = mock!(Drs::describe_jobs)
            .match_requests(move |r| r.filters().and_then(|f| f.from_date()) == Some(from))
            .then_output(|| DescribeJobsOutput::builder().build());
        let mut config = CoverageConfig {
            backup: None,
            mgn: false,
            ..config()
        };
        if let Some(d) = config.drs.as_mut() {
            d.drill_every = every;
        }
        let read = observe(&config, &[], &[&servers, &jobs], &[]).await;
        assert!(read.is_ok(), "{every:?}: {read:?}");
        assert_eq!(jobs.num_calls(), 1, "{every:?}");
    }
}
