import CanonicalJSON
import Foundation
import Testing
@testable import CourtLog

/// The Swift code against `protocol/vectors/`, which the independent Python implementation in
/// `protocol/tools/` generated: two implementations that must agree byte for byte.
@Suite("protocol test vectors")
struct ProtocolVectorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func load(_ name: String) throws -> JSONValue {
        let data = try Data(contentsOf: root.appendingPathComponent("protocol/vectors/\(name)"))
        return try StrictJSONParser.parse(Array(data))
    }

    @Test func canonicalJSONMatchesEveryValidVector() throws {
        let cases = try #require(Self.load("jcs.json")["cases"]?.arrayValue)
        #expect(cases.count >= 12)
        for c in cases {
            let name = c["name"]?.stringValue ?? "?"
            let input = try #require(c["input"]?.stringValue)
            let expected = try #require(c["canonical_hex"]?.stringValue)
            let value = try StrictJSONParser.parse(input)
            #expect(Hex.encode(CanonicalEncoder.encode(value)) == expected, "vector \(name)")
        }
    }

    @Test func strictParserRefusesEveryInvalidVector() throws {
        let cases = try #require(Self.load("jcs.json")["invalid"]?.arrayValue)
        #expect(cases.count >= 5)
        for c in cases {
            let input = try #require(c["input"]?.stringValue)
            #expect(throws: JSONParseError.self, "vector \(c["name"]?.stringValue ?? "?")") { try StrictJSONParser.parse(input) }
        }
    }

    func checkChain(_ chain: JSONValue, node: String) throws {
        let seedHex = try #require(chain["seed_hex"]?.stringValue)
        let seed = try #require(Hex.decode(seedHex, count: 32))
        let key = try NodeKey(seed: seed)
        #expect(key.publicKey.hex == chain["public_key_hex"]?.stringValue)
        if let fp = chain["fingerprint"]?.stringValue { #expect(key.publicKey.fingerprint == fp) }
        let events = try #require(chain["events"]?.arrayValue)
        var verifier = LogVerifier(node: node, publicKey: key.publicKey)
        var export: [UInt8] = []
        for v in events {
            let name = v["name"]?.stringValue ?? "?"
            let body = try #require(v["body"])
            let line = try #require(v["line"]?.stringValue)
            let event = try SignedEvent(parsing: Array(line.utf8))
            // Our canonical body of the parsed content equals the vector's bytes.
            let ours = SignedEvent.canonicalBody(node: event.node, seq: event.seq, draft: event.draft, prev: event.prev)
            #expect(Hex.encode(ours) == v["canonical_hex"]?.stringValue, "\(name): canonical body")
            #expect(CanonicalEncoder.encode(body) == ours, "\(name): general encoder and envelope writer agree")
            #expect(event.hash.hex == v["hash"]?.stringValue, "\(name): hash")
            #expect(Hex.encode(EventHash.signingMessage(for: event.hash)) == v["message_hex"]?.stringValue, "\(name): signing message")
            // Ed25519 is deterministic: our signature is the vector's signature.
            #expect(Hex.encode(key.sign(eventHash: event.hash)) == v["sig"]?.stringValue, "\(name): signature")
            #expect(String(decoding: event.exportLine, as: UTF8.self) == line, "\(name): export line")
            try verifier.verify([event])
            export += Array(line.utf8) + [0x0A]
        }
        let result = try ExportVerifier(node: node, publicKey: key.publicKey).verify(export)
        #expect(result.events == Int64(events.count))
    }

    @Test func grassrootsChainMatchesHashesSignaturesAndLines() throws {
        let vectors = try Self.load("events.json")
        try checkChain(vectors, node: try #require(vectors["node"]?.stringValue))
        let types = Set(try #require(vectors["events"]?.arrayValue).compactMap { $0["body"]?["type"]?.stringValue })
        let usage = EventCatalog.shipped.types.values.filter { $0.role != .policy }.map(\.name)
        #expect(Set(usage).isSubset(of: types), "every usage and explanation type has a vector")
    }

    @Test func policyChainOfTheIntermediateCourtMatches() throws {
        let chain = try #require(Self.load("events.json")["policy_events"])
        try checkChain(chain, node: "410800")
        let types = Set(try #require(chain["events"]?.arrayValue).compactMap { $0["body"]?["type"]?.stringValue })
        let policy = EventCatalog.shipped.types.values.filter { $0.role == .policy }.map(\.name)
        #expect(Set(policy).isSubset(of: types), "every policy type has a vector")
    }

    @Test func everyInvalidLogIsRefusedWithTheSameReasonAndPlace() throws {
        let cases = try #require(Self.load("invalid.json")["cases"]?.arrayValue)
        #expect(cases.count >= 19)
        for c in cases {
            let name = c["name"]?.stringValue ?? "?"
            let lines = try #require(c["lines"]?.arrayValue).compactMap(\.stringValue)
            let key = try NodePublicKey(hex: try #require(c["public_key_hex"]?.stringValue))
            let court = try #require(c["court"]?.stringValue)
            let bytes = Array(lines.map { $0 + "\n" }.joined().utf8)
            do {
                _ = try ExportVerifier(node: court, publicKey: key).verify(bytes)
                Issue.record("\(name): verified, but must be refused")
            } catch {
                let phrase = try #require(c["reason_contains"]?.stringValue)
                #expect(error.reason.lowercased().contains(phrase.lowercased()), "\(name): '\(error.reason)' lacks '\(phrase)'")
                if let seq = c["bad_seq"]?.intValue { #expect(error.seq == seq, "\(name): seq") }
                if let line = c["bad_line"]?.intValue { #expect(error.line == Int(line), "\(name): line") }
            }
        }
    }
}
