import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// Loyalty programs: `POST/PUT /v1/loyalty_programs[/{id}]` (Perk's own: Talon.One makes them in
/// its console), the 2020 listings, a profile's ledger, and points added or deducted by hand.
extension ManagementAPI {
    func registerLoyalty(on router: Routes) {
        router.post("/v1/loyalty_programs") { req, ctx in try await createLoyaltyProgram(req, ctx) }
        router.get("/v1/loyalty_programs") { req, ctx in try await listLoyaltyPrograms(req, ctx) }
        router.get("/v1/loyalty_programs/:programId") { req, ctx in try await getLoyaltyProgram(req, ctx) }
        router.put("/v1/loyalty_programs/:programId") { req, ctx in try await updateLoyaltyProgram(req, ctx) }
        router.get("/v1/loyalty_programs/:programId/profile/:integrationId") { req, ctx in
            try await getLedger(req, ctx)
        }
        router.put("/v1/loyalty_programs/:programId/profile/:integrationId/add_points") { req, ctx in
            try await changePoints(req, ctx, adding: true)
        }
        router.put("/v1/loyalty_programs/:programId/profile/:integrationId/deduct_points") { req, ctx in
            try await changePoints(req, ctx, adding: false)
        }
    }

    func loyaltyProgram(_ ctx: PerkRequestContext) async throws -> LoyaltyProgram {
        let id = try ctx.parameters.id("programId")
        guard let p = try await store.read({ tx in try tx.loyaltyProgram(id: id) }) else {
            throw APIError.notFound("Loyalty program")
        }
        return p
    }

    /// `NewLoyaltyProgram` (creating) or `UpdateLoyaltyProgram`, onto `p`.
    static func applyProgram(_ body: JSON, to p: inout LoyaltyProgram, creating: Bool) throws(FieldError) {
        let r = try ObjectReader(body, at: "")
        if creating {
            p.name = try r.string("name", required: true, minLength: 1, maxLength: 255)!
        } else if let name = try r.string("name"), name != p.name {
            throw FieldError(title: "Invalid value", details: "a program's name cannot change", pointer: "/name")
        }
        if let t = try r.string("title", required: creating, minLength: 1, maxLength: 255) { p.title = t }
        if let d = try r.string("description", maxLength: 10_000) { p.description = d }
        if let apps = try r.ids("subscribedApplications") {
            var ids: [Int64] = []
            for id in apps where !ids.contains(id) { ids.append(id) }
            p.subscribedApplications = ids
        }
        if let v = try r.string("defaultValidity", required: creating) {
            guard let validity = PointsValidity(v) else {
                throw FieldError(
                    title: "Invalid value",
                    details: "defaultValidity must be \"unlimited\" or a number and a unit (s, m, h, d, w), like 30d",
                    pointer: "/defaultValidity")
            }
            p.defaultValidity = validity
        }
        if let s = try r.bool("allowSubledger", required: creating) { p.allowSubledger = s }
    }

    /// Every application an entity names must exist (400 at `field/i` otherwise).
    func checkApplications(_ ids: [Int64], field: String, _ tx: any StoreTransaction) throws {
        try Self.requireExisting(ids, field: field, noun: "application") { try tx.application(id: $0) != nil }
    }

    /// Each id must name something that exists: 400 at the first that does not (`/field/i`).
    static func requireExisting(_ ids: [Int64], field: String, noun: String, _ exists: (Int64) throws -> Bool)
        throws
    {
        for (i, id) in ids.enumerated() where try !exists(id) {
            throw APIError.invalid(
                FieldError(title: "Invalid value", details: "\(noun) \(id) does not exist", pointer: "/\(field)/\(i)"))
        }
    }

    func createLoyaltyProgram(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        let body = try await req.json(context: ctx)
        var program = LoyaltyProgram(id: 0, created: clock(), name: "", title: "")
        try decode { try Self.applyProgram(body, to: &program, creating: true) }
        let toInsert = program
        let created: LoyaltyProgram
        do {
            created = try await store.write { tx in
                try checkApplications(toInsert.subscribedApplications, field: "subscribedApplications", tx)
                return try tx.insertLoyaltyProgram(toInsert)
            }
        } catch StoreError.duplicate {
            throw APIError.invalid(
                FieldError(title: "Invalid value", details: "a loyalty program has this name", pointer: "/name"))
        }
        catalog.changedEverywhere()
        return jsonResponse(.created, LoyaltyWire.program(created))
    }

