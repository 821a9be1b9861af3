//! The demo configuration, read from `tools/demo/config.json`, the file `tools/demo.py` (`make
//! demo`) reads too: the environment every function gets, the topics, and the demo's steps. Also
//! the side effects that matter, read from the emulator's state dump, so tests can compare two runs
//! without the ids and times the emulator generates, and what changed in each account and region
//! of a fleet step, as the demo prints it.

use dr_emulator::{Fixture, FixtureError};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The demo configuration file, as `make demo` reads it.
const CONFIG: &str = include_str!("../../../tools/demo/config.json");

/// The functions.
pub const FUNCTIONS: [&str; 5] = [
    "drs-start-replication",
    "sms-replication-jobs",
    "backup-copy-fanout",
    "drs-recovery",
    "mgn-replication",
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
    /// The emulator's clock moved on `seconds` (the step's `hours` and `minutes`), then `steps`
    /// steps of the emulated services.
    Advance {
        /// How far the clock moves.
        seconds: u64,
        /// How many steps the services take on the way.
        steps: u64,
    },
    /// Real time passes: the functions read the machine's clock, which moving the emulator's
    /// does not move, so what must age for a function (a drill instance before its
    /// `DRS_DRILL_TTL`) ages in real time.
    Wait {
        /// How long.
        seconds: u64,
    },
    /// The functions run over a fleet of accounts and regions.
    Fleet(FleetStep),
}

/// A fleet step of the demo: the emulator loaded with a fixture of several accounts and regions,
/// the functions configured with more variables (`FLEET`...), some roles made unassumable, then
/// steps of their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetStep {
    /// The fixture's file name in `tests/emulator/fixtures/`.
    pub fixture: String,
    /// Variables on top of the demo's environment, as the functions get them.
    pub env: Vec<(String, String)>,
    /// Role ARNs whose `AssumeRole` the emulator refuses during the step.
    pub denied_roles: Vec<String>,
    /// The step's invocations (and clock moves), in order.
    pub steps: Vec<Step>,
}

