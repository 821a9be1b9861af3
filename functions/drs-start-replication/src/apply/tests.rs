//! The DRS adapter: starting replication, and what a refused start met.

use super::*;
use crate::testing::{describe_one, drs_client, drs_error, id, page, page_of, sid, started};
use aws_sdk_drs::types::DataReplicationState;
use aws_sdk_drs::Client as Drs;
use aws_smithy_mocks::{mock, Rule};
use dr_core::report::OutcomeResult;

fn start(n: u32) -> Start {
    Start {
        source_server_id: sid(n),
    }
}

#[tokio::test]
async fn every_server_has_its_own_outcome_and_no_failure_stops_the_others() {
    let ok = mock!(Drs::start_replication)
        .match_requests(|r| r.source_server_id() == Some(id(1).as_str()))
        .then_output(|| started(1));
    let conflict = mock!(Drs::start_replication)
        .match_requests(|r| r.source_server_id() == Some(id(2).as_str()))
        .then_http_response(|| drs_error(409, "ConflictException"));
    let throttled_then_ok = mock!(Drs::start_replication)
        .match_requests(|r| r.source_server_id() == Some(id(3).as_str()))
        .sequence()
        .http_response(|| drs_error(429, "ThrottlingException"))
        .times(2)
        .output(|| started(3))
        .build();
    let not_found = mock!(Drs::start_replication)
        .match_requests(|r| r.source_server_id() == Some(id(4).as_str()))
        .then_http_response(|| drs_error(404, "ResourceNotFoundException"));
    let broken = mock!(Drs::start_replication)
        .match_requests(|r| r.source_server_id() == Some(id(5).as_str()))
        .then_http_response(|| drs_error(500, "InternalServerException"));
    let uninitialised = mock!(Drs::start_replication)
        .match_requests(|r| r.source_server_id() == Some(id(6).as_str()))
        .then_http_response(|| drs_error(400, "UninitializedAccountException"));
    let now_replicating = describe_one(2, || page_of(2, DataReplicationState::Continuous));
    let drs = drs_client(&[
        &ok,
        &conflict,
        &now_replicating,
        &throttled_then_ok,
        &not_found,
        &broken,
        &uninitialised,
    ]);

    let ids: Vec<Start> = (1..=6).map(start).collect();
    let outcomes = apply(&drs, ids, 3).await;
    let summary: Vec<(String, OutcomeResult, Option<String>, bool)> = outcomes
        .iter()
        .map(|o| (o.target.clone(), o.result, o.state.clone(), o.retryable))
        .collect();
    assert_eq!(
        summary,
        vec![
            (id(1), OutcomeResult::Done, Some("INITIATING".into()), false),
            (
                id(2),
                OutcomeResult::Unchanged,
                Some("CONTINUOUS".into()),
                false
            ),
            (id(3), OutcomeResult::Done, Some("INITIATING".into()), false),
            (id(4), OutcomeResult::Failed, None, false),
            (id(5), OutcomeResult::Failed, None, true),
            (id(6), OutcomeResult::Failed, None, false),
        ]
    );
    assert_eq!(throttled_then_ok.num_calls(), 3);
    assert_eq!(broken.num_calls(), 3);
    assert_eq!(not_found.num_calls(), 1, "client errors are not retried");
    assert!(outcomes[3]
        .detail
        .as_deref()
        .is_some_and(|d| d.starts_with("ResourceNotFoundException")));
    assert!(outcomes[5]
        .detail
        .as_deref()
        .is_some_and(|d| d.starts_with("UninitializedAccountException")));
}

/// The outcome of starting server 1 when DRS answers ConflictException and then `describe`.
async fn conflict_then(describe: Rule) -> (TargetOutcome, usize) {
    let conflict =
        mock!(Drs::start_replication).then_http_response(|| drs_error(409, "ConflictException"));
    let drs = drs_client(&[&conflict, &describe]);
    let outcomes = apply(&drs, vec![start(1)], 1).await;
    assert_eq!(conflict.num_calls(), 1, "a conflict is not retried");
    (outcomes[0].clone(), describe.num_calls())
}

#[tokio::test]
async fn a_conflict_on_a_server_that_replicates_by_now_is_unchanged() {
    let (outcome, reads) = conflict_then(describe_one(1, || {
        page_of(1, DataReplicationState::InitialSync)
    }))
    .await;
    assert_eq!(reads, 1);
    assert_eq!(outcome.result, OutcomeResult::Unchanged);
    assert_eq!(outcome.state.as_deref(), Some("INITIAL_SYNC"));
    assert!(outcome
        .detail
        .as_deref()
        .is_some_and(|d| d.starts_with("already replicating (ConflictException")));
}

#[tokio::test]
async fn a_conflict_on_a_server_still_stopped_is_a_failure_with_drs_message() {
    let (outcome, _) = conflict_then(describe_one(1, || {
        page_of(1, DataReplicationState::Stopped)
    }))
    .await;
    assert_eq!(outcome.result, OutcomeResult::Failed);
    assert!(!outcome.retryable);
    assert_eq!(outcome.state.as_deref(), Some("STOPPED"));
    let detail = outcome.detail.unwrap_or_default();
    assert!(
        detail.starts_with(
            "ConflictException: ConflictException from test; the server is STOPPED now"
        ),
        "{detail}"
    );
}

#[tokio::test]
async fn a_conflict_on_a_server_disconnected_since_is_a_failure() {
    let (outcome, _) = conflict_then(describe_one(1, || {
        page_of(1, DataReplicationState::Disconnected)
    }))
    .await;
    assert_eq!(outcome.result, OutcomeResult::Failed);
    assert_eq!(outcome.state.as_deref(), Some("DISCONNECTED"));
}

#[tokio::test]
async fn a_conflict_on_a_server_drs_no_longer_lists_is_a_failure() {
    let (outcome, _) = conflict_then(describe_one(1, || page(vec![], None))).await;
    assert_eq!(outcome.result, OutcomeResult::Failed);
    assert!(outcome
        .detail
        .as_deref()
        .is_some_and(|d| d.ends_with("DescribeSourceServers no longer lists the server")));
}

#[tokio::test]
async fn a_conflict_whose_state_cannot_be_read_is_a_failure_retryable_as_the_read() {
    let throttled = mock!(Drs::describe_source_servers)
        .then_http_response(|| drs_error(429, "ThrottlingException"));
    let (outcome, reads) = conflict_then(throttled).await;
    assert_eq!(
        reads, 3,
        "the read is retried by the SDK like any other call"
    );
    assert_eq!(outcome.result, OutcomeResult::Failed);
    assert!(outcome.retryable);
    assert!(outcome.detail.as_deref().is_some_and(
        |d| d.contains("its state could not be read to tell why (ThrottlingException")
    ));
}
