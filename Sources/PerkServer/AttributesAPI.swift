import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// `GET/POST /v1/attributes`, `GET/PUT /v1/attributes/{attributeId}`: the declarations that
/// integration requests' attributes are checked against.
extension ManagementAPI {
    func registerAttributes(on router: Routes) {
        router.get("/v1/attributes") { req, ctx in try await listAttributes(req, ctx) }
        router.post("/v1/attributes") { req, ctx in try await createAttribute(req, ctx) }
        router.get("/v1/attributes/:attributeId") { req, ctx in try await getAttribute(req, ctx) }
        router.put("/v1/attributes/:attributeId") { req, ctx in try await updateAttribute(req, ctx) }
    }

    func listAttributes(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await member(req)
        let (skip, limit) = try req.paging()
        let all = try await store.read { tx in try tx.attributes() }
        let page = all.dropFirst(skip).prefix(limit)
        return jsonResponse(.ok, listJSON(page.map(Wire.attribute), total: all.count))
    }

    func getAttribute(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await member(req)
        return jsonResponse(.ok, Wire.attribute(try await pathAttribute(ctx)))
    }

    func pathAttribute(_ ctx: PerkRequestContext) async throws -> AttributeDefinition {
        let id = try ctx.parameters.id("attributeId")
        guard let a = try await store.read({ tx in try tx.attribute(id: id) }) else {
            throw APIError.notFound("Attribute")
        }
        return a
    }

    func createAttribute(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        let body = try await req.json(context: ctx)
        let attribute = try decode { try ManagementRequests.newAttribute(body, now: clock()) }
        let created: AttributeDefinition
        do {
            created = try await store.write { tx in try tx.insertAttribute(attribute) }
        } catch StoreError.duplicate {
            throw APIError.invalid(
                FieldError(
                    title: "Duplicate",
                    details: "\(attribute.entity.rawValue) already has an attribute named \"\(attribute.name)\"",
                    pointer: "/name"))
        }
        catalog.attributesChanged()
        return jsonResponse(.created, Wire.attribute(created))
    }

    /// Title, type, description, suggestions, editability and subscriptions can change; what the
    /// attribute is (entity, event type, name) cannot, nor can a built-in attribute.
    func updateAttribute(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        var stored = try await pathAttribute(ctx)
        let body = try await req.json(context: ctx)
        let new = try decode { try ManagementRequests.newAttribute(body, now: stored.created) }
        guard !stored.builtIn else { throw APIError.badRequest("Built-in attributes cannot be changed") }
        for (field, same) in [
            ("entity", new.entity == stored.entity), ("eventType", new.eventType == stored.eventType),
            ("name", new.name == stored.name),
        ] where !same {
            throw APIError.invalid(
                FieldError(
                    title: "Invalid value", details: "\(field) of an attribute cannot change", pointer: "/\(field)"))
        }
        stored.title = new.title
        stored.type = new.type
        stored.description = new.description
        stored.suggestions = new.suggestions
        stored.editable = new.editable
        stored.subscribedApplicationsIds = new.subscribedApplicationsIds
        let updated = stored
        try await store.write { tx in try tx.updateAttribute(updated) }
        catalog.attributesChanged()
        return jsonResponse(.ok, Wire.attribute(updated))
    }
}

extension ManagementRequests {
    /// `NewAttribute {entity, eventType?, name, title, type, description, suggestions, editable,
    /// subscribedApplicationsIds?}`; Event attributes need their `eventType`.
    static func newAttribute(_ body: JSON, now: Timestamp) throws(FieldError) -> AttributeDefinition {
        let r = try ObjectReader(body, at: "")
        let entity = try r.enumeration("entity", AttributeEntity.self, required: true)!
        let eventType = try r.string("eventType", maxLength: 1000)
        if entity == .event && (eventType ?? "").isEmpty {
            throw FieldError(title: "required", details: "Event attributes need an eventType", pointer: "/eventType")
        }
        let name = try r.string("name", required: true, minLength: 1, maxLength: 1000)!
        guard name.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" })
        else {
            throw FieldError(
                title: "pattern", details: "an attribute name is letters, digits and underscores", pointer: "/name")
        }
        var ids: [Int64] = []
        for (i, v) in (try r.array("subscribedApplicationsIds") ?? []).enumerated() {
            guard let n = v.numberValue.flatMap({ Int64($0.text) }) else {
                throw FieldError(
                    title: "Invalid type", details: "expected an integer", pointer: "/subscribedApplicationsIds/\(i)")
            }
            ids.append(n)
        }
        return AttributeDefinition(
            id: 0, created: now, entity: entity, eventType: entity == .event ? eventType : nil, name: name,
            title: try r.string("title", required: true)!,
            type: try r.enumeration("type", AttributeType.self, required: true)!,
            description: try r.string("description", required: true)!,
            suggestions: try r.strings("suggestions", required: true)!,
            editable: try r.bool("editable", required: true)!, subscribedApplicationsIds: ids)
    }
}

extension Wire {
    static func attribute(_ a: AttributeDefinition) -> JSON {
        var o = JSONObject()
        o.appendUnique("id", .number(a.id))
        o.appendUnique("created", a.created.json)
        o.appendUnique("accountId", .number(perkAccountID))
        o.appendUnique("entity", .string(a.entity.rawValue))
        if let e = a.eventType { o.appendUnique("eventType", .string(e)) }
        o.appendUnique("name", .string(a.name))
        o.appendUnique("title", .string(a.title))
        o.appendUnique("type", .string(a.type.rawValue))
        o.appendUnique("description", .string(a.description))
        o.appendUnique("suggestions", .array(a.suggestions.map(JSON.string)))
        o.appendUnique("editable", .bool(a.editable))
        o.appendUnique("subscribedApplicationsIds", .array(a.subscribedApplicationsIds.map { .number($0) }))
        return .object(o)
    }
}
