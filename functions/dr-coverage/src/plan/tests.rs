//! The coverage plan over facts written out: copies, DRS servers and MGN servers.

use super::*;
use crate::model::LaunchStatus;
use crate::model::{
    BackupFacts, CopyJobState as Job, LastLaunch, MgnLifeCycle as Life, MgnReplicationState as Mgn,
};
use crate::testing::*;
use dr_core::report::OutcomeResult;
use dr_testkit::triggers::schedule;

mod samples;

/// Facts of the Backup part only: `points` in the window, `older` points, `jobs`.
fn backup(points: Vec<RecoveryPoint>, older: Vec<OlderPoint>, jobs: Vec<CopyJob>) -> Facts {
    Facts {
        observed_at: NOW,
        backup: Some(BackupFacts {
            window_start: NOW - 7 * DAY,
            points,
            older,
            unexamined: 0,
            copy_jobs: jobs,
        }),
        ..Facts::default()
    }
}

/// Each outcome as (target, result, state, detail).
fn outcomes(facts: &Facts) -> Vec<(String, OutcomeResult, String, String)> {
    let plan = plan(&config(), &schedule(), facts);
    assert!(plan.actions.is_empty());
    plan.outcomes
        .into_iter()
        .map(|o| {
            (
                o.target,
                o.result,
                o.state.unwrap_or_default(),
                o.detail.unwrap_or_default(),
            )
        })
        .collect()
}

/// The outcome of recovery point `n` to `dest`.
fn pair(facts: &Facts, n: u32, dest: &str) -> (OutcomeResult, String, String) {
    let target = copy_target(&rp(n), dest);
    outcomes(facts)
        .into_iter()
        .find(|(t, ..)| *t == target)
        .map(|(_, r, s, d)| (r, s, d))
        .unwrap_or_else(|| panic!("no outcome for {target}"))
}

/// A case of the copy table: what it shows, the jobs, the point's age, and the outcome's
/// result, state and detail.
type Case = (
    &'static str,
    Vec<CopyJob>,
    i64,
    OutcomeResult,
    &'static str,
    &'static str,
);

#[test]
fn each_destination_of_a_recovery_point_is_judged_from_its_copy_jobs() {
    use OutcomeResult::{Failed, Unchanged};
    let cases: [Case; 7] = [
        (
            "a completed copy covers",
            vec![job("cj-1", 1, WEST, Job::Completed, 3_000)],
            DAY,
            Unchanged,
            "COVERED",
            "copy job cj-1 completed at 2026-11-20T09:11:00Z: arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west/copy-of-1",
        ),
        (
            "a copy in flight is copying, not failed",
            vec![job("cj-2", 1, WEST, Job::Running, 600)],
            DAY,
            Unchanged,
            "COPYING",
            "copy job cj-2 is RUNNING since 2026-11-20T09:50:00Z: not covered yet",
        ),
        (
            "no copy job within the grace is pending",
            vec![],
            600,
            Unchanged,
            "PENDING",
            "no copy job yet; the recovery point is 10m old, within COVERAGE_COPY_GRACE (1h)",
        ),
        (
            "no copy job past the grace is missing",
            vec![],
            2 * 3_600,
            Failed,
            "MISSING",
            "CopyMissing: no copy job of this recovery point to this destination since 2026-11-13T10:00:00Z: the destination holds no copy made by AWS Backup",
        ),
        (
            "a failed copy fails with its status message",
            vec![job("cj-3", 1, WEST, Job::Failed, 3_000)],
            DAY,
            Failed,
            "FAILED",
            "CopyFailed: copy job cj-3 FAILED at 2026-11-20T09:11:00Z: cj-3 failed; no copy job to this destination completed",
        ),
        (
            "a completed retry covers after a failure",
            vec![
                job("cj-4", 1, WEST, Job::Failed, 6_000),
                job("cj-5", 1, WEST, Job::Completed, 3_000),
            ],
            DAY,
            Unchanged,
            "COVERED",
            "copy job cj-5 completed at 2026-11-20T09:11:00Z: arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west/copy-of-1",
        ),
        (
            "a retry in flight after a failure is copying",
            vec![
                job("cj-6", 1, WEST, Job::Failed, 6_000),
                job("cj-7", 1, WEST, Job::Created, 60),
            ],
            DAY,
            Unchanged,
            "COPYING",
            "copy job cj-7 is CREATED since 2026-11-20T09:59:00Z: not covered yet",
        ),
    ];
    for (case, jobs, age, result, state, detail) in cases {
        let facts = backup(vec![point(1, age)], vec![], jobs);
        let got = pair(&facts, 1, WEST);
        assert_eq!(got, (result, state.into(), detail.into()), "{case}");
    }
}

