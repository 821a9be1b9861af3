//! The domain: the SMS server catalog, replication jobs, their settings and runs as planning
//! sees them, the changes a plan asks for (including a job's settings to bring to the
//! configuration), and what it reports without a call.
//!
//! No I/O and no SDK types: observe converts SMS's answers into these. The states are the enums
//! of the SMS model (`ReplicationJobState`, `ReplicationRunState`, `ReplicationRunType`,
//! `ServerCatalogStatus`, `LicenseType`, SMS API reference); a value this build does not know is
//! kept as sent, so reports spell it as SMS did.

use dr_core::clock::fmt_time;
use dr_core::error::CallFailure;
use dr_core::report::{OutcomeResult, TargetOutcome};
use std::collections::BTreeMap;

/// The report action of a job creation.
pub const CREATE_REPLICATION_JOB: &str = "CreateReplicationJob";
/// The report action of an on-demand run.
pub const START_ON_DEMAND_RUN: &str = "StartOnDemandReplicationRun";
/// The report action of a rescheduled run or of settings brought to the configuration.
pub const UPDATE_REPLICATION_JOB: &str = "UpdateReplicationJob";
/// The report action of a failed read of a job's runs.
pub const GET_REPLICATION_RUNS: &str = "GetReplicationRuns";
/// The report action of a job state worth telling someone about.
pub const NOTIFY: &str = "Notify";
/// The report action of a job that needs a person.
pub const ESCALATE: &str = "Escalate";

dr_core::aws_enum! {
    /// `ReplicationJob.state`.
    JobState {
        /// Created; the first run has not started.
        Pending = "PENDING",
        /// Replicating on its schedule.
        Active = "ACTIVE",
        /// SMS gave up on the job.
        Failed = "FAILED",
        /// Being deleted.
        Deleting = "DELETING",
        /// Deleted.
        Deleted = "DELETED",
        /// A one-time job that finished.
        Completed = "COMPLETED",
        /// Paused after consecutive failed runs.
        PausedOnFailure = "PAUSED_ON_FAILURE",
        /// Runs are failing; SMS has not paused or failed the job yet.
        Failing = "FAILING",
    }
}

impl JobState {
    /// Whether SMS is (still) replicating, or will retry by itself.
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            Self::Pending | Self::Active | Self::Failing | Self::PausedOnFailure
        )
    }

    /// Whether the job's runs are read to explain or act on a failure.
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Failed | Self::Failing | Self::PausedOnFailure)
    }
}

dr_core::aws_enum! {
    /// `ReplicationRun.state`.
    RunState {
        /// Asked for or scheduled; not started.
        Pending = "PENDING",
        /// Skipped: due while another run was under way.
        Missed = "MISSED",
        /// Under way.
        Active = "ACTIVE",
        /// Ended in failure.
        Failed = "FAILED",
        /// Ended with an AMI.
        Completed = "COMPLETED",
        /// Being deleted.
        Deleting = "DELETING",
        /// Deleted.
        Deleted = "DELETED",
    }
}

dr_core::aws_enum! {
    /// `ReplicationRun.type`.
    RunType {
        /// Started by `StartOnDemandReplicationRun`.
        OnDemand = "ON_DEMAND",
        /// Started by the job's schedule.
        Automatic = "AUTOMATIC",
    }
}

dr_core::aws_enum! {
    /// `GetServers` `serverCatalogStatus`.
    CatalogStatus {
        /// No catalog imported yet.
        NotImported = "NOT_IMPORTED",
        /// `ImportServerCatalog` is under way.
        Importing = "IMPORTING",
        /// Imported and usable.
        Available = "AVAILABLE",
        /// Deleted (`DeleteServerCatalog`).
        Deleted = "DELETED",
        /// Expired; import it again.
        Expired = "EXPIRED",
    }
}

/// A server in the SMS catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Server {
    /// `serverId`.
    pub id: String,
    /// `vmServer.vmName`.
    pub vm_name: Option<String>,
    /// `vmServer.vmPath`.
    pub vm_path: Option<String>,
    /// `replicationJobId`: the job replicating this server, if any.
    pub job_id: Option<String>,
    /// `replicationJobTerminated`: that job is deleted or failed.
    pub job_terminated: bool,
}

/// The server catalog: its status and every server in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// `serverCatalogStatus`, if SMS gave one.
    pub status: Option<CatalogStatus>,
    /// Every server, all pages.
    pub servers: Vec<Server>,
}

