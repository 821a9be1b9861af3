//! Events of the AWS services the functions work with, read from an EventBridge envelope
//! (`aws_lambda_events::eventbridge::EventBridgeEvent`).
//!
//! The events the functions act on are typed; every other documented event of a supported source
//! is an [`OtherEvent`], which a plan skips with a reason rather than refusing it (a refused event
//! would be retried and end in the dead-letter queue).

use super::error::{typed, TriggerError};
use super::Event;
use crate::arn::Arn;
use crate::ids::SourceServerId;
use aws_lambda_events::cloudwatch_events::cloudtrail::AWSAPICall;
use serde::Deserialize;
use serde_json::Value;

/// Sources whose events the functions accept (the template subscribes to them).
pub(super) const SOURCES: [&str; 5] = [
    "aws.backup",
    "aws.drs",
    "aws.mgn",
    "aws.sms",
    "aws.cloudwatch",
];

/// `aws.drs` "DRS Source Server Data Replication Stalled Change" [DRS user guide: "Monitoring
/// DRS with EventBridge"]: the server is `resources[0]`, the new state `detail.state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationStalled {
    /// The source server.
    pub source_server_id: SourceServerId,
    /// Whether replication stalled or recovered.
    pub state: StalledState,
}

/// The `detail.state` of a stalled-change event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StalledState {
    /// `STALLED`
    Stalled,
    /// `NOT_STALLED`
    NotStalled,
}

/// `aws.drs` "DRS Source Server Launch Result": "These events are triggered when a drill or
/// recovery instance is launched for a source server and indicate whether the launch succeeded
/// or failed" [DRS user guide: "Alarm events and EventBridge", sample events]. The server is only in `resources[0]`
/// (a source-server ARN); `detail` carries `state`, `job-id` and `is-drill` ("TRUE"/"FALSE").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchResult {
    /// The envelope's id.
    pub event_id: String,
    /// The source server launched.
    pub source_server_id: SourceServerId,
    /// `detail["job-id"]`, the launch job. Not checked against the API's job id pattern: AWS's
    /// own sample (`drsjob-04ca7d0d3fb6afa3e`) is shorter than it.
    pub job_id: String,
    /// `detail.state`.
    pub state: LaunchResultState,
    /// `detail["is-drill"]`: `Some(true)` for "TRUE", `Some(false)` for "FALSE", else `None`.
    pub drill: Option<bool>,
    /// The envelope's `time`, when the event was emitted, in epoch seconds.
    pub time: Option<i64>,
}

crate::aws_enum! {
    /// `detail.state` of a DRS launch result; AWS's samples show these two values.
    LaunchResultState {
        /// The instance launched.
        Succeeded = "RECOVERY_LAUNCH_SUCCEEDED",
        /// The launch failed.
        Failed = "RECOVERY_LAUNCH_FAILED",
    }
}

/// One of the three `aws.mgn` events ("Event samples", MGN user guide): the server is only
/// `resources[0]`, a source-server ARN; `detail` has `state`, and `job-id` for a launch result.
/// Delivery is "best effort" and the documented samples wrap each value in asterisks
/// (`"*STALLED*"`), so a function takes the event as a cue to re-read the server, never as its
/// state; the asterisks are stripped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MgnServerEvent {
    /// The envelope's id.
    pub event_id: String,
    /// The source server the event is about.
    pub source_server_id: SourceServerId,
    /// What changed.
    pub change: MgnChange,
    /// The envelope's `time`, when the event was emitted, in epoch seconds.
    pub time: Option<i64>,
}

/// What an `aws.mgn` event reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MgnChange {
    /// "MGN Source Server Data Replication Stalled Change": `STALLED` or `NOT_STALLED`.
    Stalled(StalledState),
    /// "MGN Source Server Lifecycle State Change", emitted "when a source server reaches the
    /// READY_FOR_TEST lifecycle state for the first time".
    LifeCycle(MgnLifeCycleState),
    /// "MGN Source Server Launch Result": a test or cutover launch completed.
    LaunchResult {
        /// `detail["job-id"]`.
        job_id: String,
        /// `detail.state`.
        state: MgnLaunchState,
    },
}

