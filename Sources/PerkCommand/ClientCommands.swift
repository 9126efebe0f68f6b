import ArgumentParser
import Foundation
import PerkClient

/// Where a running Perk is and who signs in to it, shared by the commands that call it.
struct ServerOptions: ParsableArguments {
    @Option(help: "Base URL of a running Perk (env PERK_SERVER).")
    var server: String = ProcessInfo.processInfo.environment["PERK_SERVER"] ?? "http://127.0.0.1:8080"

    @Option(help: "Management user's e-mail (env PERK_ADMIN_EMAIL).")
    var email: String = ProcessInfo.processInfo.environment["PERK_ADMIN_EMAIL"] ?? ""

    @Option(help: "Management user's password (env PERK_ADMIN_PASSWORD).")
    var password: String = ProcessInfo.processInfo.environment["PERK_ADMIN_PASSWORD"] ?? ""

    func management() async throws -> ManagementAPI {
        guard !email.isEmpty else {
            throw ValidationError("give --email and --password (or PERK_ADMIN_EMAIL/PASSWORD)")
        }
        return try await ManagementAPI.signIn(baseURL: server, email: email, password: password)
    }
}

/// Prints rows as a table with a header, columns padded to their widest cell.
func printTable(_ header: [String], _ rows: [[String]]) {
    var widths = header.map(\.count)
    for row in rows {
        for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
    }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
    print(line(header))
    print(line(widths.map { String(repeating: "-", count: $0) }))
    for row in rows { print(line(row)) }
}

func formatted(_ date: Date?) -> String {
    guard let date else { return "" }
    let f = ISO8601DateFormatter()
    return f.string(from: date)
}

struct AppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app", abstract: "Create an application and an API key for it.",
        subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an application and print its id and a new key.")
        @OptionGroup var options: ServerOptions
        @Option(help: "Name of the application.") var name: String
        @Option(help: "Currency, e.g. EUR.") var currency: String = "EUR"
        @Option(help: "Time zone, e.g. Europe/Berlin.") var timezone: String = "UTC"
        @Option(help: "Days the API key is valid.") var keyDays: Int = 365

        func run() async throws {
            let api = try await options.management()
            let app = try await api.createApplication(
                NewApplication(name: name, timezone: timezone, currency: currency))
            let key = try await api.createAPIKey(
                applicationId: app.id,
                NewAPIKey(title: "perk app create", expires: Date().addingTimeInterval(Double(keyDays) * 86_400)))
            printTable(
                ["application", "name", "API key", "expires"],
                [[String(app.id), app.name, key.key, formatted(key.expires)]])
        }
    }
}

/// `perk campaign import FILE`: `{"campaign": NewCampaign, "ruleset": NewRuleset, "coupons": NewCoupons}`.
struct CampaignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign", abstract: "Import a campaign with its ruleset and coupons.", subcommands: [Import.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a campaign, its active ruleset and its coupons from one JSON file.",
            discussion:
                #"The file: {"campaign": {...NewCampaign}, "ruleset": {"rules": [...]}, "coupons": {...NewCoupons}}; ruleset and coupons are optional."#
        )
        @OptionGroup var options: ServerOptions
        @Option(help: "Application id.") var app: Int
        @Argument(help: "The JSON file.") var file: String

        struct Document: Decodable {
            var campaign: NewCampaign
            var ruleset: NewRuleset?
            var coupons: NewCoupons?
        }

        func run() async throws {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                throw ValidationError("cannot read \(file): \(error.localizedDescription)")
            }
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let document: Document
            do { document = try decoder.decode(Document.self, from: data) } catch {
                throw ValidationError("\(file) is not a campaign document: \(error)")
            }
            let api = try await options.management()
            let campaign = try await api.createCampaign(applicationId: app, document.campaign)
            print("campaign \(campaign.id) \"\(campaign.name)\" created")
            if let ruleset = document.ruleset {
                let r = try await api.createRuleset(applicationId: app, campaignId: campaign.id, ruleset)
                print(
                    "ruleset \(r.id) with \(r.rules.count) rule(s) created\(ruleset.activate == false ? "" : " and activated")"
                )
            }
            if let coupons = document.coupons {
                try await CouponsCommand.Generate.generate(
                    api, app: app, campaign: campaign.id, template: coupons, count: coupons.numberOfCoupons)
            }
        }
    }
}

