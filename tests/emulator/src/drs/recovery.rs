//! DRS recovery: `StartRecovery`, `TerminateRecoveryInstances`, `DescribeJobs`,
//! `DescribeJobLogItems`, `DescribeRecoveryInstances`, `DescribeRecoverySnapshots`, with jobs
//! that move one state per step and launch failures on demand.
//!
//! Shapes, enums and limits are drs.service-2.json's; the README lists the doc page behind each
//! rule and which answers are the emulator's assumptions.

use super::{validation, Drs, SourceServer};
use crate::fixture::{DrsFixture, DrsState, RecoveryQuotas};
use crate::protocol::ApiError;
use crate::util::{hex, iso, mix, page, parse_iso, partition};
use crate::world::Scope;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

pub(super) mod plans;

/// Most source servers per `StartRecovery` and recovery instances per
/// `TerminateRecoveryInstances` (the model's StartRecoveryRequestSourceServers and
/// RecoveryInstancesForTerminationRequest, max 200).
pub const MAX_PER_CALL: usize = 200;

/// Most `jobIDs` in a `DescribeJobs` filter (DescribeJobsRequestFiltersJobIDs, max 1000).
const MAX_JOB_IDS: usize = 1000;

/// Largest and default page of the Describe calls (the emulator's choice: the model bounds
/// `maxResults` only below, StrictlyPositiveInteger).
const MAX_PAGE: usize = 1000;

/// Age of the generated recovery snapshots, newest first: one a few minutes old, then older
/// ones. The ages are the emulator's choice: DRS's point-in-time policy is configurable in
/// minutes, hours and days (API PITPolicyRule).
const SNAPSHOT_AGES: [i64; 4] = [300, 3_900, 7_500, 86_700];

/// The service code in the quota errors: the service prefix of DRS's ARNs and IAM actions
/// ("Actions, resources, and condition keys for AWS Elastic Disaster Recovery").
const SERVICE_CODE: &str = "drs";

/// The recovery state of one partition: jobs, recovery instances, snapshots, the launches told
/// to fail, the "at scale" quotas and the recovery plans with their executions.
#[derive(Debug, Clone, Default)]
pub struct Recovery {
    jobs: Vec<Job>,
    instances: Vec<Instance>,
    snapshots: BTreeMap<String, Vec<Snapshot>>,
    fail_next: BTreeSet<String>,
    quotas: RecoveryQuotas,
    plans: plans::Plans,
}

/// JobStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobStatus {
    Pending,
    Started,
    Completed,
}

impl JobStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Started => "STARTED",
            Self::Completed => "COMPLETED",
        }
    }
}

/// JobType.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobKind {
    Launch { drill: bool },
    Terminate,
}

/// LaunchStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LaunchStatus {
    Pending,
    InProgress,
    Launched,
    Failed,
    Terminated,
}

impl LaunchStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::InProgress => "IN_PROGRESS",
            Self::Launched => "LAUNCHED",
            Self::Failed => "FAILED",
            Self::Terminated => "TERMINATED",
        }
    }
}

/// Why a server in a launch job will not launch, decided when the job is created.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Skip {
    Unknown,
    NotReady(DrsState),
}

#[derive(Debug, Clone)]
struct Participant {
    source_server_id: String,
    recovery_instance_id: Option<String>,
    status: LaunchStatus,
    snapshot: Option<Snapshot>,
    skip: Option<Skip>,
}

#[derive(Debug, Clone)]
struct LogItem {
    at: i64,
    event: &'static str,
    data: Value,
}

#[derive(Debug, Clone)]
struct Job {
    id: String,
    kind: JobKind,
    status: JobStatus,
    created: i64,
    ended: Option<i64>,
    tags: BTreeMap<String, String>,
    participants: Vec<Participant>,
    log: Vec<LogItem>,
    /// Launched by a recovery plan execution, whose instances DRS never removes.
    by_plan: bool,
}

