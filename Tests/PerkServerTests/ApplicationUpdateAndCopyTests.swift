import HTTPTypes
import PerkJSON
import Testing

@Suite struct ApplicationUpdateAndCopyTests {
    @Test func applicationsAreUpdated() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let path = "/v1/applications/\(app)"
            let r = try await h.call(
                .put, path, ["name": "Renamed", "timezone": "UTC", "currency": "USD", "attributes": ["Region": "EU"]])
            #expect(r.status == .ok)
            #expect(r["name"] == "Renamed" && r["currency"] == "USD")
            #expect(try await h.call(.get, path)["attributes"] == ["Region": "EU"])
            let caseChange = try await h.call(
                .put, path,
                ["name": "x", "timezone": "UTC", "currency": "USD", "caseSensitivity": "insensitive-lowercase"])
            #expect(caseChange.status == .badRequest)
            #expect(caseChange["errors"]?[0]?["source"]?["pointer"] == "/caseSensitivity")
            #expect(try await h.call(.put, path, ["timezone": "UTC", "currency": "USD"]).status == .badRequest)
            #expect(
                try await h.call(.put, "/v1/applications/999", ["name": "x", "timezone": "UTC", "currency": "USD"])
                    .status == .notFound)
        }
    }

    @Test func aCampaignIsCopiedWithItsActiveRuleset() async throws {
        try await Harness.run { h in
            let source = try await h.createApplication()
            let target = try await h.createApplication(extra: ["name": "Other shop"])
            let key = try await h.createKey(target)
            let campaign = try await h.createCampaign(
                source, name: "Spring",
                rules: [["title": "Five off", "condition": true, "effects": [["setDiscount", "Five off", 5]]]])
            let r = try await h.call(
                .post, "/v1/applications/\(source)/campaigns/\(campaign)/copy",
                ["applicationIds": [.number(target)], "name": "Spring (copy)", "tags": ["copied"]])
            #expect(r.status == .ok)
            #expect(r["totalResultSize"] == 1)
            let copy = try #require(r["data"]?[0])
            #expect(copy["applicationId"]?.numberValue?.intValue == target)
            #expect(copy["name"] == "Spring (copy)")
            #expect(copy["tags"] == ["copied"])
            #expect(copy["activeRulesetId"] != nil)
            let session = try await h.session("s1", key: key, [:])
            #expect(session.body.effects("setDiscount").map { $0["name"] } == ["Five off"])
            let unknown = try await h.call(
                .post, "/v1/applications/\(source)/campaigns/\(campaign)/copy", ["applicationIds": [999]])
            #expect(unknown.status == .badRequest)
            #expect(
                try await h.call(.post, "/v1/applications/\(source)/campaigns/\(campaign)/copy", [:]).status
                    == .badRequest)
        }
    }
}
