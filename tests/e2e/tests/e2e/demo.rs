//! The demo as `make demo` runs it: the functions with the configuration of
//! `tools/demo/config.json` against one emulator holding the demo fleet, invoked with the demo's
//! steps in order (a DRS drill among them: launched, measured, cleaned up; an MGN wave started,
//! resumed, configured, retried and test-launched, its test cleaned up), then its fleet step: the
//! functions over three accounts in two regions, one of them with a role they cannot assume. `tools/demo.py` reads the same file, so what passes here
//! is what a user runs.

use dr_core::report::{OutcomeResult, RunReport, RunStatus};
use dr_e2e::demo::{self, Demo, FleetStep, Step, FUNCTIONS};
use dr_e2e::{mgn, sample_event, Fleet, INVOKE_TIMEOUT};
use dr_emulator::{Fixture, REPORTS_TOPIC};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

/// A fleet step as it ran: its functions and emulator, the emulator's state before its first
/// invocation, and what each invocation answered, in order.
struct FleetRun {
    fleet: Fleet,
    before: Value,
    answers: Vec<(String, Value)>,
}

/// Invokes `function` with its sample `event` on `fleet`; panics when there is no answer.
async fn invoke(fleet: &Fleet, function: &str, event: &str) -> (String, Value) {
    let sample = sample_event(&format!("{function}/{event}")).expect("sample event");
    let answer = fleet
        .runtime(function)
        .invoke(&sample, INVOKE_TIMEOUT)
        .await;
    let answer = answer.unwrap_or_else(|e| panic!("{function} < {event}: {e}"));
    (format!("{function} < {event}"), answer.expect_response())
}

/// Runs a fleet step as `tools/demo.py` does: its fixture loaded, the functions configured with
/// the demo's environment and the step's on top, its roles denied, then its invocations.
async fn run_fleet_step(step: &FleetStep, log: &str) -> FleetRun {
    let config = demo::config();
    let fixture = step.load_fixture().expect("the fleet step's fixture");
    let fleet = Fleet::start(fixture, &FUNCTIONS, &config.env_of(step), log)
        .await
        .expect("the fleet step's functions started");
    for role in &step.denied_roles {
        fleet
            .emulator
            .set_role_denied(role, true)
            .unwrap_or_else(|e| panic!("{role}: {e}"));
    }
    let before = fleet.emulator.state();
    let mut answers = Vec::new();
    for step in &step.steps {
        match step {
            Step::Invoke { function, event } => answers.push(invoke(&fleet, function, event).await),
            Step::Advance { seconds, steps } => fleet.emulator.advance_time(*seconds, *steps),
            Step::Wait { seconds } => tokio::time::sleep(Duration::from_secs(*seconds)).await,
            Step::Fleet(_) => panic!("a fleet step holds no fleet step"),
        }
    }
    FleetRun {
        fleet,
        before,
        answers,
    }
}

/// The demo's one fleet step; panics when it has none or several.
fn fleet_step() -> &'static FleetStep {
    let steps: Vec<&FleetStep> = demo::config().fleet_steps().collect();
    let [step] = steps.as_slice() else {
        panic!("the demo has one fleet step, not {}", steps.len());
    };
    step
}

/// Runs every step of the demo, as `tools/demo.py` does; returns the fleet of the steps before
/// the fleet step, what each of those invocations answered, in order, and the fleet step's run.
async fn run_demo(log: &str) -> (Fleet, Vec<(String, Value)>, Vec<FleetRun>) {
    let config = demo::config();
    let fleet = Fleet::start(Fixture::demo(), &FUNCTIONS, &config.env(), log)
        .await
        .expect("the demo fleet started");
    let mut answers = Vec::new();
    let mut fleet_runs = Vec::new();
    for step in config.steps() {
        match step {
            Step::Invoke { function, event } => answers.push(invoke(&fleet, function, event).await),
            Step::Advance { seconds, steps } => fleet.emulator.advance_time(*seconds, *steps),
            Step::Wait { seconds } => tokio::time::sleep(Duration::from_secs(*seconds)).await,
            Step::Fleet(step) => {
                fleet_runs.push(run_fleet_step(step, &format!("{log}-fleet")).await)
            }
        }
    }
    (fleet, answers, fleet_runs)
}

/// The invocations of `steps`, a fleet step's included.
fn invocations(steps: &[Step]) -> usize {
    steps
        .iter()
        .map(|s| match s {
            Step::Invoke { .. } => 1,
            Step::Advance { .. } | Step::Wait { .. } => 0,
            Step::Fleet(step) => invocations(&step.steps),
        })
        .sum()
}

