import HTTPTypes
import PerkJSON
import Testing

/// `POST /v2/customer_sessions/{id}/returns`: what the kept cart no longer earns is rolled back,
/// and counters, budgets and the profile's sales lose exactly the returned part.
@Suite struct ReturnTests {
    static let perShirt: JSON = [
        "title": "10% off shirts", "condition": true,
        "effects": [
            [
                "map", ["filter", [".", "Session", "CartItems"], [["Item"], ["=", [".", "Item", "Category"], "shirts"]]],
                "Item",
                [
                    "setDiscountPerItem", "Shirts",
                    ["*", [".", "Item", "Price"], [".", "Item", "Quantity"], 0.1], [".", "Item", "Position"],
                ],
            ]
        ],
    ]
    static let fromHundred: JSON = [
        "title": "5 off from 100", "condition": [">=", [".", "Session", "CartItemTotal"], 100],
        "effects": [["setDiscount", "Five off", 5]],
    ]

    @Test func aReturnRollsBackWhatTheKeptCartNoLongerEarns() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let auth: [(HTTPField.Name, String)] = [(.authorization, "ApiKey-v1 \(key)")]
            let shirts = try await h.createCampaign(app, name: "Shirts", rules: [Self.perShirt])
            let hundred = try await h.createCampaign(
                app, name: "Hundred", rules: [Self.fromHundred],
                extra: ["limits": [["action": "setDiscount", "limit": 10, "entities": []]]])
            let cart: JSON = [
                "profileId": "rex", "state": "closed",
                "cartItems": [cartItem("shirt", price: 40, quantity: 2, category: "shirts"), cartItem("hat", price: 30)],
            ]
            let closed = try await h.session("ret-1", key: key, cart)
            #expect(closed.body.effects("setDiscountPerItem").first?["value"] == 8)
            #expect(closed.body.effects("setDiscount").first?["value"] == 5)

            func returning(_ items: JSON, _ query: String = "", content: [String] = []) async throws -> Harness.Reply {
                try await h.call(
                    .post, "/v2/customer_sessions/ret-1/returns" + query,
                    ["return": ["returnedCartItems": items], "responseContent": .array(content.map(JSON.string))],
                    headers: auth)
            }
            // A dry return answers and keeps nothing.
            let dry = try await returning([["position": 0, "quantity": 1]], "?dry=true")
            #expect(dry.status == .ok && dry.body.effects("rollbackDiscount").count == 2)
            #expect(try await h.call(.get, "/v2/customer_sessions/ret-1", headers: auth)["customerSession"]?["state"] == "closed")

            let first = try await returning([["position": 0, "quantity": 1]], content: ["customerSession", "customerProfile"])
            #expect(first.status == .ok)
            #expect(
                Set(first.body.effects("rollbackDiscount").map { "\($0["name"]?.stringValue ?? "")=\($0["value"]?.text ?? "")" })
                    == ["Shirts#0=4.0", "Five off=5"])
            #expect(first["customerSession"]?["state"] == "partially_returned")
            #expect(first["customerSession"]?["cartItems"]?[0]?["returnedQuantity"] == 1)
            #expect(first["customerSession"]?["cartItems"]?[0]?["remainingQuantity"] == 1)
            #expect(first["customerProfile"]?["totalSales"]?.numberValue?.doubleValue == 70)
            #expect(first["return"]?["returnedCartItems"] == [["position": 0, "quantity": 1, "sku": "shirt"]])
            func discountCount(_ campaign: Int64) async throws -> Double? {
                try await h.call(.get, "/v1/applications/\(app)/campaigns/\(campaign)")["discountCount"]?.numberValue?.doubleValue
            }
            #expect(try await discountCount(shirts) == 4)
            #expect(try await discountCount(hundred) == 0)
            let read = try await h.call(.get, "/v2/customer_sessions/ret-1", headers: auth)
            #expect(read.body.effects("setDiscountPerItem").first?["value"] == 4.0 && read.body.effects("setDiscount") == [])

            // The budget has its 5 back: two more sessions get the whole discount.
            for id in ["other-1", "other-2"] {
                let r = try await h.session(id, key: key, ["state": "closed", "cartItems": [cartItem("hat", price: 100)]])
                #expect(r.body.effects("setDiscount").first?["value"] == 5)
            }

            // By SKU, all of it; the earlier return is listed.
            let second = try await returning([["sku": "hat"]], content: ["previousReturns"])
            #expect(second.body.effectList.isEmpty)
            #expect(second["previousReturns"]?.arrayValue?.count == 1)
            let tooMany = try await returning([["position": 0, "quantity": 2]])
            #expect(tooMany.status == .badRequest && tooMany["errors"]?[0]?["source"]?["pointer"] == "/return/returnedCartItems/0/quantity")
            let nowhere = try await returning([["position": 7]])
            #expect(nowhere["errors"]?[0]?["source"]?["pointer"] == "/return/returnedCartItems/0/position")

            // A cancel gives back what the returns left.
            let cancelled = try await h.session("ret-1", key: key, ["state": "cancelled"], content: ["customerProfile"])
            #expect(cancelled.body.effects("rollbackDiscount").map { $0["value"] } == [4.0])
            #expect(cancelled["customerProfile"]?["totalSales"]?.numberValue?.doubleValue == 0)
            #expect(try await discountCount(shirts) == 0)

            _ = try await h.session("open-1", key: key, ["cartItems": [cartItem("hat", price: 1)]])
            let open = try await h.call(
                .post, "/v2/customer_sessions/open-1/returns", ["return": ["returnedCartItems": [["position": 0]]]],
                headers: auth)
            #expect(open.status == .badRequest && open["message"] == "Cannot return items of a session in state \"open\"")
            let unknown = try await h.call(
                .post, "/v2/customer_sessions/none/returns", ["return": ["returnedCartItems": [["position": 0]]]],
                headers: auth)
            #expect(unknown.status == .notFound)
            // Clients cannot make a session partially returned themselves.
            let forged = try await h.session("open-1", key: key, ["state": "partially_returned"])
            #expect(forged.status == .badRequest)
        }
    }
}
