#!/usr/bin/env python3
"""Renders the DR posture page: one self-contained HTML file from run reports and metric lines.

Inputs are what the functions already produce: their run reports (the Lambda results, or the
run-history objects of S3, one JSON line each with `runId` and `time`) and the CloudWatch
Embedded Metric Format lines they print on stdout (found in any log, among other lines). The
page shows the fleet's state (DRS servers by replication state and largest lag, MGN servers by
lifecycle and replication state, SMS jobs by state, per account and region when the metric lines
carry those dimensions), copy coverage per destination vault with the recovery points missing,
the drills' measured recovery times and points against the RTO and RPO, and the runs. No
network, no scripts, no external styles: the charts are inline SVG. Every text taken from a
report or a metric line is escaped; reports carry AWS messages.

    python3 tools/posture.py --out target/demo/posture.html \\
        --reports reports.jsonl --history history/ --logs target/demo/watch-functions.log

Standard library only.
"""

import argparse
import html
import json
import math
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

# The page's main sections, by element id, in page order; the demo fails on a page without one.
SECTIONS = ("fleet", "coverage", "drills", "runs")

COVERAGE_FUNCTION = "dr-coverage"
FANOUT_FUNCTION = "backup-copy-fanout"
COPY_ACTION = "StartCopyJob"
LAUNCH_ACTION = "Launch"
# Both name a copy `<recovery point ARN> -> <destination vault ARN>`. backup-copy-fanout skips a
# copy that a completed copy job already made with a reason starting with COPIED_REASON
# (functions/backup-copy-fanout/src/plan.rs); dr-coverage gives every pair a CopyCoverage
# outcome whose state is COVERED when the destination holds a completed copy, and every DRS and
# MGN server a DrsProtection or MgnReplication outcome, failed when it is not protected
# (functions/dr-coverage/src/plan.rs).
PAIR_SEPARATOR = " -> "
COPIED_REASON = "already copied"
COVERAGE_ACTION = "CopyCoverage"
COVERED_STATE = "COVERED"
SERVER_ACTIONS = {"DrsProtection": "DRS", "MgnReplication": "MGN"}

# The Account and Region dimensions of a fleet target that names none (shared/src/metrics.rs).
HOME = "home"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# A metric name's state suffix, UpperCamel, as DRS and MGN spell it in SCREAMING_SNAKE_CASE.
CAMEL_WORD = re.compile(r"[A-Z][a-z0-9]*")


# The members of a report, an outcome, a skip and a target that the report model writes as text.
TEXT_FIELDS = frozenset({"function", "status", "trigger", "time", "runId", "target", "action",
                         "result", "state", "detail", "reason", "account", "region", "message",
                         "code"})


def esc(value):
    """Text from a report or a metric line, safe in an element or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


# ------------------------------------------------------------------------------- reading


def _no_constant(name):
    """`NaN`, `Infinity` and `-Infinity`, which Python's JSON reader takes and JSON does not:
    read as absent, so every number on the page is finite."""
    return None


def finite(value):
    """`value` when it is a finite number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return value if math.isfinite(value) else None
    except OverflowError:  # an int too large for a float
        return None


def metric_lines(text):
    """The EMF objects among the lines of a log: each a whole line holding one JSON object with
    an `_aws` member whose `CloudWatchMetrics` is a list ("Specification: Embedded metric
    format", CloudWatch User Guide: one JSON object per log event, nothing before or after)."""
    found = []
    decoder = json.JSONDecoder(parse_constant=_no_constant)
    for line in text.splitlines():
        line = ANSI.sub("", line).strip()
        if not line.startswith("{"):
            continue
        try:
            obj, end = decoder.raw_decode(line)
        except ValueError:
            continue
        if end != len(line) or not isinstance(obj, dict):
            continue
        meta = obj.get("_aws")
        if isinstance(meta, dict) and isinstance(meta.get("CloudWatchMetrics"), list):
            found.append(obj)
    return found


def read_reports(text):
    """Reports from a file's text: a JSON array of reports, one report, or JSON lines."""
    stripped = text.strip()
    if not stripped:
        return []
    try:
        whole = json.loads(stripped, parse_constant=_no_constant)
    except ValueError:
        whole = None
    if isinstance(whole, list):
        return [r for r in whole if is_report(r)]
    if is_report(whole):
        return [whole]
    reports = []
    for n, line in enumerate(stripped.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, parse_constant=_no_constant)
        except ValueError as e:
            raise ValueError(f"line {n}: not JSON: {e}") from e
        if is_report(obj):
            reports.append(obj)
    return reports


