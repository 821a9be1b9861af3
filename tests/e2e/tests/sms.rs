//! sms-replication-jobs end to end: the real binary, the Runtime API, the emulator's SMS and SNS.
//!
//! The function reads the real clock, while the emulator's clock can only be moved forward. The
//! failure scenarios therefore start the emulator in the past and place each failed run at a
//! chosen distance from the real time, so the function sees exactly the cool-down wanted.

use dr_core::report::{OutcomeResult, RunReport, RunStatus};
use dr_e2e::{
    demo, function_binary, sample_event, Deployment, FunctionProcess, Invocation, RuntimeApi,
};
use dr_emulator::util::iso;
use dr_emulator::{Fixture, REPORTS_TOPIC};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The topic the SNS sample comes from.
use dr_e2e::demo::SMS_EVENTS_TOPIC;
const TIMEOUT: Duration = Duration::from_secs(60);
const HOUR: u64 = 3600;

/// Demo servers (`tests/emulator/fixtures/demo.json`).
const ERP_APP: &str = "s-5a1c0e7f";
const ERP_DB: &str = "s-5a1c0e80";
const WEB_LINUX_1: &str = "s-5a1c0e81";
const WEB_LINUX_2: &str = "s-5a1c0e82";
const FILE_SRV: &str = "s-5a1c0e83";
const HYPERV_LEGACY: &str = "s-5a1c0e84";

/// The root cause the emulator gives every failed run.
const RUN_FAILURE: &str = "the connector could not read the VM's disks (emulated failure)";

fn env_with(jobs: &Value) -> Vec<(&'static str, String)> {
    vec![
        ("SMS_JOBS", jobs.to_string()),
        ("REPORT_TOPIC_ARN", REPORTS_TOPIC.to_owned()),
        ("TRIGGER_TOPIC_ARNS", SMS_EVENTS_TOPIC.to_owned()),
    ]
}

/// The function deployed against the emulator, with what these tests read of it.
struct Run(Deployment);

impl std::ops::Deref for Run {
    type Target = Deployment;
    fn deref(&self) -> &Deployment {
        &self.0
    }
}

