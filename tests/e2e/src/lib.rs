//! End-to-end harness: runs the real function binaries the way Lambda runs them.
//!
//! [`RuntimeApi`] is a minimal Lambda Runtime API (the `next` / `response` / `error` endpoints a
//! custom runtime polls) on loopback; [`FunctionProcess`] starts a release or debug `bootstrap`
//! binary pointed at it, with a hermetic AWS environment aimed at an endpoint such as the emulator.
//! [`Deployment`] puts the three together, as most end-to-end tests start; [`Fleet`] runs several
//! functions against one emulator, as the demo does. [`demo`] holds the demo configuration,
//! [`fleet`] one function deployed over several accounts and regions, [`recovery`] what the
//! drs-recovery tests read of the emulator's DRS launches, [`mgn`] what the mgn-replication tests
//! read of the emulator's MGN, and [`report`] what the tests read of a run report. The metrics
//! lines a run writes are checked by `dr_testkit::emf`, against the EMF specification.

pub mod demo;
pub mod fleet;
pub mod mgn;
pub mod recovery;
pub mod report;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use dr_core::report::RunReport;
use dr_emulator::{Config, Emulator, FaultRule, Fixture};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};

/// What a function returned for one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// The handler's result.
    Response(Value),
    /// The handler failed; Lambda would retry an asynchronous invocation.
    Error {
        /// `errorType` as the runtime reported it.
        error_type: String,
        /// `errorMessage` as the runtime reported it.
        error_message: String,
    },
}

impl Invocation {
    /// The response, or a panic naming the error (for tests).
    pub fn expect_response(self) -> Value {
        match self {
            Invocation::Response(v) => v,
            Invocation::Error {
                error_type,
                error_message,
            } => panic!("invocation failed: {error_type}: {error_message}"),
        }
    }

    /// The `errorType` of a failed invocation; `None` for a response.
    pub fn error_type(&self) -> Option<&str> {
        match self {
            Invocation::Response(_) => None,
            Invocation::Error { error_type, .. } => Some(error_type),
        }
    }
}

/// Why the harness could not complete an invocation.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The function did not answer in time.
    #[error("no answer from the function within {0:?}")]
    Timeout(Duration),
    /// The function reported an initialisation error (e.g. bad configuration).
    #[error("function failed to initialise: {0}")]
    Init(String),
    /// The Runtime API server stopped.
    #[error("runtime API stopped")]
    Stopped,
    /// The function binary has not been built.
    #[error("{0}")]
    MissingBinary(String),
    /// Starting a server or process failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

type Pending = (String, Bytes, oneshot::Sender<Invocation>);

struct Shared {
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<Pending>>,
    inflight: Mutex<HashMap<String, oneshot::Sender<Invocation>>>,
    init_error: Mutex<Option<String>>,
    first_next: OnceLock<Instant>,
    function_arn: String,
}

