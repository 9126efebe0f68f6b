import PerkEngine
import Talang

/// Who may call Perk: management users and their sign-in tokens, and the applications'
/// Integration API keys (each stored only as a digest).
extension SQLTransaction {
    // MARK: Users and tokens

    static func user(_ r: SQLRow) -> User {
        User(
            id: r["id"], email: r["email"], name: r["name"], passwordHash: r["password_hash"],
            state: User.State(rawValue: r["state"]) ?? .deactivated, admin: r["admin"],
            created: Timestamp(microseconds: r["created"]), modified: Timestamp(microseconds: r["modified"]))
    }

    func user(email: String) throws -> User? {
        try one("SELECT * FROM users WHERE lower(email) = lower(?)", arguments: [email]).map(Self.user)
    }

    func insertToken(hash: String, userId: Int64, created: Timestamp, expires: Timestamp) throws {
        try exec(
            "INSERT INTO auth_tokens (token_hash, user_id, created, expires) VALUES (?, ?, ?, ?)",
            arguments: [hash, userId, created.microseconds, expires.microseconds])
    }

    func tokenUser(hash: String, now: Timestamp) throws -> Int64? {
        try scalar(
            "SELECT user_id FROM auth_tokens WHERE token_hash = ? AND expires > ?",
            arguments: [hash, now.microseconds])
    }

    func updatePasswordHash(userId: Int64, passwordHash: String) throws {
        try exec("UPDATE users SET password_hash = ? WHERE id = ?", arguments: [passwordHash, userId])
    }

    func deleteToken(hash: String) throws -> Bool {
        try exec("DELETE FROM auth_tokens WHERE token_hash = ?", arguments: [hash]) > 0
    }

    func deleteExpiredTokens(now: Timestamp) throws {
        try exec("DELETE FROM auth_tokens WHERE expires <= ?", arguments: [now.microseconds])
    }

    // MARK: Integration API keys

    static func apiKey(_ r: SQLRow) -> APIKeyRecord {
        APIKeyRecord(
            id: r["id"], applicationId: r["application_id"], title: r["title"], createdBy: r["created_by"],
            created: Timestamp(microseconds: r["created"]), expires: Timestamp(microseconds: r["expires"]),
            type: r["type"])
    }

    func insertAPIKey(_ key: APIKeyRecord, hash: String) throws -> APIKeyRecord {
        let newId = try insert(
            """
            INSERT INTO api_keys (application_id, title, key_hash, created_by, created, expires, type)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            arguments: [
                key.applicationId, key.title, hash, key.createdBy, key.created.microseconds, key.expires.microseconds,
                key.type,
            ])
        var out = key
        out.id = newId
        return out
    }

    func apiKey(hash: String, now: Timestamp) throws -> APIKeyRecord? {
        try one(
            "SELECT * FROM api_keys WHERE key_hash = ? AND expires > ?", arguments: [hash, now.microseconds]
        ).map(Self.apiKey)
    }

    func apiKeys(applicationId: Int64) throws -> [APIKeyRecord] {
        try all("SELECT * FROM api_keys WHERE application_id = ? ORDER BY id", arguments: [applicationId])
            .map(Self.apiKey)
    }

    /// Revokes a key. Nodes keep keys they have seen in memory: moving the catalog version makes
    /// every node forget them at its next look (at most a second later).
    func deleteAPIKey(applicationId: Int64, id: Int64) throws -> Bool {
        let deleted = try exec(
            "DELETE FROM api_keys WHERE application_id = ? AND id = ?", arguments: [applicationId, id])
        if deleted > 0 { try catalogChanged() }
        return deleted > 0
    }
}
