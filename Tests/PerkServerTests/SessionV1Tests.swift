import HTTPTypes
import PerkJSON
import Testing

@testable import PerkServer

/// `PUT /v1/customer_sessions/{id}`: the 2020 shapes, client totals, array effects, no cascading.
@Suite struct SessionV1Tests {
    func v1(_ h: Harness, _ id: String, key: String, _ body: JSON) async throws -> Harness.Reply {
        try await h.call(.put, "/v1/customer_sessions/\(id)", body, headers: [(.authorization, "ApiKey-v1 \(key)")])
    }

    static let tenPercent: JSON = [
        "title": "Ten percent", "condition": ["and", ["couponValid"]],
        "effects": [["setDiscount", "10% off", ["*", [".", "Session", "Total"], 0.1]]],
    ]

    @Test func theIntegrationStateOfAV1Update() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h, couponExtra: ["attributes": ["Description": "summer"]])
            try await h.declare("CustomerSession", "Note")
            _ = try await h.createCampaign(
                shop.app, name: "Also ten percent",
                rules: [
                    [
                        "title": "Everyone", "condition": true,
                        "effects": [["setDiscount", "10% off", ["*", [".", "Session", "Total"], 0.1]]],
                    ]
                ],
                extra: ["attributes": ["Channel": "web"]])
            let r = try await v1(
                h, "s1", key: shop.key,
                ["profileId": "alice", "coupon": .string(shop.code), "total": 100, "attributes": ["Note": "gift"]])
            #expect(r.status == .ok)
            let session = try #require(r["session"])
            let required = [
                "integrationId", "created", "applicationId", "profileId", "coupon", "referral", "state", "cartItems",
                "total", "attributes", "firstSession", "discounts",
            ]
            #expect(required.allSatisfy { session[$0] != nil })
            #expect(session["coupon"]?.stringValue == shop.code)
            #expect(session["referral"] == "")
            #expect(session["total"] == 100)
            // No cascading in v1: both rules see a total of 100; same-name discounts are summed.
            #expect(session["discounts"] == ["10% off": 20.0])
            let effects = try #require(r["event"]?["effects"]?.arrayValue)
            #expect(effects.count == 3)
            #expect(effects[0][0]?.numberValue?.intValue == shop.campaign)
            #expect(effects[0][2] == 0)
            #expect(effects[0][3] == ["acceptCoupon", .string(shop.code)])
            #expect(effects[1][3] == ["setDiscount", "10% off", 10.0])
            #expect(effects[2][3] == ["setDiscount", "10% off", 10.0])
            #expect(r["event"]?["type"] == "talon_session_created")
            #expect(r["event"]?["ledgerEntries"] == [])
            let meta = try #require(r["event"]?["meta"])
            #expect(meta["coupons"] == [.init(stringLiteral: shop.code): ["Description": "summer"]])
            #expect(meta["campaigns"]?.objectValue?.count == 1)
            #expect(meta["couponRejectionReason"] == nil)
            #expect(r["profile"]?["integrationId"] == "alice")
            #expect(r["coupon"]?["value"]?.stringValue == shop.code)
        }
    }

    @Test func rejectionsAppearInMeta() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h)
            let r = try await v1(h, "s1", key: shop.key, ["coupon": "NOPE", "referral": "NOREF"])
            let effects = try #require(r["event"]?["effects"]?.arrayValue)
            #expect(effects.map { $0[3]?[0] } == ["rejectCoupon", "rejectReferral"])
            #expect(effects[0][0] == -1)
            let meta = try #require(r["event"]?["meta"])
            #expect(meta["couponRejectionReason"] == ["campaignId": -1, "couponId": 0, "reason": "CouponNotFound"])
            #expect(
                meta["referralRejectionReason"] == ["campaignId": -1, "referralId": 0, "reason": "ReferralNotFound"])
            #expect(r["coupon"] == nil)
            // Anonymous: a transient profile, always present.
            #expect(r["profile"]?["integrationId"] == "")
            #expect(r["session"]?["firstSession"] == true)
        }
    }

    @Test func aSessionCanMoveBetweenV1AndV2() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h, usageLimit: 1)
            _ = try await v1(
                h, "s1", key: shop.key,
                [
                    "profileId": "bob", "coupon": .string(shop.code), "cartItems": [cartItem("a", price: 30)],
                    "total": 25,
                ])
            let v2 = try await h.session("s1", key: shop.key, [:], content: ["customerSession"])
            #expect(v2["customerSession"]?["couponCodes"] == [.string(shop.code)])
            #expect(v2["customerSession"]?["total"] == 25)
            // A v2 cart replaces the client's total with the computed one.
            let recomputed = try await h.session(
                "s1", key: shop.key, ["cartItems": [cartItem("a", price: 40)]], content: ["customerSession"])
            #expect(recomputed["customerSession"]?["total"] == 40)
            let closed = try await v1(h, "s1", key: shop.key, ["state": "closed"])
            #expect(closed["session"]?["state"] == "closed")
            #expect(closed["session"]?["total"] == 40)
            #expect(closed["profile"]?["closedSessions"] == 1)
            #expect(closed["coupon"]?["usageCounter"] == 1)
            #expect(closed["event"]?["type"] == "talon_session_closed")
            let reopened = try await v1(h, "s1", key: shop.key, ["state": "open"])
            #expect(reopened.status == .badRequest)
            #expect(reopened["message"] == #"Cannot move session to state "open" from state "closed""#)
            let coupon = try await v1(h, "s1", key: shop.key, ["coupon": ""])
            #expect(coupon.status == .badRequest)
        }
    }

    @Test func badV1BodiesAre400WithPointers() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h)
            let cases: [(JSON, String)] = [
                (["state": "done"], "/state"), (["total": "12"], "/total"), (["coupon": 5], "/coupon"),
                (["cartItems": [["name": "x", "sku": "y", "quantity": 0, "price": 1]]], "/cartItems/0/quantity"),
                (["attributes": []], "/attributes"),
            ]
            for (body, pointer) in cases {
                let r = try await v1(h, "s1", key: shop.key, body)
                #expect(r.status == .badRequest, "\(body.text)")
                #expect(r["errors"]?[0]?["source"]?["pointer"]?.stringValue == pointer, "\(body.text)")
            }
            let text = #"{"profileId":"carol","total":12.5}"#
            let signature = try #require(ContentSignature.sign(Array(text.utf8), hexKey: "fefecafedeadbeef"))
            let app = try await h.createApplication(extra: ["key": "fefecafedeadbeef"])
            var anonymous = h
            anonymous.token = ""
            let signed = try await anonymous.raw(
                .put, "/v1/customer_sessions/signed", text,
                headers: [(HTTPField.Name("Content-Signature")!, "signer=\(app); signature=\(signature)")])
            #expect(signed.status == .ok)
            #expect(signed["session"]?["total"] == 12.5)
            #expect(signed["session"]?["applicationId"]?.numberValue?.intValue == app)
        }
    }
}
