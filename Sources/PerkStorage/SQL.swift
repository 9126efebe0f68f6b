/// The small SQL surface both databases share. Perk's statements are written once, with `?`
/// placeholders, in the SQL that SQLite and PostgreSQL both understand; the few places where the
/// two differ go through `SQLDialect`. A driver (GRDB for SQLite, postgres-nio for PostgreSQL)
/// runs statements and hands rows back as `SQLRow`.

/// A statement parameter or a column value.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
}

/// A Swift value that can be bound to a `?`.
public protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

extension Int64: SQLBindable { public var sqlValue: SQLValue { .integer(self) } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .integer(Int64(self)) } }
// Booleans are stored as integers 0/1 in both databases, so that one schema and one set of
// statements serve both.
extension Bool: SQLBindable { public var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// The values bound to a statement's `?`, in order.
public struct SQLArguments: ExpressibleByArrayLiteral, Sendable {
    public var values: [SQLValue]
    public init(arrayLiteral elements: (any SQLBindable)...) { values = elements.map(\.sqlValue) }
    public init(_ elements: [any SQLBindable]) { values = elements.map(\.sqlValue) }
    public init(values: [SQLValue]) { self.values = values }
    public static func + (a: SQLArguments, b: SQLArguments) -> SQLArguments {
        SQLArguments(values: a.values + b.values)
    }
}

/// A type a column can be read as. Reading never fails: a NULL or mistyped value reads as the
/// type's zero, as the rows are Perk's own.
public protocol SQLDecodable {
    static func decode(_ value: SQLValue) -> Self
}

extension Int64: SQLDecodable {
    public static func decode(_ value: SQLValue) -> Int64 {
        switch value {
        case .integer(let i): i
        case .real(let d): Int64(d)
        case .text(let s): Int64(s) ?? 0
        case .null: 0
        }
    }
}

extension Int: SQLDecodable {
    public static func decode(_ value: SQLValue) -> Int { Int(Int64.decode(value)) }
}

extension Bool: SQLDecodable {
    public static func decode(_ value: SQLValue) -> Bool { Int64.decode(value) != 0 }
}

extension String: SQLDecodable {
    public static func decode(_ value: SQLValue) -> String {
        switch value {
        case .text(let s): s
        case .integer(let i): String(i)
        case .real(let d): String(d)
        case .null: ""
        }
    }
}

extension Optional: SQLDecodable where Wrapped: SQLDecodable {
    public static func decode(_ value: SQLValue) -> Wrapped? {
        value == .null ? nil : Wrapped.decode(value)
    }
}

/// The column names of a result, shared by its rows.
public final class SQLColumns: Sendable {
    let names: [String]
    public init(_ names: [String]) { self.names = names }

    func index(of name: String) -> Int? { names.firstIndex(of: name) }
}

/// One result row, read by column name.
public struct SQLRow: Sendable {
    let columns: SQLColumns
    let values: [SQLValue]

    public init(columns: SQLColumns, values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    public subscript<T: SQLDecodable>(_ name: String) -> T {
        guard let i = columns.index(of: name) else { return T.decode(.null) }
        return T.decode(values[i])
    }

    /// The first column's value.
    func first<T: SQLDecodable>() -> T { T.decode(values.first ?? .null) }
}

/// Errors a driver reports in the same way for both databases.
public enum SQLError: Error, Sendable {
    /// A UNIQUE (or other) constraint refused the statement.
    case constraint(String)
    /// The database gave up the transaction to keep it serializable; running it again will do.
    case retryTransaction(String)
}

/// Where the two databases' SQL differs.
public struct SQLDialect: Sendable {
    /// A condition: `column` contains the bound text, ignoring ASCII case.
    public var contains: @Sendable (_ column: String) -> String
    /// A condition: the JSON array at `key` of the JSON text in `column` holds the bound string.
    public var jsonArrayHolds: @Sendable (_ column: String, _ key: String) -> String
    /// The string at `key` of the JSON text in `column`.
    public var jsonString: @Sendable (_ column: String, _ key: String) -> String
    /// A condition: the JSON object text in `column` has every member of the bound JSON object,
    /// with the same value.
    public var jsonHasMembers: @Sendable (_ column: String) -> String
    /// A FROM item: the elements of the JSON array text in `column`, as `x`.
    public var jsonElements: @Sendable (_ column: String) -> String
    /// The string at `key` of an element of `jsonElements`.
    public var elementString: @Sendable (_ key: String) -> String
    /// What ends a SELECT whose rows the transaction will write back.
    public var lockRows: String
    /// What ends a SELECT that claims rows other writers may be claiming: they skip the locked ones.
    public var skipLocked = ""
    /// The full-text table (trigram tokens) that finds coupons by part of their code, if this
    /// database keeps one; its rowid is the coupon's id.
    public var couponSearchTable: String?
    /// `table` read through its rowid only, when a condition lists the rows' ids.
    public var byRowid: @Sendable (_ table: String) -> String

