import Foundation
import Testing

/// Runs the real `courtsync` binary as a child process, as an operator would.
struct CLI {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        /// What a person sees: both streams.
        var output: String { stdout + stderr }
    }

    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The binary built beside the tests (or in .build/debug).
    static let binary: String = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("courtsync").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        for config in ["debug", "release"] {
            let p = packageRoot.appendingPathComponent(".build/\(config)/courtsync").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return beside
    }()

    @discardableResult
    static func run(_ arguments: [String], cwd: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes before waiting so a large output cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Starts the binary without waiting (for kill -9 tests).
    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct Scratch {
    let path: String
    init(_ name: String = #function) throws {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        path = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-test-\(safe)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { "\(path)/\(name)" }
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: file(name), atomically: true, encoding: .utf8)
        return file(name)
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The node's head seq, read through `node status --format json`.
func headSeq(_ dir: String) throws -> Int {
    let r = try CLI.run(["node", "status", "--dir", dir, "--format", "json"])
    let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    return json?["seq"] as? Int ?? -1
}

func publicKey(_ dir: String) throws -> String {
    let r = try CLI.run(["node", "status", "--dir", dir, "--format", "json"])
    let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    return json?["public_key"] as? String ?? ""
}

/// One line, non-empty, saying what is wrong (errors must not be stack traces or dumps).
func expectOneLineError(_ r: CLI.Result, contains phrase: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status != 0, "expected a non-zero exit for an error containing '\(phrase)'", sourceLocation: sourceLocation)
    let text = r.output.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(text.contains(phrase), "expected '\(phrase)' in: \(text)", sourceLocation: sourceLocation)
    #expect(!text.isEmpty && text.split(separator: "\n").count == 1, "expected one line, got: \(text)", sourceLocation: sourceLocation)
}
