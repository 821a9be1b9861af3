//! Why an event could not be turned into a trigger.

/// Why an event could not be turned into a [`super::Trigger`]: the field at fault and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    /// The event is not a JSON object.
    #[error("event is a JSON {found}, expected an object")]
    NotAnObject {
        /// The JSON type found.
        found: &'static str,
    },
    /// A field is missing, of the wrong type, or has an invalid value.
    #[error("field `{field}`: {problem}")]
    Field {
        /// Path of the field, e.g. `Records[0].Sns.Message`.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// An EventBridge event from a source no function is subscribed to.
    #[error("unsupported EventBridge event: source `{source_name}`, detail-type `{detail_type}`")]
    UnsupportedEvent {
        /// The event's `source`.
        source_name: String,
        /// The event's `detail-type`.
        detail_type: String,
    },
    /// The event matches no known shape.
    #[error("unrecognised event: {0}")]
    Unrecognised(String),
    /// The event comes from another account than the one the function serves.
    #[error("{what} is from account {account}; this function serves {served}")]
    ForeignAccount {
        /// Where the event names its account.
        what: &'static str,
        /// The account the event comes from.
        account: String,
        /// The accounts the function serves, and the variable that says so.
        served: String,
    },
    /// A direct invoke names a target that is not in the fleet.
    #[error("target {account}/{region} is not in the fleet (FLEET); nothing was done")]
    NotInFleet {
        /// The account named.
        account: String,
        /// The region named.
        region: String,
    },
}

impl TriggerError {
    pub(crate) fn field(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Field {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// The same error for a field nested under `prefix`.
    pub(crate) fn within(self, prefix: &str) -> Self {
        match self {
            Self::Field { field, problem } => Self::Field {
                field: match (prefix.is_empty(), field.is_empty()) {
                    (true, _) => field,
                    (false, true) => prefix.to_owned(),
                    (false, false) => format!("{prefix}.{field}"),
                },
                problem,
            },
            other => other,
        }
    }
}

/// Deserializes `value` as `T`, naming the path of the field at fault when it does not fit.
pub(crate) fn typed<T: serde::de::DeserializeOwned>(
    value: &serde_json::Value,
) -> Result<T, TriggerError> {
    serde_path_to_error::deserialize(value).map_err(located)
}

/// The error at the path serde reached. serde reports a missing field at the object that lacks
/// it; the field itself is named instead, as a reader looks for it.
fn located(e: serde_path_to_error::Error<serde_json::Error>) -> TriggerError {
    let path = e.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let problem = e.into_inner().to_string();
    let missing = problem
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name.to_owned());
    match missing {
        Some(name) => TriggerError::field(name, "is missing").within(&path),
        None => TriggerError::field(path, problem),
    }
}

/// The JSON type of `v`, for messages.
pub(crate) fn type_name(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
