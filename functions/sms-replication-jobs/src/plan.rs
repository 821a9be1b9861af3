//! Plan: decide, without I/O, which replication jobs to create, which paused jobs to resume and
//! how, which settings of existing jobs to bring to the configuration, what to report about
//! failed, completed and deleted jobs and about jobs the configuration does not name, and why the
//! rest is left alone.

use crate::config::{JobSpec, SeedTime, ServerRef, SmsConfig, MAX_SEED_AHEAD_SECS};
use crate::model::{
    Action, Catalog, CatalogStatus, CreateJob, Facts, Job, JobChanges, JobState, License, Notice,
    NoticeKind, Server, GET_REPLICATION_RUNS,
};
use crate::policy::{self, Resume};
use dr_core::clock::fmt_time;
use dr_core::function::Plan;
use dr_core::report::{Skip, Skips, TargetOutcome};
use dr_core::trigger::{ApiCall, Event, Trigger};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What the plan decided: notices become the plan's known outcomes.
#[derive(Debug, Default)]
struct JobsPlan {
    actions: Vec<Action>,
    notices: Vec<Notice>,
    skips: Skips,
}

/// The jobs whose runs the plan needs: every managed job in a failure state (to explain it or
/// act on it), on a schedule the managed jobs whose frequency is to change (a run in progress
/// defers it), and the managed jobs a direct invocation names (for the on-demand limits).
pub fn runs_needed(
    trigger: &Trigger,
    config: &SmsConfig,
    catalog: &Catalog,
    jobs: &[Job],
) -> Vec<String> {
    let managed = resolve(config, catalog).managed_servers();
    let reconciling = (trigger.events.iter()).any(|e| matches!(e, Event::Schedule(_)));
    let reschedules = |job: &Job, spec: &JobSpec| {
        reconciling
            && job.state.is_live()
            && JobChanges::between(&job.settings, job.run_once, &spec.options)
                .frequency
                .is_some()
    };
    let mut ids: BTreeSet<String> = jobs
        .iter()
        .filter(|j| {
            managed
                .get(j.server_id.as_str())
                .is_some_and(|spec| j.state.is_failure() || reschedules(j, spec))
        })
        .map(|j| j.id.clone())
        .collect();
    for event in &trigger.events {
        let Event::Direct(direct) = event else {
            continue;
        };
        ids.extend(
            jobs.iter()
                .filter(|j| direct.targets.contains(&j.id))
                .filter(|j| managed.contains_key(j.server_id.as_str()))
                .map(|j| j.id.clone()),
        );
    }
    ids.into_iter().collect()
}

/// Plans a run for the trigger against what was observed. The jobs whose runs could not be read
/// come first, as failed reads, so a retryable one fails the invocation and the event is tried
/// again; then what the plan reports without a call.
pub fn plan(trigger: &Trigger, config: &SmsConfig, facts: &Facts) -> Plan<Action> {
    let decided = decide(trigger, config, facts);
    let unread = facts
        .unread_runs
        .iter()
        .map(|(job_id, failure)| TargetOutcome::failed(job_id, GET_REPLICATION_RUNS, failure));
    Plan {
        actions: decided.actions,
        outcomes: unread
            .chain(decided.notices.iter().map(Notice::outcome))
            .collect(),
        skips: decided.skips,
    }
}

/// What to do about each event of the trigger.
fn decide(trigger: &Trigger, config: &SmsConfig, facts: &Facts) -> JobsPlan {
    let resolved = resolve(config, &facts.catalog);
    let mut out = JobsPlan::default();
    for event in &trigger.events {
        match event {
            Event::Schedule(_) => reconcile(facts, &resolved, &mut out),
            Event::Direct(direct) => {
                let mut seen = BTreeSet::new();
                for target in direct.targets.iter().filter(|t| seen.insert(t.as_str())) {
                    on_demand(target, facts, &resolved, &mut out);
                }
            }
            Event::ApiCall(call) if call.source == "aws.sms" => {
                api_call(call, facts, &resolved, &mut out)
            }
            other => out.skips.push(Trigger::not_handled(other, crate::FUNCTION)),
        }
    }
    out
}

/// The configuration resolved against the catalog: each managed server with its entry, and the
/// entries that name no single server.
struct Resolved<'a> {
    managed: Vec<(&'a JobSpec, &'a Server)>,
    skips: Vec<Skip>,
}

