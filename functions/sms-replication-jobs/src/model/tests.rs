//! The model's states, planned actions and notices as reports show them.

use super::*;
use crate::testing::{every_option, jid, one_time_create, sid, HOUR, KMS_ALIAS, NOW};
use dr_core::function::Action as _;

fn notice(kind: NoticeKind, state: JobState) -> TargetOutcome {
    let detail = "server s-1: detail".to_owned();
    Notice {
        target: jid(1),
        kind,
        state,
        detail,
    }
    .outcome()
}

/// A creation for server 1, two hours from now, with `options`.
fn create_with(options: JobOptions) -> CreateJob {
    CreateJob {
        server_id: sid(1),
        seed_time: NOW + 2 * HOUR,
        options,
        notes: vec![],
    }
}

#[test]
fn a_creation_summary_names_every_option() {
    assert_eq!(
        create_with(every_option()).summary(),
        format!(
            "seed 2026-11-20T12:00:00Z, every 6 h, license BYOL, role sms, keep 3 AMIs, \
             encrypted with {KMS_ALIAS}"
        )
    );
}

#[test]
fn an_encrypted_job_without_a_key_names_the_default_ebs_key() {
    let options = JobOptions {
        kms_key_id: None,
        ..every_option()
    };
    assert!(create_with(options)
        .summary()
        .ends_with("encrypted with the default EBS key"));
}

#[test]
fn a_planned_creation_reports_the_request_in_one_line() {
    let planned = Action::Create(one_time_create(1)).planned();
    assert_eq!(planned.result, OutcomeResult::Planned);
    assert_eq!(
        (planned.target, planned.action),
        (sid(1), CREATE_REPLICATION_JOB.into())
    );
    assert_eq!(
        planned.detail.as_deref(),
        Some("seed 2026-11-20T10:00:00Z, one-time, license auto")
    );
}

#[test]
fn a_planned_run_reports_why() {
    let planned = Action::StartRun {
        job_id: jid(2),
        description: "d".into(),
        reason: "requested".into(),
    }
    .planned();
    assert_eq!(planned.result, OutcomeResult::Planned);
    assert_eq!(
        (planned.target, planned.action),
        (jid(2), START_ON_DEMAND_RUN.into())
    );
    assert_eq!(planned.detail.as_deref(), Some("requested"));
}

#[test]
fn a_planned_reschedule_reports_the_next_run_and_why() {
    let planned = Action::Reschedule {
        job_id: jid(3),
        next_start: NOW,
        reason: "r".into(),
        changes: JobChanges::default(),
    }
    .planned();
    assert_eq!(planned.result, OutcomeResult::Planned);
    assert_eq!(planned.action, UPDATE_REPLICATION_JOB);
    assert_eq!(
        planned.detail.as_deref(),
        Some("next run at 2026-11-20T10:00:00Z; r")
    );
}

#[test]
fn an_existing_job_is_an_unchanged_creation() {
    let outcome = notice(NoticeKind::Exists, JobState::Pending);
    assert_eq!(
        (outcome.action.as_str(), outcome.result),
        (CREATE_REPLICATION_JOB, OutcomeResult::Unchanged)
    );
}

#[test]
fn completed_deleted_and_failing_jobs_are_unchanged_notices() {
    for kind in [
        NoticeKind::Completed,
        NoticeKind::Deleted,
        NoticeKind::Failing,
    ] {
        let outcome = notice(kind, JobState::Completed);
        assert_eq!(
            (outcome.action.as_str(), outcome.result),
            (NOTIFY, OutcomeResult::Unchanged),
            "{kind:?}"
        );
    }
}

#[test]
fn a_failed_job_is_a_failed_notice_with_its_state() {
    for kind in [NoticeKind::Failed, NoticeKind::OneTimeFailed] {
        let outcome = notice(kind, JobState::Failed);
        assert_eq!(
            (outcome.action.as_str(), outcome.result),
            (NOTIFY, OutcomeResult::Failed),
            "{kind:?}"
        );
        assert_eq!(outcome.state.as_deref(), Some("FAILED"));
        assert_eq!(outcome.detail.as_deref(), Some("server s-1: detail"));
    }
}

#[test]
fn an_escalation_is_a_failure_not_to_retry() {
    let outcome = notice(NoticeKind::Escalate, JobState::PausedOnFailure);
    assert_eq!(
        (outcome.action.as_str(), outcome.result),
        (ESCALATE, OutcomeResult::Failed)
    );
    assert!(!outcome.retryable);
}

#[test]
fn a_state_of_the_sms_model_reads_as_its_variant() {
    assert_eq!(
        JobState::from(Some("PAUSED_ON_FAILURE")),
        JobState::PausedOnFailure
    );
    assert_eq!(RunType::from(Some("ON_DEMAND")), RunType::OnDemand);
    assert_eq!(
        CatalogStatus::from(Some("NOT_IMPORTED")).as_str(),
        "NOT_IMPORTED"
    );
}

#[test]
fn a_state_this_build_does_not_know_keeps_its_spelling() {
    let state = RunState::from(Some("ARCHIVED"));
    assert_eq!(state, RunState::Unknown("ARCHIVED".into()));
    assert_eq!(state.to_string(), "ARCHIVED");
}

#[test]
fn a_state_sms_did_not_report_is_unknown() {
    assert_eq!(JobState::from(None).as_str(), "UNKNOWN");
    assert_eq!(JobState::default(), JobState::from(None));
}

#[test]
fn live_jobs_are_those_sms_still_replicates_or_retries() {
    let live: Vec<&str> = ALL_JOB_STATES
        .iter()
        .filter(|s| JobState::from(**s).is_live())
        .copied()
        .collect();
    assert_eq!(live, ["PENDING", "ACTIVE", "PAUSED_ON_FAILURE", "FAILING"]);
}

#[test]
fn failure_states_are_failed_failing_and_paused() {
    let failing: Vec<&str> = ALL_JOB_STATES
        .iter()
        .filter(|s| JobState::from(**s).is_failure())
        .copied()
        .collect();
    assert_eq!(failing, ["FAILED", "PAUSED_ON_FAILURE", "FAILING"]);
}

/// Every `ReplicationJobState` of the SMS model, in its order.
const ALL_JOB_STATES: [&str; 8] = [
    "PENDING",
    "ACTIVE",
    "FAILED",
    "DELETING",
    "DELETED",
    "COMPLETED",
    "PAUSED_ON_FAILURE",
    "FAILING",
];
