/// One effect of an update, its props typed by `effectType`.
public struct Effect: Codable, Sendable, Equatable {
    public var campaignId: Int
    public var rulesetId: Int
    public var ruleIndex: Int
    public var ruleName: String
    public var effectType: String
    public var triggeredByCoupon: Int?
    public var props: EffectProps

    enum CodingKeys: String, CodingKey {
        case campaignId, rulesetId, ruleIndex, ruleName, effectType, triggeredByCoupon, props
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        campaignId = try c.decode(Int.self, forKey: .campaignId)
        rulesetId = try c.decode(Int.self, forKey: .rulesetId)
        ruleIndex = try c.decode(Int.self, forKey: .ruleIndex)
        ruleName = try c.decode(String.self, forKey: .ruleName)
        effectType = try c.decode(String.self, forKey: .effectType)
        triggeredByCoupon = try c.decodeIfPresent(Int.self, forKey: .triggeredByCoupon)
        props = try EffectProps(type: effectType, props: c.decode(JSONValue.self, forKey: .props))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(campaignId, forKey: .campaignId)
        try c.encode(rulesetId, forKey: .rulesetId)
        try c.encode(ruleIndex, forKey: .ruleIndex)
        try c.encode(ruleName, forKey: .ruleName)
        try c.encode(effectType, forKey: .effectType)
        try c.encodeIfPresent(triggeredByCoupon, forKey: .triggeredByCoupon)
        try c.encode(props.json, forKey: .props)
    }
}

/// The props of the effect types Perk emits; anything else stays `other`.
public enum EffectProps: Sendable, Equatable {
    case setDiscount(name: String, value: Double)
    case setDiscountPerItem(name: String, value: Double, position: Double)
    case acceptCoupon(value: String)
    case rejectCoupon(value: String, rejectionReason: String)
    case rollbackCoupon(value: String)
    case rollbackDiscount(name: String, value: Double)
    case acceptReferral(value: String)
    case rejectReferral(value: String, rejectionReason: String)
    case addFreeItem(sku: String, name: String)
    case showNotification(notificationType: String, title: String, body: String)
    case couponCreated(value: String, profileId: String)
    case referralCreated(value: String)
    case updateAttribute(path: String, value: JSONValue)
    case other(JSONValue)

    struct Malformed: Error, CustomStringConvertible {
        let type: String
        var description: String { "the props of a \(type) effect lack a field" }
    }

    init(type: String, props p: JSONValue) throws {
        func s(_ k: String) throws -> String {
            guard let v = p[k]?.stringValue else { throw Malformed(type: type) }
            return v
        }
        func d(_ k: String) throws -> Double {
            guard let v = p[k]?.doubleValue else { throw Malformed(type: type) }
            return v
        }
        switch type {
        case "setDiscount": self = .setDiscount(name: try s("name"), value: try d("value"))
        case "setDiscountPerItem":
            self = .setDiscountPerItem(name: try s("name"), value: try d("value"), position: try d("position"))
        case "acceptCoupon": self = .acceptCoupon(value: try s("value"))
        case "rejectCoupon": self = .rejectCoupon(value: try s("value"), rejectionReason: try s("rejectionReason"))
        case "rollbackCoupon": self = .rollbackCoupon(value: try s("value"))
        case "rollbackDiscount": self = .rollbackDiscount(name: try s("name"), value: try d("value"))
        case "acceptReferral": self = .acceptReferral(value: try s("value"))
        case "rejectReferral":
            self = .rejectReferral(value: try s("value"), rejectionReason: try s("rejectionReason"))
        case "addFreeItem": self = .addFreeItem(sku: try s("sku"), name: try s("name"))
        case "showNotification":
            self = .showNotification(
                notificationType: try s("notificationType"), title: try s("title"), body: try s("body"))
        case "couponCreated": self = .couponCreated(value: try s("value"), profileId: try s("profileId"))
        case "referralCreated": self = .referralCreated(value: try s("value"))
        case "updateAttribute": self = .updateAttribute(path: try s("path"), value: p["value"] ?? .null)
        default: self = .other(p)
        }
    }

    /// The props as they travel.
    public var json: JSONValue {
        switch self {
        case .setDiscount(let name, let value): ["name": .string(name), "value": .number(value)]
        case .setDiscountPerItem(let name, let value, let position):
            ["name": .string(name), "value": .number(value), "position": .number(position)]
        case .acceptCoupon(let value), .rollbackCoupon(let value), .acceptReferral(let value),
            .referralCreated(let value):
            ["value": .string(value)]
        case .rejectCoupon(let value, let reason), .rejectReferral(let value, let reason):
            ["value": .string(value), "rejectionReason": .string(reason)]
        case .rollbackDiscount(let name, let value): ["name": .string(name), "value": .number(value)]
        case .addFreeItem(let sku, let name): ["sku": .string(sku), "name": .string(name)]
        case .showNotification(let type, let title, let body):
            ["notificationType": .string(type), "title": .string(title), "body": .string(body)]
        case .couponCreated(let value, let profileId): ["value": .string(value), "profileId": .string(profileId)]
        case .updateAttribute(let path, let value): ["path": .string(path), "value": value]
        case .other(let p): p
        }
    }
}
