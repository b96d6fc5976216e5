import Projections

/// A bulletin as one self-contained HTML page in the layout of a 公文 on A4 (inline CSS and
/// SVG charts, no external file, no script): 版头 with the issuing body and a red rule, title,
/// 文号 and date; 仿宋 body text with 宋体 and generic fallbacks. Layout never depends on a font:
/// tables take the page width, court names never wrap, headings stay with what follows,
/// table headers repeat on each printed page and rows never split.
public enum BulletinHTML {
    static let style = """
        @page { size: A4; margin: 37mm 26mm 35mm 28mm; }
        html { font-size: 16pt; }
        body { font-family: "FangSong", "仿宋", "FangSong_GB2312", "仿宋_GB2312", "STFangsong", "SimSun", "宋体", "Songti SC", "Noto Serif CJK SC", "Source Han Serif SC", serif; color: #000; line-height: 1.6; margin: 0 auto; max-width: 156mm; padding: 1em 0; }
        @media screen { body { padding: 2em 1em; } }
        .issuer { text-align: center; color: #c00000; font-family: "FZXiaoBiaoSong-B05S", "方正小标宋简体", "SimSun", "宋体", "Noto Serif CJK SC", serif; font-size: 1.35rem; letter-spacing: 0.04em; margin: 0 0 0.3em; line-height: 1.3; white-space: nowrap; }
        .number { text-align: center; margin: 0.2em 0 0.3em; }
        hr.red { border: 0; border-top: 2px solid #c00000; margin: 0 0 1.2em; }
        h1 { text-align: center; font-family: "FZXiaoBiaoSong-B05S", "方正小标宋简体", "SimSun", "宋体", "Noto Serif CJK SC", serif; font-size: 1.35rem; font-weight: bold; margin: 0.6em 0 0.8em; line-height: 1.4; }
        h2 { font-family: "SimHei", "黑体", "Heiti SC", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; font-size: 1rem; font-weight: normal; margin: 1em 0 0.3em; }
        h3 { font-family: "KaiTi", "楷体", "KaiTi_GB2312", "楷体_GB2312", "STKaiti", "Noto Serif CJK SC", serif; font-size: 1rem; font-weight: bold; margin: 0.8em 0 0.2em; }
        h1, h2, h3, .lead { break-after: avoid; page-break-after: avoid; }
        p { margin: 0.2em 0; text-indent: 2em; text-align: justify; }
        p.plain { text-indent: 0; }
        .note { font-size: 0.8rem; text-indent: 0; }
        table { border-collapse: collapse; width: 100%; margin: 0.3em 0 0.6em; font-size: 0.7rem; line-height: 1.35; }
        thead { display: table-header-group; }
        tr, .chart, li { break-inside: avoid; page-break-inside: avoid; }
        th, td { border: 1px solid #000; padding: 0.15em 0.3em; text-align: center; }
        th { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-weight: normal; background: #eee; }
        td.unit { white-space: nowrap; text-align: left; }
        tr.city td { font-weight: bold; background: #f6f6f6; }
        td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
        td.text { text-align: left; }
        .met { color: #1e6b30; } .missed { color: #c00000; font-weight: bold; } .na, .nodata { color: #555; } .problem { color: #8a5a00; font-weight: bold; }
        .chart { margin: 0.2em 0 0.6em; }
        .caption { text-indent: 0; text-align: center; font-size: 0.7rem; margin: 0; }
        .chart svg { display: block; width: 100%; height: auto; }
        .pending { color: #c00000; font-weight: bold; }
        .signature { text-align: right; text-indent: 0; margin-top: 2em; }
        .appendix { margin-top: 2em; font-size: 0.75rem; break-inside: avoid; page-break-inside: avoid; }
        p.lead { text-align: left; }
        .appendix p { text-indent: 0; }
        .appendix code { font-family: "DejaVu Sans Mono", "Courier New", monospace; font-size: 0.65rem; word-break: break-all; }
        """

