import Foundation
import NIOHTTP1
import PerkClient
import PerkJSON
import Testing

/// The Swift client (`PerkClient`) against a real `perk serve --demo`: every Integration API
/// operation, both ways of authenticating, and typed errors.
@Suite struct PerkClientTests {
    /// A running `perk serve --demo` on a new database, and its base URL.
    static func demoServer() async throws -> (ServeProcessTests.Server, String) {
        try #require(
            FileManager.default.isExecutableFile(atPath: ServeProcessTests.perkBinary.path),
            "build perk first: swift build")
        let database = FileManager.default.temporaryDirectory.appendingPathComponent(
            "perk-client-\(UUID().uuidString).db"
        ).path
        let server = try ServeProcessTests.Server(database: database)
        let base = "http://127.0.0.1:\(server.port)"
        try await ServeProcessTests.waitUntilUp(base)
        return (server, base)
    }

    @Test func everyIntegrationOperationWorksThroughTheClient() async throws {
        let (server, base) = try await Self.demoServer()
        defer { withExtendedLifetime(server) {} }  // the server stops when it is released
        let key = try #require(server.apiKey, "no key in: \(server.output)")
        let api = IntegrationAPI(baseURL: base, credentials: .apiKey(key))

        // The demo: SUMMER10 takes 10% off, shoes get 15% per item, 100 or more adds free socks.
        let shoes = CartItem(name: "Running shoes", sku: "shoe-01", quantity: 1, price: 120, category: "shoes")
        let state = try await api.updateCustomerSessionV2(
            customerSessionId: "client-1",
            body: IntegrationRequest(
                customerSession: NewCustomerSessionV2(
                    profileId: "alice", couponCodes: ["SUMMER10"], cartItems: [shoes]),
                responseContent: [.customerSession, .customerProfile, .coupons, .triggeredCampaigns]))
        #expect(state.effects.contains { $0.props == .acceptCoupon(value: "SUMMER10") })
        #expect(
            state.effects.contains {
                if case .setDiscount(_, let value) = $0.props { return value == 12 }
                return false
            })
        #expect(state.effects.contains { if case .addFreeItem = $0.props { return true } else { return false } })
        #expect(state.customerSession?.state == .open && state.customerSession?.total == 120)
        #expect(state.customerProfile?.integrationId == "alice")
        #expect(state.coupons?.first?.value == "SUMMER10")

        let closed = try await api.updateCustomerSessionV2(
            customerSessionId: "client-1",
            body: IntegrationRequest(customerSession: NewCustomerSessionV2(state: .closed), responseContent: [.coupons])
        )
        #expect(closed.coupons?.first?.usageCounter == 1)

        let v1 = try await api.updateCustomerSession(
            customerSessionId: "client-v1", body: NewCustomerSession(profileId: "bob", coupon: "SUMMER10", total: 50))
        #expect(v1.session.coupon == "SUMMER10" && v1.session.total == 50 && v1.profile.integrationId == "bob")
        #expect(v1.coupon?.value == "SUMMER10")

        let profile = try await api.updateCustomerProfile(
            integrationId: "alice", body: NewCustomerProfile(attributes: [:]))
        #expect(profile.profile.integrationId == "alice" && profile.profile.closedSessions == 1)
        let event = try await api.trackEvent(
            body: NewEvent(profileId: "alice", type: "viewed_page", sessionId: "client-2"))
        #expect(event.event.type == "viewed_page")

        // Reservations.
        let reserved = try await api.createCouponReservation(
            couponValue: "SUMMER10", body: CouponReservations(integrationIDs: ["alice", "carol"]))
        #expect(reserved.value == "SUMMER10")
        let holders = try await api.getReservedCustomers(couponValue: "SUMMER10")
        #expect(Set(holders.data.map(\.integrationId)) == ["alice", "carol"])
        #expect(try await api.getReservedCoupons(integrationId: "alice").data.map(\.value) == ["SUMMER10"])
        try await api.deleteCouponReservation(
            couponValue: "SUMMER10", body: CouponReservations(integrationIDs: ["carol"]))
        #expect(try await api.getReservedCustomers(couponValue: "SUMMER10").data.map(\.integrationId) == ["alice"])

        // A referral code of the demo's "Refer a friend" campaign, and the advocate's inventory.
        let (_, login) = try await ServeProcessTests.send(
            .POST, base + "/v1/sessions", ["email": "ops@example.com", "password": "hunter2"], headers: [])
        let bearer = [("Authorization", "Bearer \(login["token"]?.stringValue ?? "")")]
        let (_, apps) = try await ServeProcessTests.send(.GET, base + "/v1/applications", nil, headers: bearer)
        let app = try #require(apps["data"]?[0])
        let appId = try #require(app["id"]?.numberValue?.intValue)
        let (_, campaigns) = try await ServeProcessTests.send(
            .GET, base + "/v1/applications/\(appId)/campaigns?name=friend", nil, headers: bearer)
        let referralCampaign = try #require(campaigns["data"]?[0]?["id"]?.numberValue?.intValue)
        let referral = try await api.createReferral(
            body: NewReferral(campaignId: Int(referralCampaign), advocateProfileIntegrationId: "alice"))
        #expect(referral.advocateProfileIntegrationId == "alice" && referral.usageLimit == 1)
        let inventory = try await api.getCustomerInventory(integrationId: "alice", profile: true, referrals: true)
        #expect(inventory.profile?.integrationId == "alice")
        #expect(inventory.referrals?.map(\.code) == [referral.code])

        // Content-Signature with the application's key.
        let signed = IntegrationAPI(
            baseURL: base,
            credentials: .contentSignature(applicationId: Int(appId), key: try #require(app["key"]?.stringValue)))
        let viaSignature = try await signed.updateCustomerProfile(
            integrationId: "dave", body: NewCustomerProfile(attributes: [:]))
        #expect(viaSignature.profile.integrationId == "dave")

        try await api.deleteCustomerData(integrationId: "alice")

        // Errors come back typed, with the reference's error body.
        let stranger = IntegrationAPI(baseURL: base, credentials: .apiKey("not-a-key"))
        do {
            _ = try await stranger.getReservedCoupons(integrationId: "alice")
            Issue.record("an unknown key was accepted")
        } catch PerkClientError.response(let status, let body) {
            #expect(status == 401 && !body.message.isEmpty)
        }
        do {
            _ = try await api.updateCustomerSessionV2(
                customerSessionId: "client-1",
                body: IntegrationRequest(customerSession: NewCustomerSessionV2(couponCodes: ["LATE"])))
            Issue.record("a closed session was changed")
        } catch PerkClientError.response(let status, let body) {
            #expect(status == 400 && body.message.contains("closed"))
        }
    }

    @Test func managementOperationsWorkThroughTheClient() async throws {
        let (server, base) = try await Self.demoServer()
        defer { withExtendedLifetime(server) {} }  // the server stops when it is released
        let admin = try await ManagementAPI.signIn(baseURL: base, email: "ops@example.com", password: "hunter2")

        let app = try await admin.createApplication(NewApplication(name: "Client shop", currency: "EUR"))
        #expect(try await admin.getApplication(applicationId: app.id).name == "Client shop")
        let key = try await admin.createAPIKey(
            applicationId: app.id, NewAPIKey(title: "client", expires: Date().addingTimeInterval(86_400)))
        let campaign = try await admin.createCampaign(
            applicationId: app.id,
            NewCampaign(
                name: "Ten off", tags: ["client"], features: ["coupons"],
                limits: [LimitConfig(action: "redeemCoupon", limit: 10)]))
        let rule: JSONValue = [
            "title": "Ten percent", "condition": ["and", ["couponValid"]],
            "effects": [["setDiscount", "10% off", ["*", [".", "Session", "Total"], 0.1]]],
        ]
        let ruleset = try await admin.createRuleset(
            applicationId: app.id, campaignId: campaign.id, NewRuleset(rules: [rule]))
        #expect(ruleset.rules.count == 1)
        let made = try await admin.createCoupons(
            applicationId: app.id, campaignId: campaign.id,
            NewCoupons(
                numberOfCoupons: 3, couponPattern: "CL-####", validCharacters: ["A-Z"],
                attributes: ["channel": "app"]))
        #expect(made.data.count == 3)
        let sorted = try await admin.getCoupons(
            applicationId: app.id, campaignId: campaign.id, query: ["sort": "-value"])
        #expect(sorted.data.map(\.value) == made.data.map(\.value).sorted().reversed())
        let found = try await admin.searchCouponsAdvanced(
            applicationId: app.id, campaignId: campaign.id, attributes: ["channel": "app"])
        #expect(found.totalResultSize == 3)
        #expect(
            try await admin.searchCouponsAdvancedApplicationWide(applicationId: app.id, attributes: ["channel": "web"])
                .data.isEmpty)

        let shop = IntegrationAPI(baseURL: base, credentials: .apiKey(key.key))
        let code = made.data[0].value
        _ = try await shop.updateCustomerSessionV2(
            customerSessionId: "m-1",
            body: IntegrationRequest(
                customerSession: NewCustomerSessionV2(
                    profileId: "erin", couponCodes: [code], state: .closed,
                    cartItems: [CartItem(name: "Bag", sku: "bag", quantity: 1, price: 50)])))
        let counted = try await admin.getCampaign(applicationId: app.id, campaignId: campaign.id)
        #expect(counted.couponRedemptionCount == 1 && counted.discountCount == 5)
        let today = try await admin.getCampaignAnalytics(
            applicationId: app.id, campaignId: campaign.id,
            query: [
                "rangeStart": PerkClientTests.rfc3339(Date().addingTimeInterval(-3600)),
                "rangeEnd": PerkClientTests.rfc3339(Date().addingTimeInterval(1)), "granularity": "1 hour",
            ])
        #expect(today.data.map(\.couponRedemptions).reduce(0, +) == 1)
        #expect(today.data.map(\.campaignDiscountCosts).reduce(0, +) == 5)
        let sessions = try await admin.getApplicationSessions(applicationId: app.id)
        #expect(sessions.totalResultSize == 1)
        let session = try #require(sessions.data.first)
        #expect(session.integrationId == "m-1" && session.profileintegrationid == "erin" && session.state == .closed)
        #expect(session.coupon == code && session.total == 50 && session.discounts == ["10% off": 5])
        #expect(try await admin.getApplicationSession(applicationId: app.id, sessionId: session.id).total == 50)
        let events = try await admin.getApplicationEvents(applicationId: app.id, query: ["session": "m-1"])
        #expect(events.data.first?.effects.contains { $0.props == .setDiscount(name: "10% off", value: 5) } == true)
        let newest = try await admin.getApplicationEventsWithoutTotalCount(
            applicationId: app.id, query: ["pageSize": "1"])
        let everyEvent = try await admin.getApplicationEvents(applicationId: app.id)
        #expect(newest.data.count == 1 && newest.totalResultSize == nil)
        #expect(newest.hasMore == ((everyEvent.totalResultSize ?? 0) > 1))
        let firstTwo = try await admin.getCouponsWithoutTotalCount(
            applicationId: app.id, campaignId: campaign.id, query: ["pageSize": "2", "sort": "value"])
        #expect(
            firstTwo.data.map(\.value) == Array(made.data.map(\.value).sorted().prefix(2)) && firstTwo.hasMore == true)
        let customers = try await admin.getApplicationCustomers(applicationId: app.id)
        let erin = try #require(customers.data.first { $0.integrationId == "erin" })
        #expect(erin.closedSessions == 1 && erin.totalSales == 50)
        let erinId = try #require(erin.id)
        #expect(try await admin.getCustomerProfile(customerId: erinId).integrationId == "erin")
        #expect(
            try await admin.getApplicationCustomer(applicationId: app.id, customerId: erinId).integrationId == "erin")

        let limited = try await admin.updateCoupon(
            applicationId: app.id, campaignId: campaign.id, couponId: made.data[1].id, UpdateCoupon(usageLimit: 7))
        #expect(limited.usageLimit == 7 && limited.value == made.data[1].value)
        let batch = try #require(made.data[0].batchId)
        try await admin.updateCouponBatch(
            applicationId: app.id, campaignId: campaign.id, batchID: batch, UpdateCoupon(attributes: ["channel": "web"])
        )
        #expect(
            try await admin.searchCouponsAdvancedApplicationWide(applicationId: app.id, attributes: ["channel": "web"])
                .totalResultSize == 3)
        let renamed = try await admin.updateRuleset(
            applicationId: app.id, campaignId: campaign.id, rulesetId: ruleset.id, NewRuleset(rules: [rule, rule]))
        #expect(renamed.rules.count == 2)
        #expect(
            try await admin.getRuleset(applicationId: app.id, campaignId: campaign.id, rulesetId: ruleset.id).rules
                .count == 2)
        let other = try await admin.createApplication(NewApplication(name: "Second shop", currency: "EUR"))
        let copies = try await admin.copyCampaignToApplications(
            applicationId: app.id, campaignId: campaign.id, CampaignCopy(applicationIds: [other.id], name: "Copied"))
        #expect(copies.data.map(\.name) == ["Copied"] && copies.data.first?.applicationId == other.id)
        let attribute = try await admin.createAttribute(
            Attribute(entity: "CustomerSession", name: "channel", title: "Channel", type: "string"))
        #expect(attribute.id != nil)
        #expect(
            try await admin.getAttributes().data.contains { $0.name == "channel" && $0.entity == "CustomerSession" })
        #expect(try await admin.getCampaigns(applicationId: app.id, query: ["tags": "client"]).data.count == 1)

        try await admin.deleteCoupon(applicationId: app.id, campaignId: campaign.id, couponId: made.data[2].id)
        #expect(try await admin.getCoupons(applicationId: app.id, campaignId: campaign.id).totalResultSize == 2)
        try await admin.deleteCampaign(applicationId: app.id, campaignId: campaign.id)
        do {
            _ = try await admin.getCampaign(applicationId: app.id, campaignId: campaign.id)
            Issue.record("a deleted campaign was found")
        } catch PerkClientError.response(let status, _) {
            #expect(status == 404)
        }
    }

    static func rfc3339(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    @Test func perkCommandsManageARunningServer() async throws {
        let (server, base) = try await Self.demoServer()
        defer { withExtendedLifetime(server) {} }  // the server stops when it is released
        let key = try #require(server.apiKey)
        let login = ["--server", base, "--email", "ops@example.com", "--password", "hunter2"]
        func perk(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
            try ServeProcessTests.perk(arguments + login)
        }

        let created = try perk(["app", "create", "--name", "CLI shop"])
        #expect(created.status == 0, "\(created.err)")
        // A table: header, rule, one row whose first cell is the application id.
        let row = created.out.split(separator: "\n")[2].split(separator: " ", omittingEmptySubsequences: true)
        let app = try #require(Int(row[0]))
        #expect(row[1] == "CLI" && row[3].count == 64)

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("perk-cli-\(UUID().uuidString).json")
        try Data(
            """
            {"campaign": {"name": "CLI ten", "state": "enabled", "tags": [], "features": ["coupons"], "limits": []},
             "ruleset": {"rules": [{"title": "Ten", "condition": ["and", ["couponValid"]],
                                    "effects": [["setDiscount", "10% off", ["*", [".", "Session", "Total"], 0.1]]]}]},
             "coupons": {"numberOfCoupons": 12, "usageLimit": 1, "couponPattern": "CLI-#####",
                         "attributes": {"channel": "web"}}}
            """.utf8
        ).write(to: file)
        let imported = try perk(["campaign", "import", "--app", String(app), file.path])
        #expect(imported.status == 0, "\(imported.err)")
        #expect(imported.out.contains("\"CLI ten\" created") && imported.out.contains("12/12 coupons (100%)"))
        let campaign = try #require(
            imported.out.split(separator: " ").dropFirst().first.flatMap { Int($0) }, "\(imported.out)")

        let listed = try perk([
            "coupons", "list", "--app", String(app), "--campaign", String(campaign), "--sort=-value",
        ])
        #expect(listed.status == 0 && listed.out.contains("12 of 12"), "\(listed.err)")
        let codes = listed.out.split(separator: "\n").dropFirst(2).compactMap { line in
            line.split(separator: " ").dropFirst().first.map(String.init)
        }.filter { $0.hasPrefix("CLI-") }
        #expect(codes.count == 12 && codes == codes.sorted(by: >))
        let searched = try perk(["coupons", "search", "--app", String(app), "--attribute", "channel=web"])
        #expect(searched.status == 0 && searched.out.contains("of 12"))
        let none = try perk(["coupons", "search", "--app", String(app), "--attribute", "channel=shop"])
        #expect(none.out.contains("0 of 0"))

        let shop = IntegrationAPI(baseURL: base, credentials: .apiKey(key))
        _ = try await shop.updateCustomerSessionV2(
            customerSessionId: "cli-1",
            body: IntegrationRequest(
                customerSession: NewCustomerSessionV2(
                    profileId: "alice", couponCodes: ["SUMMER10"],
                    cartItems: [CartItem(name: "Shoes", sku: "shoe-01", quantity: 1, price: 120, category: "shoes")])))
        let shown = try perk(["session", "show", "--app", "1", "cli-1"])
        #expect(shown.status == 0, "\(shown.err)")
        #expect(shown.out.contains("alice") && shown.out.contains("acceptCoupon") && shown.out.contains("setDiscount"))

        let refused = try perk([
            "coupons", "list", "--app", String(app), "--campaign", String(campaign), "--sort=colour",
        ])
        #expect(refused.status != 0 && refused.err.contains("sort must be one of"))
        let missing = try perk(["campaign", "import", "--app", String(app), "/no/such/file.json"])
        #expect(missing.status != 0 && missing.err.contains("cannot read"))
    }
}