    public static let sqlite = SQLDialect(
        contains: { "instr(lower(\($0)), lower(?)) > 0" },
        jsonArrayHolds: { "EXISTS (SELECT 1 FROM json_each(\($0), '$.\($1)') WHERE value = ?)" },
        jsonString: { "json_extract(\($0), '$.\($1)')" },
        jsonHasMembers: {
            """
            NOT EXISTS (SELECT 1 FROM json_each(?) AS wanted
                WHERE json_extract(\($0), '$."' || wanted.key || '"') IS NOT wanted.value)
            """
        }, jsonElements: { "json_each(\($0)) AS x" }, elementString: { "json_extract(x.value, '$.\($0)')" },
        lockRows: "", couponSearchTable: "coupon_search", byRowid: { "\($0) NOT INDEXED" })

    public static let postgres = SQLDialect(
        // LIKE rather than strpos: a trigram index on lower(value) serves it (v12).
        contains: { #"lower(\#($0)) LIKE '%' || replace(replace(replace(lower(?), '\', '\\'), '%', '\%'), '_', '\_') || '%'"# },
        jsonArrayHolds: { "(\($0)::jsonb -> '\($1)') @> jsonb_build_array(?::text)" },
        jsonString: { "(\($0)::jsonb ->> '\($1)')" },
        jsonHasMembers: { "\($0)::jsonb @> ?::jsonb" },
        jsonElements: { "jsonb_array_elements(\($0)::jsonb) AS x(value)" }, elementString: { "(x.value ->> '\($0)')" },
        lockRows: " FOR UPDATE", skipLocked: " FOR UPDATE SKIP LOCKED",
        couponSearchTable: nil, byRowid: { $0 })
}

/// A connection inside a transaction: runs one statement at a time, synchronously.
public protocol SQLConnection: SendableMetatype {
    var dialect: SQLDialect { get }
    /// Runs a query and returns its rows.
    func rows(_ sql: String, _ arguments: SQLArguments) throws -> [SQLRow]
    /// Runs a statement and returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: SQLArguments) throws -> Int
}

/// Schema pieces both databases create with the same SQL.
enum SQLSchema {
    /// One row per close (or cancel of a close) and campaign: what campaign analytics adds up.
    static let campaignActivity = """
        CREATE TABLE campaign_activity (
            campaign_id BIGINT NOT NULL,
            at BIGINT NOT NULL,
            coupon_redemptions BIGINT NOT NULL,
            coupon_rollbacks BIGINT NOT NULL,
            referral_redemptions BIGINT NOT NULL,
            free_items BIGINT NOT NULL,
            revenue TEXT NOT NULL,
            refund TEXT NOT NULL,
            discount_costs TEXT NOT NULL,
            refunded_discounts TEXT NOT NULL);
        CREATE INDEX campaign_activity_by_campaign ON campaign_activity(campaign_id, at)
        """

    /// One counter that every change to what nodes keep in memory (applications, campaigns,
    /// rulesets, campaign sets, attributes) moves on, in the same transaction as the change.
    static let catalogVersion = """
        CREATE TABLE catalog_version (id BIGINT PRIMARY KEY, version BIGINT NOT NULL);
        INSERT INTO catalog_version (id, version) VALUES (1, 0)
        """

