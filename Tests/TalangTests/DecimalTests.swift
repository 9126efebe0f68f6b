import Testing

@testable import Talang

@Suite struct DecimalTests {
    static func d(_ s: String) -> DecimalNumber { DecimalNumber(s)! }

    @Test(arguments: [
        ("1", "3", "/", "0.3333333333333333"), ("2", "3", "/", "0.6666666666666667"), ("10", "2", "/", "5"),
        ("1.00", "4", "/", "0.25"), ("1.23456789", "1.23456789", "*", "1.524157875019052"),
        ("12345678901234567890", "1", "+", "1.234567890123457E+19"), ("1.5", "1.5", "+", "3.0"),
        ("100", "0.1", "*", "10.0"), ("1.2", "3.4", "*", "4.08"), ("1", "2", "-", "-1"),
        ("5.5", "2", "mod", "1.5"), ("-5", "3", "mod", "-2"), ("0.1", "0.2", "+", "0.3"),
        ("1E+30", "1E-30", "+", "1.000000000000000E+30"), ("2.5", "0.5", "-", "2.0"), ("99.99", "0.1", "*", "9.999"),
        // Around the edges of the exact fast paths of + and *.
        ("9999999999999999", "1", "*", "9999999999999999"), ("9999999999999999", "3", "*", "3.000000000000000E+16"),
        ("9999999999999999", "1", "+", "1.000000000000000E+16"), ("10.99", "3", "*", "32.97"),
        ("-10.99", "3", "*", "-32.97"), ("-1.5", "-2.25", "+", "-3.75"), ("250", "10.99", "+", "260.99"),
        ("0", "-0.5", "*", "0.0"), ("1E+18", "0.01", "+", "1.000000000000000E+18"),
        ("4294967296", "4294967296", "*", "1.844674407370955E+19"),
    ])
    func arithmeticRoundsTo16DigitsHalfEven(_ a: String, _ b: String, _ op: String, _ expected: String) throws {
        let x = Self.d(a)
        let y = Self.d(b)
        let result: DecimalNumber
        switch op {
        case "+": result = x + y
        case "-": result = x - y
        case "*": result = x * y
        case "/": result = try x.divided(by: y)
        default: result = try x.remainder(dividingBy: y)
        }
        #expect(result.description == expected)
    }

    @Test func halfEvenRounding() {
        // 17 significant digits ending in 5 round to the even neighbour.
        #expect((Self.d("1.0000000000000005") + Self.d("0")).description == "1.000000000000000")
        #expect((Self.d("1.0000000000000015") + Self.d("0")).description == "1.000000000000002")
        #expect((Self.d("0.00000000000000001") + Self.d("1")).description == "1.000000000000000")
    }

    @Test func divisionByZeroIsAnError() {
        #expect(throws: DecimalNumber.ArithmeticError.divisionByZero) { try Self.d("1").divided(by: .zero) }
        #expect(throws: DecimalNumber.ArithmeticError.divisionByZero) { try Self.d("1").remainder(dividingBy: .zero) }
    }

    @Test func comparisonIsNumeric() {
        #expect(Self.d("1") == Self.d("1.0"))
        #expect(Self.d("-2") < Self.d("1E-5"))
        #expect(Self.d("0.10") > Self.d("0.099"))
        #expect(Set([Self.d("1"), Self.d("1.00")]).count == 1)
    }

    @Test func floorCeilAndParsing() {
        #expect(Self.d("-1.5").integral(.down).description == "-2")
        #expect(Self.d("1.2").integral(.up).description == "2")
        #expect(DecimalNumber(".5")?.description == "0.5")
        #expect(DecimalNumber("5.")?.description == "5")
        #expect(DecimalNumber("1e2") != nil)
        #expect(DecimalNumber("abc") == nil)
        #expect(DecimalNumber("0.0000001")?.description == "1E-7")
    }
}
