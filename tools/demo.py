#!/usr/bin/env python3
"""Runs the functions locally against the emulator and shows what they changed.

Starts the emulator with the demo fleet, starts `cargo lambda watch` pointed at it, invokes each
function with its sample events through `cargo lambda invoke`, prints each run report and tables
of what changed in the emulator (DRS servers started, SMS jobs created, Backup copies made, the
DRS drill's jobs and recovery instances). The drill is shown run by run: an alarm that would have
recovered (real recovery is off), the scheduled drill launched, its jobs completed and reported
with their measured recovery times, then, once DRS_DRILL_TTL has passed in real time (the
functions read the machine's clock, which moving the emulator's does not move), its instances
terminated.
The MGN step runs alongside: mgn-replication's dry run, then a schedule run that starts the
stopped source server, resumes the paused one, brings a drifted replication setting back to
MGN_SERVERS, records a stall and launches a ready server for test; once the cool-down and the
test's time to live have passed (in real time, like the drill's), a run that retries the stall
and cleans up the test instance, and a table of the MGN servers with their stall records.
Then a coverage run (dr-coverage, read only) over the demo fleet: each destination vault's
copies of the recovery points, with those missing and why, and the DRS and MGN servers that are
not protected.
Then the fleet step: the emulator loaded with three accounts in two regions, `cargo lambda watch`
restarted with FLEET, one member role made unassumable, the functions run over the fleet, and
what changed in each account and region, with each report's section per target. With the run
history configured, the functions store every report in the emulator's S3, and the demo checks
one object was stored per run. Last, the posture page (tools/posture.py) is written to
target/demo/posture.html from the runs' reports and the metric lines of the function logs; the
demo fails when it lacks one of its main sections. Everything is shut down at the end. The
functions' configuration and the steps come from tools/demo/config.json, which the end-to-end
tests read too. Needs the cargo-lambda venv on PATH
(`make demo` arranges it).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import posture

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
EMULATOR_PORT = int(os.environ.get("DEMO_EMULATOR_PORT", "4566"))
WATCH_PORT = int(os.environ.get("DEMO_WATCH_PORT", "9000"))
EMULATOR = f"http://127.0.0.1:{EMULATOR_PORT}"
# What the functions are configured with in the demo and the steps of the demo, in order: the
# one file the end-to-end tests read as well (tests/e2e/src/demo.rs).
CONFIG = json.loads((ROOT / "tools" / "demo" / "config.json").read_text())


def env_values(variables):
    """Variables as the functions get them: an object or array value as its JSON text, compact
    and with sorted keys, the very text serde_json gives the end-to-end tests."""
    return {
        name: (value if isinstance(value, str)
               else json.dumps(value, separators=(",", ":"), sort_keys=True))
        for name, value in variables.items()
    }


def function_env(config):
    """The environment every function gets (`cargo lambda watch` gives all of them the same one;
    each reads only its own variables), with the run-history bucket when the demo stores one."""
    triggers = sorted(config["topics"]["triggers"].items())
    history = config.get("history")
    return {
        "REPORT_TOPIC_ARN": config["topics"]["reports"],
        "TRIGGER_TOPIC_ARNS": ",".join(arn for _, arn in triggers),
        **env_values(config["environment"]),
        **env_values(config.get("coverage", {}).get("environment", {})),
        **({"HISTORY_BUCKET": history["bucket"], "HISTORY_PREFIX": history["prefix"]}
           if history else {}),
    }


FUNCTION_ENV = function_env(CONFIG)
# Every report the demo's invocations answered with, with the time it was invoked (as the run
# history stores it): what the posture page shows when no run history is stored.
RUNS = []
# The function logs of this demo, whose EMF lines the posture page reads: `cargo lambda watch`
# passes on each function's stdout, where the functions print their metric lines.
WATCH_LOGS = []
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


# The emulator's S3 bucket the functions store their run history in (HISTORY_BUCKET) and the
# prefix of its keys; None when the demo stores none.
HISTORY = CONFIG.get("history")


def emulator_get(path):
    """A GET of the emulator's admin API, its JSON answer."""
    with urllib.request.urlopen(f"{EMULATOR}/_emulator/{path}", timeout=10) as r:
        return json.load(r)


