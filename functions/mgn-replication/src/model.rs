//! The domain: MGN source servers and launch jobs as planning sees them, the stall record the
//! function keeps in a server's tags, the replication settings it enforces, and the calls it
//! plans.
//!
//! No I/O and no SDK types: observe converts MGN's answers into these.

pub use dr_core::drs::tag;
use dr_core::error::CallFailure;
use dr_core::function::Action as PlannedCall;
use dr_core::ids::SourceServerId;
use dr_core::report::{OutcomeResult, TargetOutcome};
use std::collections::BTreeMap;
use std::fmt;

/// Starts replication of a server whose replication is stopped.
pub const START_REPLICATION: &str = "StartReplication";
/// Restarts the replication initiation of a stalled server.
pub const RETRY_DATA_REPLICATION: &str = "RetryDataReplication";
/// Resumes a paused replication.
pub const RESUME_REPLICATION: &str = "ResumeReplication";
/// Changes a server's replication settings.
pub const UPDATE_REPLICATION_CONFIGURATION: &str = "UpdateReplicationConfiguration";
/// Launches test instances.
pub const START_TEST: &str = "StartTest";
/// Moves a server's lifecycle on after its test.
pub const CHANGE_LIFECYCLE: &str = "ChangeServerLifeCycleState";
/// Terminates launched test instances.
pub const TERMINATE_TARGET_INSTANCES: &str = "TerminateTargetInstances";
/// Writes the stall record.
pub const TAG_RESOURCE: &str = "TagResource";
/// Clears the stall record.
pub const UNTAG_RESOURCE: &str = "UntagResource";
/// A stall retried too often: handed to a person, no call.
pub const ESCALATE: &str = "Escalate";
/// A state a person must act on (disconnected, a failed test launch), no call.
pub const NOTIFY: &str = "Notify";

/// How many consecutive stalls were retried.
pub const TAG_STALLS: &str = "dr-automation:mgn-stalls";
/// When the function first saw the current stall (RFC 3339).
pub const TAG_STALLED_SINCE: &str = "dr-automation:mgn-stalled-since";
/// When the function last retried the current stall (RFC 3339).
pub const TAG_RETRIED_AT: &str = "dr-automation:mgn-retried-at";
/// The stall record's tags, removed together once replication flows again.
pub const STALL_TAGS: [&str; 3] = [TAG_STALLS, TAG_STALLED_SINCE, TAG_RETRIED_AT];
/// The tag naming the function on the jobs it starts.
pub const TAG_FUNCTION: &str = "dr-automation:function";
/// The tag giving when the function started a job (RFC 3339).
pub const TAG_LAUNCHED_AT: &str = "dr-automation:launched-at";

pub use dr_core::mgn::{LifeCycle, ReplicationState};

dr_core::aws_enum! {
    /// `Job.status` [MGN API reference: Job].
    JobStatus {
        /// Created, not started.
        Pending = "PENDING",
        /// Running.
        Started = "STARTED",
        /// Ended, each server with its outcome.
        Completed = "COMPLETED",
    }
}

dr_core::aws_enum! {
    /// `participatingServers[].launchStatus` [MGN API reference: ParticipatingServer].
    LaunchStatus {
        /// Not started.
        Pending = "PENDING",
        /// Launching.
        InProgress = "IN_PROGRESS",
        /// Launched.
        Launched = "LAUNCHED",
        /// The launch failed.
        Failed = "FAILED",
        /// The launched instance was terminated.
        Terminated = "TERMINATED",
    }
}

/// Why replication stalled, as MGN reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplicationError {
    /// `dataReplicationError.error`, e.g. `AGENT_NOT_SEEN`.
    pub error: Option<String>,
    /// `dataReplicationError.rawError`.
    pub raw: Option<String>,
    /// The initiation step that failed, when the stall is in the initiation sequence.
    pub failed_step: Option<String>,
}

impl fmt::Display for ReplicationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.error.as_deref().unwrap_or("no dataReplicationError"))?;
        if let Some(step) = &self.failed_step {
            write!(f, " at step {step}")?;
        }
        if let Some(raw) = &self.raw {
            write!(f, ": {raw}")?;
        }
        Ok(())
    }
}

