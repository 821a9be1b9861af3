#!/usr/bin/env python3
"""Runs the functions locally against the emulator and shows what they changed.

Starts the emulator with the demo fleet, starts `cargo lambda watch` pointed at it, invokes each
function with its sample events through `cargo lambda invoke`, prints each run report and tables
of what changed in the emulator (DRS servers started, SMS jobs created, Backup copies made), then
shuts everything down. The functions' configuration and the steps come from
tools/demo/config.json, which the end-to-end tests read too. Needs the cargo-lambda venv on PATH
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
# What the functions are configured with in the demo and the steps of the demo, in order: the
# one file the end-to-end tests read as well (tests/e2e/src/demo.rs).
CONFIG = json.loads((ROOT / "tools" / "demo" / "config.json").read_text())


def function_env(config):
    """The environment every function gets (`cargo lambda watch` gives all of them the same one;
    each reads only its own variables): an object or array value as its JSON text, compact and
    with sorted keys, the very text serde_json gives the end-to-end tests."""
    triggers = sorted(config["topics"]["triggers"].items())
    env = {
        "REPORT_TOPIC_ARN": config["topics"]["reports"],
        "TRIGGER_TOPIC_ARNS": ",".join(arn for _, arn in triggers),
    }
    for name, value in config["environment"].items():
        env[name] = (value if isinstance(value, str)
                     else json.dumps(value, separators=(",", ":"), sort_keys=True))
    return env


FUNCTION_ENV = function_env(CONFIG)
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


def advance(hours, steps):
    request = urllib.request.Request(
        f"{EMULATOR}/_emulator/advance", method="POST",
        data=json.dumps({"seconds": hours * 3600, "steps": steps}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.load(r)


def drs_states(state):
    return {
        s["sourceServerID"]: (
            s.get("sourceProperties", {}).get("identificationHints", {}).get("hostname", ""),
            s.get("dataReplicationInfo", {}).get("dataReplicationState", "?"),
        )
        for s in state["drs"]["sourceServers"]
    }


def retention(copy_job):
    """How long the copy is kept, as its lifecycle says; without one it follows its source."""
    days = copy_job.get("DestinationRecoveryPointLifecycle", {}).get("DeleteAfterDays")
    if days is None:
        return "as its source"
    return f"{days} days" + (" (100 years)" if days == 36500 else "")


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
        # An env file, not --env-var: values such as SMS_JOBS contain commas.
        env_file = logs / "functions.env"
        env_file.write_text("".join(
            f"{k}='{v}'\n" for k, v in {**AWS_ENV, **FUNCTION_ENV}.items()
        ))
        watch = start(
            ["cargo", "lambda", "watch", "--invoke-port", str(WATCH_PORT), "--env-file",
             str(env_file)],
            open(logs / "watch.log", "w"),
        )
        wait_for_port(WATCH_PORT, watch, "cargo lambda watch", 120)

        before = drs_states(emulator_state())
        print(f"demo: emulator on {EMULATOR} ({len(before)} DRS source servers), "
              f"cargo lambda watch on :{WATCH_PORT}\n")
        for step in CONFIG["invocations"]:
            if "advance" in step:
                hours = step["advance"]["hours"]
                advance(hours, step["advance"]["steps"])
                print(f"(emulator clock +{hours} h: copy jobs move on)")
                continue
            function, event = step["function"], step["event"]
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
        jobs = [
            (j["vmServer"]["vmName"] if "vmServer" in j else j["serverId"], j["replicationJobId"],
             j["state"], j.get("frequency", "once"), j.get("licenseType", "auto"))
            for j in after_state["sms"]["replicationJobs"]
        ]
        print("\nSMS replication jobs:")
        table(jobs or [("(none)", "", "", "", "")],
              ["VM", "replication job", "state", "every (h)", "license"])
        vault_names = {v["arn"]: v["name"] for v in after_state["backup"]["vaults"]}
        copies = [
            (c["SourceRecoveryPointArn"].rsplit(":", 1)[-1].rsplit("/", 1)[-1],
             c.get("ResourceType", ""),
             vault_names.get(c["DestinationBackupVaultArn"], c["DestinationBackupVaultArn"]),
             c["State"], retention(c))
            for c in after_state["backup"]["copyJobs"]
        ]
        print("\nBackup copy jobs (a resource's copies run one at a time; the others wait in "
              "CREATED):")
        table(copies or [("(none)", "", "", "", "")],
              ["recovery point", "type", "destination", "state", "copy kept"])
        with urllib.request.urlopen(f"{EMULATOR}/_emulator/sns/messages", timeout=10) as r:
            messages = json.load(r)
        if isinstance(messages, dict):
            messages = messages.get("messages", [])
        print(f"\nSNS reports published: {len(messages)}")
        for m in messages:
            print(f"    {m.get('subject', '')}")
        print(f"\nlogs: {logs}/")
        if failures or not changed or not jobs or not copies:
            sys.exit(f"demo: {failures} invocations returned no report; changed: "
                     f"{len(changed)} DRS servers, {len(jobs)} SMS jobs, {len(copies)} copy jobs")
    finally:
        stop(watch)
        stop(emulator)


if __name__ == "__main__":
    main()
