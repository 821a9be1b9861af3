//! What every DRS function reads of a source server to choose it: the selection of servers in
//! scope, how an alarm maps to servers, the tags kept of a server; and the states of the DRS
//! model (replication, launch, job).
//!
//! drs-start-replication, drs-recovery and dr-coverage share these, variable for variable, so
//! one configuration vocabulary (`DRS_SOURCE_SERVER_IDS`, `DRS_TAGS`, `DRS_HOSTNAMES`,
//! `DRS_INSTANCE_IDS`, `DRS_SELECT_ALL`, `DRS_STAGING_ACCOUNT_IDS`, `DRS_ALARM_*`) names the same
//! servers in all three.

use crate::config::{ConfigError, Env};
use crate::ids::SourceServerId;
use crate::metrics::Measures;
use crate::trigger::Alarm;
use std::collections::HashMap;

crate::aws_enum! {
    /// `dataReplicationInfo.dataReplicationState`, the ten values of the DRS model's
    /// `DataReplicationState` [DRS API reference: DataReplicationInfo].
    ReplicationState {
        /// Replication was stopped (`StopReplication`): unprotected, snapshots deleted, no billing.
        Stopped = "STOPPED",
        /// Replication is being set up (replication server, staging disks, agent pairing).
        Initiating = "INITIATING",
        /// The first full copy of the disks.
        InitialSync = "INITIAL_SYNC",
        /// Catching up on writes the replication server has not received yet.
        Backlog = "BACKLOG",
        /// Taking the snapshot that follows a sync.
        CreatingSnapshot = "CREATING_SNAPSHOT",
        /// Healthy, continuous replication.
        Continuous = "CONTINUOUS",
        /// Paused: resources and snapshots are kept.
        Paused = "PAUSED",
        /// Re-reading the disks after an interruption.
        Rescan = "RESCAN",
        /// Replication cannot make progress; `dataReplicationError` says why.
        Stalled = "STALLED",
        /// Disconnected from DRS (`DisconnectSourceServer`): replication resources deleted.
        Disconnected = "DISCONNECTED",
    }
}

crate::aws_enum! {
    /// `launchStatus` of a job's server, or of a server's last launch [DRS API reference:
    /// ParticipatingServer, LifeCycleLastLaunch].
    LaunchStatus {
        /// Not started.
        Pending = "PENDING",
        /// Launching.
        InProgress = "IN_PROGRESS",
        /// The instance launched.
        Launched = "LAUNCHED",
        /// The launch failed.
        Failed = "FAILED",
        /// The instance was terminated.
        Terminated = "TERMINATED",
    }
}

impl LaunchStatus {
    /// Whether the launch brought its instance up: LAUNCHED, or TERMINATED, which only an
    /// instance that launched can become. AWS does not document TERMINATED further; a drill's
    /// usual end is its cleanup, which terminates the instance, so a drill that ran its course
    /// reads TERMINATED and still counts as done.
    pub fn launched(&self) -> bool {
        matches!(self, Self::Launched | Self::Terminated)
    }
}

crate::aws_enum! {
    /// `Job.status` [DRS API reference: Job].
    JobStatus {
        /// Created, not started.
        Pending = "PENDING",
        /// Running.
        Started = "STARTED",
        /// Ended, each server with its outcome.
        Completed = "COMPLETED",
    }
}

crate::aws_enum! {
    /// `Job.initiatedBy`: what created the job [DRS API reference: Job].
    InitiatedBy {
        /// `StartRecovery` of a real recovery.
        StartRecovery = "START_RECOVERY",
        /// `StartRecovery` with `isDrill`.
        StartDrill = "START_DRILL",
        /// A failback.
        Failback = "FAILBACK",
        /// A diagnostic launch.
        Diagnostic = "DIAGNOSTIC",
        /// `TerminateRecoveryInstances`.
        TerminateRecoveryInstances = "TERMINATE_RECOVERY_INSTANCES",
        /// Launched from a target account.
        TargetAccount = "TARGET_ACCOUNT",
        /// Network recovery.
        CreateNetworkRecovery = "CREATE_NETWORK_RECOVERY",
        /// Network recovery update.
        UpdateNetworkRecovery = "UPDATE_NETWORK_RECOVERY",
        /// Network recovery association.
        AssociateNetworkRecovery = "ASSOCIATE_NETWORK_RECOVERY",
    }
}

/// Counts DRS source servers by replication state: `DrsServers`, and `DrsServers<State>` for every
/// state (`DrsServersContinuous`, `DrsServersStalled` …).
pub fn measure_states<'a>(
    measures: &mut Measures,
    states: impl IntoIterator<Item = &'a ReplicationState>,
) {
    let seen: Vec<&'static str> = states
        .into_iter()
        .map(ReplicationState::camel_name)
        .collect();
    measures.count("DrsServers", seen.len()).by_state(
        "DrsServers",
        ReplicationState::KNOWN
            .iter()
            .map(ReplicationState::camel_name),
        seen,
    );
}

