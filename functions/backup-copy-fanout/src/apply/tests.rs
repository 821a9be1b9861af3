//! Apply against a mocked AWS Backup client.

use super::*;
use crate::testing::*;
use aws_sdk_backup::Client as Backup;
use aws_smithy_mocks::{mock, Rule};
use dr_core::backup::Destination;
use dr_core::report::OutcomeResult;

fn copy(n: u32, dest: &Destination, attempt: u32) -> Copy {
    Copy {
        recovery_point_arn: rp(n),
        source_vault_name: SOURCE_VAULT.into(),
        destination: dest.clone(),
        attempt,
        queued_behind: None,
    }
}

fn west() -> Destination {
    config().vaults.destinations[0].clone()
}

/// Applies the first attempt of a copy of recovery point 1 to the west vault against `rule`.
async fn start_one(rule: &Rule) -> TargetOutcome {
    let mut outcomes = apply(
        &backup_client(&[rule]),
        &config(),
        &config().copy_role_arn,
        vec![copy(1, &west(), 1)],
        NOW,
    )
    .await;
    assert_eq!(outcomes.len(), 1);
    outcomes.remove(0)
}

fn detail(outcome: &TargetOutcome) -> &str {
    outcome.detail.as_deref().unwrap_or_default()
}

#[tokio::test]
async fn a_copy_starts_with_its_source_destination_role_token_and_lifecycle() {
    let token = copy(1, &west(), 1).idempotency_token();
    let ok = mock!(Backup::start_copy_job)
        .match_requests(move |r| {
            r.recovery_point_arn() == Some(rp(1).as_str())
                && r.source_backup_vault_name() == Some(SOURCE_VAULT)
                && r.destination_backup_vault_arn() == Some(WEST)
                && r.iam_role_arn() == Some(ROLE)
                && r.idempotency_token() == Some(token.as_str())
                && r.lifecycle().is_some_and(|l| {
                    l.move_to_cold_storage_after_days() == Some(30)
                        && l.delete_after_days() == Some(120)
                        && l.opt_in_to_archive_for_supported_resources() == Some(true)
                        && l.delete_after_event().is_none()
                })
        })
        .then_output(|| started("job-1", NOW + 2));
    let outcome = start_one(&ok).await;
    assert_eq!(
        (outcome.result, outcome.retryable),
        (OutcomeResult::Done, false)
    );
    assert_eq!(detail(&outcome), "copy job job-1 (attempt 1)");
}

#[tokio::test]
async fn a_destination_without_a_lifecycle_gets_none_and_a_retry_its_attempt_token() {
    let isolated = config().vaults.destinations[1].clone();
    let no_lifecycle = mock!(Backup::start_copy_job)
        .match_requests(|r| {
            r.destination_backup_vault_arn() == Some(ISOLATED)
                && r.lifecycle().is_none()
                && r.idempotency_token().is_some_and(|t| t.ends_with("-2"))
        })
        .then_output(|| started("job-7", NOW + 4));
    let backup = backup_client(&[&no_lifecycle]);
    let outcomes = apply(
        &backup,
        &config(),
        &config().copy_role_arn,
        vec![copy(7, &isolated, 2)],
        NOW,
    )
    .await;
    assert_eq!(detail(&outcomes[0]), "copy job job-7 (attempt 2)");
    assert_eq!(no_lifecycle.num_calls(), 1);
}

#[tokio::test]
async fn a_job_created_before_the_run_is_an_idempotent_replay_reported_unchanged() {
    let replay = mock!(Backup::start_copy_job).then_output(|| started("job-2-earlier", NOW - 3600));
    let outcome = start_one(&replay).await;
    assert_eq!(outcome.result, OutcomeResult::Unchanged);
    assert!(
        detail(&outcome).starts_with(
            "copy job job-2-earlier (attempt 1) was already started by an earlier delivery"
        ),
        "{}",
        detail(&outcome)
    );
}