#[test]
fn a_missing_copy_names_the_point_and_the_destination_and_is_not_retryable() {
    let facts = backup(
        vec![point(1, DAY)],
        vec![],
        vec![job("cj-1", 1, WEST, Job::Completed, 100)],
    );
    let plan = plan(&config(), &schedule(), &facts);
    let missing: Vec<&TargetOutcome> = plan
        .outcomes
        .iter()
        .filter(|o| o.result == OutcomeResult::Failed)
        .collect();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].target, format!("{} -> {ISOLATED}", rp(1)));
    assert_eq!(missing[0].action, COPY_COVERAGE);
    assert!(!missing[0].retryable);
}

#[test]
fn a_destination_in_another_account_and_region_is_covered_by_the_source_accounts_copy_job() {
    let facts = backup(
        vec![point(1, DAY)],
        vec![],
        vec![job("cj-1", 1, ISOLATED, Job::Completed, 100)],
    );
    assert_eq!(pair(&facts, 1, ISOLATED).1, "COVERED");
}

#[test]
fn points_are_reported_newest_first_each_destination_in_configured_order() {
    let facts = backup(vec![point(1, 3 * DAY), point(2, DAY)], vec![], vec![]);
    let targets: Vec<String> = outcomes(&facts).into_iter().map(|(t, ..)| t).collect();
    assert_eq!(
        targets,
        [
            copy_target(&rp(2), WEST),
            copy_target(&rp(2), ISOLATED),
            copy_target(&rp(1), WEST),
            copy_target(&rp(1), ISOLATED),
        ]
    );
}

#[test]
fn points_the_fan_out_does_not_copy_are_skipped_with_the_reason() {
    let continuous = RecoveryPoint {
        arn: "arn:aws:backup:us-east-1:123456789012:recovery-point:continuous:db-1".into(),
        ..point(1, DAY)
    };
    let member = RecoveryPoint {
        parent_arn: Some(rp(9)),
        ..point(2, DAY)
    };
    let creating = RecoveryPoint {
        status: crate::model::RecoveryPointStatus::Creating,
        ..point(3, DAY)
    };
    let in_destination = RecoveryPoint {
        vault_arn: Some(WEST.into()),
        ..point(4, DAY)
    };
    let facts = backup(
        vec![continuous, member, creating, in_destination],
        vec![],
        vec![],
    );
    let plan = plan(&config(), &schedule(), &facts);
    let reasons: Vec<(String, String)> = plan
        .skips
        .listed()
        .iter()
        .map(|s| (s.target.clone(), s.reason.clone()))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                "arn:aws:backup:us-east-1:123456789012:recovery-point:continuous:db-1".to_owned(),
                "continuous (point-in-time) backup: StartCopyJob does not support continuous \
                 backups, so no copy is expected"
                    .to_owned()
            ),
            (
                rp(2),
                format!(
                    "member of composite recovery point {}, which is copied as a whole",
                    rp(9)
                )
            ),
            (
                rp(3),
                "status CREATING: only COMPLETED and AVAILABLE recovery points are copied"
                    .to_owned()
            ),
            (
                copy_target(&rp(4), WEST),
                "destination is the source vault".to_owned()
            ),
        ]
    );
    assert_eq!(
        plan.outcomes.len(),
        1,
        "only point 4 to the other destination"
    );
}

#[test]
fn a_resource_type_outside_backup_resource_types_is_not_expected_to_be_copied() {
    let mut config = config();
    if let Some(b) = config.backup.as_mut() {
        b.resource_types = vec!["RDS".into()];
    }
    let got = plan(
        &config,
        &schedule(),
        &backup(vec![point(1, DAY)], vec![], vec![]),
    );
    assert!(got.outcomes.is_empty());
    assert_eq!(
        got.skips.listed()[0].reason,
        "resource type EBS is not in BACKUP_RESOURCE_TYPES"
    );
}

