import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// Coupons of a campaign listed and deleted by the reference's filters, one coupon read, updated
/// or deleted, and a campaign deleted.
extension ManagementAPI {
    func registerCouponManagement(on router: Routes) {
        let coupons = "/v1/applications/:applicationId/campaigns/:campaignId/coupons"
        router.delete(RouterPath(coupons)) { req, ctx in try await deleteCoupons(req, ctx) }
        router.put(RouterPath(coupons)) { req, ctx in try await updateCouponBatch(req, ctx) }
        router.get(RouterPath(coupons + "/:couponId")) { req, ctx in try await getCoupon(req, ctx) }
        router.put(RouterPath(coupons + "/:couponId")) { req, ctx in try await updateCoupon(req, ctx) }
        router.delete(RouterPath(coupons + "/:couponId")) { req, ctx in try await deleteCoupon(req, ctx) }
        router.delete("/v1/applications/:applicationId/campaigns/:campaignId") { req, ctx in
            try await deleteCampaign(req, ctx)
        }
    }

    /// `value`, `exactMatch`, `createdBefore/After`, `startsBefore/After`, `expiresBefore/After`,
    /// `valid` (expired, validNow, validFuture), `usable`, `batchId`, `referralId`,
    /// `recipientIntegrationId`.
    static func couponFilter(_ req: Request) throws -> CouponFilter {
        var f = CouponFilter()
        f.value = req.query("value")
        f.exactMatch = try req.boolQuery("exactMatch") ?? false
        f.createdBefore = try timeQuery(req, "createdBefore")
        f.createdAfter = try timeQuery(req, "createdAfter")
        f.startsBefore = try timeQuery(req, "startsBefore")
        f.startsAfter = try timeQuery(req, "startsAfter")
        f.expiresBefore = try timeQuery(req, "expiresBefore")
        f.expiresAfter = try timeQuery(req, "expiresAfter")
        f.valid = try validity(req)
        f.usable = try req.boolQuery("usable")
        f.batchId = req.query("batchId")
        if let r = req.query("referralId") {
            guard let id = Int64(r) else {
                throw APIError.invalidParameter("referralId", "referralId must be an integer")
            }
            f.referralId = id
        }
        f.recipientIntegrationId = req.query("recipientIntegrationId")
        if let order = try req.sortQuery(CouponField.self) { f.order = order }
        return f
    }

    func deleteCoupons(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .coupons)
        let app = try await application(ctx)
        let campaign = try await campaign(ctx, applicationId: app.id)
        let filter = try Self.couponFilter(req)
        let now = clock()
        _ = try await store.write { tx in try tx.deleteCoupons(campaignId: campaign.id, filter: filter, now: now) }
        return emptyResponse(.noContent)
    }

    /// `UpdateCouponBatch {batchID, usageLimit?, startDate?, expiryDate?, attributes?}` (204): the
    /// same update applied to every coupon of the batch.
    func updateCouponBatch(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .coupons)
        let app = try await application(ctx)
        let campaign = try await campaign(ctx, applicationId: app.id)
        let body = try await req.json(context: ctx)
        let batchId: String
        do {
            batchId = try ObjectReader(body, at: "").string("batchID", required: true, minLength: 1)!
            _ = try Self.applyUpdate(body, to: Coupon(id: 0, created: clock(), campaignId: 0, value: "", usageLimit: 0))
        } catch {
            throw APIError.invalid(error)
        }
        var filter = CouponFilter()
        filter.batchId = batchId
        let batch = filter
        let now = clock()
        try await store.write { tx in
            var skip = 0
            while true {
                let page = try tx.coupons(campaignId: campaign.id, filter: batch, now: now, skip: skip, limit: 1000)
                for coupon in page.items { try tx.updateCoupon(try Self.applyUpdate(body, to: coupon)) }
                skip += page.items.count
                if page.items.isEmpty || skip >= page.total { break }
            }
        }
        return emptyResponse(.noContent)
    }

    func pathCoupon(_ ctx: PerkRequestContext) async throws -> Coupon {
        let app = try await application(ctx)
        let campaign = try await campaign(ctx, applicationId: app.id)
        let id = try ctx.parameters.id("couponId")
        guard let coupon = try await store.read({ tx in try tx.coupon(campaignId: campaign.id, id: id) }) else {
            throw APIError.notFound("Coupon")
        }
        return coupon
    }

    func getCoupon(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        return jsonResponse(.ok, Wire.coupon(try await pathCoupon(ctx)))
    }

    /// `UpdateCoupon {usageLimit?, startDate?, expiryDate?, recipientIntegrationId?, attributes?}`:
    /// fields present are replaced (null clears a date or the recipient).
    func updateCoupon(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .coupons)
        var coupon = try await pathCoupon(ctx)
        let body = try await req.json(context: ctx)

        do {
            coupon = try Self.applyUpdate(body, to: coupon)
        } catch {
            throw APIError.invalid(error)
        }
        let updated = coupon
        try await store.write { tx in try tx.updateCoupon(updated) }
        return jsonResponse(.ok, Wire.coupon(updated))
    }

    static func applyUpdate(_ body: JSON, to original: Coupon) throws(FieldError) -> Coupon {
        var coupon = original
        let r = try ObjectReader(body, at: "")
        if let limit = try r.integer("usageLimit", minimum: 0, maximum: 999_999) { coupon.usageLimit = limit }
        if r.object.contains("startDate") { coupon.startDate = try r.timestamp("startDate") }
        if r.object.contains("expiryDate") { coupon.expiryDate = try r.timestamp("expiryDate") }
        if r.object.contains("recipientIntegrationId") {
            coupon.recipientIntegrationId = try r.string("recipientIntegrationId", maxLength: 1000)
        }
        if let attributes = try r.object("attributes") { coupon.attributes = attributes }
        return coupon
    }

    func deleteCoupon(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .coupons)
        let coupon = try await pathCoupon(ctx)
        var one = CouponFilter()
        one.id = coupon.id
        let filter = one
        let now = clock()
        _ = try await store.write { tx in try tx.deleteCoupons(campaignId: coupon.campaignId, filter: filter, now: now)
        }
        return emptyResponse(.noContent)
    }

    /// `DELETE .../campaigns/{id}` (204): with its rulesets, coupons, referrals and budgets.
    func deleteCampaign(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .campaigns)
        let app = try await application(ctx)
        let id = try ctx.parameters.id("campaignId")
        guard try await store.write({ tx in try tx.deleteCampaign(applicationId: app.id, id: id) }) else {
            throw APIError.notFound("Campaign")
        }
        try await catalog.reload(app.id)
        return emptyResponse(.noContent)
    }
}
