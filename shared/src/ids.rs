//! Identifiers AWS gives a pattern to, parsed once into types.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A DRS or MGN source server id: `s-` and 17 letters or digits, the `SourceServerID` pattern
/// `s-[0-9a-zA-Z]{17}` of both services' API models.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SourceServerId(String);

/// Text that is not a source server id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a source server id (s- followed by 17 letters or digits)")]
pub struct NotASourceServerId(pub String);

impl SourceServerId {
    /// Parses `s-` and 17 ASCII letters or digits.
    pub fn parse(text: &str) -> Result<Self, NotASourceServerId> {
        let valid = text.len() == 19
            && text.starts_with("s-")
            && text[2..].bytes().all(|b| b.is_ascii_alphanumeric());
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(NotASourceServerId(text.to_owned()))
        }
    }

    /// The id as AWS takes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SourceServerId {
    type Err = NotASourceServerId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for SourceServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for SourceServerId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for SourceServerId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl From<SourceServerId> for String {
    fn from(id: SourceServerId) -> Self {
        id.0
    }
}

impl From<&SourceServerId> for String {
    fn from(id: &SourceServerId) -> Self {
        id.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_of_s_and_seventeen_letters_or_digits_parses() {
        let id = SourceServerId::parse("s-1234567890abcdefA").unwrap();
        assert_eq!(id.as_str(), "s-1234567890abcdefA");
        assert_eq!(id.to_string(), "s-1234567890abcdefA");
    }

    #[test]
    fn anything_else_is_refused_naming_it() {
        for text in [
            "",
            "s-123",
            "s-1234567890abcdef01",
            "i-1234567890abcdef0",
            "s-1234567890abcdef_",
            "x-1234567890abcdef0",
            "web-1",
        ] {
            assert_eq!(
                SourceServerId::parse(text),
                Err(NotASourceServerId(text.to_owned())),
                "{text}"
            );
        }
    }

    #[test]
    fn an_id_serialises_as_its_text() {
        let id = SourceServerId::parse("s-1234567890abcdef0").unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"s-1234567890abcdef0\""
        );
    }
}
