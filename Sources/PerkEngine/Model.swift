import PerkJSON
import Talang

/// Instants are rule-language times: exact to the nanosecond, rendered as RFC 3339.
public typealias Timestamp = TimeValue

extension TimeValue {
    /// Microseconds since the epoch: the precision Perk stores and shows.
    public var microseconds: Int64 { seconds * 1_000_000 + Int64(nanoseconds / 1000) }

    public init(microseconds: Int64) {
        var s = microseconds / 1_000_000
        var us = microseconds % 1_000_000
        if us < 0 {
            us += 1_000_000
            s -= 1
        }
        self.init(seconds: s, nanoseconds: Int32(us * 1000))
    }

    /// The instant in UTC, as responses show it.
    public var utc: TimeValue { TimeValue(seconds: seconds, nanoseconds: nanoseconds, offsetSeconds: 0) }
}

/// A self-hosted Perk has a single account.
public let perkAccountID: Int64 = 1

public enum CaseSensitivity: String, Sendable, CaseIterable {
    case sensitive
    case insensitiveUppercase = "insensitive-uppercase"
    case insensitiveLowercase = "insensitive-lowercase"

    /// The form under which codes are stored and looked up.
    public func normalize(_ code: String) -> String {
        switch self {
        case .sensitive: code
        case .insensitiveUppercase: code.uppercased()
        case .insensitiveLowercase: code.lowercased()
        }
    }
}

public struct LimitConfig: Sendable, Equatable {
    public static let actions = [
        "redeemCoupon", "redeemReferral", "setDiscount", "createCoupon", "setDiscountEffect", "addLoyaltyPoints",
        "addLoyaltyPointsEffect",
    ]
    public static let entityNames = ["Coupon", "Referral", "Profile", "Identifier"]

    public var action: String
    public var limit: DecimalNumber
    public var entities: [String]

    public init(action: String, limit: DecimalNumber, entities: [String]) {
        self.action = action
        self.limit = limit
        self.entities = entities
    }
}

/// How codes are generated: each `#` of the pattern becomes one of the valid characters.
public struct CodeGeneratorSettings: Sendable, Equatable {
    public var validCharacters: [String]
    public var couponPattern: String

    public init(validCharacters: [String], couponPattern: String) {
        self.validCharacters = validCharacters
        self.couponPattern = couponPattern
    }
}

public struct Application: Sendable {
    public var id: Int64
    public var created: Timestamp
    public var modified: Timestamp
    public var name: String
    public var description: String?
    public var timezone: String
    public var currency: String
    public var caseSensitivity: CaseSensitivity
    public var attributes: JSONObject
    public var limits: [LimitConfig]
    /// The 16-hex-digit secret for Content-Signature requests.
    public var key: String
    /// Rules see a cart line of quantity N as N items of quantity 1 (`Position` the line's,
    /// `SubPosition` the unit's), so that they can discount single units.
    public var enableFlattenedCartItems = false
    /// A discount over a campaign's money budget is lowered to what is left of it instead of
    /// being dropped (`desiredValue` says what the rule asked for).
    public var enablePartialDiscounts = false

    public init(
        id: Int64, created: Timestamp, modified: Timestamp, name: String, description: String?, timezone: String,
        currency: String, caseSensitivity: CaseSensitivity, attributes: JSONObject, limits: [LimitConfig], key: String
    ) {
        self.id = id
        self.created = created
        self.modified = modified
        self.name = name
        self.description = description
        self.timezone = timezone
        self.currency = currency
        self.caseSensitivity = caseSensitivity
        self.attributes = attributes
        self.limits = limits
        self.key = key
    }
}

public enum CampaignState: String, Sendable, CaseIterable {
    case enabled, disabled, archived
}

public struct CampaignCounters: Sendable, Equatable {
    public var couponRedemptionCount: Int64 = 0
    public var referralRedemptionCount: Int64 = 0
    public var discountCount: DecimalNumber = .zero
    public var discountEffectCount: Int64 = 0
    public var couponCreationCount: Int64 = 0
    public init() {}
}

