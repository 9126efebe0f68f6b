import Dispatch
import Synchronization

/// Runs password hashing (deliberately slow: hundreds of milliseconds of one core) on a thread
/// of its own, one hash at a time, so that a flood of sign-ins takes at most one core and never
/// blocks the threads that serve other requests. Past `maxWaiting` queued hashes, sign-ins are
/// refused at once (429) instead of queueing without end.
final class PasswordHasher: Sendable {
    let iterations: Int
    let maxWaiting: Int
    private let queue = DispatchQueue(label: "perk.password-hashing", qos: .utility)
    private let waiting = Mutex(0)
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
            queue.async { continuation.resume(returning: work()) }
        }
    }
}