impl Run {
    async fn start(fixture: Fixture, env: &[(&'static str, String)], log: &str) -> Self {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let deployment = Deployment::start("sms-replication-jobs", fixture, &env, log, 1);
        Self(deployment.await.expect("deployed"))
    }

    async fn invoke(&self, event: &Value) -> RunReport {
        let answer = self.runtime.invoke(event, TIMEOUT).await.expect("answered");
        serde_json::from_value(answer.expect_response()).expect("a run report")
    }

    /// Every replication job the emulator holds.
    fn jobs(&self) -> Vec<Value> {
        self.emulator.state()["sms"]["replicationJobs"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn job_of(&self, server_id: &str) -> Value {
        self.jobs()
            .into_iter()
            .find(|j| j["serverId"] == server_id)
            .unwrap_or_else(|| panic!("no job for {server_id}"))
    }

    fn job_id_of(&self, server_id: &str) -> String {
        self.job_of(server_id)["replicationJobId"]
            .as_str()
            .expect("job id")
            .to_owned()
    }

    fn emulator_now(&self) -> i64 {
        self.emulator.state()["nowEpochSeconds"]
            .as_i64()
            .expect("emulator time")
    }

    /// The calls that change SMS.
    fn mutating_calls(&self) -> u64 {
        [
            "CreateReplicationJob",
            "StartOnDemandReplicationRun",
            "UpdateReplicationJob",
            "DeleteReplicationJob",
        ]
        .iter()
        .map(|op| self.emulator.calls(op))
        .sum()
    }

    /// `CreateReplicationJob` as an operator would call it, outside the function: the seed is
    /// the emulator's own time, which the function cannot ask for since it reads the real clock.
    async fn create_job_by_hand(&self, server_id: &str, seed: i64) -> String {
        let body = json!({
            "serverId": server_id, "seedReplicationTime": seed, "frequency": 1,
            "licenseType": "BYOL", "roleName": "sms-dr"
        })
        .to_string();
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.1\r\n\
             X-Amz-Target: AWSServerMigrationService_V2016_10_24.CreateReplicationJob\r\n\
             Content-Length: {len}\r\nConnection: close\r\n\r\n{body}",
            addr = self.emulator.addr(),
            len = body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(self.emulator.addr())
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

    /// Finishes the ACTIVE run of every job, placed so that a cool-down of `cool_down` ends
    /// `margin` seconds after the real time now (before it, when negative).
    fn fail_run_ending_cool_down_in(&self, cool_down: u64, margin: i64) {
        let target = real_now() - as_secs(cool_down) + margin;
        let ahead = target - self.emulator_now();
        assert!(ahead >= 0, "the emulator is already past {}", iso(target));
        self.emulator.advance_time(ahead.unsigned_abs(), 1);
    }
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
    sample_event(&format!("sms-replication-jobs/{name}")).expect("sample event")
}

fn targets(report: &RunReport, action: &str, result: OutcomeResult) -> Vec<String> {
    let mut out: Vec<String> = report
        .outcomes
        .iter()
        .filter(|o| o.action == action && o.result == result)
        .map(|o| o.target.clone())
        .collect();
    out.sort();
    out
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    out.sort();
    out
}

fn skip_reason<'a>(report: &'a RunReport, target: &str) -> &'a str {
    report
        .skips
        .iter()
        .find(|s| s.target == target)
        .map(|s| s.reason.as_str())
        .unwrap_or_else(|| panic!("{target} not skipped: {report:?}"))
}

fn detail<'a>(report: &'a RunReport, target: &str, action: &str) -> &'a str {
    report
        .outcomes
        .iter()
        .find(|o| o.target == target && o.action == action)
        .and_then(|o| o.detail.as_deref())
        .unwrap_or_else(|| panic!("no {action} outcome for {target}: {report:?}"))
}

/// A direct invoke sample with its placeholder job ids replaced by the emulator's.
fn with_targets(mut sample: Value, ids: &[&str]) -> Value {
    sample["targets"] = json!(ids);
    sample
}

#[tokio::test]
async fn every_sample_event_does_what_it_says_against_the_demo_catalog() {
    let run = Run::start(Fixture::demo(), &env_with(&demo::sms_jobs()), "sms-samples").await;

    // A dry run plans every creation and makes none.
    let dry = run
        .invoke(&json!({"schedule": "sms-replication-jobs-hourly", "dryRun": true}))
        .await;
    assert!(dry.dry_run);
    assert_eq!(dry.counts.planned, 5, "{dry:?}");
    let dry_direct = run.invoke(&event("direct-invoke-dry-run.json")).await;
    assert!(dry_direct.dry_run);
    assert_eq!(run.mutating_calls(), 0, "a dry run changes nothing");
    assert!(run.jobs().is_empty());

    // The schedule creates the four jobs with their options; SMS refuses the fifth.
    let created = run.invoke(&event("scheduled-event.json")).await;
    assert_eq!(
        targets(&created, "CreateReplicationJob", OutcomeResult::Done),
        sorted(&[ERP_APP, ERP_DB, WEB_LINUX_1, FILE_SRV]),
        "{created:?}"
    );
    assert_eq!(
        targets(&created, "CreateReplicationJob", OutcomeResult::Failed),
        vec![HYPERV_LEGACY]
    );
    assert!(detail(&created, HYPERV_LEGACY, "CreateReplicationJob")
        .contains("the VM has an unsupported disk type (shared VHDX)"));
    assert_eq!(created.status, RunStatus::PartiallyFailed);
    assert_eq!(run.jobs().len(), 4);
    let now = run.emulator_now();

    let erp_app = run.job_of(ERP_APP);
    assert_eq!(erp_app["frequency"], 12);
    assert_eq!(erp_app["licenseType"], "AWS");
    assert_eq!(erp_app["roleName"], "sms-dr");
    assert_eq!(erp_app["encrypted"], true);
    assert_eq!(erp_app["kmsKeyId"], "alias/sms-amis");
    assert_eq!(erp_app["numberOfRecentAmisToKeep"], 3);
    assert_eq!(erp_app["description"], "ERP application server");
    assert_eq!(erp_app["runOnce"], false);

    let erp_db = run.job_of(ERP_DB);
    assert_eq!(erp_db["frequency"], 6, "a job's frequency wins");
    assert_eq!(erp_db["licenseType"], "BYOL", "the default license");
    assert_eq!(erp_db["encrypted"], true);
    assert!(erp_db.get("kmsKeyId").is_none(), "the default EBS key");

    let web = run.job_of(WEB_LINUX_1);
    assert_eq!(web["encrypted"], false, "a job's encrypted: false wins");
    let seed_ahead = web["seedReplicationTime"].as_i64().expect("seed") - now;
    assert!(
        (7_100..=7_300).contains(&seed_ahead),
        "seed +2h, got {seed_ahead} s"
    );

    let file_srv = run.job_of(FILE_SRV);
    assert_eq!(file_srv["runOnce"], true);
    assert!(
        file_srv.get("frequency").is_none(),
        "one-time: no frequency"
    );

    // The Scheduler's input reconciles again: the jobs exist, so nothing is created.
    let again = run.invoke(&event("scheduler-input.json")).await;
    assert_eq!(
        targets(&again, "CreateReplicationJob", OutcomeResult::Unchanged),
        sorted(&[ERP_APP, ERP_DB, WEB_LINUX_1, FILE_SRV]),
        "{again:?}"
    );
    assert_eq!(again.counts.done, 0);
    assert_eq!(
        run.emulator.calls("CreateReplicationJob"),
        6,
        "four creations, and SMS asked twice about the server it refuses"
    );

    // First runs: ERP-DB's fails (FAILING), the one-time file server's fails (FAILED).
    run.emulator.advance(2);
    assert_eq!(run.job_of(ERP_DB)["state"], "FAILING");
    assert_eq!(run.job_of(FILE_SRV)["state"], "FAILED");
    let erp_app_id = run.job_id_of(ERP_APP);
    let erp_db_id = run.job_id_of(ERP_DB);
    let file_srv_id = run.job_id_of(FILE_SRV);

    // The samples name placeholder job ids, which this account does not have.
    let placeholder = run.invoke(&event("direct-invoke.json")).await;
    assert_eq!(
        skip_reason(&placeholder, "sms-job-0a1b2c3d4e5f60001"),
        "no such replication job in this account and region"
    );
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 0);

