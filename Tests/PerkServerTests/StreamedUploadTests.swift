import Testing

@testable import PerkServer

/// The readers a CSV upload goes through as it arrives: whatever pieces the bytes come in, they
/// find the same records and the same file.
@Suite struct StreamedUploadTests {
    static let csv =
        "\u{FEFF}value,attributes\r\nA-1,\"{\"\"k\"\": \"\"a,b\"\"}\"\r\n\r\n\"two\nlines\",\r\nlast,\"\"\"\"\n\"end\",x"

    static func records(_ bytes: [UInt8], cutAt cuts: [Int]) throws -> [CSV.Record] {
        var reader = CSV.Reader()
        var out: [CSV.Record] = []
        var start = 0
        for cut in cuts + [bytes.count] {
            try reader.read(bytes[start..<cut], into: &out)
            start = cut
        }
        try reader.finish(into: &out)
        return out
    }

    @Test func csvRecordsAreTheSameHoweverTheBytesAreCut() throws {
        let bytes = Array(Self.csv.utf8)
        let whole = try Self.records(bytes, cutAt: [])
        #expect(
            whole.map(\.fields) == [
                ["value", "attributes"], ["A-1", "{\"k\": \"a,b\"}"], ["two\nlines", ""], ["last", "\""], ["end", "x"],
            ])
        // A record's line is where it begins: the blank line and the quoted line break count.
        #expect(whole.map(\.line) == [1, 2, 4, 6, 7])
        for cut in 0...bytes.count {
            let split = try Self.records(bytes, cutAt: [cut])
            #expect(split.map(\.fields) == whole.map(\.fields), "cut at \(cut)")
            #expect(split.map(\.line) == whole.map(\.line), "cut at \(cut)")
        }
        let byteByByte = try Self.records(bytes, cutAt: Array(1..<bytes.count))
        #expect(byteByByte.map(\.fields) == whole.map(\.fields))
    }

    @Test func malformedOrEndlessRecordsAreErrorsWithTheirLine() throws {
        #expect(throws: CSV.ParseError.self) { try Self.records(Array("value\nab\"c\n".utf8), cutAt: []) }
        #expect(throws: CSV.ParseError.self) { try Self.records(Array("value\n\"never closed\n".utf8), cutAt: []) }
        var reader = CSV.Reader(maxRecordBytes: 100)
        var out: [CSV.Record] = []
        do {
            try reader.read(Array(("value\n\"" + String(repeating: "x", count: 1_000)).utf8), into: &out)
            Issue.record("an endless record was read")
        } catch {
            #expect(error.line == 2)
            #expect(error.message.contains("100 bytes"))
        }
    }

    static let boundary = "b0undary"
    static let content = "value\r\nAB\r\n--b0undar\r\n-\r\n--b0undaryX"
    static let body =
        "preamble\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"upFile\"; filename=\"c.csv\"\r\n"
        + "Content-Type: text/csv\r\n\r\n\(content)\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n"
        + "other\r\n--\(boundary)--\r\n"

    @Test func theFirstPartOfAMultipartBodyIsFoundHoweverTheBytesAreCut() throws {
        let bytes = Array(Self.body.utf8)
        // A delimiter that only nearly matches (`--b0undar`, `--b0undaryX` is not at a line start
        // here but within the content's last line) stays in the file.
        let expected = Array("value\r\nAB\r\n--b0undar\r\n-\r\n--b0undaryX".utf8)
        for cut in 0...bytes.count {
            var file = try #require(try MultipartFile(contentType: "multipart/form-data; boundary=\(Self.boundary)"))
            let content = try file.read(bytes[..<cut]) + file.read(bytes[cut...])
            try file.finish()
            #expect(content == expected, "cut at \(cut)")
        }
        var file = try #require(try MultipartFile(contentType: "multipart/form-data; boundary=\"\(Self.boundary)\""))
        var content: [UInt8] = []
        for byte in bytes { content += try file.read([byte]) }
        #expect(content == expected)
    }

    @Test func aMultipartBodyWithoutItsFileIsAnError() throws {
        #expect(try MultipartFile(contentType: "text/csv") == nil)
        #expect(throws: MultipartFile.Problem.noBoundary) { try MultipartFile(contentType: "multipart/form-data") }
        var cut = try #require(try MultipartFile(contentType: "multipart/form-data; boundary=xyz"))
        _ = try cut.read(Array("--xyz\r\n\r\nvalue\nA\n".utf8))
        #expect(throws: MultipartFile.Problem.noFile) { try cut.finish() }
        var endless = try #require(try MultipartFile(contentType: "multipart/form-data; boundary=xyz"))
        #expect(throws: MultipartFile.Problem.headersTooLong) {
            _ = try endless.read(Array(("--xyz\r\nX: " + String(repeating: "h", count: 20_000)).utf8))
        }
    }
}
