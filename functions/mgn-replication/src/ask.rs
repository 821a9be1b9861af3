//! What a trigger asks of the function: every configured server (a schedule), or the servers
//! an MGN event or a direct invocation names. Pure: observe and plan both read it.

use dr_core::ids::SourceServerId;
use dr_core::report::Skip;
use dr_core::trigger::{Event, Trigger};
use std::collections::BTreeSet;

/// The servers a trigger concerns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ask {
    /// Every configured server (a schedule).
    pub everything: bool,
    /// Servers named by events or a direct invocation.
    pub servers: BTreeSet<SourceServerId>,
    /// What the trigger holds that the function does not act on.
    pub skips: Vec<Skip>,
}

impl Ask {
    /// Reads the trigger's events.
    pub fn of(trigger: &Trigger) -> Self {
        let mut ask = Self::default();
        for event in &trigger.events {
            match event {
                Event::Schedule(_) => ask.everything = true,
                Event::Direct(direct) => {
                    for target in &direct.targets {
                        match SourceServerId::parse(target) {
                            Ok(id) => {
                                ask.servers.insert(id);
                            }
                            Err(e) => ask.skips.push(Skip::new(target, e.to_string())),
                        }
                    }
                }
                Event::Mgn(e) => {
                    ask.servers.insert(e.source_server_id.clone());
                }
                other => ask.skips.push(Trigger::not_handled(other, crate::FUNCTION)),
            }
        }
        ask
    }

    /// Whether the trigger concerns `server`.
    pub fn covers(&self, server: &SourceServerId) -> bool {
        self.everything || self.servers.contains(server)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dr_core::trigger::{MgnChange, StalledState};
    use dr_testkit::triggers::{direct, drs_failback_change, mgn_event, on, schedule};

    const S1: &str = "s-1234567890abcdef0";

    #[test]
    fn a_schedule_asks_for_every_configured_server() {
        let ask = Ask::of(&schedule());
        assert!(ask.everything && ask.skips.is_empty());
    }

    #[test]
    fn an_mgn_event_asks_for_its_server_only() {
        let ask = Ask::of(&on(mgn_event(
            "e-1",
            S1,
            MgnChange::Stalled(StalledState::Stalled),
        )));
        assert!(!ask.everything);
        assert_eq!(ask.servers.len(), 1);
        assert!(ask.covers(&SourceServerId::parse(S1).unwrap()));
    }

    #[test]
    fn a_direct_target_that_is_no_source_server_id_is_skipped_with_the_reason() {
        let ask = Ask::of(&direct(&[S1, "web-1"]));
        assert_eq!(ask.servers.len(), 1);
        assert_eq!(ask.skips.len(), 1);
        assert_eq!(ask.skips[0].target, "web-1");
    }

    #[test]
    fn an_event_of_another_kind_is_skipped_as_not_handled() {
        let ask = Ask::of(&on(drs_failback_change("e-2")));
        assert!(ask.servers.is_empty() && !ask.everything);
        assert!(ask.skips[0]
            .reason
            .contains("not handled by mgn-replication"));
    }
}
