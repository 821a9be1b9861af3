//! The scenarios of the benchmark and the figures they produce.
//!
//! - Cold start: every subject started `reps` times (after one untimed warm-up run that fills
//!   the page cache and Python's byte-code cache), round-robin so background noise spreads
//!   evenly, against a small fixture with no injected latency.
//! - Fan-out: `drs-start-replication` over a large DRS fleet and `backup-copy-fanout` sweeping a
//!   large vault into three destinations, with a fixed latency on every emulated call, against
//!   the bound that latency and the configured concurrency and rate set, and against the Python
//!   peer making the same calls one by one.
//! - Memory: peak RSS of the same jobs on a fleet a tenth of the size, and of the floor.
//! - Fleet: `drs-start-replication` over many member accounts reached through their roles
//!   ([`crate::fleet`]): wall time against its bound, `AssumeRole` calls of the first and the
//!   warm invocation, peak RSS against the same job on one target.
//! - Drill: `drs-recovery` drilling a large account ([`crate::drill`]): the launch, the
//!   follow-up and the cleanup, each against its bound.
//! - MGN: `mgn-replication` reconciling a large MGN account ([`crate::mgn`]) against its bound
//!   and the sequential Python peer making the same calls.
//! - Evidence: `drs-start-replication` with and without run history ([`crate::evidence`]): wall
//!   time and peak RSS of each, and what its metrics lines weigh.

use crate::drill::{self, DrillBench};
use crate::evidence::{self, EvidenceBench};
use crate::fleet::{self, FleetBench, Shape};
use crate::measure::{self, Run, RunSpec};
use crate::mgn::{self, MgnBench};
use crate::process::Subject;
use crate::{BenchError, Summary, FLOOR};
use dr_emulator::fixture::{BACKUP_FLEET_DESTINATIONS, BACKUP_FLEET_SOURCE_VAULT};
use dr_emulator::{Config, Emulator, FaultRule, Fixture, REPORTS_TOPIC};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The function binaries measured, and the Python module of each one's peer (none for SMS:
/// botocore no longer ships the SMS model).
pub const FUNCTIONS: [(&str, Option<&str>); 3] = [
    ("drs-start-replication", Some("peer_drs")),
    ("backup-copy-fanout", Some("peer_backup")),
    ("sms-replication-jobs", None),
];

/// The copy role every Backup scenario configures.
const COPY_ROLE: &str = "arn:aws:iam::123456789012:role/dr-automation-backup-copy";

/// How the benchmark is run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `release` (what `make bench` builds) or `debug`.
    pub profile: String,
    /// Timed cold starts per subject.
    pub reps: usize,
    /// Latency added to every emulated call in the fan-out scenarios.
    pub latency: Duration,
    /// `MAX_CONCURRENCY` of both fan-out functions.
    pub concurrency: usize,
    /// `BACKUP_START_RATE_PER_SECOND`.
    pub backup_rate: f64,
    /// Source servers in the large DRS run.
    pub drs_servers: usize,
    /// Of which this many may start within the replication quota.
    pub drs_may_start: usize,
    /// Recovery points in the large Backup run (each copied to three vaults, three runs).
    pub backup_points: usize,
    /// The small runs are this many times smaller.
    pub small_divisor: usize,
    /// The fleet scenario's size and concurrency.
    pub fleet: Shape,
    /// The drill scenario's size and settings.
    pub drill: drill::Shape,
    /// The MGN scenario's size and concurrency.
    pub mgn: mgn::Shape,
    /// The evidence scenario's size and runs.
    pub evidence: evidence::Shape,
    /// Only this scenario; `None` runs them all.
    pub only: Option<Scenario>,
    /// The venv's Python with boto3; `None` leaves the peers out.
    pub python: Option<PathBuf>,
    /// `tools/bench`, where the peers live.
    pub tools: PathBuf,
    /// Where logs, byte code and results go.
    pub out_dir: PathBuf,
}

