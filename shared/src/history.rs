//! Run history: every report stored as one JSON object in S3, one object per run under
//! `{HISTORY_PREFIX}{function}/{date}/{run}.json`, for Athena to query.
//!
//! An object is one line of JSON (the report with its `runId` and `time`), as the OpenX JSON SerDe
//! that Athena reads it with expects one record per line ["JSON SerDe libraries", Amazon Athena].
//! A write that fails is logged and counted; it never changes the report or its publication.

use crate::clock::fmt_time;
use crate::config::{ConfigError, Env};
use crate::error::CallFailure;
use crate::report::RunReport;
use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;

/// `HISTORY_PREFIX` when unset.
pub const DEFAULT_PREFIX: &str = "history/";

/// The bucket and prefix runs are stored under (`HISTORY_BUCKET`, `HISTORY_PREFIX`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLocation {
    bucket: String,
    prefix: String,
}

impl HistoryLocation {
    /// Reads `HISTORY_BUCKET` (unset or blank: no history) and `HISTORY_PREFIX`.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let Some(bucket) = env.optional("HISTORY_BUCKET") else {
            return Ok(None);
        };
        if !is_bucket_name(&bucket) {
            return Err(ConfigError::new(
                "HISTORY_BUCKET",
                format!(
                    "`{bucket}` is not an S3 bucket name (3 to 63 lowercase letters, digits, \
                     dots and hyphens, beginning and ending with a letter or digit)"
                ),
            ));
        }
        let prefix = env
            .optional("HISTORY_PREFIX")
            .unwrap_or_else(|| DEFAULT_PREFIX.to_owned());
        if prefix.starts_with('/') || !prefix.chars().all(is_safe_key_char) {
            return Err(ConfigError::new(
                "HISTORY_PREFIX",
                format!(
                    "`{prefix}` is not a key prefix (letters, digits and !-_.*'()/, not \
                     beginning with /)"
                ),
            ));
        }
        let prefix = if prefix.ends_with('/') {
            prefix
        } else {
            format!("{prefix}/")
        };
        Ok(Some(Self { bucket, prefix }))
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key of `function`'s run `run_id` at `time` (epoch seconds):
    /// `{prefix}{function}/{YYYY-MM-DD}/{run_id}.json`.
    pub fn key(&self, function: &str, time: i64, run_id: &str) -> String {
        let date = fmt_time(time).get(..10).unwrap_or("unknown").to_owned();
        format!("{}{function}/{date}/{run_id}.json", self.prefix)
    }
}

/// General purpose bucket names: 3 to 63 characters, lowercase letters, digits, dots and hyphens,
/// beginning and ending with a letter or digit, no two dots in a row, not an IP address, and none
/// of the prefixes and suffixes S3 reserves ["General purpose bucket naming rules", Amazon S3].
fn is_bucket_name(name: &str) -> bool {
    const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
    const RESERVED_SUFFIXES: [&str; 4] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3"];
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && edge(name.chars().next())
        && edge(name.chars().last())
        && !name.contains("..")
        && name.parse::<std::net::Ipv4Addr>().is_err()
        && !RESERVED_PREFIXES.iter().any(|p| name.starts_with(p))
        && !RESERVED_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// The characters S3 calls safe in object keys ["Naming Amazon S3 objects"].
fn is_safe_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!-_.*'()/".contains(c)
}

/// A run's id: its time and the Lambda request id, so keys sort by time and two runs in the same
/// second never share one (`20261202T011045Z-3f2b…`).
pub fn run_id(time: i64, request_id: &str) -> String {
    let stamp: String = fmt_time(time)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let request: String = request_id
        .chars()
        .filter(|&c| is_safe_key_char(c) && c != '/')
        .collect();
    format!("{stamp}-{request}")
}

/// One stored run: the report with its id and time.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRecord<'a> {
    /// The run's id, as in its key.
    pub run_id: &'a str,
    /// When it ran, RFC 3339.
    pub time: String,
    /// What it did.
    #[serde(flatten)]
    pub report: &'a RunReport,
}

/// A failed history write.
#[derive(Debug, thiserror::Error)]
#[error("storing the run in s3://{bucket}/{key} failed: {failure}")]
pub struct HistoryError {
    /// The bucket.
    pub bucket: String,
    /// The object's key.
    pub key: String,
    /// The S3 error.
    pub failure: CallFailure,
}

/// Stores runs in the history bucket.
#[derive(Debug, Clone)]
pub struct HistoryStore {
    s3: aws_sdk_s3::Client,
    location: HistoryLocation,
}

impl HistoryStore {
    /// A store writing to `location` through `s3`.
    pub fn new(s3: aws_sdk_s3::Client, location: HistoryLocation) -> Self {
        Self { s3, location }
    }

    /// Stores `report` as run `run_id` at `time`; returns its key.
    pub async fn store(
        &self,
        report: &RunReport,
        time: i64,
        run_id: &str,
    ) -> Result<String, HistoryError> {
        let key = self.location.key(&report.function, time, run_id);
        let record = HistoryRecord {
            run_id,
            time: fmt_time(time),
            report,
        };
        let failed = |failure| HistoryError {
            bucket: self.location.bucket.clone(),
            key: key.clone(),
            failure,
        };
        let body = serde_json::to_vec(&record).map_err(|e| {
            failed(CallFailure {
                class: crate::error::ErrorClass::Fatal,
                code: "Serialization".to_owned(),
                message: e.to_string(),
            })
        })?;
        self.s3
            .put_object()
            .bucket(&self.location.bucket)
            .key(&key)
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| failed(CallFailure::from_sdk(&e)))?;
        Ok(key)
    }
}

#[cfg(test)]
mod tests;
