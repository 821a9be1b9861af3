//! sms-replication-jobs end to end: the real binary, the Runtime API, the emulator's SMS and SNS.
//!
//! The function reads the real clock, while the emulator's clock can only be moved forward. The
//! failure scenarios therefore start the emulator in the past and place each failed run at a
//! chosen distance from the real time, so the function sees exactly the cool-down wanted.

use dr_core::report::{OutcomeResult, RunReport, RunStatus};
use dr_e2e::report::{detail, published, skip_reason, sorted, targets};
use dr_e2e::{cold_start_error, demo, sample_event, Deployment};
use dr_emulator::util::iso;
use dr_emulator::Fixture;
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const FUNCTION: &str = "sms-replication-jobs";
const HOUR: u64 = 3600;

/// Demo servers (`tests/emulator/fixtures/demo.json`).
const ERP_APP: &str = "s-5a1c0e7f";
const ERP_DB: &str = "s-5a1c0e80";
const WEB_LINUX_1: &str = "s-5a1c0e81";
const WEB_LINUX_2: &str = "s-5a1c0e82";
const FILE_SRV: &str = "s-5a1c0e83";
const HYPERV_LEGACY: &str = "s-5a1c0e84";
/// The servers whose jobs the demo configuration creates (SMS refuses [`HYPERV_LEGACY`]).
const CREATED: [&str; 4] = [ERP_APP, ERP_DB, WEB_LINUX_1, FILE_SRV];

/// The root cause the emulator gives every failed run.
const RUN_FAILURE: &str = "the connector could not read the VM's disks (emulated failure)";

