import PerkJSON
import Talang

/// A loyalty program: customers' points, kept per profile in a main ledger and, when the program
/// allows it, in named subledgers. Programs belong to the account and serve the applications
/// subscribed to them.
public struct LoyaltyProgram: Sendable, Equatable {
    public var id: Int64
    public var created: Timestamp
    /// Internal name, fixed once the program exists.
    public var name: String
    public var title: String
    public var description: String
    public var subscribedApplications: [Int64]
    /// How long points stay valid when the rule or call that adds them does not say.
    public var defaultValidity: PointsValidity
    public var allowSubledger: Bool

    public init(
        id: Int64, created: Timestamp, name: String, title: String, description: String = "",
        subscribedApplications: [Int64] = [], defaultValidity: PointsValidity = .unlimited, allowSubledger: Bool = false
    ) {
        self.id = id
        self.created = created
        self.name = name
        self.title = title
        self.description = description
        self.subscribedApplications = subscribedApplications
        self.defaultValidity = defaultValidity
        self.allowSubledger = allowSubledger
    }
}

/// How long added points stay valid: `unlimited`, or a whole number and a unit (`30d`).
public enum PointsValidity: Sendable, Equatable, CustomStringConvertible {
    case unlimited
    case duration(seconds: Int64, text: String)

    /// Units of a validity: seconds, minutes, hours, days, weeks (`D` and `W` are accepted too).
    static let units: [Character: Int64] = [
        "s": 1, "m": 60, "h": 3600, "d": 86_400, "D": 86_400, "w": 604_800, "W": 604_800,
    ]
    /// Ten years: longer validities are refused (write `unlimited`).
    static let longest: Int64 = 3650 * 86_400

    public init?(_ text: String) {
        if text == "unlimited" {
            self = .unlimited
            return
        }
        guard let unit = text.last, let seconds = Self.units[unit], text.count >= 2, text.count <= 8,
            let n = Int64(text.dropLast()), n > 0, String(n) == text.dropLast(), n * seconds <= Self.longest
        else { return nil }
        self = .duration(seconds: n * seconds, text: text)
    }

    public var description: String {
        switch self {
        case .unlimited: "unlimited"
        case .duration(_, let text): text
        }
    }

    /// When points added at `start` expire; nil for unlimited ones.
    public func expiry(from start: Timestamp) -> Timestamp? {
        switch self {
        case .unlimited: nil
        case .duration(let seconds, _):
            Timestamp(seconds: start.seconds + seconds, nanoseconds: start.nanoseconds)
        }
    }
}

/// Points are kept to two decimal places: what a rule or call asks for is rounded half-even, and
/// stored as a whole number of hundredths, so that sums in the database are exact.
public enum Points {
    /// The most points one addition or deduction may move.
    public static let largest = DecimalNumber(1_000_000_000)

    public static func hundredths(_ d: DecimalNumber) -> Int64? {
        guard !d.isNegative, !(largest < d) else { return nil }
        return (d.rounded(toPlaces: 2) * DecimalNumber(100)).exactInt.map(Int64.init)
    }

    /// Written without trailing zeros (`12`, `12.5`, `12.05`).
    public static func decimal(_ hundredths: Int64) -> DecimalNumber {
        let sign = hundredths < 0 ? "-" : ""
        let m = hundredths.magnitude
        let (whole, cents) = (m / 100, m % 100)
        let text =
            cents == 0
            ? "\(sign)\(whole)"
            : cents % 10 == 0 ? "\(sign)\(whole).\(cents / 10)" : "\(sign)\(whole).\(cents < 10 ? "0" : "")\(cents)"
        return DecimalNumber(text) ?? .zero
    }
}

/// One ledger of a profile in a program: the main one (`subledger` empty) or a named subledger.
public struct LedgerKey: Sendable, Hashable {
    public var programId: Int64
    public var subledger: String

    public init(programId: Int64, subledger: String = "") {
        self.programId = programId
        self.subledger = subledger
    }
}

/// What an evaluation knows of loyalty: the programs the application is subscribed to, and the
/// active balances of the session's profile in them when it was read.
public struct LoyaltyFacts: Sendable {
    public var programs: [Int64: LoyaltyProgram] = [:]
    public var balances: [LedgerKey: DecimalNumber] = [:]

    public init(programs: [Int64: LoyaltyProgram] = [:], balances: [LedgerKey: DecimalNumber] = [:]) {
        self.programs = programs
        self.balances = balances
    }
}

/// Points a close booked (or a call added or deducted), as the session's ledger remembers them so
/// that cancelling the close can give them back.
public struct BookedPoints: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case added, deducted
    }

    public var kind: Kind
    public var campaignId: Int64
    public var programId: Int64
    public var subledger: String
    public var amount: DecimalNumber
    public var profileId: String
    /// The ledger transaction that booked them.
    public var transactionUUID: String

    public init(
        kind: Kind, campaignId: Int64, programId: Int64, subledger: String, amount: DecimalNumber, profileId: String,
        transactionUUID: String
    ) {
        self.kind = kind
        self.campaignId = campaignId
        self.programId = programId
        self.subledger = subledger
        self.amount = amount
        self.profileId = profileId
        self.transactionUUID = transactionUUID
    }

    var json: JSON {
        [
            "kind": .string(kind.rawValue), "campaignId": .number(campaignId), "programId": .number(programId),
            "subledger": .string(subledger), "amount": amount.json, "profileId": .string(profileId),
            "transactionUUID": .string(transactionUUID),
        ]
    }

    init(json: JSON, at pointer: String) throws(FieldError) {
        let r = try ObjectReader(json, at: pointer)
        self.init(
            kind: Kind(rawValue: try r.string("kind", required: true)!) ?? .added,
            campaignId: try r.integer("campaignId", required: true)!,
            programId: try r.integer("programId", required: true)!, subledger: try r.string("subledger") ?? "",
            amount: try r.decimal("amount", required: true)!, profileId: try r.string("profileId") ?? "",
            transactionUUID: try r.string("transactionUUID") ?? "")
    }
}

extension Effect {
    /// The points an `addLoyaltyPoints` or `deductLoyaltyPoints` effect moves, and where.
    public var points: (kind: BookedPoints.Kind, ledger: LedgerKey, amount: DecimalNumber)? {
        let kind: BookedPoints.Kind
        switch type {
        case "addLoyaltyPoints": kind = .added
        case "deductLoyaltyPoints": kind = .deducted
        default: return nil
        }
        guard let program = props["programId"]?.numberValue?.intValue,
            let value = props["value"]?.numberValue.flatMap({ DecimalNumber($0.text) })
        else { return nil }
        return (kind, LedgerKey(programId: program, subledger: props["subLedgerId"]?.stringValue ?? ""), value)
    }
}
