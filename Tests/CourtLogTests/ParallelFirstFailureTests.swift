import Foundation
import Synchronization
import Testing
@testable import CourtLog

/// `Parallel.firstFailure`: the first failing index in order, found on all cores without a
/// barrier, checking a bounded number of indexes past it.
@Suite("the first failure in order, checked on all cores")
struct ParallelFirstFailureTests {
    /// Which indexes a run checked, each once.
    final class Checked: Sendable {
        let seen = Mutex<[Int]>([])
        func add(_ i: Int) { seen.withLock { $0.append(i) } }
        var sorted: [Int] { seen.withLock { $0.sorted() } }
    }

    @Test(arguments: [(1, 8), (16, 128), (7, 7), (50, 300)])
    func findsTheSameFirstFailureAsALoopInOrder(chunk: Int, ahead: Int) {
        var rng = SplitMix(seed: UInt64(chunk * 1_000 + ahead))
        for round in 0..<40 {
            let n = Int(rng.next() % 3_000)
            // Some rounds with no failure, some with one, some with many.
            let failures = round % 4 == 0 ? [] : (0..<(round % 5)).map { _ in n == 0 ? 0 : Int(rng.next() % UInt64(n)) }
            let failing = Set(failures)
            let checked = Checked()
            let found = Parallel.firstFailure(count: n, chunk: chunk, ahead: ahead) { i in checked.add(i); return !failing.contains(i) }
            // By hand: the lowest failing index below n.
            let expected = failing.filter { $0 < n }.min()
            #expect(found.first == expected, "n \(n), failing \(failing.sorted())")
            let seen = checked.sorted
            #expect(found.checked == seen.count)
            #expect(Set(seen).count == seen.count, "an index was checked twice")
            if let first = expected {
                // Every index up to the first failure was checked; none beyond the bound.
                #expect(Array(seen.prefix(first + 1)) == Array(0...first))
                #expect(seen.last! < first + ahead + chunk, "checked \(seen.last!) with the first failure at \(first)")
            } else {
                #expect(seen == Array(0..<n))
            }
        }
    }

    /// A core that holds the lowest chunk a long time (as when the hub's writer thread takes
    /// it) does not let the other run more than `ahead` past it: it waits, then both go on.
    @Test func aCoreDoesNotRunFarAheadOfAStalledOne() {
        let checked = Checked()
        let found = Parallel.firstFailure(count: 400, chunk: 4, ahead: 20) { i in
            if i == 1 { usleep(200_000) }
            checked.add(i)
            return i != 2
        }
        #expect(found.first == 2)
        // Whoever took 0…3 held it 0.2 s; the other core stopped before 2 + 20 + 4.
        #expect(checked.sorted.last! < 26)
        #expect(found.checked == checked.sorted.count)
    }

    @Test func anEmptyOrTinyRangeIsCheckedInPlace() {
        #expect(Parallel.firstFailure(count: 0) { _ in false } == (nil, 0) as (Int?, Int))
        let one = Parallel.firstFailure(count: 3, chunk: 16) { $0 != 1 }
        #expect(one.first == 1 && one.checked == 2)
    }
}
