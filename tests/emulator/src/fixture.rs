//! The fixture: the initial state of the emulated account (a JSON file, or built in code).
//!
//! Every section is optional. See `fixtures/demo.json` for a complete sample.

use crate::util::{is_duration, mix, parse_iso};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

mod mgn;

pub use mgn::{
    check_tags, is_mgn_id, MgnApiCall, MgnFixture, MgnLastTest, MgnLaunchQuotas, MgnLifeCycleState,
    MgnReplicationError, MgnReplicationState, MgnServer, MgnTestInitiated, ReplicatedDisk,
    ReplicationConfiguration, MGN_REPLICATION_ERRORS,
};

/// Why a fixture could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The file could not be read.
    #[error("cannot read fixture {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The text is not a fixture.
    #[error("fixture is not valid JSON for the fixture format: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is well-formed but a value breaks a rule.
    #[error("invalid fixture: {0}")]
    Invalid(String),
}

/// The initial state of the emulated account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fixture {
    /// The account every resource belongs to unless it says otherwise.
    #[serde(default = "default_account")]
    pub account_id: String,
    /// The home region.
    #[serde(default = "default_region")]
    pub region: String,
    /// The emulated time at start (RFC 3339); absent means the real time at start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<String>,
    /// Seed of the random choices (ids, fault injection), so runs are reproducible.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Elastic Disaster Recovery.
    #[serde(default)]
    pub drs: DrsFixture,
    /// Server Migration Service.
    #[serde(default)]
    pub sms: SmsFixture,
    /// Application Migration Service.
    #[serde(default, skip_serializing_if = "MgnFixture::is_empty")]
    pub mgn: MgnFixture,
    /// AWS Backup.
    #[serde(default)]
    pub backup: BackupFixture,
    /// SNS (one store for every account and region: topics are ARNs).
    #[serde(default)]
    pub sns: SnsFixture,
    /// S3 (one store for every account and region: bucket names are global).
    #[serde(default, skip_serializing_if = "S3Fixture::is_empty")]
    pub s3: S3Fixture,
    /// Further (account, region) partitions; the top-level sections are the home partition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<PartitionFixture>,
    /// Which roles `sts:AssumeRole` refuses.
    #[serde(default, skip_serializing_if = "StsFixture::is_open")]
    pub sts: StsFixture,
}

/// The state of one more account in one region, shaped like the fixture's own sections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PartitionFixture {
    /// The partition's account: its resources' account unless they say otherwise.
    pub account_id: String,
    /// The partition's region.
    pub region: String,
    /// Elastic Disaster Recovery in this account and region.
    #[serde(default)]
    pub drs: DrsFixture,
    /// Server Migration Service in this account and region.
    #[serde(default)]
    pub sms: SmsFixture,
    /// Application Migration Service in this account and region.
    #[serde(default, skip_serializing_if = "MgnFixture::is_empty")]
    pub mgn: MgnFixture,
    /// AWS Backup in this account and region.
    #[serde(default)]
    pub backup: BackupFixture,
}

/// STS section: every role of a known account is assumable unless this says otherwise.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StsFixture {
    /// Role ARNs whose `AssumeRole` is refused with AccessDenied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied_roles: Vec<String>,
    /// The external id a role's trust policy requires, by role ARN.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub external_ids: BTreeMap<String, String>,
}

impl StsFixture {
    fn is_open(&self) -> bool {
        self.denied_roles.is_empty() && self.external_ids.is_empty()
    }
}

/// DRS section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DrsFixture {
    /// `false` makes every DRS call fail with `UninitializedAccountException`.
    #[serde(default = "yes")]
    pub initialized: bool,
    /// Most servers that may replicate in this account at once: those not extended from a
    /// staging account, in a state other than STOPPED and DISCONNECTED (see
    /// [`DrsState::holds_replication_slot`]).
    #[serde(default = "default_quota")]
    pub replicating_quota: usize,
    /// The source servers.
    #[serde(default)]
    pub source_servers: Vec<DrsServer>,
    /// The "at scale" quotas `StartRecovery` enforces.
    #[serde(default, skip_serializing_if = "RecoveryQuotas::is_default")]
    pub recovery_quotas: RecoveryQuotas,
    /// The recovery plans.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovery_plans: Vec<RecoveryPlanSpec>,
}

/// The recovery quotas of "Disaster recovery at scale" (DRS user guide): "100 source servers per
/// recovery job, 500 source servers across all active jobs, and 20 concurrent jobs".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecoveryQuotas {
    /// Most source servers in one recovery job.
    #[serde(default = "default_servers_per_job")]
    pub servers_per_job: usize,
    /// Most source servers across all jobs that have not completed.
    #[serde(default = "default_servers_in_active_jobs")]
    pub servers_in_active_jobs: usize,
    /// Most jobs that have not completed.
    #[serde(default = "default_concurrent_jobs")]
    pub concurrent_jobs: usize,
}

impl Default for RecoveryQuotas {
    fn default() -> Self {
        Self {
            servers_per_job: default_servers_per_job(),
            servers_in_active_jobs: default_servers_in_active_jobs(),
            concurrent_jobs: default_concurrent_jobs(),
        }
    }
}

