//! drs-start-replication end to end: the real binary, the Runtime API, the emulator's DRS and SNS.

use dr_core::report::{OutcomeResult, RunReport, RunStatus};
use dr_e2e::{sample_event, Deployment, Invocation};
use dr_emulator::faults::DROPPED_AFTER_APPLY;
use dr_emulator::fixture::{DrsServer, DrsState, StagingStatus};
use dr_emulator::{FaultRule, Fixture, REPORTS_TOPIC};
use serde_json::Value;
use std::time::Duration;

const ALARM_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:dr-alarms";
const TIMEOUT: Duration = Duration::from_secs(60);

/// The demo configuration: production servers, alarms mapped by instance id, hostname and tag.
fn demo_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("DRS_TAGS", "Env=prod"),
        ("DRS_ALARM_DIMENSION", "Hostname"),
        ("DRS_ALARM_TAG_KEY", "dr:alarm"),
        ("REPORT_TOPIC_ARN", REPORTS_TOPIC),
        ("TRIGGER_TOPIC_ARNS", ALARM_TOPIC),
        ("MAX_CONCURRENCY", "4"),
    ]
}

/// The function deployed against the emulator, with what these tests read of it.
struct Run(Deployment);

impl std::ops::Deref for Run {
    type Target = Deployment;
    fn deref(&self) -> &Deployment {
        &self.0
    }
}

impl Run {
    async fn start(fixture: Fixture, env: &[(&str, &str)], log: &str) -> Self {
        let deployment = Deployment::start("drs-start-replication", fixture, env, log, 1);
        Self(deployment.await.expect("deployed"))
    }

    async fn invoke(&self, event: &Value) -> RunReport {
        let answer = self.runtime.invoke(event, TIMEOUT).await.expect("answered");
        serde_json::from_value(answer.expect_response()).expect("a run report")
    }

    fn state_of(&self, id: &str) -> String {
        let state = self.emulator.state();
        state["drs"]["sourceServers"]
            .as_array()
            .and_then(|servers| servers.iter().find(|s| s["sourceServerID"] == id))
            .and_then(|s| s["dataReplicationInfo"]["dataReplicationState"].as_str())
            .unwrap_or("MISSING")
            .to_owned()
    }
}

fn started(report: &RunReport) -> Vec<String> {
    report
        .outcomes
        .iter()
        .filter(|o| o.result == OutcomeResult::Done)
        .map(|o| o.target.clone())
        .collect()
}

/// The reason the report gives for leaving `target` alone.
fn skip_reason<'a>(report: &'a RunReport, target: &str) -> &'a str {
    report
        .skips
        .iter()
        .find(|s| s.target == target)
        .map_or("<not skipped>", |s| s.reason.as_str())
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
    sample_event(&format!("drs-start-replication/{name}")).expect("sample event")
}

#[tokio::test]
async fn every_sample_event_does_what_it_says_against_the_demo_fleet() {
    let run = Run::start(Fixture::demo(), &demo_env(), "drs-samples").await;

    let dry = run.invoke(&event("direct-invoke-dry-run.json")).await;
    assert!(dry.dry_run);
    assert_eq!(dry.counts.planned, 1, "{dry:?}");
    assert_eq!(
        run.emulator.calls("StartReplication"),
        0,
        "a dry run changes nothing"
    );
    assert_eq!(run.state_of("s-eee65f53e9421ce50"), "STOPPED");

    let by_instance = run.invoke(&event("alarm-via-sns.json")).await;
    assert_eq!(started(&by_instance), vec!["s-eee65f53e9421ce50"]);
    assert_ne!(run.state_of("s-eee65f53e9421ce50"), "STOPPED");

    let by_hostname = run.invoke(&event("alarm-state-change.json")).await;
    assert_eq!(started(&by_hostname), vec!["s-422eb14ab2f2d0f0c"]);

    let direct = run.invoke(&event("direct-invoke.json")).await;
    assert_eq!(started(&direct), vec!["s-7301ef56e64dc3cd6"]);

    let stalled = run.invoke(&event("replication-stalled.json")).await;
    assert!(started(&stalled).is_empty());
    assert!(
        stalled.skips[0].reason.starts_with("STALLED"),
        "{stalled:?}"
    );

    for schedule in ["scheduled-event.json", "scheduler-input.json"] {
        let report = run.invoke(&event(schedule)).await;
        let expected: Vec<&str> = if schedule == "scheduled-event.json" {
            vec!["s-386d0cd566647b5aa"]
        } else {
            vec![]
        };
        assert_eq!(started(&report), expected, "{schedule}");
        assert_eq!(report.counts.failed, 0, "{schedule}");
    }
    assert_eq!(
        run.state_of("s-f1578b5c72dc4ee60"),
        "STOPPED",
        "staging servers are not selected"
    );
    assert_eq!(
        run.emulator.calls("StartReplication"),
        4,
        "each server started exactly once"
    );

    let messages = run.emulator.sns_messages();
    assert_eq!(messages.len(), 7, "one report per invocation");
    for m in &messages {
        assert_eq!(m.topic_arn, REPORTS_TOPIC);
        let report: RunReport = serde_json::from_str(&m.message).expect("report body");
        assert_eq!(report.function, "drs-start-replication");
    }
}

