//! Whole invocations: the function through the core's `handle`, against mocked SMS and SNS.

use super::*;
use crate::config::{FailurePolicy, JobSpec, ResumeWith, SeedTime, ServerRef};
use crate::model::JobOptions;
use crate::testing::{
    jid, jobs_page, runs_page, sdk_job, sdk_run, sdk_server, servers_page, sid, sms_client,
    sms_error, HOUR, NOW,
};
use aws_sdk_sms::operation::create_replication_job::CreateReplicationJobOutput;
use aws_sdk_sms::operation::start_on_demand_replication_run::StartOnDemandReplicationRunOutput;
use aws_sdk_sms::operation::update_replication_job::UpdateReplicationJobOutput;
use aws_sdk_sms::types::{ReplicationJobState, ReplicationRunState, ReplicationRunType};
use aws_sdk_sms::Client as Sms;
use aws_smithy_mocks::{mock, Rule};
use dr_core::function::handle;
use dr_core::invocation::HandlerError;
use dr_core::report::{OutcomeResult, RunReport, RunStatus};
use dr_testkit::publish_rule;
use lambda_runtime::Diagnostic;
use serde_json::{json, Value};

fn spec(n: u32) -> JobSpec {
    JobSpec {
        server: ServerRef::Id(sid(n)),
        seed: SeedTime::Now,
        options: JobOptions::every(12),
        on_failure: FailurePolicy {
            cool_down_secs: HOUR,
            resume_with: ResumeWith::OnDemandRun,
            max_consecutive_failures: 5,
        },
    }
}

fn function(sms: Sms, jobs: Vec<JobSpec>) -> ReplicationJobs {
    ReplicationJobs {
        sms,
        config: SmsConfig {
            settings: Settings {
                max_concurrency: 2,
                ..dr_testkit::settings()
            },
            jobs,
        },
    }
}

/// Handles `event` at [`NOW`], publishing through `publish`.
async fn run(
    function: &ReplicationJobs,
    publish: &Rule,
    event: &Value,
) -> Result<RunReport, HandlerError> {
    let publisher = dr_testkit::publisher(dr_testkit::sns_client(&[publish]));
    handle(function, &publisher, event, NOW).await
}

/// A catalog of servers 1 to 4 and jobs: 1 ACTIVE, 2 PAUSED_ON_FAILURE (failed 3 h ago), 3 FAILED.
fn fleet() -> (Rule, Rule) {
    let servers = mock!(Sms::get_servers)
        .then_output(|| servers_page((1..=4).map(sdk_server).collect(), None));
    let jobs = mock!(Sms::get_replication_jobs).then_output(|| {
        jobs_page(
            vec![
                sdk_job(1, ReplicationJobState::Active),
                sdk_job(2, ReplicationJobState::PausedOnFailure),
                sdk_job(3, ReplicationJobState::Failed),
            ],
            None,
        )
    });
    (servers, jobs)
}

fn paused_runs() -> Rule {
    mock!(Sms::get_replication_runs)
        .match_requests(|r| r.replication_job_id() == Some(jid(2).as_str()))
        .then_output(|| {
            runs_page(
                vec![
                    sdk_run(
                        "sms-run-2b",
                        ReplicationRunState::Failed,
                        ReplicationRunType::Automatic,
                        4,
                    ),
                    sdk_run(
                        "sms-run-2a",
                        ReplicationRunState::Completed,
                        ReplicationRunType::Automatic,
                        16,
                    ),
                ],
                None,
            )
        })
}

