/// An export line from the bytes a log stores, without parsing them: what a node pushes.
///
/// The canonical body's members sort as at, data, dept, id, node, prev, seq, type, v; the
/// envelope adds `hash` (before `id`) and `sig` (before `type`). Inside a canonical string every
/// `"` is escaped, so `,"id":"` and `,"type":"` occur in the body only as member names, and their
/// last occurrences are the body's own (nothing after `id` is an object). Splicing the two
/// members in there gives exactly the RFC 8785 bytes ``SignedEvent/exportLine`` encodes.
extension SignedEvent {
    /// The export line of the event whose canonical body, hash and signature are these; nil when
    /// `body` does not have the shape of an envelope body (a damaged row: `audit verify` names it).
    public static func exportLine(body: [UInt8], hash: [UInt8], sig: [UInt8]) -> [UInt8]? {
        guard hash.count == 32, sig.count == 64, body.first == UInt8(ascii: "{"),
              let type = lastIndex(of: typeMember, in: body, before: body.count),
              let id = lastIndex(of: idMember, in: body, before: type) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(body.count + 220)
        out.append(contentsOf: body[..<id])
        out.append(contentsOf: #","hash":""#.utf8)
        Hex.append(hash, to: &out)
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: body[id..<type])
        out.append(contentsOf: #","sig":""#.utf8)
        Hex.append(sig, to: &out)
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: body[type...])
        return out
    }

    /// The event a log stores as these canonical body, hash and signature, read in one pass
    /// over the bytes (``CanonicalEnvelope``, as `audit verify FILE` and the hub read a pushed
    /// line) with its draft as prepared (content digest and stored columns). Nil when the bytes
    /// are not exactly canonical, or anything about them would be refused: the caller then reads
    /// them the general way, which accepts or refuses them as it always did and words the refusal.
    public static func storedIfCanonical(body: [UInt8], hash: [UInt8], sig: [UInt8], catalog: EventCatalog = .shipped)
        -> (event: SignedEvent, prepared: PreparedDraft)? {
        guard let line = exportLine(body: body, hash: hash, sig: sig) else { return nil }
        // The one-pass reader cuts hash and sig out of the line again and hashes what is left:
        // exactly `body`, so the hash is checked over the stored bytes themselves.
        return CanonicalEnvelope.parse(line, catalog: catalog)
    }

    private static let idMember = Array(#","id":""#.utf8)
    private static let typeMember = Array(#","type":""#.utf8)

    /// Where the last `pattern` that ends at or before `end` starts.
    private static func lastIndex(of pattern: [UInt8], in bytes: [UInt8], before end: Int) -> Int? {
        var start = end - pattern.count
        while start >= 0 {
            if bytes[start] == pattern[0] && bytes[start + 1] == pattern[1] && bytes[start..<(start + pattern.count)].elementsEqual(pattern) {
                return start
            }
            start -= 1
        }
        return nil
    }
}
