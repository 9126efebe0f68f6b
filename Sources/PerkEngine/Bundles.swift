import PerkJSON
import Talang

/// Product bundles in rules: `["bundles", items1, n1, items2, n2, ...]` (one to four kinds of
/// item) lists the complete bundles a cart holds, and
/// `["showBundleMetadata", description, attributes, positions]` tells the shop which items one
/// bundle is made of (2020's effect).
///
/// A bundle takes n of each list's items, in the order given, and an item goes into one bundle
/// only (it is known by its `Position` and `SubPosition`). Each bundle is the list of its items, so that a rule can count bundles
/// (`count`), discount per bundle (`map` ... `setDiscount`), or discount the bundled items. With
/// cart item flattening each unit is an item; without it a line counts once, whatever its quantity.
extension PromotionLibrary {
    /// Most bundles one call makes.
    static let maxBundles = 1_000

    static func registerBundles(_ lib: inout FunctionLibrary) {
        for kinds in 1...4 {
            lib.register(
                "bundles",
                .nary(Array(repeating: [Kind.list, .decimal], count: kinds).flatMap { $0 }, returns: .list) {
                    args, env throws(EvalError) in
                    .list(try bundles(args, &env).map { .list($0) })
                })
        }
        lib.register(
            "showBundleMetadata",
            .nary([.string, .list, .list], returns: .null) { args, env throws(EvalError) in
                guard case .list(let attributes) = args[1], case .list(let positions) = args[2] else { return .null }
                var names: [JSON] = []
                for a in attributes {
                    guard case .string(let s) = a else {
                        throw EvalError("showBundleMetadata: the bundle attributes must be strings")
                    }
                    names.append(.string(s))
                }
                var indices: [JSON] = []
                for p in positions {
                    guard case .decimal(let d) = p else {
                        throw EvalError("showBundleMetadata: the item indices must be numbers")
                    }
                    indices.append(d.json)
                }
                emit(
                    env, "showBundleMetadata",
                    [("description", args[0].json), ("bundleAttributes", .array(names)), ("itemsIndices", .array(indices))])
                return .null
            })
    }

    struct ItemKey: Hashable {
        let position: DecimalNumber
        let subPosition: DecimalNumber?
    }

    static func bundles(_ args: [Value], _ env: inout Environment) throws(EvalError) -> [[Value]] {
        var parts: [(items: [(key: ItemKey, item: Value)], count: Int)] = []
        for i in stride(from: 0, to: args.count - 1, by: 2) {
            guard case .list(let items) = args[i], case .decimal(let n) = args[i + 1], let count = n.exactInt,
                count >= 1
            else { throw EvalError("bundles: each kind of item needs a list of cart items and a count from 1 up") }
            var keyed: [(key: ItemKey, item: Value)] = []
            for item in items {
                guard case .map(let m) = item, case .decimal(let p)? = m["Position"] else {
                    throw EvalError("bundles: the items must be cart items")
                }
                var sub: DecimalNumber?
                if case .decimal(let s)? = m["SubPosition"] { sub = s }
                keyed.append((ItemKey(position: p, subPosition: sub), item))
            }
            try env.spend(items.count / 8)
            parts.append((keyed, count))
        }
        var used: Set<ItemKey> = []
        var cursors = [Int](repeating: 0, count: parts.count)
        var out: [[Value]] = []
        while out.count < maxBundles {
            var taken: [ItemKey] = []
            var bundle: [Value] = []
            var complete = true
            var next = cursors
            for (j, part) in parts.enumerated() {
                var got = 0
                while got < part.count, next[j] < part.items.count {
                    let candidate = part.items[next[j]]
                    next[j] += 1
                    guard !used.contains(candidate.key), !taken.contains(candidate.key) else { continue }
                    taken.append(candidate.key)
                    bundle.append(candidate.item)
                    got += 1
                }
                if got < part.count {
                    complete = false
                    break
                }
            }
            guard complete else { break }
            try env.spend(1 + bundle.count / 8)
            used.formUnion(taken)
            cursors = next
            out.append(bundle)
        }
        return out
    }
}
