//! `dr-bench`: runs every benchmark on the release binaries (built first by `make bench`), prints
//! the Markdown table and writes it to `target/bench/results.md`.
//!
//! `dr-bench [--reps N] [--quick] [--only cold-start|fanout|fleet|drill|mgn|evidence]`: `--reps` sets the cold
//! starts per subject (default 30); `--quick` runs fleets a tenth of the size with 3 cold starts,
//! to try the machinery; `--only` runs one scenario. It exits 0 when targets are missed (they are
//! marked in the table): timings are reported, not asserted.

use dr_bench::suite::{self, Scenario, Settings};
use dr_bench::{table, BenchError};
use std::process::ExitCode;

#[derive(Debug, thiserror::Error)]
enum UsageError {
    #[error("--reps needs a positive number, got {0:?}")]
    Reps(Option<String>),
    #[error("--only needs cold-start, fanout, fleet, drill, mgn or evidence, got {0:?}")]
    Only(Option<String>),
    #[error("unknown argument {0:?}; usage: dr-bench [--reps N] [--quick] [--only SCENARIO]")]
    Unknown(String),
}

fn settings(args: impl Iterator<Item = String>) -> Result<Settings, UsageError> {
    let mut settings = Settings::full();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--reps" => {
                let value = args.next();
                settings.reps = value
                    .as_deref()
                    .and_then(|v| v.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or(UsageError::Reps(value))?;
            }
            "--quick" => {
                settings.reps = 3;
                settings.drs_servers /= 10;
                settings.drs_may_start /= 10;
                settings.backup_points /= 10;
                settings.fleet.targets /= 10;
                settings.fleet.servers /= 10;
                settings.fleet.stopped /= 10;
                settings.drill.servers /= 10;
                settings.mgn.servers /= 10;
                settings.evidence.servers /= 10;
                settings.evidence.may_start /= 10;
                settings.evidence.runs = 3;
            }
            "--only" => {
                let value = args.next();
                settings.only = Some(
                    value
                        .as_deref()
                        .and_then(Scenario::parse)
                        .ok_or(UsageError::Only(value))?,
                );
            }
            _ => return Err(UsageError::Unknown(arg)),
        }
    }
    Ok(settings)
}

async fn bench(settings: &Settings) -> Result<String, BenchError> {
    let results = suite::run_all(settings).await?;
    let markdown = table::markdown(&results);
    std::fs::create_dir_all(&settings.out_dir)?;
    std::fs::write(settings.out_dir.join("results.md"), &markdown)?;
    Ok(markdown)
}

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match settings(std::env::args().skip(1)) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("dr-bench: {e}");
            return ExitCode::from(2);
        }
    };
    match bench(&settings).await {
        Ok(markdown) => {
            println!("{markdown}");
            println!(
                "(written to {})",
                settings.out_dir.join("results.md").display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dr-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
