import HTTPTypes
import PerkJSON
import Testing

/// `dry=true`: evaluated and answered exactly as a real update, nothing stored; with
/// `evaluableCampaignIds`, only those campaigns, disabled ones included. Staging keys are good
/// for dry runs only.
@Suite struct DryRunTests {
    @Test func aDryCloseAnswersWhatARealOneWouldAndStoresNothing() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let campaign = try await h.createCampaign(app, rules: [Harness.couponRule])
            let code = try await h.createCoupons(app, campaign, pattern: "DRY-####", usageLimit: 1)[0]
            let auth: [(HTTPField.Name, String)] = [(.authorization, "ApiKey-v1 \(key)")]
            let body: JSON = [
                "customerSession": [
                    "profileId": "dana", "couponCodes": [.string(code)], "cartItems": [cartItem("a", price: 80)],
                    "state": "closed",
                ],
                "responseContent": ["customerSession", "customerProfile", "coupons"],
            ]
            let dry = try await h.call(.put, "/v2/customer_sessions/dry-1?dry=true", body, headers: auth)
            #expect(dry.status == .ok)
            #expect(dry.body.effects("acceptCoupon").count == 1)
            #expect(dry.body.effects("setDiscount").first?["value"]?.numberValue?.doubleValue == 8)
            #expect(dry["coupons"]?[0]?["usageCounter"]?.numberValue?.intValue == 1)
            #expect(dry["customerSession"]?["state"]?.stringValue == "closed")
            // Nothing was kept: no session, profile, event or redemption.
            let sessions = try await h.call(.get, "/v1/applications/\(app)/sessions")
            #expect(sessions["totalResultSize"]?.numberValue?.intValue == 0)
            let events = try await h.call(.get, "/v1/applications/\(app)/events")
            #expect(events["totalResultSize"]?.numberValue?.intValue == 0)
            let coupons = try await h.call(.get, "/v1/applications/\(app)/campaigns/\(campaign)/coupons")
            #expect(coupons["data"]?[0]?["usageCounter"]?.numberValue?.intValue == 0)
            let customers = try await h.call(.get, "/v1/applications/\(app)/customers")
            #expect(customers["totalResultSize"]?.numberValue?.intValue == 0)
            // The real close answers the same effects, and counts.
            let real = try await h.call(.put, "/v2/customer_sessions/dry-1", body, headers: auth)
            #expect(real["effects"]?.text == dry["effects"]?.text)
            let after = try await h.call(.get, "/v1/applications/\(app)/campaigns/\(campaign)/coupons")
            #expect(after["data"]?[0]?["usageCounter"]?.numberValue?.intValue == 1)
            // v1 sessions, events and profile updates take dry=true too.
            let v1 = try await h.call(
                .put, "/v1/customer_sessions/dry-2?dry=true", ["profileId": "erin", "state": "closed"], headers: auth)
            #expect(v1.status == .ok)
            let event = try await h.call(
                .post, "/v1/events?dry=true", ["sessionId": "dry-3", "type": "visit", "attributes": [:]], headers: auth)
            #expect(event.status == .created)
            let profile = try await h.call(
                .put, "/v1/customer_profiles/frank?dry=true", ["attributes": [:]], headers: auth)
            #expect(profile.status == .ok)
            #expect(
                try await h.call(.get, "/v1/applications/\(app)/sessions")["totalResultSize"]?.numberValue?.intValue
                    == 1)
            #expect(
                try await h.call(.get, "/v1/applications/\(app)/events")["totalResultSize"]?.numberValue?.intValue == 1)
        }
    }

    @Test func evaluableCampaignsAreTheOnlyOnesAndMayBeDisabled() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let rule = { (name: String) -> JSON in
                ["title": .string(name), "condition": true, "effects": [["setDiscount", .string(name), 1]]]
            }
            let on = try await h.createCampaign(app, name: "On", rules: [rule("on")])
            let off = try await h.createCampaign(app, name: "Off", rules: [rule("off")], extra: ["state": "disabled"])
            let auth: [(HTTPField.Name, String)] = [(.authorization, "ApiKey-v1 \(key)")]
            func names(_ ids: [Int64]?, dry: Bool = true) async throws -> [String] {
                var session: JSONObject = ["profileId": "gus"]
                if let ids { session["evaluableCampaignIds"] = .array(ids.map(JSON.number)) }
                let r = try await h.call(
                    .put, "/v2/customer_sessions/pick\(dry ? "?dry=true" : "")", ["customerSession": .object(session)],
                    headers: auth)
                return r.body.effects("setDiscount").compactMap { $0["name"]?.stringValue }
            }
            #expect(try await names(nil) == ["on"])
            #expect(try await names([off]) == ["off"])
            #expect(try await names([on, off]).sorted() == ["off", "on"])
            // Without dry the list is ignored, as the reference says.
            #expect(try await names([off], dry: false) == ["on"])
            let now = try await h.call(
                .put, "/v2/customer_sessions/x?now=2030-01-01T00:00:00Z", ["customerSession": [:]], headers: auth)
            #expect(now.status == .badRequest)
        }
    }

    @Test func stagingKeysAreForDryRunsOnly() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            _ = try await h.createCampaign(app, rules: [Harness.couponRule])
            let made = try await h.call(
                .post, "/v1/applications/\(app)/api_keys",
                ["title": "console", "expires": "2099-01-01T00:00:00Z", "type": "staging"])
            #expect(made.status == .created)
            #expect(made["type"]?.stringValue == "staging")
            let key = try #require(made["key"]?.stringValue)
            let auth: [(HTTPField.Name, String)] = [(.authorization, "ApiKey-v1 \(key)")]
            let dry = try await h.call(
                .put, "/v2/customer_sessions/s?dry=true", ["customerSession": [:]], headers: auth)
            #expect(dry.status == .ok)
            let real = try await h.call(.put, "/v2/customer_sessions/s", ["customerSession": [:]], headers: auth)
            #expect(real.status == .forbidden)
            #expect(real["message"]?.stringValue?.contains("staging") == true)
            let referral = try await h.call(
                .post, "/v1/referrals", ["campaignId": 1, "advocateProfileIntegrationId": "a"], headers: auth)
            #expect(referral.status == .forbidden)
            let bad = try await h.call(
                .post, "/v1/applications/\(app)/api_keys",
                ["title": "x", "expires": "2099-01-01T00:00:00Z", "type": "gold"])
            #expect(bad["errors"]?[0]?["source"]?["pointer"]?.stringValue == "/type")
        }
    }
}
