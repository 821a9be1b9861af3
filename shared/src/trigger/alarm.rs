//! CloudWatch alarm state changes, however they arrive: an SNS notification, an EventBridge
//! "CloudWatch Alarm State Change" or "... Contributor State Change", or the alarm's Lambda action
//! [CloudWatch user guide: "Alarm events and EventBridge", "Lambda alarm actions"].

use super::error::{typed, TriggerError};
use aws_lambda_events::cloudwatch_alarms::{
    CloudWatchAlarm, CloudWatchAlarmData, CloudWatchAlarmState, CloudWatchAlarmStateValue,
};
use aws_lambda_events::sns::{CloudWatchDimension, CloudWatchMetricDataQuery};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

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

    fn from_value(field: &str, value: &CloudWatchAlarmStateValue) -> Result<Self, TriggerError> {
        match value {
            CloudWatchAlarmStateValue::Ok => Ok(Self::Ok),
            CloudWatchAlarmStateValue::Alarm => Ok(Self::Alarm),
            CloudWatchAlarmStateValue::InsufficientData => Ok(Self::InsufficientData),
            other => Err(TriggerError::field(
                field,
                format!("`{other:?}` is not an alarm state this function knows"),
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

/// A metric dimension of an alarm (or a contributor's attribute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dimension {
    /// Dimension name, e.g. `InstanceId`.
    pub name: String,
    /// Dimension value, e.g. `i-0123456789abcdef0`.
    pub value: String,
}

/// What kind of alarm changed state, which decides where its dimensions come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmKind {
    /// A metric alarm: one metric, metric math or anomaly detection; dimensions from its metrics.
    Metric,
    /// A composite alarm: no metrics, only a rule over other alarms.
    Composite {
        /// The alarm rule, when the event carries it.
        rule: Option<String>,
    },
    /// One contributor of a Metrics Insights alarm over several time series: its attributes are
    /// the dimensions.
    Contributor {
        /// The contributor's id.
        id: String,
    },
}

/// How the alarm reached the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmDelivery {
    /// An SNS notification of an alarm action.
    Sns,
    /// An EventBridge alarm event.
    EventBridge,
    /// The alarm's Lambda action invoked the function directly.
    LambdaAction,
}

/// A CloudWatch alarm state change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// The alarm name.
    pub name: String,
    /// The alarm ARN, when the event carries it.
    pub arn: Option<String>,
    /// The alarm description (null in many SNS messages).
    pub description: Option<String>,
    /// The new state.
    pub state: AlarmState,
    /// The previous state, when given.
    pub previous_state: Option<AlarmState>,
    /// Why the state changed.
    pub reason: Option<String>,
    /// The account the alarm belongs to.
    pub account: Option<String>,
    /// Metric, composite or contributor.
    pub kind: AlarmKind,
    /// The metric dimensions or contributor attributes, each once (empty for composite alarms).
    pub dimensions: Vec<Dimension>,
    /// How it was delivered.
    pub delivery: AlarmDelivery,
}

impl Alarm {
    pub(super) fn describe(&self) -> String {
        let kind = match &self.kind {
            AlarmKind::Metric => "alarm",
            AlarmKind::Composite { .. } => "composite alarm",
            AlarmKind::Contributor { .. } => "alarm contributor of",
        };
        let via = match self.delivery {
            AlarmDelivery::LambdaAction => " via its Lambda action",
            AlarmDelivery::Sns | AlarmDelivery::EventBridge => "",
        };
        format!("{kind} {} ({}){via}", self.name, self.state.as_str())
    }
}

