//! The domain: source servers, launch jobs, recovery instances and snapshots as planning sees
//! them, and the calls it plans.
//!
//! No I/O and no SDK types: observe converts DRS's answers into these.

pub use dr_core::drs::tag;
use dr_core::drs::Identified;
pub use dr_core::drs::ReplicationState;
use dr_core::function::Action;
use dr_core::ids::SourceServerId;
use dr_core::report::TargetOutcome;
use dr_core::trigger::LaunchMode;

/// The operation that launches drill and recovery instances.
pub const START_RECOVERY: &str = "StartRecovery";
/// The outcome of one server in a launch job, as the follow-up reports it.
pub const LAUNCH: &str = "Launch";
/// The operation that terminates recovery instances.
pub const TERMINATE_RECOVERY_INSTANCES: &str = "TerminateRecoveryInstances";
/// The operation that runs a recovery plan.
pub const START_RECOVERY_PLAN_EXECUTION: &str = "StartRecoveryPlanExecution";
/// The outcome of a recovery plan execution, as the follow-up reports it.
pub const PLAN_EXECUTION: &str = "RecoveryPlanExecution";
/// The operation that tags a recovery instance or a job.
pub const TAG_RESOURCE: &str = "TagResource";

/// The tag naming the function that launched a job or an instance.
pub const TAG_FUNCTION: &str = "dr-automation:function";
/// The tag saying whether a job or an instance is a drill or a recovery.
pub const TAG_MODE: &str = "dr-automation:mode";
/// The tag naming the job that launched an instance.
pub const TAG_JOB: &str = "dr-automation:job";
/// The tag giving when an instance's launch job started (RFC 3339).
pub const TAG_LAUNCHED_AT: &str = "dr-automation:launched-at";
/// The tag on a job whose outcome was reported, with when (RFC 3339).
pub const TAG_REPORTED: &str = "dr-automation:reported";

/// The tags this function reads and writes; observe keeps no others.
pub const OWN_TAGS: [&str; 5] = [
    TAG_FUNCTION,
    TAG_MODE,
    TAG_JOB,
    TAG_LAUNCHED_AT,
    TAG_REPORTED,
];

/// The DRS job states and launch statuses, as the core reads them.
pub use dr_core::drs::{InitiatedBy, JobStatus, LaunchStatus};

/// A DRS source server, reduced to what readiness and selection need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceServer {
    /// Its id.
    pub id: SourceServerId,
    /// Hostname identification hint.
    pub hostname: Option<String>,
    /// FQDN identification hint.
    pub fqdn: Option<String>,
    /// AWS instance id identification hint.
    pub instance_id: Option<String>,
    /// The tags the selection and alarm mapping read, in key order.
    pub tags: Vec<(String, String)>,
    /// `stagingArea.stagingAccountID`.
    pub staging_account: Option<String>,
    /// `dataReplicationInfo.dataReplicationState`.
    pub state: ReplicationState,
    /// `dataReplicationInfo.lagDuration` in seconds, when DRS reports one that parses.
    pub lag: Option<i64>,
    /// `dataReplicationInfo.dataReplicationError`: `error (rawError)`.
    pub replication_error: Option<String>,
    /// When its last drill was initiated, epoch seconds: `lifeCycle.lastLaunch` when its type
    /// is DRILL [DRS API reference: LifeCycleLastLaunch].
    pub last_drill: Option<i64>,
    /// Whether that drill launched: its `lifeCycle.lastLaunch.status` is LAUNCHED, or
    /// TERMINATED once its instance was cleaned up [DRS API reference: LifeCycleLastLaunch,
    /// LaunchStatus].
    pub last_drill_launched: bool,
}

