//! What every AWS Backup function reads: the copy fan-out's vaults (`BACKUP_SOURCE_VAULTS`,
//! `BACKUP_DESTINATIONS`, `BACKUP_RESOURCE_TYPES`) and the states of the Backup model.
//!
//! backup-copy-fanout copies by these variables and dr-coverage checks the copies by them, so
//! one deployment gives both the same vaults, parsed and refused by the same rules.

use crate::arn::Arn;
use crate::config::{is_account_id, ConfigError, Env};
use serde::Deserialize;

/// AWS Backup requires a recovery point to stay in cold storage at least this many days, so
/// `DeleteAfterDays` must be at least `MoveToColdStorageAfterDays` plus this (API reference,
/// "Lifecycle").
pub const MIN_COLD_STORAGE_DAYS: i64 = 90;

/// What `"keepForever": true` retains a copy for: 100 years, the longest retention AWS Backup
/// takes (API reference, "StartBackupJob" `Lifecycle`: "a maximum value of 100 years (36,500
/// days)"), and what the Developer Guide ("Backup and tag copy") tells users to give a copy
/// that must never expire.
pub const KEEP_FOREVER_DAYS: i64 = 36_500;

crate::aws_enum! {
    /// A recovery point's `Status` (Backup model `RecoveryPointStatus`).
    RecoveryPointStatus {
        /// Backed up.
        Completed = "COMPLETED",
        /// A composite recovery point missing some of its nested points.
        Partial = "PARTIAL",
        /// Being deleted, past its retention.
        Deleting = "DELETING",
        /// Past its retention.
        Expired = "EXPIRED",
        /// "The backup was successfully created" (API reference, `DescribeRecoveryPoint`).
        Available = "AVAILABLE",
        /// A continuous backup that was disabled.
        Stopped = "STOPPED",
        /// Not finished yet.
        Creating = "CREATING",
    }
}

impl RecoveryPointStatus {
    /// Whether the backup exists and can be copied: `COMPLETED` and `AVAILABLE`. `CREATING` is
    /// not finished, `PARTIAL` a composite missing nested points, `EXPIRED` and `DELETING` past
    /// retention, `STOPPED` a continuous backup that was disabled.
    pub fn is_copyable(&self) -> bool {
        matches!(self, Self::Completed | Self::Available)
    }
}

crate::aws_enum! {
    /// A copy job's `State` (Backup model `CopyJobState`).
    CopyJobState {
        /// Accepted, waiting to run (also while another job of its resource runs).
        Created = "CREATED",
        /// Copying.
        Running = "RUNNING",
        /// Copied: the destination holds the copy.
        Completed = "COMPLETED",
        /// Not copied.
        Failed = "FAILED",
        /// A composite recovery point copied in part.
        Partial = "PARTIAL",
    }
}

impl CopyJobState {
    /// Whether the job is still copying, and so holds its resource.
    pub fn is_in_flight(&self) -> bool {
        matches!(self, Self::Created | Self::Running)
    }

    /// Whether the job ended without a whole copy; a partial copy of a composite recovery point
    /// is retried whole.
    pub fn is_failed(&self) -> bool {
        matches!(self, Self::Failed | Self::Partial)
    }
}

/// The lifecycle a copy gets in its destination vault, as `StartCopyJob` takes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// Days after creation before the copy moves to cold storage.
    pub move_to_cold_storage_after_days: Option<i64>,
    /// Days after creation before the copy is deleted.
    pub delete_after_days: Option<i64>,
    /// Move supported resources to the archive tier along with the cold storage transition.
    pub opt_in_to_archive_for_supported_resources: Option<bool>,
}

