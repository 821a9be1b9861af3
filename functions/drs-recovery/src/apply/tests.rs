use super::*;
use crate::model::{TAG_JOB, TAG_LAUNCHED_AT};
use crate::testing::{drs_client, drs_error, id, sid};
use aws_sdk_drs::operation::start_recovery::StartRecoveryOutput;
use aws_sdk_drs::operation::tag_resource::TagResourceOutput;
use aws_sdk_drs::operation::terminate_recovery_instances::TerminateRecoveryInstancesOutput;
use aws_sdk_drs::types::{Job, JobStatus};
use aws_sdk_drs::Client as Drs;
use aws_smithy_mocks::mock;
use dr_core::report::OutcomeResult;

fn launch_of(n: u32, batch: usize, mode: LaunchMode) -> Call {
    Call::Launch {
        mode,
        batch,
        server: LaunchServer {
            source_server_id: sid(n),
            snapshot_id: (n == 1).then(|| "pit-11111111111111111".to_owned()),
            why: "scheduled drill".to_owned(),
        },
    }
}

fn job_out(name: &str) -> Job {
    Job::builder()
        .job_id(name)
        .status(JobStatus::Pending)
        .build()
        .expect("a job id")
}

#[tokio::test]
async fn each_batch_is_one_tagged_start_recovery_and_each_server_an_outcome() {
    let start = mock!(Drs::start_recovery)
        .match_requests(|r| {
            r.is_drill() == Some(true)
                && r.tags()
                    .and_then(|t| t.get(TAG_FUNCTION))
                    .map(String::as_str)
                    == Some("drs-recovery")
                && r.tags().and_then(|t| t.get(TAG_MODE)).map(String::as_str) == Some("drill")
        })
        .then_compute_output(|r| {
            let first = r.source_servers()[0].source_server_id().to_owned();
            StartRecoveryOutput::builder()
                .job(job_out(&format!("drsjob-for-{first}")))
                .build()
        });
    let drs = drs_client(&[&start]);
    let outcomes = apply(
        &drs,
        vec![
            launch_of(1, 0, LaunchMode::Drill),
            launch_of(2, 0, LaunchMode::Drill),
            launch_of(3, 1, LaunchMode::Drill),
        ],
        2,
    )
    .await;
    assert_eq!(start.num_calls(), 2);
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes.iter().all(|o| o.result == OutcomeResult::Done));
    assert_eq!(outcomes[0].state.as_deref(), Some("PENDING"));
    assert!(outcomes[1]
        .detail
        .as_deref()
        .unwrap_or_default()
        .starts_with(&format!("drill job drsjob-for-{}", id(1))));
}

#[tokio::test]
async fn a_launch_names_the_snapshot_of_each_server_that_has_one() {
    let start = mock!(Drs::start_recovery)
        .match_requests(|r| {
            let servers = r.source_servers();
            servers[0].recovery_snapshot_id() == Some("pit-11111111111111111")
                && servers[1].recovery_snapshot_id().is_none()
        })
        .then_output(|| {
            StartRecoveryOutput::builder()
                .job(job_out("drsjob-1"))
                .build()
        });
    let drs = drs_client(&[&start]);
    apply(
        &drs,
        vec![
            launch_of(1, 0, LaunchMode::Drill),
            launch_of(2, 0, LaunchMode::Drill),
        ],
        1,
    )
    .await;
    assert_eq!(start.num_calls(), 1);
}

#[tokio::test]
async fn a_refused_launch_fails_every_server_of_its_job() {
    let start = mock!(Drs::start_recovery)
        .then_http_response(|| drs_error(402, "ServiceQuotaExceededException"));
    let drs = drs_client(&[&start]);
    let outcomes = apply(
        &drs,
        vec![
            launch_of(1, 0, LaunchMode::Recovery),
            launch_of(2, 0, LaunchMode::Recovery),
        ],
        1,
    )
    .await;
    assert_eq!(outcomes.len(), 2);
    for o in &outcomes {
        assert_eq!(o.result, OutcomeResult::Failed);
        assert!(o
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("ServiceQuotaExceededException"));
    }
}

#[tokio::test]
async fn expired_drill_instances_are_terminated_in_one_call_per_batch() {
    let terminate = mock!(Drs::terminate_recovery_instances)
        .match_requests(|r| r.recovery_instance_ids().len() == 2)
        .then_output(|| {
            TerminateRecoveryInstancesOutput::builder()
                .job(job_out("drsjob-t"))
                .build()
        });
    let drs = drs_client(&[&terminate]);
    let calls = ["i-1", "i-2"]
        .iter()
        .map(|i| Call::Terminate {
            batch: 0,
            id: (*i).to_owned(),
            why: "drill instance 9h old".to_owned(),
        })
        .collect();
    let outcomes = apply(&drs, calls, 1).await;
    assert_eq!(terminate.num_calls(), 1);
    assert_eq!(
        outcomes[1].detail.as_deref(),
        Some("job drsjob-t: drill instance 9h old")
    );
}

#[tokio::test]
async fn instances_and_reported_jobs_are_tagged_with_what_the_plan_gives() {
    let tag = mock!(Drs::tag_resource)
        .match_requests(|r| {
            r.resource_arn()
                .is_some_and(|a| a.contains(":recovery-instance/"))
                && r.tags()
                    .is_some_and(|t| t.contains_key(TAG_JOB) && t.contains_key(TAG_LAUNCHED_AT))
                || r.resource_arn().is_some_and(|a| a.contains(":job/"))
                    && r.tags().is_some_and(|t| t.contains_key(TAG_REPORTED))
        })
        .then_output(|| TagResourceOutput::builder().build());
    let drs = drs_client(&[&tag]);
    let outcomes = apply(
        &drs,
        vec![
            Call::TagInstance {
                id: "i-1".into(),
                arn: "arn:aws:drs:us-east-1:123456789012:recovery-instance/i-1".into(),
                tags: vec![
                    (TAG_JOB.into(), "drsjob-1".into()),
                    (TAG_LAUNCHED_AT.into(), "2025-12-01T10:00:00Z".into()),
                ],
            },
            Call::MarkReported {
                id: "drsjob-1".into(),
                arn: "arn:aws:drs:us-east-1:123456789012:job/drsjob-1".into(),
                at: "2025-12-01T11:00:00Z".into(),
            },
        ],
        2,
    )
    .await;
    assert_eq!(tag.num_calls(), 2);
    assert!(outcomes.iter().all(|o| o.result == OutcomeResult::Done));
}
