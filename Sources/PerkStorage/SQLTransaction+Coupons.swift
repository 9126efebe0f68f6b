import PerkEngine
import PerkJSON
import Talang

/// Coupons, referral codes and coupon reservations in SQL.
extension SQLTransaction {
    // MARK: Coupons

    static func coupon(_ r: SQLRow) -> Coupon {
        Coupon(
            id: r["id"], created: Timestamp(microseconds: r["created"]), campaignId: r["campaign_id"],
            value: r["value"],
            usageLimit: r["usage_limit"], usageCounter: r["usage_counter"], startDate: time(r["start_date"]),
            expiryDate: time(r["expiry_date"]), attributes: object(r["attributes"]), referralId: r["referral_id"],
            recipientIntegrationId: r["recipient_integration_id"], reservation: r["reservation"], batchId: r["batch_id"],
            importId: r["import_id"])
    }

    /// Inserts many rows per statement (bulk generation makes a million coupons: 2,000 round
    /// trips, not a million). A code already taken is found first, to name it in the error.
    func insertCoupons(_ coupons: [Coupon], applicationId: Int64, lookupKeys: [String]) throws -> [Coupon] {
        let taken = try takenCouponCodes(applicationId: applicationId, lookupKeys: lookupKeys)
        if let i = lookupKeys.firstIndex(where: taken.contains) { throw StoreError.duplicate(coupons[i].value) }
        let columns = """
            INSERT INTO coupons (application_id, campaign_id, value, lookup, created, usage_limit, usage_counter,
                start_date, expiry_date, attributes, referral_id, recipient_integration_id, reservation, batch_id,
                folded, import_id)
            VALUES
            """
        let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        var ids: [String: Int64] = [:]
        for start in stride(from: 0, to: coupons.count, by: Self.couponsPerStatement) {
            let group = start..<min(start + Self.couponsPerStatement, coupons.count)
            var arguments: [any SQLBindable] = []
            arguments.reserveCapacity(group.count * 16)
            for i in group {
                let c = coupons[i]
                arguments += [
                    applicationId, c.campaignId, c.value, lookupKeys[i], c.created.microseconds, c.usageLimit,
                    c.usageCounter, c.startDate?.microseconds, c.expiryDate?.microseconds,
                    Self.text(.object(c.attributes)), c.referralId, c.recipientIntegrationId, c.reservation, c.batchId,
                    CodeFolding.fold(c.value), c.importId,
                ]
            }
            let sql = columns + " " + Array(repeating: row, count: group.count).joined(separator: ", ")
            do {
                for r in try all(sql + " RETURNING id, lookup", arguments: SQLArguments(arguments)) {
                    ids[r["lookup"]] = r["id"]
                }
            } catch SQLError.constraint {
                // Taken by a concurrent insert since the check above, or listed twice.
                throw StoreError.duplicate(coupons[group.lowerBound].value)
            }
        }
        return zip(coupons, lookupKeys).map { c, key in
            var inserted = c
            inserted.id = ids[key] ?? 0
            return inserted
        }
    }

    static var couponsPerStatement: Int { 500 }

    func conditions(_ f: CouponFilter, campaignId: Int64, now: Timestamp) -> Conditions {
        conditions(f, scope: Conditions("campaign_id = ?", campaignId), now: now)
    }

    func conditions(_ f: CouponFilter, scope: Conditions, now: Timestamp) -> Conditions {
        var c = scope
        if let a = f.attributes, !a.isEmpty { c.add(db.dialect.jsonHasMembers("attributes"), Self.text(.object(a))) }
        if let v = f.value {
            // Both ignore case (the reference's); a part of a code also ignores what is not a letter
            // or digit.
            if f.exactMatch {
                c.add("lower(value) = lower(?)", v)
            } else {
                c.add(db.dialect.contains("folded"), CodeFolding.fold(v))
            }
        }
        if let t = f.createdBefore { c.add("created < ?", t.microseconds) }
        if let t = f.createdAfter { c.add("created > ?", t.microseconds) }
        if let t = f.startsBefore { c.add("start_date < ?", t.microseconds) }
        if let t = f.startsAfter { c.add("start_date > ?", t.microseconds) }
        if let t = f.expiresBefore { c.add("expiry_date < ?", t.microseconds) }
        if let t = f.expiresAfter { c.add("expiry_date > ?", t.microseconds) }
        c.add(validity: f.valid, now: now)
        c.add(usable: f.usable)
        if let b = f.batchId { c.add("batch_id = ?", b) }
        if let r = f.referralId { c.add("referral_id = ?", r) }
        if let r = f.recipientIntegrationId { c.add("recipient_integration_id = ?", r) }
        if let a = f.afterId { c.add("id > ?", a) }
        if let id = f.id { c.add("id = ?", id) }
        return c
    }