/// A replication run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Run {
    /// `replicationRunId`.
    pub id: String,
    /// `state`.
    pub state: RunState,
    /// `type`.
    pub kind: RunType,
    /// `statusMessage`: why a failed run failed.
    pub status_message: Option<String>,
    /// `stageDetails.stage`.
    pub stage: Option<String>,
    /// `scheduledStartTime`, epoch seconds.
    pub scheduled: Option<i64>,
    /// `completedTime`, epoch seconds.
    pub completed: Option<i64>,
}

/// A replication job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Job {
    /// `replicationJobId`.
    pub id: String,
    /// `serverId`.
    pub server_id: String,
    /// `state`.
    pub state: JobState,
    /// `statusMessage`.
    pub status_message: Option<String>,
    /// `runOnce`.
    pub run_once: bool,
    /// `latestAmiId`.
    pub latest_ami: Option<String>,
    /// `replicationRunList` as `GetReplicationJobs` returns it (the latest runs only).
    pub runs: Vec<Run>,
    /// The settings `UpdateReplicationJob` can change, as SMS reports them.
    pub settings: JobSettings,
}

/// A job's settings as `GetReplicationJobs` reports them; absent when SMS gives none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobSettings {
    /// `frequency`, in hours.
    pub frequency: Option<i32>,
    /// `licenseType`, as SMS spells it.
    pub license: Option<String>,
    /// `roleName`.
    pub role_name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `numberOfRecentAmisToKeep`.
    pub amis_to_keep: Option<i32>,
    /// `encrypted`.
    pub encrypted: Option<bool>,
    /// `kmsKeyId`.
    pub kms_key_id: Option<String>,
}

/// What observing SMS found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The time of the run, epoch seconds.
    pub now: i64,
    /// The server catalog.
    pub catalog: Catalog,
    /// Every replication job.
    pub jobs: Vec<Job>,
    /// Every run of the jobs whose runs the plan needs, by job id (missing when reading failed).
    pub runs: BTreeMap<String, Vec<Run>>,
    /// Jobs whose runs could not be read, with the failure.
    pub unread_runs: Vec<(String, CallFailure)>,
}

/// The license type of the AMIs a job creates (`licenseType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum License {
    /// `licenseType` omitted: SMS picks the license that fits the OS.
    Auto,
    /// `AWS`: an AWS-provided license (Windows only).
    Aws,
    /// `BYOL`: bring your own license (the only choice for Linux).
    Byol,
}

impl License {
    /// How the configuration and reports write it: `auto`, `AWS` or `BYOL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Aws => "AWS",
            Self::Byol => "BYOL",
        }
    }
}

/// The `CreateReplicationJob` options that go from the configuration to the request unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOptions {
    /// `frequency`, in hours; absent for one-time jobs.
    pub frequency: Option<i32>,
    /// `runOnce`, as configured.
    pub run_once: Option<bool>,
    /// `licenseType`; [`License::Auto`] omits it.
    pub license: License,
    /// `roleName`.
    pub role_name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `numberOfRecentAmisToKeep` (0 keeps every AMI).
    pub amis_to_keep: Option<i32>,
    /// `encrypted`.
    pub encrypted: Option<bool>,
    /// `kmsKeyId`; only with `encrypted`, absent means the account's default EBS key.
    pub kms_key_id: Option<String>,
}

/// A `CreateReplicationJob` request, every option as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateJob {
    /// `serverId`.
    pub server_id: String,
    /// `seedReplicationTime`, epoch seconds.
    pub seed_time: i64,
    /// The configured options, passed as they are.
    pub options: JobOptions,
    /// What the plan could not check itself and SMS will (reported with the outcome).
    pub notes: Vec<String>,
}

impl CreateJob {
    /// The request in one line for reports.
    pub fn summary(&self) -> String {
        let options = &self.options;
        let mut parts = vec![format!("seed {}", fmt_time(self.seed_time))];
        match (options.run_once, options.frequency) {
            (Some(true), _) => parts.push("one-time".to_owned()),
            (_, Some(f)) => parts.push(format!("every {f} h")),
            _ => {}
        }
        parts.push(format!("license {}", options.license.as_str()));
        if let Some(role) = &options.role_name {
            parts.push(format!("role {role}"));
        }
        if let Some(n) = options.amis_to_keep {
            parts.push(format!("keep {n} AMIs"));
        }
        if options.encrypted == Some(true) {
            parts.push(format!(
                "encrypted with {}",
                options
                    .kms_key_id
                    .as_deref()
                    .unwrap_or("the default EBS key")
            ));
        }
        parts.extend(self.notes.iter().cloned());
        parts.join(", ")
    }
}

