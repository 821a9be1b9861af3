//! Elastic Disaster Recovery (restJson1): `DescribeSourceServers`, `StartReplication`,
//! `StopReplication`, with replication states that move one step at a time, the recovery
//! operations of [`recovery`] (jobs, recovery instances, recovery snapshots, recovery plans) and
//! the tagging operations of `tags`.
//!
//! Shapes, errors and statuses follow the DRS model (drs.service-2.json); each rule beyond the
//! model names its source, and `tests/emulator/README.md` lists which answers are assumptions.

use crate::fixture::{DrsFixture, DrsServer, DrsState, StagingStatus};
use crate::protocol::{ApiError, Service};
use crate::util::{is_duration, iso, page, partition};
use crate::world::{AwsRequest, Scope};
use axum::http::Method;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

pub mod recovery;
pub(crate) mod tags;

/// Largest and default page of `DescribeSourceServers`.
const MAX_PAGE: usize = 1000;

/// One source server and what happened to it since the fixture was loaded.
#[derive(Debug, Clone)]
struct SourceServer {
    spec: DrsServer,
    state: DrsState,
    added: i64,
    replication_started: Option<i64>,
    /// `dataReplicationInfo.lagDuration` set by the fixture or the admin API.
    lag: Option<String>,
}

/// The replication a staging server shows, which its extended servers in other accounts report
/// as theirs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replication {
    state: DrsState,
    started: Option<i64>,
    lag: Option<String>,
}

/// `(region, account, source server id)` of a DRS source server ARN,
/// `arn:<partition>:drs:<region>:<account>:source-server/<id>`.
pub fn parse_server_arn(arn: &str) -> Option<(String, String, String)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, "drs", region, account, resource] = parts.as_slice() else {
        return None;
    };
    let id = resource.strip_prefix("source-server/")?;
    Some(((*region).to_owned(), (*account).to_owned(), id.to_owned()))
}

/// DRS state.
#[derive(Debug, Clone)]
pub struct Drs {
    initialized: bool,
    quota: usize,
    servers: Vec<SourceServer>,
    by_id: HashMap<String, usize>,
    recovery: recovery::Recovery,
}

