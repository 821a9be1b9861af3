//! The function on the core's shape: observe the catalog, the jobs and the runs the plan needs,
//! plan the creations, resumes and notices, apply them.

use crate::config::SmsConfig;
use crate::model::{Action, Facts};
use crate::{apply, observe, plan};
use dr_core::function::{Function, Plan};
use dr_core::observe::ObserveError;
use dr_core::report::TargetOutcome;
use dr_core::settings::Settings;
use dr_core::trigger::Trigger;

/// Creates SMS replication jobs and looks after failing ones; built once per cold start.
#[derive(Debug, Clone)]
pub struct ReplicationJobs {
    /// SMS client.
    pub sms: aws_sdk_sms::Client,
    /// Validated configuration.
    pub config: SmsConfig,
}

impl Function for ReplicationJobs {
    const NAME: &'static str = crate::FUNCTION;
    type Facts = Facts;
    type Action = Action;

    fn settings(&self) -> &Settings {
        &self.config.settings
    }

    async fn observe(&self, trigger: &Trigger, now: i64) -> Result<Facts, ObserveError> {
        let concurrency = self.config.settings.max_concurrency;
        observe::facts(&self.sms, concurrency, now, |catalog, jobs| {
            plan::runs_needed(trigger, &self.config, catalog, jobs)
        })
        .await
    }

    fn plan(&self, trigger: &Trigger, facts: &Facts) -> Plan<Action> {
        plan::plan(trigger, &self.config, facts)
    }

    async fn apply(&self, actions: Vec<Action>, _now: i64) -> Vec<TargetOutcome> {
        apply::apply(&self.sms, actions, self.config.settings.max_concurrency).await
    }
}

#[cfg(test)]
mod tests;
