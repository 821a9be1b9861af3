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
use dr_e2e::demo::{self, copy_target as to};
use dr_e2e::report::{done as started, published, skip_reason};
use dr_e2e::{cold_start_error, hold, sample_event, Deployment, INVOKE_TIMEOUT};
use dr_emulator::fixture::BackupJobSpec;
use dr_emulator::Fixture;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const FUNCTION: &str = "backup-copy-fanout";
const PRIMARY: &str = "arn:aws:backup:us-east-1:123456789012:backup-vault:dr-primary";
const WEST: &str = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west";
const ISOLATED: &str = "arn:aws:backup:us-east-2:210987654321:backup-vault:dr-copy-isolated";
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

/// The copy role of the demo configuration.
fn role() -> &'static str {
    demo::config().var("BACKUP_COPY_ROLE_ARN")
}

/// The function deployed against the emulator, with the invocations these tests made of it.
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
    /// One instance with the demo configuration, `changes` replacing or adding variables.
    async fn start(changes: &[(&str, &str)], log: &str) -> Self {
        Self::start_with(Fixture::demo(), changes, log, 1).await
    }

    /// `instances` warm copies of the function polling the same Runtime API, as Lambda runs
    /// concurrent invocations, against `fixture`.
    async fn start_with(
        fixture: Fixture,
        changes: &[(&str, &str)],
        log: &str,
        instances: usize,
    ) -> Self {
        let env = demo::config().env_with(changes);
        let deployment = Deployment::start(FUNCTION, fixture, &env, log, instances);
        Self {
            deployment: deployment.await.expect("deployed"),
            invocations: 0,
        }
    }

    /// Invokes the function with `event`; its report must show no failed copy.
    async fn invoke(&mut self, event: &Value) -> RunReport {
        let report = self.invoke_report(event).await;
        self.invocations += 1;
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
            let detail = copy_detail(report, rp, destination);
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
        let reports = published(&self.emulator, FUNCTION);
        assert_eq!(reports.len(), self.invocations, "one report per invocation");
        assert_eq!(
            reports.last(),
            Some(last),
            "the published report is the returned one"
        );
    }

    /// Checks that nothing was copied, and that every invocation published its report, the
    /// last one `last`.
    fn assert_nothing_copied(&self, last: &RunReport) {
        assert_eq!(self.emulator.calls("StartCopyJob"), 0);
        assert!(self.copy_jobs().is_empty());
        self.assert_reports_published(last);
    }
}

/// The configured role and the destination's own lifecycle went into the copy job.
fn check_copy_job(job: &Value) {
    assert_eq!(job["IamRoleArn"], role(), "{job:#}");
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

/// The detail of the outcome of the copy of `rp` to `destination`; panics when there is none.
fn copy_detail<'r>(report: &'r RunReport, rp: &str, destination: &str) -> &'r str {
    report
        .outcomes
        .iter()
        .find(|o| o.target == to(rp, destination))
        .map(|o| o.detail.as_deref().unwrap_or_default())
        .unwrap_or_else(|| panic!("{rp} -> {destination} not in {report:#?}"))
}

/// The copy to `destination` was started queued behind the one to the other destination.
fn assert_queued_behind_this_run(report: &RunReport, rp: &str, destination: &str) {
    let detail = copy_detail(report, rp, destination);
    assert!(
        detail.contains("; queued in CREATED behind the copy to ")
            && detail.ends_with(
                "started by this run: AWS Backup runs one backup or copy job per resource at a time"
            ),
        "{detail}"
    );
}

fn event(name: &str) -> Value {
    sample_event(&format!("{FUNCTION}/{name}")).expect("sample event")
}

/// The two vault notifications of a completed backup and the points they name.
const NOTIFIED: [(&str, &str); 2] = [
    ("vault-notification-backup-completed.json", RDS),
    ("vault-notification-backup-completed-variant-b.json", EC2),
];

/// The demo after a Backup Job State Change and the two vault notifications have started the
/// copies of the EBS, RDS and EC2 points.
async fn three_fan_outs_started(log: &str) -> Run {
    let mut run = Run::start(&[], log).await;
    run.invoke(&event("backup-job-completed.json")).await;
    for (name, _) in NOTIFIED {
        run.invoke(&event(name)).await;
    }
    run
}

