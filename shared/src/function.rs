//! The shape of every function, and the one entry point that runs it.
//!
//! A function observes AWS read-only ([`Function::observe`]), plans without I/O
//! ([`Function::plan`]) and applies the plan's actions ([`Function::apply`]). The core, not the
//! function, parses the event, decides the dry run, builds the report and publishes it: a dry run
//! describes the plan's actions ([`Action::planned`]) and never calls `apply`, so no path of a dry
//! run reaches a mutating client.

use crate::clients::{connect_fleet, Connected};
use crate::clock;
use crate::config::{ConfigError, Env};
use crate::fanout::run_bounded;
use crate::fleet::Target;
use crate::history::HistoryStore;
use crate::invocation::{conclude, HandlerError, Invocation};
use crate::metrics::{Measures, MetricsSink, RunMetrics, TargetMeasured};
use crate::observe::ObserveError;
use crate::publish::ReportPublisher;
use crate::report::{RunError, RunReport, Skip, Skips, TargetOutcome, TargetResult, TargetRun};
use crate::session::ASSUME_ROLE;
use crate::settings::Settings;
use crate::trigger::{self, Trigger, TriggerError};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use std::future::Future;
use tracing::{error, info};

/// The SDK configuration a function's [`Function::connect`] builds a target's clients from.
pub use aws_config::SdkConfig;

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

/// A dr-automation function: its settings, its clients per fleet target, and its observe, plan
/// and apply steps.
pub trait Function: Sync {
    /// The function's name in reports and logs.
    const NAME: &'static str;
    /// The clients of one fleet target, built once per cold start.
    type Clients: Send + Sync;
    /// What observe read in one target: the input of the plan.
    type Facts: Send + Sync;
    /// One mutating call of the plan.
    type Action: Action + Send;

    /// The settings every function has.
    fn settings(&self) -> &Settings;

    /// Builds a target's clients from the SDK configuration of that target (its region and
    /// credentials).
    fn connect(&self, sdk: &SdkConfig) -> Self::Clients;

    /// Reads in `target` what the plan needs for `trigger`, read-only, as of `now` (epoch
    /// seconds).
    fn observe(
        &self,
        target: &Connected<Self::Clients>,
        trigger: &Trigger,
        now: i64,
    ) -> impl Future<Output = Result<Self::Facts, ObserveError>> + Send;

