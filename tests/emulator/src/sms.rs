//! Server Migration Service (awsJson1.1): the server catalog, replication jobs and their runs.
//!
//! A job starts PENDING with an automatic run scheduled at the seed time. Each step starts the
//! earliest due PENDING run (job ACTIVE) or finishes the ACTIVE one, COMPLETED, or FAILED while
//! the server still has `failRuns` left. A failed run makes the job FAILING; the third failure in
//! a row pauses a recurring job (PAUSED_ON_FAILURE) and fails a one-time job at the first failure.
//! Recurring jobs schedule their next automatic run `frequency` hours after a run ends.
//!
//! Sources: the SMS API reference (operations, members, error codes; `aws-models/sms.service-2.json`)
//! and the SMS user guide pages "Replicating VMs using the AWS SMS console" and "... using the
//! CLI". Where they say nothing, the rule is an assumption and says so; the emulator README lists
//! them all.

use crate::fixture::{SmsFixture, SmsServer};
use crate::protocol::{ApiError, Service, SMS_TARGET_PREFIX};
use crate::util::{hex, page};
use crate::world::{AwsRequest, Scope};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Default page size of the list operations.
const DEFAULT_PAGE: usize = 50;
/// Consecutive failed runs that pause a recurring job. Assumption: the user guide says jobs are
/// paused on "consecutive failures" without a number.
const FAILURES_TO_PAUSE: u32 = 3;
/// On-demand runs allowed per job in any 24 hours ("up to two on-demand replication runs per
/// 24-hour period", user guide).
const ON_DEMAND_PER_DAY: usize = 2;
/// How far ahead a seed time may be ("up to 30 days in the future", user guide, console).
const MAX_SEED_AHEAD: i64 = 30 * 86_400;
/// Frequency of a recurring job created without one, hours. Assumption: the API documents no
/// default; 12 is the user guide's CLI example.
const DEFAULT_FREQUENCY: i64 = 12;

#[derive(Debug, Clone)]
struct Run {
    id: String,
    state: String,
    kind: &'static str,
    scheduled: i64,
    requested: i64,
    completed: Option<i64>,
    status_message: Option<String>,
    ami: Option<String>,
    description: Option<String>,
    encrypted: bool,
    kms_key_id: Option<String>,
}

#[derive(Debug, Clone)]
struct Job {
    id: String,
    server_id: String,
    seed: i64,
    frequency: Option<i64>,
    run_once: bool,
    license: Option<String>,
    role_name: String,
    description: Option<String>,
    amis_to_keep: Option<i64>,
    encrypted: bool,
    kms_key_id: Option<String>,
    state: String,
    status_message: Option<String>,
    latest_ami: Option<String>,
    failures_in_a_row: u32,
    runs: Vec<Run>,
}

impl Job {
    fn terminal(&self) -> bool {
        ["FAILED", "COMPLETED", "DELETING", "DELETED"].contains(&self.state.as_str())
    }

    fn next_automatic(&self) -> Option<i64> {
        self.runs
            .iter()
            .filter(|r| r.state == "PENDING" && r.kind == "AUTOMATIC")
            .map(|r| r.scheduled)
            .min()
    }
}

/// SMS state.
#[derive(Debug, Clone)]
pub struct Sms {
    catalog_status: String,
    servers: Vec<SmsServer>,
    failures_left: HashMap<String, u32>,
    jobs: Vec<Job>,
}

/// The operation named by `X-Amz-Target`.
pub fn operation(headers: &HeaderMap) -> String {
    headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(|t| t.strip_prefix(SMS_TARGET_PREFIX).unwrap_or(t).to_owned())
        .unwrap_or_default()
}

impl Sms {
    /// SMS as a fixture section describes it.
    pub fn new(fixture: &SmsFixture) -> Self {
        Self {
            catalog_status: fixture.catalog_status.clone(),
            failures_left: fixture
                .servers
                .iter()
                .map(|s| (s.server_id.clone(), s.fail_runs))
                .collect(),
            servers: fixture.servers.clone(),
            jobs: Vec::new(),
        }
    }

