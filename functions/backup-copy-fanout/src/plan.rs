//! Plan: decide, without I/O, which copies to start and why everything else is left alone.
//!
//! Two pure steps: [`scope`] reads the trigger (what to look at, before observing), [`plan`]
//! reads what observe found (what to copy where).

use crate::config::BackupConfig;
use crate::model::{
    target, vault_name, BackupJobState, Copy, CopyJob, CopyJobState, Facts, PointRequest,
    RecoveryPoint, Scope, StorageClass, VaultEventType, MAX_FAILED_FANOUTS_PER_SWEEP,
    START_COPY_JOB,
};
use dr_core::arn::Arn;
use dr_core::backup::Destination;
use dr_core::error::{CallFailure, ErrorClass};
use dr_core::function::Plan;
use dr_core::metrics::{Measures, Unit};
use dr_core::report::{OutcomeResult, Skip, TargetOutcome};
use dr_core::trigger::{BackupJobChange, CopyJobChange, Event, Trigger, VaultNotification};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Continuous (point-in-time) recovery points are named `recovery-point:continuous:<id>`
/// (Aurora User Guide, "Restoring a DB cluster to a specified time using AWS Backup"; RDS's
/// `AwsBackupRecoveryPointArn`); the Backup API has no member that says "continuous".
const CONTINUOUS_MARK: &str = ":recovery-point:continuous:";

/// The quota of concurrent cross-account copies of one resource to one destination region
/// (Developer Guide, "AWS Backup quotas": 30, not adjustable).
const CROSS_ACCOUNT_COPIES_PER_RESOURCE_AND_REGION: usize = 30;

/// Adds a request to `scope`; [`merge_requests`] later folds it into an earlier one for the
/// same recovery point.
fn want(scope: &mut Scope, arn: &str, vault: Option<&str>, destination: Option<&str>) {
    scope.points.push(PointRequest {
        recovery_point_arn: arn.to_owned(),
        vault: vault.map(str::to_owned),
        destinations: destination.map(|d| BTreeSet::from([d.to_owned()])),
    });
}

/// One request per recovery point, in order of first mention: the first vault named wins, and
/// the destinations are the union of those asked for, or every destination once any request
/// asks for all. Linear, so a direct invocation naming thousands of points stays cheap.
fn merge_requests(requests: Vec<PointRequest>) -> Vec<PointRequest> {
    let mut position: HashMap<String, usize> = HashMap::new();
    let mut merged: Vec<PointRequest> = Vec::with_capacity(requests.len());
    for req in requests {
        match position.get(&req.recovery_point_arn) {
            Some(&i) => {
                let p = &mut merged[i];
                if p.vault.is_none() {
                    p.vault = req.vault;
                }
                p.destinations = match (p.destinations.take(), req.destinations) {
                    (Some(mut only), Some(more)) => {
                        only.extend(more);
                        Some(only)
                    }
                    _ => None,
                };
            }
            None => {
                position.insert(req.recovery_point_arn.clone(), merged.len());
                merged.push(req);
            }
        }
    }
    merged
}

/// Reads the trigger: a schedule sweeps, events and invocations name recovery points; anything
/// that cannot lead to a copy is skipped with the reason.
pub fn scope(trigger: &Trigger, config: &BackupConfig) -> Scope {
    let mut scope = Scope::default();
    for event in &trigger.events {
        match event {
            Event::Schedule(_) => scope.sweep = true,
            Event::Direct(direct) => {
                for target in &direct.targets {
                    if Arn::parse(target).is_ok() {
                        want(&mut scope, target, None, None);
                    } else {
                        scope.skip(target, "not a recovery point ARN");
                    }
                }
            }
            Event::BackupJob(job) => backup_job(job, config, &mut scope),
            Event::CopyJob(job) => copy_job(job, config, &mut scope),
            Event::VaultNotification(v) => vault_notification(v, &mut scope),
            other => scope
                .skips
                .push(Trigger::not_handled(other, crate::FUNCTION)),
        }
    }
    scope.points = merge_requests(std::mem::take(&mut scope.points));
    scope
}