#[tokio::test]
async fn handler_reconciles_on_schedule_and_publishes_the_report() {
    let (servers, jobs) = fleet();
    let runs2 = paused_runs();
    let runs3 = mock!(Sms::get_replication_runs)
        .match_requests(|r| r.replication_job_id() == Some(jid(3).as_str()))
        .then_output(|| {
            runs_page(
                vec![sdk_run(
                    "sms-run-3a",
                    ReplicationRunState::Failed,
                    ReplicationRunType::Automatic,
                    2,
                )],
                None,
            )
        });
    let create = mock!(Sms::create_replication_job)
        .match_requests(|r| r.server_id() == Some(sid(4).as_str()))
        .then_output(|| {
            CreateReplicationJobOutput::builder()
                .replication_job_id(jid(4))
                .build()
        });
    let start = mock!(Sms::start_on_demand_replication_run)
        .match_requests(|r| r.replication_job_id() == Some(jid(2).as_str()))
        .then_output(|| {
            StartOnDemandReplicationRunOutput::builder()
                .replication_run_id("sms-run-2c")
                .build()
        });
    let publish = publish_rule();
    let function = function(
        sms_client(&[&servers, &jobs, &runs2, &runs3, &create, &start]),
        (1..=4).map(spec).collect(),
    );
    let report = run(&function, &publish, &json!({"schedule": "hourly"}))
        .await
        .expect("report");
    let summary: Vec<(String, String, OutcomeResult)> = report
        .outcomes
        .iter()
        .map(|o| (o.target.clone(), o.action.clone(), o.result))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                sid(1),
                "CreateReplicationJob".into(),
                OutcomeResult::Unchanged
            ),
            (jid(3), "Notify".into(), OutcomeResult::Failed),
            (
                jid(2),
                "StartOnDemandReplicationRun".into(),
                OutcomeResult::Done
            ),
            (sid(4), "CreateReplicationJob".into(), OutcomeResult::Done),
        ]
    );
    assert!(report.outcomes[1].detail.as_deref().is_some_and(|d| d.contains(
        "latest failed run sms-run-3a at 2026-11-20T09:00:00Z in stage UPLOADING: Failed to upload the disk"
    )));
    assert_eq!(report.status, RunStatus::PartiallyFailed);
    assert_eq!(report.trigger, "schedule hourly");
    assert_eq!((create.num_calls(), start.num_calls()), (1, 1));
    assert_eq!((runs2.num_calls(), runs3.num_calls()), (1, 1));
    assert_eq!(publish.num_calls(), 1);
}

#[tokio::test]
async fn handler_fails_the_invocation_when_runs_cannot_be_read() {
    let (servers, jobs) = fleet();
    let runs = mock!(Sms::get_replication_runs)
        .then_http_response(|| sms_error(503, "ServiceUnavailable"));
    let create = mock!(Sms::create_replication_job).then_output(|| {
        CreateReplicationJobOutput::builder()
            .replication_job_id(jid(4))
            .build()
    });
    let start = mock!(Sms::start_on_demand_replication_run)
        .then_output(|| StartOnDemandReplicationRunOutput::builder().build());
    let publish = publish_rule();
    let function = function(
        sms_client(&[&servers, &jobs, &runs, &create, &start]),
        (1..=4).map(spec).collect(),
    );
    let err = run(&function, &publish, &json!({}))
        .await
        .expect_err("a retryable read failure fails the invocation");
    assert_eq!(Diagnostic::from(err).error_type, "RetryableFailures");
    assert_eq!(
        publish.num_calls(),
        1,
        "the report is published before failing"
    );
    assert_eq!(start.num_calls(), 0, "nothing is resumed without its runs");
    assert_eq!(create.num_calls(), 1, "the other servers are still handled");
}

