import HTTPTypes
import PerkJSON
import Testing

@Suite struct ManagementAPITests {
    @Test func loginRefusesWrongPasswordAndProtectsEndpoints() async throws {
        try await Harness.run { h in
            var anonymous = h
            anonymous.token = ""
            let bad = try await anonymous.call(
                .post, "/v1/sessions", ["email": "admin@example.com", "password": "nope"])
            #expect(bad.status == .unauthorized)
            #expect(bad["message"]?.stringValue != nil)
            #expect(try await anonymous.call(.get, "/v1/applications").status == .unauthorized)
            anonymous.token = "not-a-token"
            #expect(try await anonymous.call(.get, "/v1/applications").status == .unauthorized)
            let good = try await anonymous.call(
                .post, "/v1/sessions", ["email": "admin@example.com", "password": "secret"])
            #expect(good.status == .created)
            #expect(good["userId"]?.numberValue?.intValue == 1)
            #expect(good["created"]?.stringValue != nil)
        }
    }

    @Test func applicationsAreCreatedListedAndFetched() async throws {
        try await Harness.run { h in
            let created = try await h.call(
                .post, "/v1/applications",
                ["name": "Shop", "currency": "EUR", "timezone": "UTC", "caseSensitivity": "insensitive-uppercase"])
            #expect(created.status == .created)
            #expect(created["accountId"]?.numberValue?.intValue == 1)
            #expect(created["loyaltyPrograms"] == [])
            #expect(created["key"]?.stringValue?.count == 16)
            let id = try #require(created["id"]?.numberValue?.intValue)
            _ = try await h.createApplication("Second")
            let list = try await h.call(.get, "/v1/applications?pageSize=1&skip=1")
            #expect(list["totalResultSize"]?.numberValue?.intValue == 2)
            #expect(list["data"]?[0]?["name"]?.stringValue == "Second")
            let one = try await h.call(.get, "/v1/applications/\(id)")
            #expect(one["caseSensitivity"]?.stringValue == "insensitive-uppercase")
            #expect(try await h.call(.get, "/v1/applications/999").status == .notFound)
        }
    }

    @Test func applicationValidationNamesTheField() async throws {
        try await Harness.run { h in
            let missing = try await h.call(.post, "/v1/applications", ["name": "Shop", "timezone": "UTC"])
            #expect(missing.status == .badRequest)
            #expect(missing["errors"]?[0]?["source"]?["pointer"]?.stringValue == "/currency")
            let badKey = try await h.call(
                .post, "/v1/applications", ["name": "S", "currency": "EUR", "timezone": "UTC", "key": "xyz"])
            #expect(badKey["errors"]?[0]?["source"]?["pointer"]?.stringValue == "/key")
            let badEnum = try await h.call(
                .post, "/v1/applications",
                ["name": "S", "currency": "EUR", "timezone": "UTC", "caseSensitivity": "maybe"])
            #expect(badEnum["errors"]?[0]?["title"]?.stringValue == "enum")
            let malformed = try await h.raw(.post, "/v1/applications", "{\"name\": ")
            #expect(malformed.status == .badRequest)
        }
    }

    @Test func campaignsCanBeCreatedUpdatedAndListed() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let created = try await h.call(
                .post, "/v1/applications/\(app)/campaigns",
                [
                    "name": "Summer", "state": "enabled", "tags": ["season"], "features": ["coupons"], "limits": [],
                    "couponSettings": ["couponPattern": "SUM-####", "validCharacters": ["A-Z"]],
                    "attributes": ["channel": "web"], "startTime": "2020-01-01T00:00:00Z",
                ])
            #expect(created.status == .created)
            let id = try #require(created["id"]?.numberValue?.intValue)
            #expect(created["frontendState"]?.stringValue == "running")
            #expect(created["type"]?.stringValue == "advanced")
            #expect(created["couponSettings"]?["couponPattern"]?.stringValue == "SUM-####")

            let updated = try await h.call(
                .put, "/v1/applications/\(app)/campaigns/\(id)",
                ["name": "Summer sale", "tags": ["season"], "features": ["coupons"], "limits": [], "state": "disabled"])
            #expect(updated.status == .ok)
            #expect(updated["state"]?.stringValue == "disabled")
            #expect(updated["attributes"]?["channel"]?.stringValue == "web")
            let fetched = try await h.call(.get, "/v1/applications/\(app)/campaigns/\(id)")
            #expect(fetched["name"]?.stringValue == "Summer sale")
            let list = try await h.call(.get, "/v1/applications/\(app)/campaigns?campaignState=disabled")
            #expect(list["totalResultSize"]?.numberValue?.intValue == 1)

