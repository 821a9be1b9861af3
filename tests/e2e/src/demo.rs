//! The demo configuration of each function (the one the per-function end-to-end tests use against
//! the emulator's demo fixture) and the side effects that matter, read from the emulator's state
//! dump, so tests can compare two runs without the ids and times the emulator generates.

use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The topic the DRS alarm samples come from.
pub const ALARM_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:dr-alarms";
/// The topic the SMS samples forwarded through SNS come from.
pub const SMS_EVENTS_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:sms-events";
/// The topic the Backup vault notifications come from.
pub const VAULT_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:backup-vault-events";

/// The three functions.
pub const FUNCTIONS: [&str; 3] = [
    "drs-start-replication",
    "sms-replication-jobs",
    "backup-copy-fanout",
];

/// The demo SMS servers the demo configuration names, in the order the sample events' placeholder
/// job ids (`sms-job-0a1b2c3d4e5f6000N`, N from 1) stand for their jobs.
pub const SMS_PLACEHOLDER_SERVERS: [&str; 3] = ["s-5a1c0e7f", "s-5a1c0e80", "s-5a1c0e83"];

/// The Backup destinations of the demo configuration, each with its own lifecycle: the isolated
/// account keeps its copies for good (`keepForever`: 36500 days, since a copy given -1 would
/// keep its source's expiration date).
pub const BACKUP_DESTINATIONS: &str = r#"[
    {"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west",
     "moveToColdStorageAfterDays": 30, "deleteAfterDays": 120,
     "optInToArchiveForSupportedResources": true},
    {"vaultArn": "arn:aws:backup:us-east-2:210987654321:backup-vault:dr-copy-isolated",
     "keepForever": true}
]"#;

/// The demo `SMS_JOBS`: one job per way of naming a server, and the server SMS refuses.
pub fn sms_jobs() -> Value {
    json!({
        "defaults": {
            "frequency": 12, "licenseType": "BYOL", "roleName": "sms-dr",
            "numberOfRecentAmisToKeep": 3, "encrypted": true,
            "onFailure": {"coolDownMinutes": 60, "resumeWith": "onDemandRun", "maxConsecutiveFailures": 5}
        },
        "jobs": [
            {"serverId": "s-5a1c0e7f", "licenseType": "AWS", "kmsKeyId": "alias/sms-amis",
             "description": "ERP application server"},
            {"vmName": "ERP-DB-01", "frequency": 6},
            {"hostname": "web-linux-01.corp.example.com", "encrypted": false, "seedReplicationTime": "+2h"},
            {"vmPath": "/Datacenter/vm/Infra/file-srv-01", "runOnce": true},
            {"serverId": "s-5a1c0e84"}
        ]
    })
}

/// The demo environment of `function`, publishing its reports to `reports_topic`; panics on a
/// name not in [`FUNCTIONS`].
pub fn env(function: &str, reports_topic: &str) -> Vec<(&'static str, String)> {
    let pairs: Vec<(&'static str, String)> = match function {
        "drs-start-replication" => vec![
            ("DRS_TAGS", "Env=prod".into()),
            ("DRS_ALARM_DIMENSION", "Hostname".into()),
            ("DRS_ALARM_TAG_KEY", "dr:alarm".into()),
            ("TRIGGER_TOPIC_ARNS", ALARM_TOPIC.into()),
            ("MAX_CONCURRENCY", "4".into()),
        ],
        "sms-replication-jobs" => vec![
            ("SMS_JOBS", sms_jobs().to_string()),
            ("TRIGGER_TOPIC_ARNS", SMS_EVENTS_TOPIC.into()),
        ],
        "backup-copy-fanout" => vec![
            ("BACKUP_SOURCE_VAULTS", "dr-primary".into()),
            ("BACKUP_DESTINATIONS", BACKUP_DESTINATIONS.into()),
            (
                "BACKUP_COPY_ROLE_ARN",
                "arn:aws:iam::123456789012:role/dr-automation-backup-copy".into(),
            ),
            ("TRIGGER_TOPIC_ARNS", VAULT_TOPIC.into()),
            ("MAX_CONCURRENCY", "4".into()),
            // Pacing is unit-tested; here it would only slow the runs down.
            ("BACKUP_START_RATE_PER_SECOND", "100".into()),
        ],
        other => panic!("unknown function {other}"),
    };
    let mut pairs = pairs;
    pairs.push(("REPORT_TOPIC_ARN", reports_topic.into()));
    pairs
}

/// The side effects of `function` in an emulator state dump, per target: DRS replication state
/// per source server; SMS jobs per server, each as its state and its runs counted by type and
/// state; Backup copy job states per recovery point and destination, oldest first.
pub fn side_effects(function: &str, state: &Value) -> BTreeMap<String, Value> {
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut out = BTreeMap::new();
    match function {
        "drs-start-replication" => {
            for s in list(&state["drs"]["sourceServers"]) {
                out.insert(
                    text(&s["sourceServerID"]),
                    s["dataReplicationInfo"]["dataReplicationState"].clone(),
                );
            }
        }
        "sms-replication-jobs" => {
            for job in list(&state["sms"]["replicationJobs"]) {
                let mut runs = BTreeMap::<String, u64>::new();
                for run in list(&job["replicationRunList"]) {
                    *runs
                        .entry(format!("{} {}", text(&run["type"]), text(&run["state"])))
                        .or_default() += 1;
                }
                let entry = out
                    .entry(text(&job["serverId"]))
                    .or_insert_with(|| json!([]));
                if let Some(jobs) = entry.as_array_mut() {
                    jobs.push(json!({"state": job["state"], "runs": runs}));
                }
            }
        }
        "backup-copy-fanout" => {
            for job in list(&state["backup"]["copyJobs"]) {
                let pair = copy_target(
                    &text(&job["SourceRecoveryPointArn"]),
                    &text(&job["DestinationBackupVaultArn"]),
                );
                let entry = out.entry(pair).or_insert_with(|| json!([]));
                if let Some(states) = entry.as_array_mut() {
                    states.push(job["State"].clone());
                }
            }
        }
        other => panic!("unknown function {other}"),
    }
    out
}

/// How backup-copy-fanout's reports name the copy of a recovery point to a destination.
pub fn copy_target(recovery_point: &str, destination: &str) -> String {
    format!("{recovery_point} -> {destination}")
}
