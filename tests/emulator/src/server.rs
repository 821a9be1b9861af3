//! The HTTP side: the accept loop, the axum router with the admin API, and the AWS dispatcher.

use crate::faults::{parse_scoped, Outcome};
use crate::fixture::S3Bucket;
use crate::fixture::{Fixture, RecoveryPointSpec};
use crate::protocol::{
    access_key, credential_scope, json_reply, query_reply, s3_reply, unserved, ApiError, Detected,
    Service,
};
use crate::util::{hex, uuid_lower};
use crate::world::{AwsRequest, PartitionKey, World};
use crate::{backup, drs, mgn, s3, sms, sns, sts};
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower_service::Service as _;

/// The world behind a lock, shared by every connection.
pub type Shared = Arc<Mutex<World>>;

/// Locks the world. A panic while it was held cannot leave it half-updated in a way later calls
/// would trip over (each operation validates before it mutates), so a poisoned lock is reused.
pub fn lock(shared: &Shared) -> MutexGuard<'_, World> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Response extension asking the connection loop to close the connection instead of answering.
#[derive(Debug, Clone, Copy)]
struct DropConnection;

/// The error that makes hyper close a connection without a response.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by an injected fault")]
struct ConnectionDropped;

/// Serves `app` on `listener` until `shutdown` fires; one task per connection.
pub async fn serve(listener: TcpListener, app: Router, mut shutdown: oneshot::Receiver<()>) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of descriptors or similar: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let app = app.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(
                move |req: axum::http::Request<hyper::body::Incoming>| {
                    let mut app = app.clone();
                    async move {
                        let response = match app.call(req).await {
                            Ok(response) => response,
                            Err(never) => match never {},
                        };
                        if response.extensions().get::<DropConnection>().is_some() {
                            Err(ConnectionDropped)
                        } else {
                            Ok(response)
                        }
                    }
                },
            );
            // A connection ends with an error when a fault drops it or the client hangs up;
            // neither is something to report.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The router: admin endpoints under `/_emulator/`, every other request goes to the AWS dispatcher.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/_emulator/state", get(state))
        .route("/_emulator/sns/messages", get(sns_messages))
        .route(
            "/_emulator/faults",
            get(list_faults).post(set_fault).delete(clear_faults),
        )
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/advance", post(advance))
        .route("/_emulator/fixture", get(fixture).put(load_fixture))
        .route("/_emulator/drs/state", post(drs_state))
        .route("/_emulator/drs/launch-failures", post(drs_launch_failure))
        .route("/_emulator/mgn/state", post(mgn_state))
        .route("/_emulator/mgn/launch-failures", post(mgn_launch_failure))
        .route(
            "/_emulator/mgn/replication-configuration",
            get(mgn_replication_configuration),
        )
        .route("/_emulator/sts/roles", post(sts_role))
        .route("/_emulator/sms/runs", post(sms_schedule_run))
        .route(
            "/_emulator/backup/vaults/{name}/recovery-points",
            post(add_recovery_point),
        )
        .route(
            "/_emulator/s3/buckets",
            get(s3_buckets).post(s3_create_bucket),
        )
        .route("/_emulator/s3/objects", get(s3_objects))
        .fallback(aws)
        // Run reports of large fleets are stored whole; axum's default limit is 2 MB.
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared)
}

/// The largest request body the emulator reads (an S3 object can be far larger in AWS; the
/// emulator keeps objects in memory).
const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;

/// Errors of the admin API, answered as `{"error": "..."}` with status 400.
#[derive(Debug, thiserror::Error)]
enum AdminError {
    #[error("invalid JSON body: {0}")]
    Body(#[from] serde_json::Error),
    #[error("{0}")]
    Invalid(String),
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": self.to_string()})),
        )
            .into_response()
    }
}

/// Parses an admin body; an empty body counts as `{}`.
fn admin_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, AdminError> {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    Ok(serde_json::from_slice(text)?)
}

async fn state(State(shared): State<Shared>) -> Json<Value> {
    let mut world = lock(&shared);
    world.catch_up();
    Json(world.snapshot())
}

async fn sns_messages(
    State(shared): State<Shared>,
    Query(filter): Query<BTreeMap<String, String>>,
) -> Json<Value> {
    let world = lock(&shared);
    let messages: Vec<&sns::Message> = world
        .sns
        .messages()
        .iter()
        .filter(|m| filter.get("topicArn").is_none_or(|t| *t == m.topic_arn))
        .collect();
    Json(json!(messages))
}

