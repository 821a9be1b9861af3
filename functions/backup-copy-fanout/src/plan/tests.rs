use super::*;
use crate::config::{Lifecycle, KEEP_FOREVER_DAYS};
use crate::observe::BackupJob;
use dr_core::report::OutcomeResult;
use dr_core::trigger::{
    Alarm, AlarmDelivery, AlarmKind, AlarmState, DirectInvoke, ReplicationStalled, Schedule,
    StalledState,
};
use serde_json::Value;

const PRIMARY: &str = "arn:aws:backup:us-east-1:123456789012:backup-vault:dr-primary";
const WEST: &str = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west";
const ISOLATED: &str = "arn:aws:backup:us-east-1:210987654321:backup-vault:dr-copy-isolated";
const DYNAMO_POINT: &str =
    "arn:aws:backup:us-east-1:123456789012:recovery-point:9d3f5b7a-2c4e-4f60-8a1b-3c5d7e9f1a2b";
const VAULT_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:backup-vault-events";
const T0: i64 = 1_795_000_000;
/// When the tests' facts were observed: two hours after T0, well inside a 24-hour window.
const OBSERVED: i64 = T0 + 2 * 3600;

fn rp(n: u32) -> String {
    format!("arn:aws:backup:us-east-1:123456789012:recovery-point:rp-{n:04}")
}

fn volume(n: u32) -> String {
    format!("arn:aws:ec2:us-east-1:123456789012:volume/vol-{n:017}")
}

fn to(n: u32, dest: &str) -> String {
    target(&rp(n), dest)
}

fn destination(arn: &str, region: &str, lifecycle: Option<Lifecycle>) -> Destination {
    Destination {
        vault_arn: arn.into(),
        region: region.into(),
        account: arn.split(':').nth(4).unwrap_or_default().into(),
        lifecycle,
    }
}

fn config() -> BackupConfig {
    BackupConfig {
        home_account: None,
        source_vaults: vec!["dr-primary".into()],
        destinations: vec![
            destination(
                WEST,
                "us-west-2",
                Some(Lifecycle {
                    move_to_cold_storage_after_days: Some(30),
                    delete_after_days: Some(120),
                    opt_in_to_archive_for_supported_resources: None,
                }),
            ),
            destination(
                ISOLATED,
                "us-east-1",
                Some(Lifecycle {
                    move_to_cold_storage_after_days: None,
                    delete_after_days: Some(KEEP_FOREVER_DAYS),
                    opt_in_to_archive_for_supported_resources: None,
                }),
            ),
        ],
        copy_role_arn: "arn:aws:iam::123456789012:role/dr-automation-backup-copy".into(),
        resource_types: vec![],
        sweep_window_hours: 24,
        fanout_horizon_days: 7,
        max_attempts: 3,
        region_copy_quota: 100,
        max_concurrency: 4,
        start_rate_per_second: 100.0,
        report_topic_arn: None,
        trigger_topic_arns: vec![],
        dry_run: false,
    }
}

/// A completed EBS recovery point of volume `n`, created `n` minutes after T0.
fn point(n: u32) -> RecoveryPoint {
    RecoveryPoint {
        arn: rp(n),
        vault_name: "dr-primary".into(),
        vault_arn: Some(PRIMARY.into()),
        resource_arn: Some(volume(n)),
        resource_type: Some("EBS".into()),
        status: "COMPLETED".into(),
        created: Some(T0 + i64::from(n) * 60),
        parent_arn: None,
        storage_class: None,
        moves_to_cold_at: None,
    }
}

fn job(id: &str, n: u32, dest: &str, state: &str, minute: i64) -> CopyJob {
    CopyJob {
        id: id.into(),
        source_recovery_point_arn: Some(rp(n)),
        source_vault_arn: Some(PRIMARY.into()),
        destination_vault_arn: Some(dest.into()),
        resource_arn: Some(volume(n)),
        state: state.into(),
        status_message: (state == "FAILED").then(|| format!("{id} failed")),
        created: Some(T0 + 3600 + minute * 60),
    }
}

fn sweep() -> Scope {
    Scope {
        sweep: true,
        ..Scope::default()
    }
}

fn requested(n: u32, only: Option<&str>) -> Scope {
    Scope {
        points: vec![PointRequest {
            recovery_point_arn: rp(n),
            vault: None,
            destinations: only.map(|d| BTreeSet::from([d.to_owned()])),
        }],
        ..Scope::default()
    }
}

fn facts(points: Vec<RecoveryPoint>, jobs: Vec<CopyJob>) -> Facts {
    Facts {
        recovery_points: points,
        copy_jobs: jobs,
        observed_at: OBSERVED,
        ..Facts::default()
    }
}

