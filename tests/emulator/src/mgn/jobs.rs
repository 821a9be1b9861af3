//! MGN jobs: `StartTest` (a LAUNCH job), `TerminateTargetInstances` (a TERMINATE job),
//! `DescribeJobs` and `DescribeJobLogItems`. A job moves PENDING → STARTED → COMPLETED, one
//! state per step, and its servers PENDING → IN_PROGRESS → LAUNCHED (or FAILED) / TERMINATED.
//!
//! Shapes are the model's Job, ParticipatingServer and JobLog; the quotas are "AWS Application
//! Migration Service endpoints and quotas" (General Reference).

use super::{conflict, validation, Launched, Mgn, Place, SourceServer};
use crate::drs::recovery::JobsInput;
use crate::fixture::{check_tags, is_mgn_id, MgnLifeCycleState, MgnTestInitiated};
use crate::protocol::ApiError;
use crate::util::{hex, iso};
use crate::world::Scope;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Launch,
    Terminate,
}

/// The model's JobStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pending,
    Started,
    Completed,
}

/// One participating server of a job.
#[derive(Debug, Clone)]
struct Participant {
    id: String,
    /// The model's LaunchStatus.
    launch_status: &'static str,
    instance: Option<String>,
}

/// One entry of a job's log (the model's JobLog).
#[derive(Debug, Clone)]
struct LogItem {
    at: i64,
    event: &'static str,
    data: Value,
}

/// One job.
#[derive(Debug, Clone)]
pub(super) struct Job {
    pub(super) id: String,
    kind: Kind,
    created: i64,
    ended: Option<i64>,
    status: Status,
    servers: Vec<Participant>,
    pub(super) tags: BTreeMap<String, String>,
    log: Vec<LogItem>,
}

impl Job {
    /// The job as `DescribeJobs` shows it.
    pub(super) fn render(&self, at: &Place<'_>) -> Value {
        let servers: Vec<Value> = self
            .servers
            .iter()
            .map(|p| {
                let mut out = json!({"sourceServerID": p.id, "launchStatus": p.launch_status});
                if let Some(instance) = &p.instance {
                    out["launchedEc2InstanceID"] = json!(instance);
                }
                out
            })
            .collect();
        let (kind, initiated_by) = match self.kind {
            Kind::Launch => ("LAUNCH", "START_TEST"),
            Kind::Terminate => ("TERMINATE", "TERMINATE"),
        };
        let mut out = json!({
            "jobID": self.id,
            "arn": at.arn(&format!("job/{}", self.id)),
            "type": kind,
            "initiatedBy": initiated_by,
            "creationDateTime": iso(self.created),
            "status": match self.status {
                Status::Pending => "PENDING",
                Status::Started => "STARTED",
                Status::Completed => "COMPLETED",
            },
            "participatingServers": servers,
            "tags": self.tags,
        });
        if let Some(ended) = self.ended {
            out["endDateTime"] = json!(iso(ended));
        }
        out
    }

    fn log(&mut self, at: i64, event: &'static str, data: Value) {
        self.log.push(LogItem { at, event, data });
    }
}

/// The job not yet COMPLETED that server `id` takes part in ("Max concurrent Jobs per Source
/// Server": 1).
pub(super) fn active_job_of<'a>(mgn: &'a Mgn, id: &str) -> Option<&'a str> {
    mgn.jobs
        .iter()
        .filter(|j| j.status != Status::Completed)
        .find(|j| j.servers.iter().any(|p| p.id == id))
        .map(|j| j.id.as_str())
}

/// Moves every open job one state on; whether anything changed.
pub(super) fn step(mgn: &mut Mgn, now: i64, rng: &mut fastrand::Rng) -> bool {
    let mut changed = false;
    let Mgn {
        jobs,
        servers,
        by_id,
        ..
    } = mgn;
    for job in jobs.iter_mut().filter(|j| j.status != Status::Completed) {
        changed = true;
        if job.status == Status::Pending {
            job.status = Status::Started;
            for p in &mut job.servers {
                p.launch_status = "IN_PROGRESS";
            }
            if job.kind == Kind::Launch {
                let ids: Vec<String> = job.servers.iter().map(|p| p.id.clone()).collect();
                for id in ids {
                    job.log(now, "LAUNCH_START", json!({"sourceServerID": id}));
                }
            }
            continue;
        }
        job.status = Status::Completed;
        job.ended = Some(now);
        let mut entries = Vec::new();
        for p in &mut job.servers {
            let Some(server) = by_id.get(&p.id).and_then(|i| servers.get_mut(*i)) else {
                continue;
            };
            match job.kind {
                Kind::Launch => complete_launch(&job.id, p, server, rng, &mut entries),
                Kind::Terminate => {
                    p.launch_status = "TERMINATED";
                    server.launched = None;
                }
            }
        }
        for (event, data) in entries {
            job.log(now, event, data);
        }
        job.log(now, "JOB_END", json!({}));
    }
    changed
}

