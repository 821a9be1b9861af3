//! The function's configuration, read from environment variables once at cold start.

use dr_core::arn::Arn;
use dr_core::backup::CopyFanout;
use dr_core::config::{is_account_id, ConfigError, Env};
use dr_core::settings::Settings;

/// The AWS Backup quota of concurrent copy jobs outbound to one destination region per account
/// (Developer Guide, "AWS Backup quotas": "Concurrent backup copies per account outbound to a
/// destination Region", 100).
pub const DEFAULT_REGION_COPY_QUOTA: usize = 100;

/// Everything the function is configured with.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupConfig {
    /// The settings every function has.
    pub settings: Settings,
    /// Which vaults are copied where (`BACKUP_SOURCE_VAULTS`, `BACKUP_DESTINATIONS`,
    /// `BACKUP_RESOURCE_TYPES`).
    pub vaults: CopyFanout,
    /// The role AWS Backup assumes to copy.
    pub copy_role_arn: Arn,
    /// How far back a scheduled sweep looks for recovery points, in hours.
    pub sweep_window_hours: u32,
    /// How far back a scheduled sweep looks for failed copy jobs whose recovery point, older
    /// than the sweep window, may still lack a copy, in days.
    pub fanout_horizon_days: u32,
    /// Most copy attempts per recovery point and destination before alerting instead.
    pub max_attempts: u32,
    /// Most copy jobs in flight to one destination region.
    pub region_copy_quota: usize,
    /// Most `StartCopyJob` calls started per second.
    pub start_rate_per_second: f64,
}

impl BackupConfig {
    /// Reads and validates the configuration.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let vaults = CopyFanout::from_env(env)?;
        let copy_role_arn = role_arn(&env.required("BACKUP_COPY_ROLE_ARN")?)
            .map_err(|r| ConfigError::new("BACKUP_COPY_ROLE_ARN", r))?;
        Ok(Self {
            settings: Settings::from_env(env)?,
            vaults,
            copy_role_arn,
            sweep_window_hours: env.number("BACKUP_SWEEP_WINDOW_HOURS", 24, 1, 24 * 35)?,
            // ListBackupJobs documents 30 days of history; ListCopyJobs documents no limit, so the
            // horizon is held to the same 30 days (an assumption).
            fanout_horizon_days: env.number("BACKUP_FANOUT_HORIZON_DAYS", 7, 1, 30)?,
            max_attempts: env.number("BACKUP_COPY_MAX_ATTEMPTS", 3, 1, 10)?,
            region_copy_quota: env.number(
                "BACKUP_REGION_COPY_QUOTA",
                DEFAULT_REGION_COPY_QUOTA,
                1,
                10_000,
            )?,
            start_rate_per_second: env.number(
                "BACKUP_START_RATE_PER_SECOND",
                5.0,
                0.1,
                10_000.0,
            )?,
        })
    }

    /// The copy role a `StartCopyJob` in `account` passes: the configured role in its own
    /// account, else the role of the same path and name in `account`. `IamRoleArn` is a role of
    /// the account that starts the job, which AWS Backup assumes to copy [AWS Backup API
    /// reference: StartCopyJob]; every fleet account keeps its copy role under one name.
    pub fn copy_role_in(&self, account: Option<&str>) -> Arn {
        let role = &self.copy_role_arn;
        match account {
            Some(account) if role.account() != Some(account) => Arn::parse(&format!(
                "arn:{}:iam::{account}:{}",
                role.partition(),
                role.resource()
            ))
            .unwrap_or_else(|_| role.clone()),
            _ => role.clone(),
        }
    }
}

/// Parses `arn:<partition>:iam::<account>:role/<path and name>`.
fn role_arn(text: &str) -> Result<Arn, String> {
    let arn = Arn::of_service(text, "iam").map_err(|e| e.to_string())?;
    let is_role = arn.region().is_none()
        && arn.account().is_some_and(is_account_id)
        && arn
            .resource()
            .strip_prefix("role/")
            .is_some_and(|n| !n.is_empty());
    if is_role {
        Ok(arn)
    } else {
        Err(format!(
            "`{text}` is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
        ))
    }
}

#[cfg(test)]
mod tests;