#[derive(Debug, Clone)]
struct Instance {
    id: String,
    source_server_id: String,
    job_id: String,
    drill: bool,
    tags: BTreeMap<String, String>,
    point_in_time: i64,
    terminating: bool,
    by_plan: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Snapshot {
    id: String,
    source_server_id: String,
    at: i64,
    ebs: String,
}

/// Whether a server in `state` has recovery snapshots to launch from: DRS takes them of
/// replicating servers once the initial sync is done. Which states keep them is not documented
/// per state; this reading is the emulator's.
fn has_snapshots(state: DrsState) -> bool {
    matches!(
        state,
        DrsState::Continuous
            | DrsState::Backlog
            | DrsState::CreatingSnapshot
            | DrsState::Rescan
            | DrsState::Stalled
            | DrsState::Paused
    )
}

/// A stable number for `text`, so generated snapshots are the same on every load.
fn digest(text: &str) -> u64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| mix(h ^ u64::from(b)))
}

/// `n` letters and digits derived from `seed`.
fn derived(seed: u64, n: usize) -> String {
    let mut rng = fastrand::Rng::with_seed(seed);
    hex(&mut rng, n)
}

fn snapshot_at(id: &str, at: i64, n: u64) -> Snapshot {
    let seed = mix(digest(id) ^ n);
    Snapshot {
        id: format!("pit-{}", derived(seed, 17)),
        source_server_id: id.to_owned(),
        at,
        ebs: format!("snap-{}", derived(mix(seed), 17)),
    }
}

impl Recovery {
    /// The generated snapshots of the servers that replicate at load time, the fixture's quotas
    /// and recovery plans.
    pub(super) fn new(fixture: &DrsFixture, servers: &[SourceServer], now: i64) -> Self {
        let snapshots = servers
            .iter()
            .filter(|s| s.state.holds_replication_slot())
            .filter(|s| !s.spec.recovery_snapshots.is_empty() || has_snapshots(s.state))
            .map(|s| {
                let id = &s.spec.source_server_id;
                let times: Vec<i64> = if s.spec.recovery_snapshots.is_empty() {
                    SNAPSHOT_AGES.iter().rev().map(|age| now - age).collect()
                } else {
                    // The fixture checked these times when it loaded.
                    s.spec
                        .recovery_snapshots
                        .iter()
                        .filter_map(|t| parse_iso(t))
                        .collect()
                };
                let list = times
                    .into_iter()
                    .zip(0u64..)
                    .map(|(at, n)| snapshot_at(id, at, n))
                    .collect();
                (id.clone(), list)
            })
            .collect();
        Self {
            snapshots,
            quotas: fixture.recovery_quotas,
            plans: plans::Plans::new(&fixture.recovery_plans, now),
            ..Self::default()
        }
    }

    /// Deletes the snapshots of `id`, as stopping its replication does (API StopReplication).
    pub(super) fn delete_snapshots(&mut self, id: &str) {
        self.snapshots.remove(id);
    }

    /// Makes the next launch of `id` fail (admin API).
    pub(super) fn fail_next_launch(&mut self, id: &str) {
        self.fail_next.insert(id.to_owned());
    }

    /// Jobs, recovery instances and recovery plan executions, as the API shows them, for the
    /// state dump.
    pub(super) fn snapshot(&self, account: &str, region: &str) -> (Value, Value, Value) {
        let jobs = self.jobs.iter().map(|j| render_job(j, account, region));
        let instances = self
            .instances
            .iter()
            .map(|i| render_instance(i, account, region));
        (
            Value::Array(jobs.collect()),
            Value::Array(instances.collect()),
            self.plans.snapshot(self, account, region),
        )
    }

    /// Moves every open job one state on; whether anything changed.
    pub(super) fn step(&mut self, servers: &[SourceServer], now: i64) -> bool {
        for s in servers {
            let id = &s.spec.source_server_id;
            match s.state {
                // A server that has just become healthy gets its first snapshot, so it can be
                // recovered.
                DrsState::Continuous if !self.snapshots.contains_key(id) => {
                    self.snapshots
                        .insert(id.clone(), vec![snapshot_at(id, now, 0)]);
                }
                // Stopping replication deletes the server's snapshots (API StopReplication), and
                // a disconnected server's resources are deleted (API DisconnectSourceServer).
                DrsState::Stopped | DrsState::Disconnected => {
                    self.snapshots.remove(id);
                }
                _ => {}
            }
        }
        let mut changed = false;
        for index in 0..self.jobs.len() {
            changed |= match self.jobs[index].status {
                JobStatus::Pending => {
                    self.begin(index, now);
                    true
                }
                JobStatus::Started => {
                    self.finish(index, now);
                    true
                }
                JobStatus::Completed => false,
            };
        }
        changed
    }