/// `lifeCycle.lastTest`: the latest test launch and what became of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastTest {
    /// `initiated.apiCallDateTime`, epoch seconds.
    pub initiated_at: Option<i64>,
    /// `initiated.jobID`.
    pub job_id: Option<String>,
    /// `reverted.apiCallDateTime`, epoch seconds.
    pub reverted_at: Option<i64>,
}

/// `launchedInstance`: the instance MGN launched for the server last.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchedInstance {
    /// `ec2InstanceID`.
    pub instance_id: Option<String>,
    /// `jobID`.
    pub job_id: Option<String>,
}

/// One MGN source server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceServer {
    /// `sourceServerID`.
    pub id: SourceServerId,
    /// `arn`, which its tags are written on.
    pub arn: Option<String>,
    /// `sourceProperties.identificationHints.hostname`.
    pub hostname: Option<String>,
    /// `sourceProperties.identificationHints.fqdn`.
    pub fqdn: Option<String>,
    /// Every tag, sorted by key (MGN allows 50).
    pub tags: Vec<(String, String)>,
    /// `isArchived`.
    pub archived: bool,
    /// `dataReplicationInfo.dataReplicationState`.
    pub replication: ReplicationState,
    /// `lifeCycle.state`.
    pub lifecycle: LifeCycle,
    /// Whether `dataReplicationInfo.lagDuration` is set: MGN changes the lifecycle only of a
    /// server that is "already launchable (dataReplicationInfo.lagDuration is not null)".
    pub launchable: bool,
    /// Whether it ever replicated (`lifeCycle.firstByteDateTime` is set).
    pub replicated_before: bool,
    /// `dataReplicationInfo.dataReplicationError`.
    pub error: Option<ReplicationError>,
    /// `lifeCycle.lastTest`.
    pub last_test: LastTest,
    /// `launchedInstance`.
    pub launched: LaunchedInstance,
}

impl SourceServer {
    /// The states a report gives, e.g. `READY_FOR_TEST/CONTINUOUS`.
    pub fn states(&self) -> String {
        format!("{}/{}", self.lifecycle.as_str(), self.replication.as_str())
    }

    /// Whether its replication settings are still the function's to enforce: not once it is cut
    /// over or disconnected.
    pub fn settings_apply(&self) -> bool {
        !self.lifecycle.is_migrated() && self.replication != ReplicationState::Disconnected
    }

    /// The stall record kept in the server's tags.
    pub fn stall_record(&self) -> Result<StallRecord, String> {
        StallRecord::from_tags(&self.tags)
    }
}

/// One server of a launch job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobServer {
    /// `sourceServerID`.
    pub id: String,
    /// `launchStatus`.
    pub launch_status: LaunchStatus,
    /// `launchedEc2InstanceID`.
    pub instance_id: Option<String>,
}

/// One MGN job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// `jobID`.
    pub id: String,
    /// `status`.
    pub status: JobStatus,
    /// Its tags, sorted.
    pub tags: Vec<(String, String)>,
    /// `participatingServers`.
    pub servers: Vec<JobServer>,
}

impl Job {
    /// Whether this function started the job (its tags say so).
    pub fn is_own(&self) -> bool {
        tag(&self.tags, TAG_FUNCTION) == Some(crate::FUNCTION)
    }

    /// The job's entry for `server`.
    pub fn server(&self, server: &SourceServerId) -> Option<&JobServer> {
        self.servers.iter().find(|s| s.id == server.as_str())
    }
}

/// The consecutive stalls of a server, as the function records them in the server's tags.
///
/// The record lives on the server itself because a Lambda keeps nothing between cold starts, and
/// a tag is what an operator sees in the MGN console next to the server; `DescribeSourceServers`
/// returns the tags with the server, so reading the record costs no call. Resetting it is
/// removing the tags (`STALL_TAGS`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StallRecord {
    /// Retries of the current stall so far.
    pub retries: u32,
    /// When the function first saw the stall, epoch seconds.
    pub since: Option<i64>,
    /// When the function last retried it, epoch seconds.
    pub retried_at: Option<i64>,
}

