//! Whole invocations: the function through the core's `handle`, against mocked SMS and SNS.

use super::*;
use crate::config::{FailurePolicy, JobSpec, ResumeWith, SeedTime, ServerRef};
use crate::model::{JobOptions, License};
use crate::testing::{
    jid, jobs_page, runs_page, sdk_job, sdk_job_with, sdk_run, sdk_server, servers_page, sid,
    sms_client, sms_error, HOUR, NOW,
};
use aws_sdk_sms::operation::create_replication_job::CreateReplicationJobOutput;
use aws_sdk_sms::operation::start_on_demand_replication_run::StartOnDemandReplicationRunOutput;
use aws_sdk_sms::operation::update_replication_job::UpdateReplicationJobOutput;
use aws_sdk_sms::types::{
    LicenseType, ReplicationJobState, ReplicationRun, ReplicationRunState, ReplicationRunType,
};
use aws_sdk_sms::Client as Sms;
use aws_smithy_mocks::{mock, Rule};
use dr_core::function::handle;
use dr_core::invocation::HandlerError;
use dr_core::report::{OutcomeResult, RunReport, RunStatus};
use dr_testkit::publish_rule;
use serde_json::{json, Value};

fn spec(n: u32) -> JobSpec {
    JobSpec {
        server: ServerRef::Id(sid(n)),
        seed: SeedTime::Now,
        options: JobOptions::every(12),
        on_failure: FailurePolicy {
            cool_down_secs: HOUR,
            resume_with: ResumeWith::OnDemandRun,
            max_consecutive_failures: 5,
        },
    }
}

/// The function with `jobs`, deployed over one target whose SMS is `sms`.
fn function(sms: Sms, jobs: Vec<JobSpec>) -> (ReplicationJobs, [Connected<Sms>; 1]) {
    let function = ReplicationJobs {
        config: SmsConfig {
            settings: Settings {
                max_concurrency: 2,
                ..dr_testkit::settings()
            },
            jobs,
        },
    };
    (function, [Connected::home(sms)])
}

/// Handles `event` at [`NOW`], publishing through `publish`.
async fn run(
    (function, fleet): &(ReplicationJobs, [Connected<Sms>; 1]),
    publish: &Rule,
    event: &Value,
) -> Result<RunReport, HandlerError> {
    let publisher = dr_testkit::publisher(dr_testkit::sns_client(&[publish]));
    handle(
        function,
        fleet,
        &publisher,
        event,
        &dr_core::invocation::Invocation::at(NOW),
    )
    .await
}

/// A catalog of servers 1 to 4 and jobs: 1 ACTIVE, 2 PAUSED_ON_FAILURE (failed 3 h ago), 3 FAILED.
fn fleet() -> (Rule, Rule) {
    let servers = mock!(Sms::get_servers)
        .then_output(|| servers_page((1..=4).map(sdk_server).collect(), None));
    let jobs = mock!(Sms::get_replication_jobs).then_output(|| {
        jobs_page(
            vec![
                sdk_job(1, ReplicationJobState::Active),
                sdk_job(2, ReplicationJobState::PausedOnFailure),
                sdk_job(3, ReplicationJobState::Failed),
            ],
            None,
        )
    });
    (servers, jobs)
}

/// The runs SMS lists for job `n`.
fn runs_of(n: u32, runs: Vec<ReplicationRun>) -> Rule {
    mock!(Sms::get_replication_runs)
        .match_requests(move |r| r.replication_job_id() == Some(jid(n).as_str()))
        .then_output(move || runs_page(runs.clone(), None))
}

fn automatic(id: &str, state: ReplicationRunState, hours_ago: i64) -> ReplicationRun {
    sdk_run(id, state, ReplicationRunType::Automatic, hours_ago)
}

/// Job 2's runs: it failed 4 hours ago (3 after the failure, past its cool-down of an hour).
fn paused_runs() -> Rule {
    runs_of(
        2,
        vec![
            automatic("sms-run-2b", ReplicationRunState::Failed, 4),
            automatic("sms-run-2a", ReplicationRunState::Completed, 16),
        ],
    )
}

/// Creating a job for server `n` succeeds.
fn creates(n: u32) -> Rule {
    mock!(Sms::create_replication_job)
        .match_requests(move |r| r.server_id() == Some(sid(n).as_str()))
        .then_output(move || {
            CreateReplicationJobOutput::builder()
                .replication_job_id(jid(n))
                .build()
        })
}

