/// The frame every dashboard page shares: Chinese, no external file (court intranets have no
/// internet), readable without JavaScript, printable on A4. The few lines of script only
/// reload `<main>` when the hub announces a sync on `/dashboard/events`.
enum DashboardLayout {
    static func page(title: String, viewer: DashboardViewer, active: String, period: String?, body: String, live: Bool = true) -> String {
        let q = period.map { "?period=" + HTML.query($0) } ?? ""
        let nav: [(String, String, String)] = [
            ("matrix", "合规矩阵", "/dashboard\(q)"),
            ("accountability", "说明情况", "/dashboard/accountability\(q)"),
            ("suggestions", "意见建议", "/dashboard/suggestions"),
            ("scores", "考核得分", "/dashboard/scores\(q)"),
            ("sync", "同步状态", "/dashboard/sync"),
        ] + (viewer.isOffice ? [("bulletins", "通报下载", "/dashboard/bulletins\(q)")] : [])
        var html = """
            <!DOCTYPE html>
            <html lang="zh-CN">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title)) · 焦作法院信息化应用推进</title>
            <style>\(css)</style>
            </head>
            <body>
            <header>
            <div class="brand">焦作市中级人民法院 · 信息化应用推进（焦中法〔2022〕77号）</div>
            <nav>
            """
        for (key, label, href) in nav {
            html += #"<a href="\#(HTML.escape(href))"\#(key == active ? #" class="active" aria-current="page""# : "")>\#(label)</a>"#
        }
        html += #"<span class="who">\#(HTML.escape(viewer.label))</span>"#
        if viewer.hasSession {
            html += #"<form method="post" action="/dashboard/logout" class="logout"><button type="submit">退出</button></form>"#
        }
        html += "</nav></header>\n"
        if live {
            html += #"<p class="live" id="live" role="status">数据随同步自动刷新（无脚本时请手动刷新页面）</p>"#
        }
        html += "<main id=\"main\">\n<h1>\(HTML.escape(title))</h1>\n\(body)\n</main>\n"
        html += #"<footer>数据来源：焦作市中级人民法院汇总节点已接收并验证签名的使用记录。打印本页即得当前视图。</footer>"#
        if live { html += "<script>\(script)</script>" }
        html += "\n</body>\n</html>\n"
        return html
    }

    /// Reloads the page's `<main>` when a sync lands; the page works the same without it.
    static let script = """
        (function(){if(!window.EventSource||!window.fetch)return;var s=document.getElementById('live');\
        var es=new EventSource('/dashboard/events');es.addEventListener('sync',function(ev){\
        fetch(location.href,{credentials:'same-origin'}).then(function(r){return r.text()}).then(function(t){\
        var d=new DOMParser().parseFromString(t,'text/html');var m=d.getElementById('main');\
        if(m){document.getElementById('main').innerHTML=m.innerHTML;}\
        if(s){s.textContent='已更新：'+new Date().toLocaleTimeString('zh-CN')+'（'+ev.data+' 同步）';}});});\
        es.onopen=function(){if(s)s.textContent='实时更新已连接';};})();
        """

    static let css = """
        body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC","WenQuanYi Micro Hei",sans-serif;\
        margin:0;color:#1a1a1a;background:#fff;font-size:14px}
        header{background:#8b1a1a;color:#fff;padding:8px 16px}
        .brand{font-weight:bold;font-size:16px;margin-bottom:4px}
        nav a{color:#fff;margin-right:16px;text-decoration:none}nav a.active{text-decoration:underline;font-weight:bold}
        nav .who{float:right;opacity:.85;margin-left:12px}form.logout{display:inline;float:right;margin:0}
        main{padding:8px 16px}h1{font-size:20px;margin:8px 0}h2{font-size:16px;margin:16px 0 6px}
        .live{margin:4px 16px;color:#666;font-size:12px}
        table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #bbb;padding:3px 6px;text-align:center}
        th{background:#f2ede4}td.name,th.name{text-align:left;white-space:nowrap}.nowrap{white-space:nowrap}
        td.text,th.text{text-align:left;min-width:24em}
        table.matrix th.indicator{vertical-align:top;padding:3px 2px}
        table.matrix th.indicator .iname{display:block;writing-mode:vertical-rl;margin:4px auto 0;font-weight:normal;font-size:12px;max-height:13em}
        td.met{background:#e3f1e3;color:#1d6b1d}td.missed{background:#f8dcdc;color:#a11;font-weight:bold}
        td.noData{color:#999}td.notAssessed{color:#777}td.dataProblem{background:#fff0c0}
        tr.city td{font-weight:bold;border-top:2px solid #666}
        .legend{font-size:12px;color:#444}.muted{color:#777}.alarm{color:#a11;font-weight:bold}
        form.period{margin:6px 0}a{color:#1f5fa8}.departments a{white-space:nowrap}.chart svg{overflow:visible;margin-right:24px}
        footer{margin:16px;color:#777;font-size:12px}
        tr.overdue td{background:#fdf0f0}td.total{font-size:15px}td.part{font-size:12px;line-height:1.3}.how{color:#555;font-size:11px}
        td.bar{width:120px;text-align:left;padding:3px 4px}span.bar{display:inline-block;height:10px;background:#8b1a1a;vertical-align:middle;\
        -webkit-print-color-adjust:exact;print-color-adjust:exact}table.scores th.indicator{font-weight:normal;font-size:12px;max-width:7em}
        tr.notes td{border-top:0;color:#a11;font-size:12px}
        @media print{header nav,.live,form,footer{display:none}header{background:none;color:#000;border-bottom:1px solid #000}\
        body{font-size:10pt}a{color:#000;text-decoration:none}table{page-break-inside:auto}tr{page-break-inside:avoid}\
        thead{display:table-header-group}@page{size:A4 landscape;margin:12mm}}
        """
}

/// Who is looking: the leading group's office or an auditor (everything), or one court's node
/// (its own court only).
public enum DashboardViewer: Sendable, Equatable {
    /// An auditor's credential, by name; `session` when it came from the login cookie.
    case office(String, session: Bool)
    /// A node's client certificate: one court.
    case court(String)

    var isOffice: Bool { if case .office = self { true } else { false } }
    var hasSession: Bool { if case .office(_, session: true) = self { true } else { false } }
    var label: String {
        switch self {
        case .office(let name, _): "审计/领导小组办公室：\(name)"
        case .court(let code): "法院节点：\(code)"
        }
    }

    /// May this viewer see `unit` (a court code, a department slug or the city)?
    func maySee(court code: String) -> Bool {
        switch self {
        case .office: true
        case .court(let own): own == code
        }
    }
}
