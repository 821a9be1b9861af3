//! A local, stateful emulator of the AWS DRS, MGN, SMS, Backup, SNS, STS and S3 APIs.
//!
//! All seven services answer on one port, in their own wire protocols, so the real AWS SDKs and
//! the AWS CLI work against it with `AWS_ENDPOINT_URL=http://127.0.0.1:PORT` and fake
//! credentials. The service is taken from the SigV4 credential scope; signatures are not checked.
//! A request signed for a service the emulator does not serve gets that protocol's "unknown
//! operation" error instead of being routed by its path, and ARNs are built in the partition of
//! their region (see the README for the sources of every rule).
//!
//! S3 serves path-style `PutObject` only, in buckets the fixture or the admin API creates (one
//! store, as bucket names are global).
//!
//! DRS, MGN, SMS and Backup state is partitioned by account and region: a request acts in the account
//! of its access key (STS `AssumeRole` hands out keys of the role's account; any other key is the
//! fixture's home account) and the region of its SigV4 scope. The helpers without `_in` act on
//! the home account and region.
//!
//! State starts from a [`Fixture`] and moves in steps: one step every `pace` of wall-clock time
//! (applied when a request arrives), or on demand with [`Emulator::advance`] or
//! `POST /_emulator/advance`. Admin endpoints under `/_emulator/` show the state, count calls,
//! inject faults and reset.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use dr_emulator::{Config, Emulator, Fixture};
//! let emulator = Emulator::start(Config::new(Fixture::demo())).await?;
//! println!("point the SDK at {}", emulator.endpoint_url());
//! emulator.advance(3);
//! # Ok(()) }
//! ```

pub mod backup;
pub mod drs;
pub mod faults;
pub mod fixture;
pub mod mgn;
pub mod protocol;
pub mod s3;
pub mod server;
pub mod sms;
pub mod sns;
pub mod sts;
pub mod util;
pub mod world;

pub use faults::{FaultRule, FaultScope};
pub use fixture::{Fixture, FixtureError, S3Bucket, REPORTS_TOPIC};

use serde_json::Value;
use server::{lock, Shared};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use world::World;

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct Config {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The initial state.
    pub fixture: Fixture,
    /// Wall-clock time per step; `None` moves only on demand (deterministic tests).
    pub pace: Option<Duration>,
}

impl Config {
    /// An ephemeral port, the given fixture, and steps only on demand.
    pub fn new(fixture: Fixture) -> Self {
        Self {
            port: 0,
            fixture,
            pace: None,
        }
    }

    /// The same, with one step every `pace`.
    pub fn with_pace(mut self, pace: Duration) -> Self {
        self.pace = Some(pace);
        self
    }

    /// The same, on a fixed port.
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
}

