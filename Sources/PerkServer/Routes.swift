import HTTPTypes
import Hummingbird
import NIOCore

/// Perk's router: Hummingbird's, remembering which methods each path answers, so that any other
/// method on a known path (`PATCH`, `TRACE`, even `QUERY`) is answered `405 Method Not Allowed`
/// with an `Allow` header (RFC 9110) instead of the 404 Hummingbird gives when no route matches.
final class Routes: RouterMethods {
    typealias Context = PerkRequestContext

    let router: Router<Context>
    private var table = AllowedMethods()

    init(_ router: Router<Context>) { self.router = router }

    @discardableResult func on<Responder: HTTPResponder>(
        _ path: RouterPath, method: HTTPRequest.Method, responder: Responder
    ) -> Self where Responder.Context == Context {
        router.on(path, method: method, responder: responder)
        table.add(path, method)
        return self
    }

    @discardableResult func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        router.add(middleware: middleware)
        return self
    }

    /// Call once, after every route is registered and after the middleware that writes error
    /// bodies (so that this one runs inside it, next to the routes).
    func answerOtherMethodsNotAllowed() {
        router.middlewares.add(MethodNotAllowedMiddleware(table: table))
    }
}

/// Registered path templates (`/v1/applications/{applicationId}`) and the methods each answers.
struct AllowedMethods: Sendable {
    private var templates: [(segments: [Substring], methods: [HTTPRequest.Method])] = []

    mutating func add(_ path: RouterPath, _ method: HTTPRequest.Method) {
        let segments = Self.segments(path.description)
        if let i = templates.firstIndex(where: { $0.segments == segments }) {
            templates[i].methods.append(method)
        } else {
            templates.append((segments, [method]))
        }
    }

    /// The methods of the template matching `path`, where `{name}` or `:name` matches any one
    /// segment and, as in the router, a literal segment wins over a parameter
    /// (`/coupons/no_total` over `/coupons/{couponId}`); nil when no template matches.
    func methods(for path: String) -> [HTTPRequest.Method]? {
        let parts = Self.segments(path)
        var best: (literals: Int, methods: [HTTPRequest.Method])?
        for template in templates where template.segments.count == parts.count {
            var literals = 0
            let matches = zip(template.segments, parts).allSatisfy { t, p in
                if t.hasPrefix("{") || t.hasPrefix(":") { return true }
                literals += 1
                return t == p
            }
            if matches, literals > best?.literals ?? -1 { best = (literals, template.methods) }
        }
        return best?.methods
    }

    private static func segments(_ path: String) -> [Substring] { path.split(separator: "/") }
}

struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let table: AllowedMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let methods = table.methods(for: request.uri.path), !methods.contains(request.method) else {
                throw error
            }
            let allow = methods.map(\.rawValue).joined(separator: ", ")
            var response = jsonResponse(
                .methodNotAllowed,
                APIError(
                    status: .methodNotAllowed, message: "\(request.method.rawValue) is not allowed here; use \(allow)"
                )
                .body)
            response.headers[.allow] = allow
            return response
        }
    }
}
