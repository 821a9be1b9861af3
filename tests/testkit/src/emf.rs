//! Checks a log line against the CloudWatch embedded metric format specification
//! ["Specification: Embedded metric format", Amazon CloudWatch User Guide], rule by rule, so a
//! test names the rule a line breaks.

use serde_json::{Map, Value};

/// The units the specification's JSON Schema allows.
const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// A CloudWatch Logs event holds at most 1 MB, and so does an EMF line.
const EVENT_LIMIT: usize = 1024 * 1024;

/// The line as JSON when it follows every MUST of the specification, else the rule it breaks.
pub fn check(line: &str) -> Result<Value, String> {
    if line.len() > EVENT_LIMIT {
        return Err(format!(
            "a line of {} bytes is over the 1 MB event limit",
            line.len()
        ));
    }
    if line.contains('\n') {
        return Err("the line holds a newline: an EMF event is one JSON object".into());
    }
    let value: Value = serde_json::from_str(line)
        .map_err(|e| format!("not a single JSON object with nothing around it: {e}"))?;
    let root = value.as_object().ok_or("the root is not an object")?;
    let aws = object(root.get("_aws"), "_aws")?;
    only(aws, &["Timestamp", "CloudWatchMetrics"], "_aws")?;
    aws.get("Timestamp")
        .and_then(Value::as_u64)
        .ok_or("_aws.Timestamp is not a non-negative integer of milliseconds")?;
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .ok_or("_aws.CloudWatchMetrics is not an array")?;
    for (i, directive) in directives.iter().enumerate() {
        let at = format!("CloudWatchMetrics[{i}]");
        let directive = object(Some(directive), &at)?;
        only(directive, &["Namespace", "Dimensions", "Metrics"], &at)?;
        let namespace = directive
            .get("Namespace")
            .and_then(Value::as_str)
            .ok_or(format!("{at}.Namespace is not a string"))?;
        if !(1..=1024).contains(&namespace.chars().count()) {
            return Err(format!("{at}.Namespace is not 1 to 1024 characters"));
        }
        let sets = directive
            .get("Dimensions")
            .and_then(Value::as_array)
            .filter(|sets| !sets.is_empty())
            .ok_or(format!("{at}.Dimensions is not a non-empty array"))?;
        for set in sets {
            let keys = set
                .as_array()
                .ok_or(format!("{at}: a dimension set is not an array"))?;
            if keys.len() > 30 {
                return Err(format!("{at}: a dimension set has more than 30 dimensions"));
            }
            for key in keys {
                let key = key
                    .as_str()
                    .ok_or(format!("{at}: a dimension key is not a string"))?;
                if !(1..=250).contains(&key.chars().count()) {
                    return Err(format!(
                        "{at}: dimension key {key:?} is not 1 to 250 characters"
                    ));
                }
                let value = root.get(key).and_then(Value::as_str).ok_or(format!(
                    "{at}: dimension {key:?} is not a string member of the root"
                ))?;
                if value.chars().count() > 1024 {
                    return Err(format!("{at}: dimension {key:?} is over 1024 characters"));
                }
            }
        }
        let metrics = directive
            .get("Metrics")
            .and_then(Value::as_array)
            .ok_or(format!("{at}.Metrics is not an array"))?;
        if metrics.len() > 100 {
            return Err(format!("{at}.Metrics holds more than 100 metrics"));
        }
        for metric in metrics {
            let metric = object(Some(metric), &format!("{at}.Metrics[]"))?;
            only(
                metric,
                &["Name", "Unit", "StorageResolution"],
                &format!("{at}.Metrics[]"),
            )?;
            let name = metric
                .get("Name")
                .and_then(Value::as_str)
                .ok_or(format!("{at}: a metric has no Name"))?;
            if !(1..=1024).contains(&name.chars().count()) {
                return Err(format!(
                    "{at}: metric name {name:?} is not 1 to 1024 characters"
                ));
            }
            if let Some(unit) = metric.get("Unit") {
                if !unit.as_str().is_some_and(|u| UNITS.contains(&u)) {
                    return Err(format!(
                        "{at}: {name} has unit {unit}, not a CloudWatch unit"
                    ));
                }
            }
            if let Some(resolution) = metric.get("StorageResolution") {
                if !matches!(resolution.as_u64(), Some(1 | 60)) {
                    return Err(format!("{at}: {name} has StorageResolution {resolution}"));
                }
            }
            match root.get(name) {
                Some(Value::Number(_)) => {}
                Some(Value::Array(values))
                    if values.len() <= 100 && values.iter().all(Value::is_number) => {}
                other => {
                    return Err(format!(
                        "{at}: {name} is not a number or an array of at most 100 numbers: {other:?}"
                    ))
                }
            }
        }
    }
    Ok(value)
}

fn object<'a>(value: Option<&'a Value>, at: &str) -> Result<&'a Map<String, Value>, String> {
    value
        .and_then(Value::as_object)
        .ok_or(format!("{at} is not an object"))
}

/// Objects the specification defines must not have other members.
fn only(object: &Map<String, Value>, allowed: &[&str], at: &str) -> Result<(), String> {
    match object.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(extra) => Err(format!(
            "{at} has a member the specification does not define: {extra}"
        )),
        None => Ok(()),
    }
}
