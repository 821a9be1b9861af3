//! The function's configuration, read from environment variables once at cold start.
//!
//! The Backup and DRS parts read the variables of backup-copy-fanout and of the DRS functions,
//! with the same meaning, so that one deployment gives every function the same values.

use dr_core::backup::CopyFanout;
use dr_core::config::{ConfigError, Env};
use dr_core::drs::ServerChoice;
use dr_core::settings::Settings;

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
    /// The copy fan-out whose coverage is reported, read from backup-copy-fanout's variables,
    /// when `COVERAGE_SERVICES` names `backup`.
    pub backup: Option<CopyFanout>,
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
            Some(CopyFanout::from_env(env)?)
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

#[cfg(test)]
mod tests;
