import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// Returns of items of a closed session (`POST /v2/customer_sessions/{id}/returns`).
///
/// The cart that is kept is evaluated again as the close was (the session's own redemptions not
/// counted against its limits); of every discount the close confirmed, what the kept cart no
/// longer gives is rolled back. Coupon and referral redemptions stay. The profile's sales and
/// the campaigns' revenue lose the returned items' value; budgets, campaign counters and
/// analytics lose the rolled-back discounts. A later cancel gives back what is left.
extension SessionService {
    struct ReturnedItem: Sendable {
        /// nil: the first line of `sku`.
        var position: Int?
        var sku: String?
        /// nil: every unit not returned yet.
        var quantity: Int64?
    }

    enum ReturnFailure: Error {
        case unknownSession
        case notReturnable(SessionState)
        case invalid(FieldError)
    }

    /// What a return read and decided, to be committed.
    struct ReturnDecision: Sendable {
        var session: CustomerSession
        var profile: CustomerProfile?
        var coupons: [Coupon]
        var referral: Referral?
        var items: [SessionReturn.Item]
        var returnedValue: DecimalNumber
        /// The discounts of the close that stay, by campaign and name.
        var kept: [DiscountKey: DecimalNumber]
        var triggered: [Campaign]
        /// Confirmed usage of the budget counters the session touches.
        var usage: [LimitKey: DecimalNumber] = [:]
    }

    struct DiscountKey: Hashable, Sendable {
        var campaignId: Int64
        var name: String
    }

    func returnItems(
        applicationId: Int64, integrationId: String, items: [ReturnedItem], runRules: Bool, dry: DryRun?
    ) async throws -> SessionOutcome {
        guard let stored = try await catalog.snapshot(applicationId) else { throw Failure.unknownApplication }
        let snapshot = dry.map { stored.evaluating($0.evaluableCampaignIds) } ?? stored
        let now = dry?.now ?? clock()
        let store = self.store
        let limits = self.limits
        return try await serializer.run("\(applicationId)/\(integrationId)") {
            for attempt in 0..<Self.attempts {
                let decision = try await store.read { tx in
                    try Self.readReturn(tx, snapshot, integrationId: integrationId, items: items)
                }
                let decided = await scheduler.run(applicationId: applicationId) {
                    Self.decideReturn(decision, snapshot: snapshot, runRules: runRules, limits: limits)
                }
                let commit: @Sendable (any StoreTransaction) throws -> SessionOutcome = { tx in
                    try Self.commitReturn(tx, decided, now: now)
                }
                do {
                    if dry != nil { return try await store.rehearse(commit) }
                    return try await store.write(durable: true, commit)
                } catch StoreError.conflict {
                    try await Self.backOff(attempt)
                }
            }
            throw StoreError.conflict
        }
    }