    public static func render(_ b: Bulletin) -> String {
        let e = TrendChart.escape
        let when = Bulletin.chinese(b.period)
        let doc = b.plan.document
        let title = "关于\(when)全市法院信息化应用情况的通报"
        var h = """
            <!DOCTYPE html>
            <html lang="zh-CN">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(title))</title>
            <style>
            \(style)
            </style>
            </head>
            <body>
            <p class="issuer plain">\(e(doc.issuer))信息化应用\(e(b.kind.title))</p>
            <p class="number plain">\(e(b.documentNumber))</p>
            <hr class="red">
            <h1>关于\(e(when))全市法院<br>信息化应用情况的通报</h1>
            <p class="plain">全市各基层人民法院，市中级人民法院各部门：</p>
            <p>根据《\(e(doc.issuer + doc.title))》（\(e(doc.number))），现将\(e(when))全市法院信息化应用情况通报如下。</p>
            <h2>一、总体情况</h2>
            <p class="lead">\(e(BulletinText.overview(b)))</p>
            <table><thead><tr><th>法院</th><th>达标</th><th>未达标</th><th>不考核</th><th>无数据</th></tr></thead><tbody>

            """
        for (court, t) in b.courtTallies {
            h += "<tr><td class=\"unit\">\(e(court.name))</td>" + tallyCells(t) + "</tr>\n"
        }
        h += "<tr class=\"city\"><td class=\"unit\">全市</td>" + tallyCells(b.cityTally) + "</tr>\n"
        h += "</tbody></table>\n"
        if !b.departmentStandings.isEmpty {
            // The 中院 is judged by its departments, each ranked by the share of its assessed indicators met.
            let ranked = b.departmentStandings.filter { $0.rank != nil }.count
            h += "<p class=\"lead\">中院各责任部门（按所负责指标的达标比例排名）：</p>\n"
            h += "<table><thead><tr><th>中院部门</th><th>负责指标</th><th>达标</th><th>未达标</th><th>排名</th></tr></thead><tbody>\n"
            for d in b.departmentStandings {
                h += "<tr><td class=\"unit\">中院\(e(d.name))</td><td class=\"num\">\(d.rows.count)</td><td class=\"num\">\(d.met)</td><td class=\"num\">\(d.missed)</td><td class=\"num\">\(d.rank.map { "\($0)/\(ranked)" } ?? "—")</td></tr>\n"
            }
            h += "</tbody></table>\n"
        }
        h += "<h2>二、分项指标情况</h2>\n"
        for (n, s) in b.sections.enumerated() {
            h += "<section class=\"indicator\" id=\"\(e(s.indicator.slug))\">\n<h3>（\(Bulletin.chineseNumber(n + 1))）\(e(s.indicator.name))（指标\(e(s.indicator.code))）</h3>\n"
            h += "<p class=\"lead\">\(e(BulletinText.sectionLead(b, s)))</p>\n"
            h += "<table><thead><tr><th>法院</th><th>数值</th><th>基层法院排名</th><th>\(e(b.previousLabel))</th><th>情况</th></tr></thead><tbody>\n"
            for line in s.courts {
                h += "<tr><td class=\"unit\">\(e(line.row.unitName))</td><td class=\"num\">\(e(line.row.valueText))</td><td class=\"num\">\(line.rank.map { "\($0)/\(line.ranked)" } ?? "—")</td>"
                h += "<td class=\"num\">\(e(line.change))</td><td class=\"\(css(line.row.status))\">\(e(line.row.status.chinese))</td></tr>\n"
            }
            h += "<tr class=\"city\"><td class=\"unit\">全市</td><td class=\"num\">\(e(s.city.valueText))</td><td class=\"num\">—</td><td class=\"num\">\(e(s.change))</td><td class=\"\(css(s.city.status))\">\(e(s.city.status.chinese))</td></tr>\n"
            h += "</tbody></table>\n"
            if !s.departmentsMissed.isEmpty {
                h += "<p>中院责任部门未达标：" + e(s.departmentsMissed.map { "\($0.unitName) \($0.valueText)" }.joined(separator: "，")) + "。</p>\n"
            }
            if s.trend.contains(where: { $0.valuePer10k != nil }) {
                h += "<div class=\"chart\"><p class=\"caption\">图\(n + 1)　\(e(s.indicator.name))：全市逐月数值与考核标准</p>" + TrendChart.svg(s.trend, unit: s.indicator.unit, title: "\(s.indicator.name) 全市逐月趋势") + "</div>\n"
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
        if !b.roleBreakdown.isEmpty {
            h += "<section class=\"indicator\"><h3>分角色人员活跃情况</h3>\n<p>\(e(BulletinText.roleLead))</p>\n"
            h += "<table><tr><th>指标</th><th>单位</th><th>角色</th><th>活跃/在册</th><th>值</th><th>状态</th></tr>\n"
            for r in b.roleBreakdown {
                h += "<tr><td>\(e(r.indicatorCode)) \(e(r.indicatorName))</td><td>\(e(r.unitName))</td><td>\(e(ComplianceRow.roleName(r.role ?? "")))</td><td class=\"num\">\(r.numerator)/\(r.denominator)</td><td class=\"num\">\(e(r.valueText))</td><td class=\"\(css(r.status))\">\(r.status.chinese)</td></tr>\n"
            }
            h += "</table></section>\n"
        }
        h += "<h2>三、需向领导小组说明情况的单位</h2>\n"
        if b.accountability.isEmpty {
            h += "<p>本期无需说明情况的单位。</p>\n"
        } else {
            h += "<p class=\"lead\">\(e(BulletinText.accountabilityLead(b)))</p>\n"
            h += "<table><thead><tr><th>单位</th><th>指标</th><th>原因</th><th>情况</th><th>是否已说明</th></tr></thead><tbody>\n"
            for a in b.accountability {
                let explained = a.explained ? "已说明" : "<span class=\"pending\">未说明</span>"
                h += "<tr><td class=\"unit\">\(e(b.unitLabel(a.unit, a.unitName)))</td><td>\(e(a.indicatorName))</td><td>\(e(BulletinText.reason(a)))</td><td class=\"num\">\(e(BulletinText.detail(a)))</td><td>\(explained)</td></tr>\n"
            }
            h += "</tbody></table>\n"
            let texts = BulletinText.explanations(b)
            if !texts.isEmpty {
                h += "<p class=\"lead\">已收到的说明：</p>\n"
                for (unit, indicator, text) in texts { h += "<p>\(e(unit))（\(e(indicator))）：\(e(text))</p>\n" }
            }
        }
        h += b.outstandingHTML
        h += b.scoresHTML
        h += "<h2>四、有关要求</h2>\n<p>\(e(BulletinText.requirement(b)))</p>\n"
        h += "<p class=\"signature\">\(e(doc.issuer))信息化应用推广领导小组办公室<br>（技术处）"
        if !b.issued.isEmpty { h += "<br>\(e(b.issued))" }
        h += "</p>\n"
        h += "<p class=\"note\">\(e(b.dataNote))</p>\n"
        if !b.recordTiming.isEmpty {
            h += "<div class=\"appendix\"><h3>附：记录时效</h3>\n"
            for line in b.recordTiming { h += "<p>\(e(line))</p>\n" }
            h += "</div>\n"
        }
        if !b.reproduction.isEmpty {
            h += "<div class=\"appendix\"><h3>附：数据复核信息</h3>\n"
            for line in b.reproduction.split(separator: "\n") {
                h += line.hasPrefix("courtsync ") ? "<p><code>\(e(String(line)))</code></p>\n" : "<p>\(e(String(line)))</p>\n"
            }
            h += "</div>\n"
        }
        h += "</body>\n</html>\n"
        return h
    }

    static func tallyCells(_ t: [ComplianceStatus: Int]) -> String {
        [ComplianceStatus.met, .missed, .notAssessed, .noData].map { "<td class=\"num\">\(t[$0] ?? 0)</td>" }.joined()
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
