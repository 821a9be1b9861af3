//! Application Migration Service (restJson1, signing name `mgn`): source servers whose data
//! replication and lifecycle states move one step at a time, their replication configurations,
//! the replication operations, the test launch and terminate jobs of the `jobs` module, and tagging.
//!
//! Shapes, errors and statuses follow the MGN model (mgn.service-2.json); each rule beyond the
//! model names its source, and `tests/emulator/README.md` lists which answers are assumptions.

use crate::drs::{tags as drs_tags, validation};
use crate::fixture::{
    is_mgn_id, MgnApiCall, MgnFixture, MgnLastTest, MgnLaunchQuotas, MgnLifeCycleState,
    MgnReplicationError, MgnReplicationState, MgnServer, ReplicationConfiguration,
};
use crate::protocol::{ApiError, Service};
use crate::util::{is_duration, iso, page, partition};
use crate::world::{AwsRequest, Scope};
use axum::http::Method;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

mod jobs;

/// Largest and default page of the Describe operations (the model's MaxResultsType, 1..1000).
const MAX_PAGE: usize = 1000;

/// The prefix under which MGN operations are counted and matched by fault rules, since several
/// of them share their names with DRS operations (`DescribeSourceServers`, `StartReplication`).
pub const OPERATION_PREFIX: &str = "mgn:";

/// The raw error of a test launch made to fail through the admin API without one.
const DEFAULT_LAUNCH_ERROR: &str =
    "Failed to launch test instance: InsufficientInstanceCapacity (injected by the emulator)";

/// One source server and what happened to it since the fixture was loaded.
#[derive(Debug, Clone)]
struct SourceServer {
    spec: MgnServer,
    state: MgnReplicationState,
    /// The state ResumeReplication returns a PAUSED server to.
    resume_to: Option<MgnReplicationState>,
    life_cycle: MgnLifeCycleState,
    lag: Option<String>,
    error: Option<MgnReplicationError>,
    /// RetryDataReplication was called: the initiation restarts at the next step.
    retry_pending: bool,
    added: i64,
    replication_started: Option<i64>,
    last_test: MgnLastTest,
    cutover_finalized: Option<i64>,
    launched: Option<Launched>,
    archived: bool,
    config: ReplicationConfiguration,
    /// The raw error the next test launch of this server fails with.
    launch_failure: Option<String>,
}

/// The model's `LaunchedInstance` of a server.
#[derive(Debug, Clone)]
struct Launched {
    ec2_instance_id: String,
    job_id: String,
}

/// MGN state of one account in one region.
#[derive(Debug, Clone)]
pub struct Mgn {
    initialized: bool,
    active_quota: usize,
    quotas: MgnLaunchQuotas,
    servers: Vec<SourceServer>,
    by_id: HashMap<String, usize>,
    jobs: Vec<jobs::Job>,
}

/// A change the admin API makes to a server (`POST /_emulator/mgn/state`,
/// [`crate::Emulator::set_mgn_state`]); every member is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StateChange {
    /// A `DataReplicationState`, e.g. `STALLED`.
    #[serde(default)]
    pub data_replication_state: Option<String>,
    /// The error a STALLED server reports; absent with STALLED: NOT_CONVERGING.
    #[serde(default)]
    pub data_replication_error: Option<MgnReplicationError>,
    /// `dataReplicationInfo.lagDuration`, an ISO 8601 duration.
    #[serde(default)]
    pub lag_duration: Option<String>,
    /// A `LifeCycleState`, e.g. `READY_FOR_TEST`.
    #[serde(default)]
    pub life_cycle_state: Option<String>,
}

impl StateChange {
    /// A change of the data replication state only.
    pub fn replication(state: &str) -> Self {
        Self {
            data_replication_state: Some(state.to_owned()),
            ..Self::default()
        }
    }

    /// A stall with the given `dataReplicationError`.
    pub fn stalled(error: &str, raw_error: &str) -> Self {
        Self {
            data_replication_state: Some("STALLED".to_owned()),
            data_replication_error: Some(MgnReplicationError {
                error: error.to_owned(),
                raw_error: raw_error.to_owned(),
            }),
            ..Self::default()
        }
    }

