//! One measured run: start a subject cold, hand it its events, time and weigh it.
//!
//! The first event is queued before the process starts, as on Lambda, so the function picks it
//! up with its first `next`: exec → first `next` is the initialisation, exec → first response
//! the cold invocation. Later invocations are timed from their submission.

use crate::process::{Process, Subject};
use crate::BenchError;
use dr_e2e::{Invocation, RuntimeApi};
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What a run is given.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// `AWS_ENDPOINT_URL`: the emulator.
    pub endpoint: String,
    /// The scenario's configuration.
    pub env: Vec<(String, String)>,
    /// The event of every invocation.
    pub event: Value,
    /// How many invocations, one after the other, in the same process.
    pub invocations: usize,
    /// Longest wait for one answer.
    pub timeout: Duration,
    /// Where the subject's output goes.
    pub log: PathBuf,
}

/// What a run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Exec → first `next`.
    pub init: Duration,
    /// Exec → first response.
    pub first_response: Duration,
    /// Each invocation: first `next` → response for the first, submission → response after.
    pub invocations: Vec<Duration>,
    /// Each invocation's result.
    pub answers: Vec<Value>,
    /// Peak RSS over the whole run, KiB.
    pub peak_rss_kib: u64,
    /// Resident pages of mapped files (binary, libraries) at the end of the run, KiB.
    pub file_rss_kib: u64,
}

impl Run {
    /// The invocations' total wall time.
    pub fn busy(&self) -> Duration {
        self.invocations.iter().sum()
    }
}

/// Runs `subject` once, cold: `after(i)` is called after invocation `i` (to count calls or move
/// the emulator on before the next one).
pub async fn run(
    subject: &Subject,
    spec: &RunSpec,
    mut after: impl FnMut(usize),
) -> Result<Run, BenchError> {
    let harness = |source| BenchError::Harness {
        subject: subject.name.clone(),
        source,
    };
    let runtime = RuntimeApi::start(&subject.name).await.map_err(harness)?;
    let mut process = Process::spawn(subject, &runtime, &spec.endpoint, &spec.env, &spec.log)?;
    let mut invocations = Vec::with_capacity(spec.invocations);
    let mut answers = Vec::with_capacity(spec.invocations);
    let mut first = None;
    for i in 0..spec.invocations {
        let submitted = Instant::now();
        let answer = runtime
            .invoke(&spec.event, spec.timeout)
            .await
            .map_err(harness)?;
        let done = Instant::now();
        let value = match answer {
            Invocation::Response(value) => value,
            Invocation::Error {
                error_type,
                error_message,
            } => {
                return Err(BenchError::Invocation {
                    subject: subject.name.clone(),
                    error_type,
                    error_message,
                })
            }
        };
        let began = match (i, runtime.first_next_at()) {
            (0, Some(next)) => {
                first = Some((next, done));
                next
            }
            _ => submitted,
        };
        invocations.push(done.saturating_duration_since(began));
        answers.push(value);
        after(i);
    }
    if process.exited() {
        return Err(BenchError::WrongWork {
            subject: subject.name.clone(),
            what: "the process exited during the run".to_owned(),
        });
    }
    let memory = process.memory()?;
    let (next, done) = first.ok_or_else(|| BenchError::WrongWork {
        subject: subject.name.clone(),
        what: "no invocation was made".to_owned(),
    })?;
    Ok(Run {
        init: next.saturating_duration_since(process.started_at),
        first_response: done.saturating_duration_since(process.started_at),
        invocations,
        answers,
        peak_rss_kib: memory.peak_rss_kib,
        file_rss_kib: memory.file_rss_kib,
    })
}

/// `counts.done` of a run report (the Rust functions' and the Python peers' alike).
pub fn done(answer: &Value) -> Option<u64> {
    answer.pointer("/counts/done").and_then(Value::as_u64)
}
