//! Observe: read every source server, the replication settings of the servers whose settings are
//! enforced, and the test jobs of the servers whose tests the function looks after.

use crate::ask::Ask;
use crate::config::MgnConfig;
use crate::model::{
    Facts, Job, JobServer, JobStatus, LastTest, LaunchStatus, LaunchedInstance, LifeCycle,
    ReplicationError, ReplicationSettings, ReplicationState, Setting, SettingValue, SourceServer,
};
use aws_sdk_mgn::operation::get_replication_configuration::GetReplicationConfigurationOutput;
use aws_sdk_mgn::types::{
    DataReplicationInitiationStepStatus, DescribeJobsRequestFilters,
    DescribeSourceServersRequestFilters, Job as SdkJob, SourceServer as SdkSourceServer,
};
use dr_core::error::CallFailure;
use dr_core::fanout::run_bounded;
use dr_core::ids::SourceServerId;
use dr_core::observe::{every_page, ObserveError};
use std::collections::{BTreeMap, HashMap};

/// Largest page `DescribeSourceServers` and `DescribeJobs` return.
const PAGE_SIZE: i32 = 1000;
/// Most job ids one `DescribeJobs` filter takes [MGN API reference: DescribeJobsRequestFilters].
const JOB_IDS_PER_CALL: usize = 1000;

/// The read that lists source servers.
pub const DESCRIBE_SOURCE_SERVERS: &str = "DescribeSourceServers";
/// The read of test jobs.
pub const DESCRIBE_JOBS: &str = "DescribeJobs";

/// Reads what planning needs for `ask`: every non-archived server (the active-server quota
/// counts them all), then, for the servers the trigger concerns, their settings and test jobs.
pub async fn facts(
    mgn: &aws_sdk_mgn::Client,
    config: &MgnConfig,
    ask: &Ask,
    now: i64,
) -> Result<Facts, ObserveError> {
    let pages = mgn
        .describe_source_servers()
        .filters(
            DescribeSourceServersRequestFilters::builder()
                .is_archived(false)
                .build(),
        )
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let servers = every_page(DESCRIBE_SOURCE_SERVERS, pages, |page| {
        page.items
            .unwrap_or_default()
            .into_iter()
            .filter_map(source_server)
    })
    .await?;
    let concerned: Vec<(&SourceServer, &crate::config::ServerPolicy)> = servers
        .iter()
        .filter(|s| ask.covers(&s.id))
        .filter_map(|s| config.policy_for(s).map(|p| (s, p)))
        .collect();
    let enforced: Vec<SourceServerId> = concerned
        .iter()
        .filter(|(s, p)| !p.replication.is_empty() && s.settings_apply())
        .map(|(s, _)| s.id.clone())
        .collect();
    let tested: Vec<&SourceServer> = concerned
        .iter()
        .filter(|(_, p)| p.test.enabled)
        .map(|(s, _)| *s)
        .collect();
    let mut job_ids: Vec<String> = tested
        .iter()
        .flat_map(|s| [s.last_test.job_id.clone(), s.launched.job_id.clone()])
        .flatten()
        .collect();
    job_ids.sort_unstable();
    job_ids.dedup();
    let configurations = run_bounded(enforced, config.settings.max_concurrency, |id| async move {
        let read = replication_settings(mgn, &id).await;
        (id, read)
    })
    .await
    .into_iter()
    .collect();
    let mut jobs = BTreeMap::new();
    for chunk in job_ids.chunks(JOB_IDS_PER_CALL) {
        let by_id = DescribeJobsRequestFilters::builder()
            .set_job_ids(Some(chunk.to_vec()))
            .build();
        read_jobs(mgn, by_id, &mut jobs).await?;
    }
    // A termination of a test instance is a job the server does not name; it started after the
    // test launch, so the jobs since the oldest of this function's tests whose instance still
    // stands include it.
    let since = tested
        .iter()
        .filter(|s| s.launched.instance_id.is_some() && s.launched.job_id == s.last_test.job_id)
        .filter(|s| {
            s.last_test
                .job_id
                .as_ref()
                .and_then(|id| jobs.get(id))
                .is_some_and(Job::is_own)
        })
        .filter_map(|s| s.last_test.initiated_at)
        .min();
    if let Some(since) = since {
        let recent = DescribeJobsRequestFilters::builder()
            .from_date(dr_core::clock::fmt_time(since))
            .build();
        read_jobs(mgn, recent, &mut jobs).await?;
    }
    Ok(Facts {
        servers,
        configurations,
        jobs,
        now,
    })
}

