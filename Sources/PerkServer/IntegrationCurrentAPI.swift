import HTTPTypes
import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// The Integration API operations Talon.One added after 2020, which today's official clients
/// call: profiles and events without a session (v2), reading a session back, the running
/// campaigns, and referral codes for many advocates at once. They work on the same data as the
/// 2020 operations, side by side.
extension IntegrationAPI {
    func registerCurrent(on router: Routes) {
        router.get("/v2/customer_sessions/:customerSessionId") { req, ctx in try await getSession(req, ctx) }
        router.put("/v2/customer_sessions/:customerSessionId/reopen") { req, ctx in try await reopenSession(req, ctx) }
        router.post("/v2/customer_sessions/:customerSessionId/returns") { req, ctx in try await returnItems(req, ctx) }
        router.put("/v2/customer_profiles/:integrationId") { req, ctx in try await updateProfileV2(req, ctx) }
        router.put("/v2/customer_profiles") { req, ctx in try await updateProfilesV2(req, ctx) }
        router.post("/v2/events") { req, ctx in try await trackEventV2(req, ctx) }
        router.get("/v1/integration/campaigns") { req, ctx in try await runningCampaigns(req, ctx) }
        router.post("/v1/referrals_for_multiple_advocates") { req, ctx in
            try await createReferralsForAdvocates(req, ctx)
        }
    }

