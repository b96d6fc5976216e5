import CanonicalJSON
import Testing
@testable import CourtLog

/// A node pushes export lines spliced from the stored canonical body, hash and signature
/// (issue 13): byte for byte the lines the protocol's vectors and the encoder give.
@Suite("export lines spliced from stored bytes")
struct StoredBytesTests {
    @Test func everyVectorLineIsSplicedFromItsBodyHashAndSignature() throws {
        let vectors = try ProtocolVectorTests.load("events.json")
        let chains = [try #require(vectors["events"]?.arrayValue), try #require(vectors["policy_events"]?["events"]?.arrayValue)]
        var checked = 0
        for v in chains.joined() {
            let line = try #require(v["line"]?.stringValue)
            let event = try SignedEvent(parsing: Array(line.utf8))
            let spliced = SignedEvent.exportLine(body: event.body, hash: event.hash.bytes, sig: event.sig)
            #expect(spliced.map { String(decoding: $0, as: UTF8.self) } == line, "\(v["name"]?.stringValue ?? "?")")
            checked += 1
        }
        #expect(checked >= 36, "every event type has a vector")
    }

    @Test func textThatLooksLikeMembersDoesNotMisleadTheSplice() throws {
        // (The vectors' indicator.defined holds nested members named type before the envelope's.)
        let draft = try EventDraft(id: "s-1", type: "suggestion.raised", at: try EventTime(parsing: "2022-09-01T09:00:00+08:00"), dept: nil,
                                   data: ["unit": "410802", "suggestion": "s-1", "kind": "problem",
                                          "text": .string(#"a ,"id":"x","type":"y" \ 网上立案 ,"sig":""#)])
        let event = try #require(EventSealer(node: "410802", key: NodeKey()).seal([draft], after: .empty).first)
        let spliced = try #require(SignedEvent.exportLine(body: event.body, hash: event.hash.bytes, sig: event.sig))
        #expect(spliced == event.exportLine)
        #expect(try SignedEvent(parsing: spliced) == event)
    }

    @Test func aBodyWithoutTheEnvelopeShapeIsNotSpliced() {
        #expect(SignedEvent.exportLine(body: Array(#"{"at":"x"}"#.utf8), hash: Array(repeating: 1, count: 32), sig: Array(repeating: 2, count: 64)) == nil)
        #expect(SignedEvent.exportLine(body: Array(#"{"id":"a","type":"b","v":1}"#.utf8), hash: [1], sig: Array(repeating: 2, count: 64)) == nil)
    }
}
