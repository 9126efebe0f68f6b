import PerkEngine
import Talang

/// Points to add to a ledger: by a rule (`campaignId`, `sessionId`) or by a management call (`userId`).
public struct PointsAddition: Sendable {
    public var ledger: LedgerKey
    public var profileId: String
    public var amount: DecimalNumber
    public var name: String
    public var created: Timestamp
    public var expires: Timestamp?
    public var sessionId = ""
    public var campaignId: Int64?
    public var rulesetId: Int64?
    public var ruleName = ""
    public var userId: Int64?

    public init(
        ledger: LedgerKey, profileId: String, amount: DecimalNumber, name: String, created: Timestamp,
        expires: Timestamp?
    ) {
        self.ledger = ledger
        self.profileId = profileId
        self.amount = amount
        self.name = name
        self.created = created
        self.expires = expires
    }
}

/// One ledger's figures at a moment.
public struct LedgerBalance: Sendable, Equatable {
    /// Points that can be spent now.
    public var active: DecimalNumber = .zero
    /// Points whose validity ended before they were spent.
    public var expired: DecimalNumber = .zero
    /// Points spent (less deductions given back).
    public var spent: DecimalNumber = .zero
    public init() {}
}

/// One line of a ledger's history: an addition, a deduction, a give-back, or the expiry of what
/// was left of an addition (computed when read: nothing runs on a schedule).
public struct LoyaltyTransaction: Sendable {
    public enum Kind: String, Sendable {
        /// Points earned (rule or call).
        case earn
        /// Points spent (rule or call).
        case spend
        /// Earned points taken back (a cancelled close).
        case revoke
        /// Spent points given back (a cancelled close).
        case restore
        /// What was left of an addition when it expired.
        case expiry
    }

    public var id: Int64
    public var uuid: String
    public var programId: Int64
    public var profileId: String
    public var subledger: String
    public var kind: Kind
    /// Positive for additions, the amount taken for subtractions.
    public var amount: DecimalNumber
    public var name: String
    public var created: Timestamp
    public var expires: Timestamp?
    public var sessionId: String
    public var campaignId: Int64?
    public var rulesetId: Int64?
    public var ruleName: String
    public var userId: Int64?

    /// `addition` or `subtraction`, as the API shows it.
    public var type: String { kind == .earn || kind == .restore ? "addition" : "subtraction" }
}

/// Points still to spend (or that expired unspent) of one addition.
public struct PointsLot: Sendable {
    /// The addition's transaction.
    public var transactionId: Int64
    public var transactionUUID: String
    public var programId: Int64
    public var subledger: String
    public var name: String
    public var sessionId: String
    public var remaining: DecimalNumber
    public var created: Timestamp
    public var expires: Timestamp?
}

public struct LoyaltyTransactionFilter: Sendable {
    public var subledger: String?
    public var sessionIds: [String] = []
    public var transactionUUIDs: [String] = []
    public var createdAfter: Timestamp?
    public var createdBefore: Timestamp?
    /// Only what management calls moved (`manual`) or what sessions did (`session`).
    public var origin: Origin?
    public init() {}

    public enum Origin: String, Sendable {
        case manual, session
    }
}

public enum PointsStatus: String, Sendable, CaseIterable {
    case active, pending, expired
}

/// Loyalty programs and the points ledgers of profiles in them. A ledger's balance is what is
/// left of its unexpired additions; a deduction takes from the additions that expire first, and
/// is decided inside one transaction that holds the ledger's lock.
public protocol LoyaltyStore {
    /// `duplicate("name")` when a program already has the name.
    func insertLoyaltyProgram(_ program: LoyaltyProgram) throws -> LoyaltyProgram
    func updateLoyaltyProgram(_ program: LoyaltyProgram) throws
    func loyaltyProgram(id: Int64) throws -> LoyaltyProgram?
    func loyaltyPrograms() throws -> [LoyaltyProgram]

    /// The profile's active points in every ledger it has in the programs. In a write, the
    /// ledgers stay locked until the commit, so that what is read is what a deduction finds.
    func loyaltyBalances(profileId: String, programIds: [Int64], now: Timestamp) throws -> [LedgerKey: DecimalNumber]
    /// Every ledger of the profile in the program, main one (`""`) included once it has points.
    func ledgerBalances(programId: Int64, profileId: String, now: Timestamp) throws -> [String: LedgerBalance]
    /// Adds points; the new transaction's UUID.
    func addPoints(_ addition: PointsAddition) throws -> String
    /// Spends points from the active ones that expire first, if the ledger has enough: the new
    /// transaction's UUID, or nil (and nothing changed) when it has not.
    func deductPoints(
        ledger: LedgerKey, profileId: String, amount: DecimalNumber, name: String, now: Timestamp, sessionId: String,
        campaignId: Int64?, rulesetId: Int64?, ruleName: String, userId: Int64?
    ) throws -> String?
    /// Takes back what is left of an addition, and up to the rest of its amount from the
    /// ledger's other active points, never below zero: how much, and the new transaction's UUID.
    func revokePoints(transactionUUID: String, name: String, now: Timestamp) throws -> (DecimalNumber, String)?
    /// Gives back the points a deduction took, to the additions it took them from (those that
    /// expired meanwhile stay expired): how much, and the new transaction's UUID.
    func restorePoints(transactionUUID: String, name: String, now: Timestamp) throws -> (DecimalNumber, String)?
    /// The ledger's history, newest first.
    func loyaltyTransactions(
        programId: Int64, profileId: String, filter: LoyaltyTransactionFilter, now: Timestamp, skip: Int, limit: Int
    ) throws -> [LoyaltyTransaction]
    /// The additions with points left, active, not valid yet (none: Perk's points are valid at
    /// once) or expired, soonest expiry first.
    func pointsLots(
        programId: Int64, profileId: String, status: PointsStatus, subledger: String?, now: Timestamp, skip: Int,
        limit: Int
    ) throws -> [PointsLot]
}
