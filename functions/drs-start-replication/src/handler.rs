//! The function on the core's shape: observe every source server, plan the starts, apply them.

use crate::config::DrsConfig;
use crate::model::{Facts, Start};
use crate::{apply, observe, plan};
use dr_core::function::{Function, Plan};
use dr_core::observe::ObserveError;
use dr_core::report::TargetOutcome;
use dr_core::settings::Settings;
use dr_core::trigger::Trigger;

/// Starts replication of stopped DRS source servers; built once per cold start.
#[derive(Debug, Clone)]
pub struct StartReplication {
    /// DRS client.
    pub drs: aws_sdk_drs::Client,
    /// Validated configuration.
    pub config: DrsConfig,
}

impl Function for StartReplication {
    const NAME: &'static str = crate::FUNCTION;
    type Facts = Facts;
    type Action = Start;

    fn settings(&self) -> &Settings {
        &self.config.settings
    }

    async fn observe(&self, _trigger: &Trigger, _now: i64) -> Result<Facts, ObserveError> {
        observe::facts(&self.drs, &self.config.tag_keys()).await
    }

    fn plan(&self, trigger: &Trigger, facts: &Facts) -> Plan<Start> {
        plan::plan(trigger, &self.config, facts)
    }

    async fn apply(&self, starts: Vec<Start>, _now: i64) -> Vec<TargetOutcome> {
        apply::apply(&self.drs, starts, self.config.settings.max_concurrency).await
    }
}

#[cfg(test)]
mod tests;
