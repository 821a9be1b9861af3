//! The MGN adapter: the calls apply makes, with exactly the members the plan asks for.

use super::*;
use crate::model::{TAG_RETRIED_AT, TAG_STALLED_SINCE};
use crate::testing::{arn, id, mgn_client, mgn_error, page, sdk_server, sid, NOW};
use aws_sdk_mgn::operation::change_server_life_cycle_state::ChangeServerLifeCycleStateOutput;
use aws_sdk_mgn::operation::retry_data_replication::RetryDataReplicationOutput;
use aws_sdk_mgn::operation::start_test::StartTestOutput;
use aws_sdk_mgn::operation::tag_resource::TagResourceOutput;
use aws_sdk_mgn::operation::terminate_target_instances::TerminateTargetInstancesOutput;
use aws_sdk_mgn::operation::update_replication_configuration::UpdateReplicationConfigurationOutput;
use aws_sdk_mgn::types::Job;
use aws_sdk_mgn::types::{DataReplicationState, LifeCycleState};
use aws_sdk_mgn::Client as Mgn;
use aws_smithy_mocks::{mock, Rule};
use dr_core::report::OutcomeResult;

fn job(id: &str) -> Job {
    Job::builder().job_id(id).build().expect("a job id")
}

async fn run(rules: &[&Rule], actions: Vec<Action>) -> Vec<TargetOutcome> {
    apply(&mgn_client(rules), actions, 4, NOW).await
}

fn retry(n: u32) -> Action {
    Action::Retry {
        server: sid(n),
        states: "READY_FOR_TEST/CONTINUOUS".into(),
        arn: arn(n),
        record: StallRecord {
            retries: 2,
            since: Some(NOW - 7200),
            retried_at: Some(NOW),
        },
        reason: "retry 2 of 3".into(),
    }
}

#[tokio::test]
async fn a_retry_writes_the_record_before_it_retries() {
    let tag = mock!(Mgn::tag_resource)
        .match_requests(|r| {
            let tags = r.tags().cloned().unwrap_or_default();
            r.resource_arn() == Some(arn(1).as_str())
                && tags.get(crate::model::TAG_STALLS).map(String::as_str) == Some("2")
                && tags.get(TAG_STALLED_SINCE).map(String::as_str) == Some("2025-12-01T09:00:00Z")
                && tags.get(TAG_RETRIED_AT).map(String::as_str) == Some("2025-12-01T11:00:00Z")
        })
        .then_output(|| TagResourceOutput::builder().build());
    let retry_call = mock!(Mgn::retry_data_replication)
        .match_requests(|r| r.source_server_id() == Some(id(1).as_str()))
        .then_output(|| RetryDataReplicationOutput::builder().build());
    let outcomes = run(&[&tag, &retry_call], vec![retry(1)]).await;
    assert_eq!((tag.num_calls(), retry_call.num_calls()), (1, 1));
    assert_eq!(outcomes[0].result, OutcomeResult::Done);
    assert_eq!(outcomes[0].action, RETRY_DATA_REPLICATION);
}

#[tokio::test]
async fn a_refused_record_write_makes_no_retry() {
    let tag = mock!(Mgn::tag_resource).then_http_response(|| mgn_error(400, "ValidationException"));
    let retry_call = mock!(Mgn::retry_data_replication)
        .then_output(|| RetryDataReplicationOutput::builder().build());
    let outcomes = run(&[&tag, &retry_call], vec![retry(1)]).await;
    assert_eq!(retry_call.num_calls(), 0);
    assert_eq!(
        (outcomes[0].action.as_str(), outcomes[0].result),
        (TAG_RESOURCE, OutcomeResult::Failed)
    );
}

