import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// The ready demo of `perk serve --demo`: an application with a few typical campaigns and
/// coupons, created once, and a fresh API key at every start (keys are only stored hashed).
public enum Demo {
    public static let applicationName = "Perk demo shop"

    public struct Info: Sendable {
        public let applicationId: Int64
        public let apiKey: String
        public let couponCode: String
        public let created: Bool
    }

    /// The units of socks in the cart (the demo flattens cart items).
    static let socks: JSON = [
        "filter", [".", "Session", "CartItems"], [["Item"], ["=", [".", "Item", "Category"], "socks"]],
    ]

    static let campaigns: [(campaign: JSON, rules: JSON)] = [
        (
            [
                "name": "Summer coupon: 10% off", "state": "enabled", "tags": ["demo"], "features": ["coupons"],
                "limits": [],
            ],
            [
                [
                    "title": "10% off the cart with a valid coupon",
                    "condition": ["and", ["couponValid"]],
                    "effects": [["setDiscount", "10% off", ["*", [".", "Session", "Total"], 0.1]]],
                ]
            ]
        ),
        (
            ["name": "Free socks from 100", "state": "enabled", "tags": ["demo"], "features": [], "limits": []],
            [
                [
                    "title": "Free socks for carts of 100 or more",
                    "condition": [">=", [".", "Session", "CartItemTotal"], 100],
                    "effects": [["addFreeItem", "socks-01", "Free socks"]],
                ]
            ]
        ),
        (
            ["name": "15% off shoes", "state": "enabled", "tags": ["demo"], "features": [], "limits": []],
            [
                [
                    "title": "15% off every pair of shoes",
                    "condition": [
                        "exists", [".", "Session", "CartItems"], "Item", ["=", [".", "Item", "Category"], "shoes"],
                    ],
                    "effects": [
                        [
                            "map",
                            [
                                "filter", [".", "Session", "CartItems"],
                                [["Item"], ["=", [".", "Item", "Category"], "shoes"]],
                            ],
                            "Item",
                            [
                                "setDiscountPerItem", "15% off shoes",
                                ["*", [".", "Item", "Price"], [".", "Item", "Quantity"], 0.15],
                                [".", "Item", "Position"],
                            ],
                        ]
                    ],
                ]
            ]
        ),
        (
            ["name": "Free shipping hint", "state": "enabled", "tags": ["demo"], "features": [], "limits": []],
            [
                [
                    "title": "Tell small carts about free shipping",
                    "condition": ["<", [".", "Session", "CartItemTotal"], 50],
                    "effects": [["showNotification", "Info", "Almost there", "Free shipping from 50"]],
                ]
            ]
        ),
        (
            ["name": "3 for 2 on socks", "state": "enabled", "tags": ["demo"], "features": [], "limits": []],
            [
                [
                    "title": "Of every three pairs of socks, the cheapest is free",
                    // As the console's rule builder writes it, so that it opens there.
                    "bindings": [],
                    "condition": [
                        "and", ["exists", [".", "Session", "CartItems"], "Item", ["=", [".", "Item", "Category"], "socks"]],
                    ],
                    "effects": [
                        [
                            "map",
                            [
                                "take", ["sortByNumber", socks, [["Item"], [".", "Item", "Price"]], false],
                                ["floor", ["/", ["count", socks], 3]],
                            ],
                            "Item",
                            [
                                "setDiscountPerItem", "3 for 2 on socks", [".", "Item", "Price"],
                                [".", "Item", "Position"], [".", "Item", "SubPosition"],
                            ],
                        ]
                    ],
                ]
            ]
        ),
        (
            ["name": "Free shipping from 50", "state": "enabled", "tags": ["demo"], "features": [], "limits": []],
            [
                [
                    "title": "Shipping is free for carts of 50 or more",
                    "condition": [
                        "and", [">=", [".", "Session", "CartItemTotal"], 50],
                        [">", [".|", 0, [".", "Session", "AdditionalCosts", "shipping", "Price"]], 0],
                    ],
                    "effects": [
                        [
                            "setDiscountPerAdditionalCost", "Free shipping", "shipping",
                            [".", "Session", "AdditionalCosts", "shipping", "Price"],
                        ]
                    ],
                ]
            ]
        ),
        (
            [
                "name": "Refer a friend", "state": "enabled", "tags": ["demo"], "features": ["referrals"],
                "limits": [], "referralSettings": ["couponPattern": "FRIEND-####", "validCharacters": ["A-Z", "0-9"]],
                "couponSettings": ["couponPattern": "THANKS-####", "validCharacters": ["A-Z", "0-9"]],
            ],
            [
                [
                    "title": "5 off for a referred friend",
                    "condition": ["and", ["referralValid"]],
                    "effects": [["setDiscount", "Friend welcome", 5], ["redeemReferral"]],
                ],
                [
                    "title": "A thank-you coupon for the advocate when the friend orders",
                    "condition": ["and", ["referralValid"], ["=", [".", "Session", "State"], "closed"]],
                    "effects": [["createCoupon", [".", "Session", "Referral", "AdvocateProfileIntegrationId"]]],
                ],
            ]
        ),
    ]

    /// Creates the demo application if it is missing and mints a key for it.
    public static func prepare(store: any Store, now: Timestamp = PerkServer.systemClock()) async throws -> Info {
        let existing = try await store.read { tx in
            try tx.applications(skip: 0, limit: 1000).items.first { $0.name == applicationName }
        }
        var created = false
        let app: PerkEngine.Application
        if let existing {
            app = existing
        } else {
            app = try await create(store: store, now: now)
            created = true
        }
        let key = Credentials.randomHex(bytes: 32)
        _ = try await store.write { tx in
            try tx.insertAPIKey(
                APIKeyRecord(
                    id: 0, applicationId: app.id, title: "demo", createdBy: 0, created: now,
                    expires: Timestamp(seconds: now.seconds + 365 * 24 * 3600)),
                hash: Credentials.digest(key))
        }
        return Info(applicationId: app.id, apiKey: key, couponCode: "SUMMER10", created: created)
    }

