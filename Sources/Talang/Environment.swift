import PerkJSON

/// Something outside the language that host functions (registered by the embedding program) reach
/// through the environment, such as the collector of a promotion engine's effects.
public protocol EvaluationHost: AnyObject {}

/// The state of one evaluation: the read-only root context, the variables bound so far (lambda
/// parameters, bindings, `set`), and the host. It lives for one evaluation and is never shared.
public struct Environment {
    public private(set) var root: ValueMap
    public let host: (any EvaluationHost)?
    /// Templates defined so far in this evaluation, by lower-cased name.
    var templates: [String: Template] = [:]
    /// Arguments of the template calls in progress, innermost last.
    var templateFrames: [(params: [Kind], args: [Thunk])] = []
    /// Innermost binding last. Child scopes are realised by truncating back to a saved count.
    var locals: [(name: String, value: Value)] = []

    public init(root: ValueMap, host: (any EvaluationHost)? = nil) {
        self.root = root
        self.host = host
        locals.reserveCapacity(8)
    }

    @inline(__always) func lookup(_ name: String) -> Value? {
        var i = locals.count - 1
        while i >= 0 {
            if locals[i].name == name { return locals[i].value }
            i -= 1
        }
        return root[name]
    }

    /// Replaces an entry of the root context, for hosts whose context changes between the
    /// expressions of one evaluation (a promotion engine lowering the session total).
    public mutating func setRoot(_ name: String, _ value: Value) {
        root[name] = value
    }

    public mutating func bind(_ name: String, _ value: Value) {
        locals.append((name, value))
    }

    /// A point to `restore` to, closing every binding made after it.
    public var scopeMark: Int { locals.count }

    /// Gives the binding at `slot` a new value and closes every binding made after it.
    @inline(__always) mutating func rebind(_ slot: Int, to value: Value) {
        if locals.count > slot + 1 { locals.removeSubrange((slot + 1)...) }
        locals[slot].value = value
    }

    public mutating func restore(_ mark: Int) {
        if locals.count > mark { locals.removeSubrange(mark...) }
    }
}

/// An evaluation error: a missing path, no matching function for the argument types, or an error
/// raised by a function.
public struct EvalError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A rule that cannot be compiled, with a JSON Pointer to the offending node relative to the
/// expression that was compiled (`/2/1` is the second argument of the call in the third element).
public struct CompileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let pointer: String
    public init(_ message: String, pointer: String) {
        self.message = message
        self.pointer = pointer
    }
    public var description: String { pointer.isEmpty ? message : "\(message) (at \(pointer))" }

    /// The same error with its pointer placed under `prefix`.
    public func prefixed(_ prefix: String) -> CompileError { CompileError(message, pointer: prefix + pointer) }
}
