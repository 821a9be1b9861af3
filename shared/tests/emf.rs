//! The metrics lines follow the EMF specification, whatever a function measures.

use dr_core::metrics::{Measures, Namespace, RunMetrics, TargetMeasured, Unit};
use dr_core::report::{RunReport, Skips, TargetOutcome, TargetResult, TargetRun};
use dr_testkit::emf::check;

/// A run over these targets, one start done in each.
fn report(measured: &[TargetMeasured]) -> RunReport {
    let runs = measured
        .iter()
        .map(|t| TargetRun {
            account: t.account.clone(),
            region: t.region.clone(),
            result: TargetResult::Ran {
                outcomes: vec![TargetOutcome::done("s-1", "StartReplication", None)],
                skips: Skips::new(),
            },
        })
        .collect();
    RunReport::of_fleet(
        "drs-start-replication",
        "schedule",
        false,
        Skips::new(),
        runs,
    )
}

fn target(account: &str, measures: Measures) -> TargetMeasured {
    TargetMeasured {
        account: Some(account.to_owned()),
        region: Some("us-east-1".to_owned()),
        measures: Some(measures),
    }
}

fn lines(measured: Vec<TargetMeasured>) -> Vec<serde_json::Value> {
    let mut metrics = RunMetrics::of(&report(&measured), 1_796_174_445, measured, true);
    metrics.history_failed = Some(true);
    metrics
        .lines(&Namespace::default())
        .iter()
        .map(|line| check(line).unwrap_or_else(|rule| panic!("{rule}: {line}")))
        .collect()
}

#[test]
fn every_line_of_a_fleet_run_follows_the_specification() {
    let mut a = Measures::new();
    a.count("DrsServers", 3)
        .largest("DrsLargestLagSeconds", Unit::Seconds, Some(12.0))
        .smallest("CopyCoveragePercent", Unit::Percent, Some(50.0))
        .each("RecoveryTimeSeconds", Unit::Seconds, vec![300.0, 420.0]);
    let lines = lines(vec![
        target("123456789012", a.clone()),
        target("234567890123", a),
    ]);
    assert_eq!(lines.len(), 3);
    assert_eq!(
        (&lines[0]["ActionsDone"], &lines[1]["ActionsDone"]),
        (&2.0.into(), &1.0.into())
    );
    assert_eq!(
        lines[0]["RecoveryTimeSeconds"].as_array().map(Vec::len),
        Some(4)
    );
}

#[test]
fn more_than_a_hundred_metrics_are_split_across_directives() {
    let mut many = Measures::new();
    for i in 0..150 {
        many.count(format!("Metric{i}"), i);
    }
    let lines = lines(vec![target("123456789012", many)]);
    let directives = lines[0]["_aws"]["CloudWatchMetrics"].as_array().unwrap();
    assert_eq!(directives.len(), 2);
}

#[test]
fn more_than_a_hundred_values_keep_the_largest_hundred() {
    let mut times = Measures::new();
    times.each(
        "RecoveryTimeSeconds",
        Unit::Seconds,
        (1..=150).map(f64::from).collect(),
    );
    let lines = lines(vec![target("123456789012", times)]);
    let values = lines[0]["RecoveryTimeSeconds"].as_array().unwrap();
    assert_eq!(values.len(), 100);
    assert_eq!(values[0], 150.0);
    assert_eq!(values[99], 51.0);
}
