//! Plan: decide, without I/O, what to do for every configured source server the trigger
//! concerns, and why every other one is left alone.
//!
//! What AWS documents, and what the plan assumes where it documents nothing:
//! - `RetryDataReplication` "causes the data replication initiation sequence to begin
//!   immediately upon next Handshake" and "will not work if the SourceServer is not stalled"
//!   [MGN API reference]. A retried server may still read STALLED for a while, so the count of
//!   consecutive stalls (kept in the server's tags, see [`StallRecord`]) ends only when data
//!   flows again ([`ReplicationState::flows`]), and a server is escalated only once the
//!   cool-down after its last retry has passed with the server still stalled.
//! - MGN's quotas ["AWS Application Migration Service endpoints and quotas"]: 150 active source
//!   servers (adjustable: `MGN_MAX_ACTIVE_SERVERS`), 20 concurrent jobs, 200 servers in all
//!   active jobs, one job per server. Starts and test launches beyond them are deferred to a
//!   later run, saying so. The jobs counted are those observe read: the test jobs of the
//!   servers the function looks after, and every job since the oldest test instance still
//!   standing (which holds its termination); a job of another server that holds the quota makes
//!   MGN refuse the call, which is reported and retried at the next run.
//! - `TerminateTargetInstances` "will not work for any Source Server with a lifecycle.state of
//!   TESTING" [MGN API reference], so a server still TESTING is first moved to the
//!   configured `then` state with `ChangeServerLifeCycleState`. Only test instances of jobs
//!   this function started (their tags say so) are ever terminated.

use crate::ask::Ask;
use crate::config::{MgnConfig, ServerPolicy, ServerRef, StartPolicy};
use crate::model::{
    alert, setting_changes, Action, Facts, JobStatus, LaunchStatus, LifeCycle, ReplicationState,
    SourceServer, StallRecord, TestCleanup, ESCALATE, NOTIFY,
};
use dr_core::clock::fmt_time;
use dr_core::function::{Observed, Plan};
use dr_core::report::{Skip, TargetOutcome};

/// Most servers in one `StartTest` or `TerminateTargetInstances` (the model's limit, and MGN's
/// "Max Source Servers in a single Job").
pub const SERVERS_PER_JOB: usize = 200;
/// MGN's "Max Source Servers in all Jobs".
pub const SERVERS_IN_ALL_JOBS: usize = 200;
/// MGN's "Concurrent jobs in progress".
pub const CONCURRENT_JOBS: usize = 20;

/// The read of a server's replication settings, as a failed one is reported.
const GET_REPLICATION_CONFIGURATION: &str = "GetReplicationConfiguration";

