import PerkJSON
import Talang

/// The per-evaluation state the promotion functions read and write: what the campaign run can
/// see of the session's codes, and the effects the rule being evaluated has emitted so far.
final class PromotionHost: EvaluationHost {
    struct Emitted {
        var type: String
        var props: JSONObject
        var creation: Creation? = nil
        var webhook: WebhookRequest? = nil
    }

    var couponValid = false
    /// The session's referral code, when it is valid for the campaign being run.
    var referral: Referral?
    /// The session's profile; empty for an anonymous session.
    var profileId = ""
    var campaign: Campaign?
    var ruleIndex = 0
    var emitted: [Emitted] = []
    /// When the evaluation happens, in the application's time zone (`now`).
    var now = TimeValue(seconds: 0)
    /// Creations the current rule asked for so far; numbers them for `Creation.key`.
    var creations = 0
    /// What the item and cost discounts check their targets against.
    var cart = CartFacts()
    var applicationId: Int64 = 0
    /// The title of the rule being evaluated (the default name of the points it adds).
    var ruleTitle = ""
    /// The programs and balances the loyalty functions read.
    var loyalty = LoyaltyFacts()
    /// Points the evaluation deducted so far, by ledger (the balances it sees are lowered by them).
    var deducted: [LedgerKey: DecimalNumber] = [:]
    /// Set by a deduction the profile's balance cannot pay: the rule does not fire.
    var unaffordable = false
    /// The webhooks rules of the application may trigger, by id.
    var webhooks: [Int64: Webhook] = [:]

    func creationKey() -> String {
        defer { creations += 1 }
        return "\(campaign?.id ?? 0)/\(ruleIndex)/\(creations)"
    }
}

/// The cart as the promotion functions check it, read once per evaluation.
struct CartFacts: Sendable {
    /// The quantity of each cart line, for checking the positions rules discount.
    var quantities: [Int] = []
    /// The session's additional costs by name.
    var costNames: Set<String> = []
    /// Decimal places of the application's currency (2, or 0 for currencies without minor units).
    var currencyPlaces = 2

    init() {}

    init(_ request: EvaluationRequest) {
        quantities = request.session.cartItems.map { Int($0.quantity) }
        costNames = Set(request.session.additionalCosts.map(\.name))
        currencyPlaces = Currency.places(request.application.currency)
    }
}