impl Settings {
    /// The figures the issue asks for, on release binaries, with the repository's venv.
    pub fn full() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let python = root.join(".venv/bin/python");
        Self {
            profile: "release".to_owned(),
            reps: 30,
            latency: Duration::from_millis(20),
            // Both functions accept at most 100 calls in flight; the Backup start rate is set to
            // its maximum, far above what 100 calls of 20 ms allow, so concurrency and latency
            // alone bound the run, as the target states.
            concurrency: 100,
            backup_rate: 10_000.0,
            drs_servers: 4000,
            drs_may_start: 300,
            backup_points: 2000,
            small_divisor: 10,
            // 50 targets of 100 servers, 20 of them to start, 10 targets at a time with 10
            // starts in flight each: 100 calls in flight, as in the other fan-out jobs.
            fleet: Shape {
                targets: 50,
                servers: 100,
                stopped: 20,
                fleet_concurrency: 10,
                max_concurrency: 10,
            },
            // DRS's "at scale" quotas: 100 servers per job, 500 across active jobs, so 500
            // servers are the most one drill launches at once, in 5 jobs. The TTL is seconds:
            // the function's clock is the machine's, so the instances age in real time.
            drill: drill::Shape {
                servers: 500,
                servers_per_job: 100,
                max_concurrency: 100,
                ttl_seconds: 3,
            },
            // 2,000 source servers, two pages of `DescribeSourceServers`, with as many calls in
            // flight as the other fan-out jobs.
            mgn: mgn::Shape {
                servers: 2000,
                max_concurrency: 100,
            },
            // The DRS fan-out's account, the report of 300 starts; 15 cold runs of each kind.
            evidence: evidence::Shape {
                servers: 4000,
                may_start: 300,
                runs: 15,
            },
            only: None,
            python: python.is_file().then_some(python),
            tools: root.join("tools/bench"),
            out_dir: dr_e2e::target_dir().join("bench"),
        }
    }
}

/// A part of the benchmark `--only` can pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Cold starts (and the binaries' sizes).
    ColdStart,
    /// The single-account fan-out jobs.
    Fanout,
    /// The fleet job.
    Fleet,
    /// The DRS drill.
    Drill,
    /// The MGN reconcile.
    Mgn,
    /// Runs with and without history.
    Evidence,
}

impl Scenario {
    /// The scenario of a `--only` argument: `cold-start`, `fanout`, `fleet`, `drill`, `mgn` or
    /// `evidence`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "cold-start" => Some(Self::ColdStart),
            "fanout" => Some(Self::Fanout),
            "fleet" => Some(Self::Fleet),
            "drill" => Some(Self::Drill),
            "mgn" => Some(Self::Mgn),
            "evidence" => Some(Self::Evidence),
            _ => None,
        }
    }
}

impl Settings {
    /// Whether `scenario` is run.
    pub fn runs(&self, scenario: Scenario) -> bool {
        self.only.is_none_or(|only| only == scenario)
    }
}

/// Cold-start figures of one subject.
#[derive(Debug, Clone, PartialEq)]
pub struct ColdStart {
    /// The subject.
    pub name: String,
    /// Exec → first `next`, ms.
    pub init: Summary,
    /// Exec → first response, ms.
    pub first_response: Summary,
    /// Median peak RSS, KiB.
    pub peak_rss_kib: u64,
    /// Median resident size of mapped files (binary, libraries) after the run, KiB.
    pub file_rss_kib: u64,
}

/// Emulated calls per operation.
pub type Calls = BTreeMap<String, u64>;