            let badFeature = try await h.call(
                .post, "/v1/applications/\(app)/campaigns",
                ["name": "X", "state": "enabled", "tags": [], "features": ["teleport"], "limits": []])
            #expect(badFeature.status == .badRequest)
            #expect(badFeature["errors"]?[0]?["source"]?["pointer"]?.stringValue == "/features/0")
            let badRuleset = try await h.call(
                .put, "/v1/applications/\(app)/campaigns/\(id)",
                ["name": "X", "tags": [], "features": [], "limits": [], "activeRulesetId": 12345])
            #expect(badRuleset.status == .badRequest)
            #expect(try await h.call(.get, "/v1/applications/\(app)/campaigns/999").status == .notFound)
        }
    }

    @Test func aBadRuleIsRefusedWithAPointerToTheNode() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let campaign = try await h.createCampaign(app, rules: [Harness.couponRule])
            let unknown = try await h.call(
                .post, "/v1/applications/\(app)/campaigns/\(campaign)/rulesets",
                [
                    "rules": [
                        Harness.couponRule,
                        ["title": "broken", "condition": ["and", ["nosuchfunction", 1]], "effects": []],
                    ], "bindings": [],
                ])
            #expect(unknown.status == .badRequest)
            #expect(unknown["errors"]?[0]?["source"]?["pointer"]?.stringValue == "/rules/1/condition/1/0")
            let arity = try await h.call(
                .post, "/v1/applications/\(app)/campaigns/\(campaign)/rulesets",
                ["rules": [["title": "t", "condition": ["=", 1], "effects": []]], "bindings": []])
            #expect(arity["errors"]?[0]?["source"]?["pointer"]?.stringValue == "/rules/0/condition")
            let type = try await h.call(
                .post, "/v1/applications/\(app)/campaigns/\(campaign)/rulesets",
                [
                    "rules": [["title": "t", "condition": true, "effects": [["setDiscount", "d", "ten"]]]],
                    "bindings": [],
                ])
            #expect(type["errors"]?[0]?["source"]?["pointer"]?.stringValue == "/rules/0/effects/0")
            let rulesets = try await h.call(.get, "/v1/applications/\(app)/campaigns/\(campaign)/rulesets")
            #expect(rulesets["totalResultSize"]?.numberValue?.intValue == 1)
            let rulesetId = try #require(rulesets["data"]?[0]?["id"]?.numberValue?.intValue)
            let one = try await h.call(.get, "/v1/applications/\(app)/campaigns/\(campaign)/rulesets/\(rulesetId)")
            #expect(one["rules"]?[0]?["title"]?.stringValue == "Ten percent")
            #expect(one["activatedAt"]?.stringValue != nil)
        }
    }

    @Test func couponsAreGeneratedUniqueAndPaged() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let campaign = try await h.createCampaign(app, rules: [Harness.couponRule])
            let codes = try await h.createCoupons(
                app, campaign, pattern: "SUM-####", count: 50, usageLimit: 3,
                extra: ["uniquePrefix": "X", "startDate": "2020-01-01T00:00:00Z", "attributes": ["tier": "gold"]])
            #expect(codes.count == 50)
            #expect(Set(codes).count == 50)
            #expect(codes.allSatisfy { $0.hasPrefix("XSUM-") && $0.count == 9 })
            let page = try await h.call(
                .get, "/v1/applications/\(app)/campaigns/\(campaign)/coupons?pageSize=20&skip=40")
            #expect(page["totalResultSize"]?.numberValue?.intValue == 50)
            #expect(page["data"]?.arrayValue?.count == 10)
            #expect(page["data"]?[0]?["usageLimit"]?.numberValue?.intValue == 3)
            #expect(page["data"]?[0]?["attributes"]?["tier"]?.stringValue == "gold")

            _ = try await h.createCoupons(app, campaign, pattern: "FIXED1")
            let duplicate = try await h.call(
                .post, "/v1/applications/\(app)/campaigns/\(campaign)/coupons",
                ["couponPattern": "FIXED1", "validCharacters": ["A-Z"], "numberOfCoupons": 1, "usageLimit": 0])
            #expect(duplicate.status == .badRequest)
            let tooMany = try await h.call(
                .post, "/v1/applications/\(app)/campaigns/\(campaign)/coupons",
                ["couponPattern": "AB-#", "validCharacters": ["0-1"], "numberOfCoupons": 3, "usageLimit": 0])
            #expect(tooMany.status == .badRequest)
            let badLimit = try await h.call(
                .post, "/v1/applications/\(app)/campaigns/\(campaign)/coupons",
                ["couponPattern": "AB-###", "validCharacters": ["A-Z"], "numberOfCoupons": 1, "usageLimit": 1_000_000])
            #expect(badLimit["errors"]?[0]?["source"]?["pointer"]?.stringValue == "/usageLimit")
            let silent = try await h.call(
                .post, "/v1/applications/\(app)/campaigns/\(campaign)/coupons?silent=yes",
                ["couponPattern": "SIL-####", "validCharacters": ["A-Z"], "numberOfCoupons": 2, "usageLimit": 0])
            #expect(silent.status == .noContent)
        }
    }

    @Test func unknownRoutesAnswerJSON404() async throws {
        try await Harness.run { h in
            let r = try await h.call(.get, "/v1/nothing-here")
            #expect(r.status == .notFound)
            #expect(r["message"]?.stringValue != nil)
        }
    }
}
