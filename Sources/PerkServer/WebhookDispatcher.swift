import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PerkEngine
import PerkStorage
import ServiceLifecycle
import Synchronization
import Talang

/// Delivers the outbox's calls: claims what is due, sends each with a timeout, logs every attempt,
/// and retries failures with exponential backoff up to a number of attempts. Every node runs one;
/// claims make each attempt happen on one node only (`WebhookStore`). It wakes when an update of
/// this node enqueues a call, and otherwise looks for due calls every `poll`.
public final class WebhookDispatcher: Service, Sendable {
    public struct Settings: Sendable {
        /// How long one attempt may take, connection to last byte.
        public var timeout: Duration = .seconds(10)
        /// Attempts before a delivery is given up (marked failed in the outbox).
        public var attempts = 8
        /// The wait after the first failed attempt; each later one doubles it, up to `longestWait`.
        public var firstRetry: Duration = .seconds(2)
        public var longestWait: Duration = .seconds(600)
        /// How often the outbox is read when nothing woke the dispatcher.
        public var poll: Duration = .seconds(1)
        /// Calls claimed, and sent side by side, at once.
        public var batch = 16
        /// What of a response's body the log keeps.
        public var responseBytes = 4096
        public init() {}
    }

    let store: any Store
    let clock: @Sendable () -> Timestamp
    let settings: Settings
    let logger: Logger
    private let wakeup = Wakeup()

    public init(
        store: any Store, clock: @escaping @Sendable () -> Timestamp = PerkServer.systemClock,
        settings: Settings = Settings(), logger: Logger = Logger(label: "perk.webhooks")
    ) {
        self.store = store
        self.clock = clock
        self.settings = settings
        self.logger = logger
    }

    /// Called after a commit: wakes the dispatcher when its effects enqueued calls.
    func wake(for effects: [Effect]) {
        if effects.contains(where: { $0.webhook != nil }) { wakeup.signal() }
    }

    public func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(Int64(settings.timeout.components.seconds)))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let (sent, next) = await deliverDue(client)
                guard sent == 0 else { continue }
                // With one writer (SQLite), only this process fills the outbox: it sleeps until the
                // next retry is due or an update wakes it. Other nodes' calls (PostgreSQL) are
                // looked for every `poll`.
                var wait = store.singleWriter ? Duration.seconds(60) : settings.poll
                if let next {
                    let until = Duration.microseconds(max(next.microseconds - clock().microseconds, 0))
                    wait = min(wait, until)
                }
                await wakeup.wait(upTo: wait)
            }
        } onGracefulShutdown: {
            self.wakeup.signal()
        }
        try? await client.shutdown()
    }

    /// Claims the due calls and sends them: how many were claimed, and when the next pending
    /// one is due.
    func deliverDue(_ client: HTTPClient) async -> (Int, Timestamp?) {
        let now = clock()
        let lease = Timestamp(microseconds: now.microseconds + settings.timeout.microseconds + 5_000_000)
        let claimed: [WebhookDelivery]
        do {
            // A read first: most of the time nothing is due, and a write would queue behind the
            // updates for SQLite's single writer (or wait for a lock another program holds).
            let due = try await store.read { tx in try tx.nextDeliveryDue() }
            guard let due, due <= now else { return (0, due) }
            claimed = try await store.write { tx in
                try tx.claimDeliveries(now: now, leaseUntil: lease, limit: self.settings.batch)
            }
        } catch {
            logger.warning("webhook outbox unavailable", metadata: ["error": "\(error)"])
            return (0, Timestamp(microseconds: now.microseconds + settings.poll.microseconds))
        }
        await withTaskGroup(of: Void.self) { group in
            for d in claimed { group.addTask { await self.deliver(d, client) } }
        }
        return (claimed.count, nil)
    }

    func deliver(_ d: WebhookDelivery, _ client: HTTPClient) async {
        let started = clock()
        var status: Int?
        var response: String?
        do {
            var request = HTTPClientRequest(url: d.url)
            request.method = HTTPMethod(rawValue: d.verb)
            for line in d.headers {
                guard let (name, value) = Webhook.header(line) else { continue }
                request.headers.add(name: name, value: value)
            }
            if !d.body.isEmpty {
                if !request.headers.contains(name: "Content-Type") {
                    request.headers.add(name: "Content-Type", value: "application/json")
                }
                request.body = .bytes(ByteBuffer(string: d.body))
            }
            let timeout = settings.timeout
            let limit = settings.responseBytes
            let prepared = request
            let answer = try await withThrowingTaskGroup(of: (Int, String)?.self) { group in
                group.addTask {
                    let r = try await client.execute(prepared, timeout: .nanoseconds(timeout.nanoseconds))
                    var kept = [UInt8]()
                    for try await chunk in r.body {
                        if kept.count < limit { kept += chunk.readableBytesView.prefix(limit - kept.count) }
                    }
                    return (Int(r.status.code), String(decoding: kept, as: UTF8.self))
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            guard let (code, body) = answer else { throw DeliveryTimeout() }
            status = code
            response = body
        } catch is DeliveryTimeout {
            response = "no answer within \(settings.timeout)"
        } catch {
            response = "\(error)"
        }
        let finished = clock()
        let succeeded = status.map { (200..<300).contains($0) } ?? false
        let givenUp = !succeeded && d.attempts >= settings.attempts
        let retryAt =
            succeeded || givenUp
            ? nil : Timestamp(microseconds: finished.microseconds + backoff(d.attempts).microseconds)
        let attempt = WebhookAttempt(
            uuid: UUID().uuidString.lowercased(), deliveryUUID: d.uuid, requestUUID: d.requestUUID,
            webhookId: d.webhookId, applicationId: d.applicationId, campaignId: d.campaignId, url: d.url,
            request: d.body, response: response, status: status, requestTime: started,
            responseTime: status == nil ? nil : finished)
        do {
            try await store.write { tx in
                try tx.recordAttempt(attempt, deliveryId: d.id, done: succeeded, failed: givenUp, retryAt: retryAt)
            }
        } catch {
            // The claim runs out and the delivery is attempted again: receivers de-duplicate by its key.
            logger.warning("webhook attempt not recorded", metadata: ["delivery": "\(d.uuid)", "error": "\(error)"])
        }
        if givenUp {
            logger.error(
                "webhook delivery given up", metadata: ["delivery": "\(d.uuid)", "attempts": "\(d.attempts)"])
        }
    }

    /// The wait after the `attempt`-th failed attempt.
    func backoff(_ attempt: Int) -> Duration {
        let doubled = settings.firstRetry * (1 << min(max(attempt - 1, 0), 20))
        return min(doubled, settings.longestWait)
    }

    struct DeliveryTimeout: Error {}
}

/// A signal a task waits for, with a timeout; a signal given while nobody waits is kept for the next wait.
final class Wakeup: Sendable {
    private let state = Mutex<(signalled: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let w = s.waiter else {
                s.signalled = true
                return nil
            }
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    func wait(upTo limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Also when cancelled: the wait must end then too (at worst one spare signal
                // makes the next wait return at once).
                try? await Task.sleep(for: limit)
                self.signal()
            }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if s.signalled {
                        s.signalled = false
                        return true
                    }
                    s.waiter = c
                    return false
                }
                if ready { c.resume() }
            }
            group.cancelAll()
        }
    }
}

extension Duration {
    var microseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000 + atto / 1_000_000_000_000
    }

    var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
