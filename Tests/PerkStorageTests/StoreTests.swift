import Foundation
import GRDB
import PerkEngine
import PerkJSON
import PerkTestSupport
import Testing

@testable import PerkStorage
@testable import Talang

/// Which implementation a test runs against.
enum Backend: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }

    /// A new, empty store; nil (after a loud message) only for PostgreSQL on a machine without it.
    func store() async throws -> (any Store)? {
        switch self {
        case .sqlite:
            return try SQLiteStore(
                path: FileManager.default.temporaryDirectory.appendingPathComponent(
                    "perk-store-\(UUID().uuidString).db"
                ).path)
        case .postgres:
            guard let url = try TestPostgres.freshDatabase() else { return nil }
            return try await PostgresStore.open(url: url, connections: 8)
        }
    }
}

/// The storage contract: every test runs against SQLite and against PostgreSQL.
@Suite struct StoreTests {
    static let now = Timestamp(rfc3339: "2026-06-01T12:00:00Z")!

    static func seed(_ store: any Store, usageLimit: Int64) async throws -> (app: Int64, coupon: Int64) {
        try await store.write { tx in
            let app = try tx.insertApplication(
                Application(
                    id: 0, created: now, modified: now, name: "A", description: nil, timezone: "UTC", currency: "EUR",
                    caseSensitivity: .sensitive, attributes: ["x": 1], limits: [], key: "0123456789abcdef"))
            let campaign = try tx.insertCampaign(
                Campaign(id: 0, applicationId: app.id, userId: 1, created: now, name: "C"))
            let coupons = try tx.insertCoupons(
                [Coupon(id: 0, created: now, campaignId: campaign.id, value: "CODE1", usageLimit: usageLimit)],
                applicationId: app.id, lookupKeys: ["CODE1"])
            return (app.id, coupons[0].id)
        }
    }

