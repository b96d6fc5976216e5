import ArgumentParser
import CourtLog
import Foundation
import NodeStore

struct NodeExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "导出签名日志 export — Write the node's signed envelopes as JSON Lines (protocol/README.md, export form).")

    @OptionGroup var node: NodeOptions

    @Option(help: "First seq to export.")
    var from: Int64 = 1

    @Option(help: "Write to this file instead of standard output.")
    var out: String?

    @Option(help: "Export the log of this court held by the node (default: the node's own).")
    var court: String?

    func validate() throws {
        guard from >= 1 else { throw ValidationError("--from must be 1 or more") }
    }

    func run() throws {
        let dir = try NodeDirectory.open(at: node.dir)
        let code = try court.map { try dir.plan.court($0).code } ?? dir.court.code
        let sink: FileHandle
        var tmp: String?
        if let out {
            tmp = out + ".partial"
            guard FileManager.default.createFile(atPath: tmp!, contents: nil), let h = FileHandle(forWritingAtPath: tmp!) else {
                throw EventError("cannot write \(out): choose a writable path")
            }
            sink = h
        } else {
            sink = .standardOutput
        }
        // A window at a time: a log of any length is exported in the same memory.
        let count = try dir.store.forEachWindow(of: code, from: from) { events in
            let lines = Parallel.map(events) { $0.exportLine }
            var buffer: [UInt8] = []
            buffer.reserveCapacity(lines.reduce(0) { $0 + $1.count + 1 })
            for line in lines { buffer += line; buffer.append(0x0A) }
            sink.write(Data(buffer))
        }
        if let out, let tmp {
            try sink.synchronize()
            try sink.close()
            if FileManager.default.fileExists(atPath: out) { try FileManager.default.removeItem(atPath: out) }
            try FileManager.default.moveItem(atPath: tmp, toPath: out)
            printError("exported \(count) events of node \(code) to \(out)")
        }
    }
}
