import Foundation

// The Integration API's request and response bodies, named after the reference's schemas. Money is
// a `Double`, as in Talon.One's official SDKs; attributes are open `JSONValue` objects.

public typealias Attributes = [String: JSONValue]

public struct CartItem: Codable, Sendable, Equatable {
    public var name: String
    public var sku: String
    public var quantity: Int
    public var price: Double
    public var category: String?
    public var weight: Double?
    public var height: Double?
    public var width: Double?
    public var length: Double?
    public var position: Double?
    public var attributes: Attributes?

    public init(
        name: String, sku: String, quantity: Int, price: Double, category: String? = nil, attributes: Attributes? = nil
    ) {
        self.name = name
        self.sku = sku
        self.quantity = quantity
        self.price = price
        self.category = category
        self.attributes = attributes
    }
}

public struct AdditionalCost: Codable, Sendable, Equatable {
    public var price: Double
    public init(price: Double) { self.price = price }
}

public enum SessionState: String, Codable, Sendable {
    case open, closed, cancelled
}

/// The session an integration sends to `updateCustomerSessionV2`.
public struct NewCustomerSessionV2: Codable, Sendable, Equatable {
    public var profileId: String?
    public var couponCodes: [String]?
    public var referralCode: String?
    public var state: SessionState?
    public var cartItems: [CartItem]?
    public var additionalCosts: [String: AdditionalCost]?
    public var identifiers: [String]?
    public var attributes: Attributes?

    public init(
        profileId: String? = nil, couponCodes: [String]? = nil, referralCode: String? = nil,
        state: SessionState? = nil, cartItems: [CartItem]? = nil, additionalCosts: [String: AdditionalCost]? = nil,
        identifiers: [String]? = nil, attributes: Attributes? = nil
    ) {
        self.profileId = profileId
        self.couponCodes = couponCodes
        self.referralCode = referralCode
        self.state = state
        self.cartItems = cartItems
        self.additionalCosts = additionalCosts
        self.identifiers = identifiers
        self.attributes = attributes
    }
}

public struct IntegrationRequest: Codable, Sendable, Equatable {
    public enum ResponseContent: String, Codable, Sendable {
        case customerSession, customerProfile, coupons, triggeredCampaigns, referral, loyalty
    }

    public var customerSession: NewCustomerSessionV2
    public var responseContent: [ResponseContent]?

    public init(customerSession: NewCustomerSessionV2, responseContent: [ResponseContent]? = nil) {
        self.customerSession = customerSession
        self.responseContent = responseContent
    }
}

/// The session an integration sends to the 2020 `updateCustomerSession`.
public struct NewCustomerSession: Codable, Sendable, Equatable {
    public var profileId: String?
    public var coupon: String?
    public var referral: String?
    public var state: SessionState?
    public var cartItems: [CartItem]?
    public var identifiers: [String]?
    public var total: Double?
    public var attributes: Attributes?

    public init(
        profileId: String? = nil, coupon: String? = nil, referral: String? = nil, state: SessionState? = nil,
        cartItems: [CartItem]? = nil, identifiers: [String]? = nil, total: Double? = nil, attributes: Attributes? = nil
    ) {
        self.profileId = profileId
        self.coupon = coupon
        self.referral = referral
        self.state = state
        self.cartItems = cartItems
        self.identifiers = identifiers
        self.total = total
        self.attributes = attributes
    }
}

public struct NewCustomerProfile: Codable, Sendable, Equatable {
    public var attributes: Attributes?
    public init(attributes: Attributes? = nil) { self.attributes = attributes }
}

public struct NewEvent: Codable, Sendable, Equatable {
    public var profileId: String?
    public var type: String
    public var attributes: Attributes
    public var sessionId: String

    public init(profileId: String? = nil, type: String, attributes: Attributes = [:], sessionId: String) {
        self.profileId = profileId
        self.type = type
        self.attributes = attributes
        self.sessionId = sessionId
    }
}

public struct NewReferral: Codable, Sendable, Equatable {
    public var startDate: Date?
    public var expiryDate: Date?
    public var usageLimit: Int?
    public var campaignId: Int
    public var advocateProfileIntegrationId: String
    public var friendProfileIntegrationId: String?

    public init(
        campaignId: Int, advocateProfileIntegrationId: String, friendProfileIntegrationId: String? = nil,
        startDate: Date? = nil, expiryDate: Date? = nil, usageLimit: Int? = nil
    ) {
        self.campaignId = campaignId
        self.advocateProfileIntegrationId = advocateProfileIntegrationId
        self.friendProfileIntegrationId = friendProfileIntegrationId
        self.startDate = startDate
        self.expiryDate = expiryDate
        self.usageLimit = usageLimit
    }
}

