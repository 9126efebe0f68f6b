import PerkEngine
import PerkJSON
import Talang

/// The storage protocol in SQL, once for both databases: one transaction of a connection.
///
/// Rows that a write reads and then writes back (a profile's counters, a campaign's discount sum,
/// budget counters) are read with the dialect's row lock in a write transaction, so that on
/// PostgreSQL, where writers run side by side, the second writer waits for the first one's commit
/// and reads its result. SQLite has a single writer and needs no lock.
struct SQLTransaction<Connection: SQLConnection>: StoreTransaction {
    let db: Connection
    /// A write transaction: reads of rows it will write back take the row lock.
    var writing = false

    /// `FOR UPDATE` where it is needed and understood, to end a SELECT with.
    var lock: String { writing ? db.dialect.lockRows : "" }

    // MARK: Statements

    func one(_ sql: String, arguments: SQLArguments = []) throws -> SQLRow? {
        try db.rows(sql, arguments).first
    }

    func all(_ sql: String, arguments: SQLArguments = []) throws -> [SQLRow] {
        try db.rows(sql, arguments)
    }

    /// Runs a statement; how many rows it changed.
    @discardableResult
    func exec(_ sql: String, arguments: SQLArguments = []) throws -> Int {
        try db.execute(sql, arguments)
    }

    /// The first column of the first row.
    func scalar<T: SQLDecodable>(_ sql: String, arguments: SQLArguments = []) throws -> T? {
        try one(sql, arguments: arguments).map { $0.first() }
    }

    /// The first column of every row.
    func column<T: SQLDecodable>(_ sql: String, arguments: SQLArguments = []) throws -> [T] {
        try all(sql, arguments: arguments).map { $0.first() }
    }

    /// Runs an INSERT and returns the new row's id.
    func insert(_ sql: String, arguments: SQLArguments) throws -> Int64 {
        try scalar(sql + " RETURNING id", arguments: arguments) ?? 0
    }

