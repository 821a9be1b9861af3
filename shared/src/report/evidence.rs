//! Recovery evidence: what a drill or recovery launch measured, per server and for the run.
//!
//! The recovery time is measured from the launch job's start to the server's instance being
//! launched, and the recovery point age is how old the snapshot it launched from was when the
//! job started. AWS names neither measurement; they are the project's reading of the job's
//! `creationDateTime` and the recovery instance's `pointInTimeSnapshotDateTime` [DRS API
//! reference: Job, RecoveryInstance]. Each is checked against the objective it is held to.

use super::TargetOutcome;
use serde::{Deserialize, Serialize};

/// What one server's launch measured, with the objectives it is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryEvidence {
    /// A drill (instances beside the source) rather than a real recovery.
    pub drill: bool,
    /// Seconds from the launch job's start to the instance launched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_time_seconds: Option<i64>,
    /// Age in seconds of the snapshot launched from, when the job started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_point_age_seconds: Option<i64>,
    /// The recovery time objective, in seconds, when one is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_seconds: Option<i64>,
    /// The recovery point objective, in seconds, when one is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo_seconds: Option<i64>,
}

impl RecoveryEvidence {
    /// Whether the recovery time is within the RTO; `None` when either is unknown.
    pub fn within_rto(&self) -> Option<bool> {
        Some(self.recovery_time_seconds? <= self.rto_seconds?)
    }

    /// Whether the recovery point age is within the RPO; `None` when either is unknown.
    pub fn within_rpo(&self) -> Option<bool> {
        Some(self.recovery_point_age_seconds? <= self.rpo_seconds?)
    }
}

/// A run's evidence: its measured launches against their objectives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceTotals {
    /// Servers with a measured launch.
    pub launches: usize,
    /// Of them, drills.
    pub drills: usize,
    /// The longest recovery time measured, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longest_recovery_time_seconds: Option<i64>,
    /// The oldest recovery point launched from, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_recovery_point_seconds: Option<i64>,
    /// The recovery time objective, in seconds, when one is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_seconds: Option<i64>,
    /// The recovery point objective, in seconds, when one is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo_seconds: Option<i64>,
    /// Launches measured beyond the RTO.
    pub beyond_rto: usize,
    /// Launches from a recovery point older than the RPO.
    pub beyond_rpo: usize,
}

impl EvidenceTotals {
    /// The totals of the evidence these outcomes carry; `None` when none carries any.
    pub fn of(outcomes: &[TargetOutcome]) -> Option<Self> {
        let mut totals: Option<Self> = None;
        for e in outcomes.iter().filter_map(|o| o.evidence.as_ref()) {
            let t = totals.get_or_insert_with(Self::default);
            t.launches += 1;
            t.drills += usize::from(e.drill);
            t.longest_recovery_time_seconds =
                t.longest_recovery_time_seconds.max(e.recovery_time_seconds);
            t.oldest_recovery_point_seconds = t
                .oldest_recovery_point_seconds
                .max(e.recovery_point_age_seconds);
            t.rto_seconds = t.rto_seconds.or(e.rto_seconds);
            t.rpo_seconds = t.rpo_seconds.or(e.rpo_seconds);
            t.beyond_rto += usize::from(e.within_rto() == Some(false));
            t.beyond_rpo += usize::from(e.within_rpo() == Some(false));
        }
        totals
    }

    /// Whether every measured launch met both objectives that are configured.
    pub fn objectives_met(&self) -> bool {
        self.beyond_rto == 0 && self.beyond_rpo == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(drill: bool, time: Option<i64>, age: Option<i64>) -> TargetOutcome {
        TargetOutcome::done("s-1", "Launch", None).with_evidence(RecoveryEvidence {
            drill,
            recovery_time_seconds: time,
            recovery_point_age_seconds: age,
            rto_seconds: Some(600),
            rpo_seconds: Some(300),
        })
    }

    #[test]
    fn outcomes_without_evidence_have_no_totals() {
        assert_eq!(
            EvidenceTotals::of(&[TargetOutcome::done("s-1", "Start", None)]),
            None
        );
    }

    #[test]
    fn totals_keep_the_worst_measurements_and_count_each_missed_objective() {
        let totals = EvidenceTotals::of(&[
            measured(true, Some(420), Some(60)),
            measured(true, Some(900), Some(30)),
            measured(false, None, Some(400)),
            TargetOutcome::done("s-4", "Start", None),
        ])
        .unwrap();
        assert_eq!(
            totals,
            EvidenceTotals {
                launches: 3,
                drills: 2,
                longest_recovery_time_seconds: Some(900),
                oldest_recovery_point_seconds: Some(400),
                rto_seconds: Some(600),
                rpo_seconds: Some(300),
                beyond_rto: 1,
                beyond_rpo: 1,
            }
        );
        assert!(!totals.objectives_met());
    }

    #[test]
    fn an_objective_that_is_not_configured_is_never_missed() {
        let e = RecoveryEvidence {
            drill: true,
            recovery_time_seconds: Some(10_000),
            recovery_point_age_seconds: Some(10_000),
            rto_seconds: None,
            rpo_seconds: None,
        };
        assert_eq!((e.within_rto(), e.within_rpo()), (None, None));
    }
}
