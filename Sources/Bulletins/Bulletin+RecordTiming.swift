import CourtLog
import Projections

/// What the transparency log says about when the bulletin's records were published (protocol
/// §16.12): figures a retroactive policy decided, and usage entered late. It describes the
/// record, not the figures, so like the data note it is not part of what an issue's digest binds.
extension Bulletin {
    /// Fills ``recordTiming`` from when each event was first published in a checkpoint.
    public mutating func noteRecordTiming(_ publication: Publication, policy: PolicyState) {
        var lines: [String] = []
        var rows: [ComplianceRow] = []
        for s in sections + supervised {
            rows.append(s.city)
            rows += s.courts.map(\.row)
            rows += s.departmentsMissed
        }
        for r in publication.retroactive(policy) {
            let changed = rows.filter { r.changed($0) }
            guard !changed.isEmpty else { continue }
            let figures = changed.map { "\(unitLabel($0.unit, $0.unitName))\($0.indicatorCode)\($0.indicatorName)（\($0.status.chinese)）" }
            lines.append("⚠ 追溯适用：\(r.document)（\(r.type)）自 \(r.effective.text) 起生效，但 \(r.published.day.text) 才首次纳入公开日志检查点"
                         + "（\(r.published.witnessed ? "以见证签名时间为准" : "以中院检查点时间为准")），迟 \(r.delayDays) 天；本期按其判定的数值：\(figures.joined(separator: "、"))。")
        }
        let late = publication.lateEntries(period: period)
        if !late.isEmpty {
            let courts = plan.courts.filter { late[$0.code] != nil }.map { "\($0.name) \(late[$0.code]!) 条" }
            lines.append("迟报记录：本期有 \(late.values.reduce(0, +)) 条应用记录在发生 \(publication.lateAfterDays) 天后才首次纳入公开日志检查点（\(courts.joined(separator: "、"))）。")
        } else if publication.treeSize > 0 {
            lines.append("迟报记录：本期无发生 \(publication.lateAfterDays) 天后才纳入公开日志检查点的应用记录。")
        }
        recordTiming = lines
    }
}
