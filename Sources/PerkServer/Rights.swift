import HTTPTypes
import PerkJSON
import PerkStorage

/// What a role may let its members do in an application. Each right includes `read`.
enum Right: String, CaseIterable, Sendable {
    /// See the application and everything in it.
    case read
    /// Create, change and delete campaigns, their rulesets, the campaign set, and try carts.
    case campaigns
    /// Create, change, import and delete coupons and referral codes.
    case coupons
    /// Create and revoke the application's Integration API keys.
    case keys
}

/// A role's access control list, Perk's own format, kept as the JSON text the 2020 API's `acl`
/// carries: `{"admin": false, "applications": {"3": ["campaigns", "coupons"], "*": ["read"]}}`.
/// `"*"` stands for every application, those made later included. `admin` grants everything.
struct AccessList: Equatable, Sendable {
    var admin = false
    var applications: [Int64: Set<Right>] = [:]
    var everyApplication: Set<Right> = []

    /// Reads an `acl`; errors point at `pointer` (`/acl`).
    init(text: String, at pointer: String) throws(FieldError) {
        guard let json = try? JSON.parse(text), let o = json.objectValue else {
            throw FieldError(
                title: "Invalid value",
                details: #"acl must be a JSON object such as {"applications": {"1": ["read"]}}"#, pointer: pointer)
        }
        for key in o.keys where key != "admin" && key != "applications" {
            throw FieldError(
                title: "Invalid value", details: "acl has no \(key); it takes admin and applications",
                pointer: pointer)
        }
        if let a = o["admin"] {
            guard let b = a.boolValue else {
                throw FieldError(title: "Invalid type", details: "acl's admin must be true or false", pointer: pointer)
            }
            admin = b
        }
        guard let apps = o["applications"] else { return }
        guard let byApp = apps.objectValue else {
            throw FieldError(
                title: "Invalid type", details: "acl's applications must map application ids to lists of rights",
                pointer: pointer)
        }
        for (key, value) in byApp {
            let id = Int64(key)
            guard key == "*" || (id != nil && id! > 0) else {
                throw FieldError(
                    title: "Invalid value", details: "acl's applications are keyed by application id or *, not \(key)",
                    pointer: pointer)
            }
            guard let list = value.arrayValue else {
                throw FieldError(
                    title: "Invalid type", details: "acl's rights of \(key) must be a list", pointer: pointer)
            }
            var rights = Set<Right>()
            for item in list {
                guard let name = item.stringValue, let right = Right(rawValue: name) else {
                    let names = Right.allCases.map(\.rawValue).joined(separator: ", ")
                    throw FieldError(
                        title: "Invalid value", details: "acl's rights are \(names); \(item.text) is none of them",
                        pointer: pointer)
                }
                rights.insert(right)
            }
            if let id { applications[id, default: []].formUnion(rights) } else { everyApplication.formUnion(rights) }
        }
    }

    init() {}

    /// The list of several roles together.
    mutating func merge(_ other: AccessList) {
        admin = admin || other.admin
        everyApplication.formUnion(other.everyApplication)
        for (id, rights) in other.applications { applications[id, default: []].formUnion(rights) }
    }
}

/// The signed-in user of a management request and what their roles let them do.
struct Principal: Sendable {
    let userId: Int64
    let access: AccessList

    var isAdmin: Bool { access.admin }

    /// Whether the user holds `right` in the application (any right includes `read`).
    func may(_ right: Right, in applicationId: Int64) -> Bool {
        if access.admin { return true }
        let held = access.everyApplication.union(access.applications[applicationId] ?? [])
        return right == .read ? !held.isEmpty : held.contains(right)
    }

    /// Whether the user may see anything at all (account-wide lists: attributes, programs, users).
    var isMember: Bool {
        access.admin || !access.everyApplication.isEmpty || access.applications.values.contains { !$0.isEmpty }
    }

    /// The applications the user may read; nil when they may read every one.
    var readableApplications: Set<Int64>? {
        if access.admin || !access.everyApplication.isEmpty { return nil }
        return Set(access.applications.filter { !$0.value.isEmpty }.keys)
    }
}

extension APIError {
    static func forbidden(_ what: String) -> APIError {
        APIError(status: .forbidden, message: "You may not \(what); ask an account admin for a role that allows it")
    }
}
