use super::*;
use crate::testing::NOW;

fn load(pairs: &[(&str, &str)]) -> Result<SmsConfig, String> {
    SmsConfig::from_env(&Env::from_pairs(pairs.iter().copied()), NOW).map_err(|e| e.to_string())
}

fn jobs(doc: &str) -> Result<Vec<JobSpec>, String> {
    load(&[(JOBS_VAR, doc)]).map(|c| c.jobs)
}

/// An `SMS_JOBS` of one job every 12 hours.
const ONE_JOB: &str = r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12}]}"#;

#[test]
fn now_constant_is_the_documented_time() {
    assert_eq!(
        DateTime::from_secs(NOW)
            .fmt(Format::DateTime)
            .ok()
            .as_deref(),
        Some("2026-11-20T10:00:00Z")
    );
}

#[test]
fn a_minimal_job_takes_the_defaults() {
    let c = load(&[(
        JOBS_VAR,
        r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12}]}"#,
    )])
    .unwrap();
    assert_eq!(
        c.jobs,
        vec![JobSpec {
            server: ServerRef::Id("s-12345678".into()),
            seed: SeedTime::Now,
            options: JobOptions::every(12),
            on_failure: FailurePolicy {
                cool_down_secs: 3600,
                resume_with: ResumeWith::OnDemandRun,
                max_consecutive_failures: 5,
            },
        }]
    );
}

#[test]
fn sms_makes_four_calls_at_once_by_default() {
    let c = load(&[(JOBS_VAR, ONE_JOB)]).unwrap();
    let want = Settings {
        max_concurrency: 4,
        ..Settings::default()
    };
    assert_eq!(c.settings, want);
}

#[test]
fn max_concurrency_is_bounded_by_sms_own_limit() {
    for (value, want) in [
        (
            "0",
            Err("configuration MAX_CONCURRENCY: 0 is out of range (allowed 1 to 50)"),
        ),
        (
            "51",
            Err("configuration MAX_CONCURRENCY: 51 is out of range (allowed 1 to 50)"),
        ),
        ("8", Ok(8)),
    ] {
        let got = load(&[(JOBS_VAR, ONE_JOB), ("MAX_CONCURRENCY", value)]);
        assert_eq!(
            got.map(|c| c.settings.max_concurrency),
            want.map_err(str::to_owned),
            "{value}"
        );
    }
}

#[test]
fn the_shared_variables_are_read_into_settings() {
    let c = load(&[
        (JOBS_VAR, ONE_JOB),
        (
            "REPORT_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:reports",
        ),
        (
            "TRIGGER_TOPIC_ARNS",
            "arn:aws:sns:us-east-1:123456789012:sms-events",
        ),
        ("DRY_RUN", "true"),
        ("ACCOUNT_ID", "123456789012"),
    ])
    .unwrap();
    let topic = c.settings.report_topic.as_ref().map(Arn::resource);
    assert_eq!(topic, Some("reports"));
    assert_eq!(c.settings.trigger_topics[0].resource(), "sms-events");
    assert!(c.settings.dry_run);
    assert_eq!(c.settings.home_account.as_deref(), Some("123456789012"));
}

#[test]
fn sms_jobs_must_be_set() {
    assert_eq!(
        load(&[]).unwrap_err(),
        "configuration SMS_JOBS: is required but not set"
    );
}

/// One job of every form, each taking or overriding the defaults that set every option.
const EVERY_OPTION: &str = r#"{
    "defaults": {
        "frequency": 12, "licenseType": "BYOL", "roleName": "sms", "description": "wave 1",
        "numberOfRecentAmisToKeep": 3, "encrypted": true,
        "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:alias/sms-amis",
        "seedReplicationTime": "+2h",
        "onFailure": {"coolDownMinutes": 30, "resumeWith": "reschedule", "maxConsecutiveFailures": 4}
    },
    "jobs": [
        {"serverId": "s-1234567890abcdef0"},
        {"vmName": "web-1", "runOnce": true, "licenseType": "auto", "encrypted": false},
        {"hostname": "db-1.corp.example.com", "frequency": 24, "licenseType": "AWS",
         "kmsKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "onFailure": {"resumeWith": "onDemandRun"}},
        {"vmPath": "/Datacenters/DC1/vm/app-1", "seedReplicationTime": "2026-12-01T08:30:00+01:00",
         "numberOfRecentAmisToKeep": 0, "roleName": "sms-custom.role@x", "description": "app"}
    ]
}"#;

