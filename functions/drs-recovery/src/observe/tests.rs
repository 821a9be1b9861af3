use super::*;
use crate::config::SnapshotChoice;
use crate::model::{TAG_FUNCTION, TAG_MODE, TAG_REPORTED};
use crate::testing::{drs_client, drs_error, id, NOW};
use aws_sdk_drs::operation::describe_job_log_items::DescribeJobLogItemsOutput;
use aws_sdk_drs::operation::describe_jobs::DescribeJobsOutput;
use aws_sdk_drs::operation::describe_recovery_instances::DescribeRecoveryInstancesOutput;
use aws_sdk_drs::operation::describe_recovery_snapshots::DescribeRecoverySnapshotsOutput;
use aws_sdk_drs::operation::describe_source_servers::DescribeSourceServersOutput;
use aws_sdk_drs::types::{
    DataReplicationInfo, DataReplicationState, InitiatedBy as SdkInitiatedBy, JobLogEvent,
    JobLogEventData, JobStatus as SdkJobStatus, JobType, LaunchStatus as SdkLaunchStatus,
    ParticipatingServer,
};
use aws_sdk_drs::Client as Drs;
use aws_smithy_mocks::mock;
use dr_core::drs::Selection;
use dr_core::trigger::LaunchMode;
use dr_testkit::triggers::{direct, schedule};

fn config(drill_snapshot: SnapshotChoice) -> RecoveryConfig {
    let mut c = crate::testing::config();
    c.choice.selection = Selection {
        all: true,
        ..Selection::default()
    };
    c.drill.snapshot = drill_snapshot;
    c
}

fn sdk_server(n: u32, lag: Option<&str>) -> aws_sdk_drs::types::SourceServer {
    aws_sdk_drs::types::SourceServer::builder()
        .source_server_id(id(n))
        .tags("Env", "prod")
        .data_replication_info(
            DataReplicationInfo::builder()
                .data_replication_state(DataReplicationState::Continuous)
                .set_lag_duration(lag.map(str::to_owned))
                .build(),
        )
        .build()
}

fn sdk_job(name: &str, own: bool, reported: bool) -> aws_sdk_drs::types::Job {
    let mut job = aws_sdk_drs::types::Job::builder()
        .job_id(name)
        .r#type(JobType::Launch)
        .initiated_by(SdkInitiatedBy::StartDrill)
        .status(SdkJobStatus::Completed)
        .creation_date_time("2025-12-01T10:00:00Z")
        .end_date_time("2025-12-01T10:20:00.5+00:00")
        .participating_servers(
            ParticipatingServer::builder()
                .source_server_id(id(1))
                .launch_status(SdkLaunchStatus::Launched)
                .recovery_instance_id("i-00000000000000001")
                .build(),
        )
        .tags("Owner", "someone");
    if own {
        job = job
            .tags(TAG_FUNCTION, "drs-recovery")
            .tags(TAG_MODE, "drill");
    }
    if reported {
        job = job.tags(TAG_REPORTED, "2025-12-01T10:30:00Z");
    }
    job.build().expect("a job id")
}

/// Rules for a target with servers 1 and 2, jobs `jobs`, no instances.
fn target(jobs: Vec<aws_sdk_drs::types::Job>) -> (Rule, Rule, Rule) {
    (
        mock!(Drs::describe_source_servers).then_output(|| {
            DescribeSourceServersOutput::builder()
                .items(sdk_server(1, Some("PT20M")))
                .items(sdk_server(2, None))
                .build()
        }),
        mock!(Drs::describe_jobs)
            .match_requests(|r| {
                r.filters().and_then(|f| f.from_date()) == Some("2025-11-30T11:00:00Z")
            })
            .then_output(move || {
                DescribeJobsOutput::builder()
                    .set_items(Some(jobs.clone()))
                    .build()
            }),
        mock!(Drs::describe_recovery_instances)
            .then_output(|| DescribeRecoveryInstancesOutput::builder().build()),
    )
}

