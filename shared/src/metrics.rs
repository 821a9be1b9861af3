//! Run metrics in CloudWatch embedded metric format (EMF): one JSON line per run on stdout, which
//! Lambda sends to CloudWatch Logs and CloudWatch Logs turns into metrics, with no API call
//! ["Using the embedded metric format with Lambda"; "Specification: Embedded metric format"].
//!
//! A run writes a fleet line (dimension `Function`), and for a fleet of more than one target one
//! line per target (`Function`, `Account`, `Region`). Alarms cannot use SEARCH, so the fleet line
//! is the fixed metric they watch; the per-target lines serve dashboards.
//!
//! This module is the model: [`Measures`] and the lines they become. Writing them is
//! [`MetricsSink`]'s one `println!`.

use crate::config::{ConfigError, Env};
use crate::report::{Counts, RunReport};
use serde_json::{json, Map, Value};
use std::sync::{Arc, Mutex};

/// `METRICS_NAMESPACE` when unset.
pub const DEFAULT_NAMESPACE: &str = "DrAutomation";
/// The spec allows at most 100 metrics per directive and 100 values per metric.
const EMF_LIMIT: usize = 100;
/// The `Account` or `Region` of a target that names none.
const HOME: &str = "home";
/// The longest namespace CloudWatch accepts (`Metric.Namespace`, 1 to 255 characters).
const NAMESPACE_LIMIT: usize = 255;

/// A CloudWatch unit, of the ones the EMF specification lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A number of things.
    Count,
    /// A duration.
    Seconds,
    /// A share of 100.
    Percent,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Seconds => "Seconds",
            Self::Percent => "Percent",
        }
    }
}

/// How the fleet line combines one measure of every target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Across {
    /// Added up: servers, copies, outcomes.
    Sum,
    /// The largest: lag, age.
    Max,
    /// The smallest: coverage, so the fleet shows its worst target.
    Min,
    /// Every value kept: measured recovery times.
    Each,
}

/// One named measurement of a target.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// The metric's name.
    pub name: String,
    /// Its unit.
    pub unit: Unit,
    /// Its values: one, or several for [`Across::Each`].
    pub values: Vec<f64>,
    /// How targets combine on the fleet line.
    pub across: Across,
}

/// What a function measured in one target, in the order it measured them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measures(Vec<Measure>);

impl Measures {
    /// Nothing measured yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A number of things, added up across the fleet.
    pub fn count(&mut self, name: impl Into<String>, n: usize) -> &mut Self {
        self.push(name, Unit::Count, vec![as_value(n)], Across::Sum)
    }

    /// A largest value (lag, age), the fleet's largest; nothing when there is none.
    pub fn largest(
        &mut self,
        name: impl Into<String>,
        unit: Unit,
        value: Option<f64>,
    ) -> &mut Self {
        match value {
            Some(v) => self.push(name, unit, vec![v], Across::Max),
            None => self,
        }
    }

    /// A smallest value (coverage), the fleet's smallest; nothing when there is none.
    pub fn smallest(
        &mut self,
        name: impl Into<String>,
        unit: Unit,
        value: Option<f64>,
    ) -> &mut Self {
        match value {
            Some(v) => self.push(name, unit, vec![v], Across::Min),
            None => self,
        }
    }

    /// Every value of a measurement (recovery times); nothing when there is none.
    pub fn each(&mut self, name: impl Into<String>, unit: Unit, values: Vec<f64>) -> &mut Self {
        if values.is_empty() {
            return self;
        }
        self.push(name, unit, values, Across::Each)
    }

