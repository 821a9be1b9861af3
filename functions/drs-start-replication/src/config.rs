//! The function's configuration, read from environment variables once at cold start.

use dr_core::config::{ConfigError, Env};
use dr_core::ids::SourceServerId;
use dr_core::settings::Settings;

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

/// Everything the function is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrsConfig {
    /// What every function has: concurrency, topics, dry run, home account.
    pub settings: Settings,
    /// Servers in scope.
    pub selection: Selection,
    /// Alarm to server mapping.
    pub alarm_mapping: AlarmMapping,
    /// Most servers replicating at once in each account and region of the fleet (the DRS
    /// quota): extended servers replicate, and are started and counted, in their staging
    /// account.
    pub replication_quota: usize,
}

/// The DRS quota of replicating source servers per account and region: 300 ["Using multiple
/// staging accounts with DRS", DRS user guide].
pub const DEFAULT_REPLICATION_QUOTA: usize = 300;

impl DrsConfig {
    /// The tag keys selection and alarm mapping read, each once.
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

    /// Reads and validates the configuration.
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
            settings: Settings::from_env(env)?,
            selection,
            alarm_mapping: AlarmMapping {
                dimension,
                tag_key: env.optional("DRS_ALARM_TAG_KEY"),
            },
            replication_quota: env.number(
                "DRS_REPLICATION_QUOTA",
                DEFAULT_REPLICATION_QUOTA,
                1,
                100_000,
            )?,
        })
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
mod tests {
    use super::*;

    fn load(pairs: &[(&'static str, &'static str)]) -> Result<DrsConfig, String> {
        DrsConfig::from_env(&Env::from_pairs(pairs.iter().copied())).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_with_select_all() {
        let c = load(&[("DRS_SELECT_ALL", "true")]).unwrap();
        assert!(c.selection.all);
        assert_eq!(c.replication_quota, 300);
        assert_eq!(c.settings, Settings::default());
        assert_eq!(c.alarm_mapping, AlarmMapping::default());
        assert!(c.tag_keys().is_empty(), "no tag is read, so none is kept");
    }

    #[test]
    fn tag_keys_are_those_selection_and_alarm_mapping_read() {
        type Vars<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Vars<'_>, &[&str])] = &[
            (&[("DRS_TAGS", "Env=prod,Tier,Env=dr")], &["Env", "Tier"]),
            (
                &[
                    ("DRS_SELECT_ALL", "true"),
                    ("DRS_ALARM_TAG_KEY", "dr:alarm"),
                ],
                &["dr:alarm"],
            ),
            (
                &[
                    ("DRS_SELECT_ALL", "true"),
                    ("DRS_ALARM_DIMENSION", "Host"),
                    ("DRS_ALARM_DIMENSION_MATCHES", "tag:Name"),
                    ("DRS_ALARM_TAG_KEY", "Name"),
                ],
                &["Name"],
            ),
            (
                &[
                    ("DRS_SELECT_ALL", "true"),
                    ("DRS_ALARM_DIMENSION", "Host"),
                    ("DRS_ALARM_DIMENSION_MATCHES", "hostname"),
                ],
                &[],
            ),
        ];
        for (vars, want) in cases {
            let c = load(vars).unwrap();
            assert_eq!(c.tag_keys(), *want, "{vars:?}");
        }
    }