/// The operation a request names: restJson1 puts it in the path, `POST /<Operation>`, except the
/// tagging operations, which share `/tags/{resourceArn}` and differ by method (model: POST
/// TagResource, GET ListTagsForResource, DELETE UntagResource).
pub fn operation(req: &AwsRequest) -> String {
    if req.path.starts_with(tags::PREFIX) {
        if let Some(op) = tags::operation(&req.method) {
            return op.to_owned();
        }
    }
    req.path.trim_matches('/').to_owned()
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
    #[serde(rename = "stagingAccountIDs", default)]
    staging_account_ids: Vec<String>,
    hardware_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ServerInput {
    #[serde(rename = "sourceServerID")]
    source_server_id: Option<String>,
}

impl Drs {
    /// DRS as a fixture section describes it.
    pub fn new(fixture: &DrsFixture, now: i64) -> Self {
        let servers: Vec<SourceServer> = fixture
            .source_servers
            .iter()
            .enumerate()
            .map(|(i, spec)| SourceServer {
                spec: spec.clone(),
                state: spec.state,
                // Spread the "added" times so the servers do not all look created at once.
                added: now - 86_400 * 30 + i64::try_from(i).unwrap_or(0) * 60,
                replication_started: None,
                lag: spec.lag_duration.clone(),
            })
            .collect();
        let by_id = servers
            .iter()
            .enumerate()
            .map(|(i, s)| (s.spec.source_server_id.clone(), i))
            .collect();
        Self {
            initialized: fixture.initialized,
            quota: fixture.replicating_quota,
            recovery: recovery::Recovery::new(fixture, &servers, now),
            servers,
            by_id,
        }
    }

    /// Moves every server in a transitional state and every open recovery job one state on;
    /// whether anything changed.
    pub fn step(&mut self, now: i64) -> bool {
        let changed = self.step_replication();
        self.recovery.step(&self.servers, now) || changed
    }

    fn step_replication(&mut self) -> bool {
        let mut changed = false;
        for s in &mut self.servers {
            let next = match s.state {
                DrsState::Initiating if s.spec.stall_on_start => DrsState::Stalled,
                DrsState::Initiating => DrsState::InitialSync,
                DrsState::InitialSync
                | DrsState::Backlog
                | DrsState::CreatingSnapshot
                | DrsState::Rescan => DrsState::Continuous,
                _ => continue,
            };
            s.state = next;
            changed = true;
        }
        changed
    }

    /// Forces a server into a state (admin API), e.g. to emulate a stall.
    pub fn set_state(&mut self, id: &str, state: &str) -> Result<(), String> {
        let state = DrsState::parse(state)
            .ok_or_else(|| format!("unknown data replication state {state:?}"))?;
        let index = *self
            .by_id
            .get(id)
            .ok_or_else(|| format!("no source server {id}"))?;
        self.servers[index].state = state;
        Ok(())
    }

    /// Whether `set_state` and `set_lag` would both accept these values (admin API), so that a
    /// request giving both changes nothing when one is wrong.
    pub fn check_state_change(
        &self,
        id: &str,
        state: Option<&str>,
        lag: Option<&str>,
    ) -> Result<(), String> {
        if !self.by_id.contains_key(id) {
            return Err(format!("no source server {id}"));
        }
        if let Some(state) = state.filter(|s| DrsState::parse(s).is_none()) {
            return Err(format!("unknown data replication state {state:?}"));
        }
        match lag.filter(|l| !is_duration(l)) {
            Some(lag) => Err(format!(
                "lagDuration {lag:?} is not an ISO 8601 duration such as PT20M"
            )),
            None => Ok(()),
        }
    }

    /// Sets a server's `dataReplicationInfo.lagDuration` (admin API): an ISO 8601 duration.
    pub fn set_lag(&mut self, id: &str, lag: &str) -> Result<(), String> {
        if !is_duration(lag) {
            return Err(format!(
                "lagDuration {lag:?} is not an ISO 8601 duration such as PT20M"
            ));
        }
        let index = *self
            .by_id
            .get(id)
            .ok_or_else(|| format!("no source server {id}"))?;
        self.servers[index].lag = Some(lag.to_owned());
        Ok(())
    }

    /// The replication of server `id`, as its extended servers elsewhere report it.
    pub fn replication(&self, id: &str) -> Option<Replication> {
        let s = &self.servers[*self.by_id.get(id)?];
        Some(Replication {
            state: s.state,
            started: s.replication_started,
            lag: s.lag.clone(),
        })
    }

    /// The staging server ARNs that this account's EXTENDED servers name.
    pub fn staging_servers(&self) -> impl Iterator<Item = &str> {
        self.servers
            .iter()
            .filter(|s| s.spec.staging_status == StagingStatus::Extended)
            .filter_map(|s| s.spec.staging_source_server_arn.as_deref())
    }

    /// Servers that replicate in this account now, which is what the quota counts: 300
    /// replicating source servers per account and Region ["Using multiple staging accounts with
    /// DRS"]. Extended servers replicate, and count, in their staging account (StagingArea:
    /// only NOT_EXTENDED "is replicating in the current account"); STOPPED and DISCONNECTED
    /// ones do not replicate ([`DrsState::holds_replication_slot`]).
    fn replicating(&self) -> usize {
        self.servers
            .iter()
            .filter(|s| {
                s.spec.staging_status == StagingStatus::NotExtended
                    && s.state.holds_replication_slot()
            })
            .count()
    }

    /// The state dump: every server as `DescribeSourceServers` shows it in `account` and
    /// `region`, extended servers with their staging server's replication (`mirrors`).
    pub fn snapshot(
        &self,
        account: &str,
        region: &str,
        mirrors: &HashMap<String, Replication>,
        now: i64,
    ) -> Value {
        let at = Place {
            account,
            region,
            mirrors,
            now,
            recovery: &self.recovery,
        };
        let (jobs, instances, executions) = self.recovery.snapshot(account, region);
        json!({
            "jobs": jobs,
            "recoveryInstances": instances,
            "recoveryPlanExecutions": executions,
            "initialized": self.initialized,
            "replicatingQuota": self.quota,
            "replicating": self.replicating(),
            "sourceServers": self.servers.iter().map(|s| render(s, &at)).collect::<Vec<_>>(),
        })
    }
}

/// Where and when servers are shown: the partition, the staging servers' replication, the time
/// and the partition's launches.
struct Place<'a> {
    account: &'a str,
    region: &'a str,
    mirrors: &'a HashMap<String, Replication>,
    now: i64,
    recovery: &'a recovery::Recovery,
}

