//! The function's configuration, read from environment variables once at cold start.

use dr_core::config::{check_arn, is_account_id, ConfigError, Env};
use serde::Deserialize;

/// AWS Backup requires a recovery point to stay in cold storage at least this many days, so
/// `DeleteAfterDays` must be at least `MoveToColdStorageAfterDays` plus this.
pub const MIN_COLD_STORAGE_DAYS: i64 = 90;

/// The value that, given for both lifecycle days, keeps recovery points forever.
pub const KEEP_FOREVER: i64 = -1;

/// The AWS Backup quota of concurrent copy jobs per destination region.
pub const DEFAULT_REGION_COPY_QUOTA: usize = 100;

/// The lifecycle a copy gets in its destination vault, as `StartCopyJob` takes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// Days after creation before the copy moves to cold storage (-1: never, with delete -1).
    pub move_to_cold_storage_after_days: Option<i64>,
    /// Days after creation before the copy is deleted (-1: never, with cold -1).
    pub delete_after_days: Option<i64>,
    /// Move supported resources to the archive tier along with the cold storage transition.
    pub opt_in_to_archive_for_supported_resources: Option<bool>,
}

/// A vault every recovery point is copied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// `arn:<partition>:backup:<region>:<account>:backup-vault:<name>`.
    pub vault_arn: String,
    /// The vault's region, for the per-region copy quota.
    pub region: String,
    /// The copy's lifecycle; none leaves it to AWS Backup's default.
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
            report_topic_arn: env.arn("REPORT_TOPIC_ARN", "sns")?,
            trigger_topic_arns: env.arn_list("TRIGGER_TOPIC_ARNS", "sns")?,
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
}

fn parse_destinations(json: &str) -> Result<Vec<Destination>, String> {
    let raw: Vec<RawDestination> = serde_json::from_str(json).map_err(|e| {
        format!(
            "is not a JSON array of {{\"vaultArn\", \"moveToColdStorageAfterDays\"?, \
             \"deleteAfterDays\"?, \"optInToArchiveForSupportedResources\"?}}: {e}"
        )
    })?;
    if raw.is_empty() {
        return Err("names no destination vault".to_owned());
    }
    let mut out: Vec<Destination> = Vec::with_capacity(raw.len());
    for (i, d) in raw.into_iter().enumerate() {
        let at = |problem: String| format!("destination [{i}] `{}`: {problem}", d.vault_arn);
        let region = vault_arn_region(&d.vault_arn).map_err(at)?;
        if out.iter().any(|seen| seen.vault_arn == d.vault_arn) {
            return Err(at("is listed twice".to_owned()));
        }
        let lifecycle = Lifecycle {
            move_to_cold_storage_after_days: d.move_to_cold_storage_after_days,
            delete_after_days: d.delete_after_days,
            opt_in_to_archive_for_supported_resources: d.opt_in_to_archive_for_supported_resources,
        };
        check_lifecycle(&lifecycle).map_err(at)?;
        out.push(Destination {
            region,
            lifecycle: (lifecycle != Lifecycle::default()).then_some(lifecycle),
            vault_arn: d.vault_arn,
        });
    }
    Ok(out)
}

/// The rules `StartCopyJob` applies to a lifecycle, checked before any copy is attempted.
fn check_lifecycle(l: &Lifecycle) -> Result<(), String> {
    let cold = l.move_to_cold_storage_after_days;
    let delete = l.delete_after_days;
    for (name, days) in [
        ("moveToColdStorageAfterDays", cold),
        ("deleteAfterDays", delete),
    ] {
        if let Some(d) = days.filter(|d| *d == 0 || *d < KEEP_FOREVER) {
            return Err(format!(
                "{name} is {d}; give a positive number of days, or -1 for both days to keep forever"
            ));
        }
    }
    let archive = l.opt_in_to_archive_for_supported_resources == Some(true);
    match (cold, delete) {
        (Some(KEEP_FOREVER), Some(KEEP_FOREVER)) if archive => Err(
            "optInToArchiveForSupportedResources is true, but -1/-1 keeps copies in warm \
             storage forever"
                .to_owned(),
        ),
        (Some(KEEP_FOREVER), Some(KEEP_FOREVER)) => Ok(()),
        (Some(KEEP_FOREVER), _) | (_, Some(KEEP_FOREVER)) => Err(
            "-1 (keep forever) must be given for both moveToColdStorageAfterDays and \
             deleteAfterDays"
                .to_owned(),
        ),
        (Some(c), Some(d)) if d < c.saturating_add(MIN_COLD_STORAGE_DAYS) => Err(format!(
            "deleteAfterDays ({d}) must be at least moveToColdStorageAfterDays ({c}) + \
             {MIN_COLD_STORAGE_DAYS} = {}",
            c.saturating_add(MIN_COLD_STORAGE_DAYS)
        )),
        (None, _) if archive => Err(
            "optInToArchiveForSupportedResources is true but moveToColdStorageAfterDays is not set"
                .to_owned(),
        ),
        _ => Ok(()),
    }
}

