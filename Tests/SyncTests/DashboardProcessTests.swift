import Foundation
import Testing

/// The dashboard over real HTTPS: in a real headless Chromium (Debian's chromium and
/// chromium-driver, driven by Selenium: `scripts/dashboard_browser.py`), and its event stream
/// with curl. `.ci/run` installs the browser, the driver, fonts-noto-cjk and selenium.
@Suite(.serialized) struct DashboardProcessTests {
    static let screenshot = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-dashboard-matrix.png").path
    static let scoresScreenshot = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-dashboard-scores.png").path

    func auditorToken(_ h: SyncHarness, name: String = "alice", role: String = "auditor") throws -> String {
        let file = h.path("\(name).auditor.json")
        let r = try h.run(["hub", "auditor", "add", "--dir", h.hub, "--out", file, "--role", role, name])
        #expect(r.status == 0, "\(r.output)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any]
        return json?["token"] as? String ?? ""
    }

    @Test func matrixRendersInChineseInARealBrowserAndUpdatesLive() throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing: run .ci/run (apt-get install chromium chromium-driver fonts-noto-cjk)")
        }
        var h = try SyncHarness()
        defer { h.remove() }
        let jiefang = try h.enrolledNode("410802", name: "jiefang")
        try h.record(jiefang, court: "410802", count: 20, online: 19)
        // 考核 at the hub: 立案庭's standard for 网上立案率 (≥ 99% full, ≥ 90% half of 10 points), a
        // business line's score of 80.00 for 解放区, weighted 20% by the office.
        for (type, fields) in [
            ("score_standard.set", ["lead=case-filing", "indicator=online-filing", "weight=10", "scoring=bands", "bands=9900:100;9000:50",
                                    "effective=2022-09-01", "document=焦中法立〔2022〕9号"]),
            ("score_rules.set", ["late_explanation=100", "missing_explanation=300", "external_per_10k=2000", "effective=2022-09-01", "document=焦中法〔2022〕90号"]),
            ("external_score.recorded", ["unit=410802", "period=2022-09", "line=审判管理", "score=8000"]),
        ] {
            let r = try h.run(["node", "append", "--dir", h.hub, "--type", type, "--at", "2022-09-01T09:00:00+08:00"] + fields)
            #expect(r.status == 0, "\(r.output)")
        }
        try h.startHub()
        #expect(try h.run(["node", "sync", "--dir", jiefang]).status == 0)
        let token = try auditorToken(h)
        // 解放区 in 2022-09: 19 of 20 online = 95.00% ≥ 90% → 50% of 10 points = 5.00/10 → 50.00;
        // total = 50.00 × 80% + 80.00 × 20% = 40.00 + 16.00 = 56.00 (5600 in hundredths).
        let scores = try h.run(["query", "scores", "--hub", "https://localhost:\(h.port)", "--auditor", h.path("alice.auditor.json"),
                                "--period", "2022-09", "--format", "json"])
        #expect(scores.status == 0 && scores.stdout.contains(#""total":5600"#) && scores.stdout.contains(#""external_score":8000"#), "\(scores.output)")
        let suggestions = try h.run(["query", "suggestions", "--hub", "https://localhost:\(h.port)", "--auditor", h.path("alice.auditor.json"), "--on", "2022-10-10"])
        #expect(suggestions.status == 0 && suggestions.stdout.contains("suggestions on 2022-10-10: 0 not closed"), "\(suggestions.output)")
        let shot = h.path("matrix.png"), scoresShot = h.path("scores.png")
        let browser = try ProcessLines("python3", [SyncHarness.packageRoot.appendingPathComponent("scripts/dashboard_browser.py").path,
                                                  "https://localhost:\(h.port)", token, shot, "--scores", "2022-09", scoresShot, "56.00", "--wait-live"])
        defer { browser.stop() }
        let ready = browser.wait(seconds: 240) { $0.contains("READY") || $0.contains("FAIL") }
        #expect(ready && browser.output.contains("READY"), "the browser did not open the matrix: \(browser.output)")
        guard browser.output.contains("READY") else { return }
        // A sync lands: the open page reloads its main part by itself.
        try h.record(jiefang, court: "410802", count: 5, online: 5, from: 21)
        #expect(try h.run(["node", "sync", "--dir", jiefang]).status == 0)
        #expect(browser.waitForExit(seconds: 180), "the browser check did not finish: \(browser.output)")
        #expect(browser.process.terminationStatus == 0 && browser.output.contains("live update ok") && browser.output.contains("\nOK"), "\(browser.output)")
        // Kept for a person to look at (the test's directory is removed).
        try? FileManager.default.removeItem(atPath: Self.screenshot)
        try? FileManager.default.copyItem(atPath: shot, toPath: Self.screenshot)
        #expect(browser.output.contains("scores ok"), "\(browser.output)")
        try? FileManager.default.removeItem(atPath: Self.scoresScreenshot)
        try? FileManager.default.copyItem(atPath: scoresShot, toPath: Self.scoresScreenshot)
    }

    @Test func eventStreamAnnouncesSyncsOnlyToWhoMaySeeThemAndEndsWhenTheHubStops() throws {
        var h = try SyncHarness()
        defer { h.remove() }
        let jiefang = try h.enrolledNode("410802", name: "jiefang")
        let macun = try h.enrolledNode("410804", name: "macun")
        try h.record(jiefang, court: "410802", count: 3, online: 3)
        try h.record(macun, court: "410804", count: 3, online: 3)
        try h.startHub()
        let token = try auditorToken(h)
        let scraper = try auditorToken(h, name: "prometheus", role: "metrics")
        let base = ["-s", "-N", "--cacert", "\(h.hub)/tls/ca.pem"]
        let office = try ProcessLines("/usr/bin/curl", base + ["-H", "Authorization: Bearer \(token)", "https://localhost:\(h.port)/dashboard/events"])
        defer { office.stop() }
        // 马村's node, by its client certificate, hears only of 马村.
        _ = try h.curl("/healthz", node: macun)
        let node = try ProcessLines("/usr/bin/curl", base + ["--cert", "\(macun)/client.pem", "--key", "\(macun)/tls.key", "https://localhost:\(h.port)/dashboard/events"])
        defer { node.stop() }
        #expect(office.wait(seconds: 30) { $0.contains(": connected") }, "\(office.output)")
        #expect(node.wait(seconds: 30) { $0.contains(": connected") }, "\(node.output)")

        #expect(try h.run(["node", "sync", "--dir", jiefang]).status == 0)
        #expect(office.wait(seconds: 30) { $0.contains("event: sync\ndata: 410802\n") }, "\(office.output)")
        #expect(try h.run(["node", "sync", "--dir", macun]).status == 0)
        #expect(node.wait(seconds: 30) { $0.contains("event: sync\ndata: 410804\n") }, "\(node.output)")
        #expect(!node.output.contains("410802"), "a node must not hear of another court's syncs: \(node.output)")

        // The scraper's token reads /metrics over HTTPS and nothing else; no credential, no stream.
        let metrics = try h.run(["-s", "--cacert", "\(h.hub)/tls/ca.pem", "-H", "Authorization: Bearer \(scraper)", "-w", "\n%{http_code}",
                                 "https://localhost:\(h.port)/metrics"], executable: "/usr/bin/curl")
        #expect(metrics.stdout.hasSuffix("\n200") && metrics.stdout.contains("courtsync_node_lag_seconds{court=\"410802\"}"), "\(metrics.stdout)")
        let anonymous = try h.run(["-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "--cacert", "\(h.hub)/tls/ca.pem",
                                   "https://localhost:\(h.port)/dashboard/events"], executable: "/usr/bin/curl")
        #expect(anonymous.stdout.hasPrefix("303") && anonymous.stdout.contains("/dashboard/login"), "\(anonymous.stdout)")

        // Refusals are logged at the hub with their reason (the journal under systemd).
        let refused = try h.run(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", "\(h.hub)/tls/ca.pem", "-H", "Authorization: Bearer \(scraper)",
                                 "https://localhost:\(h.port)/v1/query/accountability?period=2022-09"], executable: "/usr/bin/curl")
        #expect(refused.stdout == "401")
        let log = try String(contentsOfFile: h.path("hub.log"), encoding: .utf8)
        #expect(log.contains("request refused") && log.contains("reason=unauthorized"), "\(log)")

        // SIGTERM with streams open: the hub closes them and exits.
        let server = h.server!
        kill(server.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(20)
        while server.isRunning, Date() < deadline { usleep(100_000) }
        #expect(!server.isRunning, "the hub did not stop with event streams open")
        #expect(office.waitForExit(seconds: 20), "the event stream was not closed when the hub stopped")
        h.server = nil
    }
}
