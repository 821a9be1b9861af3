//! Fleets: every function's real binary over the emulator's fleet fixture, 3 accounts × 2
//! regions (home 123456789012 with its own credentials, members 234567890123 and 345678901234
//! through their roles). A run covers every target it concerns, reports each in its own
//! section, changes each partition alone, and one target's failure stays that target's.
//!
//! The fleet samples (`events/*/fleet-*.json`) name member accounts, so they are redelivered
//! here, against the fleet, rather than in `redelivery`, which runs the single-account demo.

use crate::MUTATING;
use dr_core::report::{OutcomeResult, RunStatus};
use dr_e2e::demo::{self, FUNCTIONS};
use dr_e2e::fleet::{
    all_placed_in, all_targets, member_role, outcomes_in, owned, section, sections,
    FleetDeployment, Target, FOREIGN, HOME, MEMBER, STAGING,
};
use dr_e2e::mgn;
use dr_e2e::report::{detail, published, skip_reason};
use dr_e2e::{events_dir, hold, sample_event, Invocation, INVOKE_TIMEOUT};
use dr_emulator::FaultRule;
use dr_testkit::samples::samples_in;
use serde_json::{json, Value};

const DRS: &str = "drs-start-replication";
const SMS: &str = "sms-replication-jobs";
const BACKUP: &str = "backup-copy-fanout";
const DONE: OutcomeResult = OutcomeResult::Done;
/// The staging account's server the home account holds EXTENDED in us-east-1, and that copy.
const STAGING_SERVER: &str = "s-158024c8d13c1d7f3";
const EXTENDED_COPY: &str = "s-3486f3fa3b2767509";
/// Warm instances, and deliveries of each redelivered sample.
const DELIVERIES: usize = 3;
/// How long each mutating call is held in a redelivery: far longer than observing takes.
const HOLD_MS: u64 = 600;

fn event(function: &str, name: &str) -> Value {
    sample_event(&format!("{function}/{name}")).expect("sample event")
}

/// The function's scheduler sample: a schedule, which goes to every target.
fn schedule(function: &str) -> Value {
    event(function, "scheduler-input.json")
}

