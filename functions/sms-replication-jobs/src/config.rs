//! The function's configuration, read from environment variables once at cold start.
//!
//! The replication jobs to create come from one JSON document in `SMS_JOBS`:
//! `{"defaults": {...}, "jobs": [{"serverId": "s-..."}, {"vmName": "web-1", "frequency": 6}]}`.
//! Every option is named after the `CreateReplicationJob` request member it sets.

use crate::model::{JobOptions, License};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use dr_core::arn::Arn;
use dr_core::config::{ConfigError, Env};
use dr_core::settings::Settings;
use serde::Deserialize;
use serde_json::Value;

/// The variable holding the job list.
pub const JOBS_VAR: &str = "SMS_JOBS";
/// The furthest ahead SMS accepts a seed replication time.
pub const MAX_SEED_AHEAD_SECS: i64 = 30 * 86_400;
/// Replication frequencies SMS offers, in hours.
pub const FREQUENCY_HOURS: std::ops::RangeInclusive<i32> = 1..=24;

/// How a configured entry names its server in the `GetServers` catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerRef {
    /// The catalog's server id (`s-...`).
    Id(String),
    /// The VM name, case-insensitive.
    VmName(String),
    /// A hostname: compared, case-insensitively, with the VM name, whole or by its first label.
    Hostname(String),
    /// The full VM path, e.g. `/Datacenters/DC1/vm/web-1`.
    VmPath(String),
}

impl ServerRef {
    /// How the entry reads in reports, e.g. `vmName=web-1`.
    pub fn describe(&self) -> String {
        match self {
            Self::Id(id) => id.clone(),
            Self::VmName(n) => format!("vmName={n}"),
            Self::Hostname(h) => format!("hostname={h}"),
            Self::VmPath(p) => format!("vmPath={p}"),
        }
    }
}

/// When the first replication run starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedTime {
    /// As soon as the job is created.
    Now,
    /// At this time (epoch seconds); a time already past means now.
    At(i64),
    /// This many seconds after the job is created.
    After(i64),
}

/// How a job paused on failure is resumed once the cool-down has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeWith {
    /// `StartOnDemandReplicationRun`, within the on-demand run limits.
    OnDemandRun,
    /// `UpdateReplicationJob` with a new `nextReplicationRunStartTime`.
    Reschedule,
}

/// What to do about a job SMS paused after consecutive failed runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailurePolicy {
    /// Seconds to wait after the latest failed run before resuming.
    pub cool_down_secs: i64,
    /// How to resume.
    pub resume_with: ResumeWith,
    /// Consecutive failed runs after which resuming stops and the job is escalated.
    pub max_consecutive_failures: u32,
}

impl Default for FailurePolicy {
    fn default() -> Self {
        Self {
            cool_down_secs: 60 * 60,
            resume_with: ResumeWith::OnDemandRun,
            max_consecutive_failures: 5,
        }
    }
}

/// One replication job the configuration asks for, with defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    /// The server to replicate.
    pub server: ServerRef,
    /// `seedReplicationTime`.
    pub seed: SeedTime,
    /// The options passed as they are to `CreateReplicationJob`.
    pub options: JobOptions,
    /// The pause-on-failure policy.
    pub on_failure: FailurePolicy,
}

impl JobSpec {
    /// True for a one-time (`runOnce`) job, which SMS never pauses.
    pub fn is_one_time(&self) -> bool {
        self.options.run_once == Some(true)
    }
}

/// Everything the function is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsConfig {
    /// The settings every function has, with SMS's own `MAX_CONCURRENCY` bounds.
    pub settings: Settings,
    /// The jobs to create and look after, in configuration order.
    pub jobs: Vec<JobSpec>,
}

impl SmsConfig {
    /// Reads and validates the configuration; `now` (epoch seconds) bounds absolute seed times.
    pub fn from_env(env: &Env, now: i64) -> Result<Self, ConfigError> {
        let raw = env.required(JOBS_VAR)?;
        let jobs = parse_jobs(&raw, now).map_err(|reason| ConfigError::new(JOBS_VAR, reason))?;
        Ok(Self {
            // SMS rate limits are low: a handful of calls in flight is plenty, 50 at most.
            settings: Settings::with_concurrency(env, 4, 50)?,
            jobs,
        })
    }
}

