//! `dr-coverage`: a scheduled, read-only coverage run. For every fleet target it reports which
//! configured destinations hold a completed copy of each recent recovery point (and of older
//! ones whose fan-out is incomplete), the replication health and last successful drill of every
//! selected DRS source server, and the state of every MGN source server. It changes nothing: an
//! incomplete fan-out or an unhealthy server is a failed outcome, so the run's status says so.

mod config;
mod handler;
mod measure;
mod model;
mod observe;
mod plan;
#[cfg(test)]
mod testing;

/// The function's name in reports.
const FUNCTION: &str = "dr-coverage";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), dr_core::function::Error> {
    dr_core::function::serve(config::CoverageConfig::from_env, |config| {
        handler::Coverage { config }
    })
    .await
}
