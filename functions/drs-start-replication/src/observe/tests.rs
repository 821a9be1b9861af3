//! The DRS adapter: what observe makes of DRS's answers.
use crate::model::state_holds_replication_slot;
use dr_core::drs::Identified;

use super::*;
use crate::testing::{drs_client, drs_error, id, page, sdk_server, sid};
use aws_sdk_drs::Client as Drs;
use aws_smithy_mocks::mock;

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
        let server = source_server(sdk.clone(), keys).expect("a valid id");
        assert_eq!(&server.tags, want, "{keys:?}");
        assert_eq!(server.state, ReplicationState::Unknown("UNKNOWN".into()));
    }
    let server = source_server(tagged(), &["Env"]).expect("a valid id");
    assert_eq!(server.tag("Env"), Some("prod"));
    assert_eq!(server.tag("Tier"), None, "not read by the configuration");
}

fn with_staging(area: SdkStagingArea) -> SourceServer {
    source_server(
        SdkSourceServer::builder()
            .source_server_id("s-1234567890abcdef0")
            .staging_area(area)
            .build(),
        &[],
    )
    .expect("a valid id")
}

#[test]
fn a_server_whose_id_is_missing_or_malformed_is_dropped() {
    for id in [None, Some("web-1"), Some("s-123")] {
        let sdk = SdkSourceServer::builder().set_source_server_id(id.map(str::to_owned));
        assert_eq!(source_server(sdk.build(), &[]), None, "{id:?}");
    }
}

#[test]
fn every_model_state_maps_to_its_own_variant_and_back() {
    for sdk in DataReplicationState::values() {
        let state = replication_state(Some(&DataReplicationState::from(*sdk)));
        assert!(!matches!(state, ReplicationState::Unknown(_)), "{sdk}");
        assert_eq!(state.as_str(), *sdk);
    }
    let future = replication_state(Some(&DataReplicationState::from("HIBERNATING")));
    assert_eq!(future, ReplicationState::Unknown("HIBERNATING".into()));
}

#[test]
fn only_stopped_and_disconnected_states_free_a_replication_slot() {
    let free: Vec<&str> = DataReplicationState::values()
        .iter()
        .filter(|v| {
            !state_holds_replication_slot(&replication_state(Some(&DataReplicationState::from(
                **v,
            ))))
        })
        .copied()
        .collect();
    assert_eq!(free, ["DISCONNECTED", "STOPPED"], "in the SDK's order");
    assert!(state_holds_replication_slot(&ReplicationState::Unknown(
        "UNKNOWN".into()
    )));
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
    let server = source_server(
        SdkSourceServer::builder()
            .source_server_id("s-1234567890abcdef0")
            .build(),
        &[],
    )
    .expect("a valid id");
    assert_eq!(server.staging, Staging::NotExtended);
    assert_eq!(server.replicating_account(), None);
    assert!(server.holds_replication_slot(), "no state reported counts");
}

#[tokio::test]
async fn facts_follow_every_page_and_drop_servers_without_an_id() {
    let describe = mock!(Drs::describe_source_servers)
        .sequence()
        .output(|| {
            page(
                (0..3)
                    .map(|n| sdk_server(n, DataReplicationState::Stopped))
                    .collect(),
                Some("p2"),
            )
        })
        .output(|| {
            page(
                vec![sdk_server(3, DataReplicationState::Continuous)],
                Some("p3"),
            )
        })
        .output(|| {
            page(
                vec![
                    SdkSourceServer::builder().build(),
                    sdk_server(4, DataReplicationState::Stalled),
                ],
                None,
            )
        })
        .build();
    let drs = drs_client(&[&describe]);
    let servers = facts(&drs, &["Env"]).await.expect("observed").servers;
    assert_eq!(describe.num_calls(), 3);
    let ids: Vec<_> = servers.iter().map(|s| s.id.to_string()).collect();
    assert_eq!(
        ids,
        (0..5).map(id).collect::<Vec<_>>(),
        "servers without an id are dropped"
    );
    assert_eq!(
        servers[3],
        SourceServer {
            id: sid(3),
            hostname: Some("host-3".into()),
            fqdn: None,
            instance_id: Some(format!("i-{:017x}", 3)),
            tags: vec![("Env".to_owned(), "prod".to_owned())],
            state: ReplicationState::Continuous,
            replication_error: None,
            staging_account: Some("111111111111".into()),
            staging: Staging::NotExtended,
        }
    );
}

#[tokio::test]
async fn a_persistent_throttle_fails_the_read_as_retryable() {
    let describe = mock!(Drs::describe_source_servers)
        .then_http_response(|| drs_error(429, "ThrottlingException"));
    let drs = drs_client(&[&describe]);
    let err = facts(&drs, &[]).await.expect_err("throttled");
    assert_eq!(err.operation, DESCRIBE_SOURCE_SERVERS);
    assert!(err.failure.is_retryable(), "{err:?}");
    assert_eq!(err.failure.code, "ThrottlingException");
    assert_eq!(describe.num_calls(), 3, "the SDK retried before giving up");
}
