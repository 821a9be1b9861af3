//! The states of an AWS Application Migration Service (MGN) source server, as mgn-replication
//! acts on them and dr-coverage reports them.

crate::aws_enum! {
    /// `dataReplicationInfo.dataReplicationState` [MGN API reference: DataReplicationInfo].
    ReplicationState {
        /// Replication is stopped (or was never started).
        Stopped = "STOPPED",
        /// The replication initiation sequence is running.
        Initiating = "INITIATING",
        /// The first full copy of the disks.
        InitialSync = "INITIAL_SYNC",
        /// Catching up with writes.
        Backlog = "BACKLOG",
        /// Taking a snapshot.
        CreatingSnapshot = "CREATING_SNAPSHOT",
        /// Replicating continuously.
        Continuous = "CONTINUOUS",
        /// Paused.
        Paused = "PAUSED",
        /// Rescanning the disks.
        Rescan = "RESCAN",
        /// Stalled: `dataReplicationError` says why.
        Stalled = "STALLED",
        /// Disconnected from the service (`DisconnectFromService`, or a finalized cutover).
        Disconnected = "DISCONNECTED",
        /// Agentless: waiting for a snapshot to ship.
        PendingSnapshotShipping = "PENDING_SNAPSHOT_SHIPPING",
        /// Agentless: shipping a snapshot.
        ShippingSnapshot = "SHIPPING_SNAPSHOT",
    }
}

impl ReplicationState {
    /// Whether data is moving: the state that ends a run of consecutive stalls. INITIATING is
    /// not one: a retried server passes through it on its way back to STALLED.
    pub fn flows(&self) -> bool {
        matches!(
            self,
            Self::InitialSync
                | Self::Backlog
                | Self::CreatingSnapshot
                | Self::Continuous
                | Self::Rescan
                | Self::ShippingSnapshot
        )
    }

    /// Whether the server takes a slot of the "Max Active Source Servers" quota, "the maximum
    /// number of servers that can be actively replicating at any time" (MGN FAQ). MGN does not
    /// say which states count; every state but STOPPED and DISCONNECTED is counted, the reading
    /// that never starts a server over the quota.
    pub fn is_active(&self) -> bool {
        !matches!(self, Self::Stopped | Self::Disconnected)
    }
}

crate::aws_enum! {
    /// `lifeCycle.state` [MGN API reference: LifeCycle].
    LifeCycle {
        /// Stopped.
        Stopped = "STOPPED",
        /// Initial sync not done: not ready for testing.
        NotReady = "NOT_READY",
        /// Test or cutover instances can be launched.
        ReadyForTest = "READY_FOR_TEST",
        /// A test instance is being launched, or was and is not yet marked done.
        Testing = "TESTING",
        /// Tested, ready for a cutover instance.
        ReadyForCutover = "READY_FOR_CUTOVER",
        /// A cutover instance is being launched.
        CuttingOver = "CUTTING_OVER",
        /// Cut over.
        Cutover = "CUTOVER",
        /// Disconnected from the service.
        Disconnected = "DISCONNECTED",
        /// Discovered, not yet installed.
        Discovered = "DISCOVERED",
        /// Waiting for the agent's installation.
        PendingInstallation = "PENDING_INSTALLATION",
    }
}

impl LifeCycle {
    /// Whether migration is over or ending for the server: nothing of its replication is
    /// touched then.
    pub fn is_migrated(&self) -> bool {
        matches!(self, Self::CuttingOver | Self::Cutover | Self::Disconnected)
    }
}
