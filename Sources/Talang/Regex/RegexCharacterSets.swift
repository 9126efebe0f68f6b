/// The sets of scalars that classes match, and the Unicode data (case folding, general
/// categories) they are built from.

// MARK: - Sets of scalars

/// A set of code points: sorted, disjoint, non-adjacent closed ranges, flattened as lo, hi, lo, hi...
struct RegexCharSet: Sendable, Equatable {
    static let maxScalar: UInt32 = 0x10FFFF

    private(set) var ranges: [UInt32]

    private init(normalized: [UInt32]) { ranges = normalized }

    init(normalizing pairs: [UInt32]) {
        var list = stride(from: 0, to: pairs.count, by: 2).map { (lo: pairs[$0], hi: pairs[$0 + 1]) }
        list.sort { $0.lo < $1.lo || ($0.lo == $1.lo && $0.hi > $1.hi) }
        var out: [UInt32] = []
        out.reserveCapacity(pairs.count)
        for (lo, hi) in list {
            if let last = out.last, lo <= last + 1 {
                if hi > last { out[out.count - 1] = hi }
            } else {
                out.append(lo)
                out.append(hi)
            }
        }
        ranges = out
    }

    init(scalars: [UInt32]) { self.init(normalizing: scalars.flatMap { [$0, $0] }) }

    static let all = RegexCharSet(normalized: [0, maxScalar])

    func inverted() -> RegexCharSet {
        var out: [UInt32] = []
        var nextLo: UInt32 = 0
        for k in stride(from: 0, to: ranges.count, by: 2) {
            if ranges[k] > nextLo { out += [nextLo, ranges[k] - 1] }
            nextLo = ranges[k + 1] + 1
        }
        if nextLo <= Self.maxScalar { out += [nextLo, Self.maxScalar] }
        return RegexCharSet(normalized: out)
    }

    /// The set closed under simple case folding.
    func caseFolded() -> RegexCharSet {
        var builder = RegexCharSetBuilder()
        for k in stride(from: 0, to: ranges.count, by: 2) { builder.addFolded(ranges[k], ranges[k + 1]) }
        return builder.build()
    }
}

struct RegexCharSetBuilder {
    private var pairs: [UInt32] = []

    mutating func add(_ lo: UInt32, _ hi: UInt32) { pairs += [lo, hi] }
    mutating func add(_ set: RegexCharSet) { pairs += set.ranges }

    /// Adds `lo...hi` and every scalar equivalent to one of its members under case folding.
    mutating func addFolded(_ lo: UInt32, _ hi: UInt32) {
        add(lo, hi)
        RegexCaseFolding.forEachOrbitMember(from: lo, through: hi) { add($0, $0) }
    }

    func build() -> RegexCharSet { RegexCharSet(normalizing: pairs) }
}

// MARK: - Unicode data from the standard library

/// Simple case folding orbits, as Go's `unicode.SimpleFold` walks them (`k`, `K`, KELVIN SIGN;
/// `s`, `S`, LONG S; ...). The standard library has no case-folding table, so the orbits are built
/// from the single-scalar lower, upper and title case mappings, once, on first use.
enum RegexCaseFolding {
    private struct Table: Sendable {
        /// Every scalar whose orbit has more than one member, ascending.
        var scalars: [UInt32] = []
        /// For each, the index of the next member of its orbit (cyclic).
        var next: [Int32] = []
    }

    private static let table = buildTable()

    static func orbit(of c: UInt32) -> [UInt32] {
        let k = lowerBound(c)
        guard k < table.scalars.count, table.scalars[k] == c else { return [c] }
        var out = [c]
        var m = Int(table.next[k])
        while m != k {
            out.append(table.scalars[m])
            m = Int(table.next[m])
        }
        return out
    }

    /// Calls `body` with every member of every orbit that meets `lo...hi`.
    static func forEachOrbitMember(from lo: UInt32, through hi: UInt32, _ body: (UInt32) -> Void) {
        var k = lowerBound(lo)
        while k < table.scalars.count, table.scalars[k] <= hi {
            var m = Int(table.next[k])
            while m != k {
                body(table.scalars[m])
                m = Int(table.next[m])
            }
            k += 1
        }
    }