    #[test]
    fn full_configuration() {
        let c = load(&[
            (
                "DRS_SOURCE_SERVER_IDS",
                "s-1234567890abcdef0, s-abcdefabcdefabcde",
            ),
            ("DRS_TAGS", "Env=prod,Env=dr,Tier"),
            ("DRS_HOSTNAMES", "web-1,db-1.corp.example.com"),
            ("DRS_INSTANCE_IDS", "i-0abc1234def567890"),
            ("DRS_STAGING_ACCOUNT_IDS", "111122223333"),
            ("DRS_ALARM_DIMENSION", "Hostname"),
            ("DRS_ALARM_DIMENSION_MATCHES", "tag:Name"),
            ("DRS_ALARM_TAG_KEY", "dr:alarm"),
            ("DRS_REPLICATION_QUOTA", "250"),
            ("MAX_CONCURRENCY", "4"),
            (
                "REPORT_TOPIC_ARN",
                "arn:aws:sns:us-east-1:123456789012:reports",
            ),
            (
                "TRIGGER_TOPIC_ARNS",
                "arn:aws:sns:us-east-1:123456789012:dr-alarms",
            ),
            ("DRY_RUN", "true"),
        ])
        .unwrap();
        assert_eq!(
            c.selection.tags,
            TagFilter(vec![
                ("Env".into(), vec!["prod".into(), "dr".into()]),
                ("Tier".into(), vec![])
            ])
        );
        assert_eq!(
            c.alarm_mapping.dimension,
            Some(("Hostname".into(), DimensionMatch::Tag("Name".into())))
        );
        assert_eq!(c.alarm_mapping.tag_key.as_deref(), Some("dr:alarm"));
        assert_eq!(c.tag_keys(), vec!["Env", "Name", "Tier", "dr:alarm"]);
        assert_eq!(c.selection.staging_accounts, vec!["111122223333"]);
        assert_eq!(
            (
                c.replication_quota,
                c.settings.max_concurrency,
                c.settings.dry_run
            ),
            (250, 4, true)
        );
    }

    #[test]
    fn invalid_configurations_fail_with_the_variable_named() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "configuration DRS_SELECT_ALL: no source servers are selected"),
            (
                &[("DRS_SELECT_ALL", "true"), ("DRS_TAGS", "Env=prod")],
                "configuration DRS_SELECT_ALL: is true, which selects every server",
            ),
            (
                &[("DRS_SOURCE_SERVER_IDS", "web-1")],
                "configuration DRS_SOURCE_SERVER_IDS: `web-1` is not a source server id",
            ),
            (
                &[("DRS_INSTANCE_IDS", "web-1")],
                "configuration DRS_INSTANCE_IDS: `web-1` is not an EC2 instance id",
            ),
            (&[("DRS_TAGS", "=prod")], "configuration DRS_TAGS: `=prod` has an empty tag key"),
            (
                &[("DRS_SELECT_ALL", "true"), ("DRS_STAGING_ACCOUNT_IDS", "1234")],
                "configuration DRS_STAGING_ACCOUNT_IDS: `1234` is not a 12-digit AWS account id",
            ),
            (
                &[("DRS_SELECT_ALL", "true"), ("DRS_ALARM_DIMENSION_MATCHES", "hostname")],
                "configuration DRS_ALARM_DIMENSION_MATCHES: is set but DRS_ALARM_DIMENSION",
            ),
            (
                &[("DRS_SELECT_ALL", "true"), ("DRS_ALARM_DIMENSION", "Host"), ("DRS_ALARM_DIMENSION_MATCHES", "ip")],
                "configuration DRS_ALARM_DIMENSION_MATCHES: `ip` is neither `hostname` nor `tag:<key>`",
            ),
            (
                &[("DRS_SELECT_ALL", "true"), ("DRS_REPLICATION_QUOTA", "0")],
                "configuration DRS_REPLICATION_QUOTA: 0 is out of range",
            ),
            (
                &[("DRS_SELECT_ALL", "true"), ("MAX_CONCURRENCY", "many")],
                "configuration MAX_CONCURRENCY: `many` is not a number",
            ),
            (
                &[("DRS_SELECT_ALL", "yes")],
                "configuration DRS_SELECT_ALL: `yes` is not a boolean",
            ),
        ];
        for (pairs, want) in cases {
            let got = DrsConfig::from_env(&Env::from_pairs(pairs.iter().copied()))
                .map(|_| ())
                .map_err(|e| e.to_string());
            match got {
                Err(e) => assert!(
                    e.starts_with(want),
                    "{pairs:?}: got `{e}`, want `{want}...`"
                ),
                Ok(()) => panic!("{pairs:?}: accepted, want `{want}`"),
            }
        }
    }
}
