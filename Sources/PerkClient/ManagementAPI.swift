import AsyncHTTPClient
import Foundation
import NIOHTTP1

// Management models, named after the reference's schemas where it has them.

public struct LoginParams: Codable, Sendable {
    public var email: String
    public var password: String
    public init(email: String, password: String) {
        self.email = email
        self.password = password
    }
}

/// A management session (`POST /v1/sessions`).
public struct Session: Codable, Sendable {
    public var userId: Int
    public var token: String
    public var created: Date
}

public struct NewApplication: Codable, Sendable {
    public var name: String
    public var description: String?
    public var timezone: String
    public var currency: String
    public var caseSensitivity: String?
    public var attributes: Attributes?
    public var key: String?
    public init(
        name: String, timezone: String = "UTC", currency: String, description: String? = nil,
        caseSensitivity: String? = nil, attributes: Attributes? = nil, key: String? = nil
    ) {
        self.name = name
        self.timezone = timezone
        self.currency = currency
        self.description = description
        self.caseSensitivity = caseSensitivity
        self.attributes = attributes
        self.key = key
    }
}

public struct Application: Codable, Sendable {
    public var id: Int
    public var created: Date
    public var modified: Date
    public var accountId: Int
    public var name: String
    public var description: String?
    public var timezone: String
    public var currency: String
    public var caseSensitivity: String?
    public var attributes: Attributes?
    public var key: String?
}

/// `POST /v1/applications/{id}/api_keys`: the key is answered once.
public struct NewAPIKey: Codable, Sendable {
    public var title: String
    public var expires: Date
    public init(title: String, expires: Date) {
        self.title = title
        self.expires = expires
    }
}

public struct APIKey: Codable, Sendable {
    public var id: Int
    public var key: String
    public var title: String
    public var expires: Date
}

public struct LimitConfig: Codable, Sendable, Equatable {
    public var action: String
    public var limit: Double
    public var entities: [String]
    public init(action: String, limit: Double, entities: [String] = []) {
        self.action = action
        self.limit = limit
        self.entities = entities
    }
}

public struct NewCampaign: Codable, Sendable {
    public var name: String
    public var description: String?
    public var startTime: Date?
    public var endTime: Date?
    public var attributes: Attributes?
    public var state: String
    public var activeRulesetId: Int?
    public var tags: [String]
    public var features: [String]
    public var couponSettings: JSONValue?
    public var referralSettings: JSONValue?
    public var limits: [LimitConfig]
    public init(
        name: String, state: String = "enabled", tags: [String] = [], features: [String] = [],
        limits: [LimitConfig] = [], description: String? = nil, startTime: Date? = nil, endTime: Date? = nil,
        attributes: Attributes? = nil
    ) {
        self.name = name
        self.state = state
        self.tags = tags
        self.features = features
        self.limits = limits
        self.description = description
        self.startTime = startTime
        self.endTime = endTime
        self.attributes = attributes
    }
}

/// A campaign as the management API answers it (`Campaign` of the reference).
public struct ManagedCampaign: Codable, Sendable {
    public var id: Int
    public var created: Date
    public var applicationId: Int
    public var userId: Int
    public var name: String
    public var description: String
    public var startTime: Date?
    public var endTime: Date?
    public var attributes: Attributes?
    public var state: String
    public var activeRulesetId: Int?
    public var tags: [String]
    public var features: [String]
    public var limits: [LimitConfig]
    public var couponRedemptionCount: Int?
    public var referralRedemptionCount: Int?
    public var discountCount: Double?
    public var discountEffectCount: Int?
    public var couponCreationCount: Int?
}

public struct NewRuleset: Codable, Sendable {
    public var rules: [JSONValue]
    public var bindings: [JSONValue]
    public var activate: Bool?
    public init(rules: [JSONValue], bindings: [JSONValue] = [], activate: Bool? = true) {
        self.rules = rules
        self.bindings = bindings
        self.activate = activate
    }

    enum CodingKeys: String, CodingKey { case rules, bindings, activate }

    /// `bindings` may be left out of a document (none), `activate` too (activated).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rules = try c.decode([JSONValue].self, forKey: .rules)
        bindings = try c.decodeIfPresent([JSONValue].self, forKey: .bindings) ?? []
        activate = try c.decodeIfPresent(Bool.self, forKey: .activate) ?? true
    }
}

