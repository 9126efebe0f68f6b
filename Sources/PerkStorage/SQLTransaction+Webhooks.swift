import PerkEngine
import PerkJSON
import Talang

/// Webhooks, their outbox and their logs in SQL.
extension SQLTransaction {
    static func paramsJSON(_ params: [TemplateParameter]) -> JSON {
        .array(
            params.map {
                [
                    "type": .string($0.type), "title": .string($0.title), "description": .string($0.description),
                    "key": .string($0.key), "ui": .object($0.ui),
                ]
            })
    }

    static func params(_ text: String?) -> [TemplateParameter] {
        (json(text).arrayValue ?? []).map { p in
            let o = p.objectValue ?? JSONObject()
            return TemplateParameter(
                type: o["type"]?.stringValue ?? "string", title: o["title"]?.stringValue ?? "",
                description: o["description"]?.stringValue ?? "", key: o["key"]?.stringValue ?? "",
                ui: o["ui"]?.objectValue ?? JSONObject())
        }
    }

    static func webhook(_ r: SQLRow) -> Webhook {
        Webhook(
            id: r["id"], created: Timestamp(microseconds: r["created"]),
            modified: Timestamp(microseconds: r["modified"]),
            applicationIds: (json(r["applications"]).arrayValue ?? []).compactMap { $0.numberValue?.intValue },
            title: r["title"], description: r["description"], verb: r["verb"], url: r["url"],
            headers: strings(r["headers"]), payload: r["payload"], params: params(r["params"]), enabled: r["enabled"],
            secret: r["secret"])
    }

    func webhookArguments(_ w: Webhook) -> [any SQLBindable] {
        [
            w.modified.microseconds, Self.ids(w.applicationIds), w.title, w.description, w.verb, w.url,
            Self.text(.array(w.headers.map { .string($0) })), w.payload, Self.text(Self.paramsJSON(w.params)),
            w.enabled,
        ]
    }

