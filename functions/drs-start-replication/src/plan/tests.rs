use super::*;
use crate::model::ExtendedCopy;
use crate::model::ReplicationState::{Continuous, Stalled, Stopped};
use dr_core::drs::{AlarmMapping, DimensionMatch, Selection, ServerChoice, TagFilter};
use dr_core::fleet::Target;
use dr_core::function::Action;
use dr_core::report::LISTED_SKIPS;
use dr_core::trigger::AlarmDelivery;
use dr_testkit::triggers::{
    alarm, backup_job_notification, direct, drs_launch_result, on, schedule, stalled,
};

fn id(n: u32) -> String {
    format!("s-{n:017}")
}

fn sid(n: u32) -> SourceServerId {
    SourceServerId::parse(&id(n)).expect("test ids are valid")
}

fn server(n: u32, state: ReplicationState) -> SourceServer {
    SourceServer {
        id: sid(n),
        hostname: Some(format!("host-{n}")),
        fqdn: Some(format!("host-{n}.corp.example.com")),
        instance_id: Some(format!("i-{n:017x}")),
        tags: vec![(
            "Env".to_owned(),
            if n.is_multiple_of(2) { "prod" } else { "dev" }.to_owned(),
        )],
        state,
        replication_error: None,
        staging: Staging::NotExtended,
        staging_account: Some(
            if n < 100 {
                "111111111111"
            } else {
                "222222222222"
            }
            .to_owned(),
        ),
    }
}

fn config(selection: Selection) -> DrsConfig {
    DrsConfig {
        settings: dr_core::settings::Settings::default(),
        choice: ServerChoice {
            selection,
            alarm_mapping: AlarmMapping::default(),
        },
        replication_quota: 300,
    }
}

fn all() -> Selection {
    Selection {
        all: true,
        ..Selection::default()
    }
}

/// The plan for `servers` as observed in the home target alone.
fn plan_for(trigger: &Trigger, config: &DrsConfig, servers: Vec<SourceServer>) -> Plan<Start> {
    let home = Target::home(None, None);
    let observed = Observed {
        target: &home,
        trigger: trigger.clone(),
        facts: Facts { servers },
    };
    let mut plans = plan(config, &[observed]);
    assert_eq!(plans.len(), 1, "one plan per observed target");
    plans.remove(0)
}

/// The ids a plan starts, in order.
fn started(plan: &Plan<Start>) -> Vec<String> {
    plan.actions
        .iter()
        .map(|s| s.source_server_id.to_string())
        .collect()
}

/// Asserts what a plan starts and skips: each skip by target and the start of its reason.
fn assert_plan(got: &Plan<Start>, starts: &[String], skips: &[(String, &str)]) {
    assert_eq!(started(got), starts, "starts");
    let listed = got.skips.listed();
    assert_eq!(listed.len(), skips.len(), "skips {listed:#?}");
    for (skip, (target, reason)) in listed.iter().zip(skips) {
        assert_eq!(&skip.target, target);
        assert!(
            skip.reason.starts_with(reason),
            "{target}: `{}` does not start with `{reason}`",
            skip.reason
        );
    }
}

/// The reason a schedule over `server` alone skips it.
fn scheduled_skip(server: SourceServer) -> String {
    let id = server.id.to_string();
    let got = plan_for(&schedule(), &config(all()), vec![server]);
    assert!(got.actions.is_empty(), "{id} started");
    dr_testkit::skip_reason(&got.skips, &id).to_owned()
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).expect("test fleets are small")
}

// ---------------------------------------------------------------- states on a schedule

#[test]
fn a_schedule_starts_a_stopped_server() {
    let got = plan_for(&schedule(), &config(all()), vec![server(0, Stopped)]);
    assert_plan(&got, &[id(0)], &[]);
}

#[test]
fn a_schedule_leaves_every_replicating_state_alone_as_already_replicating() {
    for state in [
        ReplicationState::Initiating,
        ReplicationState::InitialSync,
        ReplicationState::Backlog,
        ReplicationState::CreatingSnapshot,
        Continuous,
        ReplicationState::Rescan,
    ] {
        let want = format!("{}: already replicating", state.as_str());
        assert_eq!(scheduled_skip(server(1, state)), want);
    }
}

#[test]
fn a_paused_server_is_not_started_because_it_is_not_stopped() {
    let reason = scheduled_skip(server(1, ReplicationState::Paused));
    assert!(
        reason.starts_with("PAUSED: replication is paused, not stopped"),
        "{reason}"
    );
}

#[test]
fn a_server_in_a_state_this_build_does_not_know_is_not_started() {
    let reason = scheduled_skip(server(1, ReplicationState::default()));
    assert_eq!(
        reason,
        "UNKNOWN: not a state replication can be started from"
    );
}

