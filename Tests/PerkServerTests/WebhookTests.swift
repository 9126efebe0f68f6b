import Crypto
import Foundation
import HTTPTypes
import PerkEngine
import PerkJSON
import PerkServer
import Testing

/// Webhooks: the management API, and calls delivered to a real receiver only after the update
/// that triggered them is committed, signed, retried until answered, never for a dry run.
@Suite struct WebhookTests {
    /// Fast retries, so that a test sees several attempts.
    static var delivering: WebhookDispatcher.Settings {
        var s = WebhookDispatcher.Settings()
        s.firstRetry = .milliseconds(50)
        s.poll = .milliseconds(50)
        s.timeout = .seconds(2)
        return s
    }

    static func newWebhook(_ app: Int64, url: String) -> JSON {
        [
            "applicationIds": [.number(app)], "title": "Order closed", "verb": "POST",
            "url": .string(url + "/hook/${session}"), "headers": ["X-Shop: demo"],
            "payload": #"{"session": "${session}", "total": ${total}}"#,
            "params": [
                ["type": "string", "title": "Session", "key": "session", "description": "", "ui": [:]],
                ["type": "number", "title": "Total", "key": "total", "description": "", "ui": [:]],
            ],
            "enabled": true,
        ]
    }

    /// An application with a key, a webhook to `url`, and a campaign triggering it when a session closes.
    static func shop(_ h: Harness, url: String) async throws -> (
        app: Int64, key: String, webhook: Int64, secret: String
    ) {
        let app = try await h.createApplication()
        let key = try await h.createKey(app)
        let w = try await h.call(.post, "/v1/webhooks", newWebhook(app, url: url))
        guard w.status == .created, let id = w["id"]?.numberValue?.intValue, let secret = w["secret"]?.stringValue
        else { throw HarnessError(reply: w) }
        _ = try await h.createCampaign(
            app, name: "Tell the CRM",
            rules: [
                [
                    "title": "On close", "condition": ["and", ["=", [".", "Session", "State"], "closed"]],
                    "effects": [
                        ["triggerWebhook", .number(id), [".", "Session", "IntegrationId"], [".", "Session", "Total"]]
                    ],
                ]
            ])
        return (app, key, id, secret)
    }

