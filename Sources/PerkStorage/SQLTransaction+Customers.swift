import PerkEngine
import Talang

/// Customer searches and what the customer reports read, in SQL.
extension SQLTransaction: CustomerReportStore {
    func customers(search: CustomerSearch, applicationId: Int64?, skip: Int, limit: Int, counting: Bool) throws
        -> Page<CustomerProfile>
    {
        var c = Conditions("1 = 1")
        if let applicationId {
            c.add(
                "integration_id IN (SELECT DISTINCT profile_id FROM events WHERE application_id = ? AND profile_id <> '')",
                applicationId)
        }
        if let a = search.attributes, a != "{}" { c.add(db.dialect.jsonHasMembers("attributes"), a) }
        if let ids = search.integrationIds { c.add("integration_id", in: ids) }
        if let ids = search.profileIds { c.add("id", in: ids) }
        if let id = search.afterId { c.add("id > ?", id) }
        return try page(
            "profiles", c, skip: skip, limit: limit, counting: counting && search.afterId == nil, Self.profile)
    }

    func activeCustomers(applicationId: Int64, filter f: CustomerActivityFilter, skip: Int, limit: Int, counting: Bool)
        throws -> Page<CustomerProfile>
    {
        let d = db.dialect
        var active =
            "EXISTS (SELECT 1 FROM sessions s WHERE s.profile_id = profiles.integration_id AND s.application_id = ?"
            + " AND s.updated >= ? AND s.updated < ?"
        var arguments: [any SQLBindable] = [applicationId, f.from.microseconds, f.before.microseconds]
        if let name = f.campaignName {
            active += " AND " + effectOfCampaign("s.effects")
            arguments.append(name)
        }
        var c = Conditions("1 = 1")
        c.add(active + ")", arguments)
        if let name = f.name { c.add(d.contains(d.jsonString("attributes", "Name")), name) }
        if let id = f.integrationId { c.add(d.contains("integration_id"), id) }
        if let name = f.advocateName {
            c.add(
                """
                EXISTS (SELECT 1 FROM referral_redemptions u JOIN referrals r ON r.id = u.referral_id
                    JOIN profiles a ON a.integration_id = r.advocate
                    WHERE u.profile_id = profiles.integration_id AND r.application_id = ?
                    AND \(d.contains(d.jsonString("a.attributes", "Name"))))
                """, applicationId, name)
        }
        let direction = f.order.descending ? "DESC" : "ASC"
        let order = "\(f.order.field.column) \(direction), id \(direction)"
        return try page("profiles", c, order: order, skip: skip, limit: limit, counting: counting, Self.profile)
    }

    func customerSessions(applicationId: Int64, profileId: String, from: Timestamp?, before: Timestamp?, limit: Int)
        throws -> [CustomerSession]
    {
        var c = Conditions("application_id = ? AND profile_id = ?", applicationId, profileId)
        if let from { c.add("updated >= ?", from.microseconds) }
        if let before { c.add("updated < ?", before.microseconds) }
        return try page("sessions", c, order: "id DESC", skip: 0, limit: limit, counting: false) {
            Self.session($0, withEffects: true)
        }.items
    }

    func couponCount(applicationId: Int64, recipient: String) throws -> Int64 {
        try scalar(
            "SELECT count(*) FROM coupons WHERE application_id = ? AND recipient_integration_id = ?",
            arguments: [applicationId, recipient]) ?? 0
    }
}
