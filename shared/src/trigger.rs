//! Turning a Lambda event into a [`Trigger`]: what started the run, typed and validated.
//!
//! Every shape the functions are subscribed to is recognised here: EventBridge scheduled events,
//! EventBridge Scheduler custom input, direct invocations, CloudWatch alarms (via SNS or
//! EventBridge), AWS Backup vault notifications (via SNS) and service events from `aws.backup`,
//! `aws.drs` and `aws.sms` (directly or forwarded through SNS). Anything else is a [`TriggerError`]
//! naming the field at fault; parsing never panics.

use serde_json::{Map, Value};

/// What started a run.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// A schedule (EventBridge rule or Scheduler): reconcile everything the configuration covers.
    Schedule(Schedule),
    /// A direct invocation naming explicit targets.
    Direct(DirectInvoke),
    /// A CloudWatch alarm state change delivered by EventBridge.
    Alarm(Alarm),
    /// An AWS service event delivered by EventBridge.
    Service(ServiceEvent),
    /// One or more SNS notifications.
    Sns(Vec<SnsNotification>),
}

impl Trigger {
    /// Whether the event asked for a dry run (only custom input can).
    pub fn dry_run(&self) -> bool {
        match self {
            Trigger::Schedule(s) => s.dry_run,
            Trigger::Direct(d) => d.dry_run,
            _ => false,
        }
    }

    /// A one-line description for reports and logs.
    pub fn describe(&self) -> String {
        match self {
            Trigger::Schedule(s) => match &s.name {
                Some(name) => format!("schedule {name}"),
                None => "schedule".to_owned(),
            },
            Trigger::Direct(d) => format!("direct invoke ({} targets)", d.targets.len()),
            Trigger::Alarm(a) => format!("alarm {} ({})", a.name, a.state.as_str()),
            Trigger::Service(e) => format!("{} {}", e.source, e.detail_type),
            Trigger::Sns(n) => {
                let kinds: Vec<String> = n.iter().map(|n| n.message.describe()).collect();
                format!("SNS: {}", kinds.join("; "))
            }
        }
    }
}

/// A scheduled run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The rule or schedule name, when the event carries it.
    pub name: Option<String>,
    /// Plan only, change nothing.
    pub dry_run: bool,
}

/// A direct invocation with explicit targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectInvoke {
    /// Target identifiers (source server ids, job ids, recovery point ARNs...).
    pub targets: Vec<String>,
    /// Plan only, change nothing.
    pub dry_run: bool,
}

/// A CloudWatch alarm state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmState {
    /// `OK`
    Ok,
    /// `ALARM`
    Alarm,
    /// `INSUFFICIENT_DATA`
    InsufficientData,
}

impl AlarmState {
    fn parse(field: &str, s: &str) -> Result<Self, TriggerError> {
        match s {
            "OK" => Ok(Self::Ok),
            "ALARM" => Ok(Self::Alarm),
            "INSUFFICIENT_DATA" => Ok(Self::InsufficientData),
            other => Err(TriggerError::field(
                field,
                format!("`{other}` is not an alarm state (OK, ALARM, INSUFFICIENT_DATA)"),
            )),
        }
    }

    /// The state as CloudWatch spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Alarm => "ALARM",
            Self::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

/// A metric dimension of an alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dimension {
    /// Dimension name, e.g. `InstanceId`.
    pub name: String,
    /// Dimension value, e.g. `i-0123456789abcdef0`.
    pub value: String,
}

/// A CloudWatch alarm state change, from SNS or EventBridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// The alarm name.
    pub name: String,
    /// The alarm description (may be null in SNS messages).
    pub description: Option<String>,
    /// The new state.
    pub state: AlarmState,
    /// The previous state, when given.
    pub previous_state: Option<AlarmState>,
    /// Why the state changed.
    pub reason: Option<String>,
    /// The account the alarm belongs to.
    pub account: Option<String>,
    /// The metric dimensions (empty for composite alarms).
    pub dimensions: Vec<Dimension>,
}

/// An AWS Backup vault notification delivered through SNS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultNotification {
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

/// An EventBridge event from an AWS service this project reacts to.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceEvent {
    /// Event id (stable across redeliveries).
    pub id: String,
    /// `aws.backup`, `aws.drs` or `aws.sms`.
    pub source: String,
    /// The event's `detail-type`.
    pub detail_type: String,
    /// The account the event came from.
    pub account: Option<String>,
    /// The region code the event came from.
    pub region: Option<String>,
    /// The resources the event names.
    pub resources: Vec<String>,
    /// The typed detail.
    pub kind: ServiceEventKind,
}

