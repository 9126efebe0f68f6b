import Synchronization

/// Runs the work given for one key one at a time, in arrival order; different keys run side by
/// side. Updates of one session made through this node queue here instead of racing each other
/// to the database and starting over.
final class KeyedSerializer: Sendable {
    private let waiting = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    func run<T: Sendable>(_ key: String, _ work: () async throws -> T) async throws -> T {
        await acquire(key)
        defer { release(key) }
        return try await work()
    }

    private func acquire(_ key: String) async {
        // The first comes in with an empty queue and runs; later ones wait their turn.
        let mustWait = waiting.withLock { table -> Bool in
            if table[key] == nil {
                table[key] = []
                return false
            }
            return true
        }
        guard mustWait else { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let runNow = waiting.withLock { table -> Bool in
                // The holder may have left between the two looks.
                guard table[key] != nil else {
                    table[key] = []
                    return true
                }
                table[key]!.append(c)
                return false
            }
            if runNow { c.resume() }
        }
    }

    private func release(_ key: String) {
        let next = waiting.withLock { table -> CheckedContinuation<Void, Never>? in
            guard var queue = table[key], !queue.isEmpty else {
                table[key] = nil
                return nil
            }
            let first = queue.removeFirst()
            table[key] = queue
            return first
        }
        next?.resume()
    }
}