/// A local Lambda Runtime API serving one function.
pub struct RuntimeApi {
    address: String,
    shared: Arc<Shared>,
    submit: mpsc::UnboundedSender<Pending>,
    next_id: AtomicU64,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    /// Starts the API on an ephemeral loopback port.
    pub async fn start(function_name: &str) -> Result<Self, HarnessError> {
        let (submit, queue) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue: tokio::sync::Mutex::new(queue),
            inflight: Mutex::new(HashMap::new()),
            init_error: Mutex::new(None),
            first_next: OnceLock::new(),
            function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{function_name}"),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(respond),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            // Lambda takes responses of up to 6 MB ["Lambda quotas"]; axum's default is 2 MB.
            .layer(axum::extract::DefaultBodyLimit::max(6 * 1024 * 1024))
            .with_state(shared.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?.to_string();
        let server = tokio::spawn(async move {
            // The server only stops when the harness is dropped.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            address,
            shared,
            submit,
            next_id: AtomicU64::new(1),
            server,
        })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// When the function first asked for an event (the end of its initialisation).
    pub fn first_next_at(&self) -> Option<Instant> {
        self.shared.first_next.get().copied()
    }

    /// Hands `event` to the function and waits for its answer.
    pub async fn invoke(
        &self,
        event: &Value,
        timeout: Duration,
    ) -> Result<Invocation, HarnessError> {
        let body = serde_json::to_vec(event).map_err(std::io::Error::other)?;
        self.invoke_raw(body, timeout).await
    }

    /// Hands a payload of any bytes (truncated or not JSON at all) to the function and waits
    /// for its answer.
    pub async fn invoke_raw(
        &self,
        payload: impl Into<Bytes>,
        timeout: Duration,
    ) -> Result<Invocation, HarnessError> {
        let id = format!("req-{:08}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        let body = payload.into();
        self.submit
            .send((id, body, tx))
            .map_err(|_| HarnessError::Stopped)?;
        let deadline = Instant::now() + timeout;
        let mut rx = rx;
        loop {
            let slice =
                Duration::from_millis(50).min(deadline.saturating_duration_since(Instant::now()));
            match tokio::time::timeout(slice, &mut rx).await {
                Ok(Ok(answer)) => return Ok(answer),
                Ok(Err(_)) => return Err(HarnessError::Stopped),
                Err(_) => {
                    if let Some(e) = self.init_error() {
                        return Err(HarnessError::Init(e));
                    }
                    if Instant::now() >= deadline {
                        return Err(HarnessError::Timeout(timeout));
                    }
                }
            }
        }
    }

    /// The initialisation error the function reported, if any.
    pub fn init_error(&self) -> Option<String> {
        self.shared.init_error.lock().ok().and_then(|e| e.clone())
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    let _ = shared.first_next.set(Instant::now());
    let pending = shared.queue.lock().await.recv().await;
    let Some((id, body, answer)) = pending else {
        return StatusCode::GONE.into_response();
    };
    if let Ok(mut inflight) = shared.inflight.lock() {
        inflight.insert(id.clone(), answer);
    }
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        + 900_000;
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    set("lambda-runtime-aws-request-id", id);
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        shared.function_arn.clone(),
    );
    set(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
    );
    set("content-type", "application/json".into());
    (headers, body).into_response()
}

fn complete(shared: &Shared, id: &str, outcome: Invocation) -> StatusCode {
    let sender = shared.inflight.lock().ok().and_then(|mut m| m.remove(id));
    match sender {
        Some(tx) => {
            let _ = tx.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn respond(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    complete(&shared, &id, Invocation::Response(value))
}

async fn fail(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let field = |k: &str| {
        value
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    complete(
        &shared,
        &id,
        Invocation::Error {
            error_type: field("errorType"),
            error_message: field("errorMessage"),
        },
    )
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    if let Ok(mut e) = shared.init_error.lock() {
        *e = Some(String::from_utf8_lossy(&body).into_owned());
    }
    StatusCode::ACCEPTED
}

/// A function binary running against a [`RuntimeApi`]; killed when dropped.
pub struct FunctionProcess {
    child: Child,
    /// When the process was started.
    pub started_at: Instant,
}

impl FunctionProcess {
    /// Starts `binary` with a hermetic environment: the Lambda variables, fake credentials,
    /// `AWS_ENDPOINT_URL=endpoint`, and `env` on top. Logs go to `log_file`.
    pub fn spawn(
        binary: &Path,
        runtime: &RuntimeApi,
        endpoint: &str,
        env: &[(&str, &str)],
        log_file: &Path,
    ) -> Result<Self, HarnessError> {
        if let Some(dir) = log_file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let log = std::fs::File::create(log_file)?;
        let name = binary
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut cmd = Command::new(binary);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", runtime.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", &name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "e2e")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_ENDPOINT_URL", endpoint);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        let started_at = Instant::now();
        let child = cmd.spawn()?;
        Ok(Self { child, started_at })
    }

    /// Whether the process has exited, and with what status.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

/// A function's debug binary deployed against a fresh emulator: the emulator, the Runtime API
/// its instances poll, and the instances, stopped when dropped.
pub struct Deployment {
    /// The emulator the function calls.
    pub emulator: Emulator,
    /// The Runtime API the instances poll.
    pub runtime: RuntimeApi,
    _instances: Vec<FunctionProcess>,
}

impl Deployment {
    /// Starts an emulator holding `fixture`, a Runtime API for `function`, and `instances` warm
    /// copies of its debug binary with `env`, as Lambda runs concurrent invocations. Each logs
    /// to `e2e-logs/<log>.log`, or `<log>-<i>.log` when there are several.
    pub async fn start(
        function: &str,
        fixture: Fixture,
        env: &[(&str, &str)],
        log: &str,
        instances: usize,
    ) -> Result<Self, HarnessError> {
        let emulator = Emulator::start(Config::new(fixture)).await?;
        let runtime = RuntimeApi::start(function).await?;
        let binary = function_binary(function, "debug").map_err(HarnessError::MissingBinary)?;
        let logs = target_dir().join("e2e-logs");
        let processes = (0..instances)
            .map(|i| {
                let file = if instances == 1 {
                    format!("{log}.log")
                } else {
                    format!("{log}-{i}.log")
                };
                let endpoint = emulator.endpoint_url();
                FunctionProcess::spawn(&binary, &runtime, &endpoint, env, &logs.join(file))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            emulator,
            runtime,
            _instances: processes,
        })
    }

    /// One instance of `function` with the demo configuration against the demo fleet, logging to
    /// `e2e-logs/<log>.log`.
    pub async fn demo(function: &str, log: &str) -> Result<Self, HarnessError> {
        Self::start(function, Fixture::demo(), &demo::config().env(), log, 1).await
    }

    /// Invokes the function with `event` and reads the run report it answers with; panics when
    /// there is no answer or it is not a report.
    pub async fn invoke_report(&self, event: &Value) -> RunReport {
        let answer = self.runtime.invoke(event, INVOKE_TIMEOUT).await;
        let answer = answer.unwrap_or_else(|e| panic!("no answer to {event}: {e}"));
        serde_json::from_value(answer.expect_response()).expect("a run report")
    }

    /// Checks that the function rejects each of `events` as a `BadEvent`.
    pub async fn assert_bad_events(&self, events: &[Value]) {
        for event in events {
            let answer = self.runtime.invoke(event, INVOKE_TIMEOUT).await;
            let answer = answer.unwrap_or_else(|e| panic!("no answer to {event}: {e}"));
            assert_eq!(answer.error_type(), Some("BadEvent"), "{event}: {answer:?}");
        }
    }
}

/// How long the helpers wait for a function's answer.
pub const INVOKE_TIMEOUT: Duration = Duration::from_secs(60);

/// Several functions against one emulator, as the demo runs them: one instance of each debug
/// binary, each polling its own Runtime API, all with the same environment.
pub struct Fleet {
    /// The emulator the functions call.
    pub emulator: Emulator,
    functions: Vec<(String, RuntimeApi, FunctionProcess)>,
}

impl Fleet {
    /// Starts an emulator holding `fixture` and `functions` with `env`, each logging to
    /// `e2e-logs/<log>-<function>.log`.
    pub async fn start(
        fixture: Fixture,
        functions: &[&str],
        env: &[(&str, &str)],
        log: &str,
    ) -> Result<Self, HarnessError> {
        let emulator = Emulator::start(Config::new(fixture)).await?;
        let logs = target_dir().join("e2e-logs");
        let mut started = Vec::new();
        for function in functions {
            let runtime = RuntimeApi::start(function).await?;
            let binary = function_binary(function, "debug").map_err(HarnessError::MissingBinary)?;
            let file = logs.join(format!("{log}-{function}.log"));
            let process =
                FunctionProcess::spawn(&binary, &runtime, &emulator.endpoint_url(), env, &file)?;
            started.push(((*function).to_owned(), runtime, process));
        }
        Ok(Self {
            emulator,
            functions: started,
        })
    }

    /// The Runtime API `function` polls; panics for a function the fleet does not run.
    pub fn runtime(&self, function: &str) -> &RuntimeApi {
        self.functions
            .iter()
            .find(|(name, _, _)| name == function)
            .map(|(_, runtime, _)| runtime)
            .unwrap_or_else(|| panic!("{function} is not in the fleet"))
    }

    /// The functions whose process has exited.
    pub fn exited(&mut self) -> Vec<String> {
        self.functions
            .iter_mut()
            .filter_map(|(name, _, process)| process.exited().map(|_| name.clone()))
            .collect()
    }
}

/// Starts `function`'s debug binary with `env` against an endpoint nothing listens on, expects it
/// to fail its initialisation and exit, as on Lambda, and returns the init error's body; panics
/// otherwise. Logs to `e2e-logs/<log>.log`.
pub async fn cold_start_error(function: &str, env: &[(&str, &str)], log: &str) -> String {
    let binary = function_binary(function, "debug").unwrap_or_else(|e| panic!("{e}"));
    let runtime = RuntimeApi::start(function).await.expect("a Runtime API");
    let log = target_dir().join(format!("e2e-logs/{log}.log"));
    let mut process = FunctionProcess::spawn(&binary, &runtime, "http://127.0.0.1:9", env, &log)
        .expect("the function started");
    let body = match runtime
        .invoke(&Value::Object(Default::default()), Duration::from_secs(20))
        .await
    {
        Err(HarnessError::Init(body)) => body,
        other => panic!("expected an init error, got {other:?}"),
    };
    for _ in 0..100 {
        if process.exited().is_some() {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{function} kept running after a failed initialisation");
}

/// A rule that holds every `operation` call `latency_ms` before the emulator answers it, without
/// failing any.
pub fn hold(operation: &str, latency_ms: u64) -> FaultRule {
    FaultRule {
        operation: operation.into(),
        error_rate: 0.0,
        error: "ThrottlingException".into(),
        latency_ms,
        drop_connection_rate: 0.0,
        times: None,
    }
}

/// The workspace's target directory (honouring `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// The path of a function binary built by `cargo build --bins` in `profile` (`debug`/`release`).
pub fn function_binary(name: &str, profile: &str) -> Result<PathBuf, String> {
    let path = target_dir().join(profile).join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: build the functions first (`cargo build --workspace --bins`, which `make test` does)",
            path.display()
        ))
    }
}

/// The workspace's `events/` directory.
pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

/// Reads a sample event from `events/<relative>`.
pub fn sample_event(relative: &str) -> Result<Value, String> {
    let path = events_dir().join(relative);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The lines of a log that are meant as EMF: JSON objects with an `_aws` member. (Other JSON
/// lines, such as the JSON log records, carry no `_aws`.)
pub fn emf_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|line| {
            serde_json::from_str::<Value>(line)
                .ok()
                .is_some_and(|v| v.get("_aws").is_some())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_json_objects_with_aws_metadata_are_emf_lines() {
        let emf = r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]}}"#;
        let log =
            format!("{emf}\n{{\"level\":\"INFO\",\"message\":\"started\"}}\nplain text\n{emf}\n");
        assert_eq!(emf_lines(&log).len(), 2);
    }
}
