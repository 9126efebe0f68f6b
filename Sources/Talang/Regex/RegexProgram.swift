// The syntax tree compiled to a Thompson automaton: a flat list of instructions. An instruction that
// consumes a scalar always continues at the next one, so only `split` and `jump` carry targets.
// The size is computed from the tree before anything is emitted, so an oversized pattern is
// refused without building it.

struct RegexProgram: Sendable {
    enum Op: UInt8, Sendable {
        /// Consumes the scalar `x`.
        case scalar
        /// Consumes a scalar in `sets[x]`.
        case set
        case any
        case anyExceptNewline
        /// Continues at both `x` and `y`.
        case split
        case jump
        /// Continues at the next instruction if the position satisfies the `RegexAssertion` bits in `x`.
        case assert
        case match
    }

    struct Instruction: Sendable {
        var op: Op
        var x: Int32 = 0
        var y: Int32 = 0
    }

    private(set) var instructions: [Instruction]
    private(set) var sets: [RegexSetMatcher]
    /// Every match starts at the beginning of the text (`^...` or `\A...`): threads start only there.
    private(set) var anchoredAtStart: Bool

    init(compiling tree: RegexSyntaxTree, maxSize: Int) throws(RegexSyntaxError) {
        let size = Self.size(of: tree.root, cap: maxSize + 1) + 1
        guard size <= maxSize else {
            throw RegexSyntaxError("expression too large: it compiles to more than \(maxSize) instructions")
        }
        var emitter = Emitter()
        emitter.code.reserveCapacity(size)
        emitter.emit(tree.root)
        emitter.code.append(Instruction(op: .match))
        assert(emitter.code.count == size, "size(of:) disagrees with emit(_:)")
        instructions = emitter.code
        sets = tree.sets.map(RegexSetMatcher.init)
        anchoredAtStart = Self.startsWithBeginText(tree.root)
    }

    /// The number of instructions `Emitter.emit` produces for `node`, or `cap` if that is more.
    static func size(of node: RegexNode, cap: Int) -> Int {
        // Every operand is at most `cap`, and counts at most 1000, so nothing here overflows.
        let n: Int
        switch node {
        case .empty:
            n = 0
        case .scalar, .set, .anyScalar, .anyScalarExceptNewline, .assertion:
            n = 1
        case .concat(let subs):
            n = subs.reduce(0) { Swift.min($0 + size(of: $1, cap: cap), cap) }
        case .alternate(let subs):
            n = subs.reduce(2 * Swift.max(subs.count - 1, 0)) { Swift.min($0 + size(of: $1, cap: cap), cap) }
        case .star(let sub):
            n = size(of: sub, cap: cap) + 2
        case .plus(let sub), .quest(let sub):
            n = size(of: sub, cap: cap) + 1
        case .repetition(let sub, let min, let max):
            let one = size(of: sub, cap: cap)
            if max < 0 {
                n = min == 0 ? one + 2 : min * one + 1
            } else {
                n = min * one + (max - min) * (one + 1)
            }
        }
        return Swift.min(n, cap)
    }

    private static func startsWithBeginText(_ node: RegexNode) -> Bool {
        switch node {
        case .assertion(let kind): kind == .beginText
        case .concat(let subs): subs.first.map(startsWithBeginText) ?? false
        case .alternate(let subs): subs.allSatisfy(startsWithBeginText)
        case .plus(let sub): startsWithBeginText(sub)
        case .repetition(let sub, let min, _): min > 0 && startsWithBeginText(sub)
        default: false
        }
    }

    private struct Emitter {
        var code: [Instruction] = []

        private var here: Int32 { Int32(code.count) }

        mutating func emit(_ node: RegexNode) {
            switch node {
            case .empty:
                break
            case .scalar(let c):
                code.append(Instruction(op: .scalar, x: Int32(bitPattern: c)))
            case .set(let index):
                code.append(Instruction(op: .set, x: Int32(index)))
            case .anyScalar:
                code.append(Instruction(op: .any))
            case .anyScalarExceptNewline:
                code.append(Instruction(op: .anyExceptNewline))
            case .assertion(let kind):
                code.append(Instruction(op: .assert, x: Int32(kind.rawValue)))
            case .concat(let subs):
                for sub in subs { emit(sub) }
            case .alternate(let subs):
                var jumps: [Int] = []
                for sub in subs.dropLast() {
                    let split = code.count
                    code.append(Instruction(op: .split, x: here + 1))
                    emit(sub)
                    jumps.append(code.count)
                    code.append(Instruction(op: .jump))
                    code[split].y = here
                }
                if let last = subs.last { emit(last) }
                for jump in jumps { code[jump].x = here }
            case .star(let sub):
                emitStar(sub)
            case .plus(let sub):
                emitPlus(sub)
            case .quest(let sub):
                emitOptional(sub, count: 1)
            case .repetition(let sub, let min, let max):
                if max < 0 && min == 0 {
                    emitStar(sub)
                } else if max < 0 {
                    for _ in 1..<min { emit(sub) }
                    emitPlus(sub)
                } else {
                    for _ in 0..<min { emit(sub) }
                    emitOptional(sub, count: max - min)
                }
            }
        }

        private mutating func emitStar(_ sub: RegexNode) {
            let loop = here
            code.append(Instruction(op: .split, x: loop + 1))
            emit(sub)
            code.append(Instruction(op: .jump, x: loop))
            code[Int(loop)].y = here
        }

        private mutating func emitPlus(_ sub: RegexNode) {
            let loop = here
            emit(sub)
            code.append(Instruction(op: .split, x: loop, y: here + 1))
        }

        /// `(x(x(x)?)?)?` for `count` 3: each optional copy may be skipped, which skips the rest.
        private mutating func emitOptional(_ sub: RegexNode, count: Int) {
            var splits: [Int] = []
            for _ in 0..<count {
                splits.append(code.count)
                code.append(Instruction(op: .split, x: here + 1))
                emit(sub)
            }
            for split in splits { code[split].y = here }
        }
    }
}

/// A set of scalars laid out for testing: a bitmap for ASCII, sorted ranges above it.
struct RegexSetMatcher: Sendable {
    private var low: UInt64 = 0
    private var high: UInt64 = 0
    /// Ranges above U+007F, flattened as lo, hi, lo, hi...
    private var wide: [UInt32] = []

    init(_ set: RegexCharSet) {
        let ranges = set.ranges
        for k in stride(from: 0, to: ranges.count, by: 2) {
            let (lo, hi) = (ranges[k], ranges[k + 1])
            var c = lo
            while c <= Swift.min(hi, 0x7F) {
                if c < 64 { low |= 1 << UInt64(c) } else { high |= 1 << UInt64(c - 64) }
                c += 1
            }
            if hi >= 0x80 { wide += [Swift.max(lo, 0x80), hi] }
        }
    }

    func contains(_ c: UInt32) -> Bool {
        if c < 64 { return low >> UInt64(c) & 1 != 0 }
        if c < 128 { return high >> UInt64(c - 64) & 1 != 0 }
        // The first range whose upper end is at least c.
        var lo = 0
        var hi = wide.count / 2
        while lo < hi {
            let mid = (lo + hi) / 2
            if wide[2 * mid + 1] < c { lo = mid + 1 } else { hi = mid }
        }
        return lo < wide.count / 2 && wide[2 * lo] <= c
    }
}