impl RecoveryQuotas {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

fn default_servers_per_job() -> usize {
    100
}
fn default_servers_in_active_jobs() -> usize {
    500
}
fn default_concurrent_jobs() -> usize {
    20
}

/// One DRS recovery plan (the model's RecoveryPlan): one step that recovers its servers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecoveryPlanSpec {
    /// The id in the plan's ARN, `arn:<partition>:drs:<region>:<account>:recovery-plan/<id>`.
    #[serde(rename = "recoveryPlanID")]
    pub recovery_plan_id: String,
    /// The name (the model's RecoveryPlanName).
    pub name: String,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The servers its step recovers.
    #[serde(rename = "sourceServerIDs", default)]
    pub source_server_ids: Vec<String>,
    /// ACTIVE or INVALID; absent: ACTIVE, or INVALID for a plan without servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// One DRS source server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DrsServer {
    /// `s-` and 17 letters or digits.
    #[serde(rename = "sourceServerID")]
    pub source_server_id: String,
    /// Identification hint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Identification hint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<String>,
    /// Identification hint (EC2 source servers).
    #[serde(
        rename = "awsInstanceID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub aws_instance_id: Option<String>,
    /// Identification hint (VMware source servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_ware_uuid: Option<String>,
    /// Data replication state at start.
    #[serde(default = "default_drs_state")]
    pub state: DrsState,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// `stagingArea.stagingAccountID`: the account the server belongs to (the fixture's or partition's account,
    /// the default), or for an extended server its staging account [DRS API: StagingArea].
    #[serde(
        rename = "stagingAccountID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub staging_account_id: Option<String>,
    /// `stagingArea.status`: NOT_EXTENDED (the default), EXTENDED or EXTENSION_ERROR.
    #[serde(default, skip_serializing_if = "StagingStatus::is_not_extended")]
    pub staging_status: StagingStatus,
    /// `stagingArea.stagingSourceServerArn`: the staging account's server this one extends
    /// (required for EXTENDED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staging_source_server_arn: Option<String>,
    /// `stagingArea.errorMessage` of an EXTENSION_ERROR server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staging_error_message: Option<String>,
    /// FAILOVER or FAILBACK.
    #[serde(default = "default_direction")]
    pub replication_direction: String,
    /// Operating system description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// When true, replication started on this server stalls after INITIATING.
    #[serde(default)]
    pub stall_on_start: bool,
    /// Times (RFC 3339) of the server's recovery snapshots; empty: generated ones when the
    /// server replicates (see the README).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovery_snapshots: Vec<String>,
    /// `dataReplicationInfo.lagDuration` (an ISO 8601 duration such as `PT20M`); absent: PT0S
    /// when CONTINUOUS, none otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_duration: Option<String>,
}

/// SMS section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SmsFixture {
    /// Catalog status reported by `GetServers`.
    #[serde(default = "default_catalog_status")]
    pub catalog_status: String,
    /// The server catalog.
    #[serde(default)]
    pub servers: Vec<SmsServer>,
}

/// One VM in the SMS server catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SmsServer {
    /// `s-` and 8 or more hex digits.
    pub server_id: String,
    /// VM name.
    pub vm_name: String,
    /// VM path in the manager's inventory.
    #[serde(default)]
    pub vm_path: String,
    /// Name of the VM manager (vCenter, SCVMM, ...).
    #[serde(default = "default_vm_manager")]
    pub vm_manager_name: String,
    /// VSPHERE, SCVMM or HYPERV-MANAGER.
    #[serde(default = "default_vm_manager_type")]
    pub vm_manager_type: String,
    /// Identifier of the VM manager.
    #[serde(default = "default_vm_manager_id")]
    pub vm_manager_id: String,
    /// Identifier of the VM in its manager.
    pub vm_id: String,
    /// LINUX or WINDOWS: Linux servers accept only the BYOL license.
    #[serde(default = "default_os")]
    pub os: String,
    /// The first N replication runs of this server fail.
    #[serde(default)]
    pub fail_runs: u32,
    /// When set, `CreateReplicationJob` fails with `ServerCannotBeReplicatedException` and this reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cannot_replicate: Option<String>,
}

/// Backup section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupFixture {
    /// Vaults, in any region or account; copy destinations are matched by ARN.
    #[serde(default)]
    pub vaults: Vec<Vault>,
    /// Backup jobs, in the section's own region and account; those in flight hold their resource.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backup_jobs: Vec<BackupJobSpec>,
}

/// The states of a backup job (the model's `BackupJobState`).
pub const BACKUP_JOB_STATES: [&str; 9] = [
    "CREATED",
    "PENDING",
    "RUNNING",
    "ABORTING",
    "ABORTED",
    "COMPLETED",
    "FAILED",
    "EXPIRED",
    "PARTIAL",
];

/// The storage classes of a recovery point (the model's `StorageClass`).
pub const STORAGE_CLASSES: [&str; 3] = ["WARM", "COLD", "DELETED"];

/// One backup job in a fixture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupJobSpec {
    /// The vault (of the section's own region and account) its recovery point goes to.
    pub backup_vault_name: String,
    /// The resource backed up.
    pub resource_arn: String,
    /// EC2, EBS, RDS, ...
    pub resource_type: String,
    /// A `BackupJobState`; CREATED, PENDING and RUNNING jobs move on one step at a time and
    /// complete with a new recovery point.
    #[serde(default = "default_backup_job_state")]
    pub state: String,
    /// Creation time relative to the start of the emulated clock; default 1 hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_hours_ago: Option<f64>,
}

fn default_backup_job_state() -> String {
    "RUNNING".to_owned()
}

/// One backup vault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Vault {
    /// Vault name.
    pub name: String,
    /// Region; defaults to the section's (fixture's or partition's) region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Account; defaults to the section's (fixture's or partition's) account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Recovery points already in the vault.
    #[serde(default)]
    pub recovery_points: Vec<RecoveryPointSpec>,
}

/// One recovery point in a fixture vault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecoveryPointSpec {
    /// The ARN; generated from the resource type when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_point_arn: Option<String>,
    /// The protected resource.
    pub resource_arn: String,
    /// EC2, EBS, RDS, EFS, DynamoDB, S3, ...
    pub resource_type: String,
    /// Display name of the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// Creation time (RFC 3339); wins over `createdHoursAgo`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<String>,
    /// Creation time relative to the start of the emulated clock; default 1 hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_hours_ago: Option<f64>,
    /// Size in bytes.
    #[serde(default = "default_size")]
    pub backup_size_in_bytes: i64,
    /// COMPLETED, PARTIAL, CREATING, ...
    #[serde(default = "default_rp_status")]
    pub status: String,
    /// The recovery point's lifecycle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<LifecycleSpec>,
    /// The first N copy jobs of this recovery point fail.
    #[serde(default)]
    pub fail_copies: u32,
    /// WARM, COLD or DELETED; default: COLD once the lifecycle's cold storage date has passed,
    /// else WARM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// A continuous (point-in-time) backup, named `recovery-point:continuous:<id>` as AWS names
    /// them, when no ARN is given.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub continuous: bool,
}

