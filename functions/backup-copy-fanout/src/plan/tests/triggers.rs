//! The scope: what each trigger asks a run to look at.

use super::*;
use dr_core::trigger::{AlarmState, DirectInvoke, Schedule, StalledState};
use dr_testkit::triggers::{alarm, stalled};

const LEGACY: &str = "arn:aws:backup:us-west-2:123456789012:backup-vault:legacy";

fn backup_job_event(state: &str, vault: Option<&str>, rp_arn: Option<String>) -> Event {
    Event::BackupJob(BackupJobChange {
        backup_job_id: "bj-1".into(),
        state: state.into(),
        backup_vault_name: vault.map(str::to_owned),
        recovery_point_arn: rp_arn,
        resource_arn: Some(volume(1)),
        resource_type: Some("EBS".into()),
        account: Some("123456789012".into()),
    })
}

fn copy_job_change(state: &str, source_vault: &str, dest: Option<&str>) -> CopyJobChange {
    CopyJobChange {
        event_id: "e-1".into(),
        copy_job_id: Some("cj-1".into()),
        state: state.into(),
        source_recovery_point_arn: Some(rp(1)),
        source_backup_vault_arn: Some(format!(
            "arn:aws:backup:us-east-1:123456789012:backup-vault:{source_vault}"
        )),
        destination_backup_vault_arn: dest.map(str::to_owned),
        resource_type: Some("EBS".into()),
        status_message: None,
    }
}

fn copy_job_event(state: &str, source_vault: &str, dest: Option<&str>) -> Event {
    Event::CopyJob(copy_job_change(state, source_vault, dest))
}

fn vault_note(event_type: Option<&str>, state: Option<&str>, rp_arn: Option<String>) -> Event {
    Event::VaultNotification(VaultNotification {
        message_id: "m-0".into(),
        event_type: event_type.map(str::to_owned),
        state: state.map(str::to_owned),
        job_id: Some("bj-9".into()),
        recovery_point_arn: rp_arn,
        resource_arn: None,
        account: Some("123456789012".into()),
    })
}

fn scoped(events: Vec<Event>) -> Scope {
    scope(&Trigger::from_events(events), &config())
}

/// A request for recovery point `n`, with the vault hint and destinations (empty = all).
fn request(n: u32, vault: Option<&str>, destinations: &[&str]) -> PointRequest {
    PointRequest {
        recovery_point_arn: rp(n),
        vault: vault.map(str::to_owned),
        destinations: (!destinations.is_empty())
            .then(|| destinations.iter().map(|d| (*d).to_owned()).collect()),
    }
}

/// Asserts that `events` ask for `requests` and skip `skips`, without a sweep.
fn asks(events: Vec<Event>, requests: &[PointRequest], skips: Reasons) {
    let got = scoped(events);
    assert!(!got.sweep);
    assert_eq!(got.points, requests);
    let got_skips = got
        .skips
        .listed()
        .iter()
        .map(|s| (s.target.clone(), s.reason.clone()))
        .collect();
    assert_reasons("skips", got_skips, &skips);
}

#[test]
fn a_schedule_sweeps() {
    let got = scoped(vec![Event::Schedule(Schedule { name: None })]);
    assert!(got.sweep);
    assert_eq!((got.points.len(), got.skips.total()), (0, 0));
}

#[test]
fn a_direct_invoke_names_each_recovery_point_once_and_skips_what_is_not_an_arn() {
    let targets = vec![rp(1), "snap-0123".into(), rp(2), rp(1)];
    asks(
        vec![Event::Direct(DirectInvoke {
            targets,
            mode: None,
        })],
        &[request(1, None, &[]), request(2, None, &[])],
        vec![("snap-0123".into(), "not a recovery point ARN")],
    );
}

#[test]
fn a_completed_backup_job_names_its_recovery_point_and_vault() {
    let event = backup_job_event("COMPLETED", Some("dr-primary"), Some(rp(1)));
    asks(vec![event], &[request(1, Some("dr-primary"), &[])], vec![]);
}

#[test]
fn a_completed_backup_job_without_a_vault_name_leaves_the_search_to_observe() {
    let event = backup_job_event("COMPLETED", None, Some(rp(1)));
    asks(vec![event], &[request(1, None, &[])], vec![]);
}

#[test]
fn a_backup_job_in_a_vault_outside_the_allowlist_is_skipped() {
    let event = backup_job_event("COMPLETED", Some("scratch"), Some(rp(1)));
    let skips = vec![(
        rp(1),
        "source vault `scratch` is not in BACKUP_SOURCE_VAULTS",
    )];
    asks(vec![event], &[], skips);
}

#[test]
fn a_failed_backup_job_has_nothing_to_copy() {
    let event = backup_job_event("FAILED", Some("dr-primary"), None);
    asks(
        vec![event],
        &[],
        vec![("bj-1".into(), "backup job FAILED: nothing to copy")],
    );
}

#[test]
fn a_backup_job_event_without_resources_is_skipped() {
    let event = backup_job_event("COMPLETED", Some("dr-primary"), None);
    let skips = vec![("bj-1".into(), "backup job event names no recovery point")];
    asks(vec![event], &[], skips);
}

#[test]
fn a_failed_copy_job_is_retried_to_its_destination() {
    let event = copy_job_event("FAILED", "dr-primary", Some(WEST));
    asks(
        vec![event],
        &[request(1, Some("dr-primary"), &[WEST])],
        vec![],
    );
}

