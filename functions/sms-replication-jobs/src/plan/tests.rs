use super::*;
use crate::config::{FailurePolicy, ResumeWith};
use crate::policy::{ON_DEMAND_RUNS_PER_DAY, RESCHEDULE_LEAD_SECS};
use dr_core::trigger::{
    Alarm, AlarmDelivery, AlarmKind, AlarmState, DirectInvoke, OtherEvent, Schedule,
    VaultNotification,
};
use serde_json::json;

/// 2026-11-20T10:00:00Z
const NOW: i64 = 1_795_168_800;
const HOUR: i64 = 3600;
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:sms-events";

fn sid(n: u32) -> String {
    format!("s-0a1b2c3d4e5f6{n:04}")
}

fn jid(n: u32) -> String {
    format!("sms-job-0a1b2c3d4e5f6{n:04}")
}

fn server(n: u32) -> Server {
    Server {
        id: sid(n),
        vm_name: Some(format!("web-{n}")),
        vm_path: Some(format!("/Datacenters/DC1/vm/web-{n}")),
        job_id: None,
        job_terminated: false,
    }
}

fn catalog(servers: Vec<Server>) -> Catalog {
    Catalog {
        status: Some("AVAILABLE".into()),
        servers,
    }
}

fn spec(server: ServerRef) -> JobSpec {
    JobSpec {
        server,
        seed: SeedTime::Now,
        options: JobOptions::every(12),
        on_failure: FailurePolicy::default(),
    }
}

fn by_id(n: u32) -> JobSpec {
    spec(ServerRef::Id(sid(n)))
}

fn config(jobs: Vec<JobSpec>) -> SmsConfig {
    SmsConfig {
        home_account: None,
        jobs,
        max_concurrency: 4,
        report_topic_arn: None,
        trigger_topic_arns: vec![],
        dry_run: false,
    }
}

fn job(n: u32, state: &str) -> Job {
    Job {
        id: jid(n),
        server_id: sid(n),
        state: state.into(),
        status_message: None,
        run_once: false,
        latest_ami: None,
        runs: vec![],
    }
}

/// A run `hours_ago` hours before NOW that ended (if it did) an hour later.
fn run(id: &str, state: &str, kind: &str, hours_ago: i64) -> Run {
    let scheduled = NOW - hours_ago * HOUR;
    Run {
        id: id.into(),
        state: state.into(),
        kind: kind.into(),
        status_message: (state == "FAILED").then(|| format!("{id} failed: connector unreachable")),
        stage: (state == "FAILED").then(|| "PREPARING".to_owned()),
        scheduled: Some(scheduled),
        completed: matches!(state, "FAILED" | "COMPLETED").then_some(scheduled + HOUR),
    }
}

fn facts(servers: Vec<Server>, jobs: Vec<Job>, runs: Vec<(u32, Vec<Run>)>) -> Facts {
    Facts {
        now: NOW,
        catalog: catalog(servers),
        jobs,
        runs: runs.into_iter().map(|(n, r)| (jid(n), r)).collect(),
    }
}

fn schedule() -> Trigger {
    Trigger::from_events(vec![Event::Schedule(Schedule { name: None })])
}

fn direct(targets: &[&str]) -> Trigger {
    Trigger::from_events(vec![Event::Direct(DirectInvoke {
        targets: targets.iter().map(|t| t.to_string()).collect(),
    })])
}

fn api_call(event_name: &str, read_only: bool, request: Value, response: Value) -> Trigger {
    Trigger::from_events(vec![Event::ApiCall(ApiCall {
        event_id: "e-1".into(),
        source: "aws.sms".into(),
        event_name: event_name.into(),
        event_source: "sms.amazonaws.com".into(),
        read_only: Some(read_only),
        request_parameters: request,
        response_elements: response,
        resources: vec![],
    })])
}

fn cloudtrail(event_name: &str, request: Value, response: Value) -> Trigger {
    api_call(event_name, false, request, response)
}