/// Expected copies as (recovery point, destination, attempt, start of what it queues behind).
type Copies = Vec<(u32, &'static str, u32, Option<&'static str>)>;
/// Expected skips or alerts: target and the start of the reason.
type Reasons = Vec<(String, &'static str)>;

/// What our own first copy of a resource makes the next ones of that resource queue behind.
const OURS: &str = "the copy to ";

struct Case {
    name: &'static str,
    scope: Scope,
    config: BackupConfig,
    facts: Facts,
    copies: Copies,
    alerts: Reasons,
    skips: Reasons,
}

fn assert_reasons(name: &str, what: &str, got: Vec<(String, String)>, want: &Reasons) {
    assert_eq!(got.len(), want.len(), "{name}: {what} {got:#?}");
    for ((target, reason), (want_target, want_reason)) in got.iter().zip(want) {
        assert_eq!(target, want_target, "{name}: {what}");
        assert!(
            reason.starts_with(want_reason),
            "{name}: {what} reason `{reason}` does not start with `{want_reason}`"
        );
    }
}

fn check(case: Case) {
    let got = plan(&case.scope, &case.config, &case.facts);
    let copies: Vec<(String, String, u32)> = got
        .copies
        .iter()
        .map(|c| {
            (
                c.recovery_point_arn.clone(),
                c.destination.vault_arn.clone(),
                c.attempt,
            )
        })
        .collect();
    let want: Vec<(String, String, u32)> = case
        .copies
        .iter()
        .map(|(n, d, a, _)| (rp(*n), d.to_string(), *a))
        .collect();
    assert_eq!(copies, want, "{}: copies", case.name);
    for (c, (_, _, _, queued)) in got.copies.iter().zip(&case.copies) {
        assert_eq!(c.source_vault_name, "dr-primary", "{}", case.name);
        match (c.queued_behind.as_deref(), queued) {
            (None, None) => {}
            (Some(got), Some(want)) => assert!(
                got.starts_with(want),
                "{}: {} queued behind `{got}`, want `{want}...`",
                case.name,
                c.target()
            ),
            (got, want) => panic!(
                "{}: {} queued behind {got:?}, want {want:?}",
                case.name,
                c.target()
            ),
        }
    }
    let alerts = got
        .alerts
        .into_iter()
        .map(|o| {
            assert_eq!(o.result, OutcomeResult::Failed, "{}", case.name);
            assert!(!o.retryable, "{}: alerts are not retried", case.name);
            (o.target, o.detail.unwrap_or_default())
        })
        .collect();
    assert_reasons(case.name, "alerts", alerts, &case.alerts);
    let skips = got
        .skips
        .listed()
        .iter()
        .map(|s| (s.target.clone(), s.reason.clone()))
        .collect();
    assert_reasons(case.name, "skips", skips, &case.skips);
}

/// The sweep table: what a sweep of the given points and copy jobs plans.
fn sweep_case(
    name: &'static str,
    points: Vec<RecoveryPoint>,
    jobs: Vec<CopyJob>,
    copies: Copies,
    alerts: Reasons,
    skips: Reasons,
) {
    check(Case {
        name,
        scope: sweep(),
        config: config(),
        facts: facts(points, jobs),
        copies,
        alerts,
        skips,
    });
}

#[test]
fn every_destination_of_a_recovery_point_is_started_in_the_same_run_newest_point_first() {
    sweep_case(
        "three new recovery points",
        vec![point(1), point(3), point(2)],
        vec![],
        vec![
            (3, WEST, 1, None),
            (3, ISOLATED, 1, Some("the copy to arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west started by this run")),
            (2, WEST, 1, None),
            (2, ISOLATED, 1, Some(OURS)),
            (1, WEST, 1, None),
            (1, ISOLATED, 1, Some(OURS)),
        ],
        vec![],
        vec![],
    );
}

#[test]
fn recovery_points_of_one_resource_are_all_started_queued_behind_the_first_copy() {
    let mut older = point(2);
    older.resource_arn = Some(volume(1));
    sweep_case(
        "two recovery points of one volume",
        vec![point(1), older],
        vec![],
        vec![
            (2, WEST, 1, None),
            (2, ISOLATED, 1, Some(OURS)),
            (1, WEST, 1, Some(OURS)),
            (1, ISOLATED, 1, Some(OURS)),
        ],
        vec![],
        vec![],
    );
}

#[test]
fn existing_copies_table() {
    let cases: Vec<(&str, Vec<CopyJob>, Copies, Reasons, Reasons)> = vec![
        (
            "first destination done: the other starts",
            vec![job("j1", 1, WEST, "COMPLETED", 0)],
            vec![(1, ISOLATED, 1, None)],
            vec![],
            vec![(to(1, WEST), "already copied by copy job j1")],
        ),
        (
            "every destination done: nothing starts",
            vec![
                job("j1", 1, WEST, "COMPLETED", 0),
                job("j2", 1, ISOLATED, "COMPLETED", 5),
            ],
            vec![],
            vec![],
            vec![
                (to(1, WEST), "already copied by copy job j1"),
                (to(1, ISOLATED), "already copied by copy job j2"),
            ],
        ),
        (
            "a running copy is left alone and the other destination queues behind it",
            vec![job("j1", 1, WEST, "RUNNING", 0)],
            vec![(1, ISOLATED, 1, Some("copy job j1 (RUNNING)"))],
            vec![],
            vec![(to(1, WEST), "copy job j1 is RUNNING")],
        ),
        (
            "a copy still in CREATED is left alone and the other queues behind it",
            vec![job("j1", 1, ISOLATED, "CREATED", 0)],
            vec![(1, WEST, 1, Some("copy job j1 (CREATED)"))],
            vec![],
            vec![(to(1, ISOLATED), "copy job j1 is CREATED")],
        ),
        (
            "one failure: the second attempt starts with the first of the other destination",
            vec![job("j1", 1, WEST, "FAILED", 0)],
            vec![(1, WEST, 2, None), (1, ISOLATED, 1, Some(OURS))],
            vec![],
            vec![],
        ),
        (
            "a partial composite copy counts as a failed attempt",
            vec![
                job("j1", 1, WEST, "FAILED", 0),
                job("j2", 1, WEST, "PARTIAL", 10),
            ],
            vec![(1, WEST, 3, None), (1, ISOLATED, 1, Some(OURS))],
            vec![],
            vec![],
        ),
        (
            "a failure then a success is copied",
            vec![
                job("j1", 1, WEST, "FAILED", 0),
                job("j2", 1, WEST, "COMPLETED", 10),
            ],
            vec![(1, ISOLATED, 1, None)],
            vec![],
            vec![(to(1, WEST), "already copied by copy job j2")],
        ),
        (
            "attempts exhausted: alert, and the other destination goes on",
            vec![
                job("j1", 1, WEST, "FAILED", 0),
                job("j3", 1, WEST, "FAILED", 20),
                job("j2", 1, WEST, "FAILED", 10),
            ],
            vec![(1, ISOLATED, 1, None)],
            vec![(
                to(1, WEST),
                "CopyAttemptsExhausted: 3 copy attempts failed (BACKUP_COPY_MAX_ATTEMPTS is 3); the last, copy job j3, ended with: j3 failed; not retried again",
            )],
            vec![],
        ),
        (
            "a copy of another recovery point of the resource makes both destinations queue",
            vec![CopyJob {
                source_recovery_point_arn: Some(rp(9)),
                ..job("j9", 1, ISOLATED, "RUNNING", 0)
            }],
            vec![
                (1, WEST, 1, Some("copy job j9 (RUNNING)")),
                (1, ISOLATED, 1, Some("copy job j9 (RUNNING)")),
            ],
            vec![],
            vec![],
        ),
        (
            "a copy of another resource does not make this one queue",
            vec![job("j5", 5, WEST, "RUNNING", 0)],
            vec![(1, WEST, 1, None), (1, ISOLATED, 1, Some(OURS))],
            vec![],
            vec![],
        ),
    ];
    for (name, jobs, copies, alerts, skips) in cases {
        sweep_case(name, vec![point(1)], jobs, copies, alerts, skips);
    }
}

#[test]
fn a_backup_job_in_flight_on_the_resource_makes_its_copies_queue_behind_it() {
    for state in ["CREATED", "PENDING", "RUNNING"] {
        let mut f = facts(vec![point(1)], vec![]);
        f.backup_jobs = vec![
            BackupJob {
                id: "bj-1".into(),
                resource_arn: Some(volume(1)),
                state: state.into(),
            },
            BackupJob {
                id: "bj-other".into(),
                resource_arn: Some(volume(7)),
                state: "RUNNING".into(),
            },
        ];
        let queued: &'static str = match state {
            "CREATED" => "backup job bj-1 (CREATED)",
            "PENDING" => "backup job bj-1 (PENDING)",
            _ => "backup job bj-1 (RUNNING)",
        };
        check(Case {
            name: "backup job in flight",
            scope: sweep(),
            config: config(),
            facts: f,
            copies: vec![(1, WEST, 1, Some(queued)), (1, ISOLATED, 1, Some(queued))],
            alerts: vec![],
            skips: vec![],
        });
    }
}

