import PerkJSON

/// A value of the rule language.
public enum Value: Sendable {
    case null
    case bool(Bool)
    case decimal(DecimalNumber)
    case string(String)
    case time(TimeValue)
    case list([Value])
    case map(ValueMap)

    public var kind: Kind {
        switch self {
        case .null: .null
        case .bool: .boolean
        case .decimal: .decimal
        case .string: .string
        case .time: .time
        case .list: .list
        case .map: .map
        }
    }

    /// The text of an atom, which `=` and path segments use; collections have none.
    public var atomText: String? {
        switch self {
        case .null: ""
        case .bool(let b): b ? "true" : "false"
        case .decimal(let d): d.description
        case .string(let s): s
        case .time(let t): t.description
        case .list, .map: nil
        }
    }
}

/// Kinds of values, and the sets of them that function signatures accept.
public struct Kind: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let null = Kind(rawValue: 1 << 0)
    public static let boolean = Kind(rawValue: 1 << 1)
    public static let decimal = Kind(rawValue: 1 << 2)
    public static let string = Kind(rawValue: 1 << 3)
    public static let time = Kind(rawValue: 1 << 4)
    public static let list = Kind(rawValue: 1 << 5)
    public static let map = Kind(rawValue: 1 << 6)
    /// An unevaluated expression: lambda bodies, fallbacks.
    public static let token = Kind(rawValue: 1 << 7)

    public static let atom: Kind = [.null, .boolean, .decimal, .string, .time]
    public static let collection: Kind = [.list, .map]
    public static let value: Kind = [.atom, .collection]
    public static let any: Kind = [.value, .token]

    public var description: String {
        let names: [(Kind, String)] = [
            (.null, "Null"), (.boolean, "Boolean"), (.decimal, "Decimal"), (.string, "String"), (.time, "Time"),
            (.list, "List"), (.map, "Map"), (.token, "Token"),
        ]
        if self == .any { return "Any" }
        if self == .atom { return "Atom" }
        if self == .collection { return "Collection" }
        if self == .value { return "Atom|Collection" }
        return names.filter { contains($0.0) }.map(\.1).joined(separator: "|")
    }
}

extension Value: Equatable {
    /// Structural equality (decimals numerically); used by tests and collection comparisons.
    public static func == (a: Value, b: Value) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.decimal(let x), .decimal(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.time(let x), .time(let y)): x == y
        case (.list(let x), .list(let y)): x == y
        case (.map(let x), .map(let y)): x == y
        default: false
        }
    }
}

// MARK: JSON conversion

extension Value {
    /// Converts data (a rule context, an attribute) to a value: numbers become decimals with their
    /// exact digits, strings stay strings, and `{"$time": "..."}` is a time.
    public init(json: JSON) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let n): self = .decimal(DecimalNumber(n.text) ?? .zero)
        case .string(let s): self = .string(s)
        case .array(let a): self = .list(a.map(Value.init(json:)))
        case .object(let o):
            if o.count == 1, let t = o["$time"]?.stringValue, let time = TimeValue(rfc3339: t) {
                self = .time(time)
                return
            }
            var m = ValueMap(minimumCapacity: o.count)
            for (k, v) in o { m[k] = Value(json: v) }
            self = .map(m)
        }
    }

    /// The value as JSON: decimals as numbers, times as RFC 3339 strings, maps with sorted keys.
    public var json: JSON {
        switch self {
        case .null: .null
        case .bool(let b): .bool(b)
        case .decimal(let d): .number(JSONNumber(uncheckedText: d.description))
        case .string(let s): .string(s)
        case .time(let t): .string(t.description)
        case .list(let l): .array(l.map(\.json))
        case .map(let m): .object(JSONObject(m.sorted { $0.key < $1.key }.map { ($0.key, $0.value.json) }))
        }
    }
}
