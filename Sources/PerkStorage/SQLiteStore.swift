import Foundation
import GRDB
import PerkEngine
import PerkJSON
import Talang

/// The embedded store: one SQLite file in WAL mode, written through a single connection
/// (GRDB serialises writers; the writes that wait for it commit together: `SQLiteGroupCommit`)
/// and read through a pool.
public final class SQLiteStore: Store {
    let pool: DatabasePool
    let groupCommit: SQLiteGroupCommit
    public var singleWriter: Bool { true }
    static let busyTimeout: TimeInterval = 5

    /// Opens (creating if needed) the database at `path` and migrates its schema.
    public init(path: String) throws {
        var config = Configuration()
        // A lock held by another program is waited for this long, then the request answers 503.
        config.busyMode = .timeout(Self.busyTimeout)
        config.prepareDatabase { db in
            // Survives a process crash on every commit; `durable` writes also survive power loss.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: path, configuration: config)
        groupCommit = SQLiteGroupCommit(pool: pool)
        try SQLiteSchema.migrator.migrate(pool)
    }

    public func read<T: Sendable>(_ body: @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await Self.translatingFaults {
            try await pool.read { db in try body(SQLTransaction(db: GRDBConnection(db: db))) }
        }
    }

    public func write<T: Sendable>(durable: Bool, _ body: @Sendable (any StoreTransaction) throws -> T) async throws
        -> T
    {
        try await Self.translatingFaults { try await groupCommit.write(durable: durable, body) }
    }

    /// The single writer connection would wait out the busy timeout on a file another program
    /// locked, and every request's write would queue behind it: this one tries once and gives up.
    public func writeWithoutWaiting<T: Sendable>(_ body: @Sendable (any StoreTransaction) throws -> T) async throws
        -> T
    {
        try await Self.translatingFaults {
            try await pool.writeWithoutTransaction { db in
                var result: T?
                try Self.transaction(
                    db, setting: "busy_timeout = 0", restoring: "busy_timeout = \(Int(Self.busyTimeout * 1000))"
                ) { result = try body(SQLTransaction(db: GRDBConnection(db: db), writing: true)) }
                return result!
            }
        }
    }

    /// SQLite's answers that mean "not now" rather than "never": the file is locked by another
    /// program past the busy timeout, the disk is full or failing, the file went read-only or
    /// away. They become `StoreError.unavailable` with SQLite's own message.
    static let faults: [ResultCode] = [
        .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN,
        .SQLITE_NOMEM, .SQLITE_PROTOCOL,
    ]

    static func translatingFaults<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let e as DatabaseError where faults.contains(e.resultCode.primaryResultCode) {
            throw StoreError.unavailable("SQLite: \(e.message ?? "\(e.resultCode)") (\(e.resultCode))")
        }
    }

    /// `body` in an immediate transaction of the writer connection, with a pragma (if any) set
    /// for that transaction and restored after it.
    static func transaction(
        _ db: Database, setting pragma: String?, restoring restore: String?, _ body: () throws -> Void
    ) throws {
        if let pragma { try db.execute(sql: "PRAGMA \(pragma)") }
        defer { if let restore { try? db.execute(sql: "PRAGMA \(restore)") } }
        try db.inTransaction(.immediate) {
            try body()
            return .commit
        }
    }
}

enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        password_hash TEXT NOT NULL,
                        created INTEGER NOT NULL);
                    CREATE TABLE auth_tokens (
                        token_hash TEXT PRIMARY KEY,
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        created INTEGER NOT NULL,
                        expires INTEGER NOT NULL);
                    CREATE TABLE applications (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        created INTEGER NOT NULL,
                        modified INTEGER NOT NULL,
                        name TEXT NOT NULL,
                        description TEXT,
                        timezone TEXT NOT NULL,
                        currency TEXT NOT NULL,
                        case_sensitivity TEXT NOT NULL,
                        attributes TEXT NOT NULL,
                        limits TEXT NOT NULL,
                        key TEXT NOT NULL);
                    CREATE TABLE api_keys (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        application_id INTEGER NOT NULL REFERENCES applications(id),
                        title TEXT NOT NULL,
                        key_hash TEXT NOT NULL UNIQUE,
                        created_by INTEGER NOT NULL,
                        created INTEGER NOT NULL,
                        expires INTEGER NOT NULL);
                    CREATE TABLE campaigns (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        application_id INTEGER NOT NULL REFERENCES applications(id),
                        user_id INTEGER NOT NULL,
                        created INTEGER NOT NULL,
                        updated INTEGER NOT NULL,
                        name TEXT NOT NULL,
                        description TEXT NOT NULL,
                        start_time INTEGER,
                        end_time INTEGER,
                        attributes TEXT NOT NULL,
                        state TEXT NOT NULL,
                        active_ruleset_id INTEGER,
                        tags TEXT NOT NULL,
                        features TEXT NOT NULL,
                        coupon_settings TEXT,
                        referral_settings TEXT,
                        limits TEXT NOT NULL,
                        coupon_redemption_count INTEGER NOT NULL DEFAULT 0,
                        referral_redemption_count INTEGER NOT NULL DEFAULT 0,
                        discount_count TEXT NOT NULL DEFAULT '0',
                        discount_effect_count INTEGER NOT NULL DEFAULT 0,
                        coupon_creation_count INTEGER NOT NULL DEFAULT 0,
                        last_activity INTEGER);
                    CREATE INDEX campaigns_by_application ON campaigns(application_id);
                    CREATE TABLE rulesets (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
                        user_id INTEGER NOT NULL,
                        created INTEGER NOT NULL,
                        rules TEXT NOT NULL,
                        bindings TEXT NOT NULL,
                        rb_version TEXT,
                        activate INTEGER NOT NULL,
                        activated_at INTEGER);
                    CREATE INDEX rulesets_by_campaign ON rulesets(campaign_id);
                    CREATE TABLE coupons (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        application_id INTEGER NOT NULL,
                        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
                        value TEXT NOT NULL,
                        lookup TEXT NOT NULL,
                        created INTEGER NOT NULL,
                        usage_limit INTEGER NOT NULL,
                        usage_counter INTEGER NOT NULL DEFAULT 0,
                        start_date INTEGER,
                        expiry_date INTEGER,
                        attributes TEXT NOT NULL,
                        referral_id INTEGER,
                        recipient_integration_id TEXT,
                        reservation INTEGER NOT NULL DEFAULT 1,
                        batch_id TEXT,
                        UNIQUE (application_id, lookup));
                    CREATE INDEX coupons_by_campaign ON coupons(campaign_id, id);
                    CREATE TABLE coupon_redemptions (
                        coupon_id INTEGER NOT NULL,
                        profile_id TEXT NOT NULL,
                        session_id TEXT NOT NULL,
                        PRIMARY KEY (coupon_id, session_id));
                    CREATE INDEX coupon_redemptions_by_profile ON coupon_redemptions(profile_id, coupon_id);
                    CREATE TABLE profiles (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        integration_id TEXT NOT NULL UNIQUE,
                        created INTEGER NOT NULL,
                        attributes TEXT NOT NULL,
                        closed_sessions INTEGER NOT NULL DEFAULT 0,
                        total_sales TEXT NOT NULL DEFAULT '0',
                        last_activity INTEGER NOT NULL);
                    CREATE TABLE sessions (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        application_id INTEGER NOT NULL,
                        integration_id TEXT NOT NULL,
                        profile_id TEXT NOT NULL,
                        state TEXT NOT NULL,
                        created INTEGER NOT NULL,
                        updated INTEGER NOT NULL,
                        first_session INTEGER NOT NULL,
                        content TEXT NOT NULL,
                        ledger TEXT,
                        effects TEXT NOT NULL,
                        version INTEGER NOT NULL DEFAULT 0,
                        UNIQUE (application_id, integration_id));
                    CREATE INDEX sessions_by_profile ON sessions(profile_id);
                    CREATE TABLE events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        application_id INTEGER NOT NULL,
                        session_id TEXT NOT NULL,
                        profile_id TEXT NOT NULL,
                        type TEXT NOT NULL,
                        attributes TEXT NOT NULL,
                        effects TEXT NOT NULL,
                        created INTEGER NOT NULL);
                    CREATE INDEX events_by_application ON events(application_id, id);
                    """)
        }
        m.registerMigration("v2: referrals and codes created by rules") { db in
            try db.execute(
                sql: """
                    CREATE TABLE referrals (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        application_id INTEGER NOT NULL,
                        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
                        code TEXT NOT NULL,
                        lookup TEXT NOT NULL,
                        created INTEGER NOT NULL,
                        advocate TEXT NOT NULL,
                        friend TEXT,
                        start_date INTEGER,
                        expiry_date INTEGER,
                        usage_limit INTEGER NOT NULL,
                        usage_counter INTEGER NOT NULL DEFAULT 0,
                        origin TEXT,
                        UNIQUE (application_id, lookup));
                    CREATE INDEX referrals_by_campaign ON referrals(campaign_id, id);
                    CREATE INDEX referrals_by_advocate ON referrals(advocate);
                    CREATE TABLE referral_redemptions (
                        referral_id INTEGER NOT NULL,
                        profile_id TEXT NOT NULL,
                        session_id TEXT NOT NULL,
                        PRIMARY KEY (referral_id, session_id));
                    CREATE UNIQUE INDEX referrals_by_origin ON referrals(application_id, origin) WHERE origin IS NOT NULL;
                    ALTER TABLE coupons ADD COLUMN origin TEXT;
                    CREATE UNIQUE INDEX coupons_by_origin ON coupons(application_id, origin) WHERE origin IS NOT NULL;
                    """)
        }
        m.registerMigration("v3: coupon reservations") { db in
            try db.execute(
                sql: """
                    CREATE TABLE coupon_reservations (
                        coupon_id INTEGER NOT NULL,
                        profile_id TEXT NOT NULL,
                        created INTEGER NOT NULL,
                        PRIMARY KEY (coupon_id, profile_id));
                    CREATE INDEX coupon_reservations_by_profile ON coupon_reservations(profile_id, coupon_id);
                    CREATE INDEX events_by_profile ON events(profile_id);
                    """)
        }
        m.registerMigration("v4: attributes") { db in
            try db.execute(
                sql: """
                    CREATE TABLE attributes (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        created INTEGER NOT NULL,
                        entity TEXT NOT NULL,
                        event_type TEXT NOT NULL DEFAULT '',
                        name TEXT NOT NULL,
                        title TEXT NOT NULL,
                        type TEXT NOT NULL,
                        description TEXT NOT NULL,
                        suggestions TEXT NOT NULL,
                        editable INTEGER NOT NULL,
                        subscribed_applications TEXT NOT NULL,
                        built_in INTEGER NOT NULL,
                        UNIQUE (entity, event_type, name));
                    """)
            let now = Timestamp(microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000))
            let tx = SQLTransaction(db: GRDBConnection(db: db))
            for a in AttributeDefinition.builtIns(created: now) { _ = try tx.insertAttributeRow(a) }
        }
        m.registerMigration("v5: campaign sets") { db in
            try db.execute(
                sql: """
                    CREATE TABLE campaign_sets (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        application_id INTEGER NOT NULL UNIQUE,
                        created INTEGER NOT NULL,
                        tree TEXT NOT NULL);
                    """)
        }
        m.registerMigration("v6: budget counters") { db in
            try db.execute(
                sql: """
                    CREATE TABLE limit_counters (
                        campaign_id INTEGER NOT NULL,
                        action TEXT NOT NULL,
                        scope TEXT NOT NULL,
                        used TEXT NOT NULL,
                        PRIMARY KEY (campaign_id, action, scope));
                    """)
        }
        m.registerMigration("v7: catalog version") { db in try db.execute(sql: SQLSchema.catalogVersion) }
        m.registerMigration("v8: campaign activity") { db in try db.execute(sql: SQLSchema.campaignActivity) }
        m.registerMigration("v9: health probe") { db in try db.execute(sql: SQLSchema.healthProbe) }
        m.registerMigration("v10: API key types") { db in try db.execute(sql: SQLSchema.apiKeyType) }
        m.registerMigration("v11: coupons by creation") { db in try db.execute(sql: SQLSchema.couponsByCreation) }
        m.registerMigration("v12: coupon search") { db in try db.execute(sql: SQLSchema.sqliteCouponSearch) }
        m.registerMigration("v13: listing indexes") { db in try db.execute(sql: SQLSchema.listingIndexes) }
        m.registerMigration("v14: application discount settings") { db in
            try db.execute(sql: SQLSchema.applicationDiscountSettings)
        }
        m.registerMigration("v15: loyalty and webhooks") { db in
            try db.execute(sql: SQLSchema.loyaltyAndWebhooks(id: "INTEGER PRIMARY KEY AUTOINCREMENT"))
        }
        m.registerMigration("v16: users, roles, changes and additional costs") { db in
            try db.execute(sql: SQLSchema.accounts(id: "INTEGER PRIMARY KEY AUTOINCREMENT"))
        }
        m.registerMigration("v17: access logs") { db in
            try db.execute(sql: SQLSchema.accessLogs(id: "INTEGER PRIMARY KEY AUTOINCREMENT"))
        }
        m.registerMigration("v18: folded codes") { db in
            try db.execute(sql: SQLSchema.foldedCodes)
            try SQLTransaction(db: GRDBConnection(db: db), writing: true).foldStoredCodes()
            try db.execute(sql: SQLSchema.sqliteFoldedCouponSearch)
        }
        m.registerMigration("v19: exports, imports and event types") { db in
            try db.execute(sql: SQLSchema.transfers(id: "INTEGER PRIMARY KEY AUTOINCREMENT"))
        }
        m.registerMigration("v20: batched imports") { db in try db.execute(sql: SQLSchema.batchedImports) }
        return m
    }
}

/// GRDB's connection as the SQL driver of the shared statements. Every statement goes through
/// GRDB's per-connection cache: preparing SQL (and authorizing it) costs more than running these
/// small queries.
struct GRDBConnection: SQLConnection {
    let db: Database

    var dialect: SQLDialect { .sqlite }

    static func arguments(_ a: SQLArguments) -> StatementArguments {
        StatementArguments(
            a.values.map { v -> (any DatabaseValueConvertible)? in
                switch v {
                case .null: nil
                case .integer(let i): i
                case .real(let d): d
                case .text(let s): s
                }
            })
    }

    static func value(_ v: DatabaseValue) -> SQLValue {
        switch v.storage {
        case .null: .null
        case .int64(let i): .integer(i)
        case .double(let d): .real(d)
        case .string(let s): .text(s)
        case .blob(let b): .text(String(decoding: b, as: UTF8.self))
        }
    }

    func rows(_ sql: String, _ arguments: SQLArguments) throws -> [SQLRow] {
        do {
            let statement = try db.cachedStatement(sql: sql)
            let columns = SQLColumns(statement.columnNames)
            // A cursor's rows read the statement in place: no copy of each row before ours.
            let cursor = try Row.fetchCursor(statement, arguments: Self.arguments(arguments))
            var rows: [SQLRow] = []
            while let row = try cursor.next() {
                rows.append(SQLRow(columns: columns, values: row.databaseValues.map(Self.value)))
            }
            return rows
        } catch let e as DatabaseError where e.resultCode == .SQLITE_CONSTRAINT {
            throw SQLError.constraint(e.message ?? "constraint")
        }
    }

    func execute(_ sql: String, _ arguments: SQLArguments) throws -> Int {
        do {
            try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
        } catch let e as DatabaseError where e.resultCode == .SQLITE_CONSTRAINT {
            throw SQLError.constraint(e.message ?? "constraint")
        }
        return db.changesCount
    }
}
