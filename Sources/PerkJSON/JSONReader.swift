/// A field of a request that is missing or wrong, with the JSON Pointer that names it.
public struct FieldError: Error, Sendable, Equatable, CustomStringConvertible {
    public let title: String
    public let details: String
    public let pointer: String

    public init(title: String, details: String, pointer: String) {
        self.title = title
        self.details = details
        self.pointer = pointer
    }

    public var description: String { "\(pointer): \(details)" }

    public static func required(_ pointer: String, _ name: String) -> FieldError {
        FieldError(title: "required", details: "\(name) is required", pointer: pointer)
    }

    public static func type(_ pointer: String, _ name: String, expected: String, found: JSON) -> FieldError {
        FieldError(
            title: "Invalid type", details: "\(name) must be \(expected), not \(found.typeName)", pointer: pointer)
    }
}

/// Reads the fields of one JSON object, checking types and constraints and naming the field
/// (by JSON Pointer) in every error.
public struct ObjectReader {
    public let object: JSONObject
    public let pointer: String

    public init(_ json: JSON, at pointer: String, name: String = "body") throws(FieldError) {
        guard case .object(let o) = json else {
            throw FieldError.type(pointer, name, expected: "an object", found: json)
        }
        self.object = o
        self.pointer = pointer
    }

    public func path(_ key: String) -> String { JSONPointer.append(pointer, key) }

    /// The value of `key`, nil when absent or null.
    public func value(_ key: String, required: Bool = false) throws(FieldError) -> JSON? {
        guard let v = object[key], !v.isNull else {
            if required { throw .required(path(key), key) }
            return nil
        }
        return v
    }

    public func string(_ key: String, required: Bool = false, minLength: Int = 0, maxLength: Int? = nil)
        throws(FieldError)
        -> String?
    {
        guard let v = try value(key, required: required) else { return nil }
        guard case .string(let s) = v else { throw .type(path(key), key, expected: "a string", found: v) }
        // Lengths in code points, as JSON Schema counts them (not grapheme clusters: a flag or
        // an emoji with a skin tone is one Character and several code points).
        let length = s.unicodeScalars.count
        if length < minLength {
            throw FieldError(
                title: "minLength", details: "\(key) must be at least \(minLength) characters long", pointer: path(key))
        }
        if let maxLength, length > maxLength {
            throw FieldError(
                title: "maxLength", details: "\(key) must be at most \(maxLength) characters long", pointer: path(key))
        }
        return s
    }

    public func bool(_ key: String, required: Bool = false) throws(FieldError) -> Bool? {
        guard let v = try value(key, required: required) else { return nil }
        guard case .bool(let b) = v else { throw .type(path(key), key, expected: "a boolean", found: v) }
        return b
    }

    public func number(_ key: String, required: Bool = false) throws(FieldError) -> JSONNumber? {
        guard let v = try value(key, required: required) else { return nil }
        guard case .number(let n) = v else { throw .type(path(key), key, expected: "a number", found: v) }
        return n
    }

    public func integer(_ key: String, required: Bool = false, minimum: Int64? = nil, maximum: Int64? = nil)
        throws(FieldError) -> Int64?
    {
        guard let v = try value(key, required: required) else { return nil }
        guard case .number(let n) = v, let i = n.wholeValue else {
            throw .type(path(key), key, expected: "an integer", found: v)
        }
        if let minimum, i < minimum {
            throw FieldError(
                title: "minimum", details: "\(key) must be greater than or equal to \(minimum)", pointer: path(key))
        }
        if let maximum, i > maximum {
            throw FieldError(
                title: "maximum", details: "\(key) must be less than or equal to \(maximum)", pointer: path(key))
        }
        return i
    }

    public func array(_ key: String, required: Bool = false) throws(FieldError) -> [JSON]? {
        guard let v = try value(key, required: required) else { return nil }
        guard case .array(let a) = v else { throw .type(path(key), key, expected: "an array", found: v) }
        return a
    }

    public func object(_ key: String, required: Bool = false) throws(FieldError) -> JSONObject? {
        guard let v = try value(key, required: required) else { return nil }
        guard case .object(let o) = v else { throw .type(path(key), key, expected: "an object", found: v) }
        return o
    }

    public func strings(_ key: String, required: Bool = false) throws(FieldError) -> [String]? {
        guard let a = try array(key, required: required) else { return nil }
        var out: [String] = []
        out.reserveCapacity(a.count)
        for (i, item) in a.enumerated() {
            guard case .string(let s) = item else {
                throw .type(JSONPointer.append(path(key), i), "\(key) items", expected: "strings", found: item)
            }
            out.append(s)
        }
        return out
    }

    /// A list of ids: positive whole numbers.
    public func ids(_ key: String, required: Bool = false) throws(FieldError) -> [Int64]? {
        guard let a = try array(key, required: required) else { return nil }
        var out: [Int64] = []
        out.reserveCapacity(a.count)
        for (i, item) in a.enumerated() {
            guard case .number(let n) = item, let id = n.wholeValue, id > 0 else {
                throw .type(JSONPointer.append(path(key), i), "\(key) items", expected: "ids (positive integers)", found: item)
            }
            out.append(id)
        }
        return out
    }

    /// A string that must be one of the cases of `E`.
    public func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type, required: Bool = false)
        throws(FieldError) -> E? where E.RawValue == String
    {
        guard let s = try string(key, required: required) else { return nil }
        guard let e = E(rawValue: s) else { throw Self.enumError(path(key), key, E.allCases.map(\.rawValue)) }
        return e
    }

    public static func enumError(_ pointer: String, _ name: String, _ allowed: [String]) -> FieldError {
        FieldError(
            title: "enum",
            details: "\(name) must be one of the following: " + allowed.map { "\"\($0)\"" }.joined(separator: ", "),
            pointer: pointer)
    }
}