/// The failure policy of [`EVERY_OPTION`]'s defaults.
const DEFAULT_POLICY: FailurePolicy = FailurePolicy {
    cool_down_secs: 1800,
    resume_with: ResumeWith::Reschedule,
    max_consecutive_failures: 4,
};

/// Job `i` of [`EVERY_OPTION`].
fn every_option(i: usize) -> JobSpec {
    jobs(EVERY_OPTION).unwrap().swap_remove(i)
}

#[test]
fn a_job_that_sets_nothing_takes_every_default() {
    let job = every_option(0);
    assert_eq!(job.server, ServerRef::Id("s-1234567890abcdef0".into()));
    assert_eq!(job.seed, SeedTime::After(7200));
    let o = &job.options;
    assert_eq!((o.frequency, o.run_once), (Some(12), None));
    assert_eq!(o.license, License::Byol);
    assert_eq!(o.role_name.as_deref(), Some("sms"));
    assert_eq!(o.description.as_deref(), Some("wave 1"));
    assert_eq!(o.amis_to_keep, Some(3));
    assert_eq!(o.encrypted, Some(true));
    let key = "arn:aws:kms:us-east-1:123456789012:alias/sms-amis";
    assert_eq!(o.kms_key_id.as_deref(), Some(key));
    assert_eq!(job.on_failure, DEFAULT_POLICY);
}

#[test]
fn run_once_replaces_the_default_frequency() {
    let job = every_option(1);
    assert_eq!(job.server, ServerRef::VmName("web-1".into()));
    assert_eq!(
        (job.options.frequency, job.options.run_once),
        (None, Some(true))
    );
    assert!(job.is_one_time());
    assert_eq!(job.options.license, License::Auto);
}

#[test]
fn encrypted_false_drops_the_default_key() {
    let o = every_option(1).options;
    assert_eq!((o.encrypted, o.kms_key_id.as_deref()), (Some(false), None));
}

#[test]
fn a_job_option_overrides_its_default() {
    let job = every_option(2);
    assert_eq!(
        job.server,
        ServerRef::Hostname("db-1.corp.example.com".into())
    );
    assert_eq!(job.options.frequency, Some(24));
    assert_eq!(job.options.license, License::Aws);
    let key = "1234abcd-12ab-34cd-56ef-1234567890ab";
    assert_eq!(job.options.kms_key_id.as_deref(), Some(key));
    let policy = FailurePolicy {
        resume_with: ResumeWith::OnDemandRun,
        ..DEFAULT_POLICY
    };
    assert_eq!(job.on_failure, policy);
}

#[test]
fn a_seed_time_with_an_offset_and_zero_amis_are_kept() {
    let job = every_option(3);
    assert_eq!(
        job.server,
        ServerRef::VmPath("/Datacenters/DC1/vm/app-1".into())
    );
    // 08:30 at +01:00 is 07:30Z, eleven days and 21.5 hours after NOW.
    assert_eq!(job.seed, SeedTime::At(NOW + 11 * 86_400 - 2 * 3600 - 1800));
    assert_eq!(job.options.amis_to_keep, Some(0));
    assert_eq!(job.options.role_name.as_deref(), Some("sms-custom.role@x"));
}

