import Atomics
import PerkJSON

/// The language's own functions, grouped as talang groups them (see talang.md §9).
enum Builtins {
    // MARK: Helpers

    @inline(__always) static func decimal(_ v: Value) -> DecimalNumber {
        if case .decimal(let d) = v { return d }
        return .zero
    }

    @inline(__always) static func string(_ v: Value) -> String {
        if case .string(let s) = v { return s }
        return v.atomText ?? ""
    }

    @inline(__always) static func list(_ v: Value) -> [Value] {
        if case .list(let l) = v { return l }
        return []
    }

    static func arithmetic(
        _ f: @escaping @Sendable (DecimalNumber, DecimalNumber) throws(DecimalNumber.ArithmeticError) -> DecimalNumber
    ) -> @Sendable (Value, Value) throws(EvalError) -> Value {
        { a, b throws(EvalError) in
            do throws(DecimalNumber.ArithmeticError) {
                return .decimal(try f(decimal(a), decimal(b)))
            } catch {
                throw EvalError(error == .divisionByZero ? "division by zero" : "decimal overflow")
            }
        }
    }

    // MARK: Core: paths, variables, recovery

    static func registerCore(_ lib: inout FunctionLibrary) {
        lib.register(".", .special([.atom, .atom], variadic: true, returns: .value, path))

        lib.register(
            "set",
            .nary([.string, .value, .value], variadic: true, returns: .null) { args, env throws(EvalError) in
                let value = args[args.count - 1]
                let names = args.dropLast().map { $0.atomText ?? "" }
                if names.count == 1 {
                    env.bind(names[0], value)
                } else {
                    let existing = env.lookup(names[0]) ?? .map([:])
                    env.bind(names[0], setting(existing, path: names.dropFirst(), to: value))
                }
                return .null
            })

        lib.register(
            "catch",
            .special([.any, .any], returns: .any) { site throws(CompileError) in
                let fallback = try site.compile(0).eval
                let body = try site.compile(1)
                let bodyEval = body.eval
                return Node(kinds: body.kinds.union(.any)) { env throws(EvalError) in
                    let mark = env.scopeMark
                    do throws(EvalError) {
                        let v = try bodyEval(&env)
                        env.restore(mark)
                        return v
                    } catch {
                        env.restore(mark)
                        if error.isOutOfBudget { throw error }
                        return try fallback(&env)
                    }
                }
            })

        lib.register(
            ".|",
            .special([.any, .token], returns: .any) { site throws(CompileError) in
                let fallback = try site.compile(0)
                let body = try site.compile(1)
                let (fallbackEval, bodyEval) = (fallback.eval, body.eval)
                return Node(kinds: fallback.kinds.union(body.kinds)) { env throws(EvalError) in
                    let mark = env.scopeMark
                    let value: Value
                    do throws(EvalError) {
                        value = try bodyEval(&env)
                    } catch {
                        env.restore(mark)
                        if error.isOutOfBudget { throw error }
                        return try fallbackEval(&env)
                    }
                    env.restore(mark)
                    let alternative = try fallbackEval(&env)
                    guard alternative.kind == value.kind || alternative.kind == .null else {
                        throw EvalError(".|: expected \(alternative.kind), found \(value.kind)")
                    }
                    return value
                }
            })

        lib.register(
            "do",
            .special([.value, .string, .token], returns: .any) { site throws(CompileError) in
                try bindAndEvaluate(site, threeArgumentForm: true)
            })
        lib.register(
            "do",
            .special([.value, .token], returns: .any) { site throws(CompileError) in
                try bindAndEvaluate(site, threeArgumentForm: false)
            })
    }

    static func bindAndEvaluate(_ site: CallSite, threeArgumentForm: Bool) throws(CompileError) -> Node {
        let value = try site.compile(0).eval
        let (variable, body) = try site.lambda(at: 1, threeArgumentForm: threeArgumentForm)
        let bodyEval = body.eval
        return Node(kinds: body.kinds) { env throws(EvalError) in
            let v = try value(&env)
            let mark = env.scopeMark
            env.bind(variable, v)
            defer { env.restore(mark) }
            return try bodyEval(&env)
        }
    }

