//! Apply: create jobs, start on-demand runs, reschedule runs and bring settings to the
//! configuration, with bounded concurrency.

use crate::model::{
    rescheduled, Action, Change, CreateJob, JobChanges, License, CREATE_REPLICATION_JOB,
    START_ON_DEMAND_RUN, UPDATE_REPLICATION_JOB,
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
/// Settings updates go first, so a paused job the same plan resumes with an on-demand run
/// replicates with the settings the configuration asks for. Throttling and transient errors are
/// retried by the SDK's retry policy first; what still fails is reported per target and never
/// stops the others.
pub async fn apply(
    sms: &aws_sdk_sms::Client,
    actions: Vec<Action>,
    concurrency: usize,
) -> Vec<TargetOutcome> {
    let (updates, others): (Vec<_>, Vec<_>) = actions
        .into_iter()
        .enumerate()
        .partition(|(_, action)| matches!(action, Action::Update { .. }));
    let one =
        |(index, action): (usize, Action)| async move { (index, carry_out(sms, action).await) };
    let mut outcomes = run_bounded(updates, concurrency, one).await;
    outcomes.extend(run_bounded(others, concurrency, one).await);
    outcomes.sort_by_key(|(index, _)| *index);
    outcomes.into_iter().map(|(_, outcome)| outcome).collect()
}

/// One action's call and outcome.
async fn carry_out(sms: &aws_sdk_sms::Client, action: Action) -> TargetOutcome {
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
            changes,
        } => {
            let result = update(sms, &job_id, Some(next_start), &changes).await;
            updated(&job_id, result, rescheduled(next_start, &reason, &changes))
        }
        Action::Update { job_id, changes } => {
            let result = update(sms, &job_id, None, &changes).await;
            updated(&job_id, result, changes.summary())
        }
    }
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

/// `UpdateReplicationJob` with `nextReplicationRunStartTime` when given and only the settings
/// in `changes`; every member left out keeps its value in SMS. Sending the same values again sets
/// nothing new, so the SDK may retry it.
async fn update(
    sms: &aws_sdk_sms::Client,
    job_id: &str,
    next_start: Option<i64>,
    changes: &JobChanges,
) -> Result<(), CallFailure> {
    let to = |c: &Option<Change<String>>| c.as_ref().map(|c| c.to.clone());
    sms.update_replication_job()
        .replication_job_id(job_id)
        .set_next_replication_run_start_time(next_start.map(DateTime::from_secs))
        .set_frequency(changes.frequency.as_ref().map(|c| c.to))
        .set_license_type(
            changes
                .license
                .as_ref()
                .map(|c| LicenseType::from(c.to.as_str())),
        )
        .set_role_name(to(&changes.role_name))
        .set_description(to(&changes.description))
        .set_number_of_recent_amis_to_keep(changes.amis_to_keep.as_ref().map(|c| c.to))
        .set_encrypted(changes.encrypted.as_ref().map(|c| c.to))
        .set_kms_key_id(to(&changes.kms_key_id))
        .send()
        .await
        .map(|_| ())
        .map_err(|err| CallFailure::from_sdk(&err))
}

/// The outcome of an `UpdateReplicationJob`: done with `detail`, or failed saying when the job
/// is gone.
fn updated(job_id: &str, result: Result<(), CallFailure>, detail: String) -> TargetOutcome {
    match result {
        Ok(()) => TargetOutcome::done(job_id, UPDATE_REPLICATION_JOB, None).with_detail(detail),
        Err(failure) => {
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
