//! DRS tagging (TagResource, ListTagsForResource, UntagResource) through aws-sdk-drs.

use crate::common::{assert_error, failing, Env};
use aws_sdk_drs::types::StartRecoveryRequestSourceServer;
use dr_emulator::fixture::{DrsServer, DrsState};
use dr_emulator::Fixture;
use std::collections::HashMap;

const SERVER: &str = "s-00000000000000001";

fn fixture() -> Fixture {
    let mut fixture = Fixture::default();
    let mut server = DrsServer::new(SERVER, DrsState::Continuous);
    server.tags.insert("Env".into(), "prod".into());
    fixture.drs.source_servers = vec![server];
    fixture
}

fn server_arn() -> String {
    format!("arn:aws:drs:us-east-1:123456789012:source-server/{SERVER}")
}

async fn tags(env: &Env, arn: &str) -> HashMap<String, String> {
    env.drs()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .expect("list tags")
        .tags()
        .cloned()
        .unwrap_or_default()
}

async fn tag(env: &Env, arn: &str, key: &str, value: &str) {
    env.drs()
        .tag_resource()
        .resource_arn(arn)
        .tags(key, value)
        .send()
        .await
        .expect("tag resource");
}

/// Launches a drill of the server and lets it complete; the job's and the instance's ARNs.
async fn launched(env: &Env) -> (String, String) {
    let job = env
        .drs()
        .start_recovery()
        .is_drill(true)
        .source_servers(
            StartRecoveryRequestSourceServer::builder()
                .source_server_id(SERVER)
                .build()
                .expect("source server"),
        )
        .send()
        .await
        .expect("start recovery")
        .job()
        .cloned()
        .expect("job");
    env.emulator.advance(2);
    let instance = env
        .drs()
        .describe_recovery_instances()
        .send()
        .await
        .expect("describe recovery instances")
        .items()[0]
        .arn()
        .expect("instance ARN")
        .to_owned();
    (job.arn().expect("job ARN").to_owned(), instance)
}

#[tokio::test]
async fn a_source_servers_tags_are_listed_by_its_arn() {
    let env = Env::new(fixture()).await;
    assert_eq!(
        tags(&env, &server_arn()).await,
        HashMap::from([("Env".to_owned(), "prod".to_owned())])
    );
}

#[tokio::test]
async fn tagging_a_recovery_instance_shows_in_describe_recovery_instances() {
    let env = Env::new(fixture()).await;
    let (_, instance) = launched(&env).await;
    tag(&env, &instance, "dr-automation:mode", "drill").await;
    let described = env
        .drs()
        .describe_recovery_instances()
        .send()
        .await
        .expect("describe recovery instances");
    assert_eq!(
        described.items()[0]
            .tags()
            .and_then(|t| t.get("dr-automation:mode"))
            .map(String::as_str),
        Some("drill")
    );
    assert_eq!(tags(&env, &instance).await.len(), 1);
}

#[tokio::test]
async fn tagging_a_job_shows_in_describe_jobs() {
    let env = Env::new(fixture()).await;
    let (job, _) = launched(&env).await;
    tag(&env, &job, "dr-automation:reported", "2026-12-01T18:00:00Z").await;
    let described = env
        .drs()
        .describe_jobs()
        .send()
        .await
        .expect("describe jobs");
    assert_eq!(
        described.items()[0]
            .tags()
            .and_then(|t| t.get("dr-automation:reported"))
            .map(String::as_str),
        Some("2026-12-01T18:00:00Z")
    );
}

#[tokio::test]
async fn tagging_an_existing_key_overwrites_its_value() {
    let env = Env::new(fixture()).await;
    tag(&env, &server_arn(), "Env", "dr").await;
    assert_eq!(tags(&env, &server_arn()).await["Env"], "dr");
}

#[tokio::test]
async fn untagging_removes_only_the_keys_named() {
    let env = Env::new(fixture()).await;
    tag(&env, &server_arn(), "a", "1").await;
    tag(&env, &server_arn(), "b", "2").await;
    env.drs()
        .untag_resource()
        .resource_arn(server_arn())
        .tag_keys("a")
        .tag_keys("Env")
        .send()
        .await
        .expect("untag");
    assert_eq!(
        tags(&env, &server_arn()).await,
        HashMap::from([("b".to_owned(), "2".to_owned())])
    );
}

#[tokio::test]
async fn an_unknown_arn_is_not_found() {
    let env = Env::new(fixture()).await;
    let unknown = "arn:aws:drs:us-east-1:123456789012:job/drsjob-00000000000000000";
    let err = env
        .drs()
        .list_tags_for_resource()
        .resource_arn(unknown)
        .send()
        .await
        .expect_err("unknown job");
    assert_error(&err, "ResourceNotFoundException", 404);
    let err = env
        .drs()
        .tag_resource()
        .resource_arn(unknown)
        .tags("k", "v")
        .send()
        .await
        .expect_err("unknown job");
    assert_error(&err, "ResourceNotFoundException", 404);
}

#[tokio::test]
async fn an_arn_of_another_account_is_not_found() {
    let env = Env::new(fixture()).await;
    let elsewhere = format!("arn:aws:drs:us-east-1:234567890123:source-server/{SERVER}");
    let err = env
        .drs()
        .list_tags_for_resource()
        .resource_arn(elsewhere)
        .send()
        .await
        .expect_err("another account");
    assert_error(&err, "ResourceNotFoundException", 404);
}

#[tokio::test]
async fn a_resource_refuses_more_than_50_tags() {
    let env = Env::new(fixture()).await;
    let mut call = env.drs().tag_resource().resource_arn(server_arn());
    for n in 0..50 {
        call = call.tags(format!("k{n}"), "v");
    }
    let err = call.send().await.expect_err("51 tags with Env");
    assert_error(&err, "ValidationException", 400);
    assert_eq!(tags(&env, &server_arn()).await.len(), 1);
}

#[tokio::test]
async fn tagging_calls_are_counted_and_faulted_by_operation_name() {
    let env = Env::new(fixture()).await;
    env.emulator
        .set_fault(failing("TagResource", "ThrottlingException", 1.0, Some(1)))
        .expect("rule");
    let err = env
        .drs()
        .tag_resource()
        .resource_arn(server_arn())
        .tags("k", "v")
        .send()
        .await
        .expect_err("injected");
    assert_error(&err, "ThrottlingException", 429);
    tag(&env, &server_arn(), "k", "v").await;
    tags(&env, &server_arn()).await;
    assert_eq!(env.emulator.calls("TagResource"), 2);
    assert_eq!(env.emulator.calls("ListTagsForResource"), 1);
    assert_eq!(env.emulator.calls("UntagResource"), 0);
}