fn backup_job(job: &BackupJobChange, config: &BackupConfig, scope: &mut Scope) {
    let state = BackupJobState::from(job.state.as_str());
    if state != BackupJobState::Completed {
        return scope.skip(
            &job.backup_job_id,
            format!("backup job {state}: nothing to copy"),
        );
    }
    let Some(arn) = &job.recovery_point_arn else {
        return scope.skip(
            &job.backup_job_id,
            "backup job event names no recovery point (resources is empty)",
        );
    };
    let vault = job.backup_vault_name.as_deref();
    if let Some(reason) = vault.and_then(|v| config.vaults.outside_allowlist(v)) {
        return scope.skip(arn, reason);
    }
    want(scope, arn, vault, None);
}

/// A failed copy is retried to its destination; a completed one frees the resource, so the
/// recovery point's other pending destinations can start.
fn copy_job(job: &CopyJobChange, config: &BackupConfig, scope: &mut Scope) {
    // A CREATED event carries no copy job id; its event id names it.
    let job_id = job.copy_job_id.as_deref().unwrap_or(&job.event_id);
    let state = CopyJobState::from(job.state.as_str());
    let retry = match state {
        CopyJobState::Completed => false,
        ref s if s.is_failed() => true,
        other => {
            return scope.skip(
                job_id,
                format!("copy job {other}: nothing to do until it ends"),
            )
        }
    };
    let Some(arn) = &job.source_recovery_point_arn else {
        return scope.skip(
            job_id,
            "copy job event names no source recovery point (resources is empty)",
        );
    };
    let source_vault = job
        .source_backup_vault_arn
        .as_deref()
        .and_then(|a| Arn::parse(a).ok());
    let vault = source_vault.as_ref().and_then(vault_name);
    if let Some(reason) = vault.and_then(|v| config.vaults.outside_allowlist(v)) {
        return scope.skip(arn, reason);
    }
    if !retry {
        return want(scope, arn, vault, None);
    }
    match job.destination_backup_vault_arn.as_deref() {
        Some(dest) if config.vaults.destination(dest).is_some() => {
            want(scope, arn, vault, Some(dest))
        }
        Some(dest) => scope.skip(
            &target(arn, dest),
            format!(
                "copy job {job_id} {state} to a vault not in BACKUP_DESTINATIONS; only \
                 configured destinations are retried"
            ),
        ),
        None => scope.skip(job_id, "failed copy job event names no destination vault"),
    }
}

/// Only completed backup jobs lead to copies; attributes were preferred over the text by the
/// parser, and a text-only notification has no event type.
fn vault_notification(v: &VaultNotification, scope: &mut Scope) {
    let target = v
        .recovery_point_arn
        .as_deref()
        .or(v.job_id.as_deref())
        .unwrap_or(&v.message_id);
    let event_type = v.event_type.as_deref().map(VaultEventType::from);
    if let Some(other) = event_type.filter(|t| *t != VaultEventType::BackupJob) {
        return scope.skip(
            target,
            format!("{other} notification: only completed backup jobs are copied"),
        );
    }
    match v.state.as_deref().map(BackupJobState::from) {
        Some(BackupJobState::Completed) => {}
        Some(state) => return scope.skip(target, format!("backup job {state}: nothing to copy")),
        None => {
            return scope.skip(
                target,
                "backup notification without a state: nothing to copy",
            )
        }
    }
    match &v.recovery_point_arn {
        Some(arn) => want(scope, arn, None, None),
        None => scope.skip(target, "backup notification names no recovery point"),
    }
}

