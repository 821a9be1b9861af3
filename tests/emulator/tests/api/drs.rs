//! DRS through aws-sdk-drs.

use crate::common::{assert_error, failing, Env};
use aws_config::retry::RetryConfig;
use aws_sdk_drs::error::SdkError;
use aws_sdk_drs::operation::start_replication::StartReplicationError;
use aws_sdk_drs::types::{
    DataReplicationErrorString, DataReplicationState, DescribeSourceServersRequestFilters,
    ExtensionStatus, SourceServer,
};
use dr_emulator::fixture::{DrsServer, DrsState, StagingStatus};
use dr_emulator::Fixture;

const STAGING_ACCOUNT: &str = "210987654321";

fn first_with_state(f: &Fixture, state: DrsState) -> String {
    f.drs
        .source_servers
        .iter()
        .find(|s| s.state == state && s.staging_status == StagingStatus::NotExtended)
        .map(|s| s.source_server_id.clone())
        .expect("fixture has a server in that state")
}

async fn describe_one(env: &Env, id: &str) -> SourceServer {
    described(env, filters().source_server_ids(id).build()).await[0].clone()
}

async fn state_of(env: &Env, id: &str) -> DataReplicationState {
    describe_one(env, id)
        .await
        .data_replication_info()
        .and_then(|d| d.data_replication_state())
        .cloned()
        .expect("state")
}

/// A server `n` in `state`, extended from [`STAGING_ACCOUNT`] when `extended`.
fn server(n: u32, state: DrsState, extended: bool) -> DrsServer {
    let mut s = DrsServer::new(&id(n), state);
    if extended {
        s.staging_account_id = Some(STAGING_ACCOUNT.into());
        s.staging_status = StagingStatus::Extended;
        s.staging_source_server_arn = Some(format!(
            "arn:aws:drs:us-east-1:{STAGING_ACCOUNT}:source-server/s-{:017}",
            n + 500
        ));
    }
    s
}

type StartResult = Result<
    aws_sdk_drs::operation::start_replication::StartReplicationOutput,
    SdkError<StartReplicationError>,
>;

/// Starts replication of one server.
async fn start(env: &Env, id: &str) -> StartResult {
    env.drs()
        .start_replication()
        .source_server_id(id)
        .send()
        .await
}

/// The message of a refused start.
fn message_of(err: SdkError<StartReplicationError>) -> String {
    err.into_service_error()
        .meta()
        .message()
        .unwrap_or_default()
        .to_owned()
}

/// The servers a describe call with `filters` returns.
async fn described(env: &Env, filters: DescribeSourceServersRequestFilters) -> Vec<SourceServer> {
    env.drs()
        .describe_source_servers()
        .filters(filters)
        .send()
        .await
        .expect("describe")
        .items()
        .to_vec()
}

fn filters() -> aws_sdk_drs::types::builders::DescribeSourceServersRequestFiltersBuilder {
    DescribeSourceServersRequestFilters::builder()
}

fn fleet(quota: usize, servers: Vec<DrsServer>) -> Fixture {
    let mut fixture = Fixture::default();
    fixture.drs.replicating_quota = quota;
    fixture.drs.source_servers = servers;
    fixture
}

#[tokio::test]
async fn describe_pages_through_a_large_fleet() {
    let env = Env::new(Fixture::drs_fleet(250, 100)).await;
    let first = env
        .drs()
        .describe_source_servers()
        .max_results(100)
        .send()
        .await
        .expect("first page");
    assert_eq!(first.items().len(), 100);
    assert!(first.next_token().is_some());
    let all: Vec<_> = env
        .drs()
        .describe_source_servers()
        .max_results(100)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("all pages");
    assert_eq!(all.len(), 250);
    let stopped = all
        .iter()
        .filter(|s| {
            s.data_replication_info()
                .and_then(|d| d.data_replication_state())
                == Some(&DataReplicationState::Stopped)
        })
        .count();
    assert_eq!(stopped, 100);
    assert_eq!(env.emulator.calls("DescribeSourceServers"), 4);
    // Serving the pages took time, and only those calls' time is booked to the operation.
    assert!(env.emulator.service_time("DescribeSourceServers") > std::time::Duration::ZERO);
    assert_eq!(
        env.emulator.service_time("StartReplication"),
        std::time::Duration::ZERO
    );
}