public struct Ruleset: Codable, Sendable {
    public var id: Int
    public var created: Date
    public var userId: Int
    public var rules: [JSONValue]
    public var bindings: [JSONValue]
    public var rbVersion: String?
    public var activate: Bool?
}

public struct NewCoupons: Codable, Sendable {
    public var usageLimit: Int
    public var numberOfCoupons: Int
    public var couponPattern: String?
    public var validCharacters: [String]?
    public var uniquePrefix: String?
    public var startDate: Date?
    public var expiryDate: Date?
    public var attributes: Attributes?
    public var recipientIntegrationId: String?
    public init(
        numberOfCoupons: Int, usageLimit: Int = 0, couponPattern: String? = nil, validCharacters: [String]? = nil,
        uniquePrefix: String? = nil, startDate: Date? = nil, expiryDate: Date? = nil, attributes: Attributes? = nil,
        recipientIntegrationId: String? = nil
    ) {
        self.numberOfCoupons = numberOfCoupons
        self.usageLimit = usageLimit
        self.couponPattern = couponPattern
        self.validCharacters = validCharacters
        self.uniquePrefix = uniquePrefix
        self.startDate = startDate
        self.expiryDate = expiryDate
        self.attributes = attributes
        self.recipientIntegrationId = recipientIntegrationId
    }
}

/// A page of a listing: `totalResultSize` (or `hasMore` where no count is made) and the items.
public struct Page<Item: Decodable & Sendable>: Decodable, Sendable {
    public var totalResultSize: Int?
    public var hasMore: Bool?
    public var data: [Item]
}

public struct CampaignAnalytics: Codable, Sendable {
    public var date: Date
    public var campaignRevenue: Double
    public var totalCampaignRevenue: Double
    public var campaignRefund: Double
    public var totalCampaignRefund: Double
    public var campaignDiscountCosts: Double
    public var totalCampaignDiscountCosts: Double
    public var campaignRefundedDiscounts: Double
    public var totalCampaignRefundedDiscounts: Double
    public var campaignFreeItems: Int
    public var totalCampaignFreeItems: Int
    public var couponRedemptions: Int
    public var totalCouponRedemptions: Int
    public var couponRolledbackRedemptions: Int
    public var totalCouponRolledbackRedemptions: Int
    public var referralRedemptions: Int
    public var totalReferralRedemptions: Int
    public var couponsCreated: Int
    public var totalCouponsCreated: Int
    public var referralsCreated: Int
    public var totalReferralsCreated: Int
}

/// A session as the management API lists it (`ApplicationSession` of the reference): `id` and
/// `profileId` are Perk's own ids, `integrationId` and `profileintegrationid` the shop's.
public struct ApplicationSession: Codable, Sendable {
    public var id: Int
    public var created: Date
    public var applicationId: Int
    public var profileId: Int?
    public var integrationId: String
    public var profileintegrationid: String
    public var coupon: String
    public var referral: String
    public var state: SessionState
    public var cartItems: [CartItem]
    /// Each discount's name and amount.
    public var discounts: [String: Double]
    public var total: Double
    public var attributes: Attributes?
}

/// An event with the effects it had (`ApplicationEvent`); `profileId` and `sessionId` are Perk's ids.
public struct ApplicationEvent: Codable, Sendable {
    public var id: Int
    public var created: Date
    public var applicationId: Int
    public var profileId: Int?
    public var sessionId: Int?
    public var type: String
    public var attributes: Attributes
    public var effects: [Effect]
}

/// `copyCampaignToApplications`' body: the target applications and what the copies change.
public struct CampaignCopy: Codable, Sendable {
    public var applicationIds: [Int]
    public var name: String?
    public var description: String?
    public var startTime: Date?
    public var endTime: Date?
    public var tags: [String]?

    public init(
        applicationIds: [Int], name: String? = nil, description: String? = nil, startTime: Date? = nil,
        endTime: Date? = nil, tags: [String]? = nil
    ) {
        self.applicationIds = applicationIds
        self.name = name
        self.description = description
        self.startTime = startTime
        self.endTime = endTime
        self.tags = tags
    }
}

