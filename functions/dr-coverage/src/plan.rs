//! Plan: judge, without I/O, what observe read. A coverage run changes nothing, so its plan has
//! no action: every (recovery point, destination), DRS server and MGN server gets an outcome,
//! failed where the fleet is not protected, and everything not expected to be covered a skip
//! with the reason.
//!
//! The judgements ([`copy_checks`], [`drs_health`], [`mgn_health`]) are shared with the
//! measures, so the report and the metrics always count the same things.

use crate::config::{CoverageConfig, DrsCoverage};
use crate::model::{
    copy_target, BackupFacts, CopyJob, CopyJobState, DrsFacts, DrsReplicationState, DrsServer,
    Facts, InitiatedBy, JobStatus, MgnLifeCycle, MgnReplicationState, MgnServer, NoAction,
    OlderPoint, RecoveryPoint, COPY_COVERAGE, DRS_PROTECTION, MGN_REPLICATION,
};
use dr_core::backup::CopyFanout;
use dr_core::clock::{fmt_time, human};
use dr_core::error::{CallFailure, ErrorClass};
use dr_core::function::Plan;
use dr_core::report::{Skip, Skips, TargetOutcome};
use dr_core::trigger::{Event, Trigger};
use std::collections::{HashMap, HashSet};

/// Continuous (point-in-time) recovery points are named `recovery-point:continuous:<id>`
/// (Aurora User Guide, "Restoring a DB cluster to a specified time using AWS Backup"); the
/// fan-out does not copy them ("StartCopyJob ... does not support continuous backups").
const CONTINUOUS_MARK: &str = ":recovery-point:continuous:";

/// How one destination stands for one recovery point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyVerdict<'a> {
    /// A copy job to it completed: the destination holds the copy.
    Covered(&'a CopyJob),
    /// A copy job to it is in flight, none completed: not covered yet, not failed.
    Copying(&'a CopyJob),
    /// No copy job yet, and the point is younger than `COVERAGE_COPY_GRACE` (its age).
    Pending(i64),
    /// Its copy jobs all ended without a copy; the newest.
    Failed(&'a CopyJob),
    /// No copy job to it at all.
    Missing,
    /// The point could not be read: its coverage is not known.
    Unverified(&'a str),
}

impl CopyVerdict<'_> {
    /// Whether the destination holds a completed copy.
    pub fn is_covered(&self) -> bool {
        matches!(self, Self::Covered(_))
    }

    /// Whether the pair is reported failed.
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Failed(_) | Self::Missing | Self::Unverified(_))
    }
}

/// One (recovery point, destination) pair and how it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyCheck<'a> {
    /// The recovery point ARN.
    pub point: &'a str,
    /// The destination vault ARN.
    pub destination: &'a str,
    /// How it stands.
    pub verdict: CopyVerdict<'a>,
}

