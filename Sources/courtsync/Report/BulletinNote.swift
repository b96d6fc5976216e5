import CourtLog

/// The words a bulletin uses about its own data: a plain-Chinese source note for readers,
/// and the reproduction detail (the exact record time, the command) for its appendix.
enum BulletinNote {
    /// 2023年8月10日 from an epoch second, in UTC+08:00.
    static func chineseDate(_ seconds: Int64) -> String {
        let d = CivilDate(utcSeconds: seconds + 8 * 3600)
        return "\(d.year)年\(d.month)月\(d.day)日"
    }

    /// 2023年8月10日18时00分 from an epoch second, in UTC+08:00.
    static func chineseTime(_ seconds: Int64) -> String {
        let local = seconds + 8 * 3600
        let s = Int(((local % 86400) + 86400) % 86400)
        let minute = s / 60 % 60
        return chineseDate(seconds) + "\(s / 3600)时\(minute < 10 ? "0" : "")\(minute)分"
    }

    static func source(at cutoff: Int64, court: String) -> String {
        "数据说明：本通报数据来自各法院信息化应用记录，经\(court)汇总核验，统计截至\(chineseTime(cutoff))（北京时间）。"
            + "各项指标按《信息化应用推进分工方案》及其后调整考核标准的文件计算；无数据的指标不计为零，也不计为达标。"
    }

    /// The data note of a report made at a checkpoint: no record time, the checkpoint instead.
    static func source(checkpoint: CheckpointCitation, court: String) -> String {
        "数据说明：本通报数据来自各法院信息化应用记录，经\(court)汇总核验。" + checkpoint.note
            + "各项指标按《信息化应用推进分工方案》及其后调整考核标准的文件计算；无数据的指标不计为零，也不计为达标。"
    }

    static func reproduction(checkpoint: CheckpointCitation, command: String, plan: String) -> String {
        "本通报依据中院公开日志第 \(checkpoint.size) 号检查点所含的全部记录生成，不依赖任何一方的时钟；按同一检查点回放数据，可得到与本通报完全相同的数值。\n"
            + checkpoint.detail + "\n"
            + "计算口径：\(plan)。复核命令（供技术人员使用）：\n"
            + command
    }

    static func reproduction(time: String, command: String, plan: String) -> String {
        "本通报依据截至 \(time) 已记录的数据生成；按同一时间点回放数据，可得到与本通报完全相同的数值。\n"
            + "计算口径：\(plan)。复核命令（供技术人员使用）：\n"
            + command
    }
}
