import PerkJSON
import Testing

@testable import Talang

@Suite struct EvaluatorTests {
    static func eval(_ expr: JSON, _ context: JSON = [:]) throws -> Value {
        guard case .map(let root) = Value(json: context) else { return .null }
        return try Compiler().compile(expr).evaluate(context: root)
    }

    static let cart: JSON = [
        "Session": [
            "Total": 120,
            "CartItems": [
                ["Sku": "a", "Price": 10, "Quantity": 2, "Category": "shoes"],
                ["Sku": "b", "Price": 100, "Quantity": 1, "Category": "hats"],
            ],
        ],
        "Profile": ["Attributes": ["Tier": "gold"]],
    ]

    @Test func theTypicalRule() throws {
        let rule: JSON = [
            "and", [">=", [".", "Session", "Total"], 100],
            ["exists", [".", "Session", "CartItems"], "Item", ["=", [".", "Item", "Category"], "shoes"]],
            [
                ">",
                [
                    "sum", [".", "Session", "CartItems"], "Item",
                    ["*", [".", "Item", "Price"], [".", "Item", "Quantity"]],
                ], 50,
            ],
            ["=", [".", "Profile", "Attributes", "Tier"], "gold"],
        ]
        #expect(try Self.eval(rule, Self.cart) == .bool(true))
    }

    @Test func equalityWithALiteralStringKeepsTheGeneralRules() throws {
        let context: JSON = ["X": 1, "S": "shoes", "L": [1], "M": ["Id": "7"]]
        #expect(try Self.eval(["=", [".", "S"], "shoes"], context) == .bool(true))
        #expect(try Self.eval(["=", [".", "X"], "1"], context) == .bool(true))
        #expect(try Self.eval(["=", [".", "M", "Id"], "7"], context) == .bool(true))
        #expect(try Self.eval(["=", [".", "S"], "hats"], context) == .bool(false))
        #expect(try Self.eval(["=", 1, "1"]) == .bool(true))
        #expect(throws: EvalError.self) { try Self.eval(["=", [".", "L"], "1"], context) }
        #expect(throws: EvalError.self) { try Self.eval(["=", [".", "Missing"], "1"], context) }
        #expect(throws: CompileError.self) { try Compiler().compile(["=", "1"]) }
        #expect(throws: CompileError.self) { try Compiler().compile(["=", ["list", 1], "1"]) }
        // Paths through lambda items and nested variables resolve as before.
        let items: JSON = ["Items": [["Tag": "a", "Sub": ["Tag": "b"]], ["Tag": "b"]]]
        #expect(
            try Self.eval(["filter", [".", "Items"], [["I"], ["=", [".", "I", "Tag"], "b"]]], items)
                == .list([.map(["Tag": .string("b")])]))
        #expect(
            try Self.eval(["exists", [".", "Items"], "I", ["=", [".", "I", "Sub", "Tag"], "b"]], items) == .bool(true))
    }

    @Test func lambdasInBothForms() throws {
        let items: JSON = [".", "Session", "CartItems"]
        #expect(
            try Self.eval(["map", items, [["I"], [".", "I", "Sku"]]], Self.cart) == .list([.string("a"), .string("b")]))
        #expect(
            try Self.eval(["count", ["filter", items, [["I"], [">", [".", "I", "Price"], 50]]]], Self.cart)
                == .decimal(1))
        #expect(try Self.eval(["every", items, "I", [">", [".", "I", "Price"], 5]], Self.cart) == .bool(true))
        #expect(try Self.eval(["do", 5, "x", ["+", [".", "x"], 1]]) == .decimal(6))
        #expect(throws: CompileError.self) { try Compiler().compile(["sum", items, [["I"], 1]]) }
    }

    @Test func errorsAndRecovery() throws {
        #expect(throws: EvalError.self) { try Self.eval([".", "Missing"]) }
        #expect(throws: EvalError.self) { try Self.eval(["and", false, [".", "Missing"]]) }
        #expect(try Self.eval(["catch", 22, [".", "Missing"]]) == .decimal(22))
        #expect(try Self.eval([".|", 0, [".", "Profile", "Attributes", "Age"]], Self.cart) == .decimal(0))
        #expect(throws: EvalError.self) { try Self.eval(["/", 1, 0]) }
        #expect(try Self.eval(["noop"]) == .null)
        #expect(try Self.eval(["not", false]) == .bool(true))
    }

    @Test func equalityIsNumericForDecimalsAndTextualOtherwise() throws {
        #expect(try Self.eval(["=", 1, 1.0]) == .bool(true))
        #expect(try Self.eval(["=", 1, "1"]) == .bool(true))
        #expect(try Self.eval(["=", true, "true"]) == .bool(true))
        #expect(try Self.eval(["!=", "a", "b", "c"]) == .bool(true))
    }

    @Test func overloadsResolveAtRunTime() throws {
        #expect(try Self.eval(["+", [".", "a"], [".", "b"]], ["a": "x", "b": "y"]) == .string("xy"))
        #expect(try Self.eval(["+", [".", "a"], [".", "b"]], ["a": 1, "b": 2]) == .decimal(3))
        #expect(throws: EvalError.self) { try Self.eval(["+", [".", "a"], [".", "b"]], ["a": 1, "b": "y"]) }
    }

    @Test func staticErrorsPointAtTheNode() {
        func pointer(_ e: JSON) -> String? {
            do {
                _ = try Compiler().compile(e)
                return nil
            } catch { return error.pointer }
        }
        #expect(pointer(["and", ["frobnicate", 1]]) == "/1/0")
        #expect(pointer(["and", ["=", 1]]) == "/1")
        #expect(pointer(["+", "a", 1]) == "")
        #expect(pointer(["not", 1]) == "")
        #expect(pointer(["and", ["x": 1] as JSON]) == "/1")
        #expect(pointer([1, 2]) == "/0")
        #expect(pointer(["AND", true, ["NOT", false]]) == nil)
    }

    @Test func setBindsInTheCurrentScopeAndNothingIsMutated() throws {
        #expect(try Self.eval([["set", "X", 5], ["+", [".", "X"], 1], [">", [".", "X"], 5]]) == .bool(false))
        #expect(try Self.eval([["set", "A", "B", 2], [".", "A", "B"]]) == .decimal(2))
        let compiled = try Compiler().compile(["*", [".", "Session", "Total"], ["/", 10, 100]])
        for _ in 0..<3 {
            #expect(try compiled.evaluate(context: ["Session": .map(["Total": .decimal(249.9)])]) == .decimal(24.99))
        }
    }
}

