//! S3 PutObject through aws-sdk-s3 (path-style), raw HTTP and the admin API.

use crate::common::{assert_error, failing, Env};
use crate::wire::{admin, signed};
use aws_config::retry::RetryConfig;
use aws_sdk_s3::primitives::ByteStream;
use dr_emulator::{Fixture, S3Bucket};
use serde_json::{json, Value};

const HISTORY: &str = "dr-automation-history";
const KEY: &str = "history/backup-copy-fanout/2026-12-02/20261202T011045Z-3f2b.json";
const REPORT: &str = r#"{"function":"backup-copy-fanout","status":"ok"}"#;

/// An emulator whose fixture has only the bucket `bucket` (SSE-S3, unversioned).
async fn with_bucket(bucket: &str) -> Env {
    let fixture = Fixture {
        s3: dr_emulator::fixture::S3Fixture {
            buckets: vec![S3Bucket::new(bucket)],
        },
        ..Fixture::default()
    };
    Env::new(fixture).await
}

/// Lower-case hex MD5 of `bytes`, computed here the long way round (through the admin API's
/// view would prove nothing).
fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest as _;
    md5::Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn put_object_stores_the_body_under_its_key_and_answers_with_the_md5_etag() {
    let env = with_bucket(HISTORY).await;
    let out = env
        .s3()
        .put_object()
        .bucket(HISTORY)
        .key(KEY)
        .content_type("application/json")
        .body(ByteStream::from_static(REPORT.as_bytes()))
        .send()
        .await
        .expect("put");
    assert_eq!(
        out.e_tag(),
        Some(format!("\"{}\"", md5_hex(REPORT.as_bytes())).as_str())
    );
    let objects = env
        .emulator
        .s3_objects(HISTORY, "history/")
        .expect("bucket");
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0].key, KEY);
    assert_eq!(objects[0].text(), Some(REPORT));
    assert_eq!(objects[0].content_type, "application/json");
    assert_eq!(env.emulator.calls("s3:PutObject"), 1);
}

#[tokio::test]
async fn a_key_with_spaces_and_unicode_is_stored_decoded() {
    let env = with_bucket(HISTORY).await;
    let key = "history/a b/été+1.json";
    env.s3()
        .put_object()
        .bucket(HISTORY)
        .key(key)
        .body(ByteStream::from_static(b"{}"))
        .send()
        .await
        .expect("put");
    let objects = env.emulator.s3_objects(HISTORY, "").expect("bucket");
    assert_eq!(objects[0].key, key);
}

#[tokio::test]
async fn a_streaming_body_sent_aws_chunked_is_stored_decoded() {
    let env = with_bucket(HISTORY).await;
    let path = std::env::temp_dir().join(format!("dr-emulator-s3-{}.json", std::process::id()));
    std::fs::write(&path, REPORT).expect("write body file");
    let body = ByteStream::from_path(&path).await.expect("body from file");
    env.s3()
        .put_object()
        .bucket(HISTORY)
        .key(KEY)
        .body(body)
        .send()
        .await
        .expect("put");
    std::fs::remove_file(&path).expect("remove body file");
    let objects = env.emulator.s3_objects(HISTORY, KEY).expect("bucket");
    assert_eq!(objects[0].text(), Some(REPORT));
}

#[tokio::test]
async fn a_put_to_a_bucket_never_created_is_no_such_bucket() {
    let env = with_bucket(HISTORY).await;
    let err = env
        .s3()
        .put_object()
        .bucket("not-created")
        .key(KEY)
        .body(ByteStream::from_static(b"{}"))
        .send()
        .await
        .expect_err("no bucket");
    assert_error(&err, "NoSuchBucket", 404);
    assert_eq!(env.emulator.calls("s3:PutObject"), 1);
}

