//! The results as a Markdown table: every figure beside its floor or peer, the ratio, and
//! whether the target for it is met.

use crate::drill::DrillBench;
use crate::evidence::EvidenceBench;
use crate::fleet::FleetBench;
use crate::mgn::MgnBench;
use crate::suite::{Fanout, Results, FUNCTIONS};
use crate::{Summary, FLOOR};
use std::fmt::Write as _;
use std::time::Duration;

/// Cold start: at most this many times the floor's initialisation...
pub const INIT_VS_FLOOR: f64 = 1.5;
/// ...and at most this share of the Python peer's.
pub const INIT_VS_PEER: f64 = 0.1;
/// Fan-out wall time: at most this many times the bound.
pub const WALL_VS_BOUND: f64 = 1.3;
/// Fan-out: at least this many times faster than the sequential peer.
pub const SPEEDUP_VS_SEQUENTIAL: f64 = 20.0;
/// Peak RSS: large run at most this many times the small run...
pub const RSS_LARGE_VS_SMALL: f64 = 1.2;
/// ...and at most this many times the floor.
pub const RSS_VS_FLOOR: f64 = 2.0;
/// Run history: a run that stores its report takes at most this many times the run that does
/// not...
pub const HISTORY_WALL_VS_WITHOUT: f64 = 1.2;
/// ...and peaks at most this many times its memory.
pub const HISTORY_RSS_VS_WITHOUT: f64 = 1.1;

/// One line of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// What is measured.
    pub figure: String,
    /// Whose figure it is.
    pub subject: String,
    /// The figure.
    pub value: String,
    /// What it is compared with, and that figure.
    pub reference: String,
    /// The ratio, spelled out.
    pub ratio: String,
    /// The target, spelled out; empty when the figure is only reported.
    pub target: String,
    /// Met, missed, or `None` when there is no target or no reference.
    pub met: Option<bool>,
}

impl Row {
    fn result(&self) -> &'static str {
        match (self.met, self.target.is_empty()) {
            (Some(true), _) => "met",
            (Some(false), _) => "**MISSED**",
            (None, true) => "reported",
            (None, false) => "n/a",
        }
    }
}

fn ms(s: &Summary) -> String {
    format!("{:.2} ms (p90 {:.2})", s.median, s.p90)
}

