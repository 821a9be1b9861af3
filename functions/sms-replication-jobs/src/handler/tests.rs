//! SDK adapter tests: observe, apply and the whole handler against mocked SMS and SNS clients.

use super::*;
use crate::config::{FailurePolicy, JobOptions, JobSpec, License, ResumeWith, SeedTime, ServerRef};
use crate::plan::{Action, CreateJob};
use aws_sdk_sms::config::Region;
use aws_sdk_sms::operation::create_replication_job::CreateReplicationJobOutput;
use aws_sdk_sms::operation::get_replication_jobs::GetReplicationJobsOutput;
use aws_sdk_sms::operation::get_replication_runs::GetReplicationRunsOutput;
use aws_sdk_sms::operation::get_servers::GetServersOutput;
use aws_sdk_sms::operation::start_on_demand_replication_run::StartOnDemandReplicationRunOutput;
use aws_sdk_sms::operation::update_replication_job::UpdateReplicationJobOutput;
use aws_sdk_sms::types::{
    LicenseType, ReplicationJob, ReplicationJobState, ReplicationRun, ReplicationRunStageDetails,
    ReplicationRunState, ReplicationRunType, Server, ServerCatalogStatus, ServerType, VmServer,
    VmServerAddress,
};
use aws_sdk_sms::Client as Sms;
use aws_sdk_sns::operation::publish::PublishOutput;
use aws_smithy_mocks::{
    create_mock_http_client, mock, mock_client, MockResponseInterceptor, Rule, RuleMode,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::DateTime;
use dr_core::report::{OutcomeResult, RunStatus};
use lambda_runtime::Diagnostic;
use serde_json::json;
use std::time::Duration;

/// 2026-11-20T10:00:00Z
const NOW: i64 = 1_795_168_800;
const HOUR: i64 = 3600;
const REPORT_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:dr-automation-reports";

fn sid(n: u32) -> String {
    format!("s-0a1b2c3d4e5f6{n:04}")
}

fn jid(n: u32) -> String {
    format!("sms-job-0a1b2c3d4e5f6{n:04}")
}

fn sdk_server(n: u32) -> Server {
    Server::builder()
        .server_id(sid(n))
        .server_type(ServerType::VirtualMachine)
        .vm_server(
            VmServer::builder()
                .vm_name(format!("web-{n}"))
                .vm_path(format!("/Datacenters/DC1/vm/web-{n}"))
                .vm_manager_name("vcenter.corp.example.com")
                .vm_server_address(
                    VmServerAddress::builder()
                        .vm_manager_id("4c4c4544-0042-5a10-8054-b4c04f4e3732")
                        .vm_id(format!("vm-{n}"))
                        .build(),
                )
                .build(),
        )
        .build()
}

fn servers_page(servers: Vec<Server>, next: Option<&str>) -> GetServersOutput {
    GetServersOutput::builder()
        .server_catalog_status(ServerCatalogStatus::Available)
        .set_server_list(Some(servers))
        .set_next_token(next.map(str::to_owned))
        .build()
}

fn sdk_job(n: u32, state: ReplicationJobState) -> ReplicationJob {
    ReplicationJob::builder()
        .replication_job_id(jid(n))
        .server_id(sid(n))
        .state(state)
        .frequency(12)
        .seed_replication_time(DateTime::from_secs(NOW - 30 * 86_400))
        .build()
}

fn jobs_page(jobs: Vec<ReplicationJob>, next: Option<&str>) -> GetReplicationJobsOutput {
    GetReplicationJobsOutput::builder()
        .set_replication_job_list(Some(jobs))
        .set_next_token(next.map(str::to_owned))
        .build()
}

fn sdk_run(
    id: &str,
    state: ReplicationRunState,
    kind: ReplicationRunType,
    hours_ago: i64,
) -> ReplicationRun {
    let scheduled = NOW - hours_ago * HOUR;
    let mut run = ReplicationRun::builder()
        .replication_run_id(id)
        .state(state.clone())
        .r#type(kind)
        .scheduled_start_time(DateTime::from_secs(scheduled));
    if state == ReplicationRunState::Failed {
        run = run
            .status_message("Failed to upload the disk: connector unreachable")
            .stage_details(
                ReplicationRunStageDetails::builder()
                    .stage("UPLOADING")
                    .build(),
            )
            .completed_time(DateTime::from_secs(scheduled + HOUR));
    }
    run.build()
}

fn runs_page(runs: Vec<ReplicationRun>, next: Option<&str>) -> GetReplicationRunsOutput {
    GetReplicationRunsOutput::builder()
        .set_replication_run_list(Some(runs))
        .set_next_token(next.map(str::to_owned))
        .build()
}

/// An awsJson1.1 error response exactly as SMS sends it.
fn sms_error(status: u16, error_type: &str) -> HttpResponse {
    let mut resp = HttpResponse::new(
        StatusCode::try_from(status).expect("valid status"),
        SdkBody::from(
            json!({"__type": error_type, "message": format!("{error_type} from test")}).to_string(),
        ),
    );
    resp.headers_mut()
        .insert("content-type", "application/x-amz-json-1.1");
    resp
}

/// The client `mock_client!` would build: aws-sdk-sms is no longer released and predates the
/// `with_test_defaults_v2` that macro calls, so the same client is assembled here.
fn sms_client(rules: &[&Rule]) -> Sms {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    let config = aws_sdk_sms::Config::builder()
        .with_test_defaults()
        .region(Region::new("us-east-1"))
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .build();
    Sms::from_conf(config)
}

#[tokio::test]
async fn observe_follows_every_page() {
    let servers = mock!(Sms::get_servers)
        .sequence()
        .output(|| servers_page(vec![sdk_server(1), sdk_server(2)], Some("p2")))
        .output(|| servers_page(vec![Server::builder().build(), sdk_server(3)], Some("p3")))
        .output(|| servers_page(vec![sdk_server(4)], None))
        .build();
    let jobs = mock!(Sms::get_replication_jobs)
        .sequence()
        .output(|| jobs_page(vec![sdk_job(1, ReplicationJobState::Active)], Some("j2")))
        .output(|| {
            jobs_page(
                vec![
                    sdk_job(2, ReplicationJobState::PausedOnFailure),
                    ReplicationJob::builder().build(),
                ],
                None,
            )
        })
        .build();
    let runs = mock!(Sms::get_replication_runs)
        .match_requests(|r| r.replication_job_id() == Some(jid(2).as_str()))
        .sequence()
        .output(|| {
            runs_page(
                vec![sdk_run(
                    "sms-run-1",
                    ReplicationRunState::Failed,
                    ReplicationRunType::Automatic,
                    3,
                )],
                Some("r2"),
            )
        })
        .output(|| {
            runs_page(
                vec![sdk_run(
                    "sms-run-0",
                    ReplicationRunState::Completed,
                    ReplicationRunType::OnDemand,
                    15,
                )],
                None,
            )
        })
        .build();
    let sms = sms_client(&[&servers, &jobs, &runs]);

    let catalog = observe::catalog(&sms).await.expect("catalog");
    assert_eq!(servers.num_calls(), 3);
    assert_eq!(catalog.status.as_deref(), Some("AVAILABLE"));
    let ids: Vec<_> = catalog.servers.iter().map(|s| s.id.clone()).collect();
    assert_eq!(
        ids,
        (1..=4).map(sid).collect::<Vec<_>>(),
        "servers without an id are dropped"
    );
    assert_eq!(catalog.servers[2].vm_name.as_deref(), Some("web-3"));
    assert_eq!(
        catalog.servers[2].vm_path.as_deref(),
        Some("/Datacenters/DC1/vm/web-3")
    );

    let all = observe::jobs(&sms).await.expect("jobs");
    assert_eq!(jobs.num_calls(), 2);
    let states: Vec<_> = all
        .iter()
        .map(|j| (j.id.clone(), j.state.clone()))
        .collect();
    assert_eq!(
        states,
        vec![
            (jid(1), "ACTIVE".into()),
            (jid(2), "PAUSED_ON_FAILURE".into())
        ]
    );

    let history = observe::runs(&sms, &[jid(2)], 2).await;
    assert!(history.failures.is_empty());
    assert_eq!(runs.num_calls(), 2);
    let got = &history.runs[&jid(2)];
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0],
        crate::observe::Run {
            id: "sms-run-1".into(),
            state: "FAILED".into(),
            kind: "AUTOMATIC".into(),
            status_message: Some("Failed to upload the disk: connector unreachable".into()),
            stage: Some("UPLOADING".into()),
            scheduled: Some(NOW - 3 * HOUR),
            completed: Some(NOW - 2 * HOUR),
        }
    );
    assert_eq!(got[1].kind, "ON_DEMAND");
}

