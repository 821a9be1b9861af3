//! DRS recovery plans and their executions through aws-sdk-drs.

use crate::common::{assert_error, Env};
use aws_sdk_drs::types::{
    JobStatus, ListRecoveryPlanExecutionStepsFilter, RecoveryPlanExecution,
    RecoveryPlanExecutionMode, RecoveryPlanExecutionSourceServer, RecoveryPlanExecutionStatus,
    RecoveryPlanExecutionStepStatus, RecoveryPlanExecutionStepSummary,
    RecoveryPlanServerImpactLevel, RecoveryPlanStatus, RecoverySnapshotsOrder,
};
use dr_emulator::fixture::{DrsServer, DrsState, RecoveryPlanSpec};
use dr_emulator::Fixture;
use std::collections::HashMap;

fn id(n: u32) -> String {
    format!("s-{n:017}")
}

fn plan_arn(plan: &str) -> String {
    format!("arn:aws:drs:us-east-1:123456789012:recovery-plan/{plan}")
}

fn plan(plan_id: &str, servers: &[String]) -> RecoveryPlanSpec {
    RecoveryPlanSpec {
        recovery_plan_id: plan_id.to_owned(),
        name: format!("{plan_id} plan"),
        description: None,
        source_server_ids: servers.to_vec(),
        status: None,
        tags: Default::default(),
    }
}

/// Servers 1 to 3 healthy, 4 STOPPED; plan `app` of 1 and 2, `shared` of 2 and 3, `empty` of none,
/// `solo` of 3.
fn fixture() -> Fixture {
    let mut fixture = Fixture::default();
    fixture.drs.source_servers = (1..=3)
        .map(|n| DrsServer::new(&id(n), DrsState::Continuous))
        .chain(std::iter::once(DrsServer::new(&id(4), DrsState::Stopped)))
        .collect();
    fixture.drs.recovery_plans = vec![
        plan("app", &[id(1), id(2)]),
        plan("shared", &[id(2), id(3)]),
        plan("empty", &[]),
        plan("solo", &[id(3)]),
        plan("stopped", &[id(4)]),
    ];
    fixture
}

async fn start(env: &Env, plan: &str, token: Option<&str>) -> RecoveryPlanExecution {
    env.drs()
        .start_recovery_plan_execution()
        .recovery_plan_arn(plan_arn(plan))
        .mode(RecoveryPlanExecutionMode::Drill)
        .set_client_token(token.map(str::to_owned))
        .send()
        .await
        .expect("start execution")
        .recovery_plan_execution()
        .cloned()
        .expect("execution")
}

async fn get(env: &Env, arn: &str) -> RecoveryPlanExecution {
    env.drs()
        .get_recovery_plan_execution()
        .recovery_plan_execution_arn(arn)
        .send()
        .await
        .expect("get execution")
        .recovery_plan_execution()
        .cloned()
        .expect("execution")
}

async fn steps(
    env: &Env,
    arn: &str,
    status: Option<RecoveryPlanExecutionStepStatus>,
) -> Vec<RecoveryPlanExecutionStepSummary> {
    env.drs()
        .list_recovery_plan_execution_steps()
        .recovery_plan_execution_arn(arn)
        .set_filter(status.map(|s| {
            ListRecoveryPlanExecutionStepsFilter::builder()
                .status(s)
                .build()
        }))
        .send()
        .await
        .expect("list execution steps")
        .recovery_plan_execution_steps()
        .to_vec()
}

/// The (server ARN, impact level, job id) of each server of a SERVER step.
fn step_servers(
    step: &RecoveryPlanExecutionStepSummary,
) -> Vec<(
    String,
    Option<RecoveryPlanServerImpactLevel>,
    Option<String>,
)> {
    step.configuration()
        .and_then(|c| c.as_execution_server_step_configuration().ok())
        .expect("a SERVER step")
        .servers()
        .iter()
        .map(|s| {
            (
                s.server_arn().to_owned(),
                s.impact_level().cloned(),
                s.job_id().map(str::to_owned),
            )
        })
        .collect()
}

fn server_arn(n: u32) -> String {
    format!("arn:aws:drs:us-east-1:123456789012:source-server/{}", id(n))
}

