import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// A customer as the console shows one (Perk's own routes, for people rather than shops): found
/// by the shop's integration id, with what they hold, and their personal data erased on request.
/// The Integration API has the same operations for a key (`…/inventory`, `customer_data`).
extension ManagementAPI {
    func registerCustomerLookup(on router: Routes) {
        router.get("/v1/applications/:applicationId/customer_profiles/:integrationId/inventory") { req, ctx in
            try await customerInventory(req, ctx)
        }
        router.delete("/v1/applications/:applicationId/customer_data/:integrationId") { req, ctx in
            try await eraseCustomer(req, ctx)
        }
    }

    /// `{profile, coupons, referrals}`: the profile, the coupons reserved for it, and the
    /// referral codes it advocates in this application (with the customers they brought).
    func customerInventory(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let integrationId = try ctx.parameters.integrationId("integrationId")
        let found = try await store.read { tx -> (CustomerProfile, [Coupon], [JSON])? in
            guard let p = try tx.profile(integrationId: integrationId) else { return nil }
            let referrals = try CustomerData.referrals(tx, applicationId: app.id, advocate: integrationId)
            return (p, try tx.reservedCoupons(applicationId: app.id, profileId: integrationId), referrals)
        }
        guard let (profile, coupons, referrals) = found else {
            throw APIError.notFound("Customer profile \"\(integrationId)\"")
        }
        var out = JSONObject()
        out.appendUnique("profile", Wire.profile(profile, now: clock()))
        out.appendUnique("coupons", .array(coupons.map { Wire.coupon($0) }))
        out.appendUnique("referrals", .array(referrals))
        return jsonResponse(.ok, .object(out))
    }

    /// Erases the customer's attributes, those of their sessions and cart items, and their events'
    /// attributes, in every application; counters and redemption history stay (as `customer_data`).
    func eraseCustomer(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        _ = try await application(ctx)
        try await CustomerData.erase(store, integrationId: try ctx.parameters.integrationId("integrationId"))
        return emptyResponse(.noContent)
    }
}
