//! Plan: decide, without I/O, which source servers to start in every observed target and why
//! every other one is left alone.
//!
//! Across staging accounts: DRS replicates at most 300 source servers per account and Region,
//! so larger estates replicate in several staging accounts and extend those servers into a
//! target account, where recovery is managed ["Using multiple staging accounts with DRS", DRS
//! user guide]. An extended server is a copy: its replication runs, is started and is counted
//! in the staging account, on the server its `stagingSourceServerArn` names [DRS API reference:
//! StagingArea]. So a selected EXTENDED server is started in its staging account when that
//! account is observed in the same run and Region: the start of its staging source server goes
//! into the staging account's plan (once, however many targets ask for it), and the extended
//! server is skipped where it is, saying so. A staging account the run did not observe (not in
//! `FLEET`, its role refused, its read failed, or only in another Region) leaves the server
//! skipped with the reason. The replication quota (`DRS_REPLICATION_QUOTA`) is counted per
//! replicating account and Region: its own replicating servers plus every start routed to it.
//! Selection, alarms and dry runs are the same in every target: each target resolves its own
//! trigger against its own servers, and `DRS_STAGING_ACCOUNT_IDS` narrows every target's
//! selection by the servers' `stagingAccountID`. A skip about the trigger itself (an alarm not
//! in ALARM, an id no server has, an event not handled) is reported once for the run, and only
//! when no observed target answers it.

use crate::config::DrsConfig;
use crate::model::{
    ExtendedCopy, Facts, ReplicationError, ReplicationState, SourceServer, Staging, Start,
};
use crate::FUNCTION;
use dr_core::drs::AlarmMapping;
use dr_core::function::{Observed, Plan};
use dr_core::ids::SourceServerId;
use dr_core::report::{Skip, Skips};
use dr_core::trigger::{Alarm, AlarmState, Event, ReplicationStalled, StalledState, Trigger};
use std::collections::{BTreeMap, BTreeSet};

/// Plans a run over every observed target, one plan per entry of `fleet` in its order.
///
/// Each target resolves its trigger to candidate servers; a STOPPED one that replicates there
/// is started there, an EXTENDED one in its staging account (see the module doc). Every
/// replicating account then starts what was asked of it in id order, within the replication
/// quota, which counts only the servers that take a replicating slot of that account (see
/// [`SourceServer::holds_replication_slot`]).
pub fn plan(config: &DrsConfig, fleet: &[Observed<'_, Facts>]) -> Vec<Plan<Start>> {
    let mut skips: Vec<Skips> = fleet.iter().map(|_| Skips::new()).collect();
    let mut about_trigger = TriggerSkips::new(fleet);
    let mut asked: Vec<BTreeMap<&SourceServerId, Asked<'_>>> =
        fleet.iter().map(|_| BTreeMap::new()).collect();
    for (here, observed) in fleet.iter().enumerate() {
        let servers = observed.facts.servers.as_slice();
        let skips_here = &mut skips[here];
        for server in candidates(
            &observed.trigger,
            config,
            servers,
            skips_here,
            &mut about_trigger,
        ) {
            if matches!(server.staging, Staging::Extended { .. }) {
                match staging_source_server(fleet, observed, server) {
                    Ok((there, staging)) => asked[there]
                        .entry(&staging.id)
                        .or_default()
                        .for_extended
                        .push((here, server)),
                    Err(reason) => skips[here].push(Skip::new(&server.id, reason)),
                }
            } else if let Some(reason) = not_startable(server) {
                skips[here].push(Skip::new(&server.id, reason));
            } else {
                asked[here].entry(&server.id).or_default().own = true;
            }
        }
    }
    let mut plans: Vec<Plan<Start>> = fleet.iter().map(|_| Plan::default()).collect();
    for (there, (observed, asked)) in fleet.iter().zip(asked).enumerate() {
        let mut replicating = observed
            .facts
            .servers
            .iter()
            .filter(|s| s.holds_replication_slot())
            .count();
        let staging = observed.target.account.as_deref().unwrap_or("unknown");
        for (id, asked) in asked {
            if replicating >= config.replication_quota {
                let full = format!(
                    "STOPPED, but {replicating} servers already replicate in this account and \
                     the quota is {}",
                    config.replication_quota
                );
                if asked.own {
                    skips[there].push(Skip::new(id, full.clone()));
                }
                for (here, extended) in &asked.for_extended {
                    skips[*here].push(Skip::new(
                        &extended.id,
                        format!(
                            "EXTENDED from staging account {staging}: its staging source server \
                             {id} is {}",
                            full.replacen("this account", "that account", 1)
                        ),
                    ));
                }
                continue;
            }
            replicating += 1;
            let mut start = Start::new(id.clone());
            for (here, extended) in asked.for_extended {
                skips[here].push(Skip::new(
                    &extended.id,
                    format!(
                        "EXTENDED from staging account {staging}: started there, on its staging \
                         source server {id}"
                    ),
                ));
                start.for_extended.push(ExtendedCopy {
                    source_server_id: extended.id.clone(),
                    account: fleet[here].target.account.clone(),
                });
            }
            plans[there].actions.push(start);
        }
    }
    for (plan, skips) in plans.iter_mut().zip(skips) {
        plan.skips = skips;
    }
    plans
}

/// The skips about the trigger itself (an event not handled, an alarm not in ALARM, an id that
/// is no server), which every target that sees the event would give alike: reported once for
/// the run, in the first target that gives them. An id or an alarm some target's servers
/// answer is not skipped in the others.
struct TriggerSkips<'f> {
    /// Every source server of every observed target.
    servers: Vec<&'f SourceServer>,
    /// Their ids.
    listed: BTreeSet<&'f SourceServerId>,
    /// Whether the run observes more than one target.
    fleet: bool,
    /// What was reported, by target and reason.
    reported: BTreeSet<(String, String)>,
}

