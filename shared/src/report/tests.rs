use super::*;
use crate::error::ErrorClass;

fn failure(class: ErrorClass) -> CallFailure {
    CallFailure {
        class,
        code: "ThrottlingException".into(),
        message: "Rate exceeded".into(),
    }
}

#[test]
fn counts_and_status_table() {
    let done = TargetOutcome::done("a", "StartReplication", Some("INITIATING".into()));
    let unchanged = TargetOutcome::unchanged("b", "StartReplication", "already replicating");
    let retry = TargetOutcome::failed("c", "StartReplication", &failure(ErrorClass::Retryable));
    let fatal = TargetOutcome::failed("d", "StartReplication", &failure(ErrorClass::Fatal));
    let planned = TargetOutcome::planned("e", "StartReplication");
    let cases: Vec<(Vec<TargetOutcome>, bool, RunStatus, bool)> = vec![
        (vec![], false, RunStatus::Succeeded, false),
        (
            vec![done.clone(), unchanged.clone()],
            false,
            RunStatus::Succeeded,
            false,
        ),
        (
            vec![done.clone(), retry.clone()],
            false,
            RunStatus::PartiallyFailed,
            true,
        ),
        (vec![fatal.clone()], false, RunStatus::Failed, false),
        (
            vec![retry.clone(), fatal.clone()],
            false,
            RunStatus::Failed,
            true,
        ),
        (vec![planned.clone()], true, RunStatus::DryRun, false),
    ];
    for (outcomes, dry_run, status, retryable) in cases {
        let r = RunReport::new("f", "test", dry_run, outcomes.clone(), Skips::new());
        assert_eq!(r.status, status, "{outcomes:?}");
        assert_eq!(r.has_retryable_failures(), retryable, "{outcomes:?}");
    }
    let r = RunReport::new(
        "f",
        "t",
        false,
        vec![done, unchanged, retry, fatal],
        Skips::from_iter([Skip::new("x", "CONTINUOUS: already replicating")]),
    );
    assert_eq!(
        r.counts,
        Counts {
            done: 1,
            unchanged: 1,
            planned: 0,
            failed: 2,
            retryable: 1,
            skipped: 1
        }
    );
}

#[test]
fn subject_is_short_ascii_and_readable() {
    let r = RunReport::new(
        "drs-start-replication",
        "schedule",
        false,
        vec![TargetOutcome::done("s-1", "StartReplication", None)],
        Skips::from_iter([Skip::new("s-2", "CONTINUOUS")]),
    );
    assert_eq!(
        r.subject(),
        "drs-start-replication SUCCEEDED: 1 done, 0 unchanged, 0 failed, 0 skipped"
            .replace("0 skipped", "1 skipped")
    );
    let aborted = RunReport::of_fleet(
        "drs-start-replication",
        "schedule",
        false,
        Skips::new(),
        vec![stopped("123456789012", &failure(ErrorClass::Retryable))],
    );
    assert_eq!(aborted.status, RunStatus::Failed);
    assert!(aborted.has_retryable_failures());
    assert_eq!(
        aborted.error.as_ref().map(|e| e.message.as_str()),
        Some("DescribeSourceServers failed: ThrottlingException: Rate exceeded")
    );
    let long = RunReport::new(&"é-fn".repeat(60), "t", true, vec![], Skips::new());
    let s = long.subject();
    assert!(s.len() < 100 && s.is_ascii(), "{s}");
}

#[test]
fn small_report_is_one_message() {
    let r = RunReport::new(
        "f",
        "t",
        false,
        vec![],
        Skips::from_iter([Skip::new("a", "b")]),
    );
    let bodies = r.message_bodies(SNS_MESSAGE_LIMIT);
    assert_eq!(bodies.len(), 1);
    let back: RunReport = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(back, r);
}

#[test]
fn large_report_splits_into_parts_under_the_limit_losing_nothing() {
    let outcomes: Vec<_> = (0..3000)
        .map(|i| {
            TargetOutcome::done(
                format!("s-{i:017}"),
                "StartReplication",
                Some("INITIATING".into()),
            )
        })
        .collect();
    let skips: Skips = (0..3000)
        .map(|i| {
            Skip::new(
                format!("s-{:017}", i + 5000),
                "CONTINUOUS: already replicating",
            )
        })
        .collect();
    let r = RunReport::new("drs-start-replication", "schedule", false, outcomes, skips);
    let limit = 64 * 1024;
    let bodies = r.message_bodies(limit);
    assert!(bodies.len() > 1);
    let mut outcomes = Vec::new();
    let mut skips = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        assert!(body.len() <= limit, "part {i} is {} bytes", body.len());
        let part: RunReport = serde_json::from_str(body).unwrap();
        assert_eq!(
            part.part,
            Some(Part {
                index: i + 1,
                of: bodies.len()
            })
        );
        assert_eq!(part.counts, r.counts, "every part carries the totals");
        outcomes.extend(part.outcomes);
        skips.extend(part.skips);
    }
    assert_eq!(outcomes, r.outcomes);
    assert_eq!(skips, r.skips);
}

