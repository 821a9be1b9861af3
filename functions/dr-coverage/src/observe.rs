//! Observe: the read-only calls of a coverage run in one target, and the conversions of their
//! answers into the model. Each configured service is read side by side; a failed read stops
//! the target (its section says which read and why), since coverage judged from part of the
//! evidence could call a gap covered.

use crate::config::{CoverageConfig, DrsCoverage, MAX_WINDOW_DAYS};
use crate::model::{
    BackupFacts, CopyJob, CopyJobState, DrsFacts, DrsReplicationState, DrsServer, Facts,
    InitiatedBy, JobStatus, LastLaunch, LaunchJob, LaunchStatus, MgnLifeCycle, MgnReplicationState,
    MgnServer, OlderPoint, RecoveryPoint, RecoveryPointStatus, MAX_OLDER_POINTS,
};
use aws_sdk_backup::operation::describe_recovery_point::DescribeRecoveryPointOutput;
use aws_sdk_backup::types::{
    CopyJob as SdkCopyJob, CopyJobState as SdkCopyJobState, RecoveryPointByBackupVault,
};
use aws_sdk_drs::types::{
    DescribeJobsRequestFilters, Job as SdkJob, JobType, LastLaunchType,
    SourceServer as SdkDrsServer,
};
use aws_sdk_mgn::types::{DescribeSourceServersRequestFilters, SourceServer as SdkMgnServer};
use aws_smithy_types::DateTime;
use dr_core::arn::Arn;
use dr_core::backup::CopyFanout;
use dr_core::clock::{fmt_time, iso_duration, parse_time};
use dr_core::drs::{kept_tags, replication_error_text};
use dr_core::error::{CallFailure, ErrorClass};
use dr_core::fanout::run_bounded;
use dr_core::ids::SourceServerId;
use dr_core::observe::{every_page, ObserveError};
use std::collections::HashSet;

/// Largest page the list operations are asked for; fewer round trips on busy accounts.
const PAGE_SIZE: i32 = 1000;

/// The read that lists a vault's recovery points.
pub const LIST_RECOVERY_POINTS: &str = "ListRecoveryPointsByBackupVault";
/// The read that lists copy jobs.
pub const LIST_COPY_JOBS: &str = "ListCopyJobs";
/// The read of one recovery point.
pub const DESCRIBE_RECOVERY_POINT: &str = "DescribeRecoveryPoint";
/// The read that lists DRS source servers.
pub const DRS_DESCRIBE_SOURCE_SERVERS: &str = "DescribeSourceServers";
/// The read that lists DRS jobs.
pub const DRS_DESCRIBE_JOBS: &str = "DescribeJobs";
/// The read that lists MGN source servers.
pub const MGN_DESCRIBE_SOURCE_SERVERS: &str = "mgn:DescribeSourceServers";

/// The clients of one target, one per service a coverage run may read.
#[derive(Debug, Clone)]
pub struct Clients {
    /// AWS Backup.
    pub backup: aws_sdk_backup::Client,
    /// Elastic Disaster Recovery.
    pub drs: aws_sdk_drs::Client,
    /// Application Migration Service.
    pub mgn: aws_sdk_mgn::Client,
}

