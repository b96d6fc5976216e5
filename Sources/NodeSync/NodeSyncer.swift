import CanonicalJSON
import CourtLog
import Foundation
import NodeStore
import SyncProtocol

/// `courtsync node sync`: push the node's log from the hub's cursor in batches, keep each
/// signed receipt, then pull and verify the intermediate court's log.
public struct NodeSyncer: Sendable {
    public let node: NodeDirectory
    public let bundle: EnrollmentBundle
    public let client: HubClient

    public struct Report: Sendable {
        public var pushed: Int64 = 0
        public var hubSeq: Int64 = 0
        public var localSeq: Int64 = 0
        public var pulled: Int64 = 0
        public var policySeq: Int64 = 0
        public var lag: Int64 { localSeq - hubSeq }
    }

    public init(node: NodeDirectory) throws {
        self.node = node
        self.bundle = try NodeEnrollment.bundle(node)
        self.client = try NodeEnrollment.client(node)
    }

    /// Pushes this node's log from the hub's cursor in batches of `batch` events, keeping up to
    /// `pipeline` pushes in flight, then pulls the intermediate court's log.
    public func syncOnce(batch: Int = ApiPaths.pushBatch, pipeline: Int = ApiPaths.pushesInFlight,
                         progress: @Sendable (String) -> Void = { _ in }) async throws -> Report {
        var report = Report()
        let own = node.court.code
        let cursorReply = try await client.get(ApiPaths.path(ApiPaths.cursor, court: own))
        guard cursorReply.status == 200, var cursor = cursorReply.json?["seq"]?.intValue else {
            throw SyncError("the hub refused the cursor request (\(cursorReply.status)): \(cursorReply.error)", transient: cursorReply.transient)
        }
        let head = try node.store.head(of: own)
        report.localSeq = head.seq
        // Before anything is sent: the hub's log must extend the checkpoint this node saw last.
        let treeVerifier = try checkpointVerifier
        // 410800's keys: the bundle's, and any rotation of it the key log in the tree shows.
        var intermediateKeys = [CourtKey(key: bundle.intermediatePublicKey)]
        if let treeVerifier {
            _ = try await checkHubLog(verifier: treeVerifier)
            intermediateKeys = try await self.intermediateKeys(verifier: treeVerifier)
            if cursor <= head.seq, let hubHead = cursorReply.json?["head"]?.stringValue {
                try await recoverReceipts(cursor: cursor, hubHead: hubHead, verifier: treeVerifier, keys: intermediateKeys, progress: progress)
            }
        }
        // What the hub holds must be a prefix of this log; anything else is a fork.
        if cursor > head.seq {
            throw SyncError("the hub holds node \(own) up to seq \(cursor) but this node's log ends at \(head.seq): this directory was restored from an old backup or replaced; do not append, report it to 技术处", transient: false)
        }
        // A log that diverged from what the hub holds is pushed from the diverging seq anyway:
        // the hub refuses it as a fork and raises the alarm where 技术处 sees it (hub status, /metrics).
        if cursor > 0, let hubHead = cursorReply.json?["head"]?.stringValue,
           let mine = try node.store.events(of: own, from: cursor, limit: 1).first, mine.hash.hex != hubHead {
            cursor -= 1
        }
        // Two batches in flight (protocol §15.5): the next is read from the stored bytes and sent
        // while the hub stores the one before (it verifies the next meanwhile and stores them in
        // seq order); receipts are checked and kept in seq order.
        var inFlight: [(batch: EventStore.PushBatch, reply: Task<HubClient.Reply, any Error>)] = []
        var next = cursor + 1
        defer { for pending in inFlight { pending.reply.cancel() } }
        let client = client, path = ApiPaths.path(ApiPaths.events, court: own), nodeHead = "\(head.seq)"
        func send() throws {
            while inFlight.count < max(1, pipeline), next <= head.seq, let pushed = try node.store.pushBatch(of: own, from: next, limit: batch) {
                inFlight.append((pushed, Task { try await client.post(path, body: pushed.body, headers: [ApiPaths.nodeHeadHeader: nodeHead]) }))
                next = pushed.last.seq + 1
            }
        }
        while cursor < head.seq {
            try send()
            guard !inFlight.isEmpty else { break }
            let (pushed, task) = inFlight.removeFirst()
            let reply = try await task.value
            // The next batch goes out before this receipt is checked (a round trip for its proof);
            // a row that cannot be read stops the sync after this receipt is kept.
            var unreadable: (any Error)?
            if reply.status == 200 { do { try send() } catch { unreadable = error } }
            let range = "seq \(pushed.first)…\(pushed.last.seq)"
            switch reply.status {
            case 200:
                guard let json = reply.json, let receipt = try? PushReceipt(json: json), Self.isSignedNow(receipt, keys: intermediateKeys),
                      receipt.toSeq == pushed.last.seq, receipt.headHash == pushed.last.hash.hex else {
                    throw SyncError("the hub's receipt for \(range) is not signed by the intermediate court's key or does not match: stop and report this to 技术处", transient: false)
                }
                if let treeVerifier { try await verifyReceiptProof(receipt, eventHash: pushed.last.hash, verifier: treeVerifier) }
                try appendReceipt(json)
                report.pushed += receipt.stored
                cursor = receipt.toSeq
                progress("pushed \(range) (\(receipt.stored) new), hub at \(cursor) of \(head.seq)")
                if let unreadable { throw unreadable }
            default:
                switch reply.refusal?.reason {
                case .gap(let resume)?:
                    // The hub holds less than its cursor said (restored, say), or this batch
                    // overtook the one before it: drop what is in flight and push from its head.
                    guard resume < cursor || resume < head.seq else { throw SyncError("the hub reports a gap: \(reply.error)") }
                    for pending in inFlight { pending.reply.cancel(); _ = try? await pending.reply.value }
                    inFlight.removeAll()
                    cursor = resume
                    next = resume + 1
                case .fork(_, let seq, _)?:
                    throw SyncError("the hub holds another history of node \(own) at seq \(seq) and refused the batch \(range) as a fork (\(reply.error)): do not append; report it to 技术处, who sees the alarm in `courtsync hub status`", transient: false)
                case .notExpected(let seq, _)?:
                    throw SyncError("the hub, recovered from a mirror, holds another event of node \(own) at seq \(seq) in the tree its witnesses cosigned, and refused the batch \(range) (\(reply.error)): do not append; report it to 技术处 and the auditors", transient: false)
                case .badSignature(let seq)?:
                    throw SyncError("the hub refused the batch \(range): the event at seq \(seq) is not signed by this node's enrolled key (\(reply.error)); check the log with `courtsync audit verify --dir \(node.path)`", transient: false)
                case .busy?, .requestTimeout?:
                    throw SyncError("the hub is busy and refused the batch \(range) (\(reply.status)): \(reply.error); sync again later", transient: true)
                default:
                    throw SyncError("the hub refused the batch \(range) (\(reply.status)): \(reply.error)", transient: reply.transient)
                }
            }
        }
        report.hubSeq = cursor
        // Pull the intermediate court's log (policy) and verify it under the bundle's key.
        let ic = PolicyAuthority.intermediateCourt
        var local = try node.store.head(of: ic)
        while true {
            let reply = try await client.get(ApiPaths.path(ApiPaths.events, court: ic), query: ["from": "\(local.seq + 1)", "limit": "5000"])
            guard reply.status == 200 else { throw SyncError("the hub refused the policy pull (\(reply.status)): \(reply.error)", transient: reply.transient) }
            let lines = reply.body.split(separator: 0x0A).map(Array.init)
            if lines.isEmpty { break }
            var events: [SignedEvent] = []
            for line in lines { events.append(try SignedEvent(parsing: line)) }
            // Under 410800's key history, from the key that signed the last policy event held.
            let held = local.seq > 0 ? try node.store.events(of: ic, from: local.seq, limit: 1).first : nil
            let from = held.flatMap { LogVerifier.signer(of: $0, in: intermediateKeys) } ?? 0
            var verifier = LogVerifier(node: ic, history: Array(intermediateKeys[from...]), after: local)
            do { try verifier.verify(events) } catch {
                throw SyncError("the intermediate court's log from the hub does not verify (\(error.description)): nothing stored; report this to 技术处", transient: false)
            }
            let receipt = try node.store.receive(events, recordedAt: Int64(Date().timeIntervalSince1970))
            report.pulled += Int64(receipt.stored)
            local = receipt.head
            progress("pulled policy log to seq \(local.seq)")
        }
        report.policySeq = local.seq
        if let treeVerifier {
            try await checkPolicyInclusion(verifier: treeVerifier)
            await cosign(verifier: treeVerifier, progress: progress)
        }
        return report
    }

    func appendReceipt(_ json: JSONValue) throws {
        let path = "\(node.path)/\(NodeEnrollment.receiptsName)"
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw SyncError("cannot write \(path)", transient: false) }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: CanonicalEncoder.encode(json) + [0x0A])
        try handle.synchronize()
    }
}
