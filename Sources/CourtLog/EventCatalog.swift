import CanonicalJSON

/// The event vocabulary of `protocol/event-catalog.json`, compiled into the binary.
///
/// The file in `protocol/` is the contract; this type only reads it, so the two cannot drift.
public struct EventCatalog: Sendable {
    /// Who may write events of a type.
    public enum Role: String, Sendable { case usage, policy, explanation }

    /// The kind of value a data field holds.
    public enum Kind: Sendable, Equatable {
        case string(maxLength: Int), text, integer(min: Int64?), boolean, enumeration([String])
        case timestamp, date, period, stringList, object
    }

    public struct Field: Sendable {
        public let name: String
        public let kind: Kind
        public let required: Bool
    }

    public struct EventType: Sendable {
        public let name: String
        public let role: Role
        public let summary: String
        public let fields: [String: Field]
        /// Field names in a stable order (for CSV templates and help).
        public let fieldOrder: [String]
    }

    public let types: [String: EventType]
    /// The envelope version this catalog describes (`v`).
    public let envelopeVersion: Int64

    /// The catalog shipped with this build.
    public static let shipped: EventCatalog = {
        do {
            return try EventCatalog(json: StrictJSONParser.parse(PackageResources.event_catalog_json))
        } catch {
            preconditionFailure("the embedded protocol/event-catalog.json does not parse: \(error)")
        }
    }()

    /// Reads a catalog document (format `courtsync-event-catalog/1`).
    public init(json: JSONValue) throws(EventError) {
        guard json["format"]?.stringValue == "courtsync-event-catalog/1",
              let version = json["envelope_version"]?.intValue,
              let typeObjects = json["types"]?.objectValue else {
            throw EventError("event catalog: expected format courtsync-event-catalog/1 with envelope_version and types")
        }
        var types: [String: EventType] = [:]
        for (name, spec) in typeObjects {
            guard let roleText = spec["role"]?.stringValue, let role = Role(rawValue: roleText),
                  let fieldObjects = spec["fields"]?.objectValue else {
                throw EventError("event catalog: type \(name) needs a role (usage, policy, explanation) and fields")
            }
            var fields: [String: Field] = [:]
            for (fieldName, f) in fieldObjects {
                let kind: Kind
                switch f["kind"]?.stringValue {
                case "string": kind = .string(maxLength: Int(f["max_length"]?.intValue ?? 256))
                case "text": kind = .text
                case "integer": kind = .integer(min: f["min"]?.intValue)
                case "boolean": kind = .boolean
                case "enum": kind = .enumeration(f["values"]?.arrayValue?.compactMap(\.stringValue) ?? [])
                case "timestamp": kind = .timestamp
                case "date": kind = .date
                case "period": kind = .period
                case "string_list": kind = .stringList
                case "object": kind = .object
                default: throw EventError("event catalog: field \(name).\(fieldName) has an unknown kind")
                }
                fields[fieldName] = Field(name: fieldName, kind: kind, required: f["required"]?.boolValue ?? false)
            }
            let order = fields.values.sorted { ($0.required ? 0 : 1, $0.name) < ($1.required ? 0 : 1, $1.name) }.map(\.name)
            types[name] = EventType(name: name, role: role, summary: spec["summary"]?.stringValue ?? "", fields: fields, fieldOrder: order)
        }
        self.types = types
        self.envelopeVersion = version
    }

    /// The type named `name`, or an error listing the known ones.
    public func type(named name: String) throws(EventError) -> EventType {
        guard let t = types[name] else {
            throw EventError("unknown event type '\(name)': use one of \(types.keys.sorted().joined(separator: ", "))")
        }
        return t
    }

    /// Checks `data` against the type's fields (the field's name is worded only for an error:
    /// every event the hub receives passes here): no unknown field, no missing field, every value of its kind.
    public func validate(type name: String, data: [String: JSONValue]) throws(EventError) {
        let t = try type(named: name)
        // The unknown field named is the first in sorted order; sorted only when there is one.
        if data.keys.contains(where: { t.fields[$0] == nil }) {
            for key in data.keys.sorted() where t.fields[key] == nil {
                throw EventError("unknown field '\(key)' for \(name): its fields are \(t.fieldOrder.joined(separator: ", "))")
            }
        }
        for fieldName in t.fieldOrder {
            guard let field = t.fields[fieldName] else { continue }
            guard let value = data[field.name] else {
                if field.required { throw EventError("missing field '\(field.name)', which \(name) requires") }
                continue
            }
            try Self.check(value, of: field.kind, name: "\(name) field '\(field.name)'")
        }
    }

    static func check(_ value: JSONValue, of kind: Kind, name: @autoclosure () -> String) throws(EventError) {
        switch kind {
        case .string(let maxLength):
            guard case .string(let s) = value else { throw EventError("\(name()) must be a string, not \(value.kindName)") }
            try checkText(s, max: maxLength, allowNewlines: false, name: name())
        case .text:
            guard case .string(let s) = value else { throw EventError("\(name()) must be a string, not \(value.kindName)") }
            try checkText(s, max: 10000, allowNewlines: true, name: name())
        case .integer(let min):
            guard case .int(let i) = value else { throw EventError("\(name()) must be an integer, not \(value.kindName)") }
            if let min, i < min { throw EventError("\(name()) must be at least \(min), not \(i)") }
        case .boolean:
            guard case .bool = value else { throw EventError("\(name()) must be a boolean (true or false), not \(value.kindName)") }
        case .enumeration(let values):
            guard case .string(let s) = value, values.contains(s) else {
                throw EventError("\(name()) must be one of \(values.joined(separator: ", "))")
            }
        case .timestamp:
            guard case .string(let s) = value else { throw EventError("\(name()) must be a timestamp string, not \(value.kindName)") }
            do { _ = try EventTime(parsing: s) } catch { throw EventError("\(name()): \(error.reason)") }
        case .date:
            guard case .string(let s) = value else { throw EventError("\(name()) must be a date string, not \(value.kindName)") }
            do { _ = try CivilDate(parsing: s) } catch { throw EventError("\(name()): \(error.reason)") }
        case .period:
            guard case .string(let s) = value else { throw EventError("\(name()) must be a period string, not \(value.kindName)") }
            do { _ = try Period(parsing: s) } catch { throw EventError("\(name()): \(error.reason)") }
        case .stringList:
            guard case .array(let items) = value, (1...64).contains(items.count) else {
                throw EventError("\(name()) must be a list of 1 to 64 strings")
            }
            var seen = Set<String>()
            for item in items {
                guard case .string(let s) = item else { throw EventError("\(name()) must hold strings only, not \(item.kindName)") }
                try checkText(s, max: 256, allowNewlines: false, name: name())
                guard seen.insert(s).inserted else { throw EventError("\(name()) lists '\(s)' twice") }
            }
        case .object:
            guard case .object = value else { throw EventError("\(name()) must be an object, not \(value.kindName)") }
        }
    }

    static func checkText(_ s: String, max: Int, allowNewlines: Bool, name: @autoclosure () -> String) throws(EventError) {
        var count = 0
        for scalar in s.unicodeScalars {
            count += 1
            let v = scalar.value
            if v < 0x20 || v == 0x7F {
                if allowNewlines && (v == 0x0A || v == 0x09) { continue }
                throw EventError("\(name()) holds a control character (U+\(String(v, radix: 16, uppercase: true))): remove it")
            }
        }
        if count == 0 { throw EventError("\(name()) is empty: give a value") }
        if count > max { throw EventError("\(name()) is longer than \(max) characters") }
    }
}
