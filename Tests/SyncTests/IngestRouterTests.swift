import CanonicalJSON
import CourtLog
import CourtPlan
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NodeStore
import NodeSync
import SyncProtocol
import Testing
@testable import Hub

/// The hub's push and query routes in process (HummingbirdTesting, no sockets, no TLS): each
/// refusal a node branches on comes back as its status and a body that decodes to its case.
@Suite("the hub's router, in process")
struct IngestRouterTests {
    /// A hub with 解放区 (410802) enrolled, and 解放区's node holding `count` filings.
    struct Hub {
        let root: String
        let hub: HubDirectory
        let node: NodeDirectory
        let auditorToken: String
        let tlsSerial: String
        let log = CapturedLog()

        init(count: Int = 5, _ name: String = #function) throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-router-\(name.filter(\.isLetter).prefix(30))-\(UUID().uuidString.prefix(6))").path
            hub = try HubDirectory.create(at: "\(root)/hub", hosts: ["localhost"], ips: ["127.0.0.1"], port: 8443,
                                          operatorCertificate: nil, operatorKey: nil, operatorCA: nil)
            node = try NodeDirectory.create(at: "\(root)/jiefang", court: try Plan.shipped.court("410802"))
            _ = try node.append(try Self.filings(count), recordedAt: 1_664_000_000)
            // Enrolled the way `hub enroll` does it (a key-log record with the court's own request);
            // the stand-in for the TLS handshake presents the certificate serial the hub issued.
            _ = try hub.enroll(requestJSON: try NodeEnrollment.request(node).json)
            tlsSerial = try hub.store.enrolledNodes().first { $0.court == "410802" }?.tlsSerial ?? ""
            auditorToken = try hub.addAuditor(name: "alice")["token"]?.stringValue ?? ""
        }

        static func filings(_ count: Int, from: Int = 1) throws -> [EventDraft] {
            try (from..<(from + count)).map { i in
                try EventDraft(id: "f\(i)", type: "case.filed", at: try EventTime(parsing: "2022-09-0\(i % 9 + 1)T09:00:00+08:00"), dept: nil,
                               data: ["case_no": .string("(2022)豫0802民初\(i)号"), "channel": "online"])
            }
        }

        /// The router with a stand-in for the TLS handshake: the header `x-test-peer` names the
        /// court whose enrolled certificate the caller presents.
        /// No replay is kept unless a test gives a cache: each as-of query replays.
        func app(replays: ReplayGate = ReplayGate(limit: 2), replayCache: ReplayCache = ReplayCache(capacity: 0)) -> some ApplicationProtocol {
            var logger = Logger(label: "hub") { _ in log }
            logger.logLevel = .info
            let serial = tlsSerial
            let server = HubServer(hub: hub, logger: logger, peerIdentity: { request, _ in
                request.headers[HTTPField.Name("x-test-peer")!].map { (commonName: $0, serial: serial) }
            }, replays: replays, replayCache: replayCache)
            return Application(router: server.router())
        }

        func events(from: Int64 = 1) throws -> [SignedEvent] { try node.store.events(of: "410802", from: from, limit: 10_000) }

        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    static func body(_ events: [SignedEvent]) -> ByteBuffer {
        var bytes: [UInt8] = []
        for e in events { bytes += e.exportLine; bytes.append(0x0A) }
        return ByteBuffer(bytes: bytes)
    }

    static let asNode: HTTPFields = [HTTPField.Name("x-test-peer")!: "410802"]
    static let pushPath = "/v1/nodes/410802/events"

    /// The refusal in a response, decoded as the node decodes it.
    static func refusal(_ r: TestResponse) -> HubRefusal? {
        (try? StrictJSONParser.parse(Array(buffer: r.body))).flatMap(HubRefusal.init(json:))
    }

    @Test func pushStoresTheBatchAndAnswersASignedReceipt() async throws {
        let h = try Hub(); defer { h.remove() }
        try await h.app().test(.router) { client in
            try await client.execute(uri: Self.pushPath, method: .post, headers: Self.asNode, body: Self.body(try h.events())) { r in
                #expect(r.status == .ok)
                let receipt = try PushReceipt(json: try StrictJSONParser.parse(Array(buffer: r.body)))
                #expect(receipt.document.isSigned(by: h.hub.node.key.publicKey))
                #expect(receipt.fromSeq == 1 && receipt.toSeq == 5 && receipt.stored == 5)
            }
        }
        #expect(try h.hub.store.head(of: "410802").seq == 5)
    }

