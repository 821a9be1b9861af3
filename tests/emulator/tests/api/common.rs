//! Shared helpers: an emulator plus SDK clients pointed at it.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_drs::config::Credentials;
use aws_sdk_drs::error::{ProvideErrorMetadata, SdkError};
use dr_emulator::{Config, Emulator, FaultRule, Fixture};
use std::time::Duration;

/// A running emulator and a shared SDK configuration for it.
pub struct Env {
    pub emulator: Emulator,
    pub config: SdkConfig,
}

impl Env {
    /// An emulator on an ephemeral port, steps only on demand, SDK retries off so every error
    /// surfaces at once.
    pub async fn new(fixture: Fixture) -> Self {
        Self::with_retries(fixture, RetryConfig::disabled()).await
    }

    /// The same with a given retry configuration.
    pub async fn with_retries(fixture: Fixture, retry: RetryConfig) -> Self {
        Self::start(Config::new(fixture), "us-east-1", retry).await
    }

    /// An emulator with a given configuration, its clients in `region`.
    pub async fn start(config: Config, region: &str, retry: RetryConfig) -> Self {
        let emulator = Emulator::start(config).await.expect("emulator starts");
        let config = sdk_config(&emulator.endpoint_url(), region, retry).await;
        Self { emulator, config }
    }

    pub fn drs(&self) -> aws_sdk_drs::Client {
        aws_sdk_drs::Client::new(&self.config)
    }

    pub fn mgn(&self) -> aws_sdk_mgn::Client {
        aws_sdk_mgn::Client::new(&self.config)
    }

    pub fn sms(&self) -> aws_sdk_sms::Client {
        aws_sdk_sms::Client::new(&self.config)
    }

    pub fn backup(&self) -> aws_sdk_backup::Client {
        aws_sdk_backup::Client::new(&self.config)
    }

    /// A Backup client for another region, as cross-region copy checks need.
    pub async fn backup_in(&self, region: &str) -> aws_sdk_backup::Client {
        let config = sdk_config(
            &self.emulator.endpoint_url(),
            region,
            RetryConfig::disabled(),
        )
        .await;
        aws_sdk_backup::Client::new(&config)
    }

    /// An S3 client with path-style addressing, the only style an IP endpoint can serve.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.config)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    pub fn sns(&self) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&self.config)
    }

    /// A publish of `message` to `topic`, ready to send.
    pub fn publish(
        &self,
        topic: &str,
        message: &str,
    ) -> aws_sdk_sns::operation::publish::builders::PublishFluentBuilder {
        self.sns().publish().topic_arn(topic).message(message)
    }

    /// Creates (or finds) the topic `name`; returns its ARN.
    pub async fn create_topic(&self, name: &str) -> String {
        self.sns()
            .create_topic()
            .name(name)
            .send()
            .await
            .expect("create topic")
            .topic_arn()
            .expect("topic ARN")
            .to_owned()
    }
}

/// SDK configuration with fake static credentials, as a local run would use.
pub async fn sdk_config(endpoint: &str, region: &str, retry: RetryConfig) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(
            "AKIDEMULATOR",
            "emulator-secret",
            None,
            None,
            "tests",
        ))
        .retry_config(retry)
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(10))
                .build(),
        )
        .load()
        .await
}

/// Error code and HTTP status of a failed SDK call.
pub fn code_and_status<E: ProvideErrorMetadata>(
    err: &SdkError<E, aws_sdk_drs::config::http::HttpResponse>,
) -> (String, u16) {
    (
        err.code().unwrap_or("<none>").to_owned(),
        err.raw_response().map_or(0, |r| r.status().as_u16()),
    )
}

/// Asserts a failed SDK call's error code and HTTP status.
#[track_caller]
pub fn assert_error<E: ProvideErrorMetadata>(
    err: &SdkError<E, aws_sdk_drs::config::http::HttpResponse>,
    code: &str,
    status: u16,
) {
    assert_eq!(code_and_status(err), (code.to_owned(), status));
}

/// A rule failing `operation` with `error` at `error_rate`, at most `times` times.
pub fn failing(operation: &str, error: &str, error_rate: f64, times: Option<u64>) -> FaultRule {
    FaultRule {
        operation: operation.into(),
        error_rate,
        error: error.into(),
        latency_ms: 0,
        drop_connection_rate: 0.0,
        times,
    }
}
