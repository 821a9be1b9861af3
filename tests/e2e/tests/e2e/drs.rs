//! drs-start-replication end to end: the real binary, the Runtime API, the emulator's DRS and SNS.

use dr_core::report::RunStatus;
use dr_e2e::report::{done as started, published, skip_reason, sorted};
use dr_e2e::{demo, sample_event, Deployment};
use dr_emulator::faults::DROPPED_AFTER_APPLY;
use dr_emulator::fixture::{DrsServer, DrsState, StagingStatus};
use dr_emulator::{FaultRule, Fixture};
use serde_json::{json, Value};

const FUNCTION: &str = "drs-start-replication";

/// The function with the demo configuration against the demo fleet.
async fn demo_run(log: &str) -> Deployment {
    Deployment::demo(FUNCTION, log).await.expect("deployed")
}

/// The function with `env` against `fixture`.
async fn run_on(fixture: Fixture, env: &[(&str, &str)], log: &str) -> Deployment {
    let deployment = Deployment::start(FUNCTION, fixture, env, log, 1);
    deployment.await.expect("deployed")
}

/// The replication state the emulator holds for source server `id`.
fn state_of(run: &Deployment, id: &str) -> String {
    let state = run.emulator.state();
    state["drs"]["sourceServers"]
        .as_array()
        .and_then(|servers| servers.iter().find(|s| s["sourceServerID"] == id))
        .and_then(|s| s["dataReplicationInfo"]["dataReplicationState"].as_str())
        .unwrap_or("MISSING")
        .to_owned()
}

const STAGING_ACCOUNT: &str = "210987654321";

