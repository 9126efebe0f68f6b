import PerkJSON
import Talang

/// One effect of an evaluation, in the envelope both API versions share.
public struct Effect: Sendable, Equatable {
    public var campaignId: Int64
    public var rulesetId: Int64
    public var ruleIndex: Int
    public var ruleName: String
    public var type: String
    /// Props in schema order; the v1 array form lists their values in this order.
    public var props: JSONObject
    /// The coupon whose evaluation produced this effect, so that a coupon refused at close takes
    /// its discounts with it. Not on the wire.
    public var triggeredByCoupon: Int64?

    public init(
        campaignId: Int64, rulesetId: Int64, ruleIndex: Int, ruleName: String, type: String, props: JSONObject,
        triggeredByCoupon: Int64? = nil
    ) {
        self.campaignId = campaignId
        self.rulesetId = rulesetId
        self.ruleIndex = ruleIndex
        self.ruleName = ruleName
        self.type = type
        self.props = props
        self.triggeredByCoupon = triggeredByCoupon
    }

    /// An effect the engine makes that belongs to no rule (ids -1 when it belongs to no campaign).
    public static func engine(_ type: String, campaignId: Int64 = -1, rulesetId: Int64 = -1, props: JSONObject)
        -> Effect
    {
        Effect(campaignId: campaignId, rulesetId: rulesetId, ruleIndex: -1, ruleName: "", type: type, props: props)
    }

    /// The discount this effect gives, if it is one.
    public var discount: (name: String, value: DecimalNumber)? {
        guard type == "setDiscount" || type == "setDiscountPerItem",
            let name = props["name"]?.stringValue,
            let value = props["value"]?.numberValue.flatMap({ DecimalNumber($0.text) })
        else { return nil }
        return (name, value)
    }

    /// `{campaignId, rulesetId, ruleIndex, ruleName, effectType, props}` (v2).
    public var json: JSON {
        var o = JSONObject()
        o.appendUnique("campaignId", .number(campaignId))
        o.appendUnique("rulesetId", .number(rulesetId))
        o.appendUnique("ruleIndex", .number(ruleIndex))
        o.appendUnique("ruleName", .string(ruleName))
        o.appendUnique("effectType", .string(type))
        o.appendUnique("props", .object(props))
        return .object(o)
    }

    /// `[campaignId, rulesetId, ruleIndex, [effectType, props...]]` (v1).
    public var arrayJSON: JSON {
        .array([
            .number(campaignId), .number(rulesetId), .number(ruleIndex),
            .array([.string(type)] + props.entries.map(\.value)),
        ])
    }
}

/// Why a coupon was refused (the 2020 `CouponRejectionReason` values).
public enum CouponRejectionReason: String, Sendable {
    case couponNotFound = "CouponNotFound"
    case couponPartOfNotRunningCampaign = "CouponPartOfNotRunningCampaign"
    case couponValidConditionMissing = "CouponValidConditionMissing"
    case couponLimitReached = "CouponLimitReached"
    case campaignLimitReached = "CampaignLimitReached"
    case profileLimitReached = "ProfileLimitReached"
    case couponRecipientDoesNotMatch = "CouponRecipientDoesNotMatch"
    case couponExpired = "CouponExpired"
    case couponStartDateInFuture = "CouponStartDateInFuture"
    case couponRejectedByCondition = "CouponRejectedByCondition"
    case effectCouldNotBeApplied = "EffectCouldNotBeApplied"
}

extension DecimalNumber {
    /// The decimal as a JSON number.
    public var json: JSON { .number(JSONNumber(uncheckedText: description)) }
}
