//! `mgn-replication`: keeps AWS Application Migration Service source servers chosen by
//! configuration replicating (started on time, stalls retried and escalated, pauses resumed),
//! enforces their replication settings and, when asked to, launches and cleans up their test
//! instances, in every account and region of its fleet, on a schedule, an MGN event or a direct
//! invocation.

mod apply;
mod ask;
mod config;
mod handler;
mod model;
mod observe;
mod plan;
#[cfg(test)]
mod testing;

/// The function's name in reports and in the tags it writes.
const FUNCTION: &str = "mgn-replication";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), dr_core::function::Error> {
    dr_core::function::serve(config::MgnConfig::from_env, |config| {
        handler::MgnReplication { config }
    })
    .await
}