    @Test(arguments: Backend.allCases) func redemptionsStopAtTheLimitUnderConcurrency(_ backend: Backend) async throws {
        guard let store = try await backend.store() else { return }
        let (_, coupon) = try await Self.seed(store, usageLimit: 50)
        let redeemed = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<200 {
                group.addTask {
                    try await store.write(durable: true) { tx in
                        try tx.redeemCoupon(id: coupon, profileId: "p\(i % 7)", sessionId: "s\(i)")
                    }
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(redeemed == 50)
        let counter = try await store.read { tx in
            try tx.coupons(applicationId: 1, lookupKeys: ["CODE1"]).first?.usageCounter
        }
        #expect(counter == 50)
        let perProfile = try await store.read { tx in try tx.redemptionCounts(couponIds: [coupon], profileId: "p0") }
        #expect((perProfile[coupon] ?? 0) > 0)
    }

    struct Refused: Error {}

    /// Writes that run at once (committed together on SQLite) each stand or fall alone: one that
    /// throws leaves nothing of itself, and takes nothing of the others with it.
    @Test(arguments: Backend.allCases) func concurrentWritesFailAlone(_ backend: Backend) async throws {
        guard let store = try await backend.store() else { return }
        let (app, _) = try await Self.seed(store, usageLimit: 0)
        let answers = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<120 {
                group.addTask {
                    do {
                        try await store.write(durable: i % 10 == 0) { tx in
                            _ = try tx.insertCoupons(
                                [Coupon(id: 0, created: Self.now, campaignId: 1, value: "W\(i)", usageLimit: 0)],
                                applicationId: app, lookupKeys: ["W\(i)"])
                            if i % 3 == 0 { throw Refused() }
                        }
                        return (i, true)
                    } catch is Refused {
                        return (i, false)
                    }
                }
            }
            return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(answers.count == 120)
        #expect(answers.allSatisfy { $0.value == ($0.key % 3 != 0) })
        let codes = (0..<120).map { "W\($0)" }
        let taken = try await store.read { tx in try tx.takenCouponCodes(applicationId: app, lookupKeys: codes) }
        #expect(Set(taken) == Set((0..<120).filter { $0 % 3 != 0 }.map { "W\($0)" }))
    }

    /// A full disk (here: SQLite's page limit) fails the writes of its transaction with SQLite's
    /// own fault, which requests answer as 503, stores none of them, and passes once room is made.
    @Test func aFullSQLiteFileFailsItsWritesAsUnavailableAndRecovers() async throws {
        let store = try SQLiteStore(
            path: FileManager.default.temporaryDirectory.appendingPathComponent("perk-full-\(UUID().uuidString).db")
                .path)
        let (app, _) = try await Self.seed(store, usageLimit: 0)
        try await store.pool.write { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(pages + 1)")
        }
        let many = (0..<5_000).map { "FULL-\($0)-" + String(repeating: "x", count: 200) }
        let outcomes = await withTaskGroup(of: (any Error)?.self) { group in
            for part in stride(from: 0, to: many.count, by: 1_000) {
                let codes = Array(many[part..<part + 1_000])
                group.addTask {
                    do {
                        try await store.write { tx in
                            _ = try tx.insertCoupons(
                                codes.map { Coupon(id: 0, created: Self.now, campaignId: 1, value: $0, usageLimit: 0) },
                                applicationId: app, lookupKeys: codes)
                        }
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            return await group.reduce(into: [(any Error)?]()) { $0.append($1) }
        }
        #expect(outcomes.contains { $0 != nil })
        for error in outcomes.compactMap({ $0 }) {
            guard case StoreError.unavailable(let message)? = error as? StoreError else {
                Issue.record("a write failed with \(error), not as unavailable")
                continue
            }
            #expect(message.contains("full"), "\(message)")
        }
        try await store.pool.write { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        try await store.write { tx in
            _ = try tx.insertCoupons(
                [Coupon(id: 0, created: Self.now, campaignId: 1, value: "AFTER", usageLimit: 0)], applicationId: app,
                lookupKeys: ["AFTER"])
        }
        let taken = try await store.read { tx in try tx.takenCouponCodes(applicationId: app, lookupKeys: ["AFTER"]) }
        #expect(taken == ["AFTER"])
    }

    @Test(arguments: Backend.allCases) func releaseGivesBackOnlyWhatASessionCounted(_ backend: Backend) async throws {
        guard let store = try await backend.store() else { return }
        let (_, coupon) = try await Self.seed(store, usageLimit: 0)
        try await store.write { tx in
            #expect(try tx.redeemCoupon(id: coupon, profileId: "p", sessionId: "s1"))
            try tx.releaseCoupon(id: coupon, sessionId: "never-redeemed")
            try tx.releaseCoupon(id: coupon, sessionId: "s1")
            try tx.releaseCoupon(id: coupon, sessionId: "s1")
        }
        let counter = try await store.read { tx in
            try tx.coupons(applicationId: 1, lookupKeys: ["CODE1"]).first?.usageCounter
        }
        #expect(counter == 0)
    }

    @Test(arguments: Backend.allCases) func duplicateCodesAreRefusedAndNothingIsHalfWritten(_ backend: Backend)
        async throws
    {
        guard let store = try await backend.store() else { return }
        let (app, _) = try await Self.seed(store, usageLimit: 0)
        await #expect(throws: StoreError.duplicate("CODE1")) {
            try await store.write { tx in
                _ = try tx.insertCoupons(
                    [
                        Coupon(id: 0, created: Self.now, campaignId: 1, value: "NEW1", usageLimit: 0),
                        Coupon(id: 0, created: Self.now, campaignId: 1, value: "CODE1", usageLimit: 0),
                    ],
                    applicationId: app, lookupKeys: ["NEW1", "CODE1"])
            }
        }
        let taken = try await store.read { tx in
            try tx.takenCouponCodes(applicationId: app, lookupKeys: ["NEW1", "CODE1", "CODE2"])
        }
        #expect(taken == ["CODE1"])
    }

    @Test(arguments: Backend.allCases) func sessionsAndProfilesRoundTrip(_ backend: Backend) async throws {
        guard let store = try await backend.store() else { return }
        let (app, _) = try await Self.seed(store, usageLimit: 0)
        var session = CustomerSession(
            id: 0, integrationId: "s", applicationId: app, created: Self.now, profileId: "p", couponCodes: ["A", "B"])
        session.cartItems = [
            CartItem(
                name: "n", sku: "k", quantity: 2, price: DecimalNumber("9.99")!, category: "c", attributes: ["x": true])
        ]
        session.additionalCosts = [("shipping", DecimalNumber("4.5")!)]
        session.attributes = ["k": "v"]
        session.state = .closed
        session.ledger = RedemptionLedger(
            coupons: [.init(couponId: 1, campaignId: 1, value: "A")], sales: DecimalNumber("24.48")!)
        session.effects = [
            Effect(
                campaignId: 1, rulesetId: 2, ruleIndex: 0, ruleName: "r", type: "setDiscount",
                props: ["name": "d", "value": 1.5], triggeredByCoupon: 1)
        ]
        let toInsert = session
        let inserted = try await store.write { tx in try tx.insertSession(toInsert) }
        let loaded = try #require(try await store.read { tx in try tx.session(applicationId: app, integrationId: "s") })
        #expect(loaded.id == inserted.id)
        #expect(loaded.couponCodes == ["A", "B"])
        #expect(loaded.cartItems == session.cartItems)
        #expect(loaded.additionalCosts.first?.price == DecimalNumber("4.5"))
        #expect(loaded.attributes == ["k": "v"])
        #expect(loaded.ledger == session.ledger)
        #expect(loaded.effects == session.effects)
        #expect(loaded.total == DecimalNumber("24.48"))

        let profile = try await store.write { tx in
            try tx.insertProfile(
                CustomerProfile(id: 0, integrationId: "p", created: Self.now, totalSales: DecimalNumber("1.10")!))
        }
        let again = try await store.read { tx in try tx.profile(integrationId: "p") }
        #expect(again?.id == profile.id && again?.totalSales == DecimalNumber("1.1"))
        #expect(try await store.read { tx in try tx.profileHasSessions(integrationId: "p") })
    }

    @Test(arguments: Backend.allCases) func sessionUpdatesAreComparedAndSwapped(_ backend: Backend) async throws {
        guard let store = try await backend.store() else { return }
        let (app, _) = try await Self.seed(store, usageLimit: 0)
        let session = CustomerSession(id: 0, integrationId: "s", applicationId: app, created: Self.now)
        let inserted = try await store.write { tx in try tx.insertSession(session) }
        await #expect(throws: StoreError.conflict) { try await store.write { tx in _ = try tx.insertSession(session) } }
        let first = try await store.write { tx in try tx.updateSession(inserted, expectedVersion: 0) }
        let stale = try await store.write { tx in try tx.updateSession(inserted, expectedVersion: 0) }
        #expect(first && !stale)
        #expect(try await store.read { tx in try tx.sessionVersion(applicationId: app, integrationId: "s") } == 1)
    }

    @Test(arguments: Backend.allCases) func expiredKeysAreNotFound(_ backend: Backend) async throws {
        guard let store = try await backend.store() else { return }
        let (app, _) = try await Self.seed(store, usageLimit: 0)
        try await store.write { tx in
            _ = try tx.insertAPIKey(
                APIKeyRecord(
                    id: 0, applicationId: app, title: "t", createdBy: 1, created: Self.now,
                    expires: Timestamp(seconds: Self.now.seconds + 10)),
                hash: "h")
        }
        #expect(try await store.read { tx in try tx.apiKey(hash: "h", now: Self.now) }?.applicationId == app)
        #expect(
            try await store.read { tx in try tx.apiKey(hash: "h", now: Timestamp(seconds: Self.now.seconds + 10)) }
                == nil)
    }

    /// Codes stored before they were stored folded (migration v18) are folded by it, and found.
    @Test(arguments: Backend.allCases) func storedCodesAreFoldedOnce(_ backend: Backend) async throws {
        guard let store = try await backend.store() else { return }
        let (app, _) = try await Self.seed(store, usageLimit: 0)
        let found = try await store.write { tx in
            let campaign = try tx.insertCampaign(
                Campaign(id: 0, applicationId: app, userId: 1, created: Self.now, name: "M"))
            let values = ["Old-Code-1", "old.code.2", "NEW-3"]
            let coupons = values.map {
                Coupon(id: 0, created: Self.now, campaignId: campaign.id, value: $0, usageLimit: 0)
            }
            _ = try tx.insertCoupons(coupons, applicationId: app, lookupKeys: values)
            // As a database from before v18 has them, then as the migration leaves them.
            func fold<C: SQLConnection>(_ sql: SQLTransaction<C>) throws {
                _ = try sql.exec("UPDATE coupons SET folded = ''")
                try sql.foldStoredCodes()
            }
            if let sql = tx as? SQLTransaction<GRDBConnection> { try fold(sql) }
            if let sql = tx as? SQLTransaction<BlockingPostgresConnection> { try fold(sql) }
            var f = CouponFilter()
            f.value = "oldcode"
            f.order = CouponOrder(field: .created, descending: false)
            return try tx.coupons(campaignId: campaign.id, filter: f, now: Self.now, skip: 0, limit: 10).items.map(
                \.value)
        }
        #expect(found == ["Old-Code-1", "old.code.2"])
    }

    /// Searches by part of a code: the same answers whether the full-text index (SQLite) finds
    /// few matches, finds too many and the listing walks the campaign instead, or the text is too
    /// short for trigrams; only letters and digits count (quotes and wildcards are folded away).
    @Test(arguments: Backend.allCases) func couponsAreFoundByPartOfTheirCode(_ backend: Backend) async throws {
        guard let store = try await backend.store() else { return }
        let (app, _) = try await Self.seed(store, usageLimit: 0)
        let dense = SQLTransaction<GRDBConnection>.searchedCodesRead + 10
        let campaigns = try await store.write { tx in
            let mine = try tx.insertCampaign(
                Campaign(id: 0, applicationId: app, userId: 1, created: Self.now, name: "M"))
            let other = try tx.insertCampaign(
                Campaign(id: 0, applicationId: app, userId: 1, created: Self.now, name: "O"))
            var values = (0..<dense).map { "BULK-\($0)" } + ["Rare-Xyz-1", "rare-xyz-2", "a\"b%c_d", "ab%cd"]
            values.append("RARE-XYZ-OTHER")
            let coupons = values.enumerated().map { i, v in
                Coupon(
                    id: 0, created: Timestamp(microseconds: Self.now.microseconds + Int64(i)),
                    campaignId: v.hasSuffix("OTHER") ? other.id : mine.id, value: v, usageLimit: 0)
            }
            _ = try tx.insertCoupons(coupons, applicationId: app, lookupKeys: values)
            return (mine.id, other.id)
        }
        func search(_ text: String, exact: Bool = false) async throws -> [String] {
            var f = CouponFilter()
            f.value = text
            f.exactMatch = exact
            f.order = CouponOrder(field: .created, descending: true)
            let filter = f
            return try await store.read { tx in
                try tx.coupons(campaignId: campaigns.0, filter: filter, now: Self.now, skip: 0, limit: 3)
            }.items.map(\.value)
        }
        #expect(try await search("RARE-xyz") == ["rare-xyz-2", "Rare-Xyz-1"])
        #expect(try await search("xyz-1") == ["Rare-Xyz-1"])
        #expect(try await search("e-x") == ["rare-xyz-2", "Rare-Xyz-1"])
        #expect(try await search("z-") == ["rare-xyz-2", "Rare-Xyz-1"])
        // Only letters and digits count, in the code and in the query (the reference's folding):
        // quotes and LIKE's wildcards are no special case.
        #expect(try await search("\"b%c_d") == ["ab%cd", "a\"b%c_d"])
        #expect(try await search("%c") == ["ab%cd", "a\"b%c_d"])
        #expect(try await search("b.c") == ["ab%cd", "a\"b%c_d"])
        #expect(try await search("xyz1") == ["Rare-Xyz-1"])
        #expect(try await search("nothing like it") == [])
        #expect(try await search("BULK-1") == ["BULK-1999", "BULK-1998", "BULK-1997"])
        let bulk = try await search("bulk-")
        #expect(bulk == ["BULK-\(dense - 1)", "BULK-\(dense - 2)", "BULK-\(dense - 3)"])
        #expect(try await search("rare-xyz-1", exact: true) == ["Rare-Xyz-1"])
        #expect(try await search("rarexyz1", exact: true) == [])
        #expect(try await search("Rare-Xyz-1", exact: true) == ["Rare-Xyz-1"])
        var counted = CouponFilter()
        counted.value = "xyz"
        counted.order = CouponOrder(field: .created, descending: true)
        let xyz = counted
        let page = try await store.read { tx in
            try tx.coupons(campaignId: campaigns.0, filter: xyz, now: Self.now, skip: 0, limit: 1)
        }
        #expect(page.total == 2 && page.items.map(\.value) == ["rare-xyz-2"])
        // Deleted coupons leave the index with them.
        _ = try await store.write { tx in try tx.deleteCoupons(campaignId: campaigns.0, filter: xyz, now: Self.now) }
        #expect(try await search("xyz") == [])
    }
}