/// The detail of a [`ServiceEvent`], typed for the events the functions act on.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceEventKind {
    /// `aws.drs` "DRS Source Server Data Replication Stalled Change".
    DrsReplicationStalled {
        /// The source server (`s-` + 17 characters).
        source_server_id: String,
        /// `STALLED` or `NOT_STALLED`.
        state: String,
    },
    /// `aws.backup` "Backup Job State Change".
    BackupJob(BackupJobChange),
    /// `aws.backup` "Copy Job State Change".
    CopyJob(CopyJobChange),
    /// Any other event from a supported source; the detail is kept as is.
    Other(Value),
}

/// The parts of a "Backup Job State Change" event the functions use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupJobChange {
    /// `detail.backupJobId`.
    pub backup_job_id: String,
    /// `detail.state`, e.g. `COMPLETED`.
    pub state: String,
    /// `detail.backupVaultName`.
    pub backup_vault_name: Option<String>,
    /// `resources[0]`: the recovery point (the detail carries none).
    pub recovery_point_arn: Option<String>,
    /// `detail.resourceArn`.
    pub resource_arn: Option<String>,
    /// `detail.resourceType`.
    pub resource_type: Option<String>,
}

/// The parts of a "Copy Job State Change" event the functions use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyJobChange {
    /// `detail.copyJobId`.
    pub copy_job_id: String,
    /// `detail.state`, e.g. `FAILED`.
    pub state: String,
    /// `resources[0]`: the source recovery point.
    pub source_recovery_point_arn: Option<String>,
    /// `detail.sourceBackupVaultArn`.
    pub source_backup_vault_arn: Option<String>,
    /// `detail.destinationBackupVaultArn`.
    pub destination_backup_vault_arn: Option<String>,
    /// `detail.resourceType`.
    pub resource_type: Option<String>,
    /// `detail.statusMessage`.
    pub status_message: Option<String>,
}

/// One SNS record.
#[derive(Debug, Clone, PartialEq)]
pub struct SnsNotification {
    /// The topic that delivered it.
    pub topic_arn: String,
    /// The SNS message id (stable across redeliveries).
    pub message_id: String,
    /// What the message says.
    pub message: SnsMessage,
}

/// The classified content of an SNS message.
#[derive(Debug, Clone, PartialEq)]
pub enum SnsMessage {
    /// A CloudWatch alarm notification.
    Alarm(Alarm),
    /// An AWS Backup vault notification.
    BackupVault(VaultNotification),
    /// An EventBridge service event forwarded to SNS by a rule.
    Service(ServiceEvent),
}

impl SnsMessage {
    fn describe(&self) -> String {
        match self {
            SnsMessage::Alarm(a) => format!("alarm {} ({})", a.name, a.state.as_str()),
            SnsMessage::BackupVault(v) => format!(
                "backup vault notification {} {}",
                v.event_type.as_deref().unwrap_or("?"),
                v.state.as_deref().unwrap_or("?")
            ),
            SnsMessage::Service(e) => format!("{} {}", e.source, e.detail_type),
        }
    }
}

pub use crate::event::TriggerError;

/// Parses an event for a function serving the account `home`: an event that says it comes from
/// another account is rejected before it is parsed. `home` unset (local runs) accepts every
/// account.
pub fn parse_for(event: &Value, home: Option<&str>) -> Result<Trigger, TriggerError> {
    check_origin(event, home)?;
    parse(event)
}

/// Rejects an event that says it comes from another account than `home`: an EventBridge event's
/// `account`, an SNS notification's topic, or an EventBridge event forwarded through SNS. The
/// functions act for their own account only.
fn check_origin(event: &Value, home: Option<&str>) -> Result<(), TriggerError> {
    let Some(home) = home else {
        return Ok(());
    };
    let foreign = |what, account: &str| {
        (account != home).then(|| TriggerError::ForeignAccount {
            what,
            account: account.to_owned(),
            home: home.to_owned(),
        })
    };
    if let Some(e) = event
        .get("account")
        .and_then(Value::as_str)
        .and_then(|a| foreign("the event", a))
    {
        return Err(e);
    }
    for record in event
        .get("Records")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let sns = record.get("Sns");
        let topic_account = sns
            .and_then(|s| s.get("TopicArn"))
            .and_then(Value::as_str)
            .and_then(|arn| arn.split(':').nth(4));
        if let Some(e) = topic_account.and_then(|a| foreign("the SNS topic", a)) {
            return Err(e);
        }
        let forwarded = sns
            .and_then(|s| s.get("Message"))
            .and_then(Value::as_str)
            .and_then(|m| serde_json::from_str::<Value>(m).ok());
        if let Some(e) = forwarded
            .as_ref()
            .and_then(|m| m.get("account"))
            .and_then(Value::as_str)
            .and_then(|a| foreign("the forwarded event", a))
        {
            return Err(e);
        }
    }
    Ok(())
}

