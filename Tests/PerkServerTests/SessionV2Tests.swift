import HTTPTypes
import PerkJSON
import Testing

@Suite struct SessionV2Tests {
    /// An application with a key, and a campaign whose coupon gives 10% off.
    static func couponShop(
        _ h: Harness, usageLimit: Int = 0, couponExtra: JSONObject = [:], campaignExtra: JSONObject = [:]
    )
        async throws -> (app: Int64, key: String, campaign: Int64, code: String)
    {
        let app = try await h.createApplication()
        let key = try await h.createKey(app)
        let campaign = try await h.createCampaign(app, rules: [Harness.couponRule], extra: campaignExtra)
        let code = try await h.createCoupons(
            app, campaign, pattern: "SAVE-####", usageLimit: usageLimit, extra: couponExtra)[0]
        return (app, key, campaign, code)
    }

    @Test func aValidCouponIsAcceptedAndItsDiscountReturned() async throws {
        try await Harness.run { h in
            let shop = try await Self.couponShop(h)
            let r = try await h.session(
                "s1", key: shop.key,
                [
                    "profileId": "alice", "couponCodes": [.string(shop.code)],
                    "cartItems": [cartItem("a", price: 40, quantity: 2), cartItem("b", price: 20)],
                ],
                content: ["customerSession", "customerProfile", "coupons", "triggeredCampaigns", "event", "loyalty"])
            #expect(r.status == .ok)
            let effects = r.body.effectList
            #expect(effects.map(\.type) == ["acceptCoupon", "setDiscount"])
            #expect(r.body.effects("acceptCoupon").first?["value"]?.stringValue == shop.code)
            #expect(r.body.effects("setDiscount").first?["value"]?.numberValue?.doubleValue == 10)
            let first = try #require(r["effects"]?[0])
            #expect(first["campaignId"]?.numberValue?.intValue == shop.campaign)
            #expect(first["ruleIndex"]?.numberValue?.intValue == 0)
            #expect(first["ruleName"]?.stringValue == "Ten percent")
            #expect(first["rulesetId"]?.numberValue?.intValue != nil)
            #expect(r["createdCoupons"] == [])
            #expect(r["createdReferrals"] == [])
            let session = try #require(r["customerSession"])
            #expect(session["total"]?.numberValue?.doubleValue == 100)
            #expect(session["cartItemTotal"]?.numberValue?.doubleValue == 100)
            #expect(session["additionalCostTotal"]?.numberValue?.doubleValue == 0)
            #expect(session["cartItems"]?[1]?["position"]?.numberValue?.intValue == 1)
            #expect(session["firstSession"] == true)
            #expect(session["state"]?.stringValue == "open")
            #expect(r["customerProfile"]?["integrationId"]?.stringValue == "alice")
            #expect(r["coupons"]?[0]?["value"]?.stringValue == shop.code)
            #expect(r["triggeredCampaigns"]?[0]?["id"]?.numberValue?.intValue == shop.campaign)
            #expect(r["event"]?["type"]?.stringValue == "talon_session_created")
            #expect(r["event"]?["ledgerEntries"] == [])
            #expect(r["loyalty"] == ["programs": [:]])
        }
    }

    @Test func withoutResponseContentOnlyTheMinimumIsReturned() async throws {
        try await Harness.run { h in
            let shop = try await Self.couponShop(h)
            let r = try await h.session("s1", key: shop.key, ["cartItems": [cartItem("a", price: 5)]])
            #expect(Set(r.body.objectValue?.keys ?? []) == ["effects", "createdCoupons", "createdReferrals"])
            #expect(r["effects"] == [])
        }
    }

