//! mgn-replication end to end: the real binary, the Runtime API, the emulator's MGN (source
//! servers moving through replication and lifecycle states, stalls and pauses set through its
//! admin API, test and terminate jobs that move with its steps, tags, stored replication
//! configurations) and SNS.
//!
//! The function reads the real clock: the stall record's times are its own, so cool-downs, start
//! times and test TTLs of a few seconds pass in real time here ([`wait_until`]); the emulator's
//! jobs move on with [`Emulator::advance`].

use dr_core::clock::{fmt_time, now_secs, parse_time};
use dr_core::report::{OutcomeResult, RunReport, RunStatus, TargetOutcome};
use dr_e2e::fleet::{self, outcomes_in, owned, sections, HOME, MEMBER, STAGING};
use dr_e2e::mgn::{
    self, all_calls, aws_sample, borrowed, call_as_someone_else, calls, job_servers, jobs,
    lifecycle, replication, server, stall_tags, tag, via_sns, AWS_SAMPLES, FUNCTION, MUTATING,
    STALL_TAGS,
};
use dr_e2e::report::{detail, published, skip_reason, targets};
use dr_e2e::{sample_event, Deployment, Invocation, INVOKE_TIMEOUT};
use dr_emulator::mgn::StateChange;
use dr_emulator::{Emulator, Fixture};
use serde_json::{json, Value};
use std::time::Duration;

/// The demo's MGN servers, by hostname.
const APP_1: &str = "s-fcb86a035c3db2387";
const APP_2: &str = "s-0cae2676f9ffddb2c";
const APP_3: &str = "s-45fc535a88a9a1a61";
const DB_1: &str = "s-e5ce0a68da08eaa27";
const DB_2: &str = "s-6472ebb8db3b5a36c";
const WEB_1: &str = "s-580e03ba785ad25b7";
const WEB_2: &str = "s-49ce06d0253ff586f";
const WEB_3: &str = "s-e273af4333357566b";

const TAG_RESOURCE: &str = "TagResource";
const UNTAG_RESOURCE: &str = "UntagResource";
const RETRY: &str = "RetryDataReplication";
const RESUME: &str = "ResumeReplication";
const START: &str = "StartReplication";
const UPDATE: &str = "UpdateReplicationConfiguration";
const START_TEST: &str = "StartTest";
const TERMINATE: &str = "TerminateTargetInstances";
const ESCALATE: &str = "Escalate";
const NOTIFY: &str = "Notify";

const STALLS: &str = STALL_TAGS[0];
const STALLED_SINCE: &str = STALL_TAGS[1];
const RETRIED_AT: &str = STALL_TAGS[2];

/// The function with `MGN_SERVERS` = `servers` and `env` on top of the demo's, against
/// `fixture`.
async fn deploy(fixture: Fixture, servers: &str, env: &[(&str, &str)], log: &str) -> Deployment {
    let env = mgn::env(servers, env);
    let env = borrowed(&env);
    let deployment = Deployment::start(FUNCTION, fixture, &env, log, 1);
    deployment.await.expect("deployed")
}

/// `MGN_SERVERS` naming one server by id with `settings` (an object's members).
fn one(id: &str, settings: Value) -> String {
    let mut entry = json!({"sourceServerId": id});
    if let (Some(entry), Some(settings)) = (entry.as_object_mut(), settings.as_object()) {
        entry.extend(settings.clone());
    }
    json!({"servers": [entry]}).to_string()
}

fn event(name: &str) -> Value {
    sample_event(&format!("{FUNCTION}/{name}")).expect("sample event")
}

fn schedule() -> Value {
    event("scheduler-input.json")
}

/// `report`'s `action` outcome for `target`; panics when there is none.
fn outcome<'r>(report: &'r RunReport, target: &str, action: &str) -> &'r TargetOutcome {
    report
        .outcomes
        .iter()
        .find(|o| o.target == target && o.action == action)
        .unwrap_or_else(|| panic!("no {action} outcome for {target}: {report:#?}"))
}

fn done(report: &RunReport, action: &str) -> Vec<String> {
    targets(report, action, OutcomeResult::Done)
}

fn mutating_calls(emulator: &Emulator) -> u64 {
    calls(emulator, &MUTATING)
}