def is_report(obj):
    """Whether `obj` has the fields every RunReport has (shared/src/report.rs)."""
    return isinstance(obj, dict) and all(
        k in obj for k in ("function", "status", "counts", "outcomes"))


def _dicts(value):
    """The objects of a JSON array, each with its text fields as text; [] for anything else."""
    if not isinstance(value, list):
        return []
    return [{k: v if v is None or k not in TEXT_FIELDS or isinstance(v, str) else str(v)
             for k, v in item.items()}
            for item in value if isinstance(item, dict)]


def well_formed(report):
    """`report` as the page reads it: lists of objects where the report model has them, text
    where it has text, objects where it has objects. A hand-made or damaged report then renders
    as far as it holds, instead of stopping the page."""
    out = {k: v if v is None or k not in TEXT_FIELDS or isinstance(v, str) else str(v)
           for k, v in report.items()}
    for key in ("outcomes", "skips", "targets"):
        out[key] = _dicts(report.get(key))
    for key in ("counts", "evidence", "error"):
        if not isinstance(out.get(key), dict):
            out.pop(key, None)
    out.setdefault("counts", {})
    for item in out["outcomes"] + out["targets"]:
        for key in ("evidence", "error"):
            if key in item and not isinstance(item[key], dict):
                del item[key]
    return out


def history_reports(directory):
    """The run-history objects under `directory` (the bucket's `function/date/run.json` keys)."""
    reports = []
    for path in sorted(Path(directory).rglob("*.json")):
        reports.extend(read_reports(path.read_text()))
    return reports


# ------------------------------------------------------------------------------- metrics


def as_list(value):
    """`value` when it is a JSON array, else []."""
    return value if isinstance(value, list) else []


def measures(line):
    """The metrics of an EMF line and its dimensions: ({name: value}, {dimension: value},
    timestamp in ms). Only the root members a directive's `Metrics` names are metrics; other
    members are ignored, as CloudWatch ignores them (the EMF specification)."""
    values, dims = {}, {}
    for directive in line["_aws"]["CloudWatchMetrics"]:
        if not isinstance(directive, dict):
            continue
        for metric in as_list(directive.get("Metrics")):
            name = metric.get("Name") if isinstance(metric, dict) else None
            if isinstance(name, str) and name in line:
                values[name] = line[name]
        for dimension_set in as_list(directive.get("Dimensions")):
            for key in dimension_set if isinstance(dimension_set, list) else []:
                if isinstance(line.get(key), str):
                    dims[key] = line[key]
    stamp = line["_aws"].get("Timestamp")
    return values, dims, stamp if isinstance(stamp, (int, float)) else None


def latest_lines(lines):
    """The latest EMF line of each (function, account, region): the state each last reported.
    A fleet line (no account) is keyed with account and region None."""
    latest = {}
    for order, line in enumerate(lines):
        values, dims, stamp = measures(line)
        key = (dims.get("Function", "?"), dims.get("Account"), dims.get("Region"))
        rank = (stamp or 0, order)
        if key not in latest or rank >= latest[key][0]:
            latest[key] = (rank, values, stamp)
    return {key: (values, stamp) for key, (_, values, stamp) in latest.items()}


def number(value):
    """A metric's value as one number, whole when it is (the core writes every value as a
    float); an array (EMF's several values) is summed."""
    if isinstance(value, list):
        value = sum(number(v) for v in value)
    value = finite(value)
    if value is None:
        return 0
    return int(value) if float(value).is_integer() else value


def state_name(camel):
    """`InitialSync` as DRS and MGN spell it: `INITIAL_SYNC`."""
    return "_".join(w.upper() for w in CAMEL_WORD.findall(camel)) or camel


def states(values, prefix, exclude=()):
    """The `<prefix><State>` metrics of a line as [(STATE, count)], largest first."""
    found = [(state_name(name[len(prefix):]), number(v)) for name, v in values.items()
             if name.startswith(prefix) and len(name) > len(prefix) and name not in exclude]
    return sorted(found, key=lambda s: (-s[1], s[0]))


# ------------------------------------------------------------------------------- formatting