/// Parses a Lambda event payload.
pub fn parse(event: &Value) -> Result<Trigger, TriggerError> {
    let obj = as_object(event)?;
    if obj.contains_key("Records") {
        return parse_sns_event(obj).map(Trigger::Sns);
    }
    if obj.contains_key("detail-type") || obj.contains_key("source") {
        return parse_eventbridge(obj);
    }
    parse_custom_input(obj)
}

/// Most targets one direct invocation may name: more than a DRS account's source servers, and
/// small enough that a run and its report stay bounded whatever the caller sends.
pub const MAX_TARGETS: usize = 4_000;

/// Custom input: from EventBridge Scheduler (which delivers only its configured `Input`) or a
/// direct invocation.
fn parse_custom_input(obj: &Map<String, Value>) -> Result<Trigger, TriggerError> {
    const KNOWN: [&str; 3] = ["schedule", "targets", "dryRun"];
    if let Some(unknown) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(TriggerError::Unrecognised(format!(
            "unknown field `{unknown}` (custom input takes schedule, targets, dryRun)"
        )));
    }
    let dry_run = match obj.get("dryRun") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(TriggerError::field(
                "dryRun",
                format!("expected true or false, found {}", type_name(other)),
            ))
        }
    };
    let name = opt_str(obj, "schedule")?;
    match obj.get("targets") {
        None | Some(Value::Null) => Ok(Trigger::Schedule(Schedule { name, dry_run })),
        Some(_) if name.is_some() => Err(TriggerError::field(
            "targets",
            "give either `schedule` or `targets`, not both",
        )),
        Some(value) => {
            if let Some(n) = value.as_array().map(Vec::len).filter(|n| *n > MAX_TARGETS) {
                return Err(TriggerError::field(
                    "targets",
                    format!("names {n} targets; at most {MAX_TARGETS} per invocation"),
                ));
            }
            let targets = str_list("targets", value)?;
            if targets.is_empty() {
                return Err(TriggerError::field("targets", "is empty"));
            }
            Ok(Trigger::Direct(DirectInvoke { targets, dry_run }))
        }
    }
}

fn parse_eventbridge(obj: &Map<String, Value>) -> Result<Trigger, TriggerError> {
    let source = req_str(obj, "source")?;
    let detail_type = req_str(obj, "detail-type")?;
    match (source.as_str(), detail_type.as_str()) {
        ("aws.events", "Scheduled Event") => {
            let resources = opt_str_list(obj, "resources")?;
            let name = resources
                .first()
                .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned());
            Ok(Trigger::Schedule(Schedule {
                name,
                dry_run: false,
            }))
        }
        ("aws.cloudwatch", "CloudWatch Alarm State Change") => {
            let detail = req_object(obj, "detail")?;
            parse_eventbridge_alarm(obj, detail)
                .map(Trigger::Alarm)
                .map_err(|e| e.within("detail"))
        }
        _ => parse_service_event(obj, source, detail_type).map(Trigger::Service),
    }
}

