//! The function's configuration, read from environment variables once at cold start.

use dr_core::arn::Arn;
use dr_core::config::{ConfigError, Env};
use dr_core::drs::ServerChoice;
use dr_core::settings::Settings;
use dr_core::trigger::LaunchMode;

/// Which recovery snapshot a launch starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotChoice {
    /// No `recoverySnapshotID`: DRS takes "an on demand snapshot", the latest data [DRS API
    /// reference: StartRecoveryRequestSourceServer].
    OnDemand,
    /// The newest point-in-time snapshot DRS already holds.
    Latest,
    /// The newest snapshot at least this many seconds old when the run starts (for example,
    /// from before a corruption spread).
    OlderThan(i64),
    /// The newest snapshot taken at or before this time (epoch seconds), as DRS's console picks
    /// a point in time: "snapshots created at that timestamp, or slightly before" [DRS user
    /// guide: "Preparing for recovery"].
    AtOrBefore(i64),
}

impl SnapshotChoice {
    /// Parses `on-demand`, `latest`, a duration (`2h`) or an RFC 3339 time.
    pub fn parse(var: &str, raw: Option<&str>) -> Result<Self, ConfigError> {
        match raw {
            None | Some("on-demand") => Ok(Self::OnDemand),
            Some("latest") => Ok(Self::Latest),
            Some(text) => {
                if let Some(seconds) = dr_core::config::parse_duration(text) {
                    return Ok(Self::OlderThan(seconds));
                }
                dr_core::clock::parse_time(text)
                    .map(Self::AtOrBefore)
                    .ok_or_else(|| {
                        ConfigError::new(
                            var,
                            format!(
                                "`{text}` is neither on-demand, latest, a duration (such as 2h) \
                                 nor an RFC 3339 time"
                            ),
                        )
                    })
            }
        }
    }

    /// The time, as of `now`, at or before which the snapshot to launch from was taken;
    /// `None` for on demand, which reads no snapshot.
    pub fn newest_at_or_before(self, now: i64) -> Option<i64> {
        match self {
            Self::OnDemand => None,
            Self::Latest => Some(now),
            Self::OlderThan(age) => Some(now - age),
            Self::AtOrBefore(at) => Some(at),
        }
    }
}

/// The quotas a launch keeps within, per account and Region: "100 source servers per recovery
/// job, 500 source servers across all active jobs, and 20 concurrent jobs" [DRS user guide:
/// "Disaster recovery at scale", Service quotas and API limits].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobQuotas {
    /// Most servers in one `StartRecovery` (one job): `DRS_JOB_SERVERS`.
    pub servers_per_job: usize,
    /// Most jobs not yet completed at once: `DRS_MAX_ACTIVE_JOBS`.
    pub active_jobs: usize,
    /// Most servers across the jobs not yet completed: `DRS_MAX_ACTIVE_SERVERS`.
    pub active_servers: usize,
}

/// The documented quotas.
pub const DRS_QUOTAS: JobQuotas = JobQuotas {
    servers_per_job: 100,
    active_jobs: 20,
    active_servers: 500,
};

/// Most source servers one `StartRecovery` takes (the model's `StartRecoveryRequestSourceServers`,
/// 1 to 200), the bound of `DRS_JOB_SERVERS`.
pub const MAX_SERVERS_PER_CALL: usize = 200;

/// How drills run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillPolicy {
    /// The snapshot a drill launches from (`DRS_DRILL_SNAPSHOT`).
    pub snapshot: SnapshotChoice,
    /// Seconds after its launch a drill instance of this function is terminated
    /// (`DRS_DRILL_TTL`).
    pub ttl: i64,
    /// Most replication lag, in seconds, of a server a drill launches (`DRS_MAX_LAG`).
    pub max_lag: i64,
    /// How often, in seconds, a schedule drills each server (`DRS_DRILL_EVERY`); `None`: at
    /// every schedule. With it, the schedule can run often for follow-up and cleanup.
    pub every: Option<i64>,
    /// A recovery plan a schedule runs in DRILL mode instead of drilling the selection
    /// (`DRS_DRILL_PLAN_ARN`).
    pub plan: Option<Arn>,
}

/// Whether and how alarms and direct invokes launch real recoveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryPolicy {
    /// The opt-in (`DRS_RECOVERY_ENABLED`); without it nothing but drills is launched.
    pub enabled: bool,
    /// Most servers one run recovers, across the fleet (`DRS_RECOVERY_MAX_SERVERS`).
    pub max_servers: usize,
    /// The snapshot a recovery launches from (`DRS_RECOVERY_SNAPSHOT`).
    pub snapshot: SnapshotChoice,
    /// Most replication lag, in seconds, of a server a recovery launches
    /// (`DRS_RECOVERY_MAX_LAG`).
    pub max_lag: i64,
}

