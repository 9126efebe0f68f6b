import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import PerkEngine
import PerkJSON
import PerkServer
import Prometheus
import Talang

@available(macOS 10.15, *)
struct Perk: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perk",
        abstract: "A self-hosted promotion engine that speaks the Talon.One Integration API.",
        subcommands: [
            Serve.self, Eval.self, AppCommand.self, CampaignCommand.self, CouponsCommand.self, SessionCommand.self,
        ])
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server.")

    @Option(help: "Address to listen on (env PERK_HOST).")
    var host: String = ProcessInfo.processInfo.environment["PERK_HOST"] ?? "127.0.0.1"

    @Option(help: "Port to listen on (env PERK_PORT).")
    var port: Int = Int(ProcessInfo.processInfo.environment["PERK_PORT"] ?? "") ?? 8080

    @Option(help: "sqlite:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (env PERK_DATABASE).")
    var database: String = ProcessInfo.processInfo.environment["PERK_DATABASE"] ?? "sqlite:perk.db"

    @Flag(help: "Create a demo application (once) and print a key and a ready curl.")
    var demo = false

    /// Read by main.swift before anything else runs; declared here for the help text.
    @Flag(help: "Run Swift concurrency on NIO's event loops (measure per database before using it).")
    var eventLoopExecutor = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Log format: text, or json (one object per line).")
    var logFormat: String = "text"

    @Option(help: "Evaluation steps one rule may take.")
    var ruleSteps: Int = EvaluationLimits.standard.ruleSteps

    @Option(help: "Evaluation steps all the rules of one request may take.")
    var requestSteps: Int = EvaluationLimits.standard.requestSteps

    @Option(help: "Milliseconds all the rules of one request may take.")
    var evaluationTimeMs: Int = 50

    @Option(help: "Hours a management sign-in token lasts.")
    var tokenLifetimeHours: Int = 12

    @Option(help: "Failed sign-ins per account within the window before it is throttled.")
    var signInFailuresPerAccount: Int = 5

    @Option(help: "Failed sign-ins per client address within the window before it is throttled.")
    var signInFailuresPerAddress: Int = 20

    @Option(help: "Seconds over which failed sign-ins are counted.")
    var signInWindowSeconds: Int = 300

    @Option(help: "Seconds a request (head and body) may take to arrive.")
    var requestTimeoutSeconds: Int = 30

    @Option(help: "Seconds a CSV coupon import (its upload and storing its codes) may take.")
    var uploadTimeoutSeconds: Int = 600

    @Option(help: "Seconds an idle connection stays open.")
    var idleTimeoutSeconds: Int = 60

    @Option(help: "Connections open at once.")
    var maxConnections: Int = HTTPLimits().maxConnections

    @Option(help: "Seconds one webhook call may take.")
    var webhookTimeoutSeconds: Int = 10

    @Option(help: "Attempts at a webhook call before it is given up.")
    var webhookAttempts: Int = WebhookDispatcher.Settings().attempts

    @Option(help: "Milliseconds before a failed webhook call is tried again (doubling each time, up to 10 minutes).")
    var webhookFirstRetryMs: Int = 2000

    @Option(help: "Days events are kept (0: forever).")
    var eventRetentionDays: Int = 365

    @Option(help: "Days webhook delivery logs are kept (0: forever).")
    var webhookLogRetentionDays: Int = 30

    @Option(help: "Days the Integration API's access log is kept (0: forever).")
    var accessLogRetentionDays: Int = 7

    @Option(help: "Access log entries kept at most, the newest (0: no bound).")
    var accessLogMaxRows: Int = 1_000_000

    @Flag(inversion: .prefixedNo, help: "Record Integration API requests for the access log.")
    var accessLog = true

    func validate() throws {
        let positive: [(String, Int)] = [
            ("--rule-steps", ruleSteps), ("--request-steps", requestSteps),
            ("--evaluation-time-ms", evaluationTimeMs), ("--token-lifetime-hours", tokenLifetimeHours),
            ("--sign-in-failures-per-account", signInFailuresPerAccount),
            ("--sign-in-failures-per-address", signInFailuresPerAddress),
            ("--sign-in-window-seconds", signInWindowSeconds), ("--request-timeout-seconds", requestTimeoutSeconds),
            ("--upload-timeout-seconds", uploadTimeoutSeconds),
            ("--idle-timeout-seconds", idleTimeoutSeconds), ("--max-connections", maxConnections),
            ("--webhook-timeout-seconds", webhookTimeoutSeconds), ("--webhook-attempts", webhookAttempts),
            ("--webhook-first-retry-ms", webhookFirstRetryMs),
        ]
        for (flag, value) in positive where value <= 0 { throw ValidationError("\(flag) must be positive") }
        for (flag, value) in [
            ("--event-retention-days", eventRetentionDays), ("--webhook-log-retention-days", webhookLogRetentionDays),
            ("--access-log-retention-days", accessLogRetentionDays), ("--access-log-max-rows", accessLogMaxRows),
        ] where value < 0 {
            throw ValidationError("\(flag) must be 0 (forever) or more")
        }
    }

    var settings: ServerSettings {
        var s = ServerSettings()
        s.evaluation = EvaluationLimits(
            ruleSteps: ruleSteps, requestSteps: requestSteps, time: .milliseconds(evaluationTimeMs))
        s.tokenLifetime = .seconds(tokenLifetimeHours * 3600)
        s.signInFailuresPerAccount = signInFailuresPerAccount
        s.signInFailuresPerAddress = signInFailuresPerAddress
        s.signInWindow = .seconds(signInWindowSeconds)
        s.webhooks.timeout = .seconds(webhookTimeoutSeconds)
        s.webhooks.attempts = webhookAttempts
        s.webhooks.firstRetry = .milliseconds(webhookFirstRetryMs)
        s.retention.events = eventRetentionDays == 0 ? nil : .seconds(Int64(eventRetentionDays) * 86_400)
        s.retention.webhookLogs =
            webhookLogRetentionDays == 0 ? nil : .seconds(Int64(webhookLogRetentionDays) * 86_400)
        s.retention.accessLogs =
            accessLogRetentionDays == 0 ? nil : .seconds(Int64(accessLogRetentionDays) * 86_400)
        s.retention.accessLogRows = accessLogMaxRows == 0 ? nil : accessLogMaxRows
        s.accessLog = accessLog
        return s
    }

    var httpLimits: HTTPLimits {
        var h = HTTPLimits()
        h.requestTimeout = .seconds(requestTimeoutSeconds)
        h.uploadTimeout = .seconds(uploadTimeoutSeconds)
        h.idleTimeout = .seconds(idleTimeoutSeconds)
        h.maxConnections = maxConnections
        return h
    }

    func run() async throws {
        if logFormat == "json" {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var logger = Logger(label: "perk")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let store = try await PerkServer.openStore(url: database, logger: logger)
        let env = ProcessInfo.processInfo.environment
        if let email = env["PERK_ADMIN_EMAIL"], let password = env["PERK_ADMIN_PASSWORD"], !email.isEmpty {
            try await PerkServer.bootstrapAdmin(store: store, email: email, password: password, logger: logger)
        }
        if demo {
            let info = try await Demo.prepare(store: store)
            var text = Demo.instructions(info, host: host, port: port) + "\n"
            if let email = env["PERK_ADMIN_EMAIL"], env["PERK_ADMIN_PASSWORD"] != nil, !email.isEmpty {
                text += Demo.consoleInstructions(host: host, port: port, email: email, password: nil) + "\n"
            } else {
                let password = try await Demo.prepareUser(store: store)
                text +=
                    Demo.consoleInstructions(host: host, port: port, email: Demo.userEmail, password: password) + "\n"
            }
            // Written straight to the descriptor: stdout is block-buffered when it is a pipe.
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        let app = PerkServer.application(
            store: store, host: host, port: port, logger: logger, metrics: registry, settings: settings,
            http: httpLimits)
        try await app.runService()
    }
}

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate one rule-language expression (JSON-array form) and print the result as JSON.")

    @Argument(help: #"The expression, e.g. '["+", 1, 2]'."#)
    var expression: String

    @Option(help: #"The context as a JSON object, e.g. '{"Session": {"Total": 120}}'."#)
    var context: String?

    @Option(help: "Evaluation steps the expression may take.")
    var steps: Int = EvaluationLimits.standard.requestSteps

    @Option(help: "Milliseconds the evaluation may take.")
    var timeMs: Int = 50

    func run() throws {
        let expr: JSON
        do {
            expr = try JSON.parse(expression)
        } catch {
            throw ValidationError("the expression is not valid JSON: \(error)")
        }
        var root: ValueMap = [:]
        if let context {
            guard case .map(let m) = Value(json: try JSON.parse(context)) else {
                throw ValidationError("the context must be a JSON object")
            }
            root = m
        }
        do {
            let compiled = try Compiler().compile(expr)
            let budget = EvaluationBudget(steps: steps, time: .milliseconds(timeMs))
            print(try compiled.evaluate(context: root, budget: budget).json.text)
        } catch let e as CompileError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode(1)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
