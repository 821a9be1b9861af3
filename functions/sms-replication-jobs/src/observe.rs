//! Observe: read the server catalog, the replication jobs and, for the jobs that need it, their
//! replication runs, every page, into the model's types.

use crate::model::{
    Catalog, CatalogStatus, Facts, Job, JobSettings, JobState, Run, RunState, RunType, Server,
    GET_REPLICATION_RUNS,
};
use aws_sdk_sms::types::{ReplicationJob as SdkJob, ReplicationRun as SdkRun, Server as SdkServer};
use dr_core::fanout::run_bounded;
use dr_core::observe::{every_page, ObserveError};

/// Page size asked of the Get* operations (SMS returns 50 when none is given).
const PAGE_SIZE: i32 = 100;

/// Reads the catalog and every job, then every run of the jobs `runs_needed` names, at most
/// `concurrency` jobs at a time, as of `now`.
///
/// A failed read of the catalog or the jobs stops the run; a failed read of one job's runs is a
/// fact (`unread_runs`), so the other jobs are still looked after.
pub async fn facts(
    sms: &aws_sdk_sms::Client,
    concurrency: usize,
    now: i64,
    runs_needed: impl FnOnce(&Catalog, &[Job]) -> Vec<String>,
) -> Result<Facts, ObserveError> {
    let (catalog, jobs) = tokio::join!(catalog(sms), jobs(sms));
    let (catalog, jobs) = (catalog?, jobs?);
    let wanted = runs_needed(&catalog, &jobs);
    let mut facts = Facts {
        now,
        catalog,
        jobs,
        ..Facts::default()
    };
    let results = run_bounded(wanted, concurrency, |id| async move {
        let result = job_runs(sms, &id).await;
        (id, result)
    })
    .await;
    for (id, result) in results {
        match result {
            Ok(runs) => {
                facts.runs.insert(id, runs);
            }
            Err(err) => facts.unread_runs.push((id, err.failure)),
        }
    }
    Ok(facts)
}

/// Reads the whole server catalog; its status is the first one a page gives.
async fn catalog(sms: &aws_sdk_sms::Client) -> Result<Catalog, ObserveError> {
    let pages = every_page(
        "GetServers",
        sms.get_servers()
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send(),
        |page| {
            let status = page
                .server_catalog_status()
                .map(|s| CatalogStatus::from(Some(s.as_str())));
            let servers: Vec<Server> = page
                .server_list()
                .iter()
                .filter(|s| s.server_id().is_some())
                .map(server)
                .collect();
            [(status, servers)]
        },
    )
    .await?;
    let mut catalog = Catalog::default();
    for (status, servers) in pages {
        catalog.status = catalog.status.or(status);
        catalog.servers.extend(servers);
    }
    Ok(catalog)
}

/// Reads every replication job.
async fn jobs(sms: &aws_sdk_sms::Client) -> Result<Vec<Job>, ObserveError> {
    every_page(
        "GetReplicationJobs",
        sms.get_replication_jobs()
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send(),
        |page| {
            page.replication_job_list()
                .iter()
                .filter(|j| j.replication_job_id().is_some())
                .map(job)
                .collect::<Vec<_>>()
        },
    )
    .await
}

/// Reads every run of one job.
///
/// All pages are read because SMS does not document the order of runs, and the on-demand limit
/// and the count of consecutive failures both need the newest ones.
async fn job_runs(sms: &aws_sdk_sms::Client, job_id: &str) -> Result<Vec<Run>, ObserveError> {
    every_page(
        GET_REPLICATION_RUNS,
        sms.get_replication_runs()
            .replication_job_id(job_id)
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send(),
        |page| {
            page.replication_run_list()
                .iter()
                .map(run)
                .collect::<Vec<_>>()
        },
    )
    .await
}

/// A catalog server as the model has it.
fn server(s: &SdkServer) -> Server {
    let vm = s.vm_server();
    Server {
        id: s.server_id().unwrap_or_default().to_owned(),
        vm_name: vm.and_then(|v| v.vm_name()).map(str::to_owned),
        vm_path: vm.and_then(|v| v.vm_path()).map(str::to_owned),
        job_id: s.replication_job_id().map(str::to_owned),
        job_terminated: s.replication_job_terminated().unwrap_or(false),
    }
}

/// A run as the model has it.
fn run(r: &SdkRun) -> Run {
    Run {
        id: r.replication_run_id().unwrap_or_default().to_owned(),
        state: RunState::from(r.state().map(|s| s.as_str())),
        kind: RunType::from(r.r#type().map(|t| t.as_str())),
        status_message: r.status_message().map(str::to_owned),
        stage: r.stage_details().and_then(|d| d.stage()).map(str::to_owned),
        scheduled: r.scheduled_start_time().map(|t| t.secs()),
        completed: r.completed_time().map(|t| t.secs()),
    }
}

/// A job as the model has it.
fn job(j: &SdkJob) -> Job {
    Job {
        id: j.replication_job_id().unwrap_or_default().to_owned(),
        server_id: j.server_id().unwrap_or_default().to_owned(),
        state: JobState::from(j.state().map(|s| s.as_str())),
        status_message: j.status_message().map(str::to_owned),
        run_once: j.run_once().unwrap_or(false),
        latest_ami: j.latest_ami_id().map(str::to_owned),
        runs: j.replication_run_list().iter().map(run).collect(),
        settings: JobSettings {
            frequency: j.frequency(),
            license: j.license_type().map(|l| l.as_str().to_owned()),
            role_name: j.role_name().map(str::to_owned),
            description: j.description().map(str::to_owned),
            amis_to_keep: j.number_of_recent_amis_to_keep(),
            encrypted: j.encrypted(),
            kms_key_id: j.kms_key_id().map(str::to_owned),
        },
    }
}

#[cfg(test)]
mod tests;
