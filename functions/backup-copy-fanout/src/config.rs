//! The function's configuration, read from environment variables once at cold start.

use dr_core::config::{is_account_id, ConfigError, Env};
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

/// The AWS Backup quota of concurrent copy jobs outbound to one destination region per account
/// (Developer Guide, "AWS Backup quotas": "Concurrent backup copies per account outbound to a
/// destination Region", 100).
pub const DEFAULT_REGION_COPY_QUOTA: usize = 100;

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
    /// `arn:<partition>:backup:<region>:<account>:backup-vault:<name>`.
    pub vault_arn: String,
    /// The vault's region, for the per-region copy quota.
    pub region: String,
    /// The vault's account, for the cross-account copy quota.
    pub account: String,
    /// The copy's lifecycle; none leaves the source's configuration to the copy, as AWS Backup
    /// does.
    pub lifecycle: Option<Lifecycle>,
}

/// Everything the function is configured with.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupConfig {
    /// Names of the vaults whose recovery points are copied (the allowlist).
    pub source_vaults: Vec<String>,
    /// Where every recovery point is copied, in order.
    pub destinations: Vec<Destination>,
    /// The role AWS Backup assumes to copy.
    pub copy_role_arn: String,
    /// Resource types copied (`EBS`, `EC2`, `RDS`...); empty = every type.
    pub resource_types: Vec<String>,
    /// How far back a scheduled sweep looks for recovery points, in hours.
    pub sweep_window_hours: u32,
    /// How far back a scheduled sweep looks for failed copy jobs whose recovery point, older
    /// than the sweep window, may still lack a copy, in days.
    pub fanout_horizon_days: u32,
    /// Most copy attempts per recovery point and destination before alerting instead.
    pub max_attempts: u32,
    /// Most copy jobs in flight to one destination region.
    pub region_copy_quota: usize,
    /// Most `StartCopyJob` calls in flight.
    pub max_concurrency: usize,
    /// Most `StartCopyJob` calls started per second.
    pub start_rate_per_second: f64,
    /// Where run reports go; none = only returned and logged.
    pub report_topic_arn: Option<String>,
    /// SNS topics whose notifications are accepted (empty = any).
    pub trigger_topic_arns: Vec<String>,
    /// Plan only, for every run.
    pub dry_run: bool,
    /// The account served (`ACCOUNT_ID`); events from others are rejected. None = any.
    pub home_account: Option<String>,
}

