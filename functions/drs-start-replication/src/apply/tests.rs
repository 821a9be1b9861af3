//! The DRS adapter: starting replication, and what a refused start met.

use super::*;
use crate::testing::{describe_one, drs_client, drs_error, id, page, page_of, sid, started};
use aws_sdk_drs::types::DataReplicationState;
use aws_sdk_drs::Client as Drs;
use aws_smithy_mocks::{mock, Rule};
use dr_core::report::OutcomeResult;

fn start(n: u32) -> Start {
    Start::new(sid(n))
}

/// A StartReplication rule for server `n` alone, failing with HTTP `status` and `code`.
fn refused(n: u32, status: u16, code: &'static str) -> Rule {
    mock!(Drs::start_replication)
        .match_requests(move |r| r.source_server_id() == Some(id(n).as_str()))
        .then_http_response(move || drs_error(status, code))
}

/// The one outcome of starting server 1 against `rule`, and how often DRS was called.
async fn start_one(rule: Rule) -> (TargetOutcome, usize) {
    let outcomes = apply(&drs_client(&[&rule]), vec![start(1)], 1).await;
    (outcomes[0].clone(), rule.num_calls())
}

#[tokio::test]
async fn a_started_server_is_done_with_the_state_drs_reports() {
    let (outcome, calls) =
        start_one(mock!(Drs::start_replication).then_output(|| started(1))).await;
    assert_eq!(outcome.result, OutcomeResult::Done);
    assert_eq!(outcome.state.as_deref(), Some("INITIATING"));
    assert_eq!(calls, 1);
}

#[tokio::test]
async fn a_throttled_start_is_retried_by_the_sdk_until_it_succeeds() {
    let throttled_then_ok = mock!(Drs::start_replication)
        .sequence()
        .http_response(|| drs_error(429, "ThrottlingException"))
        .times(2)
        .output(|| started(1))
        .build();
    let (outcome, calls) = start_one(throttled_then_ok).await;
    assert_eq!(outcome.result, OutcomeResult::Done);
    assert_eq!(calls, 3);
}

#[tokio::test]
async fn a_server_drs_does_not_know_fails_at_once_and_not_retryable() {
    let (outcome, calls) = start_one(refused(1, 404, "ResourceNotFoundException")).await;
    assert_eq!(
        (outcome.result, outcome.retryable),
        (OutcomeResult::Failed, false)
    );
    assert_eq!(calls, 1, "client errors are not retried");
    assert!(outcome
        .detail
        .as_deref()
        .is_some_and(|d| d.starts_with("ResourceNotFoundException")));
}

#[tokio::test]
async fn a_persistent_server_error_fails_retryable_after_the_sdk_retries() {
    let (outcome, calls) = start_one(refused(1, 500, "InternalServerException")).await;
    assert_eq!(
        (outcome.result, outcome.retryable),
        (OutcomeResult::Failed, true)
    );
    assert_eq!(calls, 3);
}

#[tokio::test]
async fn an_uninitialised_account_fails_not_retryable_with_drs_code() {
    let (outcome, _) = start_one(refused(1, 400, "UninitializedAccountException")).await;
    assert_eq!(
        (outcome.result, outcome.retryable),
        (OutcomeResult::Failed, false)
    );
    assert!(outcome
        .detail
        .as_deref()
        .is_some_and(|d| d.starts_with("UninitializedAccountException")));
}

#[tokio::test]
async fn one_server_failing_stops_none_of_the_others_and_outcomes_keep_plan_order() {
    let ok = |n: u32| {
        mock!(Drs::start_replication)
            .match_requests(move |r| r.source_server_id() == Some(id(n).as_str()))
            .then_output(move || started(n))
    };
    let (first, broken, last) = (ok(1), refused(2, 400, "ValidationException"), ok(3));
    let drs = drs_client(&[&first, &broken, &last]);
    let outcomes = apply(&drs, (1..=3).map(start).collect(), 3).await;
    let results: Vec<(String, OutcomeResult)> = outcomes
        .iter()
        .map(|o| (o.target.clone(), o.result))
        .collect();
    assert_eq!(
        results,
        [
            (id(1), OutcomeResult::Done),
            (id(2), OutcomeResult::Failed),
            (id(3), OutcomeResult::Done),
        ]
    );
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

/// A start of server 1 made for the extended server 7 of account 123456789012.
fn start_for_extended() -> Start {
    Start {
        for_extended: vec![crate::model::ExtendedCopy {
            source_server_id: sid(7),
            account: Some("123456789012".into()),
        }],
        ..start(1)
    }
}

#[tokio::test]
async fn a_start_made_for_an_extended_server_names_it_in_its_outcome() {
    let rule = mock!(Drs::start_replication).then_output(|| started(1));
    let outcomes = apply(&drs_client(&[&rule]), vec![start_for_extended()], 1).await;
    assert_eq!(outcomes[0].result, OutcomeResult::Done);
    assert_eq!(
        outcomes[0].detail.as_deref(),
        Some(format!("for extended server {} of account 123456789012", id(7)).as_str())
    );
}

#[tokio::test]
async fn a_failed_start_for_an_extended_server_names_it_before_the_error() {
    let rule = refused(1, 404, "ResourceNotFoundException");
    let outcomes = apply(&drs_client(&[&rule]), vec![start_for_extended()], 1).await;
    assert_eq!(outcomes[0].result, OutcomeResult::Failed);
    let detail = outcomes[0].detail.as_deref().unwrap_or_default();
    assert!(
        detail.starts_with(&format!(
            "for extended server {} of account 123456789012: ResourceNotFoundException",
            id(7)
        )),
        "{detail}"
    );
}
