//! The function on the core's shape: observe the source servers, plan, apply.

use crate::ask::Ask;
use crate::config::MgnConfig;
use crate::model::{Action, Facts, LifeCycle, ReplicationState};
use crate::{apply, observe, plan};
use dr_core::clients::Connected;
use dr_core::function::{Function, Observed, Plan, SdkConfig};
use dr_core::metrics::Measures;
use dr_core::observe::ObserveError;
use dr_core::report::TargetOutcome;
use dr_core::settings::Settings;
use dr_core::trigger::Trigger;

/// Keeps MGN source servers replicating, configured and tested; built once per cold start.
#[derive(Debug, Clone)]
pub struct MgnReplication {
    /// Validated configuration.
    pub config: MgnConfig,
}

impl Function for MgnReplication {
    const NAME: &'static str = crate::FUNCTION;
    type Clients = aws_sdk_mgn::Client;
    type Facts = Facts;
    type Action = Action;

    fn settings(&self) -> &Settings {
        &self.config.settings
    }

    fn connect(&self, sdk: &SdkConfig) -> aws_sdk_mgn::Client {
        aws_sdk_mgn::Client::new(sdk)
    }

    async fn observe(
        &self,
        target: &Connected<aws_sdk_mgn::Client>,
        trigger: &Trigger,
        now: i64,
    ) -> Result<Facts, ObserveError> {
        observe::facts(&target.clients, &self.config, &Ask::of(trigger), now).await
    }

    fn plan(&self, fleet: &[Observed<'_, Facts>]) -> Vec<Plan<Action>> {
        plan::plan(&self.config, fleet)
    }

    fn measure(&self, facts: &Facts, _outcomes: &[TargetOutcome]) -> Measures {
        measure(facts)
    }

    async fn apply(
        &self,
        target: &Connected<aws_sdk_mgn::Client>,
        actions: Vec<Action>,
        now: i64,
    ) -> Vec<TargetOutcome> {
        apply::apply(
            &target.clients,
            actions,
            self.config.settings.max_concurrency,
            now,
        )
        .await
    }
}

/// Every (not archived) source server by lifecycle and by replication state: `MgnServers`,
/// `MgnLifecycle<State>` and `MgnReplication<State>`.
fn measure(facts: &Facts) -> Measures {
    let mut measures = Measures::new();
    measures
        .count("MgnServers", facts.servers.len())
        .by_state(
            "MgnLifecycle",
            LifeCycle::KNOWN.iter().map(LifeCycle::camel_name),
            facts.servers.iter().map(|s| s.lifecycle.camel_name()),
        )
        .by_state(
            "MgnReplication",
            ReplicationState::KNOWN
                .iter()
                .map(ReplicationState::camel_name),
            facts.servers.iter().map(|s| s.replication.camel_name()),
        );
    measures
}

#[cfg(test)]
mod tests;