impl<'f> TriggerSkips<'f> {
    fn new(fleet: &'f [Observed<'_, Facts>]) -> Self {
        let servers: Vec<&SourceServer> = fleet.iter().flat_map(|o| &o.facts.servers).collect();
        Self {
            listed: servers.iter().map(|s| &s.id).collect(),
            servers,
            fleet: fleet.len() > 1,
            reported: BTreeSet::new(),
        }
    }

    /// Adds `skip` to `skips` unless the run already reported it.
    fn push(&mut self, skips: &mut Skips, skip: Skip) {
        if self
            .reported
            .insert((skip.target.clone(), skip.reason.clone()))
        {
            skips.push(skip);
        }
    }

    /// Where no server has an id: this target alone, or every target of the run.
    fn nowhere(&self) -> &'static str {
        if self.fleet {
            "in any account and region of this run"
        } else {
            "in this account and region"
        }
    }
}

/// What a replicating account is asked to start one of its servers for.
#[derive(Default)]
struct Asked<'a> {
    /// Its own trigger selected the server.
    own: bool,
    /// The extended servers, by the index of their target, whose staging source server it is.
    for_extended: Vec<(usize, &'a SourceServer)>,
}

/// Where an EXTENDED server of `observed` is started: the index in `fleet` of its staging
/// account in the same Region, and its staging source server there, when that one is STOPPED
/// and replicates there; else why it is not started.
fn staging_source_server<'f>(
    fleet: &'f [Observed<'_, Facts>],
    observed: &Observed<'_, Facts>,
    server: &SourceServer,
) -> Result<(usize, &'f SourceServer), String> {
    let Some(account) = server.replicating_account() else {
        return Err("EXTENDED from a staging account DRS does not name (no \
                    stagingSourceServerArn or stagingAccountID): start it in that account"
            .to_owned());
    };
    let extended = format!("EXTENDED from staging account {account}");
    let region = observed.target.region.as_deref();
    let Some(there) = fleet.iter().position(|o| {
        o.target.account.as_deref() == Some(account) && o.target.region.as_deref() == region
    }) else {
        return Err(format!(
            "{extended}: its replication runs and is counted there; start it in that account, \
             which is not observed in this run{} (not in the fleet, or its read failed)",
            region.map(|r| format!(" in {r}")).unwrap_or_default()
        ));
    };
    let Some(id) = server.staging_source_server_id() else {
        return Err(format!(
            "{extended}: DRS names no staging source server (stagingSourceServerArn) to start \
             there; start it in that account"
        ));
    };
    let Some(staging) = fleet[there].facts.servers.iter().find(|s| s.id == id) else {
        return Err(format!(
            "{extended}: its staging source server {id} is not listed there"
        ));
    };
    // DRS documents extension from a staging account into a target account, not chains of
    // copies; a staging server that is itself a copy is not followed further, the safe reading.
    if staging.staging != Staging::NotExtended {
        return Err(format!(
            "{extended}: its staging source server {id} there does not replicate there either \
             ({}); left alone",
            not_startable(staging).unwrap_or_default()
        ));
    }
    match not_startable(staging) {
        Some(why) => Err(format!(
            "{extended}: its staging source server {id} there is {why}"
        )),
        None => Ok((there, staging)),
    }
}