impl MgnChange {
    /// How the change reads in reports, e.g. `launch result TEST_LAUNCH_FAILED`.
    pub fn describe(&self) -> String {
        match self {
            Self::Stalled(StalledState::Stalled) => "replication stalled".to_owned(),
            Self::Stalled(StalledState::NotStalled) => "replication no longer stalled".to_owned(),
            Self::LifeCycle(state) => format!("lifecycle state {}", state.as_str()),
            Self::LaunchResult { job_id, state } => {
                format!("launch result {} of job {job_id}", state.as_str())
            }
        }
    }
}

crate::aws_enum! {
    /// `detail.state` of an MGN lifecycle state change: the user guide documents only this one.
    MgnLifeCycleState {
        /// The server is ready for a test launch.
        ReadyForTest = "READY_FOR_TEST",
    }
}

crate::aws_enum! {
    /// `detail.state` of an MGN launch result, as the user guide lists them.
    MgnLaunchState {
        /// A test instance launched.
        TestSucceeded = "TEST_LAUNCH_SUCCEEDED",
        /// A test launch failed.
        TestFailed = "TEST_LAUNCH_FAILED",
        /// A cutover instance launched.
        CutoverSucceeded = "CUTOVER_LAUNCH_SUCCEEDED",
        /// A cutover launch failed.
        CutoverFailed = "CUTOVER_LAUNCH_FAILED",
    }
}

/// A value of an MGN event's `detail` without the asterisks of AWS's documented samples.
fn mgn_value(text: &str) -> &str {
    text.strip_prefix('*')
        .and_then(|t| t.strip_suffix('*'))
        .unwrap_or(text)
}

/// The parts of a "Backup Job State Change" event the functions use [AWS Backup developer guide:
/// "Monitoring AWS Backup events using EventBridge"]. Sizes are strings there; they are not read.
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
    /// The account the event came from.
    pub account: Option<String>,
}

/// The parts of a "Copy Job State Change" event the functions use. A CREATED event carries no
/// `copyJobId`; a failed job's `destinationRecoveryPointArn` is `{}` (not read); sizes are numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyJobChange {
    /// The EventBridge event id (stable across redeliveries).
    pub event_id: String,
    /// `detail.copyJobId`, absent while the job is CREATED.
    pub copy_job_id: Option<String>,
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

/// An "AWS API Call via CloudTrail" event (`aws_lambda_events::cloudwatch_events::cloudtrail`).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiCall {
    /// The EventBridge event id.
    pub event_id: String,
    /// The event's `source`, e.g. `aws.sms`.
    pub source: String,
    /// `detail.eventName`, e.g. `DeleteReplicationJob`.
    pub event_name: String,
    /// `detail.eventSource`, e.g. `sms.amazonaws.com`.
    pub event_source: String,
    /// `detail.readOnly`, when CloudTrail records it.
    pub read_only: Option<bool>,
    /// `detail.requestParameters`.
    pub request_parameters: Value,
    /// `detail.responseElements` (null for many calls).
    pub response_elements: Value,
    /// The event's `resources`.
    pub resources: Vec<String>,
}

/// A documented event of a supported source that no function acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherEvent {
    /// The event id, when it has one.
    pub id: Option<String>,
    /// The event's `source`.
    pub source: String,
    /// The event's `detail-type`.
    pub detail_type: String,
}

impl OtherEvent {
    pub(super) fn what(&self) -> String {
        format!("{} {}", self.source, self.detail_type)
    }
}

/// The EventBridge envelope fields a service event needs.
pub(super) struct Envelope<'a> {
    pub id: Option<&'a str>,
    pub source: &'a str,
    pub detail_type: &'a str,
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
    pub resources: &'a [String],
    pub detail: &'a Value,
    pub time: Option<i64>,
}