#[test]
fn an_older_point_with_an_incomplete_fan_out_is_reported_for_every_destination() {
    let old = point(7, 20 * DAY);
    let facts = backup(
        vec![],
        vec![OlderPoint::Found(old)],
        vec![job("cj-1", 7, WEST, Job::Failed, 19 * DAY)],
    );
    assert_eq!(pair(&facts, 7, WEST).1, "FAILED");
    assert_eq!(pair(&facts, 7, ISOLATED).1, "MISSING");
}

#[test]
fn an_older_point_whose_failed_copy_was_redone_is_left_out() {
    let facts = backup(
        vec![],
        vec![OlderPoint::Found(point(7, 20 * DAY))],
        vec![
            job("cj-1", 7, WEST, Job::Failed, 19 * DAY),
            job("cj-2", 7, WEST, Job::Completed, 18 * DAY),
            job("cj-3", 7, ISOLATED, Job::Completed, 19 * DAY),
        ],
    );
    let got = plan(&config(), &schedule(), &facts);
    assert!(got.outcomes.is_empty(), "{:?}", got.outcomes);
    assert_eq!(got.skips.listed()[0].target, rp(7));
}

#[test]
fn a_point_of_the_window_whose_fan_out_is_complete_is_still_reported_covered() {
    let facts = backup(
        vec![point(1, DAY)],
        vec![],
        vec![
            job("cj-1", 1, WEST, Job::Completed, 100),
            job("cj-2", 1, ISOLATED, Job::Completed, 100),
        ],
    );
    let states: Vec<String> = outcomes(&facts).into_iter().map(|(_, _, s, _)| s).collect();
    assert_eq!(states, ["COVERED", "COVERED"]);
}

#[test]
fn an_older_point_that_cannot_be_read_is_unverified_not_covered() {
    let facts = backup(
        vec![],
        vec![OlderPoint::Unreadable {
            arn: rp(8),
            reason: "AccessDeniedException: no".into(),
        }],
        vec![],
    );
    let (result, state, detail) = pair(&facts, 8, WEST);
    assert_eq!(
        (result, state.as_str()),
        (OutcomeResult::Failed, "UNVERIFIED")
    );
    assert!(detail.contains("AccessDeniedException: no"), "{detail}");
}

#[test]
fn older_points_left_unexamined_fail_the_run_as_unverified() {
    let mut facts = backup(vec![], vec![], vec![]);
    if let Some(b) = facts.backup.as_mut() {
        b.unexamined = 3;
    }
    let got = outcomes(&facts);
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].1, got[0].2.as_str()),
        (OutcomeResult::Failed, "UNVERIFIED")
    );
    assert!(got[0].3.contains("3 more recovery points"), "{}", got[0].3);
}

#[test]
fn a_copy_job_listed_twice_counts_once() {
    let twice = job("cj-1", 1, WEST, Job::Failed, 3_000);
    let facts = backup(vec![point(1, DAY)], vec![], vec![twice.clone(), twice]);
    assert_eq!(pair(&facts, 1, WEST).1, "FAILED");
}

/// Facts of the DRS part only.
fn drs(servers: Vec<DrsServer>, jobs: Vec<crate::model::LaunchJob>) -> Facts {
    Facts {
        observed_at: NOW,
        drs: Some(DrsFacts {
            servers,
            launch_jobs: jobs,
            jobs_since: NOW - 7 * DAY,
        }),
        ..Facts::default()
    }
}

