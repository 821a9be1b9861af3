//! Fixtures the crate's tests share: domain servers and configurations for the plan, MGN answers
//! and the mocked client for the adapters and the handler.

use crate::config::{
    MgnConfig, ServerPolicy, ServerRef, ServerSpec, StallPolicy, StartPolicy, TestPolicy,
};
use crate::model::{
    Facts, Job, JobServer, JobStatus, LastTest, LaunchStatus, LaunchedInstance, LifeCycle,
    ReplicationError, ReplicationSettings, ReplicationState, SourceServer, TAG_FUNCTION,
};
use aws_sdk_mgn::operation::describe_source_servers::DescribeSourceServersOutput;
use aws_sdk_mgn::types::{
    DataReplicationInfo, DataReplicationState, IdentificationHints, LifeCycle as SdkLifeCycle,
    LifeCycleState, SourceProperties, SourceServer as SdkSourceServer,
};
use aws_sdk_mgn::Client as Mgn;
use aws_smithy_mocks::{mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use dr_core::ids::SourceServerId;
use dr_testkit::{error_response, quick_retries, settings, Protocol};

/// The plan's now in tests: 2025-12-01T11:00:00Z.
pub const NOW: i64 = 1_764_586_800;

/// The id of test server `n`.
pub fn id(n: u32) -> String {
    format!("s-{n:017}")
}

/// The id of test server `n`, parsed.
pub fn sid(n: u32) -> SourceServerId {
    SourceServerId::parse(&id(n)).expect("test ids are valid")
}

/// The ARN of test server `n`.
pub fn arn(n: u32) -> String {
    format!("arn:aws:mgn:us-east-1:123456789012:source-server/{}", id(n))
}

/// Server `n`, host `host-n`, in `lifecycle` and `replication`, untagged and launchable.
pub fn server(n: u32, lifecycle: LifeCycle, replication: ReplicationState) -> SourceServer {
    SourceServer {
        id: sid(n),
        arn: Some(arn(n)),
        hostname: Some(format!("host-{n}")),
        fqdn: Some(format!("host-{n}.corp.example.com")),
        tags: Vec::new(),
        archived: false,
        replication,
        lifecycle,
        launchable: true,
        replicated_before: false,
        error: None,
        last_test: LastTest::default(),
        launched: LaunchedInstance::default(),
    }
}

/// Server `n` replicating continuously and ready for test.
pub fn healthy(n: u32) -> SourceServer {
    server(n, LifeCycle::ReadyForTest, ReplicationState::Continuous)
}

/// Server `n` stalled with `AGENT_NOT_SEEN`, carrying `tags`.
pub fn stalled(n: u32, tags: &[(&str, &str)]) -> SourceServer {
    let mut s = server(n, LifeCycle::ReadyForTest, ReplicationState::Stalled);
    s.error = Some(ReplicationError {
        error: Some("AGENT_NOT_SEEN".into()),
        raw: Some("agent not seen for 1h".into()),
        failed_step: None,
    });
    s.tags = tags
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    s.tags.sort();
    s
}

/// Server `n` TESTING, launched by job `job` at `launched_at` onto instance `i-n`.
pub fn testing(n: u32, job: &str, launched_at: i64) -> SourceServer {
    let mut s = server(n, LifeCycle::Testing, ReplicationState::Continuous);
    s.last_test = LastTest {
        initiated_at: Some(launched_at),
        job_id: Some(job.into()),
        reverted_at: None,
    };
    s.launched = LaunchedInstance {
        instance_id: Some(format!("i-{n:017x}")),
        job_id: Some(job.into()),
    };
    s
}

/// A test job `id` of these servers in `status`, each `launch`ed; `own` when this function
/// started it.
pub fn job(id: &str, servers: &[u32], status: JobStatus, launch: LaunchStatus, own: bool) -> Job {
    Job {
        id: id.into(),
        status,
        tags: if own {
            vec![(TAG_FUNCTION.into(), crate::FUNCTION.into())]
        } else {
            Vec::new()
        },
        servers: servers
            .iter()
            .map(|n| JobServer {
                id: self::id(*n),
                launch_status: launch.clone(),
                instance_id: Some(format!("i-{n:017x}")),
            })
            .collect(),
    }
}

/// The default policy: start servers that never replicated, nothing enforced, retry stalls
/// hourly three times, no tests.
pub fn policy() -> ServerPolicy {
    ServerPolicy {
        start: StartPolicy::New,
        replication: ReplicationSettings::new(),
        on_stall: StallPolicy::default(),
        resume_paused: false,
        test: TestPolicy::default(),
    }
}

/// A configuration naming every server tagged `wave=1` with `policy`.
pub fn config(policy: ServerPolicy) -> MgnConfig {
    MgnConfig {
        settings: settings(),
        servers: vec![ServerSpec {
            name: ServerRef::Tags(vec![("wave".into(), "1".into())]),
            policy,
        }],
        max_active: 150,
    }
}

/// Facts of these servers, each tagged `wave=1`, at [`NOW`].
pub fn facts(servers: Vec<SourceServer>) -> Facts {
    Facts {
        servers: servers
            .into_iter()
            .map(|mut s| {
                s.tags.push(("wave".into(), "1".into()));
                s.tags.sort();
                s
            })
            .collect(),
        configurations: Default::default(),
        jobs: Default::default(),
        now: NOW,
    }
}

/// Server `n` as MGN lists it: `host-n`, tagged `wave=1`, in `life` and `state`.
pub fn sdk_server(n: u32, life: LifeCycleState, state: DataReplicationState) -> SdkSourceServer {
    SdkSourceServer::builder()
        .source_server_id(id(n))
        .arn(arn(n))
        .is_archived(false)
        .tags("wave", "1")
        .data_replication_info(
            DataReplicationInfo::builder()
                .data_replication_state(state)
                .lag_duration("PT1M")
                .build(),
        )
        .life_cycle(SdkLifeCycle::builder().state(life).build())
        .source_properties(
            SourceProperties::builder()
                .identification_hints(
                    IdentificationHints::builder()
                        .hostname(format!("host-{n}"))
                        .build(),
                )
                .build(),
        )
        .build()
}

/// One page of `DescribeSourceServers`.
pub fn page(servers: Vec<SdkSourceServer>, next: Option<&str>) -> DescribeSourceServersOutput {
    DescribeSourceServersOutput::builder()
        .set_items(Some(servers))
        .set_next_token(next.map(str::to_owned))
        .build()
}

/// A restJson1 error response exactly as MGN sends it.
pub fn mgn_error(status: u16, error_type: &str) -> HttpResponse {
    error_response(Protocol::RestJson, status, error_type)
}

/// An MGN client answering `rules`, retrying as the SDK does but without waiting.
pub fn mgn_client(rules: &[&Rule]) -> Mgn {
    mock_client!(aws_sdk_mgn, RuleMode::MatchAny, rules, |c| c
        .retry_config(quick_retries()))
}
