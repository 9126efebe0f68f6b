import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// Webhooks (`POST/GET/PUT/DELETE /v1/webhooks[/{id}]`, the current `NewWebhook`) and the logs of
/// their activations and delivery attempts (the 2020 shapes and filters).
extension ManagementAPI {
    func registerWebhooks(on router: Routes) {
        router.post("/v1/webhooks") { req, ctx in try await createWebhook(req, ctx) }
        router.get("/v1/webhooks") { req, ctx in try await listWebhooks(req, ctx) }
        router.get("/v1/webhooks/:webhookId") { req, ctx in try await getWebhook(req, ctx) }
        router.put("/v1/webhooks/:webhookId") { req, ctx in try await updateWebhook(req, ctx) }
        router.delete("/v1/webhooks/:webhookId") { req, ctx in try await deleteWebhook(req, ctx) }
        router.get("/v1/webhook_logs") { req, ctx in try await webhookLogs(req, ctx) }
        router.get("/v1/webhook_activation_logs") { req, ctx in try await webhookActivations(req, ctx) }
    }

    /// A `NewWebhook` body onto `w`: every field but `description` and `payload` is required.
    static func applyWebhook(_ body: JSON, to w: inout Webhook) throws(FieldError) {
        let r = try ObjectReader(body, at: "")
        w.applicationIds = try r.ids("applicationIds", required: true)!
        w.title = try r.string("title", required: true, minLength: 1, maxLength: 255)!
        w.description = try r.string("description", maxLength: 10_000) ?? ""
        let verb = try r.string("verb", required: true)!
        guard Webhook.verbs.contains(verb) else { throw ObjectReader.enumError("/verb", "verb", Webhook.verbs) }
        w.verb = verb
        w.url = try r.string("url", required: true, minLength: 1, maxLength: 2048)!
        guard w.url.hasPrefix("http://") || w.url.hasPrefix("https://") else {
            throw FieldError(
                title: "Invalid value", details: "url must start with http:// or https://", pointer: "/url")
        }
        let headers = try r.strings("headers", required: true)!
        for (i, h) in headers.enumerated() where Webhook.header(h) == nil || h.utf8.count > 8192 {
            throw FieldError(
                title: "Invalid value", details: "a header is a line \"Name: value\"", pointer: "/headers/\(i)")
        }
        w.headers = headers
        w.payload = try r.string("payload", maxLength: 100_000) ?? ""
        var params: [TemplateParameter] = []
        for (i, p) in (try r.array("params", required: true)!).enumerated() {
            let pr = try ObjectReader(p, at: "/params/\(i)")
            let type = try pr.string("type", required: true)!
            guard TemplateParameter.types.contains(type) else {
                throw ObjectReader.enumError("/params/\(i)/type", "type", TemplateParameter.types)
            }
            params.append(
                TemplateParameter(
                    type: type, title: try pr.string("title", required: true, minLength: 1)!,
                    description: try pr.string("description") ?? "", key: try pr.string("key") ?? "",
                    ui: try pr.object("ui") ?? JSONObject()))
        }
        guard params.count <= 50 else {
            throw FieldError(title: "Invalid value", details: "a webhook has at most 50 parameters", pointer: "/params")
        }
        w.params = params
        w.enabled = try r.bool("enabled", required: true)!
        let names = Set(params.map(\.name))
        for (field, template) in [("url", w.url), ("payload", w.payload)] {
            guard let used = WebhookTemplate.names(in: template) else {
                throw FieldError(title: "Invalid value", details: "a ${ is not closed", pointer: "/\(field)")
            }
            for name in used where !names.contains(name) {
                throw FieldError(
                    title: "Invalid value", details: "${\(name)} names no parameter: add a parameter with the key \(name), or change the template",
                    pointer: "/\(field)")
            }
        }
    }

    func webhook(_ ctx: PerkRequestContext) async throws -> Webhook {
        let id = try ctx.parameters.id("webhookId")
        return try await found("Webhook") { tx in try tx.webhook(id: id) }
    }

    func createWebhook(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        let body = try await req.json(context: ctx)
        let now = clock()
        var w = Webhook(
            id: 0, created: now, modified: now, applicationIds: [], title: "", verb: "POST", url: "",
            secret: Credentials.randomHex(bytes: 32))
        try decode { try Self.applyWebhook(body, to: &w) }
        let toInsert = w
        let created = try await store.write { tx in
            try checkApplications(toInsert.applicationIds, field: "applicationIds", tx)
            return try tx.insertWebhook(toInsert)
        }
        catalog.changedEverywhere()
        return jsonResponse(.created, Wire.webhook(created))
    }

    func updateWebhook(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        var w = try await webhook(ctx)
        let body = try await req.json(context: ctx)
        try decode { try Self.applyWebhook(body, to: &w) }
        w.modified = clock()
        let toSave = w
        try await store.write { tx in
            try checkApplications(toSave.applicationIds, field: "applicationIds", tx)
            try tx.updateWebhook(toSave)
        }
        catalog.changedEverywhere()
        return jsonResponse(.ok, Wire.webhook(toSave))
    }

    func deleteWebhook(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        let id = try ctx.parameters.id("webhookId")
        guard try await store.write({ tx in try tx.deleteWebhook(id: id) }) else { throw APIError.notFound("Webhook") }
        catalog.changedEverywhere()
        return emptyResponse(.noContent)
    }