/// A Backup lifecycle in the fixture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LifecycleSpec {
    /// Days before moving to cold storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub move_to_cold_storage_after_days: Option<i64>,
    /// Days before deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_after_days: Option<i64>,
}

/// SNS section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SnsFixture {
    /// Topic ARNs that exist.
    #[serde(default)]
    pub topics: Vec<String>,
}

/// S3 section: the buckets that exist.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct S3Fixture {
    /// The buckets, each name once.
    #[serde(default)]
    pub buckets: Vec<S3Bucket>,
}

impl S3Fixture {
    fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

/// One S3 bucket: its name, owner, Region and the settings PutObject answers by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct S3Bucket {
    /// The bucket name, by the general purpose bucket naming rules.
    pub name: String,
    /// The owner account (default: the fixture's home account); only it may write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The bucket's Region (default: the home Region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Default encryption SSE-KMS with this key (ARN or id); absent: SSE-S3 (`AES256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Versioning enabled: every PutObject answers with a new `x-amz-version-id`.
    #[serde(default)]
    pub versioning: bool,
}

impl S3Bucket {
    /// A bucket of the home account in the home Region, SSE-S3, unversioned.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            account_id: None,
            region: None,
            kms_key_id: None,
            versioning: false,
        }
    }

    /// Checks the name against "Bucket naming rules" (S3 user guide, general purpose buckets):
    /// 3 to 63 characters of lower-case letters, digits, dots and hyphens, starting and ending
    /// with a letter or digit, no two adjacent dots, not an IP address, none of the reserved
    /// prefixes and suffixes; and the owner and Region, when given.
    pub fn check(&self) -> Result<(), String> {
        let name = &self.name;
        let bad = |why: &str| Err(format!("bucket name {name:?} {why}"));
        if !(3..=63).contains(&name.len()) {
            return bad("must be 3 to 63 characters long");
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        {
            return bad("may hold only lower-case letters, digits, dots and hyphens");
        }
        let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !edge(name.bytes().next()) || !edge(name.bytes().last()) {
            return bad("must start and end with a letter or digit");
        }
        if name.contains("..") {
            return bad("must not hold two adjacent dots");
        }
        if name.parse::<std::net::Ipv4Addr>().is_ok() {
            return bad("must not be formatted as an IP address");
        }
        let reserved_prefix = ["xn--", "sthree-", "amzn-s3-demo-"];
        let reserved_suffix = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
        if reserved_prefix.iter().any(|p| name.starts_with(p))
            || reserved_suffix.iter().any(|s| name.ends_with(s))
        {
            return bad("uses a reserved prefix or suffix");
        }
        if let Some(account) = &self.account_id {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "bucket {name}: accountId {account:?} is not 12 digits"
                ));
            }
        }
        if let Some(region) = &self.region {
            if !crate::util::is_region(region) {
                return Err(format!(
                    "bucket {name}: region {region:?} is not a region name"
                ));
            }
        }
        if self.kms_key_id.as_deref() == Some("") {
            return Err(format!("bucket {name}: kmsKeyId must not be empty"));
        }
        Ok(())
    }
}

/// A DRS data replication state: the model's `DataReplicationState` enum
/// (drs.service-2.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DrsState {
    /// STOPPED
    Stopped,
    /// INITIATING
    Initiating,
    /// INITIAL_SYNC
    InitialSync,
    /// BACKLOG
    Backlog,
    /// CREATING_SNAPSHOT
    CreatingSnapshot,
    /// CONTINUOUS
    Continuous,
    /// PAUSED
    Paused,
    /// RESCAN
    Rescan,
    /// STALLED
    Stalled,
    /// DISCONNECTED
    Disconnected,
}

impl DrsState {
    /// Every state, in the model's order.
    pub const ALL: [Self; 10] = [
        Self::Stopped,
        Self::Initiating,
        Self::InitialSync,
        Self::Backlog,
        Self::CreatingSnapshot,
        Self::Continuous,
        Self::Paused,
        Self::Rescan,
        Self::Stalled,
        Self::Disconnected,
    ];

    /// The state as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stopped => "STOPPED",
            Self::Initiating => "INITIATING",
            Self::InitialSync => "INITIAL_SYNC",
            Self::Backlog => "BACKLOG",
            Self::CreatingSnapshot => "CREATING_SNAPSHOT",
            Self::Continuous => "CONTINUOUS",
            Self::Paused => "PAUSED",
            Self::Rescan => "RESCAN",
            Self::Stalled => "STALLED",
            Self::Disconnected => "DISCONNECTED",
        }
    }

    /// The state the API spelling names, if any.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether a server in this state holds one of its account's replicating slots. STOPPED
    /// servers are unprotected [API: StopReplication]; DISCONNECTED ones had replication
    /// stopped and its resources deleted [API: DisconnectSourceServer]; every other state has
    /// replication set up. DRS publishes no per-state list: this reading is the emulator's.
    pub fn holds_replication_slot(self) -> bool {
        !matches!(self, Self::Stopped | Self::Disconnected)
    }
}

/// Compares with the API spelling, so `state == "STOPPED"` reads as it did when states were text.
impl PartialEq<&str> for DrsState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// `stagingArea.status` of a source server [DRS API: StagingArea, ExtensionStatus].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StagingStatus {
    /// Replicating in this account.
    #[default]
    NotExtended,
    /// Extended from a staging account's source server, which replicates there.
    Extended,
    /// DRS could not access the staging source server.
    ExtensionError,
}

impl StagingStatus {
    /// The status as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotExtended => "NOT_EXTENDED",
            Self::Extended => "EXTENDED",
            Self::ExtensionError => "EXTENSION_ERROR",
        }
    }

    fn is_not_extended(&self) -> bool {
        *self == Self::NotExtended
    }
}

/// The topic the demo fixture and the generated fleets provide for run reports.
pub const REPORTS_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:dr-automation-reports";

/// The source vault of [`Fixture::backup_fleet`].
pub const BACKUP_FLEET_SOURCE_VAULT: &str = "dr-primary";

