//! The fleet scenario: `drs-start-replication` over many member accounts, each reached through
//! a role (`FLEET_ROLE`), with a fixed latency on every emulated call.
//!
//! One process serves two invocations: the first assumes every target's role, the second (warm,
//! within the credentials' lifetime) must assume none. The emulator is reset between them, so
//! both start the same servers. The same job on one target (the home account, no `FLEET`) gives
//! the peak RSS the fleet run is compared with.

use crate::measure::{self, Run, RunSpec};
use crate::process::Subject;
use crate::suite::{latency_rule, Calls, Settings};
use crate::BenchError;
use dr_emulator::fixture::PartitionFixture;
use dr_emulator::{Config, Emulator, Fixture, REPORTS_TOPIC};
use serde_json::{json, Value};
use std::time::Duration;

/// The function the fleet scenario runs.
pub const FUNCTION: &str = "drs-start-replication";
/// The home account: where the function runs; the fleet's targets are other accounts.
pub const HOME_ACCOUNT: &str = "123456789012";
/// The region of every target.
pub const REGION: &str = "us-east-1";
/// The member role of every target, as `FLEET_ROLE` names it.
pub const FLEET_ROLE: &str = "arn:aws:iam::{account}:role/dr-automation-member-{function}";
/// Report parts the functions publish at once (`dr_core::report`).
const PUBLISH_PARTS_AT_ONCE: u64 = 8;

/// The size and settings of a fleet run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Targets (member accounts, one region).
    pub targets: usize,
    /// Source servers per target.
    pub servers: usize,
    /// Of which this many are STOPPED and start.
    pub stopped: usize,
    /// `FLEET_CONCURRENCY`.
    pub fleet_concurrency: usize,
    /// `MAX_CONCURRENCY`: calls in flight per target.
    pub max_concurrency: usize,
}

/// What one invocation over the fleet cost the emulator, as its bound counts it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetUsage {
    /// Targets the invocation ran.
    pub targets: usize,
    /// `AssumeRole` calls of the busiest target (the total over the targets, rounded up).
    pub assume_role: u64,
    /// `DescribeSourceServers` pages of the busiest target (read one after another).
    pub pages: u64,
    /// `StartReplication` calls of the busiest target.
    pub starts: u64,
    /// `Publish` calls (report parts) of the invocation.
    pub publish: u64,
    /// The emulator's service time for the reads before the plan: `AssumeRole` and
    /// `DescribeSourceServers`, every target.
    pub observe_service: Duration,
    /// The emulator's service time for `StartReplication`, every target.
    pub apply_service: Duration,
    /// The emulator's service time for `Publish`.
    pub publish_service: Duration,
}

/// The least time an invocation can take: the function reads every target (`FLEET_CONCURRENCY`
/// at a time), plans, then starts in every target (`FLEET_CONCURRENCY` at a time,
/// `MAX_CONCURRENCY` calls each), then publishes. Each phase costs ⌈targets / FLEET_CONCURRENCY⌉
/// rounds of its part of a target's critical path (calls one after another cost one latency
/// each, calls side by side one latency per wave), or the emulator's service time for its calls
/// when that is longer, since the emulator serves one call at a time.
pub fn bound(usage: &FleetUsage, shape: &Shape, latency: Duration) -> Duration {
    let rounds = |calls: u64, width: usize| calls.div_ceil(width.max(1) as u64);
    let times = |n: u64| latency * u32::try_from(n).unwrap_or(u32::MAX);
    let target_rounds = rounds(usage.targets as u64, shape.fleet_concurrency);
    let observe =
        times(target_rounds * (usage.assume_role + usage.pages)).max(usage.observe_service);
    let apply =
        times(target_rounds * rounds(usage.starts, shape.max_concurrency)).max(usage.apply_service);
    let publish =
        times(rounds(usage.publish, PUBLISH_PARTS_AT_ONCE as usize)).max(usage.publish_service);
    observe + apply + publish
}

