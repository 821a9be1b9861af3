//! The MGN adapter: what observe reads, and what it makes of MGN's answers.

use super::*;
use crate::testing::{config, id, mgn_client, mgn_error, page, policy, sdk_server, sid, NOW};
use aws_sdk_mgn::operation::describe_jobs::DescribeJobsOutput;
use aws_sdk_mgn::types::{
    DataReplicationError, DataReplicationErrorString, DataReplicationInfo,
    DataReplicationInitiation, DataReplicationInitiationStep, DataReplicationInitiationStepName,
    DataReplicationState, JobStatus as SdkJobStatus, LaunchStatus as SdkLaunchStatus,
    LaunchedInstance as SdkLaunched, LifeCycle as SdkLifeCycle, LifeCycleLastTest,
    LifeCycleLastTestInitiated, LifeCycleState, ParticipatingServer,
    ReplicationConfigurationEbsEncryption,
};
use aws_sdk_mgn::Client as Mgn;
use aws_smithy_mocks::{mock, Rule};
use dr_testkit::triggers::schedule;

fn everything() -> Ask {
    Ask::of(&schedule())
}

#[test]
fn a_stalled_server_keeps_its_root_cause_and_failed_step() {
    let sdk = SdkSourceServer::builder()
        .source_server_id(id(1))
        .data_replication_info(
            DataReplicationInfo::builder()
                .data_replication_state(DataReplicationState::Stalled)
                .data_replication_error(
                    DataReplicationError::builder()
                        .error(DataReplicationErrorString::FailedToBootReplicationServer)
                        .raw_error("boot timed out")
                        .build(),
                )
                .data_replication_initiation(
                    DataReplicationInitiation::builder()
                        .steps(
                            DataReplicationInitiationStep::builder()
                                .name(DataReplicationInitiationStepName::BootReplicationServer)
                                .status(DataReplicationInitiationStepStatus::Failed)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build();
    let server = source_server(sdk).expect("a valid id");
    assert_eq!(server.replication, ReplicationState::Stalled);
    assert!(!server.launchable, "no lagDuration");
    assert_eq!(
        server.error.map(|e| e.to_string()).as_deref(),
        Some("FAILED_TO_BOOT_REPLICATION_SERVER at step BOOT_REPLICATION_SERVER: boot timed out")
    );
}

#[test]
fn a_tested_server_keeps_its_test_job_and_instance() {
    let sdk = SdkSourceServer::builder()
        .source_server_id(id(1))
        .life_cycle(
            SdkLifeCycle::builder()
                .state(LifeCycleState::Testing)
                .last_test(
                    LifeCycleLastTest::builder()
                        .initiated(
                            LifeCycleLastTestInitiated::builder()
                                .api_call_date_time("2025-12-01T10:00:00Z")
                                .job_id("mgnjob-1")
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .launched_instance(
            SdkLaunched::builder()
                .ec2_instance_id("i-0abc")
                .job_id("mgnjob-1")
                .build(),
        )
        .build();
    let server = source_server(sdk).expect("a valid id");
    assert_eq!(server.lifecycle, LifeCycle::Testing);
    assert_eq!(server.last_test.initiated_at, Some(NOW - 3600));
    assert_eq!(server.last_test.job_id.as_deref(), Some("mgnjob-1"));
    assert_eq!(server.launched.instance_id.as_deref(), Some("i-0abc"));
}

#[test]
fn a_server_without_a_valid_id_is_dropped() {
    let sdk = SdkSourceServer::builder().source_server_id("web-1").build();
    assert!(source_server(sdk).is_none());
}

#[test]
fn current_settings_read_the_members_the_function_manages() {
    let out = GetReplicationConfigurationOutput::builder()
        .ebs_encryption(ReplicationConfigurationEbsEncryption::Default)
        .replication_servers_security_groups_ids("sg-0000000b")
        .replication_servers_security_groups_ids("sg-0000000a")
        .bandwidth_throttling(10)
        .create_public_ip(false)
        .build();
    let settings = current_settings(&out);
    assert_eq!(
        settings.get(&Setting::EbsEncryption),
        Some(&SettingValue::Text("DEFAULT".into()))
    );
    assert_eq!(
        settings.get(&Setting::ReplicationServersSecurityGroupsIds),
        Some(&SettingValue::Ids(vec![
            "sg-0000000a".into(),
            "sg-0000000b".into()
        ]))
    );
    assert_eq!(
        settings.get(&Setting::BandwidthThrottling),
        Some(&SettingValue::Number(10))
    );
    assert_eq!(settings.get(&Setting::StagingAreaSubnetId), None);
}

#[tokio::test]
async fn every_page_of_non_archived_servers_is_read() {
    let pages = mock!(Mgn::describe_source_servers)
        .match_requests(|r| r.filters().and_then(|f| f.is_archived()) == Some(false))
        .sequence()
        .output(|| {
            page(
                vec![sdk_server(
                    1,
                    LifeCycleState::ReadyForTest,
                    DataReplicationState::Continuous,
                )],
                Some("next"),
            )
        })
        .output(|| {
            page(
                vec![sdk_server(
                    2,
                    LifeCycleState::NotReady,
                    DataReplicationState::Stalled,
                )],
                None,
            )
        })
        .build();
    let mgn = mgn_client(&[&pages]);
    let facts = facts(&mgn, &config(policy()), &everything(), NOW)
        .await
        .unwrap();
    assert_eq!(facts.servers.len(), 2);
    assert_eq!(facts.now, NOW);
    assert!(facts.configurations.is_empty() && facts.jobs.is_empty());
}

#[tokio::test]
async fn settings_are_read_only_for_the_servers_whose_settings_are_enforced() {
    let list = mock!(Mgn::describe_source_servers).then_output(|| {
        page(
            vec![
                sdk_server(
                    1,
                    LifeCycleState::ReadyForTest,
                    DataReplicationState::Continuous,
                ),
                sdk_server(
                    2,
                    LifeCycleState::Cutover,
                    DataReplicationState::Disconnected,
                ),
            ],
            None,
        )
    });
    let read = mock!(Mgn::get_replication_configuration)
        .match_requests(|r| r.source_server_id() == Some(id(1).as_str()))
        .then_output(|| {
            GetReplicationConfigurationOutput::builder()
                .create_public_ip(true)
                .build()
        });
    let mgn = mgn_client(&[&list, &read]);
    let mut p = policy();
    p.replication
        .insert(Setting::CreatePublicIp, SettingValue::Flag(false));
    let facts = facts(&mgn, &config(p), &everything(), NOW).await.unwrap();
    assert_eq!(read.num_calls(), 1, "not for the cut-over server");
    assert_eq!(
        facts.configurations[&sid(1)]
            .as_ref()
            .map(|s| s.get(&Setting::CreatePublicIp).cloned()),
        Ok(Some(SettingValue::Flag(true)))
    );
}

#[tokio::test]
async fn a_refused_settings_read_is_kept_for_its_server() {
    let list = mock!(Mgn::describe_source_servers).then_output(|| {
        page(
            vec![sdk_server(
                1,
                LifeCycleState::ReadyForTest,
                DataReplicationState::Continuous,
            )],
            None,
        )
    });
    let read = mock!(Mgn::get_replication_configuration)
        .then_http_response(|| mgn_error(404, "ResourceNotFoundException"));
    let mut p = policy();
    p.replication
        .insert(Setting::CreatePublicIp, SettingValue::Flag(false));
    let facts = facts(&mgn_client(&[&list, &read]), &config(p), &everything(), NOW)
        .await
        .unwrap();
    let failure = facts.configurations[&sid(1)].clone().unwrap_err();
    assert_eq!(failure.code, "ResourceNotFoundException");
}

#[tokio::test]
async fn the_test_jobs_of_servers_with_test_launches_are_read_by_id() {
    let list = mock!(Mgn::describe_source_servers).then_output(|| {
        let mut s = sdk_server(1, LifeCycleState::Testing, DataReplicationState::Continuous);
        s.life_cycle = Some(
            SdkLifeCycle::builder()
                .state(LifeCycleState::Testing)
                .last_test(
                    LifeCycleLastTest::builder()
                        .initiated(
                            LifeCycleLastTestInitiated::builder()
                                .job_id("mgnjob-1")
                                .build(),
                        )
                        .build(),
                )
                .build(),
        );
        page(vec![s], None)
    });
    let jobs = mock!(Mgn::describe_jobs)
        .match_requests(|r| {
            r.filters().map(|f| f.job_ids()) == Some(["mgnjob-1".to_owned()].as_slice())
        })
        .then_output(|| {
            DescribeJobsOutput::builder()
                .items(
                    aws_sdk_mgn::types::Job::builder()
                        .job_id("mgnjob-1")
                        .status(SdkJobStatus::Completed)
                        .tags(crate::model::TAG_FUNCTION, crate::FUNCTION)
                        .participating_servers(
                            ParticipatingServer::builder()
                                .source_server_id(id(1))
                                .launch_status(SdkLaunchStatus::Launched)
                                .build()
                                .expect("a server id"),
                        )
                        .build()
                        .expect("a job id"),
                )
                .build()
        });
    let mut p = policy();
    p.test.enabled = true;
    let facts = facts(&mgn_client(&[&list, &jobs]), &config(p), &everything(), NOW)
        .await
        .unwrap();
    let job = &facts.jobs["mgnjob-1"];
    assert!(job.is_own());
    assert_eq!(job.status, JobStatus::Completed);
    assert_eq!(job.servers[0].launch_status, LaunchStatus::Launched);
}

#[tokio::test]
async fn a_failed_listing_names_the_operation() {
    let list = mock!(Mgn::describe_source_servers)
        .then_http_response(|| mgn_error(400, "UninitializedAccountException"));
    let err = facts(&mgn_client(&[&list]), &config(policy()), &everything(), NOW)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("DescribeSourceServers"), "{err}");
}

/// Server 1 READY_FOR_CUTOVER with the instance of its test `mgnjob-1`, launched at 10:00.
fn tested_server() -> Rule {
    mock!(Mgn::describe_source_servers).then_output(|| {
        let mut s = sdk_server(
            1,
            LifeCycleState::ReadyForCutover,
            DataReplicationState::Continuous,
        );
        s.life_cycle = Some(
            SdkLifeCycle::builder()
                .state(LifeCycleState::ReadyForCutover)
                .last_test(
                    LifeCycleLastTest::builder()
                        .initiated(
                            LifeCycleLastTestInitiated::builder()
                                .api_call_date_time("2025-12-01T10:00:00Z")
                                .job_id("mgnjob-1")
                                .build(),
                        )
                        .build(),
                )
                .build(),
        );
        s.launched_instance = Some(
            SdkLaunched::builder()
                .ec2_instance_id("i-0abc")
                .job_id("mgnjob-1")
                .build(),
        );
        page(vec![s], None)
    })
}

/// How often the jobs since 10:00 are read when the test job `mgnjob-1` is `own` or not.
async fn reads_since(own: bool) -> usize {
    let list = tested_server();
    let by_id = mock!(Mgn::describe_jobs)
        .match_requests(|r| r.filters().is_some_and(|f| !f.job_ids().is_empty()))
        .then_output(move || {
            let mut job = aws_sdk_mgn::types::Job::builder()
                .job_id("mgnjob-1")
                .status(SdkJobStatus::Completed);
            if own {
                job = job.tags(crate::model::TAG_FUNCTION, crate::FUNCTION);
            }
            DescribeJobsOutput::builder()
                .items(job.build().expect("a job id"))
                .build()
        });
    let since = mock!(Mgn::describe_jobs)
        .match_requests(|r| r.filters().and_then(|f| f.from_date()) == Some("2025-12-01T10:00:00Z"))
        .then_output(|| DescribeJobsOutput::builder().build());
    let mut p = policy();
    p.test.enabled = true;
    facts(
        &mgn_client(&[&list, &by_id, &since]),
        &config(p),
        &everything(),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(by_id.num_calls(), 1);
    since.num_calls()
}

#[tokio::test]
async fn the_jobs_since_a_standing_test_instance_are_read_to_find_its_termination() {
    assert_eq!(reads_since(true).await, 1);
}

#[tokio::test]
async fn a_standing_test_instance_of_someone_else_needs_no_read_of_recent_jobs() {
    assert_eq!(reads_since(false).await, 0);
}
