//! Apply: make the planned calls, the per-server ones with bounded concurrency, then each test
//! launch job and each cleanup as one call for its batch of servers.
//!
//! MGN takes no client token on any of these calls, so redelivery safety comes from the plan,
//! which re-reads the servers first: a server already started, retried (its stall record says
//! when), resumed, tested (its lifecycle is no longer READY_FOR_TEST) or cleaned up is not
//! planned again.

use crate::model::{
    Action, AfterTest, SettingChange, SettingValue, StallRecord, TestCleanup, CHANGE_LIFECYCLE,
    RESUME_REPLICATION, RETRY_DATA_REPLICATION, STALL_TAGS, START_REPLICATION, START_TEST,
    TAG_FUNCTION, TAG_LAUNCHED_AT, TAG_RESOURCE, TERMINATE_TARGET_INSTANCES, UNTAG_RESOURCE,
    UPDATE_REPLICATION_CONFIGURATION,
};
use crate::model::{LifeCycle as ServerLifeCycle, ReplicationState, Setting, SourceServer};
use crate::observe;
use aws_sdk_mgn::types::{
    ChangeServerLifeCycleStateSourceServerLifecycle,
    ChangeServerLifeCycleStateSourceServerLifecycleState, DataReplicationInfo, LifeCycle,
    ReplicationConfigurationDataPlaneRouting, ReplicationConfigurationDefaultLargeStagingDiskType,
    ReplicationConfigurationEbsEncryption,
};
use dr_core::clock::fmt_time;
use dr_core::error::{CallFailure, ErrorClass};
use dr_core::fanout::run_bounded;
use dr_core::ids::SourceServerId;
use dr_core::report::TargetOutcome;
use std::collections::BTreeMap;

/// Makes every planned call and reports each server's outcome.
pub async fn apply(
    mgn: &aws_sdk_mgn::Client,
    actions: Vec<Action>,
    concurrency: usize,
    now: i64,
) -> Vec<TargetOutcome> {
    let mut launches: BTreeMap<usize, Vec<(SourceServerId, String)>> = BTreeMap::new();
    let mut cleanups: BTreeMap<usize, Vec<TestCleanup>> = BTreeMap::new();
    let mut single = Vec::new();
    for action in actions {
        match action {
            Action::StartTest {
                server,
                states,
                batch,
            } => launches.entry(batch).or_default().push((server, states)),
            Action::CleanUpTest { cleanup, batch } => {
                cleanups.entry(batch).or_default().push(cleanup);
            }
            other => single.push(other),
        }
    }
    let mut outcomes: Vec<TargetOutcome> =
        run_bounded(single, concurrency, |action| one(mgn, action, now))
            .await
            .into_iter()
            .flatten()
            .collect();
    for servers in cleanups.into_values() {
        outcomes.extend(clean_up(mgn, servers, now).await);
    }
    for servers in launches.into_values() {
        outcomes.extend(start_test(mgn, servers, now).await);
    }
    outcomes
}

/// The server's states as MGN answered them, e.g. `NOT_READY/INITIATING`.
fn states(life: Option<&LifeCycle>, info: Option<&DataReplicationInfo>) -> Option<String> {
    let life = life.and_then(|l| l.state())?;
    let replication = info.and_then(|d| d.data_replication_state())?;
    Some(format!("{}/{}", life.as_str(), replication.as_str()))
}

