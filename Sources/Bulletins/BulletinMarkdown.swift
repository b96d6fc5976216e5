import Projections

/// A bulletin as Markdown: what 技术处 circulates by mail or pastes into the OA system.
public enum BulletinMarkdown {
    public static func render(_ b: Bulletin) -> String {
        var out: [String] = []
        let when = Bulletin.chinese(b.period)
        out.append("# \(b.plan.document.issuer)信息化应用情况\(b.kind.title)")
        out.append("")
        out.append("**\(when)**　\(b.documentNumber)")
        out.append("")
        out.append("根据《\(b.plan.document.issuer)\(b.plan.document.title)》（\(b.plan.document.number)），现将\(when)全市法院信息化应用情况通报如下。")
        out.append("")
        out.append("> \(b.dataNote)")
        out.append("")

        out.append("## 一、总体情况")
        out.append("")
        out.append(BulletinText.overview(b))
        out.append("")
        out.append("| 法院 | 达标 | 未达标 | 不考核 | 无数据 |")
        out.append("|---|---:|---:|---:|---:|")
        for (court, t) in b.courtTallies {
            out.append("| \(court.name) | \(t[.met] ?? 0) | \(t[.missed] ?? 0) | \(t[.notAssessed] ?? 0) | \(t[.noData] ?? 0) |")
        }
        let c = b.cityTally
        out.append("| **全市** | \(c[.met] ?? 0) | \(c[.missed] ?? 0) | \(c[.notAssessed] ?? 0) | \(c[.noData] ?? 0) |")
        out.append("")
        if !b.departmentStandings.isEmpty {
            out.append("中院各责任部门（按所负责指标的达标比例排名）：")
            out.append("")
            out.append("| 中院部门 | 负责指标 | 达标 | 未达标 | 排名 |")
            out.append("|---|---:|---:|---:|---:|")
            for d in b.departmentStandings {
                out.append("| 中院\(d.name) | \(d.rows.count) | \(d.met) | \(d.missed) | \(d.rank.map { "\($0)/\(b.departmentStandings.filter { $0.rank != nil }.count)" } ?? "—") |")
            }
            out.append("")
        }

        out.append("## 二、分项指标情况")
        out.append("")
        for s in b.sections {
            out.append("### \(s.indicator.code) \(s.indicator.name)")
            out.append("")
            out.append(BulletinText.sectionLead(b, s))
            out.append("")
            out.append("| 法院 | 数值 | 基层法院排名 | \(b.previousLabel) | 情况 |")
            out.append("|---|---:|---:|---:|---|")
            for line in s.courts {
                out.append("| \(line.row.unitName) | \(line.row.valueText) | \(line.rank.map { "\($0)/\(line.ranked)" } ?? "—") | \(line.change) | \(line.row.status.chinese) |")
            }
            out.append("| **全市** | \(s.city.valueText) | — | \(s.change) | \(s.city.status.chinese) |")
            out.append("")
            if !s.departmentsMissed.isEmpty {
                out.append("中院责任部门未达标：" + s.departmentsMissed.map { "\($0.unitName) \($0.valueText)" }.joined(separator: "，") + "。")
                out.append("")
            }
            let points = s.trend.filter { $0.valuePer10k != nil }
            if points.count > 1 {
                out.append("趋势（全市）：" + points.map { "\($0.period) \($0.valueText)" }.joined(separator: " → "))
                out.append("")
            }
        }

        let measured = b.supervised.filter { $0.city.denominator > 0 }
        if !measured.isEmpty {
            out.append("### 督导应用情况")
            out.append("")
            out.append("以下为方案第三部分明确由各部门督导考核的应用系统（\(b.supervised.count)项，其中\(measured.count)项本期有数据），暂不设考核标准的仅通报数值：")
            out.append("")
            out.append("| 系统 | 牵头部门 | 全市 | 标准 | 有数据的法院 |")
            out.append("|---|---|---:|---:|---:|")
            for s in measured {
                let lead = s.indicator.lead.map { b.plan.unitName($0) }.joined(separator: "、")
                out.append("| \(s.indicator.code) \(s.indicator.name) | \(lead) | \(s.city.valueText) | \(s.city.thresholdText) | \(s.courts.filter { $0.row.denominator > 0 }.count) |")
            }
            out.append("")
        }
        if !b.roleBreakdown.isEmpty {
            out.append("### 分角色人员活跃情况")
            out.append("")
            out.append(BulletinText.roleLead)
            out.append("")
            out.append("| 指标 | 单位 | 角色 | 活跃/在册 | 值 | 状态 |")
            out.append("|---|---|---|---:|---:|---|")
            for r in b.roleBreakdown {
                out.append("| \(r.indicatorCode) \(r.indicatorName) | \(r.unitName) | \(ComplianceRow.roleName(r.role ?? "")) | \(r.numerator)/\(r.denominator) | \(r.valueText) | \(r.status.chinese) |")
            }
            out.append("")
        }
        out.append("## 三、需向领导小组说明情况的单位")
        out.append("")
        if b.accountability.isEmpty {
            out.append("本期无需说明情况的单位。")
        } else {
            out.append(BulletinText.accountabilityLead(b))
            out.append("")
            out.append("| 单位 | 指标 | 原因 | 情况 | 是否已说明 |")
            out.append("|---|---|---|---|---|")
            for e in b.accountability {
                out.append("| \(b.unitLabel(e.unit, e.unitName)) | \(e.indicatorName) | \(BulletinText.reason(e)) | \(BulletinText.detail(e)) | \(e.explained ? "已说明" : "**未说明**") |")
            }
            let explained = b.accountability.filter(\.explained)
            if !explained.isEmpty {
                out.append("")
                out.append("已收到的说明：")
                out.append("")
                var seen = Set<String>()
                for e in explained {
                    for x in e.explanations where seen.insert("\(x.node)/\(x.seq)").inserted {
                        out.append("- \(e.unitName)（\(e.indicatorName)）：\(x.text)")
                    }
                }
            }
        }
        out += b.outstandingMarkdown
        out += b.scoresMarkdown
        out.append("")
        out.append("## 四、有关要求")
        out.append("")
        out.append(BulletinText.requirement(b))
        out.append("")
        out.append("\(b.plan.document.issuer)信息化应用推广领导小组办公室（技术处）" + (b.issued.isEmpty ? "" : "　\(b.issued)"))
        out.append("")
        if !b.recordTiming.isEmpty {
            out.append("## 附：记录时效")
            out.append("")
            for line in b.recordTiming { out.append(line); out.append("") }
        }
        if !b.reproduction.isEmpty {
            out.append("## 附：数据复核信息")
            out.append("")
            for line in b.reproduction.split(separator: "\n") { out.append(line.hasPrefix("courtsync ") ? "`\(line)`" : String(line)); out.append("") }
        }
        return out.joined(separator: "\n")
    }
}