    static func create(store: any Store, now: Timestamp) async throws -> PerkEngine.Application {
        let app = try ManagementRequests.newApplication(
            [
                "name": .string(applicationName), "currency": "EUR", "timezone": "Europe/Berlin",
                "enableFlattenedCartItems": true,
            ], now: now)
        return try await store.write { tx in
            let app = try tx.insertApplication(app)
            for (campaignJSON, rulesJSON) in campaigns {
                let campaign = try insertCampaign(tx, campaignJSON, rules: rulesJSON, app: app, now: now)
                if campaign.features.contains("coupons") {
                    let spec = try ManagementRequests.newCoupons(
                        [
                            "couponPattern": "SUMMER10", "validCharacters": ["A-Z"], "numberOfCoupons": 1,
                            "usageLimit": 100,
                        ])
                    let (coupons, keys) = try CouponFactory.drawChunk(
                        tx, n: 1, spec: spec, application: app, campaignId: campaign.id, batchId: nil, now: now)
                    _ = try tx.insertCoupons(coupons, applicationId: app.id, lookupKeys: keys)
                }
            }
            try createLoyalty(tx, app: app, now: now)
            return app
        }
    }

    /// The demo's points program, and its campaign: a customer earns a point per 10 spent (kept
    /// for a year), booked when the session closes.
    static func createLoyalty(_ tx: any StoreTransaction, app: PerkEngine.Application, now: Timestamp) throws {
        let program = try tx.insertLoyaltyProgram(
            LoyaltyProgram(
                id: 0, created: now, name: "demo-points", title: "Perk points",
                description: "1 point per 10 spent, valid for a year", subscribedApplications: [app.id],
                defaultValidity: PointsValidity("365d") ?? .unlimited))
        let campaign: JSON = [
            "name": "1 point per 10 spent", "state": "enabled", "tags": ["demo", "loyalty"], "features": ["loyalty"],
            "limits": [],
        ]
        let rules: JSON = [
            [
                "title": "Points for the purchase",
                "condition": [
                    "and", ["!=", [".", "Session", "ProfileId"], ""], [">=", [".", "Session", "Total"], 10],
                ],
                "effects": [
                    [
                        "addLoyaltyPoints", .number(program.id), ["floor", ["/", [".", "Session", "Total"], 10]],
                        "1 point per 10 spent",
                    ]
                ],
            ]
        ]
        _ = try insertCampaign(tx, campaign, rules: rules, app: app, now: now)
    }

    /// A demo campaign with its ruleset active, compiled first as a save through the API does.
    static func insertCampaign(
        _ tx: any StoreTransaction, _ json: JSON, rules: JSON, app: PerkEngine.Application, now: Timestamp
    ) throws -> Campaign {
        var campaign = Campaign(id: 0, applicationId: app.id, userId: 0, created: now, name: "")
        try ManagementRequests.applyCampaign(json, to: &campaign, creating: true)
        campaign = try tx.insertCampaign(campaign)
        var ruleset = try ManagementRequests.newRuleset(
            ["rules": rules, "bindings": [], "activate": true], campaignId: campaign.id, userId: 0, now: now)
        _ = try CompiledRuleset(ruleset)
        ruleset.activatedAt = now
        ruleset = try tx.insertRuleset(ruleset)
        campaign.activeRulesetId = ruleset.id
        try tx.updateCampaign(campaign)
        return campaign
    }

    public static let userEmail = "demo@example.com"

    /// The demo's console user when no administrator is configured: made on the first start and
    /// given a new random password at every start, which is printed (a demo has nothing to hide).
    public static func prepareUser(store: any Store, now: Timestamp = PerkServer.systemClock()) async throws -> String {
        let password = Credentials.randomPassword()
        let hash = Credentials.hashPassword(password)
        try await store.write { tx in
            if let user = try tx.user(email: userEmail) {
                try tx.updatePasswordHash(userId: user.id, passwordHash: hash)
            } else {
                _ = try tx.insertUser(User(email: userEmail, name: "Demo", passwordHash: hash, admin: true, created: now))
            }
        }
        return password
    }

    /// How to reach the console and sign in; `password` nil when the administrator comes from
    /// `PERK_ADMIN_EMAIL` / `PERK_ADMIN_PASSWORD`.
    public static func consoleInstructions(host: String, port: Int, email: String, password: String?) -> String {
        let shownHost = host == "0.0.0.0" ? "127.0.0.1" : host
        return """
            Perk console: http://\(shownHost):\(port)/
              sign in as \(email) \(password.map { "with the password \($0)" } ?? "with PERK_ADMIN_PASSWORD")
            """
    }

    public static func instructions(_ info: Info, host: String, port: Int) -> String {
        let body =
            #"{"customerSession": {"profileId": "alice", "couponCodes": ["SUMMER10"], "cartItems": [{"name": "Running shoes", "sku": "shoe-01", "quantity": 1, "price": 120, "category": "shoes"}]}, "responseContent": ["customerSession"]}"#
        return """
            Perk demo: application \(info.applicationId) ("\(applicationName)")\(info.created ? ", just created" : "")
              API key (shown once): \(info.apiKey)
              coupon: \(info.couponCode)
              try it:
                curl -s -X PUT http://\(host):\(port)/v2/customer_sessions/demo-session-1 \\
                  -H 'Authorization: ApiKey-v1 \(info.apiKey)' -H 'Content-Type: application/json' \\
                  -d '\(body)'
            """
    }
}
