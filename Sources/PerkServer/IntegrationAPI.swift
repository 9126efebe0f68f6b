import HTTPTypes
import Hummingbird
import NIOCore
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// The Integration API: what shops call with an application key.
struct IntegrationAPI: Sendable {
    let catalog: Catalog
    let sessions: SessionService
    let events: EventService
    let clock: @Sendable () -> Timestamp

    func register(on router: Routes) {
        router.put("/v2/customer_sessions/:customerSessionId") { req, ctx in try await updateSessionV2(req, ctx) }
        router.put("/v1/customer_sessions/:customerSessionId") { req, ctx in try await updateSessionV1(req, ctx) }
        router.post("/v1/referrals") { req, ctx in try await createReferral(req, ctx) }
        router.post("/v1/events") { req, ctx in try await trackEvent(req, ctx) }
        router.put("/v1/customer_profiles/:integrationId") { req, ctx in try await updateProfile(req, ctx) }
        registerCustomerData(on: router)
        registerCurrent(on: router)
        registerLoyalty(on: router)
    }

    /// The application of the request's `Authorization: ApiKey-v1 <key>`. A staging key is
    /// good for dry runs only (`dryRunnable` endpoints with `dry=true`), else 403.
    func application(_ req: Request, dryRunnable: Bool) async throws -> Int64 {
        let digest = Credentials.digest(try req.credential(scheme: "ApiKey-v1"))
        guard let key = try await catalog.application(forKeyDigest: digest, now: clock()) else {
            throw APIError.unauthorized
        }
        if key.staging, !(dryRunnable && (try? req.boolQuery("dry")) == true) {
            throw APIError(status: .forbidden, message: "A staging API key can only be used for dry requests")
        }
        return key.id
    }

    /// The request's application and raw body. `Authorization: ApiKey-v1` works everywhere;
    /// `Content-Signature` where `signed` (every endpoint but the v2 session update).
    func authenticate(_ req: Request, _ ctx: PerkRequestContext, signed: Bool = true, dryRunnable: Bool = false)
        async throws -> (applicationId: Int64, body: ByteBuffer)
    {
        let body = try await req.bodyBytes(context: ctx)
        guard signed, let raw = ContentSignature.sent(with: req) else {
            return (try await application(req, dryRunnable: dryRunnable), body)
        }
        return (try await ContentSignature.signer(raw, body: body, catalog: catalog), body)
    }

