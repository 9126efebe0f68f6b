import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// The current Integration API's reads of a profile's points: balances, transactions and the
/// points still to spend, for programs the key's application is subscribed to.
extension IntegrationAPI {
    func registerLoyalty(on router: Routes) {
        router.get("/v1/loyalty_programs/:programId/profile/:integrationId/balances") { req, ctx in
            try await balances(req, ctx)
        }
        router.get("/v1/loyalty_programs/:programId/profile/:integrationId/transactions") { req, ctx in
            try await transactions(req, ctx)
        }
        router.get("/v1/loyalty_programs/:programId/profile/:integrationId/points") { req, ctx in
            try await points(req, ctx)
        }
    }

    /// The program of the path, if the key's application is subscribed to it, and the profile.
    func ledgerOwner(_ req: Request, _ ctx: PerkRequestContext) async throws -> (LoyaltyProgram, String) {
        let applicationId = try await application(req, dryRunnable: false)
        let id = try ctx.parameters.id("programId")
        let profileId = try ctx.parameters.integrationId("integrationId")
        let (program, profile) = try await catalog.store.read { tx in
            (try tx.loyaltyProgram(id: id), try tx.profile(integrationId: profileId))
        }
        guard let program, program.subscribedApplications.contains(applicationId) else {
            throw APIError.notFound("Loyalty program")
        }
        guard profile != nil else { throw APIError.notFound("Customer profile") }
        return (program, profileId)
    }

    /// `LoyaltyBalancesWithTiers`: the main ledger's figures and each subledger's, at `endDate`
    /// (default now) as far as expiry goes.
    func balances(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (program, profileId) = try await ledgerOwner(req, ctx)
        let at = try Self.time(req, "endDate") ?? clock()
        let subledger = req.query("subledgerId")
        let all = try await catalog.store.read { tx in
            try tx.ledgerBalances(programId: program.id, profileId: profileId, now: at)
        }
        func json(_ b: LedgerBalance?) -> JSON {
            let b = b ?? LedgerBalance()
            return [
                "activePoints": b.active.json, "pendingPoints": .number(0), "spentPoints": b.spent.json,
                "expiredPoints": b.expired.json, "negativePoints": .number(0),
            ]
        }
        var subs = JSONObject()
        for (name, b) in all.sorted(by: { $0.key < $1.key }) where !name.isEmpty && (subledger ?? name) == name {
            subs.appendUnique(name, json(b))
        }
        let main = subledger.map { $0.isEmpty ? all[""] : all[$0] } ?? all[""]
        return jsonResponse(.ok, ["balance": json(main), "subledgerBalances": .object(subs)])
    }

    /// `{hasMore, data: [LedgerTransactionLogEntryIntegrationAPI]}`, newest first.
    func transactions(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (program, profileId) = try await ledgerOwner(req, ctx)
        let (skip, limit) = try req.paging(defaultSize: 50)
        var filter = LoyaltyTransactionFilter()
        filter.subledger = req.query("subledgerId")
        filter.sessionIds = req.queries("customerSessionIDs")
        filter.transactionUUIDs = req.queries("transactionUUIDs")
        filter.createdAfter = try Self.time(req, "startDate")
        filter.createdBefore = try Self.time(req, "endDate")
        let kind = req.query("loyaltyTransactionType")
        switch kind {
        case nil, "": break
        case "manual": filter.origin = .manual
        case "session": filter.origin = .session
        // Perk has no imports of points.
        case "import": return jsonResponse(.ok, pageWithoutTotal([], hasMore: false))
        default:
            throw APIError.invalidParameter(
                "loyaltyTransactionType", "loyaltyTransactionType must be manual, session or import")
        }
        let now = clock()
        let wanted = filter
        let rows = try await catalog.store.read { tx in
            try tx.loyaltyTransactions(
                programId: program.id, profileId: profileId, filter: wanted, now: now, skip: skip, limit: limit + 1)
        }
        let data: [JSON] = rows.prefix(limit).map { t in
            var o: JSONObject = [
                "id": .number(t.id), "transactionUUID": .string(t.uuid), "created": t.created.json,
                "programId": .number(t.programId), "type": .string(t.type), "name": .string(t.name),
                "startDate": "immediate",
                "expiryDate": t.expires.map(\.json) ?? (t.type == "addition" ? "unlimited" : ""),
                "subledgerId": .string(t.subledger), "amount": t.amount.json,
            ]
            if !t.sessionId.isEmpty { o.appendUnique("customerSessionId", .string(t.sessionId)) }
            if let r = t.rulesetId { o.appendUnique("rulesetId", .number(r)) }
            if !t.ruleName.isEmpty { o.appendUnique("ruleName", .string(t.ruleName)) }
            return .object(o)
        }
        return jsonResponse(.ok, pageWithoutTotal(data, hasMore: rows.count > limit))
    }

    /// `{hasMore, data: [LedgerPointsEntryIntegrationAPI]}`: the additions with points left.
    func points(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let (program, profileId) = try await ledgerOwner(req, ctx)
        let (skip, limit) = try req.paging(defaultSize: 50)
        let statusText = req.query("status") ?? "active"
        guard let status = PointsStatus(rawValue: statusText) else {
            throw APIError.invalidParameter("status", "status must be active, pending or expired")
        }
        let subledger = req.query("subledgerId")
        let now = clock()
        let lots = try await catalog.store.read { tx in
            try tx.pointsLots(
                programId: program.id, profileId: profileId, status: status, subledger: subledger, now: now,
                skip: skip, limit: limit + 1)
        }
        let data: [JSON] = lots.prefix(limit).map { lot in
            var o: JSONObject = [
                "id": .number(lot.transactionId), "transactionUUID": .string(lot.transactionUUID),
                "created": lot.created.json, "programId": .number(lot.programId), "name": .string(lot.name),
                "startDate": "immediate", "expiryDate": lot.expires.map(\.json) ?? "unlimited",
                "subledgerId": .string(lot.subledger), "amount": lot.remaining.json,
            ]
            if !lot.sessionId.isEmpty { o.appendUnique("customerSessionId", .string(lot.sessionId)) }
            return .object(o)
        }
        return jsonResponse(.ok, pageWithoutTotal(data, hasMore: lots.count > limit))
    }
}
