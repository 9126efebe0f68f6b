import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// What the Integration API recorded, read through the management API: an application's
/// customers, sessions and events (`getApplicationCustomers`, `getCustomerProfile`,
/// `getApplicationSessions`, `getApplicationSession`, `getApplicationEvents`).
extension ManagementAPI {
    func registerActivity(on router: Routes) {
        router.get("/v1/applications/:applicationId/customers") { req, ctx in try await listCustomers(req, ctx) }
        router.get("/v1/applications/:applicationId/customers/:customerId") { req, ctx in
            try await getApplicationCustomer(req, ctx)
        }
        router.get("/v1/customers/no_total") { req, ctx in try await listAllCustomers(req, ctx) }
        router.get("/v1/customers/:customerId") { req, ctx in try await getCustomer(req, ctx) }
        router.get("/v1/applications/:applicationId/sessions") { req, ctx in try await listSessions(req, ctx) }
        router.get("/v1/applications/:applicationId/sessions/:sessionId") { req, ctx in
            try await getSession(req, ctx)
        }
        router.get("/v1/applications/:applicationId/events") { req, ctx in try await listEvents(req, ctx) }
        router.get("/v1/applications/:applicationId/events/no_total") { req, ctx in
            try await listEvents(req, ctx, counting: false)
        }
    }

    /// `sort`: `created`/`id` oldest first, `-created`/`-id` (the default) newest first.
    static func ascending(_ req: Request) throws -> Bool {
        switch req.query("sort") {
        case nil, "-created", "-id": return false
        case "created", "id": return true
        default: throw APIError.invalidParameter("sort", "sort must be one of created, -created, id, -id")
        }
    }

    func listCustomers(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let (skip, limit) = try req.paging()
        let page = try await store.read { tx in
            try tx.customers(search: CustomerSearch(), applicationId: app.id, skip: skip, limit: limit, counting: true)
        }
        let now = clock()
        return jsonResponse(.ok, listJSON(page.items.map { Wire.profile($0, now: now) }, total: page.total))
    }

    /// `GET /v1/customers/no_total` (`getCustomerProfiles`): every profile of the account.
    func listAllCustomers(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await member(req)
        let (skip, limit) = try req.paging()
        let page = try await store.read { tx in
            try tx.customers(search: CustomerSearch(), applicationId: nil, skip: skip, limit: limit + 1, counting: false)
        }
        let now = clock()
        return jsonResponse(
            .ok,
            pageWithoutTotal(page.items.prefix(limit).map { Wire.profile($0, now: now) }, hasMore: page.items.count > limit))
    }

    func getApplicationCustomer(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        _ = try await application(ctx)
        return try await customer(ctx)
    }

    func getCustomer(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await member(req)
        return try await customer(ctx)
    }

    func customer(_ ctx: PerkRequestContext) async throws -> Response {
        let id = try ctx.parameters.id("customerId")
        guard let profile = try await store.read({ tx in try tx.profile(id: id) }) else {
            throw APIError.notFound("Customer profile")
        }
        return jsonResponse(.ok, Wire.profile(profile, now: clock()))
    }

    func listSessions(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let (skip, limit) = try req.paging()
        let ascending = try Self.ascending(req)
        var filter = SessionFilter()
        filter.profile = req.query("profile")
        filter.coupon = req.query("coupon")
        filter.referral = req.query("referral")
        filter.integrationId = req.query("integrationId")
        filter.customerId = try req.intQuery("customerId").map(Int64.init)
        if let state = req.query("state") {
            guard let s = SessionState(rawValue: state) else {
                throw APIError.invalidParameter("state", "state must be one of open, closed, cancelled")
            }
            filter.state = s
        }
        let sessionFilter = filter
        let (page, profileIds) = try await store.read { tx in
            let page = try tx.sessions(
                applicationId: app.id, filter: sessionFilter, ascending: ascending, skip: skip, limit: limit)
            return (page, try Self.profileIds(tx, page.items.map(\.profileId)))
        }
        var out = JSONObject()
        out.appendUnique("totalResultSize", .number(page.total))
        out.appendUnique("hasMore", .bool(skip + page.items.count < page.total))
        out.appendUnique(
            "data", .array(page.items.map { Wire.applicationSession($0, profileId: profileIds[$0.profileId]) }))
        return jsonResponse(.ok, .object(out))
    }

