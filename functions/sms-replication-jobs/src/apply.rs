//! Apply: create jobs, start on-demand runs and reschedule runs, with bounded concurrency.

use crate::model::{
    rescheduled, Action, CreateJob, License, CREATE_REPLICATION_JOB, START_ON_DEMAND_RUN,
    UPDATE_REPLICATION_JOB,
};
use aws_sdk_sms::config::retry::RetryConfig;
use aws_sdk_sms::types::LicenseType;
use aws_smithy_types::DateTime;
use dr_core::error::{CallFailure, ErrorClass};
use dr_core::fanout::run_bounded;
use dr_core::report::TargetOutcome;

/// SMS's answer when a job for the server exists already.
const ALREADY_EXISTS: &str = "ReplicationJobAlreadyExistsException";
/// SMS's answer for a server it will not replicate.
const CANNOT_REPLICATE: &str = "ServerCannotBeReplicatedException";
/// SMS's answer when the job had its on-demand runs for the day.
const RUN_LIMIT: &str = "ReplicationRunLimitExceededException";

/// Carries out every planned action, at most `concurrency` at a time, returning one outcome each
/// in plan order.
///
/// Throttling and transient errors are retried by the SDK's retry policy first; what still fails
/// is reported per target and never stops the others.
pub async fn apply(
    sms: &aws_sdk_sms::Client,
    actions: Vec<Action>,
    concurrency: usize,
) -> Vec<TargetOutcome> {
    run_bounded(actions, concurrency, |action| async move {
        match action {
            Action::Create(job) => create(sms, &job).await,
            Action::StartRun {
                job_id,
                description,
                reason,
            } => start_run(sms, &job_id, &description, &reason).await,
            Action::Reschedule {
                job_id,
                next_start,
                reason,
            } => reschedule(sms, &job_id, next_start, &reason).await,
        }
    })
    .await
}

/// `CreateReplicationJob` with every configured option; a job that already exists is the wanted
/// state, so it is an unchanged outcome, not a failure.
async fn create(sms: &aws_sdk_sms::Client, job: &CreateJob) -> TargetOutcome {
    let options = &job.options;
    let license = match options.license {
        License::Auto => None,
        License::Aws => Some(LicenseType::Aws),
        License::Byol => Some(LicenseType::Byol),
    };
    let result = sms
        .create_replication_job()
        .server_id(&job.server_id)
        .seed_replication_time(DateTime::from_secs(job.seed_time))
        .set_frequency(options.frequency)
        .set_run_once(options.run_once)
        .set_license_type(license)
        .set_role_name(options.role_name.clone())
        .set_description(options.description.clone())
        .set_number_of_recent_amis_to_keep(options.amis_to_keep)
        .set_encrypted(options.encrypted)
        .set_kms_key_id(options.kms_key_id.clone())
        .send()
        .await;
    match result {
        Ok(out) => {
            TargetOutcome::done(&job.server_id, CREATE_REPLICATION_JOB, None).with_detail(format!(
                "created {}: {}",
                out.replication_job_id().unwrap_or("a replication job"),
                job.summary()
            ))
        }
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            match failure.code.as_str() {
                ALREADY_EXISTS => TargetOutcome::unchanged(
                    &job.server_id,
                    CREATE_REPLICATION_JOB,
                    format!("a replication job already exists ({failure})"),
                ),
                CANNOT_REPLICATE => {
                    TargetOutcome::failed(&job.server_id, CREATE_REPLICATION_JOB, &failure)
                        .with_detail(format!("cannot be replicated: {}", failure.message))
                }
                _ => TargetOutcome::failed(&job.server_id, CREATE_REPLICATION_JOB, &failure),
            }
        }
    }
}

/// `StartOnDemandReplicationRun`; the plan keeps within the limits, so SMS refusing for the limit
/// means runs it did not show yet, reported as unchanged with its reason.
async fn start_run(
    sms: &aws_sdk_sms::Client,
    job_id: &str,
    description: &str,
    reason: &str,
) -> TargetOutcome {
    // The call takes no idempotency token: an SDK retry after a lost answer could start a
    // second run. Sent once; a failure is retryable and the next invocation sees any run it
    // started before deciding again.
    let result = sms
        .start_on_demand_replication_run()
        .replication_job_id(job_id)
        .description(description)
        .customize()
        .config_override(
            aws_sdk_sms::config::Config::builder().retry_config(RetryConfig::disabled()),
        )
        .send()
        .await;
    match result {
        Ok(out) => TargetOutcome::done(job_id, START_ON_DEMAND_RUN, None).with_detail(format!(
            "started {}; {reason}",
            out.replication_run_id().unwrap_or("a run")
        )),
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            if failure.code == RUN_LIMIT {
                TargetOutcome::unchanged(
                    job_id,
                    START_ON_DEMAND_RUN,
                    format!("on-demand run limit reached ({failure})"),
                )
            } else {
                TargetOutcome::failed(job_id, START_ON_DEMAND_RUN, &failure)
            }
        }
    }
}

/// `UpdateReplicationJob` with only `nextReplicationRunStartTime`, leaving every other setting.
async fn reschedule(
    sms: &aws_sdk_sms::Client,
    job_id: &str,
    next_start: i64,
    reason: &str,
) -> TargetOutcome {
    let result = sms
        .update_replication_job()
        .replication_job_id(job_id)
        .next_replication_run_start_time(DateTime::from_secs(next_start))
        .send()
        .await;
    match result {
        Ok(_) => TargetOutcome::done(job_id, UPDATE_REPLICATION_JOB, None)
            .with_detail(rescheduled(next_start, reason)),
        Err(err) => {
            let failure = CallFailure::from_sdk(&err);
            let mut outcome = TargetOutcome::failed(job_id, UPDATE_REPLICATION_JOB, &failure);
            if failure.class == ErrorClass::NotFound {
                outcome = outcome.with_detail(format!("the job is gone: {failure}"));
            }
            outcome
        }
    }
}

#[cfg(test)]
mod tests;
