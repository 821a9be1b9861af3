//! SDK configuration, loaded once per cold start and shared by every client a function builds.

use aws_config::{BehaviorVersion, SdkConfig};

/// Loads the shared SDK configuration from the environment.
///
/// Region, credentials, retry attempts (`AWS_MAX_ATTEMPTS`) and endpoints (`AWS_ENDPOINT_URL`,
/// `AWS_ENDPOINT_URL_<SERVICE>`) all come from the standard AWS environment, so local runs against
/// an emulator need no special code.
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}