impl StallRecord {
    /// Reads the record; a tag that does not parse is an error naming it, so that a hand-edited
    /// tag never silently resets the count.
    pub fn from_tags(tags: &[(String, String)]) -> Result<Self, String> {
        let time = |key: &str| -> Result<Option<i64>, String> {
            tag(tags, key)
                .map(|text| {
                    dr_core::clock::parse_time(text)
                        .ok_or_else(|| format!("tag {key}=`{text}` is not an RFC 3339 time"))
                })
                .transpose()
        };
        let retries = tag(tags, TAG_STALLS)
            .map(|text| {
                text.parse::<u32>()
                    .map_err(|_| format!("tag {TAG_STALLS}=`{text}` is not a count"))
            })
            .transpose()?
            .unwrap_or(0);
        Ok(Self {
            retries,
            since: time(TAG_STALLED_SINCE)?,
            retried_at: time(TAG_RETRIED_AT)?,
        })
    }

    /// Whether any of the record's tags is on the server.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The tags that write this record.
    pub fn tags(&self) -> Vec<(String, String)> {
        let mut tags = vec![(TAG_STALLS.to_owned(), self.retries.to_string())];
        if let Some(since) = self.since {
            tags.push((
                TAG_STALLED_SINCE.to_owned(),
                dr_core::clock::fmt_time(since),
            ));
        }
        if let Some(at) = self.retried_at {
            tags.push((TAG_RETRIED_AT.to_owned(), dr_core::clock::fmt_time(at)));
        }
        tags
    }
}

/// A replication setting the function can enforce, named as `UpdateReplicationConfiguration`
/// names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Setting {
    /// `ebsEncryption`: DEFAULT or CUSTOM.
    EbsEncryption,
    /// `ebsEncryptionKeyArn`.
    EbsEncryptionKeyArn,
    /// `stagingAreaSubnetId`.
    StagingAreaSubnetId,
    /// `replicationServerInstanceType`.
    ReplicationServerInstanceType,
    /// `useDedicatedReplicationServer`.
    UseDedicatedReplicationServer,
    /// `defaultLargeStagingDiskType`: GP2, ST1 or GP3.
    DefaultLargeStagingDiskType,
    /// `bandwidthThrottling`, 0 to 10,000.
    BandwidthThrottling,
    /// `dataPlaneRouting`: PRIVATE_IP or PUBLIC_IP.
    DataPlaneRouting,
    /// `createPublicIP`.
    CreatePublicIp,
    /// `associateDefaultSecurityGroup`.
    AssociateDefaultSecurityGroup,
    /// `replicationServersSecurityGroupsIDs`.
    ReplicationServersSecurityGroupsIds,
}

impl Setting {
    /// Every setting, in the order reports list them.
    pub const ALL: [Setting; 11] = [
        Self::EbsEncryption,
        Self::EbsEncryptionKeyArn,
        Self::StagingAreaSubnetId,
        Self::ReplicationServerInstanceType,
        Self::UseDedicatedReplicationServer,
        Self::DefaultLargeStagingDiskType,
        Self::BandwidthThrottling,
        Self::DataPlaneRouting,
        Self::CreatePublicIp,
        Self::AssociateDefaultSecurityGroup,
        Self::ReplicationServersSecurityGroupsIds,
    ];

    /// The API member's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::EbsEncryption => "ebsEncryption",
            Self::EbsEncryptionKeyArn => "ebsEncryptionKeyArn",
            Self::StagingAreaSubnetId => "stagingAreaSubnetId",
            Self::ReplicationServerInstanceType => "replicationServerInstanceType",
            Self::UseDedicatedReplicationServer => "useDedicatedReplicationServer",
            Self::DefaultLargeStagingDiskType => "defaultLargeStagingDiskType",
            Self::BandwidthThrottling => "bandwidthThrottling",
            Self::DataPlaneRouting => "dataPlaneRouting",
            Self::CreatePublicIp => "createPublicIP",
            Self::AssociateDefaultSecurityGroup => "associateDefaultSecurityGroup",
            Self::ReplicationServersSecurityGroupsIds => "replicationServersSecurityGroupsIDs",
        }
    }
}

/// A setting's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    /// A string or an enum value.
    Text(String),
    /// A boolean.
    Flag(bool),
    /// A number.
    Number(i64),
    /// A set of ids, kept sorted so that order never reads as a change.
    Ids(Vec<String>),
}

impl fmt::Display for SettingValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(t) => f.write_str(t),
            Self::Flag(b) => write!(f, "{b}"),
            Self::Number(n) => write!(f, "{n}"),
            Self::Ids(ids) => write!(f, "[{}]", ids.join(", ")),
        }
    }
}

