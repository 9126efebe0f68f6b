import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import PerkEngine
import PostgresNIO
import Synchronization
import Talang

/// The shared store: a PostgreSQL database that several Perk processes use at once.
///
/// Transactions run the same synchronous SQL as SQLite (`SQLTransaction`), each on a connection of
/// its own that lives on a dedicated dispatch queue, so that waiting for PostgreSQL blocks that
/// queue and never Swift's cooperative threads. Writes run at READ COMMITTED and lock the rows
/// they read to write back (`SQLTransaction.writing`): what SQLite's single writer guarantees (a
/// budget read and its update, a profile's counters read and written back) holds here across
/// processes too, with writers of the same row queueing rather than failing. Redemptions are
/// single conditional UPDATEs, sessions are compare-and-swapped on their version. A transaction
/// PostgreSQL gives up to break a deadlock is run again. Reads are REPEATABLE READ: one
/// consistent snapshot, as in SQLite.
public final class PostgresStore: Store {
    public var singleWriter: Bool { false }
    /// How often a write is run again after PostgreSQL broke a deadlock by giving it up.
    static let deadlockAttempts = 20

    private let pool: ConnectionPool

    private init(pool: ConnectionPool) { self.pool = pool }

    /// Connects to the database a `postgres://user:password@host:port/database` URL names and
    /// migrates its schema. `connections` bounds the transactions this process runs at once.
    public static func open(url: String, connections: Int = 16, logger: Logger = Logger(label: "perk.postgres"))
        async throws -> PostgresStore
    {
        let configuration = try Self.configuration(url: url)
        let pool = ConnectionPool(configuration: configuration, size: max(1, connections), logger: logger)
        try await pool.migrate()
        return PostgresStore(pool: pool)
    }

    public struct InvalidURL: Error, CustomStringConvertible {
        public let url: String
        public var description: String {
            "invalid PostgreSQL URL \"\(url)\": use postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        }
    }

    static func configuration(url: String) throws -> PostgresConnection.Configuration {
        guard let c = URLComponents(string: url), c.scheme == "postgres" || c.scheme == "postgresql",
            let user = c.user, !user.isEmpty
        else { throw InvalidURL(url: url) }
        let database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        let socket = c.queryItems?.first { $0.name == "host" }?.value
        if let socket, socket.hasPrefix("/") {
            // postgres://user@/db?host=/run/postgresql: a Unix socket directory, as libpq reads it.
            let port = c.port ?? 5432
            return PostgresConnection.Configuration(
                unixSocketPath: "\(socket)/.s.PGSQL.\(port)", username: user, password: c.password,
                database: database.isEmpty ? nil : database)
        }
        guard let host = c.host, !host.isEmpty else { throw InvalidURL(url: url) }
        return PostgresConnection.Configuration(
            host: host, port: c.port ?? 5432, username: user, password: c.password,
            database: database.isEmpty ? nil : database, tls: .disable)
    }

    /// What PostgreSQL (or the connection to it) said, for the log: postgres-nio describes its
    /// errors generically so as not to leak data, but the server's message, its SQLSTATE and the
    /// network error carry no credentials.
    public static func detail(_ error: any Error) -> String {
        guard let e = error as? PSQLError else { return "\(error)" }
        var parts = ["PostgreSQL: \(e.code)"]
        if let message = e.serverInfo?[.message] { parts.append(message) }
        if let state = e.serverInfo?[.sqlState] { parts.append("SQLSTATE \(state)") }
        if let underlying = e.underlying { parts.append("\(underlying)") }
        return parts.joined(separator: "; ")
    }

    public func read<T: Sendable>(_ body: @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        let worker = await pool.acquire()
        defer { pool.release(worker) }
        return try await worker.transaction(
            begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", attempts: 1
        ) { connection in
            try body(SQLTransaction(db: connection))
        }
    }

