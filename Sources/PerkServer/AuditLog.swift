import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PerkEngine
import PerkJSON
import PerkStorage
import Synchronization
import Talang

/// The audit log: every change a signed-in user makes through the Management API, recorded by
/// one middleware so that routes added later are audited without being told to. A change is a
/// successful (2xx) request other than GET by a `Bearer` token, except sign-in and sign-out and
/// the searches sent as POST. It records the path (`entity`), the resource before the change
/// (what a GET of the same path answered just before) and after (the answer, or the request's
/// JSON when the answer has none). Secrets never enter it: top-level `password`, `newPassword`,
/// `token`, `key` and `secret` fields are left out. The record is written right after the change
/// commits, in a transaction of its own.
struct AuditMiddleware: RouterMiddleware {
    typealias Context = PerkRequestContext

    let store: any Store
    let clock: @Sendable () -> Timestamp
    /// The whole router, for reading a resource before it changes: `next` is the responder of
    /// the route already matched (by path and method), so it cannot answer the GET.
    let reads: RouterReads

    /// Old and new values are kept up to this size; a larger one is replaced by a note of its size.
    static let maxValueBytes = 64 * 1024
    static let secretFields: Set<String> = ["password", "newPassword", "token", "key", "secret"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        // The credential first: Integration API requests (the hot path) carry a key, not a token,
        // and leave at once.
        guard request.method != .get, request.method != .head, request.method != .options,
            let credential = try? request.credential(scheme: "Bearer"), Self.audited(request.uri.path)
        else { return try await next(request, context) }
        let now = clock()
        guard let userId = try await store.read({ tx in try tx.tokenUser(hash: Credentials.digest(credential), now: now) })
        else { return try await next(request, context) }

        var old: JSON?
        if request.method == .put || request.method == .delete {
            var head = request.head
            head.method = .get
            head.headerFields[.contentLength] = nil
            let read = Request(head: head, body: RequestBody(buffer: ByteBuffer()))
            if let before = try? await reads.respond(to: read, context: context), before.status == .ok {
                old = try? await Self.collect(before).1
            }
        }
        var request = request
        var sent: JSON?
        if Self.isSmallJSON(request) {
            sent = try? JSON.parse(Array(try await request.keepBody(context: context).readableBytesView))
        }
        let response = try await next(request, context)
        guard (200..<300).contains(response.status.code) else { return response }
        let (replayable, answered) = try await Self.collect(response)
        let change = ChangeRecord(
            created: clock(), userId: userId, applicationId: Self.applicationId(request.uri.path),
            entity: request.uri.path, old: old.map(Self.kept), new: (answered ?? sent).map(Self.kept))
        do {
            try await store.write { tx in try tx.insertChange(change) }
        } catch {
            // The change itself is committed: its answer stands, and the gap is logged.
            context.logger.error(
                "a change could not be recorded in the audit log",
                metadata: ["path": "\(change.entity)", "error": "\(PostgresStore.detail(error))"])
        }
        return replayable
    }

    /// Management paths that change things: under `/v1/` but not the Integration API's, which
    /// authenticates by key, never by token, and not sign-in, sign-out or a search.
    static func audited(_ path: String) -> Bool {
        guard path.hasPrefix("/v1/"), path != "/v1/sessions" else { return false }
        let last = path.split(separator: "/").last.map(String.init) ?? ""
        return !searches.contains(last) && !(last == "no_total" && path.contains("_search"))
    }

    /// Reads sent as POST.
    private static let searches: Set<String> = [
        "coupons_search", "coupons_search_advanced", "campaigns_search", "customer_search",
        "application_customer_search",
    ]

    static func applicationId(_ path: String) -> Int64? {
        let parts = path.split(separator: "/")
        guard parts.count >= 3, parts[0] == "v1", parts[1] == "applications" else { return nil }
        return Int64(parts[2])
    }

    private static func isSmallJSON(_ request: Request) -> Bool {
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("application/json"),
            let length = request.headers[.contentLength].flatMap(Int.init)
        else { return false }
        return length <= maxValueBytes
    }

    /// The value as recorded: without secrets, and bounded.
    static func kept(_ value: JSON) -> JSON {
        var value = value
        if var o = value.objectValue {
            for key in o.keys where secretFields.contains(key) { o[key] = nil }
            value = .object(o)
        }
        let size = value.text.utf8.count
        guard size <= maxValueBytes else { return ["omitted": .string("\(size) bytes, more than the log keeps")] }
        return value
    }

    /// The response's body read out, and the response again with the same body.
    private static func collect(_ response: Response) async throws -> (Response, JSON?) {
        guard response.headers[.contentType]?.hasPrefix("application/json") == true else { return (response, nil) }
        let buffer = try await ResponseCollector.collect(response.body)
        var copy = response
        copy.body = ResponseBody(byteBuffer: buffer)
        return (copy, try? JSON.parse(Array(buffer.readableBytesView)))
    }
}

/// The router's responder, set once every route is registered.
final class RouterReads: Sendable {
    private let responder = Mutex<RouterResponder<PerkRequestContext>?>(nil)

    func set(_ r: RouterResponder<PerkRequestContext>) { responder.withLock { $0 = r } }

    func respond(to request: Request, context: PerkRequestContext) async throws -> Response? {
        guard let r = responder.withLock({ $0 }) else { return nil }
        return try await r.respond(to: request, context: context)
    }
}

/// `GET /v1/changes`: the audit log, for admins (as in the reference), newest first unless
/// `sort=created`.
extension ManagementAPI {
    func registerChanges(on router: Routes) {
        router.get("/v1/changes") { req, _ in try await listChanges(req) }
    }

    func listChanges(_ req: Request) async throws -> Response {
        try await admin(req)
        let (skip, limit) = try req.paging()
        var filter = ChangeFilter()
        filter.applicationId = try req.intQuery("applicationId").map(Int64.init)
        filter.createdBefore = try Self.timeQuery(req, "createdBefore")
        filter.createdAfter = try Self.timeQuery(req, "createdAfter")
        switch req.query("sort") {
        case nil, "", "-created", "-id": filter.descending = true
        case "created", "id": filter.descending = false
        default: throw APIError.invalidParameter("sort", "sort must be one of created, -created, id, -id")
        }
        let includeOld = try req.boolQuery("includeOld") ?? true
        let page = try await store.read { [filter] tx in
            try tx.changes(filter: filter, skip: skip, limit: limit + 1, counting: true)
        }
        let items = page.items.prefix(limit).map { c -> JSON in
            var o: JSONObject = [
                "id": .number(c.id), "created": c.created.json, "userId": .number(c.userId),
                "entity": .string(c.entity),
            ]
            if let a = c.applicationId { o.appendUnique("applicationId", .number(a)) }
            if includeOld, let old = c.old { o.appendUnique("old", old) }
            if let new = c.new { o.appendUnique("new", new) }
            return .object(o)
        }
        return jsonResponse(
            .ok,
            [
                "totalResultSize": .number(page.total), "hasMore": .bool(page.items.count > limit),
                "data": .array(Array(items)),
            ])
    }
}
