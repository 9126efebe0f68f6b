import PerkEngine
import PerkJSON
import Talang

/// A role: a named set of rights (its `acl`, a JSON text the server reads) given to its members.
public struct Role: Sendable {
    public var id: Int64
    public var name: String
    public var description: String
    public var acl: String
    public var members: [Int64]
    public var created: Timestamp
    public var modified: Timestamp

    public init(
        id: Int64 = 0, name: String, description: String, acl: String, members: [Int64], created: Timestamp,
        modified: Timestamp
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.acl = acl
        self.members = members
        self.created = created
        self.modified = modified
    }
}

/// One management change, as `GET /v1/changes` shows it: who did what to which endpoint, with the
/// resource before and after.
public struct ChangeRecord: Sendable {
    public var id: Int64 = 0
    public var created: Timestamp
    public var userId: Int64
    public var applicationId: Int64?
    /// The path the change was made at (`/v1/applications/1/campaigns/2`).
    public var entity: String
    public var old: JSON?
    public var new: JSON?

    public init(
        created: Timestamp, userId: Int64, applicationId: Int64?, entity: String, old: JSON?, new: JSON?
    ) {
        self.created = created
        self.userId = userId
        self.applicationId = applicationId
        self.entity = entity
        self.old = old
        self.new = new
    }
}

public struct ChangeFilter: Sendable {
    public var applicationId: Int64?
    public var createdBefore: Timestamp?
    public var createdAfter: Timestamp?
    public var descending = true
    public init() {}
}

/// An additional cost a session may carry (shipping, wrapping), declared once for the account.
public struct AdditionalCostDefinition: Sendable {
    public var id: Int64 = 0
    public var created: Timestamp
    public var name: String
    public var title: String
    public var description: String
    /// The applications it is offered to; empty: none yet.
    public var applicationIds: [Int64]

    public init(
        id: Int64 = 0, created: Timestamp, name: String, title: String, description: String, applicationIds: [Int64]
    ) {
        self.id = id
        self.created = created
        self.name = name
        self.title = title
        self.description = description
        self.applicationIds = applicationIds
    }
}

/// The people of the account and what they did: management users, their roles, the audit log of
/// their changes, and the account-wide definitions they keep (additional costs).
public protocol AccountStore {
    func insertUser(_ user: User) throws -> User
    func user(id: Int64) throws -> User?
    func users(skip: Int, limit: Int, sort: UserSort) throws -> Page<User>
    /// Saves name, state, admin flag and modification time.
    func updateUser(_ user: User) throws
    /// Deletes a user, their sign-in tokens and role memberships; whether they existed.
    func deleteUser(id: Int64) throws -> Bool
    /// Ends every sign-in of a user but the one whose token has the digest `except`.
    func deleteTokens(userId: Int64, except: String?) throws
    /// The ids of the roles the user is a member of.
    func roleIds(userId: Int64) throws -> [Int64]
    /// Makes the user a member of exactly these roles.
    func setRoles(userId: Int64, roleIds: [Int64]) throws

    func insertRole(_ role: Role) throws -> Role
    func role(id: Int64) throws -> Role?
    func roles() throws -> [Role]
    /// The roles the user is a member of.
    func roles(userId: Int64) throws -> [Role]
    /// Saves name, description, acl and members.
    func updateRole(_ role: Role) throws
    func deleteRole(id: Int64) throws -> Bool

    func insertChange(_ change: ChangeRecord) throws
    func changes(filter: ChangeFilter, skip: Int, limit: Int, counting: Bool) throws -> Page<ChangeRecord>

    func insertAdditionalCost(_ cost: AdditionalCostDefinition) throws -> AdditionalCostDefinition
    func updateAdditionalCost(_ cost: AdditionalCostDefinition) throws
    func additionalCost(id: Int64) throws -> AdditionalCostDefinition?
    func additionalCosts() throws -> [AdditionalCostDefinition]

    /// How many of each thing the account holds, for its analytics.
    func accountCounts(now: Timestamp) throws -> AccountCounts
}

/// Counts of the whole account (`getAccount`, `getAccountAnalytics`). Active codes are valid now
/// and under their usage limit; expired ones are past their expiry date.
public struct AccountCounts: Sendable, Equatable {
    public var users: Int64 = 0
    public var roles: Int64 = 0
    public var coupons: Int64 = 0
    public var activeCoupons: Int64 = 0
    public var expiredCoupons: Int64 = 0
    public var referralCodes: Int64 = 0
    public var activeReferralCodes: Int64 = 0
    public var expiredReferralCodes: Int64 = 0
    public var customAttributes: Int64 = 0
    public var webhooks: Int64 = 0
    public var loyaltyPrograms: Int64 = 0
    /// When the account began: its first user's (or application's) creation.
    public var created: Timestamp?
    public init() {}
}

/// The fields of a user a listing can be ordered by (each its column's name).
public enum UserField: String, ListingField {
    case id, created, email, name
    public static var standard: Self { .id }
}

public typealias UserSort = ListingOrder<UserField>