#[tokio::test]
async fn observe_reports_a_persistent_throttle_as_retryable() {
    let servers =
        mock!(Sms::get_servers).then_http_response(|| sms_error(400, "ThrottlingException"));
    let runs = mock!(Sms::get_replication_runs)
        .then_http_response(|| sms_error(400, "ThrottlingException"));
    let sms = sms_client(&[&servers, &runs]);
    let failure = observe::catalog(&sms).await.expect_err("throttled");
    assert!(failure.is_retryable(), "{failure:?}");
    assert_eq!(failure.code, "ThrottlingException");
    assert_eq!(servers.num_calls(), 3, "the SDK retried before giving up");

    let history = observe::runs(&sms, &[jid(1)], 2).await;
    assert!(history.runs.is_empty());
    assert_eq!(history.failures.len(), 1);
    assert_eq!(history.failures[0].0, jid(1));
    assert!(history.failures[0].1.is_retryable());
}

fn full_create(n: u32) -> CreateJob {
    CreateJob {
        server_id: sid(n),
        seed_time: NOW + 2 * HOUR,
        options: JobOptions {
            frequency: Some(6),
            run_once: Some(false),
            license: License::Byol,
            role_name: Some("sms".into()),
            description: Some("wave 1".into()),
            amis_to_keep: Some(3),
            encrypted: Some(true),
            kms_key_id: Some("arn:aws:kms:us-east-1:123456789012:alias/sms-amis".into()),
        },
        notes: vec![],
    }
}