#[test]
fn recovery_points_that_cannot_be_copied_are_skipped_with_the_reason() {
    let with = |f: fn(&mut RecoveryPoint)| {
        let mut p = point(1);
        f(&mut p);
        p
    };
    let mut types = config();
    types.resource_types = vec!["EBS".into(), "RDS".into()];
    let cases: Vec<(&str, RecoveryPoint, BackupConfig, &str)> = vec![
        (
            "a partial composite",
            with(|p| p.status = "PARTIAL".into()),
            config(),
            "status PARTIAL: only COMPLETED and AVAILABLE recovery points are copied",
        ),
        ("an expired point", with(|p| p.status = "EXPIRED".into()), config(), "status EXPIRED"),
        ("a point being deleted", with(|p| p.status = "DELETING".into()), config(), "status DELETING"),
        ("a point still being created", with(|p| p.status = "CREATING".into()), config(), "status CREATING"),
        ("a stopped continuous backup", with(|p| p.status = "STOPPED".into()), config(), "status STOPPED"),
        (
            "a continuous (PITR) recovery point",
            with(|p| {
                p.arn = "arn:aws:backup:us-east-1:123456789012:recovery-point:continuous:db-orders-4e8c1a3b".into();
                p.status = "AVAILABLE".into();
            }),
            config(),
            "continuous (point-in-time) backup: StartCopyJob does not support continuous backups",
        ),
        (
            "a point in cold storage or the archive tier",
            with(|p| p.storage_class = Some("COLD".into())),
            config(),
            "in cold storage (or the archive tier): AWS Backup cannot copy backups in cold storage",
        ),
        (
            "a point whose storage is deleted",
            with(|p| p.storage_class = Some("DELETED".into())),
            config(),
            "storage class DELETED",
        ),
        (
            "a composite member",
            with(|p| p.parent_arn = Some(rp(100))),
            config(),
            "member of composite recovery point arn:aws:backup:us-east-1:123456789012:recovery-point:rp-0100",
        ),
        (
            "a resource type not configured",
            with(|p| p.resource_type = Some("DynamoDB".into())),
            types.clone(),
            "resource type DynamoDB is not in BACKUP_RESOURCE_TYPES",
        ),
        (
            "an unknown resource type with a filter",
            with(|p| p.resource_type = None),
            types.clone(),
            "resource type unknown",
        ),
        (
            "a vault outside the allowlist",
            with(|p| p.vault_name = "scratch".into()),
            config(),
            "source vault `scratch` is not in BACKUP_SOURCE_VAULTS",
        ),
    ];
    for (name, p, cfg, reason) in cases {
        let arn = p.arn.clone();
        let got = plan(&sweep(), &cfg, &facts(vec![p], vec![]));
        assert!(got.copies.is_empty(), "{name}: {:?}", got.copies);
        let skips: Vec<(String, String)> = got
            .skips
            .listed()
            .iter()
            .map(|s| (s.target.clone(), s.reason.clone()))
            .collect();
        assert_reasons(name, "skips", skips, &vec![(arn, reason)]);
    }
}

