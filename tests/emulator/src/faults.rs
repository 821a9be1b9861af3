//! Fault injection: per-operation errors, latency and dropped connections.
//!
//! This is a test feature, not AWS behaviour: the rules are the emulator's own. What reaches the
//! client is AWS's, though: an injected error is the service's own code and status
//! ([`crate::protocol::ApiError::fault`]), and a dropped connection is what a client sees when a
//! connection breaks before or after the service acted.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Error kind of a rule that delays `errorRate` of the calls by `latencyMs` (a latency spike)
/// and then answers them normally, instead of failing them.
pub const LATENCY_SPIKE: &str = "LatencySpike";
/// Error kind of a rule that carries out `errorRate` of the calls and then closes the connection
/// without a response: the client cannot tell whether the call took effect, as when a real
/// connection breaks after the request reached the service.
pub const DROPPED_AFTER_APPLY: &str = "DroppedAfterApply";
/// Name under which [`Faults::injected`] counts connections closed before the call was carried
/// out (`dropConnectionRate`).
pub const DROPPED: &str = "DroppedConnection";

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
    /// protocol's own code and status), [`LATENCY_SPIKE`], [`DROPPED_AFTER_APPLY`] or any error
    /// code, sent as is.
    #[serde(default = "throttling")]
    pub error: String,
    /// Delay added before every matching call is answered; for a [`LATENCY_SPIKE`] rule, before
    /// the `errorRate` of calls it hits only.
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

/// Which calls a rule applies to: those of one account, one region, both, or (the default) all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultScope {
    /// Only calls made in this account (by the request's credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Only calls made in this region (by the request's SigV4 scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl FaultScope {
    /// A scope of one account and/or one region; `None` matches any.
    pub fn new(account: Option<&str>, region: Option<&str>) -> Self {
        Self {
            account: account.map(str::to_owned),
            region: region.map(str::to_owned),
        }
    }

    fn covers(&self, account: &str, region: &str) -> bool {
        self.account.as_deref().is_none_or(|a| a == account)
            && self.region.as_deref().is_none_or(|r| r == region)
    }
}

/// A rule with the calls it applies to, as `GET /_emulator/faults` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopedRule {
    /// The rule.
    #[serde(flatten)]
    pub rule: FaultRule,
    /// Its account and region filters.
    #[serde(flatten)]
    pub scope: FaultScope,
}

/// Splits a posted rule into the rule and its `account` and `region` filters, so that the rule
/// itself keeps refusing unknown fields.
pub fn parse_scoped(mut body: serde_json::Value) -> Result<ScopedRule, serde_json::Error> {
    let mut scope = serde_json::Map::new();
    if let Some(fields) = body.as_object_mut() {
        for key in ["account", "region"] {
            if let Some(value) = fields.remove(key) {
                scope.insert(key.to_owned(), value);
            }
        }
    }
    Ok(ScopedRule {
        rule: serde_json::from_value(body)?,
        scope: serde_json::from_value(serde_json::Value::Object(scope))?,
    })
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
    /// Carry the call out, then close the connection without answering.
    DropAfterApply,
}

/// The fault decision for one call: a delay and an outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Wait this long first.
    pub latency: Duration,
    /// Then do this.
    pub outcome: Outcome,
}

/// The active rules and what they injected.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Vec<ScopedRule>,
    injected: BTreeMap<String, u64>,
}

impl Faults {
    /// Adds a rule for the calls of `scope`, replacing any rule for the same operation, error
    /// kind and scope: one operation can fail with several kinds of error, each at its own rate.
    pub fn set(&mut self, rule: FaultRule, scope: FaultScope) {
        self.rules.retain(|r| {
            r.rule.operation != rule.operation || r.rule.error != rule.error || r.scope != scope
        });
        self.rules.push(ScopedRule { rule, scope });
    }

    /// Removes every rule; the counts of what they injected stay.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// How many faults were injected: answers by error kind (as the rule names it), latency
    /// spikes ([`LATENCY_SPIKE`]), and connections dropped before ([`DROPPED`]) or after
    /// ([`DROPPED_AFTER_APPLY`]) the call was carried out.
    pub fn injected(&self) -> &BTreeMap<String, u64> {
        &self.injected
    }

    /// The rules, for the state dump.
    pub fn rules(&self) -> &[ScopedRule] {
        &self.rules
    }

