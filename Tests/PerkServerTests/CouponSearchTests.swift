import HTTPTypes
import PerkJSON
import Testing

/// `searchCouponsAdvanced*`: coupons found by exact attribute values, in a campaign or an application.
@Suite struct CouponSearchTests {
    @Test func couponsAreFoundByTheirAttributes() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h)
            _ = try await h.createCoupons(
                shop.app, shop.campaign, pattern: "WEB-####", count: 2,
                extra: ["attributes": ["channel": "web", "tier": 1]])
            _ = try await h.createCoupons(
                shop.app, shop.campaign, pattern: "SHOP-####", extra: ["attributes": ["channel": "shop"]])
            let other = try await h.createCampaign(shop.app, name: "Other", rules: [Harness.couponRule])
            _ = try await h.createCoupons(
                shop.app, other, pattern: "ELSE-####", extra: ["attributes": ["channel": "web"]])

            let inCampaign = "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)/coupons_search_advanced"
            func total(_ path: String, _ body: JSON) async throws -> Int64? {
                try await h.call(.post, path, body)["totalResultSize"]?.numberValue?.intValue
            }
            #expect(try await total(inCampaign, ["channel": "web"]) == 2)
            #expect(try await total(inCampaign, ["attributes": ["channel": "web", "tier": 1]]) == 2)
            // Values match exactly, types included.
            #expect(try await total(inCampaign, ["tier": "1"]) == 0)
            #expect(try await total(inCampaign, ["channel": "web", "tier": 2]) == 0)
            #expect(try await total(inCampaign, [:]) == 4)
            // The listing filters apply as well.
            #expect(try await total(inCampaign + "?value=shop", ["channel": "shop"]) == 1)
            // No stored text holds a NUL: a query naming one is refused.
            let nul = try await h.call(.get, "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)/coupons?value=SH%00P")
            #expect(nul.status == .badRequest && nul["message"] == "The submitted data was invalid")

            let page = try await h.call(.post, inCampaign + "/no_total?pageSize=1&sort=-value", ["channel": "web"])
            #expect(page["hasMore"] == true && page["data"]?.arrayValue?.count == 1 && page["totalResultSize"] == nil)
            let last = try await h.call(.post, inCampaign + "/no_total?pageSize=1&skip=1", ["channel": "web"])
            #expect(last["hasMore"] == false && last["data"]?.arrayValue?.count == 1)

            let inApplication = "/v1/applications/\(shop.app)/coupons_search_advanced"
            #expect(try await total(inApplication, ["channel": "web"]) == 3)
            #expect(try await total(inApplication + "?campaignState=enabled", ["channel": "web"]) == 3)
            #expect(try await total(inApplication + "?campaignState=disabled", ["channel": "web"]) == 0)
            let noTotal = try await h.call(.post, inApplication + "/no_total", ["channel": "web"])
            #expect(noTotal["data"]?.arrayValue?.count == 3 && noTotal["hasMore"] == false)

            #expect(try await h.call(.post, inCampaign, ["not", "an", "object"]).status == .badRequest)
            #expect(try await h.call(.post, inApplication + "?campaignState=sleepy", [:]).status == .badRequest)
        }
    }
}