    /// One row that `/health` writes to, to know the database takes writes, not only reads.
    static let healthProbe = """
        CREATE TABLE health_probe (id BIGINT PRIMARY KEY, checked BIGINT NOT NULL);
        INSERT INTO health_probe (id, checked) VALUES (1, 0)
        """

    /// Staging keys (dry runs only).
    static let apiKeyType = "ALTER TABLE api_keys ADD COLUMN type TEXT NOT NULL DEFAULT ''"

    /// Coupon listings newest first, and searches by code within them, walk this index instead
    /// of sorting or reading a campaign's every row (1,000,000 coupons: 2 s down to milliseconds).
    static let couponsByCreation = "CREATE INDEX coupons_by_campaign_created ON coupons(campaign_id, created, id, value)"

    /// The management listings of sessions and events (an application's newest first, or one
    /// customer's, or one session's) walk these instead of sorting or scanning every row of the
    /// application: 100,000 sessions made a customer's page take 300 ms before.
    static let listingIndexes = """
        CREATE INDEX sessions_by_application ON sessions(application_id, id);
        CREATE INDEX sessions_by_application_profile ON sessions(application_id, profile_id, id);
        CREATE INDEX events_by_application_profile ON events(application_id, profile_id, id);
        CREATE INDEX events_by_application_session ON events(application_id, session_id, id)
        """

    /// Applications' cart item flattening and partial discounts (off for those made before).
    static let applicationDiscountSettings = """
        ALTER TABLE applications ADD COLUMN flattened_cart_items BIGINT NOT NULL DEFAULT 0;
        ALTER TABLE applications ADD COLUMN partial_discounts BIGINT NOT NULL DEFAULT 0
        """

    /// SQLite's index of coupons by part of their code: the trigrams of each code, kept by
    /// triggers. A search for a rare code reads a few of its rows instead of every coupon.
    static let sqliteCouponSearch = """
        CREATE VIRTUAL TABLE coupon_search USING fts5(value, content='coupons', content_rowid='id', tokenize='trigram');
        CREATE TRIGGER coupon_search_insert AFTER INSERT ON coupons BEGIN
            INSERT INTO coupon_search(rowid, value) VALUES (new.id, new.value);
        END;
        CREATE TRIGGER coupon_search_delete AFTER DELETE ON coupons BEGIN
            INSERT INTO coupon_search(coupon_search, rowid, value) VALUES ('delete', old.id, old.value);
        END;
        CREATE TRIGGER coupon_search_update AFTER UPDATE OF value ON coupons BEGIN
            INSERT INTO coupon_search(coupon_search, rowid, value) VALUES ('delete', old.id, old.value);
            INSERT INTO coupon_search(rowid, value) VALUES (new.id, new.value);
        END;
        INSERT INTO coupon_search(coupon_search) VALUES ('rebuild');
        """

