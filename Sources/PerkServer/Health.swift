import PerkEngine
import PerkStorage
import Synchronization

/// `/health`: the database answers a read and takes a write, within `timeout`. A database that
/// is locked by another program or has a full disk still answers reads; a load balancer must
/// take such a node out all the same.
enum Health {
    static let timeout: Duration = .seconds(2)

    struct TimedOut: Error, CustomStringConvertible {
        var description: String { "the database did not answer within \(Health.timeout)" }
    }

    static func check(_ store: any Store, clock: @escaping @Sendable () -> Timestamp) async throws {
        // A probe stuck behind a lock cannot be cancelled, so it is not awaited past the timeout:
        // whichever finishes first answers, once.
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let once = Once(continuation)
            Task {
                do {
                    _ = try await store.read { tx in try tx.catalogVersion() }
                    let now = clock()
                    try await store.write { tx in try tx.probeWrite(now: now) }
                    once.resume(.success(()))
                } catch {
                    once.resume(.failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: timeout)
                once.resume(.failure(TimedOut()))
            }
        }
    }

    /// A continuation resumed by the first of several racers.
    final class Once: Sendable {
        private let continuation: Mutex<CheckedContinuation<Void, any Error>?>
        init(_ c: CheckedContinuation<Void, any Error>) { continuation = Mutex(c) }
        func resume(_ result: Result<Void, any Error>) {
            continuation.withLock { c in
                c?.resume(with: result)
                c = nil
            }
        }
    }
}
