import HTTPTypes
import PerkJSON
import Testing

/// Referral codes, `updateAttribute` and the creation effects through the HTTP API.
@Suite struct ReferralAndCreationHTTPTests {
    static let referralRule: JSON = [
        "title": "Welcome a friend", "condition": ["and", ["referralValid"]],
        "effects": [["setDiscount", "welcome", 5], ["redeemReferral"]],
    ]

    /// An application with a key and a referral campaign.
    static func referralShop(_ h: Harness, rules: [JSON] = [referralRule], extra: JSONObject = [:]) async throws -> (
        app: Int64, key: String, campaign: Int64
    ) {
        let app = try await h.createApplication()
        let key = try await h.createKey(app)
        var campaignExtra: JSONObject = ["features": ["referrals"]]
        for (k, v) in extra { campaignExtra[k] = v }
        let campaign = try await h.createCampaign(app, rules: rules, extra: campaignExtra)
        return (app, key, campaign)
    }

    func createReferral(_ h: Harness, key: String, _ body: JSON) async throws -> Harness.Reply {
        try await h.call(.post, "/v1/referrals", body, headers: [(.authorization, "ApiKey-v1 \(key)")])
    }

    @Test func createReferralAnswersTheNewCodeAndCreatesTheAdvocate() async throws {
        try await Harness.run { h in
            let shop = try await Self.referralShop(
                h, extra: ["referralSettings": ["couponPattern": "FRIEND-####", "validCharacters": ["0-9"]]])
            let r = try await createReferral(
                h, key: shop.key,
                [
                    "campaignId": .number(shop.campaign), "advocateProfileIntegrationId": "ann",
                    "friendProfileIntegrationId": "bob", "expiryDate": "2099-05-28T15:22:48.351041+02:00",
                ])
            #expect(r.status == .created)
            let code = try #require(r["code"]?.stringValue)
            #expect(code.hasPrefix("FRIEND-") && code.count == 11)
            #expect(r["advocateProfileIntegrationId"] == "ann")
            #expect(r["friendProfileIntegrationId"] == "bob")
            #expect(r["campaignId"]?.numberValue?.intValue == shop.campaign)
            #expect(r["usageLimit"] == 1)
            #expect(r["usageCounter"] == 0)
            #expect(r["expiryDate"]?.stringValue == "2099-05-28T13:22:48.351041Z")
            // The advocate's profile exists now (a stored profile has an id other than 0).
            let s = try await h.session("s-ann", key: shop.key, ["profileId": "ann"], content: ["customerProfile"])
            #expect(s["customerProfile"]?["integrationId"] == "ann")
            #expect(s["customerProfile"]?["id"]?.numberValue?.intValue != 0)
        }
    }

    @Test func createReferralRefusesBadRequests() async throws {
        try await Harness.run { h in
            let shop = try await Self.referralShop(h)
            let couponsOnly = try await h.createCampaign(shop.app, name: "No referrals", rules: [])
            let other = try await Self.referralShop(h)
            let bad: [(JSON, String)] = [
                (["advocateProfileIntegrationId": "ann"], "/campaignId"),
                (["campaignId": .number(shop.campaign)], "/advocateProfileIntegrationId"),
                (
                    ["campaignId": .number(shop.campaign), "advocateProfileIntegrationId": ""],
                    "/advocateProfileIntegrationId"
                ),
                (["campaignId": "1", "advocateProfileIntegrationId": "ann"], "/campaignId"),
                (["campaignId": 999, "advocateProfileIntegrationId": "ann"], "/campaignId"),
                (["campaignId": .number(other.campaign), "advocateProfileIntegrationId": "ann"], "/campaignId"),
                (["campaignId": .number(couponsOnly), "advocateProfileIntegrationId": "ann"], "/campaignId"),
                (
                    ["campaignId": .number(shop.campaign), "advocateProfileIntegrationId": "ann", "startDate": "soon"],
                    "/startDate"
                ),
            ]
            for (body, pointer) in bad {
                let r = try await createReferral(h, key: shop.key, body)
                #expect(r.status == .badRequest, "\(body.text)")
                #expect(r["errors"]?[0]?["source"]?["pointer"]?.stringValue == pointer, "\(body.text)")
            }
            let unauthorized = try await h.call(
                .post, "/v1/referrals", ["campaignId": .number(shop.campaign), "advocateProfileIntegrationId": "ann"],
                headers: [(.authorization, "ApiKey-v1 nope")])
            #expect(unauthorized.status == .unauthorized)
        }
    }

