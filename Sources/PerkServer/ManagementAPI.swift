import Foundation
import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// The management API a shop needs to configure promotions: login, applications and their
/// keys, campaigns, rulesets and coupons. Paths and shapes follow the reference.
struct ManagementAPI: Sendable {
    let store: any Store
    let catalog: Catalog
    let clock: @Sendable () -> Timestamp
    let access: AccessControl

    func register(on router: Routes) {
        router.post("/v1/applications") { req, ctx in try await createApplication(req, ctx) }
        router.get("/v1/applications") { req, ctx in try await listApplications(req, ctx) }
        router.get("/v1/applications/:applicationId") { req, ctx in try await getApplication(req, ctx) }
        router.post("/v1/applications/:applicationId/campaigns") { req, ctx in try await createCampaign(req, ctx) }
        router.get("/v1/applications/:applicationId/campaigns") { req, ctx in try await listCampaigns(req, ctx) }
        router.get("/v1/applications/:applicationId/campaigns/:campaignId") { req, ctx in
            try await getCampaign(req, ctx)
        }
        router.put("/v1/applications/:applicationId/campaigns/:campaignId") { req, ctx in
            try await updateCampaign(req, ctx)
        }
        router.post("/v1/applications/:applicationId/campaigns/:campaignId/rulesets") { req, ctx in
            try await createRuleset(req, ctx)
        }
        router.get("/v1/applications/:applicationId/campaigns/:campaignId/rulesets") { req, ctx in
            try await listRulesets(req, ctx)
        }
        router.get("/v1/applications/:applicationId/campaigns/:campaignId/rulesets/:rulesetId") { req, ctx in
            try await getRuleset(req, ctx)
        }
        router.post("/v1/applications/:applicationId/campaigns/:campaignId/coupons") { req, ctx in
            try await createCoupons(req, ctx)
        }
        registerAccess(on: router)
        registerCouponTransfer(on: router)
        registerCustomerLookup(on: router)
        registerActivity(on: router)
        registerCustomerReports(on: router)
        registerAccount(on: router)
        registerTransfers(on: router)
        registerEventTypes(on: router)
        registerAttributes(on: router)
        registerCampaignSet(on: router)
        registerCouponManagement(on: router)
        registerCouponSearch(on: router)
        registerCampaignAnalytics(on: router)
        registerRulesetAndReferralManagement(on: router)
        registerApplicationUpdateAndCopy(on: router)
        registerLoyalty(on: router)
        registerWebhooks(on: router)
        registerUsersAndRoles(on: router)
        registerChanges(on: router)
        registerAdditionalCosts(on: router)
        registerAccessLogs(on: router)
    }

    // MARK: Authentication

    /// The signed-in user of the request's `Authorization: Bearer <token>` and their rights: 401
    /// without a live token of an active user.
    func principal(_ req: Request) async throws -> Principal {
        let digest = Credentials.digest(try req.credential(scheme: "Bearer"))
        let now = clock()
        let found = try await store.read { tx -> (User, [Role])? in
            guard let id = try tx.tokenUser(hash: digest, now: now), let user = try tx.user(id: id),
                user.state == .active
            else { return nil }
            return (user, try tx.roles(userId: id))
        }
        guard let (user, roles) = found else { throw APIError.unauthorized }
        var access = AccessList()
        access.admin = user.admin
        // A stored acl was checked when saved; one that no longer reads grants nothing.
        for role in roles { if let list = try? AccessList(text: role.acl, at: "/acl") { access.merge(list) } }
        return Principal(userId: user.id, access: access)
    }

    /// A user who may see something: account-wide lists (attributes, programs, users, roles).
    @discardableResult func member(_ req: Request) async throws -> Principal {
        let p = try await principal(req)
        guard p.isMember else { throw APIError.forbidden("see this account; you have no role yet") }
        return p
    }

    /// An account admin: users, roles, applications' settings, attributes, programs, webhooks.
    @discardableResult func admin(_ req: Request) async throws -> Principal {
        let p = try await principal(req)
        guard p.isAdmin else { throw APIError.forbidden("change account settings") }
        return p
    }

    /// A user holding `right` in the application of the path's `applicationId`. Someone who may
    /// not even read it is told it does not exist, as for an application that does not.
    @discardableResult func authorize(_ req: Request, _ ctx: PerkRequestContext, _ right: Right) async throws
        -> Principal
    {
        let p = try await principal(req)
        let id = try ctx.parameters.id("applicationId")
        try Self.require(p, right, in: id)
        return p
    }

    static func require(_ p: Principal, _ right: Right, in applicationId: Int64) throws {
        guard p.may(right, in: applicationId) else {
            if !p.may(.read, in: applicationId) { throw APIError.notFound("Application") }
            throw APIError.forbidden(Self.what(right))
        }
    }

    private static func what(_ right: Right) -> String {
        switch right {
        case .read: "see this application"
        case .campaigns: "change this application's campaigns"
        case .coupons: "change this application's coupons and referral codes"
        case .keys: "manage this application's API keys"
        }
    }

