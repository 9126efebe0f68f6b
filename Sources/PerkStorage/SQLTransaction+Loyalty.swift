import Foundation
import PerkEngine
import PerkJSON
import Talang

/// Loyalty programs and points ledgers in SQL. Amounts are whole hundredths of a point.
extension SQLTransaction {
    // MARK: Programs

    static func program(_ r: SQLRow) -> LoyaltyProgram {
        LoyaltyProgram(
            id: r["id"], created: Timestamp(microseconds: r["created"]), name: r["name"], title: r["title"],
            description: r["description"],
            subscribedApplications: (json(r["applications"]).arrayValue ?? []).compactMap { $0.numberValue?.intValue },
            defaultValidity: PointsValidity(r["default_validity"]) ?? .unlimited,
            allowSubledger: r["allow_subledger"])
    }

    static func ids(_ ids: [Int64]) -> String { text(.array(ids.map { .number($0) })) }

    func insertLoyaltyProgram(_ p: LoyaltyProgram) throws -> LoyaltyProgram {
        var p = p
        do {
            p.id = try insert(
                """
                INSERT INTO loyalty_programs (name, title, description, applications, default_validity,
                    allow_subledger, created) VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                arguments: [
                    p.name, p.title, p.description, Self.ids(p.subscribedApplications), p.defaultValidity.description,
                    p.allowSubledger, p.created.microseconds,
                ])
        } catch SQLError.constraint {
            throw StoreError.duplicate("name")
        }
        try catalogChanged()
        return p
    }

    func updateLoyaltyProgram(_ p: LoyaltyProgram) throws {
        try exec(
            """
            UPDATE loyalty_programs SET title = ?, description = ?, applications = ?, default_validity = ?,
                allow_subledger = ? WHERE id = ?
            """,
            arguments: [
                p.title, p.description, Self.ids(p.subscribedApplications), p.defaultValidity.description,
                p.allowSubledger, p.id,
            ])
        try catalogChanged()
    }

    func loyaltyProgram(id: Int64) throws -> LoyaltyProgram? {
        try one("SELECT * FROM loyalty_programs WHERE id = ?", arguments: [id]).map(Self.program)
    }

    func loyaltyPrograms() throws -> [LoyaltyProgram] {
        try all("SELECT * FROM loyalty_programs ORDER BY id").map(Self.program)
    }

    // MARK: Balances

    /// Takes the lock of the profile's ledgers in the programs (in a write on PostgreSQL); the
    /// ledgers it found.
    @discardableResult
    func lockLedgers(profileId: String, programIds: [Int64], subledger: String? = nil) throws -> [LedgerKey] {
        guard !programIds.isEmpty else { return [] }
        var sql =
            "SELECT program_id, subledger FROM loyalty_ledgers WHERE profile_id = ? AND program_id IN (\(Self.placeholders(programIds.count)))"
        var args: [any SQLBindable] = [profileId] + programIds
        if let subledger {
            sql += " AND subledger = ?"
            args.append(subledger)
        }
        return try all(sql + " ORDER BY program_id, subledger" + lock, arguments: SQLArguments(args)).map {
            LedgerKey(programId: $0["program_id"], subledger: $0["subledger"])
        }
    }

    func loyaltyBalances(profileId: String, programIds: [Int64], now: Timestamp) throws -> [LedgerKey: DecimalNumber] {
        guard !profileId.isEmpty, !programIds.isEmpty else { return [:] }
        if writing { try lockLedgers(profileId: profileId, programIds: programIds) }
        let rows = try all(
            """
            SELECT program_id, subledger, CAST(SUM(remaining) AS BIGINT) AS active FROM loyalty_points
            WHERE profile_id = ? AND program_id IN (\(Self.placeholders(programIds.count))) AND remaining > 0
                AND (expires IS NULL OR expires > ?)
            GROUP BY program_id, subledger
            """, arguments: SQLArguments([profileId] + programIds + [now.microseconds]))
        var out: [LedgerKey: DecimalNumber] = [:]
        for r in rows {
            out[LedgerKey(programId: r["program_id"], subledger: r["subledger"])] = Points.decimal(r["active"])
        }
        return out
    }

    func ledgerBalances(programId: Int64, profileId: String, now: Timestamp) throws -> [String: LedgerBalance] {
        var out: [String: LedgerBalance] = [:]
        for r in try all(
            """
            SELECT subledger,
                CAST(SUM(CASE WHEN expires IS NULL OR expires > ? THEN remaining ELSE 0 END) AS BIGINT) AS active,
                CAST(SUM(CASE WHEN expires IS NOT NULL AND expires <= ? THEN remaining ELSE 0 END) AS BIGINT) AS expired
            FROM loyalty_points WHERE program_id = ? AND profile_id = ? GROUP BY subledger
            """, arguments: [now.microseconds, now.microseconds, programId, profileId])
        {
            var b = out[r["subledger"]] ?? LedgerBalance()
            b.active = Points.decimal(r["active"])
            b.expired = Points.decimal(r["expired"])
            out[r["subledger"]] = b
        }
        for r in try all(
            """
            SELECT subledger, CAST(SUM(CASE WHEN kind = 'spend' THEN amount ELSE 0 - amount END) AS BIGINT) AS spent
            FROM loyalty_transactions WHERE program_id = ? AND profile_id = ? AND kind IN ('spend', 'restore')
            GROUP BY subledger
            """, arguments: [programId, profileId])
        {
            var b = out[r["subledger"]] ?? LedgerBalance()
            b.spent = Points.decimal(r["spent"])
            out[r["subledger"]] = b
        }
        return out
    }

    // MARK: Changes

    static func newUUID() -> String { UUID().uuidString.lowercased() }

    func insertTransaction(
        kind: LoyaltyTransaction.Kind, ledger: LedgerKey, profileId: String, hundredths: Int64, name: String,
        created: Timestamp, expires: Timestamp? = nil, sessionId: String = "", campaignId: Int64? = nil,
        rulesetId: Int64? = nil, ruleName: String = "", userId: Int64? = nil, allocation: [[Int64]]? = nil
    ) throws -> (id: Int64, uuid: String) {
        let uuid = Self.newUUID()
        let id = try insert(
            """
            INSERT INTO loyalty_transactions (uuid, program_id, profile_id, subledger, kind, amount, name, created,
                expires, session_id, campaign_id, ruleset_id, rule_name, user_id, allocation)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            arguments: [
                uuid, ledger.programId, profileId, ledger.subledger, kind.rawValue, hundredths, name,
                created.microseconds, expires?.microseconds, sessionId, campaignId, rulesetId, ruleName, userId,
                allocation.map { Self.text(.array($0.map { .array($0.map { .number($0) }) })) },
            ])
        return (id, uuid)
    }

    /// Points valid from `created` until `expires`, belonging to transaction `transactionId`.
    func insertLot(
        transactionId: Int64, ledger: LedgerKey, profileId: String, hundredths: Int64, created: Timestamp,
        expires: Timestamp?
    ) throws {
        try exec(
            """
            INSERT INTO loyalty_ledgers (program_id, profile_id, subledger, created) VALUES (?, ?, ?, ?)
            ON CONFLICT (profile_id, program_id, subledger) DO NOTHING
            """, arguments: [ledger.programId, profileId, ledger.subledger, created.microseconds])
        try exec(
            """
            INSERT INTO loyalty_points (transaction_id, expiry_uuid, program_id, profile_id, subledger, amount,
                remaining, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            arguments: [
                transactionId, Self.newUUID(), ledger.programId, profileId, ledger.subledger, hundredths, hundredths,
                created.microseconds, expires?.microseconds,
            ])
    }

    func addPoints(_ a: PointsAddition) throws -> String {
        let hundredths = Points.hundredths(a.amount) ?? 0
        let t = try insertTransaction(
            kind: .earn, ledger: a.ledger, profileId: a.profileId, hundredths: hundredths, name: a.name,
            created: a.created, expires: a.expires, sessionId: a.sessionId, campaignId: a.campaignId,
            rulesetId: a.rulesetId, ruleName: a.ruleName, userId: a.userId)
        try insertLot(
            transactionId: t.id, ledger: a.ledger, profileId: a.profileId, hundredths: hundredths, created: a.created,
            expires: a.expires)
        return t.uuid
    }

    /// Takes up to `hundredths` from the ledger's active points, those expiring first first (the
    /// lots of `first` before any other); what was taken from which lot.
    func take(
        _ hundredths: Int64, ledger: LedgerKey, profileId: String, now: Timestamp, first: Int64? = nil,
        all: Bool = false
    ) throws -> [[Int64]]? {
        try lockLedgers(profileId: profileId, programIds: [ledger.programId], subledger: ledger.subledger)
        let lots = try self.all(
            """
            SELECT id, remaining FROM loyalty_points
            WHERE program_id = ? AND profile_id = ? AND subledger = ? AND remaining > 0
                AND (expires IS NULL OR expires > ?)
            ORDER BY CASE WHEN transaction_id = ? THEN 0 ELSE 1 END, CASE WHEN expires IS NULL THEN 1 ELSE 0 END,
                expires, id
            """,
            arguments: [ledger.programId, profileId, ledger.subledger, now.microseconds, first ?? -1]
        ).map { (id: $0["id"] as Int64, remaining: $0["remaining"] as Int64) }
        let available = lots.reduce(0) { $0 + $1.remaining }
        guard all || available >= hundredths else { return nil }
        var left = min(hundredths, available)
        var allocation: [[Int64]] = []
        for lot in lots where left > 0 {
            let part = min(lot.remaining, left)
            try exec("UPDATE loyalty_points SET remaining = remaining - ? WHERE id = ?", arguments: [part, lot.id])
            allocation.append([lot.id, part])
            left -= part
        }
        return allocation
    }

    func deductPoints(
        ledger: LedgerKey, profileId: String, amount: DecimalNumber, name: String, now: Timestamp, sessionId: String,
        campaignId: Int64?, rulesetId: Int64?, ruleName: String, userId: Int64?
    ) throws -> String? {
        guard let hundredths = Points.hundredths(amount),
            let allocation = try take(hundredths, ledger: ledger, profileId: profileId, now: now)
        else { return nil }
        return try insertTransaction(
            kind: .spend, ledger: ledger, profileId: profileId, hundredths: hundredths, name: name, created: now,
            sessionId: sessionId, campaignId: campaignId, rulesetId: rulesetId, ruleName: ruleName, userId: userId,
            allocation: allocation
        ).uuid
    }

    func transaction(uuid: String) throws -> SQLRow? {
        try one("SELECT * FROM loyalty_transactions WHERE uuid = ?", arguments: [uuid])
    }

    func revokePoints(transactionUUID: String, name: String, now: Timestamp) throws -> (DecimalNumber, String)? {
        guard let t = try transaction(uuid: transactionUUID) else { return nil }
        let ledger = LedgerKey(programId: t["program_id"], subledger: t["subledger"])
        let profileId: String = t["profile_id"]
        let allocation =
            try take(t["amount"], ledger: ledger, profileId: profileId, now: now, first: t["id"], all: true) ?? []
        return try givingBack(t, kind: .revoke, allocation: allocation, name: name, now: now)
    }

    /// The transaction that takes back (or gives back) `allocation` of transaction `t`: how many
    /// points it moved, and its UUID.
    func givingBack(_ t: SQLRow, kind: LoyaltyTransaction.Kind, allocation: [[Int64]], name: String, now: Timestamp)
        throws -> (DecimalNumber, String)
    {
        let moved = allocation.reduce(0) { $0 + $1[1] }
        let made = try insertTransaction(
            kind: kind, ledger: LedgerKey(programId: t["program_id"], subledger: t["subledger"]),
            profileId: t["profile_id"], hundredths: moved, name: name, created: now, sessionId: t["session_id"],
            campaignId: t["campaign_id"], rulesetId: t["ruleset_id"], ruleName: t["rule_name"], allocation: allocation)
        return (Points.decimal(moved), made.uuid)
    }

    func restorePoints(transactionUUID: String, name: String, now: Timestamp) throws -> (DecimalNumber, String)? {
        guard let t = try transaction(uuid: transactionUUID) else { return nil }
        let ledger = LedgerKey(programId: t["program_id"], subledger: t["subledger"])
        let profileId: String = t["profile_id"]
        try lockLedgers(profileId: profileId, programIds: [ledger.programId], subledger: ledger.subledger)
        let allocation = (Self.json(t["allocation"]).arrayValue ?? []).compactMap { part -> [Int64]? in
            let v = (part.arrayValue ?? []).compactMap { $0.numberValue?.intValue }
            return v.count == 2 ? v : nil
        }
        for part in allocation {
            try exec("UPDATE loyalty_points SET remaining = remaining + ? WHERE id = ?", arguments: [part[1], part[0]])
        }
        return try givingBack(t, kind: .restore, allocation: allocation, name: name, now: now)
    }

    // MARK: History

    func loyaltyTransactions(
        programId: Int64, profileId: String, filter: LoyaltyTransactionFilter, now: Timestamp, skip: Int, limit: Int
    ) throws -> [LoyaltyTransaction] {
        // Booked transactions, and the expiries of what additions had left, as of `now`.
        var booked = Conditions("t.program_id = ?", programId)
        booked.add("t.profile_id = ?", profileId)
        var expired = Conditions("p.program_id = ?", programId)
        expired.add("p.profile_id = ?", profileId)
        expired.add("p.remaining > 0 AND p.expires IS NOT NULL AND p.expires <= ?", now.microseconds)
        if let s = filter.subledger {
            booked.add("t.subledger = ?", s)
            expired.add("p.subledger = ?", s)
        }
        if !filter.sessionIds.isEmpty {
            booked.add("t.session_id IN (\(Self.placeholders(filter.sessionIds.count)))", filter.sessionIds)
            expired.add("t.session_id IN (\(Self.placeholders(filter.sessionIds.count)))", filter.sessionIds)
        }
        if !filter.transactionUUIDs.isEmpty {
            booked.add("t.uuid IN (\(Self.placeholders(filter.transactionUUIDs.count)))", filter.transactionUUIDs)
            expired.add(
                "p.expiry_uuid IN (\(Self.placeholders(filter.transactionUUIDs.count)))", filter.transactionUUIDs)
        }
        switch filter.origin {
        case .manual?:
            booked.add("t.user_id IS NOT NULL")
            expired.add("t.user_id IS NOT NULL")
        case .session?:
            booked.add("t.session_id <> ''")
            expired.add("t.session_id <> ''")
        case nil: break
        }
        if let after = filter.createdAfter {
            booked.add("t.created >= ?", after.microseconds)
            expired.add("p.expires >= ?", after.microseconds)
        }
        if let before = filter.createdBefore {
            booked.add("t.created < ?", before.microseconds)
            expired.add("p.expires < ?", before.microseconds)
        }
        let sql = """
            SELECT t.id AS id, t.uuid AS uuid, t.subledger AS subledger, t.kind AS kind, t.amount AS amount,
                t.name AS name, t.created AS created, t.expires AS expires, t.session_id AS session_id,
                t.campaign_id AS campaign_id, t.ruleset_id AS ruleset_id, t.rule_name AS rule_name,
                t.user_id AS user_id
            FROM loyalty_transactions t WHERE \(booked.clause)
            UNION ALL
            SELECT 0 - p.id AS id, p.expiry_uuid AS uuid, p.subledger AS subledger, 'expiry' AS kind,
                p.remaining AS amount, 'Expired' AS name, p.expires AS created, NULL AS expires,
                t.session_id AS session_id, t.campaign_id AS campaign_id, t.ruleset_id AS ruleset_id,
                t.rule_name AS rule_name, NULL AS user_id
            FROM loyalty_points p JOIN loyalty_transactions t ON t.id = p.transaction_id WHERE \(expired.clause)
            ORDER BY created DESC, id DESC LIMIT ? OFFSET ?
            """
        return try all(sql, arguments: SQLArguments(booked.arguments + expired.arguments + [limit, skip])).map { r in
            LoyaltyTransaction(
                id: r["id"], uuid: r["uuid"], programId: programId, profileId: profileId, subledger: r["subledger"],
                kind: LoyaltyTransaction.Kind(rawValue: r["kind"]) ?? .earn, amount: Points.decimal(r["amount"]),
                name: r["name"], created: Timestamp(microseconds: r["created"]), expires: Self.time(r["expires"]),
                sessionId: r["session_id"], campaignId: r["campaign_id"], rulesetId: r["ruleset_id"],
                ruleName: r["rule_name"], userId: r["user_id"])
        }
    }

    func pointsLots(
        programId: Int64, profileId: String, status: PointsStatus, subledger: String?, now: Timestamp, skip: Int,
        limit: Int
    ) throws -> [PointsLot] {
        var c = Conditions("p.program_id = ?", programId)
        c.add("p.profile_id = ?", profileId)
        c.add("p.remaining > 0")
        switch status {
        case .active: c.add("(p.expires IS NULL OR p.expires > ?)", now.microseconds)
        case .expired: c.add("p.expires IS NOT NULL AND p.expires <= ?", now.microseconds)
        case .pending: return []
        }
        if let subledger { c.add("p.subledger = ?", subledger) }
        return try all(
            """
            SELECT p.transaction_id, t.uuid, p.subledger, t.name, t.session_id, p.remaining, p.created, p.expires
            FROM loyalty_points p JOIN loyalty_transactions t ON t.id = p.transaction_id WHERE \(c.clause)
            ORDER BY CASE WHEN p.expires IS NULL THEN 1 ELSE 0 END, p.expires, p.id LIMIT ? OFFSET ?
            """, arguments: SQLArguments(c.arguments + [limit, skip])
        ).map { r in
            PointsLot(
                transactionId: r["transaction_id"], transactionUUID: r["uuid"], programId: programId,
                subledger: r["subledger"], name: r["name"], sessionId: r["session_id"],
                remaining: Points.decimal(r["remaining"]), created: Timestamp(microseconds: r["created"]),
                expires: Self.time(r["expires"]))
        }
    }
}