/// The destination vaults of [`Fixture::backup_fleet`]: cross-region and cross-account.
pub const BACKUP_FLEET_DESTINATIONS: [&str; 3] = [
    "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west",
    "arn:aws:backup:eu-west-1:123456789012:backup-vault:dr-copy-eu",
    "arn:aws:backup:us-east-1:210987654321:backup-vault:dr-isolated",
];

fn default_account() -> String {
    "123456789012".to_owned()
}
fn default_region() -> String {
    "us-east-1".to_owned()
}
fn default_seed() -> u64 {
    7
}
fn yes() -> bool {
    true
}
fn default_quota() -> usize {
    300
}
fn default_drs_state() -> DrsState {
    DrsState::Stopped
}
fn default_direction() -> String {
    "FAILOVER".to_owned()
}
fn default_catalog_status() -> String {
    "AVAILABLE".to_owned()
}
fn default_vm_manager() -> String {
    "vcenter.corp.example.com".to_owned()
}
fn default_vm_manager_type() -> String {
    "VSPHERE".to_owned()
}
fn default_vm_manager_id() -> String {
    "vcenter-01".to_owned()
}
fn default_os() -> String {
    "WINDOWS".to_owned()
}
fn default_size() -> i64 {
    8_589_934_592
}
fn default_rp_status() -> String {
    "COMPLETED".to_owned()
}

impl Default for DrsFixture {
    fn default() -> Self {
        Self {
            initialized: true,
            replicating_quota: default_quota(),
            source_servers: Vec::new(),
            recovery_quotas: RecoveryQuotas::default(),
            recovery_plans: Vec::new(),
        }
    }
}

impl Default for SmsFixture {
    fn default() -> Self {
        Self {
            catalog_status: default_catalog_status(),
            servers: Vec::new(),
        }
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self {
            account_id: default_account(),
            region: default_region(),
            now: None,
            seed: default_seed(),
            drs: DrsFixture::default(),
            sms: SmsFixture::default(),
            mgn: MgnFixture::default(),
            backup: BackupFixture::default(),
            sns: SnsFixture::default(),
            s3: S3Fixture::default(),
            partitions: Vec::new(),
            sts: StsFixture::default(),
        }
    }
}

impl DrsServer {
    /// A server with only an id and a state; every other field takes its default.
    pub fn new(source_server_id: &str, state: DrsState) -> Self {
        Self {
            source_server_id: source_server_id.to_owned(),
            hostname: None,
            fqdn: None,
            aws_instance_id: None,
            vm_ware_uuid: None,
            state,
            tags: BTreeMap::new(),
            staging_account_id: None,
            staging_status: StagingStatus::NotExtended,
            staging_source_server_arn: None,
            staging_error_message: None,
            replication_direction: default_direction(),
            os: None,
            stall_on_start: false,
            recovery_snapshots: Vec::new(),
            lag_duration: None,
        }
    }
}

impl Fixture {
    /// The demo account shipped in `fixtures/demo.json`.
    pub fn demo() -> Self {
        Self::from_json(include_str!("../fixtures/demo.json"))
            .unwrap_or_else(|e| panic!("the bundled demo fixture must be valid: {e}"))
    }

    /// The fleet of `fixtures/fleet.json`: three accounts in two regions each, with a DRS
    /// staging account whose servers the home account holds extended.
    pub fn fleet() -> Self {
        Self::from_json(include_str!("../fixtures/fleet.json"))
            .unwrap_or_else(|e| panic!("the bundled fleet fixture must be valid: {e}"))
    }

    /// Every account of the fixture: the home account, then each partition's.
    pub fn accounts(&self) -> BTreeSet<&str> {
        std::iter::once(self.account_id.as_str())
            .chain(self.partitions.iter().map(|p| p.account_id.as_str()))
            .collect()
    }

    /// A partition as a fixture of its own (no SNS, no further partitions), so that the rules of
    /// one account and region are checked the same way for every partition.
    fn partition_as_fixture(&self, p: &PartitionFixture) -> Self {
        Self {
            account_id: p.account_id.clone(),
            region: p.region.clone(),
            now: None,
            seed: self.seed,
            drs: p.drs.clone(),
            sms: p.sms.clone(),
            mgn: p.mgn.clone(),
            backup: p.backup.clone(),
            sns: SnsFixture::default(),
            s3: S3Fixture::default(),
            partitions: Vec::new(),
            sts: StsFixture::default(),
        }
    }

    /// Checks the partitions (each by the rules of one account and region, each (account,
    /// region) once, a vault in one place only) and the STS section (role ARNs).
    fn validate_partitions(&self) -> Result<(), FixtureError> {
        let bad = |m: String| Err(FixtureError::Invalid(m));
        let mut keys = BTreeSet::from([(self.account_id.as_str(), self.region.as_str())]);
        let mut vaults = BTreeSet::new();
        let mut add_vaults = |f: &Self| {
            f.backup.vaults.iter().find_map(|v| {
                let key = (
                    v.name.clone(),
                    v.region.clone().unwrap_or_else(|| f.region.clone()),
                    v.account_id.clone().unwrap_or_else(|| f.account_id.clone()),
                );
                (!vaults.insert(key.clone())).then_some(key)
            })
        };
        if let Some((name, region, account)) = add_vaults(self) {
            return bad(format!(
                "backup vault {name} of {account} in {region} appears twice"
            ));
        }
        for p in &self.partitions {
            let key = (p.account_id.as_str(), p.region.as_str());
            if !crate::util::is_region(&p.region) {
                return bad(format!(
                    "partition region {:?} is not a region name",
                    p.region
                ));
            }
            if !keys.insert(key) {
                return bad(format!(
                    "partition {} {} appears twice (the top level is the home partition)",
                    p.account_id, p.region
                ));
            }
            let own = self.partition_as_fixture(p);
            own.validate_own().map_err(|e| match e {
                FixtureError::Invalid(why) => {
                    FixtureError::Invalid(format!("partition {} {}: {why}", p.account_id, p.region))
                }
                other => other,
            })?;
            if let Some((name, region, account)) = add_vaults(&own) {
                return bad(format!(
                    "backup vault {name} of {account} in {region} appears twice"
                ));
            }
        }
        let roles = self
            .sts
            .denied_roles
            .iter()
            .chain(self.sts.external_ids.keys());
        for role in roles {
            if crate::sts::RoleArn::parse(role).is_none() {
                return bad(format!("sts: {role:?} is not an IAM role ARN"));
            }
        }
        Ok(())
    }