/// One fan-out job, measured on the function and its sequential peer.
#[derive(Debug, Clone, PartialEq)]
pub struct Fanout {
    /// The function.
    pub function: String,
    /// What was done, for the table.
    pub job: String,
    /// The function's wall time over the job's invocations.
    pub wall: Duration,
    /// The least time the latency, the concurrency limit and the rate allow for the calls made.
    pub bound: Duration,
    /// How the bound was computed.
    pub bound_formula: String,
    /// The calls the function made.
    pub calls: Calls,
    /// The Python peer's wall time over the same invocations.
    pub sequential: Option<Duration>,
    /// Peak RSS of the function, KiB.
    pub peak_rss_kib: u64,
    /// Peak RSS of the peer, KiB.
    pub sequential_peak_rss_kib: Option<u64>,
    /// Peak RSS of the function on the small run, KiB.
    pub small_peak_rss_kib: u64,
    /// When the small run had fewer calls in flight than the concurrency limit allows: that
    /// many, and the function's peak RSS on the large run limited to them, KiB. It tells the
    /// memory a larger fleet adds from the memory more calls in flight add.
    pub same_in_flight: Option<(usize, u64)>,
}

/// Everything the benchmark measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    /// The settings used.
    pub reps: usize,
    /// Cold starts: the floor first, then the functions, then the peers.
    pub cold: Vec<ColdStart>,
    /// The fan-out jobs.
    pub fanout: Vec<Fanout>,
    /// The fleet job, when it was run.
    pub fleet: Option<FleetBench>,
    /// The drill, when it was run.
    pub drill: Option<DrillBench>,
    /// The MGN reconcile, when it was run.
    pub mgn: Option<MgnBench>,
    /// The runs with and without history, when they were run.
    pub evidence: Option<EvidenceBench>,
    /// Binary sizes in bytes, the floor first; measured with the cold starts.
    pub sizes: Vec<(String, u64)>,
    /// `/proc/loadavg` before and after, to judge the noise.
    pub load: (String, String),
    /// Settings and facts worth printing with the table.
    pub notes: Vec<String>,
}

impl Results {
    /// The cold-start figures of `name`.
    pub fn cold(&self, name: &str) -> Option<&ColdStart> {
        self.cold.iter().find(|c| c.name == name)
    }
}