/// Every replication job the emulator holds.
fn jobs(run: &Deployment) -> Vec<Value> {
    run.emulator.state()["sms"]["replicationJobs"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The replication job of `server_id`; panics when there is none.
fn job_of(run: &Deployment, server_id: &str) -> Value {
    jobs(run)
        .into_iter()
        .find(|j| j["serverId"] == server_id)
        .unwrap_or_else(|| panic!("no job for {server_id}"))
}

/// The id of `server_id`'s replication job.
fn job_id_of(run: &Deployment, server_id: &str) -> String {
    job_of(run, server_id)["replicationJobId"]
        .as_str()
        .expect("job id")
        .to_owned()
}

/// The runs the emulator lists for a job, newest first.
fn runs_of(job: &Value) -> Vec<Value> {
    job["replicationRunList"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn emulator_now(run: &Deployment) -> i64 {
    run.emulator.state()["nowEpochSeconds"]
        .as_i64()
        .expect("emulator time")
}

/// The calls that change SMS.
fn mutating_calls(run: &Deployment) -> u64 {
    [
        "CreateReplicationJob",
        "StartOnDemandReplicationRun",
        "UpdateReplicationJob",
        "DeleteReplicationJob",
    ]
    .iter()
    .map(|op| run.emulator.calls(op))
    .sum()
}

/// `CreateReplicationJob` as an operator would call it, outside the function: the seed is the
/// emulator's own time, which the function cannot ask for since it reads the real clock.
async fn create_job_by_hand(run: &Deployment, server_id: &str, seed: i64) -> String {
    let body = json!({
        "serverId": server_id, "seedReplicationTime": seed, "frequency": 1,
        "licenseType": "BYOL", "roleName": "sms-dr"
    })
    .to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: AWSServerMigrationService_V2016_10_24.CreateReplicationJob\r\n\
         Content-Length: {len}\r\nConnection: close\r\n\r\n{body}",
        addr = run.emulator.addr(),
        len = body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(run.emulator.addr())
        .await
        .expect("connected");
    stream.write_all(request.as_bytes()).await.expect("request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let (_, reply) = answer.split_once("\r\n\r\n").expect("a body");
    let reply: Value = serde_json::from_str(reply).expect("JSON reply");
    reply["replicationJobId"]
        .as_str()
        .expect("job id")
        .to_owned()
}

/// Finishes the ACTIVE run of every job, placed so that a cool-down of `cool_down` ends `margin`
/// seconds after the real time now (before it, when negative).
fn fail_run_ending_cool_down_in(run: &Deployment, cool_down: u64, margin: i64) {
    let target = real_now() - as_secs(cool_down) + margin;
    let ahead = target - emulator_now(run);
    assert!(ahead >= 0, "the emulator is already past {}", iso(target));
    run.emulator.advance_time(ahead.unsigned_abs(), 1);
}

fn real_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| as_secs(d.as_secs()))
}

fn as_secs(n: u64) -> i64 {
    i64::try_from(n).expect("a small number of seconds")
}

fn event(name: &str) -> Value {
    sample_event(&format!("{FUNCTION}/{name}")).expect("sample event")
}

/// A direct invoke sample with its placeholder job ids replaced by the emulator's.
fn with_targets(mut sample: Value, ids: &[&str]) -> Value {
    sample["targets"] = json!(ids);
    sample
}

/// The function with the demo configuration against the demo catalog.
async fn demo_run(log: &str) -> Deployment {
    Deployment::demo(FUNCTION, log).await.expect("deployed")
}

/// The demo after the schedule has created the configured jobs.
async fn with_jobs(log: &str) -> (Deployment, RunReport) {
    let run = demo_run(log).await;
    let created = run.invoke_report(&event("scheduled-event.json")).await;
    (run, created)
}

/// The demo after the created jobs' first runs have ended: ERP-DB's fails (FAILING), the
/// one-time file server's fails (FAILED).
async fn after_first_runs(log: &str) -> Deployment {
    let (run, _) = with_jobs(log).await;
    run.emulator.advance(2);
    assert_eq!(job_of(&run, ERP_DB)["state"], "FAILING");
    assert_eq!(job_of(&run, FILE_SRV)["state"], "FAILED");
    run
}

/// The CloudTrail sample as an `UpdateReplicationJob` call with `request` as its parameters.
fn update_call(request: Value) -> Value {
    let mut call = event("sms-api-call-via-cloudtrail.json");
    call["detail"]["eventName"] = json!("UpdateReplicationJob");
    call["detail"]["requestParameters"] = request;
    call
}

#[tokio::test]
async fn a_dry_run_plans_every_creation_and_makes_none() {
    let run = demo_run("sms-dry-run").await;
    let dry = run
        .invoke_report(&json!({"schedule": "sms-replication-jobs-hourly", "dryRun": true}))
        .await;
    assert!(dry.dry_run);
    assert_eq!(dry.counts.planned, 5, "{dry:?}");
    let dry_direct = run
        .invoke_report(&event("direct-invoke-dry-run.json"))
        .await;
    assert!(dry_direct.dry_run);
    assert_eq!(mutating_calls(&run), 0, "a dry run changes nothing");
    assert!(jobs(&run).is_empty());
}

#[tokio::test]
async fn the_schedule_creates_the_configured_jobs_and_reports_the_server_sms_refuses() {
    let (run, created) = with_jobs("sms-schedule").await;
    assert_eq!(
        targets(&created, "CreateReplicationJob", OutcomeResult::Done),
        sorted(&CREATED),
        "{created:?}"
    );
    assert_eq!(
        targets(&created, "CreateReplicationJob", OutcomeResult::Failed),
        vec![HYPERV_LEGACY]
    );
    assert!(detail(&created, HYPERV_LEGACY, "CreateReplicationJob")
        .contains("the VM has an unsupported disk type (shared VHDX)"));
    assert_eq!(created.status, RunStatus::PartiallyFailed);
    assert_eq!(jobs(&run).len(), 4);
}

#[tokio::test]
async fn a_job_named_by_server_id_takes_its_own_options_over_the_defaults() {
    let (run, _) = with_jobs("sms-options").await;
    let erp_app = job_of(&run, ERP_APP);
    assert_eq!(erp_app["frequency"], 12);
    assert_eq!(erp_app["licenseType"], "AWS");
    assert_eq!(erp_app["roleName"], "sms-dr");
    assert_eq!(erp_app["encrypted"], true);
    assert_eq!(erp_app["kmsKeyId"], "alias/sms-amis");
    assert_eq!(erp_app["numberOfRecentAmisToKeep"], 3);
    assert_eq!(erp_app["description"], "ERP application server");
    assert_eq!(erp_app["runOnce"], false);
}

#[tokio::test]
async fn a_job_named_by_vm_name_keeps_the_defaults_it_does_not_override() {
    let (run, _) = with_jobs("sms-defaults").await;
    let erp_db = job_of(&run, ERP_DB);
    assert_eq!(erp_db["frequency"], 6, "a job's frequency wins");
    assert_eq!(erp_db["licenseType"], "BYOL", "the default license");
    assert_eq!(erp_db["encrypted"], true);
    assert!(erp_db.get("kmsKeyId").is_none(), "the default EBS key");
}

#[tokio::test]
async fn a_job_named_by_hostname_is_unencrypted_and_seeded_two_hours_ahead_as_configured() {
    let (run, _) = with_jobs("sms-seed").await;
    let web = job_of(&run, WEB_LINUX_1);
    assert_eq!(web["encrypted"], false, "a job's encrypted: false wins");
    let seed_ahead = web["seedReplicationTime"].as_i64().expect("seed") - emulator_now(&run);
    assert!(
        (7_100..=7_300).contains(&seed_ahead),
        "seed +2h, got {seed_ahead} s"
    );
}

#[tokio::test]
async fn a_one_time_job_named_by_vm_path_has_no_frequency() {
    let (run, _) = with_jobs("sms-run-once").await;
    let file_srv = job_of(&run, FILE_SRV);
    assert_eq!(file_srv["runOnce"], true);
    assert!(
        file_srv.get("frequency").is_none(),
        "one-time: no frequency"
    );
}

#[tokio::test]
async fn the_schedulers_input_finds_the_jobs_and_creates_none_again() {
    let (run, _) = with_jobs("sms-reconcile").await;
    let again = run.invoke_report(&event("scheduler-input.json")).await;
    assert_eq!(
        targets(&again, "CreateReplicationJob", OutcomeResult::Unchanged),
        sorted(&CREATED),
        "{again:?}"
    );
    assert_eq!(again.counts.done, 0);
    assert_eq!(
        run.emulator.calls("CreateReplicationJob"),
        6,
        "four creations, and SMS asked twice about the server it refuses"
    );
}

#[tokio::test]
async fn a_direct_invoke_of_job_ids_this_account_does_not_have_is_skipped() {
    let run = after_first_runs("sms-placeholder-ids").await;
    let placeholder = run.invoke_report(&event("direct-invoke.json")).await;
    assert_eq!(
        skip_reason(&placeholder, "sms-job-0a1b2c3d4e5f60001"),
        "no such replication job in this account and region"
    );
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 0);
}

#[tokio::test]
async fn a_dry_run_direct_invoke_plans_the_on_demand_run_and_skips_a_failed_one_time_job() {
    let run = after_first_runs("sms-dry-direct").await;
    let (erp_app_id, file_srv_id) = (job_id_of(&run, ERP_APP), job_id_of(&run, FILE_SRV));
    let dry_ids = run
        .invoke_report(&with_targets(
            event("direct-invoke-dry-run.json"),
            &[&erp_app_id, &file_srv_id],
        ))
        .await;
    assert_eq!(
        targets(
            &dry_ids,
            "StartOnDemandReplicationRun",
            OutcomeResult::Planned
        ),
        vec![erp_app_id.clone()],
        "{dry_ids:?}"
    );
    assert!(skip_reason(&dry_ids, &file_srv_id).starts_with("FAILED: on-demand runs need a job"));
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 0);
}

#[tokio::test]
async fn a_direct_invoke_starts_one_on_demand_run_of_the_job_it_names() {
    let run = after_first_runs("sms-direct").await;
    let erp_app_id = job_id_of(&run, ERP_APP);
    let direct = run
        .invoke_report(&with_targets(event("direct-invoke.json"), &[&erp_app_id]))
        .await;
    assert_eq!(
        targets(&direct, "StartOnDemandReplicationRun", OutcomeResult::Done),
        vec![erp_app_id],
        "{direct:?}"
    );
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 1);
    let on_demand = runs_of(&job_of(&run, ERP_APP))
        .iter()
        .filter(|r| r["type"] == "ON_DEMAND")
        .count();
    assert_eq!(on_demand, 1);
}