/// What selection and alarm mapping read of a source server.
pub trait Identified {
    /// Its id.
    fn id(&self) -> &SourceServerId;
    /// Hostname identification hint.
    fn hostname(&self) -> Option<&str>;
    /// FQDN identification hint.
    fn fqdn(&self) -> Option<&str>;
    /// AWS instance id identification hint (for EC2 source servers).
    fn instance_id(&self) -> Option<&str>;
    /// The value of tag `key`, if the server has it and the configuration reads it.
    fn tag(&self, key: &str) -> Option<&str>;
    /// `stagingArea.stagingAccountID`.
    fn staging_account(&self) -> Option<&str>;

    /// Whether the hostname or FQDN hint is `name`, ignoring case.
    fn is_named(&self, name: &str) -> bool {
        [self.hostname(), self.fqdn()]
            .into_iter()
            .flatten()
            .any(|h| h.eq_ignore_ascii_case(name))
    }
}

/// The value of `key` among `tags`, as a server's kept tags hold them.
pub fn tag<'a>(tags: &'a [(String, String)], key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The tags of a server named in `keys`, in key order, as [`tag`] reads them: a fleet's other
/// tags would be most of what a run holds, and nothing reads them.
pub fn kept_tags(tags: Option<HashMap<String, String>>, keys: &[&str]) -> Vec<(String, String)> {
    let mut kept: Vec<(String, String)> = tags
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| keys.contains(&k.as_str()))
        .collect();
    kept.sort_unstable();
    kept
}

/// A `dataReplicationError` (DRS and MGN alike) as reports give it: `error (rawError)`, or what
/// there is of them.
pub fn replication_error_text(code: Option<&str>, raw: Option<String>) -> String {
    match (code, raw) {
        (Some(code), Some(raw)) => format!("{code} ({raw})"),
        (Some(code), None) => code.to_owned(),
        (None, Some(raw)) => raw,
        (None, None) => "no error given".to_owned(),
    }
}

/// Tag filter: every key must be present with one of its values (no values = any value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagFilter(pub Vec<(String, Vec<String>)>);

impl TagFilter {
    /// Parses `Key=Value,Key=Other,KeyOnly`: repeated keys add allowed values.
    pub fn parse(var: &str, items: &[String]) -> Result<Self, ConfigError> {
        let mut keys: Vec<(String, Vec<String>)> = Vec::new();
        for item in items {
            let (key, value) = match item.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (item.trim(), None),
            };
            if key.is_empty() {
                return Err(ConfigError::new(
                    var,
                    format!("`{item}` has an empty tag key"),
                ));
            }
            let idx = match keys.iter().position(|(k, _)| k == key) {
                Some(i) => i,
                None => {
                    keys.push((key.to_owned(), Vec::new()));
                    keys.len() - 1
                }
            };
            if let Some(v) = value {
                keys[idx].1.push(v.to_owned());
            }
        }
        Ok(Self(keys))
    }

    /// True when no tag criteria are set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Which source servers the function may act on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Every source server (within the staging accounts, if any).
    pub all: bool,
    /// Explicit source server ids.
    pub source_server_ids: Vec<SourceServerId>,
    /// Tag criteria.
    pub tags: TagFilter,
    /// Hostname or FQDN identification hints (case-insensitive).
    pub hostnames: Vec<String>,
    /// AWS instance id identification hints.
    pub instance_ids: Vec<String>,
    /// Staging accounts the servers must belong to (empty = any).
    pub staging_accounts: Vec<String>,
}

impl Selection {
    /// Whether the configuration covers `server`: within the staging accounts, if any, and
    /// named by id, hostname, instance id or all of the tag criteria (or every server).
    pub fn covers(&self, server: &impl Identified) -> bool {
        if !self.staging_accounts.is_empty()
            && !server
                .staging_account()
                .is_some_and(|a| self.staging_accounts.iter().any(|s| s == a))
        {
            return false;
        }
        if self.all {
            return true;
        }
        let by_id = self.source_server_ids.contains(server.id());
        let by_host = self.hostnames.iter().any(|h| server.is_named(h));
        let by_instance = server
            .instance_id()
            .is_some_and(|i| self.instance_ids.iter().any(|w| w == i));
        let by_tags = !self.tags.is_empty()
            && self.tags.0.iter().all(|(key, values)| {
                server
                    .tag(key)
                    .is_some_and(|v| values.is_empty() || values.iter().any(|w| w == v))
            });
        by_id || by_host || by_instance || by_tags
    }
}

/// What an alarm dimension value is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DimensionMatch {
    /// The server's hostname or FQDN hint.
    Hostname,
    /// The value of this tag on the server.
    Tag(String),
}

/// How an alarm names the servers to recover.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlarmMapping {
    /// A dimension (besides `InstanceId`, which always maps to the instance id hint) and what
    /// its value is matched against.
    pub dimension: Option<(String, DimensionMatch)>,
    /// A tag whose value on a server is the name of the alarm that should recover it.
    pub tag_key: Option<String>,
}