/// [`three_fan_outs_started`], once every copy has ended.
async fn three_fan_outs_copied(log: &str) -> Run {
    let run = three_fan_outs_started(log).await;
    run.emulator.advance(FAN_OUT_STEPS);
    run
}

/// The demo after the DynamoDB backup's first copies: to the west it failed, to the isolated
/// account it completed.
async fn dynamo_copy_failed_to_the_west(changes: &[(&str, &str)], log: &str) -> Run {
    let mut run = Run::start(changes, log).await;
    let first = run.invoke(&json!({"targets": [DYNAMO]})).await;
    run.assert_started(&first, &[(DYNAMO, WEST, 1), (DYNAMO, ISOLATED, 1)]);
    run.emulator.advance(FAN_OUT_STEPS);
    assert_eq!(run.jobs(DYNAMO, WEST)[0]["State"], "FAILED");
    assert_eq!(run.jobs(DYNAMO, ISOLATED)[0]["State"], "COMPLETED");
    run
}

#[tokio::test]
async fn a_dry_run_plans_every_destination_of_the_named_points_newest_first_and_starts_nothing() {
    let mut run = Run::start(&[], "backup-dry-run").await;
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
    assert_eq!(
        run.emulator.calls("StartCopyJob"),
        0,
        "a dry run starts nothing"
    );
    assert!(run.copy_jobs().is_empty());
}

#[tokio::test]
async fn a_dry_run_plans_the_same_idempotency_tokens_every_time() {
    let mut run = Run::start(&[], "backup-dry-run-tokens").await;
    let dry = run.invoke(&event("direct-invoke-dry-run.json")).await;
    let again = run.invoke(&event("direct-invoke-dry-run.json")).await;
    assert_eq!(again.outcomes, dry.outcomes);
}

#[tokio::test]
async fn a_completed_backup_job_starts_its_copies_to_every_destination_at_once() {
    let mut run = Run::start(&[], "backup-job-completed").await;
    let completed = run.invoke(&event("backup-job-completed.json")).await;
    run.assert_started(&completed, &[(EBS, WEST, 1), (EBS, ISOLATED, 1)]);
    assert_queued_behind_this_run(&completed, EBS, ISOLATED);
}

#[tokio::test]
async fn a_vault_notification_of_a_completed_backup_starts_its_copies_to_every_destination() {
    for (name, rp) in NOTIFIED {
        let mut run = Run::start(&[], &format!("backup-{name}")).await;
        let report = run.invoke(&event(name)).await;
        run.assert_started(&report, &[(rp, WEST, 1), (rp, ISOLATED, 1)]);
        assert_queued_behind_this_run(&report, rp, ISOLATED);
    }
}

#[tokio::test]
async fn a_vault_notification_of_a_failed_or_expired_backup_has_nothing_to_copy() {
    let mut run = Run::start(&[], "backup-failed-notification").await;
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
    assert_eq!(run.emulator.calls("StartCopyJob"), 0);
}

#[tokio::test]
async fn each_resources_second_copy_waits_in_created_for_its_first_then_runs() {
    let run = three_fan_outs_started("backup-queued-copies").await;
    assert_eq!(run.emulator.calls("StartCopyJob"), 6);
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
}

#[tokio::test]
async fn a_completed_copy_job_event_finds_every_copy_of_its_point_made() {
    let mut run = three_fan_outs_copied("backup-copy-completed").await;
    let copied = run.invoke(&event("copy-job-completed.json")).await;
    assert!(copied.outcomes.is_empty(), "{copied:#?}");
    assert!(skip_reason(&copied, &to(EBS, WEST)).starts_with("already copied by copy job "));
    assert!(skip_reason(&copied, &to(EBS, ISOLATED)).starts_with("already copied by copy job "));
}

#[tokio::test]
async fn a_sweep_looks_only_at_the_points_in_its_window_and_never_sends_a_continuous_one() {
    let mut run = three_fan_outs_copied("backup-sweep-window").await;
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
}

#[tokio::test]
async fn the_schedulers_sweep_after_the_copies_have_ended_starts_nothing() {
    let mut run = three_fan_outs_copied("backup-quiet-sweep").await;
    let quiet = run.invoke(&event("scheduler-input.json")).await;
    assert!(quiet.outcomes.is_empty(), "{quiet:#?}");
}