fn parse_service_event(
    obj: &Map<String, Value>,
    source: String,
    detail_type: String,
) -> Result<ServiceEvent, TriggerError> {
    if !matches!(source.as_str(), "aws.backup" | "aws.drs" | "aws.sms") {
        return Err(TriggerError::UnsupportedEvent {
            source_name: source,
            detail_type,
        });
    }
    let resources = opt_str_list(obj, "resources")?;
    let detail = req_object(obj, "detail")?;
    let kind = match (source.as_str(), detail_type.as_str()) {
        ("aws.drs", "DRS Source Server Data Replication Stalled Change") => {
            let from_resource = resources.iter().find_map(|arn| {
                arn.split_once(":source-server/")
                    .map(|(_, id)| id.to_owned())
            });
            let source_server_id = match from_resource {
                Some(id) => id,
                None => opt_str(detail, "sourceServerID")
                    .map_err(|e| e.within("detail"))?
                    .ok_or_else(|| {
                        TriggerError::field("resources", "names no DRS source server ARN")
                    })?,
            };
            if !is_source_server_id(&source_server_id) {
                return Err(TriggerError::field(
                    "resources",
                    format!("`{source_server_id}` is not a source server id (s- and 17 letters or digits)"),
                ));
            }
            ServiceEventKind::DrsReplicationStalled {
                source_server_id,
                state: req_str(detail, "state").map_err(|e| e.within("detail"))?,
            }
        }
        ("aws.backup", "Backup Job State Change") => {
            let d = |e: TriggerError| e.within("detail");
            ServiceEventKind::BackupJob(BackupJobChange {
                backup_job_id: req_str(detail, "backupJobId").map_err(d)?,
                state: req_str(detail, "state").map_err(d)?,
                backup_vault_name: opt_str(detail, "backupVaultName").map_err(d)?,
                recovery_point_arn: resources.first().cloned(),
                resource_arn: opt_str(detail, "resourceArn").map_err(d)?,
                resource_type: opt_str(detail, "resourceType").map_err(d)?,
            })
        }
        ("aws.backup", "Copy Job State Change") => {
            let d = |e: TriggerError| e.within("detail");
            ServiceEventKind::CopyJob(CopyJobChange {
                copy_job_id: req_str(detail, "copyJobId").map_err(d)?,
                state: req_str(detail, "state").map_err(d)?,
                source_recovery_point_arn: resources.first().cloned(),
                source_backup_vault_arn: opt_str(detail, "sourceBackupVaultArn").map_err(d)?,
                destination_backup_vault_arn: opt_str(detail, "destinationBackupVaultArn")
                    .map_err(d)?,
                resource_type: opt_str(detail, "resourceType").map_err(d)?,
                status_message: opt_str(detail, "statusMessage").map_err(d)?,
            })
        }
        _ => ServiceEventKind::Other(Value::Object(detail.clone())),
    };
    Ok(ServiceEvent {
        id: opt_str(obj, "id")?.unwrap_or_default(),
        source,
        detail_type,
        account: opt_str(obj, "account")?,
        region: opt_str(obj, "region")?,
        resources,
        kind,
    })
}

fn parse_eventbridge_alarm(
    envelope: &Map<String, Value>,
    detail: &Map<String, Value>,
) -> Result<Alarm, TriggerError> {
    let state = req_object(detail, "state")?;
    let new_state = AlarmState::parse(
        "state.value",
        &req_str(state, "value").map_err(|e| e.within("state"))?,
    )?;
    let previous_state = match detail.get("previousState") {
        Some(Value::Object(prev)) => {
            match opt_str(prev, "value").map_err(|e| e.within("previousState"))? {
                Some(v) => Some(AlarmState::parse("previousState.value", &v)?),
                None => None,
            }
        }
        _ => None,
    };
    let configuration = match detail.get("configuration") {
        Some(Value::Object(c)) => Some(c),
        _ => None,
    };
    let mut dimensions = Vec::new();
    if let Some(Value::Array(metrics)) = configuration.and_then(|c| c.get("metrics")) {
        for (i, metric) in metrics.iter().enumerate() {
            let dims = metric
                .pointer("/metricStat/metric/dimensions")
                .and_then(Value::as_object);
            for (name, value) in dims.into_iter().flatten() {
                let value = value.as_str().ok_or_else(|| {
                    TriggerError::field(
                        format!("configuration.metrics[{i}].metricStat.metric.dimensions.{name}"),
                        format!("expected a string, found {}", type_name(value)),
                    )
                })?;
                push_dimension(&mut dimensions, name, value);
            }
        }
    }
    Ok(Alarm {
        name: req_str(detail, "alarmName")?,
        description: match configuration {
            Some(c) => opt_str(c, "description").map_err(|e| e.within("configuration"))?,
            None => None,
        },
        state: new_state,
        previous_state,
        reason: opt_str(state, "reason").map_err(|e| e.within("state"))?,
        account: opt_str(envelope, "account")?,
        dimensions,
    })
}

fn parse_sns_event(obj: &Map<String, Value>) -> Result<Vec<SnsNotification>, TriggerError> {
    let records = match obj.get("Records") {
        Some(Value::Array(r)) => r,
        Some(other) => {
            return Err(TriggerError::field(
                "Records",
                format!("expected an array, found {}", type_name(other)),
            ))
        }
        None => return Err(TriggerError::field("Records", "is missing")),
    };
    if records.is_empty() {
        return Err(TriggerError::field("Records", "is empty"));
    }
    records
        .iter()
        .enumerate()
        .map(|(i, record)| parse_sns_record(record).map_err(|e| e.within(&format!("Records[{i}]"))))
        .collect()
}

