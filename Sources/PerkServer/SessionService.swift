import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// The result of a session update, for the response.
struct SessionOutcome: Sendable {
    var session: CustomerSession
    var profile: CustomerProfile?
    var effects: [Effect]
    /// The stored coupons matching the session's codes.
    var coupons: [Coupon]
    /// How often the session's profile redeemed each of `coupons` (when asked for).
    var profileRedemptions: [Int64: Int64] = [:]
    var triggeredCampaigns: [Campaign]
    var event: RecordedEvent
}

/// Updates customer sessions: loads what the engine needs, lets it decide, and stores the
/// outcome with the redemptions in the same transaction. Knows nothing of HTTP.
struct SessionService: Sendable {
    let store: any Store
    let catalog: Catalog
    let clock: @Sendable () -> Timestamp

    enum Failure: Error {
        case session(SessionUpdateError)
        case unknownApplication
    }

    func update(
        applicationId: Int64, integrationId: String, patch: SessionPatch, cascading: Bool,
        countProfileRedemptions: Bool = false
    ) async throws -> SessionOutcome {
        guard let snapshot = try await catalog.snapshot(applicationId) else { throw Failure.unknownApplication }
        let now = clock()
        // Only an update that counts or gives back redemptions must reach the disk before we answer.
        let durable = patch.state == .closed || patch.state == .cancelled
        return try await store.write(durable: durable) { tx in
            var outcome = try Self.update(
                tx, snapshot: snapshot, integrationId: integrationId, patch: patch, cascading: cascading, now: now)
            if countProfileRedemptions {
                outcome.profileRedemptions = try tx.redemptionCounts(
                    couponIds: outcome.coupons.map(\.id), profileId: outcome.session.profileId)
            }
            return outcome
        }
    }

    static func update(
        _ tx: any StoreTransaction, snapshot: ApplicationSnapshot, integrationId: String, patch: SessionPatch,
        cascading: Bool, now: Timestamp
    ) throws -> SessionOutcome {
        let app = snapshot.application
        let existing = try tx.session(applicationId: app.id, integrationId: integrationId)
        let change: SessionChange
        do {
            change = try SessionMachine.apply(
                patch, to: existing,
                new: CustomerSession(id: 0, integrationId: integrationId, applicationId: app.id, created: now),
                now: now)
        } catch {
            throw Failure.session(error)
        }
        var session = change.session
        let lookupKeys = session.couponCodes.map(app.caseSensitivity.normalize)
        let coupons = try tx.coupons(applicationId: app.id, lookupKeys: lookupKeys)

        if change.transition == .unchanged {
            // A repeated close (or cancel): answer with what is stored, count nothing.
            let profile = session.profileId.isEmpty ? nil : try tx.profile(integrationId: session.profileId)
            let event = try record(tx, session, type: change.transition.eventType, effects: session.effects, now: now)
            return SessionOutcome(
                session: session, profile: profile, effects: session.effects, coupons: coupons, triggeredCampaigns: [],
                event: event)
        }

        var profile: CustomerProfile?
        if !session.profileId.isEmpty {
            profile = try tx.profile(integrationId: session.profileId)
            if change.profileAttached {
                session.firstSession =
                    profile == nil ? true : !(try tx.profileHasSessions(integrationId: session.profileId))
            }
            if profile == nil {
                profile = try tx.insertProfile(CustomerProfile(id: 0, integrationId: session.profileId, created: now))
            }
        } else {
            session.firstSession = true
        }

        var effects: [Effect] = []
        var triggered: [Campaign] = []
        switch change.transition {
        case .revoked:
            effects = try giveBack(tx, session.ledger, sessionId: session.integrationId, profile: &profile)
            session.ledger = nil
        case .cancelled:
            effects = []
        case .created where session.state == .cancelled:
            effects = []
        default:
            var result = Evaluator.evaluate(
                EvaluationRequest(
                    application: app, session: session, profile: profile, eventType: change.transition.eventType,
                    campaigns: snapshot.campaigns, coupons: coupons, now: now, cascading: cascading))
            if change.closes {
                result = try confirm(tx, result, session: &session, profile: &profile)
            }
            effects = result.effects
            let byId = Dictionary(
                snapshot.campaigns.map { ($0.campaign.id, $0.campaign) }, uniquingKeysWith: { a, _ in a })
            triggered = result.triggeredCampaignIds.compactMap { byId[$0] }
        }
        session.effects = effects

        if var p = profile {
            p.lastActivity = now
            try tx.updateProfile(p)
            profile = p
        }
        if existing == nil {
            session = try tx.insertSession(session)
        } else {
            try tx.updateSession(session)
        }
        let event = try record(tx, session, type: change.transition.eventType, effects: effects, now: now)
        // The coupons as they are now: what this update counted or gave back changed their counters.
        var delta: [Int64: Int64] = [:]
        for c in session.ledger?.coupons ?? [] where change.closes { delta[c.couponId, default: 0] += 1 }
        for c in existing?.ledger?.coupons ?? [] where change.transition == .revoked {
            delta[c.couponId, default: 0] -= 1
        }
        let current = coupons.map { c in
            var c = c
            c.usageCounter += delta[c.id] ?? 0
            return c
        }
        return SessionOutcome(
            session: session, profile: profile, effects: effects, coupons: current, triggeredCampaigns: triggered,
            event: event)
    }