    /// Whether it changes anything.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The operation a request names: `POST /<Operation>`, or the tagging operations on
/// `/tags/{resourceArn}` by method (model: POST TagResource, GET ListTagsForResource, DELETE
/// UntagResource).
pub fn operation(req: &AwsRequest) -> String {
    if req.path.starts_with(drs_tags::PREFIX) {
        if let Some(op) = drs_tags::operation(&req.method) {
            return op.to_owned();
        }
    }
    req.path.trim_matches('/').to_owned()
}

impl Mgn {
    /// MGN as a fixture section describes it.
    pub fn new(fixture: &MgnFixture, now: i64) -> Self {
        let servers: Vec<SourceServer> = fixture
            .source_servers
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let name = spec
                    .hostname
                    .clone()
                    .unwrap_or_else(|| spec.source_server_id.clone());
                let mut config = ReplicationConfiguration::defaults(&name);
                config.overlay(&spec.replication_configuration);
                SourceServer {
                    state: spec.data_replication_state,
                    resume_to: None,
                    life_cycle: spec.initial_life_cycle(),
                    lag: spec.initial_lag(),
                    error: spec.data_replication_error.clone(),
                    retry_pending: false,
                    // Spread the "added" times so the servers do not all look created at once.
                    added: now - 86_400 * 30 + i64::try_from(i).unwrap_or(0) * 60,
                    replication_started: (spec.data_replication_state
                        != MgnReplicationState::Stopped)
                        .then_some(now - 86_400 * 29),
                    last_test: spec.last_test.clone().unwrap_or_default(),
                    cutover_finalized: None,
                    launched: None,
                    archived: spec.is_archived,
                    config,
                    launch_failure: None,
                    spec: spec.clone(),
                }
            })
            .collect();
        let by_id = servers
            .iter()
            .enumerate()
            .map(|(i, s)| (s.spec.source_server_id.clone(), i))
            .collect();
        Self {
            initialized: fixture.initialized,
            active_quota: fixture.active_quota,
            quotas: fixture.launch_quotas,
            servers,
            by_id,
            jobs: Vec::new(),
        }
    }

    /// Moves every server in a transitional state and every open job one state on; whether
    /// anything changed.
    pub fn step(&mut self, now: i64, rng: &mut fastrand::Rng) -> bool {
        let mut changed = false;
        for s in &mut self.servers {
            changed |= step_server(s);
        }
        jobs::step(self, now, rng) || changed
    }

    /// Applies an admin change to server `id`; nothing changes when any part of it is wrong.
    pub fn change_state(&mut self, id: &str, change: &StateChange) -> Result<(), String> {
        let index = self.index(id)?;
        let state = change
            .data_replication_state
            .as_deref()
            .map(|s| {
                MgnReplicationState::parse(s)
                    .ok_or_else(|| format!("unknown data replication state {s:?}"))
            })
            .transpose()?;
        let life_cycle = change
            .life_cycle_state
            .as_deref()
            .map(|s| {
                MgnLifeCycleState::parse(s).ok_or_else(|| format!("unknown lifecycle state {s:?}"))
            })
            .transpose()?;
        if let Some(lag) = change.lag_duration.as_deref().filter(|l| !is_duration(l)) {
            return Err(format!(
                "lagDuration {lag:?} is not an ISO 8601 duration such as PT20M"
            ));
        }
        if let Some(error) = &change.data_replication_error {
            error.validate()?;
        }
        if change.is_empty() {
            return Err(
                "give a dataReplicationState, dataReplicationError, lagDuration or lifeCycleState"
                    .into(),
            );
        }
        let s = &mut self.servers[index];
        if let Some(state) = state {
            if state == MgnReplicationState::Paused && s.state != MgnReplicationState::Paused {
                s.resume_to = Some(s.state);
            }
            s.state = state;
            s.retry_pending = false;
            s.error = None;
            // Which error MGN reports depends on the cause; NOT_CONVERGING (one of the model's
            // DataReplicationErrorString values) is the emulator's pick when none is given.
            if state == MgnReplicationState::Stalled {
                s.error = Some(MgnReplicationError {
                    error: "NOT_CONVERGING".to_owned(),
                    raw_error: "Replication is not converging: the source writes faster than the replication server receives".to_owned(),
                });
            }
        }
        if let Some(error) = &change.data_replication_error {
            s.error = Some(error.clone());
        }
        if let Some(lag) = &change.lag_duration {
            s.lag = Some(lag.clone());
        }
        if let Some(life_cycle) = life_cycle {
            s.life_cycle = life_cycle;
        }
        Ok(())
    }

    /// Makes the next test launch of server `id` fail with `raw_error` (admin API).
    pub fn fail_next_launch(&mut self, id: &str, raw_error: Option<&str>) -> Result<(), String> {
        let index = self.index(id)?;
        self.servers[index].launch_failure =
            Some(raw_error.unwrap_or(DEFAULT_LAUNCH_ERROR).to_owned());
        Ok(())
    }

    /// The stored replication configuration of server `id`, as GetReplicationConfiguration
    /// answers it (admin API).
    pub fn replication_configuration(&self, id: &str) -> Result<Value, String> {
        Ok(render_config(&self.servers[self.index(id)?]))
    }

    fn index(&self, id: &str) -> Result<usize, String> {
        self.by_id
            .get(id)
            .copied()
            .ok_or_else(|| format!("no MGN source server {id}"))
    }

    /// Servers that count against "Max Active Source Servers"
    /// ([`MgnReplicationState::is_active`], archived servers excluded).
    fn active(&self) -> usize {
        self.servers
            .iter()
            .filter(|s| !s.archived && s.state.is_active())
            .count()
    }

    /// The state dump: servers as `DescribeSourceServers` shows them, jobs as `DescribeJobs`
    /// does, and the replication configurations by server id.
    pub fn snapshot(&self, account: &str, region: &str, now: i64) -> Value {
        let at = Place {
            account,
            region,
            now,
        };
        let configs: Map<String, Value> = self
            .servers
            .iter()
            .map(|s| (s.spec.source_server_id.clone(), render_config(s)))
            .collect();
        json!({
            "initialized": self.initialized,
            "activeQuota": self.active_quota,
            "active": self.active(),
            "sourceServers": self.servers.iter().map(|s| render(s, &at)).collect::<Vec<_>>(),
            "jobs": self.jobs.iter().rev().map(|j| j.render(&at)).collect::<Vec<_>>(),
            "replicationConfigurations": configs,
        })
    }
}

