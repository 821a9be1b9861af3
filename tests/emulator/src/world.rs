//! The emulated world: every service's state, the emulated clock, call counters and faults.
//!
//! DRS, MGN, SMS and Backup state is partitioned by (account, region): the fixture's top level is the
//! home partition, `partitions` adds others, and a request is served the partition of its
//! account (from its access key) and region (from its SigV4 scope). SNS is one store, since
//! topics are named by ARN, S3 is one store too, since bucket names are global, and STS is
//! global.

use crate::faults::Faults;
use crate::fixture::{BackupFixture, DrsFixture, Fixture, MgnFixture, SmsFixture};
use crate::protocol::{ApiError, Service};
use crate::util::{iso, parse_iso};
use crate::{backup, drs, mgn, s3, sms, sns, sts};
use axum::body::Bytes;
use axum::http::Method;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// One AWS request, as the service emulations see it.
#[derive(Debug, Clone)]
pub struct AwsRequest {
    /// HTTP method.
    pub method: Method,
    /// The raw (still percent-encoded) path.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// The body.
    pub body: Bytes,
    /// The region from the SigV4 credential scope, when signed.
    pub region: Option<String>,
}

/// The (account, region) of a partition.
pub type PartitionKey = (String, String);

/// The DRS, MGN, SMS and Backup state of one account in one region.
#[derive(Debug)]
pub struct Partition {
    /// The account.
    pub account_id: String,
    /// The region.
    pub region: String,
    /// DRS state.
    pub drs: drs::Drs,
    /// SMS state.
    pub sms: sms::Sms,
    /// MGN state.
    pub mgn: mgn::Mgn,
    /// Backup state.
    pub backup: backup::Backup,
}

/// The DRS, SMS and MGN sections a partition starts from.
struct Sections<'a> {
    drs: &'a DrsFixture,
    sms: &'a SmsFixture,
    mgn: &'a MgnFixture,
}

impl Partition {
    /// A partition with the given DRS, SMS and MGN state and no Backup vaults yet.
    fn new(account: &str, region: &str, sections: &Sections<'_>, now: i64) -> Self {
        Self {
            account_id: account.to_owned(),
            region: region.to_owned(),
            drs: drs::Drs::new(sections.drs, now),
            sms: sms::Sms::new(sections.sms),
            mgn: mgn::Mgn::new(sections.mgn, now),
            backup: backup::Backup::new(account, region),
        }
    }

    /// An empty partition, what an account sees in a region the fixture says nothing about.
    fn empty(key: &PartitionKey, now: i64) -> Self {
        let sections = Sections {
            drs: &DrsFixture::default(),
            sms: &SmsFixture::default(),
            mgn: &MgnFixture::default(),
        };
        Self::new(&key.0, &key.1, &sections, now)
    }

    /// The state dump of the partition.
    fn snapshot(&self, mirrors: &HashMap<String, drs::Replication>, now: i64) -> Value {
        json!({
            "accountId": self.account_id,
            "region": self.region,
            "drs": self.drs.snapshot(&self.account_id, &self.region, mirrors, now),
            "sms": self.sms.snapshot(now),
            "mgn": self.mgn.snapshot(&self.account_id, &self.region, now),
            "backup": self.backup.snapshot(),
        })
    }
}

/// What one request acts on: its partition, the shared random source and the emulated time.
#[derive(Debug)]
pub struct Scope<'a> {
    /// The partition's account.
    pub account_id: &'a str,
    /// The partition's region.
    pub region: &'a str,
    /// DRS state of the partition.
    pub drs: &'a mut drs::Drs,
    /// SMS state of the partition.
    pub sms: &'a mut sms::Sms,
    /// MGN state of the partition.
    pub mgn: &'a mut mgn::Mgn,
    /// Backup state of the partition.
    pub backup: &'a mut backup::Backup,
    /// The random source for ids.
    pub rng: &'a mut fastrand::Rng,
    /// The replication state of the staging servers this partition's extended servers name, by
    /// staging server ARN (filled for DRS requests only).
    pub drs_mirrors: HashMap<String, drs::Replication>,
    now: i64,
}

