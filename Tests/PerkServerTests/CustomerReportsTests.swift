import HTTPTypes
import PerkEngine
import PerkJSON
import PerkServer
import PerkStorage
import Testing

/// Customers found by attributes, and what their sessions add up to.
@Suite struct CustomerReportsTests {
    static let range = "rangeStart=2000-01-01T00:00:00Z&rangeEnd=2100-01-01T00:00:00Z"

    /// ann: two closed orders (one with the 10% coupon), a cancelled one and a rejected code;
    /// bob: one open session.
    static func shop(_ h: Harness) async throws -> (app: Int64, key: String, ann: Int64, bob: Int64) {
        let shop = try await SessionV2Tests.couponShop(h, usageLimit: 5)
        try await h.declare("CustomerProfile", "tier")
        let auth: [(HTTPField.Name, String)] = [(.authorization, "ApiKey-v1 \(shop.key)")]
        for (id, attributes) in [("ann", ["Name": "Ann Advocate", "tier": "gold"]), ("bob", ["Name": "Bob", "tier": "silver"])] {
            let r = try await h.call(
                .put, "/v2/customer_profiles/\(id)", ["attributes": .object(JSONObject(attributes.map { ($0, .string($1)) }))],
                headers: auth)
            #expect(r.status == .ok, "\(r.body.text)")
        }
        func session(_ id: String, _ profile: String, codes: [String] = [], price: Int, state: String) async throws {
            var body: JSONObject = [
                "profileId": .string(profile), "couponCodes": .array(codes.map(JSON.string)),
                "cartItems": [cartItem("a", price: Double(price))],
            ]
            _ = try await h.session(id, key: shop.key, .object(body))
            if state != "open" {
                body["state"] = "closed"
                #expect(try await h.session(id, key: shop.key, .object(body)).status == .ok)
            }
            if state == "cancelled" {
                body["state"] = "cancelled"
                #expect(try await h.session(id, key: shop.key, .object(body)).status == .ok)
            }
        }
        try await session("a1", "ann", codes: [shop.code], price: 100, state: "closed")
        try await session("a2", "ann", codes: ["NO-SUCH-CODE"], price: 50, state: "closed")
        try await session("a3", "ann", price: 30, state: "cancelled")
        try await session("b1", "bob", price: 20, state: "open")
        let customers = try await h.call(.get, "/v1/applications/\(shop.app)/customers")
        func id(_ name: String) throws -> Int64 {
            try #require(
                customers["data"]?.arrayValue?.first { $0["integrationId"]?.stringValue == name }?["id"]?.numberValue?
                    .intValue)
        }
        return (shop.app, shop.key, try id("ann"), try id("bob"))
    }

    @Test func customersAreFoundByAttributesAndIds() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(h)
            func found(_ path: String, _ body: JSON) async throws -> [String] {
                let r = try await h.call(.post, path, body)
                #expect(r.status == .ok, "\(r.body.text)")
                return r["data"]?.arrayValue?.compactMap { $0["integrationId"]?.stringValue } ?? []
            }
            let all = "/v1/customer_search/no_total"
            #expect(try await found(all, ["attributes": ["tier": "gold"]]) == ["ann"])
            #expect(try await found(all, ["attributes": [:]]) == ["ann", "bob"])
            #expect(try await found(all, ["integrationIDs": ["bob", "carl"]]) == ["bob"])
            #expect(try await found(all, ["profileIDs": [.number(shop.ann)], "attributes": ["tier": "silver"]]).isEmpty)
            #expect(try await found("/v1/application_customer_search", ["attributes": ["Name": "Bob"]]) == ["bob"])
            let inApp = "/v1/applications/\(shop.app)/customer_search"
            #expect(try await found(inApp, ["attributes": ["tier": "gold"]]) == ["ann"])
            let paged = try await h.call(.post, inApp + "?pageSize=1&withTotalResultSize=true", ["attributes": [:]])
            #expect(paged["hasMore"] == true && paged["totalResultSize"] == 2)
            let other = try await h.createApplication("Other")
            #expect(try await found("/v1/applications/\(other)/customer_search", ["attributes": [:]]).isEmpty)
            let bad = try await h.call(.post, all, ["integrationIDs": "ann"])
            #expect(bad.status == .badRequest)
            #expect(bad["errors"]?[0]?["source"]?["pointer"] == "/integrationIDs")
        }
    }

    @Test func aCustomersAnalyticsAndActivityAddUpTheirSessions() async throws {
        try await Harness.run { h in
            let shop = try await Self.shop(h)
            let base = "/v1/applications/\(shop.app)"
            let analytics = try await h.call(.get, base + "/customers/\(shop.ann)/analytics")
            #expect(analytics.status == .ok)
            #expect(analytics["totalOrders"] == 2)  // the cancelled one counts no more
            #expect(analytics["acceptedCoupons"] == 1)
            #expect(analytics["totalDiscountedOrders"] == 1)
            #expect(analytics["totalRevenue"]?.numberValue?.doubleValue == 150)
            #expect(analytics["totalDiscounts"]?.numberValue?.doubleValue == 10)
            #expect(analytics["createdCoupons"] == 0 && analytics["freeItems"] == 0)
            #expect(try await h.call(.get, base + "/customers/999999/analytics").status == .notFound)

            let ann = try await h.call(.get, base + "/customer_activity_reports/\(shop.ann)?\(Self.range)")
            #expect(ann.status == .ok)
            #expect(ann["integrationId"] == "ann" && ann["name"] == "Ann Advocate")
            #expect(ann["totalOrders"] == 2 && ann["totalOrdersNoCoupon"] == 1)
            #expect(ann["couponUseAttempts"] == 2 && ann["couponRedemptions"] == 1 && ann["couponFailedAttempts"] == 1)
            #expect(ann["accruedRevenue"]?.numberValue?.doubleValue == 150)
            #expect(ann["campaignName"] == "Campaign")
            let missing = try await h.call(.get, base + "/customer_activity_reports/\(shop.ann)")
            #expect(missing["errors"]?[0]?["source"]?["parameter"] == "rangeStart")

            func reports(_ query: String) async throws -> [String] {
                let r = try await h.call(.get, base + "/customer_activity_reports?\(Self.range)" + query)
                #expect(r.status == .ok, "\(r.body.text)")
                return r["data"]?.arrayValue?.compactMap { $0["integrationId"]?.stringValue } ?? []
            }
            #expect(try await reports("") == ["ann", "bob"])
            #expect(try await reports("&name=advocate") == ["ann"])
            #expect(try await reports("&integrationId=BO") == ["bob"])
            #expect(try await reports("&campaignName=camp") == ["ann"])
            #expect(try await reports("&advocateName=anyone").isEmpty)
            #expect(try await reports("&sort=-integrationId") == ["bob", "ann"])
            #expect(try await reports("&sort=-created") == ["bob", "ann"])
            #expect(try await reports("&sort=integrationId") == ["ann", "bob"])
            let unsorted = try await h.call(.get, base + "/customer_activity_reports?\(Self.range)&sort=revenue")
            #expect(unsorted.status == .badRequest && unsorted["errors"]?[0]?["source"]?["parameter"] == "sort")
            let before = try await h.call(
                .get, base + "/customer_activity_reports?rangeStart=2000-01-01T00:00:00Z&rangeEnd=2001-01-01T00:00:00Z")
            #expect(before["totalResultSize"] == 0)
            let page = try await h.call(.get, base + "/customer_activity_reports/no_total?\(Self.range)&pageSize=1")
            #expect(page["hasMore"] == true && page["data"]?.arrayValue?.count == 1)
            let big = try await h.call(.get, base + "/customer_activity_reports?\(Self.range)&pageSize=500")
            #expect(big["errors"]?[0]?["source"]?["parameter"] == "pageSize")
        }
    }
}
