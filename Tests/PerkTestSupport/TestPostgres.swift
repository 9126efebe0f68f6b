import Foundation

/// PostgreSQL for tests: one throwaway server per test process, started on first use by
/// `scripts/throwaway-postgres` from the machine's PostgreSQL binaries (or the server
/// `PERK_TEST_POSTGRES_URL` names), and an empty database per caller.
public enum TestPostgres {
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let script = repository.appendingPathComponent("scripts/throwaway-postgres").path

    /// The server's URL, nil when this machine has no PostgreSQL binaries.
    static let server: Result<URLComponents?, Unavailable> = {
        if let url = ProcessInfo.processInfo.environment["PERK_TEST_POSTGRES_URL"], let c = URLComponents(string: url) {
            return .success(c)
        }
        let (status, out, err) = run([String(ProcessInfo.processInfo.processIdentifier)])
        if status == 3 {
            print(
                """
                ************************************************************************
                SKIPPING PostgreSQL tests: \(err.trimmingCharacters(in: .whitespacesAndNewlines))
                ************************************************************************
                """)
            return .success(nil)
        }
        guard status == 0, let c = URLComponents(string: out.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return .failure(Unavailable(description: "throwaway PostgreSQL did not start: \(err)"))
        }
        return .success(c)
    }()

    /// Runs the script through `system(3)`, its output in temporary files. (Foundation's `Process`
    /// did not notice the script's end here once it had started a server in the background.)
    static func run(_ arguments: [String]) -> (Int32, String, String) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("perk-pg-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let quoted = ([script] + arguments).map { "'" + $0 + "'" }.joined(separator: " ")
        let status = system("/bin/bash \(quoted) >'\(base).out' 2>'\(base).err' </dev/null")
        let out = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        // system(3) answers a wait status: the exit code is its second byte.
        return ((status >> 8) & 0xff, out, err)
    }

    /// Whether PostgreSQL tests can run here (false only when the machine has no server binaries).
    public static var available: Bool {
        if case .success(nil) = server { return false }
        return true
    }

    /// A URL of a new, empty database; nil when the machine has no PostgreSQL binaries.
    public static func freshDatabase() throws -> String? {
        guard var c = try server.get() else { return nil }
        let name = "perk_\(UUID().uuidString.prefix(8).lowercased())"
        let (status, _, err) = run(["--createdb", String(c.port ?? 5432), name])
        guard status == 0 else { throw Unavailable(description: "createdb failed: \(err)") }
        c.path = "/" + name
        return c.string
    }

    /// A server of the caller's own (not shared with other tests), for tests that stop and start
    /// it; it stops itself when the test process ends. Nil without PostgreSQL binaries.
    public static func privateServer() throws -> (url: String, port: Int)? {
        guard available else { return nil }
        let (status, out, err) = run([String(ProcessInfo.processInfo.processIdentifier)])
        guard status == 0, let c = URLComponents(string: out.trimmingCharacters(in: .whitespacesAndNewlines)),
            let port = c.port
        else { throw Unavailable(description: "throwaway PostgreSQL did not start: \(err)") }
        return (c.string ?? "", port)
    }

    /// Stops the server at `port` (fast shutdown: clients are disconnected), waits `seconds`,
    /// and starts it again.
    public static func restart(port: Int, pause seconds: Int) throws {
        let (status, _, err) = run(["--restart", String(port), String(seconds)])
        guard status == 0 else { throw Unavailable(description: "restart failed: \(err)") }
    }
}
