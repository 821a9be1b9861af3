#!/usr/bin/env python3
"""Runs the functions locally against the emulator and shows what they changed.

Starts the emulator with the demo fleet, starts `cargo lambda watch` pointed at it, invokes each
function with its sample events through `cargo lambda invoke`, prints each run report and a table
of what changed in the emulator, then shuts everything down. Needs the cargo-lambda venv on PATH
(`make demo` arranges it).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
EMULATOR_PORT = int(os.environ.get("DEMO_EMULATOR_PORT", "4566"))
WATCH_PORT = int(os.environ.get("DEMO_WATCH_PORT", "9000"))
EMULATOR = f"http://127.0.0.1:{EMULATOR_PORT}"
REPORTS_TOPIC = "arn:aws:sns:us-east-1:123456789012:dr-automation-reports"
ALARM_TOPIC = "arn:aws:sns:us-east-1:123456789012:dr-alarms"

# What each function is configured with in the demo, and the events it is invoked with, in order.
FUNCTION_ENV = {
    "DRS_TAGS": "Env=prod",
    "DRS_ALARM_DIMENSION": "Hostname",
    "DRS_ALARM_TAG_KEY": "dr:alarm",
    "REPORT_TOPIC_ARN": REPORTS_TOPIC,
    "TRIGGER_TOPIC_ARNS": ALARM_TOPIC,
}
INVOCATIONS = [
    ("drs-start-replication", "direct-invoke-dry-run.json"),
    ("drs-start-replication", "alarm-via-sns.json"),
    ("drs-start-replication", "alarm-state-change.json"),
    ("drs-start-replication", "direct-invoke.json"),
    ("drs-start-replication", "replication-stalled.json"),
    ("drs-start-replication", "scheduler-input.json"),
]
AWS_ENV = {
    "AWS_ENDPOINT_URL": EMULATOR,
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "secret",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def wait_for_port(port, process, what, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"demo: {what} exited with status {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    sys.exit(f"demo: {what} did not listen on port {port} within {seconds} s")


def emulator_state():
    with urllib.request.urlopen(f"{EMULATOR}/_emulator/state", timeout=10) as r:
        return json.load(r)


def drs_states(state):
    return {
        s["sourceServerID"]: (
            s.get("sourceProperties", {}).get("identificationHints", {}).get("hostname", ""),
            s.get("dataReplicationInfo", {}).get("dataReplicationState", "?"),
        )
        for s in state["drs"]["sourceServers"]
    }


def start(cmd, log, env=None):
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )


def stop(process):
    if process and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def table(rows, headers):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths))
    print(line(headers))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))


def main():
    logs = TARGET / "demo"
    logs.mkdir(parents=True, exist_ok=True)
    emulator = watch = None
    failures = 0
    try:
        emulator = start(
            [str(TARGET / "debug" / "dr-emulator"), "--port", str(EMULATOR_PORT), "--pace-ms", "0",
             "--fixture", "tests/emulator/fixtures/demo.json"],
            open(logs / "emulator.log", "w"),
        )
        wait_for_port(EMULATOR_PORT, emulator, "the emulator", 30)
        env_args = []
        for k, v in {**AWS_ENV, **FUNCTION_ENV}.items():
            env_args += ["--env-var", f"{k}={v}"]
        watch = start(
            ["cargo", "lambda", "watch", "--invoke-port", str(WATCH_PORT), *env_args],
            open(logs / "watch.log", "w"),
        )
        wait_for_port(WATCH_PORT, watch, "cargo lambda watch", 120)

        before = drs_states(emulator_state())
        print(f"demo: emulator on {EMULATOR} ({len(before)} DRS source servers), "
              f"cargo lambda watch on :{WATCH_PORT}\n")
        for function, event in INVOCATIONS:
            path = f"events/{function}/{event}"
            done = subprocess.run(
                ["cargo", "lambda", "invoke", function, "--invoke-port", str(WATCH_PORT),
                 "--data-file", path],
                cwd=ROOT, capture_output=True, text=True, timeout=600,
            )
            output = done.stdout.strip()
            try:
                report = json.loads(output)
                c = report["counts"]
                summary = (f"{report['status']}: {c['done']} done, {c['planned']} planned, "
                           f"{c['unchanged']} unchanged, {c['failed']} failed, {c['skipped']} skipped")
            except (ValueError, KeyError):
                failures += 1
                summary = (output or done.stderr.strip()).splitlines()[-1:] or ["no output"]
                summary = summary[0]
            print(f"{function} < {event}\n    {summary}")

        after_state = emulator_state()
        after = drs_states(after_state)
        print("\nDRS source servers that changed:")
        changed = [
            (sid, before[sid][0], before[sid][1], after[sid][1])
            for sid in sorted(before)
            if sid in after and before[sid][1] != after[sid][1]
        ]
        table(changed or [("(none)", "", "", "")], ["source server", "hostname", "before", "after"])
        with urllib.request.urlopen(f"{EMULATOR}/_emulator/sns/messages", timeout=10) as r:
            messages = json.load(r)
        if isinstance(messages, dict):
            messages = messages.get("messages", [])
        print(f"\nSNS reports published: {len(messages)}")
        for m in messages:
            print(f"    {m.get('subject', '')}")
        print(f"\nlogs: {logs}/")
        if failures or not changed:
            sys.exit(f"demo: {failures} invocations returned no report, {len(changed)} servers changed")
    finally:
        stop(watch)
        stop(emulator)


if __name__ == "__main__":
    main()