    /// `GET /v2/customer_sessions/{id}`: the session and the effects of its latest update, without
    /// rollbacks (a cancelled session's effects cancel out).
    func getSession(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, _) = try await authenticate(req, ctx)
        let integrationId = try Self.sessionId(ctx)
        let session = try await catalog.store.read { tx in
            try tx.session(applicationId: applicationId, integrationId: integrationId, withEffects: true)
        }
        guard let session else { throw APIError.notFound("Customer session \"\(integrationId)\"") }
        let effects = session.state == .cancelled ? [] : session.effects.filter { !$0.type.hasPrefix("rollback") }
        return jsonResponse(
            .ok, ["customerSession": Wire.sessionV2(session), "effects": .array(effects.map(\.json))])
    }

    /// `PUT /v2/customer_sessions/{id}/reopen`: a closed session open again, with the effects a
    /// cancel would give (its coupon and referral redemptions, budgets, campaign counters and the
    /// profile's sales given back); closing it again confirms anew. Codes created and attributes
    /// written at the close stay, as for a cancel.
    func reopenSession(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, _) = try await authenticate(req, ctx)
        let integrationId = try Self.sessionId(ctx)
        var patch = SessionPatch()
        patch.reopens = true
        let outcome = try await update(
            applicationId: applicationId, integrationId: integrationId, patch: patch, cascading: true)
        return jsonResponse(.ok, ["effects": .array(outcome.effects.map(\.json))])
    }

    /// `POST /v2/customer_sessions/{id}/returns`: items of a closed session given back (see
    /// `SessionService.returnItems`); answers the rollbacks, and the return.
    func returnItems(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, raw) = try await authenticate(req, ctx, dryRunnable: true)
        let integrationId = try Self.sessionId(ctx)
        let body = try integrationBody(raw)
        let (items, content) = try decode { try IntegrationRequests.returnRequest(body) }
        let runRules = try req.boolQuery("runRuleEngine") ?? true
        do {
            let outcome = try await sessions.returnItems(
                applicationId: applicationId, integrationId: integrationId, items: items, runRules: runRules,
                dry: try Self.dryRun(req))
            return jsonResponse(.ok, IntegrationResponses.stateV2(outcome, content: content, now: clock()))
        } catch SessionService.ReturnFailure.unknownSession {
            throw APIError.notFound("Customer session \"\(integrationId)\"")
        } catch SessionService.ReturnFailure.notReturnable(let state) {
            throw APIError.badRequest("Cannot return items of a session in state \"\(state.rawValue)\"")
        } catch SessionService.ReturnFailure.invalid(let e) {
            throw APIError.invalid(e)
        } catch SessionService.Failure.unknownApplication {
            throw APIError.unauthorized
        }
    }

    /// `PUT /v2/customer_profiles/{id}`: attributes merged; the rules run only with
    /// `runRuleEngine=true`, and only then may the request be `dry` or ask for `responseContent`.
    func updateProfileV2(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, raw) = try await authenticate(req, ctx, dryRunnable: true)
        let integrationId = try ctx.parameters.integrationId("integrationId")
        let runRules = try req.boolQuery("runRuleEngine") ?? false
        let body = try integrationBody(raw)
        let request = try decode { try IntegrationRequests.profileV2(body) }
        var dry = try Self.dryRun(req)
        if !runRules {
            if dry != nil { throw APIError.invalidParameter("dry", "dry needs runRuleEngine=true") }
            if !request.content.isEmpty {
                throw APIError.invalid(
                    FieldError(
                        title: "Invalid value", details: "responseContent needs runRuleEngine=true",
                        pointer: "/responseContent"))
            }
        }
        dry?.evaluableCampaignIds = request.evaluableCampaignIds
        try await validateProfileAttributes(request.attributes, applicationId: applicationId, pointer: "/attributes")
        do {
            let outcome = try await events.updateProfile(
                applicationId: applicationId, integrationId: integrationId, attributes: request.attributes,
                runRules: runRules, dry: dry)
            RuleFailures.report(outcome.failures, logger: ctx.logger)
            return jsonResponse(.ok, IntegrationResponses.stateV2(outcome, content: request.content, now: clock()))
        } catch EventService.Failure.unknownApplication {
            throw APIError.unauthorized
        }
    }

    /// `PUT /v2/customer_profiles`: many profiles' attributes at once, all checked before any is
    /// stored; the rules do not run. `silent=no` answers the profiles, else 204.
    func updateProfilesV2(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, raw) = try await authenticate(req, ctx)
        let silent = try Self.silent(req)
        let body = try integrationBody(raw)
        let items = try decode { try IntegrationRequests.profilesV2(body) }
        for (i, item) in items.enumerated() {
            try await validateProfileAttributes(
                item.attributes, applicationId: applicationId, pointer: "/customerProfiles/\(i)/attributes")
        }
        var states: [JSON] = []
        do {
            for item in items {
                let outcome = try await events.updateProfile(
                    applicationId: applicationId, integrationId: item.integrationId, attributes: item.attributes,
                    runRules: false)
                states.append(["customerProfile": Wire.profile(outcome.profile, now: clock())])
            }
        } catch EventService.Failure.unknownApplication {
            throw APIError.unauthorized
        }
        return silent ? emptyResponse(.noContent) : jsonResponse(.ok, ["integrationStates": .array(states)])
    }

    /// `POST /v2/events`: a custom event of a profile (created when unknown), with no session.
    func trackEventV2(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, raw) = try await authenticate(req, ctx, dryRunnable: true)
        let body = try integrationBody(raw)
        let e = try decode { try IntegrationRequests.eventV2(body) }
        var dry = try Self.dryRun(req)
        dry?.evaluableCampaignIds = e.evaluableCampaignIds
        try await validateEventAttributes(e.attributes, type: e.type, applicationId: applicationId)
        do {
            let outcome = try await events.trackProfileEvent(
                applicationId: applicationId, profileId: e.profileId, type: e.type, attributes: e.attributes, dry: dry)
            RuleFailures.report(outcome.failures, logger: ctx.logger)
            return jsonResponse(.ok, IntegrationResponses.stateV2(outcome, content: e.content, now: clock()))
        } catch EventService.Failure.unknownApplication {
            throw APIError.unauthorized
        }
    }

    /// A custom event's attributes must be declared `Event` attributes of its type.
    func validateEventAttributes(_ attributes: JSONObject, type: String, applicationId: Int64) async throws {
        guard !attributes.isEmpty else { return }
        let schema = try await catalog.attributeSchema()
        do {
            try schema.validate(
                attributes, entity: .event, eventType: type, applicationId: applicationId, pointer: "/attributes")
        } catch {
            throw APIError.invalid(error)
        }
    }

    func validateProfileAttributes(_ attributes: JSONObject?, applicationId: Int64, pointer: String) async throws {
        guard let attributes, !attributes.isEmpty else { return }
        let schema = try await catalog.attributeSchema()
        do {
            try schema.validate(attributes, entity: .customerProfile, applicationId: applicationId, pointer: pointer)
        } catch {
            throw APIError.invalid(error)
        }
    }

    /// `silent`: `yes` or `no`; `absent` when not sent.
    static func silent(_ req: Request, absent: Bool = true) throws -> Bool {
        switch req.query("silent") {
        case nil: return absent
        case "yes": return true
        case "no": return false
        default: throw APIError.invalidParameter("silent", "silent must be yes or no")
        }
    }

    /// A time today's Integration API takes: RFC 3339, or a date alone (midnight UTC).
    static func time(_ req: Request, _ name: String) throws -> Timestamp? {
        try req.query(name).map { text in
            guard let t = TimeValue(rfc3339: text) ?? TimeValue(rfc3339: text + "T00:00:00Z") else {
                throw APIError.invalidParameter(name, "\(name) must be an RFC 3339 date-time")
            }
            return t.utc
        }
    }

    /// `GET /v1/integration/campaigns`: the application's running campaigns (enabled, and now
    /// within their schedule), oldest first, filtered by id and by their start and end.
    func runningCampaigns(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, _) = try await authenticate(req, ctx)
        let (skip, size) = try req.paging(defaultSize: 50)
        let ids = try req.idSet("campaignIds")
        func time(_ name: String) throws -> Timestamp? { try Self.time(req, name) }
        let (startAfter, startBefore) = (try time("startAfter"), try time("startBefore"))
        let (endAfter, endBefore) = (try time("endAfter"), try time("endBefore"))
        let now = clock()
        let campaigns = try await catalog.store.read { tx in try tx.campaigns(applicationId: applicationId) }
            .filter { c in
                c.frontendState(at: now) == "running" && ids.map { $0.contains(c.id) } ?? true
                    && startAfter.map { t in c.startTime.map { !($0 < t) } ?? false } ?? true
                    && startBefore.map { t in c.startTime.map { !(t < $0) } ?? false } ?? true
                    && endAfter.map { t in c.endTime.map { !($0 < t) } ?? false } ?? true
                    && endBefore.map { t in c.endTime.map { !(t < $0) } ?? false } ?? true
            }
            .sorted { $0.id < $1.id }
        let page = campaigns.dropFirst(skip).prefix(size)
        return jsonResponse(
            .ok,
            pageWithoutTotal(page.map { Wire.integrationCampaign($0, now: now) }, hasMore: campaigns.count > skip + page.count))
    }

    /// `POST /v1/referrals_for_multiple_advocates`: one code per advocate (profiles created when
    /// unknown), all in one transaction. Referral limits do not apply, as for `POST /v1/referrals`.
    /// `silent=yes` answers 204, else the codes (201). (Talon.One's default is silent, but its
    /// current client cannot read that empty answer with its validation on, so Perk answers the
    /// codes unless asked not to.)
    func createReferralsForAdvocates(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (applicationId, raw) = try await authenticate(req, ctx)
        let silent = try Self.silent(req, absent: false)
        let body = try integrationBody(raw)
        let new = try decode { try IntegrationRequests.referralsForAdvocates(body) }
        guard let snapshot = try await catalog.snapshot(applicationId) else { throw APIError.unauthorized }
        let campaign = try Self.referralCampaign(snapshot, new.template.campaignId)
        var settings = campaign.referralSettings ?? CodeGenerator.defaultSettings
        if let pattern = new.pattern { settings.couponPattern = pattern }
        if let characters = new.validCharacters { settings.validCharacters = characters }
        let generator: CodeGenerator
        do {
            generator = try CodeGenerator(settings)
        } catch {
            throw APIError.invalid(
                FieldError(
                    title: "Invalid value", details: "\(error)",
                    pointer: new.pattern != nil ? "/referralPattern" : "/validCharacters"))
        }
        let caseSensitivity = snapshot.application.caseSensitivity
        let now = clock()
        let created = try await catalog.store.write { tx -> [Referral]? in
            var out: [Referral] = []
            var rng = SystemRandomNumberGenerator()
            for advocate in new.advocates {
                if try tx.profile(integrationId: advocate) == nil {
                    _ = try tx.insertProfile(CustomerProfile(id: 0, integrationId: advocate, created: now))
                }
                var inserted: Referral?
                for _ in 0..<SessionService.codeAttempts where inserted == nil {
                    var r = new.template
                    r.created = now
                    r.advocateProfileIntegrationId = advocate
                    r.code = generator.make(using: &rng)
                    inserted = try tx.insertReferral(
                        r, applicationId: applicationId, lookupKey: caseSensitivity.normalize(r.code), origin: nil)
                }
                guard let inserted else { return nil }
                out.append(inserted)
            }
            return out
        }
        guard let created else {
            throw APIError.badRequest("the referral code pattern has no unused code left for every advocate")
        }
        if silent { return emptyResponse(.noContent) }
        return jsonResponse(.created, listJSON(created.map { Wire.referral($0) }, total: created.count))
    }

    /// The campaign a referral code is made for: of this application, with the referrals feature.
    static func referralCampaign(_ snapshot: ApplicationSnapshot, _ id: Int64) throws -> Campaign {
        guard let campaign = snapshot.campaigns.first(where: { $0.campaign.id == id })?.campaign else {
            throw APIError.invalid(
                FieldError(
                    title: "Invalid value", details: "no campaign \(id) in this application", pointer: "/campaignId"))
        }
        guard campaign.features.contains("referrals") else {
            throw APIError.invalid(
                FieldError(
                    title: "Invalid value", details: "campaign \(campaign.id) does not have the referrals feature",
                    pointer: "/campaignId"))
        }
        return campaign
    }
}

