import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PerkJSON
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Drives a real `perk serve` process over TCP: the command line, the environment bootstrap,
/// the demo, and a session from update to close.
@Suite struct ServeProcessTests {
    static var perkBinary: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent(".build/debug/perk")
    }

    final class Server: @unchecked Sendable {
        let process = Process()
        let port = ServeProcessTests.freePort()
        var output = ""

        init(database: String) throws {
            process.executableURL = ServeProcessTests.perkBinary
            process.arguments = ["serve", "--port", String(port), "--database", "sqlite:\(database)", "--demo"]
            var env = ProcessInfo.processInfo.environment
            env["PERK_ADMIN_EMAIL"] = "ops@example.com"
            env["PERK_ADMIN_PASSWORD"] = "hunter2"
            process.environment = env
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            // The demo's instructions come first; read until the key is printed.
            let deadline = Date().addingTimeInterval(30)
            while !output.contains("coupon:"), Date() < deadline {
                let data = pipe.fileHandleForReading.availableData
                if data.isEmpty { break }
                output += String(decoding: data, as: UTF8.self)
            }
        }

        var apiKey: String? {
            output.split(separator: "\n").first { $0.contains("API key") }.flatMap {
                $0.split(separator: " ").last.map(String.init)
            }
        }

        /// Asks the server to stop (SIGTERM); whether it did within `seconds`.
        func stop(within seconds: Double) -> Bool {
            process.terminate()
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            return !process.isRunning
        }

        deinit {
            // A server that does not stop when asked fails its test below; the run must not hang on it.
            if !stop(within: 10) { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    @Test func serveStopsPromptlyWhenAsked() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.perkBinary.path), "build perk first: swift build")
        let server = try Server(database: Harness.temporaryDatabase())
        // Its services (webhook delivery, retention) end with it, whatever they were waiting for.
        #expect(server.stop(within: 5))
    }

    /// A port nothing listens on: bind port 0 on loopback and read what the kernel chose.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : Int.random(in: 20_000...40_000)
    }

    static func send(_ method: HTTPMethod, _ url: String, _ body: JSON?, headers: [(String, String)]) async throws -> (
        Int, JSON
    ) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body.serialized())) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), (try? JSON.parse(Array(bytes.readableBytesView))) ?? .null)
    }

    static func waitUntilUp(_ base: String) async throws {
        for _ in 0..<100 {
            if let (status, _) = try? await send(.GET, base + "/health", nil, headers: []), status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("perk serve did not start")
    }

    @Test func serveRunsTheDemoEndToEnd() async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.perkBinary.path), "build perk first: swift build")
        let database = FileManager.default.temporaryDirectory.appendingPathComponent(
            "perk-serve-\(UUID().uuidString).db"
        ).path
        let server = try Server(database: database)
        let key = try #require(server.apiKey, "no key in: \(server.output)")
        let base = "http://127.0.0.1:\(server.port)"
        try await Self.waitUntilUp(base)

        let auth = [("Authorization", "ApiKey-v1 \(key)")]
        let (status, body) = try await Self.send(
            .PUT, base + "/v2/customer_sessions/process-1",
            [
                "customerSession": [
                    "profileId": "alice", "couponCodes": ["SUMMER10"],
                    "cartItems": [
                        ["name": "Shoes", "sku": "shoe-1", "quantity": 1, "price": 120, "category": "shoes"]
                    ],
                ]
            ], headers: auth)
        #expect(status == 200)
        #expect(body.effects("acceptCoupon").first?["value"]?.stringValue == "SUMMER10")
        #expect(body.effects("setDiscount").first?["value"]?.numberValue?.doubleValue == 12)
        #expect(body.effects("addFreeItem").count == 1)
        let (closeStatus, closed) = try await Self.send(
            .PUT, base + "/v2/customer_sessions/process-1",
            ["customerSession": ["state": "closed"], "responseContent": ["coupons"]], headers: auth)
        #expect(closeStatus == 200)
        #expect(closed["coupons"]?[0]?["usageCounter"]?.numberValue?.intValue == 1)

        let (loginStatus, login) = try await Self.send(
            .POST, base + "/v1/sessions", ["email": "ops@example.com", "password": "hunter2"], headers: [])
        #expect(loginStatus == 201)
        let token = try #require(login["token"]?.stringValue)
        let (_, apps) = try await Self.send(
            .GET, base + "/v1/applications", nil, headers: [("Authorization", "Bearer \(token)")])
        #expect(apps["data"]?[0]?["name"]?.stringValue == "Perk demo shop")
        let (unauthorized, _) = try await Self.send(.GET, base + "/v1/applications", nil, headers: [])
        #expect(unauthorized == 401)

        // Prometheus metrics: requests per route with their latency, effects and redemptions.
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: base + "/metrics"), timeout: .seconds(10))
        #expect(response.status.code == 200)
        let metrics = String(buffer: try await response.body.collect(upTo: 1 << 22))
        #expect(metrics.contains(#"perk_redemptions_total{kind="coupon"} 1"#))
        #expect(metrics.contains(#"perk_effects_total{effect="acceptCoupon"} 2"#))
        #expect(
            metrics.contains(
                #"http_server_request_duration_count{http_route="/v2/customer_sessions/{customerSessionId}""#))
    }

    static func eval(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        try perk(["eval"] + arguments)
    }

    /// Runs the `perk` command with `arguments` and collects what it printed.
    static func perk(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = perkBinary
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
            String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        )
    }

    @Test func evalPrintsTheResultOrTheError() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.perkBinary.path), "build perk first: swift build")
        let sum = try Self.eval([#"["+", 1, 2.50]"#])
        #expect(sum.status == 0 && sum.out == "3.50\n")
        let withContext = try Self.eval([#"[".", "Session", "Total"]"#, "--context", #"{"Session": {"Total": 120}}"#])
        #expect(withContext.out == "120\n")
        let failing = try Self.eval([#"["/", 1, 0]"#])
        #expect(failing.status == 1 && failing.out.isEmpty && failing.err.contains("division by zero"))
        let unknown = try Self.eval([#"["frobnicate"]"#])
        #expect(unknown.status == 1 && unknown.err.contains("unknown function"))
        // Under a budget, like every evaluation; recursion is refused before anything runs.
        let recursive = try Self.eval([#"[["setTemplate", "f()Boolean", ["!", "f"]], ["!", "f"]]"#])
        #expect(recursive.status == 1 && recursive.err.contains("may not be recursive"))
        let loop = #"["count", ["map", ["split", ["+", "abcdefghij", "abcdefghij"], ""], "C", ["split", "xyz", ""]]]"#
        #expect(try Self.eval([loop]).out == "20\n")
        let tooLong = try Self.eval([loop, "--steps", "10"])
        #expect(tooLong.status == 1 && tooLong.err.contains("evaluation steps"))
    }
}
