//! The fan-in: which envelope an event came in, the origin check, and SNS unwrapped once.

use super::custom::{self, CustomInput};
use super::error::{type_name, typed, TriggerError};
use super::{alarm, service, vault, Admission, Event, OtherEvent, Schedule, Trigger};
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
        admission.check_account("the alarm", alarm.account.as_deref())?;
        return Ok(Trigger::single(Event::Alarm(alarm), false));
    }
    if obj.contains_key("detail-type") || obj.contains_key("source") {
        return eventbridge(event, admission, "the event").map(|e| Trigger::single(e, false));
    }
    Ok(match custom::parse(obj)? {
        CustomInput::Schedule(s, dry_run) => Trigger::single(Event::Schedule(s), dry_run),
        CustomInput::Direct(d, dry_run) => Trigger::single(Event::Direct(d), dry_run),
    })
}

/// An EventBridge event, delivered directly or forwarded through SNS (`what` says which).
fn eventbridge(
    event: &Value,
    admission: &Admission<'_>,
    what: &'static str,
) -> Result<Event, TriggerError> {
    let e: EventBridgeEvent<Value> = typed(event)?;
    admission.check_account(what, e.account.as_deref())?;
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
                resources,
                detail: &e.detail,
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
        admission.check_account(
            "the SNS topic",
            Arn::parse(&sns.topic_arn)
                .ok()
                .as_ref()
                .and_then(Arn::account),
        )?;
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
        let event =
            sns_message(sns, admission).map_err(|e| e.within(&format!("{at}.Sns.Message")))?;
        described.push(event.describe());
        events.push(event);
    }
    Ok(Trigger {
        events,
        skips,
        dry_run: false,
        description: format!("SNS: {}", described.join("; ")),
    })
}

/// What an SNS message says: a CloudWatch alarm, a forwarded EventBridge event, or an AWS Backup
/// vault notification.
fn sns_message(
    sns: &aws_lambda_events::sns::SnsMessage,
    admission: &Admission<'_>,
) -> Result<Event, TriggerError> {
    let text = &sns.message;
    match serde_json::from_str::<Value>(text) {
        Ok(body @ Value::Object(_)) if body.get("AlarmName").is_some() => {
            alarm::from_sns_message(&body).map(Event::Alarm)
        }
        Ok(body @ Value::Object(_)) if body.get("detail-type").is_some() => {
            eventbridge(&body, admission, "the forwarded event")
        }
        _ if vault::is_vault_notification(&sns.message_attributes, sns.subject.as_deref(), text) => {
            Ok(Event::VaultNotification(vault::parse(
                &sns.message_id,
                &sns.message_attributes,
                text,
            )))
        }
        // A message on an accepted topic that is none of these (a test publish, another
        // publisher's text) has nothing to act on: a skip, not a dead letter.
        _ => Ok(Event::Other(OtherEvent {
            id: Some(sns.message_id.clone()),
            source: "SNS".to_owned(),
            detail_type: "message that is neither a CloudWatch alarm, an AWS Backup vault notification nor an EventBridge event".to_owned(),
        })),
    }
}