/// Plans the copies: one per recovery point and destination still lacking one, every
/// destination of a point in the same run. AWS Backup runs one backup or copy job per resource
/// at a time (Developer Guide, "AWS Backup quotas") and queues the resource's further requests
/// (as the Timestream Developer Guide, "Quota and limits", says of backups) rather than refusing
/// them, so copies of a busy resource are started all the same and said to be queued; only the
/// copy quotas defer them. Were a copy refused after all (`LimitExceededException`), apply
/// reports it deferred with nothing started, and a later run starts it.
pub fn plan(config: &BackupConfig, facts: &Facts) -> Plan<Copy> {
    let scope = &facts.scope;
    let mut out = Plan {
        skips: scope.skips.clone(),
        ..Plan::default()
    };
    let mut candidates: Vec<(&RecoveryPoint, Option<&BTreeSet<String>>)> = Vec::new();
    if scope.sweep {
        candidates.extend(facts.recovery_points.iter().map(|p| (p, None)));
    }
    // Indexes, so that a run over thousands of recovery points and copy jobs stays linear.
    let mut points: HashMap<&str, &RecoveryPoint> = HashMap::new();
    for point in &facts.recovery_points {
        points.entry(point.arn.as_str()).or_insert(point);
    }
    let jobs_of = jobs_by_copy(facts);
    let mut chosen: HashSet<&str> = candidates.iter().map(|(p, _)| p.arn.as_str()).collect();
    for req in &scope.points {
        match points.get(req.recovery_point_arn.as_str()) {
            // A swept point already goes to every destination.
            Some(p) if !chosen.insert(p.arn.as_str()) => {}
            Some(p) => candidates.push((p, req.destinations.as_ref())),
            None => out.skips.push(Skip::new(
                &req.recovery_point_arn,
                facts
                    .unreadable
                    .get(&req.recovery_point_arn)
                    .map_or("not found in the source vaults", String::as_str),
            )),
        }
    }
    if facts.unexamined_failures > 0 {
        out.skips.push(Skip::new(
            "failed copies of older recovery points",
            format!(
                "{} more recovery points older than the sweep window have a failed copy; this \
                 sweep re-examined the newest {MAX_FAILED_FANOUTS_PER_SWEEP}, the next ones take \
                 the rest",
                facts.unexamined_failures
            ),
        ));
    }
    // Newest first: the latest recovery point is the one a recovery would use.
    candidates.sort_by(|(a, _), (b, _)| b.created.cmp(&a.created).then(a.arn.cmp(&b.arn)));

    let mut load = Load::observed(facts);
    for (point, only) in candidates {
        if let Some(reason) = point_skip(point, config) {
            out.skips.push(Skip::new(&point.arn, reason));
            continue;
        }
        let resource = point.resource_arn.as_deref().unwrap_or(&point.arn);
        let source_account = point.vault_arn.as_ref().and_then(Arn::account);
        let destinations = config
            .vaults
            .destinations
            .iter()
            .filter(|d| only.is_none_or(|o| o.contains(d.vault_arn.as_str())));
        for dest in destinations {
            let target = target(&point.arn, dest.vault_arn.as_str());
            if point.vault_arn.as_ref() == Some(&dest.vault_arn) {
                out.skips
                    .push(Skip::new(target, "destination is the source vault"));
                continue;
            }
            let jobs: &[&CopyJob] = jobs_of
                .get(&(point.arn.as_str(), dest.vault_arn.as_str()))
                .map_or(&[], Vec::as_slice);
            if let Some(j) = jobs.iter().find(|j| j.state.is_in_flight()) {
                out.skips.push(Skip::new(
                    target,
                    format!("copy job {} is {}", j.id, j.state),
                ));
                continue;
            }
            if let Some(j) = jobs.iter().find(|j| j.state == CopyJobState::Completed) {
                out.skips.push(Skip::new(
                    target,
                    format!("already copied by copy job {}", j.id),
                ));
                continue;
            }
            let failures: Vec<&CopyJob> = jobs
                .iter()
                .copied()
                .filter(|j| j.state.is_failed())
                .collect();
            let failed_attempts = u32::try_from(failures.len()).unwrap_or(u32::MAX);
            if failed_attempts >= config.max_attempts {
                let last = failures.into_iter().max_by_key(|j| j.created);
                out.outcomes.push(exhausted(
                    target,
                    failed_attempts,
                    last,
                    config.max_attempts,
                ));
                continue;
            }
            let cross_account = source_account.is_some_and(|a| a != dest.account());
            if let Err(reason) = load.admit(resource, dest, cross_account, config) {
                if let Some(age) = late(point, facts.observed_at, config) {
                    out.outcomes.push(incomplete(target, age, &reason));
                } else {
                    out.skips
                        .push(Skip::new(target, format!("deferred: {reason}")));
                }
                continue;
            }
            out.actions.push(Copy {
                recovery_point_arn: point.arn.clone(),
                source_vault_name: point.vault_name.clone(),
                destination: dest.clone(),
                attempt: failed_attempts + 1,
                queued_behind: load.hold(
                    resource,
                    format!("the copy to {} started by this run", dest.vault_arn),
                ),
            });
        }
    }
    out
}

/// What the copy quotas and the one-job-per-resource rule see: the jobs in flight, and the
/// copies this run has planned so far.
struct Load<'a> {
    /// The first job holding each resource.
    holders: HashMap<&'a str, String>,
    /// Copy jobs in flight to each destination region.
    regions: HashMap<&'a str, usize>,
    /// Cross-account copy jobs in flight of each resource to each destination region.
    cross_account: HashMap<(&'a str, &'a str), usize>,
}