    func insertWebhook(_ w: Webhook) throws -> Webhook {
        var w = w
        w.id = try insert(
            """
            INSERT INTO webhooks (modified, applications, title, description, verb, url, headers, payload, params,
                enabled, created, secret) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: SQLArguments(webhookArguments(w) + [w.created.microseconds, w.secret]))
        try catalogChanged()
        return w
    }

    func updateWebhook(_ w: Webhook) throws {
        try exec(
            """
            UPDATE webhooks SET modified = ?, applications = ?, title = ?, description = ?, verb = ?, url = ?,
                headers = ?, payload = ?, params = ?, enabled = ? WHERE id = ?
            """, arguments: SQLArguments(webhookArguments(w) + [w.id]))
        try catalogChanged()
    }

    func deleteWebhook(id: Int64) throws -> Bool {
        let deleted = try exec("DELETE FROM webhooks WHERE id = ?", arguments: [id]) > 0
        if deleted { try catalogChanged() }
        return deleted
    }

    func webhook(id: Int64) throws -> Webhook? {
        try one("SELECT * FROM webhooks WHERE id = ?", arguments: [id]).map(Self.webhook)
    }

    func webhooks() throws -> [Webhook] {
        try all("SELECT * FROM webhooks ORDER BY id").map(Self.webhook)
    }

    // MARK: Outbox

    func enqueue(_ d: WebhookDelivery) throws {
        try exec(
            """
            INSERT INTO webhook_outbox (uuid, webhook_id, application_id, campaign_id, request_uuid, verb, url,
                headers, body, created, attempts, due, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 'pending')
            """,
            arguments: [
                d.uuid, d.webhookId, d.applicationId, d.campaignId, d.requestUUID, d.verb, d.url,
                Self.text(.array(d.headers.map { .string($0) })), d.body, d.created.microseconds,
                d.created.microseconds,
            ])
        try exec(
            """
            INSERT INTO webhook_activations (request_uuid, webhook_id, application_id, campaign_id, created)
            VALUES (?, ?, ?, ?, ?)
            """, arguments: [d.requestUUID, d.webhookId, d.applicationId, d.campaignId, d.created.microseconds])
    }

    func claimDeliveries(now: Timestamp, leaseUntil: Timestamp, limit: Int) throws -> [WebhookDelivery] {
        let rows = try all(
            "SELECT * FROM webhook_outbox WHERE state = 'pending' AND due <= ? ORDER BY due, id LIMIT ?"
                + db.dialect.skipLocked, arguments: [now.microseconds, limit])
        var out: [WebhookDelivery] = []
        for r in rows {
            let id: Int64 = r["id"]
            try exec(
                "UPDATE webhook_outbox SET due = ?, attempts = attempts + 1 WHERE id = ?",
                arguments: [leaseUntil.microseconds, id])
            out.append(
                WebhookDelivery(
                    id: id, uuid: r["uuid"], webhookId: r["webhook_id"], applicationId: r["application_id"],
                    campaignId: r["campaign_id"], requestUUID: r["request_uuid"], verb: r["verb"], url: r["url"],
                    headers: Self.strings(r["headers"]), body: r["body"],
                    created: Timestamp(microseconds: r["created"]),
                    attempts: (r["attempts"] as Int) + 1))
        }
        return out
    }

    func recordAttempt(_ a: WebhookAttempt, deliveryId: Int64, done: Bool, failed: Bool, retryAt: Timestamp?) throws {
        try exec(
            """
            INSERT INTO webhook_logs (uuid, delivery_uuid, request_uuid, webhook_id, application_id, campaign_id, url,
                request, response, status, request_time, response_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            arguments: [
                a.uuid, a.deliveryUUID, a.requestUUID, a.webhookId, a.applicationId, a.campaignId, a.url, a.request,
                a.response, a.status.map(Int64.init), a.requestTime.microseconds, a.responseTime?.microseconds,
            ])
        if done || failed {
            try exec(
                "UPDATE webhook_outbox SET state = ? WHERE id = ?",
                arguments: [done ? "delivered" : "failed", deliveryId])
        } else if let retryAt {
            try exec("UPDATE webhook_outbox SET due = ? WHERE id = ?", arguments: [retryAt.microseconds, deliveryId])
        }
    }

    func nextDeliveryDue() throws -> Timestamp? {
        Self.time(try scalar("SELECT MIN(due) FROM webhook_outbox WHERE state = 'pending'"))
    }

    // MARK: Logs

    func logConditions(_ f: WebhookLogFilter, time: String, request: String) -> Conditions {
        var c = Conditions("1 = 1")
        if let v = f.webhookId { c.add("webhook_id = ?", v) }
        if let v = f.applicationId { c.add("application_id = ?", v) }
        if let v = f.campaignId { c.add("campaign_id = ?", v) }
        if let v = f.requestUUID { c.add("\(request) = ?", v) }
        if let v = f.createdBefore { c.add("\(time) < ?", v.microseconds) }
        if let v = f.createdAfter { c.add("\(time) > ?", v.microseconds) }
        return c
    }

    func webhookLogs(filter: WebhookLogFilter, skip: Int, limit: Int) throws -> Page<WebhookAttempt> {
        var c = logConditions(filter, time: "request_time", request: "uuid")
        switch filter.success {
        case true?: c.add("status >= 200 AND status < 300")
        case false?: c.add("(status IS NULL OR status < 200 OR status >= 300)")
        case nil: break
        }
        let order = filter.descending ? "DESC" : "ASC"
        let items = try all(
            "SELECT * FROM webhook_logs WHERE \(c.clause) ORDER BY request_time \(order), id \(order) LIMIT ? OFFSET ?",
            arguments: SQLArguments(c.arguments + [limit, skip])
        ).map { r in
            var a = WebhookAttempt(
                uuid: r["uuid"], deliveryUUID: r["delivery_uuid"], requestUUID: r["request_uuid"],
                webhookId: r["webhook_id"], applicationId: r["application_id"], campaignId: r["campaign_id"],
                url: r["url"], request: r["request"], response: r["response"], status: r["status"],
                requestTime: Timestamp(microseconds: r["request_time"]), responseTime: Self.time(r["response_time"]))
            a.id = r["id"]
            return a
        }
        let total: Int =
            try scalar("SELECT COUNT(*) FROM webhook_logs WHERE \(c.clause)", arguments: SQLArguments(c.arguments)) ?? 0
        return Page(items: items, total: total)
    }

    func webhookActivations(filter: WebhookLogFilter, skip: Int, limit: Int) throws -> Page<WebhookActivation> {
        let c = logConditions(filter, time: "created", request: "request_uuid")
        let order = filter.descending ? "DESC" : "ASC"
        let items = try all(
            "SELECT * FROM webhook_activations WHERE \(c.clause) ORDER BY created \(order), id \(order) LIMIT ? OFFSET ?",
            arguments: SQLArguments(c.arguments + [limit, skip])
        ).map { r in
            WebhookActivation(
                requestUUID: r["request_uuid"], webhookId: r["webhook_id"], applicationId: r["application_id"],
                campaignId: r["campaign_id"], created: Timestamp(microseconds: r["created"]))
        }
        let total: Int =
            try scalar(
                "SELECT COUNT(*) FROM webhook_activations WHERE \(c.clause)", arguments: SQLArguments(c.arguments))
            ?? 0
        return Page(items: items, total: total)
    }
}