impl<'a> Place<'a> {
    fn of(scope: &'a Scope<'_>) -> Self {
        Self {
            account: scope.account_id,
            region: scope.region,
            mirrors: &scope.drs_mirrors,
            now: scope.now(),
            recovery: &scope.drs.recovery,
        }
    }
}

/// A source server as the API shows it. An EXTENDED server whose staging server another
/// partition holds reports that server's replication: DRS documents only that an extended server
/// "is extended from a staging source server" (API StagingArea) whose replication runs in the
/// staging account ("Using multiple staging accounts with DRS"); that the target account's
/// `dataReplicationInfo` follows it is the emulator's assumption.
fn render(s: &SourceServer, at: &Place<'_>) -> Value {
    let id = &s.spec.source_server_id;
    let (account, region, now) = (at.account, at.region, at.now);
    let mirrored = s
        .spec
        .staging_source_server_arn
        .as_ref()
        .filter(|_| s.spec.staging_status == StagingStatus::Extended)
        .and_then(|arn| at.mirrors.get(arn));
    let Replication {
        state,
        started,
        lag,
    } = mirrored.cloned().unwrap_or(Replication {
        state: s.state,
        started: s.replication_started,
        lag: s.lag.clone(),
    });
    let mut replication = json!({
        "dataReplicationState": state.as_str(),
        "replicatedDisks": [],
    });
    // Lag is "the amount of time since the server was last in CDP mode" ("Replication related"
    // FAQ, DRS user guide): a set lag shows while the server replicates, otherwise a CONTINUOUS
    // server shows none (PT0S). A stopped or disconnected server has no lag
    // (DisconnectSourceServer nullifies it).
    let lag = lag.or_else(|| (state == DrsState::Continuous).then(|| "PT0S".to_owned()));
    if let Some(lag) = lag.filter(|_| state.holds_replication_slot()) {
        replication["lagDuration"] = json!(lag);
    }
    if let Some(started) = started {
        replication["dataReplicationInitiation"] = json!({
            "startDateTime": iso(started),
            "steps": [{"name": "START_DATA_TRANSFER", "status": if state == DrsState::Initiating { "IN_PROGRESS" } else { "SUCCEEDED" }}],
        });
    }
    // The model's DataReplicationError carries `error` (one of DataReplicationErrorString) and
    // `rawError`; which one DRS reports depends on the cause, so NOT_CONVERGING is the
    // emulator's pick. DisconnectSourceServer documents no error for DISCONNECTED, only the
    // state and the nullified lag.
    if state == DrsState::Stalled {
        replication["dataReplicationError"] = json!({
            "error": "NOT_CONVERGING",
            "rawError": "Replication is not converging: the source writes faster than the replication server receives",
        });
    }
    let mut hints = serde_json::Map::new();
    for (key, value) in [
        ("hostname", &s.spec.hostname),
        ("fqdn", &s.spec.fqdn),
        ("awsInstanceID", &s.spec.aws_instance_id),
        ("vmWareUuid", &s.spec.vm_ware_uuid),
    ] {
        if let Some(v) = value {
            hints.insert(key.to_owned(), json!(v));
        }
    }
    let last_seen = if state == DrsState::Disconnected {
        s.added
    } else {
        now
    };
    let mut life_cycle = json!({
        "addedToServiceDateTime": iso(s.added),
        "lastSeenByServiceDateTime": iso(last_seen),
    });
    let mut last_result = "NOT_STARTED";
    if let Some((last, result)) = at.recovery.last_launch(id) {
        life_cycle["lastLaunch"] = last;
        last_result = result;
    }
    let mut out = json!({
        "sourceServerID": id,
        "arn": format!("arn:{}:drs:{region}:{account}:source-server/{id}", partition(region)),
        "tags": s.spec.tags,
        "lastLaunchResult": last_result,
        "dataReplicationInfo": replication,
        "lifeCycle": life_cycle,
        "sourceProperties": {
            "lastUpdatedDateTime": iso(s.added),
            "recommendedInstanceType": "m5.large",
            "identificationHints": hints,
            "os": {"fullString": s.spec.os.clone().unwrap_or_else(|| "Linux".to_owned())},
        },
        "stagingArea": staging_area(s, account),
        "replicationDirection": s.spec.replication_direction,
        "agentVersion": "4.5.0",
    });
    if let Some(instance) = at.recovery.instance_of(id) {
        out["recoveryInstanceId"] = json!(instance);
    }
    out
}