fn parse_sns_record(record: &Value) -> Result<SnsNotification, TriggerError> {
    let record = record.as_object().ok_or_else(|| {
        TriggerError::field(
            "",
            format!("expected an object, found {}", type_name(record)),
        )
    })?;
    let source = req_str(record, "EventSource")?;
    if source != "aws:sns" {
        return Err(TriggerError::field(
            "EventSource",
            format!("`{source}` is not aws:sns; only SNS records are accepted"),
        ));
    }
    let sns = req_object(record, "Sns")?;
    let within = |e: TriggerError| e.within("Sns");
    let topic_arn = req_str(sns, "TopicArn").map_err(within)?;
    let message_id = req_str(sns, "MessageId").map_err(within)?;
    let subject = opt_str(sns, "Subject").map_err(within)?;
    let text = req_str(sns, "Message").map_err(within)?;
    let attributes = sns_attributes(sns).map_err(within)?;

    let message = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(body)) if body.contains_key("AlarmName") => {
            SnsMessage::Alarm(parse_sns_alarm(&body).map_err(|e| e.within("Sns.Message"))?)
        }
        Ok(Value::Object(body)) if body.contains_key("detail-type") => {
            let source = req_str(&body, "source").map_err(|e| e.within("Sns.Message"))?;
            let detail_type = req_str(&body, "detail-type").map_err(|e| e.within("Sns.Message"))?;
            SnsMessage::Service(
                parse_service_event(&body, source, detail_type).map_err(|e| e.within("Sns.Message"))?,
            )
        }
        _ if is_backup_notification(&attributes, subject.as_deref(), &text) => {
            SnsMessage::BackupVault(parse_vault_notification(&attributes, &text))
        }
        _ => {
            return Err(TriggerError::field(
                "Sns.Message",
                "is neither a CloudWatch alarm, an AWS Backup vault notification nor an EventBridge event",
            ))
        }
    };
    Ok(SnsNotification {
        topic_arn,
        message_id,
        message,
    })
}

/// The SNS alarm message: `AlarmDescription` and `Trigger.Unit` may be null, `Trigger` is absent
/// for composite alarms, and `Dimensions` is a list of `{name, value}`.
fn parse_sns_alarm(body: &Map<String, Value>) -> Result<Alarm, TriggerError> {
    let state = AlarmState::parse("NewStateValue", &req_str(body, "NewStateValue")?)?;
    let previous_state = match opt_str(body, "OldStateValue")? {
        Some(v) => Some(AlarmState::parse("OldStateValue", &v)?),
        None => None,
    };
    let mut dimensions = Vec::new();
    if let Some(trigger) = body.get("Trigger").and_then(Value::as_object) {
        match trigger.get("Dimensions") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let field = format!("Trigger.Dimensions[{i}]");
                    let item = item.as_object().ok_or_else(|| {
                        TriggerError::field(
                            &field,
                            format!("expected an object, found {}", type_name(item)),
                        )
                    })?;
                    let name = req_str(item, "name").map_err(|e| e.within(&field))?;
                    let value = req_str(item, "value").map_err(|e| e.within(&field))?;
                    push_dimension(&mut dimensions, &name, &value);
                }
            }
            Some(other) => {
                return Err(TriggerError::field(
                    "Trigger.Dimensions",
                    format!("expected an array, found {}", type_name(other)),
                ))
            }
        }
    }
    Ok(Alarm {
        name: req_str(body, "AlarmName")?,
        description: opt_str(body, "AlarmDescription")?,
        state,
        previous_state,
        reason: opt_str(body, "NewStateReason")?,
        account: opt_str(body, "AWSAccountId")?,
        dimensions,
    })
}

fn push_dimension(dimensions: &mut Vec<Dimension>, name: &str, value: &str) {
    let d = Dimension {
        name: name.to_owned(),
        value: value.to_owned(),
    };
    if !dimensions.contains(&d) {
        dimensions.push(d);
    }
}