impl Scope<'_> {
    /// The emulated time, epoch seconds.
    pub fn now(&self) -> i64 {
        self.now
    }
}

impl AwsRequest {
    /// The decoded query parameters.
    pub fn query_pairs(&self) -> BTreeMap<String, String> {
        form_urlencoded::parse(self.query.as_bytes())
            .into_owned()
            .collect()
    }

    /// The JSON body as `T`; an empty body counts as `{}` because that is what "no input" means.
    pub fn json<T: DeserializeOwned>(&self, service: Service) -> Result<T, ApiError> {
        let body: &[u8] = if self.body.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &self.body
        };
        serde_json::from_slice(body).map_err(|e| ApiError::malformed(service, e))
    }
}

/// The emulated clock: wall-clock time plus an offset, and a step counter that advances one step
/// every `pace` of wall-clock time (lazily, when a request arrives) or on demand.
#[derive(Debug, Clone)]
struct Clock {
    pace: Option<Duration>,
    origin: Instant,
    wall_steps_done: u64,
    offset_secs: i64,
    steps: u64,
}

impl Clock {
    fn new(pace: Option<Duration>, start: Option<i64>) -> Self {
        let offset_secs = start.map_or(0, |s| s - real_now());
        Self {
            pace,
            origin: Instant::now(),
            wall_steps_done: 0,
            offset_secs,
            steps: 0,
        }
    }

    fn now(&self) -> i64 {
        real_now() + self.offset_secs
    }

    /// Wall-clock steps due since the start and not yet applied.
    fn wall_steps_due(&self) -> u64 {
        let Some(pace) = self.pace.filter(|p| !p.is_zero()) else {
            return 0;
        };
        let due = self.origin.elapsed().as_nanos() / pace.as_nanos();
        u64::try_from(due)
            .unwrap_or(u64::MAX)
            .saturating_sub(self.wall_steps_done)
    }
}

fn real_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Everything the emulator knows.
#[derive(Debug)]
pub struct World {
    fixture: Fixture,
    clock: Clock,
    /// The random source for ids and faults, seeded from the fixture.
    pub rng: fastrand::Rng,
    /// Calls received per operation name.
    pub calls: BTreeMap<String, u64>,
    /// Calls received per account, then per operation name.
    pub calls_by_account: BTreeMap<String, BTreeMap<String, u64>>,
    /// Time spent serving each operation's calls, injected latency excluded: what a benchmark's
    /// bound must add to the latency it injects.
    pub service_time: BTreeMap<String, Duration>,
    /// Active fault rules.
    pub faults: Faults,
    /// DRS, MGN, SMS and Backup state by (account, region).
    partitions: BTreeMap<PartitionKey, Partition>,
    /// SNS state.
    pub sns: sns::Sns,
    /// STS state.
    pub sts: sts::Sts,
    /// S3 state.
    pub s3: s3::S3,
}

impl World {
    /// A world in the fixture's initial state.
    pub fn new(fixture: Fixture, pace: Option<Duration>) -> Self {
        let clock = Clock::new(pace, fixture.now.as_deref().and_then(parse_iso));
        let now = clock.now();
        let mut rng = fastrand::Rng::with_seed(fixture.seed);
        let home: PartitionKey = (fixture.account_id.clone(), fixture.region.clone());
        let mut partitions = BTreeMap::new();
        partitions.insert(
            home.clone(),
            Partition::new(
                &home.0,
                &home.1,
                &Sections {
                    drs: &fixture.drs,
                    sms: &fixture.sms,
                    mgn: &fixture.mgn,
                },
                now,
            ),
        );
        for p in &fixture.partitions {
            partitions.insert(
                (p.account_id.clone(), p.region.clone()),
                Partition::new(
                    &p.account_id,
                    &p.region,
                    &Sections {
                        drs: &p.drs,
                        sms: &p.sms,
                        mgn: &p.mgn,
                    },
                    now,
                ),
            );
        }
        // Vaults go to the partition of their own account and region (a home vault "in
        // us-west-2" is that region's), in fixture order so the ids drawn stay the same.
        let sections = std::iter::once((home.clone(), &fixture.backup)).chain(
            fixture
                .partitions
                .iter()
                .map(|p| ((p.account_id.clone(), p.region.clone()), &p.backup)),
        );
        for (key, section) in sections {
            add_backup(&mut partitions, &key, section, now, &mut rng);
        }
        Self {
            sns: sns::Sns::new(&fixture),
            sts: sts::Sts::new(&fixture),
            s3: s3::S3::new(&fixture.s3.buckets, &home.0, &home.1),
            partitions,
            fixture,
            clock,
            rng,
            calls: BTreeMap::new(),
            calls_by_account: BTreeMap::new(),
            service_time: BTreeMap::new(),
            faults: Faults::default(),
        }
    }

