import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs password hashing (deliberately slow: hundreds of milliseconds of one core) one hash at a
/// time on a thread of its own at a low scheduling priority, so that a flood of sign-ins takes at
/// most one core, and only what the threads serving other requests (and a PostgreSQL on the same
/// machine) leave over. Past `maxWaiting` queued hashes, sign-ins are refused at once (429)
/// instead of queueing without end.
final class PasswordHasher: Sendable {
    let iterations: Int
    let maxWaiting: Int
    private let waiting = Mutex(0)
    private let worker = LowPriorityWorker(name: "perk.password-hashing")
    /// The hash unknown e-mails are checked against, so that they cost what known ones cost.
    private let decoy: String

    struct Busy: Error {}

    init(iterations: Int, maxWaiting: Int = 8) {
        self.iterations = iterations
        self.maxWaiting = maxWaiting
        self.decoy =
            "pbkdf2-sha256$\(iterations)$\(Credentials.randomHex(bytes: 16))$"
            + String(repeating: "0", count: 64)
    }

    func verify(_ password: String, against stored: String?) async throws -> Bool {
        let target = stored ?? decoy
        let ok = try await run { Credentials.verifyPassword(password, against: target) }
        return ok && stored != nil
    }

    func hash(_ password: String) async throws -> String {
        let iterations = self.iterations
        return try await run { Credentials.hashPassword(password, iterations: iterations) }
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        let admitted = waiting.withLock { n -> Bool in
            guard n < maxWaiting else { return false }
            n += 1
            return true
        }
        guard admitted else { throw Busy() }
        defer { waiting.withLock { $0 -= 1 } }
        return await withCheckedContinuation { continuation in
            worker.enqueue { continuation.resume(returning: work()) }
        }
    }
}

/// Runs its jobs in order on a thread of its own, started when a job arrives and ended when none is
/// left, at a low priority (nice 10 on Linux, where the nice value belongs to the thread): under
/// load it gets a small share of a core, never the share of the threads serving requests, and
/// still enough that a sign-in finishes in seconds. Dispatch's queues cannot do that: their
/// threads are shared, and a thread's priority cannot be raised again once lowered.
final class LowPriorityWorker: Sendable {
    static let niceness: Int32 = 10

    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var running = false
    }
    private let state = Mutex(State())
    private let name: String

    init(name: String) { self.name = name }

    func enqueue(_ job: @escaping @Sendable () -> Void) {
        let start = state.withLock { s -> Bool in
            s.jobs.append(job)
            defer { s.running = true }
            return !s.running
        }
        guard start else { return }
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    private func run() {
        #if canImport(Glibc)
            // `who` 0 is the calling thread under Linux's threads.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.niceness)
        #endif
        while let job = next() { job() }
    }

    private func next() -> (@Sendable () -> Void)? {
        state.withLock { s in
            guard !s.jobs.isEmpty else {
                s.running = false
                return nil
            }
            return s.jobs.removeFirst()
        }
    }
}