#[tokio::test]
async fn an_api_call_deleting_a_job_that_is_gone_is_reported_and_changes_nothing() {
    let run = after_first_runs("sms-deleted-job").await;
    let mutating = mutating_calls(&run);
    for sample in [
        event("sms-api-call-via-cloudtrail.json"),
        event("sms-api-call-via-sns.json"),
    ] {
        let report = run.invoke_report(&sample).await;
        assert_eq!(
            skip_reason(&report, "sms-job-0a1b2c3d4e5f60003"),
            "named by the event, but no such replication job exists (any more)",
            "{sample}"
        );
        assert!(report.outcomes.is_empty(), "{report:?}");
    }
    assert_eq!(mutating_calls(&run), mutating, "events only report");
}

#[tokio::test]
async fn an_api_call_naming_a_failing_job_reports_its_root_cause() {
    let run = after_first_runs("sms-failing-job-call").await;
    let erp_db_id = job_id_of(&run, ERP_DB);
    let mutating = mutating_calls(&run);
    let failing = run
        .invoke_report(&update_call(json!({"replicationJobId": erp_db_id})))
        .await;
    assert_eq!(
        targets(&failing, "Notify", OutcomeResult::Unchanged),
        vec![erp_db_id.clone()]
    );
    assert!(detail(&failing, &erp_db_id, "Notify").contains(RUN_FAILURE));
    assert_eq!(mutating_calls(&run), mutating, "events only report");
}

