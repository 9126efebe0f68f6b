import HTTPTypes
import PerkJSON
import Testing

/// Campaign budgets (`LimitConfig`): checked on every update, enforced at close, given back on cancel.
@Suite struct LimitsTests {
    static func shop(_ h: Harness, limits: JSON, rules: [JSON] = [Harness.couponRule], coupons: Int = 1) async throws
        -> (app: Int64, key: String, campaign: Int64, codes: [String])
    {
        let app = try await h.createApplication()
        let key = try await h.createKey(app)
        let campaign = try await h.createCampaign(app, rules: rules, extra: ["limits": limits])
        let codes = try await h.createCoupons(app, campaign, pattern: "LIM-######", count: coupons)
        return (app, key, campaign, codes)
    }

    func close(_ h: Harness, _ id: String, key: String, _ session: JSONObject) async throws -> Harness.Reply {
        var s = session
        s["state"] = "closed"
        if s["cartItems"] == nil { s["cartItems"] = [cartItem("a", price: 100)] }
        return try await h.session(id, key: key, .object(s))
    }

    @Test func aCampaignWideRedemptionLimit() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(
                h, limits: [["action": "redeemCoupon", "limit": 2, "entities": []]], coupons: 3)
            for (i, code) in shop.codes.prefix(2).enumerated() {
                let r = try await close(h, "s\(i)", key: shop.key, ["couponCodes": [.string(code)]])
                #expect(r.body.effects("acceptCoupon").count == 1)
            }
            let third = try await close(h, "s2", key: shop.key, ["couponCodes": [.string(shop.codes[2])]])
            #expect(third.body.effects("rejectCoupon").first?["rejectionReason"] == "CampaignLimitReached")
            #expect(third.body.effects("setDiscount").isEmpty)
            // Cancelling a redemption gives its budget back.
            _ = try await h.session("s0", key: shop.key, ["state": "cancelled"])
            let retry = try await h.session("s3", key: shop.key, ["couponCodes": [.string(shop.codes[2])]])
            #expect(retry.body.effects("acceptCoupon").count == 1)
        }
    }

    @Test func perProfileAndPerIdentifierLimits() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(
                h,
                limits: [
                    ["action": "redeemCoupon", "limit": 1, "entities": ["Coupon", "Profile"]],
                    ["action": "redeemCoupon", "limit": 2, "entities": ["Identifier"]],
                ])
            let code = JSON.string(shop.codes[0])
            #expect(
                try await close(
                    h, "a1", key: shop.key, ["profileId": "alice", "couponCodes": [code], "identifiers": ["dev-1"]]
                )
                .body.effects("acceptCoupon").count == 1)
            let again = try await h.session("a2", key: shop.key, ["profileId": "alice", "couponCodes": [code]])
            #expect(again.body.effects("rejectCoupon").first?["rejectionReason"] == "ProfileLimitReached")
            #expect(
                try await close(
                    h, "b1", key: shop.key, ["profileId": "bob", "couponCodes": [code], "identifiers": ["dev-1"]]
                )
                .body.effects("acceptCoupon").count == 1)
            // dev-1 has been used twice: a third profile on that device is refused.
            let device = try await h.session(
                "c1", key: shop.key, ["profileId": "carol", "couponCodes": [code], "identifiers": ["dev-2", "dev-1"]])
            #expect(device.body.effects("rejectCoupon").first?["rejectionReason"] == "CampaignLimitReached")
            let otherDevice = try await h.session(
                "c2", key: shop.key, ["profileId": "carol", "couponCodes": [code], "identifiers": ["dev-2"]])
            #expect(otherDevice.body.effects("acceptCoupon").count == 1)
        }
    }

    @Test func aDiscountBudgetIsNeverExceeded() async throws {
        try await Harness.run { h in
            let rule: JSON = ["title": "Ten off", "condition": true, "effects": [["setDiscount", "Ten off", 10]]]
            let shop = try await Self.shop(
                h, limits: [["action": "setDiscount", "limit": 25, "entities": []]], rules: [rule], coupons: 1)
            for i in 0..<2 {
                let r = try await close(h, "s\(i)", key: shop.key, [:])
                #expect(r.body.effects("setDiscount").count == 1)
            }
            let third = try await close(h, "s2", key: shop.key, [:])
            #expect(third.body.effects("setDiscount").isEmpty)
            let campaign = try await h.call(.get, "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)")
            #expect(campaign["discountCount"] == 20)
        }
    }

    @Test func aCouponWhoseDiscountIsOverBudgetIsRefused() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(
                h, limits: [["action": "setDiscountEffect", "limit": 1, "entities": []]], coupons: 2)
            #expect(
                try await close(h, "s1", key: shop.key, ["couponCodes": [.string(shop.codes[0])]])
                    .body.effects("acceptCoupon").count == 1)
            let r = try await h.session("s2", key: shop.key, ["couponCodes": [.string(shop.codes[1])]])
            #expect(r.body.effectList.map(\.type) == ["rejectCoupon"])
            #expect(r.body.effects("rejectCoupon").first?["rejectionReason"] == "EffectCouldNotBeApplied")
        }
    }

    @Test func concurrentClosesNeverExceedABudget() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(
                h,
                limits: [
                    ["action": "redeemCoupon", "limit": 5, "entities": []],
                    ["action": "setDiscount", "limit": 55, "entities": []],
                ], coupons: 30)
            let harness = h
            // Open first, so that every close was decided against a budget that is not full yet.
            for (i, code) in shop.codes.enumerated() {
                _ = try await h.session(
                    "c\(i)", key: shop.key, ["couponCodes": [.string(code)], "cartItems": [cartItem("a", price: 100)]])
            }
            let results = try await withThrowingTaskGroup(of: (Int, Double).self) { group in
                for i in shop.codes.indices {
                    group.addTask {
                        let r = try await harness.session("c\(i)", key: shop.key, ["state": "closed"])
                        let discount = r.body.effects("setDiscount").compactMap {
                            $0["value"]?.numberValue?.doubleValue
                        }
                        return (r.body.effects("acceptCoupon").count, discount.reduce(0, +))
                    }
                }
                return try await group.reduce(into: [(Int, Double)]()) { $0.append($1) }
            }
            #expect(results.map(\.0).reduce(0, +) == 5)
            #expect(results.map(\.1).reduce(0, +) <= 55)
            let campaign = try await h.call(.get, "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)")
            #expect(campaign["couponRedemptionCount"] == 5)
            #expect((campaign["discountCount"]?.numberValue?.doubleValue ?? 99) <= 55)
        }
    }
}