/// Expected notices: target and kind.
type Notices = Vec<(String, NoticeKind)>;
/// Expected skips: target and the start of the reason.
type Skips = Vec<(String, &'static str)>;

struct Case {
    name: &'static str,
    trigger: Trigger,
    config: SmsConfig,
    facts: Facts,
    actions: Vec<Action>,
    notices: Notices,
    skips: Skips,
}

fn check(case: Case) -> JobsPlan {
    let got = plan(&case.trigger, &case.config, &case.facts);
    assert_eq!(got.actions, case.actions, "{}: actions", case.name);
    let notices: Notices = got
        .notices
        .iter()
        .map(|n| (n.target.clone(), n.kind))
        .collect();
    assert_eq!(
        notices, case.notices,
        "{}: notices {:?}",
        case.name, got.notices
    );
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
    got
}

fn start_run(n: u32, reason_start: &str, got: &JobsPlan) -> Action {
    // The reason carries the root cause; the test names its start and takes the rest from the plan.
    let reason = got
        .actions
        .iter()
        .find_map(|a| match a {
            Action::StartRun { job_id, reason, .. } if *job_id == jid(n) => Some(reason.clone()),
            _ => None,
        })
        .unwrap_or_default();
    assert!(reason.starts_with(reason_start), "{reason}");
    Action::StartRun {
        job_id: jid(n),
        description: "sms-replication-jobs: resume after failure".into(),
        reason,
    }
}

fn created(n: u32, seed_time: i64) -> CreateJob {
    CreateJob {
        server_id: sid(n),
        seed_time,
        options: JobOptions::every(12),
        notes: vec![],
    }
}

#[test]
fn creation_passes_every_option_through() {
    let every_option = JobOptions {
        frequency: Some(6),
        run_once: Some(false),
        license: License::Byol,
        role_name: Some("sms".into()),
        description: Some("wave 1".into()),
        amis_to_keep: Some(3),
        encrypted: Some(true),
        kms_key_id: Some("alias/sms-amis".into()),
    };
    let one_time_options = JobOptions {
        frequency: None,
        run_once: Some(true),
        license: License::Aws,
        encrypted: Some(true),
        ..JobOptions::every(12)
    };
    let full = JobSpec {
        server: ServerRef::VmName("WEB-1".into()),
        seed: SeedTime::After(2 * HOUR),
        options: every_option.clone(),
        on_failure: FailurePolicy::default(),
    };
    let one_time = JobSpec {
        seed: SeedTime::At(NOW + 3 * 86_400),
        options: one_time_options.clone(),
        ..by_id(2)
    };
    let past_seed = JobSpec {
        seed: SeedTime::At(NOW - 86_400),
        ..by_id(3)
    };
    let too_far = JobSpec {
        seed: SeedTime::At(NOW + 31 * 86_400),
        ..by_id(4)
    };
    let got = check(Case {
        name: "every option",
        trigger: schedule(),
        config: config(vec![full, one_time, past_seed, too_far, by_id(5)]),
        facts: facts((1..=5).map(server).collect(), vec![], vec![]),
        actions: vec![
            Action::Create(CreateJob {
                seed_time: NOW + 2 * HOUR,
                options: every_option,
                ..created(1, 0)
            }),
            Action::Create(CreateJob {
                seed_time: NOW + 3 * 86_400,
                options: one_time_options,
                notes: vec![
                    "licenseType AWS needs a Windows server: the SMS catalog does not \
                             record the OS, so SMS checks it (Linux servers take only BYOL)"
                        .into(),
                ],
                ..created(2, 0)
            }),
            Action::Create(created(3, NOW)),
            Action::Create(created(5, NOW)),
        ],
        notices: vec![],
        skips: vec![(
            sid(4),
            "seedReplicationTime 2026-12-21T10:00:00Z is more than 30 days ahead",
        )],
    });
    let Action::Create(first) = &got.actions[0] else {
        panic!("{:?}", got.actions)
    };
    assert_eq!(
        first.summary(),
        "seed 2026-11-20T12:00:00Z, every 6 h, license BYOL, role sms, keep 3 AMIs, encrypted with alias/sms-amis"
    );
}

#[test]
fn servers_resolve_by_id_name_hostname_and_path() {
    let mut twin = server(7);
    twin.vm_name = Some("web-1".into());
    let servers = vec![server(1), server(2), server(3), server(4), twin];
    let cases: Vec<(&str, ServerRef, Result<u32, &str>)> = vec![
        ("id", ServerRef::Id(sid(2)), Ok(2)),
        ("vm name, any case", ServerRef::VmName("WEB-3".into()), Ok(3)),
        ("hostname, whole", ServerRef::Hostname("web-4".into()), Ok(4)),
        ("hostname, first label", ServerRef::Hostname("Web-4.corp.example.com".into()), Ok(4)),
        ("vm path", ServerRef::VmPath("/Datacenters/DC1/vm/web-2".into()), Ok(2)),
        ("vm path is exact", ServerRef::VmPath("/datacenters/dc1/vm/web-2".into()), Err("no such server in the SMS catalog")),
        ("unknown id", ServerRef::Id(sid(9)), Err("no such server in the SMS catalog")),
        ("unknown name", ServerRef::VmName("db-1".into()), Err("no such server in the SMS catalog")),
        ("ambiguous", ServerRef::VmName("web-1".into()), Err("ambiguous: matches servers s-0a1b2c3d4e5f60001, s-0a1b2c3d4e5f60007; name it by serverId or vmPath")),
    ];
    for (name, reference, want) in cases {
        let describe = reference.describe();
        let (actions, skips) = match want {
            Ok(n) => (vec![Action::Create(created(n, NOW))], vec![]),
            Err(reason) => (vec![], vec![(describe, reason)]),
        };
        check(Case {
            name,
            trigger: schedule(),
            config: config(vec![spec(reference)]),
            facts: facts(servers.clone(), vec![], vec![]),
            actions,
            notices: vec![],
            skips,
        });
    }
    check(Case {
        name: "two entries, one server",
        trigger: schedule(),
        config: config(vec![
            by_id(1),
            spec(ServerRef::VmPath("/Datacenters/DC1/vm/web-1".into())),
        ]),
        facts: facts(vec![server(1)], vec![], vec![]),
        actions: vec![Action::Create(created(1, NOW))],
        notices: vec![],
        skips: vec![(
            "vmPath=/Datacenters/DC1/vm/web-1".into(),
            "is server s-0a1b2c3d4e5f60001, already configured as s-0a1b2c3d4e5f60001",
        )],
    });
    for status in ["NOT_IMPORTED", "IMPORTING", "DELETED", "EXPIRED"] {
        let mut f = facts(vec![server(1)], vec![], vec![]);
        f.catalog.status = Some(status.into());
        check(Case {
            name: status,
            trigger: schedule(),
            config: config(vec![by_id(1), spec(ServerRef::VmName("web-2".into()))]),
            facts: f,
            actions: vec![],
            notices: vec![],
            skips: vec![
                (sid(1), "the server catalog is "),
                ("vmName=web-2".into(), "the server catalog is "),
            ],
        });
    }
}

#[test]
fn existing_jobs_on_schedule() {
    let mut completed = job(3, "COMPLETED");
    completed.latest_ami = Some("ami-0abc1234def567890".into());
    let mut failed = job(6, "FAILED");
    failed.status_message = Some("Replication failed".into());
    let mut one_time_failed = job(7, "FAILED");
    one_time_failed.run_once = true;
    let mut one_time_paused = job(8, "PAUSED_ON_FAILURE");
    one_time_paused.run_once = true;
    let jobs = vec![
        job(1, "PENDING"),
        job(2, "ACTIVE"),
        completed,
        job(4, "DELETED"),
        job(5, "FAILING"),
        failed,
        one_time_failed,
        one_time_paused,
        job(9, "DELETING"),
        job(10, "MYSTERY"),
    ];
    let got = check(Case {
        name: "every job state",
        trigger: schedule(),
        config: config((1..=10).map(by_id).collect()),
        facts: facts(
            (1..=10).map(server).collect(),
            jobs,
            vec![(6, vec![run("sms-run-6", "FAILED", "AUTOMATIC", 3)])],
        ),
        actions: vec![],
        notices: vec![
            (sid(1), NoticeKind::Exists),
            (sid(2), NoticeKind::Exists),
            (jid(3), NoticeKind::Completed),
            (jid(4), NoticeKind::Deleted),
            (jid(5), NoticeKind::Failing),
            (jid(6), NoticeKind::Failed),
            (jid(7), NoticeKind::OneTimeFailed),
            (jid(8), NoticeKind::OneTimeFailed),
            (jid(9), NoticeKind::Deleted),
        ],
        skips: vec![(jid(10), "MYSTERY: not a state this function handles")],
    });
    let detail = |n: u32| {
        got.notices
            .iter()
            .find(|x| x.target == jid(n) || x.target == sid(n))
            .map(|x| x.detail.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        detail(1),
        format!("already replicated by {} (PENDING)", jid(1))
    );
    assert!(detail(3).ends_with("replication job completed; latest AMI ami-0abc1234def567890"));
    assert_eq!(
        detail(6),
        format!(
            "server {}: replication job failed: job: Replication failed; latest failed run sms-run-6 at 2026-11-20T08:00:00Z in stage PREPARING: sms-run-6 failed: connector unreachable",
            sid(6)
        )
    );
    assert!(detail(5).contains("runs are failing: SMS gave no status message"));
    assert!(detail(8).contains("one-time jobs are never paused or resumed"));

    let outcomes: Vec<(String, OutcomeResult)> = got
        .notices
        .iter()
        .map(|n| {
            let o = n.outcome();
            (o.action, o.result)
        })
        .collect();
    assert_eq!(
        outcomes[0],
        (CREATE_REPLICATION_JOB.into(), OutcomeResult::Unchanged)
    );
    assert_eq!(outcomes[2], (NOTIFY.into(), OutcomeResult::Unchanged));
    assert_eq!(outcomes[5], (NOTIFY.into(), OutcomeResult::Failed));
    assert_eq!(got.notices[5].outcome().state.as_deref(), Some("FAILED"));
}

#[test]
fn the_live_job_speaks_for_a_server_and_taken_servers_are_reported() {
    let mut old = job(1, "DELETED");
    old.id = "sms-job-old".into();
    let mut taken = server(2);
    taken.job_id = Some("sms-job-elsewhere".into());
    let mut freed = server(3);
    freed.job_id = Some("sms-job-purged".into());
    freed.job_terminated = true;
    check(Case {
        name: "live job wins, taken, freed",
        trigger: schedule(),
        config: config(vec![by_id(1), by_id(2), by_id(3)]),
        facts: facts(
            vec![server(1), taken, freed],
            vec![old, job(1, "ACTIVE")],
            vec![],
        ),
        actions: vec![Action::Create(created(3, NOW))],
        notices: vec![(sid(1), NoticeKind::Exists)],
        skips: vec![(
            sid(2),
            "cannot be replicated: replication job sms-job-elsewhere has it",
        )],
    });
}

/// Runs of a job SMS paused after `failures` consecutive failures, the newest `hours_ago` old.
fn failed_runs(failures: i64, hours_ago: i64) -> Vec<Run> {
    let mut runs: Vec<Run> = (0..failures)
        .map(|i| {
            run(
                &format!("sms-run-f{i}"),
                "FAILED",
                "AUTOMATIC",
                hours_ago + 12 * i,
            )
        })
        .collect();
    runs.push(run(
        "sms-run-ok",
        "COMPLETED",
        "AUTOMATIC",
        hours_ago + 12 * failures,
    ));
    runs
}

#[test]
fn pause_on_failure_policy_table() {
    let reschedule = FailurePolicy {
        resume_with: ResumeWith::Reschedule,
        ..FailurePolicy::default()
    };
    let with_runs = |extra: Vec<Run>, failures: i64, hours_ago: i64| {
        let mut runs = failed_runs(failures, hours_ago);
        runs.extend(extra);
        runs
    };
    // (name, policy, runs (None = not read), want action, want notice, want skip reason start)
    type Row = (
        &'static str,
        FailurePolicy,
        Option<Vec<Run>>,
        Option<&'static str>,
        Option<NoticeKind>,
        Option<&'static str>,
    );
    let rows: Vec<Row> = vec![
        (
            "cool-down not elapsed",
            FailurePolicy::default(),
            Some(failed_runs(3, 1)),
            None,
            None,
            Some("PAUSED_ON_FAILURE: cool-down: latest failure at 2026-11-20T10:00:00Z, resuming after 2026-11-20T11:00:00Z"),
        ),
        (
            "resume by on-demand run",
            FailurePolicy::default(),
            Some(failed_runs(3, 3)),
            Some("run"),
            None,
            None,
        ),
        (
            "resume by reschedule",
            reschedule,
            Some(failed_runs(3, 3)),
            Some("reschedule"),
            None,
            None,
        ),
        (
            "on-demand limit reached",
            FailurePolicy::default(),
            Some(with_runs(
                vec![
                    run("sms-run-d1", "FAILED", "ON_DEMAND", 20),
                    run("sms-run-d2", "FAILED", "ON_DEMAND", 5),
                ],
                2,
                3,
            )),
            None,
            None,
            Some("PAUSED_ON_FAILURE: 2 on-demand runs in the last 24 h, the SMS limit is 2; the next is possible after 2026-11-20T14:00:00Z"),
        ),
        (
            "on-demand runs older than a day do not count",
            FailurePolicy::default(),
            Some(with_runs(
                vec![
                    run("sms-run-d1", "COMPLETED", "ON_DEMAND", 30),
                    run("sms-run-d2", "FAILED", "ON_DEMAND", 5),
                ],
                2,
                3,
            )),
            Some("run"),
            None,
            None,
        ),
        (
            "the limit does not stop a reschedule",
            reschedule,
            Some(with_runs(
                vec![
                    run("sms-run-d1", "FAILED", "ON_DEMAND", 20),
                    run("sms-run-d2", "FAILED", "ON_DEMAND", 5),
                ],
                2,
                3,
            )),
            Some("reschedule"),
            None,
            None,
        ),
        (
            "a run is active",
            FailurePolicy::default(),
            Some(with_runs(vec![run("sms-run-now", "ACTIVE", "ON_DEMAND", 0)], 3, 3)),
            None,
            None,
            Some("PAUSED_ON_FAILURE: run sms-run-now is ACTIVE; waiting for it before resuming"),
        ),
        (
            "the next scheduled run does not hold a reschedule",
            reschedule,
            Some(with_runs(vec![run("sms-run-next", "PENDING", "AUTOMATIC", -1)], 3, 3)),
            Some("reschedule"),
            None,
            None,
        ),
        (
            "the next scheduled run does not hold an on-demand run",
            FailurePolicy::default(),
            Some(with_runs(vec![run("sms-run-next", "PENDING", "AUTOMATIC", -1)], 3, 3)),
            Some("run"),
            None,
            None,
        ),
        (
            "the next scheduled run does not hold an escalation",
            FailurePolicy::default(),
            Some(with_runs(vec![run("sms-run-next", "PENDING", "AUTOMATIC", -1)], 5, 3)),
            None,
            Some(NoticeKind::Escalate),
            None,
        ),
        (
            "a scheduled run that is due is waited for",
            reschedule,
            Some(with_runs(vec![run("sms-run-next", "PENDING", "AUTOMATIC", 0)], 3, 3)),
            None,
            None,
            Some("PAUSED_ON_FAILURE: run sms-run-next is PENDING; waiting for it before resuming"),
        ),
        (
            "an on-demand run not started yet is waited for",
            reschedule,
            Some(with_runs(vec![run("sms-run-asked", "PENDING", "ON_DEMAND", -1)], 3, 3)),
            None,
            None,
            Some("PAUSED_ON_FAILURE: run sms-run-asked is PENDING; waiting for it before resuming"),
        ),
        (
            "escalation after N",
            FailurePolicy::default(),
            Some(failed_runs(5, 3)),
            None,
            Some(NoticeKind::Escalate),
            None,
        ),
        (
            "escalation counts past missed runs",
            FailurePolicy {
                max_consecutive_failures: 3,
                ..FailurePolicy::default()
            },
            Some(with_runs(vec![run("sms-run-missed", "MISSED", "AUTOMATIC", 9)], 3, 3)),
            None,
            Some(NoticeKind::Escalate),
            None,
        ),
        (
            "runs not read",
            FailurePolicy::default(),
            None,
            None,
            None,
            Some("PAUSED_ON_FAILURE, but its runs could not be read"),
        ),
        (
            "no failed run in the history",
            FailurePolicy::default(),
            Some(vec![run("sms-run-ok", "COMPLETED", "AUTOMATIC", 30)]),
            None,
            None,
            Some("PAUSED_ON_FAILURE: paused, but no failed run with a time"),
        ),
    ];
    for (name, policy, runs, action, notice, skip) in rows {
        let mut paused = job(1, "PAUSED_ON_FAILURE");
        paused.status_message = Some("Paused after consecutive failures".into());
        let spec = JobSpec {
            on_failure: policy,
            ..by_id(1)
        };
        let got = plan(
            &schedule(),
            &config(vec![spec]),
            &facts(
                vec![server(1)],
                vec![paused],
                runs.map(|r| vec![(1, r)]).unwrap_or_default(),
            ),
        );
        match action {
            Some("run") => assert_eq!(
                got.actions,
                vec![start_run(1, "resumed after the cool-down; job: Paused after consecutive failures; latest failed run sms-run-f0", &got)],
                "{name}"
            ),
            Some(_) => assert!(
                matches!(&got.actions[..], [Action::Reschedule { job_id, next_start, reason }]
                    if *job_id == jid(1) && *next_start == NOW + RESCHEDULE_LEAD_SECS
                        && reason.starts_with("resumed after the cool-down")),
                "{name}: {:?}",
                got.actions
            ),
            None => assert!(got.actions.is_empty(), "{name}: {:?}", got.actions),
        }
        let kinds: Vec<NoticeKind> = got.notices.iter().map(|n| n.kind).collect();
        assert_eq!(kinds, notice.into_iter().collect::<Vec<_>>(), "{name}");
        match skip {
            Some(want) => {
                assert_eq!(got.skips.total(), 1, "{name}: {:?}", got.skips);
                assert!(
                    got.skips.listed()[0].reason.starts_with(want),
                    "{name}: `{}` does not start with `{want}`",
                    got.skips.listed()[0].reason
                );
            }
            None => assert!(got.skips.is_empty(), "{name}: {:?}", got.skips),
        }
    }
    assert_eq!(ON_DEMAND_RUNS_PER_DAY, 2);
}

#[test]
fn escalation_detail_and_outcome() {
    let got = plan(
        &schedule(),
        &config(vec![by_id(1)]),
        &facts(
            vec![server(1)],
            vec![job(1, "PAUSED_ON_FAILURE")],
            vec![(1, failed_runs(6, 2))],
        ),
    );
    let outcome = got.notices[0].outcome();
    assert_eq!(outcome.action, ESCALATE);
    assert_eq!(outcome.result, OutcomeResult::Failed);
    assert!(!outcome.retryable);
    assert_eq!(outcome.state.as_deref(), Some("PAUSED_ON_FAILURE"));
    assert!(outcome.detail.as_deref().is_some_and(|d| d.starts_with(&format!(
        "server {}: escalated: 6 consecutive failed runs (escalation after 5); not resuming; latest failed run sms-run-f0",
        sid(1)
    ))));
}

#[test]
fn direct_invoke_starts_on_demand_runs_within_the_limits() {
    let mut foreign = job(9, "ACTIVE");
    foreign.server_id = "s-ffffffffffffffff0".into();
    let jobs = vec![
        job(1, "ACTIVE"),
        job(2, "ACTIVE"),
        job(3, "ACTIVE"),
        job(4, "COMPLETED"),
        job(5, "PAUSED_ON_FAILURE"),
        job(6, "ACTIVE"),
        foreign,
    ];
    let runs = vec![
        (1, vec![run("sms-run-1", "COMPLETED", "AUTOMATIC", 12)]),
        (2, vec![run("sms-run-2", "ACTIVE", "AUTOMATIC", 0)]),
        (
            3,
            vec![
                run("sms-run-3a", "COMPLETED", "ON_DEMAND", 23),
                run("sms-run-3b", "COMPLETED", "ON_DEMAND", 2),
            ],
        ),
        (4, vec![]),
        (5, failed_runs(2, 0)),
    ];
    check(Case {
        name: "direct",
        trigger: direct(&[
            &jid(1),
            &jid(2),
            &jid(3),
            &jid(4),
            &jid(5),
            &jid(6),
            &jid(9),
            "sms-job-unknown",
            &sid(1),
            &jid(1),
        ]),
        config: config((1..=6).map(by_id).collect()),
        facts: facts((1..=6).map(server).collect(), jobs, runs),
        actions: vec![
            Action::StartRun {
                job_id: jid(1),
                description: "sms-replication-jobs: on-demand run by direct invoke".into(),
                reason: "requested by direct invoke".into(),
            },
            Action::StartRun {
                job_id: jid(5),
                description: "sms-replication-jobs: on-demand run by direct invoke".into(),
                reason: "requested by direct invoke".into(),
            },
        ],
        notices: vec![],
        skips: vec![
            (jid(2), "run sms-run-2 is ACTIVE; SMS starts no on-demand run while another is under way"),
            (jid(3), "2 on-demand runs in the last 24 h, the SMS limit is 2; the next is possible after 2026-11-20T11:00:00Z"),
            (jid(4), "COMPLETED: on-demand runs need a job that is still replicating"),
            (jid(6), "its runs could not be read"),
            (jid(9), "server s-ffffffffffffffff0 is outside the configured jobs (SMS_JOBS)"),
            ("sms-job-unknown".into(), "no such replication job in this account and region"),
            (sid(1), "not a replication job id (sms-job-...)"),
        ],
    });
}

#[test]
fn the_next_scheduled_run_does_not_stop_an_on_demand_run() {
    let runs = |next: Run| vec![run("sms-run-1", "COMPLETED", "AUTOMATIC", 12), next];
    let cases = [
        (
            "scheduled later",
            run("sms-run-n", "PENDING", "AUTOMATIC", -11),
            None,
        ),
        (
            "due now",
            run("sms-run-n", "PENDING", "AUTOMATIC", 0),
            Some(
                "run sms-run-n is PENDING; SMS starts no on-demand run while another is under way",
            ),
        ),
        (
            "on demand, not started yet",
            run("sms-run-n", "PENDING", "ON_DEMAND", -1),
            Some(
                "run sms-run-n is PENDING; SMS starts no on-demand run while another is under way",
            ),
        ),
    ];
    for (name, next, skip) in cases {
        let got = plan(
            &direct(&[&jid(1)]),
            &config(vec![by_id(1)]),
            &facts(
                vec![server(1)],
                vec![job(1, "ACTIVE")],
                vec![(1, runs(next))],
            ),
        );
        let reasons: Vec<&str> = got
            .skips
            .listed()
            .iter()
            .map(|s| s.reason.as_str())
            .collect();
        assert_eq!(reasons, skip.into_iter().collect::<Vec<_>>(), "{name}");
        assert_eq!(got.actions.len(), usize::from(skip.is_none()), "{name}");
    }
}

#[test]
fn sms_events_look_after_the_jobs_they_name() {
    let servers: Vec<Server> = (1..=4).map(server).collect();
    let mut foreign = job(9, "FAILED");
    foreign.server_id = "s-ffffffffffffffff0".into();
    let jobs = vec![
        job(1, "ACTIVE"),
        job(2, "PAUSED_ON_FAILURE"),
        job(3, "DELETED"),
        job(4, "FAILED"),
        foreign,
    ];
    let runs = vec![(2, failed_runs(2, 5)), (4, failed_runs(1, 5))];
    let cfg = config((1..=4).map(by_id).collect());
    let f = facts(servers, jobs, runs);
    let cases: Vec<(&str, Trigger, Vec<&str>, Notices, Skips)> = vec![
        (
            "delete call names a job",
            cloudtrail(
                "DeleteReplicationJob",
                json!({"replicationJobId": jid(3)}),
                Value::Null,
            ),
            vec![],
            vec![(jid(3), NoticeKind::Deleted)],
            vec![],
        ),
        (
            "job id in the response",
            cloudtrail(
                "CreateReplicationJob",
                json!({"serverId": sid(1), "frequency": 12}),
                json!({"replicationJobId": jid(1)}),
            ),
            vec![],
            vec![],
            vec![(jid(1), "ACTIVE: replicating normally, nothing to do")],
        ),
        (
            "a paused job is resumed",
            cloudtrail(
                "StartOnDemandReplicationRun",
                json!({"replicationJobId": jid(2)}),
                json!({"replicationRunId": "sms-run-x"}),
            ),
            vec!["run 2"],
            vec![],
            vec![],
        ),
        (
            "no job named: every managed job in a failure state",
            cloudtrail("ImportServerCatalog", json!({}), Value::Null),
            vec!["run 2"],
            vec![(jid(4), NoticeKind::Failed)],
            vec![],
        ),
        (
            "read-only call",
            api_call("GetReplicationJobs", true, json!({}), Value::Null),
            vec![],
            vec![],
            vec![(
                "e-1".into(),
                "read-only SMS API call (GetReplicationJobs): nothing changed",
            )],
        ),
        (
            "unmanaged and unknown jobs",
            cloudtrail(
                "UpdateReplicationJob",
                json!({"replicationJobId": jid(9)}),
                json!({"note": "sms-job-gone1"}),
            ),
            vec![],
            vec![],
            vec![
                (
                    jid(9),
                    "server s-ffffffffffffffff0 is outside the configured jobs",
                ),
                (
                    "sms-job-gone1".into(),
                    "named by the event, but no such replication job exists",
                ),
            ],
        ),
        (
            "events of other sources",
            Trigger::from_events(vec![
                Event::Other(OtherEvent {
                    id: Some("e-2".into()),
                    source: "aws.drs".into(),
                    detail_type: "DRS Source Server Launch Result".into(),
                }),
                Event::VaultNotification(VaultNotification {
                    message_id: "m-3".into(),
                    event_type: Some("BACKUP_JOB".into()),
                    state: Some("COMPLETED".into()),
                    job_id: None,
                    recovery_point_arn: None,
                    resource_arn: None,
                    account: None,
                }),
                Event::Alarm(Alarm {
                    name: "cpu".into(),
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
            ]),
            vec![],
            vec![],
            vec![
                (
                    "e-2".into(),
                    "aws.drs DRS Source Server Launch Result: not handled by sms-replication-jobs",
                ),
                (
                    "m-3".into(),
                    "backup vault notification BACKUP_JOB COMPLETED: not handled",
                ),
                ("cpu".into(), "alarm cpu (ALARM): not handled"),
            ],
        ),
    ];
    for (name, trigger, actions, notices, skips) in cases {
        let mut cfg = cfg.clone();
        cfg.trigger_topic_arns = vec![TOPIC.into()];
        let got = plan(&trigger, &cfg, &f);
        let action_names: Vec<String> = got
            .actions
            .iter()
            .map(|a| match a {
                Action::StartRun { job_id, .. } if *job_id == jid(2) => "run 2".to_owned(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(action_names, actions, "{name}");
        check(Case {
            name,
            trigger,
            config: cfg,
            facts: f.clone(),
            actions: got.actions.clone(),
            notices,
            skips,
        });
    }
}

#[test]
fn runs_are_read_for_failures_and_direct_targets_only() {
    let mut foreign = job(9, "FAILED");
    foreign.server_id = "s-ffffffffffffffff0".into();
    let jobs = vec![
        job(1, "ACTIVE"),
        job(2, "PAUSED_ON_FAILURE"),
        job(3, "FAILED"),
        job(4, "FAILING"),
        job(5, "COMPLETED"),
        foreign,
    ];
    let cfg = config((1..=5).map(by_id).collect());
    let cat = catalog((1..=5).map(server).collect());
    assert_eq!(
        runs_needed(&schedule(), &cfg, &cat, &jobs),
        vec![jid(2), jid(3), jid(4)]
    );
    assert_eq!(
        runs_needed(&direct(&[&jid(1), &jid(9), "sms-job-x"]), &cfg, &cat, &jobs),
        vec![jid(1), jid(2), jid(3), jid(4)]
    );
}

#[test]
fn job_ids_are_found_anywhere_in_a_detail() {
    let detail = json!({
        "requestParameters": {"replicationJobId": "sms-job-0a1b2c3d4e5f60001"},
        "responseElements": null,
        "resources": [{"ARN": "arn:aws:sms:us-east-1:123456789012:replication-job/sms-job-abc12345,sms-job-"}],
        "note": "moved from sms-job-0a1b2c3d4e5f60001 to sms-job-def67890."
    });
    let mut ids = BTreeSet::new();
    collect_job_ids(&detail, &mut ids);
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        vec![
            "sms-job-0a1b2c3d4e5f60001",
            "sms-job-abc12345",
            "sms-job-def67890"
        ]
    );
}

/// Every sample event parses and plans; each file's expected effect is listed here so a new
/// file without an expectation fails the test.
#[test]
fn sample_events_parse_and_plan() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/sms-replication-jobs");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("events directory")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "direct-invoke-dry-run.json",
            "direct-invoke.json",
            "scheduled-event.json",
            "scheduler-input.json",
            "sms-api-call-via-cloudtrail.json",
            "sms-api-call-via-sns.json",
        ]
    );
    let cfg = SmsConfig {
        trigger_topic_arns: vec![TOPIC.into()],
        ..config((1..=4).map(by_id).collect())
    };
    let f = facts(
        (1..=4).map(server).collect(),
        vec![job(1, "ACTIVE"), job(2, "ACTIVE"), job(3, "DELETED")],
        vec![
            (1, vec![]),
            (2, vec![run("sms-run-2", "ACTIVE", "AUTOMATIC", 0)]),
        ],
    );
    for name in names {
        let text = std::fs::read_to_string(dir.join(&name)).expect("readable");
        let event: Value = serde_json::from_str(&text).expect("JSON");
        let trigger = dr_core::trigger::parse(&event).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = plan(&trigger, &cfg, &f);
        let summary = (
            trigger.dry_run,
            got.actions.len(),
            got.notices
                .iter()
                .map(|n| (n.target.clone(), n.kind))
                .collect::<Vec<_>>(),
            got.skips
                .listed()
                .iter()
                .map(|s| s.target.clone())
                .collect::<Vec<_>>(),
        );
        let want = match name.as_str() {
            "direct-invoke-dry-run.json" => (true, 1, vec![], vec![jid(2)]),
            "direct-invoke.json" => (false, 1, vec![], vec![]),
            "scheduled-event.json" | "scheduler-input.json" => (
                false,
                1,
                vec![
                    (sid(1), NoticeKind::Exists),
                    (sid(2), NoticeKind::Exists),
                    (jid(3), NoticeKind::Deleted),
                ],
                vec![],
            ),
            "sms-api-call-via-cloudtrail.json" | "sms-api-call-via-sns.json" => {
                (false, 0, vec![(jid(3), NoticeKind::Deleted)], vec![])
            }
            other => panic!("no expectation for {other}"),
        };
        assert_eq!(summary, want, "{name}");
        if name.starts_with("schedule") {
            assert_eq!(got.actions, vec![Action::Create(created(4, NOW))], "{name}");
            assert!(
                trigger
                    .describe()
                    .starts_with("schedule sms-replication-jobs-hourly"),
                "{name}"
            );
        }
    }
}