    // With the emulator's ids: a dry run plans, a real one starts one on-demand run.
    let dry_ids = run
        .invoke(&with_targets(
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
    let direct = run
        .invoke(&with_targets(event("direct-invoke.json"), &[&erp_app_id]))
        .await;
    assert_eq!(
        targets(&direct, "StartOnDemandReplicationRun", OutcomeResult::Done),
        vec![erp_app_id.clone()],
        "{direct:?}"
    );
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 1);
    let on_demand = run.job_of(ERP_APP)["replicationRunList"]
        .as_array()
        .expect("runs")
        .iter()
        .filter(|r| r["type"] == "ON_DEMAND")
        .count();
    assert_eq!(on_demand, 1);

    // The CloudTrail sample deletes a job that is gone: it is reported, nothing changes.
    let mutating = run.mutating_calls();
    for sample in [
        event("sms-api-call-via-cloudtrail.json"),
        event("sms-api-call-via-sns.json"),
    ] {
        let report = run.invoke(&sample).await;
        assert_eq!(
            skip_reason(&report, "sms-job-0a1b2c3d4e5f60003"),
            "named by the event, but no such replication job exists (any more)",
            "{sample}"
        );
        assert!(report.outcomes.is_empty(), "{report:?}");
    }

    // The same call naming one of the emulator's failing jobs reports its root cause.
    let mut call = event("sms-api-call-via-cloudtrail.json");
    call["detail"]["eventName"] = json!("UpdateReplicationJob");
    call["detail"]["requestParameters"]["replicationJobId"] = json!(erp_db_id);
    let failing = run.invoke(&call).await;
    assert_eq!(
        targets(&failing, "Notify", OutcomeResult::Unchanged),
        vec![erp_db_id.clone()]
    );
    assert!(detail(&failing, &erp_db_id, "Notify").contains(RUN_FAILURE));

    // A call naming no job looks after every configured job in a failure state.
    call["detail"]["requestParameters"] = json!({});
    let sweep = run.invoke(&call).await;
    assert_eq!(
        targets(&sweep, "Notify", OutcomeResult::Unchanged),
        vec![erp_db_id]
    );
    assert_eq!(
        targets(&sweep, "Notify", OutcomeResult::Failed),
        vec![file_srv_id.clone()]
    );
    assert!(detail(&sweep, &file_srv_id, "Notify").contains("one-time"));
    assert_eq!(run.mutating_calls(), mutating, "events only report");

    let messages = run.emulator.sns_messages();
    assert_eq!(messages.len(), 11, "one report per invocation");
    for m in &messages {
        assert_eq!(m.topic_arn, REPORTS_TOPIC);
        let report: RunReport = serde_json::from_str(&m.message).expect("report body");
        assert_eq!(report.function, "sms-replication-jobs");
    }
}

/// The failure scenario's configuration: web-linux-02 only, on-demand resume after an hour,
/// escalation at five consecutive failures.
fn failing_jobs() -> Value {
    json!({"jobs": [{"vmName": "web-linux-02", "frequency": 1, "licenseType": "BYOL",
        "onFailure": {"coolDownMinutes": 60, "resumeWith": "onDemandRun", "maxConsecutiveFailures": 5}}]})
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

/// Creates web-linux-02's job and fails three hourly runs, the third so that the cool-down of an
/// hour ends `margin` seconds from now; returns the job id.
async fn pause_web_linux_2(run: &Run, margin: i64) -> String {
    let job_id = run
        .create_job_by_hand(WEB_LINUX_2, run.emulator_now())
        .await;
    run.emulator.advance(2);
    run.emulator.advance_time(HOUR, 2);
    run.emulator.advance_time(HOUR, 1);
    run.fail_run_ending_cool_down_in(HOUR, margin);
    let job = run.job_of(WEB_LINUX_2);
    assert_eq!(job["state"], "PAUSED_ON_FAILURE", "{job}");
    job_id
}

#[tokio::test]
async fn a_failing_job_is_paused_resumed_after_the_cool_down_and_escalated() {
    let run = Run::start(
        failing_fixture(),
        &env_with(&failing_jobs()),
        "sms-failures",
    )
    .await;
    let schedule = event("scheduled-event.json");
    // Long enough for a few invocations on a busy machine, short enough to wait out.
    let margin = 15;
    let job_id = pause_web_linux_2(&run, margin).await;
    let resumable_at = real_now() + margin;

    let mutating = run.mutating_calls();
    let cooling = run.invoke(&schedule).await;
    let reason = skip_reason(&cooling, &job_id);
    assert!(
        reason.starts_with("PAUSED_ON_FAILURE: cool-down"),
        "{reason}"
    );
    assert!(reason.contains(RUN_FAILURE), "{reason}");
    assert_eq!(
        run.mutating_calls(),
        mutating,
        "nothing before the cool-down ends"
    );

    tokio::time::sleep(Duration::from_secs(
        (resumable_at - real_now() + 1).max(0).unsigned_abs(),
    ))
    .await;
    let resumed = run.invoke(&schedule).await;
    assert_eq!(
        targets(&resumed, "StartOnDemandReplicationRun", OutcomeResult::Done),
        vec![job_id.clone()],
        "{resumed:?}"
    );
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 1);
    assert_eq!(run.emulator.calls("UpdateReplicationJob"), 0);
    assert_eq!(run.job_of(WEB_LINUX_2)["state"], "ACTIVE");

    // While the resumed run is under way, a direct invoke starts no second one.
    run.emulator.advance(1);
    let busy = run
        .invoke(&with_targets(event("direct-invoke.json"), &[&job_id]))
        .await;
    assert!(
        skip_reason(&busy, &job_id).contains("is ACTIVE; SMS starts no on-demand run"),
        "{busy:?}"
    );

    // The resumed run fails (four in a row), then an hourly one (five): SMS only reports FAILING.
    run.emulator.advance(1);
    run.emulator.advance_time(HOUR, 2);
    let failing = run.invoke(&schedule).await;
    assert_eq!(
        targets(&failing, "Notify", OutcomeResult::Unchanged),
        vec![job_id.clone()],
        "{failing:?}"
    );
    assert_eq!(run.job_of(WEB_LINUX_2)["state"], "FAILING");

    // A second on-demand run today is allowed, a third is not.
    let second = run
        .invoke(&with_targets(event("direct-invoke.json"), &[&job_id]))
        .await;
    assert_eq!(
        targets(&second, "StartOnDemandReplicationRun", OutcomeResult::Done),
        vec![job_id.clone()],
        "{second:?}"
    );
    run.emulator.advance(2);
    assert_eq!(run.job_of(WEB_LINUX_2)["state"], "PAUSED_ON_FAILURE");
    let third = run
        .invoke(&with_targets(event("direct-invoke.json"), &[&job_id]))
        .await;
    assert!(
        skip_reason(&third, &job_id)
            .starts_with("2 on-demand runs in the last 24 h, the SMS limit is 2"),
        "{third:?}"
    );
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 2);

