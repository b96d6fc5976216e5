import Foundation
import Testing

/// The dashboard's live feed on a PostgreSQL hub with two replicas: a push taken by one replica
/// is announced on the other's open pages once that replica has folded it.
@Suite("live dashboard updates across PostgreSQL replicas", .serialized)
struct PostgresDashboardLiveTests {
    @Test func aPushTakenByOneReplicaIsAnnouncedByTheOther() throws {
        var h = try SyncHarness(database: try PostgresCluster.database()); defer { h.remove() }
        try h.startHub()
        let port2 = SyncHarness.freePort()
        let second = try h.startReplica(port: port2, projection: h.path("replica2.sqlite"))
        defer { kill(second.processIdentifier, SIGKILL); second.waitUntilExit() }
        let jiefang = try h.enrolledNode("410802")
        try h.record(jiefang, court: "410802", count: 5, online: 5)
        let file = h.path("alice.auditor.json")
        #expect(try h.run(["hub", "auditor", "add", "--dir", h.hub, "--out", file, "alice"]).status == 0)
        let token = (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])?["token"] as? String ?? ""
        let base = ["-s", "-N", "--cacert", "\(h.hub)/tls/ca.pem", "-H", "Authorization: Bearer \(token)"]
        let onSecond = try ProcessLines("/usr/bin/curl", base + ["https://localhost:\(port2)/dashboard/events"])
        defer { onSecond.stop() }
        let onFirst = try ProcessLines("/usr/bin/curl", base + ["https://localhost:\(h.port)/dashboard/events"])
        defer { onFirst.stop() }
        #expect(onSecond.wait(seconds: 60) { $0.contains(": connected") }, "\(onSecond.output)")
        #expect(onFirst.wait(seconds: 60) { $0.contains(": connected") }, "\(onFirst.output)")

        // 解放区 pushes to the first replica (its bundle's URL); both replicas' pages hear of it.
        let sync = try h.run(["node", "sync", "--dir", jiefang])
        #expect(sync.status == 0, "\(sync.output)")
        #expect(onSecond.wait(seconds: 60) { $0.contains("event: sync\ndata: 410802\n") }, "the other replica: \(onSecond.output)")
        #expect(onFirst.wait(seconds: 60) { $0.contains("event: sync\ndata: 410802\n") }, "the replica that took the push: \(onFirst.output)")
    }
}
