import HTTPTypes
import PerkEngine
import PerkJSON
import PerkServer
import PerkStorage
import Testing

/// The Integration API's access log and the health report made from it.
@Suite struct AccessLogTests {
    static let range = "rangeStart=2000-01-01T00:00:00Z&rangeEnd=2100-01-01T00:00:00Z"

    @Test func integrationRequestsAreLoggedWithTheirBodies() async throws {
        try await Harness.run(accessLog: AccessLogRecorder()) { h in
            let app = try await h.createApplication()
            let other = try await h.createApplication("Other")
            let key = try await h.createKey(app)
            let none = try await h.call(.get, "/v1/applications/\(app)/health_report")
            #expect(none["summary"] == "NONE")

            #expect(try await h.session("s1", key: key, ["cartItems": [cartItem("A", price: 10)]]).status == .ok)
            let bad = try await h.session("s2", key: key, ["cartItems": "not a list"])
            #expect(bad.status == .badRequest)
            _ = try await h.call(.put, "/v2/customer_sessions/s3", ["customerSession": [:]],
                headers: [(.authorization, "ApiKey-v1 wrong")])
            // Not the Integration API: not logged, even with a valid key.
            _ = try await h.call(.get, "/health", headers: [(.authorization, "ApiKey-v1 \(key)")])
            #expect(try await h.accessLog?.flush(into: h.store) == 2)

            let base = "/v1/applications/\(app)/access_logs"
            let all = try await h.call(.get, base + "?\(Self.range)")
            #expect(all.status == .ok)
            #expect(all["totalResultSize"] == 2)
            let newest = all["data"]?[0]
            #expect(newest?["method"] == "PUT")
            #expect(newest?["requestUri"] == "/v2/customer_sessions/s2")
            #expect(newest?["status"] == 400)
            #expect(newest?["requestPayload"]?.stringValue?.contains("not a list") == true)
            #expect(newest?["responsePayload"]?.stringValue?.contains("cartItems") == true)
            #expect(all["data"]?[1]?["status"] == 200)
            #expect(all["data"]?[1]?["responsePayload"]?.stringValue?.contains("effects") == true)

            let errors = try await h.call(.get, base + "?\(Self.range)&status=error")
            #expect(errors["data"]?.arrayValue?.count == 1)
            // The reference writes methods in lower case.
            let puts = try await h.call(.get, base + "?\(Self.range)&method=put")
            #expect(puts["totalResultSize"] == 2)
            #expect(try await h.call(.get, base + "?\(Self.range)&method=get")["totalResultSize"] == 0)
            let byPath = try await h.call(.get, base + "?\(Self.range)&path=/v2/customer_sessions/s1&sort=time")
            #expect(byPath["data"]?.arrayValue?.compactMap { $0["status"]?.numberValue?.intValue } == [200])
            let page = try await h.call(.get, base + "/no_total?\(Self.range)&pageSize=1")
            #expect(page["hasMore"] == true)
            #expect(page["data"]?.arrayValue?.count == 1)
            let before = try await h.call(.get, base + "?rangeStart=2000-01-01T00:00:00Z&rangeEnd=2001-01-01T00:00:00Z")
            #expect(before["totalResultSize"] == 0)
            #expect(try await h.call(.get, "/v1/applications/\(other)/access_logs?\(Self.range)")["totalResultSize"] == 0)
            #expect(try await h.call(.get, "/v1/access_logs?\(Self.range)")["totalResultSize"] == 2)

            let missing = try await h.call(.get, base)
            #expect(missing.status == .badRequest)
            #expect(missing["errors"]?[0]?["source"]?["parameter"] == "rangeStart")
            let method = try await h.call(.get, base + "?\(Self.range)&method=BREW")
            #expect(method["errors"]?[0]?["source"]?["parameter"] == "method")

            // One refusal in two requests within the hour: more than a quarter refused.
            let health = try await h.call(.get, "/v1/applications/\(app)/health_report")
            #expect(health["summary"] == "WARNING")
            #expect(health["lastUsed"]?.stringValue != nil)

            // A path no route answers is logged with the 404 the client got (thrown by the
            // router, not by a route).
            let lost = try await h.call(.get, "/v2/no_such_thing", headers: [(.authorization, "ApiKey-v1 \(key)")])
            #expect(lost.status == .notFound)
            #expect(try await h.accessLog?.flush(into: h.store) == 1)
            let logged = try await h.call(.get, base + "?\(Self.range)&path=/v2/no_such_thing")
            #expect(logged["data"]?[0]?["status"] == 404)
            #expect(logged["data"]?[0]?["responsePayload"]?.stringValue?.contains("Not found") == true)
        }
    }

    /// More notes than one transaction takes are written over several, none lost.
    @Test func aBusySecondIsWrittenInSeveralTransactions() async throws {
        try await Harness.run(accessLog: AccessLogRecorder()) { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let count = AccessLogRecorder.notesPerTransaction * 2 + 30
            for i in 0..<count {
                _ = try await h.call(.get, "/v2/nothing/\(i)", headers: [(.authorization, "ApiKey-v1 \(key)")])
            }
            #expect(try await h.accessLog?.flush(into: h.store) == count)
            let all = try await h.call(.get, "/v1/applications/\(app)/access_logs/no_total?\(Self.range)&pageSize=1000")
            #expect(Set(all["data"]?.arrayValue?.compactMap { $0["requestUri"]?.stringValue } ?? []).count == count)
        }
    }

    @Test func theLogIsKeptForItsRetentionAndRows() async throws {
        try await Harness.run(accessLog: AccessLogRecorder()) { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            for i in 0..<5 { _ = try await h.session("s\(i)", key: key, ["cartItems": []]) }
            try await h.accessLog?.flush(into: h.store)
            var settings = Retention.Settings()
            settings.events = nil
            settings.webhookLogs = nil
            settings.accessLogs = nil
            settings.accessLogRows = 3
            settings.batch = 1
            #expect(try await Retention(store: h.store, settings: settings).prune() == 2)
            let left = try await h.call(.get, "/v1/applications/\(app)/access_logs?\(Self.range)&sort=time")
            #expect(
                left["data"]?.arrayValue?.compactMap { $0["requestUri"]?.stringValue }
                    == ["/v2/customer_sessions/s2", "/v2/customer_sessions/s3", "/v2/customer_sessions/s4"])
            settings.accessLogRows = nil
            settings.accessLogs = .seconds(0)
            #expect(try await Retention(store: h.store, settings: settings).prune() == 3)
        }
    }
}
