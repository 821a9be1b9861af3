//! DRS recovery plans: `ListRecoveryPlans`, `GetRecoveryPlan`, `StartRecoveryPlanExecution`,
//! `ListRecoveryPlanExecutions`, `GetRecoveryPlanExecution`, `ListRecoveryPlanExecutionSteps`.
//!
//! A plan comes from the fixture and has one step that recovers its servers; an execution
//! launches one LAUNCH job of them through the recovery jobs of [`super`], and its status and
//! that of its one step follow that job. Shapes and enums are drs.service-2.json's; the preconditions are those of "Running a
//! recovery plan" (DRS user guide); the README names the assumptions.

use super::{launch_job, push_job, Job, JobStatus, LaunchStatus, Recovery};
use crate::drs::{tags, validation};
use crate::fixture::RecoveryPlanSpec;
use crate::protocol::ApiError;
use crate::util::{hex, iso, page, partition};
use crate::world::Scope;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Largest and default page of the plan lists (the model's MaxResultsType, 1 to 1000).
const MAX_PAGE: usize = 1000;

/// Most servers with a pinned snapshot (the model's RecoveryPlanExecutionSourceServerList).
const MAX_PINNED: usize = 200;

/// Most characters of a client token (the model's ClientIdempotencyToken).
const MAX_TOKEN: usize = 64;

/// How long before the fixture's start its plans were created and last updated (the emulator's
/// choice).
const PLAN_AGE: i64 = 7 * 86_400;

/// The recovery plans of one partition and their executions.
#[derive(Debug, Clone, Default)]
pub(in crate::drs) struct Plans {
    plans: Vec<Plan>,
    executions: Vec<Execution>,
}

#[derive(Debug, Clone)]
struct Plan {
    spec: RecoveryPlanSpec,
    created: i64,
}

impl Plan {
    /// RecoveryPlanStatus: the fixture's, else ACTIVE, or INVALID for a plan without server
    /// steps ("A plan becomes INVALID when it has no server steps").
    fn status(&self) -> &str {
        match &self.spec.status {
            Some(status) => status,
            None if self.spec.source_server_ids.is_empty() => "INVALID",
            None => "ACTIVE",
        }
    }
}

/// What an execution was started with, compared when its client token comes again.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Request {
    plan_arn: String,
    mode: String,
    pinned: Vec<(String, String)>,
    tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
struct Execution {
    id: String,
    plan_id: String,
    drill: bool,
    started: i64,
    tags: BTreeMap<String, String>,
    token: Option<String>,
    request: Request,
    job_id: String,
}

/// RecoveryPlanExecutionStatus of an execution, from its job's status: CREATED while the job is
/// PENDING, IN_PROGRESS while it is STARTED, then COMPLETED when every server launched and
/// FAILED otherwise. Cancelling is not emulated, so CANCELLING and CANCELLED never show.
fn status(job: Option<&Job>) -> &'static str {
    match job {
        Some(j) if j.status == JobStatus::Pending => "CREATED",
        Some(j) if j.status == JobStatus::Started => "IN_PROGRESS",
        Some(j)
            if j.participants
                .iter()
                .all(|p| p.status == LaunchStatus::Launched) =>
        {
            "COMPLETED"
        }
        _ => "FAILED",
    }
}

/// The model's RecoveryPlanExecutionStepStatus values.
const STEP_STATUSES: [&str; 7] = [
    "NOT_STARTED",
    "EXECUTING",
    "WAITING",
    "COMPLETED",
    "FAILED",
    "TIMED_OUT",
    "SKIPPED",
];

/// Name of the one step of every plan (the emulator's: its plans have no named steps).
const STEP_NAME: &str = "Recover servers";

/// RecoveryPlanExecutionStepStatus of an execution's one SERVER step, from its job's status:
/// EXECUTING while the job is PENDING or STARTED (the job exists from the start call on, so
/// recovery is initiated), then COMPLETED when every server launched and FAILED otherwise
/// (every server is CRITICAL: "CRITICAL means the step fails if this server fails", model).
fn step_status(job: Option<&Job>) -> &'static str {
    match status(job) {
        "CREATED" | "IN_PROGRESS" => "EXECUTING",
        "COMPLETED" => "COMPLETED",
        _ => "FAILED",
    }
}