    static func setting(_ container: Value, path: ArraySlice<String>, to value: Value) -> Value {
        guard let key = path.first else { return value }
        var map: ValueMap
        if case .map(let m) = container { map = m } else { map = [:] }
        map[key] = setting(map[key] ?? .map([:]), path: path.dropFirst(), to: value)
        return .map(map)
    }

    /// `(. Root Key ...)`: reads a variable or context entry, then walks maps by key text.
    static func path(_ site: CallSite) throws(CompileError) -> Node {
        var segments: [Node] = []
        for i in site.args.indices { segments.append(try site.compile(i, expecting: .atom)) }
        let literalKeys = segments.compactMap { $0.literal?.atomText }
        if literalKeys.count == segments.count {
            let keys = literalKeys
            if keys.count == 2 {
                let (name, key) = (keys[0], keys[1])
                let hint = PathHint()
                return Node(kinds: .value) { env throws(EvalError) in
                    if let v = env.value(name, key, hint: hint.position) { return v }
                    guard case .missing(let i) = env.resolve(keys) else { throw missing(keys, upTo: 1) }
                    throw missing(keys, upTo: i)
                }
            }
            return Node(kinds: .value) { env throws(EvalError) in
                switch env.resolve(keys) {
                case .found(let v): return v
                case .missing(let i): throw missing(keys, upTo: i)
                }
            }
        }
        let nodes = segments
        return Node(kinds: .value) { env throws(EvalError) in
            var keys: [String] = []
            for node in nodes {
                let v = try node.eval(&env)
                guard let t = v.atomText, v.kind != .null else { throw EvalError(".: path segments must be atoms") }
                keys.append(t)
            }
            guard var current = env.lookup(keys[0]), current.kind != .null else { throw missing(keys, upTo: 0) }
            for i in keys.indices.dropFirst() {
                guard case .map(let m) = current else { return current }
                guard let next = m[keys[i]], next.kind != .null else { throw missing(keys, upTo: i) }
                current = next
            }
            return current
        }
    }

    static func missing(_ keys: [String], upTo i: Int) -> EvalError {
        EvalError("Unable to find `\(keys[0...i].joined(separator: "."))'")
    }

    // MARK: Comparison and boolean

    static func registerComparison(_ lib: inout FunctionLibrary) {
        let equals = Overload.pairwise(.atom) { a, b throws(EvalError) in atomsEqual(a, b) }
        lib.register(
            "=",
            .special([.atom, .atom, .atom], variadic: true, returns: .boolean) { site throws(CompileError) in
                var args: [Node] = []
                for i in site.args.indices { args.append(try site.compile(i)) }
                // The usual `(= (. Item Category) "shoes")`: compare with the literal directly.
                if args.count == 2, case .string(let literal)? = args[1].literal, args[0].kinds.contains(.string) {
                    let subject = args[0].eval
                    return Node(kinds: .boolean) { env throws(EvalError) in
                        try env.spend()
                        let v = try subject(&env)
                        switch v {
                        case .string(let s): return .bool(s == literal)
                        case .list, .map: throw CallBuilder.mismatch("=", [v, .string(literal)])
                        default: return .bool(atomsEqual(v, .string(literal)))
                        }
                    }
                }
                guard args.allSatisfy({ !$0.kinds.isDisjoint(with: .atom) }) else {
                    let kinds = args.map { $0.kinds.description }.joined(separator: ", ")
                    throw site.error("\(site.name) does not accept (\(kinds))")
                }
                return CallBuilder.build(name: site.name, candidates: [equals], args: args)
            })
        lib.register("!=", .pairwise(.atom) { a, b throws(EvalError) in !atomsEqual(a, b) })
        let orderings: [(String, @Sendable (Int) -> Bool)] = [
            (">", { $0 > 0 }), ("<", { $0 < 0 }), (">=", { $0 >= 0 }), ("<=", { $0 <= 0 }),
        ]
        for (name, holds) in orderings {
            lib.register(
                name,
                .pairwise(.decimal) { a, b throws(EvalError) in holds(DecimalNumber.compare(decimal(a), decimal(b))) })
            lib.register(
                name,
                .pairwise(.time) { a, b throws(EvalError) in
                    guard case .time(let x) = a, case .time(let y) = b else { return false }
                    return holds(x < y ? -1 : (x == y ? 0 : 1))
                })
        }
        lib.register(
            "between",
            .nary([.decimal, .decimal, .decimal, .decimal], variadic: true, returns: .boolean) {
                v, _ throws(EvalError) in
                let (lo, hi) = (decimal(v[v.count - 2]), decimal(v[v.count - 1]))
                return .bool(v.dropLast(2).allSatisfy { lo < decimal($0) && decimal($0) < hi })
            })
        lib.register(
            "between",
            .nary([.time, .time, .time, .time], variadic: true, returns: .boolean) { v, _ throws(EvalError) in
                guard case .time(let lo) = v[v.count - 2], case .time(let hi) = v[v.count - 1] else {
                    return .bool(false)
                }
                return .bool(
                    v.dropLast(2).allSatisfy {
                        guard case .time(let t) = $0 else { return false }
                        return lo < t && t < hi
                    })
            })
        // Every argument is evaluated (no short-circuit: an error anywhere fails the call); a
        // collection counts as true for `or` and is skipped by `and`; other atoms must be Booleans.
        lib.register(
            "or",
            .special([.value], variadic: true, returns: .boolean) { site throws(CompileError) in
                try connective(site, identity: false) { $0 || $1 }
            })
        lib.register(
            "and",
            .special([.value], variadic: true, returns: .boolean) { site throws(CompileError) in
                try connective(site, identity: true) { $0 && $1 }
            })
        lib.register(
            "not",
            .unary(.boolean, returns: .boolean) { a, _ throws(EvalError) in
                guard case .bool(let b) = a else { return .bool(false) }
                return .bool(!b)
            })
    }

