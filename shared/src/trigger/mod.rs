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
pub use custom::{DirectInvoke, LaunchMode, Schedule, TargetSelector, MAX_TARGETS};
pub use error::TriggerError;
pub use service::{
    ApiCall, BackupJobChange, CopyJobChange, LaunchResult, LaunchResultState, MgnChange,
    MgnLaunchState, MgnLifeCycleState, MgnServerEvent, OtherEvent, ReplicationStalled,
    StalledState,
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
    /// Where each event of `events` comes from, in the same order.
    origins: Vec<Origin>,
    /// The one fleet target a direct invoke asked for.
    target: Option<TargetSelector>,
    description: String,
}

/// The account and region an event says it comes from; what it does not say matches every
/// target. Schedules, alarms and custom input say nothing: they concern the whole fleet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The account, when the event names it.
    pub account: Option<String>,
    /// The region, when the event names it.
    pub region: Option<String>,
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
    /// A DRS drill or recovery instance launched, or failed to.
    LaunchResult(LaunchResult),
    /// One of the three `aws.mgn` source-server events.
    Mgn(MgnServerEvent),
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
            Event::LaunchResult(e) => e.event_id.clone(),
            Event::Mgn(e) => e.event_id.clone(),
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
            Event::Direct(d) => match d.mode {
                Some(mode) => format!(
                    "direct invoke ({}, {} targets)",
                    mode.as_str(),
                    d.targets.len()
                ),
                None => format!("direct invoke ({} targets)", d.targets.len()),
            },
            Event::Alarm(a) => a.describe(),
            Event::LaunchResult(_) => "aws.drs DRS Source Server Launch Result".to_owned(),
            Event::ReplicationStalled(_) => {
                "aws.drs DRS Source Server Data Replication Stalled Change".to_owned()
            }
            Event::Mgn(e) => format!("aws.mgn {} of {}", e.change.describe(), e.source_server_id),
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

    /// A trigger of these events, as one delivery brings them (a dry run only by configuration),
    /// each concerning the whole fleet.
    pub fn from_events(events: Vec<Event>) -> Self {
        let described: Vec<String> = events.iter().map(Event::describe).collect();
        Self {
            description: described.join("; "),
            origins: vec![Origin::default(); events.len()],
            events,
            skips: Skips::new(),
            dry_run: false,
            target: None,
        }
    }

    /// The same trigger with each event from `origins` (in order).
    pub fn with_origins(mut self, origins: Vec<Origin>) -> Self {
        self.origins = origins;
        self
    }

    /// The one fleet target a direct invoke asked for, if any.
    pub fn target(&self) -> Option<&TargetSelector> {
        self.target.as_ref()
    }

    /// Where each event comes from, in the order of `events`.
    pub fn origins(&self) -> impl Iterator<Item = &Origin> {
        self.origins
            .iter()
            .chain(std::iter::repeat(&NO_ORIGIN))
            .take(self.events.len())
    }

    /// The trigger as one target sees it: the events whose origin `covers` accepts, without the
    /// delivery's skips (reported once for the run).
    pub fn only(&self, covers: impl Fn(&Origin) -> bool) -> Self {
        let (events, origins) = self
            .events
            .iter()
            .zip(self.origins())
            .filter(|(_, origin)| covers(origin))
            .map(|(e, o)| (e.clone(), o.clone()))
            .unzip();
        Self {
            events,
            origins,
            skips: Skips::new(),
            dry_run: self.dry_run,
            target: self.target.clone(),
            description: self.description.clone(),
        }
    }

    fn single(event: Event, origin: Origin, dry_run: bool) -> Self {
        Self {
            dry_run,
            ..Self::from_events(vec![event]).with_origins(vec![origin])
        }
    }
}

/// The origin of events that do not say.
static NO_ORIGIN: Origin = Origin {
    account: None,
    region: None,
};

/// Where events may come from: the accounts the function serves and the SNS topics it accepts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Admission<'a> {
    /// The function's own account (`ACCOUNT_ID`), where its SNS topics live.
    pub home_account: Option<&'a str>,
    /// The fleet's accounts (`FLEET`, else the home account): the only ones events are taken
    /// from; empty (local runs without `ACCOUNT_ID`) accepts every account.
    pub fleet_accounts: &'a [String],
    /// SNS topics whose notifications are read (`TRIGGER_TOPIC_ARNS`); empty accepts every topic.
    pub trigger_topics: &'a [Arn],
}

impl Admission<'_> {
    /// Whether events of `account` are taken: a fleet account, or with no fleet known the home
    /// account, or with neither known any account.
    fn serves(&self, account: &str) -> bool {
        match (self.fleet_accounts, self.home_account) {
            ([], None) => true,
            ([], Some(home)) => home == account,
            (fleet, _) => fleet.iter().any(|a| a == account),
        }
    }

    /// Refuses an event of an account outside the fleet.
    fn check_account(&self, what: &'static str, account: Option<&str>) -> Result<(), TriggerError> {
        match account {
            Some(account) if !self.serves(account) => Err(self.foreign(what, account)),
            _ => Ok(()),
        }
    }

    /// Refuses an account that is neither the home account nor the fleet's: for what lives in
    /// the home account and concerns the whole fleet (the SNS topics it subscribes to, its
    /// schedules, its alarms), whether or not the home account is itself a target.
    fn check_home_or_fleet(
        &self,
        what: &'static str,
        account: Option<&str>,
    ) -> Result<(), TriggerError> {
        if account.is_some() && account == self.home_account {
            return Ok(());
        }
        self.check_account(what, account)
    }

    fn foreign(&self, what: &'static str, account: &str) -> TriggerError {
        let served = match (self.fleet_accounts, self.home_account) {
            ([only], Some(home)) if only == home => format!("account {home} (ACCOUNT_ID)"),
            ([], Some(home)) => format!("account {home} (ACCOUNT_ID)"),
            (accounts, _) => format!("accounts {} (FLEET)", accounts.join(", ")),
        };
        TriggerError::ForeignAccount {
            what,
            account: account.to_owned(),
            served,
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
