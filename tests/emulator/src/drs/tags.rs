//! DRS tagging: `TagResource` (POST), `ListTagsForResource` (GET) and `UntagResource` (DELETE)
//! on `/tags/{resourceArn}`, for the source servers, jobs, recovery instances, recovery plans
//! and recovery plan executions of the partition.
//!
//! Shapes, limits and errors are drs.service-2.json's; ARNs are the resource types of
//! "Actions, resources, and condition keys for AWS Elastic Disaster Recovery" (Service
//! Authorization Reference).

use crate::drs::validation;
use crate::protocol::{ApiError, Service};
use crate::util::partition;
use crate::world::{AwsRequest, Scope};
use axum::http::Method;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The path of every tagging operation, before the resource ARN.
pub(crate) const PREFIX: &str = "/tags/";

/// "Each resource can have a maximum of 50 tags" (model, TagResource).
const MAX_TAGS: usize = 50;

/// Most characters of a tag key or value (the model's TagKey and TagValue, 0 to 256).
const MAX_TAG_TEXT: usize = 256;

/// The tagging operation a method on `/tags/{resourceArn}` names.
pub(crate) fn operation(method: &Method) -> Option<&'static str> {
    match *method {
        Method::POST => Some("TagResource"),
        Method::GET => Some("ListTagsForResource"),
        Method::DELETE => Some("UntagResource"),
        _ => None,
    }
}

#[derive(Debug, Default, Deserialize)]
struct TagInput {
    tags: Option<BTreeMap<String, String>>,
}

/// Runs one tagging operation. The model gives these operations no
/// UninitializedAccountException, so they answer in an uninitialised account too.
pub(super) fn execute(
    world: &mut Scope<'_>,
    op: &str,
    req: &AwsRequest,
) -> Result<Value, ApiError> {
    let raw = req.path.strip_prefix(PREFIX).unwrap_or_default();
    let arn = percent_decode_str(raw).decode_utf8_lossy().into_owned();
    // The model's ARN: "arn:.{16,2044}", 20 to 2048 characters.
    if !(20..=2048).contains(&arn.len()) || !arn.starts_with("arn:") {
        return Err(validation(
            "resourceArn",
            "must match the pattern arn:.{16,2044}",
        ));
    }
    match op {
        "ListTagsForResource" => {
            let tags = tags_mut(world, &arn)?;
            Ok(json!({ "tags": tags }))
        }
        "TagResource" => {
            let input: TagInput = req.json(Service::Drs)?;
            let add = input
                .tags
                .ok_or_else(|| validation("tags", "is required"))?;
            check_text(&add)?;
            let tags = tags_mut(world, &arn)?;
            check_count(tags.len() + add.keys().filter(|k| !tags.contains_key(*k)).count())?;
            // "When you specify an existing tag key, the value is overwritten" (model).
            tags.extend(add);
            Ok(json!({}))
        }
        _ => {
            let keys: Vec<String> = form_urlencoded::parse(req.query.as_bytes())
                .filter(|(k, _)| k == "tagKeys")
                .map(|(_, v)| v.into_owned())
                .collect();
            if keys.is_empty() {
                return Err(validation("tagKeys", "is required"));
            }
            let tags = tags_mut(world, &arn)?;
            for key in &keys {
                tags.remove(key);
            }
            Ok(json!({}))
        }
    }
}

/// Refuses a tag key or value over 256 characters (the model's TagKey and TagValue) with a
/// ValidationException.
pub(crate) fn check_text(tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
    match tags
        .iter()
        .find(|(k, v)| k.chars().count() > MAX_TAG_TEXT || v.chars().count() > MAX_TAG_TEXT)
    {
        Some((key, _)) => Err(validation(
            "tags",
            &format!("tag {key:?}: keys and values have at most 256 characters"),
        )),
        None => Ok(()),
    }
}

/// Refuses `total` tags on one resource over the model's 50 with a ValidationException.
pub(crate) fn check_count(total: usize) -> Result<(), ApiError> {
    if total > MAX_TAGS {
        return Err(validation(
            "tags",
            &format!("a resource can have at most {MAX_TAGS} tags, this would make {total}"),
        ));
    }
    Ok(())
}

/// The tags of the resource `arn` names in this partition
/// (`arn:<partition>:drs:<region>:<account>:<type>/<id>`), or the model's
/// ResourceNotFoundException.
fn tags_mut<'a>(
    world: &'a mut Scope<'_>,
    arn: &str,
) -> Result<&'a mut BTreeMap<String, String>, ApiError> {
    let region = world.region;
    let prefix = format!(
        "arn:{}:drs:{region}:{}:",
        partition(region),
        world.account_id
    );
    let found = arn
        .strip_prefix(&prefix)
        .and_then(|resource| resource.split_once('/'))
        .and_then(|(kind, id)| {
            if kind == "source-server" {
                let index = *world.drs.by_id.get(id)?;
                return Some(&mut world.drs.servers[index].spec.tags);
            }
            world.drs.recovery.tags_mut(kind, id)
        });
    found.ok_or_else(|| {
        ApiError::new(
            "ResourceNotFoundException",
            format!("Resource {arn} not found"),
        )
        .with("resourceId", arn)
    })
}
