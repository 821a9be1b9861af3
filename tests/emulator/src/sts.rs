//! AWS Security Token Service (awsQuery): `AssumeRole`, returning credentials bound to the role's
//! account, so that a client holding them is served that account's partition.
//!
//! Shapes and limits follow the STS model (sts.service-2.json) and the STS API reference page
//! "AssumeRole"; errors are the API reference's "Common Errors" (`AccessDenied`,
//! `ValidationError`). The README lists every rule with its source and the assumptions.

use crate::fixture::Fixture;
use crate::protocol::ApiError;
use crate::util::{iso, mix, xml_escape};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// `DurationSeconds` when the request has none ("By default, the value is set to 3600 seconds").
const DEFAULT_DURATION: i64 = 3600;
/// `roleDurationSecondsType`: 900 to 43200 seconds.
const DURATIONS: std::ops::RangeInclusive<i64> = 900..=43_200;
/// `roleSessionNameType` length.
const SESSION_NAME_LENGTH: std::ops::RangeInclusive<usize> = 2..=64;
/// `arnType` length.
const ARN_LENGTH: std::ops::RangeInclusive<usize> = 20..=2048;
/// `externalIdType` length.
const EXTERNAL_ID_LENGTH: std::ops::RangeInclusive<usize> = 2..=1224;
/// Prefix of temporary access key ids (the IAM user guide's "Unique identifiers": `ASIA` is a
/// temporary AWS STS access key).
const TEMPORARY_KEY_PREFIX: &str = "ASIA";

/// The account a request acts in, from its access key id: `ASIA` + 12 digits (what `AssumeRole`
/// hands out here) is that account; any other key is the fixture's home account.
pub fn account_of_access_key<'a>(access_key: Option<&'a str>, home: &'a str) -> &'a str {
    access_key
        .and_then(|key| key.strip_prefix(TEMPORARY_KEY_PREFIX))
        .and_then(|rest| rest.get(..12))
        .filter(|account| account.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or(home)
}

/// An IAM role ARN, `arn:<partition>:iam::<account>:role/<path/><name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    /// The ARN's partition.
    pub partition: String,
    /// The role's account.
    pub account: String,
    /// The role's name: the last segment of its path.
    pub name: String,
}

impl RoleArn {
    /// Parses a role ARN; `None` when it is not one.
    pub fn parse(arn: &str) -> Option<Self> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
            return None;
        };
        let path = resource.strip_prefix("role/")?;
        let name = path.rsplit('/').next().filter(|n| !n.is_empty())?;
        let well_formed = *prefix == "arn"
            && partition.starts_with("aws")
            && *service == "iam"
            && region.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit());
        well_formed.then(|| Self {
            partition: (*partition).to_owned(),
            account: (*account).to_owned(),
            name: name.to_owned(),
        })
    }
}

/// STS state: which roles are refused, and which need an external id.
#[derive(Debug, Clone)]
pub struct Sts {
    accounts: BTreeSet<String>,
    denied: BTreeSet<String>,
    external_ids: BTreeMap<String, String>,
    issued: u64,
}

impl Sts {
    /// STS as the fixture describes it: the roles of its accounts, less the denied ones.
    pub fn new(fixture: &Fixture) -> Self {
        Self {
            accounts: fixture.accounts().into_iter().map(str::to_owned).collect(),
            denied: fixture.sts.denied_roles.iter().cloned().collect(),
            external_ids: fixture.sts.external_ids.clone(),
            issued: 0,
        }
    }

    /// Makes a role unassumable (`denied`) or assumable again (admin API).
    pub fn set_denied(&mut self, role_arn: &str, denied: bool) -> Result<(), String> {
        if RoleArn::parse(role_arn).is_none() {
            return Err(format!("{role_arn:?} is not an IAM role ARN"));
        }
        if denied {
            self.denied.insert(role_arn.to_owned());
        } else {
            self.denied.remove(role_arn);
        }
        Ok(())
    }

    /// The state dump.
    pub fn snapshot(&self) -> Value {
        json!({
            "deniedRoles": self.denied,
            "externalIds": self.external_ids,
            "credentialsIssued": self.issued,
        })
    }
}

/// The answer to a request signed for STS: `AssumeRole`, or awsQuery's `InvalidAction`.
pub fn execute(
    sts: &mut Sts,
    action: &str,
    fields: &BTreeMap<String, String>,
    caller_account: &str,
    now: i64,
    rng: &mut fastrand::Rng,
) -> Result<String, ApiError> {
    match action {
        "AssumeRole" => assume_role(sts, fields, caller_account, now, rng),
        other => Err(ApiError::unknown_operation(
            crate::protocol::Service::Sts,
            other,
        )),
    }
}

/// `ValidationError` in the wording STS uses for a constraint of the model.
fn validation(member: &str, value: &str, constraint: &str) -> ApiError {
    ApiError::new(
        "ValidationError",
        format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
        ),
    )
}

/// `AccessDenied`, as STS answers a role the caller may not assume.
fn access_denied(caller_account: &str, role_arn: &str, why: &str) -> ApiError {
    ApiError::new(
        "AccessDenied",
        format!(
            "User: a principal of account {caller_account} is not authorized to perform: sts:AssumeRole on resource: {role_arn} ({why})"
        ),
    )
}

fn required<'a>(fields: &'a BTreeMap<String, String>, name: &str) -> Result<&'a str, ApiError> {
    let camel = format!("{}{}", name[..1].to_lowercase(), &name[1..]);
    fields
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| validation(&camel, "null", "Member must not be null"))
}

