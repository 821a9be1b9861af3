//! The function's shape: scope and observe, plan, apply; the core runs the rest.

use crate::config::BackupConfig;
use crate::model::{Copy, Facts};
use crate::{apply, observe, plan};
use dr_core::clients::Connected;
use dr_core::function::{Function, Observed, Plan, SdkConfig};
use dr_core::metrics::Measures;
use dr_core::observe::ObserveError;
use dr_core::report::TargetOutcome;
use dr_core::settings::Settings;
use dr_core::trigger::Trigger;
use tracing::info;

/// The copy fan-out and its configuration, built once per cold start.
#[derive(Debug, Clone)]
pub struct BackupCopyFanout {
    /// Validated configuration.
    pub config: BackupConfig,
}

impl Function for BackupCopyFanout {
    const NAME: &'static str = crate::FUNCTION;
    type Clients = aws_sdk_backup::Client;
    type Facts = Facts;
    type Action = Copy;

    fn settings(&self) -> &Settings {
        &self.config.settings
    }

    fn connect(&self, sdk: &SdkConfig) -> aws_sdk_backup::Client {
        aws_sdk_backup::Client::new(sdk)
    }

    /// Decides from the trigger alone what to look at, then reads it.
    async fn observe(
        &self,
        target: &Connected<aws_sdk_backup::Client>,
        trigger: &Trigger,
        now: i64,
    ) -> Result<Facts, ObserveError> {
        let scope = plan::scope(trigger, &self.config);
        let facts = observe::facts(&target.clients, &self.config, scope, now).await?;
        info!(
            sweep = facts.scope.sweep,
            recovery_points = facts.recovery_points.len(),
            copy_jobs = facts.copy_jobs.len(),
            "observed"
        );
        Ok(facts)
    }

    fn measure(&self, facts: &Facts, outcomes: &[TargetOutcome]) -> Measures {
        plan::measure(&self.config, facts, outcomes)
    }

    /// Every target is planned alone: a recovery point is copied from its own account.
    fn plan(&self, fleet: &[Observed<'_, Facts>]) -> Vec<Plan<Copy>> {
        fleet
            .iter()
            .map(|o| plan::plan(&self.config, &o.facts))
            .collect()
    }

    /// Starts the copies in the target's account, with that account's copy role.
    async fn apply(
        &self,
        target: &Connected<aws_sdk_backup::Client>,
        actions: Vec<Copy>,
        now: i64,
    ) -> Vec<TargetOutcome> {
        let role = self.config.copy_role_in(target.target.account.as_deref());
        apply::apply(&target.clients, &self.config, &role, actions, now).await
    }
}

#[cfg(test)]
mod tests;
