use super::*;

fn location(pairs: &[(&str, &str)]) -> Result<Option<HistoryLocation>, ConfigError> {
    HistoryLocation::from_env(&Env::from_pairs(pairs.iter().copied()))
}

#[test]
fn without_a_bucket_no_history_is_kept() {
    assert_eq!(location(&[]), Ok(None));
    assert_eq!(location(&[("HISTORY_BUCKET", " ")]), Ok(None));
}

#[test]
fn a_run_is_kept_under_its_function_and_date() {
    let history = location(&[("HISTORY_BUCKET", "dr-history")])
        .unwrap()
        .unwrap();
    assert_eq!(
        history.key("backup-copy-fanout", 1_796_174_445, "r-1"),
        "history/backup-copy-fanout/2026-12-02/r-1.json"
    );
}

#[test]
fn a_prefix_without_its_slash_gets_one() {
    let history = location(&[
        ("HISTORY_BUCKET", "dr-history"),
        ("HISTORY_PREFIX", "dr/runs"),
    ])
    .unwrap()
    .unwrap();
    assert_eq!(history.key("f", 0, "r"), "dr/runs/f/1970-01-01/r.json");
}

#[test]
fn bucket_names_and_prefixes_follow_the_s3_rules() {
    let cases = [
        ("HISTORY_BUCKET", "ab", false),
        ("HISTORY_BUCKET", "dr.history-1", true),
        ("HISTORY_BUCKET", "-dr-history", false),
        ("HISTORY_BUCKET", "dr-history-", false),
        ("HISTORY_BUCKET", "DR-history", false),
        ("HISTORY_BUCKET", &"a".repeat(64), false),
        ("HISTORY_BUCKET", "dr..history", false),
        ("HISTORY_BUCKET", "192.168.5.4", false),
        ("HISTORY_BUCKET", "xn--history", false),
        ("HISTORY_BUCKET", "history-s3alias", false),
        ("HISTORY_BUCKET", "history--x-s3", false),
        ("HISTORY_PREFIX", "/history/", false),
        ("HISTORY_PREFIX", "runs by day/", false),
        ("HISTORY_PREFIX", "dr/history/", true),
    ];
    for (var, value, valid) in cases {
        let mut pairs = vec![("HISTORY_BUCKET", "dr-history")];
        pairs.retain(|(k, _)| *k != var);
        pairs.push((var, value));
        let read = location(&pairs);
        assert_eq!(read.is_ok(), valid, "{var}={value}: {read:?}");
        if let Err(e) = read {
            assert_eq!(e.var, var);
        }
    }
}

#[test]
fn a_run_id_sorts_by_time_and_keeps_the_request_id() {
    assert_eq!(
        run_id(1_796_174_445, "3f2b1c9e-aaaa-bbbb-cccc-0123456789ab"),
        "20261202T012045Z-3f2b1c9e-aaaa-bbbb-cccc-0123456789ab"
    );
    assert_eq!(run_id(0, "a/b c"), "19700101T000000Z-abc");
}

mod store {
    use super::*;
    use crate::report::{RunReport, Skips, TargetOutcome};
    use aws_sdk_s3::operation::put_object::{PutObjectError, PutObjectOutput};
    use aws_smithy_mocks::{mock, mock_client, Rule};
    use std::sync::{Arc, Mutex};

    fn store(rule: &Rule) -> HistoryStore {
        let s3 = mock_client!(aws_sdk_s3, [rule]);
        let location = location(&[("HISTORY_BUCKET", "dr-history")])
            .unwrap()
            .unwrap();
        HistoryStore::new(s3, location)
    }

    fn report() -> RunReport {
        let outcomes = vec![TargetOutcome::done("s-1", "StartReplication", None)];
        RunReport::new(
            "drs-start-replication",
            "schedule",
            false,
            outcomes,
            Skips::new(),
        )
    }

    #[tokio::test]
    async fn a_run_is_stored_as_one_json_line_with_its_id_and_time() {
        let sent = Arc::new(Mutex::new(None));
        let seen = sent.clone();
        let rule = mock!(aws_sdk_s3::Client::put_object)
            .match_requests(move |r| {
                let body = r.body().bytes().map(<[u8]>::to_vec);
                *seen.lock().unwrap() = Some((
                    r.bucket().map(str::to_owned),
                    r.key().map(str::to_owned),
                    body,
                ));
                true
            })
            .then_output(|| PutObjectOutput::builder().e_tag("\"e\"").build());
        let key = store(&rule).store(&report(), 60, "r-1").await.unwrap();
        assert_eq!(key, "history/drs-start-replication/1970-01-01/r-1.json");
        let (bucket, sent_key, body) = sent.lock().unwrap().clone().unwrap();
        assert_eq!(bucket.as_deref(), Some("dr-history"));
        assert_eq!(sent_key.as_deref(), Some(key.as_str()));
        let body = String::from_utf8(body.unwrap()).unwrap();
        assert!(!body.contains('\n'), "{body}");
        let record: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(record["runId"], "r-1");
        assert_eq!(record["time"], "1970-01-01T00:01:00Z");
        assert_eq!(record["function"], "drs-start-replication");
        assert_eq!(record["counts"]["done"], 1);
    }

    #[tokio::test]
    async fn a_refused_write_names_the_bucket_the_key_and_the_error() {
        let rule = mock!(aws_sdk_s3::Client::put_object).then_error(|| {
            PutObjectError::generic(
                aws_smithy_types::error::ErrorMetadata::builder()
                    .code("AccessDenied")
                    .message("Access Denied")
                    .build(),
            )
        });
        let err = store(&rule).store(&report(), 60, "r-1").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "storing the run in s3://dr-history/history/drs-start-replication/1970-01-01/r-1.json \
             failed: AccessDenied: Access Denied"
        );
    }
}
