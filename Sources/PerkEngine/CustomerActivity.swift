import Talang

/// What one customer's sessions add up to, for the customer reports (`getCustomerAnalytics`,
/// `getCustomerActivityReport`). Orders are closed sessions; a cancelled one counts no more.
public struct CustomerActivity: Sendable, Equatable {
    /// Closed sessions.
    public var orders: Int64 = 0
    /// Closed sessions that redeemed no coupon.
    public var ordersWithoutCoupon: Int64 = 0
    /// Closed sessions given a discount.
    public var discountedOrders: Int64 = 0
    /// Coupons redeemed by closed sessions.
    public var couponRedemptions: Int64 = 0
    /// Coupon codes the sessions carried, and those a rule or check rejected.
    public var couponAttempts: Int64 = 0
    public var couponFailures: Int64 = 0
    /// Free items given by closed sessions.
    public var freeItems: Int64 = 0
    /// What closed sessions were worth (their totals), and the discounts they got.
    public var revenue: DecimalNumber = .zero
    public var discounts: DecimalNumber = .zero
    /// The campaigns whose rules gave the sessions an effect, by id.
    public var campaignIds: Set<Int64> = []

    public init() {}

    public init(sessions: [CustomerSession]) {
        for s in sessions { add(s) }
    }

    public mutating func add(_ s: CustomerSession) {
        couponAttempts += Int64(s.couponCodes.count)
        for e in s.effects {
            campaignIds.insert(e.campaignId)
            if e.type == "rejectCoupon" { couponFailures += 1 }
        }
        guard s.state == .closed, let ledger = s.ledger else { return }
        orders += 1
        couponRedemptions += Int64(ledger.coupons.count)
        if ledger.coupons.isEmpty { ordersWithoutCoupon += 1 }
        let discount = ledger.discounts.reduce(DecimalNumber.zero) { $0 + $1.value }
        if discount > .zero { discountedOrders += 1 }
        discounts = discounts + discount
        revenue = revenue + ledger.sales
        freeItems += Int64(s.effects.filter { $0.type == "addFreeItem" }.count)
    }
}
