/// A JSON document as Perk sees it on the wire.
///
/// Numbers keep their source text so that money and rule literals (`9.999`, `1.20`) reach the
/// decimal arithmetic of the rule language exactly, and objects keep their key order so that
/// responses list fields in schema order.
public enum JSON: Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSON])
    case object(JSONObject)
}

/// A JSON number kept as its text (validated JSON number grammar).
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    /// `text` must already be a valid JSON number; the parser and the initialisers below ensure it.
    public init(uncheckedText text: String) { self.text = text }

    public init(_ value: Int) { self.text = String(value) }
    public init(_ value: Int64) { self.text = String(value) }

    /// Doubles are written in the shortest form that reads back to the same value.
    public init(_ value: Double) {
        if value.isNaN || value.isInfinite {
            self.text = "0"
        } else if value == value.rounded(.towardZero), abs(value) < 1e15 {
            self.text = String(Int64(value))
        } else {
            self.text = "\(value)"
        }
    }

    public var doubleValue: Double { Double(text) ?? 0 }

    /// The value as an integer when the text is an integer literal (no fraction, no exponent).
    public var intValue: Int64? { Int64(text) }

    /// The value as an integer when it is numerically whole (`3`, `3.0`, `3e0`).
    public var wholeValue: Int64? {
        if let i = Int64(text) { return i }
        let d = doubleValue
        guard d == d.rounded(.towardZero), abs(d) < 9.0e15 else { return nil }
        return Int64(d)
    }

    public var description: String { text }
}

/// A JSON object with its keys in insertion order.
public typealias JSONObject = OrderedMap<JSON>

extension JSON: Equatable {
    /// Numbers compare by value (`1` equals `1.0`); everything else structurally.
    public static func == (lhs: JSON, rhs: JSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a.text == b.text || a.doubleValue == b.doubleValue
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        default: return false
        }
    }
}

extension JSON {
    public static func number(_ value: Int) -> JSON { .number(JSONNumber(value)) }
    public static func number(_ value: Int64) -> JSON { .number(JSONNumber(value)) }
    public static func number(_ value: Double) -> JSON { .number(JSONNumber(value)) }

    public subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public subscript(index: Int) -> JSON? {
        if case .array(let a) = self, a.indices.contains(index) { return a[index] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
    public var numberValue: JSONNumber? {
        if case .number(let n) = self { return n }
        return nil
    }
    public var arrayValue: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The JSON type name used in error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    public init(floatLiteral value: Double) { self = .number(JSONNumber(value)) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(JSONObject(elements)) }
}

/// JSON Pointer (RFC 6901) helpers for error sources.
public enum JSONPointer {
    public static func escape(_ token: String) -> String {
        guard token.contains(where: { $0 == "~" || $0 == "/" }) else { return token }
        var out = ""
        for c in token {
            switch c {
            case "~": out += "~0"
            case "/": out += "~1"
            default: out.append(c)
            }
        }
        return out
    }

    public static func append(_ base: String, _ token: String) -> String { base + "/" + escape(token) }
    public static func append(_ base: String, _ index: Int) -> String { base + "/" + String(index) }
}