    /// What `read` finds, or 404 "`what` not found".
    func found<T: Sendable>(_ what: String, _ read: @Sendable (any StoreTransaction) throws -> T?) async throws -> T {
        guard let value = try await store.read(read) else { throw APIError.notFound(what) }
        return value
    }

    func application(_ ctx: PerkRequestContext) async throws -> PerkEngine.Application {
        let id = try ctx.parameters.id("applicationId")
        return try await found("Application") { tx in try tx.application(id: id) }
    }

    func campaign(_ ctx: PerkRequestContext, applicationId: Int64) async throws -> Campaign {
        let id = try ctx.parameters.id("campaignId")
        return try await found("Campaign") { tx in try tx.campaign(applicationId: applicationId, id: id) }
    }

    // MARK: Applications

    func createApplication(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        let body = try await req.json(context: ctx)
        let now = clock()
        let app = try decode { try ManagementRequests.newApplication(body, now: now) }
        let created = try await store.write { tx in try tx.insertApplication(app) }
        return jsonResponse(.created, Wire.application(created))
    }

    func listApplications(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let principal = try await member(req)
        let (skip, limit) = try req.paging()
        guard let readable = principal.readableApplications else {
            let page = try await store.read { tx in try tx.applications(skip: skip, limit: limit) }
            return jsonResponse(.ok, listJSON(page.items.map(Wire.application), total: page.total))
        }
        // A user's roles name few applications: those are read, then paged.
        let apps = try await store.read { tx in try readable.sorted().compactMap { try tx.application(id: $0) } }
        let page = apps.dropFirst(skip).prefix(limit)
        return jsonResponse(.ok, listJSON(page.map(Wire.application), total: apps.count))
    }

    func getApplication(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        return jsonResponse(.ok, Wire.application(try await application(ctx)))
    }

    // MARK: Campaigns

    func createCampaign(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let userId = (try await authorize(req, ctx, .campaigns)).userId
        let app = try await application(ctx)
        let body = try await req.json(context: ctx)
        let now = clock()
        var campaign = Campaign(id: 0, applicationId: app.id, userId: userId, created: now, name: "")
        try decode { try ManagementRequests.applyCampaign(body, to: &campaign, creating: true) }
        if campaign.activeRulesetId != nil {
            throw APIError.invalid(
                FieldError(
                    title: "Invalid value", details: "a new campaign has no rulesets yet", pointer: "/activeRulesetId"))
        }
        if campaign.limits.isEmpty { campaign.limits = app.limits }
        let toInsert = campaign
        let created = try await store.write { tx in try tx.insertCampaign(toInsert) }
        try await catalog.reload(app.id)
        return jsonResponse(.created, Wire.campaign(created, now: now))
    }

    func listCampaigns(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let (skip, limit) = try req.paging()
        let now = clock()
        var campaigns = try await store.read { tx in try tx.campaigns(applicationId: app.id) }
        if let state = req.query("campaignState") {
            campaigns = try Self.campaigns(campaigns, inState: state, now: now)
        }
        // `name` and `tags` match case-insensitively; given both, a campaign matching either is listed.
        let name = req.query("name")?.lowercased()
        let tags = req.query("tags")?.lowercased()
        if name != nil || tags != nil {
            campaigns = campaigns.filter { c in
                (name.map { c.name.lowercased().contains($0) } ?? false)
                    || (tags.map { t in c.tags.contains { $0.lowercased().contains(t) } } ?? false)
            }
        }
        if let t = try Self.timeQuery(req, "createdBefore") { campaigns = campaigns.filter { $0.created < t } }
        if let t = try Self.timeQuery(req, "createdAfter") { campaigns = campaigns.filter { $0.created > t } }
        if let sort = req.query("sort") { campaigns = try Self.sorted(campaigns, by: sort) }
        let page = campaigns.dropFirst(skip).prefix(limit)
        return jsonResponse(.ok, listJSON(page.map { Wire.campaign($0, now: now) }, total: campaigns.count))
    }

    /// The reference's `campaignState` filter: the stored state or the one shown (scheduled, running, expired).
    static func campaigns(_ campaigns: [Campaign], inState state: String, now: Timestamp) throws -> [Campaign] {
        let allowed = ["enabled", "disabled", "archived", "draft", "scheduled", "running", "expired"]
        guard allowed.contains(state) else {
            throw APIError.invalidParameter("campaignState", "unknown campaign state")
        }
        return campaigns.filter { $0.state.rawValue == state || $0.frontendState(at: now) == state }
    }

