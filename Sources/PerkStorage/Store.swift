import PerkEngine
import PerkJSON
import Synchronization
import Talang

/// Where Perk keeps its state. Work happens in transactions: a closure receives a transaction
/// object and runs synchronously against it, so that one request's reads, engine decision and
/// writes commit together or not at all. Implementations: SQLite (embedded, default)
/// and PostgreSQL (shared by several Perk processes), with the same SQL (`SQLTransaction`).
public protocol Store: Sendable {
    /// A read-only transaction over a consistent snapshot.
    func read<T: Sendable>(_ body: @Sendable (any StoreTransaction) throws -> T) async throws -> T

    /// A read-write transaction. With `durable`, the commit reaches stable storage before this
    /// returns (confirmed redemptions); otherwise it survives a crash of the process.
    func write<T: Sendable>(durable: Bool, _ body: @Sendable (any StoreTransaction) throws -> T) async throws -> T

    /// A write for background work that must never make requests wait behind it (the access
    /// log): where the database is locked by another program it fails at once with
    /// `StoreError.unavailable` instead of waiting for the lock in the writers' queue.
    func writeWithoutWaiting<T: Sendable>(_ body: @Sendable (any StoreTransaction) throws -> T) async throws -> T

    /// Whether one write transaction at a time holds the whole database (SQLite), rather than
    /// the rows it locks (PostgreSQL): nothing slow may then run inside a write.
    var singleWriter: Bool { get }
}

extension Store {
    /// Writers that run side by side (PostgreSQL) make no one wait behind a background write.
    public func writeWithoutWaiting<T: Sendable>(_ body: @Sendable (any StoreTransaction) throws -> T) async throws
        -> T
    {
        try await write(durable: false, body)
    }

    public func write<T: Sendable>(_ body: @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await write(durable: false, body)
    }

    /// A write transaction that is always rolled back: what `body` answers, with nothing stored
    /// (dry runs: the same statements as a real update, counters and redemptions included).
    public func rehearse<T: Sendable>(_ body: @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        let answer = RehearsalAnswer<T>()
        do {
            _ = try await write(durable: false) { tx -> Int in
                answer.value.withLock { $0 = Result { try body(tx) } }
                throw RehearsalRollback()
            }
        } catch is RehearsalRollback {}
        guard let result = answer.value.withLock({ $0 }) else { throw RehearsalRollback() }
        return try result.get()
    }

    /// A write that reads the session it changes inside itself (locked on PostgreSQL, by the only
    /// writer on SQLite): only a session another request created meanwhile can still make it end
    /// in `StoreError.conflict`, and then running it once more finds that session.
    public func writeDecidingInside<T: Sendable>(
        durable: Bool = false, _ body: @Sendable (any StoreTransaction) throws -> T
    ) async throws -> T {
        do {
            return try await write(durable: durable, body)
        } catch StoreError.conflict {
            return try await write(durable: durable, body)
        }
    }
}

/// Thrown at the end of a rehearsal to roll it back.
struct RehearsalRollback: Error {}

/// What a rehearsal's body answered, kept past the rollback.
final class RehearsalAnswer<T: Sendable>: Sendable {
    let value = Mutex<Result<T, any Error>?>(nil)
}

/// A page of a listing and the number of all matching rows.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var total: Int
    public init(items: [Item], total: Int) {
        self.items = items
        self.total = total
    }
}

/// A management user. `admin` users may do everything; the others what their roles grant.
public struct User: Sendable {
    public enum State: String, Sendable, CaseIterable { case active, deactivated }
    public var id: Int64
    public var email: String
    public var name: String
    public var passwordHash: String
    public var state: State
    public var admin: Bool
    public var created: Timestamp
    public var modified: Timestamp
    public init(
        id: Int64 = 0, email: String, name: String = "", passwordHash: String, state: State = .active,
        admin: Bool, created: Timestamp, modified: Timestamp? = nil
    ) {
        self.id = id
        self.email = email
        self.name = name
        self.passwordHash = passwordHash
        self.state = state
        self.admin = admin
        self.created = created
        self.modified = modified ?? created
    }
}

