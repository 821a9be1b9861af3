//! The function on the core's shape: observe the catalog, the jobs and the runs the plan needs,
//! plan the creations, resumes and notices, apply them.

use crate::config::SmsConfig;
use crate::model::{Action, Facts, JobState};
use crate::{apply, observe, plan};
use dr_core::clients::Connected;
use dr_core::function::{Function, Observed, Plan, SdkConfig};
use dr_core::metrics::Measures;
use dr_core::observe::ObserveError;
use dr_core::report::TargetOutcome;
use dr_core::settings::Settings;
use dr_core::trigger::Trigger;

/// Creates SMS replication jobs and looks after failing ones; built once per cold start.
#[derive(Debug, Clone)]
pub struct ReplicationJobs {
    /// Validated configuration.
    pub config: SmsConfig,
}

impl Function for ReplicationJobs {
    const NAME: &'static str = crate::FUNCTION;
    type Clients = aws_sdk_sms::Client;
    type Facts = Facts;
    type Action = Action;

    fn settings(&self) -> &Settings {
        &self.config.settings
    }

    fn connect(&self, sdk: &SdkConfig) -> aws_sdk_sms::Client {
        aws_sdk_sms::Client::new(sdk)
    }

    async fn observe(
        &self,
        target: &Connected<aws_sdk_sms::Client>,
        trigger: &Trigger,
        now: i64,
    ) -> Result<Facts, ObserveError> {
        let concurrency = self.config.settings.max_concurrency;
        observe::facts(&target.clients, concurrency, now, |catalog, jobs| {
            plan::runs_needed(trigger, &self.config, catalog, jobs)
        })
        .await
    }

    /// Every replication job as observe read it, before the run's changes, by state: `SmsJobs`
    /// and `SmsJobs<State>`.
    fn measure(&self, facts: &Facts, _outcomes: &[TargetOutcome]) -> Measures {
        let mut measures = Measures::new();
        measures.count("SmsJobs", facts.jobs.len()).by_state(
            "SmsJobs",
            JobState::KNOWN.iter().map(JobState::camel_name),
            facts.jobs.iter().map(|j| j.state.camel_name()),
        );
        measures
    }

    /// Every target is planned alone: SMS jobs live in one account and region.
    fn plan(&self, fleet: &[Observed<'_, Facts>]) -> Vec<Plan<Action>> {
        fleet
            .iter()
            .map(|o| plan::plan(&o.trigger, &self.config, &o.facts))
            .collect()
    }

    async fn apply(
        &self,
        target: &Connected<aws_sdk_sms::Client>,
        actions: Vec<Action>,
        _now: i64,
    ) -> Vec<TargetOutcome> {
        apply::apply(
            &target.clients,
            actions,
            self.config.settings.max_concurrency,
        )
        .await
    }
}

#[cfg(test)]
mod tests;