    func getWebhook(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        return jsonResponse(.ok, Wire.webhook(try await webhook(ctx)))
    }

    /// `applicationIds` (comma-separated) keeps the webhooks available in one of them; `sort` by
    /// `id`, `title`, `created` or `modified` (`-` for descending).
    func listWebhooks(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        let (skip, limit) = try req.paging()
        let wanted = try req.idSet("applicationIds")
        var all = try await store.read { tx in try tx.webhooks() }
        if let wanted {
            all = all.filter { w in w.applicationIds.isEmpty || !wanted.isDisjoint(with: w.applicationIds) }
        }
        if let sort = req.query("sort"), !sort.isEmpty {
            let descending = sort.hasPrefix("-")
            let field = descending ? String(sort.dropFirst()) : sort
            let before: (Webhook, Webhook) -> Bool
            switch field {
            case "id": before = { $0.id < $1.id }
            case "title": before = { ($0.title, $0.id) < ($1.title, $1.id) }
            case "created": before = { ($0.created, $0.id) < ($1.created, $1.id) }
            case "modified": before = { ($0.modified, $0.id) < ($1.modified, $1.id) }
            default: throw APIError.invalidParameter("sort", "sort must be id, title, created or modified")
            }
            all.sort { descending ? before($1, $0) : before($0, $1) }
        }
        let page = all.dropFirst(skip).prefix(limit)
        return jsonResponse(.ok, listJSON(page.map(Wire.webhook), total: all.count))
    }

    /// The filters both logs share.
    func logFilter(_ req: Request, requestParameter: String) throws -> WebhookLogFilter {
        var f = WebhookLogFilter()
        func id(_ name: String) throws -> Int64? {
            guard let raw = req.query(name) else { return nil }
            guard let d = DecimalNumber(raw), let i = d.exactInt else {
                throw APIError.invalidParameter(name, "\(name) must be an id")
            }
            return Int64(i)
        }
        f.webhookId = try id("webhookId")
        f.applicationId = try id("applicationId")
        f.campaignId = try id("campaignId")
        f.requestUUID = req.query(requestParameter)
        f.createdBefore = try Self.timeQuery(req, "createdBefore")
        f.createdAfter = try Self.timeQuery(req, "createdAfter")
        if let sort = req.query("sort"), !sort.isEmpty {
            guard ["created", "-created", "requestTime", "-requestTime"].contains(sort) else {
                throw APIError.invalidParameter("sort", "sort must be created, -created, requestTime or -requestTime")
            }
            f.descending = sort.hasPrefix("-")
        }
        return f
    }

    func webhookLogs(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        let (skip, limit) = try req.paging()
        var f = try logFilter(req, requestParameter: "requestUuid")
        switch req.query("status") {
        case nil, "": break
        case "success": f.success = true
        case "error": f.success = false
        default: throw APIError.invalidParameter("status", "status must be success or error")
        }
        let filter = f
        let page = try await store.read { tx in try tx.webhookLogs(filter: filter, skip: skip, limit: limit) }
        return jsonResponse(.ok, listJSON(page.items.map(Wire.webhookAttempt), total: page.total))
    }

    func webhookActivations(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        let (skip, limit) = try req.paging()
        let filter = try logFilter(req, requestParameter: "integrationRequestUuid")
        let page = try await store.read { tx in try tx.webhookActivations(filter: filter, skip: skip, limit: limit) }
        let items: [JSON] = page.items.map { a in
            [
                "integrationRequestUuid": .string(a.requestUUID), "webhookId": .number(a.webhookId),
                "applicationId": .number(a.applicationId), "campaignId": .number(a.campaignId),
                "created": a.created.json,
            ]
        }
        return jsonResponse(.ok, listJSON(items, total: page.total))
    }
}

extension Wire {
    /// The 2020 `Webhook` with the current fields (`description`, `draft`), and Perk's own
    /// `secret`: the key of each call's `X-Perk-Signature`.
    static func webhook(_ w: Webhook) -> JSON {
        [
            "id": .number(w.id), "created": w.created.json, "modified": w.modified.json,
            "applicationIds": .array(w.applicationIds.map { .number($0) }), "title": .string(w.title),
            "description": .string(w.description), "draft": false, "verb": .string(w.verb), "url": .string(w.url),
            "headers": .array(w.headers.map { .string($0) }), "payload": .string(w.payload),
            "params": .array(
                w.params.map { p in
                    var o: JSONObject = [
                        "type": .string(p.type), "description": .string(p.description), "title": .string(p.title),
                        "ui": .object(p.ui),
                    ]
                    if !p.key.isEmpty { o.appendUnique("key", .string(p.key)) }
                    return .object(o)
                }),
            "enabled": .bool(w.enabled), "secret": .string(w.secret),
        ]
    }

    /// A 2020 `WebhookLogEntry`: one attempt.
    static func webhookAttempt(_ a: WebhookAttempt) -> JSON {
        var o: JSONObject = [
            "id": .string(a.uuid), "integrationRequestUuid": .string(a.requestUUID), "webhookId": .number(a.webhookId),
            "applicationId": .number(a.applicationId), "url": .string(a.url), "request": .string(a.request),
            "requestTime": a.requestTime.json,
        ]
        if let r = a.response { o.appendUnique("response", .string(r)) }
        if let s = a.status { o.appendUnique("status", .number(Int64(s))) }
        if let t = a.responseTime { o.appendUnique("responseTime", t.json) }
        return .object(o)
    }
}
