//! The function on the core's shape: observe each target's configured services, plan (judge)
//! their coverage, measure it; there is nothing to apply.

use crate::config::CoverageConfig;
use crate::model::{Facts, NoAction};
use crate::observe::Clients;
use crate::{measure, observe, plan};
use dr_core::clients::Connected;
use dr_core::function::{Function, Observed, Plan, SdkConfig};
use dr_core::metrics::Measures;
use dr_core::observe::ObserveError;
use dr_core::report::TargetOutcome;
use dr_core::settings::Settings;
use dr_core::trigger::Trigger;

/// The coverage run and its configuration, built once per cold start.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// Validated configuration.
    pub config: CoverageConfig,
}

impl Function for Coverage {
    const NAME: &'static str = crate::FUNCTION;
    type Clients = Clients;
    type Facts = Facts;
    type Action = NoAction;

    fn settings(&self) -> &Settings {
        &self.config.settings
    }

    /// Every client is built; only the configured services are called.
    fn connect(&self, sdk: &SdkConfig) -> Clients {
        Clients {
            backup: aws_sdk_backup::Client::new(sdk),
            drs: aws_sdk_drs::Client::new(sdk),
            mgn: aws_sdk_mgn::Client::new(sdk),
        }
    }

    /// A schedule or a direct invoke (of the fleet, or of one `target`) reads the posture of
    /// the whole target; any other event reads nothing.
    async fn observe(
        &self,
        target: &Connected<Clients>,
        trigger: &Trigger,
        now: i64,
    ) -> Result<Facts, ObserveError> {
        if !plan::asks_coverage(trigger) {
            return Ok(Facts {
                observed_at: now,
                ..Facts::default()
            });
        }
        observe::facts(&target.clients, &self.config, now).await
    }

    fn plan(&self, fleet: &[Observed<'_, Facts>]) -> Vec<Plan<NoAction>> {
        fleet
            .iter()
            .map(|o| plan::plan(&self.config, &o.trigger, &o.facts))
            .collect()
    }

    /// A coverage plan holds no action, so there is nothing to call.
    async fn apply(
        &self,
        _target: &Connected<Clients>,
        actions: Vec<NoAction>,
        _now: i64,
    ) -> Vec<TargetOutcome> {
        actions.into_iter().map(|a| match a {}).collect()
    }

    fn measure(&self, facts: &Facts, _outcomes: &[TargetOutcome]) -> Measures {
        measure::measures(&self.config, facts)
    }
}

#[cfg(test)]
mod tests;
