import Foundation
import CourtLog
import Projections

/// The agenda of a 双周例会 in Markdown and HTML (the same sections, the same order).
enum MeetingAgendaText {
    /// Sections as (heading, table header, rows, text when empty).
    static func sections(_ a: MeetingAgenda, projection p: Projection) -> [(String, [String], [[String]], String)] {
        let name: (String) -> String = { $0 == "office" ? "领导小组办公室" : p.unitName($0) }
        return [
            ("一、新增未达标及需说明情况（\(a.lastMeeting.map { "自上次例会 \($0.text) 以来" } ?? "最近一个月")）", ["期间", "单位", "指标", "情况"],
             a.newMisses.map { [$0.period, $0.unitName, $0.indicatorName, $0.detail + ($0.explained ? "（已说明）" : "（未说明）")] }, "无新增。"),
            ("二、待审核的说明情况", ["期间", "单位", "指标", "负责人"],
             a.awaitingReview.map { [$0.period, $0.unitName, $0.indicator, $0.head ?? "—"] }, "无待审核的说明。"),
            ("三、意见建议和问题（未办结）", ["编号", "提出单位", "承办部门", "状态", "逾期"],
             a.suggestions.map { [$0.item.ref, name($0.item.unit), name($0.item.routedTo), status($0.item.status), $0.overdue ? "逾期" : ""] }, "无未办结事项。"),
            ("四、待审议的通报草稿", ["期间", "审议情况"],
             a.drafts.map { [$0.period, $0.approvedOn.map { "已于 \($0.text) 例会审议通过，待印发" } ?? "待审议"] }, "无待审议的通报。"),
            ("五、制度和指标调整", ["seq", "类型", "内容", "审议情况"],
             a.changes.map { ["\($0.seq)", $0.type, $0.summary, $0.approvedOn.map { "已于 \($0.text) 审议通过" } ?? "待审议"] }, "无。"),
        ]
    }

    static func status(_ s: WorkingLoop.Suggestion.Status) -> String {
        switch s {
        case .open: "待办"
        case .answered: "已答复"
        case .closed: "已办结"
        }
    }

    static func title(_ a: MeetingAgenda) -> String { "信息化应用推进双周例会议程（\(a.date.text)）" }

    static func markdown(_ a: MeetingAgenda, projection: Projection) -> String {
        var out = ["# \(title(a))", ""]
        for (heading, header, rows, empty) in sections(a, projection: projection) {
            out += ["## \(heading)", ""]
            if rows.isEmpty { out += [empty, ""]; continue }
            out.append("| " + header.joined(separator: " | ") + " |")
            out.append("|" + String(repeating: "---|", count: header.count))
            for r in rows { out.append("| " + r.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |") }
            out.append("")
        }
        return out.joined(separator: "\n")
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func html(_ a: MeetingAgenda, projection: Projection) -> String {
        var h = "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head><meta charset=\"utf-8\"><title>\(escape(title(a)))</title></head>\n<body>\n<h1>\(escape(title(a)))</h1>\n"
        for (heading, header, rows, empty) in sections(a, projection: projection) {
            h += "<h2>\(escape(heading))</h2>\n"
            if rows.isEmpty { h += "<p>\(escape(empty))</p>\n"; continue }
            h += "<table><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
            for r in rows { h += "<tr>" + r.map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n" }
            h += "</table>\n"
        }
        return h + "</body>\n</html>\n"
    }
}
