//! What the tests read of a run report: the report a function returns and publishes, the one
//! wire format all three share.

use dr_core::report::{OutcomeResult, RunReport};
use dr_emulator::{Emulator, REPORTS_TOPIC};

/// The targets `report` acted on, in its order.
pub fn done(report: &RunReport) -> Vec<String> {
    report
        .outcomes
        .iter()
        .filter(|o| o.result == OutcomeResult::Done)
        .map(|o| o.target.clone())
        .collect()
}

/// The targets of `report`'s `action` outcomes that ended in `result`, sorted.
pub fn targets(report: &RunReport, action: &str, result: OutcomeResult) -> Vec<String> {
    let mut out: Vec<String> = report
        .outcomes
        .iter()
        .filter(|o| o.action == action && o.result == result)
        .map(|o| o.target.clone())
        .collect();
    out.sort();
    out
}

/// Why `report` left `target` alone; panics when it did not.
pub fn skip_reason<'r>(report: &'r RunReport, target: &str) -> &'r str {
    report
        .skips
        .iter()
        .find(|s| s.target == target)
        .map(|s| s.reason.as_str())
        .unwrap_or_else(|| panic!("{target} not skipped: {report:#?}"))
}

/// The detail of `report`'s `action` outcome for `target`; panics when there is none.
pub fn detail<'r>(report: &'r RunReport, target: &str, action: &str) -> &'r str {
    report
        .outcomes
        .iter()
        .find(|o| o.target == target && o.action == action)
        .and_then(|o| o.detail.as_deref())
        .unwrap_or_else(|| panic!("no {action} outcome for {target}: {report:#?}"))
}

/// Every report published to the emulator's SNS, in order; panics unless each went to the
/// reports topic and is a report of `function`.
pub fn published(emulator: &Emulator, function: &str) -> Vec<RunReport> {
    emulator
        .sns_messages()
        .iter()
        .map(|m| {
            assert_eq!(m.topic_arn, REPORTS_TOPIC);
            let report: RunReport = serde_json::from_str(&m.message).expect("a report body");
            assert_eq!(report.function, function);
            report
        })
        .collect()
}

/// `ids` as owned strings, sorted: what [`targets`] returns for them.
pub fn sorted(ids: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    out.sort();
    out
}
