import CourtLog
import NodeStore
import TransparencyLog

/// The hub's authoritative state, one protocol per concern (design decision 9): each court's
/// accepted events and what it last reported (``HubCourtLogs``), who may call and with which
/// key (``HubRegistry``), and the transparency log that commits to both (``HubTransparency``).
///
/// Two implementations keep the same invariants and throw the same typed errors: the embedded
/// SQLite ``EventStore`` (a city, the demo, the tests) and ``PostgresHubStore`` (a province or
/// the nation, shared by stateless `hub serve` replicas). A refusal the caller branches on is a
/// ``ForkError`` or an `EventError`; a fault of the store is a `StoreError` whose message says
/// what to do.
public typealias HubLogStore = HubCourtLogs & HubRegistry & HubTransparency

/// Every court's accepted log at the hub, and the sync state beside it.
public protocol HubCourtLogs: AnyObject, Sendable {
    /// The last event the hub holds of `court`'s log.
    func head(of court: String) throws -> LogHead
    /// `court`'s events from `seq` on, at most `limit`, as signed.
    func events(of court: String, from seq: Int64, limit: Int) throws -> [SignedEvent]
    /// Stores a verified batch of one court in one transaction: held events must match (else a
    /// ``ForkError``), the rest must continue the head without a gap (else an `EventError`);
    /// with a signer, the batch enters the tree and a checkpoint including it is signed.
    func ingest(_ events: [SignedEvent], nodeHead: Int64?, recordedAt: Int64, checkpointSigner: NoteSigner?) throws -> EventStore.Receipt
    /// The same, with each event's draft as the hub's parse prepared it (`prepared[i]` of
    /// `events[i]`), for a store that keeps what the parse computed rather than computing it again.
    func ingest(_ events: [SignedEvent], prepared: [PreparedDraft]?, nodeHead: Int64?, recordedAt: Int64, checkpointSigner: NoteSigner?) throws -> EventStore.Receipt
    /// What each node last reported of its own head, and when it last pushed.
    func pushReports() throws -> [String: (nodeHead: Int64, at: Int64)]
    /// Records an alarm (a fork, with the conflicting signed event as evidence).
    func recordAlarm(court: String, seq: Int64?, kind: String, detail: String, evidence: String?, at: Int64) throws
    func alarms() throws -> [EventStore.Alarm]
}

extension HubCourtLogs {
    /// A store that prepares its own rows ignores the parse's.
    public func ingest(_ events: [SignedEvent], prepared: [PreparedDraft]?, nodeHead: Int64?, recordedAt: Int64, checkpointSigner: NoteSigner?) throws -> EventStore.Receipt {
        try ingest(events, nodeHead: nodeHead, recordedAt: recordedAt, checkpointSigner: checkpointSigner)
    }
}

/// Enrolled nodes, revoked keys, auditors' credentials and the key log that records every change.
public protocol HubRegistry: AnyObject, Sendable {
    func enrolledNodes() throws -> [EventStore.EnrolledNode]
    func addAuditor(name: String, token: String, role: String, at: Int64) throws
    func auditor(token: String) throws -> String?
    func scraper(token: String) throws -> String?
    func keyLogRecords() throws -> [[UInt8]]
    /// Appends key-log records with their registry changes and their leaves, and signs a
    /// checkpoint, in one transaction; refused when a record's number is not the next one.
    @discardableResult
    /// With `requiringHead`, refused (nothing written) unless the court's log still ends at that
    /// seq when the records are written: a rotation's `from_seq` was checked against it.
    func appendKeyLog(_ records: [EventStore.KeyLogAppend], signer: NoteSigner, at: Int64, first: Bool,
                      requiringHead: (court: String, seq: Int64)?) throws -> (size: Int64, checkpoint: String)
    func revokedKeys() throws -> [(court: String, publicKey: String, at: Int64)]
}

/// The RFC 9162 tree over everything the hub accepted, its checkpoints, and witnesses' cosignatures.
public protocol HubTransparency: AnyObject, Sendable {
    /// Makes sure the latest checkpoint covers the whole tree (signing one if needed) and returns it.
    func updateTransparencyLog(signer: NoteSigner, at: Int64) throws -> (size: Int64, checkpoint: String)
    func latestCheckpoint() throws -> (size: Int64, checkpoint: String)?
    func checkpoint(size: Int64) throws -> String?
    func treeSize() throws -> Int64
    func leafIndex(court: String, seq: Int64) throws -> (index: Int64, entry: [UInt8])?
    /// The tree's entries for `court` at seqs `from…to` (only those it holds). Beyond the court's
    /// head these are events the tree expects after a recovery (protocol §16.13): a push there
    /// is taken only if it is the event the entry names.
    func expectedEntries(court: String, from: Int64, to: Int64) throws -> [Int64: [UInt8]]
    func inclusionProof(index: Int64, size: Int64) throws -> [[UInt8]]
    /// The entries named `name` (a court, or `keylog`) at seqs `from`, `from + 1`, … without a
    /// gap, at most `limit`, in the tree of `size` leaves, each with its inclusion proof.
    func entryProofs(name: String, from: Int64, size: Int64, limit: Int) throws -> [EntryProof]
    func consistencyProof(old: Int64, new: Int64) throws -> [[UInt8]]
    /// The root hash of the tree of `size` leaves, from the stored tree.
    func treeRoot(size: Int64) throws -> [UInt8]
    func tile(level: Int, index: Int64, width: Int64) throws -> [UInt8]?
    func entryBundle(index: Int64, width: Int64) throws -> [UInt8]?
    func addCosignature(size: Int64, witness: String, line: String, at: Int64) throws -> Int
    func witnessedCheckpoint(quorum: Int) throws -> (size: Int64, checkpoint: String, cosignatures: [String])?
    func addWitness(name: String, url: String, verifierKey: String, caPEM: String?, at: Int64) throws
    func witnesses() throws -> [EventStore.HubWitness]
    func setWitnessSize(name: String, size: Int64) throws
}

/// The embedded SQLite hub: the merged log, registry and tree in the hub directory's database.
extension EventStore: HubCourtLogs, HubRegistry, HubTransparency {}

/// What a recovery from a mirror (protocol §16.13) needs of the hub's store beyond the log: its
/// tree's entries, the events courts owe after one, and the one transaction that rebuilds the
/// tree. ``HubDirectory/recover(mirror:policyEvents:now:)`` checks the mirror once, whichever
/// store (SQLite or PostgreSQL) it then writes to.
public protocol HubRecoveryTarget: HubLogStore {
    /// Every entry of the tree, in order.
    func treeEntries() throws -> [[UInt8]]
    /// Each court whose events the tree holds beyond the store's head of that court.
    func owedEvents() throws -> [EventStore.OwedEvents]
    /// Appends checked leaves after the `heldSize` entries held, with their key-log records and
    /// registry changes and the checkpoints given, in one transaction; nothing is written unless
    /// the tree so made has `root`.
    func restoreTree(heldSize: Int64, leaves: [EventStore.RestoredLeaf], root: [UInt8],
                     checkpoints: [EventStore.RestoredCheckpoint], at: Int64) throws
}

extension EventStore: HubRecoveryTarget {}
