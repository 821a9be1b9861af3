//! The run report: what each function did, to whom, and why it skipped the rest.
//!
//! The same report is the Lambda result and the body of the SNS message; [`crate::publish`]
//! sends it. This module is the model only: no I/O.

use crate::error::CallFailure;
use serde::{Deserialize, Serialize};

mod evidence;
pub use evidence::{EvidenceTotals, RecoveryEvidence};

/// SNS accepts at most 256 KiB per message, attributes and subject included.
pub const SNS_MESSAGE_LIMIT: usize = 256 * 1024;
/// SNS subjects must be shorter than 100 characters.
pub(crate) const SUBJECT_LIMIT: usize = 99;
/// Longest detail text kept per outcome; AWS messages can be long and reports must stay readable.
const DETAIL_LIMIT: usize = 1024;
/// Skips a report lists; the rest are counted in `counts.skipped` and `skipsNotListed`. Large
/// runs skip thousands of targets for a handful of reasons (already replicating, already
/// copied), and listing each one in every report costs memory, time and SNS parts for nothing;
/// plans record their skips in [`Skips`], which keeps only these.
pub const LISTED_SKIPS: usize = 500;
/// Most bytes of the report returned as the Lambda result. Lambda returns at most 6 MB, and a
/// Step Functions state passes on at most 256 KiB ["Lambda quotas"; "Step Functions service
/// quotas"]; a larger result would fail the invocation after its work was done. The SNS parts
/// carry every outcome; the result keeps the totals and what fits.
pub const RESULT_LIMIT: usize = 256 * 1024;

/// What happened to one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OutcomeResult {
    /// The action was carried out.
    Done,
    /// The target was already in the wanted state; nothing changed.
    Unchanged,
    /// Dry run: the action would have been carried out.
    Planned,
    /// The action failed.
    Failed,
}

/// The outcome of one planned action on one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetOutcome {
    /// The target's identifier (source server id, job id, recovery point and destination...).
    pub target: String,
    /// The action attempted, as the AWS operation name.
    pub action: String,
    /// How it ended.
    pub result: OutcomeResult,
    /// The target's state after the action, when AWS reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Extra detail: the AWS error, the new job id...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For failures: whether a later attempt may succeed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retryable: bool,
    /// The account of the fleet target it belongs to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The region of the fleet target it belongs to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// What a recovery launch measured, for the outcomes of launches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<RecoveryEvidence>,
}

impl TargetOutcome {
    /// A completed action.
    pub fn done(target: impl Into<String>, action: &str, state: Option<String>) -> Self {
        Self::new(target, action, OutcomeResult::Done, state, None)
    }

    /// An action that found the target already as wanted.
    pub fn unchanged(target: impl Into<String>, action: &str, why: impl Into<String>) -> Self {
        Self::new(
            target,
            action,
            OutcomeResult::Unchanged,
            None,
            Some(why.into()),
        )
    }

    /// An action a dry run would have carried out.
    pub fn planned(target: impl Into<String>, action: &str) -> Self {
        Self::new(target, action, OutcomeResult::Planned, None, None)
    }

    /// A failed action, keeping the AWS error and whether it is worth retrying.
    pub fn failed(target: impl Into<String>, action: &str, failure: &CallFailure) -> Self {
        let mut outcome = Self::new(
            target,
            action,
            OutcomeResult::Failed,
            None,
            Some(failure.to_string()),
        );
        outcome.retryable = failure.is_retryable();
        outcome
    }

    /// Adds what a recovery launch measured to the outcome.
    pub fn with_evidence(mut self, evidence: RecoveryEvidence) -> Self {
        self.evidence = Some(evidence);
        self
    }