/// Replication settings: wanted (from the configuration) or current (from MGN).
pub type ReplicationSettings = BTreeMap<Setting, SettingValue>;

/// One setting to change, from what MGN has to what the configuration wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingChange {
    /// The setting.
    pub setting: Setting,
    /// What MGN has now, if anything.
    pub from: Option<SettingValue>,
    /// What the configuration wants.
    pub to: SettingValue,
}

impl fmt::Display for SettingChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.from {
            Some(from) => write!(f, "{} {from} → {}", self.setting.name(), self.to),
            None => write!(f, "{} (unset) → {}", self.setting.name(), self.to),
        }
    }
}

/// The wanted settings that differ from the current ones; settings the configuration does not
/// name are not managed and never change.
pub fn setting_changes(
    wanted: &ReplicationSettings,
    current: &ReplicationSettings,
) -> Vec<SettingChange> {
    wanted
        .iter()
        .filter(|(setting, value)| current.get(setting) != Some(value))
        .map(|(setting, value)| SettingChange {
            setting: *setting,
            from: current.get(setting).cloned(),
            to: value.clone(),
        })
        .collect()
}

/// The lifecycle state a test ends in: MGN's `ChangeServerLifeCycleState` takes READY_FOR_TEST
/// (the console's "revert to ready for testing") or READY_FOR_CUTOVER ("mark as ready for
/// cutover").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterTest {
    /// `READY_FOR_CUTOVER`: the test passed.
    ReadyForCutover,
    /// `READY_FOR_TEST`: ready to be tested again.
    ReadyForTest,
}

impl AfterTest {
    /// The state as MGN takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadyForCutover => "READY_FOR_CUTOVER",
            Self::ReadyForTest => "READY_FOR_TEST",
        }
    }
}

/// A server whose test instance is cleaned up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCleanup {
    /// The server.
    pub server: SourceServerId,
    /// Its states when the run read it.
    pub states: String,
    /// The lifecycle state to move it to first, when it is still TESTING (MGN's
    /// `TerminateTargetInstances` "will not work for any Source Server with a lifecycle.state of
    /// TESTING").
    pub then: Option<AfterTest>,
    /// The test instance.
    pub instance_id: String,
}

/// One call, or one batch of calls, the plan asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `UpdateReplicationConfiguration` with only these changes.
    Configure {
        /// The server.
        server: SourceServerId,
        /// Its states when the run read it, e.g. `READY_FOR_TEST/STALLED`.
        states: String,
        /// The changes, each sent as its member.
        changes: Vec<SettingChange>,
    },
    /// `StartReplication` of a stopped server.
    Start {
        /// The server.
        server: SourceServerId,
        /// Its states when the run read it, e.g. `READY_FOR_TEST/STALLED`.
        states: String,
        /// Why now.
        reason: String,
    },
    /// `TagResource` of the first sighting of a stall: the cool-down starts.
    RecordStall {
        /// The server.
        server: SourceServerId,
        /// Its states when the run read it, e.g. `READY_FOR_TEST/STALLED`.
        states: String,
        /// Its ARN.
        arn: String,
        /// The record to write.
        record: StallRecord,
        /// What the report says.
        reason: String,
    },
    /// `TagResource` of the next retry's count, then `RetryDataReplication`.
    Retry {
        /// The server.
        server: SourceServerId,
        /// Its states when the run read it, e.g. `READY_FOR_TEST/STALLED`.
        states: String,
        /// Its ARN.
        arn: String,
        /// The record to write before retrying.
        record: StallRecord,
        /// What the report says.
        reason: String,
    },
    /// `UntagResource` of the stall record: replication flows again.
    ClearStalls {
        /// The server.
        server: SourceServerId,
        /// Its states when the run read it, e.g. `READY_FOR_TEST/STALLED`.
        states: String,
        /// Its ARN.
        arn: String,
        /// What the report says.
        reason: String,
    },
    /// `ResumeReplication` of a paused server.
    Resume {
        /// The server.
        server: SourceServerId,
        /// Its states when the run read it, e.g. `READY_FOR_TEST/STALLED`.
        states: String,
    },
    /// A server's part of a `StartTest` job: apply sends each batch's servers (at most 200)
    /// in one call.
    StartTest {
        /// The server.
        server: SourceServerId,
        /// Its states when the run read it, e.g. `READY_FOR_TEST/STALLED`.
        states: String,
        /// The job of this run it goes in, from 0.
        batch: usize,
    },
    /// A server's part of a cleanup: `ChangeServerLifeCycleState` where needed, then one
    /// `TerminateTargetInstances` per batch (at most 200 servers).
    CleanUpTest {
        /// The server and its instance.
        cleanup: TestCleanup,
        /// The call of this run it goes in, from 0.
        batch: usize,
    },
}

