//! The fan-in: which envelope an event came in, the origin check, and SNS unwrapped once.

use super::custom::{self, CustomInput};
use super::error::{type_name, typed, TriggerError};
use super::{alarm, service, vault, Admission, Event, Origin, OtherEvent, Schedule, Trigger};
use crate::arn::Arn;
use crate::report::{Skip, Skips};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sns::SnsRecord;
use serde_json::Value;

/// Parses any event the functions are subscribed to.
pub(super) fn parse(event: &Value, admission: &Admission<'_>) -> Result<Trigger, TriggerError> {
    let obj = event.as_object().ok_or(TriggerError::NotAnObject {
        found: type_name(event),
    })?;
    if obj.contains_key("Records") {
        return sns(event, admission);
    }
    // The alarm Lambda action also names a `source` (aws.cloudwatch) but has no `detail-type`.
    if obj.contains_key("alarmData") {
        let alarm = alarm::from_lambda_action(event)?;
        admission.check_home_or_fleet("the alarm", alarm.account.as_deref())?;
        return Ok(Trigger::single(
            Event::Alarm(alarm),
            Origin::default(),
            false,
        ));
    }
    if obj.contains_key("detail-type") || obj.contains_key("source") {
        return eventbridge(event, admission, "the event")
            .map(|(e, origin)| Trigger::single(e, origin, false));
    }
    let custom = custom::parse(obj)?;
    let mut trigger = match custom.input {
        CustomInput::Schedule(s) => {
            Trigger::single(Event::Schedule(s), Origin::default(), custom.dry_run)
        }
        CustomInput::Direct(d) => {
            Trigger::single(Event::Direct(d), Origin::default(), custom.dry_run)
        }
    };
    trigger.target = custom.target;
    Ok(trigger)
}

/// An EventBridge event, delivered directly or forwarded through SNS (`what` says which), and
/// where it comes from: a service event is about its account and region (the envelope's, kept
/// when a central event bus forwards it); a schedule or an alarm concerns the whole fleet.
fn eventbridge(
    event: &Value,
    admission: &Admission<'_>,
    what: &'static str,
) -> Result<(Event, Origin), TriggerError> {
    let e: EventBridgeEvent<Value> = typed(event)?;
    let whole_fleet = matches!(
        (e.source.as_str(), e.detail_type.as_str()),
        ("aws.events", "Scheduled Event")
            | ("aws.cloudwatch", "CloudWatch Alarm State Change")
            | (
                "aws.cloudwatch",
                "CloudWatch Alarm Contributor State Change"
            )
    );
    if whole_fleet {
        admission.check_home_or_fleet(what, e.account.as_deref())?;
    } else {
        admission.check_account(what, e.account.as_deref())?;
    }
    let parsed = eventbridge_event(&e)?;
    let origin = match parsed {
        Event::Schedule(_) | Event::Alarm(_) => Origin::default(),
        _ => Origin {
            account: e.account.clone(),
            region: e.region.clone(),
        },
    };
    Ok((parsed, origin))
}

/// What an EventBridge event says.
fn eventbridge_event(e: &EventBridgeEvent<Value>) -> Result<Event, TriggerError> {
    let resources = e.resources.as_deref().unwrap_or_default();
    match (e.source.as_str(), e.detail_type.as_str()) {
        ("aws.events", "Scheduled Event") => Ok(Event::Schedule(Schedule {
            name: resources
                .first()
                .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned()),
        })),
        ("aws.cloudwatch", "CloudWatch Alarm State Change") => {
            alarm::from_state_change(&e.detail, resources, e.account.clone())
                .map(Event::Alarm)
                .map_err(|err| err.within("detail"))
        }
        ("aws.cloudwatch", "CloudWatch Alarm Contributor State Change") => {
            alarm::from_contributor_change(&e.detail, resources, e.account.clone())
                .map(Event::Alarm)
                .map_err(|err| err.within("detail"))
        }
        (source, detail_type) if service::SOURCES.contains(&source) => {
            service::parse(&service::Envelope {
                id: e.id.as_deref(),
                source,
                detail_type,
                account: e.account.as_deref(),
                region: e.region.as_deref(),
                resources,
                detail: &e.detail,
                time: e.time.map(|t| t.timestamp()),
            })
        }
        (source, detail_type) => Err(TriggerError::UnsupportedEvent {
            source_name: source.to_owned(),
            detail_type: detail_type.to_owned(),
        }),
    }
}

