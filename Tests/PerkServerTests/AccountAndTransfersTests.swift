import HTTPTypes
import PerkJSON
import Testing

/// The account and its analytics, campaigns by attributes, event types, and the record of
/// exports and imports with the CSV exports of referrals, sessions and effects.
@Suite struct AccountAndTransfersTests {
    @Test func theAccountCountsWhatItHolds() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h)
            _ = try await h.createCoupons(shop.app, shop.campaign, pattern: "OLD-####", extra: ["expiryDate": "2020-01-01T00:00:00Z"])
            _ = try await h.createCampaign(shop.app, name: "Paused", rules: [Harness.couponRule], extra: ["state": "disabled"])
            let account = try await h.call(.get, "/v1/accounts/1")
            #expect(account.status == .ok)
            #expect(account["id"] == 1 && account["state"] == "active")
            #expect(account["applicationCount"] == 1 && account["userCount"] == 1)
            #expect(account["campaignsActiveCount"] == 1 && account["campaignsInactiveCount"] == 1)
            #expect(account["billingEmail"]?.stringValue?.contains("@") == true)
            #expect(try await h.call(.get, "/v1/accounts/2").status == .notFound)

            let analytics = try await h.call(.get, "/v1/accounts/1/analytics")
            #expect(analytics["applications"] == 1 && analytics["campaigns"] == 2 && analytics["activeCampaigns"] == 1)
            #expect(analytics["coupons"] == 2 && analytics["activeCoupons"] == 1 && analytics["expiredCoupons"] == 1)
            #expect(analytics["activeRules"] == 1 && analytics["users"] == 1 && analytics["webhooks"] == 0)
            #expect(analytics["customAttributes"] == 0)  // the built-in ones are not custom
            #expect(analytics["lastUpdatedAt"]?.stringValue != nil)
        }
    }

    @Test func campaignsAreFoundByAttributes() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            try await h.declare("Campaign", "region")
            let north = try await h.createCampaign(app, name: "North", rules: [], extra: ["attributes": ["region": "north"]])
            _ = try await h.createCampaign(app, name: "South", rules: [], extra: ["attributes": ["region": "south"]])
            let path = "/v1/applications/\(app)/campaigns_search"
            let found = try await h.call(.post, path, ["attributes": ["region": "north"]])
            #expect(found.status == .ok)
            #expect(found["totalResultSize"] == 1 && found["data"]?[0]?["id"]?.numberValue?.intValue == north)
            #expect(try await h.call(.post, path, ["attributes": [:]])["totalResultSize"] == 2)
            #expect(try await h.call(.post, path + "?campaignState=disabled", ["attributes": [:]])["totalResultSize"] == 0)
            let missing = try await h.call(.post, path, [:])
            #expect(missing.status == .badRequest && missing["errors"]?[0]?["source"]?["pointer"] == "/attributes")
        }
    }

    @Test func eventTypesAreTheNamesOfRecordedEvents() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let other = try await h.createApplication("Other")
            let key = try await h.createKey(app)
            let otherKey = try await h.createKey(other)
            for (k, type) in [(key, "Visit"), (key, "Visit"), (key, "Click"), (otherKey, "Visit")] {
                let r = try await h.call(
                    .post, "/v1/events", ["profileId": "p", "sessionId": "s", "type": .string(type), "attributes": [:]],
                    headers: [(.authorization, "ApiKey-v1 \(k)")])
                #expect(r.status == .created || r.status == .ok, "\(r.body.text)")
            }
            let names = try await h.call(.get, "/v1/applications/\(app)/event_types")
            #expect(names["data"]?.arrayValue?.compactMap(\.stringValue).filter { !$0.hasPrefix("talon_") } == ["Click", "Visit"])
            let reversed = try await h.call(.get, "/v1/applications/\(app)/event_types?sort=-name&pageSize=1")
            #expect(reversed["data"]?[0] == "Visit")
            let visit = try await h.call(.get, "/v1/event_types?name=Visit")
            #expect(visit["totalResultSize"] == 1)
            #expect(visit["data"]?[0]?["applicationIds"] == [.number(app), .number(other)])
            #expect(visit["data"]?[0]?["mimeType"] == "application/json" && visit["data"]?[0]?["version"] == 1)
            let onlyOther = try await h.call(.get, "/v1/event_types?applicationIds=\(other)")
            #expect(onlyOther["data"]?.arrayValue?.compactMap { $0["name"]?.stringValue }.contains("Click") == false)
            #expect(try await h.call(.get, "/v1/event_types?applicationIds=x").status == .badRequest)
        }
    }

    @Test func exportsStreamCSVAndAreRecordedWithImports() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h)
            let base = "/v1/applications/\(shop.app)"
            for i in 0..<3 {
                _ = try await h.session(
                    "s\(i)", key: shop.key,
                    ["profileId": "ann", "couponCodes": [.string(shop.code)], "cartItems": [cartItem("a", price: 10)], "state": "closed"])
            }
            let sessions = try await h.text(base + "/export_customer_sessions")
            #expect(sessions.status == .ok)
            let lines = sessions.text.split(separator: "\r\n")
            #expect(lines.first?.hasPrefix("id,firstsession,integrationid") == true)
            #expect(lines.count == 4)
            let closed = try await h.text(base + "/export_customer_sessions?customerSessionState=open")
            #expect(closed.text.split(separator: "\r\n").count == 1)
            #expect(try await h.text(base + "/export_customer_sessions?customerSessionState=lost").status == .badRequest)

            let effects = try await h.text(base + "/export_effects?campaignId=\(shop.campaign)")
            let effectLines = effects.text.split(separator: "\r\n")
            #expect(effectLines.first == "applicationid,campaignid,couponid,created,event_type,eventid,name,profileintegrationid,props,ruleindex,rulesetid,sessionid,profileid,sessionintegrationid")
            // Only the first session could use the single-use code: its accept and its discount.
            #expect(effectLines.dropFirst().contains { $0.contains(",acceptCoupon,") })
            #expect(effectLines.dropFirst().contains { $0.contains(",setDiscount,") })
            #expect(try await h.text(base + "/export_effects?campaignId=999999").text.split(separator: "\r\n").count == 1)

            let customers = try await h.text(base + "/export_customers")
            let customerLines = customers.text.split(separator: "\r\n")
            #expect(customerLines.first == "id,integrationid,created,lastactivity,closedsessions,totalsales,attributes")
            #expect(customerLines.count == 2 && customerLines[1].contains(",ann,"))
            #expect(try await h.call(.get, "/v1/exports?entity=CustomerProfile")["totalResultSize"] == 1)

            let referrals = try await h.text(base + "/export_referrals")
            #expect(referrals.text == "id,created,campaignid,code,advocateprofileintegrationid,startdate,expirydate,limitval,usagecounter\r\n")
            // Only a campaign of this application (not another's, by its id).
            let elsewhere = try await h.createApplication("Elsewhere")
            let foreign = try await h.createCampaign(elsewhere, rules: [], extra: ["features": ["referrals"]])
            #expect(try await h.text(base + "/export_referrals?campaignId=\(foreign)").status == .notFound)
            _ = try await h.text(base + "/export_coupons?campaignId=\(shop.campaign)")

            let exports = try await h.call(.get, "/v1/exports")
            // The referral export is listed only when asked for: 2020 clients refuse its entity.
            #expect(exports["totalResultSize"] == 5)
            #expect(try await h.call(.get, "/v1/exports?entity=Referral")["totalResultSize"] == 1)
            #expect(exports["data"]?[0]?["entity"] == "Coupon")
            #expect(exports["data"]?[0]?["filter"]?["campaignId"] == .string(String(shop.campaign)))
            #expect(try await h.call(.get, "/v1/exports?entity=Effect")["totalResultSize"] == 2)
            #expect(try await h.call(.get, "/v1/exports?applicationId=\(shop.app)&campaignId=\(shop.campaign)")["totalResultSize"] == 2)
            #expect(try await h.call(.get, "/v1/exports?entity=Nothing").status == .badRequest)

            let imported = try await h.raw(
                .post, base + "/campaigns/\(shop.campaign)/import_coupons", "value\nIMP-1\nIMP-2\n",
                headers: [(.contentType, "text/csv")])
            #expect(imported["amount"] == 2)
            let imports = try await h.call(.get, "/v1/imports")
            #expect(imports["totalResultSize"] == 1)
            #expect(imports["data"]?[0]?["id"] == imported["id"] && imports["data"]?[0]?["amount"] == 2)
        }
    }
}
