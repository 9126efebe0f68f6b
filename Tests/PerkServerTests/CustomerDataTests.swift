import HTTPTypes
import PerkJSON
import Testing

/// Coupon reservations, the customer inventory and customer data deletion.
@Suite struct CustomerDataTests {
    func call(_ h: Harness, _ method: HTTPRequest.Method, _ path: String, key: String, _ body: JSON? = nil)
        async throws -> Harness.Reply
    {
        try await h.call(method, path, body, headers: [(.authorization, "ApiKey-v1 \(key)")])
    }

    @Test func reserveListAndRelease() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h)
            let path = "/v1/coupon_reservations/\(shop.code)"
            let r = try await call(h, .post, path, key: shop.key, ["integrationIDs": ["p1", "p2"]])
            #expect(r.status == .created)
            #expect(r["value"]?.stringValue == shop.code)
            #expect(r["reservation"] == true)
            let again = try await call(h, .post, path, key: shop.key, ["integrationIDs": ["p1"]])
            #expect(again.status == .created)

            let customers = try await call(
                h, .get, "/v1/coupon_reservations/customerprofiles/\(shop.code)", key: shop.key)
            #expect(customers["totalResultSize"] == 2)
            #expect(customers["data"]?.arrayValue?.compactMap { $0["integrationId"]?.stringValue } == ["p1", "p2"])
            let coupons = try await call(h, .get, "/v1/coupon_reservations/coupons/p1", key: shop.key)
            #expect(coupons["totalResultSize"] == 1)
            #expect(coupons["data"]?[0]?["value"]?.stringValue == shop.code)

            let released = try await call(h, .delete, path, key: shop.key, ["integrationIDs": ["p1", "nobody"]])
            #expect(released.status == .noContent)
            let left = try await call(h, .get, "/v1/coupon_reservations/customerprofiles/\(shop.code)", key: shop.key)
            #expect(left["data"]?.arrayValue?.compactMap { $0["integrationId"]?.stringValue } == ["p2"])
            let none = try await call(h, .get, "/v1/coupon_reservations/coupons/p1", key: shop.key)
            #expect(none == Harness.Reply(status: .ok, body: ["totalResultSize": 0, "data": []]))
            let unknown = try await call(h, .get, "/v1/coupon_reservations/coupons/stranger", key: shop.key)
            #expect(unknown["totalResultSize"] == 0)
        }
    }

    @Test func reservationErrors() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h)
            let personal = try await h.createCoupons(
                shop.app, shop.campaign, pattern: "ONLY-####", extra: ["recipientIntegrationId": "alice"])[0]
            let expired = try await h.createCoupons(
                shop.app, shop.campaign, pattern: "OLD-####", extra: ["expiryDate": "2020-01-01T00:00:00Z"])[0]
            let body: JSON = ["integrationIDs": ["p1"]]
            #expect(try await call(h, .post, "/v1/coupon_reservations/NOPE", key: shop.key, body).status == .notFound)
            #expect(try await call(h, .delete, "/v1/coupon_reservations/NOPE", key: shop.key, body).status == .notFound)
            #expect(
                try await call(h, .get, "/v1/coupon_reservations/customerprofiles/NOPE", key: shop.key).status
                    == .notFound)
            #expect(
                try await call(h, .post, "/v1/coupon_reservations/\(personal)", key: shop.key, body).status
                    == .badRequest)
            #expect(
                try await call(h, .post, "/v1/coupon_reservations/\(expired)", key: shop.key, body).status
                    == .badRequest)
            let empty = try await call(
                h, .post, "/v1/coupon_reservations/\(shop.code)", key: shop.key, ["integrationIDs": []])
            #expect(empty.status == .badRequest)
            #expect(empty["errors"]?[0]?["source"]?["pointer"] == "/integrationIDs")
            let missing = try await call(h, .post, "/v1/coupon_reservations/\(shop.code)", key: shop.key, [:])
            #expect(missing.status == .badRequest)
            #expect(
                try await call(h, .post, "/v1/coupon_reservations/\(shop.code)", key: "nope", body).status
                    == .unauthorized)
        }
    }

    @Test func aHardReservedCouponIsOnlyForItsHolders() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h, couponExtra: ["reservation": false])
            let before = try await h.session(
                "s1", key: shop.key, ["profileId": "p1", "couponCodes": [.string(shop.code)]])
            #expect(before.body.effects("rejectCoupon").first?["rejectionReason"] == "CouponRecipientDoesNotMatch")
            _ = try await call(
                h, .post, "/v1/coupon_reservations/\(shop.code)", key: shop.key, ["integrationIDs": ["p1"]])
            let after = try await h.session("s1", key: shop.key, [:])
            #expect(after.body.effects("acceptCoupon").count == 1)
            let other = try await h.session(
                "s2", key: shop.key, ["profileId": "p2", "couponCodes": [.string(shop.code)]])
            #expect(other.body.effects("rejectCoupon").count == 1)
        }
    }

    @Test func inventoryAndDeletion() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let campaign = try await h.createCampaign(app, rules: [], extra: ["features": ["referrals"]])
            try await h.declare("CartItem", "Engraving")
            let referral = try await call(
                h, .post, "/v1/referrals", key: key,
                ["campaignId": .number(campaign), "advocateProfileIntegrationId": "ann"])
            _ = try await call(
                h, .put, "/v1/customer_profiles/ann", key: key, ["attributes": ["Email": "ann@example.org"]])
            var item = try #require(cartItem("a", price: 10).objectValue)
            item["attributes"] = ["Engraving": "ANN"]
            _ = try await h.session(
                "s1", key: key,
                [
                    "profileId": "ann", "cartItems": [.object(item)], "attributes": ["ShippingStreet": "Main St 1"],
                    "state": "closed",
                ])

            let both = try await call(h, .get, "/v1/customer_profiles/ann/inventory?profile=true&referrals=1", key: key)
            #expect(both.status == .ok)
            #expect(both["profile"]?["attributes"] == ["Email": "ann@example.org"])
            #expect(both["referrals"]?[0]?["code"] == referral["code"])
            #expect(try await call(h, .get, "/v1/customer_profiles/ann/inventory", key: key).body == [:])
            #expect(try await call(h, .get, "/v1/customer_profiles/nobody/inventory", key: key).status == .notFound)
            #expect(
                try await call(h, .get, "/v1/customer_profiles/ann/inventory?profile=maybe", key: key).status
                    == .badRequest)

            let deleted = try await call(h, .delete, "/v1/customer_data/ann", key: key)
            #expect(deleted.status == .noContent)
            #expect(try await call(h, .delete, "/v1/customer_data/nobody", key: key).status == .notFound)
            let after = try await call(h, .get, "/v1/customer_profiles/ann/inventory?profile=true", key: key)
            #expect(after["profile"]?["attributes"] == [:])
            #expect(after["profile"]?["closedSessions"] == 1)
            let session = try await h.session("s1", key: key, ["state": "closed"], content: ["customerSession"])
            #expect(session["customerSession"]?["attributes"] == [:])
            #expect(session["customerSession"]?["cartItems"]?[0]?["attributes"] == nil)
            #expect(session["customerSession"]?["cartItems"]?[0]?["sku"] == "a")
        }
    }
}

extension Harness.Reply: Equatable {
    static func == (a: Harness.Reply, b: Harness.Reply) -> Bool { a.status == b.status && a.body == b.body }
}