/// Whether an execution in `status` still runs: a plan "cannot have more than one execution in
/// a non-terminal status at a time" (model, StartRecoveryPlanExecution).
fn non_terminal(status: &str) -> bool {
    matches!(status, "CREATED" | "IN_PROGRESS" | "CANCELLING")
}

impl Plans {
    /// The fixture's plans, created [`PLAN_AGE`] before `now`.
    pub(in crate::drs) fn new(specs: &[RecoveryPlanSpec], now: i64) -> Self {
        Self {
            plans: specs
                .iter()
                .map(|spec| Plan {
                    spec: spec.clone(),
                    created: now - PLAN_AGE,
                })
                .collect(),
            executions: Vec::new(),
        }
    }

    /// Every execution as `GetRecoveryPlanExecution` shows it, oldest first, for the state dump.
    pub(in crate::drs) fn snapshot(
        &self,
        recovery: &Recovery,
        account: &str,
        region: &str,
    ) -> Value {
        self.executions
            .iter()
            .map(|e| render_execution((account, region), recovery, e, true))
            .collect()
    }

    /// The tags of the plan or execution `id` names (`kind` is the ARN's resource type).
    pub(in crate::drs) fn tags_mut(
        &mut self,
        kind: &str,
        id: &str,
    ) -> Option<&mut BTreeMap<String, String>> {
        match kind {
            "recovery-plan" => self
                .plans
                .iter_mut()
                .find(|p| p.spec.recovery_plan_id == id)
                .map(|p| &mut p.spec.tags),
            "recovery-plan-execution" => self
                .executions
                .iter_mut()
                .find(|e| e.id == id)
                .map(|e| &mut e.tags),
            _ => None,
        }
    }
}

/// ARNs as the Service Authorization Reference's resource types give them:
/// `arn:${Partition}:drs:${Region}:${Account}:recovery-plan/${RecoveryPlanID}` and
/// `...:recovery-plan-execution/${RecoveryPlanExecutionID}`.
fn arn(scope: &Scope<'_>, kind: &str, id: &str) -> String {
    arn_in((scope.account_id, scope.region), kind, id)
}

/// The same in an (account, region).
fn arn_in((account, region): (&str, &str), kind: &str, id: &str) -> String {
    format!(
        "arn:{}:drs:{region}:{account}:{kind}/{id}",
        partition(region)
    )
}

/// Whether `arn` fits the model's StrictDRSARN, `arn:aws(-[a-z0-9]+)*:drs:[a-z0-9-]+:[0-9]{12}:[a-zA-Z0-9_/.-]+`.
fn strict_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [a, p, drs, region, account, resource] = parts.as_slice() else {
        return false;
    };
    let partition_ok = p.strip_prefix("aws").is_some_and(|rest| {
        rest.is_empty()
            || rest.strip_prefix('-').is_some_and(|r| {
                r.split('-').all(|w| {
                    !w.is_empty()
                        && w.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                })
            })
    });
    (20..=2048).contains(&arn.len())
        && *a == "arn"
        && partition_ok
        && *drs == "drs"
        && !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !resource.is_empty()
        && resource
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_/.-".contains(&b))
}

/// The id of the resource of type `kind` that `arn` names in this partition, or the model's
/// error: a ValidationException for an ARN that is not a StrictDRSARN, a
/// ResourceNotFoundException for one of another type, account or region.
fn id_in<'a>(
    scope: &Scope<'_>,
    field: &str,
    text: &'a str,
    kind: &str,
) -> Result<&'a str, ApiError> {
    if !strict_arn(text) {
        return Err(validation(
            field,
            "must match the pattern arn:aws(-[a-z0-9]+)*:drs:[a-z0-9-]+:[0-9]{12}:[a-zA-Z0-9_/.-]+",
        ));
    }
    let prefix = arn(scope, kind, "");
    text.strip_prefix(&prefix)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| not_found(text, kind))
}

fn not_found(arn: &str, kind: &str) -> ApiError {
    let what = if kind == "recovery-plan" {
        "Recovery plan"
    } else {
        "Recovery plan execution"
    };
    ApiError::new(
        "ResourceNotFoundException",
        format!("{what} {arn} not found"),
    )
    .with("resourceId", arn)
    .with("resourceType", kind.to_uppercase().replace('-', "_"))
}

