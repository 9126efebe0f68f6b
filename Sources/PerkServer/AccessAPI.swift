import HTTPTypes
import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// What sign-in needs that outlives a request: the settings, the password hasher and the
/// throttle of failed attempts.
struct AccessControl: Sendable {
    let settings: ServerSettings
    let hasher: PasswordHasher
    let throttle: SignInThrottle

    init(settings: ServerSettings) {
        self.settings = settings
        self.hasher = PasswordHasher(iterations: settings.passwordIterations)
        self.throttle = SignInThrottle(settings.throttle)
    }

    static let busy = APIError.retryLater(.tooManyRequests, "Too many sign-ins at once; try again shortly", after: 1)

    /// The password under `key`: at most the longest allowed, at least `minimum` characters.
    func password(_ r: ObjectReader, _ key: String, minimum: Int = 0) throws(FieldError) -> String {
        let max = settings.maxPasswordLength
        let p = try r.string(key, required: true)!
        // Counted in bytes first: counting the characters of a huge body is itself slow.
        guard p.utf8.count <= 4 * max, p.count <= max else {
            throw FieldError(
                title: "maxLength", details: "\(key) can be at most \(max) characters long", pointer: r.path(key))
        }
        guard p.count >= minimum else {
            throw FieldError(
                title: "minLength", details: "\(key) must be at least \(minimum) characters long", pointer: r.path(key))
        }
        return p
    }

    /// Whether `password` is the one of `stored` (hashing as long for no stored hash); 429 while
    /// the hasher has all the work it takes.
    func verify(_ password: String, against stored: String?) async throws -> Bool {
        do {
            return try await hasher.verify(password, against: stored)
        } catch is PasswordHasher.Busy {
            throw Self.busy
        }
    }

    func hash(_ password: String) async throws -> String {
        do {
            return try await hasher.hash(password)
        } catch is PasswordHasher.Busy {
            throw Self.busy
        }
    }
}

/// Who may call the Management API and the Integration API: sign-in and sign-out of management
/// users (`POST`/`DELETE /v1/sessions`), and an application's API keys (create, list, revoke).
extension ManagementAPI {
    static let maxEmailLength = 320

    func registerAccess(on router: Routes) {
        router.post("/v1/sessions") { req, ctx in try await signIn(req, ctx) }
        router.delete("/v1/sessions") { req, _ in try await signOut(req) }
        router.post("/v1/applications/:applicationId/api_keys") { req, ctx in try await createAPIKey(req, ctx) }
        router.get("/v1/applications/:applicationId/api_keys") { req, ctx in try await listAPIKeys(req, ctx) }
        router.delete("/v1/applications/:applicationId/api_keys/:keyId") { req, ctx in
            try await deleteAPIKey(req, ctx)
        }
    }

    /// `POST /v1/sessions`: a token for a correct e-mail and password. Unknown e-mails cost the
    /// same hashing as known ones; repeated failures are throttled (429 with `Retry-After`)
    /// before any hashing; a stored hash weaker than today's is replaced by a stronger one.
    func signIn(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let body = try await req.json(context: ctx)
        let (email, password) = try decode {
            let r = try ObjectReader(body, at: "")
            let email = try r.string("email", required: true)!
            guard email.utf8.count <= Self.maxEmailLength else {
                throw FieldError(
                    title: "maxLength", details: "email can be at most \(Self.maxEmailLength) characters long",
                    pointer: "/email")
            }
            return (email, try access.password(r, "password"))
        }
        let address = ctx.clientAddress
        if let wait = access.throttle.wait(account: email, address: address) {
            throw APIError.retryLater(
                .tooManyRequests, "Too many failed sign-ins; try again in \(wait.secondsRoundedUp) seconds",
                after: wait.secondsRoundedUp)
        }
        let user = try await store.read { tx in try tx.user(email: email) }
        let correct = try await access.verify(password, against: user?.passwordHash)
        // A deactivated user is refused like a wrong password: the answer tells nothing of the account.
        guard let user, correct, user.state == .active else {
            access.throttle.failed(account: email, address: address)
            throw APIError.unauthorized
        }
        access.throttle.succeeded(account: email)
        let now = clock()
        var upgraded: String?
        if Credentials.iterations(of: user.passwordHash) < access.settings.passwordIterations {
            upgraded = try? await access.hasher.hash(password)
        }
        let token = Credentials.randomHex(bytes: 32)
        let lifetime = access.settings.tokenLifetime.secondsRoundedUp
        try await store.write { [upgraded] tx in
            if let upgraded { try tx.updatePasswordHash(userId: user.id, passwordHash: upgraded) }
            try tx.deleteExpiredTokens(now: now)
            try tx.insertToken(
                hash: Credentials.digest(token), userId: user.id, created: now,
                expires: Timestamp(seconds: now.seconds + lifetime))
        }
        return jsonResponse(.created, ["userId": .number(user.id), "token": .string(token), "created": now.json])
    }