/// Server `n` (`s-` and `n` on 17 digits) in `state`, extended from [`STAGING_ACCOUNT`] when
/// `extended`.
fn server(n: u32, state: DrsState, extended: bool) -> DrsServer {
    let mut s = DrsServer::new(&format!("s-{n:017}"), state);
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

fn fleet(quota: usize, servers: Vec<DrsServer>) -> Fixture {
    let mut fixture = Fixture::drs_fleet(0, 0);
    fixture.drs.replicating_quota = quota;
    fixture.drs.source_servers = servers;
    fixture
}

fn event(name: &str) -> Value {
    sample_event(&format!("{FUNCTION}/{name}")).expect("sample event")
}

#[tokio::test]
async fn a_dry_run_plans_the_start_and_changes_nothing() {
    let run = demo_run("drs-dry-run").await;
    let dry = run
        .invoke_report(&event("direct-invoke-dry-run.json"))
        .await;
    assert!(dry.dry_run);
    assert_eq!(dry.counts.planned, 1, "{dry:?}");
    assert_eq!(run.emulator.calls("StartReplication"), 0);
    assert_eq!(state_of(&run, "s-eee65f53e9421ce50"), "STOPPED");
}

#[tokio::test]
async fn an_alarm_through_sns_starts_the_server_its_instance_dimension_names() {
    let run = demo_run("drs-alarm-sns").await;
    let report = run.invoke_report(&event("alarm-via-sns.json")).await;
    assert_eq!(started(&report), vec!["s-eee65f53e9421ce50"]);
    assert_ne!(state_of(&run, "s-eee65f53e9421ce50"), "STOPPED");
}

#[tokio::test]
async fn an_alarm_state_change_starts_the_server_its_hostname_dimension_names() {
    let run = demo_run("drs-alarm-hostname").await;
    let report = run.invoke_report(&event("alarm-state-change.json")).await;
    assert_eq!(started(&report), vec!["s-422eb14ab2f2d0f0c"]);
}

#[tokio::test]
async fn a_direct_invoke_starts_the_server_it_names() {
    let run = demo_run("drs-direct").await;
    let report = run.invoke_report(&event("direct-invoke.json")).await;
    assert_eq!(started(&report), vec!["s-7301ef56e64dc3cd6"]);
}

#[tokio::test]
async fn a_stalled_replication_starts_nothing_and_says_it_is_stalled() {
    let run = demo_run("drs-stalled").await;
    let report = run.invoke_report(&event("replication-stalled.json")).await;
    assert!(started(&report).is_empty());
    assert!(report.skips[0].reason.starts_with("STALLED"), "{report:?}");
}

#[tokio::test]
async fn a_schedule_starts_the_stopped_production_servers_and_leaves_staging_alone() {
    let run = demo_run("drs-schedule").await;
    let report = run.invoke_report(&event("scheduled-event.json")).await;
    let mut ids = started(&report);
    ids.sort();
    let stopped_in_production = [
        "s-eee65f53e9421ce50",
        "s-7301ef56e64dc3cd6",
        "s-422eb14ab2f2d0f0c",
        "s-386d0cd566647b5aa",
    ];
    assert_eq!(ids, sorted(&stopped_in_production), "{report:?}");
    assert_eq!(report.counts.failed, 0);
    assert_eq!(
        state_of(&run, "s-f1578b5c72dc4ee60"),
        "STOPPED",
        "staging servers are not selected"
    );
}

#[tokio::test]
async fn the_sample_events_in_turn_start_each_server_once_and_publish_one_report_each() {
    let run = demo_run("drs-samples").await;
    for sample in [
        "direct-invoke-dry-run.json",
        "alarm-via-sns.json",
        "alarm-state-change.json",
        "direct-invoke.json",
        "replication-stalled.json",
    ] {
        run.invoke_report(&event(sample)).await;
    }
    let schedule = run.invoke_report(&event("scheduled-event.json")).await;
    assert_eq!(started(&schedule), vec!["s-386d0cd566647b5aa"]);
    let again = run.invoke_report(&event("scheduler-input.json")).await;
    assert!(started(&again).is_empty(), "{again:?}");
    assert_eq!((schedule.counts.failed, again.counts.failed), (0, 0));
    assert_eq!(
        run.emulator.calls("StartReplication"),
        4,
        "each server started exactly once"
    );
    assert_eq!(published(&run.emulator, FUNCTION).len(), 7);
}

#[tokio::test]
async fn an_alarms_lambda_action_starts_the_server_its_instance_dimension_names() {
    let run = demo_run("drs-alarm-action").await;
    let report = run.invoke_report(&event("alarm-lambda-action.json")).await;
    assert_eq!(
        report.trigger,
        "alarm web-01-status-check-failed (ALARM) via its Lambda action"
    );
    assert_eq!(started(&report), vec!["s-eee65f53e9421ce50"]);
    assert_ne!(state_of(&run, "s-eee65f53e9421ce50"), "STOPPED");
}

#[tokio::test]
async fn a_composite_alarm_starts_the_stopped_servers_tagged_with_its_name() {
    let run = demo_run("drs-composite-alarm").await;
    let report = run
        .invoke_report(&event("composite-alarm-state-change.json"))
        .await;
    // app-01 replicates, app-02 is stalled; app-03 and legacy-erp are stopped.
    assert_eq!(
        started(&report),
        vec!["s-386d0cd566647b5aa", "s-422eb14ab2f2d0f0c"]
    );
    assert!(
        skip_reason(&report, "s-2866028de71159b42").starts_with("STALLED"),
        "{report:?}"
    );
}

#[tokio::test]
async fn redelivered_events_start_each_server_once() {
    let run = demo_run("drs-redelivery").await;
    let alarm = event("alarm-via-sns.json");
    for _ in 0..3 {
        let report = run.invoke_report(&alarm).await;
        assert_eq!(report.counts.failed, 0);
    }
    assert_eq!(run.emulator.calls("StartReplication"), 1);
}

#[tokio::test]
async fn the_quota_holds_on_a_large_fleet() {
    // 400 servers, 100 stopped: 300 replicate already, so nothing may start.
    let run = run_on(
        Fixture::drs_fleet(400, 100),
        &[("DRS_SELECT_ALL", "true"), ("MAX_CONCURRENCY", "20")],
        "drs-quota",
    )
    .await;
    let report = run.invoke_report(&json!({})).await;
    assert_eq!(report.counts.done, 0, "{:?}", report.counts);
    assert_eq!(run.emulator.calls("StartReplication"), 0);
    assert!(report
        .skips
        .iter()
        .any(|s| s.reason.contains("the quota is 300")));
}

#[tokio::test]
async fn hostile_input_is_rejected_without_changing_anything() {
    let run = demo_run("drs-hostile").await;
    let alarm_topic = demo::config().alarm_topic();
    run.assert_bad_events(&[
        json!([1, 2]),
        json!({"targets": "s-eee65f53e9421ce50"}),
        json!({"targets": ["s-eee65f53e9421ce50"], "topicArn": "arn:aws:sns:us-east-1:999999999999:x"}),
        json!({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
        json!({"Records": [{"EventSource": "aws:sns", "Sns": {"TopicArn": alarm_topic, "MessageId": "m", "Message": "{\"AlarmName\": 1}"}}]}),
    ])
    .await;
    assert_eq!(run.emulator.calls("StartReplication"), 0);
    assert!(run.emulator.sns_messages().is_empty());
}

#[tokio::test]
async fn extended_and_disconnected_servers_leave_room_in_the_quota_and_are_not_started() {
    // A quota of 3: one server replicates here; the two extended ones replicate in their
    // staging account and the disconnected one not at all, so two of the three stopped local
    // servers start, and the stopped extended one is left to its staging account.
    let fixture = fleet(
        3,
        vec![
            server(1, DrsState::Continuous, false),
            server(2, DrsState::Continuous, true),
            server(3, DrsState::InitialSync, true),
            server(4, DrsState::Disconnected, false),
            server(5, DrsState::Stopped, true),
            server(6, DrsState::Stopped, false),
            server(7, DrsState::Stopped, false),
            server(8, DrsState::Stopped, false),
        ],
    );
    let run = run_on(
        fixture,
        &[("DRS_SELECT_ALL", "true"), ("DRS_REPLICATION_QUOTA", "3")],
        "drs-extended",
    )
    .await;
    let report = run.invoke_report(&json!({})).await;
    let id = |n: u32| format!("s-{n:017}");
    assert_eq!(started(&report), vec![id(6), id(7)], "{report:?}");
    assert_eq!(report.counts.failed, 0, "{report:?}");
    assert!(skip_reason(&report, &id(8)).starts_with(
        "STOPPED, but 3 servers already replicate in this account and the quota is 3"
    ));
    assert!(skip_reason(&report, &id(5)).starts_with(
        "EXTENDED from staging account 210987654321: its replication runs and is counted there"
    ));
    assert!(skip_reason(&report, &id(4)).contains("reinstall the AWS Replication Agent"));
    assert_eq!(state_of(&run, &id(5)), "STOPPED");
    assert_eq!(run.emulator.calls("StartReplication"), 2);
}

#[tokio::test]
async fn a_refusal_at_the_accounts_quota_is_a_failure_not_unchanged() {
    // The function is told the quota is 300, the account allows 1: DRS refuses the start with a
    // ConflictException while the server is still STOPPED, which is no "already replicating".
    let fixture = fleet(
        1,
        vec![
            server(1, DrsState::Continuous, false),
            server(2, DrsState::Stopped, false),
        ],
    );
    let run = run_on(fixture, &[("DRS_SELECT_ALL", "true")], "drs-refused").await;
    let report = run.invoke_report(&json!({})).await;
    assert_eq!(report.status, RunStatus::Failed, "{report:?}");
    assert_eq!((report.counts.failed, report.counts.unchanged), (1, 0));
    let outcome = &report.outcomes[0];
    assert_eq!(outcome.state.as_deref(), Some("STOPPED"));
    let detail = outcome.detail.as_deref().unwrap_or_default();
    assert!(detail.starts_with("ConflictException: "), "{detail}");
    assert!(
        detail.contains("quota is 1"),
        "DRS's message is kept: {detail}"
    );
    assert_eq!(
        run.emulator.calls("DescribeSourceServers"),
        2,
        "the fleet, then the refused server read back"
    );
}

#[tokio::test]
async fn a_start_whose_answer_was_lost_is_unchanged_on_the_retry_that_conflicts() {
    // DRS carries out the first StartReplication and the connection drops before its answer;
    // the SDK's retry then meets a ConflictException. Read back, the server is INITIATING:
    // already replicating, so unchanged, not failed.
    let run = run_on(
        fleet(300, vec![server(1, DrsState::Stopped, false)]),
        &[("DRS_SELECT_ALL", "true")],
        "drs-lost-answer",
    )
    .await;
    run.emulator
        .set_fault(FaultRule {
            operation: "StartReplication".into(),
            error_rate: 1.0,
            error: DROPPED_AFTER_APPLY.into(),
            latency_ms: 0,
            drop_connection_rate: 0.0,
            times: Some(1),
        })
        .expect("fault rule");
    let report = run.invoke_report(&json!({})).await;
    assert_eq!(run.emulator.calls("StartReplication"), 2, "{report:?}");
    assert_eq!(report.status, RunStatus::Succeeded, "{report:?}");
    assert_eq!(report.counts.unchanged, 1);
    assert_eq!(report.outcomes[0].state.as_deref(), Some("INITIATING"));
}

#[tokio::test]
async fn the_demo_schedule_says_what_to_do_for_extended_disconnected_and_stalled_servers() {
    let run = demo_run("drs-demo-reasons").await;
    let report = run.invoke_report(&event("scheduled-event.json")).await;
    assert_eq!(report.counts.failed, 0, "{report:?}");
    assert!(skip_reason(&report, "s-5d3e8b1f0a9c2e477")
        .starts_with("EXTENDED from staging account 210987654321"));
    assert!(skip_reason(&report, "s-dcfaea21818b904ce")
        .starts_with("DISCONNECTED: the server was disconnected from DRS"));
    assert!(skip_reason(&report, "s-2866028de71159b42").contains("DRS reports NOT_CONVERGING ("));
    assert_eq!(state_of(&run, "s-5d3e8b1f0a9c2e477"), "STOPPED");
}
