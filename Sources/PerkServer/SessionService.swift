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

/// Updates customer sessions. Knows nothing of HTTP.
///
/// An update is read and evaluated outside the write lock (in parallel with other requests),
/// then committed in one write transaction that redeems atomically and saves the session only if
/// no other update changed it meanwhile (a version compare-and-swap); on such a conflict it
/// starts over, and after a few conflicts decides inside the write transaction itself.
struct SessionService: Sendable {
    let store: any Store
    let catalog: Catalog
    let clock: @Sendable () -> Timestamp

    static let optimisticAttempts = 3

    enum Failure: Error {
        case session(SessionUpdateError)
        case unknownApplication
    }

    /// What an update read: the stored session, the change the request makes, and the data the
    /// engine needs.
    struct Loaded: Sendable {
        var existing: CustomerSession?
        var change: SessionChange
        var coupons: [Coupon]
        var profile: CustomerProfile?
    }

    /// What the engine decided for an update, to be committed.
    struct Decision: Sendable {
        var loaded: Loaded
        var evaluation: EvaluationResult?
        var triggered: [Campaign]
    }

    func update(
        applicationId: Int64, integrationId: String, patch: SessionPatch, cascading: Bool,
        countProfileRedemptions: Bool = false
    ) async throws -> SessionOutcome {
        guard let snapshot = try await catalog.snapshot(applicationId) else { throw Failure.unknownApplication }
        let now = clock()
        // Only an update that counts or gives back redemptions must reach the disk before we answer.
        let durable = patch.state == .closed || patch.state == .cancelled
        let commit: @Sendable (any StoreTransaction, Decision) throws -> SessionOutcome = { tx, decision in
            var outcome = try Self.commit(tx, decision, now: now)
            if countProfileRedemptions {
                outcome.profileRedemptions = try tx.redemptionCounts(
                    couponIds: outcome.coupons.map(\.id), profileId: outcome.session.profileId)
            }
            return outcome
        }
        for _ in 0..<Self.optimisticAttempts {
            let loaded = try await store.read { tx in
                try Self.load(tx, snapshot.application, integrationId: integrationId, patch: patch, now: now)
            }
            let decision = Self.decide(loaded, snapshot: snapshot, cascading: cascading, now: now)
            do {
                return try await store.write(durable: durable) { tx in try commit(tx, decision) }
            } catch StoreError.conflict {
                continue
            }
        }
        return try await store.write(durable: durable) { tx in
            let loaded = try Self.load(tx, snapshot.application, integrationId: integrationId, patch: patch, now: now)
            return try commit(tx, Self.decide(loaded, snapshot: snapshot, cascading: cascading, now: now))
        }
    }

    static func load(
        _ tx: any StoreTransaction, _ app: PerkEngine.Application, integrationId: String, patch: SessionPatch,
        now: Timestamp
    ) throws -> Loaded {
        let existing = try tx.session(applicationId: app.id, integrationId: integrationId)
        var change: SessionChange
        do {
            change = try SessionMachine.apply(
                patch, to: existing,
                new: CustomerSession(id: 0, integrationId: integrationId, applicationId: app.id, created: now),
                now: now)
        } catch {
            throw Failure.session(error)
        }
        let profileId = change.session.profileId
        let profile = profileId.isEmpty ? nil : try tx.profile(integrationId: profileId)
        if profileId.isEmpty {
            change.session.firstSession = true
        } else if change.profileAttached {
            change.session.firstSession = profile == nil ? true : !(try tx.profileHasSessions(integrationId: profileId))
        }
        let coupons = try tx.coupons(
            applicationId: app.id, lookupKeys: change.session.couponCodes.map(app.caseSensitivity.normalize))
        return Loaded(existing: existing, change: change, coupons: coupons, profile: profile)
    }

    /// Evaluates the campaigns when the update calls for it: pure, outside any transaction.
    static func decide(_ loaded: Loaded, snapshot: ApplicationSnapshot, cascading: Bool, now: Timestamp) -> Decision {
        let change = loaded.change
        switch change.transition {
        case .unchanged, .revoked, .cancelled: return Decision(loaded: loaded, evaluation: nil, triggered: [])
        case .created where change.session.state == .cancelled:
            return Decision(loaded: loaded, evaluation: nil, triggered: [])
        default: break
        }
        let result = Evaluator.evaluate(
            EvaluationRequest(
                application: snapshot.application, session: change.session, profile: loaded.profile,
                eventType: change.transition.eventType, campaigns: snapshot.campaigns, coupons: loaded.coupons,
                now: now,
                cascading: cascading))
        let byId = Dictionary(snapshot.campaigns.map { ($0.campaign.id, $0.campaign) }, uniquingKeysWith: { a, _ in a })
        return Decision(
            loaded: loaded, evaluation: result, triggered: result.triggeredCampaignIds.compactMap { byId[$0] })
    }