    /// Decides the fate of a call to `operation` in `account` and `region`. Of the rules whose
    /// scope covers the call, those naming the operation win over the `*` rules; each of them
    /// adds its latency, and the first whose drop or error roll hits decides the outcome.
    pub fn decide(
        &mut self,
        operation: &str,
        account: &str,
        region: &str,
        rng: &mut fastrand::Rng,
    ) -> Decision {
        let named = self
            .rules
            .iter()
            .any(|r| r.rule.operation == operation && r.scope.covers(account, region));
        let wanted = if named { operation } else { "*" };
        let mut latency = Duration::ZERO;
        let mut outcome = Outcome::Proceed;
        let mut spent = None;
        for (index, scoped) in self.rules.iter_mut().enumerate() {
            let rule = &mut scoped.rule;
            if rule.operation != wanted || !scoped.scope.covers(account, region) {
                continue;
            }
            let spike = rule.error == LATENCY_SPIKE;
            if !spike {
                latency += Duration::from_millis(rule.latency_ms);
            }
            if outcome != Outcome::Proceed {
                continue;
            }
            let counted = if hit(rng, rule.drop_connection_rate) {
                outcome = Outcome::Drop;
                DROPPED
            } else if !hit(rng, rule.error_rate) {
                continue;
            } else if spike {
                latency += Duration::from_millis(rule.latency_ms);
                LATENCY_SPIKE
            } else if rule.error == DROPPED_AFTER_APPLY {
                outcome = Outcome::DropAfterApply;
                DROPPED_AFTER_APPLY
            } else {
                outcome = Outcome::Fail(rule.error.clone());
                &rule.error
            };
            *self.injected.entry(counted.to_owned()).or_default() += 1;
            if let Some(left) = rule.times.as_mut() {
                *left = left.saturating_sub(1);
                if *left == 0 {
                    spent = Some(index);
                }
            }
        }
        if let Some(index) = spent {
            self.rules.remove(index);
        }
        Decision { latency, outcome }
    }
}

/// Whether a roll at `rate` hits. A rate of 0 draws nothing, so rules that never drop or fail
/// leave the random sequence (and with it the ids the emulator generates) as it was.
fn hit(rng: &mut fastrand::Rng, rate: f64) -> bool {
    rate > 0.0 && rng.f64() < rate
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: &str = "123456789012";
    const REGION: &str = "us-east-1";

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
        faults.set(rule("*", 0.0, None), FaultScope::default());
        faults.set(
            rule("StartReplication", 1.0, Some(2)),
            FaultScope::default(),
        );
        let fail = Outcome::Fail("ThrottlingException".into());
        assert_eq!(
            faults
                .decide("StartReplication", HOME, REGION, &mut rng)
                .outcome,
            fail.clone()
        );
        assert_eq!(
            faults
                .decide("StartReplication", HOME, REGION, &mut rng)
                .outcome,
            fail
        );
        assert_eq!(
            faults
                .decide("StartReplication", HOME, REGION, &mut rng)
                .outcome,
            Outcome::Proceed
        );
        assert_eq!(faults.rules().len(), 1);
    }

    #[test]
    fn one_operation_suffers_several_kinds_of_fault_and_each_is_counted() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut faults = Faults::default();
        let kinds = [
            ("ThrottlingException", 0.3, 0.0),
            ("ThrottlingException", 0.3, 0.02),
            ("InternalServerException", 0.05, 0.0),
            (LATENCY_SPIKE, 0.1, 0.0),
            (DROPPED_AFTER_APPLY, 0.02, 0.0),
        ];
        for (error, error_rate, drop_connection_rate) in kinds {
            faults.set(
                FaultRule {
                    error: error.into(),
                    latency_ms: if error == LATENCY_SPIKE { 5 } else { 0 },
                    drop_connection_rate,
                    ..rule("*", error_rate, None)
                },
                FaultScope::default(),
            );
        }
        assert_eq!(faults.rules().len(), 4, "same operation and kind: replaced");
        let (mut delayed, mut seen) = (0, BTreeMap::<String, u64>::new());
        for _ in 0..2000 {
            let decision = faults.decide("Publish", HOME, REGION, &mut rng);
            delayed += u64::from(!decision.latency.is_zero());
            let kind = match decision.outcome {
                Outcome::Proceed => continue,
                Outcome::Fail(kind) => kind,
                Outcome::Drop => DROPPED.to_owned(),
                Outcome::DropAfterApply => DROPPED_AFTER_APPLY.to_owned(),
            };
            *seen.entry(kind).or_default() += 1;
        }
        for (kind, low, high) in [
            ("ThrottlingException", 450, 750),
            ("InternalServerException", 30, 120),
            (DROPPED, 15, 70),
            (DROPPED_AFTER_APPLY, 5, 50),
        ] {
            let n = seen.get(kind).copied().unwrap_or(0);
            assert!((low..=high).contains(&n), "{kind}: {n} of 2000");
            assert_eq!(faults.injected().get(kind), Some(&n), "{kind}");
        }
        assert_eq!(faults.injected().get(LATENCY_SPIKE), Some(&delayed));
        assert!((60..=240).contains(&delayed), "{delayed} of 2000 delayed");
    }

    #[test]
    fn a_scoped_rule_hits_only_the_calls_of_its_account_and_region() {
        let mut rng = fastrand::Rng::with_seed(3);
        let mut faults = Faults::default();
        faults.set(
            rule("*", 1.0, None),
            FaultScope::new(Some("234567890123"), Some("us-west-2")),
        );
        let fail = Outcome::Fail("ThrottlingException".into());
        for (account, region, want) in [
            ("234567890123", "us-west-2", fail),
            ("234567890123", REGION, Outcome::Proceed),
            (HOME, "us-west-2", Outcome::Proceed),
        ] {
            let got = faults.decide("Publish", account, region, &mut rng).outcome;
            assert_eq!(got, want, "{account} {region}");
        }
    }

    #[test]
    fn rates_outside_zero_to_one_are_refused() {
        assert!(rule("*", 1.5, None).validate().is_err());
        assert!(rule("*", 0.5, None).validate().is_ok());
    }
}