    /// Adds a detail to the outcome.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(truncate(detail.into(), DETAIL_LIMIT));
        self
    }

    fn new(
        target: impl Into<String>,
        action: &str,
        result: OutcomeResult,
        state: Option<String>,
        detail: Option<String>,
    ) -> Self {
        Self {
            target: target.into(),
            action: action.to_owned(),
            result,
            state,
            detail: detail.map(|d| truncate(d, DETAIL_LIMIT)),
            retryable: false,
            account: None,
            region: None,
            evidence: None,
        }
    }
}

/// A target the plan left alone, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Skip {
    /// The target's identifier.
    pub target: String,
    /// Why nothing was done to it.
    pub reason: String,
    /// The account of the fleet target it belongs to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The region of the fleet target it belongs to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl Skip {
    /// A skipped target with its reason.
    pub fn new(target: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            target: target.into(),
            reason: truncate(reason.into(), DETAIL_LIMIT),
            account: None,
            region: None,
        }
    }
}

/// The targets a plan left alone: the first [`LISTED_SKIPS`] with their reasons, the rest only
/// counted, so a plan over a large fleet holds a bounded list however many targets it skips.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skips {
    listed: Vec<Skip>,
    not_listed: usize,
}

impl Skips {
    /// No skips yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a skipped target: listed while there is room, counted after that.
    pub fn push(&mut self, skip: Skip) {
        if self.listed.len() < LISTED_SKIPS {
            self.listed.push(skip);
        } else {
            self.not_listed += 1;
        }
    }

    /// Marks every skip listed as belonging to the fleet target `account` in `region`.
    fn place(&mut self, account: Option<&str>, region: Option<&str>) {
        for skip in &mut self.listed {
            skip.account = account.map(str::to_owned);
            skip.region = region.map(str::to_owned);
        }
    }

    /// Records `other`'s skips after these, as if each had been pushed here in turn.
    pub fn append(&mut self, other: Skips) {
        let room = LISTED_SKIPS - self.listed.len();
        let overflow = other.listed.len().saturating_sub(room);
        self.listed.extend(other.listed.into_iter().take(room));
        self.not_listed += overflow + other.not_listed;
    }

    /// The skips kept with their reasons, in the order they were recorded.
    pub fn listed(&self) -> &[Skip] {
        &self.listed
    }

    /// Every skip recorded, listed or not.
    pub fn total(&self) -> usize {
        self.listed.len() + self.not_listed
    }

    /// Whether nothing was skipped.
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }
}

impl Extend<Skip> for Skips {
    fn extend<I: IntoIterator<Item = Skip>>(&mut self, skips: I) {
        skips.into_iter().for_each(|skip| self.push(skip));
    }
}

impl FromIterator<Skip> for Skips {
    fn from_iter<I: IntoIterator<Item = Skip>>(skips: I) -> Self {
        let mut all = Self::new();
        all.extend(skips);
        all
    }
}

/// Totals over a run's outcomes and skips.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Actions carried out.
    pub done: usize,
    /// Targets already as wanted.
    pub unchanged: usize,
    /// Actions a dry run would carry out.
    pub planned: usize,
    /// Actions that failed.
    pub failed: usize,
    /// Failed actions that may succeed later.
    pub retryable: usize,
    /// Targets the plan left alone.
    pub skipped: usize,
}

impl Counts {
    /// The totals of these outcomes, with `skipped` targets left alone.
    fn of(outcomes: &[TargetOutcome], skipped: usize) -> Self {
        let mut counts = Self {
            skipped,
            ..Self::default()
        };
        for o in outcomes {
            match o.result {
                OutcomeResult::Done => counts.done += 1,
                OutcomeResult::Unchanged => counts.unchanged += 1,
                OutcomeResult::Planned => counts.planned += 1,
                OutcomeResult::Failed => {
                    counts.failed += 1;
                    counts.retryable += usize::from(o.retryable);
                }
            }
        }
        counts
    }
}

/// The overall result of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    /// Every action succeeded (or there was nothing to do).
    Succeeded,
    /// Some actions failed, others succeeded.
    PartiallyFailed,
    /// Every action failed.
    Failed,
    /// Dry run: nothing was changed.
    DryRun,
}