    func updateLoyaltyProgram(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        var program = try await loyaltyProgram(ctx)
        let body = try await req.json(context: ctx)
        try decode { try Self.applyProgram(body, to: &program, creating: false) }
        let toSave = program
        try await store.write { tx in
            try checkApplications(toSave.subscribedApplications, field: "subscribedApplications", tx)
            try tx.updateLoyaltyProgram(toSave)
        }
        catalog.changedEverywhere()
        return jsonResponse(.ok, LoyaltyWire.program(toSave))
    }

    func listLoyaltyPrograms(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await member(req)
        let programs = try await store.read { tx in try tx.loyaltyPrograms() }
        return jsonResponse(.ok, listJSON(programs.map(LoyaltyWire.program), total: programs.count))
    }

    func getLoyaltyProgram(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await member(req)
        return jsonResponse(.ok, LoyaltyWire.program(try await loyaltyProgram(ctx)))
    }

    /// The 2020 `LoyaltyLedger`: the main ledger and each subledger, with their history (newest
    /// first, at most 1,000 entries each) and the points still to expire.
    func getLedger(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await member(req)
        let program = try await loyaltyProgram(ctx)
        let profileId = try ctx.parameters.integrationId("integrationId")
        let now = clock()
        let ledger = try await store.read { tx -> JSON? in
            guard try tx.profile(integrationId: profileId) != nil else { return nil }
            let balances = try tx.ledgerBalances(programId: program.id, profileId: profileId, now: now)
            var subledgers = JSONObject()
            var main: JSON = LoyaltyWire.subLedger(
                LedgerBalance(), transactions: [], expiring: [], program.id, profileId)
            for name in Set(balances.keys).union([""]).sorted() {
                var filter = LoyaltyTransactionFilter()
                filter.subledger = name
                let transactions = try tx.loyaltyTransactions(
                    programId: program.id, profileId: profileId, filter: filter, now: now, skip: 0, limit: 1000)
                let expiring = try tx.pointsLots(
                    programId: program.id, profileId: profileId, status: .active, subledger: name, now: now, skip: 0,
                    limit: 1000
                ).filter { $0.expires != nil }
                let json = LoyaltyWire.subLedger(
                    balances[name] ?? LedgerBalance(), transactions: transactions, expiring: expiring, program.id,
                    profileId)
                if name.isEmpty { main = json } else { subledgers.appendUnique(name, json) }
            }
            return ["ledger": main, "subLedgers": .object(subledgers)]
        }
        guard let ledger else { throw APIError.notFound("Customer profile") }
        return jsonResponse(.ok, ledger)
    }

    struct PointsChange {
        var points: DecimalNumber
        var name: String
        var validity: PointsValidity
        var subledger: String
    }

    /// A `LoyaltyPoints` body, checked against the program.
    static func pointsChange(_ body: JSON, _ program: LoyaltyProgram) throws(FieldError) -> PointsChange {
        let r = try ObjectReader(body, at: "")
        let points = try r.decimal("points", required: true)!
        guard points > .zero, !(Points.largest < points), !points.rounded(toPlaces: 2).isZero else {
            throw FieldError(
                title: "Invalid value", details: "points must be more than 0 and at most \(Points.largest)",
                pointer: "/points")
        }
        var validity = program.defaultValidity
        if let text = try r.string("expiryDuration"), !text.isEmpty {
            guard let v = PointsValidity(text) else {
                throw FieldError(
                    title: "Invalid value",
                    details: "expiryDuration must be \"unlimited\" or a number and a unit (s, m, h, d, w), like 30d",
                    pointer: "/expiryDuration")
            }
            validity = v
        }
        let subledger = try r.string("subLedgerID", maxLength: 255) ?? ""
        if !subledger.isEmpty && !program.allowSubledger {
            throw FieldError(
                title: "Invalid value", details: "this loyalty program has no subledgers", pointer: "/subLedgerID")
        }
        return PointsChange(
            points: points.rounded(toPlaces: 2), name: try r.string("name", maxLength: 1000) ?? "",
            validity: validity, subledger: subledger)
    }

