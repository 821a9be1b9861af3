//! Turning a Lambda event into a [`Trigger`]: what started the run, typed, validated and fanned in.
//!
//! Every shape the functions are subscribed to is recognised here, once for every function:
//! EventBridge scheduled events and Scheduler input, direct invocations, CloudWatch alarms (through
//! SNS, EventBridge or the alarm's Lambda action), AWS Backup vault notifications (SNS) and the
//! events of `aws.backup`, `aws.drs`, `aws.mgn` and `aws.sms` (directly or forwarded through SNS).
//! SNS records are unwrapped and checked against the allowed topics here, so a plan sees one flat
//! list of [`Event`]s and skips those it does not act on with [`Trigger::not_handled`].
//!
//! The envelopes are the `aws_lambda_events` types; where a type of that crate refuses payloads
//! AWS documents (noted at each use), a lenient type of our own reads the same fields. Anything
//! else is a [`TriggerError`] naming the field at fault; parsing never panics.

mod alarm;
mod custom;
mod envelope;
mod error;
mod service;
mod vault;

pub use alarm::{Alarm, AlarmDelivery, AlarmKind, AlarmState, Dimension};
pub use custom::{DirectInvoke, Schedule, MAX_TARGETS};
pub use error::TriggerError;
pub use service::{
    ApiCall, BackupJobChange, CopyJobChange, OtherEvent, ReplicationStalled, StalledState,
};
pub use vault::VaultNotification;

use crate::arn::Arn;
use crate::report::{Skip, Skips};
use serde_json::Value;

/// What started a run: the events it carries, after SNS is unwrapped and foreign topics dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    /// The events to act on, in delivery order.
    pub events: Vec<Event>,
    /// Notifications left alone before they were read (a topic not in `TRIGGER_TOPIC_ARNS`).
    pub skips: Skips,
    /// Whether the event asked for a dry run (only custom input can).
    pub dry_run: bool,
    description: String,
}

/// One thing that happened, whichever way it was delivered.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A schedule (EventBridge rule or Scheduler): reconcile everything the configuration covers.
    Schedule(Schedule),
    /// A direct invocation naming explicit targets.
    Direct(DirectInvoke),
    /// A CloudWatch alarm state change (metric, metric math, anomaly, composite or contributor).
    Alarm(Alarm),
    /// `aws.drs` "DRS Source Server Data Replication Stalled Change".
    ReplicationStalled(ReplicationStalled),
    /// `aws.backup` "Backup Job State Change".
    BackupJob(BackupJobChange),
    /// `aws.backup` "Copy Job State Change".
    CopyJob(CopyJobChange),
    /// An AWS Backup vault notification (SNS).
    VaultNotification(VaultNotification),
    /// "AWS API Call via CloudTrail" of a supported service.
    ApiCall(ApiCall),
    /// A documented event of a supported source that no function acts on today.
    Other(OtherEvent),
}

impl Event {
    /// What a skip of this event names: its id, or what it is about.
    pub fn key(&self) -> String {
        match self {
            Event::Schedule(s) => s.name.clone().unwrap_or_else(|| "schedule".to_owned()),
            Event::Direct(_) => "direct invoke".to_owned(),
            Event::Alarm(a) => a.name.clone(),
            Event::ReplicationStalled(e) => e.source_server_id.to_string(),
            Event::BackupJob(e) => e.backup_job_id.clone(),
            Event::CopyJob(e) => e.copy_job_id.clone().unwrap_or_else(|| e.event_id.clone()),
            Event::VaultNotification(v) => v.message_id.clone(),
            Event::ApiCall(c) => c.event_id.clone(),
            Event::Other(o) => o.id.clone().unwrap_or_else(|| o.what()),
        }
    }

    /// A short description for reports and logs.
    pub fn describe(&self) -> String {
        match self {
            Event::Schedule(s) => match &s.name {
                Some(name) => format!("schedule {name}"),
                None => "schedule".to_owned(),
            },
            Event::Direct(d) => format!("direct invoke ({} targets)", d.targets.len()),
            Event::Alarm(a) => a.describe(),
            Event::ReplicationStalled(_) => {
                "aws.drs DRS Source Server Data Replication Stalled Change".to_owned()
            }
            Event::BackupJob(_) => "aws.backup Backup Job State Change".to_owned(),
            Event::CopyJob(_) => "aws.backup Copy Job State Change".to_owned(),
            Event::VaultNotification(v) => v.describe(),
            Event::ApiCall(c) => format!("{} AWS API Call via CloudTrail", c.source),
            Event::Other(o) => o.what(),
        }
    }
}

impl Trigger {
    /// A one-line description for reports and logs.
    pub fn describe(&self) -> String {
        self.description.clone()
    }

    /// The skip of an event the function `function` does not act on, the same in every function.
    pub fn not_handled(event: &Event, function: &str) -> Skip {
        Skip::new(
            event.key(),
            format!("{}: not handled by {function}", event.describe()),
        )
    }

    /// A trigger of these events, as one delivery brings them (a dry run only by configuration).
    pub fn from_events(events: Vec<Event>) -> Self {
        let described: Vec<String> = events.iter().map(Event::describe).collect();
        Self {
            description: described.join("; "),
            events,
            skips: Skips::new(),
            dry_run: false,
        }
    }

    fn single(event: Event, dry_run: bool) -> Self {
        Self {
            dry_run,
            ..Self::from_events(vec![event])
        }
    }
}

/// Where events may come from: the account the function serves and the SNS topics it accepts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Admission<'a> {
    /// The function's own account (`ACCOUNT_ID`); `None` (local runs) accepts every account.
    pub home_account: Option<&'a str>,
    /// SNS topics whose notifications are read (`TRIGGER_TOPIC_ARNS`); empty accepts every topic.
    pub trigger_topics: &'a [Arn],
}

impl Admission<'_> {
    /// Refuses an account other than the home account.
    fn check_account(&self, what: &'static str, account: Option<&str>) -> Result<(), TriggerError> {
        match (self.home_account, account) {
            (Some(home), Some(account)) if home != account => Err(TriggerError::ForeignAccount {
                what,
                account: account.to_owned(),
                home: home.to_owned(),
            }),
            _ => Ok(()),
        }
    }

    fn accepts_topic(&self, topic_arn: &str) -> bool {
        self.trigger_topics.is_empty() || self.trigger_topics.iter().any(|t| t == topic_arn)
    }
}

/// Parses a Lambda event for a function that admits `admission`: an event from another account is
/// refused before anything else is read, and notifications of topics it does not accept are
/// skipped unread.
pub fn parse_for(event: &Value, admission: Admission<'_>) -> Result<Trigger, TriggerError> {
    envelope::parse(event, &admission)
}

/// Parses a Lambda event, accepting every account and topic.
pub fn parse(event: &Value) -> Result<Trigger, TriggerError> {
    parse_for(event, Admission::default())
}

#[cfg(test)]
mod tests;
