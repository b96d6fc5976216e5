import Foundation
import GRDB
@_spi(Bench) import NodeStore

/// The raw SQLite limit the bench compares appends with: prepared inserts of ready-made rows
/// of the event table's shape, in one transaction, with no hashing, signing or checks.
public enum RawInsertLimit {
    /// Inserts `count` rows into a fresh database at `path`; returns the seconds taken.
    public static func measure(count: Int, path: String) throws -> Double {
        let store = try EventStore(path: path)
        let body = Data(repeating: 0x61, count: 260)
        let blob32 = Data(repeating: 7, count: 32)
        let blob64 = Data(repeating: 9, count: 64)
        // Arguments are built before the clock starts: the limit is SQLite's, not Swift's.
        let rows: [StatementArguments] = (0..<count).map { i in
            [
                "999999", i + 1, "raw-\(i)", "case.filed", "2022-08-01T09:30:00+08:00", 1_659_317_400, 202208, "case-filing",
                "(2022)豫0802民初\(i)号", "online", true, nil, nil, blob32, blob32, blob32, blob64, body, 0,
            ]
        }
        let start = DispatchTime.now()
        try store.pool.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO event (node, seq, id, type, at, at_utc, month, dept, subject, channel, ok, delay_s, amount,
                                   content, hash, prev, sig, body, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for arguments in rows {
                insert.setUncheckedArguments(arguments)
                try insert.execute()
            }
        }
        return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
