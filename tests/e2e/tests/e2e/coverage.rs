//! dr-coverage end to end: the real binary reading the emulator's Backup, DRS and MGN, next to the
//! function whose work it checks (backup-copy-fanout making the copies, drs-recovery the drill),
//! each polling its own Runtime API against one emulator.
//!
//! The demo fixture's source vault `dr-primary` holds, within a day, an EC2 image (2 hours old),
//! a continuous RDS point (3 h, which no copy is expected of) and an EBS snapshot (5 h); within
//! two days also an RDS snapshot and an older image (26 h) and a DynamoDB backup whose first
//! copy fails (30 h). Copy jobs move CREATED → RUNNING → COMPLETED (or FAILED) one emulator step
//! at a time, and the two copies of one point take three steps.

use crate::MUTATING;
use dr_core::report::{OutcomeResult, RunReport, RunStatus, TargetOutcome};
use dr_e2e::demo::{self, copy_target as to};
use dr_e2e::{
    cold_start_error, function_binary, target_dir, Deployment, FunctionProcess, RuntimeApi,
    INVOKE_TIMEOUT,
};
use dr_emulator::{Config, Emulator, Fixture};
use serde_json::{json, Value};

const FUNCTION: &str = "dr-coverage";
const FANOUT: &str = "backup-copy-fanout";
const RECOVERY: &str = "drs-recovery";
const WEST: &str = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west";
const ISOLATED: &str = "arn:aws:backup:us-east-2:210987654321:backup-vault:dr-copy-isolated";
const EC2: &str = "arn:aws:ec2:us-east-1::image/ami-0a1b2c3d4e5f60002";
const EBS: &str = "arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60001";
const DYNAMO: &str =
    "arn:aws:backup:us-east-1:123456789012:recovery-point:9d3f5b7a-2c4e-4f60-8a1b-3c5d7e9f1a2b";
const CONTINUOUS: &str =
    "arn:aws:backup:us-east-1:123456789012:recovery-point:continuous:db-orders-0a1b2c3d";
/// Steps in which both copies of one recovery point end: the second waits for the first.
const FAN_OUT_STEPS: u64 = 3;
/// The emulator's message of a failed copy (its `failCopies`).
const FAILED_COPY: &str =
    "Copy job failed: the destination could not be written (emulated failure)";

/// The demo's prod DRS servers.
const WEB_02: &str = "s-d28a79023c39c2006";
const APP_01: &str = "s-be4f4c54977656cf2";
const APP_02: &str = "s-2866028de71159b42";
const DB_01: &str = "s-0b9465aef7ac86d66";
/// The demo's MGN servers: stalled, and disconnected before its cutover.
const MGN_DB_1: &str = "s-e5ce0a68da08eaa27";
const MGN_WEB_2: &str = "s-49ce06d0253ff586f";
const MGN_APP_1: &str = "s-fcb86a035c3db2387";

/// dr-coverage and one other function against one emulator of the demo fixture, each with its
/// own environment (the demo's with changes on top).
struct Site {
    emulator: Emulator,
    coverage: RuntimeApi,
    other: RuntimeApi,
    _processes: [FunctionProcess; 2],
}

impl Site {
    async fn start(
        other: &str,
        other_env: &[(&str, &str)],
        coverage_env: &[(&str, &str)],
        log: &str,
    ) -> Self {
        let emulator = Emulator::start(Config::new(Fixture::demo()))
            .await
            .expect("the emulator");
        let logs = target_dir().join("e2e-logs");
        let spawn = |name: &str, runtime: &RuntimeApi, env: &[(&str, &str)]| {
            let binary = function_binary(name, "debug").unwrap_or_else(|e| panic!("{e}"));
            let file = logs.join(format!("{log}-{name}.log"));
            FunctionProcess::spawn(&binary, runtime, &emulator.endpoint_url(), env, &file)
                .expect("started")
        };
        let coverage = RuntimeApi::start(FUNCTION).await.expect("a Runtime API");
        let other_api = RuntimeApi::start(other).await.expect("a Runtime API");
        let coverage_env = demo::config().env_with(coverage_env);
        let other_env = demo::config().env_with(other_env);
        let processes = [
            spawn(FUNCTION, &coverage, &coverage_env),
            spawn(other, &other_api, &other_env),
        ];
        Self {
            emulator,
            coverage,
            other: other_api,
            _processes: processes,
        }
    }

    /// A coverage run: its report.
    async fn coverage_run(&self, event: &Value) -> RunReport {
        report(&self.coverage, event).await
    }

    /// An invocation of the other function: its report.
    async fn other_run(&self, event: &Value) -> RunReport {
        report(&self.other, event).await
    }

    fn mutating_calls(&self) -> u64 {
        MUTATING.iter().map(|op| self.emulator.calls(op)).sum()
    }
}

async fn report(runtime: &RuntimeApi, event: &Value) -> RunReport {
    let answer = runtime.invoke(event, INVOKE_TIMEOUT).await;
    let answer = answer.unwrap_or_else(|e| panic!("no answer to {event}: {e}"));
    serde_json::from_value(answer.expect_response()).expect("a run report")
}

