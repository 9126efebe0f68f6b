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

    // MARK: What integrations did

    public func getApplicationSessions(applicationId: Int, query: [String: String] = [:]) async throws
        -> Page<JSONValue>
    {
        try await get(app(applicationId) + "/sessions", query: query)
    }
    public func getApplicationSession(applicationId: Int, sessionId: Int) async throws -> JSONValue {
        try await get(app(applicationId) + "/sessions/\(sessionId)")
    }
    public func getApplicationEvents(applicationId: Int, query: [String: String] = [:]) async throws -> Page<JSONValue>
    {
        try await get(app(applicationId) + "/events", query: query)
    }
    public func getApplicationCustomers(applicationId: Int, query: [String: String] = [:]) async throws
        -> Page<JSONValue>
    {
        try await get(app(applicationId) + "/customers", query: query)
    }
}