    /// Back to the fixture's initial state: services, clock, counters and faults.
    pub fn reset(&mut self) {
        *self = Self::new(self.fixture.clone(), self.clock.pace);
    }

    /// Replaces the fixture and resets to it.
    pub fn load(&mut self, fixture: Fixture) {
        *self = Self::new(fixture, self.clock.pace);
    }

    /// The fixture in use.
    pub fn fixture(&self) -> &Fixture {
        &self.fixture
    }

    /// The emulated time, epoch seconds.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The home partition's key: the fixture's account and region.
    pub fn home(&self) -> PartitionKey {
        (self.fixture.account_id.clone(), self.fixture.region.clone())
    }

    /// The key of `account` (default: home) in `region` (default: the fixture's).
    pub fn key(&self, account: Option<&str>, region: Option<&str>) -> PartitionKey {
        (
            account.unwrap_or(&self.fixture.account_id).to_owned(),
            region.unwrap_or(&self.fixture.region).to_owned(),
        )
    }

    /// The partition of `key`, created empty on first use.
    pub fn partition_mut(&mut self, key: &PartitionKey) -> &mut Partition {
        let now = self.now();
        self.partitions
            .entry(key.clone())
            .or_insert_with(|| Partition::empty(key, now))
    }

    /// The partition of `key`, if it exists yet.
    pub fn partition(&self, key: &PartitionKey) -> Option<&Partition> {
        self.partitions.get(key)
    }

