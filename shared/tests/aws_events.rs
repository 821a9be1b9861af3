//! Every AWS-documented sample event in `tests/aws-events` parses, into the kind of event its
//! file promises (that folder's README names each sample's source page). None is refused: the
//! functions act on it or skip it with a reason, so none ends in a dead-letter queue.

use dr_core::trigger::{self, Alarm, AlarmKind, Event};
use dr_testkit::samples::{aws_events_dir, json_files, read_json};

/// Each sample, relative to `tests/aws-events`, and the description of the trigger it parses into.
const EXPECTED: &[(&str, &str)] = &[
    ("backup/backup-job-aborted.json", "aws.backup Backup Job State Change"),
    ("backup/backup-job-completed.json", "aws.backup Backup Job State Change"),
    ("backup/backup-job-created.json", "aws.backup Backup Job State Change"),
    ("backup/backup-job-expired.json", "aws.backup Backup Job State Change"),
    ("backup/backup-job-failed.json", "aws.backup Backup Job State Change"),
    ("backup/backup-job-pending.json", "aws.backup Backup Job State Change"),
    ("backup/backup-job-running.json", "aws.backup Backup Job State Change"),
    ("backup/backup-plan-created.json", "aws.backup Backup Plan State Change"),
    ("backup/backup-plan-deleted.json", "aws.backup Backup Plan State Change"),
    ("backup/backup-plan-modified.json", "aws.backup Backup Plan State Change"),
    ("backup/backup-vault-created.json", "aws.backup Backup Vault State Change"),
    ("backup/backup-vault-deleted.json", "aws.backup Backup Vault State Change"),
    ("backup/backup-vault-modified.json", "aws.backup Backup Vault State Change"),
    ("backup/copy-job-completed.json", "aws.backup Copy Job State Change"),
    ("backup/copy-job-created.json", "aws.backup Copy Job State Change"),
    ("backup/copy-job-failed.json", "aws.backup Copy Job State Change"),
    ("backup/copy-job-running.json", "aws.backup Copy Job State Change"),
    ("backup/recovery-point-completed.json", "aws.backup Recovery Point State Change"),
    ("backup/recovery-point-index-active.json", "aws.backup Recovery Point Index State Change"),
    ("backup/recovery-point-index-deleted.json", "aws.backup Recovery Point Index State Change"),
    ("backup/recovery-point-index-failed.json", "aws.backup Recovery Point Index State Change"),
    ("backup/region-setting-modified.json", "aws.backup Region Setting State Change"),
    ("backup/restore-job-completed.json", "aws.backup Restore Job State Change"),
    ("backup/restore-job-created.json", "aws.backup Restore Job State Change"),
    ("backup/restore-job-failed.json", "aws.backup Restore Job State Change"),
    ("backup/restore-job-pending.json", "aws.backup Restore Job State Change"),
    ("backup/restore-job-running.json", "aws.backup Restore Job State Change"),
    ("backup/scan-job-canceled.json", "aws.backup Scan Job State Change"),
    ("backup/scan-job-completed-with-issues.json", "aws.backup Scan Job State Change"),
    ("backup/scan-job-completed.json", "aws.backup Scan Job State Change"),
    ("backup/scan-job-created.json", "aws.backup Scan Job State Change"),
    ("backup/scan-job-failed.json", "aws.backup Scan Job State Change"),
    ("backup/scan-job-running.json", "aws.backup Scan Job State Change"),
    ("backup-notification/backup-job-completed.json", "SNS: backup vault notification BACKUP_JOB COMPLETED"),
    ("backup-notification/backup-job-expired.json", "SNS: backup vault notification BACKUP_JOB EXPIRED"),
    ("backup-notification/backup-job-failed.json", "SNS: backup vault notification BACKUP_JOB FAILED"),
    ("backup-notification/eks-backup-object-failed.json", "SNS: backup vault notification EKS_BACKUP_OBJECT_FAILED FAILED"),
    ("backup-notification/eks-restore-object-failed.json", "SNS: backup vault notification EKS_RESTORE_OBJECT_FAILED FAILED"),
    ("backup-notification/eks-restore-object-skipped.json", "SNS: backup vault notification EKS_RESTORE_OBJECT_SKIPPED ?"),
    ("backup-notification/recovery-point-index-completed.json", "SNS: backup vault notification RECOVERY_POINT_INDEXING_COMPLETED ?"),
    ("cloudwatch/alarm-configuration-change-create-composite-with-suppressor.json", "aws.cloudwatch CloudWatch Alarm Configuration Change"),
    ("cloudwatch/alarm-configuration-change-create-composite.json", "aws.cloudwatch CloudWatch Alarm Configuration Change"),
    ("cloudwatch/alarm-configuration-change-delete-composite-with-suppressor.json", "aws.cloudwatch CloudWatch Alarm Configuration Change"),
    ("cloudwatch/alarm-configuration-change-delete-metric-math.json", "aws.cloudwatch CloudWatch Alarm Configuration Change"),
    ("cloudwatch/alarm-configuration-change-update-composite-with-suppressor.json", "aws.cloudwatch CloudWatch Alarm Configuration Change"),
    ("cloudwatch/alarm-configuration-change-update-metric.json", "aws.cloudwatch CloudWatch Alarm Configuration Change"),
    ("cloudwatch/alarm-contributor-state-change.json", "alarm contributor of DynamoDBInsightsAlarm (ALARM)"),
    ("cloudwatch/alarm-state-change-anomaly-detection.json", "alarm EC2 CPU Utilization Anomaly (ALARM)"),
    ("cloudwatch/alarm-state-change-composite.json", "composite alarm ServiceAggregatedAlarm (ALARM)"),
    ("cloudwatch/alarm-state-change-metric-math.json", "alarm TotalNetworkTrafficTooHigh (ALARM)"),
    ("cloudwatch/alarm-state-change-multi-time-series.json", "alarm DynamoDBInsightsAlarm (ALARM)"),
    ("cloudwatch/alarm-state-change-single-metric.json", "alarm ServerCpuTooHigh (ALARM)"),
    ("drs/pit-snapshot-taken.json", "aws.drs DRS PIT Snapshot Taken"),
    ("drs/recovery-instance-failback-completed.json", "aws.drs DRS Recovery Instance Failback State Change"),
    ("drs/recovery-instance-failback-error.json", "aws.drs DRS Recovery Instance Failback State Change"),
    ("drs/recovery-instance-failback-in-progress.json", "aws.drs DRS Recovery Instance Failback State Change"),
    ("drs/source-server-data-replication-not-stalled.json", "aws.drs DRS Source Server Data Replication Stalled Change"),
    ("drs/source-server-data-replication-stalled.json", "aws.drs DRS Source Server Data Replication Stalled Change"),
    ("drs/source-server-launch-result-recovery-launch-failed.json", "aws.drs DRS Source Server Launch Result"),
    ("drs/source-server-launch-result-recovery-launch-succeeded.json", "aws.drs DRS Source Server Launch Result"),
    ("eventbridge/scheduled-event.json", "schedule my-scheduled-rule"),
    ("lambda-alarm-action/composite-alarm.json", "composite alarm CompositeDemo.Main (ALARM) via its Lambda action"),
    ("lambda-alarm-action/metric-alarm.json", "alarm lambda-demo-metric-alarm (ALARM) via its Lambda action"),
    ("mgn/source-server-data-replication-stalled-change.json", "aws.mgn replication stalled of s-12345678901234567"),
    ("mgn/source-server-launch-result.json", "aws.mgn launch result TEST_LAUNCH_SUCCEEDED of job mgnjob-04ca7d0d3fb6afa3e of s-12345678901234567"),
    ("mgn/source-server-lifecycle-state-change.json", "aws.mgn lifecycle state READY_FOR_TEST of s-12345678901234567"),
    ("sns/alarm-metric-math.json", "SNS: alarm EXAMPLE (ALARM)"),
    ("sns/alarm-single-metric.json", "SNS: alarm EXAMPLE (ALARM)"),
    ("sns/lambda-sns-event.json", "SNS: SNS message that is neither a CloudWatch alarm, an AWS Backup vault notification nor an EventBridge event"),
];