/// Sleeps until the real clock reads `at` (epoch seconds) or later.
async fn wait_until(at: i64) {
    while now_secs() < at {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A tag's RFC 3339 time, as epoch seconds; panics when it is missing or no time.
fn tag_time(server: &Value, key: &str) -> i64 {
    tag(server, key)
        .and_then(parse_time)
        .unwrap_or_else(|| panic!("no time in tag {key}: {server:#}"))
}

/// Stalls retried after `cool_down`, escalated after `max` retries.
fn on_stall(id: &str, cool_down: &str, max: u32) -> String {
    one(
        id,
        json!({"onStall": {"coolDown": cool_down, "maxConsecutiveStalls": max}}),
    )
}

/// Runs the schedule until db-1's stall is recorded and, a cool-down of `cool_down_secs` later,
/// retried; returns when the retry was made.
async fn stall_retried_once(run: &Deployment, cool_down_secs: i64) {
    let first = run.invoke_report(&schedule()).await;
    assert_eq!(done(&first, TAG_RESOURCE), vec![DB_1], "{first:#?}");
    let since = tag_time(&server(&run.emulator, DB_1), STALLED_SINCE);
    wait_until(since + cool_down_secs).await;
    let retried = run.invoke_report(&schedule()).await;
    assert_eq!(done(&retried, RETRY), vec![DB_1], "{retried:#?}");
}

#[tokio::test]
async fn the_first_sighting_of_a_stall_is_recorded_in_its_tags_and_not_retried() {
    let run = deploy(
        Fixture::demo(),
        &on_stall(DB_1, "1h", 3),
        &[],
        "mgn-stall-first-sighting",
    )
    .await;
    let before = now_secs();
    let report = run.invoke_report(&schedule()).await;
    assert_eq!(done(&report, TAG_RESOURCE), vec![DB_1], "{report:#?}");
    let recorded = detail(&report, DB_1, TAG_RESOURCE);
    assert!(
        recorded.starts_with("STALLED (FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER")
            && recorded.contains("first seen; retry 1 of 3 after"),
        "{recorded}"
    );
    let db_1 = server(&run.emulator, DB_1);
    let since = tag_time(&db_1, STALLED_SINCE);
    assert!((before..=now_secs()).contains(&since), "{db_1:#}");
    assert_eq!(tag(&db_1, STALLS), Some("0"));
    assert_eq!(tag(&db_1, RETRIED_AT), None);
    assert_eq!(run.emulator.calls("mgn:RetryDataReplication"), 0);
}

#[tokio::test]
async fn a_stall_is_not_retried_before_its_cool_down_and_is_retried_once_after_it() {
    let run = deploy(
        Fixture::demo(),
        &on_stall(DB_1, "3s", 3),
        &[],
        "mgn-stall-cool-down",
    )
    .await;
    run.invoke_report(&schedule()).await;
    let since = tag_time(&server(&run.emulator, DB_1), STALLED_SINCE);

    let early = run.invoke_report(&schedule()).await;
    assert!(done(&early, RETRY).is_empty(), "{early:#?}");
    let waiting = skip_reason(&early, DB_1);
    assert!(
        waiting.contains(&format!(
            "cool-down: retry 1 of 3 after {}",
            fmt_time(since + 3)
        )),
        "{waiting}"
    );
    assert_eq!(run.emulator.calls("mgn:RetryDataReplication"), 0);

    wait_until(since + 3).await;
    let retried = run.invoke_report(&schedule()).await;
    assert_eq!(done(&retried, RETRY), vec![DB_1], "{retried:#?}");
    assert_eq!(run.emulator.calls("mgn:RetryDataReplication"), 1);
    let db_1 = server(&run.emulator, DB_1);
    assert_eq!(tag(&db_1, STALLS), Some("1"), "{db_1:#}");
    assert_eq!(
        tag_time(&db_1, STALLED_SINCE),
        since,
        "the first sighting is kept"
    );
    assert!(tag_time(&db_1, RETRIED_AT) >= since + 3, "{db_1:#}");
    // "upon next Handshake" (RetryDataReplication): the emulator restarts it at its next step.
    run.emulator.advance(1);
    assert_eq!(replication(&server(&run.emulator, DB_1)), "INITIATING");
}

#[tokio::test]
async fn a_server_that_stalls_again_after_its_retry_is_retried_again_after_the_cool_down() {
    let run = deploy(
        Fixture::demo(),
        &on_stall(DB_1, "2s", 3),
        &[],
        "mgn-stall-again",
    )
    .await;
    stall_retried_once(&run, 2).await;
    run.emulator.advance(1);
    let before = mutating_calls(&run.emulator);
    let initiating = run.invoke_report(&schedule()).await;
    assert_eq!(mutating_calls(&run.emulator), before, "{initiating:#?}");
    assert_eq!(
        tag(&server(&run.emulator, DB_1), STALLS),
        Some("1"),
        "INITIATING is no flow: the record stays"
    );

    let stall = StateChange::stalled("UNSTABLE_NETWORK", "Packet loss between agent and server");
    run.emulator
        .set_mgn_state(DB_1, &stall)
        .expect("a demo server");
    let early = run.invoke_report(&schedule()).await;
    assert!(done(&early, RETRY).is_empty(), "{early:#?}");
    let retried_at = tag_time(&server(&run.emulator, DB_1), RETRIED_AT);
    wait_until(retried_at + 2).await;
    let again = run.invoke_report(&schedule()).await;
    assert_eq!(done(&again, RETRY), vec![DB_1], "{again:#?}");
    let said = detail(&again, DB_1, RETRY);
    assert!(
        said.contains("UNSTABLE_NETWORK") && said.contains("retry 2 of 3"),
        "{said}"
    );
    let db_1 = server(&run.emulator, DB_1);
    assert_eq!(tag(&db_1, STALLS), Some("2"), "{db_1:#}");
    assert!(tag_time(&db_1, RETRIED_AT) >= retried_at + 2);
    assert_eq!(run.emulator.calls("mgn:RetryDataReplication"), 2);
}

#[tokio::test]
async fn after_max_consecutive_stalls_a_stall_is_escalated_with_its_error_and_not_retried() {
    let run = deploy(
        Fixture::demo(),
        &on_stall(DB_1, "2s", 1),
        &[],
        "mgn-stall-escalated",
    )
    .await;
    stall_retried_once(&run, 2).await;
    run.emulator.advance(1);
    let stall = StateChange::stalled("SNAPSHOTS_FAILURE", "Snapshot quota reached in us-east-1");
    run.emulator
        .set_mgn_state(DB_1, &stall)
        .expect("a demo server");
    let retried_at = tag_time(&server(&run.emulator, DB_1), RETRIED_AT);

    let waiting = run.invoke_report(&schedule()).await;
    let reason = skip_reason(&waiting, DB_1);
    assert!(
        reason.contains("for retry 1 to take effect before escalating"),
        "{reason}"
    );
    wait_until(retried_at + 2).await;
    for _ in 0..2 {
        let report = run.invoke_report(&schedule()).await;
        assert_eq!(report.status, RunStatus::Failed, "{report:#?}");
        let escalated = outcome(&report, DB_1, ESCALATE);
        assert_eq!(escalated.result, OutcomeResult::Failed);
        let said = escalated.detail.as_deref().unwrap_or_default();
        assert!(
            said.contains("SNAPSHOTS_FAILURE")
                && said.contains("Snapshot quota reached in us-east-1")
                && said.contains("after 1 consecutive retries"),
            "{said}"
        );
        assert!(done(&report, RETRY).is_empty(), "{report:#?}");
    }
    assert_eq!(run.emulator.calls("mgn:RetryDataReplication"), 1);
    let published = published(&run.emulator, FUNCTION);
    let last = published.last().expect("the report published");
    assert_eq!(outcome(last, DB_1, ESCALATE).result, OutcomeResult::Failed);
}

#[tokio::test]
async fn a_stall_record_in_the_tags_survives_a_cold_start_and_escalates_without_a_call() {
    // Written by an earlier instance: two retries, the last two hours ago.
    let mut fixture = Fixture::demo();
    let db_1 = fixture
        .mgn
        .source_servers
        .iter_mut()
        .find(|s| s.source_server_id == DB_1)
        .expect("a demo server");
    for (key, value) in [
        (STALLS, "2".to_owned()),
        (STALLED_SINCE, fmt_time(now_secs() - 3 * 3_600)),
        (RETRIED_AT, fmt_time(now_secs() - 2 * 3_600)),
    ] {
        db_1.tags.insert(key.to_owned(), value);
    }
    let run = deploy(
        fixture,
        &on_stall(DB_1, "1h", 2),
        &[],
        "mgn-stall-cold-start",
    )
    .await;
    let report = run.invoke_report(&schedule()).await;
    let escalated = outcome(&report, DB_1, ESCALATE);
    assert_eq!(escalated.result, OutcomeResult::Failed, "{report:#?}");
    assert_eq!(escalated.state.as_deref(), Some("NOT_READY/STALLED"));
    assert!(escalated
        .detail
        .as_deref()
        .unwrap_or_default()
        .contains("FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER"));
    assert_eq!(mutating_calls(&run.emulator), 0);
}

#[tokio::test]
async fn replication_that_flows_again_clears_the_three_stall_tags() {
    let run = deploy(
        Fixture::demo(),
        &on_stall(DB_1, "1s", 3),
        &[],
        "mgn-stall-cleared",
    )
    .await;
    stall_retried_once(&run, 1).await;
    assert_eq!(stall_tags(&server(&run.emulator, DB_1)).len(), 3);
    // The retry's handshake (INITIATING), then the initial sync: data flows.
    run.emulator.advance(2);
    assert_eq!(replication(&server(&run.emulator, DB_1)), "INITIAL_SYNC");
    let report = run.invoke_report(&schedule()).await;
    assert_eq!(done(&report, UNTAG_RESOURCE), vec![DB_1], "{report:#?}");
    assert!(detail(&report, DB_1, UNTAG_RESOURCE)
        .starts_with("INITIAL_SYNC: replication flows again after 1 retried stalls"));
    let db_1 = server(&run.emulator, DB_1);
    assert!(stall_tags(&db_1).is_empty(), "{db_1:#}");
    assert_eq!(tag(&db_1, "Env"), Some("prod"), "the user's tags stay");

    let again = run.invoke_report(&schedule()).await;
    assert!(done(&again, UNTAG_RESOURCE).is_empty(), "{again:#?}");
    assert_eq!(run.emulator.calls("mgn:UntagResource"), 1);
}

#[tokio::test]
async fn a_paused_server_is_resumed_when_resume_paused_is_set() {
    let servers = one(DB_2, json!({"resumePaused": true}));
    let run = deploy(Fixture::demo(), &servers, &[], "mgn-paused-resumed").await;
    let report = run.invoke_report(&schedule()).await;
    assert_eq!(done(&report, RESUME), vec![DB_2], "{report:#?}");
    assert_eq!(run.emulator.calls("mgn:ResumeReplication"), 1);
    // Paused in the fixture with a lag: it resumes to CONTINUOUS.
    assert_eq!(replication(&server(&run.emulator, DB_2)), "CONTINUOUS");

    let again = run.invoke_report(&schedule()).await;
    assert!(done(&again, RESUME).is_empty(), "{again:#?}");
    assert_eq!(run.emulator.calls("mgn:ResumeReplication"), 1);
}

#[tokio::test]
async fn without_resume_paused_a_paused_server_is_left_alone_and_reported() {
    let run = deploy(
        Fixture::demo(),
        &one(DB_2, json!({})),
        &[],
        "mgn-paused-left",
    )
    .await;
    let report = run.invoke_report(&schedule()).await;
    assert_eq!(
        skip_reason(&report, DB_2),
        "READY_FOR_TEST/PAUSED: PAUSED, and resumePaused is not set: resume it in the MGN \
         console or set resumePaused"
    );
    assert_eq!(mutating_calls(&run.emulator), 0);
    assert_eq!(replication(&server(&run.emulator, DB_2)), "PAUSED");
}

#[tokio::test]
async fn a_deferred_start_is_made_once_the_clock_passes_its_time_and_not_before() {
    let at = now_secs() + 4;
    let servers = one(WEB_1, json!({"startReplication": fmt_time(at)}));
    let run = deploy(Fixture::demo(), &servers, &[], "mgn-deferred-start").await;
    let early = run.invoke_report(&schedule()).await;
    assert_eq!(
        skip_reason(&early, WEB_1),
        format!(
            "NOT_READY/STOPPED: STOPPED: replication starts at {}",
            fmt_time(at)
        )
    );
    assert_eq!(run.emulator.calls("mgn:StartReplication"), 0);

    wait_until(at).await;
    let started = run.invoke_report(&schedule()).await;
    assert_eq!(done(&started, START), vec![WEB_1], "{started:#?}");
    assert_eq!(
        detail(&started, WEB_1, START),
        format!("STOPPED: its start time {} has come", fmt_time(at))
    );
    assert_eq!(replication(&server(&run.emulator, WEB_1)), "INITIATING");
    let again = run.invoke_report(&schedule()).await;
    assert!(done(&again, START).is_empty(), "{again:#?}");
    assert_eq!(run.emulator.calls("mgn:StartReplication"), 1);
}

#[tokio::test]
async fn a_manual_start_is_never_made() {
    let servers = one(WEB_1, json!({"startReplication": "manual"}));
    let run = deploy(Fixture::demo(), &servers, &[], "mgn-manual-start").await;
    for _ in 0..2 {
        let report = run.invoke_report(&schedule()).await;
        assert_eq!(
            skip_reason(&report, WEB_1),
            "NOT_READY/STOPPED: STOPPED, and startReplication is manual"
        );
    }
    assert_eq!(mutating_calls(&run.emulator), 0);
    assert_eq!(replication(&server(&run.emulator, WEB_1)), "STOPPED");
}

#[tokio::test]
async fn mgn_max_active_servers_bounds_the_starts_and_defers_the_rest() {
    // Active: app-1, db-1, db-2 (paused) and web-3; app-2, app-3 and web-1 are stopped, and
    // one more makes five.
    // Stopped after they replicated, so started only when asked to be.
    let servers = json!({"servers": [
        {"sourceServerId": APP_2, "startReplication": "now"},
        {"sourceServerId": APP_3, "startReplication": "now"},
        {"hostname": "mgn-web-1"}
    ]})
    .to_string();
    let env = [("MGN_MAX_ACTIVE_SERVERS", "5")];
    let run = deploy(Fixture::demo(), &servers, &env, "mgn-max-active").await;
    for id in [APP_2, APP_3] {
        let stop = StateChange::replication("STOPPED");
        run.emulator
            .set_mgn_state(id, &stop)
            .expect("a demo server");
    }
    let report = run.invoke_report(&schedule()).await;
    // In id order: app-2 first.
    assert_eq!(done(&report, START), vec![APP_2], "{report:#?}");
    for id in [APP_3, WEB_1] {
        assert!(
            skip_reason(&report, id).ends_with(
                "STOPPED, but 5 servers are active and MGN_MAX_ACTIVE_SERVERS is 5; deferred \
                 to a later run"
            ),
            "{id}: {report:#?}"
        );
        assert_eq!(replication(&server(&run.emulator, id)), "STOPPED");
    }
    assert_eq!(run.emulator.calls("mgn:StartReplication"), 1);
}

/// app-1's replication settings in the configuration: its throttling as it is, another
/// replication server type, custom encryption with a key, and a security group.
fn enforced() -> String {
    one(
        APP_1,
        json!({"replication": {
            "bandwidthThrottling": 100,
            "replicationServerInstanceType": "t3.large",
            "ebsEncryption": "CUSTOM",
            "ebsEncryptionKeyArn": KEY,
            "replicationServersSecurityGroupsIDs": ["sg-0123456789abcdef0"]
        }}),
    )
}

const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

#[tokio::test]
async fn settings_that_differ_are_set_in_one_update_of_only_those_fields() {
    let run = deploy(Fixture::demo(), &enforced(), &[], "mgn-settings").await;
    let before = run
        .emulator
        .mgn_replication_configuration(APP_1)
        .expect("a demo server");
    let report = run.invoke_report(&schedule()).await;
    assert_eq!(done(&report, UPDATE), vec![APP_1], "{report:#?}");
    assert_eq!(run.emulator.calls("mgn:UpdateReplicationConfiguration"), 1);
    assert_eq!(
        detail(&report, APP_1, UPDATE),
        format!(
            "ebsEncryption DEFAULT → CUSTOM; ebsEncryptionKeyArn (unset) → {KEY}; \
             replicationServerInstanceType t3.medium → t3.large; \
             replicationServersSecurityGroupsIDs [] → [sg-0123456789abcdef0]"
        )
    );
    let after = run
        .emulator
        .mgn_replication_configuration(APP_1)
        .expect("a demo server");
    let mut want = before.clone();
    want["ebsEncryption"] = json!("CUSTOM");
    want["ebsEncryptionKeyArn"] = json!(KEY);
    want["replicationServerInstanceType"] = json!("t3.large");
    want["replicationServersSecurityGroupsIDs"] = json!(["sg-0123456789abcdef0"]);
    assert_eq!(after, want, "only the differing members changed");
}

#[tokio::test]
async fn a_second_run_over_enforced_settings_changes_nothing() {
    let run = deploy(Fixture::demo(), &enforced(), &[], "mgn-settings-again").await;
    run.invoke_report(&schedule()).await;
    let set = run
        .emulator
        .mgn_replication_configuration(APP_1)
        .expect("a demo server");
    let again = run.invoke_report(&schedule()).await;
    assert!(done(&again, UPDATE).is_empty(), "{again:#?}");
    assert_eq!(
        skip_reason(&again, APP_1),
        "READY_FOR_TEST/CONTINUOUS: nothing to do"
    );
    assert_eq!(run.emulator.calls("mgn:UpdateReplicationConfiguration"), 1);
    assert_eq!(run.emulator.mgn_replication_configuration(APP_1), Ok(set));
}

/// Test launches of app-2 with a TTL of `ttl`.
fn test_launches(ttl: &str) -> String {
    one(
        APP_2,
        json!({"testLaunch": {"enabled": true, "ttl": ttl, "then": "ready-for-cutover"}}),
    )
}

/// The only LAUNCH job of the emulator; panics unless there is exactly one.
fn only_launch(emulator: &Emulator) -> Value {
    let jobs = jobs(emulator);
    let launches: Vec<&Value> = jobs.iter().filter(|j| j["type"] == "LAUNCH").collect();
    assert_eq!(launches.len(), 1, "{jobs:#?}");
    launches[0].clone()
}

#[tokio::test]
async fn a_test_launch_is_tagged_as_the_functions_and_cleaned_up_after_its_ttl() {
    let run = deploy(
        Fixture::demo(),
        &test_launches("8s"),
        &[],
        "mgn-test-launch",
    )
    .await;
    let launched = run.invoke_report(&schedule()).await;
    assert_eq!(done(&launched, START_TEST), vec![APP_2], "{launched:#?}");
    let job = only_launch(&run.emulator);
    assert_eq!(job["initiatedBy"], "START_TEST");
    assert_eq!(job_servers(&job), vec![APP_2]);
    assert_eq!(tag(&job, "dr-automation:function"), Some(FUNCTION));
    assert!(tag(&job, "dr-automation:launched-at")
        .and_then(parse_time)
        .is_some());
    let job_id = job["jobID"].as_str().expect("a job id");
    assert!(detail(&launched, APP_2, START_TEST).ends_with(job_id));

    // PENDING, STARTED, then COMPLETED with the test instance.
    run.emulator.advance(2);
    let app_2 = server(&run.emulator, APP_2);
    assert_eq!(lifecycle(&app_2), "TESTING");
    let instance = app_2["launchedInstance"]["ec2InstanceID"]
        .as_str()
        .expect("a test instance")
        .to_owned();
    let early = run.invoke_report(&schedule()).await;
    assert!(
        skip_reason(&early, APP_2).contains(&format!(
            "test instance {instance} of job {job_id} runs until"
        )),
        "{early:#?}"
    );
    assert_eq!(run.emulator.calls("mgn:TerminateTargetInstances"), 0);

    let initiated = app_2["lifeCycle"]["lastTest"]["initiated"]["apiCallDateTime"]
        .as_str()
        .and_then(parse_time)
        .expect("the test's launch time");
    wait_until(initiated + 8).await;
    let cleanup = run.invoke_report(&schedule()).await;
    assert_eq!(done(&cleanup, TERMINATE), vec![APP_2], "{cleanup:#?}");
    assert!(
        detail(&cleanup, APP_2, TERMINATE).starts_with(&format!(
            "marked READY_FOR_CUTOVER; test instance {instance} terminated in job mgnjob-"
        )),
        "{cleanup:#?}"
    );
    // TerminateTargetInstances "will not work for any Source Server with a lifecycle.state of
    // TESTING": the lifecycle is changed first.
    assert_eq!(run.emulator.calls("mgn:ChangeServerLifeCycleState"), 1);
    assert_eq!(run.emulator.calls("mgn:TerminateTargetInstances"), 1);
    let terminate = jobs(&run.emulator)
        .into_iter()
        .find(|j| j["type"] == "TERMINATE")
        .expect("a terminate job");
    assert_eq!(tag(&terminate, "dr-automation:function"), Some(FUNCTION));

    run.emulator.advance(2);
    let app_2 = server(&run.emulator, APP_2);
    assert!(app_2["launchedInstance"].is_null(), "{app_2:#}");
    assert_eq!(lifecycle(&app_2), "READY_FOR_CUTOVER");
    let after = run.invoke_report(&schedule()).await;
    assert_eq!(after.counts.done, 0, "{after:#?}");
    assert_eq!(run.emulator.calls("mgn:StartTest"), 1, "never relaunched");
}

#[tokio::test]
async fn a_failed_test_launch_is_reported_failed_and_not_launched_again() {
    let run = deploy(
        Fixture::demo(),
        &test_launches("1h"),
        &[],
        "mgn-test-failed",
    )
    .await;
    run.emulator
        .fail_next_mgn_launch(APP_2, Some("Insufficient capacity for t3.medium"))
        .expect("a demo server");
    run.invoke_report(&schedule()).await;
    run.emulator.advance(2);
    let job_id = only_launch(&run.emulator)["jobID"]
        .as_str()
        .expect("a job id")
        .to_owned();
    for _ in 0..2 {
        let report = run.invoke_report(&schedule()).await;
        let failed = outcome(&report, APP_2, NOTIFY);
        assert_eq!(failed.result, OutcomeResult::Failed, "{report:#?}");
        assert_eq!(failed.state.as_deref(), Some("TESTING/CONTINUOUS"));
        assert!(
            failed
                .detail
                .as_deref()
                .unwrap_or_default()
                .starts_with(&format!("test launch failed in job {job_id}")),
            "{failed:?}"
        );
        assert!(done(&report, START_TEST).is_empty(), "{report:#?}");
    }
    assert_eq!(run.emulator.calls("mgn:StartTest"), 1);
    assert_eq!(run.emulator.calls("mgn:TerminateTargetInstances"), 0);
}

#[tokio::test]
async fn a_test_launched_by_someone_else_is_never_terminated() {
    let run = deploy(
        Fixture::demo(),
        &test_launches("1s"),
        &[],
        "mgn-test-foreign",
    )
    .await;
    let (status, answer) = call_as_someone_else(
        &run.emulator,
        "StartTest",
        &json!({"sourceServerIDs": [APP_2]}),
    )
    .await
    .expect("the emulator answered");
    assert_eq!(status, 202, "{answer}");
    run.emulator.advance(2);
    let instance = server(&run.emulator, APP_2)["launchedInstance"]["ec2InstanceID"].clone();
    assert!(instance.is_string(), "launched");
    wait_until(now_secs() + 2).await;
    for _ in 0..2 {
        let report = run.invoke_report(&schedule()).await;
        assert_eq!(report.counts.done, 0, "{report:#?}");
    }
    assert_eq!(run.emulator.calls("mgn:TerminateTargetInstances"), 0);
    assert_eq!(run.emulator.calls("mgn:ChangeServerLifeCycleState"), 0);
    assert_eq!(
        run.emulator.calls("mgn:StartTest"),
        1,
        "only the other user's"
    );
    let app_2 = server(&run.emulator, APP_2);
    assert_eq!(app_2["launchedInstance"]["ec2InstanceID"], instance);
    assert_eq!(lifecycle(&app_2), "TESTING");
}

#[tokio::test]
async fn a_server_tested_before_by_someone_else_is_not_launched_again() {
    // app-3 was tested and finalized by hand (the fixture's lastTest); make it ready again.
    let run = deploy(
        Fixture::demo(),
        &one(APP_3, json!({"testLaunch": {"enabled": true}})),
        &[],
        "mgn-test-tested-before",
    )
    .await;
    let ready = StateChange {
        life_cycle_state: Some("READY_FOR_TEST".to_owned()),
        ..StateChange::default()
    };
    run.emulator
        .set_mgn_state(APP_3, &ready)
        .expect("a demo server");
    let report = run.invoke_report(&schedule()).await;
    assert_eq!(
        skip_reason(&report, APP_3),
        "READY_FOR_TEST/CONTINUOUS: READY_FOR_TEST: tested before (job mgnjob-0a1b2c3d4e5f60718, \
         not this function's); not launched again"
    );
    assert_eq!(mutating_calls(&run.emulator), 0);
}

#[tokio::test]
async fn a_disconnected_server_is_reported_failed_with_what_to_do() {
    let run = deploy(
        Fixture::demo(),
        &one(WEB_2, json!({})),
        &[],
        "mgn-disconnected",
    )
    .await;
    let report = run.invoke_report(&schedule()).await;
    assert_eq!(report.status, RunStatus::Failed, "{report:#?}");
    let notified = outcome(&report, WEB_2, NOTIFY);
    assert_eq!(notified.result, OutcomeResult::Failed);
    assert_eq!(notified.state.as_deref(), Some("DISCONNECTED/DISCONNECTED"));
    let said = notified.detail.as_deref().unwrap_or_default();
    assert!(
        said.starts_with(
            "DISCONNECTED: the server is disconnected from MGN and its replication has stopped"
        ) && said.contains("reinstall the AWS Replication Agent")
            && said.contains("mark it archived"),
        "{said}"
    );
    assert_eq!(mutating_calls(&run.emulator), 0);
}

/// `MGN_SERVERS` for the event tests: every demo server, started now.
const EVERY_DEMO_SERVER: &str = r#"{"servers": [{"tags": {"MigrationWave": "wave-1"}}]}"#;

#[tokio::test]
async fn each_mgn_event_by_eventbridge_or_sns_reconciles_only_its_server() {
    let run = deploy(
        Fixture::demo(),
        EVERY_DEMO_SERVER,
        &[],
        "mgn-events-one-server",
    )
    .await;
    let home = demo_home();
    for name in AWS_SAMPLES {
        let sample = aws_sample(name, WEB_1, home.0, home.1);
        for (how, event) in [("EventBridge", sample.clone()), ("SNS", via_sns(&sample))] {
            run.emulator.reset();
            // Two stopped servers: the event's (web-1) and app-2.
            let stop = StateChange::replication("STOPPED");
            run.emulator
                .set_mgn_state(APP_2, &stop)
                .expect("a demo server");
            let report = run.invoke_report(&event).await;
            assert_eq!(
                done(&report, START),
                vec![WEB_1],
                "{name} by {how}: {report:#?}"
            );
            assert_eq!(
                report.counts.done, 1,
                "{name} by {how}: only web-1: {report:#?}"
            );
            for id in [APP_1, APP_2, APP_3, DB_1, DB_2, WEB_2, WEB_3] {
                assert!(
                    report.outcomes.iter().all(|o| o.target != id),
                    "{name} by {how}: {id} reconciled: {report:#?}"
                );
            }
            assert_eq!(mutating_calls(&run.emulator), 1, "{name} by {how}");
            assert_eq!(replication(&server(&run.emulator, APP_2)), "STOPPED");
        }
    }
}

/// The demo's account and region, the function's only target.
fn demo_home() -> (&'static str, &'static str) {
    (HOME, "us-east-1")
}

#[tokio::test]
async fn a_dry_run_invoke_plans_what_it_would_do_and_changes_nothing() {
    let servers = json!({"defaults": {"resumePaused": true}, "servers": [{"tags": {"MigrationWave": "wave-1"}}]});
    let run = deploy(Fixture::demo(), &servers.to_string(), &[], "mgn-dry-run").await;
    let report = run
        .invoke_report(&event("direct-invoke-dry-run.json"))
        .await;
    assert!(report.dry_run);
    for (id, action) in [(DB_1, TAG_RESOURCE), (DB_2, RESUME), (WEB_1, START)] {
        assert_eq!(
            targets(&report, action, OutcomeResult::Planned),
            vec![id],
            "{report:#?}"
        );
    }
    assert_eq!(report.counts.done, 0);
    assert_eq!(mutating_calls(&run.emulator), 0);
    assert!(stall_tags(&server(&run.emulator, DB_1)).is_empty());
}

#[tokio::test]
async fn with_dry_run_set_a_schedule_plans_everything_and_changes_nothing() {
    let env = [("DRY_RUN", "true")];
    let run = deploy(Fixture::demo(), mgn::SERVERS, &env, "mgn-dry-run-env").await;
    let before = mgn::side_effects(&run.emulator.state());
    let report = run.invoke_report(&schedule()).await;
    assert!(report.dry_run);
    for (id, action) in [
        (DB_1, TAG_RESOURCE),
        (DB_2, RESUME),
        (WEB_1, START),
        (APP_1, UPDATE),
        (APP_1, START_TEST),
        (APP_2, START_TEST),
    ] {
        assert!(
            targets(&report, action, OutcomeResult::Planned).contains(&id.to_owned()),
            "{id} {action}: {report:#?}"
        );
    }
    assert_eq!(report.counts.done, 0);
    assert_eq!(mutating_calls(&run.emulator), 0);
    assert_eq!(mgn::side_effects(&run.emulator.state()), before);
}

#[tokio::test]
async fn a_stall_event_delivered_three_times_records_once_and_retries_once() {
    let run = deploy(
        Fixture::demo(),
        &on_stall(DB_1, "2s", 3),
        &[],
        "mgn-redelivered-stall",
    )
    .await;
    let stalled = event("replication-stalled.json");
    for _ in 0..3 {
        let report = run.invoke_report(&stalled).await;
        assert_eq!(report.counts.failed, 0, "{report:#?}");
    }
    assert_eq!(run.emulator.calls("mgn:TagResource"), 1);
    assert_eq!(run.emulator.calls("mgn:RetryDataReplication"), 0);

    let since = tag_time(&server(&run.emulator, DB_1), STALLED_SINCE);
    wait_until(since + 2).await;
    // One after another: the template reserves a concurrency of 1, as no MGN call takes a
    // client token.
    for _ in 0..3 {
        run.invoke_report(&stalled).await;
    }
    assert_eq!(run.emulator.calls("mgn:RetryDataReplication"), 1);
    assert_eq!(tag(&server(&run.emulator, DB_1), STALLS), Some("1"));
}

#[tokio::test]
async fn a_schedule_delivered_three_times_launches_one_test_job() {
    let run = deploy(
        Fixture::demo(),
        &test_launches("4h"),
        &[],
        "mgn-redelivered-test",
    )
    .await;
    for _ in 0..3 {
        let report = run.invoke_report(&schedule()).await;
        assert_eq!(report.counts.failed, 0, "{report:#?}");
    }
    assert_eq!(run.emulator.calls("mgn:StartTest"), 1);
    assert_eq!(job_servers(&only_launch(&run.emulator)), vec![APP_2]);
}

#[tokio::test]
async fn hostile_input_is_refused_or_skipped_without_a_call() {
    let run = deploy(Fixture::demo(), mgn::SERVERS, &[], "mgn-hostile").await;
    let home = demo_home();
    let mut posing = aws_sample(AWS_SAMPLES[0], DB_1, home.0, home.1);
    posing["source"] = json!("custom.mgn");
    let mut no_server = aws_sample(AWS_SAMPLES[0], DB_1, home.0, home.1);
    no_server["resources"] =
        json!(["arn:aws:mgn:us-east-1:123456789012:job/mgnjob-04ca7d0d3fb6afa3e"]);
    let mut foreign = aws_sample(AWS_SAMPLES[0], DB_1, "999999999999", home.1);
    foreign["id"] = json!("foreign");
    let mut unknown_state = aws_sample(AWS_SAMPLES[0], DB_1, home.0, home.1);
    unknown_state["detail"] = json!({"state": 7});
    let refused = [
        json!("garbage"),
        json!({"detail-type": "MGN Source Server Data Replication Stalled Change", "source": "aws.mgn"}),
        posing,
        no_server,
        foreign,
        unknown_state,
        json!({"targets": vec!["s-00000000000000000"; 20_000]}),
        json!({"targets": []}),
        json!({"targets": [DB_1], "dryRun": "no"}),
    ];
    run.assert_bad_events(&refused).await;
    assert_eq!(all_calls(&run.emulator), 0, "nothing was read");

    let bad_ids =
        json!({"targets": ["web-1", "s-123", "S-E5CE0A68DA08EAA27", "s-e5ce0a68da08eaa2!"]});
    let report = run.invoke_report(&bad_ids).await;
    assert_eq!(report.counts.done + report.counts.planned, 0, "{report:#?}");
    for id in [
        "web-1",
        "s-123",
        "S-E5CE0A68DA08EAA27",
        "s-e5ce0a68da08eaa2!",
    ] {
        skip_reason(&report, id);
    }
    let unknown = json!({"targets": ["s-00000000000000000"]});
    let report = run.invoke_report(&unknown).await;
    assert_eq!(
        skip_reason(&report, "s-00000000000000000"),
        "MGN lists no such non-archived source server here"
    );
    assert_eq!(mutating_calls(&run.emulator), 0);
}

#[tokio::test]
async fn a_fleet_schedule_reconciles_each_accounts_mgn_servers_through_its_role() {
    let fleet_var = fleet::fleet_var(&fleet::all_targets());
    let env = [
        ("ACCOUNT_ID", HOME),
        ("FLEET", fleet_var.as_str()),
        ("FLEET_ROLE", fleet::FLEET_ROLE),
    ];
    let servers = r#"{"servers": [{"tags": {"App": "fleet"}}]}"#;
    let run = deploy(Fixture::fleet(), servers, &env, "mgn-fleet").await;
    let report = run.invoke_report(&schedule()).await;
    assert_eq!(
        sections(&report),
        owned(&fleet::all_targets()),
        "{report:#?}"
    );
    assert_eq!(report.counts.failed, 0, "{report:#?}");
    for target @ (account, region) in fleet::all_targets() {
        let state = run.emulator.state_in(account, region).expect("a partition");
        let stalled: Vec<String> = mgn::servers_of(&state)
            .iter()
            .filter(|s| !stall_tags(s).is_empty())
            .filter_map(|s| s["sourceServerID"].as_str().map(str::to_owned))
            .collect();
        let recorded = outcomes_in(&report, target, TAG_RESOURCE, OutcomeResult::Done);
        assert_eq!(recorded, stalled, "{target:?}: {report:#?}");
        // One stalled server in every partition but the home account's us-west-2, which has
        // no MGN servers at all.
        let servers = mgn::servers_of(&state).len();
        assert_eq!(recorded.len(), usize::from(servers > 0), "{target:?}");
        let started = outcomes_in(&report, target, START, OutcomeResult::Done);
        if target == (MEMBER, "us-east-1") {
            assert_eq!(started, vec!["s-631ccd8ba394c614a"], "{report:#?}");
        } else {
            assert!(started.is_empty(), "{target:?}: {report:#?}");
        }
        let calls_there = run.emulator.calls_in(account, "mgn:DescribeSourceServers");
        assert!(calls_there > 0, "{account} read with its own credentials");
    }
    // Two member accounts in two regions each.
    assert_eq!(
        run.emulator.calls("AssumeRole"),
        4,
        "one role per member target"
    );
    for member in [MEMBER, STAGING] {
        assert!(
            run.emulator.calls_in(member, "mgn:TagResource") > 0,
            "{member}"
        );
    }
}

#[tokio::test]
async fn the_report_gives_each_servers_lifecycle_and_replication_state() {
    let run = deploy(Fixture::demo(), mgn::SERVERS, &[], "mgn-report-states").await;
    let report = run.invoke_report(&schedule()).await;
    for (id, states) in [
        (WEB_3, "NOT_READY/INITIAL_SYNC"),
        (APP_3, "READY_FOR_CUTOVER/CONTINUOUS"),
    ] {
        assert!(
            skip_reason(&report, id).starts_with(states),
            "{id}: {report:#?}"
        );
    }
    assert_eq!(
        outcome(&report, WEB_2, NOTIFY).state.as_deref(),
        Some("DISCONNECTED/DISCONNECTED")
    );
}

/// MGN emits its events in the account and region of the source server their `resources[0]`
/// names ("Event samples", MGN user guide: `account`, `region` and the ARN agree). An event
/// whose server ARN names another account or region was not sent by MGN about a server of this
/// one (an SNS topic can be published to by others); a server of the same id here is another
/// server, and must not be reconciled on its say.
#[tokio::test]
async fn an_mgn_event_naming_a_server_of_another_account_or_region_reconciles_nothing() {
    let run = deploy(
        Fixture::demo(),
        EVERY_DEMO_SERVER,
        &[],
        "mgn-event-foreign-arn",
    )
    .await;
    let (account, region) = demo_home();
    for (arn_account, arn_region) in [("999999999999", region), (account, "us-west-2")] {
        let mut event = aws_sample(AWS_SAMPLES[1], WEB_1, account, region);
        event["resources"] = json!([format!(
            "arn:aws:mgn:{arn_region}:{arn_account}:source-server/{WEB_1}"
        )]);
        for delivered in [event.clone(), via_sns(&event)] {
            let answer = run.runtime.invoke(&delivered, INVOKE_TIMEOUT).await;
            let answer = answer.expect("answered");
            if let Invocation::Response(report) = &answer {
                assert_eq!(
                    report["counts"]["done"], 0,
                    "{arn_account}/{arn_region}: {report}"
                );
            }
        }
        assert_eq!(
            mutating_calls(&run.emulator),
            0,
            "{arn_account}/{arn_region}: web-1 of {account}/{region} was started"
        );
    }
    assert_eq!(replication(&server(&run.emulator, WEB_1)), "STOPPED");
}

#[tokio::test]
async fn a_configuration_error_fails_the_cold_start_naming_the_entry_and_field() {
    let servers = r#"{"servers": [{"hostname": "mgn-web-1"}, {"sourceServerId": "s-e5ce0a68da08eaa27", "onStall": {"coolDown": "soon"}}]}"#;
    let body = dr_e2e::cold_start_error(
        FUNCTION,
        &[("MGN_SERVERS", servers)],
        "mgn-cold-start-bad-config",
    )
    .await;
    assert!(
        body.contains("MGN_SERVERS") && body.contains("servers[1].onStall.coolDown"),
        "{body}"
    );
}

#[tokio::test]
async fn a_server_named_by_its_hostname_in_another_case_or_by_its_fqdn_is_reconciled() {
    for name in ["MGN-WEB-1", "mgn-web-1.corp.example.com"] {
        let servers = json!({"servers": [{"hostname": name}]}).to_string();
        let run = deploy(Fixture::demo(), &servers, &[], "mgn-by-hostname").await;
        let report = run.invoke_report(&schedule()).await;
        assert_eq!(done(&report, START), vec![WEB_1], "{name}: {report:#?}");
        assert_eq!(report.counts.done, 1, "{name}: {report:#?}");
    }
}

#[tokio::test]
async fn the_settings_of_a_disconnected_server_are_neither_read_nor_set() {
    let servers = one(
        WEB_2,
        json!({"replication": {"replicationServerInstanceType": "t3.large"}}),
    );
    let run = deploy(Fixture::demo(), &servers, &[], "mgn-settings-disconnected").await;
    run.invoke_report(&schedule()).await;
    assert_eq!(run.emulator.calls("mgn:GetReplicationConfiguration"), 0);
    assert_eq!(run.emulator.calls("mgn:UpdateReplicationConfiguration"), 0);
}

#[tokio::test]
async fn an_archived_server_is_skipped_as_not_listed_and_never_reported_disconnected() {
    let mut fixture = Fixture::demo();
    let web_2 = fixture
        .mgn
        .source_servers
        .iter_mut()
        .find(|s| s.source_server_id == WEB_2)
        .expect("a demo server");
    web_2.is_archived = true;
    let run = deploy(fixture, &one(WEB_2, json!({})), &[], "mgn-archived").await;
    let report = run.invoke_report(&schedule()).await;
    assert_eq!(
        skip_reason(&report, WEB_2),
        "named by MGN_SERVERS servers[0], but MGN lists no such non-archived source server here"
    );
    assert!(report.outcomes.is_empty(), "{report:#?}");
}

#[tokio::test]
async fn a_hand_edited_stall_count_is_reported_and_the_stall_not_retried() {
    let mut fixture = Fixture::demo();
    let db_1 = fixture
        .mgn
        .source_servers
        .iter_mut()
        .find(|s| s.source_server_id == DB_1)
        .expect("a demo server");
    db_1.tags.insert(STALLS.to_owned(), "many".to_owned());
    let run = deploy(fixture, &on_stall(DB_1, "1s", 3), &[], "mgn-stall-bad-tag").await;
    let report = run.invoke_report(&schedule()).await;
    let notified = outcome(&report, DB_1, NOTIFY);
    assert_eq!(notified.result, OutcomeResult::Failed);
    let said = notified.detail.as_deref().unwrap_or_default();
    assert!(
        said.contains("dr-automation:mgn-stalls=`many`") && said.contains("not retried"),
        "{said}"
    );
    assert_eq!(mutating_calls(&run.emulator), 0);
}

#[tokio::test]
async fn a_test_ended_as_ready_for_test_reverts_the_server_and_is_not_launched_again() {
    let servers = one(
        APP_2,
        json!({"testLaunch": {"enabled": true, "ttl": "3s", "then": "ready-for-test"}}),
    );
    let run = deploy(Fixture::demo(), &servers, &[], "mgn-test-revert").await;
    run.invoke_report(&schedule()).await;
    run.emulator.advance(2);
    let initiated = server(&run.emulator, APP_2)["lifeCycle"]["lastTest"]["initiated"]
        ["apiCallDateTime"]
        .as_str()
        .and_then(parse_time)
        .expect("the test's launch time");
    wait_until(initiated + 3).await;
    let cleanup = run.invoke_report(&schedule()).await;
    assert!(
        detail(&cleanup, APP_2, TERMINATE).starts_with("marked READY_FOR_TEST; "),
        "{cleanup:#?}"
    );
    run.emulator.advance(2);
    let app_2 = server(&run.emulator, APP_2);
    assert_eq!(lifecycle(&app_2), "READY_FOR_TEST");
    assert!(
        app_2["lifeCycle"]["lastTest"]["reverted"].is_object(),
        "{app_2:#}"
    );
    for _ in 0..2 {
        let report = run.invoke_report(&schedule()).await;
        assert_eq!(report.counts.done, 0, "{report:#?}");
    }
    assert_eq!(run.emulator.calls("mgn:StartTest"), 1);
}

#[tokio::test]
async fn a_failed_launch_result_of_the_functions_test_reports_its_server_failed() {
    let run = deploy(
        Fixture::demo(),
        &test_launches("1h"),
        &[],
        "mgn-launch-result-failed",
    )
    .await;
    run.emulator
        .fail_next_mgn_launch(APP_2, None)
        .expect("a demo server");
    run.invoke_report(&schedule()).await;
    run.emulator.advance(2);
    let job_id = only_launch(&run.emulator)["jobID"].clone();
    let mut result = event("launch-result-test-failed.json");
    result["resources"] = json!([format!(
        "arn:aws:mgn:us-east-1:123456789012:source-server/{APP_2}"
    )]);
    result["detail"]["job-id"] = job_id.clone();
    let report = run.invoke_report(&result).await;
    let failed = outcome(&report, APP_2, NOTIFY);
    assert_eq!(failed.result, OutcomeResult::Failed, "{report:#?}");
    assert!(
        failed
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains(job_id.as_str().unwrap_or("?")),
        "{failed:?}"
    );
    assert_eq!(report.outcomes.len(), 1, "only its server: {report:#?}");
    assert_eq!(run.emulator.calls("mgn:StartTest"), 1);
}

#[tokio::test]
async fn a_dry_run_past_a_tests_ttl_plans_its_cleanup_and_terminates_nothing() {
    let run = deploy(
        Fixture::demo(),
        &test_launches("2s"),
        &[],
        "mgn-test-dry-cleanup",
    )
    .await;
    run.invoke_report(&schedule()).await;
    run.emulator.advance(2);
    let app_2 = server(&run.emulator, APP_2);
    let initiated = app_2["lifeCycle"]["lastTest"]["initiated"]["apiCallDateTime"]
        .as_str()
        .and_then(parse_time)
        .expect("the test's launch time");
    wait_until(initiated + 2).await;
    let dry = run
        .invoke_report(&json!({"targets": [APP_2], "dryRun": true}))
        .await;
    assert!(dry.dry_run);
    let instance = app_2["launchedInstance"]["ec2InstanceID"]
        .as_str()
        .expect("a test instance");
    assert_eq!(
        targets(&dry, TERMINATE, OutcomeResult::Planned),
        vec![APP_2],
        "{dry:#?}"
    );
    assert_eq!(
        outcome(&dry, APP_2, TERMINATE).detail.as_deref(),
        Some(
            format!(
                "marked READY_FOR_CUTOVER, then test instance {instance} terminated after its \
                 time to live"
            )
            .as_str()
        )
    );
    assert_eq!(run.emulator.calls("mgn:ChangeServerLifeCycleState"), 0);
    assert_eq!(run.emulator.calls("mgn:TerminateTargetInstances"), 0);
    assert_eq!(lifecycle(&server(&run.emulator, APP_2)), "TESTING");
}

#[tokio::test]
async fn a_direct_invoke_reconciles_its_configured_targets_and_skips_the_others() {
    let run = deploy(Fixture::demo(), &one(WEB_1, json!({})), &[], "mgn-direct").await;
    let report = run.invoke_report(&json!({"targets": [WEB_1, DB_1]})).await;
    assert_eq!(done(&report, START), vec![WEB_1], "{report:#?}");
    assert_eq!(skip_reason(&report, DB_1), "not named by MGN_SERVERS");
    assert_eq!(mutating_calls(&run.emulator), 1);
    assert!(stall_tags(&server(&run.emulator, DB_1)).is_empty());
}

#[tokio::test]
async fn a_test_launch_mgn_refuses_at_its_job_quota_is_reported_and_made_at_the_next_run() {
    // MGN runs one job at a time here, and another user's test of app-1 holds it.
    let mut fixture = Fixture::demo();
    fixture.mgn.launch_quotas.concurrent_jobs = 1;
    let run = deploy(fixture, &test_launches("4h"), &[], "mgn-test-quota").await;
    let (status, answer) = call_as_someone_else(
        &run.emulator,
        "StartTest",
        &json!({"sourceServerIDs": [APP_1]}),
    )
    .await
    .expect("the emulator answered");
    assert_eq!(status, 202, "{answer}");
    let refused = run.invoke_report(&schedule()).await;
    let failed = outcome(&refused, APP_2, START_TEST);
    assert_eq!(failed.result, OutcomeResult::Failed, "{refused:#?}");
    assert!(
        failed
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("ConflictException"),
        "{failed:?}"
    );
    assert_eq!(lifecycle(&server(&run.emulator, APP_2)), "READY_FOR_TEST");

    run.emulator.advance(2);
    let launched = run.invoke_report(&schedule()).await;
    assert_eq!(done(&launched, START_TEST), vec![APP_2], "{launched:#?}");
    assert_eq!(run.emulator.calls("mgn:StartTest"), 3);
}

/// "Max concurrent Jobs per Source Server: 1" (AWS General Reference, "AWS Application Migration
/// Service endpoints and quotas"): while the termination runs, a second one would be refused.
#[tokio::test]
async fn a_test_cleanup_is_not_made_again_while_its_termination_job_runs() {
    let run = deploy(
        Fixture::demo(),
        &test_launches("2s"),
        &[],
        "mgn-test-cleanup-once",
    )
    .await;
    run.invoke_report(&schedule()).await;
    run.emulator.advance(2);
    let initiated = server(&run.emulator, APP_2)["lifeCycle"]["lastTest"]["initiated"]
        ["apiCallDateTime"]
        .as_str()
        .and_then(parse_time)
        .expect("the test's launch time");
    wait_until(initiated + 2).await;
    let cleanup = run.invoke_report(&schedule()).await;
    assert_eq!(done(&cleanup, TERMINATE), vec![APP_2], "{cleanup:#?}");
    let terminate = jobs(&run.emulator)
        .into_iter()
        .find(|j| j["type"] == "TERMINATE")
        .expect("a terminate job");
    let job_id = terminate["jobID"].as_str().expect("a job id");

    // No emulator step: the terminate job is still PENDING.
    let during = run.invoke_report(&schedule()).await;
    assert_eq!(during.counts.failed, 0, "{during:#?}");
    assert!(
        skip_reason(&during, APP_2).contains(&format!("being terminated in job {job_id}")),
        "{during:#?}"
    );
    assert_eq!(run.emulator.calls("mgn:TerminateTargetInstances"), 1);
    assert_eq!(run.emulator.calls("mgn:ChangeServerLifeCycleState"), 1);
}

/// The issue's "the report gives each server's lifecycle state": every outcome about a server
/// carries its states, `LIFECYCLE/REPLICATION` as the skips give them.
#[tokio::test]
async fn every_outcome_of_a_schedule_gives_its_servers_lifecycle_and_replication_state() {
    let run = deploy(Fixture::demo(), mgn::SERVERS, &[], "mgn-outcome-states").await;
    let report = run.invoke_report(&schedule()).await;
    let is_states = |s: &str| {
        s.split_once('/').is_some_and(|(life, replication)| {
            [life, replication]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        })
    };
    let wrong: Vec<String> = report
        .outcomes
        .iter()
        .filter(|o| !o.state.as_deref().is_some_and(is_states))
        .map(|o| format!("{} {}: {:?}", o.target, o.action, o.state))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// "Each resource can have a maximum of 50 tags" (MGN API reference, TagResource): the stall
/// record's tags share them with the user's.
#[tokio::test]
async fn a_stall_on_a_server_without_room_for_its_record_is_reported_failed_and_not_retried() {
    let mut fixture = Fixture::demo();
    let db_1 = fixture
        .mgn
        .source_servers
        .iter_mut()
        .find(|s| s.source_server_id == DB_1)
        .expect("a demo server");
    for i in db_1.tags.len()..49 {
        db_1.tags
            .insert(format!("cost-centre-{i}"), "dr".to_owned());
    }
    let run = deploy(fixture, &on_stall(DB_1, "1s", 3), &[], "mgn-stall-no-room").await;
    for _ in 0..2 {
        let report = run.invoke_report(&schedule()).await;
        let failed = outcome(&report, DB_1, TAG_RESOURCE);
        assert_eq!(failed.result, OutcomeResult::Failed, "{report:#?}");
        assert!(
            failed
                .detail
                .as_deref()
                .unwrap_or_default()
                .starts_with("ValidationException"),
            "{failed:?}"
        );
        tokio::time::sleep(Duration::from_millis(1_100)).await;
    }
    assert_eq!(run.emulator.calls("mgn:RetryDataReplication"), 0);
    assert!(stall_tags(&server(&run.emulator, DB_1)).is_empty());
}
