import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// `GET/PUT /v1/applications/{applicationId}/campaign_set`: the campaign priority tree.
extension ManagementAPI {
    func registerCampaignSet(on router: Routes) {
        router.get("/v1/applications/:applicationId/campaign_set") { req, ctx in try await getCampaignSet(req, ctx) }
        router.put("/v1/applications/:applicationId/campaign_set") { req, ctx in try await putCampaignSet(req, ctx) }
    }

    /// Without a stored set, the implicit one: every campaign, all of them (`ALL`), id 0.
    func getCampaignSet(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let (stored, campaigns) = try await store.read { tx in
            (try tx.campaignSet(applicationId: app.id), try tx.campaigns(applicationId: app.id))
        }
        let set =
            stored
            ?? CampaignSet(
                id: 0, created: app.created, applicationId: app.id,
                root: .set(name: "All campaigns", operator: .all, elements: campaigns.map { .campaign($0.id) }, evaluation: nil))
        return jsonResponse(.ok, Wire.campaignSet(set))
    }

    /// `NewCampaignSet {applicationId, set}`: every leaf must be a campaign of the application.
    func putCampaignSet(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .campaigns)
        let app = try await application(ctx)
        let body = try await req.json(context: ctx)
        let root = try decode { () throws(FieldError) -> CampaignSetNode in
            let r = try ObjectReader(body, at: "")
            let appId = try r.integer("applicationId", required: true)!
            guard appId == app.id else {
                throw FieldError(
                    title: "Invalid value", details: "applicationId must be \(app.id), the application of the path",
                    pointer: "/applicationId")
            }
            return try CampaignSetNode(json: try r.value("set", required: true)!, at: "/set", root: true)
        }
        let now = clock()
        let saved = try await store.write { tx -> CampaignSet in
            let known = Set(try tx.campaigns(applicationId: app.id).map(\.id))
            for id in root.campaignIds where !known.contains(id) {
                throw APIError.invalid(
                    FieldError(
                        title: "Invalid value", details: "campaign \(id) is not a campaign of this application",
                        pointer: "/set"))
            }
            return try tx.saveCampaignSet(applicationId: app.id, root: root, now: now)
        }
        try await catalog.reload(app.id)
        return jsonResponse(.ok, Wire.campaignSet(saved))
    }
}

extension Wire {
    static func campaignSet(_ s: CampaignSet) -> JSON {
        [
            "id": .number(s.id), "created": s.created.json, "applicationId": .number(s.applicationId),
            "set": s.root.json,
        ]
    }
}