#[test]
fn available_and_warm_recovery_points_are_copied() {
    let mut available = point(1);
    available.status = "AVAILABLE".into();
    available.storage_class = Some("WARM".into());
    sweep_case(
        "an AVAILABLE point in warm storage",
        vec![available],
        vec![],
        vec![(1, WEST, 1, None), (1, ISOLATED, 1, Some(OURS))],
        vec![],
        vec![],
    );
}

#[test]
fn resource_types_match_without_regard_to_case() {
    let mut types = config();
    types.resource_types = vec!["EBS".into(), "RDS".into()];
    let mut rds = point(1);
    rds.resource_type = Some("rds".into());
    check(Case {
        name: "rds matches RDS",
        scope: sweep(),
        config: types,
        facts: facts(vec![rds], vec![]),
        copies: vec![(1, WEST, 1, None), (1, ISOLATED, 1, Some(OURS))],
        alerts: vec![],
        skips: vec![],
    });
}

#[test]
fn destination_equal_to_the_source_vault_is_skipped() {
    let mut cfg = config();
    cfg.destinations
        .insert(0, destination(PRIMARY, "us-east-1", None));
    check(Case {
        name: "source vault as destination",
        scope: sweep(),
        config: cfg,
        facts: facts(vec![point(1)], vec![]),
        copies: vec![(1, WEST, 1, None), (1, ISOLATED, 1, Some(OURS))],
        alerts: vec![],
        skips: vec![(to(1, PRIMARY), "destination is the source vault")],
    });
}

#[test]
fn the_region_quota_counts_copies_in_flight_and_those_planned_in_the_run() {
    let mut cfg = config();
    cfg.region_copy_quota = 2;
    let busy_west = vec![
        job("j7", 7, WEST, "RUNNING", 0),
        job("j8", 8, WEST, "CREATED", 0),
        job("j9", 9, WEST, "COMPLETED", 0),
    ];
    check(Case {
        name: "west full, isolated free",
        scope: sweep(),
        config: cfg.clone(),
        facts: facts(vec![point(1), point(2)], busy_west),
        copies: vec![(2, ISOLATED, 1, None), (1, ISOLATED, 1, None)],
        alerts: vec![],
        skips: vec![
            (
                to(2, WEST),
                "deferred: 2 copy jobs already in flight to us-west-2, the quota is 2 (BACKUP_REGION_COPY_QUOTA)",
            ),
            (to(1, WEST), "deferred: 2 copy jobs already in flight"),
        ],
    });
    check(Case {
        name: "copies planned in this run count",
        scope: sweep(),
        config: cfg,
        facts: facts(
            vec![point(1), point(2), point(3)],
            vec![job("j7", 7, WEST, "RUNNING", 0)],
        ),
        copies: vec![
            (3, WEST, 1, None),
            (3, ISOLATED, 1, Some(OURS)),
            (2, ISOLATED, 1, None),
        ],
        alerts: vec![],
        skips: vec![
            (
                to(2, WEST),
                "deferred: 2 copy jobs already in flight to us-west-2",
            ),
            (to(1, WEST), "deferred: 2 copy jobs"),
            (
                to(1, ISOLATED),
                "deferred: 2 copy jobs already in flight to us-east-1",
            ),
        ],
    });
}

#[test]
fn cross_account_copies_of_one_resource_to_one_region_stop_at_thirty() {
    let mut cfg = config();
    cfg.region_copy_quota = 1000;
    // 29 cross-account copies of volume 1 in flight, from other recovery points.
    let jobs: Vec<CopyJob> = (0..29)
        .map(|i| CopyJob {
            source_recovery_point_arn: Some(rp(100 + i)),
            ..job(&format!("x{i}"), 1, ISOLATED, "CREATED", 0)
        })
        .collect();
    let mut older = point(2);
    older.resource_arn = Some(volume(1));
    check(Case {
        name: "the 30th starts, the 31st waits",
        scope: sweep(),
        config: cfg,
        facts: facts(vec![point(1), older], jobs),
        copies: vec![
            (2, WEST, 1, Some("copy job x0 (CREATED)")),
            (2, ISOLATED, 1, Some("copy job x0 (CREATED)")),
            (1, WEST, 1, Some("copy job x0 (CREATED)")),
        ],
        alerts: vec![],
        skips: vec![(
            to(1, ISOLATED),
            "deferred: 30 cross-account copies of this resource to us-east-1 already in flight, AWS Backup's quota is 30",
        )],
    });
}

#[test]
fn a_deferral_past_half_the_sweep_window_is_reported_as_an_incomplete_fan_out() {
    let mut cfg = config();
    cfg.region_copy_quota = 1;
    let mut f = facts(vec![point(1)], vec![job("j7", 7, WEST, "RUNNING", 0)]);
    f.observed_at = T0 + 13 * 3600;
    check(Case {
        name: "13 hours old in a 24-hour window",
        scope: sweep(),
        config: cfg,
        facts: f,
        copies: vec![(1, ISOLATED, 1, None)],
        alerts: vec![(
            to(1, WEST),
            "FanOutIncomplete: not copied, and the recovery point is 12 hours old, past half the sweep window: 1 copy jobs already in flight to us-west-2",
        )],
        skips: vec![],
    });
}

