//! `drs-start-replication`: starts replication of stopped AWS Elastic Disaster Recovery source
//! servers chosen by configuration, in every account and region of its fleet, on a schedule, an
//! alarm, a stalled-replication event or a direct invocation.

mod apply;
mod config;
mod handler;
mod model;
mod observe;
mod plan;
#[cfg(test)]
mod testing;

/// The function's name in reports.
const FUNCTION: &str = "drs-start-replication";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), dr_core::function::Error> {
    dr_core::function::serve(config::DrsConfig::from_env, |config| {
        handler::StartReplication { config }
    })
    .await
}
