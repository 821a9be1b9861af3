//! The MGN scenario: `mgn-replication` reconciling one account's Application Migration Service
//! source servers on its schedule, with a fixed latency on every emulated call, against its
//! bound and against the sequential Python peer `tools/bench/peer_mgn.py` doing the same calls.
//!
//! The fleet is built in code. Its servers repeat a pattern of 100 (so every page holds every
//! kind): 90 CONTINUOUS, 10 of them with one replication setting drifted from what
//! `MGN_SERVERS` enforces (half throttled to 100 Mbps, half on a larger replication server);
//! 5 STALLED, retried once already and due for their second retry; 2 PAUSED; 3 STOPPED. Every
//! server carries the tag the one `MGN_SERVERS` entry names them by.
//!
//! MGN's "Max Active Source Servers" (150 per account and Region, adjustable) would defer most
//! starts in a fleet this size; the scenario measures the reconcile, not that quota, so both
//! the emulator's quota and `MGN_MAX_ACTIVE_SERVERS` are set far above the fleet.

use crate::measure::{self, RunSpec};
use crate::process::Subject;
use crate::suite::{latency_rule, Calls, Settings};
use crate::BenchError;
use dr_core::clock::fmt_time;
use dr_emulator::fixture::{
    MgnFixture, MgnReplicationError, MgnReplicationState, MgnServer, ReplicationConfiguration,
};
use dr_emulator::{Config, Emulator, Fixture, REPORTS_TOPIC};
use serde_json::json;
use std::time::Duration;

/// The function the scenario runs.
pub const FUNCTION: &str = "mgn-replication";
/// The module of its Python peer in `tools/bench`.
pub const PEER: &str = "peer_mgn";
/// Report parts the functions publish at once (`dr_core::report`).
const PUBLISH_PARTS_AT_ONCE: u64 = 8;
/// The page size both read `DescribeSourceServers` with, the model's largest `maxResults`.
const PAGE_SIZE: usize = 1000;
/// The active-server quota of the emulated account and `MGN_MAX_ACTIVE_SERVERS`: far above the
/// fleet, so that every stopped server starts.
const ACTIVE_QUOTA: usize = 10_000;
/// The tag the one `MGN_SERVERS` entry selects the fleet by.
const WAVE_TAG: (&str, &str) = ("MigrationWave", "1");
/// The cool-down between retries of a stall, as `MGN_SERVERS` sets it.
const COOL_DOWN_SECS: i64 = 3600;

/// Every MGN operation the emulator serves: any call either side makes is counted.
const MGN_OPERATIONS: [&str; 17] = [
    "mgn:DescribeSourceServers",
    "mgn:GetReplicationConfiguration",
    "mgn:UpdateReplicationConfiguration",
    "mgn:StartReplication",
    "mgn:StopReplication",
    "mgn:PauseReplication",
    "mgn:ResumeReplication",
    "mgn:RetryDataReplication",
    "mgn:StartTest",
    "mgn:TerminateTargetInstances",
    "mgn:DescribeJobs",
    "mgn:DescribeJobLogItems",
    "mgn:ChangeServerLifeCycleState",
    "mgn:MarkAsArchived",
    "mgn:TagResource",
    "mgn:ListTagsForResource",
    "mgn:UntagResource",
];
/// The report's publications.
const PUBLISH: &str = "Publish";
/// The calls of the apply phase, which share one bounded fan-out.
const WRITES: [&str; 6] = [
    "mgn:UpdateReplicationConfiguration",
    "mgn:TagResource",
    "mgn:UntagResource",
    "mgn:RetryDataReplication",
    "mgn:ResumeReplication",
    "mgn:StartReplication",
];

/// The size and settings of the reconcile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Source servers in the account, every one named by `MGN_SERVERS`.
    pub servers: usize,
    /// `MAX_CONCURRENCY`: calls in flight.
    pub max_concurrency: usize,
}

/// What a server of the fleet is, by its place in the pattern of 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Replicating, its settings as enforced.
    Continuous,
    /// Replicating, one setting differing from what is enforced.
    Drifted,
    /// Stalled, retried once, the cool-down past.
    Stalled,
    /// Paused; `resumePaused` is set.
    Paused,
    /// Stopped; `startReplication` is `now`.
    Stopped,
}

/// The kind of the `i`-th server.
pub fn kind(i: usize) -> Kind {
    match i % 100 {
        0..=4 => Kind::Stalled,
        5..=6 => Kind::Paused,
        7..=9 => Kind::Stopped,
        10..=19 => Kind::Drifted,
        _ => Kind::Continuous,
    }
}