/// The end of one server's test launch: LAUNCHED with a new instance that becomes the server's
/// `launchedInstance`, or FAILED with a LAUNCH_FAILED log entry when the admin API asked for it.
fn complete_launch(
    job_id: &str,
    p: &mut Participant,
    server: &mut SourceServer,
    rng: &mut fastrand::Rng,
    entries: &mut Vec<(&'static str, Value)>,
) {
    if let Some(raw) = server.launch_failure.take() {
        p.launch_status = "FAILED";
        entries.push((
            "LAUNCH_FAILED",
            json!({"sourceServerID": p.id, "rawError": raw}),
        ));
        return;
    }
    let instance = format!("i-{}", hex(rng, 17));
    p.launch_status = "LAUNCHED";
    p.instance = Some(instance.clone());
    entries.push((
        "CONVERSION_END",
        json!({"sourceServerID": p.id, "targetInstanceID": instance}),
    ));
    server.launched = Some(Launched {
        ec2_instance_id: instance,
        job_id: job_id.to_owned(),
    });
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct JobInput {
    #[serde(rename = "sourceServerIDs")]
    source_server_ids: Option<Vec<String>>,
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
}

/// The servers a StartTest or TerminateTargetInstances request names: 1..200 well-formed ids
/// (the model's StartTestRequestSourceServerIDs), no id twice, and the job tags within the
/// model's TagsMap. The model declares no ResourceNotFoundException for these operations; an
/// unknown id is refused with a ValidationException (assumption).
fn job_servers(world: &Scope<'_>, input: &JobInput) -> Result<Vec<usize>, ApiError> {
    let ids = input
        .source_server_ids
        .as_ref()
        .ok_or_else(|| validation("sourceServerIDs", "is required"))?;
    if ids.is_empty() || ids.len() > 200 {
        return Err(validation("sourceServerIDs", "between 1 and 200 ids"));
    }
    if let Some(bad) = ids.iter().find(|id| !is_mgn_id(id, "s-")) {
        return Err(validation(
            "sourceServerIDs",
            &format!("{bad:?} does not match the pattern s-[0-9a-zA-Z]{{17}}"),
        ));
    }
    if ids.iter().collect::<BTreeSet<_>>().len() != ids.len() {
        return Err(validation("sourceServerIDs", "an id appears twice"));
    }
    if let Some(tags) = &input.tags {
        check_tags("tags", tags).map_err(|(field, why)| validation(&field, &why))?;
    }
    let unknown: Vec<&str> = ids
        .iter()
        .filter(|id| !world.mgn.by_id.contains_key(*id))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(validation(
            "sourceServerIDs",
            &format!("no such source servers: {}", unknown.join(", ")),
        ));
    }
    Ok(ids.iter().map(|id| world.mgn.by_id[id]).collect())
}

/// Refuses a job over the job quotas with a ConflictException naming the quota: StartTest and
/// TerminateTargetInstances declare no ServiceQuotaExceededException (model), so a 409 is the
/// emulator's assumption.
fn check_job_quotas(world: &Scope<'_>, indexes: &[usize]) -> Result<(), ApiError> {
    let q = world.mgn.quotas;
    let ids: Vec<(String, String)> = indexes
        .iter()
        .map(|i| {
            let id = world.mgn.servers[*i].spec.source_server_id.clone();
            (id, "job quota exceeded".to_owned())
        })
        .collect();
    if indexes.len() > q.servers_per_job {
        return Err(conflict(
            "MAX_SOURCE_SERVERS_IN_JOB_EXCEEDED",
            &format!(
                "A job can have at most {} source servers, this one would have {}",
                q.servers_per_job,
                indexes.len()
            ),
            &ids,
        ));
    }
    let open: Vec<&Job> = world
        .mgn
        .jobs
        .iter()
        .filter(|j| j.status != Status::Completed)
        .collect();
    if open.len() >= q.concurrent_jobs {
        return Err(conflict(
            "CONCURRENT_JOBS_EXCEEDED",
            &format!(
                "{} jobs are in progress, the quota of concurrent jobs is {}",
                open.len(),
                q.concurrent_jobs
            ),
            &ids,
        ));
    }
    let busy: usize = open.iter().map(|j| j.servers.len()).sum();
    if busy + indexes.len() > q.servers_in_active_jobs {
        return Err(conflict(
            "MAX_SOURCE_SERVERS_IN_ALL_JOBS_EXCEEDED",
            &format!(
                "{busy} source servers are in jobs in progress; {} more would exceed the quota of {}",
                indexes.len(),
                q.servers_in_active_jobs
            ),
            &ids,
        ));
    }
    Ok(())
}

/// Each server of `indexes` that `refuse` names a reason for, as a ConflictException listing
/// every one of them in `errors`.
fn refuse_each(
    world: &Scope<'_>,
    indexes: &[usize],
    code: &str,
    op: &str,
    refuse: impl Fn(&SourceServer) -> Option<String>,
) -> Result<(), ApiError> {
    let refused: Vec<(String, String)> = indexes
        .iter()
        .filter_map(|i| {
            let s = &world.mgn.servers[*i];
            refuse(s).map(|why| (s.spec.source_server_id.clone(), why))
        })
        .collect();
    if refused.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = refused.iter().map(|(id, _)| id.as_str()).collect();
    Err(conflict(
        code,
        &format!("Cannot {op} for source servers {}", names.join(", ")),
        &refused,
    ))
}

/// The reason a server takes part in no new job: archived, or in a job in progress ("Max
/// concurrent Jobs per Source Server": 1).
fn busy(mgn: &Mgn, s: &SourceServer) -> Option<String> {
    let id = &s.spec.source_server_id;
    if s.archived {
        return Some(format!("source server {id} is archived"));
    }
    active_job_of(mgn, id).map(|job| format!("source server {id} is already in job {job}"))
}

/// A new job of `kind` for `indexes`, with a JOB_START log entry; returns its id.
fn new_job(
    world: &mut Scope<'_>,
    kind: Kind,
    indexes: &[usize],
    tags: BTreeMap<String, String>,
) -> String {
    let now = world.now();
    let id = format!("mgnjob-{}", hex(world.rng, 17));
    let servers = indexes
        .iter()
        .map(|i| {
            let s = &world.mgn.servers[*i];
            Participant {
                id: s.spec.source_server_id.clone(),
                launch_status: "PENDING",
                instance: match kind {
                    Kind::Launch => None,
                    Kind::Terminate => s.launched.as_ref().map(|l| l.ec2_instance_id.clone()),
                },
            }
        })
        .collect();
    let mut job = Job {
        id: id.clone(),
        kind,
        created: now,
        ended: None,
        status: Status::Pending,
        servers,
        tags,
        log: Vec::new(),
    };
    job.log(now, "JOB_START", json!({}));
    world.mgn.jobs.push(job);
    id
}

/// The answer of StartTest and TerminateTargetInstances: `{"job": Job}`.
fn job_answer(world: &Scope<'_>, id: &str) -> Value {
    let at = Place::of(world);
    let job = world.mgn.jobs.iter().find(|j| j.id == id);
    json!({ "job": job.map(|j| j.render(&at)) })
}

/// `StartTest`: "starts a LAUNCH job whose initiatedBy property is StartTest and changes the
/// SourceServer.lifeCycle.state property to TESTING" (model), answered 202. A server must be
/// launchable: READY_FOR_TEST ("Test or Cutover instances can now be launched", MGN Migration
/// Life Cycle), or TESTING / READY_FOR_CUTOVER for a new test (assumption), with a lag; every
/// other server, an archived one, or one already in a job is refused with a ConflictException
/// naming each.
pub(super) fn start_test(world: &mut Scope<'_>, input: JobInput) -> Result<Value, ApiError> {
    let indexes = job_servers(world, &input)?;
    let mgn = &*world.mgn;
    refuse_each(
        world,
        &indexes,
        "SOURCE_SERVER_NOT_LAUNCHABLE",
        "start a test",
        |s| {
            if let Some(why) = busy(mgn, s) {
                return Some(why);
            }
            let ready = matches!(
                s.life_cycle,
                MgnLifeCycleState::ReadyForTest
                    | MgnLifeCycleState::Testing
                    | MgnLifeCycleState::ReadyForCutover
            );
            (!ready || s.lag.is_none()).then(|| {
                format!(
                    "source server {} is not ready for testing (lifecycle state {})",
                    s.spec.source_server_id,
                    s.life_cycle.as_str()
                )
            })
        },
    )?;
    check_job_quotas(world, &indexes)?;
    let now = world.now();
    let id = new_job(
        world,
        Kind::Launch,
        &indexes,
        input.tags.unwrap_or_default(),
    );
    for i in &indexes {
        let s = &mut world.mgn.servers[*i];
        s.life_cycle = MgnLifeCycleState::Testing;
        s.last_test.initiated = Some(MgnTestInitiated {
            api_call_date_time: iso(now),
            job_id: Some(id.clone()),
        });
        s.last_test.reverted = None;
        s.last_test.finalized = None;
    }
    Ok(job_answer(world, &id))
}

/// `TerminateTargetInstances`: "terminates specific launched EC2 Test and Cutover instances.
/// This command will not work for any Source Server with a lifecycle.state of TESTING,
/// CUTTING_OVER, or CUTOVER" (model), answered 202; a server without a launched instance, an
/// archived one or one already in a job is refused too (assumption). The TERMINATE job clears
/// the servers' `launchedInstance` when it completes.
pub(super) fn terminate(world: &mut Scope<'_>, input: JobInput) -> Result<Value, ApiError> {
    let indexes = job_servers(world, &input)?;
    let mgn = &*world.mgn;
    refuse_each(
        world,
        &indexes,
        "SOURCE_SERVER_NOT_TERMINABLE",
        "terminate target instances",
        |s| {
            let id = &s.spec.source_server_id;
            if matches!(
                s.life_cycle,
                MgnLifeCycleState::Testing
                    | MgnLifeCycleState::CuttingOver
                    | MgnLifeCycleState::Cutover
            ) {
                return Some(format!(
                    "source server {id} is {}: its instances cannot be terminated",
                    s.life_cycle.as_str()
                ));
            }
            if let Some(why) = busy(mgn, s) {
                return Some(why);
            }
            s.launched
                .is_none()
                .then(|| format!("source server {id} has no launched instance"))
        },
    )?;
    check_job_quotas(world, &indexes)?;
    let id = new_job(
        world,
        Kind::Terminate,
        &indexes,
        input.tags.unwrap_or_default(),
    );
    Ok(job_answer(world, &id))
}

/// `DescribeJobs`: "sorted by creationDataTime - latest date first" (model), filtered by
/// `jobIDs` (at most 1000) and the creation time range.
pub(super) fn describe_jobs(world: &mut Scope<'_>, input: JobsInput) -> Result<Value, ApiError> {
    let selection = input.selection()?;
    let at = Place::of(world);
    let items: Vec<Value> = world
        .mgn
        .jobs
        .iter()
        .rev()
        .filter(|j| selection.selects(&j.id, j.created))
        .map(|j| j.render(&at))
        .collect();
    super::paged(&items, input.next_token.as_deref(), input.max_results)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LogInput {
    #[serde(rename = "jobID")]
    job_id: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// `DescribeJobLogItems`: the job's log, oldest first. The model declares no
/// ResourceNotFoundException, so an unknown job has an empty log (assumption, as for DRS).
pub(super) fn describe_log(world: &mut Scope<'_>, input: LogInput) -> Result<Value, ApiError> {
    let id = input
        .job_id
        .ok_or_else(|| validation("jobID", "is required"))?;
    if !is_mgn_id(&id, "mgnjob-") {
        return Err(validation(
            "jobID",
            "must match the pattern mgnjob-[0-9a-zA-Z]{17}",
        ));
    }
    let items: Vec<Value> = world
        .mgn
        .jobs
        .iter()
        .filter(|j| j.id == id)
        .flat_map(|j| &j.log)
        .map(|l| json!({"logDateTime": iso(l.at), "event": l.event, "eventData": l.data}))
        .collect();
    super::paged(&items, input.next_token.as_deref(), input.max_results)
}