#[test]
fn a_disconnected_server_needs_its_agent_reinstalled() {
    let reason = scheduled_skip(server(7, ReplicationState::Disconnected));
    assert!(
        reason.starts_with(
            "DISCONNECTED: the server was disconnected from DRS, which deleted its replication \
             resources and had the agent uninstall itself; reinstall the AWS Replication Agent"
        ),
        "{reason}"
    );
}

fn stalled_with(error: Option<&str>, raw: Option<&str>) -> SourceServer {
    SourceServer {
        replication_error: Some(ReplicationError {
            error: error.map(str::to_owned),
            raw: raw.map(str::to_owned),
        }),
        ..server(4, Stalled)
    }
}

const STALLED: &str = "STALLED: replication is stalled, not stopped, and StartReplication applies \
                       only to STOPPED servers; DRS reports ";

#[test]
fn a_stalled_server_shows_drs_error_and_raw_error() {
    let reason = scheduled_skip(stalled_with(
        Some("NOT_CONVERGING"),
        Some("writes outpace the link"),
    ));
    assert!(
        reason.starts_with(&format!(
            "{STALLED}NOT_CONVERGING (writes outpace the link)"
        )),
        "{reason}"
    );
}

#[test]
fn a_stalled_server_with_only_a_raw_error_shows_it() {
    let reason = scheduled_skip(stalled_with(None, Some("agent lost its pairing")));
    assert!(
        reason.starts_with(&format!("{STALLED}agent lost its pairing:")),
        "{reason}"
    );
}

#[test]
fn a_stalled_server_without_an_error_says_drs_reported_none() {
    let reason = scheduled_skip(server(6, Stalled));
    assert!(
        reason.starts_with(&format!("{STALLED}no dataReplicationError")),
        "{reason}"
    );
}

// ---------------------------------------------------------------- staging accounts

/// A server extended from staging account 210987654321's server `s-…{n + 500}`.
fn extended(n: u32, state: ReplicationState) -> SourceServer {
    SourceServer {
        staging_account: Some(STAGING.into()),
        staging: Staging::Extended {
            staging_source_server_arn: Some(dr_testkit::arn(&format!(
                "arn:aws:drs:us-east-1:{STAGING}:source-server/{}",
                id(n + 500)
            ))),
        },
        ..server(n, state)
    }
}

const STAGING: &str = "210987654321";

#[test]
fn an_extended_server_is_started_in_its_staging_account_named_from_its_arn() {
    let server = SourceServer {
        staging_account: Some("111111111111".into()),
        ..extended(1, Stopped)
    };
    assert_eq!(
        scheduled_skip(server),
        "EXTENDED from staging account 210987654321: its replication runs and is counted there; \
         start it in that account, which is not observed in this run (not in the fleet, or its \
         read failed)"
    );
}

#[test]
fn an_extended_server_without_an_arn_is_named_by_its_staging_account_id() {
    let server = SourceServer {
        staging: Staging::Extended {
            staging_source_server_arn: None,
        },
        ..extended(2, Stopped)
    };
    assert!(scheduled_skip(server).starts_with("EXTENDED from staging account 210987654321"));
}

#[test]
fn a_server_drs_cannot_reach_in_its_staging_account_is_left_alone_with_drs_message() {
    let server = SourceServer {
        staging: Staging::ExtensionError {
            staging_source_server_arn: None,
            message: Some("AccessDenied on the staging role".into()),
        },
        staging_account: Some(STAGING.into()),
        ..server(3, Stopped)
    };
    assert!(scheduled_skip(server).starts_with(
        "EXTENSION_ERROR: DRS cannot reach its staging source server in account 210987654321 \
         (AccessDenied on the staging role)"
    ));
}

#[test]
fn a_stalled_event_naming_an_extended_server_does_not_start_it_here() {
    let got = plan_for(
        &on(stalled(&id(1), StalledState::Stalled)),
        &config(all()),
        vec![extended(1, Stopped)],
    );
    assert_plan(
        &got,
        &[],
        &[(id(1), "EXTENDED from staging account 210987654321")],
    );
}

// ---------------------------------------------------------------- across the fleet

/// The target account of the fleet tests, where servers are extended into.
const TARGET: &str = "123456789012";

fn at(account: &str, region: &str) -> Target {
    Target::home(Some(account.into()), Some(region.into()))
}

/// Server `n + 500` of the staging account: what `extended(n, _)` is a copy of.
fn staging_server(n: u32, state: ReplicationState) -> SourceServer {
    SourceServer {
        staging_account: Some(STAGING.into()),
        ..server(n + 500, state)
    }
}