#[tokio::test]
async fn recovery_plans_are_listed_with_their_status() {
    let env = Env::new(fixture()).await;
    let plans = env
        .drs()
        .list_recovery_plans()
        .send()
        .await
        .expect("list plans")
        .recovery_plans()
        .to_vec();
    assert_eq!(plans.len(), 5);
    assert_eq!(plans[0].recovery_plan_arn(), plan_arn("app"));
    assert_eq!(plans[0].name(), "app plan");
    assert_eq!(plans[0].status(), &RecoveryPlanStatus::Active);
    assert_eq!(plans[2].status(), &RecoveryPlanStatus::Invalid);
}

#[tokio::test]
async fn a_drill_execution_launches_a_drill_job_of_the_plans_servers() {
    let env = Env::new(fixture()).await;
    let started = start(&env, "app", None).await;
    assert_eq!(started.status(), &RecoveryPlanExecutionStatus::Created);
    assert_eq!(started.mode(), &RecoveryPlanExecutionMode::Drill);
    assert_eq!(started.recovery_plan_arn(), plan_arn("app"));
    assert!(started
        .recovery_plan_execution_arn()
        .starts_with("arn:aws:drs:us-east-1:123456789012:recovery-plan-execution/"));
    let jobs = env.drs().describe_jobs().send().await.expect("jobs");
    assert_eq!(jobs.items().len(), 1);
    let mut servers: Vec<&str> = jobs.items()[0]
        .participating_servers()
        .iter()
        .filter_map(|p| p.source_server_id())
        .collect();
    servers.sort_unstable();
    assert_eq!(servers, [id(1), id(2)]);
    assert_eq!(
        jobs.items()[0].initiated_by(),
        Some(&aws_sdk_drs::types::InitiatedBy::StartDrill)
    );
}

#[tokio::test]
async fn an_execution_moves_with_its_job_to_completed() {
    let env = Env::new(fixture()).await;
    let arn = start(&env, "app", None)
        .await
        .recovery_plan_execution_arn()
        .to_owned();
    env.emulator.advance(1);
    let running = get(&env, &arn).await;
    assert_eq!(running.status(), &RecoveryPlanExecutionStatus::InProgress);
    assert!(running.completed_at().is_none());
    env.emulator.advance(1);
    let done = get(&env, &arn).await;
    assert_eq!(done.status(), &RecoveryPlanExecutionStatus::Completed);
    let job = env
        .drs()
        .describe_jobs()
        .send()
        .await
        .expect("jobs")
        .items()[0]
        .clone();
    assert_eq!(job.status(), Some(&JobStatus::Completed));
    assert_eq!(done.completed_at(), job.end_date_time());
    assert!(done.error_detail().is_none());
}

#[tokio::test]
async fn an_execution_with_a_failed_launch_fails_with_an_error_detail() {
    let env = Env::new(fixture()).await;
    env.emulator.fail_next_drs_launch(&id(2)).expect("known");
    let arn = start(&env, "app", None)
        .await
        .recovery_plan_execution_arn()
        .to_owned();
    env.emulator.advance(2);
    let done = get(&env, &arn).await;
    assert_eq!(done.status(), &RecoveryPlanExecutionStatus::Failed);
    assert!(done
        .error_detail()
        .is_some_and(|e| e.message().contains(&id(2))));
}

#[tokio::test]
async fn a_plan_of_a_server_that_is_not_replicating_fails() {
    let env = Env::new(fixture()).await;
    let arn = start(&env, "stopped", None)
        .await
        .recovery_plan_execution_arn()
        .to_owned();
    env.emulator.advance(2);
    assert_eq!(
        get(&env, &arn).await.status(),
        &RecoveryPlanExecutionStatus::Failed
    );
}

#[tokio::test]
async fn the_same_client_token_returns_the_same_execution_and_starts_nothing() {
    let env = Env::new(fixture()).await;
    let first = start(&env, "app", Some("drill-2026-12-01")).await;
    let again = start(&env, "app", Some("drill-2026-12-01")).await;
    assert_eq!(
        first.recovery_plan_execution_arn(),
        again.recovery_plan_execution_arn()
    );
    let jobs = env.drs().describe_jobs().send().await.expect("jobs");
    assert_eq!(jobs.items().len(), 1);
}

