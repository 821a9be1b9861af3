//! Several accounts and regions: STS AssumeRole through aws-sdk-sts, partitions chosen by the
//! credentials' account and the SigV4 region, scoped faults and counters, extended DRS servers
//! that follow their staging server.

use crate::common::{assert_error, failing, Env};
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_drs::config::Credentials;
use aws_sdk_drs::types::DataReplicationState;
use dr_emulator::fixture::{DrsState, StagingStatus};
use dr_emulator::{Fixture, FixtureError};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const HOME: &str = "123456789012";
const MEMBER: &str = "234567890123";
const STAGING: &str = "345678901234";
const EAST: &str = "us-east-1";
const WEST: &str = "us-west-2";

fn role(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/dr-automation-member-drs-start-replication")
}

/// SDK configuration for the emulator with the given credentials, in `region`.
async fn config_with(env: &Env, credentials: Credentials, region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(env.emulator.endpoint_url())
        .region(Region::new(region.to_owned()))
        .credentials_provider(credentials)
        .retry_config(RetryConfig::disabled())
        .load()
        .await
}

/// The home credentials' configuration in `region`.
async fn home_in(env: &Env, region: &str) -> SdkConfig {
    let key = Credentials::new("AKIDEMULATOR", "emulator-secret", None, None, "tests");
    config_with(env, key, region).await
}

fn sts(env: &Env) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::new(&env.config)
}

/// Assumes `role_arn` and returns a configuration with its credentials in `region`.
async fn assumed(env: &Env, role_arn: &str, region: &str) -> SdkConfig {
    let out = sts(env)
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("dr-automation-tests")
        .send()
        .await
        .expect("assume role");
    let c = out.credentials().expect("credentials");
    let credentials = Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "assumed",
    );
    config_with(env, credentials, region).await
}

/// The source server ids `config` is shown by DescribeSourceServers.
async fn drs_ids(config: &SdkConfig) -> BTreeSet<String> {
    aws_sdk_drs::Client::new(config)
        .describe_source_servers()
        .send()
        .await
        .expect("describe")
        .items()
        .iter()
        .filter_map(|s| s.source_server_id().map(str::to_owned))
        .collect()
}

/// The ids of the fleet fixture's DRS servers of `account` in `region`.
fn fixture_ids(account: &str, region: &str) -> BTreeSet<String> {
    let f = Fixture::fleet();
    let servers = if (account, region) == (HOME, EAST) {
        &f.drs.source_servers
    } else {
        &f.partitions
            .iter()
            .find(|p| p.account_id == account && p.region == region)
            .expect("partition")
            .drs
            .source_servers
    };
    servers.iter().map(|s| s.source_server_id.clone()).collect()
}

/// The fleet fixture with `sts` rules from JSON.
fn fleet_with_sts(sts: Value) -> Fixture {
    let mut f = Fixture::fleet();
    f.sts = serde_json::from_value(sts).expect("sts section");
    f
}

#[tokio::test]
async fn assume_role_returns_credentials_of_the_roles_account_that_the_sdk_parses() {
    let env = Env::new(Fixture::fleet()).await;
    let now = env.emulator.state()["nowEpochSeconds"]
        .as_i64()
        .expect("now");
    let out = sts(&env)
        .assume_role()
        .role_arn(role(MEMBER))
        .role_session_name("dr-automation-drs-start-replication")
        .send()
        .await
        .expect("assume role");
    let c = out.credentials().expect("credentials");
    assert!(c.access_key_id().starts_with(&format!("ASIA{MEMBER}")));
    assert_eq!(c.access_key_id().len(), 20);
    assert!(!c.secret_access_key().is_empty() && !c.session_token().is_empty());
    let expires = c.expiration().secs();
    assert!((now + 3600..=now + 3602).contains(&expires), "{expires}");
    let user = out.assumed_role_user().expect("assumed role user");
    assert_eq!(
        user.arn(),
        format!(
            "arn:aws:sts::{MEMBER}:assumed-role/dr-automation-member-drs-start-replication/dr-automation-drs-start-replication"
        )
    );
    assert!(user.assumed_role_id().starts_with("AROA"));
    assert!(user
        .assumed_role_id()
        .ends_with(":dr-automation-drs-start-replication"));
}

