//! MGN through aws-sdk-mgn.

use crate::common::{assert_error, failing, Env};
use crate::wire::admin;
use aws_sdk_mgn::config::http::HttpResponse;
use aws_sdk_mgn::error::SdkError;
use aws_sdk_mgn::operation::change_server_life_cycle_state::ChangeServerLifeCycleStateError;
use aws_sdk_mgn::operation::start_replication::StartReplicationError;
use aws_sdk_mgn::operation::start_test::StartTestError;
use aws_sdk_mgn::types::{
    ChangeServerLifeCycleStateSourceServerLifecycle,
    ChangeServerLifeCycleStateSourceServerLifecycleState, DataReplicationState,
    DescribeJobsRequestFilters, DescribeSourceServersRequestFilters, InitiatedBy, Job, JobLogEvent,
    JobStatus, JobType, LaunchStatus, LifeCycleState, ReplicationConfigurationDataPlaneRouting,
    ReplicationConfigurationEbsEncryption, SourceServer,
};
use dr_emulator::fixture::{MgnReplicationState, MgnServer};
use dr_emulator::mgn::StateChange;
use dr_emulator::Fixture;
use serde_json::{json, Value};

/// The demo server with hostname `host`.
fn demo_id(host: &str) -> String {
    Fixture::demo()
        .mgn
        .source_servers
        .iter()
        .find(|s| s.hostname.as_deref() == Some(host))
        .map(|s| s.source_server_id.clone())
        .expect("demo has that MGN server")
}

async fn describe_one(env: &Env, id: &str) -> SourceServer {
    let out = env
        .mgn()
        .describe_source_servers()
        .filters(
            DescribeSourceServersRequestFilters::builder()
                .source_server_ids(id)
                .build(),
        )
        .send()
        .await
        .expect("describe");
    out.items()[0].clone()
}

fn replication_state(s: &SourceServer) -> DataReplicationState {
    s.data_replication_info()
        .and_then(|d| d.data_replication_state())
        .cloned()
        .expect("state")
}

fn life_cycle(s: &SourceServer) -> LifeCycleState {
    s.life_cycle()
        .and_then(|l| l.state())
        .cloned()
        .expect("lifecycle")
}

/// `n` CONTINUOUS servers named `host-<i>`.
fn fleet(n: u32) -> Fixture {
    let mut f = Fixture::default();
    f.mgn.source_servers = (0..n)
        .map(|i| {
            MgnServer::new(
                &id(i),
                &format!("host-{i}"),
                MgnReplicationState::Continuous,
            )
        })
        .collect();
    f
}

fn id(n: u32) -> String {
    format!("s-{n:017}")
}

#[tokio::test]
async fn describe_shows_the_demo_servers_with_hostname_states_and_arn() {
    let env = Env::new(Fixture::demo()).await;
    let out = env
        .mgn()
        .describe_source_servers()
        .send()
        .await
        .expect("describe");
    assert_eq!(out.items().len(), 8);
    let stalled = describe_one(&env, &demo_id("mgn-db-1")).await;
    assert_eq!(replication_state(&stalled), DataReplicationState::Stalled);
    let error = stalled
        .data_replication_info()
        .and_then(|d| d.data_replication_error())
        .expect("error");
    assert_eq!(
        error.error().map(|e| e.as_str()),
        Some("FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER")
    );
    let ready = describe_one(&env, &demo_id("mgn-app-1")).await;
    assert_eq!(life_cycle(&ready), LifeCycleState::ReadyForTest);
    assert_eq!(
        ready
            .source_properties()
            .and_then(|p| p.identification_hints())
            .and_then(|h| h.hostname()),
        Some("mgn-app-1")
    );
    assert_eq!(
        ready.arn(),
        Some(
            format!(
                "arn:aws:mgn:us-east-1:123456789012:source-server/{}",
                demo_id("mgn-app-1")
            )
            .as_str()
        )
    );
    assert!(ready
        .data_replication_info()
        .and_then(|d| d.lag_duration())
        .is_some());
}

#[tokio::test]
async fn the_admin_state_endpoint_stalls_a_server_with_its_error() {
    let env = Env::new(Fixture::demo()).await;
    let id = demo_id("mgn-app-2");
    let body = serde_json::json!({
        "sourceServerID": id,
        "dataReplicationState": "STALLED",
        "dataReplicationError": {"error": "UNSTABLE_NETWORK", "rawError": "packet loss"},
    });
    let r = admin(env.emulator.addr(), "POST", "/_emulator/mgn/state", body).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let s = describe_one(&env, &id).await;
    assert_eq!(replication_state(&s), DataReplicationState::Stalled);
    let error = s
        .data_replication_info()
        .and_then(|d| d.data_replication_error())
        .expect("error");
    assert_eq!(error.raw_error(), Some("packet loss"));
}

#[tokio::test]
async fn describe_pages_through_a_fleet_with_next_tokens() {
    let env = Env::new(fleet(25)).await;
    let pages = env
        .mgn()
        .describe_source_servers()
        .max_results(10)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("pages");
    assert_eq!(pages.len(), 3);
    let total: usize = pages.iter().map(|p| p.items().len()).sum();
    assert_eq!(total, 25);
}

