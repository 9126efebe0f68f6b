import Foundation
import PerkJSON
import Testing

@testable import Talang

/// Runs the language's own input→output vectors (`../shared/reference/talang-vectors-sample.jsonl`
/// beside the checkout) through the compiler and evaluator the server uses.
struct VectorTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let id: String
        let json: JSON
        var testDescription: String { id }
    }

    static let vectorsURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/reference/talang-vectors-sample.jsonl")

    static func load() -> [Vector] {
        guard let data = try? Data(contentsOf: vectorsURL), let text = String(data: data, encoding: .utf8) else {
            return []
        }
        return text.split(separator: "\n").compactMap { line in
            guard let j = try? JSON.parse(String(line)), let id = j["id"]?.stringValue else { return nil }
            return Vector(id: id, json: j)
        }
    }

    /// Vectors where Perk deliberately differs from talang; see Deviations.md beside this file.
    static let deviations: Set<String> = ["extra-001"]

    static func outcome(_ v: Vector) -> (Value?, String?) {
        let expr = v.json["expr_json"].flatMap { $0.isNull ? nil : $0 } ?? v.json["expr_json_time_tagged"] ?? .null
        var root: ValueMap = [:]
        if case .map(let m)? = v.json["context"].map(Value.init(json:)) { root = m }
        do {
            let compiled = try Compiler().compile(expr)
            return (try compiled.evaluate(context: root), nil)
        } catch let e as CompileError {
            return (nil, "compile: \(e)")
        } catch {
            return (nil, "eval: \(error)")
        }
    }

    static func matches(_ value: Value, _ expected: JSON) -> Bool {
        switch (value, expected) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.decimal(let a), .number(let b)): return DecimalNumber(b.text).map { $0 == a } ?? false
        case (.string(let a), .string(let b)): return a == b
        case (.time(let a), .string(let b)): return TimeValue(rfc3339: b) == a
        case (.time(let a), .object(let o)): return o["$time"]?.stringValue.flatMap(TimeValue.init(rfc3339:)) == a
        case (.list(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { matches($0, $1) }
        case (.map(let a), .object(let b)):
            return a.count == b.count && b.allSatisfy { k, v in a[k].map { matches($0, v) } ?? false }
        default: return false
        }
    }

    @Test("sample vectors are present") func present() {
        #expect(!Self.load().isEmpty, "expected vectors at \(Self.vectorsURL.path)")
    }

    @Test(arguments: load())
    func vector(_ v: Vector) {
        guard !Self.deviations.contains(v.id) else { return }
        let (value, error) = Self.outcome(v)
        if v.json["expect_error"]?.boolValue == true {
            #expect(
                value == nil,
                "\(v.id) \(v.json["expr_text"]?.stringValue ?? ""): expected an error, got \(value.map { $0.json.text } ?? "")"
            )
        } else {
            let expected = v.json["expect"] ?? .null
            #expect(
                value.map { Self.matches($0, expected) } == true,
                "\(v.id) \(v.json["expr_text"]?.stringValue ?? ""): expected \(expected.text), got \(value.map { $0.json.text } ?? error ?? "")"
            )
        }
    }
}
