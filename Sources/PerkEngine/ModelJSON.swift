import PerkJSON
import Talang

// JSON forms of the model's parts. These are the reference schemas' shapes; reading is strict
// and names the offending field, so requests and stored rows go through the same code.

extension ObjectReader {
    public func timestamp(_ key: String, required: Bool = false) throws(FieldError) -> Timestamp? {
        guard let s = try string(key, required: required) else { return nil }
        guard let t = TimeValue(rfc3339: s) else {
            throw FieldError(title: "format", details: "\(key) must be an RFC 3339 date-time", pointer: path(key))
        }
        return t.utc
    }

    public func decimal(_ key: String, required: Bool = false) throws(FieldError) -> DecimalNumber? {
        guard let n = try number(key, required: required) else { return nil }
        guard let d = DecimalNumber(n.text) else {
            throw FieldError(
                title: "Invalid type", details: "\(key) is not a number Perk can represent", pointer: path(key))
        }
        return d
    }

    /// An amount a client sends (a price, a cost, a total, a limit): a number strictly between
    /// -1e15 and 1e15. Amounts are summed and multiplied into totals that every client must
    /// still read as a double; a quadrillion is beyond any real amount in any currency.
    public func amount(_ key: String, required: Bool = false) throws(FieldError) -> DecimalNumber? {
        guard let d = try decimal(key, required: required) else { return nil }
        guard d < Self.amountBound, DecimalNumber.zero - Self.amountBound < d else {
            throw FieldError(
                title: "Invalid value", details: "\(key) must be between -1e15 and 1e15", pointer: path(key))
        }
        return d
    }

    static let amountBound = DecimalNumber(1_000_000_000_000_000)
}

extension Timestamp {
    /// RFC 3339 in UTC with microseconds, as responses show instants.
    public var json: JSON { .string(TimeValue(microseconds: microseconds).utc.description) }
}

extension CartItem {
    public init(json: JSON, at pointer: String) throws(FieldError) {
        let r = try ObjectReader(json, at: pointer, name: "cart item")
        self.init(
            name: try r.string("name", required: true, minLength: 1)!,
            sku: try r.string("sku", required: true, minLength: 1)!,
            quantity: try r.integer("quantity", required: true, minimum: 1)!,
            price: try r.amount("price", required: true)!,
            category: try r.string("category"),
            weight: try r.amount("weight"), height: try r.amount("height"), width: try r.amount("width"),
            length: try r.amount("length"), attributes: try r.object("attributes"))
    }

    public func json(position: Int) -> JSON {
        var o = JSONObject()
        o.appendUnique("name", .string(name))
        o.appendUnique("sku", .string(sku))
        o.appendUnique("quantity", .number(quantity))
        o.appendUnique("price", price.json)
        if let category { o.appendUnique("category", .string(category)) }
        if let weight { o.appendUnique("weight", weight.json) }
        if let height { o.appendUnique("height", height.json) }
        if let width { o.appendUnique("width", width.json) }
        if let length { o.appendUnique("length", length.json) }
        o.appendUnique("position", .number(position))
        if let attributes { o.appendUnique("attributes", .object(attributes)) }
        if returnedQuantity > 0 {
            o.appendUnique("returnedQuantity", .number(returnedQuantity))
            o.appendUnique("remainingQuantity", .number(quantity - returnedQuantity))
        }
        return .object(o)
    }
}

extension SessionReturn {
    /// As kept with the session.
    public var json: JSON {
        [
            "id": .number(id), "created": .number(created.microseconds),
            "items": .array(
                items.map { ["position": .number(Int64($0.position)), "quantity": .number($0.quantity), "sku": .string($0.sku)] }),
        ]
    }

    public init?(json: JSON) {
        guard let id = json["id"]?.numberValue?.intValue, let created = json["created"]?.numberValue?.intValue,
            let items = json["items"]?.arrayValue
        else { return nil }
        self.init(
            id: id, created: Timestamp(microseconds: created),
            items: items.compactMap { i in
                guard let p = i["position"]?.numberValue?.intValue, let q = i["quantity"]?.numberValue?.intValue else {
                    return nil
                }
                return Item(position: Int(p), quantity: q, sku: i["sku"]?.stringValue ?? "")
            })
    }
}

