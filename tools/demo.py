#!/usr/bin/env python3
"""Runs the functions locally against the emulator and shows what they changed.

Starts the emulator with the demo fleet, starts `cargo lambda watch` pointed at it, invokes each
function with its sample events through `cargo lambda invoke`, prints each run report and tables
of what changed in the emulator (DRS servers started, SMS jobs created, Backup copies made), then
shuts everything down. Needs the cargo-lambda venv on PATH
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
SMS_TOPIC = "arn:aws:sns:us-east-1:123456789012:sms-events"
BACKUP_TOPIC = "arn:aws:sns:us-east-1:123456789012:backup-vault-events"

# What the functions are configured with in the demo (`cargo lambda watch` gives every function
# the same environment; each reads only its own variables), and the events they are invoked
# with, in order. ("advance", hours) moves the emulator's clock, so copy jobs finish.
FUNCTION_ENV = {
    "ACCOUNT_ID": "123456789012",
    "REPORT_TOPIC_ARN": REPORTS_TOPIC,
    "TRIGGER_TOPIC_ARNS": ",".join([ALARM_TOPIC, SMS_TOPIC, BACKUP_TOPIC]),
    "DRS_TAGS": "Env=prod",
    "DRS_ALARM_DIMENSION": "Hostname",
    "DRS_ALARM_TAG_KEY": "dr:alarm",
    "SMS_JOBS": json.dumps({
        "defaults": {"frequency": 12, "licenseType": "BYOL", "roleName": "sms-dr",
                     "numberOfRecentAmisToKeep": 3, "encrypted": True,
                     "onFailure": {"coolDownMinutes": 60, "maxConsecutiveFailures": 5}},
        "jobs": [
            {"vmName": "erp-app-01", "licenseType": "AWS", "kmsKeyId": "alias/sms-amis"},
            {"vmName": "erp-db-01", "frequency": 6},
            {"hostname": "web-linux-01.corp.example.com", "seedReplicationTime": "+2h"},
            {"vmPath": "/Datacenter/vm/Infra/file-srv-01", "runOnce": True},
            {"vmName": "hyperv-legacy"},
        ],
    }),
    "BACKUP_SOURCE_VAULTS": "dr-primary",
    # The isolated copies are kept for good: keepForever is 36500 days (100 years). A -1 would
    # not do it: AWS Backup gives such a copy its source's expiration date, so the function
    # refuses it at cold start.
    "BACKUP_DESTINATIONS": json.dumps([
        {"vaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr-copy-west",
         "moveToColdStorageAfterDays": 30, "deleteAfterDays": 120},
        {"vaultArn": "arn:aws:backup:us-east-2:210987654321:backup-vault:dr-copy-isolated",
         "keepForever": True},
    ]),
    "BACKUP_COPY_ROLE_ARN": "arn:aws:iam::123456789012:role/dr-automation-backup-copy",
}
INVOCATIONS = [
    ("drs-start-replication", "direct-invoke-dry-run.json"),
    ("drs-start-replication", "alarm-via-sns.json"),
    ("drs-start-replication", "alarm-state-change.json"),
    ("drs-start-replication", "composite-alarm-state-change.json"),
    ("drs-start-replication", "direct-invoke.json"),
    ("drs-start-replication", "replication-stalled.json"),
    ("drs-start-replication", "scheduler-input.json"),
    ("sms-replication-jobs", "scheduler-input.json"),
    ("sms-replication-jobs", "scheduled-event.json"),
    ("sms-replication-jobs", "sms-api-call-via-cloudtrail.json"),
    ("backup-copy-fanout", "direct-invoke-dry-run.json"),
    ("backup-copy-fanout", "backup-job-completed.json"),
    ("backup-copy-fanout", "vault-notification-backup-completed.json"),
    ("backup-copy-fanout", "scheduled-event.json"),
    ("advance", 2),
    ("backup-copy-fanout", "copy-job-completed.json"),
    ("backup-copy-fanout", "scheduler-input.json"),
    ("advance", 2),
    ("backup-copy-fanout", "scheduler-input.json"),
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


def advance(hours):
    request = urllib.request.Request(
        f"{EMULATOR}/_emulator/advance", method="POST",
        data=json.dumps({"seconds": hours * 3600, "steps": 4}).encode(),
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
        for function, event in INVOCATIONS:
            if function == "advance":
                advance(event)
                print(f"(emulator clock +{event} h: copy jobs move on)")
                continue
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
