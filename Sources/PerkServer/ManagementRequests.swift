import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// Decoding of management request bodies (`NewApplication`, `NewCampaign`/`UpdateCampaign`,
/// `NewRuleset`, `NewCoupons`), each field checked and named in errors.
enum ManagementRequests {
    static let campaignFeatures = ["coupons", "referrals", "loyalty"]

    static func newApplication(_ body: JSON, now: Timestamp) throws(FieldError) -> PerkEngine.Application {
        let r = try ObjectReader(body, at: "")
        let key = try r.string("key", minLength: 16, maxLength: 16)
        if let key, !key.allSatisfy(\.isHexDigit) {
            throw FieldError(title: "pattern", details: "key must be 16 hexadecimal digits", pointer: "/key")
        }
        var app = Application(
            id: 0, created: now, modified: now, name: try r.string("name", required: true, minLength: 1)!,
            description: try r.string("description"), timezone: try r.string("timezone", required: true, minLength: 1)!,
            currency: try r.string("currency", required: true, minLength: 1)!,
            caseSensitivity: try r.enumeration("caseSensitivity", CaseSensitivity.self) ?? .sensitive,
            attributes: try r.object("attributes") ?? JSONObject(),
            limits: try LimitConfig.list(try r.array("limits") ?? [], at: "/limits"),
            key: key?.lowercased() ?? Credentials.randomHex(bytes: 8))
        app.enableFlattenedCartItems = try r.bool("enableFlattenedCartItems") ?? false
        app.enablePartialDiscounts = try r.bool("enablePartialDiscounts") ?? false
        return app
    }

    /// Applies a `NewCampaign` (creating) or `UpdateCampaign` body. Required fields replace the
    /// stored ones; optional fields replace them when present.
    static func applyCampaign(_ body: JSON, to c: inout Campaign, creating: Bool) throws(FieldError) {
        let r = try ObjectReader(body, at: "")
        c.name = try r.string("name", required: true, minLength: 1)!
        c.tags = try r.strings("tags", required: true)!
        let features = try r.strings("features", required: true)!
        for (i, f) in features.enumerated() where !campaignFeatures.contains(f) {
            throw ObjectReader.enumError("/features/\(i)", "features", campaignFeatures)
        }
        c.features = features
        c.limits = try LimitConfig.list(try r.array("limits", required: true)!, at: "/limits")
        if let state = try r.enumeration("state", CampaignState.self, required: creating) { c.state = state }
        if let d = try r.string("description") { c.description = d }
        if r.object.contains("startTime") { c.startTime = try r.timestamp("startTime") }
        if r.object.contains("endTime") { c.endTime = try r.timestamp("endTime") }
        if let a = try r.object("attributes") { c.attributes = a }
        if let id = try r.integer("activeRulesetId") { c.activeRulesetId = id }
        if let s = try r.value("couponSettings") {
            c.couponSettings = try CodeGeneratorSettings(json: s, at: "/couponSettings")
        }
        if let s = try r.value("referralSettings") {
            c.referralSettings = try CodeGeneratorSettings(json: s, at: "/referralSettings")
        }
        if let start = c.startTime, let end = c.endTime, !(start < end) {
            throw FieldError(title: "Invalid value", details: "endTime must be after startTime", pointer: "/endTime")
        }
    }

    static func newRuleset(_ body: JSON, campaignId: Int64, userId: Int64, now: Timestamp) throws(FieldError) -> Ruleset
    {
        let r = try ObjectReader(body, at: "")
        var rules: [Rule] = []
        for (i, rule) in (try r.array("rules", required: true)!).enumerated() {
            rules.append(try Rule(json: rule, at: "/rules/\(i)"))
        }
        return Ruleset(
            id: 0, campaignId: campaignId, userId: userId, created: now, rules: rules,
            bindings: try Binding.list(try r.array("bindings", required: true), at: "/bindings"),
            rbVersion: try r.string("rbVersion"), activate: try r.bool("activate") ?? false, activatedAt: nil)
    }

    static func newCoupons(_ body: JSON) throws(FieldError) -> CouponSpec {
        let r = try ObjectReader(body, at: "")
        let pattern = try r.string("couponPattern", required: true, minLength: 3)!
        let characters = try r.strings("validCharacters", required: true)!
        let prefix = try r.string("uniquePrefix") ?? ""
        let generator: CodeGenerator
        do {
            generator = try CodeGenerator(pattern: pattern, validCharacters: characters, prefix: prefix)
        } catch {
            throw FieldError(title: "Invalid value", details: error.message, pointer: "/validCharacters")
        }
        var spec = CouponSpec(
            generator: generator,
            count: Int(try r.integer("numberOfCoupons", required: true, minimum: 1, maximum: 1_000_000)!),
            usageLimit: try r.integer("usageLimit", required: true, minimum: 0, maximum: 999_999)!,
            startDate: try r.timestamp("startDate"), expiryDate: try r.timestamp("expiryDate"),
            attributes: try r.object("attributes") ?? JSONObject(),
            recipientIntegrationId: try r.string("recipientIntegrationId"))
        spec.reservation = try r.bool("reservation") ?? true
        if spec.generator.pattern.count + prefix.count < 4 {
            throw FieldError(
                title: "minLength", details: "codes must be at least 4 characters long", pointer: "/couponPattern")
        }
        return spec
    }
}

