//! The fleet: the accounts and regions a function serves, and how it reaches each one.
//!
//! `FLEET` is read once at cold start, the same for every function. Unset, the fleet is the one
//! home target (the account and region the function runs in, with its own credentials), so a
//! single-account deployment needs no configuration.

use crate::arn::Arn;
use crate::config::{is_account_id, ConfigError, Env};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::fmt;

/// The variable that lists the fleet's targets.
pub const FLEET_VAR: &str = "FLEET";
/// Most targets one fleet may list: a run's report and its Step Functions item list stay bounded.
pub const MAX_TARGETS: usize = 1_000;
/// The variable naming the role of every entry of `FLEET` that names none (outside the home
/// account): one short entry per target keeps a large fleet within Lambda's 4 KB of variables.
pub const FLEET_ROLE_VAR: &str = "FLEET_ROLE";
/// What a role ARN in `FLEET` or `FLEET_ROLE` may contain to name the function reading it.
pub const FUNCTION_PLACEHOLDER: &str = "{function}";
/// What a role ARN in `FLEET_ROLE` may contain to name the entry's account.
pub const ACCOUNT_PLACEHOLDER: &str = "{account}";

/// One account in one region, and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The account; `None` only for the home target when `ACCOUNT_ID` is unset (local runs).
    pub account: Option<String>,
    /// The region; `None` only for the home target when `AWS_REGION` is unset.
    pub region: Option<String>,
    /// How its calls are authorised.
    pub access: Access,
}

/// How a target's calls are authorised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// The function's own credentials: the home account.
    Own,
    /// A role assumed in the target's account.
    Role(RoleTemplate),
}

/// A role ARN as configured, possibly naming the function with [`FUNCTION_PLACEHOLDER`], so one
/// shared `FLEET` gives every function its own least-privilege role in a member account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleTemplate {
    template: String,
    /// `ExternalId` for `sts:AssumeRole`, when the role's trust policy requires one.
    pub external_id: Option<String>,
}

impl RoleTemplate {
    /// The role `function` assumes.
    pub fn role_for(&self, function: &str) -> Result<Arn, ConfigError> {
        let arn = self.template.replace(FUNCTION_PLACEHOLDER, function);
        Arn::of_service(&arn, "iam").map_err(|e| ConfigError::new(FLEET_VAR, e.to_string()))
    }

    /// The role as configured.
    pub fn as_str(&self) -> &str {
        &self.template
    }
}

impl Target {
    /// The home target: where the function runs, with its own credentials.
    pub fn home(account: Option<String>, region: Option<String>) -> Self {
        Self {
            account,
            region,
            access: Access::Own,
        }
    }

    /// Whether this target is `account` in `region`.
    pub fn is(&self, account: &str, region: &str) -> bool {
        self.account.as_deref() == Some(account) && self.region.as_deref() == Some(region)
    }

    /// Whether an event from `account` (when it says) in `region` (when it says) is this
    /// target's. An origin that does not say matches any target.
    pub fn covers(&self, account: Option<&str>, region: Option<&str>) -> bool {
        let same = |mine: Option<&str>, theirs: Option<&str>| match (mine, theirs) {
            (Some(mine), Some(theirs)) => mine == theirs,
            _ => true,
        };
        same(self.account.as_deref(), account) && same(self.region.as_deref(), region)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}",
            self.account.as_deref().unwrap_or("home account"),
            self.region.as_deref().unwrap_or("home region")
        )
    }
}

/// The targets a function serves, in configuration order; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fleet {
    targets: Vec<Target>,
    /// The targets' accounts, sorted, each once.
    accounts: Vec<String>,
}

impl Default for Fleet {
    /// The home target only, account and region unknown.
    fn default() -> Self {
        Self::home(None, None)
    }
}

/// One `FLEET` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Entry {
    account: String,
    region: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    external_id: Option<String>,
}

impl Fleet {
    /// The fleet of one home target.
    pub fn home(account: Option<String>, region: Option<String>) -> Self {
        Self::of(vec![Target::home(account, region)])
    }

    /// A fleet of these targets; at least one.
    fn of(targets: Vec<Target>) -> Self {
        let accounts: BTreeSet<&String> =
            targets.iter().filter_map(|t| t.account.as_ref()).collect();
        let accounts = accounts.into_iter().cloned().collect();
        Self { targets, accounts }
    }

    /// Reads `FLEET`; unset or `[]` is the home target (`home_account`, `AWS_REGION`).
    pub fn from_env(env: &Env, home_account: Option<&str>) -> Result<Self, ConfigError> {
        let home_region = env.optional("AWS_REGION");
        let default_role = env.optional(FLEET_ROLE_VAR);
        match env.optional(FLEET_VAR) {
            None => Ok(Self::home(home_account.map(str::to_owned), home_region)),
            Some(json) => Self::parse(&json, home_account, home_region, default_role.as_deref()),
        }
    }