def ensure_history_bucket():
    """Creates the history bucket, as the demo fleet's fixture has it (encrypted with its key,
    versioned), when the emulator's fixture holds none (a fleet fixture replaces every bucket)."""
    if HISTORY["bucket"] in {b["name"] for b in emulator_get("s3/buckets")}:
        return
    demo = json.loads((ROOT / "tests" / "emulator" / "fixtures" / "demo.json").read_text())
    spec = next((b for b in demo.get("s3", {}).get("buckets", [])
                 if b["name"] == HISTORY["bucket"]), {"name": HISTORY["bucket"]})
    admin("POST", "s3/buckets", spec)


def stored_history():
    """The run-history objects stored so far in the emulator's S3, by key: each one JSON line,
    the run report with its runId and time."""
    query = urllib.parse.urlencode({"bucket": HISTORY["bucket"], "prefix": HISTORY["prefix"]})
    stored = {}
    for obj in emulator_get(f"s3/objects?{query}"):
        body = obj.get("body", "")
        if "\n" in body.rstrip("\n") or not posture.is_report(json.loads(body)):
            sys.exit(f"demo: history object {obj['key']} is not one line of a run report")
        stored[obj["key"]] = json.loads(body)
    return stored


def emulator_state():
    with urllib.request.urlopen(f"{EMULATOR}/_emulator/state", timeout=10) as r:
        return json.load(r)


def admin(method, path, body):
    """A request to the emulator's admin API with a JSON (or raw text) body."""
    data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{EMULATOR}/_emulator/{path}", method=method, data=data,
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        text = r.read()
    return json.loads(text) if text.strip() else None


def advance(step):
    """Moves the emulator's clock by the step's `hours` and `minutes`, then applies its `steps`;
    returns how far, as the demo prints it."""
    hours, minutes = step.get("hours", 0), step.get("minutes", 0)
    admin("POST", "advance", {"seconds": hours * 3600 + minutes * 60, "steps": step["steps"]})
    return " ".join(part for part in (f"{hours} h" if hours else "",
                                      f"{minutes} min" if minutes else "") if part) or "0 s"


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


def start_watch(logs, name, env):
    """`cargo lambda watch` with `env` for every function, once it listens."""
    # An env file, not --env-var: values such as SMS_JOBS contain commas.
    env_file = logs / f"{name}.env"
    env_file.write_text("".join(f"{k}='{v}'\n" for k, v in {**AWS_ENV, **env}.items()))
    log = logs / f"watch-{name}.log"
    WATCH_LOGS.append(log)
    watch = start(
        ["cargo", "lambda", "watch", "--invoke-port", str(WATCH_PORT), "--env-file",
         str(env_file)],
        open(log, "w"),
    )
    wait_for_port(WATCH_PORT, watch, "cargo lambda watch", 120)
    return watch