/// The first demo server, as the fixture specifies it and as described.
async fn first_demo_server() -> (DrsServer, SourceServer) {
    let fixture = Fixture::demo();
    let spec = fixture.drs.source_servers[0].clone();
    let env = Env::new(fixture).await;
    let described = describe_one(&env, &spec.source_server_id).await;
    (spec, described)
}

#[tokio::test]
async fn a_described_server_has_its_id_arn_and_tags() {
    let (spec, s) = first_demo_server().await;
    assert_eq!(s.source_server_id(), Some(spec.source_server_id.as_str()));
    assert!(s
        .arn()
        .is_some_and(|a| a.starts_with("arn:aws:drs:us-east-1:123456789012:source-server/s-")));
    assert_eq!(
        s.tags().and_then(|t| t.get("Env")).map(String::as_str),
        Some("prod")
    );
}

#[tokio::test]
async fn a_described_server_has_its_identification_hints() {
    let (spec, s) = first_demo_server().await;
    let hints = s
        .source_properties()
        .and_then(|p| p.identification_hints())
        .expect("hints");
    assert_eq!(hints.hostname(), spec.hostname.as_deref());
    assert_eq!(hints.aws_instance_id(), spec.aws_instance_id.as_deref());
}

#[tokio::test]
async fn a_server_replicating_here_has_this_accounts_staging_area_and_fails_over() {
    let (_, s) = first_demo_server().await;
    assert_eq!(
        s.staging_area().and_then(|a| a.staging_account_id()),
        Some("123456789012")
    );
    assert_eq!(
        s.replication_direction().map(|d| d.as_str()),
        Some("FAILOVER")
    );
}

#[tokio::test]
async fn describe_filters_by_staging_account() {
    let env = Env::new(Fixture::demo()).await;
    let staging = described(&env, filters().staging_account_ids(STAGING_ACCOUNT).build()).await;
    assert_eq!(staging.len(), 4);
}

#[tokio::test]
async fn describe_filters_by_hardware_id() {
    let fixture = Fixture::demo();
    let instance = fixture.drs.source_servers[0].aws_instance_id.clone();
    let env = Env::new(fixture).await;
    let filter = filters()
        .hardware_id(instance.expect("instance id"))
        .build();
    assert_eq!(described(&env, filter).await.len(), 1);
}

#[tokio::test]
async fn start_replication_moves_one_state_per_step() {
    let fixture = Fixture::demo();
    let id = first_with_state(&fixture, DrsState::Stopped);
    let env = Env::new(fixture).await;
    let out = start(&env, &id).await.expect("start");
    let started = out.source_server().expect("source server in the response");
    assert_eq!(
        started
            .data_replication_info()
            .and_then(|d| d.data_replication_state()),
        Some(&DataReplicationState::Initiating)
    );
    env.emulator.advance(1);
    assert_eq!(state_of(&env, &id).await, DataReplicationState::InitialSync);
    env.emulator.advance(1);
    assert_eq!(state_of(&env, &id).await, DataReplicationState::Continuous);
    env.emulator.advance(5);
    assert_eq!(state_of(&env, &id).await, DataReplicationState::Continuous);
}

#[tokio::test]
async fn a_server_marked_to_stall_stalls() {
    let fixture = Fixture::demo();
    let id = fixture
        .drs
        .source_servers
        .iter()
        .find(|s| s.stall_on_start)
        .map(|s| s.source_server_id.clone())
        .expect("a stalling server");
    let env = Env::new(fixture).await;
    start(&env, &id).await.expect("start");
    env.emulator.advance(2);
    assert_eq!(state_of(&env, &id).await, DataReplicationState::Stalled);
}

#[tokio::test]
async fn starting_a_replicating_server_is_a_conflict() {
    let fixture = Fixture::demo();
    let running = first_with_state(&fixture, DrsState::Continuous);
    let env = Env::new(fixture).await;
    let err = start(&env, &running).await.expect_err("conflict");
    assert_error(&err, "ConflictException", 409);
    assert!(err.into_service_error().is_conflict_exception());
}

