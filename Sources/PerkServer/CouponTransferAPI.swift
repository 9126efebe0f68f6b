import Foundation
import Hummingbird
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
        "limitval", "recipientintegrationid", "batchid", "referralid", "reservation",
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
        ]
    }

    /// At most this many codes per import (a body is at most 2 MB anyway).
    static let maxImport = 100_000

    /// A CSV of existing codes: a `value` column, and optionally `expirydate`, `startdate`,
    /// `recipientintegrationid`, `limitval` (0 for unlimited; default 1) and `attributes` (a JSON
    /// object). The body is the CSV itself (`text/csv`) or a `multipart/form-data` upload whose
    /// first file part is (`upFile`, as the official SDK sends it). Answers an `Import`.
    func importCoupons(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let userId = (try await authorize(req, ctx, .coupons)).userId
        let app = try await application(ctx)
        let campaign = try await self.campaign(ctx, applicationId: app.id)
        var raw = try await req.bodyBytes(context: ctx)
        let bytes = raw.readBytes(length: raw.readableBytes) ?? []
        let csv = try Self.uploadedText(bytes, contentType: req.headers[.contentType] ?? "")
        let now = clock()
        let coupons = try Self.importedCoupons(csv, campaignId: campaign.id, now: now)
        let keys = coupons.map { app.caseSensitivity.normalize($0.value) }
        guard Set(keys).count == keys.count else {
            throw APIError.badRequest("the file holds the same code twice")
        }
        var record = TransferRecord(
            created: now, userId: userId, entity: "Coupon", applicationId: app.id, campaignId: campaign.id)
        record.amount = Int64(coupons.count)
        let imported = record
        let saved: TransferRecord
        do {
            // The codes and the record of their import commit together.
            saved = try await store.write { tx in
                _ = try tx.insertCoupons(coupons, applicationId: app.id, lookupKeys: keys)
                return try tx.insertImport(imported)
            }
        } catch StoreError.duplicate(let code) {
            throw APIError.badRequest("the code \(code) exists already; nothing was imported")
        }
        return jsonResponse(.ok, Self.transfer(saved, exported: false))
    }

    static func uploadedText(_ bytes: [UInt8], contentType: String) throws -> String {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else {
            return String(decoding: bytes, as: UTF8.self)
        }
        guard
            let b = contentType.split(separator: ";").compactMap({ part -> Substring? in
                let t = part.drop { $0 == " " }
                return t.hasPrefix("boundary=") ? t.dropFirst("boundary=".count) : nil
            }).first
        else { throw APIError.badRequest("multipart/form-data without a boundary") }
        let boundary = "--" + b.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        let text = String(decoding: bytes, as: UTF8.self)
        for part in text.components(separatedBy: boundary).dropFirst() {
            guard let split = part.range(of: "\r\n\r\n") else { continue }
            var content = String(part[split.upperBound...])
            if content.hasSuffix("\r\n") { content.removeLast() }
            return content
        }
        throw APIError.badRequest("the upload holds no file")
    }

    static func importedCoupons(_ csv: String, campaignId: Int64, now: Timestamp) throws -> [Coupon] {
        let records: [[String]]
        do {
            records = try CSV.records(csv)
        } catch {
            throw APIError.badRequest("the CSV file is malformed on line \(error.line): \(error.message)")
        }
        guard let header = records.first?.map({ $0.lowercased().trimmingCharacters(in: .whitespaces) }),
            let valueColumn = header.firstIndex(of: "value")
        else { throw APIError.badRequest("the CSV file needs a header line with a value column") }
        guard records.count - 1 <= maxImport else {
            throw APIError.badRequest("at most \(maxImport) codes can be imported at once")
        }
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }
        var coupons: [Coupon] = []
        for (n, record) in records.dropFirst().enumerated() {
            let line = n + 2
            func field(_ index: Int?) -> String? {
                guard let index, index < record.count else { return nil }
                let v = record[index].trimmingCharacters(in: .whitespaces)
                return v.isEmpty ? nil : v
            }
            func time(_ name: String) throws -> Timestamp? {
                guard let text = field(column(name)) else { return nil }
                guard let t = TimeValue(rfc3339: text) else {
                    throw APIError.badRequest("line \(line): \(name) must be an RFC 3339 date-time")
                }
                return t.utc
            }
            guard let value = field(valueColumn), value.count <= InputLimits.maxIdLength else {
                throw APIError.badRequest("line \(line): value must hold a code of 1 to 1000 characters")
            }
            var limit: Int64 = 1
            if let text = field(column("limitval")) {
                guard let l = Int64(text), (0...999_999).contains(l) else {
                    throw APIError.badRequest("line \(line): limitval must be a whole number from 0 to 999999")
                }
                limit = l
            }
            var attributes = JSONObject()
            if let text = field(column("attributes")) {
                guard let o = (try? JSON.parse(text))?.objectValue else {
                    throw APIError.badRequest("line \(line): attributes must be a JSON object")
                }
                attributes = o
            }
            coupons.append(
                Coupon(
                    id: 0, created: now, campaignId: campaignId, value: value, usageLimit: limit,
                    startDate: try time("startdate"), expiryDate: try time("expirydate"), attributes: attributes,
                    recipientIntegrationId: field(column("recipientintegrationid"))))
        }
        guard !coupons.isEmpty else { throw APIError.badRequest("the CSV file holds no codes") }
        return coupons
    }
}