/// Runs every scenario.
pub async fn run_all(settings: &Settings) -> Result<Results, BenchError> {
    let load_before = load_average();
    // The subjects and their sizes go with the cold starts: a scenario run alone needs only its
    // own binary.
    let (cold, sizes) = if settings.runs(Scenario::ColdStart) {
        let binary = |name: &str| {
            dr_e2e::function_binary(name, &settings.profile).map_err(BenchError::Missing)
        };
        let mut subjects = vec![Subject::binary(FLOOR, binary(FLOOR)?)];
        let mut sizes = vec![(FLOOR.to_owned(), std::fs::metadata(binary(FLOOR)?)?.len())];
        for (function, _) in FUNCTIONS {
            let path = binary(function)?;
            sizes.push((function.to_owned(), std::fs::metadata(&path)?.len()));
            subjects.push(Subject::binary(function, path));
        }
        subjects.extend(
            FUNCTIONS
                .iter()
                .filter_map(|(_, peer)| peer.and_then(|module| peer_subject(settings, module))),
        );
        (cold_starts(settings, &subjects).await?, sizes)
    } else {
        (Vec::new(), Vec::new())
    };
    let fanout = if settings.runs(Scenario::Fanout) {
        vec![drs_fanout(settings).await?, backup_fanout(settings).await?]
    } else {
        Vec::new()
    };
    let fleet = if settings.runs(Scenario::Fleet) {
        Some(fleet::fleet(settings).await?)
    } else {
        None
    };
    let drill = if settings.runs(Scenario::Drill) {
        Some(drill::drill(settings).await?)
    } else {
        None
    };
    let mgn = if settings.runs(Scenario::Mgn) {
        Some(mgn::mgn(settings).await?)
    } else {
        None
    };
    let evidence = if settings.runs(Scenario::Evidence) {
        Some(evidence::evidence(settings).await?)
    } else {
        None
    };
    let mut notes = vec![
        format!(
            "{} cold starts per subject (median, p90 in brackets), after one warm-up run; \
             {} build; {} CPU(s)",
            settings.reps,
            settings.profile,
            std::thread::available_parallelism().map_or(1, usize::from)
        ),
        format!(
            "fan-out: {} ms emulator latency on every call, MAX_CONCURRENCY={}, \
             BACKUP_START_RATE_PER_SECOND={}; small runs are 1/{} of the large ones",
            settings.latency.as_millis(),
            settings.concurrency,
            settings.backup_rate,
            settings.small_divisor
        ),
        format!(
            "fleet: {} targets (FLEET_ROLE), FLEET_CONCURRENCY={}, MAX_CONCURRENCY={}, {} ms \
             latency on every call; two invocations in one process, the emulator reset between \
             them",
            settings.fleet.targets,
            settings.fleet.fleet_concurrency,
            settings.fleet.max_concurrency,
            settings.latency.as_millis()
        ),
        format!(
            "drill: {} source servers, DRS_JOB_SERVERS={}, MAX_CONCURRENCY={}, DRS_DRILL_TTL={}s, \
             {} ms latency on every call; launch, follow-up and cleanup in one process, the \
             launch jobs completed and the TTL waited out between them (untimed)",
            settings.drill.servers,
            settings.drill.servers_per_job,
            settings.drill.max_concurrency,
            settings.drill.ttl_seconds,
            settings.latency.as_millis()
        ),
        format!(
            "mgn: {} source servers, MAX_CONCURRENCY={}, MGN_MAX_ACTIVE_SERVERS and the \
             account's active-server quota far above the fleet, {} ms latency on every call; \
             one scheduled reconcile each for the function and the sequential peer, the \
             emulator reset between them",
            settings.mgn.servers,
            settings.mgn.max_concurrency,
            settings.latency.as_millis()
        ),
        format!(
            "evidence: {} source servers, {} start; {} cold runs with HISTORY_BUCKET and {} \
             without, taking turns after one warm-up of each, no injected latency, the \
             emulator reset before every run",
            settings.evidence.servers,
            settings.evidence.may_start,
            settings.evidence.runs,
            settings.evidence.runs
        ),
    ];
    if settings.python.is_none() {
        notes.push("no .venv/bin/python with boto3: the Python peers were left out".to_owned());
    }
    Ok(Results {
        reps: settings.reps,
        cold,
        fanout,
        fleet,
        drill,
        mgn,
        evidence,
        sizes,
        load: (load_before, load_average()),
        notes,
    })
}

/// The Python peer `module` of `tools/bench`; `None` without the venv.
pub(crate) fn peer_subject(settings: &Settings, module: &str) -> Option<Subject> {
    let python = settings.python.as_deref()?;
    Some(Subject::python(
        module,
        python,
        &settings.tools,
        module,
        &settings.out_dir.join("pycache"),
    ))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|e| format!("unknown ({e})"))
}

/// The function a subject runs as, or itself: a peer is configured like its function.
fn function_of(subject: &str) -> &str {
    FUNCTIONS
        .iter()
        .find(|(_, peer)| *peer == Some(subject))
        .map_or(subject, |(function, _)| function)
}

