import CanonicalJSON

extension EventCatalog {
    /// The Chinese (and other) labels an office file may use for an enum value or a boolean,
    /// from `value_labels` in `protocol/event-catalog.json`: label → canonical value
    /// (`网上` → `online`, `是` → `true`). Import translates them; signed data always holds the
    /// canonical English value.
    public static let shippedLabels: [String: String] = {
        guard let json = try? StrictJSONParser.parse(PackageResources.event_catalog_json),
              let labels = json["value_labels"]?.objectValue else { return [:] }
        var out: [String: String] = [:]
        for (value, names) in labels {
            for name in names.arrayValue?.compactMap(\.stringValue) ?? [] { out[name] = value }
        }
        return out
    }()

    /// The labels of `value`, for messages (`online` → `网上, 线上`).
    public static func labels(of value: String) -> [String] {
        shippedLabels.filter { $0.value == value }.map(\.key).sorted()
    }
}