def duration(seconds):
    """`1 h 5 min`, `20 min`, `45 s`; `?` for what is not a number of seconds."""
    seconds = finite(seconds)
    if seconds is None:
        return "?"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{h} h" if h else "", f"{m} min" if m else "",
             f"{s} s" if s or not (days or h or m) else ""]
    return " ".join(p for p in parts if p)


def when(stamp_ms):
    """An EMF timestamp (milliseconds) as UTC; `?` for one that is no time a clock can show."""
    stamp_ms = finite(stamp_ms)
    if stamp_ms is None:
        return "?"
    try:
        moment = datetime.fromtimestamp(stamp_ms / 1000, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return "?"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def place(account, region):
    """Where a line or an outcome belongs: the whole fleet (a fleet line), the home account (a
    target without one, `home` in the dimensions) or an account and region."""
    if account is None:
        return "whole fleet"
    if account == HOME:
        return "home account"
    return f"{account} {region or ''}".strip()


def short_arn(arn):
    """The last part of an ARN (`rp-1`, `snap-0003`, a vault's name); the text itself otherwise."""
    tail = arn.rsplit(":", 1)[-1]
    return tail.rsplit("/", 1)[-1] or arn


def vault_label(arn):
    """A vault ARN as `name (region, account)`."""
    parts = arn.split(":")
    if len(parts) >= 7 and parts[2] == "backup":
        return f"{parts[-1]} ({parts[3]}, {parts[4]})"
    return arn


def table(headers, rows, cls=""):
    """An HTML table; every cell is escaped unless it is given as ('html', markup)."""
    def cell(value):
        if isinstance(value, tuple) and value[0] == "html":
            return value[1]
        return esc(value)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>"
                   for row in rows)
    return f'<table class="{esc(cls)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def label_width(labels):
    """Room for the longest label at the charts' 12 px font (at most about 8 px a character, as
    capitals are), bounded."""
    return max(120, min(440, 8 * max((len(str(label)) for label in labels), default=0) + 16))


def bar_chart(title, bars, fmt=str, marker=None, marker_label=""):
    """A horizontal bar chart in inline SVG: bars [(label, value, kind)], kind one of ok, warn,
    bad, info; `marker` draws a line at that value (an objective), labelled `marker_label`."""
    if not bars:
        return ""
    label_w, bar_w, value_w, row_h = label_width(b[0] for b in bars), 300, 110, 22
    top = 18 if marker is not None else 4
    height = top + row_h * len(bars) + 4
    top_value = max([number(v) for _, v, _ in bars] + [number(marker or 0)]) or 1
    scale = lambda v: bar_w * number(v) / top_value
    out = [f'<svg class="chart" role="img" width="{label_w + bar_w + value_w}" height="{height}"'
           f' viewBox="0 0 {label_w + bar_w + value_w} {height}"><title>{esc(title)}</title>']
    for i, (label, value, kind) in enumerate(bars):
        y = top + i * row_h
        out.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{esc(label)}</text>'
                   f'<rect class="{esc(kind)}" x="{label_w}" y="{y + 3}" '
                   f'width="{max(scale(value), 1):.1f}" height="{row_h - 6}"/>'
                   f'<text x="{label_w + scale(value) + 6:.1f}" y="{y + 15}">{esc(fmt(value))}'
                   f'</text>')
    if marker is not None:
        x = label_w + scale(marker)
        out.append(f'<line class="marker" x1="{x:.1f}" y1="12" x2="{x:.1f}" y2="{height}"/>'
                   f'<text class="marker" x="{x:.1f}" y="10" text-anchor="middle">'
                   f'{esc(marker_label)}</text>')
    out.append("</svg>")
    return "".join(out)


def ratio_chart(title, rows):
    """Stacked bars in inline SVG: rows [(label, covered, expected)], covered in green, the rest
    in red, with `covered/expected` beside each."""
    if not rows:
        return ""
    label_w, bar_w, value_w, row_h = label_width(r[0] for r in rows), 300, 110, 22
    height = row_h * len(rows) + 8
    out = [f'<svg class="chart" role="img" width="{label_w + bar_w + value_w}" height="{height}"'
           f' viewBox="0 0 {label_w + bar_w + value_w} {height}"><title>{esc(title)}</title>']
    for i, (label, covered, expected) in enumerate(rows):
        y = 4 + i * row_h
        done = bar_w * covered / expected if expected else bar_w
        out.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{esc(label)}</text>'
                   f'<rect class="bad" x="{label_w}" y="{y + 3}" width="{bar_w}" '
                   f'height="{row_h - 6}"/>'
                   f'<rect class="ok" x="{label_w}" y="{y + 3}" width="{done:.1f}" '
                   f'height="{row_h - 6}"/>'
                   f'<text x="{label_w + bar_w + 6}" y="{y + 15}">{covered}/{expected}</text>')
    out.append("</svg>")
    return "".join(out)


