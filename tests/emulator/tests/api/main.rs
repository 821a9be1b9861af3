//! Tests of the emulator through the real AWS SDK clients and raw HTTP.

mod backup;
mod common;
mod drs;
mod fleet;
mod mgn;
mod plans;
mod recovery;
mod s3;
mod sms;
mod sns;
mod tags;
mod wire;
