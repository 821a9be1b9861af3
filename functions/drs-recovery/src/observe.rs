//! Observe: read the account and Region's source servers, recent jobs, recovery instances, the
//! logs of the jobs to report and the snapshots of the servers to launch, into the model.

use crate::ask::{asked, TriggerSkips};
use crate::config::RecoveryConfig;
use crate::model::{
    ExecutionStatus, Facts, InitiatedBy, Job, JobStatus, LaunchStatus, LogEvent, LogItem,
    Participant, PlanExecution, RecoveryInstance, ReplicationState, Snapshot, SourceServer,
    OWN_TAGS,
};
use aws_sdk_drs::types::{
    DescribeJobsRequestFilters, DescribeRecoverySnapshotsRequestFilters, Job as SdkJob,
    JobLog as SdkJobLog, LastLaunchType, RecoveryInstance as SdkRecoveryInstance,
    RecoveryPlanExecution as SdkPlanExecution, RecoveryPlanExecutionMode,
    RecoveryPlanExecutionStepConfiguration, RecoverySnapshot, RecoverySnapshotsOrder,
    SourceServer as SdkSourceServer,
};
use dr_core::clock::{fmt_time, iso_duration, parse_time};
use dr_core::drs::{kept_tags, replication_error_text};
use dr_core::fanout::run_bounded;
use dr_core::fleet::Target;
use dr_core::ids::SourceServerId;
use dr_core::observe::{every_page, ObserveError};
use dr_core::report::Skips;
use dr_core::trigger::Trigger;
use std::collections::HashMap;

/// Largest page the Describe calls are asked for; fewer round trips on large fleets.
const PAGE_SIZE: i32 = 1000;

/// The read that lists source servers.
pub const DESCRIBE_SOURCE_SERVERS: &str = "DescribeSourceServers";
/// The read that lists jobs.
pub const DESCRIBE_JOBS: &str = "DescribeJobs";
/// The read of a job's log.
pub const DESCRIBE_JOB_LOG_ITEMS: &str = "DescribeJobLogItems";
/// The read that lists recovery instances.
pub const DESCRIBE_RECOVERY_INSTANCES: &str = "DescribeRecoveryInstances";
/// The read of a server's snapshots.
pub const DESCRIBE_RECOVERY_SNAPSHOTS: &str = "DescribeRecoverySnapshots";
/// The read that lists a recovery plan's executions.
pub const LIST_RECOVERY_PLAN_EXECUTIONS: &str = "ListRecoveryPlanExecutions";
/// The read of one execution, with its end and tags.
pub const GET_RECOVERY_PLAN_EXECUTION: &str = "GetRecoveryPlanExecution";
/// The read of an execution's steps, with each server's job.
pub const LIST_RECOVERY_PLAN_EXECUTION_STEPS: &str = "ListRecoveryPlanExecutionSteps";