/// Plans a run over every observed target, one plan per entry of `fleet`, each on its own.
/// What the trigger holds that the function does not act on is reported once, with the first
/// target.
pub fn plan(config: &MgnConfig, fleet: &[Observed<'_, Facts>]) -> Vec<Plan<Action>> {
    fleet
        .iter()
        .enumerate()
        .map(|(i, observed)| {
            let ask = Ask::of(&observed.trigger);
            let mut plan = plan_target(config, &ask, &observed.facts);
            if i == 0 {
                for skip in ask.skips {
                    plan.skips.push(skip);
                }
            }
            plan
        })
        .collect()
}

/// What one server asks for before the target's quotas are applied.
#[derive(Default)]
struct ServerPlan {
    actions: Vec<Action>,
    outcomes: Vec<TargetOutcome>,
    notes: Vec<String>,
    start: Option<Action>,
    test: Option<TestStep>,
}

/// A test step, which the job quotas may defer.
enum TestStep {
    Launch,
    CleanUp(TestCleanup),
}

/// Plans one target.
fn plan_target(config: &MgnConfig, ask: &Ask, facts: &Facts) -> Plan<Action> {
    let mut plan = Plan::default();
    let listed = |id: &dr_core::ids::SourceServerId| facts.servers.iter().any(|s| s.id == *id);
    for id in ask.servers.iter().filter(|id| !listed(id)) {
        plan.skips.push(Skip::new(
            id,
            "MGN lists no such non-archived source server here",
        ));
    }
    if ask.everything {
        for (i, spec) in config.servers.iter().enumerate() {
            if let ServerRef::Id(id) = &spec.name {
                if !listed(id) {
                    plan.skips.push(Skip::new(
                        id,
                        format!(
                            "named by MGN_SERVERS servers[{i}], but MGN lists no such \
                             non-archived source server here"
                        ),
                    ));
                }
            }
        }
    }

    let mut starts: Vec<(&SourceServer, Action)> = Vec::new();
    let mut launches: Vec<&SourceServer> = Vec::new();
    let mut cleanups: Vec<TestCleanup> = Vec::new();
    for server in facts.servers.iter().filter(|s| ask.covers(&s.id)) {
        let Some(policy) = config.policy_for(server) else {
            if !ask.everything {
                plan.skips
                    .push(Skip::new(&server.id, "not named by MGN_SERVERS"));
            }
            continue;
        };
        let decided = decide(server, policy, facts);
        if decided.actions.is_empty()
            && decided.outcomes.is_empty()
            && decided.notes.is_empty()
            && decided.start.is_none()
            && decided.test.is_none()
        {
            plan.skips.push(Skip::new(
                &server.id,
                format!("{}: nothing to do", server.states()),
            ));
        } else if !decided.notes.is_empty() {
            plan.skips.push(Skip::new(
                &server.id,
                format!("{}: {}", server.states(), decided.notes.join("; ")),
            ));
        }
        plan.actions.extend(decided.actions);
        plan.outcomes.extend(decided.outcomes);
        if let Some(start) = decided.start {
            starts.push((server, start));
        }
        match decided.test {
            Some(TestStep::Launch) => launches.push(server),
            Some(TestStep::CleanUp(cleanup)) => cleanups.push(cleanup),
            None => {}
        }
    }

    let mut active = facts
        .servers
        .iter()
        .filter(|s| s.replication.is_active())
        .count();
    starts.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    for (server, start) in starts {
        if active < config.max_active {
            active += 1;
            plan.actions.push(start);
        } else {
            plan.skips.push(Skip::new(
                &server.id,
                format!(
                    "STOPPED, but {active} servers are active and MGN_MAX_ACTIVE_SERVERS is {}; \
                     deferred to a later run",
                    config.max_active
                ),
            ));
        }
    }
    plan_jobs(facts, launches, cleanups, &mut plan);
    plan
}

/// What MGN's job quotas leave for this run's jobs.
struct JobRoom {
    jobs_free: usize,
    servers_free: usize,
    /// What the active jobs hold, for the reason of a deferral.
    busy: (usize, usize),
}

impl JobRoom {
    /// The room the observed jobs that have not completed leave.
    fn of(facts: &Facts) -> Self {
        let active: Vec<_> = facts
            .jobs
            .values()
            .filter(|j| j.status != JobStatus::Completed)
            .collect();
        let servers: usize = active.iter().map(|j| j.servers.len()).sum();
        Self {
            jobs_free: CONCURRENT_JOBS.saturating_sub(active.len()),
            servers_free: SERVERS_IN_ALL_JOBS.saturating_sub(servers),
            busy: (active.len(), servers),
        }
    }

    /// How many of `wanted` servers one more job takes, and takes that room.
    fn take(&mut self, wanted: usize) -> usize {
        let fits = if self.jobs_free == 0 {
            0
        } else {
            wanted.min(self.servers_free)
        };
        if fits > 0 {
            self.jobs_free -= 1;
            self.servers_free -= fits;
        }
        fits
    }

    /// Why `what` waits for a later run.
    fn deferred(&self, what: &str) -> String {
        let (jobs, servers) = self.busy;
        format!(
            "{what} deferred to a later run: {jobs} MGN jobs are active and hold {servers} \
             servers (MGN allows {CONCURRENT_JOBS} jobs and {SERVERS_IN_ALL_JOBS} servers in all \
             jobs)"
        )
    }

    /// Puts `servers` in jobs of at most [`SERVERS_PER_JOB`] while there is room, as the actions
    /// `job` makes (with the job's index), and defers the rest as `what`.
    fn fit<T>(
        &mut self,
        servers: &[T],
        id: impl Fn(&T) -> &dr_core::ids::SourceServerId,
        job: impl Fn(&T, usize) -> Action,
        what: &str,
        plan: &mut Plan<Action>,
    ) {
        for (i, chunk) in servers.chunks(SERVERS_PER_JOB).enumerate() {
            let fits = self.take(chunk.len());
            for (n, server) in chunk.iter().enumerate() {
                if n < fits {
                    plan.actions.push(job(server, i));
                } else {
                    plan.skips.push(Skip::new(id(server), self.deferred(what)));
                }
            }
        }
    }
}

/// Fits the cleanups, then the launches, into MGN's job quotas: a cleanup frees what a launch
/// holds, so it goes first.
fn plan_jobs(
    facts: &Facts,
    mut launches: Vec<&SourceServer>,
    mut cleanups: Vec<TestCleanup>,
    plan: &mut Plan<Action>,
) {
    let mut room = JobRoom::of(facts);
    cleanups.sort_by(|a, b| a.server.cmp(&b.server));
    launches.sort_by(|a, b| a.id.cmp(&b.id));
    room.fit(
        &cleanups,
        |c| &c.server,
        |c, batch| Action::CleanUpTest {
            cleanup: c.clone(),
            batch,
        },
        "test cleanup",
        plan,
    );
    room.fit(
        &launches,
        |s| &s.id,
        |s, batch| Action::StartTest {
            server: s.id.clone(),
            states: s.states(),
            batch,
        },
        "READY_FOR_TEST: test launch",
        plan,
    );
}

/// Decides about one configured server.
fn decide(server: &SourceServer, policy: &ServerPolicy, facts: &Facts) -> ServerPlan {
    let mut out = ServerPlan::default();
    configure(server, policy, facts, &mut out);
    replication(server, policy, facts.now, &mut out);
    if policy.test.enabled {
        test(server, policy, facts, &mut out);
    }
    out
}

/// The settings to change, when the server's settings are enforced.
fn configure(server: &SourceServer, policy: &ServerPolicy, facts: &Facts, out: &mut ServerPlan) {
    if policy.replication.is_empty() || !server.settings_apply() {
        return;
    }
    match facts.configurations.get(&server.id) {
        Some(Ok(current)) => {
            let changes = setting_changes(&policy.replication, current);
            if !changes.is_empty() {
                out.actions.push(Action::Configure {
                    server: server.id.clone(),
                    states: server.states(),
                    changes,
                });
            }
        }
        Some(Err(failure)) => {
            let mut failed =
                TargetOutcome::failed(server.id.as_str(), GET_REPLICATION_CONFIGURATION, failure)
                    .with_detail(format!(
                        "{failure}; its replication settings could not be compared"
                    ));
            failed.state = Some(server.states());
            out.outcomes.push(failed);
        }
        None => out
            .notes
            .push("its replication settings were not read".to_owned()),
    }
}

/// What the replication state asks for.
fn replication(server: &SourceServer, policy: &ServerPolicy, now: i64, out: &mut ServerPlan) {
    let record = server.stall_record();
    let state = &server.replication;
    match state {
        ReplicationState::Stalled => stalled(server, policy, record, now, out),
        s if s.flows() => {
            let reason = match &record {
                Ok(r) if r.is_empty() => return,
                Ok(r) => format!(
                    "{}: replication flows again after {} retried stalls; the stall record is \
                     cleared",
                    s.as_str(),
                    r.retries
                ),
                Err(why) => format!(
                    "{}: replication flows; the unreadable stall record ({why}) is cleared",
                    s.as_str()
                ),
            };
            if let Some(arn) = &server.arn {
                out.actions.push(Action::ClearStalls {
                    server: server.id.clone(),
                    states: server.states(),
                    arn: arn.clone(),
                    reason,
                });
            }
        }
        ReplicationState::Paused if policy.resume_paused => out.actions.push(Action::Resume {
            server: server.id.clone(),
            states: server.states(),
        }),
        ReplicationState::Paused => out.notes.push(
            "PAUSED, and resumePaused is not set: resume it in the MGN console or set \
             resumePaused"
                .to_owned(),
        ),
        ReplicationState::Disconnected if server.lifecycle == LifeCycle::Cutover => {
            out.notes.push("cut over: replication has ended".to_owned())
        }
        // DISCONNECTED is what DisconnectFromService sets ("Data replication is stopped
        // immediately") [MGN API reference]: the migration of a configured server has stopped.
        ReplicationState::Disconnected => out.outcomes.push(alert(
            server,
            NOTIFY,
            format!(
                "DISCONNECTED: the server is disconnected from MGN and its replication has \
                 stopped{}. To go on migrating it, reinstall the AWS Replication Agent on it; if it \
                 was retired, mark it archived (or take it out of MGN_SERVERS)",
                server
                    .error
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ),
        )),
        ReplicationState::Stopped if server.lifecycle.is_migrated() => out.notes.push(format!(
            "STOPPED after {}: not started again",
            server.lifecycle.as_str()
        )),
        ReplicationState::Stopped
            if matches!(
                server.lifecycle,
                LifeCycle::Discovered | LifeCycle::PendingInstallation
            ) =>
        {
            out.notes.push(format!(
                "STOPPED and {}: the AWS Replication Agent is not installed yet",
                server.lifecycle.as_str()
            ));
        }
        ReplicationState::Stopped => match policy.start {
            StartPolicy::New if server.replicated_before => out.notes.push(
                "STOPPED after it replicated, so stopped by someone: not started again (set \
                 startReplication to now to restart it)"
                    .to_owned(),
            ),
            StartPolicy::Manual => out
                .notes
                .push("STOPPED, and startReplication is manual".to_owned()),
            StartPolicy::At(at) if now < at => out
                .notes
                .push(format!("STOPPED: replication starts at {}", fmt_time(at))),
            StartPolicy::At(at) => {
                out.start = Some(Action::Start {
                    server: server.id.clone(),
                    states: server.states(),
                    reason: format!("STOPPED: its start time {} has come", fmt_time(at)),
                });
            }
            StartPolicy::New | StartPolicy::Now => {
                out.start = Some(Action::Start {
                    server: server.id.clone(),
                    states: server.states(),
                    reason: "STOPPED: started".to_owned(),
                });
            }
        },
        _ => {}
    }
}

/// A stalled server: record the stall, retry it after the cool-down, or escalate it.
fn stalled(
    server: &SourceServer,
    policy: &ServerPolicy,
    record: Result<StallRecord, String>,
    now: i64,
    out: &mut ServerPlan,
) {
    let cause = server
        .error
        .as_ref()
        .map_or_else(|| "no dataReplicationError".to_owned(), ToString::to_string);
    let stall = policy.on_stall;
    let record = match record {
        Ok(record) => record,
        Err(why) => {
            out.outcomes.push(alert(
                server,
                NOTIFY,
                format!(
                    "STALLED ({cause}), but {why}: not retried until the tag is fixed or removed"
                ),
            ));
            return;
        }
    };
    let Some(arn) = server.arn.clone() else {
        out.outcomes.push(alert(
            server,
            NOTIFY,
            format!("STALLED ({cause}), but MGN gives no ARN to keep the stall record on"),
        ));
        return;
    };
    let Some(since) = record.since else {
        let next = StallRecord {
            since: Some(now),
            ..record
        };
        out.actions.push(Action::RecordStall {
            server: server.id.clone(),
            states: server.states(),
            arn,
            record: next,
            reason: format!(
                "STALLED ({cause}): first seen; retry 1 of {} after {}",
                stall.max_consecutive_stalls,
                fmt_time(now + stall.cool_down_secs)
            ),
        });
        return;
    };
    let due = record.retried_at.unwrap_or(since).max(since) + stall.cool_down_secs;
    if now < due {
        let what = if record.retries >= stall.max_consecutive_stalls {
            format!(
                "waiting until {} for retry {} to take effect before escalating",
                fmt_time(due),
                record.retries
            )
        } else {
            format!(
                "cool-down: retry {} of {} after {}",
                record.retries + 1,
                stall.max_consecutive_stalls,
                fmt_time(due)
            )
        };
        out.notes.push(format!("STALLED ({cause}): {what}"));
    } else if record.retries >= stall.max_consecutive_stalls {
        out.outcomes.push(alert(
            server,
            ESCALATE,
            format!(
                "escalated: STALLED after {} consecutive retries (escalation after {}); not \
                 retried again. Root cause: {cause}. Once it is fixed, retry it by hand; the \
                 record clears when replication flows again",
                record.retries, stall.max_consecutive_stalls
            ),
        ));
    } else {
        let next = StallRecord {
            retries: record.retries + 1,
            since: Some(since),
            retried_at: Some(now),
        };
        out.actions.push(Action::Retry {
            server: server.id.clone(),
            states: server.states(),
            arn,
            record: next,
            reason: format!(
                "STALLED since {} ({cause}): retry {} of {}",
                fmt_time(since),
                next.retries,
                stall.max_consecutive_stalls
            ),
        });
    }
}

/// The test launch, or the cleanup of the function's own test instance.
fn test(server: &SourceServer, policy: &ServerPolicy, facts: &Facts, out: &mut ServerPlan) {
    let own_job = server
        .last_test
        .job_id
        .as_ref()
        .and_then(|id| facts.jobs.get(id))
        .filter(|job| job.is_own());
    let Some(job) = own_job else {
        match (&server.lifecycle, &server.last_test.job_id) {
            (LifeCycle::ReadyForTest, None)
                if server.replication == ReplicationState::Continuous =>
            {
                out.test = Some(TestStep::Launch);
            }
            (LifeCycle::ReadyForTest, None) => out.notes.push(format!(
                "READY_FOR_TEST: the test launch waits for CONTINUOUS replication (now {})",
                server.replication.as_str()
            )),
            (LifeCycle::ReadyForTest, Some(job)) => out.notes.push(format!(
                "READY_FOR_TEST: tested before (job {job}, not this function's); not launched again"
            )),
            _ => {}
        }
        return;
    };
    if job.status != JobStatus::Completed {
        out.notes.push(format!(
            "test launch job {} is {}",
            job.id,
            job.status.as_str()
        ));
        return;
    }
    let Some(entry) = job.server(&server.id) else {
        return;
    };
    let reverted = match (server.last_test.reverted_at, server.last_test.initiated_at) {
        (Some(reverted), Some(initiated)) => reverted >= initiated,
        (Some(_), None) => true,
        (None, _) => false,
    };
    match &entry.launch_status {
        // Reported until someone reverts the test, whatever lifecycle state MGN leaves.
        LaunchStatus::Failed if !reverted => out.outcomes.push(alert(
            server,
            NOTIFY,
            format!(
                "test launch failed in job {}: read its job log, then revert the server to ready \
                 for testing; it is not launched again",
                job.id
            ),
        )),
        LaunchStatus::Launched => {
            // The server's launchedInstance names the job's instance until it is terminated.
            let instance = (server.launched.job_id.as_deref() == Some(job.id.as_str()))
                .then(|| server.launched.instance_id.clone())
                .flatten();
            let Some(instance_id) = instance else {
                return;
            };
            let launched_at = server.last_test.initiated_at.unwrap_or(facts.now);
            let until = launched_at + policy.test.ttl_secs;
            let cleanable = matches!(
                server.lifecycle,
                LifeCycle::Testing | LifeCycle::ReadyForCutover | LifeCycle::ReadyForTest
            );
            if !cleanable {
                return;
            }
            // A later job of this function naming the server is its cleanup: running, or done
            // (MGN does not document whether launchedInstance is cleared after a termination).
            let cleanup = facts
                .jobs
                .values()
                .find(|j| j.id != job.id && j.is_own() && j.server(&server.id).is_some());
            let needs_lifecycle = server.lifecycle == LifeCycle::Testing;
            if let Some(done) = cleanup.filter(|j| j.status == JobStatus::Completed) {
                out.notes.push(format!(
                    "test instance {instance_id} was terminated in job {}",
                    done.id
                ));
            } else if let Some(ending) = cleanup {
                out.notes.push(format!(
                    "test instance {instance_id} is being terminated in job {}, which is {}",
                    ending.id,
                    ending.status.as_str()
                ));
            } else if facts.now < until {
                out.notes.push(format!(
                    "test instance {instance_id} of job {} runs until {}",
                    job.id,
                    fmt_time(until)
                ));
            } else if needs_lifecycle && !server.launchable {
                // ChangeServerLifeCycleState "only works if the Source Server is already
                // launchable (dataReplicationInfo.lagDuration is not null)" [MGN API reference].
                out.notes.push(format!(
                    "test instance {instance_id} is past its time to live, but MGN moves a server \
                     out of TESTING only while it is launchable (lagDuration set); the cleanup \
                     waits"
                ));
            } else {
                out.test = Some(TestStep::CleanUp(TestCleanup {
                    server: server.id.clone(),
                    states: server.states(),
                    then: needs_lifecycle.then_some(policy.test.then),
                    instance_id,
                }));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod samples;
#[cfg(test)]
mod tests;
