use super::*;

fn load(pairs: &[(&str, &str)]) -> Result<RecoveryConfig, String> {
    RecoveryConfig::from_env(&Env::from_pairs(pairs.iter().copied())).map_err(|e| e.to_string())
}

#[test]
fn defaults_drill_safely_and_never_recover() {
    let c = load(&[("DRS_TAGS", "Env=prod")]).unwrap();
    assert_eq!(
        c.drill,
        DrillPolicy {
            snapshot: SnapshotChoice::OnDemand,
            ttl: 8 * 3_600,
            max_lag: 15 * 60,
            every: None,
            plan: None,
        }
    );
    assert!(!c.recovery.enabled);
    assert_eq!(c.recovery.max_servers, 0);
    assert_eq!((c.launch_guard, c.follow_up), (3_600, 86_400));
    assert_eq!((c.rto, c.rpo), (None, None));
    assert_eq!(c.quotas, DRS_QUOTAS);
}

#[test]
fn every_variable_is_read() {
    let c = load(&[
        ("DRS_SELECT_ALL", "true"),
        ("DRS_DRILL_SNAPSHOT", "latest"),
        ("DRS_DRILL_TTL", "2h"),
        ("DRS_DRILL_EVERY", "7d"),
        (
            "DRS_DRILL_PLAN_ARN",
            "arn:aws:drs:us-east-1:123456789012:recovery-plan/rp-prod-core",
        ),
        ("DRS_MAX_LAG", "5m"),
        ("DRS_RECOVERY_ENABLED", "true"),
        ("DRS_RECOVERY_MAX_SERVERS", "12"),
        ("DRS_RECOVERY_SNAPSHOT", "2025-12-01T11:00:00Z"),
        ("DRS_RECOVERY_MAX_LAG", "30m"),
        ("DRS_LAUNCH_GUARD", "20m"),
        ("DRS_FOLLOW_UP", "2d"),
        ("DRS_RTO", "1h"),
        ("DRS_RPO", "15m"),
        ("DRS_JOB_SERVERS", "50"),
        ("DRS_MAX_ACTIVE_JOBS", "10"),
        ("DRS_MAX_ACTIVE_SERVERS", "300"),
    ])
    .unwrap();
    assert_eq!(c.drill.snapshot, SnapshotChoice::Latest);
    assert_eq!(
        (c.drill.ttl, c.drill.max_lag, c.drill.every),
        (7_200, 300, Some(604_800))
    );
    assert_eq!(
        c.drill.plan.as_ref().map(|a| a.resource()),
        Some("recovery-plan/rp-prod-core")
    );
    assert_eq!(
        c.recovery,
        RecoveryPolicy {
            enabled: true,
            max_servers: 12,
            snapshot: SnapshotChoice::AtOrBefore(1_764_586_800),
            max_lag: 1_800,
        }
    );
    assert_eq!((c.launch_guard, c.follow_up), (1_200, 172_800));
    assert_eq!((c.rto, c.rpo), (Some(3_600), Some(900)));
    assert_eq!(
        c.quotas,
        JobQuotas {
            servers_per_job: 50,
            active_jobs: 10,
            active_servers: 300,
        }
    );
}

#[test]
fn snapshot_choices_parse_from_their_four_forms() {
    let cases = [
        (None, Ok(SnapshotChoice::OnDemand)),
        (Some("on-demand"), Ok(SnapshotChoice::OnDemand)),
        (Some("latest"), Ok(SnapshotChoice::Latest)),
        (Some("2h"), Ok(SnapshotChoice::OlderThan(7_200))),
        (
            Some("2025-12-01T12:00:00+01:00"),
            Ok(SnapshotChoice::AtOrBefore(1_764_586_800)),
        ),
        (
            Some("yesterday"),
            Err(
                "configuration DRS_DRILL_SNAPSHOT: `yesterday` is neither on-demand, latest, a \
                 duration (such as 2h) nor an RFC 3339 time"
                    .to_owned(),
            ),
        ),
    ];
    for (raw, want) in cases {
        let got = SnapshotChoice::parse("DRS_DRILL_SNAPSHOT", raw).map_err(|e| e.to_string());
        assert_eq!(got, want, "{raw:?}");
    }
}

#[test]
fn each_snapshot_choice_cuts_the_snapshots_at_its_own_time() {
    let now = 1_000_000;
    assert_eq!(SnapshotChoice::OnDemand.newest_at_or_before(now), None);
    assert_eq!(SnapshotChoice::Latest.newest_at_or_before(now), Some(now));
    assert_eq!(
        SnapshotChoice::OlderThan(600).newest_at_or_before(now),
        Some(now - 600)
    );
    assert_eq!(
        SnapshotChoice::AtOrBefore(5).newest_at_or_before(now),
        Some(5)
    );
}

#[test]
fn invalid_configurations_fail_with_the_variable_named() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[],
            "configuration DRS_SELECT_ALL: no source servers are selected",
        ),
        (
            &[("DRS_TAGS", "Env=prod"), ("DRS_RECOVERY_ENABLED", "true")],
            "configuration DRS_RECOVERY_MAX_SERVERS: is required when DRS_RECOVERY_ENABLED is true",
        ),
        (
            &[("DRS_TAGS", "Env=prod"), ("DRS_RECOVERY_ENABLED", "yes")],
            "configuration DRS_RECOVERY_ENABLED: `yes` is not a boolean",
        ),
        (
            &[
                ("DRS_TAGS", "Env=prod"),
                ("DRS_RECOVERY_ENABLED", "true"),
                ("DRS_RECOVERY_MAX_SERVERS", "0"),
            ],
            "configuration DRS_RECOVERY_MAX_SERVERS: 0 is out of range",
        ),
        (
            &[("DRS_TAGS", "Env=prod"), ("DRS_DRILL_TTL", "8 hours")],
            "configuration DRS_DRILL_TTL: `8 hours` is not a duration",
        ),
        (
            &[("DRS_TAGS", "Env=prod"), ("DRS_JOB_SERVERS", "201")],
            "configuration DRS_JOB_SERVERS: 201 is out of range (allowed 1 to 200)",
        ),
        (
            &[
                ("DRS_TAGS", "Env=prod"),
                ("DRS_DRILL_PLAN_ARN", "arn:aws:drs:us-east-1:123456789012:job/drsjob-1"),
            ],
            "configuration DRS_DRILL_PLAN_ARN: `arn:aws:drs:us-east-1:123456789012:job/drsjob-1` is not a recovery plan ARN",
        ),
        (
            &[("DRS_TAGS", "Env=prod"), ("DRS_RTO", "soon")],
            "configuration DRS_RTO: `soon` is not a duration",
        ),
        (
            &[
                ("DRS_TAGS", "Env=prod"),
                ("DRS_LAUNCH_GUARD", "2d"),
                ("DRS_FOLLOW_UP", "1d"),
            ],
            "configuration DRS_LAUNCH_GUARD: 2d is longer than DRS_FOLLOW_UP",
        ),
    ];
    for (pairs, want) in cases {
        match load(pairs) {
            Err(e) => assert!(
                e.starts_with(want),
                "{pairs:?}: got `{e}`, want `{want}...`"
            ),
            Ok(_) => panic!("{pairs:?}: accepted, want `{want}`"),
        }
    }
}
