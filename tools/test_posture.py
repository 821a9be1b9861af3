"""Tests of the posture page (tools/posture.py): rendered from the reports and function logs in
tools/posture_fixtures/, read back with an HTML parser, and checked for what it shows."""

import contextlib
import io
import json
import re
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import posture  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "posture_fixtures"
REPORTS = posture.read_reports((FIXTURES / "reports.jsonl").read_text())
COVERAGE = posture.read_reports((FIXTURES / "coverage-report.json").read_text())[0]
LINES = posture.metric_lines((FIXTURES / "function-logs.log").read_text())
HOSTILE = '<script>alert("x")</script>&<img src=x onerror=alert(1)>'
WEST = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west"
ISOLATED = "arn:aws:backup:us-east-2:210987654321:backup-vault:dr-copy-isolated"


class Page(HTMLParser):
    """A rendered page as the tests read it: each section's text and its tables' rows (cell
    texts), every element's tag and every attribute name."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.sections, self.tables, self.tags, self.attributes = {}, {}, [], set()
        self._section, self._row, self._cell = None, None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.update(name for name, _ in attrs)
        attrs = dict(attrs)
        if tag == "section":
            self._section = attrs.get("id")
            self.sections[self._section] = ""
            self.tables[self._section] = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""
        elif tag == "br" and self._cell is not None:
            self._cell += "\n"

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._section:
            self.tables[self._section].append(self._row)
            self._row = None
        elif tag == "section":
            self._section = None

    def handle_data(self, data):
        if self._section:
            self.sections[self._section] += data
        if self._cell is not None:
            self._cell += data

    def row(self, section, *first):
        """The first row of `section`'s tables whose leading cells are `first`."""
        for row in self.tables[section]:
            if tuple(row[:len(first)]) == first:
                return row
        raise AssertionError(f"no row starting {first} in {section}: {self.tables[section]}")


def render(reports=REPORTS, lines=LINES):
    text = posture.render(reports, lines, generated="2026-12-02T03:00:00Z")
    return text, Page(text)


class CoverageTest(unittest.TestCase):
    def test_each_destination_shows_its_covered_recovery_points_against_the_expected(self):
        _, page = render()
        self.assertEqual(page.row("coverage", "dr-copy-isolated (us-east-2, 210987654321)")[1],
                         "1/3")
        self.assertEqual(page.row("coverage", "dr-copy-west (us-west-2, 123456789012)")[1],
                         "3/3")

    def test_a_copy_job_still_running_leaves_its_recovery_point_missing(self):
        _, page = render()
        missing = page.row("coverage", "dr-copy-isolated (us-east-2, 210987654321)")[3]
        self.assertIn("rp-ebs-0005: copy job 8c1f0e6a-0005 is RUNNING", missing)

    def test_a_recovery_point_missing_at_a_destination_is_named_with_the_reason(self):
        _, page = render()
        missing = page.row("coverage", "dr-copy-isolated (us-east-2, 210987654321)")[3]
        self.assertIn("rp-ebs-0002: copy failed: AccessDeniedException", missing)
        self.assertEqual(page.row("coverage", "dr-copy-west (us-west-2, 123456789012)")[3],
                         "none")

    def test_a_copy_a_later_run_found_completed_counts_as_covered(self):
        started_only = [r for r in REPORTS if r["time"] != "2026-12-02T02:00:00Z"]
        _, page = render(started_only)
        row = page.row("coverage", "dr-copy-west (us-west-2, 123456789012)")
        self.assertEqual(row[1], "2/3")
        self.assertIn("snap-0003: copy started, not completed yet", row[3])

    def test_dr_coverage_reports_are_preferred_to_the_fan_out_runs(self):
        _, page = render(REPORTS + [COVERAGE])
        self.assertIn("dr-coverage reports", page.sections["coverage"])
        self.assertEqual(page.row("coverage", "dr-copy-west (us-west-2, 123456789012)")[1],
                         "2/3")
        self.assertNotIn("snap-0003", page.sections["coverage"])

    def test_a_pair_dr_coverage_did_not_find_covered_is_missing_with_its_state(self):
        _, page = render(REPORTS + [COVERAGE])
        row = page.row("coverage", "dr-copy-isolated (us-east-2, 210987654321)")
        self.assertEqual(row[1], "1/3")
        self.assertIn("rp-ebs-0002: FAILED: CopyFailed: copy job 8c1f0e6a-0006 FAILED", row[3])
        self.assertIn("rp-ebs-0005: COPYING: copy job 8c1f0e6a-0007 is RUNNING", row[3])

    def test_a_later_coverage_run_replaces_the_earlier_one_s_judgement_of_its_place(self):
        later = json.loads(json.dumps(COVERAGE))
        later["time"] = "2026-12-02T02:30:00Z"
        later["outcomes"] = [o for o in later["outcomes"] if o["target"].endswith(WEST)][:1]
        _, page = render(REPORTS + [COVERAGE, later])
        self.assertEqual(page.row("coverage", "dr-copy-west (us-west-2, 123456789012)")[1],
                         "0/1")
        self.assertNotIn("dr-copy-isolated", page.sections["coverage"])
        self.assertNotIn("Servers as the latest coverage run", page.sections["fleet"])

    def test_a_coverage_run_over_another_account_keeps_the_first_account_s_judgement(self):
        other = json.loads(json.dumps(COVERAGE))
        other["time"] = "2026-12-02T02:30:00Z"
        for o in other["outcomes"]:
            o.update(account="234567890123", region="us-east-1")
        _, page = render(REPORTS + [COVERAGE, other])
        self.assertEqual(page.row("fleet", "DRS", "s-1111111111111111c", "")[4], "no")
        self.assertEqual(page.row("fleet", "DRS", "s-1111111111111111c",
                                  "234567890123 us-east-1")[4], "no")
        self.assertIn("DRS: 2 of 4 servers protected, 2 not", page.sections["fleet"])

    def test_what_dr_coverage_could_not_verify_is_said(self):
        _, page = render(REPORTS + [COVERAGE])
        self.assertIn("Not verified: CoverageUnverified: 12 more recovery points",
                      page.sections["coverage"])

    def test_the_coverage_the_metric_lines_report_is_shown_by_function(self):
        _, page = render()
        row = page.row("coverage", "backup-copy-fanout", "whole fleet")
        self.assertEqual(row[3:6], ["6", "3", "50 %"])

    def test_without_copy_outcomes_the_coverage_section_says_so(self):
        _, page = render([r for r in REPORTS if r["function"] != "backup-copy-fanout"], [])
        self.assertIn("No copy outcomes", page.sections["coverage"])