public struct APIKeyRecord: Sendable {
    public var id: Int64
    public var applicationId: Int64
    public var title: String
    public var createdBy: Int64
    public var created: Timestamp
    public var expires: Timestamp
    /// "" or "staging": a staging key is only good for dry runs.
    public var type: String
    public init(
        id: Int64, applicationId: Int64, title: String, createdBy: Int64, created: Timestamp, expires: Timestamp,
        type: String = ""
    ) {
        self.type = type
        self.id = id
        self.applicationId = applicationId
        self.title = title
        self.createdBy = createdBy
        self.created = created
        self.expires = expires
    }
}

/// An Integration API event as stored, with the internal ids of its session and profile.
public struct StoredEvent: Sendable {
    public var id: Int64
    public var created: Timestamp
    public var applicationId: Int64
    public var type: String
    public var attributes: JSONObject
    public var effects: [Effect]
    public var sessionIntegrationId: String
    public var profileIntegrationId: String
    /// Internal ids of the session and profile, when they exist.
    public var sessionId: Int64?
    public var profileId: Int64?
}

/// Filters of the management listings (nil: no filter).
public struct EventFilter: Sendable {
    /// One type, or several separated by commas.
    public var type: String?
    public var createdBefore: Timestamp?
    public var createdAfter: Timestamp?
    public var session: String?
    public var profile: String?
    /// Parts of the customer's `Name` / `Email` attribute (any case).
    public var customerName: String?
    public var customerEmail: String?
    /// A code the event's session carries.
    public var couponCode: String?
    public var referralCode: String?
    /// Part of the name (any case) of a rule, or of the campaign of a rule, that gave the event
    /// one of its effects.
    public var ruleName: String?
    public var campaignName: String?
    /// A keyset page (exports): events after this id, oldest first, not counted.
    public var afterId: Int64?
    public init() {}
}

/// The reference's coupon filters (`getCoupons`, `deleteCoupons`); nil: no filter.
public struct CouponFilter: Sendable {
    public enum Validity: String, Sendable, CaseIterable {
        case expired, validNow, validFuture
    }

    public var value: String?
    /// `value` must match the whole code, ignoring case (otherwise a part of it, ignoring case and
    /// whatever is not a letter or digit: `CodeFolding`).
    public var exactMatch = false
    /// One coupon, by its id.
    public var id: Int64?
    public var createdBefore: Timestamp?
    public var createdAfter: Timestamp?
    public var startsBefore: Timestamp?
    public var startsAfter: Timestamp?
    public var expiresBefore: Timestamp?
    public var expiresAfter: Timestamp?
    public var valid: Validity?
    /// true: under its usage limit; false: at it.
    public var usable: Bool?
    public var batchId: String?
    public var referralId: Int64?
    public var recipientIntegrationId: String?
    /// Attributes every listed coupon has, with these exact values (`searchCouponsAdvanced`).
    public var attributes: JSONObject?
    /// The listing's order (oldest first by default); `id` breaks ties.
    public var order = CouponOrder()
    /// Only coupons with a greater id (paging through an export by id, not by offset).
    public var afterId: Int64?
    public init() {}
}

/// What a listing can be ordered by, as the reference's `sort` names it; `standard` by default.
public protocol ListingField: RawRepresentable<String>, CaseIterable, Sendable, Equatable {
    static var standard: Self { get }
}

/// The `sort` of a listing: one of its fields, `-` in front for descending.
public struct ListingOrder<Field: ListingField>: Sendable, Equatable {
    public var field: Field
    public var descending: Bool
    public init(field: Field = .standard, descending: Bool = false) {
        self.field = field
        self.descending = descending
    }

    /// Parses `created`, `-created` and the like; nil for an unknown field.
    public init?(sort: String) {
        let desc = sort.hasPrefix("-")
        guard let field = Field(rawValue: desc ? String(sort.dropFirst()) : sort) else { return nil }
        self.init(field: field, descending: desc)
    }
}

/// The fields of a coupon a listing can be ordered by.
public enum CouponField: String, ListingField {
    case id, value, created, startDate, expiryDate, usageCounter, usageLimit
    public static var standard: Self { .id }
}

public typealias CouponOrder = ListingOrder<CouponField>

