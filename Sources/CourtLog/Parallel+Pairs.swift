import Dispatch

extension Parallel {
    /// The first item, in order, whose transform failed, and its error.
    public struct Failure<E: Error>: Error {
        public let index: Int
        public let error: E
    }

    /// Maps `count` items on all cores into two arrays, in order, each value made once in its
    /// slot: no per-item result is wrapped, copied out and destroyed again, which for values
    /// with many members (an event and its draft) costs a retain and a release per member.
    /// When a transform fails, every value made is destroyed and the first failure in order
    /// is returned.
    public static func mapPairs<A: Sendable, B: Sendable, E: Error>(count n: Int, _ transform: @Sendable (Int) throws(E) -> (A, B)) -> Result<([A], [B]), Failure<E>> {
        if n == 0 { return .success(([], [])) }
        let errors = ResultBuffer<E>(count: n)
        var second: [B] = []
        var failure: Failure<E>?
        let first = [A](unsafeUninitializedCapacity: n) { a, aMade in
            second = [B](unsafeUninitializedCapacity: n) { b, bMade in
                let slotsA = Slots(base: a.baseAddress!), slotsB = Slots(base: b.baseAddress!)
                @Sendable func run(_ lo: Int, _ hi: Int) {
                    for i in lo..<hi {
                        do throws(E) {
                            let (x, y) = try transform(i)
                            slotsA.base.advanced(by: i).initialize(to: x)
                            slotsB.base.advanced(by: i).initialize(to: y)
                        } catch {
                            errors.set(i, error)
                        }
                    }
                }
                if width <= 1 || n < 128 {
                    run(0, n)
                } else {
                    let chunks = min(width * 8, n / 16)
                    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in run(n * chunk / chunks, n * (chunk + 1) / chunks) }
                }
                if let bad = (0..<n).first(where: { errors.has($0) }) {
                    failure = Failure(index: bad, error: errors.get(bad))
                    for i in 0..<n where !errors.has(i) {
                        a.baseAddress!.advanced(by: i).deinitialize(count: 1)
                        b.baseAddress!.advanced(by: i).deinitialize(count: 1)
                    }
                    bMade = 0
                } else {
                    bMade = n
                }
            }
            aMade = failure == nil ? n : 0
        }
        if let failure { return .failure(failure) }
        return .success((first, second))
    }
}