/// Every pair a recovery point of the window, or an older one with a failed copy, must have,
/// with its verdict, newest point first; and why the other points are not expected to be copied.
pub fn copy_checks<'a>(
    config: &'a CopyFanout,
    grace: i64,
    facts: &'a BackupFacts,
    now: i64,
) -> (Vec<CopyCheck<'a>>, Skips) {
    let mut skips = Skips::new();
    let mut jobs_of: HashMap<(&str, &str), Vec<&CopyJob>> = HashMap::new();
    let mut seen_jobs = HashSet::new();
    for job in &facts.copy_jobs {
        if !seen_jobs.insert(job.id.as_str()) {
            continue;
        }
        if let (Some(point), Some(dest)) =
            (&job.source_recovery_point_arn, &job.destination_vault_arn)
        {
            jobs_of
                .entry((point.as_str(), dest.as_str()))
                .or_default()
                .push(job);
        }
    }
    let mut points: Vec<&RecoveryPoint> = Vec::new();
    let mut unreadable: Vec<(&str, &str)> = Vec::new();
    let mut seen = HashSet::new();
    for point in &facts.points {
        if seen.insert(point.arn.as_str()) {
            points.push(point);
        }
    }
    for older in &facts.older {
        match older {
            OlderPoint::Found(point) if seen.insert(point.arn.as_str()) => points.push(point),
            OlderPoint::Found(_) => {}
            OlderPoint::Unreadable { arn, reason } if seen.insert(arn.as_str()) => {
                unreadable.push((arn, reason));
            }
            OlderPoint::Unreadable { .. } => {}
        }
    }
    points.sort_by(|a, b| b.created.cmp(&a.created).then(a.arn.cmp(&b.arn)));
    let older: HashSet<&str> = facts
        .older
        .iter()
        .filter_map(|o| match o {
            OlderPoint::Found(p) => Some(p.arn.as_str()),
            OlderPoint::Unreadable { .. } => None,
        })
        .collect();
    let window: HashSet<&str> = facts.points.iter().map(|p| p.arn.as_str()).collect();
    let mut checks = Vec::new();
    for point in points {
        if let Some(reason) = not_copied(point, config) {
            skips.push(Skip::new(&point.arn, reason));
            continue;
        }
        let first = checks.len();
        for dest in &config.destinations {
            let dest = dest.vault_arn.as_str();
            if point.vault_arn.as_deref() == Some(dest) {
                skips.push(Skip::new(
                    copy_target(&point.arn, dest),
                    "destination is the source vault",
                ));
                continue;
            }
            let jobs = jobs_of
                .get(&(point.arn.as_str(), dest))
                .map_or(&[][..], Vec::as_slice);
            checks.push(CopyCheck {
                point: &point.arn,
                destination: dest,
                verdict: verdict(point, jobs, grace, now),
            });
        }
        // An older point is examined for its failed copy; once every destination holds a copy,
        // its fan-out is complete and it is no longer the run's concern.
        let is_older = older.contains(point.arn.as_str()) && !window.contains(point.arn.as_str());
        if is_older && checks[first..].iter().all(|c| c.verdict.is_covered()) {
            checks.truncate(first);
            skips.push(Skip::new(
                &point.arn,
                "older than the window, and every destination holds a copy despite a failed \
                 copy job",
            ));
        }
    }
    for (arn, reason) in unreadable {
        for dest in &config.destinations {
            checks.push(CopyCheck {
                point: arn,
                destination: dest.vault_arn.as_str(),
                verdict: CopyVerdict::Unverified(reason),
            });
        }
    }
    (checks, skips)
}

/// How a destination stands from the copy jobs of the pair: a completed one wins, then one in
/// flight, then the newest failure; with none, missing once the grace has passed.
fn verdict<'a>(
    point: &RecoveryPoint,
    jobs: &[&'a CopyJob],
    grace: i64,
    now: i64,
) -> CopyVerdict<'a> {
    let newest = |keep: fn(&CopyJob) -> bool| {
        jobs.iter()
            .copied()
            .filter(|j| keep(j))
            .max_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)))
    };
    if let Some(job) = newest(|j| j.state == CopyJobState::Completed) {
        return CopyVerdict::Covered(job);
    }
    if let Some(job) = newest(|j| j.state.is_in_flight()) {
        return CopyVerdict::Copying(job);
    }
    if let Some(job) = newest(|j| j.state.is_failed()) {
        return CopyVerdict::Failed(job);
    }
    match point.created.map(|c| now - c) {
        Some(age) if age < grace => CopyVerdict::Pending(age.max(0)),
        _ => CopyVerdict::Missing,
    }
}

/// Why the fan-out does not copy `point`, if it does not (the rules of backup-copy-fanout).
fn not_copied(point: &RecoveryPoint, config: &CopyFanout) -> Option<String> {
    if let Some(parent) = &point.parent_arn {
        return Some(format!(
            "member of composite recovery point {parent}, which is copied as a whole"
        ));
    }
    if point.arn.contains(CONTINUOUS_MARK) {
        return Some(
            "continuous (point-in-time) backup: StartCopyJob does not support continuous \
             backups, so no copy is expected"
                .into(),
        );
    }
    if !point.status.is_copyable() {
        return Some(format!(
            "status {}: only COMPLETED and AVAILABLE recovery points are copied",
            point.status.as_str()
        ));
    }
    config.outside_resource_types(point.resource_type.as_deref())
}