# ------------------------------------------------------------------------------- sections


def protection(runs):
    """The DRS and MGN servers as the latest dr-coverage run judged them, protected or not."""
    checks = server_checks(runs)
    if not checks:
        return ""
    parts = ["<h3>Servers as the latest coverage run judged them</h3>"]
    for service in ("DRS", "MGN"):
        mine = [c for c in checks if c[0] == service]
        if mine:
            bad = sum(not c[5] for c in mine)
            parts.append(f'<p class="protection">{service}: {len(mine) - bad} of {len(mine)} '
                         f"servers protected, {bad} not</p>")
    parts.append(table(
        ["service", "server", "where", "state", "protected", "why"],
        [(service, server, place(account, region) if account else "", state,
          "yes" if ok else "no", detail)
         for service, server, account, region, state, ok, detail in checks], "protection"))
    return "".join(parts)


def fleet_section(latest, runs):
    """DRS, MGN and SMS state as each function's latest metric line gives it, and the servers
    as the coverage runs judged them."""
    parts = ['<section id="fleet"><h2>Fleet state</h2>']
    if not latest:
        parts.append('<p class="empty">No metric lines: nothing reported the fleet\'s state.</p>')
        return "".join(parts) + protection(runs) + "</section>"
    parts.append(
        '<p class="note">As each function last reported it (its latest metric line), for the '
        "whole fleet and, for runs over several targets, per account and region.</p>")
    ordered = sorted(latest.items(), key=lambda kv: (kv[0][0], kv[0][1] is not None,
                                                     kv[0][1] or "", kv[0][2] or ""))
    drs = [(k, v, s) for k, (v, s) in ordered if "DrsServers" in v]
    mgn = [(k, v, s) for k, (v, s) in ordered if "MgnServers" in v]
    sms = [(k, v, s) for k, (v, s) in ordered if "SmsJobs" in v]
    never = lambda v: (f", {number(v['DrsServersNeverDrilled'])} never drilled"
                       if "DrsServersNeverDrilled" in v else "")
    if drs:
        parts.append("<h3>DRS source servers</h3>")
        rows = []
        for (function, account, region), values, stamp in drs:
            by_state = states(values, "DrsServers", exclude=("DrsServersNeverDrilled",))
            rows.append((function, place(account, region), when(stamp),
                         number(values["DrsServers"]),
                         ", ".join(f"{n} {s}" for s, n in by_state if n) or "(none)",
                         f"{number(values.get('DrsServersStalled', 0))} stalled",
                         duration(values["DrsLargestLagSeconds"])
                         if "DrsLargestLagSeconds" in values else "-"))
        parts.append(table(["function", "where", "reported", "servers", "by replication state",
                            "stalled", "largest lag"], rows, "drs"))
        for (function, account, region), values, _ in drs:
            if account is None:
                by_state = [(s, n, state_kind(s)) for s, n in
                            states(values, "DrsServers", exclude=("DrsServersNeverDrilled",))
                            if n]
                parts.append(f"<h4>{esc(function)}: servers by replication state"
                             f"{esc(never(values))}</h4>")
                parts.append(bar_chart(f"{function}: DRS servers by replication state",
                                       by_state) or '<p class="empty">No servers in any state.</p>')
    if mgn:
        parts.append("<h3>MGN source servers</h3>")
        rows = []
        for (function, account, region), values, stamp in mgn:
            rows.append((function, place(account, region), when(stamp),
                         number(values["MgnServers"]),
                         ", ".join(f"{n} {s}" for s, n in states(values, "MgnLifecycle") if n)
                         or "(none)",
                         ", ".join(f"{n} {s}" for s, n in states(values, "MgnReplication") if n)
                         or "(none)",
                         f"{number(values.get('MgnReplicationStalled', 0))} stalled"))
        parts.append(table(["function", "where", "reported", "servers", "by lifecycle state",
                            "by replication state", "stalled"], rows, "mgn"))
        for (function, account, _), values, _ in mgn:
            # A state breakdown to chart: the lines of mgn-replication, not dr-coverage's count
            # of stalled servers alone.
            if account is None and states(values, "MgnLifecycle"):
                for prefix, what in (("MgnLifecycle", "lifecycle"),
                                     ("MgnReplication", "replication")):
                    bars = [(s, n, state_kind(s)) for s, n in states(values, prefix) if n]
                    if bars:
                        parts.append(f"<h4>{esc(function)}: servers by {what} state</h4>")
                        parts.append(bar_chart(f"MGN servers by {what} state", bars))
    if sms:
        parts.append("<h3>SMS replication jobs</h3>")
        rows = [(function, place(account, region), when(stamp), number(values["SmsJobs"]),
                 ", ".join(f"{n} {s}" for s, n in states(values, "SmsJobs") if n) or "(none)")
                for (function, account, region), values, stamp in sms]
        parts.append(table(["function", "where", "reported", "jobs", "by state"], rows, "sms"))
    stopped = [(k, v, s) for k, (v, s) in ordered
               if k[1] is not None and number(v.get("TargetsStopped", 0))]
    if stopped:
        parts.append("<h3>Targets that stopped</h3>")
        parts.append(table(["function", "where", "reported"],
                           [(f, place(a, r), when(s)) for (f, a, r), _, s in stopped], "stopped"))
    if not (drs or mgn or sms):
        parts.append('<p class="empty">No DRS, MGN or SMS metrics in the metric lines.</p>')
    return "".join(parts) + protection(runs) + "</section>"


