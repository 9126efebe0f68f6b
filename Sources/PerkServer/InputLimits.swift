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
        try check(body, pointer: "", depth: 0)
    }

    private static func check(_ value: JSON, pointer: String, depth: Int) throws(FieldError) {
        switch value {
        case .string(let s):
            // Bytes first: counting the characters of a huge string is itself slow.
            if s.utf8.count > maxStringLength && (s.utf8.count > 4 * maxStringLength || s.unicodeScalars.count > maxStringLength) {
                throw FieldError(
                    title: "maxLength", details: "strings can be at most \(maxStringLength) characters long",
                    pointer: pointer)
            }
        case .array(let items):
            try collection(items.count, pointer: pointer, depth: depth)
            for (i, item) in items.enumerated() {
                try check(item, pointer: JSONPointer.append(pointer, i), depth: depth + 1)
            }
        case .object(let members):
            try collection(members.count, pointer: pointer, depth: depth)
            for (key, member) in members {
                if key.utf8.count > maxIdLength {
                    throw FieldError(
                        title: "maxLength", details: "names can be at most \(maxIdLength) characters long",
                        pointer: pointer)
                }
                try check(member, pointer: JSONPointer.append(pointer, key), depth: depth + 1)
            }
        case .null, .bool, .number:
            return
        }
    }

    private static func collection(_ count: Int, pointer: String, depth: Int) throws(FieldError) {
        guard depth < maxDepth else {
            throw FieldError(
                title: "maxDepth", details: "values can be nested at most \(maxDepth) levels deep", pointer: pointer)
        }
        guard count <= maxCollectionCount else {
            throw FieldError(
                title: "maxItems", details: "lists and objects can hold at most \(maxCollectionCount) entries",
                pointer: pointer)
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
                title: "maximum", details: "the quantities of cartItems can add up to at most \(maxUnits)", pointer: cart)
        }
        for cost in patch.additionalCosts ?? [] { total = total + cost.price }
        let bound = DecimalNumber(1_000_000_000_000_000)
        guard total < bound, DecimalNumber.zero - bound < total else {
            throw FieldError(
                title: "Invalid value", details: "the session's total must be between -1e15 and 1e15", pointer: cart)
        }
    }
}
