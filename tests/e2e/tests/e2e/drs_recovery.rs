//! drs-recovery end to end: the real binary, the Runtime API, the emulator's DRS launches (jobs
//! that move with the emulator's steps, their logs, recovery instances, tags, the "at scale"
//! quotas) and SNS.
//!
//! The function reads the real clock; the emulator's moves on with [`Emulator::advance_time`]
//! only. A job's measured times are the emulator's (its creation and end), and a drill is old
//! enough to clean up when the emulator started in the past ([`started_ago`]).

use crate::MUTATING;
use dr_core::report::{OutcomeResult, RunReport, RunStatus, TargetOutcome};
use dr_e2e::fleet::{self, FleetDeployment, MEMBER};
use dr_e2e::recovery::{
    active, executions, instances, jobs, launches, servers_of, started_ago, tag,
};
use dr_e2e::report::{published, skip_reason, sorted, targets};
use dr_e2e::{demo, events_dir, sample_event, Deployment, Invocation, INVOKE_TIMEOUT};
use dr_emulator::{Emulator, Fixture};
use dr_testkit::samples::{aws_events_dir, samples_in};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const FUNCTION: &str = "drs-recovery";
const START_RECOVERY: &str = "StartRecovery";
const LAUNCH: &str = "Launch";
const TERMINATE: &str = "TerminateRecoveryInstances";
const TAG_RESOURCE: &str = "TagResource";

/// The demo's prod servers, by hostname.
const WEB_01: &str = "s-eee65f53e9421ce50";
const WEB_02: &str = "s-d28a79023c39c2006";
const APP_01: &str = "s-be4f4c54977656cf2";
const APP_02: &str = "s-2866028de71159b42";
const DB_01: &str = "s-0b9465aef7ac86d66";
const DB_02: &str = "s-dcfaea21818b904ce";
/// The prod servers in continuous data protection: the ones a drill launches.
const READY: [&str; 3] = [WEB_02, APP_01, DB_01];

/// The opt-in to real recovery, for at most two servers a run.
const OPT_IN: [(&str, &str); 2] = [
    ("DRS_RECOVERY_ENABLED", "true"),
    ("DRS_RECOVERY_MAX_SERVERS", "2"),
];

/// How long the emulated launch jobs take, and the slack of the real time the test itself takes
/// between the launch and the emulator's steps.
const JOB_SECONDS: u64 = 900;
const SLACK: i64 = 60;

/// How far back the emulator starts when a test needs drills past a DRS_DRILL_TTL of 8 hours.
const NINE_HOURS: i64 = 9 * 3_600;

/// The demo's recovery plan of web-02, app-01 and db-01.
const PLAN: &str = "arn:aws:drs:us-east-1:123456789012:recovery-plan/rp-prod-core";

/// The job id of AWS's launch result samples, which the project's samples keep.
const SAMPLE_JOB_ID: &str = "drsjob-04ca7d0d3fb6afa3e";

/// The function with the demo configuration and `env` on top, against `fixture`.
async fn deploy(fixture: Fixture, env: &[(&str, &str)], log: &str) -> Deployment {
    let env = demo::config().env_with(env);
    let deployment = Deployment::start(FUNCTION, fixture, &env, log, 1);
    deployment.await.expect("deployed")
}

fn event(name: &str) -> Value {
    sample_event(&format!("{FUNCTION}/{name}")).expect("sample event")
}

fn schedule() -> Value {
    event("scheduled-event.json")
}

/// The launch result sample `name`, about the emulator's job `job_id`.
fn launch_result(name: &str, job_id: &str) -> Value {
    let mut result = event(name);
    result["detail"]["job-id"] = json!(job_id);
    result
}

/// `report`'s `action` outcome for `target`; panics when there is none.
fn outcome<'r>(report: &'r RunReport, target: &str, action: &str) -> &'r TargetOutcome {
    report
        .outcomes
        .iter()
        .find(|o| o.target == target && o.action == action)
        .unwrap_or_else(|| panic!("no {action} outcome for {target}: {report:#?}"))
}

/// The id of the emulator's only launch job; panics unless there is exactly one.
fn only_launch_job(emulator: &Emulator) -> Value {
    let jobs = jobs(emulator);
    let launched = launches(&jobs);
    assert_eq!(launched.len(), 1, "{jobs:#?}");
    launched[0].clone()
}

/// The recovery instance of `server`; panics when there is none.
fn instance_of(emulator: &Emulator, server: &str) -> Value {
    instances(emulator)
        .into_iter()
        .find(|i| i["sourceServerID"] == server)
        .unwrap_or_else(|| panic!("no recovery instance of {server}"))
}

fn mutating_calls(emulator: &Emulator) -> u64 {
    MUTATING.iter().map(|op| emulator.calls(op)).sum()
}

/// A scheduled drill of the demo's ready servers with `env`, its job completed
/// [`JOB_SECONDS`] later by the emulator's clock.
async fn drilled(env: &[(&str, &str)], log: &str) -> Deployment {
    let run = deploy(Fixture::demo(), env, log).await;
    let launch = run.invoke_report(&schedule()).await;
    assert_eq!(
        targets(&launch, START_RECOVERY, OutcomeResult::Done),
        sorted(&READY),
        "{launch:#?}"
    );
    run.emulator.advance_time(JOB_SECONDS, 2);
    run
}

#[tokio::test]
async fn a_schedule_drills_the_ready_selected_servers_in_one_job_tagged_as_a_drill() {
    let run = deploy(Fixture::demo(), &[], "drs-recovery-schedule").await;
    let report = run.invoke_report(&schedule()).await;
    assert_eq!(report.counts.failed, 0, "{report:#?}");
    assert_eq!(
        targets(&report, START_RECOVERY, OutcomeResult::Done),
        sorted(&READY)
    );
    assert_eq!(run.emulator.calls(START_RECOVERY), 1);
    let job = only_launch_job(&run.emulator);
    assert_eq!(job["initiatedBy"], "START_DRILL");
    assert_eq!(servers_of(&job), sorted(&READY));
    assert_eq!(tag(&job, "dr-automation:function"), Some(FUNCTION));
    assert_eq!(tag(&job, "dr-automation:mode"), Some("drill"));
}

