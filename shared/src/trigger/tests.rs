use super::*;
use serde_json::json;

const HOME: &str = "123456789012";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:dr-alarms";

fn sns_on(topic: &str, message: &str, attributes: Value, subject: Value) -> Value {
    json!({"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": format!("{topic}:8a2b6d6e-1111-2222-3333-444455556666"),
        "Sns": {
            "Type": "Notification",
            "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            "TopicArn": topic,
            "Subject": subject,
            "Message": message,
            "Timestamp": "2026-11-20T10:00:00.000Z",
            "SignatureVersion": "1",
            "Signature": "EXAMPLE",
            "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
            "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
            "MessageAttributes": attributes
        }
    }]})
}

fn sns(message: &str, attributes: Value, subject: Value) -> Value {
    sns_on(TOPIC, message, attributes, subject)
}

fn eventbridge(source: &str, detail_type: &str, resources: Value, detail: Value) -> Value {
    json!({"version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602", "detail-type": detail_type,
           "source": source, "account": HOME, "time": "2026-11-20T10:00:00Z", "region": "us-east-1",
           "resources": resources, "detail": detail})
}

fn only(event: &Value) -> Event {
    match parse(event) {
        Ok(mut t) if t.events.len() == 1 => t.events.remove(0),
        other => panic!("expected one event, got {other:?}"),
    }
}

fn only_alarm(event: &Value) -> Alarm {
    match only(event) {
        Event::Alarm(a) => a,
        other => panic!("expected an alarm, got {other:?}"),
    }
}

fn error(event: &Value) -> String {
    match parse(event) {
        Err(e) => e.to_string(),
        Ok(t) => panic!("expected an error, got {t:?}"),
    }
}

fn dims(pairs: &[(&str, &str)]) -> Vec<Dimension> {
    pairs
        .iter()
        .map(|(n, v)| Dimension {
            name: (*n).into(),
            value: (*v).into(),
        })
        .collect()
}

const SNS_ALARM: &str = r#"{"AlarmName":"web-1-status-check","AlarmDescription":null,"AWSAccountId":"123456789012","AlarmConfigurationUpdatedTimestamp":"2026-11-01T09:00:00.000+0000","NewStateValue":"ALARM","NewStateReason":"Threshold Crossed","StateChangeTime":"2026-11-20T10:00:00.000+0000","Region":"US East (N. Virginia)","AlarmArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-1-status-check","OldStateValue":"OK","OKActions":[],"AlarmActions":["arn:aws:sns:us-east-1:123456789012:dr-alarms"],"InsufficientDataActions":[],"Trigger":{"MetricName":"StatusCheckFailed","Namespace":"AWS/EC2","StatisticType":"Statistic","Statistic":"MAXIMUM","Unit":null,"Dimensions":[{"value":"i-0abc1234def567890","name":"InstanceId"},{"value":"web-1","name":"Hostname"}],"Period":60,"EvaluationPeriods":2,"DatapointsToAlarm":2,"ComparisonOperator":"GreaterThanOrEqualToThreshold","Threshold":1.0,"TreatMissingData":"missing","EvaluateLowSampleCountPercentile":""}}"#;

const SNS_METRIC_MATH_ALARM: &str = r#"{"AlarmName":"app-errors-ratio","AlarmDescription":null,"AWSAccountId":"123456789012","NewStateValue":"ALARM","NewStateReason":"Threshold Crossed","StateChangeTime":"2026-11-20T10:00:00.000+0000","Region":"US East (N. Virginia)","AlarmArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:app-errors-ratio","OldStateValue":"OK","Trigger":{"Period":60,"EvaluationPeriods":1,"ComparisonOperator":"GreaterThanThreshold","Threshold":0.5,"TreatMissingData":"missing","EvaluateLowSampleCountPercentile":"","Metrics":[{"Expression":"m1/m2","Id":"e1","Label":"ratio","ReturnData":true},{"Id":"m1","MetricStat":{"Metric":{"Dimensions":[{"value":"i-0abc1234def567890","name":"InstanceId"}],"MetricName":"Errors","Namespace":"App"},"Period":60,"Stat":"Sum"},"ReturnData":false},{"Id":"m2","MetricStat":{"Metric":{"Dimensions":[{"value":"i-0abc1234def567890","name":"InstanceId"}],"MetricName":"Requests","Namespace":"App"},"Period":60,"Stat":"Sum"},"ReturnData":false}]}}"#;

const SNS_ANOMALY_ALARM: &str = r#"{"AlarmName":"cpu-anomaly","AlarmDescription":"","AWSAccountId":"123456789012","NewStateValue":"ALARM","NewStateReason":"Thresholds Crossed","StateChangeTime":"2026-11-20T10:00:00.000+0000","Region":"US East (N. Virginia)","AlarmArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-anomaly","OldStateValue":"INSUFFICIENT_DATA","Trigger":{"Period":300,"EvaluationPeriods":1,"ComparisonOperator":"LessThanLowerOrGreaterThanUpperThreshold","ThresholdMetricId":"ad1","TreatMissingData":"missing","EvaluateLowSampleCountPercentile":"","Metrics":[{"Expression":"ANOMALY_DETECTION_BAND(m1, 2)","Id":"ad1","Label":"CPUUtilization (expected)","ReturnData":true},{"Id":"m1","MetricStat":{"Metric":{"Dimensions":[{"value":"web-01","name":"Hostname"}],"MetricName":"CPUUtilization","Namespace":"AWS/EC2"},"Period":300,"Stat":"Average"},"ReturnData":true}]}}"#;