#[test]
fn failed_copies_of_older_points_are_re_examined_newest_first_once_each() {
    let cfg = config();
    let failed = |id: &str, n: u32, dest: &str, minute: i64| job(id, n, dest, "FAILED", minute);
    let from_scratch = CopyJob {
        source_vault_arn: Some("arn:aws:backup:us-east-1:123456789012:backup-vault:scratch".into()),
        ..failed("s1", 5, WEST, 50)
    };
    let elsewhere = failed(
        "e1",
        6,
        "arn:aws:backup:eu-west-1:123456789012:backup-vault:legacy",
        60,
    );
    let jobs = vec![
        failed("f1", 1, WEST, 10),
        failed("f2", 2, ISOLATED, 30),
        failed("f3", 1, ISOLATED, 20),
        job("p4", 4, WEST, "PARTIAL", 40),
        failed("f9", 9, WEST, 70),
        from_scratch,
        elsewhere,
    ];
    let got = failed_fanouts(&cfg, &[point(9)], &jobs);
    let want: Vec<PointRequest> = [4, 2, 1]
        .map(|n| PointRequest {
            recovery_point_arn: rp(n),
            vault: Some("dr-primary".into()),
            destinations: None,
        })
        .to_vec();
    assert_eq!(
        got,
        FailedFanouts {
            requests: want,
            unexamined: 0
        },
        "swept points, other vaults and unconfigured destinations are left out"
    );
}

#[test]
fn failed_copies_past_the_per_sweep_bound_are_counted_and_reported() {
    let jobs: Vec<CopyJob> = (0..(MAX_FAILED_FANOUTS_PER_SWEEP as u32 + 3))
        .map(|n| job(&format!("f{n}"), n, WEST, "FAILED", i64::from(n)))
        .collect();
    let got = failed_fanouts(&config(), &[], &jobs);
    assert_eq!(got.requests.len(), MAX_FAILED_FANOUTS_PER_SWEEP);
    assert_eq!(got.unexamined, 3);
    assert_eq!(
        got.requests[0].recovery_point_arn,
        rp(MAX_FAILED_FANOUTS_PER_SWEEP as u32 + 2),
        "newest failure first"
    );
    let mut f = facts(vec![], vec![]);
    f.unexamined_failures = got.unexamined;
    check(Case {
        name: "the rest are named in the report",
        scope: sweep(),
        config: config(),
        facts: f,
        copies: vec![],
        alerts: vec![],
        skips: vec![(
            "failed copies of older recovery points".into(),
            "3 more recovery points older than the sweep window have a failed copy",
        )],
    });
}

#[test]
fn requested_points_table() {
    let mut unreadable = facts(vec![], vec![]);
    unreadable.unreadable.insert(
        rp(4),
        "not found in the source vaults searched (primary)".into(),
    );
    let cases: Vec<(&str, Scope, Facts, Copies, Reasons)> = vec![
        (
            "a retry goes to its destination only",
            requested(1, Some(ISOLATED)),
            facts(vec![point(1)], vec![job("j1", 1, ISOLATED, "FAILED", 0)]),
            vec![(1, ISOLATED, 2, None)],
            vec![],
        ),
        (
            "a named point goes to every destination still lacking a copy",
            requested(1, None),
            facts(vec![point(1)], vec![job("j1", 1, WEST, "COMPLETED", 0)]),
            vec![(1, ISOLATED, 1, None)],
            vec![(to(1, WEST), "already copied by copy job j1")],
        ),
        (
            "not found, with the reason observe gave",
            requested(4, None),
            unreadable,
            vec![],
            vec![(rp(4), "not found in the source vaults searched (primary)")],
        ),
        (
            "not found",
            requested(5, None),
            facts(vec![point(1)], vec![]),
            vec![],
            vec![(rp(5), "not found in the source vaults")],
        ),
    ];
    for (name, scope, facts, copies, skips) in cases {
        check(Case {
            name,
            scope,
            config: config(),
            facts,
            copies,
            alerts: vec![],
            skips,
        });
    }
}

#[test]
fn idempotency_tokens_are_deterministic_and_distinct() {
    let copy = |n: u32, dest: &str, attempt: u32| Copy {
        recovery_point_arn: rp(n),
        source_vault_name: "dr-primary".into(),
        destination: destination(dest, "us-west-2", None),
        attempt,
        queued_behind: None,
    };
    let token = copy(1, WEST, 1).idempotency_token();
    assert_eq!(token, copy(1, WEST, 1).idempotency_token());
    assert_eq!(token.len(), 34, "{token}");
    assert!(token.ends_with("-1"));
    assert!(token[..32].bytes().all(|b| b.is_ascii_hexdigit()));
    let others = [
        copy(2, WEST, 1).idempotency_token(),
        copy(1, ISOLATED, 1).idempotency_token(),
        copy(1, WEST, 2).idempotency_token(),
    ];
    for other in &others {
        assert_ne!(&token, other);
    }
    // FNV-1a 128 of "a\0b\01", pinned: a change of algorithm would start duplicate copies
    // on redeliveries that span a deployment.
    assert_eq!(
        idempotency_token("a", "b", 1),
        "35336bbe1183d94f7081455fbbcc62f5-1"
    );
}

