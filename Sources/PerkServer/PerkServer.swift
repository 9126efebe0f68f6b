import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import PerkEngine
import PerkJSON
import PerkStorage
import Prometheus
import ServiceLifecycle
import Talang

/// Assembles Perk's HTTP server from a store.
public enum PerkServer {
    public struct UnsupportedDatabase: Error, CustomStringConvertible {
        public let url: String
        public var description: String {
            "unsupported database URL \"\(url)\": use sqlite:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        }
    }

    /// Opens the store a `--database` URL names, migrating its schema.
    public static func openStore(url: String, logger: Logger = Logger(label: "perk")) async throws -> any Store {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try await PostgresStore.open(url: url, logger: logger)
        }
        if url.hasPrefix("sqlite:") {
            var path = String(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw UnsupportedDatabase(url: url) }
            return try SQLiteStore(path: path)
        }
        throw UnsupportedDatabase(url: url)
    }

    public static func systemClock() -> Timestamp {
        let t = Date().timeIntervalSince1970
        return Timestamp(microseconds: Int64((t * 1_000_000).rounded()))
    }

    /// The router with every endpoint, for a running server or an in-process test. With a
    /// `metrics` registry (the one swift-metrics was bootstrapped with), requests are counted and
    /// timed per route and the registry is served at `/metrics` in the Prometheus text format.
    /// Updates that trigger webhooks wake `delivery` (which whoever made it runs); without one,
    /// their calls wait in the outbox for a node that delivers.
    public static func router(
        store: any Store, clock: @escaping @Sendable () -> Timestamp = systemClock,
        metrics: PrometheusCollectorRegistry? = nil, settings: ServerSettings = ServerSettings(),
        delivery: WebhookDispatcher? = nil, accessLog: AccessLogRecorder? = nil
    ) -> Router<PerkRequestContext> {
        let router = Router(context: PerkRequestContext.self)
        let routes = Routes(router)
        // Each request is logged (at debug) with its `hb.request.id`, as are failures (at error).
        router.middlewares.add(LogRequestsMiddleware(.debug))
        if let metrics {
            router.middlewares.add(MetricsMiddleware())
            routes.get("/metrics") { _, _ in
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; version=0.0.4"
                return Response(
                    status: .ok, headers: headers,
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
            }
        }
        router.middlewares.add(ErrorBodyMiddleware())
        let reads = RouterReads()
        router.middlewares.add(AuditMiddleware(store: store, clock: clock, reads: reads))
        let catalog = Catalog(store: store)
        if let accessLog {
            router.middlewares.add(AccessLogMiddleware(recorder: accessLog, clock: clock))
        }
        ManagementAPI(store: store, catalog: catalog, clock: clock, access: AccessControl(settings: settings))
            .register(on: routes)
        let scheduler = EvaluationScheduler()
        let serializer = KeyedSerializer()
        var sessions = SessionService(
            store: store, catalog: catalog, clock: clock, limits: settings.evaluation, scheduler: scheduler,
            serializer: serializer)
        sessions.delivery = delivery
        var events = EventService(
            store: store, catalog: catalog, clock: clock, limits: settings.evaluation, scheduler: scheduler,
            serializer: serializer)
        events.delivery = delivery
        IntegrationAPI(catalog: catalog, sessions: sessions, events: events, clock: clock).register(on: routes)
        routes.get("/health") { _, context in
            do {
                try await Health.check(store, clock: clock)
            } catch {
                let detail = if case StoreError.unavailable(let d) = error { d } else { PostgresStore.detail(error) }
                context.logger.error("health check failed", metadata: ["error": "\(detail)"])
                let e = APIError.retryLater(
                    .serviceUnavailable, "The database does not answer or does not take writes", after: 2)
                return jsonResponse(e.status, e.body, headers: e.headers)
            }
            return jsonResponse(.ok, ["status": "ok"])
        }
        routes.get("/openapi.yaml") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_yaml)))
        }
        ConsoleRoutes.register(on: routes)
        routes.answerOtherMethodsNotAllowed()
        reads.set(router.buildResponder())
        return router
    }

    public static func application(
        store: any Store, host: String, port: Int, logger: Logger, metrics: PrometheusCollectorRegistry? = nil,
        settings: ServerSettings = ServerSettings(), http: HTTPLimits = HTTPLimits()
    ) -> some ApplicationProtocol {
        let delivery = WebhookDispatcher(store: store, settings: settings.webhooks, logger: logger)
        let accessLog = settings.accessLog ? AccessLogRecorder() : nil
        var services: [any Service] = [delivery, Retention(store: store, settings: settings.retention, logger: logger)]
        if let accessLog { services.append(AccessLogWriter(recorder: accessLog, store: store, logger: logger)) }
        return Hummingbird.Application(
            router: router(
                store: store, metrics: metrics, settings: settings, delivery: delivery, accessLog: accessLog),
            server: HTTPServerBuilder { responder in GuardedHTTP1Channel(responder: responder, limits: http) },
            configuration: .init(address: .hostname(host, port: port), serverName: "perk"),
            services: services,
            logger: logger)
    }

    /// Makes sure the administrator exists; an existing password is never changed silently.
    public static func bootstrapAdmin(
        store: any Store, email: String, password: String, logger: Logger,
        iterations: Int = Credentials.defaultIterations
    ) async throws {
        let now = systemClock()
        let existing = try await store.read { tx in try tx.user(email: email) }
        if let existing {
            if !Credentials.verifyPassword(password, against: existing.passwordHash) {
                logger.warning(
                    "PERK_ADMIN_PASSWORD differs from the stored password of \(email); the stored one is kept")
            }
            return
        }
        let hash = Credentials.hashPassword(password, iterations: iterations)
        do {
            _ = try await store.write { tx in try tx.insertUser(User(email: email, passwordHash: hash, admin: true, created: now)) }
            logger.info("created administrator \(email)")
        } catch StoreError.duplicate {
            // Another node sharing the database created it meanwhile.
        }
    }
}
