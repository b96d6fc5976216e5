import Projections

/// A bulletin as one self-contained HTML page (inline CSS and SVG charts), for the court's
/// intranet or printing.
public enum BulletinHTML {
    public static func render(_ b: Bulletin) -> String {
        let e = TrendChart.escape
        let when = Bulletin.chinese(b.period)
        let title = "\(b.plan.document.issuer)信息化应用情况\(b.kind.title)（\(when)）"
        var h = """
            <!DOCTYPE html>
            <html lang="zh-CN">
            <head>
            <meta charset="utf-8">
            <title>\(e(title))</title>
            <style>
            body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; max-width: 960px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.6; }
            h1 { text-align: center; font-size: 1.6em; margin-bottom: 0.2em; }
            .period { text-align: center; font-weight: bold; margin-top: 0; }
            .note { color: #555; border-left: 3px solid #ccc; padding-left: 0.8em; font-size: 0.9em; }
            table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.92em; }
            th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
            th { background: #f3f3f3; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; }
            .met { color: #1e7b34; } .missed { color: #c0392b; font-weight: bold; } .na, .nodata { color: #777; } .problem { color: #8a5a00; font-weight: bold; }
            section.indicator { border-top: 1px solid #ddd; padding-top: 0.4em; page-break-inside: avoid; }
            .chart svg { max-width: 100%; height: auto; }
            .pending { color: #c0392b; font-weight: bold; }
            .signature { text-align: right; margin-top: 2em; }
            </style>
            </head>
            <body>
            <h1>\(e(b.plan.document.issuer))信息化应用情况\(e(b.kind.title))</h1>
            <p class="period">\(e(when))</p>
            <p>根据《\(e(b.plan.document.issuer + b.plan.document.title))》（\(e(b.plan.document.number))），现将\(e(when))全市法院信息化应用情况通报如下。</p>
            <p class="note">\(e(b.dataNote))</p>
            <h2>一、总体情况</h2>
            <p>\(e(BulletinText.overview(b)))</p>
            <table><tr><th>法院</th><th>达标</th><th>未达标</th><th>不考核</th><th>无数据</th></tr>

            """
        for (court, t) in b.courtTallies {
            h += "<tr><td>\(e(court.name))</td><td class=\"num\">\(t[.met] ?? 0)</td><td class=\"num\">\(t[.missed] ?? 0)</td><td class=\"num\">\(t[.notAssessed] ?? 0)</td><td class=\"num\">\(t[.noData] ?? 0)</td></tr>\n"
        }
        h += "</table>\n"
        if !b.departmentStandings.isEmpty {
            let ranked = b.departmentStandings.filter { $0.rank != nil }.count
            h += "<p>中院各责任部门（按所负责指标的达标比例排名）：</p>\n<table><tr><th>中院部门</th><th>负责指标</th><th>达标</th><th>未达标</th><th>排名</th></tr>\n"
            for d in b.departmentStandings {
                h += "<tr><td>中院\(e(d.name))</td><td class=\"num\">\(d.rows.count)</td><td class=\"num\">\(d.met)</td><td class=\"num\">\(d.missed)</td><td class=\"num\">\(d.rank.map { "\($0)/\(ranked)" } ?? "—")</td></tr>\n"
            }
            h += "</table>\n"
        }
        h += "<h2>二、分项指标情况</h2>\n"
        for s in b.sections {
            h += "<section class=\"indicator\" id=\"\(e(s.indicator.slug))\">\n<h3>\(e(s.indicator.code)) \(e(s.indicator.name))</h3>\n"
            h += "<p>\(e(BulletinText.sectionLead(b, s)))</p>\n"
            h += "<table><tr><th>法院</th><th>数值</th><th>基层法院排名</th><th>\(e(b.previousLabel))</th><th>情况</th></tr>\n"
            for line in s.courts {
                h += "<tr><td>\(e(line.row.unitName))</td><td class=\"num\">\(e(line.row.valueText))</td><td class=\"num\">\(line.rank.map { "\($0)/\(line.ranked)" } ?? "—")</td>"
                h += "<td class=\"num\">\(e(line.change))</td><td class=\"\(css(line.row.status))\">\(e(line.row.status.chinese))</td></tr>\n"
            }
            h += "</table>\n"
            if !s.departmentsMissed.isEmpty {
                h += "<p>中院责任部门未达标：" + e(s.departmentsMissed.map { "\($0.unitName) \($0.valueText)" }.joined(separator: "，")) + "。</p>\n"
            }
            if s.trend.contains(where: { $0.valuePer10k != nil }) {
                h += "<div class=\"chart\">" + TrendChart.svg(s.trend, unit: s.indicator.unit, title: "\(s.indicator.name) 全市趋势（蓝线：数值；红色虚线：考核标准）") + "</div>\n"
            }
            h += "</section>\n"
        }
        let measured = b.supervised.filter { $0.city.denominator > 0 }
        if !measured.isEmpty {
            h += "<section class=\"indicator\"><h3>督导应用情况</h3>\n<p>以下为方案第三部分明确由各部门督导考核的应用系统（\(b.supervised.count)项，其中\(measured.count)项本期有数据），暂不设考核标准的仅通报数值：</p>\n"
            h += "<table><tr><th>系统</th><th>牵头部门</th><th>全市</th><th>标准</th><th>有数据的法院</th></tr>\n"
            for s in measured {
                let lead = s.indicator.lead.map { b.plan.unitName($0) }.joined(separator: "、")
                h += "<tr><td>\(e(s.indicator.code)) \(e(s.indicator.name))</td><td>\(e(lead))</td><td class=\"num\">\(e(s.city.valueText))</td><td class=\"num\">\(e(s.city.thresholdText))</td><td class=\"num\">\(s.courts.filter { $0.row.denominator > 0 }.count)</td></tr>\n"
            }
            h += "</table></section>\n"
        }
        h += "<h2>三、需向领导小组说明情况的单位</h2>\n"
        if b.accountability.isEmpty {
            h += "<p>本期无需说明情况的单位。</p>\n"
        } else {
            h += "<p>\(e(BulletinText.accountabilityLead(b)))</p>\n"
            h += "<table><tr><th>单位</th><th>指标</th><th>原因</th><th>情况</th><th>是否已说明</th></tr>\n"
            for a in b.accountability {
                let explained = a.explained ? "已说明" : "<span class=\"pending\">未说明</span>"
                h += "<tr><td>\(e(a.unitName))</td><td>\(e(a.indicatorName))</td><td>\(e(BulletinText.reason(a)))</td><td>\(e(a.detail))</td><td>\(explained)</td></tr>\n"
            }
            h += "</table>\n"
            var seen = Set<String>()
            let texts = b.accountability.flatMap { a in a.explanations.map { (a, $0) } }.filter { seen.insert("\($0.1.node)/\($0.1.seq)").inserted }
            if !texts.isEmpty {
                h += "<p>已收到的说明：</p>\n<ul>\n"
                for (a, x) in texts { h += "<li>\(e(a.unitName))（\(e(a.indicatorName))）：\(e(x.text))</li>\n" }
                h += "</ul>\n"
            }
        }
        h += b.outstandingHTML
        h += b.scoresHTML
        h += "<h2>四、有关要求</h2>\n<p>\(e(BulletinText.requirement(b)))</p>\n"
        h += "<p class=\"signature\">\(e(b.plan.document.issuer))信息化应用领导小组办公室（技术处）</p>\n</body>\n</html>\n"
        return h
    }

    static func css(_ s: ComplianceStatus) -> String {
        switch s {
        case .met: "met"
        case .missed: "missed"
        case .notAssessed: "na"
        case .noData: "nodata"
        case .dataProblem: "problem"
        }
    }
}
