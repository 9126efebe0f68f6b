import PerkEngine
import PerkJSON
import PerkStorage
import Synchronization
import Talang

/// What the hot path needs of an application, kept in memory: the application itself and its
/// campaigns with their active rulesets compiled. Rebuilt from storage when management changes it.
struct ApplicationSnapshot: Sendable {
    let application: Application
    var campaigns: [CompiledCampaign]
    var campaignSet: CampaignSetNode? = nil
    /// The store's catalog version this was read at.
    var catalogVersion: Int64 = 0
    /// The loyalty programs the application is subscribed to, by id.
    var loyaltyPrograms: [Int64: LoyaltyProgram] = [:]
    /// The webhooks its rules may trigger, by id.
    var webhooks: [Int64: Webhook] = [:]

    /// Whether a rule reads or spends points: only then does an update read the profile's balances.
    var readsBalances = false
}

extension ApplicationSnapshot {
    /// An evaluation of the application's campaigns, with the evaluation limits, at `now` in the
    /// application's time zone (what the rules' `now()` reads).
    func evaluation(
        session: CustomerSession, profile: CustomerProfile?, eventType: String,
        eventAttributes: JSONObject = JSONObject(), coupons: [Coupon] = [], referral: Referral? = nil,
        reservedCouponIds: Set<Int64> = [], limitUsage: [LimitKey: DecimalNumber] = [:],
        balances: [LedgerKey: DecimalNumber] = [:], now: Timestamp, cascading: Bool, limits: EvaluationLimits
    ) -> EvaluationRequest {
        var request = EvaluationRequest(
            application: application, session: session, profile: profile, eventType: eventType,
            eventAttributes: eventAttributes, campaigns: campaigns, coupons: coupons, referral: referral,
            reservedCouponIds: reservedCouponIds, campaignSet: campaignSet, limitUsage: limitUsage, now: now,
            cascading: cascading)
        request.limits = limits
        request.utcOffsetSeconds = TimeZones.offset(application.timezone, at: now)
        request.loyalty = LoyaltyFacts(programs: loyaltyPrograms, balances: balances)
        request.webhooks = webhooks
        return request
    }

    /// The profile's active points in the application's programs, read only when a rule reads
    /// or spends points (and none for an anonymous session).
    func balances(_ tx: any StoreTransaction, profileId: String, now: Timestamp) throws -> [LedgerKey: DecimalNumber] {
        guard readsBalances, !profileId.isEmpty else { return [:] }
        return try tx.loyaltyBalances(profileId: profileId, programIds: Array(loyaltyPrograms.keys), now: now)
    }

    /// The campaigns of `ids`, in that order (the triggered campaigns of an evaluation).
    func campaigns(_ ids: [Int64]) -> [Campaign] {
        ids.compactMap { id in campaigns.first { $0.campaign.id == id }?.campaign }
    }

    /// The snapshot a dry run with `evaluableCampaignIds` evaluates: only those campaigns, and
    /// disabled ones among them as if enabled (their schedule still applies).
    func evaluating(_ ids: [Int64]?) -> ApplicationSnapshot {
        guard let ids else { return self }
        let wanted = Set(ids)
        let chosen = campaigns.filter { wanted.contains($0.campaign.id) }.map { c -> CompiledCampaign in
            guard c.campaign.state == .disabled else { return c }
            var enabled = c.campaign
            enabled.state = .enabled
            return CompiledCampaign(campaign: enabled, ruleset: c.ruleset)
        }
        var out = self
        out.campaigns = chosen
        return out
    }
}

/// Several Perk processes may share one database: each keeps its own catalog, and a change made
/// through another one is noticed by the store's catalog version, which every change moves in its
/// own transaction. The version is read at most every `checkInterval`, by the first request
/// after it; a snapshot read at an older version than the latest seen is loaded again.
final class Catalog: Sendable {
    private let snapshots = Mutex<[Int64: ApplicationSnapshot]>([:])
    private let keys = Mutex<[String: CachedKey]>([:])

    /// A key as read from the store, with when and at which catalog version.
    struct CachedKey {
        var applicationId: Int64
        var staging: Bool
        var expires: Timestamp
        var version: Int64
        var read: ContinuousClock.Instant
    }

    /// How long a key is trusted from memory before the store is asked again, so that even a
    /// key removed from the database by hand is refused by every node within a second.
    /// Revocation through the API moves the catalog version and takes effect sooner.
    static let keyLifetime: Duration = .milliseconds(500)
    private let attributes = Declarations<AttributeSchema>()
    private let costs = Declarations<DeclaredCosts>()
    /// The newest catalog version seen, and when the store was last asked.
    private let latest = Mutex<(version: Int64, checked: ContinuousClock.Instant?)>((0, nil))
    let store: any Store
    let checkInterval: Duration

    init(store: any Store, checkInterval: Duration = .milliseconds(250)) {
        self.store = store
        self.checkInterval = checkInterval
    }

    /// The newest catalog version, asking the store when the last answer is older than the interval.
    func latestVersion() async throws -> Int64 {
        let now = ContinuousClock.now
        let (known, due) = latest.withLock { l -> (Int64, Bool) in
            if let checked = l.checked, now - checked < checkInterval { return (l.version, false) }
            l.checked = now
            return (l.version, true)
        }
        guard due else { return known }
        let version = try await store.read { tx in try tx.catalogVersion() }
        return latest.withLock { l in
            l.version = max(l.version, version)
            return l.version
        }
    }