    /// Loyalty programs and their ledgers, webhooks and their outbox (v15). `id` is the
    /// database's auto-numbered primary key column.
    static func loyaltyAndWebhooks(id: String) -> String {
        """
        CREATE TABLE loyalty_programs (
            id \(id),
            name TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            description TEXT NOT NULL,
            applications TEXT NOT NULL,
            default_validity TEXT NOT NULL,
            allow_subledger BIGINT NOT NULL,
            created BIGINT NOT NULL);
        CREATE TABLE loyalty_ledgers (
            program_id BIGINT NOT NULL,
            profile_id TEXT NOT NULL,
            subledger TEXT NOT NULL,
            created BIGINT NOT NULL,
            PRIMARY KEY (profile_id, program_id, subledger));
        CREATE TABLE loyalty_transactions (
            id \(id),
            uuid TEXT NOT NULL UNIQUE,
            program_id BIGINT NOT NULL,
            profile_id TEXT NOT NULL,
            subledger TEXT NOT NULL,
            kind TEXT NOT NULL,
            amount BIGINT NOT NULL,
            name TEXT NOT NULL,
            created BIGINT NOT NULL,
            expires BIGINT,
            session_id TEXT NOT NULL,
            campaign_id BIGINT,
            ruleset_id BIGINT,
            rule_name TEXT NOT NULL,
            user_id BIGINT,
            allocation TEXT);
        CREATE INDEX loyalty_transactions_by_ledger ON loyalty_transactions(program_id, profile_id, id);
        CREATE TABLE loyalty_points (
            id \(id),
            transaction_id BIGINT NOT NULL,
            expiry_uuid TEXT NOT NULL,
            program_id BIGINT NOT NULL,
            profile_id TEXT NOT NULL,
            subledger TEXT NOT NULL,
            amount BIGINT NOT NULL,
            remaining BIGINT NOT NULL,
            created BIGINT NOT NULL,
            expires BIGINT);
        CREATE INDEX loyalty_points_by_ledger ON loyalty_points(program_id, profile_id, subledger, expires);
        ALTER TABLE campaign_activity ADD COLUMN added_points TEXT NOT NULL DEFAULT '0';
        ALTER TABLE campaign_activity ADD COLUMN deducted_points TEXT NOT NULL DEFAULT '0';
        CREATE TABLE webhooks (
            id \(id),
            created BIGINT NOT NULL,
            modified BIGINT NOT NULL,
            applications TEXT NOT NULL,
            title TEXT NOT NULL,
            description TEXT NOT NULL,
            verb TEXT NOT NULL,
            url TEXT NOT NULL,
            headers TEXT NOT NULL,
            payload TEXT NOT NULL,
            params TEXT NOT NULL,
            enabled BIGINT NOT NULL,
            secret TEXT NOT NULL);
        CREATE TABLE webhook_outbox (
            id \(id),
            uuid TEXT NOT NULL UNIQUE,
            webhook_id BIGINT NOT NULL,
            application_id BIGINT NOT NULL,
            campaign_id BIGINT NOT NULL,
            request_uuid TEXT NOT NULL,
            verb TEXT NOT NULL,
            url TEXT NOT NULL,
            headers TEXT NOT NULL,
            body TEXT NOT NULL,
            created BIGINT NOT NULL,
            attempts BIGINT NOT NULL,
            due BIGINT NOT NULL,
            state TEXT NOT NULL);
        CREATE INDEX webhook_outbox_due ON webhook_outbox(state, due);
        CREATE TABLE webhook_activations (
            id \(id),
            request_uuid TEXT NOT NULL,
            webhook_id BIGINT NOT NULL,
            application_id BIGINT NOT NULL,
            campaign_id BIGINT NOT NULL,
            created BIGINT NOT NULL);
        CREATE INDEX webhook_activations_by_created ON webhook_activations(created);
        CREATE TABLE webhook_logs (
            id \(id),
            uuid TEXT NOT NULL,
            delivery_uuid TEXT NOT NULL,
            request_uuid TEXT NOT NULL,
            webhook_id BIGINT NOT NULL,
            application_id BIGINT NOT NULL,
            campaign_id BIGINT NOT NULL,
            url TEXT NOT NULL,
            request TEXT NOT NULL,
            response TEXT,
            status BIGINT,
            request_time BIGINT NOT NULL,
            response_time BIGINT);
        CREATE INDEX webhook_logs_by_time ON webhook_logs(request_time)
        """
    }

    /// Users' names, states and admin flags, roles, the audit log and additional costs (v16).
    /// Users from before roles existed could do everything: they become admins.
    static func accounts(id: String) -> String {
        """
        ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';
        ALTER TABLE users ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
        ALTER TABLE users ADD COLUMN admin BIGINT NOT NULL DEFAULT 0;
        ALTER TABLE users ADD COLUMN modified BIGINT NOT NULL DEFAULT 0;
        UPDATE users SET admin = 1, modified = created;
        CREATE TABLE roles (
            id \(id),
            name TEXT NOT NULL,
            description TEXT NOT NULL,
            acl TEXT NOT NULL,
            created BIGINT NOT NULL,
            modified BIGINT NOT NULL);
        CREATE TABLE role_members (
            role_id BIGINT NOT NULL,
            user_id BIGINT NOT NULL,
            PRIMARY KEY (role_id, user_id));
        CREATE INDEX role_members_by_user ON role_members(user_id);
        CREATE TABLE changes (
            id \(id),
            created BIGINT NOT NULL,
            user_id BIGINT NOT NULL,
            application_id BIGINT,
            entity TEXT NOT NULL,
            old TEXT,
            new TEXT);
        CREATE INDEX changes_by_application ON changes(application_id, id);
        CREATE TABLE additional_costs (
            id \(id),
            created BIGINT NOT NULL,
            name TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            description TEXT NOT NULL,
            applications TEXT NOT NULL)
        """
    }

