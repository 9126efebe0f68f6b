import HTTPTypes
import HummingbirdTesting
import NIOCore
import PerkEngine
import PerkJSON
import PerkServer
import PerkStorage
import Talang
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
                    == "id,created,campaignid,value,expirydate,startdate,attributes,applicationid,counter,limitval,recipientintegrationid,batchid,referralid,reservation,importid"
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

    /// A file larger than a batch: stored a batch at a time, and taken back whole when a later
    /// line is wrong or repeats an earlier code.
    @Test func aLargeImportIsStoredInBatchesAndTakenBackWhole() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let campaign = try await h.createCampaign(app, rules: [Harness.couponRule])
            let path = "/v1/applications/\(app)/campaigns/\(campaign)/import_coupons"
            let count: Int64 = 5_000
            func file(_ line: (Int64) -> String) -> String { "value,limitval\n" + (0..<count).map(line).joined() }
            func stored() async throws -> Int64? {
                let listing = try await h.call(.get, "/v1/applications/\(app)/campaigns/\(campaign)/coupons?pageSize=1")
                return listing["totalResultSize"]?.numberValue?.intValue
            }
            let bad = try await h.raw(
                .post, path, file { $0 == 4_500 ? "BIG-\($0),lots\n" : "BIG-\($0),2\n" },
                headers: [(.contentType, "text/csv")])
            #expect(bad.status == .badRequest)
            #expect(bad["message"]?.stringValue?.contains("line 4502: limitval") == true, "\(bad.body)")
            #expect(try await stored() == 0)

            let twice = try await h.raw(
                .post, path, file { $0 == 4_999 ? "BIG-0,1\n" : "BIG-\($0),2\n" },
                headers: [(.contentType, "text/csv")])
            #expect(twice.status == .badRequest)
            #expect(twice["message"]?.stringValue?.contains("BIG-0 exists already or is in the file twice") == true)
            #expect(try await stored() == 0)
            #expect(try await h.call(.get, "/v1/imports")["totalResultSize"] == 0)

            let good = try await h.raw(.post, path, file { "BIG-\($0),2\n" }, headers: [(.contentType, "text/csv")])
            #expect(good.status == .ok)
            #expect(good["amount"]?.numberValue?.intValue == count)
            #expect(try await stored() == count)
            let importId = try #require(good["id"]?.numberValue?.intValue)
            let one = try await h.call(
                .get, "/v1/applications/\(app)/campaigns/\(campaign)/coupons?value=BIG-4999&exactMatch=true")
            #expect(one["data"]?[0]?["importId"]?.numberValue?.intValue == importId)
            #expect(one["data"]?[0]?["usageLimit"]?.numberValue?.intValue == 2)
            let imports = try await h.call(.get, "/v1/imports")
            #expect(imports["totalResultSize"] == 1)
            #expect(imports["data"]?[0]?["amount"]?.numberValue?.intValue == count)

            let empty = try await h.raw(.post, path, "value\n", headers: [(.contentType, "text/csv")])
            #expect(empty.status == .badRequest)
            #expect(empty["message"]?.stringValue?.contains("holds no codes") == true)
            let unclosed = try await h.raw(
                .post, path, "--xyz\r\n\r\nvalue\nCUT-1\n",
                headers: [(.contentType, "multipart/form-data; boundary=xyz")])
            #expect(unclosed.status == .badRequest)
            #expect(unclosed["message"]?.stringValue?.contains("holds no file") == true)
            #expect(try await stored() == count)
        }
    }

    /// An import whose process died part way leaves an unfinished record: once it has not moved
    /// for the retention's while, its codes are taken back. One still moving is left alone.
    @Test func anAbandonedImportIsTakenBack() async throws {
        let clock = ManualClock()
        try await Harness.run(clock: clock.now) { h in
            let app = try await h.createApplication()
            let campaign = try await h.createCampaign(app, rules: [Harness.couponRule])
            func begin(_ prefix: String) async throws -> Int64 {
                var record = TransferRecord(
                    created: clock.now(), userId: 1, entity: "Coupon", applicationId: Int64(app),
                    campaignId: Int64(campaign))
                record.finished = false
                let begun = record
                let (now, campaignId) = (clock.now(), Int64(campaign))
                return try await h.store.write { tx in
                    let id = try tx.insertImport(begun).id
                    let coupons = (0..<25).map { i in
                        Coupon(
                            id: 0, created: now, campaignId: campaignId, value: "\(prefix)-\(i)", usageLimit: 1,
                            importId: id)
                    }
                    _ = try tx.insertCoupons(coupons, applicationId: Int64(app), lookupKeys: coupons.map(\.value))
                    return id
                }
            }
            _ = try await begin("DEAD")
            clock.advance(seconds: 2 * 3_600)
            let alive = try await begin("ALIVE")
            var settings = Retention.Settings()
            settings.batch = 10
            #expect(try await Retention(store: h.store, clock: clock.now, settings: settings).prune() == 25)
            let left = try await h.call(.get, "/v1/applications/\(app)/campaigns/\(campaign)/coupons?pageSize=50")
            #expect(left["totalResultSize"] == 25)
            #expect(
                left["data"]?.arrayValue?.allSatisfy { $0["value"]?.stringValue?.hasPrefix("ALIVE") == true } == true)
            let later = Timestamp(microseconds: clock.now().microseconds + 1)
            #expect(try await h.store.read { tx in try tx.abandonedImports(before: later) } == [alive])
        }
    }
}