/// The `SMS_JOBS` document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    #[serde(default)]
    defaults: Option<Value>,
    jobs: Vec<Value>,
}

/// One job entry or the defaults, exactly as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawEntry {
    server_id: Option<String>,
    vm_name: Option<String>,
    hostname: Option<String>,
    vm_path: Option<String>,
    seed_replication_time: Option<String>,
    frequency: Option<i32>,
    run_once: Option<bool>,
    license_type: Option<String>,
    role_name: Option<String>,
    description: Option<String>,
    number_of_recent_amis_to_keep: Option<i32>,
    encrypted: Option<bool>,
    kms_key_id: Option<String>,
    on_failure: Option<RawPolicy>,
}

/// The `onFailure` object, exactly as written.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawPolicy {
    cool_down_minutes: Option<u32>,
    resume_with: Option<RawResume>,
    max_consecutive_failures: Option<u32>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
enum RawResume {
    OnDemandRun,
    Reschedule,
}

/// Parses and validates the whole document; errors name the entry and field.
fn parse_jobs(raw: &str, now: i64) -> Result<Vec<JobSpec>, String> {
    let doc: RawDocument = serde_json::from_str(raw)
        .map_err(|e| format!("is not a JSON object with `jobs` (and optional `defaults`): {e}"))?;
    let defaults: RawEntry = match doc.defaults {
        None => RawEntry::default(),
        Some(v) => entry("defaults", v)?,
    };
    if defaults.server_id.is_some()
        || defaults.vm_name.is_some()
        || defaults.hostname.is_some()
        || defaults.vm_path.is_some()
    {
        return Err("defaults: names a server; servers belong in `jobs`".to_owned());
    }
    if doc.jobs.is_empty() {
        return Err("jobs: is empty; list at least one server to replicate".to_owned());
    }
    let mut specs: Vec<JobSpec> = Vec::with_capacity(doc.jobs.len());
    for (i, value) in doc.jobs.into_iter().enumerate() {
        let path = format!("jobs[{i}]");
        let job = entry(&path, value)?;
        let spec = merge(&path, job, &defaults, now)?;
        if let Some(first) = specs.iter().position(|s| s.server == spec.server) {
            return Err(format!(
                "{path}: names the same server as jobs[{first}] ({})",
                spec.server.describe()
            ));
        }
        specs.push(spec);
    }
    Ok(specs)
}

fn entry(path: &str, value: Value) -> Result<RawEntry, String> {
    serde_json::from_value(value).map_err(|e| format!("{path}: {e}"))
}

