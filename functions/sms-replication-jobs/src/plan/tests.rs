use super::*;
use crate::config::{FailurePolicy, ResumeWith};
use crate::model::{JobOptions, JobSettings, Run, RunState, RunType, ESCALATE};
use crate::policy::{ON_DEMAND_RUNS_PER_DAY, RESCHEDULE_LEAD_SECS};
use crate::testing::{every_option, jid, sid, HOUR, NOW};
use dr_core::error::{CallFailure, ErrorClass};
use dr_core::report::OutcomeResult;
use dr_core::settings::Settings;
use dr_core::trigger::AlarmState;
use dr_testkit::triggers::{alarm, backup_job_notification, direct, drs_launch_result, schedule};
use serde_json::json;

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
        status: Some(CatalogStatus::Available),
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
        settings: Settings::default(),
        jobs,
    }
}

fn job(n: u32, state: JobState) -> Job {
    Job {
        id: jid(n),
        server_id: sid(n),
        state,
        status_message: None,
        run_once: false,
        latest_ami: None,
        runs: vec![],
        settings: JobSettings {
            frequency: Some(12),
            ..JobSettings::default()
        },
    }
}

/// A run `hours_ago` hours before NOW that ended (if it did) an hour later.
fn run(id: &str, state: RunState, kind: RunType, hours_ago: i64) -> Run {
    let scheduled = NOW - hours_ago * HOUR;
    let failed = state == RunState::Failed;
    let ended = matches!(state, RunState::Failed | RunState::Completed);
    Run {
        id: id.into(),
        state,
        kind,
        status_message: failed.then(|| format!("{id} failed: connector unreachable")),
        stage: failed.then(|| "PREPARING".to_owned()),
        scheduled: Some(scheduled),
        completed: ended.then_some(scheduled + HOUR),
    }
}

fn facts(servers: Vec<Server>, jobs: Vec<Job>, runs: Vec<(u32, Vec<Run>)>) -> Facts {
    Facts {
        now: NOW,
        catalog: catalog(servers),
        jobs,
        runs: runs.into_iter().map(|(n, r)| (jid(n), r)).collect(),
        unread_runs: vec![],
    }
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

/// The notices decided: target and kind.
fn notices(got: &JobsPlan) -> Vec<(String, NoticeKind)> {
    got.notices
        .iter()
        .map(|n| (n.target.clone(), n.kind))
        .collect()
}

/// The detail of the notice about `target`.
fn detail<'a>(got: &'a JobsPlan, target: &str) -> &'a str {
    got.notices
        .iter()
        .find(|n| n.target == target)
        .map(|n| n.detail.as_str())
        .unwrap_or_else(|| panic!("no notice about {target}: {:?}", got.notices))
}