impl RunStatus {
    /// The status as reports and SNS attributes spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "SUCCEEDED",
            Self::PartiallyFailed => "PARTIALLY_FAILED",
            Self::Failed => "FAILED",
            Self::DryRun => "DRY_RUN",
        }
    }
}

impl RunStatus {
    /// The status of a run (or of one target's part) that was not stopped: from its counts.
    fn of(dry_run: bool, counts: &Counts) -> Self {
        if dry_run {
            Self::DryRun
        } else if counts.failed == 0 {
            Self::Succeeded
        } else if counts.done + counts.unchanged == 0 {
            Self::Failed
        } else {
            Self::PartiallyFailed
        }
    }
}

/// One fleet target's part of a run, as the report's `targets` section shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetSection {
    /// The target's account, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The target's region, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// How the target's part ended.
    pub status: RunStatus,
    /// The target's totals.
    pub counts: Counts,
    /// Why the target's part stopped before acting (its role or its read failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
}

/// What one target's part of a run came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetResult {
    /// It was observed and planned; these are its outcomes and skips.
    Ran {
        /// Outcomes, known ones first.
        outcomes: Vec<TargetOutcome>,
        /// Targets left alone.
        skips: Skips,
    },
    /// It stopped before acting.
    Stopped(RunError),
}

/// One target's part of a run, before it goes into the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRun {
    /// The target's account, when known.
    pub account: Option<String>,
    /// The target's region, when known.
    pub region: Option<String>,
    /// What it came to.
    pub result: TargetResult,
}

/// Which slice of a report an SNS message carries, when the whole report is over the size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// 1-based index of this part.
    pub index: usize,
    /// Number of parts.
    pub of: usize,
}

/// Everything a run did, as returned by the Lambda and published to SNS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    /// The function that ran.
    pub function: String,
    /// A one-line description of what triggered the run.
    pub trigger: String,
    /// Whether the run only planned.
    pub dry_run: bool,
    /// Overall result.
    pub status: RunStatus,
    /// Totals.
    pub counts: Counts,
    /// One entry per action attempted or planned.
    pub outcomes: Vec<TargetOutcome>,
    /// One entry per target left alone, the first [`LISTED_SKIPS`] of them.
    pub skips: Vec<Skip>,
    /// Skipped targets beyond [`LISTED_SKIPS`], counted but not listed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skips_not_listed: usize,
    /// Outcomes counted but not listed: only in a Lambda result cut to [`RESULT_LIMIT`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub outcomes_not_listed: usize,
    /// Set when the run stopped before acting, e.g. because observing AWS failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
    /// Set on SNS messages that carry only part of a large report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<Part>,
    /// One section per fleet target the run covered, in fleet order.
    #[serde(default)]
    pub targets: Vec<TargetSection>,
    /// The totals of the recovery evidence the outcomes carry, when any does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<EvidenceTotals>,
}

/// Why a run stopped before acting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunError {
    /// What failed, naming the AWS operation and its error.
    pub message: String,
    /// Whether running again later may succeed.
    pub retryable: bool,
}

impl RunError {
    /// A run (or a target's part) stopped because `during` failed with `failure`; nothing was
    /// changed.
    pub fn stopped(during: &str, failure: &CallFailure) -> Self {
        Self {
            message: truncate(format!("{during} failed: {failure}"), DETAIL_LIMIT),
            retryable: failure.is_retryable(),
        }
    }
}

