//! Observe: read the recovery points a run is about and the copy jobs that already exist, and
//! convert AWS Backup's answers into the model.

use crate::config::BackupConfig;
use crate::model::{
    reported_arn, vault_name, BackupJob, BackupJobState, CopyJob, CopyJobState, Facts,
    PointRequest, RecoveryPoint, RecoveryPointStatus, Scope, StorageClass,
    MAX_FAILED_FANOUTS_PER_SWEEP,
};
use aws_sdk_backup::operation::describe_recovery_point::DescribeRecoveryPointOutput;
use aws_sdk_backup::types::{
    BackupJob as SdkBackupJob, BackupJobState as SdkBackupJobState, CopyJob as SdkCopyJob,
    CopyJobState as SdkCopyJobState, RecoveryPointByBackupVault,
};
use aws_smithy_types::DateTime;
use dr_core::error::{CallFailure, ErrorClass};
use dr_core::fanout::run_bounded;
use dr_core::observe::{every_page, ObserveError};
use std::collections::HashSet;

/// Largest page the Backup list operations return; fewer round trips on busy vaults.
const PAGE_SIZE: i32 = 1000;

impl RecoveryPoint {
    /// A listed recovery point; one listed without an ARN is dropped.
    fn listed(vault_name: &str, p: &RecoveryPointByBackupVault) -> Option<Self> {
        Some(Self {
            arn: p.recovery_point_arn()?.to_owned(),
            vault_name: vault_name.to_owned(),
            vault_arn: reported_arn(p.backup_vault_arn()),
            resource_arn: p.resource_arn().map(str::to_owned),
            resource_type: p.resource_type().map(str::to_owned),
            status: RecoveryPointStatus::from(p.status().map(|s| s.as_str())),
            created: p.creation_date().map(DateTime::secs),
            parent_arn: p.parent_recovery_point_arn().map(str::to_owned),
            storage_class: None,
            moves_to_cold_at: p
                .calculated_lifecycle()
                .and_then(|l| l.move_to_cold_storage_at())
                .map(DateTime::secs),
        })
    }

    fn from_described(vault_name: &str, arn: &str, p: &DescribeRecoveryPointOutput) -> Self {
        Self {
            arn: p.recovery_point_arn().unwrap_or(arn).to_owned(),
            vault_name: vault_name.to_owned(),
            vault_arn: reported_arn(p.backup_vault_arn()),
            resource_arn: p.resource_arn().map(str::to_owned),
            resource_type: p.resource_type().map(str::to_owned),
            status: RecoveryPointStatus::from(p.status().map(|s| s.as_str())),
            created: p.creation_date().map(DateTime::secs),
            parent_arn: p.parent_recovery_point_arn().map(str::to_owned),
            storage_class: p.storage_class().map(|c| StorageClass::from(c.as_str())),
            moves_to_cold_at: p
                .calculated_lifecycle()
                .and_then(|l| l.move_to_cold_storage_at())
                .map(DateTime::secs),
        }
    }
}

impl CopyJob {
    /// A listed copy job; one listed without an id is dropped.
    fn listed(j: &SdkCopyJob) -> Option<Self> {
        Some(Self {
            id: j.copy_job_id()?.to_owned(),
            source_recovery_point_arn: j.source_recovery_point_arn().map(str::to_owned),
            source_vault_arn: reported_arn(j.source_backup_vault_arn()),
            destination_vault_arn: reported_arn(j.destination_backup_vault_arn()),
            resource_arn: j.resource_arn().map(str::to_owned),
            state: CopyJobState::from(j.state().map(|s| s.as_str())),
            status_message: j.status_message().map(str::to_owned),
            created: j.creation_date().map(DateTime::secs),
        })
    }
}

impl BackupJob {
    /// A listed backup job; one listed without an id is dropped.
    fn listed(j: &SdkBackupJob) -> Option<Self> {
        Some(Self {
            id: j.backup_job_id()?.to_owned(),
            resource_arn: j.resource_arn().map(str::to_owned),
            state: BackupJobState::from(j.state().map(|s| s.as_str())),
        })
    }
}

