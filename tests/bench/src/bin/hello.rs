//! The floor of every cold-start and memory figure: a hello-world lambda_runtime function that
//! echoes its event, with the same tracing setup and single-threaded runtime as the functions, so
//! the ratio to it is what the SDK, the configuration and the job add.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