#[tokio::test]
async fn duration_seconds_sets_the_expiration() {
    let env = Env::new(Fixture::fleet()).await;
    let now = env.emulator.state()["nowEpochSeconds"]
        .as_i64()
        .expect("now");
    let out = sts(&env)
        .assume_role()
        .role_arn(role(MEMBER))
        .role_session_name("s1")
        .duration_seconds(900)
        .send()
        .await
        .expect("assume role");
    let expires = out.credentials().expect("credentials").expiration().secs();
    assert!((now + 900..=now + 902).contains(&expires), "{expires}");
}

#[tokio::test]
async fn assume_role_refuses_what_the_model_constrains_with_validation_error() {
    let env = Env::new(Fixture::fleet()).await;
    let long_session = "s".repeat(65);
    let cases: [(&str, String, &str, Option<i32>); 5] = [
        ("session name of one character", role(MEMBER), "x", None),
        (
            "session name of 65 characters",
            role(MEMBER),
            &long_session,
            None,
        ),
        (
            "session name with a space",
            role(MEMBER),
            "dr automation",
            None,
        ),
        ("duration below 900", role(MEMBER), "s1", Some(899)),
        ("duration above 43200", role(MEMBER), "s1", Some(43_201)),
    ];
    for (name, arn, session, duration) in cases {
        let err = sts(&env)
            .assume_role()
            .role_arn(arn)
            .role_session_name(session)
            .set_duration_seconds(duration)
            .send()
            .await
            .expect_err(name);
        assert_error(&err, "ValidationError", 400);
    }
    let err = sts(&env)
        .assume_role()
        .role_arn("arn:aws:iam::1:r")
        .role_session_name("s1")
        .send()
        .await
        .expect_err("short ARN");
    assert_error(&err, "ValidationError", 400);
}

#[tokio::test]
async fn a_denied_role_is_access_denied_until_allowed_again() {
    let env = Env::new(fleet_with_sts(json!({"deniedRoles": [role(MEMBER)]}))).await;
    let assume = || {
        sts(&env)
            .assume_role()
            .role_arn(role(MEMBER))
            .role_session_name("s1")
            .send()
    };
    let err = assume().await.expect_err("denied");
    assert_error(&err, "AccessDenied", 403);
    env.emulator
        .set_role_denied(&role(MEMBER), false)
        .expect("allow");
    assume().await.expect("allowed again");
}

#[tokio::test]
async fn a_role_denied_through_the_admin_api_is_access_denied() {
    let env = Env::new(Fixture::fleet()).await;
    let response = admin_post(
        &env,
        "/_emulator/sts/roles",
        json!({"roleArn": role(STAGING), "denied": true}),
    )
    .await;
    assert_eq!(response, 204);
    let err = sts(&env)
        .assume_role()
        .role_arn(role(STAGING))
        .role_session_name("s1")
        .send()
        .await
        .expect_err("denied");
    assert_error(&err, "AccessDenied", 403);
}

#[tokio::test]
async fn a_role_that_requires_an_external_id_is_denied_without_the_right_one() {
    let env = Env::new(fleet_with_sts(
        json!({"externalIds": {role(MEMBER): "shared-secret"}}),
    ))
    .await;
    for external_id in [None, Some("wrong-secret")] {
        let err = sts(&env)
            .assume_role()
            .role_arn(role(MEMBER))
            .role_session_name("s1")
            .set_external_id(external_id.map(str::to_owned))
            .send()
            .await
            .expect_err("wrong external id");
        assert_error(&err, "AccessDenied", 403);
    }
    sts(&env)
        .assume_role()
        .role_arn(role(MEMBER))
        .role_session_name("s1")
        .external_id("shared-secret")
        .send()
        .await
        .expect("the right external id");
}