/// A failure outcome: not retryable, since a coverage run retried reads the same.
fn failed(target: String, action: &str, state: &str, code: &str, message: String) -> TargetOutcome {
    let mut outcome = TargetOutcome::failed(
        target,
        action,
        &CallFailure {
            class: ErrorClass::Fatal,
            code: code.into(),
            message,
        },
    );
    outcome.state = Some(state.into());
    outcome
}

/// An outcome of a target as it should be.
fn healthy(target: String, action: &str, state: &str, detail: String) -> TargetOutcome {
    let mut outcome = TargetOutcome::unchanged(target, action, detail);
    outcome.state = Some(state.into());
    outcome
}

fn at(time: Option<i64>) -> String {
    time.map_or_else(|| "an unreported time".to_owned(), fmt_time)
}

/// The report outcome of one pair.
fn copy_outcome(check: &CopyCheck<'_>, window_start: i64, grace: i64) -> TargetOutcome {
    let target = copy_target(check.point, check.destination);
    match &check.verdict {
        CopyVerdict::Covered(job) => healthy(
            target,
            COPY_COVERAGE,
            "COVERED",
            format!(
                "copy job {} completed at {}: {}",
                job.id,
                at(job.completed),
                job.destination_recovery_point_arn
                    .as_deref()
                    .unwrap_or("no copy ARN reported")
            ),
        ),
        CopyVerdict::Copying(job) => healthy(
            target,
            COPY_COVERAGE,
            "COPYING",
            format!(
                "copy job {} is {} since {}: not covered yet",
                job.id,
                job.state.as_str(),
                at(job.created)
            ),
        ),
        CopyVerdict::Pending(age) => healthy(
            target,
            COPY_COVERAGE,
            "PENDING",
            format!(
                "no copy job yet; the recovery point is {} old, within COVERAGE_COPY_GRACE ({})",
                human(*age),
                human(grace)
            ),
        ),
        CopyVerdict::Failed(job) => failed(
            target,
            COPY_COVERAGE,
            job.state.as_str(),
            "CopyFailed",
            format!(
                "copy job {} {} at {}: {}; no copy job to this destination completed",
                job.id,
                job.state.as_str(),
                at(job.completed.or(job.created)),
                job.status_message.as_deref().unwrap_or("no status message")
            ),
        ),
        CopyVerdict::Missing => failed(
            target,
            COPY_COVERAGE,
            "MISSING",
            "CopyMissing",
            format!(
                "no copy job of this recovery point to this destination since {}: the \
                 destination holds no copy made by AWS Backup",
                fmt_time(window_start)
            ),
        ),
        CopyVerdict::Unverified(reason) => failed(
            target,
            COPY_COVERAGE,
            "UNVERIFIED",
            "CoverageUnverified",
            format!(
                "the recovery point could not be read, so its copies are not verified: {reason}"
            ),
        ),
    }
}

/// A DRS server's last successful drill: when, and by which job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drill {
    /// When it launched (the job's end, else its start), epoch seconds.
    pub at: i64,
    /// The launch job.
    pub job_id: Option<String>,
}

/// One selected DRS server's health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHealth<'a> {
    /// The server.
    pub server: &'a DrsServer,
    /// Its last successful drill, if one is known.
    pub last_drill: Option<Drill>,
    /// What is wrong, as (code, reason); empty when healthy.
    pub problems: Vec<(&'static str, String)>,
}

/// The last successful drill of `server`: a completed START_DRILL launch job in which it
/// launched, or its `lifeCycle.lastLaunch` when that is a drill that launched (LAUNCHED, or
/// TERMINATED by its cleanup: `LaunchStatus::launched`); the later one.
pub fn last_drill(server: &DrsServer, facts: &DrsFacts) -> Option<Drill> {
    let from_jobs = facts
        .launch_jobs
        .iter()
        .filter(|j| j.initiated_by == InitiatedBy::StartDrill && j.status == JobStatus::Completed)
        .filter(|j| {
            j.servers
                .iter()
                .any(|(id, status)| *id == server.id && status.launched())
        })
        .filter_map(|j| {
            Some(Drill {
                at: j.ended.or(j.created)?,
                job_id: Some(j.id.clone()),
            })
        });
    let from_life_cycle = server
        .last_launch
        .as_ref()
        .filter(|l| l.drill && l.status.launched())
        .and_then(|l| {
            Some(Drill {
                at: l.initiated?,
                job_id: l.job_id.clone(),
            })
        });
    from_jobs.chain(from_life_cycle).max_by_key(|d| d.at)
}

