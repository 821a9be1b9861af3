//! The function's configuration, read from environment variables once at cold start.
//!
//! The Backup and DRS parts read the variables of backup-copy-fanout and of the DRS functions,
//! with the same meaning, so that one deployment gives every function the same values.

use dr_core::arn::Arn;
use dr_core::config::{ConfigError, Env};
use dr_core::drs::ServerChoice;
use dr_core::settings::Settings;
use serde::Deserialize;

/// The longest window: AWS documents 30 days of job history for ListBackupJobs ("for the last
/// 30 days") and ListCopyJobSummaries ("within the most recent 30 days"), and nothing for
/// ListCopyJobs, so copy jobs older than that are not relied on [AWS Backup API reference].
pub const MAX_WINDOW_DAYS: u32 = 30;

/// What a coverage run reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// AWS Backup copies.
    Backup,
    /// Elastic Disaster Recovery replication and drills.
    Drs,
    /// Application Migration Service replication.
    Mgn,
}

impl Service {
    fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "backup" => Some(Self::Backup),
            "drs" => Some(Self::Drs),
            "mgn" => Some(Self::Mgn),
            _ => None,
        }
    }
}

/// The copy fan-out whose coverage is reported, as backup-copy-fanout is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupCoverage {
    /// `BACKUP_SOURCE_VAULTS`: the vaults whose recovery points must be copied.
    pub source_vaults: Vec<String>,
    /// `BACKUP_DESTINATIONS`: the vaults every recovery point must be copied to, in order.
    pub destinations: Vec<Arn>,
    /// `BACKUP_RESOURCE_TYPES`: the resource types copied; empty = every type.
    pub resource_types: Vec<String>,
}

impl BackupCoverage {
    /// Whether recovery points of `resource_type` are copied.
    pub fn copies_type(&self, resource_type: &str) -> bool {
        self.resource_types.is_empty()
            || self
                .resource_types
                .iter()
                .any(|t| t.eq_ignore_ascii_case(resource_type))
    }

    /// Whether `vault` is one of the source vaults.
    pub fn is_source(&self, vault: &str) -> bool {
        self.source_vaults.iter().any(|v| v == vault)
    }

    /// Whether `vault_arn` is a configured destination.
    pub fn is_destination(&self, vault_arn: &str) -> bool {
        self.destinations.iter().any(|d| d.as_str() == vault_arn)
    }
}

/// What DRS health is measured against, as the DRS functions are configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrsCoverage {
    /// The servers in scope (`DRS_SOURCE_SERVER_IDS`, `DRS_TAGS`, ... as drs-start-replication
    /// and drs-recovery read them).
    pub choice: ServerChoice,
    /// `DRS_MAX_LAG`: the most replication lag, in seconds, of a healthy server.
    pub max_lag: i64,
    /// `DRS_DRILL_EVERY`: how often, in seconds, every server must have a successful drill;
    /// none = drills are reported, never required.
    pub drill_every: Option<i64>,
}

/// Everything the function is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageConfig {
    /// The settings every function has.
    pub settings: Settings,
    /// `COVERAGE_WINDOW_DAYS`: recovery points created this many days back are examined, and
    /// DRS launch jobs read this far back when `DRS_DRILL_EVERY` is not set.
    pub window_days: u32,
    /// `COVERAGE_COPY_GRACE`: seconds a new recovery point may have no copy job before its
    /// copies count as missing.
    pub copy_grace: i64,
    /// The Backup part, when `COVERAGE_SERVICES` names `backup`.
    pub backup: Option<BackupCoverage>,
    /// The DRS part, when `COVERAGE_SERVICES` names `drs`.
    pub drs: Option<DrsCoverage>,
    /// Whether MGN is read (`COVERAGE_SERVICES` names `mgn`).
    pub mgn: bool,
}

impl CoverageConfig {
    /// Reads and validates the configuration.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let services = services(env)?;
        let backup = if services.contains(&Service::Backup) {
            Some(backup(env)?)
        } else {
            None
        };
        let drs = if services.contains(&Service::Drs) {
            Some(DrsCoverage {
                choice: ServerChoice::from_env(env)?,
                max_lag: env.duration("DRS_MAX_LAG", 15 * 60)?,
                drill_every: env.optional_duration("DRS_DRILL_EVERY")?,
            })
        } else {
            None
        };
        Ok(Self {
            settings: Settings::from_env(env)?,
            window_days: env.number("COVERAGE_WINDOW_DAYS", 7, 1, MAX_WINDOW_DAYS)?,
            copy_grace: env.duration("COVERAGE_COPY_GRACE", 3_600)?,
            backup,
            drs,
            mgn: services.contains(&Service::Mgn),
        })
    }

    /// The start of the window as of `now`, epoch seconds.
    pub fn window_start(&self, now: i64) -> i64 {
        now - i64::from(self.window_days) * 86_400
    }
}

