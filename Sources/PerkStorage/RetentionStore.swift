import PerkEngine
import Talang

/// What may be forgotten once it is old: events (the history of integration requests) and the
/// logs of webhook deliveries. Each call deletes at most `limit` of the oldest rows, so that a
/// pass over a large table is many short transactions rather than one long lock.
public protocol RetentionStore {
    /// Deletes up to `limit` events created before `before`; how many.
    func pruneEvents(before: Timestamp, limit: Int) throws -> Int
    /// Deletes up to `limit` webhook attempts and activations from before `before`, and outbox
    /// rows delivered or given up before it; how many rows in all.
    func pruneWebhookLogs(before: Timestamp, limit: Int) throws -> Int
}

extension SQLTransaction: RetentionStore {
    // The oldest rows have the smallest ids: walking the primary key from the start finds them
    // without an index on their time.
    func pruneEvents(before: Timestamp, limit: Int) throws -> Int {
        try exec(
            "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created < ? ORDER BY id LIMIT ?)",
            arguments: [before.microseconds, limit])
    }

    func pruneWebhookLogs(before: Timestamp, limit: Int) throws -> Int {
        let t = before.microseconds
        return try exec(
            "DELETE FROM webhook_logs WHERE id IN (SELECT id FROM webhook_logs WHERE request_time < ? ORDER BY id LIMIT ?)",
            arguments: [t, limit])
            + exec(
                """
                DELETE FROM webhook_activations WHERE id IN
                    (SELECT id FROM webhook_activations WHERE created < ? ORDER BY id LIMIT ?)
                """, arguments: [t, limit])
            + exec(
                """
                DELETE FROM webhook_outbox WHERE id IN
                    (SELECT id FROM webhook_outbox WHERE state <> 'pending' AND created < ? ORDER BY id LIMIT ?)
                """, arguments: [t, limit])
    }
}
