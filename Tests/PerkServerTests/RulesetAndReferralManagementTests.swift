import HTTPTypes
import PerkJSON
import Testing

@Suite struct RulesetAndReferralManagementTests {
    static func discount(_ name: String) -> JSON {
        ["title": .string(name), "condition": true, "effects": [["setDiscount", .string(name), 1]]]
    }

    @Test func rulesetsAreReplacedAndDeleted() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let campaign = try await h.createCampaign(app, rules: [Self.discount("A")])
            let rulesets = "/v1/applications/\(app)/campaigns/\(campaign)/rulesets"
            let id = try #require(try await h.call(.get, rulesets)["data"]?[0]?["id"]?.numberValue?.intValue)
            #expect(try await h.session("s1", key: key, [:]).body.effects("setDiscount").map { $0["name"] } == ["A"])

            let updated = try await h.call(
                .put, rulesets + "/\(id)", ["rules": [Self.discount("B")], "bindings": [], "activate": true])
            #expect(updated.status == .ok)
            #expect(updated["id"]?.numberValue?.intValue == id)
            #expect(try await h.session("s2", key: key, [:]).body.effects("setDiscount").map { $0["name"] } == ["B"])
            let bad = try await h.call(
                .put, rulesets + "/\(id)",
                ["rules": [["title": "x", "condition": ["nope"], "effects": []]], "bindings": [], "activate": true])
            #expect(bad.status == .badRequest)
            #expect(bad["errors"]?[0]?["source"]?["pointer"] == "/rules/0/condition/0")
            #expect(try await h.call(.put, rulesets + "/999999", ["rules": [], "bindings": []]).status == .notFound)

            #expect(try await h.call(.delete, rulesets + "/\(id)").status == .noContent)
            #expect(try await h.call(.delete, rulesets + "/\(id)").status == .notFound)
            #expect(try await h.session("s3", key: key, [:])["effects"] == [])
            let campaignNow = try await h.call(.get, "/v1/applications/\(app)/campaigns/\(campaign)")
            #expect(campaignNow["activeRulesetId"] == nil)
        }
    }

    @Test func referralsAreListedByFilterAndDeleted() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let campaign = try await h.createCampaign(
                app, rules: [["title": "r", "condition": ["and", ["referralValid"]], "effects": []]],
                extra: ["features": ["referrals"]])
            var codes: [String] = []
            for advocate in ["ann", "ann", "bob"] {
                let r = try await h.call(
                    .post, "/v1/referrals",
                    ["campaignId": .number(campaign), "advocateProfileIntegrationId": .string(advocate)],
                    headers: [(.authorization, "ApiKey-v1 \(key)")])
                codes.append(try #require(r["code"]?.stringValue))
            }
            _ = try await h.session(
                "f1", key: key, ["profileId": "friend", "referralCode": .string(codes[0]), "state": "closed"])
            let base = "/v1/applications/\(app)/campaigns/\(campaign)/referrals"
            func count(_ query: String) async throws -> Int64? {
                try await h.call(.get, base + query)["totalResultSize"]?.numberValue?.intValue
            }
            #expect(try await count("") == 3)
            #expect(try await count("?advocate=ann") == 2)
            #expect(try await count("?code=\(codes[2].lowercased())") == 1)
            // Folded as coupon codes are: only letters and digits count.
            let spaced = codes[2].lowercased().map { "\($0)-" }.joined()
            #expect(try await count("?code=\(spaced)") == 1)
            #expect(try await count("?usable=false") == 1)
            #expect(try await count("?valid=validNow") == 3)
            #expect(try await h.call(.get, base + "?valid=never").status == .badRequest)
            let listed = try await h.call(.get, base + "?advocate=bob")
            let id = try #require(listed["data"]?[0]?["id"]?.numberValue?.intValue)
            #expect(try await h.call(.delete, base + "/\(id)").status == .noContent)
            #expect(try await h.call(.delete, base + "/\(id)").status == .notFound)
            #expect(try await count("") == 2)
        }
    }
}