impl<'a> Resolved<'a> {
    fn managed_servers(&self) -> BTreeMap<&'a str, &'a JobSpec> {
        self.managed
            .iter()
            .map(|(spec, server)| (server.id.as_str(), *spec))
            .collect()
    }

    fn spec_for(&self, server_id: &str) -> Option<&'a JobSpec> {
        self.managed
            .iter()
            .find(|(_, s)| s.id == server_id)
            .map(|(spec, _)| *spec)
    }
}

fn resolve<'a>(config: &'a SmsConfig, catalog: &'a Catalog) -> Resolved<'a> {
    let mut resolved = Resolved {
        managed: Vec::new(),
        skips: Vec::new(),
    };
    if let Some(status) = catalog
        .status
        .as_ref()
        .filter(|s| **s != CatalogStatus::Available)
    {
        for spec in &config.jobs {
            resolved.skips.push(Skip::new(
                spec.server.describe(),
                format!("the server catalog is {status}; import it (ImportServerCatalog) first"),
            ));
        }
        return resolved;
    }
    for spec in &config.jobs {
        let matches: Vec<&Server> = catalog
            .servers
            .iter()
            .filter(|s| names(&spec.server, s))
            .collect();
        match matches.as_slice() {
            [] => resolved.skips.push(Skip::new(
                spec.server.describe(),
                "no such server in the SMS catalog; re-import the catalog if it is new",
            )),
            [server] => {
                if let Some((first, _)) = resolved.managed.iter().find(|(_, s)| s.id == server.id) {
                    resolved.skips.push(Skip::new(
                        spec.server.describe(),
                        format!(
                            "is server {}, already configured as {}",
                            server.id,
                            first.server.describe()
                        ),
                    ));
                } else {
                    resolved.managed.push((spec, server));
                }
            }
            many => {
                let ids: Vec<&str> = many.iter().map(|s| s.id.as_str()).collect();
                resolved.skips.push(Skip::new(
                    spec.server.describe(),
                    format!(
                        "ambiguous: matches servers {}; name it by serverId or vmPath",
                        ids.join(", ")
                    ),
                ));
            }
        }
    }
    resolved
}

/// Whether `reference` names `server`.
fn names(reference: &ServerRef, server: &Server) -> bool {
    let vm_name = server.vm_name.as_deref();
    match reference {
        ServerRef::Id(id) => server.id == *id,
        ServerRef::VmName(name) => vm_name.is_some_and(|v| v.eq_ignore_ascii_case(name)),
        ServerRef::Hostname(host) => {
            let short = host.split('.').next().unwrap_or(host);
            vm_name.is_some_and(|v| v.eq_ignore_ascii_case(host) || v.eq_ignore_ascii_case(short))
        }
        ServerRef::VmPath(path) => server.vm_path.as_deref() == Some(path.as_str()),
    }
}

/// The job that speaks for a server: a live one first, then a finished one, then a deleted one.
fn job_for<'a>(server_id: &str, jobs: &'a [Job]) -> Option<&'a Job> {
    let rank = |j: &Job| match &j.state {
        s if s.is_live() => 0,
        JobState::Completed | JobState::Failed => 1,
        _ => 2,
    };
    jobs.iter()
        .filter(|j| j.server_id == server_id)
        .min_by_key(|j| rank(j))
}

/// Schedule: create the missing jobs, look after the existing ones and bring their settings to
/// the configuration, and report the jobs the configuration does not name.
fn reconcile(facts: &Facts, resolved: &Resolved<'_>, out: &mut JobsPlan) {
    out.skips.extend(resolved.skips.iter().cloned());
    for (spec, server) in &resolved.managed {
        match job_for(&server.id, &facts.jobs) {
            Some(job) if matches!(job.state, JobState::Pending | JobState::Active) => {
                out.notices.push(Notice {
                    target: server.id.clone(),
                    kind: NoticeKind::Exists,
                    state: job.state.clone(),
                    detail: format!("already replicated by {} ({})", job.id, job.state),
                });
                settle(job, spec, facts, out);
            }
            Some(job) => {
                look_after(job, spec, facts, out, true);
                settle(job, spec, facts, out);
            }
            None => match server.job_id.as_deref().filter(|_| !server.job_terminated) {
                Some(taken) => out.skips.push(Skip::new(
                    &server.id,
                    format!(
                        "cannot be replicated: replication job {taken} has it (catalog \
                         replicationJobId), but GetReplicationJobs does not list that job"
                    ),
                )),
                None => match create(spec, server, facts.now) {
                    Ok(job) => out.actions.push(Action::Create(job)),
                    Err(why) => out.skips.push(Skip::new(&server.id, why)),
                },
            },
        }
    }
    unmanaged(facts, resolved, out);
}