fn schedule() -> Trigger {
    Trigger::from_events(vec![Event::Schedule(Schedule { name: None })])
}

fn backup_job_event(state: &str, vault: Option<&str>, rp_arn: Option<String>) -> Trigger {
    Trigger::from_events(vec![Event::BackupJob(BackupJobChange {
        backup_job_id: "bj-1".into(),
        state: state.into(),
        backup_vault_name: vault.map(str::to_owned),
        recovery_point_arn: rp_arn,
        resource_arn: Some(volume(1)),
        resource_type: Some("EBS".into()),
        account: Some("123456789012".into()),
    })])
}

fn copy_job_change(state: &str, source_vault: &str, dest: Option<&str>) -> Event {
    Event::CopyJob(CopyJobChange {
        event_id: "e-1".into(),
        copy_job_id: Some("cj-1".into()),
        state: state.into(),
        source_recovery_point_arn: Some(rp(1)),
        source_backup_vault_arn: Some(format!(
            "arn:aws:backup:us-east-1:123456789012:backup-vault:{source_vault}"
        )),
        destination_backup_vault_arn: dest.map(str::to_owned),
        resource_type: Some("EBS".into()),
        status_message: None,
    })
}

fn copy_job_event(state: &str, source_vault: &str, dest: Option<&str>) -> Trigger {
    Trigger::from_events(vec![copy_job_change(state, source_vault, dest)])
}

fn vault_note(event_type: Option<&str>, state: Option<&str>, rp_arn: Option<String>) -> Event {
    Event::VaultNotification(VaultNotification {
        message_id: "m-0".into(),
        event_type: event_type.map(str::to_owned),
        state: state.map(str::to_owned),
        job_id: Some("bj-9".into()),
        recovery_point_arn: rp_arn,
        resource_arn: None,
        account: Some("123456789012".into()),
    })
}

fn events(events: Vec<Event>) -> Trigger {
    Trigger::from_events(events)
}

/// A request: recovery point, vault hint, destinations (empty = all).
type Requests = Vec<(u32, Option<&'static str>, Vec<&'static str>)>;