    /// Moves every job one step on; whether anything changed.
    pub fn step(&mut self, now: i64, rng: &mut fastrand::Rng) -> bool {
        let mut changed = false;
        let before = self.jobs.len();
        self.jobs.retain(|j| j.state != "DELETED");
        changed |= self.jobs.len() != before;
        for i in 0..self.jobs.len() {
            changed |= self.step_job(i, now, rng);
        }
        changed
    }

    fn step_job(&mut self, i: usize, now: i64, rng: &mut fastrand::Rng) -> bool {
        let job = &mut self.jobs[i];
        if job.state == "DELETING" {
            job.state = "DELETED".into();
            for run in &mut job.runs {
                run.state = "DELETED".into();
            }
            return true;
        }
        if job.terminal() {
            return false;
        }
        if let Some(r) = job.runs.iter().position(|r| r.state == "ACTIVE") {
            let left = self.failures_left.entry(job.server_id.clone()).or_default();
            let fail = *left > 0;
            *left = left.saturating_sub(1);
            skip_missed(job, now, rng);
            finish_run(job, r, fail, now, rng);
            return true;
        }
        let due = job
            .runs
            .iter()
            .enumerate()
            .filter(|(_, r)| r.state == "PENDING" && r.scheduled <= now)
            .min_by_key(|(_, r)| r.scheduled)
            .map(|(r, _)| r);
        let Some(r) = due else {
            return false;
        };
        job.runs[r].state = "ACTIVE".into();
        // Assumption: a run that starts resumes a paused job (no API documents the resume).
        if job.state == "PENDING" || job.state == "PAUSED_ON_FAILURE" {
            job.state = "ACTIVE".into();
        }
        true
    }

    /// Lists a scheduled (`AUTOMATIC`) run at `at` for a job that is not terminal, in place of
    /// its next scheduled run, without changing the job's state (admin API). What SMS lists as
    /// the next run of a paused job is not documented: the emulator drops it when it pauses a
    /// job, and this shows the other case. Returns the run's id.
    pub fn schedule_run(
        &mut self,
        job_id: &str,
        at: i64,
        now: i64,
        rng: &mut fastrand::Rng,
    ) -> Result<String, String> {
        let job = self
            .jobs
            .iter_mut()
            .find(|j| j.id == job_id && j.state != "DELETED")
            .ok_or_else(|| format!("no replication job {job_id}"))?;
        if job.terminal() {
            return Err(format!("replication job {job_id} is {}", job.state));
        }
        job.runs
            .retain(|r| !(r.state == "PENDING" && r.kind == "AUTOMATIC"));
        let run = new_run(job, "AUTOMATIC", at, now, None, rng);
        let id = run.id.clone();
        job.runs.push(run);
        Ok(id)
    }

    /// The state dump.
    pub fn snapshot(&self, now: i64) -> Value {
        json!({
            "catalogStatus": self.catalog_status,
            "servers": self.servers.iter().map(|s| self.render_server(s)).collect::<Vec<_>>(),
            "failRunsLeft": self.failures_left,
            "replicationJobs": self.jobs.iter().map(|j| self.render_job(j, now)).collect::<Vec<_>>(),
        })
    }

    fn server(&self, id: &str) -> Option<&SmsServer> {
        self.servers.iter().find(|s| s.server_id == id)
    }

    fn live_job(&self, server_id: &str) -> Option<&Job> {
        self.jobs
            .iter()
            .rev()
            .find(|j| j.server_id == server_id && j.state != "DELETED")
    }

    fn render_server(&self, s: &SmsServer) -> Value {
        let mut out = json!({
            "serverId": s.server_id,
            "serverType": "VIRTUAL_MACHINE",
            "vmServer": vm_server(s),
        });
        if let Some(job) = self.live_job(&s.server_id) {
            out["replicationJobId"] = json!(job.id);
            out["replicationJobTerminated"] = json!(job.terminal());
        }
        out
    }

