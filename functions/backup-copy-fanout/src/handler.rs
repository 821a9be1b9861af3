//! The invocation: parse → scope → observe → plan → apply → report.

use crate::config::BackupConfig;
use crate::{apply, observe, plan};
pub use dr_core::invocation::HandlerError;
use dr_core::publish::ReportPublisher;
use dr_core::report::RunReport;
use dr_core::trigger::{self, Admission};
use serde_json::Value;
use tracing::{error, info};

/// The function's name in reports.
pub const FUNCTION: &str = "backup-copy-fanout";

/// What the handler borrows on every invocation; built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    /// AWS Backup client.
    pub backup: aws_sdk_backup::Client,
    /// Report publisher.
    pub publisher: ReportPublisher,
    /// Validated configuration.
    pub config: BackupConfig,
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
    let scope = plan::scope(&trigger, &app.config);
    let report = match observe::facts(&app.backup, &app.config, &scope, now).await {
        Ok(facts) => {
            let plan = plan::plan(&scope, &app.config, &facts);
            info!(
                sweep = scope.sweep,
                recovery_points = facts.recovery_points.len(),
                copy_jobs = facts.copy_jobs.len(),
                copies = plan.copies.len(),
                alerts = plan.alerts.len(),
                skips = scope.skips.total() + plan.skips.total(),
                dry_run,
                "planned"
            );
            let mut outcomes =
                apply::start_copy_jobs(&app.backup, &app.config, &plan.copies, dry_run, now).await;
            outcomes.extend(plan.alerts);
            let mut skips = scope.skips;
            skips.append(plan.skips);
            RunReport::new(FUNCTION, trigger.describe(), dry_run, outcomes, skips)
        }
        Err(err) => RunReport::aborted(
            FUNCTION,
            trigger.describe(),
            dry_run,
            &err.failure,
            err.operation,
        ),
    };
    dr_core::invocation::conclude(&app.publisher, report).await
}

#[cfg(test)]
mod tests;
