use super::*;
use serde_json::json;

fn sns(message: &str, attributes: Value, subject: Value) -> Value {
    json!({"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:dr-alarms:8a2b6d6e-1111-2222-3333-444455556666",
        "Sns": {
            "Type": "Notification",
            "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:dr-alarms",
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

fn only_sns(t: Trigger) -> SnsMessage {
    match t {
        Trigger::Sns(mut n) if n.len() == 1 => n.remove(0).message,
        other => panic!("expected one SNS notification, got {other:?}"),
    }
}

const SNS_ALARM: &str = r#"{"AlarmName":"web-1-status-check","AlarmDescription":null,"AWSAccountId":"123456789012","AlarmConfigurationUpdatedTimestamp":"2026-11-01T09:00:00.000+0000","NewStateValue":"ALARM","NewStateReason":"Threshold Crossed","StateChangeTime":"2026-11-20T10:00:00.000+0000","Region":"US East (N. Virginia)","AlarmArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-1-status-check","OldStateValue":"OK","OKActions":[],"AlarmActions":["arn:aws:sns:us-east-1:123456789012:dr-alarms"],"InsufficientDataActions":[],"Trigger":{"MetricName":"StatusCheckFailed","Namespace":"AWS/EC2","StatisticType":"Statistic","Statistic":"MAXIMUM","Unit":null,"Dimensions":[{"value":"i-0abc1234def567890","name":"InstanceId"},{"value":"web-1","name":"Hostname"}],"Period":60,"EvaluationPeriods":2,"DatapointsToAlarm":2,"ComparisonOperator":"GreaterThanOrEqualToThreshold","Threshold":1.0,"TreatMissingData":"missing","EvaluateLowSampleCountPercentile":""}}"#;

#[test]
fn custom_input_table() {
    let cases: Vec<(Value, Result<Trigger, &str>)> = vec![
        (json!({}), Ok(Trigger::Schedule(Schedule { name: None, dry_run: false }))),
        (
            json!({"schedule": "nightly", "dryRun": true}),
            Ok(Trigger::Schedule(Schedule { name: Some("nightly".into()), dry_run: true })),
        ),
        (
            json!({"targets": ["s-1234567890abcdef0"], "dryRun": false}),
            Ok(Trigger::Direct(DirectInvoke { targets: vec!["s-1234567890abcdef0".into()], dry_run: false })),
        ),
        (json!({"targets": []}), Err("field `targets`: is empty")),
        (json!({"targets": vec!["s-1"; 4001]}), Err("field `targets`: names 4001 targets; at most 4000 per invocation")),
        (json!({"targets": "s-1"}), Err("field `targets`: expected an array of strings, found string")),
        (json!({"targets": ["a", 7]}), Err("field `targets[1]`: expected a string, found number")),
        (json!({"dryRun": "yes"}), Err("field `dryRun`: expected true or false, found string")),
        (json!({"schedule": "a", "targets": ["b"]}), Err("field `targets`: give either `schedule` or `targets`, not both")),
        (json!({"topicArn": "arn:aws:sns:us-east-1:999999999999:evil"}), Err("unrecognised event: unknown field `topicArn` (custom input takes schedule, targets, dryRun)")),
        (json!([1, 2]), Err("event is a JSON array, expected an object")),
        (json!("hello"), Err("event is a JSON string, expected an object")),
        (json!(null), Err("event is a JSON null, expected an object")),
    ];
    for (event, want) in cases {
        let got = parse(&event).map_err(|e| e.to_string());
        assert_eq!(got, want.map_err(str::to_owned), "event {event}");
    }
}

#[test]
fn eventbridge_table() {
    let scheduled = json!({
        "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": "2026-11-20T10:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/drs-start-replication-schedule"], "detail": {}
    });
    assert_eq!(
        parse(&scheduled),
        Ok(Trigger::Schedule(Schedule {
            name: Some("drs-start-replication-schedule".into()),
            dry_run: false
        }))
    );

    let stalled = json!({
        "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "DRS Source Server Data Replication Stalled Change", "source": "aws.drs",
        "account": "123456789012", "time": "2026-11-20T10:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:drs:us-east-1:123456789012:source-server/s-1234567890abcdef0"],
        "detail": {"state": "STALLED"}
    });
    match parse(&stalled) {
        Ok(Trigger::Service(e)) => assert_eq!(
            e.kind,
            ServiceEventKind::DrsReplicationStalled {
                source_server_id: "s-1234567890abcdef0".into(),
                state: "STALLED".into()
            }
        ),
        other => panic!("{other:?}"),
    }

    let backup = json!({
        "version": "0", "id": "c5c4a8b1-2222-4c7e-9f10-a1b2c3d4e5f6", "detail-type": "Backup Job State Change",
        "source": "aws.backup", "account": "123456789012", "time": "2026-11-20T10:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0"],
        "detail": {"backupJobId": "8a2c1e4f-0000-4b6e-9d1c-0a1b2c3d4e5f", "backupSizeInBytes": "8589934592",
                   "backupVaultArn": "arn:aws:backup:us-east-1:123456789012:backup-vault:primary",
                   "backupVaultName": "primary", "bytesTransferred": "8589934592",
                   "creationDate": "2026-11-20T09:00:00.000Z", "iamRoleArn": "arn:aws:iam::123456789012:role/backup",
                   "resourceArn": "arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0",
                   "resourceType": "EBS", "state": "COMPLETED", "completionDate": "2026-11-20T09:30:00.000Z"}
    });
    match parse(&backup) {
        Ok(Trigger::Service(ServiceEvent {
            kind: ServiceEventKind::BackupJob(j),
            ..
        })) => {
            assert_eq!(
                j.recovery_point_arn.as_deref(),
                Some("arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0")
            );
            assert_eq!(j.state, "COMPLETED");
            assert_eq!(j.backup_vault_name.as_deref(), Some("primary"));
        }
        other => panic!("{other:?}"),
    }

    let errors: Vec<(Value, &str)> = vec![
        (json!({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
         "unsupported EventBridge event: source `aws.ec2`, detail-type `EC2 Instance State-change Notification`"),
        (json!({"source": "aws.drs", "detail": {}}), "field `detail-type`: is missing"),
        (json!({"source": 5, "detail-type": "x"}), "field `source`: expected a string, found number"),
        (json!({"source": "aws.drs", "detail-type": "DRS Source Server Data Replication Stalled Change", "resources": [], "detail": {"state": "STALLED"}}),
         "field `resources`: names no DRS source server ARN"),
        (json!({"source": "aws.drs", "detail-type": "DRS Source Server Data Replication Stalled Change",
                "resources": ["arn:aws:drs:us-east-1:1:source-server/s-../../etc"], "detail": {"state": "STALLED"}}),
         "field `resources`: `s-../../etc` is not a source server id (s- and 17 letters or digits)"),
        (json!({"source": "aws.backup", "detail-type": "Backup Job State Change", "detail": {"state": "COMPLETED"}}),
         "field `detail.backupJobId`: is missing"),
        (json!({"source": "aws.backup", "detail-type": "Backup Job State Change", "detail": "x"}),
         "field `detail`: expected an object, found string"),
        (json!({"source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change", "detail": {"alarmName": "a", "state": {"value": "RED"}}}),
         "field `detail.state.value`: `RED` is not an alarm state (OK, ALARM, INSUFFICIENT_DATA)"),
    ];
    for (event, want) in errors {
        assert_eq!(
            parse(&event).map_err(|e| e.to_string()),
            Err(want.to_owned()),
            "event {event}"
        );
    }
}

#[test]
fn eventbridge_alarm_reads_dimensions_from_every_metric() {
    let event = json!({
        "version": "0", "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92", "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch", "account": "123456789012", "time": "2026-11-20T10:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-1-status-check"],
        "detail": {
            "alarmName": "web-1-status-check",
            "state": {"value": "ALARM", "reason": "Threshold Crossed", "timestamp": "2026-11-20T10:00:00.000+0000"},
            "previousState": {"value": "OK", "timestamp": "2026-11-19T10:00:00.000+0000"},
            "configuration": {"description": null, "metrics": [
                {"id": "m1", "metricStat": {"metric": {"namespace": "AWS/EC2", "name": "StatusCheckFailed",
                  "dimensions": {"InstanceId": "i-0abc1234def567890"}}, "period": 60, "stat": "Maximum"}, "returnData": true},
                {"id": "e1", "expression": "m1 * 2", "returnData": false}
            ]}
        }
    });
    match parse(&event) {
        Ok(Trigger::Alarm(a)) => {
            assert_eq!(a.name, "web-1-status-check");
            assert_eq!(a.state, AlarmState::Alarm);
            assert_eq!(a.previous_state, Some(AlarmState::Ok));
            assert_eq!(a.description, None);
            assert_eq!(
                a.dimensions,
                vec![Dimension {
                    name: "InstanceId".into(),
                    value: "i-0abc1234def567890".into()
                }]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn sns_alarm_with_nulls() {
    match only_sns(
        parse(&sns(
            SNS_ALARM,
            json!({}),
            json!("ALARM: \"web-1-status-check\" in US East (N. Virginia)"),
        ))
        .unwrap(),
    ) {
        SnsMessage::Alarm(a) => {
            assert_eq!(a.state, AlarmState::Alarm);
            assert_eq!(a.description, None);
            assert_eq!(a.account.as_deref(), Some("123456789012"));
            assert_eq!(a.dimensions.len(), 2);
            assert_eq!(
                a.dimensions[0],
                Dimension {
                    name: "InstanceId".into(),
                    value: "i-0abc1234def567890".into()
                }
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn sns_composite_alarm_has_no_dimensions() {
    let msg = r#"{"AlarmName":"site-down","AlarmDescription":"composite","NewStateValue":"ALARM","OldStateValue":"OK","AlarmRule":"ALARM(a) OR ALARM(b)"}"#;
    match only_sns(parse(&sns(msg, json!(null), json!(null))).unwrap()) {
        SnsMessage::Alarm(a) => assert!(a.dimensions.is_empty()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn backup_vault_notification_variants() {
    let attrs = json!({
        "EventType": {"Type": "String", "Value": "BACKUP_JOB"},
        "State": {"Type": "String", "Value": "COMPLETED"},
        "AccountId": {"Type": "String", "Value": "123456789012"},
        "Id": {"Type": "String", "Value": "1b2345b2-f22c-4dab-5eb6-bbc7890ed123"},
        "StartTime": {"Type": "String", "Value": "2026-11-20T09:00:00.226Z"}
    });
    let variant_a = "An AWS Backup job was completed successfully. Recovery point ARN: arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0. Resource ARN : arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0. BackupJob ID : 1b2345b2-f22c-4dab-5eb6-bbc7890ed123";
    let variant_b = "An AWS Backup job was completed successfully. Recovery point ARN: arn:aws:backup:us-east-1:123456789012:recovery-point:4e8c1a3b-5d6f-4a7b-8c9d-0e1f2a3b4c5d. Resource ARN: arn:aws:dynamodb:us-east-1:123456789012:table/orders. Backup Job ID: 77aa66bb-55cc-44dd-33ee-22ff11aa00bb.";
    let cases = [
        (variant_a, attrs.clone(), "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0", "arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0", "1b2345b2-f22c-4dab-5eb6-bbc7890ed123"),
        (variant_b, json!({}), "arn:aws:backup:us-east-1:123456789012:recovery-point:4e8c1a3b-5d6f-4a7b-8c9d-0e1f2a3b4c5d", "arn:aws:dynamodb:us-east-1:123456789012:table/orders", "77aa66bb-55cc-44dd-33ee-22ff11aa00bb"),
    ];
    for (text, attrs, rp, resource, job) in cases {
        match only_sns(parse(&sns(text, attrs, json!("Notification from AWS Backup"))).unwrap()) {
            SnsMessage::BackupVault(v) => {
                assert_eq!(v.state.as_deref(), Some("COMPLETED"), "{text}");
                assert_eq!(v.recovery_point_arn.as_deref(), Some(rp), "{text}");
                assert_eq!(v.resource_arn.as_deref(), Some(resource), "{text}");
                assert_eq!(v.job_id.as_deref(), Some(job), "{text}");
            }
            other => panic!("{other:?}"),
        }
    }
    // Attributes win over the text.
    let failed_attrs = json!({"EventType": {"Type": "String", "Value": "BACKUP_JOB"}, "State": {"Type": "String", "Value": "FAILED"}});
    match only_sns(parse(&sns(variant_a, failed_attrs, json!(null))).unwrap()) {
        SnsMessage::BackupVault(v) => assert_eq!(v.state.as_deref(), Some("FAILED")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn sns_forwarded_eventbridge_event() {
    let msg = json!({"version": "0", "id": "e1", "detail-type": "DRS Source Server Data Replication Stalled Change",
        "source": "aws.drs", "account": "123456789012", "region": "us-east-1",
        "resources": ["arn:aws:drs:us-east-1:123456789012:source-server/s-1234567890abcdef0"], "detail": {"state": "STALLED"}});
    match only_sns(parse(&sns(&msg.to_string(), json!({}), json!(null))).unwrap()) {
        SnsMessage::Service(e) => assert_eq!(e.source, "aws.drs"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn sns_errors_name_the_field() {
    let cases: Vec<(Value, &str)> = vec![
        (json!({"Records": []}), "field `Records`: is empty"),
        (json!({"Records": {}}), "field `Records`: expected an array, found object"),
        (json!({"Records": [7]}), "field `Records[0]`: expected an object, found number"),
        (json!({"Records": [{"EventSource": "aws:sqs", "Sns": {}}]}), "field `Records[0].EventSource`: `aws:sqs` is not aws:sns; only SNS records are accepted"),
        (json!({"Records": [{"EventSource": "aws:sns", "Sns": {"TopicArn": "t", "MessageId": "m"}}]}), "field `Records[0].Sns.Message`: is missing"),
        (sns("hello there", json!({}), json!(null)), "field `Records[0].Sns.Message`: is neither a CloudWatch alarm, an AWS Backup vault notification nor an EventBridge event"),
        (sns(r#"{"AlarmName":"a","NewStateValue":5}"#, json!({}), json!(null)), "field `Records[0].Sns.Message.NewStateValue`: expected a string, found number"),
        (sns(r#"{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{"Dimensions":[{"name":"InstanceId"}]}}"#, json!({}), json!(null)),
         "field `Records[0].Sns.Message.Trigger.Dimensions[0].value`: is missing"),
        (sns("x", json!({"State": {"Type": "String"}}), json!(null)), "field `Records[0].Sns.MessageAttributes.State.Value`: is missing or not a string"),
    ];
    for (event, want) in cases {
        assert_eq!(
            parse(&event).map_err(|e| e.to_string()),
            Err(want.to_owned()),
            "event {event}"
        );
    }
}

#[test]
fn source_server_id_pattern() {
    for (id, ok) in [
        ("s-1234567890abcdef0", true),
        ("s-1234567890ABCDEF0", true),
        ("s-1234567890abcdef", false),
        ("x-1234567890abcdef0", false),
        ("s-1234567890abcdef-", false),
        ("", false),
    ] {
        assert_eq!(is_source_server_id(id), ok, "{id}");
    }
}

#[test]
fn describe_is_one_line() {
    let t = parse(&sns(SNS_ALARM, json!({}), json!(null))).unwrap();
    assert_eq!(t.describe(), "SNS: alarm web-1-status-check (ALARM)");
    assert!(!t.dry_run());
}

#[test]
fn origin_table() {
    const HOME: &str = "123456789012";
    let forwarded = |account: &str| {
        sns(
            &json!({"version": "0", "source": "aws.drs", "detail-type": "x", "account": account, "detail": {}})
                .to_string(),
            json!({}),
            Value::Null,
        )
    };
    let cases = [
        (json!({"targets": ["s-1"]}), Some(HOME), Ok(())),
        (json!({"account": HOME, "source": "aws.drs"}), Some(HOME), Ok(())),
        (json!({"account": "999999999999", "source": "aws.drs"}), None, Ok(())),
        (
            json!({"account": "999999999999", "source": "aws.drs"}),
            Some(HOME),
            Err("the event is from account 999999999999; this function serves account 123456789012 (ACCOUNT_ID)"),
        ),
        (sns("{}", json!({}), Value::Null), Some(HOME), Ok(())),
        (
            sns("{}", json!({}), Value::Null),
            Some("210987654321"),
            Err("the SNS topic is from account 123456789012; this function serves account 210987654321 (ACCOUNT_ID)"),
        ),
        (forwarded(HOME), Some(HOME), Ok(())),
        (
            forwarded("999999999999"),
            Some(HOME),
            Err("the forwarded event is from account 999999999999; this function serves account 123456789012 (ACCOUNT_ID)"),
        ),
    ];
    for (event, home, want) in cases {
        let got = check_origin(&event, home).map_err(|e| e.to_string());
        assert_eq!(got, want.map_err(str::to_owned), "{event}");
    }
    let scheduled = |account: &str| {
        json!({"version": "0", "id": "1", "source": "aws.events", "detail-type": "Scheduled Event",
               "account": account, "region": "us-east-1", "time": "2026-11-20T10:00:00Z",
               "resources": ["arn:aws:events:us-east-1:123456789012:rule/nightly"], "detail": {}})
    };
    assert!(matches!(
        parse_for(&scheduled(HOME), Some(HOME)),
        Ok(Trigger::Schedule(_))
    ));
    assert!(matches!(
        parse_for(&scheduled("999999999999"), Some(HOME)),
        Err(TriggerError::ForeignAccount { .. })
    ));
}
