//! backup-copy-fanout end to end: the real binary, the Runtime API, the emulator's Backup and SNS.
//!
//! The demo fixture's source vault `dr-primary` holds eight recovery points: an EC2 image (2 hours
//! old), a continuous (PITR) RDS point (3 h), an EBS snapshot (5 h), an RDS snapshot (26 h), a
//! DynamoDB backup whose first copy fails (30 h), an EFS backup (50 h), an older image of the same
//! instance as the first (26 h) and an EBS snapshot in cold storage (40 days). With the default
//! 24-hour window a sweep sees only the first three; the sample events name the EC2, EBS, RDS and
//! DynamoDB ones. Copy jobs move CREATED → RUNNING → COMPLETED (or FAILED) one emulator step at a
//! time, and a resource's further copy jobs wait in CREATED until the running one ends: the two
//! copies of one point take three steps.

use dr_core::report::{OutcomeResult, RunReport, RunStatus};
use dr_e2e::{
    demo, function_binary, sample_event, Deployment, FunctionProcess, HarnessError, Invocation,
    RuntimeApi,
};
use dr_emulator::fixture::BackupJobSpec;
use dr_emulator::{FaultRule, Fixture, REPORTS_TOPIC};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

const FUNCTION: &str = "backup-copy-fanout";
const TIMEOUT: Duration = Duration::from_secs(60);
const PRIMARY: &str = "arn:aws:backup:us-east-1:123456789012:backup-vault:dr-primary";
const WEST: &str = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west";
const ISOLATED: &str = "arn:aws:backup:us-east-2:210987654321:backup-vault:dr-copy-isolated";
const ROLE: &str = "arn:aws:iam::123456789012:role/dr-automation-backup-copy";
use dr_e2e::demo::VAULT_TOPIC;
const EC2: &str = "arn:aws:ec2:us-east-1::image/ami-0a1b2c3d4e5f60002";
const EBS: &str = "arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60001";
const RDS: &str =
    "arn:aws:backup:us-east-1:123456789012:recovery-point:4e8c1a3b-5d6f-4a7b-8c9d-0e1f2a3b4c5d";
const DYNAMO: &str =
    "arn:aws:backup:us-east-1:123456789012:recovery-point:9d3f5b7a-2c4e-4f60-8a1b-3c5d7e9f1a2b";
const CONTINUOUS: &str =
    "arn:aws:backup:us-east-1:123456789012:recovery-point:continuous:db-orders-0a1b2c3d";
const COLD: &str = "arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60003";
const VOLUME: &str = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0a1b2c3d4e5f60719";
/// Steps in which both copies of one recovery point end: the second waits for the first.
const FAN_OUT_STEPS: u64 = 3;

/// The demo configuration, with `extra` replacing or adding variables.
fn env_with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut env = vec![
        ("BACKUP_SOURCE_VAULTS", "dr-primary"),
        ("BACKUP_DESTINATIONS", demo::BACKUP_DESTINATIONS),
        ("BACKUP_COPY_ROLE_ARN", ROLE),
        ("REPORT_TOPIC_ARN", REPORTS_TOPIC),
        ("TRIGGER_TOPIC_ARNS", VAULT_TOPIC),
        ("MAX_CONCURRENCY", "4"),
        // Pacing is unit-tested; here it would only slow the runs down.
        ("BACKUP_START_RATE_PER_SECOND", "100"),
    ];
    for (k, v) in extra {
        env.retain(|(key, _)| key != k);
        env.push((k, v));
    }
    env
}

/// The function deployed against the emulator, with what these tests read of it.
struct Run {
    deployment: Deployment,
    invocations: usize,
}

impl std::ops::Deref for Run {
    type Target = Deployment;
    fn deref(&self) -> &Deployment {
        &self.deployment
    }
}

impl Run {
    async fn start(env: &[(&str, &str)], log: &str) -> Self {
        Self::start_instances(env, log, 1).await
    }

    /// `instances` warm copies of the function polling the same Runtime API, as Lambda runs
    /// concurrent invocations.
    async fn start_instances(env: &[(&str, &str)], log: &str, instances: usize) -> Self {
        Self::start_with(Fixture::demo(), env, log, instances).await
    }

    async fn start_with(
        fixture: Fixture,
        env: &[(&str, &str)],
        log: &str,
        instances: usize,
    ) -> Self {
        let deployment = Deployment::start(FUNCTION, fixture, env, log, instances);
        Self {
            deployment: deployment.await.expect("deployed"),
            invocations: 0,
        }
    }

