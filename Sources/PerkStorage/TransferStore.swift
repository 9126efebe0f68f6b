import PerkEngine
import PerkJSON
import Talang

/// One CSV export or import, as `GET /v1/exports` and `GET /v1/imports` list them: who moved
/// which entity, when, filtered how (exports) or how many rows (imports).
public struct TransferRecord: Sendable {
    public var id: Int64 = 0
    public var created: Timestamp
    public var userId: Int64
    /// `Coupon`, `Referral`, `CustomerSession`, `Effect`, `CustomerProfile`...
    public var entity: String
    public var applicationId: Int64?
    public var campaignId: Int64?
    /// Exports: the filter query parameters given.
    public var filter: JSONObject = [:]
    /// Imports: the rows imported.
    public var amount: Int64 = 0
    /// Imports: whether the import ended well. One in progress (or cut off by a crash) is not
    /// listed, and its codes are removed once it has not moved for a while.
    public var finished = true

    public init(created: Timestamp, userId: Int64, entity: String, applicationId: Int64?, campaignId: Int64?) {
        self.created = created
        self.userId = userId
        self.entity = entity
        self.applicationId = applicationId
        self.campaignId = campaignId
    }
}

public struct TransferFilter: Sendable {
    public var applicationId: Int64?
    public var campaignId: Int64?
    /// Records of these entities only (nil: any).
    public var entities: [String]?
    public init() {}
}

/// A distinct event type of an application, with its oldest recorded event.
public struct RecordedEventType: Sendable, Equatable {
    public var name: String
    public var firstEventId: Int64
    public var firstSeen: Timestamp
    public init(name: String, firstEventId: Int64, firstSeen: Timestamp) {
        self.name = name
        self.firstEventId = firstEventId
        self.firstSeen = firstSeen
    }
}

public protocol TransferStore {
    func insertExport(_ record: TransferRecord) throws
    /// The record with its id (`finished` false: an import that commits its rows in batches).
    func insertImport(_ record: TransferRecord) throws -> TransferRecord
    /// Marks an import as alive at `now` with `amount` rows so far, or as `finished`.
    func updateImport(id: Int64, amount: Int64, finished: Bool, now: Timestamp) throws
    /// Removes up to `limit` of the coupons an import added; how many. The import's record goes
    /// with its last coupons.
    func undoImport(id: Int64, limit: Int) throws -> Int
    /// Unfinished imports that have not moved since `before` (their process died).
    func abandonedImports(before: Timestamp) throws -> [Int64]
    /// Newest first.
    func exports(filter: TransferFilter, skip: Int, limit: Int) throws -> Page<TransferRecord>
    /// Finished imports, newest first.
    func imports(skip: Int, limit: Int) throws -> Page<TransferRecord>
    /// The application's event types, by name; each read with one index seek, however many
    /// events there are.
    func eventTypes(applicationId: Int64) throws -> [RecordedEventType]
}

extension Store {
    /// Runs `step` (which handles up to `batch` rows) in write transactions of its own until a
    /// batch comes back short; how many rows in all. Many short transactions, so that no one
    /// waits long behind a large deletion.
    public func drain(batch: Int, _ step: @Sendable @escaping (any StoreTransaction) throws -> Int) async throws -> Int
    {
        var done = 0
        while !Task.isCancelled {
            let n = try await write(step)
            done += n
            if n < batch { break }
            await Task.yield()
        }
        return done
    }

    /// Takes back every coupon of an import and its record, `batch` coupons per transaction;
    /// how many coupons.
    @discardableResult
    public func undoImport(id: Int64, batch: Int = 1_000) async throws -> Int {
        try await drain(batch: batch) { tx in try tx.undoImport(id: id, limit: batch) }
    }
}
