//! The function's configuration, read from environment variables once at cold start.
//!
//! The servers come from one JSON document in `MGN_SERVERS`:
//! `{"defaults": {...}, "servers": [{"sourceServerId": "s-..."}, {"hostname": "web-1"},
//! {"tags": {"wave": "1"}, "testLaunch": {"enabled": true}}]}`. Replication settings are named
//! after the `UpdateReplicationConfiguration` members they set.

use crate::model::{AfterTest, ReplicationSettings, Setting, SettingValue, SourceServer};
use dr_core::config::{parse_duration, ConfigError, Env};
use dr_core::ids::SourceServerId;
use dr_core::settings::Settings;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The variable holding the server list.
pub const SERVERS_VAR: &str = "MGN_SERVERS";
/// The variable bounding the servers replicating at once.
pub const MAX_ACTIVE_VAR: &str = "MGN_MAX_ACTIVE_SERVERS";
/// MGN's "Max Active Source Servers" per account and Region (adjustable) ["AWS Application
/// Migration Service endpoints and quotas", AWS General Reference].
pub const DEFAULT_MAX_ACTIVE: usize = 150;

/// How a configured entry names its servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerRef {
    /// The source server id.
    Id(SourceServerId),
    /// `identificationHints.hostname`, or the first label of its `fqdn`, case-insensitive.
    Hostname(String),
    /// Every one of these tags, with these values.
    Tags(Vec<(String, String)>),
}

impl ServerRef {
    /// Whether the entry names `server`.
    pub fn names(&self, server: &SourceServer) -> bool {
        match self {
            Self::Id(id) => server.id == *id,
            Self::Hostname(name) => {
                let first_label = |fqdn: &String| fqdn.split('.').next().map(str::to_owned);
                [
                    server.hostname.clone(),
                    server.fqdn.as_ref().and_then(first_label),
                ]
                .into_iter()
                .flatten()
                .chain(server.fqdn.clone())
                .any(|h| h.eq_ignore_ascii_case(name))
            }
            Self::Tags(wanted) => wanted
                .iter()
                .all(|(k, v)| server.tags.iter().any(|(sk, sv)| sk == k && sv == v)),
        }
    }

    /// How the entry reads in reports, e.g. `hostname=web-1`.
    pub fn describe(&self) -> String {
        match self {
            Self::Id(id) => id.to_string(),
            Self::Hostname(h) => format!("hostname={h}"),
            Self::Tags(tags) => tags
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

/// When a server whose replication is stopped is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartPolicy {
    /// The default: a server that never replicated is started at once; one stopped after it
    /// replicated was stopped by someone, and is left to them.
    New,
    /// At the first run that sees it stopped, even after it replicated.
    Now,
    /// At the first run at or after this time (epoch seconds).
    At(i64),
    /// Never: a person starts it.
    Manual,
}

/// What is done about a stalled replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StallPolicy {
    /// Seconds after the stall is first seen, and after each retry, before the next retry.
    pub cool_down_secs: i64,
    /// Retries of one stall after which the server is escalated and no longer retried.
    pub max_consecutive_stalls: u32,
}

impl Default for StallPolicy {
    fn default() -> Self {
        Self {
            cool_down_secs: 60 * 60,
            max_consecutive_stalls: 3,
        }
    }
}

/// Test launches, which are off unless enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestPolicy {
    /// Whether a server that reaches READY_FOR_TEST is launched for test.
    pub enabled: bool,
    /// Seconds from the test launch until its instance is terminated.
    pub ttl_secs: i64,
    /// The lifecycle state the server is moved to when its test ends.
    pub then: AfterTest,
}

impl Default for TestPolicy {
    fn default() -> Self {
        Self {
            enabled: false,
            ttl_secs: 4 * 3600,
            then: AfterTest::ReadyForTest,
        }
    }
}

/// What the function does for the servers of one entry, with defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerPolicy {
    /// When stopped replication is started.
    pub start: StartPolicy,
    /// The replication settings enforced.
    pub replication: ReplicationSettings,
    /// The stall policy.
    pub on_stall: StallPolicy,
    /// Whether a paused replication is resumed.
    pub resume_paused: bool,
    /// Test launches.
    pub test: TestPolicy,
}

