//! AWS Backup (restJson1): vaults, recovery points, backup jobs and copy jobs that run one step
//! at a time.

use crate::fixture::{BackupJobSpec, LifecycleSpec, RecoveryPointSpec};
use crate::protocol::{ApiError, Service};
use crate::util::{hex, page, parse_iso, parse_query_time, partition, uuid_upper};
use crate::world::{AwsRequest, PartitionKey, Scope};
use axum::http::Method;
use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Largest page of the list operations.
const MAX_PAGE: usize = 1000;
/// Lifecycle rule: deletion at least this many days after the move to cold storage.
const MIN_COLD_DAYS: i64 = 90;
/// Seconds in a day.
const DAY: i64 = 86_400;
/// `ListBackupJobs` "returns a list of existing backup jobs ... for the last 30 days" (API
/// reference).
const BACKUP_JOB_HISTORY: i64 = 30 * DAY;
/// How AWS names continuous (point-in-time) recovery points (Aurora User Guide, "Restoring a DB
/// cluster to a specified time using AWS Backup").
const CONTINUOUS_MARK: &str = ":recovery-point:continuous:";
/// Job states that hold a resource: AWS Backup runs one backup or copy job per resource at a
/// time (Developer Guide, "AWS Backup quotas").
const BACKUP_JOB_IN_FLIGHT: [&str; 3] = ["CREATED", "PENDING", "RUNNING"];

/// A Backup lifecycle as the API spells it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Lifecycle {
    /// Days before moving to cold storage (-1: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub move_to_cold_storage_after_days: Option<i64>,
    /// Days before deletion (-1: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_after_days: Option<i64>,
    /// Archive tier opt-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_in_to_archive_for_supported_resources: Option<bool>,
    /// Event after which to delete (newer API member, kept as sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_after_event: Option<String>,
}

impl From<&LifecycleSpec> for Lifecycle {
    fn from(spec: &LifecycleSpec) -> Self {
        Self {
            move_to_cold_storage_after_days: spec.move_to_cold_storage_after_days,
            delete_after_days: spec.delete_after_days,
            ..Self::default()
        }
    }
}