fn pairs(list: &[(&str, String)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// The configuration of `drs-start-replication` starting every stopped server within `quota`.
pub(crate) fn drs_env(settings: &Settings, quota: usize) -> Vec<(String, String)> {
    pairs(&[
        ("DRS_SELECT_ALL", "true".to_owned()),
        ("DRS_REPLICATION_QUOTA", quota.to_string()),
        ("MAX_CONCURRENCY", settings.concurrency.to_string()),
        ("REPORT_TOPIC_ARN", REPORTS_TOPIC.to_owned()),
    ])
}

fn backup_env(settings: &Settings) -> Vec<(String, String)> {
    let destinations: Vec<Value> = BACKUP_FLEET_DESTINATIONS
        .iter()
        .enumerate()
        .map(|(i, arn)| match i {
            0 => json!({"vaultArn": arn, "moveToColdStorageAfterDays": 30, "deleteAfterDays": 365}),
            _ => json!({"vaultArn": arn}),
        })
        .collect();
    pairs(&[
        ("BACKUP_SOURCE_VAULTS", BACKUP_FLEET_SOURCE_VAULT.to_owned()),
        ("BACKUP_DESTINATIONS", Value::from(destinations).to_string()),
        ("BACKUP_COPY_ROLE_ARN", COPY_ROLE.to_owned()),
        // The fleet is one region's worth of copies; the quota is not what is measured.
        ("BACKUP_REGION_COPY_QUOTA", "10000".to_owned()),
        (
            "BACKUP_START_RATE_PER_SECOND",
            settings.backup_rate.to_string(),
        ),
        ("MAX_CONCURRENCY", settings.concurrency.to_string()),
        ("REPORT_TOPIC_ARN", REPORTS_TOPIC.to_owned()),
    ])
}

fn sms_env() -> Vec<(String, String)> {
    pairs(&[
        (
            "SMS_JOBS",
            r#"{"jobs": [{"vmName": "erp-app-01", "frequency": 12}]}"#.to_owned(),
        ),
        ("REPORT_TOPIC_ARN", REPORTS_TOPIC.to_owned()),
    ])
}

/// A DRS fleet of `servers` of which `may_start` can start: a quarter (at least `may_start`)
/// are stopped, the rest replicate, and the quota leaves room for exactly `may_start` more.
pub(crate) fn drs_fixture(servers: usize, may_start: usize) -> (Fixture, usize) {
    let stopped = (servers / 4).max(may_start).min(servers);
    let quota = servers - stopped + may_start;
    let mut fixture = Fixture::drs_fleet(servers, stopped);
    fixture.drs.replicating_quota = quota;
    (fixture, quota)
}

/// The fault rule that only delays every call by `latency`.
pub fn latency_rule(latency: Duration) -> FaultRule {
    FaultRule {
        operation: "*".to_owned(),
        error_rate: 0.0,
        error: "ThrottlingException".to_owned(),
        latency_ms: u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
        drop_connection_rate: 0.0,
        times: None,
    }
}

fn scheduled_event(function: &str) -> Result<Value, BenchError> {
    if function == FLOOR {
        return Ok(json!({"hello": "world"}));
    }
    dr_e2e::sample_event(&format!("{function}/scheduled-event.json")).map_err(BenchError::Missing)
}

async fn cold_starts(
    settings: &Settings,
    subjects: &[Subject],
) -> Result<Vec<ColdStart>, BenchError> {
    // One small account for every function: 20 servers to start, 20 recovery points to copy,
    // one SMS job to create; reset before every run so each does the same work.
    let (mut fixture, quota) = drs_fixture(40, 20);
    fixture.backup = Fixture::backup_fleet(20).backup;
    fixture.sms = Fixture::demo().sms;
    let emulator = Emulator::start(Config::new(fixture)).await?;
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); subjects.len()];
    for rep in 0..=settings.reps {
        for (subject, runs) in subjects.iter().zip(runs.iter_mut()) {
            let function = function_of(&subject.name);
            let env = match function {
                "drs-start-replication" => drs_env(settings, quota),
                "backup-copy-fanout" => backup_env(settings),
                "sms-replication-jobs" => sms_env(),
                _ => Vec::new(),
            };
            emulator.reset();
            let spec = RunSpec {
                endpoint: emulator.endpoint_url(),
                env,
                event: scheduled_event(function)?,
                invocations: 1,
                timeout: Duration::from_secs(60),
                log: settings
                    .out_dir
                    .join("logs")
                    .join(format!("cold-{}.log", subject.name)),
            };
            let run = measure::run(subject, &spec, |_| {}).await?;
            if rep > 0 {
                runs.push(run);
            }
        }
    }
    subjects
        .iter()
        .zip(runs)
        .map(|(subject, runs)| {
            let missing = || BenchError::WrongWork {
                subject: subject.name.clone(),
                what: "no cold start was measured".to_owned(),
            };
            let init: Vec<Duration> = runs.iter().map(|r| r.init).collect();
            let first: Vec<Duration> = runs.iter().map(|r| r.first_response).collect();
            let rss: Vec<f64> = runs.iter().map(|r| r.peak_rss_kib as f64).collect();
            let files: Vec<f64> = runs.iter().map(|r| r.file_rss_kib as f64).collect();
            Ok(ColdStart {
                name: subject.name.clone(),
                init: Summary::of_millis(&init).ok_or_else(missing)?,
                first_response: Summary::of_millis(&first).ok_or_else(missing)?,
                peak_rss_kib: Summary::of(&rss).ok_or_else(missing)?.median as u64,
                file_rss_kib: Summary::of(&files).ok_or_else(missing)?.median as u64,
            })
        })
        .collect()
}