/// Applies the defaults to one entry and validates every option and their combinations.
fn merge(path: &str, job: RawEntry, defaults: &RawEntry, now: i64) -> Result<JobSpec, String> {
    let server = server_ref(path, &job)?;
    let err = |field: &str, why: String| format!("{path}.{field}: {why}");

    // Frequency and runOnce are one choice: a job that sets either replaces the default schedule.
    let (frequency, run_once) = if job.frequency.is_some() || job.run_once.is_some() {
        (job.frequency, job.run_once)
    } else {
        (defaults.frequency, defaults.run_once)
    };
    match (run_once, frequency) {
        (Some(true), Some(_)) => {
            return Err(err(
                "runOnce",
                "is true, which takes no frequency; remove one of them".to_owned(),
            ))
        }
        (Some(true), None) => {}
        (_, None) => {
            return Err(err(
                "frequency",
                "is required (hours between runs, 1 to 24) unless runOnce is true".to_owned(),
            ))
        }
        (_, Some(f)) if !FREQUENCY_HOURS.contains(&f) => {
            return Err(err(
                "frequency",
                format!("{f} is out of range (allowed 1 to 24 hours)"),
            ))
        }
        (_, Some(_)) => {}
    }

    let seed = match job
        .seed_replication_time
        .as_deref()
        .or(defaults.seed_replication_time.as_deref())
    {
        None => SeedTime::Now,
        Some(text) => parse_seed(text, now).map_err(|why| err("seedReplicationTime", why))?,
    };

    let license = match job
        .license_type
        .as_deref()
        .or(defaults.license_type.as_deref())
    {
        None | Some("auto") => License::Auto,
        Some("AWS") => License::Aws,
        Some("BYOL") => License::Byol,
        Some(other) => {
            return Err(err(
                "licenseType",
                format!("`{other}` is not AWS, BYOL or auto"),
            ))
        }
    };

    let role_name = job.role_name.or_else(|| defaults.role_name.clone());
    if let Some(role) = &role_name {
        check_role_name(role).map_err(|why| err("roleName", why))?;
    }
    let description = job.description.or_else(|| defaults.description.clone());
    if description.as_deref().is_some_and(|d| d.trim().is_empty()) {
        return Err(err("description", "is empty; omit it instead".to_owned()));
    }
    let amis_to_keep = job
        .number_of_recent_amis_to_keep
        .or(defaults.number_of_recent_amis_to_keep);
    if let Some(n) = amis_to_keep.filter(|n| *n < 0) {
        return Err(err(
            "numberOfRecentAmisToKeep",
            format!("{n} is negative (0 keeps every AMI)"),
        ));
    }

    // An explicit `encrypted: false` on the job also drops the default key.
    let encrypted = job.encrypted.or(defaults.encrypted);
    let kms_key_id = if job.encrypted == Some(false) {
        job.kms_key_id
    } else {
        job.kms_key_id.or_else(|| defaults.kms_key_id.clone())
    };
    if let Some(key) = &kms_key_id {
        if encrypted != Some(true) {
            return Err(err(
                "kmsKeyId",
                "is set but encrypted is not true; a KMS key applies only to encrypted AMIs"
                    .to_owned(),
            ));
        }
        check_kms_key(key).map_err(|why| err("kmsKeyId", why))?;
    }

    let on_failure = policy(
        path,
        job.on_failure.unwrap_or_default(),
        defaults.on_failure.unwrap_or_default(),
    )?;

    Ok(JobSpec {
        server,
        seed,
        options: JobOptions {
            frequency,
            run_once,
            license,
            role_name,
            description,
            amis_to_keep,
            encrypted,
            kms_key_id,
        },
        on_failure,
    })
}

fn server_ref(path: &str, job: &RawEntry) -> Result<ServerRef, String> {
    let given: Vec<ServerRef> = [
        job.server_id.clone().map(ServerRef::Id),
        job.vm_name.clone().map(ServerRef::VmName),
        job.hostname.clone().map(ServerRef::Hostname),
        job.vm_path.clone().map(ServerRef::VmPath),
    ]
    .into_iter()
    .flatten()
    .collect();
    let [server] = given.as_slice() else {
        return Err(format!(
            "{path}: give exactly one of serverId, vmName, hostname or vmPath (found {})",
            given.len()
        ));
    };
    let (field, value) = match server {
        ServerRef::Id(v) => ("serverId", v),
        ServerRef::VmName(v) => ("vmName", v),
        ServerRef::Hostname(v) => ("hostname", v),
        ServerRef::VmPath(v) => ("vmPath", v),
    };
    if value.trim().is_empty() {
        return Err(format!("{path}.{field}: is empty"));
    }
    if let ServerRef::Id(id) = server {
        if !is_server_id(id) {
            return Err(format!(
                "{path}.serverId: `{id}` is not an SMS server id (s- followed by 8 to 17 letters or digits)"
            ));
        }
    }
    Ok(server.clone())
}

