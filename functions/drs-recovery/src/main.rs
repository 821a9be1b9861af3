//! `drs-recovery`: launches AWS Elastic Disaster Recovery drills on a schedule and real
//! recoveries from alarms (only when configured to), follows the launch jobs up, reports each
//! server's measured recovery time and recovery point, and terminates its own drill instances
//! after their time to live, in every account and region of its fleet.

mod apply;
mod ask;
mod config;
mod handler;
mod model;
mod observe;
mod plan;
#[cfg(test)]
mod testing;

/// The function's name in reports and in the tags it puts on what it launches.
const FUNCTION: &str = "drs-recovery";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), dr_core::function::Error> {
    dr_core::function::serve(config::RecoveryConfig::from_env, |config| {
        handler::Recovery { config }
    })
    .await
}
