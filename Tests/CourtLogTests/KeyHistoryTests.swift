import CanonicalJSON
import Testing
@testable import CourtLog

/// Protocol §10's key-history rule: a court that rotates mid-log verifies whole; its old key may
/// sign until the first event signed by the new one, never after; a revoked key vouches for no
/// event. The same rule is what a hub applies to a push (`firstRefusedSignature`).
@Suite("a court's log verified under its key history")
struct KeyHistoryTests {
    let old = NodeKey(), new = NodeKey()

    /// Seq 1…signers.count of one chain, event i signed by `signers[i]`.
    func log(_ signers: [NodeKey]) throws -> [SignedEvent] {
        var events: [SignedEvent] = []
        for (i, key) in signers.enumerated() {
            let draft = try FirstBadSignatureTests.filings(signers.count)[i]
            let head = events.last.map { LogHead(seq: $0.seq, hash: $0.hash) } ?? .empty
            events += EventSealer(node: "410802", key: key).seal([draft], after: head)
        }
        return events
    }

    func verify(_ events: [SignedEvent], _ history: [CourtKey]) -> EventError? {
        var verifier = LogVerifier(node: "410802", history: history)
        do { try verifier.verify(events) } catch { return error }
        return nil
    }

    @Test func aLogRotatedMidWayVerifiesWholeUnderItsHistoryAndNotUnderTheNewKeyAlone() throws {
        let events = try log([old, old, new, new])
        #expect(verify(events, [CourtKey(key: old.publicKey), CourtKey(key: new.publicKey)]) == nil)
        let alone = verify(events, [CourtKey(key: new.publicKey)])
        #expect(alone?.seq == 1 && alone?.reason.contains("bad signature") == true, "\(String(describing: alone))")
    }

    @Test func theOldKeyAfterItsSuccessorIsRefusedAtItsSeq() throws {
        let error = verify(try log([old, new, new, old]), [CourtKey(key: old.publicKey), CourtKey(key: new.publicKey)])
        #expect(error?.seq == 4 && error?.reason.contains("rotated out") == true && error?.reason.contains(new.publicKey.fingerprint) == true,
                "\(String(describing: error))")
    }

    @Test func anEventSignedByARevokedKeyIsRefusedWithTheReason() throws {
        let error = verify(try log([old, new]), [CourtKey(key: old.publicKey, revokedFor: "stolen with the laptop"), CourtKey(key: new.publicKey)])
        #expect(error?.seq == 1 && error?.reason.contains("revoked") == true && error?.reason.contains("stolen with the laptop") == true,
                "\(String(describing: error))")
    }

    @Test func aKeyOutsideTheHistoryIsABadSignature() throws {
        let error = verify(try log([old, NodeKey()]), [CourtKey(key: old.publicKey), CourtKey(key: new.publicKey)])
        #expect(error?.seq == 2 && error?.reason.contains("bad signature") == true, "\(String(describing: error))")
    }

    /// The rotation record binds the boundary (protocol §10 step 9c): with the new key signing
    /// from seq 3, seq 1-2 are the old key's and seq 3-4 the new key's, exactly.
    var bound: [CourtKey] { [CourtKey(key: old.publicKey), CourtKey(key: new.publicKey, fromSeq: 3)] }

    @Test func theBoundaryNamedByTheRotationIsExactlyAccepted() throws {
        // seq: 1 2 | 3 4   (from_seq 3: the first new-key event is seq 3)
        #expect(verify(try log([old, old, new, new]), bound) == nil)
    }

    @Test func theOldKeySigningAtFromSeqIsRefusedThere() throws {
        // seq 3 = from_seq is signed by the old key: refused at 3, though no new-key event came before it.
        let error = verify(try log([old, old, old, new]), bound)
        #expect(error?.seq == 3 && error?.reason.contains("rotated out of node 410802 from seq 3") == true
                && error?.reason.contains(new.publicKey.fingerprint) == true, "\(String(describing: error))")
    }

    @Test func theNewKeySigningBelowFromSeqIsRefusedThere() throws {
        // seq 2 < from_seq 3 is signed by the new key: refused at 2.
        let error = verify(try log([old, new, new, new]), bound)
        #expect(error?.seq == 2 && error?.reason.contains("only from seq 3") == true, "\(String(describing: error))")
    }

    /// A rotation recorded before from_seq existed keeps the order rule alone: the new key may
    /// start at seq 2, and the old key is still refused after it.
    @Test func aRotationWithoutFromSeqKeepsTheOrderRule() throws {
        let unbound = [CourtKey(key: old.publicKey), CourtKey(key: new.publicKey)]
        #expect(verify(try log([old, new, new, new]), unbound) == nil)
        #expect(verify(try log([old, new, old, new]), unbound)?.seq == 3)
    }

    /// Two rotations: each key signs its own range [from_seq, next from_seq).
    @Test func eachKeyOfTwoRotationsSignsOnlyItsOwnRange() throws {
        let third = NodeKey()
        let history = [CourtKey(key: old.publicKey), CourtKey(key: new.publicKey, fromSeq: 2), CourtKey(key: third.publicKey, fromSeq: 4)]
        #expect(verify(try log([old, new, new, third]), history) == nil)
        // seq 4 by the middle key, at the third key's from_seq.
        let late = verify(try log([old, new, new, new]), history)
        #expect(late?.seq == 4 && late?.reason.contains("from seq 4") == true, "\(String(describing: late))")
    }

    /// A hub checks a push under the same rule: the old key's event at from_seq is refused even
    /// when the hub holds nothing signed by the new key yet.
    @Test func aPushOfTheOldKeyAtFromSeqIsRefused() throws {
        let events = try log([old, old, old])
        let refused = LogVerifier.firstRefusedSignature([events[2]], node: "410802", history: bound, previousKey: 0)
        #expect(refused?.seq == 3 && refused?.reason.contains("from seq 3") == true, "\(String(describing: refused))")
    }

    /// The hub continues from the key that signed the last event it holds: after a new-key
    /// event, an old-key event is refused; before any, the court's unsent old-key events pass.
    @Test func aPushContinuesFromTheKeyOfTheLastHeldEvent() throws {
        let history = [CourtKey(key: old.publicKey), CourtKey(key: new.publicKey)]
        let events = try log([old, old, new])
        #expect(LogVerifier.firstRefusedSignature(Array(events[1...]), node: "410802", history: history, previousKey: 0) == nil)
        #expect(LogVerifier.signer(of: events[2], in: history) == 1)
        let late = try log([old, new, new, old])
        let refused = LogVerifier.firstRefusedSignature([late[3]], node: "410802", history: history, previousKey: 1)
        #expect(refused?.seq == 4 && refused?.reason.contains("rotated out") == true, "\(String(describing: refused))")
    }
}