#[tokio::test]
async fn a_settings_change_sends_only_the_changed_members() {
    let update = mock!(Mgn::update_replication_configuration)
        .match_requests(|r| {
            r.source_server_id() == Some(id(1).as_str())
                && r.ebs_encryption() == Some(&ReplicationConfigurationEbsEncryption::Custom)
                && r.ebs_encryption_key_arn() == Some("arn:aws:kms:us-east-1:123456789012:key/k")
                && r.bandwidth_throttling().is_none()
                && r.create_public_ip().is_none()
                && r.replication_servers_security_groups_ids().is_empty()
        })
        .then_output(|| UpdateReplicationConfigurationOutput::builder().build());
    let action = Action::Configure {
        server: sid(1),
        states: "READY_FOR_TEST/CONTINUOUS".into(),
        changes: vec![
            SettingChange {
                setting: Setting::EbsEncryption,
                from: Some(SettingValue::Text("DEFAULT".into())),
                to: SettingValue::Text("CUSTOM".into()),
            },
            SettingChange {
                setting: Setting::EbsEncryptionKeyArn,
                from: None,
                to: SettingValue::Text("arn:aws:kms:us-east-1:123456789012:key/k".into()),
            },
        ],
    };
    let outcomes = run(&[&update], vec![action]).await;
    assert_eq!(update.num_calls(), 1);
    assert_eq!(outcomes[0].result, OutcomeResult::Done);
    assert_eq!(
        outcomes[0].detail.as_deref(),
        Some(
            "ebsEncryption DEFAULT → CUSTOM; ebsEncryptionKeyArn (unset) → \
             arn:aws:kms:us-east-1:123456789012:key/k"
        )
    );
}

#[tokio::test]
async fn test_launches_of_one_batch_go_in_one_tagged_job() {
    let start = mock!(Mgn::start_test)
        .match_requests(|r| {
            let tags = r.tags().cloned().unwrap_or_default();
            r.source_server_ids() == [id(1), id(2)].as_slice()
                && tags.get(TAG_FUNCTION).map(String::as_str) == Some(crate::FUNCTION)
                && tags.contains_key(TAG_LAUNCHED_AT)
        })
        .then_output(|| StartTestOutput::builder().job(job("mgnjob-7")).build());
    let outcomes = run(
        &[&start],
        vec![
            Action::StartTest {
                server: sid(1),
                states: "READY_FOR_TEST/CONTINUOUS".into(),
                batch: 0,
            },
            Action::StartTest {
                server: sid(2),
                states: "READY_FOR_TEST/CONTINUOUS".into(),
                batch: 0,
            },
        ],
    )
    .await;
    assert_eq!(start.num_calls(), 1);
    assert!(outcomes
        .iter()
        .all(|o| o.detail.as_deref() == Some("test launch in job mgnjob-7")));
}

fn cleanup(n: u32, then: Option<AfterTest>) -> Action {
    Action::CleanUpTest {
        cleanup: TestCleanup {
            server: sid(n),
            states: "READY_FOR_TEST/CONTINUOUS".into(),
            then,
            instance_id: format!("i-{n}"),
        },
        batch: 0,
    }
}

#[tokio::test]
async fn a_cleanup_moves_a_testing_server_on_before_terminating() {
    let change = mock!(Mgn::change_server_life_cycle_state)
        .match_requests(|r| {
            r.source_server_id() == Some(id(1).as_str())
                && r.life_cycle().map(|l| l.state().as_str()) == Some("READY_FOR_CUTOVER")
        })
        .then_output(|| ChangeServerLifeCycleStateOutput::builder().build());
    let terminate = mock!(Mgn::terminate_target_instances)
        .match_requests(|r| r.source_server_ids() == [id(1), id(2)].as_slice())
        .then_output(|| {
            TerminateTargetInstancesOutput::builder()
                .job(job("mgnjob-8"))
                .build()
        });
    let outcomes = run(
        &[&change, &terminate],
        vec![
            cleanup(1, Some(AfterTest::ReadyForCutover)),
            cleanup(2, None),
        ],
    )
    .await;
    assert_eq!((change.num_calls(), terminate.num_calls()), (1, 1));
    assert_eq!(
        outcomes[0].detail.as_deref(),
        Some("marked READY_FOR_CUTOVER; test instance i-1 terminated in job mgnjob-8")
    );
}

#[tokio::test]
async fn a_server_that_cannot_leave_testing_keeps_its_instance() {
    let change = mock!(Mgn::change_server_life_cycle_state)
        .then_http_response(|| mgn_error(409, "ConflictException"));
    let terminate = mock!(Mgn::terminate_target_instances)
        .then_output(|| TerminateTargetInstancesOutput::builder().build());
    let outcomes = run(
        &[&change, &terminate],
        vec![cleanup(1, Some(AfterTest::ReadyForTest))],
    )
    .await;
    assert_eq!(terminate.num_calls(), 0);
    assert_eq!(
        (outcomes[0].action.as_str(), outcomes[0].result),
        (CHANGE_LIFECYCLE, OutcomeResult::Failed)
    );
}

