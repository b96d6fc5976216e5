import CourtPlan
import Dashboard
import NodeStore

extension HubDirectory {
    /// Every court of the plan, enrolled or not, with what the hub holds of its log, what it
    /// last reported, when it last pushed and its alarms. The intermediate court's own log is
    /// written at the hub, so it never pushes.
    public func syncStates() throws -> [CourtSyncState] {
        let enrolled = Dictionary(try log.enrolledNodes().map { ($0.court, $0.status) }, uniquingKeysWith: { a, _ in a })
        let reports = try log.pushReports()
        let alarms = try log.alarms()
        return try node.plan.courts.map { court in
            let own = court.code == node.court.code
            return CourtSyncState(court: court.code, name: court.name, enrollment: own ? "active" : enrolled[court.code],
                                  heldSeq: try log.head(of: court.code).seq, reportedSeq: reports[court.code]?.nodeHead,
                                  lastPush: reports[court.code]?.at, alarms: alarms.filter { $0.court == court.code }.count)
        }
    }
}