fn minimal_create(n: u32) -> CreateJob {
    CreateJob {
        server_id: sid(n),
        seed_time: NOW,
        options: JobOptions {
            frequency: None,
            run_once: Some(true),
            ..JobOptions::every(12)
        },
        notes: vec![],
    }
}

#[tokio::test]
async fn create_passes_every_option_and_omits_the_unset_ones() {
    let full = mock!(Sms::create_replication_job)
        .match_requests(|r| {
            r.server_id() == Some(sid(1).as_str())
                && r.seed_replication_time() == Some(&DateTime::from_secs(NOW + 2 * HOUR))
                && r.frequency() == Some(6)
                && r.run_once() == Some(false)
                && r.license_type() == Some(&LicenseType::Byol)
                && r.role_name() == Some("sms")
                && r.description() == Some("wave 1")
                && r.number_of_recent_amis_to_keep() == Some(3)
                && r.encrypted() == Some(true)
                && r.kms_key_id() == Some("arn:aws:kms:us-east-1:123456789012:alias/sms-amis")
        })
        .then_output(|| {
            CreateReplicationJobOutput::builder()
                .replication_job_id(jid(1))
                .build()
        });
    let minimal = mock!(Sms::create_replication_job)
        .match_requests(|r| {
            r.server_id() == Some(sid(2).as_str())
                && r.seed_replication_time() == Some(&DateTime::from_secs(NOW))
                && r.run_once() == Some(true)
                && r.frequency().is_none()
                && r.license_type().is_none()
                && r.role_name().is_none()
                && r.description().is_none()
                && r.number_of_recent_amis_to_keep().is_none()
                && r.encrypted().is_none()
                && r.kms_key_id().is_none()
        })
        .then_output(|| {
            CreateReplicationJobOutput::builder()
                .replication_job_id(jid(2))
                .build()
        });
    let sms = sms_client(&[&full, &minimal]);
    let outcomes = apply::apply(
        &sms,
        &[
            Action::Create(full_create(1)),
            Action::Create(minimal_create(2)),
        ],
        2,
        false,
    )
    .await;
    assert_eq!(
        (full.num_calls(), minimal.num_calls()),
        (1, 1),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[0].result, OutcomeResult::Done);
    assert_eq!(
        outcomes[0].detail.as_deref(),
        Some(
            "created sms-job-0a1b2c3d4e5f60001: seed 2026-11-20T12:00:00Z, every 6 h, license BYOL, \
             role sms, keep 3 AMIs, encrypted with arn:aws:kms:us-east-1:123456789012:alias/sms-amis"
        )
    );
    assert_eq!(outcomes[1].result, OutcomeResult::Done);
}