impl RunReport {
    /// Builds a report, deriving counts and status from the outcomes.
    pub fn new(
        function: &str,
        trigger: impl Into<String>,
        dry_run: bool,
        outcomes: Vec<TargetOutcome>,
        skips: Skips,
    ) -> Self {
        let counts = Counts::of(&outcomes, skips.total());
        let status = RunStatus::of(dry_run, &counts);
        let evidence = EvidenceTotals::of(&outcomes);
        Self {
            function: function.to_owned(),
            trigger: trigger.into(),
            dry_run,
            status,
            counts,
            outcomes,
            skips: skips.listed,
            skips_not_listed: skips.not_listed,
            outcomes_not_listed: 0,
            error: None,
            part: None,
            targets: Vec::new(),
            evidence,
        }
    }

    /// The report of a run over fleet targets: the run's own `skips` (of the delivery) first,
    /// then each target's outcomes and skips marked with its account and region, a section per
    /// target, and fleet totals. A target that stopped makes the run partly failed, or failed
    /// when nothing else succeeded; when every target stopped, `error` says why.
    pub fn of_fleet(
        function: &str,
        trigger: impl Into<String>,
        dry_run: bool,
        skips: Skips,
        runs: Vec<TargetRun>,
    ) -> Self {
        let mut outcomes = Vec::new();
        let mut all_skips = skips;
        let mut sections = Vec::with_capacity(runs.len());
        let mut stopped = Vec::new();
        let mut clean_targets = 0;
        for run in runs {
            let (account, region) = (run.account.as_deref(), run.region.as_deref());
            let (counts, status, error) = match run.result {
                TargetResult::Ran {
                    outcomes: mut ran,
                    mut skips,
                } => {
                    let counts = Counts::of(&ran, skips.total());
                    clean_targets += usize::from(counts.failed == 0);
                    for o in &mut ran {
                        o.account = run.account.clone();
                        o.region = run.region.clone();
                    }
                    skips.place(account, region);
                    outcomes.append(&mut ran);
                    all_skips.append(skips);
                    (counts, RunStatus::of(dry_run, &counts), None)
                }
                TargetResult::Stopped(error) => {
                    stopped.push(format!(
                        "{}/{}: {}",
                        account.unwrap_or("home account"),
                        region.unwrap_or("home region"),
                        error.message
                    ));
                    let status = RunStatus::Failed;
                    (Counts::default(), status, Some(error))
                }
            };
            sections.push(TargetSection {
                account: run.account,
                region: run.region,
                status,
                counts,
                error,
            });
        }
        let mut report = Self::new(function, trigger, dry_run, outcomes, all_skips);
        let errors: Vec<&RunError> = sections.iter().filter_map(|s| s.error.as_ref()).collect();
        if !errors.is_empty() {
            let succeeded_somewhere =
                report.counts.done + report.counts.unchanged > 0 || clean_targets > 0;
            if errors.len() == sections.len() {
                report.error = Some(match errors.as_slice() {
                    [only] => (*only).clone(),
                    all => RunError {
                        message: truncate(
                            format!("every target stopped: {}", stopped.join("; ")),
                            DETAIL_LIMIT,
                        ),
                        retryable: all.iter().any(|e| e.retryable),
                    },
                });
            }
            if errors.len() == sections.len() {
                report.status = RunStatus::Failed;
            } else if !dry_run {
                report.status = if succeeded_somewhere {
                    RunStatus::PartiallyFailed
                } else {
                    RunStatus::Failed
                };
            }
        }
        report.targets = sections;
        report
    }

