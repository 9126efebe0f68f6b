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

    /// A record and the line it begins on.
    struct Record {
        var line: Int
        var fields: [String]
    }

    /// Reads records from bytes as they arrive, in pieces cut anywhere. Quoted fields may hold
    /// commas, quotes and line breaks; CRLF and LF both end a record; blank lines are skipped; a
    /// byte-order mark in front is dropped. Only the record being read is held, and it is
    /// bounded, so that a file of any length reads in little memory.
    struct Reader {
        /// A record longer than this (a quote that never closes, say) is an error.
        var maxRecordBytes = 64 * 1024
        private var fields: [String] = []
        private var field: [UInt8] = []
        private var quoted = false
        /// Inside a quoted field, a quote was read: it closes the field unless another follows.
        private var quoteClosing = false
        private var atFieldStart = true
        private var line = 1
        private var recordLine = 1
        private var recordBytes = 0
        private var first = true

        init(maxRecordBytes: Int = 64 * 1024) { self.maxRecordBytes = maxRecordBytes }

        mutating func read(_ bytes: some Sequence<UInt8>, into out: inout [Record]) throws(ParseError) {
            for byte in bytes { try take(byte, &out) }
        }

        /// The end of the input: the last record, if it did not end with a line break.
        mutating func finish(into out: inout [Record]) throws(ParseError) {
            guard !quoted || quoteClosing else { throw ParseError(line: line, message: "a quoted field does not end") }
            quoted = false
            if !field.isEmpty || !fields.isEmpty { endRecord(&out) }
        }

        private mutating func take(_ byte: UInt8, _ out: inout [Record]) throws(ParseError) {
            recordBytes += 1
            guard recordBytes <= maxRecordBytes else {
                throw ParseError(line: recordLine, message: "a record is longer than \(maxRecordBytes) bytes")
            }
            if quoted {
                if quoteClosing {
                    quoteClosing = false
                    if byte == UInt8(ascii: "\"") {
                        field.append(byte)
                        return
                    }
                    quoted = false  // the quote closed the field: this byte follows it
                } else {
                    if byte == UInt8(ascii: "\"") {
                        quoteClosing = true
                    } else {
                        if byte == UInt8(ascii: "\n") { line += 1 }
                        field.append(byte)
                    }
                    return
                }
            }
            switch byte {
            case UInt8(ascii: "\"") where atFieldStart:
                quoted = true
            case UInt8(ascii: "\""):
                throw ParseError(line: line, message: "a quote inside an unquoted field")
            case UInt8(ascii: ","):
                endField()
                return
            case UInt8(ascii: "\r"): break
            case UInt8(ascii: "\n"):
                endRecord(&out)
                line += 1
                recordLine = line
                recordBytes = 0
                return
            default: field.append(byte)
            }
            atFieldStart = false
        }

        private mutating func endField() {
            var bytes = field[...]
            if first && fields.isEmpty && bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
            fields.append(String(decoding: bytes, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            atFieldStart = true
        }

        private mutating func endRecord(_ out: inout [Record]) {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) {
                out.append(Record(line: recordLine, fields: fields))
                first = false
            }
            fields.removeAll(keepingCapacity: true)
        }
    }
}
