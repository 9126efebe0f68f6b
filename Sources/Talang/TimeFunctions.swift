/// The time functions (talang.md §9 "time"). Parts are read in the time's own offset and
/// returned as unpadded strings, as talang does.
extension Builtins {
    static func time(_ v: Value) -> TimeValue {
        if case .time(let t) = v { return t }
        return TimeValue(seconds: 0)
    }

    static func registerTime(_ lib: inout FunctionLibrary) {
        lib.register(
            "after", .binary(.time, .time, returns: .boolean) { a, b, _ throws(EvalError) in .bool(time(b) < time(a)) })
        lib.register(
            "before", .binary(.time, .time, returns: .boolean) { a, b, _ throws(EvalError) in .bool(time(a) < time(b)) }
        )
        lib.register(
            "betweenTimes",
            .nary([.time, .time, .time], returns: .boolean) { v, _ throws(EvalError) in
                .bool(time(v[1]) < time(v[0]) && time(v[0]) < time(v[2]))
            })
        lib.register(
            "parseTime",
            .unary(.string, returns: .time) { s, _ throws(EvalError) in
                guard let t = parseLiberal(string(s)) else {
                    throw EvalError("parseTime: cannot read \"\(string(s))\"")
                }
                return .time(t)
            })
        lib.register(
            "parseTime",
            .binary(.string, .string, returns: .time) { s, layout, _ throws(EvalError) in
                guard let t = JodaLayout(string(layout)).parse(string(s)) else {
                    throw EvalError("parseTime: \"\(string(s))\" does not match \"\(string(layout))\"")
                }
                return .time(t)
            })
        let parts: [(String, @Sendable (TimeValue) -> Int)] = [
            ("hour", { $0.parts.hour }), ("minute", { $0.parts.minute }), ("month", { $0.parts.month }),
            ("monthDay", { $0.parts.day }), ("year", { $0.parts.year }), ("weekday", { $0.parts.weekday }),
        ]
        for (name, part) in parts {
            lib.register(
                name, .unary(.time, returns: .string) { t, _ throws(EvalError) in .string(String(part(time(t)))) })
        }
        lib.register(
            "date",
            .unary(.time, returns: .string) { t, _ throws(EvalError) in
                .string(JodaLayout("yyyy-MM-dd").format(time(t)))
            })
        lib.register(
            "formatTime", .unary(.time, returns: .string) { t, _ throws(EvalError) in .string(time(t).description) })
        lib.register(
            "matchTime",
            .nary([.time, .time, .string], returns: .boolean) { v, _ throws(EvalError) in
                let layout = JodaLayout(string(v[2]))
                return .bool(layout.format(time(v[0])) == layout.format(time(v[1])))
            })
        lib.register(
            "days",
            .unary(.time, returns: .decimal) { t, _ throws(EvalError) in
                .decimal(exactDecimal(daysBetween(TimeValue.now(), time(t))))
            })
        lib.register(
            "daysBetween",
            .binary(.time, .time, returns: .decimal) { a, b, _ throws(EvalError) in
                .decimal(exactDecimal(daysBetween(time(a), time(b))))
            })
        for (name, sign) in [("addDuration", 1), ("subDuration", -1)] {
            lib.register(
                name,
                .nary([.time, .decimal, .string], returns: .time) { v, _ throws(EvalError) in
                    let unit: Int64
                    switch string(v[2]) {
                    case "minutes": unit = 60
                    case "hours": unit = 3600
                    case "days": unit = 86400
                    default: throw EvalError("\(name): unknown unit \"\(string(v[2]))\" (minutes, hours or days)")
                    }
                    guard let amount = decimal(v[1]).truncatedInt else {
                        throw EvalError("\(name): amount out of range")
                    }
                    var t = time(v[0])
                    t.seconds += Int64(sign) * Int64(amount) * unit
                    return .time(t)
                })
        }
    }

    /// (b − a) in days as a binary double, like talang's float64 arithmetic.
    static func daysBetween(_ a: TimeValue, _ b: TimeValue) -> Double {
        let seconds = Double(b.seconds - a.seconds) + Double(b.nanoseconds - a.nanoseconds) / 1e9
        return seconds / 86400
    }

