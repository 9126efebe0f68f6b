import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// Rule evaluations that do not update a session's content: custom events on a session
/// (`POST /v1/events`) or of a profile (`POST /v2/events`), and profile updates
/// (`PUT /v1/customer_profiles/{id}`, `PUT /v2/customer_profiles/{id}`). Each reads, then
/// evaluates outside any transaction, then writes in one transaction that starts over when what
/// was evaluated changed meanwhile; it records its event and confirms nothing: only closing a
/// session redeems.
struct EventService: Sendable {
    let store: any Store
    let catalog: Catalog
    let clock: @Sendable () -> Timestamp
    var limits: EvaluationLimits = .standard
    let scheduler: EvaluationScheduler
    let serializer: KeyedSerializer
    /// Woken after a commit that enqueued webhook calls.
    var delivery: WebhookDispatcher? = nil

    enum Failure: Error {
        case unknownApplication
        case sessionOfAnotherProfile(String)
    }

    /// What a custom event read before it is evaluated.
    struct TrackLoaded: Sendable {
        var stored: CustomerSession?
        var session: CustomerSession
        var profile: CustomerProfile?
        var coupons: [Coupon]
        var referral: Referral?
        var reserved: Set<Int64>
        var usage: [LimitKey: DecimalNumber]
        var balances: [LedgerKey: DecimalNumber] = [:]
    }

    /// A custom event on a session, created (open, with the profile) when it does not exist.
    func track(
        applicationId: Int64, sessionId: String, profileId: String, type: String, attributes: JSONObject,
        dry: SessionService.DryRun? = nil
    ) async throws -> SessionOutcome {
        guard let stored = try await catalog.snapshot(applicationId) else { throw Failure.unknownApplication }
        let snapshot = dry.map { stored.evaluating($0.evaluableCampaignIds) } ?? stored
        let now = dry?.now ?? clock()
        // The key of the session's own updates (SessionService): they queue behind each other.
        return try await serializer.run("\(applicationId)/\(sessionId)") {
            for attempt in 0..<SessionService.attempts {
                let loaded = try await store.read { tx -> TrackLoaded in
                    var session: CustomerSession
                    // With its effects, which the event keeps (an open session's are not loaded by default).
                    let stored = try tx.session(
                        applicationId: applicationId, integrationId: sessionId, withEffects: true)
                    if var existing = stored {
                        if !profileId.isEmpty && existing.profileId != profileId {
                            // An anonymous open session may be identified; another profile's session may not.
                            guard existing.profileId.isEmpty, existing.state == .open else {
                                throw Failure.sessionOfAnotherProfile(existing.profileId)
                            }
                            existing.profileId = profileId
                        }
                        session = existing
                    } else {
                        session = CustomerSession(
                            id: 0, integrationId: sessionId, applicationId: applicationId, created: now,
                            profileId: profileId)
                        session.firstSession =
                            profileId.isEmpty ? true : !(try tx.profileHasSessions(integrationId: profileId))
                    }
                    let profile = session.profileId.isEmpty ? nil : try tx.profile(integrationId: session.profileId)
                    let codes = try SessionService.codes(tx, snapshot, session)
                    var loaded = TrackLoaded(
                        stored: stored, session: session, profile: profile, coupons: codes.coupons,
                        referral: codes.referral, reserved: codes.reserved, usage: codes.limitUsage)
                    loaded.balances = try snapshot.balances(tx, profileId: session.profileId, now: now)
                    return loaded
                }
                let evaluation = snapshot.evaluation(
                    session: loaded.session, profile: loaded.profile, eventType: type, eventAttributes: attributes,
                    coupons: loaded.coupons, referral: loaded.referral, reservedCouponIds: loaded.reserved,
                    limitUsage: loaded.usage, balances: loaded.balances, now: now, cascading: false, limits: limits)
                let result = await scheduler.run(applicationId: applicationId) { Evaluator.evaluate(evaluation) }
                do {
                    return try await write(dry != nil) { tx in
                        let current = try tx.sessionVersion(applicationId: applicationId, integrationId: sessionId)
                        guard current == loaded.stored?.version else { throw StoreError.conflict }
                        var session = loaded.session
                        var profile = try Self.profile(tx, session.profileId, now: now)
                        var effects = result.effects
                        let created = try SessionService.create(tx, &effects, session: session, now: now)
                        SessionService.applyAttributeUpdates(effects, session: &session, profile: &profile)
                        // An event's points are booked at once: it has no close to wait for.
                        _ = try LoyaltyBooking.book(
                            tx, &effects, profileId: session.profileId, sessionId: session.integrationId, now: now)
                        try WebhookOutbox.enqueue(tx, effects, applicationId: applicationId, now: now)
                        if var p = profile {
                            p.lastActivity = now
                            try tx.updateProfile(p)
                            profile = p
                        }
                        if let stored = loaded.stored {
                            guard try tx.updateSession(session, expectedVersion: stored.version) else {
                                throw StoreError.conflict
                            }
                            session.version = stored.version + 1
                        } else {
                            session = try tx.insertSession(session)
                        }
                        let event = try SessionService.record(
                            tx, session, type: type, attributes: attributes, effects: effects, now: now)
                        var outcome = SessionOutcome(
                            session: session, profile: profile, effects: effects, coupons: loaded.coupons,
                            triggeredCampaigns: snapshot.campaigns(result.triggeredCampaignIds), event: event,
                            referral: loaded.referral, createdCoupons: created.coupons,
                            createdReferrals: created.referrals, couponRejections: result.rejections,
                            referralRejection: result.referralRejection)
                        outcome.failures = result.failures
                        return outcome
                    }
                } catch StoreError.conflict {
                    try await SessionService.backOff(attempt)
                }
            }
            throw StoreError.conflict
        }
    }