def state_kind(state):
    """How a replication or lifecycle state is coloured: healthy, in progress, or in trouble."""
    if state in ("CONTINUOUS", "READY_FOR_TEST", "READY_FOR_CUTOVER", "CUTOVER", "ACTIVE",
                 "COMPLETED", "TESTING"):
        return "ok"
    if state in ("STALLED", "DISCONNECTED", "FAILED", "PAUSED_ON_FAILURE", "STOPPED", "PAUSED",
                 "FAILING"):
        return "bad"
    return "warn"


def latest_coverage(runs):
    """The outcomes of the latest dr-coverage run of each account and region, in run order: a
    coverage run judges every pair and server of the targets it covers, so its outcomes replace
    an earlier run's there; a target where it stopped keeps the earlier run's."""
    by_place = {}
    for run in runs:
        if run["report"].get("function") != COVERAGE_FUNCTION:
            continue
        mine = {}
        for o in run["report"].get("outcomes", []):
            mine.setdefault((o.get("account"), o.get("region")), []).append(o)
        by_place.update(mine)
    return [o for outcomes in by_place.values() for o in outcomes]


def copy_pairs(runs, function):
    """Each (recovery point, destination vault) pair the runs of `function` name, with its last
    word, (covered, why): dr-coverage's latest run in each place, or every fan-out run in
    turn, later ones replacing earlier ones (a fan-out run names only the copies it looks at)."""
    pairs = {}
    if function == COVERAGE_FUNCTION:
        for o in latest_coverage(runs):
            if o.get("action") == COVERAGE_ACTION and PAIR_SEPARATOR in o.get("target", ""):
                state = o.get("state") or "?"
                pairs[split_pair(o["target"])] = (state == COVERED_STATE,
                                                  f"{state}: {o.get('detail') or ''}")
        return pairs
    for run in runs:
        report = run["report"]
        if report.get("function") != function:
            continue
        for o in report.get("outcomes", []):
            if o.get("action") != COPY_ACTION or PAIR_SEPARATOR not in o.get("target", ""):
                continue
            why = {
                "done": "copy started, not completed yet",
                "planned": "copy not started (dry run)",
                "failed": f"copy failed: {o.get('detail') or ''}",
            }.get(o.get("result"), o.get("detail") or o.get("result", ""))
            pairs[split_pair(o["target"])] = (False, why)
        for s in report.get("skips", []):
            if PAIR_SEPARATOR not in s.get("target", ""):
                continue
            reason = s.get("reason", "")
            pairs[split_pair(s["target"])] = (reason.startswith(COPIED_REASON), reason)
    return pairs


def split_pair(target):
    point, destination = target.split(PAIR_SEPARATOR, 1)
    return point, destination