#[tokio::test]
async fn starting_an_unknown_server_is_resource_not_found() {
    let env = Env::new(Fixture::demo()).await;
    let err = start(&env, "s-00000000000000000")
        .await
        .expect_err("not found");
    assert_error(&err, "ResourceNotFoundException", 404);
    assert!(err.into_service_error().is_resource_not_found_exception());
}

#[tokio::test]
async fn starting_a_server_by_a_malformed_id_is_a_validation_error() {
    let env = Env::new(Fixture::demo()).await;
    let err = start(&env, "not-an-id").await.expect_err("validation");
    assert_error(&err, "ValidationException", 400);
}

#[tokio::test]
async fn the_replicating_quota_is_enforced() {
    let mut fixture = Fixture::drs_fleet(5, 3);
    fixture.drs.replicating_quota = 3;
    let ids: Vec<String> = fixture
        .drs
        .source_servers
        .iter()
        .map(|s| s.source_server_id.clone())
        .collect();
    let env = Env::new(fixture).await;
    start(&env, &ids[0])
        .await
        .expect("third replicating server fits");
    let err = start(&env, &ids[1])
        .await
        .expect_err("fourth is over the quota");
    assert_error(&err, "ConflictException", 409);
    assert!(message_of(err).contains("quota"));
}

#[tokio::test]
async fn an_uninitialized_account_is_refused() {
    let mut fixture = Fixture::demo();
    fixture.drs.initialized = false;
    let env = Env::new(fixture).await;
    let err = env
        .drs()
        .describe_source_servers()
        .send()
        .await
        .expect_err("uninitialized");
    assert_error(&err, "UninitializedAccountException", 400);
}

#[tokio::test]
async fn stop_replication_stops() {
    let fixture = Fixture::demo();
    let id = first_with_state(&fixture, DrsState::Continuous);
    let env = Env::new(fixture).await;
    env.drs()
        .stop_replication()
        .source_server_id(&id)
        .send()
        .await
        .expect("stop");
    assert_eq!(state_of(&env, &id).await, DataReplicationState::Stopped);
}

/// The demo emulator with every StartReplication throttled, and a stopped server.
async fn throttled_starts() -> (Env, String) {
    let fixture = Fixture::demo();
    let id = first_with_state(&fixture, DrsState::Stopped);
    let env = Env::new(fixture).await;
    let rule = failing("StartReplication", "ThrottlingException", 1.0, None);
    env.emulator.set_fault(rule).expect("fault");
    (env, id)
}

#[tokio::test]
async fn a_throttled_call_is_a_429_with_retry_after_one_second() {
    let (env, id) = throttled_starts().await;
    let err = start(&env, &id).await.expect_err("throttled");
    assert_error(&err, "ThrottlingException", 429);
    let retry_after = err
        .raw_response()
        .and_then(|r| r.headers().get("retry-after").map(str::to_owned));
    assert_eq!(retry_after.as_deref(), Some("1"));
}

#[tokio::test]
async fn a_throttled_call_is_the_models_throttling_exception_with_its_retry_after() {
    let (env, id) = throttled_starts().await;
    match start(&env, &id)
        .await
        .map(|_| ())
        .map_err(SdkError::into_service_error)
    {
        Err(StartReplicationError::ThrottlingException(t)) => {
            assert_eq!(t.retry_after_seconds(), Some("1"));
        }
        other => panic!("expected ThrottlingException, got {other:?}"),
    }
}

#[tokio::test]
async fn a_rule_naming_one_operation_leaves_the_others_untouched() {
    let (env, _) = throttled_starts().await;
    env.drs()
        .describe_source_servers()
        .send()
        .await
        .expect("describe is not faulted");
}

#[tokio::test]
async fn the_sdks_standard_retries_get_through_two_injected_failures() {
    let fixture = Fixture::demo();
    let id = first_with_state(&fixture, DrsState::Stopped);
    let retry = RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(std::time::Duration::from_millis(1));
    let env = Env::with_retries(fixture, retry).await;
    let rule = failing("StartReplication", "InternalServerException", 1.0, Some(2));
    env.emulator.set_fault(rule).expect("fault");
    start(&env, &id).await.expect("third attempt succeeds");
    assert_eq!(env.emulator.calls("StartReplication"), 3);
}