/// Whether every character is a word character or one of `extra` (the model's
/// `[\w+=,.@-]*`-style patterns).
fn matches_pattern(text: &str, extra: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(c))
}

fn assume_role(
    sts: &mut Sts,
    fields: &BTreeMap<String, String>,
    caller_account: &str,
    now: i64,
    rng: &mut fastrand::Rng,
) -> Result<String, ApiError> {
    let role_arn = required(fields, "RoleArn")?;
    let session = required(fields, "RoleSessionName")?;
    if !ARN_LENGTH.contains(&role_arn.len()) {
        return Err(validation(
            "roleArn",
            role_arn,
            "Member must have length between 20 and 2048",
        ));
    }
    if !SESSION_NAME_LENGTH.contains(&session.len()) {
        return Err(validation(
            "roleSessionName",
            session,
            "Member must have length between 2 and 64",
        ));
    }
    if !matches_pattern(session, "+=,.@-") {
        return Err(validation(
            "roleSessionName",
            session,
            "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
    }
    let duration = match fields.get("DurationSeconds") {
        None => DEFAULT_DURATION,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|d| DURATIONS.contains(d))
            .ok_or_else(|| {
                validation(
                    "durationSeconds",
                    text,
                    "Member must have value between 900 and 43200",
                )
            })?,
    };
    let external_id = fields.get("ExternalId").map(String::as_str);
    if let Some(id) = external_id {
        if !EXTERNAL_ID_LENGTH.contains(&id.len()) || !matches_pattern(id, "+=,.@:/-") {
            return Err(validation(
                "externalId",
                id,
                "Member must have length between 2 and 1224 and satisfy regular expression pattern: [\\w+=,.@:\\/-]*",
            ));
        }
    }
    // An ARN of the right length that names no role: no role of that ARN can trust the caller.
    let role = RoleArn::parse(role_arn)
        .ok_or_else(|| access_denied(caller_account, role_arn, "not an IAM role ARN"))?;
    if !sts.accounts.contains(&role.account) {
        return Err(access_denied(
            caller_account,
            role_arn,
            "no such account in this emulator",
        ));
    }
    if sts.denied.contains(role_arn) {
        return Err(access_denied(
            caller_account,
            role_arn,
            "the role's trust policy does not allow the caller",
        ));
    }
    if let Some(wanted) = sts.external_ids.get(role_arn) {
        if external_id != Some(wanted.as_str()) {
            return Err(access_denied(
                caller_account,
                role_arn,
                "the role's trust policy requires another sts:ExternalId",
            ));
        }
    }
    sts.issued += 1;
    Ok(credentials_xml(&role, session, now + duration, rng))
}

/// `AssumeRoleResult`: fresh credentials in the role's account and the assumed-role user.
fn credentials_xml(role: &RoleArn, session: &str, expires: i64, rng: &mut fastrand::Rng) -> String {
    let key_suffix: String = (0..4).map(|_| upper_alnum(rng)).collect();
    let access_key = format!("{TEMPORARY_KEY_PREFIX}{}{key_suffix}", role.account);
    let secret: String = (0..40).map(|_| upper_alnum(rng)).collect();
    let token: String = (0..96).map(|_| upper_alnum(rng)).collect();
    // A role's unique id is stable: `AROA` and 17 characters (IAM user guide, "Unique
    // identifiers"), derived from the role here so every session of a role shows the same one.
    let hash = role
        .account
        .bytes()
        .chain(role.name.bytes())
        .fold(0u64, |h, b| mix(h ^ u64::from(b)));
    let role_id = format!("AROA{:017X}", hash >> 4)[..21].to_owned();
    let arn = format!(
        "arn:{}:sts::{}:assumed-role/{}/{session}",
        role.partition, role.account, role.name
    );
    format!(
        "<AssumedRoleUser><AssumedRoleId>{role_id}:{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser>\
         <Credentials><AccessKeyId>{access_key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>\
         <SessionToken>{token}</SessionToken><Expiration>{}</Expiration></Credentials>",
        xml_escape(session),
        xml_escape(&arn),
        iso(expires)
    )
}

fn upper_alnum(rng: &mut fastrand::Rng) -> char {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    char::from(CHARS[rng.usize(..CHARS.len())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_keys_name_their_account_and_other_keys_the_home_account() {
        let home = "123456789012";
        for (key, want) in [
            (Some("ASIA234567890123ABCD"), "234567890123"),
            (Some("ASIA2345"), home),
            (Some("ASIAABCDEFGHIJKLMNOP"), home),
            (Some("AKIDEMULATOR"), home),
            (Some("test"), home),
            (None, home),
        ] {
            assert_eq!(account_of_access_key(key, home), want, "{key:?}");
        }
    }

    #[test]
    fn role_arns_are_parsed_with_their_path_and_refused_otherwise() {
        let role = RoleArn::parse("arn:aws:iam::234567890123:role/dr/member-x").expect("a role");
        assert_eq!(role.account, "234567890123");
        assert_eq!(role.name, "member-x");
        for bad in [
            "arn:aws:iam::234567890123:user/x",
            "arn:aws:iam:us-east-1:234567890123:role/x",
            "arn:aws:s3:::234567890123:role/x",
            "arn:aws:iam::2345:role/x",
            "arn:aws:iam::234567890123:role/",
        ] {
            assert!(RoleArn::parse(bad).is_none(), "{bad}");
        }
    }
}