fn list(state: &Value, service: &str, field: &str) -> Vec<Value> {
    state[service][field]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The partition's STOPPED DRS servers that replicate there (not extended from elsewhere).
fn stopped_servers(state: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list(state, "drs", "sourceServers")
        .iter()
        .filter(|s| s["dataReplicationInfo"]["dataReplicationState"] == "STOPPED")
        .filter(|s| s["stagingArea"]["status"] == "NOT_EXTENDED")
        .filter_map(|s| s["sourceServerID"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

/// The replication state of DRS server `id` in a partition's state.
fn drs_state(state: &Value, id: &str) -> String {
    list(state, "drs", "sourceServers")
        .iter()
        .find(|s| s["sourceServerID"] == id)
        .and_then(|s| s["dataReplicationInfo"]["dataReplicationState"].as_str())
        .unwrap_or("MISSING")
        .to_owned()
}

/// The servers of a partition's SMS replication jobs, sorted.
fn job_servers(state: &Value) -> Vec<String> {
    let mut servers: Vec<String> = list(state, "sms", "replicationJobs")
        .iter()
        .filter_map(|j| j["serverId"].as_str().map(str::to_owned))
        .collect();
    servers.sort();
    servers
}

/// The copy role in `account`: the configured one with its account replaced.
fn copy_role(account: &str) -> String {
    demo::config()
        .var("BACKUP_COPY_ROLE_ARN")
        .replace(HOME, account)
}

fn mutating_calls(run: &FleetDeployment) -> u64 {
    MUTATING.iter().map(|op| run.emulator.calls(op)).sum()
}

fn throttle(operation: &str) -> FaultRule {
    FaultRule {
        error_rate: 1.0,
        ..hold(operation, 0)
    }
}

#[tokio::test]
async fn a_drs_schedule_starts_the_stopped_servers_of_all_six_targets() {
    let run = FleetDeployment::start(DRS, "fleet-drs-schedule").await;
    let stopped: Vec<(Target, Vec<String>)> = all_targets()
        .into_iter()
        .map(|t| (t, stopped_servers(&run.state_in(t))))
        .collect();
    let report = run.invoke_report(&schedule(DRS)).await;
    assert_eq!(sections(&report), owned(&all_targets()));
    assert!(all_placed_in(&report, &all_targets()), "{report:#?}");
    for (target, ids) in stopped {
        assert!(!ids.is_empty(), "{target:?} has STOPPED servers");
        let started = outcomes_in(&report, target, "StartReplication", DONE);
        assert_eq!(started, ids, "{target:?}");
        assert_eq!(stopped_servers(&run.state_in(target)), Vec::<String>::new());
    }
}

#[tokio::test]
async fn an_sms_schedule_creates_the_configured_jobs_in_all_six_targets() {
    let run = FleetDeployment::start(SMS, "fleet-sms-schedule").await;
    let report = run.invoke_report(&schedule(SMS)).await;
    assert_eq!(sections(&report), owned(&all_targets()));
    assert!(all_placed_in(&report, &all_targets()), "{report:#?}");
    let home = job_servers(&run.state_in((HOME, "us-east-1")));
    assert!(!home.is_empty(), "{report:#?}");
    for target in all_targets() {
        let jobs = job_servers(&run.state_in(target));
        assert_eq!(jobs, home, "{target:?}: the same jobs in every target");
        let created = outcomes_in(&report, target, "CreateReplicationJob", DONE);
        assert_eq!(created.len(), jobs.len(), "{target:?}: {report:#?}");
    }
}

/// A vault is unique to the account and Region it was created in, and `IamRoleArn` is "the IAM
/// role ARN used to copy the target recovery point" (Backup API reference, StartCopyJob): a copy
/// is started in its source account, with a role of that account.
#[tokio::test]
async fn a_backup_sweep_copies_in_every_target_with_that_accounts_copy_role() {
    let run = FleetDeployment::start(BACKUP, "fleet-backup-sweep").await;
    let report = run.invoke_report(&schedule(BACKUP)).await;
    assert_eq!(sections(&report), owned(&all_targets()));
    assert!(all_placed_in(&report, &all_targets()), "{report:#?}");
    for target @ (account, region) in all_targets() {
        let jobs = list(&run.state_in(target), "backup", "copyJobs");
        assert!(!jobs.is_empty(), "{target:?}: no copies");
        let started = outcomes_in(&report, target, "StartCopyJob", DONE);
        assert_eq!(started.len(), jobs.len(), "{target:?}: {report:#?}");
        for job in jobs {
            assert_eq!(job["IamRoleArn"], copy_role(account), "{job}");
            assert_eq!(job["AccountId"], account, "{job}");
            let vault = format!("arn:aws:backup:{region}:{account}:backup-vault:dr-primary");
            assert_eq!(job["SourceBackupVaultArn"], vault, "{job}");
        }
    }
}

/// AssumeRole's credentials last an hour by default (STS API reference, AssumeRole:
/// `DurationSeconds`), far longer than two runs.
#[tokio::test]
async fn member_roles_are_assumed_once_per_member_target_and_not_again_when_warm() {
    let run = FleetDeployment::start(DRS, "fleet-assume-role").await;
    let members = all_targets().iter().filter(|(a, _)| *a != HOME).count() as u64;
    run.invoke_report(&schedule(DRS)).await;
    assert_eq!(run.emulator.calls("AssumeRole"), members);
    assert_eq!(
        run.emulator.calls_in(HOME, "AssumeRole"),
        members,
        "every role is assumed with the function's own credentials"
    );
    run.invoke_report(&schedule(DRS)).await;
    assert_eq!(
        run.emulator.calls("AssumeRole"),
        members,
        "the warm run reuses them"
    );
}

#[tokio::test]
async fn a_member_whose_role_is_denied_fails_alone_and_is_left_unchanged() {
    let run = FleetDeployment::start(DRS, "fleet-role-denied").await;
    let role = member_role(MEMBER, DRS);
    run.emulator.set_role_denied(&role, true).expect("a role");
    let before = run.side_effects();
    let report = run.invoke_report(&schedule(DRS)).await;
    assert_eq!(report.status, RunStatus::PartiallyFailed, "{report:#?}");
    for target in all_targets() {
        let part = section(&report, target);
        if target.0 == MEMBER {
            assert_eq!(part.status, RunStatus::Failed, "{target:?}");
            let why = &part.error.as_ref().expect("the reason").message;
            assert!(
                why.contains("AssumeRole") && why.contains("AccessDenied"),
                "{why}"
            );
            assert_eq!(run.side_effects_in(target), before[&target], "{target:?}");
        } else {
            assert_eq!(part.status, RunStatus::Succeeded, "{target:?}");
            assert!(part.counts.done > 0, "{target:?}: {part:?}");
        }
    }
    assert_eq!(run.calls_in(MEMBER, &["DescribeSourceServers"]), 0);
    assert_eq!(run.calls_in(MEMBER, &MUTATING), 0);
}

#[tokio::test]
async fn the_published_report_counts_the_targets_and_those_that_failed() {
    let run = FleetDeployment::start(DRS, "fleet-report-totals").await;
    let role = member_role(MEMBER, DRS);
    run.emulator.set_role_denied(&role, true).expect("a role");
    let report = run.invoke_report(&schedule(DRS)).await;
    let messages = run.emulator.sns_messages();
    let [message] = messages.as_slice() else {
        panic!("one report published: {messages:?}");
    };
    let number = |name: &str| {
        let attribute = &message.message_attributes[name];
        assert_eq!(attribute.data_type, "Number", "{name}");
        attribute.string_value.clone().unwrap_or_default()
    };
    assert_eq!(number("targets"), "6");
    assert_eq!(
        number("targetsFailed"),
        "2",
        "both regions of the denied account"
    );
    let subject = message.subject.as_deref().unwrap_or_default();
    assert!(subject.ends_with(" in 6 targets"), "{subject}");
    assert!(subject.contains(report.status.as_str()), "{subject}");
}

#[tokio::test]
async fn throttling_in_one_target_fails_only_there_and_asks_for_a_retry() {
    let run = FleetDeployment::start(DRS, "fleet-throttled-target").await;
    let throttled = (MEMBER, "us-west-2");
    let rule = throttle("StartReplication");
    let (account, region) = throttled;
    run.emulator
        .set_fault_in(Some(account), Some(region), rule)
        .expect("a fault rule");
    let stopped = stopped_servers(&run.state_in(throttled));
    let answer = run.runtime.invoke(&schedule(DRS), INVOKE_TIMEOUT).await;
    let answer = answer.expect("answered");
    assert_eq!(answer.error_type(), Some("RetryableFailures"), "{answer:?}");
    let report = published(&run.emulator, DRS)
        .pop()
        .expect("a published report");
    assert_eq!(report.status, RunStatus::PartiallyFailed);
    let part = section(&report, throttled);
    assert_eq!(part.status, RunStatus::Failed);
    let counts = (part.counts.failed, part.counts.retryable);
    assert_eq!(counts, (stopped.len(), stopped.len()), "{part:?}");
    let failed = outcomes_in(
        &report,
        throttled,
        "StartReplication",
        OutcomeResult::Failed,
    );
    assert_eq!(failed, stopped);
    assert_eq!(stopped_servers(&run.state_in(throttled)), stopped);
    for target in all_targets().into_iter().filter(|t| *t != throttled) {
        assert_eq!(section(&report, target).status, RunStatus::Succeeded);
        assert_eq!(stopped_servers(&run.state_in(target)), Vec::<String>::new());
    }
}

#[tokio::test]
async fn a_member_accounts_stalled_event_is_handled_only_in_its_own_target() {
    let run = FleetDeployment::start(DRS, "fleet-drs-member-event").await;
    let sample = event(DRS, "fleet-replication-stalled-member-account.json");
    let report = run.invoke_report(&sample).await;
    let own = (MEMBER, "us-east-1");
    assert_eq!(sections(&report), owned(&[own]));
    let started = outcomes_in(&report, own, "StartReplication", DONE);
    assert_eq!(started, vec!["s-6a509055ea40577f4"]);
    assert_eq!(run.emulator.calls("StartReplication"), 1);
    assert_eq!(
        run.emulator.calls("DescribeSourceServers"),
        run.emulator.calls_in(MEMBER, "DescribeSourceServers"),
        "no other account was read"
    );
    assert_ne!(drs_state(&run.state_in(own), &started[0]), "STOPPED");
}

#[tokio::test]
async fn a_member_accounts_backup_job_event_is_copied_only_in_its_own_target() {
    let run = FleetDeployment::start(BACKUP, "fleet-backup-member-event").await;
    let sample = event(BACKUP, "fleet-backup-job-completed-member-account.json");
    let report = run.invoke_report(&sample).await;
    let own = (MEMBER, "us-east-1");
    assert_eq!(sections(&report), owned(&[own]));
    let destinations = demo::config().var("BACKUP_DESTINATIONS");
    let destinations: Vec<Value> = serde_json::from_str(destinations).expect("a list");
    let jobs = list(&run.state_in(own), "backup", "copyJobs");
    assert_eq!(jobs.len(), destinations.len(), "one copy per destination");
    for job in &jobs {
        assert_eq!(job["SourceRecoveryPointArn"], sample["resources"][0]);
        assert_eq!(job["IamRoleArn"], copy_role(MEMBER));
    }
    assert_eq!(run.emulator.calls("StartCopyJob"), jobs.len() as u64);
}

#[tokio::test]
async fn an_event_from_an_account_outside_the_fleet_is_a_bad_event_with_no_side_effect() {
    let samples = [
        (DRS, "fleet-replication-stalled-member-account.json"),
        (BACKUP, "fleet-backup-job-completed-member-account.json"),
    ];
    for (function, name) in samples {
        let run = FleetDeployment::start(function, &format!("fleet-foreign-{function}")).await;
        let text = event(function, name).to_string().replace(MEMBER, FOREIGN);
        let foreign: Value = serde_json::from_str(&text).expect("still JSON");
        run.assert_bad_events(&[foreign]).await;
        assert_eq!(mutating_calls(&run), 0, "{function}");
        assert_eq!(run.emulator.calls("AssumeRole"), 0, "{function}");
    }
}

#[tokio::test]
async fn a_one_target_invoke_acts_only_in_the_target_it_names() {
    for function in FUNCTIONS {
        let run = FleetDeployment::start(function, &format!("fleet-one-target-{function}")).await;
        let invoke = event(function, "fleet-target-invoke.json");
        let named = *all_targets()
            .iter()
            .find(|(a, r)| invoke["target"] == json!({"account": a, "region": r}))
            .expect("the sample names a fleet target");
        let before = run.side_effects();
        let report = run.invoke_report(&invoke).await;
        assert_eq!(sections(&report), owned(&[named]), "{function}");
        let after = run.side_effects();
        for target in all_targets() {
            let changed = after[&target] != before[&target];
            assert_eq!(changed, target == named, "{function}: {target:?}");
        }
    }
}

#[tokio::test]
async fn a_one_target_invoke_of_a_target_outside_the_fleet_is_a_bad_event() {
    for function in FUNCTIONS {
        let run = FleetDeployment::start(function, &format!("fleet-not-a-target-{function}")).await;
        let mut foreign = event(function, "fleet-target-invoke.json");
        foreign["target"]["account"] = json!(FOREIGN);
        let mut other_region = event(function, "fleet-target-invoke.json");
        other_region["target"]["region"] = json!("eu-west-1");
        run.assert_bad_events(&[foreign, other_region]).await;
        assert_eq!(mutating_calls(&run), 0, "{function}");
        assert_eq!(run.emulator.calls("AssumeRole"), 0, "{function}");
    }
}

/// An extended server's replication runs in its staging account ("Using multiple staging
/// accounts with DRS", DRS user guide), so that is where it is started.
#[tokio::test]
async fn a_fleet_schedule_starts_an_extended_server_in_its_staging_account() {
    let run = FleetDeployment::start(DRS, "fleet-drs-staging").await;
    let (home, staging) = ((HOME, "us-east-1"), (STAGING, "us-east-1"));
    assert_eq!(drs_state(&run.state_in(home), EXTENDED_COPY), "STOPPED");
    let report = run.invoke_report(&schedule(DRS)).await;
    let in_staging = outcomes_in(&report, staging, "StartReplication", DONE);
    assert!(
        in_staging.contains(&STAGING_SERVER.to_owned()),
        "{report:#?}"
    );
    let at_home = outcomes_in(&report, home, "StartReplication", DONE);
    assert!(!at_home.contains(&EXTENDED_COPY.to_owned()), "{report:#?}");
    let why = skip_reason(&report, EXTENDED_COPY);
    assert!(
        why.contains(STAGING) && why.contains("started there"),
        "{why}"
    );
    let start = detail(&report, STAGING_SERVER, "StartReplication");
    assert!(start.contains(EXTENDED_COPY), "{start}");
    run.emulator.advance(1);
    assert_eq!(
        drs_state(&run.state_in(home), EXTENDED_COPY),
        "INITIAL_SYNC"
    );
}

#[tokio::test]
async fn with_its_staging_account_outside_the_fleet_an_extended_server_is_skipped_saying_why() {
    let targets: Vec<Target> = all_targets()
        .into_iter()
        .filter(|(account, _)| *account != STAGING)
        .collect();
    let run = FleetDeployment::start_with(DRS, &targets, "fleet-drs-no-staging", 1);
    let run = run.await.expect("deployed");
    let report = run.invoke_report(&schedule(DRS)).await;
    assert_eq!(sections(&report), owned(&targets));
    let why = skip_reason(&report, EXTENDED_COPY);
    assert!(why.contains(STAGING), "{why}");
    assert!(why.contains("not observed in this run"), "{why}");
    assert_eq!(run.emulator.calls_in(STAGING, "StartReplication"), 0);
    let staging = run.state_in((STAGING, "us-east-1"));
    assert_eq!(drs_state(&staging, STAGING_SERVER), "STOPPED");
}

#[tokio::test]
async fn a_dry_run_in_the_fleet_changes_nothing_in_any_partition() {
    // mgn-replication's is an_mgn_dry_run_in_the_fleet_changes_nothing_in_any_partition: the home
    // account's us-west-2 holds no MGN server, so nothing is planned there.
    for function in FUNCTIONS.into_iter().filter(|f| *f != mgn::FUNCTION) {
        let run = FleetDeployment::start(function, &format!("fleet-dry-run-{function}")).await;
        let before = run.side_effects();
        let mut dry = schedule(function);
        dry["dryRun"] = json!(true);
        let report = run.invoke_report(&dry).await;
        assert!(report.dry_run, "{function}");
        assert_eq!(sections(&report), owned(&all_targets()), "{function}");
        for target in all_targets() {
            let planned = section(&report, target).counts.planned;
            assert!(planned > 0, "{function}: nothing planned in {target:?}");
        }
        assert_eq!(mutating_calls(&run), 0, "{function}");
        assert_eq!(run.side_effects(), before, "{function}");
    }
}

/// The fleet samples of `function`, by file name, sorted.
fn fleet_samples(function: &str) -> Vec<(String, Value)> {
    let samples: Vec<(String, Value)> = samples_in(&events_dir().join(function))
        .into_iter()
        .filter(|(name, _)| name.starts_with("fleet-"))
        .collect();
    assert!(!samples.is_empty(), "{function} has no fleet samples");
    samples
}

/// Back to the fixture's start, with every mutating call held so that concurrent deliveries all
/// observe before any of them changes anything.
fn reset_held(run: &FleetDeployment) {
    run.emulator.reset();
    for operation in MUTATING {
        run.emulator
            .set_fault(hold(operation, HOLD_MS))
            .expect("a fault rule");
    }
}

async fn deliver(run: &FleetDeployment, event: &Value) -> Invocation {
    let answer = run.runtime.invoke(event, INVOKE_TIMEOUT).await;
    answer.expect("answered")
}

/// As in `redelivery`: SMS and MGN redeliveries come one after another (the template gives
/// those functions reserved concurrency 1, as `StartOnDemandReplicationRun` and the MGN
/// operations take no idempotency token); the others' come at once, to different instances.
#[tokio::test]
async fn every_fleet_sample_delivered_three_times_has_its_effect_once() {
    for function in FUNCTIONS {
        let log = format!("fleet-redelivery-{function}");
        let targets = all_targets();
        let run = FleetDeployment::start_with(function, &targets, &log, DELIVERIES);
        let run = run.await.expect("deployed");
        for (name, sample) in fleet_samples(function) {
            reset_held(&run);
            let before = run.side_effects();
            deliver(&run, &sample).await.expect_response();
            let once = run.side_effects();
            assert_ne!(once, before, "{function}/{name} has an effect");

            reset_held(&run);
            if function == SMS || function == mgn::FUNCTION {
                for _ in 0..DELIVERIES {
                    deliver(&run, &sample).await;
                }
            } else {
                tokio::join!(
                    deliver(&run, &sample),
                    deliver(&run, &sample),
                    deliver(&run, &sample)
                );
            }
            assert_eq!(run.side_effects(), once, "{function}/{name}");
        }
    }
}

fn mgn_mutating_calls(run: &FleetDeployment) -> u64 {
    mgn::calls(&run.emulator, &mgn::MUTATING)
}

#[tokio::test]
async fn a_member_accounts_mgn_event_is_handled_only_in_its_own_target() {
    let run = FleetDeployment::start(mgn::FUNCTION, "fleet-mgn-member-event").await;
    let own = (MEMBER, "us-east-1");
    let stalled = "s-936f2faa1930af6f7";
    let sample = mgn::aws_sample(mgn::AWS_SAMPLES[0], stalled, own.0, own.1);
    let report = run.invoke_report(&sample).await;
    assert_eq!(sections(&report), owned(&[own]), "{report:#?}");
    assert_eq!(
        outcomes_in(&report, own, "TagResource", DONE),
        vec![stalled],
        "{report:#?}"
    );
    assert_eq!(mgn_mutating_calls(&run), 1);
    assert_eq!(
        run.emulator.calls("mgn:DescribeSourceServers"),
        run.emulator.calls_in(MEMBER, "mgn:DescribeSourceServers"),
        "no other account was read"
    );
}

#[tokio::test]
async fn a_member_whose_mgn_role_is_denied_fails_alone_and_is_left_unchanged() {
    let run = FleetDeployment::start(mgn::FUNCTION, "fleet-mgn-role-denied").await;
    let role = member_role(MEMBER, mgn::FUNCTION);
    run.emulator.set_role_denied(&role, true).expect("a role");
    let before = run.side_effects();
    let report = run.invoke_report(&json!({"schedule": mgn::FUNCTION})).await;
    let after = run.side_effects();
    for target in all_targets() {
        let part = section(&report, target);
        if target.0 == MEMBER {
            assert_eq!(part.status, RunStatus::Failed, "{target:?}");
            let why = &part.error.as_ref().expect("the reason").message;
            assert!(
                why.contains("AssumeRole") && why.contains("AccessDenied"),
                "{why}"
            );
            assert_eq!(after[&target], before[&target], "{target:?}");
        } else if !before[&target].is_empty() {
            assert!(part.counts.done > 0, "{target:?}: {part:?}");
        }
    }
    let member_calls: u64 = mgn::MUTATING
        .iter()
        .chain(&["mgn:DescribeSourceServers"])
        .map(|op| run.emulator.calls_in(MEMBER, op))
        .sum();
    assert_eq!(member_calls, 0);
}

#[tokio::test]
async fn an_mgn_dry_run_in_the_fleet_changes_nothing_in_any_partition() {
    let run = FleetDeployment::start(mgn::FUNCTION, "fleet-mgn-dry-run").await;
    let before = run.side_effects();
    let mut dry = schedule(mgn::FUNCTION);
    dry["dryRun"] = json!(true);
    let report = run.invoke_report(&dry).await;
    assert!(report.dry_run);
    assert_eq!(sections(&report), owned(&all_targets()));
    for target in all_targets() {
        // The home account's us-west-2 holds no MGN servers.
        let has_servers = !before[&target].is_empty();
        let planned = section(&report, target).counts.planned;
        assert_eq!(planned > 0, has_servers, "{target:?}: {planned} planned");
    }
    assert_eq!(mgn_mutating_calls(&run), 0);
    assert_eq!(run.side_effects(), before);
}
