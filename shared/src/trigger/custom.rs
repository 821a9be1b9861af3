//! Custom input: EventBridge Scheduler's configured `Input` (Scheduler delivers only that, not the
//! Scheduled Event envelope) and direct invocations.

use super::error::{type_name, TriggerError};
use serde_json::{Map, Value};

/// A scheduled run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The rule or schedule name, when the event carries it.
    pub name: Option<String>,
}

/// A direct invocation with explicit targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectInvoke {
    /// Target identifiers (source server ids, job ids, recovery point ARNs...).
    pub targets: Vec<String>,
    /// `"mode"`: what a DRS launch of the targets is; `None` when the invoke does not say.
    pub mode: Option<LaunchMode>,
}

/// What a direct invoke asks drs-recovery to launch: `"drill"` or `"recovery"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchMode {
    /// Drill instances (`isDrill`), which leave the source servers' replication as it is.
    Drill,
    /// A real recovery: recovery instances that take over from the source servers.
    Recovery,
}

impl LaunchMode {
    /// The mode as the invoke spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Drill => "drill",
            Self::Recovery => "recovery",
        }
    }
}

/// Most targets one direct invocation may name: more than a DRS account's source servers, and
/// small enough that a run and its report stay bounded whatever the caller sends.
pub const MAX_TARGETS: usize = 4_000;

/// The one fleet target a direct invoke restricts its run to (`"target"`): an account and a
/// region of the fleet, never a role; the function finds how to reach it in its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSelector {
    /// The account.
    pub account: String,
    /// The region.
    pub region: String,
}

/// What custom input asks for.
pub(super) enum CustomInput {
    /// `{"schedule": ...}` or `{}`.
    Schedule(Schedule),
    /// `{"targets": [...]}`.
    Direct(DirectInvoke),
}

/// Custom input: what it asks for, whether as a dry run, and for which fleet target.
pub(super) struct Custom {
    pub(super) input: CustomInput,
    pub(super) dry_run: bool,
    pub(super) target: Option<TargetSelector>,
}

/// Reads `{"schedule"?, "targets"?, "target"?, "dryRun"?}`; any other field is refused, so a
/// misdirected event is never mistaken for a schedule.
pub(super) fn parse(obj: &Map<String, Value>) -> Result<Custom, TriggerError> {
    const KNOWN: [&str; 5] = ["schedule", "targets", "target", "mode", "dryRun"];
    if let Some(unknown) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(TriggerError::Unrecognised(format!(
            "unknown field `{unknown}` (custom input takes schedule, targets, target, mode, \
             dryRun)"
        )));
    }
    let target = obj.get("target").map(target).transpose()?;
    let (input, dry_run) = input(obj)?;
    Ok(Custom {
        input,
        dry_run,
        target,
    })
}

/// `"target": {"account": "...", "region": "..."}`, both required, nothing else.
fn target(value: &Value) -> Result<TargetSelector, TriggerError> {
    let obj = value.as_object().ok_or_else(|| {
        TriggerError::field(
            "target",
            format!(
                "expected an object with account and region, found {}",
                type_name(value)
            ),
        )
    })?;
    if let Some(unknown) = obj
        .keys()
        .find(|k| !["account", "region"].contains(&k.as_str()))
    {
        return Err(TriggerError::field(
            "target",
            format!("unknown field `{unknown}` (a target names only account and region)"),
        ));
    }
    let text = |field: &str| match obj.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(other) => Err(TriggerError::field(
            format!("target.{field}"),
            format!("expected a non-empty string, found {}", type_name(other)),
        )),
        None => Err(TriggerError::field(format!("target.{field}"), "is missing")),
    };
    Ok(TargetSelector {
        account: text("account")?,
        region: text("region")?,
    })
}

/// The schedule or targets of custom input, and its dry-run flag.
fn input(obj: &Map<String, Value>) -> Result<(CustomInput, bool), TriggerError> {
    let dry_run = match obj.get("dryRun") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(TriggerError::field(
                "dryRun",
                format!("expected true or false, found {}", type_name(other)),
            ))
        }
    };
    let name = match obj.get("schedule") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(TriggerError::field(
                "schedule",
                format!("expected a string, found {}", type_name(other)),
            ))
        }
    };
    let mode = match obj.get("mode") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "drill" => Some(LaunchMode::Drill),
        Some(Value::String(s)) if s == "recovery" => Some(LaunchMode::Recovery),
        Some(other) => {
            return Err(TriggerError::field(
                "mode",
                format!("expected \"drill\" or \"recovery\", found {other}"),
            ))
        }
    };
    match obj.get("targets") {
        None | Some(Value::Null) if mode.is_some() => Err(TriggerError::field(
            "mode",
            "applies to the servers in `targets`, which is missing",
        )),
        None | Some(Value::Null) => Ok((CustomInput::Schedule(Schedule { name }), dry_run)),
        Some(_) if name.is_some() => Err(TriggerError::field(
            "targets",
            "give either `schedule` or `targets`, not both",
        )),
        Some(value) => {
            let items = value.as_array().ok_or_else(|| {
                TriggerError::field(
                    "targets",
                    format!("expected an array of strings, found {}", type_name(value)),
                )
            })?;
            if items.len() > MAX_TARGETS {
                return Err(TriggerError::field(
                    "targets",
                    format!(
                        "names {} targets; at most {MAX_TARGETS} per invocation",
                        items.len()
                    ),
                ));
            }
            if items.is_empty() {
                return Err(TriggerError::field("targets", "is empty"));
            }
            let targets = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    item.as_str().map(str::to_owned).ok_or_else(|| {
                        TriggerError::field(
                            format!("targets[{i}]"),
                            format!("expected a string, found {}", type_name(item)),
                        )
                    })
                })
                .collect::<Result<_, _>>()?;
            Ok((CustomInput::Direct(DirectInvoke { targets, mode }), dry_run))
        }
    }
}