/// One entry of `MGN_SERVERS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    /// The servers it names.
    pub name: ServerRef,
    /// What is done for them.
    pub policy: ServerPolicy,
}

/// Everything the function is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MgnConfig {
    /// What every function has: concurrency, topics, dry run, home account.
    pub settings: Settings,
    /// The entries, in configuration order; a server named by several takes the first.
    pub servers: Vec<ServerSpec>,
    /// Most servers replicating at once in each account and region.
    pub max_active: usize,
}

impl MgnConfig {
    /// Reads and validates the configuration.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let raw = env.required(SERVERS_VAR)?;
        let servers = parse_servers(&raw).map_err(|why| ConfigError::new(SERVERS_VAR, why))?;
        Ok(Self {
            settings: Settings::from_env(env)?,
            servers,
            max_active: env.number(MAX_ACTIVE_VAR, DEFAULT_MAX_ACTIVE, 1, 50_000)?,
        })
    }

    /// The entry that covers `server`: the first that names it.
    pub fn policy_for(&self, server: &SourceServer) -> Option<&ServerPolicy> {
        self.servers
            .iter()
            .find(|spec| spec.name.names(server))
            .map(|spec| &spec.policy)
    }
}

/// The `MGN_SERVERS` document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    #[serde(default)]
    defaults: Option<Value>,
    servers: Vec<Value>,
}