#[tokio::test]
async fn an_api_call_naming_no_job_looks_after_every_configured_job_in_a_failure_state() {
    let run = after_first_runs("sms-failure-sweep").await;
    let (erp_db_id, file_srv_id) = (job_id_of(&run, ERP_DB), job_id_of(&run, FILE_SRV));
    let mutating = mutating_calls(&run);
    let sweep = run.invoke_report(&update_call(json!({}))).await;
    assert_eq!(
        targets(&sweep, "Notify", OutcomeResult::Unchanged),
        vec![erp_db_id]
    );
    assert_eq!(
        targets(&sweep, "Notify", OutcomeResult::Failed),
        vec![file_srv_id.clone()]
    );
    assert!(detail(&sweep, &file_srv_id, "Notify").contains("one-time"));
    assert_eq!(mutating_calls(&run), mutating, "events only report");
}

#[tokio::test]
async fn every_invocation_publishes_its_report_to_the_reports_topic() {
    let (run, _) = with_jobs("sms-published").await;
    run.invoke_report(&event("scheduler-input.json")).await;
    run.invoke_report(&event("direct-invoke.json")).await;
    assert_eq!(published(&run.emulator, FUNCTION).len(), 3);
}

/// The failure scenario's `SMS_JOBS`: web-linux-02 only, on-demand resume after an hour,
/// escalation at five consecutive failures.
fn failing_jobs() -> String {
    json!({"jobs": [{"vmName": "web-linux-02", "frequency": 1, "licenseType": "BYOL",
        "onFailure": {"coolDownMinutes": 60, "resumeWith": "onDemandRun", "maxConsecutiveFailures": 5}}]})
    .to_string()
}

/// The demo, a day in the past, with web-linux-02 failing six runs instead of five: the emulated
/// SMS pauses a job after three failures in a row and starts counting again when it is resumed,
/// so only a sixth failure pauses it a second time, when the function can escalate it.
fn failing_fixture() -> Fixture {
    let mut fixture = Fixture::demo();
    fixture.now = Some(iso(real_now() - 86_400));
    for server in &mut fixture.sms.servers {
        if server.server_id == WEB_LINUX_2 {
            server.fail_runs = 6;
        }
    }
    fixture
}

/// The function configured for the failure scenario against [`failing_fixture`], with
/// web-linux-02's job created and three hourly runs failed, the third so that the cool-down of
/// an hour ends `margin` seconds from now; returns the job id too.
async fn paused_web_linux_2(log: &str, margin: i64) -> (Deployment, String) {
    let jobs = failing_jobs();
    let env = demo::config().env_with(&[("SMS_JOBS", &jobs)]);
    let run = Deployment::start(FUNCTION, failing_fixture(), &env, log, 1);
    let run = run.await.expect("deployed");
    let job_id = create_job_by_hand(&run, WEB_LINUX_2, emulator_now(&run)).await;
    run.emulator.advance(2);
    run.emulator.advance_time(HOUR, 2);
    run.emulator.advance_time(HOUR, 1);
    fail_run_ending_cool_down_in(&run, HOUR, margin);
    let job = job_of(&run, WEB_LINUX_2);
    assert_eq!(job["state"], "PAUSED_ON_FAILURE", "{job}");
    (run, job_id)
}

/// How far the failure scenario has gone, each stage after the one before.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Stage {
    /// Paused by SMS, its cool-down over.
    Paused,
    /// Resumed by the schedule with an on-demand run, which is under way.
    ResumedRunning,
    /// The resumed run and the next hourly one failed: FAILING, not paused.
    FailingAgain,
    /// A second on-demand run today failed too: paused again, after six failures in a row.
    PausedAgain,
}

