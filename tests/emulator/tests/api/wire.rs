//! Wire-level behaviour through raw HTTP: unknown operations, malformed bodies, dropped
//! connections, the admin API, wall-clock pacing and the binary.

use crate::common::{code_and_status, Env};
use dr_emulator::{Config, Emulator, FaultRule, Fixture, REPORTS_TOPIC};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A raw response: status, lower-cased header block and body.
struct Raw {
    status: u16,
    headers: String,
    body: String,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("JSON body")
    }
}

fn auth(service: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential=AKIDEMULATOR/20261120/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00")
}

/// Sends one HTTP/1.1 request; `None` when the connection closes without a response.
async fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Option<Raw> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut bytes))
        .await
        .expect("the emulator answers or closes, never hangs");
    if read.is_err() || bytes.is_empty() {
        return None;
    }
    let text = String::from_utf8(bytes).expect("UTF-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("header block");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    Some(Raw {
        status,
        headers: head.to_lowercase(),
        body: body.to_owned(),
    })
}

async fn admin(addr: SocketAddr, method: &str, path: &str, body: Value) -> Raw {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    raw(
        addr,
        method,
        path,
        &[("Content-Type", "application/json")],
        &body,
    )
    .await
    .expect("admin answers")
}

async fn demo() -> Emulator {
    Emulator::start(Config::new(Fixture::demo()))
        .await
        .expect("start")
}

