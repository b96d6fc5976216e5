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
