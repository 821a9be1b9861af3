//! The contract between the fleet state machine (infra/statemachine/fleet.asl.json) and the
//! functions: what its Distributed Map hands each function is a one-target invoke the function
//! accepts, never carrying a role, and a failure is retried or tolerated as the functions report
//! it. The definition is read as CloudFormation deploys it, after its DefinitionSubstitutions.

use dr_core::invocation::HandlerError;
use dr_core::trigger::{self, Event};
use serde_json::{json, Map, Value};
use std::fs;
use std::path::Path;

/// A value of each substitution the template gives (infra/template.yaml, DefinitionSubstitutions).
const SUBSTITUTIONS: [(&str, &str); 3] = [
    ("Partition", "aws"),
    (
        "FunctionArn",
        "arn:aws:lambda:us-east-1:123456789012:function:dr-automation-fn",
    ),
    ("MaxConcurrency", "8"),
];

/// A fleet entry with everything a target may carry, including what must not reach the function.
const MEMBER_ROLE: &str = "arn:aws:iam::234567890123:role/x";
const EXTERNAL_ID: &str = "shared-secret";

/// The definition after the substitutions, as deployed.
fn definition() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/statemachine/fleet.asl.json");
    let mut text = fs::read_to_string(&path).expect("the state machine definition is readable");
    for (key, value) in SUBSTITUTIONS {
        text = text.replace(&format!("${{{key}}}"), value);
    }
    assert!(
        !text.contains("${"),
        "a placeholder has no substitution: {text}"
    );
    serde_json::from_str(&text).expect("the substituted definition is JSON")
}

/// The state the machine starts at: the Distributed Map.
fn map_state(definition: &Value) -> &Value {
    let start = definition["StartAt"]
        .as_str()
        .expect("StartAt names a state");
    let state = &definition["States"][start];
    assert_eq!(state["Type"], "Map", "the first state is the Map: {state}");
    state
}

/// The state each child workflow runs: the Lambda invoke task.
fn item_task(map: &Value) -> &Value {
    let processor = &map["ItemProcessor"];
    let start = processor["StartAt"]
        .as_str()
        .expect("the processor names its first state");
    let task = &processor["States"][start];
    assert_eq!(task["Type"], "Task", "the item state is a Task: {task}");
    task
}

/// The schedule's input: `{"schedule", "fleet"}` with a member target.
fn state_input() -> Value {
    json!({
        "schedule": "s",
        "fleet": [{
            "account": "234567890123",
            "region": "us-west-2",
            "role": MEMBER_ROLE,
            "externalId": EXTERNAL_ID,
        }],
    })
}

/// Resolves the simple reference paths the definition uses: `$.a.b` on the state input and
/// `$$.Map.Item.Value.a` on the item (the Map's context object).
fn resolve(path: &str, input: &Value, item: &Value) -> Value {
    let (root, rest) = if let Some(rest) = path.strip_prefix("$$.Map.Item.Value") {
        (item, rest)
    } else if let Some(rest) = path.strip_prefix('$') {
        (input, rest)
    } else {
        panic!("not a reference path: {path}");
    };
    rest.split('.')
        .filter(|field| !field.is_empty())
        .fold(root, |value, field| &value[field])
        .clone()
}

