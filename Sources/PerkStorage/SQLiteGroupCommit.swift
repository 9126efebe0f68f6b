import GRDB
import Synchronization

/// Group commit for SQLite's single writer: the writes that arrive while a transaction is being
/// written go together into the next one, each in a savepoint of its own. A write that throws
/// is rolled back to its savepoint alone, and answers its error; the others answer only once
/// their shared transaction has committed, so every answer still means "stored". A batch with a
/// `durable` write commits with `synchronous = FULL`: the fsync covers all of its writes.
///
/// Why: one transaction per update made SQLite append every changed page to the WAL once per
/// update (the sessions' and events' last leaves and their indexes are the same few pages), and
/// every write paid the hop to the writer's queue and BEGIN/COMMIT alone.
final class SQLiteGroupCommit: Sendable {
    /// Writes per transaction at most, so that one write never waits behind a long batch.
    static let maxBatch = 32

    /// One write waiting for its batch. Its body is taken out to run, and released before any
    /// write of the batch is answered: the caller's non-escaping body must not outlive its call.
    private final class Job: Sendable {
        let durable: Bool
        private let body = Mutex<(@Sendable (Database) -> (any Error)?)?>(nil)
        /// Answers the write: with what it answered, or with the error that lost the transaction.
        let finish: @Sendable ((any Error)?) -> Void

        init(
            durable: Bool, run: @escaping @Sendable (Database) -> (any Error)?,
            finish: @escaping @Sendable ((any Error)?) -> Void
        ) {
            self.durable = durable
            self.finish = finish
            body.withLock { $0 = run }
        }

        /// Runs the write in the open transaction; the error it threw, if any.
        func run(_ db: Database) -> (any Error)? {
            guard
                let run = body.withLock({ b in
                    defer { b = nil }
                    return b
                })
            else { return CancellationError() }  // never: each job runs once
            return run(db)
        }

        func release() { body.withLock { $0 = nil } }
    }

    private struct Queue {
        var jobs: [Job] = []
        /// A batch is taken or waits for the writer: the next enqueue need not ask for one.
        var scheduled = false
    }

    private let pool: DatabasePool
    private let queue = Mutex(Queue())

    init(pool: DatabasePool) { self.pool = pool }

    func write<T: Sendable>(durable: Bool, _ body: @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await withoutActuallyEscaping(body) { escaping in
            let answer = Answer<T>()
            return try await withCheckedThrowingContinuation { continuation in
                enqueue(
                    Job(
                        durable: durable,
                        run: { db in
                            let result = Result {
                                try escaping(SQLTransaction(db: GRDBConnection(db: db), writing: true))
                            }
                            answer.value.withLock { $0 = result }
                            if case .failure(let error) = result { return error }
                            return nil
                        },
                        finish: { lost in
                            if let lost {
                                continuation.resume(throwing: lost)
                            } else {
                                continuation.resume(with: answer.value.withLock { $0! })
                            }
                        }))
            }
        }
    }

    private func enqueue(_ job: Job) {
        let schedule = queue.withLock { q -> Bool in
            q.jobs.append(job)
            defer { q.scheduled = true }
            return !q.scheduled
        }
        if schedule { scheduleBatch() }
    }

    /// Asks the writer for one transaction; the batch is taken once it is granted, so that it holds
    /// every write that arrived while waiting. Writes that arrive meanwhile ask again after it,
    /// behind the other users of the writer (the access log, retention), who are not starved.
    private func scheduleBatch() {
        pool.asyncWriteWithoutTransaction { [self] db in
            let batch = queue.withLock { q -> [Job] in
                let taken = Array(q.jobs.prefix(Self.maxBatch))
                q.jobs.removeFirst(taken.count)
                return taken
            }
            run(batch, db)
            let again = queue.withLock { q -> Bool in
                q.scheduled = !q.jobs.isEmpty
                return q.scheduled
            }
            if again { scheduleBatch() }
        }
    }

    private func run(_ batch: [Job], _ db: Database) {
        guard !batch.isEmpty else { return }
        let durable = batch.contains(where: \.durable)
        // SQLite's own error, when a write's statement lost the whole transaction (a full disk
        // rolls it back): it says more than the savepoint that is gone with it.
        var fault: DatabaseError?
        do {
            try SQLiteStore.transaction(
                db, setting: durable ? "synchronous = FULL" : nil, restoring: durable ? "synchronous = NORMAL" : nil
            ) {
                for job in batch {
                    try db.inSavepoint {
                        guard let error = job.run(db) else { return .commit }
                        if fault == nil, let e = error as? DatabaseError,
                            SQLiteStore.faults.contains(e.resultCode.primaryResultCode)
                        {
                            fault = e
                        }
                        return .rollback
                    }
                }
            }
        } catch {
            // The transaction is gone (a fault of the disk or of a lock): no write of it was stored.
            for job in batch { job.release() }
            for job in batch { job.finish(fault ?? error) }
            return
        }
        for job in batch { job.finish(nil) }
    }
}

/// What one write of a batch answered, kept until its transaction commits.
private final class Answer<T: Sendable>: Sendable {
    let value = Mutex<Result<T, any Error>?>(nil)
}
