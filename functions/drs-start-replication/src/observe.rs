//! Observe: read every DRS source server, all pages, into the domain's [`SourceServer`].

use aws_sdk_drs::types::SourceServer as SdkSourceServer;
use dr_core::error::CallFailure;

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
    /// The server's tags whose keys the configuration reads, in key order.
    pub tags: Vec<(String, String)>,
    /// `dataReplicationInfo.dataReplicationState`, or [`UNKNOWN_STATE`].
    pub state: String,
    /// The staging account of an extended source server.
    pub staging_account: Option<String>,
}

impl SourceServer {
    /// Takes what planning needs out of an SDK source server, keeping only the tags named in
    /// `tag_keys`: a fleet's other tags would be most of what a run holds, and nothing reads them.
    pub fn from_sdk(s: SdkSourceServer, tag_keys: &[&str]) -> Self {
        let hints = s.source_properties.and_then(|p| p.identification_hints);
        let (hostname, fqdn, instance_id) = match hints {
            Some(h) => (h.hostname, h.fqdn, h.aws_instance_id),
            None => (None, None, None),
        };
        let mut tags: Vec<(String, String)> = s
            .tags
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| tag_keys.contains(&k.as_str()))
            .collect();
        tags.sort_unstable();
        Self {
            id: s.source_server_id.unwrap_or_default(),
            hostname,
            fqdn,
            instance_id,
            tags,
            state: s
                .data_replication_info
                .and_then(|d| d.data_replication_state)
                .map_or_else(|| UNKNOWN_STATE.to_owned(), |st| st.as_str().to_owned()),
            staging_account: s.staging_area.and_then(|a| a.staging_account_id),
        }
    }

    /// The value of tag `key`, if the server has it and the configuration reads it.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads every source server in the account and region, following `nextToken` to the end.
///
/// All servers are read, not only the selected ones, because the replication quota counts
/// every replicating server in the account and region. Of their tags, only those in `tag_keys`
/// are kept (see [`SourceServer::from_sdk`]).
pub async fn source_servers(
    drs: &aws_sdk_drs::Client,
    tag_keys: &[&str],
) -> Result<Vec<SourceServer>, CallFailure> {
    let mut pages = drs
        .describe_source_servers()
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut servers = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CallFailure::from_sdk(&e))?;
        servers.extend(
            page.items
                .unwrap_or_default()
                .into_iter()
                .filter(|s| s.source_server_id.is_some())
                .map(|s| SourceServer::from_sdk(s, tag_keys)),
        );
    }
    Ok(servers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_keeps_only_the_tags_the_configuration_reads() {
        let tagged = || {
            SdkSourceServer::builder()
                .source_server_id("s-1234567890abcdef0")
                .tags("Tier", "web")
                .tags("Env", "prod")
                .tags("dr:alarm", "web-down")
                .build()
        };
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        type Tags = Vec<(String, String)>;
        let cases: &[(SdkSourceServer, &[&str], Tags)] = &[
            (tagged(), &[], vec![]),
            (
                tagged(),
                &["dr:alarm", "Tier", "Owner"],
                vec![pair("Tier", "web"), pair("dr:alarm", "web-down")],
            ),
            (
                SdkSourceServer::builder()
                    .source_server_id("s-1234567890abcdef0")
                    .build(),
                &["Env"],
                vec![],
            ),
        ];
        for (sdk, keys, want) in cases {
            let server = SourceServer::from_sdk(sdk.clone(), keys);
            assert_eq!(&server.tags, want, "{keys:?}");
            assert_eq!(server.state, UNKNOWN_STATE);
        }
        let server = SourceServer::from_sdk(tagged(), &["Env"]);
        assert_eq!(server.tag("Env"), Some("prod"));
        assert_eq!(server.tag("Tier"), None, "not read by the configuration");
    }
}