/// Brings a live job's settings to its configuration: `UpdateReplicationJob` with only what
/// differs, each difference reported.
///
/// AWS documents only that the call "Updates the specified settings" (SMS API reference) and,
/// in an older service description, that it "will affect the next scheduled ReplicationRun"; it
/// says nothing of a run in progress or of a paused job, so the safe choice is made for both:
/// the schedule of a job with a run under way waits (see `defer_busy_schedule`), and a paused job
/// changes only with the policy's resume (see `along_with_resume`).
fn settle(job: &Job, spec: &JobSpec, facts: &Facts, out: &mut JobsPlan) {
    if !job.state.is_live() {
        return;
    }
    if spec.is_one_time() != job.run_once {
        out.skips.push(Skip::new(
            &job.id,
            format!(
                "runOnce: SMS_JOBS asks for {}, the job has {}; UpdateReplicationJob cannot \
                 change it, so it is left as it is",
                spec.is_one_time(),
                job.run_once
            ),
        ));
    }
    let mut changes = JobChanges::between(&job.settings, job.run_once, &spec.options);
    if changes.is_empty() {
        return;
    }
    if job.state == JobState::PausedOnFailure {
        match along_with_resume(job, changes, out) {
            Some(alone) => changes = alone,
            None => return,
        }
    } else {
        defer_busy_schedule(job, &mut changes, facts, out);
    }
    if !changes.is_empty() {
        out.actions.push(Action::Update {
            job_id: job.id.clone(),
            changes,
        });
    }
}

/// A paused job's changes go only with the pause-on-failure policy's resume, so that no update
/// resumes it behind the cool-down or the escalation: a reschedule carries them in its own
/// request; an on-demand resume leaves them to a separate update, returned here, which apply
/// sends before the run starts. Otherwise they wait, said in a skip.
fn along_with_resume(job: &Job, changes: JobChanges, out: &mut JobsPlan) -> Option<JobChanges> {
    let reschedule = out.actions.iter_mut().find_map(|action| match action {
        Action::Reschedule {
            job_id, changes, ..
        } if *job_id == job.id => Some(changes),
        _ => None,
    });
    if let Some(along) = reschedule {
        *along = changes;
        return None;
    }
    let resumed_by_run = (out.actions.iter())
        .any(|a| matches!(a, Action::StartRun { job_id, .. } if *job_id == job.id));
    if resumed_by_run {
        return Some(changes);
    }
    out.skips.push(Skip::new(
        &job.id,
        format!(
            "PAUSED_ON_FAILURE: {} deferred until the job is resumed (an update could resume it \
             early)",
            changes.summary()
        ),
    ));
    None
}

/// Takes the change of `frequency` out of `changes` while a run is under way (as the
/// pause-on-failure policy counts it) or the runs could not be read, saying so in a skip; a
/// later schedule makes it.
fn defer_busy_schedule(job: &Job, changes: &mut JobChanges, facts: &Facts, out: &mut JobsPlan) {
    if changes.frequency.is_none() {
        return;
    }
    let busy = match facts.runs.get(&job.id) {
        None => Some(
            "its runs could not be read (see the GetReplicationRuns outcome), so a run in \
             progress cannot be ruled out"
                .to_owned(),
        ),
        Some(runs) => policy::run_under_way(runs, facts.now).map(|run| {
            format!(
                "run {} is {}; the schedule of a run in progress is left as it is",
                run.id, run.state
            )
        }),
    };
    if let Some(why) = busy {
        let deferred = JobChanges {
            frequency: changes.take_schedule(),
            ..JobChanges::default()
        };
        out.skips.push(Skip::new(
            &job.id,
            format!("{} deferred: {why}", deferred.summary()),
        ));
    }
}

