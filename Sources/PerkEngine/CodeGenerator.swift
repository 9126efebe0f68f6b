/// Makes coupon and referral codes from a pattern: each `#` becomes a random character of the
/// valid set, everything else is kept. Valid characters are single characters or ranges written
/// as in a regular expression class (`A-Z`, `0-9`, also `[a-z]`).
public struct CodeGenerator: Sendable {
    public let pattern: String
    public let prefix: String
    public let alphabet: [Character]

    public enum Problem: Error, Sendable, Equatable {
        case invalidCharacterSpec(index: Int, spec: String)
        case emptyAlphabet

        public var message: String {
            switch self {
            case .invalidCharacterSpec(_, let spec): "\"\(spec)\" is neither a character nor a range like A-Z"
            case .emptyAlphabet: "validCharacters must name at least one character"
            }
        }
    }

    /// What a rule's `createCoupon`/`createReferral` uses when its campaign has no code settings:
    /// eight characters of A–Z and 0–9.
    public static let defaultSettings = CodeGeneratorSettings(
        validCharacters: ["A-Z", "0-9"], couponPattern: "########")

    public init(_ settings: CodeGeneratorSettings) throws(Problem) {
        try self.init(pattern: settings.couponPattern, validCharacters: settings.validCharacters)
    }

    public init(pattern: String, validCharacters: [String], prefix: String = "") throws(Problem) {
        var set: [Character] = []
        for (i, raw) in validCharacters.enumerated() {
            var spec = Substring(raw)
            if spec.count > 2, spec.first == "[", spec.last == "]" { spec = spec.dropFirst().dropLast() }
            let chars = Array(spec)
            if chars.count == 1 {
                set.append(chars[0])
            } else if chars.count == 3, chars[1] == "-", let lo = chars[0].unicodeScalars.first,
                let hi = chars[2].unicodeScalars.first, chars[0].unicodeScalars.count == 1,
                chars[2].unicodeScalars.count == 1, lo.value <= hi.value, hi.value - lo.value < 4096
            {
                for v in lo.value...hi.value { if let s = Unicode.Scalar(v) { set.append(Character(s)) } }
            } else {
                throw .invalidCharacterSpec(index: i, spec: raw)
            }
        }
        var seen = Set<Character>()
        alphabet = set.filter { seen.insert($0).inserted }
        if alphabet.isEmpty && pattern.contains("#") { throw .emptyAlphabet }
        self.pattern = pattern
        self.prefix = prefix
    }

    /// Number of distinct codes the pattern can make.
    public var capacity: Double {
        pow(Double(alphabet.count), Double(pattern.filter { $0 == "#" }.count))
    }

    public func make(using rng: inout some RandomNumberGenerator) -> String {
        var out = prefix
        for c in pattern {
            out.append(c == "#" ? alphabet.randomElement(using: &rng)! : c)
        }
        return out
    }
}

private func pow(_ base: Double, _ exp: Double) -> Double {
    var r = 1.0
    var e = Int(exp)
    while e > 0 {
        r *= base
        e -= 1
        if r > 1e18 { return r }
    }
    return r
}