    /// Parses a `FLEET` value; entries without a role outside the home account take
    /// `default_role` (`FLEET_ROLE`).
    fn parse(
        json: &str,
        home_account: Option<&str>,
        home_region: Option<String>,
        default_role: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let err = |reason: String| ConfigError::new(FLEET_VAR, reason);
        let entries: Vec<Entry> = serde_json::from_str(json)
            .map_err(|e| err(format!("not a JSON array of targets: {e}")))?;
        if entries.is_empty() {
            return Ok(Self::home(home_account.map(str::to_owned), home_region));
        }
        if entries.len() > MAX_TARGETS {
            return Err(err(format!(
                "lists {} targets; at most {MAX_TARGETS}",
                entries.len()
            )));
        }
        let mut seen = BTreeSet::new();
        let targets = entries
            .into_iter()
            .enumerate()
            .map(|(i, entry)| {
                let target = Self::target(entry, home_account, default_role)
                    .map_err(|reason| err(format!("entry {i}: {reason}")))?;
                if !seen.insert((target.account.clone(), target.region.clone())) {
                    return Err(err(format!("entry {i}: {target} is listed twice")));
                }
                Ok(target)
            })
            .collect::<Result<_, _>>()?;
        Ok(Self::of(targets))
    }

    /// One entry, validated.
    fn target(
        entry: Entry,
        home_account: Option<&str>,
        default_role: Option<&str>,
    ) -> Result<Target, String> {
        let Entry {
            account,
            region,
            role,
            external_id,
        } = entry;
        if !is_account_id(&account) {
            return Err(format!("`{account}` is not a 12-digit AWS account id"));
        }
        if !is_region(&region) {
            return Err(format!("`{region}` is not an AWS region name"));
        }
        let role = role.or_else(|| {
            (home_account != Some(account.as_str()))
                .then(|| default_role.map(|r| r.replace(ACCOUNT_PLACEHOLDER, &account)))
                .flatten()
        });
        let access = match role {
            None if home_account == Some(account.as_str()) => {
                if external_id.is_some() {
                    return Err("externalId is only for a role to assume".to_owned());
                }
                Access::Own
            }
            None => {
                return Err(format!(
                    "account {account} is not the home account (ACCOUNT_ID), so give the `role` \
                     to assume in it, or FLEET_ROLE"
                ))
            }
            Some(template) => {
                let role = RoleTemplate {
                    template,
                    external_id,
                };
                // Any function name gives the same account and shape.
                let arn = role.role_for("function").map_err(|e| e.reason)?;
                if arn.account() != Some(account.as_str()) || !arn.resource().starts_with("role/") {
                    return Err(format!(
                        "role `{}` is not a role of account {account}",
                        role.as_str()
                    ));
                }
                Access::Role(role)
            }
        };
        Ok(Target {
            account: Some(account),
            region: Some(region),
            access,
        })
    }

    /// The targets, in configuration order.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// The fleet's accounts, sorted, each once; empty when the home account is unknown.
    pub fn accounts(&self) -> &[String] {
        &self.accounts
    }
}