fn report_of(outcomes: usize, skips: usize) -> RunReport {
    let outcomes = (0..outcomes)
        .map(|i| TargetOutcome::done(format!("s-{i:017}"), "StartReplication", None))
        .collect();
    let skips: Skips = (0..skips)
        .map(|i| {
            Skip::new(
                format!("s-{:017}", i + 5000),
                "CONTINUOUS: already replicating",
            )
        })
        .collect();
    RunReport::new("drs-start-replication", "schedule", false, outcomes, skips)
}

#[test]
fn a_report_within_the_result_limit_is_returned_whole() {
    let r = report_of(100, 100);
    assert_eq!(r.clone().within(RESULT_LIMIT), r);
}

#[test]
fn a_report_over_the_result_limit_keeps_its_totals_and_the_first_outcomes_that_fit() {
    let r = report_of(3000, 400);
    let limit = 64 * 1024;
    let cut = r.clone().within(limit);
    assert!(
        to_json(&cut).len() <= limit,
        "{} bytes",
        to_json(&cut).len()
    );
    assert_eq!((cut.counts, cut.status), (r.counts, r.status));
    assert!(!cut.outcomes.is_empty() && cut.skips.is_empty());
    assert_eq!(cut.outcomes, r.outcomes[..cut.outcomes.len()]);
    assert_eq!(cut.outcomes.len() + cut.outcomes_not_listed, 3000);
    assert_eq!(cut.skips_not_listed, 400);
}

#[test]
fn a_report_whose_outcomes_fit_keeps_the_first_skips_that_fit() {
    let r = report_of(10, 500);
    let limit = to_json(&report_of(10, 0)).len() + 4 * 1024;
    let cut = r.clone().within(limit);
    assert!(to_json(&cut).len() <= limit);
    assert_eq!((cut.outcomes.len(), cut.outcomes_not_listed), (10, 0));
    assert!(!cut.skips.is_empty() && cut.skips.len() < 500);
    assert_eq!(cut.skips.len() + cut.skips_not_listed, 500);
}

#[test]
fn skips_beyond_the_listed_ones_are_counted_not_listed() {
    let skips = |n: usize| -> Vec<Skip> {
        (0..n)
            .map(|i| Skip::new(format!("s-{i:017}"), "CONTINUOUS: already replicating"))
            .collect()
    };
    let big = RunReport::new(
        "f",
        "schedule",
        false,
        Vec::new(),
        skips(LISTED_SKIPS + 700).into_iter().collect(),
    );
    assert_eq!(big.counts.skipped, LISTED_SKIPS + 700);
    assert_eq!(big.skips, skips(LISTED_SKIPS));
    assert_eq!(big.skips_not_listed, 700);
    let json = serde_json::to_value(&big).expect("serialises");
    assert_eq!(json["skipsNotListed"], 700);

    let small = RunReport::new(
        "f",
        "schedule",
        false,
        Vec::new(),
        skips(3).into_iter().collect(),
    );
    assert_eq!((small.skips.len(), small.skips_not_listed), (3, 0));
    let json = serde_json::to_value(&small).expect("serialises");
    assert!(json.get("skipsNotListed").is_none(), "{json}");
}

#[test]
fn skips_list_the_first_ones_in_order_and_count_the_rest() {
    let run = |from: usize, n: usize| -> Skips {
        (from..from + n)
            .map(|i| Skip::new(format!("s-{i}"), "CONTINUOUS"))
            .collect()
    };
    let targets =
        |s: &Skips| -> Vec<String> { s.listed().iter().map(|k| k.target.clone()).collect() };
    // (skips before, skips appended, listed, total)
    let cases = [
        (0, 0, 0, 0),
        (3, 2, 5, 5),
        (LISTED_SKIPS, 0, LISTED_SKIPS, LISTED_SKIPS),
        (LISTED_SKIPS - 1, 2, LISTED_SKIPS, LISTED_SKIPS + 1),
        (LISTED_SKIPS + 10, 5, LISTED_SKIPS, LISTED_SKIPS + 15),
        (2, LISTED_SKIPS + 10, LISTED_SKIPS, LISTED_SKIPS + 12),
    ];
    for (before, after, listed, total) in cases {
        let mut appended = run(0, before);
        appended.append(run(before, after));
        let pushed = run(0, before + after);
        assert_eq!(appended, pushed, "{before} + {after}");
        assert_eq!(appended.listed().len(), listed, "{before} + {after}");
        assert_eq!(appended.total(), total, "{before} + {after}");
        assert_eq!(appended.is_empty(), total == 0, "{before} + {after}");
        let want: Vec<String> = (0..listed).map(|i| format!("s-{i}")).collect();
        assert_eq!(targets(&appended), want, "{before} + {after}");
    }
}

