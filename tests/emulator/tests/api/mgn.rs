//! MGN through aws-sdk-mgn.

use crate::common::{assert_error, Env};
use crate::wire::admin;
use aws_sdk_mgn::types::{
    DataReplicationState, DescribeSourceServersRequestFilters, LifeCycleState, SourceServer,
};
use dr_emulator::fixture::{MgnReplicationState, MgnServer};
use dr_emulator::mgn::StateChange;
use dr_emulator::Fixture;

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
