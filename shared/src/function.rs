//! The shape of every function, and the one entry point that runs it.
//!
//! A function observes AWS read-only ([`Function::observe`]), plans without I/O
//! ([`Function::plan`]) and applies the plan's actions ([`Function::apply`]). The core, not the
//! function, parses the event, decides the dry run, builds the report and publishes it: a dry run
//! describes the plan's actions ([`Action::planned`]) and never calls `apply`, so no path of a dry
//! run reaches a mutating client.

use crate::clock;
use crate::config::{ConfigError, Env};
use crate::invocation::{conclude, HandlerError};
use crate::observe::ObserveError;
use crate::publish::ReportPublisher;
use crate::report::{RunReport, Skips, TargetOutcome};
use crate::settings::Settings;
use crate::trigger::{self, Trigger};
use aws_config::SdkConfig;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use std::future::Future;
use tracing::{error, info};

/// What a function's `main` returns when the runtime stops: its cold start failed, or the Lambda
/// Runtime API went away.
pub use lambda_runtime::Error;

/// One mutating call a plan asks for.
pub trait Action {
    /// The outcome a dry run reports instead of making the call.
    fn planned(&self) -> TargetOutcome;
}

/// What a run will do: the calls to make, what is known without a call, and what is left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan<A> {
    /// Mutating calls, in the order they are started.
    pub actions: Vec<A>,
    /// Outcomes known from the facts alone (notices, alerts, failed reads), reported first.
    pub outcomes: Vec<TargetOutcome>,
    /// Targets left alone, with the reason.
    pub skips: Skips,
}

impl<A> Default for Plan<A> {
    fn default() -> Self {
        Self {
            actions: Vec::new(),
            outcomes: Vec::new(),
            skips: Skips::new(),
        }
    }
}

impl<A: Action> Plan<A> {
    /// What a dry run of this plan reports: the known outcomes, then every action as planned.
    pub fn planned_outcomes(self) -> Vec<TargetOutcome> {
        let mut outcomes = self.outcomes;
        outcomes.extend(self.actions.iter().map(Action::planned));
        outcomes
    }
}

/// A dr-automation function: its settings and its observe, plan and apply steps.
pub trait Function: Sync {
    /// The function's name in reports and logs.
    const NAME: &'static str;
    /// What observe read: the input of the plan.
    type Facts: Send + Sync;
    /// One mutating call of the plan.
    type Action: Action + Send;

    /// The settings every function has.
    fn settings(&self) -> &Settings;

    /// Reads what the plan needs for `trigger`, read-only, as of `now` (epoch seconds).
    fn observe(
        &self,
        trigger: &Trigger,
        now: i64,
    ) -> impl Future<Output = Result<Self::Facts, ObserveError>> + Send;

    /// Decides, without I/O, what to do about `trigger` given `facts`.
    fn plan(&self, trigger: &Trigger, facts: &Self::Facts) -> Plan<Self::Action>;

    /// Makes the planned calls, bounded and idempotent, and reports each one's outcome.
    fn apply(
        &self,
        actions: Vec<Self::Action>,
        now: i64,
    ) -> impl Future<Output = Vec<TargetOutcome>> + Send;
}

/// Handles one event as of `now`: parse, observe, plan, apply (or describe, in a dry run), then
/// report through `publisher`.
pub async fn handle<F: Function>(
    function: &F,
    publisher: &ReportPublisher,
    event: &Value,
    now: i64,
) -> Result<RunReport, HandlerError> {
    let settings = function.settings();
    let mut trigger = trigger::parse_for(event, settings.admission())
        .inspect_err(|e| error!(error = %e, "rejected event"))?;
    let dry_run = settings.dry_run || trigger.dry_run;
    let described = trigger.describe();
    let report = match function.observe(&trigger, now).await {
        Ok(facts) => {
            let mut plan = function.plan(&trigger, &facts);
            info!(
                actions = plan.actions.len(),
                outcomes = plan.outcomes.len(),
                skips = plan.skips.total(),
                dry_run,
                "planned"
            );
            // The trigger's skips come before the plan's.
            let mut skips = std::mem::take(&mut trigger.skips);
            skips.append(std::mem::take(&mut plan.skips));
            let outcomes = if dry_run {
                plan.planned_outcomes()
            } else {
                let mut outcomes = plan.outcomes;
                outcomes.extend(function.apply(plan.actions, now).await);
                outcomes
            };
            RunReport::new(F::NAME, described, dry_run, outcomes, skips)
        }
        Err(err) => RunReport::aborted(F::NAME, described, dry_run, &err.failure, err.operation),
    };
    conclude(publisher, report).await
}

