import PerkJSON

/// Templates: `(setTemplate "name(Decimal, Decimal)Decimal" body)` defines, for the rest of the
/// evaluation, a function whose body reads its arguments with `(# i)`; `(! name args...)` calls it
/// with its arguments unevaluated, each evaluated where the body reads it.
struct Template {
    let params: [Kind]
    let returns: Kind
    let body: Thunk
}

/// Which templates the bodies of templates call, so that recursion (which would recurse in the
/// evaluator until the stack overflows) is refused when a rule is saved.
public struct TemplateGraph: Sendable {
    struct Call: Sendable {
        var callee: String
        var name: String
        var pointer: String
    }

    /// Lower-cased name → the name as written and where it is first defined.
    var definitions: [String: (name: String, pointer: String)] = [:]
    /// Lower-cased caller → the template calls in its body.
    var calls: [String: [Call]] = [:]

    public init() {}

    mutating func define(_ key: String, name: String, pointer: String) {
        if definitions[key] == nil { definitions[key] = (name, pointer) }
    }

    mutating func call(from caller: String, to callee: String, name: String, pointer: String) {
        calls[caller, default: []].append(Call(callee: callee, name: name, pointer: pointer))
    }

    /// Adds the templates of an expression evaluated together with these; its pointers are
    /// placed under `prefix`.
    public mutating func merge(_ other: TemplateGraph, under prefix: String) {
        for (key, d) in other.definitions { define(key, name: d.name, pointer: prefix + d.pointer) }
        for (caller, list) in other.calls {
            for c in list { call(from: caller, to: c.callee, name: c.name, pointer: prefix + c.pointer) }
        }
    }

    /// A template that calls itself, directly or through others: the error points at the call
    /// that closes the circle.
    public func cycle() -> CompileError? {
        enum Mark { case visiting, done }
        var marks: [String: Mark] = [:]
        var path: [String] = []
        // Iterative depth-first search: a ruleset may define many templates.
        for start in calls.keys.sorted() where marks[start] == nil {
            var stack: [(key: String, next: Int)] = [(start, 0)]
            marks[start] = .visiting
            path = [start]
            while let top = stack.last {
                let edges = calls[top.key] ?? []
                guard top.next < edges.count else {
                    marks[top.key] = .done
                    stack.removeLast()
                    path.removeLast()
                    continue
                }
                stack[stack.count - 1].next += 1
                let edge = edges[top.next]
                switch marks[edge.callee] {
                case .visiting?:
                    let circle = path[(path.firstIndex(of: edge.callee) ?? 0)...].map { definitions[$0]?.name ?? $0 }
                    let through = circle.count > 1 ? " (through \(circle.dropFirst().joined(separator: ", ")))" : ""
                    return CompileError(
                        "template \(edge.name) calls itself\(through): templates may not be recursive",
                        pointer: edge.pointer)
                case .done?: continue
                case nil:
                    marks[edge.callee] = .visiting
                    path.append(edge.callee)
                    stack.append((edge.callee, 0))
                }
            }
        }
        return nil
    }
}

/// How deeply template calls may nest at run time (a guard behind the refusal of recursion).
let maxTemplateDepth = 32

extension Builtins {
    static func registerTemplates(_ lib: inout FunctionLibrary) {
        lib.register(
            "setTemplate",
            .special([.string, .token], returns: .any) { site throws(CompileError) in
                guard case .string(let signature) = site.args[0],
                    let (name, params, returns) = parseSignature(signature)
                else {
                    throw CompileError(
                        "setTemplate: expected a signature like \"name(Decimal, String)Boolean\"",
                        pointer: site.argPointer(0))
                }
                let key = name.lowercased()
                site.state.templates.define(key, name: name, pointer: site.pointer)
                site.state.definingTemplates.append(key)
                defer { site.state.definingTemplates.removeLast() }
                let body = try site.compile(1).eval
                return Node(kinds: .null) { env throws(EvalError) in
                    env.templates[name.lowercased()] = Template(params: params, returns: returns, body: body)
                    return .null
                }
            })
        lib.register(
            "!",
            .special([.string, .any], variadic: true, returns: .any) { site throws(CompileError) in
                guard case .string(let name) = site.args[0] else {
                    throw CompileError("!: the template name must be a string", pointer: site.argPointer(0))
                }
                let key = name.lowercased()
                if let caller = site.state.definingTemplates.last {
                    site.state.templates.call(from: caller, to: key, name: name, pointer: site.pointer)
                }
                var args: [Thunk] = []
                for i in site.args.indices.dropFirst() { args.append(try site.compile(i).eval) }
                let thunks = args
                return Node(kinds: .any) { env throws(EvalError) in
                    try env.spend()
                    guard let template = env.templates[key] else { throw EvalError("no template \(name)") }
                    guard template.params.count == thunks.count else {
                        throw EvalError(
                            "template \(name) takes \(template.params.count) arguments, not \(thunks.count)")
                    }
                    guard env.templateFrames.count < maxTemplateDepth else {
                        throw EvalError("templates may call each other at most \(maxTemplateDepth) deep")
                    }
                    env.templateFrames.append((template.params, thunks))
                    defer { env.templateFrames.removeLast() }
                    let result = try template.body(&env)
                    guard template.returns.contains(result.kind) else {
                        throw EvalError("template \(name) returned \(result.kind), not \(template.returns)")
                    }
                    return result
                }
            })
        lib.register(
            "#",
            .special([.decimal], returns: .any) { site throws(CompileError) in
                guard case .number(let n) = site.args[0], let i = Int(n.text), i >= 0 else {
                    throw CompileError("#: expected an argument index", pointer: site.argPointer(0))
                }
                return Node(kinds: .any) { env throws(EvalError) in
                    guard let frame = env.templateFrames.last, i < frame.args.count else {
                        throw EvalError("#: no template argument \(i)")
                    }
                    // The argument belongs to the caller: evaluate it outside the current frame.
                    env.templateFrames.removeLast()
                    defer { env.templateFrames.append(frame) }
                    let value = try frame.args[i](&env)
                    guard frame.params[i].contains(value.kind) else {
                        throw EvalError("template argument \(i) must be \(frame.params[i]), not \(value.kind)")
                    }
                    return value
                }
            })
    }

    /// `name(Kind, Kind...)Kind`.
    static func parseSignature(_ s: String) -> (String, [Kind], Kind)? {
        guard let open = s.firstIndex(of: "("), let close = s.lastIndex(of: ")"), open < close else { return nil }
        let name = s[..<open].trimmingCharacters(in: " ")
        let paramText = s[s.index(after: open)..<close]
        let params = paramText.split(separator: ",").map { $0.trimmingCharacters(in: " ") }.filter { !$0.isEmpty }
        let kinds = params.compactMap(kind(named:))
        guard !name.isEmpty, kinds.count == params.count,
            let returns = kind(named: s[s.index(after: close)...].trimmingCharacters(in: " "))
        else { return nil }
        return (name, kinds, returns)
    }

    static func kind(named name: String) -> Kind? {
        switch name.lowercased() {
        case "decimal": .decimal
        case "string": .string
        case "boolean": .boolean
        case "time": .time
        case "null": .null
        case "list": .list
        case "map": .map
        case "atom": .atom
        case "collection": .collection
        case "any", "": .value
        default: nil
        }
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
