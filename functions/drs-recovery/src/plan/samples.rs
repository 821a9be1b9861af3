//! Every sample event in `events/drs-recovery` parses and plans as documented, over the demo
//! fleet's servers (`tests/emulator/fixtures/demo.json`) as observe reads them.

use super::*;
use crate::model::{InitiatedBy, LogEvent, Participant};
use crate::testing::{config, own_tags, NOW};
use dr_core::drs::{AlarmMapping, DimensionMatch};
use dr_core::fleet::Target;
use dr_core::ids::SourceServerId;
use dr_core::report::OutcomeResult;
use dr_core::trigger::Trigger;
use std::path::PathBuf;

/// Every sample file; each has a test below.
const SAMPLES: [&str; 11] = [
    "alarm-lambda-action.json",
    "alarm-state-change.json",
    "alarm-via-sns.json",
    "direct-invoke-drill.json",
    "direct-invoke-dry-run.json",
    "direct-invoke-recovery.json",
    "fleet-target-invoke.json",
    "launch-result-failed.json",
    "launch-result-succeeded.json",
    "scheduled-event.json",
    "scheduler-input.json",
];

/// The demo's servers the samples name.
const WEB_01: &str = "s-eee65f53e9421ce50";
const WEB_02: &str = "s-d28a79023c39c2006";
const APP_01: &str = "s-be4f4c54977656cf2";
const APP_02: &str = "s-2866028de71159b42";
const DB_01: &str = "s-0b9465aef7ac86d66";
/// The job id of AWS's launch result samples, which the project's samples keep.
const SAMPLE_JOB: &str = "drsjob-04ca7d0d3fb6afa3e";
/// The rawError the failed launch's job log gives.
const RAW_ERROR: &str = "Failed to launch the recovery instance";

fn dir() -> PathBuf {
    dr_testkit::samples::events_dir().join("drs-recovery")
}

fn sid(id: &str) -> SourceServerId {
    SourceServerId::parse(id).expect("a demo id")
}

/// A demo server: its hostname and instance id hints, its `Env` tag and its state.
fn demo_server(
    id: &str,
    hostname: &str,
    instance_id: Option<&str>,
    env: &str,
    state: ReplicationState,
) -> SourceServer {
    SourceServer {
        id: sid(id),
        hostname: Some(hostname.to_owned()),
        fqdn: None,
        instance_id: instance_id.map(str::to_owned),
        tags: vec![("Env".to_owned(), env.to_owned())],
        staging_account: None,
        state,
        lag: None,
        replication_error: None,
        last_drill: None,
        last_drill_launched: false,
    }
}

/// The demo's prod servers of every replication state the samples meet, and a staging one.
fn demo_servers() -> Vec<SourceServer> {
    use ReplicationState::{Continuous, Disconnected, Stalled, Stopped};
    vec![
        demo_server(
            WEB_01,
            "web-01",
            Some("i-211670eae679f02e8"),
            "prod",
            Stopped,
        ),
        demo_server(
            WEB_02,
            "web-02",
            Some("i-61fccd268a29a0d34"),
            "prod",
            Continuous,
        ),
        demo_server(
            APP_01,
            "app-01",
            Some("i-d133187c8df95247f"),
            "prod",
            Continuous,
        ),
        demo_server(
            APP_02,
            "app-02",
            Some("i-b4ea410fb9102f29a"),
            "prod",
            Stalled,
        ),
        demo_server(
            DB_01,
            "db-01",
            Some("i-c7a644fb12853ef86"),
            "prod",
            Continuous,
        ),
        demo_server("s-dcfaea21818b904ce", "db-02", None, "prod", Disconnected),
        demo_server("s-f1578b5c72dc4ee60", "web-11", None, "staging", Stopped),
    ]
}

/// The demo's configuration: `Env=prod`, alarms mapped by `Hostname` and the `dr:alarm` tag;
/// real recovery of up to two servers when `opted_in`.
fn demo_config(opted_in: bool) -> RecoveryConfig {
    let mut c = config();
    c.choice.alarm_mapping = AlarmMapping {
        dimension: Some(("Hostname".to_owned(), DimensionMatch::Hostname)),
        tag_key: Some("dr:alarm".to_owned()),
    };
    c.recovery.enabled = opted_in;
    c.recovery.max_servers = if opted_in { 2 } else { 0 };
    c
}

