import HTTPTypes
import PerkJSON
import Testing

/// The Integration API operations of today's clients, on the same data as the 2020 ones.
@Suite struct IntegrationCurrentTests {
    static func shop(_ h: Harness) async throws -> (app: Int64, key: String, auth: [(HTTPField.Name, String)]) {
        let app = try await h.createApplication()
        let key = try await h.createKey(app)
        return (app, key, [(.authorization, "ApiKey-v1 \(key)")])
    }

    @Test func sessionsCountTheirUpdatesAndReadBack() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(h)
            let campaign = try await h.createCampaign(shop.app, rules: [Harness.couponRule])
            let code = try await h.createCoupons(shop.app, campaign, pattern: "NOW-####")[0]
            let session: JSON = ["profileId": "ann", "couponCodes": [.string(code)], "cartItems": [cartItem("a", price: 50)]]
            var counts: [Int64?] = []
            for _ in 0..<2 {
                let r = try await h.session("s1", key: shop.key, session, content: ["customerSession"])
                counts.append(r["customerSession"]?["updateCount"]?.numberValue?.intValue)
            }
            let dry = try await h.call(
                .put, "/v2/customer_sessions/s1?dry=true", ["customerSession": ["state": "closed"], "responseContent": ["customerSession"]],
                headers: shop.auth)
            counts.append(dry["customerSession"]?["updateCount"]?.numberValue?.intValue)
            #expect(counts == [1, 2, 3])

            let read = try await h.call(.get, "/v2/customer_sessions/s1", headers: shop.auth)
            #expect(read.status == .ok)
            // The dry close was not kept.
            #expect(read["customerSession"]?["updateCount"]?.numberValue?.intValue == 2)
            #expect(read["customerSession"]?["state"]?.stringValue == "open")
            #expect(read.body.effects("setDiscount").first?["value"]?.numberValue?.doubleValue == 5)