/// The work a reconcile of the fleet must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Work {
    /// Source servers.
    pub servers: usize,
    /// Settings updated (one `UpdateReplicationConfiguration` each).
    pub drifted: usize,
    /// Stalls retried (a `TagResource` with the count, then `RetryDataReplication`, each).
    pub stalled: usize,
    /// Replications resumed.
    pub paused: usize,
    /// Replications started.
    pub stopped: usize,
}

impl Work {
    /// The work on a fleet of `servers`.
    pub fn of(servers: usize) -> Self {
        let count = |k: Kind| (0..servers).filter(|i| kind(*i) == k).count();
        Self {
            servers,
            drifted: count(Kind::Drifted),
            stalled: count(Kind::Stalled),
            paused: count(Kind::Paused),
            stopped: count(Kind::Stopped),
        }
    }

    /// The MGN calls it takes, by operation: every page of servers, every server's settings
    /// (none is cut over or disconnected), and one write per change (two per retry).
    pub fn calls(&self) -> Calls {
        [
            (
                "mgn:DescribeSourceServers",
                self.servers.div_ceil(PAGE_SIZE).max(1),
            ),
            ("mgn:GetReplicationConfiguration", self.servers),
            ("mgn:UpdateReplicationConfiguration", self.drifted),
            ("mgn:TagResource", self.stalled),
            ("mgn:RetryDataReplication", self.stalled),
            ("mgn:ResumeReplication", self.paused),
            ("mgn:StartReplication", self.stopped),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(op, n)| (op.to_owned(), n as u64))
        .collect()
    }

    /// The servers reported done: each one acted on, once.
    pub fn done(&self) -> u64 {
        (self.drifted + self.stalled + self.paused + self.stopped) as u64
    }

    /// What was done, for the table.
    pub fn describe(&self) -> String {
        format!(
            "{} source servers: {} settings updated, {} stalls retried, {} resumed, {} started",
            self.servers, self.drifted, self.stalled, self.paused, self.stopped
        )
    }
}

/// The fleet of `shape.servers` source servers (see the module's documentation); stall records
/// are dated from `now` (epoch seconds), the clock the function reads.
pub fn fixture(shape: &Shape, now: i64) -> Fixture {
    let servers = (0..shape.servers).map(|i| server(i, now)).collect();
    Fixture {
        mgn: MgnFixture {
            active_quota: ACTIVE_QUOTA,
            source_servers: servers,
            ..MgnFixture::default()
        },
        // The reports topic, and nothing else.
        ..Fixture::drs_fleet(0, 0)
    }
}

fn server(i: usize, now: i64) -> MgnServer {
    let kind = kind(i);
    let state = match kind {
        Kind::Continuous | Kind::Drifted => MgnReplicationState::Continuous,
        Kind::Stalled => MgnReplicationState::Stalled,
        Kind::Paused => MgnReplicationState::Paused,
        Kind::Stopped => MgnReplicationState::Stopped,
    };
    let host = format!("mgn-bench-{i:05}");
    let mut server = MgnServer::new(&format!("s-{:017x}", 0xb000_0000 + i), &host, state);
    server.fqdn = Some(format!("{host}.corp.example.com"));
    server
        .tags
        .insert(WAVE_TAG.0.to_owned(), WAVE_TAG.1.to_owned());
    match kind {
        Kind::Continuous | Kind::Stopped => {}
        Kind::Drifted if i.is_multiple_of(2) => {
            server.replication_configuration = ReplicationConfiguration {
                bandwidth_throttling: Some(100),
                ..ReplicationConfiguration::default()
            };
        }
        Kind::Drifted => {
            server.replication_configuration = ReplicationConfiguration {
                replication_server_instance_type: Some("t3.medium".to_owned()),
                ..ReplicationConfiguration::default()
            };
        }
        Kind::Stalled => {
            server.data_replication_error = Some(MgnReplicationError {
                error: "FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER".to_owned(),
                raw_error: "replication server unreachable on TCP 1500".to_owned(),
            });
            for (key, value) in [
                ("dr-automation:mgn-stalls", "1".to_owned()),
                ("dr-automation:mgn-stalled-since", fmt_time(now - 3 * 3600)),
                ("dr-automation:mgn-retried-at", fmt_time(now - 2 * 3600)),
            ] {
                server.tags.insert(key.to_owned(), value);
            }
        }
        // Paused after its initial sync: READY_FOR_TEST, resumed to CONTINUOUS.
        Kind::Paused => server.lag_duration = Some("PT10M".to_owned()),
    }
    server
}