/// The plans for `trigger` over `fleet`, each target with the servers it lists.
fn fleet_plans(
    trigger: &Trigger,
    config: &DrsConfig,
    fleet: &[(&Target, Vec<SourceServer>)],
) -> Vec<Plan<Start>> {
    let observed: Vec<_> = fleet
        .iter()
        .map(|(target, servers)| Observed {
            target,
            trigger: trigger.clone(),
            facts: Facts {
                servers: servers.clone(),
            },
        })
        .collect();
    let plans = plan(config, &observed);
    assert_eq!(plans.len(), fleet.len(), "one plan per observed target");
    plans
}

/// Selects the servers `ns` by id.
fn only(ns: &[u32]) -> DrsConfig {
    config(Selection {
        source_server_ids: ns.iter().copied().map(sid).collect(),
        ..Selection::default()
    })
}

/// The plans of a schedule over the target account (`extended` servers) and the staging
/// account (`staging` servers), both in us-east-1.
fn with_staging(
    config: &DrsConfig,
    extended: Vec<SourceServer>,
    staging: Vec<SourceServer>,
) -> Vec<Plan<Start>> {
    let (target, staging_target) = (at(TARGET, "us-east-1"), at(STAGING, "us-east-1"));
    fleet_plans(
        &schedule(),
        config,
        &[(&target, extended), (&staging_target, staging)],
    )
}

const STARTED_THERE: &str = "EXTENDED from staging account 210987654321: started there, on its \
                             staging source server ";

#[test]
fn an_extended_server_is_started_in_its_staging_account_observed_in_the_same_run() {
    let plans = with_staging(
        &only(&[1]),
        vec![extended(1, Stopped)],
        vec![staging_server(1, Stopped)],
    );
    assert_plan(
        &plans[0],
        &[],
        &[(id(1), &format!("{STARTED_THERE}{}", id(501)))],
    );
    assert_plan(&plans[1], &[id(501)], &[]);
    assert_eq!(
        plans[1].actions[0].for_extended,
        [ExtendedCopy {
            source_server_id: sid(1),
            account: Some(TARGET.into()),
        }]
    );
}

#[test]
fn a_start_in_a_staging_account_names_the_extended_server_it_is_for() {
    let plans = with_staging(
        &only(&[1]),
        vec![extended(1, Stopped)],
        vec![staging_server(1, Stopped)],
    );
    let planned = plans[1].actions[0].planned();
    assert_eq!(
        planned.detail.as_deref(),
        Some(format!("for extended server {} of account {TARGET}", id(1)).as_str())
    );
}

#[test]
fn an_extended_server_whose_staging_account_is_not_observed_says_so() {
    let (target, other) = (at(TARGET, "us-east-1"), at("345678901234", "us-east-1"));
    let plans = fleet_plans(
        &schedule(),
        &only(&[1]),
        &[
            (&target, vec![extended(1, Stopped)]),
            (&other, vec![staging_server(1, Stopped)]),
        ],
    );
    assert_eq!(
        dr_testkit::skip_reason(&plans[0].skips, &id(1)),
        "EXTENDED from staging account 210987654321: its replication runs and is counted there; \
         start it in that account, which is not observed in this run in us-east-1 (not in the \
         fleet, or its read failed)"
    );
    assert!(plans.iter().all(|p| p.actions.is_empty()));
}

#[test]
fn an_extended_server_whose_staging_server_already_replicates_is_left_alone_saying_so() {
    let plans = with_staging(
        &only(&[1]),
        vec![extended(1, Stopped)],
        vec![staging_server(1, Continuous)],
    );
    assert_plan(
        &plans[0],
        &[],
        &[(
            id(1),
            &format!(
                "EXTENDED from staging account 210987654321: its staging source server {} there \
                 is CONTINUOUS: already replicating",
                id(501)
            ),
        )],
    );
    assert!(plans[1].actions.is_empty());
}

#[test]
fn an_extended_server_whose_staging_server_is_not_listed_there_is_left_alone() {
    let plans = with_staging(&only(&[1]), vec![extended(1, Stopped)], vec![]);
    assert_plan(
        &plans[0],
        &[],
        &[(
            id(1),
            &format!(
                "EXTENDED from staging account 210987654321: its staging source server {} is \
                 not listed there",
                id(501)
            ),
        )],
    );
}

#[test]
fn an_extended_server_without_a_staging_server_arn_is_not_started_anywhere() {
    let server = SourceServer {
        staging: Staging::Extended {
            staging_source_server_arn: None,
        },
        ..extended(1, Stopped)
    };
    let plans = with_staging(&only(&[1]), vec![server], vec![staging_server(1, Stopped)]);
    assert_plan(
        &plans[0],
        &[],
        &[(
            id(1),
            "EXTENDED from staging account 210987654321: DRS names no staging source server",
        )],
    );
    assert!(plans[1].actions.is_empty());
}

