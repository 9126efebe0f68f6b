import PerkJSON
import Testing

@Suite struct JSONTests {
    @Test func numbersKeepTheirText() throws {
        let j = try JSON.parse(#"{"a": 1.20, "b": -0.5e3, "c": 12345678901234567890}"#)
        #expect(j["a"]?.numberValue?.text == "1.20")
        #expect(j["b"]?.numberValue?.text == "-0.5e3")
        #expect(j["c"]?.numberValue?.text == "12345678901234567890")
        #expect(j.text == #"{"a":1.20,"b":-0.5e3,"c":12345678901234567890}"#)
    }

    @Test func stringsRoundTripWithEscapes() throws {
        let source = #"["a\"b\\c\n\u00e9\ud83d\ude00\/", "tab\there"]"#
        let j = try JSON.parse(source)
        #expect(j[0]?.stringValue == "a\"b\\c\né😀/")
        #expect(try JSON.parse(j.text) == j)
        #expect(JSON.string("\u{01}").text == #""\u0001""#)
    }

    @Test func objectsKeepOrderAndTheLastOfRepeatedKeys() throws {
        let j = try JSON.parse(#"{"z": 1, "a": 2, "z": 3}"#)
        #expect(j.objectValue?.keys == ["z", "a"])
        #expect(j["z"] == 3)
        var big = JSONObject()
        for i in 0..<100 { big["k\(i)"] = .number(i) }
        big["k50"] = nil
        #expect(big.count == 99 && big["k99"] == 99 && big["k50"] == nil)
    }

    @Test func largeObjectsKeepTheLastOfRepeatedKeysAndMergeInOrder() throws {
        // Past the linear-scan size the parser and merge index the keys; the results must not change.
        let pairs = (0..<200).map { "\"k\($0 % 150)\": \($0)" }.joined(separator: ", ")
        let parsed = try JSON.parse("{" + pairs + "}")
        let object = try #require(parsed.objectValue)
        #expect(object.count == 150)
        #expect(object.keys.prefix(3) == ["k0", "k1", "k2"])
        #expect(object["k0"] == 150 && object["k49"] == 199 && object["k50"] == 50)

        var merged = object
        merged.merge([("k1", .number(-1)), ("new", .bool(true)), ("k1", .number(-2))])
        #expect(merged.count == 151 && merged["k1"] == -2 && merged.keys.last == "new")
        var reordered = JSONObject()
        for (k, v) in object.entries.reversed() { reordered.appendUnique(k, v) }
        #expect(reordered == object)
        reordered["k7"] = 0
        #expect(reordered != object)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "tru", "\"\\x\"", "[1] 2", "\"\u{01}\"", "\"\\ud800\""])
    func malformedDocumentsAreRefused(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test func deepNestingIsRefusedNotCrashed() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSON.parse(deep) }
    }

    @Test func numbersCompareByValue() {
        #expect(JSON.number(JSONNumber(uncheckedText: "1.0")) == JSON.number(1))
        #expect(JSONNumber(uncheckedText: "3.0").wholeValue == 3)
        #expect(JSONNumber(uncheckedText: "3.5").wholeValue == nil)
    }

    @Test func readerNamesFieldsInErrors() throws {
        let r = try ObjectReader(["n": "x", "list": [1]], at: "/root")
        #expect(throws: FieldError.type("/root/n", "n", expected: "an integer", found: "x")) { try r.integer("n") }
        #expect(throws: FieldError.required("/root/missing", "missing")) { try r.string("missing", required: true) }
        #expect(throws: FieldError.self) { try r.strings("list") }
        #expect(JSONPointer.append("/a", "b/c~d") == "/a/b~1c~0d")
    }
}
