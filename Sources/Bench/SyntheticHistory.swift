import CourtLog
import Foundation
import GRDB
@_spi(Bench) import NodeStore
import Projections

/// Unsigned rows of the event table's shape, for measuring replay and queries at sizes that
/// signing would make slow to build. Replay reads only the stored columns, so the rows are
/// realistic there: eleven courts, the intermediate court's departments, a year of months,
/// every usage type. Never used outside `courtsync bench`.
public enum SyntheticHistory {
    /// Appends `count` rows to `store` after what it holds; deterministic.
    public static func fill(_ store: EventStore, count: Int, startingAt offset: Int = 0) throws {
        let courts = ["410800", "410802", "410803", "410804", "410811", "410821", "410822", "410823", "410825", "410882", "410883"]
        let depts = ["case-filing", "civil-1", "civil-2", "criminal-1", "trial-management", "enforcement-1", "petitions"]
        let blob32 = Data(repeating: 7, count: 32), blob64 = Data(repeating: 9, count: 64), body = Data("{}".utf8)
        try store.pool.write { db in
            var seqs: [String: Int64] = [:]
            for c in courts { seqs[c] = try Int64.fetchOne(db, sql: "SELECT seq FROM log_head WHERE node = ?", arguments: [c]) ?? 0 }
            let insert = try db.cachedStatement(sql: """
                INSERT INTO event (node, seq, id, type, at, at_utc, month, dept, subject, channel, ok, delay_s, amount,
                                   content, hash, prev, sig, body, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var rng = SplitMix(seed: UInt64(offset) &+ 77)
            for i in offset..<(offset + count) {
                let node = courts[i % courts.count]
                seqs[node]! += 1
                let month = 202208 + (i / 7919) % 12
                let m = month % 100 > 12 ? month + 88 : month
                let atUTC: Int64 = 1_659_312_000 + Int64(i % 31_000_000)
                let r = rng.next()
                let kind = Int(r % 10)
                let dept: String? = node == "410800" ? depts[Int(r >> 8) % depts.count] : nil
                let caseNo = "(2022)豫\(node.suffix(4))民初\(i / 3)号"
                let row: (String, String?, String?, Bool?, Int64?, Int64?)
                switch kind {
                case 0: row = ("case.filed", caseNo, r % 100 < 97 ? "online" : "offline", nil, nil, nil)
                case 1: row = ("service.delivered", caseNo, r % 100 < 90 ? "electronic" : "postal", nil, nil, nil)
                case 2: row = ("hearing.held", caseNo, r % 100 < 40 ? "online" : "offline", r % 7 == 0, nil, nil)
                case 3: row = ("filing.reviewed", "A\(i)", nil, r % 10 != 0, Int64(r % 200_000), nil)
                case 4: row = ("staff.active", "s\(node)-\(r % 300)", r % 2 == 0 ? "oa" : "mobile", nil, nil, nil)
                case 5: row = ("dossier.checked", caseNo, nil, r % 100 < 88, nil, nil)
                case 6: row = ("lawyer.submission", caseNo, r % 2 == 0 ? "filing" : "trial", r % 100 < 75, nil, nil)
                case 7: row = ("fee.paid", caseNo, r % 100 < 92 ? "online" : "offline", nil, nil, nil)
                case 8: row = ("file_review.decided", caseNo, "online", r % 20 != 0, Int64(r % 100_000), nil)
                default: row = ("mediation.concluded", caseNo, "online", r % 2 == 0, nil, nil)
                }
                insert.setUncheckedArguments([
                    node, seqs[node]!, "syn-\(i)", row.0, "synthetic", atUTC, m, dept, row.1, row.2, row.3, row.4, row.5,
                    blob32, blob32, blob32, blob64, body, 1_700_000_000,
                ])
                try insert.execute()
            }
            for (node, seq) in seqs where seq > 0 {
                try db.execute(sql: "INSERT OR REPLACE INTO log_head (node, seq, hash) VALUES (?, ?, ?)", arguments: [node, seq, blob32])
            }
        }
    }
}
