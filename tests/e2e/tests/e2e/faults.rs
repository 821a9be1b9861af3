//! Faults: each function runs its demo workload (the sample events in order, the emulator moving
//! on between them) once without faults and once with the emulator injecting, on every operation
//! the functions call (SNS Publish included): throttling (30%), internal errors (5%), latency
//! spikes, connections dropped before the call is carried out and, on every operation but
//! Publish, connections dropped after it was carried out. An invocation that fails is invoked
//! again, as Lambda retries an asynchronous invocation.
//!
//! Then, with the faults cleared: the side effects equal the fault-free run's, target by target
//! (nothing lost, nothing twice); every published report is one invocation's and the returned
//! one when the invocation succeeded; a failed invocation's report lists retryable failures;
//! everything a report says was done is in the emulator; and no permanent failure appears that
//! the fault-free run did not have.
//!
//! Publish is spared the drops after the call: SNS has no idempotency key for standard topics,
//! so a report whose publication broke after SNS took it is published again, by design.

use dr_core::report::{OutcomeResult, RunReport};
use dr_e2e::demo::{self, copy_target};
use dr_e2e::{mgn, sample_event, Deployment, Invocation};
use dr_emulator::faults::{DROPPED_AFTER_APPLY, LATENCY_SPIKE};
use dr_emulator::{FaultRule, Fixture, REPORTS_TOPIC};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(120);
/// Invocations of one event before the test gives up on it (Lambda makes 3, then dead-letters).
const MAX_ATTEMPTS: usize = 10;
/// The fixture seed: the emulator draws its faults from it, so every run injects the same ones
/// for the same sequence of calls.
const SEED: u64 = 20_261_120;
/// The demo SMS servers the workload names.
const ERP_APP: &str = "s-5a1c0e7f";
/// The DynamoDB backup whose first copy fails in the demo fixture.
const DYNAMO: &str =
    "arn:aws:backup:us-east-1:123456789012:recovery-point:9d3f5b7a-2c4e-4f60-8a1b-3c5d7e9f1a2b";

/// One step of a workload.
enum Step {
    /// Invoke with a sample event, `events/<function>/<name>`.
    Sample(&'static str),
    /// Invoke with this event.
    Event(Value),
    /// A direct invoke naming the SMS jobs of these servers (their ids exist only at run time).
    OnDemand(&'static [&'static str]),
    /// Let the emulated services move on this many steps.
    Advance(u64),
}

/// Each function's workload: the order of the per-function end-to-end tests.
fn workload(function: &str) -> Vec<Step> {
    use Step::{Advance, Event, OnDemand, Sample};
    match function {
        "drs-start-replication" => vec![
            Sample("alarm-via-sns.json"),
            Sample("alarm-state-change.json"),
            Sample("direct-invoke.json"),
            Sample("replication-stalled.json"),
            Sample("scheduled-event.json"),
            Sample("scheduler-input.json"),
        ],
        "sms-replication-jobs" => vec![
            Sample("scheduled-event.json"),
            Advance(2),
            OnDemand(&[ERP_APP]),
            Sample("scheduler-input.json"),
            Sample("sms-api-call-via-cloudtrail.json"),
            Advance(2),
            Sample("scheduled-event.json"),
        ],
        "backup-copy-fanout" => vec![
            Sample("backup-job-completed.json"),
            Sample("vault-notification-backup-completed.json"),
            Sample("vault-notification-backup-completed-variant-b.json"),
            Sample("vault-notification-backup-failed.json"),
            Advance(2),
            Sample("copy-job-completed.json"),
            Sample("scheduled-event.json"),
            Advance(2),
            Sample("direct-invoke.json"),
            Event(json!({"targets": [DYNAMO]})),
            Advance(2),
            Sample("copy-job-failed.json"),
            Advance(2),
            Sample("scheduler-input.json"),
        ],
        // mgn-replication with `mgn::SERVERS`: the first schedule records db-1's stall, resumes
        // db-2, starts web-1, sets app-1's replication server type and launches app-1 and app-2
        // for test; the events after it find those done.
        "mgn-replication" => vec![
            Sample("scheduled-event.json"),
            Advance(2),
            Sample("replication-stalled.json"),
            Sample("lifecycle-ready-for-test.json"),
            Sample("direct-invoke.json"),
            Sample("replication-stalled-via-sns.json"),
            Advance(2),
            Sample("scheduler-input.json"),
        ],
        other => panic!("unknown function {other}"),
    }
}