/// Applies a payload template (ItemSelector, Parameters, ResultSelector): a `.$` field takes
/// the value its path resolves to, every other value is copied.
fn apply(template: &Value, input: &Value, item: &Value) -> Value {
    match template {
        Value::Object(fields) => {
            let mut out = Map::new();
            for (key, value) in fields {
                match key.strip_suffix(".$") {
                    Some(name) => {
                        let path = value.as_str().expect("a .$ field holds a path");
                        out.insert(name.to_owned(), resolve(path, input, item));
                    }
                    None => {
                        out.insert(key.clone(), apply(value, input, item));
                    }
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// What the Map hands the function for the first (only) target of the sample input.
fn payload_for_first_target() -> Value {
    let definition = definition();
    let map = map_state(&definition);
    let input = state_input();
    let items_path = map["ItemsPath"].as_str().expect("ItemsPath is a path");
    let items = resolve(items_path, &input, &Value::Null);
    let item = &items[0];
    let selected = apply(&map["ItemSelector"], &input, item);
    let parameters = apply(&item_task(map)["Parameters"], &selected, &Value::Null);
    parameters["Payload"].clone()
}

/// Every string anywhere in `value`.
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(fields) => fields
            .iter()
            .flat_map(|(k, v)| std::iter::once(k.clone()).chain(strings(v)))
            .collect(),
        _ => Vec::new(),
    }
}

#[test]
fn the_map_iterates_the_fleet_of_the_input_in_distributed_mode() {
    let definition = definition();
    let map = map_state(&definition);
    assert_eq!(map["ItemsPath"], "$.fleet");
    assert_eq!(
        map["ItemProcessor"]["ProcessorConfig"]["Mode"],
        "DISTRIBUTED"
    );
    assert_eq!(
        map["ItemProcessor"]["ProcessorConfig"]["ExecutionType"],
        "STANDARD"
    );
}

#[test]
fn the_map_runs_at_most_the_configured_number_of_targets_at_once() {
    let definition = definition();
    assert_eq!(map_state(&definition)["MaxConcurrency"], 8);
}

#[test]
fn the_function_accepts_what_the_map_hands_it_as_a_run_of_that_one_target() {
    let payload = payload_for_first_target();
    let trigger = trigger::parse(&payload).expect("the function accepts the one-target invoke");
    let target = trigger.target().expect("the invoke names its target");
    assert_eq!(
        (target.account.as_str(), target.region.as_str()),
        ("234567890123", "us-west-2")
    );
    assert_eq!(trigger.events.len(), 1, "{:?}", trigger.events);
    match &trigger.events[0] {
        Event::Schedule(schedule) => assert_eq!(schedule.name.as_deref(), Some("s")),
        other => panic!("expected the schedule, found {other:?}"),
    }
}

#[test]
fn no_role_or_external_id_of_the_fleet_reaches_the_function() {
    let payload = payload_for_first_target();
    let found = strings(&payload);
    for secret in [MEMBER_ROLE, EXTERNAL_ID, "role", "externalId"] {
        assert!(
            !found.iter().any(|s| s.contains(secret)),
            "{secret} in {payload}"
        );
    }
}

#[test]
fn each_child_invokes_the_function_synchronously_with_its_item() {
    let definition = definition();
    let task = item_task(map_state(&definition));
    assert_eq!(task["Resource"], "arn:aws:states:::lambda:invoke");
    assert_eq!(task["Parameters"]["FunctionName"], SUBSTITUTIONS[1].1);
    assert_eq!(task["Parameters"]["Payload.$"], "$");
}

#[test]
fn a_child_keeps_only_the_reports_status_counts_and_target_sections() {
    let definition = definition();
    let task = item_task(map_state(&definition));
    let result = json!({
        "StatusCode": 200,
        "Payload": {
            "status": "SUCCEEDED",
            "counts": {"done": 1},
            "targets": [{"account": "234567890123", "region": "us-west-2"}],
            "outcomes": [{"target": "s-1234567890abcdef0"}],
        },
    });
    let kept = apply(&task["ResultSelector"], &result, &Value::Null);
    assert_eq!(
        kept,
        json!({
            "status": "SUCCEEDED",
            "counts": {"done": 1},
            "targets": [{"account": "234567890123", "region": "us-west-2"}],
        })
    );
}

#[test]
fn a_retryable_failure_of_the_function_is_retried_with_backoff() {
    let definition = definition();
    let retry = item_task(map_state(&definition))["Retry"]
        .as_array()
        .expect("the item task retries")
        .clone();
    let error_type = HandlerError::Retryable(String::new()).error_type();
    let retrier = retry
        .iter()
        .find(|r| {
            r["ErrorEquals"]
                .as_array()
                .is_some_and(|e| e.contains(&json!(error_type)))
        })
        .unwrap_or_else(|| panic!("no retrier for {error_type}: {retry:?}"));
    assert!(
        retrier["BackoffRate"]
            .as_f64()
            .is_some_and(|rate| rate > 1.0),
        "{retrier}"
    );
    assert!(
        retrier["MaxAttempts"].as_u64().is_some_and(|n| n >= 1),
        "{retrier}"
    );
}

#[test]
fn lambda_throttling_and_service_errors_are_retried_with_backoff() {
    let definition = definition();
    let retry = &item_task(map_state(&definition))["Retry"];
    for error in [
        "Lambda.TooManyRequestsException",
        "Lambda.ServiceException",
        "Lambda.SdkClientException",
    ] {
        let retrier = retry
            .as_array()
            .and_then(|r| {
                r.iter().find(|r| {
                    r["ErrorEquals"]
                        .as_array()
                        .is_some_and(|e| e.contains(&json!(error)))
                })
            })
            .unwrap_or_else(|| panic!("no retrier for {error}: {retry}"));
        assert!(
            retrier["BackoffRate"]
                .as_f64()
                .is_some_and(|rate| rate > 1.0),
            "{retrier}"
        );
    }
}

#[test]
fn one_targets_failure_never_stops_the_others() {
    let definition = definition();
    assert_eq!(map_state(&definition)["ToleratedFailurePercentage"], 100);
}
