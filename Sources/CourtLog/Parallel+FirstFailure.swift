import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension Parallel {
    /// The first index of `0..<count`, in order, for which `holds` is false (nil if it holds for
    /// all), checked on all cores, and how many indexes were checked to find it.
    ///
    /// Every core takes the next `chunk` indexes as it comes free, so no core waits for another
    /// at a window's end: the hub checked its batches in windows of 256 signatures, and each
    /// window's end held both cores until the slower one finished its last piece, while the
    /// writer thread held one of them. Nothing is checked more than `ahead` indexes past the
    /// lowest one still unchecked, so at most `ahead + chunk` past the first failure are
    /// checked: a forged batch costs about that much, not the whole batch. A core that gets so
    /// far ahead (its partner was preempted) waits for it.
    public static func firstFailure(count n: Int, chunk: Int = 16, ahead: Int = 128 * width, _ holds: @Sendable (Int) -> Bool) -> (first: Int?, checked: Int) {
        let chunk = max(1, chunk), ahead = max(chunk, ahead)
        if width <= 1 || n <= chunk {
            for i in 0..<n where !holds(i) { return (i, i + 1) }
            return (nil, n)
        }
        let chunks = OrderedChunks(count: n, chunk: chunk, ahead: ahead)
        DispatchQueue.concurrentPerform(iterations: width) { _ in
            while let range = chunks.claim() {
                var bad: Int?
                var checked = 0
                for i in range {
                    // Past a failure already found, nothing more need be checked.
                    if i > chunks.firstFailure.load(ordering: .relaxed) { break }
                    checked += 1
                    if !holds(i) { bad = i; break }
                }
                chunks.finish(range, failure: bad, checked: checked)
            }
        }
        return chunks.result
    }

    /// The chunks of one ``firstFailure(count:chunk:ahead:_:)``, handed out in order.
    final class OrderedChunks: Sendable {
        struct State {
            /// The next index to hand out.
            var next = 0
            /// Every index below it is checked (or past the first failure).
            var frontier = 0
            /// Chunks finished above the frontier: start → end.
            var finished: [Int: Int] = [:]
            var checked = 0
        }
        let count: Int
        let chunk: Int
        let ahead: Int
        let state = Mutex(State())
        /// The lowest failing index found so far (`count` while none): written under the lock,
        /// read without it between checks.
        let firstFailure: Atomic<Int>

        init(count: Int, chunk: Int, ahead: Int) {
            self.count = count
            self.chunk = chunk
            self.ahead = ahead
            firstFailure = Atomic(count)
        }

        enum Claim { case range(Range<Int>), wait, done }

        /// The next chunk to check, nil when there is none (all handed out, or all past the
        /// first failure). Waits while the next chunk lies `ahead` past the frontier.
        func claim() -> Range<Int>? {
            while true {
                let claim: Claim = state.withLock { s in
                    if s.next >= count || s.next > firstFailure.load(ordering: .relaxed) { return .done }
                    if s.next >= s.frontier + ahead { return .wait }
                    let lo = s.next
                    s.next = min(count, lo + chunk)
                    return .range(lo..<s.next)
                }
                switch claim {
                case .range(let r): return r
                case .done: return nil
                // Another core holds the frontier's chunk (it was preempted): let it run.
                case .wait: usleep(50)
                }
            }
        }

        func finish(_ range: Range<Int>, failure: Int?, checked: Int) {
            state.withLock { s in
                s.checked += checked
                if let failure, failure < firstFailure.load(ordering: .relaxed) { firstFailure.store(failure, ordering: .relaxed) }
                if range.lowerBound == s.frontier {
                    s.frontier = range.upperBound
                    while let end = s.finished.removeValue(forKey: s.frontier) { s.frontier = end }
                } else {
                    s.finished[range.lowerBound] = range.upperBound
                }
            }
        }

        var result: (first: Int?, checked: Int) {
            let first = firstFailure.load(ordering: .relaxed)
            return (first < count ? first : nil, state.withLock { $0.checked })
        }
    }
}