/// The failure scenario driven to `stage` (each stage's own test checks what it does).
async fn failing_job_at(stage: Stage, log: &str) -> (Deployment, String) {
    let (run, job_id) = paused_web_linux_2(log, -60).await;
    let direct = with_targets(event("direct-invoke.json"), &[&job_id]);
    if stage >= Stage::ResumedRunning {
        run.invoke_report(&event("scheduled-event.json")).await;
        run.emulator.advance(1);
    }
    if stage >= Stage::FailingAgain {
        run.emulator.advance(1);
        run.emulator.advance_time(HOUR, 2);
        run.invoke_report(&event("scheduled-event.json")).await;
    }
    if stage >= Stage::PausedAgain {
        run.invoke_report(&direct).await;
        run.emulator.advance(2);
    }
    (run, job_id)
}

#[tokio::test]
async fn a_paused_job_is_left_alone_until_its_cool_down_ends() {
    // The cool-down ends ten minutes from now.
    let (run, job_id) = paused_web_linux_2("sms-cooling", 600).await;
    let mutating = mutating_calls(&run);
    let cooling = run.invoke_report(&event("scheduled-event.json")).await;
    let reason = skip_reason(&cooling, &job_id);
    assert!(
        reason.starts_with("PAUSED_ON_FAILURE: cool-down"),
        "{reason}"
    );
    assert!(reason.contains(RUN_FAILURE), "{reason}");
    assert_eq!(
        mutating_calls(&run),
        mutating,
        "nothing before the cool-down ends"
    );
}

#[tokio::test]
async fn a_paused_job_is_resumed_with_an_on_demand_run_once_its_cool_down_ends() {
    let (run, job_id) = failing_job_at(Stage::Paused, "sms-resume").await;
    let resumed = run.invoke_report(&event("scheduled-event.json")).await;
    assert_eq!(
        targets(&resumed, "StartOnDemandReplicationRun", OutcomeResult::Done),
        vec![job_id],
        "{resumed:?}"
    );
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 1);
    assert_eq!(run.emulator.calls("UpdateReplicationJob"), 0);
    assert_eq!(job_of(&run, WEB_LINUX_2)["state"], "ACTIVE");
}

#[tokio::test]
async fn a_direct_invoke_starts_no_second_run_while_the_resumed_one_is_under_way() {
    let (run, job_id) = failing_job_at(Stage::ResumedRunning, "sms-resumed-busy").await;
    let busy = run
        .invoke_report(&with_targets(event("direct-invoke.json"), &[&job_id]))
        .await;
    assert!(
        skip_reason(&busy, &job_id).contains("is ACTIVE; SMS starts no on-demand run"),
        "{busy:?}"
    );
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 1);
}

#[tokio::test]
async fn a_job_that_fails_again_without_a_pause_is_reported_not_resumed() {
    let (run, job_id) = failing_job_at(Stage::ResumedRunning, "sms-failing-again").await;
    // The resumed run fails (four in a row), then an hourly one (five): SMS only reports FAILING.
    run.emulator.advance(1);
    run.emulator.advance_time(HOUR, 2);
    let failing = run.invoke_report(&event("scheduled-event.json")).await;
    assert_eq!(
        targets(&failing, "Notify", OutcomeResult::Unchanged),
        vec![job_id],
        "{failing:?}"
    );
    assert_eq!(job_of(&run, WEB_LINUX_2)["state"], "FAILING");
}

#[tokio::test]
async fn a_second_on_demand_run_in_a_day_is_started_and_a_third_is_not() {
    let (run, job_id) = failing_job_at(Stage::FailingAgain, "sms-on-demand-limit").await;
    let direct = with_targets(event("direct-invoke.json"), &[&job_id]);
    let second = run.invoke_report(&direct).await;
    assert_eq!(
        targets(&second, "StartOnDemandReplicationRun", OutcomeResult::Done),
        vec![job_id.clone()],
        "{second:?}"
    );
    run.emulator.advance(2);
    assert_eq!(job_of(&run, WEB_LINUX_2)["state"], "PAUSED_ON_FAILURE");
    let third = run.invoke_report(&direct).await;
    assert!(
        skip_reason(&third, &job_id)
            .starts_with("2 on-demand runs in the last 24 h, the SMS limit is 2"),
        "{third:?}"
    );
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 2);
}