/// Starting an on-demand run of job `n` succeeds.
fn starts(n: u32) -> Rule {
    mock!(Sms::start_on_demand_replication_run)
        .match_requests(move |r| r.replication_job_id() == Some(jid(n).as_str()))
        .then_output(|| {
            StartOnDemandReplicationRunOutput::builder()
                .replication_run_id("sms-run-2c")
                .build()
        })
}

/// The report of a schedule over [`fleet`], with the rules that answered its calls: job 3's
/// runs, the creation for server 4, the start of job 2's run and the publish.
async fn scheduled_run() -> (RunReport, [Rule; 5]) {
    let (servers, jobs) = fleet();
    let failed = automatic("sms-run-3a", ReplicationRunState::Failed, 2);
    let rules = [
        paused_runs(),
        runs_of(3, vec![failed]),
        creates(4),
        starts(2),
        publish_rule(),
    ];
    let [runs2, runs3, create, start, publish] = &rules;
    let function = function(
        sms_client(&[&servers, &jobs, runs2, runs3, create, start]),
        (1..=4).map(spec).collect(),
    );
    let report = run(&function, publish, &json!({"schedule": "hourly"}))
        .await
        .expect("report");
    (report, rules)
}

#[tokio::test]
async fn a_schedule_reports_what_it_knows_then_what_it_changed() {
    let (report, [runs2, runs3, create, start, publish]) = scheduled_run().await;
    let summary: Vec<(&str, &str, OutcomeResult)> = report
        .outcomes
        .iter()
        .map(|o| (o.target.as_str(), o.action.as_str(), o.result))
        .collect();
    let (s1, j3, j2, s4) = (sid(1), jid(3), jid(2), sid(4));
    assert_eq!(
        summary,
        [
            (
                s1.as_str(),
                "CreateReplicationJob",
                OutcomeResult::Unchanged
            ),
            (j3.as_str(), "Notify", OutcomeResult::Failed),
            (
                j2.as_str(),
                "StartOnDemandReplicationRun",
                OutcomeResult::Done
            ),
            (s4.as_str(), "CreateReplicationJob", OutcomeResult::Done),
        ]
    );
    assert_eq!((create.num_calls(), start.num_calls()), (1, 1));
    assert_eq!((runs2.num_calls(), runs3.num_calls()), (1, 1));
    assert_eq!(publish.num_calls(), 1);
}

#[tokio::test]
async fn a_schedule_with_a_failed_job_is_partly_failed_naming_the_root_cause() {
    let (report, _) = scheduled_run().await;
    assert!(report.outcomes[1]
        .detail
        .as_deref()
        .is_some_and(|d| d.contains(
            "latest failed run sms-run-3a at 2026-11-20T09:00:00Z in stage UPLOADING: Failed to \
         upload the disk"
        )));
    assert_eq!(report.status, RunStatus::PartiallyFailed);
    assert_eq!(report.trigger, "schedule hourly");
}

#[tokio::test]
async fn runs_that_cannot_be_read_fail_the_invocation_once_reported() {
    let (servers, jobs) = fleet();
    let runs = mock!(Sms::get_replication_runs)
        .then_http_response(|| sms_error(503, "ServiceUnavailable"));
    let create = mock!(Sms::create_replication_job).then_output(|| {
        CreateReplicationJobOutput::builder()
            .replication_job_id(jid(4))
            .build()
    });
    let start = mock!(Sms::start_on_demand_replication_run)
        .then_output(|| StartOnDemandReplicationRunOutput::builder().build());
    let publish = publish_rule();
    let function = function(
        sms_client(&[&servers, &jobs, &runs, &create, &start]),
        (1..=4).map(spec).collect(),
    );
    let err = run(&function, &publish, &json!({}))
        .await
        .expect_err("a retryable read failure fails the invocation");
    assert_eq!(err.error_type(), "RetryableFailures");
    assert_eq!(
        publish.num_calls(),
        1,
        "the report is published before failing"
    );
    assert_eq!(start.num_calls(), 0, "nothing is resumed without its runs");
    assert_eq!(create.num_calls(), 1, "the other servers are still handled");
}

