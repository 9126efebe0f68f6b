import PerkEngine
import Talang

/// The access log in SQL.
extension SQLTransaction: AccessLogStore {
    func insertAccessLogs(_ entries: [AccessLogEntry]) throws {
        // Several rows per statement: a second's worth of requests is a few statements.
        for chunk in stride(from: 0, to: entries.count, by: 100).map({ entries[$0..<min($0 + 100, entries.count)] }) {
            var arguments: [any SQLBindable] = []
            arguments.reserveCapacity(chunk.count * 9)
            for e in chunk {
                let path = e.requestURI.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first
                arguments += [
                    e.applicationId, e.uuid, e.method, e.requestURI, String(path ?? ""), e.status, e.time.microseconds,
                    e.requestPayload, e.responsePayload,
                ]
            }
            let rows = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
            try exec(
                """
                INSERT INTO access_logs (application_id, uuid, method, request_uri, path, status, time,
                    request_payload, response_payload) VALUES \(rows)
                """, arguments: SQLArguments(arguments))
        }
    }

    func accessLogs(filter: AccessLogFilter, skip: Int, limit: Int, counting: Bool) throws -> Page<AccessLogEntry> {
        var c = Conditions("time >= ? AND time < ?", filter.rangeStart.microseconds, filter.rangeEnd.microseconds)
        if let a = filter.applicationId { c.add("application_id = ?", a) }
        if let p = filter.path { c.add("path = ?", p) }
        if let m = filter.method { c.add("method = ?", m) }
        switch filter.success {
        case true?: c.add("status >= 200 AND status < 300")
        case false?: c.add("(status < 200 OR status >= 300)")
        case nil: break
        }
        return try page(
            "access_logs", c, order: filter.descending ? "id DESC" : "id ASC", skip: skip, limit: limit,
            counting: counting
        ) { r in
            var e = AccessLogEntry(
                applicationId: r["application_id"], uuid: r["uuid"], method: r["method"], requestURI: r["request_uri"],
                status: r["status"], time: Timestamp(microseconds: r["time"]), requestPayload: r["request_payload"],
                responsePayload: r["response_payload"])
            e.id = r["id"]
            return e
        }
    }

    func accessSummary(applicationId: Int64, since: Timestamp) throws -> AccessSummary {
        // max() of no rows is NULL: decoded as an optional, not as 0.
        let last: Int64?? = try scalar(
            "SELECT max(time) FROM access_logs WHERE application_id = ?", arguments: [applicationId])
        let row = try one(
            """
            SELECT count(*) AS requests,
                CAST(COALESCE(SUM(CASE WHEN status >= 500 THEN 1 ELSE 0 END), 0) AS BIGINT) AS server,
                CAST(COALESCE(SUM(CASE WHEN status >= 400 AND status < 500 THEN 1 ELSE 0 END), 0) AS BIGINT) AS client
            FROM access_logs WHERE application_id = ? AND time >= ?
            """, arguments: [applicationId, since.microseconds])
        return AccessSummary(
            lastUsed: (last ?? nil).map(Timestamp.init(microseconds:)), requests: row?["requests"] ?? 0,
            serverErrors: row?["server"] ?? 0, clientErrors: row?["client"] ?? 0)
    }

    func pruneAccessLogs(before: Timestamp?, keep: Int?, limit: Int) throws -> Int {
        var deleted = 0
        if let before {
            deleted += try exec(
                "DELETE FROM access_logs WHERE id IN (SELECT id FROM access_logs WHERE time < ? ORDER BY id LIMIT ?)",
                arguments: [before.microseconds, limit])
        }
        if let keep, deleted < limit,
            let newestGone: Int64 = try scalar(
                "SELECT id FROM access_logs ORDER BY id DESC LIMIT 1 OFFSET ?", arguments: [keep])
        {
            deleted += try exec(
                "DELETE FROM access_logs WHERE id IN (SELECT id FROM access_logs WHERE id <= ? ORDER BY id LIMIT ?)",
                arguments: [newestGone, limit - deleted])
        }
        return deleted
    }
}
