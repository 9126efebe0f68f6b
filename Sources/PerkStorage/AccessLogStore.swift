import PerkEngine
import Talang

/// One Integration API request as the access log keeps it: what was asked and answered, with
/// the bodies cut to a bounded length.
public struct AccessLogEntry: Sendable {
    public var id: Int64 = 0
    public var applicationId: Int64
    public var uuid: String
    public var method: String
    /// The path and query, as sent.
    public var requestURI: String
    public var status: Int
    public var time: Timestamp
    public var requestPayload: String
    public var responsePayload: String

    public init(
        applicationId: Int64, uuid: String, method: String, requestURI: String, status: Int, time: Timestamp,
        requestPayload: String, responsePayload: String
    ) {
        self.applicationId = applicationId
        self.uuid = uuid
        self.method = method
        self.requestURI = requestURI
        self.status = status
        self.time = time
        self.requestPayload = requestPayload
        self.responsePayload = responsePayload
    }
}

public struct AccessLogFilter: Sendable {
    /// nil: every application's.
    public var applicationId: Int64?
    public var rangeStart: Timestamp
    public var rangeEnd: Timestamp
    /// Requests whose path is this one (without the query).
    public var path: String?
    public var method: String?
    /// `success` (2xx) or `error` (the others).
    public var success: Bool?
    public var descending = true
    public init(rangeStart: Timestamp, rangeEnd: Timestamp) {
        self.rangeStart = rangeStart
        self.rangeEnd = rangeEnd
    }
}

/// How an application's recent requests went, for its health report.
public struct AccessSummary: Sendable {
    public var lastUsed: Timestamp?
    public var requests: Int
    public var serverErrors: Int
    public var clientErrors: Int
    public init(lastUsed: Timestamp?, requests: Int, serverErrors: Int, clientErrors: Int) {
        self.lastUsed = lastUsed
        self.requests = requests
        self.serverErrors = serverErrors
        self.clientErrors = clientErrors
    }
}

/// The access log of the Integration API: written in batches, read by the Management API,
/// forgotten by age and beyond a number of rows.
public protocol AccessLogStore {
    func insertAccessLogs(_ entries: [AccessLogEntry]) throws
    func accessLogs(filter: AccessLogFilter, skip: Int, limit: Int, counting: Bool) throws -> Page<AccessLogEntry>
    /// The application's requests since `since`, and when it was last called at all.
    func accessSummary(applicationId: Int64, since: Timestamp) throws -> AccessSummary
    /// Deletes up to `limit` entries from before `before`, or beyond the newest `keep`; how many.
    func pruneAccessLogs(before: Timestamp?, keep: Int?, limit: Int) throws -> Int
}
