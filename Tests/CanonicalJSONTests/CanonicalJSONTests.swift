import Testing
@testable import CanonicalJSON

@Suite("RFC 8785 canonical JSON")
struct CanonicalJSONTests {
    func canonical(_ text: String) throws -> String {
        String(decoding: CanonicalEncoder.encode(try StrictJSONParser.parse(text)), as: UTF8.self)
    }

    @Test func sortsMembersAndDropsWhitespace() throws {
        #expect(try canonical(#" { "b" : [ 1 , { "z":true, "a":null } ], "a" : "x" } "#) == #"{"a":"x","b":[1,{"a":null,"z":true}]}"#)
    }

    @Test func writesChineseAsUTF8AndEscapesOnlyWhatJSONRequires() throws {
        #expect(try canonical(#"["\u4e2d\u6587","a\/b","\u0007","\"\\","\b\f\n\r\t"]"#) == #"["中文","a/b","\u0007","\"\\","\b\f\n\r\t"]"#)
    }

    @Test func ordersKeysByUTF16CodeUnitsNotCodePoints() throws {
        // U+E000 is one UTF-16 unit 0xE000; U+1F600 is the pair 0xD83D 0xDE00, which sorts first.
        #expect(try canonical(#"{"\ue000":1,"\ud83d\ude00":2}"#) == "{\"😀\":2,\"\u{E000}\":1}")
    }

    @Test func writesIntegersPlainly() throws {
        #expect(try canonical("[0,-1,9007199254740991,-9007199254740991]") == "[0,-1,9007199254740991,-9007199254740991]")
    }

    @Test(arguments: ["1.5", "1e3", "[1E2]", "{\"a\":0.0}"])
    func refusesFloatingPoint(text: String) {
        #expect { try StrictJSONParser.parse(text) } throws: { ($0 as? JSONParseError)?.reason.hasPrefix("floating-point") == true }
    }

    @Test(arguments: [
        (#"{"a":1,"a":2}"#, "duplicate member name"), ("9007199254740992", "beyond"), ("-0", "negative zero"),
        ("01", "leading zero"), (#""\ud800""#, "unpaired surrogate"), ("[1,]", "unexpected"), ("{} x", "after the end"),
        ("\"a\u{01}\"", "control character"), (String(repeating: "[", count: 70) + String(repeating: "]", count: 70), "nesting"),
    ])
    func refusesWhatTwoReadersCouldDisagreeOn(text: String, phrase: String) {
        #expect { try StrictJSONParser.parse(text) } throws: { "\($0)".contains(phrase) }
    }
}
