import HTTPTypes
import PerkJSON
import Testing

/// Simultaneous updates of one session never answer 5xx: duplicate closes all answer 200 with
/// the same outcome, and the close counts once. Runs on SQLite, and on PostgreSQL with
/// `PERK_TEST_STORE=postgres`.
@Suite struct ConcurrentCloseTests {
    static let closers = 16

    @Test(arguments: ["v2", "v1", "v2 open and close at once"])
    func duplicateClosesAnswerTheSameAndCountOnce(_ mode: String) async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let campaign = try await h.createCampaign(app, rules: [Harness.couponRule])
            let code = try await h.createCoupons(app, campaign, pattern: "DUP-####", usageLimit: 5)[0]
            let item = cartItem("a", price: 100)
            let auth: [(HTTPField.Name, String)] = [(.authorization, "ApiKey-v1 \(key)")]
            if mode != "v2 open and close at once" {
                let open = try await h.session(
                    "dup", key: key, ["profileId": "p", "couponCodes": [.string(code)], "cartItems": [item]])
                #expect(open.status == .ok)
            }
            let client = h
            let replies = try await withThrowingTaskGroup(of: Harness.Reply.self) { group in
                for _ in 0..<Self.closers {
                    group.addTask {
                        switch mode {
                        case "v1":
                            return try await client.call(
                                .put, "/v1/customer_sessions/dup", ["state": "closed"], headers: auth)
                        case "v2":
                            return try await client.session("dup", key: key, ["state": "closed"])
                        default:
                            return try await client.session(
                                "dup", key: key,
                                [
                                    "profileId": "p", "couponCodes": [.string(code)], "cartItems": [item],
                                    "state": "closed",
                                ])
                        }
                    }
                }
                var out: [Harness.Reply] = []
                for try await r in group { out.append(r) }
                return out
            }
            #expect(replies.allSatisfy { $0.status == .ok }, "\(replies.map { "\($0.status.code) \($0.body.text)" })")
            // Every answer carries the one close's outcome.
            let effects = Set(
                replies.map { r in
                    mode == "v1"
                        ? (r["session"]?["coupon"]?.text ?? "") + (r["event"]?["effects"]?.text ?? "")
                        : r["effects"]?.text ?? ""
                })
            #expect(effects.count == 1)
            let coupons = try await h.call(.get, "/v1/applications/\(app)/campaigns/\(campaign)/coupons")
            #expect(coupons["data"]?[0]?["usageCounter"]?.numberValue?.intValue == 1)
        }
    }
}
