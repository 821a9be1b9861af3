//! Apply: start the planned copy jobs with bounded concurrency at the configured rate.

use crate::config::BackupConfig;
use crate::model::{Copy, START_COPY_JOB};
use aws_sdk_backup::types::Lifecycle as SdkLifecycle;
use aws_smithy_types::DateTime;
use dr_core::arn::Arn;
use dr_core::backup::Lifecycle;
use dr_core::error::CallFailure;
use dr_core::fanout::run_bounded;
use dr_core::report::TargetOutcome;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// The error AWS Backup returns when "a limit in the request has been exceeded" (API reference,
/// `StartCopyJob`), such as a copy quota. A busy resource is not one: further copy jobs of it
/// wait in CREATED.
const LIMIT_EXCEEDED: &str = "LimitExceededException";

/// A job created this long before the run began cannot have been created by this run: the
/// answer is an idempotent replay of an earlier delivery. The margin absorbs clock skew.
const REPLAY_MARGIN_SECS: i64 = 5;

/// Spaces call starts at least `interval` apart, across every concurrent task.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pacer {
    /// A pacer allowing `per_second` starts per second.
    pub fn new(per_second: f64) -> Self {
        Self {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits for this caller's slot.
    pub async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// Starts every planned copy, at most `MAX_CONCURRENCY` in flight and
/// `BACKUP_START_RATE_PER_SECOND` started per second; `now` is when the run began (epoch seconds).
///
/// Throttling and transient errors are retried by the SDK's retry policy first; what still fails
/// is reported per destination and never stops the others. `LimitExceededException` means a
/// quota is full: nothing was started, and the next sweep or copy completion starts it, so it is
/// reported as unchanged rather than failed.
pub async fn apply(
    backup: &aws_sdk_backup::Client,
    config: &BackupConfig,
    copy_role: &Arn,
    copies: Vec<Copy>,
    now: i64,
) -> Vec<TargetOutcome> {
    let pacer = &Pacer::new(config.start_rate_per_second);
    let role = copy_role.as_str();
    run_bounded(copies, config.settings.max_concurrency, |copy| async move {
        pacer.wait().await;
        let result = backup
            .start_copy_job()
            .recovery_point_arn(&copy.recovery_point_arn)
            .source_backup_vault_name(&copy.source_vault_name)
            .destination_backup_vault_arn(copy.destination.vault_arn.as_str())
            .iam_role_arn(role)
            .idempotency_token(copy.idempotency_token())
            .set_lifecycle(copy.destination.lifecycle.as_ref().map(sdk_lifecycle))
            .send()
            .await;
        match result {
            Ok(out) => answered(&copy, out.copy_job_id(), out.creation_date(), now),
            Err(err) => {
                let failure = CallFailure::from_sdk(&err);
                if failure.code == LIMIT_EXCEEDED {
                    TargetOutcome::unchanged(
                        copy.target(),
                        START_COPY_JOB,
                        format!("deferred, nothing started ({failure})"),
                    )
                } else {
                    TargetOutcome::failed(copy.target(), START_COPY_JOB, &failure)
                }
            }
        }
    })
    .await
}

/// The outcome of a `StartCopyJob` that answered: started by this run, or an idempotent replay
/// of a job an earlier delivery started.
fn answered(copy: &Copy, id: Option<&str>, created: Option<&DateTime>, now: i64) -> TargetOutcome {
    let id = id.unwrap_or("(no id returned)");
    match created.map(DateTime::secs) {
        Some(created) if created < now - REPLAY_MARGIN_SECS => TargetOutcome::unchanged(
            copy.target(),
            START_COPY_JOB,
            format!(
                "copy job {id} (attempt {}) was already started by an earlier delivery; the \
                 idempotency token replayed it",
                copy.attempt
            ),
        ),
        _ => TargetOutcome::done(copy.target(), START_COPY_JOB, None).with_detail(format!(
            "copy job {id} (attempt {}){}",
            copy.attempt,
            copy.queued()
        )),
    }
}

fn sdk_lifecycle(l: &Lifecycle) -> SdkLifecycle {
    SdkLifecycle::builder()
        .set_move_to_cold_storage_after_days(l.move_to_cold_storage_after_days)
        .set_delete_after_days(l.delete_after_days)
        .set_opt_in_to_archive_for_supported_resources(l.opt_in_to_archive_for_supported_resources)
        .build()
}

#[cfg(test)]
mod tests;