extension LimitConfig {
    public init(json: JSON, at pointer: String) throws(FieldError) {
        let r = try ObjectReader(json, at: pointer, name: "limit")
        let action = try r.string("action", required: true)!
        guard Self.actions.contains(action) else {
            throw ObjectReader.enumError(r.path("action"), "action", Self.actions)
        }
        let limit = try r.amount("limit", required: true)!
        guard !limit.isNegative else {
            throw FieldError(
                title: "minimum", details: "limit must be greater than or equal to 0", pointer: r.path("limit"))
        }
        let entities = try r.strings("entities", required: true)!
        for (i, e) in entities.enumerated() where !Self.entityNames.contains(e) {
            throw ObjectReader.enumError(JSONPointer.append(r.path("entities"), i), "entities", Self.entityNames)
        }
        self.init(action: action, limit: limit, entities: entities)
    }

    public var json: JSON {
        ["action": .string(action), "limit": limit.json, "entities": .array(entities.map(JSON.string))]
    }

    public static func list(_ items: [JSON], at pointer: String) throws(FieldError) -> [LimitConfig] {
        var out: [LimitConfig] = []
        for (i, item) in items.enumerated() {
            out.append(try LimitConfig(json: item, at: JSONPointer.append(pointer, i)))
        }
        return out
    }
}

extension CodeGeneratorSettings {
    public init(json: JSON, at pointer: String) throws(FieldError) {
        let r = try ObjectReader(json, at: pointer, name: "code generator settings")
        self.init(
            validCharacters: try r.strings("validCharacters", required: true)!,
            couponPattern: try r.string("couponPattern", required: true, minLength: 3)!)
        do {
            _ = try CodeGenerator(pattern: couponPattern, validCharacters: validCharacters)
        } catch {
            throw FieldError(title: "Invalid value", details: error.message, pointer: r.path("validCharacters"))
        }
    }

    public var json: JSON {
        ["validCharacters": .array(validCharacters.map(JSON.string)), "couponPattern": .string(couponPattern)]
    }
}

extension Binding {
    public init(json: JSON, at pointer: String) throws(FieldError) {
        let r = try ObjectReader(json, at: pointer, name: "binding")
        self.init(
            name: try r.string("name", required: true, minLength: 1)!,
            expression: try r.value("expression", required: true)!)
    }

    public var json: JSON { ["name": .string(name), "expression": expression] }

    public static func list(_ items: [JSON]?, at pointer: String) throws(FieldError) -> [Binding] {
        var out: [Binding] = []
        for (i, item) in (items ?? []).enumerated() {
            out.append(try Binding(json: item, at: JSONPointer.append(pointer, i)))
        }
        return out
    }
}

extension Rule {
    public init(json: JSON, at pointer: String) throws(FieldError) {
        let r = try ObjectReader(json, at: pointer, name: "rule")
        let effectsJSON = try r.value("effects", required: true)!
        let effects: [JSON]
        switch effectsJSON {
        // One effect written where the list belongs (`["catch", ["noop"], [...]]`).
        case .array(let a) where a.first?.stringValue != nil: effects = [effectsJSON]
        case .array(let a): effects = a
        default: throw .type(r.path("effects"), "effects", expected: "an array", found: effectsJSON)
        }
        self.init(
            title: try r.string("title", required: true)!, description: try r.string("description"),
            bindings: try Binding.list(try r.array("bindings"), at: r.path("bindings")),
            condition: try r.value("condition", required: true)!, effects: effects)
    }

    public var json: JSON {
        var o = JSONObject()
        o.appendUnique("title", .string(title))
        if let description { o.appendUnique("description", .string(description)) }
        o.appendUnique("bindings", .array(bindings.map(\.json)))
        o.appendUnique("condition", condition)
        o.appendUnique("effects", .array(effects))
        return .object(o)
    }
}

