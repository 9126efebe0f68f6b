import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// CSV exports of an application's referral codes, sessions and effects (the current API's
/// `export_referrals`, `export_customer_sessions`, `export_effects`; coupons are in
/// CouponTransferAPI) and customers (Perk's own `export_customers`), each streamed a page at a
/// time, and the record of exports and imports (`GET /v1/exports`, `GET /v1/imports`).
extension ManagementAPI {
    func registerTransfers(on router: Routes) {
        router.get("/v1/exports") { req, ctx in try await listExports(req, ctx) }
        router.get("/v1/imports") { req, ctx in try await listImports(req, ctx) }
        let app = "/v1/applications/:applicationId"
        router.get(RouterPath(app + "/export_referrals")) { req, ctx in try await exportReferrals(req, ctx) }
        router.get(RouterPath(app + "/export_customer_sessions")) { req, ctx in try await exportSessions(req, ctx) }
        router.get(RouterPath(app + "/export_effects")) { req, ctx in try await exportEffects(req, ctx) }
        router.get(RouterPath(app + "/export_customers")) { req, ctx in try await exportCustomers(req, ctx) }
    }

    /// Rows read per page of an export: memory stays flat however many there are.
    static var exportPageSize: Int { 1_000 }

    /// A CSV answer written page by page: `next` gets where the previous page ended (nil for the
    /// first) and answers the page's rows and where it ends (nil: no more rows).
    func streamedCSV<Cursor: Sendable>(
        _ filename: String, header: [String],
        next: @escaping @Sendable (Cursor?) async throws -> (rows: [[String]], last: Cursor?)
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"\(filename)\""
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: CSV.line(header)))
            var after: Cursor?
            while true {
                let (rows, last) = try await next(after)
                if !rows.isEmpty { try await writer.write(ByteBuffer(string: rows.map(CSV.line).joined())) }
                guard let last else { break }
                after = last
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// Notes an export in the record `GET /v1/exports` lists, with the query it was filtered by.
    func recordExport(_ req: Request, userId: Int64, entity: String, applicationId: Int64) async throws {
        var record = TransferRecord(
            created: clock(), userId: userId, entity: entity, applicationId: applicationId,
            campaignId: try req.intQuery("campaignId").map(Int64.init))
        for (name, value) in req.uri.queryParameters { record.filter[String(name)] = .string(String(value)) }
        let saved = record
        try await store.write { tx in try tx.insertExport(saved) }
    }

    // MARK: Exports

    static let referralColumns = [
        "id", "created", "campaignid", "code", "advocateprofileintegrationid", "startdate", "expirydate", "limitval",
        "usagecounter",
    ]

    /// `campaignId`, and the referral listing's filters (`code`, `createdBefore/After`, `valid`,
    /// `usable`, `advocate`).
    func exportReferrals(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let userId = try await authorize(req, ctx, .read).userId
        let app = try await application(ctx)
        let filter = try Self.referralFilter(req)
        let campaignIds: [Int64]
        if let id = try req.intQuery("campaignId") {
            // Only a campaign of this application.
            let campaign = Int64(id)
            campaignIds = [try await found("Campaign") { tx in try tx.campaign(applicationId: app.id, id: campaign) }.id]
        } else {
            campaignIds = try await store.read { tx in try tx.campaigns(applicationId: app.id) }.map(\.id)
        }
        try await recordExport(req, userId: userId, entity: "Referral", applicationId: app.id)
        let (store, now, start, size) = (self.store, clock(), filter, Self.exportPageSize)
        // One keyset walk per campaign: the cursor is the campaign's place in the list and the
        // last referral id read in it.
        return streamedCSV("referrals-\(app.id).csv", header: Self.referralColumns) {
            (after: ReferralCursor?) -> (rows: [[String]], last: ReferralCursor?) in
            var position = after ?? ReferralCursor(campaign: 0, id: 0)
            while position.campaign < campaignIds.count {
                var page = start
                page.afterId = position.id
                let chosen = page
                let campaign = campaignIds[position.campaign]
                let rows = try await store.read { tx in
                    try tx.referrals(campaignId: campaign, filter: chosen, now: now, skip: 0, limit: size)
                }.items
                if let last = rows.last {
                    let cells = rows.map { r in
                        [
                            String(r.id), r.created.json.stringValue ?? "", String(r.campaignId), r.code,
                            r.advocateProfileIntegrationId, r.startDate?.json.stringValue ?? "",
                            r.expiryDate?.json.stringValue ?? "", String(r.usageLimit), String(r.usageCounter),
                        ]
                    }
                    return (cells, ReferralCursor(campaign: position.campaign, id: last.id))
                }
                position = ReferralCursor(campaign: position.campaign + 1, id: 0)
            }
            return ([], nil)
        }
    }

    struct ReferralCursor: Sendable {
        var campaign: Int
        var id: Int64
    }

    static let sessionColumns = [
        "id", "firstsession", "integrationid", "applicationid", "profileid", "profileintegrationid", "created", "state",
        "cartitems", "discounts", "total", "attributes", "closedat", "cancelledat", "referral", "identifiers",
        "additional_costs", "updated", "coupons",
    ]

    /// `createdBefore/After`, `profileIntegrationId`, `customerSessionState`.
    func exportSessions(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let userId = try await authorize(req, ctx, .read).userId
        let app = try await application(ctx)
        var filter = SessionFilter()
        filter.createdBefore = try Self.timeQuery(req, "createdBefore")
        filter.createdAfter = try Self.timeQuery(req, "createdAfter")
        filter.profile = req.query("profileIntegrationId")
        if let state = req.query("customerSessionState") {
            guard let s = SessionState(rawValue: state) else {
                let states = SessionState.allCases.map(\.rawValue).joined(separator: ", ")
                throw APIError.invalidParameter("customerSessionState", "customerSessionState must be one of \(states)")
            }
            filter.state = s
        }
        try await recordExport(req, userId: userId, entity: "CustomerSession", applicationId: app.id)
        let (store, start, size) = (self.store, filter, Self.exportPageSize)
        return streamedCSV("sessions-\(app.id).csv", header: Self.sessionColumns) { (after: Int64?) in
            var page = start
            page.afterId = after ?? 0
            let chosen = page
            let (sessions, profiles) = try await store.read { tx in
                let sessions = try tx.sessions(applicationId: app.id, filter: chosen, ascending: true, skip: 0, limit: size)
                    .items
                return (sessions, try Self.profileIds(tx, sessions.map(\.profileId)))
            }
            let rows = sessions.map { s in Self.sessionRow(s, profileId: profiles[s.profileId]) }
            return (rows, sessions.count < size ? nil : sessions.last?.id)
        }
    }

    static func sessionRow(_ s: CustomerSession, profileId: Int64?) -> [String] {
        let w = Wire.sessionV2(s)
        var discounts = OrderedMap<DecimalNumber>()
        for d in s.ledger?.discounts ?? [] { discounts[d.name] = (discounts[d.name] ?? .zero) + d.value }
        let closed = s.state == .closed || s.state == .partiallyReturned ? s.closedAt ?? s.updated : nil
        let cancelled = s.state == .cancelled ? s.updated : nil
        return [
            String(s.id), s.firstSession ? "true" : "false", s.integrationId, String(s.applicationId),
            profileId.map(String.init) ?? "", s.profileId, s.created.json.stringValue ?? "", s.state.rawValue,
            w["cartItems"]?.text ?? "[]", JSON.object(JSONObject(discounts.map { ($0, $1.json) })).text, s.total.description,
            JSON.object(s.attributes).text, closed?.json.stringValue ?? "", cancelled?.json.stringValue ?? "",
            s.referralCode, w["identifiers"]?.text ?? "[]", w["additionalCosts"]?.text ?? "{}",
            s.updated.json.stringValue ?? "", JSON.array(s.couponCodes.map(JSON.string)).text,
        ]
    }

    static let effectColumns = [
        "applicationid", "campaignid", "couponid", "created", "event_type", "eventid", "name", "profileintegrationid",
        "props", "ruleindex", "rulesetid", "sessionid", "profileid", "sessionintegrationid",
    ]

    /// Every effect of the application's events, one row each: `campaignId`, `createdBefore/After`.
    func exportEffects(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let userId = try await authorize(req, ctx, .read).userId
        let app = try await application(ctx)
        var filter = EventFilter()
        filter.createdBefore = try Self.timeQuery(req, "createdBefore")
        filter.createdAfter = try Self.timeQuery(req, "createdAfter")
        let campaign = try req.intQuery("campaignId").map(Int64.init)
        try await recordExport(req, userId: userId, entity: "Effect", applicationId: app.id)
        let (store, start, size) = (self.store, filter, Self.exportPageSize)
        return streamedCSV("effects-\(app.id).csv", header: Self.effectColumns) { (after: Int64?) in
            var page = start
            page.afterId = after ?? 0
            let chosen = page
            let events = try await store.read { tx in
                try tx.events(applicationId: app.id, filter: chosen, ascending: true, skip: 0, limit: size)
            }.items
            var rows: [[String]] = []
            for e in events {
                for effect in e.effects where campaign == nil || effect.campaignId == campaign {
                    rows.append([
                        String(app.id), String(effect.campaignId), effect.triggeredByCoupon.map(String.init) ?? "",
                        e.created.json.stringValue ?? "", e.type, String(e.id), effect.type, e.profileIntegrationId,
                        JSON.object(effect.props).text, String(effect.ruleIndex), String(effect.rulesetId),
                        e.sessionId.map(String.init) ?? "", e.profileId.map(String.init) ?? "", e.sessionIntegrationId,
                    ])
                }
            }
            return (rows, events.count < size ? nil : events.last?.id)
        }
    }

    static let customerColumns = [
        "id", "integrationid", "created", "lastactivity", "closedsessions", "totalsales", "attributes",
    ]

    /// Perk's own: the application's customers (the profiles its integration reported events
    /// for), oldest first.
    func exportCustomers(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let userId = try await authorize(req, ctx, .read).userId
        let app = try await application(ctx)
        try await recordExport(req, userId: userId, entity: "CustomerProfile", applicationId: app.id)
        let (store, size) = (self.store, Self.exportPageSize)
        return streamedCSV("customers-\(app.id).csv", header: Self.customerColumns) { (after: Int64?) in
            var search = CustomerSearch()
            search.afterId = after ?? 0
            let chosen = search
            let profiles = try await store.read { tx in
                try tx.customers(search: chosen, applicationId: app.id, skip: 0, limit: size, counting: false)
            }.items
            let rows = profiles.map { p in
                [
                    String(p.id), p.integrationId, p.created.json.stringValue ?? "", p.lastActivity.json.stringValue ?? "",
                    String(p.closedSessions), p.totalSales.description, JSON.object(p.attributes).text,
                ]
            }
            return (rows, profiles.count < size ? nil : profiles.last?.id)
        }
    }

    // MARK: The record

    static func transfer(_ t: TransferRecord, exported: Bool) -> JSON {
        var o = JSONObject()
        o.appendUnique("id", .number(t.id))
        o.appendUnique("created", t.created.json)
        o.appendUnique("accountId", .number(perkAccountID))
        o.appendUnique("userId", .number(t.userId))
        o.appendUnique("entity", .string(t.entity))
        if exported {
            o.appendUnique("filter", .object(t.filter))
        } else {
            o.appendUnique("amount", .number(t.amount))
        }
        return .object(o)
    }

    /// Exports of one application for whoever may read it; of every application for admins.
    func listExports(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let principal = try await member(req)
        let (skip, limit) = try req.paging()
        var filter = TransferFilter()
        filter.applicationId = try req.intQuery("applicationId").map(Int64.init)
        filter.campaignId = try req.intQuery("campaignId").map(Int64.init)
        // 2020 clients know three entities and refuse any other: referral and customer exports
        // are listed when asked for by name.
        filter.entities = ["Coupon", "Effect", "CustomerSession"]
        if let entity = req.query("entity") {
            let entities = ["Coupon", "Referral", "Effect", "CustomerSession", "CustomerProfile"]
            guard entities.contains(entity) else {
                throw APIError.invalidParameter("entity", "entity must be one of \(entities.joined(separator: ", "))")
            }
            filter.entities = [entity]
        }
        if let id = filter.applicationId {
            try Self.require(principal, .read, in: id)
        } else if !principal.isAdmin {
            throw APIError.forbidden("see every application's exports; name an applicationId")
        }
        let chosen = filter
        let page = try await store.read { tx in try tx.exports(filter: chosen, skip: skip, limit: limit) }
        return jsonResponse(.ok, listJSON(page.items.map { Self.transfer($0, exported: true) }, total: page.total))
    }

    func listImports(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        let (skip, limit) = try req.paging()
        let page = try await store.read { tx in try tx.imports(skip: skip, limit: limit) }
        return jsonResponse(.ok, listJSON(page.items.map { Self.transfer($0, exported: false) }, total: page.total))
    }
}
