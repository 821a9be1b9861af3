//! Plan: decide, without I/O, which source servers to start and why every other one is left alone.

use crate::config::{AlarmMapping, DimensionMatch, DrsConfig, Selection};
use crate::observe::SourceServer;
use dr_core::report::{Skip, Skips};
use dr_core::trigger::{
    is_source_server_id, Alarm, AlarmState, ServiceEvent, ServiceEventKind, SnsMessage, Trigger,
};
use std::collections::BTreeSet;

/// The replication state `StartReplication` applies to.
const STOPPED: &str = "STOPPED";

/// What the run will do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartPlan {
    /// Source server ids to start, in id order.
    pub starts: Vec<String>,
    /// Targets left alone, with the reason.
    pub skips: Skips,
}

/// Plans a run: resolves the trigger to candidate servers, then starts the stopped ones within
/// the replication quota.
pub fn plan(trigger: &Trigger, config: &DrsConfig, servers: &[SourceServer]) -> StartPlan {
    let mut skips = Skips::new();
    let candidates = candidates(trigger, config, servers, &mut skips);
    let mut replicating = servers.iter().filter(|s| s.state != STOPPED).count();
    let mut starts = Vec::new();
    for server in candidates {
        if server.state != STOPPED {
            skips.push(Skip::new(&server.id, state_reason(&server.state)));
        } else if replicating >= config.replication_quota {
            skips.push(Skip::new(
                &server.id,
                format!(
                    "STOPPED, but {replicating} servers already replicate and the quota is {}",
                    config.replication_quota
                ),
            ));
        } else {
            replicating += 1;
            starts.push(server.id.clone());
        }
    }
    StartPlan { starts, skips }
}

/// Why a server in `state` is not started.
fn state_reason(state: &str) -> String {
    let why = match state {
        "INITIATING" | "INITIAL_SYNC" | "BACKLOG" | "CREATING_SNAPSHOT" | "CONTINUOUS"
        | "RESCAN" => "already replicating",
        "PAUSED" => "replication is paused; resume it rather than start it",
        "STALLED" => "replication is stalled, not stopped; DRS keeps retrying it",
        "DISCONNECTED" => "the replication agent is disconnected; reconnect the agent first",
        _ => "not a state replication can be started from",
    };
    format!("{state}: {why}")
}

/// The selected servers the trigger asks about, in id order, each once.
fn candidates<'a>(
    trigger: &Trigger,
    config: &DrsConfig,
    servers: &'a [SourceServer],
    skips: &mut Skips,
) -> Vec<&'a SourceServer> {
    let mut wanted: BTreeSet<&str> = BTreeSet::new();
    let mut want = |server: &'a SourceServer, skips: &mut Skips| {
        if is_selected(&config.selection, server) {
            wanted.insert(&server.id);
        } else {
            skips.push(Skip::new(&server.id, "outside the configured selection"));
        }
    };
    match trigger {
        Trigger::Schedule(_) => {
            for s in servers.iter().filter(|s| is_selected(&config.selection, s)) {
                want(s, skips);
            }
        }
        Trigger::Direct(direct) => {
            for target in &direct.targets {
                by_id(target, servers, skips, &mut want);
            }
        }
        Trigger::Alarm(alarm) => {
            for s in alarm_servers(alarm, &config.alarm_mapping, servers, skips) {
                want(s, skips);
            }
        }
        Trigger::Service(event) => {
            for s in stalled_servers(event, servers, skips) {
                want(s, skips);
            }
        }
        Trigger::Sns(notifications) => {
            for n in notifications {
                if !config.trigger_topic_arns.is_empty()
                    && !config.trigger_topic_arns.contains(&n.topic_arn)
                {
                    skips.push(Skip::new(
                        &n.topic_arn,
                        "notification from a topic not in TRIGGER_TOPIC_ARNS; ignored",
                    ));
                    continue;
                }
                let matched = match &n.message {
                    SnsMessage::Alarm(alarm) => {
                        alarm_servers(alarm, &config.alarm_mapping, servers, skips)
                    }
                    SnsMessage::Service(event) => stalled_servers(event, servers, skips),
                    SnsMessage::BackupVault(_) => {
                        skips.push(Skip::new(
                            &n.message_id,
                            "AWS Backup notification: not handled by this function",
                        ));
                        Vec::new()
                    }
                };
                for s in matched {
                    want(s, skips);
                }
            }
        }
    }
    let mut out: Vec<&SourceServer> = servers
        .iter()
        .filter(|s| wanted.contains(s.id.as_str()))
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    out
}

