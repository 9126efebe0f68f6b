import PerkEngine
import PerkJSON
import Talang

/// Customer profiles, sessions, their events and budgets in SQL, and erasing a customer's data.
extension SQLTransaction {
    // MARK: Budgets

    func limitUsage(_ keys: [LimitKey]) throws -> [LimitKey: DecimalNumber] {
        var out: [LimitKey: DecimalNumber] = [:]
        // In a write, every counter is locked, so a counter must exist to be locked; in one order,
        // so that two writes locking the same counters do not wait for each other.
        let ordered =
            writing ? keys.sorted { ($0.campaignId, $0.action, $0.scope) < ($1.campaignId, $1.action, $1.scope) } : keys
        for key in ordered {
            if writing {
                try exec(
                    """
                    INSERT INTO limit_counters (campaign_id, action, scope, used) VALUES (?, ?, ?, '0')
                    ON CONFLICT DO NOTHING
                    """, arguments: [key.campaignId, key.action, key.scope])
            }
            let used: String? = try scalar(
                "SELECT used FROM limit_counters WHERE campaign_id = ? AND action = ? AND scope = ?" + lock,
                arguments: [key.campaignId, key.action, key.scope])
            // Unused counters are left out, whether their row exists or not.
            if let used, case let amount = Self.decimal(used), !amount.isZero { out[key] = amount }
        }
        return out
    }

    func addLimitUsage(_ charges: [LimitCharge], sign: Int) throws {
        // Decimal sums are exact in Swift; the counter was read locked (`limitUsage` in a write), so
        // read and write stay together.
        for c in charges {
            let current = try limitUsage([c.key])[c.key] ?? .zero
            var next = current + DecimalNumber(sign) * c.amount
            if next.isNegative { next = .zero }
            try exec(
                """
                INSERT INTO limit_counters (campaign_id, action, scope, used) VALUES (?, ?, ?, ?)
                ON CONFLICT (campaign_id, action, scope) DO UPDATE SET used = excluded.used
                """, arguments: [c.key.campaignId, c.key.action, c.key.scope, next.description])
        }
    }

    // MARK: Customer data

    func referrals(applicationId: Int64, advocate: String) throws -> [Referral] {
        try all(
            "SELECT * FROM referrals WHERE application_id = ? AND advocate = ? ORDER BY id",
            arguments: [applicationId, advocate]
        ).map(Self.referral)
    }

    func eraseCustomerData(profileId: String) throws {
        try exec("UPDATE profiles SET attributes = '{}' WHERE integration_id = ?", arguments: [profileId])
        try exec("UPDATE events SET attributes = '{}' WHERE profile_id = ?", arguments: [profileId])
        for row in try all("SELECT * FROM sessions WHERE profile_id = ?", arguments: [profileId]) {
            var s = Self.session(row)
            s.attributes = JSONObject()
            for i in s.cartItems.indices { s.cartItems[i].attributes = nil }
            try exec(
                // A new version, so that an update that read the session before is retried on the erased one.
                "UPDATE sessions SET content = ?, version = version + 1 WHERE id = ?",
                arguments: [Self.content(s), s.id])
        }
    }

    // MARK: Profiles

    static func profile(_ r: SQLRow) -> CustomerProfile {
        CustomerProfile(
            id: r["id"], integrationId: r["integration_id"], created: Timestamp(microseconds: r["created"]),
            attributes: object(r["attributes"]), closedSessions: r["closed_sessions"],
            totalSales: decimal(r["total_sales"]),
            lastActivity: Timestamp(microseconds: r["last_activity"]))
    }

    func profile(integrationId: String) throws -> CustomerProfile? {
        try one("SELECT * FROM profiles WHERE integration_id = ?" + lock, arguments: [integrationId]).map(
            Self.profile)
    }

    /// Inserts a profile; when a concurrent write created it first, answers that one.
    func insertProfile(_ p: CustomerProfile) throws -> CustomerProfile {
        let newId: Int64? = try scalar(
            """
            INSERT INTO profiles (integration_id, created, attributes, closed_sessions, total_sales, last_activity)
            VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id
            """,
            arguments: [
                p.integrationId, p.created.microseconds, Self.text(.object(p.attributes)), p.closedSessions,
                p.totalSales.description, p.lastActivity.microseconds,
            ])
        guard let newId else {
            guard let existing = try profile(integrationId: p.integrationId) else { throw StoreError.conflict }
            return existing
        }
        var out = p
        out.id = newId
        return out
    }

    func updateProfile(_ p: CustomerProfile) throws {
        try exec(
            "UPDATE profiles SET attributes = ?, closed_sessions = ?, total_sales = ?, last_activity = ? WHERE id = ?",
            arguments: [
                Self.text(.object(p.attributes)), p.closedSessions, p.totalSales.description,
                p.lastActivity.microseconds, p.id,
            ])
    }

    func profileHasSessions(integrationId: String) throws -> Bool {
        try scalar(
            "SELECT EXISTS (SELECT 1 FROM sessions WHERE profile_id = ?)",
            arguments: [integrationId])
            ?? false
    }

    // MARK: Sessions