/// Everything the function is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryConfig {
    /// What every function has: concurrency, topics, dry run, home account, fleet.
    pub settings: Settings,
    /// Servers in scope, and how alarms map to them (the variables of drs-start-replication).
    pub choice: ServerChoice,
    /// Drills.
    pub drill: DrillPolicy,
    /// Real recoveries.
    pub recovery: RecoveryPolicy,
    /// Seconds during which a server with a launch job of the same mode is not launched again
    /// (`DRS_LAUNCH_GUARD`): `StartRecovery` takes no client token [DRS API reference].
    pub launch_guard: i64,
    /// How far back, in seconds, jobs are followed up (`DRS_FOLLOW_UP`).
    pub follow_up: i64,
    /// The recovery time objective in seconds (`DRS_RTO`).
    pub rto: Option<i64>,
    /// The recovery point objective in seconds (`DRS_RPO`).
    pub rpo: Option<i64>,
    /// The job quotas.
    pub quotas: JobQuotas,
}

impl RecoveryConfig {
    /// The snapshot a launch in `mode` starts from.
    pub fn snapshot(&self, mode: LaunchMode) -> SnapshotChoice {
        match mode {
            LaunchMode::Drill => self.drill.snapshot,
            LaunchMode::Recovery => self.recovery.snapshot,
        }
    }

    /// Reads and validates the configuration.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let enabled = env.flag("DRS_RECOVERY_ENABLED", false)?;
        let max_servers = match env.optional("DRS_RECOVERY_MAX_SERVERS") {
            None if enabled => {
                return Err(ConfigError::new(
                    "DRS_RECOVERY_MAX_SERVERS",
                    "is required when DRS_RECOVERY_ENABLED is true: the most servers one run \
                     may recover",
                ))
            }
            None => 0,
            Some(_) => env.number("DRS_RECOVERY_MAX_SERVERS", 0, 1, 500)?,
        };
        let drill_lag = env.duration("DRS_MAX_LAG", 15 * 60)?;
        let quotas = JobQuotas {
            servers_per_job: env.number(
                "DRS_JOB_SERVERS",
                DRS_QUOTAS.servers_per_job,
                1,
                MAX_SERVERS_PER_CALL,
            )?,
            active_jobs: env.number("DRS_MAX_ACTIVE_JOBS", DRS_QUOTAS.active_jobs, 1, 100)?,
            active_servers: env.number(
                "DRS_MAX_ACTIVE_SERVERS",
                DRS_QUOTAS.active_servers,
                1,
                10_000,
            )?,
        };
        let launch_guard = env.duration("DRS_LAUNCH_GUARD", 3_600)?;
        let follow_up = env.duration("DRS_FOLLOW_UP", 24 * 3_600)?;
        // The guard reads the jobs observe lists, which are those of the follow-up window.
        if launch_guard > follow_up {
            return Err(ConfigError::new(
                "DRS_LAUNCH_GUARD",
                format!(
                    "{} is longer than DRS_FOLLOW_UP, the window of jobs read to enforce it",
                    env.optional("DRS_LAUNCH_GUARD").unwrap_or_default()
                ),
            ));
        }
        Ok(Self {
            settings: Settings::from_env(env)?,
            choice: ServerChoice::from_env(env)?,
            drill: DrillPolicy {
                snapshot: SnapshotChoice::parse(
                    "DRS_DRILL_SNAPSHOT",
                    env.optional("DRS_DRILL_SNAPSHOT").as_deref(),
                )?,
                ttl: env.duration("DRS_DRILL_TTL", 8 * 3_600)?,
                max_lag: drill_lag,
                every: env.optional_duration("DRS_DRILL_EVERY")?,
                plan: recovery_plan(env)?,
            },
            recovery: RecoveryPolicy {
                enabled,
                max_servers,
                snapshot: SnapshotChoice::parse(
                    "DRS_RECOVERY_SNAPSHOT",
                    env.optional("DRS_RECOVERY_SNAPSHOT").as_deref(),
                )?,
                max_lag: env.duration("DRS_RECOVERY_MAX_LAG", 3_600)?,
            },
            launch_guard,
            follow_up,
            rto: env.optional_duration("DRS_RTO")?,
            rpo: env.optional_duration("DRS_RPO")?,
            quotas,
        })
    }
}

/// `DRS_DRILL_PLAN_ARN`: a DRS `recovery-plan/...` ARN with its account and Region, which say
/// in which fleet target the plan runs.
fn recovery_plan(env: &Env) -> Result<Option<Arn>, ConfigError> {
    const VAR: &str = "DRS_DRILL_PLAN_ARN";
    let Some(arn) = env.arn(VAR, "drs")? else {
        return Ok(None);
    };
    if !arn.resource().starts_with("recovery-plan/")
        || arn.account().is_none()
        || arn.region().is_none()
    {
        return Err(ConfigError::new(
            VAR,
            format!(
                "`{}` is not a recovery plan ARN (arn:aws:drs:<region>:<account>:recovery-plan/<id>)",
                arn.as_str()
            ),
        ));
    }
    Ok(Some(arn))
}

#[cfg(test)]
mod tests;
