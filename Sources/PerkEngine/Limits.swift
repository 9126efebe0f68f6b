import PerkJSON
import Talang

/// One budget counter: a campaign's limited action for one combination of entity values
/// (`scope`, e.g. `coupon:7|profile:alice`; empty for campaign-wide).
public struct LimitKey: Sendable, Hashable {
    public var campaignId: Int64
    public var action: String
    public var scope: String

    public init(campaignId: Int64, action: String, scope: String) {
        self.campaignId = campaignId
        self.action = action
        self.scope = scope
    }
}

/// Usage added to a budget counter by a confirmed close (given back when it is cancelled).
public struct LimitCharge: Sendable, Equatable {
    public var key: LimitKey
    public var amount: DecimalNumber
    /// The coupon whose evaluation made the charge, so that a coupon refused at close takes its
    /// charges with it.
    public var couponId: Int64?

    public init(key: LimitKey, amount: DecimalNumber, couponId: Int64? = nil) {
        self.key = key
        self.amount = amount
        self.couponId = couponId
    }
}

/// The entity values one use of a limited action concerns.
public struct LimitSubject: Sendable {
    public var couponId: Int64?
    public var referralId: Int64?
    public var profileId: String
    public var identifiers: [String]

    public init(couponId: Int64? = nil, referralId: Int64? = nil, profileId: String, identifiers: [String]) {
        self.couponId = couponId
        self.referralId = referralId
        self.profileId = profileId
        self.identifiers = identifiers
    }
}

extension LimitConfig {
    /// The counters one use by `subject` touches: one per identifier for `Identifier` limits;
    /// none when the subject lacks an entity the limit is kept per (an anonymous session has no
    /// profile counter, a discount outside a coupon run no coupon counter).
    public func keys(campaignId: Int64, for subject: LimitSubject) -> [LimitKey] {
        var scopes = [""]
        for entity in entities.sorted() {
            let values: [String]
            switch entity {
            case "Coupon": values = subject.couponId.map { ["coupon:\($0)"] } ?? []
            case "Referral": values = subject.referralId.map { ["referral:\($0)"] } ?? []
            case "Profile": values = subject.profileId.isEmpty ? [] : ["profile:\(subject.profileId)"]
            case "Identifier": values = Array(Set(subject.identifiers)).sorted().map { "identifier:\($0)" }
            default: values = []
            }
            guard !values.isEmpty else { return [] }
            scopes = scopes.flatMap { s in values.map { s.isEmpty ? $0 : s + "|" + $0 } }
        }
        return scopes.map { LimitKey(campaignId: campaignId, action: action, scope: $0) }
    }

    /// The rejection reason when this limit stops a coupon or referral.
    var limitReason: (coupon: CouponRejectionReason, referral: ReferralRejectionReason) {
        if entities.contains("Profile") { return (.profileLimitReached, .profileLimitReached) }
        if entities.contains("Coupon") { return (.couponLimitReached, .campaignLimitReached) }
        if entities.contains("Referral") { return (.campaignLimitReached, .referralLimitReached) }
        return (.campaignLimitReached, .campaignLimitReached)
    }
}

/// Budget usage during one evaluation: confirmed usage (from storage) plus what this evaluation
/// has already planned, so that two discounts of one session cannot both squeeze under a budget.
struct LimitLedger {
    let confirmed: [LimitKey: DecimalNumber]
    var planned: [LimitKey: DecimalNumber] = [:]
    var charges: [LimitCharge] = []

    func used(_ key: LimitKey) -> DecimalNumber {
        (confirmed[key] ?? .zero) + (planned[key] ?? .zero)
    }

    /// The first limit of `action` in `campaign` that `amount` more would exceed (limit 0: none
    /// allowed), else nil.
    func exceeded(_ campaign: Campaign, _ action: String, _ amount: DecimalNumber, _ subject: LimitSubject)
        -> LimitConfig?
    {
        for limit in campaign.limits where limit.action == action {
            for key in limit.keys(campaignId: campaign.id, for: subject) where used(key) + amount > limit.limit {
                return limit
            }
        }
        return nil
    }

    /// What is left of the tightest limit of `action` in `campaign` for `subject`; nil when the
    /// campaign has no such limit.
    func left(_ campaign: Campaign, _ action: String, _ subject: LimitSubject) -> DecimalNumber? {
        var tightest: DecimalNumber?
        for limit in campaign.limits where limit.action == action {
            for key in limit.keys(campaignId: campaign.id, for: subject) {
                let left = limit.limit - used(key)
                tightest = tightest.map { min($0, left) } ?? left
            }
        }
        return tightest
    }

    /// Plans `amount` of `action` on every counter it touches.
    mutating func charge(_ campaign: Campaign, _ action: String, _ amount: DecimalNumber, _ subject: LimitSubject) {
        for limit in campaign.limits where limit.action == action {
            for key in limit.keys(campaignId: campaign.id, for: subject) {
                planned[key] = (planned[key] ?? .zero) + amount
                charges.append(LimitCharge(key: key, amount: amount, couponId: subject.couponId))
            }
        }
    }
}

extension Campaign {
    /// Every budget counter a session could touch in this campaign (for loading usage).
    public func limitKeys(session: CustomerSession, couponIds: [Int64], referralId: Int64?) -> [LimitKey] {
        var out: [LimitKey] = []
        for limit in limits {
            var subjects = [
                LimitSubject(profileId: session.profileId, identifiers: session.identifiers)
            ]
            for id in couponIds {
                subjects.append(
                    LimitSubject(couponId: id, profileId: session.profileId, identifiers: session.identifiers))
            }
            if let referralId {
                subjects.append(
                    LimitSubject(referralId: referralId, profileId: session.profileId, identifiers: session.identifiers)
                )
            }
            for s in subjects { out += limit.keys(campaignId: id, for: s) }
        }
        return Array(Set(out))
    }
}

extension LimitConfig {
    /// Whether `key` is one of this limit's counters: same action, and a scope made of exactly
    /// the entities the limit is kept per.
    func counts(_ key: LimitKey) -> Bool {
        guard key.action == action else { return false }
        let scoped = key.scope.isEmpty ? [] : key.scope.split(separator: "|").map { $0.prefix { $0 != ":" } }
        return Set(scoped.map(String.init)) == Set(entities.map { $0.lowercased() })
    }
}

extension EvaluationResult {
    /// Whether what confirming this result charges still fits every budget when `usage` is
    /// what is confirmed now. A close evaluated against older usage may be committed as it is
    /// when this holds (its budgets cannot be exceeded); otherwise it must be evaluated again.
    public func chargesFit(_ usage: [LimitKey: DecimalNumber], campaigns: [Campaign]) -> Bool {
        var totals: [LimitKey: DecimalNumber] = [:]
        for c in limitCharges { totals[c.key] = (totals[c.key] ?? .zero) + c.amount }
        for (key, amount) in totals {
            guard let campaign = campaigns.first(where: { $0.id == key.campaignId }) else { continue }
            for limit in campaign.limits where limit.counts(key) && (usage[key] ?? .zero) + amount > limit.limit {
                return false
            }
        }
        return true
    }
}