/// Checks `arn:<partition>:backup:<region>:<account>:backup-vault:<name>` and returns the region;
/// any region and account are allowed, since copies go cross-region and cross-account.
fn vault_arn_region(arn: &str) -> Result<String, String> {
    check_arn(arn, "backup")?;
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
        Some(name) if is_vault_name(name) => Ok(region.to_owned()),
        _ => Err("is not a backup vault ARN (…:backup-vault:<name>)".to_owned()),
    }
}

/// Checks `arn:<partition>:iam::<account>:role/<path and name>`.
fn check_role_arn(arn: &str) -> Result<(), String> {
    check_arn(arn, "iam")?;
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
         "moveToColdStorageAfterDays": -1, "deleteAfterDays": -1},
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
    fn defaults() {
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
                    lifecycle: Some(Lifecycle {
                        move_to_cold_storage_after_days: Some(-1),
                        delete_after_days: Some(-1),
                        opt_in_to_archive_for_supported_resources: None,
                    }),
                },
                Destination {
                    vault_arn: "arn:aws:backup:eu-west-1:123456789012:backup-vault:dr-eu".into(),
                    region: "eu-west-1".into(),
                    lifecycle: None,
                },
            ]
        );
    }

    #[test]
    fn full_configuration() {
        let c = load(&with(&[
            ("BACKUP_SOURCE_VAULTS", "primary, Default,primary"),
            ("BACKUP_RESOURCE_TYPES", "EBS,EC2,RDS"),
            ("BACKUP_SWEEP_WINDOW_HOURS", "48"),
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
        assert!(c.dry_run);
        assert_eq!(c.trigger_topic_arns.len(), 1);
    }

    #[test]
    fn lifecycle_rules_table() {
        // (moveToColdStorageAfterDays, deleteAfterDays, optInToArchive..., expected error prefix)
        type Case = (
            Option<i64>,
            Option<i64>,
            Option<bool>,
            Result<(), &'static str>,
        );
        let cases: &[Case] = &[
            (None, None, None, Ok(())),
            (Some(30), Some(120), None, Ok(())),
            (Some(30), Some(119), None, Err("deleteAfterDays (119) must be at least moveToColdStorageAfterDays (30) + 90 = 120")),
            (Some(1), None, Some(true), Ok(())),
            (None, Some(35), None, Ok(())),
            (None, Some(35), Some(false), Ok(())),
            (Some(-1), Some(-1), None, Ok(())),
            (Some(-1), Some(-1), Some(false), Ok(())),
            (Some(-1), Some(-1), Some(true), Err("optInToArchiveForSupportedResources is true, but -1/-1")),
            (Some(-1), None, None, Err("-1 (keep forever) must be given for both")),
            (Some(-1), Some(365), None, Err("-1 (keep forever) must be given for both")),
            (Some(30), Some(-1), None, Err("-1 (keep forever) must be given for both")),
            (Some(0), None, None, Err("moveToColdStorageAfterDays is 0")),
            (None, Some(-5), None, Err("deleteAfterDays is -5")),
            (None, Some(100), Some(true), Err("optInToArchiveForSupportedResources is true but moveToColdStorageAfterDays is not set")),
            (Some(i64::MAX), Some(i64::MAX), None, Ok(())),
        ];
        for (cold, delete, archive, want) in cases {
            let got = check_lifecycle(&Lifecycle {
                move_to_cold_storage_after_days: *cold,
                delete_after_days: *delete,
                opt_in_to_archive_for_supported_resources: *archive,
            });
            match (got, want) {
                (Ok(()), Ok(())) => {}
                (Err(e), Err(w)) => assert!(e.starts_with(w), "{cold:?}/{delete:?}: `{e}`"),
                (got, want) => {
                    panic!("{cold:?}/{delete:?}/{archive:?}: got {got:?}, want {want:?}")
                }
            }
        }
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
                "configuration BACKUP_DESTINATIONS: destination [0] `arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west`: deleteAfterDays (60) must be at least moveToColdStorageAfterDays (30) + 90 = 120",
            ),
            (
                &[("BACKUP_DESTINATIONS", r#"[{"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west", "deleteAfterDays": -1}]"#)],
                "configuration BACKUP_DESTINATIONS: destination [0] `arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west`: -1 (keep forever) must be given for both",
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
