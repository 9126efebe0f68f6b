import Atomics
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
    /// A variable. A list lambda's variable points at the item under evaluation instead of
    /// holding a copy: moving to the next item and reading paths from it then costs no reference
    /// counting, the hottest part of rules over cart items.
    struct Local {
        var name: String
        var value: Value
        /// When set, the variable is the value this points at (an element of a list that the
        /// lambda keeps alive, and that outlives the binding; see `Builtins.lambdaOverList`).
        var item: UnsafePointer<Value>?

        var current: Value { item?.pointee ?? value }
    }

    /// Innermost binding last. Child scopes are realised by truncating back to a saved count.
    var locals: [Local] = []

    /// Steps that may be spent before the next checkpoint, which moves more from `reserve` and
    /// looks at the clock: the hot path only decrements and tests this one integer.
    @usableFromInline var fuel: Int
    var reserve: Int
    /// The steps of the current allowance, for the message when they run out.
    var allowance: Int
    let deadline: ContinuousClock.Instant?
    /// Set once the budget ran out: from then on every step fails, and `catch` cannot recover.
    public private(set) var exhausted: EvalError?

    public init(root: ValueMap, host: (any EvaluationHost)? = nil, budget: EvaluationBudget = .unlimited) {
        self.root = root
        self.host = host
        self.fuel = min(budget.steps, Self.checkpointSteps)
        self.reserve = budget.steps - fuel
        self.allowance = budget.steps
        self.deadline = budget.deadline
        locals.reserveCapacity(8)
    }

    /// How many steps pass between two looks at the clock.
    static let checkpointSteps = 4096

    /// Steps not spent yet.
    public var stepsLeft: Int { max(fuel, 0) + reserve }

    /// Steps spent of the current allowance (when the deadline stopped the evaluation, those
    /// spent until then).
    public var stepsUsed: Int { usedWhenExhausted ?? min(allowance - stepsLeft, allowance) }
    var usedWhenExhausted: Int?

    /// Gives the evaluation a new allowance of steps (a host running several rules in one
    /// environment gives each its own share, so one rule running out does not stop the next);
    /// past the deadline nothing more may run.
    public mutating func allow(steps: Int) {
        if let deadline, ContinuousClock.now >= deadline {
            allowance = steps
            _ = exhaust(EvalError.outOfBudget("ran past the evaluation's time limit"))
            usedWhenExhausted = 0
            return
        }
        exhausted = nil
        usedWhenExhausted = nil
        fuel = min(steps, Self.checkpointSteps)
        reserve = steps - fuel
        allowance = steps
    }

    /// Spends `n` steps of the budget; throws once it is used up or past its deadline.
    @inline(__always) public mutating func spend(_ n: Int = 1) throws(EvalError) {
        fuel &-= n
        if fuel < 0 { try checkpoint() }
    }

    @usableFromInline mutating func checkpoint() throws(EvalError) {
        if let exhausted { throw exhausted }
        let overdraft = -fuel
        if overdraft > reserve {
            throw exhaust(EvalError.outOfBudget("ran out of its \(allowance) evaluation steps"))
        }
        reserve -= overdraft
        if let deadline, ContinuousClock.now >= deadline {
            throw exhaust(EvalError.outOfBudget("ran past the evaluation's time limit"))
        }
        fuel = min(reserve, Self.checkpointSteps)
        reserve -= fuel
    }

    mutating func exhaust(_ error: EvalError) -> EvalError {
        usedWhenExhausted = min(max(allowance - stepsLeft, 0), allowance)
        exhausted = error
        fuel = 0
        reserve = 0
        return error
    }

    @inline(__always) func lookup(_ name: String) -> Value? {
        var i = locals.count - 1
        while i >= 0 {
            if locals[i].name == name { return locals[i].current }
            i -= 1
        }
        return root[name]
    }

    /// The value at a literal path (`keys[0]` a variable or root entry, then map keys), read in
    /// place: only the final value is copied. A null along the way is missing; a non-map before
    /// the last key ends the walk with that value (talang's behaviour).
    func resolve(_ keys: [String]) -> PathResolution {
        let first = keys[0]
        // Through a buffer pointer: the variable's value is borrowed in place, not copied out.
        let found = locals.withUnsafeBufferPointer { buffer -> PathResolution? in
            var i = buffer.count - 1
            while i >= 0 {
                if buffer[i].name == first {
                    if let item = buffer[i].item { return Self.descend(item.pointee, keys, 1) }
                    return Self.descend(buffer[i].value, keys, 1)
                }
                i -= 1
            }
            return nil
        }
        if let found { return found }
        return root.withValue(forKey: first) { Self.descend($0, keys, 1) } ?? .missing(at: 0)
    }

    /// `name.key`, the most common path shape (`Item.Price`, `Session.Total`), or nil where
    /// `resolve([name, key])` finds nothing: the same walk without the key array and result enum.
    /// `hint` remembers where `key` was found: the items of a cart are maps built alike, so the
    /// next item has it at the same position. It is read before and written after the map is
    /// looked at, so the map is read in place, not copied.
    func value(_ name: String, _ key: String, hint: UnsafeAtomic<Int>) -> Value? {
        let guess = hint.load(ordering: .relaxed)
        var found = guess
        var i = locals.count - 1
        while i >= 0 {
            if locals[i].name == name { break }
            i -= 1
        }
        let v: Value?
        if i < 0 {
            v = root.withValue(forKey: name) { Self.member($0, key) } ?? nil
        } else {
            v = locals.withUnsafeBufferPointer { buffer in
                if let item = buffer[i].item { return Self.member(item.pointee, key, guess: guess, found: &found) }
                return Self.member(buffer[i].value, key, guess: guess, found: &found)
            }
        }
        if found != guess { hint.store(found, ordering: .relaxed) }
        return v
    }

    @inline(__always) static func member(_ current: Value, _ key: String, guess: Int, found: inout Int) -> Value? {
        switch current {
        case .null: return nil
        case .map(let m):
            guard let p = m.position(of: key, hint: guess) else { return nil }
            found = p
            let v = m.value(at: p)
            if case .null = v { return nil }
            return v
        default: return current
        }
    }

    @inline(__always) static func member(_ current: Value, _ key: String) -> Value? {
        switch current {
        case .null: return nil
        case .map(let m):
            guard let v = m[key] else { return nil }
            if case .null = v { return nil }
            return v
        default: return current
        }
    }

    static func descend(_ current: Value, _ keys: [String], _ i: Int) -> PathResolution {
        if case .null = current { return .missing(at: i - 1) }
        guard i < keys.count, case .map(let m) = current else { return .found(current) }
        return m.withValue(forKey: keys[i]) { descend($0, keys, i + 1) } ?? .missing(at: i)
    }

    /// Replaces an entry of the root context, for hosts whose context changes between the
    /// expressions of one evaluation (a promotion engine lowering the session total).
    public mutating func setRoot(_ name: String, _ value: Value) {
        root[name] = value
    }

    public mutating func bind(_ name: String, _ value: Value) {
        locals.append(Local(name: name, value: value, item: nil))
    }

    /// Binds `name` to list items that `select` points it at; returns its slot.
    mutating func bindItem(_ name: String) -> Int {
        locals.append(Local(name: name, value: .null, item: nil))
        return locals.count - 1
    }

    /// A point to `restore` to, closing every binding made after it.
    public var scopeMark: Int { locals.count }

    /// Points the variable at `slot` (from `bindItem`) at `item`, and closes every binding made
    /// after it. The caller keeps `item` alive and valid until it restores the slot.
    @inline(__always) mutating func select(_ slot: Int, item: UnsafePointer<Value>) {
        if locals.count > slot + 1 { locals.removeSubrange((slot + 1)...) }
        locals[slot].item = item
    }

    public mutating func restore(_ mark: Int) {
        if locals.count > mark { locals.removeSubrange(mark...) }
    }
}