/// Looks up one requested id, skipping it with the reason when it cannot be used.
fn by_id<'a>(
    target: &str,
    servers: &'a [SourceServer],
    skips: &mut Skips,
    mut found: impl FnMut(&'a SourceServer, &mut Skips),
) {
    if !is_source_server_id(target) {
        skips.push(Skip::new(target, "not a source server id"));
        return;
    }
    match servers.iter().find(|s| s.id == target) {
        Some(s) => found(s, skips),
        None => skips.push(Skip::new(
            target,
            "no such source server in this account and region",
        )),
    }
}

/// The servers a DRS "Data Replication Stalled Change" event names; other service events are
/// skipped with the reason.
fn stalled_servers<'a>(
    event: &ServiceEvent,
    servers: &'a [SourceServer],
    skips: &mut Skips,
) -> Vec<&'a SourceServer> {
    match &event.kind {
        ServiceEventKind::DrsReplicationStalled {
            source_server_id,
            state,
        } if state == "STALLED" => {
            let mut out = Vec::new();
            by_id(source_server_id, servers, skips, |s, _| out.push(s));
            out
        }
        ServiceEventKind::DrsReplicationStalled {
            source_server_id,
            state,
        } => {
            skips.push(Skip::new(
                source_server_id,
                format!("stalled-change event with state {state}: nothing to recover"),
            ));
            Vec::new()
        }
        _ => {
            skips.push(Skip::new(
                if event.id.is_empty() {
                    &event.detail_type
                } else {
                    &event.id
                },
                format!(
                    "{} {} event: not handled by this function",
                    event.source, event.detail_type
                ),
            ));
            Vec::new()
        }
    }
}

/// The servers an alarm in ALARM state maps to, through its dimensions or a tag naming it.
fn alarm_servers<'a>(
    alarm: &Alarm,
    mapping: &AlarmMapping,
    servers: &'a [SourceServer],
    skips: &mut Skips,
) -> Vec<&'a SourceServer> {
    if alarm.state != AlarmState::Alarm {
        skips.push(Skip::new(
            &alarm.name,
            format!("alarm is {}: nothing to recover", alarm.state.as_str()),
        ));
        return Vec::new();
    }
    let matched: Vec<&SourceServer> = servers
        .iter()
        .filter(|s| maps_to(alarm, mapping, s))
        .collect();
    if matched.is_empty() {
        let dims: Vec<String> = alarm
            .dimensions
            .iter()
            .map(|d| format!("{}={}", d.name, d.value))
            .collect();
        skips.push(Skip::new(
            &alarm.name,
            format!(
                "no source server maps to this alarm (dimensions: {})",
                if dims.is_empty() {
                    "none".to_owned()
                } else {
                    dims.join(", ")
                }
            ),
        ));
    }
    matched
}

fn maps_to(alarm: &Alarm, mapping: &AlarmMapping, server: &SourceServer) -> bool {
    let by_dimension = alarm.dimensions.iter().any(|d| {
        if d.name == "InstanceId" && server.instance_id.as_deref() == Some(d.value.as_str()) {
            return true;
        }
        match &mapping.dimension {
            Some((name, how)) if *name == d.name => match how {
                DimensionMatch::Hostname => hostname_matches(server, &d.value),
                DimensionMatch::Tag(key) => server.tag(key) == Some(d.value.as_str()),
            },
            _ => false,
        }
    });
    let by_tag = mapping
        .tag_key
        .as_ref()
        .is_some_and(|key| server.tag(key) == Some(alarm.name.as_str()));
    by_dimension || by_tag
}

/// Hostname or FQDN hint, case-insensitive.
fn hostname_matches(server: &SourceServer, name: &str) -> bool {
    [&server.hostname, &server.fqdn]
        .into_iter()
        .flatten()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// Whether the configuration covers this server.
pub fn is_selected(selection: &Selection, server: &SourceServer) -> bool {
    if !selection.staging_accounts.is_empty()
        && !server
            .staging_account
            .as_ref()
            .is_some_and(|a| selection.staging_accounts.contains(a))
    {
        return false;
    }
    if selection.all {
        return true;
    }
    let by_id = selection.source_server_ids.contains(&server.id);
    let by_host = selection
        .hostnames
        .iter()
        .any(|h| hostname_matches(server, h));
    let by_instance = server
        .instance_id
        .as_ref()
        .is_some_and(|i| selection.instance_ids.contains(i));
    let by_tags = !selection.tags.is_empty()
        && selection.tags.0.iter().all(|(key, values)| {
            server
                .tag(key)
                .is_some_and(|v| values.is_empty() || values.iter().any(|w| w == v))
        });
    by_id || by_host || by_instance || by_tags
}

#[cfg(test)]
mod tests;