/// The configuration of the function and of its peer alike.
pub fn env(shape: &Shape) -> Vec<(String, String)> {
    let servers = json!({
        "defaults": {
            // The emulator's configuration of a new server, which the drifted ones left.
            "replication": {
                "replicationServerInstanceType": "t3.small",
                "bandwidthThrottling": 0,
                "defaultLargeStagingDiskType": "GP3",
                "ebsEncryption": "DEFAULT",
                "dataPlaneRouting": "PRIVATE_IP"
            },
            "onStall": {"coolDown": format!("{}h", COOL_DOWN_SECS / 3600), "maxConsecutiveStalls": 3},
            "resumePaused": true,
            "startReplication": "now"
        },
        "servers": [{"tags": {WAVE_TAG.0: WAVE_TAG.1}}]
    });
    [
        ("MGN_SERVERS", servers.to_string()),
        ("MGN_MAX_ACTIVE_SERVERS", ACTIVE_QUOTA.to_string()),
        ("MAX_CONCURRENCY", shape.max_concurrency.to_string()),
        ("REPORT_TOPIC_ARN", REPORTS_TOPIC.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// What one reconcile cost the emulator, as its bound counts it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MgnUsage {
    /// `DescribeSourceServers` pages, read one after another.
    pub pages: u64,
    /// `GetReplicationConfiguration` calls, side by side.
    pub configurations: u64,
    /// The mutating calls, side by side.
    pub writes: u64,
    /// The most writes one server makes one after another: 2 for a retry (its stall count
    /// tagged first), else 1.
    pub chain: u64,
    /// `Publish` calls (report parts).
    pub publish: u64,
    /// The emulator's service time for the pages.
    pub pages_service: Duration,
    /// ... for the configurations.
    pub configurations_service: Duration,
    /// ... for the writes.
    pub writes_service: Duration,
    /// ... for `Publish`.
    pub publish_service: Duration,
}

/// The least time a reconcile can take: the function reads the pages of servers one after
/// another (each one latency plus the emulator's service time), then the settings of the servers
/// it enforces them on (`MAX_CONCURRENCY` at a time), then makes every write in one fan-out
/// (`MAX_CONCURRENCY` at a time, a retry's two calls one after the other), then publishes. Calls
/// side by side cost one latency per wave, or the emulator's service time when that is longer,
/// since the emulator serves one call at a time.
pub fn bound(usage: &MgnUsage, shape: &Shape, latency: Duration) -> Duration {
    let times = |n: u64| latency * u32::try_from(n).unwrap_or(u32::MAX);
    let waves = |calls: u64, width: u64| calls.div_ceil(width.max(1));
    let c = shape.max_concurrency as u64;
    times(usage.pages)
        + usage.pages_service
        + times(waves(usage.configurations, c)).max(usage.configurations_service)
        + times(waves(usage.writes, c).max(usage.chain)).max(usage.writes_service)
        + times(waves(usage.publish, PUBLISH_PARTS_AT_ONCE)).max(usage.publish_service)
}

/// The bound's formula, as the results print it.
pub fn formula(shape: &Shape) -> String {
    let c = shape.max_concurrency;
    format!(
        "(latency + service) × DescribeSourceServers pages + max(latency × \
         ⌈GetReplicationConfiguration / {c}⌉, service) + max(latency × \
         max(⌈(UpdateReplicationConfiguration + TagResource + UntagResource + \
         RetryDataReplication + ResumeReplication + StartReplication) / {c}⌉, 2 when a stall is \
         retried), service) + max(latency × ⌈Publish parts / {PUBLISH_PARTS_AT_ONCE}⌉, service)"
    )
}

/// One side's reconcile: the function's or the peer's.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconcile {
    /// First `next` → response.
    pub wall: Duration,
    /// Every call it made, by operation (`Publish` included).
    pub calls: Calls,
    /// Peak RSS of the process, KiB.
    pub peak_rss_kib: u64,
}

/// The MGN scenario's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct MgnBench {
    /// Its size and settings.
    pub shape: Shape,
    /// The work both sides did.
    pub work: Work,
    /// The function's reconcile.
    pub function: Reconcile,
    /// The least time the function's calls allow.
    pub bound: Duration,
    /// What the bound was computed from: the function's calls and the emulator's service time.
    pub usage: MgnUsage,
    /// How the bound was computed.
    pub bound_formula: String,
    /// The sequential Python peer's reconcile; `None` without the venv.
    pub peer: Option<Reconcile>,
}