    public func write<T: Sendable>(durable: Bool, _ body: @Sendable (any StoreTransaction) throws -> T) async throws
        -> T
    {
        // Every commit is durable here (synchronous_commit stays on): `durable` asks for no more.
        let worker = await pool.acquire()
        defer { pool.release(worker) }
        return try await worker.transaction(begin: "BEGIN", attempts: Self.deadlockAttempts) { connection in
            try body(SQLTransaction(db: connection, writing: true))
        }
    }
}

/// A fixed set of workers, each owning one connection; a transaction waits for a free worker.
final class ConnectionPool: Sendable {
    private let workers: [Worker]
    private let state: Mutex<(idle: [Int], waiting: [CheckedContinuation<Worker, Never>])>

    init(configuration: PostgresConnection.Configuration, size: Int, logger: Logger) {
        workers = (0..<size).map { Worker(index: $0, configuration: configuration, logger: logger) }
        state = Mutex((idle: Array((0..<size).reversed()), waiting: []))
    }

    func acquire() async -> Worker {
        if let index = state.withLock({ $0.idle.popLast() }) { return workers[index] }
        return await withCheckedContinuation { continuation in
            let ready: Worker? = state.withLock { s in
                if let index = s.idle.popLast() { return workers[index] }
                s.waiting.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    func release(_ worker: Worker) {
        let next = state.withLock { s -> CheckedContinuation<Worker, Never>? in
            if s.waiting.isEmpty {
                s.idle.append(worker.index)
                return nil
            }
            return s.waiting.removeFirst()
        }
        next?.resume(returning: worker)
    }

    /// Brings the schema up to date. Several processes may start at once: an advisory lock makes
    /// them migrate one after the other.
    func migrate() async throws {
        try await workers[0].transaction(begin: "BEGIN", attempts: 1) { connection in
            try connection.run("SELECT pg_advisory_xact_lock(7365726)")
            try PostgresSchema.migrate(connection)
        }
    }
}

/// One connection and the serial queue its transactions run on.
actor Worker {
    nonisolated let index: Int
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let executor: QueueExecutor
    private var connection: BlockingPostgresConnection?

    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    init(index: Int, configuration: PostgresConnection.Configuration, logger: Logger) {
        self.index = index
        self.configuration = configuration
        self.logger = logger
        executor = QueueExecutor(queue: DispatchQueue(label: "perk.postgres.\(index)"))
    }

    deinit { connection?.close() }

    private func open() throws -> BlockingPostgresConnection {
        if let connection, !connection.connection.isClosed { return connection }
        let opened: PostgresConnection
        do {
            opened = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: index, logger: logger
            ).wait()
        } catch {
            // Refused, unreachable, or the server is starting or shutting down.
            let translated = BlockingPostgresConnection.translate(error)
            if case StoreError.unavailable = translated { throw translated }
            throw StoreError.unavailable(PostgresStore.detail(error))
        }
        let blocking = BlockingPostgresConnection(connection: opened, logger: logger)
        connection = blocking
        return blocking
    }

    /// One transaction: `begin`, the body, COMMIT; ROLLBACK when it throws. A transaction that
    /// PostgreSQL refused to serialize is run again, up to `attempts` times in all.
    func transaction<T>(begin: String, attempts: Int, _ body: (BlockingPostgresConnection) throws -> T) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            let connection = try open()
            do {
                try connection.run(begin)
                let result = try body(connection)
                try connection.run("COMMIT")
                return result
            } catch {
                if connection.connection.isClosed {
                    self.connection = nil
                    connection.close()
                } else {
                    try? connection.run("ROLLBACK")
                }
                guard case SQLError.retryTransaction = error, attempt < attempts else { throw error }
                // Back off a little, more with each attempt, so that the contenders spread out.
                usleep(UInt32.random(in: 0...UInt32(min(attempt, 20) * 500)))
            }
        }
    }
}

/// Runs an actor's jobs on a serial dispatch queue (a thread that may block).
private final class QueueExecutor: SerialExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    init(queue: DispatchQueue) { self.queue = queue }