/// Every sample's name, relative to `tests/aws-events`, sorted.
fn samples() -> Vec<String> {
    let files = json_files(&aws_events_dir()).unwrap_or_else(|e| panic!("{e}"));
    files.into_iter().map(|(name, _)| name).collect()
}

fn parse(name: &str) -> trigger::Trigger {
    let value = read_json(&aws_events_dir().join(name)).unwrap_or_else(|e| panic!("{e}"));
    trigger::parse(&value).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn alarm(name: &str) -> Alarm {
    match parse(name).events.as_slice() {
        [Event::Alarm(a)] => a.clone(),
        other => panic!("{name}: expected one alarm, got {other:?}"),
    }
}

#[test]
fn every_sample_is_listed_with_what_it_parses_into() {
    let mut listed: Vec<&str> = EXPECTED.iter().map(|(name, _)| *name).collect();
    listed.sort_unstable();
    assert_eq!(samples(), listed);
}

#[test]
fn every_sample_parses_into_the_trigger_its_name_promises() {
    for (name, want) in EXPECTED {
        assert_eq!(parse(name).describe(), *want, "{name}");
    }
}

/// The kind of the alarm in sample `name`, and its dimensions as `name=value`.
fn kind_and_dimensions(name: &str) -> (AlarmKind, Vec<String>) {
    let a = alarm(name);
    let dimensions = a
        .dimensions
        .iter()
        .map(|d| format!("{}={}", d.name, d.value))
        .collect();
    (a.kind, dimensions)
}

/// Asserts that each sample is a metric alarm with exactly `dimensions`.
fn assert_metric_alarms(samples: &[&str], dimensions: &[&str]) {
    for name in samples {
        let want: Vec<String> = dimensions.iter().map(|d| (*d).to_owned()).collect();
        assert_eq!(
            kind_and_dimensions(name),
            (AlarmKind::Metric, want),
            "{name}"
        );
    }
}

#[test]
fn single_metric_metric_math_and_anomaly_alarms_give_their_metric_dimensions() {
    assert_metric_alarms(
        &[
            "cloudwatch/alarm-state-change-single-metric.json",
            "cloudwatch/alarm-state-change-metric-math.json",
            "cloudwatch/alarm-state-change-anomaly-detection.json",
        ],
        &["InstanceId=i-12345678901234567"],
    );
}

#[test]
fn a_multi_time_series_alarm_names_no_dimension_a_server_could_match() {
    assert_metric_alarms(
        &["cloudwatch/alarm-state-change-multi-time-series.json"],
        &[],
    );
}

#[test]
fn a_contributor_state_change_gives_the_contributor_attributes_as_dimensions() {
    let (kind, dimensions) = kind_and_dimensions("cloudwatch/alarm-contributor-state-change.json");
    assert_eq!(
        kind,
        AlarmKind::Contributor {
            id: "6d442278dba546f6".into()
        }
    );
    assert_eq!(dimensions, ["TableName=example-dynamodb-table-name"]);
}

#[test]
fn composite_alarms_keep_their_rule_and_have_no_dimensions() {
    let cases = [
        (
            "cloudwatch/alarm-state-change-composite.json",
            "ALARM(ServerCpuTooHigh) OR ALARM(TotalNetworkTrafficTooHigh)",
        ),
        (
            "lambda-alarm-action/composite-alarm.json",
            "ALARM(CompositeDemo.FirstChild) OR ALARM(CompositeDemo.SecondChild)",
        ),
    ];
    for (name, rule) in cases {
        let kind = AlarmKind::Composite {
            rule: Some(rule.into()),
        };
        assert_eq!(kind_and_dimensions(name), (kind, vec![]), "{name}");
    }
}

#[test]
fn an_alarm_lambda_action_gives_its_metric_dimensions() {
    assert_metric_alarms(
        &["lambda-alarm-action/metric-alarm.json"],
        &["InstanceId=i-12345678"],
    );
}

#[test]
fn an_alarm_through_sns_gives_its_trigger_dimensions() {
    assert_metric_alarms(
        &["sns/alarm-single-metric.json", "sns/alarm-metric-math.json"],
        &["InstanceId=TestInstance"],
    );
}

#[test]
fn aws_launch_result_samples_name_their_server_job_and_outcome() {
    for (name, state) in [
        (
            "drs/source-server-launch-result-recovery-launch-succeeded.json",
            trigger::LaunchResultState::Succeeded,
        ),
        (
            "drs/source-server-launch-result-recovery-launch-failed.json",
            trigger::LaunchResultState::Failed,
        ),
    ] {
        match parse(name).events.remove(0) {
            Event::LaunchResult(r) => {
                assert_eq!(r.source_server_id.as_str(), "s-12345678901234567", "{name}");
                assert_eq!(r.job_id, "drsjob-04ca7d0d3fb6afa3e", "{name}");
                assert_eq!((r.state, r.drill), (state, Some(false)), "{name}");
                assert_eq!(r.time, Some(1_471_896_739), "{name}: 2016-08-22T20:12:19Z");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn aws_mgn_samples_name_their_server_and_change_without_the_asterisks() {
    for (name, change) in [
        (
            "mgn/source-server-data-replication-stalled-change.json",
            trigger::MgnChange::Stalled(trigger::StalledState::Stalled),
        ),
        (
            "mgn/source-server-lifecycle-state-change.json",
            trigger::MgnChange::LifeCycle(trigger::MgnLifeCycleState::ReadyForTest),
        ),
        (
            "mgn/source-server-launch-result.json",
            trigger::MgnChange::LaunchResult {
                job_id: "mgnjob-04ca7d0d3fb6afa3e".into(),
                state: trigger::MgnLaunchState::TestSucceeded,
            },
        ),
    ] {
        match parse(name).events.remove(0) {
            Event::Mgn(e) => {
                assert_eq!(e.source_server_id.as_str(), "s-12345678901234567", "{name}");
                assert_eq!(e.change, change, "{name}");
                assert_eq!(e.time, Some(1_471_896_739), "{name}: 2016-08-22T20:12:19Z");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}