#[test]
fn each_selected_drs_server_is_judged_on_replication_lag_and_drills() {
    use OutcomeResult::{Failed, Unchanged};
    let healthy = DrsServer {
        last_launch: Some(drilled(2 * DAY)),
        ..drs_server(1)
    };
    let stalled = DrsServer {
        state: DrsReplicationState::Stalled,
        replication_error: Some("AGENT_NOT_SEEN (no heartbeat)".into()),
        ..healthy.clone()
    };
    let stopped = DrsServer {
        state: DrsReplicationState::Stopped,
        ..healthy.clone()
    };
    let lagging = DrsServer {
        lag: Some(3_600),
        ..healthy.clone()
    };
    let never = drs_server(1);
    let old_drill = DrsServer {
        last_launch: Some(drilled(9 * DAY)),
        ..drs_server(1)
    };
    let failed_drill = DrsServer {
        last_launch: Some(LastLaunch {
            status: LaunchStatus::Failed,
            ..drilled(DAY)
        }),
        ..drs_server(1)
    };
    let cases: [(&str, DrsServer, OutcomeResult, &str); 7] = [
        (
            "healthy and drilled recently",
            healthy,
            Unchanged,
            "CONTINUOUS, lag 1m; last successful drill 2d ago (job drsjob-lastlaunch0001)",
        ),
        (
            "stalled",
            stalled,
            Failed,
            "ReplicationStalled: data replication is STALLED: AGENT_NOT_SEEN (no heartbeat)",
        ),
        (
            "stopped",
            stopped,
            Failed,
            "NotReplicating: data replication is STOPPED: no new data is protected",
        ),
        (
            "lag over DRS_MAX_LAG",
            lagging,
            Failed,
            "LagBeyondMax: replication lag 1h exceeds DRS_MAX_LAG (15m)",
        ),
        (
            "never drilled",
            never,
            Failed,
            "NeverDrilled: no successful drill found (in lifeCycle.lastLaunch, or a START_DRILL \
             launch job since 2026-11-13T10:00:00Z) and DRS_DRILL_EVERY is 7d",
        ),
        (
            "drill too old",
            old_drill,
            Failed,
            "DrillOverdue: the last successful drill was 9d ago, more than DRS_DRILL_EVERY (7d)",
        ),
        (
            "a failed last drill is no successful drill",
            failed_drill,
            Failed,
            "NeverDrilled: no successful drill found (in lifeCycle.lastLaunch, or a START_DRILL \
             launch job since 2026-11-13T10:00:00Z) and DRS_DRILL_EVERY is 7d",
        ),
    ];
    for (case, server, result, detail) in cases {
        let got = outcomes(&drs(vec![server], vec![]));
        assert_eq!(got.len(), 1, "{case}");
        assert_eq!((got[0].1, got[0].3.as_str()), (result, detail), "{case}");
    }
}

#[test]
fn every_problem_of_a_server_is_given_under_the_first_ones_code() {
    let server = DrsServer {
        state: DrsReplicationState::Paused,
        lag: Some(7_200),
        ..drs_server(1)
    };
    let got = outcomes(&drs(vec![server], vec![]));
    assert_eq!(got[0].2, "PAUSED");
    assert!(
        got[0]
            .3
            .starts_with("NotReplicating: data replication is PAUSED"),
        "{}",
        got[0].3
    );
    assert!(got[0].3.contains("; replication lag 2h"), "{}", got[0].3);
    assert!(
        got[0].3.contains("; no successful drill found"),
        "{}",
        got[0].3
    );
}

#[test]
fn a_completed_drill_job_in_which_the_server_launched_is_its_last_successful_drill() {
    let jobs = vec![
        drill_job(
            "drsjob-00000000000000001",
            &[1],
            LaunchStatus::Launched,
            3 * DAY,
        ),
        drill_job("drsjob-00000000000000002", &[1], LaunchStatus::Failed, DAY),
        drill_job(
            "drsjob-00000000000000003",
            &[2],
            LaunchStatus::Launched,
            3_600,
        ),
    ];
    let got = outcomes(&drs(vec![drs_server(1)], jobs));
    assert_eq!(got[0].1, OutcomeResult::Unchanged);
    assert!(
        got[0]
            .3
            .ends_with("last successful drill 3d ago (job drsjob-00000000000000001)"),
        "{}",
        got[0].3
    );
}

#[test]
fn a_recovery_job_is_no_drill() {
    let mut recovery = drill_job(
        "drsjob-00000000000000001",
        &[1],
        LaunchStatus::Launched,
        DAY,
    );
    recovery.initiated_by = InitiatedBy::StartRecovery;
    let got = outcomes(&drs(vec![drs_server(1)], vec![recovery]));
    assert_eq!(got[0].1, OutcomeResult::Failed);
}

