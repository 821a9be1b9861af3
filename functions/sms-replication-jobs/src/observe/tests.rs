//! The SMS adapter: what observe reads, page by page, and what it makes of SMS's answers.

use super::*;
use crate::testing::{
    jid, jobs_page, runs_page, sdk_job, sdk_job_with, sdk_run, sdk_server, servers_page, sid,
    sms_client, sms_error, HOUR, NOW,
};
use aws_sdk_sms::types::{
    LicenseType, ReplicationJob, ReplicationJobState, ReplicationRunState, ReplicationRunType,
    Server as SdkServer,
};
use aws_sdk_sms::Client as Sms;
use aws_smithy_mocks::{mock, Rule};
use dr_core::error::ErrorClass;

/// Catalog pages of servers 1 and 2, then a server without an id and 3, then 4.
fn three_catalog_pages() -> Rule {
    mock!(Sms::get_servers)
        .sequence()
        .output(|| servers_page(vec![sdk_server(1), sdk_server(2)], Some("p2")))
        .output(|| {
            servers_page(
                vec![SdkServer::builder().build(), sdk_server(3)],
                Some("p3"),
            )
        })
        .output(|| servers_page(vec![sdk_server(4)], None))
        .build()
}

/// Job pages: 1 ACTIVE, then 2 PAUSED_ON_FAILURE and a job without an id.
fn two_job_pages() -> Rule {
    mock!(Sms::get_replication_jobs)
        .sequence()
        .output(|| jobs_page(vec![sdk_job(1, ReplicationJobState::Active)], Some("j2")))
        .output(|| {
            jobs_page(
                vec![
                    sdk_job(2, ReplicationJobState::PausedOnFailure),
                    ReplicationJob::builder().build(),
                ],
                None,
            )
        })
        .build()
}

/// Runs of job 2 in two pages: a failed automatic run, then a completed on-demand one.
fn two_run_pages() -> Rule {
    mock!(Sms::get_replication_runs)
        .match_requests(|r| r.replication_job_id() == Some(jid(2).as_str()))
        .sequence()
        .output(|| {
            runs_page(
                vec![sdk_run(
                    "sms-run-1",
                    ReplicationRunState::Failed,
                    ReplicationRunType::Automatic,
                    3,
                )],
                Some("r2"),
            )
        })
        .output(|| {
            runs_page(
                vec![sdk_run(
                    "sms-run-0",
                    ReplicationRunState::Completed,
                    ReplicationRunType::OnDemand,
                    15,
                )],
                None,
            )
        })
        .build()
}

#[tokio::test]
async fn the_catalog_is_read_to_its_last_page_without_servers_lacking_an_id() {
    let servers = three_catalog_pages();
    let sms = sms_client(&[&servers]);
    let catalog = catalog(&sms).await.unwrap();
    assert_eq!(servers.num_calls(), 3);
    assert_eq!(catalog.status, Some(CatalogStatus::Available));
    let ids: Vec<String> = catalog.servers.iter().map(|s| s.id.clone()).collect();
    assert_eq!(ids, (1..=4).map(sid).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_catalog_server_keeps_its_vm_name_and_path() {
    let servers = three_catalog_pages();
    let sms = sms_client(&[&servers]);
    let catalog = catalog(&sms).await.unwrap();
    assert_eq!(catalog.servers[2].vm_name.as_deref(), Some("web-3"));
    assert_eq!(
        catalog.servers[2].vm_path.as_deref(),
        Some("/Datacenters/DC1/vm/web-3")
    );
}

#[tokio::test]
async fn every_job_is_read_with_its_state_and_jobs_without_an_id_are_dropped() {
    let jobs_rule = two_job_pages();
    let sms = sms_client(&[&jobs_rule]);
    let all = jobs(&sms).await.unwrap();
    assert_eq!(jobs_rule.num_calls(), 2);
    let states: Vec<(String, JobState)> = all
        .iter()
        .map(|j| (j.id.clone(), j.state.clone()))
        .collect();
    assert_eq!(
        states,
        [
            (jid(1), JobState::Active),
            (jid(2), JobState::PausedOnFailure)
        ]
    );
}

#[tokio::test]
async fn a_jobs_settings_are_read_as_sms_reports_them() {
    let full = sdk_job_with(3, ReplicationJobState::Active)
        .license_type(LicenseType::Byol)
        .role_name("sms-dr")
        .description("wave 1")
        .number_of_recent_amis_to_keep(3)
        .encrypted(true)
        .kms_key_id("alias/sms-amis")
        .build();
    let rule = mock!(Sms::get_replication_jobs).then_output(move || {
        jobs_page(
            vec![full.clone(), sdk_job(4, ReplicationJobState::Active)],
            None,
        )
    });
    let all = jobs(&sms_client(&[&rule])).await.unwrap();
    let settings: Vec<&JobSettings> = all.iter().map(|j| &j.settings).collect();
    assert_eq!(
        settings,
        [
            &JobSettings {
                frequency: Some(12),
                license: Some("BYOL".into()),
                role_name: Some("sms-dr".into()),
                description: Some("wave 1".into()),
                amis_to_keep: Some(3),
                encrypted: Some(true),
                kms_key_id: Some("alias/sms-amis".into()),
            },
            &JobSettings {
                frequency: Some(12),
                ..JobSettings::default()
            },
        ]
    );
}

#[tokio::test]
async fn a_run_is_read_with_its_state_type_cause_and_times() {
    let runs = two_run_pages();
    let sms = sms_client(&[&runs]);
    let got = job_runs(&sms, &jid(2)).await.unwrap();
    assert_eq!(runs.num_calls(), 2);
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0],
        Run {
            id: "sms-run-1".into(),
            state: RunState::Failed,
            kind: RunType::Automatic,
            status_message: Some("Failed to upload the disk: connector unreachable".into()),
            stage: Some("UPLOADING".into()),
            scheduled: Some(NOW - 3 * HOUR),
            completed: Some(NOW - 2 * HOUR),
        }
    );
    assert_eq!(got[1].kind, RunType::OnDemand);
}

