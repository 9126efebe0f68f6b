import PerkEngine
import PerkJSON
import Talang

/// The catalog in SQL: applications, campaigns, their rulesets and priority tree, and the declared
/// attributes (what nodes keep compiled in memory).
extension SQLTransaction {
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
}
