import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PerkJSON
import PerkStorage

/// An error answered with the reference's `ErrorResponse` body:
/// `{"message", "errors": [{"title", "details", "source": {"pointer"|"parameter"}}]}`.
struct APIError: HTTPResponseError {
    struct Item: Sendable {
        var title: String
        var details: String
        var pointer: String?
        var parameter: String?
    }

    let status: HTTPResponse.Status
    let message: String
    var errors: [Item] = []
    /// Headers to answer with (`Retry-After`).
    var headers = HTTPFields()

    /// 429 or 503 with `Retry-After` (seconds).
    static func retryLater(_ status: HTTPResponse.Status, _ message: String, after seconds: Int64) -> APIError {
        var e = APIError(status: status, message: message)
        e.headers[.retryAfter] = String(max(seconds, 1))
        return e
    }

    static func badRequest(_ message: String) -> APIError { APIError(status: .badRequest, message: message) }

    static func invalid(_ e: FieldError) -> APIError {
        APIError(
            status: .badRequest, message: "The submitted data was invalid",
            errors: [Item(title: e.title, details: e.details, pointer: e.pointer)])
    }

    static func invalidParameter(_ name: String, _ details: String) -> APIError {
        APIError(
            status: .badRequest, message: "The submitted data was invalid",
            errors: [Item(title: "Invalid parameter", details: details, parameter: name)])
    }

    static func notFound(_ what: String) -> APIError { APIError(status: .notFound, message: "\(what) not found") }

    static let unauthorized = APIError(status: .unauthorized, message: "unauthorized")

    var body: JSON {
        var o: JSONObject = ["message": .string(message)]
        o.appendUnique(
            "errors",
            .array(
                errors.map { e in
                    var source = JSONObject()
                    if let p = e.pointer { source.appendUnique("pointer", .string(p)) }
                    if let p = e.parameter { source.appendUnique("parameter", .string(p)) }
                    return ["title": .string(e.title), "details": .string(e.details), "source": .object(source)]
                }))
        o.appendUnique("StatusCode", .number(Int(status.code)))
        return .object(o)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        jsonResponse(status, body, headers: headers)
    }
}

func jsonResponse(_ status: HTTPResponse.Status, _ body: JSON, headers extra: HTTPFields = HTTPFields()) -> Response {
    let bytes = body.serialized()
    var headers = extra
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
}

func emptyResponse(_ status: HTTPResponse.Status) -> Response { Response(status: status) }

/// Turns every error that reaches it into a JSON error body: unknown routes become 404, and an
/// unexpected failure a logged 500 that reveals nothing internal.
struct ErrorBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    /// What a client is asked to wait when the database is unavailable.
    static var retryAfterSeconds: Int64 { 2 }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        // No text Perk stores can hold a NUL (PostgreSQL refuses it, SQLite's search index ends
        // there): a path or query naming one is refused before it reaches a handler.
        if request.uri.description.contains("%00") {
            let e = APIError(
                status: .badRequest, message: "The submitted data was invalid",
                errors: [.init(title: "Invalid parameter", details: "the path and query must not contain NUL (%00)")])
            return jsonResponse(e.status, e.body)
        }
        do {
            return try await next(request, context)
        } catch {
            return Self.answer(error, request: request, context: context)
        }
    }

    /// The answer a client gets for `error`, thrown by a route or a middleware inside this one.
    static func answer(_ error: any Error, request: Request, context: Context) -> Response {
        do {
            throw error
        } catch let e as APIError {
            return jsonResponse(e.status, e.body, headers: e.headers)
        } catch let e as FieldError {
            // A field of the request read wrong: the usual 400 naming it, wherever it was read.
            let api = APIError.invalid(e)
            return jsonResponse(api.status, api.body, headers: api.headers)
        } catch let e as HTTPError {
            let message = e.status == .notFound ? "Not found" : (e.body ?? e.status.reasonPhrase)
            return jsonResponse(e.status, APIError(status: e.status, message: message).body)
        } catch StoreError.unavailable(let detail) {
            context.logger.error(
                "the database is unavailable", metadata: ["error": "\(detail)", "path": "\(request.uri.path)"])
            let e = APIError.retryLater(
                .serviceUnavailable, "The database is unavailable; retry shortly", after: Self.retryAfterSeconds)
            return jsonResponse(e.status, e.body, headers: e.headers)
        } catch StoreError.conflict {
            // Other requests kept changing the same session: the client may send it again.
            return jsonResponse(
                .conflict, APIError(status: .conflict, message: "The session was changed concurrently; retry").body)
        } catch {
            context.logger.error(
                "request failed", metadata: ["error": "\(PostgresStore.detail(error))", "path": "\(request.uri.path)"])
            return jsonResponse(
                .internalServerError, APIError(status: .internalServerError, message: "Internal error").body)
        }
    }
}

extension Request {
    /// The raw body; 413 past the upload limit.
    func bodyBytes(context: some RequestContext) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: context.maxUploadSize)
        } catch {
            throw APIError(status: .contentTooLarge, message: "The request body is too large")
        }
    }

    /// The raw body, kept in the request for whoever reads it next (a middleware that looks at
    /// it before the route does); 413 past the upload limit.
    mutating func keepBody(context: some RequestContext) async throws -> ByteBuffer {
        do {
            return try await collectBody(upTo: context.maxUploadSize)
        } catch {
            throw APIError(status: .contentTooLarge, message: "The request body is too large")
        }
    }

    /// The body parsed as JSON; malformed JSON is a 400 that says where reading stopped.
    func json(context: some RequestContext) async throws -> JSON {
        try parseJSON(try await bodyBytes(context: context))
    }
}