#[tokio::test]
async fn an_alarms_lambda_action_starts_the_server_its_instance_dimension_names() {
    let run = Run::start(Fixture::demo(), &demo_env(), "drs-alarm-action").await;
    let report = run.invoke(&event("alarm-lambda-action.json")).await;
    assert_eq!(
        report.trigger,
        "alarm web-01-status-check-failed (ALARM) via its Lambda action"
    );
    assert_eq!(started(&report), vec!["s-eee65f53e9421ce50"]);
    assert_ne!(run.state_of("s-eee65f53e9421ce50"), "STOPPED");
}

#[tokio::test]
async fn a_composite_alarm_starts_the_stopped_servers_tagged_with_its_name() {
    let run = Run::start(Fixture::demo(), &demo_env(), "drs-composite-alarm").await;
    let report = run
        .invoke(&event("composite-alarm-state-change.json"))
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
    let run = Run::start(Fixture::demo(), &demo_env(), "drs-redelivery").await;
    let alarm = event("alarm-via-sns.json");
    for _ in 0..3 {
        let report = run.invoke(&alarm).await;
        assert_eq!(report.counts.failed, 0);
    }
    assert_eq!(run.emulator.calls("StartReplication"), 1);
}

#[tokio::test]
async fn the_quota_holds_on_a_large_fleet() {
    // 400 servers, 100 stopped: 300 replicate already, so nothing may start.
    let run = Run::start(
        Fixture::drs_fleet(400, 100),
        &[("DRS_SELECT_ALL", "true"), ("MAX_CONCURRENCY", "20")],
        "drs-quota",
    )
    .await;
    let report = run.invoke(&serde_json::json!({})).await;
    assert_eq!(report.counts.done, 0, "{:?}", report.counts);
    assert_eq!(run.emulator.calls("StartReplication"), 0);
    assert!(report
        .skips
        .iter()
        .any(|s| s.reason.contains("the quota is 300")));
}

#[tokio::test]
async fn hostile_input_is_rejected_without_changing_anything() {
    let run = Run::start(Fixture::demo(), &demo_env(), "drs-hostile").await;
    for bad in [
        serde_json::json!([1, 2]),
        serde_json::json!({"targets": "s-eee65f53e9421ce50"}),
        serde_json::json!({"targets": ["s-eee65f53e9421ce50"], "topicArn": "arn:aws:sns:us-east-1:999999999999:x"}),
        serde_json::json!({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
        serde_json::json!({"Records": [{"EventSource": "aws:sns", "Sns": {"TopicArn": ALARM_TOPIC, "MessageId": "m", "Message": "{\"AlarmName\": 1}"}}]}),
    ] {
        match run.runtime.invoke(&bad, TIMEOUT).await.expect("answered") {
            Invocation::Error { error_type, .. } => assert_eq!(error_type, "BadEvent", "{bad}"),
            Invocation::Response(v) => panic!("{bad} was accepted: {v}"),
        }
    }
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
    let run = Run::start(
        fixture,
        &[("DRS_SELECT_ALL", "true"), ("DRS_REPLICATION_QUOTA", "3")],
        "drs-extended",
    )
    .await;
    let report = run.invoke(&serde_json::json!({})).await;
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
    assert_eq!(run.state_of(&id(5)), "STOPPED");
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
    let run = Run::start(fixture, &[("DRS_SELECT_ALL", "true")], "drs-refused").await;
    let report = run.invoke(&serde_json::json!({})).await;
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
    let run = Run::start(
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
    let report = run.invoke(&serde_json::json!({})).await;
    assert_eq!(run.emulator.calls("StartReplication"), 2, "{report:?}");
    assert_eq!(report.status, RunStatus::Succeeded, "{report:?}");
    assert_eq!(report.counts.unchanged, 1);
    assert_eq!(report.outcomes[0].state.as_deref(), Some("INITIATING"));
}

#[tokio::test]
async fn the_demo_schedule_says_what_to_do_for_extended_disconnected_and_stalled_servers() {
    let run = Run::start(Fixture::demo(), &demo_env(), "drs-demo-reasons").await;
    let report = run.invoke(&event("scheduled-event.json")).await;
    assert_eq!(report.counts.failed, 0, "{report:?}");
    assert!(skip_reason(&report, "s-5d3e8b1f0a9c2e477")
        .starts_with("EXTENDED from staging account 210987654321"));
    assert!(skip_reason(&report, "s-dcfaea21818b904ce")
        .starts_with("DISCONNECTED: the server was disconnected from DRS"));
    assert!(skip_reason(&report, "s-2866028de71159b42").contains("DRS reports NOT_CONVERGING ("));
    assert_eq!(run.state_of("s-5d3e8b1f0a9c2e477"), "STOPPED");
}