/// Why a destination's lifecycle is refused at cold start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// -1 asks AWS Backup for "never expire", which a copy turns into its source's expiry.
    #[error(
        "deleteAfterDays -1 does not keep copies forever: AWS Backup gives a copy whose \
         DeleteAfterDays is -1 (\"Always\") its source recovery point's expiration date \
         (AWS Backup Developer Guide, \"Backup and tag copy\"), so the copy is deleted with its \
         source; write \"keepForever\": true to keep copies {KEEP_FOREVER_DAYS} days (100 \
         years, as the guide advises), or leave deleteAfterDays out to keep the source's retention"
    )]
    NeverExpireKeepsSourceExpiry,
    /// -1 for the cold storage move is only documented as half of the -1/-1 "remove the
    /// lifecycle" pair, which a copy turns into its source's expiry.
    #[error(
        "moveToColdStorageAfterDays -1 is documented only with deleteAfterDays -1, and a copy \
         given -1 keeps its source recovery point's expiration date (AWS Backup Developer Guide, \
         \"Backup and tag copy\"); leave moveToColdStorageAfterDays out for a copy that is not \
         moved to cold storage, and write \"keepForever\": true for one that is kept for good"
    )]
    NeverColdIsNotForCopies,
    /// A number of days AWS Backup does not take.
    #[error("{field} is {days}; give a number of days from 1 to {KEEP_FOREVER_DAYS} (100 years)")]
    DaysOutOfRange {
        /// The member at fault.
        field: &'static str,
        /// Its value.
        days: i64,
    },
    /// The 90-day minimum in cold storage is not met.
    #[error(
        "deleteAfterDays ({delete}) must be at least moveToColdStorageAfterDays ({cold}) + \
         {MIN_COLD_STORAGE_DAYS} = {}: AWS Backup keeps a recovery point in cold storage at least \
         {MIN_COLD_STORAGE_DAYS} days",
        cold + MIN_COLD_STORAGE_DAYS
    )]
    ColdStorageTooShort {
        /// `moveToColdStorageAfterDays`.
        cold: i64,
        /// `deleteAfterDays` (or the keep-forever days).
        delete: i64,
    },
    /// Both ways of saying how long to keep the copy.
    #[error(
        "keepForever and deleteAfterDays are both set; keepForever means deleteAfterDays \
         {KEEP_FOREVER_DAYS}, so give one of them"
    )]
    KeepForeverWithDeleteAfterDays,
    /// Archiving needs the cold storage move it happens with.
    #[error(
        "optInToArchiveForSupportedResources is true but moveToColdStorageAfterDays is not set; \
         the archive tier is reached by the cold storage transition"
    )]
    ArchiveWithoutColdStorage,
}

/// A vault every recovery point is copied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// `arn:<partition>:backup:<region>:<account>:backup-vault:<name>`, checked at cold start.
    pub vault_arn: Arn,
    /// The copy's lifecycle; none leaves the source's configuration to the copy, as AWS Backup
    /// does.
    pub lifecycle: Option<Lifecycle>,
}

impl Destination {
    /// The vault's region, for the per-region copy quota.
    pub fn region(&self) -> &str {
        self.vault_arn.region().unwrap_or_default()
    }

    /// The vault's account, for the cross-account copy quota.
    pub fn account(&self) -> &str {
        self.vault_arn.account().unwrap_or_default()
    }
}

/// The copy fan-out's vaults: where recovery points are copied from, where to, and which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFanout {
    /// `BACKUP_SOURCE_VAULTS`: names of the vaults whose recovery points are copied (the
    /// allowlist).
    pub source_vaults: Vec<String>,
    /// `BACKUP_DESTINATIONS`: where every recovery point is copied, in order.
    pub destinations: Vec<Destination>,
    /// `BACKUP_RESOURCE_TYPES`: resource types copied (`EBS`, `EC2`, `RDS`...); empty = every
    /// type.
    pub resource_types: Vec<String>,
}

