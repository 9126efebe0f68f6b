import PerkJSON
import Testing

@testable import Talang

/// Untrusted rules: every evaluation is bounded in steps (and time), recursion and deep nesting
/// are refused when a rule is compiled, and the values a rule builds are bounded in size.
@Suite struct BudgetTests {
    static func run(_ expr: JSON, steps: Int, context: JSON = [:]) throws(EvalError) -> Value {
        guard case .map(let root) = Value(json: context) else { return .null }
        let compiled = try! Compiler().compile(expr)
        return try compiled.evaluate(context: root, budget: EvaluationBudget(steps: steps))
    }

    static func cart(_ n: Int) -> JSON {
        ["Session": ["CartItems": .array((0..<n).map { i in ["Sku": .string("s\(i)"), "Price": 1] })]]
    }

    /// `exists` over the cart inside `exists` over the cart: n² steps.
    static let nestedLoops: JSON = [
        "exists", [".", "Session", "CartItems"], "A",
        ["exists", [".", "Session", "CartItems"], "B", ["=", [".", "B", "Sku"], "none"]],
    ]

    @Test func aRuleWithinItsBudgetGivesItsValue() throws {
        #expect(try Self.run(Self.nestedLoops, steps: 100_000, context: Self.cart(100)) == .bool(false))
    }

    @Test func nestedLoopsOverABigCartRunOutOfSteps() {
        do {
            _ = try Self.run(Self.nestedLoops, steps: 100_000, context: Self.cart(12_000))
            Issue.record("expected the budget to run out")
        } catch {
            #expect(error.isOutOfBudget)
            #expect(error.message.contains("100000"))
        }
    }

    @Test func catchCannotRecoverFromAnExhaustedBudget() throws {
        // Each item raises and is caught, but running out of steps is not an error a rule can catch.
        let rule: JSON = [
            "catch", false,
            ["every", [".", "Session", "CartItems"], "I", ["catch", true, ["/", 1, 0]]],
        ]
        #expect(throws: EvalError.self) { try Self.run(rule, steps: 1_000, context: Self.cart(5_000)) }
        #expect(try Self.run(rule, steps: 100_000, context: Self.cart(5_000)) == .bool(true))
        let orElse: JSON = [".|", false, Self.nestedLoops]
        #expect(throws: EvalError.self) { try Self.run(orElse, steps: 1_000, context: Self.cart(1_000)) }
    }

    @Test func aDeadlineStopsAnEvaluationThatStillHasSteps() {
        let compiled = try! Compiler().compile(Self.nestedLoops)
        guard case .map(let root) = Value(json: Self.cart(3_000)) else { return }
        let past = ContinuousClock.now - .seconds(1)
        do {
            _ = try compiled.evaluate(context: root, budget: EvaluationBudget(steps: .max / 4, deadline: past))
            Issue.record("expected the deadline to stop the evaluation")
        } catch {
            #expect(error.isOutOfBudget)
            #expect(error.message.contains("time limit"))
        }
    }

    @Test func aNewAllowanceLetsTheNextRuleRun() throws {
        guard case .map(let root) = Value(json: Self.cart(1_000)) else { return }
        var env = Environment(root: root, budget: EvaluationBudget(steps: 100))
        let heavy = try Compiler().compile(Self.nestedLoops)
        let light = try Compiler().compile([">", 2, 1])
        #expect(throws: EvalError.self) { try heavy.evaluate(&env) }
        #expect(throws: EvalError.self) { try light.evaluate(&env) }
        env.allow(steps: 100)
        #expect(try light.evaluate(&env) == .bool(true))
        #expect(env.stepsLeft < 100)
    }

    @Test func recursiveTemplatesAreRefusedWithAPointer() throws {
        let direct: JSON = [["setTemplate", "f()Boolean", ["!", "f"]], ["!", "f"]]
        #expect(throws: CompileError("template f calls itself: templates may not be recursive", pointer: "/0/2")) {
            try Compiler().compile(direct)
        }
        let mutual: JSON = [
            ["setTemplate", "f()Boolean", ["!", "g"]],
            ["setTemplate", "G()Boolean", ["not", ["!", "F"]]],
            ["!", "f"],
        ]
        do {
            _ = try Compiler().compile(mutual)
            Issue.record("mutual recursion was accepted")
        } catch {
            #expect(error.message.contains("through"))
            #expect(error.pointer == "/1/2/1")
        }
        // Templates calling other templates, without a circle, are fine.
        let chain: JSON = [
            ["setTemplate", "twice(Decimal)Decimal", ["*", ["#", 0], 2]],
            ["setTemplate", "quad(Decimal)Decimal", ["!", "twice", ["!", "twice", ["#", 0]]]],
            ["!", "quad", 3],
        ]
        #expect(try Self.run(chain, steps: 1_000) == .decimal(12))
    }

    @Test func templatesCallingTemplatesManyTimesRunOutOfSteps() throws {
        // t_k calls t_{k-1} twice: 2^20 calls from a rule of 22 lines.
        var program: [JSON] = [["setTemplate", "t0()Decimal", 1]]
        for k in 1...20 {
            program.append([
                "setTemplate", .string("t\(k)()Decimal"),
                ["+", ["!", .string("t\(k - 1)")], ["!", .string("t\(k - 1)")]],
            ])
        }
        program.append(["!", "t20"])
        #expect(throws: EvalError.self) { try Self.run(.array(program), steps: 100_000) }
        program[program.count - 1] = ["!", "t5"]
        #expect(try Self.run(.array(program), steps: 100_000) == .decimal(32))
    }

    @Test func deepNestingIsRefused() throws {
        var deep: JSON = 1
        for _ in 0..<Compiler.maxNesting { deep = ["+", deep, 1] }
        do {
            _ = try Compiler().compile(deep)
            Issue.record("nesting past the limit was accepted")
        } catch {
            #expect(error.message.contains("nest"))
            #expect(error.pointer.hasPrefix("/1/1/1"))
        }
        var fine: JSON = 1
        for _ in 0..<(Compiler.maxNesting - 2) { fine = ["+", fine, 1] }
        #expect(try Self.run(fine, steps: 1_000) == .decimal(DecimalNumber(Compiler.maxNesting - 1)))
    }

    @Test func stringsAndListsARuleBuildsAreBounded() throws {
        // Doubling a string in a sequence: 2^40 bytes if nothing stopped it.
        var doubling: [JSON] = [["set", "s", "ab"]]
        for _ in 0..<40 { doubling.append(["set", "s", ["+", [".", "s"], [".", "s"]]]) }
        doubling.append([".", "s"])
        do {
            _ = try Self.run(.array(doubling), steps: 10_000_000)
            Issue.record("an unbounded string was built")
        } catch {
            #expect(error.message.contains("longer than"))
        }
        let huge: JSON = ["split", ["+", "x", "x"], ""]
        #expect(try Self.run(huge, steps: 100) == .list([.string("x"), .string("x")]))
        var longText = "a"
        for _ in 0..<16 { longText += longText }  // 65,536 characters
        let splitAll: JSON = ["split", ["+", .string(longText), .string(longText)], ""]
        #expect(throws: EvalError.self) { try Self.run(splitAll, steps: 1_000_000) }
        // Building counts against the budget, by size.
        let join: JSON = ["join", ["split", .string(longText), ""], ""]
        #expect(throws: EvalError.self) { try Self.run(join, steps: 1_000) }
        #expect(try Self.run(join, steps: 1_000_000) == .string(longText))
    }
}