    // Six failures in a row: escalated with the root cause, not resumed.
    let escalated = run.invoke(&schedule).await;
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

    // Later schedules keep escalating it and never resume it.
    run.emulator.advance_time(2 * HOUR, 4);
    for _ in 0..2 {
        let report = run.invoke(&schedule).await;
        assert_eq!(
            targets(&report, "Escalate", OutcomeResult::Failed),
            vec![job_id.clone()]
        );
    }
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 2);
    assert_eq!(run.emulator.calls("UpdateReplicationJob"), 0);
}

/// The runs the emulator lists for a job, newest first.
fn runs_of(job: &Value) -> Vec<Value> {
    job["replicationRunList"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_paused_jobs_next_scheduled_run_does_not_hold_its_resume() {
    let run = Run::start(
        failing_fixture(),
        &env_with(&failing_jobs()),
        "sms-paused-next-run",
    )
    .await;
    let job_id = pause_web_linux_2(&run, -60).await;
    // What SMS lists as a paused job's next run is not documented; here it lists one, hours ahead.
    let next = real_now() + as_secs(6 * HOUR);
    let scheduled = run
        .emulator
        .schedule_sms_run(&job_id, next)
        .expect("scheduled");

    let report = run.invoke(&event("scheduled-event.json")).await;
    assert_eq!(
        targets(&report, "StartOnDemandReplicationRun", OutcomeResult::Done),
        vec![job_id.clone()],
        "{report:?}"
    );
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 1);
    // The on-demand run comes in addition to the scheduled one, which stays as it was.
    let job = run.job_of(WEB_LINUX_2);
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
    let run = Run::start(
        failing_fixture(),
        &env_with(&failing_jobs()),
        "sms-paused-due-run",
    )
    .await;
    let job_id = pause_web_linux_2(&run, -60).await;
    let due = real_now() - 60;
    let scheduled = run
        .emulator
        .schedule_sms_run(&job_id, due)
        .expect("scheduled");

    let mutating = run.mutating_calls();
    let report = run.invoke(&event("scheduled-event.json")).await;
    let reason = skip_reason(&report, &job_id);
    assert!(
        reason.starts_with(&format!(
            "PAUSED_ON_FAILURE: run {scheduled} is PENDING; waiting for it before resuming"
        )),
        "{reason}"
    );
    assert_eq!(run.mutating_calls(), mutating, "nothing while a run is due");
}

#[tokio::test]
async fn redelivered_events_create_each_job_and_resume_each_pause_once() {
    let run = Run::start(
        Fixture::demo(),
        &env_with(&demo::sms_jobs()),
        "sms-redelivery",
    )
    .await;
    let schedule = event("scheduled-event.json");
    for delivery in 0..3 {
        let report = run.invoke(&schedule).await;
        let expected = if delivery == 0 { 4 } else { 0 };
        assert_eq!(
            report.counts.done, expected,
            "delivery {delivery}: {report:?}"
        );
    }
    let mut servers: Vec<String> = run
        .jobs()
        .iter()
        .filter_map(|j| j["serverId"].as_str().map(str::to_owned))
        .collect();
    servers.sort();
    assert_eq!(servers, sorted(&[ERP_APP, ERP_DB, WEB_LINUX_1, FILE_SRV]));
    assert_eq!(
        run.emulator.calls("CreateReplicationJob"),
        4 + 3,
        "each job created once; the server SMS refuses is asked about on every delivery"
    );

    let run = Run::start(
        failing_fixture(),
        &env_with(&failing_jobs()),
        "sms-redelivery-resume",
    )
    .await;
    let job_id = pause_web_linux_2(&run, -60).await;
    for _ in 0..3 {
        let report = run.invoke(&schedule).await;
        assert_eq!(report.counts.failed, 0, "{report:?}");
    }
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 1);
    // The resumed run has not started yet: a redelivered direct invoke must not add another.
    let direct = with_targets(event("direct-invoke.json"), &[&job_id]);
    for _ in 0..2 {
        let report = run.invoke(&direct).await;
        assert!(
            skip_reason(&report, &job_id).contains("is PENDING; SMS starts no on-demand run"),
            "{report:?}"
        );
    }
    assert_eq!(run.emulator.calls("StartOnDemandReplicationRun"), 1);
}

