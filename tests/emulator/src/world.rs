//! The emulated world: every service's state, the emulated clock, call counters and faults.

use crate::faults::Faults;
use crate::fixture::Fixture;
use crate::protocol::{ApiError, Service};
use crate::util::{iso, parse_iso};
use crate::{backup, drs, sms, sns};
use axum::body::Bytes;
use axum::http::Method;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::collections::BTreeMap;
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
    /// Time spent serving each operation's calls, injected latency excluded: what a benchmark's
    /// bound must add to the latency it injects.
    pub service_time: BTreeMap<String, Duration>,
    /// Active fault rules.
    pub faults: Faults,
    /// DRS state.
    pub drs: drs::Drs,
    /// SMS state.
    pub sms: sms::Sms,
    /// Backup state.
    pub backup: backup::Backup,
    /// SNS state.
    pub sns: sns::Sns,
}

impl World {
    /// A world in the fixture's initial state.
    pub fn new(fixture: Fixture, pace: Option<Duration>) -> Self {
        let clock = Clock::new(pace, fixture.now.as_deref().and_then(parse_iso));
        let now = clock.now();
        let mut rng = fastrand::Rng::with_seed(fixture.seed);
        Self {
            drs: drs::Drs::new(&fixture, now),
            sms: sms::Sms::new(&fixture),
            backup: backup::Backup::new(&fixture, now, &mut rng),
            sns: sns::Sns::new(&fixture),
            fixture,
            clock,
            rng,
            calls: BTreeMap::new(),
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

    /// Counts a call to `operation`.
    pub fn count_call(&mut self, operation: &str) {
        *self.calls.entry(operation.to_owned()).or_default() += 1;
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

    /// One step of every service's state machines; whether anything changed.
    fn step(&mut self) -> bool {
        self.clock.steps += 1;
        let now = self.clock.now();
        let drs = self.drs.step();
        let sms = self.sms.step(now, &mut self.rng);
        let backup = self.backup.step(now, &mut self.rng);
        drs || sms || backup
    }

    /// The whole state, for `GET /_emulator/state`.
    pub fn snapshot(&self) -> Value {
        let now = self.now();
        json!({
            "accountId": self.fixture.account_id,
            "region": self.fixture.region,
            "now": iso(now),
            "nowEpochSeconds": now,
            "steps": self.clock.steps,
            "paceMs": self.clock.pace.map(|p| p.as_millis()),
            "calls": self.calls,
            "faults": self.faults.rules(),
            "drs": self.drs.snapshot(&self.fixture, now),
            "sms": self.sms.snapshot(now),
            "backup": self.backup.snapshot(),
            "sns": self.sns.snapshot(),
        })
    }
}
