import HTTPTypes
import PerkJSON
import Testing

/// Customers, sessions and events recorded by the Integration API, read through the management API.
@Suite struct ManagementActivityTests {
    @Test func eventsSessionsAndCustomersAreReadable() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h)
            let key = shop.key
            try await h.declare("Event", "Stars", type: "number", eventType: "Review")
            _ = try await h.session(
                "s1", key: key,
                ["profileId": "alice", "couponCodes": [.string(shop.code)], "cartItems": [cartItem("a", price: 50)]])
            _ = try await h.session("s1", key: key, ["state": "closed"])
            _ = try await h.call(
                .post, "/v1/events", ["type": "Review", "attributes": ["Stars": 5], "sessionId": "s1"],
                headers: [(.authorization, "ApiKey-v1 \(key)")])
            _ = try await h.call(
                .put, "/v1/customer_profiles/bob", ["attributes": [:]], headers: [(.authorization, "ApiKey-v1 \(key)")])
            _ = try await h.session("s2", key: key, ["cartItems": [cartItem("b", price: 5)]])
            let base = "/v1/applications/\(shop.app)"

            let events = try await h.call(.get, base + "/events")
            #expect(events["totalResultSize"] == 5)
            #expect(
                events["data"]?.arrayValue?.compactMap { $0["type"]?.stringValue } == [
                    "talon_session_created", "talon_profile_created", "Review", "talon_session_closed",
                    "talon_session_created",
                ])
            let oldestFirst = try await h.call(.get, base + "/events?sort=created&pageSize=2&skip=1")
            #expect(
                oldestFirst["data"]?.arrayValue?.compactMap { $0["type"]?.stringValue } == [
                    "talon_session_closed", "Review",
                ])
            let closed = try await h.call(.get, base + "/events?type=talon_session_closed")
            #expect(closed["totalResultSize"] == 1)
            let closeEvent = try #require(closed["data"]?[0])
            #expect(
                closeEvent["effects"]?.arrayValue?.compactMap { $0["effectType"]?.stringValue } == [
                    "acceptCoupon", "setDiscount",
                ])
            let review = try await h.call(.get, base + "/events?type=Review")
            #expect(review["data"]?[0]?["attributes"] == ["Stars": 5])
            // Several types, separated by commas (as the reference takes them).
            #expect(try await h.call(.get, base + "/events?type=Review,talon_session_closed")["totalResultSize"] == 2)
            #expect(try await h.call(.get, base + "/events?profile=bob")["totalResultSize"] == 1)
            #expect(try await h.call(.get, base + "/events?session=s1")["totalResultSize"] == 3)
            #expect(try await h.call(.get, base + "/events?createdAfter=2999-01-01T00:00:00Z")["totalResultSize"] == 0)
            #expect(try await h.call(.get, base + "/events?createdBefore=yesterday").status == .badRequest)
            #expect(try await h.call(.get, base + "/events?sort=name").status == .badRequest)

            let sessions = try await h.call(.get, base + "/sessions")
            #expect(sessions["totalResultSize"] == 2)
            #expect(sessions["hasMore"] == false)
            let s1 = try #require(sessions["data"]?.arrayValue?.first { $0["integrationId"] == "s1" })
            #expect(s1["profileintegrationid"] == "alice")
            #expect(s1["coupon"]?.stringValue == shop.code)
            #expect(s1["state"] == "closed")
            #expect(s1["discounts"] == ["10% off": 5.0])
            #expect(s1["total"] == 50)
            let sessionId = try #require(s1["id"]?.numberValue?.intValue)
            #expect(closeEvent["sessionId"]?.numberValue?.intValue == sessionId)
            #expect(closeEvent["profileId"] == s1["profileId"])
            #expect(try await h.call(.get, base + "/sessions?state=closed")["totalResultSize"] == 1)
            #expect(try await h.call(.get, base + "/sessions?coupon=\(shop.code)")["totalResultSize"] == 1)
            #expect(try await h.call(.get, base + "/sessions?profile=alice")["totalResultSize"] == 1)
            #expect(try await h.call(.get, base + "/sessions?pageSize=1")["hasMore"] == true)
            #expect(try await h.call(.get, base + "/sessions?state=lost").status == .badRequest)
            let one = try await h.call(.get, base + "/sessions/\(sessionId)")
            #expect(one["integrationId"] == "s1")
            #expect(try await h.call(.get, base + "/sessions/999999").status == .notFound)

            let customers = try await h.call(.get, base + "/customers")
            #expect(customers["totalResultSize"] == 2)
            #expect(customers["data"]?.arrayValue?.compactMap { $0["integrationId"]?.stringValue } == ["alice", "bob"])
            let aliceId = try #require(customers["data"]?[0]?["id"]?.numberValue?.intValue)
            let alice = try await h.call(.get, "/v1/customers/\(aliceId)")
            #expect(alice["integrationId"] == "alice")
            #expect(alice["closedSessions"] == 1)
            #expect(try await h.call(.get, base + "/customers/\(aliceId)")["integrationId"] == "alice")
            #expect(try await h.call(.get, "/v1/customers/999999").status == .notFound)
            // Every profile of the account, without a total.
            let everyone = try await h.call(.get, "/v1/customers/no_total?pageSize=1")
            #expect(everyone.status == .ok && everyone["hasMore"] == true && everyone["data"]?[0]?["integrationId"] == "alice")
            let rest = try await h.call(.get, "/v1/customers/no_total?pageSize=1&skip=1")
            #expect(rest["hasMore"] == false && rest["data"]?[0]?["integrationId"] == "bob")

            var anonymous = h
            anonymous.token = ""
            #expect(try await anonymous.call(.get, base + "/events").status == .unauthorized)
        }
    }

    /// The reference's customer and code filters on events, and the customer's id on sessions.
    @Test func eventsAreFoundByCustomerAndCode() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let auth: [(HTTPField.Name, String)] = [(.authorization, "ApiKey-v1 \(key)")]
            let campaign = try await h.createCampaign(app, rules: [Harness.couponRule])
            let code = try await h.createCoupons(app, campaign, pattern: "FIND-####")[0]
            _ = try await h.call(
                .put, "/v1/customer_profiles/carla", ["attributes": ["Name": "Carla Diaz", "Email": "carla@example.com"]],
                headers: auth)
            _ = try await h.session(
                "carla-1", key: key,
                ["profileId": "carla", "couponCodes": [.string(code)], "referralCode": "REF-XYZ", "cartItems": [cartItem("a", price: 9)]])
            _ = try await h.session("dan-1", key: key, ["profileId": "dan", "cartItems": [cartItem("a", price: 9)]])
            let base = "/v1/applications/\(app)"
            func count(_ query: String) async throws -> Int64? {
                try await h.call(.get, base + "/events?" + query)["totalResultSize"]?.numberValue?.intValue
            }
            // carla: the profile update and the session's creation; dan's session is not found.
            #expect(try await count("customerName=diaz") == 2)
            #expect(try await count("customerEmail=EXAMPLE.com") == 2)
            #expect(try await count("customerName=nobody") == 0)
            #expect(try await count("couponCode=\(code)") == 1)
            #expect(try await count("referralCode=REF-XYZ") == 1)
            #expect(try await count("referralCode=REF-NONE") == 0)
            // By the rule and the campaign that gave an effect (carla's session got the discount).
            #expect(try await count("ruleQuery=ten%20PERCENT") == 1)
            #expect(try await count("ruleQuery=twenty") == 0)
            #expect(try await count("campaignQuery=campaign") == 1)
            #expect(try await count("campaignQuery=elsewhere") == 0)
            #expect(try await count("type=talon_session_created,talon_session_updated") == 2)
            let customers = try await h.call(.get, base + "/customers")
            let carla = try #require(
                customers["data"]?.arrayValue?.first { $0["integrationId"] == "carla" }?["id"]?.numberValue?.intValue)
            let sessions = try await h.call(.get, base + "/sessions?customerId=\(carla)")
            #expect(sessions["data"]?.arrayValue?.compactMap { $0["integrationId"]?.stringValue } == ["carla-1"])
            #expect(try await h.call(.get, base + "/sessions?customerId=x").status == .badRequest)
        }
    }
}
