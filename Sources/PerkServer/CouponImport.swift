import Foundation
import PerkEngine
import PerkJSON
import Talang

/// The codes of an imported CSV file, record by record: the header names the columns (`value`,
/// and optionally `expirydate`, `startdate`, `recipientintegrationid`, `limitval` and
/// `attributes`), and every later record becomes a coupon of the campaign, or a 400 naming its
/// line.
struct ImportedCoupons {
    let campaignId: Int64
    let now: Timestamp
    private var columns: Columns?

    private struct Columns {
        let value: Int
        let expiry, start, recipient, limit, attributes: Int?

        init?(_ header: [String]) {
            let names = header.map { $0.lowercased().trimmingCharacters(in: .whitespaces) }
            guard let value = names.firstIndex(of: "value") else { return nil }
            self.value = value
            expiry = names.firstIndex(of: "expirydate")
            start = names.firstIndex(of: "startdate")
            recipient = names.firstIndex(of: "recipientintegrationid")
            limit = names.firstIndex(of: "limitval")
            attributes = names.firstIndex(of: "attributes")
        }
    }

    init(campaignId: Int64, now: Timestamp) {
        self.campaignId = campaignId
        self.now = now
    }

    /// The coupons of `records`, in order; the file's first record is its header.
    mutating func coupons(_ records: [CSV.Record]) throws -> [Coupon] {
        var coupons: [Coupon] = []
        coupons.reserveCapacity(records.count)
        for record in records {
            guard let columns else {
                guard let found = Columns(record.fields) else {
                    throw APIError.badRequest("the CSV file needs a header line with a value column")
                }
                columns = found
                continue
            }
            coupons.append(try coupon(record, columns))
        }
        return coupons
    }

    private func coupon(_ record: CSV.Record, _ columns: Columns) throws -> Coupon {
        let line = record.line
        func field(_ index: Int?) -> String? {
            guard let index, index < record.fields.count else { return nil }
            let v = record.fields[index].trimmingCharacters(in: .whitespaces)
            return v.isEmpty ? nil : v
        }
        func time(_ index: Int?, _ name: String) throws -> Timestamp? {
            guard let text = field(index) else { return nil }
            guard let t = TimeValue(rfc3339: text) else {
                throw APIError.badRequest("line \(line): \(name) must be an RFC 3339 date-time")
            }
            return t.utc
        }
        guard let value = field(columns.value), value.count <= InputLimits.maxIdLength else {
            throw APIError.badRequest("line \(line): value must hold a code of 1 to 1000 characters")
        }
        var limit: Int64 = 1
        if let text = field(columns.limit) {
            guard let l = Int64(text), (0...999_999).contains(l) else {
                throw APIError.badRequest("line \(line): limitval must be a whole number from 0 to 999999")
            }
            limit = l
        }
        var attributes = JSONObject()
        if let text = field(columns.attributes) {
            guard let o = (try? JSON.parse(text))?.objectValue else {
                throw APIError.badRequest("line \(line): attributes must be a JSON object")
            }
            attributes = o
        }
        return Coupon(
            id: 0, created: now, campaignId: campaignId, value: value, usageLimit: limit,
            startDate: try time(columns.start, "startdate"), expiryDate: try time(columns.expiry, "expirydate"),
            attributes: attributes, recipientIntegrationId: field(columns.recipient))
    }
}
