import Logging
import PerkEngine
import PerkStorage
import ServiceLifecycle
import Talang

/// Forgets what is older than its retention: events, webhook delivery logs, and the access log
/// (also bounded in rows); and takes back CSV imports cut off by a crash. Runs in every
/// node (deleting the same old rows twice is harmless), a pass every `interval`, each pass in
/// short transactions of `batch` rows so that updates never wait long behind it.
public final class Retention: Service, Sendable {
    public struct Settings: Sendable {
        /// How long events are kept; nil: forever.
        public var events: Duration? = .seconds(365 * 86_400)
        /// How long webhook attempts, activations and finished outbox rows are kept; nil: forever.
        public var webhookLogs: Duration? = .seconds(30 * 86_400)
        /// How long the Integration API's access log is kept; nil: forever.
        public var accessLogs: Duration? = .seconds(7 * 86_400)
        /// How many access log entries are kept at most, the newest; nil: no bound.
        public var accessLogRows: Int? = 1_000_000
        /// An unfinished CSV import that has not stored a batch for this long was cut off (its
        /// process died): its codes are taken back.
        public var abandonedImports: Duration = .seconds(3_600)
        public var interval: Duration = .seconds(600)
        public var batch = 1000
        public init() {}
    }

    let store: any Store
    let clock: @Sendable () -> Timestamp
    let settings: Settings
    let logger: Logger

    public init(
        store: any Store, clock: @escaping @Sendable () -> Timestamp = PerkServer.systemClock,
        settings: Settings = Settings(), logger: Logger = Logger(label: "perk.retention")
    ) {
        self.store = store
        self.clock = clock
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                _ = try await prune()
            } catch {
                logger.warning("retention pass stopped", metadata: ["error": "\(error)"])
            }
            // The wait ends at once when the server shuts down.
            let interval = settings.interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One pass: every row past its retention deleted, a batch at a time; how many rows.
    public func prune() async throws -> Int {
        let now = clock()
        let batch = settings.batch
        func cutoff(_ keep: Duration?) -> Timestamp? {
            keep.map { Timestamp(microseconds: now.microseconds - $0.microseconds) }
        }
        var deleted = 0
        if let before = cutoff(settings.events) {
            deleted += try await store.drain(batch: batch) { tx in try tx.pruneEvents(before: before, limit: batch) }
        }
        if let before = cutoff(settings.webhookLogs) {
            deleted += try await store.drain(batch: batch) { tx in try tx.pruneWebhookLogs(before: before, limit: batch)
            }
        }
        let accessBefore = cutoff(settings.accessLogs)
        if accessBefore != nil || settings.accessLogRows != nil {
            let keep = settings.accessLogRows
            deleted += try await store.drain(batch: batch) { tx in
                try tx.pruneAccessLogs(before: accessBefore, keep: keep, limit: batch)
            }
        }
        let stale = Timestamp(microseconds: now.microseconds - settings.abandonedImports.microseconds)
        for id in try await store.read({ tx in try tx.abandonedImports(before: stale) }) {
            let undone = try await store.undoImport(id: id, batch: batch)
            logger.warning("an abandoned import was taken back", metadata: ["import": "\(id)", "coupons": "\(undone)"])
            deleted += undone
        }
        if deleted > 0 { logger.info("retention deleted old rows", metadata: ["rows": "\(deleted)"]) }
        return deleted
    }
}
