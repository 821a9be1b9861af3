//! The SMS adapter: the calls apply makes and what it makes of SMS's answers.

use super::*;
use crate::model::{JobOptions, JobSettings};
use crate::testing::{
    every_option, jid, one_time_create, sid, sms_client, sms_error, HOUR, KMS_ALIAS, NOW,
};
use aws_sdk_sms::operation::create_replication_job::CreateReplicationJobOutput;
use aws_sdk_sms::operation::start_on_demand_replication_run::StartOnDemandReplicationRunOutput;
use aws_sdk_sms::operation::update_replication_job::UpdateReplicationJobOutput;
use aws_sdk_sms::Client as Sms;
use aws_smithy_mocks::{mock, Rule};
use dr_core::report::OutcomeResult;
use std::sync::{Arc, Mutex};

fn full_create(n: u32) -> CreateJob {
    CreateJob {
        server_id: sid(n),
        seed_time: NOW + 2 * HOUR,
        options: every_option(),
        notes: vec![],
    }
}

fn start_run(n: u32) -> Action {
    Action::StartRun {
        job_id: jid(n),
        description: "sms-replication-jobs: resume after failure".into(),
        reason: "resumed after the cool-down".into(),
    }
}

fn reschedule(n: u32) -> Action {
    Action::Reschedule {
        job_id: jid(n),
        next_start: NOW + 600,
        reason: "resumed after the cool-down".into(),
        changes: JobChanges::default(),
    }
}

/// The outcome of applying `action` against `rule` alone.
async fn outcome_of(action: Action, rule: &Rule) -> TargetOutcome {
    let outcomes = apply(&sms_client(&[rule]), vec![action], 1).await;
    let [outcome] = <[TargetOutcome; 1]>::try_from(outcomes).unwrap();
    outcome
}

/// A `CreateReplicationJob` rule answering SMS's error `code` with HTTP `status`.
fn create_refused(status: u16, code: &'static str) -> Rule {
    mock!(Sms::create_replication_job).then_http_response(move || sms_error(status, code))
}

fn created(n: u32) -> CreateReplicationJobOutput {
    CreateReplicationJobOutput::builder()
        .replication_job_id(jid(n))
        .build()
}

#[tokio::test]
async fn a_creation_passes_every_configured_option() {
    let full = mock!(Sms::create_replication_job)
        .match_requests(|r| {
            r.server_id() == Some(sid(1).as_str())
                && r.seed_replication_time() == Some(&DateTime::from_secs(NOW + 2 * HOUR))
                && r.frequency() == Some(6)
                && r.run_once() == Some(false)
                && r.license_type() == Some(&LicenseType::Byol)
                && r.role_name() == Some("sms")
                && r.description() == Some("wave 1")
                && r.number_of_recent_amis_to_keep() == Some(3)
                && r.encrypted() == Some(true)
                && r.kms_key_id() == Some(KMS_ALIAS)
        })
        .then_output(|| created(1));
    let outcome = outcome_of(Action::Create(full_create(1)), &full).await;
    assert_eq!(full.num_calls(), 1, "{outcome:?}");
    assert_eq!(outcome.result, OutcomeResult::Done);
    assert_eq!(
        outcome.detail.as_deref(),
        Some(
            "created sms-job-0a1b2c3d4e5f60001: seed 2026-11-20T12:00:00Z, every 6 h, license BYOL, \
             role sms, keep 3 AMIs, encrypted with arn:aws:kms:us-east-1:123456789012:alias/sms-amis"
        )
    );
}

#[tokio::test]
async fn a_creation_omits_the_options_left_unset() {
    let minimal = mock!(Sms::create_replication_job)
        .match_requests(|r| {
            r.server_id() == Some(sid(2).as_str())
                && r.seed_replication_time() == Some(&DateTime::from_secs(NOW))
                && r.run_once() == Some(true)
                && r.frequency().is_none()
                && r.license_type().is_none()
                && r.role_name().is_none()
                && r.description().is_none()
                && r.number_of_recent_amis_to_keep().is_none()
                && r.encrypted().is_none()
                && r.kms_key_id().is_none()
        })
        .then_output(|| created(2));
    let outcome = outcome_of(Action::Create(one_time_create(2)), &minimal).await;
    assert_eq!(minimal.num_calls(), 1, "{outcome:?}");
    assert_eq!(outcome.result, OutcomeResult::Done);
}

