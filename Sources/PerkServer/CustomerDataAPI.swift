import HTTPTypes
import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// The Integration API operations on reservations and on a customer's data.
extension IntegrationAPI {
    func registerCustomerData(on router: Routes) {
        router.post("/v1/coupon_reservations/:couponValue") { req, ctx in try await reserve(req, ctx) }
        router.delete("/v1/coupon_reservations/:couponValue") { req, ctx in try await unreserve(req, ctx) }
        router.get("/v1/coupon_reservations/customerprofiles/:couponValue") { req, ctx in
            try await reservedCustomers(req, ctx)
        }
        router.get("/v1/coupon_reservations/coupons/:integrationId") { req, ctx in try await reservedCoupons(req, ctx) }
        router.get("/v1/customer_profiles/:integrationId/inventory") { req, ctx in try await inventory(req, ctx) }
        router.delete("/v1/customer_data/:integrationId") { req, ctx in try await deleteCustomerData(req, ctx) }
    }

    var store: any Store { catalog.store }

    /// The coupon named in the path, within the key's application; 404 when there is none.
    func pathCoupon(_ ctx: PerkRequestContext, _ app: PerkEngine.Application) async throws -> Coupon {
        let value = try ctx.parameters.text("couponValue")
        let key = app.caseSensitivity.normalize(value)
        guard
            let coupon = try await store.read({ tx in try tx.coupons(applicationId: app.id, lookupKeys: [key]) }).first
        else { throw APIError.notFound("Coupon \"\(value)\"") }
        return coupon
    }

    func snapshot(_ applicationId: Int64) async throws -> ApplicationSnapshot {
        guard let s = try await catalog.snapshot(applicationId) else { throw APIError.unauthorized }
        return s
    }

    /// `CouponReservations {integrationIDs}`: at least one profile id.
    static func integrationIDs(_ raw: ByteBuffer) throws -> [String] {
        let body = try integrationBody(raw)
        return try decode { () throws(FieldError) -> [String] in
            let r = try ObjectReader(body, at: "")
            let ids = try r.strings("integrationIDs", required: true)!
            guard !ids.isEmpty else {
                throw FieldError(
                    title: "minItems", details: "integrationIDs must name at least one profile",
                    pointer: "/integrationIDs")
            }
            for (i, id) in ids.enumerated() where id.isEmpty || id.count > 1000 {
                throw FieldError(
                    title: "minLength", details: "a profile id is 1 to 1000 characters long",
                    pointer: "/integrationIDs/\(i)")
            }
            return ids
        }
    }

