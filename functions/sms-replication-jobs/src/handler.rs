//! The invocation: parse → observe → plan → apply → report.

use crate::config::SmsConfig;
use crate::plan::{self, Facts};
use crate::{apply, observe};
pub use dr_core::invocation::HandlerError;
use dr_core::publish::ReportPublisher;
use dr_core::report::{RunReport, TargetOutcome};
use dr_core::trigger::{self, Admission};
use serde_json::Value;
use tracing::{error, info};

/// The function's name in reports.
pub const FUNCTION: &str = "sms-replication-jobs";

/// What the handler borrows on every invocation; built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    /// SMS client.
    pub sms: aws_sdk_sms::Client,
    /// Report publisher.
    pub publisher: ReportPublisher,
    /// Validated configuration.
    pub config: SmsConfig,
}

/// Handles one event and returns the run report.
pub async fn handle(app: &App, event: &Value) -> Result<RunReport, HandlerError> {
    handle_at(app, event, dr_core::clock::now_secs()).await
}

/// Handles one event as of `now` (epoch seconds), so tests control the clock.
pub async fn handle_at(app: &App, event: &Value, now: i64) -> Result<RunReport, HandlerError> {
    let topics: Vec<dr_core::arn::Arn> = app
        .config
        .trigger_topic_arns
        .iter()
        .filter_map(|t| dr_core::arn::Arn::parse(t).ok())
        .collect();
    let admission = Admission {
        home_account: app.config.home_account.as_deref(),
        trigger_topics: &topics,
    };
    let trigger = trigger::parse_for(event, admission)
        .inspect_err(|e| error!(error = %e, "rejected event"))?;
    let dry_run = app.config.dry_run || trigger.dry_run;
    let describe = trigger.describe();
    let (catalog, jobs) = tokio::join!(observe::catalog(&app.sms), observe::jobs(&app.sms));
    let observed = match (catalog, jobs) {
        (Ok(catalog), Ok(jobs)) => Ok((catalog, jobs)),
        (Err(failure), _) => Err((failure, "GetServers")),
        (_, Err(failure)) => Err((failure, "GetReplicationJobs")),
    };
    let report = match observed {
        Ok((catalog, jobs)) => {
            let wanted = plan::runs_needed(&trigger, &app.config, &catalog, &jobs);
            let history = observe::runs(&app.sms, &wanted, app.config.max_concurrency).await;
            let facts = Facts {
                now,
                catalog,
                jobs,
                runs: history.runs,
            };
            let plan = plan::plan(&trigger, &app.config, &facts);
            info!(
                servers = facts.catalog.servers.len(),
                jobs = facts.jobs.len(),
                actions = plan.actions.len(),
                notices = plan.notices.len(),
                skips = plan.skips.total(),
                dry_run,
                "planned"
            );
            // Jobs whose runs could not be read are reported as failed reads, so a retryable
            // one fails the invocation and the event is tried again.
            let mut outcomes: Vec<TargetOutcome> = history
                .failures
                .iter()
                .map(|(job_id, failure)| {
                    TargetOutcome::failed(job_id, "GetReplicationRuns", failure)
                })
                .collect();
            outcomes.extend(plan.notices.iter().map(plan::Notice::outcome));
            outcomes.extend(
                apply::apply(&app.sms, &plan.actions, app.config.max_concurrency, dry_run).await,
            );
            RunReport::new(FUNCTION, describe, dry_run, outcomes, plan.skips)
        }
        Err((failure, during)) => RunReport::aborted(FUNCTION, describe, dry_run, &failure, during),
    };
    dr_core::invocation::conclude(&app.publisher, report).await
}

#[cfg(test)]
mod tests;
