//! The pause-on-failure policy and the on-demand run limits, as pure functions of a job's runs.
//!
//! What AWS documents, and what this policy assumes where it documents nothing:
//! - SMS moves a job whose runs fail in a row to `PAUSED_ON_FAILURE` instead of `FAILED`
//!   ("Replicating VMs using the AWS SMS console", setting "Pause replication job on consecutive
//!   failures"); after how many failures it does so is not documented.
//! - **Assumption:** no API documents how a paused job resumes. The console has "Resume
//!   replication job"; the API has no resume operation. The policy assumes that an on-demand run
//!   (`StartOnDemandReplicationRun`) or a new `nextReplicationRunStartTime`
//!   (`UpdateReplicationJob`) resumes it, and the report says which call it made.
//! - An on-demand run starts immediately and "is in addition to the ones already scheduled"
//!   (`StartOnDemandReplicationRun`, SMS API reference); up to two may start per job in 24 hours,
//!   and none while another run is active; a scheduled run due while another run is under way is
//!   skipped and rescheduled at the next interval ("Replicating VMs using the CLI"). So the next
//!   scheduled run, `PENDING` in the future, is not under way: it holds neither an on-demand run
//!   nor the resume of a paused job.

use crate::config::{FailurePolicy, ResumeWith};
use crate::model::{Job, Run, RunState, RunType};
use dr_core::clock::fmt_time;

/// SMS allows at most this many on-demand runs per job in any 24 hours.
pub const ON_DEMAND_RUNS_PER_DAY: usize = 2;
/// The window the on-demand limit counts over.
const DAY_SECS: i64 = 86_400;
/// How far ahead a rescheduled run starts: SMS takes a start time in the future, and a few
/// minutes leave room for the request to arrive and the connector to pick the run up.
pub const RESCHEDULE_LEAD_SECS: i64 = 10 * 60;

/// What to do about a job paused on failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// Not yet: the reason says until when or why.
    Wait(String),
    /// Too many consecutive failures: stop resuming and hand over to a person.
    Escalate(String),
    /// Start an on-demand run now.
    OnDemandRun,
    /// Move the next scheduled run to this time (epoch seconds).
    Reschedule(i64),
}

/// Decides about a job in `PAUSED_ON_FAILURE`, given every run read for it.
///
/// The checks run in this order: a run under way (see `under_way`; the next scheduled run is
/// not) settles it; then the count of consecutive failed runs (which includes runs this
/// function started) may escalate; then the cool-down since the latest failure; then, for
/// on-demand runs, the 24-hour limit.
pub fn paused(policy: &FailurePolicy, runs: &[Run], now: i64) -> Resume {
    if let Some(run) = run_under_way(runs, now) {
        return Resume::Wait(format!(
            "run {} is {}; waiting for it before resuming",
            run.id, run.state
        ));
    }
    let failures = consecutive_failures(runs);
    if failures >= policy.max_consecutive_failures {
        return Resume::Escalate(format!(
            "{failures} consecutive failed runs (escalation after {}); not resuming",
            policy.max_consecutive_failures
        ));
    }
    let Some(failed_at) = latest_failure(runs).and_then(failed_at) else {
        return Resume::Wait(
            "paused, but no failed run with a time is in its history, so the cool-down cannot \
             start; resume it by hand"
                .to_owned(),
        );
    };
    let resume_at = failed_at + policy.cool_down_secs;
    if now < resume_at {
        return Resume::Wait(format!(
            "cool-down: latest failure at {}, resuming after {}",
            fmt_time(failed_at),
            fmt_time(resume_at)
        ));
    }
    match policy.resume_with {
        ResumeWith::OnDemandRun => match on_demand_gate(runs, now) {
            Ok(()) => Resume::OnDemandRun,
            Err(why) => Resume::Wait(why),
        },
        ResumeWith::Reschedule => Resume::Reschedule(now + RESCHEDULE_LEAD_SECS),
    }
}