extension IntegrationRequests {
    /// `ReturnIntegrationRequest {return: {returnedCartItems: [{position?, sku?, quantity?}]},
    /// responseContent?}`: each item named by its position or SKU; no quantity: all of it.
    static func returnRequest(_ body: JSON) throws(FieldError) -> ([SessionService.ReturnedItem], Set<String>) {
        let root = try ObjectReader(body, at: "")
        let r = try ObjectReader(try root.value("return", required: true)!, at: "/return", name: "return")
        let list = try r.array("returnedCartItems", required: true)!
        guard (1...InputLimits.maxCartItems).contains(list.count) else {
            throw FieldError(
                title: "Invalid value", details: "returnedCartItems must list 1 to \(InputLimits.maxCartItems) items",
                pointer: "/return/returnedCartItems")
        }
        var items: [SessionService.ReturnedItem] = []
        for (i, json) in list.enumerated() {
            let item = try ObjectReader(json, at: "/return/returnedCartItems/\(i)", name: "returned cart item")
            let position = try item.integer("position", minimum: 0, maximum: Int64(InputLimits.maxCartItems))
            let sku = try item.string("sku", maxLength: InputLimits.maxIdLength)
            guard position != nil || sku != nil else { throw .required(item.path("position"), "position") }
            items.append(
                SessionService.ReturnedItem(
                    position: position.map(Int.init), sku: sku,
                    quantity: try item.integer("quantity", minimum: 1, maximum: InputLimits.maxQuantity)))
        }
        return (items, try responseContent(root, allowed: responseContentValues))
    }

