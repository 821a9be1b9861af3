//! The settings every function has, read once at cold start and embedded in its configuration.

use crate::arn::Arn;
use crate::config::{ConfigError, Env};
use crate::fleet::Fleet;
use crate::history::HistoryLocation;
use crate::metrics::Namespace;
use crate::trigger::Admission;

/// `MAX_CONCURRENCY` when unset: calls in flight at once.
pub const DEFAULT_MAX_CONCURRENCY: usize = 10;
/// The most `MAX_CONCURRENCY` allows; AWS throttles well before more calls would help.
pub const MAX_CONCURRENCY_LIMIT: usize = 100;
/// `FLEET_CONCURRENCY` when unset: targets worked on at once.
pub const DEFAULT_FLEET_CONCURRENCY: usize = 8;
/// The most `FLEET_CONCURRENCY` allows: with `MAX_CONCURRENCY` calls per target, 50 targets keep
/// thousands of calls in flight, past what one Lambda's connections and the services' account
/// rate limits serve.
pub const FLEET_CONCURRENCY_LIMIT: usize = 50;

/// What every function is configured with, whatever it protects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Most mutating calls in flight at once (`MAX_CONCURRENCY`).
    pub max_concurrency: usize,
    /// Where run reports go (`REPORT_TOPIC_ARN`); none = only returned and logged.
    pub report_topic: Option<Arn>,
    /// SNS topics whose notifications are read (`TRIGGER_TOPIC_ARNS`); empty = any.
    pub trigger_topics: Vec<Arn>,
    /// Plan only, for every run (`DRY_RUN`).
    pub dry_run: bool,
    /// The account the function runs in (`ACCOUNT_ID`). None = unknown (local runs).
    pub home_account: Option<String>,
    /// The accounts and regions served (`FLEET`); events from other accounts are rejected.
    pub fleet: Fleet,
    /// Targets worked on at once (`FLEET_CONCURRENCY`).
    pub fleet_concurrency: usize,
    /// The CloudWatch namespace of the run metrics (`METRICS_NAMESPACE`).
    pub metrics_namespace: Namespace,
    /// Where reports are kept as run history (`HISTORY_BUCKET`, `HISTORY_PREFIX`); none = not kept.
    pub history: Option<HistoryLocation>,
}

impl Default for Settings {
    /// The settings of an empty environment.
    fn default() -> Self {
        Self {
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            report_topic: None,
            trigger_topics: Vec::new(),
            dry_run: false,
            home_account: None,
            fleet: Fleet::default(),
            fleet_concurrency: DEFAULT_FLEET_CONCURRENCY,
            metrics_namespace: Namespace::default(),
            history: None,
        }
    }
}

