import CourtLog
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("kept files: whole, synced, private from the first byte")
struct KeptFileTests {
    static func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "kept-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func mode(_ path: String) -> mode_t {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o777 : 0
    }

    @Test func createWritesTheBytesWithTheModeAndRefusesASecondTime() throws {
        let dir = try Self.directory(); defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = "\(dir)/node.key"
        try KeptFile.create(key, bytes: Array("seed\n".utf8), mode: 0o600)
        #expect(FileManager.default.contents(atPath: key) == Data("seed\n".utf8))
        #expect(Self.mode(key) == 0o600)
        #expect(throws: KeptFile.Failure.exists) { try KeptFile.create(key, bytes: Array("other\n".utf8), mode: 0o600) }
        // The key made first is kept.
        #expect(FileManager.default.contents(atPath: key) == Data("seed\n".utf8))
    }

    @Test func replaceSwapsTheWholeFileAndLeavesNoTemporaryBehind() throws {
        let dir = try Self.directory(); defer { try? FileManager.default.removeItem(atPath: dir) }
        let bundle = "\(dir)/bundle.json"
        try KeptFile.replace(bundle, bytes: Array("{\"v\":1}\n".utf8), mode: 0o644)
        try KeptFile.replace(bundle, bytes: Array("{\"v\":2}\n".utf8), mode: 0o600)
        #expect(FileManager.default.contents(atPath: bundle) == Data("{\"v\":2}\n".utf8))
        #expect(Self.mode(bundle) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["bundle.json"])
    }

    @Test func aFileThatCannotBeWrittenIsAnErrorNamingTheCauseAndLeavesNothing() throws {
        let dir = try Self.directory(); defer { try? FileManager.default.removeItem(atPath: dir) }
        let missing = "\(dir)/no-such-directory/hub.json"
        #expect(throws: KeptFile.Failure.io(ENOENT)) { try KeptFile.replace(missing, bytes: [1, 2, 3], mode: 0o600) }
        #expect(KeptFile.Failure.io(ENOENT).description == "No such file or directory")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }
}