/// Reads every configured service in one target, as of `now` (epoch seconds).
pub async fn facts(
    clients: &Clients,
    config: &CoverageConfig,
    now: i64,
) -> Result<Facts, ObserveError> {
    let limit = config.settings.max_concurrency;
    let window_start = config.window_start(now);
    let backup = async {
        match &config.backup {
            Some(b) => backup_facts(&clients.backup, b, limit, window_start, now)
                .await
                .map(Some),
            None => Ok(None),
        }
    };
    let drs = async {
        match &config.drs {
            Some(d) => {
                // Far enough back for the drill interval and for the window's drill age.
                let since = now - d.drill_every.unwrap_or(0).max(now - window_start);
                drs_facts(&clients.drs, d, since).await.map(Some)
            }
            None => Ok(None),
        }
    };
    let mgn = async {
        if config.mgn {
            mgn_servers(&clients.mgn).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (backup, drs, mgn) = tokio::join!(backup, drs, mgn);
    Ok(Facts {
        observed_at: now,
        backup: backup?,
        drs: drs?,
        mgn: mgn?,
    })
}

/// What coverage reads of AWS Backup: the recovery points of the window; the copy jobs to each
/// destination since the window start (a point's copy jobs are all created after it, so these
/// hold every job of every point of the window); the failed and partial copy jobs of the last
/// 30 days, the trace an older incomplete fan-out leaves; and, for each older point they name
/// (newest first, at most [`MAX_OLDER_POINTS`]), the point itself and all its copy jobs.
///
/// ListCopyJobs documents no retention; ListBackupJobs and ListCopyJobSummaries document 30
/// days [AWS Backup API reference], so nothing older is relied on: an older point with no copy
/// job at all is found only while it is in the window.
async fn backup_facts(
    backup: &aws_sdk_backup::Client,
    config: &CopyFanout,
    limit: usize,
    window_start: i64,
    now: i64,
) -> Result<BackupFacts, ObserveError> {
    let horizon = now - i64::from(MAX_WINDOW_DAYS) * 86_400;
    let mut filters: Vec<CopyJobFilter> = config
        .destinations
        .iter()
        .map(|d| CopyJobFilter::ToSince(d.vault_arn.to_string(), window_start))
        .collect();
    filters.push(CopyJobFilter::StateSince(SdkCopyJobState::Failed, horizon));
    filters.push(CopyJobFilter::StateSince(SdkCopyJobState::Partial, horizon));
    let (points, listings) = tokio::join!(
        window_points(backup, config, window_start),
        run_bounded(filters, limit, |f| copy_jobs(backup, f)),
    );
    let points = points?;
    let mut copy_jobs = Vec::new();
    for listing in listings {
        copy_jobs.extend(listing?);
    }
    let (candidates, unexamined) = older_candidates(config, &points, &copy_jobs);
    let examined = run_bounded(candidates, limit, |(arn, vault)| async move {
        match describe(backup, &arn, &vault).await? {
            Described::Found(point) => {
                let jobs = copy_jobs_of(backup, &arn).await?;
                Ok::<_, ObserveError>(Some((OlderPoint::Found(point), jobs)))
            }
            Described::Gone => Ok(None),
            Described::Refused(reason) => {
                Ok(Some((OlderPoint::Unreadable { arn, reason }, vec![])))
            }
        }
    })
    .await;
    let mut older = Vec::new();
    for result in examined {
        if let Some((point, jobs)) = result? {
            older.push(point);
            copy_jobs.extend(jobs);
        }
    }
    Ok(BackupFacts {
        window_start,
        points,
        older,
        unexamined,
        copy_jobs,
    })
}

/// The source points of failed copies to a configured destination from a source vault, not in
/// the window, each once, newest failure first: (ARN, vault name), at most
/// [`MAX_OLDER_POINTS`], and how many more there were.
pub fn older_candidates(
    config: &CopyFanout,
    window: &[RecoveryPoint],
    jobs: &[CopyJob],
) -> (Vec<(String, String)>, usize) {
    let in_window: HashSet<&str> = window.iter().map(|p| p.arn.as_str()).collect();
    let mut failed: Vec<&CopyJob> = jobs
        .iter()
        .filter(|j| j.state.is_failed())
        .filter(|j| {
            j.destination_vault_arn
                .as_deref()
                .is_some_and(|d| config.destination(d).is_some())
        })
        .collect();
    failed.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut more = 0;
    for job in failed {
        let Some(point) = job.source_recovery_point_arn.as_deref() else {
            continue;
        };
        let vault = job
            .source_vault_arn
            .as_deref()
            .and_then(|a| Arn::parse(a).ok())
            .and_then(|a| {
                a.resource()
                    .strip_prefix("backup-vault:")
                    .map(str::to_owned)
            });
        let Some(vault) = vault.filter(|v| config.is_source(v)) else {
            continue;
        };
        if in_window.contains(point) || !seen.insert(point) {
            continue;
        }
        if out.len() == MAX_OLDER_POINTS {
            more += 1;
        } else {
            out.push((point.to_owned(), vault));
        }
    }
    (out, more)
}

/// Where a copy-job listing looks.
#[derive(Debug, Clone)]
enum CopyJobFilter {
    /// Jobs to a destination vault (ARN) created after a time (epoch seconds).
    ToSince(String, i64),
    /// Jobs in a state created after a time (epoch seconds).
    StateSince(SdkCopyJobState, i64),
    /// Every job of a recovery point.
    Of(String),
}

async fn copy_jobs_of(
    backup: &aws_sdk_backup::Client,
    arn: &str,
) -> Result<Vec<CopyJob>, ObserveError> {
    copy_jobs(backup, CopyJobFilter::Of(arn.to_owned())).await
}

/// Every copy job matching `filter`, following `NextToken` to the end.
async fn copy_jobs(
    backup: &aws_sdk_backup::Client,
    filter: CopyJobFilter,
) -> Result<Vec<CopyJob>, ObserveError> {
    let request = backup.list_copy_jobs().max_results(PAGE_SIZE);
    let request = match filter {
        // The model's text for ByDestinationVaultArn says "a source backup vault to copy from",
        // but its name and query string (`destinationVaultArn`) say destination. Read either way
        // it is safe: a filter that matched nothing would read as MISSING, never as COVERED.
        CopyJobFilter::ToSince(destination, secs) => request
            .by_destination_vault_arn(destination)
            .by_created_after(DateTime::from_secs(secs)),
        CopyJobFilter::StateSince(state, secs) => request
            .by_state(state)
            .by_created_after(DateTime::from_secs(secs)),
        CopyJobFilter::Of(arn) => request.by_source_recovery_point_arn(arn),
    };
    every_page(LIST_COPY_JOBS, request.into_paginator().send(), |page| {
        page.copy_jobs
            .unwrap_or_default()
            .iter()
            .filter_map(copy_job)
            .collect::<Vec<_>>()
    })
    .await
}

/// Every recovery point of each source vault created after `since`.
async fn window_points(
    backup: &aws_sdk_backup::Client,
    config: &CopyFanout,
    since: i64,
) -> Result<Vec<RecoveryPoint>, ObserveError> {
    let mut points = Vec::new();
    for vault in &config.source_vaults {
        let request = backup
            .list_recovery_points_by_backup_vault()
            .backup_vault_name(vault)
            .by_created_after(DateTime::from_secs(since))
            .max_results(PAGE_SIZE);
        points.extend(
            every_page(
                LIST_RECOVERY_POINTS,
                request.into_paginator().send(),
                |page| {
                    page.recovery_points
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|p| listed_point(vault, p))
                        .collect::<Vec<_>>()
                },
            )
            .await?,
        );
    }
    Ok(points)
}

/// What describing an older recovery point found.
enum Described {
    /// The point.
    Found(RecoveryPoint),
    /// Not found: deleted or expired, nothing left to cover.
    Gone,
    /// Refused (access denied...): why.
    Refused(String),
}

async fn describe(
    backup: &aws_sdk_backup::Client,
    arn: &str,
    vault: &str,
) -> Result<Described, ObserveError> {
    match backup
        .describe_recovery_point()
        .backup_vault_name(vault)
        .recovery_point_arn(arn)
        .send()
        .await
    {
        Ok(out) => Ok(Described::Found(described_point(vault, arn, &out))),
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            match failure.class {
                ErrorClass::NotFound => Ok(Described::Gone),
                ErrorClass::Retryable => Err(ObserveError::new(DESCRIBE_RECOVERY_POINT, failure)),
                ErrorClass::Conflict | ErrorClass::Fatal => Ok(Described::Refused(format!(
                    "{DESCRIBE_RECOVERY_POINT} in vault {vault}: {failure}"
                ))),
            }
        }
    }
}