extension RedemptionLedger {
    public var json: JSON {
        [
            "coupons": .array(
                coupons.map {
                    [
                        "couponId": .number($0.couponId), "campaignId": .number($0.campaignId),
                        "value": .string($0.value),
                    ]
                }),
            "referral": referral.map {
                ["referralId": .number($0.referralId), "campaignId": .number($0.campaignId), "code": .string($0.code)]
            } ?? .null,
            "discounts": .array(
                discounts.map {
                    ["campaignId": .number($0.campaignId), "name": .string($0.name), "value": $0.value.json]
                }),
            "charges": .array(
                charges.map {
                    [
                        "campaignId": .number($0.key.campaignId), "action": .string($0.key.action),
                        "scope": .string($0.key.scope), "amount": $0.amount.json,
                    ]
                }),
            "sales": sales.json,
            "points": .array(points.map(\.json)),
        ]
    }

    public init(json: JSON) throws(FieldError) {
        let r = try ObjectReader(json, at: "")
        var coupons: [RedeemedCoupon] = []
        for (i, c) in (try r.array("coupons") ?? []).enumerated() {
            let cr = try ObjectReader(c, at: "/coupons/\(i)")
            coupons.append(
                RedeemedCoupon(
                    couponId: try cr.integer("couponId", required: true)!,
                    campaignId: try cr.integer("campaignId", required: true)!,
                    value: try cr.string("value", required: true)!))
        }
        var discounts: [ConfirmedDiscount] = []
        for (i, d) in (try r.array("discounts") ?? []).enumerated() {
            let dr = try ObjectReader(d, at: "/discounts/\(i)")
            discounts.append(
                ConfirmedDiscount(
                    campaignId: try dr.integer("campaignId", required: true)!,
                    name: try dr.string("name", required: true)!,
                    value: try dr.decimal("value", required: true)!))
        }
        var referral: RedeemedReferral?
        if let value = try r.value("referral") {
            let rr = try ObjectReader(value, at: "/referral")
            referral = RedeemedReferral(
                referralId: try rr.integer("referralId", required: true)!,
                campaignId: try rr.integer("campaignId", required: true)!,
                code: try rr.string("code", required: true)!)
        }
        var charges: [LimitCharge] = []
        for (i, c) in (try r.array("charges") ?? []).enumerated() {
            let cr = try ObjectReader(c, at: "/charges/\(i)")
            charges.append(
                LimitCharge(
                    key: LimitKey(
                        campaignId: try cr.integer("campaignId", required: true)!,
                        action: try cr.string("action", required: true)!, scope: try cr.string("scope", required: true)!
                    ),
                    amount: try cr.decimal("amount", required: true)!))
        }
        self.init(
            coupons: coupons, referral: referral, discounts: discounts, charges: charges,
            sales: try r.decimal("sales") ?? .zero)
        for (i, p) in (try r.array("points") ?? []).enumerated() {
            points.append(try BookedPoints(json: p, at: "/points/\(i)"))
        }
    }
}

extension Effect {
    /// The stored form: the wire envelope plus the coupon that triggered it.
    public var storedJSON: JSON {
        guard case .object(var o) = json else { return json }
        if let triggeredByCoupon { o.appendUnique("triggeredByCoupon", .number(triggeredByCoupon)) }
        return .object(o)
    }

    public init(storedJSON json: JSON) throws(FieldError) {
        let r = try ObjectReader(json, at: "")
        self.init(
            campaignId: try r.integer("campaignId", required: true)!,
            rulesetId: try r.integer("rulesetId", required: true)!,
            ruleIndex: Int(try r.integer("ruleIndex", required: true)!), ruleName: try r.string("ruleName") ?? "",
            type: try r.string("effectType", required: true)!, props: try r.object("props") ?? JSONObject(),
            triggeredByCoupon: try r.integer("triggeredByCoupon"))
    }
}