/// A fan-out scenario: the fixture, the configuration and the work each invocation must do.
#[derive(Clone)]
struct Job<'a> {
    function: &'a str,
    peer: &'a str,
    fixture: Fixture,
    env: Vec<(String, String)>,
    /// Invocations in one run; the emulator completes every copy job between them.
    invocations: usize,
    /// The mutating operation and how many calls each invocation must make.
    work: (&'a str, u64),
}

/// Report parts the functions publish at once (`dr_core::report`).
const PUBLISH_PARTS_AT_ONCE: usize = 8;

/// Operations whose calls the bounds count.
const COUNTED: [&str; 7] = [
    "DescribeSourceServers",
    "StartReplication",
    "ListRecoveryPointsByBackupVault",
    "DescribeRecoveryPoint",
    "ListCopyJobs",
    "StartCopyJob",
    "Publish",
];

/// Time the emulator spent serving each operation, injected latency excluded.
pub type Service = BTreeMap<String, Duration>;

/// What one invocation cost the emulator: calls and service time per operation.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    calls: Calls,
    service: Service,
}

impl Usage {
    fn of(emulator: &Emulator) -> Self {
        Self {
            calls: COUNTED
                .iter()
                .map(|op| ((*op).to_owned(), emulator.calls(op)))
                .collect(),
            service: COUNTED
                .iter()
                .map(|op| ((*op).to_owned(), emulator.service_time(op)))
                .collect(),
        }
    }

    fn since(&self, before: &Self) -> Self {
        Self {
            calls: delta(&self.calls, &before.calls),
            service: self
                .service
                .iter()
                .map(|(op, t)| {
                    let was = before.service.get(op).copied().unwrap_or_default();
                    (op.clone(), t.saturating_sub(was))
                })
                .collect(),
        }
    }

    fn count(&self, op: &str) -> u64 {
        count(&self.calls, op)
    }

    /// `latency` per call plus the emulator's service time, for calls made one after another.
    fn sequential(&self, ops: &[&str], latency: Duration) -> Duration {
        ops.iter()
            .map(|op| latency * to_u32(self.count(op)) + self.served(op))
            .sum()
    }

    /// Calls in flight together, `width` at a time: the latency rounds, or the emulator's
    /// service time when that is longer (it serves one call at a time).
    fn concurrent(&self, op: &str, width: usize, latency: Duration) -> Duration {
        (latency * to_u32(rounds(self.count(op), width))).max(self.served(op))
    }

    fn served(&self, op: &str) -> Duration {
        self.service.get(op).copied().unwrap_or_default()
    }
}