    /// Parses and validates fixture JSON.
    pub fn from_json(text: &str) -> Result<Self, FixtureError> {
        let fixture: Self = serde_json::from_str(text)?;
        fixture.validate()?;
        Ok(fixture)
    }

    /// Reads, parses and validates a fixture file.
    pub fn load(path: &Path) -> Result<Self, FixtureError> {
        let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// A generated DRS fleet of `n` servers, the first `stopped` of them STOPPED and the rest
    /// CONTINUOUS, with `Env`, `Tier` and `dr:alarm` tags and the reports topic.
    pub fn drs_fleet(n: usize, stopped: usize) -> Self {
        let envs = ["prod", "staging", "dev"];
        let tiers = ["web", "app", "db"];
        let source_servers = (0..n)
            .map(|i| {
                let host = format!("fleet-{i:05}");
                let mut server = DrsServer::new(
                    &fleet_server_id(i as u64),
                    if i < stopped {
                        DrsState::Stopped
                    } else {
                        DrsState::Continuous
                    },
                );
                server.fqdn = Some(format!("{host}.corp.example.com"));
                server.aws_instance_id = Some(format!("i-{:017x}", mix(i as u64 ^ 0xfeed) >> 4));
                server.hostname = Some(host);
                server
                    .tags
                    .insert("Env".into(), envs[i % envs.len()].into());
                server
                    .tags
                    .insert("Tier".into(), tiers[i % tiers.len()].into());
                server.tags.insert(
                    "dr:alarm".into(),
                    format!("fleet-{}-replication", tiers[i % tiers.len()]),
                );
                server
            })
            .collect();
        Self {
            drs: DrsFixture {
                source_servers,
                ..DrsFixture::default()
            },
            sns: SnsFixture {
                topics: vec![REPORTS_TOPIC.to_owned()],
            },
            ..Self::default()
        }
    }

    /// A generated Backup account: `points` completed EBS recovery points of distinct volumes,
    /// created within the last 11 hours, in the source vault [`BACKUP_FLEET_SOURCE_VAULT`], and
    /// the three empty destination vaults of [`BACKUP_FLEET_DESTINATIONS`] (two regions, one
    /// other account), with the reports topic.
    pub fn backup_fleet(points: usize) -> Self {
        let recovery_points = (0..points)
            .map(|i| RecoveryPointSpec {
                recovery_point_arn: None,
                resource_arn: format!(
                    "arn:aws:ec2:us-east-1:123456789012:volume/vol-{:017x}",
                    mix(i as u64 ^ 0xb4c) >> 4
                ),
                resource_type: "EBS".to_owned(),
                resource_name: Some(format!("fleet-{i:05}-data")),
                creation_date: None,
                // Spread over the sweep window so the newest-first order is not a tie.
                created_hours_ago: Some(1.0 + (i % 600) as f64 / 60.0),
                backup_size_in_bytes: default_size(),
                status: default_rp_status(),
                lifecycle: None,
                fail_copies: 0,
                storage_class: None,
                continuous: false,
            })
            .collect();
        let mut vaults = vec![Vault {
            name: BACKUP_FLEET_SOURCE_VAULT.to_owned(),
            region: None,
            account_id: None,
            recovery_points,
        }];
        vaults.extend(BACKUP_FLEET_DESTINATIONS.iter().filter_map(|arn| {
            let parts: Vec<&str> = arn.splitn(7, ':').collect();
            match parts.as_slice() {
                [_, _, _, region, account, _, name] => Some(Vault {
                    name: (*name).to_owned(),
                    region: Some((*region).to_owned()),
                    account_id: Some((*account).to_owned()),
                    recovery_points: Vec::new(),
                }),
                _ => None,
            }
        }));
        Self {
            backup: BackupFixture {
                vaults,
                backup_jobs: Vec::new(),
            },
            sns: SnsFixture {
                topics: vec![REPORTS_TOPIC.to_owned()],
            },
            ..Self::default()
        }
    }

    /// The staging area a server may have [DRS API: StagingArea]: a server replicating here
    /// belongs to this account; an extended one names its staging account, which is another
    /// one, and (when EXTENDED) the staging server it extends, in that account.
    fn check_staging_area(&self, s: &DrsServer) -> Result<(), String> {
        let staging = s.staging_account_id.as_deref();
        if s.staging_error_message.is_some() && s.staging_status != StagingStatus::ExtensionError {
            return Err("stagingErrorMessage is only for EXTENSION_ERROR".into());
        }
        if s.staging_status == StagingStatus::NotExtended {
            if staging.is_some_and(|a| a != self.account_id) {
                return Err(format!(
                    "a NOT_EXTENDED server belongs to this account, so stagingAccountID must be \
                     {} (or absent); make it EXTENDED to extend it from a staging account",
                    self.account_id
                ));
            }
            if s.staging_source_server_arn.is_some() {
                return Err("stagingSourceServerArn is only for extended servers".into());
            }
            return Ok(());
        }
        let Some(staging) = staging.filter(|a| *a != self.account_id) else {
            return Err(format!(
                "an {} server needs the stagingAccountID of its staging account, not this one",
                s.staging_status.as_str()
            ));
        };
        match s.staging_source_server_arn.as_deref() {
            Some(arn) => {
                let parts: Vec<&str> = arn.split(':').collect();
                let well_formed = parts.len() == 6
                    && parts[0] == "arn"
                    && parts[2] == "drs"
                    && parts[4] == staging
                    && parts[5].starts_with("source-server/s-");
                if !well_formed {
                    return Err(format!(
                        "stagingSourceServerArn {arn:?} is not a DRS source server ARN in \
                         staging account {staging}"
                    ));
                }
                Ok(())
            }
            None if s.staging_status == StagingStatus::Extended => {
                Err("an EXTENDED server needs stagingSourceServerArn".into())
            }
            None => Ok(()),
        }
    }

    /// The recovery quotas are positive; each recovery plan has a unique id that fits an ARN, a
    /// name of the model's RecoveryPlanName, a RecoveryPlanStatus and servers of this
    /// partition (`servers`).
    fn check_recovery(&self, servers: &BTreeSet<String>) -> Result<(), String> {
        let q = self.drs.recovery_quotas;
        if q.servers_per_job == 0 || q.servers_in_active_jobs == 0 || q.concurrent_jobs == 0 {
            return Err("DRS recoveryQuotas must be at least 1".into());
        }
        let mut plans = BTreeSet::new();
        for plan in &self.drs.recovery_plans {
            let id = &plan.recovery_plan_id;
            let id_ok = !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
            if !id_ok || !plans.insert(id.clone()) {
                return Err(format!(
                    "DRS recovery plan id {id:?} must be unique letters, digits, '_', '.' or '-'"
                ));
            }
            let name_ok = (1..=256).contains(&plan.name.len())
                && plan
                    .name
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric())
                && plan
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b" _-".contains(&b));
            if !name_ok {
                return Err(format!(
                    "DRS recovery plan {id}: name {:?} does not match [a-zA-Z0-9][a-zA-Z0-9 _-]* (1 to 256)",
                    plan.name
                ));
            }
            if let Some(status) = plan
                .status
                .as_deref()
                .filter(|s| !["ACTIVE", "INVALID"].contains(s))
            {
                return Err(format!(
                    "DRS recovery plan {id}: status {status:?} is not ACTIVE or INVALID"
                ));
            }
            if let Some(unknown) = plan
                .source_server_ids
                .iter()
                .find(|s| !servers.contains(*s))
            {
                return Err(format!(
                    "DRS recovery plan {id}: source server {unknown} is not a server of its account and region"
                ));
            }
        }
        Ok(())
    }

    /// Checks the rules the JSON shape alone cannot express.
    pub fn validate(&self) -> Result<(), FixtureError> {
        self.validate_own()?;
        self.validate_partitions()?;
        self.validate_s3()
    }

    /// Checks every bucket and that each name appears once (bucket names are global).
    fn validate_s3(&self) -> Result<(), FixtureError> {
        let mut names = BTreeSet::new();
        for bucket in &self.s3.buckets {
            bucket.check().map_err(FixtureError::Invalid)?;
            if !names.insert(bucket.name.as_str()) {
                return Err(FixtureError::Invalid(format!(
                    "s3: bucket {} appears twice",
                    bucket.name
                )));
            }
        }
        Ok(())
    }

    /// Checks the home partition and SNS.
    fn validate_own(&self) -> Result<(), FixtureError> {
        let bad = |m: String| Err(FixtureError::Invalid(m));
        if self.account_id.len() != 12 || !self.account_id.bytes().all(|b| b.is_ascii_digit()) {
            return bad(format!("accountId {:?} is not 12 digits", self.account_id));
        }
        if let Some(now) = &self.now {
            if parse_iso(now).is_none() {
                return bad(format!("now {now:?} is not an RFC 3339 time"));
            }
        }
        let mut ids = BTreeSet::new();
        for s in &self.drs.source_servers {
            let id = &s.source_server_id;
            let well_formed = id.len() == 19
                && id.starts_with("s-")
                && id[2..].bytes().all(|b| b.is_ascii_alphanumeric());
            if !well_formed {
                return bad(format!(
                    "DRS sourceServerID {id:?} is not s- and 17 letters or digits"
                ));
            }
            if !ids.insert(id.clone()) {
                return bad(format!("DRS sourceServerID {id} appears twice"));
            }
            if let Err(why) = self.check_staging_area(s) {
                return bad(format!("DRS server {id}: {why}"));
            }
            if let Some(bad_time) = s.recovery_snapshots.iter().find(|t| parse_iso(t).is_none()) {
                return bad(format!(
                    "DRS server {id}: recovery snapshot time {bad_time:?} is not an RFC 3339 time"
                ));
            }
            if let Some(lag) = s.lag_duration.as_deref().filter(|l| !is_duration(l)) {
                return bad(format!(
                    "DRS server {id}: lagDuration {lag:?} is not an ISO 8601 duration such as PT20M"
                ));
            }
            if !["FAILOVER", "FAILBACK"].contains(&s.replication_direction.as_str()) {
                return bad(format!(
                    "DRS server {id}: replicationDirection must be FAILOVER or FAILBACK"
                ));
            }
        }
        self.check_recovery(&ids).map_err(FixtureError::Invalid)?;
        self.mgn.validate().map_err(FixtureError::Invalid)?;
        let mut sms_ids = BTreeSet::new();
        for s in &self.sms.servers {
            if !s.server_id.starts_with("s-") || !sms_ids.insert(s.server_id.clone()) {
                return bad(format!(
                    "SMS serverId {:?} must start with s- and be unique",
                    s.server_id
                ));
            }
            if !["VSPHERE", "SCVMM", "HYPERV-MANAGER"].contains(&s.vm_manager_type.as_str()) {
                return bad(format!(
                    "SMS server {}: unknown vmManagerType {:?}",
                    s.server_id, s.vm_manager_type
                ));
            }
            if !["LINUX", "WINDOWS"].contains(&s.os.as_str()) {
                return bad(format!(
                    "SMS server {}: os must be LINUX or WINDOWS",
                    s.server_id
                ));
            }
        }
        let mut vaults = BTreeSet::new();
        for v in &self.backup.vaults {
            let key = (
                v.name.clone(),
                v.region.clone().unwrap_or_else(|| self.region.clone()),
                v.account_id
                    .clone()
                    .unwrap_or_else(|| self.account_id.clone()),
            );
            if v.name.is_empty() || !vaults.insert(key) {
                return bad(format!(
                    "backup vault {:?} is empty or appears twice in one region and account",
                    v.name
                ));
            }
            for rp in &v.recovery_points {
                if !rp.resource_arn.starts_with("arn:") {
                    return bad(format!(
                        "vault {}: resourceArn {:?} is not an ARN",
                        v.name, rp.resource_arn
                    ));
                }
                if let Some(date) = &rp.creation_date {
                    if parse_iso(date).is_none() {
                        return bad(format!(
                            "vault {}: creationDate {date:?} is not an RFC 3339 time",
                            v.name
                        ));
                    }
                }
                if let Some(class) = rp
                    .storage_class
                    .as_deref()
                    .filter(|c| !STORAGE_CLASSES.contains(c))
                {
                    return bad(format!(
                        "vault {}: storageClass {class:?} is not WARM, COLD or DELETED",
                        v.name
                    ));
                }
            }
        }
        for job in &self.backup.backup_jobs {
            if !BACKUP_JOB_STATES.contains(&job.state.as_str()) {
                return bad(format!(
                    "backup job of {}: state {:?} is not a backup job state",
                    job.resource_arn, job.state
                ));
            }
            let home_vault = self.backup.vaults.iter().any(|v| {
                v.name == job.backup_vault_name
                    && v.region.as_deref().is_none_or(|r| r == self.region)
                    && v.account_id.as_deref().is_none_or(|a| a == self.account_id)
            });
            if !home_vault || !job.resource_arn.starts_with("arn:") {
                return bad(format!(
                    "backup job of {:?}: needs a resourceArn and a vault of the home region and \
                     account, not {:?}",
                    job.resource_arn, job.backup_vault_name
                ));
            }
        }
        for t in &self.sns.topics {
            let parts: Vec<&str> = t.split(':').collect();
            let topic = parts.len() == 6
                && parts[0] == "arn"
                && parts[1] == crate::util::partition(parts[3])
                && parts[2] == "sns";
            if !topic {
                return bad(format!("SNS topic {t:?} is not a topic ARN"));
            }
        }
        Ok(())
    }
}