/// A listed recovery point; one listed without an ARN is dropped.
fn listed_point(vault: &str, p: &RecoveryPointByBackupVault) -> Option<RecoveryPoint> {
    Some(RecoveryPoint {
        arn: p.recovery_point_arn()?.to_owned(),
        vault_name: vault.to_owned(),
        vault_arn: p.backup_vault_arn().map(str::to_owned),
        resource_type: p.resource_type().map(str::to_owned),
        status: RecoveryPointStatus::from(p.status().map(|s| s.as_str())),
        created: p.creation_date().map(DateTime::secs),
        parent_arn: p.parent_recovery_point_arn().map(str::to_owned),
    })
}

fn described_point(vault: &str, arn: &str, p: &DescribeRecoveryPointOutput) -> RecoveryPoint {
    RecoveryPoint {
        arn: p.recovery_point_arn().unwrap_or(arn).to_owned(),
        vault_name: vault.to_owned(),
        vault_arn: p.backup_vault_arn().map(str::to_owned),
        resource_type: p.resource_type().map(str::to_owned),
        status: RecoveryPointStatus::from(p.status().map(|s| s.as_str())),
        created: p.creation_date().map(DateTime::secs),
        parent_arn: p.parent_recovery_point_arn().map(str::to_owned),
    }
}

