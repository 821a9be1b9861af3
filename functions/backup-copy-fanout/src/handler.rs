//! The function's shape: scope and observe, plan, apply; the core runs the rest.

use crate::config::BackupConfig;
use crate::model::{Copy, Facts};
use crate::{apply, observe, plan};
use dr_core::function::{Function, Plan};
use dr_core::observe::ObserveError;
use dr_core::report::TargetOutcome;
use dr_core::settings::Settings;
use dr_core::trigger::Trigger;
use tracing::info;

/// The copy fan-out: its AWS Backup client and configuration, built once per cold start.
#[derive(Debug, Clone)]
pub struct BackupCopyFanout {
    /// AWS Backup client.
    pub client: aws_sdk_backup::Client,
    /// Validated configuration.
    pub config: BackupConfig,
}

impl Function for BackupCopyFanout {
    const NAME: &'static str = crate::FUNCTION;
    type Facts = Facts;
    type Action = Copy;

    fn settings(&self) -> &Settings {
        &self.config.settings
    }

    /// Decides from the trigger alone what to look at, then reads it.
    async fn observe(&self, trigger: &Trigger, now: i64) -> Result<Facts, ObserveError> {
        let scope = plan::scope(trigger, &self.config);
        let facts = observe::facts(&self.client, &self.config, scope, now).await?;
        info!(
            sweep = facts.scope.sweep,
            recovery_points = facts.recovery_points.len(),
            copy_jobs = facts.copy_jobs.len(),
            "observed"
        );
        Ok(facts)
    }

    fn plan(&self, _trigger: &Trigger, facts: &Facts) -> Plan<Copy> {
        plan::plan(&self.config, facts)
    }

    async fn apply(&self, actions: Vec<Copy>, now: i64) -> Vec<TargetOutcome> {
        apply::apply(&self.client, &self.config, actions, now).await
    }
}

#[cfg(test)]
mod tests;
