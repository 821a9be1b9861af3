//! The domain: DRS source servers as planning sees them, and the one action it plans.
//!
//! No I/O and no SDK types: observe converts DRS's answers into these.

use dr_core::arn::Arn;
use dr_core::drs::Identified;
pub use dr_core::drs::ReplicationState;
use dr_core::function::Action;
use dr_core::ids::SourceServerId;
use dr_core::report::TargetOutcome;

/// The AWS operation this function applies.
pub const START_REPLICATION: &str = "StartReplication";

/// Whether a server in `state` holds a replicating-server slot of its account.
///
/// DRS limits an account to 300 *replicating* source servers per Region ["Using multiple
/// staging accounts with DRS"; "Disaster recovery at scale"]. A STOPPED server is
/// unprotected and its snapshots deleted [API reference: StopReplication]; a DISCONNECTED
/// one had its replication stopped and its resources deleted [API reference:
/// DisconnectSourceServer]: neither replicates. In every other state replication is set up
/// and was not stopped, PAUSED and STALLED included, so it counts. DRS documents no
/// per-state list, so a state this build does not know counts too: over-counting only
/// delays a start, while under-counting would call `StartReplication` past the quota.
pub fn state_holds_replication_slot(state: &ReplicationState) -> bool {
    !matches!(
        state,
        ReplicationState::Stopped | ReplicationState::Disconnected
    )
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
        staging_source_server_arn: Option<Arn>,
    },
    /// EXTENSION_ERROR: DRS could not reach the staging source server; `errorMessage` says why.
    ExtensionError {
        /// `stagingArea.stagingSourceServerArn`.
        staging_source_server_arn: Option<Arn>,
        /// `stagingArea.errorMessage`.
        message: Option<String>,
    },
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
    /// Its id.
    pub id: SourceServerId,
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

impl SourceServer {
    /// Whether this server takes one of this account's replicating-server slots: it replicates
    /// here (not extended from a staging account) and its state holds a slot.
    pub fn holds_replication_slot(&self) -> bool {
        self.staging == Staging::NotExtended && state_holds_replication_slot(&self.state)
    }

    /// The staging account an extended server replicates in: the account of its
    /// `stagingSourceServerArn`, else `stagingAccountID`.
    pub fn replicating_account(&self) -> Option<&str> {
        self.staging_source_server_arn()
            .and_then(Arn::account)
            .or(self.staging_account.as_deref())
    }

    /// The id of the staging account's server an extended server is a copy of, from the
    /// resource of its `stagingSourceServerArn` (`source-server/s-...`) [DRS API reference:
    /// StagingArea, CreateExtendedSourceServer].
    pub fn staging_source_server_id(&self) -> Option<SourceServerId> {
        let resource = self.staging_source_server_arn()?.resource();
        SourceServerId::parse(resource.strip_prefix("source-server/")?).ok()
    }

    fn staging_source_server_arn(&self) -> Option<&Arn> {
        match &self.staging {
            Staging::NotExtended => None,
            Staging::Extended {
                staging_source_server_arn,
            }
            | Staging::ExtensionError {
                staging_source_server_arn,
                ..
            } => staging_source_server_arn.as_ref(),
        }
    }
}

impl Identified for SourceServer {
    fn id(&self) -> &SourceServerId {
        &self.id
    }
    fn hostname(&self) -> Option<&str> {
        self.hostname.as_deref()
    }
    fn fqdn(&self) -> Option<&str> {
        self.fqdn.as_deref()
    }
    fn instance_id(&self) -> Option<&str> {
        self.instance_id.as_deref()
    }
    fn tag(&self, key: &str) -> Option<&str> {
        dr_core::drs::tag(&self.tags, key)
    }
    fn staging_account(&self) -> Option<&str> {
        self.staging_account.as_deref()
    }
}

/// What observe read: every source server of the account and region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Every source server, all pages, in DRS's order.
    pub servers: Vec<SourceServer>,
}

/// Start replication of one STOPPED source server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// The server's id.
    pub source_server_id: SourceServerId,
    /// The extended servers of other accounts this start resumes: the server is their staging
    /// source server.
    pub for_extended: Vec<ExtendedCopy>,
}

/// An extended source server of a target account, a copy of a staging account's server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendedCopy {
    /// The extended server's id in its account.
    pub source_server_id: SourceServerId,
    /// Its account; `None` for the home account when `ACCOUNT_ID` is unset.
    pub account: Option<String>,
}

impl Start {
    /// Start `source_server_id` for its own account alone.
    pub fn new(source_server_id: SourceServerId) -> Self {
        Self {
            source_server_id,
            for_extended: Vec::new(),
        }
    }

    /// Puts in `outcome`'s detail which extended servers this start was for, before what the
    /// detail already says.
    pub fn name_extended(&self, outcome: TargetOutcome) -> TargetOutcome {
        if self.for_extended.is_empty() {
            return outcome;
        }
        let copies: Vec<String> = self
            .for_extended
            .iter()
            .map(|c| {
                format!(
                    "{} of {}",
                    c.source_server_id,
                    c.account
                        .as_deref()
                        .map_or("the home account".to_owned(), |a| format!("account {a}"))
                )
            })
            .collect();
        let what = format!(
            "for extended server{} {}",
            if copies.len() == 1 { "" } else { "s" },
            copies.join(", ")
        );
        let detail = match &outcome.detail {
            Some(detail) => format!("{what}: {detail}"),
            None => what,
        };
        outcome.with_detail(detail)
    }
}

impl Action for Start {
    fn planned(&self) -> TargetOutcome {
        self.name_extended(TargetOutcome::planned(
            self.source_server_id.as_str(),
            START_REPLICATION,
        ))
    }
}
