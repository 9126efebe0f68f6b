import HTTPTypes
import PerkJSON
import Testing

@Suite struct CouponManagementTests {
    @Test func couponListsAreSortedByTheFieldSortNames() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h, usageLimit: 1)
            let base = "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)/coupons"
            _ = try await h.createCoupons(shop.app, shop.campaign, pattern: "ZZ-####", usageLimit: 5)
            _ = try await h.createCoupons(shop.app, shop.campaign, pattern: "AA-####", usageLimit: 3)
            func values(_ sort: String) async throws -> [String] {
                try await h.call(.get, base + "?sort=\(sort)")["data"]?.arrayValue?.compactMap {
                    $0["value"]?.stringValue
                } ?? []
            }
            let byValue = try await values("value")
            #expect(byValue == byValue.sorted() && byValue.count == 3)
            #expect(try await values("-value") == byValue.reversed())
            let byLimit = try await h.call(.get, base + "?sort=-usageLimit")["data"]?.arrayValue?.compactMap {
                $0["usageLimit"]?.numberValue?.intValue
            }
            #expect(byLimit == [5, 3, 1])
            let newestFirst = try await values("-created")
            #expect(newestFirst.first?.hasPrefix("AA-") == true && newestFirst.last == shop.code)
            let refused = try await h.call(.get, base + "?sort=colour")
            #expect(refused.status == .badRequest)
            #expect(refused["errors"]?[0]?["source"]?["parameter"] == "sort")
        }
    }

    @Test func campaignListsFilterByNameTagsCreationAndSort() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let summer = try await h.createCampaign(
                app, name: "Summer sale", rules: [Harness.couponRule], extra: ["tags": ["seasonal"]])
            let winter = try await h.createCampaign(
                app, name: "Winter sale", rules: [Harness.couponRule], extra: ["tags": ["Seasonal", "cold"]])
            let loyalty = try await h.createCampaign(app, name: "Loyalty", rules: [Harness.couponRule])
            let base = "/v1/applications/\(app)/campaigns"
            func ids(_ query: String) async throws -> [Int64] {
                try await h.call(.get, base + query)["data"]?.arrayValue?.compactMap { $0["id"]?.numberValue?.intValue }
                    ?? []
            }
            #expect(try await ids("?name=SALE") == [summer, winter])
            #expect(try await ids("?tags=seasonal") == [summer, winter])
            // Name or tags: either one matching lists the campaign.
            #expect(try await ids("?name=loyal&tags=cold") == [winter, loyalty])
            #expect(try await ids("?sort=name") == [loyalty, summer, winter])
            #expect(try await ids("?sort=-id") == [loyalty, winter, summer])
            #expect(try await ids("?createdAfter=2999-01-01T00:00:00Z").isEmpty)
            #expect(try await ids("?createdBefore=2999-01-01T00:00:00Z&sort=id") == [summer, winter, loyalty])
            #expect(try await ids("?campaignState=draft").isEmpty)
            #expect(try await h.call(.get, base + "?sort=colour").status == .badRequest)
            #expect(try await h.call(.get, base + "?createdAfter=yesterday").status == .badRequest)
        }
    }

    /// The reference's `value`: any case, and only letters and digits count, in the code and in
    /// the query; `exactMatch`: the whole code, any case. Deleting one coupon deletes only it,
    /// even where another differs only in case (a case-sensitive application).
    @Test func codesAreFoundFoldedAndExactIgnoringCase() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let campaign = try await h.createCampaign(app, rules: [Harness.couponRule])
            let base = "/v1/applications/\(app)/campaigns/\(campaign)/coupons"
            let imported = try await h.raw(
                .post, "/v1/applications/\(app)/campaigns/\(campaign)/import_coupons",
                "value\nAB-CD-EF\nab.cd.99\nMixed-1\nMIXED-1\nXY-12\n", headers: [(.contentType, "text/csv")])
            #expect(imported.status == .ok, "\(imported.body.text)")
            func values(_ query: String) async throws -> [String] {
                let r = try await h.call(.get, base + query + (query.contains("?") ? "&" : "?") + "sort=id")
                return r["data"]?.arrayValue?.compactMap { $0["value"]?.stringValue } ?? []
            }
            #expect(try await values("?value=abcd") == ["AB-CD-EF", "ab.cd.99"])
            #expect(try await values("?value=C-DEF") == ["AB-CD-EF"])
            #expect(try await values("?value=cd%20ef") == ["AB-CD-EF"])
            #expect(try await values("?value=ab") == ["AB-CD-EF", "ab.cd.99"])
            #expect(try await values("?value=d9") == ["ab.cd.99"])
            #expect(try await values("?value=mixed1") == ["Mixed-1", "MIXED-1"])
            #expect(try await values("?value=ab-cd-ef&exactMatch=true") == ["AB-CD-EF"])
            #expect(try await values("?value=abcdef&exactMatch=true").isEmpty)
            #expect(try await values("?value=mixed-1&exactMatch=true") == ["Mixed-1", "MIXED-1"])

            let mixed = try await h.call(.get, base + "?value=Mixed-1&exactMatch=true&sort=id")
            let first = try #require(mixed["data"]?[0]?["id"]?.numberValue?.intValue)
            #expect(try await h.call(.delete, base + "/\(first)").status == .noContent)
            #expect(try await values("?value=mixed1") == ["MIXED-1"])
            // The same filter in the export of every coupon of the application.
            let csv = try await h.text("/v1/applications/\(app)/export_coupons?value=abcd&values_only=true")
            #expect(csv.text == "value\r\nAB-CD-EF\r\nab.cd.99\r\n")
        }
    }

    @Test func couponsAreFilteredUpdatedAndDeleted() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h, usageLimit: 1)
            let base = "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)/coupons"
            _ = try await h.createCoupons(shop.app, shop.campaign, pattern: "BATCH-####", count: 4)
            let expired = try await h.createCoupons(
                shop.app, shop.campaign, pattern: "OLD-####", extra: ["expiryDate": "2020-01-01T00:00:00Z"])[0]
            _ = try await h.createCoupons(
                shop.app, shop.campaign, pattern: "SOON-####", extra: ["startDate": "2999-01-01T00:00:00Z"])
            _ = try await h.createCoupons(
                shop.app, shop.campaign, pattern: "MINE-####", extra: ["recipientIntegrationId": "alice"])
            _ = try await h.session(
                "s1", key: shop.key,
                ["couponCodes": [.string(shop.code)], "cartItems": [cartItem("a", price: 10)], "state": "closed"])

            func count(_ query: String) async throws -> Int64? {
                try await h.call(.get, base + query)["totalResultSize"]?.numberValue?.intValue
            }
            #expect(try await count("") == 8)
            #expect(try await count("?value=batch") == 4)
            #expect(try await count("?value=\(shop.code)&exactMatch=true") == 1)
            #expect(try await count("?value=batch&exactMatch=true") == 0)
            #expect(try await count("?valid=expired") == 1)
            #expect(try await count("?valid=validFuture") == 1)
            #expect(try await count("?valid=validNow") == 6)
            #expect(try await count("?usable=false") == 1)
            #expect(try await count("?recipientIntegrationId=alice") == 1)
            #expect(try await count("?expiresBefore=2021-01-01T00:00:00Z") == 1)
            #expect(try await count("?createdAfter=2999-01-01T00:00:00Z") == 0)
            let batch = try await h.call(.get, base + "?value=batch&pageSize=1")
            let batchId = try #require(batch["data"]?[0]?["batchId"]?.stringValue)
            #expect(try await count("?batchId=\(batchId)") == 4)
            #expect(try await h.call(.get, base + "?valid=sometimes").status == .badRequest)
            #expect(try await h.call(.get, base + "?usable=perhaps").status == .badRequest)

            let old = try await h.call(.get, base + "?value=\(expired)&exactMatch=true")
            let oldId = try #require(old["data"]?[0]?["id"]?.numberValue?.intValue)
            let updated = try await h.call(
                .put, base + "/\(oldId)",
                ["expiryDate": .null, "usageLimit": 3, "attributes": ["Description": "renewed"]])
            #expect(updated.status == .ok)
            #expect(updated["expiryDate"] == nil)
            #expect(updated["usageLimit"] == 3)
            #expect(try await h.call(.get, base + "/\(oldId)")["attributes"] == ["Description": "renewed"])
            let usable = try await h.session("s2", key: shop.key, ["couponCodes": [.string(expired)]])
            #expect(usable.body.effects("acceptCoupon").count == 1)
            #expect(try await h.call(.put, base + "/\(oldId)", ["usageLimit": -1]).status == .badRequest)
            #expect(try await h.call(.get, base + "/999999").status == .notFound)

            let batchUpdate = try await h.call(
                .put, base, ["batchID": .string(batchId), "usageLimit": 7, "attributes": ["Description": "batch"]])
            #expect(batchUpdate.status == .noContent)
            let batchNow = try await h.call(.get, base + "?batchId=\(batchId)")
            #expect(
                batchNow["data"]?.arrayValue?.allSatisfy {
                    $0["usageLimit"] == 7 && $0["attributes"] == ["Description": "batch"]
                } == true)
            #expect(try await count("?usable=false") == 1)
            #expect(try await h.call(.put, base, ["usageLimit": 7]).status == .badRequest)
            #expect(
                try await h.call(.put, base, ["batchID": .string(batchId), "usageLimit": "x"]).status == .badRequest)

            #expect(try await h.call(.delete, base + "/\(oldId)").status == .noContent)
            #expect(try await h.call(.get, base + "/\(oldId)").status == .notFound)
            #expect(try await h.call(.delete, base + "?batchId=\(batchId)").status == .noContent)
            #expect(try await count("") == 3)
        }
    }

    @Test func aDeletedCampaignTakesItsCouponsWithIt() async throws {
        try await Harness.run { h in
            let shop = try await SessionV2Tests.couponShop(h)
            let path = "/v1/applications/\(shop.app)/campaigns/\(shop.campaign)"
            #expect(try await h.call(.delete, path).status == .noContent)
            #expect(try await h.call(.get, path).status == .notFound)
            #expect(try await h.call(.delete, path).status == .notFound)
            let r = try await h.session("s1", key: shop.key, ["couponCodes": [.string(shop.code)]])
            #expect(r.body.effects("rejectCoupon").first?["rejectionReason"] == "CouponNotFound")
        }
    }
}
