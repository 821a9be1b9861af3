//! Benchmarks of the function binaries: cold start, fan-out throughput, memory and size.
//!
//! Every subject — a function's bootstrap, the hello-world floor ([`FLOOR`]) or a Python boto3
//! peer under `tools/bench/` — is started the way Lambda starts it ([`process`]) against a local
//! Runtime API (`dr_e2e::RuntimeApi`) and the in-process emulator, and measured the same way
//! ([`measure`]). [`suite`] runs the scenarios ([`fleet`] the one over many accounts, [`drill`]
//! the DRS drill, [`mgn`] the MGN reconcile, [`evidence`] the cost of run history and metrics)
//! and [`table`] turns them into the Markdown table
//! `make bench` prints and writes to `target/bench/results.md`. Nothing here asserts on time:
//! targets are reported as met or missed.

pub mod drill;
pub mod evidence;
pub mod fleet;
pub mod measure;
pub mod mgn;
pub mod process;
pub mod suite;
pub mod table;

use std::time::Duration;

/// The binary of the hello-world floor, built from `src/bin/hello.rs`.
pub const FLOOR: &str = "hello";

/// Why a benchmark could not produce its figures.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A binary or tool the benchmark runs is not there.
    #[error("{0}")]
    Missing(String),
    /// The Runtime API harness failed (timeout, init error, server stopped).
    #[error("{subject}: {source}")]
    Harness {
        /// The subject being measured.
        subject: String,
        /// The harness failure.
        #[source]
        source: dr_e2e::HarnessError,
    },
    /// The function answered with an error instead of a result.
    #[error("{subject}: the invocation failed: {error_type}: {error_message}")]
    Invocation {
        /// The subject being measured.
        subject: String,
        /// `errorType` as reported.
        error_type: String,
        /// `errorMessage` as reported.
        error_message: String,
    },
    /// The run completed but did not do the job it is measured on.
    #[error("{subject}: {what}")]
    WrongWork {
        /// The subject being measured.
        subject: String,
        /// What differed from the expected work.
        what: String,
    },
    /// `/proc/<pid>/status` could not be read or has no `VmHWM`.
    #[error("{subject}: no peak RSS in /proc/{pid}/status: {reason}")]
    Rss {
        /// The subject being measured.
        subject: String,
        /// Its process id.
        pid: u32,
        /// What went wrong.
        reason: String,
    },
    /// The emulator refused a fault rule.
    #[error(transparent)]
    Fault(#[from] dr_emulator::faults::FaultRuleError),
    /// Starting a server or process, or writing results, failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The median and 90th percentile of some samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The middle sample (the lower of the two middle ones for an even count).
    pub median: f64,
    /// The sample 90 % of the others are at or below (nearest rank).
    pub p90: f64,
}

impl Summary {
    /// Summarises `samples`; `None` when there are none.
    pub fn of(samples: &[f64]) -> Option<Self> {
        let mut sorted: Vec<f64> = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let rank = |q: f64| {
            let index = ((q * sorted.len() as f64).ceil() as usize).saturating_sub(1);
            sorted.get(index).copied()
        };
        Some(Self {
            median: rank(0.5)?,
            p90: rank(0.9)?,
        })
    }

    /// Summarises durations in milliseconds.
    pub fn of_millis(samples: &[Duration]) -> Option<Self> {
        let millis: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        Self::of(&millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p90_by_nearest_rank() {
        let samples: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(
            Summary::of(&samples),
            Some(Summary {
                median: 5.0,
                p90: 9.0
            })
        );
        assert_eq!(
            Summary::of(&[3.0]),
            Some(Summary {
                median: 3.0,
                p90: 3.0
            })
        );
        assert_eq!(Summary::of(&[]), None);
    }
}