struct CouponsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coupons", abstract: "Generate, list and search a campaign's coupons.",
        subcommands: [Generate.self, List.self, Search.self])

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Generate coupons, showing progress.")
        @OptionGroup var options: ServerOptions
        @Option(help: "Application id.") var app: Int
        @Option(help: "Campaign id.") var campaign: Int
        @Option(help: "How many coupons.") var count: Int
        @Option(help: "Pattern, # for a random character, e.g. SUMMER-####.") var pattern: String = "########"
        @Option(help: "Uses per coupon (0: unlimited).") var usageLimit: Int = 1

        /// Batches this large are sent one after the other, each one a line of progress.
        static let batch = 10_000

        static func generate(_ api: ManagementAPI, app: Int, campaign: Int, template: NewCoupons, count: Int)
            async throws
        {
            var done = 0
            let started = Date()
            var template = template
            if template.validCharacters == nil { template.validCharacters = ["A-Z", "0-9"] }
            if template.couponPattern == nil { template.couponPattern = "########" }
            while done < count {
                var body = template
                body.numberOfCoupons = min(batch, count - done)
                try await api.createCouponsSilently(applicationId: app, campaignId: campaign, body)
                done += body.numberOfCoupons
                let seconds = Date().timeIntervalSince(started)
                print(
                    String(
                        format: "%d/%d coupons (%.0f%%), %.1f s", done, count, 100 * Double(done) / Double(count),
                        seconds))
            }
        }

        func run() async throws {
            guard count > 0 else { throw ValidationError("--count must be positive") }
            let api = try await options.management()
            try await Self.generate(
                api, app: app, campaign: campaign,
                template: NewCoupons(numberOfCoupons: count, usageLimit: usageLimit, couponPattern: pattern),
                count: count)
        }
    }

    static func table(_ page: Page<Coupon>) {
        printTable(
            ["id", "code", "used", "limit", "starts", "expires", "recipient"],
            page.data.map {
                [
                    String($0.id), $0.value, String($0.usageCounter), $0.usageLimit == 0 ? "-" : String($0.usageLimit),
                    formatted($0.startDate), formatted($0.expiryDate), $0.recipientIntegrationId ?? "",
                ]
            })
        if let total = page.totalResultSize { print("\(page.data.count) of \(total)") }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List coupons by the reference's filters.")
        @OptionGroup var options: ServerOptions
        @Option(help: "Application id.") var app: Int
        @Option(help: "Campaign id.") var campaign: Int
        @Option(help: "Part of the code.") var value: String?
        @Option(help: "Order, e.g. value, or --sort=-created for descending.") var sort: String?
        @Option(help: "expired, validNow or validFuture.") var valid: String?
        @Option(help: "Coupons per page.") var pageSize: Int = 50
        @Option(help: "Coupons to skip.") var skip: Int = 0

        func run() async throws {
            var query = ["pageSize": String(pageSize), "skip": String(skip)]
            if let value { query["value"] = value }
            if let sort { query["sort"] = sort }
            if let valid { query["valid"] = valid }
            let api = try await options.management()
            CouponsCommand.table(try await api.getCoupons(applicationId: app, campaignId: campaign, query: query))
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Find coupons by exact attribute values.")
        @OptionGroup var options: ServerOptions
        @Option(help: "Application id.") var app: Int
        @Option(help: "Campaign id (all campaigns of the application when left out).") var campaign: Int?
        @Option(name: .customLong("attribute"), help: "name=value (a JSON value, or text), repeatable.")
        var attributes: [String] = []
        @Option(help: "Coupons per page.") var pageSize: Int = 50

        func run() async throws {
            var query: Attributes = [:]
            for a in attributes {
                guard let eq = a.firstIndex(of: "=") else { throw ValidationError("--attribute takes name=value") }
                let raw = String(a[a.index(after: eq)...])
                let value = (try? JSONDecoder().decode(JSONValue.self, from: Data(raw.utf8))) ?? .string(raw)
                query[String(a[..<eq])] = value
            }
            let api = try await options.management()
            let page =
                if let campaign {
                    try await api.searchCouponsAdvanced(
                        applicationId: app, campaignId: campaign, attributes: query,
                        query: ["pageSize": String(pageSize)])
                } else {
                    try await api.searchCouponsAdvancedApplicationWide(
                        applicationId: app, attributes: query, query: ["pageSize": String(pageSize)])
                }
            CouponsCommand.table(page)
        }
    }
}

struct SessionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session", abstract: "Show a customer session with its effects.", subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a session (by its integration id) and the effects of its latest update.")
        @OptionGroup var options: ServerOptions
        @Option(help: "Application id.") var app: Int
        @Argument(help: "The session's integration id.") var id: String

        func run() async throws {
            let api = try await options.management()
            let page = try await api.getApplicationSessions(applicationId: app, query: ["integrationId": id])
            guard let session = page.data.first else { throw ValidationError("no session \(id) in application \(app)") }
            func text(_ v: JSONValue?) -> String {
                switch v {
                case .string(let s)?: s
                case .number(let n)?: amount(n)
                case .bool(let b)?: String(b)
                case nil, .null?: ""
                default: (try? String(decoding: JSONEncoder().encode(v!), as: UTF8.self)) ?? ""
                }
            }
            func amount(_ n: Double) -> String { n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n) }
            printTable(
                ["session", "profile", "state", "total", "coupon", "created"],
                [
                    [
                        session.integrationId, session.profileintegrationid, session.state.rawValue,
                        amount(session.total), session.coupon, formatted(session.created),
                    ]
                ])
            print("")
            // The session's effects are those of its latest event.
            let events = try await api.getApplicationEvents(
                applicationId: app, query: ["session": id, "pageSize": "1"])
            printTable(
                ["campaign", "rule", "effect", "props"],
                (events.data.first?.effects ?? []).map { e in
                    [String(e.campaignId), e.ruleName, e.effectType, text(e.props.json)]
                })
        }
    }
}