impl Identified for SourceServer {
    fn id(&self) -> &SourceServerId {
        &self.id
    }
    fn hostname(&self) -> Option<&str> {
        self.hostname.as_deref()
    }
    fn fqdn(&self) -> Option<&str> {
        self.fqdn.as_deref()
    }
    fn instance_id(&self) -> Option<&str> {
        self.instance_id.as_deref()
    }
    fn tag(&self, key: &str) -> Option<&str> {
        tag(&self.tags, key)
    }
    fn staging_account(&self) -> Option<&str> {
        self.staging_account.as_deref()
    }
}

/// One server of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// The source server.
    pub source_server_id: SourceServerId,
    /// The recovery instance the job launched or terminates, when there is one.
    pub recovery_instance_id: Option<String>,
    /// `launchStatus`.
    pub status: LaunchStatus,
}

/// A DRS job: a launch or a termination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// `jobID`.
    pub id: String,
    /// `arn`, which tagging needs.
    pub arn: Option<String>,
    /// `initiatedBy`.
    pub initiated_by: InitiatedBy,
    /// `status`.
    pub status: JobStatus,
    /// `creationDateTime`, epoch seconds.
    pub created: Option<i64>,
    /// `endDateTime`, epoch seconds.
    pub ended: Option<i64>,
    /// The job's tags among [`OWN_TAGS`].
    pub tags: Vec<(String, String)>,
    /// `participatingServers`.
    pub participants: Vec<Participant>,
    /// The ARN of this function's recovery plan execution whose step launched the job: such a
    /// job is followed up as the function's own, and reported with its execution.
    pub execution: Option<String>,
}

impl Job {
    /// The mode of a launch job; `None` for any other job.
    pub fn launch_mode(&self) -> Option<LaunchMode> {
        match self.initiated_by {
            InitiatedBy::StartDrill => Some(LaunchMode::Drill),
            InitiatedBy::StartRecovery => Some(LaunchMode::Recovery),
            _ => None,
        }
    }

    /// Whether this function launched it: tagged with its name, or run by one of its recovery
    /// plan executions.
    pub fn is_own(&self) -> bool {
        tag(&self.tags, TAG_FUNCTION) == Some(crate::FUNCTION) || self.execution.is_some()
    }

    /// Whether the job has not completed: it still counts against the active-job quotas.
    pub fn is_active(&self) -> bool {
        self.status != JobStatus::Completed
    }

    /// Whether its outcome was already reported: on the job or, for a plan's job, on its
    /// execution among `executions`.
    pub fn is_reported(&self, executions: &[PlanExecution]) -> bool {
        tag(&self.tags, TAG_REPORTED).is_some()
            || self
                .execution_in(executions)
                .is_some_and(PlanExecution::is_reported)
    }

    /// The plan execution that launched it, among `executions`.
    pub fn execution_in<'e>(&self, executions: &'e [PlanExecution]) -> Option<&'e PlanExecution> {
        let arn = self.execution.as_deref()?;
        executions.iter().find(|e| e.arn == arn)
    }

    /// The participant for `id`.
    pub fn participant(&self, id: &SourceServerId) -> Option<&Participant> {
        self.participants.iter().find(|p| p.source_server_id == *id)
    }
}

dr_core::aws_enum! {
    /// The `event` of a job log item that planning reads [DRS API reference: JobLog].
    LogEvent {
        /// The job started.
        JobStart = "JOB_START",
        /// A server was left out of the job.
        ServerSkipped = "SERVER_SKIPPED",
        /// A launch started.
        LaunchStart = "LAUNCH_START",
        /// A launch failed.
        LaunchFailed = "LAUNCH_FAILED",
        /// A snapshot could not be taken.
        SnapshotFail = "SNAPSHOT_FAIL",
        /// The conversion failed.
        ConversionFail = "CONVERSION_FAIL",
        /// The job ended.
        JobEnd = "JOB_END",
    }
}

/// One item of a job's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogItem {
    /// `logDateTime`, epoch seconds.
    pub at: Option<i64>,
    /// `event`.
    pub event: LogEvent,
    /// `eventData.sourceServerID`.
    pub source_server_id: Option<SourceServerId>,
    /// `eventData.rawError`.
    pub raw_error: Option<String>,
}

