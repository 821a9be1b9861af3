//! What the tests read of the CloudWatch Embedded Metric Format lines a function writes on
//! stdout, and the check of each line against the specification ("Specification: Embedded
//! metric format", Amazon CloudWatch User Guide), one MUST at a time so a failure names the rule.
//!
//! Where the specification's JSON Schema is looser than the AWS client libraries
//! (aws-embedded-metrics: namespace at most 256 characters, dimension names at most 250, a
//! timestamp no more than two weeks old or two hours ahead), the stricter limit is checked: a
//! line that passes is accepted by both.

use serde_json::{Map, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// The units of the specification's JSON Schema.
pub const UNITS: [&str; 27] = [
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

/// A log event, and so an EMF line, holds at most 1 MB (the CloudWatch Logs event size).
const MAX_LINE_BYTES: usize = 1024 * 1024;
/// Most metric definitions in one directive.
const MAX_METRICS: usize = 100;
/// Most values of one metric.
const MAX_VALUES: usize = 100;
/// Most keys in one dimension set.
const MAX_DIMENSION_KEYS: usize = 30;
/// Longest dimension value.
const MAX_DIMENSION_VALUE: usize = 1024;
/// Longest dimension name (the client libraries' limit; the schema's is the same).
const MAX_DIMENSION_NAME: usize = 250;
/// Longest namespace (the client libraries' limit; the schema allows 1024).
const MAX_NAMESPACE: usize = 256;
/// Longest metric name.
const MAX_METRIC_NAME: usize = 1024;
/// How far a timestamp may lie in the past or the future, ms (the client libraries' limits).
const MAX_AGE_MS: u64 = 14 * 24 * 3600 * 1000;
const MAX_AHEAD_MS: u64 = 2 * 3600 * 1000;

/// The line as JSON when it follows every rule of the specification and was written just now (as
/// a live run's line is), else the first rule it breaks.
pub fn check_live(line: &str) -> Result<Value, String> {
    let value = check(line)?;
    let timestamp = value["_aws"]["Timestamp"].as_u64().unwrap_or(0);
    check_timestamp(timestamp)?;
    Ok(value)
}

/// The line as JSON when it follows every rule of the specification, else the first rule it
/// breaks. Its timestamp may be any time: tests run at fixed clocks; [`check_live`] adds the
/// client libraries' window around now.
pub fn check(line: &str) -> Result<Value, String> {
    if line.len() > MAX_LINE_BYTES {
        return Err(format!(
            "{} bytes, over the 1 MB of a log event",
            line.len()
        ));
    }
    // A single JSON object with nothing before or after it: serde refuses trailing text.
    let value: Value =
        serde_json::from_str(line).map_err(|e| format!("not one JSON value alone: {e}"))?;
    let root = value.as_object().ok_or("the root is not a JSON object")?;
    let aws = member_object(root, "_aws", "the root")?;
    only(aws, &["Timestamp", "CloudWatchMetrics"], "_aws")?;
    aws.get("Timestamp")
        .and_then(Value::as_u64)
        .ok_or("_aws.Timestamp is not an integer number of milliseconds")?;
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .ok_or("_aws.CloudWatchMetrics is not an array")?;
    for (i, directive) in directives.iter().enumerate() {
        check_directive(root, directive).map_err(|e| format!("CloudWatchMetrics[{i}]: {e}"))?;
    }
    Ok(value)
}

fn check_timestamp(timestamp: u64) -> Result<(), String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    if timestamp + MAX_AGE_MS < now || timestamp > now + MAX_AHEAD_MS {
        return Err(format!(
            "_aws.Timestamp {timestamp} is more than two weeks before or two hours after now ({now})"
        ));
    }
    Ok(())
}

fn check_directive(root: &Map<String, Value>, directive: &Value) -> Result<(), String> {
    let directive = directive.as_object().ok_or("not an object")?;
    only(
        directive,
        &["Namespace", "Dimensions", "Metrics"],
        "the directive",
    )?;
    let namespace = directive
        .get("Namespace")
        .and_then(Value::as_str)
        .ok_or("Namespace is not a string")?;
    if !(1..=MAX_NAMESPACE).contains(&namespace.chars().count()) {
        return Err(format!(
            "Namespace {namespace:?} is not 1 to {MAX_NAMESPACE} characters"
        ));
    }
    let sets = directive
        .get("Dimensions")
        .and_then(Value::as_array)
        .ok_or("Dimensions is not an array")?;
    if sets.is_empty() {
        return Err("Dimensions holds no dimension set".to_owned());
    }
    for set in sets {
        let keys = set.as_array().ok_or("a dimension set is not an array")?;
        if keys.len() > MAX_DIMENSION_KEYS {
            return Err(format!(
                "a dimension set of {} keys, over {MAX_DIMENSION_KEYS}",
                keys.len()
            ));
        }
        for key in keys {
            let key = key.as_str().ok_or("a dimension key is not a string")?;
            if !(1..=MAX_DIMENSION_NAME).contains(&key.chars().count()) {
                return Err(format!(
                    "dimension {key:?} is not 1 to {MAX_DIMENSION_NAME} characters"
                ));
            }
            let target = root
                .get(key)
                .ok_or_else(|| format!("dimension {key:?} is not a member of the root"))?;
            let target = target
                .as_str()
                .ok_or_else(|| format!("dimension {key:?} is not a string: {target}"))?;
            if target.chars().count() > MAX_DIMENSION_VALUE {
                return Err(format!(
                    "dimension {key:?} is over {MAX_DIMENSION_VALUE} characters"
                ));
            }
        }
    }
    let metrics = directive
        .get("Metrics")
        .and_then(Value::as_array)
        .ok_or("Metrics is not an array")?;
    if metrics.len() > MAX_METRICS {
        return Err(format!("{} metrics, over {MAX_METRICS}", metrics.len()));
    }
    for metric in metrics {
        check_metric(root, metric)?;
    }
    Ok(())
}

fn check_metric(root: &Map<String, Value>, metric: &Value) -> Result<(), String> {
    let metric = metric
        .as_object()
        .ok_or("a metric definition is not an object")?;
    only(
        metric,
        &["Name", "Unit", "StorageResolution"],
        "a metric definition",
    )?;
    let name = metric
        .get("Name")
        .and_then(Value::as_str)
        .ok_or("a metric definition has no string Name")?;
    if !(1..=MAX_METRIC_NAME).contains(&name.chars().count()) {
        return Err(format!(
            "metric name {name:?} is not 1 to {MAX_METRIC_NAME} characters"
        ));
    }
    match root.get(name) {
        Some(Value::Number(_)) => {}
        Some(Value::Array(values)) => {
            if values.len() > MAX_VALUES {
                return Err(format!(
                    "metric {name} has {} values, over {MAX_VALUES}",
                    values.len()
                ));
            }
            if !values.iter().all(Value::is_number) {
                return Err(format!("metric {name} is an array of other than numbers"));
            }
        }
        Some(other) => {
            return Err(format!(
                "metric {name} is neither a number nor numbers: {other}"
            ))
        }
        None => return Err(format!("metric {name} is not a member of the root")),
    }
    if let Some(unit) = metric.get("Unit") {
        let unit = unit
            .as_str()
            .ok_or_else(|| format!("metric {name}: Unit is not a string"))?;
        if !UNITS.contains(&unit) {
            return Err(format!(
                "metric {name}: unit {unit:?} is not a CloudWatch unit"
            ));
        }
    }
    if let Some(resolution) = metric.get("StorageResolution") {
        if !matches!(resolution.as_u64(), Some(1 | 60)) {
            return Err(format!(
                "metric {name}: StorageResolution {resolution} is not 1 or 60"
            ));
        }
    }
    Ok(())
}

/// An object member of `parent`.
fn member_object<'a>(
    parent: &'a Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<&'a Map<String, Value>, String> {
    parent
        .get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{what} has no object {key}"))
}

/// The specification's objects hold only their own members.
fn only(object: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), String> {
    match object.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(extra) => Err(format!(
            "{what} has the member {extra:?}, which the specification does not define"
        )),
        None => Ok(()),
    }
}

