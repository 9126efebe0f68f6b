import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PerkConsole
import Testing

/// The console is served from the binary, with headers that keep it from running anything else.
@Suite struct ConsoleServingTests {
    static let assets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/PerkConsole/Assets")

    @Test func everyFileOfTheFolderIsServed() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.assets.path).sorted()
        #expect(ConsoleAssets.names.sorted() == files)
        for name in files {
            let onDisk = try Data(contentsOf: Self.assets.appendingPathComponent(name))
            #expect(ConsoleAssets.file(named: name).map { Data($0.bytes) } == onDisk, "\(name)")
        }
    }

    @Test func thePageAndItsFilesComeWithASecurityPolicy() async throws {
        try await Harness.run { h in
            let page = try await h.client.execute(uri: "/", method: .get, headers: [:], body: nil) { $0 }
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-eval"))
            #expect(policy.contains("frame-ancestors 'none'"))
            #expect(page.headers[.xContentTypeOptions] == "nosniff")
            #expect(String(buffer: page.body).contains(#"<script type="module" src="/console/app.js"></script>"#))
            let script = try await h.client.execute(uri: "/console/app.js", method: .get, headers: [:], body: nil) {
                $0
            }
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            let missing = try await h.call(.get, "/console/nothing.js")
            #expect(missing.status == .notFound)
        }
    }
}