/// The coverage outcome of `target`; panics when there is none.
fn outcome<'r>(report: &'r RunReport, target: &str) -> &'r TargetOutcome {
    report
        .outcomes
        .iter()
        .find(|o| o.target == target)
        .unwrap_or_else(|| panic!("no outcome for {target}: {report:#?}"))
}

/// Each outcome as (target, state).
fn states(report: &RunReport) -> Vec<(String, String)> {
    report
        .outcomes
        .iter()
        .map(|o| (o.target.clone(), o.state.clone().unwrap_or_default()))
        .collect()
}

/// Coverage of the Backup part over `days`.
fn backup_coverage(days: &'static str) -> [(&'static str, &'static str); 2] {
    [
        ("COVERAGE_SERVICES", "backup"),
        ("COVERAGE_WINDOW_DAYS", days),
    ]
}

#[tokio::test]
async fn a_coverage_run_after_a_complete_fan_out_reports_every_copy_covered_and_succeeds() {
    let site = Site::start(FANOUT, &[], &backup_coverage("1"), "coverage-complete").await;
    site.other_run(&json!({"schedule": "sweep"})).await;
    site.emulator.advance(FAN_OUT_STEPS);
    let copies_before = site.emulator.calls("StartCopyJob");

    let report = site.coverage_run(&json!({"schedule": "dr-coverage"})).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    let want: Vec<(String, String)> = [EC2, EBS]
        .into_iter()
        .flat_map(|p| [(to(p, WEST), "COVERED"), (to(p, ISOLATED), "COVERED")])
        .map(|(t, s)| (t, s.to_owned()))
        .collect();
    assert_eq!(states(&report), want);
    let detail = outcome(&report, &to(EC2, WEST))
        .detail
        .clone()
        .unwrap_or_default();
    assert!(
        detail.starts_with("copy job ")
            && detail.contains(" completed at ")
            && detail.contains(": arn:aws:ec2:us-west-2::image/ami-"),
        "{detail}"
    );
    assert!(
        report.skips.iter().any(|s| s.target == CONTINUOUS),
        "no copy is expected of a continuous point: {report:#?}"
    );
    assert_eq!(
        site.emulator.calls("StartCopyJob"),
        copies_before,
        "coverage copies nothing"
    );
}

#[tokio::test]
async fn a_destination_the_fan_out_never_copied_to_is_a_failed_outcome_naming_point_and_destination(
) {
    let west_only =
        r#"[{"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west"}]"#;
    let site = Site::start(
        FANOUT,
        &[("BACKUP_DESTINATIONS", west_only)],
        &backup_coverage("1"),
        "coverage-incomplete",
    )
    .await;
    site.other_run(&json!({"schedule": "sweep"})).await;
    site.emulator.advance(FAN_OUT_STEPS);

    let report = site.coverage_run(&json!({})).await;
    assert_eq!(report.status, RunStatus::PartiallyFailed, "{report:#?}");
    for point in [EC2, EBS] {
        assert_eq!(
            outcome(&report, &to(point, WEST)).state.as_deref(),
            Some("COVERED")
        );
        let missing = outcome(&report, &to(point, ISOLATED));
        assert_eq!(missing.result, OutcomeResult::Failed);
        assert_eq!(missing.state.as_deref(), Some("MISSING"));
        assert!(!missing.retryable);
    }
    assert_eq!((report.counts.unchanged, report.counts.failed), (2, 2));
}

#[tokio::test]
async fn a_failed_copy_job_is_a_failed_outcome_with_its_status_message() {
    let site = Site::start(FANOUT, &[], &backup_coverage("2"), "coverage-failed").await;
    site.other_run(&json!({"targets": [DYNAMO]})).await;
    site.emulator.advance(FAN_OUT_STEPS);

    let report = site.coverage_run(&json!({})).await;
    let copies = [
        outcome(&report, &to(DYNAMO, WEST)),
        outcome(&report, &to(DYNAMO, ISOLATED)),
    ];
    let failed: Vec<&&TargetOutcome> = copies
        .iter()
        .filter(|o| o.result == OutcomeResult::Failed)
        .collect();
    assert_eq!(
        failed.len(),
        1,
        "the first copy fails, the second completes: {copies:#?}"
    );
    assert_eq!(failed[0].state.as_deref(), Some("FAILED"));
    let detail = failed[0].detail.as_deref().unwrap_or_default();
    assert!(
        detail.starts_with("CopyFailed: copy job ") && detail.contains(FAILED_COPY),
        "{detail}"
    );
    assert!(copies.iter().any(|o| o.state.as_deref() == Some("COVERED")));
    assert_ne!(report.status, RunStatus::Succeeded);
}