def invoke(function, event):
    """Invokes `function` with its sample event; returns its report (None when it answered
    none) and prints the report's totals and, over a fleet, its section per target."""
    path = f"events/{function}/{event}"
    invoked = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    done = subprocess.run(
        ["cargo", "lambda", "invoke", function, "--invoke-port", str(WATCH_PORT),
         "--data-file", path],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    output = done.stdout.strip()
    try:
        report = json.loads(output)
        summary = f"{report['status']}: {counts(report['counts'])}"
        RUNS.append({**report, "time": invoked})
    except (ValueError, KeyError, TypeError):
        report = None
        summary = ((output or done.stderr.strip()).splitlines()[-1:] or ["no output"])[0]
    print(f"{function} < {event}\n    {summary}")
    targets = (report or {}).get("targets", [])
    if len(targets) > 1:
        failed = sum(t["status"] == "FAILED" for t in targets)
        print(f"    over {len(targets)} targets" + (f", {failed} of them FAILED" if failed else "")
              + ":")
        for t in targets:
            why = (t.get("error") or {}).get("message")
            print(f"      {t.get('account', '?')} {t.get('region', '?'):<10} "
                  f"{t['status']:<17} {why or counts(t['counts'])}")
    return report


def counts(c):
    return (f"{c['done']} done, {c['planned']} planned, {c['unchanged']} unchanged, "
            f"{c['failed']} failed, {c['skipped']} skipped")


def sns_messages():
    with urllib.request.urlopen(f"{EMULATOR}/_emulator/sns/messages", timeout=10) as r:
        messages = json.load(r)
    if isinstance(messages, dict):
        messages = messages.get("messages", [])
    return messages


def duration(seconds):
    """`1 h 5 min`, `20 min`, `45 s`: how the demo prints measured times."""
    if seconds is None:
        return "?"
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    parts = [f"{h} h" if h else "", f"{m} min" if m else "", f"{s} s" if s or not (h or m) else ""]
    return " ".join(p for p in parts if p)


def recovery_details(report, hosts):
    """What a drs-recovery run did, line by line: each outcome (launches, measured launches,
    terminations, tags), each skip with its reason, and the run's evidence against the RTO and
    RPO."""
    name = lambda target: f"{hosts[target]} ({target})" if target in hosts else target
    for o in report.get("outcomes", []):
        print(f"      {o['action']:<26} {name(o['target']):<32} {o['result']:<7} "
              f"{o.get('detail') or o.get('state') or ''}")
    for s in report.get("skips", []):
        print(f"      {'skipped':<26} {name(s['target']):<32} {s['reason']}")
    hidden = report.get("skipsNotListed", 0)
    if hidden:
        print(f"      ... and {hidden} more skips")
    e = report.get("evidence")
    if e:
        print(f"    evidence: {e['launches']} launches measured ({e['drills']} drills); longest "
              f"recovery time {duration(e.get('longestRecoveryTimeSeconds'))} against RTO "
              f"{duration(e.get('rtoSeconds'))} ({e['beyondRto']} beyond it), oldest recovery "
              f"point {duration(e.get('oldestRecoveryPointSeconds'))} against RPO "
              f"{duration(e.get('rpoSeconds'))} ({e['beyondRpo']} beyond it)")


def recovery_tables(state, hosts, reports):
    """The DRS jobs and recovery instances at the end of the single-account steps; returns how
    many servers the drill launched, measured and terminated, by what."""
    print("\nDRS recovery jobs (the drill's launches, then the termination of its instances):")
    rows = [
        (j["jobID"], j.get("initiatedBy", ""), j.get("status", ""),
         ", ".join(f"{hosts.get(p['sourceServerID'], p['sourceServerID'])} "
                   f"{p.get('launchStatus', '')}" for p in j.get("participatingServers", [])))
        for j in state["drs"].get("jobs", [])  # in the order they were created
    ]
    table(rows or [("(none)", "", "", "")], ["job", "initiated by", "status", "servers"])
    print("\nDRS recovery instances:")
    rows = [
        (i["recoveryInstanceID"], hosts.get(i.get("sourceServerID"), i.get("sourceServerID", "")),
         "drill" if i.get("isDrill") else "recovery", i.get("ec2InstanceState", ""),
         i.get("tags", {}).get("dr-automation:launched-at", ""))
        for i in state["drs"].get("recoveryInstances", [])
    ]
    table(rows or [("(none)", "", "", "", "")],
          ["recovery instance", "server", "kind", "EC2 state", "launched at (its tag)"])
    outcomes = [o for r in reports for o in r.get("outcomes", [])]
    done = lambda action: sum(o["action"] == action and o["result"] == "done" for o in outcomes)
    return {
        "launched": done("StartRecovery"),
        "measured": sum(o["action"] == "Launch" and bool(o.get("evidence")) for o in outcomes),
        "terminated": done("TerminateRecoveryInstances"),
    }


COVERAGE = "dr-coverage"
# The coverage run's invocations (functions and their events), run over the demo fleet once its
# steps have copied, drilled and migrated.
COVERAGE_RUNS = CONFIG.get("coverage", {}).get("invocations", [])


def coverage_runs():
    """Runs the coverage invocations, showing what each found; returns their reports (None for
    an invocation that answered none)."""
    if COVERAGE_RUNS:
        print("\n== coverage over the demo fleet: dr-coverage reads which destinations hold a "
              "completed copy of each recovery point, each DRS server's replication and last "
              "drill, each MGN server's state (read only)")
    reports = []
    for step in COVERAGE_RUNS:
        report = invoke(step["function"], step["event"])
        if step["function"] == COVERAGE and report is not None:
            coverage_details(report)
        reports.append(report)
    return reports


# Missing copies listed per destination vault; the posture page lists all of them.
SHOWN_MISSING = 5


def coverage_details(report):
    """What a dr-coverage run found, as the posture page shows it: each destination vault's
    covered recovery points against the expected ones, with the missing ones and why; then how
    many DRS and MGN servers are protected, and the servers that are not."""
    runs = posture.runs_of([report])
    by_vault, _ = posture.coverage_from_reports(runs)
    for vault, (covered, missing) in sorted(by_vault.items()):
        print(f"      {posture.vault_label(vault)}: {len(covered)}/{len(covered) + len(missing)} "
              "recovery points copied")
        for point, why in missing[:SHOWN_MISSING]:
            print(f"        missing {posture.short_arn(point)}: {why}")
        if len(missing) > SHOWN_MISSING:
            print(f"        ... and {len(missing) - SHOWN_MISSING} more (the posture page lists "
                  "every one)")
    for note in posture.unverified(runs):
        print(f"      not verified: {note}")
    checks = posture.server_checks(runs)
    for service in ("DRS", "MGN"):
        mine = [c for c in checks if c[0] == service]
        if mine:
            print(f"      {service}: {sum(c[5] for c in mine)} of {len(mine)} servers protected")
        for _, server, account, region, state, ok, detail in mine:
            if not ok:
                where = f" in {account} {region}" if account else ""
                print(f"        {server}{where} {state}: {detail}")


MGN = "mgn-replication"
# The tags mgn-replication keeps a server's stall record in (functions/mgn-replication), in the
# order the table shows them, and their common prefix.
STALL_TAG_PREFIX = "dr-automation:mgn-"
STALL_TAGS = ["stalls", "stalled-since", "retried-at"]


def mgn_servers(state):
    """The home partition's MGN source servers by id: hostname, lifecycle state, replication
    state and the stall record's tags (without their common prefix), in STALL_TAGS order."""
    return {
        s["sourceServerID"]: (
            s.get("sourceProperties", {}).get("identificationHints", {}).get("hostname", ""),
            s.get("lifeCycle", {}).get("state", "?"),
            s.get("dataReplicationInfo", {}).get("dataReplicationState", "?"),
            {k: s["tags"][STALL_TAG_PREFIX + k] for k in STALL_TAGS
             if STALL_TAG_PREFIX + k in s.get("tags", {})},
        )
        for s in state.get("mgn", {}).get("sourceServers", [])
    }


def mgn_intro(config):
    """What the MGN step is about: the servers MGN_SERVERS names and what it asks for them."""
    servers = config["environment"]["MGN_SERVERS"]
    compact = lambda v: json.dumps(v, separators=(", ", ": "))
    print("\n== MGN step: mgn-replication keeps the servers of a migration wave replicating, "
          "configured and tested. MGN_SERVERS:")
    print(f"   defaults   {compact(servers.get('defaults', {}))}")
    for i, entry in enumerate(servers["servers"]):
        print(f"   servers[{i}] {compact(entry)}")
    print("   (the first entry naming a server is its policy; the cool-down and the test's time "
          "to live are seconds so that the demo can wait them out)\n")


def mgn_details(report, seen):
    """What an mgn-replication run did, server by server: the server's lifecycle/replication
    state when the run read it (`seen`, from the emulator just before), then each outcome and
    skip the report gives it."""
    states = {sid: f"{life}/{replication}" for sid, (_, life, replication, _) in seen.items()}
    said = {}
    for o in report.get("outcomes", []):
        said.setdefault(o["target"], []).append(
            f"{o['action']} {o['result']}: {o.get('detail') or o.get('state') or ''}")
    for s in report.get("skips", []):
        # A skip's reason starts with the state the state column shows.
        reason = s["reason"].removeprefix(f"{states.get(s['target'])}: ")
        said.setdefault(s["target"], []).append(f"skipped: {reason}")
    rows = []
    for sid in [*seen, *(t for t in said if t not in seen)]:
        name = f"{seen[sid][0]} ({sid})" if sid in seen else sid
        for n, line in enumerate(said.get(sid, [])):
            rows.append((name if n == 0 else "", states.get(sid, "") if n == 0 else "", line))
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(2)]
    for who, state, line in rows:
        print(f"      {who:<{widths[0]}}  {state:<{widths[1]}}  {line}")


