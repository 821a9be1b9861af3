//! AWS Backup vault notifications delivered through SNS [AWS Backup developer guide: "Notification
//! options with AWS Backup"]: the message attributes (`EventType`, `State`, `Id`, `AccountId`) are
//! preferred; the text, which comes in several wordings, fills in what they lack.

use std::collections::HashMap;

use aws_lambda_events::sns::MessageAttribute;

/// An AWS Backup vault notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultNotification {
    /// The SNS message id (stable across redeliveries).
    pub message_id: String,
    /// `EventType` attribute, e.g. `BACKUP_JOB` or `COPY_JOB`.
    pub event_type: Option<String>,
    /// `State` attribute or the state read from the text: `COMPLETED`, `FAILED`, `EXPIRED`...
    pub state: Option<String>,
    /// `Id` attribute or the job id read from the text.
    pub job_id: Option<String>,
    /// The recovery point ARN named in the text.
    pub recovery_point_arn: Option<String>,
    /// The protected resource ARN named in the text.
    pub resource_arn: Option<String>,
    /// `AccountId` attribute.
    pub account: Option<String>,
}

impl VaultNotification {
    pub(super) fn describe(&self) -> String {
        format!(
            "backup vault notification {} {}",
            self.event_type.as_deref().unwrap_or("?"),
            self.state.as_deref().unwrap_or("?")
        )
    }
}

/// An attribute by name, whatever its case: job notifications say `EventType`, EKS ones
/// `eventType`.
fn attribute<'a>(attributes: &'a HashMap<String, MessageAttribute>, name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, a)| a.value.as_str())
}

/// Whether an SNS message is an AWS Backup vault notification.
pub(super) fn is_vault_notification(
    attributes: &HashMap<String, MessageAttribute>,
    subject: Option<&str>,
    text: &str,
) -> bool {
    attribute(attributes, "EventType")
        .is_some_and(|t| t.ends_with("_JOB") || t.starts_with("RECOVERY_POINT"))
        || subject.is_some_and(|s| s.contains("AWS Backup"))
        || text.starts_with("An AWS Backup job")
}

/// Reads a vault notification, the attributes first, then the text.
pub(super) fn parse(
    message_id: &str,
    attributes: &HashMap<String, MessageAttribute>,
    text: &str,
) -> VaultNotification {
    let lower = text.to_ascii_lowercase();
    let text_state = if lower.contains("completed successfully") {
        Some("COMPLETED")
    } else if lower.contains("failed") {
        Some("FAILED")
    } else if lower.contains("expired") {
        Some("EXPIRED")
    } else {
        None
    };
    let text_job_id = ["backupjob id", "backup job id", "copy job id", "copyjob id"]
        .iter()
        .find_map(|label| labelled_value(text, label));
    VaultNotification {
        message_id: message_id.to_owned(),
        event_type: attribute(attributes, "EventType").map(str::to_owned),
        state: attribute(attributes, "State")
            .map(str::to_owned)
            .or_else(|| text_state.map(str::to_owned)),
        job_id: attribute(attributes, "Id")
            .map(str::to_owned)
            .or(text_job_id),
        recovery_point_arn: labelled_value(text, "recovery point arn"),
        resource_arn: labelled_value(text, "resource arn"),
        account: attribute(attributes, "AccountId").map(str::to_owned),
    }
}

/// The token after `label` (matched without regard to case), an optional space and a colon,
/// without a sentence-ending period: `Resource ARN : x`, `Resource ARN: x.`, `Backup Job Id : x`.
fn labelled_value(text: &str, label: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(label) {
        let start = from + found + label.len();
        let rest = text[start..].trim_start();
        if let Some(rest) = rest.strip_prefix(':') {
            let token = rest.split_whitespace().next()?;
            let token = token.trim_end_matches(['.', ',']);
            return (!token.is_empty()).then(|| token.to_owned());
        }
        from = start;
    }
    None
}
