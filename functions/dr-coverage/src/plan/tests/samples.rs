//! Every sample event in `events/dr-coverage` parses and runs a coverage run over one fixture:
//! a covered, a copying and a missing copy, a healthy and a stalled DRS server, an MGN server.

use super::*;
use serde_json::Value;
use std::path::PathBuf;

/// Every sample file; each has a test below.
const SAMPLES: [&str; 5] = [
    "direct-invoke-dry-run.json",
    "direct-invoke.json",
    "fleet-target-invoke.json",
    "scheduled-event.json",
    "scheduler-input.json",
];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/dr-coverage")
}

fn trigger_of(name: &str) -> Trigger {
    let text = std::fs::read_to_string(dir().join(name)).expect("readable");
    let event: Value = serde_json::from_str(&text).expect("JSON");
    dr_core::trigger::parse(&event).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The fixture every sample runs over.
fn fixture() -> Facts {
    let stalled = DrsServer {
        state: DrsReplicationState::Stalled,
        last_launch: Some(drilled(DAY)),
        ..drs_server(2)
    };
    Facts {
        observed_at: NOW,
        backup: Some(BackupFacts {
            window_start: NOW - 7 * DAY,
            points: vec![point(1, DAY), point(2, 2 * DAY)],
            older: vec![],
            unexamined: 0,
            copy_jobs: vec![
                job("cj-1", 1, WEST, Job::Completed, DAY - 60),
                job("cj-2", 1, ISOLATED, Job::Running, 600),
                job("cj-3", 2, WEST, Job::Completed, 2 * DAY - 60),
                job("cj-4", 2, ISOLATED, Job::Completed, 2 * DAY - 60),
            ],
        }),
        drs: Some(DrsFacts {
            servers: vec![
                DrsServer {
                    last_launch: Some(drilled(DAY)),
                    ..drs_server(1)
                },
                stalled,
            ],
            launch_jobs: vec![],
            jobs_since: NOW - 7 * DAY,
        }),
        mgn: Some(vec![mgn_server(3, Life::ReadyForTest, Mgn::Continuous)]),
    }
}

/// Each outcome of sample `name` over the fixture as (target, state); and whether it is a dry
/// run and names one target.
fn sampled(name: &str) -> (Vec<(String, String)>, bool, bool) {
    let trigger = trigger_of(name);
    let got = plan(&config(), &trigger, &fixture());
    assert!(got.skips.is_empty(), "{name}: {:?}", got.skips);
    let outcomes = got
        .outcomes
        .into_iter()
        .map(|o| (o.target, o.state.unwrap_or_default()))
        .collect();
    (outcomes, trigger.dry_run, trigger.target().is_some())
}

/// What every sample reports over the fixture.
fn full_run() -> Vec<(String, String)> {
    [
        (copy_target(&rp(1), WEST), "COVERED"),
        (copy_target(&rp(1), ISOLATED), "COPYING"),
        (copy_target(&rp(2), WEST), "COVERED"),
        (copy_target(&rp(2), ISOLATED), "COVERED"),
        (sid(1).as_str().to_owned(), "CONTINUOUS"),
        (sid(2).as_str().to_owned(), "STALLED"),
        (
            "s-00000000000000003".to_owned(),
            "READY_FOR_TEST/CONTINUOUS",
        ),
    ]
    .into_iter()
    .map(|(t, s)| (t, s.to_owned()))
    .collect()
}

#[test]
fn every_sample_event_has_its_expectation() {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("events directory")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(names, SAMPLES);
}

#[test]
fn the_dry_run_sample_runs_the_whole_coverage_as_a_dry_run() {
    assert_eq!(sampled(SAMPLES[0]), (full_run(), true, false));
}

#[test]
fn the_empty_direct_invoke_runs_the_whole_coverage() {
    assert_eq!(sampled(SAMPLES[1]), (full_run(), false, false));
}

#[test]
fn the_fleet_target_sample_runs_the_whole_coverage_of_its_target() {
    assert_eq!(sampled(SAMPLES[2]), (full_run(), false, true));
}

#[test]
fn the_schedule_samples_run_the_whole_coverage() {
    for name in [SAMPLES[3], SAMPLES[4]] {
        assert_eq!(sampled(name), (full_run(), false, false), "{name}");
    }
}
