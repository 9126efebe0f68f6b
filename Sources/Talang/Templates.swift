import PerkJSON

/// Templates: `(setTemplate "name(Decimal, Decimal)Decimal" body)` defines, for the rest of the
/// evaluation, a function whose body reads its arguments with `(# i)`; `(! name args...)` calls it
/// with its arguments unevaluated, each evaluated where the body reads it.
struct Template {
    let params: [Kind]
    let returns: Kind
    let body: Thunk
}

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
                var args: [Thunk] = []
                for i in site.args.indices.dropFirst() { args.append(try site.compile(i).eval) }
                let thunks = args
                let key = name.lowercased()
                return Node(kinds: .any) { env throws(EvalError) in
                    guard let template = env.templates[key] else { throw EvalError("no template \(name)") }
                    guard template.params.count == thunks.count else {
                        throw EvalError(
                            "template \(name) takes \(template.params.count) arguments, not \(thunks.count)")
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