struct CouponSpec: Sendable {
    var generator: CodeGenerator
    var count: Int
    var usageLimit: Int64
    var startDate: Timestamp?
    var expiryDate: Timestamp?
    var attributes: JSONObject
    var recipientIntegrationId: String?
    /// false: a hard reservation, only profiles holding one may redeem (the `Coupon` field; 2020's
    /// `NewCoupons` lacks it, Perk accepts it there).
    var reservation = true
}

/// Generates a batch of unique coupon codes and stores them in chunks, so that a large batch
/// never holds the write lock for long: the codes of a chunk are drawn and checked against the
/// stored ones in a read transaction, and the write transaction only inserts them. A code
/// another request took in between fails the chunk's unique index, and the chunk is drawn again.
struct CouponFactory: Sendable {
    let store: any Store
    /// Measured with bench/bulk-coupons: 1,000 coupons hold SQLite's write lock for a few
    /// milliseconds, which session updates queued behind it hardly notice.
    static let chunkSize = 1_000
    static let attemptsPerChunk = 5

    struct Failure: Error {
        let message: String
    }

    func create(_ spec: CouponSpec, application: PerkEngine.Application, campaignId: Int64, now: Timestamp) async throws
        -> [Coupon]
    {
        guard spec.generator.capacity >= Double(spec.count) else {
            throw Failure(message: "the pattern can make fewer than \(spec.count) different codes")
        }
        let batchId = spec.count > 1 ? Credentials.randomHex(bytes: 8) : nil
        var created: [Coupon] = []
        created.reserveCapacity(spec.count)
        var remaining = spec.count
        while remaining > 0 {
            let n = min(remaining, Self.chunkSize)
            var attempt = 1
            while true {
                let (coupons, keys) = try await store.read { tx in
                    try Self.drawChunk(
                        tx, n: n, spec: spec, application: application, campaignId: campaignId, batchId: batchId,
                        now: now)
                }
                do {
                    created += try await store.write { tx in
                        try tx.insertCoupons(coupons, applicationId: application.id, lookupKeys: keys)
                    }
                    break
                } catch StoreError.duplicate {
                    guard attempt < Self.attemptsPerChunk else {
                        throw Failure(message: "codes of this pattern kept being taken by other requests; try again")
                    }
                    attempt += 1
                }
            }
            remaining -= n
        }
        return created
    }

    /// Draws `n` codes no stored coupon of the application has, and the coupons for them: all
    /// at once, then again for those found taken (one query per round).
    static func drawChunk(
        _ tx: any StoreTransaction, n: Int, spec: CouponSpec, application: PerkEngine.Application, campaignId: Int64,
        batchId: String?, now: Timestamp
    ) throws -> (coupons: [Coupon], lookupKeys: [String]) {
        var rng = SystemRandomNumberGenerator()
        var coupons: [Coupon] = []
        var keys: [String] = []
        var drawn: Set<String> = []
        var draws = 0
        let fixed = !spec.generator.pattern.contains("#")
        while coupons.count < n {
            var round: [(code: String, key: String)] = []
            while round.count < n - coupons.count {
                draws += 1
                if draws > n * 20 + 100 { throw Failure(message: "could not find \(n) unused codes for this pattern") }
                let code = spec.generator.make(using: &rng)
                let key = application.caseSensitivity.normalize(code)
                if drawn.insert(key).inserted { round.append((code, key)) }
            }
            let taken = try tx.takenCouponCodes(applicationId: application.id, lookupKeys: round.map(\.key))
            if fixed, let code = round.first(where: { taken.contains($0.key) })?.code {
                throw Failure(message: "the coupon code \(code) already exists")
            }
            for (code, key) in round where !taken.contains(key) {
                keys.append(key)
                coupons.append(
                    Coupon(
                        id: 0, created: now, campaignId: campaignId, value: code, usageLimit: spec.usageLimit,
                        startDate: spec.startDate, expiryDate: spec.expiryDate, attributes: spec.attributes,
                        recipientIntegrationId: spec.recipientIntegrationId, reservation: spec.reservation,
                        batchId: batchId))
            }
        }
        return (coupons, keys)
    }
}