impl CopyFanout {
    /// Reads and validates `BACKUP_SOURCE_VAULTS`, `BACKUP_DESTINATIONS` and
    /// `BACKUP_RESOURCE_TYPES`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let source_vaults = env.list("BACKUP_SOURCE_VAULTS");
        if source_vaults.is_empty() {
            return Err(ConfigError::new(
                "BACKUP_SOURCE_VAULTS",
                "is required: the comma-separated names of the vaults whose recovery points are \
                 copied",
            ));
        }
        if let Some(bad) = source_vaults.iter().find(|v| !is_vault_name(v)) {
            return Err(ConfigError::new(
                "BACKUP_SOURCE_VAULTS",
                format!("`{bad}` is not a backup vault name (2 to 50 letters, digits, - or _)"),
            ));
        }
        let resource_types = env.list("BACKUP_RESOURCE_TYPES");
        if let Some(bad) = resource_types.iter().find(|t| !is_resource_type(t)) {
            return Err(ConfigError::new(
                "BACKUP_RESOURCE_TYPES",
                format!(
                    "`{bad}` is not a resource type (1 to 50 letters, digits, spaces, -, _ or .)"
                ),
            ));
        }
        let destinations = env.optional("BACKUP_DESTINATIONS").ok_or_else(|| {
            ConfigError::new(
                "BACKUP_DESTINATIONS",
                "is required: the JSON array of the vaults every recovery point is copied to",
            )
        })?;
        Ok(Self {
            source_vaults,
            destinations: parse_destinations(&destinations)
                .map_err(|r| ConfigError::new("BACKUP_DESTINATIONS", r))?,
            resource_types,
        })
    }

    /// Whether recovery points of `resource_type` are copied.
    pub fn copies_type(&self, resource_type: &str) -> bool {
        self.resource_types.is_empty()
            || self
                .resource_types
                .iter()
                .any(|t| t.eq_ignore_ascii_case(resource_type))
    }

    /// Why recovery points of `resource_type` are not copied, when they are not: a type outside
    /// `BACKUP_RESOURCE_TYPES`, or a type unknown while that list names the types copied.
    pub fn outside_resource_types(&self, resource_type: Option<&str>) -> Option<String> {
        match resource_type {
            Some(t) if !self.copies_type(t) => {
                Some(format!("resource type {t} is not in BACKUP_RESOURCE_TYPES"))
            }
            None if !self.resource_types.is_empty() => Some(
                "resource type unknown, and BACKUP_RESOURCE_TYPES names the types copied".into(),
            ),
            _ => None,
        }
    }

    /// The configured destination with this vault ARN.
    pub fn destination(&self, vault_arn: &str) -> Option<&Destination> {
        self.destinations.iter().find(|d| d.vault_arn == *vault_arn)
    }

    /// Whether `vault` is one of the source vaults.
    pub fn is_source(&self, vault: &str) -> bool {
        self.source_vaults.iter().any(|v| v == vault)
    }

    /// Why recovery points of `vault` are not copied, when it is not in the allowlist.
    pub fn outside_allowlist(&self, vault: &str) -> Option<String> {
        (!self.is_source(vault))
            .then(|| format!("source vault `{vault}` is not in BACKUP_SOURCE_VAULTS"))
    }
}

/// The report target of a recovery point's copy to a destination vault.
pub fn copy_target(recovery_point_arn: &str, destination_vault_arn: &str) -> String {
    format!("{recovery_point_arn} -> {destination_vault_arn}")
}

/// One element of `BACKUP_DESTINATIONS`, as written.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawDestination {
    vault_arn: String,
    move_to_cold_storage_after_days: Option<i64>,
    delete_after_days: Option<i64>,
    opt_in_to_archive_for_supported_resources: Option<bool>,
    keep_forever: Option<bool>,
}

fn parse_destinations(json: &str) -> Result<Vec<Destination>, String> {
    let raw: Vec<RawDestination> = serde_json::from_str(json).map_err(|e| {
        format!(
            "is not a JSON array of {{\"vaultArn\", \"moveToColdStorageAfterDays\"?, \
             \"deleteAfterDays\"?, \"keepForever\"?, \"optInToArchiveForSupportedResources\"?}}: \
             {e}"
        )
    })?;
    if raw.is_empty() {
        return Err("names no destination vault".to_owned());
    }
    let mut out: Vec<Destination> = Vec::with_capacity(raw.len());
    for (i, d) in raw.into_iter().enumerate() {
        let at = |problem: String| format!("destination [{i}] `{}`: {problem}", d.vault_arn);
        let vault_arn = vault_arn(&d.vault_arn).map_err(at)?;
        if out.iter().any(|seen| seen.vault_arn == vault_arn) {
            return Err(at("is listed twice".to_owned()));
        }
        let lifecycle = lifecycle(&d).map_err(|e| at(e.to_string()))?;
        out.push(Destination {
            vault_arn,
            lifecycle: (lifecycle != Lifecycle::default()).then_some(lifecycle),
        });
    }
    Ok(out)
}