#[tokio::test]
async fn a_dry_run_direct_invoke_plans_the_run_without_starting_it() {
    let (servers, jobs) = fleet();
    let on_demand = sdk_run(
        "sms-run-1a",
        ReplicationRunState::Completed,
        ReplicationRunType::OnDemand,
        5,
    );
    let runs1 = runs_of(1, vec![on_demand]);
    let runs2 = paused_runs();
    let runs3 = runs_of(3, vec![]);
    let start = mock!(Sms::start_on_demand_replication_run)
        .then_output(|| StartOnDemandReplicationRunOutput::builder().build());
    let publish = publish_rule();
    let function = function(
        sms_client(&[&servers, &jobs, &runs1, &runs2, &runs3, &start]),
        (1..=4).map(spec).collect(),
    );
    let report = run(
        &function,
        &publish,
        &json!({"targets": [jid(1), jid(3)], "dryRun": true}),
    )
    .await
    .expect("report");
    assert_eq!(report.status, RunStatus::DryRun);
    assert_eq!(report.counts.planned, 1);
    assert_eq!(report.outcomes[0].target, jid(1));
    assert_eq!(report.skips[0].target, jid(3));
    assert!(report.skips[0]
        .reason
        .starts_with("FAILED: on-demand runs need a job"));
    assert_eq!(start.num_calls(), 0);
}

#[tokio::test]
async fn bad_events_are_rejected_without_calling_aws() {
    let (servers, jobs) = fleet();
    let publish = publish_rule();
    let function = function(sms_client(&[&servers, &jobs]), vec![spec(1)]);
    for bad in [
        json!("x"),
        json!({"targets": 5}),
        json!({"source": "aws.ec2", "detail-type": "x", "detail": {}}),
    ] {
        let err = run(&function, &publish, &bad).await.expect_err("rejected");
        assert_eq!(err.error_type(), "BadEvent");
    }
    assert_eq!(servers.num_calls() + jobs.num_calls(), 0);
    assert_eq!(publish.num_calls(), 0);
}

#[tokio::test]
async fn a_fatal_read_failure_is_reported_and_changes_nothing() {
    let servers = mock!(Sms::get_servers)
        .then_http_response(|| sms_error(400, "UnauthorizedOperationException"));
    let jobs = mock!(Sms::get_replication_jobs).then_output(|| jobs_page(vec![], None));
    let create = mock!(Sms::create_replication_job)
        .then_output(|| CreateReplicationJobOutput::builder().build());
    let publish = publish_rule();
    let function = function(sms_client(&[&servers, &jobs, &create]), vec![spec(1)]);
    let report = run(&function, &publish, &json!({}))
        .await
        .expect("fatal observe failures are reported");
    assert_eq!(report.status, RunStatus::Failed);
    assert!(report.error.as_ref().is_some_and(|e| e
        .message
        .starts_with("GetServers failed: UnauthorizedOperationException")));
    assert_eq!(create.num_calls(), 0);
    assert_eq!(publish.num_calls(), 1);
}

#[tokio::test]
async fn a_dry_run_schedule_plans_every_change_and_calls_none() {
    let (servers, jobs) = fleet();
    let runs2 = paused_runs();
    let runs3 = runs_of(3, vec![]);
    let create = mock!(Sms::create_replication_job)
        .then_output(|| CreateReplicationJobOutput::builder().build());
    let start = mock!(Sms::start_on_demand_replication_run)
        .then_output(|| StartOnDemandReplicationRunOutput::builder().build());
    let update = mock!(Sms::update_replication_job)
        .then_output(|| UpdateReplicationJobOutput::builder().build());
    let publish = publish_rule();
    let function = function(
        sms_client(&[&servers, &jobs, &runs2, &runs3, &create, &start, &update]),
        (1..=4).map(spec).collect(),
    );
    let report = run(&function, &publish, &json!({"dryRun": true}))
        .await
        .expect("report");
    assert_eq!(report.status, RunStatus::DryRun);
    let planned: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|o| o.result == OutcomeResult::Planned)
        .map(|o| o.action.as_str())
        .collect();
    assert_eq!(
        planned,
        ["StartOnDemandReplicationRun", "CreateReplicationJob"]
    );
    assert_eq!(
        create.num_calls() + start.num_calls() + update.num_calls(),
        0
    );
}

/// Server 1's job every 12 hours with an AWS license, configured every 6 hours with BYOL, and a
/// job of server 2, which the configuration does not name: the rules answering the reads.
fn drifted() -> [Rule; 3] {
    let servers = mock!(Sms::get_servers)
        .then_output(|| servers_page((1..=2).map(sdk_server).collect(), None));
    let jobs = mock!(Sms::get_replication_jobs).then_output(|| {
        let drifted = sdk_job_with(1, ReplicationJobState::Active)
            .license_type(LicenseType::Aws)
            .build();
        jobs_page(vec![drifted, sdk_job(2, ReplicationJobState::Active)], None)
    });
    let runs = runs_of(
        1,
        vec![automatic("sms-run-1a", ReplicationRunState::Completed, 12)],
    );
    [servers, jobs, runs]
}