/// The side effects of `function` in a state dump, per target.
fn side_effects(function: &str, state: &Value) -> BTreeMap<String, Value> {
    if function == mgn::FUNCTION {
        mgn::side_effects(state)
    } else {
        demo::side_effects(function, state)
    }
}

/// The fault rules, on every operation (`*`).
fn fault_rules() -> Vec<FaultRule> {
    let rule =
        |error: &str, error_rate: f64, latency_ms: u64, drop_connection_rate: f64| FaultRule {
            operation: "*".into(),
            error_rate,
            error: error.into(),
            latency_ms,
            drop_connection_rate,
            times: None,
        };
    vec![
        rule("ThrottlingException", 0.30, 0, 0.03),
        rule("InternalServerException", 0.05, 0, 0.0),
        rule(LATENCY_SPIKE, 0.10, 400, 0.0),
        rule(DROPPED_AFTER_APPLY, 0.03, 0, 0.0),
        // A rule naming Publish replaces the `*` rules for it: the same faults but the drops
        // after the call.
        FaultRule {
            operation: "Publish".into(),
            ..rule("ThrottlingException", 0.30, 0, 0.03)
        },
        FaultRule {
            operation: "Publish".into(),
            ..rule("InternalServerException", 0.05, 0, 0.0)
        },
        FaultRule {
            operation: "Publish".into(),
            ..rule(LATENCY_SPIKE, 0.10, 400, 0.0)
        },
    ]
}

/// What one invocation attempt answered.
struct Attempt {
    answer: Invocation,
}

/// One run of a workload: the emulator, the function, and every attempt in order.
struct Run {
    function: &'static str,
    deployment: Deployment,
    attempts: Vec<Attempt>,
    /// Invocations beyond the first of each event.
    retries: usize,
}

impl std::ops::Deref for Run {
    type Target = Deployment;
    fn deref(&self) -> &Deployment {
        &self.deployment
    }
}

impl Run {
    async fn start(scenario: &Scenario, log: &str) -> Self {
        let function = scenario.function;
        let mut fixture = scenario.fixture.clone();
        fixture.seed = SEED;
        let env = mgn::borrowed(&scenario.env);
        let deployment = Deployment::start(function, fixture, &env, log, 1);
        Self {
            function,
            deployment: deployment.await.expect("deployed"),
            attempts: Vec::new(),
            retries: 0,
        }
    }

    /// Invokes until the function succeeds, as Lambda retries; a failure other than a retryable
    /// one, or no success within [`MAX_ATTEMPTS`], fails the test.
    async fn invoke(&mut self, event: &Value) {
        for attempt in 1..=MAX_ATTEMPTS {
            let answer = self.runtime.invoke(event, TIMEOUT).await.expect("answered");
            let done = matches!(answer, Invocation::Response(_));
            if let Invocation::Error { error_type, .. } = &answer {
                assert!(
                    ["RetryableFailures", "ReportNotPublished"].contains(&error_type.as_str()),
                    "{}: {answer:?} for {event}",
                    self.function
                );
            }
            self.attempts.push(Attempt { answer });
            if done {
                return;
            }
            if attempt < MAX_ATTEMPTS {
                self.retries += 1;
            }
        }
        panic!(
            "{}: {event} still failing after {MAX_ATTEMPTS} invocations",
            self.function
        );
    }

    async fn run(&mut self, steps: &[Step]) {
        for step in steps {
            match step {
                Step::Sample(name) => {
                    let event =
                        sample_event(&format!("{}/{name}", self.function)).expect("sample event");
                    self.invoke(&event).await;
                }
                Step::Event(event) => self.invoke(event).await,
                Step::OnDemand(servers) => {
                    let state = self.emulator.state();
                    let ids: Vec<Value> = servers
                        .iter()
                        .map(|server| {
                            state["sms"]["replicationJobs"]
                                .as_array()
                                .and_then(|jobs| jobs.iter().find(|j| j["serverId"] == *server))
                                .map(|j| j["replicationJobId"].clone())
                                .expect("a job for the server")
                        })
                        .collect();
                    self.invoke(&json!({ "targets": ids })).await;
                }
                Step::Advance(steps) => self.emulator.advance(*steps),
            }
        }
    }

