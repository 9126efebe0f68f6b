import PerkJSON
import Talang

/// The fields of a session update that were present in the request; absent ones keep their
/// stored value (a PUT here is a field merge).
public struct SessionPatch: Sendable {
    public var profileId: String?
    public var couponCodes: [String]?
    public var referralCode: String?
    public var state: SessionState?
    public var cartItems: [CartItem]?
    public var additionalCosts: [(name: String, price: DecimalNumber)]?
    public var identifiers: [String]?
    /// Merged per key into the stored attributes.
    public var attributes: JSONObject?
    /// v1: the client's `total`. A v2 update that sends a cart or costs returns to computed totals.
    public var total: DecimalNumber?
    /// v2 updates compute the total from the cart.
    public var computesTotal = false
    /// `…/reopen`: a closed session opened again, its redemptions given back.
    public var reopens = false

    public init() {}
}

/// What an update does to a session's life cycle, and the built-in event it records.
public enum SessionTransition: Sendable, Equatable {
    case created
    case updated
    case closed
    case cancelled
    /// A closed session cancelled: its redemptions are given back.
    case revoked
    /// A closed session opened again: its redemptions are given back, as for `revoked`.
    case reopened

    /// The redemptions the session's close confirmed are given back.
    public var givesBack: Bool { self == .revoked || self == .reopened }
    /// A repeat of the closed or cancelled state with nothing changed: answered, not counted.
    case unchanged

    public var eventType: String {
        switch self {
        case .created: "talon_session_created"
        case .updated, .unchanged: "talon_session_updated"
        case .closed: "talon_session_closed"
        case .cancelled: "talon_session_cancelled"
        case .revoked: "talon_session_revoked"
        case .reopened: "talon_session_reopened"
        }
    }
}

public enum SessionUpdateError: Error, Sendable, Equatable {
    case invalidTransition(from: SessionState, to: SessionState)
    case profileChanged(from: String, to: String)
    /// Only a stored session can be reopened.
    case unknownSession

    public var message: String {
        switch self {
        case .invalidTransition(let from, let to):
            "Cannot move session to state \"\(to.rawValue)\" from state \"\(from.rawValue)\""
        case .profileChanged(let from, _):
            "The session belongs to the customer profile \"\(from)\" and cannot be moved to another one"
        case .unknownSession: "Customer session not found"
        }
    }
}

public struct SessionChange: Sendable {
    public var session: CustomerSession
    public var transition: SessionTransition
    /// The session's profile is new to it (a new session, or an anonymous one identified).
    public var profileAttached: Bool
    /// The session is to be closed by this update (including a session created closed).
    public var closes: Bool { transition == .closed || (transition == .created && session.state == .closed) }
}

public enum SessionMachine {
    /// Applies `patch` to the stored session (nil when new), following the state machine:
    /// open → closed, open → cancelled, closed → cancelled; a session may be created in any state.
    public static func apply(
        _ patch: SessionPatch, to existing: CustomerSession?, new: CustomerSession, now: Timestamp
    ) throws(SessionUpdateError) -> SessionChange {
        if patch.reopens {
            guard let existing else { throw .unknownSession }
            guard existing.state == .closed else { throw .invalidTransition(from: existing.state, to: .open) }
            var reopened = existing
            reopened.state = .open
            reopened.updated = now
            return SessionChange(session: reopened, transition: .reopened, profileAttached: false)
        }
        guard let existing else {
            var s = merge(patch, into: new)
            s.created = now
            s.updated = now
            return SessionChange(session: s, transition: .created, profileAttached: !s.profileId.isEmpty)
        }
        var merged = merge(patch, into: existing)
        let target = patch.state ?? existing.state
        switch existing.state {
        case .open:
            if let p = patch.profileId, p != existing.profileId, !existing.profileId.isEmpty {
                throw .profileChanged(from: existing.profileId, to: p)
            }
            merged.updated = now
            let attached = existing.profileId.isEmpty && !merged.profileId.isEmpty
            switch target {
            case .open: return SessionChange(session: merged, transition: .updated, profileAttached: attached)
            case .closed: return SessionChange(session: merged, transition: .closed, profileAttached: attached)
            case .cancelled: return SessionChange(session: merged, transition: .cancelled, profileAttached: attached)
            case .partiallyReturned: throw .invalidTransition(from: .open, to: .partiallyReturned)
            }
        case .closed, .partiallyReturned:
            // Only cancelled (giving back what the close counted, less any returns), or
            // repeated as it is.
            if target == .cancelled {
                var revoked = existing
                revoked.state = .cancelled
                revoked.updated = now
                return SessionChange(session: revoked, transition: .revoked, profileAttached: false)
            }
            guard target == existing.state, sameContent(merged, existing) else {
                throw .invalidTransition(from: existing.state, to: target)
            }
            return SessionChange(session: existing, transition: .unchanged, profileAttached: false)
        case .cancelled:
            guard target == .cancelled, sameContent(merged, existing) else {
                throw .invalidTransition(from: .cancelled, to: target)
            }
            return SessionChange(session: existing, transition: .unchanged, profileAttached: false)
        }
    }

    static func merge(_ p: SessionPatch, into s: CustomerSession) -> CustomerSession {
        var s = s
        if let v = p.profileId { s.profileId = v }
        if let v = p.couponCodes { s.couponCodes = v }
        if let v = p.referralCode { s.referralCode = v }
        if let v = p.state { s.state = v }
        if let v = p.cartItems { s.cartItems = v }
        if let v = p.additionalCosts { s.additionalCosts = v }
        if let v = p.identifiers { s.identifiers = v }
        if let v = p.total { s.suppliedTotal = v }
        if p.computesTotal && (p.cartItems != nil || p.additionalCosts != nil) { s.suppliedTotal = nil }
        if let attrs = p.attributes {
            s.attributes.merge(attrs.lazy.filter { !$0.value.isNull }.map { ($0.key, $0.value) })
        }
        return s
    }

    /// Whether two versions of a session carry the same customer-visible content.
    static func sameContent(_ a: CustomerSession, _ b: CustomerSession) -> Bool {
        a.profileId == b.profileId && a.couponCodes == b.couponCodes && a.referralCode == b.referralCode
            && a.suppliedTotal == b.suppliedTotal
            && a.cartItems == b.cartItems && a.identifiers == b.identifiers && a.attributes == b.attributes
            && a.additionalCosts.count == b.additionalCosts.count
            && zip(a.additionalCosts, b.additionalCosts).allSatisfy { $0.name == $1.name && $0.price == $1.price }
    }
}