def mgn_table(state):
    """The MGN source servers at the end of the MGN step."""
    print(f"\nMGN source servers (stall tags: {STALL_TAG_PREFIX}*):")
    rows = [
        (sid, host, life, replication,
         ", ".join(f"{k}={v}" for k, v in tags.items()) or "(none)")
        for sid, (host, life, replication, tags) in mgn_servers(state).items()
    ]
    table(rows or [("(none)", "", "", "", "")],
          ["source server", "hostname", "lifecycle", "replication", "stall tags"])


def mgn_done(reports):
    """How many servers the MGN step's runs started, resumed, configured, recorded as stalled,
    retried, launched for test and cleaned up."""
    outcomes = [o for r in reports for o in r.get("outcomes", [])]
    done = lambda action: sum(o["action"] == action and o["result"] == "done" for o in outcomes)
    return {
        "started": done("StartReplication"),
        "resumed": done("ResumeReplication"),
        "configured": done("UpdateReplicationConfiguration"),
        "stall recorded": done("TagResource"),
        "retried": done("RetryDataReplication"),
        "test-launched": done("StartTest"),
        "cleaned up": done("TerminateTargetInstances"),
    }


def mgn_step_end(steps):
    """The index of the step that ends the MGN step: its last mgn-replication run and the clock
    moves and waits right after it; None when the demo runs no mgn-replication."""
    runs = [i for i, s in enumerate(steps) if s.get("function") == MGN]
    if not runs:
        return None
    end = runs[-1]
    while end + 1 < len(steps) and ("advance" in steps[end + 1] or "wait" in steps[end + 1]):
        end += 1
    return end