impl AlarmMapping {
    /// Whether `alarm` names `server`: an `InstanceId` dimension equal to its instance id hint,
    /// the configured dimension matched against its hostname or a tag, or the configured tag
    /// whose value is the alarm's name.
    pub fn maps(&self, alarm: &Alarm, server: &impl Identified) -> bool {
        let by_dimension = alarm.dimensions.iter().any(|d| {
            if d.name == "InstanceId" && server.instance_id() == Some(d.value.as_str()) {
                return true;
            }
            match &self.dimension {
                Some((name, how)) if *name == d.name => match how {
                    DimensionMatch::Hostname => server.is_named(&d.value),
                    DimensionMatch::Tag(key) => server.tag(key) == Some(d.value.as_str()),
                },
                _ => false,
            }
        });
        let by_tag = self
            .tag_key
            .as_ref()
            .is_some_and(|key| server.tag(key) == Some(alarm.name.as_str()));
        by_dimension || by_tag
    }
}

/// The servers a DRS function is configured for, and how alarms map to them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerChoice {
    /// Servers in scope.
    pub selection: Selection,
    /// Alarm to server mapping.
    pub alarm_mapping: AlarmMapping,
}

impl ServerChoice {
    /// Reads and validates the shared `DRS_*` selection and alarm-mapping variables.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let source_server_ids = env
            .list("DRS_SOURCE_SERVER_IDS")
            .iter()
            .map(|id| SourceServerId::parse(id))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ConfigError::new("DRS_SOURCE_SERVER_IDS", e.to_string()))?;
        let instance_ids = env.list("DRS_INSTANCE_IDS");
        if let Some(bad) = instance_ids.iter().find(|id| !is_instance_id(id)) {
            return Err(ConfigError::new(
                "DRS_INSTANCE_IDS",
                format!("`{bad}` is not an EC2 instance id (i- followed by hex digits)"),
            ));
        }
        let selection = Selection {
            all: env.flag("DRS_SELECT_ALL", false)?,
            source_server_ids,
            tags: TagFilter::parse("DRS_TAGS", &env.list("DRS_TAGS"))?,
            hostnames: env.list("DRS_HOSTNAMES"),
            instance_ids,
            staging_accounts: env.account_ids("DRS_STAGING_ACCOUNT_IDS")?,
        };
        let has_criteria = !selection.source_server_ids.is_empty()
            || !selection.tags.is_empty()
            || !selection.hostnames.is_empty()
            || !selection.instance_ids.is_empty();
        if selection.all && has_criteria {
            return Err(ConfigError::new(
                "DRS_SELECT_ALL",
                "is true, which selects every server; remove DRS_SOURCE_SERVER_IDS, DRS_TAGS, \
                 DRS_HOSTNAMES and DRS_INSTANCE_IDS or set it to false",
            ));
        }
        if !selection.all && !has_criteria {
            return Err(ConfigError::new(
                "DRS_SELECT_ALL",
                "no source servers are selected: set DRS_SOURCE_SERVER_IDS, DRS_TAGS, \
                 DRS_HOSTNAMES or DRS_INSTANCE_IDS, or DRS_SELECT_ALL=true",
            ));
        }
        let dimension = match (
            env.optional("DRS_ALARM_DIMENSION"),
            env.optional("DRS_ALARM_DIMENSION_MATCHES"),
        ) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "DRS_ALARM_DIMENSION_MATCHES",
                    "is set but DRS_ALARM_DIMENSION (the dimension name) is not",
                ))
            }
            (Some(name), matches) => Some((name, parse_dimension_match(matches.as_deref())?)),
        };
        Ok(Self {
            selection,
            alarm_mapping: AlarmMapping {
                dimension,
                tag_key: env.optional("DRS_ALARM_TAG_KEY"),
            },
        })
    }

    /// The tag keys selection and alarm mapping read, each once, in order: the only tags a
    /// function needs to keep of a server.
    pub fn tag_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .selection
            .tags
            .0
            .iter()
            .map(|(key, _)| key.as_str())
            .chain(self.alarm_mapping.tag_key.as_deref())
            .chain(match &self.alarm_mapping.dimension {
                Some((_, DimensionMatch::Tag(key))) => Some(key.as_str()),
                _ => None,
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

fn parse_dimension_match(raw: Option<&str>) -> Result<DimensionMatch, ConfigError> {
    match raw {
        None | Some("hostname") => Ok(DimensionMatch::Hostname),
        Some(other) => match other.strip_prefix("tag:") {
            Some(key) if !key.trim().is_empty() => Ok(DimensionMatch::Tag(key.trim().to_owned())),
            _ => Err(ConfigError::new(
                "DRS_ALARM_DIMENSION_MATCHES",
                format!("`{other}` is neither `hostname` nor `tag:<key>`"),
            )),
        },
    }
}

fn is_instance_id(s: &str) -> bool {
    s.strip_prefix("i-").is_some_and(|hex| {
        (8..=17).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

#[cfg(test)]
mod tests;