#[tokio::test]
async fn a_role_of_an_unknown_account_is_access_denied() {
    let env = Env::new(Fixture::fleet()).await;
    let err = sts(&env)
        .assume_role()
        .role_arn(role("999999999999"))
        .role_session_name("s1")
        .send()
        .await
        .expect_err("unknown account");
    assert_error(&err, "AccessDenied", 403);
}

#[tokio::test]
async fn a_call_with_assumed_credentials_sees_that_accounts_partition() {
    let env = Env::new(Fixture::fleet()).await;
    let member = assumed(&env, &role(MEMBER), EAST).await;
    assert_eq!(drs_ids(&member).await, fixture_ids(MEMBER, EAST));
    assert_eq!(drs_ids(&env.config).await, fixture_ids(HOME, EAST));
}

#[tokio::test]
async fn a_region_scope_sees_that_regions_partition() {
    let env = Env::new(Fixture::fleet()).await;
    assert_eq!(
        drs_ids(&home_in(&env, WEST).await).await,
        fixture_ids(HOME, WEST)
    );
    let member_west = assumed(&env, &role(MEMBER), WEST).await;
    assert_eq!(drs_ids(&member_west).await, fixture_ids(MEMBER, WEST));
}

#[tokio::test]
async fn a_region_without_a_partition_is_empty_and_exists_once_used() {
    let env = Env::new(Fixture::fleet()).await;
    assert!(env.emulator.state_in(MEMBER, "eu-west-1").is_none());
    let member = assumed(&env, &role(MEMBER), "eu-west-1").await;
    assert!(drs_ids(&member).await.is_empty());
    let vaults = aws_sdk_backup::Client::new(&member)
        .list_backup_vaults()
        .send()
        .await
        .expect("list vaults");
    assert!(vaults.backup_vault_list().is_empty());
    let state = env.emulator.state_in(MEMBER, "eu-west-1").expect("created");
    assert_eq!(state["drs"]["sourceServers"], json!([]));
}

#[tokio::test]
async fn a_fault_rule_of_one_account_fails_only_that_accounts_calls() {
    let env = Env::new(Fixture::fleet()).await;
    env.emulator
        .set_fault_in(
            Some(MEMBER),
            None,
            failing("DescribeSourceServers", "ThrottlingException", 1.0, None),
        )
        .expect("rule");
    let member = assumed(&env, &role(MEMBER), EAST).await;
    let err = aws_sdk_drs::Client::new(&member)
        .describe_source_servers()
        .send()
        .await
        .expect_err("throttled");
    assert_error(&err, "ThrottlingException", 429);
    assert_eq!(drs_ids(&env.config).await, fixture_ids(HOME, EAST));
}

#[tokio::test]
async fn a_fault_rule_of_one_region_posted_to_the_admin_api_fails_only_that_region() {
    let env = Env::new(Fixture::fleet()).await;
    let rule = json!({"operation": "DescribeSourceServers", "errorRate": 1.0, "region": WEST});
    assert_eq!(admin_post(&env, "/_emulator/faults", rule).await, 200);
    assert_eq!(env.emulator.state()["faults"][0]["region"], WEST);
    let err = aws_sdk_drs::Client::new(&home_in(&env, WEST).await)
        .describe_source_servers()
        .send()
        .await
        .expect_err("throttled in us-west-2");
    assert_error(&err, "ThrottlingException", 429);
    assert_eq!(drs_ids(&env.config).await, fixture_ids(HOME, EAST));
}

#[tokio::test]
async fn calls_are_counted_per_account() {
    let env = Env::new(Fixture::fleet()).await;
    let member = assumed(&env, &role(MEMBER), EAST).await;
    drs_ids(&member).await;
    drs_ids(&member).await;
    drs_ids(&env.config).await;
    let e = &env.emulator;
    assert_eq!(e.calls_in(MEMBER, "DescribeSourceServers"), 2);
    assert_eq!(e.calls_in(HOME, "DescribeSourceServers"), 1);
    assert_eq!(e.calls_in(HOME, "AssumeRole"), 1);
    assert_eq!(e.calls("DescribeSourceServers"), 3);
    assert_eq!(
        e.state()["callsByAccount"][MEMBER]["DescribeSourceServers"],
        2
    );
}