    /// PENDING → STARTED: servers that can launch go IN_PROGRESS, the others are skipped.
    fn begin(&mut self, index: usize, now: i64) {
        let job = &mut self.jobs[index];
        job.status = JobStatus::Started;
        job.log.push(LogItem {
            at: now,
            event: "JOB_START",
            data: json!({}),
        });
        let launch = matches!(job.kind, JobKind::Launch { .. });
        for p in &mut job.participants {
            let data = json!({"sourceServerID": p.source_server_id});
            match &p.skip {
                Some(skip) => {
                    let why = match skip {
                        Skip::Unknown => "source server not found".to_owned(),
                        Skip::NotReady(state) => format!(
                            "source server is not ready for recovery: data replication state {}",
                            state.as_str()
                        ),
                    };
                    p.status = LaunchStatus::Failed;
                    job.log.push(LogItem {
                        at: now,
                        event: "SERVER_SKIPPED",
                        data: json!({"sourceServerID": p.source_server_id, "rawError": why}),
                    });
                }
                None if launch => {
                    p.status = LaunchStatus::InProgress;
                    job.log.push(LogItem {
                        at: now,
                        event: "LAUNCH_START",
                        data,
                    });
                }
                None => {
                    p.status = LaunchStatus::InProgress;
                    job.log.push(LogItem {
                        at: now,
                        event: "CLEANUP_START",
                        data,
                    });
                }
            }
        }
        if !launch {
            for i in &mut self.instances {
                if job
                    .participants
                    .iter()
                    .any(|p| p.recovery_instance_id.as_deref() == Some(&i.id))
                {
                    i.terminating = true;
                }
            }
        }
    }

    /// STARTED → COMPLETED: each server in progress launches (or fails), or its instance is
    /// terminated.
    fn finish(&mut self, index: usize, now: i64) {
        let Self {
            jobs,
            instances,
            fail_next,
            ..
        } = self;
        let job = &mut jobs[index];
        let job_id = job.id.clone();
        for (n, p) in job.participants.iter_mut().enumerate() {
            if p.status != LaunchStatus::InProgress {
                continue;
            }
            let server = p.source_server_id.clone();
            match job.kind {
                JobKind::Launch { drill } => {
                    if fail_next.remove(&server) {
                        p.status = LaunchStatus::Failed;
                        job.log.push(LogItem {
                            at: now,
                            event: "LAUNCH_FAILED",
                            data: json!({"sourceServerID": server, "rawError": "Failed to launch the recovery instance (injected by the emulator)"}),
                        });
                        continue;
                    }
                    let seed = mix(digest(&job_id) ^ u64::try_from(n).unwrap_or(0));
                    let id = format!("i-{}", derived(seed, 17));
                    // A new launch replaces the server's previous recovery instance ("Recovery
                    // Drill EC2 resources will automatically be cleaned up if a Recovery Drill is
                    // performed again with the same Source Server": "Preparing for recovery"),
                    // except one a plan launched: DRS "does not terminate the instances that a
                    // plan launches" ("Running a recovery plan").
                    instances.retain(|i| i.source_server_id != server || i.by_plan);
                    // StartRecovery's tags are "The tags to be associated with the Recovery
                    // Job" (model); nothing puts them on the instances.
                    instances.push(Instance {
                        id: id.clone(),
                        source_server_id: server.clone(),
                        job_id: job_id.clone(),
                        drill,
                        tags: BTreeMap::new(),
                        point_in_time: p.snapshot.as_ref().map_or(now, |s| s.at),
                        terminating: false,
                        by_plan: job.by_plan,
                    });
                    p.recovery_instance_id = Some(id);
                    p.status = LaunchStatus::Launched;
                }
                JobKind::Terminate => {
                    let target = p.recovery_instance_id.clone();
                    instances.retain(|i| Some(&i.id) != target.as_ref());
                    p.status = LaunchStatus::Terminated;
                    job.log.push(LogItem {
                        at: now,
                        event: "CLEANUP_END",
                        data: json!({"sourceServerID": server}),
                    });
                }
            }
        }
        job.status = JobStatus::Completed;
        job.ended = Some(now);
        job.log.push(LogItem {
            at: now,
            event: "JOB_END",
            data: json!({}),
        });
    }

