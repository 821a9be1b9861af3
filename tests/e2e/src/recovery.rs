//! What the drs-recovery tests read of the emulator's DRS launches: its jobs, recovery
//! instances and recovery plan executions as the state dump shows them (`drs.jobs`,
//! `drs.recoveryInstances`, `drs.recoveryPlanExecutions`), and fixtures started in the past, so
//! that a drill launched now is old by the function's clock.

use dr_emulator::{Emulator, Fixture};
use serde_json::Value;

/// The emulator's DRS jobs of the home partition, newest last, as `DescribeJobs` shows them.
pub fn jobs(emulator: &Emulator) -> Vec<Value> {
    list(&emulator.state(), "jobs")
}

/// The emulator's recovery instances of the home partition, as `DescribeRecoveryInstances`
/// shows them.
pub fn instances(emulator: &Emulator) -> Vec<Value> {
    list(&emulator.state(), "recoveryInstances")
}

/// The emulator's recovery plan executions of the home partition.
pub fn executions(emulator: &Emulator) -> Vec<Value> {
    list(&emulator.state(), "recoveryPlanExecutions")
}

fn list(state: &Value, field: &str) -> Vec<Value> {
    state["drs"][field].as_array().cloned().unwrap_or_default()
}

/// The launch jobs (`type` LAUNCH) among `jobs`.
pub fn launches(jobs: &[Value]) -> Vec<&Value> {
    jobs.iter().filter(|j| j["type"] == "LAUNCH").collect()
}

/// The jobs not COMPLETED among `jobs`: those the "at scale" quotas count.
pub fn active(jobs: &[Value]) -> Vec<&Value> {
    jobs.iter().filter(|j| j["status"] != "COMPLETED").collect()
}

/// The source servers of `job`, sorted.
pub fn servers_of(job: &Value) -> Vec<String> {
    let mut ids: Vec<String> = job["participatingServers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["sourceServerID"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

/// The value of tag `key` on a job or an instance.
pub fn tag<'v>(resource: &'v Value, key: &str) -> Option<&'v str> {
    resource["tags"][key].as_str()
}

/// `fixture` with the emulated clock `seconds` behind the real one: what DRS launches at the
/// start is that old to a function, which reads the real clock.
pub fn started_ago(mut fixture: Fixture, seconds: i64) -> Fixture {
    fixture.now = Some(dr_core::clock::fmt_time(
        dr_core::clock::now_secs() - seconds,
    ));
    fixture
}