#[tokio::test]
async fn a_dry_run_coverage_judges_the_same_and_changes_nothing() {
    let site = Site::start(FANOUT, &[], &backup_coverage("1"), "coverage-dry-run").await;
    let report = site.coverage_run(&json!({"dryRun": true})).await;
    assert_eq!(report.status, RunStatus::DryRun);
    assert_eq!(
        report.counts.failed, 4,
        "nothing was copied yet: {report:#?}"
    );
    assert_eq!(site.mutating_calls(), 0);
}

/// The DRS and MGN parts, with a drill required every week.
const HEALTH: [(&str, &str); 2] = [("COVERAGE_SERVICES", "drs,mgn"), ("DRS_DRILL_EVERY", "7d")];

#[tokio::test]
async fn drs_and_mgn_health_fail_unhealthy_and_undrilled_servers_until_a_drill_succeeds() {
    let site = Site::start(RECOVERY, &[], &HEALTH, "coverage-health").await;
    let before = site.coverage_run(&json!({})).await;
    let stalled = outcome(&before, APP_02);
    assert_eq!(stalled.result, OutcomeResult::Failed);
    assert_eq!(stalled.state.as_deref(), Some("STALLED"));
    let never = outcome(&before, WEB_02);
    assert_eq!(never.result, OutcomeResult::Failed);
    assert!(
        never
            .detail
            .as_deref()
            .unwrap_or_default()
            .starts_with("NeverDrilled: "),
        "{never:#?}"
    );
    let mgn_stalled = outcome(&before, MGN_DB_1).state.as_deref();
    assert_eq!(mgn_stalled, Some("NOT_READY/STALLED"));
    assert_eq!(outcome(&before, MGN_DB_1).result, OutcomeResult::Failed);
    assert_eq!(outcome(&before, MGN_WEB_2).result, OutcomeResult::Failed);
    assert_eq!(outcome(&before, MGN_APP_1).result, OutcomeResult::Unchanged);

    site.other_run(&json!({"mode": "drill", "targets": [WEB_02, APP_01, DB_01]}))
        .await;
    site.emulator.advance_time(900, 2);
    let after = site.coverage_run(&json!({})).await;
    for server in [WEB_02, APP_01, DB_01] {
        let drilled = outcome(&after, server);
        assert_eq!(drilled.result, OutcomeResult::Unchanged, "{drilled:#?}");
        let detail = drilled.detail.as_deref().unwrap_or_default();
        assert!(
            detail.starts_with("CONTINUOUS, ") && detail.contains("last successful drill"),
            "{detail}"
        );
    }
    assert_eq!(outcome(&after, APP_02).result, OutcomeResult::Failed);
}

#[tokio::test]
async fn a_server_that_stalls_after_a_healthy_run_is_reported_failed_by_the_next() {
    let site = Site::start(
        RECOVERY,
        &[],
        &[("COVERAGE_SERVICES", "drs")],
        "coverage-stall",
    )
    .await;
    let before = site.coverage_run(&json!({})).await;
    assert_eq!(
        outcome(&before, WEB_02).result,
        OutcomeResult::Unchanged,
        "{before:#?}"
    );
    site.emulator
        .set_drs_state(WEB_02, "STALLED")
        .expect("a DRS server");
    let after = site.coverage_run(&json!({})).await;
    let stalled = outcome(&after, WEB_02);
    assert_eq!(stalled.result, OutcomeResult::Failed);
    assert!(
        stalled
            .detail
            .as_deref()
            .unwrap_or_default()
            .starts_with("ReplicationStalled: "),
        "{stalled:#?}"
    );
}

#[tokio::test]
async fn a_coverage_run_without_its_services_fails_its_cold_start_naming_the_variable() {
    let env = demo::config().env_without(&["COVERAGE_SERVICES"]);
    let body = cold_start_error(FUNCTION, &env, "coverage-cold-start").await;
    assert!(body.contains("COVERAGE_SERVICES"), "{body}");
    let env = demo::config().env_with(&[
        ("COVERAGE_SERVICES", "backup"),
        ("BACKUP_SOURCE_VAULTS", ""),
    ]);
    let body = cold_start_error(FUNCTION, &env, "coverage-cold-start-vaults").await;
    assert!(body.contains("BACKUP_SOURCE_VAULTS"), "{body}");
}

#[tokio::test]
async fn malformed_input_is_a_bad_event_that_reads_nothing() {
    let env = demo::config().env_with(&[("COVERAGE_SERVICES", "backup,drs,mgn")]);
    let run = Deployment::start(FUNCTION, Fixture::demo(), &env, "coverage-bad-events", 1)
        .await
        .expect("deployed");
    run.assert_bad_events(&[
        json!({"targets": "all"}),
        json!({"schedule": "dr-coverage", "destination": WEST}),
        json!({"target": {"account": "999999999999", "region": "us-east-1"}}),
        json!([1, 2, 3]),
    ])
    .await;
    for read in [
        "ListCopyJobs",
        "ListRecoveryPointsByBackupVault",
        "DescribeJobs",
    ] {
        assert_eq!(run.emulator.calls(read), 0, "{read}");
    }
}