extension Value {
    static func decimal(_ d: Double) -> Value { .decimal(DecimalNumber("\(d)")!) }
}

@Suite struct TimeAndTemplateTests {
    static func eval(_ expr: JSON) throws -> Value { try Compiler().compile(expr).evaluate() }
    static func t(_ s: String) -> JSON { ["$time": .string(s)] }

    @Test func timeParsingPartsAndDurations() throws {
        #expect(try Self.eval(["formatTime", ["parseTime", "01/02/2018"]]) == .string("2018-01-02T00:00:00Z"))
        #expect(
            try Self.eval(["formatTime", ["parseTime", "2018-01-02 10:30", "yyyy-MM-dd HH:mm"]])
                == .string("2018-01-02T10:30:00Z"))
        #expect(throws: EvalError.self) { try Self.eval(["parseTime", "-42"]) }
        #expect(try Self.eval(["month", Self.t("2018-12-31T23:30:00-02:00")]) == .string("12"))
        #expect(try Self.eval(["hour", Self.t("2018-12-31T23:30:00-02:00")]) == .string("23"))
        #expect(try Self.eval(["date", Self.t("2018-01-02T19:04:05Z")]) == .string("2018-01-02"))
        #expect(
            try Self.eval(["formatTime", ["subDuration", Self.t("2018-03-01T00:00:00Z"), 1.9, "days"]])
                == .string("2018-02-28T00:00:00Z"))
        #expect(throws: EvalError.self) { try Self.eval(["addDuration", Self.t("2018-03-01T00:00:00Z"), 1, "weeks"]) }
        #expect(
            try Self.eval(["matchTime", Self.t("2018-03-11T05:00:00Z"), Self.t("2018-03-11T23:00:00Z"), "yyyy-MM-dd"])
                == .bool(true))
        #expect(
            try Self.eval([
                "betweenTimes", Self.t("2018-01-02T00:00:00Z"), Self.t("2018-01-01T00:00:00Z"),
                Self.t("2018-01-03T00:00:00Z"),
            ]) == .bool(true))
        #expect(
            try Self.eval(["daysBetween", Self.t("2018-01-01T00:00:00Z"), Self.t("2018-01-03T12:00:00Z")])
                == .decimal(2.5))
    }

    @Test func templatesTakeLazyTypedArguments() throws {
        let define: JSON = [
            "setTemplate", "discount(Decimal, Decimal)Decimal", ["*", ["#", 0], ["/", ["#", 1], 100]],
        ]
        #expect(try Self.eval([define, ["!", "discount", 200, 15]]) == .decimal(30))
        #expect(throws: EvalError.self) { try Self.eval([define, ["!", "discount", 200]]) }
        #expect(throws: EvalError.self) { try Self.eval([define, ["!", "discount", "a", 1]]) }
        #expect(throws: EvalError.self) { try Self.eval(["!", "undefined", 1]) }
        #expect(throws: CompileError.self) { try Compiler().compile(["setTemplate", "no signature", 1]) }
        // An argument that is never read is never evaluated.
        let lazy: JSON = [
            ["setTemplate", "first(Decimal, Decimal)Decimal", ["#", 0]], ["!", "first", 1, ["/", 1, 0]],
        ]
        #expect(try Self.eval(lazy) == .decimal(1))
    }

    @Test func regularExpressions() throws {
        #expect(try Self.eval(["~", "^foo", "foobar"]) == .bool(true))
        #expect(try Self.eval(["~", "o{2}", "foo", "bar"]) == .bool(false))
        // A literal pattern is compiled with the rule; one computed at run time when it is used.
        #expect(throws: CompileError.self) { try Compiler().compile(["~", "(", "x"]) }
        #expect(throws: EvalError.self) { try Self.eval(["~", ["+", "(", ""], "x"]) }
    }
}