async fn list_faults(State(shared): State<Shared>) -> Json<Value> {
    Json(json!(lock(&shared).faults.rules()))
}

async fn set_fault(State(shared): State<Shared>, body: Bytes) -> Result<Json<Value>, AdminError> {
    let scoped = parse_scoped(admin_body(&body)?)?;
    scoped
        .rule
        .validate()
        .map_err(|e| AdminError::Invalid(e.to_string()))?;
    let mut world = lock(&shared);
    world.faults.set(scoped.rule, scoped.scope);
    Ok(Json(json!(world.faults.rules())))
}

async fn clear_faults(State(shared): State<Shared>) -> StatusCode {
    lock(&shared).faults.clear();
    StatusCode::NO_CONTENT
}

async fn reset(State(shared): State<Shared>) -> StatusCode {
    lock(&shared).reset();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default)]
    steps: Option<u64>,
    #[serde(default)]
    seconds: Option<u64>,
}

async fn advance(State(shared): State<Shared>, body: Bytes) -> Result<Json<Value>, AdminError> {
    let Advance { steps, seconds } = admin_body(&body)?;
    let mut world = lock(&shared);
    // A bare POST means "one step", the common case in tests.
    let steps = steps.unwrap_or(if seconds.is_some() { 0 } else { 1 });
    world.advance(steps, seconds.unwrap_or(0));
    let snapshot = world.snapshot();
    Ok(Json(
        json!({"steps": snapshot["steps"], "now": snapshot["now"]}),
    ))
}

async fn fixture(State(shared): State<Shared>) -> Json<Value> {
    Json(json!(lock(&shared).fixture()))
}

async fn load_fixture(State(shared): State<Shared>, body: Bytes) -> Result<StatusCode, AdminError> {
    let text = std::str::from_utf8(&body)
        .map_err(|e| AdminError::Invalid(format!("fixture is not UTF-8: {e}")))?;
    let fixture = Fixture::from_json(text).map_err(|e| AdminError::Invalid(e.to_string()))?;
    lock(&shared).load(fixture);
    Ok(StatusCode::NO_CONTENT)
}

/// The partition an admin request acts on: `accountId` and `region`, from the body or the query
/// string, each defaulting to the home one.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Where {
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

impl Where {
    fn key(&self, world: &World) -> PartitionKey {
        world.key(self.account_id.as_deref(), self.region.as_deref())
    }

    /// Applies `change` to this partition's DRS, once the clock has caught up.
    fn change_drs(
        &self,
        shared: &Shared,
        change: impl FnOnce(&mut drs::Drs) -> Result<(), String>,
    ) -> Result<StatusCode, AdminError> {
        let mut world = lock(shared);
        world.catch_up();
        let key = self.key(&world);
        change(&mut world.partition_mut(&key).drs).map_err(AdminError::Invalid)?;
        Ok(StatusCode::NO_CONTENT)
    }

