import Foundation
import HTTPTypes
import PerkEngine
import PerkJSON
import PerkServer
import Synchronization
import Talang
import Testing

/// A clock tests move by hand.
final class ManualClock: Sendable {
    let time = Mutex(Timestamp(seconds: 1_893_456_000))  // 2030-01-01T00:00:00Z
    func now() -> Timestamp { time.withLock { $0 } }
    func advance(seconds: Int64) { time.withLock { $0 = Timestamp(seconds: $0.seconds + seconds) } }
}

/// Loyalty programs: the management API, points earned at close and given back at cancel, spent
/// atomically, and expired by time alone.
@Suite struct LoyaltyTests {
    /// An application with a key and a program it is subscribed to.
    struct Shop {
        var app: Int64
        var key: String
        var program: Int64
    }

    static func shop(_ h: Harness, validity: String = "unlimited", subledgers: Bool = false) async throws -> Shop {
        let app = try await h.createApplication()
        let key = try await h.createKey(app)
        let r = try await h.call(
            .post, "/v1/loyalty_programs",
            [
                "name": .string("points-\(app)"), "title": "Points", "description": "1 point per 10 spent",
                "subscribedApplications": [.number(app)], "defaultValidity": .string(validity),
                "allowSubledger": .bool(subledgers),
            ])
        guard r.status == .created, let id = r["id"]?.numberValue?.intValue else { throw HarnessError(reply: r) }
        return Shop(app: app, key: key, program: id)
    }

    static func integration(_ h: Harness, _ shop: Shop, _ path: String) async throws -> Harness.Reply {
        var plain = h
        plain.token = ""
        return try await plain.call(.get, path, headers: [(.authorization, "ApiKey-v1 \(shop.key)")])
    }

    static func balance(_ h: Harness, _ shop: Shop, _ profile: String) async throws -> JSON {
        let r = try await integration(h, shop, "/v1/loyalty_programs/\(shop.program)/profile/\(profile)/balances")
        #expect(r.status == .ok, "\(r.body.text)")
        return r["balance"] ?? .null
    }

    static func active(_ h: Harness, _ shop: Shop, _ profile: String) async throws -> Double? {
        try await balance(h, shop, profile)["activePoints"]?.numberValue?.doubleValue
    }

    static func points(_ h: Harness, _ shop: Shop, _ profile: String, _ change: String, _ body: JSON) async throws
        -> Harness.Reply
    {
        try await h.call(.put, "/v1/loyalty_programs/\(shop.program)/profile/\(profile)/\(change)", body)
    }

    /// A profile exists once an update names it.
    static func makeProfile(_ h: Harness, _ shop: Shop, _ profile: String) async throws {
        let r = try await h.call(
            .put, "/v2/customer_profiles/\(profile)", ["attributes": [:]],
            headers: [(.authorization, "ApiKey-v1 \(shop.key)")])
        #expect(r.status == .ok, "\(r.body.text)")
    }

    static func addedInAnalytics(_ h: Harness, _ shop: Shop, _ campaign: Int64) async throws -> Double? {
        let analytics = try await h.call(
            .get,
            "/v1/applications/\(shop.app)/campaigns/\(campaign)/analytics?rangeStart=2020-01-01T00:00:00Z&rangeEnd=2099-01-01T00:00:00Z&granularity=1+year"
        )
        return analytics["data"]?.arrayValue?.last?["totalAddedLoyaltyPoints"]?.numberValue?.doubleValue
    }

    @Test func programsAreCreatedCheckedUpdatedAndListed() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(h, validity: "30d")
            let got = try await h.call(.get, "/v1/loyalty_programs/\(shop.program)")
            #expect(got.status == .ok)
            #expect(got["defaultValidity"] == "30d" && got["accountID"] == 1 && got["title"] == "Points")
            #expect(got["subscribedApplications"] == [.number(shop.app)])