fn page_size(max: Option<i64>) -> Result<usize, ApiError> {
    match max {
        None => Ok(MAX_PAGE),
        Some(n) if (1..=1000).contains(&n) => Ok(usize::try_from(n).unwrap_or(MAX_PAGE)),
        Some(_) => Err(validation("maxResults", "must be between 1 and 1000")),
    }
}

/// One page of `items` under `key`, with the next token when there is more.
fn paged(
    key: &str,
    items: &[Value],
    token: Option<&str>,
    max: Option<i64>,
) -> Result<Value, ApiError> {
    let (items, next) =
        page(items, token, page_size(max)?).map_err(|e| validation("nextToken", &e.to_string()))?;
    let mut out = json!({ key: items });
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    Ok(out)
}

/// RecoveryPlanSummary, or with `full` the RecoveryPlan (description and tags too).
fn render_plan(scope: &Scope<'_>, plan: &Plan, full: bool) -> Value {
    let mut out = json!({
        "recoveryPlanArn": arn(scope, "recovery-plan", &plan.spec.recovery_plan_id),
        "name": plan.spec.name,
        "status": plan.status(),
        "createdAt": iso(plan.created),
        "updatedAt": iso(plan.created),
    });
    if full {
        if let Some(description) = &plan.spec.description {
            out["description"] = json!(description);
        }
        out["tags"] = json!(plan.spec.tags);
    }
    out
}

/// The model's ErrorDetail of a failed execution or step, naming the servers its job did not
/// launch. Which code DRS reports is not documented, so LAUNCH_FAILED is the emulator's.
fn error_detail(job: Option<&Job>, job_id: &str) -> Value {
    let failed: Vec<&str> = job
        .into_iter()
        .flat_map(|j| &j.participants)
        .filter(|p| p.status != LaunchStatus::Launched)
        .map(|p| p.source_server_id.as_str())
        .collect();
    json!({
        "code": "LAUNCH_FAILED",
        "message": format!("Job {job_id} did not launch source servers {}", failed.join(", ")),
    })
}