/// A composite alarm has a rule, or no metrics at all; any other alarm is a metric alarm.
fn kind_of(rule: Option<&String>, has_metrics: bool) -> AlarmKind {
    match (rule, has_metrics) {
        (Some(rule), _) => AlarmKind::Composite {
            rule: Some(rule.clone()),
        },
        (None, false) => AlarmKind::Composite { rule: None },
        (None, true) => AlarmKind::Metric,
    }
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

/// The alarm message of an SNS notification. `aws_lambda_events::sns::CloudWatchAlarmPayload`
/// requires a string `AlarmDescription` and a `Trigger`, but CloudWatch sends a null description
/// for alarms without one and no `Trigger` for composite alarms; this type reads the same fields
/// leniently and reuses the crate's `Trigger` parts. Single-metric alarms name their dimensions in
/// `Trigger.Dimensions`; metric-math and anomaly-detection alarms in
/// `Trigger.Metrics[].MetricStat.Metric.Dimensions`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnsAlarmMessage {
    alarm_name: String,
    #[serde(default)]
    alarm_description: Option<String>,
    #[serde(rename = "AWSAccountId", default)]
    aws_account_id: Option<String>,
    new_state_value: String,
    #[serde(default)]
    new_state_reason: Option<String>,
    #[serde(default)]
    old_state_value: Option<String>,
    #[serde(default)]
    alarm_arn: Option<String>,
    #[serde(default)]
    alarm_rule: Option<String>,
    #[serde(default)]
    trigger: Option<SnsAlarmTrigger>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnsAlarmTrigger {
    #[serde(default)]
    dimensions: Option<Vec<CloudWatchDimension>>,
    #[serde(default)]
    metrics: Option<Vec<CloudWatchMetricDataQuery>>,
}

/// Reads the alarm JSON of an SNS message.
pub(super) fn from_sns_message(message: &Value) -> Result<Alarm, TriggerError> {
    let m: SnsAlarmMessage = typed(message)?;
    let mut dimensions = Vec::new();
    if let Some(trigger) = &m.trigger {
        for d in trigger.dimensions.iter().flatten() {
            push_dimension(&mut dimensions, &d.name, &d.value);
        }
        for query in trigger.metrics.iter().flatten() {
            for d in query.metric_stat.iter().flat_map(|s| &s.metric.dimensions) {
                push_dimension(&mut dimensions, &d.name, &d.value);
            }
        }
    }
    let kind = kind_of(m.alarm_rule.as_ref(), m.trigger.is_some());
    Ok(Alarm {
        state: AlarmState::parse("NewStateValue", &m.new_state_value)?,
        previous_state: m
            .old_state_value
            .as_deref()
            .map(|v| AlarmState::parse("OldStateValue", v))
            .transpose()?,
        name: m.alarm_name,
        arn: m.alarm_arn,
        description: m.alarm_description,
        reason: m.new_state_reason,
        account: m.aws_account_id,
        kind,
        dimensions,
        delivery: AlarmDelivery::Sns,
    })
}

/// The `configuration` of an EventBridge alarm event or a Lambda alarm action. The crate's
/// `CloudWatchMetricAlarmConfiguration` requires a `metricStat` in every metric, but metric-math
/// and anomaly-detection alarms list expressions without one, and composite alarms carry
/// `alarmRule` instead; this type reads all three.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AlarmConfiguration {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    metrics: Option<Vec<MetricQuery>>,
    #[serde(default)]
    alarm_rule: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct MetricQuery {
    #[serde(default)]
    metric_stat: Option<MetricStat>,
}

#[derive(Debug, Deserialize, Serialize)]
struct MetricStat {
    metric: Metric,
}

#[derive(Debug, Deserialize, Serialize)]
struct Metric {
    #[serde(default)]
    dimensions: Option<BTreeMap<String, String>>,
}

impl AlarmConfiguration {
    fn dimensions(&self) -> Vec<Dimension> {
        let mut out = Vec::new();
        for query in self.metrics.iter().flatten() {
            let dims = query.metric_stat.iter().flat_map(|s| &s.metric.dimensions);
            for (name, value) in dims.flatten() {
                push_dimension(&mut out, name, value);
            }
        }
        out
    }

    fn kind(&self) -> AlarmKind {
        kind_of(self.alarm_rule.as_ref(), self.metrics.is_some())
    }
}

/// The states of an alarm event: the new one required, the previous one when given.
fn states(
    state: Option<&CloudWatchAlarmState<Value>>,
    previous: Option<&CloudWatchAlarmState<Value>>,
) -> Result<(AlarmState, Option<AlarmState>, Option<String>), TriggerError> {
    let state = state.ok_or_else(|| TriggerError::field("state", "is missing"))?;
    Ok((
        AlarmState::from_value("state.value", &state.value)?,
        previous
            .map(|p| AlarmState::from_value("previousState.value", &p.value))
            .transpose()?,
        Some(state.reason.clone()),
    ))
}

fn from_data(
    data: &CloudWatchAlarmData<AlarmConfiguration, Value>,
    arn: Option<String>,
    account: Option<String>,
    delivery: AlarmDelivery,
) -> Result<Alarm, TriggerError> {
    let (state, previous_state, reason) =
        states(data.state.as_ref(), data.previous_state.as_ref())?;
    Ok(Alarm {
        name: data.alarm_name.clone(),
        arn,
        description: data.configuration.description.clone(),
        state,
        previous_state,
        reason,
        account,
        kind: data.configuration.kind(),
        dimensions: data.configuration.dimensions(),
        delivery,
    })
}

/// Reads the `detail` of an EventBridge "CloudWatch Alarm State Change".
pub(super) fn from_state_change(
    detail: &Value,
    resources: &[String],
    account: Option<String>,
) -> Result<Alarm, TriggerError> {
    let data: CloudWatchAlarmData<AlarmConfiguration, Value> = typed(detail)?;
    from_data(
        &data,
        resources.first().cloned(),
        account,
        AlarmDelivery::EventBridge,
    )
}

/// The `detail` of a "CloudWatch Alarm Contributor State Change" (Metrics Insights alarms over
/// several time series); the crate has no type for it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContributorDetail {
    alarm_name: String,
    alarm_contributor: Contributor,
    state: CloudWatchAlarmState<Value>,
    #[serde(default)]
    previous_state: Option<CloudWatchAlarmState<Value>>,
    #[serde(default)]
    configuration: Option<AlarmConfiguration>,
}

#[derive(Deserialize)]
struct Contributor {
    id: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

/// Reads the `detail` of a "CloudWatch Alarm Contributor State Change": the contributor's
/// attributes are its dimensions.
pub(super) fn from_contributor_change(
    detail: &Value,
    resources: &[String],
    account: Option<String>,
) -> Result<Alarm, TriggerError> {
    let d: ContributorDetail = typed(detail)?;
    let (state, previous_state, reason) = states(Some(&d.state), d.previous_state.as_ref())?;
    let mut dimensions = Vec::new();
    for (name, value) in &d.alarm_contributor.attributes {
        push_dimension(&mut dimensions, name, value);
    }
    Ok(Alarm {
        name: d.alarm_name,
        arn: resources.first().cloned(),
        description: d.configuration.and_then(|c| c.description),
        state,
        previous_state,
        reason,
        account,
        kind: AlarmKind::Contributor {
            id: d.alarm_contributor.id,
        },
        dimensions,
        delivery: AlarmDelivery::EventBridge,
    })
}

/// Reads the event of an alarm's Lambda action (`aws_lambda_events::cloudwatch_alarms`).
pub(super) fn from_lambda_action(event: &Value) -> Result<Alarm, TriggerError> {
    let a: CloudWatchAlarm<AlarmConfiguration, Value> = typed(event)?;
    from_data(
        &a.alarm_data,
        a.alarm_arn.clone(),
        a.account_id.clone(),
        AlarmDelivery::LambdaAction,
    )
    .map_err(|e| e.within("alarmData"))
}