def coverage_from_reports(runs):
    """Coverage per destination vault: {vault: (covered points, missing [(point, why)])}, and
    the function whose reports gave it (dr-coverage when it ran, else backup-copy-fanout)."""
    for function in (COVERAGE_FUNCTION, FANOUT_FUNCTION):
        pairs = copy_pairs(runs, function)
        if pairs:
            by_vault = {}
            for (point, vault), (covered, why) in sorted(pairs.items()):
                entry = by_vault.setdefault(vault, ([], []))
                if covered:
                    entry[0].append(point)
                else:
                    entry[1].append((point, why))
            return by_vault, function
    return {}, None


def unverified(runs):
    """What the latest dr-coverage runs could not verify beyond their pairs (older recovery
    points they had no room to examine), as their outcomes say."""
    return [o.get("detail") or o.get("target", "") for o in latest_coverage(runs)
            if o.get("action") == COVERAGE_ACTION and PAIR_SEPARATOR not in o.get("target", "")
            and o.get("result") == "failed"]


def server_checks(runs):
    """Each DRS and MGN server the latest dr-coverage runs judged, in their order:
    [(service, server, account, region, state, protected, detail)]."""
    return [(SERVER_ACTIONS[o["action"]], o.get("target", ""), o.get("account"), o.get("region"),
             o.get("state") or "?", o.get("result") != "failed", o.get("detail") or "")
            for o in latest_coverage(runs) if o.get("action") in SERVER_ACTIONS]


def coverage_section(runs, latest):
    parts = ['<section id="coverage"><h2>Copy coverage per destination</h2>']
    by_vault, source = coverage_from_reports(runs)
    if by_vault:
        parts.append(f'<p class="note">For every recovery point the {esc(source)} reports name '
                     "and every destination vault: covered when a completed copy job made the "
                     "copy, as "
                     + ("the latest coverage run of each account and region says"
                        if source == COVERAGE_FUNCTION
                        else "the latest report naming the pair says") + ".</p>")
        rows, bars = [], []
        for vault, (covered, missing) in sorted(by_vault.items()):
            expected = len(covered) + len(missing)
            percent = 100 * len(covered) / expected if expected else 100
            rows.append((("html", f'<span title="{esc(vault)}">{esc(vault_label(vault))}</span>'),
                         ("html", f'<span class="covered">{len(covered)}/{expected}</span>'),
                         f"{percent:.0f} %",
                         ("html", "<br>".join(
                             f'<span class="missing" title="{esc(p)}">{esc(short_arn(p))}</span>'
                             f": {esc(why)}" for p, why in missing) or "none")))
            bars.append((vault_label(vault), len(covered), expected))
        parts.append(table(["destination vault", "covered/expected", "coverage",
                            "recovery points missing"], rows, "coverage"))
        parts.append(ratio_chart("Copy coverage per destination vault", bars))
    else:
        parts.append('<p class="empty">No copy outcomes: no coverage or fan-out run named a '
                     "recovery point and destination.</p>")
    for note in unverified(runs):
        parts.append(f'<p class="unverified">Not verified: {esc(note)}</p>')
    reported = [(k, v, s) for k, (v, s) in sorted(latest.items(), key=lambda kv: str(kv[0]))
                if "CopiesExpected" in v or "CopyCoveragePercent" in v]
    if reported:
        parts.append("<h3>As the metric lines report it</h3>")
        parts.append(table(
            ["function", "where", "reported", "copies expected", "copies completed",
             "coverage", "started", "queued", "failed", "missing"],
            [(f, place(a, r), when(s), number(v.get("CopiesExpected", 0)),
              number(v.get("CopiesCompleted", 0)),
              f"{number(v['CopyCoveragePercent']):g} %" if "CopyCoveragePercent" in v else "-",
              *(number(v[m]) if m in v else "-"
                for m in ("CopiesStarted", "CopiesQueued", "CopiesFailed", "CopiesMissing")))
             for (f, a, r), v, s in reported], "coverage-metrics"))
    return "".join(parts) + "</section>"


def objective(measured, target):
    """`within` / `beyond` a configured objective, `no objective` without one."""
    if measured is None or target is None:
        return "no objective" if target is None else "not measured"
    return "within" if measured <= target else "beyond"