impl Lifecycle {
    /// Enforces the model's `Lifecycle`: `DeleteAfterDays` "must be at least 90 days after"
    /// `MoveToColdStorageAfterDays`, and -1 for both "removes the existing lifecycle" (API
    /// reference, "Lifecycle"). That other values below 1 are refused, and with
    /// `InvalidParameterValueException` (one of `StartCopyJob`'s modelled errors), is an
    /// assumption: AWS documents no range beyond the 100-year maximum.
    fn validate(&self) -> Result<(), ApiError> {
        for days in [self.move_to_cold_storage_after_days, self.delete_after_days]
            .into_iter()
            .flatten()
        {
            if days < -1 || days == 0 {
                return Err(ApiError::new(
                    "InvalidParameterValueException",
                    format!("Lifecycle days must be positive or -1 (never), got {days}"),
                ));
            }
        }
        if let (Some(cold), Some(delete)) =
            (self.move_to_cold_storage_after_days, self.delete_after_days)
        {
            if cold > 0 && delete > 0 && delete < cold.saturating_add(MIN_COLD_DAYS) {
                return Err(ApiError::new(
                    "InvalidParameterValueException",
                    format!(
                        "Invalid lifecycle. DeleteAfterDays ({delete}) must be at least {MIN_COLD_DAYS} days greater than MoveToColdStorageAfterDays ({cold})"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `CalculatedLifecycle` for something created at `created`.
    fn calculated(&self, created: i64) -> Value {
        let mut out = serde_json::Map::new();
        if let Some(d) = self.move_to_cold_storage_after_days.filter(|d| *d > 0) {
            out.insert(
                "MoveToColdStorageAt".into(),
                json!(created.saturating_add(d.saturating_mul(DAY))),
            );
        }
        if let Some(d) = self.delete_after_days.filter(|d| *d > 0) {
            out.insert(
                "DeleteAt".into(),
                json!(created.saturating_add(d.saturating_mul(DAY))),
            );
        }
        Value::Object(out)
    }
}

#[derive(Debug, Clone)]
struct RecoveryPoint {
    arn: String,
    resource_arn: String,
    resource_type: String,
    resource_name: Option<String>,
    created: i64,
    size: i64,
    status: String,
    lifecycle: Option<Lifecycle>,
    source_vault_arn: Option<String>,
    iam_role_arn: String,
    copy_failures_left: u32,
    storage_class: Option<String>,
}

impl RecoveryPoint {
    /// `StorageClass` at `now`: the fixture's, else COLD once the lifecycle's cold storage date
    /// has passed. AWS ignores the cold move for resource types without cold storage (API
    /// reference, "Lifecycle"); the emulator moves every type (an assumption).
    fn storage_class(&self, now: i64) -> &str {
        if let Some(class) = &self.storage_class {
            return class;
        }
        let cold_at = self
            .lifecycle
            .as_ref()
            .and_then(|l| l.move_to_cold_storage_after_days)
            .filter(|d| *d > 0)
            .map(|d| self.created.saturating_add(d.saturating_mul(DAY)));
        if cold_at.is_some_and(|at| at <= now) {
            "COLD"
        } else {
            "WARM"
        }
    }
}

#[derive(Debug, Clone)]
struct BackupJob {
    id: String,
    vault: usize,
    resource_arn: String,
    resource_type: String,
    state: String,
    created: i64,
    completed: Option<i64>,
    recovery_point_arn: Option<String>,
}

#[derive(Debug, Clone)]
struct Vault {
    name: String,
    region: String,
    account: String,
    arn: String,
    created: i64,
    points: Vec<RecoveryPoint>,
}

/// The parameters that make two `StartCopyJob` calls "the same" for idempotency.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CopyParams {
    recovery_point_arn: String,
    source_vault_name: String,
    destination_vault_arn: String,
    iam_role_arn: String,
    lifecycle: Option<Lifecycle>,
}

#[derive(Debug, Clone)]
struct CopyJob {
    id: String,
    account: String,
    params: CopyParams,
    token: Option<String>,
    source_vault_arn: String,
    destination_rp_arn: Option<String>,
    resource_arn: String,
    resource_type: String,
    resource_name: Option<String>,
    size: i64,
    created: i64,
    completed: Option<i64>,
    state: String,
    status_message: Option<String>,
    will_fail: bool,
}

/// Backup state.
#[derive(Debug, Clone)]
pub struct Backup {
    account: String,
    region: String,
    vaults: Vec<Vault>,
    jobs: Vec<CopyJob>,
    backup_jobs: Vec<BackupJob>,
    /// Completed copies whose destination vault is in another partition, until delivered.
    outbound: Vec<Delivery>,
}

/// A completed copy on its way to a destination vault of another account or region.
#[derive(Debug, Clone)]
pub struct Delivery {
    vault_arn: String,
    point: RecoveryPoint,
}

impl Delivery {
    /// The (account, region) of the destination vault.
    pub fn vault_key(&self) -> PartitionKey {
        arn_region_account(&self.vault_arn)
            .map(|(region, account)| (account, region))
            .unwrap_or_default()
    }
}

/// The Backup operations the emulator serves, from method and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupOp {
    /// `PUT /copy-jobs`.
    StartCopyJob,
    /// `GET /copy-jobs/`.
    ListCopyJobs,
    /// `GET /copy-jobs/{id}`.
    DescribeCopyJob(String),
    /// `GET /backup-jobs/`.
    ListBackupJobs,
    /// `GET /backup-vaults/`.
    ListBackupVaults,
    /// `GET /backup-vaults/{name}`.
    DescribeBackupVault(String),
    /// `GET /backup-vaults/{name}/recovery-points/`.
    ListRecoveryPointsByBackupVault(String),
    /// `GET /backup-vaults/{name}/recovery-points/{arn}`.
    DescribeRecoveryPoint(String, String),
    /// Anything else: method and path.
    Unknown(String),
}

impl BackupOp {
    /// The operation name (for counters and fault rules).
    pub fn name(&self) -> String {
        match self {
            Self::StartCopyJob => "StartCopyJob".into(),
            Self::ListCopyJobs => "ListCopyJobs".into(),
            Self::DescribeCopyJob(_) => "DescribeCopyJob".into(),
            Self::ListBackupJobs => "ListBackupJobs".into(),
            Self::ListBackupVaults => "ListBackupVaults".into(),
            Self::DescribeBackupVault(_) => "DescribeBackupVault".into(),
            Self::ListRecoveryPointsByBackupVault(_) => "ListRecoveryPointsByBackupVault".into(),
            Self::DescribeRecoveryPoint(..) => "DescribeRecoveryPoint".into(),
            Self::Unknown(what) => what.clone(),
        }
    }
}

/// Maps method and path to an operation; path labels are percent-decoded after splitting, since
/// recovery point ARNs arrive with `/` encoded as `%2F`.
pub fn operation(req: &AwsRequest) -> BackupOp {
    let segments: Vec<String> = req
        .path
        .trim_start_matches('/')
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    let get = req.method == Method::GET;
    match parts.as_slice() {
        ["copy-jobs"] | ["copy-jobs", ""] if req.method == Method::PUT => BackupOp::StartCopyJob,
        ["copy-jobs"] | ["copy-jobs", ""] if get => BackupOp::ListCopyJobs,
        ["copy-jobs", id] if get => BackupOp::DescribeCopyJob((*id).to_owned()),
        ["backup-jobs"] | ["backup-jobs", ""] if get => BackupOp::ListBackupJobs,
        ["backup-vaults"] | ["backup-vaults", ""] if get => BackupOp::ListBackupVaults,
        ["backup-vaults", name] if get => BackupOp::DescribeBackupVault((*name).to_owned()),
        ["backup-vaults", name, "recovery-points"]
        | ["backup-vaults", name, "recovery-points", ""]
            if get =>
        {
            BackupOp::ListRecoveryPointsByBackupVault((*name).to_owned())
        }
        ["backup-vaults", name, "recovery-points", arn] if get => {
            BackupOp::DescribeRecoveryPoint((*name).to_owned(), (*arn).to_owned())
        }
        _ => BackupOp::Unknown(format!("{} {}", req.method, req.path)),
    }
}

/// A recovery point ARN for a copy or a fixture point, in the form AWS uses for the resource type.
fn recovery_point_arn(
    resource_type: &str,
    region: &str,
    account: &str,
    rng: &mut fastrand::Rng,
) -> String {
    let partition = partition(region);
    match resource_type {
        "EC2" => format!("arn:{partition}:ec2:{region}::image/ami-{}", hex(rng, 17)),
        "EBS" => format!(
            "arn:{partition}:ec2:{region}::snapshot/snap-{}",
            hex(rng, 17)
        ),
        _ => format!(
            "arn:{partition}:backup:{region}:{account}:recovery-point:{}",
            uuid_upper(rng)
        ),
    }
}

/// A continuous backup's recovery point, named as AWS names them (see [`CONTINUOUS_MARK`]).
fn continuous_point_arn(region: &str, account: &str, rng: &mut fastrand::Rng) -> String {
    format!(
        "arn:{}:backup:{region}:{account}{CONTINUOUS_MARK}{}",
        partition(region),
        hex(rng, 16)
    )
}

/// The default service role the AWS Backup console creates and selects, `service-role/`
/// `AWSBackupDefaultServiceRole` (Developer Guide, "IAM service roles": "Default service role for
/// AWS Backup"): the role of the fixture's backup jobs and recovery points, which name none.
fn default_role_arn(region: &str, account: &str) -> String {
    format!(
        "arn:{}:iam::{account}:role/service-role/AWSBackupDefaultServiceRole",
        partition(region)
    )
}

/// `created_hours_ago` of a fixture entry as a time before `now` (an hour when unset).
fn hours_before(now: i64, hours: Option<f64>) -> i64 {
    now.saturating_sub((hours.unwrap_or(1.0) * 3600.0).round() as i64)
}

fn vault_arn(region: &str, account: &str, name: &str) -> String {
    format!(
        "arn:{}:backup:{region}:{account}:backup-vault:{name}",
        partition(region)
    )
}

impl Backup {
    /// Backup of an account in a region, without vaults yet.
    pub fn new(account: &str, region: &str) -> Self {
        Self {
            account: account.to_owned(),
            region: region.to_owned(),
            vaults: Vec::new(),
            jobs: Vec::new(),
            backup_jobs: Vec::new(),
            outbound: Vec::new(),
        }
    }

    /// Adds a vault of this account and region with its fixture recovery points.
    pub fn add_vault(
        &mut self,
        name: &str,
        points: &[RecoveryPointSpec],
        now: i64,
        rng: &mut fastrand::Rng,
    ) {
        self.vaults.push(Vault {
            arn: vault_arn(&self.region, &self.account, name),
            name: name.to_owned(),
            region: self.region.clone(),
            account: self.account.clone(),
            created: now - 365 * DAY,
            points: Vec::new(),
        });
        let index = self.vaults.len() - 1;
        for spec in points {
            self.add_point(index, spec, now, rng);
        }
    }

    /// Adds a fixture backup job (of a vault of this partition).
    pub fn add_backup_job(&mut self, spec: &BackupJobSpec, now: i64, rng: &mut fastrand::Rng) {
        let Some(vault) = self.vault(&spec.backup_vault_name, None, None) else {
            return;
        };
        let created = hours_before(now, spec.created_hours_ago);
        self.backup_jobs.push(BackupJob {
            id: uuid_upper(rng),
            vault,
            resource_arn: spec.resource_arn.clone(),
            resource_type: spec.resource_type.clone(),
            state: spec.state.clone(),
            created,
            completed: None,
            recovery_point_arn: None,
        });
    }

    fn add_point(
        &mut self,
        vault: usize,
        spec: &RecoveryPointSpec,
        now: i64,
        rng: &mut fastrand::Rng,
    ) -> String {
        let v = &self.vaults[vault];
        let created = spec
            .creation_date
            .as_deref()
            .and_then(parse_iso)
            .unwrap_or_else(|| hours_before(now, spec.created_hours_ago));
        let arn = spec.recovery_point_arn.clone().unwrap_or_else(|| {
            if spec.continuous {
                continuous_point_arn(&v.region, &v.account, rng)
            } else {
                recovery_point_arn(&spec.resource_type, &v.region, &v.account, rng)
            }
        });
        let point = RecoveryPoint {
            arn: arn.clone(),
            resource_arn: spec.resource_arn.clone(),
            resource_type: spec.resource_type.clone(),
            resource_name: spec.resource_name.clone(),
            created,
            size: spec.backup_size_in_bytes,
            status: spec.status.clone(),
            lifecycle: spec.lifecycle.as_ref().map(Lifecycle::from),
            source_vault_arn: None,
            iam_role_arn: default_role_arn(&v.region, &v.account),
            copy_failures_left: spec.fail_copies,
            storage_class: spec.storage_class.clone(),
        };
        self.vaults[vault].points.push(point);
        arn
    }

    /// Adds a recovery point to a vault of this account and region (admin API), as a backup
    /// job completing would; returns its ARN.
    pub fn add_recovery_point(
        &mut self,
        vault_name: &str,
        spec: &RecoveryPointSpec,
        now: i64,
        rng: &mut fastrand::Rng,
    ) -> Result<String, String> {
        let index = self
            .vaults
            .iter()
            .position(|v| {
                v.name == vault_name && v.region == self.region && v.account == self.account
            })
            .ok_or_else(|| format!("no vault {vault_name} in {} {}", self.account, self.region))?;
        Ok(self.add_point(index, spec, now, rng))
    }

    /// Moves backup and copy jobs one state on. Backup jobs: CREATED or PENDING → RUNNING →
    /// COMPLETED with a new recovery point. Copy jobs: CREATED → RUNNING → COMPLETED or
    /// FAILED, where a copy job stays CREATED while another job of its resource is in flight:
    /// AWS Backup runs one backup or copy job per resource at a time (Developer Guide, "AWS
    /// Backup quotas") and keeps the others waiting, not refused; the oldest waiting one goes
    /// first (an assumption: AWS documents no order).
    pub fn step(&mut self, now: i64, rng: &mut fastrand::Rng) -> bool {
        let mut changed = false;
        for i in 0..self.backup_jobs.len() {
            match self.backup_jobs[i].state.as_str() {
                "CREATED" | "PENDING" => {
                    let resource = &self.backup_jobs[i].resource_arn;
                    let copying = self
                        .jobs
                        .iter()
                        .any(|j| &j.resource_arn == resource && j.state == "RUNNING");
                    if !copying {
                        self.backup_jobs[i].state = "RUNNING".into();
                        changed = true;
                    }
                }
                "RUNNING" => {
                    self.complete_backup(i, now, rng);
                    changed = true;
                }
                _ => {}
            }
        }
        let mut started: Vec<String> = Vec::new();
        for i in 0..self.jobs.len() {
            match self.jobs[i].state.as_str() {
                "CREATED" => {
                    let resource = self.jobs[i].resource_arn.clone();
                    if !started.contains(&resource) && !self.resource_busy(&resource) {
                        self.jobs[i].state = "RUNNING".into();
                        started.push(resource);
                        changed = true;
                    }
                }
                "RUNNING" => {
                    self.finish(i, now, rng);
                    changed = true;
                }
                _ => {}
            }
        }
        changed
    }

    /// Whether a backup job of `resource` is in flight or a copy job of it is running.
    fn resource_busy(&self, resource: &str) -> bool {
        self.backup_jobs
            .iter()
            .any(|j| j.resource_arn == resource && BACKUP_JOB_IN_FLIGHT.contains(&j.state.as_str()))
            || self
                .jobs
                .iter()
                .any(|j| j.resource_arn == resource && j.state == "RUNNING")
    }

    /// A running backup job completes: its recovery point appears in its vault.
    fn complete_backup(&mut self, i: usize, now: i64, rng: &mut fastrand::Rng) {
        let job = self.backup_jobs[i].clone();
        let spec = RecoveryPointSpec {
            recovery_point_arn: None,
            resource_arn: job.resource_arn,
            resource_type: job.resource_type,
            resource_name: None,
            creation_date: None,
            created_hours_ago: Some(0.0),
            backup_size_in_bytes: 1024 * 1024 * 1024,
            status: "COMPLETED".into(),
            lifecycle: None,
            fail_copies: 0,
            storage_class: None,
            continuous: false,
        };
        let arn = self.add_point(job.vault, &spec, now, rng);
        let done = &mut self.backup_jobs[i];
        done.state = "COMPLETED".into();
        done.completed = Some(now);
        done.recovery_point_arn = Some(arn);
    }

    fn finish(&mut self, i: usize, now: i64, rng: &mut fastrand::Rng) {
        self.jobs[i].completed = Some(now);
        if self.jobs[i].will_fail {
            let job = &mut self.jobs[i];
            job.state = "FAILED".into();
            job.status_message = Some(
                "Copy job failed: the destination could not be written (emulated failure)".into(),
            );
            return;
        }
        let job = self.jobs[i].clone();
        let destination = self
            .vaults
            .iter()
            .position(|v| v.arn == job.params.destination_vault_arn);
        let (region, account) = arn_region_account(&job.params.destination_vault_arn)
            .unwrap_or_else(|| (self.region.clone(), self.account.clone()));
        let arn = recovery_point_arn(&job.resource_type, &region, &account, rng);
        let point = RecoveryPoint {
            arn: arn.clone(),
            resource_arn: job.resource_arn.clone(),
            resource_type: job.resource_type.clone(),
            resource_name: job.resource_name.clone(),
            created: now,
            size: job.size,
            status: "COMPLETED".into(),
            lifecycle: job.params.lifecycle.clone(),
            source_vault_arn: Some(job.source_vault_arn.clone()),
            iam_role_arn: job.params.iam_role_arn.clone(),
            copy_failures_left: 0,
            storage_class: None,
        };
        match destination {
            Some(d) => self.vaults[d].points.push(point),
            None => self.outbound.push(Delivery {
                vault_arn: job.params.destination_vault_arn.clone(),
                point,
            }),
        }
        let job = &mut self.jobs[i];
        job.state = "COMPLETED".into();
        job.destination_rp_arn = Some(arn);
    }

    /// The vault a request means: by name, in the request's region (or the home region) and the
    /// given account (or the home account).
    fn vault(&self, name: &str, region: Option<&str>, account: Option<&str>) -> Option<usize> {
        let region = region.unwrap_or(&self.region);
        let account = account.unwrap_or(&self.account);
        self.vaults
            .iter()
            .position(|v| v.name == name && v.region == region && v.account == account)
    }

    /// Completed copies for vaults of other partitions, to [`Self::deliver`] there.
    pub fn take_outbound(&mut self) -> Vec<Delivery> {
        std::mem::take(&mut self.outbound)
    }

    /// Adds a completed copy to its destination vault here, when this partition has it: copies
    /// land only in vaults the fixture has.
    pub fn deliver(&mut self, delivery: Delivery) {
        if let Some(vault) = self.vaults.iter_mut().find(|v| v.arn == delivery.vault_arn) {
            vault.points.push(delivery.point);
        }
    }

    /// The vaults, with their recovery points, for the state dump.
    pub fn vaults_snapshot(&self) -> Vec<Value> {
        self.vaults
            .iter()
            .map(|v| {
                json!({
                    "name": v.name,
                    "arn": v.arn,
                    "region": v.region,
                    "accountId": v.account,
                    "recoveryPoints": v.points.iter().map(|p| render_point(v, p, None)).collect::<Vec<_>>(),
                })
            })
            .collect()
    }

    /// The state dump.
    pub fn snapshot(&self) -> Value {
        json!({
            "vaults": self.vaults_snapshot(),
            "copyJobs": self.jobs.iter().map(render_job).collect::<Vec<_>>(),
            "backupJobs": self.backup_jobs.iter().map(|j| self.render_backup_job(j)).collect::<Vec<_>>(),
        })
    }

    fn render_backup_job(&self, j: &BackupJob) -> Value {
        let vault = &self.vaults[j.vault];
        let mut out = json!({
            "AccountId": vault.account,
            "BackupJobId": j.id,
            "BackupVaultName": vault.name,
            "BackupVaultArn": vault.arn,
            "ResourceArn": j.resource_arn,
            "ResourceType": j.resource_type,
            "CreationDate": j.created,
            "State": j.state,
            "IamRoleArn": default_role_arn(&vault.region, &vault.account),
            "IsParent": false,
        });
        if let Some(arn) = &j.recovery_point_arn {
            out["RecoveryPointArn"] = json!(arn);
        }
        if let Some(done) = j.completed {
            out["CompletionDate"] = json!(done);
            out["PercentDone"] = json!("100.0");
        }
        out
    }
}

/// Region and account of an ARN.
fn arn_region_account(arn: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    (parts.len() == 6).then(|| (parts[3].to_owned(), parts[4].to_owned()))
}

/// A recovery point; `described` (the time now) adds what only `DescribeRecoveryPoint` answers:
/// the model gives `StorageClass` to it, not to the listing.
fn render_point(v: &Vault, p: &RecoveryPoint, described: Option<i64>) -> Value {
    let mut out = json!({
        "RecoveryPointArn": p.arn,
        "BackupVaultName": v.name,
        "BackupVaultArn": v.arn,
        "ResourceArn": p.resource_arn,
        "ResourceType": p.resource_type,
        "IamRoleArn": p.iam_role_arn,
        "Status": p.status,
        "CreationDate": p.created,
        "InitiationDate": p.created,
        "CompletionDate": p.created,
        "BackupSizeInBytes": p.size,
        "IsEncrypted": false,
        "IsParent": false,
        "VaultType": "BACKUP_VAULT",
    });
    if let Some(name) = &p.resource_name {
        out["ResourceName"] = json!(name);
    }
    if let Some(source) = &p.source_vault_arn {
        out["SourceBackupVaultArn"] = json!(source);
    }
    if let Some(lifecycle) = &p.lifecycle {
        out["Lifecycle"] = json!(lifecycle);
        out["CalculatedLifecycle"] = lifecycle.calculated(p.created);
    }
    if let Some(now) = described {
        out["StorageClass"] = json!(p.storage_class(now));
    }
    out
}

fn render_job(j: &CopyJob) -> Value {
    let mut out = json!({
        "AccountId": j.account,
        "CopyJobId": j.id,
        "SourceBackupVaultArn": j.source_vault_arn,
        "SourceRecoveryPointArn": j.params.recovery_point_arn,
        "DestinationBackupVaultArn": j.params.destination_vault_arn,
        "ResourceArn": j.resource_arn,
        "ResourceType": j.resource_type,
        "CreationDate": j.created,
        "State": j.state,
        "BackupSizeInBytes": j.size,
        "IamRoleArn": j.params.iam_role_arn,
        "IsParent": false,
    });
    if let Some(lifecycle) = &j.params.lifecycle {
        out["DestinationRecoveryPointLifecycle"] = json!(lifecycle);
    }
    if let Some(arn) = &j.destination_rp_arn {
        out["DestinationRecoveryPointArn"] = json!(arn);
    }
    if let Some(done) = j.completed {
        out["CompletionDate"] = json!(done);
    }
    if let Some(msg) = &j.status_message {
        out["StatusMessage"] = json!(msg);
    }
    if let Some(name) = &j.resource_name {
        out["ResourceName"] = json!(name);
    }
    out
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidParameterValueException", message)
}

fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::new("ResourceNotFoundException", message)
}

/// Runs one Backup operation.
pub fn execute(world: &mut Scope<'_>, op: &BackupOp, req: &AwsRequest) -> Result<Value, ApiError> {
    let query = req.query_pairs();
    let region = req.region.as_deref();
    match op {
        BackupOp::StartCopyJob => start_copy_job(world, req.json(Service::Backup)?, region),
        BackupOp::ListCopyJobs => list_copy_jobs(world, &query),
        BackupOp::ListBackupJobs => list_backup_jobs(world, &query),
        BackupOp::DescribeCopyJob(id) => {
            let job = world
                .backup
                .jobs
                .iter()
                .find(|j| &j.id == id)
                .ok_or_else(|| not_found(format!("Copy job {id} not found")))?;
            Ok(json!({ "CopyJob": render_job(job) }))
        }
        BackupOp::ListBackupVaults => {
            let region = region.unwrap_or(&world.backup.region);
            let vaults: Vec<Value> = world
                .backup
                .vaults
                .iter()
                .filter(|v| v.region == region && v.account == world.backup.account)
                .map(|v| render_vault(v, true))
                .collect();
            let (items, next) = page(
                &vaults,
                query.get("nextToken").map(String::as_str),
                max_results(&query)?,
            )
            .map_err(|e| invalid(e.to_string()))?;
            Ok(with_next(json!({ "BackupVaultList": items }), next))
        }
        BackupOp::DescribeBackupVault(name) => {
            let v = world
                .backup
                .vault(
                    name,
                    region,
                    query.get("backupVaultAccountId").map(String::as_str),
                )
                .ok_or_else(|| vault_not_found(name))?;
            Ok(render_vault(&world.backup.vaults[v], false))
        }
        BackupOp::ListRecoveryPointsByBackupVault(name) => {
            list_recovery_points(world, name, &query, region)
        }
        BackupOp::DescribeRecoveryPoint(name, arn) => {
            let v = world
                .backup
                .vault(
                    name,
                    region,
                    query.get("backupVaultAccountId").map(String::as_str),
                )
                .ok_or_else(|| vault_not_found(name))?;
            let vault = &world.backup.vaults[v];
            let point = vault.points.iter().find(|p| &p.arn == arn).ok_or_else(|| {
                not_found(format!("Recovery point {arn} not found in vault {name}"))
            })?;
            Ok(render_point(vault, point, Some(world.now())))
        }
        BackupOp::Unknown(what) => Err(ApiError::unknown_operation(Service::Backup, what)),
    }
}

fn vault_not_found(name: &str) -> ApiError {
    not_found(format!("Backup vault {name} does not exist"))
        .with("Type", "User")
        .with("Context", name)
}

fn render_vault(v: &Vault, list_member: bool) -> Value {
    let mut out = json!({
        "BackupVaultName": v.name,
        "BackupVaultArn": v.arn,
        "VaultType": "BACKUP_VAULT",
        "CreationDate": v.created,
        "NumberOfRecoveryPoints": v.points.len(),
        "Locked": false,
    });
    if !list_member {
        out["VaultState"] = json!("AVAILABLE");
    }
    out
}

fn with_next(mut body: Value, next: Option<String>) -> Value {
    if let Some(next) = next {
        body["NextToken"] = json!(next);
    }
    body
}

fn max_results(query: &BTreeMap<String, String>) -> Result<usize, ApiError> {
    match query.get("maxResults") {
        None => Ok(MAX_PAGE),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| invalid(format!("maxResults must be 1 to {MAX_PAGE}, got {text}"))),
    }
}

fn time_filter(query: &BTreeMap<String, String>, key: &str) -> Result<Option<i64>, ApiError> {
    query
        .get(key)
        .map(|t| {
            parse_query_time(t).ok_or_else(|| invalid(format!("{key} is not a timestamp: {t}")))
        })
        .transpose()
}

fn list_recovery_points(
    world: &Scope<'_>,
    name: &str,
    query: &BTreeMap<String, String>,
    region: Option<&str>,
) -> Result<Value, ApiError> {
    let max = max_results(query)?;
    let after = time_filter(query, "createdAfter")?;
    let before = time_filter(query, "createdBefore")?;
    let v = world
        .backup
        .vault(
            name,
            region,
            query.get("backupVaultAccountId").map(String::as_str),
        )
        .ok_or_else(|| vault_not_found(name))?;
    let vault = &world.backup.vaults[v];
    let by = |key: &str| query.get(key).map(String::as_str);
    let mut points: Vec<&RecoveryPoint> = vault
        .points
        .iter()
        .filter(|p| by("resourceArn").is_none_or(|a| a == p.resource_arn))
        .filter(|p| by("resourceType").is_none_or(|t| t == p.resource_type))
        .filter(|p| after.is_none_or(|a| p.created >= a))
        .filter(|p| before.is_none_or(|b| p.created <= b))
        // The emulator has no backup plans and no composite points, so these filters match nothing.
        .filter(|_| by("backupPlanId").is_none() && by("parentRecoveryPointArn").is_none())
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.created));
    let rendered: Vec<Value> = points
        .iter()
        .map(|p| render_point(vault, p, None))
        .collect();
    let (items, next) =
        page(&rendered, by("nextToken"), max).map_err(|e| invalid(e.to_string()))?;
    Ok(with_next(json!({ "RecoveryPoints": items }), next))
}

