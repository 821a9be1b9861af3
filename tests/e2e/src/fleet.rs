//! The fleet deployment: one function serving the emulator's fleet fixture
//! (`Fixture::fleet()`: 3 accounts × 2 regions), with the demo configuration plus `FLEET`. The
//! home account's entries name no role (its own credentials); the members' take
//! [`FLEET_ROLE`], as one shared `FLEET` is written for every function. Also what the tests read
//! of a fleet run: a target's report section and outcomes, and each partition's side effects.

use crate::{demo, Deployment, HarnessError};
use dr_core::report::{OutcomeResult, RunReport, TargetSection};
use dr_emulator::Fixture;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The account the functions run in.
pub const HOME: &str = "123456789012";
/// A member account, reached through its role.
pub const MEMBER: &str = "234567890123";
/// A member account that is also the DRS staging account of the home account's extended servers
/// (us-east-1).
pub const STAGING: &str = "345678901234";
/// The fleet's accounts, home first.
pub const ACCOUNTS: [&str; 3] = [HOME, MEMBER, STAGING];
/// The fleet's regions, the home region first.
pub const REGIONS: [&str; 2] = ["us-east-1", "us-west-2"];
/// The role of every `FLEET` entry outside the home account, one per function and account.
pub const FLEET_ROLE: &str = "arn:aws:iam::{account}:role/dr-automation-member-{function}";
/// An account outside the fleet.
pub const FOREIGN: &str = "999999999999";

/// One target: an account in a region.
pub type Target = (&'static str, &'static str);

/// Every target of the fleet fixture, in `FLEET` order: account by account, region by region.
pub fn all_targets() -> Vec<Target> {
    ACCOUNTS
        .iter()
        .flat_map(|account| REGIONS.iter().map(move |region| (*account, *region)))
        .collect()
}

/// The `FLEET` value listing `targets`, none naming a role.
pub fn fleet_var(targets: &[Target]) -> String {
    let entries: Vec<Value> = targets
        .iter()
        .map(|(account, region)| json!({"account": account, "region": region}))
        .collect();
    Value::Array(entries).to_string()
}

/// The role `function` assumes in member `account`.
pub fn member_role(account: &str, function: &str) -> String {
    FLEET_ROLE
        .replace("{account}", account)
        .replace("{function}", function)
}

/// A function deployed over a fleet of the fleet fixture's targets.
pub struct FleetDeployment {
    /// The function.
    pub function: &'static str,
    /// The targets of its `FLEET`, in order.
    pub targets: Vec<Target>,
    deployment: Deployment,
}

impl std::ops::Deref for FleetDeployment {
    type Target = Deployment;
    fn deref(&self) -> &Deployment {
        &self.deployment
    }
}

impl FleetDeployment {
    /// One instance of `function` over every target, logging to `e2e-logs/<log>.log`; panics
    /// when it cannot start.
    pub async fn start(function: &'static str, log: &str) -> Self {
        Self::start_with(function, &all_targets(), log, 1)
            .await
            .expect("deployed")
    }

    /// `instances` warm instances of `function` over `targets`, logging to `e2e-logs/<log>.log`
    /// (`<log>-<i>.log` when there are several).
    pub async fn start_with(
        function: &'static str,
        targets: &[Target],
        log: &str,
        instances: usize,
    ) -> Result<Self, HarnessError> {
        let fleet = fleet_var(targets);
        let env = demo::config().env_with(&[
            ("ACCOUNT_ID", HOME),
            ("FLEET", &fleet),
            ("FLEET_ROLE", FLEET_ROLE),
        ]);
        let deployment = Deployment::start(function, Fixture::fleet(), &env, log, instances);
        Ok(Self {
            function,
            targets: targets.to_vec(),
            deployment: deployment.await?,
        })
    }

    /// The function's side effects in `target`'s partition (see [`demo::side_effects`]); none
    /// for a partition the emulator does not hold.
    pub fn side_effects_in(&self, (account, region): Target) -> BTreeMap<String, Value> {
        self.emulator
            .state_in(account, region)
            .map(|state| demo::side_effects(self.function, &state))
            .unwrap_or_default()
    }

    /// The function's side effects in every partition of the fixture, by target.
    pub fn side_effects(&self) -> BTreeMap<Target, BTreeMap<String, Value>> {
        all_targets()
            .into_iter()
            .map(|target| (target, self.side_effects_in(target)))
            .collect()
    }

    /// The state dump of `target`'s partition; panics when the emulator holds none.
    pub fn state_in(&self, (account, region): Target) -> Value {
        self.emulator
            .state_in(account, region)
            .unwrap_or_else(|| panic!("no partition {account}/{region}"))
    }

    /// How many calls of `operations` the emulator received from requests made in `account`.
    pub fn calls_in(&self, account: &str, operations: &[&str]) -> u64 {
        operations
            .iter()
            .map(|op| self.emulator.calls_in(account, op))
            .sum()
    }
}

/// `report`'s section of `target`; panics when it has none.
pub fn section(report: &RunReport, (account, region): Target) -> &TargetSection {
    report
        .targets
        .iter()
        .find(|s| s.account.as_deref() == Some(account) && s.region.as_deref() == Some(region))
        .unwrap_or_else(|| panic!("no section {account}/{region}: {report:#?}"))
}

/// The targets of `report`'s sections, in its order.
pub fn sections(report: &RunReport) -> Vec<(String, String)> {
    report
        .targets
        .iter()
        .map(|s| {
            (
                s.account.clone().unwrap_or_default(),
                s.region.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// `targets` as [`sections`] returns them.
pub fn owned(targets: &[Target]) -> Vec<(String, String)> {
    targets
        .iter()
        .map(|(a, r)| ((*a).to_owned(), (*r).to_owned()))
        .collect()
}

/// The targets of `report`'s `action` outcomes in `target` that ended in `result`, sorted.
pub fn outcomes_in(
    report: &RunReport,
    (account, region): Target,
    action: &str,
    result: OutcomeResult,
) -> Vec<String> {
    let mut out: Vec<String> = report
        .outcomes
        .iter()
        .filter(|o| o.account.as_deref() == Some(account) && o.region.as_deref() == Some(region))
        .filter(|o| o.action == action && o.result == result)
        .map(|o| o.target.clone())
        .collect();
    out.sort();
    out
}

/// Whether every outcome and skip of `report` names one of `targets` as its account and region.
pub fn all_placed_in(report: &RunReport, targets: &[Target]) -> bool {
    let placed = |account: &Option<String>, region: &Option<String>| {
        targets
            .iter()
            .any(|(a, r)| account.as_deref() == Some(*a) && region.as_deref() == Some(*r))
    };
    report
        .outcomes
        .iter()
        .all(|o| placed(&o.account, &o.region))
        && report.skips.iter().all(|s| placed(&s.account, &s.region))
}