#[tokio::test]
async fn a_used_client_token_with_another_request_is_a_conflict() {
    let env = Env::new(fixture()).await;
    start(&env, "app", Some("token-1")).await;
    let err = env
        .drs()
        .start_recovery_plan_execution()
        .recovery_plan_arn(plan_arn("solo"))
        .mode(RecoveryPlanExecutionMode::Drill)
        .client_token("token-1")
        .send()
        .await
        .expect_err("other plan, same token");
    assert_error(&err, "ConflictException", 409);
}

#[tokio::test]
async fn a_second_execution_of_a_running_plan_is_a_conflict() {
    let env = Env::new(fixture()).await;
    start(&env, "app", None).await;
    let err = env
        .drs()
        .start_recovery_plan_execution()
        .recovery_plan_arn(plan_arn("app"))
        .mode(RecoveryPlanExecutionMode::Recovery)
        .send()
        .await
        .expect_err("already active");
    assert_error(&err, "ConflictException", 409);
    assert_eq!(
        err.as_service_error().and_then(|e| {
            use aws_sdk_drs::error::ProvideErrorMetadata;
            e.message().map(str::to_owned)
        }),
        Some("Another execution is already active for plan app".to_owned())
    );
}

#[tokio::test]
async fn a_plan_runs_again_once_its_execution_completed() {
    let env = Env::new(fixture()).await;
    start(&env, "app", None).await;
    env.emulator.advance(2);
    start(&env, "app", None).await;
    let executions = env
        .drs()
        .list_recovery_plan_executions()
        .recovery_plan_arn(plan_arn("app"))
        .send()
        .await
        .expect("list executions")
        .recovery_plan_executions()
        .to_vec();
    assert_eq!(executions.len(), 2);
    assert_eq!(
        executions[0].status(),
        &RecoveryPlanExecutionStatus::Created
    );
    assert_eq!(
        executions[1].status(),
        &RecoveryPlanExecutionStatus::Completed
    );
}

#[tokio::test]
async fn a_plan_sharing_a_server_with_a_running_execution_is_a_conflict() {
    let env = Env::new(fixture()).await;
    start(&env, "app", None).await;
    let err = env
        .drs()
        .start_recovery_plan_execution()
        .recovery_plan_arn(plan_arn("shared"))
        .mode(RecoveryPlanExecutionMode::Drill)
        .send()
        .await
        .expect_err("server 2 is held");
    assert_error(&err, "ConflictException", 409);
}

#[tokio::test]
async fn an_invalid_plan_is_a_conflict() {
    let env = Env::new(fixture()).await;
    let err = env
        .drs()
        .start_recovery_plan_execution()
        .recovery_plan_arn(plan_arn("empty"))
        .mode(RecoveryPlanExecutionMode::Drill)
        .send()
        .await
        .expect_err("INVALID plan");
    assert_error(&err, "ConflictException", 409);
}

#[tokio::test]
async fn an_unknown_plan_is_not_found() {
    let env = Env::new(fixture()).await;
    let err = env
        .drs()
        .start_recovery_plan_execution()
        .recovery_plan_arn(plan_arn("nope"))
        .mode(RecoveryPlanExecutionMode::Drill)
        .send()
        .await
        .expect_err("unknown plan");
    assert_error(&err, "ResourceNotFoundException", 404);
}

#[tokio::test]
async fn a_pinned_server_outside_the_plan_is_a_validation_error() {
    let env = Env::new(fixture()).await;
    let err = env
        .drs()
        .start_recovery_plan_execution()
        .recovery_plan_arn(plan_arn("app"))
        .mode(RecoveryPlanExecutionMode::Drill)
        .source_servers(
            RecoveryPlanExecutionSourceServer::builder()
                .source_server_id(id(3))
                .recovery_snapshot_id("pit-00000000000000000")
                .build()
                .expect("server"),
        )
        .send()
        .await
        .expect_err("server 3 is not in plan app");
    assert_error(&err, "ValidationException", 400);
}

