import PerkJSON

/// A compiled expression node: how to evaluate it, and what kinds it can produce.
public struct Node: Sendable {
    public let eval: Thunk
    public let kinds: Kind
    /// Set for literals, so that special forms can read names and constants at compile time.
    public let literal: Value?

    public init(kinds: Kind, literal: Value? = nil, eval: @escaping Thunk) {
        self.eval = eval
        self.kinds = kinds
        self.literal = literal
    }

    static func constant(_ v: Value) -> Node {
        Node(kinds: v.kind, literal: v) { _ throws(EvalError) in v }
    }
}

/// A function call being compiled by a special form: its raw arguments and the means to
/// compile them.
public struct CallSite: Sendable {
    public let name: String
    public let args: [JSON]
    /// Pointer of the call's array; argument `i` is at `pointer/(i + 1)`.
    public let pointer: String
    let compiler: Compiler
    let state: CompileState

    public func argPointer(_ i: Int) -> String { JSONPointer.append(pointer, i + 1) }

    public func compile(_ i: Int) throws(CompileError) -> Node {
        try compiler.node(args[i], pointer: argPointer(i), state: state)
    }

    public func compile(_ i: Int, expecting kinds: Kind) throws(CompileError) -> Node {
        let n = try compile(i)
        guard !n.kinds.isDisjoint(with: kinds) else {
            throw CompileError("\(name): argument \(i + 1) must be \(kinds), not \(n.kinds)", pointer: argPointer(i))
        }
        return n
    }

    /// A lambda starting at argument `i`: either `Var, body` (two arguments) or the legacy
    /// `[["Var"], body]` (one argument).
    public func lambda(at i: Int, threeArgumentForm: Bool) throws(CompileError) -> (variable: String, body: Node) {
        if threeArgumentForm {
            guard case .string(let v) = args[i] else {
                throw CompileError("\(name): the lambda variable must be a name", pointer: argPointer(i))
            }
            return (v, try compile(i + 1))
        }
        guard case .array(let parts) = args[i], parts.count == 2, case .array(let vars) = parts[0], vars.count == 1,
            case .string(let v) = vars[0]
        else {
            throw CompileError("\(name): expected a lambda [[\"Var\"], body]", pointer: argPointer(i))
        }
        let body = try compiler.node(parts[1], pointer: JSONPointer.append(argPointer(i), 1), state: state)
        return (v, body)
    }

    public func error(_ message: String) -> CompileError { CompileError(message, pointer: pointer) }
}

/// Facts gathered while compiling one expression.
final class CompileState: @unchecked Sendable {
    // Only touched by the compiling thread, during one `compile` call.
    var calledFunctions: Set<String> = []
    /// How deep the node being compiled is nested.
    var depth = 0
    /// The templates whose bodies are being compiled, innermost last (lower-cased names).
    var definingTemplates: [String] = []
    var templates = TemplateGraph()
}

/// A compiled, immutable expression, evaluated many times.
public struct Expression: Sendable {
    public let root: Node
    /// Lower-cased names of every function the expression calls.
    public let calledFunctions: Set<String>
    /// The templates the expression defines and the templates their bodies call.
    public let templates: TemplateGraph

    public func evaluate(_ env: inout Environment) throws(EvalError) -> Value {
        try root.eval(&env)
    }

    public func evaluate(
        context: ValueMap = [:], host: (any EvaluationHost)? = nil, budget: EvaluationBudget = .unlimited
    ) throws(EvalError) -> Value {
        var env = Environment(root: context, host: host, budget: budget)
        return try root.eval(&env)
    }

    public func calls(_ function: String) -> Bool { calledFunctions.contains(function.lowercased()) }
}

/// Turns JSON-array rules into executable nodes, resolving functions, arities and static types.
public struct Compiler: Sendable {
    public let library: FunctionLibrary

    /// How deeply calls may nest in one expression: evaluation recurses once per level, so this
    /// bounds the stack an evaluation can use.
    public static let maxNesting = 64

