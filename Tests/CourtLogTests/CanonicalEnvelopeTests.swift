import CanonicalJSON
import Foundation
import Testing
@testable import CourtLog

/// The hub's one-pass reader of canonical lines against the general reader it must agree with:
/// on every line, both accept with the same fields or both refuse with the same error.
@Suite("one-pass envelope reader")
struct CanonicalEnvelopeTests {
    /// What a reader made of a line, in a form two readers' outcomes can be compared in.
    enum Outcome: Equatable, CustomStringConvertible {
        case accepted(SignedEvent, bodyHead: [UInt8], contentDigest: [UInt8], columns: ProjectionColumns)
        case refused(EventError)

        init(_ read: () throws(EventError) -> (event: SignedEvent, prepared: PreparedDraft)) {
            do {
                let (event, prepared) = try read()
                #expect(prepared.draft == event.draft)
                self = .accepted(event, bodyHead: prepared.bodyHead, contentDigest: prepared.contentDigest, columns: prepared.columns)
            } catch {
                self = .refused(error)
            }
        }

        var description: String {
            switch self {
            case .accepted(let e, _, _, _): "accepted seq \(e.seq) of \(e.node)"
            case .refused(let error): "refused: \(error.description)"
            }
        }

        var isAccepted: Bool { if case .accepted = self { true } else { false } }
    }

    static func outcomes(_ line: [UInt8]) -> (hot: Outcome, reference: Outcome) {
        (Outcome { () throws(EventError) in try SignedEvent.parsed(line) },
         Outcome { () throws(EventError) in try SignedEvent.parsedAsTree(line) })
    }

    static func vectorLines() throws -> [String] {
        let events = try ProtocolVectorTests.load("events.json")
        var lines: [String] = []
        for chain in [events, try #require(events["policy_events"])] {
            for v in try #require(chain["events"]?.arrayValue) { lines.append(try #require(v["line"]?.stringValue)) }
        }
        return lines
    }

    /// One event of every type in the catalog, with every field filled, sealed and signed.
    static func catalogLines() throws -> [String] {
        let key = try NodeKey(seed: [UInt8](repeating: 7, count: 32))
        let catalog = EventCatalog.shipped
        var lines: [String] = []
        for name in catalog.types.keys.sorted() {
            let type = try #require(catalog.types[name])
            let node = type.role == .usage ? "410802" : PolicyAuthority.intermediateCourt
            var data: [String: JSONValue] = [:]
            for field in type.fields.values {
                switch field.kind {
                case .string: data[field.name] = .string(field.name == "unit" ? node : "示例 \(field.name)")
                case .text: data[field.name] = "第一行\n第二行"
                case .integer(let min): data[field.name] = .int(max(min ?? 0, 3))
                case .boolean: data[field.name] = true
                case .enumeration(let values): data[field.name] = .string(values[0])
                case .timestamp: data[field.name] = "2022-08-01T09:30:00+08:00"
                case .date: data[field.name] = "2022-08-01"
                case .period: data[field.name] = "2022-08"
                case .stringList: data[field.name] = ["civil-1", "case-filing"]
                case .object: data[field.name] = ["a": 1, "b": ["c": false]]
                }
            }
            let draft = try EventDraft(id: "example-\(name)", type: name, at: try EventTime(parsing: "2022-08-01T09:30:00+08:00"),
                                       dept: type.role == .usage ? "civil-1" : nil, data: data)
            let body = SignedEvent.canonicalBody(node: node, seq: 1, draft: draft, prev: .genesis)
            let hash = EventHash(ofCanonicalBody: body)
            let event = SignedEvent(node: node, seq: 1, draft: draft, prev: .genesis, hash: hash, sig: key.sign(eventHash: hash), body: body)
            lines.append(String(decoding: event.exportLine, as: UTF8.self))
        }
        return lines
    }

