use super::*;
use crate::config::TagFilter;
use crate::model::ReplicationState::{Continuous, Stalled, Stopped};
use dr_core::report::LISTED_SKIPS;
use dr_core::trigger::{
    AlarmDelivery, AlarmKind, Dimension, DirectInvoke, OtherEvent, Schedule, VaultNotification,
};

fn id(n: u32) -> String {
    format!("s-{n:017}")
}

fn server(n: u32, state: ReplicationState) -> SourceServer {
    SourceServer {
        id: id(n),
        hostname: Some(format!("host-{n}")),
        fqdn: Some(format!("host-{n}.corp.example.com")),
        instance_id: Some(format!("i-{n:017x}")),
        tags: vec![(
            "Env".to_owned(),
            if n % 2 == 0 { "prod" } else { "dev" }.to_owned(),
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
        selection,
        alarm_mapping: AlarmMapping::default(),
        replication_quota: 300,
    }
}

fn all() -> Selection {
    Selection {
        all: true,
        ..Selection::default()
    }
}

fn on(event: Event) -> Trigger {
    Trigger::from_events(vec![event])
}

fn schedule() -> Trigger {
    on(Event::Schedule(Schedule { name: None }))
}

fn direct(targets: &[&str]) -> Trigger {
    on(Event::Direct(DirectInvoke {
        targets: targets.iter().map(|t| t.to_string()).collect(),
    }))
}

fn alarm(name: &str, state: AlarmState, dims: &[(&str, &str)]) -> Alarm {
    Alarm {
        name: name.into(),
        arn: None,
        description: None,
        state,
        previous_state: Some(AlarmState::Ok),
        reason: None,
        account: Some("123456789012".into()),
        kind: AlarmKind::Metric,
        dimensions: dims
            .iter()
            .map(|(n, v)| Dimension {
                name: n.to_string(),
                value: v.to_string(),
            })
            .collect(),
        delivery: AlarmDelivery::Sns,
    }
}

fn stalled(server_id: &str, state: StalledState) -> Event {
    Event::ReplicationStalled(ReplicationStalled {
        source_server_id: server_id.into(),
        state,
    })
}

/// Expected skips: target and the start of the reason.
type Skips = Vec<(String, &'static str)>;

struct Case {
    name: &'static str,
    trigger: Trigger,
    config: DrsConfig,
    servers: Vec<SourceServer>,
    starts: Vec<String>,
    skips: Skips,
}

/// The plan for `servers` as observed.
fn plan_for(trigger: &Trigger, config: &DrsConfig, servers: Vec<SourceServer>) -> Plan<Start> {
    plan(trigger, config, &Facts { servers })
}

/// The ids a plan starts, in order.
fn started(plan: &Plan<Start>) -> Vec<String> {
    plan.actions
        .iter()
        .map(|s| s.source_server_id.clone())
        .collect()
}

fn check(case: Case) {
    let got = plan_for(&case.trigger, &case.config, case.servers);
    assert_eq!(started(&got), case.starts, "{}: starts", case.name);
    let skips: Vec<(String, String)> = got
        .skips
        .listed()
        .iter()
        .map(|s| (s.target.clone(), s.reason.clone()))
        .collect();
    assert_eq!(
        skips.len(),
        case.skips.len(),
        "{}: skips {skips:?}",
        case.name
    );
    for ((target, reason), (want_target, want_reason)) in skips.iter().zip(&case.skips) {
        assert_eq!(target, want_target, "{}", case.name);
        assert!(
            reason.starts_with(want_reason),
            "{}: reason `{reason}` does not start with `{want_reason}`",
            case.name
        );
    }
}

#[test]
fn schedule_starts_stopped_and_explains_every_other_state() {
    let states = [
        Stopped,
        ReplicationState::Initiating,
        ReplicationState::InitialSync,
        ReplicationState::Backlog,
        ReplicationState::CreatingSnapshot,
        Continuous,
        ReplicationState::Paused,
        ReplicationState::Rescan,
        Stalled,
        ReplicationState::Disconnected,
        ReplicationState::Unknown("UNKNOWN".into()),
    ];
    let servers: Vec<_> = states
        .into_iter()
        .enumerate()
        .map(|(i, s)| server(to_u32(i), s))
        .collect();
    check(Case {
        name: "every state",
        trigger: schedule(),
        config: config(all()),
        servers,
        starts: vec![id(0)],
        skips: vec![
            (id(1), "INITIATING: already replicating"),
            (id(2), "INITIAL_SYNC: already replicating"),
            (id(3), "BACKLOG: already replicating"),
            (id(4), "CREATING_SNAPSHOT: already replicating"),
            (id(5), "CONTINUOUS: already replicating"),
            (id(6), "PAUSED: replication is paused, not stopped"),
            (id(7), "RESCAN: already replicating"),
            (id(8), "STALLED: replication is stalled, not stopped"),
            (id(9), "DISCONNECTED: the server was disconnected from DRS"),
            (
                id(10),
                "UNKNOWN: not a state replication can be started from",
            ),
        ],
    });
}

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

/// `replicating` servers in `state` (ids from 1000), made by `make`, then two STOPPED servers
/// replicating here (ids 0 and 1) that the configuration selects.
fn fleet_with(
    replicating: u32,
    make: impl Fn(u32) -> SourceServer,
    also: Vec<SourceServer>,
) -> Vec<SourceServer> {
    let mut servers: Vec<_> = (0..replicating)
        .map(|n| server(1000 + n, Continuous))
        .collect();
    servers.extend(also.into_iter().chain((0..50).map(|n| make(2000 + n))));
    servers.extend([server(0, Stopped), server(1, Stopped)]);
    servers
}

#[test]
fn the_quota_counts_only_servers_that_replicate_in_this_account() {
    let selected = || {
        config(Selection {
            source_server_ids: vec![id(0), id(1)],
            ..Selection::default()
        })
    };
    let quota_skip = (
        id(1),
        "STOPPED, but 300 servers already replicate in this account",
    );
    let with_error = |n: u32| SourceServer {
        staging: Staging::ExtensionError {
            staging_source_server_arn: None,
            message: Some("AccessDenied".into()),
        },
        staging_account: Some(STAGING.into()),
        ..server(n, Continuous)
    };
    let cases: Vec<(&str, Vec<SourceServer>, Vec<String>, Skips)> = vec![
        (
            "servers extended from a staging account replicate and count there",
            fleet_with(299, |n| extended(n, Continuous), vec![]),
            vec![id(0)],
            vec![quota_skip.clone()],
        ),
        (
            "disconnected servers hold no replication slot",
            fleet_with(299, |n| server(n, ReplicationState::Disconnected), vec![]),
            vec![id(0)],
            vec![quota_skip.clone()],
        ),
        (
            "stopped servers hold no replication slot",
            fleet_with(299, |n| server(n, Stopped), vec![]),
            vec![id(0)],
            vec![quota_skip.clone()],
        ),
        (
            "servers DRS cannot reach in their staging account hold no slot here",
            fleet_with(299, with_error, vec![]),
            vec![id(0)],
            vec![quota_skip.clone()],
        ),
        (
            "paused and stalled servers keep their slot",
            fleet_with(
                297,
                |n| server(n, Stopped),
                vec![
                    server(3000, ReplicationState::Paused),
                    server(3001, Stalled),
                ],
            ),
            vec![id(0)],
            vec![quota_skip.clone()],
        ),
        (
            "a server reporting no state keeps its slot",
            fleet_with(
                299,
                |n| server(n, Stopped),
                vec![server(3000, ReplicationState::Unknown("UNKNOWN".into()))],
            ),
            vec![],
            vec![
                (
                    id(0),
                    "STOPPED, but 300 servers already replicate in this account",
                ),
                quota_skip.clone(),
            ],
        ),
    ];
    for (name, servers, starts, skips) in cases {
        check(Case {
            name,
            trigger: schedule(),
            config: selected(),
            servers,
            starts,
            skips,
        });
    }
}

#[test]
fn servers_that_replicate_elsewhere_or_cannot_replicate_say_what_to_do() {
    let stalled_with = |n: u32, error: Option<&str>, raw: Option<&str>| SourceServer {
        replication_error: Some(ReplicationError {
            error: error.map(str::to_owned),
            raw: raw.map(str::to_owned),
        }),
        ..server(n, Stalled)
    };
    let cases: Vec<(&str, SourceServer, &str)> = vec![
        (
            "an extended server is started in its staging account, named from its ARN",
            SourceServer {
                staging_account: Some("111111111111".into()),
                ..extended(1, Stopped)
            },
            "EXTENDED from staging account 210987654321: its replication runs and is counted \
             there; start it in that account",
        ),
        (
            "an extended server without an ARN is named by its staging account id",
            SourceServer {
                staging: Staging::Extended {
                    staging_source_server_arn: None,
                },
                ..extended(2, Stopped)
            },
            "EXTENDED from staging account 210987654321",
        ),
        (
            "a server DRS cannot reach in its staging account is left alone with DRS's message",
            SourceServer {
                staging: Staging::ExtensionError {
                    staging_source_server_arn: None,
                    message: Some("AccessDenied on the staging role".into()),
                },
                staging_account: Some(STAGING.into()),
                ..server(3, Stopped)
            },
            "EXTENSION_ERROR: DRS cannot reach its staging source server in account \
             210987654321 (AccessDenied on the staging role)",
        ),
        (
            "a stalled server shows DRS's error and raw error",
            stalled_with(4, Some("NOT_CONVERGING"), Some("writes outpace the link")),
            "STALLED: replication is stalled, not stopped, and StartReplication applies only to \
             STOPPED servers; DRS reports NOT_CONVERGING (writes outpace the link)",
        ),
        (
            "a stalled server with only a raw error shows it",
            stalled_with(5, None, Some("agent lost its pairing")),
            "STALLED: replication is stalled, not stopped, and StartReplication applies only to \
             STOPPED servers; DRS reports agent lost its pairing:",
        ),
        (
            "a stalled server without an error says DRS reported none",
            server(6, Stalled),
            "STALLED: replication is stalled, not stopped, and StartReplication applies only to \
             STOPPED servers; DRS reports no dataReplicationError",
        ),
        (
            "a disconnected server needs its agent reinstalled",
            server(7, ReplicationState::Disconnected),
            "DISCONNECTED: the server was disconnected from DRS, which deleted its replication \
             resources and had the agent uninstall itself; reinstall the AWS Replication Agent",
        ),
    ];
    for (name, s, reason) in cases {
        let target = s.id.clone();
        check(Case {
            name,
            trigger: schedule(),
            config: config(all()),
            servers: vec![s],
            starts: vec![],
            skips: vec![(target, reason)],
        });
    }
}

#[test]
fn a_stalled_event_naming_an_extended_server_does_not_start_it_here() {
    check(Case {
        name: "stalled event, extended server",
        trigger: on(stalled(&id(1), StalledState::Stalled)),
        config: config(all()),
        servers: vec![extended(1, Stopped)],
        starts: vec![],
        skips: vec![(id(1), "EXTENDED from staging account 210987654321")],
    });
}

#[test]
fn selection_table() {
    let servers: Vec<_> = [1, 2, 3, 4, 101]
        .iter()
        .map(|n| server(*n, Stopped))
        .collect();
    let cases = [
        ("all", all(), vec![1, 2, 3, 4, 101]),
        (
            "ids",
            Selection {
                source_server_ids: vec![id(3), id(999)],
                ..Selection::default()
            },
            vec![3],
        ),
        (
            "tag value",
            Selection {
                tags: TagFilter(vec![("Env".into(), vec!["prod".into()])]),
                ..Selection::default()
            },
            vec![2, 4],
        ),
        (
            "tag key only",
            Selection {
                tags: TagFilter(vec![("Env".into(), vec![])]),
                ..Selection::default()
            },
            vec![1, 2, 3, 4, 101],
        ),
        (
            "every tag key must match",
            Selection {
                tags: TagFilter(vec![
                    ("Env".into(), vec!["prod".into()]),
                    ("Tier".into(), vec![]),
                ]),
                ..Selection::default()
            },
            vec![],
        ),
        (
            "hostname and fqdn, any case",
            Selection {
                hostnames: vec!["HOST-1".into(), "host-4.corp.example.com".into()],
                ..Selection::default()
            },
            vec![1, 4],
        ),
        (
            "instance id",
            Selection {
                instance_ids: vec![format!("i-{:017x}", 2)],
                ..Selection::default()
            },
            vec![2],
        ),
        (
            "criteria are a union",
            Selection {
                source_server_ids: vec![id(1)],
                hostnames: vec!["host-2".into()],
                ..Selection::default()
            },
            vec![1, 2],
        ),
        (
            "staging account narrows",
            Selection {
                all: true,
                staging_accounts: vec!["222222222222".into()],
                ..Selection::default()
            },
            vec![101],
        ),
    ];
    for (name, selection, want) in cases {
        let got = plan_for(&schedule(), &config(selection), servers.clone());
        assert_eq!(
            started(&got),
            want.iter().map(|n| id(*n)).collect::<Vec<_>>(),
            "{name}"
        );
        assert!(got.skips.is_empty(), "{name}: {:?}", got.skips);
    }
}

#[test]
fn quota_counts_everything_already_replicating() {
    let mut servers: Vec<_> = (0..298).map(|n| server(1000 + n, Continuous)).collect();
    servers.extend((0..5).map(|n| server(n, Stopped)));
    let mut cfg = config(Selection {
        source_server_ids: (0..5).map(id).collect(),
        ..Selection::default()
    });
    check(Case {
        name: "two slots left",
        trigger: schedule(),
        config: cfg.clone(),
        servers: servers.clone(),
        starts: vec![id(0), id(1)],
        skips: vec![
            (
                id(2),
                "STOPPED, but 300 servers already replicate in this account and the quota is 300",
            ),
            (id(3), "STOPPED, but 300 servers already replicate"),
            (id(4), "STOPPED, but 300 servers already replicate"),
        ],
    });
    cfg.replication_quota = 1000;
    check(Case {
        name: "raised quota",
        trigger: schedule(),
        config: cfg,
        servers,
        starts: (0..5).map(id).collect(),
        skips: vec![],
    });
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
    let first: Vec<&str> = got.skips.listed()[..2]
        .iter()
        .map(|s| s.target.as_str())
        .collect();
    assert_eq!(first, [id(10_000), id(10_001)]);
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).expect("test fleets are small")
}

#[test]
fn direct_invoke_narrows_never_widens() {
    let servers = vec![
        server(1, Stopped),
        server(2, Stopped),
        server(3, Continuous),
    ];
    let selection = Selection {
        source_server_ids: vec![id(1), id(3)],
        ..Selection::default()
    };
    check(Case {
        name: "direct",
        trigger: direct(&[&id(1), &id(2), &id(3), &id(9), "web-1", &id(1)]),
        config: config(selection),
        servers,
        starts: vec![id(1)],
        skips: vec![
            (id(2), "outside the configured selection"),
            (id(9), "no such source server in this account and region"),
            ("web-1".into(), "not a source server id"),
            (id(3), "CONTINUOUS: already replicating"),
        ],
    });
}

#[test]
fn alarms_map_through_dimensions_and_tags() {
    let mut tagged = server(5, Stopped);
    tagged
        .tags
        .push(("dr:alarm".into(), "db-primary-down".into()));
    tagged.tags.push(("Name".into(), "db-5".into()));
    let servers = vec![
        server(1, Stopped),
        server(2, Stopped),
        server(3, Stopped),
        tagged,
    ];
    let mut cfg = config(all());
    cfg.alarm_mapping = AlarmMapping {
        dimension: Some(("Hostname".into(), DimensionMatch::Hostname)),
        tag_key: Some("dr:alarm".into()),
    };
    let instance = format!("i-{:017x}", 1);
    let cases: Vec<(&str, Alarm, Vec<String>, Skips)> = vec![
        (
            "instance id",
            alarm(
                "web-1-down",
                AlarmState::Alarm,
                &[("InstanceId", &instance)],
            ),
            vec![id(1)],
            vec![],
        ),
        (
            "hostname dimension",
            alarm("a", AlarmState::Alarm, &[("Hostname", "HOST-2")]),
            vec![id(2)],
            vec![],
        ),
        (
            "tag naming the alarm",
            alarm("db-primary-down", AlarmState::Alarm, &[]),
            vec![id(5)],
            vec![],
        ),
        (
            "several dimensions",
            alarm(
                "a",
                AlarmState::Alarm,
                &[("InstanceId", &instance), ("Hostname", "host-3")],
            ),
            vec![id(1), id(3)],
            vec![],
        ),
        (
            "ok state",
            alarm("a", AlarmState::Ok, &[("InstanceId", &instance)]),
            vec![],
            vec![("a".into(), "alarm is OK: nothing to recover")],
        ),
        (
            "insufficient data",
            alarm("a", AlarmState::InsufficientData, &[]),
            vec![],
            vec![("a".into(), "alarm is INSUFFICIENT_DATA")],
        ),
        (
            "unmapped",
            alarm(
                "cpu-high",
                AlarmState::Alarm,
                &[("AutoScalingGroupName", "web")],
            ),
            vec![],
            vec![(
                "cpu-high".into(),
                "no source server maps to this alarm (dimensions: AutoScalingGroupName=web)",
            )],
        ),
    ];
    for (name, a, starts, skips) in cases {
        check(Case {
            name,
            trigger: on(Event::Alarm(a.clone())),
            config: cfg.clone(),
            servers: servers.clone(),
            starts: starts.clone(),
            skips: skips.clone(),
        });
        check(Case {
            name,
            // The plan is the same however the alarm was delivered.
            trigger: on(Event::Alarm(Alarm {
                delivery: AlarmDelivery::LambdaAction,
                ..a
            })),
            config: cfg.clone(),
            servers: servers.clone(),
            starts,
            skips,
        });
    }
    cfg.alarm_mapping.dimension = Some(("Hostname".into(), DimensionMatch::Tag("Name".into())));
    check(Case {
        name: "dimension matched against a tag",
        trigger: on(Event::Alarm(alarm(
            "a",
            AlarmState::Alarm,
            &[("Hostname", "db-5")],
        ))),
        config: cfg,
        servers,
        starts: vec![id(5)],
        skips: vec![],
    });
}

#[test]
fn alarm_outside_selection_is_skipped() {
    let servers = vec![server(1, Stopped), server(2, Stopped)];
    let instance = format!("i-{:017x}", 1);
    check(Case {
        name: "alarm names a server not selected",
        trigger: on(Event::Alarm(alarm(
            "a",
            AlarmState::Alarm,
            &[("InstanceId", &instance)],
        ))),
        config: config(Selection {
            source_server_ids: vec![id(2)],
            ..Selection::default()
        }),
        servers,
        starts: vec![],
        skips: vec![(id(1), "outside the configured selection")],
    });
}

#[test]
fn stalled_and_other_events() {
    let servers = vec![server(1, Stopped), server(2, Stalled)];
    let cfg = config(all());
    let cases: Vec<(&str, Trigger, Vec<String>, Skips)> = vec![
        (
            "stopped since",
            on(stalled(&id(1), StalledState::Stalled)),
            vec![id(1)],
            vec![],
        ),
        (
            "still stalled",
            on(stalled(&id(2), StalledState::Stalled)),
            vec![],
            vec![(id(2), "STALLED: replication is stalled, not stopped")],
        ),
        (
            "no longer stalled",
            on(stalled(&id(2), StalledState::NotStalled)),
            vec![],
            vec![(id(2), "stalled-change event with state NOT_STALLED")],
        ),
        (
            "unknown server",
            on(stalled(&id(7), StalledState::Stalled)),
            vec![],
            vec![(id(7), "no such source server")],
        ),
        (
            "events of other kinds",
            Trigger::from_events(vec![
                Event::VaultNotification(VaultNotification {
                    message_id: "m-1".into(),
                    event_type: Some("BACKUP_JOB".into()),
                    state: Some("COMPLETED".into()),
                    job_id: None,
                    recovery_point_arn: None,
                    resource_arn: None,
                    account: None,
                }),
                Event::Other(OtherEvent {
                    id: Some("e-1".into()),
                    source: "aws.drs".into(),
                    detail_type: "DRS Source Server Launch Result".into(),
                }),
            ]),
            vec![],
            vec![
                (
                    "m-1".into(),
                    "backup vault notification BACKUP_JOB COMPLETED: not handled by drs-start-replication",
                ),
                (
                    "e-1".into(),
                    "aws.drs DRS Source Server Launch Result: not handled by drs-start-replication",
                ),
            ],
        ),
    ];
    for (name, trigger, starts, skips) in cases {
        check(Case {
            name,
            trigger,
            config: cfg.clone(),
            servers: servers.clone(),
            starts,
            skips,
        });
    }
}