/// A listed copy job; one listed without an id is dropped.
fn copy_job(j: &SdkCopyJob) -> Option<CopyJob> {
    Some(CopyJob {
        id: j.copy_job_id()?.to_owned(),
        source_recovery_point_arn: j.source_recovery_point_arn().map(str::to_owned),
        source_vault_arn: j.source_backup_vault_arn().map(str::to_owned),
        destination_vault_arn: j.destination_backup_vault_arn().map(str::to_owned),
        destination_recovery_point_arn: j.destination_recovery_point_arn().map(str::to_owned),
        state: CopyJobState::from(j.state().map(|s| s.as_str())),
        status_message: j.status_message().map(str::to_owned),
        created: j.creation_date().map(DateTime::secs),
        completed: j.completion_date().map(DateTime::secs),
    })
}

/// Every DRS source server, and the launch jobs created since `since` (DescribeJobs
/// `fromDate`: the longer of `DRS_DRILL_EVERY` and the window). DRS documents no retention of its jobs, so the last successful drill comes from
/// those jobs and from each server's `lifeCycle.lastLaunch`.
async fn drs_facts(
    drs: &aws_sdk_drs::Client,
    config: &DrsCoverage,
    since: i64,
) -> Result<DrsFacts, ObserveError> {
    let tag_keys = config.choice.tag_keys();
    let servers = every_page(
        DRS_DESCRIBE_SOURCE_SERVERS,
        drs.describe_source_servers()
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send(),
        |page| {
            page.items
                .unwrap_or_default()
                .into_iter()
                .filter_map(|s| drs_server(s, &tag_keys))
        },
    );
    let jobs = every_page(
        DRS_DESCRIBE_JOBS,
        drs.describe_jobs()
            .filters(
                DescribeJobsRequestFilters::builder()
                    .from_date(fmt_time(since))
                    .build(),
            )
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send(),
        |page| {
            page.items
                .unwrap_or_default()
                .into_iter()
                .filter_map(launch_job)
        },
    );
    let (servers, launch_jobs) = tokio::join!(servers, jobs);
    Ok(DrsFacts {
        servers: servers?,
        launch_jobs: launch_jobs?,
        jobs_since: since,
    })
}