/// A running emulator; dropping it stops accepting connections.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    shared: Shared,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Emulator {
    /// Binds 127.0.0.1 and starts serving on the current tokio runtime.
    pub async fn start(config: Config) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let shared: Shared = Arc::new(Mutex::new(World::new(config.fixture, config.pace)));
        let (tx, rx) = oneshot::channel();
        tokio::spawn(server::serve(listener, server::router(shared.clone()), rx));
        Ok(Self {
            addr,
            shared,
            shutdown: Some(tx),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the value for `AWS_ENDPOINT_URL`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Applies `steps` steps now.
    pub fn advance(&self, steps: u64) {
        lock(&self.shared).advance(steps, 0);
    }

    /// Moves the emulated clock `seconds` forward, then applies `steps` steps.
    pub fn advance_time(&self, seconds: u64, steps: u64) {
        lock(&self.shared).advance(steps, seconds);
    }

    /// The whole state, as `GET /_emulator/state` shows it.
    pub fn state(&self) -> Value {
        let mut world = lock(&self.shared);
        world.catch_up();
        world.snapshot()
    }

    /// How many calls `operation` received (including those answered with an injected fault);
    /// MGN operations are named `mgn:<Operation>`, e.g. `mgn:StartTest`, and S3 ones
    /// `s3:<Operation>`, e.g. `s3:PutObject`.
    pub fn calls(&self, operation: &str) -> u64 {
        lock(&self.shared)
            .calls
            .get(operation)
            .copied()
            .unwrap_or(0)
    }

    /// How many calls `operation` received from requests made in `account`.
    pub fn calls_in(&self, account: &str, operation: &str) -> u64 {
        lock(&self.shared)
            .calls_by_account
            .get(account)
            .and_then(|calls| calls.get(operation))
            .copied()
            .unwrap_or(0)
    }

    /// The state of `account` in `region`, as `partitions` in [`Self::state`] shows it (the home
    /// partition too); `None` when neither the fixture nor a request made it yet.
    pub fn state_in(&self, account: &str, region: &str) -> Option<Value> {
        let mut world = lock(&self.shared);
        world.catch_up();
        world.partition_snapshot(&(account.to_owned(), region.to_owned()))
    }

    /// Time the emulator spent serving `operation` (all calls, injected latency excluded).
    pub fn service_time(&self, operation: &str) -> Duration {
        lock(&self.shared)
            .service_time
            .get(operation)
            .copied()
            .unwrap_or_default()
    }

    /// Every message published to SNS so far, oldest first.
    pub fn sns_messages(&self) -> Vec<sns::Message> {
        lock(&self.shared).sns.messages().to_vec()
    }

    /// The S3 objects of `bucket` whose key starts with `prefix`, in key order, with their
    /// bodies; `None` when there is no such bucket.
    pub fn s3_objects(&self, bucket: &str, prefix: &str) -> Option<Vec<s3::Object>> {
        lock(&self.shared).s3.objects(bucket, prefix)
    }

    /// Creates an S3 bucket (owner and Region default to the home ones); refused when the name
    /// breaks the naming rules or is taken.
    pub fn create_s3_bucket(&self, bucket: &S3Bucket) -> Result<(), String> {
        let mut world = lock(&self.shared);
        let (account, region) = world.home();
        world.s3.create_bucket(bucket, &account, &region)
    }

    /// Adds or replaces a fault rule for every account and region.
    pub fn set_fault(&self, rule: FaultRule) -> Result<(), faults::FaultRuleError> {
        self.set_fault_in(None, None, rule)
    }

    /// Adds or replaces a fault rule for the calls made in `account` and/or `region` (`None`:
    /// any).
    pub fn set_fault_in(
        &self,
        account: Option<&str>,
        region: Option<&str>,
        rule: FaultRule,
    ) -> Result<(), faults::FaultRuleError> {
        rule.validate()?;
        lock(&self.shared)
            .faults
            .set(rule, FaultScope::new(account, region));
        Ok(())
    }

    /// Makes `AssumeRole` of a role refuse (`denied`) or accept the caller again.
    pub fn set_role_denied(&self, role_arn: &str, denied: bool) -> Result<(), String> {
        lock(&self.shared).sts.set_denied(role_arn, denied)
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        lock(&self.shared).faults.clear();
    }

    /// How many faults the rules injected since the start or the last reset, by kind (see
    /// [`faults::Faults::injected`]).
    pub fn faults_injected(&self) -> std::collections::BTreeMap<String, u64> {
        lock(&self.shared).faults.injected().clone()
    }

    /// Back to the fixture's initial state.
    pub fn reset(&self) {
        lock(&self.shared).reset();
    }

    /// Lists a scheduled run at `at` (epoch seconds) as the next run of an SMS replication job,
    /// without changing the job's state (see [`sms::Sms::schedule_run`]); returns the run id.
    pub fn schedule_sms_run(&self, replication_job_id: &str, at: i64) -> Result<String, String> {
        let (account, region) = self.home();
        self.schedule_sms_run_in(&account, &region, replication_job_id, at)
    }

    /// The same for a job of `account` in `region`.
    pub fn schedule_sms_run_in(
        &self,
        account: &str,
        region: &str,
        replication_job_id: &str,
        at: i64,
    ) -> Result<String, String> {
        let mut world = lock(&self.shared);
        world.catch_up();
        let scope = world.scope(&(account.to_owned(), region.to_owned()), false);
        let now = scope.now();
        scope
            .sms
            .schedule_run(replication_job_id, at, now, scope.rng)
    }

    /// Forces a DRS source server into a data replication state, e.g. `STALLED`.
    pub fn set_drs_state(&self, source_server_id: &str, state: &str) -> Result<(), String> {
        let (account, region) = self.home();
        self.set_drs_state_in(&account, &region, source_server_id, state)
    }

    /// The same for a server of `account` in `region`.
    pub fn set_drs_state_in(
        &self,
        account: &str,
        region: &str,
        source_server_id: &str,
        state: &str,
    ) -> Result<(), String> {
        let mut world = lock(&self.shared);
        world.catch_up();
        world
            .partition_mut(&(account.to_owned(), region.to_owned()))
            .drs
            .set_state(source_server_id, state)
    }

    /// Sets a DRS source server's `dataReplicationInfo.lagDuration`, an ISO 8601 duration such
    /// as `PT20M` (shown while the server replicates).
    pub fn set_drs_lag(&self, source_server_id: &str, lag: &str) -> Result<(), String> {
        let (account, region) = self.home();
        self.set_drs_lag_in(&account, &region, source_server_id, lag)
    }

    /// The same for a server of `account` in `region`.
    pub fn set_drs_lag_in(
        &self,
        account: &str,
        region: &str,
        source_server_id: &str,
        lag: &str,
    ) -> Result<(), String> {
        let mut world = lock(&self.shared);
        world.catch_up();
        world
            .partition_mut(&(account.to_owned(), region.to_owned()))
            .drs
            .set_lag(source_server_id, lag)
    }

    /// Makes the next DRS launch (`StartRecovery`) of a source server FAILED.
    pub fn fail_next_drs_launch(&self, source_server_id: &str) -> Result<(), String> {
        let (account, region) = self.home();
        self.fail_next_drs_launch_in(&account, &region, source_server_id)
    }

    /// The same for a server of `account` in `region`.
    pub fn fail_next_drs_launch_in(
        &self,
        account: &str,
        region: &str,
        source_server_id: &str,
    ) -> Result<(), String> {
        let mut world = lock(&self.shared);
        world.catch_up();
        world
            .partition_mut(&(account.to_owned(), region.to_owned()))
            .drs
            .fail_next_launch(source_server_id)
    }

    /// Changes an MGN source server's data replication state (with its error), lag and/or
    /// lifecycle state, e.g. [`mgn::StateChange::stalled`]; nothing changes when any part is wrong.
    pub fn set_mgn_state(
        &self,
        source_server_id: &str,
        change: &mgn::StateChange,
    ) -> Result<(), String> {
        let (account, region) = self.home();
        self.set_mgn_state_in(&account, &region, source_server_id, change)
    }

    /// The same for a server of `account` in `region`.
    pub fn set_mgn_state_in(
        &self,
        account: &str,
        region: &str,
        source_server_id: &str,
        change: &mgn::StateChange,
    ) -> Result<(), String> {
        let mut world = lock(&self.shared);
        world.catch_up();
        world
            .partition_mut(&(account.to_owned(), region.to_owned()))
            .mgn
            .change_state(source_server_id, change)
    }

    /// Makes the next MGN test launch (`StartTest`) of a source server FAILED, with `raw_error`
    /// (or a default one) in its job's LAUNCH_FAILED log entry.
    pub fn fail_next_mgn_launch(
        &self,
        source_server_id: &str,
        raw_error: Option<&str>,
    ) -> Result<(), String> {
        let (account, region) = self.home();
        self.fail_next_mgn_launch_in(&account, &region, source_server_id, raw_error)
    }

    /// The same for a server of `account` in `region`.
    pub fn fail_next_mgn_launch_in(
        &self,
        account: &str,
        region: &str,
        source_server_id: &str,
        raw_error: Option<&str>,
    ) -> Result<(), String> {
        let mut world = lock(&self.shared);
        world.catch_up();
        world
            .partition_mut(&(account.to_owned(), region.to_owned()))
            .mgn
            .fail_next_launch(source_server_id, raw_error)
    }

    /// The stored replication configuration of an MGN source server, as
    /// `GetReplicationConfiguration` answers it.
    pub fn mgn_replication_configuration(&self, source_server_id: &str) -> Result<Value, String> {
        let (account, region) = self.home();
        self.mgn_replication_configuration_in(&account, &region, source_server_id)
    }

    /// The same for a server of `account` in `region`.
    pub fn mgn_replication_configuration_in(
        &self,
        account: &str,
        region: &str,
        source_server_id: &str,
    ) -> Result<Value, String> {
        let mut world = lock(&self.shared);
        world.catch_up();
        world
            .partition_mut(&(account.to_owned(), region.to_owned()))
            .mgn
            .replication_configuration(source_server_id)
    }

    /// Adds a recovery point to vault `vault` of `account` in `region`, as a backup job
    /// completing would; returns its ARN.
    pub fn add_recovery_point_in(
        &self,
        account: &str,
        region: &str,
        vault: &str,
        spec: &fixture::RecoveryPointSpec,
    ) -> Result<String, String> {
        let mut world = lock(&self.shared);
        world.catch_up();
        let scope = world.scope(&(account.to_owned(), region.to_owned()), false);
        let now = scope.now();
        scope.backup.add_recovery_point(vault, spec, now, scope.rng)
    }

    /// The home account and region.
    fn home(&self) -> (String, String) {
        lock(&self.shared).home()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            // The server task may already be gone with its runtime; nothing to do then.
            let _ = tx.send(());
        }
    }
}
