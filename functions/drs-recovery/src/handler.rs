//! The function on the core's shape: observe each target's servers, jobs and instances, plan
//! the launches, reports and terminations, apply them.

use crate::config::RecoveryConfig;
use crate::model::{Call, Facts};
use crate::{apply, observe, plan};
use dr_core::clients::Connected;
use dr_core::function::{Function, Observed, Plan, SdkConfig};
use dr_core::metrics::Measures;
use dr_core::observe::ObserveError;
use dr_core::report::TargetOutcome;
use dr_core::settings::Settings;
use dr_core::trigger::Trigger;

/// Launches, follows up and cleans up DRS drills and recoveries; built once per cold start.
#[derive(Debug, Clone)]
pub struct Recovery {
    /// Validated configuration.
    pub config: RecoveryConfig,
}

impl Function for Recovery {
    const NAME: &'static str = crate::FUNCTION;
    type Clients = aws_sdk_drs::Client;
    type Facts = Facts;
    type Action = Call;

    fn settings(&self) -> &Settings {
        &self.config.settings
    }

    fn connect(&self, sdk: &SdkConfig) -> aws_sdk_drs::Client {
        aws_sdk_drs::Client::new(sdk)
    }

    async fn observe(
        &self,
        target: &Connected<aws_sdk_drs::Client>,
        trigger: &Trigger,
        now: i64,
    ) -> Result<Facts, ObserveError> {
        observe::facts(&target.clients, &self.config, &target.target, trigger, now).await
    }

    fn plan(&self, fleet: &[Observed<'_, Facts>]) -> Vec<Plan<Call>> {
        plan::plan(&self.config, fleet)
    }

    fn measure(&self, facts: &Facts, outcomes: &[TargetOutcome]) -> Measures {
        plan::measure(&self.config, facts, outcomes)
    }

    async fn apply(
        &self,
        target: &Connected<aws_sdk_drs::Client>,
        calls: Vec<Call>,
        _now: i64,
    ) -> Vec<TargetOutcome> {
        apply::apply(&target.clients, calls, self.config.settings.max_concurrency).await
    }
}

#[cfg(test)]
mod tests;
