//! Evidence: every function's run writes CloudWatch EMF lines on stdout that follow the
//! specification, and stores its report in the emulator's S3 bucket when `HISTORY_BUCKET` is
//! set; a history write that fails leaves the report and its publication whole and is logged and
//! counted; without `HISTORY_BUCKET` nothing is stored.

use dr_core::report::RunReport;
use dr_e2e::{demo, report, sample_event, target_dir, Deployment};
use dr_emulator::{FaultRule, Fixture};
use dr_testkit::emf;
use serde_json::{json, Value};
use std::time::Duration;

/// The demo's history bucket (tests/emulator/fixtures/demo.json).
const BUCKET: &str = "dr-automation-history";
/// `HISTORY_PREFIX` when unset.
const PREFIX: &str = "history/";
/// The coverage run's own setting in the demo (`coverage.environment` of its configuration).
const COVERAGE_SERVICES: (&str, &str) = ("COVERAGE_SERVICES", "backup,drs,mgn");

/// Every function binary: the demo's five and the read-only coverage run.
fn every_function() -> impl Iterator<Item = &'static str> {
    demo::FUNCTIONS.into_iter().chain(["dr-coverage"])
}

/// A run of `function`'s scheduled event against the demo fleet, with the demo configuration and
/// `history` (`HISTORY_BUCKET`) set or not, after `fault` is set on the emulator.
struct Run {
    deployment: Deployment,
    answer: Value,
    log: String,
}

impl Run {
    async fn of(function: &str, history: bool, fault: Option<FaultRule>, log: &str) -> Self {
        let config = demo::config();
        let mut env = config.env_without(&["HISTORY_BUCKET", "HISTORY_PREFIX"]);
        if history {
            env.push(("HISTORY_BUCKET", BUCKET));
        }
        if function == "dr-coverage" {
            env.push(COVERAGE_SERVICES);
        }
        let deployment = Deployment::start(function, Fixture::demo(), &env, log, 1)
            .await
            .expect("deployment");
        if let Some(rule) = fault {
            deployment.emulator.set_fault(rule).expect("fault rule");
        }
        let event = sample_event(&format!("{function}/scheduled-event.json")).expect("event");
        let answer = deployment
            .runtime
            .invoke(&event, dr_e2e::INVOKE_TIMEOUT)
            .await
            .expect("an answer")
            .expect_response();
        let log_text = read_log(log).await;
        Self {
            deployment,
            answer,
            log: log_text,
        }
    }