    /// Decides, without I/O, what to do in every observed target: one plan per entry of
    /// `fleet`, in its order. Most functions plan each target alone; one target's facts may
    /// decide another's actions (a DRS server extended from a staging account is started there).
    fn plan(&self, fleet: &[Observed<'_, Self::Facts>]) -> Vec<Plan<Self::Action>>;

    /// What the run measured in one target, for its metrics: from what observe read there and
    /// the outcomes of its plan. Pure.
    fn measure(&self, facts: &Self::Facts, outcomes: &[TargetOutcome]) -> Measures;

    /// Makes the planned calls in `target`, bounded and idempotent, and reports each outcome.
    fn apply(
        &self,
        target: &Connected<Self::Clients>,
        actions: Vec<Self::Action>,
        now: i64,
    ) -> impl Future<Output = Vec<TargetOutcome>> + Send;
}

/// What observe read in one target, with the trigger as that target sees it.
#[derive(Debug)]
pub struct Observed<'a, Facts> {
    /// The target.
    pub target: &'a Target,
    /// The events that concern this target.
    pub trigger: Trigger,
    /// What observe read there.
    pub facts: Facts,
}

/// Handles one event over `fleet` in `invocation`: parse, route to the targets it concerns,
/// observe them, plan, apply (or describe, in a dry run), then report through `publisher`: to
/// SNS, to the run history and as metrics.
///
/// Targets are worked on side by side, `FLEET_CONCURRENCY` at a time. A target whose role cannot
/// be assumed or whose read fails stops alone; the others go on, and its section says why.
pub async fn handle<F: Function>(
    function: &F,
    fleet: &[Connected<F::Clients>],
    publisher: &ReportPublisher,
    event: &Value,
    invocation: &Invocation,
) -> Result<RunReport, HandlerError> {
    let now = invocation.now;
    let settings = function.settings();
    let mut trigger = trigger::parse_for(event, settings.admission())
        .inspect_err(|e| error!(error = %e, "rejected event"))?;
    let dry_run = settings.dry_run || trigger.dry_run;
    let chosen =
        chosen_targets(fleet, &trigger).inspect_err(|e| error!(error = %e, "rejected event"))?;
    let mut skips = std::mem::take(&mut trigger.skips);
    skips.extend(unrouted(&trigger, &chosen));
    let concerned: Vec<(&Connected<F::Clients>, Trigger)> = chosen
        .into_iter()
        .filter_map(|c| {
            let seen = trigger.only(|o| c.target.covers(o.account.as_deref(), o.region.as_deref()));
            (!seen.events.is_empty()).then_some((c, seen))
        })
        .collect();
    let observed = run_bounded(
        concerned,
        settings.fleet_concurrency,
        |(c, seen)| async move {
            let facts = match c.ready().await {
                Ok(()) => function
                    .observe(c, &seen, now)
                    .await
                    .map_err(|e| RunError::stopped(e.operation, &e.failure)),
                Err(e) => Err(RunError::stopped(ASSUME_ROLE, &e.failure)),
            };
            if let Err(e) = &facts {
                error!(target = %c.target, error = %e.message, "target stopped");
            }
            (c, seen, facts)
        },
    )
    .await;
    let mut readable = Vec::new();
    let mut results: Vec<(&Connected<F::Clients>, Option<RunError>)> = Vec::new();
    for (c, seen, facts) in observed {
        match facts {
            Ok(facts) => {
                readable.push((
                    c,
                    Observed {
                        target: &c.target,
                        trigger: seen,
                        facts,
                    },
                ));
                results.push((c, None));
            }
            Err(e) => results.push((c, Some(e))),
        }
    }
    let (connections, observed): (Vec<_>, Vec<_>) = readable.into_iter().unzip();
    let plans = function.plan(&observed);
    info!(
        targets = results.len(),
        actions = plans.iter().map(|p| p.actions.len()).sum::<usize>(),
        dry_run,
        "planned"
    );
    let work: Vec<_> = connections.into_iter().zip(plans).collect();
    let ran = run_bounded(work, settings.fleet_concurrency, |(c, plan)| async move {
        // The known outcomes first, then each action: described in a dry run, else applied.
        let Plan {
            actions,
            mut outcomes,
            skips,
        } = plan;
        if dry_run {
            outcomes.extend(actions.iter().map(Action::planned));
        } else {
            outcomes.extend(function.apply(c, actions, now).await);
        }
        TargetResult::Ran { outcomes, skips }
    })
    .await;
    let mut ran = ran.into_iter().zip(&observed);
    let mut measured = Vec::with_capacity(results.len());
    let runs = results
        .into_iter()
        .map(|(c, stopped)| {
            let (result, measures) = match stopped {
                Some(error) => (TargetResult::Stopped(error), None),
                None => match ran.next() {
                    Some((result, seen)) => {
                        let measures = match &result {
                            TargetResult::Ran { outcomes, .. } => {
                                Some(function.measure(&seen.facts, outcomes))
                            }
                            TargetResult::Stopped(_) => None,
                        };
                        (result, measures)
                    }
                    None => (
                        TargetResult::Ran {
                            outcomes: Vec::new(),
                            skips: Skips::new(),
                        },
                        Some(Measures::new()),
                    ),
                },
            };
            measured.push(TargetMeasured {
                account: c.target.account.clone(),
                region: c.target.region.clone(),
                measures,
            });
            TargetRun {
                account: c.target.account.clone(),
                region: c.target.region.clone(),
                result,
            }
        })
        .collect();
    let report = RunReport::of_fleet(F::NAME, trigger.describe(), dry_run, skips, runs);
    let metrics = RunMetrics::of(&report, now, measured, fleet.len() > 1);
    conclude(publisher, report, metrics, invocation).await
}

/// The targets a trigger may concern: the one a direct invoke names (refused when it is not in
/// the fleet), else every target.
fn chosen_targets<'a, C>(
    fleet: &'a [Connected<C>],
    trigger: &Trigger,
) -> Result<Vec<&'a Connected<C>>, TriggerError> {
    match trigger.target() {
        None => Ok(fleet.iter().collect()),
        Some(wanted) => fleet
            .iter()
            .find(|c| c.target.is(&wanted.account, &wanted.region))
            .map(|c| vec![c])
            .ok_or_else(|| TriggerError::NotInFleet {
                account: wanted.account.clone(),
                region: wanted.region.clone(),
            }),
    }
}

