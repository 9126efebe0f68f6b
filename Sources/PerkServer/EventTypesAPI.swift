import Foundation
import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// The event types integrations have recorded: an application's names
/// (`getApplicationEventTypes`) and the account's `EventType`s (`getEventTypes`). Perk defines no
/// event types ahead of events (any name may be tracked), so each is the name of recorded events,
/// built-in ones (`talon_session_created`...) included; its id and creation are those of its
/// oldest event still kept.
extension ManagementAPI {
    func registerEventTypes(on router: Routes) {
        router.get("/v1/applications/:applicationId/event_types") { req, ctx in
            try await applicationEventTypes(req, ctx)
        }
        router.get("/v1/event_types") { req, ctx in try await eventTypes(req, ctx) }
    }

    /// `sort`: `name` (the default) or `-name`.
    static func descendingByName(_ req: Request) throws -> Bool {
        switch req.query("sort") {
        case nil, "name": return false
        case "-name": return true
        default: throw APIError.invalidParameter("sort", "sort must be name or -name")
        }
    }

    func applicationEventTypes(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await authorize(req, ctx, .read)
        let app = try await application(ctx)
        let (skip, limit) = try req.paging()
        // Sorted here, as the account's list is (the databases' collations differ).
        var names = try await store.read { tx in try tx.eventTypes(applicationId: app.id) }.map(\.name).sorted()
        if try Self.descendingByName(req) { names.reverse() }
        return jsonResponse(
            .ok, listJSON(names.dropFirst(skip).prefix(limit).map(JSON.string), total: names.count))
    }

    func eventTypes(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let principal = try await member(req)
        let (skip, limit) = try req.paging()
        let descending = try Self.descendingByName(req)
        var wanted: Set<Int64>?
        if let list = req.query("applicationIds"), !list.isEmpty {
            var ids = Set<Int64>()
            for part in list.split(separator: ",") {
                guard let id = Int64(part.trimmingCharacters(in: .whitespaces)) else {
                    throw APIError.invalidParameter("applicationIds", "applicationIds must be ids separated by commas")
                }
                ids.insert(id)
            }
            wanted = ids
        }
        _ = try req.boolQuery("includeOldVersions")  // one version of each: nothing older to include
        let name = req.query("name")
        let only = wanted
        let readable = principal.readableApplications
        let byName = try await store.read { tx -> [String: (first: RecordedEventType, apps: [Int64])] in
            var out: [String: (first: RecordedEventType, apps: [Int64])] = [:]
            for app in try Self.everyApplication(tx)
            where (readable?.contains(app.id) ?? true) && (only?.contains(app.id) ?? true) {
                for type in try tx.eventTypes(applicationId: app.id) where name == nil || type.name == name {
                    var entry = out[type.name] ?? (type, [])
                    if type.firstEventId < entry.first.firstEventId { entry.first = type }
                    entry.apps.append(app.id)
                    out[type.name] = entry
                }
            }
            return out
        }
        var names = byName.keys.sorted()
        if descending { names.reverse() }
        let items = names.dropFirst(skip).prefix(limit).map { n -> JSON in
            let (first, apps) = byName[n]!
            var o = JSONObject()
            o.appendUnique("id", .number(first.firstEventId))
            o.appendUnique("created", first.firstSeen.json)
            o.appendUnique("applicationIds", .array(apps.sorted().map { .number($0) }))
            o.appendUnique("title", .string(n))
            o.appendUnique("name", .string(n))
            o.appendUnique("description", "")
            o.appendUnique("mimeType", "application/json")
            o.appendUnique("handlerLanguage", "talang")
            o.appendUnique("handler", "")
            o.appendUnique("version", 1)
            return .object(o)
        }
        return jsonResponse(.ok, listJSON(Array(items), total: names.count))
    }
}