    /// How many of `seen` are in each state: `{prefix}{State}` for every state of `known`, zero
    /// included so a dashboard and an alarm see the state emptied, and for any other state seen.
    pub fn by_state(
        &mut self,
        prefix: &str,
        known: impl IntoIterator<Item = &'static str>,
        seen: impl IntoIterator<Item = &'static str>,
    ) -> &mut Self {
        let mut counts: Vec<(&str, usize)> = known.into_iter().map(|name| (name, 0)).collect();
        for name in seen {
            match counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => *count += 1,
                None => counts.push((name, 1)),
            }
        }
        for (name, count) in counts {
            self.count(format!("{prefix}{name}"), count);
        }
        self
    }

    /// The measures, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Measure> {
        self.0.iter()
    }

    fn push(
        &mut self,
        name: impl Into<String>,
        unit: Unit,
        values: Vec<f64>,
        across: Across,
    ) -> &mut Self {
        self.0.push(Measure {
            name: name.into(),
            unit,
            values,
            across,
        });
        self
    }

    /// The fleet's measures: each name's values over every target, combined as it says.
    fn combine<'a>(all: impl IntoIterator<Item = &'a Measures>) -> Self {
        let mut fleet: Vec<Measure> = Vec::new();
        for m in all.into_iter().flat_map(|m| m.0.iter()) {
            match fleet.iter_mut().find(|f| f.name == m.name) {
                None => fleet.push(m.clone()),
                Some(f) => {
                    let (a, b) = (f.values.first().copied(), m.values.first().copied());
                    match (f.across, a, b) {
                        (Across::Each, _, _) => f.values.extend(&m.values),
                        (Across::Sum, Some(a), Some(b)) => f.values = vec![a + b],
                        (Across::Max, Some(a), Some(b)) => f.values = vec![a.max(b)],
                        (Across::Min, Some(a), Some(b)) => f.values = vec![a.min(b)],
                        _ => {}
                    }
                }
            }
        }
        Self(fleet)
    }
}

/// `part` of `whole` in percent; 100 when nothing is expected, since nothing is missing.
pub fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        100.0 * as_value(part) / as_value(whole)
    }
}

/// A duration in seconds as a metric value; durations stay far below 2^53 seconds, where f64
/// is exact.
#[expect(
    clippy::cast_precision_loss,
    reason = "durations in seconds are far below 2^53"
)]
pub fn seconds(s: i64) -> f64 {
    s as f64
}

/// A number as a metric value. Counts stay far below 2^53, where f64 is exact.
#[expect(
    clippy::cast_precision_loss,
    reason = "counts of servers and copies are far below 2^53"
)]
fn as_value(n: usize) -> f64 {
    n as f64
}

/// The metrics of one run: the fleet's, and each target's when there are several.
#[derive(Debug, Clone, PartialEq)]
pub struct RunMetrics {
    /// The function's name, the `Function` dimension.
    pub function: String,
    /// The run's time, epoch seconds.
    pub time: i64,
    /// Whether a history write was attempted and failed; `None` when no history is kept.
    pub history_failed: Option<bool>,
    /// Each target's account, region and measures, in fleet order; empty for a single target.
    pub targets: Vec<TargetMetrics>,
    /// The measures of the whole fleet.
    pub fleet: Measures,
}

/// One target's line.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetMetrics {
    /// The `Account` dimension.
    pub account: String,
    /// The `Region` dimension.
    pub region: String,
    /// What was measured there, with the target's outcome counts.
    pub measures: Measures,
}

/// One fleet target's part, as the metrics see it.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetMeasured {
    /// The target's account, when known.
    pub account: Option<String>,
    /// The target's region, when known.
    pub region: Option<String>,
    /// The function's measures there; `None` when the target stopped before planning.
    pub measures: Option<Measures>,
}

impl RunMetrics {
    /// The metrics of `report`, run at `time`, from what each target measured (in the order of
    /// the report's `targets`), with a line per target (`per_target`) when the function serves a
    /// fleet of several: a run of one of them (a service event, or Step Functions mode) still writes its
    /// target's line. A target that names no account or region (the home target of a local run)
    /// is `home` in its dimensions.
    pub fn of(
        report: &RunReport,
        time: i64,
        measured: Vec<TargetMeasured>,
        per_target: bool,
    ) -> Self {
        let with_counts = |counts: &Counts, stopped: usize, measures: Option<&Measures>| {
            let mut all = Measures::new();
            all.count("ActionsDone", counts.done)
                .count("ActionsUnchanged", counts.unchanged)
                .count("ActionsPlanned", counts.planned)
                .count("ActionsFailed", counts.failed)
                .count("TargetsSkipped", counts.skipped)
                .count("TargetsStopped", stopped);
            if let Some(m) = measures {
                all.0.extend(m.0.iter().cloned());
            }
            all
        };
        let stopped = measured.iter().filter(|t| t.measures.is_none()).count();
        let mut fleet = Measures::new();
        fleet.count("Runs", 1);
        let combined = Measures::combine(measured.iter().filter_map(|t| t.measures.as_ref()));
        fleet
            .0
            .extend(with_counts(&report.counts, stopped, Some(&combined)).0);
        let targets = if per_target {
            measured
                .iter()
                .zip(&report.targets)
                .map(|(t, section)| TargetMetrics {
                    account: t.account.clone().unwrap_or_else(|| HOME.to_owned()),
                    region: t.region.clone().unwrap_or_else(|| HOME.to_owned()),
                    measures: with_counts(
                        &section.counts,
                        usize::from(t.measures.is_none()),
                        t.measures.as_ref(),
                    ),
                })
                .collect()
        } else {
            Vec::new()
        };
        Self {
            function: report.function.clone(),
            time,
            history_failed: None,
            targets,
            fleet,
        }
    }