    fn render_job(&self, j: &Job, now: i64) -> Value {
        let mut out = json!({
            "replicationJobId": j.id,
            "serverId": j.server_id,
            "serverType": "VIRTUAL_MACHINE",
            "seedReplicationTime": j.seed,
            "runOnce": j.run_once,
            "roleName": j.role_name,
            "state": j.state,
            "encrypted": j.encrypted,
            "replicationRunList": runs_newest_first(j).into_iter().map(render_run).collect::<Vec<_>>(),
        });
        if let Some(s) = self.server(&j.server_id) {
            out["vmServer"] = vm_server(s);
        }
        let optional = [
            ("frequency", j.frequency.map(Value::from)),
            (
                "nextReplicationRunStartTime",
                j.next_automatic().map(|t| json!(t.max(now))),
            ),
            ("licenseType", j.license.clone().map(Value::from)),
            ("latestAmiId", j.latest_ami.clone().map(Value::from)),
            ("statusMessage", j.status_message.clone().map(Value::from)),
            ("description", j.description.clone().map(Value::from)),
            ("numberOfRecentAmisToKeep", j.amis_to_keep.map(Value::from)),
            ("kmsKeyId", j.kms_key_id.clone().map(Value::from)),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                out[key] = value;
            }
        }
        out
    }
}

/// Marks MISSED a recurring job's scheduled run that fell due while another run was under way,
/// and schedules the next one at the following interval: "the scheduled run is skipped and
/// rescheduled for the next interval" (user guide, console and CLI). MISSED is the model's
/// `ReplicationRunState` for it; that SMS lists the skipped run so is an assumption.
fn skip_missed(job: &mut Job, now: i64, rng: &mut fastrand::Rng) {
    if job.run_once {
        return;
    }
    let Some(r) = job
        .runs
        .iter()
        .position(|r| r.state == "PENDING" && r.kind == "AUTOMATIC" && r.scheduled <= now)
    else {
        return;
    };
    job.runs[r].state = "MISSED".into();
    let interval = job.frequency.unwrap_or(DEFAULT_FREQUENCY).max(1) * 3600;
    let missed = job.runs[r].scheduled;
    let next = missed + interval * ((now - missed) / interval + 1);
    let run = new_run(job, "AUTOMATIC", next, now, None, rng);
    job.runs.push(run);
}

/// Ends the ACTIVE run `r` of `job` and applies the failure policy.
fn finish_run(job: &mut Job, r: usize, fail: bool, now: i64, rng: &mut fastrand::Rng) {
    let run = &mut job.runs[r];
    run.completed = Some(now);
    if fail {
        run.state = "FAILED".into();
        run.status_message = Some(
            "Replication run failed: the connector could not read the VM's disks (emulated failure)"
                .into(),
        );
        job.failures_in_a_row += 1;
        // Assumption: a one-time job is never paused; the guide describes pausing for the job's
        // consecutive runs, which a one-time job does not have.
        if job.run_once {
            job.state = "FAILED".into();
            job.status_message = Some(
                "One-time replication job failed: its replication run failed (one-time jobs are not paused on failure)".into(),
            );
            return;
        }
        // The console's "Pause replication job on consecutive failures" (user guide). Assumption:
        // a paused job lists no next scheduled run (what SMS lists is not documented;
        // `schedule_run` shows the other case).
        if job.failures_in_a_row >= FAILURES_TO_PAUSE {
            job.state = "PAUSED_ON_FAILURE".into();
            job.status_message = Some(format!(
                "Replication job paused after {} consecutive failed replication runs; resume it with an on-demand run or a new nextReplicationRunStartTime",
                job.failures_in_a_row
            ));
            job.runs
                .retain(|run| !(run.state == "PENDING" && run.kind == "AUTOMATIC"));
            return;
        }
        job.state = "FAILING".into();
        job.status_message = Some(format!(
            "{} consecutive replication runs failed",
            job.failures_in_a_row
        ));
    } else {
        let ami = format!("ami-{}", hex(rng, 17));
        run.state = "COMPLETED".into();
        run.ami = Some(ami.clone());
        job.latest_ami = Some(ami);
        job.failures_in_a_row = 0;
        job.status_message = None;
        if job.run_once {
            job.state = "COMPLETED".into();
            return;
        }
        job.state = "ACTIVE".into();
    }
    if job.next_automatic().is_none() {
        let hours = job.frequency.unwrap_or(DEFAULT_FREQUENCY);
        let run = new_run(job, "AUTOMATIC", now + hours * 3600, now, None, rng);
        job.runs.push(run);
    }
}

