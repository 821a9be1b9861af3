//! The benchmark machinery on a tiny account with the debug binaries: every scenario completes,
//! does the work it is measured on, and the table reports every figure. No timing is asserted.

use dr_bench::suite::{run_all, Settings};
use dr_bench::table;
use std::time::Duration;

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

    let markdown = table::markdown(&results);
    for expected in [
        "| cold start: exec → first `next` | drs-start-replication |",
        "| fan-out wall time: 20 recovery points × 3 destinations (one sweep) | backup-copy-fanout |",
        "| peak RSS, large run | drs-start-replication |",
        "| peak RSS, large run with the small run's 5 calls in flight | drs-start-replication |",
        "| bootstrap size | sms-replication-jobs |",
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
