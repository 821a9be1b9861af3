//! Every sample event in `events/mgn-replication` parses and plans as documented, over the demo
//! fleet's MGN servers (`tests/emulator/fixtures/demo.json`) as observe reads them.

use super::*;
use crate::config::TestPolicy;
use crate::model::{AfterTest, ReplicationError};
use crate::testing::{policy, server, NOW};
use dr_core::fleet::Target;
use dr_core::ids::SourceServerId;
use dr_core::trigger::Trigger;

/// Every sample file; each has a test below.
const SAMPLES: [&str; 11] = [
    "direct-invoke-dry-run.json",
    "direct-invoke.json",
    "fleet-target-invoke.json",
    "launch-result-test-failed.json",
    "launch-result-test-succeeded.json",
    "lifecycle-ready-for-test.json",
    "replication-not-stalled.json",
    "replication-stalled-via-sns.json",
    "replication-stalled.json",
    "scheduled-event.json",
    "scheduler-input.json",
];

const APP_1: &str = "s-fcb86a035c3db2387";
const APP_2: &str = "s-0cae2676f9ffddb2c";
const APP_3: &str = "s-45fc535a88a9a1a61";
const DB_1: &str = "s-e5ce0a68da08eaa27";
const DB_2: &str = "s-6472ebb8db3b5a36c";
const WEB_1: &str = "s-580e03ba785ad25b7";
const WEB_2: &str = "s-49ce06d0253ff586f";
const WEB_3: &str = "s-e273af4333357566b";

/// A demo server: its id, hostname, states, and the demo's `MigrationWave=wave-1` tag.
fn demo(
    id: &str,
    hostname: &str,
    lifecycle: LifeCycle,
    replication: ReplicationState,
) -> SourceServer {
    let mut s = server(0, lifecycle, replication);
    s.id = SourceServerId::parse(id).expect("a demo id");
    s.arn = Some(format!(
        "arn:aws:mgn:us-east-1:123456789012:source-server/{id}"
    ));
    s.hostname = Some(hostname.to_owned());
    s.fqdn = Some(format!("{hostname}.corp.example.com"));
    s.tags = vec![("MigrationWave".to_owned(), "wave-1".to_owned())];
    s
}

/// The demo's eight MGN servers, in the states the fixture gives them.
fn demo_servers() -> Vec<SourceServer> {
    use LifeCycle::{Disconnected, NotReady, ReadyForCutover, ReadyForTest};
    use ReplicationState as R;
    let mut db_1 = demo(DB_1, "mgn-db-1", NotReady, R::Stalled);
    db_1.error = Some(ReplicationError {
        error: Some("FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER".into()),
        raw: Some("Agent could not connect to the replication server on TCP port 1500".into()),
        failed_step: None,
    });
    let mut app_3 = demo(APP_3, "mgn-app-3", ReadyForCutover, R::Continuous);
    app_3.last_test.job_id = Some("mgnjob-0a1b2c3d4e5f60718".into());
    vec![
        demo(APP_1, "mgn-app-1", ReadyForTest, R::Continuous),
        demo(APP_2, "mgn-app-2", ReadyForTest, R::Continuous),
        app_3,
        db_1,
        demo(DB_2, "mgn-db-2", ReadyForTest, R::Paused),
        demo(WEB_1, "mgn-web-1", NotReady, R::Stopped),
        demo(WEB_2, "mgn-web-2", Disconnected, R::Disconnected),
        demo(WEB_3, "mgn-web-3", NotReady, R::InitialSync),
    ]
}

/// The demo's configuration: wave 1, paused servers resumed, test launches on.
fn demo_config() -> MgnConfig {
    let mut p = policy();
    p.resume_paused = true;
    p.test = TestPolicy {
        enabled: true,
        ttl_secs: 3600,
        then: AfterTest::ReadyForCutover,
    };
    MgnConfig {
        settings: dr_testkit::settings(),
        servers: vec![crate::config::ServerSpec {
            name: ServerRef::Tags(vec![("MigrationWave".into(), "wave-1".into())]),
            policy: p,
        }],
        max_active: 150,
    }
}