/// Reads every page of the jobs `filter` selects into `jobs`, by id.
async fn read_jobs(
    mgn: &aws_sdk_mgn::Client,
    filter: DescribeJobsRequestFilters,
    jobs: &mut BTreeMap<String, Job>,
) -> Result<(), ObserveError> {
    let pages = mgn
        .describe_jobs()
        .filters(filter)
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    for job in every_page(DESCRIBE_JOBS, pages, |page| {
        page.items.unwrap_or_default().into_iter().map(job)
    })
    .await?
    {
        jobs.insert(job.id.clone(), job);
    }
    Ok(())
}

/// Reads one server by id, as it is now; `None` when MGN no longer lists it.
///
/// Read-only, for apply to learn what a refused call met.
pub async fn one_source_server(
    mgn: &aws_sdk_mgn::Client,
    id: &SourceServerId,
) -> Result<Option<SourceServer>, CallFailure> {
    let out = mgn
        .describe_source_servers()
        .filters(
            DescribeSourceServersRequestFilters::builder()
                .source_server_ids(id.as_str())
                .build(),
        )
        .send()
        .await
        .map_err(|e| CallFailure::from_sdk(&e))?;
    Ok(out
        .items
        .unwrap_or_default()
        .into_iter()
        .filter_map(source_server)
        .find(|s| s.id == *id))
}

/// Reads one server's replication settings.
async fn replication_settings(
    mgn: &aws_sdk_mgn::Client,
    id: &SourceServerId,
) -> Result<ReplicationSettings, CallFailure> {
    mgn.get_replication_configuration()
        .source_server_id(id.as_str())
        .send()
        .await
        .map(|out| current_settings(&out))
        .map_err(|e| CallFailure::from_sdk(&e))
}

/// The settings the function manages, as MGN has them.
pub fn current_settings(c: &GetReplicationConfigurationOutput) -> ReplicationSettings {
    let text = |v: Option<&str>| v.map(|t| SettingValue::Text(t.to_owned()));
    let flag = |v: Option<bool>| v.map(SettingValue::Flag);
    let mut groups = c.replication_servers_security_groups_ids().to_vec();
    groups.sort();
    [
        (
            Setting::EbsEncryption,
            text(c.ebs_encryption().map(|e| e.as_str())),
        ),
        (
            Setting::EbsEncryptionKeyArn,
            text(c.ebs_encryption_key_arn()),
        ),
        (
            Setting::StagingAreaSubnetId,
            text(c.staging_area_subnet_id()),
        ),
        (
            Setting::ReplicationServerInstanceType,
            text(c.replication_server_instance_type()),
        ),
        (
            Setting::UseDedicatedReplicationServer,
            flag(c.use_dedicated_replication_server()),
        ),
        (
            Setting::DefaultLargeStagingDiskType,
            text(c.default_large_staging_disk_type().map(|t| t.as_str())),
        ),
        (
            Setting::BandwidthThrottling,
            Some(SettingValue::Number(c.bandwidth_throttling())),
        ),
        (
            Setting::DataPlaneRouting,
            text(c.data_plane_routing().map(|r| r.as_str())),
        ),
        (Setting::CreatePublicIp, flag(c.create_public_ip())),
        (
            Setting::AssociateDefaultSecurityGroup,
            flag(c.associate_default_security_group()),
        ),
        (
            Setting::ReplicationServersSecurityGroupsIds,
            Some(SettingValue::Ids(groups)),
        ),
    ]
    .into_iter()
    .filter_map(|(setting, value)| value.map(|v| (setting, v)))
    .collect()
}

