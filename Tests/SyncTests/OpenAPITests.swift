import Foundation
import SyncProtocol
import Testing

@Suite("protocol/openapi.yaml")
struct OpenAPITests {
    /// Path keys of the OpenAPI document with their methods, found by indentation.
    static func documentedRoutes() throws -> Set<String> {
        let url = SyncHarness.packageRoot.appendingPathComponent("protocol/openapi.yaml")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var routes = Set<String>()
        var inPaths = false
        var current: String?
        for line in lines {
            if line.hasPrefix("paths:") { inPaths = true; continue }
            if inPaths, let first = line.first, !first.isWhitespace { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                current = String(line.dropFirst(2).dropLast())
            } else if let current, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "delete", "patch"].contains(String(key)) { routes.insert("\(key.uppercased()) \(current)") }
            }
        }
        return routes
    }

    @Test func documentsExactlyTheRoutesTheHubServes() throws {
        let served = Set((ApiPaths.routes + ApiPaths.dashboardRoutes).map { "\($0.method) \($0.path)" })
        let documented = try Self.documentedRoutes()
        #expect(!documented.isEmpty)
        #expect(documented == served, "documented but not served: \(documented.subtracting(served)); served but not documented: \(served.subtracting(documented))")
    }
}