/// The rule language plus the promotion functions: conditions that read the session's codes and
/// effects that a rule emits (also from inside list lambdas, so one rule can act per cart item).
public enum PromotionLibrary {
    public static let library: FunctionLibrary = {
        var lib = FunctionLibrary.standard
        lib.register(
            "couponValid",
            .nullary(returns: .boolean) { env throws(EvalError) in
                .bool(host(env).couponValid)
            })
        // Perk's own: the time of the evaluation, in the application's time zone, for date and
        // weekday windows (`weekday(now())`, `before(now(), …)`).
        lib.register("now", .nullary(returns: .time) { env throws(EvalError) in .time(host(env).now) })
        lib.register(
            "referralValid",
            .nullary(returns: .boolean) { env throws(EvalError) in
                .bool(host(env).referral != nil)
            })
        lib.register(
            "setDiscount",
            .binary(.string, .decimal, returns: .null) { name, value, env throws(EvalError) in
                let amount = try nonNegative(value, "setDiscount")
                emit(env, "setDiscount", [("name", name.json), ("value", amount.json)])
                return .null
            })
        for params: [Kind] in [[.string, .decimal, .decimal], [.string, .decimal, .decimal, .decimal]] {
            // The line at `position`, or with `subPosition` one unit of it.
            lib.register(
                "setDiscountPerItem",
                .nary(params, returns: .null) { args, env throws(EvalError) in
                    let amount = try nonNegative(args[1], "setDiscountPerItem")
                    let (p, s) = try position(args[2], args.count > 3 ? args[3] : nil, env, "setDiscountPerItem")
                    var props: [(String, JSON)] = [
                        ("name", .string((args[0].atomText ?? "") + "#" + String(p))), ("value", amount.json),
                        ("position", .number(Int64(p))),
                    ]
                    if let s { props.append(("subPosition", .number(Int64(s)))) }
                    emit(env, "setDiscountPerItem", props)
                    return .null
                })
        }
        // A discount of one of the session's additional costs (shipping...), by its name.
        lib.register(
            "setDiscountPerAdditionalCost",
            .nary([.string, .string, .decimal], returns: .null) { args, env throws(EvalError) in
                let cost = args[1].atomText ?? ""
                guard host(env).cart.costNames.contains(cost) else {
                    throw EvalError("setDiscountPerAdditionalCost: the session has no additional cost \"\(cost)\"")
                }
                let amount = try nonNegative(args[2], "setDiscountPerAdditionalCost")
                emit(
                    env, "setDiscountPerAdditionalCost",
                    [
                        ("name", args[0].json), ("additionalCostId", .number(0)), ("additionalCost", .string(cost)),
                        ("value", amount.json),
                    ])
                return .null
            })
        // Perk's own: an amount spread over cart items in proportion to their price times quantity,
        // in the currency's smallest unit; the shares add up to the amount exactly, the leftover
        // units going to the largest remainders (ties: the earlier item).
        lib.register(
            "spreadDiscount",
            .nary([.string, .decimal, .list], returns: .null) { args, env throws(EvalError) in
                try spread(args, env)
                return .null
            })
        lib.register(
            "addFreeItem",
            .binary(.string, .string, returns: .null) { sku, name, env throws(EvalError) in
                emit(env, "addFreeItem", [("sku", sku.json), ("name", name.json)])
                return .null
            })
        lib.register(
            "showNotification",
            .nary([.string, .string, .string], returns: .null) { args, env throws(EvalError) in
                emit(
                    env, "showNotification",
                    [("notificationType", args[0].json), ("title", args[1].json), ("body", args[2].json)])
                return .null
            })
        lib.register(
            "updateAttribute",
            .binary(.string, .value, returns: .null) { path, value, env throws(EvalError) in
                let target = try AttributePath(parsing: path.atomText ?? "")
                if target.entity == .profile && host(env).profileId.isEmpty {
                    throw EvalError("updateAttribute: an anonymous session has no profile attributes")
                }
                emit(env, "updateAttribute", [("path", .string(target.text)), ("value", value.json)])
                return .null
            })
        lib.register(
            "redeemReferral",
            .nullary(returns: .null) { env throws(EvalError) in
                guard let referral = host(env).referral else {
                    throw EvalError("redeemReferral: the session has no valid referral code for this campaign")
                }
                emit(env, "redeemReferral", [("id", .number(referral.id)), ("value", .string(referral.code))])
                return .null
            })
        for params: [Kind] in [[], [.string]] {
            lib.register(
                "createCoupon",
                .nary(params, returns: .null) { args, env throws(EvalError) in
                    let h = host(env)
                    let recipient = args.first?.atomText ?? h.profileId
                    let creation = Creation(
                        kind: .coupon(profileId: recipient), settings: h.campaign?.couponSettings, key: h.creationKey())
                    emit(
                        env, "couponCreated", [("value", .string("")), ("profileId", .string(recipient))],
                        creation: creation)
                    return .null
                })
            lib.register(
                "createReferral",
                .nary(params, returns: .null) { args, env throws(EvalError) in
                    let h = host(env)
                    guard !h.profileId.isEmpty else {
                        throw EvalError("createReferral: an anonymous session has no profile to be the advocate")
                    }
                    let creation = Creation(
                        kind: .referral(advocateId: h.profileId, friendId: args.first?.atomText ?? ""),
                        settings: h.campaign?.referralSettings, key: h.creationKey())
                    emit(env, "referralCreated", [("value", .string(""))], creation: creation)
                    return .null
                })
        }
        registerBundles(&lib)
        registerLoyalty(&lib)
        registerWebhooks(&lib)
        return lib
    }()

    public static let compiler = Compiler(library: library)

    static func host(_ env: Environment) -> PromotionHost {
        // Expressions of this library are only ever evaluated by the engine, with its host.
        (env.host as? PromotionHost) ?? PromotionHost()
    }