    /// Session fields that are only ever read whole, kept as one JSON document.
    static func content(_ s: CustomerSession) -> String {
        var costs = JSONObject()
        for c in s.additionalCosts { costs[c.name] = ["price": c.price.json] }
        var o: JSONObject = [
            "couponCodes": .array(s.couponCodes.map(JSON.string)), "referralCode": .string(s.referralCode),
            "cartItems": .array(s.cartItems.enumerated().map { $1.json(position: $0) }),
            "additionalCosts": .object(costs),
            "identifiers": .array(s.identifiers.map(JSON.string)), "attributes": .object(s.attributes),
        ]
        if let total = s.suppliedTotal { o.appendUnique("total", total.json) }
        if !s.returns.isEmpty { o.appendUnique("returns", .array(s.returns.map(\.json))) }
        if let t = s.closedAt { o.appendUnique("closedAt", .number(t.microseconds)) }
        return text(.object(o))
    }

    static func session(_ r: SQLRow, withEffects: Bool = false) -> CustomerSession {
        let c = json(r["content"])
        var s = CustomerSession(
            id: r["id"], integrationId: r["integration_id"], applicationId: r["application_id"],
            created: Timestamp(microseconds: r["created"]), profileId: r["profile_id"],
            couponCodes: c["couponCodes"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            referralCode: c["referralCode"]?.stringValue ?? "", state: SessionState(rawValue: r["state"]) ?? .open,
            cartItems: (c["cartItems"]?.arrayValue ?? []).compactMap { try? CartItem(json: $0, at: "") },
            additionalCosts: (c["additionalCosts"]?.objectValue ?? JSONObject()).compactMap { name, v in
                v["price"]?.numberValue.flatMap { DecimalNumber($0.text) }.map { (name: name, price: $0) }
            },
            identifiers: c["identifiers"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            attributes: c["attributes"]?.objectValue ?? JSONObject(), firstSession: r["first_session"])
        s.updated = Timestamp(microseconds: r["updated"])
        s.suppliedTotal = c["total"]?.numberValue.flatMap { DecimalNumber($0.text) }
        for (i, item) in (c["cartItems"]?.arrayValue ?? []).enumerated() where i < s.cartItems.count {
            s.cartItems[i].returnedQuantity = item["returnedQuantity"]?.numberValue?.intValue ?? 0
        }
        s.returns = (c["returns"]?.arrayValue ?? []).compactMap(SessionReturn.init(json:))
        s.closedAt = c["closedAt"]?.numberValue?.intValue.map(Timestamp.init(microseconds:))
        s.version = r["version"]
        let ledgerText: String? = r["ledger"]
        s.ledger = ledgerText.flatMap { try? RedemptionLedger(json: json($0)) }
        // Stored effects are only answered again for a repeated close or cancel.
        if s.state != .open || withEffects {
            s.effects = (json(r["effects"]).arrayValue ?? []).compactMap { try? Effect(storedJSON: $0) }
        }
        return s
    }

    func session(applicationId: Int64, integrationId: String, withEffects: Bool) throws -> CustomerSession? {
        try one(
            "SELECT * FROM sessions WHERE application_id = ? AND integration_id = ?" + lock,
            arguments: [applicationId, integrationId]
        ).map { Self.session($0, withEffects: withEffects) }
    }

    func insertSession(_ s: CustomerSession) throws -> CustomerSession {
        var out = s
        do {
            out.id = try insert(
                """
                INSERT INTO sessions (application_id, integration_id, profile_id, state, created, updated, first_session,
                    content, ledger, effects) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                arguments: [
                    s.applicationId, s.integrationId, s.profileId, s.state.rawValue, s.created.microseconds,
                    s.updated.microseconds, s.firstSession, Self.content(s), s.ledger.map { Self.text($0.json) },
                    Self.text(.array(s.effects.map(\.storedJSON))),
                ])
        } catch SQLError.constraint {
            throw StoreError.conflict
        }
        out.version = 0
        return out
    }

    func updateSession(_ s: CustomerSession, expectedVersion: Int64) throws -> Bool {
        try exec(
            """
            UPDATE sessions SET profile_id = ?, state = ?, updated = ?, first_session = ?, content = ?, ledger = ?,
                effects = ?, version = version + 1 WHERE id = ? AND version = ?
            """,
            arguments: [
                s.profileId, s.state.rawValue, s.updated.microseconds, s.firstSession, Self.content(s),
                s.ledger.map { Self.text($0.json) }, Self.text(.array(s.effects.map(\.storedJSON))), s.id,
                expectedVersion,
            ]) == 1
    }

    func sessionVersion(applicationId: Int64, integrationId: String) throws -> Int64? {
        try scalar(
            "SELECT version FROM sessions WHERE application_id = ? AND integration_id = ? \(lock)",
            arguments: [applicationId, integrationId])
    }

    // MARK: Events

    func insertEvent(
        applicationId: Int64, sessionId: String, profileId: String, type: String, attributes: JSONObject,
        effects: [Effect], created: Timestamp
    ) throws -> Int64 {
        try insert(
            """
            INSERT INTO events (application_id, session_id, profile_id, type, attributes, effects, created)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            arguments: [
                applicationId, sessionId, profileId, type, Self.text(.object(attributes)),
                Self.text(.array(effects.map(\.storedJSON))), created.microseconds,
            ])
    }
}
