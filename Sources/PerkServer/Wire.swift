import PerkEngine
import PerkJSON
import Talang

// The reference schemas' shapes of Perk's entities. Responses carry the union of what the 2020
// clients and the current Python SDK require (ids and `updated` on sessions, `id` on profiles,
// `type`/`frontendState`/`storesImported`/`budgets` on campaigns).

enum Wire {
    static func application(_ a: Application) -> JSON {
        var o = JSONObject()
        o.appendUnique("id", .number(a.id))
        o.appendUnique("created", a.created.json)
        o.appendUnique("modified", a.modified.json)
        o.appendUnique("accountId", .number(perkAccountID))
        o.appendUnique("name", .string(a.name))
        if let d = a.description { o.appendUnique("description", .string(d)) }
        o.appendUnique("timezone", .string(a.timezone))
        o.appendUnique("currency", .string(a.currency))
        o.appendUnique("caseSensitivity", .string(a.caseSensitivity.rawValue))
        o.appendUnique("attributes", .object(a.attributes))
        o.appendUnique("limits", .array(a.limits.map(\.json)))
        o.appendUnique("loyaltyPrograms", [])
        o.appendUnique("enableFlattenedCartItems", .bool(a.enableFlattenedCartItems))
        o.appendUnique("enablePartialDiscounts", .bool(a.enablePartialDiscounts))
        // The HMAC secret, needed by clients that sign requests (Content-Signature).
        o.appendUnique("key", .string(a.key))
        return .object(o)
    }

    static func campaign(_ c: Campaign, now: Timestamp) -> JSON {
        var o = JSONObject()
        o.appendUnique("id", .number(c.id))
        o.appendUnique("created", c.created.json)
        o.appendUnique("applicationId", .number(c.applicationId))
        o.appendUnique("userId", .number(c.userId))
        o.appendUnique("name", .string(c.name))
        o.appendUnique("description", .string(c.description))
        if let t = c.startTime { o.appendUnique("startTime", t.json) }
        if let t = c.endTime { o.appendUnique("endTime", t.json) }
        o.appendUnique("attributes", .object(c.attributes))
        o.appendUnique("state", .string(c.state.rawValue))
        if let r = c.activeRulesetId { o.appendUnique("activeRulesetId", .number(r)) }
        o.appendUnique("tags", .array(c.tags.map(JSON.string)))
        o.appendUnique("features", .array(c.features.map(JSON.string)))
        if let s = c.couponSettings { o.appendUnique("couponSettings", s.json) }
        if let s = c.referralSettings { o.appendUnique("referralSettings", s.json) }
        o.appendUnique("limits", .array(c.limits.map(\.json)))
        o.appendUnique("couponRedemptionCount", .number(c.counters.couponRedemptionCount))
        o.appendUnique("referralRedemptionCount", .number(c.counters.referralRedemptionCount))
        o.appendUnique("discountCount", c.counters.discountCount.json)
        o.appendUnique("discountEffectCount", .number(c.counters.discountEffectCount))
        o.appendUnique("couponCreationCount", .number(c.counters.couponCreationCount))
        if let t = c.lastActivity { o.appendUnique("lastActivity", t.json) }
        o.appendUnique("updated", c.updated.json)
        o.appendUnique("type", "advanced")
        o.appendUnique("frontendState", .string(c.frontendState(at: now)))
        o.appendUnique("storesImported", false)
        o.appendUnique("budgets", [])
        // A return evaluates every campaign again on the kept cart.
        o.appendUnique("reevaluateOnReturn", true)
        return .object(o)
    }

    /// A return of a session's items (`ModelReturn`).
    static func sessionReturn(_ r: SessionReturn, session: CustomerSession, profile: CustomerProfile?) -> JSON {
        var o = JSONObject()
        o.appendUnique("id", .number(r.id))
        o.appendUnique("created", r.created.json)
        o.appendUnique("applicationId", .number(session.applicationId))
        o.appendUnique("accountId", .number(perkAccountID))
        o.appendUnique(
            "returnedCartItems",
            .array(
                r.items.map {
                    ["position": .number(Int64($0.position)), "quantity": .number($0.quantity), "sku": .string($0.sku)]
                }))
        o.appendUnique("eventId", .number(r.id))
        o.appendUnique("sessionId", .number(session.id))
        o.appendUnique("sessionIntegrationId", .string(session.integrationId))
        if let p = profile {
            o.appendUnique("profileId", .number(p.id))
            o.appendUnique("profileIntegrationId", .string(p.integrationId))
        }
        return .object(o)
    }

