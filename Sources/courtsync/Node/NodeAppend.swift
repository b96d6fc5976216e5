import ArgumentParser
import CanonicalJSON
import CourtLog
import Foundation
import NodeStore

struct NodeAppend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "记录一条事件 append — Record one event; returns only after it is durably committed.",
        discussion: "Example: courtsync node append --dir D --type case.filed --dept 立案庭 --at 2022-08-01T09:30:00+08:00 case_no=(2022)豫0802民初1号 channel=online")

    @OptionGroup var node: NodeOptions

    @Option(help: "The event type, e.g. case.filed (see protocol/event-catalog.json).")
    var type: String

    @Option(help: "When it happened: 2022-08-01T09:30:00+08:00, or 2022-08-01 09:30 / 2022/8/1 9:30 / 2022-08-01, taken as 北京时间 (+08:00, every court's time).")
    var at: String

    @Option(help: "The department (slug or name as in the plan); leave out when the whole court is the unit.")
    var dept: String?

    @Option(help: "The idempotency id (default: a new random one). The same id with the same content is a no-op.")
    var id: String?

    @Argument(help: "Data fields as name=value; values take the kind the catalog gives the field.")
    var fields: [String] = []

    func run() throws {
        let spec = try EventCatalog.shipped.type(named: type)
        var data: [String: JSONValue] = [:]
        for pair in fields {
            guard let eq = pair.firstIndex(of: "=") else {
                throw EventError("'\(pair)' is not name=value: write data fields as e.g. channel=online")
            }
            let name = String(pair[..<eq]), value = String(pair[pair.index(after: eq)...])
            guard let field = spec.fields[name] else {
                throw EventError("unknown field '\(name)' for \(type): its fields are \(spec.fieldOrder.joined(separator: ", "))")
            }
            guard data[name] == nil else { throw EventError("field '\(name)' is given twice") }
            data[name] = try EventRecordReader.typed(value, kind: field.kind, name: "\(type) field '\(name)'", field: name)
        }
        let dir = try NodeDirectory.open(at: node.dir)
        let draft = try EventRecordReader(now: nowSeconds).draft(id: id ?? UUID().uuidString.lowercased(), type: type, at: at, dept: dept, data: data)
        let outcome = try dir.append([draft], recordedAt: nowSeconds)
        if let event = outcome.appended.first {
            print("appended seq \(event.seq) id \(event.id) hash \(event.hash.hex)")
        } else if let existing = outcome.alreadyStored.first {
            print("already recorded as seq \(existing.seq) (id \(existing.id), same content): nothing appended")
        }
    }
}