    /// The published reports, checked against the attempts: one per attempt whose report was
    /// published, the returned report when the attempt succeeded, with retryable failures when
    /// it failed for them.
    fn reports(&self) -> Vec<RunReport> {
        let messages = self.emulator.sns_messages();
        let published: Vec<&Attempt> = self
            .attempts
            .iter()
            .filter(|a| !matches!(&a.answer, Invocation::Error { error_type, .. } if error_type == "ReportNotPublished"))
            .collect();
        assert_eq!(
            messages.len(),
            published.len(),
            "{}: one report per invocation that published one",
            self.function
        );
        published
            .iter()
            .zip(&messages)
            .map(|(attempt, message)| {
                assert_eq!(message.topic_arn, REPORTS_TOPIC);
                let report: RunReport =
                    serde_json::from_str(&message.message).expect("a report body");
                match &attempt.answer {
                    Invocation::Response(returned) => {
                        let returned: RunReport =
                            serde_json::from_value(returned.clone()).expect("a report");
                        assert_eq!(report, returned, "the published report is the returned one");
                        assert!(!report.has_retryable_failures(), "{report:#?}");
                    }
                    Invocation::Error { .. } => {
                        assert!(report.has_retryable_failures(), "{report:#?}");
                    }
                }
                report
            })
            .collect()
    }
}

/// Side effects counted per target: DRS servers no longer STOPPED; SMS jobs and on-demand runs
/// per server; Backup copy jobs per recovery point and destination; MGN jobs, retried stalls and
/// the stall record per server, and whether it replicates.
fn effect_counts(function: &str, effects: &BTreeMap<String, Value>) -> BTreeMap<String, u64> {
    effects
        .iter()
        .map(|(target, value)| {
            let n = match function {
                "drs-start-replication" => u64::from(value != "STOPPED"),
                "sms-replication-jobs" => value
                    .as_array()
                    .map(|jobs| {
                        jobs.iter()
                            .map(|j| {
                                1 + j["runs"]
                                    .as_object()
                                    .map(|runs| {
                                        runs.iter()
                                            .filter(|(k, _)| k.starts_with("ON_DEMAND"))
                                            .filter_map(|(_, n)| n.as_u64())
                                            .sum::<u64>()
                                    })
                                    .unwrap_or(0)
                            })
                            .sum()
                    })
                    .unwrap_or(0),
                "mgn-replication" => {
                    let jobs = value["jobs"].as_array().map_or(0, |j| j.len() as u64);
                    let record = &value["stallRecord"];
                    let retries = record[mgn::STALL_TAGS[0]]
                        .as_str()
                        .and_then(|n| n.parse::<u64>().ok());
                    let replicates =
                        !matches!(value["replication"].as_str(), Some("STOPPED" | "PAUSED"));
                    jobs + retries.map_or(0, |n| n + 1) + u64::from(replicates)
                }
                _ => value.as_array().map_or(0, |a| a.len() as u64),
            };
            (target.clone(), n)
        })
        .collect()
}

/// Checks that what each report says was done is in the emulator's state.
fn check_done_outcomes(function: &str, reports: &[RunReport], state: &Value) {
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let mut started = BTreeSet::new();
    for report in reports {
        for o in report
            .outcomes
            .iter()
            .filter(|o| o.result == OutcomeResult::Done)
        {
            let detail = o.detail.clone().unwrap_or_default();
            match (function, o.action.as_str()) {
                ("drs-start-replication", "StartReplication") => {
                    assert!(
                        started.insert(o.target.clone()),
                        "{} reported started twice",
                        o.target
                    );
                    let server = list(&state["drs"]["sourceServers"])
                        .into_iter()
                        .find(|s| s["sourceServerID"] == o.target.as_str())
                        .expect("a known server");
                    assert_ne!(
                        server["dataReplicationInfo"]["dataReplicationState"], "STOPPED",
                        "{o:?}"
                    );
                }
                ("sms-replication-jobs", "CreateReplicationJob") => {
                    let id = detail
                        .strip_prefix("created ")
                        .and_then(|d| d.split(':').next())
                        .expect("the created job id");
                    assert!(
                        list(&state["sms"]["replicationJobs"])
                            .iter()
                            .any(|j| j["replicationJobId"] == id
                                && j["serverId"] == o.target.as_str()),
                        "{o:?}"
                    );
                }
                ("sms-replication-jobs", "StartOnDemandReplicationRun") => {
                    let id = detail
                        .strip_prefix("started ")
                        .and_then(|d| d.split(';').next())
                        .expect("the run id");
                    assert!(
                        list(&state["sms"]["replicationJobs"])
                            .iter()
                            .filter(|j| j["replicationJobId"] == o.target.as_str())
                            .flat_map(|j| list(&j["replicationRunList"]))
                            .any(|r| r["replicationRunId"] == id && r["type"] == "ON_DEMAND"),
                        "{o:?}"
                    );
                }
                ("backup-copy-fanout", "StartCopyJob") => {
                    let id = detail
                        .strip_prefix("copy job ")
                        .and_then(|d| d.split(' ').next())
                        .expect("the copy job id");
                    assert!(
                        list(&state["backup"]["copyJobs"]).iter().any(|j| {
                            j["CopyJobId"] == id
                                && copy_target(
                                    j["SourceRecoveryPointArn"].as_str().unwrap_or_default(),
                                    j["DestinationBackupVaultArn"].as_str().unwrap_or_default(),
                                ) == o.target
                        }),
                        "{o:?}"
                    );
                }
                ("mgn-replication", "StartReplication" | "ResumeReplication") => {
                    let server = mgn::servers_of(state)
                        .into_iter()
                        .find(|s| s["sourceServerID"] == o.target.as_str())
                        .expect("a known server");
                    assert!(
                        !matches!(mgn::replication(&server), "STOPPED" | "PAUSED"),
                        "{o:?}"
                    );
                }
                ("mgn-replication", "StartTest") => {
                    let id = detail
                        .strip_prefix("test launch in job ")
                        .expect("the job id");
                    assert!(
                        mgn::jobs_of(state).iter().any(|j| j["jobID"] == id
                            && mgn::tag(j, "dr-automation:function") == Some(mgn::FUNCTION)
                            && mgn::job_servers(j).contains(&o.target)),
                        "{o:?}"
                    );
                }
                _ => {}
            }
        }
    }
}

