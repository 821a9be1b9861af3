//! What the mgn-replication tests read of the emulator's MGN: source servers, jobs and stored
//! replication configurations as the state dump shows them (`mgn.sourceServers`, `mgn.jobs`,
//! `mgn.replicationConfigurations`), the side effects a run leaves, the configuration the
//! cross-function tests give the function, the AWS sample events adapted to a fixture server, and
//! MGN calls made as another MGN user would (a person launching a test from the console).

use crate::demo;
use dr_emulator::Emulator;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The function.
pub const FUNCTION: &str = "mgn-replication";

/// The operations of the emulated MGN that change state, as the emulator counts them.
pub const MUTATING: [&str; 12] = [
    "mgn:StartReplication",
    "mgn:StopReplication",
    "mgn:PauseReplication",
    "mgn:ResumeReplication",
    "mgn:RetryDataReplication",
    "mgn:UpdateReplicationConfiguration",
    "mgn:StartTest",
    "mgn:TerminateTargetInstances",
    "mgn:ChangeServerLifeCycleState",
    "mgn:MarkAsArchived",
    "mgn:TagResource",
    "mgn:UntagResource",
];

/// The tags of the stall record the function keeps on a source server.
pub const STALL_TAGS: [&str; 3] = [
    "dr-automation:mgn-stalls",
    "dr-automation:mgn-stalled-since",
    "dr-automation:mgn-retried-at",
];

/// The SNS topic the MGN events come through in the project's sample
/// (`events/mgn-replication/replication-stalled-via-sns.json`).
pub const EVENTS_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:dr-automation-mgn-events";

/// `MGN_SERVERS` for the cross-function tests: every demo server (all in `MigrationWave`
/// wave-1) and every fleet server (`App=fleet`), stalls retried after an hour, test launches on,
/// mgn-app-1's replication server type enforced, and mgn-db-2's pause resumed. mgn-db-2 is not
/// launched for test: once resumed it would be at the next run, and a schedule delivered again
/// would do what one delivery does not.
pub const SERVERS: &str = r#"{"defaults": {"onStall": {"coolDown": "1h", "maxConsecutiveStalls": 3}, "testLaunch": {"enabled": true, "ttl": "4h"}}, "servers": [{"hostname": "mgn-app-1", "replication": {"replicationServerInstanceType": "t3.large"}}, {"hostname": "mgn-db-2", "resumePaused": true, "testLaunch": {"enabled": false}}, {"tags": {"MigrationWave": "wave-1"}}, {"tags": {"App": "fleet"}}]}"#;

/// The demo environment with `MGN_SERVERS` = `servers`, the MGN events topic among the trigger
/// topics, and `env` on top.
pub fn env<'a>(servers: &'a str, env: &[(&'a str, &'a str)]) -> Vec<(String, String)> {
    let config = demo::config();
    let configured = config.var("TRIGGER_TOPIC_ARNS");
    let topics = if configured.split(',').any(|t| t == EVENTS_TOPIC) {
        configured.to_owned()
    } else {
        format!("{configured},{EVENTS_TOPIC}")
    };
    let mut all: Vec<(String, String)> = config
        .env_with(&[("MGN_SERVERS", servers)])
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    all.retain(|(k, _)| k != "TRIGGER_TOPIC_ARNS" && env.iter().all(|(name, _)| name != k));
    all.push(("TRIGGER_TOPIC_ARNS".to_owned(), topics));
    all.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    all
}

/// `env` as the harness takes it.
pub fn borrowed(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn list(state: &Value, field: &str) -> Vec<Value> {
    state["mgn"][field].as_array().cloned().unwrap_or_default()
}

/// The source servers of a state dump (of the home partition, or of one from `state_in`), as
/// `DescribeSourceServers` shows them.
pub fn servers_of(state: &Value) -> Vec<Value> {
    list(state, "sourceServers")
}

/// The MGN jobs of a state dump, newest first, as `DescribeJobs` shows them.
pub fn jobs_of(state: &Value) -> Vec<Value> {
    list(state, "jobs")
}

/// The emulator's MGN jobs of the home partition, newest first.
pub fn jobs(emulator: &Emulator) -> Vec<Value> {
    jobs_of(&emulator.state())
}

/// Source server `id` of the home partition; panics when there is none.
pub fn server(emulator: &Emulator, id: &str) -> Value {
    servers_of(&emulator.state())
        .into_iter()
        .find(|s| s["sourceServerID"] == id)
        .unwrap_or_else(|| panic!("no MGN source server {id}"))
}

/// A server's `dataReplicationInfo.dataReplicationState`.
pub fn replication(server: &Value) -> &str {
    server["dataReplicationInfo"]["dataReplicationState"]
        .as_str()
        .unwrap_or_default()
}

/// A server's `lifeCycle.state`.
pub fn lifecycle(server: &Value) -> &str {
    server["lifeCycle"]["state"].as_str().unwrap_or_default()
}

/// The value of tag `key` on a server or a job.
pub fn tag<'v>(resource: &'v Value, key: &str) -> Option<&'v str> {
    resource["tags"][key].as_str()
}

