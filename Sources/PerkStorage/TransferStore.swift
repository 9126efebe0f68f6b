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
    /// The record with its id.
    func insertImport(_ record: TransferRecord) throws -> TransferRecord
    /// Newest first.
    func exports(filter: TransferFilter, skip: Int, limit: Int) throws -> Page<TransferRecord>
    func imports(skip: Int, limit: Int) throws -> Page<TransferRecord>
    /// The application's event types, by name; each read with one index seek, however many
    /// events there are.
    func eventTypes(applicationId: Int64) throws -> [RecordedEventType]
}