impl Settings {
    /// Reads and validates the shared variables.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Self::with_concurrency(env, DEFAULT_MAX_CONCURRENCY, MAX_CONCURRENCY_LIMIT)
    }

    /// Reads the shared variables for a service whose rate limits want other bounds:
    /// `MAX_CONCURRENCY` defaults to `default` and may be at most `most`.
    pub fn with_concurrency(env: &Env, default: usize, most: usize) -> Result<Self, ConfigError> {
        let home_account = env.home_account()?;
        Ok(Self {
            max_concurrency: env.number("MAX_CONCURRENCY", default, 1, most)?,
            report_topic: env.arn("REPORT_TOPIC_ARN", "sns")?,
            trigger_topics: env.arn_list("TRIGGER_TOPIC_ARNS", "sns")?,
            dry_run: env.flag("DRY_RUN", false)?,
            fleet: Fleet::from_env(env, home_account.as_deref())?,
            fleet_concurrency: env.number(
                "FLEET_CONCURRENCY",
                DEFAULT_FLEET_CONCURRENCY,
                1,
                FLEET_CONCURRENCY_LIMIT,
            )?,
            metrics_namespace: Namespace::from_env(env)?,
            history: HistoryLocation::from_env(env)?,
            home_account,
        })
    }

    /// Where events are admitted from under these settings.
    pub fn admission(&self) -> Admission<'_> {
        Admission {
            home_account: self.home_account.as_deref(),
            fleet_accounts: self.fleet.accounts(),
            trigger_topics: &self.trigger_topics,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_environment_gives_the_defaults() {
        assert_eq!(Settings::from_env(&Env::default()), Ok(Settings::default()));
    }

    #[test]
    fn every_shared_variable_is_read() {
        let settings = Settings::from_env(&Env::from_pairs([
            ("MAX_CONCURRENCY", "4"),
            (
                "REPORT_TOPIC_ARN",
                "arn:aws:sns:us-east-1:123456789012:reports",
            ),
            (
                "TRIGGER_TOPIC_ARNS",
                "arn:aws:sns:us-east-1:123456789012:alarms",
            ),
            ("DRY_RUN", "true"),
            ("ACCOUNT_ID", "123456789012"),
            ("METRICS_NAMESPACE", "Team/DR"),
            ("HISTORY_BUCKET", "dr-history"),
            ("HISTORY_PREFIX", "runs"),
        ]))
        .unwrap();
        assert_eq!(settings.max_concurrency, 4);
        assert_eq!(
            settings.report_topic.as_ref().map(Arn::resource),
            Some("reports")
        );
        assert_eq!(settings.trigger_topics[0].resource(), "alarms");
        assert!(settings.dry_run);
        assert_eq!(settings.home_account.as_deref(), Some("123456789012"));
        assert_eq!(settings.metrics_namespace.as_str(), "Team/DR");
        let history = settings.history.expect("a history location");
        assert_eq!(history.bucket(), "dr-history");
        assert_eq!(history.key("f", 0, "r"), "runs/f/1970-01-01/r.json");
    }

    #[test]
    fn a_bad_shared_variable_names_itself() {
        let cases = [
            (
                "MAX_CONCURRENCY",
                "0",
                "0 is out of range (allowed 1 to 100)",
            ),
            ("MAX_CONCURRENCY", "many", "`many` is not a number"),
            ("REPORT_TOPIC_ARN", "reports", "`reports` is not an ARN"),
            (
                "TRIGGER_TOPIC_ARNS",
                "arn:aws:sqs:us-east-1:123456789012:q",
                "`arn:aws:sqs:us-east-1:123456789012:q` is an ARN of service `sqs`, expected `sns`",
            ),
            (
                "DRY_RUN",
                "yes",
                "`yes` is not a boolean (use true or false)",
            ),
            (
                "ACCOUNT_ID",
                "12345",
                "`12345` is not a 12-digit AWS account id",
            ),
            (
                "METRICS_NAMESPACE",
                "dr automation",
                "`dr automation` is not a namespace (at most 255 letters, digits and ._#:/-, not \
                 beginning with : or AWS/)",
            ),
            (
                "HISTORY_BUCKET",
                "DR_History",
                "`DR_History` is not an S3 bucket name (3 to 63 lowercase letters, digits, dots \
                 and hyphens, beginning and ending with a letter or digit)",
            ),
        ];
        for (var, value, reason) in cases {
            let err = Settings::from_env(&Env::from_pairs([(var, value)])).unwrap_err();
            assert_eq!((err.var.as_str(), err.reason.as_str()), (var, reason));
        }
    }

    #[test]
    fn a_function_may_narrow_the_concurrency_bounds() {
        let env = |v| Env::from_pairs([("MAX_CONCURRENCY", v)]);
        let narrowed = |e: &Env| Settings::with_concurrency(e, 4, 50);
        assert_eq!(narrowed(&Env::default()).map(|s| s.max_concurrency), Ok(4));
        assert_eq!(narrowed(&env("50")).map(|s| s.max_concurrency), Ok(50));
        let err = narrowed(&env("51")).unwrap_err();
        assert_eq!(err.reason, "51 is out of range (allowed 1 to 50)");
    }

    #[test]
    fn the_fleet_and_its_concurrency_are_read_and_admitted_from() {
        let settings = Settings::from_env(&Env::from_pairs([
            ("ACCOUNT_ID", "123456789012"),
            ("AWS_REGION", "us-east-1"),
            ("FLEET_CONCURRENCY", "3"),
            (
                "FLEET",
                r#"[{"account": "123456789012", "region": "us-east-1"},
                    {"account": "234567890123", "region": "us-east-1",
                     "role": "arn:aws:iam::234567890123:role/m-{function}"}]"#,
            ),
        ]))
        .unwrap();
        assert_eq!(settings.fleet_concurrency, 3);
        assert_eq!(settings.fleet.targets().len(), 2);
        assert_eq!(
            settings.admission().fleet_accounts,
            ["123456789012", "234567890123"]
        );
    }

    #[test]
    fn without_a_fleet_the_home_account_is_the_only_one_admitted() {
        let settings = Settings::from_env(&Env::from_pairs([("ACCOUNT_ID", "123456789012")]));
        let settings = settings.unwrap();
        assert_eq!(settings.admission().fleet_accounts, ["123456789012"]);
        let err = Settings::from_env(&Env::from_pairs([("FLEET_CONCURRENCY", "51")])).unwrap_err();
        assert_eq!(
            (err.var.as_str(), err.reason.as_str()),
            ("FLEET_CONCURRENCY", "51 is out of range (allowed 1 to 50)")
        );
    }

    #[test]
    fn admission_carries_the_home_account_and_topics() {
        let settings = Settings {
            home_account: Some("123456789012".into()),
            trigger_topics: vec![Arn::parse("arn:aws:sns:us-east-1:123456789012:t").unwrap()],
            ..Settings::default()
        };
        let admission = settings.admission();
        assert_eq!(admission.home_account, Some("123456789012"));
        assert_eq!(admission.trigger_topics.len(), 1);
    }
}
