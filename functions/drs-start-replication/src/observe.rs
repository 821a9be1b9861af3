//! Observe: read every DRS source server, all pages, into the domain's [`SourceServer`].

use aws_sdk_drs::types::{
    DataReplicationState, DescribeSourceServersRequestFilters, ExtensionStatus,
    SourceServer as SdkSourceServer, StagingArea as SdkStagingArea,
};
use dr_core::error::CallFailure;

/// Largest page DescribeSourceServers returns; fewer round trips on large fleets.
const PAGE_SIZE: i32 = 1000;

/// `dataReplicationInfo.dataReplicationState`, the ten values of the DRS model's
/// `DataReplicationState` [DRS API reference: DataReplicationInfo].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicationState {
    /// Replication was stopped (`StopReplication`): unprotected, snapshots deleted, no billing.
    Stopped,
    /// Replication is being set up (replication server, staging disks, agent pairing).
    Initiating,
    /// The first full copy of the disks.
    InitialSync,
    /// Catching up on writes the replication server has not received yet.
    Backlog,
    /// Taking the snapshot that follows a sync.
    CreatingSnapshot,
    /// Healthy, continuous replication.
    Continuous,
    /// Paused: resources and snapshots are kept.
    Paused,
    /// Re-reading the disks after an interruption.
    Rescan,
    /// Replication cannot make progress; `dataReplicationError` says why.
    Stalled,
    /// Disconnected from DRS (`DisconnectSourceServer`): replication resources deleted.
    Disconnected,
    /// No state reported, or a value this build does not know (kept as sent).
    Unknown(String),
}

impl ReplicationState {
    /// The state as DRS spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Stopped => "STOPPED",
            Self::Initiating => "INITIATING",
            Self::InitialSync => "INITIAL_SYNC",
            Self::Backlog => "BACKLOG",
            Self::CreatingSnapshot => "CREATING_SNAPSHOT",
            Self::Continuous => "CONTINUOUS",
            Self::Paused => "PAUSED",
            Self::Rescan => "RESCAN",
            Self::Stalled => "STALLED",
            Self::Disconnected => "DISCONNECTED",
            Self::Unknown(raw) => raw,
        }
    }

    /// The state of an SDK value; `None` (no state reported) is `Unknown("UNKNOWN")`.
    pub fn from_sdk(state: Option<&DataReplicationState>) -> Self {
        match state {
            Some(DataReplicationState::Stopped) => Self::Stopped,
            Some(DataReplicationState::Initiating) => Self::Initiating,
            Some(DataReplicationState::InitialSync) => Self::InitialSync,
            Some(DataReplicationState::Backlog) => Self::Backlog,
            Some(DataReplicationState::CreatingSnapshot) => Self::CreatingSnapshot,
            Some(DataReplicationState::Continuous) => Self::Continuous,
            Some(DataReplicationState::Paused) => Self::Paused,
            Some(DataReplicationState::Rescan) => Self::Rescan,
            Some(DataReplicationState::Stalled) => Self::Stalled,
            Some(DataReplicationState::Disconnected) => Self::Disconnected,
            Some(other) => Self::Unknown(other.as_str().to_owned()),
            None => Self::Unknown("UNKNOWN".to_owned()),
        }
    }

    /// Whether a server in this state holds a replicating-server slot of its account.
    ///
    /// DRS limits an account to 300 *replicating* source servers per Region ["Using multiple
    /// staging accounts with DRS"; "Disaster recovery at scale"]. A STOPPED server is
    /// unprotected and its snapshots deleted [API reference: StopReplication]; a DISCONNECTED
    /// one had its replication stopped and its resources deleted [API reference:
    /// DisconnectSourceServer]: neither replicates. In every other state replication is set up
    /// and was not stopped, PAUSED and STALLED included, so it counts. DRS documents no
    /// per-state list, so a state this build does not know counts too: over-counting only
    /// delays a start, while under-counting would call `StartReplication` past the quota.
    pub fn holds_replication_slot(&self) -> bool {
        !matches!(self, Self::Stopped | Self::Disconnected)
    }
}