    /// The id of the LAUNCH job, not yet completed, that server `id` takes part in.
    fn in_launch_job(&self, id: &str) -> Option<&str> {
        self.jobs
            .iter()
            .filter(|j| {
                j.status != JobStatus::Completed && matches!(j.kind, JobKind::Launch { .. })
            })
            .find(|j| j.participants.iter().any(|p| p.source_server_id == id))
            .map(|j| j.id.as_str())
    }

    /// `lifeCycle.lastLaunch` of server `id` (the model's LifeCycleLastLaunch: when, by which
    /// job and of which type the last launch was initiated, and the server's launch status in
    /// that job) and its `lastLaunchResult`; `None` before its first launch.
    pub(super) fn last_launch(&self, id: &str) -> Option<(Value, &'static str)> {
        self.jobs.iter().rev().find_map(|j| {
            let JobKind::Launch { drill } = j.kind else {
                return None;
            };
            let p = j.participants.iter().find(|p| p.source_server_id == id)?;
            let value = json!({
                "initiated": {
                    "apiCallDateTime": iso(j.created),
                    "jobID": j.id,
                    "type": if drill { "DRILL" } else { "RECOVERY" },
                },
                "status": p.status.as_str(),
            });
            // LastLaunchResult is NOT_STARTED | PENDING | SUCCEEDED | FAILED; the mapping from
            // the launch status is the emulator's reading.
            let result = match p.status {
                LaunchStatus::Pending | LaunchStatus::InProgress => "PENDING",
                LaunchStatus::Launched | LaunchStatus::Terminated => "SUCCEEDED",
                LaunchStatus::Failed => "FAILED",
            };
            Some((value, result))
        })
    }

    /// The newest recovery instance of server `id` (SourceServer.recoveryInstanceId).
    pub(super) fn instance_of(&self, id: &str) -> Option<&str> {
        self.instances
            .iter()
            .rev()
            .find(|i| i.source_server_id == id)
            .map(|i| i.id.as_str())
    }

    /// The tags of the job or recovery instance `id` names (`kind` is the ARN's resource type).
    pub(super) fn tags_mut(
        &mut self,
        kind: &str,
        id: &str,
    ) -> Option<&mut BTreeMap<String, String>> {
        match kind {
            "job" => self
                .jobs
                .iter_mut()
                .find(|j| j.id == id)
                .map(|j| &mut j.tags),
            "recovery-instance" => self
                .instances
                .iter_mut()
                .find(|i| i.id == id)
                .map(|i| &mut i.tags),
            _ => self.plans.tags_mut(kind, id),
        }
    }

    /// Refuses a launch job of `servers` source servers that would break one of the "at scale"
    /// quotas ("Disaster recovery at scale", DRS user guide: "100 source servers per recovery
    /// job, 500 source servers across all active jobs, and 20 concurrent jobs"). Active jobs
    /// are those not COMPLETED, of every type. How DRS enforces the quotas is not documented:
    /// the 402 ServiceQuotaExceededException (the model's error for StartRecovery) and its
    /// `quotaCode` values are the emulator's assumptions.
    fn check_quotas(&self, servers: usize) -> Result<(), ApiError> {
        let q = self.quotas;
        let active: Vec<&Job> = self
            .jobs
            .iter()
            .filter(|j| j.status != JobStatus::Completed)
            .collect();
        let busy: usize = active.iter().map(|j| j.participants.len()).sum();
        let (quota, message) = if servers > q.servers_per_job {
            (
                "source-servers-per-recovery-job",
                format!(
                    "A recovery job can have at most {} source servers, the request has {servers}",
                    q.servers_per_job
                ),
            )
        } else if active.len() >= q.concurrent_jobs {
            (
                "concurrent-jobs",
                format!(
                    "At most {} jobs can be active at once, {} are",
                    q.concurrent_jobs,
                    active.len()
                ),
            )
        } else if busy + servers > q.servers_in_active_jobs {
            (
                "source-servers-in-all-active-jobs",
                format!(
                    "At most {} source servers can be in active jobs, {busy} are and the request adds {servers}",
                    q.servers_in_active_jobs
                ),
            )
        } else {
            return Ok(());
        };
        Err(ApiError::new("ServiceQuotaExceededException", message)
            .with("serviceCode", SERVICE_CODE)
            .with("quotaCode", quota)
            .with("resourceType", "JOB"))
    }
}