fn trigger_of(name: &str) -> Trigger {
    let path = dr_testkit::samples::events_dir()
        .join("mgn-replication")
        .join(name);
    let event = dr_testkit::samples::read_json(&path).unwrap_or_else(|e| panic!("{e}"));
    dr_core::trigger::parse(&event).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// What sample `name` plans over the demo: each action as `(operation, server)`, sorted, and
/// the servers with a failed outcome.
fn planned(name: &str) -> (Vec<(&'static str, String)>, Vec<String>) {
    let home = Target::home(None, None);
    let facts = Facts {
        servers: demo_servers(),
        now: NOW,
        ..Facts::default()
    };
    let plan = plan(
        &demo_config(),
        &[Observed {
            target: &home,
            trigger: trigger_of(name),
            facts,
        }],
    )
    .remove(0);
    let mut actions: Vec<(&'static str, String)> = plan
        .actions
        .iter()
        .map(|a| (a.operation(), a.server().to_string()))
        .collect();
    actions.sort();
    let failed = plan.outcomes.iter().map(|o| o.target.clone()).collect();
    (actions, failed)
}

fn each(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = pairs
        .iter()
        .map(|(op, id)| (*op, (*id).to_owned()))
        .collect();
    out.sort();
    out
}

/// A schedule reconciles the whole wave.
fn reconciles_the_wave(name: &str) {
    let (actions, failed) = planned(name);
    assert_eq!(
        actions,
        each(&[
            ("ResumeReplication", DB_2),
            ("StartReplication", WEB_1),
            ("StartTest", APP_1),
            ("StartTest", APP_2),
            ("TagResource", DB_1),
        ]),
        "{name}"
    );
    assert_eq!(failed, [WEB_2], "{name}: the disconnected server");
}

#[test]
fn every_sample_file_has_a_test_here() {
    let names: Vec<String> =
        dr_testkit::samples::json_files(&dr_testkit::samples::events_dir().join("mgn-replication"))
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|(name, _)| name)
            .collect();
    assert_eq!(names, SAMPLES);
}

#[test]
fn the_scheduled_event_reconciles_the_wave() {
    reconciles_the_wave("scheduled-event.json");
}

#[test]
fn the_scheduler_input_reconciles_the_wave() {
    reconciles_the_wave("scheduler-input.json");
}

#[test]
fn the_fleet_target_invoke_reconciles_the_wave_of_its_target() {
    reconciles_the_wave("fleet-target-invoke.json");
}

#[test]
fn a_direct_invoke_reconciles_only_the_server_it_names() {
    assert_eq!(
        planned("direct-invoke.json").0,
        each(&[("TagResource", DB_1)])
    );
}

#[test]
fn the_dry_run_invoke_plans_its_three_servers() {
    assert_eq!(
        planned("direct-invoke-dry-run.json").0,
        each(&[
            ("ResumeReplication", DB_2),
            ("StartReplication", WEB_1),
            ("TagResource", DB_1)
        ])
    );
}

#[test]
fn aws_shaped_stall_event_with_its_asterisks_records_the_stall() {
    assert_eq!(
        planned("replication-stalled.json").0,
        each(&[("TagResource", DB_1)])
    );
}

#[test]
fn a_stall_event_through_sns_records_the_stall() {
    assert_eq!(
        planned("replication-stalled-via-sns.json").0,
        each(&[("TagResource", DB_1)])
    );
}

#[test]
fn a_not_stalled_event_is_a_cue_and_the_server_read_still_stalled_is_recorded() {
    assert_eq!(
        planned("replication-not-stalled.json").0,
        each(&[("TagResource", DB_1)])
    );
}

#[test]
fn a_server_ready_for_test_for_the_first_time_is_test_launched() {
    assert_eq!(
        planned("lifecycle-ready-for-test.json").0,
        each(&[("StartTest", APP_2)])
    );
}

#[test]
fn a_launch_result_of_a_job_the_function_does_not_know_reconciles_its_server() {
    for name in [
        "launch-result-test-succeeded.json",
        "launch-result-test-failed.json",
    ] {
        assert_eq!(planned(name).0, each(&[("StartTest", APP_1)]), "{name}");
    }
}
