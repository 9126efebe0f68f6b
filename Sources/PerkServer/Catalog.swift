import PerkEngine
import PerkStorage
import Synchronization
import Talang

/// What the hot path needs of an application, kept in memory: the application itself and its
/// campaigns with their active rulesets compiled. Rebuilt from storage when management changes it.
struct ApplicationSnapshot: Sendable {
    let application: Application
    let campaigns: [CompiledCampaign]
    var campaignSet: CampaignSetNode? = nil
}

final class Catalog: Sendable {
    private let snapshots = Mutex<[Int64: ApplicationSnapshot]>([:])
    private let keys = Mutex<[String: (applicationId: Int64, expires: Timestamp)]>([:])
    private let attributes = Mutex<AttributeSchema?>(nil)
    let store: any Store

    init(store: any Store) { self.store = store }

    /// The application's snapshot, loading it on first use.
    func snapshot(_ applicationId: Int64) async throws -> ApplicationSnapshot? {
        if let s = snapshots.withLock({ $0[applicationId] }) { return s }
        return try await reload(applicationId)
    }

    /// Reads the application and its campaigns again and compiles their active rulesets.
    @discardableResult
    func reload(_ applicationId: Int64) async throws -> ApplicationSnapshot? {
        let loaded = try await store.read { tx -> (Application, [Campaign], [Int64: Ruleset], CampaignSet?)? in
            guard let app = try tx.application(id: applicationId) else { return nil }
            return (
                app, try tx.campaigns(applicationId: applicationId),
                try tx.activeRulesets(applicationId: applicationId),
                try tx.campaignSet(applicationId: applicationId)
            )
        }
        guard let (app, campaigns, rulesets, set) = loaded else { return nil }
        let compiled = campaigns.map { c in
            // Rulesets are compiled when saved, so this only fails for data written by hand.
            CompiledCampaign(campaign: c, ruleset: rulesets[c.id].flatMap { try? CompiledRuleset($0) })
        }
        let snapshot = ApplicationSnapshot(application: app, campaigns: compiled, campaignSet: set?.root)
        snapshots.withLock { $0[applicationId] = snapshot }
        return snapshot
    }

    /// The declared attributes, loaded on first use and again after a change.
    func attributeSchema() async throws -> AttributeSchema {
        if let s = attributes.withLock({ $0 }) { return s }
        let schema = AttributeSchema(try await store.read { tx in try tx.attributes() })
        attributes.withLock { $0 = schema }
        return schema
    }

    func attributesChanged() {
        attributes.withLock { $0 = nil }
    }

    /// The application of an Integration API key, from memory after its first use.
    func application(forKeyDigest digest: String, now: Timestamp) async throws -> Int64? {
        if let hit = keys.withLock({ $0[digest] }) {
            return now < hit.expires ? hit.applicationId : nil
        }
        guard let record = try await store.read({ tx in try tx.apiKey(hash: digest, now: now) }) else { return nil }
        keys.withLock { $0[digest] = (record.applicationId, record.expires) }
        return record.applicationId
    }
}
