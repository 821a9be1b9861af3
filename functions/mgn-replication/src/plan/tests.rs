use super::*;
use crate::config::{StallPolicy, TestPolicy};
use crate::model::{
    AfterTest, Setting, SettingChange, SettingValue, TAG_RETRIED_AT, TAG_STALLED_SINCE, TAG_STALLS,
};
use crate::testing::{config, facts, healthy, job, policy, server, sid, stalled, testing, NOW};
use dr_core::fleet::Target;
use dr_core::report::OutcomeResult;
use dr_core::trigger::{MgnChange, StalledState, Trigger};
use dr_testkit::triggers::{direct, drs_failback_change, mgn_event, on, schedule};

const HOUR: i64 = 3600;

fn run(config: &MgnConfig, trigger: &Trigger, facts: Facts) -> Plan<Action> {
    let home = Target::home(None, None);
    let observed = Observed {
        target: &home,
        trigger: trigger.clone(),
        facts,
    };
    plan(config, &[observed]).remove(0)
}

fn scheduled(policy: ServerPolicy, servers: Vec<SourceServer>) -> Plan<Action> {
    run(&config(policy), &schedule(), facts(servers))
}

fn reason(plan: &Plan<Action>, n: u32) -> &str {
    dr_testkit::skip_reason(&plan.skips, sid(n).as_str())
}

/// Adds `job` to the facts, by its id.
fn add_job(facts: &mut Facts, job: crate::model::Job) {
    facts.jobs.insert(job.id.clone(), job);
}

fn ago(secs: i64) -> String {
    fmt_time(NOW - secs)
}

#[test]
fn a_healthy_server_with_nothing_enforced_is_left_alone_saying_its_states() {
    let plan = scheduled(policy(), vec![healthy(1)]);
    assert!(plan.actions.is_empty() && plan.outcomes.is_empty());
    assert_eq!(reason(&plan, 1), "READY_FOR_TEST/CONTINUOUS: nothing to do");
}