/// The reference's referral filters (`getReferrals`).
public struct ReferralFilter: Sendable {
    public var code: String?
    public var createdBefore: Timestamp?
    public var createdAfter: Timestamp?
    public var valid: CouponFilter.Validity?
    public var usable: Bool?
    public var advocate: String?
    /// A keyset page (exports): codes after this id, oldest first, not counted.
    public var afterId: Int64?
    public init() {}
}

public struct SessionFilter: Sendable {
    public var profile: String?
    public var state: SessionState?
    public var coupon: String?
    public var referral: String?
    public var integrationId: String?
    /// The internal id of the session's customer profile.
    public var customerId: Int64?
    public var createdBefore: Timestamp?
    public var createdAfter: Timestamp?
    /// A keyset page (exports): sessions after this id, oldest first, not counted.
    public var afterId: Int64?
    public init() {}
}

public enum StoreError: Error, Sendable, Equatable {
    /// A unique value (coupon code, e-mail) is taken.
    case duplicate(String)
    /// The row changed since it was read (a concurrent update won); read again and retry.
    case conflict
    /// The database cannot be reached, or cannot write (stopped, restarting, locked by another
    /// program, disk full): the same request may succeed shortly. The detail is the database's
    /// own description of the cause (never credentials).
    case unavailable(String)
}

/// The operations of one transaction. Every method is synchronous; the transaction ends when
/// the closure given to `read` or `write` returns (commit) or throws (rollback).
extension StoreTransaction {
    /// A stored session, without the effects of an open one.
    public func session(applicationId: Int64, integrationId: String) throws -> CustomerSession? {
        try session(applicationId: applicationId, integrationId: integrationId, withEffects: false)
    }
}