/// Reports the jobs of servers the configuration does not name: they are never changed or
/// deleted. Nothing is reported while the catalog cannot be read, since no server resolves then.
fn unmanaged(facts: &Facts, resolved: &Resolved<'_>, out: &mut JobsPlan) {
    if facts
        .catalog
        .status
        .as_ref()
        .is_some_and(|s| *s != CatalogStatus::Available)
    {
        return;
    }
    let managed = resolved.managed_servers();
    for job in facts
        .jobs
        .iter()
        .filter(|j| !managed.contains_key(j.server_id.as_str()))
        .filter(|j| !matches!(j.state, JobState::Deleting | JobState::Deleted))
    {
        out.skips.push(Skip::new(
            &job.id,
            format!(
                "not in SMS_JOBS; left as it is (server {}, {})",
                job.server_id, job.state
            ),
        ));
    }
}

/// The `CreateReplicationJob` request for a server, or why it cannot be made now.
fn create(spec: &JobSpec, server: &Server, now: i64) -> Result<CreateJob, String> {
    let seed_time = match spec.seed {
        SeedTime::Now => now,
        SeedTime::At(at) if at > now + MAX_SEED_AHEAD_SECS => {
            return Err(format!(
                "seedReplicationTime {} is more than 30 days ahead",
                fmt_time(at)
            ))
        }
        // A seed time already past means "start now": SMS takes no seed time in the past.
        SeedTime::At(at) => at.max(now),
        SeedTime::After(secs) => now + secs,
    };
    let mut notes = Vec::new();
    if spec.options.license == License::Aws {
        notes.push(
            "licenseType AWS needs a Windows server: the SMS catalog does not record the OS, so \
             SMS checks it (Linux servers take only BYOL)"
                .to_owned(),
        );
    }
    Ok(CreateJob {
        server_id: server.id.clone(),
        seed_time,
        options: spec.options.clone(),
        notes,
    })
}

/// Reports or acts on an existing job. `report_healthy` says whether a job replicating normally
/// is worth a skip entry (yes when the trigger named it, no when sweeping).
fn look_after(job: &Job, spec: &JobSpec, facts: &Facts, out: &mut JobsPlan, report_healthy: bool) {
    let runs = facts.runs.get(&job.id);
    let notice = |kind: NoticeKind, detail: String| Notice {
        target: job.id.clone(),
        kind,
        state: job.state.clone(),
        detail: format!("server {}: {detail}", job.server_id),
    };
    let one_time = job.run_once || spec.is_one_time();
    match &job.state {
        JobState::Pending | JobState::Active => {
            if report_healthy {
                out.skips.push(Skip::new(
                    &job.id,
                    format!("{}: replicating normally, nothing to do", job.state),
                ));
            }
        }
        JobState::Completed => out.notices.push(notice(
            NoticeKind::Completed,
            format!(
                "replication job completed; latest AMI {}",
                job.latest_ami.as_deref().unwrap_or("unknown")
            ),
        )),
        JobState::Deleting | JobState::Deleted => out.notices.push(notice(
            NoticeKind::Deleted,
            "replication job deleted; it is not recreated (remove the server from SMS_JOBS to \
             stop reporting it)"
                .to_owned(),
        )),
        JobState::Failing => out.notices.push(notice(
            NoticeKind::Failing,
            format!(
                "runs are failing: {}",
                policy::root_cause(job, runs.map_or(&[], Vec::as_slice))
            ),
        )),
        JobState::Failed | JobState::PausedOnFailure if one_time => out.notices.push(notice(
            NoticeKind::OneTimeFailed,
            format!(
                "one-time replication job failed (one-time jobs are never paused or resumed): {}",
                policy::root_cause(job, runs.map_or(&[], Vec::as_slice))
            ),
        )),
        JobState::Failed => out.notices.push(notice(
            NoticeKind::Failed,
            format!(
                "replication job failed: {}",
                policy::root_cause(job, runs.map_or(&[], Vec::as_slice))
            ),
        )),
        JobState::PausedOnFailure => {
            let Some(runs) = runs else {
                out.skips.push(Skip::new(
                    &job.id,
                    "PAUSED_ON_FAILURE, but its runs could not be read (see the \
                     GetReplicationRuns outcome); nothing decided",
                ));
                return;
            };
            let cause = policy::root_cause(job, runs);
            match policy::paused(&spec.on_failure, runs, facts.now) {
                Resume::Wait(why) => out.skips.push(Skip::new(
                    &job.id,
                    format!("PAUSED_ON_FAILURE: {why}; {cause}"),
                )),
                Resume::Escalate(why) => out.notices.push(notice(
                    NoticeKind::Escalate,
                    format!("escalated: {why}; {cause}"),
                )),
                Resume::OnDemandRun => out.actions.push(Action::StartRun {
                    job_id: job.id.clone(),
                    description: format!("{}: resume after failure", crate::FUNCTION),
                    reason: format!("resumed after the cool-down; {cause}"),
                }),
                Resume::Reschedule(next_start) => out.actions.push(Action::Reschedule {
                    job_id: job.id.clone(),
                    next_start,
                    reason: format!("resumed after the cool-down; {cause}"),
                    changes: JobChanges::default(),
                }),
            }
        }
        JobState::Unknown(other) => {
            if report_healthy {
                out.skips.push(Skip::new(
                    &job.id,
                    format!("{other}: not a state this function handles"),
                ));
            }
        }
    }
}