#[tokio::test]
async fn the_next_schedule_reports_each_drills_launch_with_its_times_against_rto_and_rpo() {
    // From the newest snapshot, which the emulator took 5 minutes before the launch: past an
    // RPO of 4 minutes; the 15-minute job is within an RTO of 20.
    let env = [
        ("DRS_DRILL_SNAPSHOT", "latest"),
        ("DRS_RTO", "20m"),
        ("DRS_RPO", "4m"),
    ];
    let run = drilled(&env, "drs-recovery-evidence").await;
    let report = run.invoke_report(&schedule()).await;
    assert_eq!(
        targets(&report, LAUNCH, OutcomeResult::Done),
        sorted(&READY),
        "{report:#?}"
    );
    let job_seconds = JOB_SECONDS as i64;
    for id in READY {
        let launch = outcome(&report, id, LAUNCH);
        assert_eq!(launch.state.as_deref(), Some("LAUNCHED"));
        let evidence = launch.evidence.expect("evidence");
        assert!(evidence.drill);
        let time = evidence.recovery_time_seconds.expect("a recovery time");
        assert!(
            (job_seconds..job_seconds + SLACK).contains(&time),
            "{id}: {time}"
        );
        let age = evidence
            .recovery_point_age_seconds
            .expect("a recovery point");
        assert!((300..300 + SLACK).contains(&age), "{id}: {age}");
        assert_eq!(
            (evidence.rto_seconds, evidence.rpo_seconds),
            (Some(1200), Some(240))
        );
    }
    let totals = report.evidence.expect("the run's evidence");
    assert_eq!((totals.launches, totals.drills), (3, 3));
    assert_eq!(
        (totals.rto_seconds, totals.rpo_seconds),
        (Some(1200), Some(240))
    );
    assert_eq!((totals.beyond_rto, totals.beyond_rpo), (0, 3), "{totals:?}");
    assert!(totals.longest_recovery_time_seconds >= Some(job_seconds));
    let published = published(&run.emulator, FUNCTION);
    let last = published.last().expect("the report published");
    assert_eq!(
        last.evidence, report.evidence,
        "the published report has the evidence"
    );
    assert_eq!(
        run.emulator.calls(START_RECOVERY),
        1,
        "no drill launched again"
    );
}

#[tokio::test]
async fn the_follow_up_tags_each_launched_instance_and_reports_a_job_only_once() {
    let run = drilled(&[], "drs-recovery-tags").await;
    let report = run.invoke_report(&schedule()).await;
    let job = only_launch_job(&run.emulator);
    let job_id = job["jobID"].as_str().expect("a job id");
    let mut tagged = Vec::new();
    for id in READY {
        let instance = instance_of(&run.emulator, id);
        let instance_id = instance["recoveryInstanceID"].as_str().expect("an id");
        tagged.push(instance_id.to_owned());
        assert_eq!(tag(&instance, "dr-automation:function"), Some(FUNCTION));
        assert_eq!(tag(&instance, "dr-automation:mode"), Some("drill"));
        assert_eq!(tag(&instance, "dr-automation:job"), Some(job_id));
        let launched_at = tag(&instance, "dr-automation:launched-at").expect("a launch time");
        assert_eq!(
            dr_core::clock::parse_time(launched_at),
            job["creationDateTime"]
                .as_str()
                .and_then(dr_core::clock::parse_time),
            "the job's creation time"
        );
    }
    tagged.push(job_id.to_owned());
    tagged.sort();
    assert_eq!(targets(&report, TAG_RESOURCE, OutcomeResult::Done), tagged);
    assert!(tag(&job, "dr-automation:reported").is_some(), "{job:#?}");

    let again = run.invoke_report(&schedule()).await;
    let reported: Vec<&TargetOutcome> = again
        .outcomes
        .iter()
        .filter(|o| o.action == LAUNCH)
        .collect();
    assert!(reported.is_empty(), "reported twice: {reported:#?}");
    assert_eq!(again.counts.failed, 0, "{again:#?}");
}

#[tokio::test]
async fn a_schedule_past_the_drill_ttl_terminates_its_drill_instances_and_never_a_recoverys() {
    // The emulator starts 9 hours back: what it launches now is 9 hours old to the function,
    // past a DRS_DRILL_TTL of 8 hours.
    let env = [OPT_IN[0], OPT_IN[1], ("DRS_DRILL_TTL", "8h")];
    let run = deploy(
        started_ago(Fixture::demo(), NINE_HOURS),
        &env,
        "drs-recovery-ttl",
    )
    .await;
    let recovery = run
        .invoke_report(&event("direct-invoke-recovery.json"))
        .await;
    assert_eq!(
        targets(&recovery, START_RECOVERY, OutcomeResult::Done),
        vec![DB_01]
    );
    let drill = run.invoke_report(&schedule()).await;
    assert_eq!(
        targets(&drill, START_RECOVERY, OutcomeResult::Done),
        sorted(&[WEB_02, APP_01])
    );
    run.emulator.advance(2);

    // The follow-up tags the instances; until they carry the tags, none is terminated.
    let follow_up = run.invoke_report(&schedule()).await;
    assert!(targets(&follow_up, TERMINATE, OutcomeResult::Done).is_empty());
    assert_eq!(run.emulator.calls(TERMINATE), 0, "{follow_up:#?}");

    let cleanup = run.invoke_report(&schedule()).await;
    let mut drills: Vec<String> = [WEB_02, APP_01]
        .iter()
        .map(|id| instance_of(&run.emulator, id)["recoveryInstanceID"].clone())
        .filter_map(|id| id.as_str().map(str::to_owned))
        .collect();
    drills.sort();
    assert_eq!(
        targets(&cleanup, TERMINATE, OutcomeResult::Done),
        drills,
        "{cleanup:#?}"
    );
    let recovered = instance_of(&run.emulator, DB_01);
    let recovered_id = recovered["recoveryInstanceID"].as_str().expect("an id");
    assert_eq!(
        skip_reason(&cleanup, recovered_id),
        "launched by a real recovery: never terminated"
    );
    assert_eq!(run.emulator.calls(TERMINATE), 1);

    run.emulator.advance(2);
    let left = instances(&run.emulator);
    assert_eq!(left.len(), 1, "{left:#?}");
    assert_eq!(left[0]["sourceServerID"], DB_01);
    assert_eq!(left[0]["isDrill"], false);
}

