use super::*;

const DESTINATIONS: &str = r#"[
    {"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west",
     "moveToColdStorageAfterDays": 30, "deleteAfterDays": 120,
     "optInToArchiveForSupportedResources": true},
    {"vaultArn": "arn:aws:backup:us-east-1:210987654321:backup-vault:dr-isolated",
     "keepForever": true},
    {"vaultArn": "arn:aws:backup:eu-west-1:123456789012:backup-vault:dr-eu"}
]"#;
const WEST: &str = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west";

fn arn(text: &str) -> Arn {
    Arn::parse(text).expect("a valid ARN")
}

fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut pairs = vec![
        ("BACKUP_SOURCE_VAULTS", "primary"),
        ("BACKUP_DESTINATIONS", DESTINATIONS),
    ];
    for (k, v) in extra {
        pairs.retain(|(key, _)| key != k);
        pairs.push((k, v));
    }
    pairs
}

fn load(pairs: &[(&str, &str)]) -> Result<CopyFanout, String> {
    CopyFanout::from_env(&Env::from_pairs(pairs.iter().copied())).map_err(|e| e.to_string())
}

/// Asserts that `var` set to `value` fails the cold start with a message that starts `want`.
fn refused(var: &str, value: &str, want: &str) {
    match load(&with(&[(var, value)])) {
        Err(e) => assert!(
            e.starts_with(want),
            "{var}={value}: got `{e}`, want `{want}...`"
        ),
        Ok(_) => panic!("{var}={value}: accepted, want `{want}`"),
    }
}

