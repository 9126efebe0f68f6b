import PerkEngine
import PerkJSON
import Talang

/// Users, roles, the audit log and additional costs in SQL.
extension SQLTransaction: AccountStore {
    // MARK: Users

    func insertUser(_ user: User) throws -> User {
        var user = user
        do {
            user.id = try insert(
                """
                INSERT INTO users (email, name, password_hash, state, admin, created, modified)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                arguments: [
                    user.email, user.name, user.passwordHash, user.state.rawValue, user.admin,
                    user.created.microseconds, user.modified.microseconds,
                ])
        } catch SQLError.constraint {
            throw StoreError.duplicate("email")
        }
        return user
    }

    func user(id: Int64) throws -> User? {
        try one("SELECT * FROM users WHERE id = ?", arguments: [id]).map(Self.user)
    }

    func users(skip: Int, limit: Int, sort: UserSort) throws -> Page<User> {
        let direction = sort.descending ? "DESC" : "ASC"
        return try page(
            "users", Conditions("1 = 1"), order: "\(sort.field.rawValue) \(direction), id \(direction)", skip: skip,
            limit: limit, Self.user)
    }

    func updateUser(_ user: User) throws {
        try exec(
            "UPDATE users SET name = ?, state = ?, admin = ?, modified = ? WHERE id = ?",
            arguments: [user.name, user.state.rawValue, user.admin, user.modified.microseconds, user.id])
    }

    func deleteUser(id: Int64) throws -> Bool {
        try deleteTokens(userId: id, except: nil)
        try exec("DELETE FROM role_members WHERE user_id = ?", arguments: [id])
        return try exec("DELETE FROM users WHERE id = ?", arguments: [id]) > 0
    }

    func deleteTokens(userId: Int64, except: String?) throws {
        try exec(
            "DELETE FROM auth_tokens WHERE user_id = ? AND token_hash <> ?", arguments: [userId, except ?? ""])
    }

    func roleIds(userId: Int64) throws -> [Int64] {
        try column("SELECT role_id FROM role_members WHERE user_id = ? ORDER BY role_id", arguments: [userId])
    }

    func setRoles(userId: Int64, roleIds: [Int64]) throws {
        try exec("DELETE FROM role_members WHERE user_id = ?", arguments: [userId])
        for id in Set(roleIds).sorted() {
            try exec("INSERT INTO role_members (role_id, user_id) VALUES (?, ?)", arguments: [id, userId])
        }
    }

    // MARK: Roles

    private func role(_ r: SQLRow) throws -> Role {
        let id: Int64 = r["id"]
        return Role(
            id: id, name: r["name"], description: r["description"], acl: r["acl"],
            members: try column(
                "SELECT user_id FROM role_members WHERE role_id = ? ORDER BY user_id", arguments: [id]),
            created: Timestamp(microseconds: r["created"]), modified: Timestamp(microseconds: r["modified"]))
    }

    private func setMembers(roleId: Int64, _ members: [Int64]) throws {
        try exec("DELETE FROM role_members WHERE role_id = ?", arguments: [roleId])
        for user in Set(members).sorted() {
            try exec("INSERT INTO role_members (role_id, user_id) VALUES (?, ?)", arguments: [roleId, user])
        }
    }

    func insertRole(_ role: Role) throws -> Role {
        var role = role
        role.id = try insert(
            "INSERT INTO roles (name, description, acl, created, modified) VALUES (?, ?, ?, ?, ?)",
            arguments: [role.name, role.description, role.acl, role.created.microseconds, role.modified.microseconds])
        try setMembers(roleId: role.id, role.members)
        role.members = Set(role.members).sorted()
        return role
    }

    func role(id: Int64) throws -> Role? {
        try one("SELECT * FROM roles WHERE id = ?", arguments: [id]).map(role)
    }

    func roles() throws -> [Role] {
        try all("SELECT * FROM roles ORDER BY id").map(role)
    }

    func roles(userId: Int64) throws -> [Role] {
        try all(
            "SELECT * FROM roles WHERE id IN (SELECT role_id FROM role_members WHERE user_id = ?) ORDER BY id",
            arguments: [userId]
        ).map(role)
    }

    func updateRole(_ role: Role) throws {
        try exec(
            "UPDATE roles SET name = ?, description = ?, acl = ?, modified = ? WHERE id = ?",
            arguments: [role.name, role.description, role.acl, role.modified.microseconds, role.id])
        try setMembers(roleId: role.id, role.members)
    }

    func deleteRole(id: Int64) throws -> Bool {
        try exec("DELETE FROM role_members WHERE role_id = ?", arguments: [id])
        return try exec("DELETE FROM roles WHERE id = ?", arguments: [id]) > 0
    }

    // MARK: Audit log

    func insertChange(_ change: ChangeRecord) throws {
        _ = try insert(
            "INSERT INTO changes (created, user_id, application_id, entity, old, new) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                change.created.microseconds, change.userId, change.applicationId, change.entity,
                change.old.map(Self.text), change.new.map(Self.text),
            ])
    }

    func changes(filter: ChangeFilter, skip: Int, limit: Int, counting: Bool) throws -> Page<ChangeRecord> {
        var c = Conditions("1 = 1")
        if let id = filter.applicationId { c.add("application_id = ?", id) }
        if let t = filter.createdBefore { c.add("created < ?", t.microseconds) }
        if let t = filter.createdAfter { c.add("created > ?", t.microseconds) }
        return try page(
            "changes", c, order: filter.descending ? "id DESC" : "id ASC", skip: skip, limit: limit, counting: counting
        ) { r in
            var change = ChangeRecord(
                created: Timestamp(microseconds: r["created"]), userId: r["user_id"], applicationId: r["application_id"],
                entity: r["entity"], old: (r["old"] as String?).map { Self.json($0) },
                new: (r["new"] as String?).map { Self.json($0) })
            change.id = r["id"]
            return change
        }
    }

    // MARK: Additional costs

    private static func additionalCost(_ r: SQLRow) -> AdditionalCostDefinition {
        AdditionalCostDefinition(
            id: r["id"], created: Timestamp(microseconds: r["created"]), name: r["name"], title: r["title"],
            description: r["description"],
            applicationIds: (json(r["applications"]).arrayValue ?? []).compactMap { $0.numberValue?.intValue })
    }

    func insertAdditionalCost(_ cost: AdditionalCostDefinition) throws -> AdditionalCostDefinition {
        var cost = cost
        do {
            cost.id = try insert(
                "INSERT INTO additional_costs (created, name, title, description, applications) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    cost.created.microseconds, cost.name, cost.title, cost.description, Self.ids(cost.applicationIds),
                ])
        } catch SQLError.constraint {
            throw StoreError.duplicate("name")
        }
        try catalogChanged()
        return cost
    }

    func updateAdditionalCost(_ cost: AdditionalCostDefinition) throws {
        do {
            try exec(
                "UPDATE additional_costs SET name = ?, title = ?, description = ?, applications = ? WHERE id = ?",
                arguments: [cost.name, cost.title, cost.description, Self.ids(cost.applicationIds), cost.id])
        } catch SQLError.constraint {
            throw StoreError.duplicate("name")
        }
        try catalogChanged()
    }

    func additionalCost(id: Int64) throws -> AdditionalCostDefinition? {
        try one("SELECT * FROM additional_costs WHERE id = ?", arguments: [id]).map(Self.additionalCost)
    }

    func additionalCosts() throws -> [AdditionalCostDefinition] {
        try all("SELECT * FROM additional_costs ORDER BY id").map(Self.additionalCost)
    }
}

extension SQLTransaction {
    func accountCounts(now: Timestamp) throws -> AccountCounts {
        let n = now.microseconds
        let valid = "(start_date IS NULL OR start_date <= ?) AND (expiry_date IS NULL OR expiry_date > ?)"
        let usable = "(usage_limit = 0 OR usage_counter < usage_limit)"
        let expired = "expiry_date IS NOT NULL AND expiry_date <= ?"
        let row = try one(
            """
            SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM roles) AS roles,
                (SELECT count(*) FROM coupons) AS coupons,
                (SELECT count(*) FROM coupons WHERE \(valid) AND \(usable)) AS active_coupons,
                (SELECT count(*) FROM coupons WHERE \(expired)) AS expired_coupons,
                (SELECT count(*) FROM referrals) AS referrals,
                (SELECT count(*) FROM referrals WHERE \(valid) AND \(usable)) AS active_referrals,
                (SELECT count(*) FROM referrals WHERE \(expired)) AS expired_referrals,
                (SELECT count(*) FROM attributes WHERE built_in = 0) AS attributes, (SELECT count(*) FROM webhooks) AS webhooks,
                (SELECT count(*) FROM loyalty_programs) AS programs,
                (SELECT min(created) FROM users) AS first_user, (SELECT min(created) FROM applications) AS first_app
            """, arguments: [n, n, n, n, n, n])
        var c = AccountCounts()
        guard let row else { return c }
        c.users = row["users"]
        c.roles = row["roles"]
        c.coupons = row["coupons"]
        c.activeCoupons = row["active_coupons"]
        c.expiredCoupons = row["expired_coupons"]
        c.referralCodes = row["referrals"]
        c.activeReferralCodes = row["active_referrals"]
        c.expiredReferralCodes = row["expired_referrals"]
        c.customAttributes = row["attributes"]
        c.webhooks = row["webhooks"]
        c.loyaltyPrograms = row["programs"]
        let first = [row["first_user"] as Int64?, row["first_app"] as Int64?].compactMap { $0 }.min()
        c.created = first.map { Timestamp(microseconds: $0) }
        return c
    }
}