#[tokio::test]
async fn an_alarm_delivered_three_times_with_the_opt_in_launches_one_recovery() {
    // One delivery after another, as the function's reserved concurrency of 1 has Lambda
    // deliver them: StartRecovery takes no client token.
    let run = deploy(Fixture::demo(), &OPT_IN, "drs-recovery-alarm").await;
    let alarm = event("alarm-via-sns.json");
    let first = run.invoke_report(&alarm).await;
    assert_eq!(
        targets(&first, START_RECOVERY, OutcomeResult::Done),
        vec![WEB_02],
        "{first:#?}"
    );
    for _ in 0..2 {
        let again = run.invoke_report(&alarm).await;
        assert_eq!(again.counts.failed, 0, "{again:#?}");
        assert!(targets(&again, START_RECOVERY, OutcomeResult::Done).is_empty());
        let reason = skip_reason(&again, WEB_02);
        assert!(
            reason.starts_with("alarm web-02-status-check-failed in ALARM: job in progress"),
            "{reason}"
        );
    }
    assert_eq!(run.emulator.calls(START_RECOVERY), 1);
    let job = only_launch_job(&run.emulator);
    assert_eq!(job["initiatedBy"], "START_RECOVERY");
    assert_eq!(servers_of(&job), vec![WEB_02]);
    assert_eq!(tag(&job, "dr-automation:mode"), Some("recovery"));
}

#[tokio::test]
async fn without_the_opt_in_each_alarm_launches_nothing_and_says_what_it_would_have_launched() {
    let env = [("DRS_RECOVERY_ENABLED", "false")];
    let run = deploy(Fixture::demo(), &env, "drs-recovery-no-opt-in").await;
    for (sample, alarm, server) in [
        ("alarm-via-sns.json", "web-02-status-check-failed", WEB_02),
        ("alarm-state-change.json", "app-01-unhealthy", APP_01),
        (
            "alarm-lambda-action.json",
            "db-01-status-check-failed",
            DB_01,
        ),
    ] {
        let report = run.invoke_report(&event(sample)).await;
        assert_eq!(
            report.counts.done + report.counts.planned,
            0,
            "{sample}: {report:#?}"
        );
        assert_eq!(
            skip_reason(&report, server),
            format!(
                "alarm {alarm} in ALARM: ready, and a recovery would be launched, from an \
                 on-demand snapshot, but real recovery is off (DRS_RECOVERY_ENABLED is not true)"
            ),
            "{sample}"
        );
    }
    assert_eq!(mutating_calls(&run.emulator), 0);
    assert!(jobs(&run.emulator).is_empty());
}

#[tokio::test]
async fn a_recovery_launches_at_most_drs_recovery_max_servers_and_says_so_for_the_rest() {
    let run = deploy(Fixture::demo(), &OPT_IN, "drs-recovery-max-servers").await;
    let invoke = json!({"mode": "recovery", "targets": [WEB_02, APP_01, DB_01]});
    let report = run.invoke_report(&invoke).await;
    // In id order: db-01 and app-01 before web-02.
    assert_eq!(
        targets(&report, START_RECOVERY, OutcomeResult::Done),
        sorted(&[DB_01, APP_01]),
        "{report:#?}"
    );
    assert_eq!(
        skip_reason(&report, WEB_02),
        "direct invoke (recovery): ready, but this run already launches \
         DRS_RECOVERY_MAX_SERVERS (2) recoveries"
    );
    assert_eq!(
        servers_of(&only_launch_job(&run.emulator)),
        sorted(&[DB_01, APP_01])
    );
}

#[tokio::test]
async fn a_failed_launch_is_reported_by_the_follow_up_with_the_job_logs_raw_error() {
    let run = deploy(Fixture::demo(), &[], "drs-recovery-launch-failed").await;
    run.emulator
        .fail_next_drs_launch(WEB_02)
        .expect("a demo server");
    let drill = run.invoke_report(&event("direct-invoke-drill.json")).await;
    assert_eq!(
        targets(&drill, START_RECOVERY, OutcomeResult::Done),
        sorted(&[WEB_02, APP_01])
    );
    run.emulator.advance(2);
    let report = run.invoke_report(&schedule()).await;
    assert_eq!(report.status, RunStatus::PartiallyFailed, "{report:#?}");
    assert_eq!(
        targets(&report, LAUNCH, OutcomeResult::Failed),
        vec![WEB_02]
    );
    assert_eq!(targets(&report, LAUNCH, OutcomeResult::Done), vec![APP_01]);
    let failed = outcome(&report, WEB_02, LAUNCH);
    assert_eq!(failed.state.as_deref(), Some("FAILED"));
    let detail = failed.detail.as_deref().unwrap_or_default();
    assert!(
        detail.ends_with(
            "LAUNCH_FAILED: Failed to launch the recovery instance (injected by the emulator)"
        ),
        "{detail}"
    );
    assert!(
        failed.evidence.is_none(),
        "nothing measured of a failed launch"
    );
}

#[tokio::test]
async fn servers_that_are_not_ready_are_not_drilled_and_each_says_why() {
    let run = deploy(Fixture::demo(), &[], "drs-recovery-not-ready").await;
    run.emulator
        .set_drs_lag(WEB_02, "PT20M")
        .expect("a demo server");
    run.emulator
        .set_drs_state(DB_01, "INITIAL_SYNC")
        .expect("a demo server");
    let report = run.invoke_report(&schedule()).await;
    assert_eq!(
        targets(&report, START_RECOVERY, OutcomeResult::Done),
        vec![APP_01],
        "{report:#?}"
    );
    for (server, reason) in [
        (
            WEB_02,
            "lagging: replication lag 20m is over DRS_MAX_LAG 15m",
        ),
        (
            DB_01,
            "no snapshot: INITIAL_SYNC, the initial sync has not completed",
        ),
        (APP_02, "stalled: "),
        (
            WEB_01,
            "no snapshot: replication is STOPPED, and stopping it deleted its snapshots",
        ),
        (
            DB_02,
            "no snapshot: DISCONNECTED, its replication resources were deleted",
        ),
    ] {
        let skipped = skip_reason(&report, server);
        assert!(
            skipped.starts_with(&format!("scheduled drill: {reason}")),
            "{server}: {skipped}"
        );
    }
}