    @Test func aReferralIsRedeemedAtCloseAndGivenBackAtCancel() async throws {
        try await Harness.run { h in
            let shop = try await Self.referralShop(h)
            let created = try await createReferral(
                h, key: shop.key, ["campaignId": .number(shop.campaign), "advocateProfileIntegrationId": "ann"])
            let code = try #require(created["code"]?.stringValue)
            let content = ["referral"]
            let open = try await h.session(
                "s1", key: shop.key, ["profileId": "bob", "referralCode": .string(code)], content: content)
            #expect(open.body.effectList.map(\.type) == ["acceptReferral", "setDiscount", "redeemReferral"])
            #expect(open.body.effects("redeemReferral").first?["id"] == created["id"])
            #expect(open["referral"]?["usageCounter"] == 0)

            let closed = try await h.session("s1", key: shop.key, ["state": "closed"], content: content)
            #expect(closed.body.effectList.map(\.type) == ["acceptReferral", "setDiscount", "redeemReferral"])
            #expect(closed["referral"]?["usageCounter"] == 1)
            #expect(closed["referral"]?["referredCustomers"] == ["bob"])
            var campaign = try await h.call(.get, "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)")
            #expect(campaign["referralRedemptionCount"] == 1)

            // Single use: the next friend is refused.
            let second = try await h.session(
                "s2", key: shop.key, ["profileId": "carl", "referralCode": .string(code)], content: content)
            #expect(second.body.effectList.map(\.type) == ["rejectReferral"])
            #expect(second.body.effects("rejectReferral").first?["rejectionReason"] == "ReferralLimitReached")

            let cancelled = try await h.session("s1", key: shop.key, ["state": "cancelled"], content: content)
            #expect(cancelled.status == .ok)
            #expect(cancelled["referral"]?["usageCounter"] == 0)
            #expect(cancelled["referral"]?["referredCustomers"] == [])
            campaign = try await h.call(.get, "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)")
            #expect(campaign["referralRedemptionCount"] == 0)
            let again = try await h.session("s2", key: shop.key, ["state": "open"], content: content)
            #expect(again.body.effectList.map(\.type) == ["acceptReferral", "setDiscount", "redeemReferral"])
        }
    }

    @Test func sessionReferralRejections() async throws {
        try await Harness.run { h in
            let shop = try await Self.referralShop(h)
            let mine = try await createReferral(
                h, key: shop.key,
                [
                    "campaignId": .number(shop.campaign), "advocateProfileIntegrationId": "ann",
                    "friendProfileIntegrationId": "bob",
                ])
            let code = try #require(mine["code"]?.stringValue)
            let cases: [(String, String, String)] = [
                ("ann", code, "ReferralRecipientIdSameAsAdvocate"),
                ("carl", code, "ReferralRecipientDoesNotMatch"),
                ("", code, "ReferralRecipientDoesNotMatch"),
                ("bob", "NO-SUCH-CODE", "ReferralNotFound"),
            ]
            for (i, (profile, code, reason)) in cases.enumerated() {
                let r = try await h.session(
                    "r\(i)", key: shop.key, ["profileId": .string(profile), "referralCode": .string(code)])
                #expect(r.body.effectList.map(\.type) == ["rejectReferral"], "\(reason)")
                #expect(r.body.effects("rejectReferral").first?["rejectionReason"]?.stringValue == reason)
            }
            let notFound = try await h.session("r9", key: shop.key, ["referralCode": "NOPE"])
            #expect(notFound["effects"]?[0]?["campaignId"] == -1)
        }
    }