    func getSession(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let id = try ctx.parameters.id("sessionId")
        let found = try await store.read { tx -> (CustomerSession, [String: Int64])? in
            guard let s = try tx.session(applicationId: app.id, id: id) else { return nil }
            return (s, try Self.profileIds(tx, [s.profileId]))
        }
        guard let (session, ids) = found else { throw APIError.notFound("Session") }
        return jsonResponse(.ok, Wire.applicationSession(session, profileId: ids[session.profileId]))
    }

    func listEvents(_ req: Request, _ ctx: PerkRequestContext, counting: Bool = true) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let (skip, limit) = try req.paging()
        let ascending = try Self.ascending(req)
        var filter = EventFilter()
        filter.type = req.query("type")
        filter.session = req.query("session")
        filter.profile = req.query("profile")
        filter.customerName = req.query("customerName")
        filter.customerEmail = req.query("customerEmail")
        filter.couponCode = req.query("couponCode")
        filter.referralCode = req.query("referralCode")
        filter.ruleName = req.query("ruleQuery")
        filter.campaignName = req.query("campaignQuery")
        filter.createdBefore = try Self.timeQuery(req, "createdBefore")
        filter.createdAfter = try Self.timeQuery(req, "createdAfter")
        let eventFilter = filter
        let page = try await store.read { tx in
            try tx.events(applicationId: app.id, filter: eventFilter, ascending: ascending, skip: skip, limit: limit)
        }
        return jsonResponse(
            .ok, listJSON(page.items.map(Wire.applicationEvent), total: page.total, skip: skip, counting: counting))
    }

    static func timeQuery(_ req: Request, _ name: String) throws -> Timestamp? {
        guard let raw = req.query(name) else { return nil }
        guard let t = Timestamp(rfc3339: raw) else {
            throw APIError.invalidParameter(name, "\(name) must be an RFC 3339 time")
        }
        return t
    }

    /// The required `rangeStart` and `rangeEnd` of the reports and logs.
    static func timeRange(_ req: Request) throws -> (start: Timestamp, end: Timestamp) {
        guard let start = try timeQuery(req, "rangeStart") else {
            throw APIError.invalidParameter("rangeStart", "rangeStart is required: the RFC 3339 time to list from")
        }
        guard let end = try timeQuery(req, "rangeEnd") else {
            throw APIError.invalidParameter("rangeEnd", "rangeEnd is required: the RFC 3339 time to list until")
        }
        return (start, end)
    }

    static func profileIds(_ tx: any StoreTransaction, _ integrationIds: [String]) throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for id in Set(integrationIds) where !id.isEmpty {
            if let n = try tx.profileId(integrationId: id) { out[id] = n }
        }
        return out
    }
}

extension Wire {
    /// `ApplicationSession`: the v1 view of a session with the profile's internal id.
    static func applicationSession(_ s: CustomerSession, profileId: Int64?) -> JSON {
        guard case .object(let v1) = sessionV1(s, effects: s.effects) else { return .null }
        var o = JSONObject()
        o.appendUnique("id", .number(s.id))
        o.appendUnique("created", s.created.json)
        o.appendUnique("applicationId", .number(s.applicationId))
        if let profileId { o.appendUnique("profileId", .number(profileId)) }
        o.appendUnique("integrationId", .string(s.integrationId))
        o.appendUnique("profileintegrationid", .string(s.profileId))
        for key in ["coupon", "referral", "state", "cartItems", "discounts", "total", "attributes"] {
            if let v = v1[key] { o.appendUnique(key, v) }
        }
        // Later versions of the API (and of its SDKs) also want the discounts' sum.
        let totalDiscounts = s.effects.compactMap(\.discount).reduce(DecimalNumber.zero) { $0 + $1.value }
        o.appendUnique("totalDiscounts", totalDiscounts.json)
        return .object(o)
    }

    /// `ApplicationEvent`: ids of the session and profile are the internal ones.
    static func applicationEvent(_ e: StoredEvent) -> JSON {
        var o = JSONObject()
        o.appendUnique("id", .number(e.id))
        o.appendUnique("created", e.created.json)
        o.appendUnique("applicationId", .number(e.applicationId))
        if let p = e.profileId { o.appendUnique("profileId", .number(p)) }
        if let s = e.sessionId { o.appendUnique("sessionId", .number(s)) }
        o.appendUnique("type", .string(e.type))
        o.appendUnique("attributes", .object(e.attributes))
        o.appendUnique("effects", .array(e.effects.map(\.json)))
        return .object(o)
    }
}