/// Why `StartReplication` is not called for this server from this account, and what the
/// operator can do; `None` for a STOPPED server that replicates here.
fn not_startable(server: &SourceServer) -> Option<String> {
    let staging = server.replicating_account().unwrap_or("unknown");
    match &server.staging {
        // Its replication runs in the staging account ["Using multiple staging accounts with
        // DRS"]; starting it is that account's business.
        Staging::Extended { .. } => {
            return Some(format!(
                "EXTENDED from staging account {staging}: its replication runs and is counted \
                 there"
            ))
        }
        // DRS cannot reach the staging server, so neither where the server replicates nor its
        // state can be trusted: a start from here could act on the wrong account. Left alone.
        Staging::ExtensionError { message, .. } => {
            return Some(format!(
                "EXTENSION_ERROR: DRS cannot reach its staging source server in account \
                 {staging} ({}); fix the target account's access to it, then start the server \
                 in the staging account",
                message.as_deref().unwrap_or("no error message")
            ))
        }
        Staging::NotExtended => {}
    }
    let why = match &server.state {
        ReplicationState::Stopped => return None,
        ReplicationState::Initiating
        | ReplicationState::InitialSync
        | ReplicationState::Backlog
        | ReplicationState::CreatingSnapshot
        | ReplicationState::Continuous
        | ReplicationState::Rescan => "already replicating".to_owned(),
        ReplicationState::Paused => {
            "replication is paused, not stopped; StartReplication applies only to STOPPED \
             servers"
                .to_owned()
        }
        ReplicationState::Stalled => format!(
            "replication is stalled, not stopped, and StartReplication applies only to STOPPED \
             servers; DRS reports {}: remove that cause (network to the staging area, \
             replication server, agent) for replication to resume",
            stall_cause(server.replication_error.as_ref())
        ),
        ReplicationState::Disconnected => "the server was disconnected from DRS, which deleted \
             its replication resources and had the agent uninstall itself; reinstall the AWS \
             Replication Agent on the source server to protect it again"
            .to_owned(),
        ReplicationState::Unknown(_) => "not a state replication can be started from".to_owned(),
    };
    Some(format!("{}: {why}", server.state.as_str()))
}

/// `dataReplicationError` as a report shows it: `error (rawError)`.
fn stall_cause(error: Option<&ReplicationError>) -> String {
    match error {
        Some(ReplicationError {
            error: Some(code),
            raw: Some(raw),
        }) => format!("{code} ({raw})"),
        Some(ReplicationError {
            error: Some(text), ..
        })
        | Some(ReplicationError {
            raw: Some(text), ..
        }) => text.clone(),
        _ => "no dataReplicationError".to_owned(),
    }
}