impl LogItem {
    /// Whether the item records a failure.
    pub fn is_failure(&self) -> bool {
        matches!(
            self.event,
            LogEvent::ServerSkipped
                | LogEvent::LaunchFailed
                | LogEvent::SnapshotFail
                | LogEvent::ConversionFail
        )
    }
}

/// A recovery instance: what a drill or a recovery launched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryInstance {
    /// `recoveryInstanceID`.
    pub id: String,
    /// `arn`, which tagging needs.
    pub arn: Option<String>,
    /// `sourceServerID`.
    pub source_server_id: Option<SourceServerId>,
    /// `jobID`, the job that created it.
    pub job_id: Option<String>,
    /// `isDrill`; `None` when DRS does not say.
    pub drill: Option<bool>,
    /// `pointInTimeSnapshotDateTime`, epoch seconds: the snapshot it launched from.
    pub point_in_time: Option<i64>,
    /// `ec2InstanceState`.
    pub ec2_state: Option<String>,
    /// Its tags among [`OWN_TAGS`].
    pub tags: Vec<(String, String)>,
}

impl RecoveryInstance {
    /// Whether its EC2 instance is on its way out or gone already.
    pub fn is_going(&self) -> bool {
        matches!(
            self.ec2_state.as_deref(),
            Some("SHUTTING-DOWN" | "TERMINATED" | "NOT_FOUND")
        )
    }
}

dr_core::aws_enum! {
    /// `RecoveryPlanExecution.status` [DRS API reference: RecoveryPlanExecution].
    ExecutionStatus {
        /// Created, not started.
        Created = "CREATED",
        /// Running its steps.
        InProgress = "IN_PROGRESS",
        /// Every step done.
        Completed = "COMPLETED",
        /// A step failed and the plan stopped.
        Failed = "FAILED",
        /// Being cancelled.
        Cancelling = "CANCELLING",
        /// Cancelled.
        Cancelled = "CANCELLED",
    }
}

impl ExecutionStatus {
    /// Whether the execution has ended: "a plan can have only one non-terminal execution"
    /// [DRS user guide: "Running a recovery plan"].
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

/// A run of a recovery plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanExecution {
    /// `recoveryPlanExecutionArn`.
    pub arn: String,
    /// `mode` is DRILL.
    pub drill: bool,
    /// `status`.
    pub status: ExecutionStatus,
    /// `startedAt`, epoch seconds.
    pub started: Option<i64>,
    /// `completedAt`, epoch seconds.
    pub completed: Option<i64>,
    /// `errorDetail`: `code: message`.
    pub error: Option<String>,
    /// Its tags among [`OWN_TAGS`].
    pub tags: Vec<(String, String)>,
}

impl PlanExecution {
    /// Whether this function started it.
    pub fn is_own(&self) -> bool {
        tag(&self.tags, TAG_FUNCTION) == Some(crate::FUNCTION)
    }

    /// Whether its outcome was already reported.
    pub fn is_reported(&self) -> bool {
        tag(&self.tags, TAG_REPORTED).is_some()
    }
}

/// A point-in-time recovery snapshot of a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// `snapshotID` (`pit-...`).
    pub id: String,
    /// `timestamp`, else `expectedTimestamp`, epoch seconds.
    pub at: i64,
}

/// What observe read in one account and Region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// When observe read them, epoch seconds: the plan's now.
    pub observed_at: i64,
    /// Every source server.
    pub servers: Vec<SourceServer>,
    /// The jobs created within the follow-up window, and every one still active.
    pub jobs: Vec<Job>,
    /// The logs of this function's launch jobs not yet reported, by job id.
    pub logs: Vec<(String, Vec<LogItem>)>,
    /// Every recovery instance.
    pub instances: Vec<RecoveryInstance>,
    /// The snapshots of the servers a launch may take, by server, when the snapshot choice
    /// needs them.
    pub snapshots: Vec<(SourceServerId, Vec<Snapshot>)>,
    /// The executions of `DRS_DRILL_PLAN_ARN`, when this target holds the plan.
    pub executions: Vec<PlanExecution>,
}

