//! Apply: start replication on the planned servers with bounded concurrency.

use dr_core::error::{CallFailure, ErrorClass};
use dr_core::fanout::run_bounded;
use dr_core::report::TargetOutcome;

/// The AWS operation this function applies.
pub const START_REPLICATION: &str = "StartReplication";

/// Starts replication on every planned server, at most `concurrency` at a time.
///
/// Throttling and transient errors are retried by the SDK's retry policy first; what still fails
/// is reported per server and never stops the others. A conflict means the server is already
/// replicating, which is the wanted state, so it is an unchanged outcome rather than a failure.
pub async fn start_replication(
    drs: &aws_sdk_drs::Client,
    source_server_ids: &[String],
    concurrency: usize,
    dry_run: bool,
) -> Vec<TargetOutcome> {
    if dry_run {
        return source_server_ids
            .iter()
            .map(|id| TargetOutcome::planned(id, START_REPLICATION))
            .collect();
    }
    run_bounded(source_server_ids.to_vec(), concurrency, |id| async move {
        match drs.start_replication().source_server_id(&id).send().await {
            Ok(out) => {
                let state = out
                    .source_server()
                    .and_then(|s| s.data_replication_info())
                    .and_then(|d| d.data_replication_state())
                    .map(|s| s.as_str().to_owned());
                TargetOutcome::done(id, START_REPLICATION, state)
            }
            Err(err) => {
                let failure = CallFailure::from_sdk(&err);
                match failure.class {
                    ErrorClass::Conflict => TargetOutcome::unchanged(
                        id,
                        START_REPLICATION,
                        format!("already replicating ({failure})"),
                    ),
                    _ => TargetOutcome::failed(id, START_REPLICATION, &failure),
                }
            }
        }
    })
    .await
}