    static func readReturn(
        _ tx: any StoreTransaction, _ snapshot: ApplicationSnapshot, integrationId: String, items: [ReturnedItem]
    ) throws -> ReturnDecision {
        let app = snapshot.application
        // Closed or returned: its effects are read with it.
        guard let session = try tx.session(applicationId: app.id, integrationId: integrationId) else {
            throw ReturnFailure.unknownSession
        }
        guard session.state == .closed || session.state == .partiallyReturned else {
            throw ReturnFailure.notReturnable(session.state)
        }
        var returned: [SessionReturn.Item] = []
        var after = session
        for (i, item) in items.enumerated() {
            let pointer = "/return/returnedCartItems/\(i)"
            guard let position = item.position ?? after.cartItems.firstIndex(where: { $0.sku == item.sku }) else {
                throw ReturnFailure.invalid(
                    FieldError(
                        title: "Invalid value", details: "the session has no cart item of SKU \"\(item.sku ?? "")\"",
                        pointer: pointer + "/sku"))
            }
            guard after.cartItems.indices.contains(position) else {
                throw ReturnFailure.invalid(
                    FieldError(
                        title: "Invalid value", details: "the session has no cart item at position \(position)",
                        pointer: pointer + "/position"))
            }
            let line = after.cartItems[position]
            let left = line.quantity - line.returnedQuantity
            let quantity = item.quantity ?? left
            guard quantity >= 1, quantity <= left else {
                throw ReturnFailure.invalid(
                    FieldError(
                        title: "Invalid value",
                        details: "quantity must be from 1 to the \(left) units of the item not returned yet",
                        pointer: pointer + (item.quantity == nil ? "" : "/quantity")))
            }
            after.cartItems[position].returnedQuantity += quantity
            returned.append(.init(position: position, quantity: quantity, sku: line.sku))
        }
        let profile = session.profileId.isEmpty ? nil : try tx.profile(integrationId: session.profileId)
        let codes = try codes(tx, snapshot, session)
        let value = returned.reduce(DecimalNumber.zero) {
            $0 + session.cartItems[$1.position].price * DecimalNumber($1.quantity)
        }
        var kept: [DiscountKey: DecimalNumber] = [:]
        for d in session.ledger?.discounts ?? [] {
            let key = DiscountKey(campaignId: d.campaignId, name: d.name)
            kept[key] = (kept[key] ?? .zero) + d.value
        }
        return ReturnDecision(
            session: after, profile: profile, coupons: codes.coupons, referral: codes.referral, items: returned,
            returnedValue: value, kept: kept, triggered: [], usage: codes.limitUsage)
    }

    /// Evaluates the kept cart as the close was, and lowers each confirmed discount to what it
    /// still gives (never more than the close gave).
    static func decideReturn(
        _ d: ReturnDecision, snapshot: ApplicationSnapshot, runRules: Bool, limits: EvaluationLimits
    ) -> ReturnDecision {
        guard runRules, let ledger = d.session.ledger else { return d }
        var out = d
        var remaining = d.session.remaining
        remaining.state = .closed
        let own = Set(ledger.coupons.map(\.couponId))
        let coupons = d.coupons.map { c in
            var c = c
            if own.contains(c.id) { c.usageCounter -= 1 }
            return c
        }
        var referral = d.referral
        if let r = referral, ledger.referral?.referralId == r.id { referral?.usageCounter -= 1 }
        var usage = d.usage
        for c in ledger.charges { usage[c.key] = (usage[c.key] ?? .zero) - c.amount }
        // At the time of the close: campaigns and codes that ended since still gave what they gave.
        let closedAt = d.session.closedAt ?? d.session.updated
        let result = Evaluator.evaluate(
            snapshot.evaluation(
                session: remaining, profile: d.profile, eventType: "talon_session_partially_returned",
                coupons: coupons, referral: referral, reservedCouponIds: Set(coupons.map(\.id)), limitUsage: usage,
                now: closedAt, cascading: true, limits: limits))
        var gives: [DiscountKey: DecimalNumber] = [:]
        for e in result.effects {
            guard let discount = e.discount else { continue }
            let key = DiscountKey(campaignId: e.campaignId, name: discount.name)
            gives[key] = (gives[key] ?? .zero) + discount.value
        }
        for (key, confirmed) in d.kept { out.kept[key] = min(confirmed, gives[key] ?? .zero) }
        out.triggered = snapshot.campaigns(result.triggeredCampaignIds)
        return out
    }