/// The model's DRS server, keeping only the tags in `tag_keys`; `None` without a valid id.
pub fn drs_server(s: SdkDrsServer, tag_keys: &[&str]) -> Option<DrsServer> {
    let id = SourceServerId::parse(s.source_server_id.as_deref()?).ok()?;
    let hints = s.source_properties.and_then(|p| p.identification_hints);
    let (hostname, fqdn, instance_id) = match hints {
        Some(h) => (h.hostname, h.fqdn, h.aws_instance_id),
        None => (None, None, None),
    };
    let tags = kept_tags(s.tags, tag_keys);
    let replication = s.data_replication_info;
    let state = DrsReplicationState::from(
        replication
            .as_ref()
            .and_then(|d| d.data_replication_state())
            .map(|s| s.as_str()),
    );
    let lag = replication
        .as_ref()
        .and_then(|d| d.lag_duration())
        .and_then(iso_duration);
    let replication_error = replication
        .and_then(|d| d.data_replication_error)
        .map(|e| replication_error_text(e.error.as_ref().map(|c| c.as_str()), e.raw_error));
    let last_launch = s.life_cycle.and_then(|l| l.last_launch).map(|l| {
        let initiated = l.initiated;
        LastLaunch {
            drill: initiated
                .as_ref()
                .is_some_and(|i| i.r#type() == Some(&LastLaunchType::Drill)),
            initiated: initiated
                .as_ref()
                .and_then(|i| i.api_call_date_time.as_deref())
                .and_then(parse_time),
            job_id: initiated.and_then(|i| i.job_id),
            status: LaunchStatus::from(l.status.as_ref().map(|s| s.as_str())),
        }
    });
    Some(DrsServer {
        id,
        hostname,
        fqdn,
        instance_id,
        tags,
        staging_account: s.staging_area.and_then(|a| a.staging_account_id),
        state,
        lag,
        replication_error,
        last_launch,
    })
}

/// The model's launch job; `None` for any other job type or without an id.
pub fn launch_job(j: SdkJob) -> Option<LaunchJob> {
    if j.r#type() != Some(&JobType::Launch) || j.job_id.is_empty() {
        return None;
    }
    Some(LaunchJob {
        initiated_by: InitiatedBy::from(j.initiated_by().map(|i| i.as_str())),
        status: JobStatus::from(j.status().map(|s| s.as_str())),
        created: j.creation_date_time().and_then(parse_time),
        ended: j.end_date_time().and_then(parse_time),
        servers: j
            .participating_servers
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| {
                let id = SourceServerId::parse(p.source_server_id.as_deref()?).ok()?;
                Some((
                    id,
                    LaunchStatus::from(p.launch_status().map(|s| s.as_str())),
                ))
            })
            .collect(),
        id: j.job_id,
    })
}

/// Every non-archived MGN source server: an archived one is out of the migration.
async fn mgn_servers(mgn: &aws_sdk_mgn::Client) -> Result<Vec<MgnServer>, ObserveError> {
    let pages = mgn
        .describe_source_servers()
        .filters(
            DescribeSourceServersRequestFilters::builder()
                .is_archived(false)
                .build(),
        )
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    every_page(MGN_DESCRIBE_SOURCE_SERVERS, pages, |page| {
        page.items
            .unwrap_or_default()
            .into_iter()
            .filter_map(mgn_server)
    })
    .await
}

/// The model's MGN server; `None` without an id.
pub fn mgn_server(s: SdkMgnServer) -> Option<MgnServer> {
    let id = s.source_server_id.filter(|id| !id.is_empty())?;
    let info = s.data_replication_info;
    Some(MgnServer {
        id,
        hostname: s
            .source_properties
            .and_then(|p| p.identification_hints)
            .and_then(|h| h.hostname),
        replication: MgnReplicationState::from(
            info.as_ref()
                .and_then(|d| d.data_replication_state())
                .map(|state| state.as_str()),
        ),
        lifecycle: MgnLifeCycle::from(
            s.life_cycle
                .as_ref()
                .and_then(|l| l.state())
                .map(|state| state.as_str()),
        ),
        replication_error: info
            .and_then(|d| d.data_replication_error)
            .map(|e| replication_error_text(e.error.as_ref().map(|c| c.as_str()), e.raw_error)),
    })
}

#[cfg(test)]
mod tests;