fn alarm_state_detail(configuration: Value) -> Value {
    json!({
        "alarmName": "web-1-status-check",
        "state": {"value": "ALARM", "reason": "Threshold Crossed", "timestamp": "2026-11-20T10:00:00.000+0000"},
        "previousState": {"value": "OK", "reason": "ok", "timestamp": "2026-11-19T10:00:00.000+0000"},
        "configuration": configuration
    })
}

/// An event, and what it must parse into: the event and whether it is a dry run, or the error.
type Case = (Value, Result<(Event, bool), &'static str>);

#[test]
fn custom_input_is_a_schedule_or_a_direct_invoke() {
    let cases: Vec<Case> = vec![
        (json!({}), Ok((Event::Schedule(Schedule { name: None }), false))),
        (
            json!({"schedule": "nightly", "dryRun": true}),
            Ok((Event::Schedule(Schedule { name: Some("nightly".into()) }), true)),
        ),
        (
            json!({"targets": ["s-1234567890abcdef0"], "dryRun": false}),
            Ok((Event::Direct(DirectInvoke { targets: vec!["s-1234567890abcdef0".into()], mode: None }), false)),
        ),
        (
            json!({"mode": "recovery", "targets": ["s-1234567890abcdef0"], "dryRun": true}),
            Ok((Event::Direct(DirectInvoke { targets: vec!["s-1234567890abcdef0".into()], mode: Some(LaunchMode::Recovery) }), true)),
        ),
        (
            json!({"mode": "drill", "targets": ["s-1234567890abcdef0"]}),
            Ok((Event::Direct(DirectInvoke { targets: vec!["s-1234567890abcdef0".into()], mode: Some(LaunchMode::Drill) }), false)),
        ),
        (json!({"mode": "failover", "targets": ["s-1"]}), Err("field `mode`: expected \"drill\" or \"recovery\", found \"failover\"")),
        (json!({"mode": true, "targets": ["s-1"]}), Err("field `mode`: expected \"drill\" or \"recovery\", found true")),
        (json!({"mode": "drill"}), Err("field `mode`: applies to the servers in `targets`, which is missing")),
        (json!({"targets": []}), Err("field `targets`: is empty")),
        (json!({"targets": vec!["s-1"; 4001]}), Err("field `targets`: names 4001 targets; at most 4000 per invocation")),
        (json!({"targets": "s-1"}), Err("field `targets`: expected an array of strings, found string")),
        (json!({"targets": ["a", 7]}), Err("field `targets[1]`: expected a string, found number")),
        (json!({"dryRun": "yes"}), Err("field `dryRun`: expected true or false, found string")),
        (json!({"schedule": 3}), Err("field `schedule`: expected a string, found number")),
        (json!({"schedule": "a", "targets": ["b"]}), Err("field `targets`: give either `schedule` or `targets`, not both")),
        (json!({"topicArn": "arn:aws:sns:us-east-1:999999999999:evil"}), Err("unrecognised event: unknown field `topicArn` (custom input takes schedule, targets, target, mode, dryRun)")),
        (json!([1, 2]), Err("event is a JSON array, expected an object")),
        (json!("hello"), Err("event is a JSON string, expected an object")),
        (json!(null), Err("event is a JSON null, expected an object")),
    ];
    for (event, want) in cases {
        let got = parse(&event)
            .map(|mut t| (t.events.remove(0), t.dry_run))
            .map_err(|e| e.to_string());
        assert_eq!(got, want.map_err(str::to_owned), "event {event}");
    }
}

#[test]
fn a_scheduled_event_is_named_by_its_rule() {
    let event = eventbridge(
        "aws.events",
        "Scheduled Event",
        json!(["arn:aws:events:us-east-1:123456789012:rule/drs-start-replication-schedule"]),
        json!({}),
    );
    assert_eq!(
        only(&event),
        Event::Schedule(Schedule {
            name: Some("drs-start-replication-schedule".into())
        })
    );
}

#[test]
fn a_launch_result_names_its_server_job_state_and_drill_flag() {
    let cases = [
        (
            "RECOVERY_LAUNCH_SUCCEEDED",
            "FALSE",
            LaunchResultState::Succeeded,
            Some(false),
        ),
        (
            "RECOVERY_LAUNCH_FAILED",
            "TRUE",
            LaunchResultState::Failed,
            Some(true),
        ),
        (
            "LAUNCH_PAUSED",
            "maybe",
            LaunchResultState::Unknown("LAUNCH_PAUSED".into()),
            None,
        ),
    ];
    for (state, drill, want_state, want_drill) in cases {
        let event = eventbridge(
            "aws.drs",
            "DRS Source Server Launch Result",
            json!(["arn:aws:drs:us-east-1:123456789012:source-server/s-12345678901234567"]),
            json!({"state": state, "job-id": "drsjob-04ca7d0d3fb6afa3e", "is-drill": drill}),
        );
        match only(&event) {
            Event::LaunchResult(r) => {
                assert_eq!(r.source_server_id.as_str(), "s-12345678901234567");
                assert_eq!(r.job_id, "drsjob-04ca7d0d3fb6afa3e");
                assert_eq!(
                    (r.state, r.drill),
                    (want_state, want_drill),
                    "{state} {drill}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_launch_result_without_a_server_or_job_is_refused() {
    let no_server = eventbridge(
        "aws.drs",
        "DRS Source Server Launch Result",
        json!([]),
        json!({"state": "RECOVERY_LAUNCH_SUCCEEDED", "job-id": "drsjob-1", "is-drill": "TRUE"}),
    );
    let no_job = eventbridge(
        "aws.drs",
        "DRS Source Server Launch Result",
        json!(["arn:aws:drs:us-east-1:123456789012:source-server/s-12345678901234567"]),
        json!({"state": "RECOVERY_LAUNCH_SUCCEEDED"}),
    );
    let got: Vec<String> = [no_server, no_job]
        .iter()
        .map(|e| parse(e).map(|_| ()).map_err(|e| e.to_string()).unwrap_err())
        .collect();
    assert!(got[0].contains("resources"), "{}", got[0]);
    assert!(got[1].contains("job-id"), "{}", got[1]);
}

#[test]
fn a_stalled_change_names_the_server_of_its_resource() {
    let event = eventbridge(
        "aws.drs",
        "DRS Source Server Data Replication Stalled Change",
        json!(["arn:aws:drs:us-east-1:123456789012:source-server/s-1234567890abcdef0"]),
        json!({"state": "NOT_STALLED"}),
    );
    assert_eq!(
        only(&event),
        Event::ReplicationStalled(ReplicationStalled {
            source_server_id: crate::ids::SourceServerId::parse("s-1234567890abcdef0").unwrap(),
            state: StalledState::NotStalled,
        })
    );
}

#[test]
fn a_backup_job_event_reads_its_recovery_point_from_resources_and_string_sizes_pass() {
    let event = eventbridge(
        "aws.backup",
        "Backup Job State Change",
        json!(["arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0"]),
        json!({"backupJobId": "8a2c1e4f-0000-4b6e-9d1c-0a1b2c3d4e5f", "backupSizeInBytes": "8589934592",
               "backupVaultArn": "arn:aws:backup:us-east-1:123456789012:backup-vault:primary",
               "backupVaultName": "primary", "bytesTransferred": "8589934592", "percentDone": 100.0,
               "resourceArn": "arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0",
               "resourceType": "EBS", "state": "COMPLETED"}),
    );
    match only(&event) {
        Event::BackupJob(j) => {
            assert_eq!(
                j.recovery_point_arn.as_deref(),
                Some("arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0")
            );
            assert_eq!(
                (j.state.as_str(), j.backup_vault_name.as_deref()),
                ("COMPLETED", Some("primary"))
            );
            assert_eq!(j.account.as_deref(), Some(HOME));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_created_copy_job_event_has_no_copy_job_id_and_is_keyed_by_its_event_id() {
    let event = eventbridge(
        "aws.backup",
        "Copy Job State Change",
        json!(["arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0"]),
        json!({"backupSizeInBytes": 8589934592u64, "state": "CREATED", "resourceType": "EBS",
               "destinationBackupVaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr"}),
    );
    let event = only(&event);
    assert_eq!(event.key(), "7bf73129-1428-4cd3-a780-95db273d1602");
    match event {
        Event::CopyJob(j) => assert_eq!((j.copy_job_id, j.state.as_str()), (None, "CREATED")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_failed_copy_job_event_with_an_empty_destination_point_parses() {
    let event = eventbridge(
        "aws.backup",
        "Copy Job State Change",
        json!(["arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0"]),
        json!({"copyJobId": "3f2ab8c0-0000-4c1d-8e2f-112233445566", "state": "FAILED",
               "destinationRecoveryPointArn": {}, "backupSizeInBytes": 0,
               "sourceBackupVaultArn": "arn:aws:backup:us-east-1:123456789012:backup-vault:primary",
               "statusMessage": "Access denied"}),
    );
    match only(&event) {
        Event::CopyJob(j) => {
            assert_eq!(
                j.copy_job_id.as_deref(),
                Some("3f2ab8c0-0000-4c1d-8e2f-112233445566")
            );
            assert_eq!(j.status_message.as_deref(), Some("Access denied"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn documented_events_no_function_acts_on_are_other_events() {
    for (source, detail_type) in [
        ("aws.drs", "DRS Recovery Instance Failback State Change"),
        ("aws.mgn", "MGN Source Server Cutover Change"),
        ("aws.backup", "Restore Job State Change"),
        ("aws.backup", "Backup Vault State Change"),
        ("aws.cloudwatch", "CloudWatch Alarm Configuration Change"),
    ] {
        let event = eventbridge(
            source,
            detail_type,
            json!([]),
            json!({"anything": [1, "two"]}),
        );
        assert_eq!(
            only(&event),
            Event::Other(OtherEvent {
                id: Some("7bf73129-1428-4cd3-a780-95db273d1602".into()),
                source: source.into(),
                detail_type: detail_type.into(),
            }),
            "{detail_type}"
        );
    }
}

#[test]
fn an_mgn_event_without_asterisks_reads_the_same_as_aws_sample() {
    let event = eventbridge(
        "aws.mgn",
        "MGN Source Server Data Replication Stalled Change",
        json!(["arn:aws:mgn:us-east-1:123456789012:source-server/s-1234567890abcdef0"]),
        json!({"state": "NOT_STALLED"}),
    );
    match only(&event) {
        Event::Mgn(e) => {
            assert_eq!(e.source_server_id.as_str(), "s-1234567890abcdef0");
            assert_eq!(e.change, MgnChange::Stalled(StalledState::NotStalled));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn eventbridge_errors_name_the_field() {
    let stalled = "DRS Source Server Data Replication Stalled Change";
    let cases: Vec<(Value, &str)> = vec![
        (json!({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
         "unsupported EventBridge event: source `aws.ec2`, detail-type `EC2 Instance State-change Notification`"),
        (json!({"source": "aws.drs", "detail": {}}), "field `detail-type`: is missing"),
        (json!({"source": 5, "detail-type": "x", "detail": {}}), "field `source`: invalid type: integer `5`, expected a string"),
        (eventbridge("aws.drs", stalled, json!([]), json!({"state": "STALLED"})),
         "field `resources`: names no source server ARN"),
        (eventbridge("aws.drs", stalled, json!(["arn:aws:drs:us-east-1:123456789012:source-server/s-../../etc"]), json!({"state": "STALLED"})),
         "field `resources`: `s-../../etc` is not a source server id (s- followed by 17 letters or digits)"),
        (eventbridge("aws.drs", stalled, json!(["arn:aws:drs:us-east-1:123456789012:source-server/s-1234567890abcdef0"]), json!({"state": "RED"})),
         "field `detail.state`: `RED` is not STALLED or NOT_STALLED"),
        (eventbridge("aws.mgn", "MGN Source Server Data Replication Stalled Change",
                     json!(["arn:aws:mgn:us-east-1:123456789012:source-server/s-1234567890abcdef0"]), json!({"state": "*RED*"})),
         "field `detail.state`: `RED` is not STALLED or NOT_STALLED"),
        (eventbridge("aws.mgn", "MGN Source Server Launch Result",
                     json!(["arn:aws:mgn:us-east-1:123456789012:source-server/s-1234567890abcdef0"]), json!({"state": "TEST_LAUNCH_FAILED"})),
         "field `detail.job-id`: is missing from a launch result"),
        (eventbridge("aws.mgn", "MGN Source Server Lifecycle State Change",
                     json!(["arn:aws:mgn:us-east-1:999999999999:source-server/s-1234567890abcdef0"]), json!({"state": "READY_FOR_TEST"})),
         "field `resources`: `arn:aws:mgn:us-east-1:999999999999:source-server/s-1234567890abcdef0` is a source server of account 999999999999 in us-east-1, but the event comes from account 123456789012 in us-east-1"),
        (eventbridge("aws.drs", stalled,
                     json!(["arn:aws:drs:us-west-2:123456789012:source-server/s-1234567890abcdef0"]), json!({"state": "STALLED"})),
         "field `resources`: `arn:aws:drs:us-west-2:123456789012:source-server/s-1234567890abcdef0` is a source server of account 123456789012 in us-west-2, but the event comes from account 123456789012 in us-east-1"),
        (eventbridge("aws.mgn", "MGN Source Server Lifecycle State Change",
                     json!(["arn:aws:drs:us-east-1:123456789012:source-server/s-1234567890abcdef0"]), json!({"state": "READY_FOR_TEST"})),
         "field `resources`: `arn:aws:drs:us-east-1:123456789012:source-server/s-1234567890abcdef0` is a source server of drs, not of the event's source aws.mgn"),
        (eventbridge("aws.mgn", "MGN Source Server Lifecycle State Change", json!([]), json!({"state": "READY_FOR_TEST"})),
         "field `resources`: names no source server ARN"),
        (eventbridge("aws.backup", "Backup Job State Change", json!([]), json!({"state": "COMPLETED"})),
         "field `detail.backupJobId`: is missing"),
        (eventbridge("aws.backup", "Backup Job State Change", json!([]), json!("x")),
         "field `detail`: invalid type: string \"x\", expected struct BackupJobDetail"),
        (eventbridge("aws.cloudwatch", "CloudWatch Alarm State Change", json!([]),
                     json!({"alarmName": "a", "state": {"value": "RED", "reason": "r", "timestamp": "2026-11-20T10:00:00.000+0000"}, "configuration": {}})),
         "field `detail.state.value`: unknown variant `RED`, expected one of `OK`, `ALARM`, `INSUFFICIENT_DATA`"),
    ];
    for (event, want) in cases {
        assert_eq!(error(&event), want, "event {event}");
    }
}

#[test]
fn an_eventbridge_alarm_reads_dimensions_from_every_metric() {
    let event = eventbridge(
        "aws.cloudwatch",
        "CloudWatch Alarm State Change",
        json!(["arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-1-status-check"]),
        alarm_state_detail(json!({"description": null, "metrics": [
            {"id": "m1", "metricStat": {"metric": {"namespace": "AWS/EC2", "name": "StatusCheckFailed",
              "dimensions": {"InstanceId": "i-0abc1234def567890"}}, "period": 60, "stat": "Maximum"}, "returnData": true},
            {"id": "e1", "expression": "m1 * 2", "label": "double", "returnData": false}
        ]})),
    );
    let a = only_alarm(&event);
    assert_eq!(
        (a.state, a.previous_state),
        (AlarmState::Alarm, Some(AlarmState::Ok))
    );
    assert_eq!(
        (a.kind, a.delivery),
        (AlarmKind::Metric, AlarmDelivery::EventBridge)
    );
    assert_eq!(a.dimensions, dims(&[("InstanceId", "i-0abc1234def567890")]));
    assert_eq!(
        a.arn.as_deref(),
        Some("arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-1-status-check")
    );
}

#[test]
fn an_eventbridge_composite_alarm_has_its_rule_and_no_dimensions() {
    let event = eventbridge(
        "aws.cloudwatch",
        "CloudWatch Alarm State Change",
        json!(["arn:aws:cloudwatch:us-east-1:123456789012:alarm:site-down"]),
        alarm_state_detail(
            json!({"alarmRule": "ALARM(a) OR ALARM(b)", "actionsSuppressor": "", "actionsSuppressorWaitPeriod": 0, "actionsSuppressorExtensionPeriod": 0}),
        ),
    );
    let a = only_alarm(&event);
    assert_eq!(
        a.kind,
        AlarmKind::Composite {
            rule: Some("ALARM(a) OR ALARM(b)".into())
        }
    );
    assert!(a.dimensions.is_empty());
}

#[test]
fn a_contributor_state_change_takes_the_contributor_attributes_as_dimensions() {
    let event = eventbridge(
        "aws.cloudwatch",
        "CloudWatch Alarm Contributor State Change",
        json!(["arn:aws:cloudwatch:us-east-1:123456789012:alarm:fleet-status"]),
        json!({
            "alarmName": "fleet-status",
            "alarmContributor": {"id": "6d442278dba546f6", "attributes": {"InstanceId": "i-0abc1234def567890"}},
            "state": {"value": "ALARM", "reason": "r", "timestamp": "2026-11-20T10:00:00.000+0000"},
            "configuration": {"metrics": [{"id": "m1", "expression": "SELECT MAX(StatusCheckFailed) FROM \"AWS/EC2\" GROUP BY InstanceId", "returnData": true, "period": 60}]}
        }),
    );
    let a = only_alarm(&event);
    assert_eq!(
        a.kind,
        AlarmKind::Contributor {
            id: "6d442278dba546f6".into()
        }
    );
    assert_eq!(a.dimensions, dims(&[("InstanceId", "i-0abc1234def567890")]));
}

#[test]
fn the_lambda_alarm_action_is_read_as_an_alarm() {
    let event = json!({
        "source": "aws.cloudwatch",
        "alarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-1-status-check",
        "accountId": HOME,
        "time": "2026-11-20T10:00:00.000+0000",
        "region": "us-east-1",
        "alarmData": alarm_state_detail(json!({"description": "web 1", "metrics": [
            {"id": "m1", "metricStat": {"metric": {"namespace": "AWS/EC2", "name": "StatusCheckFailed",
              "dimensions": {"InstanceId": "i-0abc1234def567890"}}, "period": 60, "stat": "Maximum"}, "returnData": true}
        ]}))
    });
    let t = parse(&event).unwrap();
    assert_eq!(
        t.describe(),
        "alarm web-1-status-check (ALARM) via its Lambda action"
    );
    let a = only_alarm(&event);
    assert_eq!(a.delivery, AlarmDelivery::LambdaAction);
    assert_eq!(a.description.as_deref(), Some("web 1"));
    assert_eq!(a.dimensions, dims(&[("InstanceId", "i-0abc1234def567890")]));
}

#[test]
fn the_lambda_action_of_a_composite_alarm_is_a_composite_alarm() {
    let event = json!({
        "source": "aws.cloudwatch", "alarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:site-down",
        "accountId": HOME, "time": "2026-11-20T10:00:00.000+0000", "region": "us-east-1",
        "alarmData": alarm_state_detail(json!({"alarmRule": "ALARM(a)", "actionsSuppressor": null}))
    });
    assert_eq!(
        only_alarm(&event).kind,
        AlarmKind::Composite {
            rule: Some("ALARM(a)".into())
        }
    );
}

#[test]
fn an_sns_alarm_with_nulls_reads_its_dimensions() {
    let a = only_alarm(&sns(
        SNS_ALARM,
        json!({}),
        json!("ALARM: \"web-1-status-check\" in US East (N. Virginia)"),
    ));
    assert_eq!(
        (a.state, a.description.as_deref()),
        (AlarmState::Alarm, None)
    );
    assert_eq!(a.account.as_deref(), Some(HOME));
    assert_eq!(
        a.dimensions,
        dims(&[("InstanceId", "i-0abc1234def567890"), ("Hostname", "web-1")])
    );
}

#[test]
fn an_sns_metric_math_alarm_reads_the_dimensions_of_its_metrics_once() {
    let a = only_alarm(&sns(SNS_METRIC_MATH_ALARM, json!({}), json!(null)));
    assert_eq!(a.kind, AlarmKind::Metric);
    assert_eq!(a.dimensions, dims(&[("InstanceId", "i-0abc1234def567890")]));
}

#[test]
fn an_sns_anomaly_detection_alarm_without_a_threshold_reads_its_dimensions() {
    let a = only_alarm(&sns(SNS_ANOMALY_ALARM, json!({}), json!(null)));
    assert_eq!(a.previous_state, Some(AlarmState::InsufficientData));
    assert_eq!(a.dimensions, dims(&[("Hostname", "web-01")]));
}

#[test]
fn an_sns_composite_alarm_has_no_dimensions() {
    let msg = r#"{"AlarmName":"site-down","AlarmDescription":"composite","NewStateValue":"ALARM","OldStateValue":"OK","AlarmRule":"ALARM(a) OR ALARM(b)"}"#;
    let a = only_alarm(&sns(msg, json!(null), json!(null)));
    assert_eq!(
        a.kind,
        AlarmKind::Composite {
            rule: Some("ALARM(a) OR ALARM(b)".into())
        }
    );
    assert!(a.dimensions.is_empty());
}

fn vault(text: &str, attributes: Value) -> VaultNotification {
    match only(&sns(
        text,
        attributes,
        json!("Notification from AWS Backup"),
    )) {
        Event::VaultNotification(v) => v,
        other => panic!("expected a vault notification, got {other:?}"),
    }
}

#[test]
fn vault_notification_texts_of_every_wording_give_point_resource_and_job() {
    let cases = [
        (
            "An AWS Backup job was completed successfully. Recovery point ARN: arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0. Resource ARN : arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0. BackupJob ID : 1b2345b2-f22c-4dab-5eb6-bbc7890ed123",
            "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0",
            "arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0",
            "1b2345b2-f22c-4dab-5eb6-bbc7890ed123",
        ),
        (
            "An AWS Backup job was completed successfully. Recovery point ARN: arn:aws:backup:us-east-1:123456789012:recovery-point:4e8c1a3b-5d6f-4a7b-8c9d-0e1f2a3b4c5d. Resource ARN: arn:aws:dynamodb:us-east-1:123456789012:table/orders. Backup Job ID: 77aa66bb-55cc-44dd-33ee-22ff11aa00bb.",
            "arn:aws:backup:us-east-1:123456789012:recovery-point:4e8c1a3b-5d6f-4a7b-8c9d-0e1f2a3b4c5d",
            "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
            "77aa66bb-55cc-44dd-33ee-22ff11aa00bb",
        ),
        (
            "An AWS Backup job was completed successfully. Recovery point ARN : arn:aws:ec2:us-east-1::snapshot/snap-0fedcba9876543210. Backed up Resource ARN : arn:aws:ec2:us-east-1:123456789012:volume/vol-0fedcba9876543210. Backup Job Id : 9c8b7a6d-1111-2222-3333-444455556666",
            "arn:aws:ec2:us-east-1::snapshot/snap-0fedcba9876543210",
            "arn:aws:ec2:us-east-1:123456789012:volume/vol-0fedcba9876543210",
            "9c8b7a6d-1111-2222-3333-444455556666",
        ),
    ];
    for (text, rp, resource, job) in cases {
        let v = vault(text, json!({}));
        assert_eq!(v.state.as_deref(), Some("COMPLETED"), "{text}");
        assert_eq!(v.recovery_point_arn.as_deref(), Some(rp), "{text}");
        assert_eq!(v.resource_arn.as_deref(), Some(resource), "{text}");
        assert_eq!(v.job_id.as_deref(), Some(job), "{text}");
    }
}

#[test]
fn vault_notification_attributes_win_over_the_text() {
    let text = "An AWS Backup job was completed successfully. Recovery point ARN: arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0. BackupJob ID : 1b2345b2-f22c-4dab-5eb6-bbc7890ed123";
    let v = vault(
        text,
        json!({"EventType": {"Type": "String", "Value": "BACKUP_JOB"},
               "State": {"Type": "String", "Value": "FAILED"},
               "Id": {"Type": "String", "Value": "from-attribute"}}),
    );
    assert_eq!(
        (
            v.event_type.as_deref(),
            v.state.as_deref(),
            v.job_id.as_deref()
        ),
        (Some("BACKUP_JOB"), Some("FAILED"), Some("from-attribute"))
    );
    assert_eq!(v.message_id, "95df01b4-ee98-5cb9-9903-4c221d41eb5e");
}

#[test]
fn an_sns_forwarded_eventbridge_event_is_unwrapped() {
    let msg = eventbridge(
        "aws.drs",
        "DRS Source Server Data Replication Stalled Change",
        json!(["arn:aws:drs:us-east-1:123456789012:source-server/s-1234567890abcdef0"]),
        json!({"state": "STALLED"}),
    );
    let t = parse(&sns(&msg.to_string(), json!({}), json!(null))).unwrap();
    assert_eq!(
        t.describe(),
        "SNS: aws.drs DRS Source Server Data Replication Stalled Change"
    );
    assert!(matches!(
        t.events.as_slice(),
        [Event::ReplicationStalled(_)]
    ));
}

#[test]
fn sns_errors_name_the_field() {
    let cases: Vec<(Value, &str)> = vec![
        (json!({"Records": []}), "field `Records`: is empty"),
        (json!({"Records": {}}), "field `Records`: expected an array, found object"),
        (json!({"Records": [7]}), "field `Records[0].EventSource`: is missing or not a string"),
        (json!({"Records": [{"EventSource": "aws:sqs", "Sns": {}}]}), "field `Records[0].EventSource`: `aws:sqs` is not aws:sns; only SNS records are accepted"),
        (json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "s", "Sns": {"TopicArn": "t", "MessageId": "m"}}]}),
         "field `Records[0].Sns.Type`: is missing"),
        (sns(r#"{"AlarmName":"a","NewStateValue":5}"#, json!({}), json!(null)), "field `Records[0].Sns.Message.NewStateValue`: invalid type: integer `5`, expected a string"),
        (sns(r#"{"AlarmName":"a","NewStateValue":"RED"}"#, json!({}), json!(null)), "field `Records[0].Sns.Message.NewStateValue`: `RED` is not an alarm state (OK, ALARM, INSUFFICIENT_DATA)"),
        (sns(r#"{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{"Dimensions":[{"name":"InstanceId"}]}}"#, json!({}), json!(null)),
         "field `Records[0].Sns.Message.Trigger.Dimensions[0].value`: is missing"),
        (sns("x", json!({"State": {"Type": "String"}}), json!(null)), "field `Records[0].Sns.MessageAttributes.State.Value`: is missing"),
    ];
    for (event, want) in cases {
        assert_eq!(error(&event), want, "event {event}");
    }
}

#[test]
fn a_plain_text_message_on_an_accepted_topic_is_an_other_event() {
    match only(&sns("hello there", json!({}), json!(null))) {
        Event::Other(o) => assert_eq!(
            o.id.as_deref(),
            Some("95df01b4-ee98-5cb9-9903-4c221d41eb5e")
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_notification_of_a_topic_not_accepted_is_skipped_unread() {
    let topics = [Arn::parse(TOPIC).unwrap()];
    let elsewhere = "arn:aws:sns:us-east-1:123456789012:elsewhere";
    let t = parse_for(
        &sns_on(elsewhere, "not even JSON", json!({}), json!(null)),
        Admission {
            home_account: Some(HOME),
            fleet_accounts: &[],
            trigger_topics: &topics,
        },
    )
    .unwrap();
    assert!(t.events.is_empty());
    assert_eq!(t.skips.listed()[0].target, elsewhere);
    assert_eq!(
        t.describe(),
        format!("SNS: notification from {elsewhere} (not accepted)")
    );
}

#[test]
fn not_handled_names_the_event_and_the_function() {
    let event = only(&sns(SNS_ALARM, json!({}), json!(null)));
    let skip = Trigger::not_handled(&event, "backup-copy-fanout");
    assert_eq!(skip.target, "web-1-status-check");
    assert_eq!(
        skip.reason,
        "alarm web-1-status-check (ALARM): not handled by backup-copy-fanout"
    );
}

#[test]
fn describe_is_one_line() {
    let t = parse(&sns(SNS_ALARM, json!({}), json!(null))).unwrap();
    assert_eq!(t.describe(), "SNS: alarm web-1-status-check (ALARM)");
    assert!(!t.dry_run);
}

#[test]
fn events_from_another_account_are_refused() {
    let other = "999999999999";
    let forwarded = |account: &str| {
        sns(
            &eventbridge(
                "aws.drs",
                "DRS Recovery Instance Failback State Change",
                json!([]),
                json!({}),
            )
            .to_string()
            .replace(HOME, account),
            json!({}),
            Value::Null,
        )
    };
    let direct = |account: &str| {
        eventbridge(
            "aws.drs",
            "DRS Recovery Instance Failback State Change",
            json!([]),
            json!({}),
        )
        .to_string()
        .replace(HOME, account)
    };
    let action = json!({"source": "aws.cloudwatch", "alarmArn": "arn:aws:cloudwatch:us-east-1:999999999999:alarm:a",
        "accountId": other, "time": "2026-11-20T10:00:00.000+0000", "region": "us-east-1",
        "alarmData": alarm_state_detail(json!({}))});
    let cases: Vec<(Value, Option<&str>, Result<(), String>)> = vec![
        (json!({"targets": ["s-1"]}), Some(HOME), Ok(())),
        (serde_json::from_str(&direct(HOME)).unwrap(), Some(HOME), Ok(())),
        (serde_json::from_str(&direct(other)).unwrap(), None, Ok(())),
        (serde_json::from_str(&direct(other)).unwrap(), Some(HOME),
         Err("the event is from account 999999999999; this function serves account 123456789012 (ACCOUNT_ID)".into())),
        (forwarded(HOME), Some(HOME), Ok(())),
        (forwarded(HOME), Some("210987654321"),
         Err("the SNS topic is from account 123456789012; this function serves account 210987654321 (ACCOUNT_ID)".into())),
        (sns_on("arn:aws:sns:us-east-1:123456789012:dr-alarms", &direct(other), json!({}), Value::Null), Some(HOME),
         Err("the forwarded event is from account 999999999999; this function serves account 123456789012 (ACCOUNT_ID)".into())),
        (action, Some(HOME),
         Err("the alarm is from account 999999999999; this function serves account 123456789012 (ACCOUNT_ID)".into())),
    ];
    for (event, home, want) in cases {
        let got = parse_for(
            &event,
            Admission {
                home_account: home,
                fleet_accounts: &[],
                trigger_topics: &[],
            },
        )
        .map(|_| ())
        .map_err(|e| e.to_string());
        assert_eq!(got, want, "{event}");
    }
}

#[test]
fn a_direct_invoke_cannot_name_a_destination_role_or_topic() {
    for field in [
        "destinationVaultArn",
        "iamRoleArn",
        "reportTopicArn",
        "accountId",
        "region",
    ] {
        let event = json!({"targets": ["s-1234567890abcdef0"], field: "arn:aws:iam::1:role/x"});
        let err = parse(&event).expect_err(field);
        assert!(
            err.to_string()
                .contains(&format!("unknown field `{field}`")),
            "{field}: {err}"
        );
    }
}

#[test]
fn a_direct_invoke_may_name_one_target_by_account_and_region() {
    let t = parse(&json!({"schedule": "s", "target": {"account": HOME, "region": "us-west-2"}}))
        .unwrap();
    assert_eq!(
        t.target(),
        Some(&TargetSelector {
            account: HOME.into(),
            region: "us-west-2".into()
        })
    );
    assert!(matches!(t.events[0], Event::Schedule(_)));
}

#[test]
fn a_target_that_names_a_role_or_lacks_a_field_is_refused() {
    let cases = [
        (
            json!({"account": HOME, "region": "us-east-1", "role": "arn:aws:iam::1:role/x"}),
            "field `target`: unknown field `role` (a target names only account and region)",
        ),
        (
            json!({"account": HOME}),
            "field `target.region`: is missing",
        ),
        (
            json!({"account": 123, "region": "us-east-1"}),
            "field `target.account`: expected a non-empty string, found number",
        ),
        (
            json!("123456789012/us-east-1"),
            "field `target`: expected an object with account and region, found string",
        ),
    ];
    for (target, want) in cases {
        let err = parse(&json!({"target": target})).unwrap_err().to_string();
        assert!(err.ends_with(want), "{target}: {err}");
    }
}

#[test]
fn a_service_event_comes_from_its_envelopes_account_and_region() {
    let mut event = eventbridge(
        "aws.backup",
        "Backup Job State Change",
        json!([]),
        json!({"backupJobId": "b-1", "state": "COMPLETED"}),
    );
    event["account"] = json!("234567890123");
    event["region"] = json!("eu-west-1");
    let accounts = [HOME.to_owned(), "234567890123".to_owned()];
    let t = parse_for(
        &event,
        Admission {
            home_account: Some(HOME),
            fleet_accounts: &accounts,
            trigger_topics: &[],
        },
    )
    .unwrap();
    let origins: Vec<&Origin> = t.origins().collect();
    assert_eq!(
        origins,
        [&Origin {
            account: Some("234567890123".into()),
            region: Some("eu-west-1".into())
        }]
    );
}

#[test]
fn schedules_and_alarms_concern_the_whole_fleet() {
    let schedule = eventbridge("aws.events", "Scheduled Event", json!([]), json!({}));
    let alarm = sns(SNS_ALARM, json!({}), json!(null));
    for event in [schedule, alarm, json!({})] {
        let t = parse(&event).unwrap();
        assert!(t.origins().all(|o| *o == Origin::default()), "{event}");
    }
}

#[test]
fn a_vault_notification_comes_from_its_recovery_points_account_and_region() {
    let point = "arn:aws:backup:eu-west-1:234567890123:recovery-point:4e8c1a3b";
    let text = format!("An AWS Backup job was completed successfully. Recovery point ARN: {point}. Backup Job ID: j-1.");
    let t = parse(&sns(
        &text,
        json!({}),
        json!("Notification from AWS Backup"),
    ))
    .unwrap();
    let origin = t.origins().next().cloned().unwrap_or_default();
    assert_eq!(
        (origin.account.as_deref(), origin.region.as_deref()),
        (Some("234567890123"), Some("eu-west-1"))
    );
    let snapshot = "An AWS Backup job was completed successfully. Recovery point ARN: arn:aws:ec2:us-west-2::snapshot/snap-1. Backup Job ID: j-1.";
    let t = parse(&sns(
        snapshot,
        json!({"AccountId": {"Type": "String", "Value": "345678901234"}}),
        json!("Notification from AWS Backup"),
    ))
    .unwrap();
    let origin = t.origins().next().cloned().unwrap_or_default();
    assert_eq!(
        (origin.account.as_deref(), origin.region.as_deref()),
        (Some("345678901234"), Some("us-west-2"))
    );
}

#[test]
fn events_of_fleet_accounts_are_admitted_and_others_refused() {
    let accounts = [HOME.to_owned(), "234567890123".to_owned()];
    let admission = Admission {
        home_account: Some(HOME),
        fleet_accounts: &accounts,
        trigger_topics: &[],
    };
    let from = |account: &str| {
        let mut e = eventbridge(
            "aws.drs",
            "DRS Source Server Data Replication Stalled Change",
            json!([format!(
                "arn:aws:drs:us-east-1:{account}:source-server/s-1234567890abcdef0"
            )]),
            json!({"state": "STALLED"}),
        );
        e["account"] = json!(account);
        e
    };
    assert!(parse_for(&from("234567890123"), admission).is_ok());
    assert_eq!(
        parse_for(&from("999999999999"), admission)
            .unwrap_err()
            .to_string(),
        "the event is from account 999999999999; this function serves accounts 123456789012, \
         234567890123 (FLEET)"
    );
}

#[test]
fn one_targets_view_keeps_only_the_events_it_covers() {
    let t = Trigger::from_events(vec![
        Event::Schedule(Schedule { name: None }),
        Event::Schedule(Schedule {
            name: Some("b".into()),
        }),
    ])
    .with_origins(vec![
        Origin::default(),
        Origin {
            account: Some("234567890123".into()),
            region: None,
        },
    ]);
    let home = t.only(|o| o.account.as_deref().is_none_or(|a| a == HOME));
    assert_eq!(home.events.len(), 1);
    let member = t.only(|o| o.account.as_deref().is_none_or(|a| a == "234567890123"));
    assert_eq!(member.events.len(), 2);
}

#[test]
fn schedules_and_alarms_of_the_home_account_are_admitted_when_it_is_not_a_target() {
    let members = ["234567890123".to_owned()];
    let admission = Admission {
        home_account: Some(HOME),
        fleet_accounts: &members,
        trigger_topics: &[],
    };
    let schedule = eventbridge("aws.events", "Scheduled Event", json!([]), json!({}));
    assert!(parse_for(&schedule, admission).is_ok());
    assert!(parse_for(&sns(SNS_ALARM, json!({}), json!(null)), admission).is_ok());
    let stalled = eventbridge(
        "aws.drs",
        "DRS Source Server Data Replication Stalled Change",
        json!(["arn:aws:drs:us-east-1:123456789012:source-server/s-1234567890abcdef0"]),
        json!({"state": "STALLED"}),
    );
    assert_eq!(
        parse_for(&stalled, admission).unwrap_err().to_string(),
        "the event is from account 123456789012; this function serves accounts 234567890123 \
         (FLEET)"
    );
}
