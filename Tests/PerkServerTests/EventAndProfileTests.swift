import HTTPTypes
import PerkJSON
import Testing

/// `POST /v1/events` and `PUT /v1/customer_profiles/{id}`.
@Suite struct EventAndProfileTests {
    func post(_ h: Harness, key: String, _ body: JSON) async throws -> Harness.Reply {
        try await h.call(.post, "/v1/events", body, headers: [(.authorization, "ApiKey-v1 \(key)")])
    }

    func putProfile(_ h: Harness, key: String, _ id: String, _ body: JSON) async throws -> Harness.Reply {
        try await h.call(.put, "/v1/customer_profiles/\(id)", body, headers: [(.authorization, "ApiKey-v1 \(key)")])
    }

    @Test func aCustomEventIsEvaluatedAndCreatesItsSessionAndProfile() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            try await h.declare("Event", "URL", eventType: "Homepage")
            _ = try await h.createCampaign(
                app,
                rules: [
                    [
                        "title": "Visitors of the home page",
                        "condition": [
                            "and", ["=", [".", "Event", "Type"], "Homepage"],
                            ["startsWith", [".", "Event", "Attributes", "URL"], "https://"],
                        ],
                        "effects": [["setDiscount", "Free money", 45.55]],
                    ]
                ])
            let r = try await post(
                h, key: key,
                [
                    "profileId": "p1", "type": "Homepage", "attributes": ["URL": "https://shop.example"],
                    "sessionId": "s1",
                ])
            #expect(r.status == .created)
            #expect(r["event"]?["type"] == "Homepage")
            #expect(r["event"]?["attributes"] == ["URL": "https://shop.example"])
            #expect(r["event"]?["sessionId"] == "s1")
            #expect(r["event"]?["effects"]?[0]?[3] == ["setDiscount", "Free money", 45.55])
            #expect(r["session"]?["discounts"] == ["Free money": 45.55])
            #expect(r["session"]?["integrationId"] == "s1")
            #expect(r["session"]?["profileId"] == "p1")
            #expect(r["profile"]?["integrationId"] == "p1")
            #expect(r["profile"]?["id"]?.numberValue?.intValue != 0)

            let other = try await post(h, key: key, ["type": "Other", "attributes": [:], "sessionId": "s1"])
            #expect(other.status == .created)
            #expect(other["event"]?["effects"] == [])
            // The session exists and keeps its profile.
            let session = try await h.session("s1", key: key, [:], content: ["customerSession"])
            #expect(session["customerSession"]?["profileId"] == "p1")
        }
    }

    @Test func eventsAreRefusedForReservedTypesBadBodiesAndOtherProfilesSessions() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            _ = try await h.session("owned", key: key, ["profileId": "alice"])
            let cases: [(JSON, String)] = [
                (["type": "talon_session_closed", "attributes": [:], "sessionId": "s"], "/type"),
                (["type": "", "attributes": [:], "sessionId": "s"], "/type"),
                (["type": "Click", "sessionId": "s"], "/attributes"),
                (["type": "Click", "attributes": [:]], "/sessionId"),
                (["type": "Click", "attributes": [:], "sessionId": ""], "/sessionId"),
                (["type": "Click", "attributes": [], "sessionId": "s"], "/attributes"),
                (["type": "Click", "attributes": [:], "sessionId": "owned", "profileId": "mallory"], "/profileId"),
            ]
            for (body, pointer) in cases {
                let r = try await post(h, key: key, body)
                #expect(r.status == .badRequest, "\(body.text)")
                #expect(r["errors"]?[0]?["source"]?["pointer"]?.stringValue == pointer, "\(body.text)")
            }
            let unauthorized = try await post(h, key: "nope", ["type": "Click", "attributes": [:], "sessionId": "s"])
            #expect(unauthorized.status == .unauthorized)
        }
    }

    @Test func anEventKeepsTheEffectsOfItsOpenSession() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h)
            _ = try await h.session(
                "s1", key: shop.key, ["couponCodes": [.string(shop.code)], "cartItems": [cartItem("a", price: 50)]])
            let r = try await post(h, key: shop.key, ["type": "Click", "attributes": [:], "sessionId": "s1"])
            #expect(r.status == .created)
            let sessions = try await h.call(.get, "/v1/applications/\(shop.app)/sessions")
            #expect(sessions["data"]?[0]?["discounts"] == ["10% off": 5.0])
        }
    }

    @Test func anEventOnAClosedSessionRedeemsNothingAgain() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h, usageLimit: 5)
            _ = try await h.session(
                "s1", key: shop.key,
                [
                    "profileId": "bob", "couponCodes": [.string(shop.code)], "cartItems": [cartItem("a", price: 50)],
                    "state": "closed",
                ])
            let r = try await post(h, key: shop.key, ["type": "Review", "attributes": [:], "sessionId": "s1"])
            #expect(r.status == .created)
            #expect(r["session"]?["state"] == "closed")
            #expect(r["coupon"]?["usageCounter"] == 1)
            #expect(r["profile"]?["closedSessions"] == 1)
            let repeated = try await h.session("s1", key: shop.key, ["state": "closed"], content: ["coupons"])
            #expect(repeated["coupons"]?[0]?["usageCounter"] == 1)
        }
    }

    @Test func profileUpdatesMergeAttributesAndRunTheRules() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            try await h.declare("CustomerProfile", "Tier")
            _ = try await h.createCampaign(
                app,
                rules: [
                    [
                        "title": "Welcome gold members",
                        "condition": ["=", [".", "Profile", "Attributes", "Tier"], "gold"],
                        "effects": [
                            ["showNotification", "Info", "Welcome", "Gold member"],
                            ["updateAttribute", "Profile.Attributes.Greeted", true],
                        ],
                    ]
                ])
            let created = try await putProfile(
                h, key: key, "p1", ["attributes": ["Name": "Foobar1", "Tier": "silver"], "advocateId": ""])
            #expect(created.status == .ok)
            #expect(created["event"]?["type"] == "talon_profile_created")
            #expect(created["profile"]?["attributes"] == ["Name": "Foobar1", "Tier": "silver"])
            #expect(created["event"]?["effects"] == [])
            #expect(created["session"]?["integrationId"] == "")
            #expect(created["session"]?["discounts"] == [:])

            let updated = try await putProfile(h, key: key, "p1", ["attributes": ["Tier": "gold", "Name": .null]])
            #expect(updated["event"]?["type"] == "talon_profile_updated")
            #expect(updated["event"]?["effects"]?[0]?[3] == ["showNotification", "Info", "Welcome", "Gold member"])
            #expect(updated["profile"]?["attributes"] == ["Name": "Foobar1", "Tier": "gold", "Greeted": true])

            let session = try await h.session("s1", key: key, ["profileId": "p1"], content: ["customerProfile"])
            #expect(session["customerProfile"]?["attributes"]?["Greeted"] == true)

            let bad = try await putProfile(h, key: key, "p1", ["attributes": "gold"])
            #expect(bad.status == .badRequest)
            #expect(bad["errors"]?[0]?["source"]?["pointer"] == "/attributes")
            let empty = try await putProfile(h, key: key, "p2", [:])
            #expect(empty.status == .ok)
            #expect(empty["profile"]?["attributes"] == [:])
        }
    }
}