    func updateSessionV2(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, raw) = try await authenticate(req, ctx, signed: false, dryRunnable: true)
        let integrationId = try Self.sessionId(ctx)
        let body = try integrationBody(raw)
        let (patch, content) = try decode { try IntegrationRequests.sessionV2(body) }
        try await validateAttributes(of: patch, applicationId: applicationId, pointer: "/customerSession")
        var dry = try Self.dryRun(req)
        dry?.evaluableCampaignIds = try decode { try IntegrationRequests.evaluableCampaignIds(body) }
        let outcome = try await update(
            applicationId: applicationId, integrationId: integrationId, patch: patch, cascading: true,
            countProfileRedemptions: content.contains("coupons"), listReferredCustomers: content.contains("referral"),
            dry: dry)
        RuleFailures.report(outcome.failures, logger: ctx.logger)
        return jsonResponse(.ok, IntegrationResponses.stateV2(outcome, content: content, now: clock()))
    }

    /// `PUT /v1/customer_sessions/{id}`: the 2020 `IntegrationState`, effects as arrays, no cascading.
    func updateSessionV1(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, raw) = try await authenticate(req, ctx)
        let integrationId = try Self.sessionId(ctx)
        let body = try integrationBody(raw)
        let patch = try decode { try IntegrationRequests.sessionV1(body) }
        try await validateAttributes(of: patch, applicationId: applicationId, pointer: "")
        let outcome = try await update(
            applicationId: applicationId, integrationId: integrationId, patch: patch, cascading: false,
            dry: try Self.dryRun(req))
        RuleFailures.report(outcome.failures, logger: ctx.logger)
        return jsonResponse(.ok, IntegrationResponses.stateV1(outcome, now: clock()))
    }

    /// Session and cart item attributes must be declared, with values of their type.
    func validateAttributes(of patch: SessionPatch, applicationId: Int64, pointer: String) async throws {
        if let costs = patch.additionalCosts, !costs.isEmpty {
            do {
                try await catalog.declaredCosts().check(
                    costs.map(\.name), applicationId: applicationId, pointer: pointer + "/additionalCosts")
            } catch let error as FieldError {
                throw APIError.invalid(error)
            }
        }
        guard
            patch.attributes?.isEmpty == false
                || patch.cartItems?.contains(where: { $0.attributes?.isEmpty == false }) == true
        else { return }
        let schema = try await catalog.attributeSchema()
        do {
            try Self.validate(patch, schema, applicationId: applicationId, pointer: pointer)
        } catch {
            throw APIError.invalid(error)
        }
    }

    static func validate(_ patch: SessionPatch, _ schema: AttributeSchema, applicationId: Int64, pointer: String)
        throws(FieldError)
    {
        if let a = patch.attributes {
            try schema.validate(
                a, entity: .customerSession, applicationId: applicationId, pointer: pointer + "/attributes")
        }
        for (i, item) in (patch.cartItems ?? []).enumerated() {
            guard let a = item.attributes else { continue }
            try schema.validate(
                a, entity: .cartItem, applicationId: applicationId, pointer: pointer + "/cartItems/\(i)/attributes")
        }
    }

    static func sessionId(_ ctx: PerkRequestContext) throws -> String {
        try ctx.parameters.integrationId("customerSessionId")
    }

    /// `?dry=true` (and, with it, `now`): evaluate and answer as a real update, store nothing.
    static func dryRun(_ req: Request) throws -> SessionService.DryRun? {
        let now = try req.query("now").map { text -> Timestamp in
            guard let t = TimeValue(rfc3339: text) else {
                throw APIError.invalidParameter("now", "now must be an RFC 3339 date-time")
            }
            return t.utc
        }
        guard try req.boolQuery("dry") == true else {
            if now != nil { throw APIError.invalidParameter("now", "now can only be given with dry=true") }
            return nil
        }
        return SessionService.DryRun(now: now)
    }

    /// A session update with the service's failures mapped to HTTP errors.
    func update(
        applicationId: Int64, integrationId: String, patch: SessionPatch, cascading: Bool,
        countProfileRedemptions: Bool = false, listReferredCustomers: Bool = false,
        dry: SessionService.DryRun? = nil
    ) async throws -> SessionOutcome {
        do {
            return try await sessions.update(
                applicationId: applicationId, integrationId: integrationId, patch: patch, cascading: cascading,
                countProfileRedemptions: countProfileRedemptions, listReferredCustomers: listReferredCustomers,
                dry: dry)
        } catch SessionService.Failure.session(.unknownSession) {
            throw APIError.notFound("Customer session \"\(integrationId)\"")
        } catch SessionService.Failure.session(let e) {
            throw APIError(status: .badRequest, message: e.message)
        } catch SessionService.Failure.unknownApplication {
            throw APIError.unauthorized
        }
    }
}