    @Test func readsEveryCanonicalLineInOnePassWithTheSameFields() throws {
        let lines = try Self.vectorLines() + Self.catalogLines()
        #expect(lines.count >= 33 + EventCatalog.shipped.types.count)
        var onePass = 0
        for line in lines {
            let bytes = Array(line.utf8)
            let (hot, reference) = Self.outcomes(bytes)
            #expect(reference.isAccepted, "\(line.prefix(80))")
            #expect(hot == reference, "\(line.prefix(80)): \(hot) vs \(reference)")
            // Lines whose data has an escape (a newline in a text field, the plan vector) are read
            // by the general reader; every other valid line by the one pass.
            if CanonicalEnvelope.parse(bytes, catalog: .shipped) != nil { onePass += 1 } else {
                #expect(line.contains("\\"), "a canonical line without an escape was not read in one pass: \(line.prefix(80))")
            }
        }
        #expect(onePass == lines.filter { !$0.contains("\\") }.count)
        #expect(onePass >= 30)
    }

    @Test func refusesEveryInvalidVectorLineAsTheGeneralReaderDoes() throws {
        let cases = try #require(ProtocolVectorTests.load("invalid.json")["cases"]?.arrayValue)
        var refused = 0
        for c in cases {
            for line in try #require(c["lines"]?.arrayValue).compactMap(\.stringValue) {
                let (hot, reference) = Self.outcomes(Array(line.utf8))
                #expect(hot == reference, "\(c["name"]?.stringValue ?? "?"): \(hot) vs \(reference)")
                if !reference.isAccepted { refused += 1 }
            }
        }
        // The other lines are refused only as a log (a bad signature, a broken link, a gap): no
        // reader of one line sees that.
        #expect(refused > 0)
    }

    /// Hand-made faults of a valid line, each a way a line can differ from the canonical form.
    static func badLines(from line: String) -> [(name: String, bytes: [UInt8], mustRefuse: Bool)] {
        func edited(_ from: String, _ to: String) -> [UInt8] { Array(line.replacingOccurrences(of: from, with: to).utf8) }
        let sigRange = line.range(of: #","sig":"[0-9a-f]+""#, options: .regularExpression)!
        var withoutSig = line
        withoutSig.removeSubrange(sigRange)
        var lines: [(String, [UInt8], Bool)] = [
            ("duplicate member", edited(#","v":1}"#, #","v":1,"v":1}"#), true),
            ("duplicate data member", edited(#""channel":"online"}"#, #""channel":"online","channel":"online"}"#), true),
            ("unsorted members", Array(("{\"v\":1," + line.dropFirst().replacingOccurrences(of: #","v":1}"#, with: "}")).utf8), false),
            ("unsorted data members", edited(#"{"case_no":"(2022)豫0802民初1号","channel":"online"}"#, #"{"channel":"online","case_no":"(2022)豫0802民初1号"}"#), false),
            ("whitespace between members", edited(#","id":"#, #", "id": "#), false),
            ("whitespace before the line", Array((" " + line).utf8), false),
            ("whitespace after the line", Array((line + " \t").utf8), false),
            ("a carriage return at the end", Array((line + "\r").utf8), false),
            ("seq with a leading zero", edited(#""seq":1,"#, #""seq":01,"#), true),
            ("seq as a fraction", edited(#""seq":1,"#, #""seq":1.0,"#), true),
            ("seq with an exponent", edited(#""seq":1,"#, #""seq":1e0,"#), true),
            ("seq of zero", edited(#""seq":1,"#, #""seq":0,"#), true),
            ("seq of minus zero", edited(#""seq":1,"#, #""seq":-0,"#), true),
            ("seq beyond 2^53", edited(#""seq":1,"#, #""seq":9007199254740993,"#), true),
            ("seq of twenty digits", edited(#""seq":1,"#, #""seq":12345678901234567890,"#), true),
            ("seq as a string", edited(#""seq":1,"#, #""seq":"1","#), true),
            ("a bad escape", edited(#""channel":"online""#, #""channel":"onl\xine""#), true),
            ("an escaped slash", edited(#""dept":"case-filing""#, #""dept":"case\/filing""#), false),
            ("a needless \\u escape", edited(#""channel":"online""#, #""channel":"\u006fnline""#), false),
            ("an unpaired surrogate", edited(#""channel":"online""#, #""channel":"\ud800""#), true),
            ("a raw control character", edited(#""channel":"online""#, "\"channel\":\"on\u{01}line\""), true),
            ("trailing bytes", Array((line + "x").utf8), true),
            ("a second value after the line", Array((line + "{}").utf8), true),
            ("two lines in one", Array((line + line).utf8), true),
            ("node as an integer", edited(#""node":"410802""#, #""node":410802"#), true),
            ("node of five digits", edited(#""node":"410802""#, #""node":"41080""#), true),
            ("data as an array", edited(#""data":{"case_no":"(2022)豫0802民初1号","channel":"online"}"#, #""data":["(2022)豫0802民初1号"]"#), true),
            ("data as null", edited(#""data":{"case_no":"(2022)豫0802民初1号","channel":"online"}"#, #""data":null"#), true),
            ("v of 2", edited(#","v":1}"#, #","v":2}"#), true),
            ("v as a string", edited(#","v":1}"#, #","v":"1"}"#), true),
            ("dept as null", edited(#""dept":"case-filing""#, #""dept":null"#), true),
            ("hash in capitals", Array(line.replacingOccurrences(of: #""hash":"6bd8b7702ae433d5"#, with: #""hash":"6BD8B7702AE433D5"#).utf8), true),
            ("a changed content", edited("民初1号", "民初2号"), true),
            ("a missing member", Array(withoutSig.utf8), true),
            ("an extra member", edited(#","v":1}"#, #","v":1,"w":1}"#), true),
            ("an extra data field", edited(#""channel":"online"}"#, #""channel":"online","court":"x"}"#), true),
            ("an over-long line", edited(#""case_no":"(2022)豫0802民初1号""#, "\"case_no\":\"\(String(repeating: "长", count: 100_000))\""), true),
            ("an empty line", [], true),
            ("a truncated line", Array(line.utf8.dropLast(1)), true),
            ("only an opening brace", Array("{".utf8), true),
            ("an array", Array("[\(line)]".utf8), true),
        ]
        var invalid = Array(line.utf8)
        let dataAt = invalid.firstIndex(of: "豫".utf8.first!)!
        invalid[dataAt] = 0xFF
        lines.append(("invalid UTF-8 in data", invalid, true))
        var truncatedUTF8 = Array(line.utf8)
        truncatedUTF8.remove(at: dataAt + 1)
        lines.append(("a truncated UTF-8 sequence", truncatedUTF8, true))
        var highByte = Array(line.utf8)
        highByte[highByte.firstIndex(of: UInt8(ascii: "c"))!] = 0xC3
        lines.append(("a lone UTF-8 lead byte in a member name", highByte, true))
        return lines
    }

    @Test func refusesHandMadeFaultsAsTheGeneralReaderDoes() throws {
        let line = try Self.vectorLines()[0]
        #expect(line.contains(#""dept":"case-filing""#) && line.contains(#""channel":"online"}"#))
        for (name, bytes, mustRefuse) in Self.badLines(from: line) {
            let (hot, reference) = Self.outcomes(bytes)
            #expect(hot == reference, "\(name): \(hot) vs \(reference)")
            if mustRefuse { #expect(!reference.isAccepted, "\(name) was accepted") }
            // Only the canonical form is read in one pass: everything here is read the general way.
            #expect(CanonicalEnvelope.parse(bytes, catalog: .shipped) == nil, "\(name) was read in one pass")
        }
    }

    /// Every byte of valid lines replaced in turn by bytes that matter to a JSON reader.
    @Test func agreesWithTheGeneralReaderOnEverySingleByteChange() throws {
        let lines = try Self.vectorLines()
        let replacements: [UInt8] = [UInt8(ascii: "0"), UInt8(ascii: "a"), UInt8(ascii: "\""), UInt8(ascii: "\\"),
                                     UInt8(ascii: " "), UInt8(ascii: "}"), UInt8(ascii: ","), UInt8(ascii: ":"), 0xFF, 0x00]
        var compared = 0
        for line in [lines[0], lines[1], lines[lines.count - 1]] {
            let original = Array(line.utf8)
            for i in original.indices {
                for r in replacements where original[i] != r {
                    var bytes = original
                    bytes[i] = r
                    let (hot, reference) = Self.outcomes(bytes)
                    #expect(hot == reference, "byte \(i) of \(line.prefix(40)) as \(r): \(hot) vs \(reference)")
                    compared += 1
                }
            }
        }
        #expect(compared > 5_000)
    }
}