/// Whether an on-demand run may start now: none may while a run is under way, and at most
/// [`ON_DEMAND_RUNS_PER_DAY`] may start in 24 hours, counted from the observed `ON_DEMAND` runs.
pub fn on_demand_gate(runs: &[Run], now: i64) -> Result<(), String> {
    if let Some(run) = run_under_way(runs, now) {
        return Err(format!(
            "run {} is {}; SMS starts no on-demand run while another is under way",
            run.id, run.state
        ));
    }
    // A run without a scheduled time is counted: better one run too few than a refused call.
    let recent: Vec<Option<i64>> = runs
        .iter()
        .filter(|r| r.kind == RunType::OnDemand)
        .map(|r| r.scheduled)
        .filter(|t| t.is_none_or(|t| t > now - DAY_SECS))
        .collect();
    if recent.len() >= ON_DEMAND_RUNS_PER_DAY {
        let next = recent.iter().flatten().min().map_or_else(
            || "later".to_owned(),
            |t| format!("after {}", fmt_time(t + DAY_SECS)),
        );
        return Err(format!(
            "{} on-demand runs in the last 24 h, the SMS limit is {ON_DEMAND_RUNS_PER_DAY}; the next is possible {next}",
            recent.len()
        ));
    }
    Ok(())
}

/// The first of `runs` under way (see `under_way`), if any.
pub fn run_under_way<'a>(runs: impl IntoIterator<Item = &'a Run>, now: i64) -> Option<&'a Run> {
    runs.into_iter().find(|r| under_way(r, now))
}

/// Whether `run` is under way, which holds both an on-demand run and the resume of a paused
/// job: it is `ACTIVE`, or `PENDING` and either on demand (already asked for; SMS starts it
/// immediately) or due (SMS starts it, or skips it to the next interval, any moment now). A
/// recurring job lists its next scheduled run as `PENDING`; until it is due that one is not
/// under way, and counting it would refuse every on-demand run and never resume a paused job.
fn under_way(run: &Run, now: i64) -> bool {
    match run.state {
        RunState::Active => true,
        RunState::Pending => {
            run.kind != RunType::Automatic || run.scheduled.is_none_or(|t| t <= now)
        }
        _ => false,
    }
}

/// `FAILED` runs newer than the newest `COMPLETED` one; missed and deleted runs neither count
/// nor break the streak.
pub fn consecutive_failures(runs: &[Run]) -> u32 {
    let mut count = 0;
    for run in newest_first(runs) {
        match run.state {
            RunState::Failed => count += 1,
            RunState::Completed => break,
            _ => {}
        }
    }
    count
}

/// The newest `FAILED` run.
pub fn latest_failure(runs: &[Run]) -> Option<&Run> {
    newest_first(runs)
        .into_iter()
        .find(|r| r.state == RunState::Failed)
}

/// When a failed run ended, or when it was scheduled if SMS gives no completion time.
fn failed_at(run: &Run) -> Option<i64> {
    run.completed.or(run.scheduled)
}

/// The job's status message and the latest failed run's, with its stage: the text the console
/// shows as the reason for the failure.
pub fn root_cause(job: &Job, runs: &[Run]) -> String {
    let mut parts = Vec::new();
    if let Some(msg) = job.status_message.as_deref().filter(|m| !m.is_empty()) {
        parts.push(format!("job: {msg}"));
    }
    let own = latest_failure(runs);
    if let Some(run) = own.or_else(|| latest_failure(&job.runs)) {
        let when = failed_at(run).map(|t| format!(" at {}", fmt_time(t)));
        let stage = run.stage.as_deref().map(|s| format!(" in stage {s}"));
        parts.push(format!(
            "latest failed run {}{}{}: {}",
            run.id,
            when.unwrap_or_default(),
            stage.unwrap_or_default(),
            run.status_message.as_deref().unwrap_or("no status message")
        ));
    }
    if parts.is_empty() {
        "SMS gave no status message".to_owned()
    } else {
        parts.join("; ")
    }
}

/// Runs ordered newest first by scheduled (else completed) time; runs without either are taken
/// as the newest, since SMS leaves times unset only on runs that have not started.
fn newest_first(runs: &[Run]) -> Vec<&Run> {
    let mut sorted: Vec<&Run> = runs.iter().collect();
    sorted.sort_by_key(|r| std::cmp::Reverse(r.scheduled.or(r.completed).unwrap_or(i64::MAX)));
    sorted
}
