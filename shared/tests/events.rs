//! Every sample event in `events/` parses into the trigger its name promises.

use dr_core::trigger::{self, Event};
use dr_testkit::samples::{events_dir, samples_in};
use std::collections::BTreeMap;

/// Each sample, relative to `events/`, and the description of the trigger it must parse into.
const EXPECTED: &[(&str, &str)] = &[
    (
        "drs-start-replication/scheduled-event.json",
        "schedule drs-start-replication-hourly",
    ),
    (
        "drs-start-replication/scheduler-input.json",
        "schedule drs-start-replication",
    ),
    (
        "drs-start-replication/direct-invoke.json",
        "direct invoke (1 targets)",
    ),
    (
        "drs-start-replication/direct-invoke-dry-run.json",
        "direct invoke (3 targets)",
    ),
    (
        "drs-start-replication/alarm-via-sns.json",
        "SNS: alarm web-01-status-check-failed (ALARM)",
    ),
    (
        "drs-start-replication/alarm-state-change.json",
        "alarm app-03-unhealthy (ALARM)",
    ),
    (
        "drs-start-replication/alarm-lambda-action.json",
        "alarm web-01-status-check-failed (ALARM) via its Lambda action",
    ),
    (
        "drs-start-replication/composite-alarm-state-change.json",
        "composite alarm prod-app-replication (ALARM)",
    ),
    (
        "drs-start-replication/replication-stalled.json",
        "aws.drs DRS Source Server Data Replication Stalled Change",
    ),
    (
        "drs-start-replication/fleet-replication-stalled-member-account.json",
        "aws.drs DRS Source Server Data Replication Stalled Change",
    ),
    (
        "drs-start-replication/fleet-target-invoke.json",
        "schedule drs-start-replication",
    ),
    (
        "backup-copy-fanout/fleet-backup-job-completed-member-account.json",
        "aws.backup Backup Job State Change",
    ),
    (
        "backup-copy-fanout/fleet-target-invoke.json",
        "schedule backup-copy-fanout-sweep",
    ),
    (
        "sms-replication-jobs/fleet-target-invoke.json",
        "schedule sms-replication-jobs-hourly",
    ),
    (
        "backup-copy-fanout/backup-job-completed.json",
        "aws.backup Backup Job State Change",
    ),
    (
        "backup-copy-fanout/copy-job-completed.json",
        "aws.backup Copy Job State Change",
    ),
    (
        "backup-copy-fanout/copy-job-failed.json",
        "aws.backup Copy Job State Change",
    ),
    (
        "backup-copy-fanout/direct-invoke.json",
        "direct invoke (1 targets)",
    ),
    (
        "backup-copy-fanout/direct-invoke-dry-run.json",
        "direct invoke (2 targets)",
    ),
    (
        "backup-copy-fanout/scheduled-event.json",
        "schedule backup-copy-fanout-sweep",
    ),
    (
        "backup-copy-fanout/scheduler-input.json",
        "schedule backup-copy-fanout-sweep",
    ),
    (
        "backup-copy-fanout/vault-notification-backup-completed.json",
        "SNS: backup vault notification BACKUP_JOB COMPLETED",
    ),
    (
        "backup-copy-fanout/vault-notification-backup-completed-variant-b.json",
        "SNS: backup vault notification BACKUP_JOB COMPLETED",
    ),
    (
        "backup-copy-fanout/vault-notification-backup-failed.json",
        "SNS: backup vault notification BACKUP_JOB FAILED",
    ),
    (
        "sms-replication-jobs/scheduled-event.json",
        "schedule sms-replication-jobs-hourly",
    ),
    (
        "sms-replication-jobs/scheduler-input.json",
        "schedule sms-replication-jobs-hourly",
    ),
    (
        "sms-replication-jobs/direct-invoke.json",
        "direct invoke (1 targets)",
    ),
    (
        "sms-replication-jobs/direct-invoke-dry-run.json",
        "direct invoke (2 targets)",
    ),
    (
        "sms-replication-jobs/sms-api-call-via-cloudtrail.json",
        "aws.sms AWS API Call via CloudTrail",
    ),
    (
        "sms-replication-jobs/sms-api-call-via-sns.json",
        "SNS: aws.sms AWS API Call via CloudTrail",
    ),
    (
        "drs-recovery/scheduled-event.json",
        "schedule drs-recovery-nightly-drill",
    ),
    ("drs-recovery/scheduler-input.json", "schedule drs-recovery"),
    (
        "drs-recovery/direct-invoke-drill.json",
        "direct invoke (drill, 2 targets)",
    ),
    (
        "drs-recovery/direct-invoke-dry-run.json",
        "direct invoke (3 targets)",
    ),
    (
        "drs-recovery/direct-invoke-recovery.json",
        "direct invoke (recovery, 1 targets)",
    ),
    (
        "drs-recovery/alarm-state-change.json",
        "alarm app-01-unhealthy (ALARM)",
    ),
    (
        "drs-recovery/alarm-via-sns.json",
        "SNS: alarm web-02-status-check-failed (ALARM)",
    ),
    (
        "drs-recovery/alarm-lambda-action.json",
        "alarm db-01-status-check-failed (ALARM) via its Lambda action",
    ),
    (
        "drs-recovery/launch-result-succeeded.json",
        "aws.drs DRS Source Server Launch Result",
    ),
    (
        "drs-recovery/launch-result-failed.json",
        "aws.drs DRS Source Server Launch Result",
    ),
    (
        "drs-recovery/fleet-target-invoke.json",
        "schedule drs-recovery",
    ),
    ("mgn-replication/scheduled-event.json", "schedule mgn-replication-hourly"),
    ("mgn-replication/scheduler-input.json", "schedule mgn-replication"),
    ("mgn-replication/direct-invoke.json", "direct invoke (1 targets)"),
    ("mgn-replication/direct-invoke-dry-run.json", "direct invoke (3 targets)"),
    ("mgn-replication/fleet-target-invoke.json", "schedule mgn-replication"),
    (
        "mgn-replication/replication-stalled.json",
        "aws.mgn replication stalled of s-e5ce0a68da08eaa27",
    ),
    (
        "mgn-replication/replication-stalled-via-sns.json",
        "SNS: aws.mgn replication stalled of s-e5ce0a68da08eaa27",
    ),
    (
        "mgn-replication/replication-not-stalled.json",
        "aws.mgn replication no longer stalled of s-e5ce0a68da08eaa27",
    ),
    (
        "mgn-replication/lifecycle-ready-for-test.json",
        "aws.mgn lifecycle state READY_FOR_TEST of s-0cae2676f9ffddb2c",
    ),
    (
        "mgn-replication/launch-result-test-succeeded.json",
        "aws.mgn launch result TEST_LAUNCH_SUCCEEDED of job mgnjob-04ca7d0d3fb6afa3e of s-fcb86a035c3db2387",
    ),
    (
        "mgn-replication/launch-result-test-failed.json",
        "aws.mgn launch result TEST_LAUNCH_FAILED of job mgnjob-04ca7d0d3fb6afa3e of s-fcb86a035c3db2387",
    ),
    ("dr-coverage/scheduled-event.json", "schedule dr-coverage-daily"),
    ("dr-coverage/scheduler-input.json", "schedule dr-coverage"),
    ("dr-coverage/direct-invoke.json", "schedule"),
    ("dr-coverage/direct-invoke-dry-run.json", "schedule"),
    ("dr-coverage/fleet-target-invoke.json", "schedule dr-coverage"),
];

#[test]
fn every_sample_event_parses_as_expected() {
    let expected: BTreeMap<&str, &str> = EXPECTED.iter().copied().collect();
    let mut seen = Vec::new();
    for (rel, value) in samples_in(&events_dir()) {
        let want = expected
            .get(rel.as_str())
            .unwrap_or_else(|| panic!("{rel} has no expectation in tests/events.rs"));
        let trigger = trigger::parse(&value).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(trigger.describe(), *want, "{rel}");
        if rel.contains("dry-run") {
            assert!(trigger.dry_run, "{rel} asks for a dry run");
        }
        if rel.contains("fleet-target-invoke") {
            assert!(trigger.target().is_some(), "{rel} names one fleet target");
        }
        assert!(
            !trigger.events.is_empty()
                && !trigger.events.iter().any(|e| matches!(e, Event::Other(_))),
            "{rel} is an event a function acts on"
        );
        seen.push(rel);
    }
    for (name, _) in EXPECTED {
        assert!(
            seen.iter().any(|s| s == name),
            "{name} is expected but missing"
        );
    }
}