#[test]
fn a_failed_copy_job_to_a_vault_not_configured_is_skipped() {
    let event = copy_job_event("FAILED", "dr-primary", Some(LEGACY));
    let skips = vec![(
        target(&rp(1), LEGACY),
        "copy job cj-1 FAILED to a vault not in BACKUP_DESTINATIONS",
    )];
    asks(vec![event], &[], skips);
}

#[test]
fn a_failed_copy_job_from_a_vault_outside_the_allowlist_is_skipped() {
    let event = copy_job_event("FAILED", "scratch", Some(WEST));
    let skips = vec![(
        rp(1),
        "source vault `scratch` is not in BACKUP_SOURCE_VAULTS",
    )];
    asks(vec![event], &[], skips);
}

#[test]
fn a_failed_copy_job_without_a_destination_is_skipped() {
    let event = copy_job_event("PARTIAL", "dr-primary", None);
    let skips = vec![(
        "cj-1".into(),
        "failed copy job event names no destination vault",
    )];
    asks(vec![event], &[], skips);
}

#[test]
fn a_completed_copy_job_continues_the_fan_out() {
    let event = copy_job_event("COMPLETED", "dr-primary", Some(WEST));
    asks(vec![event], &[request(1, Some("dr-primary"), &[])], vec![]);
}

#[test]
fn a_running_copy_job_has_nothing_to_do_until_it_ends() {
    let event = copy_job_event("RUNNING", "dr-primary", Some(WEST));
    let skips = vec![(
        "cj-1".into(),
        "copy job RUNNING: nothing to do until it ends",
    )];
    asks(vec![event], &[], skips);
}

#[test]
fn a_created_copy_job_is_named_by_its_event_id() {
    let created = CopyJobChange {
        copy_job_id: None,
        ..copy_job_change("CREATED", "dr-primary", Some(WEST))
    };
    let skips = vec![(
        "e-1".into(),
        "copy job CREATED: nothing to do until it ends",
    )];
    asks(vec![Event::CopyJob(created)], &[], skips);
}

#[test]
fn a_vault_notification_of_a_completed_backup_job_names_its_recovery_point() {
    let note = vault_note(Some("BACKUP_JOB"), Some("COMPLETED"), Some(rp(1)));
    asks(vec![note], &[request(1, None, &[])], vec![]);
}

#[test]
fn a_vault_notification_read_from_the_text_only_names_its_recovery_point() {
    let note = vault_note(None, Some("COMPLETED"), Some(rp(1)));
    asks(vec![note], &[request(1, None, &[])], vec![]);
}

#[test]
fn vault_notifications_of_backup_jobs_that_did_not_complete_are_skipped() {
    let notes = vec![
        vault_note(Some("BACKUP_JOB"), Some("FAILED"), None),
        vault_note(Some("BACKUP_JOB"), Some("EXPIRED"), Some(rp(2))),
        vault_note(Some("BACKUP_JOB"), None, Some(rp(3))),
        vault_note(Some("BACKUP_JOB"), Some("COMPLETED"), None),
    ];
    let skips = vec![
        ("bj-9".into(), "backup job FAILED: nothing to copy"),
        (rp(2), "backup job EXPIRED: nothing to copy"),
        (rp(3), "backup notification without a state"),
        ("bj-9".into(), "backup notification names no recovery point"),
    ];
    asks(notes, &[], skips);
}

#[test]
fn vault_notifications_of_other_kinds_are_skipped_naming_the_kind() {
    let notes = vec![
        vault_note(Some("COPY_JOB"), Some("FAILED"), Some(rp(4))),
        vault_note(Some("RECOVERY_POINT_INDEXING_COMPLETED"), None, Some(rp(5))),
    ];
    let skips =
        vec![
        (rp(4), "COPY_JOB notification: only completed backup jobs are copied"),
        (
            rp(5),
            "RECOVERY_POINT_INDEXING_COMPLETED notification: only completed backup jobs are copied",
        ),
    ];
    asks(notes, &[], skips);
}

#[test]
fn requests_for_one_recovery_point_merge_their_destinations() {
    let events = vec![
        copy_job_event("FAILED", "dr-primary", Some(WEST)),
        copy_job_event("FAILED", "dr-primary", Some(ISOLATED)),
    ];
    asks(
        events,
        &[request(1, Some("dr-primary"), &[ISOLATED, WEST])],
        vec![],
    );
}

#[test]
fn a_request_for_every_destination_wins_over_a_retry() {
    let events = vec![
        copy_job_event("FAILED", "dr-primary", Some(WEST)),
        vault_note(Some("BACKUP_JOB"), Some("COMPLETED"), Some(rp(1))),
    ];
    asks(events, &[request(1, Some("dr-primary"), &[])], vec![]);
}

#[test]
fn alarms_and_other_service_events_are_not_handled() {
    let alarm = Event::Alarm(alarm("cpu-high", AlarmState::Alarm, &[]));
    let stalled = stalled("s-1234567890abcdef0", StalledState::Stalled);
    let skips = vec![
        ("cpu-high".into(), "alarm cpu-high (ALARM): not handled by backup-copy-fanout"),
        (
            "s-1234567890abcdef0".into(),
            "aws.drs DRS Source Server Data Replication Stalled Change: not handled by backup-copy-fanout",
        ),
    ];
    asks(vec![alarm, stalled], &[], skips);
}
