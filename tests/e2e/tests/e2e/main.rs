//! The end-to-end tests, one binary with a module per area: the real function binaries, each
//! polling a local Lambda Runtime API, against the emulator. They need the debug binaries
//! (`cargo build --workspace --bins`, which `make test` runs first).

mod aws_samples;
mod backup;
mod cold_start;
mod coverage;
mod demo;
mod drs;
mod drs_recovery;
mod evidence;
mod faults;
mod fleet;
mod hostile;
mod mgn;
mod redelivery;
mod sms;

/// Every operation of the emulated services that changes state.
const MUTATING: [&str; 13] = [
    "StartReplication",
    "StopReplication",
    "CreateReplicationJob",
    "UpdateReplicationJob",
    "DeleteReplicationJob",
    "StartOnDemandReplicationRun",
    "StartCopyJob",
    "DeleteRecoveryPoint",
    "UpdateRecoveryPointLifecycle",
    "StartRecovery",
    "TerminateRecoveryInstances",
    "TagResource",
    "StartRecoveryPlanExecution",
];
