import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PerkJSON
import PerkTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The proofs that budgets hold: real `perk serve` processes, two of them sharing one PostgreSQL
/// database, or one on SQLite, take 200 concurrent closes; a node killed with SIGKILL loses no
/// confirmed redemption and counts none twice.
@Suite(.serialized) struct ClusterTests {
    enum Setup: String, CaseIterable, CustomTestStringConvertible {
        /// Two nodes on one PostgreSQL database.
        case postgresTwoNodes
        /// One node on SQLite.
        case sqliteOneNode
        var testDescription: String { rawValue }

        /// The database URL for a new, empty database; nil where PostgreSQL is missing (loudly).
        func database() throws -> String? {
            switch self {
            case .postgresTwoNodes: return try TestPostgres.freshDatabase()
            case .sqliteOneNode:
                return "sqlite:"
                    + FileManager.default.temporaryDirectory.appendingPathComponent(
                        "perk-cluster-\(UUID().uuidString).db"
                    ).path
            }
        }

        var nodes: Int { self == .postgresTwoNodes ? 2 : 1 }
    }

    /// One `perk serve` process.
    final class Node: @unchecked Sendable {
        let process = Process()
        let port = ServeProcessTests.freePort()
        var base: String { "http://127.0.0.1:\(port)" }

        init(database: String, arguments: [String] = []) async throws {
            try #require(
                FileManager.default.isExecutableFile(atPath: ServeProcessTests.perkBinary.path),
                "build perk first: swift build")
            process.executableURL = ServeProcessTests.perkBinary
            process.arguments =
                ["serve", "--port", String(port), "--database", database, "--log-level", "warning"] + arguments
            var env = ProcessInfo.processInfo.environment
            env["PERK_ADMIN_EMAIL"] = "ops@example.com"
            env["PERK_ADMIN_PASSWORD"] = "hunter2"
            process.environment = env
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try await ServeProcessTests.waitUntilUp(base)
        }

