//! Plan: decide, without I/O, which copies to start and why everything else is left alone.
//!
//! Two pure steps: [`scope`] reads the trigger (what to look at), [`plan`] reads what observe
//! found (what to copy where).

use crate::config::{BackupConfig, Destination};
use crate::handler::FUNCTION;
use crate::observe::{BackupJob, CopyJob, RecoveryPoint, MAX_FAILED_FANOUTS_PER_SWEEP};
use dr_core::error::{CallFailure, ErrorClass};
use dr_core::report::{Skip, Skips, TargetOutcome};
use dr_core::trigger::{BackupJobChange, CopyJobChange, Event, Trigger, VaultNotification};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The AWS operation this function applies.
pub const START_COPY_JOB: &str = "StartCopyJob";

/// The copy job state that means "copied", and a recovery point status that means "backed up".
const COMPLETED: &str = "COMPLETED";

/// Recovery point statuses that mean the backup exists and can be copied: `COMPLETED`, and
/// `AVAILABLE`, "the backup was successfully created" (API reference, `DescribeRecoveryPoint`
/// `Status`). The others are not copied: `CREATING` (not finished), `PARTIAL` (a composite
/// missing nested points), `EXPIRED` and `DELETING` (past retention), `STOPPED` (a continuous
/// backup that was disabled).
const COPYABLE_STATUSES: [&str; 2] = [COMPLETED, "AVAILABLE"];

/// Continuous (point-in-time) recovery points are named `recovery-point:continuous:<id>`
/// (Aurora User Guide, "Restoring a DB cluster to a specified time using AWS Backup"; RDS's
/// `AwsBackupRecoveryPointArn`); the Backup API has no member that says "continuous".
const CONTINUOUS_MARK: &str = ":recovery-point:continuous:";

/// The quota of concurrent cross-account copies of one resource to one destination region
/// (Developer Guide, "AWS Backup quotas": 30, not adjustable).
const CROSS_ACCOUNT_COPIES_PER_RESOURCE_AND_REGION: usize = 30;

/// What a run looks at, decided from the trigger alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Sweep every source vault for recent recovery points (a schedule).
    pub sweep: bool,
    /// Recovery points the event or invocation names, each once.
    pub points: Vec<PointRequest>,
    /// What the trigger named that is left alone, with the reason.
    pub skips: Skips,
}

/// A recovery point a trigger names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointRequest {
    /// The recovery point ARN.
    pub recovery_point_arn: String,
    /// The vault the event says holds it (already in the allowlist); none = search them all.
    pub vault: Option<String>,
    /// Only these destinations (a failed copy's retry); none = every configured destination.
    pub destinations: Option<BTreeSet<String>>,
}

impl Scope {
    fn skip(&mut self, target: &str, reason: impl Into<String>) {
        self.skips.push(Skip::new(target, reason));
    }

    /// Adds a request; [`merge_requests`] later folds it into an earlier one for the same
    /// recovery point.
    fn want(&mut self, arn: &str, vault: Option<&str>, destination: Option<&str>) {
        self.points.push(PointRequest {
            recovery_point_arn: arn.to_owned(),
            vault: vault.map(str::to_owned),
            destinations: destination.map(|d| BTreeSet::from([d.to_owned()])),
        });
    }
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

/// What observe found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Recovery points from the sweep and the requested ones that were found.
    pub recovery_points: Vec<RecoveryPoint>,
    /// Requested recovery points that could not be read, with the reason.
    pub unreadable: BTreeMap<String, String>,
    /// Copy jobs of those recovery points, and every copy job still in flight.
    pub copy_jobs: Vec<CopyJob>,
    /// Backup jobs still in flight: they hold their resources as copy jobs do.
    pub backup_jobs: Vec<BackupJob>,
    /// When observe read all this, epoch seconds.
    pub observed_at: i64,
    /// Failed copies of older recovery points that this sweep had no room to re-examine.
    pub unexamined_failures: usize,
}

/// One copy to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    /// The recovery point to copy.
    pub recovery_point_arn: String,
    /// The vault that holds it.
    pub source_vault_name: String,
    /// Where to copy it, with the copy's lifecycle.
    pub destination: Destination,
    /// 1 for the first attempt; n + 1 after n failed copy jobs.
    pub attempt: u32,
    /// The job of the same resource that AWS Backup will make this copy wait for in CREATED,
    /// when there is one.
    pub queued_behind: Option<String>,
}

impl Copy {
    /// The report target: recovery point and destination.
    pub fn target(&self) -> String {
        target(&self.recovery_point_arn, &self.destination.vault_arn)
    }

    /// The `IdempotencyToken`: the same recovery point, destination and attempt always give the
    /// same token, so a redelivered event or an overlapping run starts no second copy.
    pub fn idempotency_token(&self) -> String {
        idempotency_token(
            &self.recovery_point_arn,
            &self.destination.vault_arn,
            self.attempt,
        )
    }
}