    /// `DELETE /v1/sessions`: ends the token of the request (Talon.One's `destroySession`).
    func signOut(_ req: Request) async throws -> Response {
        let digest = Credentials.digest(try req.credential(scheme: "Bearer"))
        let now = clock()
        let ended = try await store.write { tx in
            guard try tx.tokenUser(hash: digest, now: now) != nil else { return false }
            return try tx.deleteToken(hash: digest)
        }
        guard ended else { throw APIError.unauthorized }
        return emptyResponse(.noContent)
    }

    func createAPIKey(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let principal = try await principal(req)
        let app = try await application(ctx)
        let body = try await req.json(context: ctx)
        let now = clock()
        let (title, expires, type) = try decode {
            let r = try ObjectReader(body, at: "")
            let type = try r.string("type") ?? ""
            guard type == "" || type == "staging" else {
                throw ObjectReader.enumError("/type", "type", ["", "staging"])
            }
            return (try r.string("title", required: true)!, try r.timestamp("expires", required: true)!, type)
        }
        // A staging key only makes dry runs: whoever changes campaigns may make one to try carts.
        try Self.require(principal, type == "staging" && principal.may(.campaigns, in: app.id) ? .campaigns : .keys, in: app.id)
        let userId = principal.userId
        let key = Credentials.randomHex(bytes: 32)
        let record = try await store.write { tx in
            try tx.insertAPIKey(
                APIKeyRecord(
                    id: 0, applicationId: app.id, title: title, createdBy: userId, created: now, expires: expires,
                    type: type),
                hash: Credentials.digest(key))
        }
        var o = Self.apiKeyJSON(record)
        o.appendUnique("key", .string(key))
        return jsonResponse(.created, .object(o))
    }

    /// `GET …/api_keys` (Perk's own): the application's keys, never their secrets.
    func listAPIKeys(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let keys = try await store.read { tx in try tx.apiKeys(applicationId: app.id) }
        return jsonResponse(.ok, listJSON(keys.map { .object(Self.apiKeyJSON($0)) }, total: keys.count))
    }

    /// `DELETE …/api_keys/{keyId}` (Perk's own): revoked on every node within a second.
    func deleteAPIKey(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .keys)
        let app = try await application(ctx)
        let id = try ctx.parameters.id("keyId")
        guard try await store.write({ tx in try tx.deleteAPIKey(applicationId: app.id, id: id) }) else {
            throw APIError.notFound("API key")
        }
        return emptyResponse(.noContent)
    }

    /// `ApplicationAPIKey` (without the key, which is shown once, when it is made).
    static func apiKeyJSON(_ record: APIKeyRecord) -> JSONObject {
        var o = JSONObject()
        o.appendUnique("id", .number(record.id))
        o.appendUnique("createdBy", .number(record.createdBy))
        o.appendUnique("title", .string(record.title))
        o.appendUnique("accountID", .number(perkAccountID))
        o.appendUnique("applicationID", .number(record.applicationId))
        o.appendUnique("created", record.created.json)
        o.appendUnique("expires", record.expires.json)
        if !record.type.isEmpty { o.appendUnique("type", .string(record.type)) }
        return o
    }
}
