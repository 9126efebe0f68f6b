import HTTPTypes
import PerkJSON
import Testing

/// `enablePartialDiscounts`: a discount over a campaign's money budget is lowered to what is
/// left of it instead of being dropped, and the close confirms no more than that.
@Suite struct PartialDiscountTests {
    static let eight: JSON = ["title": "Eight off", "condition": true, "effects": [["setDiscount", "Eight off", 8]]]

    static func shop(_ h: Harness, partial: Bool) async throws -> (app: Int64, key: String, campaign: Int64) {
        let app = try await h.createApplication(extra: ["enablePartialDiscounts": .bool(partial)])
        let campaign = try await h.createCampaign(
            app, rules: [Self.eight], extra: ["limits": [["action": "setDiscount", "limit": 10, "entities": []]]])
        return (app, try await h.createKey(app), campaign)
    }

    @Test func theLastOfABudgetIsGivenInPart() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(h, partial: true)
            let cart: JSON = ["cartItems": [cartItem("a", price: 50)], "state": "closed"]
            let first = try await h.session("p1", key: shop.key, cart)
            #expect(first.body.effects("setDiscount") == [["name": "Eight off", "value": 8]])
            let second = try await h.session("p2", key: shop.key, cart)
            #expect(second.body.effects("setDiscount") == [["name": "Eight off", "value": 2, "desiredValue": 8]])
            let third = try await h.session("p3", key: shop.key, cart)
            #expect(third.body.effects("setDiscount") == [])
            let campaign = try await h.call(.get, "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)")
            #expect(campaign["discountCount"]?.numberValue?.doubleValue == 10)
            #expect(try await h.call(.get, "/v1/applications/\(shop.app)")["enablePartialDiscounts"] == true)

            // Off (the default), the discount that does not fit whole is dropped.
            let whole = try await Self.shop(h, partial: false)
            _ = try await h.session("w1", key: whole.key, cart)
            #expect(try await h.session("w2", key: whole.key, cart).body.effects("setDiscount") == [])
        }
    }
}
