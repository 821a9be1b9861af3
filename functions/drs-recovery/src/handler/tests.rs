//! Whole invocations: an event in, DRS and SNS mocked, the report out.

use super::*;
use crate::testing::{drs_client, id, NOW};
use aws_sdk_drs::operation::describe_jobs::DescribeJobsOutput;
use aws_sdk_drs::operation::describe_recovery_instances::DescribeRecoveryInstancesOutput;
use aws_sdk_drs::operation::describe_source_servers::DescribeSourceServersOutput;
use aws_sdk_drs::operation::start_recovery::StartRecoveryOutput;
use aws_sdk_drs::types::{
    DataReplicationInfo, DataReplicationState, IdentificationHints, SourceProperties,
};
use aws_sdk_drs::Client as Drs;
use aws_smithy_mocks::{mock, Rule};
use dr_core::clients::Connected;
use dr_core::drs::{AlarmMapping, DimensionMatch, Selection, ServerChoice};
use dr_core::report::{OutcomeResult, RunReport, RunStatus};
use dr_testkit::{publish_rule, publisher, settings, sns_client};
use serde_json::{json, Value};

fn function(recovery: bool) -> Recovery {
    let mut config = crate::testing::config();
    config.settings = settings();
    config.choice = ServerChoice {
        selection: Selection {
            all: true,
            ..Selection::default()
        },
        alarm_mapping: AlarmMapping {
            dimension: Some(("Host".into(), DimensionMatch::Hostname)),
            tag_key: None,
        },
    };
    config.recovery.enabled = recovery;
    config.recovery.max_servers = usize::from(recovery);
    Recovery { config }
}

/// DRS with two healthy servers, no jobs and no instances; StartRecovery answers a job.
fn drs() -> (Vec<Rule>, Rule) {
    let servers = mock!(Drs::describe_source_servers).then_output(|| {
        let server = |n: u32| {
            aws_sdk_drs::types::SourceServer::builder()
                .source_server_id(id(n))
                .data_replication_info(
                    DataReplicationInfo::builder()
                        .data_replication_state(DataReplicationState::Continuous)
                        .build(),
                )
                .source_properties(
                    SourceProperties::builder()
                        .identification_hints(
                            IdentificationHints::builder()
                                .hostname(format!("host-{n}"))
                                .build(),
                        )
                        .build(),
                )
                .build()
        };
        DescribeSourceServersOutput::builder()
            .items(server(1))
            .items(server(2))
            .build()
    });
    let jobs = mock!(Drs::describe_jobs).then_output(|| DescribeJobsOutput::builder().build());
    let instances = mock!(Drs::describe_recovery_instances)
        .then_output(|| DescribeRecoveryInstancesOutput::builder().build());
    let start = mock!(Drs::start_recovery).then_output(|| {
        StartRecoveryOutput::builder()
            .job(
                aws_sdk_drs::types::Job::builder()
                    .job_id("drsjob-1")
                    .build()
                    .expect("a job id"),
            )
            .build()
    });
    (vec![servers, jobs, instances], start)
}

async fn run(function: &Recovery, event: Value) -> (RunReport, usize) {
    let (mut reads, start) = drs();
    reads.push(start.clone());
    let rules: Vec<&Rule> = reads.iter().collect();
    let publish = publish_rule();
    let fleet = [Connected::home(drs_client(&rules))];
    let report = dr_core::function::handle(
        function,
        &fleet,
        &publisher(sns_client(&[&publish])),
        &event,
        &dr_core::invocation::Invocation::at(NOW),
    )
    .await
    .expect("the run reports");
    assert_eq!(publish.num_calls(), 1, "every run is published");
    (report, start.num_calls())
}

#[tokio::test]
async fn a_schedule_drills_every_ready_server_in_one_job() {
    let (report, starts) = run(&function(false), json!({"schedule": "drs-recovery"})).await;
    assert_eq!(starts, 1);
    assert_eq!(report.counts.done, 2);
    assert_eq!(report.status, RunStatus::Succeeded);
}

#[tokio::test]
async fn a_dry_run_lists_each_launch_and_launches_nothing() {
    let (report, starts) = run(
        &function(false),
        json!({"mode": "drill", "targets": [id(1)], "dryRun": true}),
    )
    .await;
    assert_eq!(starts, 0);
    assert_eq!(report.status, RunStatus::DryRun);
    assert_eq!(report.outcomes[0].result, OutcomeResult::Planned);
}

#[tokio::test]
async fn a_recovery_invoke_without_the_opt_in_launches_nothing() {
    let (report, starts) = run(
        &function(false),
        json!({"mode": "recovery", "targets": [id(1)]}),
    )
    .await;
    assert_eq!(starts, 0);
    assert!(report.skips[0]
        .reason
        .contains("DRS_RECOVERY_ENABLED is not true"));
}

#[tokio::test]
async fn an_alarm_with_the_opt_in_recovers_the_server_it_maps_to() {
    let alarm = json!({
        "source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change",
        "account": "123456789012", "region": "us-east-1", "time": "2025-12-01T10:59:00Z",
        "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
        "resources": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:host-2-down"],
        "detail": {
            "alarmName": "host-2-down",
            "state": {"value": "ALARM", "reason": "down", "timestamp": "2025-12-01T10:59:00.000+0000"},
            "previousState": {"value": "OK", "reason": "up", "timestamp": "2025-12-01T10:00:00.000+0000"},
            "configuration": {"metrics": [{"id": "m1", "metricStat": {"metric": {
                "namespace": "AWS/EC2", "name": "StatusCheckFailed",
                "dimensions": {"Host": "host-2"}}, "period": 60, "stat": "Maximum"}}]}
        }
    });
    let (report, starts) = run(&function(true), alarm).await;
    assert_eq!(starts, 1);
    assert_eq!(report.outcomes.len(), 1);
    assert_eq!(report.outcomes[0].target, id(2));
}