#[test]
fn scope_table() {
    let mut topics = config();
    topics.trigger_topic_arns = vec![VAULT_TOPIC.into()];
    let cases: Vec<(&str, Trigger, bool, Requests, Reasons)> = vec![
        ("schedule sweeps", schedule(), true, vec![], vec![]),
        (
            "direct invoke",
            events(vec![Event::Direct(DirectInvoke {
                targets: vec![rp(1), "snap-0123".into(), rp(2), rp(1)],
            })]),
            false,
            vec![(1, None, vec![]), (2, None, vec![])],
            vec![("snap-0123".into(), "not a recovery point ARN")],
        ),
        (
            "backup job completed",
            backup_job_event("COMPLETED", Some("dr-primary"), Some(rp(1))),
            false,
            vec![(1, Some("dr-primary"), vec![])],
            vec![],
        ),
        (
            "backup job completed without a vault name",
            backup_job_event("COMPLETED", None, Some(rp(1))),
            false,
            vec![(1, None, vec![])],
            vec![],
        ),
        (
            "backup job in a vault outside the allowlist",
            backup_job_event("COMPLETED", Some("scratch"), Some(rp(1))),
            false,
            vec![],
            vec![(
                rp(1),
                "source vault `scratch` is not in BACKUP_SOURCE_VAULTS",
            )],
        ),
        (
            "backup job failed",
            backup_job_event("FAILED", Some("dr-primary"), None),
            false,
            vec![],
            vec![("bj-1".into(), "backup job FAILED: nothing to copy")],
        ),
        (
            "backup job event without resources",
            backup_job_event("COMPLETED", Some("dr-primary"), None),
            false,
            vec![],
            vec![("bj-1".into(), "backup job event names no recovery point")],
        ),
        (
            "copy job failed: retry that destination",
            copy_job_event("FAILED", "dr-primary", Some(WEST)),
            false,
            vec![(1, Some("dr-primary"), vec![WEST])],
            vec![],
        ),
        (
            "copy job failed to a vault not configured",
            copy_job_event(
                "FAILED",
                "dr-primary",
                Some("arn:aws:backup:us-west-2:123456789012:backup-vault:legacy"),
            ),
            false,
            vec![],
            vec![(
                target(
                    &rp(1),
                    "arn:aws:backup:us-west-2:123456789012:backup-vault:legacy",
                ),
                "copy job cj-1 FAILED to a vault not in BACKUP_DESTINATIONS",
            )],
        ),
        (
            "copy job failed from a vault outside the allowlist",
            copy_job_event("FAILED", "scratch", Some(WEST)),
            false,
            vec![],
            vec![(
                rp(1),
                "source vault `scratch` is not in BACKUP_SOURCE_VAULTS",
            )],
        ),
        (
            "copy job completed: continue the fan-out",
            copy_job_event("COMPLETED", "dr-primary", Some(WEST)),
            false,
            vec![(1, Some("dr-primary"), vec![])],
            vec![],
        ),
        (
            "copy job running",
            copy_job_event("RUNNING", "dr-primary", Some(WEST)),
            false,
            vec![],
            vec![(
                "cj-1".into(),
                "copy job RUNNING: nothing to do until it ends",
            )],
        ),
        (
            "vault notification: backup job completed",
            events(vec![vault_note(Some("BACKUP_JOB"), Some("COMPLETED"), Some(rp(1)))]),
            false,
            vec![(1, None, vec![])],
            vec![],
        ),
        (
            "vault notification read from the text only",
            events(vec![vault_note(None, Some("COMPLETED"), Some(rp(1)))]),
            false,
            vec![(1, None, vec![])],
            vec![],
        ),
        (
            "vault notifications that are not completions",
            events(vec![
                vault_note(Some("BACKUP_JOB"), Some("FAILED"), None),
                vault_note(Some("BACKUP_JOB"), Some("EXPIRED"), Some(rp(2))),
                vault_note(Some("BACKUP_JOB"), None, Some(rp(3))),
                vault_note(Some("COPY_JOB"), Some("FAILED"), Some(rp(4))),
                vault_note(Some("RECOVERY_POINT_INDEXING_COMPLETED"), None, Some(rp(5))),
                vault_note(Some("BACKUP_JOB"), Some("COMPLETED"), None),
            ]),
            false,
            vec![],
            vec![
                ("bj-9".into(), "backup job FAILED: nothing to copy"),
                (rp(2), "backup job EXPIRED: nothing to copy"),
                (rp(3), "backup notification without a state"),
                (
                    rp(4),
                    "COPY_JOB notification: only completed backup jobs are copied",
                ),
                (
                    rp(5),
                    "RECOVERY_POINT_INDEXING_COMPLETED notification: only completed backup jobs are copied",
                ),
                ("bj-9".into(), "backup notification names no recovery point"),
            ],
        ),
        (
            "requests for one recovery point merge",
            events(vec![
                copy_job_change("FAILED", "dr-primary", Some(WEST)),
                copy_job_change("FAILED", "dr-primary", Some(ISOLATED)),
            ]),
            false,
            vec![(1, Some("dr-primary"), vec![ISOLATED, WEST])],
            vec![],
        ),
        (
            "a request for every destination wins",
            events(vec![
                copy_job_change("FAILED", "dr-primary", Some(WEST)),
                vault_note(Some("BACKUP_JOB"), Some("COMPLETED"), Some(rp(1))),
            ]),
            false,
            vec![(1, Some("dr-primary"), vec![])],
            vec![],
        ),
        (
            "a created copy job is named by its event id",
            events(vec![Event::CopyJob(CopyJobChange {
                copy_job_id: None,
                ..match copy_job_change("CREATED", "dr-primary", Some(WEST)) {
                    Event::CopyJob(j) => j,
                    _ => unreachable!("copy_job_change gives a copy job"),
                }
            })]),
            false,
            vec![],
            vec![("e-1".into(), "copy job CREATED: nothing to do until it ends")],
        ),
        (
            "alarms and other service events are not handled",
            events(vec![
                Event::Alarm(Alarm {
                    name: "cpu-high".into(),
                    arn: None,
                    description: None,
                    state: AlarmState::Alarm,
                    previous_state: None,
                    reason: None,
                    account: None,
                    kind: AlarmKind::Metric,
                    dimensions: vec![],
                    delivery: AlarmDelivery::Sns,
                }),
                Event::ReplicationStalled(ReplicationStalled {
                    source_server_id: "s-1234567890abcdef0".into(),
                    state: StalledState::Stalled,
                }),
            ]),
            false,
            vec![],
            vec![
                (
                    "cpu-high".into(),
                    "alarm cpu-high (ALARM): not handled by backup-copy-fanout",
                ),
                (
                    "s-1234567890abcdef0".into(),
                    "aws.drs DRS Source Server Data Replication Stalled Change: not handled by backup-copy-fanout",
                ),
            ],
        ),
    ];
    for (name, trigger, sweep, requests, skips) in cases {
        let got = scope(&trigger, &topics);
        assert_eq!(got.sweep, sweep, "{name}");
        let want: Vec<PointRequest> = requests
            .into_iter()
            .map(|(n, vault, dests)| PointRequest {
                recovery_point_arn: rp(n),
                vault: vault.map(str::to_owned),
                destinations: (!dests.is_empty())
                    .then(|| dests.into_iter().map(str::to_owned).collect()),
            })
            .collect();
        assert_eq!(got.points, want, "{name}");
        let got_skips = got
            .skips
            .listed()
            .iter()
            .map(|s| (s.target.clone(), s.reason.clone()))
            .collect();
        assert_reasons(name, "skips", got_skips, &skips);
    }
}