    /// The log is written after the receiver answered: waits until it holds `count` attempts.
    static func waitForLogs(_ h: Harness, _ count: Int, query: String = "") async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let total = try await h.call(.get, "/v1/webhook_logs" + query)["totalResultSize"]?.numberValue?.intValue
            if let total, total >= count { return }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    static func hmac(_ body: String, _ secret: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: Array(secret.utf8)))
            .map { String(format: "%02x", $0) }.joined()
    }

    @Test func webhooksAreCreatedCheckedUpdatedListedAndDeleted() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let created = try await h.call(.post, "/v1/webhooks", Self.newWebhook(app, url: "http://127.0.0.1:9"))
            #expect(created.status == .created)
            let id = try #require(created["id"]?.numberValue?.intValue)
            #expect(created["secret"]?.stringValue?.count == 64 && created["verb"] == "POST")
            #expect(created["params"]?[0]?["key"] == "session" && created["draft"] == false)

            var bad = try #require(Self.newWebhook(app, url: "http://127.0.0.1:9").objectValue)
            bad["payload"] = #"{"who": "${nobody}"}"#
            let unknown = try await h.call(.post, "/v1/webhooks", .object(bad))
            #expect(unknown.status == .badRequest && unknown["errors"]?[0]?["source"]?["pointer"] == "/payload")
            bad = try #require(Self.newWebhook(app, url: "http://127.0.0.1:9").objectValue)
            bad["verb"] = "FETCH"
            #expect(
                try await h.call(.post, "/v1/webhooks", .object(bad))["errors"]?[0]?["source"]?["pointer"] == "/verb")
            bad = try #require(Self.newWebhook(app, url: "ftp://example.com").objectValue)
            #expect(
                try await h.call(.post, "/v1/webhooks", .object(bad))["errors"]?[0]?["source"]?["pointer"] == "/url")
            bad = try #require(Self.newWebhook(app, url: "http://127.0.0.1:9").objectValue)
            bad["headers"] = ["X-A: a\r\nX-Injected: yes"]
            #expect(
                try await h.call(.post, "/v1/webhooks", .object(bad))["errors"]?[0]?["source"]?["pointer"]
                    == "/headers/0")
            bad = try #require(Self.newWebhook(app, url: "http://127.0.0.1:9").objectValue)
            bad["headers"] = ["no colon"]
            #expect(
                try await h.call(.post, "/v1/webhooks", .object(bad))["errors"]?[0]?["source"]?["pointer"]
                    == "/headers/0")

            var changed = try #require(Self.newWebhook(app, url: "http://127.0.0.1:9").objectValue)
            changed["title"] = "Renamed"
            changed["enabled"] = false
            let updated = try await h.call(.put, "/v1/webhooks/\(id)", .object(changed))
            #expect(updated.status == .ok && updated["title"] == "Renamed" && updated["enabled"] == false)
            #expect(updated["secret"] == created["secret"])

            let other = try await h.createApplication("Other")
            #expect(try await h.call(.get, "/v1/webhooks?applicationIds=\(app)")["totalResultSize"] == 1)
            #expect(try await h.call(.get, "/v1/webhooks?applicationIds=\(other)")["totalResultSize"] == 0)
            #expect(try await h.call(.get, "/v1/webhooks/\(id)")["title"] == "Renamed")
            #expect(try await h.call(.delete, "/v1/webhooks/\(id)").status == .noContent)
            #expect(try await h.call(.get, "/v1/webhooks/\(id)").status == .notFound)
        }
    }

    @Test func aCallIsSentOnceTheSessionClosesSignedAndLogged() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }
        try await Harness.run(delivering: Self.delivering) { h in
            let shop = try await Self.shop(h, url: receiver.url)
            let open = try await h.session("order-1", key: shop.key, ["cartItems": [cartItem("shoe", price: 80)]])
            #expect(open.body.effects("triggerWebhook").isEmpty)
            let closed = try await h.session("order-1", key: shop.key, ["state": "closed"])
            let effect = try #require(closed.body.effects("triggerWebhook").first)
            #expect(effect["webhookId"] == .number(shop.webhook) && effect["webhookName"] == "Order closed")

            try await receiver.waitForDeliveries(1)
            let call = try #require(receiver.delivered.first)
            #expect(receiver.calls.count == 1)
            #expect(call.path == "/hook/order-1" && call.method == "POST")
            #expect(call.body == #"{"session": "order-1", "total": 80}"#)
            #expect(call.headers["x-shop"] == "demo")
            #expect(call.headers["x-perk-signature"] == "sha256=" + Self.hmac(call.body, shop.secret))
            let key = try #require(call.headers["idempotency-key"])

            try await Self.waitForLogs(h, 1)
            let logs = try await h.call(.get, "/v1/webhook_logs?webhookId=\(shop.webhook)")
            #expect(logs["totalResultSize"] == 1)
            #expect(logs["data"]?[0]?["status"] == 200 && logs["data"]?[0]?["request"] == .string(call.body))
            #expect(logs["data"]?[0]?["url"] == .string(receiver.url + "/hook/order-1"))
            let activations = try await h.call(.get, "/v1/webhook_activation_logs?applicationId=\(shop.app)")
            #expect(activations["totalResultSize"] == 1)
            #expect(activations["data"]?[0]?["webhookId"] == .number(shop.webhook))
            #expect(try await h.call(.get, "/v1/webhook_logs?status=error")["totalResultSize"] == 0)

            // A repeated close answers the stored effects and triggers nothing again.
            _ = try await h.session("order-1", key: shop.key, ["state": "closed"])
            try await Task.sleep(for: .milliseconds(300))
            #expect(receiver.calls.count == 1 && receiver.calls[0].headers["idempotency-key"] == key)
        }
    }

    @Test func aRefusedCallIsRetriedUntilItIsAnsweredAndDeliveredOnce() async throws {
        let receiver = WebhookReceiver(refusing: 2)
        try await receiver.start()
        defer { receiver.stop() }
        try await Harness.run(delivering: Self.delivering) { h in
            let shop = try await Self.shop(h, url: receiver.url)
            _ = try await h.session(
                "order-2", key: shop.key, ["state": "closed", "cartItems": [cartItem("a", price: 5)]])
            try await receiver.waitForDeliveries(1)
            try await Task.sleep(for: .milliseconds(300))
            #expect(receiver.delivered.count == 1)
            #expect(receiver.calls.map(\.status) == [503, 503, 200])
            #expect(Set(receiver.calls.compactMap { $0.headers["idempotency-key"] }).count == 1)
            try await Self.waitForLogs(h, 3)
            let errors = try await h.call(.get, "/v1/webhook_logs?status=error")
            #expect(errors["totalResultSize"] == 2 && errors["data"]?[0]?["status"] == 503)
            #expect(try await h.call(.get, "/v1/webhook_logs")["totalResultSize"] == 3)
        }
    }

    @Test func aDryRunOrAFailedUpdateSendsNothing() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }
        try await Harness.run(delivering: Self.delivering) { h in
            let shop = try await Self.shop(h, url: receiver.url)
            let dry = try await h.call(
                .put, "/v2/customer_sessions/order-3?dry=true",
                ["customerSession": ["state": "closed", "cartItems": [cartItem("a", price: 5)]]],
                headers: [(.authorization, "ApiKey-v1 \(shop.key)")])
            #expect(dry.status == .ok && dry.body.effects("triggerWebhook").count == 1)
            // A change to a closed session is refused: nothing it evaluated is sent.
            _ = try await h.session("order-4", key: shop.key, ["state": "closed"])
            try await receiver.waitForDeliveries(1)
            let refused = try await h.session("order-4", key: shop.key, ["cartItems": [cartItem("b", price: 1)]])
            #expect(refused.status == .badRequest)
            try await Task.sleep(for: .milliseconds(300))
            #expect(receiver.calls.map(\.path) == ["/hook/order-4"])
            #expect(try await h.call(.get, "/v1/webhook_activation_logs")["totalResultSize"] == 1)
        }
    }

    @Test func aStringArgumentCannotBreakThePayloadOrTheURL() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }
        try await Harness.run(delivering: Self.delivering) { h in
            let shop = try await Self.shop(h, url: receiver.url)
            let id = #"x", "total": 0, "evil": "/../y"#
            let encoded = try #require(id.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            _ = try await h.session(
                encoded, key: shop.key, ["state": "closed", "cartItems": [cartItem("a", price: 7)]])
            try await receiver.waitForDeliveries(1)
            let call = try #require(receiver.delivered.first)
            let body = try JSON.parse(call.body)
            #expect(body["session"] == .string(id) && body["total"] == 7 && body["evil"] == nil)
            #expect(call.path.hasPrefix("/hook/x%22%2C") && !call.path.contains("/../"))
        }
    }

    @Test func aCallWithTheWrongArgumentsOrToADisabledWebhookFailsTheEffectOnly() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let w = try await h.call(.post, "/v1/webhooks", Self.newWebhook(app, url: "http://127.0.0.1:9"))
            let id = try #require(w["id"]?.numberValue?.intValue)
            var off = try #require(Self.newWebhook(app, url: "http://127.0.0.1:9").objectValue)
            off["enabled"] = false
            let disabled = try #require(
                try await h.call(.post, "/v1/webhooks", .object(off))["id"]?.numberValue?.intValue)
            _ = try await h.createCampaign(
                app, name: "Bad calls",
                rules: [
                    [
                        "title": "Too few", "condition": ["and", true],
                        "effects": [["triggerWebhook", .number(id), "only one"], ["setDiscount", "Kept", 1]],
                    ],
                    [
                        "title": "Wrong type", "condition": ["and", true],
                        "effects": [["triggerWebhook", .number(id), "s", "not a number"]],
                    ],
                    [
                        "title": "Off", "condition": ["and", true],
                        "effects": [["triggerWebhook", .number(disabled), "s", 1]],
                    ],
                ])
            let r = try await h.session("bad-1", key: key, ["state": "closed"], content: ["ruleFailureReasons"])
            #expect(
                r.status == .ok && r.body.effects("setDiscount").count == 1 && r.body.effects("triggerWebhook").isEmpty)
            let details = (r["ruleFailureReasons"]?.arrayValue ?? []).compactMap { $0["details"]?.stringValue }
            #expect(details.count == 3, "\(details)")
            #expect(details.contains { $0.contains("takes 2 argument(s), the rule passes 1") })
            #expect(details.contains { $0.contains("must be a number") })
            #expect(details.contains { $0.contains("is disabled") })
            #expect(try await h.call(.get, "/v1/webhook_activation_logs")["totalResultSize"] == 0)
        }
    }
}
