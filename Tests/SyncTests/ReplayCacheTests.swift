import CanonicalJSON
import CourtLog
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NodeStore
import QueryViews
import Testing
@testable import Hub

/// As-of and checkpoint queries replay the log; the hub keeps the last few replays and answers the
/// same question again from them, but only while they are still the answer (ReplayCache).
@Suite("the hub's kept replays")
struct ReplayCacheTests {
    typealias Hub = IngestRouterTests.Hub

    static func auditor(_ h: Hub) -> HTTPFields { [.authorization: "Bearer \(h.auditorToken)"] }

    /// 解放区's 网上立案率 row in a compliance answer, as numerator/denominator.
    static func onlineFiling(_ r: TestResponse) -> String? {
        var found: String?
        func walk(_ v: JSONValue) {
            switch v {
            case .object(let o):
                if o["indicator"] == .string("online-filing"), o["unit"] == .string("410802"),
                   case .int(let n)? = o["numerator"], case .int(let d)? = o["denominator"] { found = "\(n)/\(d)" }
                o.values.forEach(walk)
            case .array(let a): a.forEach(walk)
            default: break
            }
        }
        guard let answer = try? StrictJSONParser.parse(Array(buffer: r.body)) else { return nil }
        walk(answer)
        return found
    }

    @Test func checkpointQueriesAreBoundedLikeAsOfQueries() async throws {
        let h = try Hub(); defer { h.remove() }
        let gate = ReplayGate(limit: 1)
        try await h.app(replays: gate).test(.router) { client in
            try await client.execute(uri: IngestRouterTests.pushPath, method: .post, headers: IngestRouterTests.asNode, body: IngestRouterTests.body(try h.events())) { r in
                #expect(r.status == .ok)
            }
            let size = try #require(try h.hub.log.latestCheckpoint()).size
            // Another replay holds the only slot: a checkpoint query is a full replay too.
            #expect(gate.enter())
            try await client.execute(uri: "/v1/query/compliance?period=2022-09&checkpoint=\(size)", method: .get, headers: Self.auditor(h)) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(IngestRouterTests.refusal(r)?.reason == .busy(retryAfter: ReplayGate.retryAfterSeconds))
            }
            gate.leave()
            try await client.execute(uri: "/v1/query/compliance?period=2022-09&checkpoint=\(size)", method: .get, headers: Self.auditor(h)) { r in
                #expect(r.status == .ok)
                // Five filings, all online: 5 / 5.
                #expect(Self.onlineFiling(r) == "5/5")
            }
        }
    }

    @Test func aCheckpointsReplayIsKeptAndAnsweredWithoutReplaying() async throws {
        let h = try Hub(); defer { h.remove() }
        let gate = ReplayGate(limit: 1)
        let cache = ReplayCache(capacity: 2)
        try await h.app(replays: gate, replayCache: cache).test(.router) { client in
            try await client.execute(uri: IngestRouterTests.pushPath, method: .post, headers: IngestRouterTests.asNode, body: IngestRouterTests.body(try h.events())) { r in
                #expect(r.status == .ok)
            }
            let size = try #require(try h.hub.log.latestCheckpoint()).size
            var first = ""
            try await client.execute(uri: "/v1/query/compliance?period=2022-09&checkpoint=\(size)", method: .get, headers: Self.auditor(h)) { r in
                #expect(r.status == .ok)
                first = String(buffer: r.body)
            }
            // Three more filings (f6 … f8) reach the hub: the checkpoint's answer stays 5 / 5.
            _ = try h.node.append(try Hub.filings(3, from: 6), recordedAt: 1_664_000_100)
            try await client.execute(uri: IngestRouterTests.pushPath, method: .post, headers: IngestRouterTests.asNode, body: IngestRouterTests.body(try h.events(from: 6))) { r in
                #expect(r.status == .ok)
            }
            // With every replay slot taken, the same checkpoint is still answered: from the kept replay.
            #expect(gate.enter())
            try await client.execute(uri: "/v1/query/compliance?period=2022-09&checkpoint=\(size)", method: .get, headers: Self.auditor(h)) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body) == first)
                #expect(Self.onlineFiling(r) == "5/5")
            }
            // A checkpoint not yet replayed needs a slot.
            let later = try #require(try h.hub.log.latestCheckpoint()).size
            #expect(later > size)
            try await client.execute(uri: "/v1/query/compliance?period=2022-09&checkpoint=\(later)", method: .get, headers: Self.auditor(h)) { r in
                #expect(r.status == .serviceUnavailable)
            }
            gate.leave()
            try await client.execute(uri: "/v1/query/compliance?period=2022-09&checkpoint=\(later)", method: .get, headers: Self.auditor(h)) { r in
                // 5 + 3 = 8 filings, all online.
                #expect(Self.onlineFiling(r) == "8/8")
            }
            try await client.execute(uri: "/metrics", method: .get, headers: IngestRouterTests.asNode) { r in
                let text = String(buffer: r.body)
                // Misses: the first query of `size` and the admitted query of `later` (the refused one was a miss too); hits: one.
                #expect(text.contains("courtsync_replay_queries_total{result=\"hit\"} 1\n"), "\(text)")
                #expect(text.contains("courtsync_replay_queries_total{result=\"miss\"} 3\n"), "\(text)")
                #expect(text.contains("courtsync_replays_kept 2\n"), "\(text)")
            }
        }
    }

    @Test func anAsOfReplayIsNotUsedOnceTheLogHasGrown() async throws {
        let h = try Hub(); defer { h.remove() }
        let gate = ReplayGate(limit: 1)
        let cache = ReplayCache(capacity: 4)
        // Far enough ahead that every push of the test is recorded before it.
        let asOf = "/v1/query/compliance?period=2022-09&as_of=2099-01-01"
        try await h.app(replays: gate, replayCache: cache).test(.router) { client in
            try await client.execute(uri: IngestRouterTests.pushPath, method: .post, headers: IngestRouterTests.asNode, body: IngestRouterTests.body(try h.events())) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: asOf, method: .get, headers: Self.auditor(h)) { r in
                #expect(Self.onlineFiling(r) == "5/5")
            }
            // Nothing new: answered again from the kept replay, even with every slot taken.
            #expect(gate.enter())
            try await client.execute(uri: asOf, method: .get, headers: Self.auditor(h)) { r in
                #expect(r.status == .ok)
                #expect(Self.onlineFiling(r) == "5/5")
            }
            // Three more filings arrive, recorded before the as-of time: the kept replay is no longer the answer.
            _ = try h.node.append(try Hub.filings(3, from: 6), recordedAt: 1_664_000_100)
            try await client.execute(uri: IngestRouterTests.pushPath, method: .post, headers: IngestRouterTests.asNode, body: IngestRouterTests.body(try h.events(from: 6))) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: asOf, method: .get, headers: Self.auditor(h)) { r in
                #expect(r.status == .serviceUnavailable, "a new replay is needed, and no slot is free")
            }
            gate.leave()
            try await client.execute(uri: asOf, method: .get, headers: Self.auditor(h)) { r in
                // 5 + 3 = 8 filings, all online.
                #expect(Self.onlineFiling(r) == "8/8")
            }
        }
        // The replay of the shorter log was dropped when the longer one was kept.
        #expect(cache.count == 1)
    }

    @Test func theLeastRecentlyUsedReplayIsDroppedFirst() throws {
        let h = try Hub(); defer { h.remove() }
        let cache = ReplayCache(capacity: 2)
        let source = try ProjectionSource.stored(h.hub.store)
        cache.keep(source, for: .checkpoint(treeSize: 1))
        cache.keep(source, for: .checkpoint(treeSize: 2))
        #expect(cache.source(for: .checkpoint(treeSize: 1)) != nil)   // 1 is now the most recent
        cache.keep(source, for: .checkpoint(treeSize: 3))              // drops 2
        #expect(cache.source(for: .checkpoint(treeSize: 2)) == nil)
        #expect(cache.source(for: .checkpoint(treeSize: 1)) != nil)
        #expect(cache.source(for: .checkpoint(treeSize: 3)) != nil)
        #expect(cache.count == 2)
        let none = ReplayCache(capacity: 0)
        none.keep(source, for: .checkpoint(treeSize: 1))
        #expect(none.source(for: .checkpoint(treeSize: 1)) == nil)
        #expect(ReplayCache.fromEnvironment(["COURTSYNC_REPLAY_CACHE": "0"]).capacity == 0)
        #expect(ReplayCache.fromEnvironment([:]).capacity == 4)
    }
}