            let duplicate = try await h.call(
                .post, "/v1/loyalty_programs",
                [
                    "name": .string("points-\(shop.app)"), "title": "Again", "defaultValidity": "unlimited",
                    "allowSubledger": false,
                ])
            #expect(duplicate.status == .badRequest && duplicate["errors"]?[0]?["source"]?["pointer"] == "/name")
            let badValidity = try await h.call(
                .post, "/v1/loyalty_programs",
                ["name": "other", "title": "Other", "defaultValidity": "forever", "allowSubledger": false])
            #expect(badValidity["errors"]?[0]?["source"]?["pointer"] == "/defaultValidity")
            let noApp = try await h.call(
                .post, "/v1/loyalty_programs",
                [
                    "name": "other", "title": "Other", "defaultValidity": "unlimited", "allowSubledger": false,
                    "subscribedApplications": [999],
                ])
            #expect(noApp["errors"]?[0]?["source"]?["pointer"] == "/subscribedApplications/0")

            let renamed = try await h.call(.put, "/v1/loyalty_programs/\(shop.program)", ["name": "renamed"])
            #expect(renamed.status == .badRequest && renamed["errors"]?[0]?["source"]?["pointer"] == "/name")
            let updated = try await h.call(
                .put, "/v1/loyalty_programs/\(shop.program)", ["title": "Stars", "defaultValidity": "unlimited"])
            #expect(updated.status == .ok && updated["title"] == "Stars" && updated["defaultValidity"] == "unlimited")

