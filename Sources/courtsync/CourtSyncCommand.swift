import ArgumentParser

/// `courtsync`: the command line of a court node, the hub, auditors and the bench.
@main
struct CourtSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "courtsync",
        abstract: "焦作法院信息化应用推进（焦中法〔2022〕77号）：签名、可审计的使用记录 (signed, auditable records of court IT usage).",
        discussion: """
            节点 node：各院记录与同步；汇总节点 hub：中院技术处接收、核验、提供数据看板；查询 query：合规、分工、趋势、说明情况；
            通报 report：月通报、半年通报、年通报（md、html、docx、pdf）；省法院排名 standings：导入排名表；双周例会 meeting：议程与纪要；审计 audit：核验签名与重放。法院可用代码、拼音或名称（410802、jiefang、解放区人民法院）。
            """,
        version: CourtSyncVersion.text,
        subcommands: [NodeCommand.self, HubCommand.self, QueryCommand.self, ReportCommand.self, StandingsCommand.self, MeetingCommand.self, AuditCommand.self, WitnessCommand.self, DemoCommand.self, BenchCommand.self])

    static func main() async {
        // Only `courtsync bench streams` sets the variable, for the processes it measures.
        PeakMemory.reportAtExitIfAsked()
        await main(nil)
    }
}

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "法院节点：本院身份与签名日志，记录、导入、同步、备份 (a court's node: identity, signed log, sync, backup).",
        subcommands: [NodeInit.self, NodeAppend.self, NodeImport.self, NodeExport.self, NodeReceive.self, NodeStatus.self,
                      NodeEnrollRequest.self, NodeRotateRequest.self, NodeJoin.self, NodeSyncCommand.self, NodeBackupCommand.self, NodeRestoreCommand.self])
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "审计：不信任持有者，逐条核验签名与链并重放 (check a log without trusting whoever holds it, and the hub's transparency log).",
        subcommands: [AuditVerify.self, AuditReplay.self, AuditCheckpoint.self, AuditInclusion.self, AuditConsistency.self, AuditReceipts.self, AuditSplitView.self, AuditRetroactive.self, AuditBulletins.self, AuditKeys.self, AuditMirror.self])
}

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "查询：合规 compliance、分工 assignments、趋势 trend、说明情况 accountability、意见建议 suggestions、考核得分 scores.",
        subcommands: [QueryCompliance.self, QueryAssignments.self, QueryTrend.self, QueryAccountability.self, QuerySuggestions.self, QueryScores.self])
}