#[tokio::test]
async fn a_job_failing_more_often_than_allowed_is_escalated_with_its_root_cause() {
    let (run, job_id) = failing_job_at(Stage::PausedAgain, "sms-escalated").await;
    let escalated = run.invoke_report(&event("scheduled-event.json")).await;
    assert_eq!(
        targets(&escalated, "Escalate", OutcomeResult::Failed),
        vec![job_id.clone()],
        "{escalated:?}"
    );
    let why = detail(&escalated, &job_id, "Escalate");
    assert!(
        why.contains("escalated: 6 consecutive failed runs (escalation after 5)"),
        "{why}"
    );
    assert!(why.contains(RUN_FAILURE), "{why}");
    assert_eq!(escalated.status, RunStatus::Failed);
    let published = run.emulator.sns_messages();
    let last = published.last().expect("a report");
    assert!(last.message.contains("Escalate") && last.message.contains(RUN_FAILURE));
}

#[tokio::test]
async fn an_escalated_job_is_escalated_again_and_never_resumed() {
    let (run, job_id) = failing_job_at(Stage::PausedAgain, "sms-escalated-again").await;
    let schedule = event("scheduled-event.json");
    run.invoke_report(&schedule).await;
    run.emulator.advance_time(2 * HOUR, 4);
    for _ in 0..2 {
        let report = run.invoke_report(&schedule).await;
        assert_eq!(
            targets(&report, "Escalate", OutcomeResult::Failed),
            vec![job_id.clone()]
        );
    }
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 2);
    assert_eq!(run.emulator.calls("UpdateReplicationJob"), 0);
}

#[tokio::test]
async fn a_paused_jobs_next_scheduled_run_does_not_hold_its_resume() {
    let (run, job_id) = paused_web_linux_2("sms-paused-next-run", -60).await;
    // What SMS lists as a paused job's next run is not documented; here it lists one, hours ahead.
    let next = real_now() + as_secs(6 * HOUR);
    let scheduled = run
        .emulator
        .schedule_sms_run(&job_id, next)
        .expect("scheduled");

    let report = run.invoke_report(&event("scheduled-event.json")).await;
    assert_eq!(
        targets(&report, "StartOnDemandReplicationRun", OutcomeResult::Done),
        vec![job_id.clone()],
        "{report:?}"
    );
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 1);
    // The on-demand run comes in addition to the scheduled one, which stays as it was.
    let job = job_of(&run, WEB_LINUX_2);
    assert_eq!(job["state"], "ACTIVE", "{job}");
    let runs = runs_of(&job);
    assert!(
        runs.iter()
            .any(|r| r["replicationRunId"] == scheduled.as_str()
                && r["state"] == "PENDING"
                && r["scheduledStartTime"] == next),
        "{job}"
    );
    assert_eq!(runs[0]["type"], "ON_DEMAND", "{job}");
}

#[tokio::test]
async fn a_paused_jobs_scheduled_run_that_is_due_is_waited_for() {
    let (run, job_id) = paused_web_linux_2("sms-paused-due-run", -60).await;
    let due = real_now() - 60;
    let scheduled = run
        .emulator
        .schedule_sms_run(&job_id, due)
        .expect("scheduled");

    let mutating = mutating_calls(&run);
    let report = run.invoke_report(&event("scheduled-event.json")).await;
    let reason = skip_reason(&report, &job_id);
    assert!(
        reason.starts_with(&format!(
            "PAUSED_ON_FAILURE: run {scheduled} is PENDING; waiting for it before resuming"
        )),
        "{reason}"
    );
    assert_eq!(mutating_calls(&run), mutating, "nothing while a run is due");
}

#[tokio::test]
async fn redelivered_schedules_create_each_job_once() {
    let run = demo_run("sms-redelivery").await;
    let schedule = event("scheduled-event.json");
    for delivery in 0..3 {
        let report = run.invoke_report(&schedule).await;
        let expected = if delivery == 0 { 4 } else { 0 };
        assert_eq!(
            report.counts.done, expected,
            "delivery {delivery}: {report:?}"
        );
    }
    let mut servers: Vec<String> = jobs(&run)
        .iter()
        .filter_map(|j| j["serverId"].as_str().map(str::to_owned))
        .collect();
    servers.sort();
    assert_eq!(servers, sorted(&CREATED));
    assert_eq!(
        run.emulator.calls("CreateReplicationJob"),
        4 + 3,
        "each job created once; the server SMS refuses is asked about on every delivery"
    );
}