/// `COVERAGE_SERVICES`: a comma-separated list of `backup`, `drs` and `mgn`.
fn services(env: &Env) -> Result<Vec<Service>, ConfigError> {
    const VAR: &str = "COVERAGE_SERVICES";
    let names = env.list(VAR);
    if names.is_empty() {
        return Err(ConfigError::new(
            VAR,
            "is required: the services to report on, a comma-separated list of backup, drs and \
             mgn",
        ));
    }
    names
        .iter()
        .map(|name| {
            Service::parse(name).ok_or_else(|| {
                ConfigError::new(
                    VAR,
                    format!("`{name}` is not a service; give backup, drs or mgn"),
                )
            })
        })
        .collect()
}

/// One element of `BACKUP_DESTINATIONS` as backup-copy-fanout takes it; coverage reads only the
/// vault, but refuses what the fan-out refuses to read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawDestination {
    vault_arn: String,
    #[serde(rename = "moveToColdStorageAfterDays")]
    _cold: Option<i64>,
    #[serde(rename = "deleteAfterDays")]
    _delete: Option<i64>,
    #[serde(rename = "optInToArchiveForSupportedResources")]
    _archive: Option<bool>,
    #[serde(rename = "keepForever")]
    _forever: Option<bool>,
}

/// The Backup part: the variables of backup-copy-fanout, read the same way.
fn backup(env: &Env) -> Result<BackupCoverage, ConfigError> {
    let source_vaults = env.list("BACKUP_SOURCE_VAULTS");
    if source_vaults.is_empty() {
        return Err(ConfigError::new(
            "BACKUP_SOURCE_VAULTS",
            "is required when COVERAGE_SERVICES names backup: the comma-separated names of the \
             vaults whose recovery points are copied",
        ));
    }
    if let Some(bad) = source_vaults.iter().find(|v| !is_vault_name(v)) {
        return Err(ConfigError::new(
            "BACKUP_SOURCE_VAULTS",
            format!("`{bad}` is not a backup vault name (2 to 50 letters, digits, - or _)"),
        ));
    }
    let resource_types = env.list("BACKUP_RESOURCE_TYPES");
    if let Some(bad) = resource_types.iter().find(|t| !is_resource_type(t)) {
        return Err(ConfigError::new(
            "BACKUP_RESOURCE_TYPES",
            format!("`{bad}` is not a resource type (1 to 50 letters, digits, spaces, -, _ or .)"),
        ));
    }
    let json = env.optional("BACKUP_DESTINATIONS").ok_or_else(|| {
        ConfigError::new(
            "BACKUP_DESTINATIONS",
            "is required when COVERAGE_SERVICES names backup: the JSON array of destination \
             vaults, as backup-copy-fanout takes it",
        )
    })?;
    Ok(BackupCoverage {
        source_vaults,
        destinations: destinations(&json)
            .map_err(|reason| ConfigError::new("BACKUP_DESTINATIONS", reason))?,
        resource_types,
    })
}

fn destinations(json: &str) -> Result<Vec<Arn>, String> {
    let raw: Vec<RawDestination> = serde_json::from_str(json).map_err(|e| {
        format!(
            "is not a JSON array of {{\"vaultArn\", \"moveToColdStorageAfterDays\"?, \
             \"deleteAfterDays\"?, \"keepForever\"?, \"optInToArchiveForSupportedResources\"?}}: \
             {e}"
        )
    })?;
    if raw.is_empty() {
        return Err("names no destination vault".to_owned());
    }
    let mut out: Vec<Arn> = Vec::with_capacity(raw.len());
    for (i, d) in raw.iter().enumerate() {
        let at = |problem: &str| format!("destination [{i}] `{}`: {problem}", d.vault_arn);
        let arn = Arn::of_service(&d.vault_arn, "backup").map_err(|e| at(&e.to_string()))?;
        let named = arn
            .resource()
            .strip_prefix("backup-vault:")
            .is_some_and(is_vault_name);
        if !named || arn.region().is_none() || arn.account().is_none() {
            return Err(at(
                "is not a backup vault ARN (arn:aws:backup:<region>:<account>:backup-vault:<name>)",
            ));
        }
        if out.contains(&arn) {
            return Err(at("is listed twice"));
        }
        out.push(arn);
    }
    Ok(out)
}

/// The vault name pattern of the Backup API: 2 to 50 letters, digits, `-` or `_`.
fn is_vault_name(s: &str) -> bool {
    (2..=50).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Resource type names as AWS Backup reports them (`EBS`, `DynamoDB`, `SAP HANA on Amazon EC2`).
fn is_resource_type(s: &str) -> bool {
    (1..=50).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" -_.".contains(&b))
}

#[cfg(test)]
mod tests;
