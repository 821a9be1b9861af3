use super::*;
use crate::testing::{config, rp, ISOLATED, WEST};
use dr_core::report::OutcomeResult;
use dr_testkit::arn;

fn copy(n: u32, dest: usize, attempt: u32) -> Copy {
    Copy {
        recovery_point_arn: rp(n),
        source_vault_name: "dr-primary".into(),
        destination: config().vaults.destinations[dest].clone(),
        attempt,
        queued_behind: None,
    }
}

#[test]
fn a_known_state_reads_and_spells_as_aws_does() {
    for text in ["CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"] {
        let state = CopyJobState::from(text);
        assert!(!matches!(state, CopyJobState::Unknown(_)), "{text}");
        assert_eq!(state.as_str(), text);
    }
    assert_eq!(
        RecoveryPointStatus::from("AVAILABLE"),
        RecoveryPointStatus::Available
    );
    assert_eq!(StorageClass::from("COLD"), StorageClass::Cold);
    assert_eq!(BackupJobState::from("PENDING").to_string(), "PENDING");
}

#[test]
fn a_value_this_build_does_not_know_is_kept_as_sent() {
    let state = CopyJobState::from("ABANDONED");
    assert_eq!(state, CopyJobState::Unknown("ABANDONED".into()));
    assert_eq!(state.as_str(), "ABANDONED");
    let kind = VaultEventType::from("RECOVERY_POINT_INDEXING_COMPLETED");
    assert_eq!(kind.to_string(), "RECOVERY_POINT_INDEXING_COMPLETED");
}

#[test]
fn a_value_aws_did_not_report_reads_as_unknown() {
    assert_eq!(RecoveryPointStatus::from(None).as_str(), "UNKNOWN");
    assert_eq!(CopyJobState::from(Some("RUNNING")), CopyJobState::Running);
}

#[test]
fn only_completed_and_available_recovery_points_are_copyable() {
    let all = [
        "COMPLETED",
        "PARTIAL",
        "DELETING",
        "EXPIRED",
        "AVAILABLE",
        "STOPPED",
        "CREATING",
    ];
    let copyable: Vec<&str> = all
        .into_iter()
        .filter(|s| RecoveryPointStatus::from(*s).is_copyable())
        .collect();
    assert_eq!(copyable, ["COMPLETED", "AVAILABLE"]);
}

#[test]
fn created_and_running_copy_jobs_are_in_flight_failed_and_partial_ones_failed() {
    let states = [
        "CREATED",
        "RUNNING",
        "COMPLETED",
        "FAILED",
        "PARTIAL",
        "UNKNOWN",
    ]
    .map(CopyJobState::from);
    let which = |test: fn(&CopyJobState) -> bool| -> Vec<&str> {
        states
            .iter()
            .filter(|s| test(s))
            .map(CopyJobState::as_str)
            .collect()
    };
    assert_eq!(which(CopyJobState::is_in_flight), ["CREATED", "RUNNING"]);
    assert_eq!(which(CopyJobState::is_failed), ["FAILED", "PARTIAL"]);
}

#[test]
fn a_vault_arn_names_its_vault() {
    assert_eq!(vault_name(&arn(WEST)), Some("dr-copy-west"));
    let point = arn("arn:aws:backup:us-east-1:123456789012:recovery-point:x");
    assert_eq!(vault_name(&point), None);
}

#[test]
fn a_reported_arn_that_is_not_one_is_taken_as_absent() {
    assert_eq!(reported_arn(Some(ISOLATED)), Some(arn(ISOLATED)));
    assert_eq!(reported_arn(Some("{}")), None);
    assert_eq!(reported_arn(None), None);
}

#[test]
fn idempotency_tokens_are_deterministic_and_distinct() {
    let token = copy(1, 0, 1).idempotency_token();
    assert_eq!(token, copy(1, 0, 1).idempotency_token());
    assert_eq!(token.len(), 34, "{token}");
    assert!(token.ends_with("-1"));
    assert!(token[..32].bytes().all(|b| b.is_ascii_hexdigit()));
    for other in [copy(2, 0, 1), copy(1, 1, 1), copy(1, 0, 2)] {
        assert_ne!(token, other.idempotency_token());
    }
}

#[test]
fn the_idempotency_token_algorithm_is_pinned_across_deployments() {
    // FNV-1a 128 of "a\0b\01": a change of algorithm would start duplicate copies on
    // redeliveries that span a deployment.
    assert_eq!(
        idempotency_token("a", "b", 1),
        "35336bbe1183d94f7081455fbbcc62f5-1"
    );
}

#[test]
fn a_planned_copy_describes_its_attempt_and_token() {
    let c = copy(1, 0, 2);
    let planned = c.planned();
    assert_eq!(planned.target, c.target());
    assert_eq!(planned.action, START_COPY_JOB);
    assert_eq!(planned.result, OutcomeResult::Planned);
    assert_eq!(
        planned.detail.as_deref(),
        Some(format!("attempt 2, idempotency token {}", c.idempotency_token()).as_str())
    );
}

#[test]
fn a_queued_copy_says_what_it_waits_behind() {
    let c = Copy {
        queued_behind: Some("copy job j1 (RUNNING)".into()),
        ..copy(1, 0, 1)
    };
    assert_eq!(
        c.queued(),
        "; queued in CREATED behind copy job j1 (RUNNING): AWS Backup runs one backup or copy job \
         per resource at a time"
    );
    assert!(c
        .planned()
        .detail
        .unwrap_or_default()
        .ends_with(&c.queued()));
}