/// Makes one server's call; a test launch or cleanup on its own is a batch of one.
async fn one(mgn: &aws_sdk_mgn::Client, action: Action, now: i64) -> Vec<TargetOutcome> {
    let detail = action.describe();
    let id = action.server().as_str().to_owned();
    let outcome = match &action {
        Action::Configure {
            server, changes, ..
        } => configure(mgn, server, changes).await,
        Action::Start { server, .. } => mgn
            .start_replication()
            .source_server_id(server.as_str())
            .send()
            .await
            .map(|out| states(out.life_cycle(), out.data_replication_info()))
            .map_err(|e| (START_REPLICATION, CallFailure::from_sdk(&e))),
        Action::RecordStall { arn, record, .. } => tag(mgn, arn, record).await.map(|()| None),
        Action::Retry {
            server,
            arn,
            record,
            ..
        } => match tag(mgn, arn, record).await {
            Ok(()) => mgn
                .retry_data_replication()
                .source_server_id(server.as_str())
                .send()
                .await
                .map(|out| states(out.life_cycle(), out.data_replication_info()))
                .map_err(|e| (RETRY_DATA_REPLICATION, CallFailure::from_sdk(&e))),
            Err(failed) => Err(failed),
        },
        Action::ClearStalls { arn, .. } => mgn
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(STALL_TAGS.map(str::to_owned).to_vec()))
            .send()
            .await
            .map(|_| None)
            .map_err(|e| (UNTAG_RESOURCE, CallFailure::from_sdk(&e))),
        Action::Resume { server, .. } => mgn
            .resume_replication()
            .source_server_id(server.as_str())
            .send()
            .await
            .map(|out| states(out.life_cycle(), out.data_replication_info()))
            .map_err(|e| (RESUME_REPLICATION, CallFailure::from_sdk(&e))),
        Action::StartTest { server, states, .. } => {
            return start_test(mgn, vec![(server.clone(), states.clone())], now).await
        }
        Action::CleanUpTest { cleanup, .. } => {
            return clean_up(mgn, vec![cleanup.clone()], now).await
        }
    };
    let read = action.states().to_owned();
    vec![match outcome {
        Ok(state) => {
            TargetOutcome::done(&id, action.operation(), state.or(Some(read))).with_detail(detail)
        }
        Err((operation, failure)) if failure.class == ErrorClass::Conflict => {
            after_conflict(mgn, &action, operation, &failure).await
        }
        Err((operation, failure)) => {
            let mut failed = TargetOutcome::failed(&id, operation, &failure)
                .with_detail(format!("{failure}; {detail}"));
            failed.state = Some(read);
            failed
        }
    }]
}

/// What a `ConflictException` meant, from the server read right after it.
///
/// MGN takes no client token, so a call whose answer was lost and that the SDK sent again meets
/// the state its first attempt made: a start that finds the server no longer STOPPED, or a
/// resume that finds it no longer PAUSED, was done (by this run or by someone else) and is
/// unchanged. Any other refusal is a failure with MGN's message, retryable when the read that
/// would have told was.
async fn after_conflict(
    mgn: &aws_sdk_mgn::Client,
    action: &Action,
    operation: &'static str,
    conflict: &CallFailure,
) -> TargetOutcome {
    let id = action.server();
    let failed = |state: &str| {
        let mut outcome = TargetOutcome::failed(id.as_str(), operation, conflict)
            .with_detail(format!("{conflict}; {}", action.describe()));
        outcome.state = Some(state.to_owned());
        outcome
    };
    let left = |server: &SourceServer| match action {
        Action::Start { .. } => server.replication != ReplicationState::Stopped,
        Action::Resume { .. } => server.replication != ReplicationState::Paused,
        _ => false,
    };
    match observe::one_source_server(mgn, id).await {
        Ok(Some(server)) if left(&server) => {
            let mut outcome = TargetOutcome::unchanged(
                id.as_str(),
                action.operation(),
                format!("already {} ({conflict})", server.replication.as_str()),
            );
            outcome.state = Some(server.states());
            outcome
        }
        Ok(Some(server)) => failed(&server.states()),
        Ok(None) => failed(action.states())
            .with_detail(format!("{conflict}; MGN no longer lists the server")),
        Err(read) => {
            let mut outcome = failed(action.states()).with_detail(format!(
                "{conflict}; its state could not be read to tell why ({read})"
            ));
            outcome.retryable = read.is_retryable();
            outcome
        }
    }
}

/// Writes a stall record.
async fn tag(
    mgn: &aws_sdk_mgn::Client,
    arn: &str,
    record: &StallRecord,
) -> Result<(), (&'static str, CallFailure)> {
    let mut call = mgn.tag_resource().resource_arn(arn);
    for (key, value) in record.tags() {
        call = call.tags(key, value);
    }
    call.send()
        .await
        .map(|_| ())
        .map_err(|e| (TAG_RESOURCE, CallFailure::from_sdk(&e)))
}

