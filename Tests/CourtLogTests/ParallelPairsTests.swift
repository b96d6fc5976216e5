import Foundation
import Testing
@testable import CourtLog

@Suite("Parallel.mapPairs")
struct ParallelPairsTests {
    /// Counts how many of its instances are alive, to see that a failed map destroys what it made.
    final class Tracked: @unchecked Sendable {
        static let alive = Counter()
        let value: Int
        init(_ value: Int) { self.value = value; Self.alive.add(1) }
        deinit { Self.alive.add(-1) }
    }

    final class Counter: @unchecked Sendable {
        private var n = 0
        private let lock = NSLock()
        func add(_ d: Int) { lock.withLock { n += d } }
        var value: Int { lock.withLock { n } }
    }

    struct Refused: Error, Equatable { let item: Int }

    @Test func bothArraysComeBackInOrder() {
        for n in [0, 1, 127, 128, 1000, 4099] {
            let result = Parallel.mapPairs(count: n) { i throws(Refused) -> (Int, String) in (i * 2, "\(i)") }
            guard case .success(let (doubled, named)) = result else { Issue.record("n = \(n): refused"); continue }
            #expect(doubled == (0..<n).map { $0 * 2 })
            #expect(named == (0..<n).map { "\($0)" })
        }
    }

    @Test func theFirstFailureInOrderIsReturnedAndEverythingMadeIsDestroyed() {
        let before = Tracked.alive.value
        // Items 700 and 300 fail: whichever worker gets there first, 300 is reported.
        let result = Parallel.mapPairs(count: 1000) { i throws(Refused) -> (Tracked, Tracked) in
            if i == 700 || i == 300 { throw Refused(item: i) }
            return (Tracked(i), Tracked(-i))
        }
        guard case .failure(let failure) = result else { Issue.record("a failing map succeeded"); return }
        #expect(failure.index == 300 && failure.error == Refused(item: 300))
        #expect(Tracked.alive.value == before, "every value made before the refusal is destroyed")
    }
}
