use super::*;
use crate::report::{Skips, TargetOutcome};

fn measures(build: impl FnOnce(&mut Measures)) -> Measures {
    let mut m = Measures::new();
    build(&mut m);
    m
}

fn value(m: &Measures, name: &str) -> Option<Vec<f64>> {
    m.iter().find(|m| m.name == name).map(|m| m.values.clone())
}

#[test]
fn the_fleet_combines_each_measure_as_it_says() {
    let a = measures(|m| {
        m.count("Servers", 2)
            .largest("Lag", Unit::Seconds, Some(30.0))
            .smallest("Coverage", Unit::Percent, Some(100.0))
            .each("Times", Unit::Seconds, vec![5.0]);
    });
    let b = measures(|m| {
        m.count("Servers", 3)
            .largest("Lag", Unit::Seconds, Some(90.0))
            .smallest("Coverage", Unit::Percent, Some(50.0))
            .each("Times", Unit::Seconds, vec![7.0, 9.0]);
    });
    let fleet = Measures::combine([&a, &b]);
    let cases = [
        ("Servers", vec![5.0]),
        ("Lag", vec![90.0]),
        ("Coverage", vec![50.0]),
        ("Times", vec![5.0, 7.0, 9.0]),
    ];
    for (name, want) in cases {
        assert_eq!(value(&fleet, name), Some(want), "{name}");
    }
}

#[test]
fn a_measure_with_no_value_is_left_out() {
    let m = measures(|m| {
        m.largest("Lag", Unit::Seconds, None)
            .smallest("Coverage", Unit::Percent, None)
            .each("Times", Unit::Seconds, Vec::new());
    });
    assert_eq!(m.iter().count(), 0);
}

#[test]
fn a_measure_only_one_target_has_reaches_the_fleet_line_as_it_is() {
    let a = measures(|m| {
        m.count("Servers", 2);
    });
    let b = measures(|m| {
        m.largest("Lag", Unit::Seconds, Some(4.0));
    });
    let fleet = Measures::combine([&a, &b]);
    assert_eq!(value(&fleet, "Servers"), Some(vec![2.0]));
    assert_eq!(value(&fleet, "Lag"), Some(vec![4.0]));
}

fn report(outcomes: Vec<TargetOutcome>) -> RunReport {
    RunReport::new("f", "schedule", false, outcomes, Skips::new())
}

#[test]
fn a_single_target_run_has_only_the_fleet_line() {
    let measured = vec![TargetMeasured {
        account: None,
        region: None,
        measures: Some(Measures::new()),
    }];
    let metrics = RunMetrics::of(&report(Vec::new()), 0, measured, false);
    assert!(metrics.targets.is_empty());
    assert_eq!(metrics.lines(&Namespace::default()).len(), 1);
}

#[test]
fn the_history_failure_is_counted_only_when_a_history_is_kept() {
    let mut metrics = RunMetrics::of(&report(Vec::new()), 0, Vec::new(), false);
    let count = |m: &RunMetrics| {
        let line: Value = serde_json::from_str(&m.lines(&Namespace::default())[0]).unwrap();
        line.get("HistoryWriteFailures").cloned()
    };
    assert_eq!(count(&metrics), None);
    metrics.history_failed = Some(false);
    assert_eq!(count(&metrics), Some(json!(0.0)));
    metrics.history_failed = Some(true);
    assert_eq!(count(&metrics), Some(json!(1.0)));
}

#[test]
fn the_namespace_is_read_and_checked() {
    let read = |v: &str| Namespace::from_env(&Env::from_pairs([("METRICS_NAMESPACE", v)]));
    assert_eq!(read("").map(|n| n.0), Ok(DEFAULT_NAMESPACE.to_owned()));
    assert_eq!(read("Team/DR-1").map(|n| n.0), Ok("Team/DR-1".to_owned()));
    assert!(read("has space").is_err());
    assert!(read(&"n".repeat(256)).is_err());
    assert!(read("AWS/DRS").is_err());
    assert!(read(":dr").is_err());
}

#[test]
fn states_are_counted_with_every_known_state_and_any_other() {
    let m = measures(|m| {
        m.by_state(
            "Servers",
            ["Stopped", "Continuous"],
            ["Continuous", "Continuous", "Unknown"],
        );
    });
    let counts: Vec<(&str, Vec<f64>)> = m
        .iter()
        .map(|m| (m.name.as_str(), m.values.clone()))
        .collect();
    assert_eq!(
        counts,
        [
            ("ServersStopped", vec![0.0]),
            ("ServersContinuous", vec![2.0]),
            ("ServersUnknown", vec![1.0]),
        ]
    );
}
