//! The demo as `make demo` runs it: the three functions with the configuration of
//! `tools/demo/config.json` against one emulator holding the demo fleet, invoked with the demo's
//! steps in order. `tools/demo.py` reads the same file, so what passes here is what a user runs.

use dr_core::report::RunReport;
use dr_e2e::demo::{self, Demo, Step, FUNCTIONS};
use dr_e2e::{sample_event, Fleet, INVOKE_TIMEOUT};
use dr_emulator::{Fixture, REPORTS_TOPIC};
use serde_json::Value;

/// Runs every step of the demo, as `tools/demo.py` does; returns the fleet and what each
/// invocation answered, in order.
async fn run_demo(log: &str) -> (Fleet, Vec<(String, Value)>) {
    let config = demo::config();
    let fleet = Fleet::start(Fixture::demo(), &FUNCTIONS, &config.env(), log)
        .await
        .expect("the demo fleet started");
    let mut answers = Vec::new();
    for step in config.steps() {
        match step {
            Step::Invoke { function, event } => {
                let sample = sample_event(&format!("{function}/{event}")).expect("sample event");
                let answer = fleet
                    .runtime(function)
                    .invoke(&sample, INVOKE_TIMEOUT)
                    .await;
                let answer = answer.unwrap_or_else(|e| panic!("{function} < {event}: {e}"));
                answers.push((format!("{function} < {event}"), answer.expect_response()));
            }
            Step::Advance { hours, steps } => fleet.emulator.advance_time(hours * 3600, *steps),
        }
    }
    (fleet, answers)
}

#[tokio::test]
async fn every_invocation_of_the_demo_answers_with_a_run_report() {
    let (_fleet, answers) = run_demo("demo-reports").await;
    let invocations = demo::config()
        .steps()
        .iter()
        .filter(|s| matches!(s, Step::Invoke { .. }))
        .count();
    assert_eq!(answers.len(), invocations);
    for (what, answer) in answers {
        let report: Result<RunReport, _> = serde_json::from_value(answer.clone());
        assert!(report.is_ok(), "{what}: {answer}");
    }
}

#[tokio::test]
async fn the_demo_starts_drs_servers_creates_sms_jobs_and_copies_recovery_points() {
    let before = dr_emulator::Emulator::start(dr_emulator::Config::new(Fixture::demo()))
        .await
        .expect("emulator")
        .state();
    let (fleet, _) = run_demo("demo-changes").await;
    let after = fleet.emulator.state();
    let drs = |state: &Value| demo::side_effects("drs-start-replication", state);
    assert_ne!(drs(&after), drs(&before), "no DRS server changed");
    let count = |v: &Value| v.as_array().map_or(0, Vec::len);
    assert!(count(&after["sms"]["replicationJobs"]) > 0, "no SMS job");
    assert!(count(&after["backup"]["copyJobs"]) > 0, "no copy job");
}

#[tokio::test]
async fn the_demo_publishes_one_report_per_invocation_to_its_reports_topic() {
    let (fleet, answers) = run_demo("demo-published").await;
    let messages = fleet.emulator.sns_messages();
    assert_eq!(messages.len(), answers.len());
    assert!(messages
        .iter()
        .all(|m| m.topic_arn == demo::config().reports_topic()));
}

#[test]
fn the_demo_publishes_to_the_reports_topic_the_demo_fleet_holds() {
    assert_eq!(demo::config().reports_topic(), REPORTS_TOPIC);
    assert!(Fixture::demo()
        .sns
        .topics
        .iter()
        .any(|t| t == REPORTS_TOPIC));
}

#[test]
fn every_step_of_the_demo_names_a_sample_event_of_one_of_the_functions() {
    for step in demo::config().steps() {
        if let Step::Invoke { function, event } = step {
            assert!(FUNCTIONS.contains(&function.as_str()), "{function}");
            sample_event(&format!("{function}/{event}")).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

#[test]
fn an_object_of_the_demo_configuration_reaches_the_functions_as_its_json_text() {
    let sms_jobs: Value =
        serde_json::from_str(demo::config().var("SMS_JOBS")).expect("SMS_JOBS is JSON");
    assert_eq!(sms_jobs["jobs"][0]["serverId"], "s-5a1c0e7f");
    let destinations: Value = serde_json::from_str(demo::config().var("BACKUP_DESTINATIONS"))
        .expect("BACKUP_DESTINATIONS is JSON");
    assert_eq!(destinations[1]["keepForever"], true);
}

#[test]
fn every_function_is_told_every_trigger_topic_of_the_demo() {
    let topics = demo::config().var("TRIGGER_TOPIC_ARNS");
    for name in ["alarms", "smsEvents", "vaultEvents"] {
        let arn = demo::config().trigger_topic(name);
        assert!(topics.split(',').any(|t| t == arn), "{name}: {topics}");
    }
}

#[test]
fn a_demo_step_that_is_neither_an_invocation_nor_an_advance_is_refused_naming_it() {
    let config = r#"{"topics": {"reports": "r", "triggers": {}}, "environment": {},
        "invocations": [{"advance": {"hours": 2, "steps": 4}}, {"function": "f"}]}"#;
    let err = Demo::parse(config).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "tools/demo/config.json: invocations[1]: neither an advance nor a function and its event"
    );
}