public struct Campaign: Sendable {
    public var id: Int64
    public var applicationId: Int64
    public var userId: Int64
    public var created: Timestamp
    public var updated: Timestamp
    public var name: String
    public var description: String
    public var startTime: Timestamp?
    public var endTime: Timestamp?
    public var attributes: JSONObject
    public var state: CampaignState
    public var activeRulesetId: Int64?
    public var tags: [String]
    public var features: [String]
    public var couponSettings: CodeGeneratorSettings?
    public var referralSettings: CodeGeneratorSettings?
    public var limits: [LimitConfig]
    public var counters: CampaignCounters
    public var lastActivity: Timestamp?

    public init(
        id: Int64, applicationId: Int64, userId: Int64, created: Timestamp, name: String, description: String = "",
        startTime: Timestamp? = nil, endTime: Timestamp? = nil, attributes: JSONObject = JSONObject(),
        state: CampaignState = .enabled, activeRulesetId: Int64? = nil, tags: [String] = [], features: [String] = [],
        couponSettings: CodeGeneratorSettings? = nil, referralSettings: CodeGeneratorSettings? = nil,
        limits: [LimitConfig] = []
    ) {
        self.id = id
        self.applicationId = applicationId
        self.userId = userId
        self.created = created
        self.updated = created
        self.name = name
        self.description = description
        self.startTime = startTime
        self.endTime = endTime
        self.attributes = attributes
        self.state = state
        self.activeRulesetId = activeRulesetId
        self.tags = tags
        self.features = features
        self.couponSettings = couponSettings
        self.referralSettings = referralSettings
        self.limits = limits
        self.counters = CampaignCounters()
    }

    /// Enabled and inside its schedule: the campaigns whose rules and coupons count.
    public func isRunning(at now: Timestamp) -> Bool {
        guard state == .enabled else { return false }
        if let startTime, now < startTime { return false }
        if let endTime, !(now < endTime) { return false }
        return true
    }

    /// The state the campaign manager shows: running, scheduled, expired, disabled or archived.
    public func frontendState(at now: Timestamp) -> String {
        switch state {
        case .disabled: return "disabled"
        case .archived: return "archived"
        case .enabled:
            if let startTime, now < startTime { return "scheduled" }
            if let endTime, !(now < endTime) { return "expired" }
            return "running"
        }
    }
}

public struct Binding: Sendable {
    public var name: String
    public var expression: JSON
    public init(name: String, expression: JSON) {
        self.name = name
        self.expression = expression
    }
}

public struct Rule: Sendable {
    public var title: String
    public var description: String?
    public var bindings: [Binding]
    public var condition: JSON
    public var effects: [JSON]

    public init(title: String, description: String? = nil, bindings: [Binding] = [], condition: JSON, effects: [JSON]) {
        self.title = title
        self.description = description
        self.bindings = bindings
        self.condition = condition
        self.effects = effects
    }
}

public struct Ruleset: Sendable {
    public var id: Int64
    public var campaignId: Int64
    public var userId: Int64
    public var created: Timestamp
    public var rules: [Rule]
    public var bindings: [Binding]
    public var rbVersion: String?
    public var activate: Bool
    public var activatedAt: Timestamp?

    public init(
        id: Int64, campaignId: Int64, userId: Int64, created: Timestamp, rules: [Rule], bindings: [Binding],
        rbVersion: String?, activate: Bool, activatedAt: Timestamp?
    ) {
        self.id = id
        self.campaignId = campaignId
        self.userId = userId
        self.created = created
        self.rules = rules
        self.bindings = bindings
        self.rbVersion = rbVersion
        self.activate = activate
        self.activatedAt = activatedAt
    }
}

public struct Coupon: Sendable {
    public var id: Int64
    public var created: Timestamp
    public var campaignId: Int64
    public var value: String
    public var usageLimit: Int64
    public var usageCounter: Int64
    public var startDate: Timestamp?
    public var expiryDate: Timestamp?
    public var attributes: JSONObject
    public var referralId: Int64?
    public var recipientIntegrationId: String?
    public var reservation: Bool
    public var batchId: String?
    /// The CSV import that added it.
    public var importId: Int64?

    public init(
        id: Int64, created: Timestamp, campaignId: Int64, value: String, usageLimit: Int64, usageCounter: Int64 = 0,
        startDate: Timestamp? = nil, expiryDate: Timestamp? = nil, attributes: JSONObject = JSONObject(),
        referralId: Int64? = nil, recipientIntegrationId: String? = nil, reservation: Bool = true,
        batchId: String? = nil, importId: Int64? = nil
    ) {
        self.id = id
        self.created = created
        self.campaignId = campaignId
        self.value = value
        self.usageLimit = usageLimit
        self.usageCounter = usageCounter
        self.startDate = startDate
        self.expiryDate = expiryDate
        self.attributes = attributes
        self.referralId = referralId
        self.recipientIntegrationId = recipientIntegrationId
        self.reservation = reservation
        self.batchId = batchId
        self.importId = importId
    }
}

