import HTTPTypes
import PerkJSON
import Testing

/// Campaign evaluation groups: sets with an `evaluationMode` (and `evaluationScope`) that keep
/// the best deal, or the first, for the session or for each cart item.
@Suite struct EvaluationGroupTests {
    static func cartOff(_ name: String, _ amount: Double) -> JSON {
        ["title": .string(name), "condition": true, "effects": [["setDiscount", .string(name), .number(amount)]]]
    }

    static func itemsOff(_ name: String, _ byPosition: [Double]) -> JSON {
        [
            "title": .string(name), "condition": true,
            "effects": .array(
                byPosition.enumerated().filter { $0.element > 0 }.map { p, amount in
                    ["setDiscountPerItem", .string(name), .number(amount), .number(Int64(p))]
                }),
        ]
    }

    static func group(_ mode: String, scope: String = "session", _ campaigns: [Int64]) -> JSON {
        [
            "type": "SET", "name": "root", "operator": "ALL",
            "elements": [
                [
                    "type": "SET", "name": "best", "operator": "ALL", "evaluationMode": .string(mode),
                    "evaluationScope": .string(scope),
                    "elements": .array(campaigns.map { ["type": "CAMPAIGN", "campaignId": .number($0)] }),
                ]
            ],
        ]
    }

    @Test func theBestDealOfTheSessionIsKept() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let small = try await h.createCampaign(app, name: "Small", rules: [Self.cartOff("Small", 5)])
            let big = try await h.createCampaign(app, name: "Big", rules: [Self.cartOff("Big", 12)])
            let middle = try await h.createCampaign(app, name: "Middle", rules: [Self.cartOff("Middle", 8)])
            let path = "/v1/applications/\(app)/campaign_set"
            func names(_ mode: String) async throws -> [String] {
                let set = Self.group(mode, [small, big, middle])
                let saved = try await h.call(.put, path, ["applicationId": .number(app), "set": set])
                #expect(saved["set"] == set)
                let r = try await h.session("s-\(mode)", key: key, ["cartItems": [cartItem("a", price: 100)]])
                return r.body.effects("setDiscount").compactMap { $0["name"]?.stringValue }
            }
            #expect(try await names("highestDiscount") == ["Big"])
            #expect(try await names("lowestDiscount") == ["Small"])
            #expect(try await names("listOrder") == ["Small"])
            #expect(try await names("stackable") == ["Small", "Big", "Middle"])
            let bad = try await h.call(
                .put, path,
                [
                    "applicationId": .number(app),
                    "set": ["type": "SET", "name": "r", "operator": "ALL", "evaluationMode": "cheapest", "elements": []],
                ])
            #expect(bad.status == .badRequest && bad["errors"]?[0]?["source"]?["pointer"] == "/set/evaluationMode")
        }
    }

    @Test func eachItemGetsItsBestDeal() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let first = try await h.createCampaign(app, name: "First", rules: [Self.itemsOff("First", [5, 1])])
            let second = try await h.createCampaign(
                app, name: "Second", rules: [Self.itemsOff("Second", [2, 4]), Self.cartOff("Cart", 1)])
            let path = "/v1/applications/\(app)/campaign_set"
            func discounts(_ mode: String) async throws -> [String] {
                let set = Self.group(mode, scope: "cartItem", [first, second])
                _ = try await h.call(.put, path, ["applicationId": .number(app), "set": set])
                let r = try await h.session(
                    "i-\(mode)", key: key, ["cartItems": [cartItem("a", price: 50), cartItem("b", price: 50)]])
                return r.body.effectList.filter { $0.type.hasPrefix("setDiscount") }.map {
                    "\($0.props["name"]?.stringValue ?? "")=\($0.props["value"]?.text ?? "")"
                }
            }
            // Item 0: First's 5 beats Second's 2; item 1: Second's 4 beats First's 1. The cart
            // discount is no item's: it stays.
            #expect(try await discounts("highestDiscount") == ["First#0=5", "Second#1=4", "Cart=1"])
            #expect(try await discounts("lowestDiscount") == ["First#1=1", "Second#0=2", "Cart=1"])
            #expect(try await discounts("listOrder") == ["First#0=5", "First#1=1", "Cart=1"])
        }
    }
}