/// The home account's extended servers and the staging servers they name.
fn extended_pairs() -> Vec<(String, String)> {
    Fixture::fleet()
        .drs
        .source_servers
        .iter()
        .filter(|s| s.staging_status == StagingStatus::Extended)
        .map(|s| {
            let arn = s.staging_source_server_arn.clone().expect("staging ARN");
            let staging_id = arn.rsplit('/').next().expect("id").to_owned();
            (s.source_server_id.clone(), staging_id)
        })
        .collect()
}

async fn drs_state_of(config: &SdkConfig, id: &str) -> DataReplicationState {
    aws_sdk_drs::Client::new(config)
        .describe_source_servers()
        .filters(
            aws_sdk_drs::types::DescribeSourceServersRequestFilters::builder()
                .source_server_ids(id)
                .build(),
        )
        .send()
        .await
        .expect("describe")
        .items()[0]
        .data_replication_info()
        .and_then(|d| d.data_replication_state())
        .cloned()
        .expect("state")
}

#[tokio::test]
async fn an_extended_server_reports_the_replication_started_in_its_staging_account() {
    let env = Env::new(Fixture::fleet()).await;
    let staging = assumed(&env, &role(STAGING), EAST).await;
    let f = Fixture::fleet();
    let stopped_staging = &f
        .partitions
        .iter()
        .find(|p| p.account_id == STAGING && p.region == EAST)
        .expect("staging partition")
        .drs
        .source_servers
        .iter()
        .find(|s| s.state == DrsState::Stopped)
        .expect("a stopped staging server")
        .source_server_id;
    let (extended, _) = extended_pairs()
        .into_iter()
        .find(|(_, staging_id)| staging_id == stopped_staging)
        .expect("extended into home");
    assert_eq!(
        drs_state_of(&env.config, &extended).await,
        DataReplicationState::Stopped
    );
    aws_sdk_drs::Client::new(&staging)
        .start_replication()
        .source_server_id(stopped_staging)
        .send()
        .await
        .expect("start in the staging account");
    assert_eq!(
        drs_state_of(&env.config, &extended).await,
        DataReplicationState::Initiating
    );
    env.emulator.advance(1);
    assert_eq!(
        drs_state_of(&env.config, &extended).await,
        DataReplicationState::InitialSync
    );
}

#[tokio::test]
async fn a_copy_to_a_vault_of_another_account_lands_there() {
    let env = Env::new(Fixture::fleet()).await;
    let member = assumed(&env, &role(MEMBER), EAST).await;
    let backup = aws_sdk_backup::Client::new(&member);
    let point = backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("dr-primary")
        .send()
        .await
        .expect("list")
        .recovery_points()[0]
        .recovery_point_arn()
        .expect("arn")
        .to_owned();
    let destination = format!("arn:aws:backup:{WEST}:{HOME}:backup-vault:dr-copy-west");
    backup
        .start_copy_job()
        .recovery_point_arn(&point)
        .source_backup_vault_name("dr-primary")
        .destination_backup_vault_arn(&destination)
        .iam_role_arn(format!(
            "arn:aws:iam::{MEMBER}:role/dr-automation-backup-copy"
        ))
        .send()
        .await
        .expect("copy");
    env.emulator.advance(2);
    let copies = aws_sdk_backup::Client::new(&home_in(&env, WEST).await)
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("dr-copy-west")
        .send()
        .await
        .expect("list destination");
    assert_eq!(copies.recovery_points().len(), 1);
    assert_eq!(
        copies.recovery_points()[0].source_backup_vault_arn(),
        Some(format!("arn:aws:backup:{EAST}:{MEMBER}:backup-vault:dr-primary").as_str())
    );
}

