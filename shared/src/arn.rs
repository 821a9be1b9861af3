//! Amazon Resource Names, parsed once into their parts.
//!
//! The format is `arn:partition:service:region:account-id:resource` ["Identify AWS resources with
//! Amazon Resource Names (ARNs)", IAM user guide]. Region and account are empty for some services
//! (S3 buckets, IAM is global), and the resource may itself contain `:` or `/`.

use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An ARN whose shape was checked: the `arn` prefix, a partition, a service and a resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arn {
    text: String,
    /// Byte offsets of the five `:` separators in `text`.
    colons: [usize; 5],
}

/// Why a text is not the ARN it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    /// It does not have the six parts of an ARN.
    #[error("`{0}` is not an ARN")]
    NotAnArn(String),
    /// It is an ARN of another service.
    #[error("`{value}` is an ARN of service `{service}`, expected `{expected}`")]
    WrongService {
        /// The ARN as given.
        value: String,
        /// Its service.
        service: String,
        /// The service it should be of.
        expected: String,
    },
}

impl Arn {
    /// Parses any ARN.
    pub fn parse(value: &str) -> Result<Self, ArnError> {
        let not_an_arn = || ArnError::NotAnArn(value.to_owned());
        let mut colons = [0; 5];
        let mut found = value.match_indices(':').map(|(i, _)| i);
        for slot in &mut colons {
            *slot = found.next().ok_or_else(not_an_arn)?;
        }
        let arn = Self {
            text: value.to_owned(),
            colons,
        };
        let well_formed = &arn.text[..colons[0]] == "arn"
            && !arn.partition().is_empty()
            && !arn.service().is_empty()
            && !arn.resource().is_empty();
        well_formed.then_some(arn).ok_or_else(not_an_arn)
    }

    /// Parses an ARN that must be of `service` (for example `sns`).
    pub fn of_service(value: &str, service: &str) -> Result<Self, ArnError> {
        let arn = Self::parse(value)?;
        if arn.service() != service {
            return Err(ArnError::WrongService {
                value: value.to_owned(),
                service: arn.service().to_owned(),
                expected: service.to_owned(),
            });
        }
        Ok(arn)
    }

    /// The whole ARN, as AWS APIs take it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The partition: `aws`, `aws-cn`, `aws-us-gov`...
    pub fn partition(&self) -> &str {
        self.part(0)
    }

    /// The service namespace: `sns`, `backup`, `drs`...
    pub fn service(&self) -> &str {
        self.part(1)
    }

    /// The region; `None` for global resources.
    pub fn region(&self) -> Option<&str> {
        Some(self.part(2)).filter(|r| !r.is_empty())
    }

    /// The owning account id; `None` where the service leaves it out.
    pub fn account(&self) -> Option<&str> {
        Some(self.part(3)).filter(|a| !a.is_empty())
    }

    /// Everything after the account: `topic-name`, `backup-vault:name`, `role/name`...
    pub fn resource(&self) -> &str {
        &self.text[self.colons[4] + 1..]
    }

    /// The text between separator `i` and the next.
    fn part(&self, i: usize) -> &str {
        &self.text[self.colons[i] + 1..self.colons[i + 1]]
    }
}

impl FromStr for Arn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl AsRef<str> for Arn {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl PartialEq<str> for Arn {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl Serialize for Arn {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arn_splits_into_its_parts() {
        let arn = Arn::parse("arn:aws:backup:eu-west-1:123456789012:backup-vault:primary").unwrap();
        assert_eq!(arn.partition(), "aws");
        assert_eq!(arn.service(), "backup");
        assert_eq!(arn.region(), Some("eu-west-1"));
        assert_eq!(arn.account(), Some("123456789012"));
        assert_eq!(arn.resource(), "backup-vault:primary");
    }

    #[test]
    fn a_global_arn_has_no_region() {
        let arn = Arn::parse("arn:aws:iam::123456789012:role/copy").unwrap();
        assert_eq!(arn.region(), None);
        assert_eq!(arn.account(), Some("123456789012"));
        assert_eq!(arn.resource(), "role/copy");
    }

    #[test]
    fn an_arn_without_account_has_none() {
        assert_eq!(Arn::parse("arn:aws:s3:::bucket").unwrap().account(), None);
    }

    #[test]
    fn a_resource_keeps_its_colons() {
        let arn = Arn::parse("arn:aws-cn:sns:cn-north-1:123456789012:a:b:c").unwrap();
        assert_eq!(arn.resource(), "a:b:c");
        assert_eq!(arn.as_str(), "arn:aws-cn:sns:cn-north-1:123456789012:a:b:c");
    }

    #[test]
    fn text_that_is_not_an_arn_is_refused_naming_it() {
        for text in [
            "reports",
            "arn:aws:sns:us-east-1:123456789012",
            "arn:aws:sns:us-east-1:123456789012:",
            "urn:aws:sns:us-east-1:123456789012:t",
            "arn::sns:us-east-1:123456789012:t",
            "arn:aws::us-east-1:123456789012:t",
        ] {
            assert_eq!(
                Arn::parse(text),
                Err(ArnError::NotAnArn(text.to_owned())),
                "{text}"
            );
        }
    }

    #[test]
    fn an_arn_of_another_service_is_refused_naming_both() {
        let err = Arn::of_service("arn:aws:sqs:us-east-1:123456789012:q", "sns").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`arn:aws:sqs:us-east-1:123456789012:q` is an ARN of service `sqs`, expected `sns`"
        );
    }

    #[test]
    fn an_arn_serialises_as_its_text() {
        let arn = Arn::parse("arn:aws:sns:us-east-1:123456789012:t").unwrap();
        assert_eq!(
            serde_json::to_string(&arn).unwrap(),
            "\"arn:aws:sns:us-east-1:123456789012:t\""
        );
    }
}