            let list = try await h.call(.get, "/v1/loyalty_programs")
            #expect(list["totalResultSize"] == 1 && list["data"]?[0]?["title"] == "Stars")
            #expect(try await h.call(.get, "/v1/loyalty_programs/999").status == .notFound)
        }
    }

    @Test func pointsAreEarnedAtCloseAndTakenBackAtCancel() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(h)
            let campaign = try await h.createCampaign(
                shop.app, name: "1 point per 10",
                rules: [
                    [
                        "title": "Earn", "condition": ["and", true],
                        "effects": [
                            [
                                "addLoyaltyPoints", .number(shop.program),
                                ["floor", ["/", [".", "Session", "Total"], 10]],
                            ]
                        ],
                    ]
                ])
            let cart: JSON = [cartItem("shoe", price: 125)]
            let open = try await h.session("s1", key: shop.key, ["profileId": "alice", "cartItems": cart])
            let earned = open.body.effects("addLoyaltyPoints")
            #expect(earned.count == 1)
            #expect(earned.first?["value"]?.numberValue?.doubleValue == 12)
            #expect(earned.first?["recipientIntegrationId"] == "alice" && earned.first?["name"] == "Earn")
            #expect(earned.first?["expiryCondition"] == "unlimited")
            // An open session only shows what it would earn.
            #expect(try await Self.active(h, shop, "alice") == 0)

            let closed = try await h.session("s1", key: shop.key, ["state": "closed"])
            let booked = try #require(closed.body.effects("addLoyaltyPoints").first)
            #expect(booked["transactionUUID"]?.stringValue?.count == 36)
            #expect(try await Self.active(h, shop, "alice") == 12)
            #expect(try await Self.addedInAnalytics(h, shop, campaign) == 12)
            // A repeated close books nothing more.
            _ = try await h.session("s1", key: shop.key, ["state": "closed"])
            #expect(try await Self.active(h, shop, "alice") == 12)

            let cancelled = try await h.session("s1", key: shop.key, ["state": "cancelled"])
            let rollback = try #require(cancelled.body.effects("rollbackAddedLoyaltyPoints").first)
            #expect(rollback["value"]?.numberValue?.doubleValue == 12 && rollback["programId"] == .number(shop.program))
            #expect(try await Self.active(h, shop, "alice") == 0)

            let history = try await Self.integration(
                h, shop, "/v1/loyalty_programs/\(shop.program)/profile/alice/transactions")
            let types = (history["data"]?.arrayValue ?? []).compactMap { $0["type"]?.stringValue }
            #expect(types == ["subtraction", "addition"])
            #expect(history["data"]?[1]?["customerSessionId"] == "s1")
            let added = try await Self.points(h, shop, "alice", "add_points", ["points": 3])
            #expect(added.status == .noContent)
            let bySession = try await Self.integration(
                h, shop,
                "/v1/loyalty_programs/\(shop.program)/profile/alice/transactions?pageSize=1&loyaltyTransactionType=session")
            #expect(bySession["data"]?.arrayValue?.count == 1 && bySession["hasMore"] == true)
            let manual = try await Self.integration(
                h, shop, "/v1/loyalty_programs/\(shop.program)/profile/alice/transactions?loyaltyTransactionType=manual")
            #expect(manual["data"]?.arrayValue?.count == 1 && manual["data"]?[0]?["amount"] == 3)

            #expect(try await Self.addedInAnalytics(h, shop, campaign) == 0)
        }
    }

    @Test func fiftyConcurrentSessionsOfOneProfileNeverOverdraw() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(h)
            _ = try await h.createCampaign(
                shop.app, name: "Pay with points",
                rules: [
                    [
                        "title": "10 points for 5 off",
                        "condition": ["and", [">=", ["loyaltyBalance", .number(shop.program)], 10]],
                        "effects": [
                            ["deductLoyaltyPoints", .number(shop.program), 10], ["setDiscount", "Points", 5],
                        ],
                    ]
                ])
            try await Self.makeProfile(h, shop, "bob")
            let added = try await Self.points(h, shop, "bob", "add_points", ["points": 100, "name": "Welcome"])
            #expect(added.status == .noContent, "\(added.body.text)")
            #expect(try await Self.active(h, shop, "bob") == 100)

            let h2 = h
            let replies = try await withThrowingTaskGroup(of: Harness.Reply.self) { group in
                for i in 0..<50 {
                    group.addTask {
                        try await h2.session(
                            "spend-\(i)", key: shop.key,
                            ["profileId": "bob", "state": "closed", "cartItems": [cartItem("sock", price: 20)]])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == .ok })
            let spent = replies.filter { !$0.body.effects("deductLoyaltyPoints").isEmpty }
            #expect(spent.count == 10)
            // A discount paid with points comes only with its deduction.
            #expect(replies.filter { !$0.body.effects("setDiscount").isEmpty }.count == 10)
            let balance = try await Self.balance(h, shop, "bob")
            #expect(balance["activePoints"] == 0 && balance["spentPoints"] == 100)

            let over = try await Self.points(h, shop, "bob", "deduct_points", ["points": 1])
            #expect(over.status == .badRequest && over["errors"]?[0]?["source"]?["pointer"] == "/points")
        }
    }

    @Test func pointsExpireByTimeAloneAndSpendingTakesTheSoonestFirst() async throws {
        let clock = ManualClock()
        try await Harness.run(clock: clock.now) { h in
            let shop = try await Self.shop(h)
            try await Self.makeProfile(h, shop, "carol")
            #expect(
                try await Self.points(h, shop, "carol", "add_points", ["points": 20, "expiryDuration": "unlimited"])
                    .status == .noContent)
            #expect(
                try await Self.points(h, shop, "carol", "add_points", ["points": 30, "expiryDuration": "1h"]).status
                    == .noContent)
            // 40 spent: the 30 expiring first, then 10 of the unlimited ones.
            #expect(try await Self.points(h, shop, "carol", "deduct_points", ["points": 40]).status == .noContent)
            #expect(
                try await Self.points(h, shop, "carol", "add_points", ["points": 50.5, "expiryDuration": "1h"]).status
                    == .noContent)
            #expect(try await Self.active(h, shop, "carol") == 60.5)

            clock.advance(seconds: 7200)
            let balance = try await Self.balance(h, shop, "carol")
            #expect(balance["activePoints"] == 10 && balance["expiredPoints"]?.numberValue?.doubleValue == 50.5)
            let history = try await Self.integration(
                h, shop, "/v1/loyalty_programs/\(shop.program)/profile/carol/transactions")
            #expect(history["data"]?[0]?["name"] == "Expired" && history["data"]?[0]?["type"] == "subtraction")
            #expect(history["data"]?[0]?["amount"]?.numberValue?.doubleValue == 50.5)
            let expired = try await Self.integration(
                h, shop, "/v1/loyalty_programs/\(shop.program)/profile/carol/points?status=expired")
            #expect(expired["data"]?.arrayValue?.count == 1)

            let ledger = try await h.call(.get, "/v1/loyalty_programs/\(shop.program)/profile/carol")
            #expect(ledger.status == .ok && ledger["ledger"]?["total"] == 10)
            #expect(ledger["ledger"]?["transactions"]?.arrayValue?.count == 5)
        }
    }

    @Test func subledgersAndBadRequestsPointAtTheField() async throws {
        try await Harness.run { h in
            let plain = try await Self.shop(h)
            try await Self.makeProfile(h, plain, "dave")
            let noSub = try await Self.points(h, plain, "dave", "add_points", ["points": 5, "subLedgerID": "shoes"])
            #expect(noSub["errors"]?[0]?["source"]?["pointer"] == "/subLedgerID")
            let negative = try await Self.points(h, plain, "dave", "add_points", ["points": -5])
            #expect(negative["errors"]?[0]?["source"]?["pointer"] == "/points")
            let badDuration = try await Self.points(
                h, plain, "dave", "add_points", ["points": 5, "expiryDuration": "5 years"])
            #expect(badDuration["errors"]?[0]?["source"]?["pointer"] == "/expiryDuration")
            #expect(try await Self.points(h, plain, "nobody", "add_points", ["points": 5]).status == .notFound)

            let shop = try await Self.shop(h, subledgers: true)
            #expect(
                try await Self.points(h, shop, "dave", "add_points", ["points": 7, "subLedgerID": "shoes"]).status
                    == .noContent)
            let r = try await Self.integration(h, shop, "/v1/loyalty_programs/\(shop.program)/profile/dave/balances")
            #expect(r["balance"]?["activePoints"] == 0 && r["subledgerBalances"]?["shoes"]?["activePoints"] == 7)
            // Another application's key does not see the program.
            let stranger = Shop(app: plain.app, key: plain.key, program: shop.program)
            let hidden = try await Self.integration(
                h, stranger, "/v1/loyalty_programs/\(shop.program)/profile/dave/balances")
            #expect(hidden.status == .notFound)
        }
    }

    @Test func aPointsBudgetHoldsAsForDiscounts() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(h)
            _ = try await h.createCampaign(
                shop.app, name: "Capped points",
                rules: [
                    [
                        "title": "Ten points", "condition": ["and", true],
                        "effects": [["addLoyaltyPoints", .number(shop.program), 10]],
                    ]
                ],
                extra: [
                    "limits": [
                        ["action": "addLoyaltyPoints", "limit": 25, "entities": []],
                        ["action": "addLoyaltyPointsEffect", "limit": 5, "entities": ["Profile"]],
                    ]
                ])
            var earned: [Int] = []
            for i in 0..<4 {
                let r = try await h.session("cap-\(i)", key: shop.key, ["profileId": "erin", "state": "closed"])
                #expect(r.status == .ok)
                earned.append(r.body.effects("addLoyaltyPoints").count)
            }
            // 10 + 10 fit in 25, a third 10 would not.
            #expect(earned == [1, 1, 0, 0])
            #expect(try await Self.active(h, shop, "erin") == 20)
            // Cancelling gives the budget back: the next close earns again.
            _ = try await h.session("cap-0", key: shop.key, ["state": "cancelled"])
            let again = try await h.session("cap-9", key: shop.key, ["profileId": "erin", "state": "closed"])
            #expect(again.body.effects("addLoyaltyPoints").count == 1)
        }
    }

    @Test func aRuleNamingAProgramItsApplicationDoesNotHaveFailsAlone() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(h)
            _ = try await h.createCampaign(
                shop.app, name: "Wrong program",
                rules: [
                    [
                        "title": "Elsewhere", "condition": ["and", true],
                        "effects": [["addLoyaltyPoints", 999, 5], ["setDiscount", "Still", 1]],
                    ],
                    [
                        "title": "Anonymous", "condition": ["and", true],
                        "effects": [["addLoyaltyPoints", .number(shop.program), 5]],
                    ],
                ])
            let r = try await h.session("wrong-1", key: shop.key, ["cartItems": []], content: ["ruleFailureReasons"])
            #expect(r.status == .ok)
            #expect(r.body.effects("setDiscount").count == 1 && r.body.effects("addLoyaltyPoints").isEmpty)
            let details = (r["ruleFailureReasons"]?.arrayValue ?? []).compactMap { $0["details"]?.stringValue }
            #expect(details.contains { $0.contains("not a loyalty program this application is subscribed to") })
            #expect(details.contains { $0.contains("anonymous session") })
        }
    }
}