/// The account and region of each `FLEET` entry of the fleet step, in order.
fn fleet_places(step: &FleetStep) -> Vec<(String, String)> {
    let fleet: Value = serde_json::from_str(step.var("FLEET").expect("the fleet step sets FLEET"))
        .expect("FLEET is JSON");
    fleet
        .as_array()
        .expect("FLEET is a list")
        .iter()
        .map(|t| {
            let text = |k: &str| t[k].as_str().expect("account and region").to_owned();
            (text("account"), text("region"))
        })
        .collect()
}

/// The account of a role ARN.
fn role_account(role: &str) -> &str {
    role.split(':')
        .nth(4)
        .expect("a role ARN names its account")
}

#[tokio::test]
async fn every_invocation_of_the_demo_answers_with_a_run_report() {
    let (_fleet, mut answers, fleet_runs) = run_demo("demo-reports").await;
    answers.extend(fleet_runs.into_iter().flat_map(|run| run.answers));
    assert_eq!(answers.len(), invocations(demo::config().steps()));
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
    let (fleet, _, _) = run_demo("demo-changes").await;
    let after = fleet.emulator.state();
    let drs = |state: &Value| demo::side_effects("drs-start-replication", state);
    assert_ne!(drs(&after), drs(&before), "no DRS server changed");
    let count = |v: &Value| v.as_array().map_or(0, Vec::len);
    assert!(count(&after["sms"]["replicationJobs"]) > 0, "no SMS job");
    assert!(count(&after["backup"]["copyJobs"]) > 0, "no copy job");
}

/// The reports of the demo's invocations of `function`, in order, each with its event.
fn reports_of(function: &str, answers: &[(String, Value)]) -> Vec<(String, RunReport)> {
    let prefix = format!("{function} < ");
    answers
        .iter()
        .filter_map(|(what, answer)| {
            let event = what.strip_prefix(&prefix)?;
            let report = serde_json::from_value(answer.clone()).expect("a run report");
            Some((event.to_owned(), report))
        })
        .collect()
}

/// The reports of the demo's `drs-recovery` invocations, in order, each with its event.
fn recovery_reports(answers: &[(String, Value)]) -> Vec<(String, RunReport)> {
    reports_of("drs-recovery", answers)
}

/// The targets of the outcomes of `action` with `result` over `reports`.
fn targets_of(
    reports: &[(String, RunReport)],
    action: &str,
    result: OutcomeResult,
) -> BTreeSet<String> {
    reports
        .iter()
        .flat_map(|(_, r)| &r.outcomes)
        .filter(|o| o.action == action && o.result == result)
        .map(|o| o.target.clone())
        .collect()
}

#[tokio::test]
async fn the_demo_s_alarm_launches_no_recovery_and_says_what_it_would_have_launched() {
    let (fleet, answers, _) = run_demo("demo-recovery-alarm").await;
    let reports = recovery_reports(&answers);
    let alarms: Vec<&RunReport> = reports
        .iter()
        .filter(|(event, _)| event.starts_with("alarm-"))
        .map(|(_, r)| r)
        .collect();
    assert!(!alarms.is_empty(), "the demo shows an alarm");
    for report in alarms {
        assert!(
            report.outcomes.iter().all(|o| o.action != "StartRecovery"),
            "{report:#?}"
        );
        assert!(
            report
                .skips
                .iter()
                .any(|s| s.reason.contains("a recovery would be launched")
                    && s.reason.contains("DRS_RECOVERY_ENABLED")),
            "{report:#?}"
        );
    }
    let state = fleet.emulator.state();
    let jobs = state["drs"]["jobs"].as_array().cloned().unwrap_or_default();
    assert!(
        jobs.iter().all(|j| j["initiatedBy"] != "START_RECOVERY"),
        "{jobs:#?}"
    );
}