/// A referral code an advocate hands to friends.
public struct Referral: Sendable {
    public var id: Int64
    public var created: Timestamp
    public var campaignId: Int64
    public var advocateProfileIntegrationId: String
    /// When set, only this profile may use the code.
    public var friendProfileIntegrationId: String?
    public var startDate: Timestamp?
    public var expiryDate: Timestamp?
    public var code: String
    public var usageCounter: Int64
    /// 0: no limit.
    public var usageLimit: Int64

    public init(
        id: Int64, created: Timestamp, campaignId: Int64, advocateProfileIntegrationId: String,
        friendProfileIntegrationId: String? = nil, startDate: Timestamp? = nil, expiryDate: Timestamp? = nil,
        code: String, usageCounter: Int64 = 0, usageLimit: Int64 = 1
    ) {
        self.id = id
        self.created = created
        self.campaignId = campaignId
        self.advocateProfileIntegrationId = advocateProfileIntegrationId
        self.friendProfileIntegrationId = friendProfileIntegrationId
        self.startDate = startDate
        self.expiryDate = expiryDate
        self.code = code
        self.usageCounter = usageCounter
        self.usageLimit = usageLimit
    }
}

public struct CustomerProfile: Sendable {
    public var id: Int64
    public var integrationId: String
    public var created: Timestamp
    public var attributes: JSONObject
    public var closedSessions: Int64
    public var totalSales: DecimalNumber
    public var lastActivity: Timestamp

    public init(
        id: Int64, integrationId: String, created: Timestamp, attributes: JSONObject = JSONObject(),
        closedSessions: Int64 = 0, totalSales: DecimalNumber = .zero, lastActivity: Timestamp? = nil
    ) {
        self.id = id
        self.integrationId = integrationId
        self.created = created
        self.attributes = attributes
        self.closedSessions = closedSessions
        self.totalSales = totalSales
        self.lastActivity = lastActivity ?? created
    }
}

public struct CartItem: Sendable, Equatable {
    public var name: String
    public var sku: String
    public var quantity: Int64
    public var price: DecimalNumber
    public var category: String?
    public var weight: DecimalNumber?
    public var height: DecimalNumber?
    public var width: DecimalNumber?
    public var length: DecimalNumber?
    public var attributes: JSONObject?
    /// Units given back by returns (never sent by clients).
    public var returnedQuantity: Int64 = 0

    public init(
        name: String, sku: String, quantity: Int64, price: DecimalNumber, category: String? = nil,
        weight: DecimalNumber? = nil, height: DecimalNumber? = nil, width: DecimalNumber? = nil,
        length: DecimalNumber? = nil, attributes: JSONObject? = nil
    ) {
        self.name = name
        self.sku = sku
        self.quantity = quantity
        self.price = price
        self.category = category
        self.weight = weight
        self.height = height
        self.width = width
        self.length = length
        self.attributes = attributes
    }
}

public enum SessionState: String, Sendable, CaseIterable {
    case open, closed, cancelled
    /// Closed, and some of its items returned (only `…/returns` gets a session here).
    case partiallyReturned = "partially_returned"
}

/// One return of items of a closed session (`POST /v2/customer_sessions/{id}/returns`).
public struct SessionReturn: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var position: Int
        public var quantity: Int64
        public var sku: String
        public init(position: Int, quantity: Int64, sku: String) {
            self.position = position
            self.quantity = quantity
            self.sku = sku
        }
    }

    /// The id of the event the return recorded.
    public var id: Int64
    public var created: Timestamp
    public var items: [Item]

    public init(id: Int64, created: Timestamp, items: [Item]) {
        self.id = id
        self.created = created
        self.items = items
    }
}

/// What a close counted, kept with the session so that a cancel gives back exactly that.
public struct RedemptionLedger: Sendable, Equatable {
    public struct RedeemedCoupon: Sendable, Equatable {
        public var couponId: Int64
        public var campaignId: Int64
        public var value: String
        public init(couponId: Int64, campaignId: Int64, value: String) {
            self.couponId = couponId
            self.campaignId = campaignId
            self.value = value
        }
    }

