//! SNS (awsQuery): `Publish` keeps every message; `CreateTopic` and `ListTopics` manage topics.
//!
//! The rules follow the SNS API reference pages of `Publish`, `CreateTopic` and `ListTopics`, and
//! the error codes and statuses of `aws-models/sns.service-2.json`; each names its source below.

use crate::fixture::Fixture;
use crate::protocol::{ApiError, Service};
use crate::util::{iso, page, partition, uuid_lower, xml_escape};
use crate::world::{AwsRequest, World};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The largest message SNS accepts, in bytes (`Publish`: "at most 256 KB (262,144 bytes, not
/// 262,144 characters)").
const MAX_MESSAGE_BYTES: usize = 262_144;
/// Subjects are shorter than this many characters (`Publish`: "must be less than 100 characters
/// long").
const SUBJECT_LIMIT: usize = 100;
/// Topics per `ListTopics` page (`ListTopics`: "Each call returns a limited list of topics, up to
/// 100").
const TOPICS_PAGE: usize = 100;

/// One message attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attribute {
    /// `String`, `Number`, `Binary` or `String.Array` (optionally with a custom suffix).
    pub data_type: String,
    /// The value of string-like types.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    /// The base64 value of binary types.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binary_value: Option<String>,
}

/// One published message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The id `Publish` returned.
    pub message_id: String,
    /// The topic it went to.
    pub topic_arn: String,
    /// The subject, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The body.
    pub message: String,
    /// `json` when the body holds one message per protocol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_structure: Option<String>,
    /// The attributes by name.
    pub message_attributes: BTreeMap<String, Attribute>,
    /// FIFO group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_group_id: Option<String>,
    /// FIFO deduplication id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_deduplication_id: Option<String>,
    /// When it was published, RFC 3339.
    pub timestamp: String,
}

/// SNS state.
#[derive(Debug, Clone)]
pub struct Sns {
    topics: Vec<String>,
    messages: Vec<Message>,
    sequence: u64,
}

/// The decoded form fields of an awsQuery request (query string and body together).
pub fn form(req: &AwsRequest) -> BTreeMap<String, String> {
    let mut fields = req.query_pairs();
    fields.extend(form_urlencoded::parse(&req.body).into_owned());
    fields
}

/// The operation an awsQuery request names.
pub fn operation(fields: &BTreeMap<String, String>) -> String {
    fields.get("Action").cloned().unwrap_or_default()
}

impl Sns {
    /// SNS as the fixture describes it.
    pub fn new(fixture: &Fixture) -> Self {
        Self {
            topics: fixture.sns.topics.clone(),
            messages: Vec::new(),
            sequence: 0,
        }
    }

    /// Every message published so far, oldest first.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The state dump.
    pub fn snapshot(&self) -> Value {
        json!({"topics": self.topics, "messages": self.messages})
    }
}

/// Runs one SNS action; the result is the XML inside `<{Action}Result>`.
pub fn execute(
    world: &mut World,
    action: &str,
    fields: &BTreeMap<String, String>,
    account: &str,
    region: &str,
) -> Result<String, ApiError> {
    match action {
        "Publish" => publish(world, fields),
        "CreateTopic" => create_topic(world, fields, account, region),
        "ListTopics" => list_topics(world, fields),
        _ => Err(ApiError::unknown_operation(Service::Sns, action)),
    }
}

fn invalid(message: &str) -> ApiError {
    ApiError::new("InvalidParameter", format!("Invalid parameter: {message}"))
}

fn publish(world: &mut World, fields: &BTreeMap<String, String>) -> Result<String, ApiError> {
    // Assumption: SMS text messages are not emulated; refused rather than silently dropped.
    if fields.contains_key("PhoneNumber") {
        return Err(invalid(
            "PhoneNumber Reason: SMS delivery is not emulated; publish to a topic",
        ));
    }
    let topic = fields
        .get("TopicArn")
        .or_else(|| fields.get("TargetArn"))
        .ok_or_else(|| invalid("TopicArn or TargetArn Reason: no value for required parameter"))?;
    let message = fields
        .get("Message")
        .filter(|m| !m.is_empty())
        .ok_or_else(|| invalid("Empty message"))?;
    if message.len() > MAX_MESSAGE_BYTES {
        return Err(invalid("Message too long"));
    }
    // `Publish`: a subject "must not include line breaks or control characters", begins with a
    // letter, number or punctuation mark (here: not with white space) and is shorter than 100.
    if let Some(subject) = fields.get("Subject") {
        let printable = subject.chars().all(|c| !c.is_control());
        let starts_well = subject.chars().next().is_some_and(|c| !c.is_whitespace());
        if !starts_well || subject.chars().count() >= SUBJECT_LIMIT || !printable {
            return Err(invalid(
                "Subject Reason: must be shorter than 100 characters, begin with a letter, \
                 number or punctuation mark, and have no line breaks or control characters",
            ));
        }
    }
    if !is_topic_arn(topic) {
        return Err(invalid("TopicArn Reason: is not a topic ARN"));
    }
    // `NotFoundException` (code `NotFound`, 404 in the model).
    if !world.sns.topics.contains(topic) {
        return Err(ApiError::new("NotFound", "Topic does not exist"));
    }
    // `Publish`: "The MessageGroupId is required for FIFO topics" (names ending in `.fifo`).
    let fifo = topic.ends_with(".fifo");
    let group = fields.get("MessageGroupId").cloned();
    if fifo && group.is_none() {
        return Err(invalid(
            "The MessageGroupId parameter is required for FIFO topics",
        ));
    }
    let attributes = attributes(fields)?;
    let message_id = uuid_lower(&mut world.rng);
    let now = world.now();
    world.sns.messages.push(Message {
        message_id: message_id.clone(),
        topic_arn: topic.clone(),
        subject: fields.get("Subject").cloned(),
        message: message.clone(),
        message_structure: fields.get("MessageStructure").cloned(),
        message_attributes: attributes,
        message_group_id: group,
        message_deduplication_id: fields.get("MessageDeduplicationId").cloned(),
        timestamp: iso(now),
    });
    let mut xml = format!("<MessageId>{message_id}</MessageId>");
    if fifo {
        world.sns.sequence += 1;
        xml.push_str(&format!(
            "<SequenceNumber>{:020}</SequenceNumber>",
            world.sns.sequence
        ));
    }
    Ok(xml)
}

