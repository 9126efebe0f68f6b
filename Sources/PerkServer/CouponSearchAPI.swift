import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// Coupon listings: a campaign's (`getCoupons`, `getCouponsWithoutTotalCount`), and those found by
/// their attributes (`getCouponsByAttributes*`, `searchCouponsAdvanced*`) in one campaign or in every
/// campaign of an application, with or without the count of all matches.
extension ManagementAPI {
    func registerCouponSearch(on router: Routes) {
        let campaign = "/v1/applications/:applicationId/campaigns/:campaignId"
        router.get(RouterPath(campaign + "/coupons")) { req, ctx in
            try await searchCoupons(req, ctx, wholeApplication: false, byAttributes: false)
        }
        router.get(RouterPath(campaign + "/coupons/no_total")) { req, ctx in
            try await searchCoupons(req, ctx, wholeApplication: false, byAttributes: false, counting: false)
        }
        // 2020 has both names for one search by exact attribute values.
        for search in ["/coupons_search", "/coupons_search_advanced"] {
            router.post(RouterPath(campaign + search)) { req, ctx in
                try await searchCoupons(req, ctx, wholeApplication: false)
            }
            router.post(RouterPath("/v1/applications/:applicationId" + search)) { req, ctx in
                try await searchCoupons(req, ctx, wholeApplication: true)
            }
        }
        router.post(RouterPath(campaign + "/coupons_search_advanced/no_total")) { req, ctx in
            try await searchCoupons(req, ctx, wholeApplication: false, counting: false)
        }
        router.post(RouterPath("/v1/applications/:applicationId/coupons_search_advanced/no_total")) { req, ctx in
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

    /// `byAttributes`: the body holds the attribute values to match (a search); otherwise a listing.
    func searchCoupons(
        _ req: Request, _ ctx: PerkRequestContext, wholeApplication: Bool, byAttributes: Bool = true,
        counting: Bool = true
    ) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let (skip, limit) = try req.paging()
        var query = try Self.couponFilter(req)
        if byAttributes { query.attributes = try Self.attributeQuery(try await req.json(context: ctx)) }
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
        return jsonResponse(.ok, pageWithoutTotal(Array(items), hasMore: page.items.count > limit))
    }
}
