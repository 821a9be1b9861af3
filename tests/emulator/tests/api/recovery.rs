//! DRS recovery (jobs, recovery instances, recovery snapshots) through aws-sdk-drs.

use crate::common::{assert_error, failing, Env};
use aws_sdk_drs::config::http::HttpResponse;
use aws_sdk_drs::error::SdkError;
use aws_sdk_drs::operation::start_recovery::StartRecoveryError;
use aws_sdk_drs::types::{
    DescribeJobsRequestFilters, InitiatedBy, Job, JobLogEvent, JobStatus, JobType,
    LastLaunchResult, LastLaunchType, LaunchStatus, RecoveryInstance, RecoverySnapshotsOrder,
    StartRecoveryRequestSourceServer,
};
use dr_emulator::fixture::{DrsServer, DrsState, RecoveryQuotas};
use dr_emulator::Fixture;
use std::collections::HashMap;

fn id(n: u32) -> String {
    format!("s-{n:017}")
}

/// `n` healthy (CONTINUOUS) servers and one STOPPED server, `id(n + 1)`.
fn fleet(n: u32) -> Fixture {
    let mut fixture = Fixture::default();
    fixture.drs.source_servers = (1..=n)
        .map(|i| DrsServer::new(&id(i), DrsState::Continuous))
        .chain(std::iter::once(DrsServer::new(
            &id(n + 1),
            DrsState::Stopped,
        )))
        .collect();
    fixture
}

fn source(id: &str) -> StartRecoveryRequestSourceServer {
    StartRecoveryRequestSourceServer::builder()
        .source_server_id(id)
        .build()
        .expect("source server")
}

/// Starts a drill of `ids` tagged `Purpose=drill`; the job as StartRecovery returns it.
async fn drill(env: &Env, ids: &[String]) -> Job {
    let mut call = env
        .drs()
        .start_recovery()
        .is_drill(true)
        .tags("Purpose", "drill");
    for id in ids {
        call = call.source_servers(source(id));
    }
    call.send()
        .await
        .expect("start recovery")
        .job()
        .cloned()
        .expect("job")
}

async fn job(env: &Env, job_id: &str) -> Job {
    env.drs()
        .describe_jobs()
        .filters(
            DescribeJobsRequestFilters::builder()
                .job_ids(job_id)
                .build(),
        )
        .send()
        .await
        .expect("describe jobs")
        .items()[0]
        .clone()
}

async fn instances(env: &Env) -> Vec<RecoveryInstance> {
    env.drs()
        .describe_recovery_instances()
        .send()
        .await
        .expect("describe recovery instances")
        .items()
        .to_vec()
}

async fn log_events(env: &Env, job_id: &str) -> Vec<(JobLogEvent, Option<String>)> {
    env.drs()
        .describe_job_log_items()
        .job_id(job_id)
        .send()
        .await
        .expect("describe job log items")
        .items()
        .iter()
        .map(|l| {
            (
                l.event().cloned().expect("event"),
                l.event_data()
                    .and_then(|d| d.source_server_id())
                    .map(str::to_owned),
            )
        })
        .collect()
}

