import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// Customers found by their attributes (`getCustomersByAttributes`, the 2020 and current
/// `getApplicationCustomersByAttributes`), and what a customer's sessions add up to
/// (`getCustomerAnalytics`, `getCustomerActivityReport[s][WithoutTotalCount]`).
extension ManagementAPI {
    func registerCustomerReports(on router: Routes) {
        router.post("/v1/customer_search/no_total") { req, ctx in try await searchCustomers(req, ctx, inApplication: false) }
        // 2020 names the search of an application's customers without naming the application:
        // its clients sign the body with the application's key (`Content-Signature`).
        router.post("/v1/application_customer_search") { req, ctx in
            try await searchCustomers(req, ctx, inApplication: false, signable: true)
        }
        router.post("/v1/applications/:applicationId/customer_search") { req, ctx in
            try await searchCustomers(req, ctx, inApplication: true)
        }
        let reports = "/v1/applications/:applicationId/customer_activity_reports"
        router.get(RouterPath(reports)) { req, ctx in try await activityReports(req, ctx, counting: true) }
        router.get(RouterPath(reports + "/no_total")) { req, ctx in try await activityReports(req, ctx, counting: false) }
        router.get(RouterPath(reports + "/:customerId")) { req, ctx in try await activityReport(req, ctx) }
        router.get("/v1/applications/:applicationId/customers/:customerId/analytics") { req, ctx in
            try await customerAnalytics(req, ctx)
        }
    }

    /// Most sessions of one customer a report adds up (the newest): bounds what one report reads.
    static let reportedSessionsPerCustomer = 1_000
    /// Most customers per page of activity reports (each reads up to the bound above).
    static let reportsPerPage = 100

    /// `ApplicationCustomerSearch`: `attributes` (exact values), `integrationIDs`, `profileIDs`;
    /// each one given narrows the search.
    static func customerSearch(_ body: JSON) throws -> CustomerSearch {
        let r = try ObjectReader(body, at: "")
        var search = CustomerSearch()
        if let a = try r.object("attributes"), !a.isEmpty { search.attributes = JSON.object(a).text }
        search.integrationIds = try r.strings("integrationIDs")
        search.profileIds = try r.ids("profileIDs")
        return search
    }

    /// `signable`: a body signed with an application's key (`Content-Signature`, no
    /// `Authorization`) searches that application's customers, as an integration may.
    func searchCustomers(_ req: Request, _ ctx: PerkRequestContext, inApplication: Bool, signable: Bool = false)
        async throws -> Response
    {
        var applicationId: Int64?
        let body = try await req.bodyBytes(context: ctx)
        if signable, let signature = ContentSignature.sent(with: req) {
            applicationId = try await ContentSignature.signer(signature, body: body, catalog: catalog)
        } else if inApplication {
            try await authorize(req, ctx, .read)
            applicationId = try await application(ctx).id
        } else {
            try await member(req)
        }
        let (skip, limit) = try req.paging()
        let search = try Self.customerSearch(try parseJSON(body))
        let counting = try req.boolQuery("withTotalResultSize") ?? false
        let scope = applicationId
        // One more than shown tells whether more follow.
        let page = try await store.read { tx in
            try tx.customers(search: search, applicationId: scope, skip: skip, limit: limit + 1, counting: counting)
        }
        let now = clock()
        let items = page.items.prefix(limit).map { Wire.profile($0, now: now) }
        var out = JSONObject()
        out.appendUnique("hasMore", .bool(page.items.count > limit))
        if counting { out.appendUnique("totalResultSize", .number(page.total)) }
        out.appendUnique("data", .array(Array(items)))
        return jsonResponse(.ok, .object(out))
    }

