import HTTPTypes
import PerkJSON
import Testing

/// Discounts of single units (cart item flattening), of additional costs, and spread over
/// items; none ever exceeds what it discounts.
@Suite struct ItemDiscountTests {
    static let socks: JSON = ["filter", [".", "Session", "CartItems"], [["Item"], ["=", [".", "Item", "Category"], "socks"]]]

    /// "3 for 2 on socks": of every three units of socks, the cheapest is free.
    static let threeForTwo: JSON = [
        "title": "3 for 2 on socks",
        "condition": ["exists", [".", "Session", "CartItems"], "Item", ["=", [".", "Item", "Category"], "socks"]],
        "effects": [
            [
                "map",
                [
                    "take", ["sortByNumber", socks, [["Item"], [".", "Item", "Price"]], false],
                    ["floor", ["/", ["count", socks], 3]],
                ],
                "Item",
                [
                    "setDiscountPerItem", "3 for 2", [".", "Item", "Price"], [".", "Item", "Position"],
                    [".", "Item", "SubPosition"],
                ],
            ]
        ],
    ]

    static func flattenedShop(_ h: Harness, rules: [JSON]) async throws -> String {
        let app = try await h.createApplication(extra: ["enableFlattenedCartItems": true])
        _ = try await h.createCampaign(app, rules: rules)
        return try await h.createKey(app)
    }

    @Test func rulesSeeEachUnitAndDiscountOne() async throws {
        try await Harness.run { h in
            let key = try await Self.flattenedShop(h, rules: [Self.threeForTwo])
            let cart: JSON = [
                "cartItems": [
                    cartItem("red", price: 6, quantity: 3, category: "socks"), cartItem("hat", price: 20),
                    cartItem("blue", price: 4, quantity: 2, category: "socks"),
                ]
            ]
            let r = try await h.session("socks-1", key: key, cart, content: ["customerSession"])
            let discounts = r.body.effects("setDiscountPerItem")
            // Five units of socks: one free, the cheapest (a blue pair, line 2, its first unit).
            #expect(discounts == [["name": "3 for 2#2", "value": 4, "position": 2, "subPosition": 0]])
            // The session's cart is answered as it was sent.
            #expect(r["customerSession"]?["cartItems"]?[0]?["quantity"] == 3)
            #expect(r["customerSession"]?["cartItems"]?.arrayValue?.count == 3)

            let six = try await h.session(
                "socks-2", key: key, ["cartItems": [cartItem("red", price: 6, quantity: 6, category: "socks")]])
            #expect(six.body.effects("setDiscountPerItem").map { $0["subPosition"] } == [0, 1])

            // Without flattening, rules see lines: the same rule finds no second unit.
            let app = try await h.createApplication()
            _ = try await h.createCampaign(app, rules: [Self.threeForTwo])
            let lines = try await h.session(
                "socks-3", key: try await h.createKey(app),
                ["cartItems": [cartItem("red", price: 6, quantity: 6, category: "socks")]])
            #expect(lines.body.effects("setDiscountPerItem") == [])
        }
    }

    @Test func noDiscountExceedsWhatItDiscounts() async throws {
        try await Harness.run { h in
            let fifty: JSON = [
                "title": "Fifty off the first unit", "condition": true,
                "effects": [["setDiscountPerItem", "Fifty", 50, 0, 0], ["setDiscountPerItem", "Line", 100, 0]],
            ]
            let key = try await Self.flattenedShop(h, rules: [fifty])
            let r = try await h.session(
                "cap-1", key: key, ["cartItems": [cartItem("a", price: 30, quantity: 2)]], content: ["ruleFailureReasons"])
            let d = r.body.effects("setDiscountPerItem")
            #expect(d.count == 2)
            #expect(d.first == ["name": "Fifty#0", "value": 30, "position": 0, "subPosition": 0, "desiredValue": 50])
            // The line had 60; 30 of it is gone.
            #expect(d.last == ["name": "Line#0", "value": 30, "position": 0, "desiredValue": 100])

            // A unit or line that is not in the cart: the rule's effect fails, and says why.
            let outside: JSON = [
                "title": "Outside", "condition": true, "effects": [["setDiscountPerItem", "X", 1, 0, 5]],
            ]
            let other = try await Self.flattenedShop(h, rules: [outside])
            let failed = try await h.session(
                "cap-2", key: other, ["cartItems": [cartItem("a", price: 30, quantity: 2)]], content: ["ruleFailureReasons"])
            #expect(failed.body.effects("setDiscountPerItem") == [])
            #expect(failed["ruleFailureReasons"]?[0]?["details"]?.stringValue?.contains("sub-position") == true)
        }
    }

