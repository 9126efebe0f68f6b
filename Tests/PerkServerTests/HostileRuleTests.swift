import HTTPTypes
import PerkEngine
import PerkJSON
import PerkServer
import Testing

/// Rules are untrusted: what cannot be run safely is refused when it is saved, with a pointer;
/// what runs out of its budget does not fire, and every other campaign still answers.
@Suite struct HostileRuleTests {
    static func ruleset(_ h: Harness, _ app: Int64, _ campaign: Int64, _ rules: [JSON]) async throws -> Harness.Reply {
        try await h.call(
            .post, "/v1/applications/\(app)/campaigns/\(campaign)/rulesets",
            ["rules": .array(rules), "bindings": [], "activate": true])
    }

    static func rule(_ title: String, _ condition: JSON, _ effects: [JSON] = []) -> JSON {
        ["title": .string(title), "condition": condition, "effects": .array(effects)]
    }

    static func pointer(_ r: Harness.Reply) -> String? { r["errors"]?[0]?["source"]?["pointer"]?.stringValue }

    @Test func rulesThatCannotRunSafelyAreRefusedWhenSaved() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let campaign = try await h.createCampaign(app, rules: [])
            let recursive = try await Self.ruleset(
                h, app, campaign,
                [Self.rule("r", [["setTemplate", "f()Boolean", ["!", "f"]], ["!", "f"]])])
            #expect(recursive.status == .badRequest)
            #expect(Self.pointer(recursive) == "/rules/0/condition/0/2")
            // Templates are shared by the rules of a ruleset: a circle across two rules is one too.
            let mutual = try await Self.ruleset(
                h, app, campaign,
                [
                    Self.rule("a", [["setTemplate", "f()Boolean", ["!", "g"]], true]),
                    Self.rule("b", [["setTemplate", "g()Boolean", ["!", "f"]], ["!", "f"]]),
                ])
            #expect(mutual.status == .badRequest)
            #expect(Self.pointer(mutual) == "/rules/1/condition/0/2")
            let badPattern = try await Self.ruleset(h, app, campaign, [Self.rule("p", ["~", "(a", "a"])])
            #expect(badPattern.status == .badRequest)
            #expect(Self.pointer(badPattern) == "/rules/0/condition/1")
            #expect(badPattern["errors"]?[0]?["details"]?.stringValue?.contains("missing closing )") == true)
            var deep: JSON = true
            for _ in 0..<80 { deep = ["not", deep] }
            let nested = try await Self.ruleset(h, app, campaign, [Self.rule("n", deep)])
            #expect(nested.status == .badRequest)
            #expect(nested["errors"]?[0]?["details"]?.stringValue?.contains("nest") == true)
        }
    }

    /// Steps, not time, decide here: a debug build under a parallel test run is slow enough for
    /// a rule's 100,000 steps to pass the default 50 ms.
    static var patient: ServerSettings {
        var s = Harness.settings
        s.evaluation.time = .seconds(30)
        return s
    }

    @Test func aRuleOverBudgetDoesNotFireAndTheOthersStillDo() async throws {
        try await Harness.run(settings: Self.patient) { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            try await h.declare("CustomerSession", "Text")
            // Nested loops over the largest cart allowed: a million steps, ten times a rule's share.
            let loops: JSON = [
                "exists", [".", "Session", "CartItems"], "A",
                ["exists", [".", "Session", "CartItems"], "B", ["=", [".", "B", "Sku"], "none"]],
            ]
            let hostile = try await h.createCampaign(
                app, name: "Hostile",
                rules: [
                    Self.rule("loops", loops, [["setDiscount", "never", 1]]),
                    Self.rule(
                        "pattern", ["~", "^(a+)+$", [".", "Session", "Attributes", "Text"]], [["setDiscount", "re", 1]]),
                    Self.rule("split", ["=", ["count", ["split", [".", "Session", "Attributes", "Text"], ""]], 0]),
                ])
            _ = try await h.createCampaign(
                app, name: "Honest", rules: [Self.rule("always", true, [["setDiscount", "fair", 5]])])
            let cart: [JSON] = (0..<1_000).map { cartItem("sku-\($0)", price: 1) }
            let text = String(repeating: "a", count: 9_999) + "!"
            let r = try await h.session(
                "hostile-1", key: key,
                ["profileId": "p", "cartItems": .array(cart), "attributes": ["Text": .string(text)]],
                content: ["ruleFailureReasons"])
            #expect(r.status == .ok)
            #expect(r.body.effects("setDiscount").map { $0["name"]?.stringValue } == ["fair"])
            let failures = r["ruleFailureReasons"]?.arrayValue ?? []
            #expect(failures.count == 1, "\(failures.map(\.text))")
            #expect(failures.first?["ruleName"]?.stringValue == "loops")
            #expect(failures.first?["campaignID"]?.numberValue?.intValue == hostile)
            #expect(failures.first?["details"]?.stringValue?.contains("evaluation steps") == true)
            #expect(failures.first?["rulesetID"] != nil && failures.first?["ruleIndex"]?.numberValue?.intValue == 0)
        }
    }

    @Test func aRequestsBudgetIsSharedByItsRules() async throws {
        var settings = Self.patient
        settings.evaluation.ruleSteps = 1_000
        settings.evaluation.requestSteps = 2_500
        try await Harness.run(settings: settings) { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let spend: JSON = ["every", [".", "Session", "CartItems"], "I", [">", [".", "I", "Price"], 0]]
            let rules = (0..<5).map { Self.rule("r\($0)", spend, [["setDiscount", .string("d\($0)"), 1]]) }
            _ = try await h.createCampaign(app, rules: rules)
            let cart: [JSON] = (0..<200).map { cartItem("sku-\($0)", price: 1) }
            let r = try await h.session(
                "shared-1", key: key, ["cartItems": .array(cart)], content: ["ruleFailureReasons"])
            #expect(r.status == .ok)
            // Each rule takes about 400 steps: six fit in 2,500, but each also has its own 1,000.
            #expect(r.body.effects("setDiscount").count == 5)
            let heavy = (0..<5).map {
                Self.rule("h\($0)", ["and", spend, spend, spend], [["setDiscount", .string("h\($0)"), 1]])
            }
            _ = try await h.createCampaign(app, name: "Heavy", rules: heavy)
            let r2 = try await h.session(
                "shared-2", key: key, ["cartItems": .array(cart)], content: ["ruleFailureReasons"])
            #expect(r2.status == .ok)
            let failed = r2["ruleFailureReasons"]?.arrayValue ?? []
            #expect(!failed.isEmpty)
            #expect(failed.contains { $0["details"]?.stringValue?.contains("request used all its") == true })
        }
    }
}