fn list_copy_jobs(world: &Scope<'_>, query: &BTreeMap<String, String>) -> Result<Value, ApiError> {
    let max = max_results(query)?;
    let by = |key: &str| query.get(key).map(String::as_str);
    if let Some(state) = by("state") {
        if !["CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"].contains(&state) {
            return Err(invalid(format!("state {state} is not a copy job state")));
        }
    }
    let created_after = time_filter(query, "createdAfter")?;
    let created_before = time_filter(query, "createdBefore")?;
    let complete_after = time_filter(query, "completeAfter")?;
    let complete_before = time_filter(query, "completeBefore")?;
    let mut jobs: Vec<&CopyJob> = world
        .backup
        .jobs
        .iter()
        .filter(|j| by("resourceArn").is_none_or(|a| a == j.resource_arn))
        .filter(|j| by("state").is_none_or(|s| s == j.state))
        .filter(|j| by("resourceType").is_none_or(|t| t == j.resource_type))
        .filter(|j| by("destinationVaultArn").is_none_or(|d| d == j.params.destination_vault_arn))
        .filter(|j| by("accountId").is_none_or(|a| a == j.account))
        .filter(|j| by("sourceRecoveryPointArn").is_none_or(|a| a == j.params.recovery_point_arn))
        .filter(|_| by("parentJobId").is_none())
        .filter(|j| created_after.is_none_or(|t| j.created >= t))
        .filter(|j| created_before.is_none_or(|t| j.created <= t))
        .filter(|j| complete_after.is_none_or(|t| j.completed.is_some_and(|c| c >= t)))
        .filter(|j| complete_before.is_none_or(|t| j.completed.is_some_and(|c| c <= t)))
        .collect();
    // Newest first, like the service; the stable sort keeps creation order within a second.
    jobs.reverse();
    jobs.sort_by_key(|j| std::cmp::Reverse(j.created));
    let rendered: Vec<Value> = jobs.iter().map(|j| render_job(j)).collect();
    let (items, next) =
        page(&rendered, by("nextToken"), max).map_err(|e| invalid(e.to_string()))?;
    Ok(with_next(json!({ "CopyJobs": items }), next))
}

