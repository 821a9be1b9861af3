//! Apply: start replication on the planned servers with bounded concurrency.

use crate::model::{ReplicationState, SourceServer, Start, START_REPLICATION};
use crate::observe;
use dr_core::error::{CallFailure, ErrorClass};
use dr_core::fanout::run_bounded;
use dr_core::report::TargetOutcome;

/// Starts replication on every planned server, at most `concurrency` at a time.
///
/// Throttling and transient errors are retried by the SDK's retry policy first; what still fails
/// is reported per server and never stops the others. A `ConflictException` is read through the
/// server's state now: only a server that replicates by now is
/// unchanged; any other refusal is a failure with DRS's message.
pub async fn apply(
    drs: &aws_sdk_drs::Client,
    starts: Vec<Start>,
    concurrency: usize,
) -> Vec<TargetOutcome> {
    run_bounded(starts, concurrency, |start| async move {
        let outcome = start_one(drs, &start).await;
        start.name_extended(outcome)
    })
    .await
}

/// Starts replication on one server and reports what came of it.
async fn start_one(drs: &aws_sdk_drs::Client, start: &Start) -> TargetOutcome {
    let id = &start.source_server_id;
    match drs
        .start_replication()
        .source_server_id(id.as_str())
        .send()
        .await
    {
        Ok(out) => {
            let state = out
                .source_server()
                .and_then(|s| s.data_replication_info())
                .and_then(|d| d.data_replication_state())
                .map(|s| s.as_str().to_owned());
            TargetOutcome::done(id.as_str(), START_REPLICATION, state)
        }
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            match failure.class {
                ErrorClass::Conflict => {
                    let now = observe::one_source_server(drs, id).await;
                    after_conflict(id.as_str(), &failure, now)
                }
                _ => TargetOutcome::failed(id.as_str(), START_REPLICATION, &failure),
            }
        }
    }
}

/// What a `ConflictException` meant, from the server's state read right after it.
///
/// StartReplication "starts replication for a stopped Source Server" [DRS API reference], so a
/// conflict is "already replicating" only when the server has left STOPPED for a state that
/// replicates (someone else started it since the run observed it). A server still STOPPED was
/// refused for another reason (DRS does not document which; the quota is one candidate), and a
/// DISCONNECTED or unknown one is not replicating: those are failures carrying DRS's message.
/// When the state cannot be read, the refusal is reported as it came, retryable when the read
/// was (a retried run observes and plans again, so it starts nothing twice).
fn after_conflict(
    id: &str,
    conflict: &CallFailure,
    now: Result<Option<SourceServer>, CallFailure>,
) -> TargetOutcome {
    let failed = || TargetOutcome::failed(id, START_REPLICATION, conflict);
    match now {
        Ok(Some(server)) => match server.state {
            ReplicationState::Stopped
            | ReplicationState::Disconnected
            | ReplicationState::Unknown(_) => {
                let mut outcome = failed().with_detail(format!(
                    "{conflict}; the server is {} now, so replication was refused, not already \
                     running",
                    server.state.as_str()
                ));
                outcome.state = Some(server.state.as_str().to_owned());
                outcome
            }
            state => {
                let mut outcome = TargetOutcome::unchanged(
                    id,
                    START_REPLICATION,
                    format!("already replicating ({conflict})"),
                );
                outcome.state = Some(state.as_str().to_owned());
                outcome
            }
        },
        Ok(None) => failed().with_detail(format!(
            "{conflict}; DescribeSourceServers no longer lists the server"
        )),
        Err(read) => {
            let mut outcome = failed().with_detail(format!(
                "{conflict}; its state could not be read to tell why ({read})"
            ));
            outcome.retryable = read.is_retryable();
            outcome
        }
    }
}

#[cfg(test)]
mod tests;
