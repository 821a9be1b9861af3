//! Redelivery: every sample event in `events/<function>/` (the directory is listed, so a new
//! sample is covered without touching this file) is delivered three times to three warm
//! instances of its function (at once; for SMS one after another, see its test), and the
//! emulator must end in the same state as after one delivery.
//!
//! The fleet samples (`fleet-*`) are left to the `fleet` module, which delivers them to a
//! deployment over the fleet fixture.
//!
//! Each delivery runs against the demo fixture reset to its start. Samples that only act on an
//! earlier state get it first ([`prepare`]): a stalled server is stopped, SMS jobs exist for the
//! placeholder job ids, a copy job has ended for a Copy Job State Change, an MGN test launch has
//! ended for a Launch Result and a recorded MGN stall has ended for a NOT_STALLED change. The
//! mutating calls are
//! slowed down so that all three instances observe before any of them changes anything: the
//! worst interleaving, where only the service's own guards (DRS conflicts, SMS "already exists",
//! Backup idempotency tokens) or the function's can keep the side effects to one.
//!
//! mgn-replication runs with [`mgn::SERVERS`], which names every demo MGN server.

use dr_e2e::demo::{self, SMS_PLACEHOLDER_SERVERS};
use dr_e2e::mgn;
use dr_e2e::{events_dir, hold, Deployment, Invocation, INVOKE_TIMEOUT};
use dr_emulator::Fixture;
use dr_testkit::samples::samples_in;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Warm instances, and deliveries of each event.
const DELIVERIES: usize = 3;
/// Every call that changes something in the emulated services.
const MUTATING: [&str; 5] = [
    "StartReplication",
    "CreateReplicationJob",
    "StartOnDemandReplicationRun",
    "UpdateReplicationJob",
    "StartCopyJob",
];
/// How long each mutating call is held: far longer than the observing calls before it take.
const HOLD_MS: u64 = 600;
/// Placeholder SMS job ids in the samples are this prefix and a digit from 1.
const SMS_PLACEHOLDER: &str = "sms-job-0a1b2c3d4e5f6000";

/// One function's binary, warm in [`DELIVERIES`] instances polling one Runtime API.
struct Warm {
    function: &'static str,
    deployment: Deployment,
}

impl std::ops::Deref for Warm {
    type Target = Deployment;
    fn deref(&self) -> &Deployment {
        &self.deployment
    }
}

impl Warm {
    async fn start(function: &'static str) -> Self {
        let mgn_env = mgn::env(mgn::SERVERS, &[]);
        let env = if function == mgn::FUNCTION {
            mgn::borrowed(&mgn_env)
        } else {
            demo::config().env()
        };
        let log = format!("redelivery-{function}");
        let deployment = Deployment::start(function, Fixture::demo(), &env, &log, DELIVERIES);
        Self {
            function,
            deployment: deployment.await.expect("deployed"),
        }
    }

    async fn deliver(&self, event: &Value) -> Invocation {
        self.runtime
            .invoke(event, INVOKE_TIMEOUT)
            .await
            .expect("answered")
    }

    fn side_effects(&self) -> BTreeMap<String, Value> {
        let state = self.emulator.state();
        if self.function == mgn::FUNCTION {
            mgn::side_effects(&state)
        } else {
            demo::side_effects(self.function, &state)
        }
    }

    /// The demo fixture from the start, with the mutating calls held, and the state `sample`
    /// needs; returns the event to deliver.
    async fn reset_for(&self, sample: &Value) -> Value {
        self.emulator.reset();
        for operation in MUTATING.iter().chain(&mgn::MUTATING) {
            self.emulator
                .set_fault(hold(operation, HOLD_MS))
                .expect("fault rule");
        }
        prepare(self, sample).await
    }
}

/// The sample events of `function`, by file name, sorted; not the fleet samples (`fleet-*`),
/// which name member accounts of a fleet and are redelivered against one in `fleet`.
fn samples(function: &str) -> Vec<(String, Value)> {
    let dir = events_dir().join(function);
    let samples: Vec<(String, Value)> = samples_in(&dir)
        .into_iter()
        .filter(|(name, _)| !name.starts_with("fleet-"))
        .collect();
    assert!(!samples.is_empty(), "no sample events in {}", dir.display());
    samples
}