    @Test func gapIs409WithTheHubsCursor() async throws {
        let h = try Hub(); defer { h.remove() }
        try await h.app().test(.router) { client in
            try await client.execute(uri: Self.pushPath, method: .post, headers: Self.asNode, body: Self.body(Array(try h.events().prefix(2)))) { r in
                #expect(r.status == .ok)
            }
            // The hub holds 1…2; seq 4…5 leave out 3.
            try await client.execute(uri: Self.pushPath, method: .post, headers: Self.asNode, body: Self.body(try h.events(from: 4))) { r in
                #expect(r.status == .conflict)
                #expect(Self.refusal(r)?.reason == .gap(cursor: 2))
            }
        }
        #expect(try h.hub.store.head(of: "410802").seq == 2)
    }

    @Test func badSignatureIs422NamingTheSeqAndRaisesNoAlarm() async throws {
        let h = try Hub(); defer { h.remove() }
        // The same events signed by another key: same hashes and links, signatures not 解放区's.
        let good = try h.events()
        let forged = EventSealer(node: "410802", key: NodeKey()).seal(try Hub.filings(5), after: .empty)
        #expect(forged[2].hash == good[2].hash, "the forgery changes only the signature")
        let batch = [good[0], good[1], forged[2], good[3], good[4]]
        try await h.app().test(.router) { client in
            try await client.execute(uri: Self.pushPath, method: .post, headers: Self.asNode, body: Self.body(batch)) { r in
                #expect(r.status == .unprocessableContent)
                #expect(Self.refusal(r)?.reason == .badSignature(seq: 3))
                #expect(Self.refusal(r)?.message.contains("seq 3") == true)
            }
        }
        #expect(try h.hub.store.head(of: "410802").seq == 0, "nothing of the batch is stored")
        #expect(try h.hub.store.alarms().isEmpty, "a bad signature is no evidence of a fork")
    }

    @Test func pushToAnotherCourtsLogIs403WrongCourt() async throws {
        let h = try Hub(); defer { h.remove() }
        try await h.app().test(.router) { client in
            try await client.execute(uri: "/v1/nodes/410803/events", method: .post, headers: Self.asNode, body: Self.body(try h.events())) { r in
                #expect(r.status == .forbidden)
                #expect(Self.refusal(r)?.reason == .wrongCourt)
            }
        }
    }

    /// The dashboard knows a court by the same middleware as the API: the certificate the
    /// handshake verified (here the stand-in), not a second reading of the TLS peer.
    @Test func aCourtsCertificateOpensTheDashboardAsThatCourtAndAnUnenrolledOneIsRefused() async throws {
        let h = try Hub(); defer { h.remove() }
        try await h.app().test(.router) { client in
            try await client.execute(uri: Self.pushPath, method: .post, headers: Self.asNode, body: Self.body(try h.events())) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/dashboard", method: .get, headers: Self.asNode) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body).contains("法院节点：410802"), "\(String(buffer: r.body).prefix(400))")
            }
            try await client.execute(uri: "/dashboard", method: .get, headers: [HTTPField.Name("x-test-peer")!: "410803"]) { r in
                #expect(r.status == .forbidden || r.status == .unauthorized, "\(r.status)")
                #expect(String(buffer: r.body).contains("410803"), "the page names the certificate refused")
            }
            // Without any credential a browser is sent to the login page.
            try await client.execute(uri: "/dashboard", method: .get) { r in
                #expect(r.status == .seeOther && r.headers[.location] == "/dashboard/login")
            }
        }
    }

    @Test func pushWithoutCredentialsIs401() async throws {
        let h = try Hub(); defer { h.remove() }
        try await h.app().test(.router) { client in
            try await client.execute(uri: Self.pushPath, method: .post, body: Self.body(try h.events())) { r in
                #expect(r.status == .unauthorized)
                #expect(Self.refusal(r)?.reason == .unauthorized)
            }
            try await client.execute(uri: Self.pushPath, method: .post, headers: [.authorization: "Bearer nonsense"], body: Self.body(try h.events())) { r in
                #expect(r.status == .unauthorized)
            }
        }
    }

