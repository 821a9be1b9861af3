//! Observe: read the recovery points a run is about and the copy jobs that already exist.

use crate::config::BackupConfig;
use crate::plan::{self, Facts, PointRequest, Scope};
use aws_sdk_backup::operation::describe_recovery_point::DescribeRecoveryPointOutput;
use aws_sdk_backup::types::{
    BackupJob as SdkBackupJob, BackupJobState, CopyJob as SdkCopyJob, CopyJobState,
    RecoveryPointByBackupVault,
};
use aws_smithy_types::DateTime;
use dr_core::error::{CallFailure, ErrorClass};
use dr_core::fanout::run_bounded;
use std::collections::{BTreeSet, HashSet};

/// Largest page the Backup list operations return; fewer round trips on busy vaults.
const PAGE_SIZE: i32 = 1000;

/// Most recovery points older than the sweep window that one sweep re-examines because a copy
/// of theirs failed; each costs a `DescribeRecoveryPoint` and a `ListCopyJobs`. The newest
/// failures go first; the others are counted in [`Facts::unexamined_failures`].
pub const MAX_FAILED_FANOUTS_PER_SWEEP: usize = 100;

/// Status or state of something AWS reported without one.
pub const UNKNOWN: &str = "UNKNOWN";

/// A recovery point, reduced to what planning needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecoveryPoint {
    /// The recovery point ARN (a `recovery-point:`, EBS snapshot, AMI... ARN).
    pub arn: String,
    /// The vault that holds it, as `StartCopyJob`'s `SourceBackupVaultName` needs it.
    pub vault_name: String,
    /// That vault's ARN.
    pub vault_arn: Option<String>,
    /// The protected resource.
    pub resource_arn: Option<String>,
    /// `EBS`, `EC2`, `RDS`...
    pub resource_type: Option<String>,
    /// `COMPLETED`, `PARTIAL`, `EXPIRED`..., or [`UNKNOWN`].
    pub status: String,
    /// Creation time, epoch seconds.
    pub created: Option<i64>,
    /// The composite recovery point this one belongs to.
    pub parent_arn: Option<String>,
    /// `WARM`, `COLD` or `DELETED`, as `DescribeRecoveryPoint` reports it; the listing has no
    /// storage class, so a listed point has none unless its cold storage date has passed and it
    /// was described (see [`facts`]).
    pub storage_class: Option<String>,
    /// When its lifecycle moves it to cold storage (`CalculatedLifecycle`), epoch seconds.
    pub moves_to_cold_at: Option<i64>,
}

impl RecoveryPoint {
    fn from_listed(vault_name: &str, p: &RecoveryPointByBackupVault) -> Self {
        Self {
            arn: p.recovery_point_arn().unwrap_or_default().to_owned(),
            vault_name: vault_name.to_owned(),
            vault_arn: p.backup_vault_arn().map(str::to_owned),
            resource_arn: p.resource_arn().map(str::to_owned),
            resource_type: p.resource_type().map(str::to_owned),
            status: p.status().map_or(UNKNOWN, |s| s.as_str()).to_owned(),
            created: p.creation_date().map(DateTime::secs),
            parent_arn: p.parent_recovery_point_arn().map(str::to_owned),
            storage_class: None,
            moves_to_cold_at: p
                .calculated_lifecycle()
                .and_then(|l| l.move_to_cold_storage_at())
                .map(DateTime::secs),
        }
    }

    fn from_described(vault_name: &str, arn: &str, p: &DescribeRecoveryPointOutput) -> Self {
        Self {
            arn: p.recovery_point_arn().unwrap_or(arn).to_owned(),
            vault_name: vault_name.to_owned(),
            vault_arn: p.backup_vault_arn().map(str::to_owned),
            resource_arn: p.resource_arn().map(str::to_owned),
            resource_type: p.resource_type().map(str::to_owned),
            status: p.status().map_or(UNKNOWN, |s| s.as_str()).to_owned(),
            created: p.creation_date().map(DateTime::secs),
            parent_arn: p.parent_recovery_point_arn().map(str::to_owned),
            storage_class: p.storage_class().map(|c| c.as_str().to_owned()),
            moves_to_cold_at: p
                .calculated_lifecycle()
                .and_then(|l| l.move_to_cold_storage_at())
                .map(DateTime::secs),
        }
    }
}

/// A copy job, reduced to what planning needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CopyJob {
    /// The copy job id.
    pub id: String,
    /// The recovery point copied.
    pub source_recovery_point_arn: Option<String>,
    /// The vault copied from.
    pub source_vault_arn: Option<String>,
    /// The vault copied to.
    pub destination_vault_arn: Option<String>,
    /// The protected resource (the unit of the one-job-at-a-time quota).
    pub resource_arn: Option<String>,
    /// `CREATED`, `RUNNING`, `COMPLETED`, `FAILED`, `PARTIAL`, or [`UNKNOWN`].
    pub state: String,
    /// Why it failed, when it did.
    pub status_message: Option<String>,
    /// Creation time, epoch seconds.
    pub created: Option<i64>,
}

