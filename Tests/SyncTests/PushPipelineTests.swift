import CanonicalJSON
import CourtLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NodeStore
import SyncProtocol
import Testing
@testable import Hub

/// A node keeps two pushes in flight (issue 13): the hub verifies the later batch while the
/// earlier one is stored, and stores one court's batches in seq order — a batch whose
/// predecessor was refused is refused as a gap, never stored out of order.
@Suite("two pushes in flight")
struct PushPipelineTests {
    typealias Hub = IngestRouterTests.Hub

    /// The router, with a sequencer that waits up to `grace` for a batch that overtook its
    /// predecessor (the hub's default is a second; a loaded test machine may need longer).
    func app(_ h: Hub, grace: Duration = .seconds(60)) -> some ApplicationProtocol {
        var logger = Logger(label: "hub") { _ in h.log }
        logger.logLevel = .info
        let serial = h.tlsSerial
        let server = HubServer(hub: h.hub, logger: logger, peerIdentity: { request, _ in
            request.headers[HTTPField.Name("x-test-peer")!].map { (commonName: $0, serial: serial) }
        }, replays: ReplayGate(limit: 2), pushes: PushSequencer(grace: grace))
        return Application(router: server.router())
    }

    func push(_ client: some TestClientProtocol, _ events: [SignedEvent]) async throws -> TestResponse {
        try await client.execute(uri: IngestRouterTests.pushPath, method: .post, headers: IngestRouterTests.asNode, body: IngestRouterTests.body(events))
    }

    @Test func twoBatchesInFlightAreBothStoredInSeqOrderWhicheverArrivesFirst() async throws {
        let h = try Hub(count: 10); defer { h.remove() }
        let events = try h.events()
        try await app(h).test(.router) { client in
            // The later batch is sent first: it waits for the one it follows.
            async let later = push(client, Array(events[5...]))
            async let earlier = push(client, Array(events[..<5]))
            let (a, b) = try await (earlier, later)
            #expect(a.status == .ok && b.status == .ok, "\(String(buffer: a.body)) \(String(buffer: b.body))")
            let receipts = try [a, b].map { try PushReceipt(json: try StrictJSONParser.parse(Array(buffer: $0.body))) }
            #expect(receipts.map(\.fromSeq) == [1, 6] && receipts.map(\.toSeq) == [5, 10] && receipts.map(\.stored) == [5, 5])
        }
        #expect(try h.hub.store.head(of: "410802").seq == 10)
        #expect(try h.hub.store.verify(node: "410802", publicKey: h.node.key.publicKey).events == 10)
    }

    @Test func aBatchWhosePredecessorIsRefusedIsRefusedAsAGapAndNothingIsStored() async throws {
        let h = try Hub(count: 10); defer { h.remove() }
        let good = try h.events()
        // Seq 3 signed by another key: the first batch is refused at it.
        let forged = EventSealer(node: "410802", key: NodeKey()).seal(try Hub.filings(10), after: .empty)
        let first = [good[0], good[1], forged[2], good[3], good[4]]
        // Whichever order they arrive in, the answer is the same; a short grace keeps the test
        // short when the refusal comes before the later batch looks for it.
        try await app(h, grace: .seconds(1)).test(.router) { client in
            async let a = push(client, first)
            async let b = push(client, Array(good[5...]))
            let (refused, following) = try await (a, b)
            #expect(refused.status == .unprocessableContent && IngestRouterTests.refusal(refused)?.reason == .badSignature(seq: 3))
            #expect(following.status == .conflict && IngestRouterTests.refusal(following)?.reason == .gap(cursor: 0), "\(String(buffer: following.body))")
        }
        #expect(try h.hub.store.head(of: "410802").seq == 0, "the later batch is not stored ahead of the refused one")
        #expect(try h.hub.store.alarms().isEmpty)
    }

