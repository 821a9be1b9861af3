//! The evidence scenario: what run history and the metrics lines cost a run.
//!
//! `drs-start-replication` starts the same servers of one account, cold, with `HISTORY_BUCKET`
//! set (the report is also stored in the emulator's S3 bucket) and without it, the two kinds of
//! run taking turns so background noise spreads evenly. Metrics are written by every run, so
//! their cost is not a difference of two runs: the scenario reports what a run writes (EMF lines
//! and bytes on stdout, read back from its log) beside the history object it stores. No latency
//! is injected: the difference is the function's own work for the history (serialising, hashing
//! and sending the report) and the emulator's service time of the `PutObject`, which is reported
//! too; in AWS one PutObject round trip adds to it.

use crate::measure::{self, Run, RunSpec};
use crate::process::Subject;
use crate::suite::{drs_env, drs_fixture, Settings};
use crate::{BenchError, Summary};
use dr_emulator::{Config, Emulator, S3Bucket};
use std::path::Path;
use std::time::Duration;

/// The function the scenario runs.
pub const FUNCTION: &str = "drs-start-replication";
/// The history bucket, as the demo names it.
pub const BUCKET: &str = "dr-automation-history";
/// The operation the history write is counted as.
const PUT_OBJECT: &str = "s3:PutObject";
/// Where the function's history objects go (`HISTORY_PREFIX` is left at its default).
const PREFIX: &str = "history/drs-start-replication/";

/// The size of the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Source servers in the account.
    pub servers: usize,
    /// Of which this many start (each one an outcome in the report).
    pub may_start: usize,
    /// Timed runs of each kind, after one untimed warm-up of each.
    pub runs: usize,
}

/// The figures of one kind of run.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    /// First `next` → response, ms.
    pub wall: Summary,
    /// Peak RSS of the process, KiB.
    pub peak_rss_kib: Summary,
}

/// What the metrics and the history of one run weigh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// EMF lines on stdout (lines that are JSON objects with `_aws`).
    pub emf_lines: usize,
    /// Their bytes, newlines included.
    pub emf_bytes: usize,
    /// Bytes of the history object stored (0 without history).
    pub history_bytes: usize,
}

/// The evidence scenario's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceBench {
    /// Its size.
    pub shape: Shape,
    /// Runs with `HISTORY_BUCKET` set.
    pub with: Side,
    /// Runs without it.
    pub without: Side,
    /// What a run with history wrote.
    pub written: Written,
    /// The emulator's service time of one `PutObject`, ms (the write's share outside the
    /// function).
    pub put_service: Summary,
}

/// One cold run, checked for its work: `may_start` servers done, and exactly one history object
/// (one `PutObject`) with history, none without.
async fn one_run(
    settings: &Settings,
    emulator: &Emulator,
    subject: &Subject,
    env: &[(String, String)],
    history: bool,
) -> Result<(Run, Written, Duration), BenchError> {
    emulator.reset();
    let kind = if history { "with" } else { "without" };
    let log = settings
        .out_dir
        .join("logs")
        .join(format!("evidence-{kind}-history.log"));
    let spec = RunSpec {
        endpoint: emulator.endpoint_url(),
        env: env.to_vec(),
        event: dr_e2e::sample_event(&format!("{FUNCTION}/scheduled-event.json"))
            .map_err(BenchError::Missing)?,
        invocations: 1,
        timeout: Duration::from_secs(600),
        log: log.clone(),
    };
    let run = measure::run(subject, &spec, |_| {}).await?;
    let wrong = |what: String| BenchError::WrongWork {
        subject: format!("{} ({kind} history)", subject.name),
        what,
    };
    let want = u64::try_from(settings.evidence.may_start).unwrap_or(u64::MAX);
    let done = run.answers.first().and_then(measure::done);
    if done != Some(want) {
        return Err(wrong(format!("reported {done:?} servers done, not {want}")));
    }
    let puts = emulator.calls(PUT_OBJECT);
    let objects = emulator.s3_objects(BUCKET, PREFIX).unwrap_or_default();
    let expected = u64::from(history);
    if puts != expected || objects.len() as u64 != expected {
        return Err(wrong(format!(
            "made {puts} PutObject calls and stored {} history objects, not {expected}",
            objects.len()
        )));
    }
    let written = written(&log, objects.first().map_or(0, |o| o.size))?;
    if written.emf_lines == 0 {
        return Err(wrong("wrote no EMF line on stdout".to_owned()));
    }
    Ok((run, written, emulator.service_time(PUT_OBJECT)))
}

/// The EMF lines and bytes of a run's log, and the history object's size.
fn written(log: &Path, history_bytes: usize) -> Result<Written, BenchError> {
    let text = std::fs::read_to_string(log)?;
    let lines = dr_e2e::emf_lines(&text);
    Ok(Written {
        emf_lines: lines.len(),
        emf_bytes: lines.iter().map(|l| l.len() + 1).sum(),
        history_bytes,
    })
}

fn side(runs: &[Run], subject: &str) -> Result<Side, BenchError> {
    let missing = || BenchError::WrongWork {
        subject: subject.to_owned(),
        what: "no run was measured".to_owned(),
    };
    let wall: Vec<Duration> = runs.iter().map(Run::busy).collect();
    let rss: Vec<f64> = runs.iter().map(|r| r.peak_rss_kib as f64).collect();
    Ok(Side {
        wall: Summary::of_millis(&wall).ok_or_else(missing)?,
        peak_rss_kib: Summary::of(&rss).ok_or_else(missing)?,
    })
}

/// Measures runs with and without history, taking turns.
pub async fn evidence(settings: &Settings) -> Result<EvidenceBench, BenchError> {
    let shape = settings.evidence;
    let subject = Subject::binary(
        FUNCTION,
        dr_e2e::function_binary(FUNCTION, &settings.profile).map_err(BenchError::Missing)?,
    );
    let (mut fixture, quota) = drs_fixture(shape.servers, shape.may_start);
    // The bucket as the template creates it: SSE-KMS with the stack key, versioned.
    fixture.s3.buckets = vec![S3Bucket {
        kms_key_id: Some(
            "arn:aws:kms:us-east-1:123456789012:key/5e8a9b1c-2d3f-4a6b-9c7d-0e1f2a3b4c5d"
                .to_owned(),
        ),
        versioning: true,
        ..S3Bucket::new(BUCKET)
    }];
    let emulator = Emulator::start(Config::new(fixture)).await?;
    let without_env = drs_env(settings, quota);
    let mut with_env = without_env.clone();
    with_env.push(("HISTORY_BUCKET".to_owned(), BUCKET.to_owned()));
    let (mut with, mut without) = (Vec::new(), Vec::new());
    let mut written = None;
    let mut put_service = Vec::new();
    for rep in 0..=shape.runs {
        let (run, w, service) = one_run(settings, &emulator, &subject, &with_env, true).await?;
        let (plain, _, _) = one_run(settings, &emulator, &subject, &without_env, false).await?;
        if rep > 0 {
            with.push(run);
            without.push(plain);
            put_service.push(service);
            written = Some(w);
        }
    }
    let unmeasured = || BenchError::WrongWork {
        subject: FUNCTION.to_owned(),
        what: "no run was measured".to_owned(),
    };
    let written = written.ok_or_else(unmeasured)?;
    Ok(EvidenceBench {
        shape,
        with: side(&with, FUNCTION)?,
        without: side(&without, FUNCTION)?,
        written,
        put_service: Summary::of_millis(&put_service).ok_or_else(unmeasured)?,
    })
}