/// Every sample event parses, scopes and plans; each file's expected effect is listed here so a
/// new file without an expectation fails the test.
#[test]
fn sample_events_parse_and_plan() {
    const SNAPSHOT: &str = "arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60001";
    const RDS_POINT: &str =
        "arn:aws:backup:us-east-1:123456789012:recovery-point:4e8c1a3b-5d6f-4a7b-8c9d-0e1f2a3b4c5d";
    const AMI: &str = "arn:aws:ec2:us-east-1::image/ami-0a1b2c3d4e5f60002";
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/backup-copy-fanout");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("events directory")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    // (file, dry run, sweep, copies (recovery point, destination), skip targets)
    type Expected = (
        &'static str,
        bool,
        bool,
        Vec<(&'static str, &'static str)>,
        Vec<&'static str>,
    );
    let expected: Vec<Expected> = vec![
        (
            "backup-job-completed.json",
            false,
            false,
            vec![(SNAPSHOT, WEST), (SNAPSHOT, ISOLATED)],
            vec![],
        ),
        (
            "copy-job-completed.json",
            false,
            false,
            vec![(SNAPSHOT, ISOLATED)],
            vec!["arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60001 -> arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west"],
        ),
        ("copy-job-failed.json", false, false, vec![(DYNAMO_POINT, WEST)], vec![]),
        (
            "direct-invoke-dry-run.json",
            true,
            false,
            vec![
                (RDS_POINT, WEST),
                (RDS_POINT, ISOLATED),
                (SNAPSHOT, WEST),
                (SNAPSHOT, ISOLATED),
            ],
            vec![],
        ),
        (
            "direct-invoke.json",
            false,
            false,
            vec![(RDS_POINT, WEST), (RDS_POINT, ISOLATED)],
            vec![],
        ),
        ("scheduled-event.json", false, true, vec![(AMI, WEST), (AMI, ISOLATED)], vec![]),
        ("scheduler-input.json", false, true, vec![(AMI, WEST), (AMI, ISOLATED)], vec![]),
        (
            "vault-notification-backup-completed-variant-b.json",
            false,
            false,
            vec![(AMI, WEST), (AMI, ISOLATED)],
            vec![],
        ),
        (
            "vault-notification-backup-completed.json",
            false,
            false,
            vec![(RDS_POINT, WEST), (RDS_POINT, ISOLATED)],
            vec![],
        ),
        (
            "vault-notification-backup-failed.json",
            false,
            false,
            vec![],
            vec!["3c4d5e6f-a1b2-4c3d-8e4f-5a6b7c8d9e0f"],
        ),
    ];
    assert_eq!(
        names,
        expected.iter().map(|e| e.0.to_owned()).collect::<Vec<_>>()
    );

    let mut cfg = config();
    cfg.trigger_topic_arns = vec![VAULT_TOPIC.into()];
    let found = |arn: &str, resource: &str, resource_type: &str, minute: i64| RecoveryPoint {
        arn: arn.into(),
        resource_arn: Some(resource.into()),
        resource_type: Some(resource_type.into()),
        created: Some(T0 + minute * 60),
        ..point(0)
    };
    let snapshot = found(
        SNAPSHOT,
        "arn:aws:ec2:us-east-1:123456789012:volume/vol-0a1b2c3d4e5f60001",
        "EBS",
        1,
    );
    let rds = found(
        RDS_POINT,
        "arn:aws:rds:us-east-1:123456789012:db:orders",
        "RDS",
        2,
    );
    let ami = found(
        AMI,
        "arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f60002",
        "EC2",
        3,
    );
    let west_done = CopyJob {
        id: "6B1D4E2F-9A8C-4B7D-8E6F-5A4B3C2D1E0F".into(),
        source_recovery_point_arn: Some(SNAPSHOT.into()),
        destination_vault_arn: Some(WEST.into()),
        resource_arn: snapshot.resource_arn.clone(),
        state: "COMPLETED".into(),
        ..CopyJob::default()
    };
    let dynamo = found(
        DYNAMO_POINT,
        "arn:aws:dynamodb:us-east-1:123456789012:table/sessions",
        "DynamoDB",
        4,
    );
    let west_failed = CopyJob {
        id: "3F9C2B1A-7E6D-4C5B-8A49-0F1E2D3C4B5A".into(),
        source_recovery_point_arn: Some(DYNAMO_POINT.into()),
        resource_arn: dynamo.resource_arn.clone(),
        state: "FAILED".into(),
        ..west_done.clone()
    };
    for (name, dry_run, sweep, copies, skip_targets) in expected {
        let text = std::fs::read_to_string(dir.join(name)).expect("readable");
        let event: Value = serde_json::from_str(&text).expect("JSON");
        let trigger = dr_core::trigger::parse(&event).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(trigger.dry_run, dry_run, "{name}");
        let scope = scope(&trigger, &cfg);
        assert_eq!(scope.sweep, sweep, "{name}");
        // What observe would find: the sweep lists the newest point; lookups find what is named.
        let mut points: Vec<RecoveryPoint> = if sweep { vec![ami.clone()] } else { vec![] };
        for req in &scope.points {
            points.extend(
                [&snapshot, &rds, &ami, &dynamo]
                    .into_iter()
                    .filter(|p| p.arn == req.recovery_point_arn)
                    .cloned(),
            );
        }
        let jobs = match name {
            "copy-job-completed.json" => vec![west_done.clone()],
            "copy-job-failed.json" => vec![west_failed.clone()],
            _ => vec![],
        };
        let got = plan(&scope, &cfg, &facts(points, jobs));
        let got_copies: Vec<(String, String)> = got
            .copies
            .iter()
            .map(|c| {
                (
                    c.recovery_point_arn.clone(),
                    c.destination.vault_arn.clone(),
                )
            })
            .collect();
        let want_copies: Vec<(String, String)> = copies
            .iter()
            .map(|(p, d)| (p.to_string(), d.to_string()))
            .collect();
        assert_eq!(got_copies, want_copies, "{name}");
        if name == "copy-job-failed.json" {
            assert_eq!(got.copies[0].attempt, 2, "{name}: the retry is attempt 2");
        }
        assert!(got.alerts.is_empty(), "{name}");
        let mut got_skips: Vec<String> = scope
            .skips
            .listed()
            .iter()
            .map(|s| s.target.clone())
            .collect();
        got_skips.extend(got.skips.listed().iter().map(|s| s.target.clone()));
        assert_eq!(got_skips, skip_targets, "{name}");
    }
}