    public struct ConfirmedDiscount: Sendable, Equatable {
        public var campaignId: Int64
        public var name: String
        public var value: DecimalNumber
        public init(campaignId: Int64, name: String, value: DecimalNumber) {
            self.campaignId = campaignId
            self.name = name
            self.value = value
        }
    }

    public struct RedeemedReferral: Sendable, Equatable {
        public var referralId: Int64
        public var campaignId: Int64
        public var code: String
        public init(referralId: Int64, campaignId: Int64, code: String) {
            self.referralId = referralId
            self.campaignId = campaignId
            self.code = code
        }
    }

    public var coupons: [RedeemedCoupon] = []
    public var referral: RedeemedReferral?
    public var discounts: [ConfirmedDiscount] = []
    /// What the close added to budget counters.
    public var charges: [LimitCharge] = []
    /// The session total the close added to the profile's sales.
    public var sales: DecimalNumber = .zero
    /// Loyalty points the close booked.
    public var points: [BookedPoints] = []

    public init(
        coupons: [RedeemedCoupon] = [], referral: RedeemedReferral? = nil, discounts: [ConfirmedDiscount] = [],
        charges: [LimitCharge] = [], sales: DecimalNumber = .zero
    ) {
        self.charges = charges
        self.coupons = coupons
        self.referral = referral
        self.discounts = discounts
        self.sales = sales
    }
}

public struct CustomerSession: Sendable {
    public var id: Int64
    public var integrationId: String
    public var applicationId: Int64
    public var created: Timestamp
    public var updated: Timestamp
    public var profileId: String
    public var couponCodes: [String]
    public var referralCode: String
    public var state: SessionState
    public var cartItems: [CartItem]
    /// Additional costs by name, in the order they were sent.
    public var additionalCosts: [(name: String, price: DecimalNumber)]
    public var identifiers: [String]
    public var attributes: JSONObject
    public var firstSession: Bool
    /// The `total` a v1 client sent (v1 totals are the client's); nil: computed from the cart.
    public var suppliedTotal: DecimalNumber?
    /// Set when the session was closed and its redemptions counted.
    public var ledger: RedemptionLedger?
    /// The effects of the latest evaluation, returned again by an idempotent repeat.
    public var effects: [Effect]
    /// Bumped by every stored update, so that concurrent updates cannot overwrite each other.
    public var version: Int64 = 0
    /// Returns of its items, oldest first.
    public var returns: [SessionReturn] = []
    /// When it was closed, kept once a return changes `updated`: returns evaluate at that time.
    public var closedAt: Timestamp?

    /// The session as it stands after its returns: each line with the units kept.
    public var remaining: CustomerSession {
        var s = self
        s.cartItems = cartItems.map { item in
            var i = item
            i.quantity = max(item.quantity - item.returnedQuantity, 0)
            i.returnedQuantity = 0
            return i
        }
        return s
    }

    public init(
        id: Int64, integrationId: String, applicationId: Int64, created: Timestamp, profileId: String = "",
        couponCodes: [String] = [], referralCode: String = "", state: SessionState = .open, cartItems: [CartItem] = [],
        additionalCosts: [(name: String, price: DecimalNumber)] = [], identifiers: [String] = [],
        attributes: JSONObject = JSONObject(), firstSession: Bool = true
    ) {
        self.id = id
        self.integrationId = integrationId
        self.applicationId = applicationId
        self.created = created
        self.updated = created
        self.profileId = profileId
        self.couponCodes = couponCodes
        self.referralCode = referralCode
        self.state = state
        self.cartItems = cartItems
        self.additionalCosts = additionalCosts
        self.identifiers = identifiers
        self.attributes = attributes
        self.firstSession = firstSession
        self.ledger = nil
        self.effects = []
    }

    /// Σ price × quantity over the cart, before discounts.
    public var cartItemTotal: DecimalNumber {
        cartItems.reduce(DecimalNumber.zero) { $0 + $1.price * DecimalNumber($1.quantity) }
    }

    public var additionalCostTotal: DecimalNumber {
        additionalCosts.reduce(DecimalNumber.zero) { $0 + $1.price }
    }

    public var total: DecimalNumber { suppliedTotal ?? cartItemTotal + additionalCostTotal }
}