extension IntegrationAPI {
    /// `POST /v1/events` (201): a custom event on a session, evaluated by the rules.
    func trackEvent(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, raw) = try await authenticate(req, ctx, dryRunnable: true)
        let body = try integrationBody(raw)
        let e = try decode { try IntegrationRequests.newEvent(body) }
        try await validateEventAttributes(e.attributes, type: e.type, applicationId: applicationId)
        do {
            let outcome = try await events.track(
                applicationId: applicationId, sessionId: e.sessionId, profileId: e.profileId, type: e.type,
                attributes: e.attributes, dry: try req.boolQuery("dry") == true ? SessionService.DryRun() : nil)
            RuleFailures.report(outcome.failures, logger: ctx.logger)
            return jsonResponse(.created, IntegrationResponses.stateV1(outcome, now: clock()))
        } catch EventService.Failure.sessionOfAnotherProfile(let owner) {
            throw APIError.invalid(
                FieldError(
                    title: "Invalid value",
                    details: "session \"\(e.sessionId)\" belongs to the customer profile \"\(owner)\"",
                    pointer: "/profileId"))
        } catch EventService.Failure.unknownApplication {
            throw APIError.unauthorized
        }
    }

    /// `PUT /v1/customer_profiles/{integrationId}`: attributes merged, rules evaluated.
    func updateProfile(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, raw) = try await authenticate(req, ctx, dryRunnable: true)
        let integrationId = try ctx.parameters.integrationId("integrationId")
        let body = try integrationBody(raw)
        let attributes = try decode { () throws(FieldError) in try ObjectReader(body, at: "").object("attributes") }
        try await validateProfileAttributes(attributes, applicationId: applicationId, pointer: "/attributes")
        do {
            let outcome = try await events.updateProfile(
                applicationId: applicationId, integrationId: integrationId, attributes: attributes,
                dry: try req.boolQuery("dry") == true ? SessionService.DryRun() : nil)
            RuleFailures.report(outcome.failures, logger: ctx.logger)
            return jsonResponse(.ok, IntegrationResponses.stateV1(outcome, now: clock()))
        } catch EventService.Failure.unknownApplication {
            throw APIError.unauthorized
        }
    }

    /// `POST /v1/referrals`: a code of the campaign for the advocate (created when unknown).
    /// Referral limits do not apply to this call; the code is single-use (`usageLimit` 1).
    func createReferral(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, raw) = try await authenticate(req, ctx)
        let body = try integrationBody(raw)
        let new = try decode { try IntegrationRequests.newReferral(body) }
        guard let snapshot = try await catalog.snapshot(applicationId) else { throw APIError.unauthorized }
        let campaign = try Self.referralCampaign(snapshot, new.campaignId)
        let generator = try CodeGenerator(campaign.referralSettings ?? CodeGenerator.defaultSettings)
        let caseSensitivity = snapshot.application.caseSensitivity
        let now = clock()
        let referral = try await catalog.store.write { tx -> Referral? in
            if try tx.profile(integrationId: new.advocateProfileIntegrationId) == nil {
                _ = try tx.insertProfile(
                    CustomerProfile(id: 0, integrationId: new.advocateProfileIntegrationId, created: now))
            }
            var rng = SystemRandomNumberGenerator()
            for _ in 0..<SessionService.codeAttempts {
                var r = new
                r.created = now
                r.code = generator.make(using: &rng)
                if let inserted = try tx.insertReferral(
                    r, applicationId: applicationId, lookupKey: caseSensitivity.normalize(r.code), origin: nil)
                {
                    return inserted
                }
            }
            return nil
        }
        guard let referral else {
            throw APIError.badRequest("the campaign's referral code pattern has no unused code left")
        }
        return jsonResponse(.created, Wire.referral(referral))
    }
}

enum IntegrationRequests {
    struct NewEvent {
        var profileId: String
        var type: String
        var attributes: JSONObject
        var sessionId: String
    }

    /// `NewEvent {profileId?, type, attributes, sessionId}`; `talon_` types are the engine's own.
    static func newEvent(_ body: JSON) throws(FieldError) -> NewEvent {
        let r = try ObjectReader(body, at: "")
        let type = try r.string("type", required: true, minLength: 1, maxLength: 1000)!
        if type.lowercased().hasPrefix("talon_") {
            throw FieldError(
                title: "Invalid value", details: "\"\(type)\" is a reserved event type (talon_...)", pointer: "/type")
        }
        return NewEvent(
            profileId: try r.string("profileId", maxLength: 1000) ?? "", type: type,
            attributes: try r.object("attributes", required: true)!,
            sessionId: try r.string("sessionId", required: true, minLength: 1, maxLength: 1000)!)
    }

    /// `NewReferral {campaignId, advocateProfileIntegrationId, friendProfileIntegrationId?, startDate?, expiryDate?}`.
    static func newReferral(_ body: JSON) throws(FieldError) -> Referral {
        let r = try ObjectReader(body, at: "")
        let friend = try r.string("friendProfileIntegrationId", maxLength: 1000)
        return Referral(
            id: 0, created: Timestamp(seconds: 0, nanoseconds: 0),
            campaignId: try r.integer("campaignId", required: true)!,
            advocateProfileIntegrationId: try r.string(
                "advocateProfileIntegrationId", required: true, minLength: 1, maxLength: 1000)!,
            friendProfileIntegrationId: friend?.isEmpty == true ? nil : friend, startDate: try r.timestamp("startDate"),
            expiryDate: try r.timestamp("expiryDate"), code: "", usageLimit: 1)
    }

    /// More codes than any cart carries; bounds the work one request can ask for.
    static let maxCouponCodes = 100