def single_account_tables(before, after_state):
    """What the single-account steps changed; returns (DRS servers, SMS jobs, copy jobs)."""
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
    return changed, jobs, copies


def partitions(state):
    """Every account and region of a state dump: the home one (the top level), then the others."""
    home = ((state["accountId"], state["region"]), state)
    return [home] + [((p["accountId"], p["region"]), p) for p in state.get("partitions", [])]


def changes_by_place(before, after):
    """What changed in each account and region, as tests/e2e/src/demo.rs reads it: DRS servers
    that were STOPPED and are no longer, SMS jobs and Backup copy jobs that are new."""
    was = dict(partitions(before))
    out = {}
    for place, now in partitions(after):
        then = was.get(place, {})
        old_states = {s["sourceServerID"]: s["dataReplicationInfo"]["dataReplicationState"]
                      for s in then.get("drs", {}).get("sourceServers", [])}
        started = [s for s in now["drs"]["sourceServers"]
                   if old_states.get(s["sourceServerID"]) == "STOPPED"
                   and s["dataReplicationInfo"]["dataReplicationState"] != "STOPPED"]
        old_jobs = {j["replicationJobId"] for j in then.get("sms", {}).get("replicationJobs", [])}
        jobs = [j for j in now["sms"]["replicationJobs"] if j["replicationJobId"] not in old_jobs]
        old_copies = {c["CopyJobId"] for c in then.get("backup", {}).get("copyJobs", [])}
        copies = [c for c in now["backup"]["copyJobs"] if c["CopyJobId"] not in old_copies]
        if started or jobs or copies:
            out[place] = (started, jobs, copies)
    return out


