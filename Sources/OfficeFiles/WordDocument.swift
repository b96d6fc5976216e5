/// A document written as WordprocessingML (.docx) that Word, WPS and LibreOffice open and edit:
/// A4 with the margins of 公文 (GB/T 9704: top 37 mm, bottom 35 mm, left 28 mm, right 26 mm),
/// 仿宋 body text with 宋体 and serif fallbacks, headings kept with what follows, tables whose
/// header row repeats on every page and whose rows never split.
public struct WordDocument: Sendable {
    public enum Alignment: String, Sendable { case left, center, right, both }

    /// A font role; each names a 公文 face and the faces Word and WPS substitute.
    public enum Face: Sendable {
        case body, title, heading
        var fonts: (eastAsia: String, ascii: String) {
            switch self {
            case .body: ("仿宋_GB2312", "Times New Roman")
            case .title: ("方正小标宋简体", "Times New Roman")
            case .heading: ("黑体", "Times New Roman")
            }
        }
    }

    public struct Run: Sendable {
        public var text: String
        public var bold = false
        public var color: String? = nil
        public init(_ text: String, bold: Bool = false, color: String? = nil) { self.text = text; self.bold = bold; self.color = color }
    }

    var body = ""

    public init() {}

    /// A paragraph; `size` in points (16 pt is 三号, the body size of 公文).
    public mutating func paragraph(_ runs: [Run], face: Face = .body, size: Double = 16, align: Alignment = .both,
                                   keepWithNext: Bool = false, indentFirstLine: Bool = false, spaceAfter: Int = 0) {
        var p = "<w:p><w:pPr>"
        if keepWithNext { p += "<w:keepNext/>" }
        p += #"<w:spacing w:after="\#(spaceAfter)" w:line="\#(Int(size * 1.5 * 20))" w:lineRule="exact"/>"#
        if indentFirstLine { p += #"<w:ind w:firstLineChars="200" w:firstLine="\#(Int(size * 40))"/>"# }
        p += #"<w:jc w:val="\#(align.rawValue)"/></w:pPr>"#
        for r in runs { p += Self.run(r, face: face, size: size) }
        body += p + "</w:p>"
    }

    public mutating func paragraph(_ text: String, face: Face = .body, size: Double = 16, align: Alignment = .both,
                                   bold: Bool = false, color: String? = nil, keepWithNext: Bool = false, indentFirstLine: Bool = false) {
        paragraph([Run(text, bold: bold, color: color)], face: face, size: size, align: align, keepWithNext: keepWithNext, indentFirstLine: indentFirstLine)
    }

    /// A red rule under the 版头 (issuing body), as 公文 have.
    public mutating func redRule() {
        body += #"<w:p><w:pPr><w:pBdr><w:bottom w:val="single" w:sz="18" w:space="1" w:color="C00000"/></w:pBdr><w:spacing w:after="240"/></w:pPr></w:p>"#
    }

    /// A table: the header row repeats on each page, no row splits across pages, the first
    /// column never wraps (court names stay on one line).
    public mutating func table(header: [String], rows: [[String]], widthsPercent: [Int], size: Double = 10.5, boldLastRow: Bool = false) {
        let total = 8844  // twips: 156 mm text width
        var t = #"<w:tbl><w:tblPr><w:tblW w:w="\#(total)" w:type="dxa"/><w:jc w:val="center"/><w:tblBorders>"#
        for side in ["top", "left", "bottom", "right", "insideH", "insideV"] { t += #"<w:\#(side) w:val="single" w:sz="4" w:space="0" w:color="000000"/>"# }
        t += #"</w:tblBorders><w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="60" w:type="dxa"/><w:right w:w="60" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>"#
        let widths = widthsPercent.map { total * $0 / max(1, widthsPercent.reduce(0, +)) }
        for w in widths { t += #"<w:gridCol w:w="\#(w)"/>"# }
        t += "</w:tblGrid>"
        func row(_ cells: [String], header: Bool, bold: Bool = false) -> String {
            var r = "<w:tr><w:trPr><w:cantSplit/>" + (header ? "<w:tblHeader/>" : "") + "</w:trPr>"
            for (i, c) in cells.enumerated() {
                r += #"<w:tc><w:tcPr><w:tcW w:w="\#(i < widths.count ? widths[i] : 1000)" w:type="dxa"/>"#
                if i == 0 { r += "<w:noWrap/>" }
                if header { r += #"<w:shd w:val="clear" w:color="auto" w:fill="EDEDED"/>"# }
                r += #"<w:vAlign w:val="center"/></w:tcPr><w:p><w:pPr><w:snapToGrid w:val="0"/><w:spacing w:before="20" w:after="20" w:line="240" w:lineRule="auto"/><w:jc w:val="\#(i == 0 && !header ? "left" : "center")"/></w:pPr>"#
                r += Self.run(Run(c, bold: header || bold), face: header ? .heading : .body, size: size)
                r += "</w:p></w:tc>"
            }
            return r + "</w:tr>"
        }
        t += row(header, header: true)
        for (i, r) in rows.enumerated() { t += row(r, header: false, bold: boldLastRow && i == rows.count - 1) }
        body += t + "</w:tbl>" + #"<w:p><w:pPr><w:spacing w:after="120"/></w:pPr></w:p>"#
    }

    static func run(_ r: Run, face: Face, size: Double) -> String {
        let f = face.fonts
        var s = #"<w:r><w:rPr><w:rFonts w:ascii="\#(f.ascii)" w:hAnsi="\#(f.ascii)" w:eastAsia="\#(f.eastAsia)" w:cs="\#(f.ascii)"/>"#
        if r.bold { s += "<w:b/>" }
        if let c = r.color { s += #"<w:color w:val="\#(c)"/>"# }
        s += #"<w:sz w:val="\#(Int(size * 2))"/><w:szCs w:val="\#(Int(size * 2))"/></w:rPr>"#
        s += #"<w:t xml:space="preserve">\#(XMLScanner.escape(r.text))</w:t></w:r>"#
        return s
    }

    /// The .docx file's bytes.
    public func docx(title: String) -> [UInt8] {
        var zip = ZipArchive()
        zip.add("[Content_Types].xml", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>
            """)
        zip.add("_rels/.rels", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>
            """)
        zip.add("docProps/core.xml", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>\(XMLScanner.escape(title))</dc:title><dc:creator>CourtSync</dc:creator></cp:coreProperties>
            """)
        zip.add("word/_rels/document.xml.rels", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>
            """)
        zip.add("word/styles.xml", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="仿宋_GB2312" w:cs="Times New Roman"/><w:sz w:val="32"/><w:szCs w:val="32"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="0"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style><w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style></w:styles>
            """)
        let section = #"<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="2098" w:right="1474" w:bottom="1984" w:left="1588" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr>"#
        zip.add("word/document.xml", text: #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
            + #"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>"#
            + body + section + "</w:body></w:document>")
        return zip.bytes()
    }
}