fn trigger_of(name: &str) -> Trigger {
    let event = dr_testkit::samples::read_json(&dir().join(name)).unwrap_or_else(|e| panic!("{e}"));
    dr_core::trigger::parse(&event).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The plan of sample `name` over the demo's servers and `facts`.
fn planned(name: &str, config: &RecoveryConfig, facts: Facts) -> Plan<Call> {
    let home = Target::home(None, None);
    let facts = Facts {
        observed_at: NOW,
        servers: demo_servers(),
        ..facts
    };
    let trigger = trigger_of(name);
    let mut plans = plan(
        config,
        &[Observed {
            target: &home,
            trigger,
            facts,
        }],
    );
    plans.remove(0)
}

/// The servers a plan launches, as `(id, mode)`, sorted.
fn launched(plan: &Plan<Call>) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = plan
        .actions
        .iter()
        .filter_map(|c| match c {
            Call::Launch { mode, server, .. } => {
                Some((server.source_server_id.to_string(), mode.as_str()))
            }
            _ => None,
        })
        .collect();
    out.sort();
    out
}

fn each(ids: &[&str], mode: &'static str) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> =
        ids.iter().map(|id| ((*id).to_owned(), mode)).collect();
    out.sort();
    out
}

fn skip_of(plan: &Plan<Call>, target: &str) -> String {
    plan.skips
        .listed()
        .iter()
        .find(|s| s.target == target)
        .map(|s| s.reason.clone())
        .unwrap_or_else(|| panic!("{target} not skipped: {:?}", plan.skips.listed()))
}

/// Asserts that a schedule sample drills the three ready prod servers and says why not the
/// others.
fn schedule_drills_the_ready_servers(name: &str) {
    let plan = planned(name, &demo_config(false), Facts::default());
    assert_eq!(
        launched(&plan),
        each(&[WEB_02, APP_01, DB_01], "drill"),
        "{name}"
    );
    assert!(skip_of(&plan, WEB_01).starts_with("scheduled drill: no snapshot"));
    assert!(skip_of(&plan, APP_02).starts_with("scheduled drill: stalled"));
}

/// Asserts that alarm sample `name` recovers `server` with the opt-in and, without it, launches
/// nothing and says what it would have launched.
fn alarm_recovers(name: &str, server: &str) {
    let plan = planned(name, &demo_config(true), Facts::default());
    assert_eq!(launched(&plan), each(&[server], "recovery"), "{name}");
    let plan = planned(name, &demo_config(false), Facts::default());
    assert!(launched(&plan).is_empty(), "{name}");
    assert!(
        skip_of(&plan, server).contains("real recovery is off"),
        "{name}"
    );
}

/// The launch job of the launch result samples, completed, with `server` in `status`.
fn sample_job(drill: bool, server: &str, status: LaunchStatus) -> Job {
    Job {
        id: SAMPLE_JOB.to_owned(),
        arn: Some(format!(
            "arn:aws:drs:us-east-1:123456789012:job/{SAMPLE_JOB}"
        )),
        initiated_by: if drill {
            InitiatedBy::StartDrill
        } else {
            InitiatedBy::StartRecovery
        },
        status: JobStatus::Completed,
        created: Some(NOW - 900),
        ended: Some(NOW - 300),
        tags: own_tags(if drill { "drill" } else { "recovery" }),
        participants: vec![Participant {
            source_server_id: sid(server),
            recovery_instance_id: (status == LaunchStatus::Launched)
                .then(|| "i-0a1b2c3d4e5f60001".to_owned()),
            status,
        }],
        execution: None,
    }
}

#[test]
fn every_sample_event_has_its_expectation() {
    let names: Vec<String> = dr_testkit::samples::json_files(&dir())
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(names, SAMPLES);
}

#[test]
fn the_alarm_lambda_action_sample_recovers_db_01_by_its_instance_id() {
    alarm_recovers(SAMPLES[0], DB_01);
}

#[test]
fn the_alarm_state_change_sample_recovers_app_01_by_its_hostname() {
    alarm_recovers(SAMPLES[1], APP_01);
}