public enum PathResolution {
    case found(Value)
    /// The path has nothing (or null) at `keys[at]`.
    case missing(at: Int)
}

/// An evaluation error: a missing path, no matching function for the argument types, or an error
/// raised by a function.
public struct EvalError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// The evaluation ran out of steps or time: no `catch` recovers from it.
    public let isOutOfBudget: Bool
    public init(_ message: String) {
        self.message = message
        self.isOutOfBudget = false
    }
    init(outOfBudget message: String) {
        self.message = message
        self.isOutOfBudget = true
    }
    static func outOfBudget(_ message: String) -> EvalError { EvalError(outOfBudget: message) }
    public var description: String { message }
}

/// What one evaluation may spend: steps (a function call, one item of a list function, one
/// template call, and work proportional to the strings and lists a function builds) and,
/// optionally, time. Untrusted rules cannot run longer than this.
public struct EvaluationBudget: Sendable, Equatable {
    public var steps: Int
    public var deadline: ContinuousClock.Instant?

    public init(steps: Int, deadline: ContinuousClock.Instant? = nil) {
        self.steps = max(steps, 0)
        self.deadline = deadline
    }

    public init(steps: Int, time: Duration) {
        self.init(steps: steps, deadline: ContinuousClock.now + time)
    }

    public static let unlimited = EvaluationBudget(steps: Int.max / 2)
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
