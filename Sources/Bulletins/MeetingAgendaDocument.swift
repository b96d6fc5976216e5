import CourtLog
import OfficeFiles
import Projections

/// The agenda of a 双周例会 as the documents 技术处 circulates before the meeting: Markdown, a
/// self-contained HTML page and a Word document (.docx), the last two in the 公文 layout of the
/// bulletins (A4, 版头 with a red rule, title, 仿宋 body). The same sections, the same order.
public enum MeetingAgendaDocument {
    /// One part of the agenda: a heading, a table (header and rows), and the sentence shown
    /// instead of an empty table.
    public struct Section: Sendable {
        public let heading: String
        public let header: [String]
        public let rows: [[String]]
        public let empty: String
        /// Column widths in percent for the Word table.
        let widths: [Int]
    }

    public static func sections(_ a: MeetingAgenda, projection p: Projection) -> [Section] {
        let name: (String) -> String = { $0 == "office" ? "领导小组办公室" : p.unitName($0) }
        return [
            Section(heading: "一、新增未达标及需说明情况（\(a.lastMeeting.map { "自上次例会 \($0.text) 以来" } ?? "最近一个月")）",
                    header: ["期间", "单位", "指标", "情况"],
                    rows: a.newMisses.map { [$0.period, $0.unitName, $0.indicatorName, $0.detail + ($0.explained ? "（已说明）" : "（未说明）")] },
                    empty: "无新增。", widths: [12, 22, 26, 40]),
            Section(heading: "二、待审核的说明情况", header: ["期间", "单位", "指标", "负责人"],
                    rows: a.awaitingReview.map { [$0.period, $0.unitName, $0.indicator, $0.head ?? "—"] },
                    empty: "无待审核的说明。", widths: [14, 34, 32, 20]),
            Section(heading: "三、意见建议和问题（未办结）", header: ["编号", "提出单位", "承办部门", "状态", "逾期"],
                    rows: a.suggestions.map { [$0.item.ref, name($0.item.unit), name($0.item.routedTo), status($0.item.status), $0.overdue ? "逾期" : ""] },
                    empty: "无未办结事项。", widths: [26, 26, 24, 12, 12]),
            Section(heading: "四、待审议的通报草稿", header: ["期间", "审议情况"],
                    rows: a.drafts.map { [$0.period, $0.approvedOn.map { "已于 \($0.text) 例会审议通过，待印发" } ?? "待审议"] },
                    empty: "无待审议的通报。", widths: [30, 70]),
            Section(heading: "五、制度和指标调整", header: ["seq", "类型", "内容", "审议情况"],
                    rows: a.changes.map { ["\($0.seq)", $0.type, $0.summary, $0.approvedOn.map { "已于 \($0.text) 审议通过" } ?? "待审议"] },
                    empty: "无。", widths: [10, 24, 42, 24]),
        ]
    }

    static func status(_ s: WorkingLoop.Suggestion.Status) -> String {
        switch s {
        case .open: "待办"
        case .answered: "已答复"
        case .closed: "已办结"
        }
    }

    public static func title(_ a: MeetingAgenda) -> String { "信息化应用推进双周例会议程（\(a.date.text)）" }

    static func chinese(_ d: CivilDate) -> String { "\(d.year)年\(d.month)月\(d.day)日" }

    /// The 版头: the issuing body's meeting, as the bulletins name theirs.
    static func masthead(_ p: Projection) -> String { "\(p.policy.plan.document.issuer)信息化应用推进双周例会" }

    /// The sentence under the title: when, who convenes, on what basis.
    static func lead(_ a: MeetingAgenda, projection p: Projection) -> String {
        let doc = p.policy.plan.document
        let kind = a.lastMeeting.map { "上次例会为\(chinese($0))" } ?? "此前无例会记录"
        return "根据《\(doc.issuer + doc.title)》（\(doc.number)）关于双周例会的要求，技术处定于\(chinese(a.date))召开例会（\(kind)）。议题如下。"
    }

    // MARK: forms

    public static func markdown(_ a: MeetingAgenda, projection: Projection) -> String {
        var out = ["# \(title(a))", ""]
        for s in sections(a, projection: projection) {
            out += ["## \(s.heading)", ""]
            if s.rows.isEmpty { out += [s.empty, ""]; continue }
            out.append("| " + s.header.joined(separator: " | ") + " |")
            out.append("|" + String(repeating: "---|", count: s.header.count))
            for r in s.rows { out.append("| " + r.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |") }
            out.append("")
        }
        return out.joined(separator: "\n")
    }

    /// One page, inline CSS (the bulletins' 公文 style), no script, no external file.
    public static func html(_ a: MeetingAgenda, projection p: Projection) -> String {
        let e = TrendChart.escape
        var h = """
            <!DOCTYPE html>
            <html lang="zh-CN">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(title(a)))</title>
            <style>
            \(BulletinHTML.style)
            .issuer.meeting { font-size: 1.2rem; }
            </style>
            </head>
            <body>
            <p class="issuer meeting plain">\(e(masthead(p)))</p>
            <p class="number plain">\(e(chinese(a.date)))</p>
            <hr class="red">
            <h1>信息化应用推进双周例会议程</h1>
            <p>\(e(lead(a, projection: p)))</p>

            """
        for s in sections(a, projection: p) {
            h += "<section class=\"agenda\">\n<h2>\(e(s.heading))</h2>\n"
            if s.rows.isEmpty {
                h += "<p>\(e(s.empty))</p>\n</section>\n"
                continue
            }
            h += "<table><thead><tr>" + s.header.map { "<th>\(e($0))</th>" }.joined() + "</tr></thead><tbody>\n"
            for r in s.rows { h += "<tr>" + r.map { "<td>\(e($0))</td>" }.joined() + "</tr>\n" }
            h += "</tbody></table>\n</section>\n"
        }
        h += "<p class=\"signature\">\(e(p.policy.plan.document.issuer))信息化应用推广领导小组办公室<br>（技术处）</p>\n"
        h += "<p class=\"note\">\(e(note))</p>\n"
        return h + "</body>\n</html>\n"
    }

    /// A Word document 技术处 edits before the meeting.
    public static func docx(_ a: MeetingAgenda, projection p: Projection) -> [UInt8] {
        var d = WordDocument()
        // 20 characters: a smaller 版头 than a bulletin's, so it stays on one line.
        d.paragraph(masthead(p), face: .title, size: 20, align: .center, color: "C00000")
        d.paragraph(chinese(a.date), size: 16, align: .center)
        d.redRule()
        d.paragraph("信息化应用推进双周例会议程", face: .title, size: 22, align: .center, keepWithNext: true)
        d.paragraph("", size: 16)
        d.paragraph(lead(a, projection: p), indentFirstLine: true)
        for s in sections(a, projection: p) {
            d.paragraph(s.heading, face: .heading, keepWithNext: true, indentFirstLine: true)
            if s.rows.isEmpty {
                d.paragraph(s.empty, indentFirstLine: true)
            } else {
                d.table(header: s.header, rows: s.rows, widthsPercent: s.widths)
            }
        }
        d.paragraph("", size: 16)
        d.paragraph("\(p.policy.plan.document.issuer)信息化应用推广领导小组办公室（技术处）", align: .right)
        d.paragraph("", size: 16)
        d.paragraph(note, size: 12, align: .left)
        return d.docx(title: title(a))
    }

    static let note = "本议程由技术处根据汇总节点已接收并验证签名的记录生成（courtsync meeting agenda）；会议纪要以 meeting.held 事件记入日志。"
}
