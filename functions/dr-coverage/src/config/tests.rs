//! Reading and validating the configuration.

use super::*;

const DESTINATIONS: &str = r#"[{"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west", "deleteAfterDays": 120},
 {"vaultArn": "arn:aws:backup:us-east-2:210987654321:backup-vault:dr-copy-isolated", "keepForever": true}]"#;

fn read(pairs: &[(&str, &str)]) -> Result<CoverageConfig, ConfigError> {
    CoverageConfig::from_env(&Env::from_pairs(pairs.iter().copied()))
}

fn refused(pairs: &[(&str, &str)]) -> String {
    read(pairs).expect_err("refused").to_string()
}

#[test]
fn every_service_reads_the_variables_of_the_functions_it_covers() {
    let config = read(&[
        ("COVERAGE_SERVICES", "backup, drs, MGN"),
        ("BACKUP_SOURCE_VAULTS", "dr-primary"),
        ("BACKUP_DESTINATIONS", DESTINATIONS),
        ("BACKUP_RESOURCE_TYPES", "EBS,RDS"),
        ("DRS_TAGS", "Env=prod"),
        ("DRS_MAX_LAG", "30m"),
        ("DRS_DRILL_EVERY", "7d"),
        ("COVERAGE_WINDOW_DAYS", "14"),
        ("COVERAGE_COPY_GRACE", "2h"),
    ])
    .expect("valid");
    let backup = config.backup.expect("backup");
    assert_eq!(backup.source_vaults, ["dr-primary"]);
    assert_eq!(backup.destinations.len(), 2);
    assert_eq!(backup.resource_types, ["EBS", "RDS"]);
    let drs = config.drs.expect("drs");
    assert_eq!((drs.max_lag, drs.drill_every), (1_800, Some(7 * 86_400)));
    assert!(config.mgn);
    assert_eq!((config.window_days, config.copy_grace), (14, 7_200));
}

#[test]
fn the_defaults_are_a_week_an_hour_and_fifteen_minutes() {
    let config = read(&[("COVERAGE_SERVICES", "drs"), ("DRS_SELECT_ALL", "true")]).expect("valid");
    assert_eq!((config.window_days, config.copy_grace), (7, 3_600));
    let drs = config.drs.expect("drs");
    assert_eq!((drs.max_lag, drs.drill_every), (900, None));
    assert!(config.backup.is_none() && !config.mgn);
}

#[test]
fn a_service_not_named_reads_none_of_its_variables() {
    let config = read(&[
        ("COVERAGE_SERVICES", "mgn"),
        ("BACKUP_DESTINATIONS", "not json"),
    ])
    .expect("valid");
    assert!(config.backup.is_none() && config.drs.is_none() && config.mgn);
}

#[test]
fn bad_values_are_refused_naming_the_variable() {
    let backup = [
        ("COVERAGE_SERVICES", "backup"),
        ("BACKUP_SOURCE_VAULTS", "dr-primary"),
    ];
    let with = |more: &[(&'static str, &'static str)]| {
        let mut all: Vec<(&str, &str)> = backup.to_vec();
        all.extend_from_slice(more);
        refused(&all)
    };
    let cases: [(&str, String); 9] = [
        ("COVERAGE_SERVICES", refused(&[])),
        (
            "COVERAGE_SERVICES",
            refused(&[("COVERAGE_SERVICES", "backup,sms")]),
        ),
        (
            "BACKUP_SOURCE_VAULTS",
            refused(&[("COVERAGE_SERVICES", "backup")]),
        ),
        ("BACKUP_DESTINATIONS", with(&[])),
        (
            "BACKUP_DESTINATIONS",
            with(&[("BACKUP_DESTINATIONS", "[]")]),
        ),
        (
            "BACKUP_DESTINATIONS",
            with(&[(
                "BACKUP_DESTINATIONS",
                r#"[{"vaultArn": "arn:aws:backup:us-west-2:123456789012:vault:x"}]"#,
            )]),
        ),
        (
            "COVERAGE_WINDOW_DAYS",
            with(&[
                ("BACKUP_DESTINATIONS", DESTINATIONS),
                ("COVERAGE_WINDOW_DAYS", "31"),
            ]),
        ),
        (
            "COVERAGE_COPY_GRACE",
            with(&[
                ("BACKUP_DESTINATIONS", DESTINATIONS),
                ("COVERAGE_COPY_GRACE", "soon"),
            ]),
        ),
        ("DRS_SELECT_ALL", refused(&[("COVERAGE_SERVICES", "drs")])),
    ];
    for (var, message) in cases {
        assert!(message.contains(var), "{var}: {message}");
    }
}

#[test]
fn a_destination_the_fan_out_refuses_is_refused_at_cold_start_too() {
    let message = refused(&[
        ("COVERAGE_SERVICES", "backup"),
        ("BACKUP_SOURCE_VAULTS", "dr-primary"),
        (
            "BACKUP_DESTINATIONS",
            r#"[{"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west", "deleteAfterDays": -1}]"#,
        ),
    ]);
    assert!(
        message.contains("deleteAfterDays -1 does not keep copies forever"),
        "{message}"
    );
}

#[test]
fn the_window_starts_its_days_before_now() {
    let config =
        read(&[("COVERAGE_SERVICES", "mgn"), ("COVERAGE_WINDOW_DAYS", "2")]).expect("valid");
    assert_eq!(config.window_start(1_000_000), 1_000_000 - 2 * 86_400);
}