    /// The application's snapshot, loading it on first use and again once the catalog moved on.
    func snapshot(_ applicationId: Int64) async throws -> ApplicationSnapshot? {
        let version = try await latestVersion()
        if let s = snapshots.withLock({ $0[applicationId] }), s.catalogVersion >= version { return s }
        return try await reload(applicationId)
    }

    /// What a reload reads.
    struct Loaded: Sendable {
        var app: Application
        var campaigns: [Campaign]
        var rulesets: [Int64: Ruleset]
        var set: CampaignSet?
        var programs: [LoyaltyProgram]
        var webhooks: [Webhook]
        var version: Int64
    }

    /// Reads the application and its campaigns again and compiles their active rulesets.
    @discardableResult
    func reload(_ applicationId: Int64) async throws -> ApplicationSnapshot? {
        let loaded = try await store.read { tx -> Loaded? in
            guard let app = try tx.application(id: applicationId) else { return nil }
            return Loaded(
                app: app, campaigns: try tx.campaigns(applicationId: applicationId),
                rulesets: try tx.activeRulesets(applicationId: applicationId),
                set: try tx.campaignSet(applicationId: applicationId),
                programs: try tx.loyaltyPrograms().filter { $0.subscribedApplications.contains(applicationId) },
                webhooks: try tx.webhooks().filter { $0.serves(applicationId) }, version: try tx.catalogVersion())
        }
        guard let loaded else { return nil }
        let (app, campaigns, rulesets, set, version) = (
            loaded.app, loaded.campaigns, loaded.rulesets, loaded.set, loaded.version
        )
        let compiled = campaigns.map { c in
            // Rulesets are compiled when saved, so this only fails for data written by hand.
            CompiledCampaign(campaign: c, ruleset: rulesets[c.id].flatMap { try? CompiledRuleset($0) })
        }
        var snapshot = ApplicationSnapshot(
            application: app, campaigns: compiled, campaignSet: set?.root, catalogVersion: version,
            loyaltyPrograms: Dictionary(uniqueKeysWithValues: loaded.programs.map { ($0.id, $0) }),
            webhooks: Dictionary(uniqueKeysWithValues: loaded.webhooks.map { ($0.id, $0) }))
        snapshot.readsBalances =
            !snapshot.loyaltyPrograms.isEmpty
            && compiled.contains { c in
                c.ruleset?.rules.contains { r in
                    ([r.condition] + r.effects + r.bindings.map(\.expression)).contains {
                        $0.calls("loyaltyBalance") || $0.calls("deductLoyaltyPoints")
                    }
                } ?? false
            }
        snapshots.withLock { s in
            // A slower reload that read an older version must not replace a newer one.
            if let current = s[applicationId], current.catalogVersion > version { return }
            s[applicationId] = snapshot
        }
        latest.withLock { $0.version = max($0.version, version) }
        return snapshot
    }

    /// The declared attributes, loaded on first use and again after a change.
    func attributeSchema() async throws -> AttributeSchema {
        try await declared(attributes) { tx in AttributeSchema(try tx.attributes()) }
    }

    /// The declared additional costs, loaded on first use and again after a change.
    func declaredCosts() async throws -> DeclaredCosts {
        try await declared(costs) { tx in DeclaredCosts(try tx.additionalCosts()) }
    }

    /// What `cache` holds while it is as new as the catalog, else what `load` reads (with the
    /// version it was read at).
    private func declared<T: Sendable>(
        _ cache: Declarations<T>, _ load: @Sendable @escaping (any StoreTransaction) throws -> T
    ) async throws -> T {
        let latest = try await latestVersion()
        if let c = cache.held.withLock({ $0 }), c.version >= latest { return c.value }
        let (value, version) = try await store.read { tx in (try load(tx), try tx.catalogVersion()) }
        cache.held.withLock { $0 = (value, version) }
        self.latest.withLock { $0.version = max($0.version, version) }
        return value
    }

    func costsChanged() {
        costs.held.withLock { $0 = nil }
    }

    /// After a change through this node that many applications' snapshots depend on (loyalty
    /// programs, webhooks): the next request asks the store for the version, and reloads.
    func changedEverywhere() {
        latest.withLock { $0.checked = nil }
    }

    func attributesChanged() {
        attributes.held.withLock { $0 = nil }
    }

    /// The application of an Integration API key, and whether it is a staging key (dry runs
    /// only), from memory while it is fresh.
    func application(forKeyDigest digest: String, now: Timestamp) async throws -> (id: Int64, staging: Bool)? {
        let version = try await latestVersion()
        let instant = ContinuousClock.now
        if let hit = keys.withLock({ $0[digest] }), hit.version >= version, instant - hit.read < Self.keyLifetime {
            return now < hit.expires ? (hit.applicationId, hit.staging) : nil
        }
        let found = try await store.read { tx in (try tx.apiKey(hash: digest, now: now), try tx.catalogVersion()) }
        guard let record = found.0 else {
            keys.withLock { _ = $0.removeValue(forKey: digest) }
            return nil
        }
        keys.withLock { k in
            // Unknown keys are never kept, so this only grows with the keys that exist.
            k[digest] = CachedKey(
                applicationId: record.applicationId, staging: record.type == "staging", expires: record.expires,
                version: found.1, read: instant)
        }
        return (record.applicationId, record.type == "staging")
    }
}

/// Declarations of the account (attributes, additional costs) as last read, with the catalog
/// version they were read at.
final class Declarations<T: Sendable>: Sendable {
    let held = Mutex<(value: T, version: Int64)?>(nil)
}