    /// Invokes the function with `event`; its report must show no failed copy.
    async fn invoke(&mut self, event: &Value) -> RunReport {
        let answer = self.runtime.invoke(event, TIMEOUT).await.expect("answered");
        self.invocations += 1;
        let report: RunReport =
            serde_json::from_value(answer.expect_response()).expect("a run report");
        assert_eq!(report.counts.failed, 0, "{report:#?}");
        report
    }

    /// Every copy job the emulator knows, oldest first.
    fn copy_jobs(&self) -> Vec<Value> {
        self.emulator.state()["backup"]["copyJobs"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The copy jobs of one recovery point to one destination, oldest first.
    fn jobs(&self, rp: &str, destination: &str) -> Vec<Value> {
        self.copy_jobs()
            .into_iter()
            .filter(|j| {
                j["SourceRecoveryPointArn"] == rp && j["DestinationBackupVaultArn"] == destination
            })
            .collect()
    }

    /// Checks that `report` started exactly `expected` (recovery point, destination, attempt),
    /// each as the newest copy job of its pair in the emulator, named at the start of the
    /// outcome's detail (a copy queued behind another job of its resource says so after it).
    fn assert_started(&self, report: &RunReport, expected: &[(&str, &str, u32)]) {
        let want: Vec<String> = expected.iter().map(|(rp, d, _)| to(rp, d)).collect();
        assert_eq!(started(report), want, "{report:#?}");
        for (rp, destination, attempt) in expected {
            let jobs = self.jobs(rp, destination);
            assert_eq!(
                jobs.len(),
                *attempt as usize,
                "{rp} -> {destination}: {jobs:#?}"
            );
            let newest = jobs.last().expect("a copy job");
            let outcome = report
                .outcomes
                .iter()
                .find(|o| o.target == to(rp, destination))
                .expect("an outcome");
            let detail = outcome.detail.as_deref().unwrap_or_default();
            let named = format!(
                "copy job {} (attempt {attempt})",
                str_of(&newest["CopyJobId"])
            );
            assert!(
                detail == named
                    || detail.starts_with(&format!("{named}; queued in CREATED behind ")),
                "{detail}"
            );
            check_copy_job(newest);
        }
    }

    /// Checks that every SNS message is the report of one invocation, the last one `last`.
    fn assert_reports_published(&self, last: &RunReport) {
        let messages = self.emulator.sns_messages();
        assert_eq!(
            messages.len(),
            self.invocations,
            "one report per invocation"
        );
        for m in &messages {
            assert_eq!(m.topic_arn, REPORTS_TOPIC);
            let report: RunReport = serde_json::from_str(&m.message).expect("report body");
            assert_eq!(report.function, FUNCTION);
        }
        let published: RunReport =
            serde_json::from_str(&messages[messages.len() - 1].message).expect("report body");
        assert_eq!(&published, last, "the published report is the returned one");
    }
}

/// The configured role and the destination's own lifecycle went into the copy job.
fn check_copy_job(job: &Value) {
    assert_eq!(job["IamRoleArn"], ROLE, "{job:#}");
    assert_eq!(job["SourceBackupVaultArn"], PRIMARY, "{job:#}");
    let lifecycle = if job["DestinationBackupVaultArn"] == WEST {
        json!({"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 120,
               "OptInToArchiveForSupportedResources": true})
    } else {
        assert_eq!(job["DestinationBackupVaultArn"], ISOLATED, "{job:#}");
        json!({"DeleteAfterDays": 36500})
    };
    assert_eq!(
        job["DestinationRecoveryPointLifecycle"], lifecycle,
        "{job:#}"
    );
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The report target of a copy.
fn to(rp: &str, destination: &str) -> String {
    format!("{rp} -> {destination}")
}

fn started(report: &RunReport) -> Vec<String> {
    report
        .outcomes
        .iter()
        .filter(|o| o.result == OutcomeResult::Done)
        .map(|o| o.target.clone())
        .collect()
}

/// Why `report` left `target` alone; panics when it did not.
fn skip_reason<'r>(report: &'r RunReport, target: &str) -> &'r str {
    report
        .skips
        .iter()
        .find(|s| s.target == target)
        .map(|s| s.reason.as_str())
        .unwrap_or_else(|| panic!("{target} not skipped: {report:#?}"))
}

/// The copy to `destination` was started queued behind the one to the other destination.
fn assert_queued_behind_this_run(report: &RunReport, rp: &str, destination: &str) {
    let outcome = report
        .outcomes
        .iter()
        .find(|o| o.target == to(rp, destination))
        .unwrap_or_else(|| panic!("{rp} -> {destination} not in {report:#?}"));
    let detail = outcome.detail.as_deref().unwrap_or_default();
    assert!(
        detail.contains("; queued in CREATED behind the copy to ")
            && detail.ends_with(
                "started by this run: AWS Backup runs one backup or copy job per resource at a time"
            ),
        "{detail}"
    );
}

fn event(name: &str) -> Value {
    sample_event(&format!("backup-copy-fanout/{name}")).expect("sample event")
}

#[tokio::test]
async fn every_sample_event_does_what_it_says_against_the_demo_vaults() {
    let mut run = Run::start(&env_with(&[]), "backup-samples").await;

    let dry = run.invoke(&event("direct-invoke-dry-run.json")).await;
    assert_eq!(dry.status, RunStatus::DryRun);
    let planned: Vec<&str> = dry.outcomes.iter().map(|o| o.target.as_str()).collect();
    assert_eq!(
        planned,
        [
            to(EBS, WEST),
            to(EBS, ISOLATED),
            to(RDS, WEST),
            to(RDS, ISOLATED)
        ],
        "newest first, every destination in the same run"
    );
    assert!(dry
        .outcomes
        .iter()
        .all(|o| o.result == OutcomeResult::Planned));
    let again = run.invoke(&event("direct-invoke-dry-run.json")).await;
    assert_eq!(
        again.outcomes, dry.outcomes,
        "the idempotency tokens are the same on every run"
    );
    assert_eq!(
        run.emulator.calls("StartCopyJob"),
        0,
        "a dry run starts nothing"
    );
    assert!(run.copy_jobs().is_empty());

    let completed = run.invoke(&event("backup-job-completed.json")).await;
    run.assert_started(&completed, &[(EBS, WEST, 1), (EBS, ISOLATED, 1)]);
    assert_queued_behind_this_run(&completed, EBS, ISOLATED);

    for (name, rp) in [
        ("vault-notification-backup-completed.json", RDS),
        ("vault-notification-backup-completed-variant-b.json", EC2),
    ] {
        let report = run.invoke(&event(name)).await;
        run.assert_started(&report, &[(rp, WEST, 1), (rp, ISOLATED, 1)]);
        assert_queued_behind_this_run(&report, rp, ISOLATED);
    }

    let failed_backup = event("vault-notification-backup-failed.json");
    let mut expired_backup = failed_backup.clone();
    expired_backup["Records"][0]["Sns"]["MessageAttributes"]["State"]["Value"] = json!("EXPIRED");
    for (notification, state) in [(failed_backup, "FAILED"), (expired_backup, "EXPIRED")] {
        let report = run.invoke(&notification).await;
        assert!(report.outcomes.is_empty(), "{report:#?}");
        assert_eq!(
            skip_reason(&report, "3c4d5e6f-a1b2-4c3d-8e4f-5a6b7c8d9e0f"),
            format!("backup job {state}: nothing to copy")
        );
    }
    assert_eq!(run.emulator.calls("StartCopyJob"), 6);

    // Each resource's second copy waits in CREATED for its first, then runs.
    run.emulator.advance(1);
    let waiting: Vec<String> = run
        .copy_jobs()
        .iter()
        .filter(|j| j["State"] == "CREATED")
        .map(|j| str_of(&j["DestinationBackupVaultArn"]).to_owned())
        .collect();
    assert_eq!(waiting, [ISOLATED; 3], "queued, not refused");
    run.emulator.advance(FAN_OUT_STEPS - 1);
    assert!(run.copy_jobs().iter().all(|j| j["State"] == "COMPLETED"));

    let copied = run.invoke(&event("copy-job-completed.json")).await;
    assert!(copied.outcomes.is_empty(), "{copied:#?}");
    assert!(skip_reason(&copied, &to(EBS, WEST)).starts_with("already copied by copy job "));
    assert!(skip_reason(&copied, &to(EBS, ISOLATED)).starts_with("already copied by copy job "));

    // The sweep sees the three in-window points; points older than the window (RDS, DynamoDB,
    // EFS, the older EC2 image, the cold snapshot) are not even looked at, and the continuous
    // one is never sent.
    let sweep = run.invoke(&event("scheduled-event.json")).await;
    assert!(sweep.outcomes.is_empty(), "{sweep:#?}");
    assert!(skip_reason(&sweep, CONTINUOUS)
        .starts_with("continuous (point-in-time) backup: StartCopyJob does not support"));
    let swept: BTreeSet<&str> = sweep.skips.iter().map(|s| s.target.as_str()).collect();
    let in_window = BTreeSet::from([
        to(EC2, WEST),
        to(EC2, ISOLATED),
        to(EBS, WEST),
        to(EBS, ISOLATED),
        CONTINUOUS.to_owned(),
    ]);
    assert_eq!(
        swept,
        in_window.iter().map(String::as_str).collect(),
        "{sweep:#?}"
    );

    let quiet = run.invoke(&event("scheduler-input.json")).await;
    assert!(quiet.outcomes.is_empty(), "{quiet:#?}");

    let direct = run.invoke(&event("direct-invoke.json")).await;
    assert!(direct.outcomes.is_empty(), "{direct:#?}");
    assert!(skip_reason(&direct, &to(RDS, ISOLATED)).starts_with("already copied by copy job "));

    // A real failure for the sample event to follow: the DynamoDB backup's first copy fails.
    let first = run.invoke(&json!({"targets": [DYNAMO]})).await;
    run.assert_started(&first, &[(DYNAMO, WEST, 1), (DYNAMO, ISOLATED, 1)]);
    run.emulator.advance(FAN_OUT_STEPS);
    assert_eq!(run.jobs(DYNAMO, WEST)[0]["State"], "FAILED");
    assert_eq!(run.jobs(DYNAMO, ISOLATED)[0]["State"], "COMPLETED");
    let retry = run.invoke(&event("copy-job-failed.json")).await;
    run.assert_started(&retry, &[(DYNAMO, WEST, 2)]);
    assert!(
        retry.skips.is_empty(),
        "only the failed destination is retried: {retry:#?}"
    );
    run.emulator.advance(2);
    let redelivered = run.invoke(&event("copy-job-failed.json")).await;
    assert!(redelivered.outcomes.is_empty(), "{redelivered:#?}");

    let mut pairs = BTreeSet::new();
    for job in run.copy_jobs() {
        check_copy_job(&job);
        let pair = to(
            str_of(&job["SourceRecoveryPointArn"]),
            str_of(&job["DestinationBackupVaultArn"]),
        );
        if job["State"] == "COMPLETED" {
            assert!(pairs.insert(pair.clone()), "a second copy of {pair}");
        } else {
            assert_eq!((pair, &job["State"]), (to(DYNAMO, WEST), &json!("FAILED")));
        }
    }
    let want: BTreeSet<String> = [EC2, EBS, RDS, DYNAMO]
        .iter()
        .flat_map(|rp| [to(rp, WEST), to(rp, ISOLATED)])
        .collect();
    assert_eq!(pairs, want);
    assert_eq!(
        run.emulator.calls("StartCopyJob"),
        9,
        "one call per copy job"
    );
    run.assert_reports_published(&redelivered);
}

#[tokio::test]
async fn a_copy_that_keeps_failing_alerts_instead_of_retrying() {
    let mut run = Run::start(
        &env_with(&[("BACKUP_COPY_MAX_ATTEMPTS", "1")]),
        "backup-exhausted",
    )
    .await;
    let first = run.invoke(&json!({"targets": [DYNAMO]})).await;
    run.assert_started(&first, &[(DYNAMO, WEST, 1), (DYNAMO, ISOLATED, 1)]);
    run.emulator.advance(FAN_OUT_STEPS);
    let failed_job = run.jobs(DYNAMO, WEST).remove(0);
    assert_eq!(failed_job["State"], "FAILED");

    let answer = run
        .runtime
        .invoke(&event("copy-job-failed.json"), TIMEOUT)
        .await
        .expect("answered");
    run.invocations += 1;
    let alert: RunReport = serde_json::from_value(answer.expect_response())
        .expect("an exhausted copy is reported, not retried by Lambda");
    assert_eq!(alert.status, RunStatus::Failed);
    assert_eq!(alert.counts.failed, 1);
    assert_eq!(alert.outcomes[0].target, to(DYNAMO, WEST));
    assert!(!alert.outcomes[0].retryable);
    assert_eq!(
        alert.outcomes[0].detail.as_deref(),
        Some(
            format!(
                "CopyAttemptsExhausted: 1 copy attempts failed (BACKUP_COPY_MAX_ATTEMPTS is 1); \
                 the last, copy job {}, ended with: {}; not retried again",
                str_of(&failed_job["CopyJobId"]),
                str_of(&failed_job["StatusMessage"])
            )
            .as_str()
        )
    );
    assert_eq!(
        run.emulator.calls("StartCopyJob"),
        2,
        "no second attempt to the west"
    );
    assert_eq!(run.jobs(DYNAMO, WEST).len(), 1);
    let messages = run.emulator.sns_messages();
    let alerted = &messages[messages.len() - 1];
    assert_eq!(
        alerted
            .message_attributes
            .get("status")
            .and_then(|a| a.string_value.as_deref()),
        Some("FAILED"),
        "subscribers can filter on the failed status"
    );
    run.assert_reports_published(&alert);
}

/// After the fan-out has settled: exactly one copy job per pair of `points` and destination, each
/// COMPLETED with the configured role and lifecycle, and no copy job of any other point.
fn assert_each_point_copied_once_to_each_destination(run: &Run, points: &[&str]) {
    let jobs = run.copy_jobs();
    for job in &jobs {
        check_copy_job(job);
        assert_eq!(job["State"], "COMPLETED", "{job:#}");
    }
    let mut pairs: Vec<String> = jobs
        .iter()
        .map(|j| {
            to(
                str_of(&j["SourceRecoveryPointArn"]),
                str_of(&j["DestinationBackupVaultArn"]),
            )
        })
        .collect();
    pairs.sort();
    let mut want: Vec<String> = points
        .iter()
        .flat_map(|rp| [to(rp, WEST), to(rp, ISOLATED)])
        .collect();
    want.sort();
    assert_eq!(pairs, want);
    let state = run.emulator.state();
    for destination in [WEST, ISOLATED] {
        let vault = state["backup"]["vaults"]
            .as_array()
            .and_then(|vaults| vaults.iter().find(|v| v["arn"] == destination))
            .expect("destination vault");
        assert_eq!(
            vault["recoveryPoints"].as_array().map(Vec::len),
            Some(points.len()),
            "{destination}"
        );
    }
}

#[tokio::test]
async fn a_redelivered_backup_job_event_copies_once_to_each_destination() {
    let mut run = Run::start(&env_with(&[]), "backup-redelivery").await;
    let completed = event("backup-job-completed.json");
    let mut starts = Vec::new();
    // Three deliveries before the first copy ends, three after it, three after the second.
    for _ in 0..3 {
        for _ in 0..3 {
            starts.push(started(&run.invoke(&completed).await));
        }
        run.emulator.advance_time(600, 2);
    }
    let mut want = vec![Vec::new(); 9];
    want[0] = vec![to(EBS, WEST), to(EBS, ISOLATED)];
    assert_eq!(
        starts, want,
        "both destinations at the first delivery, then nothing"
    );
    assert_eq!(run.emulator.calls("StartCopyJob"), 2);
    assert_each_point_copied_once_to_each_destination(&run, &[EBS]);
}

#[tokio::test]
async fn repeated_sweeps_copy_each_point_in_the_window_once_to_each_destination() {
    let mut run = Run::start(&env_with(&[]), "backup-sweeps").await;
    let sweep = event("scheduler-input.json");
    let mut starts = Vec::new();
    for _ in 0..3 {
        for _ in 0..3 {
            starts.push(started(&run.invoke(&sweep).await).len());
        }
        run.emulator.advance_time(600, 2);
    }
    assert_eq!(
        starts,
        [4, 0, 0, 0, 0, 0, 0, 0, 0],
        "both destinations of both copyable points at the first sweep"
    );
    assert_eq!(run.emulator.calls("StartCopyJob"), 4);
    assert_each_point_copied_once_to_each_destination(&run, &[EC2, EBS]);
}

#[tokio::test]
async fn concurrent_deliveries_to_warm_instances_start_one_copy() {
    let run = Run::start_instances(&env_with(&[]), "backup-concurrent", 3).await;
    // Slow StartCopyJob answers keep the copy job from existing until all three instances have
    // observed and decided to start it, so only the idempotency token can keep them to one job.
    run.emulator
        .set_fault(FaultRule {
            operation: "StartCopyJob".into(),
            error_rate: 0.0,
            error: "ThrottlingException".into(),
            latency_ms: 1500,
            drop_connection_rate: 0.0,
            times: None,
        })
        .expect("fault rule");
    let completed = event("backup-job-completed.json");
    let (a, b, c) = tokio::join!(
        run.runtime.invoke(&completed, TIMEOUT),
        run.runtime.invoke(&completed, TIMEOUT),
        run.runtime.invoke(&completed, TIMEOUT),
    );
    assert_eq!(
        run.emulator.calls("StartCopyJob"),
        6,
        "every instance raced past observe, to both destinations"
    );
    let jobs = run.copy_jobs();
    assert_eq!(jobs.len(), 2, "{jobs:#?}");
    assert!(jobs.iter().all(|j| j["SourceRecoveryPointArn"] == EBS));
    // The later calls are answered with the first one's job, which each report names.
    for answer in [a, b, c] {
        let report: RunReport =
            serde_json::from_value(answer.expect("answered").expect_response()).expect("report");
        run.assert_started(&report, &[(EBS, WEST, 1), (EBS, ISOLATED, 1)]);
    }
}

#[tokio::test]
async fn what_the_configuration_does_not_cover_is_skipped_cleanly() {
    let mut run = Run::start(&env_with(&[]), "backup-out-of-scope").await;

    let mut other_vault = event("backup-job-completed.json");
    other_vault["detail"]["backupVaultName"] = json!("scratch");
    other_vault["detail"]["backupVaultArn"] =
        json!("arn:aws:backup:us-east-1:123456789012:backup-vault:scratch");
    let report = run.invoke(&other_vault).await;
    assert_eq!(
        skip_reason(&report, EBS),
        "source vault `scratch` is not in BACKUP_SOURCE_VAULTS"
    );

    let mut copied_elsewhere = event("copy-job-completed.json");
    copied_elsewhere["detail"]["sourceBackupVaultArn"] =
        json!("arn:aws:backup:us-east-1:123456789012:backup-vault:scratch");
    let report = run.invoke(&copied_elsewhere).await;
    assert_eq!(
        skip_reason(&report, EBS),
        "source vault `scratch` is not in BACKUP_SOURCE_VAULTS"
    );
    assert_eq!(
        run.emulator.calls("DescribeRecoveryPoint"),
        0,
        "a vault outside the allowlist is not even read"
    );

    let elsewhere = "arn:aws:backup:us-west-2:999999999999:backup-vault:attacker";
    let mut failed_elsewhere = event("copy-job-failed.json");
    failed_elsewhere["detail"]["destinationBackupVaultArn"] = json!(elsewhere);
    let report = run.invoke(&failed_elsewhere).await;
    assert!(skip_reason(&report, &to(DYNAMO, elsewhere)).ends_with(
        "to a vault not in BACKUP_DESTINATIONS; only configured destinations are retried"
    ));

    let mut other_topic = event("vault-notification-backup-completed.json");
    other_topic["Records"][0]["Sns"]["TopicArn"] =
        json!("arn:aws:sns:us-east-1:999999999999:someone-elses-topic");
    let report = run.invoke(&other_topic).await;
    assert_eq!(
        skip_reason(
            &report,
            "arn:aws:sns:us-east-1:999999999999:someone-elses-topic"
        ),
        "notification from a topic not in TRIGGER_TOPIC_ARNS; ignored"
    );

    let unknown =
        "arn:aws:backup:us-east-1:123456789012:recovery-point:00000000-0000-4000-8000-000000000000";
    let report = run
        .invoke(&json!({"targets": [unknown, "snap-0a1b2c3d4e5f60001"]}))
        .await;
    assert_eq!(
        skip_reason(&report, unknown),
        "not found in the source vaults searched (dr-primary)"
    );
    assert_eq!(
        skip_reason(&report, "snap-0a1b2c3d4e5f60001"),
        "not a recovery point ARN"
    );

    assert_eq!(run.emulator.calls("StartCopyJob"), 0);
    assert!(run.copy_jobs().is_empty());
    run.assert_reports_published(&report);
}

#[tokio::test]
async fn resource_types_outside_the_filter_are_skipped_cleanly() {
    let mut run = Run::start(
        &env_with(&[("BACKUP_RESOURCE_TYPES", "DynamoDB,EFS")]),
        "backup-resource-types",
    )
    .await;
    let notified = run
        .invoke(&event("vault-notification-backup-completed.json"))
        .await;
    assert_eq!(
        skip_reason(&notified, RDS),
        "resource type RDS is not in BACKUP_RESOURCE_TYPES"
    );
    let sweep = run.invoke(&event("scheduled-event.json")).await;
    assert_eq!(
        skip_reason(&sweep, EC2),
        "resource type EC2 is not in BACKUP_RESOURCE_TYPES"
    );
    assert_eq!(
        skip_reason(&sweep, EBS),
        "resource type EBS is not in BACKUP_RESOURCE_TYPES"
    );
    for report in [&notified, &sweep] {
        assert!(report.outcomes.is_empty(), "{report:#?}");
        assert_eq!(report.status, RunStatus::Succeeded);
    }
    assert_eq!(run.emulator.calls("StartCopyJob"), 0);
}

#[tokio::test]
async fn hostile_input_is_rejected_without_changing_anything() {
    let mut run = Run::start(&env_with(&[]), "backup-hostile").await;
    let mut no_job_id = event("backup-job-completed.json");
    no_job_id["detail"]
        .as_object_mut()
        .expect("detail")
        .remove("backupJobId");
    let mut numeric_state = event("copy-job-failed.json");
    numeric_state["detail"]["state"] = json!(7);
    let mut resources_text = event("backup-job-completed.json");
    resources_text["resources"] = json!(EBS);
    let mut message_object = event("vault-notification-backup-completed.json");
    message_object["Records"][0]["Sns"]["Message"] = json!({"State": "COMPLETED"});
    for bad in [
        json!([EBS]),
        json!({"targets": 5}),
        json!({"targets": [EBS], "destinationBackupVaultArn": "arn:aws:backup:us-west-2:999999999999:backup-vault:attacker"}),
        json!({"schedule": "sweep", "targets": [EBS]}),
        json!({"Records": []}),
        no_job_id,
        numeric_state,
        resources_text,
        message_object,
    ] {
        match run.runtime.invoke(&bad, TIMEOUT).await.expect("answered") {
            Invocation::Error { error_type, .. } => assert_eq!(error_type, "BadEvent", "{bad}"),
            Invocation::Response(v) => panic!("{bad} was accepted: {v}"),
        }
    }
    assert_eq!(run.emulator.calls("DescribeRecoveryPoint"), 0);
    assert_eq!(run.emulator.calls("StartCopyJob"), 0);
    assert!(run.emulator.sns_messages().is_empty());
    // The instance is still healthy after rejecting them.
    let report = run.invoke(&event("backup-job-completed.json")).await;
    run.assert_started(&report, &[(EBS, WEST, 1), (EBS, ISOLATED, 1)]);
}

/// Starts the binary with `destinations` as `BACKUP_DESTINATIONS`, expects it to fail its
/// initialisation and exit, as on Lambda; returns the init error's body.
async fn init_error(destinations: &str, log: &str) -> String {
    let binary = function_binary(FUNCTION, "debug").expect("binary built");
    let runtime = RuntimeApi::start(FUNCTION).await.expect("runtime");
    let log = dr_e2e::target_dir().join(format!("e2e-logs/{log}.log"));
    let mut env: Vec<(&str, &str)> = env_with(&[])
        .into_iter()
        .filter(|(k, _)| *k != "BACKUP_DESTINATIONS")
        .collect();
    env.push(("BACKUP_DESTINATIONS", destinations));
    let mut process = FunctionProcess::spawn(&binary, &runtime, "http://127.0.0.1:9", &env, &log)
        .expect("spawned");
    let err = runtime
        .invoke(&json!({}), Duration::from_secs(20))
        .await
        .expect_err("initialisation fails");
    let HarnessError::Init(body) = err else {
        panic!("expected an init error, got {err}");
    };
    for _ in 0..100 {
        if process.exited().is_some() {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the function kept running after a failed initialisation");
}

#[tokio::test]
async fn a_lifecycle_breaking_the_90_day_rule_fails_the_cold_start() {
    let destinations = format!(
        r#"[{{"vaultArn": "{WEST}", "moveToColdStorageAfterDays": 30, "deleteAfterDays": 60}}]"#
    );
    let body = init_error(&destinations, "backup-cold-start-bad-lifecycle").await;
    assert!(
        body.contains(&format!(
            "configuration BACKUP_DESTINATIONS: destination [0] `{WEST}`: deleteAfterDays (60) \
             must be at least moveToColdStorageAfterDays (30) + 90 = 120"
        )),
        "{body}"
    );
}

#[tokio::test]
async fn a_retention_relying_on_minus_one_as_forever_fails_the_cold_start_saying_what_to_write() {
    let destinations = format!(
        r#"[{{"vaultArn": "{ISOLATED}", "moveToColdStorageAfterDays": -1, "deleteAfterDays": -1}}]"#
    );
    let body = init_error(&destinations, "backup-cold-start-minus-one").await;
    for part in [
        format!("configuration BACKUP_DESTINATIONS: destination [0] `{ISOLATED}`: deleteAfterDays -1 does not keep copies forever"),
        "its source recovery point's expiration date".to_owned(),
        "write \\\"keepForever\\\": true to keep copies 36500 days".to_owned(),
    ] {
        assert!(body.contains(&part), "`{part}` not in {body}");
    }
}

#[tokio::test]
async fn continuous_and_cold_recovery_points_are_skipped_with_the_reason_and_never_sent() {
    let mut run = Run::start(&env_with(&[]), "backup-uncopyable").await;
    let report = run.invoke(&json!({"targets": [CONTINUOUS, COLD]})).await;
    assert!(report.outcomes.is_empty(), "{report:#?}");
    assert!(
        skip_reason(&report, CONTINUOUS)
            .starts_with("continuous (point-in-time) backup: StartCopyJob does not support"),
        "{report:#?}"
    );
    assert!(
        skip_reason(&report, COLD).starts_with(
            "in cold storage (or the archive tier): AWS Backup cannot copy backups in cold storage"
        ),
        "{report:#?}"
    );
    assert_eq!(run.emulator.calls("StartCopyJob"), 0);
}

#[tokio::test]
async fn copies_of_a_resource_being_backed_up_start_queued_behind_its_backup_job() {
    let mut fixture = Fixture::demo();
    fixture.backup.backup_jobs.push(BackupJobSpec {
        backup_vault_name: "dr-primary".into(),
        resource_arn: VOLUME.into(),
        resource_type: "EBS".into(),
        state: "CREATED".into(),
        created_hours_ago: Some(0.1),
    });
    let mut run = Run::start_with(fixture, &env_with(&[]), "backup-queued-behind-backup", 1).await;
    let report = run.invoke(&event("backup-job-completed.json")).await;
    run.assert_started(&report, &[(EBS, WEST, 1), (EBS, ISOLATED, 1)]);
    for destination in [WEST, ISOLATED] {
        let detail = report
            .outcomes
            .iter()
            .find(|o| o.target == to(EBS, destination))
            .and_then(|o| o.detail.as_deref())
            .unwrap_or_default();
        assert!(
            detail.contains("; queued in CREATED behind backup job ")
                && detail
                    .contains(" (CREATED): AWS Backup runs one backup or copy job per resource"),
            "{detail}"
        );
    }
    run.emulator.advance(1);
    assert!(
        run.copy_jobs().iter().all(|j| j["State"] == "CREATED"),
        "the backup job runs, the copies wait"
    );
    // The backup ends (a new recovery point), then the two copies run one after the other.
    run.emulator.advance(1 + FAN_OUT_STEPS);
    assert!(run.copy_jobs().iter().all(|j| j["State"] == "COMPLETED"));
    assert_eq!(run.emulator.calls("StartCopyJob"), 2);
}

#[tokio::test]
async fn a_sweep_finishes_a_fan_out_whose_failure_event_was_lost_after_its_point_left_the_window() {
    let mut run = Run::start(&env_with(&[]), "backup-lost-failure").await;
    let window = run.invoke(&event("scheduler-input.json")).await;
    assert_eq!(started(&window).len(), 4, "the in-window points, first");
    run.emulator.advance(FAN_OUT_STEPS);
    // The DynamoDB backup is 30 hours old, outside the sweep window; its first copy fails and
    // no Copy Job State Change reaches the function.
    let first = run.invoke(&json!({"targets": [DYNAMO]})).await;
    run.assert_started(&first, &[(DYNAMO, WEST, 1), (DYNAMO, ISOLATED, 1)]);
    run.emulator.advance(FAN_OUT_STEPS);
    assert_eq!(run.jobs(DYNAMO, WEST)[0]["State"], "FAILED");
    let sweep = run.invoke(&event("scheduler-input.json")).await;
    run.assert_started(&sweep, &[(DYNAMO, WEST, 2)]);
    assert!(skip_reason(&sweep, &to(DYNAMO, ISOLATED)).starts_with("already copied by copy job "));
    run.emulator.advance(2);
    let settled = run.invoke(&event("scheduler-input.json")).await;
    assert!(settled.outcomes.is_empty(), "{settled:#?}");
    assert_eq!(run.jobs(DYNAMO, WEST)[1]["State"], "COMPLETED");
}
