// Evaluations per second of the typical rule of talang.md §13 on one core: `and` of a total check,
// an `exists` over a 10-item cart, a `sum` of price × quantity and a profile attribute check.
// Run: swift run -c release RuleBenchmark [seconds]
import Foundation
import PerkJSON
import Talang

let seconds = Double(CommandLine.arguments.dropFirst().first ?? "") ?? 3
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
let compiled = try Compiler().compile(rule)
let check = try compiled.evaluate(context: root)
precondition(check == .bool(true))

var evaluations = 0
let clock = ContinuousClock()
let start = clock.now
var env = Environment(root: root)
while clock.now - start < .seconds(seconds) {
    for _ in 0..<1000 {
        guard case .bool(true) = try compiled.evaluate(&env) else { fatalError("wrong result") }
    }
    evaluations += 1000
}
let elapsed = clock.now - start
let rate = Double(evaluations) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
print(
    String(
        format: "typical rule: %.0f evaluations/s on one core (%.2f µs each); talang manages ~10,000/s", rate,
        1e6 / rate))