    static func connective(_ site: CallSite, identity: Bool, _ combine: @escaping @Sendable (Bool, Bool) -> Bool)
        throws(CompileError) -> Node
    {
        // Nodes, not bare thunks: an array of closures holds them maximally abstracted, and every
        // call would go through a reabstraction thunk.
        var args: [Node] = []
        for i in site.args.indices { args.append(try site.compile(i, expecting: .value)) }
        let nodes = args
        let name = site.name
        return Node(kinds: .boolean) { env throws(EvalError) in
            try env.spend()
            var result = identity
            for node in nodes {
                switch try node.eval(&env) {
                case .bool(let b): result = combine(result, b)
                case .list, .map: if !identity { result = true }
                case let other: throw EvalError("\(name): \(other.kind) is not a Boolean")
                }
            }
            return .bool(result)
        }
    }

    /// Two decimals compare numerically (`1` equals `1.0`); other atoms compare by their text
    /// (`1` equals `"1"`). Collections cannot be compared.
    static func atomsEqual(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.decimal(let x), .decimal(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        default: return a.atomText == b.atomText
        }
    }

    // MARK: Math

    static func registerMath(_ lib: inout FunctionLibrary) {
        // +, - and * cannot fail (results round to 16 digits), so they skip `arithmetic`'s wrapper.
        lib.register("+", .fold(.decimal) { a, b throws(EvalError) in .decimal(decimal(a) + decimal(b)) })
        lib.register("-", .fold(.decimal) { a, b throws(EvalError) in .decimal(decimal(a) - decimal(b)) })
        lib.register("*", .fold(.decimal) { a, b throws(EvalError) in .decimal(decimal(a) * decimal(b)) })
        lib.register(
            "/", .fold(.decimal, arithmetic { a, b throws(DecimalNumber.ArithmeticError) in try a.divided(by: b) }))
        lib.register(
            "mod",
            .fold(.decimal, arithmetic { a, b throws(DecimalNumber.ArithmeticError) in try a.remainder(dividingBy: b) })
        )
        lib.register(
            "floor",
            .unary(.decimal, returns: .decimal) { a, _ throws(EvalError) in .decimal(decimal(a).integral(.down)) })
        lib.register(
            "ceil", .unary(.decimal, returns: .decimal) { a, _ throws(EvalError) in .decimal(decimal(a).integral(.up)) }
        )
        // Perk's own (later Talang has it): half to even, to an integer or to N decimal places
        // (-20 to 20; negative rounds to tens, hundreds...).
        lib.register(
            "round", .unary(.decimal, returns: .decimal) { a, _ throws(EvalError) in .decimal(decimal(a).rounded(toPlaces: 0)) })
        lib.register(
            "round",
            .binary(.decimal, .decimal, returns: .decimal) { a, places, _ throws(EvalError) in
                guard let n = decimal(places).exactInt, (-20...20).contains(n) else {
                    throw EvalError("round: the places must be a whole number from -20 to 20")
                }
                return .decimal(decimal(a).rounded(toPlaces: n))
            })
    }