fn list_backup_jobs(
    world: &Scope<'_>,
    query: &BTreeMap<String, String>,
) -> Result<Value, ApiError> {
    let max = max_results(query)?;
    let by = |key: &str| query.get(key).map(String::as_str);
    if let Some(state) = by("state") {
        if !crate::fixture::BACKUP_JOB_STATES.contains(&state) {
            return Err(invalid(format!("state {state} is not a backup job state")));
        }
    }
    let created_after = time_filter(query, "createdAfter")?;
    let created_before = time_filter(query, "createdBefore")?;
    let complete_after = time_filter(query, "completeAfter")?;
    let complete_before = time_filter(query, "completeBefore")?;
    let backup = &world.backup;
    let since = world.now() - BACKUP_JOB_HISTORY;
    let mut jobs: Vec<&BackupJob> = backup
        .backup_jobs
        .iter()
        .filter(|j| j.created >= since)
        .filter(|j| by("resourceArn").is_none_or(|a| a == j.resource_arn))
        .filter(|j| by("state").is_none_or(|s| s == j.state))
        .filter(|j| by("backupVaultName").is_none_or(|v| v == backup.vaults[j.vault].name))
        .filter(|j| by("resourceType").is_none_or(|t| t == j.resource_type))
        .filter(|j| by("accountId").is_none_or(|a| a == backup.vaults[j.vault].account))
        // The emulator has no composite jobs and no message categories.
        .filter(|_| by("parentJobId").is_none() && by("messageCategory").is_none())
        .filter(|j| created_after.is_none_or(|t| j.created >= t))
        .filter(|j| created_before.is_none_or(|t| j.created <= t))
        .filter(|j| complete_after.is_none_or(|t| j.completed.is_some_and(|c| c >= t)))
        .filter(|j| complete_before.is_none_or(|t| j.completed.is_some_and(|c| c <= t)))
        .collect();
    jobs.reverse();
    jobs.sort_by_key(|j| std::cmp::Reverse(j.created));
    let rendered: Vec<Value> = jobs.iter().map(|j| backup.render_backup_job(j)).collect();
    let (items, next) =
        page(&rendered, by("nextToken"), max).map_err(|e| invalid(e.to_string()))?;
    Ok(with_next(json!({ "BackupJobs": items }), next))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartCopyJobInput {
    recovery_point_arn: Option<String>,
    source_backup_vault_name: Option<String>,
    destination_backup_vault_arn: Option<String>,
    iam_role_arn: Option<String>,
    idempotency_token: Option<String>,
    lifecycle: Option<Lifecycle>,
}

fn required(value: Option<String>, name: &str) -> Result<String, ApiError> {
    value.filter(|v| !v.is_empty()).ok_or_else(|| {
        ApiError::new(
            "MissingParameterValueException",
            format!("{name} is required"),
        )
        .with("Type", "User")
        .with("Context", name)
    })
}

fn start_copy_job(
    world: &mut Scope<'_>,
    input: StartCopyJobInput,
    region: Option<&str>,
) -> Result<Value, ApiError> {
    let params = CopyParams {
        recovery_point_arn: required(input.recovery_point_arn, "RecoveryPointArn")?,
        source_vault_name: required(input.source_backup_vault_name, "SourceBackupVaultName")?,
        destination_vault_arn: required(
            input.destination_backup_vault_arn,
            "DestinationBackupVaultArn",
        )?,
        iam_role_arn: required(input.iam_role_arn, "IamRoleArn")?,
        lifecycle: input.lifecycle,
    };
    let dest_parts: Vec<&str> = params.destination_vault_arn.splitn(7, ':').collect();
    let dest_ok = dest_parts.len() == 7
        && dest_parts[0] == "arn"
        && dest_parts[1] == partition(dest_parts[3])
        && dest_parts[2] == "backup"
        && dest_parts[5] == "backup-vault"
        && !dest_parts[6].is_empty();
    if !dest_ok {
        return Err(invalid(format!(
            "DestinationBackupVaultArn {} is not a backup vault ARN",
            params.destination_vault_arn
        )));
    }
    let role_prefix = format!(
        "arn:{}:iam::",
        partition(region.unwrap_or(&world.backup.region))
    );
    if !params.iam_role_arn.starts_with(&role_prefix) || !params.iam_role_arn.contains(":role/") {
        return Err(invalid(format!(
            "IamRoleArn {} is not an IAM role ARN",
            params.iam_role_arn
        )));
    }
    if let Some(lifecycle) = &params.lifecycle {
        lifecycle.validate()?;
    }
    if let Some(token) = input.idempotency_token.as_deref().filter(|t| !t.is_empty()) {
        if let Some(job) = world
            .backup
            .jobs
            .iter()
            .find(|j| j.token.as_deref() == Some(token))
        {
            if job.params != params {
                return Err(ApiError::new(
                    "InvalidRequestException",
                    format!("IdempotencyToken {token} was already used with different parameters"),
                ));
            }
            return Ok(
                json!({"CopyJobId": job.id, "CreationDate": job.created, "IsParent": false}),
            );
        }
    }
    let v = world
        .backup
        .vault(&params.source_vault_name, region, None)
        .ok_or_else(|| vault_not_found(&params.source_vault_name))?;
    let source = &world.backup.vaults[v];
    if source.arn == params.destination_vault_arn {
        return Err(invalid(
            "The source and destination backup vaults must be different",
        ));
    }
    let source_vault_arn = source.arn.clone();
    let account = source.account.clone();
    let p = source
        .points
        .iter()
        .position(|p| p.arn == params.recovery_point_arn)
        .ok_or_else(|| {
            not_found(format!(
                "Recovery point {} not found in vault {}",
                params.recovery_point_arn, params.source_vault_name
            ))
        })?;
    let point = &source.points[p];
    // Only a backup that was created whole is copied: the model's `DescribeRecoveryPoint`
    // `Status` documents COMPLETED and AVAILABLE as done, and PARTIAL (nested points missing),
    // CREATING, DELETING, EXPIRED and STOPPED as not; StartCopyJob's answer for those is not
    // documented, and InvalidRequestException is an assumption.
    if !["COMPLETED", "AVAILABLE"].contains(&point.status.as_str()) {
        return Err(ApiError::new(
            "InvalidRequestException",
            format!(
                "Recovery point {} is {} and cannot be copied",
                point.arn, point.status
            ),
        ));
    }
    // "Does not support continuous backups" (API reference, StartCopyJob); the error AWS
    // answers with is not documented: InvalidRequestException is an assumption.
    if point.arn.contains(CONTINUOUS_MARK) {
        return Err(ApiError::new(
            "InvalidRequestException",
            format!(
                "Recovery point {} is a continuous backup; StartCopyJob does not support continuous backups",
                point.arn
            ),
        ));
    }
    // "Backups in cold storage or archive tiers cannot be copied" (Developer Guide, "Backup
    // and tag copy"); the error code is an assumption, as above.
    let class = point.storage_class(world.now());
    if class != "WARM" {
        return Err(ApiError::new(
            "InvalidRequestException",
            format!(
                "Recovery point {} is in storage class {class} and cannot be copied",
                point.arn
            ),
        ));
    }
    let (resource_arn, resource_type, resource_name, size) = (
        point.resource_arn.clone(),
        point.resource_type.clone(),
        point.resource_name.clone(),
        point.size,
    );
    let point = &mut world.backup.vaults[v].points[p];
    let will_fail = point.copy_failures_left > 0;
    point.copy_failures_left = point.copy_failures_left.saturating_sub(1);
    let now = world.now();
    let id = uuid_upper(world.rng);
    world.backup.jobs.push(CopyJob {
        id: id.clone(),
        account,
        params,
        token: input.idempotency_token.filter(|t| !t.is_empty()),
        source_vault_arn,
        destination_rp_arn: None,
        resource_arn,
        resource_type,
        resource_name,
        size,
        created: now,
        completed: None,
        state: "CREATED".into(),
        status_message: None,
        will_fail,
    });
    Ok(json!({"CopyJobId": id, "CreationDate": now, "IsParent": false}))
}
