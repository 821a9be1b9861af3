//! The measures of a coverage run, counted from the fixture's judgements.

use super::*;
use crate::model::{BackupFacts, CopyJobState as Job, DrsFacts, DrsServer, MgnLifeCycle};
use crate::testing::*;
use dr_core::metrics::Measure;

fn values(measures: &Measures) -> Vec<(String, Vec<f64>)> {
    measures
        .iter()
        .map(|Measure { name, values, .. }| (name.clone(), values.clone()))
        .collect()
}

#[test]
fn every_configured_service_is_measured_from_its_judgements() {
    let facts = Facts {
        observed_at: NOW,
        backup: Some(BackupFacts {
            window_start: NOW - 7 * DAY,
            points: vec![point(1, DAY), point(2, DAY)],
            copy_jobs: vec![
                job("cj-1", 1, WEST, Job::Completed, 100),
                job("cj-2", 1, ISOLATED, Job::Completed, 100),
                job("cj-3", 2, WEST, Job::Failed, 100),
            ],
            ..BackupFacts::default()
        }),
        drs: Some(DrsFacts {
            servers: vec![
                DrsServer {
                    last_launch: Some(drilled(3 * DAY)),
                    ..drs_server(1)
                },
                DrsServer {
                    state: DrsReplicationState::Stalled,
                    last_launch: Some(drilled(DAY)),
                    ..drs_server(2)
                },
                drs_server(3),
            ],
            launch_jobs: vec![],
            jobs_since: NOW - 7 * DAY,
        }),
        mgn: Some(vec![
            mgn_server(4, MgnLifeCycle::ReadyForTest, MgnReplicationState::Stalled),
            mgn_server(
                5,
                MgnLifeCycle::ReadyForTest,
                MgnReplicationState::Continuous,
            ),
        ]),
    };
    let got = values(&measures(&config(), &facts));
    let want: Vec<(String, Vec<f64>)> = [
        ("CoverageRecoveryPoints", 2.0),
        ("CopiesExpected", 4.0),
        ("CopiesCompleted", 2.0),
        ("CopiesMissing", 2.0),
        ("CopyCoveragePercent", 50.0),
        ("DrsServers", 3.0),
        ("DrsServersContinuous", 2.0),
        ("DrsServersStalled", 1.0),
        ("DrsServersNeverDrilled", 1.0),
        ("DrsLastDrillAgeSeconds", 3.0 * 86_400.0),
        ("MgnServers", 2.0),
        ("MgnReplicationStalled", 1.0),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), vec![v]))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn nothing_expected_is_full_coverage_and_no_drill_gives_no_age() {
    let facts = Facts {
        observed_at: NOW,
        backup: Some(BackupFacts::default()),
        drs: Some(DrsFacts::default()),
        mgn: None,
    };
    let mut config = config();
    config.mgn = false;
    let got = values(&measures(&config, &facts));
    assert!(
        got.contains(&("CopyCoveragePercent".to_owned(), vec![100.0])),
        "{got:?}"
    );
    assert!(
        !got.iter().any(|(n, _)| n == "DrsLastDrillAgeSeconds"),
        "{got:?}"
    );
    assert!(!got.iter().any(|(n, _)| n.starts_with("Mgn")), "{got:?}");
}

#[test]
fn older_points_left_unexamined_keep_the_coverage_below_full() {
    let facts = Facts {
        observed_at: NOW,
        backup: Some(BackupFacts {
            window_start: NOW - 7 * DAY,
            unexamined: 3,
            ..BackupFacts::default()
        }),
        drs: None,
        mgn: None,
    };
    let mut config = config();
    config.drs = None;
    config.mgn = false;
    let got = values(&measures(&config, &facts));
    for (name, want) in [
        ("CopiesExpected", 3.0),
        ("CopiesMissing", 3.0),
        ("CopyCoveragePercent", 0.0),
    ] {
        assert!(
            got.contains(&(name.to_owned(), vec![want])),
            "{name}: {got:?}"
        );
    }
}