extension HostileRuleTests {
    @Test func theTimeLimitStopsWhatStepsAloneWouldNot() async throws {
        var settings = Harness.settings
        settings.evaluation.ruleSteps = Int.max / 4
        settings.evaluation.requestSteps = Int.max / 4
        settings.evaluation.time = .milliseconds(1)
        try await Harness.run(settings: settings) { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let loops: JSON = [
                "exists", [".", "Session", "CartItems"], "A",
                ["exists", [".", "Session", "CartItems"], "B", ["=", [".", "B", "Sku"], "none"]],
            ]
            _ = try await h.createCampaign(app, rules: [Self.rule("loops", loops), Self.rule("after", true)])
            let cart: [JSON] = (0..<1_000).map { cartItem("sku-\($0)", price: 1) }
            let r = try await h.session("slow", key: key, ["cartItems": .array(cart)], content: ["ruleFailureReasons"])
            #expect(r.status == .ok)
            let details = (r["ruleFailureReasons"]?.arrayValue ?? []).compactMap { $0["details"]?.stringValue }
            #expect(details.count == 2)
            // The first rule runs out of time; on a busy machine the millisecond may already be
            // gone before it starts, and then it is not evaluated either.
            #expect(
                details.first == "ran past the evaluation's time limit"
                    || details.first?.hasPrefix("not evaluated: the request ran past its") == true)
            #expect(details.last?.hasPrefix("not evaluated: the request ran past its") == true)
        }
    }
}
