import Foundation

/// The content of the first part of a `multipart/form-data` body (the file an upload form or the
/// official SDK sends), passed on as the body arrives: only a delimiter's length of bytes is
/// held back at a time, however large the file.
struct MultipartFile {
    enum Problem: Error, Equatable {
        case noBoundary
        case headersTooLong
        case noFile
    }

    /// `--boundary` at the very start, or after a line break everywhere else.
    private let delimiter: [UInt8]
    private var pending: [UInt8] = []
    private var state = State.preamble
    private enum State { case preamble, headers, content, done }
    static let maxHeaderBytes = 16 * 1024

    /// The reader for a body of this `Content-Type`, or nil when it is not multipart.
    init?(contentType: String) throws(Problem) {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        guard
            let b = contentType.split(separator: ";").compactMap({ part -> Substring? in
                let t = part.drop { $0 == " " }
                return t.lowercased().hasPrefix("boundary=") ? t.dropFirst("boundary=".count) : nil
            }).first, !b.isEmpty
        else { throw .noBoundary }
        let boundary = b.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        delimiter = Array("\r\n--\(boundary)".utf8)
        // The first delimiter may open the body without a line break before it.
        pending = [13, 10]
    }

    /// The file's bytes found in `bytes` (and what was held back before them).
    mutating func read(_ bytes: some Sequence<UInt8>) throws(Problem) -> [UInt8] {
        guard state != .done else { return [] }
        pending.append(contentsOf: bytes)
        var out: [UInt8] = []
        while true {
            switch state {
            case .preamble:
                guard let at = Self.find(delimiter, in: pending) else {
                    pending.removeFirst(max(0, pending.count - delimiter.count))
                    return out
                }
                pending.removeFirst(at + delimiter.count)
                state = .headers
            case .headers:
                guard let at = Self.find([13, 10, 13, 10], in: pending) else {
                    if pending.count > Self.maxHeaderBytes { throw .headersTooLong }
                    return out
                }
                pending.removeFirst(at + 4)
                state = .content
            case .content:
                if let at = Self.find(delimiter, in: pending) {
                    // A delimiter is followed by `--` (the last) or a line break; anything else
                    // after the same bytes is still the file's.
                    let after = at + delimiter.count
                    guard pending.count >= after + 2 else {
                        out += pending[..<at]
                        pending.removeFirst(at)
                        return out
                    }
                    let next = (pending[after], pending[after + 1])
                    if next == (45, 45) || next == (13, 10) {
                        out += pending[..<at]
                        pending = []
                        state = .done
                        return out
                    }
                    out += pending[...at]
                    pending.removeFirst(at + 1)
                    continue
                }
                let safe = max(0, pending.count - (delimiter.count - 1))
                out += pending[..<safe]
                pending.removeFirst(safe)
                return out
            case .done:
                return out
            }
        }
    }

    /// The end of the body: the file must have ended with its delimiter.
    func finish() throws(Problem) {
        guard state == .done else { throw .noFile }
    }

    /// Where `needle` first occurs in `haystack`.
    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        return haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                var i = 0
                let last = h.count - n.count
                while i <= last {
                    guard let p = memchr(h.baseAddress! + i, Int32(first), last - i + 1) else { return nil }
                    i = h.baseAddress!.distance(to: p.assumingMemoryBound(to: UInt8.self))
                    if memcmp(h.baseAddress! + i, n.baseAddress!, n.count) == 0 { return i }
                    i += 1
                }
                return nil
            }
        }
    }
}
