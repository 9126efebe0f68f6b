/// A decimal number as the rule language computes with it: an exact coefficient and a base-10
/// exponent, like IEEE 754 decimal. Literals keep their digits (up to 38); every arithmetic result
/// is rounded to 16 significant digits, half to even, and keeps the scale its operands imply
/// (`1.5 + 1.5` is `3.0`, `100 * 0.1` is `10.0`, `10 / 2` is `5`).
public struct DecimalNumber: Sendable, CustomStringConvertible {
    /// Magnitude of the coefficient.
    public private(set) var coefficient: UInt128
    public private(set) var exponent: Int
    public private(set) var isNegative: Bool

    /// Significant digits kept by arithmetic.
    public static let precision = 16
    /// 10^precision, the first coefficient too long for a result; a literal so the hot paths
    /// of + and * read no lazily initialised table.
    static let precisionLimit: UInt128 = 10_000_000_000_000_000
    /// Digits kept from a literal.
    static let literalDigits = 38

    public static let zero = DecimalNumber(coefficient: 0, exponent: 0, isNegative: false)
    public static let one = DecimalNumber(1)

    public init(coefficient: UInt128, exponent: Int, isNegative: Bool) {
        self.coefficient = coefficient
        self.exponent = exponent
        self.isNegative = coefficient == 0 ? false : isNegative
    }

    public init(_ value: Int) {
        self.init(coefficient: UInt128(value.magnitude), exponent: 0, isNegative: value < 0)
    }

    public init(_ value: Int64) {
        self.init(coefficient: UInt128(value.magnitude), exponent: 0, isNegative: value < 0)
    }

