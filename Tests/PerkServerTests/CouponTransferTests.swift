import HTTPTypes
import HummingbirdTesting
import NIOCore
import PerkJSON
import Testing

/// Coupons exported as CSV (streamed, every matching coupon, by id) and imported from CSV.
@Suite struct CouponTransferTests {
    @Test func couponsGoOutAndComeInAsCSV() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let campaign = try await h.createCampaign(app, rules: [Harness.couponRule])
            let codes = try await h.createCoupons(app, campaign, pattern: "OUT-#####", count: 12_345, usageLimit: 2)
            let export = try await h.client.execute(
                uri: "/v1/applications/\(app)/export_coupons?campaignId=\(campaign)", method: .get,
                headers: [.authorization: "Bearer \(h.token)"], body: nil
            ) { response in (response.status, response.headers[.contentType], String(buffer: response.body)) }
            #expect(export.0 == .ok)
            #expect(export.1?.hasPrefix("text/csv") == true)
            let lines = export.2.split(separator: "\r\n")
            #expect(
                lines.first
                    == "id,created,campaignid,value,expirydate,startdate,attributes,applicationid,counter,limitval,recipientintegrationid,batchid,referralid,reservation"
            )
            #expect(lines.count == 12_346)
            let exported = Set(lines.dropFirst().map { String($0.split(separator: ",")[3]) })
            #expect(exported == Set(codes))
            let filtered = try await h.client.execute(
                uri: "/v1/applications/\(app)/export_coupons?campaignId=\(campaign)&values_only=true&value=\(codes[0])",
                method: .get, headers: [.authorization: "Bearer \(h.token)"], body: nil
            ) { String(buffer: $0.body) }
            #expect(filtered == "value\r\n\(codes[0])\r\n")

            // Importing: a CSV of codes (here as the official SDK sends it, multipart).
            let csv =
                "value,expirydate,limitval,attributes\r\nIMPORT-1,2099-01-01T00:00:00Z,5,\"{\"\"source\"\": \"\"paper\"\"}\"\r\nIMPORT-2,,,\r\n"
            let boundary = "perk-test-boundary"
            let multipart =
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"upFile\"; filename=\"c.csv\"\r\nContent-Type: text/csv\r\n\r\n\(csv)\r\n--\(boundary)--\r\n"
            let imported = try await h.raw(
                .post, "/v1/applications/\(app)/campaigns/\(campaign)/import_coupons", multipart,
                headers: [(.contentType, "multipart/form-data; boundary=\(boundary)")])
            #expect(imported.status == .ok, "\(imported.body.text)")
            #expect(imported["amount"]?.numberValue?.intValue == 2)
            let one = try await h.call(
                .get, "/v1/applications/\(app)/campaigns/\(campaign)/coupons?value=IMPORT-1&exactMatch=true")
            #expect(one["data"]?[0]?["usageLimit"]?.numberValue?.intValue == 5)
            #expect(one["data"]?[0]?["attributes"]?["source"]?.stringValue == "paper")
            // The same codes again: refused whole, nothing half-imported.
            let again = try await h.raw(
                .post, "/v1/applications/\(app)/campaigns/\(campaign)/import_coupons", "value\nIMPORT-3\nIMPORT-2\n",
                headers: [(.contentType, "text/csv")])
            #expect(again.status == .badRequest)
            let three = try await h.call(.get, "/v1/applications/\(app)/campaigns/\(campaign)/coupons?value=IMPORT-3")
            #expect(three["totalResultSize"]?.numberValue?.intValue == 0)
            let malformed = try await h.raw(
                .post, "/v1/applications/\(app)/campaigns/\(campaign)/import_coupons", "code\nX\n",
                headers: [(.contentType, "text/csv")])
            #expect(malformed.status == .badRequest)
        }
    }
}
