/// Just enough 256-bit unsigned arithmetic for exact decimal intermediates: the product of two
/// 38-digit coefficients, or a dividend scaled up before a 16-digit division.
struct UInt256: Comparable, Sendable {
    var high: UInt128
    var low: UInt128

    static let zero = UInt256(high: 0, low: 0)

    init(high: UInt128, low: UInt128) {
        self.high = high
        self.low = low
    }

    init(_ value: UInt128) {
        high = 0
        low = value
    }

    var isZero: Bool { high == 0 && low == 0 }

    /// The value as a `UInt128` when it fits.
    var narrow: UInt128? { high == 0 ? low : nil }

    static func < (a: UInt256, b: UInt256) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    static func multiply(_ a: UInt128, _ b: UInt128) -> UInt256 {
        let r = a.multipliedFullWidth(by: b)
        return UInt256(high: r.high, low: r.low)
    }

    /// `self * m`, or nil on overflow.
    func multiplied(by m: UInt64) -> UInt256? {
        let lowProduct = low.multipliedFullWidth(by: UInt128(m))
        let (highProduct, o1) = high.multipliedReportingOverflow(by: UInt128(m))
        guard !o1 else { return nil }
        let (h, o2) = highProduct.addingReportingOverflow(lowProduct.high)
        guard !o2 else { return nil }
        return UInt256(high: h, low: lowProduct.low)
    }

    /// `self * 10^n`, or nil on overflow.
    func scaled(byPowerOfTen n: Int) -> UInt256? {
        var v = self
        var left = n
        while left > 0 {
            let step = min(left, 19)
            guard let next = v.multiplied(by: pow10u64(step)) else { return nil }
            v = next
            left -= step
        }
        return v
    }

    func adding(_ o: UInt256) -> UInt256? {
        let (l, c) = low.addingReportingOverflow(o.low)
        let (h1, o1) = high.addingReportingOverflow(o.high)
        let (h2, o2) = h1.addingReportingOverflow(c ? 1 : 0)
        guard !o1, !o2 else { return nil }
        return UInt256(high: h2, low: l)
    }

    /// `self - o`; requires `self >= o`.
    func subtracting(_ o: UInt256) -> UInt256 {
        let (l, b) = low.subtractingReportingOverflow(o.low)
        let h = high - o.high - (b ? 1 : 0)
        return UInt256(high: h, low: l)
    }

    /// Division by a small divisor, returning quotient and remainder.
    func divided(by d: UInt64) -> (quotient: UInt256, remainder: UInt64) {
        let dd = UInt128(d)
        let qh = high / dd
        let rh = high % dd
        let (ql, rl) = dd.dividingFullWidth((rh, low))
        return (UInt256(high: qh, low: ql), UInt64(rl))
    }

    /// Long division by an arbitrary divisor (binary shift-subtract; only used off the common path).
    func divided(by d: UInt256) -> (quotient: UInt256, remainder: UInt256) {
        if let a = narrow, let b = d.narrow {
            return (UInt256(a / b), UInt256(a % b))
        }
        var q = UInt256.zero
        var r = UInt256.zero
        for bit in stride(from: 255, through: 0, by: -1) {
            r = r.shiftedLeftOne()
            if self.bit(bit) { r.low |= 1 }
            if r >= d {
                r = r.subtracting(d)
                q.setBit(bit)
            }
        }
        return (q, r)
    }

    private func shiftedLeftOne() -> UInt256 {
        UInt256(high: (high << 1) | (low >> 127), low: low << 1)
    }

    private func bit(_ n: Int) -> Bool {
        n >= 128 ? (high >> UInt128(n - 128)) & 1 == 1 : (low >> UInt128(n)) & 1 == 1
    }

    private mutating func setBit(_ n: Int) {
        if n >= 128 { high |= 1 << UInt128(n - 128) } else { low |= 1 << UInt128(n) }
    }

    /// Number of decimal digits (0 for zero).
    var digitCount: Int {
        var v = self
        var extra = 0
        while v.narrow == nil {
            v = v.divided(by: 10).quotient
            extra += 1
        }
        return extra + digitCount128(v.low)
    }

    /// Decimal digits, most significant first.
    var decimalString: String {
        if let n = narrow { return String(n) }
        var digits: [UInt8] = []
        var v = self
        while !v.isZero {
            let (q, r) = v.divided(by: 10)
            digits.append(UInt8(r) + 0x30)
            v = q
        }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }
}

@inline(__always) func pow10u64(_ n: Int) -> UInt64 {
    var v: UInt64 = 1
    for _ in 0..<n { v &*= 10 }
    return v
}

let powersOfTen128: [UInt128] = {
    var table: [UInt128] = [1]
    for _ in 1...38 { table.append(table.last! * 10) }
    return table
}()

func digitCount128(_ n: UInt128) -> Int {
    if n == 0 { return 0 }
    // log10 from the bit width (1233 / 4096 ≈ log10 2), corrected by one table comparison.
    let bits = 128 - n.leadingZeroBitCount
    let estimate = (bits * 1233) >> 12
    return n >= powersOfTen128[estimate] ? estimate + 1 : estimate
}