    // MARK: Lists

    static func registerLists(_ lib: inout FunctionLibrary) {
        lib.register(
            "list", .nary([.atom], variadic: true, returns: .list) { args, _ throws(EvalError) in .list(args) })
        lib.register("head", .unary(.list, returns: .any) { a, _ throws(EvalError) in list(a).first ?? .null })
        lib.register(
            "tail",
            .unary(.list, returns: .list) { a, env throws(EvalError) in
                try built(list: Array(list(a).dropFirst()), "tail", &env)
            })
        lib.register(
            "drop",
            .unary(.list, returns: .list) { a, env throws(EvalError) in
                try built(list: Array(list(a).dropLast()), "drop", &env)
            })
        // Perk's own: the first N items (all when there are fewer), for "the N cheapest" and the like.
        lib.register(
            "take",
            .binary(.list, .decimal, returns: .list) { a, n, env throws(EvalError) in
                guard let k = decimal(n).truncatedInt, k >= 0 else {
                    throw EvalError("take: the count must be a number from 0 up")
                }
                return try built(list: Array(list(a).prefix(k)), "take", &env)
            })
        lib.register(
            "item",
            .binary(.list, .decimal, returns: .value) { a, i, _ throws(EvalError) in
                let l = list(a)
                guard let n = decimal(i).truncatedInt, l.indices.contains(n) else {
                    throw EvalError("item: index \(decimal(i)) out of range")
                }
                return l[n]
            })
        for name in ["push", "append"] {
            lib.register(
                name,
                .nary([.list, .value, .value], variadic: true, returns: .list) { args, env throws(EvalError) in
                    let base = list(args[0])
                    try checkLength(base.count + args.count - 1, name)
                    return try built(list: base + args.dropFirst(), name, &env)
                })
        }
        lib.register(
            "count",
            .unary(.list, returns: .decimal) { a, _ throws(EvalError) in .decimal(DecimalNumber(list(a).count)) })
        lib.register(
            "reverse",
            .unary(.list, returns: .list) { a, env throws(EvalError) in
                try built(list: list(a).reversed(), "reverse", &env)
            })
        lib.register("isEmpty", .unary(.list, returns: .boolean) { a, _ throws(EvalError) in .bool(list(a).isEmpty) })
        lib.register(
            "sort",
            .nary([.list, .boolean], variadic: true, returns: .list) { args, env throws(EvalError) in
                let descending = args.count > 1 && args[1] == .bool(true)
                let items = list(args[0])
                try env.spend(sortingCost(items.count))
                let sorted = items.sorted {
                    Array(($0.atomText ?? "").utf8).lexicographicallyPrecedes(Array(($1.atomText ?? "").utf8))
                }
                return .list(descending ? sorted.reversed() : sorted)
            })
        for (name, pickMax) in [("min", false), ("max", true)] {
            lib.register(
                name,
                .unary(.list, returns: .decimal) { a, env throws(EvalError) in
                    let items = list(a)
                    try env.spend(items.count / ValueLimits.itemsPerStep)
                    let numbers = items.compactMap { v -> DecimalNumber? in
                        if case .decimal(let d) = v { return d }
                        return nil
                    }
                    guard let r = pickMax ? numbers.max() : numbers.min() else {
                        throw EvalError("\(name): no numbers in list")
                    }
                    return .decimal(r)
                })
        }
        lib.register(
            "join",
            .binary(.list, .string, returns: .string) { a, sep, env throws(EvalError) in
                let l = list(a)
                guard let first = l.first, case .string = first else {
                    throw EvalError("join: the first item must be a String")
                }
                let separator = string(sep)
                // Sized before it is built: a long list of long strings must not be joined first.
                var bytes = separator.utf8.count * (l.count - 1)
                for item in l { bytes += item.atomText?.utf8.count ?? 0 }
                guard bytes <= ValueLimits.maxStringBytes else {
                    throw EvalError("join: the result would be longer than \(ValueLimits.maxStringBytes) bytes")
                }
                return try built(l.map { $0.atomText ?? "" }.joined(separator: separator), "join", &env)
            })
        lib.register(
            "split",
            .binary(.string, .string, returns: .list) { s, sep, env throws(EvalError) in
                let text = string(s)
                try scan(text, &env)
                guard let parts = splitGo(text, string(sep), limit: ValueLimits.maxListCount) else {
                    throw EvalError("split: the result would hold more than \(ValueLimits.maxListCount) items")
                }
                return try built(list: parts.map(Value.string), "split", &env)
            })

        for threeArgumentForm in [true, false] {
            let params: [Kind] = threeArgumentForm ? [.list, .string, .token] : [.list, .token]
            lib.register(
                "exists",
                .special(params, returns: .boolean) { site throws(CompileError) in
                    try lambdaOverList(site, threeArgumentForm) { items, body, env throws(EvalError) in
                        for i in items.indices {
                            guard case .bool(let b) = try body(i, &env) else {
                                throw EvalError("exists: the predicate must be a Boolean")
                            }
                            if b { return .bool(true) }
                        }
                        return .bool(false)
                    }
                })
            lib.register(
                "every",
                .special(params, returns: .boolean) { site throws(CompileError) in
                    try lambdaOverList(site, threeArgumentForm) { items, body, env throws(EvalError) in
                        for i in items.indices {
                            guard case .bool(true) = try body(i, &env) else { return .bool(false) }
                        }
                        return .bool(true)
                    }
                })
            lib.register(
                "map",
                .special(params, returns: .list) { site throws(CompileError) in
                    try lambdaOverList(site, threeArgumentForm) { items, body, env throws(EvalError) in
                        var out: [Value] = []
                        out.reserveCapacity(items.count)
                        for i in items.indices { out.append(try body(i, &env)) }
                        return .list(out)
                    }
                })
        }
        lib.register(
            "sum",
            .special([.list, .string, .token], returns: .decimal) { site throws(CompileError) in
                try lambdaOverList(site, true) { items, body, env throws(EvalError) in
                    var total = DecimalNumber.zero
                    for i in items.indices {
                        guard case .decimal(let d) = try body(i, &env) else {
                            throw EvalError("sum: the body must be a Decimal")
                        }
                        total = total + d
                    }
                    return .decimal(total)
                }
            })
        lib.register(
            "filter",
            .special([.list, .token], returns: .list) { site throws(CompileError) in
                try lambdaOverList(site, false) { items, body, env throws(EvalError) in
                    var out: [Value] = []
                    for i in items.indices {
                        guard case .bool(let keep) = try body(i, &env) else {
                            throw EvalError("filter: the predicate must be a Boolean")
                        }
                        if keep { out.append(items[i]) }
                    }
                    return .list(out)
                }
            })
        for (name, numeric) in [("sortByNumber", true), ("sortByString", false)] {
            lib.register(
                name,
                .special([.list, .token, .boolean], returns: .list) { site throws(CompileError) in
                    let listEval = try site.compile(0, expecting: .list).eval
                    let (variable, body) = try site.lambda(at: 1, threeArgumentForm: false)
                    let (keyEval, descendingEval) = (body.eval, try site.compile(2, expecting: .boolean).eval)
                    return Node(kinds: .list) { env throws(EvalError) in
                        guard case .list(let items) = try listEval(&env) else {
                            throw EvalError("\(name): expected a List")
                        }
                        var keyed: [(key: Value, item: Value)] = []
                        let mark = env.scopeMark
                        for item in items {
                            try env.spend()
                            env.bind(variable, item)
                            let key = try keyEval(&env)
                            env.restore(mark)
                            guard key.kind == (numeric ? .decimal : .string) else {
                                throw EvalError("\(name): the key must be a \(numeric ? "Decimal" : "String")")
                            }
                            keyed.append((key, item))
                        }
                        guard case .bool(let descending) = try descendingEval(&env) else {
                            throw EvalError("\(name): expected a Boolean")
                        }
                        try env.spend(sortingCost(keyed.count))
                        let less: (Value, Value) -> Bool =
                            numeric ? { decimal($0) < decimal($1) } : { string($0) < string($1) }
                        // Stable: ties keep their input order in both directions.
                        let sorted = keyed.enumerated().sorted { x, y in
                            let (a, b) = descending ? (y.element.key, x.element.key) : (x.element.key, y.element.key)
                            if less(a, b) { return true }
                            if less(b, a) { return false }
                            return x.offset < y.offset
                        }
                        return .list(sorted.map(\.element.item))
                    }
                })
        }
    }

