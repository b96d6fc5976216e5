import Foundation
import Testing

/// `node backup` while the node appends, and `node restore`: every backup verifies, a restore
/// gives a node that verifies, and wrong input changes nothing.
@Suite struct BackupTests {
    static func filings(_ count: Int, from: Int = 1) -> String {
        (from..<(from + count)).map { i in
            #"{"type":"case.filed","at":"2022-09-\#(String(format: "%02d", 1 + i % 28))T09:00:00+08:00","data":{"case_no":"(2022)豫0802民初\#(i)号","channel":"online"}}"#
        }.joined(separator: "\n")
    }

    @Test func backupsTakenDuringAnImportVerifyAndRestore() throws {
        let s = try Scratch()
        defer { s.remove() }
        let node = s.file("jiefang")
        #expect(try CLI.run(["node", "init", "--dir", node, "--court", "410802"]).status == 0)
        let file = try s.write("big.jsonl", Self.filings(40_000))
        let importer = try CLI.start(["node", "import", "--dir", node, "--batch", "500", file])
        var backups: [(String, Int)] = []
        var duringImport = 0
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline {
            let running = importer.isRunning
            let out = s.file("b\(backups.count).backup")
            let r = try CLI.run(["node", "backup", "--dir", node, "--out", out])
            #expect(r.status == 0 && r.stdout.contains("verified"), "\(r.output)")
            let seq = Int(r.stdout.split(separator: " ").drop { $0 != "seq" }.dropFirst().first?.filter(\.isNumber) ?? "") ?? -1
            backups.append((out, seq))
            if running && importer.isRunning { duringImport += 1 }
            if !running { break }
        }
        importer.waitUntilExit()
        #expect(importer.terminationStatus == 0)
        #expect(duringImport >= 1, "no backup was taken while the import ran")
        // Snapshots only move forward, each a whole batch (500) or the initial empty log.
        let seqs = backups.map(\.1)
        #expect(seqs == seqs.sorted() && seqs.allSatisfy { $0 % 500 == 0 || $0 == 40_000 }, "\(seqs)")
        #expect(seqs.last == 40_000)

        // A backup taken mid-import restores to a node that verifies and can go on.
        let (middle, seq) = backups[backups.count / 2]
        let restored = s.file("restored")
        let r = try CLI.run(["node", "restore", "--dir", restored, middle])
        #expect(r.status == 0 && r.stdout.contains("seq \(seq)"), "\(r.output)")
        #expect(try headSeq(restored) == seq)
        #expect(try publicKey(restored) == (try publicKey(node)))
        let verify = try CLI.run(["audit", "verify", "--dir", restored])
        #expect(verify.status == 0, "\(verify.output)")
        let more = try s.write("more.jsonl", Self.filings(3, from: 50_000))
        #expect(try CLI.run(["node", "import", "--dir", restored, more]).status == 0)
        #expect(try headSeq(restored) == seq + 3)
        let stray = try FileManager.default.contentsOfDirectory(atPath: s.path).filter { $0.contains("partial") || $0.hasSuffix("-wal") || $0.hasSuffix("-shm") }
        #expect(stray.isEmpty, "a backup is one file: \(stray)")
        let restoredFiles = try FileManager.default.contentsOfDirectory(atPath: restored).filter { $0.hasPrefix(".") }
        #expect(restoredFiles.isEmpty, "no temporary files left in the restored node: \(restoredFiles)")
        let mode = try FileManager.default.attributesOfItem(atPath: middle)[.posixPermissions] as? Int
        #expect(mode == 0o600, "a backup holds the key")
        let keyMode = try FileManager.default.attributesOfItem(atPath: "\(restored)/node.key")[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
    }

    @Test func wrongInputIsRefusedAndNothingIsHalfWritten() throws {
        let s = try Scratch()
        defer { s.remove() }
        let node = s.file("jiefang")
        #expect(try CLI.run(["node", "init", "--dir", node, "--court", "410802"]).status == 0)
        #expect(try CLI.run(["node", "import", "--dir", node, try s.write("a.jsonl", Self.filings(10))]).status == 0)
        let good = s.file("good.backup")
        #expect(try CLI.run(["node", "backup", "--dir", node, "--out", good]).status == 0)

        expectOneLineError(try CLI.run(["node", "backup", "--dir", s.file("nowhere"), "--out", s.file("x.backup")]), contains: "does not exist")
        expectOneLineError(try CLI.run(["node", "backup", "--dir", node, "--out", good]), contains: "already exists")
        expectOneLineError(try CLI.run(["node", "backup", "--dir", node, "--out", s.file("no/such/dir/x.backup")]), contains: "cannot")
        #expect(!FileManager.default.fileExists(atPath: s.file("x.backup")))

        expectOneLineError(try CLI.run(["node", "restore", "--dir", node, good]), contains: "already holds a node")
        expectOneLineError(try CLI.run(["node", "restore", "--dir", s.file("r1"), s.file("missing.backup")]), contains: "does not exist")
        let garbage = try s.write("garbage.backup", "this is not a database")
        expectOneLineError(try CLI.run(["node", "restore", "--dir", s.file("r2"), garbage]), contains: "not a CourtSync backup")
        #expect(!FileManager.default.fileExists(atPath: s.file("r2/node.json")))

        // A tampered backup (an event's type column changed) does not verify: nothing restored.
        let tampered = s.file("tampered.backup")
        try FileManager.default.copyItem(atPath: good, toPath: tampered)
        let py = Process()
        py.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        py.arguments = ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE event SET type='fee.paid' WHERE seq=3\"); c.commit()", tampered]
        try py.run()
        py.waitUntilExit()
        #expect(py.terminationStatus == 0)
        expectOneLineError(try CLI.run(["node", "restore", "--dir", s.file("r3"), tampered]), contains: "does not verify")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: s.file("r3"))) ?? []
        #expect(left.isEmpty, "nothing half-written: \(left)")
    }
}