fn to_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn delta(after: &Calls, before: &Calls) -> Calls {
    after
        .iter()
        .map(|(op, n)| (op.clone(), n - before.get(op).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// Runs `job` on `subject` with latency on, checks it did the work, and returns the run with
/// the calls of each invocation.
async fn run_job(
    settings: &Settings,
    emulator: &Emulator,
    subject: &Subject,
    job: &Job<'_>,
    label: &str,
) -> Result<(Run, Vec<Usage>), BenchError> {
    emulator.reset();
    emulator.set_fault(latency_rule(settings.latency))?;
    let spec = RunSpec {
        endpoint: emulator.endpoint_url(),
        env: job.env.clone(),
        event: scheduled_event(job.function)?,
        invocations: job.invocations,
        timeout: Duration::from_secs(1800),
        log: settings
            .out_dir
            .join("logs")
            .join(format!("{label}-{}.log", subject.name)),
    };
    let mut per_invocation = Vec::new();
    let mut before = Usage::of(emulator);
    let run = measure::run(subject, &spec, |_| {
        let now = Usage::of(emulator);
        per_invocation.push(now.since(&before));
        // Every copy job started moves CREATED → RUNNING → COMPLETED, freeing its resource for
        // the next destination; counted before, so the bound sees only the invocation's calls.
        emulator.advance(2);
        before = now;
    })
    .await?;
    let (op, want) = job.work;
    for (i, usage) in per_invocation.iter().enumerate() {
        let made = usage.count(op);
        if made != want {
            return Err(BenchError::WrongWork {
                subject: subject.name.clone(),
                what: format!("invocation {} made {made} {op} calls, not {want}", i + 1),
            });
        }
    }
    Ok((run, per_invocation))
}

async fn fanout(
    settings: &Settings,
    large: Job<'_>,
    small: Job<'_>,
    bound: impl Fn(&Usage) -> Duration,
    formula: String,
    job: String,
) -> Result<Fanout, BenchError> {
    let subject = Subject::binary(
        large.function,
        dr_e2e::function_binary(large.function, &settings.profile).map_err(BenchError::Missing)?,
    );
    let emulator = Emulator::start(Config::new(small.fixture.clone())).await?;
    let (small_run, _) = run_job(settings, &emulator, &subject, &small, "small").await?;
    drop(emulator);
    let emulator = Emulator::start(Config::new(large.fixture.clone())).await?;
    let (run, per_invocation) = run_job(settings, &emulator, &subject, &large, "large").await?;
    let small_in_flight = usize::try_from(small.work.1).unwrap_or(usize::MAX);
    let same_in_flight = if small_in_flight < settings.concurrency {
        let mut limited = large.clone();
        limited.env.retain(|(k, _)| k != "MAX_CONCURRENCY");
        limited
            .env
            .push(("MAX_CONCURRENCY".to_owned(), small_in_flight.to_string()));
        let (run, _) = run_job(settings, &emulator, &subject, &limited, "large-limited").await?;
        Some((small_in_flight, run.peak_rss_kib))
    } else {
        None
    };
    let mut total = Calls::new();
    for usage in &per_invocation {
        for (op, n) in &usage.calls {
            *total.entry(op.clone()).or_default() += n;
        }
    }
    let sequential = match peer_subject(settings, large.peer) {
        Some(peer) => Some(
            run_job(settings, &emulator, &peer, &large, "large")
                .await?
                .0,
        ),
        None => None,
    };
    Ok(Fanout {
        function: large.function.to_owned(),
        job,
        wall: run.busy(),
        bound: per_invocation.iter().map(bound).sum(),
        bound_formula: formula,
        calls: total,
        sequential: sequential.as_ref().map(Run::busy),
        peak_rss_kib: run.peak_rss_kib,
        sequential_peak_rss_kib: sequential.as_ref().map(|r| r.peak_rss_kib),
        small_peak_rss_kib: small_run.peak_rss_kib,
        same_in_flight,
    })
}

fn count(calls: &Calls, op: &str) -> u64 {
    calls.get(op).copied().unwrap_or(0)
}

fn rounds(calls: u64, width: usize) -> u64 {
    calls.div_ceil(width.max(1) as u64)
}

async fn drs_fanout(settings: &Settings) -> Result<Fanout, BenchError> {
    let job = |servers: usize, may_start: usize| {
        let (fixture, quota) = drs_fixture(servers, may_start);
        Job {
            function: "drs-start-replication",
            peer: "peer_drs",
            fixture,
            env: drs_env(settings, quota),
            invocations: 1,
            work: ("StartReplication", may_start as u64),
        }
    };
    let d = settings.small_divisor.max(1);
    let latency = settings.latency;
    let c = settings.concurrency;
    fanout(
        settings,
        job(settings.drs_servers, settings.drs_may_start),
        job(settings.drs_servers / d, settings.drs_may_start / d),
        move |usage| {
            usage.sequential(&["DescribeSourceServers"], latency)
                + usage.concurrent("StartReplication", c, latency)
                + usage.concurrent("Publish", PUBLISH_PARTS_AT_ONCE, latency)
        },
        format!(
            "(latency + service) × DescribeSourceServers pages + max(latency × ⌈StartReplication \
             / {c}⌉, service) + max(latency × ⌈Publish parts / {PUBLISH_PARTS_AT_ONCE}⌉, service)"
        ),
        format!(
            "{} source servers, {} may start",
            settings.drs_servers, settings.drs_may_start
        ),
    )
    .await
}

async fn backup_fanout(settings: &Settings) -> Result<Fanout, BenchError> {
    let destinations = BACKUP_FLEET_DESTINATIONS.len();
    let job = |points: usize| Job {
        function: "backup-copy-fanout",
        peer: "peer_backup",
        fixture: Fixture::backup_fleet(points),
        env: backup_env(settings),
        // AWS Backup queues a resource's further copy jobs in CREATED, so one sweep starts every
        // destination of every point.
        invocations: 1,
        work: ("StartCopyJob", (points * destinations) as u64),
    };
    let latency = settings.latency;
    let c = settings.concurrency;
    let rate = settings.backup_rate;
    // In flight (CREATED, RUNNING), the recent copies to each destination, and the FAILED and
    // PARTIAL copies of the fan-out horizon.
    let listings = 2 + destinations + 2;
    // CREATED, PENDING and RUNNING.
    let backup_job_listings = 3;
    fanout(
        settings,
        job(settings.backup_points),
        job(settings.backup_points / settings.small_divisor.max(1)),
        move |usage| {
            // A sweep reads its recovery points (pages one after another) while the copy-job
            // listings (created, running, and the recent copies to each destination) run side
            // by side; the emulator serves the calls of both one at a time.
            let points = usage.sequential(
                &["ListRecoveryPointsByBackupVault", "DescribeRecoveryPoint"],
                latency,
            );
            let observe = points
                .max(usage.concurrent("ListCopyJobs", listings, latency))
                .max(
                    usage.served("ListRecoveryPointsByBackupVault")
                        + usage.served("DescribeRecoveryPoint")
                        + usage.served("ListCopyJobs"),
                )
                // Then the backup jobs in flight, side by side.
                + usage.concurrent("ListBackupJobs", backup_job_listings, latency);
            let starts = usage.count("StartCopyJob");
            let apply = if starts == 0 {
                Duration::ZERO
            } else {
                let by_rate = Duration::from_secs_f64((starts - 1) as f64 / rate) + latency;
                usage.concurrent("StartCopyJob", c, latency).max(by_rate)
            };
            observe + apply + usage.concurrent("Publish", PUBLISH_PARTS_AT_ONCE, latency)
        },
        format!(
            "max((latency + service) × recovery-point pages, latency × ⌈copy-job pages / \
             {listings}⌉, service of both) + max(latency × ⌈backup-job pages / \
             {backup_job_listings}⌉, service) + max(latency × ⌈StartCopyJob / {c}⌉, service, \
             (StartCopyJob − 1) / {rate}/s + latency) + max(latency × ⌈Publish parts / \
             {PUBLISH_PARTS_AT_ONCE}⌉, service)"
        ),
        format!(
            "{} recovery points × {destinations} destinations (one sweep)",
            settings.backup_points
        ),
    )
    .await
}