/// `updateCoupon`'s body (and `updateCouponBatch`'s with `batchID`): the fields given are changed.
public struct UpdateCoupon: Codable, Sendable {
    public var batchID: String?
    public var usageLimit: Int?
    public var startDate: Date?
    public var expiryDate: Date?
    public var attributes: Attributes?
    public var recipientIntegrationId: String?

    public init(
        batchID: String? = nil, usageLimit: Int? = nil, startDate: Date? = nil, expiryDate: Date? = nil,
        attributes: Attributes? = nil, recipientIntegrationId: String? = nil
    ) {
        self.batchID = batchID
        self.usageLimit = usageLimit
        self.startDate = startDate
        self.expiryDate = expiryDate
        self.attributes = attributes
        self.recipientIntegrationId = recipientIntegrationId
    }
}

/// A custom attribute's declaration (`NewAttribute`; `Attribute` adds `id`, `created`, `accountId`).
public struct Attribute: Codable, Sendable {
    public var id: Int?
    public var created: Date?
    public var accountId: Int?
    public var entity: String
    public var eventType: String?
    public var name: String
    public var title: String
    public var type: String
    public var description: String
    public var suggestions: [String]
    public var editable: Bool
    public var subscribedApplicationsIds: [Int]?

    public init(
        entity: String, eventType: String? = nil, name: String, title: String, type: String,
        description: String = "", suggestions: [String] = [], editable: Bool = true,
        subscribedApplicationsIds: [Int]? = nil
    ) {
        self.entity = entity
        self.eventType = eventType
        self.name = name
        self.title = title
        self.type = type
        self.description = description
        self.suggestions = suggestions
        self.editable = editable
        self.subscribedApplicationsIds = subscribedApplicationsIds
    }
}

/// The management operations, signed in with a user's token (`ManagementAPI.signIn`). Listing
/// filters are the reference's query parameters, given as `query`.
public struct ManagementAPI: Sendable {
    public let token: String
    let transport: Transport

    public init(baseURL: String, token: String, httpClient: HTTPClient = .shared) {
        self.token = token
        self.transport = Transport(baseURL: baseURL, http: httpClient)
    }

    /// Signs in (`createSession`) and answers a client holding the session's token.
    public static func signIn(baseURL: String, email: String, password: String, httpClient: HTTPClient = .shared)
        async throws -> ManagementAPI
    {
        let transport = Transport(baseURL: baseURL, http: httpClient)
        let session: Session = try await transport.send(
            .POST, "/v1/sessions", LoginParams(email: email, password: password),
            authenticate: { _ in ("X-Perk-Client", "PerkClient") })
        return ManagementAPI(baseURL: baseURL, token: session.token, httpClient: httpClient)
    }

    static let none: Int? = nil

    func send<Body: Encodable, Result: Decodable>(_ method: HTTPMethod, _ path: String, _ body: Body?) async throws
        -> Result
    {
        try await transport.send(method, path, body, authenticate: { _ in ("Authorization", "Bearer \(token)") })
    }

    func get<Result: Decodable>(_ path: String, query: [String: String] = [:]) async throws -> Result {
        try await send(.GET, path + Self.queryString(query), Self.none)
    }

    func perform<Body: Encodable>(_ method: HTTPMethod, _ path: String, _ body: Body?, query: [String: String] = [:])
        async throws
    {
        _ = try await transport.exchange(
            method, path + Self.queryString(query), body, authenticate: { _ in ("Authorization", "Bearer \(token)") })
    }

    static func queryString(_ query: [String: String]) -> String {
        guard !query.isEmpty else { return "" }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+")
        return "?"
            + query.sorted { $0.key < $1.key }.map { k, v in
                "\(k)=\(v.addingPercentEncoding(withAllowedCharacters: allowed) ?? v)"
            }.joined(separator: "&")
    }

    func app(_ id: Int) -> String { "/v1/applications/\(id)" }
    func campaign(_ app: Int, _ id: Int) -> String { "/v1/applications/\(app)/campaigns/\(id)" }

    // MARK: Applications and keys