/// The bound's formula, as the results print it.
pub fn formula(shape: &Shape) -> String {
    format!(
        "max(⌈targets / {fc}⌉ × latency × (AssumeRole + DescribeSourceServers pages per target), \
         service) + max(⌈targets / {fc}⌉ × latency × ⌈StartReplication per target / {mc}⌉, \
         service) + max(latency × ⌈Publish parts / {PUBLISH_PARTS_AT_ONCE}⌉, service)",
        fc = shape.fleet_concurrency,
        mc = shape.max_concurrency
    )
}

/// One invocation of the fleet run.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// First `next` → response for the first invocation, submission → response for the warm one.
    pub wall: Duration,
    /// The least time the calls it made allow.
    pub bound: Duration,
    /// `AssumeRole` calls it made.
    pub assume_role: u64,
    /// Every call it made, by operation.
    pub calls: Calls,
}

/// The fleet scenario's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetBench {
    /// Its size and settings.
    pub shape: Shape,
    /// The first invocation, then the warm one.
    pub invocations: Vec<Invocation>,
    /// How the bound was computed.
    pub bound_formula: String,
    /// Peak RSS of the fleet run, KiB.
    pub peak_rss_kib: u64,
    /// Peak RSS of the same job on one target (the home account, no `FLEET`), KiB.
    pub single_target_peak_rss_kib: u64,
}

impl FleetBench {
    /// What was done, for the table.
    pub fn job(&self) -> String {
        format!(
            "{} targets × {} source servers, {} start in each",
            self.shape.targets, self.shape.servers, self.shape.stopped
        )
    }
}

/// The fleet's member accounts: 12 digits each, none the home account.
pub fn accounts(targets: usize) -> Vec<String> {
    (0..targets)
        .map(|i| format!("{}", 200_000_000_000_u64 + i as u64))
        .collect()
}

/// The fleet fixture: the home account holds only the reports topic; each member account has
/// `servers` DRS source servers in [`REGION`], the first `stopped` of them STOPPED.
pub fn fixture(shape: &Shape) -> Fixture {
    let servers = Fixture::drs_fleet(shape.servers, shape.stopped).drs;
    Fixture {
        account_id: HOME_ACCOUNT.to_owned(),
        region: REGION.to_owned(),
        partitions: accounts(shape.targets)
            .into_iter()
            .map(|account| PartitionFixture {
                account_id: account,
                region: REGION.to_owned(),
                drs: servers.clone(),
                sms: Default::default(),
                mgn: Default::default(),
                backup: Default::default(),
            })
            .collect(),
        ..Fixture::drs_fleet(0, 0)
    }
}

/// `FLEET`: every member account in [`REGION`], each reached through [`FLEET_ROLE`].
pub fn fleet_var(targets: usize) -> String {
    let entries: Vec<Value> = accounts(targets)
        .into_iter()
        .map(|account| json!({"account": account, "region": REGION}))
        .collect();
    Value::from(entries).to_string()
}