/// The source server a DRS or MGN event names: the first source-server ARN of `resources`, else
/// `fallback` (a detail field some senders add).
///
/// DRS and MGN emit a server's events in the server's own account and Region (the samples'
/// `account`, `region` and ARN agree), and functions act on the server of that id in the event's
/// account and Region. So an ARN of another service, account or Region is refused: acting on it
/// would touch another server that only shares the id.
fn source_server_of(
    e: &Envelope<'_>,
    fallback: Option<&str>,
) -> Result<SourceServerId, TriggerError> {
    let arn = e.resources.iter().find_map(|a| {
        Arn::parse(a)
            .ok()
            .filter(|arn| arn.resource().starts_with("source-server/"))
    });
    if let Some(arn) = &arn {
        let service = e.source.strip_prefix("aws.").unwrap_or(e.source);
        if arn.service() != service {
            return Err(TriggerError::field(
                "resources",
                format!(
                    "`{}` is a source server of {}, not of the event's source {}",
                    arn.as_str(),
                    arn.service(),
                    e.source
                ),
            ));
        }
        let elsewhere = |named: Option<&str>, event: Option<&str>| matches!((named, event), (Some(n), Some(v)) if n != v);
        if elsewhere(arn.account(), e.account) || elsewhere(arn.region(), e.region) {
            return Err(TriggerError::field(
                "resources",
                format!(
                    "`{}` is a source server of account {} in {}, but the event comes from \
                     account {} in {}",
                    arn.as_str(),
                    arn.account().unwrap_or("?"),
                    arn.region().unwrap_or("?"),
                    e.account.unwrap_or("?"),
                    e.region.unwrap_or("?")
                ),
            ));
        }
    }
    let id = arn
        .as_ref()
        .and_then(|arn| arn.resource().strip_prefix("source-server/"))
        .or(fallback)
        .ok_or_else(|| TriggerError::field("resources", "names no source server ARN"))?;
    SourceServerId::parse(id).map_err(|e| TriggerError::field("resources", e.to_string()))
}

#[derive(Deserialize)]
struct StalledDetail {
    state: String,
    #[serde(rename = "sourceServerID", default)]
    source_server_id: Option<String>,
}

#[derive(Deserialize)]
struct LaunchResultDetail {
    state: String,
    #[serde(rename = "job-id")]
    job_id: String,
    #[serde(rename = "is-drill", default)]
    is_drill: Option<String>,
}