#[tokio::test]
async fn the_demo_bucket_answers_with_its_kms_key_and_a_new_version_per_write() {
    let env = Env::new(Fixture::demo()).await;
    let put = || {
        env.s3()
            .put_object()
            .bucket(HISTORY)
            .key(KEY)
            .body(ByteStream::from_static(REPORT.as_bytes()))
            .send()
    };
    let first = put().await.expect("first put");
    let second = put().await.expect("second put");
    assert_eq!(
        first.server_side_encryption().map(|s| s.as_str()),
        Some("aws:kms")
    );
    let key = Fixture::demo().s3.buckets[0].kms_key_id.clone();
    assert_eq!(first.ssekms_key_id().map(str::to_owned), key);
    let (v1, v2) = (first.version_id(), second.version_id());
    assert!(v1.is_some() && v2.is_some() && v1 != v2, "{v1:?} {v2:?}");
    let objects = env.emulator.s3_objects(HISTORY, "").expect("bucket");
    assert_eq!(objects.len(), 1, "one key, its latest version");
    assert_eq!(objects[0].version_id.as_deref(), v2);
}

#[tokio::test]
async fn an_unencrypted_bucket_answers_with_sse_s3() {
    let env = with_bucket(HISTORY).await;
    let out = env
        .s3()
        .put_object()
        .bucket(HISTORY)
        .key(KEY)
        .body(ByteStream::from_static(b"{}"))
        .send()
        .await
        .expect("put");
    assert_eq!(
        out.server_side_encryption().map(|s| s.as_str()),
        Some("AES256")
    );
    assert_eq!(out.version_id(), None);
}

#[tokio::test]
async fn an_injected_access_denied_fails_the_write_and_stores_nothing() {
    let env = with_bucket(HISTORY).await;
    env.emulator
        .set_fault(failing("s3:PutObject", "AccessDenied", 1.0, None))
        .expect("rule");
    let err = env
        .s3()
        .put_object()
        .bucket(HISTORY)
        .key(KEY)
        .body(ByteStream::from_static(REPORT.as_bytes()))
        .send()
        .await
        .expect_err("denied");
    assert_error(&err, "AccessDenied", 403);
    assert!(env
        .emulator
        .s3_objects(HISTORY, "")
        .expect("bucket")
        .is_empty());
    assert_eq!(env.emulator.calls("s3:PutObject"), 1);
}

#[tokio::test]
async fn an_injected_internal_error_is_s3s_own_500_and_the_sdk_retries_it() {
    let env = Env::with_retries(
        Fixture {
            s3: dr_emulator::fixture::S3Fixture {
                buckets: vec![S3Bucket::new(HISTORY)],
            },
            ..Fixture::default()
        },
        RetryConfig::standard().with_max_attempts(2),
    )
    .await;
    env.emulator
        .set_fault(failing(
            "s3:PutObject",
            "InternalServerException",
            1.0,
            Some(1),
        ))
        .expect("rule");
    env.s3()
        .put_object()
        .bucket(HISTORY)
        .key(KEY)
        .body(ByteStream::from_static(REPORT.as_bytes()))
        .send()
        .await
        .expect("the retry succeeds");
    assert_eq!(env.emulator.calls("s3:PutObject"), 2);
    assert_eq!(
        env.emulator
            .faults_injected()
            .get("InternalServerException"),
        Some(&1)
    );
}

#[tokio::test]
async fn injected_throttling_is_slow_down_503() {
    let env = with_bucket(HISTORY).await;
    env.emulator
        .set_fault(failing("s3:PutObject", "ThrottlingException", 1.0, None))
        .expect("rule");
    let err = env
        .s3()
        .put_object()
        .bucket(HISTORY)
        .key(KEY)
        .body(ByteStream::from_static(b"{}"))
        .send()
        .await
        .expect_err("throttled");
    assert_error(&err, "SlowDown", 503);
}

const WRONG_SHA: &str = "e1e8c3b0b1e3b5a2fa0d3b1aa9f0e7c4e1b7f4d0c2c8e8f1d6a2d6b6f6e1d7a8";