def drills_section(runs, latest):
    parts = ['<section id="drills"><h2>Drills and recoveries</h2>']
    launches = [(run, o) for run in runs for o in run["report"].get("outcomes", [])
                if o.get("action") == LAUNCH_ACTION and isinstance(o.get("evidence"), dict)]
    if launches:
        rows, bars = [], []
        rto = next((finite(o["evidence"].get("rtoSeconds")) for _, o in launches
                    if finite(o["evidence"].get("rtoSeconds")) is not None), None)
        for run, o in launches:
            e = o["evidence"]
            time_s, age, o_rto, o_rpo = (finite(e.get(k)) for k in (
                "recoveryTimeSeconds", "recoveryPointAgeSeconds", "rtoSeconds", "rpoSeconds"))
            where = place(o.get("account"), o.get("region")) if o.get("account") else ""
            rows.append((run["label"], f"{o.get('target', '')} {where}".strip(),
                         "drill" if e.get("drill") else "recovery",
                         duration(time_s) if time_s is not None else "not measured",
                         f"RTO {duration(o_rto)}" if o_rto is not None else "no RTO",
                         objective(time_s, o_rto),
                         duration(age) if age is not None else "not measured",
                         f"RPO {duration(o_rpo)}" if o_rpo is not None else "no RPO",
                         objective(age, o_rpo)))
            if time_s is not None:
                bars.append((o.get("target", ""), time_s,
                             "bad" if objective(time_s, o_rto) == "beyond" else "ok"))
        parts.append(table(["run", "server", "kind", "recovery time", "objective", "",
                            "recovery point age", "objective", ""], rows, "launches"))
        parts.append("<h4>Recovery time per launch"
                     + (f" against the RTO ({esc(duration(rto))})" if rto is not None else "")
                     + "</h4>")
        parts.append(bar_chart("Recovery time per launch", bars, duration, rto,
                               f"RTO {duration(rto)}" if rto is not None else ""))
    else:
        parts.append('<p class="empty">No measured launches: no drill or recovery in these '
                     "runs reached a launched instance.</p>")
    totals = [(run, run["report"]["evidence"]) for run in runs
              if isinstance(run["report"].get("evidence"), dict)]
    if totals:
        parts.append("<h3>Each run's evidence</h3>")
        parts.append(table(
            ["run", "launches", "drills", "longest recovery time", "RTO", "beyond RTO",
             "oldest recovery point", "RPO", "beyond RPO"],
            [(run["label"], e.get("launches", 0), e.get("drills", 0),
              duration(e.get("longestRecoveryTimeSeconds")), duration(e.get("rtoSeconds"))
              if e.get("rtoSeconds") is not None else "none", e.get("beyondRto", 0),
              duration(e.get("oldestRecoveryPointSeconds")), duration(e.get("rpoSeconds"))
              if e.get("rpoSeconds") is not None else "none", e.get("beyondRpo", 0))
             for run, e in totals], "evidence"))
    drill_age = [(k, v, s) for k, (v, s) in sorted(latest.items(), key=lambda kv: str(kv[0]))
                 if "DrsLastDrillAgeSeconds" in v or "DrsServersNeverDrilled" in v]
    if drill_age:
        parts.append("<h3>Last successful drill, as the metric lines report it</h3>")
        parts.append(table(
            ["function", "where", "reported", "oldest last drill", "never drilled"],
            [(f, place(a, r), when(s),
              duration(number(v["DrsLastDrillAgeSeconds"]))
              if "DrsLastDrillAgeSeconds" in v else "-",
              number(v.get("DrsServersNeverDrilled", 0)))
             for (f, a, r), v, s in drill_age], "drill-age"))
    return "".join(parts) + "</section>"


def runs_section(runs):
    parts = ['<section id="runs"><h2>Runs</h2>']
    if not runs:
        parts.append('<p class="empty">No runs: no run reports were given, so there is nothing '
                     "to show yet.</p>")
        return "".join(parts) + "</section>"
    rows = []
    for run in runs:
        r = run["report"]
        c = r.get("counts", {})
        targets = r.get("targets") or []
        stopped = [t for t in targets if t.get("error")]
        notes = [(r.get("error") or {}).get("message", "")]
        notes += [f"{place(t.get('account'), t.get('region'))}: {t['error'].get('message', '')}"
                  for t in stopped]
        if r.get("outcomesNotListed"):
            # A Lambda result cut to its size limit; the run history holds the whole report.
            notes.append(f"{r['outcomesNotListed']} outcomes not listed in this result")
        rows.append((run["time"] or "-", r.get("function", "?"), r.get("trigger", ""),
                     ("html", f'<span class="status {esc(str(r.get("status", "")).lower())}">'
                              f'{esc(r.get("status", "?"))}</span>'),
                     c.get("done", 0), c.get("unchanged", 0), c.get("planned", 0),
                     c.get("failed", 0), c.get("skipped", 0),
                     f"{len(targets)} ({len(stopped)} stopped)" if len(targets) > 1 else "-",
                     "; ".join(n for n in notes if n)))
    parts.append(table(["time", "function", "trigger", "status", "done", "unchanged", "planned",
                        "failed", "skipped", "targets", "errors"], rows, "runs"))
    by_status = {}
    for run in runs:
        status = str(run["report"].get("status", "?"))
        by_status[status] = by_status.get(status, 0) + 1
    kinds = {"SUCCEEDED": "ok", "DRY_RUN": "info", "PARTIALLY_FAILED": "warn", "FAILED": "bad"}
    parts.append("<h4>Runs by status</h4>")
    parts.append(bar_chart("Runs by status", [(s, n, kinds.get(s, "info"))
                                              for s, n in sorted(by_status.items())]))
    return "".join(parts) + "</section>"


