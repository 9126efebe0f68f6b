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
    /// For `couponCreated`/`referralCreated`: what to create when the update is stored (the code,
    /// `props.value`, is only known then). Not on the wire.
    public var creation: Creation?
    /// For `triggerWebhook`: the call to send once the update is stored. Not on the wire.
    public var webhook: WebhookRequest?

    public init(
        campaignId: Int64, rulesetId: Int64, ruleIndex: Int, ruleName: String, type: String, props: JSONObject,
        triggeredByCoupon: Int64? = nil, creation: Creation? = nil, webhook: WebhookRequest? = nil
    ) {
        self.creation = creation
        self.webhook = webhook
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
        guard type == "setDiscount" || type == "setDiscountPerItem" || type == "setDiscountPerAdditionalCost",
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

/// A coupon or referral code a rule asked for. The evaluation is pure, so it only describes the
/// code; whoever stores the update makes it, once per session and `key`.
public struct Creation: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A coupon for `profileId` (its recipient; empty: anyone).
        case coupon(profileId: String)
        /// A referral code of `advocateId` for `friendId` (empty: anyone).
        case referral(advocateId: String, friendId: String)
    }

    public var kind: Kind
    /// The campaign's code settings, or nil for the default pattern.
    public var settings: CodeGeneratorSettings?
    /// `campaignId/ruleIndex/n`: the n-th creation of that rule in the evaluation.
    public var key: String
    /// The `createCoupon` budget counters a new code is charged to.
    public var limitKeys: [LimitKey] = []

    public init(kind: Kind, settings: CodeGeneratorSettings?, key: String) {
        self.kind = kind
        self.settings = settings
        self.key = key
    }
}

/// Why a referral code was refused (the 2020 `ReferralRejectionReason` values).
public enum ReferralRejectionReason: String, Sendable {
    case referralNotFound = "ReferralNotFound"
    case referralRecipientIdSameAsAdvocate = "ReferralRecipientIdSameAsAdvocate"
    case referralPartOfNotRunningCampaign = "ReferralPartOfNotRunningCampaign"
    case referralValidConditionMissing = "ReferralValidConditionMissing"
    case referralLimitReached = "ReferralLimitReached"
    case campaignLimitReached = "CampaignLimitReached"
    case profileLimitReached = "ProfileLimitReached"
    case referralRecipientDoesNotMatch = "ReferralRecipientDoesNotMatch"
    case referralExpired = "ReferralExpired"
    case referralStartDateInFuture = "ReferralStartDateInFuture"
    case referralRejectedByCondition = "ReferralRejectedByCondition"
    case effectCouldNotBeApplied = "EffectCouldNotBeApplied"
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
