import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// Rulesets updated and deleted; a campaign's referral codes listed and deleted.
extension ManagementAPI {
    func registerRulesetAndReferralManagement(on router: Routes) {
        let ruleset = "/v1/applications/:applicationId/campaigns/:campaignId/rulesets/:rulesetId"
        router.put(RouterPath(ruleset)) { req, ctx in try await updateRuleset(req, ctx) }
        router.delete(RouterPath(ruleset)) { req, ctx in try await deleteRuleset(req, ctx) }
        let referrals = "/v1/applications/:applicationId/campaigns/:campaignId/referrals"
        router.get(RouterPath(referrals)) { req, ctx in try await listReferrals(req, ctx) }
        router.get(RouterPath(referrals + "/no_total")) { req, ctx in try await listReferrals(req, ctx, counting: false)
        }
        router.delete(RouterPath(referrals + "/:referralId")) { req, ctx in try await deleteReferral(req, ctx) }
    }

    /// `PUT` a `NewRuleset`: compiled before it is saved; `activate` makes it the campaign's.
    func updateRuleset(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let userId = (try await authorize(req, ctx, .campaigns)).userId
        let app = try await application(ctx)
        let campaign = try await campaign(ctx, applicationId: app.id)
        let id = try ctx.parameters.id("rulesetId")
        guard let stored = try await store.read({ tx in try tx.ruleset(campaignId: campaign.id, id: id) }) else {
            throw APIError.notFound("Ruleset")
        }
        let body = try await req.json(context: ctx)
        let now = clock()
        var ruleset = try Self.compiledRuleset(body, campaignId: campaign.id, userId: userId, now: now)
        ruleset.id = stored.id
        ruleset.created = stored.created
        ruleset.userId = stored.userId
        ruleset.activatedAt = ruleset.activate ? (stored.activatedAt ?? now) : stored.activatedAt
        let toSave = ruleset
        try await store.write { tx in
            try tx.updateRuleset(toSave)
            if toSave.activate && campaign.activeRulesetId != toSave.id {
                var activated = campaign
                activated.activeRulesetId = toSave.id
                activated.updated = now
                try tx.updateCampaign(activated)
            }
        }
        try await catalog.reload(app.id)
        return jsonResponse(.ok, Wire.ruleset(toSave))
    }

    func deleteRuleset(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .campaigns)
        let app = try await application(ctx)
        let campaign = try await campaign(ctx, applicationId: app.id)
        let id = try ctx.parameters.id("rulesetId")
        guard try await store.write({ tx in try tx.deleteRuleset(campaignId: campaign.id, id: id) }) else {
            throw APIError.notFound("Ruleset")
        }
        try await catalog.reload(app.id)
        return emptyResponse(.noContent)
    }

    /// `code` (part of it), `createdBefore/After`, `valid`, `usable`, `advocate`: the listing's
    /// filters, and the export's.
    static func referralFilter(_ req: Request) throws -> ReferralFilter {
        var filter = ReferralFilter()
        filter.code = req.query("code")
        filter.createdBefore = try timeQuery(req, "createdBefore")
        filter.createdAfter = try timeQuery(req, "createdAfter")
        filter.valid = try validity(req)
        filter.usable = try req.boolQuery("usable")
        filter.advocate = req.query("advocate")
        return filter
    }

    /// `valid`: `expired`, `validNow` or `validFuture` (coupons and referral codes).
    static func validity(_ req: Request) throws -> CouponFilter.Validity? {
        guard let v = req.query("valid") else { return nil }
        guard let validity = CouponFilter.Validity(rawValue: v) else {
            throw APIError.invalidParameter("valid", "valid must be one of expired, validNow, validFuture")
        }
        return validity
    }

    func listReferrals(_ req: Request, _ ctx: PerkRequestContext, counting: Bool = true) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let campaign = try await campaign(ctx, applicationId: app.id)
        let (skip, limit) = try req.paging()
        let chosen = try Self.referralFilter(req)
        let now = clock()
        let page = try await store.read { tx in
            try tx.referrals(campaignId: campaign.id, filter: chosen, now: now, skip: skip, limit: limit)
        }
        return jsonResponse(
            .ok, listJSON(page.items.map { Wire.referral($0) }, total: page.total, skip: skip, counting: counting))
    }

    func deleteReferral(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .coupons)
        let app = try await application(ctx)
        let campaign = try await campaign(ctx, applicationId: app.id)
        let id = try ctx.parameters.id("referralId")
        guard try await store.write({ tx in try tx.deleteReferral(campaignId: campaign.id, id: id) }) else {
            throw APIError.notFound("Referral")
        }
        return emptyResponse(.noContent)
    }
}