    /// The EMF lines: the fleet's first, then each target's.
    pub fn lines(&self, namespace: &Namespace) -> Vec<String> {
        let mut fleet = self.fleet.clone();
        if let Some(failed) = self.history_failed {
            fleet.count("HistoryWriteFailures", usize::from(failed));
        }
        let mut lines = vec![self.line(namespace, &fleet, None)];
        lines.extend(
            self.targets
                .iter()
                .map(|t| self.line(namespace, &t.measures, Some((&t.account, &t.region)))),
        );
        lines
    }

    fn line(
        &self,
        namespace: &Namespace,
        measures: &Measures,
        target: Option<(&str, &str)>,
    ) -> String {
        let mut root = Map::new();
        root.insert("Function".into(), json!(self.function));
        let mut dimensions = vec!["Function"];
        if let Some((account, region)) = target {
            root.insert("Account".into(), json!(account));
            root.insert("Region".into(), json!(region));
            dimensions.extend(["Account", "Region"]);
        }
        let mut definitions = Vec::new();
        for m in measures.iter() {
            // The spec allows 100 values per metric: the largest are kept, the worst cases.
            let mut values = m.values.clone();
            values.sort_by(|a, b| b.total_cmp(a));
            values.truncate(EMF_LIMIT);
            let value = match values.as_slice() {
                [one] if m.across != Across::Each => json!(one),
                _ => json!(values),
            };
            root.insert(m.name.clone(), value);
            definitions
                .push(json!({"Name": m.name, "Unit": m.unit.as_str(), "StorageResolution": 60}));
        }
        let directives: Vec<Value> = definitions
            .chunks(EMF_LIMIT)
            .map(|chunk| {
                json!({
                    "Namespace": namespace.0,
                    "Dimensions": [dimensions],
                    "Metrics": chunk,
                })
            })
            .collect();
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": self.time.saturating_mul(1000),
                "CloudWatchMetrics": directives,
            }),
        );
        Value::Object(root).to_string()
    }
}

/// The CloudWatch namespace of the metrics (`METRICS_NAMESPACE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace(String);

impl Default for Namespace {
    fn default() -> Self {
        Self(DEFAULT_NAMESPACE.to_owned())
    }
}

impl Namespace {
    /// Reads `METRICS_NAMESPACE`: at most 255 characters not beginning with `:` ["Metric",
    /// CloudWatch API reference] of letters, digits and `._#:/-` (as the AWS EMF client libraries
    /// check it), and not in `AWS/`, which AWS keeps for its services' namespaces.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let Some(value) = env.optional("METRICS_NAMESPACE") else {
            return Ok(Self::default());
        };
        let valid = value.len() <= NAMESPACE_LIMIT
            && !value.starts_with(':')
            && !value.starts_with("AWS/")
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._#:/-".contains(c));
        if valid {
            Ok(Self(value))
        } else {
            Err(ConfigError::new(
                "METRICS_NAMESPACE",
                format!(
                    "`{value}` is not a namespace (at most 255 letters, digits and ._#:/-, \
                     not beginning with : or AWS/)"
                ),
            ))
        }
    }

    /// The namespace as CloudWatch shows it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where EMF lines go: stdout on Lambda, or kept for a test to read.
#[derive(Debug, Clone, Default)]
pub enum MetricsSink {
    /// One line each on stdout, which Lambda sends to CloudWatch Logs.
    #[default]
    Stdout,
    /// Kept in memory.
    Kept(Arc<Mutex<Vec<String>>>),
}

impl MetricsSink {
    /// Writes the lines.
    pub fn write(&self, lines: Vec<String>) {
        match self {
            Self::Stdout => {
                for line in lines {
                    println!("{line}");
                }
            }
            Self::Kept(kept) => {
                if let Ok(mut kept) = kept.lock() {
                    kept.extend(lines);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