        func kill() {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        deinit {
            guard process.isRunning else { return }
            process.terminate()
            // A node that does not stop when asked is a bug; the test run must not hang on it.
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning {
                print("perk serve \(process.processIdentifier) did not stop within 10 s of SIGTERM; killing it")
                Glibc.kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
        }
    }

    /// A client of the management and integration APIs of a running node.
    struct Client: Sendable {
        let base: String
        var token = ""
        var key = ""

        func call(_ method: HTTPMethod, _ path: String, _ body: JSON? = nil, integration: Bool = false) async throws
            -> (status: Int, body: JSON)
        {
            let auth = integration ? "ApiKey-v1 \(key)" : "Bearer \(token)"
            return try await ServeProcessTests.send(method, base + path, body, headers: [("Authorization", auth)])
        }

        /// Creates and closes a session in one update.
        func close(_ id: String, _ session: JSONObject) async throws -> (status: Int, body: JSON) {
            var s = session
            s["state"] = "closed"
            return try await call(
                .PUT, "/v2/customer_sessions/\(id)", ["customerSession": .object(s)], integration: true)
        }
    }

    /// A shop: an application, its key, a campaign with the ten-percent coupon rule and `limits`,
    /// and one coupon with `usageLimit`.
    struct Shop {
        var app: Int64
        var campaign: Int64
        var code: String
        var client: Client
    }

    /// Signs in on `node` and makes an application with a key: the client and the application's id.
    static func application(on node: Node) async throws -> (Client, Int64) {
        let (_, login) = try await ServeProcessTests.send(
            .POST, node.base + "/v1/sessions", ["email": "ops@example.com", "password": "hunter2"], headers: [])
        var client = Client(base: node.base, token: try #require(login["token"]?.stringValue))
        let (_, app) = try await client.call(
            .POST, "/v1/applications", ["name": "Shop", "currency": "EUR", "timezone": "UTC"])
        let appId = try #require(app["id"]?.numberValue?.intValue)
        let (_, key) = try await client.call(
            .POST, "/v1/applications/\(appId)/api_keys", ["title": "proof", "expires": "2099-01-01T00:00:00Z"])
        client.key = try #require(key["key"]?.stringValue)
        return (client, appId)
    }

    static func shop(on node: Node, limits: JSON, usageLimit: Int) async throws -> Shop {
        let (client, appId) = try await application(on: node)
        let (_, campaign) = try await client.call(
            .POST, "/v1/applications/\(appId)/campaigns",
            ["name": "Proof", "state": "enabled", "tags": [], "features": ["coupons"], "limits": limits])
        let campaignId = try #require(campaign["id"]?.numberValue?.intValue)
        let (rulesetStatus, _) = try await client.call(
            .POST, "/v1/applications/\(appId)/campaigns/\(campaignId)/rulesets",
            ["rules": [Harness.couponRule], "bindings": [], "activate": true])
        #expect(rulesetStatus == 201)
        let (_, coupons) = try await client.call(
            .POST, "/v1/applications/\(appId)/campaigns/\(campaignId)/coupons",
            [
                "couponPattern": "PROOF-######", "validCharacters": ["A-Z", "0-9"], "numberOfCoupons": 1,
                "usageLimit": .number(usageLimit),
            ])
        let code = try #require(coupons["data"]?[0]?["value"]?.stringValue)
        return Shop(app: appId, campaign: campaignId, code: code, client: client)
    }

    /// The nodes of a setup, on a new database; nil where PostgreSQL is missing.
    static func start(_ setup: Setup) async throws -> (nodes: [Node], database: String)? {
        guard let database = try setup.database() else { return nil }
        // The first node migrates the schema; the second starts on it.
        var nodes: [Node] = []
        for _ in 0..<setup.nodes { nodes.append(try await Node(database: database)) }
        return (nodes, database)
    }

    /// 200 concurrent closes of distinct sessions, spread over the nodes round-robin.
    static func closeConcurrently(
        _ shop: Shop, nodes: [Node], count: Int = 200, session: @escaping @Sendable (Int) -> JSONObject
    ) async throws -> [(index: Int, status: Int, body: JSON)] {
        let clients = nodes.map { node in
            var c = shop.client
            c = Client(base: node.base, token: c.token, key: c.key)
            return c
        }
        return try await withThrowingTaskGroup(of: (index: Int, status: Int, body: JSON).self) { group in
            for i in 0..<count {
                let client = clients[i % clients.count]
                group.addTask {
                    let r = try await client.close("proof-\(i)", session(i))
                    return (i, r.status, r.body)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    static func couponCounter(_ shop: Shop) async throws -> Int? {
        let (_, list) = try await shop.client.call(
            .GET, "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)/coupons")
        return list["data"]?[0]?["usageCounter"]?.numberValue?.intValue.map(Int.init)
    }

    static let cart: JSON = [cartItem("shoe", price: 120)]

    @Test(arguments: Setup.allCases) func aCouponLimitHoldsUnderConcurrentCloses(_ setup: Setup) async throws {
        guard let (nodes, _) = try await Self.start(setup) else { return }
        let shop = try await Self.shop(on: nodes[0], limits: [], usageLimit: 50)
        let code = shop.code
        let replies = try await Self.closeConcurrently(shop, nodes: nodes) { _ in
            ["couponCodes": [.string(code)], "cartItems": Self.cart]
        }
        #expect(replies.allSatisfy { $0.status == 200 })
        #expect(replies.filter { !$0.body.effects("acceptCoupon").isEmpty }.count == 50)
        let rejected = replies.flatMap { $0.body.effects("rejectCoupon") }
        #expect(rejected.count == 150)
        #expect(rejected.allSatisfy { $0["rejectionReason"] == "CouponLimitReached" })
        #expect(try await Self.couponCounter(shop) == 50)
    }

    @Test(arguments: Setup.allCases) func aPerProfileLimitHoldsUnderConcurrentCloses(_ setup: Setup) async throws {
        guard let (nodes, _) = try await Self.start(setup) else { return }
        let shop = try await Self.shop(
            on: nodes[0], limits: [["action": "redeemCoupon", "limit": 2, "entities": ["Profile"]]], usageLimit: 0)
        let code = shop.code
        let replies = try await Self.closeConcurrently(shop, nodes: nodes) { i in
            ["profileId": .string("customer-\(i % 20)"), "couponCodes": [.string(code)], "cartItems": Self.cart]
        }
        #expect(replies.allSatisfy { $0.status == 200 })
        var perProfile: [String: Int] = [:]
        for r in replies where !r.body.effects("acceptCoupon").isEmpty {
            perProfile["customer-\(r.index % 20)", default: 0] += 1
        }
        // Twenty customers, two redemptions each: exactly 40, none over.
        #expect(perProfile.values.reduce(0, +) == 40)
        #expect(perProfile.count == 20 && perProfile.values.allSatisfy { $0 == 2 })
        #expect(try await Self.couponCounter(shop) == 40)
    }

    @Test(arguments: Setup.allCases) func aDiscountBudgetHoldsUnderConcurrentCloses(_ setup: Setup) async throws {
        guard let (nodes, _) = try await Self.start(setup) else { return }
        let shop = try await Self.shop(
            on: nodes[0], limits: [["action": "setDiscount", "limit": 500, "entities": []]], usageLimit: 0)
        let code = shop.code
        let replies = try await Self.closeConcurrently(shop, nodes: nodes) { _ in
            ["couponCodes": [.string(code)], "cartItems": Self.cart]
        }
        #expect(replies.allSatisfy { $0.status == 200 })
        let given = replies.flatMap { $0.body.effects("setDiscount") }.compactMap {
            $0["value"]?.numberValue?.doubleValue
        }
        // 12 per session: 41 discounts fit in 500, the 42nd would not.
        #expect(given.reduce(0, +) <= 500)
        #expect(given.count == 41)
        let (_, campaign) = try await shop.client.call(
            .GET, "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)")
        #expect(campaign["discountCount"]?.numberValue?.doubleValue == given.reduce(0, +))
    }

    @Test func aChangeThroughOneNodeIsInEffectOnTheOtherWithinASecond() async throws {
        guard let (nodes, _) = try await Self.start(.postgresTwoNodes) else { return }
        let shop = try await Self.shop(on: nodes[0], limits: [], usageLimit: 0)
        let other = Client(base: nodes[1].base, token: shop.client.token, key: shop.client.key)
        let session: JSON = ["customerSession": ["couponCodes": [.string(shop.code)], "cartItems": Self.cart]]
        // The second node compiles the campaign and keeps it.
        let before = try await other.call(.PUT, "/v2/customer_sessions/watch", session, integration: true)
        #expect(before.body.effects("setDiscount").count == 1)

        let path = "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)"
        var campaign = try #require(try await shop.client.call(.GET, path).body.objectValue)
        campaign["state"] = "disabled"
        let (status, reply) = try await shop.client.call(.PUT, path, .object(campaign))
        #expect(status == 200, "\(reply.text)")
        let changed = ContinuousClock.now
        var seenAfter: Duration?
        while ContinuousClock.now - changed < .seconds(1) {
            let r = try await other.call(.PUT, "/v2/customer_sessions/watch", session, integration: true)
            if r.body.effects("setDiscount").isEmpty {
                seenAfter = ContinuousClock.now - changed
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(seenAfter != nil, "the second node still applied the disabled campaign a second later")
    }

    @Test(arguments: Setup.allCases) func aKilledNodeLosesNoConfirmedRedemption(_ setup: Setup) async throws {
        guard let database = try setup.database() else { return }
        let first = try await Node(database: database)
        let shop = try await Self.shop(on: first, limits: [], usageLimit: 0)
        let client = shop.client
        let code = shop.code
        let killed = ManagedAtomicFlag()
        // Eight streams of closes; the node is killed once 100 of them were confirmed.
        let outcomes = try await withThrowingTaskGroup(of: [(id: String, confirmed: Bool)].self) { group in
            let confirmedSoFar = Counter()
            for stream in 0..<8 {
                group.addTask {
                    var out: [(id: String, confirmed: Bool)] = []
                    for n in 0..<1_000 where !killed.isSet {
                        let id = "stream-\(stream)-\(n)"
                        do {
                            let r = try await client.close(
                                id, ["couponCodes": [.string(code)], "cartItems": Self.cart])
                            let ok = r.status == 200 && !r.body.effects("acceptCoupon").isEmpty
                            out.append((id, ok))
                            if ok, confirmedSoFar.increment() == 100 {
                                first.kill()
                                killed.set()
                            }
                        } catch {
                            // In flight at the kill: it may or may not have been counted.
                            out.append((id, false))
                            break
                        }
                    }
                    return out
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(killed.isSet)
        let confirmed = outcomes.filter(\.confirmed).map(\.id)
        let unconfirmed = outcomes.filter { !$0.confirmed }.map(\.id)
        #expect(confirmed.count >= 100)

        let node = try await Node(database: database)
        let restarted = Client(base: node.base, token: client.token, key: client.key)
        let shopAfter = Shop(app: shop.app, campaign: shop.campaign, code: code, client: restarted)
        let afterRestart = try #require(try await Self.couponCounter(shopAfter))
        // Every confirmed close is counted; the only extra ones are closes that were in flight.
        #expect(afterRestart >= confirmed.count)
        #expect(afterRestart <= confirmed.count + unconfirmed.count)
        // Closing every session again counts nothing twice: a repeated close is answered from
        // storage, an in-flight one that never landed is counted now.
        for id in confirmed + unconfirmed {
            let r = try await restarted.close(id, ["couponCodes": [.string(code)], "cartItems": Self.cart])
            #expect(r.status == 200)
        }
        #expect(try await Self.couponCounter(shopAfter) == confirmed.count + unconfirmed.count)
    }
}

extension ClusterTests {
    /// Statuses seen by several tasks.
    final class Tally: Sendable {
        private let seen = Mutex<[Int: Int]>([:])
        func add(_ status: Int) { seen.withLock { $0[status, default: 0] += 1 } }
        var counts: [Int: Int] { seen.withLock { $0 } }
    }

    @Test(arguments: Setup.allCases) func duplicateClosesOfOneSessionCountOnce(_ setup: Setup) async throws {
        guard let (nodes, _) = try await Self.start(setup) else { return }
        let shop = try await Self.shop(on: nodes[0], limits: [], usageLimit: 0)
        let clients = nodes.map { Client(base: $0.base, token: shop.client.token, key: shop.client.key) }
        let code = shop.code
        // Forty requests that open and close the same session at once, spread over the nodes.
        let replies = try await withThrowingTaskGroup(of: (status: Int, body: JSON).self) { group in
            for i in 0..<40 {
                let client = clients[i % clients.count]
                group.addTask {
                    try await client.close(
                        "same", ["profileId": "p", "couponCodes": [.string(code)], "cartItems": Self.cart])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(replies.allSatisfy { $0.status == 200 }, "\(replies.map(\.status))")
        #expect(Set(replies.map { $0.body["effects"]?.text ?? "" }).count == 1)
        #expect(try await Self.couponCounter(shop) == 1)
    }

    @Test func aKeyRevokedThroughOneNodeIsRefusedByTheOtherWithinASecond() async throws {
        guard let (nodes, _) = try await Self.start(.postgresTwoNodes) else { return }
        let shop = try await Self.shop(on: nodes[0], limits: [], usageLimit: 0)
        let other = Client(base: nodes[1].base, token: shop.client.token, key: shop.client.key)
        // The second node has the key in memory.
        #expect(try await other.close("cached", ["profileId": "p"]).status == 200)
        let (_, keys) = try await shop.client.call(.GET, "/v1/applications/\(shop.app)/api_keys")
        let id = try #require(keys["data"]?[0]?["id"]?.numberValue?.intValue)
        let (status, _) = try await shop.client.call(.DELETE, "/v1/applications/\(shop.app)/api_keys/\(id)")
        #expect(status == 204)
        let revoked = ContinuousClock.now
        var refusedAfter: Duration?
        while ContinuousClock.now - revoked < .seconds(1) {
            if try await other.close("after-\(UUID().uuidString)", ["profileId": "p"]).status == 401 {
                refusedAfter = ContinuousClock.now - revoked
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(refusedAfter != nil, "the second node still accepted the revoked key a second later")
    }
}

/// A flag set once, read from several tasks.
final class ManagedAtomicFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// A counter shared by several tasks; `increment` answers the new count.
final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() -> Int {
        value.withLock {
            $0 += 1
            return $0
        }
    }
}