    /// `POST /v1/coupon_reservations/{couponValue}` (201 `Coupon`): only a coupon that could be
    /// redeemed now and was not made for one recipient can be reserved; unknown profiles are created.
    func reserve(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, raw) = try await authenticate(req, ctx)
        let snapshot = try await snapshot(applicationId)
        let coupon = try await pathCoupon(ctx, snapshot.application)
        let ids = try Self.integrationIDs(raw)
        let now = clock()
        if let recipient = coupon.recipientIntegrationId, !recipient.isEmpty {
            throw APIError.badRequest("Coupon \"\(coupon.value)\" was made for one recipient and cannot be reserved")
        }
        guard let campaign = snapshot.campaigns.first(where: { $0.campaign.id == coupon.campaignId })?.campaign,
            Self.usable(coupon, campaign, now: now)
        else {
            throw APIError.badRequest("Coupon \"\(coupon.value)\" cannot be redeemed now and cannot be reserved")
        }
        try await store.write { tx in
            for id in ids where try tx.profile(integrationId: id) == nil {
                _ = try tx.insertProfile(CustomerProfile(id: 0, integrationId: id, created: now))
            }
            try tx.reserve(couponId: coupon.id, profileIds: ids, now: now)
        }
        return jsonResponse(.created, Wire.coupon(coupon))
    }

    /// `DELETE /v1/coupon_reservations/{couponValue}` (204), with the profiles in the body.
    func unreserve(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, raw) = try await authenticate(req, ctx)
        let coupon = try await pathCoupon(ctx, try await snapshot(applicationId).application)
        let ids = try Self.integrationIDs(raw)
        try await store.write { tx in try tx.unreserve(couponId: coupon.id, profileIds: ids) }
        return emptyResponse(.noContent)
    }

    /// `GET /v1/coupon_reservations/customerprofiles/{couponValue}`: every profile holding it.
    func reservedCustomers(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, _) = try await authenticate(req, ctx)
        let coupon = try await pathCoupon(ctx, try await snapshot(applicationId).application)
        let profiles = try await store.read { tx in try tx.reservedProfiles(couponId: coupon.id) }
        let now = clock()
        return jsonResponse(.ok, listJSON(profiles.map { Wire.profile($0, now: now) }, total: profiles.count))
    }

    /// `GET /v1/coupon_reservations/coupons/{integrationId}`: the profile's reserved coupons that
    /// are valid and usable now (an unknown profile has none).
    func reservedCoupons(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, _) = try await authenticate(req, ctx)
        let snapshot = try await snapshot(applicationId)
        let profileId = try ctx.parameters.integrationId("integrationId")
        let now = clock()
        let campaigns = Dictionary(
            snapshot.campaigns.map { ($0.campaign.id, $0.campaign) }, uniquingKeysWith: { a, _ in a })
        let coupons = try await store.read { tx in
            try tx.reservedCoupons(applicationId: applicationId, profileId: profileId)
        }.filter { c in campaigns[c.campaignId].map { Self.usable(c, $0, now: now) } ?? false }
        return jsonResponse(.ok, listJSON(coupons.map { Wire.coupon($0) }, total: coupons.count))
    }

    /// Whether a coupon could be redeemed now: running campaign, within its dates, under its limit.
    static func usable(_ coupon: Coupon, _ campaign: Campaign, now: Timestamp) -> Bool {
        guard campaign.isRunning(at: now) else { return false }
        if let start = coupon.startDate, now < start { return false }
        if let expiry = coupon.expiryDate, !(now < expiry) { return false }
        return coupon.usageLimit == 0 || coupon.usageCounter < coupon.usageLimit
    }

    /// `GET /v1/customer_profiles/{integrationId}/inventory?profile=&referrals=`: what the flags ask for.
    func inventory(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, _) = try await authenticate(req, ctx)
        let profileId = try ctx.parameters.integrationId("integrationId")
        let wantsProfile = try req.boolQuery("profile") ?? false
        let wantsReferrals = try req.boolQuery("referrals") ?? false
        let found = try await store.read { tx -> (CustomerProfile, [JSON])? in
            guard let p = try tx.profile(integrationId: profileId) else { return nil }
            return (p, wantsReferrals ? try CustomerData.referrals(tx, applicationId: applicationId, advocate: profileId) : [])
        }
        guard let (profile, referrals) = found else { throw APIError.notFound("Customer profile \"\(profileId)\"") }
        var out = JSONObject()
        if wantsProfile { out.appendUnique("profile", Wire.profile(profile, now: clock())) }
        if wantsReferrals { out.appendUnique("referrals", .array(referrals)) }
        return jsonResponse(.ok, .object(out))
    }

    /// `DELETE /v1/customer_data/{integrationId}` (204): attributes erased, counters and history kept.
    func deleteCustomerData(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        _ = try await authenticate(req, ctx)
        try await CustomerData.erase(store, integrationId: try ctx.parameters.integrationId("integrationId"))
        return emptyResponse(.noContent)
    }
}

/// What the Integration API's customer-data operations and the console's customer page (its
/// management twins) share.
enum CustomerData {
    /// The referral codes `advocate` advocates in the application, with the customers they brought.
    static func referrals(_ tx: any StoreTransaction, applicationId: Int64, advocate: String) throws -> [JSON] {
        try tx.referrals(applicationId: applicationId, advocate: advocate).map {
            Wire.referral($0, referredCustomers: try tx.referredCustomers(referralId: $0.id))
        }
    }

    /// Erases the customer's attributes, those of their sessions and cart items, and their events'
    /// attributes, in every application; counters and redemption history stay. 404 when unknown.
    static func erase(_ store: any Store, integrationId: String) async throws {
        let erased = try await store.write { tx -> Bool in
            guard try tx.profile(integrationId: integrationId) != nil else { return false }
            try tx.eraseCustomerData(profileId: integrationId)
            return true
        }
        guard erased else { throw APIError.notFound("Customer profile \"\(integrationId)\"") }
    }
}
