import PerkEngine
import PerkJSON
import Talang

/// The record of exports and imports, and the event types seen, in SQL.
extension SQLTransaction: TransferStore {
    func insertExport(_ r: TransferRecord) throws {
        try exec(
            """
            INSERT INTO exports (created, user_id, entity, application_id, campaign_id, filter)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
            arguments: [
                r.created.microseconds, r.userId, r.entity, r.applicationId, r.campaignId, Self.text(.object(r.filter)),
            ])
    }

    func insertImport(_ r: TransferRecord) throws -> TransferRecord {
        var saved = r
        saved.id =
            try scalar(
                """
                INSERT INTO imports (created, user_id, entity, application_id, campaign_id, amount, finished, touched)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """,
                arguments: [
                    r.created.microseconds, r.userId, r.entity, r.applicationId, r.campaignId, r.amount, r.finished,
                    r.created.microseconds,
                ])
            ?? 0
        return saved
    }

    func updateImport(id: Int64, amount: Int64, finished: Bool, now: Timestamp) throws {
        try exec(
            "UPDATE imports SET amount = ?, finished = ?, touched = ? WHERE id = ?",
            arguments: [amount, finished, now.microseconds, id])
    }

    func undoImport(id: Int64, limit: Int) throws -> Int {
        let ids: [Int64] = try column(
            "SELECT id FROM coupons WHERE import_id = ? LIMIT ?", arguments: [id, limit])
        if !ids.isEmpty {
            let marks = Self.placeholders(ids.count)
            try exec("DELETE FROM coupon_reservations WHERE coupon_id IN (\(marks))", arguments: SQLArguments(ids))
            try exec("DELETE FROM coupons WHERE id IN (\(marks))", arguments: SQLArguments(ids))
        }
        if ids.count < limit { try exec("DELETE FROM imports WHERE id = ?", arguments: [id]) }
        return ids.count
    }

    func abandonedImports(before: Timestamp) throws -> [Int64] {
        try column("SELECT id FROM imports WHERE finished = 0 AND touched < ?", arguments: [before.microseconds])
    }

    static func transfer(_ r: SQLRow, exported: Bool) -> TransferRecord {
        var t = TransferRecord(
            created: Timestamp(microseconds: r["created"]), userId: r["user_id"], entity: r["entity"],
            applicationId: r["application_id"], campaignId: r["campaign_id"])
        t.id = r["id"]
        if exported {
            t.filter = object(r["filter"])
        } else {
            t.amount = r["amount"]
            t.finished = r["finished"]
        }
        return t
    }

    func exports(filter f: TransferFilter, skip: Int, limit: Int) throws -> Page<TransferRecord> {
        var c = Conditions("1 = 1")
        if let a = f.applicationId { c.add("application_id = ?", a) }
        if let a = f.campaignId { c.add("campaign_id = ?", a) }
        if let list = f.entities { c.add("entity", in: list) }
        return try page("exports", c, order: "id DESC", skip: skip, limit: limit) { Self.transfer($0, exported: true) }
    }

    func imports(skip: Int, limit: Int) throws -> Page<TransferRecord> {
        try page("imports", Conditions("finished = 1"), order: "id DESC", skip: skip, limit: limit) {
            Self.transfer($0, exported: false)
        }
    }

    func eventTypes(applicationId: Int64) throws -> [RecordedEventType] {
        // A loose index scan: each step seeks the next type in (application_id, type, id).
        let names: [String] = try column(
            """
            WITH RECURSIVE t(type) AS (
                SELECT min(type) FROM events WHERE application_id = ?
                UNION ALL
                SELECT (SELECT min(type) FROM events WHERE application_id = ? AND type > t.type) FROM t
                WHERE t.type IS NOT NULL)
            SELECT type FROM t WHERE type IS NOT NULL
            """, arguments: [applicationId, applicationId])
        return try names.compactMap { name in
            try one(
                "SELECT id, created FROM events WHERE application_id = ? AND type = ? ORDER BY id LIMIT 1",
                arguments: [applicationId, name]
            ).map {
                RecordedEventType(name: name, firstEventId: $0["id"], firstSeen: Timestamp(microseconds: $0["created"]))
            }
        }
    }
}
