use super::*;
use crate::testing::{healthy, sid};

fn load(servers: &str, extra: &[(&'static str, &'static str)]) -> Result<MgnConfig, String> {
    let mut pairs = vec![(SERVERS_VAR, servers)];
    pairs.extend_from_slice(extra);
    MgnConfig::from_env(&Env::from_pairs(pairs)).map_err(|e| e.to_string())
}

#[test]
fn an_entry_without_options_takes_the_documented_defaults() {
    let c = load(r#"{"servers": [{"hostname": "web-1"}]}"#, &[]).unwrap();
    assert_eq!(c.max_active, 150);
    let spec = &c.servers[0];
    assert_eq!(spec.name, ServerRef::Hostname("web-1".into()));
    assert_eq!(
        spec.policy,
        ServerPolicy {
            start: StartPolicy::New,
            replication: ReplicationSettings::new(),
            on_stall: StallPolicy {
                cool_down_secs: 3600,
                max_consecutive_stalls: 3
            },
            resume_paused: false,
            test: TestPolicy {
                enabled: false,
                ttl_secs: 4 * 3600,
                then: AfterTest::ReadyForTest
            },
        }
    );
}

#[test]
fn defaults_apply_to_every_entry_and_an_entry_overrides_them() {
    let c = load(
        r#"{"defaults": {"onStall": {"coolDown": "30m"}, "resumePaused": true,
                         "replication": {"createPublicIP": false, "bandwidthThrottling": 50},
                         "testLaunch": {"enabled": true, "ttl": "2h"}},
            "servers": [{"tags": {"wave": "1"}},
                        {"sourceServerId": "s-1234567890abcdef0", "resumePaused": false,
                         "replication": {"bandwidthThrottling": 0},
                         "onStall": {"maxConsecutiveStalls": 5},
                         "testLaunch": {"then": "ready-for-cutover"}}]}"#,
        &[("MGN_MAX_ACTIVE_SERVERS", "300")],
    )
    .unwrap();
    assert_eq!(c.max_active, 300);
    let (first, second) = (&c.servers[0].policy, &c.servers[1].policy);
    assert!(first.resume_paused && !second.resume_paused);
    assert_eq!(second.on_stall.cool_down_secs, 1800);
    assert_eq!(second.on_stall.max_consecutive_stalls, 5);
    assert_eq!(
        second.replication.get(&Setting::BandwidthThrottling),
        Some(&SettingValue::Number(0))
    );
    assert_eq!(
        second.replication.get(&Setting::CreatePublicIp),
        Some(&SettingValue::Flag(false))
    );
    assert_eq!(
        (second.test.enabled, second.test.ttl_secs, second.test.then),
        (true, 7200, AfterTest::ReadyForCutover)
    );
}

#[test]
fn start_times_parse_as_now_manual_or_a_time() {
    let cases = [
        ("now", StartPolicy::Now),
        ("manual", StartPolicy::Manual),
        ("2026-12-24T08:00:00Z", StartPolicy::At(1_798_099_200)),
    ];
    for (text, want) in cases {
        let doc = format!(r#"{{"servers": [{{"hostname": "a", "startReplication": "{text}"}}]}}"#);
        let c = load(&doc, &[]).unwrap();
        assert_eq!(c.servers[0].policy.start, want, "{text}");
    }
}

#[test]
fn security_groups_are_a_set() {
    let c = load(
        r#"{"servers": [{"hostname": "a", "replication":
            {"replicationServersSecurityGroupsIDs": ["sg-0000000b", "sg-0000000a", "sg-0000000b"]}}]}"#,
        &[],
    )
    .unwrap();
    assert_eq!(
        c.servers[0]
            .policy
            .replication
            .get(&Setting::ReplicationServersSecurityGroupsIds),
        Some(&SettingValue::Ids(vec![
            "sg-0000000a".into(),
            "sg-0000000b".into()
        ]))
    );
}