/// An SNS event: every record from an SNS topic of the home account; records of topics the
/// function does not accept are skipped unread.
fn sns(event: &Value, admission: &Admission<'_>) -> Result<Trigger, TriggerError> {
    let records = match event.get("Records") {
        Some(Value::Array(r)) if r.is_empty() => {
            return Err(TriggerError::field("Records", "is empty"))
        }
        Some(Value::Array(r)) => r,
        Some(other) => {
            return Err(TriggerError::field(
                "Records",
                format!("expected an array, found {}", type_name(other)),
            ))
        }
        None => return Err(TriggerError::field("Records", "is missing")),
    };
    let mut events = Vec::new();
    let mut origins = Vec::new();
    let mut skips = Skips::new();
    let mut described = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let at = format!("Records[{i}]");
        // Checked before the SNS shape, so a record of another service says what it is.
        match record.get("EventSource") {
            Some(Value::String(s)) if s == "aws:sns" => {}
            Some(Value::String(s)) => {
                return Err(TriggerError::field(
                    format!("{at}.EventSource"),
                    format!("`{s}` is not aws:sns; only SNS records are accepted"),
                ))
            }
            _ => {
                return Err(TriggerError::field(
                    format!("{at}.EventSource"),
                    "is missing or not a string",
                ))
            }
        }
        let record: SnsRecord = typed(record).map_err(|e| e.within(&at))?;
        let sns = &record.sns;
        let topic = Arn::parse(&sns.topic_arn).ok();
        admission.check_home_or_fleet("the SNS topic", topic.as_ref().and_then(Arn::account))?;
        if !admission.accepts_topic(&sns.topic_arn) {
            skips.push(Skip::new(
                &sns.topic_arn,
                "notification from a topic not in TRIGGER_TOPIC_ARNS; ignored",
            ));
            described.push(format!(
                "notification from {} (not accepted)",
                sns.topic_arn
            ));
            continue;
        }
        let (event, origin) = sns_message(sns, topic.as_ref(), admission)
            .map_err(|e| e.within(&format!("{at}.Sns.Message")))?;
        described.push(event.describe());
        events.push(event);
        origins.push(origin);
    }
    Ok(Trigger {
        events,
        skips,
        dry_run: false,
        origins,
        target: None,
        description: format!("SNS: {}", described.join("; ")),
    })
}

/// What an SNS message says: a CloudWatch alarm, a forwarded EventBridge event, or an AWS Backup
/// vault notification; and where it comes from.
fn sns_message(
    sns: &aws_lambda_events::sns::SnsMessage,
    topic: Option<&Arn>,
    admission: &Admission<'_>,
) -> Result<(Event, Origin), TriggerError> {
    let text = &sns.message;
    match serde_json::from_str::<Value>(text) {
        Ok(body @ Value::Object(_)) if body.get("AlarmName").is_some() => {
            alarm::from_sns_message(&body).map(|a| (Event::Alarm(a), Origin::default()))
        }
        Ok(body @ Value::Object(_)) if body.get("detail-type").is_some() => {
            eventbridge(&body, admission, "the forwarded event")
        }
        _ if vault::is_vault_notification(&sns.message_attributes, sns.subject.as_deref(), text) => {
            let notification = vault::parse(&sns.message_id, &sns.message_attributes, text);
            admission.check_account("the vault notification", notification.account.as_deref())?;
            let origin = vault_origin(&notification, topic);
            Ok((Event::VaultNotification(notification), origin))
        }
        // A message on an accepted topic that is none of these (a test publish, another
        // publisher's text) has nothing to act on: a skip, not a dead letter.
        _ => Ok((Event::Other(OtherEvent {
            id: Some(sns.message_id.clone()),
            source: "SNS".to_owned(),
            detail_type: "message that is neither a CloudWatch alarm, an AWS Backup vault notification nor an EventBridge event".to_owned(),
        }), Origin::default())),
    }
}

/// Where a vault notification comes from: its recovery point's account and region when the ARN
/// names them (an EBS snapshot's names no account), else the `AccountId` attribute and the
/// topic's. AWS documents no rule tying a vault's notification topic to the vault's Region, so
/// the recovery point ARN decides whenever it names one.
fn vault_origin(notification: &vault::VaultNotification, topic: Option<&Arn>) -> Origin {
    let point = notification
        .recovery_point_arn
        .as_deref()
        .and_then(|arn| Arn::parse(arn).ok());
    let account = point
        .as_ref()
        .and_then(Arn::account)
        .or(notification.account.as_deref())
        .or_else(|| topic.and_then(Arn::account));
    let region = point
        .as_ref()
        .and_then(Arn::region)
        .or_else(|| topic.and_then(Arn::region));
    Origin {
        account: account.map(str::to_owned),
        region: region.map(str::to_owned),
    }
}
