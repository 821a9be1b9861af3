//! Publishing run reports: to SNS, to the run history, and as metrics. The only I/O of a report.

use crate::arn::Arn;
use crate::error::CallFailure;
use crate::fanout::run_bounded;
use crate::history::{HistoryError, HistoryStore};
use crate::metrics::{MetricsSink, Namespace, RunMetrics};
use crate::report::{truncate, RunReport, SNS_MESSAGE_LIMIT, SUBJECT_LIMIT};
use aws_sdk_sns::types::MessageAttributeValue;

/// Room kept for the subject and message attributes within [`SNS_MESSAGE_LIMIT`].
const ENVELOPE_ALLOWANCE: usize = 2 * 1024;
/// Report parts published at once.
const PUBLISH_CONCURRENCY: usize = 8;

/// Failure to publish a report to SNS.
#[derive(Debug, thiserror::Error)]
#[error("publishing the run report to {topic_arn} failed: {failure}")]
pub struct PublishError {
    /// The report topic.
    pub topic_arn: String,
    /// The SNS error.
    pub failure: CallFailure,
}

/// Publishes run reports to the configured SNS topic, keeps them in the run history when one is
/// configured, and writes their metrics.
#[derive(Debug, Clone)]
pub struct ReportPublisher {
    sns: aws_sdk_sns::Client,
    topic_arn: Option<Arn>,
    history: Option<HistoryStore>,
    metrics: MetricsSink,
    namespace: Namespace,
}

impl ReportPublisher {
    /// A publisher to `topic_arn`, with metrics on stdout in the default namespace and no history;
    /// with no topic, reports are only returned and logged.
    pub fn new(sns: aws_sdk_sns::Client, topic_arn: Option<Arn>) -> Self {
        Self {
            sns,
            topic_arn,
            history: None,
            metrics: MetricsSink::default(),
            namespace: Namespace::default(),
        }
    }

    /// The same, keeping every report in `history`.
    pub fn with_history(mut self, history: Option<HistoryStore>) -> Self {
        self.history = history;
        self
    }

    /// The same, writing metrics in `namespace` to `sink`.
    pub fn with_metrics(mut self, namespace: Namespace, sink: MetricsSink) -> Self {
        self.namespace = namespace;
        self.metrics = sink;
        self
    }

    /// Stores the report in the run history, if one is kept: `None` when none is, else whether
    /// the write succeeded (its key) or why not.
    pub async fn keep(
        &self,
        report: &RunReport,
        time: i64,
        run_id: &str,
    ) -> Option<Result<String, HistoryError>> {
        match &self.history {
            Some(history) => Some(history.store(report, time, run_id).await),
            None => None,
        }
    }

    /// Writes the run's metrics lines.
    pub fn measure(&self, metrics: &RunMetrics) {
        self.metrics.write(metrics.lines(&self.namespace));
    }

    /// Publishes the report (in parts when large) and returns the SNS message ids.
    pub async fn publish(&self, report: &RunReport) -> Result<Vec<String>, PublishError> {
        let Some(topic_arn) = &self.topic_arn else {
            return Ok(Vec::new());
        };
        let bodies = report.message_bodies(SNS_MESSAGE_LIMIT - ENVELOPE_ALLOWANCE);
        let of = bodies.len();
        let subject = report.subject();
        // Parts are independent messages: sent side by side, so a large report costs one round
        // trip per PUBLISH_CONCURRENCY parts rather than one per part.
        let parts = bodies.into_iter().enumerate().collect();
        let sent = run_bounded(parts, PUBLISH_CONCURRENCY, |(i, body)| {
            let subject = if of > 1 {
                let marker = format!(" ({}/{of})", i + 1);
                truncate(subject.clone(), SUBJECT_LIMIT - marker.len()) + &marker
            } else {
                subject.clone()
            };
            self.sns
                .publish()
                .topic_arn(topic_arn.as_str())
                .subject(subject)
                .message(body)
                .message_attributes("function", string_attribute(&report.function))
                .message_attributes("status", string_attribute(report.status.as_str()))
                .message_attributes("dryRun", string_attribute(&report.dry_run.to_string()))
                .message_attributes("failed", number_attribute(report.counts.failed))
                .message_attributes("targets", number_attribute(report.targets.len()))
                .message_attributes("targetsFailed", number_attribute(report.failed_targets()))
                .send()
        })
        .await;
        let mut ids = Vec::with_capacity(of);
        for out in sent {
            let out = out.map_err(|e| PublishError {
                topic_arn: topic_arn.to_string(),
                failure: CallFailure::from_sdk(&e),
            })?;
            ids.extend(out.message_id);
        }
        Ok(ids)
    }
}

fn string_attribute(value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .expect("data_type is set")
}

fn number_attribute(value: usize) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("Number")
        .string_value(value.to_string())
        .build()
        .expect("data_type is set")
}
