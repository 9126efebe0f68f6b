import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization

/// A real HTTP server that webhook tests point Perk at: it records every call, and can refuse
/// the first ones (503) or not be listening at all until started.
final class WebhookReceiver: Sendable {
    struct Call: Sendable {
        var method: String
        var path: String
        var headers: [String: String]
        var body: String
        var status: Int
    }

    let port = ServeProcessTests.freePort()
    private let recorded = Mutex<[Call]>([])
    /// Calls still to answer 503.
    let refusals = Mutex(0)
    private let task = Mutex<Task<Void, any Error>?>(nil)

    var url: String { "http://127.0.0.1:\(port)" }
    var calls: [Call] { recorded.withLock { $0 } }
    /// The calls answered 2xx.
    var delivered: [Call] { calls.filter { (200..<300).contains($0.status) } }

    init(refusing: Int = 0) {
        refusals.withLock { $0 = refusing }
    }

    func start() async throws {
        let router = Router()
        for path in ["/hook", "/hook/{name}"] {
            router.on(RouterPath(path), method: .post) { request, _ -> Response in
                let body = try await request.body.collect(upTo: 1 << 20)
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
                let refuse = self.refusals.withLock { r -> Bool in
                    guard r > 0 else { return false }
                    r -= 1
                    return true
                }
                let status: HTTPResponse.Status = refuse ? .serviceUnavailable : .ok
                self.recorded.withLock {
                    $0.append(
                        Call(
                            method: request.method.rawValue, path: request.uri.path, headers: headers,
                            body: String(buffer: body), status: Int(status.code)))
                }
                return Response(status: status, body: ResponseBody(byteBuffer: ByteBuffer(string: "thanks")))
            }
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        task.withLock { $0 = Task { try await app.runService(gracefulShutdownSignals: []) } }
        for _ in 0..<100 {
            if (try? await ServeProcessTests.send(.GET, url + "/up", nil, headers: [])) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func stop() { task.withLock { $0?.cancel() } }

    deinit { task.withLock { $0?.cancel() } }

    /// Waits until `count` calls were answered 2xx, or `seconds` pass.
    func waitForDeliveries(_ count: Int, seconds: Double = 10) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while delivered.count < count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(25))
        }
    }
}