    @Test func everyRejectionReasonOfTheValidationPipeline() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let running = try await h.createCampaign(app, rules: [Harness.couponRule])
            let conditional = try await h.createCampaign(
                app, name: "Big carts",
                rules: [
                    [
                        "title": "big",
                        "condition": ["and", ["couponValid"], [">", [".", "Session", "Total"], 1000]], "effects": [],
                    ]
                ])
            let noCondition = try await h.createCampaign(
                app, name: "No coupon check", rules: [["title": "always", "condition": true, "effects": []]])
            let disabled = try await h.createCampaign(
                app, name: "Off", rules: [Harness.couponRule], extra: ["state": "disabled"])
            func code(_ campaign: Int64, _ pattern: String, _ extra: JSONObject = [:], limit: Int = 0) async throws
                -> String
            {
                try await h.createCoupons(app, campaign, pattern: pattern, usageLimit: limit, extra: extra)[0]
            }
            let expired = try await code(running, "EXPIRED1", ["expiryDate": "2001-01-01T00:00:00Z"])
            let future = try await code(running, "FUTURE01", ["startDate": "2999-01-01T00:00:00Z"])
            let forBob = try await code(running, "FORBOB01", ["recipientIntegrationId": "bob"])
            let byCondition = try await code(conditional, "BIGCART1")
            let missing = try await code(noCondition, "NOCHECK1")
            let off = try await code(disabled, "DISABLED")
            let cases: [(String, String)] = [
                ("UNKNOWN1", "CouponNotFound"), (expired, "CouponExpired"), (future, "CouponStartDateInFuture"),
                (forBob, "CouponRecipientDoesNotMatch"), (byCondition, "CouponRejectedByCondition"),
                (missing, "CouponValidConditionMissing"), (off, "CouponPartOfNotRunningCampaign"),
            ]
            let r = try await h.session(
                "s", key: key,
                [
                    "profileId": "alice", "couponCodes": .array(cases.map { .string($0.0) }),
                    "cartItems": [cartItem("a", price: 10)],
                ])
            let rejected = r.body.effects("rejectCoupon")
            for (value, reason) in cases {
                #expect(
                    rejected.contains {
                        $0["value"]?.stringValue == value && $0["rejectionReason"]?.stringValue == reason
                    },
                    "\(value) should be rejected with \(reason)")
            }
            let notFound = try #require(
                r["effects"]?.arrayValue?.first { $0["props"]?["value"]?.stringValue == "UNKNOWN1" })
            #expect(notFound["campaignId"]?.numberValue?.intValue == -1)
            #expect(notFound["rulesetId"]?.numberValue?.intValue == -1)
            // Bob may use his coupon.
            let bob = try await h.session("s-bob", key: key, ["profileId": "bob", "couponCodes": [.string(forBob)]])
            #expect(bob.body.effects("acceptCoupon").count == 1)
            // A session without codes gets neither accept nor reject.
            let none = try await h.session("s-none", key: key, ["cartItems": [cartItem("a", price: 10)]])
            #expect(none.body.effects("rejectCoupon").isEmpty && none.body.effects("acceptCoupon").isEmpty)
        }
    }

    @Test func laterRulesSeeTheTotalLoweredByEarlierDiscounts() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let tenPercent: JSON = [
                "title": "10%", "condition": true,
                "effects": [["setDiscount", "ten", ["*", [".", "Session", "Total"], 0.1]]],
            ]
            _ = try await h.createCampaign(app, rules: [tenPercent])
            _ = try await h.createCampaign(app, rules: [tenPercent])
            let r = try await h.session(
                "s", key: key, ["cartItems": [cartItem("a", price: 100)]], content: ["customerSession"])
            #expect(r.body.effects("setDiscount").compactMap { $0["value"]?.numberValue?.doubleValue } == [10, 9])
            #expect(r["customerSession"]?["total"]?.numberValue?.doubleValue == 100)
        }
    }

    @Test func perItemDiscountsFreeItemsAndNotifications() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            _ = try await h.createCampaign(
                app,
                rules: [
                    [
                        "title": "shoes",
                        "condition": [
                            "exists", [".", "Session", "CartItems"], "Item",
                            ["=", [".", "Item", "Category"], "shoes"],
                        ],
                        "effects": [
                            [
                                "map",
                                [
                                    "filter", [".", "Session", "CartItems"],
                                    [["I"], ["=", [".", "I", "Category"], "shoes"]],
                                ], "Item",
                                [
                                    "setDiscountPerItem", "20% shoes", ["*", [".", "Item", "Price"], 0.2],
                                    [".", "Item", "Position"],
                                ],
                            ],
                            ["addFreeItem", "sock-1", "Free socks"],
                            ["showNotification", "Offer", "Shoes!", "20% off shoes"],
                            ["catch", ["noop"], ["setDiscount", "never", [".", "Profile", "Attributes", "Missing"]]],
                            ["setDiscount", "skipped", [".", "Session", "Attributes", "Missing"]],
                        ],
                    ]
                ])
            let r = try await h.session(
                "s", key: key,
                [
                    "cartItems": [
                        cartItem("hat", price: 10), cartItem("boot", price: 50, category: "shoes"),
                        cartItem("run", price: 80, category: "shoes"),
                    ]
                ])
            #expect(
                r.body.effectList.map(\.type) == [
                    "setDiscountPerItem", "setDiscountPerItem", "addFreeItem", "showNotification",
                ])
            let perItem = r.body.effects("setDiscountPerItem")
            #expect(perItem.map { $0["position"]?.numberValue?.intValue } == [1, 2])
            #expect(perItem.map { $0["value"]?.numberValue?.doubleValue } == [10, 16])
            #expect(perItem[0]["name"]?.stringValue == "20% shoes#1")
            #expect(r.body.effects("addFreeItem").first == ["sku": "sock-1", "name": "Free socks"])
            #expect(
                r.body.effects("showNotification").first == [
                    "notificationType": "Offer", "title": "Shoes!", "body": "20% off shoes",
                ])
        }
    }

    @Test func updatesMergeFieldsAndKeepOmittedOnes() async throws {
        try await Harness.run { h in
            let shop = try await Self.couponShop(h)
            try await h.declare("CustomerSession", "a", type: "number")
            try await h.declare("CustomerSession", "b", type: "number")
            _ = try await h.session(
                "s", key: shop.key,
                [
                    "profileId": "p1", "couponCodes": [.string(shop.code)], "cartItems": [cartItem("a", price: 10)],
                    "attributes": ["a": 1],
                    "additionalCosts": ["shipping": ["price": 4.5]], "identifiers": ["device-1"],
                ])
            let r = try await h.session(
                "s", key: shop.key, ["attributes": ["b": 2]], content: ["customerSession", "event"])
            let s = try #require(r["customerSession"])
            #expect(s["couponCodes"] == [.string(shop.code)])
            #expect(s["attributes"] == ["a": 1, "b": 2])
            #expect(s["cartItems"]?.arrayValue?.count == 1)
            #expect(s["additionalCostTotal"]?.numberValue?.doubleValue == 4.5)
            #expect(s["total"]?.numberValue?.doubleValue == 14.5)
            #expect(s["identifiers"] == ["device-1"])
            #expect(r["event"]?["type"]?.stringValue == "talon_session_updated")
            #expect(r.body.effects("acceptCoupon").count == 1)
            let cleared = try await h.session("s", key: shop.key, ["couponCodes": []], content: ["customerSession"])
            #expect(cleared["customerSession"]?["couponCodes"] == [])
            #expect(cleared.body.effects("acceptCoupon").isEmpty)
        }
    }

    @Test func firstSessionIsTrueOnlyForAProfilesFirstSession() async throws {
        try await Harness.run { h in
            let shop = try await Self.couponShop(h)
            let one = try await h.session("a1", key: shop.key, ["profileId": "carol"], content: ["customerSession"])
            #expect(one["customerSession"]?["firstSession"] == true)
            let two = try await h.session("a2", key: shop.key, ["profileId": "carol"], content: ["customerSession"])
            #expect(two["customerSession"]?["firstSession"] == false)
            let anonymous = try await h.session(
                "a3", key: shop.key, [:], content: ["customerSession", "customerProfile"])
            #expect(anonymous["customerSession"]?["firstSession"] == true)
            #expect(anonymous["customerProfile"]?["integrationId"]?.stringValue == "")
            let other = try await h.session("a2", key: shop.key, ["profileId": "dave"])
            #expect(other.status == .badRequest)
        }
    }

    @Test func closingRedeemsAndARepeatedCloseCountsNothing() async throws {
        try await Harness.run { h in
            let shop = try await Self.couponShop(h, usageLimit: 5)
            _ = try await h.session(
                "s", key: shop.key,
                ["profileId": "alice", "couponCodes": [.string(shop.code)], "cartItems": [cartItem("a", price: 50)]])
            let closed = try await h.session(
                "s", key: shop.key, ["state": "closed"],
                content: ["customerSession", "customerProfile", "coupons", "event"])
            #expect(closed.status == .ok)
            #expect(closed["customerSession"]?["state"]?.stringValue == "closed")
            #expect(closed["event"]?["type"]?.stringValue == "talon_session_closed")
            #expect(closed.body.effects("acceptCoupon").count == 1)
            #expect(closed["coupons"]?[0]?["usageCounter"]?.numberValue?.intValue == 1)
            #expect(closed["customerProfile"]?["closedSessions"]?.numberValue?.intValue == 1)
            #expect(closed["customerProfile"]?["totalSales"]?.numberValue?.doubleValue == 50)
            let again = try await h.session(
                "s", key: shop.key, ["state": "closed"], content: ["coupons", "customerProfile"])
            #expect(again.status == .ok)
            #expect(again["coupons"]?[0]?["usageCounter"]?.numberValue?.intValue == 1)
            #expect(again["customerProfile"]?["closedSessions"]?.numberValue?.intValue == 1)
            #expect(again.body.effects("acceptCoupon").count == 1)
            let reopen = try await h.session("s", key: shop.key, ["state": "open"])
            #expect(reopen.status == .badRequest)
            #expect(reopen["message"]?.stringValue == "Cannot move session to state \"open\" from state \"closed\"")
            let change = try await h.session("s", key: shop.key, ["cartItems": [cartItem("b", price: 1)]])
            #expect(change["message"]?.stringValue == "Cannot move session to state \"closed\" from state \"closed\"")
            let campaign = try await h.call(.get, "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)")
            #expect(campaign["couponRedemptionCount"]?.numberValue?.intValue == 1)
            #expect(campaign["discountEffectCount"]?.numberValue?.intValue == 1)
        }
    }

    @Test func aSessionCreatedClosedIsCountedAtOnce() async throws {
        try await Harness.run { h in
            let shop = try await Self.couponShop(h, usageLimit: 2)
            let r = try await h.session(
                "fresh", key: shop.key,
                [
                    "profileId": "erin", "state": "closed", "couponCodes": [.string(shop.code)],
                    "cartItems": [cartItem("a", price: 30)],
                ],
                content: ["customerSession", "customerProfile", "coupons", "event"])
            #expect(r["event"]?["type"]?.stringValue == "talon_session_created")
            #expect(r["customerSession"]?["state"]?.stringValue == "closed")
            #expect(r["customerSession"]?["firstSession"] == true)
            #expect(r["customerProfile"]?["closedSessions"]?.numberValue?.intValue == 1)
            #expect(r["coupons"]?[0]?["usageCounter"]?.numberValue?.intValue == 1)
            #expect(r["coupons"]?[0]?["profileRedemptionCount"]?.numberValue?.intValue == 1)
        }
    }

    @Test func cancellingAClosedSessionGivesBackWhatItCounted() async throws {
        try await Harness.run { h in
            let shop = try await Self.couponShop(h, usageLimit: 1)
            _ = try await h.session(
                "s", key: shop.key,
                ["profileId": "alice", "couponCodes": [.string(shop.code)], "cartItems": [cartItem("a", price: 50)]])
            _ = try await h.session("s", key: shop.key, ["state": "closed"])
            let cancelled = try await h.session(
                "s", key: shop.key, ["state": "cancelled"], content: ["coupons", "customerProfile", "event"])
            #expect(cancelled.status == .ok)
            #expect(cancelled["event"]?["type"]?.stringValue == "talon_session_revoked")
            #expect(cancelled.body.effects("rollbackCoupon") == [["value": .string(shop.code)]])
            #expect(cancelled.body.effects("rollbackDiscount").first?["value"]?.numberValue?.doubleValue == 5)
            #expect(cancelled["coupons"]?[0]?["usageCounter"]?.numberValue?.intValue == 0)
            #expect(cancelled["customerProfile"]?["closedSessions"]?.numberValue?.intValue == 0)
            let again = try await h.session("s", key: shop.key, ["state": "cancelled"], content: ["coupons"])
            #expect(again.status == .ok)
            #expect(again["coupons"]?[0]?["usageCounter"]?.numberValue?.intValue == 0)
            #expect(try await h.session("s", key: shop.key, ["state": "closed"]).status == .badRequest)
            // The coupon is usable again by someone else.
            _ = try await h.session("t", key: shop.key, ["couponCodes": [.string(shop.code)]])
            let other = try await h.session("t", key: shop.key, ["state": "closed"], content: ["coupons"])
            #expect(other.body.effects("acceptCoupon").count == 1)
            #expect(other["coupons"]?[0]?["usageCounter"]?.numberValue?.intValue == 1)
            // Cancelling an open session counts nothing and gives nothing back.
            _ = try await h.session("u", key: shop.key, ["couponCodes": [.string(shop.code)]])
            let openCancel = try await h.session("u", key: shop.key, ["state": "cancelled"])
            #expect(openCancel["effects"] == [])
        }
    }

    @Test func aCouponThatReachedItsLimitBeforeCloseIsRejectedAtClose() async throws {
        try await Harness.run { h in
            let shop = try await Self.couponShop(h, usageLimit: 1)
            for id in ["first", "second"] {
                let r = try await h.session(
                    id, key: shop.key, ["couponCodes": [.string(shop.code)], "cartItems": [cartItem("a", price: 10)]])
                #expect(r.body.effects("acceptCoupon").count == 1)
            }
            let first = try await h.session("first", key: shop.key, ["state": "closed"])
            #expect(first.body.effects("acceptCoupon").count == 1)
            let second = try await h.session(
                "second", key: shop.key, ["state": "closed"], content: ["customerSession", "coupons"])
            #expect(second.status == .ok)
            #expect(second["customerSession"]?["state"]?.stringValue == "closed")
            #expect(second.body.effects("acceptCoupon").isEmpty)
            #expect(second.body.effects("setDiscount").isEmpty)
            #expect(second.body.effects("rejectCoupon").first?["rejectionReason"]?.stringValue == "CouponLimitReached")
            #expect(second["coupons"]?[0]?["usageCounter"]?.numberValue?.intValue == 1)
            let third = try await h.session("third", key: shop.key, ["couponCodes": [.string(shop.code)]])
            #expect(third.body.effects("rejectCoupon").first?["rejectionReason"]?.stringValue == "CouponLimitReached")
        }
    }

    @Test func concurrentClosesNeverRedeemPastTheLimit() async throws {
        try await Harness.run { h in
            let shop = try await Self.couponShop(h, usageLimit: 5)
            let sessions = (0..<30).map { "c\($0)" }
            for id in sessions { _ = try await h.session(id, key: shop.key, ["couponCodes": [.string(shop.code)]]) }
            let harness = h
            let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
                for id in sessions {
                    group.addTask {
                        try await harness.session(id, key: shop.key, ["state": "closed"]).body.effects("acceptCoupon")
                            .count
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(accepted == 5)
            let coupons = try await h.call(.get, "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)/coupons")
            #expect(coupons["data"]?[0]?["usageCounter"]?.numberValue?.intValue == 5)
        }
    }

    @Test func concurrentUpdatesOfOneSessionLoseNoWrite() async throws {
        try await Harness.run { h in
            let shop = try await Self.couponShop(h)
            for i in 0..<20 { try await h.declare("CustomerSession", "k\(i)", type: "number") }
            let harness = h
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        let r = try await harness.session(
                            "busy", key: shop.key, ["attributes": .object(["k\(i)": .number(i)])])
                        #expect(r.status == .ok)
                    }
                }
                try await group.waitForAll()
            }
            let final = try await h.session("busy", key: shop.key, [:], content: ["customerSession"])
            #expect(final["customerSession"]?["attributes"]?.objectValue?.count == 20)
        }
    }

    @Test func codesFollowTheApplicationsCaseSensitivity() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication(extra: ["caseSensitivity": "insensitive-uppercase"])
            let key = try await h.createKey(app)
            let campaign = try await h.createCampaign(app, rules: [Harness.couponRule])
            _ = try await h.createCoupons(app, campaign, pattern: "SUMMER")
            let r = try await h.session("s", key: key, ["couponCodes": ["summer"]])
            #expect(r.body.effects("acceptCoupon").count == 1)
        }
    }
}