    @Test func additionalCostsAreDiscountedByName() async throws {
        try await Harness.run { h in
            let freeShipping: JSON = [
                "title": "Free shipping from 50", "condition": [">=", [".", "Session", "CartItemTotal"], 50],
                "effects": [
                    [
                        "setDiscountPerAdditionalCost", "Free shipping", "shipping",
                        [".", "Session", "AdditionalCosts", "shipping", "Price"],
                    ],
                    ["setDiscountPerAdditionalCost", "Twice", "shipping", 10],
                ],
            ]
            let key = try await Self.flattenedShop(h, rules: [freeShipping])
            let r = try await h.session(
                "ship-1", key: key,
                ["cartItems": [cartItem("a", price: 60)], "additionalCosts": ["shipping": ["price": 4.95]]],
                content: ["ruleFailureReasons"])
            #expect(
                r.body.effects("setDiscountPerAdditionalCost") == [
                    ["name": "Free shipping", "additionalCostId": 0, "additionalCost": "shipping", "value": 4.95]
                ])
            let none = try await h.session(
                "ship-2", key: key, ["cartItems": [cartItem("a", price: 60)]], content: ["ruleFailureReasons"])
            #expect(none.body.effects("setDiscountPerAdditionalCost") == [])
            #expect(none["ruleFailureReasons"]?.arrayValue?.isEmpty == false)
        }
    }

    @Test func aSpreadDiscountAddsUpToTheCent() async throws {
        try await Harness.run { h in
            let spread: JSON = [
                "title": "Ten off, spread", "condition": true,
                "effects": [["spreadDiscount", "Ten off", 10, [".", "Session", "CartItems"]]],
            ]
            let app = try await h.createApplication()
            _ = try await h.createCampaign(app, rules: [spread])
            let key = try await h.createKey(app)
            func shares(_ prices: [Double]) async throws -> [String] {
                let r = try await h.session(
                    "spread-\(prices)", key: key, ["cartItems": .array(prices.map { cartItem("x", price: $0) })])
                return r.body.effects("setDiscountPerItem").compactMap { $0["value"]?.numberValue?.text }
            }
            // Equal items: the leftover cent goes to the first.
            #expect(try await shares([10, 10, 10]) == ["3.34", "3.33", "3.33"])
            // 1.6575…, 3.3151…, 5.0273…: the two cents left go to the largest remainders.
            #expect(try await shares([10, 20, 30.33]) == ["1.66", "3.31", "5.03"])
            // Shares under a cent round away; the cent left goes where the remainder is largest.
            #expect(try await shares([0.03, 0.03, 100]) == ["10.00"])
            // Never more than the items are worth.
            #expect(try await shares([2, 3]) == ["2", "3"])
            let r = try await h.session("spread-total", key: key, ["cartItems": [cartItem("x", price: 4)]])
            #expect(r.body.effects("setDiscountPerItem").first?["desiredTotalDiscount"] == 10)
            #expect(r.body.effects("setDiscountPerItem").first?["totalDiscount"] == 4)
        }
    }

    @Test func flatteningIsAnApplicationSetting() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            #expect(try await h.call(.get, "/v1/applications/\(app)")["enableFlattenedCartItems"] == false)
            let updated = try await h.call(
                .put, "/v1/applications/\(app)",
                ["name": "Shop", "timezone": "UTC", "currency": "EUR", "enableFlattenedCartItems": true])
            #expect(updated["enableFlattenedCartItems"] == true)
            #expect(try await h.call(.get, "/v1/applications/\(app)")["enableFlattenedCartItems"] == true)
            let key = try await h.createKey(app)
            let big = try await h.session(
                "big", key: key, ["cartItems": [cartItem("a", price: 1, quantity: 6000), cartItem("b", price: 1, quantity: 5000)]])
            #expect(big.status == .badRequest && big["errors"]?[0]?["source"]?["pointer"] == "/customerSession/cartItems")
        }
    }

    @Test func bundlesAreCountedDiscountedAndNamed() async throws {
        try await Harness.run { h in
            let shoes: JSON = ["filter", [".", "Session", "CartItems"], [["Item"], ["=", [".", "Item", "Category"], "shoes"]]]
            let bundles: JSON = ["bundles", Self.socks, 2, shoes, 1]
            let rule: JSON = [
                "title": "Two pairs of socks with shoes: 10 off", "condition": [">", ["count", bundles], 0],
                "effects": [
                    ["map", bundles, "Bundle", ["setDiscount", "Bundle deal", 10]],
                    [
                        "map", bundles, "Bundle",
                        [
                            "showBundleMetadata", "Socks and shoes", ["list", "Category"],
                            ["map", [".", "Bundle"], "Item", [".", "Item", "Position"]],
                        ],
                    ],
                ],
            ]
            let key = try await Self.flattenedShop(h, rules: [rule])
            let cart: JSON = [
                "cartItems": [
                    cartItem("socks", price: 5, quantity: 5, category: "socks"),
                    cartItem("shoes", price: 50, quantity: 2, category: "shoes"), cartItem("hat", price: 20),
                ]
            ]
            let r = try await h.session("bundle-1", key: key, cart)
            #expect(r.body.effects("setDiscount").count == 2)
            #expect(
                r.body.effects("showBundleMetadata") == [
                    ["description": "Socks and shoes", "bundleAttributes": ["Category"], "itemsIndices": [0, 0, 1]],
                    ["description": "Socks and shoes", "bundleAttributes": ["Category"], "itemsIndices": [0, 0, 1]],
                ])
            let one = try await h.session(
                "bundle-2", key: key,
                ["cartItems": [cartItem("socks", price: 5, quantity: 3, category: "socks"), cartItem("shoes", price: 50, quantity: 4, category: "shoes")]])
            #expect(one.body.effects("setDiscount").count == 1)
            let none = try await h.session(
                "bundle-3", key: key, ["cartItems": [cartItem("shoes", price: 50, quantity: 4, category: "shoes")]])
            #expect(none.body.effects("setDiscount") == [] && none.body.effects("showBundleMetadata") == [])
        }
    }
}
