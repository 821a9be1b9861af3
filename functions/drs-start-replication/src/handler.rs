//! The invocation: parse → observe → plan → apply → report.

use crate::config::DrsConfig;
use crate::{apply, observe, plan};
pub use dr_core::invocation::HandlerError;
use dr_core::report::{ReportPublisher, RunReport};
use dr_core::trigger::{self, Admission};
use serde_json::Value;
use tracing::{error, info};

/// The function's name in reports.
pub const FUNCTION: &str = "drs-start-replication";

/// What the handler borrows on every invocation; built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    /// DRS client.
    pub drs: aws_sdk_drs::Client,
    /// Report publisher.
    pub publisher: ReportPublisher,
    /// Validated configuration.
    pub config: DrsConfig,
}

/// Handles one event and returns the run report.
pub async fn handle(app: &App, event: &Value) -> Result<RunReport, HandlerError> {
    let admission = Admission {
        home_account: app.config.home_account.as_deref(),
        trigger_topics: &app.config.trigger_topic_arns,
    };
    let trigger = trigger::parse_for(event, admission)
        .inspect_err(|e| error!(error = %e, "rejected event"))?;
    let dry_run = app.config.dry_run || trigger.dry_run;
    let report = match observe::source_servers(&app.drs, &app.config.tag_keys()).await {
        Ok(servers) => {
            let plan = plan::plan(&trigger, &app.config, &servers);
            info!(
                servers = servers.len(),
                starts = plan.starts.len(),
                skips = plan.skips.total(),
                dry_run,
                "planned"
            );
            let outcomes = apply::start_replication(
                &app.drs,
                &plan.starts,
                app.config.max_concurrency,
                dry_run,
            )
            .await;
            RunReport::new(FUNCTION, trigger.describe(), dry_run, outcomes, plan.skips)
        }
        Err(failure) => RunReport::aborted(
            FUNCTION,
            trigger.describe(),
            dry_run,
            &failure,
            "DescribeSourceServers",
        ),
    };
    dr_core::invocation::conclude(&app.publisher, report).await
}

#[cfg(test)]
mod tests;
