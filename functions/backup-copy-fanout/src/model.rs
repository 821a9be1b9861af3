//! The domain: recovery points, copy and backup jobs as planning sees them, what observe read,
//! and the one action the plan asks for.
//!
//! No I/O and no SDK types: observe converts AWS Backup's answers into these.

use dr_core::arn::Arn;
use dr_core::backup::Destination;
pub use dr_core::backup::{copy_target as target, CopyJobState, RecoveryPointStatus};
use dr_core::function::Action;
use dr_core::report::{Skip, Skips, TargetOutcome};
use std::collections::{BTreeMap, BTreeSet};

/// The AWS operation this function applies.
pub const START_COPY_JOB: &str = "StartCopyJob";

/// Most recovery points older than the sweep window that one sweep re-examines because a copy
/// of theirs failed; each costs a `DescribeRecoveryPoint` and a `ListCopyJobs`. The newest
/// failures go first; the others are counted in [`Facts::unexamined_failures`].
pub const MAX_FAILED_FANOUTS_PER_SWEEP: usize = 100;

dr_core::aws_enum! {
    /// Where a recovery point is stored (Backup model `StorageClass`).
    StorageClass {
        /// Warm storage: copyable.
        Warm = "WARM",
        /// Cold storage or the archive tier: AWS Backup cannot copy it.
        Cold = "COLD",
        /// Its storage is gone.
        Deleted = "DELETED",
    }
}

dr_core::aws_enum! {
    /// A backup job's `State` (Backup model `BackupJobState`), also the state of a vault's
    /// backup job notification.
    BackupJobState {
        /// Accepted.
        Created = "CREATED",
        /// Waiting to run.
        Pending = "PENDING",
        /// Backing up.
        Running = "RUNNING",
        /// Being stopped.
        Aborting = "ABORTING",
        /// Stopped.
        Aborted = "ABORTED",
        /// Backed up: its recovery point can be copied.
        Completed = "COMPLETED",
        /// Not backed up.
        Failed = "FAILED",
        /// Past its retention.
        Expired = "EXPIRED",
        /// Backed up in part.
        Partial = "PARTIAL",
    }
}

dr_core::aws_enum! {
    /// The `EventType` attribute of a vault notification (Developer Guide, "Notification
    /// options with AWS Backup"): the kind of job it is about.
    VaultEventType {
        /// A backup job's notification: a completed one leads to copies.
        BackupJob = "BACKUP_JOB",
        /// A copy job's notification.
        CopyJob = "COPY_JOB",
    }
}

/// The name of the vault `arn` names (`…:backup-vault:<name>`), if it is a vault ARN.
pub fn vault_name(arn: &Arn) -> Option<&str> {
    arn.resource().strip_prefix("backup-vault:")
}

/// Parses an ARN AWS reported; one that is not an ARN is taken as absent.
pub fn reported_arn(text: Option<&str>) -> Option<Arn> {
    text.and_then(|t| Arn::parse(t).ok())
}

/// A recovery point, reduced to what planning needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryPoint {
    /// The recovery point ARN (a `recovery-point:`, EBS snapshot, AMI... ARN).
    pub arn: String,
    /// The vault that holds it, as `StartCopyJob`'s `SourceBackupVaultName` needs it.
    pub vault_name: String,
    /// That vault's ARN.
    pub vault_arn: Option<Arn>,
    /// The protected resource.
    pub resource_arn: Option<String>,
    /// `EBS`, `EC2`, `RDS`...
    pub resource_type: Option<String>,
    /// Its status.
    pub status: RecoveryPointStatus,
    /// Creation time, epoch seconds.
    pub created: Option<i64>,
    /// The composite recovery point this one belongs to.
    pub parent_arn: Option<String>,
    /// Its storage class, as `DescribeRecoveryPoint` reports it; the listing has no storage
    /// class, so a listed point has none unless its cold storage date has passed and it was
    /// described.
    pub storage_class: Option<StorageClass>,
    /// When its lifecycle moves it to cold storage (`CalculatedLifecycle`), epoch seconds.
    pub moves_to_cold_at: Option<i64>,
}

/// A copy job, reduced to what planning needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyJob {
    /// The copy job id.
    pub id: String,
    /// The recovery point copied.
    pub source_recovery_point_arn: Option<String>,
    /// The vault copied from.
    pub source_vault_arn: Option<Arn>,
    /// The vault copied to.
    pub destination_vault_arn: Option<Arn>,
    /// The protected resource (the unit of the one-job-at-a-time quota).
    pub resource_arn: Option<String>,
    /// Its state.
    pub state: CopyJobState,
    /// Why it failed, when it did.
    pub status_message: Option<String>,
    /// Creation time, epoch seconds.
    pub created: Option<i64>,
}