/// Skips of the events no chosen target covers: from an account of the fleet, but a region it
/// does not serve there.
fn unrouted<C>(trigger: &Trigger, chosen: &[&Connected<C>]) -> Vec<Skip> {
    trigger
        .events
        .iter()
        .zip(trigger.origins())
        .filter(|(_, o)| {
            !chosen
                .iter()
                .any(|c| c.target.covers(o.account.as_deref(), o.region.as_deref()))
        })
        .map(|(event, o)| {
            Skip::new(
                event.key(),
                format!(
                    "{}: from {}/{}, which is not a target of this run",
                    event.describe(),
                    o.account.as_deref().unwrap_or("an unnamed account"),
                    o.region.as_deref().unwrap_or("an unnamed region")
                ),
            )
        })
        .collect()
}

/// Runs a function on Lambda: reads its configuration with `configure` (a bad one fails the cold
/// start, naming the variable), builds it with `build`, connects every fleet target once, and
/// handles every event with [`handle`].
pub async fn serve<C, F>(
    configure: impl FnOnce(&Env) -> Result<C, ConfigError>,
    build: impl FnOnce(C) -> F,
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
    let function = build(config);
    let fleet = match connect_fleet(&function.settings().fleet, F::NAME, &sdk, |conf| {
        function.connect(conf)
    }) {
        Ok(fleet) => fleet,
        Err(err) => return Err(crate::startup::fail(err).await),
    };
    let settings = function.settings();
    let history = settings.history.clone().map(|location| {
        HistoryStore::new(
            crate::clients::s3_client(&sdk, |name| std::env::var_os(name)),
            location,
        )
    });
    let publisher = ReportPublisher::new(
        aws_sdk_sns::Client::new(&sdk),
        settings.report_topic.clone(),
    )
    .with_history(history)
    .with_metrics(settings.metrics_namespace.clone(), MetricsSink::Stdout);
    let (function, fleet, publisher) = (&function, fleet.as_slice(), &publisher);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let invocation = Invocation {
            now: clock::now_secs(),
            request_id: event.context.request_id.clone(),
        };
        handle(function, fleet, publisher, &event.payload, &invocation).await
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{CallFailure, ErrorClass};
    use crate::report::{OutcomeResult, RunStatus};
    use serde_json::json;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Starts one thing per target named in a direct invoke; counts its mutating calls and
    /// records the targets it observed.
    #[derive(Default)]
    struct Starter {
        settings: Settings,
        unreadable: bool,
        calls: AtomicUsize,
        observed: std::sync::Mutex<Vec<String>>,
    }

    struct Start(String);

    impl Action for Start {
        fn planned(&self) -> TargetOutcome {
            TargetOutcome::planned(&self.0, "Start")
        }
    }

    impl Function for Starter {
        const NAME: &'static str = "starter";
        type Clients = ();
        type Facts = Vec<String>;
        type Action = Start;

        fn settings(&self) -> &Settings {
            &self.settings
        }

        fn connect(&self, _sdk: &SdkConfig) {}

        async fn observe(
            &self,
            target: &Connected<()>,
            trigger: &Trigger,
            _now: i64,
        ) -> Result<Vec<String>, ObserveError> {
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
            if let Ok(mut seen) = self.observed.lock() {
                seen.push(target.target.to_string());
            }
            Ok(trigger.events.iter().map(|e| format!("{e:?}")).collect())
        }

        fn measure(&self, facts: &Vec<String>, outcomes: &[TargetOutcome]) -> Measures {
            let mut measures = Measures::new();
            measures
                .count("Events", facts.len())
                .count("Outcomes", outcomes.len());
            measures
        }

        fn plan(&self, fleet: &[Observed<'_, Vec<String>>]) -> Vec<Plan<Start>> {
            fleet
                .iter()
                .map(|o| Plan {
                    actions: vec![Start("t-1".into())],
                    outcomes: vec![TargetOutcome::unchanged("t-0", "Look", "known")],
                    skips: Skips::from_iter([Skip::new("t-2", format!("{} facts", o.facts.len()))]),
                })
                .collect()
        }

        async fn apply(
            &self,
            _target: &Connected<()>,
            actions: Vec<Start>,
            _now: i64,
        ) -> Vec<TargetOutcome> {
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
        handle(
            function,
            &[Connected::home(())],
            &publisher(),
            &event,
            &Invocation::at(0),
        )
        .await
    }

    const HOME: &str = "123456789012";
    const MEMBER: &str = "234567890123";

    /// A target of the fleet; with `role`, reached through a role whose AssumeRole `sts` answers.
    fn target(account: &str, region: &str, sts: Option<aws_sdk_sts::Client>) -> Connected<()> {
        let home = Target::home(Some(account.into()), Some(region.into()));
        let session = sts.map(|sts| {
            let role =
                crate::arn::Arn::parse(&format!("arn:aws:iam::{account}:role/member")).unwrap();
            std::sync::Arc::new(crate::session::RoleSession::new(sts, role, "starter", None))
        });
        Connected::new(home, (), session)
    }

    fn refusing_sts() -> (aws_smithy_mocks::Rule, aws_sdk_sts::Client) {
        let rule = aws_smithy_mocks::mock!(aws_sdk_sts::Client::assume_role).then_error(|| {
            aws_sdk_sts::operation::assume_role::AssumeRoleError::generic(
                aws_smithy_types::error::ErrorMetadata::builder()
                    .code("AccessDenied")
                    .message("not authorized to perform sts:AssumeRole")
                    .build(),
            )
        });
        let sts = aws_smithy_mocks::mock_client!(
            aws_sdk_sts,
            aws_smithy_mocks::RuleMode::MatchAny,
            [&rule]
        );
        (rule, sts)
    }

    fn fleet_starter() -> Starter {
        Starter {
            settings: Settings {
                home_account: Some(HOME.into()),
                ..Settings::default()
            },
            ..Starter::default()
        }
    }

    fn backup_event(account: &str, region: &str) -> Value {
        json!({"version": "0", "id": "e-1", "detail-type": "Backup Job State Change",
               "source": "aws.backup", "account": account, "time": "2026-11-20T10:00:00Z",
               "region": region, "resources": [],
               "detail": {"backupJobId": "job-1", "state": "COMPLETED"}})
    }

    #[tokio::test]
    async fn a_target_whose_role_is_refused_stops_alone_and_says_why() {
        let function = fleet_starter();
        let (rule, sts) = refusing_sts();
        let fleet = [
            target(HOME, "us-east-1", None),
            target(MEMBER, "us-east-1", Some(sts)),
        ];
        let report = handle(
            &function,
            &fleet,
            &publisher(),
            &json!({}),
            &Invocation::at(0),
        )
        .await
        .unwrap();
        assert_eq!(report.status, RunStatus::PartiallyFailed);
        assert_eq!(report.counts.done, 1);
        assert_eq!(report.targets[1].account.as_deref(), Some(MEMBER));
        let error = report.targets[1].error.as_ref().map(|e| e.message.as_str());
        assert_eq!(
            error,
            Some("AssumeRole failed: AccessDenied: not authorized to perform sts:AssumeRole")
        );
        assert_eq!(function.calls.load(Ordering::SeqCst), 1);
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_service_event_is_observed_only_in_its_own_target() {
        let function = fleet_starter();
        let fleet = [
            target(HOME, "us-east-1", None),
            target(HOME, "us-west-2", None),
            target(MEMBER, "us-west-2", None),
        ];
        let report = handle(
            &function,
            &fleet,
            &publisher(),
            &backup_event(HOME, "us-west-2"),
            &Invocation::at(0),
        )
        .await
        .unwrap();
        assert_eq!(
            *function.observed.lock().unwrap(),
            [format!("{HOME}/us-west-2")]
        );
        assert_eq!(report.targets.len(), 1);
    }

    #[tokio::test]
    async fn a_service_event_of_a_region_the_fleet_does_not_serve_is_skipped() {
        let function = fleet_starter();
        let fleet = [target(HOME, "us-east-1", None)];
        let report = handle(
            &function,
            &fleet,
            &publisher(),
            &backup_event(HOME, "eu-west-1"),
            &Invocation::at(0),
        )
        .await
        .unwrap();
        assert!(function.observed.lock().unwrap().is_empty());
        assert_eq!(report.skips.len(), 1);
        assert!(
            report.skips[0]
                .reason
                .ends_with("from 123456789012/eu-west-1, which is not a target of this run"),
            "{:?}",
            report.skips
        );
    }

    #[tokio::test]
    async fn a_schedule_covers_every_target_of_the_fleet() {
        let function = fleet_starter();
        let fleet = [
            target(HOME, "us-east-1", None),
            target(MEMBER, "us-west-2", None),
        ];
        let report = handle(
            &function,
            &fleet,
            &publisher(),
            &json!({}),
            &Invocation::at(0),
        )
        .await
        .unwrap();
        assert_eq!(report.targets.len(), 2);
        assert_eq!(function.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_direct_invoke_may_run_one_target_of_the_fleet() {
        let function = fleet_starter();
        let fleet = [
            target(HOME, "us-east-1", None),
            target(MEMBER, "us-west-2", None),
        ];
        let event = json!({"target": {"account": MEMBER, "region": "us-west-2"}});
        let report = handle(&function, &fleet, &publisher(), &event, &Invocation::at(0))
            .await
            .unwrap();
        assert_eq!(
            *function.observed.lock().unwrap(),
            [format!("{MEMBER}/us-west-2")]
        );
        assert_eq!(report.outcomes[0].region.as_deref(), Some("us-west-2"));
    }

    #[tokio::test]
    async fn a_direct_invoke_of_a_target_outside_the_fleet_is_refused() {
        let function = fleet_starter();
        let fleet = [target(HOME, "us-east-1", None)];
        let event = json!({"target": {"account": MEMBER, "region": "us-east-1"}});
        let err = handle(&function, &fleet, &publisher(), &event, &Invocation::at(0))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "rejected event: target 234567890123/us-east-1 is not in the fleet (FLEET); nothing was done"
        );
        assert!(function.observed.lock().unwrap().is_empty());
    }

    /// The metrics lines of a schedule run over `fleet`, by their dimension set.
    async fn metrics_of(function: &Starter, fleet: &[Connected<()>]) -> Vec<Value> {
        let kept = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let publisher = publisher().with_metrics(
            crate::metrics::Namespace::default(),
            MetricsSink::Kept(kept.clone()),
        );
        handle(function, fleet, &publisher, &json!({}), &Invocation::at(60))
            .await
            .unwrap();
        let lines = kept.lock().unwrap().clone();
        lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn a_run_writes_one_metrics_line_with_the_function_measures() {
        let lines = metrics_of(&Starter::default(), &[Connected::home(())]).await;
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines[0];
        assert_eq!(line["Function"], "starter");
        assert_eq!(line["_aws"]["Timestamp"], 60_000);
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Function"]])
        );
        assert_eq!(
            (&line["Runs"], &line["ActionsDone"], &line["TargetsSkipped"]),
            (&json!(1.0), &json!(1.0), &json!(1.0))
        );
        assert_eq!(
            (&line["Events"], &line["Outcomes"]),
            (&json!(1.0), &json!(2.0))
        );
        assert!(line.get("HistoryWriteFailures").is_none(), "{line}");
    }

    #[tokio::test]
    async fn a_fleet_run_adds_a_metrics_line_per_target_and_sums_them_on_the_fleet_line() {
        let function = fleet_starter();
        let (_rule, sts) = refusing_sts();
        let fleet = [
            target(HOME, "us-east-1", None),
            target(MEMBER, "us-west-2", None),
            target(MEMBER, "us-east-1", Some(sts)),
        ];
        let lines = metrics_of(&function, &fleet).await;
        assert_eq!(lines.len(), 4, "{lines:?}");
        let dims = |l: &Value| l["_aws"]["CloudWatchMetrics"][0]["Dimensions"].clone();
        assert_eq!(dims(&lines[0]), json!([["Function"]]));
        assert_eq!(lines[0]["Outcomes"], 4.0);
        assert_eq!(lines[0]["TargetsStopped"], 1.0);
        for (line, account, region) in [
            (&lines[1], HOME, "us-east-1"),
            (&lines[2], MEMBER, "us-west-2"),
            (&lines[3], MEMBER, "us-east-1"),
        ] {
            assert_eq!(dims(line), json!([["Function", "Account", "Region"]]));
            assert_eq!(
                (line["Account"].as_str(), line["Region"].as_str()),
                (Some(account), Some(region))
            );
        }
        assert_eq!(lines[1]["Outcomes"], 2.0);
        assert_eq!(lines[3]["TargetsStopped"], 1.0);
        assert!(lines[3].get("Outcomes").is_none(), "{}", lines[3]);
    }

    #[tokio::test]
    async fn a_run_of_one_target_of_a_fleet_still_writes_that_target_line() {
        let function = fleet_starter();
        let fleet = [
            target(HOME, "us-east-1", None),
            target(MEMBER, "us-west-2", None),
        ];
        let event = json!({"target": {"account": MEMBER, "region": "us-west-2"}});
        let kept = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let publisher = publisher().with_metrics(
            crate::metrics::Namespace::default(),
            MetricsSink::Kept(kept.clone()),
        );
        handle(&function, &fleet, &publisher, &event, &Invocation::at(60))
            .await
            .unwrap();
        let lines: Vec<Value> = kept
            .lock()
            .unwrap()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[1]["Account"], MEMBER);
        assert_eq!(lines[1]["Region"], "us-west-2");
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
        let record = |topic: &str| {
            json!({
            "EventSource": "aws:sns", "EventVersion": "1.0",
            "EventSubscriptionArn": format!("{topic}:8a2b6d6e-1111-2222-3333-444455556666"),
            "Sns": {"Type": "Notification", "MessageId": "m-1", "TopicArn": topic,
                    "Message": "{}", "Timestamp": "2026-11-20T10:00:00.000Z",
                    "SignatureVersion": "1", "Signature": "EXAMPLE",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/c.pem",
                    "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/u",
                    "MessageAttributes": {}}})
        };
        let event = json!({"Records": [record(elsewhere), record(accepted)]});
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