    /// Campaigns in the order `sort` names (`name`, `-created`...); `id` breaks ties.
    static func sorted(_ campaigns: [Campaign], by sort: String) throws -> [Campaign] {
        let descending = sort.hasPrefix("-")
        let field = descending ? String(sort.dropFirst()) : sort
        let before: (Campaign, Campaign) -> Bool
        switch field {
        case "id": before = { $0.id < $1.id }
        case "name": before = { ($0.name.lowercased(), $0.id) < ($1.name.lowercased(), $1.id) }
        case "created": before = { ($0.created, $0.id) < ($1.created, $1.id) }
        case "startTime":
            before = { ($0.startTime?.microseconds ?? .min, $0.id) < ($1.startTime?.microseconds ?? .min, $1.id) }
        case "endTime":
            before = { ($0.endTime?.microseconds ?? .max, $0.id) < ($1.endTime?.microseconds ?? .max, $1.id) }
        case "state": before = { ($0.state.rawValue, $0.id) < ($1.state.rawValue, $1.id) }
        default:
            throw APIError.invalidParameter(
                "sort",
                "sort must be one of id, name, created, startTime, endTime, state, with - in front for descending")
        }
        return descending ? campaigns.sorted { before($1, $0) } : campaigns.sorted(by: before)
    }

    func getCampaign(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        return jsonResponse(.ok, Wire.campaign(try await campaign(ctx, applicationId: app.id), now: clock()))
    }

    func updateCampaign(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .campaigns)
        let app = try await application(ctx)
        var campaign = try await campaign(ctx, applicationId: app.id)
        let body = try await req.json(context: ctx)
        let now = clock()
        try decode { try ManagementRequests.applyCampaign(body, to: &campaign, creating: false) }
        campaign.updated = now
        if let rulesetId = campaign.activeRulesetId {
            let campaignId = campaign.id

            guard try await store.read({ tx in try tx.ruleset(campaignId: campaignId, id: rulesetId) }) != nil else {
                throw APIError.invalid(
                    FieldError(
                        title: "Invalid value", details: "no ruleset \(rulesetId) in this campaign",
                        pointer: "/activeRulesetId"))
            }
        }
        let updated = campaign
        try await store.write { tx in try tx.updateCampaign(updated) }
        try await catalog.reload(app.id)
        return jsonResponse(.ok, Wire.campaign(updated, now: now))
    }

    // MARK: Rulesets

    func createRuleset(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let userId = (try await authorize(req, ctx, .campaigns)).userId
        let app = try await application(ctx)
        let campaign = try await campaign(ctx, applicationId: app.id)
        let body = try await req.json(context: ctx)
        let now = clock()
        var ruleset = try Self.compiledRuleset(body, campaignId: campaign.id, userId: userId, now: now)
        if ruleset.activate { ruleset.activatedAt = now }
        let toInsert = ruleset
        let saved = try await store.write { tx in
            let saved = try tx.insertRuleset(toInsert)
            if saved.activate {
                var activated = campaign
                activated.activeRulesetId = saved.id
                activated.updated = now
                try tx.updateCampaign(activated)
            }
            return saved
        }
        try await catalog.reload(app.id)
        return jsonResponse(.created, Wire.ruleset(saved))
    }

    /// A `NewRuleset` body, refused with a pointer to the bad node unless every rule compiles.
    static func compiledRuleset(_ body: JSON, campaignId: Int64, userId: Int64, now: Timestamp) throws -> Ruleset {
        let ruleset = try decode {
            try ManagementRequests.newRuleset(body, campaignId: campaignId, userId: userId, now: now)
        }
        do {
            _ = try CompiledRuleset(ruleset)
        } catch {
            throw APIError.invalid(FieldError(title: "Invalid rule", details: error.message, pointer: error.pointer))
        }
        return ruleset
    }

    func listRulesets(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let campaign = try await campaign(ctx, applicationId: app.id)
        let (skip, limit) = try req.paging()
        let all = try await store.read { tx in try tx.rulesets(campaignId: campaign.id) }
        return jsonResponse(.ok, listJSON(all.dropFirst(skip).prefix(limit).map(Wire.ruleset), total: all.count))
    }

    func getRuleset(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let campaign = try await campaign(ctx, applicationId: app.id)
        let id = try ctx.parameters.id("rulesetId")
        guard let r = try await store.read({ tx in try tx.ruleset(campaignId: campaign.id, id: id) }) else {
            throw APIError.notFound("Ruleset")
        }
        return jsonResponse(.ok, Wire.ruleset(r))
    }

    // MARK: Coupons

    func createCoupons(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .coupons)
        let app = try await application(ctx)
        let campaign = try await campaign(ctx, applicationId: app.id)
        let body = try await req.json(context: ctx)
        let now = clock()
        let spec = try decode { try ManagementRequests.newCoupons(body) }
        let created: [Coupon]
        do {
            created = try await CouponFactory(store: store).create(
                spec, application: app, campaignId: campaign.id, now: now)
        } catch let e as CouponFactory.Failure {
            throw APIError.invalid(FieldError(title: "Invalid value", details: e.message, pointer: "/couponPattern"))
        }
        if req.query("silent") == "yes" { return emptyResponse(.noContent) }
        return jsonResponse(.ok, listJSON(created.map { Wire.coupon($0) }, total: created.count))
    }
}

/// Runs request decoding, turning a field error into the 400 that names the field.
func decode<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as FieldError {
        throw APIError.invalid(error)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