    /// A campaign as `GET /v1/integration/campaigns` lists it (`IntegrationCampaign`): the members
    /// of `campaign` that shape has.
    static func integrationCampaign(_ c: Campaign, now: Timestamp) -> JSON {
        guard case .object(let all) = campaign(c, now: now) else { return .null }
        var o = JSONObject()
        for key in integrationCampaignMembers { if let v = all[key] { o.appendUnique(key, v) } }
        return .object(o)
    }

    static let integrationCampaignMembers = [
        "id", "applicationId", "name", "description", "startTime", "endTime", "attributes", "state", "tags", "features",
    ]

    static func ruleset(_ r: Ruleset) -> JSON {
        var o = JSONObject()
        o.appendUnique("id", .number(r.id))
        o.appendUnique("created", r.created.json)
        o.appendUnique("campaignId", .number(r.campaignId))
        o.appendUnique("userId", .number(r.userId))
        o.appendUnique("rules", .array(r.rules.map(\.json)))
        o.appendUnique("bindings", .array(r.bindings.map(\.json)))
        if let v = r.rbVersion { o.appendUnique("rbVersion", .string(v)) }
        o.appendUnique("activate", .bool(r.activate))
        if let t = r.activatedAt { o.appendUnique("activatedAt", t.json) }
        return .object(o)
    }

    /// A coupon; in Integration API responses also how often the session's profile redeemed it.
    static func coupon(_ c: Coupon, profileRedemptionCount: Int64? = nil) -> JSON {
        var o = JSONObject()
        o.appendUnique("id", .number(c.id))
        o.appendUnique("created", c.created.json)
        o.appendUnique("campaignId", .number(c.campaignId))
        o.appendUnique("value", .string(c.value))
        o.appendUnique("usageLimit", .number(c.usageLimit))
        if let t = c.startDate { o.appendUnique("startDate", t.json) }
        if let t = c.expiryDate { o.appendUnique("expiryDate", t.json) }
        o.appendUnique("usageCounter", .number(c.usageCounter))
        o.appendUnique("attributes", .object(c.attributes))
        if let r = c.referralId { o.appendUnique("referralId", .number(r)) }
        if let r = c.recipientIntegrationId { o.appendUnique("recipientIntegrationId", .string(r)) }
        o.appendUnique("reservation", .bool(c.reservation))
        if let b = c.batchId { o.appendUnique("batchId", .string(b)) }
        if let i = c.importId { o.appendUnique("importId", .number(i)) }
        if let n = profileRedemptionCount { o.appendUnique("profileRedemptionCount", .number(n)) }
        return .object(o)
    }

    /// A referral; `referredCustomers` (the profiles that redeemed it) is required by later SDKs'
    /// `InventoryReferral`, which v2 answers use for `referral`.
    static func referral(_ r: Referral, referredCustomers: [String] = []) -> JSON {
        var o = JSONObject()
        o.appendUnique("id", .number(r.id))
        o.appendUnique("created", r.created.json)
        if let t = r.startDate { o.appendUnique("startDate", t.json) }
        if let t = r.expiryDate { o.appendUnique("expiryDate", t.json) }
        o.appendUnique("campaignId", .number(r.campaignId))
        o.appendUnique("advocateProfileIntegrationId", .string(r.advocateProfileIntegrationId))
        if let f = r.friendProfileIntegrationId { o.appendUnique("friendProfileIntegrationId", .string(f)) }
        o.appendUnique("code", .string(r.code))
        o.appendUnique("usageCounter", .number(r.usageCounter))
        o.appendUnique("usageLimit", .number(r.usageLimit))
        o.appendUnique("referredCustomers", .array(referredCustomers.map(JSON.string)))
        return .object(o)
    }

    /// A profile, or for an anonymous session a transient one that is never stored.
    static func profile(_ p: CustomerProfile?, now: Timestamp) -> JSON {
        let p = p ?? CustomerProfile(id: 0, integrationId: "", created: now)
        var o = JSONObject()
        o.appendUnique("id", .number(p.id))
        o.appendUnique("integrationId", .string(p.integrationId))
        o.appendUnique("created", p.created.json)
        o.appendUnique("attributes", .object(p.attributes))
        o.appendUnique("accountId", .number(perkAccountID))
        o.appendUnique("closedSessions", .number(p.closedSessions))
        o.appendUnique("totalSales", p.totalSales.json)
        o.appendUnique("lastActivity", p.lastActivity.json)
        return .object(o)
    }