/// Reads what planning `trigger` needs in one account and Region, as of `now`.
///
/// Jobs are those created within `DRS_FOLLOW_UP` ("fromDate", DescribeJobs). Logs are read
/// only of this function's launch jobs whose outcome is still to be reported, and snapshots
/// only of the servers the trigger asks to launch, when the snapshot choice needs them: one
/// DescribeRecoverySnapshots each, newest first and cut at the choice's time, one item.
pub async fn facts(
    drs: &aws_sdk_drs::Client,
    config: &RecoveryConfig,
    target: &Target,
    trigger: &Trigger,
    now: i64,
) -> Result<Facts, ObserveError> {
    let tag_keys = config.choice.tag_keys();
    let servers = every_page(
        DESCRIBE_SOURCE_SERVERS,
        drs.describe_source_servers()
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send(),
        |page| {
            page.items
                .unwrap_or_default()
                .into_iter()
                .filter_map(|s| source_server(s, &tag_keys))
        },
    )
    .await?;
    let mut jobs = every_page(
        DESCRIBE_JOBS,
        drs.describe_jobs()
            .filters(
                DescribeJobsRequestFilters::builder()
                    .from_date(fmt_time(now - config.follow_up))
                    .build(),
            )
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send(),
        |page| page.items.unwrap_or_default().into_iter().filter_map(job),
    )
    .await?;
    let instances = every_page(
        DESCRIBE_RECOVERY_INSTANCES,
        drs.describe_recovery_instances()
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send(),
        |page| {
            page.items
                .unwrap_or_default()
                .into_iter()
                .filter_map(recovery_instance)
        },
    )
    .await?;
    let concurrency = config.settings.max_concurrency;
    jobs.extend(jobs_of_older_instances(drs, &jobs, &instances).await?);
    let executions = match &config.drill.plan {
        Some(plan) if target.covers(plan.account(), plan.region()) => {
            executions(drs, plan.as_str(), now - config.follow_up, concurrency).await?
        }
        _ => Vec::new(),
    };
    link_plan_jobs(drs, &executions, &mut jobs, concurrency).await?;
    let to_report: Vec<String> = jobs
        .iter()
        .filter(|j| j.is_own() && j.launch_mode().is_some() && !j.is_reported(&executions))
        .map(|j| j.id.clone())
        .collect();
    let logs = run_bounded(to_report, concurrency, |id| async move {
        let items = job_log(drs, &id).await?;
        Ok::<_, ObserveError>((id, items))
    })
    .await
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    let asked = asked(
        config,
        trigger,
        &servers,
        now,
        &mut Skips::new(),
        &mut TriggerSkips::default(),
    );
    let wanted: Vec<(SourceServerId, i64)> = asked
        .launches
        .iter()
        .filter_map(|w| {
            config
                .snapshot(w.mode)
                .newest_at_or_before(now)
                .map(|until| (w.server.id.clone(), until))
        })
        .collect();
    let snapshots = run_bounded(wanted, concurrency, |(id, until)| async move {
        let list = newest_snapshot(drs, &id, until).await?;
        Ok::<_, ObserveError>((id, list))
    })
    .await
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    Ok(Facts {
        observed_at: now,
        servers,
        jobs,
        logs,
        instances,
        snapshots,
        executions,
    })
}

/// The executions of recovery plan `plan` started since `since`, each read in full for its
/// end and tags (the list's summaries have neither [DRS API reference:
/// RecoveryPlanExecutionSummary]).
async fn executions(
    drs: &aws_sdk_drs::Client,
    plan: &str,
    since: i64,
    concurrency: usize,
) -> Result<Vec<PlanExecution>, ObserveError> {
    let recent: Vec<String> = every_page(
        LIST_RECOVERY_PLAN_EXECUTIONS,
        drs.list_recovery_plan_executions()
            .recovery_plan_arn(plan)
            .into_paginator()
            .send(),
        |page| {
            page.recovery_plan_executions
                .into_iter()
                .filter(|e| {
                    !is_terminal(e.status())
                        || parse_time(e.started_at()).is_none_or(|t| t >= since)
                })
                .map(|e| e.recovery_plan_execution_arn)
        },
    )
    .await?;
    run_bounded(recent, concurrency, |arn| async move {
        let out = drs
            .get_recovery_plan_execution()
            .recovery_plan_execution_arn(arn)
            .send()
            .await
            .map_err(ObserveError::of(GET_RECOVERY_PLAN_EXECUTION))?;
        Ok(out.recovery_plan_execution.map(plan_execution))
    })
    .await
    .into_iter()
    .filter_map(Result::transpose)
    .collect()
}

fn is_terminal(status: &aws_sdk_drs::types::RecoveryPlanExecutionStatus) -> bool {
    ExecutionStatus::from(status.as_str()).is_terminal()
}

/// Marks the jobs that this function's executions launched, from each execution's steps: "The
/// DRS recovery job ID. Populated when recovery is initiated for this server" [DRS API
/// reference: RecoveryPlanExecutionServer].
async fn link_plan_jobs(
    drs: &aws_sdk_drs::Client,
    executions: &[PlanExecution],
    jobs: &mut [Job],
    concurrency: usize,
) -> Result<(), ObserveError> {
    let own: Vec<&PlanExecution> = executions.iter().filter(|e| e.is_own()).collect();
    let linked = run_bounded(own, concurrency, |e| async move {
        let job_ids = every_page(
            LIST_RECOVERY_PLAN_EXECUTION_STEPS,
            drs.list_recovery_plan_execution_steps()
                .recovery_plan_execution_arn(&e.arn)
                .into_paginator()
                .send(),
            |page| {
                page.recovery_plan_execution_steps
                    .into_iter()
                    .filter_map(|step| {
                        match step.configuration? {
                        RecoveryPlanExecutionStepConfiguration::ExecutionServerStepConfiguration(
                            c,
                        ) => Some(c.servers),
                        _ => None,
                    }
                    })
                    .flatten()
                    .filter_map(|server| server.job_id)
            },
        )
        .await?;
        Ok::<_, ObserveError>((e, job_ids))
    })
    .await;
    for result in linked {
        let (execution, job_ids) = result?;
        for job in jobs.iter_mut().filter(|j| job_ids.contains(&j.id)) {
            job.execution = Some(execution.arn.clone());
        }
    }
    Ok(())
}

