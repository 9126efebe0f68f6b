import NIOCore
import NIOPosix
import Synchronization

/// Where rule evaluations run. Swift's cooperative pool has a thread per core, and an evaluation
/// does not suspend: a few applications with rules that use their whole budget could hold every
/// such thread, and every other request would wait behind them. So an application whose
/// evaluations were recently slow has them run on threads of their own, which the operating
/// system shares out with the rest; the others keep running in place, without a thread hop.
final class EvaluationScheduler: Sendable {
    /// An evaluation this slow marks its application as heavy...
    static let heavy: Duration = .milliseconds(2)
    /// ...for this long.
    static let memory: Duration = .seconds(60)

    private let pool: NIOThreadPool
    private let heavyUntil = Mutex<[Int64: ContinuousClock.Instant]>([:])

    init(threads: Int = max(4, 2 * System.coreCount)) {
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    deinit { pool.shutdownGracefully { _ in } }

    func run<T: Sendable>(applicationId: Int64, _ evaluation: @escaping @Sendable () -> T) async -> T {
        let now = ContinuousClock.now
        let offload = heavyUntil.withLock { table -> Bool in
            guard let until = table[applicationId] else { return false }
            if until < now { table[applicationId] = nil }
            return until >= now
        }
        if offload, let result = try? await pool.runIfActive({ self.timed(applicationId, evaluation) }) {
            return result
        }
        return timed(applicationId, evaluation)
    }

    private func timed<T>(_ applicationId: Int64, _ evaluation: () -> T) -> T {
        let start = ContinuousClock.now
        let result = evaluation()
        let end = ContinuousClock.now
        if end - start >= Self.heavy {
            heavyUntil.withLock { $0[applicationId] = end + Self.memory }
        }
        return result
    }
}
