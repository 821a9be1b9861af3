//! Wire-level behaviour through raw HTTP: unknown operations, malformed bodies, dropped
//! connections, the admin API, wall-clock pacing and the binary.

use crate::common::{assert_error, code_and_status, failing, Env};
use aws_config::retry::RetryConfig;
use dr_emulator::{Config, Emulator, FaultRule, Fixture, REPORTS_TOPIC};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A raw response: status, lower-cased header block and body.
pub(crate) struct Raw {
    pub(crate) status: u16,
    pub(crate) headers: String,
    pub(crate) body: String,
}

impl Raw {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("JSON body")
    }

    /// Whether the restJson1 error type header names `error` (lower-cased).
    fn has_error_type(&self, error: &str) -> bool {
        self.headers.contains(&format!("x-amzn-errortype: {error}"))
    }
}

/// The form content type of the awsQuery protocol (SNS, STS).
const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

fn auth(service: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential=AKIDEMULATOR/20261120/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00")
}

/// The `X-Amz-Target` header of an SMS operation.
fn sms_target(operation: &str) -> (&'static str, String) {
    (
        "X-Amz-Target",
        format!("AWSServerMigrationService_V2016_10_24.{operation}"),
    )
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

/// Sends a request signed for `service` with further `headers`; expects an answer.
pub(crate) async fn signed(
    addr: SocketAddr,
    service: &str,
    (method, path): (&str, &str),
    headers: &[(&str, &str)],
    body: &str,
) -> Raw {
    let auth = auth(service);
    let mut all = vec![("Authorization", auth.as_str())];
    all.extend_from_slice(headers);
    raw(addr, method, path, &all, body).await.expect("answer")
}

/// Posts an MGN (restJson1) operation, `POST <path>` with a JSON body.
pub(crate) async fn signed_mgn(addr: SocketAddr, path: &str, body: &str) -> Raw {
    let json = ("Content-Type", "application/json");
    signed(addr, "mgn", ("POST", path), &[json], body).await
}

/// Posts an SMS (awsJson1.1) operation.
async fn sms_call(addr: SocketAddr, operation: &str, body: &str) -> Raw {
    let (name, target) = sms_target(operation);
    let headers = [
        (name, target.as_str()),
        ("Content-Type", "application/x-amz-json-1.1"),
    ];
    signed(addr, "sms", ("POST", "/"), &headers, body).await
}

/// Calls the admin API (`Value::Null`: no body); expects an answer.
pub(crate) async fn admin(addr: SocketAddr, method: &str, path: &str, body: Value) -> Raw {
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

/// The emulator's state through the admin API.
async fn admin_state(addr: SocketAddr) -> Value {
    admin(addr, "GET", "/_emulator/state", Value::Null)
        .await
        .json()
}

async fn demo() -> Emulator {
    Emulator::start(Config::new(Fixture::demo()))
        .await
        .expect("start")
}

/// The first stopped source server of the demo fixture.
fn demo_stopped_server() -> String {
    Fixture::demo()
        .drs
        .source_servers
        .iter()
        .find(|s| s.state == "STOPPED")
        .map(|s| s.source_server_id.clone())
        .expect("stopped server")
}

/// The data replication state of one server in an emulator state document.
fn replication_state(state: &Value, id: &str) -> Value {
    state["drs"]["sourceServers"]
        .as_array()
        .expect("servers")
        .iter()
        .find(|s| s["sourceServerID"] == id)
        .map(|s| s["dataReplicationInfo"]["dataReplicationState"].clone())
        .expect("server")
}

async fn start_replication(env: &Env, id: &str) {
    env.drs()
        .start_replication()
        .source_server_id(id)
        .send()
        .await
        .expect("start");
}

#[tokio::test]
async fn a_drs_operation_the_emulator_lacks_is_an_unknown_operation_and_counted() {
    let emu = demo().await;
    let r = signed(
        emu.addr(),
        "drs",
        ("POST", "/DescribeReplicationConfigurationTemplates"),
        &[],
        "{}",
    )
    .await;
    assert_eq!(r.status, 404);
    assert!(r.has_error_type("unknownoperationexception"));
    assert_eq!(emu.calls("DescribeReplicationConfigurationTemplates"), 1);
}

#[tokio::test]
async fn a_drs_operation_under_the_wrong_method_is_not_found() {
    let emu = demo().await;
    let r = signed(
        emu.addr(),
        "drs",
        ("GET", "/DescribeSourceServers"),
        &[],
        "",
    )
    .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn an_sms_target_the_emulator_lacks_is_an_unknown_operation() {
    let emu = demo().await;
    let r = sms_call(emu.addr(), "GetApps", "{}").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "UnknownOperationException");
}

#[tokio::test]
async fn an_sns_action_the_emulator_lacks_is_a_senders_invalid_action() {
    let emu = demo().await;
    let body = "Action=DeleteEverything&Version=2010-03-31";
    let r = signed(emu.addr(), "sns", ("POST", "/"), &[FORM], body).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("<Code>InvalidAction</Code>"));
    assert!(r.body.contains("<Type>Sender</Type>"));
}

#[tokio::test]
async fn a_backup_path_the_emulator_lacks_is_an_unknown_operation() {
    let emu = demo().await;
    let r = signed(emu.addr(), "backup", ("POST", "/backup-vaults/"), &[], "").await;
    assert_eq!(r.status, 404);
    assert!(r.has_error_type("unknownoperationexception"));
}

#[tokio::test]
async fn an_unsigned_request_is_a_bad_request() {
    let emu = demo().await;
    let r = raw(emu.addr(), "GET", "/", &[], "").await.expect("answer");
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn a_request_signed_for_an_unserved_service_gets_an_unknown_operation_not_the_drs_fleet() {
    let emu = demo().await;
    // A restJson1 request on DRS's path, signed for a service the emulator does not serve.
    let json = ("Content-Type", "application/json");
    let r = signed(
        emu.addr(),
        "lambda",
        ("POST", "/DescribeSourceServers"),
        &[json],
        "{}",
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(r.has_error_type("unknownoperationexception"));
    let message = r.json()["message"].as_str().expect("message").to_owned();
    assert!(
        message.contains("does not emulate the lambda service"),
        "{message}"
    );
    assert!(r.json().get("items").is_none(), "no fleet: {}", r.body);
    assert_eq!(emu.calls("DescribeSourceServers"), 0);
}

#[tokio::test]
async fn a_request_signed_for_mgn_gets_the_mgn_fleet_not_the_drs_fleet() {
    let emu = demo().await;
    // MGN's DescribeSourceServers has the same restJson1 path as DRS's.
    let json = ("Content-Type", "application/json");
    let r = signed(
        emu.addr(),
        "mgn",
        ("POST", "/DescribeSourceServers"),
        &[json],
        "{}",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let items = r.json()["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), Fixture::demo().mgn.source_servers.len());
    assert!(items
        .iter()
        .all(|s| s["arn"].as_str().is_some_and(|a| a.contains(":mgn:"))));
    assert_eq!(emu.calls("DescribeSourceServers"), 0);
    assert_eq!(emu.calls("mgn:DescribeSourceServers"), 1);
}

#[tokio::test]
async fn a_request_signed_for_iam_gets_an_invalid_action_naming_the_service() {
    let emu = demo().await;
    let body = "Action=ListRoles&Version=2010-05-08";
    let r = signed(emu.addr(), "iam", ("POST", "/"), &[FORM], body).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("<Code>InvalidAction</Code>"), "{}", r.body);
    assert!(r.body.contains("does not emulate the iam service"));
    assert_eq!(emu.calls("ListRoles"), 0);
}

#[tokio::test]
async fn a_request_signed_for_s3_gets_not_implemented_not_the_backup_vaults() {
    let emu = demo().await;
    let r = signed(emu.addr(), "s3", ("GET", "/backup-vaults"), &[], "").await;
    assert_eq!(r.status, 501);
    assert!(r.body.contains("<Code>NotImplemented</Code>"), "{}", r.body);
    assert_eq!(emu.calls("ListBackupVaults"), 0);
}

const CN_WEST_VAULT: &str = "arn:aws-cn:backup:cn-northwest-1:123456789012:backup-vault:dr-copy";
const CN_ROLE: &str = "arn:aws-cn:iam::123456789012:role/backup";
const CN_REPORTS: &str = "arn:aws-cn:sns:cn-north-1:123456789012:reports";

/// An emulator of an account in cn-north-1 (the aws-cn partition), clients in that region.
async fn china() -> Env {
    let fixture = Fixture::from_json(
        &json!({
            "accountId": "123456789012", "region": "cn-north-1",
            "drs": {"sourceServers": [{"sourceServerID": "s-0123456789abcdef0", "state": "STOPPED"}]},
            "backup": {"vaults": [
                {"name": "dr-primary", "recoveryPoints": [{
                    "resourceArn": "arn:aws-cn:ec2:cn-north-1:123456789012:volume/vol-1",
                    "resourceType": "EBS", "createdHoursAgo": 1}]},
                {"name": "dr-copy", "region": "cn-northwest-1"}]},
            "sns": {"topics": [CN_REPORTS]}
        })
        .to_string(),
    )
    .expect("a China fixture");
    Env::start(Config::new(fixture), "cn-north-1", RetryConfig::disabled()).await
}

/// The only recovery point of the China fixture's source vault.
async fn china_point(env: &Env) -> aws_sdk_backup::types::RecoveryPointByBackupVault {
    env.backup()
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("dr-primary")
        .send()
        .await
        .expect("listed")
        .recovery_points()[0]
        .clone()
}

/// Starts a copy of the China recovery point with `role` to `destination`.
async fn china_copy(
    env: &Env,
    role: &str,
    destination: &str,
) -> Result<
    (),
    aws_sdk_backup::error::SdkError<aws_sdk_backup::operation::start_copy_job::StartCopyJobError>,
> {
    let point = china_point(env).await;
    env.backup()
        .start_copy_job()
        .recovery_point_arn(point.recovery_point_arn().expect("point ARN"))
        .source_backup_vault_name("dr-primary")
        .destination_backup_vault_arn(destination)
        .iam_role_arn(role)
        .send()
        .await
        .map(|_| ())
}

#[tokio::test]
async fn a_china_source_server_gets_an_aws_cn_arn() {
    let env = china().await;
    let servers = env
        .drs()
        .describe_source_servers()
        .send()
        .await
        .expect("described");
    assert_eq!(
        servers.items()[0].arn(),
        Some("arn:aws-cn:drs:cn-north-1:123456789012:source-server/s-0123456789abcdef0")
    );
}

#[tokio::test]
async fn a_china_vault_and_its_recovery_points_get_aws_cn_arns() {
    let env = china().await;
    let point = china_point(&env).await;
    assert_eq!(
        point.backup_vault_arn(),
        Some("arn:aws-cn:backup:cn-north-1:123456789012:backup-vault:dr-primary")
    );
    let point_arn = point.recovery_point_arn().expect("point ARN");
    assert!(
        point_arn.starts_with("arn:aws-cn:ec2:cn-north-1::snapshot/snap-"),
        "{point_arn}"
    );
}

#[tokio::test]
async fn a_china_copy_within_the_partition_starts() {
    let env = china().await;
    china_copy(&env, CN_ROLE, CN_WEST_VAULT)
        .await
        .expect("copied within the partition");
}

#[tokio::test]
async fn a_china_copy_with_a_role_or_vault_of_another_partition_is_refused() {
    let env = china().await;
    let aws_role = "arn:aws:iam::123456789012:role/backup";
    let aws_vault = "arn:aws:backup:cn-northwest-1:123456789012:backup-vault:dr-copy";
    for (role, destination) in [(aws_role, CN_WEST_VAULT), (CN_ROLE, aws_vault)] {
        let err = china_copy(&env, role, destination)
            .await
            .expect_err("another partition");
        assert_eq!(
            code_and_status(&err),
            ("InvalidParameterValueException".into(), 400),
            "{role} {destination}"
        );
    }
}

#[tokio::test]
async fn a_china_topic_gets_an_aws_cn_arn_and_takes_messages() {
    let env = china().await;
    assert_eq!(
        env.create_topic("extra").await,
        "arn:aws-cn:sns:cn-north-1:123456789012:extra"
    );
    env.publish(CN_REPORTS, "hi")
        .send()
        .await
        .expect("published");
}

#[tokio::test]
async fn a_publish_to_an_aws_partition_topic_in_a_china_region_is_refused() {
    let env = china().await;
    let err = env
        .publish("arn:aws:sns:cn-north-1:123456789012:reports", "hi")
        .send()
        .await
        .expect_err("a China region's topic is not in the aws partition");
    assert_error(&err, "InvalidParameter", 400);
}

#[tokio::test]
async fn drs_bodies_not_of_the_operations_shape_are_serialization_errors() {
    let emu = demo().await;
    for body in ["{nope", "[1,2]", "{\"sourceServerID\": 5}", "\u{0}\u{1}"] {
        let r = signed(emu.addr(), "drs", ("POST", "/StartReplication"), &[], body).await;
        assert_eq!(r.status, 400, "{body}");
        assert!(r.has_error_type("serializationexception"));
    }
    // The emulator is still healthy afterwards.
    let r = admin(emu.addr(), "GET", "/_emulator/state", Value::Null).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn an_sms_timestamp_that_is_not_a_number_is_a_serialization_error() {
    let emu = demo().await;
    let body = "{\"serverId\": \"s-5a1c0e7f\", \"seedReplicationTime\": \"tomorrow\"}";
    let r = sms_call(emu.addr(), "CreateReplicationJob", body).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "SerializationException");
}

#[tokio::test]
async fn a_backup_lifecycle_that_is_not_an_object_is_refused() {
    let emu = demo().await;
    let body = "{\"Lifecycle\": 3}";
    let r = signed(emu.addr(), "backup", ("PUT", "/copy-jobs"), &[], body).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn a_backup_max_results_of_zero_is_an_invalid_parameter_value() {
    let emu = demo().await;
    let path = "/backup-vaults/dr-primary/recovery-points/?maxResults=0";
    let r = signed(emu.addr(), "backup", ("GET", path), &[], "").await;
    assert_eq!(r.status, 400);
    assert!(r.headers.contains("invalidparametervalueexception"));
}

#[tokio::test]
async fn a_backup_lifecycle_of_days_past_any_date_is_refused_not_panicked_on() {
    let emu = demo().await;
    let huge = format!(
        "{{\"RecoveryPointArn\": \"x\", \"SourceBackupVaultName\": \"dr-primary\", \"DestinationBackupVaultArn\": \"arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west\", \"IamRoleArn\": \"arn:aws:iam::123456789012:role/r\", \"Lifecycle\": {{\"MoveToColdStorageAfterDays\": {0}, \"DeleteAfterDays\": {0}}}}}",
        i64::MAX
    );
    let r = signed(emu.addr(), "backup", ("PUT", "/copy-jobs"), &[], &huge).await;
    assert_eq!(r.status, 400);
    let r = admin(emu.addr(), "GET", "/_emulator/state", Value::Null).await;
    assert_eq!(r.status, 200, "still healthy");
}

#[tokio::test]
async fn a_drs_max_results_past_a_page_is_served_not_refused() {
    let emu = demo().await;
    let body = "{\"maxResults\": 99999999999}";
    let r = signed(
        emu.addr(),
        "drs",
        ("POST", "/DescribeSourceServers"),
        &[],
        body,
    )
    .await;
    assert_eq!(r.status, 200);
}

/// Posts a fault rule through the admin API and expects it taken.
async fn post_fault(addr: SocketAddr, rule: Value) {
    let r = admin(addr, "POST", "/_emulator/faults", rule).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn a_dropped_connection_rule_closes_the_connection_without_an_answer() {
    let emu = demo().await;
    post_fault(
        emu.addr(),
        json!({"operation": "Publish", "dropConnectionRate": 1.0}),
    )
    .await;
    let body = format!("Action=Publish&TopicArn={REPORTS_TOPIC}&Message=hi");
    let sns = auth("sns");
    let answer = raw(emu.addr(), "POST", "/", &[("Authorization", &sns)], &body).await;
    assert!(answer.is_none());
}

#[tokio::test]
async fn an_sdk_call_on_a_dropped_connection_fails_without_a_response_or_effect() {
    let env = Env::new(Fixture::demo()).await;
    post_fault(
        env.emulator.addr(),
        json!({"operation": "Publish", "dropConnectionRate": 1.0}),
    )
    .await;
    let err = env
        .publish(REPORTS_TOPIC, "hi")
        .send()
        .await
        .expect_err("dropped");
    assert!(err.raw_response().is_none(), "no HTTP response: {err:?}");
    assert!(env.emulator.sns_messages().is_empty());
}

#[tokio::test]
async fn injected_latency_slows_a_call_that_still_succeeds() {
    let env = Env::new(Fixture::demo()).await;
    env.emulator
        .set_fault(FaultRule {
            latency_ms: 300,
            ..failing("DescribeSourceServers", "ThrottlingException", 0.0, None)
        })
        .expect("fault");
    let started = Instant::now();
    env.drs()
        .describe_source_servers()
        .send()
        .await
        .expect("slow but fine");
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn deleting_the_faults_lets_calls_through_again() {
    let env = Env::new(Fixture::demo()).await;
    let addr = env.emulator.addr();
    post_fault(
        addr,
        json!({"operation": "Publish", "dropConnectionRate": 1.0}),
    )
    .await;
    let r = admin(addr, "DELETE", "/_emulator/faults", Value::Null).await;
    assert_eq!(r.status, 204);
    env.publish(REPORTS_TOPIC, "hi")
        .send()
        .await
        .expect("faults cleared");
}

/// The demo emulator with one injected `error` for `operation`.
async fn failing_once(operation: &str, error: &str) -> Env {
    let env = Env::new(Fixture::demo()).await;
    env.emulator
        .set_fault(failing(operation, error, 1.0, Some(1)))
        .expect("fault");
    env
}

#[tokio::test]
async fn an_injected_sms_throttle_is_a_400_throttling_exception() {
    let env = failing_once("GetServers", "ThrottlingException").await;
    let err = env.sms().get_servers().send().await.expect_err("throttled");
    assert_error(&err, "ThrottlingException", 400);
}

#[tokio::test]
async fn an_injected_sns_throttle_is_a_400_throttling() {
    let env = failing_once("Publish", "ThrottlingException").await;
    let err = env
        .publish(REPORTS_TOPIC, "x")
        .send()
        .await
        .expect_err("throttled");
    assert_error(&err, "Throttling", 400);
}

#[tokio::test]
async fn an_injected_backup_internal_error_is_a_500_service_unavailable() {
    let env = failing_once("ListCopyJobs", "InternalServerException").await;
    let err = env
        .backup()
        .list_copy_jobs()
        .send()
        .await
        .expect_err("fault");
    assert_error(&err, "ServiceUnavailableException", 500);
}

#[tokio::test]
async fn a_wildcard_rule_injects_its_error_code_into_any_operation() {
    let env = failing_once("*", "AccessDeniedException").await;
    let err = env
        .drs()
        .describe_source_servers()
        .send()
        .await
        .expect_err("fault");
    assert_error(&err, "AccessDeniedException", 403);
}

#[tokio::test]
async fn a_partial_error_rate_fails_some_calls_not_all_and_counts_every_call() {
    let env = Env::new(Fixture::demo()).await;
    env.emulator
        .set_fault(failing(
            "GetReplicationJobs",
            "InternalServerException",
            0.3,
            None,
        ))
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
async fn the_admin_state_counts_calls_and_names_the_account() {
    let env = Env::new(Fixture::demo()).await;
    start_replication(&env, &demo_stopped_server()).await;
    let state = admin_state(env.emulator.addr()).await;
    assert_eq!(state["calls"]["StartReplication"], 1);
    assert_eq!(state["accountId"], "123456789012");
}

#[tokio::test]
async fn advancing_steps_through_the_admin_api_moves_replication_on() {
    let env = Env::new(Fixture::demo()).await;
    let addr = env.emulator.addr();
    let stopped = demo_stopped_server();
    start_replication(&env, &stopped).await;
    let r = admin(addr, "POST", "/_emulator/advance", json!({"steps": 2})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["steps"], 2);
    let state = admin_state(addr).await;
    assert_eq!(replication_state(&state, &stopped), "CONTINUOUS");
}

#[tokio::test]
async fn advancing_seconds_through_the_admin_api_moves_the_clock_on() {
    let emu = demo().await;
    let before = admin_state(emu.addr()).await["nowEpochSeconds"]
        .as_i64()
        .expect("now");
    let r = admin(
        emu.addr(),
        "POST",
        "/_emulator/advance",
        json!({"seconds": 7200}),
    )
    .await;
    assert_eq!(r.status, 200);
    let after = admin_state(emu.addr()).await["nowEpochSeconds"]
        .as_i64()
        .expect("now");
    assert!(after >= before + 7200);
}

#[tokio::test]
async fn the_admin_api_refuses_malformed_fault_and_advance_bodies() {
    let emu = demo().await;
    for (path, body) in [
        ("/_emulator/faults", json!({"errorRate": 2})),
        ("/_emulator/faults", json!({"bogus": 1})),
        ("/_emulator/advance", json!("steps")),
    ] {
        let r = admin(emu.addr(), "POST", path, body.clone()).await;
        assert_eq!(r.status, 400, "{path} {body}");
    }
}

#[tokio::test]
async fn the_admin_api_sets_a_source_servers_state() {
    let emu = demo().await;
    let body = json!({"sourceServerID": demo_stopped_server(), "state": "STALLED"});
    let r = admin(emu.addr(), "POST", "/_emulator/drs/state", body).await;
    assert_eq!(r.status, 204);
    let state = admin_state(emu.addr()).await;
    assert_eq!(replication_state(&state, &demo_stopped_server()), "STALLED");
}

#[tokio::test]
async fn the_admin_api_makes_a_servers_next_launch_fail() {
    let emu = demo().await;
    let server = demo_healthy_server();
    let body = json!({"sourceServerID": server, "accountId": "123456789012"});
    let r = admin(emu.addr(), "POST", "/_emulator/drs/launch-failures", body).await;
    assert_eq!(r.status, 204);
    let start = json!({"sourceServers": [{"sourceServerID": server}], "isDrill": true}).to_string();
    let r = signed(emu.addr(), "drs", ("POST", "/StartRecovery"), &[], &start).await;
    assert_eq!(r.status, 202);
    emu.advance(2);
    let state = admin_state(emu.addr()).await;
    assert_eq!(
        state["drs"]["jobs"][0]["participatingServers"][0]["launchStatus"],
        "FAILED"
    );
}

/// The first healthy (CONTINUOUS) source server of the demo's home account.
fn demo_healthy_server() -> String {
    Fixture::demo()
        .drs
        .source_servers
        .iter()
        .find(|s| s.state == "CONTINUOUS" && s.staging_account_id.is_none())
        .map(|s| s.source_server_id.clone())
        .expect("healthy server")
}

/// The `dataReplicationInfo.lagDuration` of one server in an emulator state document.
fn lag_duration(state: &Value, id: &str) -> Value {
    state["drs"]["sourceServers"]
        .as_array()
        .expect("servers")
        .iter()
        .find(|s| s["sourceServerID"] == id)
        .map(|s| s["dataReplicationInfo"]["lagDuration"].clone())
        .expect("server")
}

#[tokio::test]
async fn the_admin_api_sets_a_source_servers_lag() {
    let emu = demo().await;
    let server = demo_healthy_server();
    let body = json!({"sourceServerID": server, "lagDuration": "PT20M"});
    let r = admin(emu.addr(), "POST", "/_emulator/drs/state", body).await;
    assert_eq!(r.status, 204);
    let state = admin_state(emu.addr()).await;
    assert_eq!(lag_duration(&state, &server), "PT20M");
    assert_eq!(replication_state(&state, &server), "CONTINUOUS");
}

#[tokio::test]
async fn the_admin_api_changes_nothing_when_the_lag_it_is_given_is_wrong() {
    let emu = demo().await;
    let server = demo_healthy_server();
    let body = json!({"sourceServerID": server, "state": "STALLED", "lagDuration": "20m"});
    let r = admin(emu.addr(), "POST", "/_emulator/drs/state", body).await;
    assert_eq!(r.status, 400);
    let state = admin_state(emu.addr()).await;
    assert_eq!(replication_state(&state, &server), "CONTINUOUS");
    assert_eq!(lag_duration(&state, &server), "PT0S");
}

#[tokio::test]
async fn the_admin_api_wants_a_state_or_a_lag() {
    let emu = demo().await;
    let body = json!({"sourceServerID": demo_healthy_server()});
    let r = admin(emu.addr(), "POST", "/_emulator/drs/state", body).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn drs_tags_are_read_by_an_arn_in_the_path_encoded_or_not() {
    let emu = demo().await;
    let arn = format!(
        "arn:aws:drs:us-east-1:123456789012:source-server/{}",
        demo_healthy_server()
    );
    let encoded = arn.replace(':', "%3A").replace('/', "%2F");
    for path in [format!("/tags/{encoded}"), format!("/tags/{arn}")] {
        let r = signed(emu.addr(), "drs", ("GET", &path), &[], "").await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.json()["tags"]["Env"], "prod", "{path}");
    }
}

#[tokio::test]
async fn start_recovery_plan_execution_answers_201_created() {
    let mut fixture = Fixture::demo();
    fixture.drs.recovery_plans = vec![dr_emulator::fixture::RecoveryPlanSpec {
        recovery_plan_id: "rp-1".into(),
        name: "web".into(),
        description: None,
        source_server_ids: vec![demo_healthy_server()],
        status: None,
        tags: Default::default(),
    }];
    let emu = Emulator::start(Config::new(fixture)).await.expect("start");
    let body = json!({
        "recoveryPlanArn": "arn:aws:drs:us-east-1:123456789012:recovery-plan/rp-1",
        "mode": "DRILL",
    })
    .to_string();
    let r = signed(
        emu.addr(),
        "drs",
        ("POST", "/StartRecoveryPlanExecution"),
        &[],
        &body,
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["recoveryPlanExecution"]["status"], "CREATED");
}

#[tokio::test]
async fn the_admin_api_refuses_a_launch_failure_for_an_unknown_server() {
    let emu = demo().await;
    let unknown = json!({"sourceServerID": "s-99999999999999999"});
    let r = admin(
        emu.addr(),
        "POST",
        "/_emulator/drs/launch-failures",
        unknown,
    )
    .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn a_recovery_point_added_through_the_admin_api_can_be_described() {
    let env = Env::new(Fixture::demo()).await;
    let r = admin(
        env.emulator.addr(),
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
}

#[tokio::test]
async fn published_messages_are_listed_by_the_admin_api() {
    let env = Env::new(Fixture::demo()).await;
    env.publish(REPORTS_TOPIC, "report")
        .send()
        .await
        .expect("publish");
    let messages = admin(
        env.emulator.addr(),
        "GET",
        "/_emulator/sns/messages",
        Value::Null,
    )
    .await
    .json();
    assert_eq!(messages.as_array().map(Vec::len), Some(1));
    assert_eq!(messages[0]["message"], "report");
}

#[tokio::test]
async fn a_reset_forgets_the_calls_and_the_messages() {
    let env = Env::new(Fixture::demo()).await;
    let addr = env.emulator.addr();
    env.publish(REPORTS_TOPIC, "report")
        .send()
        .await
        .expect("publish");
    let r = admin(addr, "POST", "/_emulator/reset", Value::Null).await;
    assert_eq!(r.status, 204);
    let state = admin_state(addr).await;
    assert_eq!(state["calls"], json!({}));
    assert_eq!(state["sns"]["messages"], json!([]));
}

#[tokio::test]
async fn a_fixture_put_through_the_admin_api_replaces_the_fleet() {
    let env = Env::new(Fixture::demo()).await;
    let fleet = serde_json::to_value(Fixture::drs_fleet(3, 3)).expect("fixture JSON");
    let r = admin(env.emulator.addr(), "PUT", "/_emulator/fixture", fleet).await;
    assert_eq!(r.status, 204);
    let out = env
        .drs()
        .describe_source_servers()
        .send()
        .await
        .expect("describe");
    assert_eq!(out.items().len(), 3);
}

#[tokio::test]
async fn a_fixture_that_does_not_load_is_refused_by_the_admin_api() {
    let emu = demo().await;
    let bad = json!({"accountId": "12"});
    let r = admin(emu.addr(), "PUT", "/_emulator/fixture", bad).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn wall_clock_pace_moves_state_without_admin_calls() {
    let stopped = demo_stopped_server();
    let config = Config::new(Fixture::demo()).with_pace(Duration::from_millis(20));
    let env = Env::start(config, "us-east-1", RetryConfig::disabled()).await;
    start_replication(&env, &stopped).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let state = env.emulator.state();
    assert_eq!(replication_state(&state, &stopped), "CONTINUOUS");
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
}

#[tokio::test]
async fn the_binary_exits_with_2_on_a_missing_fixture_file() {
    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_dr-emulator"))
        .args(["--fixture", "/nonexistent/fixture.json"])
        .output()
        .await
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
}