            _ = try await h.session("s1", key: shop.key, ["state": "closed"])
            _ = try await h.session("s1", key: shop.key, ["state": "cancelled"])
            let cancelled = try await h.call(.get, "/v2/customer_sessions/s1", headers: shop.auth)
            #expect(cancelled["customerSession"]?["state"]?.stringValue == "cancelled")
            #expect(cancelled["effects"] == [])
            #expect(try await h.call(.get, "/v2/customer_sessions/nope", headers: shop.auth).status == .notFound)
            #expect(try await h.call(.get, "/v2/customer_sessions/s1").status == .unauthorized)
            let other = try await Self.shop(h)
            #expect(try await h.call(.get, "/v2/customer_sessions/s1", headers: other.auth).status == .notFound)
        }
    }

    @Test func profileUpdatesRunTheRulesOnlyWhenAsked() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(h)
            try await h.declare("CustomerProfile", "Tier")
            _ = try await h.createCampaign(
                shop.app,
                rules: [
                    [
                        "title": "Gold", "condition": ["=", [".", "Profile", "Attributes", "Tier"], "gold"],
                        "effects": [["showNotification", "Info", "Welcome", "Gold member"]],
                    ]
                ])
            let gold: JSON = ["attributes": ["Tier": "gold"], "responseContent": []]
            let quiet = try await h.call(.put, "/v2/customer_profiles/gia", gold, headers: shop.auth)
            #expect(quiet.status == .ok && quiet["effects"] == [] && quiet["customerProfile"] == nil)
            #expect(quiet["createdCoupons"] == [] && quiet["createdReferrals"] == [])

            let asked: JSON = ["attributes": ["Tier": "gold"], "responseContent": ["customerProfile", "event"]]
            let ruled = try await h.call(
                .put, "/v2/customer_profiles/gia?runRuleEngine=true", asked, headers: shop.auth)
            #expect(ruled.body.effects("showNotification").count == 1)
            #expect(ruled["customerProfile"]?["attributes"] == ["Tier": "gold"])
            #expect(ruled["event"]?["type"]?.stringValue == "talon_profile_updated")

            let dry = try await h.call(
                .put, "/v2/customer_profiles/gia?runRuleEngine=true&dry=true",
                ["attributes": ["Tier": "silver"], "responseContent": ["customerProfile"]], headers: shop.auth)
            #expect(dry["customerProfile"]?["attributes"] == ["Tier": "silver"] && dry["effects"] == [])
            let customers = try await h.call(.get, "/v1/applications/\(shop.app)/customers")
            #expect(customers["data"]?[0]?["attributes"] == ["Tier": "gold"])

            // What needs the rule engine is refused without it, pointing at what was sent.
            let content = try await h.call(.put, "/v2/customer_profiles/gia", asked, headers: shop.auth)
            #expect(content.status == .badRequest && content["errors"]?[0]?["source"]?["pointer"] == "/responseContent")
            #expect(try await h.call(.put, "/v2/customer_profiles/gia?dry=true", gold, headers: shop.auth).status == .badRequest)
            let audiences = try await h.call(
                .put, "/v2/customer_profiles/gia", ["audiencesChanges": ["adds": [1]]], headers: shop.auth)
            #expect(audiences["errors"]?[0]?["source"]?["pointer"] == "/audiencesChanges/adds")
            let undeclared = try await h.call(
                .put, "/v2/customer_profiles/gia", ["attributes": ["Shoe": 42]], headers: shop.auth)
            #expect(undeclared.status == .badRequest && undeclared["errors"]?[0]?["source"]?["pointer"] == "/attributes/Shoe")
        }
    }

    @Test func manyProfilesAreCheckedBeforeAnyIsStored() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(h)
            try await h.declare("CustomerProfile", "Tier")
            let bad: JSON = [
                "customerProfiles": [
                    ["integrationId": "p1", "attributes": ["Tier": "gold"]],
                    ["integrationId": "p2", "attributes": ["Tier": 3]],
                ]
            ]
            let refused = try await h.call(.put, "/v2/customer_profiles", bad, headers: shop.auth)
            #expect(refused.status == .badRequest)
            #expect(refused["errors"]?[0]?["source"]?["pointer"] == "/customerProfiles/1/attributes/Tier")
            let none = try await h.call(.get, "/v1/applications/\(shop.app)/customers")
            #expect(none["totalResultSize"]?.numberValue?.intValue == 0)

            let good: JSON = [
                "customerProfiles": [
                    ["integrationId": "p1", "attributes": ["Tier": "gold"]], ["integrationId": "p2"],
                ]
            ]
            let silent = try await h.call(.put, "/v2/customer_profiles", good, headers: shop.auth)
            #expect(silent.status == .noContent)
            let answered = try await h.call(.put, "/v2/customer_profiles?silent=no", good, headers: shop.auth)
            #expect(answered["integrationStates"]?.arrayValue?.compactMap { $0["customerProfile"]?["integrationId"]?.stringValue } == ["p1", "p2"])
            #expect(answered["integrationStates"]?[0]?["customerProfile"]?["attributes"] == ["Tier": "gold"])
            let twice: JSON = ["customerProfiles": [["integrationId": "p1"], ["integrationId": "p1"]]]
            let duplicate = try await h.call(.put, "/v2/customer_profiles", twice, headers: shop.auth)
            #expect(duplicate["errors"]?[0]?["source"]?["pointer"] == "/customerProfiles/1/integrationId")
            #expect(try await h.call(.put, "/v2/customer_profiles?silent=maybe", good, headers: shop.auth).status == .badRequest)
        }
    }

    @Test func eventsOfAProfileHaveNoSession() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(h)
            try await h.declare("Event", "stars", type: "number", eventType: "review")
            let campaign = try await h.createCampaign(
                shop.app, name: "Reviews",
                rules: [
                    [
                        "title": "Thanks", "condition": ["=", [".", "Event", "Type"], "review"],
                        "effects": [["showNotification", "Info", "Thanks", "For your review"]],
                    ]
                ])
            let body: JSON = [
                "profileId": "rae", "type": "review", "attributes": ["stars": 5],
                "responseContent": ["customerProfile", "event", "triggeredCampaigns"],
            ]
            let r = try await h.call(.post, "/v2/events", body, headers: shop.auth)
            #expect(r.status == .ok)
            #expect(r.body.effects("showNotification").count == 1)
            #expect(r["event"]?["sessionId"]?.stringValue == "" && r["event"]?["attributes"] == ["stars": 5])
            #expect(r["customerProfile"]?["integrationId"]?.stringValue == "rae")
            #expect(r["triggeredCampaigns"]?[0]?["id"]?.numberValue?.intValue == campaign)
            #expect(r["createdCoupons"] == [] && r["createdReferrals"] == [])

            let dry = try await h.call(.post, "/v2/events?dry=true", body, headers: shop.auth)
            #expect(dry.status == .ok && dry.body.effects("showNotification").count == 1)
            let events = try await h.call(.get, "/v1/applications/\(shop.app)/events")
            #expect(events["totalResultSize"]?.numberValue?.intValue == 1)
            #expect(try await h.call(.get, "/v1/applications/\(shop.app)/sessions")["totalResultSize"]?.numberValue?.intValue == 0)

            func pointer(_ body: JSON) async throws -> JSON? {
                try await h.call(.post, "/v2/events", body, headers: shop.auth)["errors"]?[0]?["source"]?["pointer"]
            }
            #expect(try await pointer(["type": "review"]) == "/profileId")
            #expect(try await pointer(["profileId": "rae", "type": "talon_session_closed"]) == "/type")
            #expect(try await pointer(["profileId": "rae", "type": "review", "attributes": ["stars": "five"]]) == "/attributes/stars")
            #expect(try await pointer(["profileId": "rae", "type": "review", "loyaltyCards": ["c1"]]) == "/loyaltyCards")
        }
    }

    @Test func runningCampaignsAreListed() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(h)
            let running = try await h.createCampaign(shop.app, name: "Running", rules: [Harness.couponRule])
            let later = try await h.createCampaign(
                shop.app, name: "Later", rules: [Harness.couponRule], extra: ["startTime": "2999-01-01T00:00:00Z"])
            _ = try await h.createCampaign(shop.app, name: "Off", rules: [Harness.couponRule], extra: ["state": "disabled"])
            let ending = try await h.createCampaign(
                shop.app, name: "Ending", rules: [Harness.couponRule], extra: ["endTime": "2998-01-01T00:00:00Z"])
            func ids(_ query: String) async throws -> [Int64] {
                let r = try await h.call(.get, "/v1/integration/campaigns" + query, headers: shop.auth)
                return r["data"]?.arrayValue?.compactMap { $0["id"]?.numberValue?.intValue } ?? [-1]
            }
            #expect(try await ids("") == [running, ending])
            #expect(try await ids("?campaignIds=\(ending),\(later)") == [ending])
            #expect(try await ids("?endBefore=2998-06-01T00:00:00Z") == [ending])
            #expect(try await ids("?endAfter=2999-01-01") == [])
            let first = try await h.call(.get, "/v1/integration/campaigns?pageSize=1", headers: shop.auth)
            #expect(first["hasMore"] == true && first["data"]?[0]?["name"] == "Running")
            #expect(first["data"]?[0]?["state"] == "enabled" && first["data"]?[0]?["features"] == ["coupons"])
            #expect(try await h.call(.get, "/v1/integration/campaigns?campaignIds=x", headers: shop.auth).status == .badRequest)
        }
    }

    @Test func referralCodesForManyAdvocates() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(h)
            let campaign = try await h.createCampaign(
                shop.app, rules: [ReferralAndCreationHTTPTests.referralRule], extra: ["features": ["referrals"]])
            let body: JSON = [
                "campaignId": .number(campaign), "usageLimit": 2, "advocateProfileIntegrationIds": ["ada", "bo"],
                "referralPattern": "REF-####", "expiryDate": "2999-01-01T00:00:00Z",
            ]
            let r = try await h.call(.post, "/v1/referrals_for_multiple_advocates", body, headers: shop.auth)
            #expect(r.status == .created && r["totalResultSize"]?.numberValue?.intValue == 2)
            let codes = r["data"]?.arrayValue ?? []
            #expect(codes.compactMap { $0["advocateProfileIntegrationId"]?.stringValue } == ["ada", "bo"])
            #expect(codes.allSatisfy { $0["code"]?.stringValue?.hasPrefix("REF-") == true && $0["usageLimit"] == 2 })
            let silent = try await h.call(.post, "/v1/referrals_for_multiple_advocates?silent=yes", body, headers: shop.auth)
            #expect(silent.status == .noContent)
            let listed = try await h.call(.get, "/v1/applications/\(shop.app)/campaigns/\(campaign)/referrals")
            #expect(listed["totalResultSize"]?.numberValue?.intValue == 4)
            // The advocates' profiles were created.
            let ada = try await h.call(.get, "/v1/customer_profiles/ada/inventory?referrals=true", headers: shop.auth)
            #expect(ada.status == .ok && ada["referrals"]?.arrayValue?.count == 2)

            var wrong = body.objectValue!
            wrong["advocateProfileIntegrationIds"] = []
            let empty = try await h.call(.post, "/v1/referrals_for_multiple_advocates", .object(wrong), headers: shop.auth)
            #expect(empty["errors"]?[0]?["source"]?["pointer"] == "/advocateProfileIntegrationIds")
            wrong = body.objectValue!
            wrong["campaignId"] = 999_999
            let unknown = try await h.call(.post, "/v1/referrals_for_multiple_advocates", .object(wrong), headers: shop.auth)
            #expect(unknown["errors"]?[0]?["source"]?["pointer"] == "/campaignId")
            wrong = body.objectValue!
            wrong["referralPattern"] = "NO-PLACEHOLDER"
            let pattern = try await h.call(.post, "/v1/referrals_for_multiple_advocates", .object(wrong), headers: shop.auth)
            #expect(pattern.status == .badRequest && pattern["errors"]?[0]?["source"]?["pointer"] == "/referralPattern", "\(pattern.body.text)")
        }
    }

    @Test func aClosedSessionReopensWithTheRollbacksOfACancel() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(h)
            let campaign = try await h.createCampaign(shop.app, rules: [Harness.couponRule])
            let code = try await h.createCoupons(shop.app, campaign, pattern: "RE-####", usageLimit: 1)[0]
            let coupons = "/v1/applications/\(shop.app)/campaigns/\(campaign)/coupons"
            func used() async throws -> Int64? { try await h.call(.get, coupons)["data"]?[0]?["usageCounter"]?.numberValue?.intValue }
            let session: JSON = [
                "profileId": "ria", "couponCodes": [.string(code)], "cartItems": [cartItem("a", price: 40)], "state": "closed",
            ]
            _ = try await h.session("r1", key: shop.key, session)
            #expect(try await used() == 1)

            let reopened = try await h.call(.put, "/v2/customer_sessions/r1/reopen", headers: shop.auth)
            #expect(reopened.status == .ok)
            #expect(Set(reopened.body.effectList.map(\.type)) == ["rollbackCoupon", "rollbackDiscount"])
            #expect(try await used() == 0)
            let read = try await h.call(.get, "/v2/customer_sessions/r1", headers: shop.auth)
            #expect(read["customerSession"]?["state"] == "open" && read["effects"] == [])
            let customer = try await h.call(.get, "/v1/applications/\(shop.app)/customers")
            #expect(customer["data"]?[0]?["closedSessions"] == 0)

            // Open again, it can be changed and closed again, and counts anew.
            let closed = try await h.session("r1", key: shop.key, ["state": "closed"])
            #expect(closed.body.effects("acceptCoupon").count == 1)
            #expect(try await used() == 1)

            #expect(try await h.call(.put, "/v2/customer_sessions/nope/reopen", headers: shop.auth).status == .notFound)
            _ = try await h.session("r2", key: shop.key, ["cartItems": [cartItem("a", price: 1)]])
            let open = try await h.call(.put, "/v2/customer_sessions/r2/reopen", headers: shop.auth)
            #expect(open.status == .badRequest && open["message"] == "Cannot move session to state \"open\" from state \"open\"")
            let events = try await h.call(.get, "/v1/applications/\(shop.app)/events?session=r1")
            #expect(events["data"]?.arrayValue?.contains { $0["type"] == "talon_session_reopened" } == true)
        }
    }
}
