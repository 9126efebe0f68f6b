// Rule patterns are written by marketers, so they are untrusted: a backtracking engine can take
// exponential time on `^(a+)+$`. This one simulates the automaton on all threads at once (Thompson),
// adding each instruction at most once per text position, so a search costs at most
// (scalars + 1) × program size steps, and fuel bounds even that.

/// A regular expression in Go's RE2 syntax, matched in time linear in the text.
public struct LinearRegex: Sendable {
    public static let maxPatternLength = 1_000
    public static let maxProgramSize = 10_000

    /// The pattern as given.
    public let pattern: String
    private let program: RegexProgram

    /// The number of instructions (for callers that size work by it).
    public var programSize: Int { program.instructions.count }

    /// Parses `pattern` with Go's `regexp.Compile` rules. The length limit counts Unicode scalars.
    public init(_ pattern: String) throws(RegexSyntaxError) {
        let length = pattern.unicodeScalars.count
        guard length <= Self.maxPatternLength else {
            throw RegexSyntaxError(
                "expression too long: \(length) characters, at most \(Self.maxPatternLength) allowed")
        }
        let tree = try RegexParser.parse(Array(pattern.unicodeScalars))
        self.program = try RegexProgram(compiling: tree, maxSize: Self.maxProgramSize)
        self.pattern = pattern
    }

    /// Whether `text` contains a match. Every step of the simulation (one thread handled at one
    /// text position) costs one unit of `fuel`; when fuel runs out the search stops and throws.
    public func matches(_ text: String, fuel: inout Int) throws(RegexOutOfFuel) -> Bool {
        let outcome = program.instructions.withUnsafeBufferPointer { code in
            program.sets.withUnsafeBufferPointer { sets in
                var search = Search(code: code, sets: sets)
                defer { search.deallocate() }
                return search.run(text, anchored: program.anchoredAtStart, fuel: &fuel)
            }
        }
        switch outcome {
        case .match: return true
        case .noMatch: return false
        case .outOfFuel: throw RegexOutOfFuel()
        }
    }
}

/// The search used up its fuel before it could decide.
public struct RegexOutOfFuel: Error, Sendable, Equatable {}

extension LinearRegex {
    private enum Outcome { case match, noMatch, outOfFuel }

    /// A set of instruction indices with O(1) insert, membership and clear (Briggs & Torczon), so
    /// that no step allocates or scans the whole program.
    private struct ThreadList {
        let dense: UnsafeMutablePointer<Int32>
        let sparse: UnsafeMutablePointer<Int32>
        var count = 0

        func contains(_ pc: Int32) -> Bool {
            let k = Int(sparse[Int(pc)])
            return k < count && dense[k] == pc
        }

        mutating func insert(_ pc: Int32) {
            sparse[Int(pc)] = Int32(count)
            dense[count] = pc
            count += 1
        }
    }

    private struct Search {
        let code: UnsafeBufferPointer<RegexProgram.Instruction>
        let sets: UnsafeBufferPointer<RegexSetMatcher>
        private let memory: UnsafeMutablePointer<Int32>
        private var current: ThreadList
        private var next: ThreadList
        /// Pending instructions of an epsilon closure; each is pushed once, when it joins a list.
        private let stack: UnsafeMutablePointer<Int32>

        init(code: UnsafeBufferPointer<RegexProgram.Instruction>, sets: UnsafeBufferPointer<RegexSetMatcher>) {
            self.code = code
            self.sets = sets
            let n = code.count
            memory = .allocate(capacity: 5 * n)
            memory.initialize(repeating: 0, count: 5 * n)
            current = ThreadList(dense: memory, sparse: memory + n)
            next = ThreadList(dense: memory + 2 * n, sparse: memory + 3 * n)
            stack = memory + 4 * n
        }

        func deallocate() { memory.deallocate() }

