//! `backup-copy-fanout`: copies each new AWS Backup recovery point to every configured destination
//! vault (cross-region and cross-account, each with its own lifecycle), exactly once, on backup
//! job completions (EventBridge or vault notifications), failed copy jobs, a sweep schedule or a
//! direct invocation.

mod apply;
mod config;
mod handler;
mod observe;
mod plan;

use config::BackupConfig;
use dr_core::config::Env;
use dr_core::publish::ReportPublisher;
use handler::App;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    dr_core::telemetry::init();
    // A bad configuration fails the cold start with a message naming the variable.
    let config = match BackupConfig::from_env(&Env::from_process()) {
        Ok(config) => config,
        Err(err) => return Err(dr_core::startup::fail(err).await),
    };
    let sdk = dr_core::clients::load_sdk_config().await;
    let app = App {
        backup: aws_sdk_backup::Client::new(&sdk),
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
