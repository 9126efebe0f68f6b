import PerkEngine
import PerkJSON
import Talang

/// The storage protocol in SQL, once for both databases: one transaction of a connection. This
/// file holds the statement helpers; each domain's statements are in `SQLTransaction+<Domain>.swift`.
///
/// Rows that a write reads and then writes back (a profile's counters, a campaign's discount sum,
/// budget counters) are read with the dialect's row lock in a write transaction, so that on
/// PostgreSQL, where writers run side by side, the second writer waits for the first one's commit
/// and reads its result. SQLite has a single writer and needs no lock.
struct SQLTransaction<Connection: SQLConnection>: StoreTransaction {
    let db: Connection
    /// A write transaction: reads of rows it will write back take the row lock.
    var writing = false

    /// `FOR UPDATE` where it is needed and understood, to end a SELECT with.
    var lock: String { writing ? db.dialect.lockRows : "" }

    // MARK: Statements

    func one(_ sql: String, arguments: SQLArguments = []) throws -> SQLRow? {
        try db.rows(sql, arguments).first
    }

    func all(_ sql: String, arguments: SQLArguments = []) throws -> [SQLRow] {
        try db.rows(sql, arguments)
    }

    /// Runs a statement; how many rows it changed.
    @discardableResult
    func exec(_ sql: String, arguments: SQLArguments = []) throws -> Int {
        try db.execute(sql, arguments)
    }

    /// The first column of the first row.
    func scalar<T: SQLDecodable>(_ sql: String, arguments: SQLArguments = []) throws -> T? {
        try one(sql, arguments: arguments).map { $0.first() }
    }

    /// The first column of every row.
    func column<T: SQLDecodable>(_ sql: String, arguments: SQLArguments = []) throws -> [T] {
        try all(sql, arguments: arguments).map { $0.first() }
    }

    /// Runs an INSERT and returns the new row's id.
    func insert(_ sql: String, arguments: SQLArguments) throws -> Int64 {
        try scalar(sql + " RETURNING id", arguments: arguments) ?? 0
    }

    /// `?, ?, ?`: one placeholder per value of an `IN (...)` list.
    static func placeholders(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ",") }

    // MARK: Encoding helpers

    static func text(_ json: JSON) -> String { json.text }

    static func json(_ text: String?) -> JSON {
        guard let text, let j = try? JSON.parse(text) else { return .null }
        return j
    }

    static func object(_ text: String?) -> JSONObject { json(text).objectValue ?? JSONObject() }

    static func strings(_ text: String?) -> [String] { json(text).arrayValue?.compactMap(\.stringValue) ?? [] }

    static func time(_ v: Int64?) -> Timestamp? { v.map(Timestamp.init(microseconds:)) }

    static func decimal(_ text: String?) -> DecimalNumber { text.flatMap { DecimalNumber($0) } ?? .zero }

    static func limits(_ text: String) -> [LimitConfig] {
        (json(text).arrayValue ?? []).compactMap { try? LimitConfig(json: $0, at: "") }
    }

    static func settings(_ text: String?) -> CodeGeneratorSettings? {
        guard let text else { return nil }
        return try? CodeGeneratorSettings(json: json(text), at: "")
    }

    // MARK: Catalog

    func catalogVersion() throws -> Int64 {
        try scalar("SELECT version FROM catalog_version WHERE id = 1") ?? 0
    }

    /// Moves the catalog version, in the transaction that changes the catalog.
    func catalogChanged() throws {
        try exec("UPDATE catalog_version SET version = version + 1 WHERE id = 1")
    }

    func probeWrite(now: Timestamp) throws {
        try exec("UPDATE health_probe SET checked = ? WHERE id = 1", arguments: [now.microseconds])
    }
}

/// A WHERE clause built from the optional filters of a management listing.
struct Conditions {
    private(set) var terms: [String] = []
    private(set) var arguments: [any SQLBindable] = []

    init(_ sql: String, _ values: any SQLBindable...) { add(sql, values) }

    mutating func add(_ sql: String, _ values: any SQLBindable...) { add(sql, values) }

    mutating func add(_ sql: String, _ values: [any SQLBindable]) {
        terms.append(sql)
        arguments += values
    }