#[test]
fn without_drs_drill_every_an_undrilled_server_is_healthy_and_says_so() {
    let mut config = config();
    if let Some(d) = config.drs.as_mut() {
        d.drill_every = None;
    }
    let got = plan(&config, &schedule(), &drs(vec![drs_server(1)], vec![]));
    assert_eq!(got.outcomes[0].result, OutcomeResult::Unchanged);
    assert_eq!(
        got.outcomes[0].detail.as_deref(),
        Some("CONTINUOUS, lag 1m; no successful drill found since 2026-11-13T10:00:00Z")
    );
}

#[test]
fn a_drs_server_outside_the_selection_is_skipped() {
    let other = DrsServer {
        tags: vec![("Env".into(), "dev".into())],
        ..drs_server(2)
    };
    let got = plan(&config(), &schedule(), &drs(vec![other], vec![]));
    assert!(got.outcomes.is_empty());
    assert_eq!(got.skips.listed()[0].target, sid(2).as_str());
}

#[test]
fn mgn_servers_fail_when_stalled_or_disconnected_before_cutover() {
    use OutcomeResult::{Failed, Unchanged};
    let cases = [
        (Life::ReadyForTest, Mgn::Continuous, Unchanged),
        (Life::NotReady, Mgn::InitialSync, Unchanged),
        (Life::ReadyForTest, Mgn::Stalled, Failed),
        (Life::Disconnected, Mgn::Disconnected, Failed),
        (Life::Cutover, Mgn::Disconnected, Unchanged),
    ];
    for (life, replication, result) in cases {
        let server = mgn_server(1, life.clone(), replication.clone());
        let facts = Facts {
            observed_at: NOW,
            mgn: Some(vec![server]),
            ..Facts::default()
        };
        let got = outcomes(&facts);
        let case = format!("{}/{}", life.as_str(), replication.as_str());
        assert_eq!(
            (got[0].1, got[0].2.as_str()),
            (result, case.as_str()),
            "{case}"
        );
    }
}

#[test]
fn a_stalled_mgn_server_says_why() {
    let mut server = mgn_server(1, Life::ReadyForTest, Mgn::Stalled);
    server.replication_error = Some("AGENT_NOT_SEEN".into());
    let facts = Facts {
        observed_at: NOW,
        mgn: Some(vec![server]),
        ..Facts::default()
    };
    assert_eq!(
        outcomes(&facts)[0].3,
        "ReplicationStalled: mgn-1: data replication is STALLED: AGENT_NOT_SEEN"
    );
}

#[test]
fn a_service_not_configured_is_not_reported_even_when_read() {
    let mut config = config();
    config.backup = None;
    let got = plan(
        &config,
        &schedule(),
        &backup(vec![point(1, DAY)], vec![], vec![]),
    );
    assert!(got.outcomes.is_empty() && got.skips.is_empty());
}

#[test]
fn an_event_other_than_a_schedule_or_direct_invoke_is_skipped_and_nothing_judged() {
    let alarm = dr_testkit::triggers::on(Event::Alarm(dr_testkit::triggers::alarm(
        "app-down",
        dr_core::trigger::AlarmState::Alarm,
        &[],
    )));
    let got = plan(
        &config(),
        &alarm,
        &backup(vec![point(1, DAY)], vec![], vec![]),
    );
    assert!(got.outcomes.is_empty());
    assert_eq!(
        got.skips.listed()[0].reason,
        "alarm app-down (ALARM): not handled by dr-coverage"
    );
    assert!(!asks_coverage(&alarm));
}

#[test]
fn a_direct_invoke_covers_the_whole_target_and_skips_the_targets_it_names() {
    let direct = dr_testkit::triggers::direct(&["s-00000000000000001"]);
    assert!(asks_coverage(&direct));
    let got = plan(
        &config(),
        &direct,
        &backup(vec![point(1, DAY)], vec![], vec![]),
    );
    assert_eq!(got.outcomes.len(), 2);
    assert_eq!(got.skips.listed()[0].target, "s-00000000000000001");
}