    /// `LoyaltyPoints {points, name?, expiryDuration?, subLedgerID?}` added to, or deducted from,
    /// a profile's ledger (204). A deduction larger than the active balance is a 400.
    func changePoints(_ req: Request, _ ctx: PerkRequestContext, adding: Bool) async throws -> Response {
        let userId = (try await admin(req)).userId
        let program = try await loyaltyProgram(ctx)
        let profileId = try ctx.parameters.integrationId("integrationId")
        let body = try await req.json(context: ctx)
        let now = clock()
        let change = try decode { try Self.pointsChange(body, program) }
        let (points, name, validity, subledger) = (change.points, change.name, change.validity, change.subledger)
        let ledger = LedgerKey(programId: program.id, subledger: subledger)
        try await store.write(durable: true) { tx in
            guard try tx.profile(integrationId: profileId) != nil else { throw APIError.notFound("Customer profile") }
            if adding {
                var addition = PointsAddition(
                    ledger: ledger, profileId: profileId, amount: points, name: name.isEmpty ? "Manual addition" : name,
                    created: now, expires: validity.expiry(from: now))
                addition.userId = userId
                _ = try tx.addPoints(addition)
                return
            }
            let made = try tx.deductPoints(
                ledger: ledger, profileId: profileId, amount: points, name: name.isEmpty ? "Manual deduction" : name,
                now: now, sessionId: "", campaignId: nil, rulesetId: nil, ruleName: "", userId: userId)
            guard made != nil else {
                let balance = try tx.loyaltyBalances(profileId: profileId, programIds: [program.id], now: now)[ledger]
                throw APIError.invalid(
                    FieldError(
                        title: "Insufficient points",
                        details: "the customer has \(balance ?? .zero) points to spend here, fewer than \(points): take at most \(balance ?? .zero)",
                        pointer: "/points"))
            }
        }
        return emptyResponse(.noContent)
    }
}

/// The JSON of loyalty programs, ledgers and balances.
enum LoyaltyWire {
    /// Both the 2020 `LoyaltyProgram` and the current one (whose client requires its policies):
    /// Perk's programs are profile-based, without tiers, points valid at once.
    static func program(_ p: LoyaltyProgram) -> JSON {
        [
            "id": .number(p.id), "created": p.created.json, "accountID": .number(perkAccountID),
            "name": .string(p.name), "title": .string(p.title), "description": .string(p.description),
            "subscribedApplications": .array(p.subscribedApplications.map { .number($0) }),
            "defaultValidity": .string(p.defaultValidity.description), "defaultPending": "immediate",
            "allowSubledger": .bool(p.allowSubledger), "sandbox": false, "programJoinPolicy": "not_join",
            "tiersExpirationPolicy": "tier_start_date", "tiersDowngradePolicy": "one_down",
            "returnPolicy": "within_balance", "timezone": "UTC", "cardBased": false, "canUpdateTiers": false,
            "canUpdateSubledgers": false, "tiers": [],
        ]
    }

    /// A 2020 `LoyaltySubLedger`, with the totals later clients require.
    static func subLedger(
        _ balance: LedgerBalance, transactions: [LoyaltyTransaction], expiring: [PointsLot], _ programId: Int64,
        _ profileId: String
    ) -> JSON {
        [
            "total": balance.active.json, "totalActivePoints": balance.active.json, "totalPendingPoints": .number(0),
            "totalSpentPoints": balance.spent.json, "totalExpiredPoints": balance.expired.json,
            "totalNegativePoints": .number(0),
            "transactions": .array(transactions.map(ledgerEntry)),
            "expiringPoints": .array(
                expiring.map { lot in
                    var o: JSONObject = [
                        "created": lot.created.json, "programID": .number(programId),
                        "customerProfileID": .string(profileId), "customerSessionID": .string(lot.sessionId),
                        "type": "addition", "amount": lot.remaining.json, "name": .string(lot.name),
                        "subLedgerID": .string(lot.subledger),
                    ]
                    if let e = lot.expires { o.appendUnique("expiryDate", e.json) }
                    return .object(o)
                }),
        ]
    }

    /// A 2020 `LoyaltyLedgerEntry`.
    static func ledgerEntry(_ t: LoyaltyTransaction) -> JSON {
        var o: JSONObject = [
            "created": t.created.json, "programID": .number(t.programId), "customerProfileID": .string(t.profileId),
            "customerSessionID": .string(t.sessionId), "type": .string(t.type), "amount": t.amount.json,
            "name": .string(t.name), "subLedgerID": .string(t.subledger),
        ]
        if let e = t.expires { o.appendUnique("expiryDate", e.json) }
        return .object(o)
    }
}
