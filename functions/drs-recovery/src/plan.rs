//! Plan: decide, without I/O, what to launch, what to report and what to clean up in every
//! observed target, and why every other server and instance is left alone.
//!
//! A run does up to three things, by trigger:
//! - **Follow-up** (schedules and launch results): each launch job of this function that has
//!   completed and is not yet reported gives one outcome per server, with its measured recovery
//!   time and recovery point; the job is then tagged as reported, so each is reported once.
//!   Launched instances are tagged with the function, mode, job and launch time.
//! - **Cleanup** (schedules): drill instances of this function older than `DRS_DRILL_TTL` are
//!   terminated. An instance goes only when DRS calls it a drill (`isDrill`) *and* this
//!   function's tag or job says it launched it as one: a real recovery's instance is never
//!   terminated, and neither is anyone else's.
//! - **Recovery plan** (`DRS_DRILL_PLAN_ARN`): a schedule runs the plan in DRILL mode instead,
//!   in the target that holds it, with a client token. Its executions are reported once they
//!   end, and the jobs their steps name are followed up as the function's own, so the drill
//!   instances a plan launches, which DRS never terminates [DRS user guide: "Running a recovery
//!   plan"], are tagged and cleaned up like the others.
//! - **Launch**: a schedule drills every selected server, a direct invoke launches its targets
//!   in its mode (a drill unless it says otherwise), an alarm in ALARM recovers the servers it
//!   maps to. A real recovery needs `DRS_RECOVERY_ENABLED` and stays within
//!   `DRS_RECOVERY_MAX_SERVERS` for the run; without the opt-in, each server is reported with
//!   what would have been launched.
//!
//! `StartRecovery` takes no client token [DRS API reference], so the plan itself keeps a
//! redelivered trigger from launching twice: a server in a launch job that has not completed,
//! with a recovery instance that a launch would replace, or launched in the same mode within
//! `DRS_LAUNCH_GUARD`, is not launched. Launches are batched into jobs of at most
//! `DRS_JOB_SERVERS` within the active-job quotas of DRS's "Disaster recovery at scale" guide
//! (100 servers per job, 500 servers across active jobs, 20 concurrent jobs), counting the jobs
//! already active and this run's terminations; the rest wait for the next run, saying so.

use crate::ask::{asked, Asked, TriggerSkips};
use crate::config::{RecoveryConfig, SnapshotChoice};
use crate::model::{
    tag, Call, ExecutionStatus, Facts, Job, JobStatus, LaunchServer, LaunchStatus, LogItem,
    RecoveryInstance, ReplicationState, Snapshot, SourceServer, LAUNCH, PLAN_EXECUTION,
    START_RECOVERY, TAG_FUNCTION, TAG_JOB, TAG_LAUNCHED_AT, TAG_MODE,
};
use crate::FUNCTION;
use dr_core::clock::{fmt_time, human, parse_time};
use dr_core::error::{CallFailure, ErrorClass};
use dr_core::function::{Observed, Plan};
use dr_core::metrics::{seconds, Measures, Unit};
use dr_core::report::{RecoveryEvidence, Skip, TargetOutcome};
use dr_core::trigger::LaunchMode;
use std::collections::BTreeSet;

/// Most recovery instances one `TerminateRecoveryInstances` takes (the model's
/// `RecoveryInstancesForTerminationRequest`, 1 to 200).
pub const MAX_TERMINATIONS_PER_CALL: usize = 200;