/// `stagingArea.status` and what goes with it [DRS API reference: StagingArea].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Staging {
    /// NOT_EXTENDED (or no staging area reported): the server replicates in this account.
    #[default]
    NotExtended,
    /// EXTENDED: extended from the staging account's server `staging_source_server_arn`, where
    /// its replication runs, is managed and is counted ["Using multiple staging accounts"].
    Extended {
        /// `stagingArea.stagingSourceServerArn`.
        staging_source_server_arn: Option<String>,
    },
    /// EXTENSION_ERROR: DRS could not reach the staging source server; `errorMessage` says why.
    ExtensionError {
        /// `stagingArea.stagingSourceServerArn`.
        staging_source_server_arn: Option<String>,
        /// `stagingArea.errorMessage`.
        message: Option<String>,
    },
}

impl Staging {
    fn from_sdk(area: Option<&SdkStagingArea>) -> Self {
        let Some(area) = area else {
            return Self::NotExtended;
        };
        let arn = area.staging_source_server_arn().map(str::to_owned);
        match area.status() {
            Some(ExtensionStatus::Extended) => Self::Extended {
                staging_source_server_arn: arn,
            },
            Some(ExtensionStatus::ExtensionError) => Self::ExtensionError {
                staging_source_server_arn: arn,
                message: area.error_message().map(str::to_owned),
            },
            // NOT_EXTENDED, none, or a status this build does not know: treated as replicating
            // here, the reading that never lets this account go over its quota.
            _ => Self::NotExtended,
        }
    }
}

/// `dataReplicationInfo.dataReplicationError` [DRS API reference: DataReplicationError].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplicationError {
    /// `error`, one of the model's `DataReplicationErrorString` values.
    pub error: Option<String>,
    /// `rawError`, DRS's own text.
    pub raw: Option<String>,
}

/// A DRS source server, reduced to what selection and planning need.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// `dataReplicationInfo.dataReplicationState`.
    pub state: ReplicationState,
    /// `dataReplicationInfo.dataReplicationError`, when DRS reports one.
    pub replication_error: Option<ReplicationError>,
    /// `stagingArea.stagingAccountID`: this account for a server replicating here, the staging
    /// account for an extended one.
    pub staging_account: Option<String>,
    /// `stagingArea.status`.
    pub staging: Staging,
}

impl Default for SourceServer {
    fn default() -> Self {
        Self {
            id: String::new(),
            hostname: None,
            fqdn: None,
            instance_id: None,
            tags: Vec::new(),
            state: ReplicationState::Unknown("UNKNOWN".to_owned()),
            replication_error: None,
            staging_account: None,
            staging: Staging::NotExtended,
        }
    }
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
        let replication = s.data_replication_info;
        Self {
            id: s.source_server_id.unwrap_or_default(),
            hostname,
            fqdn,
            instance_id,
            tags,
            state: ReplicationState::from_sdk(
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
            staging: Staging::from_sdk(s.staging_area.as_ref()),
            staging_account: s.staging_area.and_then(|a| a.staging_account_id),
        }
    }

    /// Whether this server takes one of this account's replicating-server slots: it replicates
    /// here (not extended from a staging account) and its state holds a slot.
    pub fn holds_replication_slot(&self) -> bool {
        self.staging == Staging::NotExtended && self.state.holds_replication_slot()
    }