        mutating func run(_ text: String, anchored: Bool, fuel: inout Int) -> Outcome {
            var scalars = text.unicodeScalars.makeIterator()
            // Scalars as Int32, -1 beyond either end of the text.
            var previous: Int32 = -1
            var scalar = scalars.next().map { Int32(bitPattern: $0.value) } ?? -1
            var atStart = true
            while true {
                // An unanchored search starts a thread at every position.
                if atStart || !anchored {
                    let outcome = Self.addClosure(
                        from: 0, Self.context(previous, scalar), to: &current, code, stack, &fuel)
                    if let outcome { return outcome }
                }
                if scalar < 0 || (anchored && current.count == 0) { return .noMatch }
                let following = scalars.next().map { Int32(bitPattern: $0.value) } ?? -1
                let context = Self.context(scalar, following)
                next.count = 0
                for k in 0..<current.count {
                    let pc = current.dense[k]
                    let instruction = code[Int(pc)]
                    let consumes: Bool
                    switch instruction.op {
                    case .scalar: consumes = instruction.x == scalar
                    case .set: consumes = sets[Int(instruction.x)].contains(UInt32(bitPattern: scalar))
                    case .any: consumes = true
                    case .anyExceptNewline: consumes = scalar != 0x0A
                    case .split, .jump, .assert, .match: consumes = false
                    }
                    if consumes, let outcome = Self.addClosure(from: pc + 1, context, to: &next, code, stack, &fuel) {
                        return outcome
                    }
                }
                swap(&current, &next)
                previous = scalar
                scalar = following
                atStart = false
            }
        }

        /// Adds `start` and everything reachable from it without consuming a scalar, at a position
        /// described by `context`. Returns `.match` on reaching `match`, `.outOfFuel`, or nil.
        private static func addClosure(
            from start: Int32, _ context: UInt8, to list: inout ThreadList,
            _ code: UnsafeBufferPointer<RegexProgram.Instruction>, _ stack: UnsafeMutablePointer<Int32>,
            _ fuel: inout Int
        ) -> Outcome? {
            if list.contains(start) { return nil }
            guard fuel > 0 else { return .outOfFuel }
            fuel -= 1
            list.insert(start)
            stack[0] = start
            var top = 1
            while top > 0 {
                top -= 1
                let pc = stack[top]
                let instruction = code[Int(pc)]
                var first: Int32 = -1
                var second: Int32 = -1
                switch instruction.op {
                case .match:
                    return .match
                case .jump:
                    first = instruction.x
                case .split:
                    first = instruction.x
                    second = instruction.y
                case .assert:
                    if context & UInt8(truncatingIfNeeded: instruction.x) != 0 { first = pc + 1 }
                case .scalar, .set, .any, .anyExceptNewline:
                    break  // waits in the list for the next scalar
                }
                if first >= 0 && !list.contains(first) {
                    guard fuel > 0 else { return .outOfFuel }
                    fuel -= 1
                    list.insert(first)
                    stack[top] = first
                    top += 1
                }
                if second >= 0 && !list.contains(second) {
                    guard fuel > 0 else { return .outOfFuel }
                    fuel -= 1
                    list.insert(second)
                    stack[top] = second
                    top += 1
                }
            }
            return nil
        }

        /// The `RegexAssertion` bits true between the scalars `before` and `after`.
        private static func context(_ before: Int32, _ after: Int32) -> UInt8 {
            var bits: UInt8 = 0
            if before < 0 {
                bits |= RegexAssertion.beginText.rawValue | RegexAssertion.beginLine.rawValue
            } else if before == 0x0A {
                bits |= RegexAssertion.beginLine.rawValue
            }
            if after < 0 {
                bits |= RegexAssertion.endText.rawValue | RegexAssertion.endLine.rawValue
            } else if after == 0x0A {
                bits |= RegexAssertion.endLine.rawValue
            }
            let boundary = isWordScalar(before) != isWordScalar(after)
            bits |= (boundary ? RegexAssertion.wordBoundary : RegexAssertion.notWordBoundary).rawValue
            return bits
        }

        /// RE2's `\b` is ASCII: `[0-9A-Za-z_]`.
        private static func isWordScalar(_ c: Int32) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
        }
    }
}