/// Direct invocation: an on-demand run for one named job, within the SMS limits.
fn on_demand(target: &str, facts: &Facts, resolved: &Resolved<'_>, out: &mut JobsPlan) {
    if !target.starts_with("sms-job-") {
        out.skips
            .push(Skip::new(target, "not a replication job id (sms-job-...)"));
        return;
    }
    let Some(job) = facts.jobs.iter().find(|j| j.id == target) else {
        out.skips.push(Skip::new(
            target,
            "no such replication job in this account and region",
        ));
        return;
    };
    if resolved.spec_for(&job.server_id).is_none() {
        out.skips.push(Skip::new(
            target,
            format!(
                "server {} is outside the configured jobs (SMS_JOBS)",
                job.server_id
            ),
        ));
        return;
    }
    if !job.state.is_live() {
        out.skips.push(Skip::new(
            target,
            format!(
                "{}: on-demand runs need a job that is still replicating",
                job.state
            ),
        ));
        return;
    }
    let Some(runs) = facts.runs.get(&job.id) else {
        out.skips.push(Skip::new(
            target,
            "its runs could not be read (see the GetReplicationRuns outcome), so the on-demand \
             limits cannot be checked",
        ));
        return;
    };
    match policy::on_demand_gate(runs, facts.now) {
        Ok(()) => out.actions.push(Action::StartRun {
            job_id: job.id.clone(),
            description: format!("{}: on-demand run by direct invoke", crate::FUNCTION),
            reason: "requested by direct invoke".to_owned(),
        }),
        Err(why) => out.skips.push(Skip::new(target, why)),
    }
}

/// An SMS API call recorded by CloudTrail (directly or through SNS): look after the jobs it
/// names, or every managed job in a failure state when it names none.
fn api_call(call: &ApiCall, facts: &Facts, resolved: &Resolved<'_>, out: &mut JobsPlan) {
    if call.read_only == Some(true) {
        out.skips.push(Skip::new(
            &call.event_id,
            format!(
                "read-only SMS API call ({}): nothing changed",
                call.event_name
            ),
        ));
        return;
    }
    let mut named = BTreeSet::new();
    collect_job_ids(&call.request_parameters, &mut named);
    collect_job_ids(&call.response_elements, &mut named);
    for resource in &call.resources {
        collect_job_ids(&Value::String(resource.clone()), &mut named);
    }
    if named.is_empty() {
        for (spec, server) in &resolved.managed {
            if let Some(job) = job_for(&server.id, &facts.jobs).filter(|j| j.state.is_failure()) {
                look_after(job, spec, facts, out, false);
            }
        }
        return;
    }
    for id in named {
        match facts.jobs.iter().find(|j| j.id == id) {
            None => out.skips.push(Skip::new(
                &id,
                "named by the event, but no such replication job exists (any more)",
            )),
            Some(job) => match resolved.spec_for(&job.server_id) {
                Some(spec) => look_after(job, spec, facts, out, true),
                None => out.skips.push(Skip::new(
                    &id,
                    format!(
                        "server {} is outside the configured jobs (SMS_JOBS)",
                        job.server_id
                    ),
                )),
            },
        }
    }
}

/// Every `sms-job-...` id anywhere in an event's detail (request parameters, response elements,
/// ARNs), since CloudTrail records name the job in different members per API call.
fn collect_job_ids(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(start) = rest.find("sms-job-") {
                let tail = &rest[start..];
                let end = tail
                    .char_indices()
                    .skip("sms-job-".len())
                    .find(|(_, c)| !c.is_ascii_alphanumeric())
                    .map_or(tail.len(), |(i, _)| i);
                if end > "sms-job-".len() {
                    out.insert(tail[..end].to_owned());
                }
                rest = &tail[end..];
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_job_ids(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_job_ids(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