    public init(library: FunctionLibrary = .standard) { self.library = library }

    /// Compiles one expression; recursive templates are refused here, as they are when the
    /// expressions of a ruleset are checked together (`TemplateGraph.cycle`).
    public func compile(_ json: JSON) throws(CompileError) -> Expression {
        let expression = try compileAlone(json)
        if let error = expression.templates.cycle() { throw error }
        return expression
    }

    /// Compiles one expression that will be evaluated together with others (the rules of a
    /// ruleset share their templates): the caller checks their templates together.
    public func compileAlone(_ json: JSON) throws(CompileError) -> Expression {
        let state = CompileState()
        let root = try node(json, pointer: "", state: state)
        return Expression(root: root, calledFunctions: state.calledFunctions, templates: state.templates)
    }

    func node(_ json: JSON, pointer: String, state: CompileState) throws(CompileError) -> Node {
        state.depth += 1
        defer { state.depth -= 1 }
        guard state.depth <= Self.maxNesting else {
            throw CompileError("expressions may nest at most \(Self.maxNesting) levels deep", pointer: pointer)
        }
        switch json {
        case .null: return .constant(.null)
        case .bool(let b): return .constant(.bool(b))
        case .number(let n):
            guard let d = DecimalNumber(n.text) else {
                throw CompileError("invalid number \(n.text)", pointer: pointer)
            }
            return .constant(.decimal(d))
        case .string(let s): return .constant(.string(s))
        case .object(let o):
            if o.count == 1, let t = o["$time"] {
                guard case .string(let s) = t, let time = TimeValue(rfc3339: s) else {
                    throw CompileError(
                        "$time must be an RFC 3339 string", pointer: JSONPointer.append(pointer, "$time"))
                }
                return .constant(.time(time))
            }
            throw CompileError("an expression cannot be an object", pointer: pointer)
        case .array(let items):
            guard let head = items.first else { throw CompileError("empty expression", pointer: pointer) }
            switch head {
            case .string(let name):
                return try call(name, Array(items.dropFirst()), pointer: pointer, state: state)
            case .array:
                return try sequence(items, pointer: pointer, state: state)
            default:
                throw CompileError(
                    "an expression must start with a function name", pointer: JSONPointer.append(pointer, 0))
            }
        }
    }

    /// `[expr1, expr2, ...]` with an expression head: evaluates each, yields the last.
    func sequence(_ items: [JSON], pointer: String, state: CompileState) throws(CompileError) -> Node {
        var nodes: [Node] = []
        for (i, item) in items.enumerated() {
            nodes.append(try node(item, pointer: JSONPointer.append(pointer, i), state: state))
        }
        let steps = nodes
        return Node(kinds: nodes.last!.kinds) { env throws(EvalError) in
            var result = Value.null
            for step in steps { result = try step.eval(&env) }
            return result
        }
    }

    func call(_ name: String, _ args: [JSON], pointer: String, state: CompileState) throws(CompileError) -> Node {
        guard let overloads = library.overloads(name) else {
            throw CompileError("unknown function \"\(name)\"", pointer: JSONPointer.append(pointer, 0))
        }
        state.calledFunctions.insert(name.lowercased())
        let fitting = overloads.filter { $0.accepts(count: args.count) }
        guard !fitting.isEmpty else {
            throw CompileError(
                "\(name) does not take \(args.count) argument\(args.count == 1 ? "" : "s")", pointer: pointer)
        }
        if let special = fitting.first(where: \.isSpecial), case .special(let build) = special.impl {
            let site = CallSite(name: name, args: args, pointer: pointer, compiler: self, state: state)
            return try build(site)
        }
        var argNodes: [Node] = []
        argNodes.reserveCapacity(args.count)
        for (i, a) in args.enumerated() {
            argNodes.append(try node(a, pointer: JSONPointer.append(pointer, i + 1), state: state))
        }
        let candidates = fitting.filter { o in
            argNodes.indices.allSatisfy { !argNodes[$0].kinds.isDisjoint(with: o.param($0)) }
        }
        guard !candidates.isEmpty else {
            let kinds = argNodes.map { $0.kinds.description }.joined(separator: ", ")
            throw CompileError("\(name) does not accept (\(kinds))", pointer: pointer)
        }
        return CallBuilder.build(name: name, candidates: candidates, args: argNodes)
    }
}