/// An RFC 3339 time of MGN's as epoch seconds.
fn time(text: Option<&str>) -> Option<i64> {
    text.and_then(dr_core::clock::parse_time)
}

/// Tags as sorted pairs.
fn sorted(tags: Option<HashMap<String, String>>) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = tags.unwrap_or_default().into_iter().collect();
    tags.sort_unstable();
    tags
}

/// Takes what planning needs out of an SDK source server; `None` for one without a valid id (the
/// model requires one; nothing could act on it).
pub fn source_server(s: SdkSourceServer) -> Option<SourceServer> {
    let id = SourceServerId::parse(s.source_server_id.as_deref()?).ok()?;
    let hints = s.source_properties.and_then(|p| p.identification_hints);
    let (hostname, fqdn) = match hints {
        Some(h) => (h.hostname, h.fqdn),
        None => (None, None),
    };
    let info = s.data_replication_info;
    let failed_step = info
        .as_ref()
        .and_then(|d| d.data_replication_initiation())
        .and_then(|i| {
            i.steps()
                .iter()
                .find(|step| step.status() == Some(&DataReplicationInitiationStepStatus::Failed))
        })
        .and_then(|step| step.name().map(|n| n.as_str().to_owned()));
    let life = s.life_cycle;
    let last_test = life.as_ref().and_then(|l| l.last_test());
    Some(SourceServer {
        id,
        arn: s.arn,
        hostname,
        fqdn,
        tags: sorted(s.tags),
        archived: s.is_archived.unwrap_or(false),
        replication: ReplicationState::from(
            info.as_ref()
                .and_then(|d| d.data_replication_state())
                .map(|state| state.as_str()),
        ),
        lifecycle: LifeCycle::from(
            life.as_ref()
                .and_then(|l| l.state())
                .map(|state| state.as_str()),
        ),
        launchable: info.as_ref().and_then(|d| d.lag_duration()).is_some(),
        replicated_before: life
            .as_ref()
            .and_then(|l| l.first_byte_date_time())
            .is_some(),
        error: info
            .as_ref()
            .and_then(|d| d.data_replication_error())
            .map(|e| ReplicationError {
                error: e.error().map(|code| code.as_str().to_owned()),
                raw: e.raw_error().map(str::to_owned),
                failed_step: failed_step.clone(),
            }),
        last_test: LastTest {
            initiated_at: time(
                last_test
                    .and_then(|t| t.initiated())
                    .and_then(|i| i.api_call_date_time()),
            ),
            job_id: last_test
                .and_then(|t| t.initiated())
                .and_then(|i| i.job_id())
                .map(str::to_owned),
            reverted_at: time(
                last_test
                    .and_then(|t| t.reverted())
                    .and_then(|r| r.api_call_date_time()),
            ),
        },
        launched: s
            .launched_instance
            .map(|l| LaunchedInstance {
                instance_id: l.ec2_instance_id,
                job_id: l.job_id,
            })
            .unwrap_or_default(),
    })
}

/// Takes what planning needs out of an SDK job.
pub fn job(j: SdkJob) -> Job {
    Job {
        status: JobStatus::from(j.status().map(|s| s.as_str())),
        servers: j
            .participating_servers()
            .iter()
            .map(|p| JobServer {
                id: p.source_server_id().to_owned(),
                launch_status: LaunchStatus::from(p.launch_status().map(|s| s.as_str())),
                instance_id: p.launched_ec2_instance_id().map(str::to_owned),
            })
            .collect(),
        tags: sorted(j.tags),
        id: j.job_id,
    }
}

#[cfg(test)]
mod tests;
