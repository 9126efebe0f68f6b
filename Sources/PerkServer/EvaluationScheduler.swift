import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where rule evaluations run. Swift's cooperative pool has a thread per core, and an evaluation
/// does not suspend: a few applications with rules that use their whole budget could hold every
/// such thread, and every other request would wait behind them. So an application whose
/// evaluations were recently slow has them run on threads of their own, which the operating
/// system shares out with the rest; the others keep running in place, without a thread hop.
final class EvaluationScheduler: Sendable {
    /// An evaluation that takes this much of its thread's CPU time marks its application as heavy...
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
        let offload = heavyUntil.withLock { table -> Bool in
            guard let until = table[applicationId] else { return false }
            let now = ContinuousClock.now
            if until < now { table[applicationId] = nil }
            return until >= now
        }
        if offload, let result = try? await pool.runIfActive({ self.timed(applicationId, evaluation) }) {
            return result
        }
        return timed(applicationId, evaluation)
    }

    /// Runs the evaluation and weighs it by the CPU time of its thread, not by the clock: on a
    /// busy machine a cheap evaluation preempted halfway took milliseconds of the clock, which
    /// sent whole applications of cheap rules through the thread hop for nothing.
    private func timed<T>(_ applicationId: Int64, _ evaluation: () -> T) -> T {
        let start = Self.threadCPUTime()
        let result = evaluation()
        if Self.threadCPUTime() - start >= Self.heavy {
            heavyUntil.withLock { $0[applicationId] = .now + Self.memory }
        }
        return result
    }

    static func threadCPUTime() -> Duration {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return .seconds(t.tv_sec) + .nanoseconds(t.tv_nsec)
    }
}
