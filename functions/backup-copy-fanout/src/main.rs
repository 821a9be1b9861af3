//! `backup-copy-fanout`: copies each new AWS Backup recovery point to every configured destination
//! vault (cross-region and cross-account, each with its own lifecycle), exactly once, on backup
//! job completions (EventBridge or vault notifications), failed copy jobs, a sweep schedule or a
//! direct invocation.

mod apply;
mod config;
mod handler;
mod model;
mod observe;
mod plan;
#[cfg(test)]
mod testing;

use config::BackupConfig;

/// The function's name in reports.
const FUNCTION: &str = "backup-copy-fanout";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), dr_core::function::Error> {
    dr_core::function::serve(BackupConfig::from_env, |config| handler::BackupCopyFanout {
        config,
    })
    .await
}
