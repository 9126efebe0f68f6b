import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// `PUT /v1/applications/{id}` and `POST .../campaigns/{id}/copy`.
extension ManagementAPI {
    func registerApplicationUpdateAndCopy(on router: Routes) {
        router.put("/v1/applications/:applicationId") { req, ctx in try await updateApplication(req, ctx) }
        router.post("/v1/applications/:applicationId/campaigns/:campaignId/copy") { req, ctx in
            try await copyCampaign(req, ctx)
        }
    }

    /// `UpdateApplication {name, timezone, currency, description?, caseSensitivity?, attributes?,
    /// limits?}`. The case sensitivity cannot change: stored codes are looked up by it.
    func updateApplication(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        var app = try await application(ctx)
        let body = try await req.json(context: ctx)
        let now = clock()
        do {
            app = try Self.applyApplicationUpdate(body, to: app, now: now)
        } catch {
            throw APIError.invalid(error)
        }
        let updated = app
        try await store.write { tx in try tx.updateApplication(updated) }
        try await catalog.reload(app.id)
        return jsonResponse(.ok, Wire.application(updated))
    }

    static func applyApplicationUpdate(_ body: JSON, to stored: PerkEngine.Application, now: Timestamp)
        throws(FieldError) -> PerkEngine.Application
    {
        var app = stored
        let r = try ObjectReader(body, at: "")
        app.name = try r.string("name", required: true, minLength: 1)!
        app.timezone = try r.string("timezone", required: true, minLength: 1)!
        app.currency = try r.string("currency", required: true, minLength: 1)!
        if r.object.contains("description") { app.description = try r.string("description") }
        if let c = try r.enumeration("caseSensitivity", CaseSensitivity.self), c != stored.caseSensitivity {
            throw FieldError(
                title: "Invalid value", details: "caseSensitivity cannot change once an application exists",
                pointer: "/caseSensitivity")
        }
        if let a = try r.object("attributes") { app.attributes = a }
        if let l = try r.array("limits") { app.limits = try LimitConfig.list(l, at: "/limits") }
        if let f = try r.bool("enableFlattenedCartItems") { app.enableFlattenedCartItems = f }
        if let p = try r.bool("enablePartialDiscounts") { app.enablePartialDiscounts = p }
        app.modified = now
        return app
    }

    static func campaignCopy(_ body: JSON, from source: Campaign) throws(FieldError) -> ([Int64], Campaign) {
        let r = try ObjectReader(body, at: "")
        var ids: [Int64] = []
        for (i, v) in (try r.array("applicationIds", required: true)!).enumerated() {
            guard let n = v.numberValue.flatMap({ Int64($0.text) }) ?? v.stringValue.flatMap({ Int64($0) }) else {
                throw FieldError(
                    title: "Invalid type", details: "expected an application id", pointer: "/applicationIds/\(i)")
            }
            ids.append(n)
        }
        var c = source
        if let name = try r.string("name", minLength: 1) { c.name = name }
        if let d = try r.string("description") { c.description = d }
        if r.object.contains("startTime") { c.startTime = try r.timestamp("startTime") }
        if r.object.contains("endTime") { c.endTime = try r.timestamp("endTime") }
        if let tags = try r.strings("tags") { c.tags = tags }
        return (ids, c)
    }

    /// `CampaignCopy {applicationIds, name?, description?, startTime?, endTime?, tags?}` (200
    /// `{totalResultSize, data}`): the campaign and its active ruleset, into each application
    /// (no coupons, referrals or counters).
    func copyCampaign(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let principal = try await authorize(req, ctx, .campaigns)
        let userId = principal.userId
        let app = try await application(ctx)
        let source = try await campaign(ctx, applicationId: app.id)
        let body = try await req.json(context: ctx)
        let now = clock()
        let targets: [Int64]
        let template: Campaign
        do {
            (targets, template) = try Self.campaignCopy(body, from: source)
        } catch {
            throw APIError.invalid(error)
        }
        for target in targets where !principal.may(.campaigns, in: target) {
            throw APIError.forbidden("copy campaigns into application \(target)")
        }
        let copies = try await store.write { tx -> [Campaign] in
            let ruleset = try source.activeRulesetId.flatMap { try tx.ruleset(campaignId: source.id, id: $0) }
            var out: [Campaign] = []
            for target in targets {
                guard try tx.application(id: target) != nil else {
                    throw APIError.invalid(
                        FieldError(
                            title: "Invalid value", details: "no application \(target)", pointer: "/applicationIds"))
                }
                var copy = Campaign(
                    id: 0, applicationId: target, userId: userId, created: now, name: template.name,
                    description: template.description, startTime: template.startTime, endTime: template.endTime,
                    attributes: template.attributes, state: template.state, tags: template.tags,
                    features: template.features, couponSettings: template.couponSettings,
                    referralSettings: template.referralSettings, limits: template.limits)
                copy = try tx.insertCampaign(copy)
                if var r = ruleset {
                    r.id = 0
                    r.campaignId = copy.id
                    r.userId = userId
                    r.created = now
                    r.activatedAt = now
                    let saved = try tx.insertRuleset(r)
                    copy.activeRulesetId = saved.id
                    try tx.updateCampaign(copy)
                }
                out.append(copy)
            }
            return out
        }
        for target in Set(targets) { try await catalog.reload(target) }
        return jsonResponse(.ok, listJSON(copies.map { Wire.campaign($0, now: now) }, total: copies.count))
    }
}