    func coupons(campaignId: Int64, filter: CouponFilter, now: Timestamp, skip: Int, limit: Int) throws -> Page<Coupon>
    {
        var c = conditions(filter, campaignId: campaignId, now: now)
        let table = try narrowToSearchedCodes(filter, &c)
        return try page(table, c, order: Self.order(filter.order), skip: skip, limit: limit, Self.coupon)
    }

    /// Most codes a search by part of a code reads from the full-text index before it rather
    /// walks the campaign's coupons: that many matches are dense enough to fill a page quickly.
    static var searchedCodesRead: Int { 5000 }

    /// Where a full-text index of codes exists (SQLite) and the searched text is long enough for
    /// its trigrams, limits the listing to the ids the index finds, and reads `coupons` by id.
    func narrowToSearchedCodes(_ f: CouponFilter, _ c: inout Conditions) throws -> String {
        // The index holds folded codes; folded text is letters and digits only (no NUL, no quote).
        guard let index = db.dialect.couponSearchTable, !f.exactMatch, let value = f.value else { return "coupons" }
        let text = CodeFolding.fold(value)
        guard text.unicodeScalars.count >= 3 else { return "coupons" }
        let phrase = "\"" + text + "\""
        let ids: [Int64] = try column(
            "SELECT rowid FROM \(index) WHERE \(index) MATCH ? LIMIT ?",
            arguments: [phrase, Self.searchedCodesRead + 1])
        guard ids.count <= Self.searchedCodesRead else { return "coupons" }
        c.add("id", in: ids)
        return db.dialect.byRowid("coupons")
    }

    func coupons(
        applicationId: Int64, campaignIds: [Int64], filter: CouponFilter, now: Timestamp, skip: Int, limit: Int,
        counting: Bool
    ) throws -> Page<Coupon> {
        guard !campaignIds.isEmpty else { return Page(items: [], total: 0) }
        var scope = Conditions("application_id = ?", applicationId)
        scope.add("campaign_id", in: campaignIds)
        var c = conditions(filter, scope: scope, now: now)
        let table = try narrowToSearchedCodes(filter, &c)
        return try page(
            table, c, order: Self.order(filter.order), skip: skip, limit: limit, counting: counting, Self.coupon)
    }

    static func order(_ order: CouponOrder) -> String {
        let column =
            switch order.field {
            case .id: "id"
            case .value: "value"
            case .created: "created"
            case .startDate: "start_date"
            case .expiryDate: "expiry_date"
            case .usageCounter: "usage_counter"
            case .usageLimit: "usage_limit"
            }
        let direction = order.descending ? "DESC" : "ASC"
        return "\(column) \(direction), id \(direction)"
    }

    func deleteCoupons(campaignId: Int64, filter: CouponFilter, now: Timestamp) throws -> Int {
        let c = conditions(filter, campaignId: campaignId, now: now)
        let ids: [Int64] = try column("SELECT id FROM coupons WHERE \(c.clause)", arguments: SQLArguments(c.arguments))
        for id in ids {
            try exec("DELETE FROM coupon_reservations WHERE coupon_id = ?", arguments: [id])
            try exec("DELETE FROM coupons WHERE id = ?", arguments: [id])
        }
        return ids.count
    }

    func coupon(campaignId: Int64, id: Int64) throws -> Coupon? {
        try one("SELECT * FROM coupons WHERE campaign_id = ? AND id = ?", arguments: [campaignId, id]).map(Self.coupon)
    }

    func updateCoupon(_ c: Coupon) throws {
        try exec(
            """
            UPDATE coupons SET usage_limit = ?, start_date = ?, expiry_date = ?, attributes = ?,
                recipient_integration_id = ? WHERE id = ?
            """,
            arguments: [
                c.usageLimit, c.startDate?.microseconds, c.expiryDate?.microseconds, Self.text(.object(c.attributes)),
                c.recipientIntegrationId, c.id,
            ])
    }

    func deleteCampaign(applicationId: Int64, id: Int64) throws -> Bool {
        try catalogChanged()
        guard try campaign(applicationId: applicationId, id: id) != nil else { return false }
        try exec(
            "DELETE FROM coupon_reservations WHERE coupon_id IN (SELECT id FROM coupons WHERE campaign_id = ?)",
            arguments: [id])
        try exec("DELETE FROM coupons WHERE campaign_id = ?", arguments: [id])
        try exec("DELETE FROM referrals WHERE campaign_id = ?", arguments: [id])
        try exec("UPDATE campaigns SET active_ruleset_id = NULL WHERE id = ?", arguments: [id])
        try exec("DELETE FROM rulesets WHERE campaign_id = ?", arguments: [id])
        try exec("DELETE FROM limit_counters WHERE campaign_id = ?", arguments: [id])
        try exec("DELETE FROM campaign_activity WHERE campaign_id = ?", arguments: [id])
        try exec("DELETE FROM campaigns WHERE id = ?", arguments: [id])
        return true
    }