    /// Parses `[+-]digits[.digits][(e|E)[+-]digits]`, also accepting the forms `.5` and `5.`
    /// that the textual rule language allows. Digits beyond 38 are rounded half to even.
    public init?(_ text: some StringProtocol) {
        var utf8 = Array(text.utf8)[...]
        guard !utf8.isEmpty else { return nil }
        var negative = false
        if utf8.first == UInt8(ascii: "-") || utf8.first == UInt8(ascii: "+") {
            negative = utf8.first == UInt8(ascii: "-")
            utf8 = utf8.dropFirst()
        }
        var coefficient = UInt256.zero
        var digits = 0
        var exponent = 0
        var sawDigit = false
        var sawPoint = false
        var dropped: [UInt8] = []
        while let b = utf8.first {
            if b >= 0x30 && b <= 0x39 {
                sawDigit = true
                if digits == 0 && b == 0x30 {
                    // Leading zeros add nothing but scale.
                    if sawPoint { exponent -= 1 }
                } else if digits < Self.literalDigits {
                    coefficient = coefficient.multiplied(by: 10)!.adding(UInt256(UInt128(b - 0x30)))!
                    digits += 1
                    if sawPoint { exponent -= 1 }
                } else {
                    dropped.append(b - 0x30)
                    if !sawPoint { exponent += 1 }
                }
            } else if b == UInt8(ascii: ".") && !sawPoint {
                sawPoint = true
            } else {
                break
            }
            utf8 = utf8.dropFirst()
        }
        guard sawDigit else { return nil }
        if let e = utf8.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            utf8 = utf8.dropFirst()
            var expNegative = false
            if utf8.first == UInt8(ascii: "-") || utf8.first == UInt8(ascii: "+") {
                expNegative = utf8.first == UInt8(ascii: "-")
                utf8 = utf8.dropFirst()
            }
            guard !utf8.isEmpty, utf8.count <= 9, utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            let value = utf8.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            exponent += expNegative ? -value : value
            utf8 = utf8[utf8.endIndex...]
        }
        guard utf8.isEmpty else { return nil }
        if !dropped.isEmpty {
            let first = dropped[0]
            let sticky = dropped.dropFirst().contains { $0 != 0 }
            let roundUp = first > 5 || (first == 5 && (sticky || coefficient.low & 1 == 1))
            if roundUp { coefficient = coefficient.adding(UInt256(1))! }
        }
        var c = coefficient.narrow!
        if c >= powersOfTen128[Self.literalDigits] {
            c /= 10
            exponent += 1
        }
        self.init(coefficient: c, exponent: exponent, isNegative: negative)
    }

    public var isZero: Bool { coefficient == 0 }

    // MARK: Rounding

    /// Builds a result from an exact (or sticky-marked) magnitude, rounding to `precision` digits.
    /// `sticky` says that non-zero digits below the coefficient were already discarded.
    static func rounded(
        negative: Bool, coefficient: UInt256, exponent: Int, sticky: Bool = false,
        precision: Int = DecimalNumber.precision
    ) -> DecimalNumber {
        if !sticky, coefficient.high == 0,
            coefficient.low < (precision == Self.precision ? precisionLimit : powersOfTen128[precision])
        {
            return DecimalNumber(coefficient: coefficient.low, exponent: exponent, isNegative: negative)
        }
        var c = coefficient
        var e = exponent
        let digits = c.digitCount
        if digits <= precision && !sticky {
            return DecimalNumber(coefficient: c.narrow!, exponent: e, isNegative: negative)
        }
        var anyDropped = sticky
        var lastDigit: UInt64 = 0
        var drop = digits - precision
        if drop > 0 {
            // Remove all but one of the dropped digits at once, keeping stickiness.
            while drop > 1 {
                let step = min(drop - 1, 19)
                let (q, r) = c.divided(by: pow10u64(step))
                if r != 0 { anyDropped = true }
                c = q
                e += step
                drop -= step
            }
            let (q, r) = c.divided(by: 10)
            lastDigit = r
            c = q
            e += 1
        } else {
            // Already within precision; only the sticky bit says the value is inexact,
            // which never changes a coefficient that has no dropped digit to round on.
            return DecimalNumber(coefficient: c.narrow!, exponent: e, isNegative: negative)
        }
        let roundUp = lastDigit > 5 || (lastDigit == 5 && (anyDropped || c.low & 1 == 1))
        if roundUp {
            c = c.adding(UInt256(1))!
            if c.digitCount > precision {
                c = c.divided(by: 10).quotient
                e += 1
            }
        }
        return DecimalNumber(coefficient: c.narrow!, exponent: e, isNegative: negative)
    }

    // MARK: Arithmetic

    public static func + (a: DecimalNumber, b: DecimalNumber) -> DecimalNumber { add(a, b, negateB: false) }
    public static func - (a: DecimalNumber, b: DecimalNumber) -> DecimalNumber { add(a, b, negateB: true) }

    private static func add(_ a: DecimalNumber, _ bIn: DecimalNumber, negateB: Bool) -> DecimalNumber {
        let b = DecimalNumber(
            coefficient: bIn.coefficient, exponent: bIn.exponent, isNegative: negateB ? !bIn.isNegative : bIn.isNegative
        )
        let e = min(a.exponent, b.exponent)
        if a.isZero && b.isZero { return DecimalNumber(coefficient: 0, exponent: e, isNegative: false) }
        if a.isZero { return b.roundedToPrecision.withExponentAtMost(e) }
        if b.isZero { return a.roundedToPrecision.withExponentAtMost(e) }

        let (big, small) = a.exponent >= b.exponent ? (a, b) : (b, a)
        let shift = big.exponent - small.exponent
        // Fast path, the usual case of prices: same signs, small coefficients, a short shift, an
        // exact sum within the precision (what the general path below computes, without UInt256).
        if big.isNegative == small.isNegative, shift < 19, big.coefficient >> 64 == 0, small.coefficient >> 64 == 0 {
            let (scaled, overflow) = UInt64(big.coefficient).multipliedReportingOverflow(by: pow10u64(shift))
            if !overflow {
                let sum = UInt128(scaled) + small.coefficient
                if sum < precisionLimit {
                    return DecimalNumber(coefficient: sum, exponent: e, isNegative: big.isNegative)
                }
            }
        }
        let bigC: UInt256
        let smallC: UInt256
        let exponent: Int
        if shift <= 60, let scaled = UInt256(big.coefficient).scaled(byPowerOfTen: shift) {
            bigC = scaled
            smallC = UInt256(small.coefficient)
            exponent = e
        } else {
            // The smaller operand lies entirely below the rounding position of the larger one:
            // scale the larger to precision + 2 digits and let the smaller count as one unit in
            // the last place, which only decides the rounding direction.
            let target = max(precision + 2 - digitCount128(big.coefficient), 0)
            bigC = UInt256(big.coefficient).scaled(byPowerOfTen: target)!
            smallC = UInt256(1)
            exponent = big.exponent - target
        }
        if big.isNegative == small.isNegative {
            return rounded(negative: big.isNegative, coefficient: bigC.adding(smallC)!, exponent: exponent)
        }
        if bigC >= smallC {
            let diff = bigC.subtracting(smallC)
            return rounded(negative: diff.isZero ? false : big.isNegative, coefficient: diff, exponent: exponent)
        }
        return rounded(negative: small.isNegative, coefficient: smallC.subtracting(bigC), exponent: exponent)
    }

    var roundedToPrecision: DecimalNumber {
        Self.rounded(negative: isNegative, coefficient: UInt256(coefficient), exponent: exponent)
    }

    /// Zero results keep the smaller exponent of the operands, as exact arithmetic would.
    private func withExponentAtMost(_ e: Int) -> DecimalNumber {
        guard exponent > e else { return self }
        if let scaled = UInt256(coefficient).scaled(byPowerOfTen: exponent - e), scaled.digitCount <= Self.precision {
            return DecimalNumber(coefficient: scaled.narrow!, exponent: e, isNegative: isNegative)
        }
        return self
    }

    public static func * (a: DecimalNumber, b: DecimalNumber) -> DecimalNumber {
        // Fast path: a product that fits the precision needs no rounding (nor UInt256).
        if a.coefficient >> 64 == 0, b.coefficient >> 64 == 0 {
            let (high, low) = UInt64(a.coefficient).multipliedFullWidth(by: UInt64(b.coefficient))
            let product = UInt128(high) << 64 | UInt128(low)
            if product < precisionLimit {
                return DecimalNumber(
                    coefficient: product, exponent: a.exponent + b.exponent, isNegative: a.isNegative != b.isNegative)
            }
        }
        return rounded(
            negative: a.isNegative != b.isNegative, coefficient: UInt256.multiply(a.coefficient, b.coefficient),
            exponent: a.exponent + b.exponent)
    }

    public enum ArithmeticError: Error, Sendable, Equatable {
        case divisionByZero
        case overflow
    }

    /// Division to 16 significant digits; an exact quotient takes the ideal exponent
    /// (`a.exponent - b.exponent`) as closely as its digits allow.
    public func divided(by b: DecimalNumber) throws(ArithmeticError) -> DecimalNumber {
        let a = self
        guard !b.isZero else { throw .divisionByZero }
        let ideal = a.exponent - b.exponent
        let negative = a.isNegative != b.isNegative
        if a.isZero { return DecimalNumber(coefficient: 0, exponent: ideal, isNegative: false) }
        let da = digitCount128(a.coefficient)
        let db = digitCount128(b.coefficient)
        let shift = max(0, Self.precision + 1 + db - da)
        guard let dividend = UInt256(a.coefficient).scaled(byPowerOfTen: shift) else { throw .overflow }
        let (q, r) = dividend.divided(by: UInt256(b.coefficient))
        let result = Self.rounded(negative: negative, coefficient: q, exponent: ideal - shift, sticky: !r.isZero)
        // An exact quotient drops trailing zeros back toward the ideal exponent.
        return r.isZero ? result.reduced(toward: ideal) : result
    }

    private func reduced(toward ideal: Int) -> DecimalNumber {
        var c = coefficient
        var e = exponent
        while e < ideal, c != 0, c % 10 == 0 {
            c /= 10
            e += 1
        }
        return DecimalNumber(coefficient: c, exponent: e, isNegative: isNegative)
    }

    /// Truncated remainder: the sign follows the dividend (`-5 mod 3` is `-2`), computed exactly
    /// on decimals (`5.5 mod 2` is `1.5`).
    public func remainder(dividingBy b: DecimalNumber) throws(ArithmeticError) -> DecimalNumber {
        guard !b.isZero else { throw .divisionByZero }
        let e = min(exponent, b.exponent)
        guard let ca = UInt256(coefficient).scaled(byPowerOfTen: exponent - e),
            let cb = UInt256(b.coefficient).scaled(byPowerOfTen: b.exponent - e)
        else { throw .overflow }
        let r = ca.divided(by: cb).remainder
        return Self.rounded(negative: r.isZero ? false : isNegative, coefficient: r, exponent: e)
    }

    public enum RoundingDirection { case down, up }

    /// `floor` (toward −∞) and `ceil` (toward +∞) to an integer.
    public func integral(_ direction: RoundingDirection) -> DecimalNumber {
        guard exponent < 0 else { return self }
        let shift = -exponent
        let q: UInt128
        let r: UInt128
        if shift > 38 {
            q = 0
            r = coefficient
        } else {
            q = coefficient / powersOfTen128[shift]
            r = coefficient % powersOfTen128[shift]
        }
        var magnitude = q
        if r != 0 {
            let awayFromZero = (direction == .down && isNegative) || (direction == .up && !isNegative)
            if awayFromZero { magnitude += 1 }
        }
        return DecimalNumber(coefficient: magnitude, exponent: 0, isNegative: isNegative)
    }

    public enum Rounding { case halfEven, towardZero }

    /// Rounded to `places` decimal places (negative: to tens, hundreds...), half to even unless
    /// told otherwise. A number with no more places than that is itself.
    public func rounded(toPlaces places: Int, rounding: Rounding = .halfEven) -> DecimalNumber {
        let target = -places
        guard exponent < target else { return self }
        let shift = target - exponent
        guard shift <= 38 else { return DecimalNumber(coefficient: 0, exponent: target, isNegative: false) }
        let unit = powersOfTen128[shift]
        var q = coefficient / unit
        let r = coefficient % unit
        let half = unit / 2
        if rounding == .halfEven && (r > half || (r == half && q % 2 == 1)) { q += 1 }
        return DecimalNumber(coefficient: q, exponent: target, isNegative: isNegative)
    }

    /// Truncation toward zero to an integer value, if it fits in Int.
    public var truncatedInt: Int? {
        let t = integral(isNegative ? .up : .down)
        guard t.exponent >= 0 else { return nil }
        guard let scaled = UInt256(t.coefficient).scaled(byPowerOfTen: t.exponent), let n = scaled.narrow,
            n <= UInt128(Int.max)
        else { return nil }
        return t.isNegative ? -Int(n) : Int(n)
    }

    /// The value as an Int when it is exactly integral.
    public var exactInt: Int? {
        guard integral(.down) == self else { return nil }
        return truncatedInt
    }

    public var doubleValue: Double { Double(description) ?? .nan }

    // MARK: Text

    /// General Decimal Arithmetic "to-scientific-string": plain notation unless the exponent is
    /// positive or the number is very small, then `d.dddE±n`. Always a valid JSON number.
    public var description: String {
        let digits = String(coefficient)
        let adjusted = exponent + digits.count - 1
        var out = isNegative ? "-" : ""
        if exponent <= 0 && adjusted >= -6 {
            if exponent == 0 {
                out += digits
            } else if digits.count > -exponent {
                let split = digits.index(digits.endIndex, offsetBy: exponent)
                out += digits[..<split] + "." + digits[split...]
            } else {
                out += "0." + String(repeating: "0", count: -exponent - digits.count) + digits
            }
        } else {
            out += String(digits.prefix(1))
            if digits.count > 1 { out += "." + digits.dropFirst() }
            out += "E" + (adjusted >= 0 ? "+" : "-") + String(abs(adjusted))
        }
        return out
    }
}

