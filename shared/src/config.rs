//! Reading and validating configuration from environment variables, once, at cold start.

use crate::arn::Arn;
use std::collections::BTreeMap;
use std::fmt::Display;
use std::str::FromStr;

/// A configuration value that is missing or invalid, naming the variable and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration {var}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub var: String,
    /// What is wrong with it, including the offending value.
    pub reason: String,
}

impl ConfigError {
    /// Builds an error for `var` with a reason.
    pub fn new(var: &str, reason: impl Into<String>) -> Self {
        Self {
            var: var.to_owned(),
            reason: reason.into(),
        }
    }
}

/// A snapshot of the variables a function reads, so parsing is testable without the process env.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// Captures the current process environment.
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    /// Builds an environment from explicit pairs (for tests and tools).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// The trimmed value of `var`; unset and blank both mean absent.
    pub fn optional(&self, var: &str) -> Option<String> {
        self.vars
            .get(var)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The value of `var`, which must be set and non-blank.
    pub fn required(&self, var: &str) -> Result<String, ConfigError> {
        self.optional(var)
            .ok_or_else(|| ConfigError::new(var, "is required but not set"))
    }

    /// A comma-separated list; blank items are dropped, duplicates kept in first-seen order once.
    pub fn list(&self, var: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for item in self.optional(var).unwrap_or_default().split(',') {
            let item = item.trim();
            if !item.is_empty() && !out.iter().any(|seen| seen == item) {
                out.push(item.to_owned());
            }
        }
        out
    }

    /// A boolean written `true`/`false` (any case), or `default` when unset.
    pub fn flag(&self, var: &str, default: bool) -> Result<bool, ConfigError> {
        match self.optional(var) {
            None => Ok(default),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(ConfigError::new(
                    var,
                    format!("`{v}` is not a boolean (use true or false)"),
                )),
            },
        }
    }

    /// A number within `min..=max`, or `default` when unset.
    pub fn number<T>(&self, var: &str, default: T, min: T, max: T) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + Display + Copy,
    {
        let Some(raw) = self.optional(var) else {
            return Ok(default);
        };
        let value: T = raw
            .parse()
            .map_err(|_| ConfigError::new(var, format!("`{raw}` is not a number")))?;
        if value < min || value > max {
            return Err(ConfigError::new(
                var,
                format!("{value} is out of range (allowed {min} to {max})"),
            ));
        }
        Ok(value)
    }

    /// A duration written `<n>s`, `<n>m`, `<n>h` or `<n>d` (for example `15m`, `8h`), in
    /// seconds; `default` seconds when unset.
    pub fn duration(&self, var: &str, default: i64) -> Result<i64, ConfigError> {
        Ok(self.optional_duration(var)?.unwrap_or(default))
    }

    /// A duration as [`Env::duration`] reads it, or `None` when unset.
    pub fn optional_duration(&self, var: &str) -> Result<Option<i64>, ConfigError> {
        self.optional(var)
            .map(|raw| {
                parse_duration(&raw).ok_or_else(|| {
                    ConfigError::new(
                        var,
                        format!(
                            "`{raw}` is not a duration (a positive whole number and s, m, h or \
                             d, such as 15m or 8h)"
                        ),
                    )
                })
            })
            .transpose()
    }

    /// An optional ARN of the given service (for example `sns`), checked for shape.
    pub fn arn(&self, var: &str, service: &str) -> Result<Option<Arn>, ConfigError> {
        self.optional(var)
            .map(|v| Arn::of_service(&v, service).map_err(|e| ConfigError::new(var, e.to_string())))
            .transpose()
    }

    /// A comma-separated list of ARNs of the given service.
    pub fn arn_list(&self, var: &str, service: &str) -> Result<Vec<Arn>, ConfigError> {
        self.list(var)
            .iter()
            .map(|item| {
                Arn::of_service(item, service).map_err(|e| ConfigError::new(var, e.to_string()))
            })
            .collect()
    }

    /// A comma-separated list of 12-digit AWS account ids.
    pub fn account_ids(&self, var: &str) -> Result<Vec<String>, ConfigError> {
        let items = self.list(var);
        for item in &items {
            if !is_account_id(item) {
                return Err(ConfigError::new(
                    var,
                    format!("`{item}` is not a 12-digit AWS account id"),
                ));
            }
        }
        Ok(items)
    }

    /// The account the functions serve (`ACCOUNT_ID`, set by the template); events from other
    /// accounts are rejected. Unset = any account (local runs).
    pub fn home_account(&self) -> Result<Option<String>, ConfigError> {
        const VAR: &str = "ACCOUNT_ID";
        match self.optional(VAR) {
            Some(id) if !is_account_id(&id) => Err(ConfigError::new(
                VAR,
                format!("`{id}` is not a 12-digit AWS account id"),
            )),
            other => Ok(other),
        }
    }
}