#[test]
fn a_staging_server_that_is_itself_extended_is_not_followed_further() {
    let copy_of_a_copy = SourceServer {
        staging: Staging::Extended {
            staging_source_server_arn: Some(dr_testkit::arn(
                "arn:aws:drs:us-east-1:345678901234:source-server/s-00000000000000999",
            )),
        },
        ..staging_server(1, Stopped)
    };
    let plans = with_staging(
        &only(&[1]),
        vec![extended(1, Stopped)],
        vec![copy_of_a_copy],
    );
    assert_plan(
        &plans[0],
        &[],
        &[(
            id(1),
            &format!(
                "EXTENDED from staging account 210987654321: its staging source server {} there \
                 does not replicate there either (EXTENDED from staging account 345678901234",
                id(501)
            ),
        )],
    );
    assert!(plans[1].actions.is_empty());
}

#[test]
fn a_server_selected_in_both_accounts_is_started_once_in_its_staging_account() {
    let plans = with_staging(
        &config(all()),
        vec![extended(1, Stopped)],
        vec![staging_server(1, Stopped)],
    );
    assert_plan(
        &plans[0],
        &[],
        &[(id(1), &format!("{STARTED_THERE}{}", id(501)))],
    );
    assert_plan(&plans[1], &[id(501)], &[]);
    assert_eq!(plans[1].actions[0].for_extended.len(), 1);
}

#[test]
fn an_alarm_mapping_to_both_copies_starts_the_staging_server_once() {
    let twin = SourceServer {
        instance_id: Some(instance(1)),
        ..staging_server(1, Stopped)
    };
    let (target, staging_target) = (at(TARGET, "us-east-1"), at(STAGING, "us-east-1"));
    let event = on(Event::Alarm(alarm(
        "web-1-down",
        AlarmState::Alarm,
        &[("InstanceId", &instance(1))],
    )));
    let plans = fleet_plans(
        &event,
        &config(all()),
        &[
            (&target, vec![extended(1, Stopped)]),
            (&staging_target, vec![twin]),
        ],
    );
    assert_plan(
        &plans[0],
        &[],
        &[(id(1), &format!("{STARTED_THERE}{}", id(501)))],
    );
    assert_plan(&plans[1], &[id(501)], &[]);
}

#[test]
fn starts_routed_to_a_staging_account_count_against_its_quota() {
    let mut staging: Vec<_> = (0..299)
        .map(|n| SourceServer {
            staging_account: Some(STAGING.into()),
            ..server(1000 + n, Continuous)
        })
        .collect();
    staging.extend([staging_server(1, Stopped), staging_server(2, Stopped)]);
    let plans = with_staging(
        &only(&[1, 2, 3]),
        vec![
            extended(1, Stopped),
            extended(2, Stopped),
            server(3, Stopped),
        ],
        staging,
    );
    assert_plan(
        &plans[0],
        &[id(3)],
        &[
            (id(1), &format!("{STARTED_THERE}{}", id(501))),
            (
                id(2),
                &format!(
                    "EXTENDED from staging account 210987654321: its staging source server {} is \
                     STOPPED, but 300 servers already replicate in that account and the quota \
                     is 300",
                    id(502)
                ),
            ),
        ],
    );
    assert_plan(&plans[1], &[id(501)], &[]);
}

#[test]
fn a_staging_account_shares_its_quota_between_its_own_starts_and_routed_ones() {
    let mut staging: Vec<_> = (0..299)
        .map(|n| SourceServer {
            staging_account: Some(STAGING.into()),
            ..server(1000 + n, Continuous)
        })
        .collect();
    staging.extend([staging_server(1, Stopped), staging_server(100, Stopped)]);
    let plans = with_staging(&only(&[1, 600]), vec![extended(1, Stopped)], staging);
    assert_plan(
        &plans[1],
        &[id(501)],
        &[(id(600), "STOPPED, but 300 servers")],
    );
}

#[test]
fn a_staging_account_observed_only_in_another_region_is_not_used() {
    let (target, staging_west) = (at(TARGET, "us-east-1"), at(STAGING, "us-west-2"));
    let plans = fleet_plans(
        &schedule(),
        &config(all()),
        &[
            (&target, vec![extended(1, Stopped)]),
            (&staging_west, vec![staging_server(1, Stopped)]),
        ],
    );
    assert!(dr_testkit::skip_reason(&plans[0].skips, &id(1)).ends_with(
        "which is not observed in this run in us-east-1 (not in the fleet, or its read failed)"
    ),);
    assert_plan(&plans[1], &[id(501)], &[]);
    assert!(
        plans[1].actions[0].for_extended.is_empty(),
        "its own start only"
    );
}

