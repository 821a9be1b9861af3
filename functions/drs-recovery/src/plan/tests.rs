use super::*;
use crate::config::{JobQuotas, DRS_QUOTAS};
use crate::model::{ExecutionStatus, LogEvent, PlanExecution, TAG_REPORTED};
use crate::testing::{config, id, instance, instance_id, own_job, server, sid, NOW};
use dr_core::fleet::Target;
use dr_core::function::Action;
use dr_core::report::OutcomeResult;
use dr_core::trigger::{AlarmState, Event, Trigger};
use dr_testkit::triggers::{
    alarm, direct, direct_launch, drs_failback_change, drs_launch_result, on, schedule,
};
use ReplicationState::{Continuous, InitialSync, Stalled, Stopped};

fn recovering(max_servers: usize) -> RecoveryConfig {
    let mut c = config();
    c.recovery.enabled = true;
    c.recovery.max_servers = max_servers;
    c
}

fn facts(servers: Vec<SourceServer>) -> Facts {
    Facts {
        observed_at: NOW,
        servers,
        ..Facts::default()
    }
}

/// The plan of `trigger` over one target with `facts`.
fn plan_for(config: &RecoveryConfig, trigger: &Trigger, facts: Facts) -> Plan<Call> {
    let home = Target::home(None, None);
    let mut plans = plan(
        config,
        &[Observed {
            target: &home,
            trigger: trigger.clone(),
            facts,
        }],
    );
    assert_eq!(plans.len(), 1, "one plan per observed target");
    plans.remove(0)
}

/// The servers a plan launches, as `(id, mode, batch)`.
fn launches(plan: &Plan<Call>) -> Vec<(String, &'static str, usize)> {
    plan.actions
        .iter()
        .filter_map(|c| match c {
            Call::Launch {
                mode,
                batch,
                server,
            } => Some((server.source_server_id.to_string(), mode.as_str(), *batch)),
            _ => None,
        })
        .collect()
}