/// The id of fixture server `n`.
fn id(n: u32) -> String {
    format!("s-{n:017}")
}

#[tokio::test]
async fn extended_and_disconnected_servers_are_outside_the_quota() {
    // Quota 2: one server replicates here; three extended ones replicate in their staging
    // account and one is disconnected, so exactly one more may start.
    let fixture = fleet(
        2,
        vec![
            server(1, DrsState::Continuous, false),
            server(2, DrsState::Continuous, true),
            server(3, DrsState::InitialSync, true),
            server(4, DrsState::Stalled, true),
            server(5, DrsState::Disconnected, false),
            server(6, DrsState::Stopped, false),
            server(7, DrsState::Stopped, false),
        ],
    );
    let env = Env::new(fixture).await;
    assert_eq!(env.emulator.state()["drs"]["replicating"], 1);
    start(&env, &id(6))
        .await
        .expect("the second server replicating here fits the quota of 2");
    let err = start(&env, &id(7)).await.expect_err("a third is over it");
    assert_error(&err, "ConflictException", 409);
    assert!(message_of(err).contains("quota is 2"));
}

#[tokio::test]
async fn starting_an_extended_server_is_refused_naming_its_staging_account() {
    let fixture = fleet(300, vec![server(1, DrsState::Stopped, true)]);
    let env = Env::new(fixture).await;
    let err = start(&env, &id(1))
        .await
        .expect_err("extended servers replicate in their staging account");
    assert_error(&err, "ConflictException", 409);
    assert!(message_of(err).contains(STAGING_ACCOUNT));
    assert_eq!(state_of(&env, &id(1)).await, DataReplicationState::Stopped);
}

#[tokio::test]
async fn the_staging_area_shows_where_a_server_replicates() {
    let mut broken = server(3, DrsState::Continuous, true);
    broken.staging_status = StagingStatus::ExtensionError;
    broken.staging_error_message = Some("cannot assume the staging account role".into());
    let fixture = fleet(
        300,
        vec![
            server(1, DrsState::Stopped, false),
            server(2, DrsState::Continuous, true),
            broken,
        ],
    );
    let env = Env::new(fixture).await;
    let here = describe_one(&env, &id(1)).await;
    let here = here.staging_area().expect("staging area");
    assert_eq!(here.status(), Some(&ExtensionStatus::NotExtended));
    assert_eq!(here.staging_account_id(), Some("123456789012"));
    assert_eq!(here.staging_source_server_arn(), None);

    let extended = describe_one(&env, &id(2)).await;
    let extended = extended.staging_area().expect("staging area");
    assert_eq!(extended.status(), Some(&ExtensionStatus::Extended));
    assert_eq!(extended.staging_account_id(), Some(STAGING_ACCOUNT));
    assert_eq!(
        extended.staging_source_server_arn(),
        Some("arn:aws:drs:us-east-1:210987654321:source-server/s-00000000000000502")
    );

    let errored = describe_one(&env, &id(3)).await;
    let errored = errored.staging_area().expect("staging area");
    assert_eq!(errored.status(), Some(&ExtensionStatus::ExtensionError));
    assert_eq!(
        errored.error_message(),
        Some("cannot assume the staging account role")
    );
}

#[tokio::test]
async fn a_stalled_server_reports_its_data_replication_error_and_a_disconnected_one_none() {
    let fixture = fleet(
        300,
        vec![
            server(1, DrsState::Stalled, false),
            server(2, DrsState::Disconnected, false),
        ],
    );
    let env = Env::new(fixture).await;
    let stalled = describe_one(&env, &id(1)).await;
    let error = stalled
        .data_replication_info()
        .and_then(|d| d.data_replication_error())
        .expect("a stalled server says why");
    assert_eq!(
        error.error(),
        Some(&DataReplicationErrorString::NotConverging)
    );
    assert!(error.raw_error().is_some_and(|r| !r.is_empty()));
    let disconnected = describe_one(&env, &id(2)).await;
    let info = disconnected.data_replication_info().expect("info");
    assert_eq!(info.data_replication_error(), None);
    assert_eq!(info.lag_duration(), None);
}