/// Failures no retry would fix, by target and action; an SMS job is named by its server, since
/// the emulator gives each run's jobs other ids.
fn permanent_failures(run: &Run, reports: &[RunReport]) -> BTreeSet<(String, String)> {
    let state = run.emulator.state();
    let server_of = |target: &str| {
        state["sms"]["replicationJobs"]
            .as_array()
            .and_then(|jobs| jobs.iter().find(|j| j["replicationJobId"] == target))
            .and_then(|j| j["serverId"].as_str())
            .unwrap_or(target)
            .to_owned()
    };
    reports
        .iter()
        .flat_map(|r| &r.outcomes)
        .filter(|o| o.result == OutcomeResult::Failed && !o.retryable)
        .map(|o| (server_of(&o.target), o.action.clone()))
        .collect()
}

/// A function, the account it runs against, its configuration and its workload.
struct Scenario {
    function: &'static str,
    fixture: Fixture,
    env: Vec<(String, String)>,
    steps: Vec<Step>,
}

impl Scenario {
    /// The demo account, the demo configuration (for mgn-replication with `mgn::SERVERS`) and
    /// the sample-event workload.
    fn demo(function: &'static str) -> Self {
        let env = if function == mgn::FUNCTION {
            mgn::env(mgn::SERVERS, &[])
        } else {
            owned(&demo::config().env())
        };
        Self {
            function,
            fixture: Fixture::demo(),
            env,
            steps: workload(function),
        }
    }
}

