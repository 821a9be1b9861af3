//! `sms-replication-jobs`: creates the AWS Server Migration Service replication jobs the
//! configuration asks for, keeps the existing jobs' settings in line with it, and looks after
//! jobs that fail (pause-on-failure policy, resume, escalation), on a schedule, an SMS event or a
//! direct invocation.

mod apply;
mod config;
mod handler;
mod model;
mod observe;
mod plan;
mod policy;
#[cfg(test)]
mod testing;

/// The function's name in reports.
const FUNCTION: &str = "sms-replication-jobs";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), dr_core::function::Error> {
    dr_core::function::serve(
        |env| config::SmsConfig::from_env(env, dr_core::clock::now_secs()),
        |config| handler::ReplicationJobs { config },
    )
    .await
}