/// The names of every metric a line's directives define.
pub fn metric_names(line: &Value) -> Vec<&str> {
    line.pointer("/_aws/CloudWatchMetrics")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| d.get("Metrics").and_then(Value::as_array))
        .flatten()
        .filter_map(|m| m.get("Name").and_then(Value::as_str))
        .collect()
}

/// The dimension sets of a line's first directive, e.g. `[["Function"]]`.
pub fn dimension_sets(line: &Value) -> Option<&Value> {
    line.pointer("/_aws/CloudWatchMetrics/0/Dimensions")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now_ms() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    /// The specification's own example, with a timestamp of now.
    fn example() -> Value {
        json!({
            "_aws": {
                "Timestamp": now_ms(),
                "CloudWatchMetrics": [{
                    "Namespace": "lambda-function-metrics",
                    "Dimensions": [["functionVersion"]],
                    "Metrics": [{"Name": "time", "Unit": "Milliseconds", "StorageResolution": 60}]
                }]
            },
            "functionVersion": "$LATEST",
            "time": 100,
            "requestId": "989ffbf8-9ace-4817-a57c-e4dd734019ee"
        })
    }

    #[test]
    fn the_specifications_example_passes() {
        assert!(check(&example().to_string()).is_ok());
    }

    /// A change that breaks one rule.
    type Breaks = Box<dyn Fn(&mut Value)>;

    #[test]
    fn each_broken_rule_is_named() {
        let cases: Vec<(&str, Breaks)> = vec![
            (
                "no object _aws",
                Box::new(|v| {
                    v["_aws"] = json!(1);
                }),
            ),
            (
                "Timestamp",
                Box::new(|v| {
                    v["_aws"]["Timestamp"] = json!("now");
                }),
            ),
            (
                "not an array",
                Box::new(|v| {
                    v["_aws"]["CloudWatchMetrics"] = json!({});
                }),
            ),
            (
                "specification does not define",
                Box::new(|v| {
                    v["_aws"]["Extra"] = json!(1);
                }),
            ),
            (
                "Namespace",
                Box::new(|v| {
                    v["_aws"]["CloudWatchMetrics"][0]["Namespace"] = json!("x".repeat(257));
                }),
            ),
            (
                "no dimension set",
                Box::new(|v| {
                    v["_aws"]["CloudWatchMetrics"][0]["Dimensions"] = json!([]);
                }),
            ),
            (
                "over 30",
                Box::new(|v| {
                    let keys: Vec<String> = (0..31).map(|i| format!("d{i}")).collect();
                    for k in &keys {
                        v[k.as_str()] = json!("x");
                    }
                    v["_aws"]["CloudWatchMetrics"][0]["Dimensions"] = json!([keys]);
                }),
            ),
            (
                "not a member of the root",
                Box::new(|v| {
                    v["_aws"]["CloudWatchMetrics"][0]["Dimensions"] = json!([["missing"]]);
                }),
            ),
            (
                "not a string",
                Box::new(|v| {
                    v["functionVersion"] = json!(3);
                }),
            ),
            (
                "over 1024",
                Box::new(|v| {
                    v["functionVersion"] = json!("x".repeat(1025));
                }),
            ),
            (
                "neither a number",
                Box::new(|v| {
                    v["time"] = json!("fast");
                }),
            ),
            (
                "over 100",
                Box::new(|v| {
                    v["time"] = json!(vec![1; 101]);
                }),
            ),
            (
                "unit",
                Box::new(|v| {
                    v["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = json!("Hours");
                }),
            ),
            (
                "StorageResolution",
                Box::new(|v| {
                    v["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["StorageResolution"] = json!(5);
                }),
            ),
            (
                "metrics, over 100",
                Box::new(|v| {
                    let metrics: Vec<Value> = (0..101)
                        .map(|i| {
                            v[format!("m{i}").as_str()] = json!(1);
                            json!({"Name": format!("m{i}")})
                        })
                        .collect();
                    v["_aws"]["CloudWatchMetrics"][0]["Metrics"] = json!(metrics);
                }),
            ),
        ];
        for (rule, breaks) in cases {
            let mut line = example();
            breaks(&mut line);
            let err = check(&line.to_string()).expect_err(rule);
            assert!(err.contains(rule), "{rule}: {err}");
        }
    }

    #[test]
    fn a_live_line_must_be_stamped_within_two_weeks_of_now() {
        let mut line = example();
        assert!(check_live(&line.to_string()).is_ok());
        line["_aws"]["Timestamp"] = json!(1);
        assert!(check(&line.to_string()).is_ok());
        let err = check_live(&line.to_string()).expect_err("an old line");
        assert!(err.contains("two weeks"), "{err}");
    }

    #[test]
    fn text_after_the_object_is_refused() {
        let line = format!("{} trailing", example());
        assert!(check(&line).is_err());
    }
}
