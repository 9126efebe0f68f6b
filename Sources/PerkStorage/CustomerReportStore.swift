import PerkEngine
import Talang

/// `POST /v1/customer_search/no_total` and the application's customer search: profiles having
/// every given attribute value, and (when listed) one of the integration ids and one of the ids.
public struct CustomerSearch: Sendable {
    /// A JSON object text; nil or `{}`: any attributes.
    public var attributes: String?
    public var integrationIds: [String]?
    public var profileIds: [Int64]?
    /// A keyset page (exports): profiles after this id, not counted.
    public var afterId: Int64?
    public init() {}
}

/// The fields of a customer an activity report listing can be ordered by; ties go by profile id.
public enum CustomerField: String, ListingField {
    case created, integrationId, lastActivity
    public static var standard: Self { .created }
    public var column: String {
        switch self {
        case .created: "id"
        case .integrationId: "integration_id"
        case .lastActivity: "last_activity"
        }
    }
}

/// Which customers an application's activity report lists: those with a session updated in
/// [`from`, `before`), narrowed by the reference's filters (each a part of the text, any case).
public struct CustomerActivityFilter: Sendable {
    public var from: Timestamp
    public var before: Timestamp
    /// Part of the profile's `Name` attribute.
    public var name: String?
    public var integrationId: String?
    /// Part of the name of a campaign that gave one of those sessions an effect.
    public var campaignName: String?
    /// Part of the `Name` of the advocate whose referral code the customer redeemed.
    public var advocateName: String?
    /// The order of the customers listed, oldest profile first by default.
    public var order = ListingOrder<CustomerField>()
    public init(from: Timestamp, before: Timestamp) {
        self.from = from
        self.before = before
    }
}

/// What the customer reports read.
public protocol CustomerReportStore {
    /// Profiles by id. `applicationId` nil: every profile of the account; otherwise the
    /// application's customers (profiles its integration reported events for). `total` is -1
    /// unless `counting`.
    func customers(search: CustomerSearch, applicationId: Int64?, skip: Int, limit: Int, counting: Bool) throws
        -> Page<CustomerProfile>
    func activeCustomers(applicationId: Int64, filter: CustomerActivityFilter, skip: Int, limit: Int, counting: Bool)
        throws -> Page<CustomerProfile>
    /// The customer's newest sessions in the application (at most `limit`), updated in
    /// [`from`, `before`) when given.
    func customerSessions(applicationId: Int64, profileId: String, from: Timestamp?, before: Timestamp?, limit: Int)
        throws -> [CustomerSession]
    /// Coupons of the application made for this customer (its recipient).
    func couponCount(applicationId: Int64, recipient: String) throws -> Int64
}