#[test]
fn seed_time_forms() {
    let cases = [
        ("+30m", Ok(SeedTime::After(1800))),
        ("+2h", Ok(SeedTime::After(7200))),
        ("+30d", Ok(SeedTime::After(30 * 86_400))),
        ("2026-11-20T10:00:00Z", Ok(SeedTime::At(NOW))),
        ("2026-12-20T10:00:00Z", Ok(SeedTime::At(NOW + 30 * 86_400))),
        (
            "2026-11-01T00:00:00Z",
            Ok(SeedTime::At(NOW - 19 * 86_400 - 10 * 3600)),
        ),
        ("+31d", Err("`+31d` is more than 30 days ahead")),
        (
            "2026-12-20T10:00:01Z",
            Err("`2026-12-20T10:00:01Z` is more than 30 days ahead"),
        ),
        ("+2w", Err("`+2w` is not an offset like +30m, +2h or +1d")),
        ("+h", Err("`+h` is not an offset")),
        ("+-1h", Err("`+-1h` is not an offset")),
        (
            "tomorrow",
            Err("`tomorrow` is neither an RFC 3339 time nor an offset like +2h"),
        ),
        (
            "2026-11-20",
            Err("`2026-11-20` is neither an RFC 3339 time"),
        ),
    ];
    for (text, want) in cases {
        let got = parse_seed(text, NOW);
        match (&got, &want) {
            (Ok(g), Ok(w)) => assert_eq!(g, w, "{text}"),
            (Err(g), Err(w)) => assert!(g.starts_with(w), "{text}: got `{g}`, want `{w}...`"),
            _ => panic!("{text}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn kms_key_forms() {
    for ok in [
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "mrk-1234abcd12ab34cd56ef1234567890ab",
        "alias/sms-amis",
        "alias/aws/ebs",
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/sms-amis",
    ] {
        assert_eq!(check_kms_key(ok), Ok(()), "{ok}");
    }
    for bad in [
        "my-key",
        "1234abcd-12ab-34cd-56ef",
        "alias/",
        "alias/has space",
        "arn:aws:s3:::bucket",
        "arn:aws:kms:us-east-1:123456789012:grant/abc",
        "arn:aws:kms:us-east-1:12345:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ] {
        assert!(check_kms_key(bad).is_err(), "{bad}");
    }
}

#[test]
fn server_id_shape() {
    for (id, ok) in [
        ("s-12345678", true),
        ("s-1234567890abcdef0", true),
        ("s-1234567", false),
        ("s-1234567890abcdef01", false),
        ("i-12345678", false),
        ("s-1234-5678", false),
    ] {
        assert_eq!(is_server_id(id), ok, "{id}");
    }
}

#[test]
fn invalid_configurations_fail_with_the_variable_and_field_named() {
    let cases: &[(&str, &str)] = &[
        ("[]", "configuration SMS_JOBS: is not a JSON object with `jobs`"),
        ("{", "configuration SMS_JOBS: is not a JSON object with `jobs`"),
        (r#"{"jobs": []}"#, "configuration SMS_JOBS: jobs: is empty"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12}], "extra": 1}"#, "configuration SMS_JOBS: is not a JSON object"),
        (r#"{"jobs": [{"frequency": 12}]}"#, "configuration SMS_JOBS: jobs[0]: give exactly one of serverId, vmName, hostname or vmPath (found 0)"),
        (r#"{"jobs": [{"serverId": "s-12345678", "vmName": "a", "frequency": 12}]}"#, "configuration SMS_JOBS: jobs[0]: give exactly one of serverId, vmName, hostname or vmPath (found 2)"),
        (r#"{"jobs": [{"serverId": "web-1", "frequency": 12}]}"#, "configuration SMS_JOBS: jobs[0].serverId: `web-1` is not an SMS server id"),
        (r#"{"jobs": [{"vmName": " ", "frequency": 12}]}"#, "configuration SMS_JOBS: jobs[0].vmName: is empty"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12, "frequencyHours": 3}]}"#, "configuration SMS_JOBS: jobs[0]: unknown field `frequencyHours`"),
        (r#"{"jobs": [{"serverId": "s-12345678"}]}"#, "configuration SMS_JOBS: jobs[0].frequency: is required (hours between runs, 1 to 24) unless runOnce is true"),
        (r#"{"jobs": [{"serverId": "s-12345678", "runOnce": false}]}"#, "configuration SMS_JOBS: jobs[0].frequency: is required"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12, "runOnce": true}]}"#, "configuration SMS_JOBS: jobs[0].runOnce: is true, which takes no frequency"),
        (r#"{"defaults": {"frequency": 12, "runOnce": true}, "jobs": [{"serverId": "s-12345678"}]}"#, "configuration SMS_JOBS: jobs[0].runOnce: is true, which takes no frequency"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 0}]}"#, "configuration SMS_JOBS: jobs[0].frequency: 0 is out of range (allowed 1 to 24 hours)"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 25}]}"#, "configuration SMS_JOBS: jobs[0].frequency: 25 is out of range"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": "12"}]}"#, "configuration SMS_JOBS: jobs[0]: invalid type: string \"12\", expected i32"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12, "seedReplicationTime": "+45d"}]}"#, "configuration SMS_JOBS: jobs[0].seedReplicationTime: `+45d` is more than 30 days ahead"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12, "seedReplicationTime": "2027-01-01T00:00:00Z"}]}"#, "configuration SMS_JOBS: jobs[0].seedReplicationTime: `2027-01-01T00:00:00Z` is more than 30 days ahead"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12, "licenseType": "byol"}]}"#, "configuration SMS_JOBS: jobs[0].licenseType: `byol` is not AWS, BYOL or auto"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12, "roleName": "arn:aws:iam::123456789012:role/sms"}]}"#, "configuration SMS_JOBS: jobs[0].roleName: `arn:aws:iam::123456789012:role/sms` is an ARN; give the role name only"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12, "roleName": "sms role"}]}"#, "configuration SMS_JOBS: jobs[0].roleName: `sms role` is not an IAM role name"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12, "description": ""}]}"#, "configuration SMS_JOBS: jobs[0].description: is empty"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12, "numberOfRecentAmisToKeep": -1}]}"#, "configuration SMS_JOBS: jobs[0].numberOfRecentAmisToKeep: -1 is negative"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12, "kmsKeyId": "alias/sms"}]}"#, "configuration SMS_JOBS: jobs[0].kmsKeyId: is set but encrypted is not true"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12, "encrypted": false, "kmsKeyId": "alias/sms"}]}"#, "configuration SMS_JOBS: jobs[0].kmsKeyId: is set but encrypted is not true"),
        (r#"{"defaults": {"kmsKeyId": "alias/sms"}, "jobs": [{"serverId": "s-12345678", "frequency": 12}]}"#, "configuration SMS_JOBS: jobs[0].kmsKeyId: is set but encrypted is not true"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12, "encrypted": true, "kmsKeyId": "my-key"}]}"#, "configuration SMS_JOBS: jobs[0].kmsKeyId: `my-key` is not a KMS key id"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12, "onFailure": {"coolDownMinutes": 20000}}]}"#, "configuration SMS_JOBS: jobs[0].onFailure.coolDownMinutes: 20000 is out of range"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12, "onFailure": {"maxConsecutiveFailures": 0}}]}"#, "configuration SMS_JOBS: jobs[0].onFailure.maxConsecutiveFailures: 0 is out of range (allowed 1 to 100)"),
        (r#"{"jobs": [{"serverId": "s-12345678", "frequency": 12, "onFailure": {"resumeWith": "restart"}}]}"#, "configuration SMS_JOBS: jobs[0]: unknown variant `restart`, expected `onDemandRun` or `reschedule`"),
        (r#"{"defaults": {"vmName": "x"}, "jobs": [{"serverId": "s-12345678", "frequency": 12}]}"#, "configuration SMS_JOBS: defaults: names a server"),
        (r#"{"jobs": [{"vmName": "web-1", "frequency": 12}, {"vmName": "web-1", "runOnce": true}]}"#, "configuration SMS_JOBS: jobs[1]: names the same server as jobs[0] (vmName=web-1)"),
    ];
    for (doc, want) in cases {
        match load(&[(JOBS_VAR, doc)]) {
            Err(e) => assert!(e.starts_with(want), "{doc}:\n got `{e}`\nwant `{want}...`"),
            Ok(_) => panic!("{doc}: accepted, want `{want}`"),
        }
    }
}
