"""The Python boto3 peer of backup-copy-fanout's sweep, as a user would write it: list the recent
recovery points of the source vaults and the copy jobs, start one copy per recovery point and
destination still lacking one, one by one (AWS Backup queues a resource's further copy jobs in
CREATED while one runs), with a deterministic idempotency token; publish the report.
Configured by the same environment variables as the Rust function."""

import datetime
import hashlib
import json
import os

import boto3

import report

backup = boto3.client("backup")
sns = boto3.client("sns")
SOURCE_VAULTS = [v.strip() for v in os.environ["BACKUP_SOURCE_VAULTS"].split(",") if v.strip()]
DESTINATIONS = json.loads(os.environ["BACKUP_DESTINATIONS"])
ROLE = os.environ["BACKUP_COPY_ROLE_ARN"]
WINDOW_HOURS = int(os.environ.get("BACKUP_SWEEP_WINDOW_HOURS", "24"))
TOPIC = os.environ.get("REPORT_TOPIC_ARN")
IN_FLIGHT = ("CREATED", "RUNNING")


def handler(event, context):
    cutoff = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=WINDOW_HOURS)
    points = []
    for vault in SOURCE_VAULTS:
        pages = backup.get_paginator("list_recovery_points_by_backup_vault").paginate(
            BackupVaultName=vault, ByCreatedAfter=cutoff, PaginationConfig={"PageSize": 1000}
        )
        for page in pages:
            points.extend(dict(p, vault=vault) for p in page["RecoveryPoints"])
    jobs = {}
    for selector in ({"ByState": "CREATED"}, {"ByState": "RUNNING"}, {"ByCreatedAfter": cutoff}):
        pages = backup.get_paginator("list_copy_jobs").paginate(**selector, PaginationConfig={"PageSize": 1000})
        for page in pages:
            jobs.update((j["CopyJobId"], j) for j in page["CopyJobs"])
    by_target = {}
    for job in jobs.values():
        by_target.setdefault((job["SourceRecoveryPointArn"], job["DestinationBackupVaultArn"]), []).append(job)

    outcomes, skips = [], []
    points.sort(key=lambda p: (-p["CreationDate"].timestamp(), p["RecoveryPointArn"]))
    for point in points:
        for destination in DESTINATIONS:
            dest = destination["vaultArn"]
            target = f"{point['RecoveryPointArn']} -> {dest}"
            existing = by_target.get((point["RecoveryPointArn"], dest), [])
            if any(j["State"] in IN_FLIGHT + ("COMPLETED",) for j in existing):
                skips.append({"target": target, "reason": "already copied or copying"})
                continue
            attempt = len(existing) + 1
            token = hashlib.sha256(f"{point['RecoveryPointArn']}|{dest}|{attempt}".encode()).hexdigest()[:32]
            lifecycle = {
                api: destination[key]
                for key, api in (
                    ("moveToColdStorageAfterDays", "MoveToColdStorageAfterDays"),
                    ("deleteAfterDays", "DeleteAfterDays"),
                )
                if key in destination
            }
            try:
                out = backup.start_copy_job(
                    RecoveryPointArn=point["RecoveryPointArn"],
                    SourceBackupVaultName=point["vault"],
                    DestinationBackupVaultArn=dest,
                    IamRoleArn=ROLE,
                    IdempotencyToken=token,
                    **({"Lifecycle": lifecycle} if lifecycle else {}),
                )
                outcomes.append({"target": target, "action": "StartCopyJob", "result": "done", "detail": out["CopyJobId"]})
            except backup.exceptions.LimitExceededException as exc:
                outcomes.append({"target": target, "action": "StartCopyJob", "result": "unchanged", "detail": str(exc)})
            except Exception as exc:
                outcomes.append({"target": target, "action": "StartCopyJob", "result": "failed", "detail": str(exc)})
    return report.publish(sns, TOPIC, "backup-copy-fanout", outcomes, skips)