/// What the run will do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyPlan {
    /// Copies to start, newest recovery point first.
    pub copies: Vec<Copy>,
    /// Copies that failed too often to retry: reported as failures so someone looks.
    pub alerts: Vec<TargetOutcome>,
    /// Recovery points and destinations left alone, with the reason.
    pub skips: Skips,
}

/// Reads the trigger: a schedule sweeps, events and invocations name recovery points; anything
/// that cannot lead to a copy is skipped with the reason.
pub fn scope(trigger: &Trigger, config: &BackupConfig) -> Scope {
    let mut scope = Scope {
        skips: trigger.skips.clone(),
        ..Scope::default()
    };
    for event in &trigger.events {
        match event {
            Event::Schedule(_) => scope.sweep = true,
            Event::Direct(direct) => {
                for target in &direct.targets {
                    if is_arn(target) {
                        scope.want(target, None, None);
                    } else {
                        scope.skip(target, "not a recovery point ARN");
                    }
                }
            }
            Event::BackupJob(job) => backup_job(job, config, &mut scope),
            Event::CopyJob(job) => copy_job(job, config, &mut scope),
            Event::VaultNotification(v) => vault_notification(v, &mut scope),
            other => scope.skips.push(Trigger::not_handled(other, FUNCTION)),
        }
    }
    scope.points = merge_requests(std::mem::take(&mut scope.points));
    scope
}

fn backup_job(job: &BackupJobChange, config: &BackupConfig, scope: &mut Scope) {
    if job.state != COMPLETED {
        return scope.skip(
            &job.backup_job_id,
            format!("backup job {}: nothing to copy", job.state),
        );
    }
    let Some(arn) = &job.recovery_point_arn else {
        return scope.skip(
            &job.backup_job_id,
            "backup job event names no recovery point (resources is empty)",
        );
    };
    let vault = job.backup_vault_name.as_deref();
    if let Some(reason) = vault.and_then(|v| outside_allowlist(v, config)) {
        return scope.skip(arn, reason);
    }
    scope.want(arn, vault, None);
}

