//! Fixtures the crate's tests share: the clock, ids, job options, SMS answers and the mocked
//! SMS client.

use crate::model::{CreateJob, JobOptions, License};
use aws_sdk_sms::config::Region;
use aws_sdk_sms::operation::get_replication_jobs::GetReplicationJobsOutput;
use aws_sdk_sms::operation::get_replication_runs::GetReplicationRunsOutput;
use aws_sdk_sms::operation::get_servers::GetServersOutput;
use aws_sdk_sms::types::builders::ReplicationJobBuilder;
use aws_sdk_sms::types::{
    ReplicationJob, ReplicationJobState, ReplicationRun, ReplicationRunStageDetails,
    ReplicationRunState, ReplicationRunType, Server, ServerCatalogStatus, ServerType, VmServer,
    VmServerAddress,
};
use aws_sdk_sms::Client as Sms;
use aws_smithy_mocks::{create_mock_http_client, MockResponseInterceptor, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::DateTime;
use dr_testkit::{error_response, quick_retries, Protocol};

/// 2026-11-20T10:00:00Z
pub const NOW: i64 = 1_795_168_800;
/// An hour, in seconds.
pub const HOUR: i64 = 3600;

/// A KMS key named by its alias ARN.
pub const KMS_ALIAS: &str = "arn:aws:kms:us-east-1:123456789012:alias/sms-amis";

impl JobOptions {
    /// A job every `hours` hours with every other option left to SMS: what tests build on.
    pub(crate) fn every(hours: i32) -> Self {
        Self {
            frequency: Some(hours),
            run_once: None,
            license: License::Auto,
            role_name: None,
            description: None,
            amis_to_keep: None,
            encrypted: None,
            kms_key_id: None,
        }
    }
}

/// Every option set: every 6 hours, BYOL, role `sms`, `wave 1`, 3 AMIs kept, encrypted with
/// [`KMS_ALIAS`].
pub fn every_option() -> JobOptions {
    JobOptions {
        frequency: Some(6),
        run_once: Some(false),
        license: License::Byol,
        role_name: Some("sms".into()),
        description: Some("wave 1".into()),
        amis_to_keep: Some(3),
        encrypted: Some(true),
        kms_key_id: Some(KMS_ALIAS.into()),
    }
}

/// A one-time job for server `n`, seeded [`NOW`], every other option left to SMS.
pub fn one_time_create(n: u32) -> CreateJob {
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

/// The id of test server `n`.
pub fn sid(n: u32) -> String {
    format!("s-0a1b2c3d4e5f6{n:04}")
}

/// The id of the job of test server `n`.
pub fn jid(n: u32) -> String {
    format!("sms-job-0a1b2c3d4e5f6{n:04}")
}

/// Server `n` as `GetServers` lists it: VM `web-<n>` in datacenter DC1.
pub fn sdk_server(n: u32) -> Server {
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

/// One page of an AVAILABLE catalog.
pub fn servers_page(servers: Vec<Server>, next: Option<&str>) -> GetServersOutput {
    GetServersOutput::builder()
        .server_catalog_status(ServerCatalogStatus::Available)
        .set_server_list(Some(servers))
        .set_next_token(next.map(str::to_owned))
        .build()
}

/// The job of server `n`, every 12 hours, seeded 30 days ago, in `state`.
pub fn sdk_job(n: u32, state: ReplicationJobState) -> ReplicationJob {
    sdk_job_with(n, state).build()
}

/// [`sdk_job`], to set more of it.
pub fn sdk_job_with(n: u32, state: ReplicationJobState) -> ReplicationJobBuilder {
    ReplicationJob::builder()
        .replication_job_id(jid(n))
        .server_id(sid(n))
        .state(state)
        .frequency(12)
        .seed_replication_time(DateTime::from_secs(NOW - 30 * 86_400))
}

/// One page of `GetReplicationJobs`.
pub fn jobs_page(jobs: Vec<ReplicationJob>, next: Option<&str>) -> GetReplicationJobsOutput {
    GetReplicationJobsOutput::builder()
        .set_replication_job_list(Some(jobs))
        .set_next_token(next.map(str::to_owned))
        .build()
}

/// A run scheduled `hours_ago` hours before [`NOW`]; a failed one failed an hour later, uploading.
pub fn sdk_run(
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

/// One page of `GetReplicationRuns`.
pub fn runs_page(runs: Vec<ReplicationRun>, next: Option<&str>) -> GetReplicationRunsOutput {
    GetReplicationRunsOutput::builder()
        .set_replication_run_list(Some(runs))
        .set_next_token(next.map(str::to_owned))
        .build()
}

/// An SMS error response with HTTP `status` and code `error_type`.
pub fn sms_error(status: u16, error_type: &str) -> HttpResponse {
    error_response(Protocol::AwsJson11, status, error_type)
}

/// The client `mock_client!` would build: aws-sdk-sms is no longer released and predates the
/// `with_test_defaults_v2` that macro calls, so the same client is assembled here.
pub fn sms_client(rules: &[&Rule]) -> Sms {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    let config = aws_sdk_sms::Config::builder()
        .with_test_defaults()
        .region(Region::new("us-east-1"))
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .retry_config(quick_retries())
        .build();
    Sms::from_conf(config)
}