    var clause: String { terms.joined(separator: " AND ") }

    /// `column` holds one of `values`; an empty list matches nothing.
    mutating func add(_ column: String, in values: [any SQLBindable]) {
        let marks = values.isEmpty ? "NULL" : Array(repeating: "?", count: values.count).joined(separator: ",")
        add("\(column) IN (\(marks))", values)
    }

    /// Codes (coupons, referrals) valid at `now`, expired, or not valid yet.
    mutating func add(validity: CouponFilter.Validity?, now: Timestamp) {
        let n = now.microseconds
        switch validity {
        case .expired?: add("expiry_date IS NOT NULL AND expiry_date <= ?", n)
        case .validNow?:
            add("(start_date IS NULL OR start_date <= ?) AND (expiry_date IS NULL OR expiry_date > ?)", n, n)
        case .validFuture?: add("start_date IS NOT NULL AND start_date > ?", n)
        case nil: break
        }
    }

    /// Codes under (true) or at (false) their usage limit.
    mutating func add(usable: Bool?) {
        switch usable {
        case true?: add("(usage_limit = 0 OR usage_counter < usage_limit)")
        case false?: add("usage_limit > 0 AND usage_counter >= usage_limit")
        case nil: break
        }
    }
}

extension SQLTransaction {
    /// One page of `SELECT * FROM table WHERE conditions ORDER BY order`, and the count of all matches.
    func page<T>(
        _ table: String, _ c: Conditions, order: String = "id", skip: Int, limit: Int, counting: Bool = true,
        _ map: (SQLRow) -> T
    ) throws -> Page<T> {
        let rows = try all(
            "SELECT * FROM \(table) WHERE \(c.clause) ORDER BY \(order) LIMIT ? OFFSET ?",
            arguments: SQLArguments(c.arguments + [limit, skip]))
        guard counting else { return Page(items: rows.map(map), total: -1) }
        let total =
            try scalar("SELECT count(*) FROM \(table) WHERE \(c.clause)", arguments: SQLArguments(c.arguments))
            ?? 0
        return Page(items: rows.map(map), total: total)
    }
}

/// Coupons and referral codes are used the same way: a usage counter under a limit, and a row per
/// (code, session) saying which session used it and for which profile.
enum CodeTable {
    case coupon, referral

    var table: String { self == .coupon ? "coupons" : "referrals" }
    var usageTable: String { self == .coupon ? "coupon_redemptions" : "referral_redemptions" }
    var usageColumn: String { self == .coupon ? "coupon_id" : "referral_id" }
}

extension SQLTransaction {
    /// Counts one use if the code is under its limit. The decision is the result of this one
    /// statement, never of an earlier read.
    func redeem(_ code: CodeTable, id: Int64, profileId: String, sessionId: String) throws -> Bool {
        let counter: Int64? = try scalar(
            """
            UPDATE \(code.table) SET usage_counter = usage_counter + 1
            WHERE id = ? AND (usage_limit = 0 OR usage_counter < usage_limit) RETURNING usage_counter
            """, arguments: [id])
        let counted = counter != nil
        if counted {
            do {
                try exec(
                    "INSERT INTO \(code.usageTable) (\(code.usageColumn), profile_id, session_id) VALUES (?, ?, ?)",
                    arguments: [id, profileId, sessionId])
            } catch SQLError.constraint {
                // Another request closed this session first (PostgreSQL lets both get here):
                // this one starts over and finds it closed.
                throw StoreError.conflict
            }
        }
        return counted
    }

    /// Gives back the use that session `sessionId` counted, if it counted one.
    func release(_ code: CodeTable, id: Int64, sessionId: String) throws {
        let released = try exec(
            "DELETE FROM \(code.usageTable) WHERE \(code.usageColumn) = ? AND session_id = ?",
            arguments: [id, sessionId])
        if released > 0 {
            try exec(
                """
                UPDATE \(code.table) SET usage_counter = CASE WHEN usage_counter > 0 THEN usage_counter - 1 ELSE 0 END
                WHERE id = ?
                """, arguments: [id])
        }
    }
}