    /// The staging account an extended server replicates in: the account of its
    /// `stagingSourceServerArn`, else `stagingAccountID`.
    pub fn replicating_account(&self) -> Option<&str> {
        let arn = match &self.staging {
            Staging::NotExtended => None,
            Staging::Extended {
                staging_source_server_arn,
            }
            | Staging::ExtensionError {
                staging_source_server_arn,
                ..
            } => staging_source_server_arn.as_deref(),
        };
        arn.and_then(|a| a.split(':').nth(4))
            .filter(|account| !account.is_empty())
            .or(self.staging_account.as_deref())
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

/// Reads one source server by id, as it is now; `None` when DRS no longer lists it.
///
/// Read-only, for apply to learn what a refused `StartReplication` met.
pub async fn source_server(
    drs: &aws_sdk_drs::Client,
    id: &str,
) -> Result<Option<SourceServer>, CallFailure> {
    let out = drs
        .describe_source_servers()
        .filters(
            DescribeSourceServersRequestFilters::builder()
                .source_server_ids(id)
                .build(),
        )
        .send()
        .await
        .map_err(|e| CallFailure::from_sdk(&e))?;
    Ok(out
        .items
        .unwrap_or_default()
        .into_iter()
        .find(|s| s.source_server_id.as_deref() == Some(id))
        .map(|s| SourceServer::from_sdk(s, &[])))
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
            assert_eq!(server.state, ReplicationState::Unknown("UNKNOWN".into()));
        }
        let server = SourceServer::from_sdk(tagged(), &["Env"]);
        assert_eq!(server.tag("Env"), Some("prod"));
        assert_eq!(server.tag("Tier"), None, "not read by the configuration");
    }

    fn with_staging(area: SdkStagingArea) -> SourceServer {
        SourceServer::from_sdk(
            SdkSourceServer::builder()
                .source_server_id("s-1234567890abcdef0")
                .staging_area(area)
                .build(),
            &[],
        )
    }

    #[test]
    fn every_model_state_maps_to_its_own_variant_and_back() {
        for sdk in DataReplicationState::values() {
            let state = ReplicationState::from_sdk(Some(&DataReplicationState::from(*sdk)));
            assert!(!matches!(state, ReplicationState::Unknown(_)), "{sdk}");
            assert_eq!(state.as_str(), *sdk);
        }
        let future = ReplicationState::from_sdk(Some(&DataReplicationState::from("HIBERNATING")));
        assert_eq!(future, ReplicationState::Unknown("HIBERNATING".into()));
    }

    #[test]
    fn only_stopped_and_disconnected_states_free_a_replication_slot() {
        let free: Vec<&str> = DataReplicationState::values()
            .iter()
            .filter(|v| {
                !ReplicationState::from_sdk(Some(&DataReplicationState::from(**v)))
                    .holds_replication_slot()
            })
            .copied()
            .collect();
        assert_eq!(free, ["DISCONNECTED", "STOPPED"], "in the SDK's order");
        assert!(ReplicationState::Unknown("UNKNOWN".into()).holds_replication_slot());
    }

    #[test]
    fn an_extended_server_replicates_in_the_account_of_its_staging_server_arn() {
        let server = with_staging(
            SdkStagingArea::builder()
                .status(ExtensionStatus::Extended)
                .staging_account_id("210987654321")
                .staging_source_server_arn(
                    "arn:aws:drs:us-east-1:210987654321:source-server/s-0000000000000000a",
                )
                .build(),
        );
        assert!(matches!(server.staging, Staging::Extended { .. }));
        assert_eq!(server.replicating_account(), Some("210987654321"));
        assert!(!server.holds_replication_slot());
    }

    #[test]
    fn an_extension_error_keeps_drs_message_and_falls_back_to_the_staging_account_id() {
        let server = with_staging(
            SdkStagingArea::builder()
                .status(ExtensionStatus::ExtensionError)
                .staging_account_id("210987654321")
                .error_message("AccessDenied assuming the staging role")
                .build(),
        );
        assert_eq!(
            server.staging,
            Staging::ExtensionError {
                staging_source_server_arn: None,
                message: Some("AccessDenied assuming the staging role".into()),
            }
        );
        assert_eq!(server.replicating_account(), Some("210987654321"));
    }

    #[test]
    fn a_server_without_a_staging_area_replicates_here() {
        let server = SourceServer::from_sdk(
            SdkSourceServer::builder()
                .source_server_id("s-1234567890abcdef0")
                .build(),
            &[],
        );
        assert_eq!(server.staging, Staging::NotExtended);
        assert_eq!(server.replicating_account(), None);
        assert!(server.holds_replication_slot(), "no state reported counts");
    }
}
