import PerkEngine

/// What a Perk server allows, each a documented default that `perk serve` flags can change.
public struct ServerSettings: Sendable {
    /// Rule evaluation per request.
    public var evaluation = EvaluationLimits.standard
    /// PBKDF2-HMAC-SHA256 iterations for new password hashes; older hashes are upgraded at the
    /// next successful sign-in.
    public var passwordIterations = Credentials.defaultIterations
    /// Longer passwords are refused before any hashing.
    public var maxPasswordLength = 256
    /// How long a management sign-in token lasts.
    public var tokenLifetime: Duration = .seconds(12 * 3600)
    /// Failed sign-ins tolerated per account and per client address, and over what window.
    public var signInFailuresPerAccount = 5
    public var signInFailuresPerAddress = 20
    public var signInWindow: Duration = .seconds(300)
    /// Webhook delivery: timeouts, attempts and backoff.
    public var webhooks = WebhookDispatcher.Settings()
    /// How long events and webhook logs are kept.
    /// Whether Integration API requests are recorded for the access log (`--no-access-log`: not).
    public var accessLog = true
    public var retention = Retention.Settings()

    public init() {}

    var throttle: SignInThrottle.Settings {
        SignInThrottle.Settings(
            accountFailures: signInFailuresPerAccount, addressFailures: signInFailuresPerAddress,
            window: signInWindow)
    }
}

extension Duration {
    /// Whole seconds, rounded up (for `Retry-After`).
    var secondsRoundedUp: Int64 {
        let (seconds, attoseconds) = components
        return attoseconds > 0 ? seconds + 1 : max(seconds, 0)
    }
}