    /// Applies `change` to this partition's MGN, once the clock has caught up.
    fn change_mgn(
        &self,
        shared: &Shared,
        change: impl FnOnce(&mut mgn::Mgn) -> Result<(), String>,
    ) -> Result<StatusCode, AdminError> {
        let mut world = lock(shared);
        world.catch_up();
        let key = self.key(&world);
        change(&mut world.partition_mut(&key).mgn).map_err(AdminError::Invalid)?;
        Ok(StatusCode::NO_CONTENT)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DrsState {
    #[serde(rename = "sourceServerID")]
    source_server_id: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default, rename = "lagDuration")]
    lag_duration: Option<String>,
    #[serde(default, rename = "accountId")]
    account_id: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

/// Forces a server's data replication state, its lag, or both (checked before either changes).
async fn drs_state(State(shared): State<Shared>, body: Bytes) -> Result<StatusCode, AdminError> {
    let DrsState {
        source_server_id,
        state,
        lag_duration,
        account_id,
        region,
    } = admin_body(&body)?;
    if state.is_none() && lag_duration.is_none() {
        return Err(AdminError::Invalid(
            "give a state, a lagDuration or both".to_owned(),
        ));
    }
    Where { account_id, region }.change_drs(&shared, |drs| {
        drs.check_state_change(&source_server_id, state.as_deref(), lag_duration.as_deref())?;
        if let Some(state) = &state {
            drs.set_state(&source_server_id, state)?;
        }
        match &lag_duration {
            Some(lag) => drs.set_lag(&source_server_id, lag),
            None => Ok(()),
        }
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DrsLaunchFailure {
    #[serde(rename = "sourceServerID")]
    source_server_id: String,
    #[serde(default, rename = "accountId")]
    account_id: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

async fn drs_launch_failure(
    State(shared): State<Shared>,
    body: Bytes,
) -> Result<StatusCode, AdminError> {
    let DrsLaunchFailure {
        source_server_id,
        account_id,
        region,
    } = admin_body(&body)?;
    Where { account_id, region }.change_drs(&shared, |drs| drs.fail_next_launch(&source_server_id))
}

/// Forces an MGN server's data replication state (with its error), lag and/or lifecycle state
/// (all checked before any changes): `sourceServerID`, `accountId` and `region` name the server,
/// the other members are a [`mgn::StateChange`].
async fn mgn_state(State(shared): State<Shared>, body: Bytes) -> Result<StatusCode, AdminError> {
    let mut fields: serde_json::Map<String, Value> = admin_body(&body)?;
    let mut text = |key: &str| match fields.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(AdminError::Invalid(format!(
            "{key} must be a string, not {other}"
        ))),
    };
    let source_server_id = text("sourceServerID")?
        .ok_or_else(|| AdminError::Invalid("sourceServerID is required".to_owned()))?;
    let place = Where {
        account_id: text("accountId")?,
        region: text("region")?,
    };
    let change: mgn::StateChange = serde_json::from_value(Value::Object(fields))?;
    place.change_mgn(&shared, |mgn| mgn.change_state(&source_server_id, &change))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MgnLaunchFailure {
    #[serde(rename = "sourceServerID")]
    source_server_id: String,
    #[serde(default)]
    raw_error: Option<String>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

async fn mgn_launch_failure(
    State(shared): State<Shared>,
    body: Bytes,
) -> Result<StatusCode, AdminError> {
    let MgnLaunchFailure {
        source_server_id,
        raw_error,
        account_id,
        region,
    } = admin_body(&body)?;
    Where { account_id, region }.change_mgn(&shared, |mgn| {
        mgn.fail_next_launch(&source_server_id, raw_error.as_deref())
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MgnServerQuery {
    #[serde(rename = "sourceServerID")]
    source_server_id: String,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

/// The stored replication configuration of an MGN server, as GetReplicationConfiguration
/// answers it.
async fn mgn_replication_configuration(
    State(shared): State<Shared>,
    Query(query): Query<MgnServerQuery>,
) -> Result<Json<Value>, AdminError> {
    let MgnServerQuery {
        source_server_id,
        account_id,
        region,
    } = query;
    let mut world = lock(&shared);
    world.catch_up();
    let key = Where { account_id, region }.key(&world);
    world
        .partition_mut(&key)
        .mgn
        .replication_configuration(&source_server_id)
        .map(Json)
        .map_err(AdminError::Invalid)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StsRole {
    role_arn: String,
    denied: bool,
}

async fn sts_role(State(shared): State<Shared>, body: Bytes) -> Result<StatusCode, AdminError> {
    let StsRole { role_arn, denied } = admin_body(&body)?;
    lock(&shared)
        .sts
        .set_denied(&role_arn, denied)
        .map_err(AdminError::Invalid)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SmsScheduledRun {
    replication_job_id: String,
    /// Epoch seconds, as the SMS API sends times.
    scheduled_start_time: i64,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

async fn sms_schedule_run(
    State(shared): State<Shared>,
    body: Bytes,
) -> Result<Json<Value>, AdminError> {
    let SmsScheduledRun {
        replication_job_id,
        scheduled_start_time,
        account_id,
        region,
    } = admin_body(&body)?;
    let mut world = lock(&shared);
    world.catch_up();
    let key = Where { account_id, region }.key(&world);
    let scope = world.scope(&key, false);
    let now = scope.now();
    let id = scope
        .sms
        .schedule_run(&replication_job_id, scheduled_start_time, now, scope.rng)
        .map_err(AdminError::Invalid)?;
    Ok(Json(json!({"replicationRunId": id})))
}

async fn add_recovery_point(
    State(shared): State<Shared>,
    Path(name): Path<String>,
    Query(place): Query<Where>,
    body: Bytes,
) -> Result<Json<Value>, AdminError> {
    let spec: RecoveryPointSpec = admin_body(&body)?;
    let mut world = lock(&shared);
    world.catch_up();
    let key = place.key(&world);
    let scope = world.scope(&key, false);
    let now = scope.now();
    let arn = scope
        .backup
        .add_recovery_point(&name, &spec, now, scope.rng)
        .map_err(AdminError::Invalid)?;
    Ok(Json(json!({"recoveryPointArn": arn})))
}

async fn s3_buckets(State(shared): State<Shared>) -> Json<Value> {
    Json(lock(&shared).s3.snapshot()["buckets"].take())
}

/// Creates a bucket: `{"name", "accountId"?, "region"?, "kmsKeyId"?, "versioning"?}`.
async fn s3_create_bucket(
    State(shared): State<Shared>,
    body: Bytes,
) -> Result<StatusCode, AdminError> {
    let spec: S3Bucket = admin_body(&body)?;
    let mut world = lock(&shared);
    let (account, region) = world.home();
    world
        .s3
        .create_bucket(&spec, &account, &region)
        .map_err(AdminError::Invalid)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct S3ObjectsQuery {
    bucket: String,
    #[serde(default)]
    prefix: String,
}

/// The objects of a bucket under a prefix, in key order, with their bodies.
async fn s3_objects(
    State(shared): State<Shared>,
    Query(query): Query<S3ObjectsQuery>,
) -> Result<Json<Value>, AdminError> {
    let world = lock(&shared);
    let objects = world
        .s3
        .objects(&query.bucket, &query.prefix)
        .ok_or_else(|| AdminError::Invalid(format!("no bucket named {}", query.bucket)))?;
    Ok(Json(Value::Array(
        objects.iter().map(s3::Object::to_json).collect(),
    )))
}

/// The operation a request names, per protocol.
enum Operation {
    Drs(String),
    Mgn(String),
    Sms(String),
    Backup(backup::BackupOp),
    Sns(String, BTreeMap<String, String>),
    Sts(String, BTreeMap<String, String>),
    /// The S3 operation (`None`: a method S3 has none for) and the bucket and key it names.
    S3(Option<String>, s3::Target),
}

impl Operation {
    fn name(&self) -> String {
        match self {
            Self::Drs(op) | Self::Sms(op) | Self::Sns(op, _) | Self::Sts(op, _) => op.clone(),
            Self::Mgn(op) => format!("{}{op}", mgn::OPERATION_PREFIX),
            Self::Backup(op) => op.name(),
            Self::S3(op, _) => format!(
                "{}{}",
                s3::OPERATION_PREFIX,
                op.as_deref().unwrap_or("UnknownMethod")
            ),
        }
    }
}

/// Every request that is not for the admin API: work out service and operation, apply faults,
/// run the operation and answer in the service's protocol.
async fn aws(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let service = match Service::detect(&headers, uri.path(), &body) {
        Detected::Served(service) => service,
        Detected::Unserved { service, protocol } => {
            let request_id = uuid_lower(&mut lock(&shared).rng);
            return unserved(&service, &protocol, &request_id);
        }
        Detected::Unknown => {
            let body = json!({"message": "cannot tell which service this request is for: sign it with SigV4 (drs, mgn, sms, backup, sns, sts or s3)"});
            return crate::protocol::json_with_status(
                StatusCode::BAD_REQUEST,
                "application/json",
                body,
            );
        }
    };
    let req = AwsRequest {
        method,
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        body,
        region: credential_scope(&headers).map(|(region, _)| region),
    };
    let op = match service {
        Service::Drs => Operation::Drs(drs::operation(&req)),
        Service::Mgn => Operation::Mgn(mgn::operation(&req)),
        Service::Sms => Operation::Sms(sms::operation(&headers)),
        Service::Backup => Operation::Backup(backup::operation(&req)),
        Service::Sns => {
            let fields = sns::form(&req);
            Operation::Sns(sns::operation(&fields), fields)
        }
        Service::Sts => {
            let fields = sns::form(&req);
            Operation::Sts(sns::operation(&fields), fields)
        }
        Service::S3 => {
            let target = s3::Target::parse(&req.path);
            Operation::S3(
                s3::operation(&req.method, &target, &req.query_pairs()),
                target,
            )
        }
    };
    let name = op.name();
    let (decision, request_id, key) = {
        let mut world = lock(&shared);
        let home = world.fixture().account_id.clone();
        let account = sts::account_of_access_key(access_key(&headers), &home).to_owned();
        world.count_call(&name, &account);
        // A Backup request naming another account's vault is served that account's vaults.
        let vault_account = match &op {
            Operation::Backup(_) => req.query_pairs().remove("backupVaultAccountId"),
            _ => None,
        };
        let key = world.key(
            Some(vault_account.as_deref().unwrap_or(&account)),
            req.region.as_deref(),
        );
        let World { faults, rng, .. } = &mut *world;
        let decision = faults.decide(&name, &account, &key.1, rng);
        // S3 request ids are 16 upper-case hex digits ("Error responses" example).
        let request_id = if service == Service::S3 {
            hex(rng, 16).to_uppercase()
        } else {
            uuid_lower(rng)
        };
        (decision, request_id, (account, key))
    };
    let (account, key) = key;
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    match decision.outcome {
        Outcome::Drop => {
            let mut response = Response::new(axum::body::Body::empty());
            response.extensions_mut().insert(DropConnection);
            response
        }
        Outcome::Fail(kind) => {
            let err = ApiError::fault(service, &kind);
            let err = match &op {
                Operation::S3(_, target) => err.with("Resource", target.resource()),
                _ => err,
            };
            err.into_response(service, &request_id)
        }
        outcome @ (Outcome::Proceed | Outcome::DropAfterApply) => {
            let started = std::time::Instant::now();
            let mut world = lock(&shared);
            world.catch_up();
            let result = match &op {
                Operation::Drs(op) => {
                    drs::execute(&mut world.scope(&key, true), op, &req).map(Reply::Json)
                }
                Operation::Mgn(op) => {
                    mgn::execute(&mut world.scope(&key, false), op, &req).map(Reply::Json)
                }
                Operation::Sms(op) => {
                    sms::execute(&mut world.scope(&key, false), op, &req).map(Reply::Json)
                }
                Operation::Backup(op) => {
                    backup::execute(&mut world.scope(&key, false), op, &req).map(Reply::Json)
                }
                Operation::Sns(action, fields) => {
                    sns::execute(&mut world, action, fields, &account, &key.1)
                        .map(|xml| Reply::Xml(action.clone(), xml))
                }
                Operation::Sts(action, fields) => {
                    let now = world.now();
                    let World { sts, rng, .. } = &mut *world;
                    sts::execute(sts, action, fields, &account, now, rng)
                        .map(|xml| Reply::Xml(action.clone(), xml))
                }
                Operation::S3(op, target) => {
                    let caller = s3::Caller {
                        account: &account,
                        now: world.now(),
                    };
                    let World { s3, rng, .. } = &mut *world;
                    let request = s3::Request {
                        method: &req.method,
                        target,
                        headers: &headers,
                        body: &req.body,
                    };
                    s3::execute(s3, op.as_deref(), request, caller, rng).map(Reply::S3)
                }
            };
            let mut response = match result {
                Ok(Reply::Json(body)) => json_reply(service, body, &request_id),
                Ok(Reply::Xml(action, xml)) => query_reply(service, &action, &xml, &request_id),
                Ok(Reply::S3(reply)) => s3_reply(&reply, &request_id),
                Err(e) => e.into_response(service, &request_id),
            };
            // The model's `responseCode` of DRS StartRecovery is 202 (Accepted) and of
            // StartRecoveryPlanExecution 201 (Created), of MGN StartTest and
            // TerminateTargetInstances 202; every other operation answers 200.
            let created = match (service, name.as_str()) {
                (Service::Drs, "StartRecovery")
                | (Service::Mgn, "mgn:StartTest" | "mgn:TerminateTargetInstances") => {
                    Some(StatusCode::ACCEPTED)
                }
                (Service::Drs, "StartRecoveryPlanExecution") => Some(StatusCode::CREATED),
                _ => None,
            };
            if let Some(code) = created.filter(|_| response.status() == StatusCode::OK) {
                *response.status_mut() = code;
            }
            *world.service_time.entry(name).or_default() += started.elapsed();
            if outcome == Outcome::DropAfterApply {
                response.extensions_mut().insert(DropConnection);
            }
            response
        }
    }
}

/// A successful result before it is put on the wire.
enum Reply {
    Json(Value),
    Xml(String, String),
    S3(s3::Reply),
}
