import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PerkEngine
import PerkJSON
import PerkStorage
import ServiceLifecycle
import Synchronization
import Talang

/// The Integration API's access log. A request is noted in memory as it is answered, and the
/// notes are written to the database a batch a second by `AccessLogWriter`, off the request's
/// path: a request costs a copy of the start of its bodies (at most `maxPayloadBytes` each), not a
/// write, nor a second hash or look-up of its key, nor decoding the bodies as text (the batch does
/// those, once per key). When the database falls behind, at most `maxPending` notes wait; newer
/// ones are dropped and counted.
/// The log is for diagnosis: a crash loses the last second of it, never anything else.
public final class AccessLogRecorder: Sendable {
    public static let maxPayloadBytes = 4096
    public static let maxPending = 20_000

    /// A request as answered, with the key it came with (held in memory until the next batch,
    /// as long as the request itself was).
    struct Note: Sendable {
        var key: String
        var method: String
        var uri: String
        var status: Int
        var time: Timestamp
        var request: Payload
        var response: Payload
    }

    /// The start of a body, as bytes: decoded as text when the batch is written.
    struct Payload: Sendable {
        var bytes: [UInt8]
        /// The body went on past `bytes`.
        var cut: Bool

        init(_ body: some Collection<UInt8>) {
            bytes = Array(body.prefix(AccessLogRecorder.maxPayloadBytes))
            cut = body.count > AccessLogRecorder.maxPayloadBytes
        }

        /// The text, cut at a character: one cut in two decodes as U+FFFD at the end, dropped.
        var text: String {
            var text = String(decoding: bytes, as: UTF8.self)
            if cut, text.hasSuffix("\u{FFFD}") { text.removeLast() }
            return text
        }
    }

    private let pending = Mutex<(notes: [Note], dropped: Int)>(([], 0))

    public init() {}

    func note(_ note: Note) {
        pending.withLock { p in
            if p.notes.count < Self.maxPending { p.notes.append(note) } else { p.dropped += 1 }
        }
    }

    /// Notes written per transaction: a second of a busy node's requests in one transaction held
    /// SQLite's single writer long enough to double the session updates' p99
    /// (bench/session-update); small transactions let those writes in between.
    public static let notesPerTransaction = 100

    /// Writes every waiting note, a few per transaction; how many. A note whose key no longer
    /// exists is left out. Notes that fail to be written are dropped, so that a database that
    /// refuses them cannot make memory grow.
    @discardableResult public func flush(into store: any Store, logger: Logger? = nil) async throws -> Int {
        let (notes, dropped) = pending.withLock { p in
            defer { p = ([], 0) }
            return p
        }
        if dropped > 0 {
            logger?.warning("access log notes dropped: the database fell behind", metadata: ["dropped": "\(dropped)"])
        }
        // Each key is hashed and looked up once per flush, in the first transaction that meets it.
        var applications: [String: Int64?] = [:]
        var written = 0
        for start in stride(from: 0, to: notes.count, by: Self.notesPerTransaction) {
            let chunk = notes[start..<min(start + Self.notesPerTransaction, notes.count)]
            let known = applications
            let (count, found) = try await store.writeWithoutWaiting { tx in
                var found = known
                var entries: [AccessLogEntry] = []
                entries.reserveCapacity(chunk.count)
                for n in chunk {
                    if found[n.key] == nil {
                        found[n.key] = try tx.apiKey(hash: Credentials.digest(n.key), now: n.time)?.applicationId
                    }
                    guard let app = found[n.key] ?? nil else { continue }
                    entries.append(
                        AccessLogEntry(
                            applicationId: app, uuid: UUID().uuidString.lowercased(), method: n.method,
                            requestURI: n.uri, status: n.status, time: n.time, requestPayload: n.request.text,
                            responsePayload: n.response.text))
                }
                try tx.insertAccessLogs(entries)
                return (entries.count, found)
            }
            written += count
            applications = found
            await Task.yield()
        }
        return written
    }

}

/// Writes the recorder's notes every `interval`, and once more when the server stops.
public struct AccessLogWriter: Service {
    let recorder: AccessLogRecorder
    let store: any Store
    let logger: Logger
    var interval: Duration = .seconds(1)