    static func emit(
        _ env: Environment, _ type: String, _ props: [(String, JSON)], creation: Creation? = nil,
        webhook: WebhookRequest? = nil
    ) {
        guard let host = env.host as? PromotionHost else { return }
        var o = JSONObject()
        for (k, v) in props { o.appendUnique(k, v) }
        host.emitted.append(.init(type: type, props: o, creation: creation, webhook: webhook))
    }

    /// A cart position (and unit) a rule names, checked against the session's cart.
    static func position(_ position: Value, _ sub: Value?, _ env: Environment, _ name: String) throws(EvalError)
        -> (Int, Int?)
    {
        let quantities = host(env).cart.quantities
        guard case .decimal(let d) = position, let p = d.exactInt, quantities.indices.contains(p) else {
            throw EvalError("\(name): the position must be the position of a cart item")
        }
        guard let sub else { return (p, nil) }
        guard case .decimal(let sd) = sub, let s = sd.exactInt, s >= 0, s < quantities[p] else {
            throw EvalError("\(name): the sub-position must be a unit of the cart item at position \(p)")
        }
        return (p, s)
    }

    /// `spreadDiscount(name, amount, items)`: see its registration.
    static func spread(_ args: [Value], _ env: Environment) throws(EvalError) {
        let places = host(env).cart.currencyPlaces
        let total = try nonNegative(args[1], "spreadDiscount").rounded(toPlaces: places)
        guard case .list(let items) = args[2] else { return }
        var parts: [(position: Int, sub: Int?, weight: DecimalNumber)] = []
        for item in items {
            guard case .map(let m) = item, let pv = m["Position"], case .decimal(let price)? = m["Price"],
                case .decimal(let quantity)? = m["Quantity"]
            else { throw EvalError("spreadDiscount: the items must be cart items") }
            let (p, s) = try position(pv, m["SubPosition"], env, "spreadDiscount")
            parts.append((p, s, price * quantity))
        }
        let weights = parts.reduce(DecimalNumber.zero) { $0 + $1.weight }
        guard !total.isZero, !parts.isEmpty, !weights.isZero, !weights.isNegative else { return }
        let amount = min(total, weights)
        // Floor of each exact share, in the smallest unit, then the leftover units one by one.
        var shares: [DecimalNumber] = []
        var remainders: [(index: Int, rest: DecimalNumber)] = []
        for (i, part) in parts.enumerated() {
            let exact: DecimalNumber
            do { exact = try (amount * part.weight).divided(by: weights) } catch { exact = .zero }
            let floor = exact.rounded(toPlaces: places, rounding: .towardZero)
            shares.append(floor)
            remainders.append((i, exact - floor))
        }
        let unit = DecimalNumber(coefficient: 1, exponent: -places, isNegative: false)
        var left = amount - shares.reduce(DecimalNumber.zero, +)
        for r in remainders.sorted(by: { $0.rest > $1.rest || ($0.rest == $1.rest && $0.index < $1.index) }) {
            guard left >= unit else { break }
            shares[r.index] = shares[r.index] + unit
            left = left - unit
        }
        let name = args[0].atomText ?? ""
        for (i, part) in parts.enumerated() where !shares[i].isZero {
            var props: [(String, JSON)] = [
                ("name", .string(name + "#" + String(part.position))), ("value", shares[i].json),
                ("position", .number(Int64(part.position))),
            ]
            if let s = part.sub { props.append(("subPosition", .number(Int64(s)))) }
            props.append(("totalDiscount", amount.json))
            if amount < total { props.append(("desiredTotalDiscount", total.json)) }
            emit(env, "setDiscountPerItem", props)
        }
    }

    static func nonNegative(_ v: Value, _ name: String) throws(EvalError) -> DecimalNumber {
        guard case .decimal(let d) = v, !d.isNegative else {
            throw EvalError("\(name): the value must not be negative")
        }
        return d
    }
}

public struct CompiledRule: Sendable {
    public let index: Int
    public let title: String
    public let bindings: [(name: String, expression: Expression)]
    public let condition: Expression
    public let effects: [Expression]