/// One setting as SMS has it (`from`, absent when SMS reports none) and as the configuration
/// wants it (`to`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change<T> {
    /// What SMS reports now.
    pub from: Option<T>,
    /// What the configuration asks for.
    pub to: T,
}

impl<T: Clone> Change<T> {
    /// The change from `have` to `want`; none when the configuration leaves the setting unset
    /// (not managed) or SMS has it already (`same`).
    fn wanted(have: Option<&T>, want: Option<&T>, same: impl Fn(&T, &T) -> bool) -> Option<Self> {
        let want = want?;
        if have.is_some_and(|have| same(have, want)) {
            return None;
        }
        Some(Self {
            from: have.cloned(),
            to: want.clone(),
        })
    }
}

/// The settings of an existing job that differ from its configuration: each one set is a member
/// `UpdateReplicationJob` sends; the others are left out of the request, so SMS keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobChanges {
    /// `frequency`, in hours: the job's schedule.
    pub frequency: Option<Change<i32>>,
    /// `licenseType`: `AWS` or `BYOL`.
    pub license: Option<Change<String>>,
    /// `roleName`.
    pub role_name: Option<Change<String>>,
    /// `description`.
    pub description: Option<Change<String>>,
    /// `numberOfRecentAmisToKeep`.
    pub amis_to_keep: Option<Change<i32>>,
    /// `encrypted`.
    pub encrypted: Option<Change<bool>>,
    /// `kmsKeyId`.
    pub kms_key_id: Option<Change<String>>,
}

impl JobChanges {
    /// What brings a job reporting `have` (one-time when `run_once`) to `want`. An option the
    /// configuration leaves unset (or `licenseType` auto) is not managed, never cleared.
    pub fn between(have: &JobSettings, run_once: bool, want: &JobOptions) -> Self {
        let license = match want.license {
            License::Auto => None,
            chosen => Some(chosen.as_str().to_owned()),
        };
        // `encrypted`: "When true, the replication job produces encrypted AMIs" (SMS API
        // reference), so a job reported without it is taken as unencrypted.
        let encrypted = Some(have.encrypted.unwrap_or(false));
        Self {
            // A one-time job has no schedule to change.
            frequency: Change::wanted(have.frequency.as_ref(), want.frequency.as_ref(), i32::eq)
                .filter(|_| !run_once),
            license: Change::wanted(have.license.as_ref(), license.as_ref(), String::eq),
            // "Names are not distinguished by case" (IAM API reference, CreateRole RoleName).
            role_name: Change::wanted(have.role_name.as_ref(), want.role_name.as_ref(), |a, b| {
                a.eq_ignore_ascii_case(b)
            }),
            description: Change::wanted(
                have.description.as_ref(),
                want.description.as_ref(),
                String::eq,
            ),
            amis_to_keep: Change::wanted(
                have.amis_to_keep.as_ref(),
                want.amis_to_keep.as_ref(),
                i32::eq,
            ),
            encrypted: Change::wanted(encrypted.as_ref(), want.encrypted.as_ref(), bool::eq).map(
                |c| Change {
                    from: have.encrypted,
                    ..c
                },
            ),
            // The configuration names a key only with `encrypted: true` (checked at cold start),
            // and a job made unencrypted keeps the key SMS recorded: a request cannot remove it.
            // SMS documents no normalisation of `kmsKeyId`, so it is compared as written.
            kms_key_id: Change::wanted(
                have.kms_key_id.as_ref(),
                want.kms_key_id.as_ref(),
                String::eq,
            ),
        }
    }

    /// True when the job already has every managed setting.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Takes the change of schedule out, to be deferred.
    pub fn take_schedule(&mut self) -> Option<Change<i32>> {
        self.frequency.take()
    }

