/// A Bloom filter over event ids (or content digests): says "new" for a value never inserted,
/// and "maybe seen" for one inserted before (rarely, for one that was not). Fixed at 16 MiB, so
/// that checking a log of any length for duplicate ids needs the same memory; a "maybe" is
/// confirmed exactly by reading the earlier lines again (``ExportVerifier``, a node's import).
public struct IDFilter: Sendable {
    static let bits = 1 << 27
    static let probes = 7
    var words = [UInt64](repeating: 0, count: IDFilter.bits / 64)

    public init() {}

    /// Inserts `id`; returns whether every one of its bits was already set (maybe seen before).
    public mutating func insert<Value: Hashable>(_ id: Value) -> Bool {
        var a = Hasher(), b = Hasher()
        a.combine(id)
        b.combine(0x5bd1e995 as UInt32)
        b.combine(id)
        let h1 = UInt64(bitPattern: Int64(a.finalize())), h2 = UInt64(bitPattern: Int64(b.finalize())) | 1
        var seen = true
        for i in 0..<UInt64(Self.probes) {
            let bit = Int((h1 &+ i &* h2) & UInt64(Self.bits - 1))
            let mask = UInt64(1) << UInt64(bit & 63)
            if words[bit >> 6] & mask == 0 {
                seen = false
                words[bit >> 6] |= mask
            }
        }
        return seen
    }
}