/// `UpdateReplicationConfiguration` with only the changed members.
async fn configure(
    mgn: &aws_sdk_mgn::Client,
    server: &SourceServerId,
    changes: &[SettingChange],
) -> Result<Option<String>, (&'static str, CallFailure)> {
    let mut call = mgn
        .update_replication_configuration()
        .source_server_id(server.as_str());
    for change in changes {
        call = match (change.setting, &change.to) {
            (Setting::EbsEncryption, SettingValue::Text(t)) => {
                call.ebs_encryption(ReplicationConfigurationEbsEncryption::from(t.as_str()))
            }
            (Setting::EbsEncryptionKeyArn, SettingValue::Text(t)) => call.ebs_encryption_key_arn(t),
            (Setting::StagingAreaSubnetId, SettingValue::Text(t)) => call.staging_area_subnet_id(t),
            (Setting::ReplicationServerInstanceType, SettingValue::Text(t)) => {
                call.replication_server_instance_type(t)
            }
            (Setting::UseDedicatedReplicationServer, SettingValue::Flag(b)) => {
                call.use_dedicated_replication_server(*b)
            }
            (Setting::DefaultLargeStagingDiskType, SettingValue::Text(t)) => call
                .default_large_staging_disk_type(
                    ReplicationConfigurationDefaultLargeStagingDiskType::from(t.as_str()),
                ),
            (Setting::BandwidthThrottling, SettingValue::Number(n)) => {
                call.bandwidth_throttling(*n)
            }
            (Setting::DataPlaneRouting, SettingValue::Text(t)) => {
                call.data_plane_routing(ReplicationConfigurationDataPlaneRouting::from(t.as_str()))
            }
            (Setting::CreatePublicIp, SettingValue::Flag(b)) => call.create_public_ip(*b),
            (Setting::AssociateDefaultSecurityGroup, SettingValue::Flag(b)) => {
                call.associate_default_security_group(*b)
            }
            (Setting::ReplicationServersSecurityGroupsIds, SettingValue::Ids(ids)) => {
                call.set_replication_servers_security_groups_ids(Some(ids.clone()))
            }
            (setting, value) => {
                return Err((
                    UPDATE_REPLICATION_CONFIGURATION,
                    CallFailure {
                        class: ErrorClass::Fatal,
                        code: "InvalidSetting".to_owned(),
                        message: format!("{} cannot be set to {value}", setting.name()),
                    },
                ))
            }
        };
    }
    call.send()
        .await
        .map(|_| None)
        .map_err(|e| (UPDATE_REPLICATION_CONFIGURATION, CallFailure::from_sdk(&e)))
}

/// The tags on the jobs the function starts.
fn job_tags(now: i64) -> [(String, String); 2] {
    [
        (TAG_FUNCTION.to_owned(), crate::FUNCTION.to_owned()),
        (TAG_LAUNCHED_AT.to_owned(), fmt_time(now)),
    ]
}

/// One `StartTest` for a batch of servers.
async fn start_test(
    mgn: &aws_sdk_mgn::Client,
    servers: Vec<(SourceServerId, String)>,
    now: i64,
) -> Vec<TargetOutcome> {
    let mut call = mgn
        .start_test()
        .set_source_server_ids(Some(servers.iter().map(|(s, _)| s.to_string()).collect()));
    for (key, value) in job_tags(now) {
        call = call.tags(key, value);
    }
    match call.send().await {
        Ok(out) => {
            let job = out.job().map_or("(no job id)", |j| j.job_id());
            // StartTest "changes the SourceServer.lifeCycle.state property to TESTING".
            servers
                .iter()
                .map(|(s, states)| {
                    TargetOutcome::done(s.as_str(), START_TEST, Some(now_testing(states)))
                        .with_detail(format!("test launch in job {job}"))
                })
                .collect()
        }
        Err(e) => {
            let failure = CallFailure::from_sdk(&e);
            let mut outcomes = Vec::with_capacity(servers.len());
            for (s, states) in &servers {
                // A launch whose answer was lost and was sent again meets its own job: the
                // server is TESTING by now.
                let now_testing = failure.class == ErrorClass::Conflict
                    && matches!(
                        observe::one_source_server(mgn, s).await,
                        Ok(Some(ref server)) if server.lifecycle == ServerLifeCycle::Testing
                    );
                let outcome = if now_testing {
                    let mut unchanged = TargetOutcome::unchanged(
                        s.as_str(),
                        START_TEST,
                        format!("already TESTING ({failure})"),
                    );
                    unchanged.state = Some(self::now_testing(states));
                    unchanged
                } else {
                    let mut failed = TargetOutcome::failed(s.as_str(), START_TEST, &failure);
                    failed.state = Some(states.clone());
                    failed
                };
                outcomes.push(outcome);
            }
            outcomes
        }
    }
}