public protocol StoreTransaction: LoyaltyStore, WebhookStore, RetentionStore, AccountStore, AccessLogStore,
    CustomerReportStore, TransferStore
{
    // MARK: Users and management sessions
    func user(email: String) throws -> User?
    func insertToken(hash: String, userId: Int64, created: Timestamp, expires: Timestamp) throws
    /// The user of a live token.
    func tokenUser(hash: String, now: Timestamp) throws -> Int64?
    /// Ends a sign-in token; whether it existed.
    func deleteToken(hash: String) throws -> Bool
    func deleteExpiredTokens(now: Timestamp) throws
    /// Replaces a password hash (made stronger when the user signs in).
    func updatePasswordHash(userId: Int64, passwordHash: String) throws

    // MARK: Applications and keys
    func insertApplication(_ app: Application) throws -> Application
    func application(id: Int64) throws -> Application?
    func applications(skip: Int, limit: Int) throws -> Page<Application>
    /// Saves an application's name, description, timezone, currency, attributes and limits.
    func updateApplication(_ app: Application) throws
    func insertAPIKey(_ key: APIKeyRecord, hash: String) throws -> APIKeyRecord
    /// The key with this hash, if it has not expired.
    func apiKey(hash: String, now: Timestamp) throws -> APIKeyRecord?
    func apiKeys(applicationId: Int64) throws -> [APIKeyRecord]
    /// Revokes a key in every node within a second; whether it existed.
    func deleteAPIKey(applicationId: Int64, id: Int64) throws -> Bool

    // MARK: Campaigns and rulesets
    func insertCampaign(_ campaign: Campaign) throws -> Campaign
    func updateCampaign(_ campaign: Campaign) throws
    func campaign(applicationId: Int64, id: Int64) throws -> Campaign?
    func campaigns(applicationId: Int64) throws -> [Campaign]
    func insertRuleset(_ ruleset: Ruleset) throws -> Ruleset
    func ruleset(campaignId: Int64, id: Int64) throws -> Ruleset?
    func rulesets(campaignId: Int64) throws -> [Ruleset]
    /// Saves a ruleset's rules, bindings, version and activation.
    func updateRuleset(_ ruleset: Ruleset) throws
    /// Deletes a ruleset; a campaign it was active in is left without one.
    func deleteRuleset(campaignId: Int64, id: Int64) throws -> Bool
    /// The active rulesets of the application's campaigns, by campaign id.
    func activeRulesets(applicationId: Int64) throws -> [Int64: Ruleset]
    /// Adds `delta` to the campaign's counters (negative amounts give back).
    func addToCounters(campaignId: Int64, _ delta: CampaignCounters) throws

    // MARK: Coupons
    /// Inserts coupons; a code already used in the application fails with `duplicate`.
    func insertCoupons(_ coupons: [Coupon], applicationId: Int64, lookupKeys: [String]) throws -> [Coupon]
    func coupons(campaignId: Int64, filter: CouponFilter, now: Timestamp, skip: Int, limit: Int) throws -> Page<Coupon>
    /// The matching coupons of several campaigns of an application; `counting: false` leaves the
    /// page's `total` at -1 (no count of all matches is made).
    func coupons(
        applicationId: Int64, campaignIds: [Int64], filter: CouponFilter, now: Timestamp, skip: Int, limit: Int,
        counting: Bool
    ) throws -> Page<Coupon>
    /// Deletes the matching coupons (and their reservations); how many there were.
    func deleteCoupons(campaignId: Int64, filter: CouponFilter, now: Timestamp) throws -> Int
    func coupon(campaignId: Int64, id: Int64) throws -> Coupon?
    /// Saves a coupon's usage limit, dates, attributes and recipient.
    func updateCoupon(_ coupon: Coupon) throws
    /// Deletes a campaign with its rulesets, coupons and referrals.
    func deleteCampaign(applicationId: Int64, id: Int64) throws -> Bool
    /// Coupons of the application whose lookup keys (normalised codes) are listed.
    func coupons(applicationId: Int64, lookupKeys: [String]) throws -> [Coupon]
    /// Which of the lookup keys (normalised codes) coupons of the application already have.
    func takenCouponCodes(applicationId: Int64, lookupKeys: [String]) throws -> Set<String>
    /// Counts one redemption by `profileId` in session `sessionId` if the coupon is under its
    /// usage limit, decided by one atomic statement; false when the limit is reached.
    func redeemCoupon(id: Int64, profileId: String, sessionId: String) throws -> Bool
    /// Gives back the redemption that session `sessionId` counted.
    func releaseCoupon(id: Int64, sessionId: String) throws
    /// How often `profileId` has redeemed each of the coupons.
    func redemptionCounts(couponIds: [Int64], profileId: String) throws -> [Int64: Int64]

    // MARK: Created by rules
    // A rule's `createCoupon`/`createReferral` makes its code once per session: `origin` is the
    // creation's key and the session (`<campaign>/<rule>/<n>:<session>`), unique per application.

    /// Inserts a coupon a rule created; nil when its code (or origin) is taken.
    func insertCreatedCoupon(_ coupon: Coupon, applicationId: Int64, lookupKey: String, origin: String) throws
        -> Coupon?
    func createdCoupon(applicationId: Int64, origin: String) throws -> Coupon?
    func createdReferral(applicationId: Int64, origin: String) throws -> Referral?

    // MARK: Referrals
    /// Inserts a referral; nil when its code (or origin) is already used in the application.
    func insertReferral(_ referral: Referral, applicationId: Int64, lookupKey: String, origin: String?) throws
        -> Referral?
    func referral(applicationId: Int64, lookupKey: String) throws -> Referral?
    func referrals(campaignId: Int64, filter: ReferralFilter, now: Timestamp, skip: Int, limit: Int) throws
        -> Page<Referral>
    func deleteReferral(campaignId: Int64, id: Int64) throws -> Bool
    /// Counts one use by `profileId` in session `sessionId` if the referral is under its usage
    /// limit, decided by one atomic statement.
    func redeemReferral(id: Int64, profileId: String, sessionId: String) throws -> Bool
    /// Gives back the use that session `sessionId` counted.
    func releaseReferral(id: Int64, sessionId: String) throws
    /// The profiles that redeemed the referral.
    func referredCustomers(referralId: Int64) throws -> [String]

    // MARK: Coupon reservations
    /// Reserves the coupon for each profile (already reserved pairs are kept).
    func reserve(couponId: Int64, profileIds: [String], now: Timestamp) throws
    func unreserve(couponId: Int64, profileIds: [String]) throws
    /// The profiles holding a reservation of the coupon, in reservation order.
    func reservedProfiles(couponId: Int64) throws -> [CustomerProfile]
    /// The application's coupons the profile has reserved.
    func reservedCoupons(applicationId: Int64, profileId: String) throws -> [Coupon]
    /// Which of the coupons the profile has reserved.
    func reservations(couponIds: [Int64], profileId: String) throws -> Set<Int64>

    // MARK: Customer data
    /// The application's referral codes whose advocate is the profile.
    func referrals(applicationId: Int64, advocate: String) throws -> [Referral]
    /// Erases the attributes of the profile and of its sessions (with their cart items) and
    /// events, in every application; counters and redemption history stay.
    func eraseCustomerData(profileId: String) throws

    // MARK: Profiles and sessions
    func profile(integrationId: String) throws -> CustomerProfile?
    func insertProfile(_ profile: CustomerProfile) throws -> CustomerProfile
    func updateProfile(_ profile: CustomerProfile) throws
    /// Whether the profile already has a session in any application.
    func profileHasSessions(integrationId: String) throws -> Bool
    /// A stored session. Its `effects` are loaded when it is no longer open, or `withEffects`: an
    /// open session is evaluated again on every update, so its previous effects are rarely read.
    func session(applicationId: Int64, integrationId: String, withEffects: Bool) throws -> CustomerSession?
    /// Inserts a new session; `conflict` when another update created it first.
    func insertSession(_ session: CustomerSession) throws -> CustomerSession
    /// Saves the session and bumps its version, only if it is still at `expectedVersion`;
    /// false when a concurrent update got there first.
    func updateSession(_ session: CustomerSession, expectedVersion: Int64) throws -> Bool
    func sessionVersion(applicationId: Int64, integrationId: String) throws -> Int64?

    // MARK: Budgets
    /// Confirmed usage of the budget counters (absent ones: zero).
    func limitUsage(_ keys: [LimitKey]) throws -> [LimitKey: DecimalNumber]
    /// Adds each charge to its counter (with `sign` -1, gives it back, never below zero).
    func addLimitUsage(_ charges: [LimitCharge], sign: Int) throws

    // MARK: Campaign sets
    func campaignSet(applicationId: Int64) throws -> CampaignSet?
    /// Replaces the application's campaign set (keeping its id once it has one).
    func saveCampaignSet(applicationId: Int64, root: CampaignSetNode, now: Timestamp) throws -> CampaignSet

    // MARK: Attributes
    /// Every declared attribute (built-ins first), by id.
    func attributes() throws -> [AttributeDefinition]
    func attribute(id: Int64) throws -> AttributeDefinition?
    /// `duplicate` when the entity (and event type) already has an attribute of that name.
    func insertAttribute(_ attribute: AttributeDefinition) throws -> AttributeDefinition
    func updateAttribute(_ attribute: AttributeDefinition) throws

    // MARK: Management listings
    /// Sessions of the application, newest first (`ascending`: oldest first), with their effects.
    func sessions(applicationId: Int64, filter: SessionFilter, ascending: Bool, skip: Int, limit: Int) throws
        -> Page<CustomerSession>
    func session(applicationId: Int64, id: Int64) throws -> CustomerSession?
    func events(applicationId: Int64, filter: EventFilter, ascending: Bool, skip: Int, limit: Int) throws
        -> Page<StoredEvent>
    func profile(id: Int64) throws -> CustomerProfile?
    func profileId(integrationId: String) throws -> Int64?

    // MARK: Campaign analytics
    /// Records what closes and cancels did for campaigns.
    func recordActivity(_ activity: [CampaignActivity]) throws
    /// The campaign's recorded activity before `before`, oldest first.
    func campaignActivity(campaignId: Int64, before: Timestamp) throws -> [CampaignActivity]
    /// When the coupons and referral codes rules made in the campaign were made, before `before`.
    func createdCodeTimes(campaignId: Int64, before: Timestamp) throws -> (coupons: [Timestamp], referrals: [Timestamp])

    // MARK: Catalog
    /// A number that changes whenever applications, campaigns, rulesets, campaign sets or attributes
    /// change: what a node keeps compiled in memory is stale once it moves.
    func catalogVersion() throws -> Int64
    /// Writes one row, to prove that the database takes writes (`/health`).
    func probeWrite(now: Timestamp) throws

    // MARK: Events
    /// Records an Integration API event with the effects it produced; returns its id.
    func insertEvent(
        applicationId: Int64, sessionId: String, profileId: String, type: String, attributes: JSONObject,
        effects: [Effect], created: Timestamp
    ) throws -> Int64
}