#[tokio::test]
async fn facts_hold_the_runs_of_the_jobs_the_plan_needs() {
    let (servers, jobs_rule, runs) = (three_catalog_pages(), two_job_pages(), two_run_pages());
    let sms = sms_client(&[&servers, &jobs_rule, &runs]);
    let facts = facts(&sms, 2, NOW, |catalog, jobs| {
        assert_eq!((catalog.servers.len(), jobs.len()), (4, 2));
        vec![jid(2)]
    })
    .await
    .unwrap();
    assert_eq!(facts.now, NOW);
    assert_eq!(facts.runs.keys().collect::<Vec<_>>(), [&jid(2)]);
    assert_eq!(facts.runs[&jid(2)].len(), 2);
    assert!(facts.unread_runs.is_empty());
}

#[tokio::test]
async fn a_persistent_throttle_of_the_catalog_stops_the_run_as_retryable() {
    let servers =
        mock!(Sms::get_servers).then_http_response(|| sms_error(400, "ThrottlingException"));
    let jobs_rule = two_job_pages();
    let sms = sms_client(&[&servers, &jobs_rule]);
    let err = facts(&sms, 2, NOW, |_, _| vec![]).await.unwrap_err();
    assert_eq!(err.operation, "GetServers");
    assert!(err.failure.is_retryable(), "{err:?}");
    assert_eq!(err.failure.code, "ThrottlingException");
    assert_eq!(servers.num_calls(), 3, "the SDK retried before giving up");
}

#[tokio::test]
async fn a_failed_read_of_the_jobs_names_get_replication_jobs() {
    let servers = three_catalog_pages();
    let jobs_rule = mock!(Sms::get_replication_jobs)
        .then_http_response(|| sms_error(400, "UnauthorizedOperationException"));
    let sms = sms_client(&[&servers, &jobs_rule]);
    let err = facts(&sms, 2, NOW, |_, _| vec![]).await.unwrap_err();
    assert_eq!(err.operation, "GetReplicationJobs");
    assert_eq!(err.failure.class, ErrorClass::Fatal);
}

#[tokio::test]
async fn runs_that_cannot_be_read_are_a_fact_naming_the_job() {
    let (servers, jobs_rule) = (three_catalog_pages(), two_job_pages());
    let runs = mock!(Sms::get_replication_runs)
        .then_http_response(|| sms_error(400, "ThrottlingException"));
    let sms = sms_client(&[&servers, &jobs_rule, &runs]);
    let facts = facts(&sms, 2, NOW, |_, _| vec![jid(1)]).await.unwrap();
    assert!(facts.runs.is_empty());
    assert_eq!(facts.unread_runs.len(), 1);
    assert_eq!(facts.unread_runs[0].0, jid(1));
    assert!(facts.unread_runs[0].1.is_retryable());
}