    /// Counts the redemptions of a closing session, each decided by one atomic statement; a
    /// coupon that reached its limit since the last update is refused and its effects withdrawn.
    static func confirm(
        _ tx: any StoreTransaction, _ evaluated: EvaluationResult, session: inout CustomerSession,
        profile: inout CustomerProfile?
    ) throws -> EvaluationResult {
        var refused: Set<Int64> = []
        for coupon in evaluated.acceptedCoupons
        where !(try tx.redeemCoupon(id: coupon.id, profileId: session.profileId, sessionId: session.integrationId)) {
            refused.insert(coupon.id)
        }
        let result = evaluated.refusing(refused, reason: .couponLimitReached)
        var ledger = RedemptionLedger(sales: session.total)
        var counters: [Int64: CampaignCounters] = [:]
        for c in result.acceptedCoupons {
            ledger.coupons.append(.init(couponId: c.id, campaignId: c.campaignId, value: c.value))
            counters[c.campaignId, default: CampaignCounters()].couponRedemptionCount += 1
        }
        for e in result.effects {
            guard let d = e.discount else { continue }
            ledger.discounts.append(.init(campaignId: e.campaignId, name: d.name, value: d.value))
            counters[e.campaignId, default: CampaignCounters()].discountCount =
                counters[e.campaignId, default: CampaignCounters()].discountCount + d.value
            counters[e.campaignId, default: CampaignCounters()].discountEffectCount += 1
        }
        for (campaignId, delta) in counters { try tx.addToCounters(campaignId: campaignId, delta) }
        if var p = profile {
            p.closedSessions += 1
            p.totalSales = p.totalSales + ledger.sales
            profile = p
        }
        session.ledger = ledger
        return result
    }

    /// Gives back what a close counted, as rollback effects.
    static func giveBack(
        _ tx: any StoreTransaction, _ ledger: RedemptionLedger?, sessionId: String, profile: inout CustomerProfile?
    ) throws -> [Effect] {
        guard let ledger else { return [] }
        var effects: [Effect] = []
        var counters: [Int64: CampaignCounters] = [:]
        for c in ledger.coupons {
            try tx.releaseCoupon(id: c.couponId, sessionId: sessionId)
            counters[c.campaignId, default: CampaignCounters()].couponRedemptionCount -= 1
            effects.append(.engine("rollbackCoupon", campaignId: c.campaignId, props: ["value": .string(c.value)]))
        }
        for d in ledger.discounts {
            counters[d.campaignId, default: CampaignCounters()].discountCount =
                counters[d.campaignId, default: CampaignCounters()].discountCount - d.value
            counters[d.campaignId, default: CampaignCounters()].discountEffectCount -= 1
            effects.append(
                .engine(
                    "rollbackDiscount", campaignId: d.campaignId,
                    props: ["name": .string(d.name), "value": d.value.json]))
        }
        for (campaignId, delta) in counters { try tx.addToCounters(campaignId: campaignId, delta) }
        if var p = profile {
            p.closedSessions = max(p.closedSessions - 1, 0)
            p.totalSales = p.totalSales - ledger.sales
            profile = p
        }
        return effects
    }

    static func record(
        _ tx: any StoreTransaction, _ s: CustomerSession, type: String, effects: [Effect], now: Timestamp
    ) throws
        -> RecordedEvent
    {
        let id = try tx.insertEvent(
            applicationId: s.applicationId, sessionId: s.integrationId, profileId: s.profileId, type: type,
            attributes: JSONObject(), effects: effects, created: now)
        return RecordedEvent(
            id: id, created: now, applicationId: s.applicationId, profileId: s.profileId, type: type,
            attributes: JSONObject(),
            sessionId: s.integrationId)
    }
}
