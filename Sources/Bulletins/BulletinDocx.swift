import OfficeFiles
import Projections

/// A bulletin as a Word document (.docx) that 技术处 edits in WPS or Word before it is issued:
/// the same text and tables as the HTML form, in 公文 layout (A4, 版头 with a red rule, title,
/// 文号, 仿宋 三号 body). Trend charts are given as a row of monthly values under each
/// indicator's table, which Word edits as text.
public enum BulletinDocx {
    public static func render(_ b: Bulletin) -> [UInt8] {
        var d = WordDocument()
        let when = Bulletin.chinese(b.period)
        let doc = b.plan.document
        let title = "关于\(when)全市法院信息化应用情况的通报"
        d.paragraph("\(doc.issuer)信息化应用\(b.kind.title)", face: .title, size: 26, align: .center, color: "C00000")
        d.paragraph(b.documentNumber, size: 16, align: .center)
        d.redRule()
        // Two lines, as 公文 titles are set, rather than a lone word wrapped onto the second.
        d.paragraph("关于\(when)全市法院", face: .title, size: 22, align: .center, keepWithNext: true)
        d.paragraph("信息化应用情况的通报", face: .title, size: 22, align: .center, keepWithNext: true)
        d.paragraph("", size: 16)
        d.paragraph("全市各基层人民法院，市中级人民法院各部门：", align: .left)
        d.paragraph("根据《\(doc.issuer + doc.title)》（\(doc.number)），现将\(when)全市法院信息化应用情况通报如下。", indentFirstLine: true)
        d.paragraph("一、总体情况", face: .heading, keepWithNext: true, indentFirstLine: true)
        d.paragraph(BulletinText.overview(b), keepWithNext: true, indentFirstLine: true)
        func tally(_ t: [ComplianceStatus: Int]) -> [String] { [ComplianceStatus.met, .missed, .notAssessed, .noData].map { "\(t[$0] ?? 0)" } }
        d.table(header: ["法院", "达标", "未达标", "不考核", "无数据"],
                rows: b.courtTallies.map { [$0.court.name] + tally($0.tally) } + [["全市"] + tally(b.cityTally)],
                widthsPercent: [36, 16, 16, 16, 16], boldLastRow: true)
        if !b.departmentStandings.isEmpty {
            let ranked = b.departmentStandings.filter { $0.rank != nil }.count
            d.paragraph("中院各责任部门（按所负责指标的达标比例排名）：", keepWithNext: true, indentFirstLine: true)
            d.table(header: ["中院部门", "负责指标", "达标", "未达标", "排名"],
                    rows: b.departmentStandings.map { ["中院\($0.name)", "\($0.rows.count)", "\($0.met)", "\($0.missed)", $0.rank.map { "\($0)/\(ranked)" } ?? "—"] },
                    widthsPercent: [36, 16, 16, 16, 16])
        }
        d.paragraph("二、分项指标情况", face: .heading, keepWithNext: true, indentFirstLine: true)
        for (n, s) in b.sections.enumerated() {
            d.paragraph("（\(Bulletin.chineseNumber(n + 1))）\(s.indicator.name)（指标\(s.indicator.code)）", bold: true, keepWithNext: true, indentFirstLine: true)
            d.paragraph(BulletinText.sectionLead(b, s), keepWithNext: true, indentFirstLine: true)
            var rows = s.courts.map { line in
                [line.row.unitName, line.row.valueText, line.rank.map { "\($0)/\(line.ranked)" } ?? "—", line.change, line.row.status.chinese]
            }
            rows.append(["全市", s.city.valueText, "—", s.change, s.city.status.chinese])
            d.table(header: ["法院", "数值", "基层法院排名", b.previousLabel, "情况"], rows: rows, widthsPercent: [30, 17, 17, 20, 16], boldLastRow: true)
            if !s.departmentsMissed.isEmpty {
                d.paragraph("中院责任部门未达标：" + s.departmentsMissed.map { "\($0.unitName) \($0.valueText)" }.joined(separator: "，") + "。", indentFirstLine: true)
            }
            let points = s.trend.filter { $0.valuePer10k != nil }
            if !points.isEmpty {
                d.paragraph("全市逐月数值：" + points.map { "\($0.period) \($0.valueText)" }.joined(separator: "；") + "。", size: 12, indentFirstLine: true)
            }
        }
        let measured = b.supervised.filter { $0.city.denominator > 0 }
        if !measured.isEmpty {
            d.paragraph("督导应用情况", bold: true, keepWithNext: true, indentFirstLine: true)
            d.paragraph("以下为方案第三部分明确由各部门督导考核的应用系统（\(b.supervised.count)项，其中\(measured.count)项本期有数据），暂不设考核标准的仅通报数值：", keepWithNext: true, indentFirstLine: true)
            d.table(header: ["系统", "牵头部门", "全市", "标准", "有数据的法院"],
                    rows: measured.map { s in [s.indicator.code + " " + s.indicator.name, s.indicator.lead.map { b.plan.unitName($0) }.joined(separator: "、"),
                                               s.city.valueText, s.city.thresholdText, "\(s.courts.filter { $0.row.denominator > 0 }.count)"] },
                    widthsPercent: [36, 18, 16, 14, 16])
        }
        if !b.roleBreakdown.isEmpty {
            d.paragraph("分角色人员活跃情况", bold: true, keepWithNext: true, indentFirstLine: true)
            d.paragraph(BulletinText.roleLead, keepWithNext: true, indentFirstLine: true)
            d.table(header: ["指标", "单位", "角色", "活跃/在册", "值", "状态"],
                    rows: b.roleBreakdown.map { r in [r.indicatorCode + " " + r.indicatorName, r.unitName, ComplianceRow.roleName(r.role ?? ""),
                                                      "\(r.numerator)/\(r.denominator)", r.valueText, r.status.chinese] },
                    widthsPercent: [26, 22, 14, 14, 12, 12])
        }
        d.paragraph("三、需向领导小组说明情况的单位", face: .heading, keepWithNext: true, indentFirstLine: true)
        if b.accountability.isEmpty {
            d.paragraph("本期无需说明情况的单位。", indentFirstLine: true)
        } else {
            d.paragraph(BulletinText.accountabilityLead(b), keepWithNext: true, indentFirstLine: true)
            d.table(header: ["单位", "指标", "原因", "情况", "是否已说明"],
                    rows: b.accountability.map { [b.unitLabel($0.unit, $0.unitName), $0.indicatorName, BulletinText.reason($0), BulletinText.detail($0), $0.explained ? "已说明" : "未说明"] },
                    widthsPercent: [24, 22, 18, 22, 14])
            let texts = BulletinText.explanations(b)
            if !texts.isEmpty {
                d.paragraph("已收到的说明：", keepWithNext: true, indentFirstLine: true)
                for (unit, indicator, text) in texts { d.paragraph("\(unit)（\(indicator)）：\(text)", indentFirstLine: true) }
            }
        }
        b.loopSections(&d)
        d.paragraph("四、有关要求", face: .heading, keepWithNext: true, indentFirstLine: true)
        d.paragraph(BulletinText.requirement(b), indentFirstLine: true)
        d.paragraph("", size: 16)
        d.paragraph("\(doc.issuer)信息化应用推广领导小组办公室（技术处）", align: .right)
        if !b.issued.isEmpty { d.paragraph(b.issued, align: .right) }
        d.paragraph("", size: 16)
        d.paragraph(b.dataNote, size: 12, align: .left)
        if !b.recordTiming.isEmpty {
            d.paragraph("附：记录时效", face: .heading, size: 12, keepWithNext: true)
            for line in b.recordTiming { d.paragraph(line, size: 10.5, align: .left) }
        }
        if !b.reproduction.isEmpty {
            d.paragraph("附：数据复核信息", face: .heading, size: 12, keepWithNext: true)
            for line in b.reproduction.split(separator: "\n") { d.paragraph(String(line), size: 10.5, align: .left) }
        }
        return d.docx(title: title)
    }
}
