//! Fixtures the crate's test modules share: the configuration, ARNs, model values and mocked
//! clients.

use crate::config::{CoverageConfig, DrsCoverage};
use crate::model::{
    CopyJob, CopyJobState, DrsReplicationState, DrsServer, LastLaunch, LaunchJob, LaunchStatus,
    MgnLifeCycle, MgnReplicationState, MgnServer, RecoveryPoint, RecoveryPointStatus,
};
use crate::observe::Clients;
use aws_smithy_mocks::{mock_client, Rule, RuleMode};
use dr_core::backup::{CopyFanout, Destination};
use dr_core::drs::{Selection, ServerChoice, TagFilter};
use dr_core::ids::SourceServerId;
use dr_testkit::arn;

/// The source vault.
pub const SOURCE_VAULT: &str = "dr-primary";
/// Its ARN.
pub const PRIMARY: &str = "arn:aws:backup:us-east-1:123456789012:backup-vault:dr-primary";
/// A destination in another region of the same account.
pub const WEST: &str = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west";
/// A destination in another account and region.
pub const ISOLATED: &str = "arn:aws:backup:us-east-2:210987654321:backup-vault:dr-copy-isolated";
/// The tests' clock: 2026-11-20T10:00:00Z.
pub const NOW: i64 = 1_795_168_800;
/// A day.
pub const DAY: i64 = 86_400;

/// Recovery point `n` of the source vault.
pub fn rp(n: u32) -> String {
    format!("arn:aws:backup:us-east-1:123456789012:recovery-point:rp-{n:04}")
}

/// The configuration: [`SOURCE_VAULT`] copied to [`WEST`] and [`ISOLATED`], a 7-day window and
/// an hour's grace; DRS servers tagged `Env=prod`, 15 minutes of lag, a drill every 7 days;
/// MGN read.
pub fn config() -> CoverageConfig {
    CoverageConfig {
        settings: dr_testkit::settings(),
        window_days: 7,
        copy_grace: 3_600,
        backup: Some(CopyFanout {
            source_vaults: vec![SOURCE_VAULT.into()],
            destinations: [WEST, ISOLATED]
                .map(|vault| Destination {
                    vault_arn: arn(vault),
                    lifecycle: None,
                })
                .to_vec(),
            resource_types: vec![],
        }),
        drs: Some(DrsCoverage {
            choice: ServerChoice {
                selection: Selection {
                    tags: TagFilter(vec![("Env".into(), vec!["prod".into()])]),
                    ..Selection::default()
                },
                ..ServerChoice::default()
            },
            max_lag: 15 * 60,
            drill_every: Some(7 * DAY),
        }),
        mgn: true,
    }
}

/// Completed EBS recovery point `n` in the model, created `age` seconds before [`NOW`].
pub fn point(n: u32, age: i64) -> RecoveryPoint {
    RecoveryPoint {
        arn: rp(n),
        vault_name: SOURCE_VAULT.into(),
        vault_arn: Some(PRIMARY.into()),
        resource_type: Some("EBS".into()),
        status: RecoveryPointStatus::Completed,
        created: Some(NOW - age),
        parent_arn: None,
    }
}

/// Copy job `id` of recovery point `n` to `dest` in the model, created `age` seconds before
/// [`NOW`]; a completed one ended a minute later with a copy, a failed one says why.
pub fn job(id: &str, n: u32, dest: &str, state: CopyJobState, age: i64) -> CopyJob {
    let completed = matches!(state, CopyJobState::Completed | CopyJobState::Failed);
    CopyJob {
        id: id.into(),
        source_recovery_point_arn: Some(rp(n)),
        source_vault_arn: Some(PRIMARY.into()),
        destination_vault_arn: Some(dest.into()),
        destination_recovery_point_arn: (state == CopyJobState::Completed)
            .then(|| format!("{dest}/copy-of-{n}")),
        status_message: (state == CopyJobState::Failed).then(|| format!("{id} failed")),
        state,
        created: Some(NOW - age),
        completed: completed.then_some(NOW - age + 60),
    }
}

/// A source server id of `n`.
pub fn sid(n: u32) -> SourceServerId {
    SourceServerId::parse(&format!("s-{n:017}")).unwrap_or_else(|e| panic!("{e}"))
}

/// DRS server `n`, tagged `Env=prod`, replicating continuously with a minute of lag, never
/// launched.
pub fn drs_server(n: u32) -> DrsServer {
    DrsServer {
        id: sid(n),
        hostname: Some(format!("app-{n}")),
        fqdn: None,
        instance_id: None,
        tags: vec![("Env".into(), "prod".into())],
        staging_account: None,
        state: DrsReplicationState::Continuous,
        lag: Some(60),
        replication_error: None,
        last_launch: None,
    }
}

/// A last launch of a drill that launched `age` seconds before [`NOW`].
pub fn drilled(age: i64) -> LastLaunch {
    LastLaunch {
        drill: true,
        initiated: Some(NOW - age),
        job_id: Some("drsjob-lastlaunch0001".into()),
        status: LaunchStatus::Launched,
    }
}

/// A completed drill job `id` that launched `servers` and ended `age` seconds before [`NOW`].
pub fn drill_job(id: &str, servers: &[u32], status: LaunchStatus, age: i64) -> LaunchJob {
    LaunchJob {
        id: id.into(),
        initiated_by: crate::model::InitiatedBy::StartDrill,
        status: crate::model::JobStatus::Completed,
        created: Some(NOW - age - 600),
        ended: Some(NOW - age),
        servers: servers.iter().map(|n| (sid(*n), status.clone())).collect(),
    }
}

/// MGN server `n` in `lifecycle` and `replication`.
pub fn mgn_server(n: u32, lifecycle: MgnLifeCycle, replication: MgnReplicationState) -> MgnServer {
    MgnServer {
        id: format!("s-{n:017}"),
        hostname: Some(format!("mgn-{n}")),
        replication,
        lifecycle,
        replication_error: None,
    }
}

/// Clients answering `backup`, `drs` and `mgn` rules, the first that matches; retries do not
/// wait.
pub fn clients(backup: &[&Rule], drs: &[&Rule], mgn: &[&Rule]) -> Clients {
    Clients {
        backup: mock_client!(aws_sdk_backup, RuleMode::MatchAny, backup, |c| c
            .retry_config(dr_testkit::quick_retries())),
        drs: mock_client!(aws_sdk_drs, RuleMode::MatchAny, drs, |c| c
            .retry_config(dr_testkit::quick_retries())),
        mgn: mock_client!(aws_sdk_mgn, RuleMode::MatchAny, mgn, |c| c
            .retry_config(dr_testkit::quick_retries())),
    }
}