/// `buffer` parsed as JSON; malformed JSON is a 400 that says where reading stopped.
func parseJSON(_ buffer: ByteBuffer) throws -> JSON {
    do {
        return try buffer.withUnsafeReadableBytes { raw throws(JSONParseError) in try JSON.parse(raw) }
    } catch {
        throw APIError(
            status: .badRequest, message: "The request body is not valid JSON",
            errors: [.init(title: "Malformed JSON", details: error.description, pointer: "")])
    }
}

/// An Integration API body: JSON within `InputLimits`.
func integrationBody(_ buffer: ByteBuffer) throws -> JSON {
    let body = try parseJSON(buffer)
    do {
        try InputLimits.check(body)
    } catch {
        throw APIError.invalid(error)
    }
    return body
}

extension Request {

    /// The secret of `Authorization: <scheme> <secret>`; 401 when the header or scheme is missing.
    func credential(scheme: String) throws -> String {
        guard let header = headers[.authorization] else { throw APIError.unauthorized }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0] == scheme else { throw APIError.unauthorized }
        return String(parts[1]).trimmingSpaces
    }

    /// A query parameter, decoded as HTML forms encode them (`+` is a space, as the official SDKs
    /// send `granularity=1+day`; `%2B` is a plus); the first when it is repeated.
    func query(_ name: String) -> String? {
        guard let query = uri.query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard Self.formDecoded(parts[0]) == name else { continue }
            return parts.count > 1 ? Self.formDecoded(parts[1]) : ""
        }
        return nil
    }

    /// Every value of a query parameter that may repeat (`?id=a&id=b`), in order.
    func queries(_ name: String) -> [String] {
        guard let query = uri.query else { return [] }
        return query.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard Self.formDecoded(parts[0]) == name, parts.count > 1 else { return nil }
            return Self.formDecoded(parts[1])
        }
    }

    /// A list of ids separated by commas (`campaignIds=1,2`); nil when absent or empty.
    func idSet(_ name: String) throws -> Set<Int64>? {
        guard let list = query(name), !list.isEmpty else { return nil }
        var ids: Set<Int64> = []
        for part in list.split(separator: ",") {
            guard let id = Int64(part.filter { $0 != " " }) else {
                throw APIError.invalidParameter(name, "\(name) must be ids separated by commas")
            }
            ids.insert(id)
        }
        return ids
    }

    static func formDecoded(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    func intQuery(_ name: String) throws -> Int? {
        guard let raw = query(name) else { return nil }
        guard let v = Int(raw) else { throw APIError.invalidParameter(name, "\(name) must be an integer") }
        return v
    }

    /// The listing order the `sort` query names: nil without one, 400 for a field the listing lacks.
    func sortQuery<Field: ListingField>(_: Field.Type) throws -> ListingOrder<Field>? {
        guard let sort = query("sort") else { return nil }
        guard let order = ListingOrder<Field>(sort: sort) else {
            let fields = Field.allCases.map(\.rawValue).joined(separator: ", ")
            throw APIError.invalidParameter("sort", "sort must be one of \(fields), with - in front for descending")
        }
        return order
    }

    func boolQuery(_ name: String) throws -> Bool? {
        guard let raw = query(name) else { return nil }
        switch raw.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw APIError.invalidParameter(name, "\(name) must be true or false")
        }
    }

    /// `pageSize` (1–1000, default 1000, or 50 where today's Integration API says so) and `skip`
    /// (default 0).
    func paging(defaultSize: Int = 1000) throws -> (skip: Int, limit: Int) {
        let size = try intQuery("pageSize") ?? defaultSize
        let skip = try intQuery("skip") ?? 0
        guard (1...1000).contains(size) else {
            throw APIError.invalidParameter("pageSize", "pageSize must be between 1 and 1000")
        }
        guard skip >= 0 else { throw APIError.invalidParameter("skip", "skip must not be negative") }
        return (skip, size)
    }
}

extension Parameters {
    /// A path parameter, percent-decoded (codes like `SUMMER25%25OFF`).
    func text(_ name: String) throws -> String {
        guard let raw = get(name) else { throw APIError.badRequest("missing path parameter \(name)") }
        return raw.removingPercentEncoding ?? raw
    }

    /// A shop's own id in the path (a session's or a customer's integration id): 1 to 1000 characters.
    func integrationId(_ name: String) throws -> String {
        let value = try text(name)
        guard !value.isEmpty, value.unicodeScalars.count <= 1000 else {
            throw APIError.invalidParameter(name, "\(name) must be 1 to 1000 characters long")
        }
        return value
    }

    func id(_ name: String) throws -> Int64 {
        guard let raw = get(name), let v = Int64(raw) else {
            throw APIError(
                status: .badRequest, message: "The submitted data was invalid",
                errors: [.init(title: "Invalid parameter", details: "\(name) must be an integer", parameter: name)])
        }
        return v
    }
}

func listJSON(_ items: [JSON], total: Int) -> JSON {
    ["totalResultSize": .number(total), "data": .array(items)]
}

/// The answer of the `…/no_total` listings: whether more items follow this page, and the page.
func pageWithoutTotal(_ items: [JSON], hasMore: Bool) -> JSON {
    ["hasMore": .bool(hasMore), "data": .array(items)]
}

/// A page of a listing whose total is known: with it, or (`counting` false, the `…/no_total`
/// variants) with whether more follow the page that starts at `skip`.
func listJSON(_ items: [JSON], total: Int, skip: Int, counting: Bool) -> JSON {
    counting ? listJSON(items, total: total) : pageWithoutTotal(items, hasMore: skip + items.count < total)
}
