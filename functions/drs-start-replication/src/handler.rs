//! The function on the core's shape: observe every source server, plan the starts, apply them.

use crate::config::DrsConfig;
use crate::model::{Facts, Start};
use crate::{apply, observe, plan};
use dr_core::clients::Connected;
use dr_core::function::{Function, Observed, Plan, SdkConfig};
use dr_core::metrics::Measures;
use dr_core::observe::ObserveError;
use dr_core::report::TargetOutcome;
use dr_core::settings::Settings;
use dr_core::trigger::Trigger;

/// Starts replication of stopped DRS source servers; built once per cold start.
#[derive(Debug, Clone)]
pub struct StartReplication {
    /// Validated configuration.
    pub config: DrsConfig,
}

impl Function for StartReplication {
    const NAME: &'static str = crate::FUNCTION;
    type Clients = aws_sdk_drs::Client;
    type Facts = Facts;
    type Action = Start;

    fn settings(&self) -> &Settings {
        &self.config.settings
    }

    fn connect(&self, sdk: &SdkConfig) -> aws_sdk_drs::Client {
        aws_sdk_drs::Client::new(sdk)
    }

    async fn observe(
        &self,
        target: &Connected<aws_sdk_drs::Client>,
        _trigger: &Trigger,
        _now: i64,
    ) -> Result<Facts, ObserveError> {
        observe::facts(&target.clients, &self.config.choice.tag_keys()).await
    }

    fn plan(&self, fleet: &[Observed<'_, Facts>]) -> Vec<Plan<Start>> {
        plan::plan(&self.config, fleet)
    }

    /// The selected servers by replication state.
    fn measure(&self, facts: &Facts, _outcomes: &[TargetOutcome]) -> Measures {
        let mut measures = Measures::new();
        let selected = facts
            .servers
            .iter()
            .filter(|s| self.config.choice.selection.covers(*s));
        dr_core::drs::measure_states(&mut measures, selected.map(|s| &s.state));
        measures
    }

    async fn apply(
        &self,
        target: &Connected<aws_sdk_drs::Client>,
        starts: Vec<Start>,
        _now: i64,
    ) -> Vec<TargetOutcome> {
        apply::apply(
            &target.clients,
            starts,
            self.config.settings.max_concurrency,
        )
        .await
    }
}

#[cfg(test)]
mod tests;
