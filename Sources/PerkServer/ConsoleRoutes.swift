import HTTPTypes
import Hummingbird
import NIOCore
import PerkConsole

/// The console at `/` (its page) and `/console/<file>` (what the page loads), with headers
/// that keep it from running anything but its own files: no inline script, nothing from
/// elsewhere, not framed by other sites.
enum ConsoleRoutes {
    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
        "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    static func register(on routes: Routes) {
        routes.get("/") { _, _ in try response("index.html") }
        routes.get("/console/:file") { _, ctx in try response(ctx.parameters.text("file")) }
    }

    static func response(_ name: String) throws -> Response {
        guard let file = ConsoleAssets.file(named: name) else { throw APIError.notFound("Console file") }
        var headers = HTTPFields()
        headers[.contentType] = file.contentType
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[referrerPolicy] = "no-referrer"
        // The files change with the binary: always ask, and a 200 is cheap (they are in memory).
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}
