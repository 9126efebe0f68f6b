import Talang

/// What one close (or the cancel of a closed session) did for one campaign: the figures campaign
/// analytics adds up per period.
public struct CampaignActivity: Sendable, Equatable {
    public var campaignId: Int64
    public var at: Timestamp
    public var couponRedemptions: Int64 = 0
    public var couponRollbacks: Int64 = 0
    public var referralRedemptions: Int64 = 0
    public var freeItems: Int64 = 0
    /// Session totals of closes the campaign took part in (with a coupon, referral or discount).
    public var revenue: DecimalNumber = .zero
    /// Session totals of such closes cancelled afterwards.
    public var refund: DecimalNumber = .zero
    public var discountCosts: DecimalNumber = .zero
    public var refundedDiscounts: DecimalNumber = .zero
    /// Loyalty points the campaign's rules added and deducted (less what cancels gave back).
    public var addedPoints: DecimalNumber = .zero
    public var deductedPoints: DecimalNumber = .zero

    public init(campaignId: Int64, at: Timestamp) {
        self.campaignId = campaignId
        self.at = at
    }

    public static func += (a: inout CampaignActivity, b: CampaignActivity) {
        a.couponRedemptions += b.couponRedemptions
        a.couponRollbacks += b.couponRollbacks
        a.referralRedemptions += b.referralRedemptions
        a.freeItems += b.freeItems
        a.revenue = a.revenue + b.revenue
        a.refund = a.refund + b.refund
        a.discountCosts = a.discountCosts + b.discountCosts
        a.refundedDiscounts = a.refundedDiscounts + b.refundedDiscounts
        a.addedPoints = a.addedPoints + b.addedPoints
        a.deductedPoints = a.deductedPoints + b.deductedPoints
    }
}

extension RedemptionLedger {
    /// The activity of a close (`closing`, with the effects it answered, for free items) or of
    /// the cancel that gives the close back, per campaign the close counted something for.
    public func activity(at: Timestamp, closing: Bool, effects: [Effect] = []) -> [CampaignActivity] {
        var byCampaign: [Int64: CampaignActivity] = [:]
        func touch(_ id: Int64, _ change: (inout CampaignActivity) -> Void) {
            var a = byCampaign[id] ?? CampaignActivity(campaignId: id, at: at)
            change(&a)
            byCampaign[id] = a
        }
        for c in coupons { touch(c.campaignId) { closing ? ($0.couponRedemptions += 1) : ($0.couponRollbacks += 1) } }
        if let r = referral, closing { touch(r.campaignId) { $0.referralRedemptions += 1 } }
        for d in discounts {
            touch(d.campaignId) { a in
                if closing {
                    a.discountCosts = a.discountCosts + d.value
                } else {
                    a.refundedDiscounts = a.refundedDiscounts + d.value
                }
            }
        }
        for p in points {
            let signed = closing ? p.amount : .zero - p.amount
            touch(p.campaignId) { a in
                switch p.kind {
                case .added: a.addedPoints = a.addedPoints + signed
                case .deducted: a.deductedPoints = a.deductedPoints + signed
                }
            }
        }
        for id in Array(byCampaign.keys) {
            touch(id) { a in if closing { a.revenue = sales } else { a.refund = sales } }
        }
        if closing {
            for e in effects where e.type == "addFreeItem" && byCampaign[e.campaignId] != nil {
                touch(e.campaignId) { $0.freeItems += 1 }
            }
        }
        return byCampaign.values.sorted { $0.campaignId < $1.campaignId }
    }
}

/// The periods of a campaign analytics time series (`granularity`), in UTC.
public enum AnalyticsGranularity: String, Sendable, CaseIterable {
    case hour = "1 hour"
    case day = "1 day"
    case week = "1 week"
    case month = "1 month"
    case year = "1 year"

    /// The start of the period `t` falls in (weeks start on Monday).
    public func start(of t: Timestamp) -> Timestamp {
        let s = t.seconds
        let day = s >= 0 ? s / 86_400 : (s - 86_399) / 86_400
        switch self {
        case .hour: return Timestamp(seconds: s - ((s % 3600) + 3600) % 3600)
        case .day: return Timestamp(seconds: day * 86_400)
        case .week:
            // 1970-01-01 was a Thursday: Monday is 3 days before it.
            let monday = day - (((day + 3) % 7) + 7) % 7
            return Timestamp(seconds: monday * 86_400)
        case .month, .year:
            let c = TimeValue.civilFromDays(Int(day))
            let first = TimeValue.daysFromCivil(year: c.year, month: self == .month ? c.month : 1, day: 1)
            return Timestamp(seconds: Int64(first) * 86_400)
        }
    }

    /// The start of the period after the one starting at `start`.
    public func next(after start: Timestamp) -> Timestamp {
        switch self {
        case .hour: return Timestamp(seconds: start.seconds + 3600)
        case .day: return Timestamp(seconds: start.seconds + 86_400)
        case .week: return Timestamp(seconds: start.seconds + 7 * 86_400)
        case .month, .year:
            let c = TimeValue.civilFromDays(Int(start.seconds / 86_400))
            let (y, m) = self == .month ? (c.month == 12 ? (c.year + 1, 1) : (c.year, c.month + 1)) : (c.year + 1, 1)
            return Timestamp(seconds: Int64(TimeValue.daysFromCivil(year: y, month: m, day: 1)) * 86_400)
        }
    }
}

/// One period of a campaign's analytics: what happened in it, and since the campaign began up to its end.
public struct CampaignAnalyticsPeriod: Sendable, Equatable {
    public var date: Timestamp
    public var period: CampaignActivity
    public var total: CampaignActivity
    public var couponsCreated: Int64 = 0
    public var totalCouponsCreated: Int64 = 0
    public var referralsCreated: Int64 = 0
    public var totalReferralsCreated: Int64 = 0
}

public enum CampaignAnalytics {
    /// The periods from the one holding `rangeStart` to the one holding `rangeEnd` (exclusive),
    /// each with its figures and the running totals since the campaign began. `activity` and the
    /// creation times must reach back to the campaign's start.
    public static func series(
        campaignId: Int64, activity: [CampaignActivity], couponsCreated: [Timestamp], referralsCreated: [Timestamp],
        rangeStart: Timestamp, rangeEnd: Timestamp, granularity: AnalyticsGranularity
    ) -> [CampaignAnalyticsPeriod] {
        var periods: [CampaignAnalyticsPeriod] = []
        var start = granularity.start(of: rangeStart)
        while start < rangeEnd {
            let end = granularity.next(after: start)
            var p = CampaignAnalyticsPeriod(
                date: start, period: CampaignActivity(campaignId: campaignId, at: start),
                total: CampaignActivity(campaignId: campaignId, at: start))
            for a in activity where a.at < end {
                p.total += a
                if a.at >= start { p.period += a }
            }
            p.totalCouponsCreated = Int64(couponsCreated.filter { $0 < end }.count)
            p.couponsCreated = Int64(couponsCreated.filter { $0 >= start && $0 < end }.count)
            p.totalReferralsCreated = Int64(referralsCreated.filter { $0 < end }.count)
            p.referralsCreated = Int64(referralsCreated.filter { $0 >= start && $0 < end }.count)
            periods.append(p)
            start = end
        }
        return periods
    }
}