/// Calls and service time per operation since the emulator's last reset.
fn counted(emulator: &Emulator) -> (Calls, MgnUsage) {
    let calls: Calls = MGN_OPERATIONS
        .iter()
        .chain(&[PUBLISH])
        .map(|op| ((*op).to_owned(), emulator.calls(op)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let n = |op: &str| calls.get(op).copied().unwrap_or(0);
    let served = |ops: &[&str]| ops.iter().map(|op| emulator.service_time(op)).sum();
    let usage = MgnUsage {
        pages: n("mgn:DescribeSourceServers"),
        configurations: n("mgn:GetReplicationConfiguration"),
        writes: WRITES.iter().map(|op| n(op)).sum(),
        chain: match (
            n("mgn:RetryDataReplication"),
            WRITES.iter().any(|op| n(op) > 0),
        ) {
            (1.., _) => 2,
            (0, true) => 1,
            (0, false) => 0,
        },
        publish: n(PUBLISH),
        pages_service: served(&["mgn:DescribeSourceServers"]),
        configurations_service: served(&["mgn:GetReplicationConfiguration"]),
        writes_service: served(&WRITES),
        publish_service: served(&[PUBLISH]),
    };
    (calls, usage)
}

/// Runs one reconcile of `subject` on the fixture as loaded, with latency on; checks that it
/// made exactly the calls of `work` and reported each server it acted on done.
async fn reconcile(
    settings: &Settings,
    emulator: &Emulator,
    subject: &Subject,
    work: &Work,
) -> Result<(Reconcile, MgnUsage), BenchError> {
    emulator.reset();
    emulator.set_fault(latency_rule(settings.latency))?;
    let spec = RunSpec {
        endpoint: emulator.endpoint_url(),
        env: env(&settings.mgn),
        event: dr_e2e::sample_event(&format!("{FUNCTION}/scheduled-event.json"))
            .map_err(BenchError::Missing)?,
        invocations: 1,
        timeout: Duration::from_secs(1800),
        log: settings
            .out_dir
            .join("logs")
            .join(format!("mgn-{}.log", subject.name)),
    };
    let mut seen = None;
    let run = measure::run(subject, &spec, |_| seen = Some(counted(emulator))).await?;
    let wrong = |what: String| BenchError::WrongWork {
        subject: subject.name.clone(),
        what,
    };
    let (calls, usage) = seen.ok_or_else(|| wrong("no invocation was made".to_owned()))?;
    let mgn_calls: Calls = calls
        .iter()
        .filter(|(op, _)| op.as_str() != PUBLISH)
        .map(|(op, n)| (op.clone(), *n))
        .collect();
    if mgn_calls != work.calls() {
        return Err(wrong(format!(
            "made the MGN calls {mgn_calls:?}, not {:?}",
            work.calls()
        )));
    }
    let done = run.answers.first().and_then(measure::done);
    if done != Some(work.done()) {
        return Err(wrong(format!(
            "reported {done:?} servers done, not {}",
            work.done()
        )));
    }
    let wall = run.busy();
    Ok((
        Reconcile {
            wall,
            calls,
            peak_rss_kib: run.peak_rss_kib,
        },
        usage,
    ))
}

/// Measures the function's reconcile and the peer's on the same fleet.
pub async fn mgn(settings: &Settings) -> Result<MgnBench, BenchError> {
    let shape = settings.mgn;
    let work = Work::of(shape.servers);
    let subject = Subject::binary(
        FUNCTION,
        dr_e2e::function_binary(FUNCTION, &settings.profile).map_err(BenchError::Missing)?,
    );
    let now = dr_core::clock::now_secs();
    let emulator = Emulator::start(Config::new(fixture(&shape, now))).await?;
    let (function, usage) = reconcile(settings, &emulator, &subject, &work).await?;
    let peer = match crate::suite::peer_subject(settings, PEER) {
        Some(peer) => Some(reconcile(settings, &emulator, &peer, &work).await?.0),
        None => None,
    };
    Ok(MgnBench {
        shape,
        work,
        bound: bound(&usage, &shape, settings.latency),
        usage,
        bound_formula: formula(&shape),
        function,
        peer,
    })
}