/// RecoveryPlanExecutionSummary, or with `full` the RecoveryPlanExecution (`completedAt` and
/// tags too).
fn render_execution(at: (&str, &str), recovery: &Recovery, e: &Execution, full: bool) -> Value {
    let job = recovery.jobs.iter().find(|j| j.id == e.job_id);
    let status = status(job);
    let mut out = json!({
        "recoveryPlanExecutionArn": arn_in(at, "recovery-plan-execution", &e.id),
        "recoveryPlanArn": arn_in(at, "recovery-plan", &e.plan_id),
        "mode": if e.drill { "DRILL" } else { "RECOVERY" },
        "status": status,
        "startedAt": iso(e.started),
    });
    if status == "FAILED" {
        out["errorDetail"] = error_detail(job, &e.job_id);
    }
    if full {
        if let Some(ended) = job.and_then(|j| j.ended) {
            out["completedAt"] = json!(iso(ended));
        }
        out["tags"] = json!(e.tags);
    }
    out
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(in crate::drs) struct ListInput {
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// `ListRecoveryPlans`: the plans in fixture order.
pub(in crate::drs) fn list_plans(
    scope: &mut Scope<'_>,
    input: ListInput,
) -> Result<Value, ApiError> {
    let items: Vec<Value> = scope
        .drs
        .recovery
        .plans
        .plans
        .iter()
        .map(|p| render_plan(scope, p, false))
        .collect();
    paged(
        "recoveryPlans",
        &items,
        input.next_token.as_deref(),
        input.max_results,
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(in crate::drs) struct GetPlanInput {
    recovery_plan_arn: Option<String>,
}

/// `GetRecoveryPlan`: one plan by ARN.
pub(in crate::drs) fn get_plan(
    scope: &mut Scope<'_>,
    input: GetPlanInput,
) -> Result<Value, ApiError> {
    let plan_arn = input
        .recovery_plan_arn
        .ok_or_else(|| validation("recoveryPlanArn", "is required"))?;
    let index = find_plan(scope, &plan_arn)?;
    let plan = &scope.drs.recovery.plans.plans[index];
    Ok(json!({ "recoveryPlan": render_plan(scope, plan, true) }))
}

fn find_plan(scope: &Scope<'_>, plan_arn: &str) -> Result<usize, ApiError> {
    let id = id_in(scope, "recoveryPlanArn", plan_arn, "recovery-plan")?;
    scope
        .drs
        .recovery
        .plans
        .plans
        .iter()
        .position(|p| p.spec.recovery_plan_id == id)
        .ok_or_else(|| not_found(plan_arn, "recovery-plan"))
}

/// The execution `execution_arn` names in this partition, or the model's error.
fn find_execution<'s>(
    scope: &'s Scope<'_>,
    execution_arn: &str,
) -> Result<&'s Execution, ApiError> {
    let id = id_in(
        scope,
        "recoveryPlanExecutionArn",
        execution_arn,
        "recovery-plan-execution",
    )?;
    scope
        .drs
        .recovery
        .plans
        .executions
        .iter()
        .find(|e| e.id == id)
        .ok_or_else(|| not_found(execution_arn, "recovery-plan-execution"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(in crate::drs) struct StartInput {
    recovery_plan_arn: Option<String>,
    mode: Option<String>,
    client_token: Option<String>,
    #[serde(default)]
    source_servers: Vec<PinnedServer>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct PinnedServer {
    #[serde(rename = "sourceServerID")]
    source_server_id: Option<String>,
    #[serde(rename = "recoverySnapshotID")]
    recovery_snapshot_id: Option<String>,
}

fn plan_conflict(plan_id: &str, message: String) -> ApiError {
    ApiError::new("ConflictException", message)
        .with("resourceId", plan_id)
        .with("resourceType", "RECOVERY_PLAN")
}

/// `StartRecoveryPlanExecution`: an execution in CREATED and the LAUNCH job of the plan's
/// servers, after the preconditions of "Running a recovery plan".
pub(in crate::drs) fn start_execution(
    scope: &mut Scope<'_>,
    input: StartInput,
) -> Result<Value, ApiError> {
    let plan_arn = input
        .recovery_plan_arn
        .ok_or_else(|| validation("recoveryPlanArn", "is required"))?;
    let mode = input
        .mode
        .ok_or_else(|| validation("mode", "is required"))?;
    let drill = match mode.as_str() {
        "DRILL" => true,
        "RECOVERY" => false,
        other => {
            return Err(validation(
                "mode",
                &format!("must be DRILL or RECOVERY, got {other:?}"),
            ))
        }
    };
    let token = input.client_token.filter(|t| !t.is_empty());
    if token
        .as_ref()
        .is_some_and(|t| t.chars().count() > MAX_TOKEN)
    {
        return Err(validation("clientToken", "must be at most 64 characters"));
    }
    // The execution is a taggable resource, so its start tags meet TagResource's limits.
    tags::check_text(&input.tags)?;
    tags::check_count(input.tags.len())?;
    if input.source_servers.len() > MAX_PINNED {
        return Err(validation("sourceServers", "must have at most 200 items"));
    }
    let mut pinned = Vec::with_capacity(input.source_servers.len());
    let mut missing = Vec::new();
    for s in input.source_servers {
        let id = s
            .source_server_id
            .ok_or_else(|| validation("sourceServers.sourceServerID", "is required"))?;
        match s.recovery_snapshot_id {
            Some(pit) => pinned.push((id, pit)),
            None => missing.push(id),
        }
    }
    if !missing.is_empty() {
        return Err(validation(
            "sourceServers",
            &format!(
                "Missing recoverySnapshotID for servers: {}",
                missing.join(", ")
            ),
        ));
    }
    let index = find_plan(scope, &plan_arn)?;
    let request = Request {
        plan_arn,
        mode,
        pinned,
        tags: input.tags,
    };
    let recovery = &scope.drs.recovery;
    // "A unique string provided to ensure request idempotency" (model): the same token with the
    // same request returns its execution. A different request with a used token is refused
    // with a ConflictException, the emulator's assumption (undocumented).
    if let Some(token) = &token {
        if let Some(e) = recovery
            .plans
            .executions
            .iter()
            .find(|e| e.token.as_ref() == Some(token))
        {
            if e.request != request {
                return Err(ApiError::new(
                    "ConflictException",
                    format!("Client token {token} was already used with different parameters"),
                ));
            }
            let same = render_execution((scope.account_id, scope.region), recovery, e, true);
            return Ok(json!({ "recoveryPlanExecution": same }));
        }
    }
    let plan = &recovery.plans.plans[index];
    let plan_id = plan.spec.recovery_plan_id.clone();
    if plan.status() != "ACTIVE" {
        return Err(plan_conflict(
            &plan_id,
            format!(
                "Recovery plan {plan_id} is in status {} and cannot be executed. Only ACTIVE plans can be executed.",
                plan.status()
            ),
        ));
    }
    if plan.spec.source_server_ids.is_empty() {
        return Err(validation(
            "recoveryPlanArn",
            &format!("Recovery plan {plan_id} has no steps. Add at least one step to the plan before starting an execution."),
        ));
    }
    let running =
        |e: &&Execution| non_terminal(status(recovery.jobs.iter().find(|j| j.id == e.job_id)));
    if recovery
        .plans
        .executions
        .iter()
        .filter(running)
        .any(|e| e.plan_id == plan_id)
    {
        return Err(plan_conflict(
            &plan_id,
            format!("Another execution is already active for plan {plan_id}"),
        ));
    }
    for e in recovery.plans.executions.iter().filter(running) {
        let other = recovery
            .plans
            .plans
            .iter()
            .find(|p| p.spec.recovery_plan_id == e.plan_id);
        let shared = other.and_then(|o| {
            o.spec
                .source_server_ids
                .iter()
                .find(|s| plan.spec.source_server_ids.contains(s))
        });
        if let Some(server) = shared {
            return Err(plan_conflict(
                &plan_id,
                format!(
                    "Source server {server} of plan {plan_id} is held by plan {} in execution {}",
                    e.plan_id, e.id
                ),
            ));
        }
    }
    let outside: Vec<&str> = request
        .pinned
        .iter()
        .map(|(id, _)| id.as_str())
        .filter(|id| !plan.spec.source_server_ids.iter().any(|s| s == id))
        .collect();
    if !outside.is_empty() {
        return Err(validation(
            "sourceServers",
            &format!(
                "Source server IDs not found in plan: {}",
                outside.join(", ")
            ),
        ));
    }
    let servers: Vec<(Option<String>, Option<String>)> = plan
        .spec
        .source_server_ids
        .iter()
        .map(|id| {
            let pit = request
                .pinned
                .iter()
                .find(|(p, _)| p == id)
                .map(|(_, pit)| pit.clone());
            (Some(id.clone()), pit)
        })
        .collect();
    // The plan's job carries no tags: which tags DRS gives the jobs of an execution is not
    // documented.
    let job = launch_job(scope, &servers, drill, BTreeMap::new(), true)?;
    let execution = Execution {
        id: format!("rpe-{}", hex(scope.rng, 17)),
        plan_id,
        drill,
        started: scope.now(),
        tags: request.tags.clone(),
        token,
        request,
        job_id: job.id.clone(),
    };
    push_job(scope, job);
    let out = render_execution(
        (scope.account_id, scope.region),
        &scope.drs.recovery,
        &execution,
        true,
    );
    scope.drs.recovery.plans.executions.push(execution);
    Ok(json!({ "recoveryPlanExecution": out }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(in crate::drs) struct ListExecutionsInput {
    recovery_plan_arn: Option<String>,
    status: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// `ListRecoveryPlanExecutions`: newest first, filtered by plan and status.
pub(in crate::drs) fn list_executions(
    scope: &mut Scope<'_>,
    input: ListExecutionsInput,
) -> Result<Value, ApiError> {
    const STATUSES: [&str; 6] = [
        "CREATED",
        "IN_PROGRESS",
        "COMPLETED",
        "FAILED",
        "CANCELLING",
        "CANCELLED",
    ];
    if let Some(status) = input.status.as_deref().filter(|s| !STATUSES.contains(s)) {
        return Err(validation(
            "status",
            &format!("{status:?} is not a RecoveryPlanExecutionStatus"),
        ));
    }
    if let Some(plan_arn) = &input.recovery_plan_arn {
        if !strict_arn(plan_arn) {
            return Err(validation(
                "recoveryPlanArn",
                "must match the pattern arn:aws(-[a-z0-9]+)*:drs:[a-z0-9-]+:[0-9]{12}:[a-zA-Z0-9_/.-]+",
            ));
        }
    }
    let recovery = &scope.drs.recovery;
    let items: Vec<Value> = recovery
        .plans
        .executions
        .iter()
        .rev()
        .map(|e| render_execution((scope.account_id, scope.region), recovery, e, false))
        .filter(|e| {
            input
                .recovery_plan_arn
                .as_deref()
                .is_none_or(|a| e["recoveryPlanArn"] == a)
        })
        .filter(|e| input.status.as_deref().is_none_or(|s| e["status"] == s))
        .collect();
    paged(
        "recoveryPlanExecutions",
        &items,
        input.next_token.as_deref(),
        input.max_results,
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(in crate::drs) struct GetExecutionInput {
    recovery_plan_execution_arn: Option<String>,
}

/// `GetRecoveryPlanExecution`: one execution by ARN.
pub(in crate::drs) fn get_execution(
    scope: &mut Scope<'_>,
    input: GetExecutionInput,
) -> Result<Value, ApiError> {
    let execution_arn = input
        .recovery_plan_execution_arn
        .ok_or_else(|| validation("recoveryPlanExecutionArn", "is required"))?;
    let e = find_execution(scope, &execution_arn)?;
    let recovery = &scope.drs.recovery;
    Ok(
        json!({ "recoveryPlanExecution": render_execution((scope.account_id, scope.region), recovery, e, true) }),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(in crate::drs) struct ListStepsInput {
    recovery_plan_execution_arn: Option<String>,
    filter: Option<StepsFilter>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct StepsFilter {
    status: Option<String>,
}

/// RecoveryPlanExecutionStepSummary of an execution's one SERVER step: every server of the
/// plan, CRITICAL ("Defaults to CRITICAL if not specified", model), with the `jobID` of the
/// execution's job for each server that job took ("The DRS recovery job ID. Populated when
/// recovery is initiated for this server", model).
fn render_step(at: (&str, &str), recovery: &Recovery, e: &Execution) -> Value {
    let (account, region) = at;
    let job = recovery.jobs.iter().find(|j| j.id == e.job_id);
    let plan_servers = recovery
        .plans
        .plans
        .iter()
        .find(|p| p.spec.recovery_plan_id == e.plan_id)
        .map(|p| p.spec.source_server_ids.as_slice())
        .unwrap_or_default();
    let servers: Vec<Value> = plan_servers
        .iter()
        .map(|id| {
            let mut server = json!({
                "serverArn": format!("arn:{}:drs:{region}:{account}:source-server/{id}", partition(region)),
                "impactLevel": "CRITICAL",
            });
            if let Some(j) = job.filter(|j| j.participants.iter().any(|p| &p.source_server_id == id)) {
                server["jobID"] = json!(j.id);
            }
            server
        })
        .collect();
    let status = step_status(job);
    let mut out = json!({
        "recoveryPlanExecutionStepArn": arn_in(at, "recovery-plan-execution", &format!("{}/step/1", e.id)),
        "stepName": STEP_NAME,
        "stepIndex": 1,
        "status": status,
        "configuration": { "executionServerStepConfiguration": { "servers": servers } },
    });
    if status == "FAILED" {
        out["errorDetail"] = error_detail(job, &e.job_id);
    }
    out
}

/// `ListRecoveryPlanExecutionSteps`: the execution's one step, filtered by status.
pub(in crate::drs) fn list_steps(
    scope: &mut Scope<'_>,
    input: ListStepsInput,
) -> Result<Value, ApiError> {
    let execution_arn = input
        .recovery_plan_execution_arn
        .ok_or_else(|| validation("recoveryPlanExecutionArn", "is required"))?;
    let wanted = input.filter.and_then(|f| f.status);
    if let Some(status) = wanted.as_deref().filter(|s| !STEP_STATUSES.contains(s)) {
        return Err(validation(
            "filter.status",
            &format!("{status:?} is not a RecoveryPlanExecutionStepStatus"),
        ));
    }
    let e = find_execution(scope, &execution_arn)?;
    let recovery = &scope.drs.recovery;
    let items: Vec<Value> =
        std::iter::once(render_step((scope.account_id, scope.region), recovery, e))
            .filter(|step| wanted.as_deref().is_none_or(|s| step["status"] == s))
            .collect();
    paged(
        "recoveryPlanExecutionSteps",
        &items,
        input.next_token.as_deref(),
        input.max_results,
    )
}