/// `stagingArea` as the model's StagingArea shows it: the account the server belongs to, or for
/// an extended server its staging account and staging server (and DRS's error message when it
/// could not reach that server).
fn staging_area(s: &SourceServer, account: &str) -> Value {
    let mut area = json!({
        "status": s.spec.staging_status.as_str(),
        "stagingAccountID": s.spec.staging_account_id.as_deref().unwrap_or(account),
    });
    if let Some(arn) = &s.spec.staging_source_server_arn {
        area["stagingSourceServerArn"] = json!(arn);
    }
    if let Some(message) = &s.spec.staging_error_message {
        area["errorMessage"] = json!(message);
    }
    area
}

/// Refuses a replication call on an extended server: its replication is managed in its staging
/// account ["Using multiple staging accounts with DRS"]. What DRS answers is not documented; a
/// 409 ConflictException (the model's error for a call that conflicts with the resource's
/// state) is the emulator's assumption.
fn refuse_extended(server: &SourceServer, op: &str) -> Result<(), ApiError> {
    if server.spec.staging_status == StagingStatus::NotExtended {
        return Ok(());
    }
    let id = &server.spec.source_server_id;
    let staging = server
        .spec
        .staging_account_id
        .as_deref()
        .unwrap_or("unknown");
    Err(ApiError::new(
        "ConflictException",
        format!(
            "Cannot {op} for source server {id}: it is extended from staging account {staging} ({}), where its replication is managed",
            server.spec.staging_status.as_str()
        ),
    )
    .with("resourceId", id.clone())
    .with("resourceType", "SOURCE_SERVER"))
}