fn env(shape: &Shape, fleet: bool) -> Vec<(String, String)> {
    let mut env = vec![
        ("ACCOUNT_ID", HOME_ACCOUNT.to_owned()),
        ("DRS_SELECT_ALL", "true".to_owned()),
        ("MAX_CONCURRENCY", shape.max_concurrency.to_string()),
        ("REPORT_TOPIC_ARN", REPORTS_TOPIC.to_owned()),
    ];
    if fleet {
        env.extend([
            ("FLEET", fleet_var(shape.targets)),
            ("FLEET_ROLE", FLEET_ROLE.to_owned()),
            ("FLEET_CONCURRENCY", shape.fleet_concurrency.to_string()),
        ]);
    }
    env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// What the emulator counted since its last reset, for the bound.
fn usage(emulator: &Emulator, accounts: &[String]) -> (FleetUsage, Calls) {
    let busiest = |op: &str| {
        accounts
            .iter()
            .map(|a| emulator.calls_in(a, op))
            .max()
            .unwrap_or(0)
    };
    let assume_role = emulator.calls("AssumeRole");
    let targets = accounts.len().max(1);
    let served = |ops: &[&str]| ops.iter().map(|op| emulator.service_time(op)).sum();
    let ops = [
        "AssumeRole",
        "DescribeSourceServers",
        "StartReplication",
        "Publish",
    ];
    let calls = ops
        .iter()
        .map(|op| ((*op).to_owned(), emulator.calls(op)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let usage = FleetUsage {
        targets: accounts.len(),
        assume_role: assume_role.div_ceil(targets as u64),
        pages: busiest("DescribeSourceServers"),
        starts: busiest("StartReplication"),
        publish: emulator.calls("Publish"),
        observe_service: served(&["AssumeRole", "DescribeSourceServers"]),
        apply_service: served(&["StartReplication"]),
        publish_service: served(&["Publish"]),
    };
    (usage, calls)
}

/// Runs the job twice in one process (first, then warm), the emulator reset in between.
async fn run_twice(
    settings: &Settings,
    emulator: &Emulator,
    subject: &Subject,
    env: Vec<(String, String)>,
    accounts: &[String],
    label: &str,
) -> Result<(Run, Vec<(FleetUsage, Calls)>), BenchError> {
    emulator.reset();
    emulator.set_fault(latency_rule(settings.latency))?;
    let spec = RunSpec {
        endpoint: emulator.endpoint_url(),
        env,
        event: dr_e2e::sample_event(&format!("{FUNCTION}/scheduler-input.json"))
            .map_err(BenchError::Missing)?,
        invocations: 2,
        timeout: Duration::from_secs(1800),
        log: settings.out_dir.join("logs").join(format!("{label}.log")),
    };
    let mut counted = Vec::new();
    let mut fault = Ok(());
    let run = measure::run(subject, &spec, |_| {
        counted.push(usage(emulator, accounts));
        // The same servers are stopped again for the warm invocation; the counters start over.
        emulator.reset();
        if fault.is_ok() {
            fault = emulator.set_fault(latency_rule(settings.latency));
        }
    })
    .await?;
    fault?;
    Ok((run, counted))
}

/// Measures the fleet job and the same job on one target.
pub async fn fleet(settings: &Settings) -> Result<FleetBench, BenchError> {
    let shape = settings.fleet;
    let subject = Subject::binary(
        FUNCTION,
        dr_e2e::function_binary(FUNCTION, &settings.profile).map_err(BenchError::Missing)?,
    );
    let wrong = |what: String| BenchError::WrongWork {
        subject: FUNCTION.to_owned(),
        what,
    };

    let single = Emulator::start(Config::new(Fixture::drs_fleet(
        shape.servers,
        shape.stopped,
    )))
    .await?;
    let home = [HOME_ACCOUNT.to_owned()];
    let (single_run, _) = run_twice(
        settings,
        &single,
        &subject,
        env(&shape, false),
        &home,
        "fleet-single-target",
    )
    .await?;
    drop(single);

    let emulator = Emulator::start(Config::new(fixture(&shape))).await?;
    let accounts = accounts(shape.targets);
    let (run, counted) = run_twice(
        settings,
        &emulator,
        &subject,
        env(&shape, true),
        &accounts,
        "fleet",
    )
    .await?;
    let want = (shape.targets * shape.stopped) as u64;
    for (i, answer) in run.answers.iter().enumerate() {
        let done = measure::done(answer);
        let sections = answer["targets"].as_array().map_or(0, Vec::len);
        if done != Some(want) || sections != shape.targets {
            return Err(wrong(format!(
                "invocation {} started {done:?} servers in {sections} targets, not {want} in {}",
                i + 1,
                shape.targets
            )));
        }
    }
    let invocations = run
        .invocations
        .iter()
        .zip(&counted)
        .map(|(wall, (usage, calls))| Invocation {
            wall: *wall,
            bound: bound(usage, &shape, settings.latency),
            assume_role: calls.get("AssumeRole").copied().unwrap_or(0),
            calls: calls.clone(),
        })
        .collect();
    Ok(FleetBench {
        shape,
        invocations,
        bound_formula: formula(&shape),
        peak_rss_kib: run.peak_rss_kib,
        single_target_peak_rss_kib: single_run.peak_rss_kib,
    })
}