/// Whether `arn` is a topic ARN, `arn:<partition>:sns:<region>:<account>:<name>` ("Amazon SNS
/// resource types" in the Service Authorization Reference), in the partition of its region.
fn is_topic_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1] == partition(parts[3])
        && parts[2] == "sns"
        && !parts[5].is_empty()
}

/// `MessageAttributes.entry.N.Name`, `.Value.DataType`, `.Value.StringValue`, `.Value.BinaryValue`;
/// the data types `String`, `Number` and `Binary`, each with an optional custom suffix, and
/// `String.Array` ("Amazon SNS message attributes", SNS developer guide); a refused attribute is
/// `ParameterValueInvalid` (`InvalidParameterValueException` in the model).
fn attributes(fields: &BTreeMap<String, String>) -> Result<BTreeMap<String, Attribute>, ApiError> {
    let mut out = BTreeMap::new();
    let prefix = "MessageAttributes.entry.";
    for (key, name) in fields {
        let Some(n) = key
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(".Name"))
        else {
            continue;
        };
        let get = |member: &str| fields.get(&format!("{prefix}{n}.Value.{member}")).cloned();
        let bad = |why: &str| {
            ApiError::new(
                "ParameterValueInvalid",
                format!("The message attribute '{name}' {why}"),
            )
        };
        let data_type = get("DataType").ok_or_else(|| bad("must contain a non-empty data type"))?;
        let string_value = get("StringValue");
        let binary_value = get("BinaryValue");
        let base = data_type.split('.').next().unwrap_or("");
        match base {
            "String" | "Number" if string_value.is_none() => {
                return Err(bad("must contain a non-empty message attribute value"))
            }
            "Number"
                if string_value
                    .as_deref()
                    .and_then(|v| v.parse::<f64>().ok())
                    .is_none() =>
            {
                return Err(bad("has an invalid numeric value"))
            }
            "Binary" if binary_value.is_none() => {
                return Err(bad("must contain a non-empty binary value"))
            }
            "String" | "Number" | "Binary" => {}
            _ => return Err(bad(&format!("has an invalid data type {data_type:?}"))),
        }
        out.insert(
            name.clone(),
            Attribute {
                data_type,
                string_value,
                binary_value,
            },
        );
    }
    Ok(out)
}

fn create_topic(
    world: &mut World,
    fields: &BTreeMap<String, String>,
    account: &str,
    region: &str,
) -> Result<String, ApiError> {
    let name = fields
        .get("Name")
        .ok_or_else(|| invalid("Name Reason: no value for required parameter"))?;
    // `CreateTopic`: "uppercase and lowercase ASCII letters, numbers, underscores, and hyphens,
    // and must be between 1 and 256 characters long"; a FIFO topic's name ends in `.fifo`.
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    let valid = !base.is_empty()
        && name.len() <= 256
        && base
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(invalid(
            "Topic Name: must be 1 to 256 letters, digits, hyphens or underscores",
        ));
    }
    // The topic belongs to the caller's account, in the region the request is signed for.
    let arn = format!("arn:{}:sns:{region}:{account}:{name}", partition(region));
    // `CreateTopic`: "This action is idempotent, so if the requester already owns a topic with
    // the specified name, that topic's ARN is returned without creating a new topic."
    if !world.sns.topics.contains(&arn) {
        world.sns.topics.push(arn.clone());
    }
    Ok(format!("<TopicArn>{}</TopicArn>", xml_escape(&arn)))
}

fn list_topics(world: &mut World, fields: &BTreeMap<String, String>) -> Result<String, ApiError> {
    let (topics, next) = page(
        &world.sns.topics,
        fields.get("NextToken").map(String::as_str),
        TOPICS_PAGE,
    )
    .map_err(|e| invalid(&format!("NextToken Reason: {e}")))?;
    let mut xml = String::from("<Topics>");
    for t in topics {
        xml.push_str(&format!(
            "<member><TopicArn>{}</TopicArn></member>",
            xml_escape(&t)
        ));
    }
    xml.push_str("</Topics>");
    if let Some(next) = next {
        xml.push_str(&format!("<NextToken>{next}</NextToken>"));
    }
    Ok(xml)
}