impl<'a> Load<'a> {
    fn observed(facts: &'a Facts) -> Self {
        let mut load = Self {
            holders: HashMap::new(),
            regions: HashMap::new(),
            cross_account: HashMap::new(),
        };
        for job in &facts.backup_jobs {
            if let Some(resource) = job.resource_arn.as_deref() {
                load.holders
                    .entry(resource)
                    .or_insert_with(|| format!("backup job {} ({})", job.id, job.state));
            }
        }
        for job in facts.copy_jobs.iter().filter(|j| j.state.is_in_flight()) {
            let holder = format!("copy job {} ({})", job.id, job.state);
            if let Some(resource) = job.resource_arn.as_deref() {
                load.holders.entry(resource).or_insert(holder);
            }
            // A destination counts by its ARN's region, configured or not.
            let Some(dest) = &job.destination_vault_arn else {
                continue;
            };
            if let Some(region) = dest.region() {
                *load.regions.entry(region).or_default() += 1;
                let source = job.source_vault_arn.as_ref().and_then(Arn::account);
                let cross = source.is_some_and(|s| Some(s) != dest.account());
                if let (true, Some(resource)) = (cross, job.resource_arn.as_deref()) {
                    *load.cross_account.entry((resource, region)).or_default() += 1;
                }
            }
        }
        load
    }

    /// Counts one more copy of `resource` to `dest`, or says which quota refuses it.
    fn admit(
        &mut self,
        resource: &'a str,
        dest: &'a Destination,
        cross_account: bool,
        config: &BackupConfig,
    ) -> Result<(), String> {
        let region = self.regions.entry(dest.region()).or_default();
        if *region >= config.region_copy_quota {
            return Err(format!(
                "{region} copy jobs already in flight to {}, the quota is {} \
                 (BACKUP_REGION_COPY_QUOTA)",
                dest.region(),
                config.region_copy_quota
            ));
        }
        if cross_account {
            let same = self
                .cross_account
                .entry((resource, dest.region()))
                .or_default();
            if *same >= CROSS_ACCOUNT_COPIES_PER_RESOURCE_AND_REGION {
                return Err(format!(
                    "{same} cross-account copies of this resource to {} already in flight, \
                     AWS Backup's quota is {CROSS_ACCOUNT_COPIES_PER_RESOURCE_AND_REGION}",
                    dest.region()
                ));
            }
            *same += 1;
        }
        *region += 1;
        Ok(())
    }

    /// The job a new copy of `resource` waits behind, if any; else `this` now holds it.
    fn hold(&mut self, resource: &'a str, this: String) -> Option<String> {
        match self.holders.get(resource) {
            Some(holder) => Some(holder.clone()),
            None => {
                self.holders.insert(resource, this);
                None
            }
        }
    }
}

/// The recovery point's age in whole hours when a deferral is late enough to report as an
/// unfinished fan-out: older than half the sweep window, so it has had several sweeps and few
/// are left (or none, for a point re-examined for a failed copy).
fn late(point: &RecoveryPoint, now: i64, config: &BackupConfig) -> Option<i64> {
    let age = now - point.created?;
    (age > i64::from(config.sweep_window_hours) * 1800).then_some(age / 3600)
}

/// The report outcome for a copy that the quotas keep deferring on a recovery point about to
/// leave the sweep window: a failure, so the report alerts before the fan-out stalls unseen.
fn incomplete(target: String, age_hours: i64, reason: &str) -> TargetOutcome {
    TargetOutcome::failed(
        target,
        START_COPY_JOB,
        &CallFailure {
            class: ErrorClass::Fatal,
            code: "FanOutIncomplete".into(),
            message: format!(
                "not copied, and the recovery point is {age_hours} hours old, past half the \
                 sweep window: {reason}; later sweeps retry it while it is in the window"
            ),
        },
    )
}

