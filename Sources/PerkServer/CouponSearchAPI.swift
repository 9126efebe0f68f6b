import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// Coupons found by their attributes (`searchCouponsAdvanced*`), in one campaign or in every
/// campaign of an application, with or without the count of all matches.
extension ManagementAPI {
    func registerCouponSearch(on router: Routes) {
        let inCampaign = "/v1/applications/:applicationId/campaigns/:campaignId/coupons_search_advanced"
        router.post(RouterPath(inCampaign)) { req, ctx in try await searchCoupons(req, ctx, wholeApplication: false) }
        router.post(RouterPath(inCampaign + "/no_total")) { req, ctx in
            try await searchCoupons(req, ctx, wholeApplication: false, counting: false)
        }
        let inApplication = "/v1/applications/:applicationId/coupons_search_advanced"
        router.post(RouterPath(inApplication)) { req, ctx in try await searchCoupons(req, ctx, wholeApplication: true) }
        router.post(RouterPath(inApplication + "/no_total")) { req, ctx in
            try await searchCoupons(req, ctx, wholeApplication: true, counting: false)
        }
    }

    /// The attributes a search asks for: the body's members, or those of its `attributes` object
    /// when that is its only member (the reference's `CouponSearch` shape).
    static func attributeQuery(_ body: JSON) throws -> JSONObject {
        guard let object = body.objectValue else {
            throw APIError.invalid(
                FieldError(
                    title: "Invalid type", details: "the body must be an object of attribute values", pointer: ""))
        }
        if object.count == 1, let inner = object["attributes"]?.objectValue { return inner }
        return object
    }

    func searchCoupons(_ req: Request, _ ctx: BasicRequestContext, wholeApplication: Bool, counting: Bool = true)
        async throws -> Response
    {
        _ = try await user(req)
        let app = try await application(ctx)
        let (skip, limit) = try req.paging()
        var query = try Self.couponFilter(req)
        query.attributes = try Self.attributeQuery(try await req.json(context: ctx))
        let filter = query
        let now = clock()
        let campaignIds: [Int64]
        if wholeApplication {
            var campaigns = try await store.read { tx in try tx.campaigns(applicationId: app.id) }
            if let state = req.query("campaignState") {
                campaigns = try Self.campaigns(campaigns, inState: state, now: now)
            }
            campaignIds = campaigns.map(\.id)
        } else {
            campaignIds = [try await campaign(ctx, applicationId: app.id).id]
        }
        let page = try await store.read { tx in
            try tx.coupons(
                applicationId: app.id, campaignIds: campaignIds, filter: filter, now: now, skip: skip,
                // One more than asked tells whether there are more.
                limit: counting ? limit : limit + 1, counting: counting)
        }
        let items = page.items.prefix(limit).map { Wire.coupon($0) }
        if counting { return jsonResponse(.ok, listJSON(Array(items), total: page.total)) }
        return jsonResponse(.ok, ["hasMore": .bool(page.items.count > limit), "data": .array(Array(items))])
    }
}