/// A fleet of 500 ready servers, all selected, with `env`.
async fn fleet_of_500(env: &[(&str, &str)], log: &str) -> Deployment {
    let mut all = vec![("DRS_SELECT_ALL", "true"), ("MAX_CONCURRENCY", "20")];
    all.extend_from_slice(env);
    let deployment = Deployment::start(FUNCTION, Fixture::drs_fleet(500, 0), &all, log, 1);
    deployment.await.expect("deployed")
}

/// Checks the quotas of "Disaster recovery at scale" hold in the emulator's jobs: at most 100
/// servers a job, 20 active jobs and 500 servers across them.
fn assert_within_quotas(emulator: &Emulator) {
    let jobs = jobs(emulator);
    let active = active(&jobs);
    let in_active: usize = active.iter().map(|j| servers_of(j).len()).sum();
    assert!(active.len() <= 20, "{} active jobs", active.len());
    assert!(in_active <= 500, "{in_active} servers in active jobs");
    for job in launches(&jobs) {
        assert!(servers_of(job).len() <= 100, "{job:#?}");
    }
}

#[tokio::test]
async fn a_fleet_of_500_is_drilled_in_five_jobs_of_100_within_the_quotas() {
    let run = fleet_of_500(&[], "drs-recovery-500").await;
    let report = run.invoke_report(&json!({"schedule": FUNCTION})).await;
    assert_eq!(report.counts.failed, 0, "{:?}", report.counts);
    assert_eq!(report.counts.done, 500, "{:?}", report.counts);
    assert_eq!(run.emulator.calls(START_RECOVERY), 5);
    assert_within_quotas(&run.emulator);
    let jobs = jobs(&run.emulator);
    let sizes: Vec<usize> = launches(&jobs)
        .iter()
        .map(|j| servers_of(j).len())
        .collect();
    assert_eq!(sizes, vec![100; 5]);
}

#[tokio::test]
async fn beyond_20_active_jobs_servers_are_deferred_and_drilled_once_the_jobs_complete() {
    // Jobs of 20 servers: the 500 need 25 jobs, and DRS runs 20 at once.
    let run = fleet_of_500(&[("DRS_JOB_SERVERS", "20")], "drs-recovery-deferred").await;
    let drill = json!({"schedule": FUNCTION});
    let first = run.invoke_report(&drill).await;
    assert_eq!(
        (first.counts.done, first.counts.failed),
        (400, 0),
        "{:?}",
        first.counts
    );
    assert_eq!(run.emulator.calls(START_RECOVERY), 20);
    assert!(
        first
            .skips
            .iter()
            .filter(|s| s.reason.starts_with("deferred to the next run: "))
            .count()
            == 100,
        "{:?}",
        first.skips.first()
    );
    assert_within_quotas(&run.emulator);

    // The jobs are still active: nothing more starts.
    let waiting = run.invoke_report(&drill).await;
    assert_eq!(waiting.counts.failed, 0, "{:?}", waiting.counts);
    assert_eq!(run.emulator.calls(START_RECOVERY), 20);

    run.emulator.advance(2);
    let rest = run.invoke_report(&drill).await;
    assert_eq!(rest.counts.failed, 0, "{:?}", rest.counts);
    assert_eq!(run.emulator.calls(START_RECOVERY), 25);
    assert_within_quotas(&run.emulator);
    let jobs = jobs(&run.emulator);
    let mut drilled: Vec<String> = launches(&jobs).iter().flat_map(|j| servers_of(j)).collect();
    let launched = drilled.len();
    drilled.sort();
    drilled.dedup();
    assert_eq!(
        (launched, drilled.len()),
        (500, 500),
        "each server drilled once"
    );
}

#[tokio::test]
async fn a_launch_result_reports_its_server_before_the_job_completes() {
    let run = deploy(Fixture::demo(), &[], "drs-recovery-launch-result").await;
    run.invoke_report(&event("direct-invoke-drill.json")).await;
    run.emulator.advance(1);
    let job = only_launch_job(&run.emulator);
    let job_id = job["jobID"].as_str().expect("a job id");
    let result = launch_result("launch-result-succeeded.json", job_id);
    let report = run.invoke_report(&result).await;
    assert_eq!(
        targets(&report, LAUNCH, OutcomeResult::Done),
        vec![WEB_02],
        "{report:#?}"
    );
    let detail = outcome(&report, WEB_02, LAUNCH).detail.as_deref();
    assert_eq!(
        detail,
        Some(
            format!("drill job {job_id} is STARTED: its evidence is reported when it completes")
                .as_str()
        )
    );
    assert_eq!(
        run.emulator.calls(START_RECOVERY),
        1,
        "a launch result launches nothing"
    );
}

#[tokio::test]
async fn a_failed_recovery_launch_result_reports_the_job_logs_raw_error() {
    let run = deploy(Fixture::demo(), &OPT_IN, "drs-recovery-result-failed").await;
    run.emulator
        .fail_next_drs_launch(APP_01)
        .expect("a demo server");
    let invoke = json!({"mode": "recovery", "targets": [APP_01]});
    run.invoke_report(&invoke).await;
    run.emulator.advance(2);
    let job = only_launch_job(&run.emulator);
    let job_id = job["jobID"].as_str().expect("a job id");
    let report = run
        .invoke_report(&launch_result("launch-result-failed.json", job_id))
        .await;
    assert_eq!(
        targets(&report, LAUNCH, OutcomeResult::Failed),
        vec![APP_01],
        "{report:#?}"
    );
    let detail = outcome(&report, APP_01, LAUNCH)
        .detail
        .as_deref()
        .unwrap_or_default();
    assert_eq!(
        detail,
        format!(
            "recovery job {job_id}: LAUNCH_FAILED: Failed to launch the recovery instance \
             (injected by the emulator)"
        )
    );
}

#[tokio::test]
async fn a_launch_result_of_a_job_drs_recovery_did_not_launch_is_skipped_saying_so() {
    let run = deploy(Fixture::demo(), &OPT_IN, "drs-recovery-foreign-result").await;
    let report = run
        .invoke_report(&event("launch-result-succeeded.json"))
        .await;
    assert_eq!(
        skip_reason(&report, WEB_02),
        format!("launch result of job {SAMPLE_JOB_ID}, which drs-recovery did not launch")
    );
    assert_eq!(mutating_calls(&run.emulator), 0, "{report:#?}");
}

