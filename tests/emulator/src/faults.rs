//! Fault injection: per-operation errors, latency and dropped connections.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One fault rule, as posted to `POST /_emulator/faults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    /// The operation name (e.g. `StartReplication`, `Publish`) or `*` for every operation.
    #[serde(default = "every_operation")]
    pub operation: String,
    /// Share of calls, 0 to 1, answered with `error`.
    #[serde(default)]
    pub error_rate: f64,
    /// The error kind: `ThrottlingException`, `InternalServerException` (mapped to each
    /// protocol's own code and status) or any error code, sent as is.
    #[serde(default = "throttling")]
    pub error: String,
    /// Delay added before every matching call is answered.
    #[serde(default)]
    pub latency_ms: u64,
    /// Share of calls, 0 to 1, whose connection is closed without a response.
    #[serde(default)]
    pub drop_connection_rate: f64,
    /// Stop injecting after this many errors or drops; absent means no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
}

fn every_operation() -> String {
    "*".to_owned()
}

fn throttling() -> String {
    "ThrottlingException".to_owned()
}

/// Why a fault rule was refused.
#[derive(Debug, thiserror::Error)]
#[error("invalid fault rule: {0}")]
pub struct FaultRuleError(String);

impl FaultRule {
    /// Checks the rates are shares and the operation is named.
    pub fn validate(&self) -> Result<(), FaultRuleError> {
        for (name, rate) in [
            ("errorRate", self.error_rate),
            ("dropConnectionRate", self.drop_connection_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(FaultRuleError(format!(
                    "{name} must be between 0 and 1, got {rate}"
                )));
            }
        }
        if self.operation.is_empty() || self.error.is_empty() {
            return Err(FaultRuleError(
                "operation and error must not be empty".into(),
            ));
        }
        Ok(())
    }
}

/// What to do with one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handle it normally.
    Proceed,
    /// Answer with this error kind.
    Fail(String),
    /// Close the connection without answering.
    Drop,
}

/// The fault decision for one call: a delay and an outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Wait this long first.
    pub latency: Duration,
    /// Then do this.
    pub outcome: Outcome,
}

/// The active rules.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Vec<FaultRule>,
}

impl Faults {
    /// Adds a rule, replacing any rule for the same operation.
    pub fn set(&mut self, rule: FaultRule) {
        self.rules.retain(|r| r.operation != rule.operation);
        self.rules.push(rule);
    }

    /// Removes every rule.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// The rules, for the state dump.
    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    /// Decides the fate of a call to `operation`; a rule naming the operation wins over `*`.
    pub fn decide(&mut self, operation: &str, rng: &mut fastrand::Rng) -> Decision {
        let index = self
            .rules
            .iter()
            .position(|r| r.operation == operation)
            .or_else(|| self.rules.iter().position(|r| r.operation == "*"));
        let Some(index) = index else {
            return Decision {
                latency: Duration::ZERO,
                outcome: Outcome::Proceed,
            };
        };
        let rule = &mut self.rules[index];
        let latency = Duration::from_millis(rule.latency_ms);
        let outcome = if rule.drop_connection_rate > 0.0 && rng.f64() < rule.drop_connection_rate {
            Outcome::Drop
        } else if rule.error_rate > 0.0 && rng.f64() < rule.error_rate {
            Outcome::Fail(rule.error.clone())
        } else {
            Outcome::Proceed
        };
        if outcome != Outcome::Proceed {
            if let Some(left) = rule.times.as_mut() {
                *left = left.saturating_sub(1);
                if *left == 0 {
                    self.rules.remove(index);
                }
            }
        }
        Decision { latency, outcome }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(op: &str, error_rate: f64, times: Option<u64>) -> FaultRule {
        FaultRule {
            operation: op.into(),
            error_rate,
            error: "ThrottlingException".into(),
            latency_ms: 0,
            drop_connection_rate: 0.0,
            times,
        }
    }

    #[test]
    fn specific_rule_wins_and_times_runs_out() {
        let mut rng = fastrand::Rng::with_seed(1);
        let mut faults = Faults::default();
        faults.set(rule("*", 0.0, None));
        faults.set(rule("StartReplication", 1.0, Some(2)));
        let fail = Outcome::Fail("ThrottlingException".into());
        assert_eq!(
            faults.decide("StartReplication", &mut rng).outcome,
            fail.clone()
        );
        assert_eq!(faults.decide("StartReplication", &mut rng).outcome, fail);
        assert_eq!(
            faults.decide("StartReplication", &mut rng).outcome,
            Outcome::Proceed
        );
        assert_eq!(faults.rules().len(), 1);
    }

    #[test]
    fn rates_outside_zero_to_one_are_refused() {
        assert!(rule("*", 1.5, None).validate().is_err());
        assert!(rule("*", 0.5, None).validate().is_ok());
    }
}