/// Asserts the skips, in order: each target, with a reason starting as given.
fn assert_skips(got: &JobsPlan, want: &[(String, &str)]) {
    let skips: Vec<(&str, &str)> = got
        .skips
        .listed()
        .iter()
        .map(|s| (s.target.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(skips.len(), want.len(), "skips {skips:?}");
    for ((target, reason), (want_target, want_reason)) in skips.iter().zip(want) {
        assert_eq!(target, want_target);
        assert!(
            reason.starts_with(want_reason),
            "reason `{reason}` does not start with `{want_reason}`"
        );
    }
}

/// Asserts that the plan decided nothing but to skip `target` for a reason starting `reason`.
fn assert_only_skip(got: &JobsPlan, target: &str, reason: &str) {
    assert!(got.actions.is_empty(), "{:?}", got.actions);
    assert!(got.notices.is_empty(), "{:?}", got.notices);
    assert_skips(got, &[(target.to_owned(), reason)]);
}

fn created(n: u32, seed_time: i64) -> CreateJob {
    CreateJob {
        server_id: sid(n),
        seed_time,
        options: JobOptions::every(12),
        notes: vec![],
    }
}

/// The plan of a schedule for the servers and jobs of `specs` alone.
fn sweep(specs: Vec<JobSpec>, servers: Vec<Server>, jobs: Vec<Job>) -> JobsPlan {
    decide(&schedule(), &config(specs), &facts(servers, jobs, vec![]))
}

// Creating the jobs the configuration asks for.

#[test]
fn a_missing_job_is_created_with_every_configured_option() {
    let options = every_option();
    let full = JobSpec {
        seed: SeedTime::After(2 * HOUR),
        options: options.clone(),
        ..spec(ServerRef::VmName("WEB-1".into()))
    };
    let got = sweep(vec![full], vec![server(1)], vec![]);
    let want = CreateJob {
        options,
        ..created(1, NOW + 2 * HOUR)
    };
    assert_eq!(got.actions, [Action::Create(want)]);
}

#[test]
fn an_aws_license_is_noted_as_checked_by_sms() {
    let options = JobOptions {
        frequency: None,
        run_once: Some(true),
        license: License::Aws,
        encrypted: Some(true),
        ..JobOptions::every(12)
    };
    let one_time = JobSpec {
        seed: SeedTime::At(NOW + 3 * 86_400),
        options: options.clone(),
        ..by_id(2)
    };
    let got = sweep(vec![one_time], vec![server(2)], vec![]);
    let want = CreateJob {
        options,
        notes: vec![
            "licenseType AWS needs a Windows server: the SMS catalog does not record the OS, so \
             SMS checks it (Linux servers take only BYOL)"
                .into(),
        ],
        ..created(2, NOW + 3 * 86_400)
    };
    assert_eq!(got.actions, [Action::Create(want)]);
}

#[test]
fn a_seed_time_already_past_means_now() {
    let past = JobSpec {
        seed: SeedTime::At(NOW - 86_400),
        ..by_id(3)
    };
    let got = sweep(vec![past], vec![server(3)], vec![]);
    assert_eq!(got.actions, [Action::Create(created(3, NOW))]);
}

#[test]
fn no_seed_time_means_the_time_of_the_run() {
    let got = sweep(vec![by_id(5)], vec![server(5)], vec![]);
    assert_eq!(got.actions, [Action::Create(created(5, NOW))]);
}

#[test]
fn a_seed_time_more_than_30_days_ahead_is_skipped() {
    let too_far = JobSpec {
        seed: SeedTime::At(NOW + 31 * 86_400),
        ..by_id(4)
    };
    let got = sweep(vec![too_far], vec![server(4)], vec![]);
    assert_only_skip(
        &got,
        &sid(4),
        "seedReplicationTime 2026-12-21T10:00:00Z is more than 30 days ahead",
    );
}

// Resolving the configured servers against the catalog.

/// What a schedule decides for `reference`, among servers 1 to 4 and a server 7 also named
/// web-1: `create <server>` or `skip <target>: <reason>`, one a line.
fn resolves(reference: ServerRef) -> String {
    let mut twin = server(7);
    twin.vm_name = Some("web-1".into());
    let servers = vec![server(1), server(2), server(3), server(4), twin];
    let got = sweep(vec![spec(reference)], servers, vec![]);
    let created = got.actions.iter().map(|a| match a {
        Action::Create(job) => format!("create {}", job.server_id),
        other => format!("{other:?}"),
    });
    let skipped = (got.skips.listed().iter()).map(|s| format!("skip {}: {}", s.target, s.reason));
    created.chain(skipped).collect::<Vec<_>>().join("\n")
}

#[test]
fn a_server_is_named_by_id_vm_name_hostname_or_path() {
    let create = |n: u32| format!("create {}", sid(n));
    assert_eq!(resolves(ServerRef::Id(sid(2))), create(2));
    assert_eq!(resolves(ServerRef::VmName("WEB-3".into())), create(3));
    assert_eq!(resolves(ServerRef::Hostname("web-4".into())), create(4));
    let fqdn = ServerRef::Hostname("Web-4.corp.example.com".into());
    assert_eq!(resolves(fqdn), create(4), "by its first label");
    let path = ServerRef::VmPath("/Datacenters/DC1/vm/web-2".into());
    assert_eq!(resolves(path), create(2));
}

#[test]
fn a_reference_that_names_no_server_is_skipped() {
    let missing = "no such server in the SMS catalog; re-import the catalog if it is new";
    let skipped = |r: ServerRef| format!("skip {}: {missing}", r.describe());
    let path = ServerRef::VmPath("/datacenters/dc1/vm/web-2".into());
    assert_eq!(resolves(path.clone()), skipped(path), "a path is exact");
    assert_eq!(
        resolves(ServerRef::Id(sid(9))),
        skipped(ServerRef::Id(sid(9)))
    );
    let name = ServerRef::VmName("db-1".into());
    assert_eq!(resolves(name.clone()), skipped(name));
}

#[test]
fn a_reference_that_names_two_servers_is_skipped_as_ambiguous() {
    assert_eq!(
        resolves(ServerRef::VmName("web-1".into())),
        "skip vmName=web-1: ambiguous: matches servers s-0a1b2c3d4e5f60001, \
         s-0a1b2c3d4e5f60007; name it by serverId or vmPath"
    );
}

#[test]
fn two_entries_naming_one_server_keep_the_first() {
    let by_path = spec(ServerRef::VmPath("/Datacenters/DC1/vm/web-1".into()));
    let got = sweep(vec![by_id(1), by_path], vec![server(1)], vec![]);
    assert_eq!(got.actions, [Action::Create(created(1, NOW))]);
    assert_skips(
        &got,
        &[(
            "vmPath=/Datacenters/DC1/vm/web-1".into(),
            "is server s-0a1b2c3d4e5f60001, already configured as s-0a1b2c3d4e5f60001",
        )],
    );
}

#[test]
fn nothing_is_created_until_the_catalog_is_available() {
    for status in ["NOT_IMPORTED", "IMPORTING", "DELETED", "EXPIRED"] {
        let mut f = facts(vec![server(1)], vec![], vec![]);
        f.catalog.status = Some(CatalogStatus::from(Some(status)));
        let specs = vec![by_id(1), spec(ServerRef::VmName("web-2".into()))];
        let got = decide(&schedule(), &config(specs), &f);
        assert!(got.actions.is_empty(), "{status}");
        let reason = format!("the server catalog is {status}; import it (ImportServerCatalog)");
        assert_skips(&got, &[(sid(1), &reason), ("vmName=web-2".into(), &reason)]);
    }
}

// Existing jobs, on a schedule.

/// The plan of a schedule for server `n` and its `job`, with the job's runs if read.
fn sweep_job(n: u32, job: Job, runs: Option<Vec<Run>>) -> JobsPlan {
    let runs = runs.map(|r| vec![(n, r)]).unwrap_or_default();
    decide(
        &schedule(),
        &config(vec![by_id(n)]),
        &facts(vec![server(n)], vec![job], runs),
    )
}

#[test]
fn a_pending_or_active_job_means_the_server_needs_none() {
    let got = sweep_job(1, job(1, JobState::Pending), None);
    assert_eq!(notices(&got), [(sid(1), NoticeKind::Exists)]);
    assert_eq!(
        detail(&got, &sid(1)),
        format!("already replicated by {} (PENDING)", jid(1))
    );
    let got = sweep_job(2, job(2, JobState::Active), None);
    assert_eq!(notices(&got), [(sid(2), NoticeKind::Exists)]);
    assert!(got.actions.is_empty() && got.skips.is_empty());
}

#[test]
fn a_completed_job_is_reported_with_its_latest_ami() {
    let mut completed = job(3, JobState::Completed);
    completed.latest_ami = Some("ami-0abc1234def567890".into());
    let got = sweep_job(3, completed, None);
    assert_eq!(notices(&got), [(jid(3), NoticeKind::Completed)]);
    assert!(detail(&got, &jid(3))
        .ends_with("replication job completed; latest AMI ami-0abc1234def567890"));
}

#[test]
fn a_deleted_or_deleting_job_is_reported_and_not_recreated() {
    for state in [JobState::Deleted, JobState::Deleting] {
        let got = sweep_job(4, job(4, state), None);
        assert_eq!(notices(&got), [(jid(4), NoticeKind::Deleted)]);
        assert!(got.actions.is_empty());
    }
}

#[test]
fn a_failing_job_is_reported_with_what_sms_says() {
    let got = sweep_job(5, job(5, JobState::Failing), None);
    assert_eq!(notices(&got), [(jid(5), NoticeKind::Failing)]);
    assert!(detail(&got, &jid(5)).contains("runs are failing: SMS gave no status message"));
}

#[test]
fn a_failed_job_is_reported_with_the_job_and_latest_run_messages() {
    let mut failed = job(6, JobState::Failed);
    failed.status_message = Some("Replication failed".into());
    let runs = vec![run("sms-run-6", RunState::Failed, RunType::Automatic, 3)];
    let got = sweep_job(6, failed, Some(runs));
    assert_eq!(notices(&got), [(jid(6), NoticeKind::Failed)]);
    assert_eq!(
        detail(&got, &jid(6)),
        format!(
            "server {}: replication job failed: job: Replication failed; latest failed run \
             sms-run-6 at 2026-11-20T08:00:00Z in stage PREPARING: sms-run-6 failed: connector \
             unreachable",
            sid(6)
        )
    );
}

#[test]
fn a_failed_one_time_job_is_reported_as_one() {
    let mut one_time = job(7, JobState::Failed);
    one_time.run_once = true;
    let got = sweep_job(7, one_time, None);
    assert_eq!(notices(&got), [(jid(7), NoticeKind::OneTimeFailed)]);
}

#[test]
fn a_paused_one_time_job_is_never_resumed() {
    let mut one_time = job(8, JobState::PausedOnFailure);
    one_time.run_once = true;
    let got = sweep_job(8, one_time, Some(failed_runs(1, 5)));
    assert_eq!(notices(&got), [(jid(8), NoticeKind::OneTimeFailed)]);
    assert!(detail(&got, &jid(8)).contains("one-time jobs are never paused or resumed"));
    assert!(got.actions.is_empty());
}

#[test]
fn a_job_state_this_function_does_not_know_is_skipped() {
    let got = sweep_job(10, job(10, JobState::from(Some("MYSTERY"))), None);
    assert_only_skip(&got, &jid(10), "MYSTERY: not a state this function handles");
}

#[test]
fn a_live_job_speaks_for_its_server_over_a_deleted_one() {
    let mut old = job(1, JobState::Deleted);
    old.id = "sms-job-old".into();
    let got = sweep(
        vec![by_id(1)],
        vec![server(1)],
        vec![old, job(1, JobState::Active)],
    );
    assert_eq!(notices(&got), [(sid(1), NoticeKind::Exists)]);
}

#[test]
fn a_server_the_catalog_gives_to_an_unlisted_job_is_skipped() {
    let mut taken = server(2);
    taken.job_id = Some("sms-job-elsewhere".into());
    let got = sweep(vec![by_id(2)], vec![taken], vec![]);
    assert_only_skip(
        &got,
        &sid(2),
        "cannot be replicated: replication job sms-job-elsewhere has it",
    );
}

#[test]
fn a_server_whose_job_was_terminated_gets_a_new_one() {
    let mut freed = server(3);
    freed.job_id = Some("sms-job-purged".into());
    freed.job_terminated = true;
    let got = sweep(vec![by_id(3)], vec![freed], vec![]);
    assert_eq!(got.actions, [Action::Create(created(3, NOW))]);
}

// The pause-on-failure policy.

/// Runs of a job SMS paused after `failures` consecutive failures, the newest `hours_ago` old.
fn failed_runs(failures: i64, hours_ago: i64) -> Vec<Run> {
    let failed = |i: i64| {
        let id = format!("sms-run-f{i}");
        run(
            &id,
            RunState::Failed,
            RunType::Automatic,
            hours_ago + 12 * i,
        )
    };
    let mut runs: Vec<Run> = (0..failures).map(failed).collect();
    let ok_at = hours_ago + 12 * failures;
    runs.push(run(
        "sms-run-ok",
        RunState::Completed,
        RunType::Automatic,
        ok_at,
    ));
    runs
}

/// [`failed_runs`] and then `extra`.
fn with_runs(extra: Vec<Run>, failures: i64, hours_ago: i64) -> Vec<Run> {
    let mut runs = failed_runs(failures, hours_ago);
    runs.extend(extra);
    runs
}

/// Two on-demand runs, 20 and 5 hours ago, the older one `older`.
fn two_on_demand_runs(older: RunState, older_hours_ago: i64) -> Vec<Run> {
    vec![
        run("sms-run-d1", older, RunType::OnDemand, older_hours_ago),
        run("sms-run-d2", RunState::Failed, RunType::OnDemand, 5),
    ]
}

fn reschedule() -> FailurePolicy {
    FailurePolicy {
        resume_with: ResumeWith::Reschedule,
        ..FailurePolicy::default()
    }
}

/// The plan of a schedule for job 1, PAUSED_ON_FAILURE under `policy`, with its runs if read.
fn paused(policy: FailurePolicy, runs: Option<Vec<Run>>) -> JobsPlan {
    let mut paused = job(1, JobState::PausedOnFailure);
    paused.status_message = Some("Paused after consecutive failures".into());
    let spec = JobSpec {
        on_failure: policy,
        ..by_id(1)
    };
    let runs = runs.map(|r| vec![(1, r)]).unwrap_or_default();
    decide(
        &schedule(),
        &config(vec![spec]),
        &facts(vec![server(1)], vec![paused], runs),
    )
}

fn assert_resumed_by_run(got: &JobsPlan) {
    let [Action::StartRun {
        job_id,
        description,
        reason,
    }] = &got.actions[..]
    else {
        panic!("{:?}", got.actions)
    };
    assert_eq!(*job_id, jid(1));
    assert_eq!(description, "sms-replication-jobs: resume after failure");
    assert!(
        reason.starts_with(
            "resumed after the cool-down; job: Paused after consecutive failures; latest \
             failed run sms-run-f0"
        ),
        "{reason}"
    );
    assert!(got.notices.is_empty() && got.skips.is_empty(), "{got:?}");
}

fn assert_rescheduled(got: &JobsPlan) {
    assert!(
        matches!(&got.actions[..], [Action::Reschedule { job_id, next_start, reason, changes }]
            if *job_id == jid(1) && *next_start == NOW + RESCHEDULE_LEAD_SECS
                && reason.starts_with("resumed after the cool-down") && changes.is_empty()),
        "{:?}",
        got.actions
    );
    assert!(got.notices.is_empty() && got.skips.is_empty(), "{got:?}");
}

fn assert_escalated(got: &JobsPlan) {
    assert!(got.actions.is_empty(), "{:?}", got.actions);
    assert_eq!(notices(got), [(jid(1), NoticeKind::Escalate)]);
    assert!(got.skips.is_empty(), "{:?}", got.skips);
}

#[test]
fn a_paused_job_waits_out_the_cool_down() {
    let got = paused(FailurePolicy::default(), Some(failed_runs(3, 1)));
    assert_only_skip(
        &got,
        &jid(1),
        "PAUSED_ON_FAILURE: cool-down: latest failure at 2026-11-20T10:00:00Z, resuming after \
         2026-11-20T11:00:00Z",
    );
}

#[test]
fn a_paused_job_is_resumed_by_an_on_demand_run_after_the_cool_down() {
    assert_resumed_by_run(&paused(FailurePolicy::default(), Some(failed_runs(3, 3))));
}

#[test]
fn a_paused_job_is_resumed_by_a_reschedule_if_configured() {
    assert_rescheduled(&paused(reschedule(), Some(failed_runs(3, 3))));
}

#[test]
fn a_paused_job_waits_when_the_on_demand_limit_is_reached() {
    let runs = with_runs(two_on_demand_runs(RunState::Failed, 20), 2, 3);
    assert_eq!(ON_DEMAND_RUNS_PER_DAY, 2);
    assert_only_skip(
        &paused(FailurePolicy::default(), Some(runs)),
        &jid(1),
        "PAUSED_ON_FAILURE: 2 on-demand runs in the last 24 h, the SMS limit is 2; the next is \
         possible after 2026-11-20T14:00:00Z",
    );
}

#[test]
fn on_demand_runs_older_than_a_day_do_not_count_to_the_limit() {
    let runs = with_runs(two_on_demand_runs(RunState::Completed, 30), 2, 3);
    assert_resumed_by_run(&paused(FailurePolicy::default(), Some(runs)));
}

#[test]
fn the_on_demand_limit_does_not_stop_a_reschedule() {
    let runs = with_runs(two_on_demand_runs(RunState::Failed, 20), 2, 3);
    assert_rescheduled(&paused(reschedule(), Some(runs)));
}

#[test]
fn a_paused_job_waits_for_an_active_run() {
    let active = run("sms-run-now", RunState::Active, RunType::OnDemand, 0);
    assert_only_skip(
        &paused(
            FailurePolicy::default(),
            Some(with_runs(vec![active], 3, 3)),
        ),
        &jid(1),
        "PAUSED_ON_FAILURE: run sms-run-now is ACTIVE; waiting for it before resuming",
    );
}

/// The job's next scheduled run, an hour from now.
fn next_scheduled_run() -> Run {
    run("sms-run-next", RunState::Pending, RunType::Automatic, -1)
}

#[test]
fn the_next_scheduled_run_does_not_hold_a_reschedule() {
    let runs = with_runs(vec![next_scheduled_run()], 3, 3);
    assert_rescheduled(&paused(reschedule(), Some(runs)));
}

#[test]
fn the_next_scheduled_run_does_not_hold_an_on_demand_resume() {
    let runs = with_runs(vec![next_scheduled_run()], 3, 3);
    assert_resumed_by_run(&paused(FailurePolicy::default(), Some(runs)));
}

#[test]
fn the_next_scheduled_run_does_not_hold_an_escalation() {
    let runs = with_runs(vec![next_scheduled_run()], 5, 3);
    assert_escalated(&paused(FailurePolicy::default(), Some(runs)));
}

#[test]
fn a_scheduled_run_that_is_due_is_waited_for() {
    let due = run("sms-run-next", RunState::Pending, RunType::Automatic, 0);
    assert_only_skip(
        &paused(reschedule(), Some(with_runs(vec![due], 3, 3))),
        &jid(1),
        "PAUSED_ON_FAILURE: run sms-run-next is PENDING; waiting for it before resuming",
    );
}

#[test]
fn an_on_demand_run_not_started_yet_is_waited_for() {
    let asked = run("sms-run-asked", RunState::Pending, RunType::OnDemand, -1);
    assert_only_skip(
        &paused(reschedule(), Some(with_runs(vec![asked], 3, 3))),
        &jid(1),
        "PAUSED_ON_FAILURE: run sms-run-asked is PENDING; waiting for it before resuming",
    );
}

#[test]
fn a_paused_job_is_escalated_after_the_configured_failures() {
    assert_escalated(&paused(FailurePolicy::default(), Some(failed_runs(5, 3))));
}

#[test]
fn missed_runs_do_not_break_a_streak_of_failures() {
    let policy = FailurePolicy {
        max_consecutive_failures: 3,
        ..FailurePolicy::default()
    };
    let missed = run("sms-run-missed", RunState::Missed, RunType::Automatic, 9);
    assert_escalated(&paused(policy, Some(with_runs(vec![missed], 3, 3))));
}

#[test]
fn a_paused_job_whose_runs_were_not_read_is_left_alone() {
    assert_only_skip(
        &paused(FailurePolicy::default(), None),
        &jid(1),
        "PAUSED_ON_FAILURE, but its runs could not be read",
    );
}

#[test]
fn a_paused_job_without_a_failed_run_is_left_to_a_person() {
    let ok = run("sms-run-ok", RunState::Completed, RunType::Automatic, 30);
    assert_only_skip(
        &paused(FailurePolicy::default(), Some(vec![ok])),
        &jid(1),
        "PAUSED_ON_FAILURE: paused, but no failed run with a time",
    );
}

#[test]
fn an_escalation_is_a_failure_naming_the_count_and_cause() {
    let got = plan(
        &schedule(),
        &config(vec![by_id(1)]),
        &facts(
            vec![server(1)],
            vec![job(1, JobState::PausedOnFailure)],
            vec![(1, failed_runs(6, 2))],
        ),
    );
    let outcome = &got.outcomes[0];
    assert_eq!(outcome.action, ESCALATE);
    assert_eq!(outcome.result, OutcomeResult::Failed);
    assert!(!outcome.retryable);
    assert_eq!(outcome.state.as_deref(), Some("PAUSED_ON_FAILURE"));
    let want = format!(
        "server {}: escalated: 6 consecutive failed runs (escalation after 5); not resuming; \
         latest failed run sms-run-f0",
        sid(1)
    );
    assert!(outcome
        .detail
        .as_deref()
        .is_some_and(|d| d.starts_with(&want)));
}

// Direct invocation: on-demand runs within the SMS limits.

/// The plan of a direct invoke naming `targets`, for servers and jobs 1 to 6 and a job 9 of a
/// server outside the configuration; `runs` are the runs read, by job.
fn invoked(targets: &[&str], jobs: Vec<Job>, runs: Vec<(u32, Vec<Run>)>) -> JobsPlan {
    let mut foreign = job(9, JobState::Active);
    foreign.server_id = "s-ffffffffffffffff0".into();
    let jobs = jobs.into_iter().chain([foreign]).collect();
    let f = facts((1..=6).map(server).collect(), jobs, runs);
    decide(&direct(targets), &config((1..=6).map(by_id).collect()), &f)
}

fn on_demand_run(n: u32) -> Action {
    Action::StartRun {
        job_id: jid(n),
        description: "sms-replication-jobs: on-demand run by direct invoke".into(),
        reason: "requested by direct invoke".into(),
    }
}

fn completed_run() -> Run {
    run("sms-run-1", RunState::Completed, RunType::Automatic, 12)
}

#[test]
fn a_direct_invoke_starts_an_on_demand_run_of_a_replicating_job() {
    let got = invoked(
        &[&jid(1)],
        vec![job(1, JobState::Active)],
        vec![(1, vec![completed_run()])],
    );
    assert_eq!(got.actions, [on_demand_run(1)]);
    assert!(got.notices.is_empty() && got.skips.is_empty());
}

#[test]
fn a_job_named_twice_gets_one_on_demand_run() {
    let got = invoked(
        &[&jid(1), &jid(1)],
        vec![job(1, JobState::Active)],
        vec![(1, vec![completed_run()])],
    );
    assert_eq!(got.actions, [on_demand_run(1)]);
}

#[test]
fn a_paused_job_named_by_a_direct_invoke_gets_its_on_demand_run() {
    let got = invoked(
        &[&jid(5)],
        vec![job(5, JobState::PausedOnFailure)],
        vec![(5, failed_runs(2, 0))],
    );
    assert_eq!(got.actions, [on_demand_run(5)]);
}

#[test]
fn no_on_demand_run_starts_while_another_is_active() {
    let active = run("sms-run-2", RunState::Active, RunType::Automatic, 0);
    let got = invoked(
        &[&jid(2)],
        vec![job(2, JobState::Active)],
        vec![(2, vec![active])],
    );
    assert_only_skip(
        &got,
        &jid(2),
        "run sms-run-2 is ACTIVE; SMS starts no on-demand run while another is under way",
    );
}

#[test]
fn no_third_on_demand_run_starts_within_24_hours() {
    let runs = vec![
        run("sms-run-3a", RunState::Completed, RunType::OnDemand, 23),
        run("sms-run-3b", RunState::Completed, RunType::OnDemand, 2),
    ];
    let got = invoked(&[&jid(3)], vec![job(3, JobState::Active)], vec![(3, runs)]);
    assert_only_skip(
        &got,
        &jid(3),
        "2 on-demand runs in the last 24 h, the SMS limit is 2; the next is possible after \
         2026-11-20T11:00:00Z",
    );
}

#[test]
fn a_job_that_no_longer_replicates_gets_no_on_demand_run() {
    let got = invoked(
        &[&jid(4)],
        vec![job(4, JobState::Completed)],
        vec![(4, vec![])],
    );
    assert_only_skip(
        &got,
        &jid(4),
        "COMPLETED: on-demand runs need a job that is still replicating",
    );
}

#[test]
fn a_job_whose_runs_were_not_read_gets_no_on_demand_run() {
    let got = invoked(&[&jid(6)], vec![job(6, JobState::Active)], vec![]);
    assert_only_skip(&got, &jid(6), "its runs could not be read");
}

#[test]
fn a_job_of_a_server_outside_the_configuration_gets_no_on_demand_run() {
    let got = invoked(&[&jid(9)], vec![], vec![]);
    assert_only_skip(
        &got,
        &jid(9),
        "server s-ffffffffffffffff0 is outside the configured jobs (SMS_JOBS)",
    );
}

#[test]
fn an_unknown_job_named_by_a_direct_invoke_is_skipped() {
    let got = invoked(&["sms-job-unknown"], vec![], vec![]);
    assert_only_skip(
        &got,
        "sms-job-unknown",
        "no such replication job in this account and region",
    );
}

#[test]
fn a_target_that_is_not_a_job_id_is_skipped() {
    let got = invoked(&[&sid(1)], vec![job(1, JobState::Active)], vec![]);
    assert_only_skip(&got, &sid(1), "not a replication job id (sms-job-...)");
}

/// The reasons a direct invoke of active job 1 is skipped, when `next` follows a completed run.
fn on_demand_with(next: Run) -> JobsPlan {
    invoked(
        &[&jid(1)],
        vec![job(1, JobState::Active)],
        vec![(1, vec![completed_run(), next])],
    )
}

#[test]
fn the_next_scheduled_run_does_not_stop_an_on_demand_run() {
    let later = run("sms-run-n", RunState::Pending, RunType::Automatic, -11);
    assert_eq!(on_demand_with(later).actions, [on_demand_run(1)]);
}

#[test]
fn a_scheduled_run_that_is_due_stops_an_on_demand_run() {
    let due = run("sms-run-n", RunState::Pending, RunType::Automatic, 0);
    assert_only_skip(
        &on_demand_with(due),
        &jid(1),
        "run sms-run-n is PENDING; SMS starts no on-demand run while another is under way",
    );
}

#[test]
fn an_on_demand_run_not_started_yet_stops_another() {
    let asked = run("sms-run-n", RunState::Pending, RunType::OnDemand, -1);
    assert_only_skip(
        &on_demand_with(asked),
        &jid(1),
        "run sms-run-n is PENDING; SMS starts no on-demand run while another is under way",
    );
}

// SMS API calls recorded by CloudTrail.

/// The plan of `trigger` for servers 1 to 4 with jobs 1 ACTIVE, 2 PAUSED_ON_FAILURE (resumable),
/// 3 DELETED, 4 FAILED, and a FAILED job 9 of a server outside the configuration.
fn on_event(trigger: Trigger) -> JobsPlan {
    let mut foreign = job(9, JobState::Failed);
    foreign.server_id = "s-ffffffffffffffff0".into();
    let jobs = vec![
        job(1, JobState::Active),
        job(2, JobState::PausedOnFailure),
        job(3, JobState::Deleted),
        job(4, JobState::Failed),
        foreign,
    ];
    let runs = vec![(2, failed_runs(2, 5)), (4, failed_runs(1, 5))];
    let f = facts((1..=4).map(server).collect(), jobs, runs);
    decide(&trigger, &config((1..=4).map(by_id).collect()), &f)
}

/// Whether `got` resumes job 2, and only that, by an on-demand run.
fn resumes_job_2(got: &JobsPlan) -> bool {
    matches!(&got.actions[..], [Action::StartRun { job_id, .. }] if *job_id == jid(2))
}

#[test]
fn a_delete_call_reports_the_job_it_names_as_deleted() {
    let request = json!({"replicationJobId": jid(3)});
    let got = on_event(cloudtrail("DeleteReplicationJob", request, Value::Null));
    assert_eq!(notices(&got), [(jid(3), NoticeKind::Deleted)]);
    assert!(got.actions.is_empty() && got.skips.is_empty());
}

#[test]
fn a_job_named_in_the_response_is_looked_after() {
    let got = on_event(cloudtrail(
        "CreateReplicationJob",
        json!({"serverId": sid(1), "frequency": 12}),
        json!({"replicationJobId": jid(1)}),
    ));
    assert_only_skip(&got, &jid(1), "ACTIVE: replicating normally, nothing to do");
}

#[test]
fn a_paused_job_an_event_names_is_resumed() {
    let got = on_event(cloudtrail(
        "StartOnDemandReplicationRun",
        json!({"replicationJobId": jid(2)}),
        json!({"replicationRunId": "sms-run-x"}),
    ));
    assert!(resumes_job_2(&got), "{:?}", got.actions);
    assert!(got.notices.is_empty() && got.skips.is_empty());
}

#[test]
fn an_event_naming_no_job_looks_after_every_managed_job_in_a_failure_state() {
    let got = on_event(cloudtrail("ImportServerCatalog", json!({}), Value::Null));
    assert!(resumes_job_2(&got), "{:?}", got.actions);
    assert_eq!(notices(&got), [(jid(4), NoticeKind::Failed)]);
    assert!(got.skips.is_empty(), "{:?}", got.skips);
}

#[test]
fn a_read_only_call_changes_nothing() {
    let got = on_event(api_call("GetReplicationJobs", true, json!({}), Value::Null));
    assert_only_skip(
        &got,
        "e-1",
        "read-only SMS API call (GetReplicationJobs): nothing changed",
    );
}

#[test]
fn jobs_an_event_names_outside_the_configuration_or_gone_are_skipped() {
    let got = on_event(cloudtrail(
        "UpdateReplicationJob",
        json!({"replicationJobId": jid(9)}),
        json!({"note": "sms-job-gone1"}),
    ));
    assert!(got.actions.is_empty() && got.notices.is_empty());
    assert_skips(
        &got,
        &[
            (
                jid(9),
                "server s-ffffffffffffffff0 is outside the configured jobs",
            ),
            (
                "sms-job-gone1".into(),
                "named by the event, but no such replication job exists",
            ),
        ],
    );
}

#[test]
fn events_of_other_sources_are_not_handled() {
    let got = on_event(Trigger::from_events(vec![
        drs_launch_result(
            "e-2",
            "s-12345678901234567",
            "drsjob-04ca7d0d3fb6afa3e",
            true,
            false,
        ),
        backup_job_notification("m-3"),
        Event::Alarm(alarm("cpu", AlarmState::Alarm, &[])),
    ]));
    assert!(got.actions.is_empty() && got.notices.is_empty());
    assert_skips(
        &got,
        &[
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

// Which runs observe reads, and how a failed read is reported.

/// Managed jobs 1 ACTIVE, 2 PAUSED_ON_FAILURE, 3 FAILED, 4 FAILING, 5 COMPLETED, and a FAILED
/// job 9 of a server outside the configuration: the runs `trigger` needs.
fn runs_needed_for(trigger: &Trigger) -> Vec<String> {
    let mut foreign = job(9, JobState::Failed);
    foreign.server_id = "s-ffffffffffffffff0".into();
    let jobs = vec![
        job(1, JobState::Active),
        job(2, JobState::PausedOnFailure),
        job(3, JobState::Failed),
        job(4, JobState::Failing),
        job(5, JobState::Completed),
        foreign,
    ];
    let cfg = config((1..=5).map(by_id).collect());
    runs_needed(
        trigger,
        &cfg,
        &catalog((1..=5).map(server).collect()),
        &jobs,
    )
}

#[test]
fn runs_are_read_for_the_managed_jobs_in_a_failure_state() {
    assert_eq!(runs_needed_for(&schedule()), [jid(2), jid(3), jid(4)]);
}

#[test]
fn a_direct_invoke_also_reads_the_runs_of_the_managed_jobs_it_names() {
    let trigger = direct(&[&jid(1), &jid(9), "sms-job-x"]);
    assert_eq!(runs_needed_for(&trigger), [jid(1), jid(2), jid(3), jid(4)]);
}

#[test]
fn runs_that_could_not_be_read_are_reported_first_as_failed_reads() {
    let mut f = facts(vec![server(1)], vec![job(1, JobState::Failed)], vec![]);
    let throttled = CallFailure {
        class: ErrorClass::Retryable,
        code: "ThrottlingException".into(),
        message: "slow down".into(),
    };
    f.unread_runs = vec![(jid(1), throttled)];
    let got = plan(&schedule(), &config(vec![by_id(1)]), &f);
    let reported: Vec<(&str, &str, OutcomeResult)> = got
        .outcomes
        .iter()
        .map(|o| (o.target.as_str(), o.action.as_str(), o.result))
        .collect();
    let job1 = jid(1);
    assert_eq!(
        reported,
        [
            (job1.as_str(), "GetReplicationRuns", OutcomeResult::Failed),
            (job1.as_str(), "Notify", OutcomeResult::Failed),
        ]
    );
    assert!(got.outcomes[0].retryable);
}

// The sample events of events/sms-replication-jobs.

fn samples_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/sms-replication-jobs")
}

/// The sample event `name`, parsed, and its plan for servers 1 to 4 with jobs 1 and 2 ACTIVE
/// (2 with an active run) and 3 DELETED.
fn sample(name: &str) -> (Trigger, JobsPlan) {
    let text = std::fs::read_to_string(samples_dir().join(name)).expect("readable");
    let event: Value = serde_json::from_str(&text).expect("JSON");
    let trigger = dr_core::trigger::parse(&event).unwrap_or_else(|e| panic!("{name}: {e}"));
    let active = run("sms-run-2", RunState::Active, RunType::Automatic, 0);
    let f = facts(
        (1..=4).map(server).collect(),
        vec![
            job(1, JobState::Active),
            job(2, JobState::Active),
            job(3, JobState::Deleted),
        ],
        vec![(1, vec![]), (2, vec![active])],
    );
    let got = decide(&trigger, &config((1..=4).map(by_id).collect()), &f);
    (trigger, got)
}

#[test]
fn the_sample_events_are_the_ones_expected_here() {
    let mut names: Vec<String> = std::fs::read_dir(samples_dir())
        .expect("events directory")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "direct-invoke-dry-run.json",
            "direct-invoke.json",
            "fleet-target-invoke.json",
            "scheduled-event.json",
            "scheduler-input.json",
            "sms-api-call-via-cloudtrail.json",
            "sms-api-call-via-sns.json",
        ]
    );
}

#[test]
fn the_direct_invoke_samples_start_one_run_and_skip_the_busy_job() {
    let (trigger, got) = sample("direct-invoke-dry-run.json");
    assert!(trigger.dry_run);
    assert_eq!((got.actions.len(), got.notices.len()), (1, 0));
    assert_eq!(dr_testkit::skipped_targets(&got.skips), [jid(2)]);
    let (trigger, got) = sample("direct-invoke.json");
    assert!(!trigger.dry_run);
    assert_eq!(got.actions.len(), 1);
    assert!(got.notices.is_empty() && got.skips.is_empty());
}

#[test]
fn the_schedule_samples_create_the_missing_job_and_report_the_others() {
    for name in [
        "scheduled-event.json",
        "scheduler-input.json",
        "fleet-target-invoke.json",
    ] {
        let (trigger, got) = sample(name);
        assert!(!trigger.dry_run, "{name}");
        let describe = trigger.describe();
        assert!(
            describe.starts_with("schedule sms-replication-jobs-hourly"),
            "{name}"
        );
        assert_eq!(got.actions, [Action::Create(created(4, NOW))], "{name}");
        let want = [
            (sid(1), NoticeKind::Exists),
            (sid(2), NoticeKind::Exists),
            (jid(3), NoticeKind::Deleted),
        ];
        assert_eq!(notices(&got), want, "{name}");
        assert!(got.skips.is_empty(), "{name}");
    }
}

#[test]
fn the_sms_api_call_samples_report_the_deleted_job() {
    for name in [
        "sms-api-call-via-cloudtrail.json",
        "sms-api-call-via-sns.json",
    ] {
        let (trigger, got) = sample(name);
        assert!(!trigger.dry_run, "{name}");
        assert!(got.actions.is_empty(), "{name}");
        assert_eq!(notices(&got), [(jid(3), NoticeKind::Deleted)], "{name}");
        assert!(got.skips.is_empty(), "{name}");
    }
}

// Bringing existing jobs to the configuration.

/// SMS_JOBS for server 1 asking for every 6 hours and BYOL, the rest unmanaged.
fn six_hourly_byol() -> JobSpec {
    JobSpec {
        options: JobOptions {
            license: License::Byol,
            ..JobOptions::every(6)
        },
        ..by_id(1)
    }
}

/// Job 1 in `state`, every 12 hours with an AWS license.
fn twelve_hourly_aws(state: JobState) -> Job {
    let mut job = job(1, state);
    job.settings.license = Some("AWS".into());
    job
}

/// The plan of a schedule for server 1 configured by `spec` and its `job`, with the job's runs
/// if read.
fn reconciled(spec: JobSpec, job: Job, runs: Option<Vec<Run>>) -> JobsPlan {
    let runs = runs.map(|r| vec![(1, r)]).unwrap_or_default();
    decide(
        &schedule(),
        &config(vec![spec]),
        &facts(vec![server(1)], vec![job], runs),
    )
}

/// The updates planned: job and the changes in one line.
fn updates(got: &JobsPlan) -> Vec<(String, String)> {
    got.actions
        .iter()
        .filter_map(|a| match a {
            Action::Update { job_id, changes } => Some((job_id.clone(), changes.summary())),
            _ => None,
        })
        .collect()
}

fn frequency_and_license() -> Vec<(String, String)> {
    vec![(
        jid(1),
        "frequency 12h → 6h, licenseType AWS → BYOL".to_owned(),
    )]
}

#[test]
fn a_live_job_whose_settings_differ_is_updated_with_only_those() {
    for state in [JobState::Pending, JobState::Active, JobState::Failing] {
        let runs = vec![completed_run()];
        let got = reconciled(
            six_hourly_byol(),
            twelve_hourly_aws(state.clone()),
            Some(runs),
        );
        assert_eq!(updates(&got), frequency_and_license(), "{state}");
        assert!(got.skips.is_empty(), "{state}: {:?}", got.skips);
    }
}

#[test]
fn a_job_that_has_its_settings_is_not_updated() {
    let got = reconciled(by_id(1), job(1, JobState::Active), None);
    assert!(got.actions.is_empty(), "{:?}", got.actions);
    assert_eq!(notices(&got), [(sid(1), NoticeKind::Exists)]);
}

#[test]
fn a_run_in_progress_defers_the_frequency_but_not_the_other_settings() {
    let cases = [
        run("sms-run-a", RunState::Active, RunType::Automatic, 0),
        run("sms-run-a", RunState::Pending, RunType::OnDemand, 0),
        run("sms-run-a", RunState::Pending, RunType::Automatic, 0),
    ];
    for busy in cases {
        let state = busy.state.clone();
        let got = reconciled(
            six_hourly_byol(),
            twelve_hourly_aws(JobState::Active),
            Some(vec![completed_run(), busy]),
        );
        assert_eq!(
            updates(&got),
            [(jid(1), "licenseType AWS → BYOL".to_owned())],
            "{state}"
        );
        let reason = format!(
            "frequency 12h → 6h deferred: run sms-run-a is {state}; the schedule of a run in \
             progress is left as it is"
        );
        assert_skips(&got, &[(jid(1), &reason)]);
    }
}

#[test]
fn the_next_scheduled_run_does_not_defer_a_frequency_change() {
    let runs = vec![completed_run(), next_scheduled_run()];
    let got = reconciled(
        six_hourly_byol(),
        twelve_hourly_aws(JobState::Active),
        Some(runs),
    );
    assert_eq!(updates(&got), frequency_and_license());
}

#[test]
fn a_frequency_change_waits_when_the_runs_were_not_read() {
    let six_hourly = JobSpec {
        options: JobOptions::every(6),
        ..by_id(1)
    };
    let got = reconciled(six_hourly, job(1, JobState::Active), None);
    assert!(got.actions.is_empty(), "{:?}", got.actions);
    assert_skips(
        &got,
        &[(
            jid(1),
            "frequency 12h → 6h deferred: its runs could not be read",
        )],
    );
}

#[test]
fn a_finished_or_deleted_job_is_not_updated() {
    for state in [
        JobState::Completed,
        JobState::Failed,
        JobState::Deleted,
        JobState::from(Some("MYSTERY")),
    ] {
        let got = reconciled(
            six_hourly_byol(),
            twelve_hourly_aws(state.clone()),
            Some(vec![]),
        );
        assert!(updates(&got).is_empty(), "{state}");
    }
}

#[test]
fn a_one_time_job_keeps_its_run_once_and_says_why() {
    let mut one_time = twelve_hourly_aws(JobState::Active);
    one_time.run_once = true;
    one_time.settings.frequency = None;
    let got = reconciled(six_hourly_byol(), one_time, None);
    assert_eq!(
        updates(&got),
        [(jid(1), "licenseType AWS → BYOL".to_owned())]
    );
    assert_skips(
        &got,
        &[(
            jid(1),
            "runOnce: SMS_JOBS asks for false, the job has true; UpdateReplicationJob cannot \
             change it",
        )],
    );
}

/// [`six_hourly_byol`] paused on failure under `policy`.
fn paused_six_hourly(policy: FailurePolicy) -> JobSpec {
    JobSpec {
        on_failure: policy,
        ..six_hourly_byol()
    }
}

#[test]
fn a_paused_job_in_its_cool_down_changes_no_setting() {
    let got = reconciled(
        paused_six_hourly(FailurePolicy::default()),
        twelve_hourly_aws(JobState::PausedOnFailure),
        Some(failed_runs(3, 1)),
    );
    assert!(got.actions.is_empty(), "{:?}", got.actions);
    assert_skips(
        &got,
        &[
            (jid(1), "PAUSED_ON_FAILURE: cool-down"),
            (
                jid(1),
                "PAUSED_ON_FAILURE: frequency 12h → 6h, licenseType AWS → BYOL deferred until \
                 the job is resumed",
            ),
        ],
    );
}

#[test]
fn an_escalated_job_changes_no_setting() {
    let got = reconciled(
        paused_six_hourly(FailurePolicy::default()),
        twelve_hourly_aws(JobState::PausedOnFailure),
        Some(failed_runs(5, 3)),
    );
    assert!(got.actions.is_empty(), "{:?}", got.actions);
    assert_eq!(notices(&got), [(jid(1), NoticeKind::Escalate)]);
}

#[test]
fn a_paused_job_rescheduled_changes_its_settings_in_the_same_request() {
    let got = reconciled(
        paused_six_hourly(reschedule()),
        twelve_hourly_aws(JobState::PausedOnFailure),
        Some(failed_runs(3, 3)),
    );
    let [Action::Reschedule {
        job_id,
        next_start,
        changes,
        ..
    }] = &got.actions[..]
    else {
        panic!("{:?}", got.actions)
    };
    assert_eq!(
        (job_id, *next_start, changes.summary().as_str()),
        (
            &jid(1),
            NOW + RESCHEDULE_LEAD_SECS,
            "frequency 12h → 6h, licenseType AWS → BYOL"
        )
    );
    assert!(got.skips.is_empty(), "{:?}", got.skips);
}

#[test]
fn a_paused_job_resumed_by_an_on_demand_run_is_updated_too() {
    let got = reconciled(
        paused_six_hourly(FailurePolicy::default()),
        twelve_hourly_aws(JobState::PausedOnFailure),
        Some(failed_runs(3, 3)),
    );
    assert!(
        matches!(&got.actions[..], [Action::StartRun { job_id, .. }, Action::Update { .. }]
            if *job_id == jid(1)),
        "{:?}",
        got.actions
    );
    assert_eq!(updates(&got), frequency_and_license());
}

#[test]
fn a_job_not_in_the_configuration_is_reported_and_left_alone() {
    let mut foreign = twelve_hourly_aws(JobState::Active);
    foreign.id = "sms-job-foreign".into();
    foreign.server_id = sid(2);
    let mut gone = job(3, JobState::Deleted);
    gone.server_id = sid(3);
    let got = sweep(
        vec![by_id(1)],
        vec![server(1), server(2), server(3)],
        vec![job(1, JobState::Active), foreign, gone],
    );
    assert!(got.actions.is_empty(), "{:?}", got.actions);
    assert_skips(
        &got,
        &[(
            "sms-job-foreign".into(),
            "not in SMS_JOBS; left as it is (server s-0a1b2c3d4e5f60002, ACTIVE)",
        )],
    );
}

#[test]
fn jobs_are_not_reported_as_unconfigured_while_the_catalog_is_unavailable() {
    let mut f = facts(vec![server(1)], vec![job(1, JobState::Active)], vec![]);
    f.catalog.status = Some(CatalogStatus::Importing);
    let got = decide(&schedule(), &config(vec![by_id(1)]), &f);
    assert_skips(
        &got,
        &[(sid(1), "the server catalog is IMPORTING; import it")],
    );
}

#[test]
fn an_event_or_a_direct_invoke_changes_no_setting() {
    let cfg = config(vec![six_hourly_byol()]);
    let f = facts(
        vec![server(1)],
        vec![twelve_hourly_aws(JobState::Active)],
        vec![(1, vec![completed_run()])],
    );
    let call = cloudtrail(
        "UpdateReplicationJob",
        json!({"replicationJobId": jid(1)}),
        Value::Null,
    );
    for trigger in [direct(&[&jid(1)]), call] {
        assert!(updates(&decide(&trigger, &cfg, &f)).is_empty());
    }
}

#[test]
fn a_schedule_reads_the_runs_of_the_jobs_whose_frequency_changes() {
    let jobs = [
        twelve_hourly_aws(JobState::Active),
        job(2, JobState::Active),
    ];
    let cfg = config(vec![six_hourly_byol(), by_id(2)]);
    let cat = catalog(vec![server(1), server(2)]);
    assert_eq!(runs_needed(&schedule(), &cfg, &cat, &jobs), [jid(1)]);
    let call = cloudtrail("ImportServerCatalog", json!({}), Value::Null);
    assert!(runs_needed(&call, &cfg, &cat, &jobs).is_empty());
}
