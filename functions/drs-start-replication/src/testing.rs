//! Fixtures the crate's adapter and handler tests share: DRS answers and the mocked client.

use aws_sdk_drs::operation::describe_source_servers::DescribeSourceServersOutput;
use aws_sdk_drs::operation::start_replication::StartReplicationOutput;
use aws_sdk_drs::types::{
    DataReplicationInfo, DataReplicationState, IdentificationHints, SourceProperties, SourceServer,
    StagingArea,
};
use aws_sdk_drs::Client as Drs;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use dr_core::ids::SourceServerId;
use dr_testkit::{error_response, quick_retries, Protocol};

/// The id of test server `n`.
pub fn id(n: u32) -> String {
    format!("s-{n:017}")
}

/// The id of test server `n`, parsed.
pub fn sid(n: u32) -> SourceServerId {
    SourceServerId::parse(&id(n)).expect("test ids are valid")
}

/// Server `n` as DRS lists it: tagged `Env=prod`, with host and instance hints, in `state`.
pub fn sdk_server(n: u32, state: DataReplicationState) -> SourceServer {
    SourceServer::builder()
        .source_server_id(id(n))
        .arn(format!(
            "arn:aws:drs:us-east-1:123456789012:source-server/{}",
            id(n)
        ))
        .tags("Env", "prod")
        .data_replication_info(
            DataReplicationInfo::builder()
                .data_replication_state(state)
                .build(),
        )
        .source_properties(
            SourceProperties::builder()
                .identification_hints(
                    IdentificationHints::builder()
                        .hostname(format!("host-{n}"))
                        .aws_instance_id(format!("i-{n:017x}"))
                        .build(),
                )
                .build(),
        )
        .staging_area(
            StagingArea::builder()
                .staging_account_id("111111111111")
                .build(),
        )
        .build()
}

/// One page of `DescribeSourceServers`.
pub fn page(servers: Vec<SourceServer>, next: Option<&str>) -> DescribeSourceServersOutput {
    DescribeSourceServersOutput::builder()
        .set_items(Some(servers))
        .set_next_token(next.map(str::to_owned))
        .build()
}

/// A page holding server `n` alone, in `state`.
pub fn page_of(n: u32, state: DataReplicationState) -> DescribeSourceServersOutput {
    page(vec![sdk_server(n, state)], None)
}

/// A DescribeSourceServers rule answering only the read of server `n` by id.
pub fn describe_one(
    n: u32,
    answer: impl Fn() -> DescribeSourceServersOutput + Send + Sync + 'static,
) -> Rule {
    mock!(Drs::describe_source_servers)
        .match_requests(move |r| {
            r.filters().map(|f| f.source_server_ids()) == Some([id(n)].as_slice())
        })
        .then_output(answer)
}

/// The answer to starting server `n`: it is INITIATING.
pub fn started(n: u32) -> StartReplicationOutput {
    StartReplicationOutput::builder()
        .source_server(sdk_server(n, DataReplicationState::Initiating))
        .build()
}

/// A restJson1 error response exactly as DRS sends it.
pub fn drs_error(status: u16, error_type: &str) -> HttpResponse {
    error_response(Protocol::RestJson, status, error_type)
}

/// A DRS client answering `rules`, retrying as the SDK does but without waiting.
pub fn drs_client(rules: &[&Rule]) -> Drs {
    mock_client!(aws_sdk_drs, RuleMode::MatchAny, rules, |c| c
        .retry_config(quick_retries()))
}
