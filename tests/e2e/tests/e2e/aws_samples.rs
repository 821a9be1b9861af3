//! AWS's documented sample events (`tests/aws-events`) delivered to every function's binary
//! against the emulator: each is acted on or skipped with a reason, and none fails the
//! invocation, so none would be retried into a dead-letter queue.
//!
//! The functions run with the demo configuration but accept every SNS topic and every account,
//! so that the samples' own topics and accounts are read rather than refused. They serve one
//! target, the home region: a sample from another region is routed to no target and skipped
//! saying so, whatever it is.

use dr_core::trigger::{self, Event};
use dr_e2e::{demo, mgn, Deployment, Invocation, INVOKE_TIMEOUT};
use dr_emulator::Fixture;
use dr_testkit::samples::{aws_events_dir, samples_in};
use serde_json::Value;

/// The region the functions run in (the harness's `AWS_REGION`), their only target.
const HOME_REGION: &str = "us-east-1";

/// Every AWS sample, by its path under `tests/aws-events`, sorted.
fn samples() -> Vec<(String, Value)> {
    let samples = samples_in(&aws_events_dir());
    assert!(samples.len() > 50, "the AWS samples are missing");
    samples
}

/// Whether `function` acts on `event` (the others it must skip as not handled).
fn acts_on(function: &str, event: &Event) -> bool {
    match (function, event) {
        (_, Event::Schedule(_) | Event::Direct(_)) => true,
        ("drs-start-replication", Event::Alarm(_) | Event::ReplicationStalled(_)) => true,
        (
            "backup-copy-fanout",
            Event::BackupJob(_) | Event::CopyJob(_) | Event::VaultNotification(_),
        ) => true,
        ("sms-replication-jobs", Event::ApiCall(c)) => c.source == "aws.sms",
        ("mgn-replication", Event::Mgn(_)) => true,
        _ => false,
    }
}

fn skip_reasons(report: &Value) -> Vec<String> {
    report["skips"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["reason"].as_str().map(str::to_owned))
        .collect()
}

async fn every_sample_is_acted_on_or_skipped_by(function: &str) {
    let mut env = demo::config().env_without(&["TRIGGER_TOPIC_ARNS", "ACCOUNT_ID"]);
    if function == mgn::FUNCTION {
        env.push(("MGN_SERVERS", mgn::SERVERS));
    }
    let log = format!("aws-samples-{function}");
    let deployment = Deployment::start(function, Fixture::demo(), &env, &log, 1)
        .await
        .expect("deployed");
    for (name, sample) in samples() {
        let report = match deployment
            .runtime
            .invoke(&sample, INVOKE_TIMEOUT)
            .await
            .expect("answered")
        {
            Invocation::Response(report) => report,
            Invocation::Error {
                error_type,
                error_message,
            } => panic!("{function} failed {name}: {error_type}: {error_message}"),
        };
        let counts = &report["counts"];
        let total: u64 = ["done", "unchanged", "planned", "failed", "skipped"]
            .iter()
            .map(|k| counts[k].as_u64().unwrap_or(0))
            .sum();
        assert!(
            total > 0,
            "{function} reported nothing for {name}: {report}"
        );
        let parsed = trigger::parse(&sample).unwrap_or_else(|e| panic!("{name}: {e}"));
        let reasons = skip_reasons(&report);
        for (event, origin) in parsed.events.iter().zip(parsed.origins()) {
            let want = match origin.region.as_deref() {
                Some(region) if region != HOME_REGION => format!(
                    "{}: from {}/{region}, which is not a target of this run",
                    event.describe(),
                    origin.account.as_deref().unwrap_or("an unnamed account")
                ),
                _ if !acts_on(function, event) => {
                    format!("{}: not handled by {function}", event.describe())
                }
                _ => continue,
            };
            assert!(
                reasons.contains(&want),
                "{function}, {name}: no skip `{want}` in {reasons:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drs_start_replication_acts_on_or_skips_every_aws_sample() {
    every_sample_is_acted_on_or_skipped_by("drs-start-replication").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_copy_fanout_acts_on_or_skips_every_aws_sample() {
    every_sample_is_acted_on_or_skipped_by("backup-copy-fanout").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_replication_jobs_acts_on_or_skips_every_aws_sample() {
    every_sample_is_acted_on_or_skipped_by("sms-replication-jobs").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mgn_replication_acts_on_or_skips_every_aws_sample() {
    every_sample_is_acted_on_or_skipped_by(mgn::FUNCTION).await;
}