impl Action {
    /// The operation the action's outcome is reported under.
    pub fn operation(&self) -> &'static str {
        match self {
            Self::Configure { .. } => UPDATE_REPLICATION_CONFIGURATION,
            Self::Start { .. } => START_REPLICATION,
            Self::RecordStall { .. } => TAG_RESOURCE,
            Self::Retry { .. } => RETRY_DATA_REPLICATION,
            Self::ClearStalls { .. } => UNTAG_RESOURCE,
            Self::Resume { .. } => RESUME_REPLICATION,
            Self::StartTest { .. } => START_TEST,
            Self::CleanUpTest { .. } => TERMINATE_TARGET_INSTANCES,
        }
    }

    /// The server the action is about.
    pub fn server(&self) -> &SourceServerId {
        match self {
            Self::Configure { server, .. }
            | Self::Start { server, .. }
            | Self::RecordStall { server, .. }
            | Self::Retry { server, .. }
            | Self::ClearStalls { server, .. }
            | Self::Resume { server, .. }
            | Self::StartTest { server, .. } => server,
            Self::CleanUpTest { cleanup, .. } => &cleanup.server,
        }
    }

    /// The server's states when the run read it.
    pub fn states(&self) -> &str {
        match self {
            Self::Configure { states, .. }
            | Self::Start { states, .. }
            | Self::RecordStall { states, .. }
            | Self::Retry { states, .. }
            | Self::ClearStalls { states, .. }
            | Self::Resume { states, .. }
            | Self::StartTest { states, .. } => states,
            Self::CleanUpTest { cleanup, .. } => &cleanup.states,
        }
    }

    /// What the report says of the action.
    pub fn describe(&self) -> String {
        match self {
            Self::Configure { changes, .. } => describe_changes(changes),
            Self::Start { reason, .. }
            | Self::RecordStall { reason, .. }
            | Self::Retry { reason, .. }
            | Self::ClearStalls { reason, .. } => reason.clone(),
            Self::Resume { .. } => "PAUSED: resuming".to_owned(),
            Self::StartTest { batch, .. } => {
                format!("test launch in job {} of this run", batch + 1)
            }
            Self::CleanUpTest { cleanup, .. } => {
                let first = cleanup
                    .then
                    .map(|t| format!("marked {}, then ", t.as_str()))
                    .unwrap_or_default();
                format!(
                    "{first}test instance {} terminated after its time to live",
                    cleanup.instance_id
                )
            }
        }
    }
}

/// The changes as a report reads them, e.g. `ebsEncryption DEFAULT → CUSTOM; ...`.
pub fn describe_changes(changes: &[SettingChange]) -> String {
    changes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl PlannedCall for Action {
    fn planned(&self) -> TargetOutcome {
        let mut outcome = TargetOutcome::planned(self.server().as_str(), self.operation())
            .with_detail(self.describe());
        outcome.state = Some(self.states().to_owned());
        outcome
    }
}

/// A report entry known from the facts alone: an escalation or a state a person must act on.
pub fn alert(server: &SourceServer, action: &str, detail: impl Into<String>) -> TargetOutcome {
    let mut outcome = TargetOutcome::unchanged(server.id.as_str(), action, detail);
    outcome.result = OutcomeResult::Failed;
    outcome.state = Some(server.states());
    outcome
}

/// Everything observe read in one target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Every non-archived source server, in MGN's order.
    pub servers: Vec<SourceServer>,
    /// The current replication settings of the servers whose settings are enforced, or why
    /// they could not be read.
    pub configurations: BTreeMap<SourceServerId, Result<ReplicationSettings, CallFailure>>,
    /// The test jobs of the servers whose tests the function looks after, and every job since
    /// the oldest of their tests whose instance still stands, by id.
    pub jobs: BTreeMap<String, Job>,
    /// When observe read them, epoch seconds: the plan's now.
    pub now: i64,
}