/// SNS message attributes as name → string value.
fn sns_attributes(sns: &Map<String, Value>) -> Result<Vec<(String, String)>, TriggerError> {
    let mut out = Vec::new();
    match sns.get("MessageAttributes") {
        None | Some(Value::Null) => {}
        Some(Value::Object(attrs)) => {
            for (name, attr) in attrs {
                let value = attr.get("Value").and_then(Value::as_str).ok_or_else(|| {
                    TriggerError::field(
                        format!("MessageAttributes.{name}.Value"),
                        "is missing or not a string",
                    )
                })?;
                out.push((name.clone(), value.to_owned()));
            }
        }
        Some(other) => {
            return Err(TriggerError::field(
                "MessageAttributes",
                format!("expected an object, found {}", type_name(other)),
            ))
        }
    }
    Ok(out)
}

fn attribute<'a>(attributes: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn is_backup_notification(
    attributes: &[(String, String)],
    subject: Option<&str>,
    text: &str,
) -> bool {
    attribute(attributes, "EventType")
        .is_some_and(|t| t.ends_with("_JOB") || t.starts_with("RECOVERY_POINT"))
        || subject.is_some_and(|s| s.contains("AWS Backup"))
        || text.starts_with("An AWS Backup job")
}

/// Reads a vault notification, preferring message attributes over the text, which comes in two
/// variants (`Resource ARN : x` and `Resource ARN: x`, `BackupJob ID` and `Backup Job ID`).
fn parse_vault_notification(attributes: &[(String, String)], text: &str) -> VaultNotification {
    let text_state = if text.contains("completed successfully") {
        Some("COMPLETED")
    } else if text.contains("failed") {
        Some("FAILED")
    } else if text.contains("expired") {
        Some("EXPIRED")
    } else {
        None
    };
    let text_job_id = labelled_value(text, "BackupJob ID")
        .or_else(|| labelled_value(text, "Backup Job ID"))
        .or_else(|| labelled_value(text, "Backup job ID"));
    VaultNotification {
        event_type: attribute(attributes, "EventType").map(str::to_owned),
        state: attribute(attributes, "State")
            .map(str::to_owned)
            .or_else(|| text_state.map(str::to_owned)),
        job_id: attribute(attributes, "Id")
            .map(str::to_owned)
            .or(text_job_id),
        recovery_point_arn: labelled_value(text, "Recovery point ARN"),
        resource_arn: labelled_value(text, "Resource ARN"),
        account: attribute(attributes, "AccountId").map(str::to_owned),
    }
}

/// The token after `label`, an optional space and a colon, without a sentence-ending period.
fn labelled_value(text: &str, label: &str) -> Option<String> {
    let start = text.find(label)? + label.len();
    let rest = text[start..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let token = rest.split_whitespace().next()?;
    let token = token.trim_end_matches(['.', ',']);
    (!token.is_empty()).then(|| token.to_owned())
}

/// True for `s-` followed by 17 ASCII letters or digits, the DRS source server id pattern.
pub fn is_source_server_id(s: &str) -> bool {
    s.len() == 19 && s.starts_with("s-") && s[2..].bytes().all(|b| b.is_ascii_alphanumeric())
}

fn as_object(v: &Value) -> Result<&Map<String, Value>, TriggerError> {
    v.as_object().ok_or(TriggerError::NotAnObject {
        found: type_name(v),
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn req_str(obj: &Map<String, Value>, key: &str) -> Result<String, TriggerError> {
    opt_str(obj, key)?.ok_or_else(|| TriggerError::field(key, "is missing"))
}

fn opt_str(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, TriggerError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(TriggerError::field(
            key,
            format!("expected a string, found {}", type_name(other)),
        )),
    }
}

fn req_object<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
) -> Result<&'a Map<String, Value>, TriggerError> {
    match obj.get(key) {
        Some(Value::Object(o)) => Ok(o),
        None | Some(Value::Null) => Err(TriggerError::field(key, "is missing")),
        Some(other) => Err(TriggerError::field(
            key,
            format!("expected an object, found {}", type_name(other)),
        )),
    }
}

fn opt_str_list(obj: &Map<String, Value>, key: &str) -> Result<Vec<String>, TriggerError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => str_list(key, v),
    }
}

fn str_list(key: &str, value: &Value) -> Result<Vec<String>, TriggerError> {
    let items = value.as_array().ok_or_else(|| {
        TriggerError::field(
            key,
            format!("expected an array of strings, found {}", type_name(value)),
        )
    })?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.as_str().map(str::to_owned).ok_or_else(|| {
                TriggerError::field(
                    format!("{key}[{i}]"),
                    format!("expected a string, found {}", type_name(item)),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