/// Runs a function on Lambda: reads its configuration with `configure` (a bad one fails the cold
/// start, naming the variable), builds it with `build` from the SDK configuration, once, and
/// handles every event with [`handle`].
pub async fn serve<C, F>(
    configure: impl FnOnce(&Env) -> Result<C, ConfigError>,
    build: impl FnOnce(C, &SdkConfig) -> F,
) -> Result<(), Error>
where
    F: Function,
{
    crate::telemetry::init();
    let config = match configure(&Env::from_process()) {
        Ok(config) => config,
        Err(err) => return Err(crate::startup::fail(err).await),
    };
    let sdk = crate::clients::load_sdk_config().await;
    let function = build(config, &sdk);
    let publisher = ReportPublisher::new(
        aws_sdk_sns::Client::new(&sdk),
        function.settings().report_topic.clone(),
    );
    let (function, publisher) = (&function, &publisher);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(function, publisher, &event.payload, clock::now_secs()).await
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{CallFailure, ErrorClass};
    use crate::report::{OutcomeResult, RunStatus, Skip};
    use serde_json::json;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Starts one thing per target named in a direct invoke; counts its mutating calls.
    #[derive(Default)]
    struct Starter {
        settings: Settings,
        unreadable: bool,
        calls: AtomicUsize,
    }

    struct Start(String);

    impl Action for Start {
        fn planned(&self) -> TargetOutcome {
            TargetOutcome::planned(&self.0, "Start")
        }
    }

    impl Function for Starter {
        const NAME: &'static str = "starter";
        type Facts = Vec<String>;
        type Action = Start;

        fn settings(&self) -> &Settings {
            &self.settings
        }

        async fn observe(&self, trigger: &Trigger, _now: i64) -> Result<Vec<String>, ObserveError> {
            if self.unreadable {
                return Err(ObserveError::new(
                    "ListThings",
                    CallFailure {
                        class: ErrorClass::Retryable,
                        code: "ThrottlingException".into(),
                        message: "slow down".into(),
                    },
                ));
            }
            Ok(trigger.events.iter().map(|e| format!("{e:?}")).collect())
        }

        fn plan(&self, _trigger: &Trigger, facts: &Vec<String>) -> Plan<Start> {
            Plan {
                actions: vec![Start("t-1".into())],
                outcomes: vec![TargetOutcome::unchanged("t-0", "Look", "known")],
                skips: Skips::from_iter([Skip::new("t-2", format!("{} facts", facts.len()))]),
            }
        }

        async fn apply(&self, actions: Vec<Start>, _now: i64) -> Vec<TargetOutcome> {
            self.calls.fetch_add(actions.len(), Ordering::SeqCst);
            actions
                .into_iter()
                .map(|a| TargetOutcome::done(a.0, "Start", None))
                .collect()
        }
    }

    fn publisher() -> ReportPublisher {
        let sns = aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::Config::builder()
                .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
                .build(),
        );
        ReportPublisher::new(sns, None)
    }

    async fn run(function: &Starter, event: Value) -> Result<RunReport, HandlerError> {
        handle(function, &publisher(), &event, 0).await
    }

    #[tokio::test]
    async fn a_run_reports_known_outcomes_before_applied_ones() {
        let function = Starter::default();
        let report = run(&function, json!({"targets": ["t-1"]})).await.unwrap();
        let targets: Vec<&str> = report.outcomes.iter().map(|o| o.target.as_str()).collect();
        assert_eq!(targets, ["t-0", "t-1"]);
        assert_eq!(report.outcomes[1].result, OutcomeResult::Done);
        assert_eq!(function.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_dry_run_invoke_describes_the_plan_and_applies_nothing() {
        let function = Starter::default();
        let report = run(&function, json!({"targets": ["t-1"], "dryRun": true}))
            .await
            .unwrap();
        assert_eq!(report.status, RunStatus::DryRun);
        assert_eq!(report.outcomes[1].result, OutcomeResult::Planned);
        assert_eq!(function.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn the_dry_run_setting_applies_nothing_whatever_the_event_says() {
        let function = Starter {
            settings: Settings {
                dry_run: true,
                ..Settings::default()
            },
            ..Starter::default()
        };
        let report = run(&function, json!({"targets": ["t-1"], "dryRun": false}))
            .await
            .unwrap();
        assert!(report.dry_run);
        assert_eq!(function.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn the_trigger_skips_come_before_the_plan_skips() {
        let accepted = "arn:aws:sns:us-east-1:123456789012:alarms";
        let function = Starter {
            settings: Settings {
                trigger_topics: vec![crate::arn::Arn::parse(accepted).unwrap()],
                ..Settings::default()
            },
            ..Starter::default()
        };
        let elsewhere = "arn:aws:sns:us-east-1:123456789012:elsewhere";
        let event = json!({"Records": [{
            "EventSource": "aws:sns", "EventVersion": "1.0",
            "EventSubscriptionArn": format!("{elsewhere}:8a2b6d6e-1111-2222-3333-444455556666"),
            "Sns": {"Type": "Notification", "MessageId": "m-1", "TopicArn": elsewhere,
                    "Message": "{}", "Timestamp": "2026-11-20T10:00:00.000Z",
                    "SignatureVersion": "1", "Signature": "EXAMPLE",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/c.pem",
                    "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/u",
                    "MessageAttributes": {}}}]});
        let report = run(&function, event).await.unwrap();
        let skipped: Vec<&str> = report.skips.iter().map(|s| s.target.as_str()).collect();
        assert_eq!(skipped, [elsewhere, "t-2"]);
    }

    #[tokio::test]
    async fn a_failed_read_aborts_the_run_before_planning() {
        let function = Starter {
            unreadable: true,
            ..Starter::default()
        };
        let err = run(&function, json!({"targets": ["t-1"]}))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, HandlerError::Retryable(subject) if subject.contains("FAILED")),
            "{err:?}"
        );
        assert_eq!(function.calls.load(Ordering::SeqCst), 0);
    }
}
