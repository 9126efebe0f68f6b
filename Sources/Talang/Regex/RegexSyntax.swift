// The syntax of Go's `regexp` package (RE2 syntax with Go's Perl flags), parsed into a small tree.
// The parser follows Go's `regexp/syntax/parse.go` closely, so that what Go accepts is accepted and
// what Go refuses is refused with Go's wording. It is iterative: one frame per open group, so the
// depth of nesting costs heap, not stack, and is capped before a frame is pushed.

/// Why a pattern was refused: what is wrong, then (as Go prints it) the offending text in backquotes.
public struct RegexSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    init(_ message: String) { self.message = message }
    init(_ problem: String, _ text: String) { self.message = "\(problem): `\(text)`" }
}

/// Zero-width conditions, as bits so that one mask describes everything true at a text position.
enum RegexAssertion: UInt8, Sendable {
    case beginLine = 1
    case endLine = 2
    case beginText = 4
    case endText = 8
    case wordBoundary = 16
    case notWordBoundary = 32
}

/// The parsed pattern. Capture groups, group names and laziness are checked and then dropped:
/// whether a text contains a match does not depend on them.
indirect enum RegexNode: Sendable {
    case empty
    case scalar(UInt32)
    /// An index into `RegexSyntaxTree.sets`, so that copies made by counted repetition share one set.
    case set(Int)
    case anyScalar
    case anyScalarExceptNewline
    case assertion(RegexAssertion)
    case concat([RegexNode])
    case alternate([RegexNode])
    case star(RegexNode)
    case plus(RegexNode)
    case quest(RegexNode)
    /// `x{min,max}`; `max` is -1 for `x{min,}`.
    case repetition(RegexNode, min: Int, max: Int)

    /// Go's `repeatIsValid`: nested counted repetitions may not multiply beyond `n` copies.
    func repeatIsValid(_ n: Int) -> Bool {
        switch self {
        case .repetition(let sub, let min, let max):
            var m = max
            if m == 0 { return true }
            if m < 0 { m = min }
            if m > n { return false }
            return sub.repeatIsValid(m > 0 ? n / m : n)
        case .star(let sub), .plus(let sub), .quest(let sub):
            return sub.repeatIsValid(n)
        case .concat(let subs), .alternate(let subs):
            return subs.allSatisfy { $0.repeatIsValid(n) }
        default:
            return true
        }
    }
}

struct RegexSyntaxTree: Sendable {
    var root: RegexNode
    var sets: [RegexCharSet]
}

struct RegexFlags: OptionSet, Sendable {
    let rawValue: UInt8
    static let foldCase = RegexFlags(rawValue: 1)
    static let dotMatchesNewline = RegexFlags(rawValue: 2)
    /// `^` and `$` match only at the ends of the text; `(?m)` clears it.
    static let oneLine = RegexFlags(rawValue: 4)
    /// `(?U)`: parsed because Go accepts it; a yes-or-no search cannot tell lazy from greedy.
    static let nonGreedy = RegexFlags(rawValue: 8)
}

struct RegexParser {
    static let maxNesting = 100
    /// RE2's limit on a repeat count, and on the product of nested counts.
    static let maxRepeat = 1000

    private let s: [Unicode.Scalar]
    private var i = 0
    private var flags: RegexFlags = .oneLine
    private var frames = [Frame(savedFlags: .oneLine)]
    private var sets: [RegexCharSet] = []

    /// An open group: the alternatives finished so far and the items of the current one.
    private struct Frame {
        var savedFlags: RegexFlags
        var alternatives: [RegexNode] = []
        var items: [RegexNode] = []

        static func concat(_ items: [RegexNode]) -> RegexNode {
            items.isEmpty ? .empty : items.count == 1 ? items[0] : .concat(items)
        }

        var node: RegexNode {
            alternatives.isEmpty ? Self.concat(items) : .alternate(alternatives + [Self.concat(items)])
        }
    }

    private init(_ s: [Unicode.Scalar]) { self.s = s }

    static func parse(_ pattern: [Unicode.Scalar]) throws(RegexSyntaxError) -> RegexSyntaxTree {
        var parser = RegexParser(pattern)
        let root = try parser.parseAll()
        return RegexSyntaxTree(root: root, sets: parser.sets)
    }

