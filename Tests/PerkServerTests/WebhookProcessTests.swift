import Foundation
import NIOHTTP1
import PerkJSON
import PerkTestSupport
import Testing

/// Webhook delivery across real `perk serve` processes: a call committed before its node was
/// killed is delivered after the restart, and two nodes sharing PostgreSQL deliver each call once.
@Suite(.serialized) struct WebhookProcessTests {
    static let fastRetries = ["--webhook-first-retry-ms", "100", "--webhook-timeout-seconds", "2"]

    /// A shop on `node` whose campaign triggers a webhook to `receiver` when a session closes.
    static func shop(on node: ClusterTests.Node, receiver: WebhookReceiver) async throws -> ClusterTests.Client {
        let (client, appId) = try await ClusterTests.application(on: node)
        let (status, webhook) = try await client.call(
            .POST, "/v1/webhooks", WebhookTests.newWebhook(appId, url: receiver.url))
        #expect(status == 201, "\(webhook.text)")
        let webhookId = try #require(webhook["id"]?.numberValue?.intValue)
        let (_, campaign) = try await client.call(
            .POST, "/v1/applications/\(appId)/campaigns",
            ["name": "CRM", "state": "enabled", "tags": [], "features": [], "limits": []])
        let campaignId = try #require(campaign["id"]?.numberValue?.intValue)
        let rule: JSON = [
            "title": "On close", "condition": ["and", ["=", [".", "Session", "State"], "closed"]],
            "effects": [
                ["triggerWebhook", .number(webhookId), [".", "Session", "IntegrationId"], [".", "Session", "Total"]]
            ],
        ]
        let (rulesetStatus, _) = try await client.call(
            .POST, "/v1/applications/\(appId)/campaigns/\(campaignId)/rulesets",
            ["rules": [rule], "bindings": [], "activate": true])
        #expect(rulesetStatus == 201)
        return client
    }

    @Test func aCallCommittedBeforeACrashIsDeliveredAfterTheRestart() async throws {
        let database =
            "sqlite:"
            + FileManager.default.temporaryDirectory.appendingPathComponent("perk-webhook-\(UUID().uuidString).db").path
        // Nothing listens yet: every attempt before the crash fails.
        let receiver = WebhookReceiver()
        var node: ClusterTests.Node? = try await ClusterTests.Node(database: database, arguments: Self.fastRetries)
        let client = try await Self.shop(on: node!, receiver: receiver)
        let (status, _) = try await client.close("crash-1", ["cartItems": ClusterTests.cart])
        #expect(status == 200)
        try await Task.sleep(for: .milliseconds(300))
        node?.kill()
        node = nil

        try await receiver.start()
        defer { receiver.stop() }
        let restarted = try await ClusterTests.Node(database: database, arguments: Self.fastRetries)
        try await receiver.waitForDeliveries(1, seconds: 15)
        try await Task.sleep(for: .milliseconds(500))
        #expect(receiver.delivered.count == 1)
        #expect(receiver.delivered.first?.body == #"{"session": "crash-1", "total": 120}"#)
        // The node died during its attempt (the connection was still being retried): the restarted
        // one took the delivery over once the claim ran out, and logged the attempt that worked.
        let again = ClusterTests.Client(base: restarted.base, token: client.token, key: client.key)
        var statuses: [Int64?] = []
        // The attempt is logged after the receiver answered.
        for _ in 0..<100 where statuses.last != 200 {
            let (_, logs) = try await again.call(.GET, "/v1/webhook_logs?sort=created")
            statuses = (logs["data"]?.arrayValue ?? []).map { $0["status"]?.numberValue?.intValue }
            if statuses.last != 200 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(statuses.last == 200 && statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
    }

    @Test func twoNodesOnPostgreSQLDeliverEachCallOnce() async throws {
        guard let database = try TestPostgres.freshDatabase() else { return }
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }
        let first = try await ClusterTests.Node(database: database, arguments: Self.fastRetries)
        let second = try await ClusterTests.Node(database: database, arguments: Self.fastRetries)
        let client = try await Self.shop(on: first, receiver: receiver)
        let clients = [client, ClusterTests.Client(base: second.base, token: client.token, key: client.key)]
        let count = 40
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<count {
                let c = clients[i % 2]
                group.addTask { try await c.close("order-\(i)", ["cartItems": ClusterTests.cart]).status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.allSatisfy { $0 == 200 })
        try await receiver.waitForDeliveries(count, seconds: 20)
        try await Task.sleep(for: .seconds(2))
        let keys = receiver.calls.compactMap { $0.headers["idempotency-key"] }
        #expect(receiver.calls.count == count)
        #expect(Set(keys).count == count)
        #expect(Set(receiver.calls.map(\.path)).count == count)
    }
}