/// Plans a run over every observed target, one plan per entry of `fleet` in its order.
pub fn plan(config: &RecoveryConfig, fleet: &[Observed<'_, Facts>]) -> Vec<Plan<Call>> {
    let mut about = TriggerSkips::default();
    let mut recoveries_left = config.recovery.max_servers;
    let mut plans: Vec<Plan<Call>> = fleet
        .iter()
        .map(|observed| {
            let mut plan = Plan::default();
            let facts = &observed.facts;
            let asked = asked(
                config,
                &observed.trigger,
                &facts.servers,
                facts.observed_at,
                &mut plan.skips,
                &mut about,
            );
            let mut quota = Quota::of(config, facts);
            if asked.follow_up {
                follow_up(config, facts, &asked, &mut plan);
                follow_up_executions(facts, &mut plan);
            }
            if let (true, Some(arn)) = (asked.plan_drill, &config.drill.plan) {
                if observed.target.covers(arn.account(), arn.region()) {
                    plan_drill(config, facts, arn.as_str(), &mut plan);
                }
            }
            if asked.cleanup {
                cleanup(config, facts, &mut quota, &mut plan);
            }
            launch(
                config,
                facts,
                &asked,
                &mut quota,
                &mut recoveries_left,
                &mut plan,
            );
            plan
        })
        .collect();
    if let Some(first) = plans.first_mut() {
        first.skips.extend(about.unanswered());
    }
    plans
}

/// The active-job quotas left in one account and Region.
struct Quota {
    jobs: usize,
    servers: usize,
    per_job: usize,
    batches: usize,
    active_jobs: usize,
    active_servers: usize,
}

impl Quota {
    fn of(config: &RecoveryConfig, facts: &Facts) -> Self {
        let active: Vec<&Job> = facts.jobs.iter().filter(|j| j.is_active()).collect();
        let active_servers = active.iter().map(|j| j.participants.len()).sum();
        Self {
            jobs: config.quotas.active_jobs.saturating_sub(active.len()),
            servers: config.quotas.active_servers.saturating_sub(active_servers),
            per_job: config.quotas.servers_per_job,
            batches: 0,
            active_jobs: active.len(),
            active_servers,
        }
    }

    /// Takes a job of up to `wanted` servers (at most `most` per job); how many it may hold.
    fn take(&mut self, wanted: usize, most: usize) -> usize {
        if self.jobs == 0 {
            return 0;
        }
        let size = wanted.min(most).min(self.servers);
        if size > 0 {
            self.jobs -= 1;
            self.servers -= size;
            self.batches += 1;
        }
        size
    }

    fn deferred(&self, config: &RecoveryConfig) -> String {
        format!(
            "deferred to the next run: {} jobs with {} servers are active in this account and \
             Region, and DRS allows {} jobs, {} servers across active jobs and {} per job \
             (\"Disaster recovery at scale\")",
            self.active_jobs,
            self.active_servers,
            config.quotas.active_jobs,
            config.quotas.active_servers,
            self.per_job
        )
    }
}

/// Reports this function's launch jobs: each completed one not yet reported, once, with its
/// evidence; tags the instances they launched.
fn follow_up(config: &RecoveryConfig, facts: &Facts, asked: &Asked<'_>, plan: &mut Plan<Call>) {
    for job in facts.jobs.iter().filter(|j| j.is_own()) {
        let Some(mode) = job.launch_mode() else {
            continue;
        };
        tag_instances(facts, job, mode, plan);
        if job.is_reported(&facts.executions) {
            continue;
        }
        // A plan's job is reported with its execution, once the execution has ended.
        let execution_ended = job.execution.as_ref().map(|_| {
            job.execution_in(&facts.executions)
                .is_some_and(|e| e.status.is_terminal())
        });
        if job.status == JobStatus::Completed && execution_ended != Some(false) {
            let log = facts.log(&job.id).unwrap_or_default();
            for p in &job.participants {
                plan.outcomes
                    .push(launch_outcome(config, facts, job, mode, p, log));
            }
            if let (Some(arn), None) = (&job.arn, &job.execution) {
                plan.actions.push(Call::MarkReported {
                    id: job.id.clone(),
                    arn: arn.clone(),
                    at: fmt_time(facts.observed_at),
                });
            }
            continue;
        }
        let launched = job
            .participants
            .iter()
            .filter(|p| p.status == LaunchStatus::Launched)
            .count();
        for (job_id, server, succeeded) in &asked.results {
            if *job_id == job.id && job.participant(server).is_some() {
                let outcome = if *succeeded {
                    TargetOutcome::done(*server, LAUNCH, Some("LAUNCHED".to_owned()))
                } else {
                    TargetOutcome::failed(
                        *server,
                        LAUNCH,
                        &launch_failure("RECOVERY_LAUNCH_FAILED"),
                    )
                };
                plan.outcomes.push(outcome.with_detail(format!(
                    "{} job {} is {}: its evidence is reported when it completes",
                    mode.as_str(),
                    job.id,
                    job.status.as_str()
                )));
            }
        }
        plan.skips.push(Skip::new(
            &job.id,
            format!(
                "{} job {}: {launched} of {} servers launched; reported when it completes",
                mode.as_str(),
                job.status.as_str(),
                job.participants.len()
            ),
        ));
    }
    for (job_id, server, _) in &asked.results {
        if !facts.jobs.iter().any(|j| j.id == *job_id && j.is_own()) {
            plan.skips.push(Skip::new(
                *server,
                format!("launch result of job {job_id}, which drs-recovery did not launch"),
            ));
        }
    }
}

/// Reports each of this function's recovery plan executions that has ended, once: its status
/// and the time from `startedAt` to `completedAt` [DRS API reference: RecoveryPlanExecution].
/// Its servers' launches carry the evidence, through the jobs its steps name.
fn follow_up_executions(facts: &Facts, plan: &mut Plan<Call>) {
    for e in facts
        .executions
        .iter()
        .filter(|e| e.is_own() && !e.is_reported())
    {
        if !e.status.is_terminal() {
            plan.skips.push(Skip::new(
                &e.arn,
                format!(
                    "recovery plan execution {}: reported when it ends",
                    e.status.as_str()
                ),
            ));
            continue;
        }
        // The evidence is its servers' (their jobs' outcomes); the execution's own duration is
        // told, not counted again as a launch.
        let took = e
            .started
            .zip(e.completed)
            .map(|(s, c)| format!(" in {}", human(c - s)))
            .unwrap_or_default();
        let outcome = if e.status == ExecutionStatus::Completed {
            TargetOutcome::done(&e.arn, PLAN_EXECUTION, Some(e.status.as_str().to_owned()))
                .with_detail(format!("recovery plan drill completed{took}"))
        } else {
            let failure = launch_failure(e.error.as_deref().unwrap_or("no errorDetail"));
            let mut outcome = TargetOutcome::failed(&e.arn, PLAN_EXECUTION, &failure);
            outcome.state = Some(e.status.as_str().to_owned());
            outcome
        };
        plan.outcomes.push(outcome);
        plan.actions.push(Call::MarkReported {
            id: e.arn.clone(),
            arn: e.arn.clone(),
            at: fmt_time(facts.observed_at),
        });
    }
}

/// Runs the recovery plan in DRILL mode unless an execution has not ended, the last drill is
/// more recent than `DRS_DRILL_EVERY`, or one started within `DRS_LAUNCH_GUARD`. "A plan can
/// have only one non-terminal execution" [DRS user guide: "Running a recovery plan"]; the
/// client token, the same within one guard window, makes a delivery racing this run's start
/// the same execution.
fn plan_drill(config: &RecoveryConfig, facts: &Facts, arn: &str, plan: &mut Plan<Call>) {
    let now = facts.observed_at;
    if let Some(e) = facts.executions.iter().find(|e| !e.status.is_terminal()) {
        plan.skips.push(Skip::new(
            arn,
            format!(
                "scheduled plan drill: execution {} is {}",
                e.arn,
                e.status.as_str()
            ),
        ));
        return;
    }
    let last = facts
        .executions
        .iter()
        .filter(|e| e.drill)
        .filter_map(|e| e.started)
        .max();
    if let Some(last) = last {
        let age = now - last;
        let (bound, var) = match config.drill.every {
            Some(every) if every > config.launch_guard => (every, "DRS_DRILL_EVERY"),
            _ => (config.launch_guard, "DRS_LAUNCH_GUARD"),
        };
        if age < bound {
            plan.skips.push(Skip::new(
                arn,
                format!(
                    "scheduled plan drill: not due: its last drill started {} ago, within {var} {}",
                    human(age.max(0)),
                    human(bound)
                ),
            ));
            return;
        }
    }
    let window = now / config.launch_guard.max(1);
    plan.actions.push(Call::RunPlan {
        arn: arn.to_owned(),
        token: format!("{FUNCTION}-{:016x}", fnv1a(&format!("{arn}@{window}"))),
    });
}

/// FNV-1a, 64 bits: a stable digest for client tokens (the model allows at most 64
/// characters).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Tags each instance `job` launched that does not carry this function's tags yet.
fn tag_instances(facts: &Facts, job: &Job, mode: LaunchMode, plan: &mut Plan<Call>) {
    for p in &job.participants {
        let Some(instance) = p
            .recovery_instance_id
            .as_deref()
            .and_then(|id| facts.instances.iter().find(|i| i.id == id))
        else {
            continue;
        };
        let (Some(arn), None) = (&instance.arn, tag(&instance.tags, TAG_FUNCTION)) else {
            continue;
        };
        let mut tags = vec![
            (TAG_FUNCTION.to_owned(), FUNCTION.to_owned()),
            (TAG_MODE.to_owned(), mode.as_str().to_owned()),
            (TAG_JOB.to_owned(), job.id.clone()),
        ];
        if let Some(created) = job.created {
            tags.push((TAG_LAUNCHED_AT.to_owned(), fmt_time(created)));
        }
        plan.actions.push(Call::TagInstance {
            id: instance.id.clone(),
            arn: arn.clone(),
            tags,
        });
    }
}

/// A launch failure as the report shows it.
fn launch_failure(message: &str) -> CallFailure {
    CallFailure {
        class: ErrorClass::Fatal,
        code: "LaunchFailed".to_owned(),
        message: message.to_owned(),
    }
}

/// One server's outcome in a completed launch job, with what it measured.
///
/// The recovery time runs from the job's `creationDateTime` to its `endDateTime`: DRS logs no
/// per-server "launched" event (the JobLogEvent values have LAUNCH_START and LAUNCH_FAILED,
/// no LAUNCH_END), so the job's end is the first time the launch is known to be done, an upper
/// bound that never flatters the RTO. The recovery point age is the job's start minus the
/// instance's `pointInTimeSnapshotDateTime` [DRS API reference: Job, RecoveryInstance].
fn launch_outcome(
    config: &RecoveryConfig,
    facts: &Facts,
    job: &Job,
    mode: LaunchMode,
    p: &crate::model::Participant,
    log: &[LogItem],
) -> TargetOutcome {
    let id = &p.source_server_id;
    match p.status {
        LaunchStatus::Launched | LaunchStatus::Terminated => {
            let instance = facts.instances.iter().find(|i| {
                p.recovery_instance_id.as_deref() == Some(i.id.as_str())
                    || (i.source_server_id.as_ref() == Some(id)
                        && i.job_id.as_deref() == Some(job.id.as_str()))
            });
            let evidence = RecoveryEvidence {
                drill: mode == LaunchMode::Drill,
                recovery_time_seconds: job.created.zip(job.ended).map(|(s, e)| e - s),
                recovery_point_age_seconds: job
                    .created
                    .zip(instance.and_then(|i| i.point_in_time))
                    .map(|(s, pit)| (s - pit).max(0)),
                rto_seconds: config.rto,
                rpo_seconds: config.rpo,
            };
            let instance_id = p
                .recovery_instance_id
                .as_deref()
                .or(instance.map(|i| i.id.as_str()))
                .unwrap_or("no instance id");
            TargetOutcome::done(id, LAUNCH, Some(p.status.as_str().to_owned()))
                .with_detail(format!(
                    "{} job {}: recovery instance {instance_id}{}",
                    mode.as_str(),
                    job.id,
                    objectives(&evidence)
                ))
                .with_evidence(evidence)
        }
        LaunchStatus::Failed
        | LaunchStatus::Pending
        | LaunchStatus::InProgress
        | LaunchStatus::Unknown(_) => {
            let why = log
                .iter()
                .rev()
                .find(|item| item.is_failure() && item.source_server_id.as_ref() == Some(id))
                .map(|item| {
                    format!(
                        "{}: {}",
                        item.event.as_str(),
                        item.raw_error
                            .as_deref()
                            .unwrap_or("no rawError in the job log")
                    )
                })
                .unwrap_or_else(|| format!("launch status {}", p.status.as_str()));
            let mut outcome = TargetOutcome::failed(id, LAUNCH, &launch_failure(&why))
                .with_detail(format!("{} job {}: {why}", mode.as_str(), job.id));
            outcome.state = Some(p.status.as_str().to_owned());
            outcome
        }
    }
}

/// `; RTO 10m met, RPO 5m missed` for the objectives configured.
fn objectives(e: &RecoveryEvidence) -> String {
    let mut parts = Vec::new();
    if let (Some(t), Some(rto)) = (e.recovery_time_seconds, e.rto_seconds) {
        let met = if t <= rto { "met" } else { "missed" };
        parts.push(format!(
            "recovery time {} against RTO {}: {met}",
            human(t),
            human(rto)
        ));
    }
    if let (Some(age), Some(rpo)) = (e.recovery_point_age_seconds, e.rpo_seconds) {
        let met = if age <= rpo { "met" } else { "missed" };
        parts.push(format!(
            "recovery point {} old against RPO {}: {met}",
            human(age),
            human(rpo)
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("; {}", parts.join(", "))
    }
}

/// How this function launched an instance, by its tags, and when: the tags are what IAM
/// conditions `TerminateRecoveryInstances` on, so an instance without them is never
/// terminated (its job's follow-up tags it first). Only `drill` reads as a drill: any other
/// mode never terminates.
fn own_mode(instance: &RecoveryInstance) -> Option<(LaunchMode, Option<i64>)> {
    if tag(&instance.tags, TAG_FUNCTION) != Some(FUNCTION) {
        return None;
    }
    let mode = match tag(&instance.tags, TAG_MODE) {
        Some("drill") => LaunchMode::Drill,
        _ => LaunchMode::Recovery,
    };
    Some((
        mode,
        tag(&instance.tags, TAG_LAUNCHED_AT).and_then(parse_time),
    ))
}

/// Whether `instance` was launched by one of this function's jobs in `facts`.
fn of_own_job(facts: &Facts, instance: &RecoveryInstance) -> bool {
    facts
        .jobs
        .iter()
        .any(|j| j.is_own() && Some(j.id.as_str()) == instance.job_id.as_deref())
}

/// Terminates this function's drill instances older than the time to live.
fn cleanup(config: &RecoveryConfig, facts: &Facts, quota: &mut Quota, plan: &mut Plan<Call>) {
    let terminating: BTreeSet<&str> = facts
        .jobs
        .iter()
        .filter(|j| j.is_active() && j.launch_mode().is_none())
        .flat_map(|j| j.participants.iter())
        .filter_map(|p| p.recovery_instance_id.as_deref())
        .collect();
    let mut expired: Vec<(String, String)> = Vec::new();
    for instance in &facts.instances {
        let Some((mode, launched)) = own_mode(instance) else {
            if of_own_job(facts, instance) {
                plan.skips.push(Skip::new(
                    &instance.id,
                    "launched by drs-recovery and not yet tagged: tagged in this run, \
                     terminated by a later one once past DRS_DRILL_TTL",
                ));
            } else if instance.drill == Some(true) {
                plan.skips.push(Skip::new(
                    &instance.id,
                    "a drill instance drs-recovery did not launch: left alone",
                ));
            }
            continue;
        };
        if mode != LaunchMode::Drill || instance.drill != Some(true) {
            plan.skips.push(Skip::new(
                &instance.id,
                "launched by a real recovery: never terminated",
            ));
            continue;
        }
        if instance.is_going() || terminating.contains(instance.id.as_str()) {
            plan.skips.push(Skip::new(
                &instance.id,
                "drill instance already being terminated",
            ));
            continue;
        }
        let Some(launched) = launched else {
            plan.skips.push(Skip::new(
                &instance.id,
                "drill instance without a launch time tag: left alone",
            ));
            continue;
        };
        let age = facts.observed_at - launched;
        if age < config.drill.ttl {
            plan.skips.push(Skip::new(
                &instance.id,
                format!(
                    "drill instance {} old: terminated once older than DRS_DRILL_TTL {}",
                    human(age.max(0)),
                    human(config.drill.ttl)
                ),
            ));
            continue;
        }
        expired.push((
            instance.id.clone(),
            format!(
                "drill instance {} old, past DRS_DRILL_TTL {}",
                human(age),
                human(config.drill.ttl)
            ),
        ));
    }
    let mut rest = expired.into_iter().peekable();
    while rest.peek().is_some() {
        let size = quota.take(rest.len(), MAX_TERMINATIONS_PER_CALL);
        if size == 0 {
            break;
        }
        let batch = quota.batches - 1;
        for (id, why) in rest.by_ref().take(size) {
            plan.actions.push(Call::Terminate { batch, id, why });
        }
    }
    for (id, _) in rest {
        plan.skips.push(Skip::new(id, quota.deferred(config)));
    }
}

/// Launches the servers asked for that are ready, in jobs within the quotas.
fn launch(
    config: &RecoveryConfig,
    facts: &Facts,
    asked: &Asked<'_>,
    quota: &mut Quota,
    recoveries_left: &mut usize,
    plan: &mut Plan<Call>,
) {
    let terminated: BTreeSet<String> = plan
        .actions
        .iter()
        .filter_map(|c| match c {
            Call::Terminate { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect();
    for mode in [LaunchMode::Recovery, LaunchMode::Drill] {
        let mut ready: Vec<LaunchServer> = Vec::new();
        for wanted in asked.launches.iter().filter(|w| w.mode == mode) {
            let server = wanted.server;
            let snapshot = match readiness(config, facts, server, mode, &terminated) {
                Ok(snapshot) => snapshot,
                Err(Blocked::Skip(reason)) => {
                    plan.skips
                        .push(Skip::new(&server.id, format!("{}: {reason}", wanted.why)));
                    continue;
                }
                Err(Blocked::Retry(reason)) => {
                    let failure = CallFailure {
                        class: ErrorClass::Retryable,
                        code: "LaunchJobInProgress".to_owned(),
                        message: format!("{}: {reason}; retried when it ends", wanted.why),
                    };
                    plan.outcomes
                        .push(TargetOutcome::failed(&server.id, START_RECOVERY, &failure));
                    continue;
                }
            };
            if mode == LaunchMode::Recovery {
                if !config.recovery.enabled {
                    plan.skips.push(Skip::new(
                        &server.id,
                        format!(
                            "{}: ready, and a recovery would be launched{}, but real recovery \
                             is off (DRS_RECOVERY_ENABLED is not true)",
                            wanted.why,
                            from_snapshot(snapshot.as_ref())
                        ),
                    ));
                    continue;
                }
                if *recoveries_left == 0 {
                    plan.skips.push(Skip::new(
                        &server.id,
                        format!(
                            "{}: ready, but this run already launches DRS_RECOVERY_MAX_SERVERS \
                             ({}) recoveries",
                            wanted.why, config.recovery.max_servers
                        ),
                    ));
                    continue;
                }
                *recoveries_left -= 1;
            }
            ready.push(LaunchServer {
                source_server_id: server.id.clone(),
                snapshot_id: snapshot.as_ref().map(|s| s.id.clone()),
                why: format!("{}{}", wanted.why, from_snapshot(snapshot.as_ref())),
            });
        }
        let mut rest = ready.into_iter().peekable();
        while rest.peek().is_some() {
            let size = quota.take(rest.len(), quota.per_job);
            if size == 0 {
                break;
            }
            let batch = quota.batches - 1;
            for server in rest.by_ref().take(size) {
                plan.actions.push(Call::Launch {
                    mode,
                    batch,
                    server,
                });
            }
        }
        for server in rest {
            plan.skips
                .push(Skip::new(&server.source_server_id, quota.deferred(config)));
        }
    }
}

/// `, from snapshot pit-... of <time>` or `, from an on-demand snapshot`.
fn from_snapshot(snapshot: Option<&Snapshot>) -> String {
    match snapshot {
        Some(s) => format!(", from snapshot {} of {}", s.id, fmt_time(s.at)),
        None => ", from an on-demand snapshot".to_owned(),
    }
}

/// Why a server is not launched now.
enum Blocked {
    /// Left alone, with the reason.
    Skip(String),
    /// Not launched now, but the trigger should be delivered again: a failure a retry may
    /// clear.
    Retry(String),
}

/// Whether `server` can be launched in `mode` now: the snapshot to launch from (`None`: on
/// demand), or why not.
///
/// DRS itself lets a drill run "even if a Source Server is in Lag or Stall status" once the
/// initial sync has completed [DRS user guide: "Preparing for recovery"]; the bounds here are
/// this function's policy, so that what it launches proves what it should:
/// - a drill wants healthy replication (CONTINUOUS, "Continuous Data Protection") within
///   `DRS_MAX_LAG`: a drill of a lagging server proves an older recovery point than the one a
///   disaster would get;
/// - a recovery also takes a server whose replication is interrupted but which has recovery
///   points (BACKLOG, CREATING_SNAPSHOT, RESCAN, STALLED, PAUSED), within
///   `DRS_RECOVERY_MAX_LAG`: when the source is failing, its replication is too.
fn readiness(
    config: &RecoveryConfig,
    facts: &Facts,
    server: &SourceServer,
    mode: LaunchMode,
    terminated: &BTreeSet<String>,
) -> Result<Option<Snapshot>, Blocked> {
    if let Some(job) = facts
        .jobs
        .iter()
        .find(|j| j.is_active() && j.launch_mode().is_some() && j.participant(&server.id).is_some())
    {
        let reason = format!(
            "job in progress: {} job {} is {}",
            job.launch_mode().map_or("launch", LaunchMode::as_str),
            job.id,
            job.status.as_str()
        );
        // A recovery held back by a drill must not be lost: it fails retryably, so the alarm's
        // delivery is retried once the drill's job has ended. A recovery already in progress
        // is the one asked for, delivered again: nothing to retry.
        if mode == LaunchMode::Recovery && job.launch_mode() == Some(LaunchMode::Drill) {
            return Err(Blocked::Retry(reason));
        }
        return Err(Blocked::Skip(reason));
    }
    for instance in facts
        .instances
        .iter()
        .filter(|i| i.source_server_id.as_ref() == Some(&server.id))
    {
        match (instance.drill, mode) {
            (Some(false), _) => {
                return Err(Blocked::Skip(format!(
                    "already launched: recovered, recovery instance {} exists (a launch would \
                     replace it)",
                    instance.id
                )))
            }
            (None, _) => {
                return Err(Blocked::Skip(format!(
                    "already launched: recovery instance {} exists and DRS does not say \
                     whether it is a drill",
                    instance.id
                )))
            }
            (Some(true), LaunchMode::Drill) if terminated.contains(&instance.id) => {
                return Err(Blocked::Skip(format!(
                    "already launched: drill instance {} is terminated in this run; the next \
                     drill launches once it is gone",
                    instance.id
                )))
            }
            (Some(true), LaunchMode::Drill) => {
                return Err(Blocked::Skip(format!(
                    "already launched: drill instance {} exists; it is terminated after \
                     DRS_DRILL_TTL, then the next drill launches",
                    instance.id
                )))
            }
            (Some(true), LaunchMode::Recovery) => {}
        }
    }
    let now = facts.observed_at;
    if let Some(job) = facts.jobs.iter().find(|j| {
        j.launch_mode() == Some(mode)
            && j.participant(&server.id).is_some()
            && j.created.is_some_and(|c| now - c < config.launch_guard)
    }) {
        return Err(Blocked::Skip(format!(
            "already launched: {} job {} started {} ago, within DRS_LAUNCH_GUARD {} (a trigger \
             delivered again launches nothing twice)",
            mode.as_str(),
            job.id,
            human(job.created.map_or(0, |c| now - c)),
            human(config.launch_guard)
        )));
    }
    let (max_lag, lag_var) = match mode {
        LaunchMode::Drill => (config.drill.max_lag, "DRS_MAX_LAG"),
        LaunchMode::Recovery => (config.recovery.max_lag, "DRS_RECOVERY_MAX_LAG"),
    };
    let state = &server.state;
    let recoverable = match state {
        ReplicationState::Continuous => true,
        ReplicationState::Backlog
        | ReplicationState::CreatingSnapshot
        | ReplicationState::Rescan
        | ReplicationState::Stalled
        | ReplicationState::Paused => mode == LaunchMode::Recovery,
        ReplicationState::Stopped
        | ReplicationState::Initiating
        | ReplicationState::InitialSync
        | ReplicationState::Disconnected
        | ReplicationState::Unknown(_) => false,
    };
    if !recoverable {
        return Err(Blocked::Skip(not_recoverable(server, mode)));
    }
    // In CDP with no lag reported, the server is not behind.
    let lag = server
        .lag
        .or((*state == ReplicationState::Continuous).then_some(0));
    match lag {
        None => {
            return Err(Blocked::Skip(format!(
                "{}: DRS reports no replication lag, so how old its data is cannot be told",
                state.as_str()
            )))
        }
        Some(lag) if lag > max_lag => {
            return Err(Blocked::Skip(format!(
                "lagging: replication lag {} is over {lag_var} {}",
                human(lag),
                human(max_lag)
            )))
        }
        Some(_) => {}
    }
    pick_snapshot(
        config.snapshot(mode),
        facts.snapshots_of(&server.id).unwrap_or_default(),
        now,
    )
    .map_err(Blocked::Skip)
}

/// Why a server in its state is not launched in `mode`.
fn not_recoverable(server: &SourceServer, mode: LaunchMode) -> String {
    let state = server.state.as_str();
    match &server.state {
        ReplicationState::Stalled => format!(
            "stalled: {}; a drill wants healthy replication",
            server
                .replication_error
                .as_deref()
                .unwrap_or("no dataReplicationError")
        ),
        ReplicationState::Stopped => {
            "no snapshot: replication is STOPPED, and stopping it deleted its snapshots".to_owned()
        }
        ReplicationState::Initiating | ReplicationState::InitialSync => {
            format!("no snapshot: {state}, the initial sync has not completed")
        }
        ReplicationState::Disconnected => {
            "no snapshot: DISCONNECTED, its replication resources were deleted".to_owned()
        }
        ReplicationState::Unknown(_) => {
            format!("replication state {state} is not one a launch is known to work from")
        }
        _ => format!(
            "{state}: not in continuous data protection, which a {} wants",
            mode.as_str()
        ),
    }
}

/// The snapshot `choice` picks among `snapshots` as of `now`; `None` for on demand.
pub fn pick_snapshot(
    choice: SnapshotChoice,
    snapshots: &[Snapshot],
    now: i64,
) -> Result<Option<Snapshot>, String> {
    let newest = |ok: &dyn Fn(&Snapshot) -> bool| {
        snapshots
            .iter()
            .filter(|s| ok(s))
            .max_by_key(|s| s.at)
            .cloned()
    };
    let (found, wanted) = match choice {
        SnapshotChoice::OnDemand => return Ok(None),
        SnapshotChoice::Latest => (newest(&|_| true), String::new()),
        SnapshotChoice::OlderThan(age) => (
            newest(&|s| now - s.at >= age),
            format!(" at least {} old", human(age)),
        ),
        SnapshotChoice::AtOrBefore(at) => (
            newest(&|s| s.at <= at),
            format!(" taken at or before {}", fmt_time(at)),
        ),
    };
    found
        .map(Some)
        .ok_or_else(|| format!("no snapshot: DRS holds none{wanted}"))
}

/// What a run measures of the selected servers: their replication states and largest lag,
/// the age of the oldest last successful drill (`DrsLastDrillAgeSeconds`) and how many have
/// none (`DrsServersNeverDrilled`: never drilled, or their last drill did not launch), and the
/// recovery times the run's launches measured against the objectives.
pub fn measure(config: &RecoveryConfig, facts: &Facts, outcomes: &[TargetOutcome]) -> Measures {
    let selected: Vec<&SourceServer> = facts
        .servers
        .iter()
        .filter(|s| config.choice.selection.covers(*s))
        .collect();
    let mut measures = Measures::new();
    dr_core::drs::measure_states(&mut measures, selected.iter().map(|s| &s.state));
    let drilled = |s: &&&SourceServer| s.last_drill_launched && s.last_drill.is_some();
    let oldest_drill = selected
        .iter()
        .filter(drilled)
        .filter_map(|s| s.last_drill)
        .map(|at| facts.observed_at.saturating_sub(at).max(0))
        .max();
    let evidence: Vec<&RecoveryEvidence> = outcomes
        .iter()
        .filter_map(|o| o.evidence.as_ref())
        .collect();
    measures
        .largest(
            "DrsLargestLagSeconds",
            Unit::Seconds,
            selected.iter().filter_map(|s| s.lag).max().map(seconds),
        )
        .largest(
            "DrsLastDrillAgeSeconds",
            Unit::Seconds,
            oldest_drill.map(seconds),
        )
        .count(
            "DrsServersNeverDrilled",
            selected.iter().filter(|s| !drilled(s)).count(),
        )
        .each(
            "RecoveryTimeSeconds",
            Unit::Seconds,
            evidence
                .iter()
                .filter_map(|e| e.recovery_time_seconds)
                .map(seconds)
                .collect(),
        )
        .count(
            "RecoveryTimeBeyondRto",
            evidence
                .iter()
                .filter(|e| e.within_rto() == Some(false))
                .count(),
        )
        .count(
            "RecoveryPointBeyondRpo",
            evidence
                .iter()
                .filter(|e| e.within_rpo() == Some(false))
                .count(),
        );
    measures
}

#[cfg(test)]
mod samples;
#[cfg(test)]
mod tests;