/// The instances a plan terminates.
fn terminations(plan: &Plan<Call>) -> Vec<String> {
    plan.actions
        .iter()
        .filter_map(|c| match c {
            Call::Terminate { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect()
}

/// The reason the plan skips `target` with, if it does.
fn skip_of(plan: &Plan<Call>, target: &str) -> Option<String> {
    plan.skips
        .listed()
        .iter()
        .find(|s| s.target == target)
        .map(|s| s.reason.clone())
}

fn ids(ns: &[u32]) -> Vec<(String, &'static str, usize)> {
    ns.iter().map(|n| (id(*n), "drill", 0)).collect()
}

#[test]
fn a_schedule_drills_every_selected_healthy_server() {
    let mut dev = server(3, Continuous);
    dev.tags = vec![("Env".into(), "dev".into())];
    let plan = plan_for(
        &config(),
        &schedule(),
        facts(vec![server(1, Continuous), server(2, Continuous), dev]),
    );
    assert_eq!(launches(&plan), ids(&[1, 2]));
    assert_eq!(
        skip_of(&plan, &id(3)),
        None,
        "unselected servers are not listed"
    );
}

#[test]
fn servers_that_are_not_ready_are_skipped_with_the_reason() {
    let mut lagging = server(1, Continuous);
    lagging.lag = Some(20 * 60);
    let mut stalled = server(2, Stalled);
    stalled.replication_error = Some("AGENT_NOT_SEEN (no heartbeat)".into());
    let cases: Vec<(SourceServer, &str)> = vec![
        (
            lagging,
            "scheduled drill: lagging: replication lag 20m is over DRS_MAX_LAG 15m",
        ),
        (
            stalled,
            "scheduled drill: stalled: AGENT_NOT_SEEN (no heartbeat)",
        ),
        (
            server(3, InitialSync),
            "scheduled drill: no snapshot: INITIAL_SYNC, the initial sync has not completed",
        ),
        (
            server(4, Stopped),
            "scheduled drill: no snapshot: replication is STOPPED",
        ),
        (
            server(5, ReplicationState::Backlog),
            "scheduled drill: BACKLOG: not in continuous data protection",
        ),
    ];
    for (s, want) in cases {
        let target = s.id.to_string();
        let plan = plan_for(&config(), &schedule(), facts(vec![s]));
        assert!(launches(&plan).is_empty(), "{target}");
        let got = skip_of(&plan, &target).unwrap_or_default();
        assert!(
            got.starts_with(want),
            "{target}: got `{got}`, want `{want}...`"
        );
    }
}

#[test]
fn a_server_with_a_launch_job_in_progress_is_not_launched_again() {
    let mut f = facts(vec![server(1, Continuous)]);
    f.jobs = vec![own_job(
        "drsjob-1",
        true,
        JobStatus::Started,
        NOW - 7_200,
        &[(1, LaunchStatus::InProgress)],
    )];
    let plan = plan_for(&config(), &schedule(), f);
    assert!(launches(&plan).is_empty());
    assert_eq!(
        skip_of(&plan, &id(1)).as_deref(),
        Some("scheduled drill: job in progress: drill job drsjob-1 is STARTED")
    );
}

#[test]
fn a_server_launched_in_the_same_mode_within_the_guard_is_not_launched_twice() {
    let mut f = facts(vec![server(1, Continuous)]);
    f.jobs = vec![own_job(
        "drsjob-1",
        true,
        JobStatus::Completed,
        NOW - 600,
        &[(1, LaunchStatus::Failed)],
    )];
    let plan = plan_for(&config(), &schedule(), f.clone());
    assert!(launches(&plan).is_empty());
    assert!(skip_of(&plan, &id(1)).unwrap_or_default().contains(
        "already launched: drill job drsjob-1 started 10m ago, within DRS_LAUNCH_GUARD 1h"
    ));
    f.jobs[0].created = Some(NOW - 3_601);
    assert_eq!(
        launches(&plan_for(&config(), &schedule(), f)),
        ids(&[1]),
        "after the guard"
    );
}

#[test]
fn an_existing_drill_instance_holds_back_the_next_drill_but_not_a_recovery() {
    let mut f = facts(vec![server(1, Continuous)]);
    f.instances = vec![instance(1, "drsjob-0", Some(true))];
    let drill = plan_for(&config(), &schedule(), f.clone());
    assert!(launches(&drill).is_empty());
    assert!(skip_of(&drill, &id(1))
        .unwrap_or_default()
        .contains("drill instance"));
    let recovery = plan_for(
        &recovering(5),
        &direct_launch(LaunchMode::Recovery, &[&id(1)]),
        f,
    );
    assert_eq!(launches(&recovery), vec![(id(1), "recovery", 0)]);
}

#[test]
fn a_recovered_server_is_never_launched_again_in_either_mode() {
    let mut f = facts(vec![server(1, Continuous)]);
    f.instances = vec![instance(1, "drsjob-0", Some(false))];
    for trigger in [schedule(), direct_launch(LaunchMode::Recovery, &[&id(1)])] {
        let plan = plan_for(&recovering(5), &trigger, f.clone());
        assert!(launches(&plan).is_empty(), "{}", trigger.describe());
        assert!(skip_of(&plan, &id(1))
            .unwrap_or_default()
            .contains("already launched: recovered"));
    }
}

#[test]
fn an_alarm_recovers_only_with_the_opt_in() {
    let mut c = config();
    c.choice.alarm_mapping.dimension =
        Some(("Host".into(), dr_core::drs::DimensionMatch::Hostname));
    let trigger = on(Event::Alarm(alarm(
        "host-1-down",
        AlarmState::Alarm,
        &[("Host", "host-1")],
    )));
    let f = facts(vec![server(1, Continuous), server(2, Continuous)]);
    let off = plan_for(&c, &trigger, f.clone());
    assert!(off.actions.is_empty());
    assert_eq!(
        skip_of(&off, &id(1)).as_deref(),
        Some(
            "alarm host-1-down in ALARM: ready, and a recovery would be launched, from an \
             on-demand snapshot, but real recovery is off (DRS_RECOVERY_ENABLED is not true)"
        )
    );
    c.recovery.enabled = true;
    c.recovery.max_servers = 10;
    let on = plan_for(&c, &trigger, f);
    assert_eq!(
        launches(&on),
        vec![(id(1), "recovery", 0)],
        "only the server it maps to"
    );
}

#[test]
fn recoveries_stop_at_the_maximum_for_the_run_across_the_fleet() {
    let trigger = direct_launch(LaunchMode::Recovery, &[&id(1), &id(2), &id(3)]);
    let (a, b) = (
        Target::home(Some("111111111111".into()), Some("us-east-1".into())),
        Target::home(Some("222222222222".into()), Some("us-east-1".into())),
    );
    let plans = plan(
        &recovering(2),
        &[
            Observed {
                target: &a,
                trigger: trigger.clone(),
                facts: facts(vec![server(1, Continuous)]),
            },
            Observed {
                target: &b,
                trigger,
                facts: facts(vec![server(2, Continuous), server(3, Continuous)]),
            },
        ],
    );
    assert_eq!(launches(&plans[0]), vec![(id(1), "recovery", 0)]);
    assert_eq!(launches(&plans[1]), vec![(id(2), "recovery", 0)]);
    assert!(skip_of(&plans[1], &id(3))
        .unwrap_or_default()
        .contains("this run already launches DRS_RECOVERY_MAX_SERVERS (2) recoveries"));
}

#[test]
fn a_recovery_takes_a_stalled_server_within_its_lag_bound_a_drill_does_not() {
    let mut stalled = server(1, Stalled);
    stalled.lag = Some(20 * 60);
    let f = facts(vec![stalled]);
    let recovery = plan_for(
        &recovering(5),
        &direct_launch(LaunchMode::Recovery, &[&id(1)]),
        f.clone(),
    );
    assert_eq!(launches(&recovery), vec![(id(1), "recovery", 0)]);
    let drill = plan_for(
        &recovering(5),
        &direct_launch(LaunchMode::Drill, &[&id(1)]),
        f,
    );
    assert!(launches(&drill).is_empty());
}

#[test]
fn a_server_whose_lag_is_unknown_outside_cdp_is_not_recovered() {
    let plan = plan_for(
        &recovering(5),
        &direct_launch(LaunchMode::Recovery, &[&id(1)]),
        facts(vec![server(1, Stalled)]),
    );
    assert!(launches(&plan).is_empty());
    assert!(skip_of(&plan, &id(1))
        .unwrap_or_default()
        .contains("DRS reports no replication lag"));
}

#[test]
fn a_direct_invoke_without_a_mode_drills_its_selected_targets() {
    let mut dev = server(2, Continuous);
    dev.tags = vec![("Env".into(), "dev".into())];
    let plan = plan_for(
        &config(),
        &direct(&[&id(1), &id(2), &id(9), "web-1"]),
        facts(vec![server(1, Continuous), dev]),
    );
    assert_eq!(launches(&plan), ids(&[1]));
    assert_eq!(
        skip_of(&plan, &id(2)).as_deref(),
        Some("outside the configured selection")
    );
    assert_eq!(
        skip_of(&plan, &id(9)).as_deref(),
        Some("no such source server in the targets of this run")
    );
    assert_eq!(
        skip_of(&plan, "web-1").as_deref(),
        Some("not a source server id")
    );
}

#[test]
fn launches_are_batched_into_jobs_within_the_quotas() {
    let servers: Vec<SourceServer> = (1..=250).map(|n| server(n, Continuous)).collect();
    let plan = plan_for(&config(), &schedule(), facts(servers));
    let batches: Vec<usize> = launches(&plan).iter().map(|(_, _, b)| *b).collect();
    assert_eq!(batches.len(), 250);
    assert_eq!(batches.iter().filter(|b| **b == 0).count(), 100);
    assert_eq!(batches.iter().filter(|b| **b == 1).count(), 100);
    assert_eq!(batches.iter().filter(|b| **b == 2).count(), 50);
}

#[test]
fn active_jobs_leave_the_rest_deferred_to_the_next_run() {
    let cases: Vec<(JobQuotas, u32, usize, usize)> = vec![
        // (quotas, active jobs of 50 servers each, servers wanted, launched)
        (DRS_QUOTAS, 0, 600, 500),
        (DRS_QUOTAS, 8, 600, 100),
        (DRS_QUOTAS, 10, 50, 0),
        (
            JobQuotas {
                active_jobs: 3,
                ..DRS_QUOTAS
            },
            1,
            300,
            200,
        ),
    ];
    for (quotas, active, wanted, want) in cases {
        let mut c = config();
        c.quotas = quotas;
        let mut f = facts(
            (1..=u32::try_from(wanted).unwrap())
                .map(|n| server(n, Continuous))
                .collect(),
        );
        f.jobs = (0..active)
            .map(|j| {
                let statuses: Vec<(u32, LaunchStatus)> = (0..50)
                    .map(|n| (10_000 + j * 50 + n, LaunchStatus::InProgress))
                    .collect();
                own_job(
                    &format!("drsjob-{j}"),
                    true,
                    JobStatus::Started,
                    NOW - 60,
                    &statuses,
                )
            })
            .collect();
        let plan = plan_for(&c, &schedule(), f);
        assert_eq!(
            launches(&plan).len(),
            want,
            "{quotas:?} with {active} active jobs"
        );
        if want < wanted {
            let first_deferred = u32::try_from(want + 1).unwrap();
            assert!(skip_of(&plan, &id(first_deferred))
                .unwrap_or_default()
                .starts_with("deferred to the next run"));
        }
    }
}

#[test]
fn a_completed_own_job_is_reported_once_with_its_evidence() {
    let mut job = own_job(
        "drsjob-1",
        true,
        JobStatus::Completed,
        NOW - 1_200,
        &[(1, LaunchStatus::Launched), (2, LaunchStatus::Failed)],
    );
    job.ended = Some(NOW - 600);
    let mut launched = instance(1, "drsjob-1", Some(true));
    launched.point_in_time = Some(NOW - 1_500);
    let mut f = facts(vec![server(1, Continuous), server(2, Continuous)]);
    f.jobs = vec![job.clone()];
    f.instances = vec![launched];
    f.logs = vec![(
        "drsjob-1".into(),
        vec![LogItem {
            at: Some(NOW - 700),
            event: LogEvent::LaunchFailed,
            source_server_id: Some(sid(2)),
            raw_error: Some(
                "Your IAM user do not have permission for ec2:CreateSecurityGroup".into(),
            ),
        }],
    )];
    let plan = plan_for(&config(), &schedule(), f.clone());
    let ok = &plan.outcomes[0];
    assert_eq!(
        (ok.target.as_str(), ok.result),
        (id(1).as_str(), OutcomeResult::Done)
    );
    assert_eq!(
        ok.evidence,
        Some(RecoveryEvidence {
            drill: true,
            recovery_time_seconds: Some(600),
            recovery_point_age_seconds: Some(300),
            rto_seconds: Some(3_600),
            rpo_seconds: Some(900),
        })
    );
    let failed = &plan.outcomes[1];
    assert_eq!(failed.result, OutcomeResult::Failed);
    assert!(failed
        .detail
        .as_deref()
        .unwrap_or_default()
        .contains("ec2:CreateSecurityGroup"));
    assert!(plan
        .actions
        .iter()
        .any(|c| matches!(c, Call::MarkReported { id, .. } if id == "drsjob-1")));
    job.tags
        .push((TAG_REPORTED.into(), "2025-12-01T10:50:00Z".into()));
    f.jobs = vec![job];
    assert!(
        plan_for(&config(), &schedule(), f).outcomes.is_empty(),
        "reported once"
    );
}

#[test]
fn a_job_not_launched_by_the_function_is_not_reported() {
    let mut job = own_job(
        "drsjob-1",
        true,
        JobStatus::Completed,
        NOW - 1_200,
        &[(1, LaunchStatus::Launched)],
    );
    job.tags.clear();
    let mut f = facts(vec![]);
    f.jobs = vec![job];
    assert!(plan_for(&config(), &schedule(), f).outcomes.is_empty());
}

#[test]
fn a_launch_result_reports_its_server_before_the_job_completes() {
    let mut f = facts(vec![server(1, Continuous), server(2, Continuous)]);
    f.jobs = vec![own_job(
        "drsjob-1",
        true,
        JobStatus::Started,
        NOW - 300,
        &[(1, LaunchStatus::Launched), (2, LaunchStatus::InProgress)],
    )];
    let trigger = on(drs_launch_result("e-1", &id(1), "drsjob-1", true, true));
    let plan = plan_for(&config(), &trigger, f);
    assert_eq!(plan.outcomes.len(), 1);
    assert_eq!(
        plan.outcomes[0].evidence, None,
        "evidence waits for the job"
    );
    assert_eq!(
        skip_of(&plan, "drsjob-1").as_deref(),
        Some("drill job STARTED: 1 of 2 servers launched; reported when it completes")
    );
    assert!(
        launches(&plan).is_empty(),
        "a launch result launches nothing"
    );
}

#[test]
fn launched_instances_are_tagged_once_with_the_mode_job_and_launch_time() {
    let mut f = facts(vec![server(1, Continuous)]);
    f.jobs = vec![own_job(
        "drsjob-1",
        true,
        JobStatus::Started,
        NOW - 300,
        &[(1, LaunchStatus::Launched)],
    )];
    f.instances = vec![instance(1, "drsjob-1", Some(true))];
    let plan = plan_for(&config(), &schedule(), f.clone());
    let tagged: Vec<&Vec<(String, String)>> = plan
        .actions
        .iter()
        .filter_map(|c| match c {
            Call::TagInstance { tags, .. } => Some(tags),
            _ => None,
        })
        .collect();
    assert_eq!(
        tagged,
        vec![&vec![
            (TAG_FUNCTION.to_owned(), "drs-recovery".to_owned()),
            (TAG_MODE.to_owned(), "drill".to_owned()),
            (TAG_JOB.to_owned(), "drsjob-1".to_owned()),
            (
                TAG_LAUNCHED_AT.to_owned(),
                "2025-12-01T10:55:00Z".to_owned()
            ),
        ]]
    );
    f.instances[0].tags = tagged[0].clone();
    let again = plan_for(&config(), &schedule(), f);
    assert!(!again
        .actions
        .iter()
        .any(|c| matches!(c, Call::TagInstance { .. })));
}

/// A drill instance of this function, tagged, launched `age` seconds ago.
fn own_drill(n: u32, age: i64) -> RecoveryInstance {
    let mut i = instance(n, "drsjob-0", Some(true));
    i.tags = vec![
        (TAG_FUNCTION.into(), "drs-recovery".into()),
        (TAG_MODE.into(), "drill".into()),
        (TAG_LAUNCHED_AT.into(), fmt_time(NOW - age)),
    ];
    i
}

#[test]
fn cleanup_terminates_only_own_drill_instances_past_their_time_to_live() {
    let mut recovery = own_drill(3, 9 * 3_600);
    recovery.tags[1].1 = "recovery".into();
    let mut not_a_drill = own_drill(4, 9 * 3_600);
    not_a_drill.drill = Some(false);
    let mut terminating = own_drill(5, 9 * 3_600);
    terminating.ec2_state = Some("SHUTTING-DOWN".into());
    let mut f = facts(vec![]);
    f.instances = vec![
        own_drill(1, 9 * 3_600),
        own_drill(2, 3_600),
        recovery,
        not_a_drill,
        terminating,
        instance(6, "drsjob-console", Some(true)),
    ];
    let plan = plan_for(&config(), &schedule(), f);
    assert_eq!(terminations(&plan), vec![instance_id(1)]);
    let reasons: Vec<String> = (2..=6)
        .map(|n| skip_of(&plan, &instance_id(n)).unwrap_or_default())
        .collect();
    assert_eq!(
        reasons,
        vec![
            "drill instance 1h old: terminated once older than DRS_DRILL_TTL 8h".to_owned(),
            "launched by a real recovery: never terminated".to_owned(),
            "launched by a real recovery: never terminated".to_owned(),
            "drill instance already being terminated".to_owned(),
            "a drill instance drs-recovery did not launch: left alone".to_owned(),
        ]
    );
}

#[test]
fn an_untagged_drill_instance_of_an_own_job_is_tagged_before_it_is_terminated() {
    let mut f = facts(vec![]);
    f.jobs = vec![own_job(
        "drsjob-1",
        true,
        JobStatus::Completed,
        NOW - 9 * 3_600,
        &[(1, LaunchStatus::Launched)],
    )];
    f.instances = vec![instance(1, "drsjob-1", Some(true))];
    let plan = plan_for(&config(), &schedule(), f);
    assert!(
        terminations(&plan).is_empty(),
        "IAM terminates tagged instances only"
    );
    assert!(plan
        .actions
        .iter()
        .any(|c| matches!(c, Call::TagInstance { id, .. } if *id == instance_id(1))));
    assert!(skip_of(&plan, &instance_id(1))
        .unwrap_or_default()
        .starts_with("launched by drs-recovery and not yet tagged"));
}

#[test]
fn a_schedule_drills_a_server_only_when_its_drill_is_due() {
    let mut c = config();
    c.drill.every = Some(7 * 86_400);
    let (mut recent, mut old) = (server(1, Continuous), server(2, Continuous));
    recent.last_drill = Some(NOW - 2 * 86_400);
    old.last_drill = Some(NOW - 8 * 86_400);
    let f = facts(vec![recent, old, server(3, Continuous)]);
    let plan = plan_for(&c, &schedule(), f.clone());
    assert_eq!(launches(&plan), ids(&[2, 3]));
    assert_eq!(
        skip_of(&plan, &id(1)).as_deref(),
        Some("scheduled drill: not due: its last drill started 2d ago and DRS_DRILL_EVERY is 7d")
    );
    let asked = plan_for(&c, &direct(&[&id(1)]), f);
    assert_eq!(
        launches(&asked),
        ids(&[1]),
        "an operator's drill is always due"
    );
}

#[test]
fn only_a_schedule_cleans_up() {
    let mut f = facts(vec![server(1, Continuous)]);
    f.instances = vec![own_drill(1, 9 * 3_600)];
    let plan = plan_for(&config(), &direct(&[&id(1)]), f);
    assert!(terminations(&plan).is_empty());
}

#[test]
fn terminations_are_batched_by_two_hundred() {
    let mut f = facts(vec![]);
    f.instances = (1..=250).map(|n| own_drill(n, 9 * 3_600)).collect();
    let plan = plan_for(&config(), &schedule(), f);
    let batches: Vec<usize> = plan
        .actions
        .iter()
        .filter_map(|c| match c {
            Call::Terminate { batch, .. } => Some(*batch),
            _ => None,
        })
        .collect();
    assert_eq!(batches.iter().filter(|b| **b == 0).count(), 200);
    assert_eq!(batches.iter().filter(|b| **b == 1).count(), 50);
}

#[test]
fn trigger_skips_are_reported_once_for_the_fleet() {
    let (a, b) = (
        Target::home(Some("111111111111".into()), Some("us-east-1".into())),
        Target::home(Some("222222222222".into()), Some("us-east-1".into())),
    );
    let trigger = on(Event::Alarm(alarm("cpu", AlarmState::Ok, &[])));
    let plans = plan(
        &config(),
        &[
            Observed {
                target: &a,
                trigger: trigger.clone(),
                facts: facts(vec![]),
            },
            Observed {
                target: &b,
                trigger,
                facts: facts(vec![]),
            },
        ],
    );
    assert_eq!(
        skip_of(&plans[0], "cpu").as_deref(),
        Some("alarm is OK: nothing to recover")
    );
    assert!(plans[1].skips.listed().is_empty());
}

#[test]
fn events_the_function_does_not_act_on_are_skipped_as_not_handled() {
    let plan = plan_for(
        &config(),
        &on(drs_failback_change("e-9")),
        facts(vec![server(1, Continuous)]),
    );
    assert!(plan.actions.is_empty());
    assert_eq!(
        skip_of(&plan, "e-9").as_deref(),
        Some("aws.drs DRS Recovery Instance Failback State Change: not handled by drs-recovery")
    );
}

#[test]
fn snapshots_are_picked_by_the_configured_choice() {
    let snaps = vec![
        Snapshot {
            id: "pit-a".into(),
            at: NOW - 300,
        },
        Snapshot {
            id: "pit-b".into(),
            at: NOW - 4_000,
        },
        Snapshot {
            id: "pit-c".into(),
            at: NOW - 90_000,
        },
    ];
    let cases = [
        (SnapshotChoice::OnDemand, Ok(None)),
        (SnapshotChoice::Latest, Ok(Some("pit-a"))),
        (SnapshotChoice::OlderThan(3_600), Ok(Some("pit-b"))),
        (SnapshotChoice::AtOrBefore(NOW - 5_000), Ok(Some("pit-c"))),
        (
            SnapshotChoice::OlderThan(100_000),
            Err("no snapshot: DRS holds none at least 1d 3h 46m 40s old".to_owned()),
        ),
    ];
    for (choice, want) in cases {
        let got = pick_snapshot(choice, &snaps, NOW).map(|s| s.map(|s| s.id));
        assert_eq!(got, want.map(|o| o.map(str::to_owned)), "{choice:?}");
    }
}

#[test]
fn a_drill_from_a_named_snapshot_launches_with_its_id() {
    let mut c = config();
    c.drill.snapshot = SnapshotChoice::Latest;
    let mut f = facts(vec![server(1, Continuous), server(2, Continuous)]);
    f.snapshots = vec![(
        sid(1),
        vec![Snapshot {
            id: "pit-11111111111111111".into(),
            at: NOW - 300,
        }],
    )];
    let plan = plan_for(&c, &schedule(), f);
    let snapshot_ids: Vec<Option<String>> = plan
        .actions
        .iter()
        .filter_map(|a| match a {
            Call::Launch { server, .. } => Some(server.snapshot_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(snapshot_ids, vec![Some("pit-11111111111111111".to_owned())]);
    assert!(skip_of(&plan, &id(2))
        .unwrap_or_default()
        .contains("no snapshot"));
}

#[test]
fn a_dry_run_describes_each_server_of_a_launch() {
    let plan = plan_for(&config(), &schedule(), facts(vec![server(1, Continuous)]));
    let described = plan.actions[0].planned();
    assert_eq!(
        (described.target.as_str(), described.action.as_str()),
        (id(1).as_str(), "StartRecovery")
    );
    assert_eq!(
        described.detail.as_deref(),
        Some("drill in job 1 of this run: scheduled drill, from an on-demand snapshot")
    );
}

const PLAN: &str = "arn:aws:drs:us-east-1:123456789012:recovery-plan/rp-prod-core";

fn with_plan() -> RecoveryConfig {
    let mut c = config();
    c.drill.plan = Some(dr_core::arn::Arn::parse(PLAN).unwrap());
    c
}

fn execution(name: &str, status: ExecutionStatus, started: i64) -> PlanExecution {
    PlanExecution {
        arn: format!("arn:aws:drs:us-east-1:123456789012:recovery-plan-execution/{name}"),
        drill: true,
        status,
        started: Some(started),
        completed: None,
        error: None,
        tags: crate::testing::own_tags("drill"),
    }
}

fn plan_runs(plan: &Plan<Call>) -> Vec<(String, String)> {
    plan.actions
        .iter()
        .filter_map(|c| match c {
            Call::RunPlan { arn, token } => Some((arn.clone(), token.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn with_a_recovery_plan_a_schedule_runs_the_plan_instead_of_drilling_each_server() {
    let plan = plan_for(
        &with_plan(),
        &schedule(),
        facts(vec![server(1, Continuous)]),
    );
    assert!(launches(&plan).is_empty());
    let runs = plan_runs(&plan);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].0, PLAN);
    assert!(runs[0].1.starts_with("drs-recovery-") && runs[0].1.len() <= 64);
}

#[test]
fn a_plan_drill_delivered_again_in_the_same_window_has_the_same_client_token() {
    let token = |at: i64| {
        let mut f = facts(vec![]);
        f.observed_at = at;
        plan_runs(&plan_for(&with_plan(), &schedule(), f))[0]
            .1
            .clone()
    };
    assert_eq!(token(NOW), token(NOW + 60));
    assert_ne!(token(NOW), token(NOW + 3_600));
}

#[test]
fn a_plan_with_an_execution_not_ended_or_drilled_recently_is_not_run() {
    let cases = [
        (
            execution("a", ExecutionStatus::InProgress, NOW - 90_000),
            "is IN_PROGRESS",
        ),
        (
            execution("b", ExecutionStatus::Completed, NOW - 600),
            "not due: its last drill started 10m ago, within DRS_LAUNCH_GUARD 1h",
        ),
    ];
    for (e, want) in cases {
        let mut f = facts(vec![]);
        f.executions = vec![e];
        let plan = plan_for(&with_plan(), &schedule(), f);
        assert!(plan_runs(&plan).is_empty(), "{want}");
        assert!(
            skip_of(&plan, PLAN).unwrap_or_default().contains(want),
            "{:?}",
            plan.skips
        );
    }
}

#[test]
fn a_plan_runs_only_in_the_target_that_holds_it() {
    let other = Target::home(Some("210987654321".into()), Some("us-east-1".into()));
    let plans = plan(
        &with_plan(),
        &[Observed {
            target: &other,
            trigger: schedule(),
            facts: facts(vec![]),
        }],
    );
    assert!(plan_runs(&plans[0]).is_empty());
}

#[test]
fn an_ended_own_execution_is_reported_once_with_how_long_it_took() {
    let mut done = execution("a", ExecutionStatus::Completed, NOW - 3_000);
    done.completed = Some(NOW - 1_200);
    let mut failed = execution("b", ExecutionStatus::Failed, NOW - 2_000);
    failed.error = Some("StepFailed: launch failed".into());
    let mut f = facts(vec![]);
    f.executions = vec![done.clone(), failed];
    let plan = plan_for(
        &config(),
        &on(drs_launch_result("e", &id(1), "drsjob-x", true, true)),
        f.clone(),
    );
    assert_eq!(plan.outcomes.len(), 2);
    assert_eq!(
        plan.outcomes[0].detail.as_deref(),
        Some("recovery plan drill completed in 30m")
    );
    assert_eq!(
        plan.outcomes[0].evidence, None,
        "its servers' launches carry the evidence, each counted once"
    );
    assert_eq!(plan.outcomes[1].result, OutcomeResult::Failed);
    assert!(plan.outcomes[1]
        .detail
        .as_deref()
        .unwrap_or_default()
        .contains("StepFailed"));
    let marks = plan
        .actions
        .iter()
        .filter(|c| matches!(c, Call::MarkReported { .. }))
        .count();
    assert_eq!(marks, 2);
    done.tags
        .push((TAG_REPORTED.into(), "2025-12-01T10:50:00Z".into()));
    f.executions = vec![done];
    assert!(
        plan_for(&config(), &schedule(), f).outcomes.is_empty(),
        "reported once"
    );
}

#[test]
fn a_plan_job_is_reported_with_its_execution_once_it_ends() {
    let mut job = own_job(
        "drsjob-p",
        true,
        JobStatus::Completed,
        NOW - 1_200,
        &[(1, LaunchStatus::Launched)],
    );
    job.tags.clear();
    job.ended = Some(NOW - 900);
    let running = execution("a", ExecutionStatus::InProgress, NOW - 1_300);
    job.execution = Some(running.arn.clone());
    let mut f = facts(vec![]);
    f.jobs = vec![job];
    f.instances = vec![instance(1, "drsjob-p", Some(true))];
    f.executions = vec![running.clone()];
    let during = plan_for(&config(), &schedule(), f.clone());
    assert!(during.outcomes.is_empty(), "waits for the execution");
    assert!(
        during
            .actions
            .iter()
            .any(|c| matches!(c, Call::TagInstance { .. })),
        "its instances are tagged for cleanup"
    );
    let mut ended = running;
    ended.status = ExecutionStatus::Completed;
    ended.completed = Some(NOW - 800);
    f.executions = vec![ended];
    let after = plan_for(&config(), &schedule(), f);
    assert_eq!(
        after.outcomes.iter().filter(|o| o.action == LAUNCH).count(),
        1
    );
    let job_marks = after
        .actions
        .iter()
        .filter(|c| matches!(c, Call::MarkReported { id, .. } if id == "drsjob-p"))
        .count();
    assert_eq!(job_marks, 0, "the execution's mark covers its jobs");
}

#[test]
fn a_recovery_held_back_by_a_drill_in_progress_fails_retryably() {
    let mut f = facts(vec![server(1, Continuous), server(2, Continuous)]);
    f.jobs = vec![
        own_job(
            "drsjob-d",
            true,
            JobStatus::Started,
            NOW - 300,
            &[(1, LaunchStatus::InProgress)],
        ),
        own_job(
            "drsjob-r",
            false,
            JobStatus::Started,
            NOW - 300,
            &[(2, LaunchStatus::InProgress)],
        ),
    ];
    let plan = plan_for(
        &recovering(5),
        &direct_launch(LaunchMode::Recovery, &[&id(1), &id(2)]),
        f,
    );
    assert!(launches(&plan).is_empty());
    let held = &plan.outcomes[0];
    assert_eq!(
        (held.target.as_str(), held.result, held.retryable),
        (id(1).as_str(), OutcomeResult::Failed, true)
    );
    assert_eq!(
        skip_of(&plan, &id(2)).as_deref(),
        Some("direct invoke (recovery): job in progress: recovery job drsjob-r is STARTED"),
        "a recovery already under way is the one asked for"
    );
}

#[test]
fn a_drill_whose_instance_this_run_terminates_says_so() {
    let mut f = facts(vec![server(1, Continuous)]);
    f.instances = vec![own_drill(1, 9 * 3_600)];
    let plan = plan_for(&config(), &schedule(), f);
    assert_eq!(terminations(&plan), vec![instance_id(1)]);
    assert!(skip_of(&plan, &id(1))
        .unwrap_or_default()
        .contains("is terminated in this run; the next drill launches once it is gone"));
}

mod measures {
    use super::*;

    fn value(m: &Measures, name: &str) -> Option<Vec<f64>> {
        m.iter().find(|m| m.name == name).map(|m| m.values.clone())
    }

    fn drilled(n: u32, hours_ago: i64, launched: bool) -> SourceServer {
        SourceServer {
            last_drill: Some(NOW - hours_ago * 3600),
            last_drill_launched: launched,
            lag: Some(hours_ago * 60),
            ..server(n, Continuous)
        }
    }

    #[test]
    fn the_drill_age_is_the_oldest_successful_last_drill_of_the_selected_servers() {
        let servers = vec![
            drilled(1, 2, true),
            drilled(2, 30, true),
            drilled(3, 1, false),
            server(4, Stalled),
        ];
        let m = measure(&config(), &facts(servers), &[]);
        let cases = [
            ("DrsLastDrillAgeSeconds", vec![108_000.0]),
            ("DrsServersNeverDrilled", vec![2.0]),
            ("DrsLargestLagSeconds", vec![1800.0]),
            ("DrsServers", vec![4.0]),
            ("DrsServersStalled", vec![1.0]),
            ("RecoveryTimeBeyondRto", vec![0.0]),
        ];
        for (name, want) in cases {
            assert_eq!(value(&m, name), Some(want), "{name}");
        }
        assert_eq!(value(&m, "RecoveryTimeSeconds"), None);
    }

    #[test]
    fn the_recovery_times_of_the_run_are_measured_against_the_objectives() {
        let launch = |n: u32, seconds: i64, age: i64| {
            TargetOutcome::done(id(n), "StartDrill", None).with_evidence(RecoveryEvidence {
                drill: true,
                recovery_time_seconds: Some(seconds),
                recovery_point_age_seconds: Some(age),
                rto_seconds: Some(900),
                rpo_seconds: Some(600),
            })
        };
        let outcomes = [launch(1, 600, 60), launch(2, 1200, 900)];
        let m = measure(&config(), &facts(Vec::new()), &outcomes);
        assert_eq!(value(&m, "RecoveryTimeSeconds"), Some(vec![600.0, 1200.0]));
        assert_eq!(value(&m, "RecoveryTimeBeyondRto"), Some(vec![1.0]));
        assert_eq!(value(&m, "RecoveryPointBeyondRpo"), Some(vec![1.0]));
    }

    #[test]
    fn servers_outside_the_selection_are_not_measured() {
        let mut c = config();
        c.choice.selection = dr_core::drs::Selection::default();
        let m = measure(&c, &facts(vec![server(1, Stalled)]), &[]);
        assert_eq!(value(&m, "DrsServers"), Some(vec![0.0]));
    }
}