    /// What a profile-level evaluation answers: a profile update (`talon_profile_created` or
    /// `talon_profile_updated`), or a custom event of a profile without a session (v2 events).
    enum ProfileTrigger: Sendable {
        case update(attributes: JSONObject?)
        case event(type: String, attributes: JSONObject)
    }

    /// Creates or updates a profile (attributes merged per key, nulls ignored) and, with
    /// `runRules`, evaluates the rules for it with `talon_profile_created`/`talon_profile_updated`
    /// on an empty, unsaved session. Codes that rules would create need a session, so profile
    /// updates create none.
    func updateProfile(
        applicationId: Int64, integrationId: String, attributes: JSONObject?, runRules: Bool = true,
        dry: SessionService.DryRun? = nil
    ) async throws -> SessionOutcome {
        try await onProfile(
            applicationId: applicationId, integrationId: integrationId, .update(attributes: attributes),
            runRules: runRules, dry: dry)
    }

    /// A custom event of a profile (created when unknown, without an event of its own), with no
    /// session: evaluated like a profile update, on an empty, unsaved session.
    func trackProfileEvent(
        applicationId: Int64, profileId: String, type: String, attributes: JSONObject,
        dry: SessionService.DryRun? = nil
    ) async throws -> SessionOutcome {
        try await onProfile(
            applicationId: applicationId, integrationId: profileId, .event(type: type, attributes: attributes),
            runRules: true, dry: dry)
    }