#[tokio::test]
async fn a_direct_invoke_of_copied_points_says_they_are_already_copied() {
    let mut run = three_fan_outs_copied("backup-direct-copied").await;
    let direct = run.invoke(&event("direct-invoke.json")).await;
    assert!(direct.outcomes.is_empty(), "{direct:#?}");
    assert!(skip_reason(&direct, &to(RDS, ISOLATED)).starts_with("already copied by copy job "));
}

#[tokio::test]
async fn a_failed_copy_is_retried_to_its_destination_only() {
    let mut run = dynamo_copy_failed_to_the_west(&[], "backup-retry").await;
    let retry = run.invoke(&event("copy-job-failed.json")).await;
    run.assert_started(&retry, &[(DYNAMO, WEST, 2)]);
    assert!(
        retry.skips.is_empty(),
        "only the failed destination is retried: {retry:#?}"
    );
}

#[tokio::test]
async fn a_redelivered_copy_failure_starts_no_further_copy() {
    let mut run = dynamo_copy_failed_to_the_west(&[], "backup-retry-redelivered").await;
    run.invoke(&event("copy-job-failed.json")).await;
    run.emulator.advance(2);
    let redelivered = run.invoke(&event("copy-job-failed.json")).await;
    assert!(redelivered.outcomes.is_empty(), "{redelivered:#?}");
}