#[tokio::test]
async fn handler_direct_dry_run_plans_without_calling() {
    let (servers, jobs) = fleet();
    let runs1 = mock!(Sms::get_replication_runs)
        .match_requests(|r| r.replication_job_id() == Some(jid(1).as_str()))
        .then_output(|| {
            runs_page(
                vec![sdk_run(
                    "sms-run-1a",
                    ReplicationRunState::Completed,
                    ReplicationRunType::OnDemand,
                    5,
                )],
                None,
            )
        });
    let runs2 = paused_runs();
    let runs3 = mock!(Sms::get_replication_runs)
        .match_requests(|r| r.replication_job_id() == Some(jid(3).as_str()))
        .then_output(|| runs_page(vec![], None));
    let start = mock!(Sms::start_on_demand_replication_run)
        .then_output(|| StartOnDemandReplicationRunOutput::builder().build());
    let publish = publish_rule();
    let function = function(
        sms_client(&[&servers, &jobs, &runs1, &runs2, &runs3, &start]),
        (1..=4).map(spec).collect(),
    );
    let report = run(
        &function,
        &publish,
        &json!({"targets": [jid(1), jid(3)], "dryRun": true}),
    )
    .await
    .expect("report");
    assert_eq!(report.status, RunStatus::DryRun);
    assert_eq!(report.counts.planned, 1);
    assert_eq!(report.outcomes[0].target, jid(1));
    assert_eq!(report.skips[0].target, jid(3));
    assert!(report.skips[0]
        .reason
        .starts_with("FAILED: on-demand runs need a job"));
    assert_eq!(start.num_calls(), 0);
}

#[tokio::test]
async fn handler_rejects_bad_events_without_calling_aws() {
    let (servers, jobs) = fleet();
    let publish = publish_rule();
    let function = function(sms_client(&[&servers, &jobs]), vec![spec(1)]);
    for bad in [
        json!("x"),
        json!({"targets": 5}),
        json!({"source": "aws.ec2", "detail-type": "x", "detail": {}}),
    ] {
        let err = run(&function, &publish, &bad).await.expect_err("rejected");
        assert_eq!(Diagnostic::from(err).error_type, "BadEvent");
    }
    assert_eq!(servers.num_calls() + jobs.num_calls(), 0);
    assert_eq!(publish.num_calls(), 0);
}

#[tokio::test]
async fn handler_reports_an_observe_failure() {
    let servers = mock!(Sms::get_servers)
        .then_http_response(|| sms_error(400, "UnauthorizedOperationException"));
    let jobs = mock!(Sms::get_replication_jobs).then_output(|| jobs_page(vec![], None));
    let create = mock!(Sms::create_replication_job)
        .then_output(|| CreateReplicationJobOutput::builder().build());
    let publish = publish_rule();
    let function = function(sms_client(&[&servers, &jobs, &create]), vec![spec(1)]);
    let report = run(&function, &publish, &json!({}))
        .await
        .expect("fatal observe failures are reported");
    assert_eq!(report.status, RunStatus::Failed);
    assert!(report.error.as_ref().is_some_and(|e| e
        .message
        .starts_with("GetServers failed: UnauthorizedOperationException")));
    assert_eq!(create.num_calls(), 0);
    assert_eq!(publish.num_calls(), 1);
}

#[tokio::test]
async fn a_dry_run_schedule_plans_every_change_and_calls_none() {
    let (servers, jobs) = fleet();
    let runs2 = paused_runs();
    let runs3 = mock!(Sms::get_replication_runs)
        .match_requests(|r| r.replication_job_id() == Some(jid(3).as_str()))
        .then_output(|| runs_page(vec![], None));
    let create = mock!(Sms::create_replication_job)
        .then_output(|| CreateReplicationJobOutput::builder().build());
    let start = mock!(Sms::start_on_demand_replication_run)
        .then_output(|| StartOnDemandReplicationRunOutput::builder().build());
    let update = mock!(Sms::update_replication_job)
        .then_output(|| UpdateReplicationJobOutput::builder().build());
    let publish = publish_rule();
    let function = function(
        sms_client(&[&servers, &jobs, &runs2, &runs3, &create, &start, &update]),
        (1..=4).map(spec).collect(),
    );
    let report = run(&function, &publish, &json!({"dryRun": true}))
        .await
        .expect("report");
    assert_eq!(report.status, RunStatus::DryRun);
    let planned: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|o| o.result == OutcomeResult::Planned)
        .map(|o| o.action.as_str())
        .collect();
    assert_eq!(
        planned,
        ["StartOnDemandReplicationRun", "CreateReplicationJob"]
    );
    assert_eq!(
        create.num_calls() + start.num_calls() + update.num_calls(),
        0
    );
}
