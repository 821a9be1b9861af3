//! Hostile and malformed input, through every function's real binary: each payload of a corpus
//! (built below from the sample events and by hand) ends in a typed error or a clean skip, never
//! a panic, and no call that changes anything reaches the emulator. mgn-replication runs with
//! [`mgn::SERVERS`], which names every demo MGN server, and the MGN events topic is a trigger
//! topic.

use crate::MUTATING;
use dr_core::report::RunReport;
use dr_e2e::demo::{self, FUNCTIONS};
use dr_e2e::{events_dir, mgn, Fleet, Invocation, INVOKE_TIMEOUT};
use dr_emulator::{Emulator, Fixture};
use dr_testkit::samples::json_files;
use serde_json::{json, Value};

const FOREIGN_ACCOUNT: &str = "999999999999";

/// One payload of the corpus and why it is hostile.
struct Hostile {
    why: String,
    payload: Vec<u8>,
}

fn hostile(why: impl Into<String>, payload: impl Into<Vec<u8>>) -> Hostile {
    Hostile {
        why: why.into(),
        payload: payload.into(),
    }
}

fn value(why: impl Into<String>, v: Value) -> Hostile {
    hostile(why, v.to_string().into_bytes())
}

/// The sample events, by path relative to `events/`, and their text.
fn samples() -> Vec<(String, String)> {
    let files = json_files(&events_dir()).unwrap_or_else(|e| panic!("{e}"));
    files
        .into_iter()
        .map(|(name, path)| {
            let text = std::fs::read_to_string(&path).expect("sample event readable");
            (name, text)
        })
        .collect()
}