fn policy(path: &str, job: RawPolicy, defaults: RawPolicy) -> Result<FailurePolicy, String> {
    let builtin = FailurePolicy::default();
    let minutes = job.cool_down_minutes.or(defaults.cool_down_minutes);
    if let Some(m) = minutes.filter(|m| *m > 7 * 24 * 60) {
        return Err(format!(
            "{path}.onFailure.coolDownMinutes: {m} is out of range (allowed 0 to 10080, one week)"
        ));
    }
    let max = job
        .max_consecutive_failures
        .or(defaults.max_consecutive_failures)
        .unwrap_or(builtin.max_consecutive_failures);
    if !(1..=100).contains(&max) {
        return Err(format!(
            "{path}.onFailure.maxConsecutiveFailures: {max} is out of range (allowed 1 to 100)"
        ));
    }
    Ok(FailurePolicy {
        cool_down_secs: minutes.map_or(builtin.cool_down_secs, |m| i64::from(m) * 60),
        resume_with: match job.resume_with.or(defaults.resume_with) {
            None => builtin.resume_with,
            Some(RawResume::OnDemandRun) => ResumeWith::OnDemandRun,
            Some(RawResume::Reschedule) => ResumeWith::Reschedule,
        },
        max_consecutive_failures: max,
    })
}

/// Parses an RFC 3339 time or a `+<n>m|h|d` offset, at most 30 days ahead of `now`.
fn parse_seed(text: &str, now: i64) -> Result<SeedTime, String> {
    if let Some(offset) = text.strip_prefix('+') {
        let secs = parse_offset(offset)
            .ok_or_else(|| format!("`{text}` is not an offset like +30m, +2h or +1d"))?;
        if secs > MAX_SEED_AHEAD_SECS {
            return Err(format!("`{text}` is more than 30 days ahead"));
        }
        return Ok(SeedTime::After(secs));
    }
    let at = DateTime::from_str(text, Format::DateTimeWithOffset)
        .map_err(|_| format!("`{text}` is neither an RFC 3339 time nor an offset like +2h"))?
        .secs();
    if at > now + MAX_SEED_AHEAD_SECS {
        return Err(format!(
            "`{text}` is more than 30 days ahead (SMS starts the first run at most 30 days out)"
        ));
    }
    Ok(SeedTime::At(at))
}

fn parse_offset(offset: &str) -> Option<i64> {
    let unit = match offset.chars().last()? {
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return None,
    };
    let digits = &offset[..offset.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok()?.checked_mul(unit)
}

/// IAM role names: 1 to 64 of letters, digits and `+=,.@_-`.
fn check_role_name(role: &str) -> Result<(), String> {
    if role.starts_with("arn:") {
        return Err(format!("`{role}` is an ARN; give the role name only"));
    }
    let valid_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if role.is_empty() || role.len() > 64 || !role.chars().all(valid_char) {
        return Err(format!(
            "`{role}` is not an IAM role name (1 to 64 letters, digits or +=,.@_-)"
        ));
    }
    Ok(())
}

/// A key id, `mrk-` multi-Region key id, `alias/...`, or the ARN of a key or alias: the forms
/// of a KMS key identifier [AWS KMS developer guide, "Key identifiers (KeyId)"].
fn check_kms_key(key: &str) -> Result<(), String> {
    let bare = if key.starts_with("arn:") {
        let arn = Arn::of_service(key, "kms")
            .ok()
            .filter(|arn| arn.region().is_some())
            .filter(|arn| arn.account().is_some_and(dr_core::config::is_account_id))
            .ok_or_else(|| format!("`{key}` is not a KMS ARN"))?;
        let resource = arn.resource();
        match resource.strip_prefix("key/") {
            Some(id) => id.to_owned(),
            None if resource.starts_with("alias/") => resource.to_owned(),
            None => return Err(format!("`{key}` is neither a KMS key nor an alias ARN")),
        }
    } else {
        key.to_owned()
    };
    let ok = match bare.strip_prefix("alias/") {
        Some(name) => {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c))
        }
        None => is_key_id(&bare),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{key}` is not a KMS key id, alias (alias/...), or key or alias ARN"
        ))
    }
}

/// A UUID key id, or `mrk-` and 32 hex digits for a multi-Region key.
fn is_key_id(id: &str) -> bool {
    if let Some(hex) = id.strip_prefix("mrk-") {
        return hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// True for `s-` followed by 8 to 17 letters or digits, the SMS server id shape.
pub fn is_server_id(s: &str) -> bool {
    s.strip_prefix("s-").is_some_and(|rest| {
        (8..=17).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests;