    private func text(_ range: Range<Int>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: s[range])
        return String(view)
    }

    private func text(from start: Int) -> String { text(start..<s.count) }

    private mutating func push(_ node: RegexNode) { frames[frames.count - 1].items.append(node) }

    private mutating func push(_ set: RegexCharSet) {
        sets.append(set)
        push(.set(sets.count - 1))
    }

    private mutating func pushLiteral(_ c: UInt32) {
        if flags.contains(.foldCase) {
            let orbit = RegexCaseFolding.orbit(of: c)
            if orbit.count > 1 { return push(RegexCharSet(scalars: orbit)) }
        }
        push(.scalar(c))
    }

    private mutating func parseAll() throws(RegexSyntaxError) -> RegexNode {
        // Where the previous item's repetition operator began, if the previous item was one:
        // Go refuses stacked operators (`a**`, and `a*+`, which Perl reads as possessive).
        var lastRepeat: Int?
        while i < s.count {
            var repeatStart: Int?
            switch s[i] {
            case "(":
                if i + 1 < s.count && s[i + 1] == "?" {
                    try parseGroupPrefix()
                } else {
                    try openGroup()
                    i += 1
                }
            case "|":
                let f = frames.count - 1
                frames[f].alternatives.append(Frame.concat(frames[f].items))
                frames[f].items = []
                i += 1
            case ")":
                try closeGroup()
                i += 1
            case "^":
                push(.assertion(flags.contains(.oneLine) ? .beginText : .beginLine))
                i += 1
            case "$":
                push(.assertion(flags.contains(.oneLine) ? .endText : .endLine))
                i += 1
            case ".":
                push(flags.contains(.dotMatchesNewline) ? .anyScalar : .anyScalarExceptNewline)
                i += 1
            case "[":
                try parseClass()
            case "*", "+", "?":
                repeatStart = i
                let (min, max) = s[i] == "*" ? (0, -1) : s[i] == "+" ? (1, -1) : (0, 1)
                try applyRepeat(min: min, max: max, counted: false, start: i, end: i + 1, lastRepeat: lastRepeat)
            case "{":
                guard let count = parseRepeatCount() else {
                    // Not a well-formed count, so (as in Go) a literal brace.
                    pushLiteral(0x7B)
                    i += 1
                    break
                }
                let (min, max, end) = count
                guard min >= 0, min <= Self.maxRepeat, max <= Self.maxRepeat, max < 0 || min <= max else {
                    throw RegexSyntaxError("invalid repeat count", text(i..<end))
                }
                repeatStart = i
                try applyRepeat(min: min, max: max, counted: true, start: i, end: end, lastRepeat: lastRepeat)
            case "\\":
                try parseBackslash()
            default:
                pushLiteral(s[i].value)
                i += 1
            }
            lastRepeat = repeatStart
        }
        guard frames.count == 1 else { throw RegexSyntaxError("missing closing )", text(from: 0)) }
        return frames[0].node
    }

    // MARK: Groups and repetition

    private mutating func openGroup() throws(RegexSyntaxError) {
        guard frames.count <= Self.maxNesting else {
            throw RegexSyntaxError("expression nests too deeply: more than \(Self.maxNesting) nested groups")
        }
        frames.append(Frame(savedFlags: flags))
    }

    private mutating func closeGroup() throws(RegexSyntaxError) {
        guard frames.count > 1 else { throw RegexSyntaxError("unexpected )", text(from: 0)) }
        let frame = frames.removeLast()
        flags = frame.savedFlags
        push(frame.node)
    }

    /// `(?P<name>`, `(?<name>`, `(?flags)`, `(?flags:`; everything else after `(?` is refused.
    private mutating func parseGroupPrefix() throws(RegexSyntaxError) {
        let start = i
        let remaining = s.count - i
        if remaining > 3 && s[i + 2] == "<" && (s[i + 3] == "=" || s[i + 3] == "!") {
            // Go reports a lookbehind as a malformed group name; naming the construct helps more.
            throw RegexSyntaxError("invalid or unsupported Perl syntax", text(i..<i + 4))
        }
        let pythonStyle = remaining > 4 && s[i + 2] == "P" && s[i + 3] == "<"
        if pythonStyle || (remaining > 3 && s[i + 2] == "<") {
            guard let end = s[i...].firstIndex(of: ">") else {
                throw RegexSyntaxError("invalid named capture", text(from: i))
            }
            let name = s[(i + (pythonStyle ? 4 : 3))..<end]
            guard !name.isEmpty, name.allSatisfy({ $0 == "_" || Self.isASCIIAlphanumeric($0) }) else {
                throw RegexSyntaxError("invalid named capture", text(i..<end + 1))
            }
            try openGroup()
            i = end + 1
            return
        }

        var j = i + 2
        var newFlags = flags
        var negated = false
        var sawFlag = false
        scan: while j < s.count {
            let c = s[j]
            j += 1
            let flag: RegexFlags
            switch c {
            case "i": flag = .foldCase
            case "m": flag = .oneLine
            case "s": flag = .dotMatchesNewline
            case "U": flag = .nonGreedy
            case "-":
                if negated { break scan }
                negated = true
                sawFlag = false
                continue
            case ":", ")":
                if negated && !sawFlag { break scan }
                if c == ":" { try openGroup() }
                flags = newFlags
                i = j
                return
            default:
                break scan
            }
            // `m` turns one-line mode off, so it works the other way round.
            if negated != (flag == .oneLine) { newFlags.remove(flag) } else { newFlags.insert(flag) }
            sawFlag = true
        }
        throw RegexSyntaxError("invalid or unsupported Perl syntax", text(start..<j))
    }

    /// Applies a repetition operator spanning `start..<end` (plus a lazy `?`) to the last item.
    private mutating func applyRepeat(
        min: Int, max: Int, counted: Bool, start: Int, end: Int, lastRepeat: Int?
    ) throws(RegexSyntaxError) {
        var end = end
        if end < s.count && s[end] == "?" { end += 1 }
        if let lastRepeat {
            throw RegexSyntaxError("invalid nested repetition operator", text(lastRepeat..<end))
        }
        guard let sub = frames[frames.count - 1].items.popLast() else {
            throw RegexSyntaxError("missing argument to repetition operator", text(start..<end))
        }
        let node: RegexNode =
            counted ? .repetition(sub, min: min, max: max) : max == 1 ? .quest(sub) : min == 1 ? .plus(sub) : .star(sub)
        if counted && (min >= 2 || max >= 2) && !node.repeatIsValid(Self.maxRepeat) {
            throw RegexSyntaxError("invalid repeat count", text(start..<end))
        }
        push(node)
        i = end
    }

    /// `{n}`, `{n,}` or `{n,m}` at `i`, as Go reads it; nil when it is not one (then `{` is literal).
    /// A number too large to read gives `min` -1.
    private func parseRepeatCount() -> (min: Int, max: Int, end: Int)? {
        var j = i + 1
        guard var min = parseInt(&j), j < s.count else { return nil }
        var max = min
        if s[j] == "," {
            j += 1
            guard j < s.count else { return nil }
            if s[j] == "}" {
                max = -1
            } else {
                guard let m = parseInt(&j) else { return nil }
                max = m
                if m < 0 { min = -1 }
            }
        }
        guard j < s.count, s[j] == "}" else { return nil }
        return (min, max, j + 1)
    }

    private func parseInt(_ j: inout Int) -> Int? {
        guard j < s.count, Self.isDigit(s[j]) else { return nil }
        if j + 1 < s.count && s[j] == "0" && Self.isDigit(s[j + 1]) { return nil }  // no leading zeros
        var n = 0
        while j < s.count, Self.isDigit(s[j]) {
            if n >= 0 { n = n >= 100_000_000 ? -1 : n * 10 + Int(s[j].value - 0x30) }
            j += 1
        }
        return n
    }

    // MARK: Escapes

    private mutating func parseBackslash() throws(RegexSyntaxError) {
        if i + 1 < s.count {
            switch s[i + 1] {
            case "A", "b", "B", "z":
                let c = s[i + 1]
                let kind: RegexAssertion =
                    c == "A" ? .beginText : c == "z" ? .endText : c == "b" ? .wordBoundary : .notWordBoundary
                push(.assertion(kind))
                i += 2
                return
            case "C":
                throw RegexSyntaxError("invalid escape sequence", text(i..<i + 2))
            case "Q":
                var j = i + 2
                while j < s.count, !(s[j] == "\\" && j + 1 < s.count && s[j + 1] == "E") {
                    pushLiteral(s[j].value)
                    j += 1
                }
                i = Swift.min(j + 2, s.count)
                return
            case "p", "P":
                push(try parseUnicodeClass())
                return
            default:
                if let set = perlClass(s[i + 1]) {
                    push(set)
                    i += 2
                    return
                }
            }
        }
        pushLiteral(try parseEscape())
    }

    /// A single-scalar escape at `i` (the backslash), as in Go's `parseEscape`.
    private mutating func parseEscape() throws(RegexSyntaxError) -> UInt32 {
        let start = i
        i += 1
        guard i < s.count else { throw RegexSyntaxError("trailing backslash at end of expression") }
        let c = s[i]
        i += 1
        switch c {
        case "1"..."7":
            // A lone digit would be a backreference, which RE2 does not have.
            guard i < s.count, Self.isOctal(s[i]) else { break }
            fallthrough
        case "0":
            var r = c.value - 0x30
            for _ in 1..<3 {
                guard i < s.count, Self.isOctal(s[i]) else { break }
                r = r * 8 + s[i].value - 0x30
                i += 1
            }
            return r
        case "x":
            guard i < s.count else { break }
            let first = s[i]
            i += 1
            if first == "{" {
                var r: UInt32 = 0
                var digits = 0
                while true {
                    guard i < s.count else { throw RegexSyntaxError("invalid escape sequence", text(start..<i)) }
                    let d = s[i]
                    i += 1
                    if d == "}" { break }
                    guard let v = Self.hexValue(d), r * 16 + v <= RegexCharSet.maxScalar else {
                        throw RegexSyntaxError("invalid escape sequence", text(start..<i))
                    }
                    r = r * 16 + v
                    digits += 1
                }
                if digits == 0 { break }
                return r
            }
            guard i < s.count else { break }
            let second = s[i]
            i += 1
            guard let x = Self.hexValue(first), let y = Self.hexValue(second) else { break }
            return x * 16 + y
        case "a": return 0x07
        case "f": return 0x0C
        case "n": return 0x0A
        case "r": return 0x0D
        case "t": return 0x09
        case "v": return 0x0B
        default:
            // Escaped punctuation is itself; escaped letters and digits must mean something.
            if c.isASCII && !Self.isASCIIAlphanumeric(c) { return c.value }
        }
        throw RegexSyntaxError("invalid escape sequence", text(start..<i))
    }

    // MARK: Character classes

    private mutating func parseClass() throws(RegexSyntaxError) {
        let classStart = i
        i += 1
        var negated = false
        if i < s.count && s[i] == "^" {
            negated = true
            i += 1
        }
        var builder = RegexCharSetBuilder()
        var first = true  // `]` right after `[` or `[^` is a member
        while i >= s.count || s[i] != "]" || first {
            first = false
            if s.count - i > 2 && s[i] == "[" && s[i + 1] == ":", let named = try parsePOSIXClass() {
                builder.add(named)
                continue
            }
            if s.count - i >= 2 && s[i] == "\\" {
                if s[i + 1] == "p" || s[i + 1] == "P" {
                    builder.add(try parseUnicodeClass())
                    continue
                }
                if let perl = perlClass(s[i + 1]) {
                    builder.add(perl)
                    i += 2
                    continue
                }
            }
            let rangeStart = i
            let lo = try parseClassChar(classStart: classStart)
            var hi = lo
            if s.count - i >= 2 && s[i] == "-" && s[i + 1] != "]" {
                i += 1
                hi = try parseClassChar(classStart: classStart)
                guard lo <= hi else { throw RegexSyntaxError("invalid character class range", text(rangeStart..<i)) }
            }
            if flags.contains(.foldCase) { builder.addFolded(lo, hi) } else { builder.add(lo, hi) }
        }
        i += 1
        let set = builder.build()
        push(negated ? set.inverted() : set)
    }

    private mutating func parseClassChar(classStart: Int) throws(RegexSyntaxError) -> UInt32 {
        guard i < s.count else { throw RegexSyntaxError("missing closing ]", text(from: classStart)) }
        if s[i] == "\\" { return try parseEscape() }
        i += 1
        return s[i - 1].value
    }

    /// `[:alpha:]` or `[:^alpha:]` at `i`; nil when no `:]` follows, so that `[` is a member.
    private mutating func parsePOSIXClass() throws(RegexSyntaxError) -> RegexCharSet? {
        var j = i + 2
        while j + 1 < s.count, !(s[j] == ":" && s[j + 1] == "]") { j += 1 }
        guard j + 1 < s.count else { return nil }
        var name = Substring(text(i + 2..<j))
        let negated = name.first == "^"
        if negated { name = name.dropFirst() }
        guard let ranges = Self.posixClasses[String(name)] else {
            throw RegexSyntaxError("invalid character class range", text(i..<j + 2))
        }
        i = j + 2
        return group(RegexCharSet(normalizing: ranges), negated: negated)
    }

    private func perlClass(_ letter: Unicode.Scalar) -> RegexCharSet? {
        let ranges: [UInt32]
        switch letter {
        case "d", "D": ranges = [0x30, 0x39]
        case "s", "S": ranges = [0x09, 0x0A, 0x0C, 0x0D, 0x20, 0x20]
        case "w", "W": ranges = [0x30, 0x39, 0x41, 0x5A, 0x5F, 0x5F, 0x61, 0x7A]
        default: return nil
        }
        return group(RegexCharSet(normalizing: ranges), negated: letter == "D" || letter == "S" || letter == "W")
    }

    /// `\pL`, `\p{Lu}`, `\P{L}`, `\p{^L}` at `i`.
    private mutating func parseUnicodeClass() throws(RegexSyntaxError) -> RegexCharSet {
        let start = i
        var negated = s[i + 1] == "P"
        var j = i + 2
        var name = ""
        if j < s.count && s[j] != "{" {
            name = String(Character(s[j]))
            j += 1
        } else if j < s.count {
            guard let end = s[start...].firstIndex(of: "}") else {
                throw RegexSyntaxError("invalid character class range", text(from: start))
            }
            name = text(j + 1..<end)
            j = end + 1
        }
        if name.first == "^" {
            negated.toggle()
            name.removeFirst()
        }
        guard let found = RegexUnicodeTables.table(named: name) else {
            if name.isEmpty { throw RegexSyntaxError("invalid character class range", text(start..<j)) }
            throw RegexSyntaxError(
                "invalid character class range: `\(text(start..<j))` (unknown Unicode class: general categories "
                    + "such as L, Lu or Nd are supported, scripts such as Greek are not)")
        }
        i = j
        return group(found.set, negated: negated != found.inverted)
    }

    /// A predefined class as Go applies it: case-folded first (under `(?i)`), then negated.
    private func group(_ set: RegexCharSet, negated: Bool) -> RegexCharSet {
        let set = flags.contains(.foldCase) ? set.caseFolded() : set
        return negated ? set.inverted() : set
    }

    private static let posixClasses: [String: [UInt32]] = [
        "alnum": [0x30, 0x39, 0x41, 0x5A, 0x61, 0x7A],
        "alpha": [0x41, 0x5A, 0x61, 0x7A],
        "ascii": [0x00, 0x7F],
        "blank": [0x09, 0x09, 0x20, 0x20],
        "cntrl": [0x00, 0x1F, 0x7F, 0x7F],
        "digit": [0x30, 0x39],
        "graph": [0x21, 0x7E],
        "lower": [0x61, 0x7A],
        "print": [0x20, 0x7E],
        "punct": [0x21, 0x2F, 0x3A, 0x40, 0x5B, 0x60, 0x7B, 0x7E],
        "space": [0x09, 0x0D, 0x20, 0x20],
        "upper": [0x41, 0x5A],
        "word": [0x30, 0x39, 0x41, 0x5A, 0x5F, 0x5F, 0x61, 0x7A],
        "xdigit": [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
    ]

    private static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
    private static func isOctal(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "7" }
    private static func isASCIIAlphanumeric(_ c: Unicode.Scalar) -> Bool {
        isDigit(c) || (c >= "A" && c <= "Z") || (c >= "a" && c <= "z")
    }
    private static func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c {
        case "0"..."9": c.value - 0x30
        case "a"..."f": c.value - 0x61 + 10
        case "A"..."F": c.value - 0x41 + 10
        default: nil
        }
    }
}