public struct CouponReservations: Codable, Sendable, Equatable {
    public var integrationIDs: [String]
    public init(integrationIDs: [String]) { self.integrationIDs = integrationIDs }
}

public struct Coupon: Codable, Sendable, Equatable {
    public var id: Int
    public var created: Date
    public var campaignId: Int
    public var value: String
    public var usageLimit: Int
    public var discountLimit: Double?
    public var startDate: Date?
    public var expiryDate: Date?
    public var usageCounter: Int
    public var discountCounter: Double?
    public var discountRemainder: Double?
    public var attributes: Attributes?
    public var referralId: Int?
    public var recipientIntegrationId: String?
    public var importId: Int?
    public var reservation: Bool?
    public var batchId: String?
}

public struct Referral: Codable, Sendable, Equatable {
    public var id: Int
    public var created: Date
    public var startDate: Date?
    public var expiryDate: Date?
    public var usageLimit: Int
    public var campaignId: Int
    public var advocateProfileIntegrationId: String
    public var friendProfileIntegrationId: String?
    public var importId: Int?
    public var code: String
    public var usageCounter: Int
}

public struct CustomerProfile: Codable, Sendable, Equatable {
    /// Perk's own id of the profile (what `getCustomerProfile` takes).
    public var id: Int?
    public var integrationId: String
    public var created: Date
    public var attributes: Attributes
    public var accountId: Int
    public var closedSessions: Int
    public var totalSales: Double
    public var lastActivity: Date
}

public struct CustomerSessionV2: Codable, Sendable, Equatable {
    public var integrationId: String
    public var created: Date
    public var applicationId: Int
    public var profileId: String?
    public var couponCodes: [String]?
    public var referralCode: String?
    public var state: SessionState
    public var cartItems: [CartItem]
    public var additionalCosts: [String: AdditionalCost]?
    public var identifiers: [String]?
    public var attributes: Attributes?
    public var firstSession: Bool
    public var total: Double
    public var cartItemTotal: Double?
    public var additionalCostTotal: Double?
    public var updated: Date?
}

/// The 2020 session (`updateCustomerSession`): one coupon, one referral, the client's total.
public struct CustomerSession: Codable, Sendable, Equatable {
    public var integrationId: String
    public var created: Date
    public var applicationId: Int
    public var profileId: String?
    public var coupon: String
    public var referral: String
    public var state: SessionState
    public var cartItems: [CartItem]
    public var identifiers: [String]?
    public var total: Double
    public var attributes: Attributes
    public var firstSession: Bool
    public var discounts: [String: Double]
    public var updated: Date?
}

public struct Campaign: Codable, Sendable, Equatable {
    public var id: Int
    public var applicationId: Int
    public var name: String
    public var state: String
    public var tags: [String]
    public var features: [String]
}

/// The 2020 event of `IntegrationState`: effects as arrays `[campaignId, rulesetId, ruleIndex, [type, props...]]`.
public struct Event: Codable, Sendable, Equatable {
    public var id: Int
    public var created: Date
    public var applicationId: Int
    public var profileId: String?
    public var type: String
    public var attributes: Attributes
    public var sessionId: String?
    public var effects: [JSONValue]
    public var ledgerEntries: [JSONValue]
    public var meta: JSONValue?
}

public struct IntegrationState: Codable, Sendable, Equatable {
    public var session: CustomerSession
    public var profile: CustomerProfile
    public var event: Event
    public var referral: Referral?
    public var coupon: Coupon?
}

public struct IntegrationStateV2: Codable, Sendable, Equatable {
    public var customerSession: CustomerSessionV2?
    public var customerProfile: CustomerProfile?
    public var referral: Referral?
    public var coupons: [Coupon]?
    public var triggeredCampaigns: [Campaign]?
    public var effects: [Effect]
    public var createdCoupons: [Coupon]
    public var createdReferrals: [Referral]
}

public struct CustomerInventory: Codable, Sendable, Equatable {
    public var profile: CustomerProfile?
    public var referrals: [Referral]?
}

/// `getReservedCustomers`: the profiles holding a reservation.
public struct InlineResponse200: Codable, Sendable, Equatable {
    public var totalResultSize: Int?
    public var data: [CustomerProfile]
}

/// `getReservedCoupons`: the coupons a profile has reserved.
public struct InlineResponse2001: Codable, Sendable, Equatable {
    public var totalResultSize: Int?
    public var data: [Coupon]
}

/// The body of every error answer.
public struct ErrorResponse: Codable, Sendable, Equatable, Error {
    public struct ErrorSource: Codable, Sendable, Equatable {
        public var pointer: String?
        public var parameter: String?
        public var line: String?
        public var resource: String?
    }

    public struct APIError: Codable, Sendable, Equatable {
        public var title: String
        public var details: String
        public var source: ErrorSource
    }

    public var message: String
    public var errors: [APIError]
}