#[tokio::test]
async fn a_job_that_already_exists_is_unchanged() {
    let rule = create_refused(400, "ReplicationJobAlreadyExistsException");
    let outcome = outcome_of(Action::Create(one_time_create(1)), &rule).await;
    assert_eq!(outcome.result, OutcomeResult::Unchanged);
    assert!(outcome.detail.as_deref().is_some_and(
        |d| d.starts_with("a replication job already exists (ReplicationJobAlreadyExistsException")
    ));
}

#[tokio::test]
async fn a_server_sms_cannot_replicate_fails_once_saying_so() {
    let rule = create_refused(400, "ServerCannotBeReplicatedException");
    let outcome = outcome_of(Action::Create(one_time_create(2)), &rule).await;
    assert_eq!(
        (outcome.result, outcome.retryable),
        (OutcomeResult::Failed, false)
    );
    assert_eq!(
        outcome.detail.as_deref(),
        Some("cannot be replicated: ServerCannotBeReplicatedException from test")
    );
    assert_eq!(rule.num_calls(), 1, "client errors are not retried");
}

#[tokio::test]
async fn a_throttled_creation_is_retried_until_it_succeeds() {
    let rule = mock!(Sms::create_replication_job)
        .sequence()
        .http_response(|| sms_error(400, "ThrottlingException"))
        .times(2)
        .output(|| created(3))
        .build();
    let outcome = outcome_of(Action::Create(one_time_create(3)), &rule).await;
    assert_eq!(outcome.result, OutcomeResult::Done);
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test]
async fn a_server_error_is_retried_then_reported_as_retryable() {
    let rule = create_refused(500, "InternalError");
    let outcome = outcome_of(Action::Create(one_time_create(4)), &rule).await;
    assert_eq!(
        (outcome.result, outcome.retryable),
        (OutcomeResult::Failed, true)
    );
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test]
async fn no_connector_available_is_a_failure_not_retried() {
    let rule = create_refused(400, "NoConnectorsAvailableException");
    let outcome = outcome_of(Action::Create(one_time_create(5)), &rule).await;
    assert_eq!(
        (outcome.result, outcome.retryable),
        (OutcomeResult::Failed, false)
    );
}

#[tokio::test]
async fn one_failed_creation_does_not_stop_the_others_and_order_is_kept() {
    let refused = mock!(Sms::create_replication_job)
        .match_requests(|r| r.server_id() == Some(sid(1).as_str()))
        .then_http_response(|| sms_error(400, "ServerCannotBeReplicatedException"));
    let fine = mock!(Sms::create_replication_job)
        .match_requests(|r| r.server_id() != Some(sid(1).as_str()))
        .then_output(|| created(2));
    let sms = sms_client(&[&refused, &fine]);
    let actions = (1..=3)
        .map(|n| Action::Create(one_time_create(n)))
        .collect();
    let outcomes = apply(&sms, actions, 2).await;
    let summary: Vec<(String, OutcomeResult)> = outcomes
        .iter()
        .map(|o| (o.target.clone(), o.result))
        .collect();
    assert_eq!(
        summary,
        [
            (sid(1), OutcomeResult::Failed),
            (sid(2), OutcomeResult::Done),
            (sid(3), OutcomeResult::Done)
        ]
    );
}

#[tokio::test]
async fn an_on_demand_run_is_started_with_its_description() {
    let started = mock!(Sms::start_on_demand_replication_run)
        .match_requests(|r| {
            r.replication_job_id() == Some(jid(1).as_str())
                && r.description() == Some("sms-replication-jobs: resume after failure")
        })
        .then_output(|| {
            StartOnDemandReplicationRunOutput::builder()
                .replication_run_id("sms-run-0a1b2c3d4e5f60011")
                .build()
        });
    let outcome = outcome_of(start_run(1), &started).await;
    assert_eq!(
        (outcome.action.as_str(), outcome.result),
        (START_ON_DEMAND_RUN, OutcomeResult::Done)
    );
    assert_eq!(
        outcome.detail.as_deref(),
        Some("started sms-run-0a1b2c3d4e5f60011; resumed after the cool-down")
    );
}