    /// What v2 profile updates and v2 events may ask to get back.
    static let profileContentValues = [
        "customerProfile", "triggeredCampaigns", "loyalty", "event", "awardedGiveaways", "ruleFailureReasons",
    ]

    static func responseContent(_ r: ObjectReader, allowed: [String]) throws(FieldError) -> Set<String> {
        var content: Set<String> = []
        for (i, value) in (try r.strings("responseContent") ?? []).enumerated() {
            guard allowed.contains(value) else {
                throw ObjectReader.enumError("/responseContent/\(i)", "responseContent", allowed)
            }
            content.insert(value)
        }
        return content
    }

    static func campaignIds(_ r: ObjectReader, _ key: String) throws(FieldError) -> [Int64]? {
        guard let ids = try r.array(key) else { return nil }
        var out: [Int64] = []
        for (i, id) in ids.enumerated() {
            guard case .number(let n) = id, let v = n.wholeValue else {
                throw .type(JSONPointer.append(r.path(key), i), "\(key) items", expected: "integers", found: id)
            }
            out.append(v)
        }
        return out
    }

    struct ProfileV2 {
        var attributes: JSONObject?
        var evaluableCampaignIds: [Int64]?
        var content: Set<String>
    }

    /// `CustomerProfileIntegrationRequestV2 {attributes?, evaluableCampaignIds?, responseContent?,
    /// audiencesChanges?}`. Perk has no audiences: changing them is refused rather than ignored.
    static func profileV2(_ body: JSON) throws(FieldError) -> ProfileV2 {
        let r = try ObjectReader(body, at: "")
        if let changes = try r.object("audiencesChanges") {
            let c = try ObjectReader(.object(changes), at: "/audiencesChanges", name: "audiencesChanges")
            for key in ["adds", "deletes"] where (try c.array(key))?.isEmpty == false {
                throw FieldError(
                    title: "Invalid value", details: "Perk has no audiences", pointer: c.path(key))
            }
        }
        return ProfileV2(
            attributes: try r.object("attributes"), evaluableCampaignIds: try campaignIds(r, "evaluableCampaignIds"),
            content: try responseContent(r, allowed: profileContentValues))
    }

    /// Most profiles one `PUT /v2/customer_profiles` may carry.
    static let maxProfilesPerRequest = 1000

    /// `MultipleCustomerProfileIntegrationRequest {customerProfiles: [{integrationId, attributes?}]}`.
    static func profilesV2(_ body: JSON) throws(FieldError) -> [(integrationId: String, attributes: JSONObject?)] {
        let r = try ObjectReader(body, at: "")
        let items = try r.array("customerProfiles") ?? []
        guard items.count <= maxProfilesPerRequest else {
            throw FieldError(
                title: "maxItems", details: "customerProfiles can hold at most \(maxProfilesPerRequest) profiles",
                pointer: "/customerProfiles")
        }
        var seen: Set<String> = []
        return try items.enumerated().map { (i, item) throws(FieldError) in
            let p = try ObjectReader(item, at: "/customerProfiles/\(i)", name: "customer profile")
            let id = try p.string("integrationId", required: true, minLength: 1, maxLength: InputLimits.maxIdLength)!
            guard seen.insert(id).inserted else {
                throw FieldError(
                    title: "Invalid value", details: "profile \"\(id)\" is listed twice", pointer: p.path("integrationId"))
            }
            return (id, try p.object("attributes"))
        }
    }