fn statuses(job: &Job) -> HashMap<String, LaunchStatus> {
    job.participating_servers()
        .iter()
        .map(|p| {
            (
                p.source_server_id().unwrap_or_default().to_owned(),
                p.launch_status().cloned().expect("launch status"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_drill_job_launches_drill_instances_and_completes() {
    let env = Env::new(fleet(2)).await;
    let started = drill(&env, &[id(1), id(2)]).await;
    assert_eq!(started.status(), Some(&JobStatus::Pending));
    assert_eq!(started.r#type(), Some(&JobType::Launch));
    assert_eq!(started.initiated_by(), Some(&InitiatedBy::StartDrill));
    let job_id = started.job_id().to_owned();

    env.emulator.advance(1);
    let running = job(&env, &job_id).await;
    assert_eq!(running.status(), Some(&JobStatus::Started));
    assert!(statuses(&running)
        .values()
        .all(|s| *s == LaunchStatus::InProgress));

    env.emulator.advance(1);
    let done = job(&env, &job_id).await;
    assert_eq!(done.status(), Some(&JobStatus::Completed));
    assert!(done.end_date_time().is_some());
    assert!(statuses(&done)
        .values()
        .all(|s| *s == LaunchStatus::Launched));
    let launched = instances(&env).await;
    assert_eq!(launched.len(), 2);
    for instance in &launched {
        assert_eq!(instance.is_drill(), Some(true));
        assert_eq!(instance.job_id(), Some(job_id.as_str()));
        assert!(instance
            .ec2_instance_id()
            .is_some_and(|i| i.starts_with("i-")));
        assert!(instance.point_in_time_snapshot_date_time().is_some());
    }
    let events: Vec<JobLogEvent> = log_events(&env, &job_id)
        .await
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(events.first(), Some(&JobLogEvent::JobStart));
    assert_eq!(events.last(), Some(&JobLogEvent::JobEnd));
}

#[tokio::test]
async fn a_failed_launch_is_failed_in_the_job_and_logged() {
    let env = Env::new(fleet(2)).await;
    env.emulator
        .fail_next_drs_launch(&id(2))
        .expect("known server");
    let job_id = drill(&env, &[id(1), id(2)]).await.job_id().to_owned();
    env.emulator.advance(2);
    let done = job(&env, &job_id).await;
    let by_server = statuses(&done);
    assert_eq!(by_server[&id(1)], LaunchStatus::Launched);
    assert_eq!(by_server[&id(2)], LaunchStatus::Failed);
    let events = log_events(&env, &job_id).await;
    assert!(events.contains(&(JobLogEvent::LaunchFailed, Some(id(2)))));
    assert_eq!(instances(&env).await.len(), 1);
}

#[tokio::test]
async fn a_server_that_is_not_replicating_healthily_is_skipped() {
    let env = Env::new(fleet(1)).await;
    let job_id = drill(&env, &[id(1), id(2)]).await.job_id().to_owned();
    env.emulator.advance(2);
    let done = job(&env, &job_id).await;
    assert_eq!(statuses(&done)[&id(2)], LaunchStatus::Failed);
    let events = log_events(&env, &job_id).await;
    assert!(events.contains(&(JobLogEvent::ServerSkipped, Some(id(2)))));
}

#[tokio::test]
async fn terminating_recovery_instances_removes_them_when_its_job_completes() {
    let env = Env::new(fleet(1)).await;
    drill(&env, &[id(1)]).await;
    env.emulator.advance(2);
    let instance = instances(&env).await[0]
        .recovery_instance_id()
        .expect("instance id")
        .to_owned();
    let terminate = env
        .drs()
        .terminate_recovery_instances()
        .recovery_instance_ids(&instance)
        .send()
        .await
        .expect("terminate")
        .job()
        .cloned()
        .expect("job");
    assert_eq!(terminate.r#type(), Some(&JobType::Terminate));
    assert_eq!(
        terminate.initiated_by(),
        Some(&InitiatedBy::TerminateRecoveryInstances)
    );
    env.emulator.advance(2);
    let done = job(&env, terminate.job_id()).await;
    assert_eq!(done.status(), Some(&JobStatus::Completed));
    assert_eq!(statuses(&done)[&id(1)], LaunchStatus::Terminated);
    assert!(instances(&env).await.is_empty());
}

#[tokio::test]
async fn recovery_snapshots_are_listed_newest_first_when_asked() {
    let env = Env::new(fleet(1)).await;
    let snapshots = env
        .drs()
        .describe_recovery_snapshots()
        .source_server_id(id(1))
        .order(RecoverySnapshotsOrder::Desc)
        .send()
        .await
        .expect("describe recovery snapshots")
        .items()
        .to_vec();
    assert!(snapshots.len() >= 2);
    let times: Vec<&str> = snapshots.iter().map(|s| s.expected_timestamp()).collect();
    let mut sorted = times.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted);
    assert!(snapshots
        .iter()
        .all(|s| s.snapshot_id().starts_with("pit-")));
}

#[tokio::test]
async fn a_drill_from_a_named_snapshot_launches_from_its_point_in_time() {
    let env = Env::new(fleet(1)).await;
    let oldest = env
        .drs()
        .describe_recovery_snapshots()
        .source_server_id(id(1))
        .order(RecoverySnapshotsOrder::Asc)
        .send()
        .await
        .expect("describe recovery snapshots")
        .items()[0]
        .clone();
    env.drs()
        .start_recovery()
        .is_drill(true)
        .source_servers(
            StartRecoveryRequestSourceServer::builder()
                .source_server_id(id(1))
                .recovery_snapshot_id(oldest.snapshot_id())
                .build()
                .expect("source server"),
        )
        .send()
        .await
        .expect("start recovery");
    env.emulator.advance(2);
    assert_eq!(
        instances(&env).await[0].point_in_time_snapshot_date_time(),
        Some(oldest.expected_timestamp())
    );
}

#[tokio::test]
async fn start_recovery_refuses_more_than_200_servers_with_a_validation_error() {
    let env = Env::new(fleet(201)).await;
    let ids: Vec<String> = (1..=201).map(id).collect();
    let mut call = env.drs().start_recovery().is_drill(true);
    for id in &ids {
        call = call.source_servers(source(id));
    }
    let err = call.send().await.expect_err("over the limit");
    assert_error(&err, "ValidationException", 400);
    assert!(env.emulator.state()["drs"]["jobs"]
        .as_array()
        .is_some_and(Vec::is_empty));
}

#[tokio::test]
async fn terminate_refuses_more_than_200_instances_with_a_validation_error() {
    let env = Env::new(fleet(1)).await;
    let ids: Vec<String> = (0..201).map(|n| format!("i-{n:017x}")).collect();
    let err = env
        .drs()
        .terminate_recovery_instances()
        .set_recovery_instance_ids(Some(ids))
        .send()
        .await
        .expect_err("over the limit");
    assert_error(&err, "ValidationException", 400);
}

#[tokio::test]
async fn a_server_in_a_running_launch_job_is_refused_a_second_launch() {
    let env = Env::new(fleet(1)).await;
    drill(&env, &[id(1)]).await;
    let err = env
        .drs()
        .start_recovery()
        .source_servers(source(&id(1)))
        .send()
        .await
        .expect_err("already launching");
    assert_error(&err, "ConflictException", 409);
}

#[tokio::test]
async fn jobs_paginate_newest_first() {
    let env = Env::new(fleet(5)).await;
    let mut started = Vec::new();
    for n in 1..=5 {
        started.push(drill(&env, &[id(n)]).await.job_id().to_owned());
    }
    let first = env
        .drs()
        .describe_jobs()
        .max_results(2)
        .send()
        .await
        .expect("first page");
    assert_eq!(first.items().len(), 2);
    assert!(first.next_token().is_some());
    let all: Vec<String> = env
        .drs()
        .describe_jobs()
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("all pages")
        .iter()
        .map(|j| j.job_id().to_owned())
        .collect();
    started.reverse();
    assert_eq!(all, started);
}

#[tokio::test]
async fn fault_rules_apply_to_the_recovery_operations() {
    let env = Env::new(fleet(1)).await;
    env.emulator
        .set_fault(failing(
            "DescribeJobs",
            "InternalServerException",
            1.0,
            Some(1),
        ))
        .expect("rule");
    let err = env
        .drs()
        .describe_jobs()
        .send()
        .await
        .expect_err("injected");
    assert_error(&err, "InternalServerException", 500);
}

#[tokio::test]
async fn the_state_snapshot_shows_jobs_and_recovery_instances() {
    let env = Env::new(fleet(1)).await;
    let job_id = drill(&env, &[id(1)]).await.job_id().to_owned();
    env.emulator.advance(2);
    let state = env.emulator.state();
    assert_eq!(state["drs"]["jobs"][0]["jobID"], job_id.as_str());
    assert_eq!(
        state["drs"]["recoveryInstances"][0]["sourceServerID"],
        id(1).as_str()
    );
}

async fn snapshot_times(env: &Env, server: &str) -> Vec<String> {
    env.drs()
        .describe_recovery_snapshots()
        .source_server_id(server)
        .send()
        .await
        .expect("describe recovery snapshots")
        .items()
        .iter()
        .map(|s| s.expected_timestamp().to_owned())
        .collect()
}

#[tokio::test]
async fn a_fixture_gives_a_servers_recovery_snapshots() {
    let mut fixture = fleet(1);
    fixture.drs.source_servers[0].recovery_snapshots =
        vec!["2026-01-02T03:04:05Z".into(), "2026-01-01T00:00:00Z".into()];
    let env = Env::new(fixture).await;
    assert_eq!(
        snapshot_times(&env, &id(1)).await,
        ["2026-01-01T00:00:00Z", "2026-01-02T03:04:05Z"]
    );
}

#[tokio::test]
async fn stopping_replication_deletes_the_servers_snapshots() {
    let env = Env::new(fleet(1)).await;
    assert!(!snapshot_times(&env, &id(1)).await.is_empty());
    env.drs()
        .stop_replication()
        .source_server_id(id(1))
        .send()
        .await
        .expect("stop");
    assert!(snapshot_times(&env, &id(1)).await.is_empty());
}

#[tokio::test]
async fn start_recovery_tags_the_job_and_not_its_recovery_instances() {
    let env = Env::new(fleet(1)).await;
    let job_id = drill(&env, &[id(1)]).await.job_id().to_owned();
    env.emulator.advance(2);
    let done = job(&env, &job_id).await;
    assert_eq!(
        done.tags()
            .and_then(|t| t.get("Purpose"))
            .map(String::as_str),
        Some("drill")
    );
    let launched = instances(&env).await;
    assert_eq!(launched.len(), 1);
    assert!(launched[0].tags().is_none_or(HashMap::is_empty));
}

async fn server(env: &Env, server: &str) -> aws_sdk_drs::types::SourceServer {
    env.drs()
        .describe_source_servers()
        .filters(
            aws_sdk_drs::types::DescribeSourceServersRequestFilters::builder()
                .source_server_ids(server)
                .build(),
        )
        .send()
        .await
        .expect("describe source servers")
        .items()[0]
        .clone()
}

#[tokio::test]
async fn a_server_shows_no_last_launch_before_its_first_launch() {
    let env = Env::new(fleet(1)).await;
    let s = server(&env, &id(1)).await;
    assert!(s.life_cycle().and_then(|l| l.last_launch()).is_none());
    assert_eq!(s.last_launch_result(), Some(&LastLaunchResult::NotStarted));
}

#[tokio::test]
async fn the_last_launch_of_a_server_follows_its_drill_job() {
    let env = Env::new(fleet(1)).await;
    let started = drill(&env, &[id(1)]).await;
    let job_id = started.job_id().to_owned();
    let last = |s: &aws_sdk_drs::types::SourceServer| {
        s.life_cycle()
            .and_then(|l| l.last_launch())
            .cloned()
            .expect("last launch")
    };
    let pending = last(&server(&env, &id(1)).await);
    let initiated = pending.initiated().expect("initiated");
    assert_eq!(initiated.job_id(), Some(job_id.as_str()));
    assert_eq!(initiated.r#type(), Some(&LastLaunchType::Drill));
    assert_eq!(initiated.api_call_date_time(), started.creation_date_time());
    assert_eq!(pending.status(), Some(&LaunchStatus::Pending));

    env.emulator.advance(1);
    let running = last(&server(&env, &id(1)).await);
    assert_eq!(running.status(), Some(&LaunchStatus::InProgress));

    env.emulator.advance(1);
    let s = server(&env, &id(1)).await;
    assert_eq!(last(&s).status(), Some(&LaunchStatus::Launched));
    assert_eq!(s.last_launch_result(), Some(&LastLaunchResult::Succeeded));
    assert_eq!(
        s.recovery_instance_id(),
        instances(&env).await[0].recovery_instance_id()
    );
}

#[tokio::test]
async fn a_recovery_after_a_drill_is_the_servers_last_launch() {
    let env = Env::new(fleet(1)).await;
    drill(&env, &[id(1)]).await;
    env.emulator.advance(2);
    let recovery = env
        .drs()
        .start_recovery()
        .source_servers(source(&id(1)))
        .send()
        .await
        .expect("start recovery")
        .job()
        .cloned()
        .expect("job");
    let s = server(&env, &id(1)).await;
    let initiated = s
        .life_cycle()
        .and_then(|l| l.last_launch())
        .and_then(|l| l.initiated())
        .cloned()
        .expect("initiated");
    assert_eq!(initiated.r#type(), Some(&LastLaunchType::Recovery));
    assert_eq!(initiated.job_id(), Some(recovery.job_id()));
}

#[tokio::test]
async fn a_failed_launch_is_the_servers_failed_last_launch() {
    let env = Env::new(fleet(1)).await;
    env.emulator.fail_next_drs_launch(&id(1)).expect("known");
    drill(&env, &[id(1)]).await;
    env.emulator.advance(2);
    let s = server(&env, &id(1)).await;
    assert_eq!(
        s.life_cycle()
            .and_then(|l| l.last_launch())
            .and_then(|l| l.status()),
        Some(&LaunchStatus::Failed)
    );
    assert_eq!(s.last_launch_result(), Some(&LastLaunchResult::Failed));
}

fn lag(s: &aws_sdk_drs::types::SourceServer) -> Option<String> {
    s.data_replication_info()
        .and_then(|d| d.lag_duration())
        .map(str::to_owned)
}

#[tokio::test]
async fn a_continuous_server_without_a_set_lag_shows_none() {
    let env = Env::new(fleet(1)).await;
    assert_eq!(lag(&server(&env, &id(1)).await).as_deref(), Some("PT0S"));
}

#[tokio::test]
async fn a_fixture_lag_shows_in_describe_source_servers() {
    let mut fixture = fleet(1);
    fixture.drs.source_servers[0].lag_duration = Some("PT20M".into());
    let env = Env::new(fixture).await;
    assert_eq!(lag(&server(&env, &id(1)).await).as_deref(), Some("PT20M"));
}

#[tokio::test]
async fn the_lag_helper_sets_a_servers_lag() {
    let env = Env::new(fleet(1)).await;
    env.emulator.set_drs_lag(&id(1), "PT1H5M").expect("lag");
    assert_eq!(lag(&server(&env, &id(1)).await).as_deref(), Some("PT1H5M"));
}

#[tokio::test]
async fn the_lag_helper_refuses_a_lag_that_is_not_a_duration() {
    let env = Env::new(fleet(1)).await;
    assert!(env.emulator.set_drs_lag(&id(1), "20 minutes").is_err());
    assert_eq!(lag(&server(&env, &id(1)).await).as_deref(), Some("PT0S"));
}

#[tokio::test]
async fn a_stopped_server_shows_no_lag_even_when_one_is_set() {
    let env = Env::new(fleet(1)).await;
    env.emulator.set_drs_lag(&id(2), "PT20M").expect("lag");
    assert_eq!(lag(&server(&env, &id(2)).await), None);
}

/// `n` healthy servers with the given "at scale" quotas.
fn quota_fleet(n: u32, per_job: usize, in_active: usize, jobs: usize) -> Fixture {
    let mut fixture = fleet(n);
    fixture.drs.recovery_quotas = RecoveryQuotas {
        servers_per_job: per_job,
        servers_in_active_jobs: in_active,
        concurrent_jobs: jobs,
    };
    fixture
}

async fn start(
    env: &Env,
    ids: &[String],
) -> Result<Job, SdkError<StartRecoveryError, HttpResponse>> {
    let mut call = env.drs().start_recovery().is_drill(true);
    for id in ids {
        call = call.source_servers(source(id));
    }
    call.send().await.map(|o| o.job().cloned().expect("job"))
}

fn quota_code(err: &SdkError<StartRecoveryError, HttpResponse>) -> Option<String> {
    match err.as_service_error() {
        Some(StartRecoveryError::ServiceQuotaExceededException(e)) => {
            assert_eq!(e.service_code(), Some("drs"));
            e.quota_code().map(str::to_owned)
        }
        _ => None,
    }
}

#[tokio::test]
async fn start_recovery_refuses_more_servers_than_a_job_may_have_with_a_quota_error() {
    let env = Env::new(fleet(101)).await;
    let ids: Vec<String> = (1..=101).map(id).collect();
    let err = start(&env, &ids).await.expect_err("over the job quota");
    assert_error(&err, "ServiceQuotaExceededException", 402);
    assert_eq!(
        quota_code(&err).as_deref(),
        Some("source-servers-per-recovery-job")
    );
    assert!(env.emulator.state()["drs"]["jobs"]
        .as_array()
        .is_some_and(Vec::is_empty));
}

#[tokio::test]
async fn start_recovery_accepts_a_job_of_the_documented_100_servers() {
    let env = Env::new(fleet(100)).await;
    let ids: Vec<String> = (1..=100).map(id).collect();
    let job = start(&env, &ids).await.expect("at the quota");
    assert_eq!(job.participating_servers().len(), 100);
}

#[tokio::test]
async fn start_recovery_refuses_a_job_beyond_the_concurrent_jobs_quota() {
    let env = Env::new(quota_fleet(3, 100, 500, 2)).await;
    start(&env, &[id(1)]).await.expect("first job");
    start(&env, &[id(2)]).await.expect("second job");
    let err = start(&env, &[id(3)]).await.expect_err("third job");
    assert_error(&err, "ServiceQuotaExceededException", 402);
    assert_eq!(quota_code(&err).as_deref(), Some("concurrent-jobs"));
}

#[tokio::test]
async fn a_completed_job_no_longer_counts_against_the_quotas() {
    let env = Env::new(quota_fleet(2, 100, 500, 1)).await;
    start(&env, &[id(1)]).await.expect("first job");
    env.emulator.advance(2);
    start(&env, &[id(2)])
        .await
        .expect("after the first completed");
}

#[tokio::test]
async fn start_recovery_refuses_servers_beyond_the_active_jobs_quota() {
    let env = Env::new(quota_fleet(3, 100, 2, 20)).await;
    start(&env, &[id(1), id(2)]).await.expect("first job");
    let err = start(&env, &[id(3)])
        .await
        .expect_err("one server too many");
    assert_error(&err, "ServiceQuotaExceededException", 402);
    assert_eq!(
        quota_code(&err).as_deref(),
        Some("source-servers-in-all-active-jobs")
    );
}
