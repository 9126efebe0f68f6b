import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// The additional costs a session may carry (shipping, gift wrapping), declared for the account:
/// the 2020 `getAdditionalCosts`, `createAdditionalCost`, `getAdditionalCost` and
/// `updateAdditionalCost`. Until one is declared sessions may send any cost; from then on only
/// the declared ones of their application.
extension ManagementAPI {
    func registerAdditionalCosts(on router: Routes) {
        router.get("/v1/additional_costs") { req, _ in try await listAdditionalCosts(req) }
        router.post("/v1/additional_costs") { req, ctx in try await createAdditionalCost(req, ctx) }
        router.get("/v1/additional_costs/:additionalCostId") { req, ctx in try await getAdditionalCost(req, ctx) }
        router.put("/v1/additional_costs/:additionalCostId") { req, ctx in try await updateAdditionalCost(req, ctx) }
    }

    func listAdditionalCosts(_ req: Request) async throws -> Response {
        try await member(req)
        let (skip, limit) = try req.paging()
        let costs = try await store.read { tx in try tx.additionalCosts() }
        let page = costs.dropFirst(skip).prefix(limit).map(Wire.additionalCost)
        return jsonResponse(.ok, listJSON(Array(page), total: costs.count))
    }

    func storedAdditionalCost(_ ctx: PerkRequestContext) async throws -> AdditionalCostDefinition {
        let id = try ctx.parameters.id("additionalCostId")
        return try await found("Additional cost") { tx in try tx.additionalCost(id: id) }
    }

    func getAdditionalCost(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await member(req)
        return jsonResponse(.ok, Wire.additionalCost(try await storedAdditionalCost(ctx)))
    }

    func createAdditionalCost(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        let body = try await req.json(context: ctx)
        var cost = AdditionalCostDefinition(created: clock(), name: "", title: "", description: "", applicationIds: [])
        try decode { try Self.applyAdditionalCost(body, to: &cost) }
        let toInsert = cost
        let created = try await save { tx in
            try checkApplications(toInsert.applicationIds, field: "subscribedApplicationsIds", tx)
            return try tx.insertAdditionalCost(toInsert)
        }
        return jsonResponse(.created, Wire.additionalCost(created))
    }

    /// The 2020 `NewAdditionalCost` again: title and description are replaced, and the
    /// applications when given; the name stays.
    func updateAdditionalCost(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        var cost = try await storedAdditionalCost(ctx)
        let body = try await req.json(context: ctx)
        let name = cost.name
        try decode {
            try Self.applyAdditionalCost(body, to: &cost)
            // Sessions and rules send the cost by its name: it stays what it was made as.
            guard cost.name == name else {
                throw FieldError(
                    title: "Invalid value", details: "name cannot change; make a new additional cost instead",
                    pointer: "/name")
            }
        }
        let toSave = cost
        try await save { tx in
            try checkApplications(toSave.applicationIds, field: "subscribedApplicationsIds", tx)
            try tx.updateAdditionalCost(toSave)
        }
        return jsonResponse(.ok, Wire.additionalCost(toSave))
    }

    private func save<T: Sendable>(_ body: @Sendable @escaping (any StoreTransaction) throws -> T) async throws -> T {
        do {
            let result = try await store.write(body)
            catalog.costsChanged()
            return result
        } catch StoreError.duplicate {
            throw APIError.invalid(
                FieldError(title: "Duplicate", details: "an additional cost with this name exists", pointer: "/name"))
        }
    }

    /// `NewAdditionalCost {name, title, description, subscribedApplicationsIds?}`. A name is how
    /// sessions send the cost, so it takes the characters of an identifier.
    static func applyAdditionalCost(_ body: JSON, to cost: inout AdditionalCostDefinition) throws(FieldError) {
        let r = try ObjectReader(body, at: "")
        let name = try r.string("name", required: true, minLength: 1, maxLength: InputLimits.maxIdLength)!
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw FieldError(
                title: "Invalid value", details: "name may hold letters, digits, _ and - only", pointer: "/name")
        }
        cost.name = name
        cost.title = try r.string("title", required: true, minLength: 1, maxLength: 1000)!
        cost.description = try r.string("description", required: true, maxLength: 10_000)!
        if let ids = try r.ids("subscribedApplicationsIds") { cost.applicationIds = ids }
    }
}

/// The declared additional costs, by name, for checking sessions.
struct DeclaredCosts: Sendable {
    private let byName: [String: AdditionalCostDefinition]

    init(_ definitions: [AdditionalCostDefinition]) {
        byName = Dictionary(definitions.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Throws for the first cost the application may not carry: with none declared, any may.
    func check(_ names: [String], applicationId: Int64, pointer: String) throws(FieldError) {
        guard !byName.isEmpty else { return }
        for name in names {
            guard let d = byName[name], d.applicationIds.isEmpty || d.applicationIds.contains(applicationId) else {
                throw FieldError(
                    title: "Unknown",
                    details: "The additional cost \"\(name)\" is not declared for this application.",
                    pointer: JSONPointer.append(pointer, name))
            }
        }
    }
}

extension Wire {
    /// The 2020 `AccountAdditionalCost`.
    static func additionalCost(_ c: AdditionalCostDefinition) -> JSON {
        [
            "id": .number(c.id), "created": c.created.json, "accountId": 1, "name": .string(c.name),
            "title": .string(c.title), "description": .string(c.description),
            "subscribedApplicationsIds": .array(c.applicationIds.map { .number($0) }),
        ]
    }
}