impl BackupConfig {
    /// Reads and validates the configuration.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let source_vaults = env.list("BACKUP_SOURCE_VAULTS");
        if source_vaults.is_empty() {
            return Err(ConfigError::new(
                "BACKUP_SOURCE_VAULTS",
                "is required: the comma-separated names of the vaults to copy from",
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
        let copy_role_arn = env.required("BACKUP_COPY_ROLE_ARN")?;
        check_role_arn(&copy_role_arn).map_err(|r| ConfigError::new("BACKUP_COPY_ROLE_ARN", r))?;
        Ok(Self {
            source_vaults,
            destinations: parse_destinations(&env.required("BACKUP_DESTINATIONS")?)
                .map_err(|r| ConfigError::new("BACKUP_DESTINATIONS", r))?,
            copy_role_arn,
            resource_types,
            sweep_window_hours: env.number("BACKUP_SWEEP_WINDOW_HOURS", 24, 1, 24 * 35)?,
            // ListBackupJobs documents 30 days of history; ListCopyJobs documents no limit, so the
            // horizon is held to the same 30 days (an assumption).
            fanout_horizon_days: env.number("BACKUP_FANOUT_HORIZON_DAYS", 7, 1, 30)?,
            max_attempts: env.number("BACKUP_COPY_MAX_ATTEMPTS", 3, 1, 10)?,
            region_copy_quota: env.number(
                "BACKUP_REGION_COPY_QUOTA",
                DEFAULT_REGION_COPY_QUOTA,
                1,
                10_000,
            )?,
            max_concurrency: env.number("MAX_CONCURRENCY", 10, 1, 100)?,
            start_rate_per_second: env.number(
                "BACKUP_START_RATE_PER_SECOND",
                5.0,
                0.1,
                10_000.0,
            )?,
            report_topic_arn: env.arn("REPORT_TOPIC_ARN", "sns")?.map(|a| a.to_string()),
            trigger_topic_arns: env
                .arn_list("TRIGGER_TOPIC_ARNS", "sns")?
                .iter()
                .map(ToString::to_string)
                .collect(),
            dry_run: env.flag("DRY_RUN", false)?,
            home_account: env.home_account()?,
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

    /// The configured destination with this vault ARN.
    pub fn destination(&self, vault_arn: &str) -> Option<&Destination> {
        self.destinations.iter().find(|d| d.vault_arn == vault_arn)
    }
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
        let (region, account) = vault_arn_region(&d.vault_arn).map_err(at)?;
        if out.iter().any(|seen| seen.vault_arn == d.vault_arn) {
            return Err(at("is listed twice".to_owned()));
        }
        let lifecycle = lifecycle(&d).map_err(|e| at(e.to_string()))?;
        out.push(Destination {
            region,
            account,
            lifecycle: (lifecycle != Lifecycle::default()).then_some(lifecycle),
            vault_arn: d.vault_arn,
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

/// Checks `arn:<partition>:backup:<region>:<account>:backup-vault:<name>` and returns the region
/// and account; any are allowed, since copies go cross-region and cross-account.
fn vault_arn_region(arn: &str) -> Result<(String, String), String> {
    dr_core::arn::Arn::of_service(arn, "backup").map_err(|e| e.to_string())?;
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let (region, account, resource) = (parts[3], parts[4], parts[5]);
    if region.is_empty()
        || !region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(format!("`{region}` is not a region code"));
    }
    if !is_account_id(account) {
        return Err(format!("`{account}` is not a 12-digit account id"));
    }
    match resource.strip_prefix("backup-vault:") {
        Some(name) if is_vault_name(name) => Ok((region.to_owned(), account.to_owned())),
        _ => Err("is not a backup vault ARN (…:backup-vault:<name>)".to_owned()),
    }
}

/// Checks `arn:<partition>:iam::<account>:role/<path and name>`.
fn check_role_arn(arn: &str) -> Result<(), String> {
    dr_core::arn::Arn::of_service(arn, "iam").map_err(|e| e.to_string())?;
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let is_role = parts[3].is_empty()
        && is_account_id(parts[4])
        && parts[5]
            .strip_prefix("role/")
            .is_some_and(|n| !n.is_empty());
    if is_role {
        Ok(())
    } else {
        Err(format!(
            "`{arn}` is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
        ))
    }
}

/// The vault name pattern of the Backup API: 2 to 50 letters, digits, `-` or `_`.
pub fn is_vault_name(s: &str) -> bool {
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
mod tests {
    use super::*;

    const DESTINATIONS: &str = r#"[
        {"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west",
         "moveToColdStorageAfterDays": 30, "deleteAfterDays": 120,
         "optInToArchiveForSupportedResources": true},
        {"vaultArn": "arn:aws:backup:us-east-1:210987654321:backup-vault:dr-isolated",
         "keepForever": true},
        {"vaultArn": "arn:aws:backup:eu-west-1:123456789012:backup-vault:dr-eu"}
    ]"#;
    const ROLE: &str = "arn:aws:iam::123456789012:role/dr-automation-backup-copy";

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut pairs = vec![
            ("BACKUP_SOURCE_VAULTS", "primary"),
            ("BACKUP_DESTINATIONS", DESTINATIONS),
            ("BACKUP_COPY_ROLE_ARN", ROLE),
        ];
        for (k, v) in extra {
            pairs.retain(|(key, _)| key != k);
            pairs.push((k, v));
        }
        pairs
    }

    fn load(pairs: &[(&'static str, &'static str)]) -> Result<BackupConfig, String> {
        BackupConfig::from_env(&Env::from_pairs(pairs.iter().copied())).map_err(|e| e.to_string())
    }

    #[test]
    fn unset_variables_take_their_defaults() {
        let c = load(&with(&[])).unwrap();
        assert_eq!(c.source_vaults, vec!["primary"]);
        assert_eq!(c.copy_role_arn, ROLE);
        assert!(c.resource_types.is_empty() && c.copies_type("EBS"));
        assert_eq!(
            (
                c.sweep_window_hours,
                c.max_attempts,
                c.region_copy_quota,
                c.max_concurrency
            ),
            (24, 3, 100, 10)
        );
        assert_eq!(c.start_rate_per_second, 5.0);
        assert_eq!(c.fanout_horizon_days, 7);
        assert_eq!(c.report_topic_arn, None);
        assert!(c.trigger_topic_arns.is_empty() && !c.dry_run);
    }

    #[test]
    fn destinations_keep_their_own_lifecycle() {
        let c = load(&with(&[])).unwrap();
        assert_eq!(
            c.destinations,
            vec![
                Destination {
                    vault_arn: "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west".into(),
                    region: "us-west-2".into(),
                    account: "123456789012".into(),
                    lifecycle: Some(Lifecycle {
                        move_to_cold_storage_after_days: Some(30),
                        delete_after_days: Some(120),
                        opt_in_to_archive_for_supported_resources: Some(true),
                    }),
                },
                Destination {
                    vault_arn: "arn:aws:backup:us-east-1:210987654321:backup-vault:dr-isolated"
                        .into(),
                    region: "us-east-1".into(),
                    account: "210987654321".into(),
                    lifecycle: Some(Lifecycle {
                        move_to_cold_storage_after_days: None,
                        delete_after_days: Some(KEEP_FOREVER_DAYS),
                        opt_in_to_archive_for_supported_resources: None,
                    }),
                },
                Destination {
                    vault_arn: "arn:aws:backup:eu-west-1:123456789012:backup-vault:dr-eu".into(),
                    region: "eu-west-1".into(),
                    account: "123456789012".into(),
                    lifecycle: None,
                },
            ]
        );
    }

    #[test]
    fn every_variable_is_read() {
        let c = load(&with(&[
            ("BACKUP_SOURCE_VAULTS", "primary, Default,primary"),
            ("BACKUP_RESOURCE_TYPES", "EBS,EC2,RDS"),
            ("BACKUP_SWEEP_WINDOW_HOURS", "48"),
            ("BACKUP_FANOUT_HORIZON_DAYS", "30"),
            ("BACKUP_COPY_MAX_ATTEMPTS", "5"),
            ("BACKUP_REGION_COPY_QUOTA", "50"),
            ("MAX_CONCURRENCY", "4"),
            ("BACKUP_START_RATE_PER_SECOND", "0.5"),
            (
                "REPORT_TOPIC_ARN",
                "arn:aws:sns:us-east-1:123456789012:dr-automation-reports",
            ),
            (
                "TRIGGER_TOPIC_ARNS",
                "arn:aws:sns:us-east-1:123456789012:backup-vault-events",
            ),
            ("DRY_RUN", "true"),
        ]))
        .unwrap();
        assert_eq!(c.source_vaults, vec!["primary", "Default"]);
        assert!(c.copies_type("rds") && !c.copies_type("DynamoDB"));
        assert_eq!(
            (
                c.sweep_window_hours,
                c.max_attempts,
                c.region_copy_quota,
                c.max_concurrency
            ),
            (48, 5, 50, 4)
        );
        assert_eq!(c.start_rate_per_second, 0.5);
        assert_eq!(c.fanout_horizon_days, 30);
        assert!(c.dry_run);
        assert_eq!(c.trigger_topic_arns.len(), 1);
    }

    #[test]
    fn lifecycle_rules_table() {
        use LifecycleError as E;
        // (moveToColdStorageAfterDays, deleteAfterDays, keepForever, optInToArchive..., expected)
        type Case = (
            Option<i64>,
            Option<i64>,
            Option<bool>,
            Option<bool>,
            Result<Lifecycle, LifecycleError>,
        );
        let ok = |cold, delete, archive| {
            Ok(Lifecycle {
                move_to_cold_storage_after_days: cold,
                delete_after_days: delete,
                opt_in_to_archive_for_supported_resources: archive,
            })
        };
        let cases: Vec<Case> = vec![
            (None, None, None, None, ok(None, None, None)),
            (
                Some(30),
                Some(120),
                None,
                None,
                ok(Some(30), Some(120), None),
            ),
            (
                Some(30),
                Some(119),
                None,
                None,
                Err(E::ColdStorageTooShort {
                    cold: 30,
                    delete: 119,
                }),
            ),
            (
                Some(1),
                None,
                None,
                Some(true),
                ok(Some(1), None, Some(true)),
            ),
            (
                None,
                Some(35),
                None,
                Some(false),
                ok(None, Some(35), Some(false)),
            ),
            (
                None,
                None,
                Some(true),
                None,
                ok(None, Some(KEEP_FOREVER_DAYS), None),
            ),
            (
                Some(365),
                None,
                Some(true),
                Some(true),
                ok(Some(365), Some(KEEP_FOREVER_DAYS), Some(true)),
            ),
            (
                Some(36_411),
                None,
                Some(true),
                None,
                Err(E::ColdStorageTooShort {
                    cold: 36_411,
                    delete: KEEP_FOREVER_DAYS,
                }),
            ),
            (None, Some(30), Some(false), None, ok(None, Some(30), None)),
            (
                None,
                Some(365),
                Some(true),
                None,
                Err(E::KeepForeverWithDeleteAfterDays),
            ),
            (
                Some(-1),
                Some(-1),
                None,
                None,
                Err(E::NeverExpireKeepsSourceExpiry),
            ),
            (
                None,
                Some(-1),
                None,
                None,
                Err(E::NeverExpireKeepsSourceExpiry),
            ),
            (
                Some(30),
                Some(-1),
                None,
                None,
                Err(E::NeverExpireKeepsSourceExpiry),
            ),
            (Some(-1), None, None, None, Err(E::NeverColdIsNotForCopies)),
            (
                Some(-1),
                Some(365),
                None,
                None,
                Err(E::NeverColdIsNotForCopies),
            ),
            (
                Some(0),
                None,
                None,
                None,
                Err(E::DaysOutOfRange {
                    field: "moveToColdStorageAfterDays",
                    days: 0,
                }),
            ),
            (
                None,
                Some(-5),
                None,
                None,
                Err(E::DaysOutOfRange {
                    field: "deleteAfterDays",
                    days: -5,
                }),
            ),
            (
                None,
                Some(36_501),
                None,
                None,
                Err(E::DaysOutOfRange {
                    field: "deleteAfterDays",
                    days: 36_501,
                }),
            ),
            (
                Some(i64::MAX),
                Some(i64::MAX),
                None,
                None,
                Err(E::DaysOutOfRange {
                    field: "moveToColdStorageAfterDays",
                    days: i64::MAX,
                }),
            ),
            (
                None,
                Some(100),
                None,
                Some(true),
                Err(E::ArchiveWithoutColdStorage),
            ),
        ];
        for (cold, delete, keep_forever, archive, want) in cases {
            let raw = RawDestination {
                vault_arn: "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west".into(),
                move_to_cold_storage_after_days: cold,
                delete_after_days: delete,
                opt_in_to_archive_for_supported_resources: archive,
                keep_forever,
            };
            assert_eq!(
                lifecycle(&raw),
                want,
                "{cold:?}/{delete:?}/{keep_forever:?}/{archive:?}"
            );
        }
    }

    #[test]
    fn a_configuration_relying_on_minus_one_as_forever_fails_saying_why_and_what_to_write() {
        let destinations = r#"[{"vaultArn": "arn:aws:backup:us-east-1:210987654321:backup-vault:dr-isolated",
                                "moveToColdStorageAfterDays": -1, "deleteAfterDays": -1}]"#;
        let err = load(&with(&[("BACKUP_DESTINATIONS", destinations)])).expect_err("refused");
        assert_eq!(
            err,
            "configuration BACKUP_DESTINATIONS: destination [0] \
             `arn:aws:backup:us-east-1:210987654321:backup-vault:dr-isolated`: deleteAfterDays -1 \
             does not keep copies forever: AWS Backup gives a copy whose DeleteAfterDays is -1 \
             (\"Always\") its source recovery point's expiration date (AWS Backup Developer \
             Guide, \"Backup and tag copy\"), so the copy is deleted with its source; write \
             \"keepForever\": true to keep copies 36500 days (100 years, as the guide advises), \
             or leave deleteAfterDays out to keep the source's retention"
        );
    }

    #[test]
    fn keep_forever_gives_copies_a_hundred_year_retention() {
        let destinations = r#"[{"vaultArn": "arn:aws:backup:us-east-1:210987654321:backup-vault:dr-isolated",
                                "keepForever": true}]"#;
        let c = load(&with(&[("BACKUP_DESTINATIONS", destinations)])).expect("accepted");
        assert_eq!(
            c.destinations[0]
                .lifecycle
                .and_then(|l| l.delete_after_days),
            Some(36_500)
        );
    }

    #[test]
    fn invalid_configurations_fail_with_the_variable_named() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("BACKUP_SOURCE_VAULTS", " ")],
                "configuration BACKUP_SOURCE_VAULTS: is required",
            ),
            (
                &[("BACKUP_SOURCE_VAULTS", "primary,a")],
                "configuration BACKUP_SOURCE_VAULTS: `a` is not a backup vault name",
            ),
            (
                &[("BACKUP_SOURCE_VAULTS", "arn:aws:backup:us-east-1:123456789012:backup-vault:primary")],
                "configuration BACKUP_SOURCE_VAULTS: `arn:aws:backup:us-east-1:123456789012:backup-vault:primary` is not a backup vault name",
            ),
            (
                &[("BACKUP_DESTINATIONS", "")],
                "configuration BACKUP_DESTINATIONS: is required but not set",
            ),
            (
                &[("BACKUP_DESTINATIONS", "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west")],
                "configuration BACKUP_DESTINATIONS: is not a JSON array of",
            ),
            (&[("BACKUP_DESTINATIONS", "[]")], "configuration BACKUP_DESTINATIONS: names no destination vault"),
            (
                &[("BACKUP_DESTINATIONS", r#"[{"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west", "deleteAfter": 30}]"#)],
                "configuration BACKUP_DESTINATIONS: is not a JSON array of",
            ),
            (
                &[("BACKUP_DESTINATIONS", r#"[{"vaultArn": "arn:aws:s3:::bucket"}]"#)],
                "configuration BACKUP_DESTINATIONS: destination [0] `arn:aws:s3:::bucket`: `arn:aws:s3:::bucket` is an ARN of service `s3`",
            ),
            (
                &[("BACKUP_DESTINATIONS", r#"[{"vaultArn": "arn:aws:backup:us-west-2:123456789012:recovery-point:x"}]"#)],
                "configuration BACKUP_DESTINATIONS: destination [0] `arn:aws:backup:us-west-2:123456789012:recovery-point:x`: is not a backup vault ARN",
            ),
            (
                &[("BACKUP_DESTINATIONS", r#"[{"vaultArn": "arn:aws:backup:us-west-2:1234:backup-vault:dr"}]"#)],
                "configuration BACKUP_DESTINATIONS: destination [0] `arn:aws:backup:us-west-2:1234:backup-vault:dr`: `1234` is not a 12-digit account id",
            ),
            (
                &[("BACKUP_DESTINATIONS", r#"[{"vaultArn": "arn:aws:backup::123456789012:backup-vault:dr"}]"#)],
                "configuration BACKUP_DESTINATIONS: destination [0] `arn:aws:backup::123456789012:backup-vault:dr`: `` is not a region code",
            ),
            (
                &[("BACKUP_DESTINATIONS", r#"[{"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west"},
                                             {"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west"}]"#)],
                "configuration BACKUP_DESTINATIONS: destination [1] `arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west`: is listed twice",
            ),
            (
                &[("BACKUP_DESTINATIONS", r#"[{"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west", "moveToColdStorageAfterDays": 30, "deleteAfterDays": 60}]"#)],
                "configuration BACKUP_DESTINATIONS: destination [0] `arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west`: deleteAfterDays (60) must be at least moveToColdStorageAfterDays (30) + 90 = 120: AWS Backup keeps",
            ),
            (
                &[("BACKUP_DESTINATIONS", r#"[{"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west", "deleteAfterDays": -1}]"#)],
                "configuration BACKUP_DESTINATIONS: destination [0] `arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west`: deleteAfterDays -1 does not keep copies forever",
            ),
            (
                &[("BACKUP_DESTINATIONS", r#"[{"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west", "deleteAfterDays": "30"}]"#)],
                "configuration BACKUP_DESTINATIONS: is not a JSON array of",
            ),
            (
                &[("BACKUP_COPY_ROLE_ARN", "")],
                "configuration BACKUP_COPY_ROLE_ARN: is required but not set",
            ),
            (
                &[("BACKUP_COPY_ROLE_ARN", "arn:aws:iam::123456789012:user/backup")],
                "configuration BACKUP_COPY_ROLE_ARN: `arn:aws:iam::123456789012:user/backup` is not an IAM role ARN",
            ),
            (
                &[("BACKUP_COPY_ROLE_ARN", "arn:aws:iam:us-east-1:123456789012:role/x")],
                "configuration BACKUP_COPY_ROLE_ARN: `arn:aws:iam:us-east-1:123456789012:role/x` is not an IAM role ARN",
            ),
            (
                &[("BACKUP_COPY_ROLE_ARN", "arn:aws:sts::123456789012:assumed-role/x/y")],
                "configuration BACKUP_COPY_ROLE_ARN: `arn:aws:sts::123456789012:assumed-role/x/y` is an ARN of service `sts`",
            ),
            (
                &[("BACKUP_RESOURCE_TYPES", "EBS,RDS;DROP")],
                "configuration BACKUP_RESOURCE_TYPES: `RDS;DROP` is not a resource type",
            ),
            (
                &[("BACKUP_FANOUT_HORIZON_DAYS", "31")],
                "configuration BACKUP_FANOUT_HORIZON_DAYS: 31 is out of range",
            ),
            (
                &[("BACKUP_SWEEP_WINDOW_HOURS", "0")],
                "configuration BACKUP_SWEEP_WINDOW_HOURS: 0 is out of range",
            ),
            (
                &[("BACKUP_COPY_MAX_ATTEMPTS", "11")],
                "configuration BACKUP_COPY_MAX_ATTEMPTS: 11 is out of range",
            ),
            (
                &[("BACKUP_START_RATE_PER_SECOND", "fast")],
                "configuration BACKUP_START_RATE_PER_SECOND: `fast` is not a number",
            ),
            (
                &[("BACKUP_START_RATE_PER_SECOND", "0")],
                "configuration BACKUP_START_RATE_PER_SECOND: 0 is out of range",
            ),
            (
                &[("BACKUP_REGION_COPY_QUOTA", "0")],
                "configuration BACKUP_REGION_COPY_QUOTA: 0 is out of range",
            ),
            (
                &[("MAX_CONCURRENCY", "many")],
                "configuration MAX_CONCURRENCY: `many` is not a number",
            ),
            (
                &[("REPORT_TOPIC_ARN", "reports")],
                "configuration REPORT_TOPIC_ARN: `reports` is not an ARN",
            ),
            (
                &[("TRIGGER_TOPIC_ARNS", "arn:aws:sqs:us-east-1:123456789012:q")],
                "configuration TRIGGER_TOPIC_ARNS: `arn:aws:sqs:us-east-1:123456789012:q` is an ARN of service `sqs`",
            ),
            (&[("DRY_RUN", "yes")], "configuration DRY_RUN: `yes` is not a boolean"),
        ];
        for (extra, want) in cases {
            let pairs = with(extra);
            match load(&pairs) {
                Err(e) => assert!(
                    e.starts_with(want),
                    "{extra:?}: got `{e}`, want `{want}...`"
                ),
                Ok(_) => panic!("{extra:?}: accepted, want `{want}`"),
            }
        }
    }
}
