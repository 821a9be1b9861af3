//! What a trigger asks of one target: the servers to launch and in which mode, and whether to
//! follow jobs up and clean up. Observe reads the snapshots of those servers; plan decides.

use crate::config::RecoveryConfig;
use crate::model::SourceServer;
use crate::FUNCTION;
use dr_core::clock::human;
use dr_core::ids::SourceServerId;
use dr_core::report::{Skip, Skips};
use dr_core::trigger::{AlarmState, Event, LaunchMode, LaunchResultState, Trigger};
use std::collections::BTreeSet;

/// A server the trigger asks to launch, and in which mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted<'a> {
    /// The server.
    pub server: &'a SourceServer,
    /// Drill or recovery.
    pub mode: LaunchMode,
    /// What asked for it.
    pub why: String,
    /// Asked by a schedule, so launched only when its drill is due (`DRS_DRILL_EVERY`).
    pub scheduled: bool,
}

/// What a trigger asks of one target.
#[derive(Debug, Default)]
pub struct Asked<'a> {
    /// Servers to launch, in id order, each once.
    pub launches: Vec<Wanted<'a>>,
    /// Follow the jobs up.
    pub follow_up: bool,
    /// Terminate expired drill instances.
    pub cleanup: bool,
    /// Run the recovery plan (`DRS_DRILL_PLAN_ARN`) as the scheduled drill.
    pub plan_drill: bool,
    /// Launch results this run received, by job and server: reported even before their job
    /// completes.
    pub results: Vec<(&'a str, &'a SourceServerId, bool)>,
}

/// The skips about the trigger itself (an alarm not in ALARM, an id no server has, an event
/// not handled), which every target would give alike: reported once for the run, and only
/// when no target answers what they name.
#[derive(Debug, Default)]
pub struct TriggerSkips {
    /// Each skip, by what it names and why.
    skips: BTreeSet<(String, String)>,
    /// What some target answered: ids it lists, alarms that map to its servers.
    answered: BTreeSet<String>,
}

impl TriggerSkips {
    pub(crate) fn skip(&mut self, target: impl Into<String>, reason: impl Into<String>) {
        self.skips.insert((target.into(), reason.into()));
    }

    /// The skips no target answered.
    pub(crate) fn unanswered(self) -> impl Iterator<Item = Skip> {
        let answered = self.answered;
        self.skips
            .into_iter()
            .filter(move |(target, _)| !answered.contains(target))
            .map(|(target, reason)| Skip::new(target, reason))
    }
}

/// What `trigger` asks of the target whose servers are `servers` as of `now`; the skips of
/// servers it names but cannot launch go to `skips`, the skips about the trigger itself to
/// `about`. A scheduled drill that is not due is skipped here, so observe reads nothing for it.
pub fn asked<'a>(
    config: &RecoveryConfig,
    trigger: &'a Trigger,
    servers: &'a [SourceServer],
    now: i64,
    skips: &mut Skips,
    about: &mut TriggerSkips,
) -> Asked<'a> {
    let mut asked = Asked::default();
    let mut want = |server: &'a SourceServer,
                    mode: LaunchMode,
                    why: String,
                    scheduled: bool,
                    skips: &mut Skips| {
        if !config.choice.selection.covers(server) {
            skips.push(Skip::new(&server.id, "outside the configured selection"));
        } else if let Some(why) = scheduled.then(|| not_due(config, now, server)).flatten() {
            skips.push(Skip::new(&server.id, why));
        } else if !asked.launches.iter().any(|w| w.server.id == server.id) {
            asked.launches.push(Wanted {
                server,
                mode,
                why,
                scheduled,
            });
        }
    };
    for event in &trigger.events {
        match event {
            Event::Schedule(_) => {
                // With a recovery plan, the plan is the drill: its steps name the servers.
                if config.drill.plan.is_some() {
                    asked.plan_drill = true;
                } else {
                    for s in servers
                        .iter()
                        .filter(|s| config.choice.selection.covers(*s))
                    {
                        want(
                            s,
                            LaunchMode::Drill,
                            "scheduled drill".to_owned(),
                            true,
                            skips,
                        );
                    }
                }
                asked.follow_up = true;
                asked.cleanup = true;
            }
            Event::Direct(direct) => {
                let mode = direct.mode.unwrap_or(LaunchMode::Drill);
                for target in &direct.targets {
                    match servers.iter().find(|s| s.id == *target.as_str()) {
                        Some(s) => {
                            about.answered.insert(target.clone());
                            want(
                                s,
                                mode,
                                format!("direct invoke ({})", mode.as_str()),
                                false,
                                skips,
                            );
                        }
                        None => {
                            let reason = match SourceServerId::parse(target) {
                                Ok(_) => "no such source server in the targets of this run",
                                Err(_) => "not a source server id",
                            };
                            about.skip(target.clone(), reason);
                        }
                    }
                }
            }
            Event::Alarm(alarm) => {
                if alarm.state != AlarmState::Alarm {
                    about.skip(
                        alarm.name.clone(),
                        format!("alarm is {}: nothing to recover", alarm.state.as_str()),
                    );
                    continue;
                }
                let mapped: Vec<&SourceServer> = servers
                    .iter()
                    .filter(|s| config.choice.alarm_mapping.maps(alarm, *s))
                    .collect();
                if mapped.is_empty() {
                    about.skip(
                        alarm.name.clone(),
                        "no source server in the targets of this run maps to this alarm",
                    );
                } else {
                    about.answered.insert(alarm.name.clone());
                }
                for s in mapped {
                    want(
                        s,
                        LaunchMode::Recovery,
                        format!("alarm {} in ALARM", alarm.name),
                        false,
                        skips,
                    );
                }
            }
            Event::LaunchResult(result) => {
                asked.follow_up = true;
                asked.results.push((
                    &result.job_id,
                    &result.source_server_id,
                    result.state == LaunchResultState::Succeeded,
                ));
            }
            other => {
                let skip = Trigger::not_handled(other, FUNCTION);
                about.skip(skip.target, skip.reason);
            }
        }
    }
    asked.launches.sort_by(|a, b| a.server.id.cmp(&b.server.id));
    asked
}

/// Why a scheduled drill of `server` is not due yet: its last drill (`lifeCycle.lastLaunch`,
/// which DRS's at-scale guide reads for drill compliance) is more recent than
/// `DRS_DRILL_EVERY`. Without `DRS_DRILL_EVERY` every schedule is a drill; a direct invoke always
/// is.
fn not_due(config: &RecoveryConfig, now: i64, server: &SourceServer) -> Option<String> {
    let every = config.drill.every?;
    let age = now - server.last_drill?;
    (age < every).then(|| {
        format!(
            "scheduled drill: not due: its last drill started {} ago and DRS_DRILL_EVERY is {}",
            human(age.max(0)),
            human(every)
        )
    })
}