    /// What a request in partition `key` acts on; `drs` fills in the replication state of the
    /// staging servers that its extended servers name.
    pub fn scope(&mut self, key: &PartitionKey, drs: bool) -> Scope<'_> {
        let now = self.now();
        let drs_mirrors = if drs {
            self.drs_mirrors(key)
        } else {
            HashMap::new()
        };
        let Self {
            partitions, rng, ..
        } = self;
        let Partition {
            account_id,
            region,
            drs,
            sms,
            mgn,
            backup,
        } = partitions
            .entry(key.clone())
            .or_insert_with(|| Partition::empty(key, now));
        Scope {
            account_id,
            region,
            drs,
            sms,
            mgn,
            backup,
            rng,
            drs_mirrors,
            now,
        }
    }

    /// The replication state of every staging server that an extended server of partition
    /// `key` names and another partition holds, by its ARN.
    fn drs_mirrors(&self, key: &PartitionKey) -> HashMap<String, drs::Replication> {
        let Some(part) = self.partitions.get(key) else {
            return HashMap::new();
        };
        part.drs
            .staging_servers()
            .filter_map(|arn| {
                let (region, account, id) = drs::parse_server_arn(arn)?;
                let staging = self.partitions.get(&(account, region))?;
                Some((arn.to_owned(), staging.drs.replication(&id)?))
            })
            .collect()
    }

    /// Counts a call to `operation` made in `account`.
    pub fn count_call(&mut self, operation: &str, account: &str) {
        *self.calls.entry(operation.to_owned()).or_default() += 1;
        *self
            .calls_by_account
            .entry(account.to_owned())
            .or_default()
            .entry(operation.to_owned())
            .or_default() += 1;
    }

    /// Applies the steps wall-clock time has made due.
    pub fn catch_up(&mut self) {
        let mut due = self.clock.wall_steps_due();
        while due > 0 {
            due -= 1;
            self.clock.wall_steps_done += 1;
            if !self.step() {
                // Nothing moved, and the clock does not move within this call either, so the
                // remaining due steps would change nothing: skip them in one go.
                self.clock.wall_steps_done += due;
                self.clock.steps += due;
                due = 0;
            }
        }
    }

    /// Moves the clock `seconds` forward, then applies `steps` steps.
    pub fn advance(&mut self, steps: u64, seconds: u64) {
        self.catch_up();
        self.clock.offset_secs = self
            .clock
            .offset_secs
            .saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX));
        for _ in 0..steps {
            self.step();
        }
    }

    /// One step of every partition's state machines, then the completed copies delivered to
    /// their destination vaults wherever they are; whether anything changed.
    fn step(&mut self) -> bool {
        self.clock.steps += 1;
        let now = self.clock.now();
        let mut changed = false;
        let mut deliveries = Vec::new();
        for part in self.partitions.values_mut() {
            changed |= part.drs.step(now);
            changed |= part.sms.step(now, &mut self.rng);
            changed |= part.mgn.step(now, &mut self.rng);
            changed |= part.backup.step(now, &mut self.rng);
            deliveries.extend(part.backup.take_outbound());
        }
        for delivery in deliveries {
            if let Some(part) = self.partitions.get_mut(&delivery.vault_key()) {
                part.backup.deliver(delivery);
            }
        }
        changed
    }

    /// The whole state, for `GET /_emulator/state`: the top-level `drs`, `sms` and `backup` are
    /// the home partition's (with every partition's vaults in `backup.vaults`, where copies
    /// land), and `partitions` lists the others.
    pub fn snapshot(&self) -> Value {
        let now = self.now();
        let home = self.home();
        let mut top = self
            .partitions
            .get(&home)
            .map(|p| p.snapshot(&self.drs_mirrors(&home), now))
            .unwrap_or_else(|| json!({}));
        top["backup"]["vaults"] = json!(self
            .partitions
            .values()
            .flat_map(|p| p.backup.vaults_snapshot())
            .collect::<Vec<_>>());
        let others: Vec<Value> = self
            .partitions
            .iter()
            .filter(|(key, _)| **key != home)
            .map(|(key, p)| p.snapshot(&self.drs_mirrors(key), now))
            .collect();
        json!({
            "accountId": self.fixture.account_id,
            "region": self.fixture.region,
            "now": iso(now),
            "nowEpochSeconds": now,
            "steps": self.clock.steps,
            "paceMs": self.clock.pace.map(|p| p.as_millis()),
            "calls": self.calls,
            "callsByAccount": self.calls_by_account,
            "faults": self.faults.rules(),
            "drs": top["drs"],
            "sms": top["sms"],
            "mgn": top["mgn"],
            "backup": top["backup"],
            "partitions": others,
            "sns": self.sns.snapshot(),
            "sts": self.sts.snapshot(),
            "s3": self.s3.snapshot(),
        })
    }

    /// One partition's state, as `partitions` in the state dump shows it; `None` when no
    /// request or fixture made it yet.
    pub fn partition_snapshot(&self, key: &PartitionKey) -> Option<Value> {
        let part = self.partitions.get(key)?;
        Some(part.snapshot(&self.drs_mirrors(key), self.now()))
    }
}

/// Adds a fixture's Backup section: each vault to the partition of its account and region
/// (default: the section's), then the backup jobs to the section's partition.
fn add_backup(
    partitions: &mut BTreeMap<PartitionKey, Partition>,
    key: &PartitionKey,
    section: &BackupFixture,
    now: i64,
    rng: &mut fastrand::Rng,
) {
    for vault in &section.vaults {
        let vault_key = (
            vault.account_id.clone().unwrap_or_else(|| key.0.clone()),
            vault.region.clone().unwrap_or_else(|| key.1.clone()),
        );
        partitions
            .entry(vault_key.clone())
            .or_insert_with(|| Partition::empty(&vault_key, now))
            .backup
            .add_vault(&vault.name, &vault.recovery_points, now, rng);
    }
    if let Some(part) = partitions.get_mut(key) {
        for job in &section.backup_jobs {
            part.backup.add_backup_job(job, now, rng);
        }
    }
}