    func activityReports(_ req: Request, _ ctx: PerkRequestContext, counting: Bool) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let (skip, limit) = try req.paging(defaultSize: Self.reportsPerPage)
        guard limit <= Self.reportsPerPage else {
            throw APIError.invalidParameter(
                "pageSize", "pageSize must be at most \(Self.reportsPerPage) for activity reports")
        }
        let (start, end) = try Self.timeRange(req)
        var filter = CustomerActivityFilter(from: start, before: end)
        filter.name = req.query("name")
        filter.integrationId = req.query("integrationId")
        filter.campaignName = req.query("campaignName")
        filter.advocateName = req.query("advocateName")
        if let order = try req.sortQuery(CustomerField.self) { filter.order = order }
        let query = filter
        let (page, reports) = try await store.read { tx in
            // One more than shown tells whether more follow.
            let page = try tx.activeCustomers(
                applicationId: app.id, filter: query, skip: skip, limit: limit + 1, counting: counting)
            let reports = try page.items.prefix(limit).map { p in
                try Self.activityReport(tx, p, applicationId: app.id, from: start, before: end)
            }
            return (page, reports)
        }
        return jsonResponse(
            .ok,
            counting
                ? listJSON(reports, total: page.total) : pageWithoutTotal(reports, hasMore: page.items.count > limit))
    }

    func activityReport(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let (start, end) = try Self.timeRange(req)
        let id = try ctx.parameters.id("customerId")
        let report = try await found("Customer profile") { tx -> JSON? in
            guard let p = try tx.profile(id: id) else { return nil }
            return try Self.activityReport(tx, p, applicationId: app.id, from: start, before: end)
        }
        return jsonResponse(.ok, report)
    }

    /// The 2020 `CustomerActivityReport` of one customer over [`from`, `before`).
    static func activityReport(
        _ tx: any StoreTransaction, _ p: CustomerProfile, applicationId: Int64, from: Timestamp, before: Timestamp
    ) throws -> JSON {
        let sessions = try tx.customerSessions(
            applicationId: applicationId, profileId: p.integrationId, from: from, before: before,
            limit: reportedSessionsPerCustomer)
        let a = CustomerActivity(sessions: sessions)
        let names = try a.campaignIds.sorted().compactMap { try tx.campaign(applicationId: applicationId, id: $0)?.name }
        var o = JSONObject()
        o.appendUnique("integrationId", .string(p.integrationId))
        o.appendUnique("created", p.created.json)
        o.appendUnique("name", .string(p.attributes["Name"]?.stringValue ?? ""))
        o.appendUnique("customerId", .number(p.id))
        o.appendUnique("lastActivity", p.lastActivity.json)
        o.appendUnique("couponRedemptions", .number(a.couponRedemptions))
        o.appendUnique("couponUseAttempts", .number(a.couponAttempts))
        o.appendUnique("couponFailedAttempts", .number(a.couponFailures))
        o.appendUnique("accruedDiscounts", a.discounts.json)
        o.appendUnique("accruedRevenue", a.revenue.json)
        o.appendUnique("totalOrders", .number(a.orders))
        o.appendUnique("totalOrdersNoCoupon", .number(a.ordersWithoutCoupon))
        o.appendUnique("campaignName", .string(names.joined(separator: ", ")))
        return .object(o)
    }

    func customerAnalytics(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        _ = try req.paging()
        let id = try ctx.parameters.id("customerId")
        let out = try await found("Customer profile") { tx -> JSON? in
            guard let p = try tx.profile(id: id) else { return nil }
            let sessions = try tx.customerSessions(
                applicationId: app.id, profileId: p.integrationId, from: nil, before: nil,
                limit: Self.reportedSessionsPerCustomer)
            let a = CustomerActivity(sessions: sessions)
            var o = JSONObject()
            o.appendUnique("acceptedCoupons", .number(a.couponRedemptions))
            o.appendUnique("createdCoupons", .number(try tx.couponCount(applicationId: app.id, recipient: p.integrationId)))
            o.appendUnique("freeItems", .number(a.freeItems))
            o.appendUnique("totalOrders", .number(a.orders))
            o.appendUnique("totalDiscountedOrders", .number(a.discountedOrders))
            o.appendUnique("totalRevenue", a.revenue.json)
            o.appendUnique("totalDiscounts", a.discounts.json)
            return .object(o)
        }
        return jsonResponse(.ok, out)
    }
}