/// The stall record's tags on `server`, by key.
pub fn stall_tags(server: &Value) -> BTreeMap<String, String> {
    STALL_TAGS
        .iter()
        .filter_map(|key| tag(server, key).map(|v| ((*key).to_owned(), v.to_owned())))
        .collect()
}

/// The source servers of `job`, sorted.
pub fn job_servers(job: &Value) -> Vec<String> {
    let mut ids: Vec<String> = job["participatingServers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["sourceServerID"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

/// How many calls of `operations` the emulator received.
pub fn calls(emulator: &Emulator, operations: &[&str]) -> u64 {
    operations.iter().map(|op| emulator.calls(op)).sum()
}

/// How many MGN calls of any operation the emulator received.
pub fn all_calls(emulator: &Emulator) -> u64 {
    emulator.state()["calls"]
        .as_object()
        .map(|calls| {
            calls
                .iter()
                .filter(|(op, _)| op.starts_with("mgn:"))
                .filter_map(|(_, n)| n.as_u64())
                .sum()
        })
        .unwrap_or(0)
}

/// The side effects of mgn-replication in a state dump, per source server: its replication and
/// lifecycle states, its stall record (the count, and which of the times are set: their values
/// are the function's clock), whether it has a launched instance, the jobs it is in, oldest
/// first, each as its type, status, the server's launch status and whether the function tagged
/// it, and its stored replication configuration.
pub fn side_effects(state: &Value) -> BTreeMap<String, Value> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut out = BTreeMap::new();
    for s in servers_of(state) {
        let id = text(&s["sourceServerID"]);
        let record: BTreeMap<String, String> = stall_tags(&s)
            .into_iter()
            .map(|(k, v)| {
                let shown = if k == STALL_TAGS[0] { v } else { "set".into() };
                (k, shown)
            })
            .collect();
        let jobs: Vec<String> = jobs_of(state)
            .iter()
            .rev()
            .flat_map(|job| {
                let own = if tag(job, "dr-automation:function") == Some(FUNCTION) {
                    " own"
                } else {
                    ""
                };
                job["participatingServers"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|p| p["sourceServerID"] == id.as_str())
                    .map(move |p| {
                        format!(
                            "{} {} {}{own}",
                            text(&job["type"]),
                            text(&job["status"]),
                            text(&p["launchStatus"])
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        out.insert(
            id.clone(),
            json!({
                "replication": replication(&s),
                "lifecycle": lifecycle(&s),
                "stallRecord": record,
                "launched": s["launchedInstance"]["ec2InstanceID"].is_string(),
                "jobs": jobs,
                "configuration": state["mgn"]["replicationConfigurations"][&id],
            }),
        );
    }
    out
}

/// AWS's sample `name` (`tests/aws-events/mgn/<name>.json`, as the MGN user guide's "Event
/// samples" print it) about source server `id` of `account` in `region`: the sample's account,
/// region and server replaced, nothing else.
pub fn aws_sample(name: &str, id: &str, account: &str, region: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../aws-events/mgn/{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replace("111122223333", account)
        .replace("us-west-2", region)
        .replace("s-12345678901234567", id);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The names of AWS's three MGN samples.
pub const AWS_SAMPLES: [&str; 3] = [
    "source-server-data-replication-stalled-change",
    "source-server-lifecycle-state-change",
    "source-server-launch-result",
];

/// `event` as an SNS subscription delivers it from [`EVENTS_TOPIC`].
pub fn via_sns(event: &Value) -> Value {
    json!({"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": format!("{EVENTS_TOPIC}:7c2d9e4a-1b3f-4e6a-8d5c-2f9b0e7a1c34"),
        "Sns": {
            "Type": "Notification",
            "MessageId": "5e9a1c3d-7b2f-5a4e-9c8d-1f3b5d7e9a20",
            "TopicArn": EVENTS_TOPIC,
            "Subject": null,
            "Message": event.to_string(),
            "Timestamp": "2026-11-21T03:05:01.204Z",
            "SignatureVersion": "1",
            "Signature": "c2lnbmF0dXJl",
            "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem",
            "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
            "MessageAttributes": {}
        }
    }]})
}

/// Makes MGN call `operation` with `body` as another MGN user of the home account would (a
/// request signed for `mgn`, which is how the emulator tells MGN from DRS); returns the HTTP
/// status and the answer's JSON.
pub async fn call_as_someone_else(
    emulator: &Emulator,
    operation: &str,
    body: &Value,
) -> std::io::Result<(u16, Value)> {
    let body = body.to_string();
    let mut stream = tokio::net::TcpStream::connect(emulator.addr()).await?;
    let request = format!(
        "POST /{operation} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=AKIDOTHERUSER/20261201/us-east-1/mgn/\
         aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        emulator.addr(),
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, payload) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, serde_json::from_str(payload).unwrap_or(Value::Null)))
}