    /// The Integration API's access log (v17): the newest rows by id, an application's by time.
    static func accessLogs(id: String) -> String {
        """
        CREATE TABLE access_logs (
            id \(id),
            application_id BIGINT NOT NULL,
            uuid TEXT NOT NULL,
            method TEXT NOT NULL,
            request_uri TEXT NOT NULL,
            path TEXT NOT NULL,
            status BIGINT NOT NULL,
            time BIGINT NOT NULL,
            request_payload TEXT NOT NULL,
            response_payload TEXT NOT NULL);
        CREATE INDEX access_logs_by_application ON access_logs(application_id, time)
        """
    }

    /// The record of exports and imports, and events by type (v19: distinct types by a loose
    /// index scan, and the `type` filter of the event listing).
    static func transfers(id: String) -> String {
        """
        CREATE INDEX events_by_application_type ON events(application_id, type, id);
        CREATE TABLE exports (
            id \(id),
            created BIGINT NOT NULL,
            user_id BIGINT NOT NULL,
            entity TEXT NOT NULL,
            application_id BIGINT,
            campaign_id BIGINT,
            filter TEXT NOT NULL);
        CREATE TABLE imports (
            id \(id),
            created BIGINT NOT NULL,
            user_id BIGINT NOT NULL,
            entity TEXT NOT NULL,
            application_id BIGINT,
            campaign_id BIGINT,
            amount BIGINT NOT NULL)
        """
    }

    /// Imports that commit their codes in batches (v20): each coupon knows the import that made
    /// it, so that a failed or abandoned import can take its codes back.
    static let batchedImports = """
        ALTER TABLE coupons ADD COLUMN import_id BIGINT;
        CREATE INDEX coupons_by_import ON coupons(import_id) WHERE import_id IS NOT NULL;
        ALTER TABLE imports ADD COLUMN finished BIGINT NOT NULL DEFAULT 1;
        ALTER TABLE imports ADD COLUMN touched BIGINT NOT NULL DEFAULT 0
        """

    /// Coupon and referral codes folded for searches by part of a code (v18): filled by
    /// `SQLTransaction.foldStoredCodes()`.
    static let foldedCodes = """
        ALTER TABLE coupons ADD COLUMN folded TEXT NOT NULL DEFAULT '';
        ALTER TABLE referrals ADD COLUMN folded TEXT NOT NULL DEFAULT ''
        """

    /// SQLite's index of coupons by part of their code (v12) moves to the folded codes (v18).
    static let sqliteFoldedCouponSearch = """
        DROP TRIGGER coupon_search_insert;
        DROP TRIGGER coupon_search_delete;
        DROP TRIGGER coupon_search_update;
        DROP TABLE coupon_search;
        CREATE VIRTUAL TABLE coupon_search USING fts5(folded, content='coupons', content_rowid='id', tokenize='trigram');
        CREATE TRIGGER coupon_search_insert AFTER INSERT ON coupons BEGIN
            INSERT INTO coupon_search(rowid, folded) VALUES (new.id, new.folded);
        END;
        CREATE TRIGGER coupon_search_delete AFTER DELETE ON coupons BEGIN
            INSERT INTO coupon_search(coupon_search, rowid, folded) VALUES ('delete', old.id, old.folded);
        END;
        CREATE TRIGGER coupon_search_update AFTER UPDATE OF folded ON coupons BEGIN
            INSERT INTO coupon_search(coupon_search, rowid, folded) VALUES ('delete', old.id, old.folded);
            INSERT INTO coupon_search(rowid, folded) VALUES (new.id, new.folded);
        END;
        INSERT INTO coupon_search(coupon_search) VALUES ('rebuild');
        """
}
