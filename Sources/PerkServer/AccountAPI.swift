import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// The one account a Perk holds (`getAccount`, `getAccountAnalytics`), and campaigns found by
/// their attributes (`getCampaignByAttributes`).
extension ManagementAPI {
    func registerAccount(on router: Routes) {
        router.get("/v1/accounts/:accountId") { req, ctx in try await getAccount(req, ctx) }
        router.get("/v1/accounts/:accountId/analytics") { req, ctx in try await getAccountAnalytics(req, ctx) }
        router.post("/v1/applications/:applicationId/campaigns_search") { req, ctx in
            try await searchCampaigns(req, ctx)
        }
    }

    /// Campaigns and rules across the account: how many, and how many run now.
    struct CampaignCounts {
        var applications = 0
        var campaigns = 0
        var running = 0
        var activeRules = 0
    }

    /// Every application of the account, read a page at a time.
    static func everyApplication(_ tx: any StoreTransaction) throws -> [PerkEngine.Application] {
        var apps: [PerkEngine.Application] = []
        while true {
            let page = try tx.applications(skip: apps.count, limit: 1000)
            apps += page.items
            if page.items.isEmpty || apps.count >= page.total { return apps }
        }
    }

    func campaignCounts(now: Timestamp) async throws -> CampaignCounts {
        try await store.read { tx in
            var out = CampaignCounts()
            for app in try Self.everyApplication(tx) {
                out.applications += 1
                let campaigns = try tx.campaigns(applicationId: app.id)
                let running = try Self.campaigns(campaigns, inState: "running", now: now)
                let rulesets = try tx.activeRulesets(applicationId: app.id)
                out.campaigns += campaigns.count
                out.running += running.count
                out.activeRules += running.reduce(0) { $0 + (rulesets[$1.id]?.rules.count ?? 0) }
            }
            return out
        }
    }

    /// Perk holds one account (`perkAccountID`); any other id is not found.
    func account(_ ctx: PerkRequestContext) throws {
        guard try ctx.parameters.id("accountId") == perkAccountID else { throw APIError.notFound("Account") }
    }

    func getAccount(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await member(req)
        try account(ctx)
        let now = clock()
        let (counts, firstAdmin) = try await store.read { tx in
            let admins = try tx.users(skip: 0, limit: 1000, sort: UserSort()).items.filter { $0.admin && $0.state == .active }
            return (try tx.accountCounts(now: now), admins.first?.email ?? "")
        }
        let campaigns = try await campaignCounts(now: now)
        let created = counts.created ?? now
        var o = JSONObject()
        o.appendUnique("id", .number(perkAccountID))
        o.appendUnique("created", created.json)
        o.appendUnique("modified", created.json)
        o.appendUnique("companyName", "Perk")
        o.appendUnique("domainName", .string(req.head.authority.map { String($0.split(separator: ":").first ?? "") } ?? ""))
        o.appendUnique("state", "active")
        o.appendUnique("billingEmail", .string(firstAdmin))
        o.appendUnique("applicationCount", .number(campaigns.applications))
        o.appendUnique("userCount", .number(counts.users))
        o.appendUnique("campaignsActiveCount", .number(campaigns.running))
        o.appendUnique("campaignsInactiveCount", .number(campaigns.campaigns - campaigns.running))
        o.appendUnique("attributes", .object([:]))
        return jsonResponse(.ok, .object(o))
    }

    /// 2020's `AccountAnalytics`, with the fields the current SDK also requires (every
    /// application is live: Perk has no sandbox applications).
    func getAccountAnalytics(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await member(req)
        try account(ctx)
        let now = clock()
        let counts = try await store.read { tx in try tx.accountCounts(now: now) }
        let campaigns = try await campaignCounts(now: now)
        var o = JSONObject()
        o.appendUnique("applications", .number(campaigns.applications))
        o.appendUnique("liveApplications", .number(campaigns.applications))
        o.appendUnique("sandboxApplications", 0)
        o.appendUnique("activeCampaigns", .number(campaigns.running))
        o.appendUnique("liveActiveCampaigns", .number(campaigns.running))
        o.appendUnique("campaigns", .number(campaigns.campaigns))
        o.appendUnique("coupons", .number(counts.coupons))
        o.appendUnique("activeCoupons", .number(counts.activeCoupons))
        o.appendUnique("expiredCoupons", .number(counts.expiredCoupons))
        o.appendUnique("customAttributes", .number(counts.customAttributes))
        o.appendUnique("referralCodes", .number(counts.referralCodes))
        o.appendUnique("activeReferralCodes", .number(counts.activeReferralCodes))
        o.appendUnique("expiredReferralCodes", .number(counts.expiredReferralCodes))
        o.appendUnique("users", .number(counts.users))
        o.appendUnique("roles", .number(counts.roles))
        o.appendUnique("webhooks", .number(counts.webhooks))
        o.appendUnique("loyaltyPrograms", .number(counts.loyaltyPrograms))
        o.appendUnique("liveLoyaltyPrograms", .number(counts.loyaltyPrograms))
        o.appendUnique("activeRules", .number(campaigns.activeRules))
        o.appendUnique("lastUpdatedAt", now.json)
        return jsonResponse(.ok, .object(o))
    }

    /// `CampaignSearch`: campaigns whose attributes hold every given value (exactly), optionally
    /// in one `campaignState`, paged and sorted as the campaign listing is.
    func searchCampaigns(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let (skip, limit) = try req.paging()
        let body = try ObjectReader(try await req.json(context: ctx), at: "")
        guard let wanted = try body.object("attributes", required: true) else { throw APIError.badRequest("attributes") }
        let now = clock()
        var campaigns = try await store.read { tx in try tx.campaigns(applicationId: app.id) }
        if let state = req.query("campaignState") { campaigns = try Self.campaigns(campaigns, inState: state, now: now) }
        campaigns = campaigns.filter { c in wanted.allSatisfy { key, value in c.attributes[key] == value } }
        if let sort = req.query("sort") { campaigns = try Self.sorted(campaigns, by: sort) }
        let page = campaigns.dropFirst(skip).prefix(limit)
        return jsonResponse(.ok, listJSON(page.map { Wire.campaign($0, now: now) }, total: campaigns.count))
    }
}