#[tokio::test]
async fn hostile_input_is_rejected_without_changing_anything() {
    let run = Run::start(Fixture::demo(), &env_with(&demo::sms_jobs()), "sms-hostile").await;
    let forwarded = |message: &str| {
        json!({"Records": [{"EventSource": "aws:sns", "Sns": {
            "TopicArn": SMS_EVENTS_TOPIC, "MessageId": "m-1", "Message": message}}]})
    };
    for bad in [
        json!([1, 2]),
        json!("sms-job-0a1b2c3d4e5f60001"),
        json!({"targets": "sms-job-0a1b2c3d4e5f60001"}),
        json!({"targets": ["sms-job-0a1b2c3d4e5f60001"], "dryRun": "no"}),
        json!({"schedule": "hourly", "roleName": "admin"}),
        json!({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
        forwarded("{\"source\": \"aws.sms\", \"detail-type\": 7}"),
    ] {
        match run.runtime.invoke(&bad, TIMEOUT).await.expect("answered") {
            Invocation::Error { error_type, .. } => assert_eq!(error_type, "BadEvent", "{bad}"),
            Invocation::Response(v) => panic!("{bad} was accepted: {v}"),
        }
    }
    assert_eq!(run.mutating_calls(), 0);
    assert_eq!(
        run.emulator.calls("GetServers"),
        0,
        "rejected before any call"
    );
    assert!(run.emulator.sns_messages().is_empty());
}

#[tokio::test]
async fn bad_sms_jobs_fail_the_cold_start_naming_the_variable() {
    let binary = function_binary("sms-replication-jobs", "debug").expect("binary built");
    let invalid =
        json!({"jobs": [{"serverId": ERP_APP, "frequency": 12, "kmsKeyId": "alias/sms-amis"}]});
    for (value, expected) in [
        (
            Some(invalid.to_string()),
            "configuration SMS_JOBS: jobs[0].kmsKeyId: is set but encrypted is not true",
        ),
        (None, "SMS_JOBS"),
    ] {
        let runtime = RuntimeApi::start("sms-replication-jobs")
            .await
            .expect("runtime");
        let log = dr_e2e::target_dir().join("e2e-logs/sms-cold-start.log");
        let env: Vec<(&str, &str)> = value.iter().map(|v| ("SMS_JOBS", v.as_str())).collect();
        let mut process =
            FunctionProcess::spawn(&binary, &runtime, "http://127.0.0.1:9", &env, &log)
                .expect("spawned");
        match runtime.invoke(&json!({}), Duration::from_secs(20)).await {
            Err(dr_e2e::HarnessError::Init(body)) => {
                assert!(body.contains(expected), "{body}");
            }
            other => panic!("expected an init error, got {other:?}"),
        }
        let mut exited = false;
        for _ in 0..100 {
            if process.exited().is_some() {
                exited = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            exited,
            "the function kept running after a failed initialisation"
        );
    }
}
