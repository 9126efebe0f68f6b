import Foundation
import HTTPTypes
import PerkEngine
import PerkJSON
import PerkServer
import Testing

/// Old events and webhook logs are forgotten after their retention, in batches; newer ones stay.
@Suite struct RetentionTests {
    @Test func eventsAndWebhookLogsPastTheirRetentionAreDeletedInBatches() async throws {
        let clock = ManualClock()
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }
        try await Harness.run(clock: clock.now, delivering: WebhookTests.delivering) { h in
            let shop = try await WebhookTests.shop(h, url: receiver.url)
            for i in 0..<5 {
                _ = try await h.session("old-\(i)", key: shop.key, ["state": "closed"])
            }
            try await receiver.waitForDeliveries(5)
            try await WebhookTests.waitForLogs(h, 5)
            clock.advance(seconds: 40 * 86_400)
            // The sign-in of 40 days ago has expired.
            h.token = ""
            let login = try await h.call(.post, "/v1/sessions", ["email": "admin@example.com", "password": "secret"])
            h.token = login["token"]?.stringValue ?? ""
            _ = try await h.session("new-1", key: shop.key, ["cartItems": []])

            var settings = Retention.Settings()
            settings.events = .seconds(35 * 86_400)
            settings.webhookLogs = .seconds(35 * 86_400)
            settings.batch = 2
            let retention = Retention(store: h.store, clock: clock.now, settings: settings)
            // 5 events and, per call, an attempt, an activation and a delivered outbox row.
            #expect(try await retention.prune() == 5 + 3 * 5)
            let events = try await h.call(.get, "/v1/applications/\(shop.app)/events")
            #expect(events["data"]?.arrayValue?.map { $0["type"] } == ["talon_session_created"])
            #expect(try await h.call(.get, "/v1/webhook_logs")["totalResultSize"] == 0)
            #expect(try await h.call(.get, "/v1/webhook_activation_logs")["totalResultSize"] == 0)
            #expect(try await retention.prune() == 0)
        }
    }
}