fn six_hourly_byol() -> JobSpec {
    JobSpec {
        options: JobOptions {
            license: License::Byol,
            ..JobOptions::every(6)
        },
        ..spec(1)
    }
}

/// `UpdateReplicationJob` of job 1 with the frequency and license only.
fn updates_frequency_and_license() -> Rule {
    mock!(Sms::update_replication_job)
        .match_requests(|r| {
            r.replication_job_id() == Some(jid(1).as_str())
                && r.frequency() == Some(6)
                && r.license_type() == Some(&LicenseType::Byol)
                && r.next_replication_run_start_time().is_none()
                && r.role_name().is_none()
                && r.encrypted().is_none()
                && r.kms_key_id().is_none()
        })
        .then_output(|| UpdateReplicationJobOutput::builder().build())
}

#[tokio::test]
async fn a_schedule_updates_a_drifted_job_and_reports_an_unconfigured_one() {
    let [servers, jobs, runs] = drifted();
    let update = updates_frequency_and_license();
    let publish = publish_rule();
    let function = function(
        sms_client(&[&servers, &jobs, &runs, &update]),
        vec![six_hourly_byol()],
    );
    let report = run(&function, &publish, &json!({"schedule": "hourly"}))
        .await
        .expect("report");
    assert_eq!(update.num_calls(), 1);
    let updated = report
        .outcomes
        .iter()
        .find(|o| o.action == "UpdateReplicationJob")
        .expect("an update outcome");
    assert_eq!(
        (updated.target.as_str(), updated.result),
        (jid(1).as_str(), OutcomeResult::Done)
    );
    assert_eq!(
        updated.detail.as_deref(),
        Some("frequency 12h → 6h, licenseType AWS → BYOL")
    );
    assert_eq!(report.skips.len(), 1, "{:?}", report.skips);
    assert_eq!(
        (
            report.skips[0].target.as_str(),
            report.skips[0].reason.as_str()
        ),
        (
            jid(2).as_str(),
            "not in SMS_JOBS; left as it is (server s-0a1b2c3d4e5f60002, ACTIVE)"
        )
    );
}

#[tokio::test]
async fn a_dry_run_schedule_reports_the_settings_it_would_change() {
    let [servers, jobs, runs] = drifted();
    let update = updates_frequency_and_license();
    let publish = publish_rule();
    let function = function(
        sms_client(&[&servers, &jobs, &runs, &update]),
        vec![six_hourly_byol()],
    );
    let report = run(&function, &publish, &json!({"dryRun": true}))
        .await
        .expect("report");
    assert_eq!(update.num_calls(), 0);
    let planned: Vec<(&str, Option<&str>)> = report
        .outcomes
        .iter()
        .filter(|o| o.result == OutcomeResult::Planned)
        .map(|o| (o.action.as_str(), o.detail.as_deref()))
        .collect();
    assert_eq!(
        planned,
        [(
            "UpdateReplicationJob",
            Some("frequency 12h → 6h, licenseType AWS → BYOL")
        )]
    );
}

#[tokio::test]
async fn a_schedule_measures_the_jobs_by_state() {
    let (servers, jobs) = fleet();
    let failed = automatic("sms-run-3a", ReplicationRunState::Failed, 2);
    let (runs2, runs3, create, start) = (
        paused_runs(),
        runs_of(3, vec![failed]),
        creates(4),
        starts(2),
    );
    let (function, fleet) = function(
        sms_client(&[&servers, &jobs, &runs2, &runs3, &create, &start]),
        (1..=4).map(spec).collect(),
    );
    let publish = publish_rule();
    let (publisher, metrics) = dr_testkit::metered(dr_testkit::sns_client(&[&publish]));
    let invocation = dr_core::invocation::Invocation::at(NOW);
    handle(
        &function,
        &fleet,
        &publisher,
        &json!({"schedule": "hourly"}),
        &invocation,
    )
    .await
    .expect("report");
    let line = metrics.fleet_line();
    let counts = [
        "SmsJobs",
        "SmsJobsActive",
        "SmsJobsPausedOnFailure",
        "SmsJobsFailed",
        "SmsJobsDeleted",
    ]
    .map(|name| line[name].as_f64());
    assert_eq!(
        counts,
        [Some(3.0), Some(1.0), Some(1.0), Some(1.0), Some(0.0)],
        "{line}"
    );
}