/// Seconds in `<n>s`, `<n>m`, `<n>h` or `<n>d`, `n` a positive whole number of at most 3650
/// days; `None` for anything else.
pub fn parse_duration(text: &str) -> Option<i64> {
    let unit = match text.chars().last()? {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return None,
    };
    let digits = &text[..text.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    let seconds = n.checked_mul(unit)?;
    (1..=3_650 * 86_400).contains(&seconds).then_some(seconds)
}

/// True when `s` is a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&'static str, &'static str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn list_trims_drops_blanks_and_duplicates() {
        let e = env(&[("L", " a, ,b,a ,c")]);
        assert_eq!(e.list("L"), vec!["a", "b", "c"]);
        assert!(e.list("MISSING").is_empty());
    }

    #[test]
    fn home_account_table() {
        let cases = [
            (None, Ok(None)),
            (Some(" 123456789012 "), Ok(Some("123456789012".to_owned()))),
            (
                Some("12345"),
                Err("`12345` is not a 12-digit AWS account id".to_owned()),
            ),
        ];
        for (raw, want) in cases {
            let e = match raw {
                Some(v) => Env::from_pairs([("ACCOUNT_ID", v)]),
                None => Env::default(),
            };
            assert_eq!(
                e.home_account().map_err(|err| err.reason),
                want,
                "raw={raw:?}"
            );
        }
    }

    #[test]
    fn flag_table() {
        let cases = [
            (None, false, Ok(false)),
            (Some("TRUE"), false, Ok(true)),
            (Some("false"), true, Ok(false)),
            (Some(" "), true, Ok(true)),
            (Some("yes"), false, Err(())),
        ];
        for (raw, default, want) in cases {
            let e = match raw {
                Some(v) => Env::from_pairs([("F", v)]),
                None => Env::default(),
            };
            assert_eq!(e.flag("F", default).map_err(|_| ()), want, "raw={raw:?}");
        }
    }

    #[test]
    fn number_table() {
        let cases = [
            (None, Ok(10)),
            (Some("1"), Ok(1)),
            (Some("50"), Ok(50)),
            (Some("0"), Err("0 is out of range (allowed 1 to 50)")),
            (Some("51"), Err("51 is out of range (allowed 1 to 50)")),
            (Some("ten"), Err("`ten` is not a number")),
            (Some("-3"), Err("`-3` is not a number")),
        ];
        for (raw, want) in cases {
            let e = match raw {
                Some(v) => Env::from_pairs([("N", v)]),
                None => Env::default(),
            };
            let got = e.number::<u32>("N", 10, 1, 50).map_err(|err| err.reason);
            assert_eq!(got, want.map_err(str::to_owned), "raw={raw:?}");
        }
    }

    #[test]
    fn an_arn_variable_names_itself_when_of_another_service() {
        let e = env(&[("T", "arn:aws:sqs:us-east-1:123456789012:q")]);
        let err = e.arn("T", "sns").unwrap_err();
        assert_eq!(err.var, "T");
        assert!(err.to_string().starts_with("configuration T: "));
    }

    #[test]
    fn an_arn_list_parses_every_item() {
        let e = env(&[(
            "T",
            "arn:aws:sns:us-east-1:123456789012:a, arn:aws:sns:us-east-1:123456789012:b",
        )]);
        let arns = e.arn_list("T", "sns").unwrap();
        assert_eq!(arns.len(), 2);
        assert_eq!(arns[1].resource(), "b");
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert_eq!(
            env(&[("A", "123456789012,210987654321")]).account_ids("A"),
            Ok(vec!["123456789012".to_owned(), "210987654321".to_owned()])
        );
        assert!(env(&[("A", "12345")]).account_ids("A").is_err());
        assert!(env(&[("A", "12345678901x")]).account_ids("A").is_err());
    }

    #[test]
    fn required_names_the_variable() {
        let err = Env::default().required("REPORT_TOPIC_ARN").unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration REPORT_TOPIC_ARN: is required but not set"
        );
    }

    #[test]
    fn durations_are_a_whole_number_and_a_unit() {
        let cases = [
            ("90s", Some(90)),
            ("15m", Some(900)),
            ("8h", Some(28_800)),
            ("7d", Some(604_800)),
            ("3650d", Some(315_360_000)),
            ("3651d", None),
            ("0m", None),
            ("m", None),
            ("1.5h", None),
            ("-5m", None),
            ("5", None),
            ("5w", None),
            ("PT5M", None),
            ("99999999999999999999d", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_duration(text), want, "{text}");
        }
    }

    #[test]
    fn a_duration_variable_names_itself_when_it_is_wrong() {
        let env = Env::from_pairs([("TTL", "8 hours")]);
        assert_eq!(
            env.duration("TTL", 60).unwrap_err().to_string(),
            "configuration TTL: `8 hours` is not a duration (a positive whole number and s, m, \
             h or d, such as 15m or 8h)"
        );
        assert_eq!(Env::default().duration("TTL", 60), Ok(60));
        assert_eq!(Env::default().optional_duration("TTL"), Ok(None));
    }
}