fn render_job(job: &Job, account: &str, region: &str) -> Value {
    let (kind, initiated) = match job.kind {
        JobKind::Launch { drill: true } => ("LAUNCH", "START_DRILL"),
        JobKind::Launch { drill: false } => ("LAUNCH", "START_RECOVERY"),
        JobKind::Terminate => ("TERMINATE", "TERMINATE_RECOVERY_INSTANCES"),
    };
    let servers: Vec<Value> = job
        .participants
        .iter()
        .map(|p| {
            let mut v =
                json!({"sourceServerID": p.source_server_id, "launchStatus": p.status.as_str()});
            if let Some(id) = &p.recovery_instance_id {
                v["recoveryInstanceID"] = json!(id);
            }
            v
        })
        .collect();
    let mut out = json!({
        "jobID": job.id,
        "arn": format!("arn:{}:drs:{region}:{account}:job/{}", partition(region), job.id),
        "type": kind,
        "initiatedBy": initiated,
        "creationDateTime": iso(job.created),
        "status": job.status.as_str(),
        "participatingServers": servers,
        "tags": job.tags,
    });
    if let Some(ended) = job.ended {
        out["endDateTime"] = json!(iso(ended));
    }
    out
}

fn render_instance(i: &Instance, account: &str, region: &str) -> Value {
    json!({
        "ec2InstanceID": i.id,
        "ec2InstanceState": if i.terminating { "SHUTTING-DOWN" } else { "RUNNING" },
        "jobID": i.job_id,
        "recoveryInstanceID": i.id,
        "sourceServerID": i.source_server_id,
        "arn": format!("arn:{}:drs:{region}:{account}:recovery-instance/{}", partition(region), i.id),
        "tags": i.tags,
        "pointInTimeSnapshotDateTime": iso(i.point_in_time),
        "isDrill": i.drill,
        "originEnvironment": "ON_PREMISES",
    })
}

fn render_snapshot(s: &Snapshot) -> Value {
    json!({
        "snapshotID": s.id,
        "sourceServerID": s.source_server_id,
        "expectedTimestamp": iso(s.at),
        "timestamp": iso(s.at),
        "ebsSnapshots": [s.ebs],
    })
}

fn page_size(max: Option<i64>) -> Result<usize, ApiError> {
    match max {
        None => Ok(MAX_PAGE),
        Some(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(MAX_PAGE).min(MAX_PAGE)),
        Some(_) => Err(validation("maxResults", "must be at least 1")),
    }
}

fn paged(items: &[Value], token: Option<&str>, max: Option<i64>) -> Result<Value, ApiError> {
    let (items, next) =
        page(items, token, page_size(max)?).map_err(|e| validation("nextToken", &e.to_string()))?;
    let mut out = json!({ "items": items });
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    Ok(out)
}

