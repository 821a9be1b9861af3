//! The drill scenario: `drs-recovery` drilling every source server of one account, with a fixed
//! latency on every emulated call, over the three scheduled runs of a drill's life: the one that
//! launches it, the one that follows its jobs up once DRS completed them (each server's outcome
//! with its measured recovery time, its instance tagged, the job marked reported), and the one
//! that terminates its instances once they are older than `DRS_DRILL_TTL`.
//!
//! One process serves the three runs. Between the first and the second the emulator completes
//! the launch jobs (two steps); between the second and the third real time passes beyond
//! `DRS_DRILL_TTL`, since the function reads the machine's clock, which the emulator's does not
//! move. Neither wait is timed.

use crate::measure::{self, RunSpec};
use crate::process::Subject;
use crate::suite::{latency_rule, Calls, Settings};
use crate::BenchError;
use dr_emulator::{Config, Emulator, Fixture, REPORTS_TOPIC};
use serde_json::Value;
use std::time::Duration;

/// The function the drill scenario runs.
pub const FUNCTION: &str = "drs-recovery";
/// Report parts the functions publish at once (`dr_core::report`).
const PUBLISH_PARTS_AT_ONCE: u64 = 8;
/// Most instances one `TerminateRecoveryInstances` takes (the model: 1 to 200).
const TERMINATIONS_PER_CALL: usize = 200;
/// The runs of a drill, in order.
pub const RUNS: [&str; 3] = ["launch", "follow-up", "cleanup"];
/// Reads the function makes one after another: every page of each.
const SEQUENTIAL_READS: [&str; 3] = [
    "DescribeSourceServers",
    "DescribeJobs",
    "DescribeRecoveryInstances",
];
/// The calls of the apply phase, which share one bounded fan-out.
const WRITES: [&str; 3] = ["TerminateRecoveryInstances", "StartRecovery", "TagResource"];

/// The size and settings of the drill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Source servers, all CONTINUOUS and selected (`DRS_SELECT_ALL`).
    pub servers: usize,
    /// `DRS_JOB_SERVERS`: servers per `StartRecovery` (DRS's "at scale" quota, 100).
    pub servers_per_job: usize,
    /// `MAX_CONCURRENCY`: calls in flight.
    pub max_concurrency: usize,
    /// `DRS_DRILL_TTL`, seconds.
    pub ttl_seconds: u64,
}

impl Shape {
    /// The `StartRecovery` calls the launch must make.
    pub fn jobs(&self) -> usize {
        self.servers.div_ceil(self.servers_per_job.max(1))
    }

    /// The `TerminateRecoveryInstances` calls the cleanup must make.
    pub fn terminations(&self) -> usize {
        self.servers.div_ceil(TERMINATIONS_PER_CALL)
    }
}

/// What one run cost the emulator, as its bound counts it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrillUsage {
    /// Pages of `DescribeSourceServers`, `DescribeJobs` and `DescribeRecoveryInstances`, read
    /// one after another.
    pub reads: u64,
    /// `DescribeJobLogItems` calls (pages), side by side.
    pub job_logs: u64,
    /// `DescribeRecoverySnapshots` calls, side by side.
    pub snapshots: u64,
    /// `TerminateRecoveryInstances`, `StartRecovery` and `TagResource` calls, side by side.
    pub writes: u64,
    /// `Publish` calls (report parts).
    pub publish: u64,
    /// The emulator's service time for the sequential reads.
    pub reads_service: Duration,
    /// ... for the job logs.
    pub job_logs_service: Duration,
    /// ... for the snapshots.
    pub snapshots_service: Duration,
    /// ... for the writes.
    pub writes_service: Duration,
    /// ... for `Publish`.
    pub publish_service: Duration,
}

