import Metrics
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
    /// The stored referral matching the session's referral code.
    var referral: Referral? = nil
    /// The profiles that redeemed `referral` (when asked for).
    var referredCustomers: [String] = []
    /// Codes the rules of this update created (or earlier updates of the session created for the same rule).
    var createdCoupons: [Coupon] = []
    var createdReferrals: [Referral] = []
    /// Why codes were refused, for the v1 `event.meta`.
    var couponRejections: [CouponRejection] = []
    var referralRejection: ReferralRejection? = nil
    /// Rules that did not fire because evaluating them failed.
    var failures: [RuleFailure] = []
    /// The return this request made (`…/returns`); the session's other returns are its earlier ones.
    var currentReturn: SessionReturn? = nil
}

/// Updates customer sessions. Knows nothing of HTTP.
///
/// An update is read and evaluated outside the write lock (in parallel with other requests, and
/// so that a slow rule never holds the database's single writer), then committed in one write
/// transaction that first checks the session is still the version that was read (a
/// compare-and-swap), then redeems atomically. When another update got there first, or a close's
/// budgets moved so that its decision no longer fits them, it starts over from the read.
struct SessionService: Sendable {
    let store: any Store
    let catalog: Catalog
    let clock: @Sendable () -> Timestamp
    var limits: EvaluationLimits = .standard
    let scheduler: EvaluationScheduler

    let serializer: KeyedSerializer
    /// Woken after a commit that enqueued webhook calls.
    var delivery: WebhookDispatcher? = nil