#[tokio::test]
async fn a_pinned_snapshot_is_the_point_in_time_of_its_servers_instance() {
    let env = Env::new(fixture()).await;
    let oldest = env
        .drs()
        .describe_recovery_snapshots()
        .source_server_id(id(1))
        .order(RecoverySnapshotsOrder::Asc)
        .send()
        .await
        .expect("snapshots")
        .items()[0]
        .clone();
    env.drs()
        .start_recovery_plan_execution()
        .recovery_plan_arn(plan_arn("app"))
        .mode(RecoveryPlanExecutionMode::Drill)
        .source_servers(
            RecoveryPlanExecutionSourceServer::builder()
                .source_server_id(id(1))
                .recovery_snapshot_id(oldest.snapshot_id())
                .build()
                .expect("server"),
        )
        .send()
        .await
        .expect("start");
    env.emulator.advance(2);
    let instances = env
        .drs()
        .describe_recovery_instances()
        .send()
        .await
        .expect("instances")
        .items()
        .to_vec();
    let first = instances
        .iter()
        .find(|i| i.source_server_id() == Some(id(1).as_str()))
        .expect("server 1 launched");
    assert_eq!(
        first.point_in_time_snapshot_date_time(),
        Some(oldest.expected_timestamp())
    );
}

#[tokio::test]
async fn a_later_drill_does_not_remove_an_instance_a_plan_launched() {
    let env = Env::new(fixture()).await;
    start(&env, "solo", None).await;
    env.emulator.advance(2);
    env.drs()
        .start_recovery()
        .is_drill(true)
        .source_servers(
            aws_sdk_drs::types::StartRecoveryRequestSourceServer::builder()
                .source_server_id(id(3))
                .build()
                .expect("server"),
        )
        .send()
        .await
        .expect("drill");
    env.emulator.advance(2);
    let instances = env
        .drs()
        .describe_recovery_instances()
        .send()
        .await
        .expect("instances");
    assert_eq!(instances.items().len(), 2);
}

#[tokio::test]
async fn executions_are_filtered_by_status() {
    let env = Env::new(fixture()).await;
    start(&env, "app", None).await;
    env.emulator.advance(2);
    start(&env, "solo", None).await;
    let completed = env
        .drs()
        .list_recovery_plan_executions()
        .status(RecoveryPlanExecutionStatus::Completed)
        .send()
        .await
        .expect("list executions")
        .recovery_plan_executions()
        .to_vec();
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0].recovery_plan_arn(), plan_arn("app"));
}

#[tokio::test]
async fn an_unknown_execution_is_not_found() {
    let env = Env::new(fixture()).await;
    let err = env
        .drs()
        .get_recovery_plan_execution()
        .recovery_plan_execution_arn(
            "arn:aws:drs:us-east-1:123456789012:recovery-plan-execution/rpe-0",
        )
        .send()
        .await
        .expect_err("unknown execution");
    assert_error(&err, "ResourceNotFoundException", 404);
}

#[tokio::test]
async fn an_execution_launch_over_the_job_quota_is_a_quota_error() {
    let mut fixture = fixture();
    fixture.drs.recovery_quotas.servers_per_job = 1;
    let env = Env::new(fixture).await;
    let err = env
        .drs()
        .start_recovery_plan_execution()
        .recovery_plan_arn(plan_arn("app"))
        .mode(RecoveryPlanExecutionMode::Drill)
        .send()
        .await
        .expect_err("two servers, quota one");
    assert_error(&err, "ServiceQuotaExceededException", 402);
    let listed = env
        .drs()
        .list_recovery_plan_executions()
        .send()
        .await
        .expect("list executions");
    assert!(listed.recovery_plan_executions().is_empty());
}

#[tokio::test]
async fn the_state_snapshot_shows_recovery_plan_executions() {
    let env = Env::new(fixture()).await;
    let started = start(&env, "app", None).await;
    let state = env.emulator.state();
    let executions = &state["drs"]["recoveryPlanExecutions"];
    assert_eq!(
        executions[0]["recoveryPlanExecutionArn"],
        started.recovery_plan_execution_arn()
    );
    assert_eq!(executions[0]["status"], "CREATED");
}

#[tokio::test]
async fn the_demo_plan_drills_its_healthy_prod_servers_to_completion() {
    let env = Env::new(Fixture::demo()).await;
    let plans = env
        .drs()
        .list_recovery_plans()
        .send()
        .await
        .expect("list plans")
        .recovery_plans()
        .to_vec();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].status(), &RecoveryPlanStatus::Active);
    let arn = start(&env, "rp-prod-core", None)
        .await
        .recovery_plan_execution_arn()
        .to_owned();
    env.emulator.advance(2);
    assert_eq!(
        get(&env, &arn).await.status(),
        &RecoveryPlanExecutionStatus::Completed
    );
}