/// The corpus: derived from every sample event (truncated; from a foreign account; from a
/// topic outside the configuration) and written by hand (wrong types, unknown sources, names
/// outside the configuration, sizes and shapes no parser should choke on).
fn corpus() -> Vec<Hostile> {
    let config = demo::config();
    let (account, alarm_topic) = (config.var("ACCOUNT_ID"), config.alarm_topic());
    let mut corpus = Vec::new();
    for (name, text) in samples() {
        let bytes = text.trim_end().as_bytes();
        corpus.push(hostile(
            format!("{name} truncated to half"),
            &bytes[..bytes.len() / 2],
        ));
        corpus.push(hostile(
            format!("{name} without its closing brace"),
            &bytes[..bytes.len() - 1],
        ));
        if text.contains(account) {
            corpus.push(hostile(
                format!("{name} from a foreign account (every ARN and account id rewritten)"),
                text.replace(account, FOREIGN_ACCOUNT),
            ));
        }
        for topic in [
            alarm_topic,
            config.vault_topic(),
            config.sms_events_topic(),
            mgn::EVENTS_TOPIC,
        ] {
            if text.contains(topic) {
                corpus.push(hostile(
                    format!("{name} from a topic outside the configuration"),
                    text.replace(topic, "arn:aws:sns:us-east-1:123456789012:not-configured"),
                ));
            }
        }
    }

    corpus.extend([
        hostile("an empty payload", ""),
        hostile("not JSON", "drop table source_servers;"),
        hostile("invalid UTF-8", vec![0xff, 0xfe, 0x7b, 0x00, 0x80]),
        hostile("a lone opening brace", "{"),
        hostile("JSON nested 100,000 deep", "[".repeat(100_000)),
        hostile(
            "a 6 MB string",
            format!("{{\"targets\": [\"{}\"]}}", "s".repeat(6 << 20)),
        ),
        value(
            "200,000 ids of a server that does not exist",
            json!({"targets": vec!["s-00000000000000000"; 200_000]}),
        ),
        value("null", Value::Null),
        value("a number", json!(42)),
        value("an array", json!([{"targets": ["s-eee65f53e9421ce50"]}])),
        value("targets as a string", json!({"targets": "s-eee65f53e9421ce50"})),
        value("targets as numbers", json!({"targets": [1, 2, 3]})),
        value("dryRun as a string", json!({"dryRun": "false"})),
        value("schedule as a number", json!({"schedule": 5})),
        value(
            "an unknown field beside targets",
            json!({"targets": ["s-eee65f53e9421ce50"], "roleArn": "arn:aws:iam::999999999999:role/x"}),
        ),
        value(
            "an unknown source",
            json!({"version": "0", "id": "1", "source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "account": account, "region": "us-east-1", "time": "2026-11-20T10:00:00Z", "resources": [], "detail": {"instance-id": "i-211670eae679f02e8", "state": "stopped"}}),
        ),
        value(
            "a custom source posing as DRS",
            json!({"version": "0", "id": "1", "source": "custom.drs", "detail-type": "DRS Source Server Data Replication Stalled Change", "account": account, "region": "us-east-1", "time": "2026-11-20T10:00:00Z", "resources": ["arn:aws:drs:us-east-1:123456789012:source-server/s-eee65f53e9421ce50"], "detail": {"state": "STALLED"}}),
        ),
        value(
            "detail-type as an array",
            json!({"source": "aws.drs", "detail-type": ["x"], "detail": {}}),
        ),
        value(
            "a custom source posing as MGN",
            json!({"version": "0", "id": "1", "source": "custom.mgn", "detail-type": "MGN Source Server Data Replication Stalled Change", "account": account, "region": "us-east-1", "time": "2026-11-20T10:00:00Z", "resources": ["arn:aws:mgn:us-east-1:123456789012:source-server/s-e5ce0a68da08eaa27"], "detail": {"state": "STALLED"}}),
        ),
        value(
            "an MGN stall naming a job, not a source server",
            json!({"version": "0", "id": "1", "source": "aws.mgn", "detail-type": "MGN Source Server Data Replication Stalled Change", "account": account, "region": "us-east-1", "time": "2026-11-20T10:00:00Z", "resources": ["arn:aws:mgn:us-east-1:123456789012:job/mgnjob-04ca7d0d3fb6afa3e"], "detail": {"state": "STALLED"}}),
        ),
        value(
            "an MGN stall of a state MGN does not send",
            json!({"version": "0", "id": "1", "source": "aws.mgn", "detail-type": "MGN Source Server Data Replication Stalled Change", "account": account, "region": "us-east-1", "time": "2026-11-20T10:00:00Z", "resources": ["arn:aws:mgn:us-east-1:123456789012:source-server/s-580e03ba785ad25b7"], "detail": {"state": "RETRY_NOW"}}),
        ),
        value(
            "an MGN launch result without its job",
            json!({"version": "0", "id": "1", "source": "aws.mgn", "detail-type": "MGN Source Server Launch Result", "account": account, "region": "us-east-1", "time": "2026-11-20T10:00:00Z", "resources": ["arn:aws:mgn:us-east-1:123456789012:source-server/s-580e03ba785ad25b7"], "detail": {"state": "TEST_LAUNCH_SUCCEEDED"}}),
        ),
        value(
            "an MGN event of a type MGN does not send",
            json!({"version": "0", "id": "1", "source": "aws.mgn", "detail-type": "MGN Source Server Start Requested", "account": account, "region": "us-east-1", "time": "2026-11-20T10:00:00Z", "resources": ["arn:aws:mgn:us-east-1:123456789012:source-server/s-580e03ba785ad25b7"], "detail": {"state": "STOPPED"}}),
        ),
        value(
            "an MGN event of this account naming a server of a foreign account",
            json!({"version": "0", "id": "1", "source": "aws.mgn", "detail-type": "MGN Source Server Lifecycle State Change", "account": account, "region": "us-east-1", "time": "2026-11-20T10:00:00Z", "resources": ["arn:aws:mgn:us-east-1:999999999999:source-server/s-580e03ba785ad25b7"], "detail": {"state": "READY_FOR_TEST"}}),
        ),
        value(
            "an SNS record whose message is not a string",
            json!({"Records": [{"EventSource": "aws:sns", "Sns": {"TopicArn": alarm_topic, "MessageId": "m", "Message": {"AlarmName": "prod-web-replication"}}}]}),
        ),
        value(
            "an SNS alarm with a numeric state",
            json!({"Records": [{"EventSource": "aws:sns", "Sns": {"TopicArn": alarm_topic, "MessageId": "m", "Message": "{\"AlarmName\": \"prod-web-replication\", \"NewStateValue\": 1}"}}]}),
        ),
        value(
            "an SQS record",
            json!({"Records": [{"eventSource": "aws:sqs", "body": "{\"targets\": [\"s-eee65f53e9421ce50\"]}"}]}),
        ),
        value(
            "an S3 record",
            json!({"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": "b"}}}]}),
        ),
        value("no records", json!({"Records": []})),
        value(
            "a recovery point in a foreign account",
            json!({"targets": ["arn:aws:backup:us-east-1:999999999999:recovery-point:4e8c1a3b-5d6f-4a7b-8c9d-0e1f2a3b4c5d"]}),
        ),
        value(
            "a Backup job completed in a vault outside the allowlist",
            json!({"version": "0", "id": "1", "detail-type": "Backup Job State Change", "source": "aws.backup", "account": account, "time": "2026-11-20T09:31:12Z", "region": "us-east-1", "resources": ["arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60001"], "detail": {"backupJobId": "j", "backupVaultArn": "arn:aws:backup:us-east-1:123456789012:backup-vault:attacker", "backupVaultName": "attacker", "resourceArn": "arn:aws:ec2:us-east-1:123456789012:volume/vol-0a1b2c3d4e5f60001", "resourceType": "EBS", "state": "COMPLETED", "iamRoleArn": "arn:aws:iam::999999999999:role/attacker"}}),
        ),
        value(
            "a copy job failed towards a vault that is not a destination",
            json!({"version": "0", "id": "1", "detail-type": "Copy Job State Change", "source": "aws.backup", "account": account, "time": "2026-11-20T09:31:12Z", "region": "us-east-1", "resources": ["arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60001"], "detail": {"copyJobId": "c", "state": "FAILED", "sourceBackupVaultArn": "arn:aws:backup:us-east-1:123456789012:backup-vault:dr-primary", "destinationBackupVaultArn": "arn:aws:backup:eu-west-1:999999999999:backup-vault:exfiltrate", "resourceType": "EBS", "iamRoleArn": "arn:aws:iam::999999999999:role/attacker"}}),
        ),
        value(
            "an SMS call naming a job that is not configured",
            json!({"version": "0", "id": "1", "detail-type": "AWS API Call via CloudTrail", "source": "aws.sms", "account": account, "time": "2026-11-20T10:05:12Z", "region": "us-east-1", "resources": [], "detail": {"eventSource": "sms.amazonaws.com", "eventName": "StartOnDemandReplicationRun", "readOnly": false, "requestParameters": {"replicationJobId": "sms-job-ffffffffffffffff0"}, "responseElements": null}}),
        ),
        value(
            "direct invoke of a staging server outside the selection",
            json!({"targets": ["s-f1578b5c72dc4ee60"]}),
        ),
        value(
            "direct invoke of an unknown SMS job",
            json!({"targets": ["sms-job-ffffffffffffffff0"]}),
        ),
        value(
            "an alarm of an unknown instance",
            json!({"Records": [{"EventSource": "aws:sns", "Sns": {"TopicArn": alarm_topic, "MessageId": "m", "Message": "{\"AlarmName\": \"intruder\", \"NewStateValue\": \"ALARM\", \"OldStateValue\": \"OK\", \"NewStateReason\": \"x\", \"StateChangeTime\": \"2026-11-20T10:00:00.000+0000\", \"Region\": \"US East (N. Virginia)\", \"AlarmArn\": \"arn:aws:cloudwatch:us-east-1:123456789012:alarm:intruder\", \"Trigger\": {\"Dimensions\": [{\"name\": \"InstanceId\", \"value\": \"i-0000000000000dead\"}]}}"}}]}),
        ),
    ]);
    corpus
}