#[test]
fn a_server_drs_cannot_reach_is_left_alone_even_with_its_staging_account_observed() {
    let unreachable = SourceServer {
        staging: Staging::ExtensionError {
            staging_source_server_arn: Some(dr_testkit::arn(&format!(
                "arn:aws:drs:us-east-1:{STAGING}:source-server/{}",
                id(501)
            ))),
            message: Some("AccessDenied".into()),
        },
        staging_account: Some(STAGING.into()),
        ..server(1, Stopped)
    };
    let plans = with_staging(
        &only(&[1]),
        vec![unreachable],
        vec![staging_server(1, Stopped)],
    );
    assert_plan(
        &plans[0],
        &[],
        &[(id(1), "EXTENSION_ERROR: DRS cannot reach")],
    );
    assert!(plans[1].actions.is_empty());
}

// ---------------------------------------------------------------- the trigger across the fleet

/// Server 1 in one account, server 2 in another, both STOPPED in us-east-1: the plans of
/// `trigger` over them, everything selected.
fn two_accounts(trigger: &Trigger) -> Vec<Plan<Start>> {
    let (a, b) = (at(TARGET, "us-east-1"), at(STAGING, "us-east-1"));
    fleet_plans(
        trigger,
        &config(all()),
        &[
            (&a, vec![server(1, Stopped)]),
            (&b, vec![server(2, Stopped)]),
        ],
    )
}

#[test]
fn a_direct_invoke_over_the_fleet_skips_an_id_only_when_no_target_lists_it() {
    let plans = two_accounts(&direct(&[&id(1), &id(2), &id(9), "web-1"]));
    assert_plan(
        &plans[0],
        &[id(1)],
        &[
            (
                id(9),
                "no such source server in any account and region of this run",
            ),
            ("web-1".into(), "not a source server id"),
        ],
    );
    assert_plan(&plans[1], &[id(2)], &[]);
}

#[test]
fn an_alarm_back_to_ok_is_skipped_once_for_the_whole_fleet() {
    let plans = two_accounts(&on(Event::Alarm(alarm("a", AlarmState::Ok, &[]))));
    assert_plan(
        &plans[0],
        &[],
        &[("a".into(), "alarm is OK: nothing to recover")],
    );
    assert_plan(&plans[1], &[], &[]);
}

#[test]
fn an_alarm_that_maps_to_a_server_of_one_target_is_not_skipped_in_the_others() {
    let dims = [("InstanceId", instance(2))];
    let dims: Vec<(&str, &str)> = dims.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let plans = two_accounts(&on(Event::Alarm(alarm("a", AlarmState::Alarm, &dims))));
    assert_plan(&plans[0], &[], &[]);
    assert_plan(&plans[1], &[id(2)], &[]);
}

#[test]
fn an_alarm_that_maps_to_no_server_of_the_fleet_is_skipped_once() {
    let plans = two_accounts(&on(Event::Alarm(alarm("a", AlarmState::Alarm, &[]))));
    assert_plan(
        &plans[0],
        &[],
        &[(
            "a".into(),
            "no source server in any account and region of this run maps to this alarm",
        )],
    );
    assert_plan(&plans[1], &[], &[]);
}

// ---------------------------------------------------------------- the replication quota

/// 299 servers taking a slot here: `also` and the rest CONTINUOUS (ids from 1000); then 50 more
/// made by `make` (ids from 2000) and two selected STOPPED servers (ids 0 and 1). The quota is
/// 300, so one slot is left unless `make`'s servers take slots too.
fn quota_plan(make: impl Fn(u32) -> SourceServer, also: Vec<SourceServer>) -> Plan<Start> {
    let replicating = 299 - to_u32(also.len());
    let mut servers: Vec<_> = (0..replicating)
        .map(|n| server(1000 + n, Continuous))
        .collect();
    servers.extend(also.into_iter().chain((0..50).map(|n| make(2000 + n))));
    servers.extend([server(0, Stopped), server(1, Stopped)]);
    let selected = config(Selection {
        source_server_ids: vec![sid(0), sid(1)],
        ..Selection::default()
    });
    plan_for(&schedule(), &selected, servers)
}

/// The one slot left starts server 0; server 1 waits for the quota.
fn assert_one_slot_left(got: &Plan<Start>) {
    assert_plan(
        got,
        &[id(0)],
        &[(
            id(1),
            "STOPPED, but 300 servers already replicate in this account",
        )],
    );
}

#[test]
fn servers_extended_from_a_staging_account_replicate_and_count_there() {
    assert_one_slot_left(&quota_plan(|n| extended(n, Continuous), vec![]));
}

#[test]
fn disconnected_servers_hold_no_replication_slot() {
    assert_one_slot_left(&quota_plan(
        |n| server(n, ReplicationState::Disconnected),
        vec![],
    ));
}