#[tokio::test]
async fn unknown_operations_get_each_protocols_error() {
    let emu = demo().await;
    let addr = emu.addr();
    let drs = auth("drs");
    let r = raw(
        addr,
        "POST",
        "/DescribeJobs",
        &[("Authorization", &drs)],
        "{}",
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 404);
    assert!(r
        .headers
        .contains("x-amzn-errortype: unknownoperationexception"));
    let r = raw(
        addr,
        "GET",
        "/DescribeSourceServers",
        &[("Authorization", &drs)],
        "",
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 404);

    let r = raw(
        addr,
        "POST",
        "/",
        &[
            ("Authorization", &auth("sms")),
            (
                "X-Amz-Target",
                "AWSServerMigrationService_V2016_10_24.GetApps",
            ),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        "{}",
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "UnknownOperationException");

    let r = raw(
        addr,
        "POST",
        "/",
        &[
            ("Authorization", &auth("sns")),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        "Action=DeleteEverything&Version=2010-03-31",
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 400);
    assert!(r.body.contains("<Code>InvalidAction</Code>"));
    assert!(r.body.contains("<Type>Sender</Type>"));

    let r = raw(
        addr,
        "POST",
        "/backup-vaults/",
        &[("Authorization", &auth("backup"))],
        "",
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 404);
    assert!(r
        .headers
        .contains("x-amzn-errortype: unknownoperationexception"));

    let r = raw(addr, "GET", "/", &[], "").await.expect("answer");
    assert_eq!(r.status, 400);
    assert_eq!(emu.calls("DescribeJobs"), 1);
}

#[tokio::test]
async fn a_request_signed_for_a_service_not_emulated_gets_an_error_not_the_drs_fleet() {
    let emu = demo().await;
    let addr = emu.addr();
    // MGN's DescribeSourceServers has the same restJson1 path as DRS's.
    let r = raw(
        addr,
        "POST",
        "/DescribeSourceServers",
        &[
            ("Authorization", &auth("mgn")),
            ("Content-Type", "application/json"),
        ],
        "{}",
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(r
        .headers
        .contains("x-amzn-errortype: unknownoperationexception"));
    let message = r.json()["message"].as_str().expect("message").to_owned();
    assert!(
        message.contains("does not emulate the mgn service"),
        "{message}"
    );
    assert!(r.json().get("items").is_none(), "no fleet: {}", r.body);
    assert_eq!(emu.calls("DescribeSourceServers"), 0);

    let r = raw(
        addr,
        "POST",
        "/",
        &[
            ("Authorization", &auth("sts")),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        "Action=GetCallerIdentity&Version=2011-06-15",
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 400);
    assert!(r.body.contains("<Code>InvalidAction</Code>"), "{}", r.body);
    assert!(r.body.contains("does not emulate the sts service"));
    assert_eq!(emu.calls("GetCallerIdentity"), 0);

    let r = raw(
        addr,
        "GET",
        "/backup-vaults",
        &[("Authorization", &auth("s3"))],
        "",
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 501);
    assert!(r.body.contains("<Code>NotImplemented</Code>"), "{}", r.body);
    assert_eq!(emu.calls("ListBackupVaults"), 0);
}

#[tokio::test]
async fn resources_outside_the_aws_partition_get_their_partitions_arns() {
    let fixture = Fixture::from_json(
        &json!({
            "accountId": "123456789012", "region": "cn-north-1",
            "drs": {"sourceServers": [{"sourceServerID": "s-0123456789abcdef0", "state": "STOPPED"}]},
            "backup": {"vaults": [
                {"name": "dr-primary", "recoveryPoints": [{
                    "resourceArn": "arn:aws-cn:ec2:cn-north-1:123456789012:volume/vol-1",
                    "resourceType": "EBS", "createdHoursAgo": 1}]},
                {"name": "dr-copy", "region": "cn-northwest-1"}]},
            "sns": {"topics": ["arn:aws-cn:sns:cn-north-1:123456789012:reports"]}
        })
        .to_string(),
    )
    .expect("a China fixture");
    let emu = Emulator::start(Config::new(fixture)).await.expect("start");
    let config = crate::common::sdk_config(
        &emu.endpoint_url(),
        "cn-north-1",
        aws_config::retry::RetryConfig::disabled(),
    )
    .await;

    let servers = aws_sdk_drs::Client::new(&config)
        .describe_source_servers()
        .send()
        .await
        .expect("described");
    assert_eq!(
        servers.items()[0].arn(),
        Some("arn:aws-cn:drs:cn-north-1:123456789012:source-server/s-0123456789abcdef0")
    );

    let backup = aws_sdk_backup::Client::new(&config);
    let points = backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("dr-primary")
        .send()
        .await
        .expect("listed");
    let point = &points.recovery_points()[0];
    assert_eq!(
        point.backup_vault_arn(),
        Some("arn:aws-cn:backup:cn-north-1:123456789012:backup-vault:dr-primary")
    );
    let point_arn = point.recovery_point_arn().expect("point ARN");
    assert!(
        point_arn.starts_with("arn:aws-cn:ec2:cn-north-1::snapshot/snap-"),
        "{point_arn}"
    );
    let copy = |role: &str, destination: &str| {
        backup
            .start_copy_job()
            .recovery_point_arn(point_arn)
            .source_backup_vault_name("dr-primary")
            .destination_backup_vault_arn(destination)
            .iam_role_arn(role)
            .send()
    };
    let west = "arn:aws-cn:backup:cn-northwest-1:123456789012:backup-vault:dr-copy";
    let role = "arn:aws-cn:iam::123456789012:role/backup";
    copy(role, west).await.expect("copied within the partition");
    for (role, destination) in [
        ("arn:aws:iam::123456789012:role/backup", west),
        (
            role,
            "arn:aws:backup:cn-northwest-1:123456789012:backup-vault:dr-copy",
        ),
    ] {
        let err = copy(role, destination)
            .await
            .expect_err("another partition");
        assert_eq!(
            code_and_status(&err),
            ("InvalidParameterValueException".into(), 400),
            "{role} {destination}"
        );
    }

    let sns = aws_sdk_sns::Client::new(&config);
    let created = sns
        .create_topic()
        .name("extra")
        .send()
        .await
        .expect("created");
    assert_eq!(
        created.topic_arn(),
        Some("arn:aws-cn:sns:cn-north-1:123456789012:extra")
    );
    sns.publish()
        .topic_arn("arn:aws-cn:sns:cn-north-1:123456789012:reports")
        .message("hi")
        .send()
        .await
        .expect("published");
    let err = sns
        .publish()
        .topic_arn("arn:aws:sns:cn-north-1:123456789012:reports")
        .message("hi")
        .send()
        .await
        .expect_err("a China region's topic is not in the aws partition");
    assert_eq!(code_and_status(&err), ("InvalidParameter".into(), 400));
}

#[tokio::test]
async fn malformed_bodies_are_refused_not_panicked_on() {
    let emu = demo().await;
    let addr = emu.addr();
    let drs = auth("drs");
    for body in ["{nope", "[1,2]", "{\"sourceServerID\": 5}", "\u{0}\u{1}"] {
        let r = raw(
            addr,
            "POST",
            "/StartReplication",
            &[("Authorization", &drs)],
            body,
        )
        .await
        .expect("answer");
        assert_eq!(r.status, 400, "{body}");
        assert!(r
            .headers
            .contains("x-amzn-errortype: serializationexception"));
    }
    let sms = auth("sms");
    let r = raw(
        addr,
        "POST",
        "/",
        &[
            ("Authorization", &sms),
            (
                "X-Amz-Target",
                "AWSServerMigrationService_V2016_10_24.CreateReplicationJob",
            ),
        ],
        "{\"serverId\": \"s-5a1c0e7f\", \"seedReplicationTime\": \"tomorrow\"}",
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "SerializationException");
    let r = raw(
        addr,
        "PUT",
        "/copy-jobs",
        &[("Authorization", &auth("backup"))],
        "{\"Lifecycle\": 3}",
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 400);
    let r = raw(
        addr,
        "GET",
        "/backup-vaults/dr-primary/recovery-points/?maxResults=0",
        &[("Authorization", &auth("backup"))],
        "",
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 400);
    assert!(r.headers.contains("invalidparametervalueexception"));
    let huge = format!(
        "{{\"RecoveryPointArn\": \"x\", \"SourceBackupVaultName\": \"dr-primary\", \"DestinationBackupVaultArn\": \"arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west\", \"IamRoleArn\": \"arn:aws:iam::123456789012:role/r\", \"Lifecycle\": {{\"MoveToColdStorageAfterDays\": {0}, \"DeleteAfterDays\": {0}}}}}",
        i64::MAX
    );
    let r = raw(
        addr,
        "PUT",
        "/copy-jobs",
        &[("Authorization", &auth("backup"))],
        &huge,
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 400);
    let r = raw(
        addr,
        "POST",
        "/DescribeSourceServers",
        &[("Authorization", &drs)],
        "{\"maxResults\": 99999999999}",
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 200);
    // The emulator is still healthy afterwards.
    let r = admin(addr, "GET", "/_emulator/state", Value::Null).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn dropped_connections_and_latency() {
    let env = Env::new(Fixture::demo()).await;
    let addr = env.emulator.addr();
    let r = admin(
        addr,
        "POST",
        "/_emulator/faults",
        json!({"operation": "Publish", "dropConnectionRate": 1.0}),
    )
    .await;
    assert_eq!(r.status, 200);
    let body = format!("Action=Publish&TopicArn={REPORTS_TOPIC}&Message=hi");
    assert!(
        raw(addr, "POST", "/", &[("Authorization", &auth("sns"))], &body)
            .await
            .is_none()
    );
    let err = env
        .sns()
        .publish()
        .topic_arn(REPORTS_TOPIC)
        .message("hi")
        .send()
        .await
        .expect_err("dropped");
    assert!(err.raw_response().is_none(), "no HTTP response: {err:?}");
    assert!(env.emulator.sns_messages().is_empty());

    env.emulator
        .set_fault(FaultRule {
            operation: "DescribeSourceServers".into(),
            error_rate: 0.0,
            error: "ThrottlingException".into(),
            latency_ms: 300,
            drop_connection_rate: 0.0,
            times: None,
        })
        .expect("fault");
    let started = Instant::now();
    env.drs()
        .describe_source_servers()
        .send()
        .await
        .expect("slow but fine");
    assert!(started.elapsed() >= Duration::from_millis(300));

    let r = admin(addr, "DELETE", "/_emulator/faults", Value::Null).await;
    assert_eq!(r.status, 204);
    env.sns()
        .publish()
        .topic_arn(REPORTS_TOPIC)
        .message("hi")
        .send()
        .await
        .expect("faults cleared");
}

#[tokio::test]
async fn injected_errors_use_each_protocols_codes() {
    let env = Env::new(Fixture::demo()).await;
    let rule = |op: &str, error: &str| FaultRule {
        operation: op.into(),
        error_rate: 1.0,
        error: error.into(),
        latency_ms: 0,
        drop_connection_rate: 0.0,
        times: Some(1),
    };
    env.emulator
        .set_fault(rule("GetServers", "ThrottlingException"))
        .expect("fault");
    let err = env.sms().get_servers().send().await.expect_err("throttled");
    assert_eq!(
        code_and_status(&err),
        ("ThrottlingException".to_owned(), 400)
    );
    env.emulator
        .set_fault(rule("Publish", "ThrottlingException"))
        .expect("fault");
    let err = env
        .sns()
        .publish()
        .topic_arn(REPORTS_TOPIC)
        .message("x")
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(code_and_status(&err), ("Throttling".to_owned(), 400));
    env.emulator
        .set_fault(rule("ListCopyJobs", "InternalServerException"))
        .expect("fault");
    let err = env
        .backup()
        .list_copy_jobs()
        .send()
        .await
        .expect_err("fault");
    assert_eq!(
        code_and_status(&err),
        ("ServiceUnavailableException".to_owned(), 500)
    );
    env.emulator
        .set_fault(rule("*", "AccessDeniedException"))
        .expect("fault");
    let err = env
        .drs()
        .describe_source_servers()
        .send()
        .await
        .expect_err("fault");
    assert_eq!(
        code_and_status(&err),
        ("AccessDeniedException".to_owned(), 403)
    );

    // A 30% error rate fails some calls, not all, and every call is counted.
    env.emulator
        .set_fault(FaultRule {
            operation: "GetReplicationJobs".into(),
            error_rate: 0.3,
            error: "InternalServerException".into(),
            latency_ms: 0,
            drop_connection_rate: 0.0,
            times: None,
        })
        .expect("fault");
    let mut failures = 0;
    for _ in 0..60 {
        if env.sms().get_replication_jobs().send().await.is_err() {
            failures += 1;
        }
    }
    assert!((5..=35).contains(&failures), "{failures} of 60 failed");
    assert_eq!(env.emulator.calls("GetReplicationJobs"), 60);
}

#[tokio::test]
async fn admin_api_shows_state_advances_and_resets() {
    let env = Env::new(Fixture::demo()).await;
    let addr = env.emulator.addr();
    let fixture = Fixture::demo();
    let stopped = fixture
        .drs
        .source_servers
        .iter()
        .find(|s| s.state == "STOPPED")
        .map(|s| s.source_server_id.clone())
        .expect("stopped server");
    env.drs()
        .start_replication()
        .source_server_id(&stopped)
        .send()
        .await
        .expect("start");
    let state = admin(addr, "GET", "/_emulator/state", Value::Null)
        .await
        .json();
    assert_eq!(state["calls"]["StartReplication"], 1);
    assert_eq!(state["accountId"], "123456789012");
    let r = admin(addr, "POST", "/_emulator/advance", json!({"steps": 2})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["steps"], 2);
    let state = admin(addr, "GET", "/_emulator/state", Value::Null)
        .await
        .json();
    let server = state["drs"]["sourceServers"]
        .as_array()
        .expect("servers")
        .iter()
        .find(|s| s["sourceServerID"] == stopped.as_str())
        .cloned()
        .expect("server");
    assert_eq!(
        server["dataReplicationInfo"]["dataReplicationState"],
        "CONTINUOUS"
    );
    let before = state["nowEpochSeconds"].as_i64().expect("now");
    let r = admin(addr, "POST", "/_emulator/advance", json!({"seconds": 7200})).await;
    assert_eq!(r.status, 200);
    let state = admin(addr, "GET", "/_emulator/state", Value::Null)
        .await
        .json();
    assert!(state["nowEpochSeconds"].as_i64().expect("now") >= before + 7200);

    let r = admin(addr, "POST", "/_emulator/faults", json!({"errorRate": 2})).await;
    assert_eq!(r.status, 400);
    let r = admin(addr, "POST", "/_emulator/faults", json!({"bogus": 1})).await;
    assert_eq!(r.status, 400);
    let r = admin(addr, "POST", "/_emulator/advance", json!("steps")).await;
    assert_eq!(r.status, 400);

    let r = admin(
        addr,
        "POST",
        "/_emulator/drs/state",
        json!({"sourceServerID": stopped, "state": "STALLED"}),
    )
    .await;
    assert_eq!(r.status, 204);
    let r = admin(
        addr,
        "POST",
        "/_emulator/backup/vaults/dr-primary/recovery-points",
        json!({"resourceArn": "arn:aws:ec2:us-east-1:123456789012:volume/vol-new", "resourceType": "EBS", "createdHoursAgo": 0}),
    )
    .await;
    assert_eq!(r.status, 200);
    let arn = r.json()["recoveryPointArn"]
        .as_str()
        .expect("arn")
        .to_owned();
    env.backup()
        .describe_recovery_point()
        .backup_vault_name("dr-primary")
        .recovery_point_arn(&arn)
        .send()
        .await
        .expect("the added point exists");

    env.sns()
        .publish()
        .topic_arn(REPORTS_TOPIC)
        .message("report")
        .send()
        .await
        .expect("publish");
    let messages = admin(addr, "GET", "/_emulator/sns/messages", Value::Null)
        .await
        .json();
    assert_eq!(messages.as_array().map(Vec::len), Some(1));
    assert_eq!(messages[0]["message"], "report");

    let r = admin(addr, "POST", "/_emulator/reset", Value::Null).await;
    assert_eq!(r.status, 204);
    let state = admin(addr, "GET", "/_emulator/state", Value::Null)
        .await
        .json();
    assert_eq!(state["calls"], json!({}));
    assert_eq!(state["sns"]["messages"], json!([]));

    let fleet = serde_json::to_value(Fixture::drs_fleet(3, 3)).expect("fixture JSON");
    let r = admin(addr, "PUT", "/_emulator/fixture", fleet).await;
    assert_eq!(r.status, 204);
    let out = env
        .drs()
        .describe_source_servers()
        .send()
        .await
        .expect("describe");
    assert_eq!(out.items().len(), 3);
    let r = admin(
        addr,
        "PUT",
        "/_emulator/fixture",
        json!({"accountId": "12"}),
    )
    .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn wall_clock_pace_moves_state_without_admin_calls() {
    let fixture = Fixture::demo();
    let stopped = fixture
        .drs
        .source_servers
        .iter()
        .find(|s| s.state == "STOPPED")
        .map(|s| s.source_server_id.clone())
        .expect("stopped server");
    let emulator = Emulator::start(Config::new(fixture).with_pace(Duration::from_millis(20)))
        .await
        .expect("start");
    let config = crate::common::sdk_config(
        &emulator.endpoint_url(),
        "us-east-1",
        aws_config::retry::RetryConfig::disabled(),
    )
    .await;
    let drs = aws_sdk_drs::Client::new(&config);
    drs.start_replication()
        .source_server_id(&stopped)
        .send()
        .await
        .expect("start");
    tokio::time::sleep(Duration::from_millis(150)).await;
    let state = emulator.state();
    let server = state["drs"]["sourceServers"]
        .as_array()
        .expect("servers")
        .iter()
        .find(|s| s["sourceServerID"] == stopped.as_str())
        .cloned()
        .expect("server");
    assert_eq!(
        server["dataReplicationInfo"]["dataReplicationState"],
        "CONTINUOUS"
    );
}

#[tokio::test]
async fn the_binary_prints_its_address_and_serves() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_dr-emulator"))
        .args(["--port", "0", "--pace-ms", "0"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the binary");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("ready in time")
    .expect("read");
    let url = line
        .trim()
        .strip_prefix("listening on http://")
        .expect("the ready line");
    let addr: SocketAddr = url.parse().expect("address");
    assert_ne!(addr.port(), 0);
    let r = admin(addr, "GET", "/_emulator/state", Value::Null).await;
    assert_eq!(r.status, 200);
    child.kill().await.expect("stop the binary");

    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_dr-emulator"))
        .args(["--fixture", "/nonexistent/fixture.json"])
        .output()
        .await
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
}