#[tokio::test]
async fn create_handles_exists_cannot_replicate_throttling_and_partial_failure() {
    let exists = mock!(Sms::create_replication_job)
        .match_requests(|r| r.server_id() == Some(sid(1).as_str()))
        .then_http_response(|| sms_error(400, "ReplicationJobAlreadyExistsException"));
    let refused = mock!(Sms::create_replication_job)
        .match_requests(|r| r.server_id() == Some(sid(2).as_str()))
        .then_http_response(|| sms_error(400, "ServerCannotBeReplicatedException"));
    let throttled_then_ok = mock!(Sms::create_replication_job)
        .match_requests(|r| r.server_id() == Some(sid(3).as_str()))
        .sequence()
        .http_response(|| sms_error(400, "ThrottlingException"))
        .times(2)
        .output(|| {
            CreateReplicationJobOutput::builder()
                .replication_job_id(jid(3))
                .build()
        })
        .build();
    let broken = mock!(Sms::create_replication_job)
        .match_requests(|r| r.server_id() == Some(sid(4).as_str()))
        .then_http_response(|| sms_error(500, "InternalError"));
    let no_connector = mock!(Sms::create_replication_job)
        .match_requests(|r| r.server_id() == Some(sid(5).as_str()))
        .then_http_response(|| sms_error(400, "NoConnectorsAvailableException"));
    let sms = sms_client(&[
        &exists,
        &refused,
        &throttled_then_ok,
        &broken,
        &no_connector,
    ]);
    let actions: Vec<Action> = (1..=5).map(|n| Action::Create(minimal_create(n))).collect();
    let outcomes = apply::apply(&sms, &actions, 3, false).await;
    let summary: Vec<(String, OutcomeResult, bool)> = outcomes
        .iter()
        .map(|o| (o.target.clone(), o.result, o.retryable))
        .collect();
    assert_eq!(
        summary,
        vec![
            (sid(1), OutcomeResult::Unchanged, false),
            (sid(2), OutcomeResult::Failed, false),
            (sid(3), OutcomeResult::Done, false),
            (sid(4), OutcomeResult::Failed, true),
            (sid(5), OutcomeResult::Failed, false),
        ]
    );
    assert!(outcomes[0].detail.as_deref().is_some_and(
        |d| d.starts_with("a replication job already exists (ReplicationJobAlreadyExistsException")
    ));
    assert_eq!(
        outcomes[1].detail.as_deref(),
        Some("cannot be replicated: ServerCannotBeReplicatedException from test")
    );
    assert_eq!(throttled_then_ok.num_calls(), 3);
    assert_eq!(broken.num_calls(), 3);
    assert_eq!(refused.num_calls(), 1, "client errors are not retried");
}

