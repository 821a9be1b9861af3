//! Observe: read every DRS source server, all pages, into the model's [`SourceServer`].

use crate::model::{Facts, ReplicationError, ReplicationState, SourceServer, Staging};
use aws_sdk_drs::types::{
    DataReplicationState, DescribeSourceServersRequestFilters, ExtensionStatus,
    SourceServer as SdkSourceServer, StagingArea as SdkStagingArea,
};
use dr_core::arn::Arn;
use dr_core::drs::kept_tags;
use dr_core::error::CallFailure;
use dr_core::ids::SourceServerId;
use dr_core::observe::{every_page, ObserveError};

/// Largest page DescribeSourceServers returns; fewer round trips on large fleets.
const PAGE_SIZE: i32 = 1000;

/// The read that lists source servers.
pub const DESCRIBE_SOURCE_SERVERS: &str = "DescribeSourceServers";

/// Reads every source server in the account and region, following `nextToken` to the end.
///
/// All servers are read, not only the selected ones, because the replication quota counts
/// every replicating server in the account and region. Of their tags, only those in `tag_keys`
/// are kept (see [`source_server`]).
pub async fn facts(drs: &aws_sdk_drs::Client, tag_keys: &[&str]) -> Result<Facts, ObserveError> {
    let pages = drs
        .describe_source_servers()
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let servers = every_page(DESCRIBE_SOURCE_SERVERS, pages, |page| {
        page.items
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| source_server(s, tag_keys))
    })
    .await?;
    Ok(Facts { servers })
}

/// Reads one source server by id, as it is now; `None` when DRS no longer lists it.
///
/// Read-only, for apply to learn what a refused `StartReplication` met.
pub async fn one_source_server(
    drs: &aws_sdk_drs::Client,
    id: &SourceServerId,
) -> Result<Option<SourceServer>, CallFailure> {
    let out = drs
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
        .filter_map(|s| source_server(s, &[]))
        .find(|s| s.id == *id))
}

/// Takes what planning needs out of an SDK source server, keeping only the tags named in
/// `tag_keys`: a fleet's other tags would be most of what a run holds, and nothing reads them.
/// `None` for a server without a valid id (the model requires one; nothing could act on it).
pub fn source_server(s: SdkSourceServer, tag_keys: &[&str]) -> Option<SourceServer> {
    let id = SourceServerId::parse(s.source_server_id.as_deref()?).ok()?;
    let hints = s.source_properties.and_then(|p| p.identification_hints);
    let (hostname, fqdn, instance_id) = match hints {
        Some(h) => (h.hostname, h.fqdn, h.aws_instance_id),
        None => (None, None, None),
    };
    let tags = kept_tags(s.tags, tag_keys);
    let replication = s.data_replication_info;
    Some(SourceServer {
        id,
        hostname,
        fqdn,
        instance_id,
        tags,
        state: replication_state(
            replication
                .as_ref()
                .and_then(|d| d.data_replication_state()),
        ),
        replication_error: replication.and_then(|d| d.data_replication_error).map(|e| {
            ReplicationError {
                error: e.error.map(|code| code.as_str().to_owned()),
                raw: e.raw_error,
            }
        }),
        staging: staging(s.staging_area.as_ref()),
        staging_account: s.staging_area.and_then(|a| a.staging_account_id),
    })
}

/// The state of an SDK value; `None` (no state reported) is `Unknown("UNKNOWN")`.
pub fn replication_state(state: Option<&DataReplicationState>) -> ReplicationState {
    ReplicationState::from(state.map(DataReplicationState::as_str))
}

/// `stagingArea` as the model reads it.
fn staging(area: Option<&SdkStagingArea>) -> Staging {
    let Some(area) = area else {
        return Staging::NotExtended;
    };
    // An ARN that does not parse is dropped: the account then comes from `stagingAccountID`.
    let arn = area
        .staging_source_server_arn()
        .and_then(|a| Arn::parse(a).ok());
    match area.status() {
        Some(ExtensionStatus::Extended) => Staging::Extended {
            staging_source_server_arn: arn,
        },
        Some(ExtensionStatus::ExtensionError) => Staging::ExtensionError {
            staging_source_server_arn: arn,
            message: area.error_message().map(str::to_owned),
        },
        // NOT_EXTENDED, none, or a status this build does not know: treated as replicating
        // here, the reading that never lets this account go over its quota.
        _ => Staging::NotExtended,
    }
}

#[cfg(test)]
mod tests;
