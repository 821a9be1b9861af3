//! An invocation: when it runs, its id, and how it ends, the same for every function.

use crate::history::run_id;
use crate::metrics::RunMetrics;
use crate::publish::{PublishError, ReportPublisher};
use crate::report::{RunReport, RESULT_LIMIT};
use crate::trigger::TriggerError;
use lambda_runtime::Diagnostic;
use tracing::{error, info};

/// One invocation of a function: its time and the id Lambda gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// When it started, epoch seconds: the plan's now.
    pub now: i64,
    /// Lambda's request id (`local` outside Lambda).
    pub request_id: String,
}

impl Invocation {
    /// An invocation at `now` outside Lambda (tests, tools).
    pub fn at(now: i64) -> Self {
        Self {
            now,
            request_id: "local".to_owned(),
        }
    }

    /// The run's id in the history: its time and request id.
    pub fn run_id(&self) -> String {
        run_id(self.now, &self.request_id)
    }
}

/// Why an invocation failed (so Lambda retries it or sends it to the dead-letter queue).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The event is malformed or of a kind this function does not take; nothing was changed.
    #[error("rejected event: {0}")]
    BadEvent(#[from] TriggerError),
    /// Some actions failed in a way a retry may fix; the report says which.
    #[error("retryable failures: {0}")]
    Retryable(String),
    /// The report could not be published.
    #[error(transparent)]
    Publish(#[from] PublishError),
}

impl HandlerError {
    /// The `errorType` Lambda records for the failed invocation.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::BadEvent(_) => "BadEvent",
            Self::Retryable(_) => "RetryableFailures",
            Self::Publish(_) => "ReportNotPublished",
        }
    }
}

impl From<HandlerError> for Diagnostic {
    fn from(err: HandlerError) -> Self {
        Diagnostic {
            error_type: err.error_type().to_owned(),
            error_message: err.to_string(),
        }
    }
}

/// Ends a run the same way in every function: logs its totals, publishes its report and keeps
/// it in the run history side by side, writes its metrics, and fails the invocation when a
/// failure may pass on a retry, so that Lambda retries it. A failed history write is logged and
/// counted in the metrics; it changes nothing else.
pub async fn conclude(
    publisher: &ReportPublisher,
    report: RunReport,
    mut metrics: RunMetrics,
    invocation: &Invocation,
) -> Result<RunReport, HandlerError> {
    info!(
        status = ?report.status,
        done = report.counts.done,
        unchanged = report.counts.unchanged,
        failed = report.counts.failed,
        skipped = report.counts.skipped,
        "run finished"
    );
    let run_id = invocation.run_id();
    let (published, kept) = futures::join!(
        publisher.publish(&report),
        publisher.keep(&report, invocation.now, &run_id)
    );
    match &kept {
        Some(Ok(key)) => info!(key = %key, "run kept in the history"),
        Some(Err(e)) => error!(error = %e, "run not kept in the history"),
        None => {}
    }
    metrics.history_failed = kept.map(|k| k.is_err());
    publisher.measure(&metrics);
    published.inspect_err(|e| error!(error = %e, "report not published"))?;
    if report.has_retryable_failures() {
        return Err(HandlerError::Retryable(report.subject()));
    }
    Ok(report.within(RESULT_LIMIT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{CallFailure, ErrorClass};
    use crate::report::{Skips, TargetOutcome};

    fn failure(class: ErrorClass) -> CallFailure {
        CallFailure {
            class,
            code: "SomeError".to_owned(),
            message: "it failed".to_owned(),
        }
    }

    #[tokio::test]
    async fn a_run_fails_its_invocation_only_when_a_retry_may_help() {
        let sns = aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::Config::builder()
                .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
                .build(),
        );
        // No topic: the report is only returned and logged, so no call is made.
        let publisher = ReportPublisher::new(sns, None);
        let cases = [
            (
                vec![TargetOutcome::done("s-1", "StartReplication", None)],
                false,
            ),
            (
                vec![
                    TargetOutcome::done("s-1", "StartReplication", None),
                    TargetOutcome::failed("s-2", "StartReplication", &failure(ErrorClass::Fatal)),
                ],
                false,
            ),
            (
                vec![TargetOutcome::failed(
                    "s-2",
                    "StartReplication",
                    &failure(ErrorClass::Retryable),
                )],
                true,
            ),
        ];
        for (outcomes, retried) in cases {
            let report = RunReport::new("f", "schedule", false, outcomes, Skips::new());
            let metrics = RunMetrics::of(&report, 0, Vec::new(), false);
            match conclude(&publisher, report.clone(), metrics, &Invocation::at(0)).await {
                Ok(returned) => {
                    assert!(!retried, "{report:?}");
                    assert_eq!(returned, report);
                }
                Err(HandlerError::Retryable(subject)) => {
                    assert!(retried, "{report:?}");
                    assert_eq!(subject, report.subject());
                }
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
    }
}