#[tokio::test]
async fn a_dry_run_plans_the_drill_and_launches_nothing() {
    let run = deploy(Fixture::demo(), &[], "drs-recovery-dry-run").await;
    let report = run
        .invoke_report(&event("direct-invoke-dry-run.json"))
        .await;
    assert!(report.dry_run);
    assert_eq!(
        targets(&report, START_RECOVERY, OutcomeResult::Planned),
        sorted(&[WEB_02, APP_01]),
        "{report:#?}"
    );
    assert!(skip_reason(&report, WEB_01).contains("STOPPED"));
    assert_eq!(mutating_calls(&run.emulator), 0);
    assert!(jobs(&run.emulator).is_empty());
}

/// Hostile input aimed at the real-recovery path, and why it is hostile.
fn hostile_recoveries() -> Vec<(&'static str, Value)> {
    let config = demo::config();
    let foreign = |sample: &str| {
        let text = event(sample)
            .to_string()
            .replace(config.var("ACCOUNT_ID"), "999999999999");
        serde_json::from_str::<Value>(&text).expect("still JSON")
    };
    let mut staging_alarm = event("alarm-state-change.json");
    staging_alarm["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"] =
        json!({"Hostname": "web-11"});
    vec![
        (
            "a mode that is not drill or recovery",
            json!({"mode": "failover", "targets": [WEB_02]}),
        ),
        (
            "a mode that is not a string",
            json!({"mode": 1, "targets": [WEB_02]}),
        ),
        ("a mode without targets", json!({"mode": "recovery"})),
        (
            "targets as a string",
            json!({"mode": "recovery", "targets": WEB_02}),
        ),
        (
            "targets that are not ids",
            json!({"mode": "recovery", "targets": ["web-02", "../../s-d28a79023c39c2006", "s-d28a79023c39c2006; rm -rf /", "S-D28A79023C39C2006"]}),
        ),
        (
            "200,000 ids of a server that does not exist",
            json!({"mode": "recovery", "targets": vec!["s-00000000000000000"; 200_000]}),
        ),
        (
            "a staging server outside the selection",
            json!({"mode": "recovery", "targets": ["s-f1578b5c72dc4ee60"]}),
        ),
        (
            "an alarm naming a staging server outside the selection",
            staging_alarm,
        ),
        (
            "an alarm from another account",
            foreign("alarm-state-change.json"),
        ),
        (
            "an alarm through SNS from another account",
            foreign("alarm-via-sns.json"),
        ),
        (
            "an alarm action from another account",
            foreign("alarm-lambda-action.json"),
        ),
        (
            "a launch result from another account",
            foreign("launch-result-succeeded.json"),
        ),
        (
            "a schedule from another account",
            foreign("scheduled-event.json"),
        ),
        (
            "an alarm through SNS from a topic outside the configuration",
            serde_json::from_str(&event("alarm-via-sns.json").to_string().replace(
                config.alarm_topic(),
                "arn:aws:sns:us-east-1:123456789012:not-configured",
            ))
            .expect("still JSON"),
        ),
    ]
}