/// The health of every selected server, in DRS's order; why the others are left out.
pub fn drs_health<'a>(
    config: &DrsCoverage,
    facts: &'a DrsFacts,
    now: i64,
) -> (Vec<ServerHealth<'a>>, Skips) {
    let mut skips = Skips::new();
    let mut out = Vec::new();
    for server in &facts.servers {
        if !config.choice.selection.covers(server) {
            skips.push(Skip::new(
                server.id.as_str(),
                "not selected by DRS_SOURCE_SERVER_IDS, DRS_TAGS, DRS_HOSTNAMES, \
                 DRS_INSTANCE_IDS, DRS_SELECT_ALL or DRS_STAGING_ACCOUNT_IDS",
            ));
            continue;
        }
        let mut problems = Vec::new();
        let error = server
            .replication_error
            .as_deref()
            .map_or_else(String::new, |e| format!(": {e}"));
        match &server.state {
            DrsReplicationState::Stalled => problems.push((
                "ReplicationStalled",
                format!("data replication is STALLED{error}"),
            )),
            s @ (DrsReplicationState::Stopped
            | DrsReplicationState::Paused
            | DrsReplicationState::Disconnected) => problems.push((
                "NotReplicating",
                format!(
                    "data replication is {}: no new data is protected{error}",
                    s.as_str()
                ),
            )),
            DrsReplicationState::Unknown(raw) => problems.push((
                "ReplicationStateUnknown",
                format!("data replication state `{raw}` is not one DRS documents"),
            )),
            DrsReplicationState::Initiating
            | DrsReplicationState::InitialSync
            | DrsReplicationState::Backlog
            | DrsReplicationState::CreatingSnapshot
            | DrsReplicationState::Continuous
            | DrsReplicationState::Rescan => {}
        }
        if let Some(lag) = server.lag.filter(|l| *l > config.max_lag) {
            problems.push((
                "LagBeyondMax",
                format!(
                    "replication lag {} exceeds DRS_MAX_LAG ({})",
                    human(lag),
                    human(config.max_lag)
                ),
            ));
        }
        let last = last_drill(server, facts);
        if let Some(every) = config.drill_every {
            match &last {
                None => problems.push((
                    "NeverDrilled",
                    format!(
                        "no successful drill found (in lifeCycle.lastLaunch, or a START_DRILL \
                         launch job since {}) and DRS_DRILL_EVERY is {}",
                        fmt_time(facts.jobs_since),
                        human(every)
                    ),
                )),
                Some(d) if now - d.at > every => problems.push((
                    "DrillOverdue",
                    format!(
                        "the last successful drill was {} ago, more than DRS_DRILL_EVERY ({})",
                        human(now - d.at),
                        human(every)
                    ),
                )),
                Some(_) => {}
            }
        }
        out.push(ServerHealth {
            server,
            last_drill: last,
            problems,
        });
    }
    (out, skips)
}

fn drs_outcome(health: &ServerHealth<'_>, jobs_since: i64, now: i64) -> TargetOutcome {
    let server = health.server;
    let state = server.state.as_str();
    let target = server.id.as_str().to_owned();
    if let Some((code, _)) = health.problems.first() {
        let reasons: Vec<&str> = health.problems.iter().map(|(_, r)| r.as_str()).collect();
        return failed(target, DRS_PROTECTION, state, code, reasons.join("; "));
    }
    let lag = server.lag.map_or_else(
        || "no lag reported".to_owned(),
        |l| format!("lag {}", human(l)),
    );
    let drill = match &health.last_drill {
        Some(d) => format!(
            "last successful drill {} ago{}",
            human((now - d.at).max(0)),
            d.job_id
                .as_deref()
                .map_or_else(String::new, |j| format!(" (job {j})"))
        ),
        None => format!("no successful drill found since {}", fmt_time(jobs_since)),
    };
    healthy(
        target,
        DRS_PROTECTION,
        state,
        format!("{state}, {lag}; {drill}"),
    )
}