#[tokio::test]
async fn the_admin_drs_state_acts_on_the_named_partition() {
    let env = Env::new(Fixture::fleet()).await;
    let id = fixture_ids(MEMBER, WEST)
        .into_iter()
        .next()
        .expect("a server");
    let body =
        json!({"sourceServerID": id, "state": "STALLED", "accountId": MEMBER, "region": WEST});
    assert_eq!(admin_post(&env, "/_emulator/drs/state", body).await, 204);
    let member_west = assumed(&env, &role(MEMBER), WEST).await;
    assert_eq!(
        drs_state_of(&member_west, &id).await,
        DataReplicationState::Stalled
    );
    assert!(
        env.emulator.set_drs_state(&id, "STALLED").is_err(),
        "not a home server"
    );
}

#[test]
fn the_fleet_fixture_has_three_accounts_in_two_regions_with_a_staging_account() {
    let f = Fixture::fleet();
    let places: BTreeSet<(&str, &str)> =
        std::iter::once((f.account_id.as_str(), f.region.as_str()))
            .chain(
                f.partitions
                    .iter()
                    .map(|p| (p.account_id.as_str(), p.region.as_str())),
            )
            .collect();
    let want: BTreeSet<(&str, &str)> = [HOME, MEMBER, STAGING]
        .into_iter()
        .flat_map(|a| [(a, EAST), (a, WEST)])
        .collect();
    assert_eq!(places, want);
    let sections = std::iter::once((&f.drs, &f.backup))
        .chain(f.partitions.iter().map(|p| (&p.drs, &p.backup)));
    for (drs, backup) in sections {
        assert!(drs
            .source_servers
            .iter()
            .any(|s| s.state == DrsState::Stopped));
        assert!(backup
            .vaults
            .iter()
            .any(|v| v.name == "dr-primary" && !v.recovery_points.is_empty()));
    }
    assert_eq!(extended_pairs().len(), 2);
}

#[test]
fn a_fixture_with_a_partition_twice_is_refused() {
    let mut f = Fixture::fleet();
    f.partitions.push(f.partitions[0].clone());
    let text = serde_json::to_string(&f).expect("JSON");
    assert!(matches!(
        Fixture::from_json(&text),
        Err(FixtureError::Invalid(why)) if why.contains("appears twice")
    ));
}

/// Posts JSON to an admin path and returns the status.
async fn admin_post(env: &Env, path: &str, body: Value) -> u16 {
    post(
        env,
        path,
        &[("Content-Type", "application/json")],
        &body.to_string(),
    )
    .await
    .0
}

/// Posts a raw request; returns status and body.
async fn post(env: &Env, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(env.emulator.addr())
        .await
        .expect("connect");
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: emulator\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Signs nothing but names STS in the SigV4 scope, as the emulator reads it.
const STS_AUTH: (&str, &str) = (
    "Authorization",
    "AWS4-HMAC-SHA256 Credential=AKIDEMULATOR/20261201/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00",
);
const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

#[tokio::test]
async fn access_denied_is_an_sts_error_response_of_the_sender() {
    let env = Env::new(Fixture::fleet()).await;
    let body = "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1&RoleArn=arn%3Aaws%3Aiam%3A%3A999999999999%3Arole%2Fx";
    let (status, xml) = post(&env, "/", &[STS_AUTH, FORM], body).await;
    assert_eq!(status, 403, "{xml}");
    assert!(
        xml.starts_with("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"),
        "{xml}"
    );
    assert!(
        xml.contains("<Type>Sender</Type><Code>AccessDenied</Code>"),
        "{xml}"
    );
    assert!(xml.contains("is not authorized to perform: sts:AssumeRole on resource"));
}

#[tokio::test]
async fn an_sts_action_other_than_assume_role_is_an_invalid_action() {
    let env = Env::new(Fixture::fleet()).await;
    let body = "Action=GetFederationToken&Version=2011-06-15&Name=x";
    let (status, xml) = post(&env, "/", &[STS_AUTH, FORM], body).await;
    assert_eq!(status, 400, "{xml}");
    assert!(xml.contains("<Code>InvalidAction</Code>"), "{xml}");
    assert_eq!(env.emulator.calls("GetFederationToken"), 1);
}