#[test]
fn stopped_servers_hold_no_replication_slot() {
    assert_one_slot_left(&quota_plan(|n| server(n, Stopped), vec![]));
}

#[test]
fn servers_drs_cannot_reach_in_their_staging_account_hold_no_slot_here() {
    let with_error = |n: u32| SourceServer {
        staging: Staging::ExtensionError {
            staging_source_server_arn: None,
            message: Some("AccessDenied".into()),
        },
        staging_account: Some(STAGING.into()),
        ..server(n, Continuous)
    };
    assert_one_slot_left(&quota_plan(with_error, vec![]));
}

#[test]
fn paused_and_stalled_servers_keep_their_slot() {
    let also = vec![
        server(3000, ReplicationState::Paused),
        server(3001, Stalled),
    ];
    assert_one_slot_left(&quota_plan(|n| server(n, Stopped), also));
}

#[test]
fn a_server_reporting_no_state_keeps_its_slot() {
    let also = vec![server(3000, ReplicationState::default())];
    assert_one_slot_left(&quota_plan(|n| server(n, Stopped), also));
}

/// 298 servers replicating and five STOPPED ones selected (ids 0 to 4).
fn two_slots_left() -> (DrsConfig, Vec<SourceServer>) {
    let mut servers: Vec<_> = (0..298).map(|n| server(1000 + n, Continuous)).collect();
    servers.extend((0..5).map(|n| server(n, Stopped)));
    let cfg = config(Selection {
        source_server_ids: (0..5).map(sid).collect(),
        ..Selection::default()
    });
    (cfg, servers)
}

#[test]
fn starts_stop_at_the_quota_and_the_rest_say_why() {
    let (cfg, servers) = two_slots_left();
    let full = "STOPPED, but 300 servers already replicate in this account and the quota is 300";
    let got = plan_for(&schedule(), &cfg, servers);
    assert_plan(
        &got,
        &[id(0), id(1)],
        &[(id(2), full), (id(3), full), (id(4), full)],
    );
}

#[test]
fn a_raised_quota_starts_them_all() {
    let (mut cfg, servers) = two_slots_left();
    cfg.replication_quota = 1000;
    let got = plan_for(&schedule(), &cfg, servers);
    assert_plan(&got, &(0..5).map(id).collect::<Vec<_>>(), &[]);
}

#[test]
fn a_fleet_skipping_more_than_a_report_lists_keeps_only_the_listed_skips() {
    let replicating = LISTED_SKIPS + 1200;
    let mut servers: Vec<_> = (0..5).map(|n| server(n, Stopped)).collect();
    servers.extend((0..replicating).map(|n| server(10_000 + to_u32(n), Continuous)));
    let mut cfg = config(all());
    cfg.replication_quota = servers.len();
    let got = plan_for(&schedule(), &cfg, servers);
    assert_eq!(started(&got), (0..5).map(id).collect::<Vec<_>>());
    assert_eq!(got.skips.total(), replicating);
    assert_eq!(got.skips.listed().len(), LISTED_SKIPS);
    assert_eq!(
        dr_testkit::skipped_targets(&got.skips)[..2],
        [id(10_000), id(10_001)]
    );
}

// ---------------------------------------------------------------- selection

/// The ids a schedule starts over servers 1-4 (staging account 1111...) and 101 (2222...),
/// all STOPPED, under `selection`; nothing outside it is skipped on a schedule.
fn selected(selection: Selection) -> Vec<String> {
    let servers: Vec<_> = [1, 2, 3, 4, 101]
        .iter()
        .map(|n| server(*n, Stopped))
        .collect();
    let got = plan_for(&schedule(), &config(selection), servers);
    assert!(got.skips.is_empty(), "{:?}", got.skips);
    started(&got)
}

fn ids(ns: &[u32]) -> Vec<String> {
    ns.iter().copied().map(id).collect()
}

fn by_tags(tags: Vec<(&str, Vec<&str>)>) -> Selection {
    let tags = tags
        .into_iter()
        .map(|(k, vs)| (k.to_owned(), vs.into_iter().map(str::to_owned).collect()))
        .collect();
    Selection {
        tags: TagFilter(tags),
        ..Selection::default()
    }
}

#[test]
fn selecting_all_takes_every_server() {
    assert_eq!(selected(all()), ids(&[1, 2, 3, 4, 101]));
}

#[test]
fn selecting_by_id_takes_the_ids_that_exist() {
    let selection = Selection {
        source_server_ids: vec![sid(3), sid(999)],
        ..Selection::default()
    };
    assert_eq!(selected(selection), ids(&[3]));
}