/// Why an MGN server is not replicating as it should, if it is not: STALLED, or DISCONNECTED
/// before its migration finished (a finalized cutover disconnects it, which is the end of a
/// migration, not a fault).
pub fn mgn_health(server: &MgnServer) -> Option<(&'static str, String)> {
    let error = server
        .replication_error
        .as_deref()
        .map_or_else(String::new, |e| format!(": {e}"));
    match server.replication {
        MgnReplicationState::Stalled => Some((
            "ReplicationStalled",
            format!("data replication is STALLED{error}"),
        )),
        MgnReplicationState::Disconnected if server.lifecycle != MgnLifeCycle::Cutover => Some((
            "Disconnected",
            format!(
                "data replication is DISCONNECTED with lifecycle {}: the server no longer \
                 replicates and its migration is not finished",
                server.lifecycle.as_str()
            ),
        )),
        _ => None,
    }
}

fn mgn_outcome(server: &MgnServer) -> TargetOutcome {
    let target = server.id.clone();
    let states = server.states();
    let name = server
        .hostname
        .as_deref()
        .map_or_else(String::new, |h| format!("{h}: "));
    match mgn_health(server) {
        Some((code, reason)) => failed(
            target,
            MGN_REPLICATION,
            &states,
            code,
            format!("{name}{reason}"),
        ),
        None => healthy(
            target,
            MGN_REPLICATION,
            &states,
            format!(
                "{name}lifecycle {}, replication {}",
                server.lifecycle.as_str(),
                server.replication.as_str()
            ),
        ),
    }
}

/// Whether `trigger` asks for a coverage run: a schedule or a direct invoke does (`{}`,
/// `{"dryRun": true}`, a fleet `target`); any other event is skipped unread.
pub fn asks_coverage(trigger: &Trigger) -> bool {
    trigger
        .events
        .iter()
        .any(|e| matches!(e, Event::Schedule(_) | Event::Direct(_)))
}

/// Why the events of `trigger` that a coverage run does not act on are skipped: other kinds of
/// events, and the targets a direct invoke names (a run always covers the whole fleet target).
fn event_skips(trigger: &Trigger) -> Skips {
    let mut skips = Skips::new();
    for event in &trigger.events {
        match event {
            Event::Schedule(_) => {}
            Event::Direct(direct) => {
                for target in &direct.targets {
                    skips.push(Skip::new(
                        target,
                        "a coverage run covers the whole fleet target; name one with `target`, \
                         not `targets`",
                    ));
                }
            }
            other => skips.push(Trigger::not_handled(other, crate::FUNCTION)),
        }
    }
    skips
}

/// The plan of one target: an outcome per pair and server, failed where coverage is missing.
pub fn plan(config: &CoverageConfig, trigger: &Trigger, facts: &Facts) -> Plan<NoAction> {
    let now = facts.observed_at;
    let mut out = Plan {
        skips: event_skips(trigger),
        ..Plan::default()
    };
    if !asks_coverage(trigger) {
        return out;
    }
    if let (Some(backup), Some(read)) = (&config.backup, &facts.backup) {
        let (checks, skips) = copy_checks(backup, config.copy_grace, read, now);
        out.outcomes.extend(
            checks
                .iter()
                .map(|c| copy_outcome(c, read.window_start, config.copy_grace)),
        );
        if read.unexamined > 0 {
            out.outcomes.push(failed(
                "older recovery points with failed copies".to_owned(),
                COPY_COVERAGE,
                "UNVERIFIED",
                "CoverageUnverified",
                format!(
                    "{} more recovery points older than the window have a failed copy; this run \
                     examined the newest {}, so the coverage of the others is not verified",
                    read.unexamined,
                    crate::model::MAX_OLDER_POINTS
                ),
            ));
        }
        out.skips.append(skips);
    }
    if let (Some(drs), Some(read)) = (&config.drs, &facts.drs) {
        let (health, skips) = drs_health(drs, read, now);
        out.outcomes
            .extend(health.iter().map(|h| drs_outcome(h, read.jobs_since, now)));
        out.skips.append(skips);
    }
    if let Some(servers) = &facts.mgn {
        out.outcomes.extend(servers.iter().map(mgn_outcome));
    }
    out
}

#[cfg(test)]
mod tests;