impl From<&SdkCopyJob> for CopyJob {
    fn from(j: &SdkCopyJob) -> Self {
        Self {
            id: j.copy_job_id().unwrap_or_default().to_owned(),
            source_recovery_point_arn: j.source_recovery_point_arn().map(str::to_owned),
            source_vault_arn: j.source_backup_vault_arn().map(str::to_owned),
            destination_vault_arn: j.destination_backup_vault_arn().map(str::to_owned),
            resource_arn: j.resource_arn().map(str::to_owned),
            state: j.state().map_or(UNKNOWN, |s| s.as_str()).to_owned(),
            status_message: j.status_message().map(str::to_owned),
            created: j.creation_date().map(DateTime::secs),
        }
    }
}

/// A backup job still in flight, reduced to what planning needs: it holds its resource, and a
/// copy of that resource started now waits for it in CREATED.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BackupJob {
    /// The backup job id.
    pub id: String,
    /// The protected resource.
    pub resource_arn: Option<String>,
    /// `CREATED`, `PENDING` or `RUNNING`.
    pub state: String,
}

impl From<&SdkBackupJob> for BackupJob {
    fn from(j: &SdkBackupJob) -> Self {
        Self {
            id: j.backup_job_id().unwrap_or_default().to_owned(),
            resource_arn: j.resource_arn().map(str::to_owned),
            state: j.state().map_or(UNKNOWN, |s| s.as_str()).to_owned(),
        }
    }
}

/// An AWS read that failed in a way that stops the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObserveError {
    /// The Backup operation that failed.
    pub operation: &'static str,
    /// The AWS error.
    pub failure: CallFailure,
}

fn failed(operation: &'static str) -> impl Fn(CallFailure) -> ObserveError {
    move |failure| ObserveError { operation, failure }
}

/// Where a copy-job listing looks.
#[derive(Debug, Clone)]
enum CopyJobFilter {
    /// Jobs created after a time (epoch seconds) that copy to a destination vault (ARN).
    CreatedAfter(i64, String),
    /// Jobs copying this recovery point.
    SourceRecoveryPoint(String),
    /// Jobs in this state.
    State(CopyJobState),
    /// Jobs in this state created after a time (epoch seconds).
    StateSince(CopyJobState, i64),
}

/// Reads what the plan needs for `scope`, as of `now` (epoch seconds).
///
/// A requested recovery point that cannot be found is recorded in [`Facts::unreadable`] rather
/// than failing the run; any other failed read stops the run, since planning copies without
/// knowing the existing ones could copy twice.
pub async fn facts(
    backup: &aws_sdk_backup::Client,
    config: &BackupConfig,
    scope: &Scope,
    now: i64,
) -> Result<Facts, ObserveError> {
    let mut facts = Facts {
        observed_at: now,
        ..Facts::default()
    };
    let cutoff = now - i64::from(config.sweep_window_hours) * 3600;
    // A sweep's recovery points, the copy jobs it must know of and the failed copies of older
    // points are independent reads, so they run side by side.
    let mut listings = Vec::new();
    let mut failed_fanouts = Vec::new();
    if scope.sweep {
        let horizon = now - i64::from(config.fanout_horizon_days) * 86_400;
        let (swept, listed, failures) = tokio::join!(
            swept_points(backup, config, cutoff, now),
            copy_job_listings(backup, config, sweep_filters(config, cutoff)),
            copy_job_listings(backup, config, Vec::from(failure_filters(horizon))),
        );
        facts.recovery_points = swept?;
        listings = listed;
        let mut failed = Vec::new();
        for listing in failures {
            failed.extend(listing?);
        }
        let older = plan::failed_fanouts(config, &facts.recovery_points, &failed);
        facts.unexamined_failures = older.unexamined;
        failed_fanouts = older.requests;
    }
    let requests: Vec<(PointRequest, bool)> = scope
        .points
        .iter()
        .map(|r| (r.clone(), true))
        .chain(failed_fanouts.into_iter().map(|r| (r, false)))
        .collect();
    let lookups = run_bounded(
        requests,
        config.max_concurrency,
        |(req, named)| async move {
            let vaults = match &req.vault {
                Some(vault) => vec![vault.clone()],
                None => config.source_vaults.clone(),
            };
            let found = locate(backup, &req.recovery_point_arn, &vaults).await;
            (req.recovery_point_arn, named, found)
        },
    )
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
    if facts.recovery_points.is_empty() {
        return Ok(facts);
    }

    // Named recovery points may be older than the sweep window, so their copies are listed by
    // source; outside a sweep, the jobs in flight are listed with them. Backup jobs in flight
    // hold their resources as copy jobs do.
    let mut filters: Vec<CopyJobFilter> = by_source
        .into_iter()
        .map(CopyJobFilter::SourceRecoveryPoint)
        .collect();
    if !scope.sweep {
        filters.extend(in_flight_filters());
    }
    let (more, backup_jobs) = tokio::join!(
        copy_job_listings(backup, config, filters),
        backup_jobs_in_flight(backup, config),
    );
    facts.backup_jobs = backup_jobs?;
    listings.extend(more);
    let mut seen = BTreeSet::new();
    for listing in listings {
        for job in listing? {
            if seen.insert(job.id.clone()) {
                facts.copy_jobs.push(job);
            }
        }
    }
    Ok(facts)
}