fn new_run(
    job: &Job,
    kind: &'static str,
    scheduled: i64,
    now: i64,
    description: Option<String>,
    rng: &mut fastrand::Rng,
) -> Run {
    Run {
        id: format!("sms-run-{}", hex(rng, 17)),
        state: "PENDING".into(),
        kind,
        scheduled,
        requested: now,
        completed: None,
        status_message: None,
        ami: None,
        description,
        encrypted: job.encrypted,
        kms_key_id: job.kms_key_id.clone(),
    }
}

fn vm_server(s: &SmsServer) -> Value {
    json!({
        "vmServerAddress": {"vmManagerId": s.vm_manager_id, "vmId": s.vm_id},
        "vmName": s.vm_name,
        "vmManagerName": s.vm_manager_name,
        "vmManagerType": s.vm_manager_type,
        "vmPath": s.vm_path,
    })
}

fn runs_newest_first(j: &Job) -> Vec<&Run> {
    let mut runs: Vec<&Run> = j.runs.iter().collect();
    runs.reverse();
    runs
}

fn render_run(r: &Run) -> Value {
    let (stage, progress) = match r.state.as_str() {
        "PENDING" => ("WAITING", "0%"),
        "ACTIVE" => ("UPLOADING", "50%"),
        "COMPLETED" => ("COMPLETED", "100%"),
        _ => ("STOPPED", "0%"),
    };
    let mut out = json!({
        "replicationRunId": r.id,
        "state": r.state,
        "type": r.kind,
        "stageDetails": {"stage": stage, "stageProgress": progress},
        "scheduledStartTime": r.scheduled,
        "encrypted": r.encrypted,
    });
    let optional = [
        ("completedTime", r.completed.map(Value::from)),
        ("statusMessage", r.status_message.clone().map(Value::from)),
        ("amiId", r.ami.clone().map(Value::from)),
        ("description", r.description.clone().map(Value::from)),
        ("kmsKeyId", r.kms_key_id.clone().map(Value::from)),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            out[key] = value;
        }
    }
    out
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidParameterException", message)
}