#[tokio::test]
async fn describe_refuses_more_than_1000_results() {
    let env = Env::new(fleet(1)).await;
    let err = env
        .mgn()
        .describe_source_servers()
        .max_results(1001)
        .send()
        .await
        .expect_err("refused");
    assert_error(&err, "ValidationException", 400);
}

#[tokio::test]
async fn set_mgn_state_refuses_an_unknown_state_and_changes_nothing() {
    let env = Env::new(fleet(1)).await;
    let change = StateChange {
        lag_duration: Some("PT5M".into()),
        ..StateChange::replication("SLEEPING")
    };
    assert!(env.emulator.set_mgn_state(&id(0), &change).is_err());
    let s = describe_one(&env, &id(0)).await;
    assert_eq!(
        s.data_replication_info().and_then(|d| d.lag_duration()),
        Some("PT0S")
    );
}

/// The JSON body of a failed call, as the emulator sent it.
fn error_body<E>(err: &SdkError<E, HttpResponse>) -> Value {
    err.raw_response()
        .and_then(|r| r.body().bytes())
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or(Value::Null)
}

/// The `resourceId`s of a ConflictException's `errors`.
fn conflicting(err: &SdkError<impl std::fmt::Debug, HttpResponse>) -> Vec<String> {
    error_body(err)["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["resourceId"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn start_test(env: &Env, ids: &[String]) -> Job {
    let mut call = env
        .mgn()
        .start_test()
        .tags("dr-automation:function", "test");
    for id in ids {
        call = call.source_server_ids(id);
    }
    call.send()
        .await
        .expect("start test")
        .job()
        .cloned()
        .expect("job")
}

async fn job(env: &Env, job_id: &str) -> Job {
    env.mgn()
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

async fn change_life_cycle(
    env: &Env,
    id: &str,
    state: ChangeServerLifeCycleStateSourceServerLifecycleState,
) -> Result<SourceServer, SdkError<ChangeServerLifeCycleStateError, HttpResponse>> {
    let out = env
        .mgn()
        .change_server_life_cycle_state()
        .source_server_id(id)
        .life_cycle(
            ChangeServerLifeCycleStateSourceServerLifecycle::builder()
                .state(state)
                .build()
                .expect("lifecycle"),
        )
        .send()
        .await?;
    Ok(describe_one(env, out.source_server_id().expect("id")).await)
}

/// A server of [`fleet`] tested and completed: READY_FOR_TEST → TESTING with a launched
/// instance.
async fn tested(env: &Env, n: u32) -> Job {
    let job = start_test(env, &[id(n)]).await;
    env.emulator.advance(2);
    job
}

fn launched_instance(s: &SourceServer) -> Option<String> {
    s.launched_instance()
        .and_then(|l| l.ec2_instance_id())
        .map(str::to_owned)
}

#[tokio::test]
async fn describe_filters_by_lifecycle_state() {
    let env = Env::new(Fixture::demo()).await;
    let out = env
        .mgn()
        .describe_source_servers()
        .filters(
            DescribeSourceServersRequestFilters::builder()
                .life_cycle_states(LifeCycleState::NotReady)
                .build(),
        )
        .send()
        .await
        .expect("describe");
    let hosts: Vec<&str> = out
        .items()
        .iter()
        .filter_map(|s| {
            s.source_properties()
                .and_then(|p| p.identification_hints())
                .and_then(|h| h.hostname())
        })
        .collect();
    assert_eq!(hosts, ["mgn-db-1", "mgn-web-1", "mgn-web-3"]);
}

#[tokio::test]
async fn describe_refuses_more_than_200_source_server_ids() {
    let env = Env::new(fleet(1)).await;
    let mut filters = DescribeSourceServersRequestFilters::builder();
    for n in 0..201 {
        filters = filters.source_server_ids(id(n));
    }
    let err = env
        .mgn()
        .describe_source_servers()
        .filters(filters.build())
        .send()
        .await
        .expect_err("refused");
    assert_error(&err, "ValidationException", 400);
}

#[tokio::test]
async fn get_replication_configuration_shows_the_fixture_members_over_the_defaults() {
    let env = Env::new(Fixture::demo()).await;
    let out = env
        .mgn()
        .get_replication_configuration()
        .source_server_id(demo_id("mgn-app-1"))
        .send()
        .await
        .expect("get");
    assert_eq!(out.bandwidth_throttling(), 100);
    assert_eq!(out.replication_server_instance_type(), Some("t3.medium"));
    assert_eq!(
        out.ebs_encryption(),
        Some(&ReplicationConfigurationEbsEncryption::Default)
    );
    assert_eq!(out.name(), Some("mgn-app-1"));
}

#[tokio::test]
async fn get_replication_configuration_of_an_unknown_server_is_not_found() {
    let env = Env::new(fleet(1)).await;
    let err = env
        .mgn()
        .get_replication_configuration()
        .source_server_id(id(99))
        .send()
        .await
        .expect_err("unknown");
    assert_error(&err, "ResourceNotFoundException", 404);
}

#[tokio::test]
async fn update_replication_configuration_stores_only_the_members_given() {
    let env = Env::new(fleet(1)).await;
    let out = env
        .mgn()
        .update_replication_configuration()
        .source_server_id(id(0))
        .bandwidth_throttling(250)
        .data_plane_routing(ReplicationConfigurationDataPlaneRouting::PublicIp)
        .send()
        .await
        .expect("update");
    assert_eq!(out.bandwidth_throttling(), 250);
    let stored = env
        .emulator
        .mgn_replication_configuration(&id(0))
        .expect("stored");
    assert_eq!(stored["bandwidthThrottling"], 250);
    assert_eq!(stored["dataPlaneRouting"], "PUBLIC_IP");
    assert_eq!(stored["ebsEncryption"], "DEFAULT", "untouched: {stored}");
}

#[tokio::test]
async fn update_replication_configuration_refuses_a_value_outside_the_models_enum() {
    let env = Env::new(fleet(1)).await;
    let err = env
        .mgn()
        .update_replication_configuration()
        .source_server_id(id(0))
        .bandwidth_throttling(300)
        .ebs_encryption(ReplicationConfigurationEbsEncryption::from("NONE"))
        .send()
        .await
        .expect_err("refused");
    assert_error(&err, "ValidationException", 400);
    assert_eq!(error_body(&err)["fieldList"][0]["name"], "ebsEncryption");
    let stored = env
        .emulator
        .mgn_replication_configuration(&id(0))
        .expect("stored");
    assert_eq!(stored["bandwidthThrottling"], 0, "nothing stored: {stored}");
}

#[tokio::test]
async fn update_replication_configuration_refuses_a_bandwidth_over_10000() {
    let env = Env::new(fleet(1)).await;
    let err = env
        .mgn()
        .update_replication_configuration()
        .source_server_id(id(0))
        .bandwidth_throttling(10_001)
        .send()
        .await
        .expect_err("refused");
    assert_error(&err, "ValidationException", 400);
}

#[tokio::test]
async fn the_admin_api_shows_the_stored_replication_configuration() {
    let env = Env::new(Fixture::demo()).await;
    let path = format!(
        "/_emulator/mgn/replication-configuration?sourceServerID={}",
        demo_id("mgn-app-1")
    );
    let r = admin(env.emulator.addr(), "GET", &path, Value::Null).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["bandwidthThrottling"], 100);
    assert_eq!(r.json()["sourceServerID"], demo_id("mgn-app-1"));
}

#[tokio::test]
async fn start_replication_initiates_then_syncs_then_is_ready_for_test_with_a_lag() {
    let env = Env::new(Fixture::demo()).await;
    let id = demo_id("mgn-web-1");
    let out = env
        .mgn()
        .start_replication()
        .source_server_id(&id)
        .send()
        .await
        .expect("start");
    assert_eq!(
        out.data_replication_info()
            .and_then(|d| d.data_replication_state()),
        Some(&DataReplicationState::Initiating)
    );
    env.emulator.advance(1);
    let s = describe_one(&env, &id).await;
    assert_eq!(replication_state(&s), DataReplicationState::InitialSync);
    assert_eq!(life_cycle(&s), LifeCycleState::NotReady);
    assert!(s
        .data_replication_info()
        .and_then(|d| d.lag_duration())
        .is_none());
    env.emulator.advance(1);
    let s = describe_one(&env, &id).await;
    assert_eq!(replication_state(&s), DataReplicationState::Continuous);
    assert_eq!(life_cycle(&s), LifeCycleState::ReadyForTest);
    assert!(s
        .data_replication_info()
        .and_then(|d| d.lag_duration())
        .is_some());
}

#[tokio::test]
async fn start_replication_of_a_replicating_server_is_a_conflict_naming_it() {
    let env = Env::new(fleet(1)).await;
    let err = env
        .mgn()
        .start_replication()
        .source_server_id(id(0))
        .send()
        .await
        .expect_err("conflict");
    assert_error(&err, "ConflictException", 409);
    assert_eq!(conflicting(&err), [id(0)]);
}

/// `active` CONTINUOUS servers, one STOPPED and one PAUSED, with an active quota of `quota`.
fn at_quota(active: u32, quota: usize) -> Fixture {
    let mut f = fleet(active);
    f.mgn.active_quota = quota;
    f.mgn.source_servers.push(MgnServer::new(
        &id(100),
        "stopped",
        MgnReplicationState::Stopped,
    ));
    f.mgn.source_servers.push(MgnServer::new(
        &id(101),
        "paused",
        MgnReplicationState::Paused,
    ));
    f
}

#[tokio::test]
async fn start_replication_at_the_active_server_quota_is_a_quota_error() {
    let env = Env::new(at_quota(2, 2)).await;
    let err = env
        .mgn()
        .start_replication()
        .source_server_id(id(100))
        .send()
        .await
        .expect_err("quota");
    assert_error(&err, "ServiceQuotaExceededException", 402);
    match err.into_service_error() {
        StartReplicationError::ServiceQuotaExceededException(e) => {
            assert_eq!(e.quota_value(), Some(2));
        }
        other => panic!("not a quota error: {other:?}"),
    }
}

#[tokio::test]
async fn resume_replication_at_the_active_server_quota_is_a_quota_error() {
    let env = Env::new(at_quota(2, 2)).await;
    let err = env
        .mgn()
        .resume_replication()
        .source_server_id(id(101))
        .send()
        .await
        .expect_err("quota");
    assert_error(&err, "ServiceQuotaExceededException", 402);
}

#[tokio::test]
async fn stopped_and_paused_servers_leave_room_under_the_active_quota() {
    let env = Env::new(at_quota(2, 3)).await;
    env.mgn()
        .start_replication()
        .source_server_id(id(100))
        .send()
        .await
        .expect("room for one more");
    assert_eq!(env.emulator.state()["mgn"]["active"], 3);
}

#[tokio::test]
async fn stop_replication_stops_and_a_second_stop_is_a_conflict() {
    let env = Env::new(fleet(1)).await;
    let out = env
        .mgn()
        .stop_replication()
        .source_server_id(id(0))
        .send()
        .await
        .expect("stop");
    assert_eq!(
        out.data_replication_info()
            .and_then(|d| d.data_replication_state()),
        Some(&DataReplicationState::Stopped)
    );
    let err = env
        .mgn()
        .stop_replication()
        .source_server_id(id(0))
        .send()
        .await
        .expect_err("already stopped");
    assert_error(&err, "ConflictException", 409);
}

#[tokio::test]
async fn resume_returns_a_paused_server_to_the_state_it_was_paused_in() {
    let env = Env::new(fleet(1)).await;
    env.emulator
        .set_mgn_state(&id(0), &StateChange::replication("BACKLOG"))
        .expect("backlog");
    env.mgn()
        .pause_replication()
        .source_server_id(id(0))
        .send()
        .await
        .expect("pause");
    assert_eq!(
        replication_state(&describe_one(&env, &id(0)).await),
        DataReplicationState::Paused
    );
    let out = env
        .mgn()
        .resume_replication()
        .source_server_id(id(0))
        .send()
        .await
        .expect("resume");
    assert_eq!(
        out.data_replication_info()
            .and_then(|d| d.data_replication_state()),
        Some(&DataReplicationState::Backlog)
    );
}

#[tokio::test]
async fn resume_of_a_server_that_is_not_paused_is_a_conflict() {
    let env = Env::new(fleet(1)).await;
    let err = env
        .mgn()
        .resume_replication()
        .source_server_id(id(0))
        .send()
        .await
        .expect_err("not paused");
    assert_error(&err, "ConflictException", 409);
}

#[tokio::test]
async fn pause_of_a_stalled_server_is_a_conflict() {
    let env = Env::new(Fixture::demo()).await;
    let err = env
        .mgn()
        .pause_replication()
        .source_server_id(demo_id("mgn-db-1"))
        .send()
        .await
        .expect_err("stalled");
    assert_error(&err, "ConflictException", 409);
}

#[tokio::test]
async fn retry_restarts_a_stalled_server_at_the_next_step_not_in_the_answer() {
    let env = Env::new(Fixture::demo()).await;
    let id = demo_id("mgn-db-1");
    let out = env
        .mgn()
        .retry_data_replication()
        .source_server_id(&id)
        .send()
        .await
        .expect("retry");
    assert_eq!(
        out.data_replication_info()
            .and_then(|d| d.data_replication_state()),
        Some(&DataReplicationState::Stalled)
    );
    env.emulator.advance(1);
    let s = describe_one(&env, &id).await;
    assert_eq!(replication_state(&s), DataReplicationState::Initiating);
    assert!(s
        .data_replication_info()
        .and_then(|d| d.data_replication_error())
        .is_none());
    env.emulator.advance(2);
    let s = describe_one(&env, &id).await;
    assert_eq!(replication_state(&s), DataReplicationState::Continuous);
    assert_eq!(life_cycle(&s), LifeCycleState::ReadyForTest);
}

#[tokio::test]
async fn retry_of_a_server_that_is_not_stalled_is_a_validation_error() {
    let env = Env::new(fleet(1)).await;
    let err = env
        .mgn()
        .retry_data_replication()
        .source_server_id(id(0))
        .send()
        .await
        .expect_err("not stalled");
    assert_error(&err, "ValidationException", 400);
}

#[tokio::test]
async fn a_stall_on_start_server_stalls_after_initiating() {
    let mut f = fleet(0);
    let mut s = MgnServer::new(&id(0), "flaky", MgnReplicationState::Stopped);
    s.stall_on_start = true;
    f.mgn.source_servers.push(s);
    let env = Env::new(f).await;
    env.mgn()
        .start_replication()
        .source_server_id(id(0))
        .send()
        .await
        .expect("start");
    env.emulator.advance(1);
    let s = describe_one(&env, &id(0)).await;
    assert_eq!(replication_state(&s), DataReplicationState::Stalled);
    assert!(s
        .data_replication_info()
        .and_then(|d| d.data_replication_error())
        .is_some());
}

#[tokio::test]
async fn start_test_answers_202_with_a_pending_launch_job_and_tests_the_server() {
    let env = Env::new(fleet(1)).await;
    let job = start_test(&env, &[id(0)]).await;
    assert!(job.job_id().starts_with("mgnjob-") && job.job_id().len() == 24);
    assert_eq!(job.r#type(), Some(&JobType::Launch));
    assert_eq!(job.initiated_by(), Some(&InitiatedBy::StartTest));
    assert_eq!(job.status(), Some(&JobStatus::Pending));
    assert_eq!(
        job.tags().and_then(|t| t.get("dr-automation:function")),
        Some(&"test".to_owned())
    );
    let s = describe_one(&env, &id(0)).await;
    assert_eq!(life_cycle(&s), LifeCycleState::Testing);
    let initiated = s
        .life_cycle()
        .and_then(|l| l.last_test())
        .and_then(|t| t.initiated())
        .expect("initiated");
    assert_eq!(initiated.job_id(), Some(job.job_id()));
    assert!(initiated.api_call_date_time().is_some());
}

#[tokio::test]
async fn start_test_answers_with_status_202() {
    let env = Env::new(fleet(1)).await;
    let body = json!({"sourceServerIDs": [id(0)]});
    let r = crate::wire::signed_mgn(env.emulator.addr(), "/StartTest", &body.to_string()).await;
    assert_eq!(r.status, 202, "{}", r.body);
}

#[tokio::test]
async fn a_test_launch_job_starts_then_completes_with_a_launched_instance() {
    let env = Env::new(fleet(1)).await;
    let started = start_test(&env, &[id(0)]).await;
    env.emulator.advance(1);
    let j = job(&env, started.job_id()).await;
    assert_eq!(j.status(), Some(&JobStatus::Started));
    assert_eq!(
        j.participating_servers()[0].launch_status(),
        Some(&LaunchStatus::InProgress)
    );
    env.emulator.advance(1);
    let j = job(&env, started.job_id()).await;
    assert_eq!(j.status(), Some(&JobStatus::Completed));
    assert!(j.end_date_time().is_some());
    let p = &j.participating_servers()[0];
    assert_eq!(p.launch_status(), Some(&LaunchStatus::Launched));
    let instance = p.launched_ec2_instance_id().expect("instance").to_owned();
    let s = describe_one(&env, &id(0)).await;
    assert_eq!(launched_instance(&s), Some(instance));
    assert_eq!(
        s.launched_instance().and_then(|l| l.job_id()),
        Some(started.job_id())
    );
}

#[tokio::test]
async fn start_test_of_servers_not_ready_is_one_conflict_naming_each() {
    let env = Env::new(Fixture::demo()).await;
    let ids = [
        demo_id("mgn-app-1"),
        demo_id("mgn-web-1"),
        demo_id("mgn-web-3"),
    ];
    let mut call = env.mgn().start_test();
    for id in &ids {
        call = call.source_server_ids(id);
    }
    let err = call.send().await.expect_err("conflict");
    assert_error(&err, "ConflictException", 409);
    match err.into_service_error() {
        StartTestError::ConflictException(e) => {
            let named: Vec<&str> = e.errors().iter().filter_map(|d| d.resource_id()).collect();
            assert_eq!(named, [ids[1].as_str(), ids[2].as_str()]);
        }
        other => panic!("not a conflict: {other:?}"),
    }
    let s = describe_one(&env, &ids[0]).await;
    assert_eq!(life_cycle(&s), LifeCycleState::ReadyForTest, "unchanged");
}

#[tokio::test]
async fn start_test_takes_1_to_200_servers() {
    let env = Env::new(fleet(201)).await;
    let err = env.mgn().start_test().send().await.expect_err("no servers");
    assert_error(&err, "ValidationException", 400);
    let mut call = env.mgn().start_test();
    for n in 0..201 {
        call = call.source_server_ids(id(n));
    }
    let err = call.send().await.expect_err("too many");
    assert_error(&err, "ValidationException", 400);
}

#[tokio::test]
async fn start_test_of_an_unknown_server_is_a_validation_error() {
    let env = Env::new(fleet(1)).await;
    let err = env
        .mgn()
        .start_test()
        .source_server_ids(id(7))
        .send()
        .await
        .expect_err("unknown");
    assert_error(&err, "ValidationException", 400);
}

#[tokio::test]
async fn a_server_in_a_job_in_progress_is_refused_a_second_job() {
    let env = Env::new(fleet(1)).await;
    start_test(&env, &[id(0)]).await;
    let err = env
        .mgn()
        .start_test()
        .source_server_ids(id(0))
        .send()
        .await
        .expect_err("busy");
    assert_error(&err, "ConflictException", 409);
    assert_eq!(conflicting(&err), [id(0)]);
}

#[tokio::test]
async fn start_test_over_the_concurrent_jobs_quota_is_a_conflict_naming_the_quota() {
    let mut f = fleet(2);
    f.mgn.launch_quotas.concurrent_jobs = 1;
    let env = Env::new(f).await;
    start_test(&env, &[id(0)]).await;
    let err = env
        .mgn()
        .start_test()
        .source_server_ids(id(1))
        .send()
        .await
        .expect_err("quota");
    assert_error(&err, "ConflictException", 409);
    assert_eq!(error_body(&err)["code"], "CONCURRENT_JOBS_EXCEEDED");
}

#[tokio::test]
async fn start_test_over_the_servers_in_active_jobs_quota_is_a_conflict() {
    let mut f = fleet(3);
    f.mgn.launch_quotas.servers_in_active_jobs = 2;
    let env = Env::new(f).await;
    start_test(&env, &[id(0), id(1)]).await;
    let err = env
        .mgn()
        .start_test()
        .source_server_ids(id(2))
        .send()
        .await
        .expect_err("quota");
    assert_error(&err, "ConflictException", 409);
    assert_eq!(
        error_body(&err)["code"],
        "MAX_SOURCE_SERVERS_IN_ALL_JOBS_EXCEEDED"
    );
    env.emulator.advance(2);
    start_test(&env, &[id(2)]).await;
}

#[tokio::test]
async fn a_failed_test_launch_is_failed_in_the_job_and_logged_with_its_raw_error() {
    let env = Env::new(fleet(1)).await;
    env.emulator
        .fail_next_mgn_launch(&id(0), Some("no capacity"))
        .expect("fail");
    let started = tested(&env, 0).await;
    let j = job(&env, started.job_id()).await;
    assert_eq!(
        j.participating_servers()[0].launch_status(),
        Some(&LaunchStatus::Failed)
    );
    let log = env
        .mgn()
        .describe_job_log_items()
        .job_id(started.job_id())
        .send()
        .await
        .expect("log");
    let failed = log
        .items()
        .iter()
        .find(|l| l.event() == Some(&JobLogEvent::LaunchFailed))
        .expect("LAUNCH_FAILED");
    assert_eq!(
        failed.event_data().and_then(|d| d.raw_error()),
        Some("no capacity")
    );
    assert!(launched_instance(&describe_one(&env, &id(0)).await).is_none());
}

#[tokio::test]
async fn the_admin_launch_failure_endpoint_fails_the_next_test_launch() {
    let env = Env::new(fleet(1)).await;
    let body = json!({"sourceServerID": id(0), "rawError": "AMI not found"});
    let r = admin(
        env.emulator.addr(),
        "POST",
        "/_emulator/mgn/launch-failures",
        body,
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let started = tested(&env, 0).await;
    let j = job(&env, started.job_id()).await;
    assert_eq!(
        j.participating_servers()[0].launch_status(),
        Some(&LaunchStatus::Failed)
    );
}

#[tokio::test]
async fn terminate_target_instances_of_a_testing_server_is_a_conflict() {
    let env = Env::new(fleet(1)).await;
    tested(&env, 0).await;
    let err = env
        .mgn()
        .terminate_target_instances()
        .source_server_ids(id(0))
        .send()
        .await
        .expect_err("testing");
    assert_error(&err, "ConflictException", 409);
    assert_eq!(conflicting(&err), [id(0)]);
}

#[tokio::test]
async fn terminate_after_ready_for_cutover_terminates_the_instance_in_a_terminate_job() {
    let env = Env::new(fleet(1)).await;
    tested(&env, 0).await;
    let s = change_life_cycle(
        &env,
        &id(0),
        ChangeServerLifeCycleStateSourceServerLifecycleState::ReadyForCutover,
    )
    .await
    .expect("ready for cutover");
    let instance = launched_instance(&s).expect("launched");
    let out = env
        .mgn()
        .terminate_target_instances()
        .source_server_ids(id(0))
        .tags("dr-automation:function", "test")
        .send()
        .await
        .expect("terminate");
    let started = out.job().expect("job");
    assert_eq!(started.r#type(), Some(&JobType::Terminate));
    assert_eq!(started.initiated_by(), Some(&InitiatedBy::Terminate));
    env.emulator.advance(2);
    let j = job(&env, started.job_id()).await;
    assert_eq!(j.status(), Some(&JobStatus::Completed));
    let p = &j.participating_servers()[0];
    assert_eq!(p.launch_status(), Some(&LaunchStatus::Terminated));
    assert_eq!(p.launched_ec2_instance_id(), Some(instance.as_str()));
    assert!(launched_instance(&describe_one(&env, &id(0)).await).is_none());
}

#[tokio::test]
async fn terminate_of_a_server_without_a_launched_instance_is_a_conflict() {
    let env = Env::new(fleet(1)).await;
    let err = env
        .mgn()
        .terminate_target_instances()
        .source_server_ids(id(0))
        .send()
        .await
        .expect_err("nothing launched");
    assert_error(&err, "ConflictException", 409);
}

#[tokio::test]
async fn ready_for_cutover_after_a_test_finalizes_it() {
    let env = Env::new(fleet(1)).await;
    tested(&env, 0).await;
    let s = change_life_cycle(
        &env,
        &id(0),
        ChangeServerLifeCycleStateSourceServerLifecycleState::ReadyForCutover,
    )
    .await
    .expect("change");
    assert_eq!(life_cycle(&s), LifeCycleState::ReadyForCutover);
    let test = s
        .life_cycle()
        .and_then(|l| l.last_test())
        .expect("lastTest");
    assert!(test.finalized().is_some());
    assert!(test.reverted().is_none());
}

#[tokio::test]
async fn ready_for_test_after_a_test_reverts_it() {
    let env = Env::new(fleet(1)).await;
    tested(&env, 0).await;
    let s = change_life_cycle(
        &env,
        &id(0),
        ChangeServerLifeCycleStateSourceServerLifecycleState::ReadyForTest,
    )
    .await
    .expect("change");
    assert_eq!(life_cycle(&s), LifeCycleState::ReadyForTest);
    let test = s
        .life_cycle()
        .and_then(|l| l.last_test())
        .expect("lastTest");
    assert!(test.reverted().is_some());
    assert!(test.initiated().is_some());
}

#[tokio::test]
async fn a_lifecycle_change_of_a_server_without_a_lag_is_a_conflict() {
    let env = Env::new(Fixture::demo()).await;
    let err = change_life_cycle(
        &env,
        &demo_id("mgn-web-3"),
        ChangeServerLifeCycleStateSourceServerLifecycleState::ReadyForCutover,
    )
    .await
    .expect_err("not launchable");
    assert_error(&err, "ConflictException", 409);
    assert_eq!(conflicting(&err), [demo_id("mgn-web-3")]);
}

#[tokio::test]
async fn a_lifecycle_change_while_the_test_job_runs_is_a_conflict() {
    let env = Env::new(fleet(1)).await;
    start_test(&env, &[id(0)]).await;
    let err = change_life_cycle(
        &env,
        &id(0),
        ChangeServerLifeCycleStateSourceServerLifecycleState::ReadyForCutover,
    )
    .await
    .expect_err("job running");
    assert_error(&err, "ConflictException", 409);
}

#[tokio::test]
async fn a_lifecycle_state_outside_the_models_enum_is_a_validation_error() {
    let env = Env::new(fleet(1)).await;
    let err = change_life_cycle(
        &env,
        &id(0),
        ChangeServerLifeCycleStateSourceServerLifecycleState::from("TESTING"),
    )
    .await
    .expect_err("not allowed");
    assert_error(&err, "ValidationException", 400);
}

#[tokio::test]
async fn describe_jobs_lists_the_newest_first_and_filters_by_id() {
    let env = Env::new(fleet(2)).await;
    let first = start_test(&env, &[id(0)]).await;
    env.emulator.advance_time(60, 0);
    let second = start_test(&env, &[id(1)]).await;
    let out = env.mgn().describe_jobs().send().await.expect("jobs");
    let ids: Vec<&str> = out.items().iter().map(|j| j.job_id()).collect();
    assert_eq!(ids, [second.job_id(), first.job_id()]);
    assert_eq!(job(&env, first.job_id()).await.job_id(), first.job_id());
}

#[tokio::test]
async fn a_job_log_runs_from_job_start_to_job_end() {
    let env = Env::new(fleet(1)).await;
    let started = tested(&env, 0).await;
    let log = env
        .mgn()
        .describe_job_log_items()
        .job_id(started.job_id())
        .send()
        .await
        .expect("log");
    let events: Vec<&str> = log
        .items()
        .iter()
        .filter_map(|l| l.event().map(|e| e.as_str()))
        .collect();
    assert_eq!(
        events,
        ["JOB_START", "LAUNCH_START", "CONVERSION_END", "JOB_END"]
    );
}

#[tokio::test]
async fn mark_as_archived_archives_a_disconnected_server_and_refuses_a_ready_one() {
    let env = Env::new(Fixture::demo()).await;
    let out = env
        .mgn()
        .mark_as_archived()
        .source_server_id(demo_id("mgn-web-2"))
        .send()
        .await
        .expect("archive");
    assert_eq!(out.is_archived(), Some(true));
    let err = env
        .mgn()
        .mark_as_archived()
        .source_server_id(demo_id("mgn-app-1"))
        .send()
        .await
        .expect_err("ready");
    assert_error(&err, "ConflictException", 409);
    let live = env
        .mgn()
        .describe_source_servers()
        .filters(
            DescribeSourceServersRequestFilters::builder()
                .is_archived(false)
                .build(),
        )
        .send()
        .await
        .expect("describe");
    assert_eq!(live.items().len(), 7);
}

fn arn(n: u32) -> String {
    format!("arn:aws:mgn:us-east-1:123456789012:source-server/{}", id(n))
}

#[tokio::test]
async fn tags_are_added_listed_and_removed_on_an_encoded_source_server_arn() {
    let env = Env::new(fleet(1)).await;
    env.mgn()
        .tag_resource()
        .resource_arn(arn(0))
        .tags("dr-automation:mgn-stalls", "2")
        .tags("Owner", "ops")
        .send()
        .await
        .expect("tag");
    env.mgn()
        .untag_resource()
        .resource_arn(arn(0))
        .tag_keys("Owner")
        .send()
        .await
        .expect("untag");
    let out = env
        .mgn()
        .list_tags_for_resource()
        .resource_arn(arn(0))
        .send()
        .await
        .expect("list");
    let tags = out.tags().expect("tags");
    assert_eq!(tags.len(), 1);
    assert_eq!(tags.get("dr-automation:mgn-stalls"), Some(&"2".to_owned()));
    let s = describe_one(&env, &id(0)).await;
    assert_eq!(s.tags().map(|t| t.len()), Some(1));
}

#[tokio::test]
async fn a_source_server_refuses_more_than_50_tags() {
    let env = Env::new(fleet(1)).await;
    let mut call = env.mgn().tag_resource().resource_arn(arn(0));
    for n in 0..51 {
        call = call.tags(format!("k{n}"), "v");
    }
    let err = call.send().await.expect_err("too many");
    assert_error(&err, "ValidationException", 400);
}

#[tokio::test]
async fn a_test_jobs_tags_are_listed_by_its_arn() {
    let env = Env::new(fleet(1)).await;
    let job = start_test(&env, &[id(0)]).await;
    let out = env
        .mgn()
        .list_tags_for_resource()
        .resource_arn(job.arn().expect("arn"))
        .send()
        .await
        .expect("list");
    assert_eq!(
        out.tags().and_then(|t| t.get("dr-automation:function")),
        Some(&"test".to_owned())
    );
}

#[tokio::test]
async fn tags_of_a_server_of_another_account_are_not_found() {
    let env = Env::new(fleet(1)).await;
    let err = env
        .mgn()
        .list_tags_for_resource()
        .resource_arn(arn(0).replace("123456789012", "234567890123"))
        .send()
        .await
        .expect_err("other account");
    assert_error(&err, "ResourceNotFoundException", 404);
}

#[tokio::test]
async fn an_uninitialized_account_answers_uninitialized_account() {
    let mut f = fleet(1);
    f.mgn.initialized = false;
    let env = Env::new(f).await;
    let err = env
        .mgn()
        .describe_source_servers()
        .send()
        .await
        .expect_err("uninitialized");
    assert_error(&err, "UninitializedAccountException", 400);
}

#[tokio::test]
async fn mgn_calls_are_counted_and_faulted_apart_from_drs() {
    let env = Env::new(Fixture::demo()).await;
    env.emulator
        .set_fault(failing(
            "mgn:DescribeSourceServers",
            "ThrottlingException",
            1.0,
            None,
        ))
        .expect("rule");
    let err = env
        .mgn()
        .describe_source_servers()
        .send()
        .await
        .expect_err("throttled");
    assert_error(&err, "ThrottlingException", 429);
    env.drs()
        .describe_source_servers()
        .send()
        .await
        .expect("DRS unaffected");
    assert_eq!(env.emulator.calls("mgn:DescribeSourceServers"), 1);
    assert_eq!(env.emulator.calls("DescribeSourceServers"), 1);
}

#[tokio::test]
async fn a_member_accounts_mgn_servers_are_its_own() {
    let env = Env::new(Fixture::fleet()).await;
    let home = env.emulator.state()["mgn"]["sourceServers"]
        .as_array()
        .map(Vec::len);
    let member = env
        .emulator
        .state_in("234567890123", "us-east-1")
        .expect("member")["mgn"]["sourceServers"]
        .as_array()
        .map(Vec::len);
    assert_eq!((home, member), (Some(2), Some(3)));
}

/// The first MGN server of `account` in `region` in the state dump.
fn first_server_in(env: &Env, account: &str, region: &str) -> Value {
    env.emulator.state_in(account, region).expect("partition")["mgn"]["sourceServers"][0].clone()
}

#[tokio::test]
async fn the_admin_state_endpoint_acts_in_the_partition_it_names() {
    let env = Env::new(Fixture::fleet()).await;
    let member = first_server_in(&env, "234567890123", "us-east-1");
    let body = json!({
        "sourceServerID": member["sourceServerID"],
        "dataReplicationState": "PAUSED",
        "accountId": "234567890123",
        "region": "us-east-1",
    });
    let r = admin(env.emulator.addr(), "POST", "/_emulator/mgn/state", body).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let member = first_server_in(&env, "234567890123", "us-east-1");
    assert_eq!(
        member["dataReplicationInfo"]["dataReplicationState"],
        "PAUSED"
    );
}

#[tokio::test]
async fn the_admin_state_endpoint_refuses_an_unknown_member() {
    let env = Env::new(fleet(1)).await;
    let body = json!({"sourceServerID": id(0), "state": "STALLED"});
    let r = admin(env.emulator.addr(), "POST", "/_emulator/mgn/state", body).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        replication_state(&describe_one(&env, &id(0)).await),
        DataReplicationState::Continuous
    );
}

#[tokio::test]
async fn the_admin_state_endpoint_sets_a_lifecycle_state_and_lag() {
    let env = Env::new(Fixture::demo()).await;
    let id = demo_id("mgn-web-3");
    let body =
        json!({"sourceServerID": id, "lifeCycleState": "READY_FOR_TEST", "lagDuration": "PT3M"});
    let r = admin(env.emulator.addr(), "POST", "/_emulator/mgn/state", body).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let s = describe_one(&env, &id).await;
    assert_eq!(life_cycle(&s), LifeCycleState::ReadyForTest);
    assert_eq!(
        s.data_replication_info().and_then(|d| d.lag_duration()),
        Some("PT3M")
    );
}

#[tokio::test]
async fn start_test_over_a_lowered_servers_per_job_quota_is_a_conflict() {
    let mut f = fleet(3);
    f.mgn.launch_quotas.servers_per_job = 2;
    let env = Env::new(f).await;
    let err = env
        .mgn()
        .start_test()
        .source_server_ids(id(0))
        .source_server_ids(id(1))
        .source_server_ids(id(2))
        .send()
        .await
        .expect_err("quota");
    assert_error(&err, "ConflictException", 409);
    assert_eq!(
        error_body(&err)["code"],
        "MAX_SOURCE_SERVERS_IN_JOB_EXCEEDED"
    );
}

#[tokio::test]
async fn update_replication_configuration_of_an_archived_server_is_a_conflict() {
    let env = Env::new(Fixture::demo()).await;
    let id = demo_id("mgn-web-2");
    env.mgn()
        .mark_as_archived()
        .source_server_id(&id)
        .send()
        .await
        .expect("archive");
    let err = env
        .mgn()
        .update_replication_configuration()
        .source_server_id(&id)
        .bandwidth_throttling(10)
        .send()
        .await
        .expect_err("archived");
    assert_error(&err, "ConflictException", 409);
}
