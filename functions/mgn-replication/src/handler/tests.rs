//! Whole invocations: an event in, MGN and SNS mocked, the report out.

use super::*;
use crate::testing::{config, mgn_client, page, policy, sdk_server, NOW};
use aws_sdk_mgn::operation::tag_resource::TagResourceOutput;
use aws_sdk_mgn::types::{DataReplicationState, LifeCycleState};
use aws_sdk_mgn::Client as Mgn;
use aws_smithy_mocks::{mock, Rule};
use dr_core::report::{OutcomeResult, RunReport};
use dr_testkit::samples::{aws_events_dir, read_json};
use dr_testkit::{publish_rule, publisher, sns_client};
use serde_json::{json, Value};

/// Servers 1 (stalled, no record yet) and 2 (healthy) as MGN lists them.
fn listing() -> Rule {
    mock!(Mgn::describe_source_servers).then_output(|| {
        page(
            vec![
                sdk_server(
                    1,
                    LifeCycleState::ReadyForTest,
                    DataReplicationState::Stalled,
                ),
                sdk_server(
                    2,
                    LifeCycleState::ReadyForTest,
                    DataReplicationState::Continuous,
                ),
            ],
            None,
        )
    })
}

async fn run(mgn: Mgn, event: &Value) -> (RunReport, usize) {
    let publish = publish_rule();
    let function = MgnReplication {
        config: config(policy()),
    };
    let fleet = [Connected::home(mgn)];
    let report = dr_core::function::handle(
        &function,
        &fleet,
        &publisher(sns_client(&[&publish])),
        event,
        &dr_core::invocation::Invocation::at(NOW),
    )
    .await
    .expect("the run reports");
    (report, publish.num_calls())
}

#[tokio::test]
async fn a_schedule_records_a_new_stall_and_publishes_the_report() {
    let (list, tag) = (
        listing(),
        mock!(Mgn::tag_resource).then_output(|| TagResourceOutput::builder().build()),
    );
    let (report, published) = run(
        mgn_client(&[&list, &tag]),
        &json!({"schedule": "mgn-replication"}),
    )
    .await;
    assert_eq!(tag.num_calls(), 1);
    assert_eq!(published, 1);
    let outcome = &report.outcomes[0];
    assert_eq!(
        (outcome.action.as_str(), outcome.result),
        ("TagResource", OutcomeResult::Done)
    );
}

#[tokio::test]
async fn a_dry_run_describes_the_plan_and_calls_nothing() {
    let (list, tag) = (
        listing(),
        mock!(Mgn::tag_resource).then_output(|| TagResourceOutput::builder().build()),
    );
    let (report, _) = run(
        mgn_client(&[&list, &tag]),
        &json!({"targets": ["s-00000000000000001"], "dryRun": true}),
    )
    .await;
    assert_eq!(tag.num_calls(), 0);
    assert_eq!(report.outcomes[0].result, OutcomeResult::Planned);
}

#[tokio::test]
async fn aws_stalled_sample_reads_and_plans_the_server_it_names() {
    let event =
        read_json(&aws_events_dir().join("mgn/source-server-data-replication-stalled-change.json"))
            .expect("AWS's sample");
    let list = mock!(Mgn::describe_source_servers).then_output(|| page(vec![], None));
    let (report, _) = run(mgn_client(&[&list]), &event).await;
    assert_eq!(list.num_calls(), 1);
    let skip = report
        .skips
        .iter()
        .find(|s| s.target == "s-12345678901234567")
        .expect("the sample's server is reported");
    assert_eq!(
        skip.reason,
        "MGN lists no such non-archived source server here"
    );
}

#[test]
fn a_run_measures_every_server_by_lifecycle_and_replication_state() {
    let servers = vec![
        crate::testing::healthy(1),
        crate::testing::stalled(2, &[]),
        crate::testing::healthy(3),
    ];
    let m = measure(&crate::testing::facts(servers));
    let value = |name: &str| m.iter().find(|m| m.name == name).map(|m| m.values[0]);
    assert_eq!(value("MgnServers"), Some(3.0));
    assert_eq!(value("MgnReplicationStalled"), Some(1.0));
    assert_eq!(value("MgnReplicationPaused"), Some(0.0));
    let lifecycles: f64 = m
        .iter()
        .filter(|m| m.name.starts_with("MgnLifecycle"))
        .map(|m| m.values[0])
        .sum();
    assert_eq!(lifecycles, 3.0);
}