/// Asserts that `BACKUP_DESTINATIONS` set to `[{vaultArn: <arn>, ...}]` is refused with the
/// reason `want` after the destination's name.
fn destination_refused(arn: &str, extra: &str, want: &str) {
    refused(
        "BACKUP_DESTINATIONS",
        &format!(r#"[{{"vaultArn": "{arn}"{extra}}}]"#),
        &format!("configuration BACKUP_DESTINATIONS: destination [0] `{arn}`: {want}"),
    );
}

#[test]
fn destinations_keep_their_own_lifecycle() {
    let c = load(&with(&[])).unwrap();
    let lifecycle = |cold, delete, archive| Lifecycle {
        move_to_cold_storage_after_days: cold,
        delete_after_days: delete,
        opt_in_to_archive_for_supported_resources: archive,
    };
    assert_eq!(
        c.destinations,
        vec![
            Destination {
                vault_arn: arn(WEST),
                lifecycle: Some(lifecycle(Some(30), Some(120), Some(true))),
            },
            Destination {
                vault_arn: arn("arn:aws:backup:us-east-1:210987654321:backup-vault:dr-isolated"),
                lifecycle: Some(lifecycle(None, Some(KEEP_FOREVER_DAYS), None)),
            },
            Destination {
                vault_arn: arn("arn:aws:backup:eu-west-1:123456789012:backup-vault:dr-eu"),
                lifecycle: None,
            },
        ]
    );
}

#[test]
fn a_destination_names_its_region_and_account_from_its_arn() {
    let c = load(&with(&[])).unwrap();
    let parts: Vec<(&str, &str)> = c
        .destinations
        .iter()
        .map(|d| (d.region(), d.account()))
        .collect();
    assert_eq!(
        parts,
        [
            ("us-west-2", "123456789012"),
            ("us-east-1", "210987654321"),
            ("eu-west-1", "123456789012")
        ]
    );
}

#[test]
fn the_allowlist_refuses_other_vaults_naming_them() {
    let c = load(&with(&[])).unwrap();
    assert_eq!(c.outside_allowlist("primary"), None);
    assert_eq!(
        c.outside_allowlist("scratch").as_deref(),
        Some("source vault `scratch` is not in BACKUP_SOURCE_VAULTS")
    );
}

/// `lifecycle` of a destination written with these members.
fn lifecycle_of(
    cold: Option<i64>,
    delete: Option<i64>,
    keep_forever: Option<bool>,
    archive: Option<bool>,
) -> Result<Lifecycle, LifecycleError> {
    lifecycle(&RawDestination {
        vault_arn: WEST.into(),
        move_to_cold_storage_after_days: cold,
        delete_after_days: delete,
        opt_in_to_archive_for_supported_resources: archive,
        keep_forever,
    })
}

fn kept(cold: Option<i64>, delete: Option<i64>, archive: Option<bool>) -> Lifecycle {
    Lifecycle {
        move_to_cold_storage_after_days: cold,
        delete_after_days: delete,
        opt_in_to_archive_for_supported_resources: archive,
    }
}

#[test]
fn a_lifecycle_within_the_rules_is_kept_as_written() {
    let rows = [
        ((None, None, None, None), kept(None, None, None)),
        (
            (Some(30), Some(120), None, None),
            kept(Some(30), Some(120), None),
        ),
        (
            (Some(1), None, None, Some(true)),
            kept(Some(1), None, Some(true)),
        ),
        (
            (None, Some(35), None, Some(false)),
            kept(None, Some(35), Some(false)),
        ),
        (
            (None, Some(30), Some(false), None),
            kept(None, Some(30), None),
        ),
    ];
    for ((cold, delete, keep, archive), want) in rows {
        assert_eq!(lifecycle_of(cold, delete, keep, archive), Ok(want));
    }
}

#[test]
fn keep_forever_means_a_hundred_years_within_the_cold_storage_rule() {
    let forever = Some(KEEP_FOREVER_DAYS);
    assert_eq!(
        lifecycle_of(None, None, Some(true), None),
        Ok(kept(None, forever, None))
    );
    assert_eq!(
        lifecycle_of(Some(365), None, Some(true), Some(true)),
        Ok(kept(Some(365), forever, Some(true)))
    );
    assert_eq!(
        lifecycle_of(Some(36_411), None, Some(true), None),
        Err(LifecycleError::ColdStorageTooShort {
            cold: 36_411,
            delete: KEEP_FOREVER_DAYS
        })
    );
    assert_eq!(
        lifecycle_of(None, Some(365), Some(true), None),
        Err(LifecycleError::KeepForeverWithDeleteAfterDays)
    );
}

#[test]
fn deletion_comes_at_least_ninety_days_after_the_cold_storage_move() {
    assert_eq!(
        lifecycle_of(Some(30), Some(119), None, None),
        Err(LifecycleError::ColdStorageTooShort {
            cold: 30,
            delete: 119
        })
    );
}

#[test]
fn minus_one_is_refused_because_a_copy_keeps_its_source_expiry() {
    use LifecycleError::{
        NeverColdIsNotForCopies as NeverCold, NeverExpireKeepsSourceExpiry as NeverExpire,
    };
    let rows = [
        (Some(-1), Some(-1), NeverExpire),
        (None, Some(-1), NeverExpire),
        (Some(30), Some(-1), NeverExpire),
        (Some(-1), None, NeverCold),
        (Some(-1), Some(365), NeverCold),
    ];
    for (cold, delete, want) in rows {
        assert_eq!(
            lifecycle_of(cold, delete, None, None),
            Err(want),
            "{cold:?}/{delete:?}"
        );
    }
}

#[test]
fn days_outside_one_to_a_hundred_years_are_refused_naming_the_member() {
    let out = |field, days| Err(LifecycleError::DaysOutOfRange { field, days });
    let cold = "moveToColdStorageAfterDays";
    let delete = "deleteAfterDays";
    assert_eq!(lifecycle_of(Some(0), None, None, None), out(cold, 0));
    assert_eq!(lifecycle_of(None, Some(-5), None, None), out(delete, -5));
    assert_eq!(
        lifecycle_of(None, Some(36_501), None, None),
        out(delete, 36_501)
    );
    assert_eq!(
        lifecycle_of(Some(i64::MAX), Some(i64::MAX), None, None),
        out(cold, i64::MAX)
    );
}

#[test]
fn archiving_needs_the_cold_storage_move_it_happens_with() {
    assert_eq!(
        lifecycle_of(None, Some(100), None, Some(true)),
        Err(LifecycleError::ArchiveWithoutColdStorage)
    );
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
fn source_vaults_are_required_and_named_as_vaults() {
    let var = "BACKUP_SOURCE_VAULTS";
    refused(var, " ", "configuration BACKUP_SOURCE_VAULTS: is required");
    refused(
        var,
        "primary,a",
        "configuration BACKUP_SOURCE_VAULTS: `a` is not a backup vault name",
    );
    refused(
        var,
        "arn:aws:backup:us-east-1:123456789012:backup-vault:primary",
        "configuration BACKUP_SOURCE_VAULTS: `arn:aws:backup:us-east-1:123456789012:backup-vault:primary` is not a backup vault name",
    );
}

#[test]
fn destinations_are_a_required_non_empty_json_array_of_known_members() {
    let var = "BACKUP_DESTINATIONS";
    let not_json = "configuration BACKUP_DESTINATIONS: is not a JSON array of";
    refused(
        var,
        "",
        "configuration BACKUP_DESTINATIONS: is required: the JSON array",
    );
    refused(var, WEST, not_json);
    refused(
        var,
        "[]",
        "configuration BACKUP_DESTINATIONS: names no destination vault",
    );
    refused(
        var,
        r#"[{"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west", "deleteAfter": 30}]"#,
        not_json,
    );
    refused(
        var,
        r#"[{"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west", "deleteAfterDays": "30"}]"#,
        not_json,
    );
}

#[test]
fn a_destination_that_is_not_a_backup_vault_arn_is_refused_naming_it() {
    let s3 = "arn:aws:s3:::bucket";
    destination_refused(s3, "", "`arn:aws:s3:::bucket` is an ARN of service `s3`");
    let point = "arn:aws:backup:us-west-2:123456789012:recovery-point:x";
    destination_refused(point, "", "is not a backup vault ARN");
    let short_account = "arn:aws:backup:us-west-2:1234:backup-vault:dr";
    destination_refused(short_account, "", "`1234` is not a 12-digit account id");
    let no_region = "arn:aws:backup::123456789012:backup-vault:dr";
    destination_refused(no_region, "", "`` is not a region code");
}

#[test]
fn a_destination_listed_twice_is_refused() {
    let twice = r#"[{"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west"},
                    {"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west"}]"#;
    refused(
        "BACKUP_DESTINATIONS",
        twice,
        "configuration BACKUP_DESTINATIONS: destination [1] `arn:aws:backup:us-west-2:123456789012:backup-vault:dr-west`: is listed twice",
    );
}

#[test]
fn a_destination_lifecycle_is_checked_at_cold_start() {
    destination_refused(
        WEST,
        r#", "moveToColdStorageAfterDays": 30, "deleteAfterDays": 60"#,
        "deleteAfterDays (60) must be at least moveToColdStorageAfterDays (30) + 90 = 120: AWS Backup keeps",
    );
    destination_refused(
        WEST,
        r#", "deleteAfterDays": -1"#,
        "deleteAfterDays -1 does not keep copies forever",
    );
}

#[test]
fn resource_types_are_matched_ignoring_case_and_checked_at_cold_start() {
    let c = load(&with(&[("BACKUP_RESOURCE_TYPES", "EBS,EC2,RDS")])).unwrap();
    assert!(c.copies_type("rds") && !c.copies_type("DynamoDB"));
    assert!(load(&with(&[])).unwrap().copies_type("DynamoDB"));
    refused(
        "BACKUP_RESOURCE_TYPES",
        "EBS,RDS;DROP",
        "configuration BACKUP_RESOURCE_TYPES: `RDS;DROP` is not a resource type",
    );
}

#[test]
fn source_vaults_are_read_once_each_in_order() {
    let c = load(&with(&[(
        "BACKUP_SOURCE_VAULTS",
        "primary, Default,primary",
    )]))
    .unwrap();
    assert_eq!(c.source_vaults, vec!["primary", "Default"]);
}

#[test]
fn the_copy_target_names_the_point_and_the_destination() {
    assert_eq!(copy_target("arn:rp", WEST), format!("arn:rp -> {WEST}"));
}

#[test]
fn a_resource_type_outside_the_list_or_unknown_while_it_names_types_is_not_copied() {
    let all = load(&with(&[])).unwrap();
    assert_eq!(all.outside_resource_types(None), None);
    assert_eq!(all.outside_resource_types(Some("DynamoDB")), None);
    let some = load(&with(&[("BACKUP_RESOURCE_TYPES", "EBS,RDS")])).unwrap();
    assert_eq!(some.outside_resource_types(Some("ebs")), None);
    assert_eq!(
        some.outside_resource_types(Some("EC2")).as_deref(),
        Some("resource type EC2 is not in BACKUP_RESOURCE_TYPES")
    );
    assert_eq!(
        some.outside_resource_types(None).as_deref(),
        Some("resource type unknown, and BACKUP_RESOURCE_TYPES names the types copied")
    );
}
