import PerkEngine
import PerkJSON
import Talang

/// What management reads of what integrations did: listings and campaign analytics, in SQL.
extension SQLTransaction {
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
        if let t = filter.createdBefore { c.add("created < ?", t.microseconds) }
        if let t = filter.createdAfter { c.add("created > ?", t.microseconds) }
        if let id = filter.afterId { c.add("id > ?", id) }
        let keyset = filter.afterId != nil
        return try page(
            "sessions", c, order: ascending || keyset ? "id ASC" : "id DESC", skip: skip, limit: limit,
            counting: !keyset
        ) { Self.session($0, withEffects: true) }
    }

    /// A condition: one of the effects in `column` (a JSON array text, as events and sessions
    /// keep them) came from a rule whose name holds the bound text, in any case.
    func effectOfRule(_ column: String) -> String {
        let d = db.dialect
        return "EXISTS (SELECT 1 FROM \(d.jsonElements(column)) WHERE \(d.contains(d.elementString("ruleName"))))"
    }

    /// A condition: one of the effects in `column` came from a campaign whose name holds the
    /// bound text, in any case.
    func effectOfCampaign(_ column: String) -> String {
        let d = db.dialect
        return "EXISTS (SELECT 1 FROM \(d.jsonElements(column)) JOIN campaigns c2"
            + " ON c2.id = CAST(\(d.elementString("campaignId")) AS BIGINT) WHERE \(d.contains("c2.name")))"
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
        let ofSession =
            "EXISTS (SELECT 1 FROM sessions s2 WHERE s2.application_id = e.application_id"
            + " AND s2.integration_id = e.session_id AND "
        if let code = filter.couponCode { c.add(ofSession + d.jsonArrayHolds("s2.content", "couponCodes") + ")", code) }
        if let code = filter.referralCode {
            c.add(ofSession + d.jsonString("s2.content", "referralCode") + " = ?)", code)
        }
        if let name = filter.ruleName { c.add(effectOfRule("e.effects"), name) }
        if let name = filter.campaignName { c.add(effectOfCampaign("e.effects"), name) }
        if let id = filter.afterId { c.add("e.id > ?", id) }
        let keyset = filter.afterId != nil
        let whereClause = c.clause
        let arguments = c.arguments
        let order = ascending || keyset ? "ASC" : "DESC"
        let rows = try all(
            """
            SELECT e.*, s.id AS session_row, p.id AS profile_row FROM events e
            LEFT JOIN sessions s ON s.application_id = e.application_id AND s.integration_id = e.session_id
            LEFT JOIN profiles p ON p.integration_id = e.profile_id
            WHERE \(whereClause) ORDER BY e.id \(order) LIMIT ? OFFSET ?
            """, arguments: SQLArguments(arguments + [limit, skip]))
        let total: Int =
            keyset
            ? -1
            : try scalar("SELECT count(*) FROM events e WHERE \(whereClause)", arguments: SQLArguments(arguments)) ?? 0
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

    func profile(id: Int64) throws -> CustomerProfile? {
        try one("SELECT * FROM profiles WHERE id = ?", arguments: [id]).map(Self.profile)
    }

    func profileId(integrationId: String) throws -> Int64? {
        try scalar(
            "SELECT id FROM profiles WHERE integration_id = ?", arguments: [integrationId])
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
}