    /// Reads and evaluations an update may go through before it answers 409 (SQLite), or
    /// before it is decided inside a write that locks the session (PostgreSQL).
    static let attempts = 12
    static let optimisticAttempts = 4

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
        var reservedCouponIds: Set<Int64>
        var referral: Referral?
        var profile: CustomerProfile?
        /// The budget counters the session can touch, and their confirmed usage when read.
        var limitKeys: [LimitKey] = []
        var limitUsage: [LimitKey: DecimalNumber] = [:]
        /// The profile's active points in the application's loyalty programs, when rules read them.
        var balances: [LedgerKey: DecimalNumber] = [:]
    }

    /// What the engine decided for an update, to be committed.
    struct Decision: Sendable {
        var loaded: Loaded
        var evaluation: EvaluationResult?
        var triggered: [Campaign]
        /// Every campaign of the application, for checking budgets again at commit.
        var campaigns: [Campaign] = []
    }

    /// A dry run: evaluated and committed exactly as a real update, then rolled back.
    struct DryRun: Sendable {
        /// Only these campaigns are evaluated, disabled ones included.
        var evaluableCampaignIds: [Int64]?
        /// The time the update is evaluated at, instead of now.
        var now: Timestamp?
    }

    func update(
        applicationId: Int64, integrationId: String, patch: SessionPatch, cascading: Bool,
        countProfileRedemptions: Bool = false, listReferredCustomers: Bool = false, dry: DryRun? = nil
    ) async throws -> SessionOutcome {
        guard let stored = try await catalog.snapshot(applicationId) else { throw Failure.unknownApplication }
        let snapshot = dry.map { stored.evaluating($0.evaluableCampaignIds) } ?? stored
        let now = dry?.now ?? clock()
        let store = self.store
        let write:
            @Sendable (Bool, @escaping @Sendable (any StoreTransaction) throws -> SessionOutcome) async throws
                -> SessionOutcome = { durable, body in
                    if dry != nil { return try await store.rehearse(body) }
                    let outcome = Self.counted(try await store.write(durable: durable, body))
                    delivery?.wake(for: outcome.effects)
                    return outcome
                }
        // Only an update that counts or gives back redemptions must reach the disk before we answer.
        let durable = patch.state == .closed || patch.state == .cancelled || patch.reopens
        let limits = self.limits
        let commit: @Sendable (any StoreTransaction, Decision) throws -> SessionOutcome = { tx, decision in
            var outcome = try Self.commit(tx, decision, now: now)
            if countProfileRedemptions {
                outcome.profileRedemptions = try tx.redemptionCounts(
                    couponIds: outcome.coupons.map(\.id), profileId: outcome.session.profileId)
            }
            if listReferredCustomers, let referral = outcome.referral {
                outcome.referredCustomers = try tx.referredCustomers(referralId: referral.id)
            }
            return outcome
        }
        // Updates of one session through this node wait for each other here, so they do not
        // race to the database; other nodes' updates (PostgreSQL) are caught by the version check.
        return try await serializer.run("\(applicationId)/\(integrationId)") {
            let attempts = store.singleWriter ? Self.attempts : Self.optimisticAttempts
            for attempt in 0..<attempts {
                let loaded = try await store.read { tx in
                    try Self.load(tx, snapshot, integrationId: integrationId, patch: patch, now: now)
                }
                let decision = await scheduler.run(applicationId: applicationId) {
                    Self.decide(loaded, snapshot: snapshot, cascading: cascading, now: now, limits: limits)
                }
                do {
                    return try await write(durable) { tx in try commit(tx, decision) }
                } catch StoreError.conflict {
                    try await Self.backOff(attempt)
                }
            }
            // Other nodes kept changing this session (or its budgets). Where writers lock rows,
            // decide with the session locked: only its own updates wait, and one of them wins.
            guard !store.singleWriter else { throw StoreError.conflict }
            return try await write(durable) { tx in
                let loaded = try Self.load(tx, snapshot, integrationId: integrationId, patch: patch, now: now)
                return try commit(
                    tx, Self.decide(loaded, snapshot: snapshot, cascading: cascading, now: now, limits: limits))
            }
        }
    }

    /// A short, growing, random pause before starting over, so that updates racing for one
    /// session or budget do not keep colliding.
    static func backOff(_ attempt: Int) async throws {
        guard attempt > 0 else { return }
        let ceiling = min(1 << attempt, 64)
        try await Task.sleep(for: .milliseconds(Int.random(in: 0...ceiling)))
    }

    /// Counts a committed update's effects and, for a close or a revoke, its redemptions
    /// (`perk_effects_total{effect}`, `perk_redemptions_total{kind}`, `perk_redemptions_given_back_total{kind}`).
    static func counted(_ outcome: SessionOutcome) -> SessionOutcome {
        for e in outcome.effects { Counter(label: "perk_effects_total", dimensions: [("effect", e.type)]).increment() }
        if let ledger = outcome.session.ledger,
            outcome.event.type == SessionTransition.closed.eventType
                || (outcome.event.type == SessionTransition.created.eventType && outcome.session.state == .closed)
        {
            Counter(label: "perk_redemptions_total", dimensions: [("kind", "coupon")]).increment(
                by: ledger.coupons.count)
            if ledger.referral != nil {
                Counter(label: "perk_redemptions_total", dimensions: [("kind", "referral")]).increment()
            }
        }
        if outcome.event.type == SessionTransition.revoked.eventType
            || outcome.event.type == SessionTransition.reopened.eventType
        {
            let given = outcome.effects.filter { $0.type == "rollbackCoupon" }.count
            Counter(label: "perk_redemptions_given_back_total", dimensions: [("kind", "coupon")]).increment(by: given)
        }
        return outcome
    }

    static func load(
        _ tx: any StoreTransaction, _ snapshot: ApplicationSnapshot, integrationId: String, patch: SessionPatch,
        now: Timestamp
    ) throws -> Loaded {
        let app = snapshot.application
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
        let codes = try Self.codes(tx, snapshot, change.session)
        var loaded = Loaded(
            existing: existing, change: change, coupons: codes.coupons, reservedCouponIds: codes.reserved,
            referral: codes.referral, profile: profile)
        loaded.limitKeys = codes.limitKeys
        loaded.limitUsage = codes.limitUsage
        loaded.balances = try snapshot.balances(tx, profileId: profileId, now: now)
        return loaded
    }

    /// What an evaluation of a session reads besides it: the stored coupons and referral code it
    /// names, which of its coupons its profile holds (hard) reservations of, and the budget
    /// counters it can touch with their confirmed usage.
    struct Codes {
        var coupons: [Coupon]
        var referral: Referral?
        var reserved: Set<Int64>
        var limitKeys: [LimitKey]
        var limitUsage: [LimitKey: DecimalNumber]
    }

    static func codes(_ tx: any StoreTransaction, _ snapshot: ApplicationSnapshot, _ session: CustomerSession) throws
        -> Codes
    {
        let app = snapshot.application
        let coupons = try tx.coupons(
            applicationId: app.id, lookupKeys: session.couponCodes.map(app.caseSensitivity.normalize))
        let code = session.referralCode
        let referral =
            code.isEmpty ? nil : try tx.referral(applicationId: app.id, lookupKey: app.caseSensitivity.normalize(code))
        let hardReserved = coupons.filter { !$0.reservation }.map(\.id)
        let reserved =
            hardReserved.isEmpty ? [] : try tx.reservations(couponIds: hardReserved, profileId: session.profileId)
        let keys = limitKeys(snapshot, session, coupons: coupons, referral: referral)
        return Codes(
            coupons: coupons, referral: referral, reserved: reserved, limitKeys: keys,
            limitUsage: keys.isEmpty ? [:] : try tx.limitUsage(keys))
    }

    /// The budget counters of the campaigns with limits that this session's evaluation can touch.
    static func limitKeys(
        _ snapshot: ApplicationSnapshot, _ session: CustomerSession, coupons: [Coupon], referral: Referral?
    ) -> [LimitKey] {
        var keys: [LimitKey] = []
        for c in snapshot.campaigns where !c.campaign.limits.isEmpty {
            keys += c.campaign.limitKeys(
                session: session, couponIds: coupons.filter { $0.campaignId == c.campaign.id }.map(\.id),
                referralId: referral.flatMap { $0.campaignId == c.campaign.id ? $0.id : nil })
        }
        return keys
    }

    /// Evaluates the campaigns when the update calls for it: pure, outside any transaction.
    static func decide(
        _ loaded: Loaded, snapshot: ApplicationSnapshot, cascading: Bool, now: Timestamp, limits: EvaluationLimits
    ) -> Decision {
        let change = loaded.change
        switch change.transition {
        case .unchanged, .revoked, .reopened, .cancelled:
            return Decision(loaded: loaded, evaluation: nil, triggered: [])
        case .created where change.session.state == .cancelled:
            return Decision(loaded: loaded, evaluation: nil, triggered: [])
        default: break
        }
        let result = Evaluator.evaluate(
            snapshot.evaluation(
                session: change.session, profile: loaded.profile, eventType: change.transition.eventType,
                coupons: loaded.coupons, referral: loaded.referral, reservedCouponIds: loaded.reservedCouponIds,
                limitUsage: loaded.limitUsage, balances: loaded.balances, now: now, cascading: cascading,
                limits: limits))
        return Decision(
            loaded: loaded, evaluation: result, triggered: snapshot.campaigns(result.triggeredCampaignIds),
            campaigns: snapshot.campaigns.map(\.campaign))
    }

    /// Stores a decision: redemptions and their give-backs, the profile, the session and the
    /// event. Throws `StoreError.conflict`, before anything is written, when the session is no
    /// longer the version that was read (locked until the commit on PostgreSQL; SQLite has one
    /// writer), or when a close's charges no longer fit budgets that others used meanwhile.
    static func commit(_ tx: any StoreTransaction, _ decision: Decision, now: Timestamp) throws -> SessionOutcome {
        let loaded = decision.loaded
        let change = loaded.change
        var session = change.session
        let current = try tx.sessionVersion(applicationId: session.applicationId, integrationId: session.integrationId)
        guard current == loaded.existing?.version else { throw StoreError.conflict }
        if change.closes && !loaded.limitKeys.isEmpty, let result = decision.evaluation {
            let fresh = try tx.limitUsage(loaded.limitKeys)
            if fresh != loaded.limitUsage && !result.chargesFit(fresh, campaigns: decision.campaigns) {
                throw StoreError.conflict
            }
        }

        if change.transition == .unchanged {
            // A repeated close (or cancel): answer with what is stored, count nothing.
            let profile = session.profileId.isEmpty ? nil : try tx.profile(integrationId: session.profileId)
            let event = try record(tx, session, type: change.transition.eventType, effects: session.effects, now: now)
            return SessionOutcome(
                session: session, profile: profile, effects: session.effects, coupons: loaded.coupons,
                triggeredCampaigns: [], event: event, referral: loaded.referral)
        }

        var profile: CustomerProfile?
        if !session.profileId.isEmpty {
            profile =
                try tx.profile(integrationId: session.profileId)
                ?? tx.insertProfile(CustomerProfile(id: 0, integrationId: session.profileId, created: now))
        }

        var effects: [Effect] = []
        var counted: [Int64: Int64] = [:]
        var referral = loaded.referral
        var created = Created()
        var couponRejections: [CouponRejection] = []
        var referralRejection: ReferralRejection?
        if change.transition.givesBack {
            effects = try giveBack(tx, session.ledger, sessionId: session.integrationId, profile: &profile, now: now)
            for c in session.ledger?.coupons ?? [] { counted[c.couponId, default: 0] -= 1 }
            if session.ledger?.referral != nil { referral?.usageCounter -= 1 }
            session.ledger = nil
        } else if var result = decision.evaluation {
            if change.closes {
                result = try confirm(tx, result, session: &session, profile: &profile, now: now)
                for c in session.ledger?.coupons ?? [] { counted[c.couponId, default: 0] += 1 }
                if session.ledger?.referral != nil { referral?.usageCounter += 1 }
            }
            effects = result.effects
            couponRejections = result.rejections
            referralRejection = result.referralRejection
            created = try create(tx, &effects, session: session, now: now)
            applyAttributeUpdates(effects, session: &session, profile: &profile)
            try WebhookOutbox.enqueue(tx, effects, applicationId: session.applicationId, now: now)
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
            triggeredCampaigns: decision.triggered, event: event, referral: referral, createdCoupons: created.coupons,
            createdReferrals: created.referrals, couponRejections: couponRejections,
            referralRejection: referralRejection, failures: decision.evaluation?.failures ?? [])
    }

    struct Created {
        var coupons: [Coupon] = []
        var referrals: [Referral] = []
    }

    /// Attempts at a fresh random code before a rule's creation is given up (a pattern with few
    /// or no `#` can run out of codes).
    static let codeAttempts = 8

    /// Makes the codes the rules asked for, or finds the ones earlier updates of this session made
    /// for the same rule, and writes each code into its effect. A creation whose code cannot be
    /// made drops its effect.
    static func create(_ tx: any StoreTransaction, _ effects: inout [Effect], session: CustomerSession, now: Timestamp)
        throws -> Created
    {
        guard effects.contains(where: { $0.creation != nil }) else { return Created() }
        let app = session.applicationId
        var made = Created()
        var codes: [String: String] = [:]
        var rng = SystemRandomNumberGenerator()
        var kept: [Effect] = []
        for var effect in effects {
            guard let creation = effect.creation else {
                kept.append(effect)
                continue
            }
            effect.creation = nil
            let origin = creation.key + ":" + session.integrationId
            if let code = codes[origin] {
                effect.props["value"] = .string(code)
                kept.append(effect)
                continue
            }
            guard let generator = try? CodeGenerator(creation.settings ?? CodeGenerator.defaultSettings) else {
                continue
            }
            switch creation.kind {
            case .coupon(let profileId):
                var coupon = try tx.createdCoupon(applicationId: app, origin: origin)
                if coupon == nil {
                    for _ in 0..<codeAttempts where coupon == nil {
                        let value = generator.make(using: &rng)
                        coupon = try tx.insertCreatedCoupon(
                            Coupon(
                                id: 0, created: now, campaignId: effect.campaignId, value: value, usageLimit: 1,
                                recipientIntegrationId: profileId.isEmpty ? nil : profileId),
                            applicationId: app, lookupKey: value, origin: origin)
                    }
                    if coupon != nil {
                        var delta = CampaignCounters()
                        delta.couponCreationCount = 1
                        try tx.addToCounters(campaignId: effect.campaignId, delta)
                        // Creation budgets are used once per code made, and never given back.
                        try tx.addLimitUsage(creation.limitKeys.map { LimitCharge(key: $0, amount: .one) }, sign: 1)
                    }
                }
                guard let coupon else { continue }
                codes[origin] = coupon.value
                effect.props["value"] = .string(coupon.value)
                made.coupons.append(coupon)
            case .referral(let advocateId, let friendId):
                var referral = try tx.createdReferral(applicationId: app, origin: origin)
                for _ in 0..<codeAttempts where referral == nil {
                    let code = generator.make(using: &rng)
                    referral = try tx.insertReferral(
                        Referral(
                            id: 0, created: now, campaignId: effect.campaignId,
                            advocateProfileIntegrationId: advocateId,
                            friendProfileIntegrationId: friendId.isEmpty ? nil : friendId, code: code),
                        applicationId: app, lookupKey: code, origin: origin)
                }
                guard let referral else { continue }
                codes[origin] = referral.code
                effect.props["value"] = .string(referral.code)
                made.referrals.append(referral)
            }
            kept.append(effect)
        }
        effects = kept
        return made
    }

    /// Applies the rules' `updateAttribute` effects to the session and profile being stored.
    static func applyAttributeUpdates(
        _ effects: [Effect], session: inout CustomerSession, profile: inout CustomerProfile?
    ) {
        for e in effects where e.type == "updateAttribute" {
            guard let text = e.props["path"]?.stringValue, let path = try? AttributePath(parsing: text),
                let value = e.props["value"]
            else { continue }
            switch path.entity {
            case .session: session.attributes[path.name] = value
            case .profile: profile?.attributes[path.name] = value
            }
        }
    }

    /// Counts the redemptions of a closing session, each decided by one atomic statement; a
    /// coupon that reached its limit since the last update is refused and its effects withdrawn.
    static func confirm(
        _ tx: any StoreTransaction, _ evaluated: EvaluationResult, session: inout CustomerSession,
        profile: inout CustomerProfile?, now: Timestamp
    ) throws -> EvaluationResult {
        var refused: Set<Int64> = []
        for coupon in evaluated.acceptedCoupons
        where !(try tx.redeemCoupon(id: coupon.id, profileId: session.profileId, sessionId: session.integrationId)) {
            refused.insert(coupon.id)
        }
        var result = evaluated.refusing(refused, reason: .couponLimitReached)
        if let referral = result.acceptedReferral,
            !(try tx.redeemReferral(id: referral.id, profileId: session.profileId, sessionId: session.integrationId))
        {
            result = result.refusingReferral(reason: .referralLimitReached)
        }
        var ledger = RedemptionLedger(confirming: result, sales: session.total)
        ledger.points = try LoyaltyBooking.book(
            tx, &result.effects, profileId: session.profileId, sessionId: session.integrationId, now: now)
        for (campaignId, delta) in ledger.counterDeltas() { try tx.addToCounters(campaignId: campaignId, delta) }
        try tx.recordActivity(ledger.activity(at: now, closing: true, effects: result.effects))
        try tx.addLimitUsage(ledger.charges, sign: 1)
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
        _ tx: any StoreTransaction, _ ledger: RedemptionLedger?, sessionId: String, profile: inout CustomerProfile?,
        now: Timestamp
    ) throws -> [Effect] {
        guard let ledger else { return [] }
        var effects: [Effect] = []
        for c in ledger.coupons {
            try tx.releaseCoupon(id: c.couponId, sessionId: sessionId)
            effects.append(.engine("rollbackCoupon", campaignId: c.campaignId, props: ["value": .string(c.value)]))
        }
        // 2020 has no rollbackReferral effect: the use is given back silently.
        if let r = ledger.referral { try tx.releaseReferral(id: r.referralId, sessionId: sessionId) }
        for d in ledger.discounts {
            effects.append(
                .engine(
                    "rollbackDiscount", campaignId: d.campaignId,
                    props: ["name": .string(d.name), "value": d.value.json]))
        }
        for (campaignId, delta) in ledger.counterDeltas(sign: -1) {
            try tx.addToCounters(campaignId: campaignId, delta)
        }
        effects += try LoyaltyBooking.giveBack(tx, ledger.points, now: now)
        try tx.recordActivity(ledger.activity(at: now, closing: false))
        try tx.addLimitUsage(ledger.charges, sign: -1)
        if var p = profile {
            p.closedSessions = max(p.closedSessions - 1, 0)
            p.totalSales = p.totalSales - ledger.sales
            profile = p
        }
        return effects
    }

    static func record(
        _ tx: any StoreTransaction, _ s: CustomerSession, type: String, attributes: JSONObject = JSONObject(),
        effects: [Effect], now: Timestamp
    ) throws -> RecordedEvent {
        let id = try tx.insertEvent(
            applicationId: s.applicationId, sessionId: s.integrationId, profileId: s.profileId, type: type,
            attributes: attributes, effects: effects, created: now)
        return RecordedEvent(
            id: id, created: now, applicationId: s.applicationId, profileId: s.profileId, type: type,
            attributes: attributes, sessionId: s.integrationId)
    }
}
