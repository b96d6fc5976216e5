import CanonicalJSON
import CourtLog
import Foundation
import NodeStore
import NodeSync

/// `query ... --hub URL`: asks the hub, as an enrolled node or an auditor, and returns its answer.
enum HubQuery {
    static func get(hub: String, path: String, query: [String: String], nodeDir: String?, auditorFile: String?) throws -> String {
        let client: HubClient
        if let auditorFile {
            guard let data = FileManager.default.contents(atPath: auditorFile), let json = try? StrictJSONParser.parse(Array(data)),
                  let ca = json["ca_pem"]?.stringValue, let token = json["token"]?.stringValue else {
                throw EventError("\(auditorFile) is not an auditor credential: use the file `courtsync hub auditor add` wrote")
            }
            client = try HubClient(baseURL: hub, caPEM: ca, certificatePEM: nil, privateKeyPEM: nil, token: token)
        } else if let nodeDir {
            let node = try NodeDirectory.open(at: nodeDir)
            let bundle = try NodeEnrollment.bundle(node)
            let key = FileManager.default.contents(atPath: "\(nodeDir)/\(NodeEnrollment.tlsKeyName)").map { String(decoding: $0, as: UTF8.self) }
            client = try HubClient(baseURL: hub, caPEM: bundle.caPEM, certificatePEM: bundle.clientCertificatePEM, privateKeyPEM: key)
        } else {
            throw EventError("--hub needs a credential: --dir of an enrolled node, or --auditor FILE")
        }
        let reply = try blocking {
            defer { Task { await client.shutdown() } }
            return try await client.get(path, query: query)
        }
        guard reply.status == 200 else { throw EventError("the hub answered \(reply.status): \(reply.error)") }
        return reply.text
    }
}

/// Runs async work from a synchronous command.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let semaphore = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        semaphore.signal()
    }
    semaphore.wait()
    return try box.result!.get()
}

final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