    /// The report within `limit` bytes of JSON: whole when it fits, otherwise its first outcomes
    /// and skips that fit, the rest counted in `outcomesNotListed` and `skipsNotListed`; the
    /// counts and status always describe the whole run.
    pub fn within(mut self, limit: usize) -> Self {
        if to_json(&self).len() <= limit {
            return self;
        }
        let outcomes = std::mem::take(&mut self.outcomes);
        let skips = std::mem::take(&mut self.skips);
        // Room for the counters with large numbers.
        let mut base = self.clone();
        base.outcomes_not_listed = usize::MAX;
        base.skips_not_listed = usize::MAX;
        let mut budget = limit.saturating_sub(to_json(&base).len());
        let mut fits = |size: usize| {
            let fits = size < budget;
            if fits {
                budget -= size + 1;
            }
            fits
        };
        let kept: Vec<TargetOutcome> = outcomes
            .iter()
            .take_while(|o| fits(to_json(o).len()))
            .cloned()
            .collect();
        self.outcomes_not_listed = outcomes.len() - kept.len();
        self.outcomes = kept;
        let kept: Vec<Skip> = if self.outcomes_not_listed == 0 {
            skips
                .iter()
                .take_while(|s| fits(to_json(s).len()))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        self.skips_not_listed += skips.len() - kept.len();
        self.skips = kept;
        self
    }

    /// True when some failure may succeed on a later attempt, so the invocation should fail
    /// and let Lambda retry or dead-letter the event.
    pub fn has_retryable_failures(&self) -> bool {
        self.counts.retryable > 0
            || self.error.as_ref().is_some_and(|e| e.retryable)
            || self
                .targets
                .iter()
                .any(|t| t.error.as_ref().is_some_and(|e| e.retryable))
    }

    /// The sections of targets whose part failed.
    pub fn failed_targets(&self) -> usize {
        self.targets
            .iter()
            .filter(|t| t.status == RunStatus::Failed)
            .count()
    }

    /// A readable one-line summary, ASCII, shorter than 100 characters (an SNS subject).
    pub fn subject(&self) -> String {
        let c = &self.counts;
        let mut s = if self.dry_run {
            format!(
                "{} dry run: {} planned, {} skipped",
                self.function, c.planned, c.skipped
            )
        } else {
            format!(
                "{} {}: {} done, {} unchanged, {} failed, {} skipped",
                self.function,
                self.status.as_str(),
                c.done,
                c.unchanged,
                c.failed,
                c.skipped
            )
        };
        if self.targets.len() > 1 {
            s.push_str(&format!(" in {} targets", self.targets.len()));
        }
        s.retain(|ch| ch.is_ascii() && !ch.is_ascii_control());
        truncate(s, SUBJECT_LIMIT)
    }

    /// The SNS message bodies for this report: one, or several parts when it is over `limit` bytes.
    pub fn message_bodies(&self, limit: usize) -> Vec<String> {
        let whole = to_json(self);
        if whole.len() <= limit {
            return vec![whole];
        }
        let mut empty = self.clone();
        empty.outcomes.clear();
        empty.skips.clear();
        // Room for the part marker with large numbers.
        empty.part = Some(Part {
            index: usize::MAX,
            of: usize::MAX,
        });
        let base = to_json(&empty).len();
        let budget = limit.saturating_sub(base).max(1);

        let mut parts: Vec<RunReport> = Vec::new();
        let mut current = empty.clone();
        let mut used = 0;
        let items = self
            .outcomes
            .iter()
            .map(|o| (Some(o), None))
            .chain(self.skips.iter().map(|s| (None, Some(s))));
        for (outcome, skip) in items {
            let size = outcome
                .map(to_json)
                .or_else(|| skip.map(to_json))
                .map_or(0, |j| j.len())
                + 1;
            if used > 0 && used + size > budget {
                parts.push(std::mem::replace(&mut current, empty.clone()));
                used = 0;
            }
            used += size;
            if let Some(o) = outcome {
                current.outcomes.push(o.clone());
            }
            if let Some(s) = skip {
                current.skips.push(s.clone());
            }
        }
        parts.push(current);
        let of = parts.len();
        parts
            .into_iter()
            .enumerate()
            .map(|(i, mut p)| {
                p.part = Some(Part { index: i + 1, of });
                to_json(&p)
            })
            .collect()
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("report types always serialise")
}

/// Cuts `s` to at most `max` bytes on a character boundary, marking the cut with `...`.
pub(crate) fn truncate(mut s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut end = max.saturating_sub(3);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push_str("...");
    s
}

#[cfg(test)]
mod tests;