#[tokio::test]
async fn the_on_demand_limit_is_unchanged_and_not_retried() {
    let limit = mock!(Sms::start_on_demand_replication_run)
        .then_http_response(|| sms_error(400, "ReplicationRunLimitExceededException"));
    let outcome = outcome_of(start_run(2), &limit).await;
    assert_eq!(outcome.result, OutcomeResult::Unchanged);
    assert!(outcome.detail.as_deref().is_some_and(
        |d| d.starts_with("on-demand run limit reached (ReplicationRunLimitExceededException")
    ));
    assert_eq!(limit.num_calls(), 1, "the limit is not retried");
}

#[tokio::test]
async fn an_on_demand_run_sms_does_not_permit_fails() {
    let refused = mock!(Sms::start_on_demand_replication_run)
        .then_http_response(|| sms_error(400, "OperationNotPermittedException"));
    let outcome = outcome_of(start_run(3), &refused).await;
    assert_eq!(outcome.result, OutcomeResult::Failed);
}

#[tokio::test]
async fn an_on_demand_run_is_requested_once_even_when_throttled() {
    // No idempotency token: a retried request could start a second run.
    let throttled = mock!(Sms::start_on_demand_replication_run)
        .then_http_response(|| sms_error(400, "ThrottlingException"));
    let outcome = outcome_of(start_run(1), &throttled).await;
    assert_eq!(throttled.num_calls(), 1, "the SDK did not retry it");
    assert_eq!(outcome.result, OutcomeResult::Failed);
    assert!(outcome.retryable, "{outcome:?}");
}

#[tokio::test]
async fn a_reschedule_sets_only_the_next_run_start_time() {
    let rescheduled = mock!(Sms::update_replication_job)
        .match_requests(|r| {
            r.replication_job_id() == Some(jid(4).as_str())
                && r.next_replication_run_start_time() == Some(&DateTime::from_secs(NOW + 600))
                && r.frequency().is_none()
                && r.license_type().is_none()
                && r.role_name().is_none()
                && r.encrypted().is_none()
        })
        .then_output(|| UpdateReplicationJobOutput::builder().build());
    let outcome = outcome_of(reschedule(4), &rescheduled).await;
    assert_eq!(
        (outcome.action.as_str(), outcome.result),
        (UPDATE_REPLICATION_JOB, OutcomeResult::Done)
    );
    assert_eq!(
        outcome.detail.as_deref(),
        Some("next run at 2026-11-20T10:10:00Z; resumed after the cool-down")
    );
}

#[tokio::test]
async fn rescheduling_a_job_that_is_gone_says_so() {
    let gone = mock!(Sms::update_replication_job)
        .then_http_response(|| sms_error(400, "ReplicationJobNotFoundException"));
    let outcome = outcome_of(reschedule(5), &gone).await;
    assert_eq!(outcome.result, OutcomeResult::Failed);
    assert!(outcome
        .detail
        .as_deref()
        .is_some_and(|d| d.starts_with("the job is gone: ReplicationJobNotFoundException")));
}

/// Job 6 every 12 hours with an AWS license, configured every 6 hours with BYOL.
fn frequency_and_license() -> JobChanges {
    let have = JobSettings {
        frequency: Some(12),
        license: Some("AWS".into()),
        role_name: Some("sms".into()),
        ..JobSettings::default()
    };
    let want = JobOptions {
        license: License::Byol,
        ..JobOptions::every(6)
    };
    JobChanges::between(&have, false, &want)
}

#[tokio::test]
async fn an_update_sends_only_the_settings_that_differ() {
    let update = mock!(Sms::update_replication_job)
        .match_requests(|r| {
            r.replication_job_id() == Some(jid(6).as_str())
                && r.frequency() == Some(6)
                && r.license_type() == Some(&LicenseType::Byol)
                && r.next_replication_run_start_time().is_none()
                && r.role_name().is_none()
                && r.description().is_none()
                && r.number_of_recent_amis_to_keep().is_none()
                && r.encrypted().is_none()
                && r.kms_key_id().is_none()
        })
        .then_output(|| UpdateReplicationJobOutput::builder().build());
    let action = Action::Update {
        job_id: jid(6),
        changes: frequency_and_license(),
    };
    let outcome = outcome_of(action, &update).await;
    assert_eq!(update.num_calls(), 1, "{outcome:?}");
    assert_eq!(
        (outcome.action.as_str(), outcome.result),
        (UPDATE_REPLICATION_JOB, OutcomeResult::Done)
    );
    assert_eq!(
        outcome.detail.as_deref(),
        Some("frequency 12h → 6h, licenseType AWS → BYOL")
    );
}