/// The model's plan execution.
pub fn plan_execution(e: SdkPlanExecution) -> PlanExecution {
    PlanExecution {
        drill: e.mode() == &RecoveryPlanExecutionMode::Drill,
        status: ExecutionStatus::from(e.status().as_str()),
        started: parse_time(e.started_at()),
        completed: e.completed_at().and_then(parse_time),
        error: e
            .error_detail()
            .map(|d| format!("{}: {}", d.code(), d.message())),
        tags: own_tags(e.tags.clone()),
        arn: e.recovery_plan_execution_arn,
    }
}

/// Most job ids one DescribeJobs filter takes (the model's DescribeJobsRequestFiltersJobIDs).
const JOB_IDS_PER_CALL: usize = 1000;

/// The jobs of recovery instances launched before the follow-up window, read by id: whether
/// the function launched an instance, and when, is told by its job until the instance carries
/// its tags, however long no run followed it up.
async fn jobs_of_older_instances(
    drs: &aws_sdk_drs::Client,
    jobs: &[Job],
    instances: &[RecoveryInstance],
) -> Result<Vec<Job>, ObserveError> {
    let mut missing: Vec<&str> = instances
        .iter()
        .filter(|i| i.tags.is_empty())
        .filter_map(|i| i.job_id.as_deref())
        .filter(|id| !jobs.iter().any(|j| j.id == *id))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    let mut found = Vec::new();
    for ids in missing.chunks(JOB_IDS_PER_CALL) {
        let pages = drs
            .describe_jobs()
            .filters(
                DescribeJobsRequestFilters::builder()
                    .set_job_ids(Some(ids.iter().map(|id| (*id).to_owned()).collect()))
                    .build(),
            )
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send();
        found.extend(
            every_page(DESCRIBE_JOBS, pages, |page| {
                page.items.unwrap_or_default().into_iter().filter_map(job)
            })
            .await?,
        );
    }
    Ok(found)
}

/// Every item of job `id`'s log.
async fn job_log(drs: &aws_sdk_drs::Client, id: &str) -> Result<Vec<LogItem>, ObserveError> {
    every_page(
        DESCRIBE_JOB_LOG_ITEMS,
        drs.describe_job_log_items()
            .job_id(id)
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send(),
        |page| page.items.unwrap_or_default().into_iter().map(log_item),
    )
    .await
}

/// The newest snapshot of server `id` taken at or before `until`, as a list of at most one:
/// "Ordering by DESC returns the most recent recovery point first" [DRS user guide: "Running a
/// recovery plan"].
async fn newest_snapshot(
    drs: &aws_sdk_drs::Client,
    id: &SourceServerId,
    until: i64,
) -> Result<Vec<Snapshot>, ObserveError> {
    let out = drs
        .describe_recovery_snapshots()
        .source_server_id(id.as_str())
        .order(RecoverySnapshotsOrder::Desc)
        .filters(
            DescribeRecoverySnapshotsRequestFilters::builder()
                .to_date_time(fmt_time(until))
                .build(),
        )
        .max_results(1)
        .send()
        .await
        .map_err(ObserveError::of(DESCRIBE_RECOVERY_SNAPSHOTS))?;
    Ok(out
        .items
        .unwrap_or_default()
        .into_iter()
        .filter_map(snapshot)
        .take(1)
        .collect())
}

