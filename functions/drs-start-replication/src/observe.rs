//! Observe: read every DRS source server, all pages, into the domain's [`SourceServer`].

use aws_sdk_drs::types::SourceServer as SdkSourceServer;
use dr_core::error::CallFailure;
use std::collections::BTreeMap;

/// Largest page DescribeSourceServers returns; fewer round trips on large fleets.
const PAGE_SIZE: i32 = 1000;

/// Replication state of a server that reports none.
pub const UNKNOWN_STATE: &str = "UNKNOWN";

/// A DRS source server, reduced to what selection and planning need.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceServer {
    /// `s-` + 17 characters.
    pub id: String,
    /// Hostname identification hint.
    pub hostname: Option<String>,
    /// FQDN identification hint.
    pub fqdn: Option<String>,
    /// AWS instance id identification hint (for EC2 source servers).
    pub instance_id: Option<String>,
    /// Tags on the source server.
    pub tags: BTreeMap<String, String>,
    /// `dataReplicationInfo.dataReplicationState`, or [`UNKNOWN_STATE`].
    pub state: String,
    /// The staging account of an extended source server.
    pub staging_account: Option<String>,
}

impl From<&SdkSourceServer> for SourceServer {
    fn from(s: &SdkSourceServer) -> Self {
        let hints = s.source_properties().and_then(|p| p.identification_hints());
        Self {
            id: s.source_server_id().unwrap_or_default().to_owned(),
            hostname: hints.and_then(|h| h.hostname()).map(str::to_owned),
            fqdn: hints.and_then(|h| h.fqdn()).map(str::to_owned),
            instance_id: hints.and_then(|h| h.aws_instance_id()).map(str::to_owned),
            tags: s
                .tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            state: s
                .data_replication_info()
                .and_then(|d| d.data_replication_state())
                .map_or(UNKNOWN_STATE, |st| st.as_str())
                .to_owned(),
            staging_account: s
                .staging_area()
                .and_then(|a| a.staging_account_id())
                .map(str::to_owned),
        }
    }
}

/// Reads every source server in the account and region, following `nextToken` to the end.
///
/// All servers are read, not only the selected ones, because the replication quota counts
/// every replicating server in the account and region.
pub async fn source_servers(drs: &aws_sdk_drs::Client) -> Result<Vec<SourceServer>, CallFailure> {
    let mut pages = drs
        .describe_source_servers()
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut servers = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CallFailure::from_sdk(&e))?;
        servers.extend(
            page.items()
                .iter()
                .filter(|s| s.source_server_id().is_some())
                .map(SourceServer::from),
        );
    }
    Ok(servers)
}