    private static func lowerBound(_ c: UInt32) -> Int {
        var lo = 0
        var hi = table.scalars.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if table.scalars[mid] < c { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private static func buildTable() -> Table {
        var parent: [UInt32: UInt32] = [:]
        func root(_ x: UInt32) -> UInt32 {
            var x = x
            while let p = parent[x], p != x { x = p }
            return x
        }
        // Dotted and dotless i have case mappings but no simple case folding (Go: SimpleFold
        // leaves them alone), so they join no orbit.
        let excluded: Set<UInt32> = [0x130, 0x131]
        // Cased letters end below U+1E944 (Adlam); scanning plane 1 leaves room for new ones.
        for v: UInt32 in 0x41...0x1FFFF where !excluded.contains(v) {
            guard let scalar = Unicode.Scalar(v), scalar.properties.changesWhenCaseMapped else { continue }
            let p = scalar.properties
            for mapping in [p.lowercaseMapping, p.uppercaseMapping, p.titlecaseMapping] {
                let scalars = mapping.unicodeScalars
                guard scalars.count == 1, let m = scalars.first?.value, m != v, !excluded.contains(m) else {
                    continue
                }
                let (a, b) = (root(v), root(m))
                parent[a] = parent[a] ?? a
                parent[b] = parent[b] ?? b
                if a != b { parent[Swift.max(a, b)] = Swift.min(a, b) }
            }
        }
        var orbits: [UInt32: [UInt32]] = [:]
        for x in parent.keys { orbits[root(x), default: []].append(x) }
        var pairs: [(scalar: UInt32, next: UInt32)] = []
        for members in orbits.values where members.count > 1 {
            let sorted = members.sorted()
            for (k, m) in sorted.enumerated() { pairs.append((m, sorted[(k + 1) % sorted.count])) }
        }
        pairs.sort { $0.scalar < $1.scalar }
        var table = Table()
        table.scalars = pairs.map(\.scalar)
        let index = Dictionary(uniqueKeysWithValues: pairs.enumerated().map { ($1.scalar, Int32($0)) })
        table.next = pairs.map { index[$0.next]! }
        return table
    }
}

/// Unicode general categories for `\p{...}`, from `Unicode.Scalar.Properties.generalCategory`.
/// Scripts (`\p{Greek}`) would need data the standard library does not expose, so they are refused.
enum RegexUnicodeTables {
    /// The code space as runs of one category: run k covers `starts[k]..<starts[k+1]`.
    private struct Runs: Sendable {
        var starts: [UInt32] = []
        var categories: [UInt8] = []
    }

    private static let runs = buildRuns()

    /// Go's two-letter names, in the order of `bit(_:)`.
    private static let twoLetterNames = [
        "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po",
        "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn",
    ]

    private static func bit(_ category: Unicode.GeneralCategory) -> UInt8 {
        switch category {
        case .uppercaseLetter: 0
        case .lowercaseLetter: 1
        case .titlecaseLetter: 2
        case .modifierLetter: 3
        case .otherLetter: 4
        case .nonspacingMark: 5
        case .spacingMark: 6
        case .enclosingMark: 7
        case .decimalNumber: 8
        case .letterNumber: 9
        case .otherNumber: 10
        case .connectorPunctuation: 11
        case .dashPunctuation: 12
        case .openPunctuation: 13
        case .closePunctuation: 14
        case .initialPunctuation: 15
        case .finalPunctuation: 16
        case .otherPunctuation: 17
        case .mathSymbol: 18
        case .currencySymbol: 19
        case .modifierSymbol: 20
        case .otherSymbol: 21
        case .spaceSeparator: 22
        case .lineSeparator: 23
        case .paragraphSeparator: 24
        case .control: 25
        case .format: 26
        case .surrogate: 27
        case .privateUse: 28
        case .unassigned: 29
        @unknown default: 29
        }
    }

    /// Category masks by Go's names after Go's `canonicalName` (first letter upper, the rest lower,
    /// no `_`, `-` or space), so that `\p{lu}` and `\p{Uppercase_Letter}` work as in Go.
    private static let masks: [String: UInt32] = {
        var masks: [String: UInt32] = [:]
        for (k, name) in twoLetterNames.enumerated() {
            masks[name] = 1 << k
            // Go's `C` leaves out the unassigned `Cn`.
            if name != "Cn" { masks[String(name.prefix(1)), default: 0] |= 1 << k }
        }
        masks["Lc"] = masks["Lu"]! | masks["Ll"]! | masks["Lt"]!
        let aliases = [
            "Casedletter": "Lc", "Closepunctuation": "Pe", "Combiningmark": "M", "Connectorpunctuation": "Pc",
            "Control": "Cc", "Currencysymbol": "Sc", "Dashpunctuation": "Pd", "Decimalnumber": "Nd",
            "Enclosingmark": "Me", "Finalpunctuation": "Pf", "Format": "Cf", "Initialpunctuation": "Pi",
            "Letter": "L", "Letternumber": "Nl", "Lineseparator": "Zl", "Lowercaseletter": "Ll", "Mark": "M",
            "Mathsymbol": "Sm", "Modifierletter": "Lm", "Modifiersymbol": "Sk", "Nonspacingmark": "Mn",
            "Number": "N", "Openpunctuation": "Ps", "Other": "C", "Otherletter": "Lo", "Othernumber": "No",
            "Otherpunctuation": "Po", "Othersymbol": "So", "Paragraphseparator": "Zp", "Privateuse": "Co",
            "Punctuation": "P", "Separator": "Z", "Spaceseparator": "Zs", "Spacingmark": "Mc", "Surrogate": "Cs",
            "Symbol": "S", "Titlecaseletter": "Lt", "Unassigned": "Cn", "Uppercaseletter": "Lu", "Cntrl": "Cc",
            "Digit": "Nd", "Punct": "P",
        ]
        for (alias, name) in aliases { masks[alias] = masks[name] }
        return masks
    }()

    /// The set named by `name`, and whether Go inverts it (`Assigned` is "not `Cn`").
    static func table(named name: String) -> (set: RegexCharSet, inverted: Bool)? {
        switch canonicalName(name) {
        case "Any": return (.all, false)
        case "Ascii": return (RegexCharSet(normalizing: [0, 0x7F]), false)
        case "Assigned": return (set(mask: masks["Cn"]!), true)
        case let canonical: return masks[canonical].map { (set(mask: $0), false) }
        }
    }

    private static func canonicalName(_ name: String) -> String {
        var out = String.UnicodeScalarView()
        for c in name.unicodeScalars where c != "_" && c != "-" && c != " " {
            let isUpper = c >= "A" && c <= "Z"
            let isLower = c >= "a" && c <= "z"
            if out.isEmpty {
                out.append(isLower ? Unicode.Scalar(c.value - 32)! : c)
            } else {
                out.append(isUpper ? Unicode.Scalar(c.value + 32)! : c)
            }
        }
        return String(out)
    }

    private static func set(mask: UInt32) -> RegexCharSet {
        var pairs: [UInt32] = []
        for k in runs.starts.indices where mask & (1 << runs.categories[k]) != 0 {
            let end = k + 1 < runs.starts.count ? runs.starts[k + 1] - 1 : RegexCharSet.maxScalar
            pairs += [runs.starts[k], end]
        }
        return RegexCharSet(normalizing: pairs)
    }

    private static func buildRuns() -> Runs {
        var runs = Runs()
        var previous: UInt8 = .max
        for v: UInt32 in 0...RegexCharSet.maxScalar {
            let category = Unicode.Scalar(v).map { bit($0.properties.generalCategory) } ?? bit(.surrogate)
            if category != previous {
                runs.starts.append(v)
                runs.categories.append(category)
                previous = category
            }
        }
        return runs
    }
}
