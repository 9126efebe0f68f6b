import Foundation

/// Comma-separated values as RFC 4180 writes them: fields with a comma, quote or line break are
/// quoted, quotes doubled; lines end with CRLF.
enum CSV {
    static func line(_ fields: [String]) -> String {
        fields.map(quoted).joined(separator: ",") + "\r\n"
    }

    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    struct ParseError: Error {
        let line: Int
        let message: String
    }

    /// The records of a CSV text (the first is usually the header). Quoted fields may hold commas,
    /// quotes and line breaks; CRLF and LF both end a record; blank lines are skipped.
    static func records(_ text: String) throws(ParseError) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var atFieldStart = true
        var line = 1
        var chars = Array(text.unicodeScalars)[...]
        if chars.first == "\u{FEFF}" { chars = chars.dropFirst() }
        var i = chars.startIndex
        func endRecord() {
            record.append(field)
            if !(record.count == 1 && record[0].isEmpty) { records.append(record) }
            record = []
            field = ""
            atFieldStart = true
        }
        while i < chars.endIndex {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    let next = chars.index(after: i)
                    if next < chars.endIndex && chars[next] == "\"" {
                        field.unicodeScalars.append("\"")
                        i = next
                    } else {
                        quoted = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
            } else {
                switch c {
                case "\"" where atFieldStart: quoted = true
                case "\"": throw ParseError(line: line, message: "a quote inside an unquoted field")
                case ",":
                    record.append(field)
                    field = ""
                    atFieldStart = true
                    i = chars.index(after: i)
                    continue
                case "\r": break
                case "\n":
                    endRecord()
                    line += 1
                    i = chars.index(after: i)
                    continue
                default: field.unicodeScalars.append(c)
                }
            }
            atFieldStart = false
            i = chars.index(after: i)
        }
        guard !quoted else { throw ParseError(line: line, message: "a quoted field does not end") }
        if !field.isEmpty || !record.isEmpty { endRecord() }
        return records
    }
}