/// The outcome of a start that MGN refuses with a conflict, when a read then finds the server
/// in `state`.
async fn conflicting_start(state: DataReplicationState) -> TargetOutcome {
    let start =
        mock!(Mgn::start_replication).then_http_response(|| mgn_error(409, "ConflictException"));
    let read = mock!(Mgn::describe_source_servers)
        .match_requests(|r| r.filters().map(|f| f.source_server_ids()) == Some([id(1)].as_slice()))
        .then_output(move || {
            page(
                vec![sdk_server(1, LifeCycleState::NotReady, state.clone())],
                None,
            )
        });
    let action = Action::Start {
        server: sid(1),
        states: "NOT_READY/STOPPED".into(),
        reason: "STOPPED: started".into(),
    };
    run(&[&start, &read], vec![action]).await.remove(0)
}

#[tokio::test]
async fn a_conflicting_start_of_a_server_still_stopped_fails_with_mgn_message() {
    let outcome = conflicting_start(DataReplicationState::Stopped).await;
    assert_eq!(outcome.result, OutcomeResult::Failed);
    assert!(outcome
        .detail
        .as_deref()
        .is_some_and(|d| d.starts_with("ConflictException")));
    assert_eq!(outcome.state.as_deref(), Some("NOT_READY/STOPPED"));
}

#[tokio::test]
async fn a_conflicting_start_of_a_server_replicating_by_now_is_unchanged() {
    let outcome = conflicting_start(DataReplicationState::Initiating).await;
    assert_eq!(outcome.result, OutcomeResult::Unchanged);
    assert_eq!(outcome.state.as_deref(), Some("NOT_READY/INITIATING"));
}

#[tokio::test]
async fn an_outcome_without_states_in_the_answer_gives_the_states_the_run_read() {
    let update = mock!(Mgn::update_replication_configuration)
        .then_output(|| UpdateReplicationConfigurationOutput::builder().build());
    let action = Action::Configure {
        server: sid(1),
        states: "READY_FOR_TEST/CONTINUOUS".into(),
        changes: vec![SettingChange {
            setting: Setting::CreatePublicIp,
            from: Some(SettingValue::Flag(true)),
            to: SettingValue::Flag(false),
        }],
    };
    let outcome = run(&[&update], vec![action]).await.remove(0);
    assert_eq!(outcome.state.as_deref(), Some("READY_FOR_TEST/CONTINUOUS"));
}

#[tokio::test]
async fn clearing_the_record_removes_exactly_its_three_tags() {
    let untag = mock!(Mgn::untag_resource)
        .match_requests(|r| r.tag_keys() == STALL_TAGS.map(str::to_owned).as_slice())
        .then_output(|| {
            aws_sdk_mgn::operation::untag_resource::UntagResourceOutput::builder().build()
        });
    let outcomes = run(
        &[&untag],
        vec![Action::ClearStalls {
            server: sid(1),
            states: "READY_FOR_TEST/CONTINUOUS".into(),
            arn: arn(1),
            reason: "flows".into(),
        }],
    )
    .await;
    assert_eq!(untag.num_calls(), 1);
    assert_eq!(outcomes[0].result, OutcomeResult::Done);
}

#[tokio::test]
async fn a_test_launch_refused_because_it_already_runs_is_unchanged() {
    let start = mock!(Mgn::start_test).then_http_response(|| mgn_error(409, "ConflictException"));
    let read = mock!(Mgn::describe_source_servers).then_output(|| {
        page(
            vec![sdk_server(
                1,
                LifeCycleState::Testing,
                DataReplicationState::Continuous,
            )],
            None,
        )
    });
    let action = Action::StartTest {
        server: sid(1),
        states: "READY_FOR_TEST/CONTINUOUS".into(),
        batch: 0,
    };
    let outcome = run(&[&start, &read], vec![action]).await.remove(0);
    assert_eq!(outcome.result, OutcomeResult::Unchanged);
    assert_eq!(outcome.state.as_deref(), Some("TESTING/CONTINUOUS"));
}
