use super::*;

const DESTINATIONS: &str =
    r#"[{"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west"}]"#;
const ROLE: &str = "arn:aws:iam::123456789012:role/dr-automation-backup-copy";

fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
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

fn load(pairs: &[(&str, &str)]) -> Result<BackupConfig, String> {
    BackupConfig::from_env(&Env::from_pairs(pairs.iter().copied())).map_err(|e| e.to_string())
}

/// Asserts that `var` set to `value` fails the cold start with a message that starts `want`.
fn refused(var: &str, value: &str, want: &str) {
    let got = load(&with(&[(var, value)])).expect_err(want);
    assert!(got.starts_with(want), "{var}={value}: got `{got}`");
}

#[test]
fn unset_variables_take_their_defaults() {
    let c = load(&with(&[])).unwrap();
    assert_eq!(c.vaults.source_vaults, vec!["primary"]);
    assert_eq!(c.copy_role_arn, *ROLE);
    assert!(c.vaults.resource_types.is_empty());
    assert_eq!(
        (c.sweep_window_hours, c.max_attempts, c.region_copy_quota),
        (24, 3, 100)
    );
    assert_eq!(c.start_rate_per_second, 5.0);
    assert_eq!(c.fanout_horizon_days, 7);
    assert_eq!(c.settings, Settings::default());
}

#[test]
fn every_variable_of_the_function_is_read() {
    let c = load(&with(&[
        ("BACKUP_SOURCE_VAULTS", "primary, Default,primary"),
        ("BACKUP_RESOURCE_TYPES", "EBS,EC2,RDS"),
        ("BACKUP_SWEEP_WINDOW_HOURS", "48"),
        ("BACKUP_FANOUT_HORIZON_DAYS", "30"),
        ("BACKUP_COPY_MAX_ATTEMPTS", "5"),
        ("BACKUP_REGION_COPY_QUOTA", "50"),
        ("BACKUP_START_RATE_PER_SECOND", "0.5"),
    ]))
    .unwrap();
    assert_eq!(c.vaults.source_vaults, vec!["primary", "Default"]);
    assert!(c.vaults.copies_type("rds") && !c.vaults.copies_type("DynamoDB"));
    assert_eq!(
        (c.sweep_window_hours, c.max_attempts, c.region_copy_quota),
        (48, 5, 50)
    );
    assert_eq!(c.start_rate_per_second, 0.5);
    assert_eq!(c.fanout_horizon_days, 30);
}

#[test]
fn the_shared_settings_are_read_into_the_configuration() {
    let c = load(&with(&[("MAX_CONCURRENCY", "4"), ("DRY_RUN", "true")])).unwrap();
    assert_eq!((c.settings.max_concurrency, c.settings.dry_run), (4, true));
    refused(
        "MAX_CONCURRENCY",
        "many",
        "configuration MAX_CONCURRENCY: `many` is not a number",
    );
}

#[test]
fn the_copy_role_is_a_required_iam_role_arn() {
    let var = "BACKUP_COPY_ROLE_ARN";
    refused(
        var,
        "",
        "configuration BACKUP_COPY_ROLE_ARN: is required but not set",
    );
    for not_a_role in [
        "arn:aws:iam::123456789012:user/backup",
        "arn:aws:iam:us-east-1:123456789012:role/x",
    ] {
        let want =
            format!("configuration BACKUP_COPY_ROLE_ARN: `{not_a_role}` is not an IAM role ARN");
        refused(var, not_a_role, &want);
    }
    refused(
        var,
        "arn:aws:sts::123456789012:assumed-role/x/y",
        "configuration BACKUP_COPY_ROLE_ARN: `arn:aws:sts::123456789012:assumed-role/x/y` is an ARN of service `sts`",
    );
}

#[test]
fn numbers_out_of_their_range_are_refused() {
    let rows = [
        ("BACKUP_FANOUT_HORIZON_DAYS", "31", "31 is out of range"),
        ("BACKUP_SWEEP_WINDOW_HOURS", "0", "0 is out of range"),
        ("BACKUP_COPY_MAX_ATTEMPTS", "11", "11 is out of range"),
        (
            "BACKUP_START_RATE_PER_SECOND",
            "fast",
            "`fast` is not a number",
        ),
        ("BACKUP_START_RATE_PER_SECOND", "0", "0 is out of range"),
        ("BACKUP_REGION_COPY_QUOTA", "0", "0 is out of range"),
    ];
    for (var, value, reason) in rows {
        refused(var, value, &format!("configuration {var}: {reason}"));
    }
}

#[test]
fn the_copy_role_of_another_fleet_account_has_the_same_name_there() {
    let config = crate::testing::config();
    assert_eq!(config.copy_role_in(None).as_str(), ROLE);
    assert_eq!(config.copy_role_in(Some("123456789012")).as_str(), ROLE);
    assert_eq!(
        config.copy_role_in(Some("234567890123")).as_str(),
        "arn:aws:iam::234567890123:role/dr-automation-backup-copy"
    );
}