/// The lifecycle a destination asks for, checked against the rules `StartCopyJob` applies
/// before any copy is attempted, and against retention a copy does not really get.
fn lifecycle(d: &RawDestination) -> Result<Lifecycle, LifecycleError> {
    let delete = match (d.keep_forever, d.delete_after_days) {
        (Some(true), Some(_)) => return Err(LifecycleError::KeepForeverWithDeleteAfterDays),
        (Some(true), None) => Some(KEEP_FOREVER_DAYS),
        (_, delete) => delete,
    };
    let l = Lifecycle {
        move_to_cold_storage_after_days: d.move_to_cold_storage_after_days,
        delete_after_days: delete,
        opt_in_to_archive_for_supported_resources: d.opt_in_to_archive_for_supported_resources,
    };
    check_lifecycle(&l)?;
    Ok(l)
}

/// The rules of `StartCopyJob`'s `Lifecycle` (API reference, "Lifecycle"): positive days, at
/// most 100 years, 90 days in cold storage; and -1, which a copy does not take as "forever".
fn check_lifecycle(l: &Lifecycle) -> Result<(), LifecycleError> {
    let cold = l.move_to_cold_storage_after_days;
    let delete = l.delete_after_days;
    if delete == Some(-1) {
        return Err(LifecycleError::NeverExpireKeepsSourceExpiry);
    }
    if cold == Some(-1) {
        return Err(LifecycleError::NeverColdIsNotForCopies);
    }
    for (field, days) in [
        ("moveToColdStorageAfterDays", cold),
        ("deleteAfterDays", delete),
    ] {
        if let Some(days) = days.filter(|d| !(1..=KEEP_FOREVER_DAYS).contains(d)) {
            return Err(LifecycleError::DaysOutOfRange { field, days });
        }
    }
    if let (Some(cold), Some(delete)) = (cold, delete) {
        if delete < cold + MIN_COLD_STORAGE_DAYS {
            return Err(LifecycleError::ColdStorageTooShort { cold, delete });
        }
    }
    if cold.is_none() && l.opt_in_to_archive_for_supported_resources == Some(true) {
        return Err(LifecycleError::ArchiveWithoutColdStorage);
    }
    Ok(())
}

/// Parses `arn:<partition>:backup:<region>:<account>:backup-vault:<name>`; any region and
/// account are allowed, since copies go cross-region and cross-account.
fn vault_arn(text: &str) -> Result<Arn, String> {
    let arn = Arn::of_service(text, "backup").map_err(|e| e.to_string())?;
    let region = arn.region().unwrap_or_default();
    if region.is_empty()
        || !region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(format!("`{region}` is not a region code"));
    }
    let account = arn.account().unwrap_or_default();
    if !is_account_id(account) {
        return Err(format!("`{account}` is not a 12-digit account id"));
    }
    match arn.resource().strip_prefix("backup-vault:") {
        Some(name) if is_vault_name(name) => Ok(arn),
        _ => Err("is not a backup vault ARN (…:backup-vault:<name>)".to_owned()),
    }
}

/// The vault name pattern of the Backup API: 2 to 50 letters, digits, `-` or `_`.
fn is_vault_name(s: &str) -> bool {
    (2..=50).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Resource type names as AWS Backup reports them (`EBS`, `DynamoDB`, `SAP HANA on Amazon EC2`).
fn is_resource_type(s: &str) -> bool {
    (1..=50).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" -_.".contains(&b))
}

#[cfg(test)]
mod tests;