#[tokio::test]
async fn redelivered_schedules_and_direct_invokes_resume_a_paused_job_once() {
    let (run, job_id) = paused_web_linux_2("sms-redelivery-resume", -60).await;
    for _ in 0..3 {
        let report = run.invoke_report(&event("scheduled-event.json")).await;
        assert_eq!(report.counts.failed, 0, "{report:?}");
    }
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 1);
    // The resumed run has not started yet: a redelivered direct invoke must not add another.
    let direct = with_targets(event("direct-invoke.json"), &[&job_id]);
    for _ in 0..2 {
        let report = run.invoke_report(&direct).await;
        assert!(
            skip_reason(&report, &job_id).contains("is PENDING; SMS starts no on-demand run"),
            "{report:?}"
        );
    }
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 1);
}

#[tokio::test]
async fn hostile_input_is_rejected_without_changing_anything() {
    let run = demo_run("sms-hostile").await;
    let forwarded = |message: &str| {
        json!({"Records": [{"EventSource": "aws:sns", "Sns": {
            "TopicArn": demo::config().sms_events_topic(), "MessageId": "m-1", "Message": message}}]})
    };
    run.assert_bad_events(&[
        json!([1, 2]),
        json!("sms-job-0a1b2c3d4e5f60001"),
        json!({"targets": "sms-job-0a1b2c3d4e5f60001"}),
        json!({"targets": ["sms-job-0a1b2c3d4e5f60001"], "dryRun": "no"}),
        json!({"schedule": "hourly", "roleName": "admin"}),
        json!({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
        forwarded("{\"source\": \"aws.sms\", \"detail-type\": 7}"),
    ])
    .await;
    assert_eq!(mutating_calls(&run), 0);
    assert_eq!(
        run.emulator.calls("GetServers"),
        0,
        "rejected before any call"
    );
    assert!(run.emulator.sns_messages().is_empty());
}

#[tokio::test]
async fn a_kms_key_without_encryption_fails_the_cold_start_naming_the_job() {
    let invalid =
        json!({"jobs": [{"serverId": ERP_APP, "frequency": 12, "kmsKeyId": "alias/sms-amis"}]})
            .to_string();
    let body = cold_start_error(FUNCTION, &[("SMS_JOBS", &invalid)], "sms-cold-start-kms").await;
    assert!(
        body.contains("configuration SMS_JOBS: jobs[0].kmsKeyId: is set but encrypted is not true"),
        "{body}"
    );
}

#[tokio::test]
async fn a_missing_sms_jobs_fails_the_cold_start_naming_the_variable() {
    let body = cold_start_error(FUNCTION, &[], "sms-cold-start-missing").await;
    assert!(body.contains("SMS_JOBS"), "{body}");
}

/// `SMS_JOBS` naming ERP-APP alone: every 6 hours with an AWS license, and the role the jobs
/// made by hand have; ERP-DB is not named.
fn drifted_config() -> String {
    json!({"jobs": [{"serverId": ERP_APP, "frequency": 6, "licenseType": "AWS",
        "roleName": "sms-dr"}]})
    .to_string()
}

/// The function configured by [`drifted_config`] against the demo, with jobs made by hand for
/// ERP-APP and ERP-DB (every hour, BYOL), their first runs `first_run_in` seconds from now;
/// returns ERP-APP's job id.
async fn drifted_jobs(log: &str, first_run_in: i64) -> (Deployment, String) {
    let jobs = drifted_config();
    let env = demo::config().env_with(&[("SMS_JOBS", &jobs)]);
    let run = Deployment::start(FUNCTION, Fixture::demo(), &env, log, 1);
    let run = run.await.expect("deployed");
    let seed = emulator_now(&run) + first_run_in;
    let erp_app = create_job_by_hand(&run, ERP_APP, seed).await;
    create_job_by_hand(&run, ERP_DB, seed).await;
    (run, erp_app)
}

/// The change the schedule makes to ERP-APP's job made by hand.
const DRIFT: &str = "frequency 1h → 6h, licenseType BYOL → AWS";

#[tokio::test]
async fn a_job_whose_frequency_and_license_differ_is_updated_with_only_those() {
    let (run, job_id) = drifted_jobs("sms-update", as_secs(2 * HOUR)).await;
    let before = job_of(&run, ERP_APP);
    let report = run.invoke_report(&event("scheduled-event.json")).await;
    assert_eq!(
        targets(&report, "UpdateReplicationJob", OutcomeResult::Done),
        vec![job_id.clone()],
        "{report:?}"
    );
    assert_eq!(detail(&report, &job_id, "UpdateReplicationJob"), DRIFT);
    assert_eq!(run.emulator.calls("UpdateReplicationJob"), 1);
    let after = job_of(&run, ERP_APP);
    assert_eq!(
        (&after["frequency"], &after["licenseType"]),
        (&json!(6), &json!("AWS"))
    );
    for kept in [
        "roleName",
        "encrypted",
        "description",
        "kmsKeyId",
        "numberOfRecentAmisToKeep",
        "nextReplicationRunStartTime",
    ] {
        assert_eq!(
            after.get(kept),
            before.get(kept),
            "{kept} is left as it was"
        );
    }
}

#[tokio::test]
async fn a_dry_run_reports_the_settings_it_would_change_and_changes_none() {
    let (run, job_id) = drifted_jobs("sms-update-dry", as_secs(2 * HOUR)).await;
    let before = job_of(&run, ERP_APP);
    let dry = run
        .invoke_report(&json!({"schedule": "sms-replication-jobs-hourly", "dryRun": true}))
        .await;
    assert_eq!(
        targets(&dry, "UpdateReplicationJob", OutcomeResult::Planned),
        vec![job_id.clone()],
        "{dry:?}"
    );
    assert_eq!(detail(&dry, &job_id, "UpdateReplicationJob"), DRIFT);
    assert_eq!(run.emulator.calls("UpdateReplicationJob"), 0);
    assert_eq!(job_of(&run, ERP_APP), before);
}

#[tokio::test]
async fn a_job_with_a_run_in_progress_keeps_its_schedule() {
    let (run, job_id) = drifted_jobs("sms-update-busy", 0).await;
    run.emulator.advance(1);
    let busy = job_of(&run, ERP_APP);
    assert_eq!(runs_of(&busy)[0]["state"], "ACTIVE", "{busy}");
    let report = run.invoke_report(&event("scheduled-event.json")).await;
    assert_eq!(
        detail(&report, &job_id, "UpdateReplicationJob"),
        "licenseType BYOL → AWS"
    );
    let reason = skip_reason(&report, &job_id);
    assert!(
        reason.starts_with("frequency 1h → 6h deferred: run sms-run-")
            && reason.ends_with("is ACTIVE; the schedule of a run in progress is left as it is"),
        "{reason}"
    );
    let after = job_of(&run, ERP_APP);
    assert_eq!(
        (&after["frequency"], &after["licenseType"]),
        (&json!(1), &json!("AWS"))
    );
}

#[tokio::test]
async fn a_job_the_configuration_does_not_name_is_reported_and_kept() {
    let (run, _) = drifted_jobs("sms-unconfigured", as_secs(2 * HOUR)).await;
    let erp_db_id = job_id_of(&run, ERP_DB);
    let before = job_of(&run, ERP_DB);
    let report = run.invoke_report(&event("scheduled-event.json")).await;
    assert_eq!(
        skip_reason(&report, &erp_db_id),
        format!("not in SMS_JOBS; left as it is (server {ERP_DB}, PENDING)")
    );
    assert!(
        report.outcomes.iter().all(|o| o.target != erp_db_id),
        "{report:?}"
    );
    assert_eq!(run.emulator.calls("DeleteReplicationJob"), 0);
    assert_eq!(job_of(&run, ERP_DB), before);
}

#[tokio::test]
async fn redelivered_schedules_update_a_drifted_job_once() {
    let (run, job_id) = drifted_jobs("sms-update-redelivery", as_secs(2 * HOUR)).await;
    let schedule = event("scheduled-event.json");
    for delivery in 0..3 {
        let report = run.invoke_report(&schedule).await;
        let updated = targets(&report, "UpdateReplicationJob", OutcomeResult::Done);
        let expected = if delivery == 0 {
            vec![job_id.clone()]
        } else {
            vec![]
        };
        assert_eq!(updated, expected, "delivery {delivery}: {report:?}");
        assert_eq!(report.counts.failed, 0, "delivery {delivery}: {report:?}");
    }
    assert_eq!(run.emulator.calls("UpdateReplicationJob"), 1);
}