# ------------------------------------------------------------------------------- page

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1150px; color: #1b1f24;
       padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #d0d7de;
  padding-bottom: 0.2em; margin-top: 2em; } h4 { margin: 1em 0 0.3em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } .note, .empty { color: #57606a; } .empty { font-style: italic; }
.missing { font-family: ui-monospace, monospace; color: #a40e26; }
.unverified { color: #9a6700; }
.status.succeeded { color: #1a7f37; } .status.failed { color: #a40e26; }
.status.partially_failed { color: #9a6700; } .status.dry_run { color: #0969da; }
svg.chart text { font: 12px system-ui, sans-serif; fill: #1b1f24; }
svg.chart rect.ok { fill: #2da44e; } svg.chart rect.warn { fill: #d4a72c; }
svg.chart rect.bad { fill: #cf222e; } svg.chart rect.info { fill: #54aeff; }
svg.chart line.marker { stroke: #1b1f24; stroke-width: 2; stroke-dasharray: 4 3; }
svg.chart text.marker { font-weight: bold; }
"""


def runs_of(reports):
    """The reports as runs, in time order (reports without a time keep their place at the end):
    each {report, time, label}."""
    runs = [{"report": well_formed(r),
             "time": r.get("time") if isinstance(r.get("time"), str) else None}
            for r in reports]
    runs.sort(key=lambda run: (run["time"] is None, run["time"] or ""))
    for run in runs:
        run["label"] = f"{run['report'].get('function', '?')} {run['time'] or ''}".strip()
    return runs


def render(reports, lines, title="DR posture", generated=None):
    """The posture page for these run reports and EMF lines, as one HTML string."""
    runs = runs_of(reports)
    latest = latest_lines(lines)
    generated = generated or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    functions = sorted({str(r.get("function", "?")) for r in reports})
    summary = (f"{len(runs)} runs of {len(functions)} functions ({', '.join(functions)}), "
               f"{len(lines)} metric lines" if runs else f"No runs; {len(lines)} metric lines")
    body = "".join([fleet_section(latest, runs), coverage_section(runs, latest),
                    drills_section(runs, latest), runs_section(runs)])
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{esc(title)}</h1><p class=\"note\">Generated {esc(generated)} from "
            f"{esc(summary)}.</p>{body}</body></html>\n")


def missing_sections(page):
    """The main sections a rendered page lacks (empty when it has all of them)."""
    return [s for s in SECTIONS if f'<section id="{s}">' not in page]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="the HTML file to write")
    parser.add_argument("--reports", nargs="*", default=[], type=Path,
                        help="files of run reports (a JSON array, one report, or JSON lines)")
    parser.add_argument("--history", nargs="*", default=[], type=Path,
                        help="directories of run-history objects (*.json)")
    parser.add_argument("--logs", nargs="*", default=[], type=Path,
                        help="logs holding the functions' EMF lines among other lines")
    parser.add_argument("--title", default="DR posture")
    args = parser.parse_args(argv)
    reports = []
    for path in args.reports:
        try:
            reports.extend(read_reports(path.read_text()))
        except ValueError as e:
            sys.exit(f"posture: {path}: {e}")
    for directory in args.history:
        reports.extend(history_reports(directory))
    lines = [line for path in args.logs for line in metric_lines(path.read_text())]
    page = render(reports, lines, args.title)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page)
    print(f"posture: {args.out} ({len(reports)} runs, {len(lines)} metric lines)")


if __name__ == "__main__":
    main()
