//! Apply: one `StartRecovery` per batch of launches, one `TerminateRecoveryInstances` per batch
//! of expired drill instances, one `TagResource` per tag, at most `concurrency` at a time.

use crate::model::{
    describe_tags, Call, LaunchServer, START_RECOVERY, START_RECOVERY_PLAN_EXECUTION, TAG_FUNCTION,
    TAG_MODE, TAG_REPORTED, TAG_RESOURCE, TERMINATE_RECOVERY_INSTANCES,
};
use crate::FUNCTION;
use aws_sdk_drs::types::{Job, RecoveryPlanExecutionMode, StartRecoveryRequestSourceServer};
use dr_core::error::CallFailure;
use dr_core::fanout::run_bounded;
use dr_core::report::TargetOutcome;
use dr_core::trigger::LaunchMode;
use std::collections::BTreeMap;

/// One call to make.
enum Unit {
    Launch(LaunchMode, Vec<LaunchServer>),
    Terminate(Vec<(String, String)>),
    RunPlan {
        arn: String,
        token: String,
    },
    Tag {
        id: String,
        arn: String,
        tags: Vec<(String, String)>,
    },
}

/// Makes the planned calls and reports one outcome per server, instance or tagged resource.
///
/// Terminations go first, then launches, then plan runs and tags. The SDK's retry policy
/// retries throttling and transient errors first ("implement exponential backoff and retry logic
/// to handle API throttling gracefully", DRS user guide: "Disaster recovery at scale"); what
/// still fails is reported for every server of the call and never stops the other calls. A failed launch is
/// not retried here: the next run observes again, and the launch guard and job checks keep it
/// from launching what did start.
pub async fn apply(
    drs: &aws_sdk_drs::Client,
    calls: Vec<Call>,
    concurrency: usize,
) -> Vec<TargetOutcome> {
    let mut launches: BTreeMap<(usize, &'static str), (LaunchMode, Vec<LaunchServer>)> =
        BTreeMap::new();
    let mut terminations: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
    let mut plan_runs_and_tags = Vec::new();
    for call in calls {
        match call {
            Call::Launch {
                mode,
                batch,
                server,
            } => launches
                .entry((batch, mode.as_str()))
                .or_insert_with(|| (mode, Vec::new()))
                .1
                .push(server),
            Call::Terminate { batch, id, why } => {
                terminations.entry(batch).or_default().push((id, why));
            }
            Call::RunPlan { arn, token } => plan_runs_and_tags.push(Unit::RunPlan { arn, token }),
            Call::TagInstance { id, arn, tags } => {
                plan_runs_and_tags.push(Unit::Tag { id, arn, tags });
            }
            Call::MarkReported { id, arn, at } => plan_runs_and_tags.push(Unit::Tag {
                id,
                arn,
                tags: vec![(TAG_REPORTED.to_owned(), at)],
            }),
        }
    }
    let units: Vec<Unit> = terminations
        .into_values()
        .map(Unit::Terminate)
        .chain(
            launches
                .into_values()
                .map(|(mode, servers)| Unit::Launch(mode, servers)),
        )
        .chain(plan_runs_and_tags)
        .collect();
    run_bounded(units, concurrency, |unit| async move {
        match unit {
            Unit::Launch(mode, servers) => launch(drs, mode, servers).await,
            Unit::Terminate(instances) => terminate(drs, instances).await,
            Unit::RunPlan { arn, token } => vec![run_plan(drs, arn, token).await],
            Unit::Tag { id, arn, tags } => vec![tag(drs, id, &arn, tags).await],
        }
    })
    .await
    .into_iter()
    .flatten()
    .collect()
}

/// `StartRecovery` of one job's servers, tagged with the function and the mode so that the
/// follow-up and cleanup can tell the job apart.
async fn launch(
    drs: &aws_sdk_drs::Client,
    mode: LaunchMode,
    servers: Vec<LaunchServer>,
) -> Vec<TargetOutcome> {
    let request: Vec<StartRecoveryRequestSourceServer> = servers
        .iter()
        .filter_map(|s| {
            StartRecoveryRequestSourceServer::builder()
                .source_server_id(s.source_server_id.as_str())
                .set_recovery_snapshot_id(s.snapshot_id.clone())
                .build()
                .ok()
        })
        .collect();
    let sent = drs
        .start_recovery()
        .set_source_servers(Some(request))
        .is_drill(mode == LaunchMode::Drill)
        .tags(TAG_FUNCTION, FUNCTION)
        .tags(TAG_MODE, mode.as_str())
        .send()
        .await;
    match sent {
        Ok(out) => {
            let (id, status) = job_answered(out.job());
            servers
                .into_iter()
                .map(|s| {
                    TargetOutcome::done(&s.source_server_id, START_RECOVERY, status.clone())
                        .with_detail(format!("{} job {id}: {}", mode.as_str(), s.why))
                })
                .collect()
        }
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            servers
                .into_iter()
                .map(|s| {
                    TargetOutcome::failed(&s.source_server_id, START_RECOVERY, &failure)
                        .with_detail(format!(
                            "{failure}; {} of this job's servers not launched",
                            mode.as_str()
                        ))
                })
                .collect()
        }
    }
}

