import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// The Integration API: what shops call with an application key.
struct IntegrationAPI: Sendable {
    let catalog: Catalog
    let sessions: SessionService
    let clock: @Sendable () -> Timestamp

    func register(on router: Router<BasicRequestContext>) {
        router.put("/v2/customer_sessions/:customerSessionId") { req, ctx in try await updateSessionV2(req, ctx) }
    }

    /// The application of the request's `Authorization: ApiKey-v1 <key>`.
    func application(_ req: Request) async throws -> Int64 {
        let digest = Credentials.digest(try req.credential(scheme: "ApiKey-v1"))
        guard let id = try await catalog.application(forKeyDigest: digest, now: clock()) else {
            throw APIError.unauthorized
        }
        return id
    }

    func updateSessionV2(_ req: Request, _ ctx: BasicRequestContext) async throws -> Response {
        let applicationId = try await application(req)
        let integrationId = try ctx.parameters.text("customerSessionId")
        guard !integrationId.isEmpty, integrationId.count <= 1000 else {
            throw APIError.invalidParameter("customerSessionId", "customerSessionId must be 1 to 1000 characters long")
        }
        let body = try await req.json(context: ctx)
        let (patch, content) = try decode { try IntegrationRequests.sessionV2(body) }
        let outcome: SessionOutcome
        do {
            outcome = try await sessions.update(
                applicationId: applicationId, integrationId: integrationId, patch: patch, cascading: true,
                countProfileRedemptions: content.contains("coupons"))
        } catch SessionService.Failure.session(let e) {
            throw APIError(status: .badRequest, message: e.message)
        } catch SessionService.Failure.unknownApplication {
            throw APIError.unauthorized
        }
        return jsonResponse(.ok, IntegrationResponses.stateV2(outcome, content: content, now: clock()))
    }
}

enum IntegrationRequests {
    /// More codes than any cart carries; bounds the work one request can ask for.
    static let maxCouponCodes = 100

    static let responseContentValues = [
        "customerSession", "customerProfile", "coupons", "triggeredCampaigns", "referral", "loyalty", "event",
    ]

    /// `IntegrationRequest {customerSession: NewCustomerSessionV2, responseContent?}`.
    static func sessionV2(_ body: JSON) throws(FieldError) -> (SessionPatch, Set<String>) {
        let root = try ObjectReader(body, at: "")
        let r = try ObjectReader(
            try root.value("customerSession", required: true)!, at: "/customerSession", name: "customerSession")
        var patch = SessionPatch()
        patch.profileId = try r.string("profileId", maxLength: 1000)
        patch.couponCodes = try r.strings("couponCodes")?.filter { !$0.isEmpty }
        if let codes = patch.couponCodes, codes.count > maxCouponCodes {
            throw FieldError(
                title: "maxItems", details: "couponCodes can hold at most \(maxCouponCodes) codes",
                pointer: r.path("couponCodes"))
        }
        patch.referralCode = try r.string("referralCode")
        patch.state = try r.enumeration("state", SessionState.self)
        if let items = try r.array("cartItems") {
            var cart: [CartItem] = []
            cart.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                cart.append(try CartItem(json: item, at: JSONPointer.append(r.path("cartItems"), i)))
            }
            patch.cartItems = cart
        }
        if let costs = try r.object("additionalCosts") {
            var out: [(name: String, price: DecimalNumber)] = []
            for (name, cost) in costs {
                let c = try ObjectReader(
                    cost, at: JSONPointer.append(r.path("additionalCosts"), name), name: "additional cost")
                out.append((name, try c.decimal("price", required: true)!))
            }
            patch.additionalCosts = out
        }
        patch.identifiers = try r.strings("identifiers")
        patch.attributes = try r.object("attributes")

        var content: Set<String> = []
        for (i, value) in (try root.strings("responseContent") ?? []).enumerated() {
            guard responseContentValues.contains(value) else {
                throw ObjectReader.enumError("/responseContent/\(i)", "responseContent", responseContentValues)
            }
            content.insert(value)
        }
        return (patch, content)
    }
}

enum IntegrationResponses {
    /// `IntegrationStateV2`: effects and created codes always, the rest as `responseContent` asks.
    static func stateV2(_ o: SessionOutcome, content: Set<String>, now: Timestamp) -> JSON {
        var out = JSONObject()
        if content.contains("customerSession") { out.appendUnique("customerSession", Wire.sessionV2(o.session)) }
        if content.contains("customerProfile") {
            out.appendUnique("customerProfile", Wire.profile(o.profile, now: now))
        }
        if content.contains("event") { out.appendUnique("event", Wire.event(o.event, effects: o.effects)) }
        if content.contains("loyalty") { out.appendUnique("loyalty", ["programs": [:]]) }
        if content.contains("coupons") {
            out.appendUnique(
                "coupons",
                .array(o.coupons.map { Wire.coupon($0, profileRedemptionCount: o.profileRedemptions[$0.id] ?? 0) }))
        }
        if content.contains("triggeredCampaigns") {
            out.appendUnique("triggeredCampaigns", .array(o.triggeredCampaigns.map { Wire.campaign($0, now: now) }))
        }
        out.appendUnique("effects", .array(o.effects.map(\.json)))
        out.appendUnique("createdCoupons", [])
        out.appendUnique("createdReferrals", [])
        return .object(out)
    }
}
