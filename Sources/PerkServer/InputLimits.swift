import PerkEngine
import PerkJSON
import Talang

/// Bounds on what one Integration API request may carry, so that no request can make Perk store,
/// evaluate or answer without limit. Each is a 400 whose pointer names the field.
enum InputLimits {
    /// Characters of any string (names, SKUs, attribute values, ...).
    static let maxStringLength = 10_000
    /// Characters of an id: session, profile, coupon and referral codes, identifiers, event types.
    static let maxIdLength = 1_000
    /// Items of any array, and members of any object.
    static let maxCollectionCount = 1_000
    /// Levels of nesting in a body (attribute values may be objects and lists).
    static let maxDepth = 32
    /// Lines of a session's cart.
    static let maxCartItems = 1_000
    /// Units of one cart line.
    static let maxQuantity: Int64 = 10_000
    /// Units in one cart, all lines together (as Talon.One): also what bounds a flattened cart.
    static let maxUnits: Int64 = 10_000

    /// Checks every string, collection and nesting level of a body.
    static func check(_ body: JSON) throws(FieldError) {
        do {
            try check(body, depth: 0)
        } catch {
            var pointer = ""
            for step in error.path.reversed() {
                switch step {
                case .index(let i): pointer = JSONPointer.append(pointer, i)
                case .key(let k): pointer = JSONPointer.append(pointer, k)
                }
            }
            throw FieldError(title: error.title, details: error.details, pointer: pointer)
        }
    }

    /// A bound a body broke, and where: the path is collected on the way out (innermost step
    /// first), because building every member's pointer on the way in was most of the work of
    /// checking a valid body.
    private struct Violation: Error {
        enum Step {
            case index(Int)
            case key(String)
        }
        var title: String
        var details: String
        var path: [Step] = []
    }

    private static func check(_ value: JSON, depth: Int) throws(Violation) {
        switch value {
        case .string(let s):
            // Bytes first: counting the characters of a huge string is itself slow.
            if s.utf8.count > maxStringLength
                && (s.utf8.count > 4 * maxStringLength || s.unicodeScalars.count > maxStringLength)
            {
                throw Violation(
                    title: "maxLength", details: "strings can be at most \(maxStringLength) characters long")
            }
        case .array(let items):
            try collection(items.count, depth: depth)
            for (i, item) in items.enumerated() { try check(item, depth: depth + 1, at: .index(i)) }
        case .object(let members):
            try collection(members.count, depth: depth)
            for (key, member) in members {
                if key.utf8.count > maxIdLength {
                    throw Violation(title: "maxLength", details: "names can be at most \(maxIdLength) characters long")
                }
                try check(member, depth: depth + 1, at: .key(key))
            }
        case .null, .bool, .number:
            return
        }
    }

    /// Checks a member, adding its step to the path of whatever it broke.
    private static func check(_ value: JSON, depth: Int, at step: Violation.Step) throws(Violation) {
        do {
            try check(value, depth: depth)
        } catch {
            var e = error
            e.path.append(step)
            throw e
        }
    }

    private static func collection(_ count: Int, depth: Int) throws(Violation) {
        guard depth < maxDepth else {
            throw Violation(title: "maxDepth", details: "values can be nested at most \(maxDepth) levels deep")
        }
        guard count <= maxCollectionCount else {
            throw Violation(
                title: "maxItems", details: "lists and objects can hold at most \(maxCollectionCount) entries")
        }
    }

    /// The cart of a session update: at most `maxCartItems` lines of at most `maxQuantity`
    /// units, and a total that stays within the amounts Perk accepts (±1e15).
    static func checkCart(_ patch: SessionPatch, pointer: String) throws(FieldError) {
        guard let items = patch.cartItems else { return }
        // Pointers only for errors: building them is most of the work on a valid cart.
        var cart: String { JSONPointer.append(pointer, "cartItems") }
        guard items.count <= maxCartItems else {
            throw FieldError(
                title: "maxItems", details: "cartItems can hold at most \(maxCartItems) items", pointer: cart)
        }
        var total = DecimalNumber.zero
        var units: Int64 = 0
        for (i, item) in items.enumerated() {
            guard item.quantity <= maxQuantity else {
                throw FieldError(
                    title: "maximum", details: "quantity must be less than or equal to \(maxQuantity)",
                    pointer: JSONPointer.append(JSONPointer.append(cart, i), "quantity"))
            }
            total = total + item.price * DecimalNumber(item.quantity)
            units += max(item.quantity, 0)
        }
        guard units <= maxUnits else {
            throw FieldError(
                title: "maximum", details: "the quantities of cartItems can add up to at most \(maxUnits)",
                pointer: cart)
        }
        for cost in patch.additionalCosts ?? [] { total = total + cost.price }
        let bound = DecimalNumber(1_000_000_000_000_000)
        guard total < bound, DecimalNumber.zero - bound < total else {
            throw FieldError(
                title: "Invalid value", details: "the session's total must be between -1e15 and 1e15", pointer: cart)
        }
    }
}
