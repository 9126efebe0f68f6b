import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PerkEngine
import PerkJSON
import PerkServer
import PerkStorage
import PerkTestSupport

/// A Perk with a fresh SQLite database, driven in-process through its router.
struct Harness {
    let client: any TestClientProtocol
    let store: any Store
    var token = ""
    /// The access log's notes, when the run keeps one.
    var accessLog: AccessLogRecorder?

    struct Reply {
        let status: HTTPResponse.Status
        let body: JSON
        var headers = HTTPFields()
        subscript(key: String) -> JSON? { body[key] }
    }

    static func temporaryDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("perk-test-\(UUID().uuidString).db").path
    }

    /// A new, empty store: SQLite, or PostgreSQL when `PERK_TEST_STORE=postgres` (to run every
    /// suite against it).
    static func freshStore() async throws -> any Store {
        if ProcessInfo.processInfo.environment["PERK_TEST_STORE"] == "postgres" {
            guard let url = try TestPostgres.freshDatabase() else {
                throw TestPostgres.Unavailable(description: "no PostgreSQL")
            }
            return try await PostgresStore.open(url: url, connections: 4)
        }
        return try SQLiteStore(path: temporaryDatabase())
    }

    /// Settings of the in-process servers: the defaults, but password hashing cheap enough for
    /// a suite that signs in once per test (`perk serve` in the process tests keeps the default,
    /// and `SignInTests` checks it).
    static var settings: ServerSettings {
        var s = ServerSettings()
        s.passwordIterations = 1_000
        // Steps, not the clock, decide what these suites check: on a busy machine running them
        // side by side (and real servers beside them), 50 ms of wall-clock time can pass before a
        // simple rule is done. The suites about the time limit set their own.
        s.evaluation.time = .seconds(5)
        return s
    }

    /// Runs `body` against a new server with an administrator signed in. With `delivering`, the
    /// server also delivers webhook calls, with those settings.
    static func run(
        settings: ServerSettings = Harness.settings,
        clock: @escaping @Sendable () -> Timestamp = PerkServer.systemClock,
        delivering: WebhookDispatcher.Settings? = nil, accessLog: AccessLogRecorder? = nil,
        _ body: @escaping @Sendable (inout Harness) async throws -> Void
    ) async throws {
        let store = try await freshStore()
        try await PerkServer.bootstrapAdmin(
            store: store, email: "admin@example.com", password: "secret", logger: Logger(label: "test"),
            iterations: settings.passwordIterations)
        let delivery = delivering.map { WebhookDispatcher(store: store, clock: clock, settings: $0) }
        let app = Hummingbird.Application(
            router: PerkServer.router(
                store: store, clock: clock, settings: settings, delivery: delivery, accessLog: accessLog))
        let running = Task { try await delivery?.run() }
        defer { running.cancel() }
        try await app.test(.router) { client in
            var h = Harness(client: client, store: store, accessLog: accessLog)
            let login = try await h.call(.post, "/v1/sessions", ["email": "admin@example.com", "password": "secret"])
            h.token = login["token"]?.stringValue ?? ""
            try await body(&h)
        }
    }

    func call(
        _ method: HTTPRequest.Method, _ path: String, _ body: JSON? = nil, headers: [(HTTPField.Name, String)] = []
    )
        async throws -> Reply
    {
        try await raw(method, path, body.map { $0.text }, headers: headers)
    }

    /// A GET whose answer is not JSON (a CSV export): its status and text.
    func text(_ path: String) async throws -> (status: HTTPResponse.Status, text: String) {
        try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(token)"], body: nil) {
            ($0.status, String(buffer: $0.body))
        }
    }

    func raw(_ method: HTTPRequest.Method, _ path: String, _ text: String?, headers: [(HTTPField.Name, String)] = [])
        async throws -> Reply
    {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        if !token.isEmpty { fields[.authorization] = "Bearer \(token)" }
        for (k, v) in headers { fields[k] = v }
        return try await client.execute(
            uri: path, method: method, headers: fields, body: text.map { ByteBuffer(string: $0) }
        ) { response in
            let bytes = Array(response.body.readableBytesView)
            return Reply(
                status: response.status,
                body: bytes.isEmpty
                    ? .null : (try? JSON.parse(bytes)) ?? .string(String(decoding: bytes, as: UTF8.self)),
                headers: response.headers)
        }
    }

    /// PUT /v2/customer_sessions/{id} with an application key.
    func session(_ id: String, key: String, _ session: JSON, content: [String] = []) async throws -> Reply {
        var body: JSONObject = ["customerSession": session]
        if !content.isEmpty { body["responseContent"] = .array(content.map(JSON.string)) }
        return try await call(
            .put, "/v2/customer_sessions/\(id)", .object(body), headers: [(.authorization, "ApiKey-v1 \(key)")])
    }

    func createApplication(_ name: String = "Shop", extra: JSONObject = [:]) async throws -> Int64 {
        var body: JSONObject = ["name": .string(name), "currency": "EUR", "timezone": "Europe/Berlin"]
        for (k, v) in extra { body[k] = v }
        let r = try await call(.post, "/v1/applications", .object(body))
        guard r.status == .created, let id = r["id"]?.numberValue?.intValue else { throw HarnessError(reply: r) }
        return id
    }

    func createKey(_ app: Int64, expires: String = "2099-01-01T00:00:00Z") async throws -> String {
        let r = try await call(
            .post, "/v1/applications/\(app)/api_keys", ["title": "test", "expires": .string(expires)])
        guard r.status == .created, let key = r["key"]?.stringValue else { throw HarnessError(reply: r) }
        return key
    }

    /// A campaign with one active ruleset made of `rules`.
    func createCampaign(_ app: Int64, name: String = "Campaign", rules: [JSON], extra: JSONObject = [:]) async throws
        -> Int64
    {
        var body: JSONObject = [
            "name": .string(name), "state": "enabled", "tags": [], "features": ["coupons"], "limits": [],
        ]
        for (k, v) in extra { body[k] = v }
        let c = try await call(.post, "/v1/applications/\(app)/campaigns", .object(body))
        guard c.status == .created, let id = c["id"]?.numberValue?.intValue else { throw HarnessError(reply: c) }
        let r = try await call(
            .post, "/v1/applications/\(app)/campaigns/\(id)/rulesets",
            ["rules": .array(rules), "bindings": [], "activate": true])
        guard r.status == .created else { throw HarnessError(reply: r) }
        return id
    }

    func createCoupons(
        _ app: Int64, _ campaign: Int64, pattern: String, count: Int = 1, usageLimit: Int = 0, extra: JSONObject = [:]
    )
        async throws -> [String]
    {
        var body: JSONObject = [
            "couponPattern": .string(pattern), "validCharacters": ["A-Z", "0-9"], "numberOfCoupons": .number(count),
            "usageLimit": .number(usageLimit),
        ]
        for (k, v) in extra { body[k] = v }
        let r = try await call(.post, "/v1/applications/\(app)/campaigns/\(campaign)/coupons", .object(body))
        guard r.status == .ok, let data = r["data"]?.arrayValue else { throw HarnessError(reply: r) }
        return data.compactMap { $0["value"]?.stringValue }
    }

    /// Declares a custom attribute (`POST /v1/attributes`).
    func declare(_ entity: String, _ name: String, type: String = "string", eventType: String? = nil) async throws {
        var body: JSONObject = [
            "entity": .string(entity), "name": .string(name), "title": .string(name), "type": .string(type),
            "description": "", "suggestions": [], "editable": true,
        ]
        if let eventType { body["eventType"] = .string(eventType) }
        let r = try await call(.post, "/v1/attributes", .object(body))
        guard r.status == .created else { throw HarnessError(reply: r) }
    }

    /// A typical coupon rule: 10% off the session total when the coupon is valid.
    static let couponRule: JSON = [
        "title": "Ten percent", "condition": ["and", ["couponValid"]],
        "effects": [["setDiscount", "10% off", ["*", [".", "Session", "Total"], 0.1]]],
    ]
}

struct HarnessError: Error, CustomStringConvertible {
    let reply: Harness.Reply
    var description: String { "unexpected \(reply.status.code): \(reply.body.text)" }
}

extension JSON {
    /// The effects of a v2 response as (type, props) pairs.
    var effectList: [(type: String, props: JSON)] {
        (self["effects"]?.arrayValue ?? []).map { ($0["effectType"]?.stringValue ?? "", $0["props"] ?? .null) }
    }

    func effects(_ type: String) -> [JSON] { effectList.filter { $0.type == type }.map(\.props) }
}

func cartItem(_ sku: String, price: Double, quantity: Int = 1, category: String? = nil) -> JSON {
    var o: JSONObject = [
        "name": .string("Item \(sku)"), "sku": .string(sku), "quantity": .number(quantity), "price": .number(price),
    ]
    if let category { o["category"] = .string(category) }
    return .object(o)
}