    /// The EMF lines the run wrote, each checked against the specification.
    fn emf(&self) -> Vec<Value> {
        dr_e2e::emf_lines(&self.log)
            .into_iter()
            .map(|line| emf::check_live(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }

    /// The fleet line: the one whose only dimension set is `["Function"]`.
    fn fleet_line(&self) -> Value {
        let fleet: Vec<Value> = self
            .emf()
            .into_iter()
            .filter(|line| emf::dimension_sets(line) == Some(&json!([["Function"]])))
            .collect();
        assert_eq!(fleet.len(), 1, "one fleet line in\n{}", self.log);
        fleet.into_iter().next().unwrap_or_default()
    }

    /// The history objects of `function`.
    fn history(&self, function: &str) -> Vec<dr_emulator::s3::Object> {
        self.deployment
            .emulator
            .s3_objects(BUCKET, &format!("{PREFIX}{function}/"))
            .expect("the demo's history bucket")
    }
}

/// The function's log, once the run's fleet metrics line is in it (stdout is written as the run
/// ends; give it a moment).
async fn read_log(log: &str) -> String {
    let path = target_dir().join("e2e-logs").join(format!("{log}.log"));
    let mut text = String::new();
    for _ in 0..40 {
        text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.contains("\"Runs\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    text
}

/// A metric's value on a line (EMF values are JSON numbers, integral or not).
fn number(line: &Value, metric: &str) -> Option<f64> {
    line.get(metric).and_then(Value::as_f64)
}

fn access_denied() -> FaultRule {
    FaultRule {
        operation: "s3:PutObject".into(),
        error_rate: 1.0,
        error: "AccessDenied".into(),
        latency_ms: 0,
        drop_connection_rate: 0.0,
        times: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_writes_emf_lines_that_follow_the_specification() {
    for function in every_function() {
        let run = Run::of(function, true, None, &format!("evidence-emf-{function}")).await;
        let lines = run.emf();
        assert!(
            !lines.is_empty(),
            "{function} wrote no EMF line:\n{}",
            run.log
        );
        for line in &lines {
            assert_eq!(line["Function"], function, "{line}");
        }
        let fleet = run.fleet_line();
        assert_eq!(number(&fleet, "Runs"), Some(1.0), "{function}: {fleet}");
        assert!(emf::metric_names(&fleet).contains(&"Runs"), "{fleet}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_stores_its_report_as_one_history_object_per_run() {
    for function in every_function() {
        let run = Run::of(
            function,
            true,
            None,
            &format!("evidence-history-{function}"),
        )
        .await;
        let objects = run.history(function);
        assert_eq!(objects.len(), 1, "{function}: {objects:?}");
        let object = &objects[0];
        let body = object.text().expect("a UTF-8 body");
        assert!(!body.trim_end().contains('\n'), "one line of JSON: {body}");
        let mut stored: Value = serde_json::from_str(body).expect("JSON");
        let run_id = stored["runId"].as_str().expect("runId").to_owned();
        let time = stored["time"].as_str().expect("time").to_owned();
        // history/<function>/<date>/<run>.json, the date the run's own.
        let date = time.get(..10).expect("an RFC 3339 time");
        assert_eq!(
            object.key,
            format!("{PREFIX}{function}/{date}/{run_id}.json"),
            "{function}"
        );
        assert!(time.ends_with('Z') && time.len() == 20, "{time}");
        let fields = stored.as_object_mut().expect("an object");
        fields.remove("runId");
        fields.remove("time");
        let report: RunReport = serde_json::from_value(stored.clone()).expect("a run report");
        let answer: RunReport = serde_json::from_value(run.answer.clone()).expect("a run report");
        assert_eq!(report.function, function);
        assert_eq!(
            (&report.status, &report.counts),
            (&answer.status, &answer.counts)
        );
        // A Lambda result over its size limit lists fewer outcomes; the stored report is whole.
        if answer.outcomes_not_listed == 0 {
            assert_eq!(
                stored, run.answer,
                "{function}: the stored report is the returned one"
            );
        }
        assert_eq!(object.content_type, "application/json");
        let fleet = run.fleet_line();
        assert_eq!(
            number(&fleet, "HistoryWriteFailures"),
            Some(0.0),
            "{function}: {fleet}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_history_write_still_returns_publishes_logs_and_counts_it() {
    let function = "drs-start-replication";
    let clean = Run::of(function, true, None, "evidence-write-clean").await;
    let run = Run::of(
        function,
        true,
        Some(access_denied()),
        "evidence-write-denied",
    )
    .await;
    assert!(run.history(function).is_empty());
    assert_eq!(run.deployment.emulator.calls("s3:PutObject"), 1);
    let answer: RunReport = serde_json::from_value(run.answer.clone()).expect("a run report");
    let expected: RunReport = serde_json::from_value(clean.answer.clone()).expect("a run report");
    assert_eq!(answer.status, expected.status);
    assert_eq!(answer.counts, expected.counts);
    let published = report::published(&run.deployment.emulator, function);
    assert_eq!(published.len(), 1, "the report is still published");
    assert_eq!(published[0].counts, answer.counts);
    let logged = run
        .log
        .lines()
        .any(|l| l.contains("ERROR") && l.contains("AccessDenied") && l.contains(PREFIX));
    assert!(
        logged,
        "an error naming the key and the cause in\n{}",
        run.log
    );
    let fleet = run.fleet_line();
    assert_eq!(number(&fleet, "HistoryWriteFailures"), Some(1.0), "{fleet}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_history_bucket_nothing_is_stored_and_no_write_failure_is_measured() {
    let function = "drs-start-replication";
    let run = Run::of(function, false, None, "evidence-no-history").await;
    assert_eq!(run.deployment.emulator.calls("s3:PutObject"), 0);
    assert!(run.history(function).is_empty());
    for line in run.emf() {
        assert!(line.get("HistoryWriteFailures").is_none(), "{line}");
        assert!(
            !emf::metric_names(&line).contains(&"HistoryWriteFailures"),
            "{line}"
        );
    }
    assert_eq!(number(&run.fleet_line(), "Runs"), Some(1.0));
}