    static func sessionV2(_ s: CustomerSession) -> JSON {
        var o = JSONObject()
        o.appendUnique("id", .number(s.id))
        o.appendUnique("integrationId", .string(s.integrationId))
        o.appendUnique("created", s.created.json)
        o.appendUnique("applicationId", .number(s.applicationId))
        o.appendUnique("profileId", .string(s.profileId))
        o.appendUnique("couponCodes", .array(s.couponCodes.map(JSON.string)))
        o.appendUnique("referralCode", .string(s.referralCode))
        o.appendUnique("state", .string(s.state.rawValue))
        o.appendUnique("cartItems", .array(s.cartItems.enumerated().map { $1.json(position: $0) }))
        var costs = JSONObject()
        for c in s.additionalCosts { costs.appendUnique(c.name, ["price": c.price.json]) }
        o.appendUnique("additionalCosts", .object(costs))
        o.appendUnique("identifiers", .array(s.identifiers.map(JSON.string)))
        o.appendUnique("attributes", .object(s.attributes))
        o.appendUnique("firstSession", .bool(s.firstSession))
        // 1 when created, one more for every update stored since.
        o.appendUnique("updateCount", .number(s.version + 1))
        o.appendUnique("total", s.total.json)
        o.appendUnique("cartItemTotal", s.cartItemTotal.json)
        o.appendUnique("additionalCostTotal", s.additionalCostTotal.json)
        o.appendUnique("updated", s.updated.json)
        return .object(o)
    }

    /// A session as v1 shows it: one `coupon` and `referral`, the client's `total`, and the
    /// `discounts` its effects give, by name (same-name discounts summed).
    static func sessionV1(_ s: CustomerSession, effects: [Effect]) -> JSON {
        var o = JSONObject()
        o.appendUnique("id", .number(s.id))
        o.appendUnique("integrationId", .string(s.integrationId))
        o.appendUnique("created", s.created.json)
        o.appendUnique("applicationId", .number(s.applicationId))
        o.appendUnique("profileId", .string(s.profileId))
        o.appendUnique("coupon", .string(s.couponCodes.first ?? ""))
        o.appendUnique("referral", .string(s.referralCode))
        o.appendUnique("state", .string(s.state.rawValue))
        o.appendUnique("cartItems", .array(s.cartItems.enumerated().map { $1.json(position: $0) }))
        o.appendUnique("identifiers", .array(s.identifiers.map(JSON.string)))
        o.appendUnique("total", s.total.json)
        o.appendUnique("attributes", .object(s.attributes))
        o.appendUnique("firstSession", .bool(s.firstSession))
        var discounts = OrderedMap<DecimalNumber>()
        for e in effects {
            guard let d = e.discount else { continue }
            discounts[d.name] = (discounts[d.name] ?? .zero) + d.value
        }
        o.appendUnique("discounts", .object(JSONObject(discounts.entries.map { ($0.key, $0.value.json) })))
        o.appendUnique("updated", s.updated.json)
        return .object(o)
    }

    /// An event as v1 shows it: effects as `[campaignId, rulesetId, ruleIndex, [type, props...]]`.
    static func eventV1(_ e: RecordedEvent, effects: [Effect], meta: JSON) -> JSON {
        guard case .object(var o) = event(e, effects: []) else { return .null }
        o["effects"] = .array(effects.map(\.arrayJSON))
        o.appendUnique("meta", meta)
        return .object(o)
    }

    static func event(_ e: RecordedEvent, effects: [Effect]) -> JSON {
        var o = JSONObject()
        o.appendUnique("id", .number(e.id))
        o.appendUnique("created", e.created.json)
        o.appendUnique("applicationId", .number(e.applicationId))
        o.appendUnique("profileId", .string(e.profileId))
        o.appendUnique("type", .string(e.type))
        o.appendUnique("attributes", .object(e.attributes))
        o.appendUnique("sessionId", .string(e.sessionId))
        o.appendUnique("effects", .array(effects.map(\.json)))
        o.appendUnique("ledgerEntries", [])
        return .object(o)
    }
}

/// Identity of an event recorded for an Integration API request.
struct RecordedEvent: Sendable {
    var id: Int64
    var created: Timestamp
    var applicationId: Int64
    var profileId: String
    var type: String
    var attributes: JSONObject
    var sessionId: String
}