impl Facts {
    /// The log of job `id`, if read.
    pub fn log(&self, id: &str) -> Option<&[LogItem]> {
        self.logs
            .iter()
            .find(|(job, _)| job == id)
            .map(|(_, items)| items.as_slice())
    }

    /// The snapshots of server `id`, if read.
    pub fn snapshots_of(&self, id: &SourceServerId) -> Option<&[Snapshot]> {
        self.snapshots
            .iter()
            .find(|(server, _)| server == id)
            .map(|(_, list)| list.as_slice())
    }
}

/// One server of a launch, with the snapshot it starts from (`None`: on demand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchServer {
    /// The server.
    pub source_server_id: SourceServerId,
    /// `recoverySnapshotID`.
    pub snapshot_id: Option<String>,
    /// Why the server is launched, for its outcome: the trigger and its readiness.
    pub why: String,
}

/// A mutating call the plan asks for, one per server or instance so that a dry run lists each;
/// apply makes one call of the launches (and of the terminations) that share a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// One server of a `StartRecovery` job.
    Launch {
        /// Drill or recovery.
        mode: LaunchMode,
        /// The job it goes in: the launches of one batch are one `StartRecovery`.
        batch: usize,
        /// The server.
        server: LaunchServer,
    },
    /// `TagResource` on a launched recovery instance, so that cleanup can tell it apart and
    /// date it whatever becomes of its job.
    TagInstance {
        /// The instance's id, for the report.
        id: String,
        /// Its ARN.
        arn: String,
        /// The tags.
        tags: Vec<(String, String)>,
    },
    /// `StartRecoveryPlanExecution` of the recovery plan in DRILL mode.
    RunPlan {
        /// The plan's ARN.
        arn: String,
        /// The client token: the same for a trigger delivered again, so DRS starts one
        /// execution [DRS API reference: StartRecoveryPlanExecution, clientToken].
        token: String,
    },
    /// `TagResource` on a job or plan execution whose outcome this run reports, so that it is
    /// reported once.
    MarkReported {
        /// The job's id, for the report.
        id: String,
        /// Its ARN.
        arn: String,
        /// When (RFC 3339).
        at: String,
    },
    /// One expired drill instance of a `TerminateRecoveryInstances` call.
    Terminate {
        /// The call it goes in.
        batch: usize,
        /// The recovery instance.
        id: String,
        /// Why it goes.
        why: String,
    },
}

impl Action for Call {
    fn planned(&self) -> TargetOutcome {
        match self {
            Call::Launch {
                mode,
                batch,
                server,
            } => TargetOutcome::planned(&server.source_server_id, START_RECOVERY).with_detail(
                format!(
                    "{} in job {} of this run: {}",
                    mode.as_str(),
                    batch + 1,
                    server.why
                ),
            ),
            Call::RunPlan { arn, .. } => TargetOutcome::planned(arn, START_RECOVERY_PLAN_EXECUTION)
                .with_detail("drill of the recovery plan"),
            Call::TagInstance { id, tags, .. } => {
                TargetOutcome::planned(id, TAG_RESOURCE).with_detail(describe_tags(tags))
            }
            Call::MarkReported { id, .. } => {
                TargetOutcome::planned(id, TAG_RESOURCE).with_detail(TAG_REPORTED)
            }
            Call::Terminate { id, why, .. } => {
                TargetOutcome::planned(id, TERMINATE_RECOVERY_INSTANCES).with_detail(why.clone())
            }
        }
    }
}

/// `key=value, ...` of `tags`.
pub fn describe_tags(tags: &[(String, String)]) -> String {
    tags.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}