/// The selected servers the trigger asks about, in id order, each once.
fn candidates<'a>(
    trigger: &Trigger,
    config: &DrsConfig,
    servers: &'a [SourceServer],
    skips: &mut Skips,
    about_trigger: &mut TriggerSkips<'_>,
) -> Vec<&'a SourceServer> {
    let mut wanted: BTreeSet<&SourceServerId> = BTreeSet::new();
    let mut want = |server: &'a SourceServer, skips: &mut Skips| {
        if config.choice.selection.covers(server) {
            wanted.insert(&server.id);
        } else {
            skips.push(Skip::new(&server.id, "outside the configured selection"));
        }
    };
    for event in &trigger.events {
        match event {
            Event::Schedule(_) => {
                for s in servers
                    .iter()
                    .filter(|s| config.choice.selection.covers(*s))
                {
                    want(s, skips);
                }
            }
            Event::Direct(direct) => {
                for target in &direct.targets {
                    match SourceServerId::parse(target) {
                        Ok(id) => by_id(&id, servers, skips, about_trigger, &mut want),
                        Err(_) => {
                            about_trigger.push(skips, Skip::new(target, "not a source server id"));
                        }
                    }
                }
            }
            Event::Alarm(alarm) => {
                let mapping = &config.choice.alarm_mapping;
                for s in alarm_servers(alarm, mapping, servers, skips, about_trigger) {
                    want(s, skips);
                }
            }
            Event::ReplicationStalled(change) => {
                for s in stalled_servers(change, servers, skips, about_trigger) {
                    want(s, skips);
                }
            }
            other => about_trigger.push(skips, Trigger::not_handled(other, FUNCTION)),
        }
    }
    let mut out: Vec<&SourceServer> = servers.iter().filter(|s| wanted.contains(&s.id)).collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    out
}

/// Looks up one requested id, skipping it with the reason when no target of the run lists it.
fn by_id<'a>(
    target: &SourceServerId,
    servers: &'a [SourceServer],
    skips: &mut Skips,
    about_trigger: &mut TriggerSkips<'_>,
    mut found: impl FnMut(&'a SourceServer, &mut Skips),
) {
    match servers.iter().find(|s| s.id == *target) {
        Some(s) => found(s, skips),
        None if about_trigger.listed.contains(target) => {}
        None => {
            let reason = format!("no such source server {}", about_trigger.nowhere());
            about_trigger.push(skips, Skip::new(target.as_str(), reason));
        }
    }
}

/// The server a DRS "Data Replication Stalled Change" event names while it is stalled; a change
/// back to NOT_STALLED is skipped with the reason.
fn stalled_servers<'a>(
    change: &ReplicationStalled,
    servers: &'a [SourceServer],
    skips: &mut Skips,
    about_trigger: &mut TriggerSkips<'_>,
) -> Vec<&'a SourceServer> {
    let mut out = Vec::new();
    match change.state {
        StalledState::Stalled => {
            let id = &change.source_server_id;
            by_id(id, servers, skips, about_trigger, |s, _| out.push(s));
        }
        StalledState::NotStalled => about_trigger.push(
            skips,
            Skip::new(
                change.source_server_id.as_str(),
                "stalled-change event with state NOT_STALLED: nothing to recover",
            ),
        ),
    }
    out
}

/// The servers an alarm in ALARM state maps to, through its dimensions or a tag naming it.
fn alarm_servers<'a>(
    alarm: &Alarm,
    mapping: &AlarmMapping,
    servers: &'a [SourceServer],
    skips: &mut Skips,
    about_trigger: &mut TriggerSkips<'_>,
) -> Vec<&'a SourceServer> {
    if alarm.state != AlarmState::Alarm {
        let reason = format!("alarm is {}: nothing to recover", alarm.state.as_str());
        about_trigger.push(skips, Skip::new(&alarm.name, reason));
        return Vec::new();
    }
    let matched: Vec<&SourceServer> = servers.iter().filter(|s| mapping.maps(alarm, *s)).collect();
    let mapped_elsewhere = || {
        about_trigger
            .servers
            .iter()
            .any(|s| mapping.maps(alarm, *s))
    };
    if matched.is_empty() && !mapped_elsewhere() {
        let dims: Vec<String> = alarm
            .dimensions
            .iter()
            .map(|d| format!("{}={}", d.name, d.value))
            .collect();
        let reason = format!(
            "no source server{} maps to this alarm (dimensions: {})",
            if about_trigger.fleet {
                " in any account and region of this run"
            } else {
                ""
            },
            if dims.is_empty() {
                "none".to_owned()
            } else {
                dims.join(", ")
            }
        );
        about_trigger.push(skips, Skip::new(&alarm.name, reason));
    }
    matched
}

#[cfg(test)]
mod tests;