/// The id and status of the job a call answered with, as the outcomes show them.
fn job_answered(job: Option<&Job>) -> (&str, Option<String>) {
    (
        job.map_or("with no id", Job::job_id),
        job.and_then(Job::status).map(|s| s.as_str().to_owned()),
    )
}

/// `TerminateRecoveryInstances` of one batch.
async fn terminate(
    drs: &aws_sdk_drs::Client,
    instances: Vec<(String, String)>,
) -> Vec<TargetOutcome> {
    let sent = drs
        .terminate_recovery_instances()
        .set_recovery_instance_ids(Some(instances.iter().map(|(id, _)| id.clone()).collect()))
        .send()
        .await;
    match sent {
        Ok(out) => {
            let (id, status) = job_answered(out.job());
            instances
                .into_iter()
                .map(|(instance, why)| {
                    TargetOutcome::done(instance, TERMINATE_RECOVERY_INSTANCES, status.clone())
                        .with_detail(format!("job {id}: {why}"))
                })
                .collect()
        }
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            instances
                .into_iter()
                .map(|(instance, _)| {
                    TargetOutcome::failed(instance, TERMINATE_RECOVERY_INSTANCES, &failure)
                })
                .collect()
        }
    }
}

/// `StartRecoveryPlanExecution` of plan `arn` in DRILL mode, tagged like a launch job.
async fn run_plan(drs: &aws_sdk_drs::Client, arn: String, token: String) -> TargetOutcome {
    let sent = drs
        .start_recovery_plan_execution()
        .recovery_plan_arn(&arn)
        .mode(RecoveryPlanExecutionMode::Drill)
        .client_token(token)
        .tags(TAG_FUNCTION, FUNCTION)
        .tags(TAG_MODE, LaunchMode::Drill.as_str())
        .send()
        .await;
    match sent {
        Ok(out) => {
            let execution = out.recovery_plan_execution();
            TargetOutcome::done(
                &arn,
                START_RECOVERY_PLAN_EXECUTION,
                execution.map(|e| e.status().as_str().to_owned()),
            )
            .with_detail(format!(
                "drill execution {}",
                execution.map_or("with no ARN", |e| e.recovery_plan_execution_arn())
            ))
        }
        Err(err) => TargetOutcome::failed(
            &arn,
            START_RECOVERY_PLAN_EXECUTION,
            &CallFailure::from_sdk(&err),
        ),
    }
}

/// `TagResource` of `arn` (reported as `id`).
async fn tag(
    drs: &aws_sdk_drs::Client,
    id: String,
    arn: &str,
    tags: Vec<(String, String)>,
) -> TargetOutcome {
    let what = describe_tags(&tags);
    let sent = drs
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags.into_iter().collect()))
        .send()
        .await;
    match sent {
        Ok(_) => TargetOutcome::done(id, TAG_RESOURCE, None).with_detail(what),
        Err(err) => TargetOutcome::failed(id, TAG_RESOURCE, &CallFailure::from_sdk(&err)),
    }
}

#[cfg(test)]
mod tests;
