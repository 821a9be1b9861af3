//! The domain: recovery points and their copy jobs, DRS source servers and their launch jobs,
//! MGN source servers, as the coverage plan sees them; and the action a coverage run never
//! takes.
//!
//! No I/O and no SDK types: observe converts the services' answers into these.

pub use dr_core::backup::{copy_target, CopyJobState, RecoveryPointStatus};
pub use dr_core::drs::ReplicationState as DrsReplicationState;
use dr_core::drs::{tag, Identified};
use dr_core::function::Action;
use dr_core::ids::SourceServerId;
use dr_core::report::TargetOutcome;

/// The report action of a (recovery point, destination) pair.
pub const COPY_COVERAGE: &str = "CopyCoverage";
/// The report action of a DRS source server.
pub const DRS_PROTECTION: &str = "DrsProtection";
/// The report action of an MGN source server.
pub const MGN_REPLICATION: &str = "MgnReplication";

/// Most recovery points older than the window that one run examines again because a copy of
/// theirs failed; each costs a `DescribeRecoveryPoint` and a `ListCopyJobs`. The newest failures
/// go first; the others are counted in [`BackupFacts::unexamined`] and reported unverified.
pub const MAX_OLDER_POINTS: usize = 100;

/// What a coverage run does to the fleet: nothing. No value of this type exists, so no plan can
/// hold an action and no apply can make a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoAction {}

impl Action for NoAction {
    fn planned(&self) -> TargetOutcome {
        match *self {}
    }
}

/// A recovery point of a source vault, reduced to what coverage needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryPoint {
    /// Its ARN.
    pub arn: String,
    /// The source vault that holds it.
    pub vault_name: String,
    /// That vault's ARN, as AWS reported it.
    pub vault_arn: Option<String>,
    /// `EBS`, `EC2`, `RDS`...
    pub resource_type: Option<String>,
    /// Its status.
    pub status: RecoveryPointStatus,
    /// Creation time, epoch seconds.
    pub created: Option<i64>,
    /// The composite recovery point it belongs to.
    pub parent_arn: Option<String>,
}

/// A copy job, reduced to what coverage needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyJob {
    /// The copy job id.
    pub id: String,
    /// The recovery point copied.
    pub source_recovery_point_arn: Option<String>,
    /// The vault copied from.
    pub source_vault_arn: Option<String>,
    /// The vault copied to.
    pub destination_vault_arn: Option<String>,
    /// The copy in the destination vault, once there is one.
    pub destination_recovery_point_arn: Option<String>,
    /// Its state.
    pub state: CopyJobState,
    /// Why it failed, when it did.
    pub status_message: Option<String>,
    /// Creation time, epoch seconds.
    pub created: Option<i64>,
    /// Completion time, epoch seconds.
    pub completed: Option<i64>,
}

/// An older recovery point that has a failed copy and is examined again, or why it could not be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OlderPoint {
    /// Read: its fan-out is judged like a recent point's, from every copy job of it.
    Found(RecoveryPoint),
    /// AWS refused to describe it: its coverage is unverified.
    Unreadable {
        /// The recovery point ARN.
        arn: String,
        /// What AWS answered.
        reason: String,
    },
}

/// What observe read of AWS Backup in one target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupFacts {
    /// The start of the window, epoch seconds.
    pub window_start: i64,
    /// The recovery points of the source vaults created since the window start.
    pub points: Vec<RecoveryPoint>,
    /// Older recovery points with a failed copy to a destination, examined again.
    pub older: Vec<OlderPoint>,
    /// Older recovery points with a failed copy that this run had no room to examine.
    pub unexamined: usize,
    /// Every copy job read: those to each destination since the window start, the failed ones
    /// since the failure horizon, and every job of each older point.
    pub copy_jobs: Vec<CopyJob>,
}

/// The DRS job states and launch statuses, as the core reads them.
pub use dr_core::drs::{InitiatedBy, JobStatus, LaunchStatus};

/// A DRS server's last launch (`lifeCycle.lastLaunch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastLaunch {
    /// `initiated.type` is `DRILL`.
    pub drill: bool,
    /// `initiated.apiCallDateTime`, epoch seconds.
    pub initiated: Option<i64>,
    /// `initiated.jobID`.
    pub job_id: Option<String>,
    /// `status`.
    pub status: LaunchStatus,
}

/// A DRS source server, reduced to what selection and health need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrsServer {
    /// Its id.
    pub id: SourceServerId,
    /// Hostname identification hint.
    pub hostname: Option<String>,
    /// FQDN identification hint.
    pub fqdn: Option<String>,
    /// AWS instance id identification hint.
    pub instance_id: Option<String>,
    /// The tags the selection reads, in key order.
    pub tags: Vec<(String, String)>,
    /// `stagingArea.stagingAccountID`.
    pub staging_account: Option<String>,
    /// `dataReplicationInfo.dataReplicationState`.
    pub state: DrsReplicationState,
    /// `dataReplicationInfo.lagDuration` in seconds, when DRS reports one that parses.
    pub lag: Option<i64>,
    /// `dataReplicationInfo.dataReplicationError`: `error (rawError)`.
    pub replication_error: Option<String>,
    /// `lifeCycle.lastLaunch`.
    pub last_launch: Option<LastLaunch>,
}

impl Identified for DrsServer {
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

/// A DRS launch job (`type` LAUNCH).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchJob {
    /// `jobID`.
    pub id: String,
    /// `initiatedBy`.
    pub initiated_by: InitiatedBy,
    /// `status`.
    pub status: JobStatus,
    /// `creationDateTime`, epoch seconds.
    pub created: Option<i64>,
    /// `endDateTime`, epoch seconds.
    pub ended: Option<i64>,
    /// `participatingServers`: each server and its launch status.
    pub servers: Vec<(SourceServerId, LaunchStatus)>,
}

/// What observe read of DRS in one target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrsFacts {
    /// Every source server.
    pub servers: Vec<DrsServer>,
    /// The launch jobs created since `jobs_since`.
    pub launch_jobs: Vec<LaunchJob>,
    /// How far back the launch jobs were read, epoch seconds.
    pub jobs_since: i64,
}

/// An MGN server's states, as mgn-replication reads them.
pub use dr_core::mgn::{LifeCycle as MgnLifeCycle, ReplicationState as MgnReplicationState};

/// An MGN source server, reduced to its states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MgnServer {
    /// `sourceServerID`.
    pub id: String,
    /// `sourceProperties.identificationHints.hostname`.
    pub hostname: Option<String>,
    /// `dataReplicationInfo.dataReplicationState`.
    pub replication: MgnReplicationState,
    /// `lifeCycle.state`.
    pub lifecycle: MgnLifeCycle,
    /// `dataReplicationInfo.dataReplicationError`: `error (rawError)`.
    pub replication_error: Option<String>,
}

impl MgnServer {
    /// The states a report gives, e.g. `READY_FOR_TEST/CONTINUOUS`.
    pub fn states(&self) -> String {
        format!("{}/{}", self.lifecycle.as_str(), self.replication.as_str())
    }
}

/// What observe read in one target: a part per configured service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// When observe read them, epoch seconds: the plan's now.
    pub observed_at: i64,
    /// AWS Backup, when configured.
    pub backup: Option<BackupFacts>,
    /// DRS, when configured.
    pub drs: Option<DrsFacts>,
    /// MGN (every non-archived source server), when configured.
    pub mgn: Option<Vec<MgnServer>>,
}