fn resources(event: &Value) -> Vec<String> {
    event["resources"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Brings the emulator into the state `sample` is about, so that it has something to do, and
/// returns the event to deliver (the sample, with placeholder ids replaced by the emulator's).
async fn prepare(warm: &Warm, sample: &Value) -> Value {
    let detail_type = sample["detail-type"].as_str().unwrap_or_default();
    match warm.function {
        // The event starts the server only if it is STOPPED by the time the function looks.
        "drs-start-replication" if detail_type.contains("Data Replication Stalled") => {
            for arn in resources(sample) {
                let id = arn.rsplit('/').next().unwrap_or_default();
                warm.emulator
                    .set_drs_state(id, "STOPPED")
                    .expect("a demo server");
            }
            sample.clone()
        }
        // The samples name placeholder job ids: create the jobs with a schedule, let the first
        // runs end (ERP-APP's completes, ERP-DB's fails, the one-time file server fails), and name
        // the emulator's jobs instead.
        "sms-replication-jobs" if sample.to_string().contains(SMS_PLACEHOLDER) => {
            let schedule = dr_e2e::sample_event("sms-replication-jobs/scheduled-event.json")
                .expect("the scheduled sample");
            warm.deliver(&schedule).await.expect_response();
            warm.emulator.advance(2);
            let state = warm.emulator.state();
            let jobs = state["sms"]["replicationJobs"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut text = sample.to_string();
            for (i, server) in SMS_PLACEHOLDER_SERVERS.iter().enumerate() {
                let id = jobs
                    .iter()
                    .find(|j| j["serverId"] == *server)
                    .and_then(|j| j["replicationJobId"].as_str())
                    .expect("a job per configured server");
                text = text.replace(&format!("{SMS_PLACEHOLDER}{}", i + 1), id);
            }
            serde_json::from_str(&text).expect("still JSON")
        }
        // A copy job ended: copy the recovery point once and let that copy end (the DynamoDB
        // backup's first copy fails, the others complete).
        "backup-copy-fanout" if detail_type == "Copy Job State Change" => {
            warm.deliver(&json!({"targets": resources(sample)}))
                .await
                .expect_response();
            warm.emulator.advance(2);
            sample.clone()
        }
        // A launch result: launch the server's test (failing it for a failed result), let
        // the job complete, and name the emulator's job instead of the sample's.
        "mgn-replication" if detail_type == "MGN Source Server Launch Result" => {
            let id = mgn_server(sample);
            if sample["detail"]["state"] == "TEST_LAUNCH_FAILED" {
                warm.emulator
                    .fail_next_mgn_launch(&id, None)
                    .expect("a demo server");
            }
            warm.deliver(&json!({"targets": [id]}))
                .await
                .expect_response();
            warm.emulator.advance(2);
            let job = mgn::jobs(&warm.emulator)
                .into_iter()
                .find(|j| mgn::job_servers(j).contains(&id))
                .expect("the test launch job");
            let mut event = sample.clone();
            event["detail"]["job-id"] = job["jobID"].clone();
            event
        }
        // The end of a stall: the function records it, then data flows again.
        "mgn-replication" if sample["detail"]["state"] == "NOT_STALLED" => {
            let id = mgn_server(sample);
            warm.deliver(&json!({"targets": [id]}))
                .await
                .expect_response();
            let flowing = dr_emulator::mgn::StateChange::replication("CONTINUOUS");
            warm.emulator
                .set_mgn_state(&id, &flowing)
                .expect("a demo server");
            sample.clone()
        }
        _ => sample.clone(),
    }
}

/// The source server an MGN event names (`resources[0]`, its ARN).
fn mgn_server(event: &Value) -> String {
    resources(event)
        .first()
        .and_then(|arn| arn.rsplit('/').next())
        .unwrap_or_default()
        .to_owned()
}

/// The mutating calls `warm`'s emulator received, MGN's included.
fn mutating_calls(warm: &Warm) -> u64 {
    MUTATING
        .iter()
        .map(|op| warm.emulator.calls(op))
        .sum::<u64>()
        + mgn::calls(&warm.emulator, &mgn::MUTATING)
}

/// How the redeliveries arrive.
#[derive(Clone, Copy, PartialEq)]
enum Arrival {
    /// All at once, to different instances.
    AtOnce,
    /// One after another, as reserved concurrency 1 makes Lambda deliver them.
    OneAfterAnother,
}

/// Delivers every sample of `function` once, then three times, from the same start, and checks
/// the side effects are the same.
async fn check_every_sample(function: &'static str, arrival: Arrival) {
    let warm = Warm::start(function).await;
    for (name, sample) in samples(function) {
        let event = warm.reset_for(&sample).await;
        let before = warm.side_effects();
        warm.deliver(&event).await;
        let once = warm.side_effects();

        let event = warm.reset_for(&sample).await;
        let calls_before: u64 = mutating_calls(&warm);
        let (a, b, c) = match arrival {
            Arrival::AtOnce => tokio::join!(
                warm.deliver(&event),
                warm.deliver(&event),
                warm.deliver(&event)
            ),
            Arrival::OneAfterAnother => (
                warm.deliver(&event).await,
                warm.deliver(&event).await,
                warm.deliver(&event).await,
            ),
        };
        let thrice = warm.side_effects();
        let calls = mutating_calls(&warm) - calls_before;
        println!(
            "{function}/{name}: {} by one delivery; {calls} mutating calls by {DELIVERIES} \
             deliveries; answers {}",
            if once == before {
                "no change"
            } else {
                "changed"
            },
            [a, b, c]
                .iter()
                .map(|answer| match answer {
                    Invocation::Response(r) => format!("report {}", r["status"]),
                    Invocation::Error { error_type, .. } => error_type.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
        assert_eq!(
            thrice, once,
            "{function}/{name}: {DELIVERIES} deliveries must change what one does"
        );
    }
}

#[tokio::test]
async fn drs_samples_delivered_three_times_at_once_start_each_server_once() {
    check_every_sample("drs-start-replication", Arrival::AtOnce).await;
}

/// `StartOnDemandReplicationRun` takes no idempotency token, so two instances deciding at once
/// could each start a run (SMS allows two a day). The template runs the function with reserved
/// concurrency 1, so Lambda hands redeliveries to it one after another; that is what is tested.
#[tokio::test]
async fn sms_samples_delivered_three_times_create_and_run_each_job_once() {
    check_every_sample("sms-replication-jobs", Arrival::OneAfterAnother).await;
}

#[tokio::test]
async fn backup_samples_delivered_three_times_at_once_copy_each_point_once() {
    check_every_sample("backup-copy-fanout", Arrival::AtOnce).await;
}

/// No MGN operation takes a client token, so the template gives the function reserved
/// concurrency 1, and Lambda hands redeliveries to it one after another; that is what is tested.
#[tokio::test]
async fn mgn_samples_delivered_three_times_reconcile_each_server_once() {
    check_every_sample("mgn-replication", Arrival::OneAfterAnother).await;
}