    static let responseContentValues = [
        "customerSession", "customerProfile", "coupons", "triggeredCampaigns", "referral", "loyalty", "event",
        "ruleFailureReasons", "awardedGiveaways", "previousReturns",
    ]

    /// `customerSession.evaluableCampaignIds`: the campaigns a dry run evaluates.
    static func evaluableCampaignIds(_ body: JSON) throws(FieldError) -> [Int64]? {
        let r = try ObjectReader(
            try ObjectReader(body, at: "").value("customerSession", required: true)!,
            at: "/customerSession", name: "customerSession")
        return try campaignIds(r, "evaluableCampaignIds")
    }

    /// `IntegrationRequest {customerSession: NewCustomerSessionV2, responseContent?}`.
    static func sessionV2(_ body: JSON) throws(FieldError) -> (SessionPatch, Set<String>) {
        let root = try ObjectReader(body, at: "")
        let r = try ObjectReader(
            try root.value("customerSession", required: true)!, at: "/customerSession", name: "customerSession")
        var patch = try commonSessionFields(r)
        patch.computesTotal = true
        patch.couponCodes = try ids(r, "couponCodes")?.filter { !$0.isEmpty }
        if let codes = patch.couponCodes, codes.count > maxCouponCodes {
            throw FieldError(
                title: "maxItems", details: "couponCodes can hold at most \(maxCouponCodes) codes",
                pointer: r.path("couponCodes"))
        }
        patch.referralCode = try r.string("referralCode", maxLength: InputLimits.maxIdLength)
        if let costs = try r.object("additionalCosts") {
            var out: [(name: String, price: DecimalNumber)] = []
            for (name, cost) in costs {
                let c = try ObjectReader(
                    cost, at: JSONPointer.append(r.path("additionalCosts"), name), name: "additional cost")
                out.append((name, try c.amount("price", required: true)!))
            }
            patch.additionalCosts = out
        }
        try InputLimits.checkCart(patch, pointer: "/customerSession")

        return (patch, try responseContent(root, allowed: responseContentValues))
    }

    /// `NewCustomerSession` (v1): one `coupon` and `referral`, and the client's `total`.
    static func sessionV1(_ body: JSON) throws(FieldError) -> SessionPatch {
        let r = try ObjectReader(body, at: "", name: "customer session")
        var patch = try commonSessionFields(r)
        if let coupon = try r.string("coupon", maxLength: InputLimits.maxIdLength) {
            patch.couponCodes = coupon.isEmpty ? [] : [coupon]
        }
        patch.referralCode = try r.string("referral", maxLength: InputLimits.maxIdLength)
        patch.total = try r.amount("total")
        try InputLimits.checkCart(patch, pointer: "")
        return patch
    }

    /// The fields both session versions share.
    /// Codes and identifiers are ids: at most `InputLimits.maxIdLength` characters each.
    static func ids(_ r: ObjectReader, _ key: String) throws(FieldError) -> [String]? {
        guard let values = try r.strings(key) else { return nil }
        for (i, v) in values.enumerated() where v.unicodeScalars.count > InputLimits.maxIdLength {
            throw FieldError(
                title: "maxLength", details: "\(key) items can be at most \(InputLimits.maxIdLength) characters long",
                pointer: JSONPointer.append(r.path(key), i))
        }
        return values
    }

    static func commonSessionFields(_ r: ObjectReader) throws(FieldError) -> SessionPatch {
        var patch = SessionPatch()
        patch.profileId = try r.string("profileId", maxLength: 1000)
        patch.state = try r.enumeration("state", SessionState.self)
        if patch.state == .partiallyReturned {
            // Only a return (`…/returns`) makes a session partially returned.
            throw ObjectReader.enumError(r.path("state"), "state", ["open", "closed", "cancelled"])
        }
        if let items = try r.array("cartItems") {
            var cart: [CartItem] = []
            cart.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                cart.append(try CartItem(json: item, at: JSONPointer.append(r.path("cartItems"), i)))
            }
            patch.cartItems = cart
        }
        patch.identifiers = try ids(r, "identifiers")
        patch.attributes = try r.object("attributes")
        return patch
    }
}

