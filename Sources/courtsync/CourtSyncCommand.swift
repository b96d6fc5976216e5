import ArgumentParser

/// `courtsync`: the command line of a court node, the hub, auditors and the bench.
@main
struct CourtSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "courtsync",
        abstract: "Signed, auditable records of court IT usage for 焦中法〔2022〕77号.",
        subcommands: [NodeCommand.self, HubCommand.self, QueryCommand.self, ReportCommand.self, MeetingCommand.self, AuditCommand.self, DemoCommand.self, BenchCommand.self])
}

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "A court's node: its identity and its signed event log.",
        subcommands: [NodeInit.self, NodeAppend.self, NodeImport.self, NodeExport.self, NodeReceive.self, NodeStatus.self,
                      NodeEnrollRequest.self, NodeJoin.self, NodeSyncCommand.self])
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check a log without trusting whoever holds it.",
        subcommands: [AuditVerify.self, AuditReplay.self])
}

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Ask the projections: compliance, assignments, trends, accountability.",
        subcommands: [QueryCompliance.self, QueryAssignments.self, QueryTrend.self, QueryAccountability.self, QuerySuggestions.self, QueryScores.self])
}
