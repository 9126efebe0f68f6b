import PerkJSON
import Testing

@testable import Talang

/// Perk's own list and number helpers: `round` (half to even) and `take`.
@Suite struct RoundAndTakeTests {
    static func text(_ expr: JSON) throws -> String {
        guard case .decimal(let d) = try Compiler().compile(expr).evaluate() else { return "not a decimal" }
        return d.description
    }

    @Test func roundIsHalfToEven() throws {
        #expect(try Self.text(["round", 2.5]) == "2")
        #expect(try Self.text(["round", 3.5]) == "4")
        #expect(try Self.text(["round", -2.5]) == "-2")
        #expect(try Self.text(["round", 1.005, 2]) == "1.00")
        #expect(try Self.text(["round", 1.015, 2]) == "1.02")
        #expect(try Self.text(["round", 1.2349, 3]) == "1.235")
        #expect(try Self.text(["round", -1.25, 1]) == "-1.2")
        #expect(try Self.text(["round", 1250, -2]) == "1.2E+3")
        #expect(try Self.text(["round", 7, 2]) == "7")
        #expect(try Self.text(["round", ["/", 10, 3], 2]) == "3.33")
        #expect(throws: EvalError.self) { try Compiler().compile(["round", 1, 0.5]).evaluate() }
        #expect(throws: EvalError.self) { try Compiler().compile(["round", 1, 21]).evaluate() }
    }

    @Test func takeKeepsTheFirstItems() throws {
        func count(_ expr: JSON) throws -> Int? {
            guard case .list(let l) = try Compiler().compile(expr).evaluate() else { return nil }
            return l.count
        }
        #expect(try count(["take", ["list", 1, 2, 3], 2]) == 2)
        #expect(try count(["take", ["list", 1, 2, 3], 5]) == 3)
        #expect(try count(["take", ["list", 1, 2, 3], 0]) == 0)
        #expect(try Self.text(["head", ["take", ["list", 7, 8], 1]]) == "7")
        #expect(throws: EvalError.self) { try Compiler().compile(["take", ["list", 1], -1]).evaluate() }
    }
}