    public init(recorder: AccessLogRecorder, store: any Store, logger: Logger) {
        self.recorder = recorder
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            do {
                try await recorder.flush(into: store, logger: logger)
            } catch {
                logger.warning("access log notes could not be written", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Notes each Integration API request (one with an application's key) with its bodies and
/// answer. A refused key (401) is not noted: it names no application, and a flood of wrong keys
/// must not crowd out the notes of real requests.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = PerkRequestContext

    let recorder: AccessLogRecorder
    let clock: @Sendable () -> Timestamp

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        // Integration API requests only (they all live under /v1/ or /v2/): not /health or /metrics.
        guard request.uri.path.hasPrefix("/v1/") || request.uri.path.hasPrefix("/v2/"),
            let key = try? request.credential(scheme: "ApiKey-v1")
        else { return try await next(request, context) }
        var request = request
        let sent = AccessLogRecorder.Payload(try await request.keepBody(context: context).readableBytesView)
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            // Answered here as the error middleware would, so that failures (a 500, a 503 while
            // the database is away, a 409) are in the log too, with the body the client got.
            response = ErrorBodyMiddleware<Context>.answer(error, request: request, context: context)
        }
        var copy = response
        var answered = AccessLogRecorder.Payload([])
        if let length = response.body.contentLength, length > 0 {
            let buffer = try await ResponseCollector.collect(response.body)
            answered = AccessLogRecorder.Payload(buffer.readableBytesView)
            copy.body = ResponseBody(byteBuffer: buffer)
        }
        note(request, key, status: response.status, answer: answered, sent)
        return copy
    }

    private func note(
        _ request: Request, _ key: String, status: HTTPResponse.Status, answer: AccessLogRecorder.Payload,
        _ sent: AccessLogRecorder.Payload
    ) {
        guard status != .unauthorized else { return }
        recorder.note(
            .init(
                key: key, method: request.method.rawValue, uri: request.uri.description, status: Int(status.code),
                time: clock(), request: sent, response: answer))
    }
}

/// A response body read into one buffer (the answers of Perk's routes are small and in memory).
enum ResponseCollector {
    private final class Box: Sendable {
        let buffer = Mutex(ByteBuffer())
    }

    private struct Writer: ResponseBodyWriter {
        let box: Box
        mutating func write(_ buffer: ByteBuffer) async throws {
            box.buffer.withLock { _ = $0.writeImmutableBuffer(buffer) }
        }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    static func collect(_ body: ResponseBody) async throws -> ByteBuffer {
        let box = Box()
        try await body.write(Writer(box: box))
        return box.buffer.withLock { $0 }
    }
}

/// `GET /v1/access_logs` (every application, for admins), `…/applications/{id}/access_logs` and
/// `…/access_logs/no_total` (who may read the application), in the 2020 shapes, and the
/// application's `health_report`.
extension ManagementAPI {
    func registerAccessLogs(on router: Routes) {
        router.get("/v1/access_logs") { req, _ in
            try await admin(req)
            return try await accessLogs(req, applicationId: nil, counting: true)
        }
        router.get("/v1/applications/:applicationId/access_logs") { req, ctx in
            try await authorize(req, ctx, .read)
            return try await accessLogs(req, applicationId: try await application(ctx).id, counting: true)
        }
        router.get("/v1/applications/:applicationId/access_logs/no_total") { req, ctx in
            try await authorize(req, ctx, .read)
            return try await accessLogs(req, applicationId: try await application(ctx).id, counting: false)
        }
        router.get("/v1/applications/:applicationId/health_report") { req, ctx in
            try await authorize(req, ctx, .read)
            return try await healthReport(try await application(ctx))
        }
    }

    func accessLogs(_ req: Request, applicationId: Int64?, counting: Bool) async throws -> Response {
        let (skip, limit) = try req.paging()
        let (start, end) = try Self.timeRange(req)
        var filter = AccessLogFilter(rangeStart: start, rangeEnd: end)
        filter.applicationId = applicationId
        filter.path = req.query("path").flatMap { $0.isEmpty ? nil : $0 }
        // The reference lists the methods in lower case; requests record them in upper case.
        if let m = req.query("method")?.uppercased(), !m.isEmpty {
            let methods = ["GET", "PUT", "POST", "DELETE", "PATCH"]
            guard methods.contains(m) else {
                throw APIError.invalidParameter("method", "method must be one of \(methods.joined(separator: ", "))")
            }
            filter.method = m
        }
        switch req.query("status") {
        case nil, "": break
        case "success": filter.success = true
        case "error": filter.success = false
        default: throw APIError.invalidParameter("status", "status must be success or error")
        }
        switch req.query("sort") {
        case nil, "", "-time": filter.descending = true
        case "time": filter.descending = false
        default: throw APIError.invalidParameter("sort", "sort must be time or -time")
        }
        let query = filter
        let page = try await store.read { tx in
            try tx.accessLogs(filter: query, skip: skip, limit: counting ? limit : limit + 1, counting: counting)
        }
        let items = page.items.prefix(limit).map { e -> JSON in
            [
                "uuid": .string(e.uuid), "status": .number(e.status), "method": .string(e.method),
                "requestUri": .string(e.requestURI), "time": e.time.json, "requestPayload": .string(e.requestPayload),
                "responsePayload": .string(e.responsePayload),
            ]
        }
        if counting { return jsonResponse(.ok, listJSON(Array(items), total: page.total)) }
        return jsonResponse(.ok, ["hasMore": .bool(page.items.count > limit), "data": .array(Array(items))])
    }

    /// The 2020 `ApplicationApiHealth` from the last hour of requests: `NONE` before the first
    /// request (`lastUsed` is then the application's creation), `CRITICAL` when over half of them
    /// failed on the server, `ERROR` over a tenth, `WARNING` with any server error or over a
    /// quarter refused (4xx), else `OK`.
    func healthReport(_ app: PerkEngine.Application) async throws -> Response {
        let since = Timestamp(microseconds: clock().microseconds - 3_600_000_000)
        let s = try await store.read { tx in try tx.accessSummary(applicationId: app.id, since: since) }
        let summary: String
        if s.lastUsed == nil {
            summary = "NONE"
        } else if s.requests == 0 {
            summary = "OK"
        } else if s.serverErrors * 2 > s.requests {
            summary = "CRITICAL"
        } else if s.serverErrors * 10 > s.requests {
            summary = "ERROR"
        } else if s.serverErrors > 0 || s.clientErrors * 4 > s.requests {
            summary = "WARNING"
        } else {
            summary = "OK"
        }
        return jsonResponse(.ok, ["summary": .string(summary), "lastUsed": (s.lastUsed ?? app.created).json])
    }
}
