// Evaluations per second of the typical rule of talang.md §13 on one core: `and` of a total check,
// an `exists` over a 10-item cart, a `sum` of price × quantity and a profile attribute check.
// Run: swift run -c release RuleBenchmark [seconds]
// PART=total|exists|sum|profile measures one conjunct alone (to see where the time goes).
import Foundation
import PerkJSON
import Talang

let seconds = Double(CommandLine.arguments.dropFirst().first ?? "") ?? 5
let rule: JSON = [
    "and", [">=", [".", "Session", "Total"], 100],
    ["exists", [".", "Session", "CartItems"], "Item", ["=", [".", "Item", "Category"], "shoes"]],
    [
        ">",
        ["sum", [".", "Session", "CartItems"], "Item", ["*", [".", "Item", "Price"], [".", "Item", "Quantity"]]], 50,
    ],
    ["=", [".", "Profile", "Attributes", "Tier"], "gold"],
]
let items: [JSON] = (0..<10).map { i in
    [
        "Sku": .string("sku-\(i)"), "Name": .string("Item \(i)"), "Category": i == 9 ? "shoes" : "hats",
        "Price": .number(JSONNumber(uncheckedText: "\(10 + i).99")), "Quantity": .number(i % 3 + 1),
        "Attributes": ["color": "blue"],
    ]
}
let context: JSON = [
    "Session": ["Total": 250, "CartItems": .array(items)], "Profile": ["Attributes": ["Tier": "gold"]],
]
guard case .map(let root) = Value(json: context) else { fatalError("context") }
let parts: [String: JSON] = [
    "total": rule[1]!, "exists": rule[2]!, "sum": rule[3]![1]!, "profile": rule[4]!,
]
let part = ProcessInfo.processInfo.environment["PART"]
let compiled = try Compiler().compile(part.flatMap { parts[$0] } ?? rule)
if part == nil {
    let check = try compiled.evaluate(context: root)
    precondition(check == .bool(true))
}

// Rounds of a tenth of the time each; the median resists the noise of a shared machine.
let clock = ContinuousClock()
var env = Environment(root: root)
var rates: [Double] = []
for _ in 0..<10 {
    var evaluations = 0
    let start = clock.now
    while clock.now - start < .seconds(seconds / 10) {
        for _ in 0..<1000 { _ = try compiled.evaluate(&env) }
        evaluations += 1000
    }
    let elapsed = clock.now - start
    rates.append(
        Double(evaluations) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
}
rates.sort()
let rate = (rates[4] + rates[5]) / 2
print(
    String(
        format: "%@: median %.0f evaluations/s on one core (%.2f µs each), %.0f× talang's ~10,000/s; rounds %.0f–%.0f",
        part ?? "typical rule", rate, 1e6 / rate, rate / 10_000, rates.first!, rates.last!))
