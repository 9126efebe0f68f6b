import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// `getCampaignAnalytics`: a campaign's figures per period (UTC), from what its closes and cancels
/// recorded and the codes its rules made.
extension ManagementAPI {
    /// More periods than this in one answer is a 400: ask for a coarser granularity.
    static let maximumAnalyticsPeriods = 1000

    func registerCampaignAnalytics(on router: Routes) {
        router.get("/v1/applications/:applicationId/campaigns/:campaignId/analytics") { req, ctx in
            try await campaignAnalytics(req, ctx)
        }
    }

    func campaignAnalytics(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let campaign = try await campaign(ctx, applicationId: app.id)
        let (start, end) = try Self.timeRange(req)
        guard start < end else { throw APIError.invalidParameter("rangeEnd", "rangeEnd must be after rangeStart") }
        var granularity = AnalyticsGranularity.day
        if let g = req.query("granularity") {
            guard let parsed = AnalyticsGranularity(rawValue: g) else {
                let names = AnalyticsGranularity.allCases.map(\.rawValue).joined(separator: ", ")
                throw APIError.invalidParameter("granularity", "granularity must be one of \(names)")
            }
            granularity = parsed
        }
        var periods = 0
        var t = granularity.start(of: start)
        while t < end {
            periods += 1
            guard periods <= Self.maximumAnalyticsPeriods else {
                throw APIError.invalidParameter(
                    "granularity", "more than \(Self.maximumAnalyticsPeriods) periods: choose a coarser granularity")
            }
            t = granularity.next(after: t)
        }
        let campaignId = campaign.id
        let seriesEnd = t
        let (activity, created) = try await store.read { tx in
            (
                try tx.campaignActivity(campaignId: campaignId, before: seriesEnd),
                try tx.createdCodeTimes(campaignId: campaignId, before: seriesEnd)
            )
        }
        let series = CampaignAnalytics.series(
            campaignId: campaignId, activity: activity, couponsCreated: created.coupons,
            referralsCreated: created.referrals, rangeStart: start, rangeEnd: end, granularity: granularity)
        return jsonResponse(.ok, listJSON(series.map(Self.analyticsJSON), total: series.count))
    }

    static func analyticsJSON(_ p: CampaignAnalyticsPeriod) -> JSON {
        func money(_ d: DecimalNumber) -> JSON { .number(JSONNumber(uncheckedText: d.description)) }
        let o: JSONObject = [
            "date": p.date.json,
            "campaignRevenue": money(p.period.revenue), "totalCampaignRevenue": money(p.total.revenue),
            "campaignRefund": money(p.period.refund), "totalCampaignRefund": money(p.total.refund),
            "campaignDiscountCosts": money(p.period.discountCosts),
            "totalCampaignDiscountCosts": money(p.total.discountCosts),
            "campaignRefundedDiscounts": money(p.period.refundedDiscounts),
            "totalCampaignRefundedDiscounts": money(p.total.refundedDiscounts),
            "campaignFreeItems": .number(p.period.freeItems), "totalCampaignFreeItems": .number(p.total.freeItems),
            "couponRedemptions": .number(p.period.couponRedemptions),
            "totalCouponRedemptions": .number(p.total.couponRedemptions),
            "couponRolledbackRedemptions": .number(p.period.couponRollbacks),
            "totalCouponRolledbackRedemptions": .number(p.total.couponRollbacks),
            "referralRedemptions": .number(p.period.referralRedemptions),
            "totalReferralRedemptions": .number(p.total.referralRedemptions),
            "couponsCreated": .number(p.couponsCreated), "totalCouponsCreated": .number(p.totalCouponsCreated),
            "referralsCreated": .number(p.referralsCreated), "totalReferralsCreated": .number(p.totalReferralsCreated),
            "addedLoyaltyPoints": money(p.period.addedPoints), "totalAddedLoyaltyPoints": money(p.total.addedPoints),
            "deductedLoyaltyPoints": money(p.period.deductedPoints),
            "totalDeductedLoyaltyPoints": money(p.total.deductedPoints),
        ]
        return .object(o)
    }
}
