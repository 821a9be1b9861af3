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

// The settings of an existing job against its configuration.

/// What SMS reports for a job created with [`every_option`].
fn as_created() -> JobSettings {
    JobSettings {
        frequency: Some(6),
        license: Some("BYOL".into()),
        role_name: Some("sms".into()),
        description: Some("wave 1".into()),
        amis_to_keep: Some(3),
        encrypted: Some(true),
        kms_key_id: Some(KMS_ALIAS.into()),
    }
}

#[test]
fn the_changes_of_a_recurring_job_are_only_what_differs() {
    let key = "alias/other";
    let cases: [(&str, JobSettings, JobOptions, &str); 12] = [
        ("same", as_created(), every_option(), ""),
        (
            "nothing managed but the frequency",
            JobSettings::default(),
            JobOptions::every(6),
            "frequency none → 6h",
        ),
        (
            "unset options are not cleared",
            as_created(),
            JobOptions::every(6),
            "",
        ),
        (
            "frequency and license",
            JobSettings {
                frequency: Some(12),
                license: Some("AWS".into()),
                ..as_created()
            },
            every_option(),
            "frequency 12h → 6h, licenseType AWS → BYOL",
        ),
        (
            "licenseType auto is not managed",
            JobSettings {
                license: Some("AWS".into()),
                ..as_created()
            },
            JobOptions {
                license: License::Auto,
                ..every_option()
            },
            "",
        ),
        (
            "a role name differing only in case is the same role",
            JobSettings {
                role_name: Some("SMS".into()),
                ..as_created()
            },
            every_option(),
            "",
        ),
        (
            "role, description and AMIs",
            JobSettings {
                role_name: Some("sms-old".into()),
                description: None,
                amis_to_keep: Some(0),
                ..as_created()
            },
            every_option(),
            "roleName sms-old → sms, description none → \"wave 1\", numberOfRecentAmisToKeep 0 → 3",
        ),
        (
            "encrypting with a key",
            JobSettings {
                encrypted: Some(false),
                kms_key_id: None,
                ..as_created()
            },
            every_option(),
            &format!("encrypted false → true, kmsKeyId none → {KMS_ALIAS}"),
        ),
        (
            "a job reported without encrypted is unencrypted",
            JobSettings {
                encrypted: None,
                kms_key_id: None,
                ..as_created()
            },
            JobOptions {
                encrypted: Some(false),
                kms_key_id: None,
                ..every_option()
            },
            "",
        ),
        (
            "another key",
            JobSettings {
                kms_key_id: Some(key.into()),
                ..as_created()
            },
            every_option(),
            &format!("kmsKeyId {key} → {KMS_ALIAS}"),
        ),
        (
            "encrypted without a key keeps the job's key",
            JobSettings {
                kms_key_id: Some(key.into()),
                ..as_created()
            },
            JobOptions {
                kms_key_id: None,
                ..every_option()
            },
            "",
        ),
        (
            "decrypting sends encrypted alone",
            as_created(),
            JobOptions {
                encrypted: Some(false),
                kms_key_id: None,
                ..every_option()
            },
            "encrypted true → false",
        ),
    ];
    for (name, have, want, summary) in cases {
        assert_eq!(
            JobChanges::between(&have, false, &want).summary(),
            summary,
            "{name}"
        );
    }
}

#[test]
fn a_one_time_job_has_no_frequency_to_change() {
    let have = JobSettings {
        frequency: None,
        ..as_created()
    };
    assert!(JobChanges::between(&have, true, &every_option()).is_empty());
}

#[test]
fn the_schedule_change_can_be_taken_out_to_defer_it() {
    let have = JobSettings {
        frequency: Some(12),
        license: Some("AWS".into()),
        ..as_created()
    };
    let mut changes = JobChanges::between(&have, false, &every_option());
    let schedule = changes.take_schedule();
    assert_eq!(
        schedule,
        Some(Change {
            from: Some(12),
            to: 6
        })
    );
    assert_eq!(changes.details(), ["licenseType AWS → BYOL"]);
}

#[test]
fn a_planned_update_lists_each_change() {
    let have = JobSettings {
        frequency: Some(12),
        license: Some("AWS".into()),
        ..as_created()
    };
    let changes = JobChanges::between(&have, false, &every_option());
    let planned = Action::Update {
        job_id: jid(4),
        changes,
    }
    .planned();
    assert_eq!(
        (
            planned.target.as_str(),
            planned.action.as_str(),
            planned.result
        ),
        (
            jid(4).as_str(),
            UPDATE_REPLICATION_JOB,
            OutcomeResult::Planned
        )
    );
    assert_eq!(
        planned.detail.as_deref(),
        Some("frequency 12h → 6h, licenseType AWS → BYOL")
    );
}

#[test]
fn a_reschedule_with_changes_names_them_before_the_reason() {
    let have = JobSettings {
        role_name: Some("sms-old".into()),
        ..as_created()
    };
    let changes = JobChanges::between(&have, false, &every_option());
    assert_eq!(
        rescheduled(NOW, "resumed", &changes),
        "next run at 2026-11-20T10:00:00Z, roleName sms-old → sms; resumed"
    );
}