class DrillsTest(unittest.TestCase):
    def test_each_launch_shows_its_recovery_time_against_the_rto(self):
        _, page = render()
        slow = page.row("drills", "drs-recovery 2026-12-02T01:20:00Z", "s-1111111111111111b")
        self.assertEqual(slow[2:6], ["drill", "35 min", "RTO 30 min", "beyond"])
        fast = page.row("drills", "drs-recovery 2026-12-02T01:20:00Z", "s-1111111111111111a")
        self.assertEqual(fast[3:6], ["9 min", "RTO 30 min", "within"])

    def test_each_launch_shows_its_recovery_point_against_the_rpo(self):
        _, page = render()
        row = page.row("drills", "drs-recovery 2026-12-02T01:20:00Z", "s-1111111111111111b")
        self.assertEqual(row[6:9], ["4 min", "RPO 15 min", "within"])

    def test_a_run_s_evidence_totals_count_the_launches_beyond_the_rto(self):
        _, page = render()
        row = page.row("drills", "drs-recovery 2026-12-02T01:20:00Z", "2")
        self.assertEqual(row[1:6], ["2", "2", "35 min", "30 min", "1"])

    def test_the_recovery_time_chart_marks_the_rto(self):
        text, _ = render()
        drills = text[text.index('<section id="drills">'):text.index('<section id="runs">')]
        self.assertIn('<text class="marker"', drills)
        self.assertIn(">RTO 30 min</text>", drills)

    def test_the_oldest_last_drill_comes_from_the_metric_lines(self):
        _, page = render()
        self.assertEqual(page.row("drills", "drs-recovery", "whole fleet")[3:5], ["1 d", "1"])

    def test_without_measured_launches_the_drills_section_says_so(self):
        _, page = render([r for r in REPORTS if r["function"] != "drs-recovery"], [])
        self.assertIn("No measured launches", page.sections["drills"])