#[derive(Deserialize)]
struct MgnDetail {
    state: String,
    #[serde(rename = "job-id", default)]
    job_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BackupJobDetail {
    backup_job_id: String,
    state: String,
    #[serde(default)]
    backup_vault_name: Option<String>,
    #[serde(default)]
    resource_arn: Option<String>,
    #[serde(default)]
    resource_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CopyJobDetail {
    #[serde(default)]
    copy_job_id: Option<String>,
    state: String,
    #[serde(default)]
    source_backup_vault_arn: Option<String>,
    #[serde(default)]
    destination_backup_vault_arn: Option<String>,
    #[serde(default)]
    resource_type: Option<String>,
    #[serde(default)]
    status_message: Option<String>,
}

/// Reads a service event of a supported source.
pub(super) fn parse(e: &Envelope<'_>) -> Result<Event, TriggerError> {
    let in_detail = |err: TriggerError| err.within("detail");
    let event = match (e.source, e.detail_type) {
        ("aws.drs", "DRS Source Server Data Replication Stalled Change") => {
            let d: StalledDetail = typed(e.detail).map_err(in_detail)?;
            let source_server_id = source_server_of(e, d.source_server_id.as_deref())?;
            let state = match d.state.as_str() {
                "STALLED" => StalledState::Stalled,
                "NOT_STALLED" => StalledState::NotStalled,
                other => {
                    return Err(TriggerError::field(
                        "detail.state",
                        format!("`{other}` is not STALLED or NOT_STALLED"),
                    ))
                }
            };
            Event::ReplicationStalled(ReplicationStalled {
                source_server_id,
                state,
            })
        }
        ("aws.drs", "DRS Source Server Launch Result") => {
            let d: LaunchResultDetail = typed(e.detail).map_err(in_detail)?;
            Event::LaunchResult(LaunchResult {
                event_id: e.id.unwrap_or_default().to_owned(),
                source_server_id: source_server_of(e, None)?,
                job_id: d.job_id,
                state: LaunchResultState::from(d.state.as_str()),
                drill: match d.is_drill.as_deref() {
                    Some("TRUE") => Some(true),
                    Some("FALSE") => Some(false),
                    _ => None,
                },
                time: e.time,
            })
        }
        (
            "aws.mgn",
            detail_type @ ("MGN Source Server Data Replication Stalled Change"
            | "MGN Source Server Lifecycle State Change"
            | "MGN Source Server Launch Result"),
        ) => {
            let d: MgnDetail = typed(e.detail).map_err(in_detail)?;
            let state = mgn_value(&d.state);
            let change = match detail_type {
                "MGN Source Server Data Replication Stalled Change" => match state {
                    "STALLED" => MgnChange::Stalled(StalledState::Stalled),
                    "NOT_STALLED" => MgnChange::Stalled(StalledState::NotStalled),
                    other => {
                        return Err(TriggerError::field(
                            "detail.state",
                            format!("`{other}` is not STALLED or NOT_STALLED"),
                        ))
                    }
                },
                "MGN Source Server Launch Result" => MgnChange::LaunchResult {
                    job_id: d
                        .job_id
                        .as_deref()
                        .map(mgn_value)
                        .map(str::to_owned)
                        .ok_or_else(|| {
                            TriggerError::field("detail.job-id", "is missing from a launch result")
                        })?,
                    state: MgnLaunchState::from(state),
                },
                _ => MgnChange::LifeCycle(MgnLifeCycleState::from(state)),
            };
            Event::Mgn(MgnServerEvent {
                event_id: e.id.unwrap_or_default().to_owned(),
                source_server_id: source_server_of(e, None)?,
                change,
                time: e.time,
            })
        }
        ("aws.backup", "Backup Job State Change") => {
            let d: BackupJobDetail = typed(e.detail).map_err(in_detail)?;
            Event::BackupJob(BackupJobChange {
                backup_job_id: d.backup_job_id,
                state: d.state,
                backup_vault_name: d.backup_vault_name,
                recovery_point_arn: e.resources.first().cloned(),
                resource_arn: d.resource_arn,
                resource_type: d.resource_type,
                account: e.account.map(str::to_owned),
            })
        }
        ("aws.backup", "Copy Job State Change") => {
            let d: CopyJobDetail = typed(e.detail).map_err(in_detail)?;
            Event::CopyJob(CopyJobChange {
                event_id: e.id.unwrap_or_default().to_owned(),
                copy_job_id: d.copy_job_id,
                state: d.state,
                source_recovery_point_arn: e.resources.first().cloned(),
                source_backup_vault_arn: d.source_backup_vault_arn,
                destination_backup_vault_arn: d.destination_backup_vault_arn,
                resource_type: d.resource_type,
                status_message: d.status_message,
            })
        }
        (source, "AWS API Call via CloudTrail") => {
            let call: AWSAPICall<Value, Value> = typed(e.detail).map_err(in_detail)?;
            Event::ApiCall(ApiCall {
                event_id: e.id.unwrap_or_default().to_owned(),
                source: source.to_owned(),
                event_name: call.event_name,
                event_source: call.event_source,
                // Not a member of the crate's type; CloudTrail records it for most calls.
                read_only: e.detail.get("readOnly").and_then(Value::as_bool),
                request_parameters: call.request_parameters,
                response_elements: call.response_elements.unwrap_or(Value::Null),
                resources: e.resources.to_vec(),
            })
        }
        (source, detail_type) => Event::Other(OtherEvent {
            id: e.id.map(str::to_owned),
            source: source.to_owned(),
            detail_type: detail_type.to_owned(),
        }),
    };
    Ok(event)
}