/// Runs one DRS operation.
pub fn execute(world: &mut Scope<'_>, op: &str, req: &AwsRequest) -> Result<Value, ApiError> {
    if req.path.starts_with(tags::PREFIX) && tags::operation(&req.method) == Some(op) {
        return tags::execute(world, op, req);
    }
    if req.method != Method::POST {
        return Err(ApiError::unknown_operation(Service::Drs, op));
    }
    let known = matches!(
        op,
        "DescribeSourceServers"
            | "StartReplication"
            | "StopReplication"
            | "StartRecovery"
            | "TerminateRecoveryInstances"
            | "DescribeJobs"
            | "DescribeJobLogItems"
            | "DescribeRecoveryInstances"
            | "DescribeRecoverySnapshots"
            | "ListRecoveryPlans"
            | "GetRecoveryPlan"
            | "StartRecoveryPlanExecution"
            | "ListRecoveryPlanExecutions"
            | "GetRecoveryPlanExecution"
            | "ListRecoveryPlanExecutionSteps"
    );
    if !known {
        return Err(ApiError::unknown_operation(Service::Drs, op));
    }
    if !world.drs.initialized {
        return Err(ApiError::new(
            "UninitializedAccountException",
            "Account not initialized. Initialize Elastic Disaster Recovery in this region first.",
        ));
    }
    match op {
        "DescribeSourceServers" => describe(world, req.json(Service::Drs)?),
        "StartReplication" => start(world, req.json(Service::Drs)?),
        "StopReplication" => stop(world, req.json(Service::Drs)?),
        "StartRecovery" => recovery::start_recovery(world, req.json(Service::Drs)?),
        "TerminateRecoveryInstances" => recovery::terminate(world, req.json(Service::Drs)?),
        "DescribeJobs" => recovery::describe_jobs(world, req.json(Service::Drs)?),
        "DescribeJobLogItems" => recovery::describe_log(world, req.json(Service::Drs)?),
        "DescribeRecoveryInstances" => recovery::describe_instances(world, req.json(Service::Drs)?),
        "DescribeRecoverySnapshots" => recovery::describe_snapshots(world, req.json(Service::Drs)?),
        "ListRecoveryPlans" => recovery::plans::list_plans(world, req.json(Service::Drs)?),
        "GetRecoveryPlan" => recovery::plans::get_plan(world, req.json(Service::Drs)?),
        "StartRecoveryPlanExecution" => {
            recovery::plans::start_execution(world, req.json(Service::Drs)?)
        }
        "ListRecoveryPlanExecutions" => {
            recovery::plans::list_executions(world, req.json(Service::Drs)?)
        }
        "ListRecoveryPlanExecutionSteps" => {
            recovery::plans::list_steps(world, req.json(Service::Drs)?)
        }
        _ => recovery::plans::get_execution(world, req.json(Service::Drs)?),
    }
}

/// A ValidationException naming the field at fault (DRS and MGN share the shape: `reason`,
/// `fieldList`).
pub(crate) fn validation(field: &str, message: &str) -> ApiError {
    ApiError::new("ValidationException", format!("{field}: {message}"))
        .with("reason", "fieldValidationFailed")
        .with("fieldList", json!([{"name": field, "message": message}]))
}

fn describe(world: &mut Scope<'_>, input: DescribeInput) -> Result<Value, ApiError> {
    let max = match input.max_results {
        None => MAX_PAGE,
        Some(n) if n >= 1 => usize::try_from(n).unwrap_or(MAX_PAGE).min(MAX_PAGE),
        Some(_) => return Err(validation("maxResults", "must be at least 1")),
    };
    let filters = input.filters.unwrap_or_default();
    if filters.source_server_ids.len() > 200 || filters.staging_account_ids.len() > 200 {
        return Err(validation(
            "filters",
            "at most 200 sourceServerIDs and 200 stagingAccountIDs",
        ));
    }
    let account = world.account_id;
    let matching: Vec<&SourceServer> = world
        .drs
        .servers
        .iter()
        .filter(|s| {
            filters.source_server_ids.is_empty()
                || filters.source_server_ids.contains(&s.spec.source_server_id)
        })
        .filter(|s| {
            let staging = s.spec.staging_account_id.as_deref().unwrap_or(account);
            filters.staging_account_ids.is_empty()
                || filters.staging_account_ids.iter().any(|a| a == staging)
        })
        .filter(|s| {
            filters.hardware_id.as_deref().is_none_or(|h| {
                s.spec.aws_instance_id.as_deref() == Some(h)
                    || s.spec.vm_ware_uuid.as_deref() == Some(h)
            })
        })
        .collect();
    let (items, next) = page(&matching, input.next_token.as_deref(), max)
        .map_err(|e| validation("nextToken", &e.to_string()))?;
    let at = Place::of(world);
    let items: Vec<Value> = items.iter().map(|s| render(s, &at)).collect();
    let mut out = json!({ "items": items });
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    Ok(out)
}