/// Where a copy-job listing looks.
#[derive(Debug, Clone)]
enum CopyJobFilter {
    /// Jobs created after a time (epoch seconds) that copy to a destination vault (ARN).
    CreatedAfter(i64, String),
    /// Jobs copying this recovery point.
    SourceRecoveryPoint(String),
    /// Jobs in this state.
    State(SdkCopyJobState),
    /// Jobs in this state created after a time (epoch seconds).
    StateSince(SdkCopyJobState, i64),
}

/// Reads what the plan needs for `scope`, as of `now` (epoch seconds); the facts carry the
/// scope on to the plan.
///
/// A requested recovery point that cannot be found is recorded in [`Facts::unreadable`] rather
/// than failing the run; any other failed read stops the run, since planning copies without
/// knowing the existing ones could copy twice.
pub async fn facts(
    backup: &aws_sdk_backup::Client,
    config: &BackupConfig,
    scope: Scope,
    now: i64,
) -> Result<Facts, ObserveError> {
    let mut facts = Facts {
        observed_at: now,
        ..Facts::default()
    };
    let limit = config.settings.max_concurrency;
    let cutoff = now - i64::from(config.sweep_window_hours) * 3600;
    // A sweep's recovery points, the copy jobs it must know of and the failed copies of older
    // points are independent reads, so they run side by side.
    let mut listings = Vec::new();
    let mut failed_fanouts = Vec::new();
    if scope.sweep {
        let horizon = now - i64::from(config.fanout_horizon_days) * 86_400;
        let (swept, listed, failures) = tokio::join!(
            swept_points(backup, config, cutoff, now),
            copy_job_listings(backup, limit, sweep_filters(config, cutoff)),
            copy_job_listings(backup, limit, Vec::from(failure_filters(horizon))),
        );
        facts.recovery_points = swept?;
        listings = listed;
        let failed = merged(failures, |j: &CopyJob| j.id.clone())?;
        let older = self::failed_fanouts(config, &facts.recovery_points, &failed);
        facts.unexamined_failures = older.unexamined;
        failed_fanouts = older.requests;
    }
    let requests: Vec<(PointRequest, bool)> = scope
        .points
        .iter()
        .map(|r| (r.clone(), true))
        .chain(failed_fanouts.into_iter().map(|r| (r, false)))
        .collect();
    let lookups = run_bounded(requests, limit, |(req, named)| async move {
        let vaults = match &req.vault {
            Some(vault) => vec![vault.clone()],
            None => config.vaults.source_vaults.clone(),
        };
        let found = locate(backup, &req.recovery_point_arn, &vaults).await;
        (req.recovery_point_arn, named, found)
    })
    .await;
    let mut by_source = Vec::new();
    for (arn, named, found) in lookups {
        match found? {
            Ok(point) => {
                by_source.push(point.arn.clone());
                facts.recovery_points.push(point);
            }
            // A failed copy's recovery point that is gone has nothing left to copy.
            Err(_) if !named => {}
            Err(reason) => {
                facts.unreadable.insert(arn, reason);
            }
        }
    }
    if !facts.recovery_points.is_empty() {
        // Named recovery points may be older than the sweep window, so their copies are listed
        // by source; outside a sweep, the jobs in flight are listed with them. Backup jobs in
        // flight hold their resources as copy jobs do.
        let mut filters: Vec<CopyJobFilter> = by_source
            .into_iter()
            .map(CopyJobFilter::SourceRecoveryPoint)
            .collect();
        if !scope.sweep {
            filters.extend(in_flight_filters());
        }
        let (more, backup_jobs) = tokio::join!(
            copy_job_listings(backup, limit, filters),
            backup_jobs_in_flight(backup, limit),
        );
        facts.backup_jobs = backup_jobs?;
        listings.extend(more);
        facts.copy_jobs = merged(listings, |j: &CopyJob| j.id.clone())?;
    }
    facts.scope = scope;
    Ok(facts)
}