    struct EventV2 {
        var profileId: String
        var type: String
        var attributes: JSONObject
        var evaluableCampaignIds: [Int64]?
        var content: Set<String>
    }

    /// `IntegrationEventV2Request {profileId, type, attributes?, evaluableCampaignIds?,
    /// responseContent?, storeIntegrationId?, loyaltyCards?}`: the profile is required (as
    /// Talon.One's documentation says, though its schema does not); Perk has no stores or cards.
    static func eventV2(_ body: JSON) throws(FieldError) -> EventV2 {
        let r = try ObjectReader(body, at: "")
        let type = try r.string("type", required: true, minLength: 1, maxLength: 1000)!
        if type.lowercased().hasPrefix("talon_") {
            throw FieldError(
                title: "Invalid value", details: "\"\(type)\" is a reserved event type (talon_...)", pointer: "/type")
        }
        let profileId = try r.string("profileId", maxLength: InputLimits.maxIdLength) ?? ""
        guard !profileId.isEmpty else { throw .required("/profileId", "profileId") }
        if (try r.strings("loyaltyCards"))?.isEmpty == false {
            throw FieldError(title: "Invalid value", details: "Perk has no loyalty cards", pointer: "/loyaltyCards")
        }
        if let store = try r.string("storeIntegrationId"), !store.isEmpty {
            throw FieldError(title: "Invalid value", details: "Perk has no stores", pointer: "/storeIntegrationId")
        }
        return EventV2(
            profileId: profileId, type: type, attributes: try r.object("attributes") ?? JSONObject(),
            evaluableCampaignIds: try campaignIds(r, "evaluableCampaignIds"),
            content: try responseContent(r, allowed: profileContentValues))
    }

    struct ReferralsForAdvocates {
        var template: Referral
        var advocates: [String]
        var pattern: String?
        var validCharacters: [String]?
    }

    /// Most advocates one `POST /v1/referrals_for_multiple_advocates` may carry.
    static let maxAdvocatesPerRequest = 1000

    /// `NewReferralsForMultipleAdvocates {campaignId, advocateProfileIntegrationIds, usageLimit,
    /// startDate?, expiryDate?, referralPattern?, validCharacters?, attributes?}`. Perk's referral
    /// codes have no attributes yet: sending some is refused rather than ignored.
    static func referralsForAdvocates(_ body: JSON) throws(FieldError) -> ReferralsForAdvocates {
        let r = try ObjectReader(body, at: "")
        let advocates = try ids(r, "advocateProfileIntegrationIds") ?? []
        guard (1...maxAdvocatesPerRequest).contains(advocates.count) else {
            throw FieldError(
                title: "Invalid value",
                details: "advocateProfileIntegrationIds must list 1 to \(maxAdvocatesPerRequest) profiles",
                pointer: "/advocateProfileIntegrationIds")
        }
        for (i, a) in advocates.enumerated() where a.isEmpty {
            throw FieldError(
                title: "minLength", details: "advocate profile ids must not be empty",
                pointer: "/advocateProfileIntegrationIds/\(i)")
        }
        if (try r.object("attributes"))?.isEmpty == false {
            throw FieldError(
                title: "Invalid value", details: "Perk's referral codes have no attributes", pointer: "/attributes")
        }
        let template = Referral(
            id: 0, created: Timestamp(seconds: 0, nanoseconds: 0),
            campaignId: try r.integer("campaignId", required: true)!, advocateProfileIntegrationId: "",
            startDate: try r.timestamp("startDate"), expiryDate: try r.timestamp("expiryDate"), code: "",
            usageLimit: try r.integer("usageLimit", required: true, minimum: 0, maximum: 999_999)!)
        let pattern = try r.string("referralPattern", minLength: 1, maxLength: 100)
        if let pattern, !pattern.contains("#") {
            throw FieldError(
                title: "Invalid value", details: "referralPattern needs a # for the advocates' codes to differ",
                pointer: "/referralPattern")
        }
        let characters = try r.strings("validCharacters")
        return ReferralsForAdvocates(
            template: template, advocates: Array(Set(advocates)).sorted(), pattern: pattern,
            validCharacters: characters)
    }
}
