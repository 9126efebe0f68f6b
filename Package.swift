// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "perk",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "perk", targets: ["PerkCommand"]),
        .library(name: "Talang", targets: ["Talang"]),
        .library(name: "PerkClient", targets: ["PerkClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // JSON values that keep number text exact, with a parser and a writer: the wire format
        // of every layer above, and the source form of rules.
        .target(name: "PerkJSON", swiftSettings: swiftSettings),
        // The rule language: values, decimals, compiler and evaluator. No I/O, no promotions.
        .target(
            name: "Talang", dependencies: ["PerkJSON", .product(name: "Atomics", package: "swift-atomics")],
            swiftSettings: swiftSettings),
        // The promotion engine: domain model and session evaluation as pure functions over values.
        .target(name: "PerkEngine", dependencies: ["Talang", "PerkJSON"], swiftSettings: swiftSettings),
        // Storage: one protocol and one set of SQL statements, run on SQLite (GRDB) or
        // PostgreSQL (postgres-nio).
        .target(
            name: "PerkStorage",
            dependencies: [
                "PerkEngine", "PerkJSON", "Talang",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The web console: HTML, CSS and JavaScript modules compiled into the binary, served by
        // PerkServer; a client of the Management API only.
        .target(name: "PerkConsole", resources: [.embedInCode("Assets")], swiftSettings: swiftSettings),
        // HTTP: maps requests to engine and storage calls and back.
        .target(
            name: "PerkServer",
            dependencies: [
                "PerkEngine", "PerkStorage", "PerkJSON", "Talang", "PerkConsole",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
                // PBKDF2 for passwords (BoringSSL's, which keys HMAC once per hash).
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // Webhook delivery: the HTTP client, and running it beside the server.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Perk's own OpenAPI document, compiled into the binary and served at /openapi.yaml.
            resources: [.embedInCode("openapi.yaml")],
            swiftSettings: swiftSettings
        ),
        // A Swift client of a running Perk: the Integration API's eleven operations. No server code.
        .target(
            name: "PerkClient",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "PerkCommand",
            dependencies: [
                "PerkServer", "PerkEngine", "Talang", "PerkJSON", "PerkClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // `swift run -c release RuleBenchmark`: evaluations per second of a typical rule.
        .executableTarget(
            name: "RuleBenchmark", dependencies: ["Talang", "PerkJSON"], path: "bench/RuleBenchmark",
            swiftSettings: swiftSettings),
        // What several test targets share: a throwaway PostgreSQL server.
        .target(name: "PerkTestSupport", path: "Tests/PerkTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "PerkJSONTests", dependencies: ["PerkJSON"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TalangTests", dependencies: ["Talang", "PerkJSON"], exclude: ["Deviations.md"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PerkEngineTests", dependencies: ["PerkEngine", "Talang", "PerkJSON"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PerkStorageTests",
            dependencies: [
                "PerkStorage", "PerkEngine", "PerkJSON", "Talang", "PerkTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PerkServerTests",
            dependencies: [
                "PerkServer", "PerkStorage", "PerkEngine", "PerkJSON", "Talang", "PerkTestSupport", "PerkClient",
                "PerkConsole",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