/// `env` with owned names and values.
fn owned(env: &[(&str, &str)]) -> Vec<(String, String)> {
    env.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

async fn survives_faults(scenario: Scenario) {
    let function = scenario.function;
    let steps = &scenario.steps;
    let mut clean = Run::start(&scenario, &format!("faults-{function}-clean")).await;
    clean.run(steps).await;
    let expected = side_effects(function, &clean.emulator.state());
    let clean_reports = clean.reports();
    assert_eq!(clean.retries, 0, "no fault, no retry");

    let mut faulty = Run::start(&scenario, &format!("faults-{function}")).await;
    for rule in fault_rules() {
        faulty.emulator.set_fault(rule).expect("fault rule");
    }
    faulty.run(steps).await;
    let injected = faulty.emulator.faults_injected();
    faulty.emulator.clear_faults();
    let state = faulty.emulator.state();
    let got = side_effects(function, &state);
    let reports = faulty.reports();

    let (want, have) = (
        effect_counts(function, &expected),
        effect_counts(function, &got),
    );
    let targets: BTreeSet<&String> = want.keys().chain(have.keys()).collect();
    let (mut duplicates, mut lost) = (0, 0);
    for target in targets {
        let (w, h) = (
            want.get(target).copied().unwrap_or(0),
            have.get(target).copied().unwrap_or(0),
        );
        duplicates += h.saturating_sub(w);
        lost += w.saturating_sub(h);
    }
    let calls = |run: &Run| -> BTreeMap<String, u64> {
        run.emulator.state()["calls"]
            .as_object()
            .map(|c| {
                c.iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (clean_calls, faulty_calls) = (calls(&clean), calls(&faulty));
    println!("{function}: faults injected {injected:?}");
    for (operation, n) in &faulty_calls {
        println!(
            "{function}: {operation}: {n} calls with faults, {} without",
            clean_calls.get(operation).copied().unwrap_or(0)
        );
    }
    println!(
        "{function}: {} invocations for {} events ({} invocation retries); {} reports published; \
         duplicates = {duplicates}, lost = {lost}",
        faulty.attempts.len(),
        clean.attempts.len(),
        faulty.retries,
        reports.len()
    );

    assert_eq!((duplicates, lost), (0, 0), "{function}");
    assert_eq!(got, expected, "{function}: the fault-free end state");
    check_done_outcomes(function, &reports, &state);
    let permanent = permanent_failures(&faulty, &reports);
    assert!(
        permanent.is_subset(&permanent_failures(&clean, &clean_reports)),
        "{function}: a fault made a failure permanent: {permanent:?}"
    );
    assert!(
        injected.values().sum::<u64>() > 0,
        "{function}: the faults were injected"
    );
}

#[tokio::test]
async fn drs_starts_each_server_once_through_faults() {
    survives_faults(Scenario::demo("drs-start-replication")).await;
}

/// The demo makes few DRS calls; a fleet of 400 with 150 to start, reconciled twice, makes
/// enough for every kind of fault to land on DescribeSourceServers and StartReplication.
#[tokio::test]
async fn drs_fleet_starts_each_server_once_through_faults() {
    survives_faults(Scenario {
        function: "drs-start-replication",
        fixture: Fixture::drs_fleet(400, 150),
        env: owned(&[
            ("DRS_SELECT_ALL", "true"),
            ("MAX_CONCURRENCY", "20"),
            ("REPORT_TOPIC_ARN", REPORTS_TOPIC),
        ]),
        steps: vec![
            Step::Event(json!({"schedule": "fleet"})),
            Step::Advance(2),
            Step::Event(json!({"schedule": "fleet"})),
        ],
    })
    .await;
}

#[tokio::test]
async fn sms_creates_and_runs_each_job_once_through_faults() {
    survives_faults(Scenario::demo("sms-replication-jobs")).await;
}

#[tokio::test]
async fn backup_copies_each_point_once_through_faults() {
    survives_faults(Scenario::demo("backup-copy-fanout")).await;
}

#[tokio::test]
async fn mgn_reconciles_each_server_once_through_faults() {
    survives_faults(Scenario::demo("mgn-replication")).await;
}

/// An account of 300 MGN servers, `App=fleet`: 100 stopped, 100 stalled and 100 ready for test,
/// with room for all to replicate at once.
fn mgn_fleet() -> Fixture {
    use dr_emulator::fixture::{MgnReplicationState, MgnServer};
    let mut fixture = Fixture::demo();
    fixture.mgn.active_quota = 1_000;
    fixture.mgn.source_servers = (0..300)
        .map(|i| {
            let state = match i % 3 {
                0 => MgnReplicationState::Stopped,
                1 => MgnReplicationState::Stalled,
                _ => MgnReplicationState::Continuous,
            };
            let mut server = MgnServer::new(&format!("s-{i:017x}"), &format!("mgn-{i}"), state);
            server.tags.insert("App".to_owned(), "fleet".to_owned());
            server
        })
        .collect();
    fixture
}

/// The demo makes few MGN calls; 300 servers reconciled three times make enough for every kind
/// of fault to land on TagResource, StartReplication and StartTest.
#[tokio::test]
async fn mgn_fleet_reconciles_each_server_once_through_faults() {
    let mut env = mgn::env(
        mgn::SERVERS,
        &[
            ("MAX_CONCURRENCY", "20"),
            ("MGN_MAX_ACTIVE_SERVERS", "1000"),
        ],
    );
    env.retain(|(k, _)| k != "ACCOUNT_ID");
    survives_faults(Scenario {
        function: "mgn-replication",
        fixture: mgn_fleet(),
        env,
        steps: vec![
            Step::Event(json!({"schedule": "fleet"})),
            Step::Advance(2),
            Step::Event(json!({"schedule": "fleet"})),
            Step::Advance(2),
            Step::Event(json!({"schedule": "fleet"})),
        ],
    })
    .await;
}