impl FleetStep {
    /// The path of the step's fixture.
    pub fn fixture_path(&self) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../emulator/fixtures")
            .join(&self.fixture)
    }

    /// The step's fixture, loaded.
    pub fn load_fixture(&self) -> Result<Fixture, FixtureError> {
        Fixture::load(&self.fixture_path())
    }

    /// The value of the step's variable `name`, when it sets it.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
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
        env.extend(env_at(&config["environment"], "environment")?);
        let steps = steps_at(&config["invocations"], "invocations", true)?;
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

    /// The demo environment with a fleet step's variables replacing or adding to it.
    pub fn env_of<'a>(&'a self, step: &'a FleetStep) -> Vec<(&'a str, &'a str)> {
        let changes: Vec<(&str, &str)> = step
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.env_with(&changes)
    }

    /// The fleet steps of the demo, in order.
    pub fn fleet_steps(&self) -> impl Iterator<Item = &FleetStep> {
        self.steps.iter().filter_map(|s| match s {
            Step::Fleet(step) => Some(step),
            _ => None,
        })
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

/// Variables as `tools/demo.py` gives them: strings as they are, objects and arrays as compact
/// JSON text with sorted keys.
fn env_at(v: &Value, at: &str) -> Result<Vec<(String, String)>, DemoError> {
    let vars = v
        .as_object()
        .ok_or_else(|| DemoError(format!("{at}: is not an object")))?;
    Ok(vars
        .iter()
        .map(|(name, value)| {
            let value = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (name.clone(), value)
        })
        .collect())
}

/// The steps of the list at `at`; a fleet step only when `fleet` (a fleet step holds no other).
fn steps_at(v: &Value, at: &str, fleet: bool) -> Result<Vec<Step>, DemoError> {
    v.as_array()
        .ok_or_else(|| DemoError(format!("{at}: is not a list")))?
        .iter()
        .enumerate()
        .map(|(i, step)| step_at(step, &format!("{at}[{i}]"), fleet))
        .collect()
}

fn fleet_step_at(step: &Value, at: &str) -> Result<FleetStep, DemoError> {
    let fixture = step["fixture"]
        .as_str()
        .filter(|f| !f.is_empty() && !f.contains('/'))
        .ok_or_else(|| {
            DemoError(format!(
                "{at}.fixture: is not the file name of a fixture in tests/emulator/fixtures"
            ))
        })?;
    let denied_roles = match &step["deniedRoles"] {
        Value::Null => Vec::new(),
        roles => roles
            .as_array()
            .and_then(|roles| {
                roles
                    .iter()
                    .map(|r| r.as_str().map(str::to_owned))
                    .collect()
            })
            .ok_or_else(|| DemoError(format!("{at}.deniedRoles: is not a list of role ARNs")))?,
    };
    Ok(FleetStep {
        fixture: fixture.to_owned(),
        env: env_at(&step["environment"], &format!("{at}.environment"))?,
        denied_roles,
        steps: steps_at(&step["invocations"], &format!("{at}.invocations"), false)?,
    })
}

fn step_at(step: &Value, at: &str, fleet: bool) -> Result<Step, DemoError> {
    let number = |v: &Value, field: &str| match v {
        // A clock move may leave out its hours or its minutes.
        Value::Null if field != "steps" => Ok(0),
        v => v
            .as_u64()
            .ok_or_else(|| DemoError(format!("{at}.advance.{field}: is not a whole number"))),
    };
    if let Some(step) = step.get("fleet") {
        if !fleet {
            return Err(DemoError(format!("{at}: a fleet step holds no fleet step")));
        }
        return Ok(Step::Fleet(fleet_step_at(step, &format!("{at}.fleet"))?));
    }
    if let Some(wait) = step.get("wait") {
        let seconds = wait["seconds"]
            .as_u64()
            .ok_or_else(|| DemoError(format!("{at}.wait.seconds: is not a whole number")))?;
        return Ok(Step::Wait { seconds });
    }
    if let Some(advance) = step.get("advance") {
        let hours = number(&advance["hours"], "hours")?;
        let minutes = number(&advance["minutes"], "minutes")?;
        return Ok(Step::Advance {
            seconds: hours * 3600 + minutes * 60,
            steps: number(&advance["steps"], "steps")?,
        });
    }
    match (step["function"].as_str(), step["event"].as_str()) {
        (Some(function), Some(event)) => Ok(Step::Invoke {
            function: function.to_owned(),
            event: event.to_owned(),
        }),
        _ => Err(DemoError(format!(
            "{at}: neither an advance, a wait, a fleet nor a function and its event"
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
/// state; Backup copy job states per recovery point and destination, oldest first; DRS recovery
/// per source server: the jobs it is in, oldest first, each as what started it, its status, the
/// server's launch status and whether the job is tagged as reported, and its recovery instances,
/// each as drill or not, its EC2 state and the keys of its tags (the values name generated ids
/// and times); MGN per source server, as [`crate::mgn::side_effects`] reads them.
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
        "drs-recovery" => {
            // The state dump lists the jobs in the order they were created.
            for job in list(&state["drs"]["jobs"]) {
                let reported = job["tags"]
                    .get("dr-automation:reported")
                    .map_or("", |_| " reported");
                for p in list(&job["participatingServers"]) {
                    let entry = out
                        .entry(text(&p["sourceServerID"]))
                        .or_insert_with(|| json!({"jobs": [], "instances": []}));
                    if let Some(jobs) = entry["jobs"].as_array_mut() {
                        jobs.push(json!(format!(
                            "{} {} {}{reported}",
                            text(&job["initiatedBy"]),
                            text(&job["status"]),
                            text(&p["launchStatus"])
                        )));
                    }
                }
            }
            for instance in list(&state["drs"]["recoveryInstances"]) {
                let entry = out
                    .entry(text(&instance["sourceServerID"]))
                    .or_insert_with(|| json!({"jobs": [], "instances": []}));
                let mut tags: Vec<&String> = instance["tags"]
                    .as_object()
                    .map(|t| t.keys().collect())
                    .unwrap_or_default();
                tags.sort();
                if let Some(instances) = entry["instances"].as_array_mut() {
                    instances.push(json!({
                        "drill": instance["isDrill"],
                        "state": instance["ec2InstanceState"],
                        "tags": tags,
                    }));
                }
            }
        }
        "mgn-replication" => return crate::mgn::side_effects(state),
        other => panic!("unknown function {other}"),
    }
    out
}

/// How backup-copy-fanout's reports name the copy of a recovery point to a destination.
pub fn copy_target(recovery_point: &str, destination: &str) -> String {
    format!("{recovery_point} -> {destination}")
}

/// What a fleet step changed in one account and region, as the demo prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// DRS source servers that were STOPPED and now replicate (or try to), by id.
    pub drs_started: Vec<String>,
    /// SMS replication jobs created, by server id.
    pub sms_jobs: Vec<String>,
    /// Backup copy jobs started.
    pub copy_jobs: usize,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.drs_started.is_empty() && self.sms_jobs.is_empty() && self.copy_jobs == 0
    }
}

/// An account and a region.
pub type Place = (String, String);

/// Every partition of an emulator state dump: the home one (the top level), then `partitions`.
fn partitions(state: &Value) -> Vec<(Place, &Value)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let home = ((text(&state["accountId"]), text(&state["region"])), state);
    std::iter::once(home)
        .chain(
            state["partitions"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| ((text(&p["accountId"]), text(&p["region"])), p)),
        )
        .collect()
}

/// What changed in each account and region from `before` to `after` (two state dumps), for the
/// places where anything did.
pub fn changes_by_place(before: &Value, after: &Value) -> BTreeMap<Place, Changes> {
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let was: BTreeMap<Place, &Value> = partitions(before).into_iter().collect();
    let mut out = BTreeMap::new();
    for (place, now) in partitions(after) {
        let then = was.get(&place).copied().unwrap_or(&Value::Null);
        let state_of = |p: &Value| -> BTreeMap<String, String> {
            list(&p["drs"]["sourceServers"])
                .iter()
                .map(|s| {
                    (
                        text(&s["sourceServerID"]),
                        text(&s["dataReplicationInfo"]["dataReplicationState"]),
                    )
                })
                .collect()
        };
        let old = state_of(then);
        let drs_started = state_of(now)
            .into_iter()
            .filter(|(id, state)| {
                old.get(id).map(String::as_str) == Some("STOPPED") && state != "STOPPED"
            })
            .map(|(id, _)| id)
            .collect();
        // Jobs are new when their id was not there before.
        let ids = |p: &Value, service: &str, jobs: &str, id: &str| -> Vec<(String, Value)> {
            list(&p[service][jobs])
                .into_iter()
                .map(|j| (text(&j[id]), j))
                .collect()
        };
        let new = |service: &str, jobs: &str, id: &str| -> Vec<Value> {
            let old: Vec<String> = ids(then, service, jobs, id)
                .into_iter()
                .map(|(i, _)| i)
                .collect();
            ids(now, service, jobs, id)
                .into_iter()
                .filter(|(i, _)| !old.contains(i))
                .map(|(_, j)| j)
                .collect()
        };
        let changes = Changes {
            drs_started,
            sms_jobs: new("sms", "replicationJobs", "replicationJobId")
                .iter()
                .map(|j| text(&j["serverId"]))
                .collect(),
            copy_jobs: new("backup", "copyJobs", "CopyJobId").len(),
        };
        if !changes.is_empty() {
            out.insert(place, changes);
        }
    }
    out
}