    public func createApplication(_ body: NewApplication) async throws -> Application {
        try await send(.POST, "/v1/applications", body)
    }
    public func getApplications(query: [String: String] = [:]) async throws -> Page<Application> {
        try await get("/v1/applications", query: query)
    }
    public func getApplication(applicationId: Int) async throws -> Application { try await get(app(applicationId)) }
    public func updateApplication(applicationId: Int, _ body: NewApplication) async throws -> Application {
        try await send(.PUT, app(applicationId), body)
    }
    public func createAPIKey(applicationId: Int, _ body: NewAPIKey) async throws -> APIKey {
        try await send(.POST, app(applicationId) + "/api_keys", body)
    }

    // MARK: Campaigns and rulesets

    public func createCampaign(applicationId: Int, _ body: NewCampaign) async throws -> ManagedCampaign {
        try await send(.POST, app(applicationId) + "/campaigns", body)
    }
    public func getCampaigns(applicationId: Int, query: [String: String] = [:]) async throws -> Page<ManagedCampaign> {
        try await get(app(applicationId) + "/campaigns", query: query)
    }
    public func getCampaign(applicationId: Int, campaignId: Int) async throws -> ManagedCampaign {
        try await get(campaign(applicationId, campaignId))
    }
    public func updateCampaign(applicationId: Int, campaignId: Int, _ body: NewCampaign) async throws -> ManagedCampaign
    {
        try await send(.PUT, campaign(applicationId, campaignId), body)
    }
    public func deleteCampaign(applicationId: Int, campaignId: Int) async throws {
        try await perform(.DELETE, campaign(applicationId, campaignId), Self.none)
    }
    public func createRuleset(applicationId: Int, campaignId: Int, _ body: NewRuleset) async throws -> Ruleset {
        try await send(.POST, campaign(applicationId, campaignId) + "/rulesets", body)
    }
    public func getRulesets(applicationId: Int, campaignId: Int) async throws -> Page<Ruleset> {
        try await get(campaign(applicationId, campaignId) + "/rulesets")
    }
    public func getRuleset(applicationId: Int, campaignId: Int, rulesetId: Int) async throws -> Ruleset {
        try await get(campaign(applicationId, campaignId) + "/rulesets/\(rulesetId)")
    }
    public func updateRuleset(applicationId: Int, campaignId: Int, rulesetId: Int, _ body: NewRuleset) async throws
        -> Ruleset
    {
        try await send(.PUT, campaign(applicationId, campaignId) + "/rulesets/\(rulesetId)", body)
    }
    public func deleteRuleset(applicationId: Int, campaignId: Int, rulesetId: Int) async throws {
        try await perform(.DELETE, campaign(applicationId, campaignId) + "/rulesets/\(rulesetId)", Self.none)
    }
    /// Copies the campaign with its active ruleset into each of `body.applicationIds`.
    public func copyCampaignToApplications(applicationId: Int, campaignId: Int, _ body: CampaignCopy) async throws
        -> Page<ManagedCampaign>
    {
        try await send(.POST, campaign(applicationId, campaignId) + "/copy", body)
    }
    public func getCampaignAnalytics(applicationId: Int, campaignId: Int, query: [String: String]) async throws
        -> Page<CampaignAnalytics>
    {
        try await get(campaign(applicationId, campaignId) + "/analytics", query: query)
    }

    // MARK: Coupons and referrals

    public func createCoupons(applicationId: Int, campaignId: Int, _ body: NewCoupons) async throws -> Page<Coupon> {
        try await send(.POST, campaign(applicationId, campaignId) + "/coupons", body)
    }