    /// Compiles `f(list, Var, body)` or `f(list, [[Var], body])` and runs `run` with a body
    /// evaluator that binds each item in a fresh child scope.
    /// The body of a list lambda, called with each item's position in turn.
    struct LambdaBody {
        let slot: Int
        let items: UnsafePointer<Value>
        let eval: Thunk

        @inline(__always) func callAsFunction(_ i: Int, _ env: inout Environment) throws(EvalError) -> Value {
            try env.spend()
            env.select(slot, item: items + i)
            return try eval(&env)
        }
    }

    static func lambdaOverList(
        _ site: CallSite, _ threeArgumentForm: Bool,
        _ run: @escaping @Sendable ([Value], LambdaBody, inout Environment) throws(EvalError) -> Value
    ) throws(CompileError) -> Node {
        let listEval = try site.compile(0, expecting: .list).eval
        let (variable, body) = try site.lambda(at: 1, threeArgumentForm: threeArgumentForm)
        let bodyEval = body.eval
        let name = site.name
        return Node(kinds: .value) { env throws(EvalError) in
            guard case .list(let items) = try listEval(&env) else { throw EvalError("\(name): expected a List") }
            // One slot for the variable, pointed at each item in turn (`items` stays alive and
            // unchanged until the slot is restored); anything the body binds is dropped.
            let slot = env.bindItem(variable)
            defer { env.restore(slot) }
            return try items.withUnsafeBufferPointer { buffer throws(EvalError) in
                guard let base = buffer.baseAddress else {
                    return try run(
                        items, LambdaBody(slot: slot, items: UnsafePointer(bitPattern: 1)!, eval: bodyEval), &env)
                }
                return try run(items, LambdaBody(slot: slot, items: base, eval: bodyEval), &env)
            }
        }
    }