#[test]
fn the_alarm_via_sns_sample_recovers_web_02_by_its_instance_id() {
    alarm_recovers(SAMPLES[2], WEB_02);
}

#[test]
fn the_direct_invoke_drill_sample_drills_its_two_targets() {
    let plan = planned(SAMPLES[3], &demo_config(false), Facts::default());
    assert_eq!(launched(&plan), each(&[WEB_02, APP_01], "drill"));
}

#[test]
fn the_direct_invoke_dry_run_sample_is_a_dry_run_drilling_the_ready_targets() {
    assert!(trigger_of(SAMPLES[4]).dry_run);
    let plan = planned(SAMPLES[4], &demo_config(false), Facts::default());
    assert_eq!(launched(&plan), each(&[WEB_02, APP_01], "drill"));
    assert!(skip_of(&plan, WEB_01).contains("STOPPED"));
}

#[test]
fn the_direct_invoke_recovery_sample_recovers_db_01_only_with_the_opt_in() {
    let plan = planned(SAMPLES[5], &demo_config(true), Facts::default());
    assert_eq!(launched(&plan), each(&[DB_01], "recovery"));
    let plan = planned(SAMPLES[5], &demo_config(false), Facts::default());
    assert!(launched(&plan).is_empty());
    assert!(skip_of(&plan, DB_01).contains("real recovery is off"));
}

#[test]
fn the_fleet_target_invoke_sample_is_a_schedule_for_one_fleet_target() {
    assert!(trigger_of(SAMPLES[6]).target().is_some());
    schedule_drills_the_ready_servers(SAMPLES[6]);
}

#[test]
fn the_launch_result_failed_sample_reports_the_recovery_failed_with_the_logs_raw_error() {
    let facts = Facts {
        jobs: vec![sample_job(false, APP_01, LaunchStatus::Failed)],
        logs: vec![(
            SAMPLE_JOB.to_owned(),
            vec![LogItem {
                at: Some(NOW - 400),
                event: LogEvent::LaunchFailed,
                source_server_id: Some(sid(APP_01)),
                raw_error: Some(RAW_ERROR.to_owned()),
            }],
        )],
        ..Facts::default()
    };
    let plan = planned(SAMPLES[7], &demo_config(true), facts);
    let outcome = plan
        .outcomes
        .iter()
        .find(|o| o.target == APP_01 && o.action == LAUNCH)
        .expect("a Launch outcome");
    assert_eq!(outcome.result, OutcomeResult::Failed);
    assert_eq!(
        outcome.detail.as_deref(),
        Some(format!("recovery job {SAMPLE_JOB}: LAUNCH_FAILED: {RAW_ERROR}").as_str())
    );
    assert!(
        launched(&plan).is_empty(),
        "a launch result launches nothing"
    );
}

#[test]
fn the_launch_result_succeeded_sample_reports_web_02s_drill_with_its_evidence() {
    let mut instance = crate::testing::instance(0, SAMPLE_JOB, Some(true));
    instance.id = "i-0a1b2c3d4e5f60001".to_owned();
    instance.source_server_id = Some(sid(WEB_02));
    instance.point_in_time = Some(NOW - 1_200);
    let facts = Facts {
        jobs: vec![sample_job(true, WEB_02, LaunchStatus::Launched)],
        instances: vec![instance],
        ..Facts::default()
    };
    let plan = planned(SAMPLES[8], &demo_config(false), facts);
    let outcome = plan
        .outcomes
        .iter()
        .find(|o| o.target == WEB_02 && o.action == LAUNCH)
        .expect("a Launch outcome");
    assert_eq!(outcome.result, OutcomeResult::Done);
    let evidence = outcome.evidence.expect("evidence");
    assert_eq!(
        (
            evidence.drill,
            evidence.recovery_time_seconds,
            evidence.recovery_point_age_seconds
        ),
        (true, Some(600), Some(300))
    );
    assert!(
        launched(&plan).is_empty(),
        "a launch result launches nothing"
    );
}

#[test]
fn the_scheduled_event_sample_drills_the_ready_prod_servers() {
    schedule_drills_the_ready_servers(SAMPLES[9]);
}

#[test]
fn the_scheduler_input_sample_drills_the_ready_prod_servers() {
    schedule_drills_the_ready_servers(SAMPLES[10]);
}