    @Test func concurrentClosesRedeemASingleUseReferralOnce() async throws {
        try await Harness.run { h in
            let shop = try await Self.referralShop(h)
            let created = try await createReferral(
                h, key: shop.key, ["campaignId": .number(shop.campaign), "advocateProfileIntegrationId": "ann"])
            let code = try #require(created["code"]?.stringValue)
            let h2 = h
            let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<12 {
                    group.addTask {
                        let r = try await h2.session(
                            "c\(i)", key: shop.key,
                            ["profileId": .string("friend\(i)"), "referralCode": .string(code), "state": "closed"])
                        return r.body.effects("acceptReferral").count
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(accepted == 1)
            let campaign = try await h.call(.get, "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)")
            #expect(campaign["referralRedemptionCount"] == 1)
        }
    }

    @Test func updateAttributeIsStoredOnTheSessionAndProfile() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            _ = try await h.createCampaign(
                app,
                rules: [
                    [
                        "title": "VIP on big carts", "condition": [">", [".", "Session", "Total"], 100],
                        "effects": [
                            ["updateAttribute", "Profile.Attributes.vip", true],
                            ["updateAttribute", "Session.Attributes.tier", "gold"],
                        ],
                    ]
                ])
            try await h.declare("CustomerSession", "gift", type: "boolean")
            let content = ["customerSession", "customerProfile"]
            let small = try await h.session(
                "s1", key: key, ["profileId": "alice", "cartItems": [cartItem("a", price: 50)]], content: content)
            #expect(small["customerSession"]?["attributes"] == [:])
            let big = try await h.session(
                "s1", key: key, ["cartItems": [cartItem("a", price: 500)], "attributes": ["gift": true]],
                content: content)
            #expect(
                big.body.effects("updateAttribute").map { $0["path"] } == [
                    "Profile.Attributes.vip", "Session.Attributes.tier",
                ])
            #expect(big["customerSession"]?["attributes"] == ["gift": true, "tier": "gold"])
            #expect(big["customerProfile"]?["attributes"] == ["vip": true])
            // Not rolled back when the cart shrinks or the session is cancelled.
            let shrunk = try await h.session(
                "s1", key: key, ["cartItems": [cartItem("a", price: 5)], "state": "cancelled"], content: content)
            #expect(shrunk["customerProfile"]?["attributes"] == ["vip": true])
            #expect(shrunk["customerSession"]?["attributes"]?["tier"] == "gold")
            // Anonymous: only the session attribute.
            let anonymous = try await h.session(
                "s2", key: key, ["cartItems": [cartItem("a", price: 500)]], content: content)
            #expect(anonymous.body.effects("updateAttribute").map { $0["path"] } == ["Session.Attributes.tier"])
            #expect(anonymous["customerSession"]?["attributes"] == ["tier": "gold"])
        }
    }

    @Test func createCouponMakesOneCouponPerSessionRuleAndEffect() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let campaign = try await h.createCampaign(
                app,
                rules: [
                    [
                        "title": "Thank you coupon", "condition": ["=", [".", "Session", "State"], "closed"],
                        "effects": [["createCoupon"]],
                    ],
                    [
                        "title": "Coupon for a friend", "condition": [">", [".", "Session", "Total"], 100],
                        "effects": [["createCoupon", "friend-1"], ["createReferral"]],
                    ],
                ],
                extra: [
                    "features": ["coupons", "referrals"],
                    "couponSettings": ["couponPattern": "THX-#####", "validCharacters": ["A-Z"]],
                ])
            let first = try await h.session(
                "s1", key: key, ["profileId": "alice", "cartItems": [cartItem("a", price: 500)]])
            #expect(first.body.effectList.map(\.type) == ["couponCreated", "referralCreated"])
            let friendCoupon = try #require(first.body.effects("couponCreated").first)
            #expect(friendCoupon["profileId"] == "friend-1")
            let friendCode = try #require(friendCoupon["value"]?.stringValue)
            #expect(friendCode.hasPrefix("THX-") && friendCode.count == 9)
            #expect(first["createdCoupons"]?[0]?["value"]?.stringValue == friendCode)
            #expect(first["createdCoupons"]?[0]?["recipientIntegrationId"] == "friend-1")
            #expect(first["createdCoupons"]?[0]?["usageLimit"] == 1)
            let referralCode = try #require(first.body.effects("referralCreated").first?["value"]?.stringValue)
            #expect(referralCode.count == 8)
            #expect(first["createdReferrals"]?[0]?["code"]?.stringValue == referralCode)
            #expect(first["createdReferrals"]?[0]?["advocateProfileIntegrationId"] == "alice")

            // A later update of the same session answers the same codes: nothing is minted twice.
            let closed = try await h.session("s1", key: key, ["state": "closed"])
            #expect(closed.body.effectList.map(\.type) == ["couponCreated", "couponCreated", "referralCreated"])
            let codes = closed.body.effects("couponCreated").compactMap { $0["value"]?.stringValue }
            #expect(codes[1] == friendCode && codes[0] != friendCode)
            #expect(closed.body.effects("couponCreated")[0]["profileId"] == "alice")
            #expect(closed.body.effects("referralCreated").first?["value"]?.stringValue == referralCode)
            let repeated = try await h.session("s1", key: key, ["state": "closed"])
            #expect(repeated.body.effects("couponCreated").compactMap { $0["value"]?.stringValue } == codes)

            var listed = try await h.call(.get, "/v1/applications/\(app)/campaigns/\(campaign)/coupons")
            #expect(listed["totalResultSize"] == 2)
            var stored = try await h.call(.get, "/v1/applications/\(app)/campaigns/\(campaign)")
            #expect(stored["couponCreationCount"] == 2)

            // Cancelling keeps the created codes; the friend can use hers.
            _ = try await h.session("s1", key: key, ["state": "cancelled"])
            listed = try await h.call(.get, "/v1/applications/\(app)/campaigns/\(campaign)/coupons")
            #expect(listed["totalResultSize"] == 2)
            stored = try await h.call(.get, "/v1/applications/\(app)/campaigns/\(campaign)")
            #expect(stored["couponCreationCount"] == 2)
            let friend = try await h.session(
                "s-friend", key: key, ["profileId": "friend-1", "couponCodes": [.string(friendCode)]],
                content: ["coupons"])
            #expect(friend["coupons"]?[0]?["recipientIntegrationId"] == "friend-1")
            let stranger = try await h.session(
                "s-stranger", key: key, ["profileId": "mallory", "couponCodes": [.string(friendCode)]])
            #expect(stranger.body.effects("rejectCoupon").first?["rejectionReason"] == "CouponRecipientDoesNotMatch")
        }
    }
}