    func enqueue(_ job: UnownedJob) {
        queue.async { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }
}

/// A postgres-nio connection used synchronously from a thread that may block.
struct BlockingPostgresConnection: SQLConnection {
    let connection: PostgresConnection
    let logger: Logger

    var dialect: SQLDialect { .postgres }

    /// `?` placeholders become `$1`, `$2`... (quoted text is left alone).
    static func numbered(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var n = 0
        var quoted = false
        for ch in sql {
            if ch == "'" { quoted.toggle() }
            if ch == "?" && !quoted {
                n += 1
                out += "$\(n)"
            } else {
                out.append(ch)
            }
        }
        return out
    }

    static func query(_ sql: String, _ arguments: SQLArguments) -> PostgresQuery {
        var binds = PostgresBindings(capacity: arguments.values.count)
        for v in arguments.values {
            switch v {
            case .null: binds.appendNull()
            case .integer(let i): binds.append(i)
            case .real(let d): binds.append(d)
            case .text(let s): binds.append(s)
            }
        }
        return PostgresQuery(unsafeSQL: numbered(sql), binds: binds)
    }

    static func value(_ cell: PostgresCell) -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8:
            return (try? cell.decode(Int64.self)).map(SQLValue.integer) ?? .null
        case .bool:
            return (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .null
        case .float4, .float8:
            return (try? cell.decode(Double.self)).map(SQLValue.real) ?? .null
        default:
            return (try? cell.decode(String.self)).map(SQLValue.text) ?? .null
        }
    }

    /// PostgreSQL's error classes as the shared code expects them. Connection failures, a server
    /// shutting down or starting, and exhausted resources (class 08, 57P0x, 53) are
    /// `StoreError.unavailable`: the request may be tried again shortly.
    static func translate(_ error: any Error) -> any Error {
        guard let e = error as? PSQLError else { return error }
        guard let state = e.serverInfo?[.sqlState] else {
            // No answer from the server at all: it is down, restarting or unreachable.
            return StoreError.unavailable(PostgresStore.detail(e))
        }
        let message = e.serverInfo?[.message] ?? state
        if state == "40001" || state == "40P01" { return SQLError.retryTransaction(message) }
        if state.hasPrefix("23") { return SQLError.constraint(message) }
        if state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P") {
            return StoreError.unavailable(PostgresStore.detail(e))
        }
        return error
    }

    func result(_ sql: String, _ arguments: SQLArguments) throws -> PostgresQueryResult {
        do {
            return try connection.query(Self.query(sql, arguments), logger: logger).wait()
        } catch {
            throw Self.translate(error)
        }
    }

    func run(_ sql: String) throws { _ = try result(sql, []) }

    /// Closes the connection; the close's callback keeps it alive until it is closed, as
    /// postgres-nio wants (it asserts a connection is closed before it goes).
    func close() {
        let connection = connection
        connection.close().whenComplete { _ in _ = connection }
    }

    func rows(_ sql: String, _ arguments: SQLArguments) throws -> [SQLRow] {
        let result = try result(sql, arguments)
        guard let first = result.rows.first else { return [] }
        let columns = SQLColumns(first.map(\.columnName))
        return result.rows.map { row in SQLRow(columns: columns, values: row.map(Self.value)) }
    }

    func execute(_ sql: String, _ arguments: SQLArguments) throws -> Int {
        try result(sql, arguments).metadata.rows ?? 0
    }
}

