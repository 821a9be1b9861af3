//! Observe: read the server catalog, the replication jobs and, for the jobs that need it, their
//! replication runs, every page, into the domain's types.

use aws_sdk_sms::types::{ReplicationJob as SdkJob, ReplicationRun as SdkRun, Server as SdkServer};
use dr_core::error::CallFailure;
use dr_core::fanout::run_bounded;
use std::collections::BTreeMap;

/// Page size asked of the Get* operations (SMS returns 50 when none is given).
const PAGE_SIZE: i32 = 100;

/// State of a job or run that reports none.
pub const UNKNOWN_STATE: &str = "UNKNOWN";

/// A server in the SMS catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Server {
    /// `serverId`.
    pub id: String,
    /// `vmServer.vmName`.
    pub vm_name: Option<String>,
    /// `vmServer.vmPath`.
    pub vm_path: Option<String>,
    /// `replicationJobId`: the job replicating this server, if any.
    pub job_id: Option<String>,
    /// `replicationJobTerminated`: that job is deleted or failed.
    pub job_terminated: bool,
}

impl From<&SdkServer> for Server {
    fn from(s: &SdkServer) -> Self {
        let vm = s.vm_server();
        Self {
            id: s.server_id().unwrap_or_default().to_owned(),
            vm_name: vm.and_then(|v| v.vm_name()).map(str::to_owned),
            vm_path: vm.and_then(|v| v.vm_path()).map(str::to_owned),
            job_id: s.replication_job_id().map(str::to_owned),
            job_terminated: s.replication_job_terminated().unwrap_or(false),
        }
    }
}

/// The server catalog: its status and every server in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// `serverCatalogStatus` (`AVAILABLE` once imported).
    pub status: Option<String>,
    /// Every server, all pages.
    pub servers: Vec<Server>,
}

/// A replication run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Run {
    /// `replicationRunId`.
    pub id: String,
    /// `state`: PENDING, MISSED, ACTIVE, FAILED, COMPLETED, DELETING or DELETED.
    pub state: String,
    /// `type`: ON_DEMAND or AUTOMATIC.
    pub kind: String,
    /// `statusMessage`: why a failed run failed.
    pub status_message: Option<String>,
    /// `stageDetails.stage`.
    pub stage: Option<String>,
    /// `scheduledStartTime`, epoch seconds.
    pub scheduled: Option<i64>,
    /// `completedTime`, epoch seconds.
    pub completed: Option<i64>,
}

impl From<&SdkRun> for Run {
    fn from(r: &SdkRun) -> Self {
        Self {
            id: r.replication_run_id().unwrap_or_default().to_owned(),
            state: r.state().map_or(UNKNOWN_STATE, |s| s.as_str()).to_owned(),
            kind: r.r#type().map_or(UNKNOWN_STATE, |t| t.as_str()).to_owned(),
            status_message: r.status_message().map(str::to_owned),
            stage: r.stage_details().and_then(|d| d.stage()).map(str::to_owned),
            scheduled: r.scheduled_start_time().map(|t| t.secs()),
            completed: r.completed_time().map(|t| t.secs()),
        }
    }
}

/// A replication job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Job {
    /// `replicationJobId`.
    pub id: String,
    /// `serverId`.
    pub server_id: String,
    /// `state`: PENDING, ACTIVE, FAILED, DELETING, DELETED, COMPLETED, PAUSED_ON_FAILURE or FAILING.
    pub state: String,
    /// `statusMessage`.
    pub status_message: Option<String>,
    /// `runOnce`.
    pub run_once: bool,
    /// `latestAmiId`.
    pub latest_ami: Option<String>,
    /// `replicationRunList` as `GetReplicationJobs` returns it (the latest runs only).
    pub runs: Vec<Run>,
}

impl From<&SdkJob> for Job {
    fn from(j: &SdkJob) -> Self {
        Self {
            id: j.replication_job_id().unwrap_or_default().to_owned(),
            server_id: j.server_id().unwrap_or_default().to_owned(),
            state: j.state().map_or(UNKNOWN_STATE, |s| s.as_str()).to_owned(),
            status_message: j.status_message().map(str::to_owned),
            run_once: j.run_once().unwrap_or(false),
            latest_ami: j.latest_ami_id().map(str::to_owned),
            runs: j.replication_run_list().iter().map(Run::from).collect(),
        }
    }
}

/// Reads the whole server catalog, following `nextToken` to the end.
pub async fn catalog(sms: &aws_sdk_sms::Client) -> Result<Catalog, CallFailure> {
    let mut pages = sms
        .get_servers()
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut catalog = Catalog::default();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CallFailure::from_sdk(&e))?;
        if catalog.status.is_none() {
            catalog.status = page.server_catalog_status().map(|s| s.as_str().to_owned());
        }
        catalog.servers.extend(
            page.server_list()
                .iter()
                .filter(|s| s.server_id().is_some())
                .map(Server::from),
        );
    }
    Ok(catalog)
}

/// Reads every replication job, following `nextToken` to the end.
pub async fn jobs(sms: &aws_sdk_sms::Client) -> Result<Vec<Job>, CallFailure> {
    let mut pages = sms
        .get_replication_jobs()
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut jobs = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CallFailure::from_sdk(&e))?;
        jobs.extend(
            page.replication_job_list()
                .iter()
                .filter(|j| j.replication_job_id().is_some())
                .map(Job::from),
        );
    }
    Ok(jobs)
}

/// The runs of several jobs: the runs read, by job id, and the jobs whose runs could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunHistory {
    /// Every run of each job read, all pages.
    pub runs: BTreeMap<String, Vec<Run>>,
    /// Jobs whose `GetReplicationRuns` failed, with the failure.
    pub failures: Vec<(String, CallFailure)>,
}

/// Reads every run of each job, at most `concurrency` jobs at a time.
///
/// All pages are read because SMS does not document the order of runs, and the on-demand limit
/// and the count of consecutive failures both need the newest ones.
pub async fn runs(sms: &aws_sdk_sms::Client, job_ids: &[String], concurrency: usize) -> RunHistory {
    let results = run_bounded(job_ids.to_vec(), concurrency, |id| async move {
        let result = job_runs(sms, &id).await;
        (id, result)
    })
    .await;
    let mut history = RunHistory::default();
    for (id, result) in results {
        match result {
            Ok(runs) => {
                history.runs.insert(id, runs);
            }
            Err(failure) => history.failures.push((id, failure)),
        }
    }
    history
}

async fn job_runs(sms: &aws_sdk_sms::Client, job_id: &str) -> Result<Vec<Run>, CallFailure> {
    let mut pages = sms
        .get_replication_runs()
        .replication_job_id(job_id)
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut runs = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CallFailure::from_sdk(&e))?;
        runs.extend(page.replication_run_list().iter().map(Run::from));
    }
    Ok(runs)
}
