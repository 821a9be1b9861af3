//! Failing a cold start the way Lambda expects, so a bad configuration is visible at once.

use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{build_request, PooledClient};
use tracing::error;

/// The `errorType` Lambda shows for a configuration that failed validation.
const ERROR_TYPE: &str = "InvalidConfiguration";

/// Logs `err`, reports it to the Runtime API's `/runtime/init/error` (when running under one),
/// and returns it so `main` can exit with it.
///
/// The runtime crate only reports its own initialisation failures; configuration is validated
/// before the runtime starts, so this reports it the same way.
pub async fn fail<E>(err: E) -> lambda_runtime::Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    let message = err.to_string();
    error!(error = %message, "cold start failed");
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        let body = serde_json::json!({ "errorType": ERROR_TYPE, "errorMessage": message, "stackTrace": [] });
        let request = build_request()
            .method("POST")
            .uri("/2018-06-01/runtime/init/error")
            .header("Lambda-Runtime-Function-Error-Type", ERROR_TYPE)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()));
        match request {
            Ok(request) => {
                if let Err(report) = PooledClient::builder().build().call(request).await {
                    error!(error = %report, "could not report the failed cold start to the Runtime API");
                }
            }
            Err(build) => error!(error = %build, "could not build the init error report"),
        }
    }
    Box::new(err)
}