    static func commitReturn(_ tx: any StoreTransaction, _ d: ReturnDecision, now: Timestamp) throws
        -> SessionOutcome
    {
        var session = d.session
        let current = try tx.sessionVersion(applicationId: session.applicationId, integrationId: session.integrationId)
        guard current == session.version else { throw StoreError.conflict }
        var ledger = session.ledger ?? RedemptionLedger()

        // What each campaign gives back, and the discounts that stay.
        var effects: [Effect] = []
        var givenBack: [Int64: DecimalNumber] = [:]
        var removed: [Int64: Int64] = [:]
        var left = d.kept
        var discounts: [RedemptionLedger.ConfirmedDiscount] = []
        for confirmed in ledger.discounts {
            let key = DiscountKey(campaignId: confirmed.campaignId, name: confirmed.name)
            let stays = min(confirmed.value, left[key] ?? .zero)
            left[key] = (left[key] ?? .zero) - stays
            let back = confirmed.value - stays
            if !back.isZero {
                effects.append(
                    .engine(
                        "rollbackDiscount", campaignId: confirmed.campaignId,
                        props: ["name": .string(confirmed.name), "value": back.json]))
                givenBack[confirmed.campaignId] = (givenBack[confirmed.campaignId] ?? .zero) + back
            }
            if stays.isZero {
                removed[confirmed.campaignId, default: 0] += 1
            } else {
                discounts.append(.init(campaignId: confirmed.campaignId, name: confirmed.name, value: stays))
            }
        }

        // Budgets: each campaign's money counters lose what it gave back, its count counters the
        // discounts that are gone.
        // Every discount was charged to each of its campaign's counters: each counter gives back
        // the campaign's whole amount (money) or number of removed discounts (count), once.
        var charges: [LimitCharge] = []
        var keptCharges: [LimitCharge] = []
        var owed: [LimitKey: DecimalNumber] = [:]
        for c in ledger.charges {
            var charge = c
            let due: DecimalNumber
            switch c.key.action {
            case "setDiscount": due = owed[c.key] ?? givenBack[c.key.campaignId] ?? .zero
            case "setDiscountEffect": due = owed[c.key] ?? DecimalNumber(Int(removed[c.key.campaignId] ?? 0))
            default: due = .zero
            }
            let back = min(c.amount, due)
            owed[c.key] = due - back
            if !back.isZero {
                charges.append(LimitCharge(key: c.key, amount: back, couponId: c.couponId))
                charge.amount = c.amount - back
            }
            if !charge.amount.isZero { keptCharges.append(charge) }
        }
        try tx.addLimitUsage(charges, sign: -1)

        for (campaignId, amount) in givenBack {
            var delta = CampaignCounters()
            delta.discountCount = DecimalNumber.zero - amount
            delta.discountEffectCount = -(removed[campaignId] ?? 0)
            try tx.addToCounters(campaignId: campaignId, delta)
        }
        var touched = Set(ledger.coupons.map(\.campaignId)).union(ledger.discounts.map(\.campaignId))
        if let r = ledger.referral { touched.insert(r.campaignId) }
        try tx.recordActivity(
            touched.sorted().map { id in
                var a = CampaignActivity(campaignId: id, at: now)
                a.refund = d.returnedValue
                a.refundedDiscounts = givenBack[id] ?? .zero
                return a
            })

        var profile = d.profile
        if var p = profile {
            p.totalSales = p.totalSales - d.returnedValue
            p.lastActivity = now
            try tx.updateProfile(p)
            profile = p
        }

        ledger.discounts = discounts
        ledger.charges = keptCharges
        ledger.sales = ledger.sales - d.returnedValue
        session.ledger = ledger
        session.state = .partiallyReturned
        if session.closedAt == nil { session.closedAt = session.updated }
        session.updated = now
        // The effects that still apply: the close's, with the rolled-back discounts taken out.
        var stays = d.kept
        session.effects = session.effects.compactMap { e in
            guard let discount = e.discount else { return e }
            let key = DiscountKey(campaignId: e.campaignId, name: discount.name)
            let value = min(discount.value, stays[key] ?? .zero)
            stays[key] = (stays[key] ?? .zero) - value
            guard !value.isZero else { return nil }
            var lowered = e
            lowered.props["value"] = value.json
            return lowered
        }
        let event = try record(tx, session, type: "talon_session_partially_returned", effects: effects, now: now)
        let entry = SessionReturn(id: event.id, created: now, items: d.items)
        session.returns.append(entry)
        guard try tx.updateSession(session, expectedVersion: d.session.version) else { throw StoreError.conflict }
        session.version += 1
        var outcome = SessionOutcome(
            session: session, profile: profile, effects: effects, coupons: d.coupons, triggeredCampaigns: d.triggered,
            event: event, referral: d.referral)
        outcome.currentReturn = entry
        return outcome
    }
}
