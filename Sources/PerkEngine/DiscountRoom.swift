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

    /// Lowers a discount effect to the room left for it and takes that room. When the effect asked
    /// for more, its `value` becomes what is granted and `desiredValue` says what was asked.
    /// False when nothing is left to discount: the effect is dropped.
    mutating func take(_ e: inout Effect) -> Bool {
        guard let asked = e.discount?.value, !asked.isZero else { return true }
        var room: DecimalNumber
        var line: Int?
        var unit: Int?
        var cost: String?
        switch e.type {
        case "setDiscountPerItem":
            guard let p = e.props["position"]?.numberValue?.intValue.map(Int.init), lines.indices.contains(p) else {
                return false
            }
            line = p
            room = lines[p]
            if let s = e.props["subPosition"]?.numberValue?.intValue.map(Int.init) {
                unit = s
                room = min(room, units[p]?[s] ?? unitPrices[p])
            }
        case "setDiscountPerAdditionalCost":
            guard let name = e.props["additionalCost"]?.stringValue, let left = costs[name] else { return false }
            cost = name
            room = left
        default:
            return true
        }
        let granted = min(asked, max(room, .zero))
        guard !granted.isZero else { return false }
        if granted < asked {
            e.props["value"] = granted.json
            e.props["desiredValue"] = asked.json
        }
        if let line {
            lines[line] = lines[line] - granted
            if let unit { units[line, default: [:]][unit] = (units[line]?[unit] ?? unitPrices[line]) - granted }
        }
        if let cost { costs[cost] = (costs[cost] ?? .zero) - granted }
        return true
    }
}

/// Currencies' decimal places, for amounts a rule spreads in the smallest unit.
enum Currency {
    /// ISO 4217 currencies without minor units; the others have cents.
    static let wholeUnits: Set<String> = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF",
        "XOF", "XPF",
    ]

    static func places(_ currency: String) -> Int { wholeUnits.contains(currency.uppercased()) ? 0 : 2 }
}