    @Test func killingTheNodeMidPipelineLosesNothingStoresNothingTwiceAndItsReceiptsComeBack() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 20_000, online: 19_000)
        let sync = Process()
        sync.executableURL = URL(fileURLWithPath: SyncHarness.binary)
        sync.arguments = ["node", "sync", "--dir", jf, "--batch", "500"]
        sync.standardOutput = FileHandle.nullDevice
        sync.standardError = FileHandle.nullDevice
        try sync.run()
        // kill -9 once three receipts are kept: the next pushes are in flight then.
        let receipts = "\(jf)/receipts.jsonl"
        func kept() -> [String] { ((try? String(contentsOfFile: receipts, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && sync.isRunning && kept().count < 3 { usleep(5_000) }
        kill(sync.processIdentifier, SIGKILL)
        sync.waitUntilExit()
        let partial = try h.hubSeq("410802")
        #expect(partial >= 1_500 && partial < 20_000 && partial % 500 == 0, "the hub holds \(partial): whole batches, some of them")
        let r = try h.run(["node", "sync", "--dir", jf])
        #expect(r.status == 0 && r.stdout.contains("hub holds seq 20000 of 20000 (lag 0)"), "\(r.output)")
        // Every event under exactly one receipt: the ranges run from 1 to 20000 without a hole or an overlap.
        var next: Int64 = 1
        for line in kept() {
            let receipt = try PushReceipt(json: try StrictJSONParser.parse(Array(line.utf8)))
            #expect(receipt.fromSeq == next, "receipt \(receipt.fromSeq)…\(receipt.toSeq) after \(next - 1)")
            next = receipt.toSeq + 1
        }
        #expect(next == 20_001)
        let audit = try h.run(["audit", "receipts", "--dir", jf])
        #expect(audit.status == 0 && audit.stdout.contains("(seq 1…20000)"), "\(audit.output)")
        // The hub's copy: every event once, every link and signature good.
        let export = h.path("hub-410802.jsonl")
        #expect(try h.run(["node", "export", "--dir", h.hub, "--court", "410802", "--out", export]).status == 0)
        let status = try JSONSerialization.jsonObject(with: Data(try h.run(["node", "status", "--dir", jf, "--format", "json"]).stdout.utf8)) as? [String: Any]
        let key = status?["public_key"] as? String ?? ""
        let verify = try h.run(["audit", "verify", "--public-key", key, "--court", "410802", export])
        #expect(verify.status == 0 && verify.stdout.contains("ok: 20000 events"), "\(verify.output)")
    }

    @Test func aBatchWaitsForTheOneInFlightBeforeItAndGoesOnWhenItEnds() async throws {
        let sequencer = PushSequencer(grace: .seconds(60))
        let head = SharedSeq()
        let first = await sequencer.arrive(court: "410802", first: 1, last: 5)
        let second = await sequencer.arrive(court: "410802", first: 6, last: 10)
        let order = SharedSeq()
        let waiting = Task {
            try await sequencer.turn(second) { await head.value }
            return await order.next()
        }
        // The first batch's turn comes at once (it starts at the head); the second's only after
        // the first has left, whatever the scheduler does meanwhile.
        try await sequencer.turn(first) { await head.value }
        for _ in 0..<100 { await Task.yield() }
        let storedFirst = await order.next()
        await head.set(5)
        await sequencer.leave(first)
        let storedSecond = try await waiting.value
        #expect(storedFirst == 1 && storedSecond == 2)
        await sequencer.leave(second)
        #expect(await sequencer.pending("410802") == 0)
    }

    @Test func aBatchAfterAGapWithNothingInFlightGoesOnAfterTheGrace() async throws {
        // Nothing will fill seq 1…5: after the grace the batch goes on (and ingest refuses the gap).
        let sequencer = PushSequencer(grace: .milliseconds(50))
        let ticket = await sequencer.arrive(court: "410802", first: 6, last: 10)
        try await sequencer.turn(ticket) { 0 }
        await sequencer.leave(ticket)
        // Other courts never wait for each other.
        let a = await sequencer.arrive(court: "410802", first: 1, last: 5)
        let b = await sequencer.arrive(court: "410803", first: 6, last: 10)
        try await sequencer.turn(b) { 5 }
        await sequencer.leave(a)
        await sequencer.leave(b)
    }
}

/// A seq shared between a test and the tasks it starts.
actor SharedSeq {
    private(set) var value: Int64 = 0
    func set(_ v: Int64) { value = v }
    /// Adds one and returns the new value.
    func next() -> Int64 { value += 1; return value }
}