#[tokio::test]
async fn throttling_is_retried_by_the_sdk_until_the_copy_starts() {
    let throttled_then_ok = mock!(Backup::start_copy_job)
        .sequence()
        .http_response(|| backup_error(429, "ThrottlingException"))
        .times(2)
        .output(|| started("job-3", NOW + 3))
        .build();
    let outcome = start_one(&throttled_then_ok).await;
    assert_eq!(detail(&outcome), "copy job job-3 (attempt 1)");
    assert_eq!(throttled_then_ok.num_calls(), 3);
}

#[tokio::test]
async fn a_full_quota_defers_the_copy_with_nothing_started() {
    let limited = mock!(Backup::start_copy_job)
        .then_http_response(|| backup_error(400, "LimitExceededException"));
    let outcome = start_one(&limited).await;
    assert_eq!(
        (outcome.result, outcome.retryable),
        (OutcomeResult::Unchanged, false)
    );
    assert!(
        detail(&outcome).starts_with("deferred, nothing started (LimitExceededException"),
        "{}",
        detail(&outcome)
    );
    assert_eq!(
        limited.num_calls(),
        3,
        "the SDK retries LimitExceededException as throttling before it is deferred"
    );
}

#[tokio::test]
async fn a_client_error_fails_the_copy_without_a_retry() {
    let invalid = mock!(Backup::start_copy_job)
        .then_http_response(|| backup_error(400, "InvalidParameterValueException"));
    let outcome = start_one(&invalid).await;
    assert_eq!(
        (outcome.result, outcome.retryable),
        (OutcomeResult::Failed, false)
    );
    assert!(
        detail(&outcome).starts_with("InvalidParameterValueException"),
        "{}",
        detail(&outcome)
    );
    assert_eq!(invalid.num_calls(), 1, "client errors are not retried");
}

#[tokio::test]
async fn a_persistent_server_error_fails_the_copy_as_retryable() {
    let unavailable = mock!(Backup::start_copy_job)
        .then_http_response(|| backup_error(503, "ServiceUnavailableException"));
    let outcome = start_one(&unavailable).await;
    assert_eq!(
        (outcome.result, outcome.retryable),
        (OutcomeResult::Failed, true)
    );
    assert!(
        detail(&outcome).starts_with("ServiceUnavailableException"),
        "{}",
        detail(&outcome)
    );
    assert_eq!(unavailable.num_calls(), 3);
}

#[tokio::test]
async fn one_failure_never_stops_the_other_copies_and_outcomes_keep_their_order() {
    let ok = mock!(Backup::start_copy_job)
        .match_requests(|r| r.recovery_point_arn() == Some(rp(1).as_str()))
        .then_output(|| started("job-1", NOW));
    let invalid = mock!(Backup::start_copy_job)
        .then_http_response(|| backup_error(400, "InvalidParameterValueException"));
    let copies: Vec<Copy> = [2, 1].map(|n| copy(n, &west(), 1)).to_vec();
    let targets: Vec<String> = copies.iter().map(Copy::target).collect();
    let outcomes = apply(
        &backup_client(&[&ok, &invalid]),
        &config(),
        &config().copy_role_arn,
        copies,
        NOW,
    )
    .await;
    let got: Vec<(&str, OutcomeResult)> = outcomes
        .iter()
        .map(|o| (o.target.as_str(), o.result))
        .collect();
    assert_eq!(
        got,
        [
            (targets[0].as_str(), OutcomeResult::Failed),
            (targets[1].as_str(), OutcomeResult::Done)
        ]
    );
}

#[tokio::test]
async fn the_pacer_spaces_starts_at_the_configured_rate() {
    let pacer = &Pacer::new(50.0);
    let began = Instant::now();
    run_bounded((0..5).collect(), 5, |_: usize| pacer.wait()).await;
    // Five starts at 50 per second: the fifth waits four intervals of 20 ms.
    assert!(
        began.elapsed() >= Duration::from_millis(80),
        "{:?}",
        began.elapsed()
    );
}