/// One entry or the defaults, exactly as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawEntry {
    source_server_id: Option<String>,
    hostname: Option<String>,
    tags: Option<Map<String, Value>>,
    start_replication: Option<String>,
    replication: Option<Map<String, Value>>,
    on_stall: Option<RawStall>,
    resume_paused: Option<bool>,
    test_launch: Option<RawTest>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawStall {
    cool_down: Option<String>,
    max_consecutive_stalls: Option<u32>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawTest {
    enabled: Option<bool>,
    ttl: Option<String>,
    then: Option<String>,
}

/// Parses and validates the whole document; errors name the entry and field.
fn parse_servers(raw: &str) -> Result<Vec<ServerSpec>, String> {
    let doc: RawDocument = serde_json::from_str(raw).map_err(|e| {
        format!("is not a JSON object with `servers` (and optional `defaults`): {e}")
    })?;
    let defaults: RawEntry = match doc.defaults {
        None => RawEntry::default(),
        Some(v) => entry("defaults", v)?,
    };
    if defaults.source_server_id.is_some() || defaults.hostname.is_some() || defaults.tags.is_some()
    {
        return Err("defaults: names servers; servers belong in `servers`".to_owned());
    }
    if doc.servers.is_empty() {
        return Err("servers: is empty; list at least one server".to_owned());
    }
    let mut specs: Vec<ServerSpec> = Vec::with_capacity(doc.servers.len());
    for (i, value) in doc.servers.into_iter().enumerate() {
        let path = format!("servers[{i}]");
        let spec = merge(&path, entry(&path, value)?, &defaults)?;
        if let Some(first) = specs.iter().position(|s| s.name == spec.name) {
            return Err(format!(
                "{path}: names the same servers as servers[{first}] ({})",
                spec.name.describe()
            ));
        }
        specs.push(spec);
    }
    Ok(specs)
}

fn entry(path: &str, value: Value) -> Result<RawEntry, String> {
    serde_json::from_value(value).map_err(|e| format!("{path}: {e}"))
}

/// Applies the defaults to one entry and validates every field.
fn merge(path: &str, entry: RawEntry, defaults: &RawEntry) -> Result<ServerSpec, String> {
    let err = |field: &str, why: String| format!("{path}.{field}: {why}");
    let name = match (&entry.source_server_id, &entry.hostname, &entry.tags) {
        (Some(id), None, None) => ServerRef::Id(
            SourceServerId::parse(id).map_err(|e| err("sourceServerId", e.to_string()))?,
        ),
        (None, Some(h), None) if !h.trim().is_empty() => ServerRef::Hostname(h.trim().to_owned()),
        (None, Some(_), None) => return Err(err("hostname", "is empty".to_owned())),
        (None, None, Some(tags)) => ServerRef::Tags(tag_pairs(tags).map_err(|w| err("tags", w))?),
        (None, None, None) => {
            return Err(format!(
                "{path}: names no server; give one of sourceServerId, hostname or tags"
            ))
        }
        _ => {
            return Err(format!(
                "{path}: names its servers more than one way; give only one of sourceServerId, \
                 hostname or tags"
            ))
        }
    };
    let start = match entry
        .start_replication
        .as_deref()
        .or(defaults.start_replication.as_deref())
    {
        None => StartPolicy::New,
        Some("now") => StartPolicy::Now,
        Some("manual") => StartPolicy::Manual,
        Some(text) => StartPolicy::At(dr_core::clock::parse_time(text).ok_or_else(|| {
            err(
                "startReplication",
                format!("`{text}` is not \"now\", \"manual\" or an RFC 3339 time"),
            )
        })?),
    };
    // An entry's replication settings add to the defaults', member by member; an entry that
    // chooses its encryption also chooses its key.
    let mut replication = defaults.replication.clone().unwrap_or_default();
    let own = entry.replication.unwrap_or_default();
    if own.contains_key(Setting::EbsEncryption.name()) {
        replication.remove(Setting::EbsEncryptionKeyArn.name());
    }
    replication.extend(own);
    let replication = settings(&replication).map_err(|why| err("replication", why))?;

    let stall = entry.on_stall.unwrap_or_default();
    let default_stall = defaults.on_stall.clone().unwrap_or_default();
    let on_stall = StallPolicy {
        cool_down_secs: match stall.cool_down.or(default_stall.cool_down) {
            None => StallPolicy::default().cool_down_secs,
            Some(text) => duration(&text).map_err(|why| err("onStall.coolDown", why))?,
        },
        max_consecutive_stalls: match stall
            .max_consecutive_stalls
            .or(default_stall.max_consecutive_stalls)
        {
            None => StallPolicy::default().max_consecutive_stalls,
            Some(0) => {
                return Err(err(
                    "onStall.maxConsecutiveStalls",
                    "is 0; at least one retry is made before escalating".to_owned(),
                ))
            }
            Some(n) => n,
        },
    };

    let raw_test = entry.test_launch.unwrap_or_default();
    let default_test = defaults.test_launch.clone().unwrap_or_default();
    let test = TestPolicy {
        enabled: raw_test.enabled.or(default_test.enabled).unwrap_or(false),
        ttl_secs: match raw_test.ttl.or(default_test.ttl) {
            None => TestPolicy::default().ttl_secs,
            Some(text) => duration(&text).map_err(|why| err("testLaunch.ttl", why))?,
        },
        then: match raw_test.then.or(default_test.then).as_deref() {
            None | Some("ready-for-test") => AfterTest::ReadyForTest,
            Some("ready-for-cutover") => AfterTest::ReadyForCutover,
            Some(other) => {
                return Err(err(
                    "testLaunch.then",
                    format!("`{other}` is not ready-for-cutover or ready-for-test"),
                ))
            }
        },
    };
    Ok(ServerSpec {
        name,
        policy: ServerPolicy {
            start,
            replication,
            on_stall,
            resume_paused: entry
                .resume_paused
                .or(defaults.resume_paused)
                .unwrap_or(false),
            test,
        },
    })
}

/// A positive duration such as `30m`.
fn duration(text: &str) -> Result<i64, String> {
    match parse_duration(text) {
        Some(secs) if secs > 0 => Ok(secs),
        _ => Err(format!(
            "`{text}` is not a positive duration such as 30m, 2h or 1d"
        )),
    }
}

/// The `tags` object as sorted pairs; every value must be a string.
fn tag_pairs(tags: &Map<String, Value>) -> Result<Vec<(String, String)>, String> {
    if tags.is_empty() {
        return Err("is empty; name at least one tag".to_owned());
    }
    let mut pairs = tags
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            other => Err(format!("`{k}` has {other}, not a string")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    pairs.sort();
    Ok(pairs)
}

/// The `replication` object as settings, each checked against the MGN model's constraints.
fn settings(raw: &Map<String, Value>) -> Result<ReplicationSettings, String> {
    let mut out = ReplicationSettings::new();
    for (key, value) in raw {
        let setting = Setting::ALL
            .into_iter()
            .find(|s| s.name() == key)
            .ok_or_else(|| {
                format!(
                    "`{key}` is not a supported setting (supported: {})",
                    Setting::ALL.map(Setting::name).join(", ")
                )
            })?;
        let parsed = setting_value(setting, value).map_err(|why| format!("{key}: {why}"))?;
        out.insert(setting, parsed);
    }
    let encryption = out.get(&Setting::EbsEncryption);
    let custom = Some(&SettingValue::Text("CUSTOM".to_owned()));
    match (
        encryption == custom,
        out.contains_key(&Setting::EbsEncryptionKeyArn),
    ) {
        (true, false) => {
            return Err("ebsEncryption: CUSTOM needs ebsEncryptionKeyArn".to_owned());
        }
        (false, true) => {
            return Err(
                "ebsEncryptionKeyArn: is set, but ebsEncryption is not CUSTOM; a key applies \
                 only to custom encryption"
                    .to_owned(),
            );
        }
        _ => {}
    }
    Ok(out)
}

/// One setting's value, checked as the MGN model constrains its member.
fn setting_value(setting: Setting, value: &Value) -> Result<SettingValue, String> {
    let text = || {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{value} is not a string"))
    };
    let one_of = |allowed: &[&str]| -> Result<SettingValue, String> {
        let t = text()?;
        if allowed.contains(&t.as_str()) {
            Ok(SettingValue::Text(t))
        } else {
            Err(format!("`{t}` is not one of {}", allowed.join(", ")))
        }
    };
    let flag = || {
        value
            .as_bool()
            .map(SettingValue::Flag)
            .ok_or_else(|| format!("{value} is not true or false"))
    };
    match setting {
        Setting::EbsEncryption => one_of(&["DEFAULT", "CUSTOM"]),
        Setting::DefaultLargeStagingDiskType => one_of(&["GP2", "ST1", "GP3"]),
        Setting::DataPlaneRouting => one_of(&["PRIVATE_IP", "PUBLIC_IP"]),
        Setting::EbsEncryptionKeyArn => {
            let t = text()?;
            // A key ARN, not an alias: MGN keeps the key, so an alias would never compare equal.
            match dr_core::arn::Arn::parse(&t) {
                Ok(arn) if arn.service() == "kms" && arn.resource().starts_with("key/") => {
                    Ok(SettingValue::Text(t))
                }
                _ => Err(format!(
                    "`{t}` is not a KMS key ARN (arn:...:kms:...:key/...)"
                )),
            }
        }
        Setting::StagingAreaSubnetId => {
            let t = text()?;
            if is_id(&t, "subnet-") {
                Ok(SettingValue::Text(t))
            } else {
                Err(format!(
                    "`{t}` is not a subnet id (subnet- and 8 or more hex digits)"
                ))
            }
        }
        Setting::ReplicationServerInstanceType => {
            let t = text()?;
            if (1..=255).contains(&t.len()) {
                Ok(SettingValue::Text(t))
            } else {
                Err("is empty or longer than 255 characters".to_owned())
            }
        }
        Setting::UseDedicatedReplicationServer
        | Setting::CreatePublicIp
        | Setting::AssociateDefaultSecurityGroup => flag(),
        Setting::BandwidthThrottling => match value.as_i64() {
            Some(n) if (0..=10_000).contains(&n) => Ok(SettingValue::Number(n)),
            _ => Err(format!("{value} is not a whole number from 0 to 10000")),
        },
        Setting::ReplicationServersSecurityGroupsIds => {
            let ids = value
                .as_array()
                .ok_or_else(|| format!("{value} is not a list of security group ids"))?;
            if ids.len() > 32 {
                return Err(format!("has {} ids; MGN takes at most 32", ids.len()));
            }
            let mut out = ids
                .iter()
                .map(|id| match id.as_str() {
                    Some(t) if is_id(t, "sg-") => Ok(t.to_owned()),
                    _ => Err(format!(
                        "{id} is not a security group id (sg- and hex digits)"
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            out.sort();
            out.dedup();
            Ok(SettingValue::Ids(out))
        }
    }
}

/// Whether `text` is `prefix` and at least 8 hex digits, as the MGN model's id patterns say.
fn is_id(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix)
        .is_some_and(|hex| hex.len() >= 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests;
