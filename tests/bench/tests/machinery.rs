//! The benchmark machinery on a tiny account with the debug binaries: every scenario completes,
//! does the work it is measured on, and the table reports every figure. No timing is asserted.

use dr_bench::drill::{self, DrillUsage};
use dr_bench::evidence;
use dr_bench::fleet::{self, FleetUsage, Shape};
use dr_bench::mgn::{self, MgnUsage, Work};
use dr_bench::suite::{run_all, Settings};
use dr_bench::table;
use std::time::Duration;

const FLEET: Shape = Shape {
    targets: 50,
    servers: 100,
    stopped: 20,
    fleet_concurrency: 10,
    max_concurrency: 10,
};

/// A first fleet run as the emulator counts it: one role and one page per target, 20 starts
/// each, a report in two parts, and the emulator quick to serve them.
fn first_run() -> FleetUsage {
    FleetUsage {
        targets: 50,
        assume_role: 1,
        pages: 1,
        starts: 20,
        publish: 2,
        observe_service: Duration::from_millis(10),
        apply_service: Duration::from_millis(30),
        publish_service: Duration::from_millis(1),
    }
}

#[test]
fn the_fleet_bound_is_the_target_rounds_of_each_phase_of_a_target_s_critical_path() {
    // 5 rounds of targets × (AssumeRole + 1 page) + 5 rounds × 2 waves of starts + 1 round of
    // report parts, 20 ms each.
    let bound = fleet::bound(&first_run(), &FLEET, Duration::from_millis(20));
    assert_eq!(bound, Duration::from_millis(5 * 2 * 20 + 5 * 2 * 20 + 20));
}

#[test]
fn a_warm_fleet_run_assumes_no_role_so_its_bound_loses_a_round_per_target_round() {
    let warm = FleetUsage {
        assume_role: 0,
        ..first_run()
    };
    let bound = fleet::bound(&warm, &FLEET, Duration::from_millis(20));
    assert_eq!(bound, Duration::from_millis(5 * 20 + 5 * 2 * 20 + 20));
}

#[test]
fn the_emulator_s_service_time_bounds_a_phase_when_it_is_longer_than_its_latency_rounds() {
    let slow = FleetUsage {
        apply_service: Duration::from_millis(900),
        ..first_run()
    };
    let bound = fleet::bound(&slow, &FLEET, Duration::from_millis(20));
    assert_eq!(bound, Duration::from_millis(5 * 2 * 20 + 900 + 20));
}

#[test]
fn the_fleet_formula_names_the_concurrency_it_was_computed_with() {
    let formula = fleet::formula(&FLEET);
    assert!(
        formula.starts_with("max(⌈targets / 10⌉ × latency × (AssumeRole"),
        "{formula}"
    );
    assert!(
        formula.contains("⌈StartReplication per target / 10⌉"),
        "{formula}"
    );
}

#[test]
fn the_fleet_fixture_holds_every_target_s_servers_and_fleet_names_each_once() {
    let fixture = fleet::fixture(&Shape {
        targets: 3,
        ..FLEET
    });
    assert_eq!(fixture.partitions.len(), 3);
    for p in &fixture.partitions {
        let stopped = p
            .drs
            .source_servers
            .iter()
            .filter(|s| s.state.as_str() == "STOPPED")
            .count();
        assert_eq!(
            (p.drs.source_servers.len(), stopped),
            (100, 20),
            "{}",
            p.account_id
        );
    }
    let entries: serde_json::Value =
        serde_json::from_str(&fleet::fleet_var(3)).expect("FLEET is JSON");
    let accounts: Vec<&str> = entries
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|e| e["account"].as_str())
        .collect();
    assert_eq!(accounts, fleet::accounts(3));
    assert!(!accounts.contains(&fleet::HOME_ACCOUNT));
}

const DRILL: drill::Shape = drill::Shape {
    servers: 500,
    servers_per_job: 100,
    max_concurrency: 100,
    ttl_seconds: 3,
};

