import Foundation
import Hummingbird
import Logging
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// Coupons in and out as CSV, in the current API's shapes: `GET …/export_coupons` streams the
/// coupons of an application (or one campaign) matching the listing filters, and
/// `POST …/campaigns/{id}/import_coupons` adds codes a shop already has.
extension ManagementAPI {
    func registerCouponTransfer(on router: Routes) {
        router.get("/v1/applications/:applicationId/export_coupons") { req, ctx in try await exportCoupons(req, ctx) }
        router.post("/v1/applications/:applicationId/campaigns/:campaignId/import_coupons") { req, ctx in
            try await importCoupons(req, ctx)
        }
    }

    static let exportColumns = [
        "id", "created", "campaignid", "value", "expirydate", "startdate", "attributes", "applicationid", "counter",
        "limitval", "recipientintegrationid", "batchid", "referralid", "reservation", "importid",
    ]
    /// Coupons read per page of an export: memory stays flat however many there are.
    static let exportPage = 5_000

    func exportCoupons(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let userId = try await authorize(req, ctx, .read).userId
        let app = try await application(ctx)
        var filter = try Self.couponFilter(req)
        filter.order = CouponOrder()
        let valuesOnly = try req.boolQuery("values_only") ?? false
        let campaignIds: [Int64]
        if let id = try req.intQuery("campaignId") {
            campaignIds = [Int64(id)]
        } else {
            campaignIds = try await store.read { tx in try tx.campaigns(applicationId: app.id) }.map(\.id)
        }
        try await recordExport(req, userId: userId, entity: "Coupon", applicationId: app.id)
        let (store, now, start, ids) = (self.store, clock(), filter, campaignIds)
        return streamedCSV("coupons-\(app.id).csv", header: valuesOnly ? ["value"] : Self.exportColumns) {
            (after: Int64?) in
            var page = start
            page.afterId = after
            let chosen = page
            let rows = try await store.read { tx in
                try tx.coupons(
                    applicationId: app.id, campaignIds: ids, filter: chosen, now: now, skip: 0, limit: Self.exportPage,
                    counting: false)
            }.items
            let cells = rows.map { c in valuesOnly ? [c.value] : Self.exportRow(c, applicationId: app.id) }
            return (cells, rows.count < Self.exportPage ? nil : rows.last?.id)
        }
    }

    static func exportRow(_ c: Coupon, applicationId: Int64) -> [String] {
        [
            String(c.id), c.created.json.stringValue ?? "", String(c.campaignId), c.value,
            c.expiryDate?.json.stringValue ?? "", c.startDate?.json.stringValue ?? "", JSON.object(c.attributes).text,
            String(applicationId), String(c.usageCounter), String(c.usageLimit), c.recipientIntegrationId ?? "",
            c.batchId ?? "", c.referralId.map(String.init) ?? "", c.reservation ? "true" : "false",
            c.importId.map(String.init) ?? "",
        ]
    }

    /// At most this many codes per import, and bytes per uploaded file.
    static let maxImport = 1_000_000
    static let maxImportBytes = 512 * 1024 * 1024
    /// Codes stored per transaction: a writer is held only briefly, whatever the file's size.
    static let importBatch = 2_000

    /// A CSV of existing codes (see `ImportedCoupons` for its columns). The body is the CSV
    /// itself (`text/csv`) or a `multipart/form-data` upload whose first part is the file
    /// (`upFile`, as the official SDK sends it). It is read as it arrives, and its codes are
    /// stored `importBatch` at a time, each marked with the import: a file that turns out wrong
    /// part way (a bad line, a code that exists) takes back what it stored, and one cut off by a
    /// crash is taken back by `Retention`. Answers an `Import`.
    func importCoupons(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let userId = (try await authorize(req, ctx, .coupons)).userId
        let app = try await application(ctx)
        let campaign = try await self.campaign(ctx, applicationId: app.id)
        ctx.acceptUpload()
        var multipart: MultipartFile?
        do {
            multipart = try MultipartFile(contentType: req.headers[.contentType] ?? "")
        } catch {
            throw APIError.badRequest("multipart/form-data without a boundary")
        }
        let now = clock()
        var record = TransferRecord(
            created: now, userId: userId, entity: "Coupon", applicationId: app.id, campaignId: campaign.id)
        record.finished = false
        let begun = record
        let importId = try await store.write { tx in try tx.insertImport(begun) }.id
        var reader = CSV.Reader()
        var rows = ImportedCoupons(campaignId: campaign.id, now: now)
        var records: [CSV.Record] = []
        var pending: [Coupon] = []
        var stored: Int64 = 0
        var received = 0
        func commit(_ batch: [Coupon], finished: Bool) async throws {
            let tagged = batch.map { c in
                var c = c
                c.importId = importId
                return c
            }
            let keys = tagged.map { app.caseSensitivity.normalize($0.value) }
            let (amount, at) = (stored + Int64(tagged.count), clock())
            do {
                try await self.store.write { tx in
                    _ = try tx.insertCoupons(tagged, applicationId: app.id, lookupKeys: keys)
                    try tx.updateImport(id: importId, amount: amount, finished: finished, now: at)
                }
            } catch StoreError.duplicate(let code) {
                throw APIError.badRequest(
                    "the code \(code) exists already or is in the file twice; nothing was imported")
            }
            stored = amount
        }
        func take() async throws {
            pending += try rows.coupons(records)
            records.removeAll(keepingCapacity: true)
            guard stored + Int64(pending.count) <= Self.maxImport else {
                throw APIError.badRequest("at most \(Self.maxImport) codes can be imported at once")
            }
            while pending.count >= Self.importBatch {
                try await commit(Array(pending.prefix(Self.importBatch)), finished: false)
                pending.removeFirst(Self.importBatch)
            }
        }
        do {
            do {
                for try await chunk in req.body {
                    received += chunk.readableBytes
                    guard received <= Self.maxImportBytes else {
                        throw APIError(
                            status: .contentTooLarge, message: "An import is at most \(Self.maxImportBytes) bytes")
                    }
                    if multipart != nil {
                        try reader.read(try multipart!.read(chunk.readableBytesView), into: &records)
                    } else {
                        try reader.read(chunk.readableBytesView, into: &records)
                    }
                    try await take()
                }
                try multipart?.finish()
                try reader.finish(into: &records)
            } catch let error as CSV.ParseError {
                throw APIError.badRequest("the CSV file is malformed on line \(error.line): \(error.message)")
            } catch MultipartFile.Problem.headersTooLong {
                throw APIError.badRequest(
                    "the upload's part headers are longer than \(MultipartFile.maxHeaderBytes) bytes")
            } catch is MultipartFile.Problem {
                throw APIError.badRequest("the upload holds no file")
            }
            try await take()
            guard stored + Int64(pending.count) > 0 else { throw APIError.badRequest("the CSV file holds no codes") }
            try await commit(pending, finished: true)
        } catch {
            // Not cancelled with the request (a client that went away): the codes must go.
            let store = self.store
            let undone = await Task { try? await store.undoImport(id: importId) }.value
            if undone == nil {
                ctx.logger.warning("an import's codes could not be taken back yet", metadata: ["import": "\(importId)"])
            }
            throw error
        }
        record.id = importId
        record.amount = stored
        record.finished = true
        return jsonResponse(.ok, Self.transfer(record, exported: false))
    }
}
