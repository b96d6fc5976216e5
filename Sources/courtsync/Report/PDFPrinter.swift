import CourtLog
import Foundation

/// Prints HTML to PDF with headless Chromium (Debian's `chromium` package), so the PDF is
/// exactly what the browser's print of the HTML bulletin gives: A4 from its `@page` rule.
enum PDFPrinter {
    /// The browser to use: `$COURTSYNC_CHROMIUM`, else the first of chromium,
    /// chromium-browser, google-chrome on the PATH.
    static func browser() -> String? {
        let env = ProcessInfo.processInfo.environment
        if let given = env["COURTSYNC_CHROMIUM"], !given.isEmpty { return FileManager.default.isExecutableFile(atPath: given) ? given : nil }
        let path = (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":") + ["/usr/bin", "/usr/lib/chromium"]
        for dir in path {
            for name in ["chromium", "chromium-browser", "google-chrome"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        return nil
    }

    static func print(html: String) throws -> [UInt8] {
        guard let browser = browser() else {
            throw EventError("a PDF is printed by headless Chromium, which is not installed: apt-get install chromium fonts-noto-cjk (or write --format html or docx)")
        }
        let fm = FileManager.default
        let work = fm.temporaryDirectory.appendingPathComponent("courtsync-pdf-\(ProcessInfo.processInfo.processIdentifier)-\(UInt64.random(in: 0...UInt64.max))")
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: work) }
        let page = work.appendingPathComponent("bulletin.html"), pdf = work.appendingPathComponent("bulletin.pdf")
        try Data(html.utf8).write(to: page)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--user-data-dir=\(work.path)/profile", "--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)",
                             page.absoluteString]
        let log = work.appendingPathComponent("chromium.log")
        fm.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try? handle.close()
        guard process.terminationStatus == 0, let bytes = fm.contents(atPath: pdf.path), bytes.starts(with: Array("%PDF".utf8)) else {
            let tail = (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? ""
            throw EventError("\(browser) could not print the PDF (exit \(process.terminationStatus)\(tail.isEmpty ? "" : ": \(tail)")): check that Chromium runs here, or write --format html and print it")
        }
        return Array(bytes)
    }
}