    func coupons(applicationId: Int64, lookupKeys: [String]) throws -> [Coupon] {
        guard !lookupKeys.isEmpty else { return [] }
        let marks = Self.placeholders(lookupKeys.count)
        return try all(
            "SELECT * FROM coupons WHERE application_id = ? AND lookup IN (\(marks))",
            arguments: SQLArguments([applicationId] + lookupKeys)
        ).map(Self.coupon)
    }

    func takenCouponCodes(applicationId: Int64, lookupKeys: [String]) throws -> Set<String> {
        var taken: Set<String> = []
        // A statement's bound values are bounded (SQLite: 32,766): asked in groups.
        for start in stride(from: 0, to: lookupKeys.count, by: Self.couponsPerStatement) {
            let group = lookupKeys[start..<min(start + Self.couponsPerStatement, lookupKeys.count)]
            let found: [String] = try column(
                "SELECT lookup FROM coupons WHERE application_id = ? AND lookup IN (\(Self.placeholders(group.count)))",
                arguments: SQLArguments([applicationId] + Array(group)))
            taken.formUnion(found)
        }
        return taken
    }

    func redeemCoupon(id: Int64, profileId: String, sessionId: String) throws -> Bool {
        try redeem(.coupon, id: id, profileId: profileId, sessionId: sessionId)
    }

    func releaseCoupon(id: Int64, sessionId: String) throws {
        try release(.coupon, id: id, sessionId: sessionId)
    }

    func redemptionCounts(couponIds: [Int64], profileId: String) throws -> [Int64: Int64] {
        guard !couponIds.isEmpty, !profileId.isEmpty else { return [:] }
        let marks = Self.placeholders(couponIds.count)
        let rows = try all(
            """
            SELECT coupon_id, count(*) AS n FROM coupon_redemptions
            WHERE profile_id = ? AND coupon_id IN (\(marks)) GROUP BY coupon_id
            """, arguments: SQLArguments([profileId] + couponIds))
        var out: [Int64: Int64] = [:]
        for r in rows { out[r["coupon_id"]] = r["n"] }
        return out
    }

    func insertCreatedCoupon(_ c: Coupon, applicationId: Int64, lookupKey: String, origin: String) throws -> Coupon? {
        // ON CONFLICT DO NOTHING: a taken code is an answer, not an error that would spoil the transaction.
        let id: Int64? = try scalar(
            """
            INSERT INTO coupons (application_id, campaign_id, value, lookup, created, usage_limit, usage_counter,
                start_date, expiry_date, attributes, recipient_integration_id, reservation, origin, folded)
            VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id
            """,
            arguments: [
                applicationId, c.campaignId, c.value, lookupKey, c.created.microseconds, c.usageLimit,
                c.startDate?.microseconds, c.expiryDate?.microseconds, Self.text(.object(c.attributes)),
                c.recipientIntegrationId, c.reservation, origin, CodeFolding.fold(c.value),
            ])
        guard let id else { return nil }
        var out = c
        out.id = id
        return out
    }

    func createdCoupon(applicationId: Int64, origin: String) throws -> Coupon? {
        try one("SELECT * FROM coupons WHERE application_id = ? AND origin = ?", arguments: [applicationId, origin])
            .map(Self.coupon)
    }

    // MARK: Referrals

    static func referral(_ r: SQLRow) -> Referral {
        Referral(
            id: r["id"], created: Timestamp(microseconds: r["created"]), campaignId: r["campaign_id"],
            advocateProfileIntegrationId: r["advocate"], friendProfileIntegrationId: r["friend"],
            startDate: time(r["start_date"]), expiryDate: time(r["expiry_date"]), code: r["code"],
            usageCounter: r["usage_counter"], usageLimit: r["usage_limit"])
    }

    func insertReferral(_ r: Referral, applicationId: Int64, lookupKey: String, origin: String?) throws -> Referral? {
        let id: Int64? = try scalar(
            """
            INSERT INTO referrals (application_id, campaign_id, code, lookup, created, advocate, friend,
                start_date, expiry_date, usage_limit, usage_counter, origin, folded)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id
            """,
            arguments: [
                applicationId, r.campaignId, r.code, lookupKey, r.created.microseconds,
                r.advocateProfileIntegrationId, r.friendProfileIntegrationId, r.startDate?.microseconds,
                r.expiryDate?.microseconds, r.usageLimit, r.usageCounter, origin, CodeFolding.fold(r.code),
            ])
        guard let id else { return nil }
        var out = r
        out.id = id
        return out
    }

