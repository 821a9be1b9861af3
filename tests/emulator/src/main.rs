//! `dr-emulator`: serves the emulator on 127.0.0.1 until interrupted.
//!
//! Usage: `dr-emulator [--port N] [--fixture path.json] [--pace-ms N]`
//! (defaults: port 4566, the bundled demo fixture, one step per 1000 ms; `--pace-ms 0` moves
//! only on `POST /_emulator/advance`).

use dr_emulator::{Config, Emulator, Fixture};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Command-line options.
struct Args {
    port: u16,
    fixture: Option<PathBuf>,
    pace_ms: u64,
}

const USAGE: &str = "usage: dr-emulator [--port N] [--fixture path.json] [--pace-ms N]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 4566,
        fixture: None,
        pace_ms: 1000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--port" => {
                let v = value("--port")?;
                args.port = v.parse().map_err(|_| format!("--port {v}: not a port"))?;
            }
            "--fixture" => args.fixture = Some(PathBuf::from(value("--fixture")?)),
            "--pace-ms" => {
                let v = value("--pace-ms")?;
                args.pace_ms = v
                    .parse()
                    .map_err(|_| format!("--pace-ms {v}: not a number of milliseconds"))?;
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let fixture = match &args.fixture {
        None => Fixture::demo(),
        Some(path) => match Fixture::load(path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        },
    };
    let mut config = Config::new(fixture).with_port(args.port);
    if args.pace_ms > 0 {
        config = config.with_pace(Duration::from_millis(args.pace_ms));
    }
    let emulator = match Emulator::start(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot listen on 127.0.0.1:{}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    println!("listening on {}", emulator.endpoint_url());
    // Scripts wait for this line, so it must not sit in a buffer.
    let _ = std::io::stdout().flush();
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("cannot wait for Ctrl-C: {e}");
        return ExitCode::FAILURE;
    }
    drop(emulator);
    ExitCode::SUCCESS
}