/// Why a whole recovery point is not copied, if it is not.
fn point_skip(point: &RecoveryPoint, config: &BackupConfig) -> Option<String> {
    if let Some(reason) = config.vaults.outside_allowlist(&point.vault_name) {
        return Some(reason);
    }
    if let Some(parent) = &point.parent_arn {
        return Some(format!(
            "member of composite recovery point {parent}, which is copied as a whole"
        ));
    }
    if point.arn.contains(CONTINUOUS_MARK) {
        return Some(
            "continuous (point-in-time) backup: StartCopyJob does not support continuous \
             backups; a backup plan's copy rule copies them as snapshots"
                .into(),
        );
    }
    if !point.status.is_copyable() {
        return Some(format!(
            "status {}: only COMPLETED and AVAILABLE recovery points are copied",
            point.status
        ));
    }
    match point.storage_class {
        Some(StorageClass::Cold) => {
            return Some(
                "in cold storage (or the archive tier): AWS Backup cannot copy backups in cold \
                 storage or archive tiers"
                    .into(),
            )
        }
        Some(StorageClass::Deleted) => {
            return Some("storage class DELETED: nothing left to copy".into())
        }
        _ => {}
    }
    config
        .vaults
        .outside_resource_types(point.resource_type.as_deref())
}

/// The report outcome for a copy that failed `failed_attempts` times: a failure that retrying
/// will not fix, so the report alerts instead of the function looping.
fn exhausted(
    target: String,
    failed_attempts: u32,
    last: Option<&CopyJob>,
    max_attempts: u32,
) -> TargetOutcome {
    let last = last.map_or_else(String::new, |j| {
        format!(
            "; the last, copy job {}, ended with: {}",
            j.id,
            j.status_message.as_deref().unwrap_or("no status message")
        )
    });
    TargetOutcome::failed(
        target,
        START_COPY_JOB,
        &CallFailure {
            class: ErrorClass::Fatal,
            code: "CopyAttemptsExhausted".into(),
            message: format!(
                "{failed_attempts} copy attempts failed (BACKUP_COPY_MAX_ATTEMPTS is \
                 {max_attempts}){last}; not retried again"
            ),
        },
    )
}

/// The copy jobs of each recovery point and destination vault.
fn jobs_by_copy(facts: &Facts) -> HashMap<(&str, &str), Vec<&CopyJob>> {
    let mut jobs_of: HashMap<(&str, &str), Vec<&CopyJob>> = HashMap::new();
    for job in &facts.copy_jobs {
        if let (Some(point), Some(dest)) =
            (&job.source_recovery_point_arn, &job.destination_vault_arn)
        {
            jobs_of
                .entry((point.as_str(), dest.as_str()))
                .or_default()
                .push(job);
        }
    }
    jobs_of
}

/// What a run measures: the copies it started (`CopiesStarted`) and failed to start, the copy
/// jobs AWS Backup holds queued (`CopiesQueued`: CREATED) and failed, and the coverage of the
/// recovery points it read: of every copy the configuration wants of them (`CopiesExpected`),
/// how many a COMPLETED copy job made (`CopiesCompleted`, `CopyCoveragePercent`). A copy still
/// in flight is not yet coverage.
pub fn measure(config: &BackupConfig, facts: &Facts, outcomes: &[TargetOutcome]) -> Measures {
    let jobs_of = jobs_by_copy(facts);
    let (mut expected, mut completed) = (0, 0);
    for point in &facts.recovery_points {
        if point_skip(point, config).is_some() {
            continue;
        }
        for dest in &config.vaults.destinations {
            if point.vault_arn.as_ref() == Some(&dest.vault_arn) {
                continue;
            }
            expected += 1;
            let done = jobs_of
                .get(&(point.arn.as_str(), dest.vault_arn.as_str()))
                .is_some_and(|jobs| jobs.iter().any(|j| j.state == CopyJobState::Completed));
            completed += usize::from(done);
        }
    }
    let starts = outcomes.iter().filter(|o| o.action == START_COPY_JOB);
    let started = starts
        .clone()
        .filter(|o| o.result == OutcomeResult::Done)
        .count();
    let not_started = starts.filter(|o| o.result == OutcomeResult::Failed).count();
    let jobs = |state: CopyJobState| facts.copy_jobs.iter().filter(|j| j.state == state).count();
    let failed_jobs = facts
        .copy_jobs
        .iter()
        .filter(|j| j.state.is_failed())
        .count();
    let mut measures = Measures::new();
    measures
        .count("CopiesStarted", started)
        .count("CopiesQueued", jobs(CopyJobState::Created))
        .count("CopiesFailed", failed_jobs + not_started)
        .count("CopiesExpected", expected)
        .count("CopiesCompleted", completed)
        .smallest(
            "CopyCoveragePercent",
            Unit::Percent,
            Some(dr_core::metrics::percent(completed, expected)),
        );
    measures
}

#[cfg(test)]
mod tests;