    /// `?, ?, ?`: one placeholder per value of an `IN (...)` list.
    static func placeholders(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ",") }

    // MARK: Encoding helpers

    static func text(_ json: JSON) -> String { json.text }

    static func json(_ text: String?) -> JSON {
        guard let text, let j = try? JSON.parse(text) else { return .null }
        return j
    }

    static func object(_ text: String?) -> JSONObject { json(text).objectValue ?? JSONObject() }

    static func strings(_ text: String?) -> [String] { json(text).arrayValue?.compactMap(\.stringValue) ?? [] }

    static func time(_ v: Int64?) -> Timestamp? { v.map(Timestamp.init(microseconds:)) }

    static func decimal(_ text: String?) -> DecimalNumber { text.flatMap { DecimalNumber($0) } ?? .zero }

    static func limits(_ text: String) -> [LimitConfig] {
        (json(text).arrayValue ?? []).compactMap { try? LimitConfig(json: $0, at: "") }
    }

    static func settings(_ text: String?) -> CodeGeneratorSettings? {
        guard let text else { return nil }
        return try? CodeGeneratorSettings(json: json(text), at: "")
    }

    // MARK: Applications

    static func application(_ r: SQLRow) -> Application {
        var app = Application(
            id: r["id"], created: Timestamp(microseconds: r["created"]),
            modified: Timestamp(microseconds: r["modified"]),
            name: r["name"], description: r["description"], timezone: r["timezone"], currency: r["currency"],
            caseSensitivity: CaseSensitivity(rawValue: r["case_sensitivity"]) ?? .sensitive,
            attributes: object(r["attributes"]), limits: limits(r["limits"]), key: r["key"])
        app.enableFlattenedCartItems = (r["flattened_cart_items"] as Int64) != 0
        app.enablePartialDiscounts = (r["partial_discounts"] as Int64) != 0
        return app
    }

    func insertApplication(_ app: Application) throws -> Application {
        try catalogChanged()
        let newId = try insert(
            """
            INSERT INTO applications (created, modified, name, description, timezone, currency, case_sensitivity,
                attributes, limits, key, flattened_cart_items, partial_discounts)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            arguments: [
                app.created.microseconds, app.modified.microseconds, app.name, app.description, app.timezone,
                app.currency,
                app.caseSensitivity.rawValue, Self.text(.object(app.attributes)),
                Self.text(.array(app.limits.map(\.json))),
                app.key, app.enableFlattenedCartItems ? 1 : 0, app.enablePartialDiscounts ? 1 : 0,
            ])
        var out = app
        out.id = newId
        return out
    }

    func updateApplication(_ app: Application) throws {
        try catalogChanged()
        try exec(
            """
            UPDATE applications SET modified = ?, name = ?, description = ?, timezone = ?, currency = ?,
                attributes = ?, limits = ?, flattened_cart_items = ?, partial_discounts = ? WHERE id = ?
            """,
            arguments: [
                app.modified.microseconds, app.name, app.description, app.timezone, app.currency,
                Self.text(.object(app.attributes)), Self.text(.array(app.limits.map(\.json))),
                app.enableFlattenedCartItems ? 1 : 0, app.enablePartialDiscounts ? 1 : 0, app.id,
            ])
    }

    func application(id: Int64) throws -> Application? {
        try one("SELECT * FROM applications WHERE id = ?", arguments: [id]).map(Self.application)
    }

    func applications(skip: Int, limit: Int) throws -> Page<Application> {
        let rows = try all("SELECT * FROM applications ORDER BY id LIMIT ? OFFSET ?", arguments: [limit, skip])
        let total = try scalar("SELECT count(*) FROM applications") ?? 0
        return Page(items: rows.map(Self.application), total: total)
    }

    // MARK: Campaigns

    static func campaign(_ r: SQLRow) -> Campaign {
        var c = Campaign(
            id: r["id"], applicationId: r["application_id"], userId: r["user_id"],
            created: Timestamp(microseconds: r["created"]),
            name: r["name"], description: r["description"], startTime: time(r["start_time"]),
            endTime: time(r["end_time"]),
            attributes: object(r["attributes"]), state: CampaignState(rawValue: r["state"]) ?? .disabled,
            activeRulesetId: r["active_ruleset_id"], tags: strings(r["tags"]), features: strings(r["features"]),
            couponSettings: settings(r["coupon_settings"]), referralSettings: settings(r["referral_settings"]),
            limits: limits(r["limits"]))
        c.updated = Timestamp(microseconds: r["updated"])
        c.lastActivity = time(r["last_activity"])
        c.counters.couponRedemptionCount = r["coupon_redemption_count"]
        c.counters.referralRedemptionCount = r["referral_redemption_count"]
        c.counters.discountCount = decimal(r["discount_count"])
        c.counters.discountEffectCount = r["discount_effect_count"]
        c.counters.couponCreationCount = r["coupon_creation_count"]
        return c
    }

    static func campaignArguments(_ c: Campaign) -> [any SQLBindable] {
        [
            c.updated.microseconds, c.name, c.description, c.startTime?.microseconds, c.endTime?.microseconds,
            text(.object(c.attributes)), c.state.rawValue, c.activeRulesetId, text(.array(c.tags.map(JSON.string))),
            text(.array(c.features.map(JSON.string))), c.couponSettings.map { text($0.json) },
            c.referralSettings.map { text($0.json) }, text(.array(c.limits.map(\.json))),
        ]
    }

    func insertCampaign(_ campaign: Campaign) throws -> Campaign {
        try catalogChanged()
        let newId = try insert(
            """
            INSERT INTO campaigns (application_id, user_id, created, updated, name, description, start_time, end_time,
                attributes, state, active_ruleset_id, tags, features, coupon_settings, referral_settings, limits)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            arguments: SQLArguments(
                [campaign.applicationId, campaign.userId, campaign.created.microseconds]
                    + Self.campaignArguments(campaign)))
        var out = campaign
        out.id = newId
        return out
    }

    func updateCampaign(_ campaign: Campaign) throws {
        try catalogChanged()
        try exec(
            """
            UPDATE campaigns SET updated = ?, name = ?, description = ?, start_time = ?, end_time = ?, attributes = ?,
                state = ?, active_ruleset_id = ?, tags = ?, features = ?, coupon_settings = ?, referral_settings = ?,
                limits = ? WHERE id = ?
            """, arguments: SQLArguments(Self.campaignArguments(campaign) + [campaign.id]))
    }

    func campaign(applicationId: Int64, id: Int64) throws -> Campaign? {
        try one("SELECT * FROM campaigns WHERE application_id = ? AND id = ?", arguments: [applicationId, id])
            .map(Self.campaign)
    }

    func campaigns(applicationId: Int64) throws -> [Campaign] {
        try all("SELECT * FROM campaigns WHERE application_id = ? ORDER BY id", arguments: [applicationId])
            .map(Self.campaign)
    }

    func addToCounters(campaignId: Int64, _ d: CampaignCounters) throws {
        let current: String? = try scalar(
            "SELECT discount_count FROM campaigns WHERE id = ?" + lock, arguments: [campaignId])
        let discount = Self.decimal(current) + d.discountCount
        try exec(
            """
            UPDATE campaigns SET coupon_redemption_count = coupon_redemption_count + ?,
                referral_redemption_count = referral_redemption_count + ?, discount_count = ?,
                discount_effect_count = discount_effect_count + ?, coupon_creation_count = coupon_creation_count + ?
            WHERE id = ?
            """,
            arguments: [
                d.couponRedemptionCount, d.referralRedemptionCount, discount.description, d.discountEffectCount,
                d.couponCreationCount, campaignId,
            ])
    }

    // MARK: Rulesets

    static func ruleset(_ r: SQLRow) -> Ruleset {
        Ruleset(
            id: r["id"], campaignId: r["campaign_id"], userId: r["user_id"],
            created: Timestamp(microseconds: r["created"]),
            rules: (json(r["rules"]).arrayValue ?? []).compactMap { try? Rule(json: $0, at: "") },
            bindings: (try? Binding.list(json(r["bindings"]).arrayValue, at: "")) ?? [], rbVersion: r["rb_version"],
            activate: r["activate"], activatedAt: time(r["activated_at"]))
    }

    func insertRuleset(_ ruleset: Ruleset) throws -> Ruleset {
        try catalogChanged()
        let newId = try insert(
            """
            INSERT INTO rulesets (campaign_id, user_id, created, rules, bindings, rb_version, activate, activated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            arguments: [
                ruleset.campaignId, ruleset.userId, ruleset.created.microseconds,
                Self.text(.array(ruleset.rules.map(\.json))),
                Self.text(.array(ruleset.bindings.map(\.json))), ruleset.rbVersion, ruleset.activate,
                ruleset.activatedAt?.microseconds,
            ])
        var out = ruleset
        out.id = newId
        return out
    }

    func updateRuleset(_ ruleset: Ruleset) throws {
        try catalogChanged()
        try exec(
            "UPDATE rulesets SET rules = ?, bindings = ?, rb_version = ?, activate = ?, activated_at = ? WHERE id = ?",
            arguments: [
                Self.text(.array(ruleset.rules.map(\.json))), Self.text(.array(ruleset.bindings.map(\.json))),
                ruleset.rbVersion, ruleset.activate, ruleset.activatedAt?.microseconds, ruleset.id,
            ])
    }

    func deleteRuleset(campaignId: Int64, id: Int64) throws -> Bool {
        try catalogChanged()
        try exec(
            "UPDATE campaigns SET active_ruleset_id = NULL WHERE id = ? AND active_ruleset_id = ?",
            arguments: [campaignId, id])
        return try exec("DELETE FROM rulesets WHERE campaign_id = ? AND id = ?", arguments: [campaignId, id]) > 0
    }

    func ruleset(campaignId: Int64, id: Int64) throws -> Ruleset? {
        try one("SELECT * FROM rulesets WHERE campaign_id = ? AND id = ?", arguments: [campaignId, id])
            .map(Self.ruleset)
    }

    func rulesets(campaignId: Int64) throws -> [Ruleset] {
        try all("SELECT * FROM rulesets WHERE campaign_id = ? ORDER BY id", arguments: [campaignId])
            .map(Self.ruleset)
    }

    func activeRulesets(applicationId: Int64) throws -> [Int64: Ruleset] {
        let rows = try all(
            """
            SELECT r.* FROM rulesets r JOIN campaigns c ON c.active_ruleset_id = r.id
            WHERE c.application_id = ?
            """, arguments: [applicationId])
        var out: [Int64: Ruleset] = [:]
        for r in rows.map(Self.ruleset) { out[r.campaignId] = r }
        return out
    }

    // MARK: Coupons

    static func coupon(_ r: SQLRow) -> Coupon {
        Coupon(
            id: r["id"], created: Timestamp(microseconds: r["created"]), campaignId: r["campaign_id"],
            value: r["value"],
            usageLimit: r["usage_limit"], usageCounter: r["usage_counter"], startDate: time(r["start_date"]),
            expiryDate: time(r["expiry_date"]), attributes: object(r["attributes"]), referralId: r["referral_id"],
            recipientIntegrationId: r["recipient_integration_id"], reservation: r["reservation"], batchId: r["batch_id"]
        )
    }

    /// Inserts many rows per statement (bulk generation makes a million coupons: 2,000 round
    /// trips, not a million). A code already taken is found first, to name it in the error.
    func insertCoupons(_ coupons: [Coupon], applicationId: Int64, lookupKeys: [String]) throws -> [Coupon] {
        let taken = try takenCouponCodes(applicationId: applicationId, lookupKeys: lookupKeys)
        if let i = lookupKeys.firstIndex(where: taken.contains) { throw StoreError.duplicate(coupons[i].value) }
        let columns = """
            INSERT INTO coupons (application_id, campaign_id, value, lookup, created, usage_limit, usage_counter,
                start_date, expiry_date, attributes, referral_id, recipient_integration_id, reservation, batch_id)
            VALUES
            """
        let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        var ids: [String: Int64] = [:]
        for start in stride(from: 0, to: coupons.count, by: Self.couponsPerStatement) {
            let group = start..<min(start + Self.couponsPerStatement, coupons.count)
            var arguments: [any SQLBindable] = []
            arguments.reserveCapacity(group.count * 14)
            for i in group {
                let c = coupons[i]
                arguments += [
                    applicationId, c.campaignId, c.value, lookupKeys[i], c.created.microseconds, c.usageLimit,
                    c.usageCounter, c.startDate?.microseconds, c.expiryDate?.microseconds,
                    Self.text(.object(c.attributes)), c.referralId, c.recipientIntegrationId, c.reservation, c.batchId,
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
            if f.exactMatch { c.add("value = ?", v) } else { c.add(db.dialect.contains("value"), v) }
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
        guard let index = db.dialect.couponSearchTable, !f.exactMatch, let text = f.value,
            text.unicodeScalars.count >= 3
        else { return "coupons" }
        let phrase = "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
        let ids: [Int64] = try column(
            "SELECT rowid FROM \(index) WHERE \(index) MATCH ? LIMIT ?",
            arguments: [phrase, Self.searchedCodesRead + 1])
        guard ids.count <= Self.searchedCodesRead else { return "coupons" }
        c.add("id IN (\(ids.isEmpty ? "NULL" : Self.placeholders(ids.count)))", ids.map { $0 as any SQLBindable })
        return db.dialect.byRowid("coupons")
    }

    func coupons(
        applicationId: Int64, campaignIds: [Int64], filter: CouponFilter, now: Timestamp, skip: Int, limit: Int,
        counting: Bool
    ) throws -> Page<Coupon> {
        guard !campaignIds.isEmpty else { return Page(items: [], total: 0) }
        var scope = Conditions("application_id = ?", applicationId)
        scope.add(
            "campaign_id IN (\(Self.placeholders(campaignIds.count)))",
            campaignIds.map { $0 as any SQLBindable })
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
                start_date, expiry_date, attributes, recipient_integration_id, reservation, origin)
            VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id
            """,
            arguments: [
                applicationId, c.campaignId, c.value, lookupKey, c.created.microseconds, c.usageLimit,
                c.startDate?.microseconds, c.expiryDate?.microseconds, Self.text(.object(c.attributes)),
                c.recipientIntegrationId, c.reservation, origin,
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
                start_date, expiry_date, usage_limit, usage_counter, origin)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id
            """,
            arguments: [
                applicationId, r.campaignId, r.code, lookupKey, r.created.microseconds,
                r.advocateProfileIntegrationId, r.friendProfileIntegrationId, r.startDate?.microseconds,
                r.expiryDate?.microseconds, r.usageLimit, r.usageCounter, origin,
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
        if let v = f.code { c.add(db.dialect.contains("code"), v) }
        if let t = f.createdBefore { c.add("created < ?", t.microseconds) }
        if let t = f.createdAfter { c.add("created > ?", t.microseconds) }
        c.add(validity: f.valid, now: now)
        c.add(usable: f.usable)
        if let v = f.advocate { c.add("advocate = ?", v) }
        return try page("referrals", c, skip: skip, limit: limit, Self.referral)
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

    // MARK: Campaign sets

    func campaignSet(applicationId: Int64) throws -> CampaignSet? {
        guard let r = try one("SELECT * FROM campaign_sets WHERE application_id = ?", arguments: [applicationId]),
            let root = try? CampaignSetNode(json: Self.json(r["tree"]), at: "", root: true)
        else { return nil }
        return CampaignSet(
            id: r["id"], created: Timestamp(microseconds: r["created"]), applicationId: applicationId, root: root)
    }

    func saveCampaignSet(applicationId: Int64, root: CampaignSetNode, now: Timestamp) throws -> CampaignSet {
        try catalogChanged()
        try exec(
            """
            INSERT INTO campaign_sets (application_id, created, tree) VALUES (?, ?, ?)
            ON CONFLICT (application_id) DO UPDATE SET tree = excluded.tree
            """, arguments: [applicationId, now.microseconds, Self.text(root.json)])
        return try campaignSet(applicationId: applicationId)!
    }

    // MARK: Attributes

    static func attribute(_ r: SQLRow) -> AttributeDefinition {
        let eventType: String = r["event_type"]
        return AttributeDefinition(
            id: r["id"], created: Timestamp(microseconds: r["created"]),
            entity: AttributeEntity(rawValue: r["entity"]) ?? .customerSession,
            eventType: eventType.isEmpty ? nil : eventType, name: r["name"], title: r["title"],
            type: AttributeType(rawValue: r["type"]) ?? .string, description: r["description"],
            suggestions: json(r["suggestions"]).arrayValue?.compactMap(\.stringValue) ?? [], editable: r["editable"],
            subscribedApplicationsIds: json(r["subscribed_applications"]).arrayValue?.compactMap {
                $0.numberValue.flatMap { Int64($0.text) }
            } ?? [], builtIn: r["built_in"])
    }

    func attributes() throws -> [AttributeDefinition] {
        try all("SELECT * FROM attributes ORDER BY id").map(Self.attribute)
    }

    func attribute(id: Int64) throws -> AttributeDefinition? {
        try one("SELECT * FROM attributes WHERE id = ?", arguments: [id]).map(Self.attribute)
    }

    func insertAttribute(_ a: AttributeDefinition) throws -> AttributeDefinition {
        try catalogChanged()
        return try insertAttributeRow(a)
    }

    /// Inserts an attribute without moving the catalog version (the migrations that seed the
    /// built-ins run before that version exists).
    func insertAttributeRow(_ a: AttributeDefinition) throws -> AttributeDefinition {
        let id: Int64? = try scalar(
            """
            INSERT INTO attributes (created, entity, event_type, name, title, type, description, suggestions,
                editable, subscribed_applications, built_in)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id
            """,
            arguments: [
                a.created.microseconds, a.entity.rawValue, a.eventType ?? "", a.name, a.title, a.type.rawValue,
                a.description, Self.text(.array(a.suggestions.map(JSON.string))), a.editable,
                Self.text(.array(a.subscribedApplicationsIds.map { .number($0) })), a.builtIn,
            ])
        guard let id else { throw StoreError.duplicate(a.name) }
        var out = a
        out.id = id
        return out
    }

    func updateAttribute(_ a: AttributeDefinition) throws {
        try catalogChanged()
        try exec(
            """
            UPDATE attributes SET title = ?, type = ?, description = ?, suggestions = ?, editable = ?,
                subscribed_applications = ? WHERE id = ?
            """,
            arguments: [
                a.title, a.type.rawValue, a.description, Self.text(.array(a.suggestions.map(JSON.string))), a.editable,
                Self.text(.array(a.subscribedApplicationsIds.map { .number($0) })), a.id,
            ])
    }

    // MARK: Management listings

    func sessions(applicationId: Int64, filter: SessionFilter, ascending: Bool, skip: Int, limit: Int) throws
        -> Page<CustomerSession>
    {
        var c = Conditions("application_id = ?", applicationId)
        if let p = filter.profile { c.add("profile_id = ?", p) }
        if let st = filter.state { c.add("state = ?", st.rawValue) }
        if let id = filter.integrationId { c.add("integration_id = ?", id) }
        if let code = filter.coupon {
            c.add(db.dialect.jsonArrayHolds("content", "couponCodes"), code)
        }
        if let r = filter.referral { c.add(db.dialect.jsonString("content", "referralCode") + " = ?", r) }
        if let id = filter.customerId { c.add("profile_id IN (SELECT integration_id FROM profiles WHERE id = ?)", id) }
        return try page("sessions", c, order: ascending ? "id ASC" : "id DESC", skip: skip, limit: limit) {
            Self.session($0, withEffects: true)
        }
    }

    func session(applicationId: Int64, id: Int64) throws -> CustomerSession? {
        try one("SELECT * FROM sessions WHERE application_id = ? AND id = ?", arguments: [applicationId, id])
            .map { Self.session($0, withEffects: true) }
    }

    func events(applicationId: Int64, filter: EventFilter, ascending: Bool, skip: Int, limit: Int) throws
        -> Page<StoredEvent>
    {
        var c = Conditions("e.application_id = ?", applicationId)
        if let t = filter.type {
            let types = t.split(separator: ",").map(String.init)
            c.add("e.type IN (\(Self.placeholders(max(types.count, 1))))", types.isEmpty ? [""] : types)
        }
        if let t = filter.createdBefore { c.add("e.created < ?", t.microseconds) }
        if let t = filter.createdAfter { c.add("e.created > ?", t.microseconds) }
        if let v = filter.session { c.add("e.session_id = ?", v) }
        if let p = filter.profile { c.add("e.profile_id = ?", p) }
        let d = db.dialect
        for (key, value) in [("Name", filter.customerName), ("Email", filter.customerEmail)] {
            guard let value else { continue }
            c.add(
                "EXISTS (SELECT 1 FROM profiles p2 WHERE p2.integration_id = e.profile_id AND "
                    + d.contains(d.jsonString("p2.attributes", key)) + ")", value)
        }
        let ofSession = "EXISTS (SELECT 1 FROM sessions s2 WHERE s2.application_id = e.application_id"
            + " AND s2.integration_id = e.session_id AND "
        if let code = filter.couponCode { c.add(ofSession + d.jsonArrayHolds("s2.content", "couponCodes") + ")", code) }
        if let code = filter.referralCode { c.add(ofSession + d.jsonString("s2.content", "referralCode") + " = ?)", code) }
        let whereClause = c.clause
        let arguments = c.arguments
        let order = ascending ? "ASC" : "DESC"
        let rows = try all(
            """
            SELECT e.*, s.id AS session_row, p.id AS profile_row FROM events e
            LEFT JOIN sessions s ON s.application_id = e.application_id AND s.integration_id = e.session_id
            LEFT JOIN profiles p ON p.integration_id = e.profile_id
            WHERE \(whereClause) ORDER BY e.id \(order) LIMIT ? OFFSET ?
            """, arguments: SQLArguments(arguments + [limit, skip]))
        let total =
            try scalar("SELECT count(*) FROM events e WHERE \(whereClause)", arguments: SQLArguments(arguments))
            ?? 0
        let events = rows.map { r in
            StoredEvent(
                id: r["id"], created: Timestamp(microseconds: r["created"]), applicationId: r["application_id"],
                type: r["type"], attributes: Self.object(r["attributes"]),
                effects: (Self.json(r["effects"]).arrayValue ?? []).compactMap { try? Effect(storedJSON: $0) },
                sessionIntegrationId: r["session_id"], profileIntegrationId: r["profile_id"],
                sessionId: r["session_row"], profileId: r["profile_row"])
        }
        return Page(items: events, total: total)
    }

    func customers(applicationId: Int64, skip: Int, limit: Int) throws -> Page<CustomerProfile> {
        let members = "SELECT DISTINCT profile_id FROM events WHERE application_id = ? AND profile_id <> ''"
        let rows = try all(
            "SELECT * FROM profiles WHERE integration_id IN (\(members)) ORDER BY id LIMIT ? OFFSET ?",
            arguments: [applicationId, limit, skip])
        let total =
            try scalar(
                "SELECT count(*) FROM profiles WHERE integration_id IN (\(members))",
                arguments: [applicationId]) ?? 0
        return Page(items: rows.map(Self.profile), total: total)
    }

    func profiles(skip: Int, limit: Int) throws -> Page<CustomerProfile> {
        try page("profiles", Conditions("1 = 1"), skip: skip, limit: limit, counting: false, Self.profile)
    }

    func profile(id: Int64) throws -> CustomerProfile? {
        try one("SELECT * FROM profiles WHERE id = ?", arguments: [id]).map(Self.profile)
    }

    func profileId(integrationId: String) throws -> Int64? {
        try scalar(
            "SELECT id FROM profiles WHERE integration_id = ?", arguments: [integrationId])
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

    // MARK: Campaign analytics

    func recordActivity(_ activity: [CampaignActivity]) throws {
        for a in activity {
            try exec(
                """
                INSERT INTO campaign_activity (campaign_id, at, coupon_redemptions, coupon_rollbacks,
                    referral_redemptions, free_items, revenue, refund, discount_costs, refunded_discounts,
                    added_points, deducted_points)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                arguments: [
                    a.campaignId, a.at.microseconds, a.couponRedemptions, a.couponRollbacks, a.referralRedemptions,
                    a.freeItems, a.revenue.description, a.refund.description, a.discountCosts.description,
                    a.refundedDiscounts.description, a.addedPoints.description, a.deductedPoints.description,
                ])
        }
    }

    func campaignActivity(campaignId: Int64, before: Timestamp) throws -> [CampaignActivity] {
        try all(
            "SELECT * FROM campaign_activity WHERE campaign_id = ? AND at < ? ORDER BY at",
            arguments: [campaignId, before.microseconds]
        ).map { r in
            var a = CampaignActivity(campaignId: campaignId, at: Timestamp(microseconds: r["at"]))
            a.couponRedemptions = r["coupon_redemptions"]
            a.couponRollbacks = r["coupon_rollbacks"]
            a.referralRedemptions = r["referral_redemptions"]
            a.freeItems = r["free_items"]
            a.revenue = Self.decimal(r["revenue"])
            a.refund = Self.decimal(r["refund"])
            a.discountCosts = Self.decimal(r["discount_costs"])
            a.refundedDiscounts = Self.decimal(r["refunded_discounts"])
            a.addedPoints = Self.decimal(r["added_points"])
            a.deductedPoints = Self.decimal(r["deducted_points"])
            return a
        }
    }

    func createdCodeTimes(campaignId: Int64, before: Timestamp) throws -> (coupons: [Timestamp], referrals: [Timestamp])
    {
        let coupons: [Int64] = try column(
            "SELECT created FROM coupons WHERE campaign_id = ? AND origin IS NOT NULL AND created < ?",
            arguments: [campaignId, before.microseconds])
        let referrals: [Int64] = try column(
            "SELECT created FROM referrals WHERE campaign_id = ? AND origin IS NOT NULL AND created < ?",
            arguments: [campaignId, before.microseconds])
        return (coupons.map(Timestamp.init(microseconds:)), referrals.map(Timestamp.init(microseconds:)))
    }

    // MARK: Catalog

    func catalogVersion() throws -> Int64 {
        try scalar("SELECT version FROM catalog_version WHERE id = 1") ?? 0
    }

    /// Moves the catalog version, in the transaction that changes the catalog.
    func catalogChanged() throws {
        try exec("UPDATE catalog_version SET version = version + 1 WHERE id = 1")
    }

    func probeWrite(now: Timestamp) throws {
        try exec("UPDATE health_probe SET checked = ? WHERE id = 1", arguments: [now.microseconds])
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

/// A WHERE clause built from the optional filters of a management listing.
struct Conditions {
    private(set) var terms: [String] = []
    private(set) var arguments: [any SQLBindable] = []

    init(_ sql: String, _ values: any SQLBindable...) { add(sql, values) }

    mutating func add(_ sql: String, _ values: any SQLBindable...) { add(sql, values) }

    mutating func add(_ sql: String, _ values: [any SQLBindable]) {
        terms.append(sql)
        arguments += values
    }

    var clause: String { terms.joined(separator: " AND ") }

    /// Codes (coupons, referrals) valid at `now`, expired, or not valid yet.
    mutating func add(validity: CouponFilter.Validity?, now: Timestamp) {
        let n = now.microseconds
        switch validity {
        case .expired?: add("expiry_date IS NOT NULL AND expiry_date <= ?", n)
        case .validNow?:
            add("(start_date IS NULL OR start_date <= ?) AND (expiry_date IS NULL OR expiry_date > ?)", n, n)
        case .validFuture?: add("start_date IS NOT NULL AND start_date > ?", n)
        case nil: break
        }
    }

    /// Codes under (true) or at (false) their usage limit.
    mutating func add(usable: Bool?) {
        switch usable {
        case true?: add("(usage_limit = 0 OR usage_counter < usage_limit)")
        case false?: add("usage_limit > 0 AND usage_counter >= usage_limit")
        case nil: break
        }
    }
}

extension SQLTransaction {
    /// One page of `SELECT * FROM table WHERE conditions ORDER BY order`, and the count of all matches.
    func page<T>(
        _ table: String, _ c: Conditions, order: String = "id", skip: Int, limit: Int, counting: Bool = true,
        _ map: (SQLRow) -> T
    ) throws -> Page<T> {
        let rows = try all(
            "SELECT * FROM \(table) WHERE \(c.clause) ORDER BY \(order) LIMIT ? OFFSET ?",
            arguments: SQLArguments(c.arguments + [limit, skip]))
        guard counting else { return Page(items: rows.map(map), total: -1) }
        let total =
            try scalar("SELECT count(*) FROM \(table) WHERE \(c.clause)", arguments: SQLArguments(c.arguments))
            ?? 0
        return Page(items: rows.map(map), total: total)
    }
}

/// Coupons and referral codes are used the same way: a usage counter under a limit, and a row per
/// (code, session) saying which session used it and for which profile.
enum CodeTable {
    case coupon, referral

    var table: String { self == .coupon ? "coupons" : "referrals" }
    var usageTable: String { self == .coupon ? "coupon_redemptions" : "referral_redemptions" }
    var usageColumn: String { self == .coupon ? "coupon_id" : "referral_id" }
}

extension SQLTransaction {
    /// Counts one use if the code is under its limit. The decision is the result of this one
    /// statement, never of an earlier read.
    func redeem(_ code: CodeTable, id: Int64, profileId: String, sessionId: String) throws -> Bool {
        let counter: Int64? = try scalar(
            """
            UPDATE \(code.table) SET usage_counter = usage_counter + 1
            WHERE id = ? AND (usage_limit = 0 OR usage_counter < usage_limit) RETURNING usage_counter
            """, arguments: [id])
        let counted = counter != nil
        if counted {
            do {
                try exec(
                    "INSERT INTO \(code.usageTable) (\(code.usageColumn), profile_id, session_id) VALUES (?, ?, ?)",
                    arguments: [id, profileId, sessionId])
            } catch SQLError.constraint {
                // Another request closed this session first (PostgreSQL lets both get here):
                // this one starts over and finds it closed.
                throw StoreError.conflict
            }
        }
        return counted
    }

    /// Gives back the use that session `sessionId` counted, if it counted one.
    func release(_ code: CodeTable, id: Int64, sessionId: String) throws {
        let released = try exec(
            "DELETE FROM \(code.usageTable) WHERE \(code.usageColumn) = ? AND session_id = ?",
            arguments: [id, sessionId])
        if released > 0 {
            try exec(
                """
                UPDATE \(code.table) SET usage_counter = CASE WHEN usage_counter > 0 THEN usage_counter - 1 ELSE 0 END
                WHERE id = ?
                """, arguments: [id])
        }
    }
}