/// The model's source server, keeping only the tags in `tag_keys`; `None` without a valid id.
pub fn source_server(s: SdkSourceServer, tag_keys: &[&str]) -> Option<SourceServer> {
    let id = SourceServerId::parse(s.source_server_id.as_deref()?).ok()?;
    let hints = s.source_properties.and_then(|p| p.identification_hints);
    let (hostname, fqdn, instance_id) = match hints {
        Some(h) => (h.hostname, h.fqdn, h.aws_instance_id),
        None => (None, None, None),
    };
    let tags = kept_tags(s.tags, tag_keys);
    let replication = s.data_replication_info;
    let state = ReplicationState::from(
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
    let last_drill_launch = s.life_cycle.and_then(|l| l.last_launch).filter(|l| {
        l.initiated
            .as_ref()
            .is_some_and(|i| i.r#type() == Some(&LastLaunchType::Drill))
    });
    let last_drill_launched = last_drill_launch
        .as_ref()
        .is_some_and(|l| LaunchStatus::from(l.status().map(|s| s.as_str())).launched());
    let last_drill = last_drill_launch
        .and_then(|l| l.initiated)
        .and_then(|i| i.api_call_date_time.as_deref().and_then(parse_time));
    Some(SourceServer {
        id,
        hostname,
        fqdn,
        instance_id,
        tags,
        staging_account: s.staging_area.and_then(|a| a.staging_account_id),
        state,
        lag,
        replication_error,
        last_drill,
        last_drill_launched,
    })
}

/// The tags among [`OWN_TAGS`], in key order.
fn own_tags(tags: Option<HashMap<String, String>>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = tags
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| OWN_TAGS.contains(&k.as_str()))
        .collect();
    out.sort_unstable();
    out
}

/// The model's job; `None` without an id (the model requires one).
pub fn job(j: SdkJob) -> Option<Job> {
    Some(Job {
        initiated_by: InitiatedBy::from(j.initiated_by().map(|i| i.as_str())),
        status: JobStatus::from(j.status().map(|s| s.as_str())),
        created: j.creation_date_time().and_then(parse_time),
        ended: j.end_date_time().and_then(parse_time),
        arn: j.arn.clone(),
        tags: own_tags(j.tags.clone()),
        participants: j
            .participating_servers
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| {
                Some(Participant {
                    source_server_id: SourceServerId::parse(p.source_server_id.as_deref()?).ok()?,
                    status: LaunchStatus::from(p.launch_status().map(|s| s.as_str())),
                    recovery_instance_id: p.recovery_instance_id,
                })
            })
            .collect(),
        execution: None,
        id: j.job_id,
    })
    .filter(|j| !j.id.is_empty())
}

/// The model's log item.
pub fn log_item(item: SdkJobLog) -> LogItem {
    let data = item.event_data;
    LogItem {
        at: item.log_date_time.as_deref().and_then(parse_time),
        event: LogEvent::from(item.event.as_ref().map(|e| e.as_str())),
        source_server_id: data
            .as_ref()
            .and_then(|d| d.source_server_id.as_deref())
            .and_then(|id| SourceServerId::parse(id).ok()),
        raw_error: data.and_then(|d| d.raw_error),
    }
}

/// The model's recovery instance; `None` without an id.
pub fn recovery_instance(i: SdkRecoveryInstance) -> Option<RecoveryInstance> {
    Some(RecoveryInstance {
        id: i.recovery_instance_id?,
        arn: i.arn,
        source_server_id: i
            .source_server_id
            .as_deref()
            .and_then(|id| SourceServerId::parse(id).ok()),
        job_id: i.job_id,
        drill: i.is_drill,
        point_in_time: i
            .point_in_time_snapshot_date_time
            .as_deref()
            .and_then(parse_time),
        ec2_state: i.ec2_instance_state.map(|s| s.as_str().to_owned()),
        tags: own_tags(i.tags),
    })
}

/// The model's snapshot: its time is `timestamp` ("the actual timestamp that the snapshot was
/// taken"), else `expectedTimestamp` [DRS API reference: RecoverySnapshot].
pub fn snapshot(s: RecoverySnapshot) -> Option<Snapshot> {
    let at = s
        .timestamp
        .as_deref()
        .and_then(parse_time)
        .or_else(|| parse_time(&s.expected_timestamp))?;
    Some(Snapshot {
        id: s.snapshot_id,
        at,
    })
}

#[cfg(test)]
mod tests;