#[tokio::test]
async fn an_update_sends_the_encryption_and_key_it_changes() {
    let have = JobSettings::default();
    let changes = JobChanges::between(&have, false, &every_option());
    let update = mock!(Sms::update_replication_job)
        .match_requests(|r| {
            r.frequency() == Some(6)
                && r.license_type() == Some(&LicenseType::Byol)
                && r.role_name() == Some("sms")
                && r.description() == Some("wave 1")
                && r.number_of_recent_amis_to_keep() == Some(3)
                && r.encrypted() == Some(true)
                && r.kms_key_id() == Some(KMS_ALIAS)
        })
        .then_output(|| UpdateReplicationJobOutput::builder().build());
    let action = Action::Update {
        job_id: jid(6),
        changes,
    };
    let outcome = outcome_of(action, &update).await;
    assert_eq!(update.num_calls(), 1, "{outcome:?}");
}

#[tokio::test]
async fn a_reschedule_carries_the_settings_changed_with_it() {
    let rescheduled = mock!(Sms::update_replication_job)
        .match_requests(|r| {
            r.next_replication_run_start_time() == Some(&DateTime::from_secs(NOW + 600))
                && r.frequency() == Some(6)
                && r.license_type() == Some(&LicenseType::Byol)
                && r.role_name().is_none()
        })
        .then_output(|| UpdateReplicationJobOutput::builder().build());
    let action = Action::Reschedule {
        job_id: jid(4),
        next_start: NOW + 600,
        reason: "resumed after the cool-down".into(),
        changes: frequency_and_license(),
    };
    let outcome = outcome_of(action, &rescheduled).await;
    assert_eq!(rescheduled.num_calls(), 1, "{outcome:?}");
    assert_eq!(
        outcome.detail.as_deref(),
        Some(
            "next run at 2026-11-20T10:10:00Z, frequency 12h → 6h, licenseType AWS → BYOL; \
             resumed after the cool-down"
        )
    );
}

#[tokio::test]
async fn an_update_sms_does_not_permit_fails_naming_the_code() {
    let refused = mock!(Sms::update_replication_job)
        .then_http_response(|| sms_error(400, "OperationNotPermittedException"));
    let action = Action::Update {
        job_id: jid(6),
        changes: frequency_and_license(),
    };
    let outcome = outcome_of(action, &refused).await;
    assert_eq!(
        (outcome.result, outcome.retryable),
        (OutcomeResult::Failed, false)
    );
    assert_eq!(refused.num_calls(), 1);
}

#[tokio::test]
async fn settings_are_updated_before_a_run_starts_and_outcomes_keep_plan_order() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let (log_start, log_update) = (Arc::clone(&order), Arc::clone(&order));
    let started = mock!(Sms::start_on_demand_replication_run)
        .match_requests(move |_| log_start.lock().map(|mut o| o.push("start")).is_ok())
        .then_output(|| StartOnDemandReplicationRunOutput::builder().build());
    let updated = mock!(Sms::update_replication_job)
        .match_requests(move |_| log_update.lock().map(|mut o| o.push("update")).is_ok())
        .then_output(|| UpdateReplicationJobOutput::builder().build());
    let actions = vec![
        start_run(1),
        Action::Update {
            job_id: jid(1),
            changes: frequency_and_license(),
        },
    ];
    let outcomes = apply(&sms_client(&[&started, &updated]), actions, 2).await;
    let reported: Vec<&str> = outcomes.iter().map(|o| o.action.as_str()).collect();
    assert_eq!(reported, [START_ON_DEMAND_RUN, UPDATE_REPLICATION_JOB]);
    assert_eq!(*order.lock().expect("log"), ["update", "start"]);
}