/// The id of the `i`-th generated fleet server: reproducible, and looks like a real one.
fn fleet_server_id(i: u64) -> String {
    let hex = format!("{:016x}{:016x}", mix(i), mix(i ^ 0xD25));
    format!("s-{}", &hex[..17])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_fixture_is_valid() {
        let f = Fixture::demo();
        assert!(f.drs.source_servers.len() >= 12);
        assert!(f.sns.topics.iter().any(|t| t == REPORTS_TOPIC));
    }

    #[test]
    fn fleets_have_unique_valid_ids() {
        let f = Fixture::drs_fleet(1000, 400);
        f.validate().expect("valid fleet");
        let stopped = f
            .drs
            .source_servers
            .iter()
            .filter(|s| s.state == DrsState::Stopped)
            .count();
        assert_eq!(stopped, 400);
    }

    #[test]
    fn backup_fleets_have_one_source_and_three_destination_vaults() {
        let f = Fixture::backup_fleet(50);
        f.validate().expect("valid backup fleet");
        assert_eq!(f.backup.vaults.len(), 4);
        assert_eq!(f.backup.vaults[0].recovery_points.len(), 50);
        let resources: BTreeSet<&str> = f.backup.vaults[0]
            .recovery_points
            .iter()
            .map(|p| p.resource_arn.as_str())
            .collect();
        assert_eq!(resources.len(), 50);
        assert!(f.backup.vaults[1..]
            .iter()
            .all(|v| v.recovery_points.is_empty() && v.region.is_some()));
    }

    #[test]
    fn staging_areas_follow_the_model() {
        let load = |server: &str| {
            Fixture::from_json(&format!(r#"{{"drs": {{"sourceServers": [{server}]}}}}"#))
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        let arn = "arn:aws:drs:us-east-1:210987654321:source-server/s-0c6e2a8f4b1d97e35";
        let cases: [(&str, String, Result<(), &str>); 6] = [
            (
                "an extended server with its staging account and server",
                format!(
                    r#"{{"sourceServerID": "s-00000000000000001", "stagingStatus": "EXTENDED",
                        "stagingAccountID": "210987654321", "stagingSourceServerArn": "{arn}"}}"#
                ),
                Ok(()),
            ),
            (
                "a server replicating here with another account as its staging account",
                r#"{"sourceServerID": "s-00000000000000001", "stagingAccountID": "210987654321"}"#
                    .into(),
                Err("a NOT_EXTENDED server belongs to this account"),
            ),
            (
                "an extended server without its staging server",
                r#"{"sourceServerID": "s-00000000000000001", "stagingStatus": "EXTENDED",
                    "stagingAccountID": "210987654321"}"#
                    .into(),
                Err("an EXTENDED server needs stagingSourceServerArn"),
            ),
            (
                "an extended server in this very account",
                format!(
                    r#"{{"sourceServerID": "s-00000000000000001", "stagingStatus": "EXTENDED",
                        "stagingSourceServerArn": "{arn}"}}"#
                ),
                Err("an EXTENDED server needs the stagingAccountID of its staging account"),
            ),
            (
                "a staging server in another account than the staging account",
                r#"{"sourceServerID": "s-00000000000000001", "stagingStatus": "EXTENDED",
                    "stagingAccountID": "111122223333",
                    "stagingSourceServerArn": "arn:aws:drs:us-east-1:210987654321:source-server/s-0c6e2a8f4b1d97e35"}"#
                    .into(),
                Err("stagingSourceServerArn"),
            ),
            (
                "an error message on a server that is not in error",
                r#"{"sourceServerID": "s-00000000000000001", "stagingErrorMessage": "x"}"#.into(),
                Err("stagingErrorMessage is only for EXTENSION_ERROR"),
            ),
        ];
        for (name, server, want) in cases {
            match (load(&server), want) {
                (Ok(()), Ok(())) => {}
                (Err(got), Err(want)) => assert!(got.contains(want), "{name}: {got}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn each_partition_is_checked_by_the_rules_of_its_own_account() {
        let load = |partitions: &str| {
            Fixture::from_json(&format!(r#"{{"partitions": {partitions}}}"#))
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        let extended = r#"{"sourceServerID": "s-00000000000000001", "stagingStatus": "EXTENDED",
            "stagingAccountID": "345678901234",
            "stagingSourceServerArn": "arn:aws:drs:us-east-1:345678901234:source-server/s-0c6e2a8f4b1d97e35"}"#;
        let cases: [(&str, String, Result<(), &str>); 4] = [
            (
                "a member extending from a staging account",
                format!(
                    r#"[{{"accountId": "234567890123", "region": "us-east-1", "drs": {{"sourceServers": [{extended}]}}}}]"#
                ),
                Ok(()),
            ),
            (
                "a staging account extending from itself",
                format!(
                    r#"[{{"accountId": "345678901234", "region": "us-east-1", "drs": {{"sourceServers": [{extended}]}}}}]"#
                ),
                Err("partition 345678901234 us-east-1: DRS server s-00000000000000001"),
            ),
            (
                "the home partition again",
                r#"[{"accountId": "123456789012", "region": "us-east-1"}]"#.into(),
                Err("appears twice"),
            ),
            (
                "a region that is no region name",
                r#"[{"accountId": "234567890123", "region": "east"}]"#.into(),
                Err("is not a region name"),
            ),
        ];
        for (name, partitions, want) in cases {
            match (load(&partitions), want) {
                (Ok(()), Ok(())) => {}
                (Err(got), Err(want)) => assert!(got.contains(want), "{name}: {got}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn an_unknown_replication_state_is_refused() {
        let unknown = r#"{"drs": {"sourceServers": [{"sourceServerID": "s-00000000000000001", "state": "HEALTHY"}]}}"#;
        assert!(matches!(
            Fixture::from_json(unknown),
            Err(FixtureError::Json(_))
        ));
    }

    #[test]
    fn rejects_storage_classes_and_backup_jobs_the_model_does_not_have() {
        let cases = [
            r#"{"backup": {"vaults": [{"name": "v1", "recoveryPoints": [{"resourceArn": "arn:aws:ec2:us-east-1:123456789012:volume/vol-1", "resourceType": "EBS", "storageClass": "GLACIER"}]}]}}"#,
            r#"{"backup": {"vaults": [{"name": "v1"}], "backupJobs": [{"backupVaultName": "v1", "resourceArn": "arn:aws:ec2:us-east-1:123456789012:volume/vol-1", "resourceType": "EBS", "state": "QUEUED"}]}}"#,
            r#"{"backup": {"vaults": [{"name": "v1"}], "backupJobs": [{"backupVaultName": "nope", "resourceArn": "arn:aws:ec2:us-east-1:123456789012:volume/vol-1", "resourceType": "EBS"}]}}"#,
            r#"{"backup": {"vaults": [{"name": "v1", "region": "us-west-2"}], "backupJobs": [{"backupVaultName": "v1", "resourceArn": "arn:aws:ec2:us-east-1:123456789012:volume/vol-1", "resourceType": "EBS"}]}}"#,
        ];
        for text in cases {
            assert!(
                matches!(Fixture::from_json(text), Err(FixtureError::Invalid(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_bad_ids_and_unknown_fields() {
        let bad_id = r#"{"drs": {"sourceServers": [{"sourceServerID": "s-123"}]}}"#;
        assert!(matches!(
            Fixture::from_json(bad_id),
            Err(FixtureError::Invalid(_))
        ));
        assert!(matches!(
            Fixture::from_json(r#"{"surprise": 1}"#),
            Err(FixtureError::Json(_))
        ));
    }

    #[test]
    fn rejects_a_recovery_snapshot_time_that_is_not_rfc_3339() {
        let bad = r#"{"drs": {"sourceServers": [{"sourceServerID": "s-00000000000000001", "state": "CONTINUOUS", "recoverySnapshots": ["yesterday"]}]}}"#;
        assert!(matches!(
            Fixture::from_json(bad),
            Err(FixtureError::Invalid(_))
        ));
    }

    /// A fixture of one CONTINUOUS server whose DRS section also holds `extra` (JSON members).
    fn with_drs(extra: &str) -> Result<Fixture, FixtureError> {
        Fixture::from_json(&format!(
            r#"{{"drs": {{"sourceServers": [{{"sourceServerID": "s-00000000000000001", "state": "CONTINUOUS"}}]{extra}}}}}"#
        ))
    }

    #[test]
    fn rejects_a_lag_that_is_not_an_iso_8601_duration() {
        let bad = r#"{"drs": {"sourceServers": [{"sourceServerID": "s-00000000000000001", "state": "CONTINUOUS", "lagDuration": "20 minutes"}]}}"#;
        assert!(matches!(
            Fixture::from_json(bad),
            Err(FixtureError::Invalid(_))
        ));
    }

    #[test]
    fn recovery_quotas_default_to_the_documented_numbers() {
        let f = with_drs("").expect("valid");
        assert_eq!(
            f.drs.recovery_quotas,
            RecoveryQuotas {
                servers_per_job: 100,
                servers_in_active_jobs: 500,
                concurrent_jobs: 20,
            }
        );
    }

    #[test]
    fn rejects_a_recovery_quota_of_zero() {
        let bad = with_drs(r#", "recoveryQuotas": {"concurrentJobs": 0}"#);
        assert!(matches!(bad, Err(FixtureError::Invalid(_))));
    }

    #[test]
    fn accepts_a_recovery_plan_of_its_servers() {
        let plan = r#", "recoveryPlans": [{"recoveryPlanID": "rp-web", "name": "web tier", "sourceServerIDs": ["s-00000000000000001"]}]"#;
        assert_eq!(with_drs(plan).expect("valid").drs.recovery_plans.len(), 1);
    }

    #[test]
    fn rejects_recovery_plans_that_break_a_rule() {
        for plan in [
            r#"{"recoveryPlanID": "rp-web", "name": "web", "sourceServerIDs": ["s-00000000000000002"]}"#,
            r#"{"recoveryPlanID": "rp web", "name": "web"}"#,
            r#"{"recoveryPlanID": "rp-web", "name": "-web"}"#,
            r#"{"recoveryPlanID": "rp-web", "name": "web", "status": "DELETING"}"#,
        ] {
            let bad = with_drs(&format!(r#", "recoveryPlans": [{plan}]"#));
            assert!(matches!(bad, Err(FixtureError::Invalid(_))), "{plan}");
        }
        let twice = r#", "recoveryPlans": [{"recoveryPlanID": "rp", "name": "a"}, {"recoveryPlanID": "rp", "name": "b"}]"#;
        assert!(matches!(with_drs(twice), Err(FixtureError::Invalid(_))));
    }
}
