//! Core shared by every dr-automation function.
//!
//! Each function follows the same shape: parse the event into a [`trigger::Trigger`], observe AWS
//! read-only, plan with a pure function, apply with [`fanout`], and publish a [`report::RunReport`].

pub mod arn;
pub mod backup;
pub mod clients;
pub mod clock;
pub mod config;
pub mod drs;
pub mod enums;
pub mod error;
pub mod fanout;
pub mod fleet;
pub mod function;
pub mod history;
pub mod ids;
pub mod invocation;
pub mod metrics;
pub mod mgn;
pub mod observe;
pub mod publish;
pub mod report;
pub mod session;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod trigger;
