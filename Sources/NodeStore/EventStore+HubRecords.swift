import CourtLog

/// Public initializers of the hub's records, so that a hub store other than this SQLite one
/// (PostgreSQL, in the Hub module) returns the very same types to its callers. Factories rather
/// than initializers, so that they never compete with the memberwise ones inside this module.
extension EventStore.Receipt {
    public static func make(known: Int, stored: Int, head: LogHead, treeSize: Int64? = nil, checkpoint: String? = nil) -> Self {
        var r = Self(known: known, stored: stored, head: head)
        r.treeSize = treeSize
        r.checkpoint = checkpoint
        return r
    }
}

extension EventStore.EnrolledNode {
    public static func make(court: String, publicKey: String, tlsSerial: String, status: String, enrolledAt: Int64) -> Self {
        Self(court: court, publicKey: publicKey, tlsSerial: tlsSerial, status: status, enrolledAt: enrolledAt)
    }
}

extension EventStore.Alarm {
    public static func make(court: String, seq: Int64?, kind: String, detail: String, evidence: String?, at: Int64) -> Self {
        Self(court: court, seq: seq, kind: kind, detail: detail, evidence: evidence, at: at)
    }
}

extension EventStore.HubWitness {
    public static func make(name: String, url: String, verifierKey: String, caPEM: String?, size: Int64) -> Self {
        Self(name: name, url: url, verifierKey: verifierKey, caPEM: caPEM, size: size)
    }
}
