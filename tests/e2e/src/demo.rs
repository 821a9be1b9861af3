//! The demo configuration, read from `tools/demo/config.json`, the file `tools/demo.py` (`make
//! demo`) reads too: the environment every function gets, the topics, and the demo's steps. Also
//! the side effects that matter, read from the emulator's state dump, so tests can compare two runs
//! without the ids and times the emulator generates.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The demo configuration file, as `make demo` reads it.
const CONFIG: &str = include_str!("../../../tools/demo/config.json");

/// The three functions.
pub const FUNCTIONS: [&str; 3] = [
    "drs-start-replication",
    "sms-replication-jobs",
    "backup-copy-fanout",
];

/// The demo SMS servers the demo configuration names, in the order the sample events' placeholder
/// job ids (`sms-job-0a1b2c3d4e5f6000N`, N from 1) stand for their jobs.
pub const SMS_PLACEHOLDER_SERVERS: [&str; 3] = ["s-5a1c0e7f", "s-5a1c0e80", "s-5a1c0e83"];

/// Why `tools/demo/config.json` cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("tools/demo/config.json: {0}")]
pub struct DemoError(String);

/// One step of the demo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `function` invoked with its sample event `events/<function>/<event>`.
    Invoke {
        /// The function invoked.
        function: String,
        /// The sample event's file name.
        event: String,
    },
    /// The emulator's clock moved on `hours`, in `steps` steps of the emulated services.
    Advance {
        /// How far the clock moves.
        hours: u64,
        /// How many steps the services take on the way.
        steps: u64,
    },
}

/// The demo configuration.
#[derive(Debug)]
pub struct Demo {
    reports_topic: String,
    trigger_topics: BTreeMap<String, String>,
    env: Vec<(String, String)>,
    steps: Vec<Step>,
}

impl Demo {
    /// Reads a configuration in the format of `tools/demo/config.json`.
    pub fn parse(text: &str) -> Result<Self, DemoError> {
        let config: Value =
            serde_json::from_str(text).map_err(|e| DemoError(format!("not JSON: {e}")))?;
        let text_at = |v: &Value, at: &str| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| DemoError(format!("{at}: is not a string")))
        };
        let object_at = |v: &'_ Value, at: &str| {
            v.as_object()
                .cloned()
                .ok_or_else(|| DemoError(format!("{at}: is not an object")))
        };
        let reports_topic = text_at(&config["topics"]["reports"], "topics.reports")?;
        let trigger_topics = object_at(&config["topics"]["triggers"], "topics.triggers")?
            .iter()
            .map(|(name, arn)| Ok((name.clone(), text_at(arn, "topics.triggers")?)))
            .collect::<Result<BTreeMap<_, _>, DemoError>>()?;
        // As tools/demo.py builds them: the trigger topics by name, objects and arrays as compact
        // JSON text with sorted keys.
        let mut env = vec![
            ("REPORT_TOPIC_ARN".to_owned(), reports_topic.clone()),
            (
                "TRIGGER_TOPIC_ARNS".to_owned(),
                trigger_topics
                    .values()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        ];
        for (name, value) in object_at(&config["environment"], "environment")? {
            let value = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
            env.push((name, value));
        }
        let steps = config["invocations"]
            .as_array()
            .ok_or_else(|| DemoError("invocations: is not a list".into()))?
            .iter()
            .enumerate()
            .map(|(i, step)| step_at(step, &format!("invocations[{i}]")))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            reports_topic,
            trigger_topics,
            env,
            steps,
        })
    }

    /// The environment every function gets in the demo, `REPORT_TOPIC_ARN` and
    /// `TRIGGER_TOPIC_ARNS` included.
    pub fn env(&self) -> Vec<(&str, &str)> {
        self.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// The demo environment with `changes` replacing or adding variables.
    pub fn env_with<'a>(&'a self, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut env = self.env();
        env.retain(|(k, _)| changes.iter().all(|(name, _)| name != k));
        env.extend_from_slice(changes);
        env
    }

    /// The demo environment without the variables `names`.
    pub fn env_without(&self, names: &[&str]) -> Vec<(&str, &str)> {
        let mut env = self.env();
        env.retain(|(k, _)| !names.contains(k));
        env
    }

    /// The value of the demo's variable `name`; panics when the demo does not set it.
    pub fn var(&self, name: &str) -> &str {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("the demo configuration sets no {name}"))
    }

    /// The topic the reports are published to.
    pub fn reports_topic(&self) -> &str {
        &self.reports_topic
    }

    /// The trigger topic `name` (`alarms`, `smsEvents`, `vaultEvents`); panics on another name.
    pub fn trigger_topic(&self, name: &str) -> &str {
        self.trigger_topics
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("the demo configuration has no trigger topic {name}"))
    }

    /// The topic the DRS alarm samples come from.
    pub fn alarm_topic(&self) -> &str {
        self.trigger_topic("alarms")
    }

    /// The topic the SMS samples forwarded through SNS come from.
    pub fn sms_events_topic(&self) -> &str {
        self.trigger_topic("smsEvents")
    }

    /// The topic the Backup vault notifications come from.
    pub fn vault_topic(&self) -> &str {
        self.trigger_topic("vaultEvents")
    }

    /// The demo's steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }
}