#[tokio::test]
async fn on_demand_runs_and_reschedules() {
    let started = mock!(Sms::start_on_demand_replication_run)
        .match_requests(|r| {
            r.replication_job_id() == Some(jid(1).as_str())
                && r.description() == Some("sms-replication-jobs: resume after failure")
        })
        .then_output(|| {
            StartOnDemandReplicationRunOutput::builder()
                .replication_run_id("sms-run-0a1b2c3d4e5f60011")
                .build()
        });
    let limit = mock!(Sms::start_on_demand_replication_run)
        .match_requests(|r| r.replication_job_id() == Some(jid(2).as_str()))
        .then_http_response(|| sms_error(400, "ReplicationRunLimitExceededException"));
    let not_permitted = mock!(Sms::start_on_demand_replication_run)
        .match_requests(|r| r.replication_job_id() == Some(jid(3).as_str()))
        .then_http_response(|| sms_error(400, "OperationNotPermittedException"));
    let rescheduled = mock!(Sms::update_replication_job)
        .match_requests(|r| {
            r.replication_job_id() == Some(jid(4).as_str())
                && r.next_replication_run_start_time() == Some(&DateTime::from_secs(NOW + 600))
                && r.frequency().is_none()
                && r.license_type().is_none()
                && r.role_name().is_none()
                && r.encrypted().is_none()
        })
        .then_output(|| UpdateReplicationJobOutput::builder().build());
    let gone = mock!(Sms::update_replication_job)
        .match_requests(|r| r.replication_job_id() == Some(jid(5).as_str()))
        .then_http_response(|| sms_error(400, "ReplicationJobNotFoundException"));
    let sms = sms_client(&[&started, &limit, &not_permitted, &rescheduled, &gone]);
    let run = |n: u32| Action::StartRun {
        job_id: jid(n),
        description: "sms-replication-jobs: resume after failure".into(),
        reason: "resumed after the cool-down".into(),
    };
    let reschedule = |n: u32| Action::Reschedule {
        job_id: jid(n),
        next_start: NOW + 600,
        reason: "resumed after the cool-down".into(),
    };
    let outcomes = apply::apply(
        &sms,
        &[run(1), run(2), run(3), reschedule(4), reschedule(5)],
        2,
        false,
    )
    .await;
    let summary: Vec<(&str, OutcomeResult)> = outcomes
        .iter()
        .map(|o| (o.action.as_str(), o.result))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("StartOnDemandReplicationRun", OutcomeResult::Done),
            ("StartOnDemandReplicationRun", OutcomeResult::Unchanged),
            ("StartOnDemandReplicationRun", OutcomeResult::Failed),
            ("UpdateReplicationJob", OutcomeResult::Done),
            ("UpdateReplicationJob", OutcomeResult::Failed),
        ]
    );
    assert_eq!(
        outcomes[0].detail.as_deref(),
        Some("started sms-run-0a1b2c3d4e5f60011; resumed after the cool-down")
    );
    assert!(outcomes[1].detail.as_deref().is_some_and(
        |d| d.starts_with("on-demand run limit reached (ReplicationRunLimitExceededException")
    ));
    assert_eq!(
        outcomes[3].detail.as_deref(),
        Some("next run at 2026-11-20T10:10:00Z; resumed after the cool-down")
    );
    assert!(outcomes[4]
        .detail
        .as_deref()
        .is_some_and(|d| d.starts_with("the job is gone: ReplicationJobNotFoundException")));
    assert_eq!(limit.num_calls(), 1, "the limit is not retried");
}

#[tokio::test]
async fn an_on_demand_run_is_requested_once_even_when_throttled() {
    // No idempotency token: a retried request could start a second run.
    let throttled = mock!(Sms::start_on_demand_replication_run)
        .then_http_response(|| sms_error(400, "ThrottlingException"));
    let sms = sms_client(&[&throttled]);
    let outcomes = apply::apply(
        &sms,
        &[Action::StartRun {
            job_id: jid(1),
            description: "sms-replication-jobs: on-demand run".into(),
            reason: "requested".into(),
        }],
        1,
        false,
    )
    .await;
    assert_eq!(throttled.num_calls(), 1, "the SDK did not retry it");
    assert_eq!(outcomes[0].result, OutcomeResult::Failed);
    assert!(outcomes[0].retryable, "{:?}", outcomes[0]);
}

#[tokio::test]
async fn dry_run_calls_nothing() {
    let create = mock!(Sms::create_replication_job)
        .then_output(|| CreateReplicationJobOutput::builder().build());
    let start = mock!(Sms::start_on_demand_replication_run)
        .then_output(|| StartOnDemandReplicationRunOutput::builder().build());
    let update = mock!(Sms::update_replication_job)
        .then_output(|| UpdateReplicationJobOutput::builder().build());
    let sms = sms_client(&[&create, &start, &update]);
    let actions = vec![
        Action::Create(minimal_create(1)),
        Action::StartRun {
            job_id: jid(2),
            description: "d".into(),
            reason: "r".into(),
        },
        Action::Reschedule {
            job_id: jid(3),
            next_start: NOW,
            reason: "r".into(),
        },
    ];
    let outcomes = apply::apply(&sms, &actions, 2, true).await;
    assert!(outcomes.iter().all(|o| o.result == OutcomeResult::Planned));
    assert_eq!(
        outcomes[0].detail.as_deref(),
        Some("seed 2026-11-20T10:00:00Z, one-time, license auto")
    );
    assert_eq!(
        create.num_calls() + start.num_calls() + update.num_calls(),
        0
    );
}

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