fn well_formed(id: &str, prefix: &str, len: usize) -> bool {
    id.len() == len
        && id.starts_with(prefix)
        && id[prefix.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
}

fn new_job(world: &mut Scope<'_>, kind: JobKind, tags: BTreeMap<String, String>) -> Job {
    Job {
        id: format!("drsjob-{}", hex(world.rng, 17)),
        kind,
        status: JobStatus::Pending,
        created: world.now(),
        ended: None,
        tags,
        participants: Vec::new(),
        log: Vec::new(),
        by_plan: false,
    }
}

fn push_job(world: &mut Scope<'_>, job: Job) -> Value {
    let out = json!({ "job": render_job(&job, world.account_id, world.region) });
    world.drs.recovery.jobs.push(job);
    out
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StartInput {
    #[serde(default)]
    source_servers: Option<Vec<StartServer>>,
    #[serde(default)]
    is_drill: Option<bool>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct StartServer {
    #[serde(rename = "sourceServerID")]
    source_server_id: Option<String>,
    #[serde(rename = "recoverySnapshotID")]
    recovery_snapshot_id: Option<String>,
}

fn conflict(id: &str, message: String) -> ApiError {
    ApiError::new("ConflictException", message)
        .with("resourceId", id)
        .with("resourceType", "SOURCE_SERVER")
}

/// `StartRecovery`: a LAUNCH job of the servers asked for, PENDING.
pub(super) fn start_recovery(world: &mut Scope<'_>, input: StartInput) -> Result<Value, ApiError> {
    let servers = input
        .source_servers
        .ok_or_else(|| validation("sourceServers", "is required"))?;
    if servers.is_empty() || servers.len() > MAX_PER_CALL {
        return Err(validation(
            "sourceServers",
            &format!(
                "must have between 1 and {MAX_PER_CALL} items, got {}",
                servers.len()
            ),
        ));
    }
    let servers: Vec<(Option<String>, Option<String>)> = servers
        .into_iter()
        .map(|s| (s.source_server_id, s.recovery_snapshot_id))
        .collect();
    let job = launch_job(
        world,
        &servers,
        input.is_drill.unwrap_or(false),
        input.tags,
        false,
    )?;
    Ok(push_job(world, job))
}

/// A LAUNCH job, PENDING, of `servers` (id, optional snapshot id), checked as `StartRecovery`
/// checks them; its on-demand snapshots are taken only once every check passed.
fn launch_job(
    world: &mut Scope<'_>,
    servers: &[(Option<String>, Option<String>)],
    drill: bool,
    tags: BTreeMap<String, String>,
    by_plan: bool,
) -> Result<Job, ApiError> {
    world.drs.recovery.check_quotas(servers.len())?;
    let now = world.now();
    let mut participants = Vec::with_capacity(servers.len());
    let mut seen = BTreeSet::new();
    for (server_id, snapshot_id) in servers {
        let id = server_id
            .as_deref()
            .ok_or_else(|| validation("sourceServers.sourceServerID", "is required"))?;
        if !well_formed(id, "s-", 19) {
            return Err(validation(
                "sourceServers.sourceServerID",
                "must match the pattern s-[0-9a-zA-Z]{17}",
            ));
        }
        if !seen.insert(id.to_owned()) {
            return Err(validation(
                "sourceServers",
                &format!("source server {id} is listed twice"),
            ));
        }
        if let Some(job) = world.drs.recovery.in_launch_job(id) {
            return Err(conflict(
                id,
                format!("Source server {id} is already being recovered by job {job}"),
            ));
        }
        let server = world.drs.by_id.get(id).map(|&i| &world.drs.servers[i]);
        let skip = match server {
            None => Some(Skip::Unknown),
            Some(s) if s.state != DrsState::Continuous => Some(Skip::NotReady(s.state)),
            Some(_) => None,
        };
        let known = world.drs.recovery.snapshots.get(id);
        let snapshot = match (snapshot_id, skip.is_some()) {
            (_, true) => None,
            (Some(pit), false) => {
                if !well_formed(pit, "pit-", 21) {
                    return Err(validation(
                        "sourceServers.recoverySnapshotID",
                        "must match the pattern pit-[0-9a-zA-Z]{17}",
                    ));
                }
                let found = known.and_then(|list| list.iter().find(|x| &x.id == pit));
                Some(found.cloned().ok_or_else(|| {
                    conflict(
                        id,
                        format!("Recovery snapshot {pit} of source server {id} not found"),
                    )
                })?)
            }
            // No snapshot named: DRS takes an on-demand one, the latest data.
            (None, false) => {
                let n = known.map_or(0, Vec::len);
                Some(snapshot_at(id, now, u64::try_from(n).unwrap_or(0) + 1_000))
            }
        };
        participants.push(Participant {
            source_server_id: id.to_owned(),
            recovery_instance_id: None,
            status: LaunchStatus::Pending,
            snapshot,
            skip,
        });
    }
    for (p, (_, named)) in participants.iter().zip(servers) {
        if let (Some(taken), None) = (&p.snapshot, named) {
            world
                .drs
                .recovery
                .snapshots
                .entry(p.source_server_id.clone())
                .or_default()
                .push(taken.clone());
        }
    }
    let mut job = new_job(world, JobKind::Launch { drill }, tags);
    job.participants = participants;
    job.by_plan = by_plan;
    Ok(job)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TerminateInput {
    #[serde(rename = "recoveryInstanceIDs", default)]
    recovery_instance_ids: Option<Vec<String>>,
}

/// `TerminateRecoveryInstances`: a TERMINATE job of the instances named that exist.
pub(super) fn terminate(world: &mut Scope<'_>, input: TerminateInput) -> Result<Value, ApiError> {
    let ids = input
        .recovery_instance_ids
        .ok_or_else(|| validation("recoveryInstanceIDs", "is required"))?;
    if ids.is_empty() || ids.len() > MAX_PER_CALL {
        return Err(validation(
            "recoveryInstanceIDs",
            &format!(
                "must have between 1 and {MAX_PER_CALL} items, got {}",
                ids.len()
            ),
        ));
    }
    let mut participants = Vec::new();
    for id in &ids {
        let Some(instance) = world.drs.recovery.instances.iter().find(|i| &i.id == id) else {
            continue;
        };
        if instance.terminating {
            return Err(ApiError::new(
                "ConflictException",
                format!("Recovery instance {id} is already being terminated"),
            )
            .with("resourceId", id.clone())
            .with("resourceType", "RECOVERY_INSTANCE"));
        }
        participants.push(Participant {
            source_server_id: instance.source_server_id.clone(),
            recovery_instance_id: Some(id.clone()),
            status: LaunchStatus::Pending,
            snapshot: None,
            skip: None,
        });
    }
    let mut job = new_job(world, JobKind::Terminate, BTreeMap::new());
    job.participants = participants;
    Ok(push_job(world, job))
}

/// `DescribeJobs`' request, the same shape in the DRS and MGN models (DescribeJobsRequest with
/// DescribeJobsRequestFilters): MGN's emulation reads it too.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobsInput {
    #[serde(default)]
    filters: Option<JobsFilters>,
    /// `maxResults`.
    pub(crate) max_results: Option<i64>,
    /// `nextToken`.
    pub(crate) next_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobsFilters {
    #[serde(rename = "jobIDs", default)]
    job_ids: Vec<String>,
    from_date: Option<String>,
    to_date: Option<String>,
}

/// The jobs a `DescribeJobs` request selects: by id, and by creation time.
pub(crate) struct JobSelection {
    ids: Vec<String>,
    from: Option<i64>,
    to: Option<i64>,
}

impl JobsInput {
    /// The filters, checked as both models bound them (at most 1000 ids, ISO 8601 dates).
    pub(crate) fn selection(&self) -> Result<JobSelection, ApiError> {
        let filters = self.filters.as_ref();
        let ids = filters.map(|f| f.job_ids.clone()).unwrap_or_default();
        if ids.len() > MAX_JOB_IDS {
            return Err(validation("filters.jobIDs", "at most 1000 job IDs"));
        }
        Ok(JobSelection {
            ids,
            from: date(
                "filters.fromDate",
                filters.and_then(|f| f.from_date.as_deref()),
            )?,
            to: date("filters.toDate", filters.and_then(|f| f.to_date.as_deref()))?,
        })
    }
}

impl JobSelection {
    /// Whether the job `id`, created at `created` (epoch seconds), is selected.
    pub(crate) fn selects(&self, id: &str, created: i64) -> bool {
        (self.ids.is_empty() || self.ids.iter().any(|i| i == id))
            && self.from.is_none_or(|f| created >= f)
            && self.to.is_none_or(|t| created <= t)
    }
}

fn date(field: &str, text: Option<&str>) -> Result<Option<i64>, ApiError> {
    text.map(|t| parse_iso(t).ok_or_else(|| validation(field, "must be an ISO 8601 date-time")))
        .transpose()
}

/// `DescribeJobs`: newest first, filtered by id and creation time.
pub(super) fn describe_jobs(world: &mut Scope<'_>, input: JobsInput) -> Result<Value, ApiError> {
    let selection = input.selection()?;
    let (account, region) = (world.account_id, world.region);
    let items: Vec<Value> = world
        .drs
        .recovery
        .jobs
        .iter()
        .rev()
        .filter(|j| selection.selects(&j.id, j.created))
        .map(|j| render_job(j, account, region))
        .collect();
    paged(&items, input.next_token.as_deref(), input.max_results)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LogInput {
    #[serde(rename = "jobID")]
    job_id: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// `DescribeJobLogItems`: the job's log, oldest first.
pub(super) fn describe_log(world: &mut Scope<'_>, input: LogInput) -> Result<Value, ApiError> {
    let id = input
        .job_id
        .ok_or_else(|| validation("jobID", "is required"))?;
    if !well_formed(&id, "drsjob-", 24) {
        return Err(validation(
            "jobID",
            "must match the pattern drsjob-[0-9a-zA-Z]{17}",
        ));
    }
    let items: Vec<Value> = world
        .drs
        .recovery
        .jobs
        .iter()
        .filter(|j| j.id == id)
        .flat_map(|j| &j.log)
        .map(|l| json!({"logDateTime": iso(l.at), "event": l.event, "eventData": l.data}))
        .collect();
    paged(&items, input.next_token.as_deref(), input.max_results)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InstancesInput {
    #[serde(default)]
    filters: Option<InstancesFilters>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct InstancesFilters {
    #[serde(rename = "recoveryInstanceIDs", default)]
    recovery_instance_ids: Vec<String>,
    #[serde(rename = "sourceServerIDs", default)]
    source_server_ids: Vec<String>,
}

/// `DescribeRecoveryInstances`: in launch order, filtered by instance and source server.
pub(super) fn describe_instances(
    world: &mut Scope<'_>,
    input: InstancesInput,
) -> Result<Value, ApiError> {
    let f = input.filters.unwrap_or_default();
    if f.recovery_instance_ids.len() > MAX_PER_CALL || f.source_server_ids.len() > MAX_PER_CALL {
        return Err(validation(
            "filters",
            "at most 200 recoveryInstanceIDs and 200 sourceServerIDs",
        ));
    }
    let (account, region) = (world.account_id, world.region);
    let items: Vec<Value> = world
        .drs
        .recovery
        .instances
        .iter()
        .filter(|i| f.recovery_instance_ids.is_empty() || f.recovery_instance_ids.contains(&i.id))
        .filter(|i| {
            f.source_server_ids.is_empty() || f.source_server_ids.contains(&i.source_server_id)
        })
        .map(|i| render_instance(i, account, region))
        .collect();
    paged(&items, input.next_token.as_deref(), input.max_results)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SnapshotsInput {
    #[serde(rename = "sourceServerID")]
    source_server_id: Option<String>,
    #[serde(default)]
    filters: Option<SnapshotFilters>,
    order: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotFilters {
    from_date_time: Option<String>,
    to_date_time: Option<String>,
}

/// `DescribeRecoverySnapshots`: one server's snapshots, oldest first unless `order` is DESC.
pub(super) fn describe_snapshots(
    world: &mut Scope<'_>,
    input: SnapshotsInput,
) -> Result<Value, ApiError> {
    let id = input
        .source_server_id
        .ok_or_else(|| validation("sourceServerID", "is required"))?;
    if !well_formed(&id, "s-", 19) {
        return Err(validation(
            "sourceServerID",
            "must match the pattern s-[0-9a-zA-Z]{17}",
        ));
    }
    let descending = match input.order.as_deref() {
        None | Some("ASC") => false,
        Some("DESC") => true,
        Some(other) => {
            return Err(validation(
                "order",
                &format!("must be ASC or DESC, got {other:?}"),
            ))
        }
    };
    let f = input.filters.unwrap_or_default();
    let from = date("filters.fromDateTime", f.from_date_time.as_deref())?;
    let to = date("filters.toDateTime", f.to_date_time.as_deref())?;
    let mut list: Vec<&Snapshot> = world
        .drs
        .recovery
        .snapshots
        .get(&id)
        .into_iter()
        .flatten()
        .filter(|s| from.is_none_or(|t| s.at >= t) && to.is_none_or(|t| s.at <= t))
        .collect();
    list.sort_by_key(|s| s.at);
    if descending {
        list.reverse();
    }
    let items: Vec<Value> = list.into_iter().map(render_snapshot).collect();
    paged(&items, input.next_token.as_deref(), input.max_results)
}

impl Drs {
    /// Makes the next launch of source server `id` fail (admin API).
    pub fn fail_next_launch(&mut self, id: &str) -> Result<(), String> {
        if !self.by_id.contains_key(id) {
            return Err(format!("no source server {id}"));
        }
        self.recovery.fail_next_launch(id);
        Ok(())
    }
}
