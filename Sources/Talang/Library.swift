/// The evaluation of a compiled node.
public typealias Thunk = @Sendable (inout Environment) throws(EvalError) -> Value

/// One signature of a function with its implementation.
public struct Overload: Sendable {
    public let params: [Kind]
    /// The last parameter repeats (`f(A, B...)` takes one or more arguments).
    public let variadic: Bool
    public let returns: Kind
    let impl: Impl

    enum Impl: Sendable {
        case nullary(@Sendable (inout Environment) throws(EvalError) -> Value)
        case unary(@Sendable (Value, inout Environment) throws(EvalError) -> Value)
        case binary(@Sendable (Value, Value, inout Environment) throws(EvalError) -> Value)
        /// Left fold over two or more arguments (`+`, `-`, ...).
        case fold(@Sendable (Value, Value) throws(EvalError) -> Value)
        /// The first argument against each later one, all must hold (`=`, `<`, ...).
        case pairwise(@Sendable (Value, Value) throws(EvalError) -> Bool)
        case nary(@Sendable ([Value], inout Environment) throws(EvalError) -> Value)
        /// Compiles its own arguments: lambdas, lazy fallbacks, paths.
        case special(@Sendable (CallSite) throws(CompileError) -> Node)
    }

    func accepts(count: Int) -> Bool {
        variadic ? count >= params.count - 1 : count == params.count
    }

    func param(_ i: Int) -> Kind { i < params.count ? params[i] : params[params.count - 1] }

    var isSpecial: Bool {
        if case .special = impl { return true }
        return false
    }

    // MARK: Constructors for host functions

    public static func nullary(returns: Kind, _ f: @escaping @Sendable (inout Environment) throws(EvalError) -> Value)
        -> Overload
    { Overload(params: [], variadic: false, returns: returns, impl: .nullary(f)) }

    public static func unary(
        _ a: Kind, returns: Kind, _ f: @escaping @Sendable (Value, inout Environment) throws(EvalError) -> Value
    ) -> Overload { Overload(params: [a], variadic: false, returns: returns, impl: .unary(f)) }

    public static func binary(
        _ a: Kind, _ b: Kind, returns: Kind,
        _ f: @escaping @Sendable (Value, Value, inout Environment) throws(EvalError) -> Value
    ) -> Overload { Overload(params: [a, b], variadic: false, returns: returns, impl: .binary(f)) }

    public static func nary(
        _ params: [Kind], variadic: Bool = false, returns: Kind,
        _ f: @escaping @Sendable ([Value], inout Environment) throws(EvalError) -> Value
    ) -> Overload { Overload(params: params, variadic: variadic, returns: returns, impl: .nary(f)) }

    static func fold(_ kind: Kind, _ f: @escaping @Sendable (Value, Value) throws(EvalError) -> Value) -> Overload {
        Overload(params: [kind, kind, kind], variadic: true, returns: kind, impl: .fold(f))
    }

    static func pairwise(_ kind: Kind, _ f: @escaping @Sendable (Value, Value) throws(EvalError) -> Bool) -> Overload {
        Overload(params: [kind, kind, kind], variadic: true, returns: .boolean, impl: .pairwise(f))
    }

    static func special(
        _ params: [Kind], variadic: Bool = false, returns: Kind,
        _ f: @escaping @Sendable (CallSite) throws(CompileError) -> Node
    ) -> Overload { Overload(params: params, variadic: variadic, returns: returns, impl: .special(f)) }
}

/// Functions by case-insensitive name, each with its overloads in resolution order.
public struct FunctionLibrary: Sendable {
    var table: [String: [Overload]] = [:]

    public init() {}

    /// Adds an overload; earlier registrations of the same name are tried first.
    public mutating func register(_ name: String, _ overload: Overload) {
        table[name.lowercased(), default: []].append(overload)
    }

    func overloads(_ name: String) -> [Overload]? { table[name.lowercased()] }

    /// The library of the language itself.
    public static let standard: FunctionLibrary = {
        var lib = FunctionLibrary()
        Builtins.registerCore(&lib)
        Builtins.registerComparison(&lib)
        Builtins.registerMath(&lib)
        Builtins.registerLists(&lib)
        Builtins.registerStrings(&lib)
        Builtins.registerMisc(&lib)
        Builtins.registerTime(&lib)
        Builtins.registerTemplates(&lib)
        return lib
    }()
}
