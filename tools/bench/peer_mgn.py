"""The Python boto3 peer of mgn-replication's scheduled reconcile, as a user would write it: read
every non-archived source server, then, one server after another for those MGN_SERVERS names:
read its replication configuration and update the settings that differ; record a stall in the
server's tags, retry it after the cool-down (writing the count first) or escalate it; clear the
record once data flows again; resume a paused replication when resumePaused says so; start a
stopped one within MGN_MAX_ACTIVE_SERVERS; publish the report. Configured by the same environment
variables as the Rust function (MGN_SERVERS with defaults and servers named by sourceServerId,
hostname or tags; MGN_MAX_ACTIVE_SERVERS, REPORT_TOPIC_ARN). Test launches are left out."""

import datetime
import json
import os

import boto3

import report

mgn = boto3.client("mgn")
sns = boto3.client("sns")
CONFIG = json.loads(os.environ["MGN_SERVERS"])
MAX_ACTIVE = int(os.environ.get("MGN_MAX_ACTIVE_SERVERS", "150"))
TOPIC = os.environ.get("REPORT_TOPIC_ARN")
TAG_STALLS = "dr-automation:mgn-stalls"
TAG_SINCE = "dr-automation:mgn-stalled-since"
TAG_RETRIED = "dr-automation:mgn-retried-at"
STALL_TAGS = [TAG_STALLS, TAG_SINCE, TAG_RETRIED]
FLOWING = {"INITIAL_SYNC", "BACKLOG", "CREATING_SNAPSHOT", "CONTINUOUS", "RESCAN", "SHIPPING_SNAPSHOT"}
MIGRATED = {"CUTTING_OVER", "CUTOVER", "DISCONNECTED"}
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(text):
    return int(text[:-1]) * UNITS[text[-1]]


def timestamp(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def rfc3339(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def policy_for(server):
    """The first MGN_SERVERS entry naming the server, over the defaults; None when none does."""
    hints = server.get("sourceProperties", {}).get("identificationHints", {})
    fqdn = hints.get("fqdn") or ""
    names = {n.lower() for n in (hints.get("hostname"), fqdn, fqdn.split(".")[0]) if n}
    tags = server.get("tags", {})
    defaults = CONFIG.get("defaults", {})
    for entry in CONFIG["servers"]:
        if (
            entry.get("sourceServerId") == server["sourceServerID"]
            or entry.get("hostname", "").lower() in names
            or ("tags" in entry and all(tags.get(k) == v for k, v in entry["tags"].items()))
        ):
            policy = dict(defaults, **entry)
            policy["replication"] = dict(defaults.get("replication", {}), **entry.get("replication", {}))
            policy["onStall"] = dict(defaults.get("onStall", {}), **entry.get("onStall", {}))
            return policy
    return None


def differs(current, wanted):
    if isinstance(wanted, list):
        return sorted(current or []) != sorted(wanted)
    return current != wanted


def call(outcomes, sid, action, make):
    try:
        make()
        outcomes.append({"target": sid, "action": action, "result": "done"})
    except Exception as exc:
        outcomes.append({"target": sid, "action": action, "result": "failed", "detail": str(exc)})


def stalled(server, policy, now, outcomes):
    sid, arn, tags = server["sourceServerID"], server["arn"], server.get("tags", {})
    cool_down = seconds(policy["onStall"].get("coolDown", "1h"))
    most = policy["onStall"].get("maxConsecutiveStalls", 3)
    retries = int(tags.get(TAG_STALLS, "0"))
    since, retried = timestamp(tags.get(TAG_SINCE)), timestamp(tags.get(TAG_RETRIED))
    if since is None:
        record = {TAG_STALLS: str(retries), TAG_SINCE: rfc3339(now)}
        call(outcomes, sid, "TagResource", lambda: mgn.tag_resource(resourceArn=arn, tags=record))
        return
    due = max(since, retried or since) + datetime.timedelta(seconds=cool_down)
    if now < due:
        return
    if retries >= most:
        error = server.get("dataReplicationInfo", {}).get("dataReplicationError", {})
        outcomes.append({"target": sid, "action": "Escalate", "result": "failed", "detail": str(error)})
        return
    record = {TAG_STALLS: str(retries + 1), TAG_SINCE: rfc3339(since), TAG_RETRIED: rfc3339(now)}

    def retry():
        mgn.tag_resource(resourceArn=arn, tags=record)
        mgn.retry_data_replication(sourceServerID=sid)

    call(outcomes, sid, "RetryDataReplication", retry)


def handler(event, context):
    now = datetime.datetime.now(datetime.timezone.utc)
    servers = []
    pages = mgn.get_paginator("describe_source_servers").paginate(
        filters={"isArchived": False}, PaginationConfig={"PageSize": 1000}
    )
    for page in pages:
        servers.extend(page["items"])

    def state(server):
        return server.get("dataReplicationInfo", {}).get("dataReplicationState", "UNKNOWN")

    def lifecycle(server):
        return server.get("lifeCycle", {}).get("state", "UNKNOWN")

    active = sum(1 for s in servers if state(s) not in ("STOPPED", "DISCONNECTED"))
    outcomes, skips = [], []
    for server in servers:
        sid = server["sourceServerID"]
        policy = policy_for(server)
        if policy is None:
            continue
        replication, life = state(server), lifecycle(server)
        before = (len(outcomes), len(skips))
        wanted = policy["replication"]
        if wanted and life not in MIGRATED and replication != "DISCONNECTED":
            current = mgn.get_replication_configuration(sourceServerID=sid)
            changes = {k: v for k, v in wanted.items() if differs(current.get(k), v)}
            if changes:
                call(outcomes, sid, "UpdateReplicationConfiguration",
                     lambda: mgn.update_replication_configuration(sourceServerID=sid, **changes))
        if replication == "STALLED":
            stalled(server, policy, now, outcomes)
        elif replication in FLOWING and any(k in server.get("tags", {}) for k in STALL_TAGS):
            call(outcomes, sid, "UntagResource",
                 lambda: mgn.untag_resource(resourceArn=server["arn"], tagKeys=STALL_TAGS))
        elif replication == "PAUSED" and policy.get("resumePaused"):
            call(outcomes, sid, "ResumeReplication", lambda: mgn.resume_replication(sourceServerID=sid))
        elif replication == "STOPPED" and life not in MIGRATED:
            start = policy.get("startReplication", "now")
            if start == "manual" or (start != "now" and now < timestamp(start)):
                skips.append({"target": sid, "reason": f"STOPPED, startReplication {start}"})
            elif active >= MAX_ACTIVE:
                skips.append({"target": sid, "reason": f"MGN_MAX_ACTIVE_SERVERS {MAX_ACTIVE} reached"})
            else:
                call(outcomes, sid, "StartReplication", lambda: mgn.start_replication(sourceServerID=sid))
                active += 1
        if (len(outcomes), len(skips)) == before:
            skips.append({"target": sid, "reason": f"{life}/{replication}: nothing to do"})
    return report.publish(sns, TOPIC, "mgn-replication", outcomes, skips)