    /// Go's `strings.Split`: an empty separator splits into UTF-8 characters. Nil when there
    /// would be more than `limit` parts (found before they are all made).
    static func splitGo(_ s: String, _ sep: String, limit: Int = .max) -> [String]? {
        var parts: [String] = []
        if sep.isEmpty {
            for c in s {
                guard parts.count < limit else { return nil }
                parts.append(String(c))
            }
            return parts
        }
        var rest = Substring(s)
        while let r = rest.firstRange(of: sep) {
            guard parts.count < limit else { return nil }
            parts.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        guard parts.count < limit else { return nil }
        parts.append(String(rest))
        return parts
    }

    // MARK: Strings

    static func registerStrings(_ lib: inout FunctionLibrary) {
        let concat = Overload.nary([.string, .string, .string], variadic: true, returns: .string) {
            args, env throws(EvalError) in
            var bytes = 0
            for a in args { bytes += string(a).utf8.count }
            guard bytes <= ValueLimits.maxStringBytes else {
                throw EvalError("+: the result would be longer than \(ValueLimits.maxStringBytes) bytes")
            }
            var out = ""
            out.reserveCapacity(bytes)
            for a in args { out += string(a) }
            return try built(out, "+", &env)
        }
        lib.register("+", concat)
        lib.register("concat", concat)
        let searches: [(String, @Sendable (String, String) -> Bool)] = [
            ("contains", { $0.contains($1) }), ("notContains", { !$0.contains($1) }),
            ("startsWith", { $0.hasPrefix($1) }), ("endsWith", { $0.hasSuffix($1) }),
        ]
        for (name, holds) in searches {
            lib.register(
                name,
                .nary([.string, .string, .string], variadic: true, returns: .boolean) { args, env throws(EvalError) in
                    let subject = string(args[0])
                    for a in args.dropFirst() {
                        try scan(subject, &env)
                        if !holds(subject, string(a)) { return .bool(false) }
                    }
                    return .bool(true)
                })
        }
        lib.register("~", .special([.string, .string, .string], variadic: true, returns: .boolean, regexMatch))
        for (name, first) in [("lastName", false), ("firstName", true)] {
            lib.register(
                name,
                .unary(.string, returns: .string) { a, env throws(EvalError) in
                    let text = string(a)
                    try scan(text, &env)
                    let words = text.split(separator: " ")
                    return .string((first ? words.first : words.last).map(String.init) ?? "")
                })
        }
    }

    /// `(~ pattern text...)`: every text contains a match of the RE2 pattern. A literal pattern
    /// is compiled once, with the rule (a bad one is refused there); matching takes time linear
    /// in the text and is charged to the budget.
    static func regexMatch(_ site: CallSite) throws(CompileError) -> Node {
        var args: [Node] = []
        for i in site.args.indices { args.append(try site.compile(i, expecting: .string)) }
        var fixed: LinearRegex?
        if case .string(let pattern)? = args[0].literal {
            do throws(RegexSyntaxError) {
                fixed = try LinearRegex(pattern)
            } catch {
                throw CompileError("~: invalid regular expression: \(error.message)", pointer: site.argPointer(0))
            }
        }
        let compiled = fixed
        let nodes = args
        return Node(kinds: .boolean) { env throws(EvalError) in
            try env.spend()
            var values: [Value] = []
            for node in nodes { values.append(try node.eval(&env)) }
            guard values.allSatisfy({ $0.kind == .string }) else { throw CallBuilder.mismatch("~", values) }
            let regex: LinearRegex
            if let compiled {
                regex = compiled
            } else {
                let pattern = string(values[0])
                try scan(pattern, &env)
                do throws(RegexSyntaxError) {
                    regex = try LinearRegex(pattern)
                } catch {
                    throw EvalError("~: invalid regular expression: \(error.message)")
                }
            }
            for text in values.dropFirst() where !(try matches(regex, string(text), &env)) { return .bool(false) }
            return .bool(true)
        }
    }

    /// Units of the matcher's work per evaluation step (a matcher step is much cheaper).
    static let regexUnitsPerStep = 8

    static func matches(_ regex: LinearRegex, _ text: String, _ env: inout Environment) throws(EvalError) -> Bool {
        let available = env.stepsLeft
        let allowed = available > Int.max / regexUnitsPerStep ? Int.max : available * regexUnitsPerStep
        var fuel = allowed
        let found: Bool
        do throws(RegexOutOfFuel) {
            found = try regex.matches(text, fuel: &fuel)
        } catch {
            try env.spend(available + 1)
            return false
        }
        try env.spend((allowed - fuel) / regexUnitsPerStep)
        return found
    }

    // MARK: Misc

    static func registerMisc(_ lib: inout FunctionLibrary) {
        lib.register("noop", .nullary(returns: .any) { _ throws(EvalError) in .null })
        lib.register(
            "toString",
            .unary([.decimal, .string, .boolean, .time], returns: .string) { a, _ throws(EvalError) in
                .string(a.atomText ?? "")
            })
        lib.register(
            "kv",
            .special([.token], variadic: true, returns: .map) { site throws(CompileError) in
                var entries: [(String, Node)] = []
                for (i, pair) in site.args.enumerated() {
                    guard case .array(let kv) = pair, kv.count == 2, case .string(let key) = kv[0] else {
                        throw CompileError("kv: expected [key, value]", pointer: site.argPointer(i))
                    }
                    let value = try site.compiler.node(
                        kv[1], pointer: JSONPointer.append(site.argPointer(i), 1), state: site.state)
                    entries.append((key, value))
                }
                let pairs = entries
                return Node(kinds: .map) { env throws(EvalError) in
                    var m = ValueMap(minimumCapacity: pairs.count)
                    for (k, node) in pairs { m[k] = try node.eval(&env) }
                    return .map(m)
                }
            })
    }
}

/// Where a two-segment path last found its key, shared by every evaluation of the node (so
/// atomic, relaxed: it is only a guess, checked before use; a stale one costs a scan).
final class PathHint: Sendable {
    let position = UnsafeAtomic<Int>.create(0)
    deinit { position.destroy() }
}