/// A failed copy is retried to its destination; a completed one frees the resource, so the
/// recovery point's other pending destinations can start.
fn copy_job(job: &CopyJobChange, config: &BackupConfig, scope: &mut Scope) {
    // A CREATED event carries no copy job id; its event id names it.
    let job_id = job.copy_job_id.as_deref().unwrap_or(&job.event_id);
    let retry = match job.state.as_str() {
        "FAILED" | "PARTIAL" => true,
        COMPLETED => false,
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
    let vault = job
        .source_backup_vault_arn
        .as_deref()
        .and_then(|a| a.rsplit_once(":backup-vault:"))
        .map(|(_, name)| name);
    if let Some(reason) = vault.and_then(|v| outside_allowlist(v, config)) {
        return scope.skip(arn, reason);
    }
    if !retry {
        return scope.want(arn, vault, None);
    }
    match job.destination_backup_vault_arn.as_deref() {
        Some(dest) if config.destination(dest).is_some() => scope.want(arn, vault, Some(dest)),
        Some(dest) => scope.skip(
            &target(arn, dest),
            format!(
                "copy job {} {} to a vault not in BACKUP_DESTINATIONS; only configured \
                 destinations are retried",
                job_id, job.state
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
    if let Some(other) = v.event_type.as_deref().filter(|t| *t != "BACKUP_JOB") {
        return scope.skip(
            target,
            format!("{other} notification: only completed backup jobs are copied"),
        );
    }
    match v.state.as_deref() {
        Some(COMPLETED) => {}
        Some(state) => return scope.skip(target, format!("backup job {state}: nothing to copy")),
        None => {
            return scope.skip(
                target,
                "backup notification without a state: nothing to copy",
            )
        }
    }
    match &v.recovery_point_arn {
        Some(arn) => scope.want(arn, None, None),
        None => scope.skip(target, "backup notification names no recovery point"),
    }
}

fn outside_allowlist(vault: &str, config: &BackupConfig) -> Option<String> {
    (!config.source_vaults.iter().any(|v| v == vault))
        .then(|| format!("source vault `{vault}` is not in BACKUP_SOURCE_VAULTS"))
}

/// Recovery points older than the sweep window whose fan-out a sweep re-examines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailedFanouts {
    /// One request per recovery point, every destination, newest failure first.
    pub requests: Vec<PointRequest>,
    /// Recovery points left for a later sweep, past [`MAX_FAILED_FANOUTS_PER_SWEEP`].
    pub unexamined: usize,
}

/// The recovery points, not among `swept`, of failed or partial copy jobs from an allowlisted
/// vault to a configured destination: a lost or unhandled failure event must not leave a
/// fan-out unfinished once its point leaves the sweep window. Every destination is asked for,
/// so a destination never started is started too.
pub fn failed_fanouts(
    config: &BackupConfig,
    swept: &[RecoveryPoint],
    failed: &[CopyJob],
) -> FailedFanouts {
    let swept: HashSet<&str> = swept.iter().map(|p| p.arn.as_str()).collect();
    let mut jobs: Vec<&CopyJob> = failed
        .iter()
        .filter(|j| {
            j.destination_vault_arn
                .as_deref()
                .is_some_and(|d| config.destination(d).is_some())
        })
        .collect();
    jobs.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
    let mut seen = HashSet::new();
    let mut out = FailedFanouts::default();
    for job in jobs {
        let Some(point) = job.source_recovery_point_arn.as_deref() else {
            continue;
        };
        let vault = job
            .source_vault_arn
            .as_deref()
            .and_then(|a| a.rsplit_once(":backup-vault:"))
            .map(|(_, name)| name);
        let allowed = vault.is_some_and(|v| outside_allowlist(v, config).is_none());
        if !allowed || swept.contains(point) || !seen.insert(point) {
            continue;
        }
        if out.requests.len() == MAX_FAILED_FANOUTS_PER_SWEEP {
            out.unexamined += 1;
            continue;
        }
        out.requests.push(PointRequest {
            recovery_point_arn: point.to_owned(),
            vault: vault.map(str::to_owned),
            destinations: None,
        });
    }
    out
}

/// Plans the copies: one per recovery point and destination still lacking one, every
/// destination of a point in the same run. AWS Backup runs one backup or copy job per resource
/// at a time (Developer Guide, "AWS Backup quotas") and queues the resource's further requests
/// (as the Timestream Developer Guide, "Quota and limits", says of backups) rather than refusing
/// them, so copies of a busy resource are started all the same and said to be queued; only the
/// copy quotas defer them. Were a copy refused after all (`LimitExceededException`), apply
/// reports it deferred with nothing started, and a later run starts it.
pub fn plan(scope: &Scope, config: &BackupConfig, facts: &Facts) -> CopyPlan {
    let mut out = CopyPlan::default();
    let mut candidates: Vec<(&RecoveryPoint, Option<&BTreeSet<String>>)> = Vec::new();
    if scope.sweep {
        candidates.extend(facts.recovery_points.iter().map(|p| (p, None)));
    }
    // Indexes, so that a run over thousands of recovery points and copy jobs stays linear.
    let mut points: HashMap<&str, &RecoveryPoint> = HashMap::new();
    for point in &facts.recovery_points {
        points.entry(point.arn.as_str()).or_insert(point);
    }
    let mut jobs_of: HashMap<(&str, &str), Vec<&CopyJob>> = HashMap::new();
    for job in &facts.copy_jobs {
        if let (Some(point), Some(dest)) =
            (&job.source_recovery_point_arn, &job.destination_vault_arn)
        {
            jobs_of.entry((point, dest)).or_default().push(job);
        }
    }
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

    let mut load = Load::observed(facts, config);
    for (point, only) in candidates {
        if let Some(reason) = point_skip(point, config) {
            out.skips.push(Skip::new(&point.arn, reason));
            continue;
        }
        let resource = point.resource_arn.as_deref().unwrap_or(&point.arn);
        let source_account = point.vault_arn.as_deref().and_then(arn_account);
        let destinations = config
            .destinations
            .iter()
            .filter(|d| only.is_none_or(|o| o.contains(&d.vault_arn)));
        for dest in destinations {
            let target = target(&point.arn, &dest.vault_arn);
            if point.vault_arn.as_deref() == Some(dest.vault_arn.as_str()) {
                out.skips
                    .push(Skip::new(target, "destination is the source vault"));
                continue;
            }
            let jobs: &[&CopyJob] = jobs_of
                .get(&(point.arn.as_str(), dest.vault_arn.as_str()))
                .map_or(&[], Vec::as_slice);
            if let Some(j) = jobs.iter().find(|j| in_flight(&j.state)) {
                out.skips.push(Skip::new(
                    target,
                    format!("copy job {} is {}", j.id, j.state),
                ));
                continue;
            }
            if let Some(j) = jobs.iter().find(|j| j.state == COMPLETED) {
                out.skips.push(Skip::new(
                    target,
                    format!("already copied by copy job {}", j.id),
                ));
                continue;
            }
            let failures: Vec<&CopyJob> =
                jobs.iter().copied().filter(|j| failed(&j.state)).collect();
            let failed_attempts = u32::try_from(failures.len()).unwrap_or(u32::MAX);
            if failed_attempts >= config.max_attempts {
                let last = failures.into_iter().max_by_key(|j| j.created);
                out.alerts.push(exhausted(
                    target,
                    failed_attempts,
                    last,
                    config.max_attempts,
                ));
                continue;
            }
            let cross_account = source_account.is_some_and(|a| a != dest.account);
            if let Err(reason) = load.admit(resource, dest, cross_account, config) {
                if let Some(age) = late(point, facts.observed_at, config) {
                    out.alerts.push(incomplete(target, age, &reason));
                } else {
                    out.skips
                        .push(Skip::new(target, format!("deferred: {reason}")));
                }
                continue;
            }
            out.copies.push(Copy {
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
    fn observed(facts: &'a Facts, config: &'a BackupConfig) -> Self {
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
        for job in facts.copy_jobs.iter().filter(|j| in_flight(&j.state)) {
            let holder = format!("copy job {} ({})", job.id, job.state);
            if let Some(resource) = job.resource_arn.as_deref() {
                load.holders.entry(resource).or_insert(holder);
            }
            let Some(dest) = job.destination_vault_arn.as_deref() else {
                continue;
            };
            // Destinations outside the configuration count by their ARN's region; configured
            // ones by the region the configuration parsed.
            let region = config
                .destination(dest)
                .map(|d| d.region.as_str())
                .or_else(|| arn_region(dest));
            if let Some(region) = region {
                *load.regions.entry(region).or_default() += 1;
                let source = job.source_vault_arn.as_deref().and_then(arn_account);
                let cross = source.is_some_and(|s| Some(s) != arn_account(dest));
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
        let region = self.regions.entry(&dest.region).or_default();
        if *region >= config.region_copy_quota {
            return Err(format!(
                "{region} copy jobs already in flight to {}, the quota is {} \
                 (BACKUP_REGION_COPY_QUOTA)",
                dest.region, config.region_copy_quota
            ));
        }
        if cross_account {
            let same = self
                .cross_account
                .entry((resource, &dest.region))
                .or_default();
            if *same >= CROSS_ACCOUNT_COPIES_PER_RESOURCE_AND_REGION {
                return Err(format!(
                    "{same} cross-account copies of this resource to {} already in flight, \
                     AWS Backup's quota is {CROSS_ACCOUNT_COPIES_PER_RESOURCE_AND_REGION}",
                    dest.region
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
    if let Some(reason) = outside_allowlist(&point.vault_name, config) {
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
    if !COPYABLE_STATUSES.contains(&point.status.as_str()) {
        return Some(format!(
            "status {}: only COMPLETED and AVAILABLE recovery points are copied",
            point.status
        ));
    }
    match point.storage_class.as_deref() {
        Some("COLD") => {
            return Some(
                "in cold storage (or the archive tier): AWS Backup cannot copy backups in cold \
                 storage or archive tiers"
                    .into(),
            )
        }
        Some("DELETED") => return Some("storage class DELETED: nothing left to copy".into()),
        _ => {}
    }
    match &point.resource_type {
        Some(t) if !config.copies_type(t) => {
            Some(format!("resource type {t} is not in BACKUP_RESOURCE_TYPES"))
        }
        None if !config.resource_types.is_empty() => {
            Some("resource type unknown, and BACKUP_RESOURCE_TYPES names the types to copy".into())
        }
        _ => None,
    }
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

/// Copy job states that hold the resource.
fn in_flight(state: &str) -> bool {
    matches!(state, "CREATED" | "RUNNING")
}

/// Copy job states that count as a failed attempt; a partial copy of a composite recovery point
/// is retried whole.
fn failed(state: &str) -> bool {
    matches!(state, "FAILED" | "PARTIAL")
}

/// The report target for a recovery point and destination.
pub fn target(recovery_point_arn: &str, destination_vault_arn: &str) -> String {
    format!("{recovery_point_arn} -> {destination_vault_arn}")
}

/// FNV-1a, 128 bits, of recovery point, destination and attempt: stable across builds and
/// platforms (unlike the standard library's hasher), short, and free of the ARNs' punctuation.
fn idempotency_token(
    recovery_point_arn: &str,
    destination_vault_arn: &str,
    attempt: u32,
) -> String {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let attempt_text = attempt.to_string();
    let bytes = recovery_point_arn
        .bytes()
        .chain([0])
        .chain(destination_vault_arn.bytes())
        .chain([0])
        .chain(attempt_text.bytes());
    let hash = bytes.fold(OFFSET, |h, b| (h ^ u128::from(b)).wrapping_mul(PRIME));
    format!("{hash:032x}-{attempt}")
}

/// `arn:partition:service:region:account:resource`, any service.
fn is_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    parts.len() == 6 && parts[0] == "arn" && !parts[2].is_empty() && !parts[5].is_empty()
}

fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests;
