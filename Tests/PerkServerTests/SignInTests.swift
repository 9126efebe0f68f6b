import HTTPTypes
import PerkEngine
import PerkJSON
import PerkStorage
import Synchronization
import Testing

@testable import PerkServer

/// Sign-in that guessing cannot wear down, tokens that can be ended, keys that can be revoked.
@Suite struct SignInTests {
    static func signIn(_ h: Harness, _ password: String, email: String = "admin@example.com") async throws
        -> Harness.Reply
    {
        var anonymous = h
        anonymous.token = ""
        return try await anonymous.call(
            .post, "/v1/sessions", ["email": .string(email), "password": .string(password)])
    }

    @Test func theDefaultsFollowCurrentGuidance() {
        let settings = ServerSettings()
        #expect(settings.passwordIterations >= 600_000)
        #expect(Credentials.hashPassword("x").hasPrefix("pbkdf2-sha256$600000$"))
    }

    @Test func aLongPasswordIsRefusedBeforeHashing() async throws {
        try await Harness.run { h in
            let r = try await Self.signIn(h, String(repeating: "x", count: 1_000_000))
            #expect(r.status == .badRequest)
            #expect(r["errors"]?[0]?["source"]?["pointer"]?.stringValue == "/password")
        }
    }

    @Test func repeatedFailuresAreThrottledUntilTheWindowPasses() async throws {
        var settings = Harness.settings
        settings.signInWindow = .seconds(2)
        let failures = settings.signInFailuresPerAccount
        try await Harness.run(settings: settings) { h in
            for _ in 0..<failures {
                #expect(try await Self.signIn(h, "wrong").status == .unauthorized)
            }
            // Now even the right password waits, and is told how long.
            let throttled = try await Self.signIn(h, "secret")
            #expect(throttled.status == .tooManyRequests)
            let retryAfter = Int(throttled.headers[.retryAfter] ?? "") ?? 0
            #expect((1...2).contains(retryAfter))
            #expect(throttled["message"]?.stringValue?.contains("Too many failed sign-ins") == true)
            // Another account is not affected (the in-process client has no address to count).
            #expect(try await Self.signIn(h, "x", email: "other@example.com").status == .unauthorized)
            try await Task.sleep(for: .milliseconds(2_100))
            #expect(try await Self.signIn(h, "secret").status == .created)
        }
    }

    @Test func anOlderHashIsUpgradedAtTheNextSignIn() async throws {
        try await Harness.run { h in
            let weak = Credentials.hashPassword("pw", iterations: 10)
            _ = try await h.store.write { tx in
                try tx.insertUser(
                    User(email: "old@example.com", passwordHash: weak, admin: false, created: PerkServer.systemClock()))
            }
            #expect(try await Self.signIn(h, "wrong", email: "old@example.com").status == .unauthorized)
            let unchanged = try await h.store.read { tx in try tx.user(email: "old@example.com") }
            #expect(unchanged?.passwordHash == weak)
            #expect(try await Self.signIn(h, "pw", email: "old@example.com").status == .created)
            let after = try await h.store.read { tx in try tx.user(email: "old@example.com") }
            #expect(after?.passwordHash.hasPrefix("pbkdf2-sha256$\(Harness.settings.passwordIterations)$") == true)
            #expect(try await Self.signIn(h, "pw", email: "old@example.com").status == .created)
        }
    }

    @Test func signingOutEndsTheToken() async throws {
        try await Harness.run { h in
            let before = try await h.call(.get, "/v1/applications")
            #expect(before.status == .ok)
            #expect(try await h.call(.delete, "/v1/sessions").status == .noContent)
            #expect(try await h.call(.get, "/v1/applications").status == .unauthorized)
            #expect(try await h.call(.delete, "/v1/sessions").status == .unauthorized)
        }
    }

    @Test func tokensExpire() async throws {
        let now = Mutex(PerkServer.systemClock())
        try await Harness.run(clock: { now.withLock { $0 } }) { h in
            let before = try await h.call(.get, "/v1/applications")
            #expect(before.status == .ok)
            now.withLock { $0 = Timestamp(microseconds: $0.microseconds + 11 * 3_600_000_000) }
            #expect(try await h.call(.get, "/v1/applications").status == .ok)
            now.withLock { $0 = Timestamp(microseconds: $0.microseconds + 3_600_000_000) }
            #expect(try await h.call(.get, "/v1/applications").status == .unauthorized)
        }
    }

    @Test func apiKeysAreListedWithoutSecretsAndRevoked() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let other = try await h.createKey(app)
            let auth = { (k: String) -> [(HTTPField.Name, String)] in [(.authorization, "ApiKey-v1 \(k)")] }
            #expect(try await h.session("k1", key: key, [:]).status == .ok)
            let list = try await h.call(.get, "/v1/applications/\(app)/api_keys")
            #expect(list.status == .ok)
            #expect(list["totalResultSize"]?.numberValue?.intValue == 2)
            let keys = list["data"]?.arrayValue ?? []
            #expect(keys.allSatisfy { $0["key"] == nil && $0["title"]?.stringValue == "test" })
            #expect(!list.body.text.contains(key))
            let id = try #require(keys.first?["id"]?.numberValue?.intValue)
            #expect(try await h.call(.delete, "/v1/applications/\(app)/api_keys/\(id)").status == .noContent)
            #expect(try await h.call(.delete, "/v1/applications/\(app)/api_keys/\(id)").status == .notFound)
            // Refused within a second, though this node had it in memory.
            var refused = false
            for _ in 0..<20 where !refused {
                refused =
                    try await h.call(.put, "/v2/customer_sessions/k2", ["customerSession": [:]], headers: auth(key))
                    .status == .unauthorized
                if !refused { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(refused)
            #expect(try await h.session("k3", key: other, [:]).status == .ok)
            #expect(
                try await h.call(.get, "/v1/applications/\(app)/api_keys")["totalResultSize"]?.numberValue?.intValue
                    == 1)
        }
    }
}