/// Builds the evaluation closure of an eager call, with fast paths for one candidate and
/// one or two arguments (the shape of nearly every rule call).
enum CallBuilder {
    static func mismatch(_ name: String, _ values: [Value]) -> EvalError {
        EvalError("no function \(name) for (\(values.map { $0.kind.description }.joined(separator: ", ")))")
    }

    static func build(name: String, candidates: [Overload], args: [Node]) -> Node {
        let returns = candidates.reduce(Kind()) { $0.union($1.returns) }
        if candidates.count == 1 {
            let o = candidates[0]
            switch (o.impl, args.count) {
            case (.nullary(let f), 0):
                return Node(kinds: returns) { env throws(EvalError) in
                    try env.spend()
                    return try f(&env)
                }
            case (.unary(let f), 1):
                let a0 = args[0].eval
                let p0 = o.param(0)
                return Node(kinds: returns) { env throws(EvalError) in
                    try env.spend()
                    let a = try a0(&env)
                    guard p0.contains(a.kind) else { throw mismatch(name, [a]) }
                    return try f(a, &env)
                }
            case (.binary(let f), 2):
                let (a0, a1, p0, p1) = (args[0].eval, args[1].eval, o.param(0), o.param(1))
                return Node(kinds: returns) { env throws(EvalError) in
                    try env.spend()
                    let a = try a0(&env)
                    let b = try a1(&env)
                    guard p0.contains(a.kind), p1.contains(b.kind) else { throw mismatch(name, [a, b]) }
                    return try f(a, b, &env)
                }
            case (.fold(let f), 2):
                let (a0, a1, p) = (args[0].eval, args[1].eval, o.param(0))
                return Node(kinds: returns) { env throws(EvalError) in
                    try env.spend()
                    let a = try a0(&env)
                    let b = try a1(&env)
                    guard p.contains(a.kind), p.contains(b.kind) else { throw mismatch(name, [a, b]) }
                    return try f(a, b)
                }
            case (.pairwise(let f), 2):
                let (a0, a1, p) = (args[0].eval, args[1].eval, o.param(0))
                return Node(kinds: returns) { env throws(EvalError) in
                    try env.spend()
                    let a = try a0(&env)
                    let b = try a1(&env)
                    guard p.contains(a.kind), p.contains(b.kind) else { throw mismatch(name, [a, b]) }
                    return .bool(try f(a, b))
                }
            default:
                break
            }
        }
        return Node(kinds: returns) { env throws(EvalError) in
            try env.spend()
            var values: [Value] = []
            values.reserveCapacity(args.count)
            for node in args { values.append(try node.eval(&env)) }
            for o in candidates where values.indices.allSatisfy({ o.param($0).contains(values[$0].kind) }) {
                return try apply(o, values, &env)
            }
            throw mismatch(name, values)
        }
    }

    static func apply(_ o: Overload, _ v: [Value], _ env: inout Environment) throws(EvalError) -> Value {
        switch o.impl {
        case .nullary(let f): return try f(&env)
        case .unary(let f): return try f(v[0], &env)
        case .binary(let f): return try f(v[0], v[1], &env)
        case .fold(let f):
            var acc = v[0]
            for x in v.dropFirst() { acc = try f(acc, x) }
            return acc
        case .pairwise(let f):
            for x in v.dropFirst() where !(try f(v[0], x)) { return .bool(false) }
            return .bool(true)
        case .nary(let f): return try f(v, &env)
        case .special: throw EvalError("internal: special form applied eagerly")
        }
    }
}