class FleetTest(unittest.TestCase):
    def test_a_stalled_drs_server_is_counted(self):
        _, page = render()
        self.assertEqual(page.row("fleet", "drs-start-replication", "whole fleet")[5],
                         "1 stalled")

    def test_drs_servers_are_shown_by_replication_state_with_the_largest_lag(self):
        _, page = render()
        row = page.row("fleet", "drs-start-replication", "whole fleet")
        self.assertEqual(row[3:5], ["5", "2 CONTINUOUS, 2 STOPPED, 1 STALLED"])
        self.assertEqual(row[6], "7 min")

    def test_a_replication_state_with_no_servers_gets_no_bar(self):
        text, page = render()
        fleet = text[text.index('<section id="fleet">'):text.index('<section id="coverage">')]
        chart = re.search(r"<svg[^>]*><title>drs-start-replication: .*?</svg>", fleet).group(0)
        self.assertIn(">STOPPED</text>", chart)
        self.assertNotIn("PAUSED", chart)
        self.assertNotIn("PAUSED", page.row("fleet", "drs-start-replication", "whole fleet")[4])

    def test_the_latest_metric_line_of_a_function_is_the_state_shown(self):
        _, page = render()
        self.assertEqual(page.row("fleet", "drs-start-replication", "whole fleet")[2],
                         "2026-12-02T02:00:00Z")
        self.assertNotIn("INITIATING", page.sections["fleet"])

    def test_each_account_and_region_of_a_fleet_run_has_its_own_row(self):
        _, page = render()
        self.assertEqual(page.row("fleet", "drs-start-replication", "234567890123 us-west-2")[3:5],
                         ["2", "2 STOPPED"])
        self.assertEqual(page.row("fleet", "drs-start-replication",
                                  "123456789012 us-east-1")[5], "1 stalled")

    def test_a_target_that_stopped_is_listed(self):
        _, page = render()
        self.assertTrue(any(row[:2] == ["drs-start-replication", "234567890123 us-west-2"]
                            and len(row) == 3 for row in page.tables["fleet"]))

    def test_mgn_servers_are_shown_by_lifecycle_and_replication_state(self):
        _, page = render()
        row = page.row("fleet", "mgn-replication", "whole fleet")
        self.assertEqual(row[3:7], ["3", "2 READY_FOR_TEST, 1 NOT_READY",
                                    "2 CONTINUOUS, 1 STALLED", "1 stalled"])

    def test_each_server_a_coverage_run_judged_shows_whether_it_is_protected_and_why(self):
        _, page = render(REPORTS + [COVERAGE])
        self.assertEqual(page.row("fleet", "DRS", "s-1111111111111111c")[3:5], ["STALLED", "no"])
        self.assertIn("data replication is STALLED", page.row("fleet", "DRS",
                                                              "s-1111111111111111c")[5])
        self.assertEqual(page.row("fleet", "MGN", "s-6472ebb8db3b5a36c")[3:5],
                         ["READY_FOR_TEST/CONTINUOUS", "yes"])
        self.assertIn("DRS: 1 of 2 servers protected, 1 not", page.sections["fleet"])

    def test_without_metric_lines_the_fleet_section_says_so(self):
        _, page = render(REPORTS, [])
        self.assertIn("No metric lines", page.sections["fleet"])


class RunsTest(unittest.TestCase):
    def test_every_run_is_listed_in_time_order_with_its_status_and_counts(self):
        _, page = render(list(reversed(REPORTS)))
        rows = [r for r in page.tables["runs"][1:] if len(r) == 11]
        self.assertEqual([r[0] for r in rows], sorted(r["time"] for r in REPORTS))
        self.assertEqual(page.row("runs", "2026-12-02T01:30:00Z")[1:9],
                         ["backup-copy-fanout", "schedule (EventBridge Scheduler)",
                          "PARTIALLY_FAILED", "1", "0", "0", "1", "3"])

    def test_a_fleet_run_shows_its_stopped_targets_and_why(self):
        _, page = render()
        row = page.row("runs", "2026-12-02T02:05:00Z")
        self.assertEqual(row[9], "2 (1 stopped)")
        self.assertIn("234567890123 us-east-1: AssumeRole failed: AccessDenied", row[10])

    def test_a_result_cut_to_its_size_limit_says_how_many_outcomes_it_leaves_out(self):
        cut = dict(REPORTS[1], outcomesNotListed=1200)
        _, page = render([cut])
        self.assertEqual(page.row("runs", "2026-12-02T01:20:00Z")[10],
                         "1200 outcomes not listed in this result")

    def test_a_page_with_no_reports_says_there_are_no_runs(self):
        text, page = render([], [])
        self.assertIn("No runs", page.sections["runs"])
        self.assertEqual(posture.missing_sections(text), [])