#[test]
fn selecting_by_tag_value_takes_the_servers_with_that_value() {
    assert_eq!(selected(by_tags(vec![("Env", vec!["prod"])])), ids(&[2, 4]));
}

#[test]
fn selecting_by_tag_key_alone_takes_every_value() {
    assert_eq!(
        selected(by_tags(vec![("Env", vec![])])),
        ids(&[1, 2, 3, 4, 101])
    );
}

#[test]
fn selecting_by_tags_needs_every_key_to_match() {
    let selection = by_tags(vec![("Env", vec!["prod"]), ("Tier", vec![])]);
    assert!(selected(selection).is_empty());
}

#[test]
fn selecting_by_hostname_matches_hostname_and_fqdn_in_any_case() {
    let selection = Selection {
        hostnames: vec!["HOST-1".into(), "host-4.corp.example.com".into()],
        ..Selection::default()
    };
    assert_eq!(selected(selection), ids(&[1, 4]));
}

#[test]
fn selecting_by_instance_id_takes_that_instance() {
    let selection = Selection {
        instance_ids: vec![format!("i-{:017x}", 2)],
        ..Selection::default()
    };
    assert_eq!(selected(selection), ids(&[2]));
}

#[test]
fn selection_criteria_are_a_union() {
    let selection = Selection {
        source_server_ids: vec![sid(1)],
        hostnames: vec!["host-2".into()],
        ..Selection::default()
    };
    assert_eq!(selected(selection), ids(&[1, 2]));
}

#[test]
fn staging_accounts_narrow_the_selection() {
    let selection = Selection {
        all: true,
        staging_accounts: vec!["222222222222".into()],
        ..Selection::default()
    };
    assert_eq!(selected(selection), ids(&[101]));
}

#[test]
fn a_direct_invoke_narrows_the_selection_never_widens_it() {
    let servers = vec![
        server(1, Stopped),
        server(2, Stopped),
        server(3, Continuous),
    ];
    let selection = Selection {
        source_server_ids: vec![sid(1), sid(3)],
        ..Selection::default()
    };
    let invoke = direct(&[&id(1), &id(2), &id(3), &id(9), "web-1", &id(1)]);
    let got = plan_for(&invoke, &config(selection), servers);
    assert_plan(
        &got,
        &[id(1)],
        &[
            (id(2), "outside the configured selection"),
            (id(9), "no such source server in this account and region"),
            ("web-1".into(), "not a source server id"),
            (id(3), "CONTINUOUS: already replicating"),
        ],
    );
}

// ---------------------------------------------------------------- alarms

/// Servers 1-3 and 5 STOPPED; 5 is tagged `dr:alarm=db-primary-down` and `Name=db-5`. Alarms
/// map by `Hostname` and by the `dr:alarm` tag.
fn alarm_fleet() -> (DrsConfig, Vec<SourceServer>) {
    let mut tagged = server(5, Stopped);
    tagged
        .tags
        .push(("dr:alarm".into(), "db-primary-down".into()));
    tagged.tags.push(("Name".into(), "db-5".into()));
    let mut cfg = config(all());
    cfg.choice.alarm_mapping = AlarmMapping {
        dimension: Some(("Hostname".into(), DimensionMatch::Hostname)),
        tag_key: Some("dr:alarm".into()),
    };
    let servers = vec![
        server(1, Stopped),
        server(2, Stopped),
        server(3, Stopped),
        tagged,
    ];
    (cfg, servers)
}

/// The plan for `alarm` over the alarm fleet, checked to be the same however it was delivered.
fn on_alarm(alarm: Alarm) -> Plan<Start> {
    let (cfg, servers) = alarm_fleet();
    let by_sns = plan_for(&on(Event::Alarm(alarm.clone())), &cfg, servers.clone());
    let by_action = Alarm {
        delivery: AlarmDelivery::LambdaAction,
        ..alarm
    };
    let by_action = plan_for(&on(Event::Alarm(by_action)), &cfg, servers);
    assert_eq!(by_sns, by_action, "the delivery changes nothing");
    by_sns
}

fn instance(n: u32) -> String {
    format!("i-{n:017x}")
}

#[test]
fn an_alarm_on_an_instance_id_recovers_that_server() {
    let got = on_alarm(alarm(
        "web-1-down",
        AlarmState::Alarm,
        &[("InstanceId", &instance(1))],
    ));
    assert_plan(&got, &[id(1)], &[]);
}

#[test]
fn an_alarm_on_the_mapped_dimension_recovers_the_server_of_that_hostname() {
    let got = on_alarm(alarm("a", AlarmState::Alarm, &[("Hostname", "HOST-2")]));
    assert_plan(&got, &[id(2)], &[]);
}