extension DecimalNumber: Comparable, Hashable {
    public static func == (a: DecimalNumber, b: DecimalNumber) -> Bool { compare(a, b) == 0 }
    public static func < (a: DecimalNumber, b: DecimalNumber) -> Bool { compare(a, b) < 0 }

    /// -1, 0 or 1, comparing numerically (`1` equals `1.0`).
    public static func compare(_ a: DecimalNumber, _ b: DecimalNumber) -> Int {
        if a.isZero && b.isZero { return 0 }
        if a.isNegative != b.isNegative || a.isZero || b.isZero {
            let sa = a.isZero ? 0 : (a.isNegative ? -1 : 1)
            let sb = b.isZero ? 0 : (b.isNegative ? -1 : 1)
            return sa < sb ? -1 : (sa > sb ? 1 : 0)
        }
        let sign = a.isNegative ? -1 : 1
        let adjA = a.exponent + digitCount128(a.coefficient)
        let adjB = b.exponent + digitCount128(b.coefficient)
        if adjA != adjB { return adjA < adjB ? -sign : sign }
        let e = min(a.exponent, b.exponent)
        let ca = UInt256(a.coefficient).scaled(byPowerOfTen: a.exponent - e)!
        let cb = UInt256(b.coefficient).scaled(byPowerOfTen: b.exponent - e)!
        if ca == cb { return 0 }
        return ca < cb ? -sign : sign
    }

    public func hash(into hasher: inout Hasher) {
        // Equal values hash equally: hash the normalised form.
        var c = coefficient
        var e = exponent
        while c != 0, c % 10 == 0 {
            c /= 10
            e += 1
        }
        hasher.combine(c)
        hasher.combine(c == 0 ? 0 : e)
        hasher.combine(isNegative)
    }
}