class PageTest(unittest.TestCase):
    def test_text_from_reports_and_metric_lines_is_escaped(self):
        hostile = json.loads(json.dumps(REPORTS[2]))
        hostile["trigger"] = HOSTILE
        hostile["outcomes"][0]["detail"] = HOSTILE
        hostile["skips"][0]["target"] = f"{HOSTILE} -> {WEST}"
        coverage = json.loads(json.dumps(COVERAGE))
        coverage["outcomes"][-1]["detail"] = HOSTILE
        coverage["outcomes"][0]["target"] = f"{HOSTILE} -> {HOSTILE}"
        line = json.loads(json.dumps(next(line for line in LINES if "Account" in line)))
        line["Account"] = HOSTILE
        text, page = render([hostile, coverage], [line])
        self.assertNotIn("<script", text)
        self.assertNotIn("<img", text)
        self.assertIn("&lt;script&gt;", text)
        self.assertFalse({"script", "img"} & set(page.tags))
        self.assertEqual({a for a in page.attributes if a.startswith("on") or a == "src"}, set())
        self.assertIn(HOSTILE, page.sections["runs"])
        self.assertIn(HOSTILE, page.row("fleet", "drs-start-replication")[1])
        self.assertEqual(page.row("fleet", "MGN", "s-6472ebb8db3b5a36d")[5], HOSTILE)
        self.assertIn(HOSTILE, page.sections["coverage"])

    def test_the_page_loads_nothing_from_elsewhere(self):
        text, page = render()
        self.assertFalse({"script", "link", "img", "iframe", "object"} & set(page.tags))
        self.assertNotRegex(text, r"(?i)(src|href)\s*=|url\(|@import")

    def test_every_chart_is_well_formed_svg(self):
        text, _ = render()
        charts = re.findall(r"<svg.*?</svg>", text, re.S)
        self.assertGreaterEqual(len(charts), 5)
        for chart in charts:
            self.assertEqual(ET.fromstring(chart).tag, "svg")

    def test_a_page_lacking_a_main_section_is_told_apart(self):
        text, _ = render()
        self.assertEqual(posture.missing_sections(text), [])
        cut = text.replace('<section id="coverage">', "<section>")
        self.assertEqual(posture.missing_sections(cut), ["coverage"])

    def test_the_command_line_writes_the_page_from_reports_history_and_logs(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            key = tmp / "history" / "drs-recovery" / "2026-12-02"
            key.mkdir(parents=True)
            (key / "20261202T012000Z-0a1b.json").write_text(json.dumps(REPORTS[1]))
            out = tmp / "posture.html"
            with contextlib.redirect_stdout(io.StringIO()) as said:
                posture.main(["--out", str(out), "--reports", str(FIXTURES / "reports.jsonl"),
                              "--history", str(tmp / "history"),
                              "--logs", str(FIXTURES / "function-logs.log")])
            self.assertIn(f"posture: {out}", said.getvalue())
            page = Page(out.read_text())
        self.assertEqual(len([r for r in page.tables["runs"] if len(r) == 11]) - 1,
                         len(REPORTS) + 1)


class ReadingTest(unittest.TestCase):
    def test_emf_lines_are_found_among_the_other_lines_of_a_log(self):
        self.assertEqual(len(LINES), 8)
        self.assertTrue(all("_aws" in line for line in LINES))

    def test_a_json_line_that_is_not_emf_or_has_text_after_it_is_not_a_metric_line(self):
        emf = json.dumps(LINES[0])
        log = "\n".join([
            '{"level":"INFO","message":"run finished"}',
            emf + " trailing",
            '{"_aws":{"Timestamp":1}}',
            "\x1b[32m" + emf + "\x1b[0m",
        ])
        self.assertEqual(posture.metric_lines(log), [LINES[0]])

    def test_only_the_members_a_directive_names_are_metrics(self):
        line = json.loads(json.dumps(LINES[0]))
        line["DrsServersPaused"] = 7  # a root member no directive names
        values, dims, stamp = posture.measures(line)
        self.assertNotIn("DrsServersPaused", values)
        self.assertEqual((dims, stamp), ({"Function": "drs-start-replication"}, 1796173200000))

    def test_a_history_object_and_a_json_array_of_reports_are_both_read(self):
        self.assertEqual(posture.read_reports(json.dumps(REPORTS[0])), [REPORTS[0]])
        self.assertEqual(posture.read_reports(json.dumps(REPORTS)), REPORTS)

    def test_infinity_and_nan_in_a_report_or_a_metric_line_read_as_absent(self):
        report = json.loads(json.dumps(REPORTS[0]))
        report["evidence"] = {"launches": 1, "longestRecoveryTimeSeconds": 1}
        text = json.dumps(report).replace('"longestRecoveryTimeSeconds": 1',
                                          '"longestRecoveryTimeSeconds": Infinity')
        [read] = posture.read_reports(text)
        self.assertIsNone(read["evidence"]["longestRecoveryTimeSeconds"])
        line = json.dumps(LINES[0])[:-1] + ', "Extra": NaN}'
        [metric] = posture.metric_lines(line)
        self.assertIsNone(metric["Extra"])

    def test_a_launch_with_a_recovery_time_that_is_not_a_number_renders_as_not_measured(self):
        launch = {"target": "s-1", "action": posture.LAUNCH_ACTION, "result": "SUCCEEDED",
                  "evidence": {"recoveryTimeSeconds": "fast", "rtoSeconds": float("inf")}}
        report = json.loads(json.dumps(REPORTS[0]))
        report["outcomes"] = [launch]
        page = posture.render([report], [])
        self.assertIn("not measured", page)
        self.assertEqual(posture.missing_sections(page), [])

    def test_a_report_and_a_metric_line_of_the_wrong_shapes_render_as_far_as_they_hold(self):
        report = json.loads(json.dumps(REPORTS[0]))
        report.update({"counts": [1], "skips": "none", "evidence": [1], "status": 7,
                       "targets": [1, {"account": 123456789012, "error": "refused"}]})
        report["outcomes"] = ["x", {"target": 5, "action": posture.COPY_ACTION,
                                    "result": "failed", "evidence": "fast"}]
        line = json.loads(json.dumps(LINES[0]))
        line["_aws"]["CloudWatchMetrics"] = [{"Metrics": 3, "Dimensions": "Function"},
                                             {"Metrics": [{"Name": ["Runs"]}]}]
        page = posture.render([report], [line])
        self.assertEqual(posture.missing_sections(page), [])
        self.assertIn('<span class="status 7">7</span>', page)

    def test_a_reports_file_with_a_line_that_is_not_json_is_refused_naming_the_line(self):
        with self.assertRaisesRegex(ValueError, "line 2: not JSON"):
            posture.read_reports(json.dumps(REPORTS[0]) + "\n{not json\n")


class FormatTest(unittest.TestCase):
    def test_durations_read_as_days_hours_minutes_and_seconds(self):
        cases = [(0, "0 s"), (45, "45 s"), (540, "9 min"), (3900, "1 h 5 min"),
                 (90061, "1 d 1 h 1 min 1 s"), (None, "?")]
        for seconds, text in cases:
            with self.subTest(seconds=seconds):
                self.assertEqual(posture.duration(seconds), text)

    def test_metric_values_read_as_whole_numbers_when_they_are(self):
        cases = [(5.0, 5), (2.5, 2.5), ([540.0, 2100.0], 2640), ("5", 0), (True, 0),
                 (10 ** 400, 0)]
        for value, read in cases:
            with self.subTest(value=value):
                self.assertEqual(repr(posture.number(value)), repr(read))

    def test_what_is_not_a_finite_number_of_seconds_reads_as_unknown(self):
        for value in [float("inf"), float("nan"), "90", True, [60], 10 ** 400]:
            with self.subTest(value=value):
                self.assertEqual(posture.duration(value), "?")

    def test_a_timestamp_no_clock_can_show_reads_as_unknown(self):
        for stamp in [1e300, 10 ** 400, float("inf"), "1796173200000"]:
            with self.subTest(stamp=stamp):
                self.assertEqual(posture.when(stamp), "?")
        self.assertEqual(posture.when(1796173200000), "2026-12-02T01:00:00Z")

    def test_state_suffixes_read_as_aws_spells_the_states(self):
        cases = [("InitialSync", "INITIAL_SYNC"), ("Continuous", "CONTINUOUS"),
                 ("PendingSnapshotShipping", "PENDING_SNAPSHOT_SHIPPING"),
                 ("ReadyForTest", "READY_FOR_TEST")]
        for camel, state in cases:
            with self.subTest(camel=camel):
                self.assertEqual(posture.state_name(camel), state)


if __name__ == "__main__":
    unittest.main()
