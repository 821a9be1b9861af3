//! What a coverage run measures in one target, for its metrics: counted from the same
//! judgements as the report's outcomes ([`crate::plan`]), so the two never disagree. Pure.

use crate::config::CoverageConfig;
use crate::model::{DrsReplicationState, Facts, MgnReplicationState};
use crate::plan::{copy_checks, drs_health};
use dr_core::metrics::{percent, seconds, Measures, Unit};
use std::collections::HashSet;

/// The measures of one target: for each configured service, the spec's dr-coverage measures.
pub fn measures(config: &CoverageConfig, facts: &Facts) -> Measures {
    let now = facts.observed_at;
    let mut out = Measures::new();
    if let (Some(backup), Some(read)) = (&config.backup, &facts.backup) {
        let (checks, _) = copy_checks(backup, config.copy_grace, read, now);
        let points: HashSet<&str> = checks.iter().map(|c| c.point).collect();
        let completed = checks.iter().filter(|c| c.verdict.is_covered()).count();
        // An older point this run had no room to examine has a failed copy: at least one of
        // its copies is missing, and none is counted covered without being read.
        let unverified = read.unexamined;
        let missing = checks.iter().filter(|c| c.verdict.is_failure()).count() + unverified;
        let expected = checks.len() + unverified;
        out.count("CoverageRecoveryPoints", points.len() + unverified)
            .count("CopiesExpected", expected)
            .count("CopiesCompleted", completed)
            .count("CopiesMissing", missing)
            .smallest(
                "CopyCoveragePercent",
                Unit::Percent,
                Some(percent(completed, expected)),
            );
    }
    if let (Some(drs), Some(read)) = (&config.drs, &facts.drs) {
        let (health, _) = drs_health(drs, read, now);
        let in_state =
            |s: &DrsReplicationState| health.iter().filter(|h| h.server.state == *s).count();
        let oldest_drill = health
            .iter()
            .filter_map(|h| h.last_drill.as_ref())
            .map(|d| (now - d.at).max(0))
            .max();
        out.count("DrsServers", health.len())
            .count(
                "DrsServersContinuous",
                in_state(&DrsReplicationState::Continuous),
            )
            .count("DrsServersStalled", in_state(&DrsReplicationState::Stalled))
            .count(
                "DrsServersNeverDrilled",
                health.iter().filter(|h| h.last_drill.is_none()).count(),
            )
            .largest(
                "DrsLastDrillAgeSeconds",
                Unit::Seconds,
                oldest_drill.map(seconds),
            );
    }
    if let Some(servers) = &facts.mgn {
        let stalled = servers
            .iter()
            .filter(|s| s.replication == MgnReplicationState::Stalled)
            .count();
        out.count("MgnServers", servers.len())
            .count("MgnReplicationStalled", stalled);
    }
    out
}

#[cfg(test)]
mod tests;
