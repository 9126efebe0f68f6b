import HTTPTypes
import PerkJSON
import Testing

@Suite struct CampaignSetHTTPTests {
    static func discount(_ name: String) -> JSON {
        ["title": .string(name), "condition": true, "effects": [["setDiscount", .string(name), 1]]]
    }

    @Test func theCampaignSetDecidesWhichCampaignsGiveEffects() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let a = try await h.createCampaign(app, name: "A", rules: [Self.discount("A")])
            let b = try await h.createCampaign(app, name: "B", rules: [Self.discount("B")])
            let c = try await h.createCampaign(app, name: "C", rules: [Self.discount("C")])
            let path = "/v1/applications/\(app)/campaign_set"

            let implicit = try await h.call(.get, path)
            #expect(implicit.status == .ok)
            #expect(implicit["set"]?["operator"] == "ALL")
            #expect(implicit["set"]?["elements"]?.arrayValue?.count == 3)
            var names = try await h.session("s1", key: key, [:]).body.effects("setDiscount").map { $0["name"] }
            #expect(names == ["A", "B", "C"])

            let set: JSON = [
                "type": "SET", "name": "root", "operator": "ALL",
                "elements": [
                    [
                        "type": "SET", "name": "exclusive", "operator": "FIRST",
                        "elements": [
                            ["type": "CAMPAIGN", "campaignId": .number(b)],
                            ["type": "CAMPAIGN", "campaignId": .number(a)],
                        ],
                    ]
                ],
            ]
            let saved = try await h.call(.put, path, ["applicationId": .number(app), "set": set])
            #expect(saved.status == .ok)
            #expect(saved["set"] == set)
            #expect(saved["id"]?.numberValue?.intValue != 0)
            #expect(try await h.call(.get, path)["set"] == set)
            // B wins the exclusive group; C is in no set and runs after it.
            names = try await h.session("s2", key: key, [:]).body.effects("setDiscount").map { $0["name"] }
            #expect(names == ["B", "C"])

            let bad: [(JSON, String)] = [
                (
                    [
                        "applicationId": .number(app),
                        "set": [
                            "type": "SET", "name": "r", "operator": "ALL",
                            "elements": [["type": "CAMPAIGN", "campaignId": 999]],
                        ],
                    ], "/set"
                ),
                (["applicationId": 999, "set": set], "/applicationId"),
                (
                    [
                        "applicationId": .number(app),
                        "set": ["type": "SET", "name": "r", "operator": "SOME", "elements": []],
                    ], "/set/operator"
                ),
                (["applicationId": .number(app), "set": ["type": "CAMPAIGN", "campaignId": .number(c)]], "/set/type"),
                (["applicationId": .number(app)], "/set"),
            ]
            for (body, pointer) in bad {
                let r = try await h.call(.put, path, body)
                #expect(r.status == .badRequest, "\(body.text)")
                #expect(r["errors"]?[0]?["source"]?["pointer"]?.stringValue == pointer, "\(body.text)")
            }
            #expect(try await h.call(.get, "/v1/applications/999/campaign_set").status == .notFound)
        }
    }
}