/// The least time a run can take: it reads the servers, the jobs and the recovery instances one
/// after another (each page one latency plus the emulator's service time), then the logs of the
/// jobs to report and the snapshots of the servers to launch (`MAX_CONCURRENCY` at a time), then
/// makes every write in one fan-out (`MAX_CONCURRENCY` at a time), then publishes. Calls side by
/// side cost one latency per wave, or the emulator's service time when that is longer, since the
/// emulator serves one call at a time.
pub fn bound(usage: &DrillUsage, shape: &Shape, latency: Duration) -> Duration {
    let times = |n: u64| latency * u32::try_from(n).unwrap_or(u32::MAX);
    let waves = |calls: u64, width: u64| times(calls.div_ceil(width.max(1)));
    let c = shape.max_concurrency as u64;
    times(usage.reads)
        + usage.reads_service
        + waves(usage.job_logs, c).max(usage.job_logs_service)
        + waves(usage.snapshots, c).max(usage.snapshots_service)
        + waves(usage.writes, c).max(usage.writes_service)
        + waves(usage.publish, PUBLISH_PARTS_AT_ONCE).max(usage.publish_service)
}

/// The bound's formula, as the results print it.
pub fn formula(shape: &Shape) -> String {
    let c = shape.max_concurrency;
    format!(
        "(latency + service) × (DescribeSourceServers + DescribeJobs + DescribeRecoveryInstances \
         pages) + max(latency × ⌈DescribeJobLogItems / {c}⌉, service) + max(latency × \
         ⌈DescribeRecoverySnapshots / {c}⌉, service) + max(latency × ⌈(TerminateRecoveryInstances \
         + StartRecovery + TagResource) / {c}⌉, service) + max(latency × ⌈Publish parts / \
         {PUBLISH_PARTS_AT_ONCE}⌉, service)"
    )
}

/// One run of the drill.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// `launch`, `follow-up` or `cleanup`.
    pub name: &'static str,
    /// What it did, for the table.
    pub work: String,
    /// First `next` → response for the first run, submission → response for the others.
    pub wall: Duration,
    /// The least time the calls it made allow.
    pub bound: Duration,
    /// Every call it made, by operation.
    pub calls: Calls,
}

/// The drill scenario's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillBench {
    /// Its size and settings.
    pub shape: Shape,
    /// The launch, the follow-up and the cleanup.
    pub runs: Vec<Run>,
    /// How the bound was computed.
    pub bound_formula: String,
    /// Peak RSS of the process over the three runs, KiB.
    pub peak_rss_kib: u64,
}

/// Every operation the bound or the checks read.
const COUNTED: [&str; 9] = [
    "DescribeSourceServers",
    "DescribeJobs",
    "DescribeRecoveryInstances",
    "DescribeJobLogItems",
    "DescribeRecoverySnapshots",
    "TerminateRecoveryInstances",
    "StartRecovery",
    "TagResource",
    "Publish",
];

/// Calls and service time per operation since the emulator started.
fn counters(emulator: &Emulator) -> Vec<(u64, Duration)> {
    COUNTED
        .iter()
        .map(|op| (emulator.calls(op), emulator.service_time(op)))
        .collect()
}

/// What the emulator counted between two readings of [`counters`].
fn usage(before: &[(u64, Duration)], after: &[(u64, Duration)]) -> (DrillUsage, Calls) {
    let delta = |op: &str| {
        COUNTED
            .iter()
            .position(|o| *o == op)
            .map(|i| {
                (
                    after[i].0 - before[i].0,
                    after[i].1.saturating_sub(before[i].1),
                )
            })
            .unwrap_or_default()
    };
    let sum = |ops: &[&str]| {
        ops.iter()
            .map(|op| delta(op))
            .fold((0, Duration::ZERO), |(n, t), (m, s)| (n + m, t + s))
    };
    let (reads, reads_service) = sum(&SEQUENTIAL_READS);
    let (job_logs, job_logs_service) = delta("DescribeJobLogItems");
    let (snapshots, snapshots_service) = delta("DescribeRecoverySnapshots");
    let (writes, writes_service) = sum(&WRITES);
    let (publish, publish_service) = delta("Publish");
    let calls = COUNTED
        .iter()
        .map(|op| ((*op).to_owned(), delta(op).0))
        .filter(|(_, n)| *n > 0)
        .collect();
    let usage = DrillUsage {
        reads,
        job_logs,
        snapshots,
        writes,
        publish,
        reads_service,
        job_logs_service,
        snapshots_service,
        writes_service,
        publish_service,
    };
    (usage, calls)
}