/// `states` with the lifecycle part replaced by `lifecycle`, e.g. `TESTING/CONTINUOUS`.
fn with_lifecycle(states: &str, lifecycle: &str) -> String {
    let replication = states.split_once('/').map_or(states, |(_, r)| r);
    format!("{lifecycle}/{replication}")
}

/// The states of a server a test launch has just started for.
fn now_testing(states: &str) -> String {
    with_lifecycle(states, "TESTING")
}

/// Moves each server still TESTING to its `then` state, then terminates the test instances of
/// every server that is no longer TESTING in one call.
async fn clean_up(
    mgn: &aws_sdk_mgn::Client,
    servers: Vec<TestCleanup>,
    now: i64,
) -> Vec<TargetOutcome> {
    let mut outcomes = Vec::new();
    let mut ready = Vec::new();
    for cleanup in servers {
        match cleanup.then {
            None => ready.push(cleanup),
            Some(then) => match change_lifecycle(mgn, &cleanup.server, then).await {
                Ok(()) => ready.push(cleanup),
                Err(failure) => {
                    let mut failed =
                        TargetOutcome::failed(cleanup.server.as_str(), CHANGE_LIFECYCLE, &failure)
                            .with_detail(format!(
                                "{failure}; test instance {} kept: MGN terminates no instance of \
                                 a TESTING server",
                                cleanup.instance_id
                            ));
                    failed.state = Some(cleanup.states.clone());
                    outcomes.push(failed);
                }
            },
        }
    }
    if ready.is_empty() {
        return outcomes;
    }
    let mut call = mgn
        .terminate_target_instances()
        .set_source_server_ids(Some(ready.iter().map(|c| c.server.to_string()).collect()));
    for (key, value) in job_tags(now) {
        call = call.tags(key, value);
    }
    match call.send().await {
        Ok(out) => {
            let job = out.job().map_or("(no job id)", |j| j.job_id());
            outcomes.extend(ready.iter().map(|c| {
                let moved = c
                    .then
                    .map(|t| format!("marked {}; ", t.as_str()))
                    .unwrap_or_default();
                let states = c.then.map_or_else(
                    || c.states.clone(),
                    |t| with_lifecycle(&c.states, t.as_str()),
                );
                TargetOutcome::done(c.server.as_str(), TERMINATE_TARGET_INSTANCES, Some(states))
                    .with_detail(format!(
                        "{moved}test instance {} terminated in job {job}",
                        c.instance_id
                    ))
            }));
        }
        Err(e) => {
            let failure = CallFailure::from_sdk(&e);
            outcomes.extend(ready.iter().map(|c| {
                let mut failed =
                    TargetOutcome::failed(c.server.as_str(), TERMINATE_TARGET_INSTANCES, &failure);
                failed.state = Some(c.states.clone());
                failed
            }));
        }
    }
    outcomes
}

/// `ChangeServerLifeCycleState` to `then`.
async fn change_lifecycle(
    mgn: &aws_sdk_mgn::Client,
    server: &SourceServerId,
    then: AfterTest,
) -> Result<(), CallFailure> {
    let state = ChangeServerLifeCycleStateSourceServerLifecycleState::from(then.as_str());
    let life = ChangeServerLifeCycleStateSourceServerLifecycle::builder()
        .state(state)
        .build()
        .map_err(|e| CallFailure {
            class: ErrorClass::Fatal,
            code: "InvalidRequest".to_owned(),
            message: e.to_string(),
        })?;
    mgn.change_server_life_cycle_state()
        .source_server_id(server.as_str())
        .life_cycle(life)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| CallFailure::from_sdk(&e))
}

#[cfg(test)]
mod tests;
