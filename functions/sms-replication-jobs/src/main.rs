//! `sms-replication-jobs`: creates the AWS Server Migration Service replication jobs the
//! configuration asks for, and looks after jobs that fail (pause-on-failure policy, resume,
//! escalation), on a schedule, an SMS event or a direct invocation.

mod apply;
mod config;
mod handler;
mod observe;
mod plan;
mod policy;

use config::SmsConfig;
use dr_core::config::Env;
use dr_core::publish::ReportPublisher;
use handler::App;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    dr_core::telemetry::init();
    // A bad configuration fails the cold start with a message naming the variable.
    let config = match SmsConfig::from_env(&Env::from_process(), dr_core::clock::now_secs()) {
        Ok(config) => config,
        Err(err) => return Err(dr_core::startup::fail(err).await),
    };
    let sdk = dr_core::clients::load_sdk_config().await;
    let app = App {
        sms: aws_sdk_sms::Client::new(&sdk),
        publisher: ReportPublisher::new(
            aws_sdk_sns::Client::new(&sdk),
            config
                .report_topic_arn
                .as_deref()
                .and_then(|t| dr_core::arn::Arn::parse(t).ok()),
        ),
        config,
    };
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handler::handle(app, &event.payload).await
    }))
    .await
}