/// The schema, as migrations named like SQLite's; each runs once, recorded in `perk_migrations`.
enum PostgresSchema {
    /// Each migration's statements, then what it writes through the shared SQL (if anything).
    static let migrations:
        [(name: String, sql: String, then: (@Sendable (SQLTransaction<BlockingPostgresConnection>) throws -> Void)?)] =
            [
                (
                    "v1..v6: the schema of SQLite's first six migrations",
                    """
                    CREATE TABLE users (
                        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                        email TEXT NOT NULL,
                        password_hash TEXT NOT NULL,
                        created BIGINT NOT NULL);
                    CREATE UNIQUE INDEX users_by_email ON users (lower(email));
                    CREATE TABLE auth_tokens (
                        token_hash TEXT PRIMARY KEY,
                        user_id BIGINT NOT NULL REFERENCES users(id),
                        created BIGINT NOT NULL,
                        expires BIGINT NOT NULL);
                    CREATE TABLE applications (
                        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                        created BIGINT NOT NULL,
                        modified BIGINT NOT NULL,
                        name TEXT NOT NULL,
                        description TEXT,
                        timezone TEXT NOT NULL,
                        currency TEXT NOT NULL,
                        case_sensitivity TEXT NOT NULL,
                        attributes TEXT NOT NULL,
                        limits TEXT NOT NULL,
                        key TEXT NOT NULL);
                    CREATE TABLE api_keys (
                        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                        application_id BIGINT NOT NULL REFERENCES applications(id),
                        title TEXT NOT NULL,
                        key_hash TEXT NOT NULL UNIQUE,
                        created_by BIGINT NOT NULL,
                        created BIGINT NOT NULL,
                        expires BIGINT NOT NULL);
                    CREATE TABLE campaigns (
                        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                        application_id BIGINT NOT NULL REFERENCES applications(id),
                        user_id BIGINT NOT NULL,
                        created BIGINT NOT NULL,
                        updated BIGINT NOT NULL,
                        name TEXT NOT NULL,
                        description TEXT NOT NULL,
                        start_time BIGINT,
                        end_time BIGINT,
                        attributes TEXT NOT NULL,
                        state TEXT NOT NULL,
                        active_ruleset_id BIGINT,
                        tags TEXT NOT NULL,
                        features TEXT NOT NULL,
                        coupon_settings TEXT,
                        referral_settings TEXT,
                        limits TEXT NOT NULL,
                        coupon_redemption_count BIGINT NOT NULL DEFAULT 0,
                        referral_redemption_count BIGINT NOT NULL DEFAULT 0,
                        discount_count TEXT NOT NULL DEFAULT '0',
                        discount_effect_count BIGINT NOT NULL DEFAULT 0,
                        coupon_creation_count BIGINT NOT NULL DEFAULT 0,
                        last_activity BIGINT);
                    CREATE INDEX campaigns_by_application ON campaigns(application_id);
                    CREATE TABLE rulesets (
                        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                        campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
                        user_id BIGINT NOT NULL,
                        created BIGINT NOT NULL,
                        rules TEXT NOT NULL,
                        bindings TEXT NOT NULL,
                        rb_version TEXT,
                        activate BIGINT NOT NULL,
                        activated_at BIGINT);
                    CREATE INDEX rulesets_by_campaign ON rulesets(campaign_id);
                    CREATE TABLE coupons (
                        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                        application_id BIGINT NOT NULL,
                        campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
                        value TEXT NOT NULL,
                        lookup TEXT NOT NULL,
                        created BIGINT NOT NULL,
                        usage_limit BIGINT NOT NULL,
                        usage_counter BIGINT NOT NULL DEFAULT 0,
                        start_date BIGINT,
                        expiry_date BIGINT,
                        attributes TEXT NOT NULL,
                        referral_id BIGINT,
                        recipient_integration_id TEXT,
                        reservation BIGINT NOT NULL DEFAULT 1,
                        batch_id TEXT,
                        origin TEXT,
                        UNIQUE (application_id, lookup));
                    CREATE INDEX coupons_by_campaign ON coupons(campaign_id, id);
                    CREATE UNIQUE INDEX coupons_by_origin ON coupons(application_id, origin) WHERE origin IS NOT NULL;
                    CREATE TABLE coupon_redemptions (
                        coupon_id BIGINT NOT NULL,
                        profile_id TEXT NOT NULL,
                        session_id TEXT NOT NULL,
                        PRIMARY KEY (coupon_id, session_id));
                    CREATE INDEX coupon_redemptions_by_profile ON coupon_redemptions(profile_id, coupon_id);
                    CREATE TABLE profiles (
                        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                        integration_id TEXT NOT NULL UNIQUE,
                        created BIGINT NOT NULL,
                        attributes TEXT NOT NULL,
                        closed_sessions BIGINT NOT NULL DEFAULT 0,
                        total_sales TEXT NOT NULL DEFAULT '0',
                        last_activity BIGINT NOT NULL);
                    CREATE TABLE sessions (
                        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                        application_id BIGINT NOT NULL,
                        integration_id TEXT NOT NULL,
                        profile_id TEXT NOT NULL,
                        state TEXT NOT NULL,
                        created BIGINT NOT NULL,
                        updated BIGINT NOT NULL,
                        first_session BIGINT NOT NULL,
                        content TEXT NOT NULL,
                        ledger TEXT,
                        effects TEXT NOT NULL,
                        version BIGINT NOT NULL DEFAULT 0,
                        UNIQUE (application_id, integration_id));
                    CREATE INDEX sessions_by_profile ON sessions(profile_id);
                    CREATE TABLE events (
                        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                        application_id BIGINT NOT NULL,
                        session_id TEXT NOT NULL,
                        profile_id TEXT NOT NULL,
                        type TEXT NOT NULL,
                        attributes TEXT NOT NULL,
                        effects TEXT NOT NULL,
                        created BIGINT NOT NULL);
                    CREATE INDEX events_by_application ON events(application_id, id);
                    CREATE INDEX events_by_profile ON events(profile_id);
                    CREATE TABLE referrals (
                        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                        application_id BIGINT NOT NULL,
                        campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
                        code TEXT NOT NULL,
                        lookup TEXT NOT NULL,
                        created BIGINT NOT NULL,
                        advocate TEXT NOT NULL,
                        friend TEXT,
                        start_date BIGINT,
                        expiry_date BIGINT,
                        usage_limit BIGINT NOT NULL,
                        usage_counter BIGINT NOT NULL DEFAULT 0,
                        origin TEXT,
                        UNIQUE (application_id, lookup));
                    CREATE INDEX referrals_by_campaign ON referrals(campaign_id, id);
                    CREATE INDEX referrals_by_advocate ON referrals(advocate);
                    CREATE UNIQUE INDEX referrals_by_origin ON referrals(application_id, origin) WHERE origin IS NOT NULL;
                    CREATE TABLE referral_redemptions (
                        referral_id BIGINT NOT NULL,
                        profile_id TEXT NOT NULL,
                        session_id TEXT NOT NULL,
                        PRIMARY KEY (referral_id, session_id));
                    CREATE TABLE coupon_reservations (
                        coupon_id BIGINT NOT NULL,
                        profile_id TEXT NOT NULL,
                        created BIGINT NOT NULL,
                        PRIMARY KEY (coupon_id, profile_id));
                    CREATE INDEX coupon_reservations_by_profile ON coupon_reservations(profile_id, coupon_id);
                    CREATE TABLE attributes (
                        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                        created BIGINT NOT NULL,
                        entity TEXT NOT NULL,
                        event_type TEXT NOT NULL DEFAULT '',
                        name TEXT NOT NULL,
                        title TEXT NOT NULL,
                        type TEXT NOT NULL,
                        description TEXT NOT NULL,
                        suggestions TEXT NOT NULL,
                        editable BIGINT NOT NULL,
                        subscribed_applications TEXT NOT NULL,
                        built_in BIGINT NOT NULL,
                        UNIQUE (entity, event_type, name));
                    CREATE TABLE campaign_sets (
                        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                        application_id BIGINT NOT NULL UNIQUE,
                        created BIGINT NOT NULL,
                        tree TEXT NOT NULL);
                    CREATE TABLE limit_counters (
                        campaign_id BIGINT NOT NULL,
                        action TEXT NOT NULL,
                        scope TEXT NOT NULL,
                        used TEXT NOT NULL,
                        PRIMARY KEY (campaign_id, action, scope));
                    """,
                    { tx in
                        let now = Timestamp(microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000))
                        for a in AttributeDefinition.builtIns(created: now) { _ = try tx.insertAttributeRow(a) }
                    }
                ),
                ("v7: catalog version", SQLSchema.catalogVersion, nil),
                ("v8: campaign activity", SQLSchema.campaignActivity, nil),
                ("v9: health probe", SQLSchema.healthProbe, nil),
                ("v10: API key types", SQLSchema.apiKeyType, nil),
                ("v11: coupons by creation", SQLSchema.couponsByCreation, nil),
                ("v12: coupon search", "", createCouponSearch),
                ("v13: listing indexes", SQLSchema.listingIndexes, nil),
                ("v14: application discount settings", SQLSchema.applicationDiscountSettings, nil),
                (
                    "v15: loyalty and webhooks",
                    SQLSchema.loyaltyAndWebhooks(id: "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"), nil
                ),
                (
                    "v16: users, roles, changes and additional costs",
                    SQLSchema.accounts(id: "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"), nil
                ),
                ("v17: access logs", SQLSchema.accessLogs(id: "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"), nil),
                ("v18: folded codes", SQLSchema.foldedCodes, foldCodes),
                (
                    "v19: exports, imports and event types",
                    SQLSchema.transfers(id: "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"), nil
                ),
                ("v20: batched imports", SQLSchema.batchedImports, nil),
            ]

    /// A trigram index of coupon codes serves searches by part of a code, when the server lets
    /// this database have the pg_trgm extension (a trusted one: the database's owner may). Without
    /// it the searches read the campaign's coupons instead, and are slower, not wrong.
    static func createCouponSearch(_ tx: SQLTransaction<BlockingPostgresConnection>) throws {
        try tx.exec("SAVEPOINT trigrams")
        do {
            try tx.exec("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            try tx.exec("RELEASE SAVEPOINT trigrams")
        } catch {
            try tx.exec("ROLLBACK TO SAVEPOINT trigrams")
            return
        }
        try tx.exec("CREATE INDEX coupons_by_code_trigrams ON coupons USING gin (lower(value) gin_trgm_ops)")
    }

    /// Fills the folded codes (v18) and moves the trigram index, where there is one, to them.
    static func foldCodes(_ tx: SQLTransaction<BlockingPostgresConnection>) throws {
        try tx.foldStoredCodes()
        let trigrams: Int64? = try tx.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")
        guard trigrams ?? 0 > 0 else { return }
        try tx.exec("DROP INDEX IF EXISTS coupons_by_code_trigrams")
        try tx.exec("CREATE INDEX coupons_by_folded_code ON coupons USING gin (lower(folded) gin_trgm_ops)")
    }

    static func migrate(_ connection: BlockingPostgresConnection) throws {
        try connection.run(
            "CREATE TABLE IF NOT EXISTS perk_migrations (name TEXT PRIMARY KEY, applied BIGINT NOT NULL)")
        let done = Set(try connection.rows("SELECT name FROM perk_migrations", []).map { $0.first() as String })
        for m in migrations where !done.contains(m.name) {
            // One statement per call: the extended protocol takes a single statement.
            for statement in m.sql.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                try connection.run(String(statement))
            }
            try m.then?(SQLTransaction(db: connection))
            _ = try connection.execute(
                "INSERT INTO perk_migrations (name, applied) VALUES (?, ?)",
                [m.name, Int64(Date().timeIntervalSince1970)])
        }
    }
}
