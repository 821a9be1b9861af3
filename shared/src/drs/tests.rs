use super::*;
use crate::trigger::{AlarmDelivery, AlarmKind, AlarmState, Dimension};

fn load(pairs: &[(&str, &str)]) -> Result<ServerChoice, String> {
    ServerChoice::from_env(&Env::from_pairs(pairs.iter().copied())).map_err(|e| e.to_string())
}

/// A server as selection sees it.
#[derive(Default)]
struct Server {
    id: Option<SourceServerId>,
    hostname: Option<&'static str>,
    fqdn: Option<&'static str>,
    instance_id: Option<&'static str>,
    tags: Vec<(&'static str, &'static str)>,
    staging_account: Option<&'static str>,
}

impl Identified for Server {
    fn id(&self) -> &SourceServerId {
        self.id.as_ref().unwrap_or(&ID)
    }
    fn hostname(&self) -> Option<&str> {
        self.hostname
    }
    fn fqdn(&self) -> Option<&str> {
        self.fqdn
    }
    fn instance_id(&self) -> Option<&str> {
        self.instance_id
    }
    fn tag(&self, key: &str) -> Option<&str> {
        self.tags.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
    fn staging_account(&self) -> Option<&str> {
        self.staging_account
    }
}

static ID: std::sync::LazyLock<SourceServerId> =
    std::sync::LazyLock::new(|| SourceServerId::parse("s-1234567890abcdef0").unwrap());

fn alarm(name: &str, dimensions: &[(&str, &str)]) -> Alarm {
    Alarm {
        name: name.into(),
        arn: None,
        description: None,
        state: AlarmState::Alarm,
        previous_state: None,
        reason: None,
        account: None,
        kind: AlarmKind::Metric,
        dimensions: dimensions
            .iter()
            .map(|(n, v)| Dimension {
                name: (*n).into(),
                value: (*v).into(),
            })
            .collect(),
        delivery: AlarmDelivery::Sns,
    }
}

#[test]
fn tag_keys_are_those_selection_and_alarm_mapping_read() {
    type Vars<'a> = &'a [(&'a str, &'a str)];
    let cases: &[(Vars<'_>, &[&str])] = &[
        (&[("DRS_SELECT_ALL", "true")], &[]),
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
fn every_selection_and_mapping_variable_is_read() {
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
    ])
    .unwrap();
    assert_eq!(c.selection.source_server_ids.len(), 2);
    assert_eq!(
        c.selection.tags,
        TagFilter(vec![
            ("Env".into(), vec!["prod".into(), "dr".into()]),
            ("Tier".into(), vec![])
        ])
    );
    assert_eq!(c.selection.hostnames, ["web-1", "db-1.corp.example.com"]);
    assert_eq!(c.selection.instance_ids, ["i-0abc1234def567890"]);
    assert_eq!(c.selection.staging_accounts, ["111122223333"]);
    assert_eq!(
        c.alarm_mapping.dimension,
        Some(("Hostname".into(), DimensionMatch::Tag("Name".into())))
    );
    assert_eq!(c.alarm_mapping.tag_key.as_deref(), Some("dr:alarm"));
    assert_eq!(c.tag_keys(), vec!["Env", "Name", "Tier", "dr:alarm"]);
}

#[test]
fn invalid_selections_fail_with_the_variable_named() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[],
            "configuration DRS_SELECT_ALL: no source servers are selected",
        ),
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
        (
            &[("DRS_TAGS", "=prod")],
            "configuration DRS_TAGS: `=prod` has an empty tag key",
        ),
        (
            &[
                ("DRS_SELECT_ALL", "true"),
                ("DRS_STAGING_ACCOUNT_IDS", "1234"),
            ],
            "configuration DRS_STAGING_ACCOUNT_IDS: `1234` is not a 12-digit AWS account id",
        ),
        (
            &[
                ("DRS_SELECT_ALL", "true"),
                ("DRS_ALARM_DIMENSION_MATCHES", "hostname"),
            ],
            "configuration DRS_ALARM_DIMENSION_MATCHES: is set but DRS_ALARM_DIMENSION",
        ),
        (
            &[
                ("DRS_SELECT_ALL", "true"),
                ("DRS_ALARM_DIMENSION", "Host"),
                ("DRS_ALARM_DIMENSION_MATCHES", "ip"),
            ],
            "configuration DRS_ALARM_DIMENSION_MATCHES: `ip` is neither `hostname` nor `tag:<key>`",
        ),
        (
            &[("DRS_SELECT_ALL", "yes")],
            "configuration DRS_SELECT_ALL: `yes` is not a boolean",
        ),
    ];
    for (pairs, want) in cases {
        match load(pairs) {
            Err(e) => assert!(
                e.starts_with(want),
                "{pairs:?}: got `{e}`, want `{want}...`"
            ),
            Ok(_) => panic!("{pairs:?}: accepted, want `{want}`"),
        }
    }
}