fn step_at(step: &Value, at: &str) -> Result<Step, DemoError> {
    let number = |v: &Value, field: &str| {
        v.as_u64()
            .ok_or_else(|| DemoError(format!("{at}.advance.{field}: is not a whole number")))
    };
    if let Some(advance) = step.get("advance") {
        return Ok(Step::Advance {
            hours: number(&advance["hours"], "hours")?,
            steps: number(&advance["steps"], "steps")?,
        });
    }
    match (step["function"].as_str(), step["event"].as_str()) {
        (Some(function), Some(event)) => Ok(Step::Invoke {
            function: function.to_owned(),
            event: event.to_owned(),
        }),
        _ => Err(DemoError(format!(
            "{at}: neither an advance nor a function and its event"
        ))),
    }
}

/// The demo configuration of `tools/demo/config.json`; panics when the file is not valid (the
/// demo's own end-to-end test reads it first).
pub fn config() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| Demo::parse(CONFIG).unwrap_or_else(|e| panic!("{e}")))
}

/// The side effects of `function` in an emulator state dump, per target: DRS replication state
/// per source server; SMS jobs per server, each as its state and its runs counted by type and
/// state; Backup copy job states per recovery point and destination, oldest first.
pub fn side_effects(function: &str, state: &Value) -> BTreeMap<String, Value> {
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut out = BTreeMap::new();
    match function {
        "drs-start-replication" => {
            for s in list(&state["drs"]["sourceServers"]) {
                out.insert(
                    text(&s["sourceServerID"]),
                    s["dataReplicationInfo"]["dataReplicationState"].clone(),
                );
            }
        }
        "sms-replication-jobs" => {
            for job in list(&state["sms"]["replicationJobs"]) {
                let mut runs = BTreeMap::<String, u64>::new();
                for run in list(&job["replicationRunList"]) {
                    *runs
                        .entry(format!("{} {}", text(&run["type"]), text(&run["state"])))
                        .or_default() += 1;
                }
                let entry = out
                    .entry(text(&job["serverId"]))
                    .or_insert_with(|| json!([]));
                if let Some(jobs) = entry.as_array_mut() {
                    jobs.push(json!({"state": job["state"], "runs": runs}));
                }
            }
        }
        "backup-copy-fanout" => {
            for job in list(&state["backup"]["copyJobs"]) {
                let pair = copy_target(
                    &text(&job["SourceRecoveryPointArn"]),
                    &text(&job["DestinationBackupVaultArn"]),
                );
                let entry = out.entry(pair).or_insert_with(|| json!([]));
                if let Some(states) = entry.as_array_mut() {
                    states.push(job["State"].clone());
                }
            }
        }
        other => panic!("unknown function {other}"),
    }
    out
}

/// How backup-copy-fanout's reports name the copy of a recovery point to a destination.
pub fn copy_target(recovery_point: &str, destination: &str) -> String {
    format!("{recovery_point} -> {destination}")
}