/// One step of a server's replication: a pending retry restarts the initiation ("upon next
/// Handshake", API RetryDataReplication); INITIATING → INITIAL_SYNC (or STALLED for a
/// `stallOnStart` server); INITIAL_SYNC and the catching-up states → CONTINUOUS. The initial
/// sync completing makes a NOT_READY server READY_FOR_TEST with a lag ("Ready for testing -
/// ... Initial Sync has completed", MGN Migration Life Cycle, AWS Migration Immersion Day).
fn step_server(s: &mut SourceServer) -> bool {
    use MgnReplicationState as R;
    if s.retry_pending {
        s.retry_pending = false;
        if s.state == R::Stalled {
            s.state = R::Initiating;
            s.error = None;
            return true;
        }
    }
    let next = match s.state {
        R::Initiating if s.spec.stall_on_start => R::Stalled,
        R::Initiating => R::InitialSync,
        R::InitialSync | R::Backlog | R::CreatingSnapshot | R::Rescan => R::Continuous,
        _ => return false,
    };
    if next == R::Stalled {
        s.error = Some(MgnReplicationError {
            error: "FAILED_TO_START_DATA_TRANSFER".to_owned(),
            raw_error: "The replication server could not start the data transfer (stallOnStart)"
                .to_owned(),
        });
    }
    if next == R::Continuous {
        if s.lag.is_none() {
            s.lag = Some("PT0S".to_owned());
        }
        if s.life_cycle == MgnLifeCycleState::NotReady {
            s.life_cycle = MgnLifeCycleState::ReadyForTest;
        }
    }
    s.state = next;
    true
}

/// Where and when servers and jobs are shown.
struct Place<'a> {
    account: &'a str,
    region: &'a str,
    now: i64,
}

impl<'a> Place<'a> {
    fn of(scope: &'a Scope<'_>) -> Self {
        Self {
            account: scope.account_id,
            region: scope.region,
            now: scope.now(),
        }
    }

    /// An MGN ARN in this partition, `arn:<partition>:mgn:<region>:<account>:<resource>`.
    fn arn(&self, resource: &str) -> String {
        format!(
            "arn:{}:mgn:{}:{}:{resource}",
            partition(self.region),
            self.region,
            self.account
        )
    }
}

/// The model's `ReplicationConfiguration` of a server.
fn render_config(s: &SourceServer) -> Value {
    let mut out = json!(s.config);
    out["sourceServerID"] = json!(s.spec.source_server_id);
    out
}

/// A source server as the API shows it (the model's SourceServer).
fn render(s: &SourceServer, at: &Place<'_>) -> Value {
    use MgnReplicationState as R;
    let id = &s.spec.source_server_id;
    let synced = s.life_cycle.is_launchable();
    let total: i64 = 8_589_934_592;
    let mut replication = json!({
        "dataReplicationState": s.state.as_str(),
        "replicatedDisks": [{
            "deviceName": "/dev/sda1",
            "totalStorageBytes": total,
            "replicatedStorageBytes": if synced || s.state == R::Continuous { total } else { 0 },
            "rescannedStorageBytes": 0,
            "backloggedStorageBytes": 0,
        }],
    });
    // A lag shows once the server has one and while it is not stopped or disconnected:
    // ChangeServerLifeCycleState "only works if the Source Server is already launchable
    // (dataReplicationInfo.lagDuration is not null)" (model).
    if let Some(lag) = s
        .lag
        .as_ref()
        .filter(|_| !matches!(s.state, R::Stopped | R::Disconnected))
    {
        replication["lagDuration"] = json!(lag);
    }
    if let Some(started) = s.replication_started {
        replication["dataReplicationInitiation"] = json!({
            "startDateTime": iso(started),
            "steps": [{"name": "START_DATA_TRANSFER", "status": match s.state {
                R::Initiating => "IN_PROGRESS",
                R::Stalled if s.error.as_ref().is_some_and(|e| e.error.starts_with("FAILED_TO_")) => "FAILED",
                _ => "SUCCEEDED",
            }}],
        });
    }
    if let Some(error) = s.error.as_ref().filter(|_| s.state == R::Stalled) {
        replication["dataReplicationError"] = json!(error);
    }
    let mut hints = Map::new();
    for (key, value) in [("hostname", &s.spec.hostname), ("fqdn", &s.spec.fqdn)] {
        if let Some(v) = value {
            hints.insert(key.to_owned(), json!(v));
        }
    }
    let last_seen = if s.state == R::Disconnected {
        s.added
    } else {
        at.now
    };
    let mut life_cycle = json!({
        "addedToServiceDateTime": iso(s.added),
        "lastSeenByServiceDateTime": iso(last_seen),
        "state": s.life_cycle.as_str(),
    });
    if let Some(started) = s.replication_started {
        life_cycle["firstByteDateTime"] = json!(iso(started + 60));
    }
    if s.last_test != MgnLastTest::default() {
        life_cycle["lastTest"] = json!(s.last_test);
    }
    if let Some(at) = s.cutover_finalized {
        life_cycle["lastCutover"] = json!({"finalized": {"apiCallDateTime": iso(at)}});
    }
    let mut out = json!({
        "sourceServerID": id,
        "arn": at.arn(&format!("source-server/{id}")),
        "isArchived": s.archived,
        "tags": s.spec.tags,
        "replicationType": s.spec.replication_type,
        "dataReplicationInfo": replication,
        "lifeCycle": life_cycle,
        "sourceProperties": {
            "lastUpdatedDateTime": iso(s.added),
            "recommendedInstanceType": "m5.large",
            "identificationHints": hints,
            "os": {"fullString": s.spec.os.clone().unwrap_or_else(|| "Linux".to_owned())},
        },
    });
    if let Some(l) = &s.launched {
        out["launchedInstance"] = json!({
            "ec2InstanceID": l.ec2_instance_id,
            "jobID": l.job_id,
            "firstBoot": "SUCCEEDED",
        });
    }
    out
}