fn missing(name: &str) -> ApiError {
    ApiError::new(
        "MissingRequiredParameterException",
        format!("{name} is required"),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    next_token: Option<String>,
    max_results: Option<i64>,
    replication_job_id: Option<String>,
    #[serde(default)]
    vm_server_address_list: Vec<VmAddress>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VmAddress {
    vm_manager_id: Option<String>,
    vm_id: Option<String>,
}

/// The options `CreateReplicationJob` and `UpdateReplicationJob` share.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobInput {
    server_id: Option<String>,
    replication_job_id: Option<String>,
    seed_replication_time: Option<f64>,
    next_replication_run_start_time: Option<f64>,
    frequency: Option<i64>,
    run_once: Option<bool>,
    license_type: Option<String>,
    role_name: Option<String>,
    description: Option<String>,
    number_of_recent_amis_to_keep: Option<i64>,
    encrypted: Option<bool>,
    kms_key_id: Option<String>,
}

/// Runs one SMS operation.
pub fn execute(world: &mut Scope<'_>, op: &str, req: &AwsRequest) -> Result<Value, ApiError> {
    match op {
        "GetServers" => get_servers(world, req.json(Service::Sms)?),
        "GetReplicationJobs" => get_jobs(world, req.json(Service::Sms)?),
        "GetReplicationRuns" => get_runs(world, req.json(Service::Sms)?),
        "CreateReplicationJob" => create_job(world, req.json(Service::Sms)?),
        "UpdateReplicationJob" => update_job(world, req.json(Service::Sms)?),
        "DeleteReplicationJob" => delete_job(world, req.json(Service::Sms)?),
        "StartOnDemandReplicationRun" => start_run(world, req.json(Service::Sms)?),
        _ => Err(ApiError::unknown_operation(Service::Sms, op)),
    }
}

fn page_size(max: Option<i64>) -> Result<usize, ApiError> {
    match max {
        None => Ok(DEFAULT_PAGE),
        Some(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(DEFAULT_PAGE)),
        Some(n) => Err(invalid(format!("maxResults must be positive, got {n}"))),
    }
}

fn paged(
    items: Vec<Value>,
    token: Option<&str>,
    max: usize,
) -> Result<(Vec<Value>, Option<String>), ApiError> {
    page(&items, token, max).map_err(|e| invalid(e.to_string()))
}

fn get_servers(world: &mut Scope<'_>, input: ListInput) -> Result<Value, ApiError> {
    let max = page_size(input.max_results)?;
    let sms = &world.sms;
    let imported = sms.catalog_status == "AVAILABLE";
    let servers: Vec<Value> = sms
        .servers
        .iter()
        .filter(|_| imported)
        .filter(|s| {
            input.vm_server_address_list.is_empty()
                || input.vm_server_address_list.iter().any(|a| {
                    a.vm_manager_id
                        .as_deref()
                        .is_none_or(|m| m == s.vm_manager_id)
                        && a.vm_id.as_deref().is_none_or(|v| v == s.vm_id)
                })
        })
        .map(|s| sms.render_server(s))
        .collect();
    let (items, next) = paged(servers, input.next_token.as_deref(), max)?;
    let mut out = json!({
        "serverList": items,
        "serverCatalogStatus": sms.catalog_status,
        "lastModifiedOn": world.now() - 3600,
    });
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    Ok(out)
}

fn get_jobs(world: &mut Scope<'_>, input: ListInput) -> Result<Value, ApiError> {
    let max = page_size(input.max_results)?;
    let now = world.now();
    let sms = &world.sms;
    let jobs: Vec<Value> = sms
        .jobs
        .iter()
        .filter(|j| j.state != "DELETED")
        .filter(|j| {
            input
                .replication_job_id
                .as_deref()
                .is_none_or(|id| id == j.id)
        })
        .map(|j| sms.render_job(j, now))
        .collect();
    let (items, next) = paged(jobs, input.next_token.as_deref(), max)?;
    let mut out = json!({ "replicationJobList": items });
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    Ok(out)
}

/// The index of a job that is not deleted, or `not_found`'s error.
fn find_job(world: &Scope<'_>, id: Option<&str>, not_found: &str) -> Result<usize, ApiError> {
    let id = id.ok_or_else(|| missing("replicationJobId"))?;
    world
        .sms
        .jobs
        .iter()
        .position(|j| j.id == id && j.state != "DELETED")
        .ok_or_else(|| ApiError::new(not_found, format!("Replication job {id} does not exist")))
}

fn get_runs(world: &mut Scope<'_>, input: ListInput) -> Result<Value, ApiError> {
    let max = page_size(input.max_results)?;
    let i = find_job(
        world,
        input.replication_job_id.as_deref(),
        "InvalidParameterException",
    )?;
    let now = world.now();
    let job = &world.sms.jobs[i];
    let runs: Vec<Value> = runs_newest_first(job).into_iter().map(render_run).collect();
    let (items, next) = paged(runs, input.next_token.as_deref(), max)?;
    let mut out = json!({
        "replicationJob": world.sms.render_job(job, now),
        "replicationRunList": items,
    });
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    Ok(out)
}

/// Checks the options both create and update accept; `os` is the server's operating system.
///
/// License AWS or BYOL (the model's `LicenseType`), Linux servers BYOL only ("Linux servers can
/// only use Bring Your Own License", user guide); a KMS key only with `encrypted` (the API
/// reference's `kmsKeyId`: "for replication jobs that produce encrypted AMIs"); `roleName` a
/// name ("The name of the IAM role"). Assumptions: `frequency` 1 to 24 hours (the API gives no
/// range) and no negative `numberOfRecentAmisToKeep`.
fn validate_options(input: &JobInput, encrypted: bool, os: &str) -> Result<(), ApiError> {
    if let Some(f) = input.frequency {
        if !(1..=24).contains(&f) {
            return Err(invalid(format!("frequency must be 1 to 24 hours, got {f}")));
        }
    }
    if let Some(license) = &input.license_type {
        if license != "AWS" && license != "BYOL" {
            return Err(invalid(format!(
                "licenseType must be AWS or BYOL, got {license}"
            )));
        }
        if license == "AWS" && os == "LINUX" {
            return Err(invalid(
                "licenseType AWS is not available for Linux servers; use BYOL or omit it",
            ));
        }
    }
    if input.kms_key_id.is_some() && !encrypted {
        return Err(invalid("kmsKeyId can only be set when encrypted is true"));
    }
    if let Some(n) = input.number_of_recent_amis_to_keep {
        if n < 0 {
            return Err(invalid(format!(
                "numberOfRecentAmisToKeep must not be negative, got {n}"
            )));
        }
    }
    if let Some(role) = &input.role_name {
        if role.is_empty() || role.contains(':') {
            return Err(invalid(format!(
                "roleName must be a role name, not an ARN: {role}"
            )));
        }
    }
    Ok(())
}

fn create_job(world: &mut Scope<'_>, input: JobInput) -> Result<Value, ApiError> {
    let server_id = input.server_id.clone().ok_or_else(|| missing("serverId"))?;
    let seed = input
        .seed_replication_time
        .ok_or_else(|| missing("seedReplicationTime"))?;
    let now = world.now();
    let server = world
        .sms
        .server(&server_id)
        .ok_or_else(|| invalid(format!("Server {server_id} is not in the server catalog")))?
        .clone();
    // The model's errors: "The specified server cannot be replicated", "The specified replication
    // job already exists".
    if let Some(reason) = &server.cannot_replicate {
        return Err(ApiError::new(
            "ServerCannotBeReplicatedException",
            format!("Server {server_id} cannot be replicated: {reason}"),
        ));
    }
    if let Some(job) = world.sms.live_job(&server_id).filter(|j| !j.terminal()) {
        return Err(ApiError::new(
            "ReplicationJobAlreadyExistsException",
            format!(
                "Replication job {} already exists for server {server_id}",
                job.id
            ),
        ));
    }
    let seed = seed.floor() as i64;
    if seed > now + MAX_SEED_AHEAD {
        return Err(invalid(
            "seedReplicationTime must be within 30 days from now",
        ));
    }
    let encrypted = input.encrypted.unwrap_or(false);
    validate_options(&input, encrypted, &server.os)?;
    let run_once = input.run_once.unwrap_or(false);
    let frequency = match (run_once, input.frequency) {
        (true, f) => f,
        (false, f) => Some(f.unwrap_or(DEFAULT_FREQUENCY)),
    };
    let id = format!("sms-job-{}", hex(world.rng, 17));
    // Without roleName, SMS uses the role named `sms` (user guide, "Configure your AWS account
    // permissions": any other name must be given with each job).
    let mut job = Job {
        id: id.clone(),
        server_id,
        seed,
        frequency,
        run_once,
        license: input.license_type,
        role_name: input.role_name.unwrap_or_else(|| "sms".to_owned()),
        description: input.description,
        amis_to_keep: input.number_of_recent_amis_to_keep,
        encrypted,
        kms_key_id: input.kms_key_id,
        state: "PENDING".into(),
        status_message: None,
        latest_ami: None,
        failures_in_a_row: 0,
        runs: Vec::new(),
    };
    let first = new_run(&job, "AUTOMATIC", seed.max(now), now, None, world.rng);
    job.runs.push(first);
    world.sms.jobs.push(job);
    Ok(json!({ "replicationJobId": id }))
}

fn update_job(world: &mut Scope<'_>, input: JobInput) -> Result<Value, ApiError> {
    let i = find_job(
        world,
        input.replication_job_id.as_deref(),
        "ReplicationJobNotFoundException",
    )?;
    let now = world.now();
    let job = &world.sms.jobs[i];
    if job.terminal() {
        return Err(ApiError::new(
            "OperationNotPermittedException",
            format!(
                "Replication job {} is {} and cannot be updated",
                job.id, job.state
            ),
        ));
    }
    let encrypted = input.encrypted.unwrap_or(job.encrypted);
    let os = world
        .sms
        .server(&job.server_id)
        .map_or_else(|| "WINDOWS".to_owned(), |s| s.os.clone());
    validate_options(&input, encrypted, &os)?;
    let next_start = input
        .next_replication_run_start_time
        .map(|t| t.floor() as i64);
    if let Some(t) = next_start {
        if t > now + MAX_SEED_AHEAD {
            return Err(invalid(
                "nextReplicationRunStartTime must be within 30 days from now",
            ));
        }
    }
    let job = &mut world.sms.jobs[i];
    if !job.run_once {
        job.frequency = input.frequency.or(job.frequency);
    }
    job.license = input.license_type.or(job.license.take());
    if let Some(role) = input.role_name {
        job.role_name = role;
    }
    job.description = input.description.or(job.description.take());
    job.amis_to_keep = input.number_of_recent_amis_to_keep.or(job.amis_to_keep);
    job.encrypted = encrypted;
    job.kms_key_id = input.kms_key_id.or(job.kms_key_id.take());
    if let Some(t) = next_start {
        job.runs
            .retain(|r| !(r.state == "PENDING" && r.kind == "AUTOMATIC"));
        let run = new_run(job, "AUTOMATIC", t.max(now), now, None, world.rng);
        job.runs.push(run);
        // A new start time is how a paused job is resumed: the failure count starts over.
        if job.state == "PAUSED_ON_FAILURE" {
            job.state = "ACTIVE".into();
            job.failures_in_a_row = 0;
            job.status_message = None;
        }
    }
    Ok(json!({}))
}

fn delete_job(world: &mut Scope<'_>, input: JobInput) -> Result<Value, ApiError> {
    let i = find_job(
        world,
        input.replication_job_id.as_deref(),
        "ReplicationJobNotFoundException",
    )?;
    let job = &mut world.sms.jobs[i];
    job.state = "DELETING".into();
    for run in &mut job.runs {
        if run.state == "PENDING" || run.state == "ACTIVE" {
            run.state = "DELETING".into();
        }
    }
    Ok(json!({}))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartRunInput {
    replication_job_id: Option<String>,
    description: Option<String>,
}

fn start_run(world: &mut Scope<'_>, input: StartRunInput) -> Result<Value, ApiError> {
    let i = find_job(
        world,
        input.replication_job_id.as_deref(),
        "InvalidParameterException",
    )?;
    let now = world.now();
    let job = &world.sms.jobs[i];
    // Assumption: a finished or deleted job takes no run, refused with the model's
    // OperationNotPermittedException ("This operation is not allowed").
    if job.terminal() {
        return Err(ApiError::new(
            "OperationNotPermittedException",
            format!(
                "Replication job {} is {}; on-demand runs need a job that is still replicating",
                job.id, job.state
            ),
        ));
    }
    // "If another replication run is currently active, an on-demand replication run cannot be
    // started" (user guide, CLI). Assumption: SMS answers it with InvalidParameterException.
    if let Some(active) = job.runs.iter().find(|r| r.state == "ACTIVE") {
        return Err(invalid(format!(
            "Replication run {} is already active for job {}; start an on-demand run after it ends",
            active.id, job.id
        )));
    }
    let recent = job
        .runs
        .iter()
        .filter(|r| r.kind == "ON_DEMAND" && r.requested > now - 86_400)
        .count();
    // `ReplicationRunLimitExceededException`: "exceeded the number of on-demand replication runs
    // you can request in a 24-hour period" (API reference).
    if recent >= ON_DEMAND_PER_DAY {
        return Err(ApiError::new(
            "ReplicationRunLimitExceededException",
            format!(
                "Replication job {} already had {recent} on-demand replication runs in the last 24 hours; the limit is {ON_DEMAND_PER_DAY}",
                job.id
            ),
        ));
    }
    let run = new_run(job, "ON_DEMAND", now, now, input.description, world.rng);
    let id = run.id.clone();
    let job = &mut world.sms.jobs[i];
    job.runs.push(run);
    // An on-demand run resumes a paused job; its failure count starts over.
    if job.state == "PAUSED_ON_FAILURE" {
        job.state = "ACTIVE".into();
        job.failures_in_a_row = 0;
        job.status_message = None;
    }
    Ok(json!({ "replicationRunId": id }))
}