#[test]
fn long_details_are_truncated() {
    let o = TargetOutcome::planned("a", "X").with_detail("é".repeat(5000));
    let d = o.detail.unwrap();
    assert!(d.len() <= DETAIL_LIMIT && d.ends_with("..."));
}

fn stopped(account: &str, failure: &CallFailure) -> TargetRun {
    TargetRun {
        account: Some(account.to_owned()),
        region: Some("us-east-1".to_owned()),
        result: TargetResult::Stopped(RunError::stopped("DescribeSourceServers", failure)),
    }
}

fn ran(account: &str, outcomes: Vec<TargetOutcome>, skips: Skips) -> TargetRun {
    TargetRun {
        account: Some(account.to_owned()),
        region: Some("us-east-1".to_owned()),
        result: TargetResult::Ran { outcomes, skips },
    }
}

#[test]
fn a_fleet_report_marks_each_outcome_and_skip_with_its_target() {
    let r = RunReport::of_fleet(
        "f",
        "schedule",
        false,
        Skips::from_iter([Skip::new("topic", "not accepted")]),
        vec![
            ran(
                "111111111111",
                vec![TargetOutcome::done("s-1", "Start", None)],
                Skips::new(),
            ),
            ran(
                "222222222222",
                vec![TargetOutcome::unchanged("s-2", "Start", "already")],
                Skips::from_iter([Skip::new("s-3", "CONTINUOUS")]),
            ),
        ],
    );
    let placed: Vec<(&str, Option<&str>)> = r
        .outcomes
        .iter()
        .map(|o| (o.target.as_str(), o.account.as_deref()))
        .collect();
    assert_eq!(
        placed,
        [("s-1", Some("111111111111")), ("s-2", Some("222222222222"))]
    );
    assert_eq!(
        r.skips[0].account, None,
        "the delivery's skip belongs to no target"
    );
    assert_eq!(r.skips[1].account.as_deref(), Some("222222222222"));
    assert_eq!(
        (r.counts.done, r.counts.unchanged, r.counts.skipped),
        (1, 1, 2)
    );
    assert_eq!(r.targets.len(), 2);
    assert_eq!(r.targets[1].counts.skipped, 1);
    assert_eq!(r.status, RunStatus::Succeeded);
    assert!(r.subject().ends_with(" in 2 targets"), "{}", r.subject());
}

#[test]
fn a_stopped_target_makes_the_fleet_run_partly_failed_and_says_why() {
    let r = RunReport::of_fleet(
        "f",
        "schedule",
        false,
        Skips::new(),
        vec![
            ran("111111111111", vec![], Skips::new()),
            stopped("222222222222", &failure(ErrorClass::Fatal)),
        ],
    );
    assert_eq!(r.status, RunStatus::PartiallyFailed);
    assert_eq!(r.failed_targets(), 1);
    assert_eq!(r.targets[0].status, RunStatus::Succeeded);
    let error = r.targets[1].error.as_ref().map(|e| e.message.as_str());
    assert_eq!(
        error,
        Some("DescribeSourceServers failed: ThrottlingException: Rate exceeded")
    );
    assert_eq!(r.error, None, "one target still ran");
    assert!(!r.has_retryable_failures());
}

#[test]
fn a_retryable_stop_of_one_target_fails_the_invocation_for_a_retry() {
    let r = RunReport::of_fleet(
        "f",
        "schedule",
        false,
        Skips::new(),
        vec![
            ran(
                "111111111111",
                vec![TargetOutcome::done("s-1", "Start", None)],
                Skips::new(),
            ),
            stopped("222222222222", &failure(ErrorClass::Retryable)),
        ],
    );
    assert!(r.has_retryable_failures());
}

#[test]
fn when_every_target_stops_the_run_failed_and_names_each() {
    let r = RunReport::of_fleet(
        "f",
        "schedule",
        true,
        Skips::new(),
        vec![
            stopped("111111111111", &failure(ErrorClass::Fatal)),
            stopped("222222222222", &failure(ErrorClass::Retryable)),
        ],
    );
    assert_eq!(r.status, RunStatus::Failed);
    let error = r.error.expect("every target stopped");
    assert!(error.retryable);
    assert_eq!(
        error.message,
        "every target stopped: 111111111111/us-east-1: DescribeSourceServers failed: \
         ThrottlingException: Rate exceeded; 222222222222/us-east-1: DescribeSourceServers \
         failed: ThrottlingException: Rate exceeded"
    );
}
