"""The Python boto3 peer of drs-start-replication, as a user would write it: read every source
server, start replication of the stopped ones one by one within the replicating-server quota,
publish the report. Configured by the same environment variables as the Rust function
(DRS_SELECT_ALL only, DRS_REPLICATION_QUOTA, REPORT_TOPIC_ARN)."""

import os

import boto3

import report

drs = boto3.client("drs")
sns = boto3.client("sns")
QUOTA = int(os.environ.get("DRS_REPLICATION_QUOTA", "300"))
TOPIC = os.environ.get("REPORT_TOPIC_ARN")


def handler(event, context):
    servers = []
    pages = drs.get_paginator("describe_source_servers").paginate(PaginationConfig={"PageSize": 1000})
    for page in pages:
        servers.extend(page["items"])

    def state(server):
        return server.get("dataReplicationInfo", {}).get("dataReplicationState", "UNKNOWN")

    room = QUOTA - sum(1 for s in servers if state(s) != "STOPPED")
    outcomes, skips = [], []
    for server in servers:
        sid = server["sourceServerID"]
        if state(server) != "STOPPED":
            skips.append({"target": sid, "reason": f"{state(server)}: already replicating"})
        elif room <= 0:
            skips.append({"target": sid, "reason": f"replication quota {QUOTA} reached"})
        else:
            try:
                drs.start_replication(sourceServerID=sid)
                outcomes.append({"target": sid, "action": "StartReplication", "result": "done"})
                room -= 1
            except drs.exceptions.ConflictException as exc:
                outcomes.append({"target": sid, "action": "StartReplication", "result": "unchanged", "detail": str(exc)})
            except Exception as exc:
                outcomes.append({"target": sid, "action": "StartReplication", "result": "failed", "detail": str(exc)})
    return report.publish(sns, TOPIC, "drs-start-replication", outcomes, skips)