def hostname(server):
    host = server.get("sourceProperties", {}).get("identificationHints", {}).get("hostname")
    staging = server.get("stagingArea", {})
    if staging.get("status") == "EXTENDED":
        # Its replication runs in its staging account, where the function started it.
        return f"{host} (extended; started in {staging.get('stagingAccountID')})"
    return host or server["sourceServerID"]


def fleet_step(step, logs):
    """Loads the step's fixture, restarts `cargo lambda watch` with the step's variables on top
    of the demo's, denies its roles, runs its invocations and prints what changed in each account
    and region. Returns the watch process and whether every invocation answered with a report
    over the whole fleet and something changed."""
    fixture = ROOT / "tests" / "emulator" / "fixtures" / step["fixture"]
    admin("PUT", "fixture", fixture.read_text())
    if HISTORY:
        ensure_history_bucket()
    for role in step.get("deniedRoles", []):
        admin("POST", "sts/roles", {"roleArn": role, "denied": True})
    env = {**FUNCTION_ENV, **env_values(step["environment"])}
    fleet = json.loads(env["FLEET"])
    watch = start_watch(logs, "functions-fleet", env)
    print(f"\n== fleet step: {len(fleet)} targets "
          f"({len({t['account'] for t in fleet})} accounts, "
          f"{len({t['region'] for t in fleet})} regions) from tests/emulator/fixtures/"
          f"{step['fixture']}; FLEET_ROLE={env.get('FLEET_ROLE', '(none)')}")
    for role in step.get("deniedRoles", []):
        print(f"   AssumeRole of {role} is denied")
    print()
    before = emulator_state()
    ok = True
    for s in step["invocations"]:
        if "advance" in s:
            advance(s["advance"])
            continue
        if "wait" in s:
            time.sleep(s["wait"]["seconds"])
            continue
        report = invoke(s["function"], s["event"])
        ok = ok and report is not None and len(report.get("targets", [])) == len(fleet)
    changes = changes_by_place(before, emulator_state())
    print("\nWhat changed in each account and region of the fleet:")
    rows = []
    for t in fleet:
        started, jobs, copies = changes.get((t["account"], t["region"]), ([], [], []))
        rows.append((t["account"], t["region"],
                     ", ".join(hostname(s) for s in started) or "(none)",
                     ", ".join(sorted(j.get("vmServer", {}).get("vmName", j["serverId"])
                                      for j in jobs)) or "(none)",
                     len(copies)))
    table(rows, ["account", "region", "DRS servers started", "SMS jobs created",
                 "Backup copies started"])
    messages = sns_messages()
    print(f"\nSNS reports published in the fleet step: {len(messages)}")
    for m in messages:
        print(f"    {m.get('subject', '')}")
    return watch, ok and bool(changes)