/// A ConflictException naming each server at fault in `errors` (the model's ErrorDetails),
/// the first also as the exception's `resourceId`.
fn conflict(code: &str, message: &str, servers: &[(String, String)]) -> ApiError {
    let errors: Vec<Value> = servers
        .iter()
        .map(|(id, why)| {
            json!({"message": why, "code": code, "resourceId": id, "resourceType": "SOURCE_SERVER"})
        })
        .collect();
    let mut err = ApiError::new("ConflictException", message)
        .with("code", code)
        .with("errors", errors);
    if let Some((id, _)) = servers.first() {
        err = err
            .with("resourceId", id.clone())
            .with("resourceType", "SOURCE_SERVER");
    }
    err
}

/// A ConflictException for one server.
fn conflict_one(id: &str, code: &str, why: String) -> ApiError {
    conflict(code, &why, &[(id.to_owned(), why.clone())])
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeInput {
    #[serde(default)]
    filters: Option<Filters>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Filters {
    #[serde(rename = "sourceServerIDs", default)]
    source_server_ids: Vec<String>,
    is_archived: Option<bool>,
    #[serde(default)]
    replication_types: Vec<String>,
    #[serde(default)]
    life_cycle_states: Vec<String>,
    #[serde(rename = "applicationIDs", default)]
    application_ids: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ServerInput {
    #[serde(rename = "sourceServerID")]
    source_server_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LifeCycleInput {
    #[serde(rename = "sourceServerID")]
    source_server_id: Option<String>,
    life_cycle: Option<LifeCycleTarget>,
}

#[derive(Debug, Default, Deserialize)]
struct LifeCycleTarget {
    state: Option<String>,
}

/// Runs one MGN operation (`op` without [`OPERATION_PREFIX`]).
pub fn execute(world: &mut Scope<'_>, op: &str, req: &AwsRequest) -> Result<Value, ApiError> {
    if req.path.starts_with(drs_tags::PREFIX) && drs_tags::operation(&req.method) == Some(op) {
        return tag(world, op, req);
    }
    if req.method != Method::POST {
        return Err(ApiError::unknown_operation(Service::Mgn, op));
    }
    let known = matches!(
        op,
        "DescribeSourceServers"
            | "GetReplicationConfiguration"
            | "UpdateReplicationConfiguration"
            | "StartReplication"
            | "StopReplication"
            | "PauseReplication"
            | "ResumeReplication"
            | "RetryDataReplication"
            | "StartTest"
            | "TerminateTargetInstances"
            | "DescribeJobs"
            | "DescribeJobLogItems"
            | "ChangeServerLifeCycleState"
            | "MarkAsArchived"
    );
    if !known {
        return Err(ApiError::unknown_operation(Service::Mgn, op));
    }
    if !world.mgn.initialized {
        return Err(ApiError::new(
            "UninitializedAccountException",
            "Account not initialized. Initialize Application Migration Service in this region first.",
        ));
    }
    match op {
        "DescribeSourceServers" => describe(world, req.json(Service::Mgn)?),
        "GetReplicationConfiguration" => {
            let index = find(world, &req.json::<ServerInput>(Service::Mgn)?)?;
            Ok(render_config(&world.mgn.servers[index]))
        }
        "UpdateReplicationConfiguration" => update_configuration(world, req),
        "StartReplication" => start(world, req.json(Service::Mgn)?),
        "StopReplication" => stop(world, req.json(Service::Mgn)?),
        "PauseReplication" => pause(world, req.json(Service::Mgn)?),
        "ResumeReplication" => resume(world, req.json(Service::Mgn)?),
        "RetryDataReplication" => retry(world, req.json(Service::Mgn)?),
        "StartTest" => jobs::start_test(world, req.json(Service::Mgn)?),
        "TerminateTargetInstances" => jobs::terminate(world, req.json(Service::Mgn)?),
        "DescribeJobs" => jobs::describe_jobs(world, req.json(Service::Mgn)?),
        "DescribeJobLogItems" => jobs::describe_log(world, req.json(Service::Mgn)?),
        "ChangeServerLifeCycleState" => change_life_cycle(world, req.json(Service::Mgn)?),
        _ => archive(world, req.json(Service::Mgn)?),
    }
}

/// The page size a request asks for: the model's MaxResultsType, 1..1000.
fn page_size(max_results: Option<i64>) -> Result<usize, ApiError> {
    match max_results {
        None => Ok(MAX_PAGE),
        Some(n) if (1..=1000).contains(&n) => Ok(usize::try_from(n).unwrap_or(MAX_PAGE)),
        Some(_) => Err(validation("maxResults", "must be between 1 and 1000")),
    }
}

/// One page of `items` as the Describe operations answer it (`items`, `nextToken`).
fn paged(items: &[Value], token: Option<&str>, max: Option<i64>) -> Result<Value, ApiError> {
    let (items, next) =
        page(items, token, page_size(max)?).map_err(|e| validation("nextToken", &e.to_string()))?;
    let mut out = json!({ "items": items });
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    Ok(out)
}

/// `DescribeSourceServers`: in fixture order, filtered by every filter given (the model's
/// DescribeSourceServersRequestFilters: at most 200 ids and 10 lifecycle states).
fn describe(world: &mut Scope<'_>, input: DescribeInput) -> Result<Value, ApiError> {
    let filters = input.filters.unwrap_or_default();
    if filters.source_server_ids.len() > 200 {
        return Err(validation("filters.sourceServerIDs", "at most 200 ids"));
    }
    if filters.life_cycle_states.len() > 10 {
        return Err(validation("filters.lifeCycleStates", "at most 10 states"));
    }
    if let Some(bad) = filters
        .life_cycle_states
        .iter()
        .find(|s| MgnLifeCycleState::parse(s).is_none())
    {
        return Err(validation(
            "filters.lifeCycleStates",
            &format!("{bad:?} is not a LifeCycleState"),
        ));
    }
    let at = Place::of(world);
    let items: Vec<Value> = world
        .mgn
        .servers
        .iter()
        .filter(|s| {
            filters.source_server_ids.is_empty()
                || filters.source_server_ids.contains(&s.spec.source_server_id)
        })
        .filter(|s| filters.is_archived.is_none_or(|a| a == s.archived))
        .filter(|s| {
            filters.replication_types.is_empty()
                || filters.replication_types.contains(&s.spec.replication_type)
        })
        .filter(|s| {
            filters.life_cycle_states.is_empty()
                || filters
                    .life_cycle_states
                    .iter()
                    .any(|l| l == s.life_cycle.as_str())
        })
        // The emulated servers belong to no application, so an application filter matches none.
        .filter(|_| filters.application_ids.is_empty())
        .map(|s| render(s, &at))
        .collect();
    paged(&items, input.next_token.as_deref(), input.max_results)
}

/// Checks a source server id against the model's SourceServerID.
fn check_id(id: Option<&str>, field: &str) -> Result<String, ApiError> {
    let id = id.ok_or_else(|| validation(field, "is required"))?;
    if !is_mgn_id(id, "s-") {
        return Err(validation(
            field,
            "must match the pattern s-[0-9a-zA-Z]{17}",
        ));
    }
    Ok(id.to_owned())
}

/// The index of the server a request names, or the model's errors.
fn find(world: &Scope<'_>, input: &ServerInput) -> Result<usize, ApiError> {
    let id = check_id(input.source_server_id.as_deref(), "sourceServerID")?;
    world.mgn.by_id.get(&id).copied().ok_or_else(|| {
        ApiError::new(
            "ResourceNotFoundException",
            format!("Source server {id} not found"),
        )
        .with("resourceId", id)
        .with("resourceType", "SOURCE_SERVER")
    })
}

/// The server as a write operation answers it (the model's SourceServer, unwrapped).
fn answer(world: &Scope<'_>, index: usize) -> Value {
    render(&world.mgn.servers[index], &Place::of(world))
}

/// `UpdateReplicationConfiguration`: stores the members given, after checking each against
/// the model. The model declares ConflictException without saying when; refusing an archived
/// server is the emulator's assumption.
fn update_configuration(world: &mut Scope<'_>, req: &AwsRequest) -> Result<Value, ApiError> {
    let mut body: Map<String, Value> = req.json(Service::Mgn)?;
    let id = body
        .remove("sourceServerID")
        .and_then(|v| v.as_str().map(str::to_owned));
    body.remove("accountID");
    let index = find(
        world,
        &ServerInput {
            source_server_id: id,
        },
    )?;
    let change: ReplicationConfiguration = serde_json::from_value(Value::Object(body))
        .map_err(|e| ApiError::malformed(Service::Mgn, e))?;
    change
        .validate()
        .map_err(|(field, why)| validation(&field, &why))?;
    let server = &mut world.mgn.servers[index];
    if server.archived {
        let id = server.spec.source_server_id.clone();
        return Err(conflict_one(
            &id,
            "SOURCE_SERVER_ARCHIVED",
            format!("Source server {id} is archived; its replication cannot be configured"),
        ));
    }
    server.config.overlay(&change);
    Ok(render_config(server))
}

/// Refuses a replication call on an archived server (assumption: AWS documents nothing, and
/// an archived server is one that finished its migration or was disconnected).
fn refuse_archived(s: &SourceServer, op: &str) -> Result<(), ApiError> {
    if !s.archived {
        return Ok(());
    }
    let id = &s.spec.source_server_id;
    Err(conflict_one(
        id,
        "SOURCE_SERVER_ARCHIVED",
        format!("Cannot {op} for source server {id}: it is archived"),
    ))
}

/// Refuses making one more server active at the "Max Active Source Servers" quota (150 per
/// Region, "AWS Application Migration Service endpoints and quotas") with the model's
/// ServiceQuotaExceededException (402), which Start/ResumeReplication declare.
fn check_active_quota(world: &Scope<'_>, id: &str) -> Result<(), ApiError> {
    let active = world.mgn.active();
    if active < world.mgn.active_quota {
        return Ok(());
    }
    Err(ApiError::new(
        "ServiceQuotaExceededException",
        format!(
            "Cannot replicate source server {id}: the account already has {active} active source servers, the quota is {}",
            world.mgn.active_quota
        ),
    )
    .with("code", "MAX_ACTIVE_SOURCE_SERVERS_EXCEEDED")
    .with("resourceId", id)
    .with("resourceType", "SOURCE_SERVER")
    .with("serviceCode", "mgn")
    .with("quotaCode", "L-9A599620")
    .with("quotaValue", world.mgn.active_quota))
}

/// `StartReplication`: STOPPED → INITIATING ("Start replication for source server irrespective
/// of its replication type", model). Which states it refuses is not documented; refusing every
/// state but STOPPED with a ConflictException is the emulator's assumption.
fn start(world: &mut Scope<'_>, input: ServerInput) -> Result<Value, ApiError> {
    let index = find(world, &input)?;
    let now = world.now();
    let s = &world.mgn.servers[index];
    let id = s.spec.source_server_id.clone();
    refuse_archived(s, "start replication")?;
    if s.state != MgnReplicationState::Stopped {
        return Err(conflict_one(
            &id,
            "SOURCE_SERVER_NOT_STOPPED",
            format!(
                "Cannot start replication for source server {id}: its data replication state is {}, not STOPPED",
                s.state.as_str()
            ),
        ));
    }
    check_active_quota(world, &id)?;
    let s = &mut world.mgn.servers[index];
    s.state = MgnReplicationState::Initiating;
    s.replication_started = Some(now);
    s.error = None;
    if s.life_cycle == MgnLifeCycleState::Stopped {
        s.life_cycle = MgnLifeCycleState::NotReady;
    }
    Ok(answer(world, index))
}

/// `StopReplication` ("Stop Replication.", model): any state but STOPPED and DISCONNECTED →
/// STOPPED; those two are refused with a ConflictException (assumption).
fn stop(world: &mut Scope<'_>, input: ServerInput) -> Result<Value, ApiError> {
    let index = find(world, &input)?;
    let s = &world.mgn.servers[index];
    let id = s.spec.source_server_id.clone();
    refuse_archived(s, "stop replication")?;
    if matches!(
        s.state,
        MgnReplicationState::Stopped | MgnReplicationState::Disconnected
    ) {
        return Err(conflict_one(
            &id,
            "SOURCE_SERVER_NOT_REPLICATING",
            format!(
                "Cannot stop replication for source server {id}: its data replication state is {}",
                s.state.as_str()
            ),
        ));
    }
    let s = &mut world.mgn.servers[index];
    s.state = MgnReplicationState::Stopped;
    s.error = None;
    s.retry_pending = false;
    s.resume_to = None;
    Ok(answer(world, index))
}

/// `PauseReplication` ("Pause Replication.", model): an initiating or flowing server → PAUSED,
/// remembering the state to resume to; STOPPED, PAUSED, STALLED and DISCONNECTED servers are
/// refused with a ConflictException (assumption).
fn pause(world: &mut Scope<'_>, input: ServerInput) -> Result<Value, ApiError> {
    let index = find(world, &input)?;
    let s = &world.mgn.servers[index];
    let id = s.spec.source_server_id.clone();
    refuse_archived(s, "pause replication")?;
    let pausable = s.state.is_flowing()
        || matches!(
            s.state,
            MgnReplicationState::Initiating | MgnReplicationState::PendingSnapshotShipping
        );
    if !pausable {
        return Err(conflict_one(
            &id,
            "SOURCE_SERVER_NOT_REPLICATING",
            format!(
                "Cannot pause replication for source server {id}: its data replication state is {}",
                s.state.as_str()
            ),
        ));
    }
    let s = &mut world.mgn.servers[index];
    s.resume_to = Some(s.state);
    s.state = MgnReplicationState::Paused;
    Ok(answer(world, index))
}

/// `ResumeReplication` ("Resume Replication.", model): PAUSED → the state it was paused in
/// (for a server paused in the fixture: CONTINUOUS once it has a lag, else INITIAL_SYNC);
/// other states are refused with a ConflictException (assumption). A resumed server is active
/// again, so the active-server quota applies.
fn resume(world: &mut Scope<'_>, input: ServerInput) -> Result<Value, ApiError> {
    let index = find(world, &input)?;
    let s = &world.mgn.servers[index];
    let id = s.spec.source_server_id.clone();
    refuse_archived(s, "resume replication")?;
    if s.state != MgnReplicationState::Paused {
        return Err(conflict_one(
            &id,
            "SOURCE_SERVER_NOT_PAUSED",
            format!(
                "Cannot resume replication for source server {id}: its data replication state is {}, not PAUSED",
                s.state.as_str()
            ),
        ));
    }
    check_active_quota(world, &id)?;
    let s = &mut world.mgn.servers[index];
    s.state = s.resume_to.take().unwrap_or(if s.lag.is_some() {
        MgnReplicationState::Continuous
    } else {
        MgnReplicationState::InitialSync
    });
    Ok(answer(world, index))
}

/// `RetryDataReplication`: "Causes the data replication initiation sequence to begin
/// immediately upon next Handshake ... This command will not work if the SourceServer is not
/// stalled or is in a DISCONNECTED or STOPPED state" (model). The server restarts INITIATING at
/// the next step, so the answer still shows STALLED. The model declares no ConflictException
/// for it; a ValidationException for a server that is not STALLED is the emulator's assumption.
fn retry(world: &mut Scope<'_>, input: ServerInput) -> Result<Value, ApiError> {
    let index = find(world, &input)?;
    let s = &world.mgn.servers[index];
    let id = s.spec.source_server_id.clone();
    if s.state != MgnReplicationState::Stalled {
        return Err(validation(
            "sourceServerID",
            &format!(
                "source server {id} is not stalled (its data replication state is {}): RetryDataReplication only works on a STALLED server",
                s.state.as_str()
            ),
        ));
    }
    world.mgn.servers[index].retry_pending = true;
    Ok(answer(world, index))
}

/// `ChangeServerLifeCycleState`: to READY_FOR_TEST, READY_FOR_CUTOVER or CUTOVER (the model's
/// enum); "only works if the Source Server is already launchable (dataReplicationInfo.lagDuration
/// is not null)" (model), so a server without a lag gets a ConflictException, and so (the
/// emulator's assumption) does an archived server or one with a job in progress. Leaving
/// TESTING records the test: READY_FOR_CUTOVER as `lastTest.finalized` (the console's "Mark as
/// ready for cutover"), READY_FOR_TEST as `lastTest.reverted` ("Revert to ready for testing");
/// CUTOVER records `lastCutover.finalized` (assumptions: the model documents the fields only).
fn change_life_cycle(world: &mut Scope<'_>, input: LifeCycleInput) -> Result<Value, ApiError> {
    let index = find(
        world,
        &ServerInput {
            source_server_id: input.source_server_id,
        },
    )?;
    let target = input
        .life_cycle
        .and_then(|l| l.state)
        .ok_or_else(|| validation("lifeCycle.state", "is required"))?;
    let target = match target.as_str() {
        "READY_FOR_TEST" => MgnLifeCycleState::ReadyForTest,
        "READY_FOR_CUTOVER" => MgnLifeCycleState::ReadyForCutover,
        "CUTOVER" => MgnLifeCycleState::Cutover,
        other => {
            return Err(validation(
                "lifeCycle.state",
                &format!("{other:?} is not READY_FOR_TEST, READY_FOR_CUTOVER or CUTOVER"),
            ))
        }
    };
    let now = world.now();
    let s = &world.mgn.servers[index];
    let id = s.spec.source_server_id.clone();
    refuse_archived(s, "change the lifecycle state")?;
    let launchable = s.lag.is_some()
        && !matches!(
            s.state,
            MgnReplicationState::Stopped | MgnReplicationState::Disconnected
        );
    if !launchable {
        return Err(conflict_one(
            &id,
            "SOURCE_SERVER_NOT_LAUNCHABLE",
            format!("Cannot change the lifecycle state of source server {id}: it is not launchable yet (dataReplicationInfo.lagDuration is null)"),
        ));
    }
    if let Some(job) = jobs::active_job_of(world.mgn, &id) {
        return Err(conflict_one(
            &id,
            "SOURCE_SERVER_IN_JOB",
            format!(
                "Cannot change the lifecycle state of source server {id}: job {job} is in progress"
            ),
        ));
    }
    let s = &mut world.mgn.servers[index];
    let call = MgnApiCall {
        api_call_date_time: iso(now),
    };
    match (s.life_cycle, target) {
        (MgnLifeCycleState::Testing, MgnLifeCycleState::ReadyForCutover) => {
            s.last_test.finalized = Some(call);
        }
        (
            MgnLifeCycleState::Testing | MgnLifeCycleState::ReadyForCutover,
            MgnLifeCycleState::ReadyForTest,
        ) => s.last_test.reverted = Some(call),
        (_, MgnLifeCycleState::Cutover) => s.cutover_finalized = Some(now),
        _ => {}
    }
    s.life_cycle = target;
    Ok(answer(world, index))
}

/// `MarkAsArchived`: "only works for SourceServers with a lifecycle. state which equals
/// DISCONNECTED or CUTOVER" (model); other servers get a ConflictException.
fn archive(world: &mut Scope<'_>, input: ServerInput) -> Result<Value, ApiError> {
    let index = find(world, &input)?;
    let s = &world.mgn.servers[index];
    let id = s.spec.source_server_id.clone();
    if !matches!(
        s.life_cycle,
        MgnLifeCycleState::Disconnected | MgnLifeCycleState::Cutover
    ) {
        return Err(conflict_one(
            &id,
            "SOURCE_SERVER_NOT_DISCONNECTED_OR_CUTOVER",
            format!(
                "Cannot archive source server {id}: its lifecycle state is {}, not DISCONNECTED or CUTOVER",
                s.life_cycle.as_str()
            ),
        ));
    }
    world.mgn.servers[index].archived = true;
    Ok(answer(world, index))
}

#[derive(Debug, Default, Deserialize)]
struct TagInput {
    tags: Option<BTreeMap<String, String>>,
}

/// TagResource, ListTagsForResource and UntagResource on `/tags/{resourceArn}` (the ARN
/// percent-encoded as a URI label, or not) for the partition's source servers and jobs. "Each
/// resource can have a maximum of 50 tags" (model, TagResource); the model gives these
/// operations no UninitializedAccountException, so they answer in an uninitialised account too.
fn tag(world: &mut Scope<'_>, op: &str, req: &AwsRequest) -> Result<Value, ApiError> {
    let raw = req.path.strip_prefix(drs_tags::PREFIX).unwrap_or_default();
    let arn = percent_decode_str(raw).decode_utf8_lossy().into_owned();
    if !(20..=2048).contains(&arn.len()) || !arn.starts_with("arn:") {
        return Err(validation("resourceArn", "an ARN of 20 to 2048 characters"));
    }
    match op {
        "ListTagsForResource" => Ok(json!({ "tags": tags_mut(world, &arn)? })),
        "TagResource" => {
            let input: TagInput = req.json(Service::Mgn)?;
            let add = input
                .tags
                .ok_or_else(|| validation("tags", "is required"))?;
            drs_tags::check_text(&add)?;
            let tags = tags_mut(world, &arn)?;
            drs_tags::check_count(
                tags.len() + add.keys().filter(|k| !tags.contains_key(*k)).count(),
            )?;
            // "When you specify an existing tag key, the value is overwritten" (model).
            tags.extend(add);
            Ok(json!({}))
        }
        _ => {
            let keys: Vec<String> = form_urlencoded::parse(req.query.as_bytes())
                .filter(|(k, _)| k == "tagKeys")
                .map(|(_, v)| v.into_owned())
                .collect();
            if keys.is_empty() {
                return Err(validation("tagKeys", "is required"));
            }
            let tags = tags_mut(world, &arn)?;
            for key in &keys {
                tags.remove(key);
            }
            Ok(json!({}))
        }
    }
}

/// The tags of the source server or job `arn` names in this partition, or the model's
/// ResourceNotFoundException.
fn tags_mut<'a>(
    world: &'a mut Scope<'_>,
    arn: &str,
) -> Result<&'a mut BTreeMap<String, String>, ApiError> {
    let prefix = Place::of(world).arn("");
    let found = arn
        .strip_prefix(&prefix)
        .and_then(|resource| resource.split_once('/'))
        .and_then(|(kind, id)| match kind {
            "source-server" => {
                let index = *world.mgn.by_id.get(id)?;
                Some(&mut world.mgn.servers[index].spec.tags)
            }
            "job" => world
                .mgn
                .jobs
                .iter_mut()
                .find(|j| j.id == id)
                .map(|j| &mut j.tags),
            _ => None,
        });
    found.ok_or_else(|| {
        ApiError::new(
            "ResourceNotFoundException",
            format!("Resource {arn} not found"),
        )
        .with("resourceId", arn)
    })
}
