//! Starting a subject the way Lambda starts a function, and reading its peak memory.
//!
//! The environment is the hermetic one of `dr_e2e::FunctionProcess` (Lambda variables, fake
//! credentials, `AWS_ENDPOINT_URL`); this type exists besides it because the benchmark also runs
//! Python peers (a program with arguments) and needs the process id to read `VmHWM`. Like
//! Lambda, it also sets `AWS_DEFAULT_REGION`, the region variable boto3 reads.

use crate::BenchError;
use dr_e2e::RuntimeApi;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;
use tokio::process::{Child, Command};

/// Something to measure: a program, its arguments and the environment it adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The name in the results, also the Lambda function name it runs as.
    pub name: String,
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Variables set on top of the hermetic environment, before the scenario's own.
    pub env: Vec<(String, String)>,
}

impl Subject {
    /// A Rust bootstrap: the binary alone.
    pub fn binary(name: &str, program: PathBuf) -> Self {
        Self {
            name: name.to_owned(),
            program,
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// A Python peer: `python tools/bench/runtime.py <module>` with the venv's interpreter.
    ///
    /// Byte code goes to `pycache` rather than next to the sources, so the repository stays
    /// clean while Python still gets its usual cached imports after the warm-up run.
    pub fn python(name: &str, python: &Path, tools: &Path, module: &str, pycache: &Path) -> Self {
        Self {
            name: name.to_owned(),
            program: python.to_path_buf(),
            args: vec![
                tools.join("runtime.py").display().to_string(),
                module.to_owned(),
            ],
            env: vec![(
                "PYTHONPYCACHEPREFIX".to_owned(),
                pycache.display().to_string(),
            )],
        }
    }
}

/// A running subject; killed when dropped.
#[derive(Debug)]
pub struct Process {
    child: Child,
    pid: u32,
    name: String,
    /// Just before `exec`.
    pub started_at: Instant,
}

impl Process {
    /// Starts `subject` against `runtime`, with `AWS_ENDPOINT_URL=endpoint` and `env` on top;
    /// output goes to `log`.
    pub fn spawn(
        subject: &Subject,
        runtime: &RuntimeApi,
        endpoint: &str,
        env: &[(String, String)],
        log: &Path,
    ) -> Result<Self, BenchError> {
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let log = std::fs::File::create(log)?;
        let name = &subject.name;
        let mut cmd = Command::new(&subject.program);
        cmd.args(&subject.args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", runtime.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_REGION", "us-east-1")
            // Lambda sets both; boto3 reads only this one.
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_ENDPOINT_URL", endpoint);
        for (k, v) in subject.env.iter().chain(env) {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        let started_at = Instant::now();
        let child = cmd.spawn()?;
        let pid = child.id().ok_or_else(|| {
            BenchError::Missing(format!(
                "{name}: the process exited before it could be measured"
            ))
        })?;
        Ok(Self {
            child,
            pid,
            name: name.clone(),
            started_at,
        })
    }

    /// Whether the process has exited.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Its memory so far, from one read of `/proc/<pid>/status` while the process is alive.
    pub fn memory(&self) -> Result<Memory, BenchError> {
        let fail = |reason: String| BenchError::Rss {
            subject: self.name.clone(),
            pid: self.pid,
            reason,
        };
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .map_err(|e| fail(e.to_string()))?;
        let field = |name: &str| {
            status_kib(&status, &format!("{name}:")).ok_or_else(|| fail(format!("no {name} line")))
        };
        Ok(Memory {
            peak_rss_kib: field("VmHWM")?,
            file_rss_kib: field("RssFile")?,
        })
    }
}

/// What `/proc/<pid>/status` says of a process's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// The peak resident set size so far (`VmHWM`), KiB.
    pub peak_rss_kib: u64,
    /// The resident pages of mapped files (`RssFile`: the binary, its libraries), KiB.
    pub file_rss_kib: u64,
}

/// The value of a `/proc/<pid>/status` line such as `VmHWM:   1234 kB`, in KiB.
fn status_kib(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_fields() {
        let status = "Name:\thello\nVmPeak:\t  9000 kB\nVmHWM:\t    4321 kB\nVmRSS:\t 4000 kB\n\
                      RssAnon:\t     300 kB\nRssFile:\t    3700 kB\n";
        assert_eq!(status_kib(status, "VmHWM:"), Some(4321));
        assert_eq!(status_kib(status, "RssFile:"), Some(3700));
        assert_eq!(status_kib("Name:\thello\n", "VmHWM:"), None);
    }
}
