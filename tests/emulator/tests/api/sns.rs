//! SNS through aws-sdk-sns.

use crate::common::{assert_error, code_and_status, Env};
use aws_sdk_sns::types::MessageAttributeValue;
use dr_emulator::{Fixture, REPORTS_TOPIC};

fn attribute(data_type: &str, value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value)
        .build()
        .expect("attribute")
}

#[tokio::test]
async fn publish_keeps_the_message_with_its_attributes() {
    let env = Env::new(Fixture::demo()).await;
    let out = env
        .sns()
        .publish()
        .topic_arn(REPORTS_TOPIC)
        .subject("dr-automation: 3 servers re-protected")
        .message("{\"started\": 3}")
        .message_attributes("function", attribute("String", "drs-start-replication"))
        .message_attributes("count", attribute("Number", "3"))
        .send()
        .await
        .expect("publish");
    let id = out.message_id().expect("message id").to_owned();
    let messages = env.emulator.sns_messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m.message_id, id);
    assert_eq!(m.topic_arn, REPORTS_TOPIC);
    assert_eq!(
        m.subject.as_deref(),
        Some("dr-automation: 3 servers re-protected")
    );
    assert_eq!(m.message, "{\"started\": 3}");
    assert_eq!(
        m.message_attributes["function"].string_value.as_deref(),
        Some("drs-start-replication")
    );
    assert_eq!(m.message_attributes["count"].data_type, "Number");
    assert_eq!(env.emulator.calls("Publish"), 1);
}

#[tokio::test]
async fn a_publish_to_an_unknown_topic_is_not_found() {
    let env = Env::new(Fixture::demo()).await;
    let err = env
        .publish("arn:aws:sns:us-east-1:123456789012:nope", "hello")
        .send()
        .await
        .expect_err("unknown topic");
    assert_error(&err, "NotFound", 404);
    assert!(err.into_service_error().is_not_found_exception());
}

#[tokio::test]
async fn an_empty_message_is_an_invalid_parameter_and_not_kept() {
    let env = Env::new(Fixture::demo()).await;
    let err = env
        .publish(REPORTS_TOPIC, "")
        .send()
        .await
        .expect_err("empty message");
    assert_error(&err, "InvalidParameter", 400);
    assert!(env.emulator.sns_messages().is_empty());
}

#[tokio::test]
async fn subjects_follow_the_publish_constraints() {
    let env = Env::new(Fixture::demo()).await;
    let publish = |subject: String| {
        env.sns()
            .publish()
            .topic_arn(REPORTS_TOPIC)
            .subject(subject)
            .message("hello")
            .send()
    };
    publish("s".repeat(99)).await.expect("99 characters");
    for bad in [
        "s".repeat(100),
        "two\nlines".to_owned(),
        " leading space".to_owned(),
    ] {
        let err = publish(bad.clone()).await.expect_err("refused");
        assert_eq!(
            code_and_status(&err),
            ("InvalidParameter".to_owned(), 400),
            "{bad:?}"
        );
    }
    assert_eq!(env.emulator.sns_messages().len(), 1);
}

#[tokio::test]
async fn topics_can_be_created_and_listed() {
    let env = Env::new(Fixture::demo()).await;
    let arn = env.create_topic("extra").await;
    assert_eq!(arn, "arn:aws:sns:us-east-1:123456789012:extra");
    assert_eq!(env.create_topic("extra").await, arn, "create is idempotent");
    let listed = env.sns().list_topics().send().await.expect("list");
    let arns: Vec<&str> = listed
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .collect();
    assert_eq!(arns.len(), 3);
    assert!(arns.contains(&arn.as_str()));
    env.publish(&arn, "to the new topic")
        .send()
        .await
        .expect("publish to created topic");
}