#[test]
fn an_alarm_named_by_a_server_tag_recovers_that_server() {
    let got = on_alarm(alarm("db-primary-down", AlarmState::Alarm, &[]));
    assert_plan(&got, &[id(5)], &[]);
}

#[test]
fn an_alarm_with_several_dimensions_recovers_each_server_they_map_to() {
    let dims = [("InstanceId", instance(1)), ("Hostname", "host-3".into())];
    let dims: Vec<(&str, &str)> = dims.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let got = on_alarm(alarm("a", AlarmState::Alarm, &dims));
    assert_plan(&got, &[id(1), id(3)], &[]);
}

#[test]
fn an_alarm_back_to_ok_recovers_nothing() {
    let got = on_alarm(alarm("a", AlarmState::Ok, &[("InstanceId", &instance(1))]));
    assert_plan(
        &got,
        &[],
        &[("a".into(), "alarm is OK: nothing to recover")],
    );
}

#[test]
fn an_alarm_with_insufficient_data_recovers_nothing() {
    let got = on_alarm(alarm("a", AlarmState::InsufficientData, &[]));
    assert_plan(&got, &[], &[("a".into(), "alarm is INSUFFICIENT_DATA")]);
}

#[test]
fn an_alarm_that_maps_to_no_server_names_its_dimensions() {
    let got = on_alarm(alarm(
        "cpu-high",
        AlarmState::Alarm,
        &[("AutoScalingGroupName", "web")],
    ));
    let reason = "no source server maps to this alarm (dimensions: AutoScalingGroupName=web)";
    assert_plan(&got, &[], &[("cpu-high".into(), reason)]);
}

#[test]
fn an_alarm_dimension_can_be_matched_against_a_tag() {
    let (mut cfg, servers) = alarm_fleet();
    cfg.choice.alarm_mapping.dimension =
        Some(("Hostname".into(), DimensionMatch::Tag("Name".into())));
    let event = on(Event::Alarm(alarm(
        "a",
        AlarmState::Alarm,
        &[("Hostname", "db-5")],
    )));
    assert_plan(&plan_for(&event, &cfg, servers), &[id(5)], &[]);
}

#[test]
fn an_alarm_naming_a_server_outside_the_selection_is_skipped() {
    let servers = vec![server(1, Stopped), server(2, Stopped)];
    let cfg = config(Selection {
        source_server_ids: vec![sid(2)],
        ..Selection::default()
    });
    let event = on(Event::Alarm(alarm(
        "a",
        AlarmState::Alarm,
        &[("InstanceId", &instance(1))],
    )));
    assert_plan(
        &plan_for(&event, &cfg, servers),
        &[],
        &[(id(1), "outside the configured selection")],
    );
}

// ---------------------------------------------------------------- stalled and other events

/// The plan for `trigger` over server 1 (STOPPED) and server 2 (STALLED), all selected.
fn on_event(trigger: Trigger) -> Plan<Start> {
    let servers = vec![server(1, Stopped), server(2, Stalled)];
    plan_for(&trigger, &config(all()), servers)
}

#[test]
fn a_stalled_event_starts_its_server_when_it_has_stopped_since() {
    let got = on_event(on(stalled(&id(1), StalledState::Stalled)));
    assert_plan(&got, &[id(1)], &[]);
}

#[test]
fn a_stalled_event_leaves_a_server_still_stalled_alone() {
    let got = on_event(on(stalled(&id(2), StalledState::Stalled)));
    assert_plan(
        &got,
        &[],
        &[(id(2), "STALLED: replication is stalled, not stopped")],
    );
}

#[test]
fn a_stalled_event_back_to_not_stalled_recovers_nothing() {
    let got = on_event(on(stalled(&id(2), StalledState::NotStalled)));
    assert_plan(
        &got,
        &[],
        &[(id(2), "stalled-change event with state NOT_STALLED")],
    );
}

#[test]
fn a_stalled_event_of_an_unknown_server_is_skipped() {
    let got = on_event(on(stalled(&id(7), StalledState::Stalled)));
    assert_plan(&got, &[], &[(id(7), "no such source server")]);
}

#[test]
fn events_of_other_kinds_are_skipped_as_not_handled_by_this_function() {
    let trigger = Trigger::from_events(vec![
        backup_job_notification("m-1"),
        drs_launch_result(
            "e-1",
            "s-12345678901234567",
            "drsjob-04ca7d0d3fb6afa3e",
            true,
            false,
        ),
    ]);
    let got = on_event(trigger);
    assert_plan(
        &got,
        &[],
        &[
            (
                "m-1".into(),
                "backup vault notification BACKUP_JOB COMPLETED: not handled by \
                 drs-start-replication",
            ),
            (
                "e-1".into(),
                "aws.drs DRS Source Server Launch Result: not handled by drs-start-replication",
            ),
        ],
    );
}
