import Foundation
import HTTPTypes
import PerkJSON
import Testing

/// `getCampaignAnalytics`: per-period figures from closes, cancels and codes rules made.
@Suite struct CampaignAnalyticsTests {
    static let fields = [
        "date", "campaignRevenue", "totalCampaignRevenue", "campaignRefund", "totalCampaignRefund",
        "campaignDiscountCosts", "totalCampaignDiscountCosts", "campaignRefundedDiscounts",
        "totalCampaignRefundedDiscounts", "campaignFreeItems", "totalCampaignFreeItems", "couponRedemptions",
        "totalCouponRedemptions", "couponRolledbackRedemptions", "totalCouponRolledbackRedemptions",
        "referralRedemptions", "totalReferralRedemptions", "couponsCreated", "totalCouponsCreated",
        "referralsCreated", "totalReferralsCreated",
    ]

    static func rfc3339(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    @Test func closesAndCancelsAreAddedUpPerDay() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h)
            for id in ["a1", "a2"] {
                let r = try await h.session(
                    id, key: shop.key,
                    ["couponCodes": [.string(shop.code)], "cartItems": [cartItem("x", price: 100)], "state": "closed"])
                #expect(r.body.effects("acceptCoupon").count == 1)
            }
            _ = try await h.session("a2", key: shop.key, ["state": "cancelled"])
            // An open session counts nothing.
            _ = try await h.session("open", key: shop.key, ["couponCodes": [.string(shop.code)]])

            let now = Date()
            // Two days back, so that the first day is before the closes whatever the time of day.
            let start = Self.rfc3339(now.addingTimeInterval(-2 * 86_400))
            let end = Self.rfc3339(now.addingTimeInterval(1))
            let base = "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)/analytics"
            let r = try await h.call(.get, base + "?rangeStart=\(start)&rangeEnd=\(end)&granularity=1%20day")
            #expect(r.status == .ok)
            let periods = try #require(r["data"]?.arrayValue)
            #expect(periods.count == r["totalResultSize"]?.numberValue?.intValue.map(Int.init))
            for p in periods { #expect(Self.fields.allSatisfy { p[$0] != nil }) }
            func sum(_ field: String) -> Double {
                periods.compactMap { $0[field]?.numberValue?.doubleValue }.reduce(0, +)
            }
            #expect(sum("couponRedemptions") == 2)
            #expect(sum("couponRolledbackRedemptions") == 1)
            #expect(sum("campaignDiscountCosts") == 20)
            #expect(sum("campaignRefundedDiscounts") == 10)
            #expect(sum("campaignRevenue") == 200)
            #expect(sum("campaignRefund") == 100)
            let last = try #require(periods.last)
            #expect(last["totalCouponRedemptions"] == 2 && last["totalCampaignRefund"]?.numberValue?.doubleValue == 100)
            // The first day: nothing happened, and nothing had happened before it.
            let first = try #require(periods.first)
            #expect((3...4).contains(periods.count))
            #expect(first["couponRedemptions"] == 0 && first["totalCouponRedemptions"] == 0)

            #expect(try await h.call(.get, base + "?rangeEnd=\(end)").status == .badRequest)
            #expect(
                try await h.call(.get, base + "?rangeStart=\(start)&rangeEnd=\(end)&granularity=fortnight").status
                    == .badRequest)
            #expect(try await h.call(.get, base + "?rangeStart=\(end)&rangeEnd=\(start)").status == .badRequest)
            let tooMany = try await h.call(
                .get, base + "?rangeStart=2000-01-01T00:00:00Z&rangeEnd=2001-01-01T00:00:00Z&granularity=1%20hour")
            #expect(tooMany.status == .badRequest)
        }
    }
}