fn env(shape: &Shape) -> Vec<(String, String)> {
    [
        ("DRS_SELECT_ALL", "true".to_owned()),
        ("DRS_JOB_SERVERS", shape.servers_per_job.to_string()),
        ("DRS_DRILL_TTL", format!("{}s", shape.ttl_seconds)),
        ("DRS_RTO", "1h".to_owned()),
        ("DRS_RPO", "15m".to_owned()),
        ("MAX_CONCURRENCY", shape.max_concurrency.to_string()),
        ("REPORT_TOPIC_ARN", REPORTS_TOPIC.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The outcomes of `action` that are `done` in a run report.
fn done(answer: &Value, action: &str) -> usize {
    answer["outcomes"].as_array().map_or(0, |outcomes| {
        outcomes
            .iter()
            .filter(|o| o["action"] == action && o["result"] == "done")
            .count()
    })
}

/// `1 job`, `5 jobs`.
fn count(n: usize, what: &str) -> String {
    match n {
        1 => format!("1 {what}"),
        n => format!("{n} {what}s"),
    }
}

/// Measures the three runs of a drill of `shape.servers` servers.
pub async fn drill(settings: &Settings) -> Result<DrillBench, BenchError> {
    let shape = settings.drill;
    let subject = Subject::binary(
        FUNCTION,
        dr_e2e::function_binary(FUNCTION, &settings.profile).map_err(BenchError::Missing)?,
    );
    let emulator = Emulator::start(Config::new(Fixture::drs_fleet(shape.servers, 0))).await?;
    emulator.set_fault(latency_rule(settings.latency))?;
    let spec = RunSpec {
        endpoint: emulator.endpoint_url(),
        env: env(&shape),
        event: dr_e2e::sample_event(&format!("{FUNCTION}/scheduler-input.json"))
            .map_err(BenchError::Missing)?,
        invocations: RUNS.len(),
        timeout: Duration::from_secs(600),
        log: settings.out_dir.join("logs").join("drill.log"),
    };
    let mut counted = Vec::new();
    let mut before = counters(&emulator);
    let run = measure::run(&subject, &spec, |i| {
        let now = counters(&emulator);
        counted.push(usage(&before, &now));
        before = now;
        match i {
            // The launch jobs start, then launch every instance and complete.
            0 => emulator.advance(2),
            // The instances outlive DRS_DRILL_TTL on the function's clock, the machine's.
            1 => std::thread::sleep(Duration::from_secs(shape.ttl_seconds + 1)),
            _ => {}
        }
    })
    .await?;
    let wrong = |what: String| BenchError::WrongWork {
        subject: FUNCTION.to_owned(),
        what,
    };
    let n = shape.servers;
    let calls = |i: usize, op: &str| counted[i].1.get(op).copied().unwrap_or(0);
    let want = [
        ("StartRecovery", shape.jobs(), "StartRecovery", n),
        ("TagResource", n + shape.jobs(), "Launch", n),
        (
            "TerminateRecoveryInstances",
            shape.terminations(),
            "TerminateRecoveryInstances",
            n,
        ),
    ];
    for (i, (op, made, action, servers)) in want.iter().enumerate() {
        let got = (calls(i, op), done(&run.answers[i], action));
        if got != (*made as u64, *servers) {
            return Err(wrong(format!(
                "the {} run made {} {op} calls and reports {} {action} done, not {made} and \
                 {servers}",
                RUNS[i], got.0, got.1
            )));
        }
    }
    let measured = run.answers[1]["evidence"]["launches"].as_u64();
    if measured != Some(n as u64) {
        return Err(wrong(format!(
            "the follow-up measured {measured:?} launches, not {n}"
        )));
    }
    let work = [
        format!("{n} servers in {}", count(shape.jobs(), "job")),
        format!("{n} launches measured, {n} instances tagged"),
        format!(
            "{n} drill instances terminated in {}",
            count(shape.terminations(), "call")
        ),
    ];
    let runs = RUNS
        .iter()
        .zip(work)
        .zip(run.invocations.iter().zip(&counted))
        .map(|((name, work), (wall, (usage, calls)))| Run {
            name,
            work,
            wall: *wall,
            bound: bound(usage, &shape, settings.latency),
            calls: calls.clone(),
        })
        .collect();
    Ok(DrillBench {
        shape,
        runs,
        bound_formula: formula(&shape),
        peak_rss_kib: run.peak_rss_kib,
    })
}