#[tokio::test]
async fn each_server_of_an_execution_step_names_the_job_that_launches_it() {
    let env = Env::new(fixture()).await;
    let arn = start(&env, "app", None)
        .await
        .recovery_plan_execution_arn()
        .to_owned();
    let jobs = env.drs().describe_jobs().send().await.expect("jobs");
    let job_id = jobs.items()[0].job_id().to_owned();
    let listed = steps(&env, &arn, None).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].step_index(), 1);
    assert_eq!(
        step_servers(&listed[0]),
        [1, 2].map(|n| (
            server_arn(n),
            Some(RecoveryPlanServerImpactLevel::Critical),
            Some(job_id.clone())
        ))
    );
}

#[tokio::test]
async fn an_execution_step_is_executing_until_its_job_completes() {
    let env = Env::new(fixture()).await;
    let arn = start(&env, "app", None)
        .await
        .recovery_plan_execution_arn()
        .to_owned();
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(steps(&env, &arn, None).await[0].status().clone());
        env.emulator.advance(1);
    }
    assert_eq!(
        seen,
        [
            RecoveryPlanExecutionStepStatus::Executing,
            RecoveryPlanExecutionStepStatus::Executing,
            RecoveryPlanExecutionStepStatus::Completed,
        ]
    );
    assert!(steps(&env, &arn, None).await[0].error_detail().is_none());
}

#[tokio::test]
async fn an_execution_step_with_a_failed_launch_fails_with_an_error_detail() {
    let env = Env::new(fixture()).await;
    env.emulator.fail_next_drs_launch(&id(2)).expect("known");
    let arn = start(&env, "app", None)
        .await
        .recovery_plan_execution_arn()
        .to_owned();
    env.emulator.advance(2);
    let step = steps(&env, &arn, None).await.remove(0);
    assert_eq!(step.status(), &RecoveryPlanExecutionStepStatus::Failed);
    assert!(step
        .error_detail()
        .is_some_and(|e| e.message().contains(&id(2)) && !e.message().contains(&id(1))));
}

