//! Triggers as plans receive them, built in one line: the events each function acts on, and the
//! ones of other sources it must skip as not handled.

use dr_core::ids::SourceServerId;
use dr_core::trigger::{
    Alarm, AlarmDelivery, AlarmKind, AlarmState, Dimension, DirectInvoke, Event, LaunchMode,
    LaunchResult, LaunchResultState, MgnChange, MgnServerEvent, OtherEvent, ReplicationStalled,
    Schedule, StalledState, Trigger, VaultNotification,
};

/// A trigger of one event.
pub fn on(event: Event) -> Trigger {
    Trigger::from_events(vec![event])
}

/// A scheduled run with no name.
pub fn schedule() -> Trigger {
    on(Event::Schedule(Schedule { name: None }))
}

/// A direct invocation naming `targets`.
pub fn direct(targets: &[&str]) -> Trigger {
    on(Event::Direct(DirectInvoke {
        targets: targets.iter().map(|t| (*t).to_owned()).collect(),
        mode: None,
    }))
}

/// A direct invocation asking for a `mode` launch of `targets`.
pub fn direct_launch(mode: LaunchMode, targets: &[&str]) -> Trigger {
    on(Event::Direct(DirectInvoke {
        targets: targets.iter().map(|t| (*t).to_owned()).collect(),
        mode: Some(mode),
    }))
}

/// A metric alarm delivered by SNS, from OK to `state`, with `dimensions` as `(name, value)`.
pub fn alarm(name: &str, state: AlarmState, dimensions: &[(&str, &str)]) -> Alarm {
    Alarm {
        name: name.into(),
        arn: None,
        description: None,
        state,
        previous_state: Some(AlarmState::Ok),
        reason: None,
        account: Some("123456789012".into()),
        kind: AlarmKind::Metric,
        dimensions: dimensions
            .iter()
            .map(|(name, value)| Dimension {
                name: (*name).to_owned(),
                value: (*value).to_owned(),
            })
            .collect(),
        delivery: AlarmDelivery::Sns,
    }
}

/// A DRS stalled-change event for `source_server_id`.
pub fn stalled(source_server_id: &str, state: StalledState) -> Event {
    let source_server_id = SourceServerId::parse(source_server_id)
        .unwrap_or_else(|e| panic!("test source server id: {e}"));
    Event::ReplicationStalled(ReplicationStalled {
        source_server_id,
        state,
    })
}

/// A Backup vault notification of a completed backup job, as SNS message `message_id`.
pub fn backup_job_notification(message_id: &str) -> Event {
    Event::VaultNotification(VaultNotification {
        message_id: message_id.into(),
        event_type: Some("BACKUP_JOB".into()),
        state: Some("COMPLETED".into()),
        job_id: None,
        recovery_point_arn: None,
        resource_arn: None,
        account: None,
    })
}

/// DRS's launch result `id` for server `server` in job `job`: `succeeded` or not, a drill or
/// not, emitted at `time` (epoch seconds).
pub fn drs_launch_result(id: &str, server: &str, job: &str, succeeded: bool, drill: bool) -> Event {
    Event::LaunchResult(LaunchResult {
        event_id: id.into(),
        source_server_id: SourceServerId::parse(server).expect("a source server id"),
        job_id: job.into(),
        state: if succeeded {
            LaunchResultState::Succeeded
        } else {
            LaunchResultState::Failed
        },
        drill: Some(drill),
        time: None,
    })
}

/// MGN's event `id` that `change` happened to source server `server`.
pub fn mgn_event(id: &str, server: &str, change: MgnChange) -> Event {
    Event::Mgn(MgnServerEvent {
        event_id: id.into(),
        source_server_id: SourceServerId::parse(server).expect("a source server id"),
        change,
        time: None,
    })
}

/// An event of a subscribed source that no function acts on: DRS's failback state change.
pub fn drs_failback_change(id: &str) -> Event {
    Event::Other(OtherEvent {
        id: Some(id.into()),
        source: "aws.drs".into(),
        detail_type: "DRS Recovery Instance Failback State Change".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_builder_gives_the_event_it_names() {
        assert_eq!(schedule().describe(), "schedule");
        assert_eq!(direct(&["a", "b"]).describe(), "direct invoke (2 targets)");
        let alarm = alarm("cpu", AlarmState::Alarm, &[("InstanceId", "i-1")]);
        assert_eq!(alarm.dimensions[0].value, "i-1");
        assert!(matches!(
            stalled("s-1234567890abcdef0", StalledState::Stalled),
            Event::ReplicationStalled(_)
        ));
        assert!(matches!(
            backup_job_notification("m-1"),
            Event::VaultNotification(_)
        ));
        assert!(matches!(drs_failback_change("e-1"), Event::Other(_)));
        assert!(matches!(
            mgn_event(
                "e-2",
                "s-1234567890abcdef0",
                MgnChange::Stalled(StalledState::Stalled)
            ),
            Event::Mgn(_)
        ));
    }
}