    @Test func oversizedPushIs413WithTheLimit() async throws {
        let h = try Hub(); defer { h.remove() }
        try await h.app().test(.router) { client in
            let big = ByteBuffer(repeating: 0x20, count: ApiPaths.maxPushBytes + 1)
            try await client.execute(uri: Self.pushPath, method: .post, headers: Self.asNode, body: big) { r in
                #expect(r.status == .contentTooLarge)
                #expect(Self.refusal(r)?.reason == .tooLarge(limit: ApiPaths.maxPushBytes))
            }
        }
        #expect(try h.hub.store.head(of: "410802").seq == 0)
    }

    @Test func forgedNodeHeadIsClampedInTheLagMetric() async throws {
        let h = try Hub(); defer { h.remove() }
        var forged = Self.asNode
        forged[HTTPField.Name(ApiPaths.nodeHeadHeader)!] = "\(Int64.max)"
        var negative = Self.asNode
        negative[HTTPField.Name(ApiPaths.nodeHeadHeader)!] = "-7"
        let (huge, below) = (forged, negative)
        try await h.app().test(.router) { client in
            try await client.execute(uri: Self.pushPath, method: .post, headers: huge, body: Self.body(try h.events())) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/metrics", method: .get, headers: Self.asNode) { r in
                // The hub holds 5; the report is clamped to 5 + 1,000,000, so the lag is 1,000,000.
                #expect(String(buffer: r.body).contains(#"courtsync_node_lag_events{court="410802"} 1000000"#), "\(String(buffer: r.body))")
            }
            try await client.execute(uri: Self.pushPath, method: .post, headers: below, body: Self.body(try h.events())) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/metrics", method: .get, headers: Self.asNode) { r in
                // A negative report is raised to what the hub holds: 5 − 5 = 0 behind.
                #expect(String(buffer: r.body).contains("courtsync_node_lag_events{court=\"410802\"} 0\n"), "\(String(buffer: r.body))")
            }
        }
    }

    @Test func asOfQueriesPastTheReplayLimitAre503WithRetryAfter() async throws {
        let h = try Hub(); defer { h.remove() }
        let gate = ReplayGate(limit: 1)
        try await h.app(replays: gate).test(.router) { client in
            let asOf = "/v1/query/compliance?period=2022-09&as_of=2022-10-01"
            try await client.execute(uri: asOf, method: .get, headers: [.authorization: "Bearer \(h.auditorToken)"]) { r in
                #expect(r.status == .ok, "one replay at a time is allowed")
            }
            // Another replay holds the only slot.
            #expect(gate.enter())
            try await client.execute(uri: asOf, method: .get, headers: [.authorization: "Bearer \(h.auditorToken)"]) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(r.headers[.retryAfter] == "\(ReplayGate.retryAfterSeconds)")
                #expect(Self.refusal(r)?.reason == .busy(retryAfter: ReplayGate.retryAfterSeconds))
            }
            // A query of the stored projections needs no replay.
            try await client.execute(uri: "/v1/query/compliance?period=2022-09", method: .get, headers: [.authorization: "Bearer \(h.auditorToken)"]) { r in
                #expect(r.status == .ok)
            }
            gate.leave()
            try await client.execute(uri: asOf, method: .get, headers: [.authorization: "Bearer \(h.auditorToken)"]) { r in
                #expect(r.status == .ok, "the slot is free again")
            }
        }
    }

    @Test func requestBytesReachTheLogEscaped() async throws {
        let h = try Hub(); defer { h.remove() }
        // An unknown member whose name carries a newline, a forged log line and a terminal
        // escape: the hub's message quotes the name.
        let line = #"{"v":1,"node":"410802","seq":1,"evil\n2026-01-01 hub: push stored court=410803\u001b[2J":1}"#
        try await h.app().test(.router) { client in
            try await client.execute(uri: Self.pushPath, method: .post, headers: Self.asNode, body: ByteBuffer(string: line + "\n")) { r in
                #expect(r.status == .badRequest)
                #expect(Self.refusal(r)?.reason == .malformed(line: 1, seq: nil) || Self.refusal(r)?.reason == .malformed(line: 1, seq: 1))
                #expect(Self.refusal(r)?.message.contains("push stored court=410803") == true, "the refusal quotes the request's text")
            }
        }
        let records = h.log.records
        #expect(!records.isEmpty)
        for record in records {
            let all = record.message + record.metadata.values.joined()
            #expect(!all.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "a control character reached the log: \(all.debugDescription)")
        }
    }

    @Test func logTextEscapesControlsAndCutsLongText() {
        #expect(LogText.escape("a\nb\u{1b}[2J\\c") == #"a\u{a}b\u{1b}[2J\u{5c}c"#)
        #expect(LogText.escape("解放区") == "解放区")
        #expect(LogText.escape(String(repeating: "x", count: 1000)).count == LogText.limit + 1)
    }

    @Test func pushedLinesAreTheNonEmptyLinesASplitFinds() {
        // The ingest finds lines with memchr; it must number them as the byte split it replaced:
        // empty lines left out, a last line without a newline kept.
        for text in ["", "\n", "\n\n", "a", "a\n", "a\n\nb\n", "\n\nab\ncd", "ab\n\n\ncd\n\n"] {
            let body = Array(text.utf8)
            let split = body.split(separator: 0x0A).map { $0.startIndex..<$0.endIndex }
            #expect(IngestService.lines(of: body) == split, "\(text.debugDescription)")
        }
    }

    @Test func aBadLineAfterAnEmptyOneIsNumberedAmongTheEventLinesOnlyAndNothingIsStored() async throws {
        let h = try Hub(count: 3); defer { h.remove() }
        // event 1, an empty line, event 2 with its id changed (its hash no longer matches), event 3
        var lines = try h.events().map { String(decoding: $0.exportLine, as: UTF8.self) }
        #expect(lines[1].contains(#""id":"f2""#))
        lines[1] = lines[1].replacingOccurrences(of: #""id":"f2""#, with: #""id":"g2""#)
        let body = ByteBuffer(string: lines[0] + "\n\n" + lines[1] + "\n" + lines[2] + "\n")
        try await h.app().test(.router) { client in
            try await client.execute(uri: Self.pushPath, method: .post, headers: Self.asNode, body: body) { r in
                #expect(Self.refusal(r)?.reason == .malformed(line: 2, seq: 2) || Self.refusal(r)?.reason == .malformed(line: 2, seq: nil))
                #expect(Self.refusal(r)?.message.contains("line 2") == true)
            }
        }
        #expect(try h.hub.store.head(of: "410802").seq == 0)
    }

    @Test func plausibleNodeHeadIsNeverBelowTheHubNorFarBeyondIt() {
        // Hub holds 100: a report of 50 is raised to 100; 2,000 stays; 10^12 is cut to 100 + 1,000,000.
        #expect(IngestService.plausibleNodeHead(50, hubHead: 100) == 100)
        #expect(IngestService.plausibleNodeHead(2_000, hubHead: 100) == 2_000)
        #expect(IngestService.plausibleNodeHead(1_000_000_000_000, hubHead: 100) == 1_000_100)
        #expect(IngestService.plausibleNodeHead(nil, hubHead: 100) == 100)
        #expect(IngestService.plausibleNodeHead(-5, hubHead: 0) == 0)
    }

    @Test func everyRefusalRoundTripsThroughItsBody() {
        let reasons: [HubRefusal.Reason] = [
            .gap(cursor: 7), .fork(cursor: 7, seq: 5, held: String(repeating: "ab", count: 32)), .badSignature(seq: 3), .wrongCourt, .notEnrolled,
            .revoked, .unauthorized, .forbidden, .tooLarge(limit: 10), .malformed(line: 2, seq: 9), .malformed(line: nil, seq: nil), .badRequest,
            .badQuery, .requestTimeout, .busy(retryAfter: 5), .notFound, .notExpected(seq: 4, expected: String(repeating: "cd", count: 32)),
        ]
        for reason in reasons {
            let refusal = HubRefusal(reason, "what is wrong and what to do")
            let parsed = try? StrictJSONParser.parse(CanonicalEncoder.encode(refusal.json))
            #expect(parsed.flatMap(HubRefusal.init(json:)) == refusal, "\(reason)")
        }
        #expect(HubRefusal(json: ["error": "x", "reason": "gap"]) == nil, "a gap without its cursor is not read as one")
        #expect(HubRefusal(json: ["error": "x", "reason": "something-new"]) == nil)
    }
}

/// Log records kept in memory, for tests that read what the hub logged.
final class CapturedLog: LogHandler, @unchecked Sendable {
    struct Record { let message: String; let metadata: [String: String] }
    private let lock = NSLock()
    private var kept: [Record] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var records: [Record] { lock.withLock { kept } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        let all = self.metadata.merging(metadata ?? [:]) { _, new in new }
        let record = Record(message: "\(message)", metadata: all.mapValues { "\($0)" })
        lock.withLock { kept.append(record) }
    }
}