#[test]
fn a_stall_first_seen_is_recorded_and_not_yet_retried() {
    let plan = scheduled(policy(), vec![stalled(1, &[])]);
    match plan.actions.as_slice() {
        [Action::RecordStall { record, reason, .. }] => {
            assert_eq!(
                *record,
                StallRecord {
                    retries: 0,
                    since: Some(NOW),
                    retried_at: None
                }
            );
            assert!(reason.contains("AGENT_NOT_SEEN"), "{reason}");
            assert!(reason.contains("retry 1 of 3 after"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn stall_decisions_follow_the_record_and_the_cool_down() {
    let since = ago(2 * HOUR);
    let recent = ago(HOUR / 2);
    let old = ago(2 * HOUR);
    // (tags, what the plan does)
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![(TAG_STALLED_SINCE, &recent)], "wait"),
        (vec![(TAG_STALLED_SINCE, &since)], "retry 1"),
        (
            vec![
                (TAG_STALLED_SINCE, &since),
                (TAG_STALLS, "1"),
                (TAG_RETRIED_AT, &recent),
            ],
            "wait",
        ),
        (
            vec![
                (TAG_STALLED_SINCE, &since),
                (TAG_STALLS, "2"),
                (TAG_RETRIED_AT, &old),
            ],
            "retry 3",
        ),
        (
            vec![
                (TAG_STALLED_SINCE, &since),
                (TAG_STALLS, "3"),
                (TAG_RETRIED_AT, &recent),
            ],
            "wait",
        ),
        (
            vec![
                (TAG_STALLED_SINCE, &since),
                (TAG_STALLS, "3"),
                (TAG_RETRIED_AT, &old),
            ],
            "escalate",
        ),
        (vec![(TAG_STALLS, "many")], "alert"),
    ];
    for (tags, want) in cases {
        let plan = scheduled(policy(), vec![stalled(1, &tags)]);
        let got = match (plan.actions.as_slice(), plan.outcomes.as_slice()) {
            ([Action::Retry { record, .. }], []) => format!("retry {}", record.retries),
            ([], [o]) if o.action == ESCALATE => "escalate".to_owned(),
            ([], [o]) if o.action == NOTIFY => "alert".to_owned(),
            ([], []) if reason(&plan, 1).contains("STALLED") => "wait".to_owned(),
            other => format!("{other:?}"),
        };
        assert_eq!(got, want, "tags {tags:?}");
    }
}

#[test]
fn a_retry_writes_the_next_count_and_keeps_when_the_stall_began() {
    let since = ago(2 * HOUR);
    let plan = scheduled(policy(), vec![stalled(1, &[(TAG_STALLED_SINCE, &since)])]);
    match plan.actions.as_slice() {
        [Action::Retry { record, arn, .. }] => {
            assert_eq!(
                *record,
                StallRecord {
                    retries: 1,
                    since: Some(NOW - 2 * HOUR),
                    retried_at: Some(NOW)
                }
            );
            assert!(arn.ends_with(sid(1).as_str()));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_escalation_fails_with_the_root_cause_and_makes_no_call() {
    let since = ago(5 * HOUR);
    let old = ago(2 * HOUR);
    let plan = scheduled(
        policy(),
        vec![stalled(
            1,
            &[
                (TAG_STALLED_SINCE, &since),
                (TAG_STALLS, "3"),
                (TAG_RETRIED_AT, &old),
            ],
        )],
    );
    assert!(plan.actions.is_empty());
    let o = &plan.outcomes[0];
    assert_eq!(o.result, OutcomeResult::Failed);
    let detail = o.detail.as_deref().unwrap_or_default();
    assert!(detail.contains("3 consecutive retries"), "{detail}");
    assert!(
        detail.contains("AGENT_NOT_SEEN: agent not seen for 1h"),
        "{detail}"
    );
    assert_eq!(o.state.as_deref(), Some("READY_FOR_TEST/STALLED"));
}

#[test]
fn the_stall_policy_sets_the_cool_down_and_the_limit() {
    let since = ago(20 * 60);
    let mut p = policy();
    p.on_stall = StallPolicy {
        cool_down_secs: 10 * 60,
        max_consecutive_stalls: 1,
    };
    let plan = scheduled(p.clone(), vec![stalled(1, &[(TAG_STALLED_SINCE, &since)])]);
    assert!(matches!(plan.actions.as_slice(), [Action::Retry { .. }]));
    let retried = ago(15 * 60);
    let plan = scheduled(
        p,
        vec![stalled(
            1,
            &[
                (TAG_STALLED_SINCE, &since),
                (TAG_STALLS, "1"),
                (TAG_RETRIED_AT, &retried),
            ],
        )],
    );
    assert_eq!(plan.outcomes[0].action, ESCALATE);
}

#[test]
fn replication_that_flows_again_clears_the_stall_record() {
    let since = ago(HOUR);
    let mut s = stalled(1, &[(TAG_STALLED_SINCE, &since), (TAG_STALLS, "2")]);
    s.replication = ReplicationState::Continuous;
    let plan = scheduled(policy(), vec![s]);
    match plan.actions.as_slice() {
        [Action::ClearStalls { reason, .. }] => {
            assert!(reason.contains("after 2 retried stalls"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn initiating_after_a_retry_keeps_the_stall_record() {
    let since = ago(HOUR);
    let mut s = stalled(1, &[(TAG_STALLED_SINCE, &since), (TAG_STALLS, "1")]);
    s.replication = ReplicationState::Initiating;
    let plan = scheduled(policy(), vec![s]);
    assert!(plan.actions.is_empty(), "{:?}", plan.actions);
}

#[test]
fn a_paused_server_is_resumed_only_when_configured() {
    let paused = || server(1, LifeCycle::NotReady, ReplicationState::Paused);
    let plan = scheduled(policy(), vec![paused()]);
    assert!(plan.actions.is_empty());
    assert!(reason(&plan, 1).contains("resumePaused is not set"));
    let mut p = policy();
    p.resume_paused = true;
    let plan = scheduled(p, vec![paused()]);
    assert!(matches!(plan.actions.as_slice(), [Action::Resume { .. }]));
}

#[test]
fn a_disconnected_server_fails_with_what_to_do_unless_it_was_cut_over() {
    let plan = scheduled(
        policy(),
        vec![server(
            1,
            LifeCycle::NotReady,
            ReplicationState::Disconnected,
        )],
    );
    let o = &plan.outcomes[0];
    assert_eq!(
        (o.action.as_str(), o.result),
        (NOTIFY, OutcomeResult::Failed)
    );
    assert!(o
        .detail
        .as_deref()
        .unwrap_or_default()
        .contains("reinstall the AWS Replication Agent"));
    let plan = scheduled(
        policy(),
        vec![server(
            1,
            LifeCycle::Cutover,
            ReplicationState::Disconnected,
        )],
    );
    assert!(plan.outcomes.is_empty());
    assert!(reason(&plan, 1).contains("cut over"));
}

#[test]
fn a_stopped_server_starts_at_its_time() {
    let stopped = || server(1, LifeCycle::NotReady, ReplicationState::Stopped);
    let cases = [
        (StartPolicy::New, true),
        (StartPolicy::Now, true),
        (StartPolicy::At(NOW - 1), true),
        (StartPolicy::At(NOW + HOUR), false),
        (StartPolicy::Manual, false),
    ];
    for (start, starts) in cases {
        let mut p = policy();
        p.start = start;
        let plan = scheduled(p, vec![stopped()]);
        assert_eq!(
            matches!(plan.actions.as_slice(), [Action::Start { .. }]),
            starts,
            "{start:?}: {:?}",
            plan.skips
        );
    }
}

#[test]
fn a_deferred_start_says_when() {
    let mut p = policy();
    p.start = StartPolicy::At(NOW + HOUR);
    let plan = scheduled(
        p,
        vec![server(1, LifeCycle::NotReady, ReplicationState::Stopped)],
    );
    assert_eq!(
        reason(&plan, 1),
        "NOT_READY/STOPPED: STOPPED: replication starts at 2025-12-01T12:00:00Z"
    );
}

#[test]
fn starts_stay_within_the_active_server_quota() {
    let mut c = config(policy());
    c.max_active = 3;
    let servers = vec![
        healthy(1),
        server(2, LifeCycle::NotReady, ReplicationState::Stopped),
        server(3, LifeCycle::NotReady, ReplicationState::Stopped),
        server(4, LifeCycle::NotReady, ReplicationState::Stopped),
    ];
    let plan = run(&c, &schedule(), facts(servers));
    let started: Vec<&str> = plan.actions.iter().map(|a| a.server().as_str()).collect();
    assert_eq!(started, [sid(2).as_str(), sid(3).as_str()]);
    assert!(reason(&plan, 4).contains("3 servers are active and MGN_MAX_ACTIVE_SERVERS is 3"));
}

#[test]
fn only_the_settings_that_differ_are_changed() {
    let mut p = policy();
    p.replication = [
        (Setting::EbsEncryption, SettingValue::Text("CUSTOM".into())),
        (
            Setting::EbsEncryptionKeyArn,
            SettingValue::Text("arn:aws:kms:us-east-1:123456789012:key/k".into()),
        ),
        (Setting::BandwidthThrottling, SettingValue::Number(100)),
    ]
    .into_iter()
    .collect();
    let mut f = facts(vec![healthy(1)]);
    f.configurations.insert(
        sid(1),
        Ok([
            (Setting::EbsEncryption, SettingValue::Text("DEFAULT".into())),
            (Setting::BandwidthThrottling, SettingValue::Number(100)),
        ]
        .into_iter()
        .collect()),
    );
    let plan = run(&config(p), &schedule(), f);
    match plan.actions.as_slice() {
        [Action::Configure { changes, .. }] => assert_eq!(
            changes,
            &[
                SettingChange {
                    setting: Setting::EbsEncryption,
                    from: Some(SettingValue::Text("DEFAULT".into())),
                    to: SettingValue::Text("CUSTOM".into()),
                },
                SettingChange {
                    setting: Setting::EbsEncryptionKeyArn,
                    from: None,
                    to: SettingValue::Text("arn:aws:kms:us-east-1:123456789012:key/k".into()),
                },
            ]
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn settings_that_match_need_no_call() {
    let mut p = policy();
    p.replication = [(Setting::CreatePublicIp, SettingValue::Flag(false))]
        .into_iter()
        .collect();
    let mut f = facts(vec![healthy(1)]);
    f.configurations.insert(sid(1), Ok(p.replication.clone()));
    let plan = run(&config(p), &schedule(), f);
    assert!(plan.actions.is_empty());
}

#[test]
fn a_failed_settings_read_is_reported_for_its_server() {
    let mut p = policy();
    p.replication = [(Setting::CreatePublicIp, SettingValue::Flag(false))]
        .into_iter()
        .collect();
    let mut f = facts(vec![healthy(1)]);
    f.configurations.insert(
        sid(1),
        Err(dr_core::error::CallFailure {
            class: dr_core::error::ErrorClass::Retryable,
            code: "ThrottlingException".into(),
            message: "slow down".into(),
        }),
    );
    let plan = run(&config(p), &schedule(), f);
    let o = &plan.outcomes[0];
    assert_eq!((o.result, o.retryable), (OutcomeResult::Failed, true));
}

fn testing_policy() -> ServerPolicy {
    let mut p = policy();
    p.test = TestPolicy {
        enabled: true,
        ttl_secs: 2 * HOUR,
        then: AfterTest::ReadyForCutover,
    };
    p
}

#[test]
fn a_server_ready_for_test_is_launched_once_and_only_when_enabled() {
    let plan = scheduled(policy(), vec![healthy(1)]);
    assert!(plan.actions.is_empty());
    let plan = scheduled(testing_policy(), vec![healthy(1)]);
    assert!(matches!(
        plan.actions.as_slice(),
        [Action::StartTest { batch: 0, .. }]
    ));
    let mut tested = healthy(1);
    tested.last_test.job_id = Some("mgnjob-1".into());
    let plan = scheduled(testing_policy(), vec![tested]);
    assert!(plan.actions.is_empty());
    assert!(reason(&plan, 1).contains("tested before"));
}

#[test]
fn a_test_launch_waits_for_continuous_replication() {
    let plan = scheduled(
        testing_policy(),
        vec![server(
            1,
            LifeCycle::ReadyForTest,
            ReplicationState::Backlog,
        )],
    );
    assert!(plan.actions.is_empty());
    assert!(reason(&plan, 1).contains("waits for CONTINUOUS"));
}

#[test]
fn test_launches_fit_in_the_servers_mgn_allows_in_all_jobs() {
    let servers: Vec<SourceServer> = (1..=250).map(healthy).collect();
    let mut f = facts(servers);
    add_job(
        &mut f,
        job(
            "mgnjob-busy",
            &[900, 901],
            JobStatus::Started,
            LaunchStatus::InProgress,
            false,
        ),
    );
    let plan = run(&config(testing_policy()), &schedule(), f);
    let launched = plan
        .actions
        .iter()
        .filter(|a| matches!(a, Action::StartTest { .. }))
        .count();
    assert_eq!(launched, 198);
    assert!(reason(&plan, 250).contains("1 MGN jobs are active and hold 2 servers"));
}

#[test]
fn a_test_instance_is_cleaned_up_after_its_time_to_live() {
    let cases = [(NOW - HOUR, false), (NOW - 3 * HOUR, true)];
    for (launched_at, cleaned) in cases {
        let mut f = facts(vec![testing(1, "mgnjob-1", launched_at)]);
        add_job(
            &mut f,
            job(
                "mgnjob-1",
                &[1],
                JobStatus::Completed,
                LaunchStatus::Launched,
                true,
            ),
        );
        let plan = run(&config(testing_policy()), &schedule(), f);
        match (plan.actions.as_slice(), cleaned) {
            ([Action::CleanUpTest { cleanup, .. }], true) => {
                assert_eq!(cleanup.then, Some(AfterTest::ReadyForCutover));
                assert_eq!(cleanup.instance_id, "i-00000000000000001");
            }
            ([], false) => assert!(reason(&plan, 1).contains("runs until")),
            other => panic!("launched {launched_at}: {other:?}"),
        }
    }
}

#[test]
fn a_server_already_moved_on_is_only_terminated() {
    let mut s = testing(1, "mgnjob-1", NOW - 3 * HOUR);
    s.lifecycle = LifeCycle::ReadyForCutover;
    let mut f = facts(vec![s]);
    add_job(
        &mut f,
        job(
            "mgnjob-1",
            &[1],
            JobStatus::Completed,
            LaunchStatus::Launched,
            true,
        ),
    );
    let plan = run(&config(testing_policy()), &schedule(), f);
    match plan.actions.as_slice() {
        [Action::CleanUpTest { cleanup, .. }] => assert_eq!(cleanup.then, None),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_test_launched_by_someone_else_is_never_cleaned_up() {
    let mut f = facts(vec![testing(1, "mgnjob-1", NOW - 30 * HOUR)]);
    add_job(
        &mut f,
        job(
            "mgnjob-1",
            &[1],
            JobStatus::Completed,
            LaunchStatus::Launched,
            false,
        ),
    );
    let plan = run(&config(testing_policy()), &schedule(), f);
    assert!(plan.actions.is_empty(), "{:?}", plan.actions);
}

#[test]
fn a_terminated_test_instance_is_not_terminated_again() {
    let mut s = testing(1, "mgnjob-1", NOW - 3 * HOUR);
    s.lifecycle = LifeCycle::ReadyForCutover;
    s.launched = Default::default();
    let mut f = facts(vec![s]);
    add_job(
        &mut f,
        job(
            "mgnjob-1",
            &[1],
            JobStatus::Completed,
            LaunchStatus::Launched,
            true,
        ),
    );
    let plan = run(&config(testing_policy()), &schedule(), f);
    assert!(plan.actions.is_empty());
}

#[test]
fn a_failed_test_launch_is_reported_and_left_for_a_person() {
    let mut f = facts(vec![testing(1, "mgnjob-1", NOW - HOUR)]);
    add_job(
        &mut f,
        job(
            "mgnjob-1",
            &[1],
            JobStatus::Completed,
            LaunchStatus::Failed,
            true,
        ),
    );
    let plan = run(&config(testing_policy()), &schedule(), f);
    assert!(plan.actions.is_empty());
    let o = &plan.outcomes[0];
    assert_eq!(
        (o.action.as_str(), o.result),
        (NOTIFY, OutcomeResult::Failed)
    );
    assert!(o
        .detail
        .as_deref()
        .unwrap_or_default()
        .contains("test launch failed in job mgnjob-1"));
}

#[test]
fn an_mgn_event_plans_only_its_own_server() {
    let event = on(mgn_event(
        "e-1",
        sid(2).as_str(),
        MgnChange::Stalled(StalledState::Stalled),
    ));
    let plan = run(
        &config(policy()),
        &event,
        facts(vec![stalled(1, &[]), stalled(2, &[])]),
    );
    let servers: Vec<&str> = plan.actions.iter().map(|a| a.server().as_str()).collect();
    assert_eq!(servers, [sid(2).as_str()]);
}

#[test]
fn an_event_about_a_server_not_configured_is_skipped() {
    let event = on(mgn_event(
        "e-1",
        sid(1).as_str(),
        MgnChange::Stalled(StalledState::Stalled),
    ));
    let mut s = stalled(1, &[]);
    s.tags.clear();
    let mut f = facts(vec![]);
    f.servers.push(s);
    let plan = run(&config(policy()), &event, f);
    assert!(plan.actions.is_empty());
    assert_eq!(reason(&plan, 1), "not named by MGN_SERVERS");
}

#[test]
fn a_direct_target_mgn_does_not_list_is_skipped() {
    let plan = run(
        &config(policy()),
        &direct(&[sid(7).as_str()]),
        facts(vec![healthy(1)]),
    );
    assert_eq!(
        reason(&plan, 7),
        "MGN lists no such non-archived source server here"
    );
    assert!(!dr_testkit::skipped_targets(&plan.skips).contains(&sid(1).as_str()));
}

#[test]
fn an_event_of_another_source_is_skipped_as_not_handled() {
    let plan = run(
        &config(policy()),
        &on(drs_failback_change("e-9")),
        facts(vec![stalled(1, &[])]),
    );
    assert!(plan.actions.is_empty());
    assert!(dr_testkit::skip_reason(&plan.skips, "e-9").contains("not handled"));
}

#[test]
fn every_planned_action_describes_its_server_in_a_dry_run() {
    use dr_core::function::Action as _;
    let plan = scheduled(policy(), vec![stalled(1, &[])]);
    let planned = plan.actions[0].planned();
    assert_eq!(
        (
            planned.target.as_str(),
            planned.action.as_str(),
            planned.result
        ),
        (sid(1).as_str(), "TagResource", OutcomeResult::Planned)
    );
}

#[test]
fn a_test_instance_being_terminated_is_not_terminated_again() {
    let mut s = testing(1, "mgnjob-1", NOW - 3 * HOUR);
    s.lifecycle = LifeCycle::ReadyForCutover;
    let mut f = facts(vec![s]);
    add_job(
        &mut f,
        job(
            "mgnjob-1",
            &[1],
            JobStatus::Completed,
            LaunchStatus::Launched,
            true,
        ),
    );
    add_job(
        &mut f,
        job(
            "mgnjob-2",
            &[1],
            JobStatus::Started,
            LaunchStatus::InProgress,
            true,
        ),
    );
    let plan = run(&config(testing_policy()), &schedule(), f);
    assert!(plan.actions.is_empty(), "{:?}", plan.actions);
    assert!(reason(&plan, 1).contains("is being terminated in job mgnjob-2, which is STARTED"));
}

#[test]
fn a_server_stopped_after_it_replicated_is_restarted_only_when_asked() {
    let mut stopped = server(1, LifeCycle::NotReady, ReplicationState::Stopped);
    stopped.replicated_before = true;
    let plan = scheduled(policy(), vec![stopped.clone()]);
    assert!(plan.actions.is_empty());
    assert!(reason(&plan, 1).contains("stopped by someone"));
    let mut p = policy();
    p.start = StartPolicy::Now;
    let plan = scheduled(p, vec![stopped]);
    assert!(matches!(plan.actions.as_slice(), [Action::Start { .. }]));
}

#[test]
fn a_server_whose_agent_is_not_installed_is_not_started() {
    let plan = scheduled(
        policy(),
        vec![server(
            1,
            LifeCycle::PendingInstallation,
            ReplicationState::Stopped,
        )],
    );
    assert!(plan.actions.is_empty());
    assert!(reason(&plan, 1).contains("not installed yet"));
}

#[test]
fn a_failed_test_launch_is_reported_in_any_lifecycle_until_it_is_reverted() {
    let mut s = testing(1, "mgnjob-1", NOW - HOUR);
    s.lifecycle = LifeCycle::ReadyForTest;
    let mut f = facts(vec![s.clone()]);
    add_job(
        &mut f,
        job(
            "mgnjob-1",
            &[1],
            JobStatus::Completed,
            LaunchStatus::Failed,
            true,
        ),
    );
    let plan = run(&config(testing_policy()), &schedule(), f.clone());
    assert_eq!(plan.outcomes[0].action, NOTIFY);
    f.servers[0].last_test.reverted_at = Some(NOW - 60);
    let plan = run(&config(testing_policy()), &schedule(), f);
    assert!(plan.outcomes.is_empty() && plan.actions.is_empty());
}

#[test]
fn a_test_instance_whose_termination_completed_is_left_alone() {
    let mut s = testing(1, "mgnjob-1", NOW - 3 * HOUR);
    s.lifecycle = LifeCycle::ReadyForCutover;
    let mut f = facts(vec![s]);
    add_job(
        &mut f,
        job(
            "mgnjob-1",
            &[1],
            JobStatus::Completed,
            LaunchStatus::Launched,
            true,
        ),
    );
    add_job(
        &mut f,
        job(
            "mgnjob-2",
            &[1],
            JobStatus::Completed,
            LaunchStatus::Terminated,
            true,
        ),
    );
    let plan = run(&config(testing_policy()), &schedule(), f);
    assert!(plan.actions.is_empty(), "{:?}", plan.actions);
    assert!(reason(&plan, 1).contains("was terminated in job mgnjob-2"));
}

#[test]
fn a_testing_server_that_is_not_launchable_waits_for_its_cleanup() {
    let mut s = testing(1, "mgnjob-1", NOW - 3 * HOUR);
    s.launchable = false;
    let mut f = facts(vec![s]);
    add_job(
        &mut f,
        job(
            "mgnjob-1",
            &[1],
            JobStatus::Completed,
            LaunchStatus::Launched,
            true,
        ),
    );
    let plan = run(&config(testing_policy()), &schedule(), f);
    assert!(plan.actions.is_empty());
    assert!(reason(&plan, 1).contains("only while it is launchable"));
}