    func onProfile(
        applicationId: Int64, integrationId: String, _ trigger: ProfileTrigger, runRules: Bool,
        dry: SessionService.DryRun?
    ) async throws -> SessionOutcome {
        guard let stored = try await catalog.snapshot(applicationId) else { throw Failure.unknownApplication }
        let snapshot = dry.map { stored.evaluating($0.evaluableCampaignIds) } ?? stored
        let now = dry?.now ?? clock()
        return try await serializer.run("profile/\(integrationId)") {
            for attempt in 0..<SessionService.attempts {
                let existing = try await store.read { tx in try tx.profile(integrationId: integrationId) }
                var profile = existing ?? CustomerProfile(id: 0, integrationId: integrationId, created: now)
                let type: String
                var eventAttributes = JSONObject()
                switch trigger {
                case .update(let attributes):
                    if let attributes {
                        profile.attributes.merge(
                            attributes.entries.lazy.filter { !$0.value.isNull }.map { ($0.key, $0.value) })
                    }
                    type = existing == nil ? "talon_profile_created" : "talon_profile_updated"
                case .event(let custom, let attributes):
                    type = custom
                    eventAttributes = attributes
                }
                var session = CustomerSession(
                    id: 0, integrationId: "", applicationId: applicationId, created: now, profileId: integrationId)
                session.firstSession = false
                var effects: [Effect] = []
                var triggered: [Int64] = []
                var failures: [RuleFailure] = []
                if runRules {
                    let balances =
                        snapshot.readsBalances
                        ? try await store.read { tx in try snapshot.balances(tx, profileId: integrationId, now: now) }
                        : [:]
                    let evaluation = snapshot.evaluation(
                        session: session, profile: profile, eventType: type, eventAttributes: eventAttributes,
                        balances: balances, now: now, cascading: false, limits: limits)
                    let result = await scheduler.run(applicationId: applicationId) {
                        Evaluator.evaluate(evaluation)
                    }
                    effects = result.effects.filter { $0.creation == nil }
                    triggered = result.triggeredCampaignIds
                    failures = result.failures
                }
                var updated: CustomerProfile? = profile
                SessionService.applyAttributeUpdates(effects, session: &session, profile: &updated)
                profile = updated ?? profile
                profile.lastActivity = now
                do {
                    return try await write(dry != nil) { [profile, session, effects, eventAttributes, triggered, failures] tx in
                        // What the rules saw must still be the profile: otherwise evaluate again.
                        let current = try tx.profile(integrationId: integrationId)
                        guard Self.sameForRules(current, existing) else { throw StoreError.conflict }
                        var saved = profile
                        if current == nil {
                            saved = try tx.insertProfile(profile)
                        } else {
                            try tx.updateProfile(profile)
                        }
                        var effects = effects
                        _ = try LoyaltyBooking.book(tx, &effects, profileId: integrationId, sessionId: "", now: now)
                        try WebhookOutbox.enqueue(tx, effects, applicationId: applicationId, now: now)
                        let id = try tx.insertEvent(
                            applicationId: applicationId, sessionId: "", profileId: integrationId, type: type,
                            attributes: eventAttributes, effects: effects, created: now)
                        let event = RecordedEvent(
                            id: id, created: now, applicationId: applicationId, profileId: integrationId, type: type,
                            attributes: eventAttributes, sessionId: "")
                        var outcome = SessionOutcome(
                            session: session, profile: saved, effects: effects, coupons: [],
                            triggeredCampaigns: snapshot.campaigns(triggered), event: event)
                        outcome.failures = failures
                        return outcome
                    }
                } catch StoreError.conflict {
                    try await SessionService.backOff(attempt)
                } catch StoreError.duplicate {
                    // Created by another request meanwhile: evaluate again as an update.
                    try await SessionService.backOff(attempt)
                }
            }
            throw StoreError.conflict
        }
    }

    /// A write, or for a dry run a rehearsal that is rolled back.
    func write(_ dry: Bool, _ body: @escaping @Sendable (any StoreTransaction) throws -> SessionOutcome) async throws
        -> SessionOutcome
    {
        if dry { return try await store.rehearse(body) }
        let outcome = try await store.write(body)
        delivery?.wake(for: outcome.effects)
        return outcome
    }

    /// Whether two readings of a profile show rules the same thing.
    static func sameForRules(_ a: CustomerProfile?, _ b: CustomerProfile?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return a.id == b.id && a.attributes == b.attributes && a.closedSessions == b.closedSessions
            && a.totalSales == b.totalSales
    }

    static func profile(_ tx: any StoreTransaction, _ integrationId: String, now: Timestamp) throws -> CustomerProfile?
    {
        guard !integrationId.isEmpty else { return nil }
        return try tx.profile(integrationId: integrationId)
            ?? tx.insertProfile(CustomerProfile(id: 0, integrationId: integrationId, created: now))
    }
}