    /// The rule validates the session's coupon (contains `couponValid`).
    public var checksCoupon: Bool { condition.calls("couponValid") }
    /// The rule validates the session's referral code (contains `referralValid`).
    public var checksReferral: Bool { condition.calls("referralValid") }
}

public struct CompiledRuleset: Sendable {
    public let id: Int64
    public let bindings: [(name: String, expression: Expression)]
    public let rules: [CompiledRule]

    public var checksCoupons: Bool { rules.contains { $0.checksCoupon } }
    public var checksReferrals: Bool { rules.contains { $0.checksReferral } }

    /// Compiles every rule, binding and effect; the error's pointer locates the bad node from
    /// the ruleset root (`/rules/2/condition/1/0`). The expressions of a ruleset are evaluated
    /// in one environment and share their templates, so recursion is looked for across them all.
    public init(_ ruleset: Ruleset) throws(CompileError) {
        self.id = ruleset.id
        var templates = TemplateGraph()
        self.bindings = try Self.compile(ruleset.bindings, pointer: "/bindings", templates: &templates)
        var rules: [CompiledRule] = []
        for (i, rule) in ruleset.rules.enumerated() {
            let base = "/rules/\(i)"
            let condition = try Self.compile(rule.condition, pointer: base + "/condition", templates: &templates)
            var effects: [Expression] = []
            for (j, effect) in rule.effects.enumerated() {
                effects.append(try Self.compile(effect, pointer: base + "/effects/\(j)", templates: &templates))
            }
            rules.append(
                CompiledRule(
                    index: i, title: rule.title,
                    bindings: try Self.compile(rule.bindings, pointer: base + "/bindings", templates: &templates),
                    condition: condition, effects: effects))
        }
        if let recursion = templates.cycle() { throw recursion }
        self.rules = rules
    }

    static func compile(_ json: JSON, pointer: String, templates: inout TemplateGraph) throws(CompileError)
        -> Expression
    {
        let expression: Expression
        do {
            expression = try PromotionLibrary.compiler.compileAlone(json)
        } catch {
            throw error.prefixed(pointer)
        }
        templates.merge(expression.templates, under: pointer)
        return expression
    }

    static func compile(_ bindings: [Binding], pointer: String, templates: inout TemplateGraph) throws(CompileError)
        -> [(name: String, expression: Expression)]
    {
        var out: [(name: String, expression: Expression)] = []
        for (i, b) in bindings.enumerated() {
            out.append(
                (b.name, try compile(b.expression, pointer: "\(pointer)/\(i)/expression", templates: &templates)))
        }
        return out
    }
}

/// A campaign with its active ruleset compiled, as kept in memory for evaluation.
public struct CompiledCampaign: Sendable {
    public let campaign: Campaign
    public let ruleset: CompiledRuleset?
    /// The campaign's part of the rule context, built once.
    let context: Value

    public init(campaign: Campaign, ruleset: CompiledRuleset?) {
        self.campaign = campaign
        self.ruleset = ruleset
        self.context = .map([
            "Id": .decimal(DecimalNumber(campaign.id)), "Name": .string(campaign.name),
            "Attributes": Value(json: .object(campaign.attributes)),
        ])
    }
}

/// Where `updateAttribute` writes: `Session.Attributes.<name>` or `Profile.Attributes.<name>`.
public struct AttributePath: Sendable, Equatable {
    public enum Entity: Sendable, Equatable {
        case session, profile
    }

    public var entity: Entity
    public var name: String

    public var text: String { (entity == .session ? "Session" : "Profile") + ".Attributes." + name }

    public init(parsing text: String) throws(EvalError) {
        let parts = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1] == "Attributes", !parts[2].isEmpty else {
            throw EvalError(
                "updateAttribute: \"\(text)\" is not Session.Attributes.<name> or Profile.Attributes.<name>")
        }
        switch parts[0] {
        case "Session": entity = .session
        case "Profile": entity = .profile
        default:
            throw EvalError(
                "updateAttribute: \"\(text)\" is not Session.Attributes.<name> or Profile.Attributes.<name>")
        }
        name = String(parts[2])
    }
}