/// A backup job still in flight, reduced to what planning needs: it holds its resource, and a
/// copy of that resource started now waits for it in CREATED.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupJob {
    /// The backup job id.
    pub id: String,
    /// The protected resource.
    pub resource_arn: Option<String>,
    /// `CREATED`, `PENDING` or `RUNNING`.
    pub state: BackupJobState,
}

/// What a run looks at, decided from the trigger alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Sweep every source vault for recent recovery points (a schedule).
    pub sweep: bool,
    /// Recovery points the event or invocation names, each once.
    pub points: Vec<PointRequest>,
    /// What the trigger named that is left alone, with the reason.
    pub skips: Skips,
}

impl Scope {
    /// Leaves `target` alone for `reason`.
    pub fn skip(&mut self, target: &str, reason: impl Into<String>) {
        self.skips.push(Skip::new(target, reason));
    }
}

/// A recovery point a trigger names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointRequest {
    /// The recovery point ARN.
    pub recovery_point_arn: String,
    /// The vault the event says holds it (already in the allowlist); none = search them all.
    pub vault: Option<String>,
    /// Only these destinations (a failed copy's retry); none = every configured destination.
    pub destinations: Option<BTreeSet<String>>,
}

/// What observe found, and the scope it looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// What the trigger asked to look at.
    pub scope: Scope,
    /// Recovery points from the sweep and the requested ones that were found.
    pub recovery_points: Vec<RecoveryPoint>,
    /// Requested recovery points that could not be read, with the reason.
    pub unreadable: BTreeMap<String, String>,
    /// Copy jobs of those recovery points, and every copy job still in flight.
    pub copy_jobs: Vec<CopyJob>,
    /// Backup jobs still in flight: they hold their resources as copy jobs do.
    pub backup_jobs: Vec<BackupJob>,
    /// When observe read all this, epoch seconds.
    pub observed_at: i64,
    /// Failed copies of older recovery points that this sweep had no room to re-examine.
    pub unexamined_failures: usize,
}

/// One copy to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    /// The recovery point to copy.
    pub recovery_point_arn: String,
    /// The vault that holds it.
    pub source_vault_name: String,
    /// Where to copy it, with the copy's lifecycle.
    pub destination: Destination,
    /// 1 for the first attempt; n + 1 after n failed copy jobs.
    pub attempt: u32,
    /// The job of the same resource that AWS Backup will make this copy wait for in CREATED,
    /// when there is one.
    pub queued_behind: Option<String>,
}

impl Copy {
    /// The report target: recovery point and destination.
    pub fn target(&self) -> String {
        target(
            &self.recovery_point_arn,
            self.destination.vault_arn.as_str(),
        )
    }

    /// The `IdempotencyToken`: the same recovery point, destination and attempt always give the
    /// same token, so a redelivered event or an overlapping run starts no second copy.
    pub fn idempotency_token(&self) -> String {
        idempotency_token(
            &self.recovery_point_arn,
            self.destination.vault_arn.as_str(),
            self.attempt,
        )
    }

    /// What the report says of a copy that waits for another job of its resource.
    pub fn queued(&self) -> String {
        self.queued_behind
            .as_deref()
            .map_or_else(String::new, |holder| {
                format!(
                    "; queued in CREATED behind {holder}: AWS Backup runs one backup or copy job \
                     per resource at a time"
                )
            })
    }
}

impl Action for Copy {
    fn planned(&self) -> TargetOutcome {
        TargetOutcome::planned(self.target(), START_COPY_JOB).with_detail(format!(
            "attempt {}, idempotency token {}{}",
            self.attempt,
            self.idempotency_token(),
            self.queued()
        ))
    }
}

/// FNV-1a, 128 bits, of recovery point, destination and attempt: stable across builds and
/// platforms (unlike the standard library's hasher), short, and free of the ARNs' punctuation.
fn idempotency_token(
    recovery_point_arn: &str,
    destination_vault_arn: &str,
    attempt: u32,
) -> String {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let attempt_text = attempt.to_string();
    let bytes = recovery_point_arn
        .bytes()
        .chain([0])
        .chain(destination_vault_arn.bytes())
        .chain([0])
        .chain(attempt_text.bytes());
    let hash = bytes.fold(OFFSET, |h, b| (h ^ u128::from(b)).wrapping_mul(PRIME));
    format!("{hash:032x}-{attempt}")
}

#[cfg(test)]
mod tests;