#[tokio::test]
async fn the_sample_events_in_turn_copy_each_point_once_to_each_destination() {
    let mut run = three_fan_outs_started("backup-samples").await;
    run.invoke(&event("vault-notification-backup-failed.json"))
        .await;
    run.emulator.advance(FAN_OUT_STEPS);
    for sample in [
        "copy-job-completed.json",
        "scheduled-event.json",
        "scheduler-input.json",
        "direct-invoke.json",
    ] {
        run.invoke(&event(sample)).await;
    }
    run.invoke(&json!({"targets": [DYNAMO]})).await;
    run.emulator.advance(FAN_OUT_STEPS);
    run.invoke(&event("copy-job-failed.json")).await;
    run.emulator.advance(2);
    let redelivered = run.invoke(&event("copy-job-failed.json")).await;

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
    let exhausted = [("BACKUP_COPY_MAX_ATTEMPTS", "1")];
    let mut run = dynamo_copy_failed_to_the_west(&exhausted, "backup-exhausted").await;
    let failed_job = run.jobs(DYNAMO, WEST).remove(0);

    // A report, not an invocation error: Lambda does not retry an exhausted copy.
    let alert = run.invoke_report(&event("copy-job-failed.json")).await;
    run.invocations += 1;
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
    let mut run = Run::start(&[], "backup-redelivery").await;
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
    let mut run = Run::start(&[], "backup-sweeps").await;
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
    let run = Run::start_with(Fixture::demo(), &[], "backup-concurrent", 3).await;
    // Slow StartCopyJob answers keep the copy job from existing until all three instances have
    // observed and decided to start it, so only the idempotency token can keep them to one job.
    run.emulator
        .set_fault(hold("StartCopyJob", 1500))
        .expect("fault rule");
    let completed = event("backup-job-completed.json");
    let (a, b, c) = tokio::join!(
        run.runtime.invoke(&completed, INVOKE_TIMEOUT),
        run.runtime.invoke(&completed, INVOKE_TIMEOUT),
        run.runtime.invoke(&completed, INVOKE_TIMEOUT),
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

/// A vault of this account that is not in `BACKUP_SOURCE_VAULTS`.
const SCRATCH: &str = "arn:aws:backup:us-east-1:123456789012:backup-vault:scratch";

/// Checks that `event`, naming the EBS point in [`SCRATCH`], is skipped without reading the
/// vault, and that nothing is copied.
async fn assert_skipped_as_outside_the_source_vaults(event: &Value, log: &str) {
    let mut run = Run::start(&[], log).await;
    let report = run.invoke(event).await;
    assert_eq!(
        skip_reason(&report, EBS),
        "source vault `scratch` is not in BACKUP_SOURCE_VAULTS"
    );
    assert_eq!(
        run.emulator.calls("DescribeRecoveryPoint"),
        0,
        "a vault outside the allowlist is not even read"
    );
    run.assert_nothing_copied(&report);
}

#[tokio::test]
async fn a_backup_job_in_a_vault_outside_the_source_vaults_is_skipped_unread() {
    let mut other_vault = event("backup-job-completed.json");
    other_vault["detail"]["backupVaultName"] = json!("scratch");
    other_vault["detail"]["backupVaultArn"] = json!(SCRATCH);
    assert_skipped_as_outside_the_source_vaults(&other_vault, "backup-other-vault").await;
}

#[tokio::test]
async fn a_copy_job_from_a_vault_outside_the_source_vaults_is_skipped_unread() {
    let mut copied_elsewhere = event("copy-job-completed.json");
    copied_elsewhere["detail"]["sourceBackupVaultArn"] = json!(SCRATCH);
    assert_skipped_as_outside_the_source_vaults(&copied_elsewhere, "backup-copied-elsewhere").await;
}

#[tokio::test]
async fn a_failed_copy_to_a_vault_that_is_no_destination_is_not_retried() {
    let mut run = Run::start(&[], "backup-failed-elsewhere").await;
    let elsewhere = "arn:aws:backup:us-west-2:999999999999:backup-vault:attacker";
    let mut failed_elsewhere = event("copy-job-failed.json");
    failed_elsewhere["detail"]["destinationBackupVaultArn"] = json!(elsewhere);
    let report = run.invoke(&failed_elsewhere).await;
    assert!(skip_reason(&report, &to(DYNAMO, elsewhere)).ends_with(
        "to a vault not in BACKUP_DESTINATIONS; only configured destinations are retried"
    ));
    run.assert_nothing_copied(&report);
}

#[tokio::test]
async fn a_notification_from_a_topic_not_configured_is_ignored() {
    let mut run = Run::start(&[], "backup-other-topic").await;
    // In this account: a topic of another account is refused before its topic is looked at.
    let unconfigured = "arn:aws:sns:us-east-1:123456789012:someone-elses-topic";
    let mut other_topic = event("vault-notification-backup-completed.json");
    other_topic["Records"][0]["Sns"]["TopicArn"] = json!(unconfigured);
    let report = run.invoke(&other_topic).await;
    assert_eq!(
        skip_reason(&report, unconfigured),
        "notification from a topic not in TRIGGER_TOPIC_ARNS; ignored"
    );
    run.assert_nothing_copied(&report);
}

#[tokio::test]
async fn a_direct_invoke_of_an_unknown_point_or_no_arn_at_all_is_skipped() {
    let mut run = Run::start(&[], "backup-unknown-targets").await;
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
    run.assert_nothing_copied(&report);
}

#[tokio::test]
async fn resource_types_outside_the_filter_are_skipped_cleanly() {
    let mut run = Run::start(
        &[("BACKUP_RESOURCE_TYPES", "DynamoDB,EFS")],
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
    let mut run = Run::start(&[], "backup-hostile").await;
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
    run.assert_bad_events(&[
        json!([EBS]),
        json!({"targets": 5}),
        json!({"targets": [EBS], "destinationBackupVaultArn": "arn:aws:backup:us-west-2:999999999999:backup-vault:attacker"}),
        json!({"schedule": "sweep", "targets": [EBS]}),
        json!({"Records": []}),
        no_job_id,
        numeric_state,
        resources_text,
        message_object,
    ])
    .await;
    assert_eq!(run.emulator.calls("DescribeRecoveryPoint"), 0);
    assert_eq!(run.emulator.calls("StartCopyJob"), 0);
    assert!(run.emulator.sns_messages().is_empty());
    // The instance is still healthy after rejecting them.
    let report = run.invoke(&event("backup-job-completed.json")).await;
    run.assert_started(&report, &[(EBS, WEST, 1), (EBS, ISOLATED, 1)]);
}

/// The init error of the function with the demo configuration but `destinations` as
/// `BACKUP_DESTINATIONS`.
async fn init_error(destinations: &str, log: &str) -> String {
    let env = demo::config().env_with(&[("BACKUP_DESTINATIONS", destinations)]);
    cold_start_error(FUNCTION, &env, log).await
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
    let mut run = Run::start(&[], "backup-uncopyable").await;
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
    let mut run = Run::start_with(fixture, &[], "backup-queued-behind-backup", 1).await;
    let report = run.invoke(&event("backup-job-completed.json")).await;
    run.assert_started(&report, &[(EBS, WEST, 1), (EBS, ISOLATED, 1)]);
    for destination in [WEST, ISOLATED] {
        let detail = copy_detail(&report, EBS, destination);
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
    let mut run = Run::start(&[], "backup-lost-failure").await;
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