    /// Each change in a phrase, in the request's member order, e.g. `frequency 12h → 6h`.
    pub fn details(&self) -> Vec<String> {
        fn line<T>(
            name: &str,
            change: &Option<Change<T>>,
            show: impl Fn(&T) -> String,
        ) -> Option<String> {
            change.as_ref().map(|c| {
                let from = c.from.as_ref().map_or_else(|| "none".to_owned(), &show);
                format!("{name} {from} → {}", show(&c.to))
            })
        }
        let hours = |h: &i32| format!("{h}h");
        let quoted = |s: &String| format!("{s:?}");
        [
            line("frequency", &self.frequency, hours),
            line("licenseType", &self.license, String::clone),
            line("roleName", &self.role_name, String::clone),
            line("description", &self.description, quoted),
            line(
                "numberOfRecentAmisToKeep",
                &self.amis_to_keep,
                i32::to_string,
            ),
            line("encrypted", &self.encrypted, bool::to_string),
            line("kmsKeyId", &self.kms_key_id, String::clone),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The changes in one line, e.g. `frequency 12h → 6h, licenseType AWS → BYOL`.
    pub fn summary(&self) -> String {
        self.details().join(", ")
    }
}

/// A change to make in SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create a replication job.
    Create(CreateJob),
    /// Start an on-demand replication run.
    StartRun {
        /// The job.
        job_id: String,
        /// The run's `description`.
        description: String,
        /// Why, for the report.
        reason: String,
    },
    /// Move the job's next run with `UpdateReplicationJob`, changing its settings in the same
    /// request.
    Reschedule {
        /// The job.
        job_id: String,
        /// `nextReplicationRunStartTime`, epoch seconds.
        next_start: i64,
        /// Why, for the report.
        reason: String,
        /// The settings to change with it (often none).
        changes: JobChanges,
    },
    /// Bring an existing job's settings to the configuration with `UpdateReplicationJob`.
    Update {
        /// The job.
        job_id: String,
        /// Only the settings that differ.
        changes: JobChanges,
    },
}

impl dr_core::function::Action for Action {
    fn planned(&self) -> TargetOutcome {
        match self {
            Self::Create(job) => TargetOutcome::planned(&job.server_id, CREATE_REPLICATION_JOB)
                .with_detail(job.summary()),
            Self::StartRun { job_id, reason, .. } => {
                TargetOutcome::planned(job_id, START_ON_DEMAND_RUN).with_detail(reason)
            }
            Self::Reschedule {
                job_id,
                next_start,
                reason,
                changes,
            } => TargetOutcome::planned(job_id, UPDATE_REPLICATION_JOB).with_detail(rescheduled(
                *next_start,
                reason,
                changes,
            )),
            Self::Update { job_id, changes } => {
                TargetOutcome::planned(job_id, UPDATE_REPLICATION_JOB)
                    .with_detail(changes.summary())
            }
        }
    }
}

/// The detail of a rescheduled run, planned or done, with the settings changed along.
pub fn rescheduled(next_start: i64, reason: &str, changes: &JobChanges) -> String {
    let at = fmt_time(next_start);
    if changes.is_empty() {
        format!("next run at {at}; {reason}")
    } else {
        format!("next run at {at}, {}; {reason}", changes.summary())
    }
}

/// Something worth reporting about a job that needs no call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// The server already has a live job: creating one is not needed.
    Exists,
    /// A one-time job finished.
    Completed,
    /// The job was deleted.
    Deleted,
    /// Runs are failing; SMS has not paused or failed the job yet.
    Failing,
    /// SMS gave up on the job.
    Failed,
    /// A one-time job failed; such jobs are never paused or resumed.
    OneTimeFailed,
    /// Too many consecutive failures: resuming stopped, a person must act.
    Escalate,
}

/// A report entry for a job, without a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The server or job it is about.
    pub target: String,
    /// What it says.
    pub kind: NoticeKind,
    /// The job's state.
    pub state: JobState,
    /// The detail: the job, the root cause, the AMI.
    pub detail: String,
}

impl Notice {
    /// The notice as a report outcome; failed jobs and escalations count as failures so the
    /// report's status and `failed` attribute draw attention to them.
    pub fn outcome(&self) -> TargetOutcome {
        let (action, result) = match self.kind {
            NoticeKind::Exists => (CREATE_REPLICATION_JOB, OutcomeResult::Unchanged),
            NoticeKind::Completed | NoticeKind::Deleted | NoticeKind::Failing => {
                (NOTIFY, OutcomeResult::Unchanged)
            }
            NoticeKind::Failed | NoticeKind::OneTimeFailed => (NOTIFY, OutcomeResult::Failed),
            NoticeKind::Escalate => (ESCALATE, OutcomeResult::Failed),
        };
        let mut outcome = TargetOutcome::unchanged(&self.target, action, &self.detail);
        outcome.result = result;
        outcome.state = Some(self.state.as_str().to_owned());
        outcome
    }
}

#[cfg(test)]
mod tests;