/// Every item of `listings`, each once by `id`, in order; the first failed listing stops it.
fn merged<T>(
    listings: Vec<Result<Vec<T>, ObserveError>>,
    id: impl Fn(&T) -> String,
) -> Result<Vec<T>, ObserveError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for listing in listings {
        out.extend(listing?.into_iter().filter(|item| seen.insert(id(item))));
    }
    Ok(out)
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
                .as_ref()
                .is_some_and(|d| config.vaults.destination(d.as_str()).is_some())
        })
        .collect();
    jobs.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
    let mut seen = HashSet::new();
    let mut out = FailedFanouts::default();
    for job in jobs {
        let Some(point) = job.source_recovery_point_arn.as_deref() else {
            continue;
        };
        let vault = job.source_vault_arn.as_ref().and_then(vault_name);
        let allowed = vault.is_some_and(|v| config.vaults.is_source(v));
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

/// Failed and partial copy jobs created since `horizon`: the trace a fan-out leaves when one of
/// its copies failed, even after its recovery point has left the sweep window.
fn failure_filters(horizon: i64) -> [CopyJobFilter; 2] {
    [
        CopyJobFilter::StateSince(SdkCopyJobState::Failed, horizon),
        CopyJobFilter::StateSince(SdkCopyJobState::Partial, horizon),
    ]
}

/// The backup jobs in flight (`CREATED`, `PENDING`, `RUNNING`), whatever they back up.
async fn backup_jobs_in_flight(
    backup: &aws_sdk_backup::Client,
    limit: usize,
) -> Result<Vec<BackupJob>, ObserveError> {
    let states = vec![
        SdkBackupJobState::Created,
        SdkBackupJobState::Pending,
        SdkBackupJobState::Running,
    ];
    let listings = run_bounded(states, limit, |state| async move {
        let request = backup
            .list_backup_jobs()
            .by_state(state)
            .max_results(PAGE_SIZE);
        every_page("ListBackupJobs", request.into_paginator().send(), |page| {
            let jobs = page.backup_jobs.unwrap_or_default();
            jobs.iter()
                .filter_map(BackupJob::listed)
                .collect::<Vec<_>>()
        })
        .await
    })
    .await;
    merged(listings, |j: &BackupJob| j.id.clone())
}

/// Jobs still in flight, whatever they copy: they hold the one-job-per-resource and
/// per-region quotas.
fn in_flight_filters() -> [CopyJobFilter; 2] {
    [
        CopyJobFilter::State(SdkCopyJobState::Created),
        CopyJobFilter::State(SdkCopyJobState::Running),
    ]
}

/// What a sweep lists: the jobs in flight, and the copies made since `cutoff`. A sweep's copies
/// were all created after its recovery points, so a listing by date covers them: one per
/// destination, side by side, which reads only the copies that matter and splits a long
/// sequence of pages into shorter ones.
fn sweep_filters(config: &BackupConfig, cutoff: i64) -> Vec<CopyJobFilter> {
    let mut filters = Vec::from(in_flight_filters());
    filters.extend(
        config
            .vaults
            .destinations
            .iter()
            .map(|d| CopyJobFilter::CreatedAfter(cutoff, d.vault_arn.to_string())),
    );
    filters
}

/// The recovery points of every source vault created after `cutoff`. The listing carries no
/// storage class, so a point whose lifecycle has moved it to cold storage by `now` is described
/// to read it (backups in cold storage cannot be copied: Developer Guide, "Backup and tag
/// copy"); one gone meanwhile is dropped.
async fn swept_points(
    backup: &aws_sdk_backup::Client,
    config: &BackupConfig,
    cutoff: i64,
    now: i64,
) -> Result<Vec<RecoveryPoint>, ObserveError> {
    let mut points = Vec::new();
    for vault in &config.vaults.source_vaults {
        points.extend(recovery_points(backup, vault, cutoff).await?);
    }
    let (due, mut points): (Vec<RecoveryPoint>, Vec<RecoveryPoint>) = points
        .into_iter()
        .partition(|p| p.moves_to_cold_at.is_some_and(|at| at <= now));
    let described = run_bounded(due, config.settings.max_concurrency, |p| async move {
        locate(backup, &p.arn, std::slice::from_ref(&p.vault_name)).await
    })
    .await;
    for found in described {
        if let Ok(point) = found? {
            points.push(point);
        }
    }
    Ok(points)
}

/// Each listing's copy jobs, the listings side by side, at most `limit` at once.
async fn copy_job_listings(
    backup: &aws_sdk_backup::Client,
    limit: usize,
    filters: Vec<CopyJobFilter>,
) -> Vec<Result<Vec<CopyJob>, ObserveError>> {
    run_bounded(filters, limit, |filter| copy_jobs(backup, filter)).await
}

/// Every recovery point of `vault` created after `cutoff`, following `NextToken` to the end.
async fn recovery_points(
    backup: &aws_sdk_backup::Client,
    vault: &str,
    cutoff: i64,
) -> Result<Vec<RecoveryPoint>, ObserveError> {
    let request = backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(vault)
        .by_created_after(DateTime::from_secs(cutoff))
        .max_results(PAGE_SIZE);
    every_page(
        "ListRecoveryPointsByBackupVault",
        request.into_paginator().send(),
        |page| {
            let points = page.recovery_points.unwrap_or_default();
            points
                .iter()
                .filter_map(|p| RecoveryPoint::listed(vault, p))
                .collect::<Vec<_>>()
        },
    )
    .await
}

/// Looks for `arn` in each of `vaults` in turn: the recovery point, or why it was not found.
///
/// Events and invocations that name a recovery point do not always name its vault, so the
/// allowlisted vaults are searched; only those, so nothing outside them is ever copied.
async fn locate(
    backup: &aws_sdk_backup::Client,
    arn: &str,
    vaults: &[String],
) -> Result<Result<RecoveryPoint, String>, ObserveError> {
    let mut refusals = Vec::new();
    for vault in vaults {
        match backup
            .describe_recovery_point()
            .backup_vault_name(vault)
            .recovery_point_arn(arn)
            .send()
            .await
        {
            Ok(out) => return Ok(Ok(RecoveryPoint::from_described(vault, arn, &out))),
            Err(err) => {
                let failure = CallFailure::from_sdk(&err);
                match failure.class {
                    ErrorClass::NotFound => {}
                    ErrorClass::Retryable => {
                        return Err(ObserveError::new("DescribeRecoveryPoint", failure))
                    }
                    ErrorClass::Conflict | ErrorClass::Fatal => {
                        refusals.push(format!("vault {vault}: {failure}"));
                    }
                }
            }
        }
    }
    let searched = vaults.join(", ");
    Ok(Err(if refusals.is_empty() {
        format!("not found in the source vaults searched ({searched})")
    } else {
        format!(
            "could not be read from the source vaults searched ({searched}): {}",
            refusals.join("; ")
        )
    }))
}

/// Every copy job matching `filter`, following `NextToken` to the end.
async fn copy_jobs(
    backup: &aws_sdk_backup::Client,
    filter: CopyJobFilter,
) -> Result<Vec<CopyJob>, ObserveError> {
    let request = backup.list_copy_jobs().max_results(PAGE_SIZE);
    let request = match filter {
        CopyJobFilter::CreatedAfter(secs, destination) => request
            .by_created_after(DateTime::from_secs(secs))
            .by_destination_vault_arn(destination),
        CopyJobFilter::SourceRecoveryPoint(arn) => request.by_source_recovery_point_arn(arn),
        CopyJobFilter::State(state) => request.by_state(state),
        CopyJobFilter::StateSince(state, secs) => request
            .by_state(state)
            .by_created_after(DateTime::from_secs(secs)),
    };
    every_page("ListCopyJobs", request.into_paginator().send(), |page| {
        let jobs = page.copy_jobs.unwrap_or_default();
        jobs.iter().filter_map(CopyJob::listed).collect::<Vec<_>>()
    })
    .await
}

#[cfg(test)]
mod tests;