    func referral(applicationId: Int64, lookupKey: String) throws -> Referral? {
        try one(
            "SELECT * FROM referrals WHERE application_id = ? AND lookup = ?", arguments: [applicationId, lookupKey]
        )
        .map(Self.referral)
    }

    func referrals(campaignId: Int64, filter f: ReferralFilter, now: Timestamp, skip: Int, limit: Int) throws
        -> Page<Referral>
    {
        var c = Conditions("campaign_id = ?", campaignId)
        if let v = f.code { c.add(db.dialect.contains("folded"), CodeFolding.fold(v)) }
        if let t = f.createdBefore { c.add("created < ?", t.microseconds) }
        if let t = f.createdAfter { c.add("created > ?", t.microseconds) }
        c.add(validity: f.valid, now: now)
        c.add(usable: f.usable)
        if let v = f.advocate { c.add("advocate = ?", v) }
        if let id = f.afterId { c.add("id > ?", id) }
        return try page("referrals", c, skip: skip, limit: limit, counting: f.afterId == nil, Self.referral)
    }

    func deleteReferral(campaignId: Int64, id: Int64) throws -> Bool {
        try exec("DELETE FROM referrals WHERE campaign_id = ? AND id = ?", arguments: [campaignId, id]) > 0
    }

    func createdReferral(applicationId: Int64, origin: String) throws -> Referral? {
        try one("SELECT * FROM referrals WHERE application_id = ? AND origin = ?", arguments: [applicationId, origin])
            .map(Self.referral)
    }

    func redeemReferral(id: Int64, profileId: String, sessionId: String) throws -> Bool {
        try redeem(.referral, id: id, profileId: profileId, sessionId: sessionId)
    }

    func releaseReferral(id: Int64, sessionId: String) throws {
        try release(.referral, id: id, sessionId: sessionId)
    }

    func referredCustomers(referralId: Int64) throws -> [String] {
        try column(
            "SELECT DISTINCT profile_id FROM referral_redemptions WHERE referral_id = ? AND profile_id <> ''",
            arguments: [referralId])
    }

    // MARK: Coupon reservations

    func reserve(couponId: Int64, profileIds: [String], now: Timestamp) throws {
        for p in profileIds {
            try exec(
                "INSERT INTO coupon_reservations (coupon_id, profile_id, created) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [couponId, p, now.microseconds])
        }
    }

    func unreserve(couponId: Int64, profileIds: [String]) throws {
        for p in profileIds {
            try exec(
                "DELETE FROM coupon_reservations WHERE coupon_id = ? AND profile_id = ?", arguments: [couponId, p])
        }
    }

    func reservedProfiles(couponId: Int64) throws -> [CustomerProfile] {
        try all(
            """
            SELECT p.* FROM coupon_reservations r JOIN profiles p ON p.integration_id = r.profile_id
            WHERE r.coupon_id = ? ORDER BY r.created, p.id
            """, arguments: [couponId]
        ).map(Self.profile)
    }

    func reservedCoupons(applicationId: Int64, profileId: String) throws -> [Coupon] {
        try all(
            """
            SELECT c.* FROM coupon_reservations r JOIN coupons c ON c.id = r.coupon_id
            WHERE r.profile_id = ? AND c.application_id = ? ORDER BY r.created, c.id
            """, arguments: [profileId, applicationId]
        ).map(Self.coupon)
    }

    func reservations(couponIds: [Int64], profileId: String) throws -> Set<Int64> {
        guard !couponIds.isEmpty, !profileId.isEmpty else { return [] }
        let marks = Self.placeholders(couponIds.count)
        return Set(
            try column(
                "SELECT coupon_id FROM coupon_reservations WHERE profile_id = ? AND coupon_id IN (\(marks))",
                arguments: SQLArguments([profileId] + couponIds)))
    }
}

extension SQLTransaction {
    /// Folds the codes stored before codes were stored folded (migration v18), a few hundred rows
    /// per statement.
    func foldStoredCodes() throws {
        for (table, column) in [("coupons", "value"), ("referrals", "code")] {
            var after: Int64 = 0
            while true {
                let rows = try all(
                    "SELECT id, \(column) AS code FROM \(table) WHERE id > ? ORDER BY id LIMIT 500", arguments: [after])
                guard let last = rows.last else { break }
                var cases: [any SQLBindable] = []
                var ids: [any SQLBindable] = []
                for r in rows {
                    let id: Int64 = r["id"]
                    cases += [id, CodeFolding.fold(r["code"])]
                    ids.append(id)
                }
                _ = try exec(
                    "UPDATE \(table) SET folded = CASE id \(Array(repeating: "WHEN ? THEN ?", count: rows.count).joined(separator: " ")) END"
                        + " WHERE id IN (\(Self.placeholders(rows.count)))",
                    arguments: SQLArguments(cases + ids))
                after = last["id"]
            }
        }
    }
}