/// Whether `s` has the shape of an AWS region name (`us-east-1`, `us-gov-west-1`, `eusc-de-east-1`).
pub fn is_region(s: &str) -> bool {
    let lower = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    let parts: Vec<&str> = s.split('-').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return false;
    };
    (2..=4).contains(&first.len())
        && lower(first)
        && !middle.is_empty()
        && middle.iter().all(lower)
        && (1..=2).contains(&last.len())
        && last.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: &str = "123456789012";

    fn fleet(json: &str) -> Result<Fleet, String> {
        Fleet::parse(json, Some(HOME), Some("us-east-1".into()), None).map_err(|e| e.reason)
    }

    #[test]
    fn no_fleet_is_the_home_target_with_own_credentials() {
        let env = Env::from_pairs([("AWS_REGION", "eu-west-1")]);
        let fleet = Fleet::from_env(&env, Some(HOME)).unwrap();
        assert_eq!(
            fleet.targets(),
            [Target::home(Some(HOME.into()), Some("eu-west-1".into()))]
        );
        assert_eq!(fleet, self::fleet("[]").map(|_| fleet.clone()).unwrap());
    }

    #[test]
    fn entries_become_targets_in_order() {
        let fleet = fleet(
            r#"[{"account": "123456789012", "region": "us-east-1"},
                {"account": "234567890123", "region": "us-west-2",
                 "role": "arn:aws:iam::234567890123:role/dr-automation-member-{function}",
                 "externalId": "xyz"}]"#,
        )
        .unwrap();
        let [home, member] = fleet.targets() else {
            panic!("two targets expected: {fleet:?}")
        };
        assert_eq!(home.access, Access::Own);
        let Access::Role(role) = &member.access else {
            panic!("a role expected: {member:?}")
        };
        assert_eq!(
            role.role_for("backup-copy-fanout").unwrap().as_str(),
            "arn:aws:iam::234567890123:role/dr-automation-member-backup-copy-fanout"
        );
        assert_eq!(role.external_id.as_deref(), Some("xyz"));
        assert_eq!(fleet.accounts(), [HOME, "234567890123"]);
    }

    #[test]
    fn a_bad_entry_is_refused_with_its_index_and_reason() {
        let role = |account: &str| format!("arn:aws:iam::{account}:role/r");
        let cases = [
            (
                r#"{"account": "1234", "region": "us-east-1"}"#.to_owned(),
                "entry 0: `1234` is not a 12-digit AWS account id",
            ),
            (
                r#"{"account": "123456789012", "region": "Virginia"}"#.to_owned(),
                "entry 0: `Virginia` is not an AWS region name",
            ),
            (
                r#"{"account": "234567890123", "region": "us-east-1"}"#.to_owned(),
                "entry 0: account 234567890123 is not the home account (ACCOUNT_ID), so give \
                 the `role` to assume in it, or FLEET_ROLE",
            ),
            (
                format!(
                    r#"{{"account": "234567890123", "region": "us-east-1", "role": "{}"}}"#,
                    role("345678901234")
                ),
                "entry 0: role `arn:aws:iam::345678901234:role/r` is not a role of account \
                 234567890123",
            ),
            (
                r#"{"account": "234567890123", "region": "us-east-1", "role": "arn:aws:iam::234567890123:user/u"}"#.to_owned(),
                "entry 0: role `arn:aws:iam::234567890123:user/u` is not a role of account \
                 234567890123",
            ),
            (
                r#"{"account": "234567890123", "region": "us-east-1", "role": "arn:aws:sns:us-east-1:234567890123:t"}"#.to_owned(),
                "`arn:aws:sns:us-east-1:234567890123:t` is an ARN of service `sns`, expected `iam`",
            ),
            (
                r#"{"account": "123456789012", "region": "us-east-1", "externalId": "x"}"#.to_owned(),
                "entry 0: externalId is only for a role to assume",
            ),
        ];
        for (entry, want) in cases {
            let got = fleet(&format!("[{entry}]")).unwrap_err();
            assert!(got.ends_with(want), "{entry}: {got}");
        }
    }

    #[test]
    fn entries_without_a_role_outside_the_home_account_take_fleet_role() {
        let fleet = Fleet::parse(
            r#"[{"account": "123456789012", "region": "us-east-1"},
                {"account": "234567890123", "region": "us-east-1"},
                {"account": "345678901234", "region": "us-east-1", "role": "arn:aws:iam::345678901234:role/own"}]"#,
            Some(HOME),
            None,
            Some("arn:aws:iam::{account}:role/dr-automation-member-{function}"),
        )
        .unwrap();
        let roles: Vec<Option<String>> = fleet
            .targets()
            .iter()
            .map(|t| match &t.access {
                Access::Own => None,
                Access::Role(r) => Some(r.role_for("f").unwrap().to_string()),
            })
            .collect();
        assert_eq!(
            roles,
            [
                None,
                Some("arn:aws:iam::234567890123:role/dr-automation-member-f".to_owned()),
                Some("arn:aws:iam::345678901234:role/own".to_owned()),
            ]
        );
    }

    #[test]
    fn a_target_listed_twice_is_refused() {
        let entry = r#"{"account": "123456789012", "region": "us-east-1"}"#;
        assert_eq!(
            fleet(&format!("[{entry}, {entry}]")).unwrap_err(),
            "entry 1: 123456789012/us-east-1 is listed twice"
        );
    }

    #[test]
    fn fleet_json_that_is_not_a_list_of_targets_is_refused() {
        for json in [
            "{}",
            "nope",
            r#"[{"account": "123456789012", "region": "us-east-1", "role_arn": "x"}]"#,
        ] {
            assert!(
                fleet(json)
                    .unwrap_err()
                    .starts_with("not a JSON array of targets"),
                "{json}"
            );
        }
    }

    #[test]
    fn region_names_have_the_aws_shape() {
        for good in [
            "us-east-1",
            "us-gov-west-1",
            "eu-central-2",
            "eusc-de-east-1",
            "cn-north-1",
        ] {
            assert!(is_region(good), "{good}");
        }
        for bad in [
            "",
            "us",
            "us-east",
            "us-east-x",
            "US-EAST-1",
            "us--1",
            "useast1",
            "us-east-123",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }

    #[test]
    fn an_origin_that_does_not_say_is_covered_by_every_target() {
        let t = Target::home(Some(HOME.into()), Some("us-east-1".into()));
        assert!(t.covers(Some(HOME), Some("us-east-1")));
        assert!(t.covers(None, None));
        assert!(t.covers(Some(HOME), None));
        assert!(!t.covers(Some("234567890123"), Some("us-east-1")));
        assert!(!t.covers(Some(HOME), Some("us-west-2")));
    }
}
