/// How big a value that a rule builds may grow, and what building or scanning one costs in
/// evaluation steps: without these, a short rule doubling a string in a loop, or splitting a
/// long one, could take the memory and time of the whole server.
public enum ValueLimits {
    /// UTF-8 bytes of a string a function returns.
    public static let maxStringBytes = 100_000
    /// Items of a list a function returns.
    public static let maxListCount = 100_000
    /// Bytes of a string read or written per evaluation step.
    static let bytesPerStep = 64
    /// List items copied per evaluation step.
    static let itemsPerStep = 8
}

extension Builtins {
    /// Charges the work of reading `s` once.
    @inline(__always) static func scan(_ s: String, _ env: inout Environment) throws(EvalError) {
        try env.spend(s.utf8.count / ValueLimits.bytesPerStep)
    }

    /// A string a function built, charged by its size; an error past the limit.
    static func built(_ s: String, _ name: String, _ env: inout Environment) throws(EvalError) -> Value {
        let bytes = s.utf8.count
        guard bytes <= ValueLimits.maxStringBytes else {
            throw EvalError("\(name): the result would be longer than \(ValueLimits.maxStringBytes) bytes")
        }
        try env.spend(bytes / ValueLimits.bytesPerStep)
        return .string(s)
    }

    /// A list a function built, charged by its length; an error past the limit.
    static func built(list: [Value], _ name: String, _ env: inout Environment) throws(EvalError) -> Value {
        try checkLength(list.count, name)
        try env.spend(list.count / ValueLimits.itemsPerStep)
        return .list(list)
    }

    static func checkLength(_ count: Int, _ name: String) throws(EvalError) {
        guard count <= ValueLimits.maxListCount else {
            throw EvalError("\(name): the result would hold more than \(ValueLimits.maxListCount) items")
        }
    }

    /// Steps to sort `n` items: n·log₂(n) comparisons.
    static func sortingCost(_ n: Int) -> Int {
        guard n > 1 else { return 0 }
        return n * (Int.bitWidth - n.leadingZeroBitCount)
    }
}
