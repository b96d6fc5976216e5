import CanonicalJSON
import Foundation
import Testing
@testable import CourtLog

/// `audit verify FILE` reads an export a window at a time (issue 13: constant memory): the
/// same faults at the same lines as a whole-file check, across window boundaries.
@Suite("an export verified from a file, a window at a time")
struct StreamingVerifyTests {
    /// Filings with ids f1, f2, …; `reuse` gives event `at` the id of event `of`.
    static func export(_ count: Int, key: NodeKey, reuse: (at: Int, of: Int)? = nil) throws -> [SignedEvent] {
        let drafts = try (1...count).map { i in
            try EventDraft(id: "f\(reuse?.at == i ? reuse!.of : i)", type: "case.filed", at: try EventTime(parsing: "2022-09-01T09:00:00+08:00"), dept: nil,
                           data: ["case_no": .string("(2022)豫0802民初\(i)号"), "channel": "online"])
        }
        return EventSealer(node: "410802", key: key).seal(drafts, after: .empty)
    }

    static func write(_ events: [SignedEvent], finalNewline: Bool = true) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-stream-\(UUID().uuidString.prefix(8)).jsonl").path
        var bytes: [UInt8] = []
        for e in events { bytes += e.exportLine; bytes.append(0x0A) }
        if !finalNewline { bytes.removeLast() }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func verify(_ path: String, key: NodeKey) throws -> EventError? {
        do {
            _ = try ExportVerifier(node: "410802", publicKey: key.publicKey).verify(try JSONLines(path: path))
            return nil
        } catch { return error }
    }

    @Test func aFileOfMoreThanTwoWindowsVerifiesWhole() throws {
        let key = NodeKey()
        // 4,096 per window: two full windows and 100 more lines.
        let events = try Self.export(2 * ExportVerifier.window + 100, key: key)
        let path = try Self.write(events); defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try ExportVerifier(node: "410802", publicKey: key.publicKey).verify(try JSONLines(path: path))
        #expect(result.events == 8_292)
        #expect(result.head == LogHead(seq: 8_292, hash: events.last!.hash))
        #expect(result.kept.isEmpty)
    }

    @Test func anIdRepeatedInALaterWindowIsFoundAtItsLine() throws {
        let key = NodeKey()
        // Event 5,000 (second window) reuses the id of event 3 (first window).
        let events = try Self.export(6_000, key: key, reuse: (at: 5_000, of: 3))
        let path = try Self.write(events); defer { try? FileManager.default.removeItem(atPath: path) }
        let error = try Self.verify(path, key: key)
        #expect(error?.line == 5_000 && error?.seq == 5_000)
        #expect(error?.reason.hasPrefix("duplicate id 'f3'") == true, "\(String(describing: error))")
        // The same bytes in memory give the same answer.
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(throws: error!) { try ExportVerifier(node: "410802", publicKey: key.publicKey).verify(bytes) }
    }

    @Test func theFirstFaultByLineWinsAcrossWindows() throws {
        let key = NodeKey()
        var events = try Self.export(6_000, key: key, reuse: (at: 5_000, of: 3))
        // A signature by another key at line 4,500, before the repeated id at line 5,000.
        let forged = try Self.export(6_000, key: NodeKey(), reuse: (at: 5_000, of: 3))
        events[4_499] = forged[4_499]
        let path = try Self.write(events); defer { try? FileManager.default.removeItem(atPath: path) }
        let error = try Self.verify(path, key: key)
        #expect(error?.line == 4_500 && error?.reason.hasPrefix("bad signature") == true, "\(String(describing: error))")
    }

    @Test func aFileCutShortNamesItsLastLine() throws {
        let key = NodeKey()
        let path = try Self.write(try Self.export(5_000, key: key), finalNewline: false); defer { try? FileManager.default.removeItem(atPath: path) }
        let error = try Self.verify(path, key: key)
        #expect(error?.line == 5_000 && error?.reason.hasPrefix("missing final newline") == true)
    }
}
