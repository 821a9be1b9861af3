use super::*;
use crate::model::{BackupJob, RecoveryPointStatus};
use crate::testing::{config, job, point, rp, to, volume, ISOLATED, PRIMARY, T0, WEST};
use dr_core::report::OutcomeResult;
use dr_testkit::arn;
use CopyJobState::{Completed, Created, Failed, Partial, Running};

/// When the tests' facts were observed: two hours after T0, well inside a 24-hour window.
const OBSERVED: i64 = T0 + 2 * 3600;

/// What our own first copy of a resource makes the next ones of that resource queue behind.
const OURS: &str = "the copy to ";

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

fn facts(scope: Scope, points: Vec<RecoveryPoint>, jobs: Vec<CopyJob>) -> Facts {
    Facts {
        scope,
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

/// What a plan should hold.
struct Expected {
    copies: Copies,
    alerts: Reasons,
    skips: Reasons,
}

impl Expected {
    /// Copies and skips, no alert.
    fn of(copies: Copies, skips: Reasons) -> Self {
        Self {
            copies,
            alerts: vec![],
            skips,
        }
    }
}

fn assert_reasons(what: &str, got: Vec<(String, String)>, want: &Reasons) {
    assert_eq!(got.len(), want.len(), "{what} {got:#?}");
    for ((target, reason), (want_target, want_reason)) in got.iter().zip(want) {
        assert_eq!(target, want_target, "{what}");
        assert!(
            reason.starts_with(want_reason),
            "{what} reason `{reason}` does not start with `{want_reason}`"
        );
    }
}

fn assert_copies(got: &[Copy], want: &Copies) {
    let targets: Vec<(String, u32)> = got.iter().map(|c| (c.target(), c.attempt)).collect();
    let wanted: Vec<(String, u32)> = want.iter().map(|(n, d, a, _)| (to(*n, d), *a)).collect();
    assert_eq!(targets, wanted, "copies");
    for (c, (_, _, _, queued)) in got.iter().zip(want) {
        assert_eq!(c.source_vault_name, "dr-primary");
        match (c.queued_behind.as_deref(), queued) {
            (None, None) => {}
            (Some(got), Some(want)) => assert!(
                got.starts_with(want),
                "{} queued behind `{got}`, want `{want}...`",
                c.target()
            ),
            (got, want) => panic!("{} queued behind {got:?}, want {want:?}", c.target()),
        }
    }
}

fn check(config: &BackupConfig, facts: &Facts, want: Expected) {
    let got = plan(config, facts);
    assert_copies(&got.actions, &want.copies);
    let alerts = got
        .outcomes
        .into_iter()
        .map(|o| {
            assert_eq!(o.result, OutcomeResult::Failed);
            assert!(!o.retryable, "alerts are not retried");
            (o.target, o.detail.unwrap_or_default())
        })
        .collect();
    assert_reasons("alerts", alerts, &want.alerts);
    let skips = got
        .skips
        .listed()
        .iter()
        .map(|s| (s.target.clone(), s.reason.clone()))
        .collect();
    assert_reasons("skips", skips, &want.skips);
}

/// What a sweep of the given points and copy jobs plans.
fn swept(
    points: Vec<RecoveryPoint>,
    jobs: Vec<CopyJob>,
    copies: Copies,
    alerts: Reasons,
    skips: Reasons,
) {
    check(
        &config(),
        &facts(sweep(), points, jobs),
        Expected {
            copies,
            alerts,
            skips,
        },
    );
}

/// What a sweep of recovery point 1 plans, given its copy jobs.
fn swept_one(jobs: Vec<CopyJob>, copies: Copies, alerts: Reasons, skips: Reasons) {
    swept(vec![point(1)], jobs, copies, alerts, skips);
}

/// Both destinations of recovery point 1, the second queued behind the first.
fn both_of_one() -> Copies {
    vec![(1, WEST, 1, None), (1, ISOLATED, 1, Some(OURS))]
}

#[test]
fn every_destination_of_a_recovery_point_is_started_in_the_same_run_newest_point_first() {
    let first_west = "the copy to arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west started by this run";
    let copies = vec![
        (3, WEST, 1, None),
        (3, ISOLATED, 1, Some(first_west)),
        (2, WEST, 1, None),
        (2, ISOLATED, 1, Some(OURS)),
        (1, WEST, 1, None),
        (1, ISOLATED, 1, Some(OURS)),
    ];
    swept(
        vec![point(1), point(3), point(2)],
        vec![],
        copies,
        vec![],
        vec![],
    );
}

#[test]
fn recovery_points_of_one_resource_are_all_started_queued_behind_the_first_copy() {
    let older = RecoveryPoint {
        resource_arn: Some(volume(1)),
        ..point(2)
    };
    let copies = vec![
        (2, WEST, 1, None),
        (2, ISOLATED, 1, Some(OURS)),
        (1, WEST, 1, Some(OURS)),
        (1, ISOLATED, 1, Some(OURS)),
    ];
    swept(vec![point(1), older], vec![], copies, vec![], vec![]);
}

#[test]
fn a_destination_already_copied_is_skipped_and_the_other_starts() {
    let skips = vec![(to(1, WEST), "already copied by copy job j1")];
    swept_one(
        vec![job("j1", 1, WEST, Completed, 0)],
        vec![(1, ISOLATED, 1, None)],
        vec![],
        skips,
    );
}

#[test]
fn a_point_copied_to_every_destination_starts_nothing() {
    let jobs = vec![
        job("j1", 1, WEST, Completed, 0),
        job("j2", 1, ISOLATED, Completed, 5),
    ];
    let skips = vec![
        (to(1, WEST), "already copied by copy job j1"),
        (to(1, ISOLATED), "already copied by copy job j2"),
    ];
    swept_one(jobs, vec![], vec![], skips);
}

#[test]
fn a_running_copy_is_left_alone_and_the_other_destination_queues_behind_it() {
    let copies = vec![(1, ISOLATED, 1, Some("copy job j1 (RUNNING)"))];
    let skips = vec![(to(1, WEST), "copy job j1 is RUNNING")];
    swept_one(vec![job("j1", 1, WEST, Running, 0)], copies, vec![], skips);
}

#[test]
fn a_copy_still_in_created_is_left_alone_and_the_other_queues_behind_it() {
    let copies = vec![(1, WEST, 1, Some("copy job j1 (CREATED)"))];
    let skips = vec![(to(1, ISOLATED), "copy job j1 is CREATED")];
    swept_one(
        vec![job("j1", 1, ISOLATED, Created, 0)],
        copies,
        vec![],
        skips,
    );
}

#[test]
fn after_one_failure_the_second_attempt_starts_with_the_other_destination() {
    let copies = vec![(1, WEST, 2, None), (1, ISOLATED, 1, Some(OURS))];
    swept_one(vec![job("j1", 1, WEST, Failed, 0)], copies, vec![], vec![]);
}

#[test]
fn a_partial_composite_copy_counts_as_a_failed_attempt() {
    let jobs = vec![
        job("j1", 1, WEST, Failed, 0),
        job("j2", 1, WEST, Partial, 10),
    ];
    let copies = vec![(1, WEST, 3, None), (1, ISOLATED, 1, Some(OURS))];
    swept_one(jobs, copies, vec![], vec![]);
}

#[test]
fn a_failure_followed_by_a_success_counts_as_copied() {
    let jobs = vec![
        job("j1", 1, WEST, Failed, 0),
        job("j2", 1, WEST, Completed, 10),
    ];
    let skips = vec![(to(1, WEST), "already copied by copy job j2")];
    swept_one(jobs, vec![(1, ISOLATED, 1, None)], vec![], skips);
}

#[test]
fn exhausted_attempts_alert_naming_the_last_failure_and_the_other_destination_goes_on() {
    let jobs = vec![
        job("j1", 1, WEST, Failed, 0),
        job("j3", 1, WEST, Failed, 20),
        job("j2", 1, WEST, Failed, 10),
    ];
    let alert = "CopyAttemptsExhausted: 3 copy attempts failed (BACKUP_COPY_MAX_ATTEMPTS is 3); the last, copy job j3, ended with: j3 failed; not retried again";
    swept_one(
        jobs,
        vec![(1, ISOLATED, 1, None)],
        vec![(to(1, WEST), alert)],
        vec![],
    );
}

#[test]
fn a_copy_of_another_recovery_point_of_the_resource_makes_both_destinations_queue() {
    let other = CopyJob {
        source_recovery_point_arn: Some(rp(9)),
        ..job("j9", 1, ISOLATED, Running, 0)
    };
    let queued = Some("copy job j9 (RUNNING)");
    swept_one(
        vec![other],
        vec![(1, WEST, 1, queued), (1, ISOLATED, 1, queued)],
        vec![],
        vec![],
    );
}

#[test]
fn a_copy_of_another_resource_does_not_make_this_one_queue() {
    swept_one(
        vec![job("j5", 5, WEST, Running, 0)],
        both_of_one(),
        vec![],
        vec![],
    );
}

#[test]
fn a_backup_job_in_flight_on_the_resource_makes_its_copies_queue_behind_it() {
    for state in [
        BackupJobState::Created,
        BackupJobState::Pending,
        BackupJobState::Running,
    ] {
        let mut f = facts(sweep(), vec![point(1)], vec![]);
        let backup_job = |id: &str, n: u32, state| BackupJob {
            id: id.into(),
            resource_arn: Some(volume(n)),
            state,
        };
        f.backup_jobs = vec![
            backup_job("bj-1", 1, state.clone()),
            backup_job("bj-other", 7, BackupJobState::Running),
        ];
        let queued = format!("backup job bj-1 ({state})");
        let got = plan(&config(), &f);
        let behind: Vec<Option<&str>> = got
            .actions
            .iter()
            .map(|c| c.queued_behind.as_deref())
            .collect();
        assert_eq!(behind, [Some(queued.as_str()); 2], "{state}");
    }
}

/// Asserts that a sweep of `p` under `cfg` copies nothing and skips it for `reason`.
fn not_copied(p: RecoveryPoint, cfg: &BackupConfig, reason: &'static str) {
    let arn = p.arn.clone();
    let expected = Expected {
        copies: vec![],
        alerts: vec![],
        skips: vec![(arn, reason)],
    };
    check(cfg, &facts(sweep(), vec![p], vec![]), expected);
}

/// Recovery point 1, changed by `change`.
fn altered(change: impl FnOnce(&mut RecoveryPoint)) -> RecoveryPoint {
    let mut p = point(1);
    change(&mut p);
    p
}

fn with_status(status: RecoveryPointStatus) -> RecoveryPoint {
    altered(|p| p.status = status)
}

fn types_ebs_and_rds() -> BackupConfig {
    let mut config = config();
    config.vaults.resource_types = vec!["EBS".into(), "RDS".into()];
    config
}

#[test]
fn a_partial_composite_recovery_point_is_not_copied() {
    let reason = "status PARTIAL: only COMPLETED and AVAILABLE recovery points are copied";
    not_copied(with_status(RecoveryPointStatus::Partial), &config(), reason);
}

#[test]
fn expired_deleting_creating_and_stopped_recovery_points_are_not_copied() {
    not_copied(
        with_status(RecoveryPointStatus::Expired),
        &config(),
        "status EXPIRED",
    );
    not_copied(
        with_status(RecoveryPointStatus::Deleting),
        &config(),
        "status DELETING",
    );
    not_copied(
        with_status(RecoveryPointStatus::Creating),
        &config(),
        "status CREATING",
    );
    not_copied(
        with_status(RecoveryPointStatus::Stopped),
        &config(),
        "status STOPPED",
    );
}

#[test]
fn a_status_this_build_does_not_know_is_not_copied() {
    not_copied(
        with_status(RecoveryPointStatus::from(None)),
        &config(),
        "status UNKNOWN",
    );
}

#[test]
fn a_continuous_recovery_point_is_not_copied() {
    let pitr = RecoveryPoint {
        arn: "arn:aws:backup:us-east-1:123456789012:recovery-point:continuous:db-orders-4e8c1a3b"
            .into(),
        status: RecoveryPointStatus::Available,
        ..point(1)
    };
    let reason =
        "continuous (point-in-time) backup: StartCopyJob does not support continuous backups";
    not_copied(pitr, &config(), reason);
}

#[test]
fn a_point_in_cold_storage_or_the_archive_tier_is_not_copied() {
    let cold = altered(|p| p.storage_class = Some(StorageClass::Cold));
    let reason =
        "in cold storage (or the archive tier): AWS Backup cannot copy backups in cold storage";
    not_copied(cold, &config(), reason);
}

#[test]
fn a_point_whose_storage_is_deleted_is_not_copied() {
    let deleted = altered(|p| p.storage_class = Some(StorageClass::Deleted));
    not_copied(deleted, &config(), "storage class DELETED");
}

#[test]
fn a_member_of_a_composite_is_not_copied_on_its_own() {
    let member = altered(|p| p.parent_arn = Some(rp(100)));
    let reason = "member of composite recovery point arn:aws:backup:us-east-1:123456789012:recovery-point:rp-0100";
    not_copied(member, &config(), reason);
}

#[test]
fn a_resource_type_not_configured_is_not_copied() {
    let dynamo = altered(|p| p.resource_type = Some("DynamoDB".into()));
    not_copied(
        dynamo,
        &types_ebs_and_rds(),
        "resource type DynamoDB is not in BACKUP_RESOURCE_TYPES",
    );
}

#[test]
fn an_unknown_resource_type_is_not_copied_when_types_are_configured() {
    let unknown = altered(|p| p.resource_type = None);
    not_copied(unknown, &types_ebs_and_rds(), "resource type unknown");
}

#[test]
fn a_point_in_a_vault_outside_the_allowlist_is_not_copied() {
    let scratch = altered(|p| p.vault_name = "scratch".into());
    not_copied(
        scratch,
        &config(),
        "source vault `scratch` is not in BACKUP_SOURCE_VAULTS",
    );
}

#[test]
fn available_and_warm_recovery_points_are_copied() {
    let available = RecoveryPoint {
        status: RecoveryPointStatus::Available,
        storage_class: Some(StorageClass::Warm),
        ..point(1)
    };
    swept(vec![available], vec![], both_of_one(), vec![], vec![]);
}

#[test]
fn resource_types_match_without_regard_to_case() {
    let rds = altered(|p| p.resource_type = Some("rds".into()));
    let expected = Expected::of(both_of_one(), vec![]);
    check(
        &types_ebs_and_rds(),
        &facts(sweep(), vec![rds], vec![]),
        expected,
    );
}

#[test]
fn destination_equal_to_the_source_vault_is_skipped() {
    let mut cfg = config();
    cfg.vaults.destinations.insert(
        0,
        Destination {
            vault_arn: arn(PRIMARY),
            lifecycle: None,
        },
    );
    let skips = vec![(to(1, PRIMARY), "destination is the source vault")];
    let expected = Expected::of(both_of_one(), skips);
    check(&cfg, &facts(sweep(), vec![point(1)], vec![]), expected);
}

fn region_quota(quota: usize) -> BackupConfig {
    BackupConfig {
        region_copy_quota: quota,
        ..config()
    }
}

#[test]
fn the_region_quota_counts_the_copies_in_flight_to_that_region() {
    let busy_west = vec![
        job("j7", 7, WEST, Running, 0),
        job("j8", 8, WEST, Created, 0),
        job("j9", 9, WEST, Completed, 0),
    ];
    let skips = vec![
        (to(2, WEST), "deferred: 2 copy jobs already in flight to us-west-2, the quota is 2 (BACKUP_REGION_COPY_QUOTA)"),
        (to(1, WEST), "deferred: 2 copy jobs already in flight"),
    ];
    let copies = vec![(2, ISOLATED, 1, None), (1, ISOLATED, 1, None)];
    let f = facts(sweep(), vec![point(1), point(2)], busy_west);
    check(&region_quota(2), &f, Expected::of(copies, skips));
}

#[test]
fn the_region_quota_counts_the_copies_planned_in_the_run() {
    let copies = vec![
        (3, WEST, 1, None),
        (3, ISOLATED, 1, Some(OURS)),
        (2, ISOLATED, 1, None),
    ];
    let skips = vec![
        (
            to(2, WEST),
            "deferred: 2 copy jobs already in flight to us-west-2",
        ),
        (to(1, WEST), "deferred: 2 copy jobs"),
        (
            to(1, ISOLATED),
            "deferred: 2 copy jobs already in flight to us-east-1",
        ),
    ];
    let f = facts(
        sweep(),
        vec![point(1), point(2), point(3)],
        vec![job("j7", 7, WEST, Running, 0)],
    );
    check(&region_quota(2), &f, Expected::of(copies, skips));
}

#[test]
fn cross_account_copies_of_one_resource_to_one_region_stop_at_thirty() {
    // 29 cross-account copies of volume 1 in flight, from other recovery points.
    let jobs: Vec<CopyJob> = (0..29)
        .map(|i| CopyJob {
            source_recovery_point_arn: Some(rp(100 + i)),
            ..job(&format!("x{i}"), 1, ISOLATED, Created, 0)
        })
        .collect();
    let older = RecoveryPoint {
        resource_arn: Some(volume(1)),
        ..point(2)
    };
    let queued = Some("copy job x0 (CREATED)");
    let copies = vec![
        (2, WEST, 1, queued),
        (2, ISOLATED, 1, queued),
        (1, WEST, 1, queued),
    ];
    let skips = vec![(
        to(1, ISOLATED),
        "deferred: 30 cross-account copies of this resource to us-east-1 already in flight, AWS Backup's quota is 30",
    )];
    let f = facts(sweep(), vec![point(1), older], jobs);
    check(&region_quota(1000), &f, Expected::of(copies, skips));
}

#[test]
fn a_deferral_past_half_the_sweep_window_is_reported_as_an_incomplete_fan_out() {
    let mut f = facts(
        sweep(),
        vec![point(1)],
        vec![job("j7", 7, WEST, Running, 0)],
    );
    f.observed_at = T0 + 13 * 3600;
    let alert = "FanOutIncomplete: not copied, and the recovery point is 12 hours old, past half the sweep window: 1 copy jobs already in flight to us-west-2";
    let expected = Expected {
        copies: vec![(1, ISOLATED, 1, None)],
        alerts: vec![(to(1, WEST), alert)],
        skips: vec![],
    };
    check(&region_quota(1), &f, expected);
}

#[test]
fn failed_copies_a_sweep_had_no_room_for_are_named_in_the_report() {
    let mut f = facts(sweep(), vec![], vec![]);
    f.unexamined_failures = 3;
    let skips = vec![(
        "failed copies of older recovery points".into(),
        "3 more recovery points older than the sweep window have a failed copy",
    )];
    check(&config(), &f, Expected::of(vec![], skips));
}

/// What a request for recovery point `n` (to `only`, or everywhere) plans given `f`.
fn requested_case(
    scope: Scope,
    points: Vec<RecoveryPoint>,
    jobs: Vec<CopyJob>,
    copies: Copies,
    skips: Reasons,
) {
    check(
        &config(),
        &facts(scope, points, jobs),
        Expected::of(copies, skips),
    );
}

#[test]
fn a_retry_goes_to_its_destination_only() {
    let jobs = vec![job("j1", 1, ISOLATED, Failed, 0)];
    requested_case(
        requested(1, Some(ISOLATED)),
        vec![point(1)],
        jobs,
        vec![(1, ISOLATED, 2, None)],
        vec![],
    );
}

#[test]
fn a_named_point_goes_to_every_destination_still_lacking_a_copy() {
    let jobs = vec![job("j1", 1, WEST, Completed, 0)];
    let skips = vec![(to(1, WEST), "already copied by copy job j1")];
    requested_case(
        requested(1, None),
        vec![point(1)],
        jobs,
        vec![(1, ISOLATED, 1, None)],
        skips,
    );
}

#[test]
fn a_named_point_not_found_is_skipped_with_the_reason_observe_gave() {
    let mut f = facts(requested(4, None), vec![], vec![]);
    let reason = "not found in the source vaults searched (primary)";
    f.unreadable.insert(rp(4), reason.into());
    check(
        &config(),
        &f,
        Expected {
            copies: vec![],
            alerts: vec![],
            skips: vec![(rp(4), reason)],
        },
    );
}

#[test]
fn a_named_point_not_found_without_a_reason_is_skipped_as_not_found() {
    let skips = vec![(rp(5), "not found in the source vaults")];
    requested_case(requested(5, None), vec![point(1)], vec![], vec![], skips);
}

#[test]
fn the_scope_skips_come_before_the_plan_skips() {
    let mut scope = requested(5, None);
    scope.skip("snap-0123", "not a recovery point ARN");
    let skips = vec![
        ("snap-0123".into(), "not a recovery point ARN"),
        (rp(5), "not found"),
    ];
    requested_case(scope, vec![], vec![], vec![], skips);
}

#[test]
fn known_outcomes_are_alerts_and_copies_are_actions() {
    let jobs = vec![
        job("j1", 1, WEST, Failed, 0),
        job("j2", 1, WEST, Failed, 1),
        job("j3", 1, WEST, Failed, 2),
    ];
    let got = plan(&config(), &facts(sweep(), vec![point(1)], jobs));
    assert_eq!(
        got.outcomes
            .iter()
            .map(|o| o.target.clone())
            .collect::<Vec<_>>(),
        [to(1, WEST)]
    );
    assert_eq!(
        got.actions.iter().map(Copy::target).collect::<Vec<_>>(),
        [to(1, ISOLATED)]
    );
}

mod samples;
mod triggers;

mod measures {
    use super::*;

    fn values(m: &Measures) -> Vec<(&str, f64)> {
        m.iter().map(|m| (m.name.as_str(), m.values[0])).collect()
    }

    #[test]
    fn coverage_counts_only_completed_copies_of_every_wanted_destination() {
        let jobs = vec![
            job("c-1", 1, WEST, Completed, 1),
            job("c-2", 1, ISOLATED, Running, 2),
            job("c-3", 2, WEST, Failed, 3),
            job("c-4", 2, ISOLATED, Created, 4),
        ];
        let facts = facts(sweep(), vec![point(1), point(2)], jobs);
        let started = TargetOutcome::done(to(2, WEST), START_COPY_JOB, None);
        let m = measure(&config(), &facts, &[started]);
        assert_eq!(
            values(&m),
            [
                ("CopiesStarted", 1.0),
                ("CopiesQueued", 1.0),
                ("CopiesFailed", 1.0),
                ("CopiesExpected", 4.0),
                ("CopiesCompleted", 1.0),
                ("CopyCoveragePercent", 25.0),
            ]
        );
    }

    #[test]
    fn nothing_to_copy_is_full_coverage() {
        let m = measure(&config(), &facts(sweep(), Vec::new(), Vec::new()), &[]);
        let coverage = m.iter().find(|m| m.name == "CopyCoveragePercent");
        assert_eq!(coverage.map(|m| m.values.clone()), Some(vec![100.0]));
    }
}