#[test]
fn a_selection_covers_a_server_by_any_of_its_criteria() {
    let web = Server {
        hostname: Some("WEB-1"),
        fqdn: Some("web-1.corp.example.com"),
        instance_id: Some("i-0abc1234def567890"),
        tags: vec![("Env", "prod"), ("Tier", "web")],
        staging_account: Some("111122223333"),
        ..Server::default()
    };
    let cases: &[(&[(&str, &str)], bool)] = &[
        (&[("DRS_SELECT_ALL", "true")], true),
        (&[("DRS_SOURCE_SERVER_IDS", "s-1234567890abcdef0")], true),
        (&[("DRS_SOURCE_SERVER_IDS", "s-00000000000000000")], false),
        (&[("DRS_HOSTNAMES", "web-1")], true),
        (&[("DRS_HOSTNAMES", "WEB-1.corp.example.com")], true),
        (&[("DRS_HOSTNAMES", "web-2")], false),
        (&[("DRS_INSTANCE_IDS", "i-0abc1234def567890")], true),
        (&[("DRS_TAGS", "Env=prod,Tier")], true),
        (&[("DRS_TAGS", "Env=prod,Env=dr")], true),
        (&[("DRS_TAGS", "Env=prod,Owner")], false),
        (&[("DRS_TAGS", "Env=dr")], false),
        (
            &[
                ("DRS_SELECT_ALL", "true"),
                ("DRS_STAGING_ACCOUNT_IDS", "111122223333"),
            ],
            true,
        ),
        (
            &[
                ("DRS_SELECT_ALL", "true"),
                ("DRS_STAGING_ACCOUNT_IDS", "444455556666"),
            ],
            false,
        ),
    ];
    for (pairs, want) in cases {
        let choice = load(pairs).unwrap();
        assert_eq!(choice.selection.covers(&web), *want, "{pairs:?}");
    }
}

#[test]
fn an_alarm_maps_to_servers_by_instance_id_dimension_or_tag() {
    let web = Server {
        hostname: Some("web-1"),
        instance_id: Some("i-0abc1234def567890"),
        tags: vec![("Name", "web"), ("dr:alarm", "web-down")],
        ..Server::default()
    };
    let by_hostname = AlarmMapping {
        dimension: Some(("Host".into(), DimensionMatch::Hostname)),
        tag_key: None,
    };
    let by_tag = AlarmMapping {
        dimension: Some(("Host".into(), DimensionMatch::Tag("Name".into()))),
        tag_key: Some("dr:alarm".into()),
    };
    let cases: &[(&AlarmMapping, Alarm, bool)] = &[
        (
            &AlarmMapping::default(),
            alarm("cpu", &[("InstanceId", "i-0abc1234def567890")]),
            true,
        ),
        (
            &AlarmMapping::default(),
            alarm("cpu", &[("InstanceId", "i-0000000000000000")]),
            false,
        ),
        (&by_hostname, alarm("cpu", &[("Host", "WEB-1")]), true),
        (&by_hostname, alarm("cpu", &[("Other", "web-1")]), false),
        (&by_tag, alarm("cpu", &[("Host", "web")]), true),
        (&by_tag, alarm("web-down", &[]), true),
        (&by_tag, alarm("db-down", &[]), false),
    ];
    for (mapping, alarm, want) in cases {
        assert_eq!(mapping.maps(alarm, &web), *want, "{mapping:?} {alarm:?}");
    }
}

#[test]
fn only_the_tags_a_function_reads_are_kept_in_key_order() {
    let tags = HashMap::from([
        ("Tier".to_owned(), "1".to_owned()),
        ("Env".to_owned(), "prod".to_owned()),
        ("CostCentre".to_owned(), "42".to_owned()),
    ]);
    assert_eq!(
        kept_tags(Some(tags), &["Tier", "Env", "Owner"]),
        [
            ("Env".to_owned(), "prod".to_owned()),
            ("Tier".to_owned(), "1".to_owned())
        ]
    );
    assert!(kept_tags(None, &["Env"]).is_empty());
}

#[test]
fn a_replication_error_reads_as_its_code_and_raw_text_as_far_as_given() {
    let rows = [
        (
            Some("AGENT_NOT_SEEN"),
            Some("no heartbeat"),
            "AGENT_NOT_SEEN (no heartbeat)",
        ),
        (Some("AGENT_NOT_SEEN"), None, "AGENT_NOT_SEEN"),
        (None, Some("no heartbeat"), "no heartbeat"),
        (None, None, "no error given"),
    ];
    for (code, raw, want) in rows {
        assert_eq!(replication_error_text(code, raw.map(str::to_owned)), want);
    }
}
