import Synchronization

/// Counts failed sign-ins per account and per client address, and refuses further attempts for
/// a while once either has failed too often: guessing passwords is slow, and the throttled
/// attempts cost no password hashing. Each node counts on its own (documented).
final class SignInThrottle: Sendable {
    struct Settings: Sendable, Equatable {
        /// Failures of one account within `window` after which it is refused until they age out.
        var accountFailures = 5
        /// Failures from one client address within `window` (across accounts).
        var addressFailures = 20
        var window: Duration = .seconds(300)
        /// Keys remembered at most; the oldest are forgotten first.
        var maxTracked = 100_000
    }

    let settings: Settings
    private let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])

    init(_ settings: Settings) { self.settings = settings }

    static func accountKey(_ email: String) -> String { "account:" + email.lowercased() }
    static func addressKey(_ address: String) -> String { "address:" + address }

    /// How long until an attempt for this account from this address is allowed; nil: now.
    func wait(account: String, address: String?, now: ContinuousClock.Instant = .now) -> Duration? {
        failures.withLock { table in
            var waits: [Duration] = []
            if let w = Self.wait(
                &table, Self.accountKey(account), limit: settings.accountFailures, settings.window, now)
            {
                waits.append(w)
            }
            if let address,
                let w = Self.wait(
                    &table, Self.addressKey(address), limit: settings.addressFailures, settings.window, now)
            {
                waits.append(w)
            }
            return waits.max()
        }
    }

    func failed(account: String, address: String?, now: ContinuousClock.Instant = .now) {
        failures.withLock { table in
            if table.count >= settings.maxTracked { Self.forgetOldest(&table, now: now, settings) }
            table[Self.accountKey(account), default: []].append(now)
            if let address { table[Self.addressKey(address), default: []].append(now) }
        }
    }

    /// A correct password clears the account's failures (not the address's: one client trying
    /// many accounts stays throttled).
    func succeeded(account: String) {
        failures.withLock { _ = $0.removeValue(forKey: Self.accountKey(account)) }
    }

    private static func wait(
        _ table: inout [String: [ContinuousClock.Instant]], _ key: String, limit: Int, _ window: Duration,
        _ now: ContinuousClock.Instant
    ) -> Duration? {
        guard var times = table[key] else { return nil }
        times.removeAll { now - $0 >= window }
        table[key] = times.isEmpty ? nil : times
        guard times.count >= limit else { return nil }
        // Allowed again when enough of the failures have aged out of the window.
        return times[times.count - limit] + window - now
    }

    private static func forgetOldest(
        _ table: inout [String: [ContinuousClock.Instant]], now: ContinuousClock.Instant, _ settings: Settings
    ) {
        for (key, times) in table where times.allSatisfy({ now - $0 >= settings.window }) { table[key] = nil }
        guard table.count >= settings.maxTracked else { return }
        let oldest = table.sorted { ($0.value.last ?? now) < ($1.value.last ?? now) }.prefix(table.count / 2)
        for (key, _) in oldest { table[key] = nil }
    }
}