/// Failed and partial copy jobs created since `horizon`: the trace a fan-out leaves when one of
/// its copies failed, even after its recovery point has left the sweep window.
fn failure_filters(horizon: i64) -> [CopyJobFilter; 2] {
    [
        CopyJobFilter::StateSince(CopyJobState::Failed, horizon),
        CopyJobFilter::StateSince(CopyJobState::Partial, horizon),
    ]
}

/// The backup jobs in flight (`CREATED`, `PENDING`, `RUNNING`), whatever they back up.
async fn backup_jobs_in_flight(
    backup: &aws_sdk_backup::Client,
    config: &BackupConfig,
) -> Result<Vec<BackupJob>, ObserveError> {
    let states = vec![
        BackupJobState::Created,
        BackupJobState::Pending,
        BackupJobState::Running,
    ];
    let listings = run_bounded(states, config.max_concurrency, |state| async move {
        let mut pages = backup
            .list_backup_jobs()
            .by_state(state)
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send();
        let mut jobs = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page
                .map_err(|e| CallFailure::from_sdk(&e))
                .map_err(failed("ListBackupJobs"))?;
            jobs.extend(
                page.backup_jobs()
                    .iter()
                    .filter(|j| j.backup_job_id().is_some())
                    .map(BackupJob::from),
            );
        }
        Ok(jobs)
    })
    .await;
    let mut jobs = Vec::new();
    let mut seen = HashSet::new();
    for listing in listings {
        for job in listing? {
            if seen.insert(job.id.clone()) {
                jobs.push(job);
            }
        }
    }
    Ok(jobs)
}

/// Jobs still in flight, whatever they copy: they hold the one-job-per-resource and
/// per-region quotas.
fn in_flight_filters() -> [CopyJobFilter; 2] {
    [
        CopyJobFilter::State(CopyJobState::Created),
        CopyJobFilter::State(CopyJobState::Running),
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
            .destinations
            .iter()
            .map(|d| CopyJobFilter::CreatedAfter(cutoff, d.vault_arn.clone())),
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
    for vault in &config.source_vaults {
        points.extend(recovery_points(backup, vault, cutoff).await?);
    }
    let (due, mut points): (Vec<RecoveryPoint>, Vec<RecoveryPoint>) = points
        .into_iter()
        .partition(|p| p.moves_to_cold_at.is_some_and(|at| at <= now));
    let described = run_bounded(due, config.max_concurrency, |p| async move {
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

/// Each listing's copy jobs, the listings side by side.
async fn copy_job_listings(
    backup: &aws_sdk_backup::Client,
    config: &BackupConfig,
    filters: Vec<CopyJobFilter>,
) -> Vec<Result<Vec<CopyJob>, ObserveError>> {
    run_bounded(filters, config.max_concurrency, |filter| {
        copy_jobs(backup, filter)
    })
    .await
}

/// Every recovery point of `vault` created after `cutoff`, following `NextToken` to the end.
async fn recovery_points(
    backup: &aws_sdk_backup::Client,
    vault: &str,
    cutoff: i64,
) -> Result<Vec<RecoveryPoint>, ObserveError> {
    let mut pages = backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(vault)
        .by_created_after(DateTime::from_secs(cutoff))
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut points = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(|e| CallFailure::from_sdk(&e))
            .map_err(failed("ListRecoveryPointsByBackupVault"))?;
        points.extend(
            page.recovery_points()
                .iter()
                .filter(|p| p.recovery_point_arn().is_some())
                .map(|p| RecoveryPoint::from_listed(vault, p)),
        );
    }
    Ok(points)
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
                    ErrorClass::Retryable => return Err(failed("DescribeRecoveryPoint")(failure)),
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
    let mut pages = request.into_paginator().send();
    let mut jobs = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(|e| CallFailure::from_sdk(&e))
            .map_err(failed("ListCopyJobs"))?;
        jobs.extend(
            page.copy_jobs()
                .iter()
                .filter(|j| j.copy_job_id().is_some())
                .map(CopyJob::from),
        );
    }
    Ok(jobs)
}