enum IntegrationResponses {
    /// `IntegrationState` (v1): session, profile and event always; `coupon` when the session's
    /// coupon exists.
    static func stateV1(_ o: SessionOutcome, now: Timestamp) -> JSON {
        var out = JSONObject()
        out.appendUnique("session", Wire.sessionV1(o.session, effects: o.effects))
        out.appendUnique("profile", Wire.profile(o.profile, now: now))
        out.appendUnique("event", Wire.eventV1(o.event, effects: o.effects, meta: meta(o)))
        if let code = o.session.couponCodes.first, let coupon = o.coupons.first(where: { $0.value == code }) {
            out.appendUnique("coupon", Wire.coupon(coupon))
        }
        return .object(out)
    }

    /// v1 `event.meta`: attributes of the triggered campaigns (those that have some) and of the
    /// session's coupons, and why a code was refused (2020 reasons only).
    static func meta(_ o: SessionOutcome) -> JSON {
        var campaigns = JSONObject()
        for c in o.triggeredCampaigns where !c.attributes.isEmpty {
            campaigns.appendUnique(String(c.id), .object(c.attributes))
        }
        var coupons = JSONObject()
        for c in o.coupons { coupons[c.value] = .object(c.attributes) }
        var m: JSONObject = ["campaigns": .object(campaigns), "coupons": .object(coupons)]
        if let r = o.couponRejections.first {
            m.appendUnique(
                "couponRejectionReason",
                [
                    "campaignId": .number(r.campaignId), "couponId": .number(r.couponId),
                    "reason": .string(r.reason.rawValue),
                ])
        }
        if let r = o.referralRejection {
            m.appendUnique(
                "referralRejectionReason",
                [
                    "campaignId": .number(r.campaignId), "referralId": .number(r.referralId),
                    "reason": .string(r.reason.rawValue),
                ])
        }
        m.appendUnique("warnings", [:])
        return .object(m)
    }

    /// `IntegrationStateV2` (and, for profile updates and v2 events, whose `responseContent` allows
    /// fewer members, `CustomerProfileIntegrationResponseV2` / `IntegrationEventV2Response`):
    /// effects and created codes always, the rest as `responseContent` asks.
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
        if content.contains("referral"), let r = o.referral {
            out.appendUnique("referral", Wire.referral(r, referredCustomers: o.referredCustomers))
        }
        if content.contains("triggeredCampaigns") {
            out.appendUnique("triggeredCampaigns", .array(o.triggeredCampaigns.map { Wire.campaign($0, now: now) }))
        }
        out.appendUnique("effects", .array(o.effects.map(\.json)))
        out.appendUnique(
            "createdCoupons", .array(o.createdCoupons.map { Wire.coupon($0, profileRedemptionCount: 0) }))
        out.appendUnique("createdReferrals", .array(o.createdReferrals.map { Wire.referral($0) }))
        if content.contains("ruleFailureReasons") {
            out.appendUnique("ruleFailureReasons", .array(o.failures.map(RuleFailures.json)))
        }
        // Perk has no giveaways yet: asked for, they are empty.
        if content.contains("awardedGiveaways") { out.appendUnique("awardedGiveaways", []) }
        if let r = o.currentReturn { out.appendUnique("return", Wire.sessionReturn(r, session: o.session, profile: o.profile)) }
        if content.contains("previousReturns") {
            out.appendUnique(
                "previousReturns",
                .array(
                    o.session.returns.filter { $0.id != o.currentReturn?.id }.map {
                        Wire.sessionReturn($0, session: o.session, profile: o.profile)
                    }))
        }
        return .object(out)
    }
}

/// `Content-Signature` on a request: which application signed it.
extension ContentSignature {
    /// The application whose key signed `body` as the request's `Content-Signature` says; 401
    /// for a header that names no application, 400 for a signature that does not match.
    static func signer(_ raw: String, body: ByteBuffer, catalog: Catalog) async throws -> Int64 {
        guard let header = parse(raw), let snapshot = try await catalog.snapshot(header.signer) else {
            throw APIError.unauthorized
        }
        guard verify(body.readableBytesView, hexKey: snapshot.application.key, signature: header.signature) else {
            throw APIError.badRequest("HMAC signature mismatch.")
        }
        return header.signer
    }

    static let header = HTTPField.Name("Content-Signature")!

    /// The request's `Content-Signature`, when it authenticates by one (no `Authorization`).
    static func sent(with req: Request) -> String? {
        req.headers[.authorization] == nil ? req.headers[header] : nil
    }
}