def posture_page(logs, stored):
    """Writes the posture page from the run history read from the emulator's S3 (`stored`), or,
    without one, from the reports the invocations answered with, and the EMF lines of the
    function logs; fails when the page lacks one of its main sections. Returns its path."""
    lines = [line for log in WATCH_LOGS
             for line in posture.metric_lines(log.read_text(errors="replace"))]
    reports, source = (stored, "the run history in S3") if stored else (RUNS, "the invocations")
    page = posture.render(reports, lines, title="DR posture: the demo fleet")
    path = logs / "posture.html"
    path.write_text(page)
    missing = posture.missing_sections(page)
    if missing:
        sys.exit(f"demo: the posture page {path} lacks its sections {', '.join(missing)}")
    print(f"\nposture page: {path}\n    {len(reports)} runs from {source}, {len(lines)} metric "
          f"lines from the function logs")
    return path


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
        if HISTORY:
            ensure_history_bucket()
        watch = start_watch(logs, "functions", FUNCTION_ENV)

        before = drs_states(emulator_state())
        hosts = {sid: host for sid, (host, _) in before.items()}
        recovery_reports = []
        print(f"demo: emulator on {EMULATOR} ({len(before)} DRS source servers), "
              f"cargo lambda watch on :{WATCH_PORT}\n")
        mgn_reports = []
        steps = CONFIG["invocations"]
        fleet_steps = [s["fleet"] for s in steps if "fleet" in s]
        single = [s for s in steps if "fleet" not in s]
        mgn_end = mgn_step_end(single)
        for i, step in enumerate(single):
            if "wait" in step:
                # The functions read the machine's clock, which the emulator's does not move.
                print(f"(waiting {step['wait']['seconds']} s of real time: "
                      f"{step['wait'].get('why', 'time passes')})")
                time.sleep(step["wait"]["seconds"])
            elif "advance" in step:
                moved = advance(step["advance"])
                print(f"(emulator clock +{moved}, {step['advance']['steps']} steps: "
                      f"{step['advance'].get('why', 'jobs move on')})")
            elif step["function"] == MGN:
                if not mgn_reports:
                    mgn_intro(CONFIG)
                seen = mgn_servers(emulator_state())
                report = invoke(step["function"], step["event"])
                failures += report is None
                if report is not None:
                    mgn_details(report, seen)
                    mgn_reports.append(report)
            else:
                report = invoke(step["function"], step["event"])
                failures += report is None
                if step["function"] == "drs-recovery" and report is not None:
                    recovery_details(report, hosts)
                    recovery_reports.append(report)
            if i == mgn_end:
                mgn_table(emulator_state())
                print("MGN step, servers: " + ", ".join(
                    f"{what} {n}" for what, n in mgn_done(mgn_reports).items()) + "\n")

        failures += sum(r is None for r in coverage_runs())

        after = emulator_state()
        changed, jobs, copies = single_account_tables(before, after)
        drill = recovery_tables(after, hosts, recovery_reports)
        migration = mgn_done(mgn_reports)
        messages = sns_messages()
        print(f"\nSNS reports published: {len(messages)}")
        for m in messages:
            print(f"    {m.get('subject', '')}")
        if (failures or not changed or not jobs or not copies or not all(drill.values())
                or not all(migration.values())):
            sys.exit(f"demo: {failures} invocations returned no report; changed: "
                     f"{len(changed)} DRS servers, {len(jobs)} SMS jobs, {len(copies)} copy jobs; "
                     "drill: " + ", ".join(f"{n} {what}" for what, n in drill.items())
                     + "; MGN: " + ", ".join(f"{n} {what}" for what, n in migration.items()))

        # The fleet steps come last: each replaces the emulator's state with its fixture, so the
        # run history stored until then is read first.
        history = {}
        for step in fleet_steps:
            stop(watch)
            if HISTORY:
                history.update(stored_history())
            watch, ok = fleet_step(step, logs)
            if not ok:
                sys.exit("demo: the fleet step did not answer with a report over every target, "
                         "or changed nothing")
        # The functions have written every metric line once `cargo lambda watch` is stopped.
        stop(watch)
        if HISTORY:
            history.update(stored_history())
            print(f"\nrun history: {len(history)} objects in s3://{HISTORY['bucket']}/"
                  f"{HISTORY['prefix']}, e.g. {min(history, default='(none)')}")
            if len(history) != len(RUNS):
                sys.exit(f"demo: {len(RUNS)} runs answered with a report, but the run history "
                         f"holds {len(history)} objects")
        posture_page(logs, list(history.values()))
        print(f"\nlogs: {logs}/")
    finally:
        stop(watch)
        stop(emulator)


if __name__ == "__main__":
    main()