#[test]
fn invalid_documents_fail_naming_the_entry_and_field() {
    let cases: &[(&str, &str)] = &[
        ("[]", "configuration MGN_SERVERS: is not a JSON object with `servers`"),
        (r#"{"servers": []}"#, "configuration MGN_SERVERS: servers: is empty"),
        (r#"{"servers": [{}]}"#, "configuration MGN_SERVERS: servers[0]: names no server"),
        (
            r#"{"servers": [{"hostname": "a", "sourceServerId": "s-1234567890abcdef0"}]}"#,
            "configuration MGN_SERVERS: servers[0]: names its servers more than one way",
        ),
        (
            r#"{"servers": [{"sourceServerId": "web-1"}]}"#,
            "configuration MGN_SERVERS: servers[0].sourceServerId: `web-1` is not a source server id",
        ),
        (
            r#"{"servers": [{"hostname": "a"}, {"hostname": "a"}]}"#,
            "configuration MGN_SERVERS: servers[1]: names the same servers as servers[0]",
        ),
        (
            r#"{"defaults": {"hostname": "a"}, "servers": [{"hostname": "b"}]}"#,
            "configuration MGN_SERVERS: defaults: names servers",
        ),
        (
            r#"{"servers": [{"hostname": "a", "seedTime": "now"}]}"#,
            "configuration MGN_SERVERS: servers[0]: unknown field `seedTime`",
        ),
        (
            r#"{"servers": [{"hostname": "a", "startReplication": "soon"}]}"#,
            "configuration MGN_SERVERS: servers[0].startReplication: `soon` is not",
        ),
        (
            r#"{"servers": [{"tags": {"wave": 1}}]}"#,
            "configuration MGN_SERVERS: servers[0].tags: `wave` has 1, not a string",
        ),
        (
            r#"{"servers": [{"hostname": "a", "onStall": {"coolDown": "soon"}}]}"#,
            "configuration MGN_SERVERS: servers[0].onStall.coolDown: `soon` is not a positive duration",
        ),
        (
            r#"{"servers": [{"hostname": "a", "onStall": {"maxConsecutiveStalls": 0}}]}"#,
            "configuration MGN_SERVERS: servers[0].onStall.maxConsecutiveStalls: is 0",
        ),
        (
            r#"{"servers": [{"hostname": "a", "testLaunch": {"then": "cutover"}}]}"#,
            "configuration MGN_SERVERS: servers[0].testLaunch.then: `cutover` is not",
        ),
        (
            r#"{"servers": [{"hostname": "a", "replication": {"ebsEncryption": "CUSTOM"}}]}"#,
            "configuration MGN_SERVERS: servers[0].replication: ebsEncryption: CUSTOM needs ebsEncryptionKeyArn",
        ),
        (
            r#"{"servers": [{"hostname": "a", "replication": {"ebsEncryptionKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k"}}]}"#,
            "configuration MGN_SERVERS: servers[0].replication: ebsEncryptionKeyArn: is set, but ebsEncryption is not CUSTOM",
        ),
        (
            r#"{"servers": [{"hostname": "a", "replication": {"ebsEncryption": "CUSTOM", "ebsEncryptionKeyArn": "arn:aws:s3:::bucket"}}]}"#,
            "configuration MGN_SERVERS: servers[0].replication: ebsEncryptionKeyArn: `arn:aws:s3:::bucket` is not a KMS key ARN",
        ),
        (
            r#"{"servers": [{"hostname": "a", "replication": {"bandwidthThrottling": 20000}}]}"#,
            "configuration MGN_SERVERS: servers[0].replication: bandwidthThrottling: 20000 is not a whole number from 0 to 10000",
        ),
        (
            r#"{"servers": [{"hostname": "a", "replication": {"stagingAreaSubnetId": "subnet-xyz"}}]}"#,
            "configuration MGN_SERVERS: servers[0].replication: stagingAreaSubnetId: `subnet-xyz` is not a subnet id",
        ),
        (
            r#"{"servers": [{"hostname": "a", "replication": {"defaultLargeStagingDiskType": "IO2"}}]}"#,
            "configuration MGN_SERVERS: servers[0].replication: defaultLargeStagingDiskType: `IO2` is not one of GP2, ST1, GP3",
        ),
        (
            r#"{"servers": [{"hostname": "a", "replication": {"stagingAreaTags": {}}}]}"#,
            "configuration MGN_SERVERS: servers[0].replication: `stagingAreaTags` is not a supported setting",
        ),
    ];
    for (doc, want) in cases {
        match load(doc, &[]) {
            Err(e) => assert!(e.starts_with(want), "{doc}: got `{e}`, want `{want}...`"),
            Ok(_) => panic!("{doc}: accepted, want `{want}`"),
        }
    }
}

#[test]
fn a_missing_variable_or_a_bad_quota_is_refused() {
    let missing = MgnConfig::from_env(&Env::from_pairs([])).map_err(|e| e.to_string());
    assert!(missing
        .unwrap_err()
        .starts_with("configuration MGN_SERVERS"));
    let bad = load(
        r#"{"servers": [{"hostname": "a"}]}"#,
        &[(MAX_ACTIVE_VAR, "0")],
    );
    assert!(bad
        .unwrap_err()
        .starts_with("configuration MGN_MAX_ACTIVE_SERVERS: 0 is out of range"));
}

#[test]
fn a_hostname_names_a_server_by_hostname_or_the_first_label_of_its_fqdn() {
    let mut s = healthy(1);
    for (name, names) in [
        ("HOST-1", true),
        ("host-1.corp.example.com", true),
        ("host", false),
    ] {
        assert_eq!(ServerRef::Hostname(name.into()).names(&s), names, "{name}");
    }
    s.hostname = None;
    assert!(ServerRef::Hostname("host-1".into()).names(&s));
}

#[test]
fn the_first_entry_that_names_a_server_decides_its_policy() {
    let c = load(
        r#"{"servers": [{"sourceServerId": "s-00000000000000001", "resumePaused": true},
                        {"hostname": "host-1"}]}"#,
        &[],
    )
    .unwrap();
    let s = healthy(1);
    assert_eq!(s.id, sid(1));
    assert!(c.policy_for(&s).unwrap().resume_paused);
}

#[test]
fn an_entry_that_chooses_its_encryption_does_not_inherit_the_default_key() {
    let c = load(
        r#"{"defaults": {"replication": {"ebsEncryption": "CUSTOM",
             "ebsEncryptionKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k"}},
            "servers": [{"hostname": "a", "replication": {"ebsEncryption": "DEFAULT"}}]}"#,
        &[],
    )
    .unwrap();
    let replication = &c.servers[0].policy.replication;
    assert_eq!(
        replication.get(&Setting::EbsEncryption),
        Some(&SettingValue::Text("DEFAULT".into()))
    );
    assert!(!replication.contains_key(&Setting::EbsEncryptionKeyArn));
}

#[test]
fn a_kms_alias_is_refused_as_the_encryption_key() {
    let e = load(
        r#"{"servers": [{"hostname": "a", "replication": {"ebsEncryption": "CUSTOM",
             "ebsEncryptionKeyArn": "arn:aws:kms:us-east-1:123456789012:alias/mgn"}}]}"#,
        &[],
    )
    .unwrap_err();
    assert!(e.contains("is not a KMS key ARN"), "{e}");
}