use aws_smithy_mocks::Rule;

fn home() -> Target {
    Target::home(None, None)
}

#[test]
fn a_source_server_keeps_its_lag_and_only_the_tags_read() {
    let s = source_server(sdk_server(1, Some("PT20M")), &[]).unwrap();
    assert_eq!((s.lag, s.tags.len()), (Some(1_200), 0));
    assert_eq!(s.state, ReplicationState::Continuous);
}

#[test]
fn a_job_keeps_its_times_participants_and_own_tags_only() {
    let j = job(sdk_job("drsjob-1", true, false)).unwrap();
    assert_eq!(
        (j.created, j.ended),
        (Some(1_764_583_200), Some(1_764_584_400))
    );
    assert!(j.is_own() && !j.is_reported(&[]));
    assert_eq!(j.launch_mode(), Some(LaunchMode::Drill));
    assert_eq!(j.participants[0].status, LaunchStatus::Launched);
    assert!(j.tags.iter().all(|(k, _)| k != "Owner"), "{:?}", j.tags);
}

#[tokio::test]
async fn only_own_jobs_still_to_report_have_their_logs_read() {
    let (servers, jobs, instances) = target(vec![
        sdk_job("drsjob-own", true, false),
        sdk_job("drsjob-reported", true, true),
        sdk_job("drsjob-console", false, false),
    ]);
    let log = mock!(Drs::describe_job_log_items)
        .match_requests(|r| r.job_id() == Some("drsjob-own"))
        .then_output(|| {
            DescribeJobLogItemsOutput::builder()
                .items(
                    aws_sdk_drs::types::JobLog::builder()
                        .log_date_time("2025-12-01T10:10:00Z")
                        .event(JobLogEvent::LaunchFailed)
                        .event_data(
                            JobLogEventData::builder()
                                .source_server_id(id(1))
                                .raw_error("boom")
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
    let drs = drs_client(&[&servers, &jobs, &instances, &log]);
    let f = facts(
        &drs,
        &config(SnapshotChoice::OnDemand),
        &home(),
        &schedule(),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(log.num_calls(), 1);
    assert_eq!(f.logs.len(), 1);
    assert_eq!(
        f.log("drsjob-own").unwrap()[0].raw_error.as_deref(),
        Some("boom")
    );
    assert_eq!(f.jobs.len(), 3);
    assert!(f.snapshots.is_empty(), "on demand reads no snapshot");
}

#[tokio::test]
async fn snapshots_are_read_newest_first_up_to_the_choice_for_the_servers_to_launch() {
    let (servers, jobs, instances) = target(Vec::new());
    let snapshots = mock!(Drs::describe_recovery_snapshots)
        .match_requests(|r| {
            r.order() == Some(&RecoverySnapshotsOrder::Desc)
                && r.max_results() == Some(1)
                && r.filters().and_then(|f| f.to_date_time()) == Some("2025-12-01T10:00:00Z")
        })
        .then_compute_output(|r| {
            DescribeRecoverySnapshotsOutput::builder()
                .items(
                    RecoverySnapshot::builder()
                        .snapshot_id("pit-11111111111111111")
                        .source_server_id(r.source_server_id().unwrap_or_default())
                        .expected_timestamp("2025-12-01T09:50:00Z")
                        .timestamp("2025-12-01T09:50:07Z")
                        .build()
                        .expect("a snapshot"),
                )
                .build()
        });
    let drs = drs_client(&[&servers, &jobs, &instances, &snapshots]);
    let f = facts(
        &drs,
        &config(SnapshotChoice::OlderThan(3_600)),
        &home(),
        &direct(&[&id(2)]),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(snapshots.num_calls(), 1, "only the server the invoke names");
    assert_eq!(
        f.snapshots_of(&crate::testing::sid(2)).unwrap()[0].at,
        1_764_582_607
    );
}

#[tokio::test]
async fn a_failed_read_stops_the_target_naming_the_operation() {
    let servers = mock!(Drs::describe_source_servers)
        .then_http_response(|| drs_error(403, "AccessDeniedException"));
    let drs = drs_client(&[&servers]);
    let err = facts(
        &drs,
        &config(SnapshotChoice::OnDemand),
        &home(),
        &schedule(),
        NOW,
    )
    .await
    .unwrap_err();
    assert_eq!(err.operation, DESCRIBE_SOURCE_SERVERS);
}

#[tokio::test]
async fn a_plans_executions_are_read_in_full_and_link_the_jobs_their_steps_name() {
    use aws_sdk_drs::operation::get_recovery_plan_execution::GetRecoveryPlanExecutionOutput;
    use aws_sdk_drs::operation::list_recovery_plan_execution_steps::ListRecoveryPlanExecutionStepsOutput;
    use aws_sdk_drs::operation::list_recovery_plan_executions::ListRecoveryPlanExecutionsOutput;
    use aws_sdk_drs::types::{
        ExecutionServerStepConfiguration, RecoveryPlanExecution, RecoveryPlanExecutionServer,
        RecoveryPlanExecutionStatus, RecoveryPlanExecutionStepStatus,
        RecoveryPlanExecutionStepSummary, RecoveryPlanExecutionSummary,
    };
    const PLAN: &str = "arn:aws:drs:us-east-1:123456789012:recovery-plan/rp-1";
    const RUN: &str = "arn:aws:drs:us-east-1:123456789012:recovery-plan-execution/rpe-1";
    let mut c = config(SnapshotChoice::OnDemand);
    c.drill.plan = Some(dr_core::arn::Arn::parse(PLAN).unwrap());
    let (servers, jobs, instances) = target(vec![sdk_job("drsjob-plan", false, false)]);
    let list = mock!(Drs::list_recovery_plan_executions)
        .match_requests(|r| r.recovery_plan_arn() == Some(PLAN))
        .then_output(|| {
            ListRecoveryPlanExecutionsOutput::builder()
                .recovery_plan_executions(
                    RecoveryPlanExecutionSummary::builder()
                        .recovery_plan_execution_arn(RUN)
                        .recovery_plan_arn(PLAN)
                        .mode(RecoveryPlanExecutionMode::Drill)
                        .status(RecoveryPlanExecutionStatus::Completed)
                        .started_at("2025-12-01T10:00:00Z")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        });
    let get = mock!(Drs::get_recovery_plan_execution).then_output(|| {
        GetRecoveryPlanExecutionOutput::builder()
            .recovery_plan_execution(
                RecoveryPlanExecution::builder()
                    .recovery_plan_execution_arn(RUN)
                    .recovery_plan_arn(PLAN)
                    .mode(RecoveryPlanExecutionMode::Drill)
                    .status(RecoveryPlanExecutionStatus::Completed)
                    .started_at("2025-12-01T10:00:00Z")
                    .completed_at("2025-12-01T10:25:00Z")
                    .tags(TAG_FUNCTION, "drs-recovery")
                    .build()
                    .unwrap(),
            )
            .build()
    });
    let steps = mock!(Drs::list_recovery_plan_execution_steps).then_output(|| {
        ListRecoveryPlanExecutionStepsOutput::builder()
            .recovery_plan_execution_steps(
                RecoveryPlanExecutionStepSummary::builder()
                    .recovery_plan_execution_step_arn(format!("{RUN}/step/1"))
                    .step_name("servers")
                    .step_index(1)
                    .status(RecoveryPlanExecutionStepStatus::from("COMPLETED"))
                    .configuration(
                        RecoveryPlanExecutionStepConfiguration::ExecutionServerStepConfiguration(
                            ExecutionServerStepConfiguration::builder()
                                .servers(
                                    RecoveryPlanExecutionServer::builder()
                                        .server_arn(format!(
                                            "arn:aws:drs:us-east-1:123456789012:source-server/{}",
                                            id(1)
                                        ))
                                        .job_id("drsjob-plan")
                                        .build()
                                        .unwrap(),
                                )
                                .build()
                                .unwrap(),
                        ),
                    )
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    });
    let log = mock!(Drs::describe_job_log_items)
        .then_output(|| DescribeJobLogItemsOutput::builder().build());
    let drs = drs_client(&[&servers, &jobs, &instances, &list, &get, &steps, &log]);
    let f = facts(&drs, &c, &home(), &schedule(), NOW).await.unwrap();
    assert_eq!(f.executions.len(), 1);
    assert_eq!(f.executions[0].completed, Some(1_764_584_700));
    assert!(f.executions[0].is_own());
    assert_eq!(f.jobs[0].execution.as_deref(), Some(RUN));
    assert!(
        f.jobs[0].is_own(),
        "a job of an own execution is followed up"
    );
}

#[tokio::test]
async fn no_snapshot_is_read_for_a_server_whose_scheduled_drill_is_not_due() {
    use aws_sdk_drs::types::{LifeCycle, LifeCycleLastLaunch, LifeCycleLastLaunchInitiated};
    let drilled = aws_sdk_drs::types::SourceServer::builder()
        .source_server_id(id(1))
        .life_cycle(
            LifeCycle::builder()
                .last_launch(
                    LifeCycleLastLaunch::builder()
                        .initiated(
                            LifeCycleLastLaunchInitiated::builder()
                                .api_call_date_time("2025-12-01T09:00:00Z")
                                .r#type(LastLaunchType::Drill)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build();
    let servers = mock!(Drs::describe_source_servers).then_output(move || {
        DescribeSourceServersOutput::builder()
            .items(drilled.clone())
            .build()
    });
    let (_, jobs, instances) = target(Vec::new());
    let snapshots = mock!(Drs::describe_recovery_snapshots)
        .then_output(|| DescribeRecoverySnapshotsOutput::builder().build());
    let mut c = config(SnapshotChoice::Latest);
    c.drill.every = Some(7 * 86_400);
    let drs = drs_client(&[&servers, &jobs, &instances, &snapshots]);
    let f = facts(&drs, &c, &home(), &schedule(), NOW).await.unwrap();
    assert_eq!(f.servers[0].last_drill, Some(1_764_579_600));
    assert_eq!(snapshots.num_calls(), 0);
}

#[tokio::test]
async fn the_job_of_an_untagged_instance_older_than_the_window_is_read_by_id() {
    let (servers, recent, _) = target(Vec::new());
    let by_id = mock!(Drs::describe_jobs)
        .match_requests(|r| {
            r.filters().map(|f| f.job_ids()) == Some(["drsjob-old".to_owned()].as_slice())
        })
        .then_output(|| {
            DescribeJobsOutput::builder()
                .items(sdk_job("drsjob-old", true, false))
                .build()
        });
    let instances = mock!(Drs::describe_recovery_instances).then_output(|| {
        DescribeRecoveryInstancesOutput::builder()
            .items(
                aws_sdk_drs::types::RecoveryInstance::builder()
                    .recovery_instance_id("i-00000000000000001")
                    .job_id("drsjob-old")
                    .is_drill(true)
                    .build(),
            )
            .build()
    });
    let log = mock!(Drs::describe_job_log_items)
        .then_output(|| DescribeJobLogItemsOutput::builder().build());
    let drs = drs_client(&[&servers, &recent, &by_id, &instances, &log]);
    let f = facts(
        &drs,
        &config(SnapshotChoice::OnDemand),
        &home(),
        &schedule(),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(by_id.num_calls(), 1);
    assert!(f.jobs.iter().any(|j| j.id == "drsjob-old" && j.is_own()));
}