fn app(sms: Sms, sns: aws_sdk_sns::Client, jobs: Vec<JobSpec>) -> App {
    App {
        sms,
        publisher: ReportPublisher::new(sns, dr_core::arn::Arn::parse(REPORT_TOPIC).ok()),
        config: SmsConfig {
            home_account: None,
            jobs,
            max_concurrency: 2,
            report_topic_arn: Some(REPORT_TOPIC.into()),
            trigger_topic_arns: vec![],
            dry_run: false,
        },
    }
}

fn publish_rule() -> Rule {
    mock!(aws_sdk_sns::Client::publish)
        .match_requests(|r| {
            r.topic_arn() == Some(REPORT_TOPIC)
                && r.subject().is_some_and(|s| s.len() < 100)
                && r.message_attributes()
                    .is_some_and(|a| a.contains_key("status"))
        })
        .then_output(|| PublishOutput::builder().message_id("msg-1").build())
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

fn paused_runs() -> Rule {
    mock!(Sms::get_replication_runs)
        .match_requests(|r| r.replication_job_id() == Some(jid(2).as_str()))
        .then_output(|| {
            runs_page(
                vec![
                    sdk_run(
                        "sms-run-2b",
                        ReplicationRunState::Failed,
                        ReplicationRunType::Automatic,
                        4,
                    ),
                    sdk_run(
                        "sms-run-2a",
                        ReplicationRunState::Completed,
                        ReplicationRunType::Automatic,
                        16,
                    ),
                ],
                None,
            )
        })
}

#[tokio::test]
async fn handler_reconciles_on_schedule_and_publishes_the_report() {
    let (servers, jobs) = fleet();
    let runs2 = paused_runs();
    let runs3 = mock!(Sms::get_replication_runs)
        .match_requests(|r| r.replication_job_id() == Some(jid(3).as_str()))
        .then_output(|| {
            runs_page(
                vec![sdk_run(
                    "sms-run-3a",
                    ReplicationRunState::Failed,
                    ReplicationRunType::Automatic,
                    2,
                )],
                None,
            )
        });
    let create = mock!(Sms::create_replication_job)
        .match_requests(|r| r.server_id() == Some(sid(4).as_str()))
        .then_output(|| {
            CreateReplicationJobOutput::builder()
                .replication_job_id(jid(4))
                .build()
        });
    let start = mock!(Sms::start_on_demand_replication_run)
        .match_requests(|r| r.replication_job_id() == Some(jid(2).as_str()))
        .then_output(|| {
            StartOnDemandReplicationRunOutput::builder()
                .replication_run_id("sms-run-2c")
                .build()
        });
    let publish = publish_rule();
    let app = app(
        sms_client(&[&servers, &jobs, &runs2, &runs3, &create, &start]),
        mock_client!(aws_sdk_sns, [&publish]),
        (1..=4).map(spec).collect(),
    );
    let report = handle_at(&app, &json!({"schedule": "hourly"}), NOW)
        .await
        .expect("report");
    let summary: Vec<(String, String, OutcomeResult)> = report
        .outcomes
        .iter()
        .map(|o| (o.target.clone(), o.action.clone(), o.result))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                sid(1),
                "CreateReplicationJob".into(),
                OutcomeResult::Unchanged
            ),
            (jid(3), "Notify".into(), OutcomeResult::Failed),
            (
                jid(2),
                "StartOnDemandReplicationRun".into(),
                OutcomeResult::Done
            ),
            (sid(4), "CreateReplicationJob".into(), OutcomeResult::Done),
        ]
    );
    assert!(report.outcomes[1].detail.as_deref().is_some_and(|d| d.contains(
        "latest failed run sms-run-3a at 2026-11-20T09:00:00Z in stage UPLOADING: Failed to upload the disk"
    )));
    assert_eq!(report.status, RunStatus::PartiallyFailed);
    assert_eq!(report.trigger, "schedule hourly");
    assert_eq!((create.num_calls(), start.num_calls()), (1, 1));
    assert_eq!((runs2.num_calls(), runs3.num_calls()), (1, 1));
    assert_eq!(publish.num_calls(), 1);
}