#[tokio::test]
async fn hostile_input_is_refused_or_skipped_and_never_launches() {
    let run = deploy(Fixture::demo(), &OPT_IN, "drs-recovery-hostile").await;
    let mut problems = Vec::new();
    for (why, input) in hostile_recoveries() {
        let answer = run.runtime.invoke(&input, INVOKE_TIMEOUT).await;
        match answer.unwrap_or_else(|e| panic!("{why}: no answer: {e}")) {
            Invocation::Error { error_type, .. } if error_type.to_lowercase().contains("panic") => {
                problems.push(format!("{why}: panicked"));
            }
            Invocation::Error { .. } => {}
            Invocation::Response(v) => {
                let report: RunReport = serde_json::from_value(v).expect("a run report");
                if report.counts.done + report.counts.planned > 0 {
                    problems.push(format!("{why}: acted on it: {:?}", report.counts));
                }
            }
        }
        if mutating_calls(&run.emulator) > 0 {
            problems.push(format!("{why}: changed the emulator"));
            break;
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(jobs(&run.emulator).is_empty());
}

/// What drs-recovery's deliveries changed that matters, without the ids and times the emulator
/// generates: each launch job's kind, servers, status and own tags, and each instance's server,
/// kind and own tags (their keys).
fn side_effects(emulator: &Emulator) -> BTreeSet<String> {
    let own_keys = |resource: &Value| -> Vec<String> {
        let mut keys: Vec<String> = resource["tags"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.clone())
            .filter(|k| k.starts_with("dr-automation:"))
            .collect();
        keys.sort();
        keys
    };
    let jobs = jobs(emulator).into_iter().map(|j| {
        format!(
            "job {} {} {:?} {:?}",
            j["initiatedBy"],
            j["status"],
            servers_of(&j),
            own_keys(&j)
        )
    });
    let instances = instances(emulator).into_iter().map(|i| {
        format!(
            "instance {} drill={} {} {:?}",
            i["sourceServerID"],
            i["isDrill"],
            i["ec2InstanceState"],
            own_keys(&i)
        )
    });
    jobs.chain(instances).collect()
}

/// Brings the emulator to the state `sample` is about and returns the event to deliver: a launch
/// result names the job the emulator launched for its server, in its mode, completed.
async fn prepare(run: &Deployment, sample: &Value) -> Value {
    if sample["detail-type"] != "DRS Source Server Launch Result" {
        return sample.clone();
    }
    let server = sample["resources"][0]
        .as_str()
        .and_then(|arn| arn.rsplit('/').next())
        .expect("a source server ARN");
    let mode = if sample["detail"]["is-drill"] == "TRUE" {
        "drill"
    } else {
        "recovery"
    };
    if sample["detail"]["state"] == "RECOVERY_LAUNCH_FAILED" {
        run.emulator
            .fail_next_drs_launch(server)
            .expect("a demo server");
    }
    let launch = json!({"mode": mode, "targets": [server]});
    run.invoke_report(&launch).await;
    run.emulator.advance(2);
    let job = only_launch_job(&run.emulator);
    let mut event = sample.clone();
    event["detail"]["job-id"] = job["jobID"].clone();
    event
}

/// As `redelivery` does for the other functions (the fleet sample is left to the fleet test
/// below): one delivery after another, as for SMS, since StartRecovery takes no client token
/// and the template gives the function reserved concurrency 1.
#[tokio::test]
async fn every_sample_delivered_three_times_has_the_effect_of_one_delivery() {
    let run = deploy(Fixture::demo(), &OPT_IN, "drs-recovery-redelivery").await;
    let samples: Vec<(String, Value)> = samples_in(&events_dir().join(FUNCTION))
        .into_iter()
        .filter(|(name, _)| !name.starts_with("fleet-"))
        .collect();
    assert!(samples.len() >= 10, "{samples:?}");
    for (name, sample) in samples {
        run.emulator.reset();
        let event = prepare(&run, &sample).await;
        let before = side_effects(&run.emulator);
        let once = run.invoke_report(&event).await;
        assert_eq!(
            once.counts.failed,
            usize::from(name.contains("failed")),
            "{name}: {once:#?}"
        );
        let after_one = side_effects(&run.emulator);

        run.emulator.reset();
        let event = prepare(&run, &sample).await;
        for _ in 0..3 {
            run.invoke_report(&event).await;
        }
        assert_eq!(side_effects(&run.emulator), after_one, "{name}");
        println!(
            "{FUNCTION}/{name}: {}",
            if after_one == before {
                "no change"
            } else {
                "changed"
            }
        );
    }
}

#[tokio::test]
async fn the_fleet_target_sample_drills_only_in_the_target_it_names() {
    let run = FleetDeployment::start(FUNCTION, "drs-recovery-fleet-target").await;
    let report = run.invoke_report(&event("fleet-target-invoke.json")).await;
    let target = (MEMBER, "us-west-2");
    assert_eq!(
        fleet::sections(&report),
        fleet::owned(&[target]),
        "{report:#?}"
    );
    assert_eq!(
        fleet::outcomes_in(&report, target, START_RECOVERY, OutcomeResult::Done),
        vec!["s-4852d00ae0d61cfc9"]
    );
    assert_eq!(run.emulator.calls(START_RECOVERY), 1);
    assert_eq!(run.calls_in(MEMBER, &[START_RECOVERY]), 1);
    assert_eq!(published(&run.emulator, FUNCTION).len(), 1);
}

#[tokio::test]
async fn a_drill_from_a_snapshot_at_least_2h_old_launches_from_the_newest_such_snapshot() {
    // The emulator's snapshots are 5, 65 and 125 minutes and a day old: 125 minutes it is.
    let run = drilled(&[("DRS_DRILL_SNAPSHOT", "2h")], "drs-recovery-snapshot-age").await;
    let report = run.invoke_report(&schedule()).await;
    for id in READY {
        let evidence = outcome(&report, id, LAUNCH).evidence.expect("evidence");
        let age = evidence
            .recovery_point_age_seconds
            .expect("a recovery point");
        assert!((7_500..7_500 + SLACK).contains(&age), "{id}: {age}");
    }
    assert_eq!(report.counts.failed, 0, "{report:#?}");
}

#[tokio::test]
async fn without_a_snapshot_old_enough_a_drill_is_skipped_saying_so() {
    let run = deploy(
        Fixture::demo(),
        &[("DRS_DRILL_SNAPSHOT", "2d")],
        "drs-recovery-no-old-snapshot",
    )
    .await;
    let report = run.invoke_report(&schedule()).await;
    for id in READY {
        let reason = skip_reason(&report, id);
        assert!(
            reason.starts_with("scheduled drill: no snapshot: DRS holds no")
                && reason.ends_with("at least 2d old"),
            "{id}: {reason}"
        );
    }
    assert_eq!(mutating_calls(&run.emulator), 0);
}

/// A scheduled drill of the demo's ready servers 9 hours ago with `env` and a DRS_DRILL_TTL of
/// 8 hours, followed up, its instances terminated by a later schedule and gone.
async fn drilled_and_cleaned_up(env: &[(&str, &str)], log: &str) -> Deployment {
    let mut all = vec![("DRS_DRILL_TTL", "8h")];
    all.extend_from_slice(env);
    let run = deploy(started_ago(Fixture::demo(), NINE_HOURS), &all, log).await;
    for _ in 0..2 {
        run.invoke_report(&schedule()).await;
        run.emulator.advance(2);
    }
    let cleanup = run.invoke_report(&schedule()).await;
    assert_eq!(
        targets(&cleanup, TERMINATE, OutcomeResult::Done).len(),
        READY.len(),
        "{cleanup:#?}"
    );
    run.emulator.advance(2);
    assert!(instances(&run.emulator).is_empty());
    run
}

#[tokio::test]
async fn once_its_drill_instances_are_terminated_the_next_schedule_drills_again() {
    let run = drilled_and_cleaned_up(&[], "drs-recovery-drill-again").await;
    let report = run.invoke_report(&schedule()).await;
    assert_eq!(
        targets(&report, START_RECOVERY, OutcomeResult::Done),
        sorted(&READY),
        "{report:#?}"
    );
    assert_eq!(run.emulator.calls(START_RECOVERY), 2);
}

#[tokio::test]
async fn with_drs_drill_every_a_server_drilled_recently_is_not_drilled_again() {
    let every = [("DRS_DRILL_EVERY", "1d")];
    let run = drilled_and_cleaned_up(&every, "drs-recovery-drill-every").await;
    let report = run.invoke_report(&schedule()).await;
    for id in READY {
        let reason = skip_reason(&report, id);
        assert!(
            reason.starts_with("scheduled drill: not due: its last drill started 9h")
                && reason.ends_with("ago and DRS_DRILL_EVERY is 1d"),
            "{id}: {reason}"
        );
    }
    assert_eq!(run.emulator.calls(START_RECOVERY), 1);
}

#[tokio::test]
async fn the_drill_instances_of_a_fleet_of_500_are_terminated_in_calls_of_at_most_200() {
    let env = [
        ("DRS_SELECT_ALL", "true"),
        ("MAX_CONCURRENCY", "20"),
        ("DRS_DRILL_TTL", "8h"),
    ];
    let fixture = started_ago(Fixture::drs_fleet(500, 0), NINE_HOURS);
    let run = Deployment::start(FUNCTION, fixture, &env, "drs-recovery-500-cleanup", 1);
    let run = run.await.expect("deployed");
    let drill = json!({"schedule": FUNCTION});
    for _ in 0..2 {
        let report = run.invoke_report(&drill).await;
        assert_eq!(report.counts.failed, 0, "{:?}", report.counts);
        run.emulator.advance(2);
    }
    let cleanup = run.invoke_report(&drill).await;
    assert_eq!(cleanup.counts.failed, 0, "{:?}", cleanup.counts);
    assert_eq!(run.emulator.calls(TERMINATE), 3);
    let jobs = jobs(&run.emulator);
    let mut sizes: Vec<usize> = jobs
        .iter()
        .filter(|j| j["type"] == "TERMINATE")
        .map(|j| servers_of(j).len())
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, vec![100, 200, 200]);
    assert_within_quotas(&run.emulator);
    run.emulator.advance(2);
    assert!(instances(&run.emulator).is_empty());
}

/// The demo's recovery plan as the drill, every 7 days, with a DRS_DRILL_TTL of 8 hours, the
/// emulator started 9 hours back.
async fn plan_drills(log: &str) -> Deployment {
    let env = [
        ("DRS_DRILL_PLAN_ARN", PLAN),
        ("DRS_DRILL_EVERY", "7d"),
        ("DRS_DRILL_TTL", "8h"),
    ];
    deploy(started_ago(Fixture::demo(), NINE_HOURS), &env, log).await
}

#[tokio::test]
async fn a_plan_drill_runs_its_plan_once_then_reports_tags_and_cleans_up_what_it_launched() {
    let run = plan_drills("drs-recovery-plan").await;
    let started = run.invoke_report(&schedule()).await;
    assert_eq!(
        targets(&started, "StartRecoveryPlanExecution", OutcomeResult::Done),
        vec![PLAN],
        "{started:#?}"
    );
    let again = run.invoke_report(&schedule()).await;
    assert!(
        skip_reason(&again, PLAN).starts_with("scheduled plan drill: execution "),
        "{again:#?}"
    );
    assert_eq!(run.emulator.calls("StartRecoveryPlanExecution"), 1);
    assert_eq!(executions(&run.emulator).len(), 1);
    assert_eq!(
        run.emulator.calls(START_RECOVERY),
        0,
        "the plan is the drill"
    );

    run.emulator.advance(2);
    let follow_up = run.invoke_report(&schedule()).await;
    assert_eq!(follow_up.counts.failed, 0, "{follow_up:#?}");
    let execution = &executions(&run.emulator)[0];
    let execution_arn = execution["recoveryPlanExecutionArn"]
        .as_str()
        .expect("an execution ARN");
    assert_eq!(
        targets(&follow_up, "RecoveryPlanExecution", OutcomeResult::Done),
        vec![execution_arn]
    );
    assert_eq!(
        targets(&follow_up, LAUNCH, OutcomeResult::Done),
        sorted(&READY)
    );
    for id in READY {
        assert_eq!(
            tag(&instance_of(&run.emulator, id), "dr-automation:mode"),
            Some("drill")
        );
    }

    let cleanup = run.invoke_report(&schedule()).await;
    assert_eq!(
        targets(&cleanup, TERMINATE, OutcomeResult::Done).len(),
        READY.len(),
        "{cleanup:#?}"
    );
    assert_eq!(run.emulator.calls("StartRecoveryPlanExecution"), 1);
}

#[tokio::test]
async fn the_evidence_of_a_plan_drill_counts_each_launched_server_once() {
    // The execution's outcome carries its duration; the run's totals count servers measured
    // ("Servers with a measured launch", EvidenceTotals::launches), three here.
    let run = plan_drills("drs-recovery-plan-evidence").await;
    run.invoke_report(&schedule()).await;
    run.emulator.advance(2);
    let follow_up = run.invoke_report(&schedule()).await;
    assert_eq!(
        targets(&follow_up, LAUNCH, OutcomeResult::Done),
        sorted(&READY)
    );
    let totals = follow_up.evidence.expect("the run's evidence");
    assert_eq!(
        (totals.launches, totals.drills),
        (READY.len(), READY.len()),
        "{totals:?}"
    );
}

#[tokio::test]
async fn without_the_opt_in_a_direct_recovery_invoke_launches_nothing_and_says_so() {
    let env = [("DRS_RECOVERY_ENABLED", "false")];
    let run = deploy(Fixture::demo(), &env, "drs-recovery-direct-no-opt-in").await;
    let report = run
        .invoke_report(&event("direct-invoke-recovery.json"))
        .await;
    assert!(
        skip_reason(&report, DB_01)
            .ends_with("but real recovery is off (DRS_RECOVERY_ENABLED is not true)"),
        "{report:#?}"
    );
    assert_eq!(mutating_calls(&run.emulator), 0);
}

#[tokio::test]
async fn drs_recovery_max_servers_bounds_a_run_across_every_target_of_the_fleet() {
    // The ready servers of the fleet fixture's six targets, one or two a target, none extended.
    let ready = [
        "s-542e4a317d61e955e",
        "s-0b625da390e731a3c",
        "s-b8f46537f9df08352",
        "s-4852d00ae0d61cfc9",
        "s-95978848975841a6f",
        "s-cd2c48496f09b67d8",
    ];
    let fleet_var = fleet::fleet_var(&fleet::all_targets());
    let env = demo::config().env_with(&[
        ("ACCOUNT_ID", fleet::HOME),
        ("FLEET", &fleet_var),
        ("FLEET_ROLE", fleet::FLEET_ROLE),
        OPT_IN[0],
        OPT_IN[1],
    ]);
    let run = Deployment::start(
        FUNCTION,
        Fixture::fleet(),
        &env,
        "drs-recovery-fleet-cap",
        1,
    );
    let run = run.await.expect("deployed");
    let report = run
        .invoke_report(&json!({"mode": "recovery", "targets": ready}))
        .await;
    let launched = targets(&report, START_RECOVERY, OutcomeResult::Done);
    assert_eq!(launched.len(), 2, "{report:#?}");
    assert_eq!(run.emulator.calls(START_RECOVERY), 2);
    for id in ready
        .iter()
        .filter(|id| !launched.contains(&(**id).to_owned()))
    {
        assert!(
            skip_reason(&report, id).contains("DRS_RECOVERY_MAX_SERVERS (2)"),
            "{id}: {report:#?}"
        );
    }
}

#[tokio::test]
async fn a_launch_drs_refuses_at_its_job_quota_is_reported_failed_and_the_others_still_launch() {
    // DRS allows one active job here; the function, told nothing, sends three of one server.
    let mut fixture = Fixture::demo();
    fixture.drs.recovery_quotas.concurrent_jobs = 1;
    let run = deploy(fixture, &[("DRS_JOB_SERVERS", "1")], "drs-recovery-refused").await;
    let report = run.invoke_report(&schedule()).await;
    assert_eq!(run.emulator.calls(START_RECOVERY), 3);
    assert_eq!(
        targets(&report, START_RECOVERY, OutcomeResult::Done).len(),
        1
    );
    let refused: Vec<&TargetOutcome> = report
        .outcomes
        .iter()
        .filter(|o| o.action == START_RECOVERY && o.result == OutcomeResult::Failed)
        .collect();
    assert_eq!(refused.len(), 2, "{report:#?}");
    for outcome in refused {
        let detail = outcome.detail.as_deref().unwrap_or_default();
        assert!(
            detail.starts_with("ServiceQuotaExceededException"),
            "{detail}"
        );
    }
    assert_eq!(launches(&jobs(&run.emulator)).len(), 1);
}

#[tokio::test]
async fn a_drill_from_a_point_in_time_launches_from_the_newest_snapshot_at_or_before_it() {
    // An hour ago: the 65-minute-old snapshot, not the 5-minute-old one.
    let at = dr_core::clock::fmt_time(dr_core::clock::now_secs() - 3_600);
    let run = drilled(&[("DRS_DRILL_SNAPSHOT", &at)], "drs-recovery-snapshot-at").await;
    let report = run.invoke_report(&schedule()).await;
    for id in READY {
        let evidence = outcome(&report, id, LAUNCH).evidence.expect("evidence");
        let age = evidence
            .recovery_point_age_seconds
            .expect("a recovery point");
        assert!((3_900..3_900 + SLACK).contains(&age), "{id}: {age}");
    }
}

#[tokio::test]
async fn a_dry_run_past_the_drill_ttl_plans_the_terminations_and_terminates_nothing() {
    let env = [("DRS_DRILL_TTL", "8h")];
    let run = deploy(
        started_ago(Fixture::demo(), NINE_HOURS),
        &env,
        "drs-recovery-ttl-dry",
    )
    .await;
    run.invoke_report(&schedule()).await;
    run.emulator.advance(2);
    run.invoke_report(&schedule()).await;
    let dry = run
        .invoke_report(&json!({"schedule": FUNCTION, "dryRun": true}))
        .await;
    assert!(dry.dry_run);
    assert_eq!(
        targets(&dry, TERMINATE, OutcomeResult::Planned).len(),
        READY.len(),
        "{dry:#?}"
    );
    assert_eq!(run.emulator.calls(TERMINATE), 0);
    assert_eq!(instances(&run.emulator).len(), READY.len());
}

#[tokio::test]
async fn a_drill_instance_whose_job_is_older_than_drs_follow_up_is_still_cleaned_up() {
    // No run between the drill and three hours later, past DRS_FOLLOW_UP (an outage, a paused
    // schedule): its instances were never tagged, but they name their job (jobID), which
    // drs-recovery tagged as its drill, so they are its own to tag and terminate.
    let env = [
        ("DRS_FOLLOW_UP", "2h"),
        ("DRS_DRILL_TTL", "1h"),
        ("DRS_LAUNCH_GUARD", "1h"),
    ];
    let run = deploy(
        started_ago(Fixture::demo(), 3 * 3_600),
        &env,
        "drs-recovery-old-job",
    )
    .await;
    run.invoke_report(&schedule()).await;
    run.emulator.advance(2);
    let mut terminated = Vec::new();
    for _ in 0..2 {
        let report = run.invoke_report(&schedule()).await;
        for skip in &report.skips {
            assert_ne!(
                skip.reason, "a drill instance drs-recovery did not launch: left alone",
                "{}",
                skip.target
            );
        }
        terminated.extend(targets(&report, TERMINATE, OutcomeResult::Done));
    }
    assert_eq!(terminated.len(), READY.len(), "{terminated:?}");
}

#[tokio::test]
async fn every_aws_sample_event_is_acted_on_or_skipped_and_none_fails_the_invocation() {
    // Every topic and account accepted, as in `aws_samples`, so that the samples' own are read.
    let env = demo::config().env_without(&["TRIGGER_TOPIC_ARNS", "ACCOUNT_ID"]);
    let run = Deployment::start(
        FUNCTION,
        Fixture::demo(),
        &env,
        "drs-recovery-aws-samples",
        1,
    );
    let run = run.await.expect("deployed");
    let samples = samples_in(&aws_events_dir());
    assert!(samples.len() > 50, "the AWS samples are missing");
    for (name, sample) in samples {
        let answer = run.runtime.invoke(&sample, INVOKE_TIMEOUT).await;
        let report = match answer.unwrap_or_else(|e| panic!("{name}: no answer: {e}")) {
            Invocation::Response(report) => report,
            Invocation::Error {
                error_type,
                error_message,
            } => panic!("{name}: {error_type}: {error_message}"),
        };
        let report: RunReport = serde_json::from_value(report).expect("a run report");
        let c = &report.counts;
        let total = c.done + c.unchanged + c.planned + c.failed + c.skipped;
        assert!(total > 0, "{name}: reported nothing: {report:#?}");
        assert_eq!(c.failed, 0, "{name}: {report:#?}");
    }
    assert_eq!(
        run.emulator.calls("StartRecovery"),
        launches(&jobs(&run.emulator)).len() as u64
    );
    assert!(
        jobs(&run.emulator)
            .iter()
            .all(|j| j["initiatedBy"] == "START_DRILL"),
        "without the opt-in only drills: {:#?}",
        jobs(&run.emulator)
    );
}