fn mutating_calls(emulator: &Emulator) -> u64 {
    MUTATING.iter().map(|op| emulator.calls(op)).sum::<u64>() + mgn::calls(emulator, &mgn::MUTATING)
}

/// What a function made of one hostile payload.
enum Verdict {
    TypedError,
    CleanSkip,
}

/// What the function made of one hostile payload, or why that is not acceptable.
fn verdict(answer: Invocation) -> Result<Verdict, String> {
    match answer {
        Invocation::Error { error_type, .. } if error_type.to_lowercase().contains("panic") => {
            Err(format!("panicked: {error_type}"))
        }
        Invocation::Error { .. } => Ok(Verdict::TypedError),
        Invocation::Response(v) => {
            let report: RunReport = serde_json::from_value(v.clone())
                .map_err(|e| format!("not a report ({e}): {v}"))?;
            // A dry run may still plan what an untouched part of the event names.
            if report.counts.done > 0 || (report.counts.planned > 0 && !report.dry_run) {
                Err(format!("acted on it: {v}"))
            } else {
                Ok(Verdict::CleanSkip)
            }
        }
    }
}

#[tokio::test]
async fn every_function_rejects_or_skips_the_whole_corpus_without_side_effects() {
    let corpus = corpus();
    assert!(corpus.len() >= 50, "only {} hostile inputs", corpus.len());
    let env = mgn::env(mgn::SERVERS, &[]);
    let mut fleet = Fleet::start(Fixture::demo(), &FUNCTIONS, &mgn::borrowed(&env), "hostile")
        .await
        .expect("the functions started");
    let mut problems = Vec::new();
    let (mut typed_errors, mut clean_skips) = (0, 0);
    for name in FUNCTIONS {
        for input in &corpus {
            let before = mutating_calls(&fleet.emulator);
            let answer = fleet
                .runtime(name)
                .invoke_raw(input.payload.clone(), INVOKE_TIMEOUT)
                .await
                .unwrap_or_else(|e| panic!("{} <- {}: no answer: {e}", name, input.why));
            match verdict(answer) {
                Ok(Verdict::TypedError) => typed_errors += 1,
                Ok(Verdict::CleanSkip) => clean_skips += 1,
                Err(problem) => problems.push(format!("{} <- {}: {problem}", name, input.why)),
            }
            let changed = mutating_calls(&fleet.emulator) - before;
            if changed > 0 {
                problems.push(format!(
                    "{} <- {}: {changed} calls that change state",
                    name, input.why
                ));
            }
        }
    }
    let exited = fleet.exited();
    assert!(exited.is_empty(), "{exited:?} exited during the corpus");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(mutating_calls(&fleet.emulator), 0);
    println!(
        "{} inputs x {} functions: {typed_errors} typed errors, {clean_skips} clean skips, 0 \
         changes",
        corpus.len(),
        FUNCTIONS.len()
    );
}