fn secs(d: Duration) -> String {
    if d < Duration::from_secs(2) {
        format!("{:.0} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// A row comparing `value` with `reference` as `value / reference`, met when at most `max`.
fn at_most(
    figure: &str,
    subject: &str,
    value: (f64, String),
    reference: Option<(String, f64, String)>,
    max: Option<f64>,
) -> Row {
    let (ratio, reference, met) = match reference {
        Some((name, r, shown)) if r > 0.0 => {
            let ratio = value.0 / r;
            (
                format!("{ratio:.2}×"),
                format!("{name}: {shown}"),
                max.map(|m| ratio <= m),
            )
        }
        Some((name, _, shown)) => ("—".to_owned(), format!("{name}: {shown}"), None),
        None => ("—".to_owned(), "no peer".to_owned(), None),
    };
    Row {
        figure: figure.to_owned(),
        subject: subject.to_owned(),
        value: value.1,
        reference,
        ratio,
        target: max.map_or_else(String::new, |m| format!("≤ {m}×")),
        met,
    }
}

/// Every row, in the order of the issue: cold start, fan-out, memory, size.
pub fn rows(results: &Results) -> Vec<Row> {
    let mut rows = Vec::new();
    let floor = results.cold(FLOOR);
    for (function, peer) in FUNCTIONS {
        let Some(f) = results.cold(function) else {
            continue;
        };
        let peer = peer.and_then(|p| results.cold(p));
        let init = (f.init.median, ms(&f.init));
        rows.push(at_most(
            "cold start: exec → first `next`",
            function,
            init.clone(),
            floor.map(|c| (format!("floor `{FLOOR}`"), c.init.median, ms(&c.init))),
            Some(INIT_VS_FLOOR),
        ));
        rows.push(at_most(
            "cold start: exec → first `next`",
            function,
            init,
            peer.map(|c| (format!("Python `{}`", c.name), c.init.median, ms(&c.init))),
            Some(INIT_VS_PEER),
        ));
        let first = (f.first_response.median, ms(&f.first_response));
        rows.push(at_most(
            "cold start: exec → first response",
            function,
            first.clone(),
            floor.map(|c| {
                (
                    format!("floor `{FLOOR}`"),
                    c.first_response.median,
                    ms(&c.first_response),
                )
            }),
            None,
        ));
        rows.push(at_most(
            "cold start: exec → first response",
            function,
            first,
            peer.map(|c| {
                (
                    format!("Python `{}`", c.name),
                    c.first_response.median,
                    ms(&c.first_response),
                )
            }),
            None,
        ));
    }
    for f in &results.fanout {
        rows.extend(fanout_rows(f));
    }
    for f in &results.fanout {
        rows.extend(memory_rows(f, floor.map(|c| c.peak_rss_kib)));
    }
    if let Some(f) = &results.fleet {
        rows.extend(fleet_rows(f));
    }
    if let Some(d) = &results.drill {
        rows.extend(drill_rows(d));
    }
    if let Some(m) = &results.mgn {
        rows.extend(mgn_rows(m));
    }
    if let Some(e) = &results.evidence {
        rows.extend(evidence_rows(e));
    }
    if let (Some(sms), Some(floor_rss)) = (
        results.cold("sms-replication-jobs"),
        floor.map(|c| c.peak_rss_kib),
    ) {
        rows.push(at_most(
            "peak RSS, cold-start run (no large run)",
            &sms.name,
            (sms.peak_rss_kib as f64, mib(sms.peak_rss_kib)),
            Some((format!("floor `{FLOOR}`"), floor_rss as f64, mib(floor_rss))),
            Some(RSS_VS_FLOOR),
        ));
    }
    // What the cold-start RSS is made of: pages of the mapped binary and libraries, the rest
    // anonymous memory (heap, stacks).
    for c in results.cold.iter().filter(|c| !c.name.starts_with("peer_")) {
        rows.push(at_most(
            "mapped files in RSS, cold-start run",
            &c.name,
            (c.file_rss_kib as f64, mib(c.file_rss_kib)),
            Some((
                "its peak RSS".to_owned(),
                c.peak_rss_kib as f64,
                mib(c.peak_rss_kib),
            )),
            None,
        ));
    }
    let floor_size = results
        .sizes
        .iter()
        .find(|(n, _)| n == FLOOR)
        .map(|(_, s)| *s);
    for (name, size) in results.sizes.iter().filter(|(n, _)| n != FLOOR) {
        rows.push(at_most(
            "bootstrap size",
            name,
            (*size as f64, mib(size / 1024)),
            floor_size.map(|s| (format!("floor `{FLOOR}`"), s as f64, mib(s / 1024))),
            None,
        ));
    }
    rows
}

fn fanout_rows(f: &Fanout) -> Vec<Row> {
    let figure = format!("fan-out wall time: {}", f.job);
    let mut rows = vec![at_most(
        &figure,
        &f.function,
        (f.wall.as_secs_f64(), secs(f.wall)),
        Some(("bound".to_owned(), f.bound.as_secs_f64(), secs(f.bound))),
        Some(WALL_VS_BOUND),
    )];
    let speedup = f
        .sequential
        .map(|s| s.as_secs_f64() / f.wall.as_secs_f64().max(f64::EPSILON));
    rows.push(Row {
        figure,
        subject: f.function.clone(),
        value: secs(f.wall),
        reference: f.sequential.map_or_else(
            || "no peer".to_owned(),
            |s| format!("sequential Python peer: {}", secs(s)),
        ),
        ratio: speedup.map_or_else(|| "—".to_owned(), |x| format!("{x:.1}× faster")),
        target: format!("≥ {SPEEDUP_VS_SEQUENTIAL}× faster"),
        met: speedup.map(|x| x >= SPEEDUP_VS_SEQUENTIAL),
    });
    rows
}

fn memory_rows(f: &Fanout, floor_rss: Option<u64>) -> Vec<Row> {
    let large = (f.peak_rss_kib as f64, mib(f.peak_rss_kib));
    let mut rows = vec![
        at_most(
            "peak RSS, large run",
            &f.function,
            large.clone(),
            Some((
                "small run".to_owned(),
                f.small_peak_rss_kib as f64,
                mib(f.small_peak_rss_kib),
            )),
            Some(RSS_LARGE_VS_SMALL),
        ),
        at_most(
            "peak RSS, large run",
            &f.function,
            large.clone(),
            floor_rss.map(|r| (format!("floor `{FLOOR}`"), r as f64, mib(r))),
            Some(RSS_VS_FLOOR),
        ),
    ];
    if let Some((width, kib)) = f.same_in_flight {
        rows.push(at_most(
            &format!("peak RSS, large run with the small run's {width} calls in flight"),
            &f.function,
            (kib as f64, mib(kib)),
            Some((
                "small run".to_owned(),
                f.small_peak_rss_kib as f64,
                mib(f.small_peak_rss_kib),
            )),
            None,
        ));
    }
    if let Some(peer) = f.sequential_peak_rss_kib {
        rows.push(at_most(
            "peak RSS, large run",
            &f.function,
            large,
            Some(("Python peer".to_owned(), peer as f64, mib(peer))),
            None,
        ));
    }
    rows
}

/// The fleet job: wall time of each invocation against its bound, `AssumeRole` calls of each
/// (one per target on the first, none on the warm one within the credentials' lifetime), and
/// peak RSS against the same job on one target.
fn fleet_rows(f: &FleetBench) -> Vec<Row> {
    let targets = f.shape.targets as u64;
    let mut rows = Vec::new();
    for (i, run) in f.invocations.iter().enumerate() {
        let (which, want) = match i {
            0 => ("first run", targets),
            _ => ("warm run", 0),
        };
        rows.push(at_most(
            &format!("fleet wall time, {which}: {}", f.job()),
            crate::fleet::FUNCTION,
            (run.wall.as_secs_f64(), secs(run.wall)),
            Some(("bound".to_owned(), run.bound.as_secs_f64(), secs(run.bound))),
            Some(WALL_VS_BOUND),
        ));
        rows.push(Row {
            figure: format!("AssumeRole calls, {which}: {} targets", f.shape.targets),
            subject: crate::fleet::FUNCTION.to_owned(),
            value: run.assume_role.to_string(),
            reference: match want {
                0 => "none within the credentials' lifetime".to_owned(),
                n => format!("one per target: {n}"),
            },
            ratio: format!(
                "{:.2} per target",
                run.assume_role as f64 / targets.max(1) as f64
            ),
            target: format!("= {want}"),
            met: Some(run.assume_role == want),
        });
    }
    rows.push(at_most(
        &format!("peak RSS, fleet run: {} targets", f.shape.targets),
        crate::fleet::FUNCTION,
        (f.peak_rss_kib as f64, mib(f.peak_rss_kib)),
        Some((
            "single-target run".to_owned(),
            f.single_target_peak_rss_kib as f64,
            mib(f.single_target_peak_rss_kib),
        )),
        None,
    ));
    rows
}

/// The drill: wall time of its launch, follow-up and cleanup, each against its bound, and the
/// peak RSS of the process over the three.
fn drill_rows(d: &DrillBench) -> Vec<Row> {
    let mut rows: Vec<Row> = d
        .runs
        .iter()
        .map(|run| {
            at_most(
                &format!("drill wall time, {}: {}", run.name, run.work),
                crate::drill::FUNCTION,
                (run.wall.as_secs_f64(), secs(run.wall)),
                Some(("bound".to_owned(), run.bound.as_secs_f64(), secs(run.bound))),
                Some(WALL_VS_BOUND),
            )
        })
        .collect();
    rows.push(Row {
        figure: format!("peak RSS, drill runs: {} servers", d.shape.servers),
        subject: crate::drill::FUNCTION.to_owned(),
        value: mib(d.peak_rss_kib),
        reference: "—".to_owned(),
        ratio: "—".to_owned(),
        target: String::new(),
        met: None,
    });
    rows
}

/// The MGN reconcile: its wall time against its bound and against the sequential peer, and its
/// peak RSS against the peer's.
fn mgn_rows(m: &MgnBench) -> Vec<Row> {
    let figure = format!("MGN reconcile wall time: {}", m.work.describe());
    let f = &m.function;
    let mut rows = vec![at_most(
        &figure,
        crate::mgn::FUNCTION,
        (f.wall.as_secs_f64(), secs(f.wall)),
        Some(("bound".to_owned(), m.bound.as_secs_f64(), secs(m.bound))),
        Some(WALL_VS_BOUND),
    )];
    let speedup = m
        .peer
        .as_ref()
        .map(|p| p.wall.as_secs_f64() / f.wall.as_secs_f64().max(f64::EPSILON));
    rows.push(Row {
        figure,
        subject: crate::mgn::FUNCTION.to_owned(),
        value: secs(f.wall),
        reference: m.peer.as_ref().map_or_else(
            || "no peer".to_owned(),
            |p| format!("sequential Python peer: {}", secs(p.wall)),
        ),
        ratio: speedup.map_or_else(|| "—".to_owned(), |x| format!("{x:.1}× faster")),
        target: format!("≥ {SPEEDUP_VS_SEQUENTIAL}× faster"),
        met: speedup.map(|x| x >= SPEEDUP_VS_SEQUENTIAL),
    });
    rows.push(at_most(
        &format!("peak RSS, MGN reconcile: {} servers", m.work.servers),
        crate::mgn::FUNCTION,
        (f.peak_rss_kib as f64, mib(f.peak_rss_kib)),
        m.peer.as_ref().map(|p| {
            (
                "Python peer".to_owned(),
                p.peak_rss_kib as f64,
                mib(p.peak_rss_kib),
            )
        }),
        None,
    ));
    rows
}

/// Run history against none: wall time and peak RSS, with and without; and what the metrics
/// lines of a run weigh beside the history object.
fn evidence_rows(e: &EvidenceBench) -> Vec<Row> {
    let function = crate::evidence::FUNCTION;
    let what = format!("{} servers, {} start", e.shape.servers, e.shape.may_start);
    let mut rows = vec![
        at_most(
            &format!("wall time with run history: {what}"),
            function,
            (e.with.wall.median, ms(&e.with.wall)),
            Some((
                "without history".to_owned(),
                e.without.wall.median,
                ms(&e.without.wall),
            )),
            Some(HISTORY_WALL_VS_WITHOUT),
        ),
        at_most(
            &format!("peak RSS with run history: {what}"),
            function,
            (
                e.with.peak_rss_kib.median,
                mib(e.with.peak_rss_kib.median as u64),
            ),
            Some((
                "without history".to_owned(),
                e.without.peak_rss_kib.median,
                mib(e.without.peak_rss_kib.median as u64),
            )),
            Some(HISTORY_RSS_VS_WITHOUT),
        ),
    ];
    let w = &e.written;
    rows.push(at_most(
        "EMF metrics written per run (stdout)",
        function,
        (
            w.emf_bytes as f64,
            format!("{} line(s), {} bytes", w.emf_lines, w.emf_bytes),
        ),
        Some((
            "the history object".to_owned(),
            w.history_bytes as f64,
            format!("{} bytes", w.history_bytes),
        )),
        None,
    ));
    rows
}

/// `op n, op n` for the calls of a run.
fn listed(calls: &crate::suite::Calls) -> String {
    calls
        .iter()
        .map(|(op, n)| format!("{op} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The whole Markdown document: notes, the table, the bounds and the calls counted.
pub fn markdown(results: &Results) -> String {
    let rows = rows(results);
    let mut out = String::from("# dr-automation benchmarks\n\n");
    for note in &results.notes {
        let _ = writeln!(out, "- {note}");
    }
    let _ = writeln!(
        out,
        "- load average before / after: {} / {}\n",
        results.load.0, results.load.1
    );
    out.push_str("| figure | function | value | compared with | ratio | target | result |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for r in &rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.figure,
            r.subject,
            r.value,
            r.reference,
            r.ratio,
            r.target,
            r.result()
        );
    }
    out.push_str("\nBounds and calls counted by the emulator:\n\n");
    for f in &results.fanout {
        let calls: Vec<String> = f.calls.iter().map(|(op, n)| format!("{op} {n}")).collect();
        let _ = writeln!(
            out,
            "- `{}`: bound {} = {}; calls: {}",
            f.function,
            secs(f.bound),
            f.bound_formula,
            calls.join(", ")
        );
    }
    if let Some(f) = &results.fleet {
        for (which, run) in ["first run", "warm run"].iter().zip(&f.invocations) {
            let calls: Vec<String> = run
                .calls
                .iter()
                .map(|(op, n)| format!("{op} {n}"))
                .collect();
            let _ = writeln!(
                out,
                "- `{}` fleet, {which}: bound {} = {}; calls: {}",
                crate::fleet::FUNCTION,
                secs(run.bound),
                f.bound_formula,
                calls.join(", ")
            );
        }
    }
    if let Some(d) = &results.drill {
        for run in &d.runs {
            let calls: Vec<String> = run
                .calls
                .iter()
                .map(|(op, n)| format!("{op} {n}"))
                .collect();
            let _ = writeln!(
                out,
                "- `{}` drill, {}: bound {} = {}; calls: {}",
                crate::drill::FUNCTION,
                run.name,
                secs(run.bound),
                d.bound_formula,
                calls.join(", ")
            );
        }
    }
    if let Some(m) = &results.mgn {
        let _ = writeln!(
            out,
            "- `{}` reconcile: bound {} = {}; calls: {}",
            crate::mgn::FUNCTION,
            secs(m.bound),
            m.bound_formula,
            listed(&m.function.calls)
        );
        let u = &m.usage;
        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
        let _ = writeln!(
            out,
            "  (the emulator's service time: pages {}, settings {}, writes {}, Publish {})",
            ms(u.pages_service),
            ms(u.configurations_service),
            ms(u.writes_service),
            ms(u.publish_service)
        );
        if let Some(peer) = &m.peer {
            let _ = writeln!(
                out,
                "- `{}` (sequential peer) reconcile: calls: {}",
                crate::mgn::PEER,
                listed(&peer.calls)
            );
        }
    }
    if let Some(e) = &results.evidence {
        let _ = writeln!(
            out,
            "- `{}` history: one `s3:PutObject` per run; the emulator's median service time of \
             it {:.2} ms (part of the difference, as no latency is injected)",
            crate::evidence::FUNCTION,
            e.put_service.median
        );
    }
    let missed = rows.iter().filter(|r| r.met == Some(false)).count();
    let _ = writeln!(
        out,
        "\n{} of {} targets met, {missed} missed.",
        rows.iter().filter(|r| r.met == Some(true)).count(),
        rows.iter().filter(|r| r.met.is_some()).count()
    );
    out
}
