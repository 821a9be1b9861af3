//! Fixtures the crate's tests share: servers, jobs and instances in the model and as DRS
//! answers them, and the mocked client.

use crate::config::{DrillPolicy, RecoveryConfig, RecoveryPolicy, SnapshotChoice, DRS_QUOTAS};
use crate::model::{
    InitiatedBy, Job, JobStatus, LaunchStatus, Participant, RecoveryInstance, ReplicationState,
    SourceServer, TAG_FUNCTION, TAG_MODE,
};
use aws_sdk_drs::Client as Drs;
use aws_smithy_mocks::{mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use dr_core::drs::{AlarmMapping, Selection, ServerChoice, TagFilter};
use dr_core::ids::SourceServerId;
use dr_testkit::{error_response, quick_retries, Protocol};

/// The time tests run at: 2025-12-01T11:00:00Z.
pub const NOW: i64 = 1_764_586_800;

/// The configuration of the tests: servers tagged `Env=prod`, drills on demand with an 8 h time
/// to live and a 15 min lag bound, no real recovery, an RTO of 1 h and an RPO of 15 min.
pub fn config() -> RecoveryConfig {
    RecoveryConfig {
        settings: dr_core::settings::Settings::default(),
        choice: ServerChoice {
            selection: Selection {
                tags: TagFilter(vec![("Env".into(), vec!["prod".into()])]),
                ..Selection::default()
            },
            alarm_mapping: AlarmMapping::default(),
        },
        drill: DrillPolicy {
            snapshot: SnapshotChoice::OnDemand,
            ttl: 8 * 3_600,
            max_lag: 15 * 60,
            every: None,
            plan: None,
        },
        recovery: RecoveryPolicy {
            enabled: false,
            max_servers: 0,
            snapshot: SnapshotChoice::OnDemand,
            max_lag: 3_600,
        },
        launch_guard: 3_600,
        follow_up: 86_400,
        rto: Some(3_600),
        rpo: Some(900),
        quotas: DRS_QUOTAS,
    }
}

/// The id of test server `n`.
pub fn id(n: u32) -> String {
    format!("s-{n:017}")
}

/// The id of test server `n`, parsed.
pub fn sid(n: u32) -> SourceServerId {
    SourceServerId::parse(&id(n)).expect("test ids are valid")
}

/// Server `n` tagged `Env=prod`, with host and instance hints, in `state` and not lagging.
pub fn server(n: u32, state: ReplicationState) -> SourceServer {
    SourceServer {
        id: sid(n),
        hostname: Some(format!("host-{n}")),
        fqdn: None,
        instance_id: Some(format!("i-{n:017x}")),
        tags: vec![("Env".to_owned(), "prod".to_owned())],
        staging_account: None,
        state,
        lag: None,
        replication_error: None,
        last_drill: None,
        last_drill_launched: false,
    }
}

/// The tags this function puts on a job of `mode` ("drill" or "recovery").
pub fn own_tags(mode: &str) -> Vec<(String, String)> {
    vec![
        (TAG_FUNCTION.to_owned(), crate::FUNCTION.to_owned()),
        (TAG_MODE.to_owned(), mode.to_owned()),
    ]
}

/// Launch job `name` of this function, created at `created`, over `servers` with their
/// launch statuses.
pub fn own_job(
    name: &str,
    drill: bool,
    status: JobStatus,
    created: i64,
    servers: &[(u32, LaunchStatus)],
) -> Job {
    Job {
        id: name.to_owned(),
        arn: Some(format!("arn:aws:drs:us-east-1:123456789012:job/{name}")),
        initiated_by: if drill {
            InitiatedBy::StartDrill
        } else {
            InitiatedBy::StartRecovery
        },
        status,
        created: Some(created),
        ended: None,
        tags: own_tags(if drill { "drill" } else { "recovery" }),
        participants: servers
            .iter()
            .map(|(n, status)| Participant {
                source_server_id: sid(*n),
                recovery_instance_id: (*status == LaunchStatus::Launched).then(|| instance_id(*n)),
                status: status.clone(),
            })
            .collect(),
        execution: None,
    }
}

/// The recovery instance id of server `n`'s launch.
pub fn instance_id(n: u32) -> String {
    format!("i-{n:017x}")
}

/// Server `n`'s recovery instance from job `job`, a drill or not, untagged, running.
pub fn instance(n: u32, job: &str, drill: Option<bool>) -> RecoveryInstance {
    RecoveryInstance {
        id: instance_id(n),
        arn: Some(format!(
            "arn:aws:drs:us-east-1:123456789012:recovery-instance/{}",
            instance_id(n)
        )),
        source_server_id: Some(sid(n)),
        job_id: Some(job.to_owned()),
        drill,
        point_in_time: None,
        ec2_state: Some("RUNNING".to_owned()),
        tags: Vec::new(),
    }
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