#[tokio::test]
async fn a_payload_hash_that_does_not_match_is_refused_in_s3_xml_with_request_ids() {
    let env = with_bucket(HISTORY).await;
    let path = format!("/{HISTORY}/{KEY}");
    let r = signed(
        env.emulator.addr(),
        "s3",
        ("PUT", &path),
        &[("x-amz-content-sha256", WRONG_SHA)],
        REPORT,
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.headers.contains("content-type: application/xml"),
        "{}",
        r.headers
    );
    assert!(r.headers.contains("x-amz-request-id: "), "{}", r.headers);
    assert!(r.headers.contains("x-amz-id-2: "), "{}", r.headers);
    assert!(
        r.body.contains("<Code>XAmzContentSHA256Mismatch</Code>"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains(&format!("<Resource>{path}</Resource>")),
        "{}",
        r.body
    );
    assert!(env
        .emulator
        .s3_objects(HISTORY, "")
        .expect("bucket")
        .is_empty());
}

#[tokio::test]
async fn operations_other_than_put_object_are_not_implemented_and_unknown_methods_not_allowed() {
    let env = with_bucket(HISTORY).await;
    let path = format!("/{HISTORY}/{KEY}");
    let addr = env.emulator.addr();
    let unsigned = [("x-amz-content-sha256", "UNSIGNED-PAYLOAD")];
    for (method, path, code, status) in [
        ("GET", path.as_str(), "NotImplemented", 501),
        ("DELETE", path.as_str(), "NotImplemented", 501),
        (
            "GET",
            "/dr-automation-history?list-type=2",
            "NotImplemented",
            501,
        ),
        ("PATCH", path.as_str(), "MethodNotAllowed", 405),
        ("POST", path.as_str(), "MethodNotAllowed", 405),
    ] {
        let r = signed(addr, "s3", (method, path), &unsigned, "").await;
        assert_eq!(r.status, status, "{method} {path}: {}", r.body);
        assert!(
            r.body.contains(&format!("<Code>{code}</Code>")),
            "{}",
            r.body
        );
    }
    assert_eq!(env.emulator.calls("s3:GetObject"), 1);
    assert_eq!(env.emulator.calls("s3:ListObjectsV2"), 1);
}

#[tokio::test]
async fn buckets_created_by_the_admin_api_take_writes_listed_with_their_bodies() {
    let env = with_bucket(HISTORY).await;
    let addr = env.emulator.addr();
    let created = admin(
        addr,
        "POST",
        "/_emulator/s3/buckets",
        json!({"name": "reports-archive", "versioning": true}),
    )
    .await;
    assert_eq!(created.status, 204, "{}", created.body);
    for key in ["runs/a.json", "runs/b.json", "other/c.json"] {
        env.s3()
            .put_object()
            .bucket("reports-archive")
            .key(key)
            .body(ByteStream::from_static(REPORT.as_bytes()))
            .send()
            .await
            .expect("put");
    }
    let listed = admin(
        addr,
        "GET",
        "/_emulator/s3/objects?bucket=reports-archive&prefix=runs/",
        Value::Null,
    )
    .await
    .json();
    let keys: Vec<&str> = listed
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|o| o["key"].as_str())
        .collect();
    assert_eq!(keys, ["runs/a.json", "runs/b.json"]);
    assert_eq!(listed[0]["body"], REPORT);
    assert!(listed[0]["versionId"].is_string());
}

#[tokio::test]
async fn the_admin_api_refuses_a_bucket_name_against_the_naming_rules_and_a_taken_one() {
    let env = with_bucket(HISTORY).await;
    let addr = env.emulator.addr();
    for name in [
        "Upper-Case",
        "ab",
        "192.168.1.1",
        "two..dots",
        "-edge",
        HISTORY,
    ] {
        let r = admin(
            addr,
            "POST",
            "/_emulator/s3/buckets",
            json!({ "name": name }),
        )
        .await;
        assert_eq!(r.status, 400, "{name}: {}", r.body);
    }
}

#[tokio::test]
async fn listing_a_bucket_that_does_not_exist_is_refused() {
    let env = with_bucket(HISTORY).await;
    let r = admin(
        env.emulator.addr(),
        "GET",
        "/_emulator/s3/objects?bucket=nope",
        Value::Null,
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("no bucket named nope"), "{}", r.body);
}

#[tokio::test]
async fn a_fixture_naming_one_bucket_twice_is_refused() {
    let text = json!({"s3": {"buckets": [{"name": HISTORY}, {"name": HISTORY}]}}).to_string();
    let err = Fixture::from_json(&text).expect_err("twice");
    assert!(err.to_string().contains("appears twice"), "{err}");
}