/// A follow-up run of the drill as the emulator counts it: one page of servers, jobs and
/// instances each, the logs of its 5 jobs, 500 instances and 5 jobs tagged, a report in two parts.
fn follow_up() -> DrillUsage {
    DrillUsage {
        reads: 3,
        job_logs: 5,
        snapshots: 0,
        writes: 505,
        publish: 2,
        reads_service: Duration::from_millis(4),
        job_logs_service: Duration::from_millis(2),
        writes_service: Duration::from_millis(50),
        publish_service: Duration::from_millis(1),
        ..DrillUsage::default()
    }
}

#[test]
fn the_drill_bound_is_its_reads_one_after_another_then_the_waves_of_each_phase() {
    // 3 reads with their service time, 1 wave of logs, no snapshots, 6 waves of writes, 1 of
    // report parts, 20 ms each.
    let bound = drill::bound(&follow_up(), &DRILL, Duration::from_millis(20));
    assert_eq!(bound, Duration::from_millis(3 * 20 + 4 + 20 + 6 * 20 + 20));
}

#[test]
fn the_emulator_s_service_time_bounds_a_drill_phase_when_longer_than_its_waves() {
    let slow = DrillUsage {
        writes_service: Duration::from_millis(700),
        ..follow_up()
    };
    let bound = drill::bound(&slow, &DRILL, Duration::from_millis(20));
    assert_eq!(bound, Duration::from_millis(3 * 20 + 4 + 20 + 700 + 20));
}

#[test]
fn a_drill_of_500_servers_takes_5_jobs_and_3_terminations() {
    assert_eq!((DRILL.jobs(), DRILL.terminations()), (5, 3));
    let formula = drill::formula(&DRILL);
    assert!(
        formula.contains("⌈(TerminateRecoveryInstances + StartRecovery + TagResource) / 100⌉"),
        "{formula}"
    );
}

const MGN: mgn::Shape = mgn::Shape {
    servers: 2000,
    max_concurrency: 100,
};

/// A reconcile of 2,000 servers as the emulator counts it: two pages, every server's settings,
/// 500 writes (200 updates, 100 retries of two calls, 40 resumes, 60 starts), one report part.
fn reconcile() -> MgnUsage {
    MgnUsage {
        pages: 2,
        configurations: 2000,
        writes: 500,
        chain: 2,
        publish: 1,
        pages_service: Duration::from_millis(6),
        configurations_service: Duration::from_millis(150),
        writes_service: Duration::from_millis(60),
        publish_service: Duration::from_millis(1),
    }
}

#[test]
fn the_mgn_bound_is_its_pages_one_after_another_then_the_waves_of_reads_and_writes() {
    // 2 pages with their service time, 20 waves of settings, 5 waves of writes, 1 of report
    // parts, 20 ms each.
    let bound = mgn::bound(&reconcile(), &MGN, Duration::from_millis(20));
    assert_eq!(
        bound,
        Duration::from_millis(2 * 20 + 6 + 20 * 20 + 5 * 20 + 20)
    );
}

#[test]
fn a_retry_s_two_calls_one_after_the_other_bound_an_apply_of_a_few_writes() {
    let few = MgnUsage {
        writes: 3,
        chain: 2,
        writes_service: Duration::from_millis(1),
        ..reconcile()
    };
    let bound = mgn::bound(&few, &MGN, Duration::from_millis(20));
    assert_eq!(
        bound,
        Duration::from_millis(2 * 20 + 6 + 20 * 20 + 2 * 20 + 20)
    );
}

#[test]
fn the_emulator_s_service_time_bounds_the_mgn_reads_when_longer_than_their_waves() {
    let slow = MgnUsage {
        configurations_service: Duration::from_millis(900),
        ..reconcile()
    };
    let bound = mgn::bound(&slow, &MGN, Duration::from_millis(20));
    assert_eq!(bound, Duration::from_millis(2 * 20 + 6 + 900 + 5 * 20 + 20));
}

