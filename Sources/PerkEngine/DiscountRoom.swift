import PerkJSON
import Talang

/// What is left to discount in a session while its campaigns are evaluated: each cart line, each
/// unit of a line that a rule discounts on its own, and each additional cost. A discount of one
/// of them is lowered to what is left of it, so that it never exceeds what it discounts, however
/// many rules give one. (`setDiscount`, of the whole session, is not capped: as in 2020, it is
/// answered as the rule gives it, also on an empty cart.)
struct DiscountRoom: Sendable {
    private var lines: [DecimalNumber]
    /// Units a rule discounted on their own, by line and unit; the others still have their price.
    private var units: [Int: [Int: DecimalNumber]] = [:]
    private let unitPrices: [DecimalNumber]
    private var costs: [String: DecimalNumber]

    init(_ session: CustomerSession) {
        unitPrices = session.cartItems.map(\.price)
        lines = session.cartItems.map { $0.price * DecimalNumber($0.quantity) }
        costs = Dictionary(session.additionalCosts.map { ($0.name, $0.price) }, uniquingKeysWith: { a, _ in a })
    }

    /// Lowers a discount effect that asked for `asked` to the room left for it (and to `cap`, when a
    /// budget allows less), takes that room, and answers what is granted. When that is less than
    /// asked, `value` says what is granted and `desiredValue` what was asked. nil when nothing is
    /// left to discount: the effect is dropped.
    mutating func take(_ e: inout Effect, asked: DecimalNumber, granting cap: DecimalNumber? = nil) -> DecimalNumber? {
        guard !asked.isZero else { return asked }
        // nil: what it discounts is not tracked (`setDiscount`, of the whole session).
        var room: DecimalNumber?
        var line: Int?
        var unit: Int?
        var cost: String?
        switch e.type {
        case "setDiscountPerItem":
            guard let p = e.props["position"]?.numberValue?.intValue.map(Int.init), lines.indices.contains(p) else {
                return nil
            }
            line = p
            room = lines[p]
            if let s = e.props["subPosition"]?.numberValue?.intValue.map(Int.init) {
                unit = s
                room = min(lines[p], units[p]?[s] ?? unitPrices[p])
            }
        case "setDiscountPerAdditionalCost":
            guard let name = e.props["additionalCost"]?.stringValue, let left = costs[name] else { return nil }
            cost = name
            room = left
        default:
            break
        }
        var granted = cap.map { min(asked, $0) } ?? asked
        if let room { granted = min(granted, max(room, .zero)) }
        guard !granted.isZero else { return nil }
        if granted < asked {
            e.props["value"] = granted.json
            e.props["desiredValue"] = asked.json
        }
        if let line {
            lines[line] = lines[line] - granted
            if let unit { units[line, default: [:]][unit] = (units[line]?[unit] ?? unitPrices[line]) - granted }
        }
        if let cost { costs[cost] = (costs[cost] ?? .zero) - granted }
        return granted
    }
}