/// The index of the server a request names, or the model's error.
fn find(world: &Scope<'_>, input: &ServerInput) -> Result<usize, ApiError> {
    let id = input
        .source_server_id
        .as_deref()
        .ok_or_else(|| validation("sourceServerID", "is required"))?;
    let well_formed = id.len() == 19
        && id.starts_with("s-")
        && id[2..].bytes().all(|b| b.is_ascii_alphanumeric());
    if !well_formed {
        return Err(validation(
            "sourceServerID",
            "must match the pattern s-[0-9a-zA-Z]{17}",
        ));
    }
    world.drs.by_id.get(id).copied().ok_or_else(|| {
        ApiError::new(
            "ResourceNotFoundException",
            format!("Source server {id} not found"),
        )
        .with("resourceId", id)
        .with("resourceType", "SOURCE_SERVER")
    })
}

fn start(world: &mut Scope<'_>, input: ServerInput) -> Result<Value, ApiError> {
    let index = find(world, &input)?;
    let now = world.now();
    let server = &world.drs.servers[index];
    let id = server.spec.source_server_id.clone();
    refuse_extended(server, "start replication")?;
    // "Starts replication for a stopped Source Server" [API: StartReplication]; the model's
    // error for another state is the 409 ConflictException.
    if server.state != DrsState::Stopped {
        return Err(ApiError::new(
            "ConflictException",
            format!(
                "Cannot start replication for source server {id}: its data replication state is {}, and replication can only be started when it is STOPPED",
                server.state.as_str()
            ),
        )
        .with("resourceId", id)
        .with("resourceType", "SOURCE_SERVER"));
    }
    let replicating = world.drs.replicating();
    if replicating >= world.drs.quota {
        // The model gives StartReplication no quota error (ServiceQuotaExceededException is
        // CreateExtendedSourceServer's) and the docs do not say what DRS answers at the quota:
        // a 409 ConflictException naming the quota is the emulator's assumption.
        return Err(ApiError::new(
            "ConflictException",
            format!(
                "Cannot start replication for source server {id}: the account already has {replicating} replicating source servers, the quota is {}",
                world.drs.quota
            ),
        )
        .with("code", "REPLICATING_SOURCE_SERVERS_QUOTA_EXCEEDED")
        .with("resourceId", id)
        .with("resourceType", "SOURCE_SERVER"));
    }
    let server = &mut world.drs.servers[index];
    server.state = DrsState::Initiating;
    server.replication_started = Some(now);
    Ok(json!({ "sourceServer": render(&world.drs.servers[index], &Place::of(world)) }))
}

fn stop(world: &mut Scope<'_>, input: ServerInput) -> Result<Value, ApiError> {
    let index = find(world, &input)?;
    refuse_extended(&world.drs.servers[index], "stop replication")?;
    let server = &mut world.drs.servers[index];
    if server.state == DrsState::Stopped {
        return Err(ApiError::new(
            "ConflictException",
            format!(
                "Replication of source server {} is already stopped",
                server.spec.source_server_id
            ),
        )
        .with("resourceId", server.spec.source_server_id.clone())
        .with("resourceType", "SOURCE_SERVER"));
    }
    server.state = DrsState::Stopped;
    server.replication_started = None;
    // "Stops replication ... delete its existing snapshots" [API: StopReplication].
    let id = server.spec.source_server_id.clone();
    world.drs.recovery.delete_snapshots(&id);
    Ok(json!({ "sourceServer": render(&world.drs.servers[index], &Place::of(world)) }))
}