    /// The exact decimal value of a double (then kept to 38 digits, as any literal).
    static func exactDecimal(_ d: Double) -> DecimalNumber {
        guard d.isFinite, d != 0 else { return .zero }
        let significand = UInt128(d.significandBitPattern | (d.isNormal ? 1 << 52 : 0))
        var exponent = Int(d.exponent) - 52
        if !d.isNormal { exponent = -1074 }
        if exponent >= 0 {
            return DecimalNumber(String(significand << UInt128(min(exponent, 70)))) ?? .zero
        }
        // m × 2^-k = m × 5^k / 10^k, exact while 5^k fits next to m.
        var k = -exponent
        var m = UInt256(significand)
        while k > 0, let next = m.multiplied(by: 5) {
            m = next
            k -= 1
        }
        guard k == 0 else { return DecimalNumber(String(describing: d)) ?? .zero }
        let digits = m.decimalString
        let scale = -exponent
        let padded = digits.count > scale ? digits : String(repeating: "0", count: scale - digits.count + 1) + digits
        let point = padded.index(padded.endIndex, offsetBy: -scale)
        return DecimalNumber((d < 0 ? "-" : "") + padded[..<point] + "." + padded[point...]) ?? .zero
    }

    /// The forms a date is commonly written in: RFC 3339, `yyyy-MM-dd[ HH:mm[:ss]]`,
    /// `yyyy/MM/dd`, `MM/dd/yyyy` and `dd.MM.yyyy`, read as UTC when no offset is given.
    static func parseLiberal(_ s: String) -> TimeValue? {
        if let t = TimeValue(rfc3339: s) { return t }
        for layout in [
            "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd", "yyyy/MM/dd",
            "MM/dd/yyyy",
            "dd.MM.yyyy",
        ] {
            if let t = JodaLayout(layout).parse(s) { return t }
        }
        return nil
    }
}

extension TimeValue {
    static func now() -> TimeValue {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return TimeValue(seconds: Int64(ts.tv_sec), nanoseconds: Int32(ts.tv_nsec))
    }
}

/// A Joda-style date layout: `yyyy`/`YYYY` year, `MM`/`M` month, `dd`/`d` day of month, `DDD` day
/// of year, `HH`/`H` hour, `mm`/`m` minute, `ss`/`s` second, text in single quotes, anything else
/// literal. Parsing fills missing parts from 0000-01-01T00:00:00Z.
struct JodaLayout {
    enum Token: Equatable {
        case field(Character, Int)
        case literal(String)
    }

    let tokens: [Token]

    init(_ layout: String) {
        var tokens: [Token] = []
        var chars = Array(layout)[...]
        while let c = chars.first {
            if c == "'" {
                chars = chars.dropFirst()
                let text = chars.prefix { $0 != "'" }
                tokens.append(.literal(String(text)))
                chars = chars.dropFirst(text.count + 1)
            } else if "yYMdDHhmsS".contains(c) {
                let run = chars.prefix { $0 == c }
                tokens.append(.field(c, run.count))
                chars = chars.dropFirst(run.count)
            } else {
                tokens.append(.literal(String(c)))
                chars = chars.dropFirst()
            }
        }
        self.tokens = tokens
    }

    func format(_ t: TimeValue) -> String {
        let p = t.parts
        var out = ""
        for token in tokens {
            switch token {
            case .literal(let s): out += s
            case .field(let c, let n):
                let value: Int
                switch c {
                case "y", "Y": value = p.year
                case "M": value = p.month
                case "d": value = p.day
                case "D":
                    value =
                        TimeValue.daysFromCivil(year: p.year, month: p.month, day: p.day)
                        - TimeValue.daysFromCivil(year: p.year, month: 1, day: 1) + 1
                case "H": value = p.hour
                case "h": value = p.hour % 12 == 0 ? 12 : p.hour % 12
                case "m": value = p.minute
                case "s": value = p.second
                default: value = Int(t.nanoseconds / 1_000_000)
                }
                let s = String(value)
                out += s.count >= n ? s : String(repeating: "0", count: n - s.count) + s
            }
        }
        return out
    }

    func parse(_ text: String) -> TimeValue? {
        var chars = Array(text)[...]
        var year = 0
        var month = 1
        var day = 1
        var hour = 0
        var minute = 0
        var second = 0
        for (i, token) in tokens.enumerated() {
            switch token {
            case .literal(let s):
                guard chars.starts(with: s) else { return nil }
                chars = chars.dropFirst(s.count)
            case .field(let c, let n):
                // A field followed directly by another field takes exactly its width.
                let fixed: Bool = {
                    if i + 1 < tokens.count, case .field = tokens[i + 1] { return true }
                    return false
                }()
                let digits = fixed ? chars.prefix(n) : chars.prefix { $0.isASCII && $0.isNumber }
                guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(String(digits))
                else {
                    return nil
                }
                chars = chars.dropFirst(digits.count)
                switch c {
                case "y", "Y": year = v
                case "M": month = v
                case "d": day = v
                case "H", "h": hour = v
                case "m": minute = v
                case "s": second = v
                default: break
                }
            }
        }
        guard chars.isEmpty, (1...12).contains(month), (1...TimeValue.daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second < 60
        else { return nil }
        let days = TimeValue.daysFromCivil(year: year, month: month, day: day)
        return TimeValue(seconds: Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second))
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