#[tokio::test]
async fn the_demo_s_drill_is_launched_measured_and_terminated_after_its_time_to_live() {
    let (fleet, answers, _) = run_demo("demo-drill").await;
    let reports = recovery_reports(&answers);
    let launched = targets_of(&reports, "StartRecovery", OutcomeResult::Done);
    assert!(!launched.is_empty(), "the drill launched nothing");
    let rto = Some(1800);
    let measured: BTreeSet<String> = reports
        .iter()
        .flat_map(|(_, r)| &r.outcomes)
        .filter(|o| o.action == "Launch" && o.result == OutcomeResult::Done)
        .filter(|o| {
            o.evidence.is_some_and(|e| {
                e.drill && e.recovery_time_seconds.is_some_and(|t| t > 0) && e.rto_seconds == rto
            })
        })
        .map(|o| o.target.clone())
        .collect();
    assert_eq!(measured, launched, "each drilled server measured once");
    let totals = reports
        .iter()
        .find_map(|(_, r)| r.evidence)
        .expect("a report with the drill's evidence");
    assert_eq!((totals.drills, totals.rto_seconds), (launched.len(), rto));
    let terminated = targets_of(&reports, "TerminateRecoveryInstances", OutcomeResult::Done);
    assert_eq!(
        terminated.len(),
        launched.len(),
        "one instance per drilled server"
    );
    // The demo's later clock moves complete the termination jobs: the servers are TERMINATED
    // there and their instances gone.
    let state = fleet.emulator.state();
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let gone: BTreeSet<String> = list(&state["drs"]["jobs"])
        .iter()
        .filter(|j| j["initiatedBy"] == "TERMINATE_RECOVERY_INSTANCES")
        .flat_map(|j| list(&j["participatingServers"]))
        .filter(|p| p["launchStatus"] == "TERMINATED")
        .filter_map(|p| p["sourceServerID"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(gone, launched, "every drill instance goes");
    let left = list(&state["drs"]["recoveryInstances"]);
    assert!(left.is_empty(), "{left:#?}");
    // Only the last run comes after the clock passed DRS_DRILL_TTL.
    let terminating: Vec<usize> = reports
        .iter()
        .enumerate()
        .filter(|(_, (_, r))| {
            r.outcomes
                .iter()
                .any(|o| o.action == "TerminateRecoveryInstances")
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(terminating, vec![reports.len() - 1]);
}

/// The demo's MGN source server of `hostname` (tests/emulator/README.md lists them).
fn mgn_server(hostname: &str) -> String {
    Fixture::demo()
        .mgn
        .source_servers
        .iter()
        .find(|s| s.hostname.as_deref() == Some(hostname))
        .map(|s| s.source_server_id.clone())
        .unwrap_or_else(|| panic!("the demo fleet has no MGN server {hostname}"))
}

/// The reports of the demo's scheduled `mgn-replication` runs, in order.
fn mgn_schedule_reports(answers: &[(String, Value)]) -> Vec<(String, RunReport)> {
    let reports: Vec<(String, RunReport)> = reports_of("mgn-replication", answers)
        .into_iter()
        .filter(|(_, r)| !r.dry_run)
        .collect();
    assert!(reports.len() >= 2, "the demo runs mgn-replication twice");
    reports
}

/// The servers of `hostnames`, as ids.
fn mgn_servers(hostnames: &[&str]) -> BTreeSet<String> {
    hostnames.iter().map(|h| mgn_server(h)).collect()
}

#[tokio::test]
async fn the_demo_s_first_mgn_run_starts_resumes_configures_records_a_stall_and_tests() {
    let (_fleet, answers, _) = run_demo("demo-mgn-first").await;
    let reports = mgn_schedule_reports(&answers);
    let first = &reports[..1];
    let done = |action: &str| targets_of(first, action, OutcomeResult::Done);
    assert_eq!(done("StartReplication"), mgn_servers(&["mgn-web-1"]));
    assert_eq!(done("ResumeReplication"), mgn_servers(&["mgn-db-2"]));
    assert_eq!(
        done("UpdateReplicationConfiguration"),
        mgn_servers(&["mgn-app-1"])
    );
    assert_eq!(done("TagResource"), mgn_servers(&["mgn-db-1"]));
    assert_eq!(done("StartTest"), mgn_servers(&["mgn-app-2"]));
    assert!(done("RetryDataReplication").is_empty(), "{first:#?}");
    let reported = targets_of(first, "Notify", OutcomeResult::Failed);
    assert_eq!(reported, mgn_servers(&["mgn-web-2"]), "DISCONNECTED");
    let configured = first[0]
        .1
        .outcomes
        .iter()
        .find(|o| o.action == "UpdateReplicationConfiguration")
        .and_then(|o| o.detail.clone())
        .unwrap_or_default();
    assert_eq!(
        configured,
        "replicationServerInstanceType t3.medium → t3.small"
    );
}

#[tokio::test]
async fn the_demo_s_last_mgn_run_retries_the_stall_and_ends_the_test_after_the_wait() {
    let (fleet, answers, _) = run_demo("demo-mgn-last").await;
    let reports = mgn_schedule_reports(&answers);
    let (stalled, tested) = (mgn_server("mgn-db-1"), mgn_server("mgn-app-2"));
    let runs_doing = |action: &str| -> Vec<usize> {
        (0..reports.len())
            .filter(|&i| !targets_of(&reports[i..=i], action, OutcomeResult::Done).is_empty())
            .collect()
    };
    let last = reports.len() - 1;
    assert_eq!(runs_doing("RetryDataReplication"), vec![last]);
    assert_eq!(runs_doing("TerminateTargetInstances"), vec![last]);
    let last_run = &reports[last..];
    let retried = targets_of(last_run, "RetryDataReplication", OutcomeResult::Done);
    assert_eq!(retried, BTreeSet::from([stalled.clone()]));
    let cleaned = targets_of(last_run, "TerminateTargetInstances", OutcomeResult::Done);
    assert_eq!(cleaned, BTreeSet::from([tested.clone()]));
    // The demo's clock moves after the last run complete the termination.
    let effects = demo::side_effects("mgn-replication", &fleet.emulator.state());
    let tested = &effects[&tested];
    assert_eq!(tested["lifecycle"], "READY_FOR_CUTOVER", "{tested}");
    assert_eq!(tested["launched"], false, "{tested}");
    assert_eq!(
        tested["jobs"],
        json!([
            "LAUNCH COMPLETED LAUNCHED own",
            "TERMINATE COMPLETED TERMINATED own"
        ]),
        "{tested}"
    );
    let [stalls, since, retried_at] = mgn::STALL_TAGS;
    assert_eq!(
        effects[&stalled]["stallRecord"],
        json!({stalls: "1", since: "set", retried_at: "set"})
    );
}

/// A duration of `MGN_SERVERS` such as `20s`, in seconds.
fn mgn_seconds(text: &Value) -> u64 {
    let text = text.as_str().expect("a duration");
    let number = |digits: &str| digits.parse::<u64>().expect("a whole number");
    match text.split_at(text.len() - 1) {
        (n, "s") => number(n),
        (n, "m") => number(n) * 60,
        (n, "h") => number(n) * 3600,
        _ => panic!("{text} is not a duration of seconds, minutes or hours"),
    }
}

#[test]
fn the_demo_waits_out_the_mgn_cool_down_and_test_time_to_live_between_its_mgn_runs() {
    let steps = demo::config().steps();
    let schedule = |s: &Step| {
        matches!(s, Step::Invoke { function, event }
            if function == "mgn-replication" && event == "scheduler-input.json")
    };
    let first = steps
        .iter()
        .position(schedule)
        .expect("an MGN schedule run");
    let last = steps
        .iter()
        .rposition(schedule)
        .expect("an MGN schedule run");
    let waited: u64 = steps[first..last]
        .iter()
        .map(|s| match s {
            Step::Wait { seconds } => *seconds,
            _ => 0,
        })
        .sum();
    let servers: Value =
        serde_json::from_str(demo::config().var("MGN_SERVERS")).expect("MGN_SERVERS is JSON");
    let cool_down = mgn_seconds(&servers["defaults"]["onStall"]["coolDown"]);
    let ttls: Vec<u64> = servers["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .filter(|s| s["testLaunch"]["enabled"] == true)
        .map(|s| mgn_seconds(&s["testLaunch"]["ttl"]))
        .collect();
    assert!(!ttls.is_empty(), "the demo launches a server for test");
    for needed in ttls.into_iter().chain([cool_down]) {
        assert!(
            waited > needed,
            "waits {waited} s, needs more than {needed} s"
        );
    }
}

#[tokio::test]
async fn the_demo_publishes_one_report_per_invocation_to_its_reports_topic() {
    let (fleet, answers, _) = run_demo("demo-published").await;
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
    let fleet_steps = demo::config().fleet_steps().flat_map(|f| f.steps.iter());
    for step in demo::config().steps().iter().chain(fleet_steps) {
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
    let mgn_servers: Value =
        serde_json::from_str(demo::config().var("MGN_SERVERS")).expect("MGN_SERVERS is JSON");
    assert_eq!(mgn_servers["servers"][0]["resumePaused"], true);
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
        "tools/demo/config.json: invocations[1]: neither an advance, a wait, a fleet nor a \
         function and its event"
    );
}

#[test]
fn a_fleet_step_inside_a_fleet_step_is_refused_naming_it() {
    let config = r#"{"topics": {"reports": "r", "triggers": {}}, "environment": {},
        "invocations": [{"fleet": {"fixture": "fleet.json", "environment": {},
            "invocations": [{"fleet": {}}]}}]}"#;
    let err = Demo::parse(config).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "tools/demo/config.json: invocations[0].fleet.invocations[0]: a fleet step holds no \
         fleet step"
    );
}

#[test]
fn a_fleet_step_whose_fixture_is_a_path_is_refused_naming_it() {
    let config = r#"{"topics": {"reports": "r", "triggers": {}}, "environment": {},
        "invocations": [{"fleet": {"fixture": "../demo.json", "environment": {},
            "invocations": []}}]}"#;
    let err = Demo::parse(config).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "tools/demo/config.json: invocations[0].fleet.fixture: is not the file name of a fixture \
         in tests/emulator/fixtures"
    );
}

#[test]
fn the_fleet_step_serves_three_accounts_in_two_regions_through_their_member_roles() {
    let step = fleet_step();
    let places = fleet_places(step);
    let accounts: BTreeSet<&str> = places.iter().map(|(a, _)| a.as_str()).collect();
    let regions: BTreeSet<&str> = places.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!((places.len(), accounts.len(), regions.len()), (6, 3, 2));
    assert!(accounts.contains(demo::config().var("ACCOUNT_ID")));
    let role = step
        .var("FLEET_ROLE")
        .expect("the fleet step sets FLEET_ROLE");
    assert!(
        role.contains("{account}") && role.contains("{function}"),
        "{role}"
    );
    step.load_fixture().expect("its fixture loads");
}

#[tokio::test]
async fn the_fleet_step_stops_only_the_targets_whose_role_is_denied_and_says_why() {
    let step = fleet_step();
    let denied: Vec<&str> = step.denied_roles.iter().map(|r| role_account(r)).collect();
    assert!(!denied.is_empty(), "the demo shows a denied role");
    let run = run_fleet_step(step, "demo-fleet-denied").await;
    for (what, answer) in &run.answers {
        let report: RunReport = serde_json::from_value(answer.clone()).expect("a run report");
        let function = what.split(' ').next().expect("a function");
        let sections: Vec<(String, String)> = report
            .targets
            .iter()
            .map(|t| {
                (
                    t.account.clone().unwrap_or_default(),
                    t.region.clone().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            sections,
            fleet_places(step),
            "{what}: one section per target, in order"
        );
        for t in &report.targets {
            let account = t.account.as_deref().unwrap_or_default();
            let role_denied = step
                .denied_roles
                .iter()
                .any(|r| role_account(r) == account && r.ends_with(function));
            if role_denied {
                assert_eq!(t.status, RunStatus::Failed, "{what}: {t:?}");
                let error = t.error.as_ref().expect("a stopped target says why");
                assert!(
                    error.message.starts_with("AssumeRole failed: AccessDenied"),
                    "{what}: {}",
                    error.message
                );
            } else {
                // It ran and acted (the demo's SMS jobs include one VM SMS cannot replicate).
                assert!(t.error.is_none() && t.counts.done > 0, "{what}: {t:?}");
                assert_ne!(t.status, RunStatus::Failed, "{what}: {t:?}");
            }
        }
    }
}

#[tokio::test]
async fn the_fleet_step_changes_every_account_and_region_but_leaves_the_denied_one_s_servers() {
    let step = fleet_step();
    let run = run_fleet_step(step, "demo-fleet-changes").await;
    let changes = demo::changes_by_place(&run.before, &run.fleet.emulator.state());
    let denied: Vec<&str> = step.denied_roles.iter().map(|r| role_account(r)).collect();
    for place in fleet_places(step) {
        let changed = changes.get(&place).cloned().unwrap_or_default();
        assert!(
            !changed.sms_jobs.is_empty(),
            "{place:?}: no SMS job: {changed:?}"
        );
        assert!(changed.copy_jobs > 0, "{place:?}: no copy job: {changed:?}");
        if denied.contains(&place.0.as_str()) {
            assert!(changed.drs_started.is_empty(), "{place:?}: {changed:?}");
        } else {
            assert!(
                !changed.drs_started.is_empty(),
                "{place:?}: no DRS server started"
            );
        }
    }
    // Each account's servers, not another's: the member account's are its own partition's.
    let member = run
        .fleet
        .emulator
        .state_in("345678901234", "us-west-2")
        .expect("the member partition");
    let ids: Vec<&str> = member["drs"]["sourceServers"]
        .as_array()
        .expect("its servers")
        .iter()
        .filter_map(|s| s["sourceServerID"].as_str())
        .collect();
    let place = ("345678901234".to_owned(), "us-west-2".to_owned());
    assert!(changes[&place]
        .drs_started
        .iter()
        .all(|id| ids.contains(&id.as_str())));
}