#[test]
fn a_fleet_of_2000_mgn_servers_takes_two_pages_and_500_writes() {
    let work = Work::of(2000);
    assert_eq!(
        (work.drifted, work.stalled, work.paused, work.stopped),
        (200, 100, 40, 60)
    );
    let calls = work.calls();
    let n = |op: &str| calls.get(op).copied().unwrap_or(0);
    assert_eq!(n("mgn:DescribeSourceServers"), 2);
    assert_eq!(n("mgn:GetReplicationConfiguration"), 2000);
    assert_eq!(n("mgn:TagResource") + n("mgn:RetryDataReplication"), 200);
    assert_eq!(work.done(), 400);
}

#[test]
fn the_mgn_fixture_holds_each_kind_of_server_as_often_as_the_work_counts_it() {
    let fixture = mgn::fixture(&MGN, 1_800_000_000);
    let servers = &fixture.mgn.source_servers;
    let state = |s: &str| {
        servers
            .iter()
            .filter(|x| x.data_replication_state.as_str() == s)
            .count()
    };
    let work = Work::of(2000);
    assert_eq!(
        (
            state("CONTINUOUS"),
            state("STALLED"),
            state("PAUSED"),
            state("STOPPED")
        ),
        (1800, work.stalled, work.paused, work.stopped)
    );
    let drifted = servers
        .iter()
        .filter(|x| !x.replication_configuration.is_empty())
        .count();
    assert_eq!(drifted, work.drifted);
    assert!(fixture.mgn.active_quota >= 2000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_run_measures_every_figure() {
    let settings = Settings {
        profile: "debug".to_owned(),
        reps: 2,
        latency: Duration::from_millis(1),
        drs_servers: 40,
        drs_may_start: 10,
        backup_points: 20,
        small_divisor: 2,
        fleet: Shape {
            targets: 3,
            servers: 10,
            stopped: 4,
            fleet_concurrency: 2,
            max_concurrency: 2,
        },
        // Two jobs; the follow-up comes within a second of the launch, well within the TTL.
        drill: drill::Shape {
            servers: 10,
            servers_per_job: 5,
            max_concurrency: 4,
            ttl_seconds: 2,
        },
        mgn: mgn::Shape {
            servers: 100,
            max_concurrency: 4,
        },
        evidence: evidence::Shape {
            servers: 40,
            may_start: 10,
            runs: 2,
        },
        // The peers need the venv; the machinery is the same for them.
        python: None,
        out_dir: dr_e2e::target_dir().join("bench-test"),
        ..Settings::full()
    };
    let results = run_all(&settings).await.expect("every scenario completes");

    let names: Vec<&str> = results.cold.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "hello",
            "drs-start-replication",
            "backup-copy-fanout",
            "sms-replication-jobs"
        ]
    );
    for c in &results.cold {
        assert!(c.init.median > 0.0 && c.init.p90 >= c.init.median, "{c:?}");
        assert!(c.first_response.median >= c.init.median, "{c:?}");
        assert!(c.peak_rss_kib > 0, "{c:?}");
    }
    let [drs, backup] = results.fanout.as_slice() else {
        panic!("two fan-out jobs, got {:?}", results.fanout);
    };
    assert_eq!(drs.calls.get("StartReplication"), Some(&10));
    assert_eq!(backup.calls.get("StartCopyJob"), Some(&60));
    for f in [drs, backup] {
        assert!(f.wall > Duration::ZERO && f.bound > Duration::ZERO, "{f:?}");
        assert!(f.sequential.is_none() && f.small_peak_rss_kib > 0, "{f:?}");
    }
    // The small runs start fewer than the concurrency limit allows, so each large run is also
    // measured with the small run's calls in flight.
    assert!(
        matches!(drs.same_in_flight, Some((5, kib)) if kib > 0),
        "{drs:?}"
    );
    assert!(
        matches!(backup.same_in_flight, Some((30, kib)) if kib > 0),
        "{backup:?}"
    );
    assert_eq!(results.sizes.len(), 4);
    let fleet = results.fleet.as_ref().expect("the fleet job ran");
    let assumed: Vec<u64> = fleet.invocations.iter().map(|i| i.assume_role).collect();
    assert_eq!(assumed, [3, 0], "one role per target, then none: {fleet:?}");
    for run in &fleet.invocations {
        assert_eq!(run.calls.get("StartReplication"), Some(&12), "{run:?}");
        assert!(
            run.wall > Duration::ZERO && run.bound > Duration::ZERO,
            "{run:?}"
        );
    }
    assert!(fleet.peak_rss_kib > 0 && fleet.single_target_peak_rss_kib > 0);
    let drill = results.drill.as_ref().expect("the drill ran");
    let names: Vec<&str> = drill.runs.iter().map(|r| r.name).collect();
    assert_eq!(names, drill::RUNS);
    let made = |op: &str| -> Vec<u64> {
        drill
            .runs
            .iter()
            .map(|r| r.calls.get(op).copied().unwrap_or(0))
            .collect()
    };
    assert_eq!(made("StartRecovery"), [2, 0, 0], "{drill:?}");
    assert_eq!(made("TagResource"), [0, 12, 0], "{drill:?}");
    assert_eq!(made("TerminateRecoveryInstances"), [0, 0, 1], "{drill:?}");
    let reconcile = results.mgn.as_ref().expect("the MGN reconcile ran");
    assert_eq!(reconcile.work, Work::of(100));
    assert_eq!(
        reconcile.function.calls.get("mgn:RetryDataReplication"),
        Some(&5),
        "{reconcile:?}"
    );
    assert!(reconcile.function.wall > Duration::ZERO && reconcile.bound > Duration::ZERO);
    assert!(reconcile.peer.is_none());
    let evidence = results.evidence.as_ref().expect("the evidence runs ran");
    let written = evidence.written;
    assert!(
        written.emf_lines >= 1 && written.emf_bytes > 0,
        "{evidence:?}"
    );
    assert!(written.history_bytes > 0, "{evidence:?}");
    for side in [&evidence.with, &evidence.without] {
        assert!(
            side.wall.median > 0.0 && side.peak_rss_kib.median > 0.0,
            "{evidence:?}"
        );
    }

    let markdown = table::markdown(&results);
    for expected in [
        "| cold start: exec → first `next` | drs-start-replication |",
        "| fan-out wall time: 20 recovery points × 3 destinations (one sweep) | backup-copy-fanout |",
        "| peak RSS, large run | drs-start-replication |",
        "| peak RSS, large run with the small run's 5 calls in flight | drs-start-replication |",
        "| bootstrap size | sms-replication-jobs |",
        "| fleet wall time, warm run: 3 targets × 10 source servers, 4 start in each |",
        "| AssumeRole calls, first run: 3 targets | drs-start-replication | 3 |",
        "| peak RSS, fleet run: 3 targets | drs-start-replication |",
        "| drill wall time, launch: 10 servers in 2 jobs | drs-recovery |",
        "| drill wall time, cleanup: 10 drill instances terminated in 1 call | drs-recovery |",
        "| MGN reconcile wall time: 100 source servers: 10 settings updated, 5 stalls retried, \
         2 resumed, 3 started | mgn-replication |",
        "| peak RSS, MGN reconcile: 100 servers | mgn-replication |",
        "| wall time with run history: 40 servers, 10 start | drs-start-replication |",
        "| peak RSS with run history: 40 servers, 10 start | drs-start-replication |",
        "| EMF metrics written per run (stdout) | drs-start-replication |",
        "targets met",
    ] {
        assert!(markdown.contains(expected), "{expected} in\n{markdown}");
    }
    // Without peers, the peer comparisons are reported as not applicable, never as met.
    let rows = table::rows(&results);
    assert!(rows
        .iter()
        .filter(|r| r.reference == "no peer")
        .all(|r| r.met.is_none()));
}