#[tokio::test]
async fn handler_fails_the_invocation_when_runs_cannot_be_read() {
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
    let app = app(
        sms_client(&[&servers, &jobs, &runs, &create, &start]),
        mock_client!(aws_sdk_sns, [&publish]),
        (1..=4).map(spec).collect(),
    );
    let err = handle_at(&app, &json!({}), NOW)
        .await
        .expect_err("a retryable read failure fails the invocation");
    assert_eq!(Diagnostic::from(err).error_type, "RetryableFailures");
    assert_eq!(
        publish.num_calls(),
        1,
        "the report is published before failing"
    );
    assert_eq!(start.num_calls(), 0, "nothing is resumed without its runs");
    assert_eq!(create.num_calls(), 1, "the other servers are still handled");
}

#[tokio::test]
async fn handler_direct_dry_run_plans_without_calling() {
    let (servers, jobs) = fleet();
    let runs1 = mock!(Sms::get_replication_runs)
        .match_requests(|r| r.replication_job_id() == Some(jid(1).as_str()))
        .then_output(|| {
            runs_page(
                vec![sdk_run(
                    "sms-run-1a",
                    ReplicationRunState::Completed,
                    ReplicationRunType::OnDemand,
                    5,
                )],
                None,
            )
        });
    let runs2 = paused_runs();
    let runs3 = mock!(Sms::get_replication_runs)
        .match_requests(|r| r.replication_job_id() == Some(jid(3).as_str()))
        .then_output(|| runs_page(vec![], None));
    let start = mock!(Sms::start_on_demand_replication_run)
        .then_output(|| StartOnDemandReplicationRunOutput::builder().build());
    let publish = publish_rule();
    let app = app(
        sms_client(&[&servers, &jobs, &runs1, &runs2, &runs3, &start]),
        mock_client!(aws_sdk_sns, [&publish]),
        (1..=4).map(spec).collect(),
    );
    let report = handle_at(
        &app,
        &json!({"targets": [jid(1), jid(3)], "dryRun": true}),
        NOW,
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
async fn handler_rejects_bad_events_without_calling_aws() {
    let (servers, jobs) = fleet();
    let publish = publish_rule();
    let app = app(
        sms_client(&[&servers, &jobs]),
        mock_client!(aws_sdk_sns, [&publish]),
        vec![spec(1)],
    );
    for bad in [
        json!("x"),
        json!({"targets": 5}),
        json!({"source": "aws.ec2", "detail-type": "x", "detail": {}}),
    ] {
        let err = handle_at(&app, &bad, NOW).await.expect_err("rejected");
        assert_eq!(Diagnostic::from(err).error_type, "BadEvent");
    }
    assert_eq!(servers.num_calls() + jobs.num_calls(), 0);
    assert_eq!(publish.num_calls(), 0);
}

#[tokio::test]
async fn handler_reports_an_observe_failure() {
    let servers = mock!(Sms::get_servers)
        .then_http_response(|| sms_error(400, "UnauthorizedOperationException"));
    let jobs = mock!(Sms::get_replication_jobs).then_output(|| jobs_page(vec![], None));
    let create = mock!(Sms::create_replication_job)
        .then_output(|| CreateReplicationJobOutput::builder().build());
    let publish = publish_rule();
    let app = app(
        sms_client(&[&servers, &jobs, &create]),
        mock_client!(aws_sdk_sns, [&publish]),
        vec![spec(1)],
    );
    let report = handle_at(&app, &json!({}), NOW)
        .await
        .expect("fatal observe failures are reported");
    assert_eq!(report.status, RunStatus::Failed);
    assert!(report.error.as_ref().is_some_and(|e| e
        .message
        .starts_with("GetServers failed: UnauthorizedOperationException")));
    assert_eq!(create.num_calls(), 0);
    assert_eq!(publish.num_calls(), 1);
}
