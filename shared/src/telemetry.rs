//! Structured logging set up the way the Lambda service configures it.

/// Installs the global tracing subscriber.
///
/// Honours `AWS_LAMBDA_LOG_FORMAT` (`JSON` gives one JSON object per line) and
/// `AWS_LAMBDA_LOG_LEVEL` (falling back to `RUST_LOG`, then `INFO`), as set by the function's
/// `LoggingConfig`.
pub fn init() {
    lambda_runtime::tracing::init_default_subscriber();
}