    /// Stores a decision: redemptions and their give-backs, the profile, the session (only if it
    /// is still the version that was read) and the event. Throws `StoreError.conflict` otherwise.
    static func commit(_ tx: any StoreTransaction, _ decision: Decision, now: Timestamp) throws -> SessionOutcome {
        let loaded = decision.loaded
        let change = loaded.change
        var session = change.session

        if change.transition == .unchanged {
            // A repeated close (or cancel): answer with what is stored, count nothing.
            let current = try tx.sessionVersion(
                applicationId: session.applicationId, integrationId: session.integrationId)
            guard current == session.version else { throw StoreError.conflict }
            let profile = session.profileId.isEmpty ? nil : try tx.profile(integrationId: session.profileId)
            let event = try record(tx, session, type: change.transition.eventType, effects: session.effects, now: now)
            return SessionOutcome(
                session: session, profile: profile, effects: session.effects, coupons: loaded.coupons,
                triggeredCampaigns: [], event: event)
        }

        var profile: CustomerProfile?
        if !session.profileId.isEmpty {
            profile =
                try tx.profile(integrationId: session.profileId)
                ?? tx.insertProfile(CustomerProfile(id: 0, integrationId: session.profileId, created: now))
        }

        var effects: [Effect] = []
        var counted: [Int64: Int64] = [:]
        if change.transition == .revoked {
            effects = try giveBack(tx, session.ledger, sessionId: session.integrationId, profile: &profile)
            for c in session.ledger?.coupons ?? [] { counted[c.couponId, default: 0] -= 1 }
            session.ledger = nil
        } else if var result = decision.evaluation {
            if change.closes {
                result = try confirm(tx, result, session: &session, profile: &profile)
                for c in session.ledger?.coupons ?? [] { counted[c.couponId, default: 0] += 1 }
            }
            effects = result.effects
        }
        session.effects = effects

        if var p = profile {
            p.lastActivity = now
            try tx.updateProfile(p)
            profile = p
        }
        if let existing = loaded.existing {
            guard try tx.updateSession(session, expectedVersion: existing.version) else { throw StoreError.conflict }
            session.version = existing.version + 1
        } else {
            session = try tx.insertSession(session)
        }
        let event = try record(tx, session, type: change.transition.eventType, effects: effects, now: now)
        // The coupons as they are now: what this update counted or gave back changed their counters.
        let coupons = loaded.coupons.map { c in
            var c = c
            c.usageCounter += counted[c.id] ?? 0
            return c
        }
        return SessionOutcome(
            session: session, profile: profile, effects: effects, coupons: coupons,
            triggeredCampaigns: decision.triggered, event: event)
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
        let ledger = RedemptionLedger(confirming: result, sales: session.total)
        for (campaignId, delta) in ledger.counterDeltas() { try tx.addToCounters(campaignId: campaignId, delta) }
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
        for c in ledger.coupons {
            try tx.releaseCoupon(id: c.couponId, sessionId: sessionId)
            effects.append(.engine("rollbackCoupon", campaignId: c.campaignId, props: ["value": .string(c.value)]))
        }
        for d in ledger.discounts {
            effects.append(
                .engine(
                    "rollbackDiscount", campaignId: d.campaignId,
                    props: ["name": .string(d.name), "value": d.value.json]))
        }
        for (campaignId, delta) in ledger.counterDeltas(sign: -1) {
            try tx.addToCounters(campaignId: campaignId, delta)
        }
        if var p = profile {
            p.closedSessions = max(p.closedSessions - 1, 0)
            p.totalSales = p.totalSales - ledger.sales
            profile = p
        }
        return effects
    }

    static func record(
        _ tx: any StoreTransaction, _ s: CustomerSession, type: String, effects: [Effect], now: Timestamp
    )
        throws -> RecordedEvent
    {
        let id = try tx.insertEvent(
            applicationId: s.applicationId, sessionId: s.integrationId, profileId: s.profileId, type: type,
            attributes: JSONObject(), effects: effects, created: now)
        return RecordedEvent(
            id: id, created: now, applicationId: s.applicationId, profileId: s.profileId, type: type,
            attributes: JSONObject(), sessionId: s.integrationId)
    }
}