    /// Creates coupons without answering them (`silent=yes`): for large batches.
    public func createCouponsSilently(applicationId: Int, campaignId: Int, _ body: NewCoupons) async throws {
        try await perform(.POST, campaign(applicationId, campaignId) + "/coupons", body, query: ["silent": "yes"])
    }
    public func getCoupons(applicationId: Int, campaignId: Int, query: [String: String] = [:]) async throws
        -> Page<Coupon>
    {
        try await get(campaign(applicationId, campaignId) + "/coupons", query: query)
    }
    /// As `getCoupons`, without counting every match: `hasMore` instead of `totalResultSize`.
    public func getCouponsWithoutTotalCount(applicationId: Int, campaignId: Int, query: [String: String] = [:])
        async throws -> Page<Coupon>
    {
        try await get(campaign(applicationId, campaignId) + "/coupons/no_total", query: query)
    }
    public func searchCouponsAdvanced(
        applicationId: Int, campaignId: Int, attributes: Attributes, query: [String: String] = [:]
    ) async throws -> Page<Coupon> {
        try await send(
            .POST, campaign(applicationId, campaignId) + "/coupons_search_advanced" + Self.queryString(query),
            attributes)
    }
    public func searchCouponsAdvancedApplicationWide(
        applicationId: Int, attributes: Attributes, query: [String: String] = [:]
    ) async throws -> Page<Coupon> {
        try await send(.POST, app(applicationId) + "/coupons_search_advanced" + Self.queryString(query), attributes)
    }
    public func updateCoupon(applicationId: Int, campaignId: Int, couponId: Int, _ body: UpdateCoupon) async throws
        -> Coupon
    {
        try await send(.PUT, campaign(applicationId, campaignId) + "/coupons/\(couponId)", body)
    }
    /// Applies `body` to every coupon of the batch `batchID`.
    public func updateCouponBatch(applicationId: Int, campaignId: Int, batchID: String, _ body: UpdateCoupon)
        async throws
    {
        var update = body
        update.batchID = batchID
        try await perform(.PUT, campaign(applicationId, campaignId) + "/coupons", update)
    }
    public func deleteCoupon(applicationId: Int, campaignId: Int, couponId: Int) async throws {
        try await perform(.DELETE, campaign(applicationId, campaignId) + "/coupons/\(couponId)", Self.none)
    }
    public func deleteCoupons(applicationId: Int, campaignId: Int, query: [String: String] = [:]) async throws {
        try await perform(.DELETE, campaign(applicationId, campaignId) + "/coupons", Self.none, query: query)
    }
    public func getReferrals(applicationId: Int, campaignId: Int, query: [String: String] = [:]) async throws
        -> Page<Referral>
    {
        try await get(campaign(applicationId, campaignId) + "/referrals", query: query)
    }
    public func getReferralsWithoutTotalCount(applicationId: Int, campaignId: Int, query: [String: String] = [:])
        async throws -> Page<Referral>
    {
        try await get(campaign(applicationId, campaignId) + "/referrals/no_total", query: query)
    }
    public func deleteReferral(applicationId: Int, campaignId: Int, referralId: Int) async throws {
        try await perform(.DELETE, campaign(applicationId, campaignId) + "/referrals/\(referralId)", Self.none)
    }

    // MARK: Attributes

    public func getAttributes(query: [String: String] = [:]) async throws -> Page<Attribute> {
        try await get("/v1/attributes", query: query)
    }
    public func createAttribute(_ body: Attribute) async throws -> Attribute {
        try await send(.POST, "/v1/attributes", body)
    }
    public func updateAttribute(attributeId: Int, _ body: Attribute) async throws -> Attribute {
        try await send(.PUT, "/v1/attributes/\(attributeId)", body)
    }

    // MARK: What integrations did

    public func getApplicationSessions(applicationId: Int, query: [String: String] = [:]) async throws
        -> Page<ApplicationSession>
    {
        try await get(app(applicationId) + "/sessions", query: query)
    }
    public func getApplicationSession(applicationId: Int, sessionId: Int) async throws -> ApplicationSession {
        try await get(app(applicationId) + "/sessions/\(sessionId)")
    }
    public func getApplicationEvents(applicationId: Int, query: [String: String] = [:]) async throws
        -> Page<ApplicationEvent>
    {
        try await get(app(applicationId) + "/events", query: query)
    }
    public func getApplicationEventsWithoutTotalCount(applicationId: Int, query: [String: String] = [:])
        async throws -> Page<ApplicationEvent>
    {
        try await get(app(applicationId) + "/events/no_total", query: query)
    }
    public func getApplicationCustomers(applicationId: Int, query: [String: String] = [:]) async throws
        -> Page<CustomerProfile>
    {
        try await get(app(applicationId) + "/customers", query: query)
    }
    public func getApplicationCustomer(applicationId: Int, customerId: Int) async throws -> CustomerProfile {
        try await get(app(applicationId) + "/customers/\(customerId)")
    }
    /// A profile by Perk's own id, whichever application saw it.
    public func getCustomerProfile(customerId: Int) async throws -> CustomerProfile {
        try await get("/v1/customers/\(customerId)")
    }
}