#[tokio::test]
async fn execution_steps_are_filtered_by_status() {
    let env = Env::new(fixture()).await;
    let arn = start(&env, "app", None)
        .await
        .recovery_plan_execution_arn()
        .to_owned();
    assert!(
        steps(&env, &arn, Some(RecoveryPlanExecutionStepStatus::Completed))
            .await
            .is_empty()
    );
    assert_eq!(
        steps(&env, &arn, Some(RecoveryPlanExecutionStepStatus::Executing))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn the_steps_of_an_unknown_execution_are_not_found() {
    let env = Env::new(fixture()).await;
    let err = env
        .drs()
        .list_recovery_plan_execution_steps()
        .recovery_plan_execution_arn(
            "arn:aws:drs:us-east-1:123456789012:recovery-plan-execution/rpe-0",
        )
        .send()
        .await
        .expect_err("unknown execution");
    assert_error(&err, "ResourceNotFoundException", 404);
}

#[tokio::test]
async fn the_steps_of_a_malformed_execution_arn_are_a_validation_error() {
    let env = Env::new(fixture()).await;
    let err = env
        .drs()
        .list_recovery_plan_execution_steps()
        .recovery_plan_execution_arn("arn:aws:drs:us-east-1:123456789012:<script>")
        .send()
        .await
        .expect_err("not a StrictDRSARN");
    assert_error(&err, "ValidationException", 400);
}

async fn start_tagged(env: &Env, plan: &str, tags: &[(&str, &str)]) -> RecoveryPlanExecution {
    let mut request = env
        .drs()
        .start_recovery_plan_execution()
        .recovery_plan_arn(plan_arn(plan))
        .mode(RecoveryPlanExecutionMode::Drill);
    for (k, v) in tags {
        request = request.tags(*k, *v);
    }
    request
        .send()
        .await
        .expect("start execution")
        .recovery_plan_execution()
        .cloned()
        .expect("execution")
}

fn tag_map(tags: &[(&str, &str)]) -> HashMap<String, String> {
    tags.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

const DRILL_TAGS: [(&str, &str); 2] = [
    ("dr-automation:drill", "2026-12-01"),
    ("dr-automation:trigger", "schedule"),
];

#[tokio::test]
async fn an_executions_start_tags_are_returned_by_get_recovery_plan_execution() {
    let env = Env::new(fixture()).await;
    let arn = start_tagged(&env, "app", &DRILL_TAGS)
        .await
        .recovery_plan_execution_arn()
        .to_owned();
    assert_eq!(get(&env, &arn).await.tags(), Some(&tag_map(&DRILL_TAGS)));
}

#[tokio::test]
async fn an_executions_start_tags_are_listed_by_its_arn() {
    let env = Env::new(fixture()).await;
    let arn = start_tagged(&env, "app", &DRILL_TAGS)
        .await
        .recovery_plan_execution_arn()
        .to_owned();
    let listed = env
        .drs()
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("list tags")
        .tags()
        .cloned();
    assert_eq!(listed, Some(tag_map(&DRILL_TAGS)));
}

#[tokio::test]
async fn more_than_fifty_start_tags_are_a_validation_error() {
    let env = Env::new(fixture()).await;
    let keys: Vec<String> = (0..51).map(|n| format!("k{n}")).collect();
    let tags: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "v")).collect();
    let mut request = env
        .drs()
        .start_recovery_plan_execution()
        .recovery_plan_arn(plan_arn("app"))
        .mode(RecoveryPlanExecutionMode::Drill);
    for (k, v) in &tags {
        request = request.tags(*k, *v);
    }
    let err = request.send().await.expect_err("51 tags");
    assert_error(&err, "ValidationException", 400);
    let jobs = env.drs().describe_jobs().send().await.expect("jobs");
    assert!(jobs.items().is_empty());
}

#[tokio::test]
async fn executions_are_filtered_by_plan() {
    let env = Env::new(fixture()).await;
    start(&env, "app", None).await;
    let solo = start(&env, "solo", None).await;
    let listed = env
        .drs()
        .list_recovery_plan_executions()
        .recovery_plan_arn(plan_arn("solo"))
        .send()
        .await
        .expect("list executions")
        .recovery_plan_executions()
        .to_vec();
    let arns: Vec<&str> = listed
        .iter()
        .map(|e| e.recovery_plan_execution_arn())
        .collect();
    assert_eq!(arns, [solo.recovery_plan_execution_arn()]);
}

#[tokio::test]
async fn executions_are_filtered_by_plan_and_status_together() {
    let env = Env::new(fixture()).await;
    start(&env, "app", None).await;
    start(&env, "solo", None).await;
    env.emulator.advance(2);
    let again = start(&env, "app", None).await;
    let listed = env
        .drs()
        .list_recovery_plan_executions()
        .recovery_plan_arn(plan_arn("app"))
        .status(RecoveryPlanExecutionStatus::Created)
        .send()
        .await
        .expect("list executions")
        .recovery_plan_executions()
        .to_vec();
    let arns: Vec<&str> = listed
        .iter()
        .map(|e| e.recovery_plan_execution_arn())
        .collect();
    assert_eq!(arns, [again.recovery_plan_execution_arn()]);
}

#[tokio::test]
async fn an_unknown_execution_status_filter_is_a_validation_error() {
    let env = Env::new(fixture()).await;
    let err = env
        .drs()
        .list_recovery_plan_executions()
        .status(RecoveryPlanExecutionStatus::from("PAUSED"))
        .send()
        .await
        .expect_err("not a RecoveryPlanExecutionStatus");
    assert_error(&err, "ValidationException", 400);
}

#[tokio::test]
async fn an_unknown_step_status_filter_is_a_validation_error() {
    let env = Env::new(fixture()).await;
    let arn = start(&env, "app", None)
        .await
        .recovery_plan_execution_arn()
        .to_owned();
    let err = env
        .drs()
        .list_recovery_plan_execution_steps()
        .recovery_plan_execution_arn(arn)
        .filter(
            ListRecoveryPlanExecutionStepsFilter::builder()
                .status(RecoveryPlanExecutionStepStatus::from("PAUSED"))
                .build(),
        )
        .send()
        .await
        .expect_err("not a RecoveryPlanExecutionStepStatus");
    assert_error(&err, "ValidationException", 400);
}
