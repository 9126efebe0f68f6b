import PerkEngine
import Talang

/// A call waiting in the outbox: written by the update that triggered it, in its transaction.
public struct WebhookDelivery: Sendable {
    public var id: Int64
    /// The idempotency key receivers see: the same on every attempt.
    public var uuid: String
    public var webhookId: Int64
    public var applicationId: Int64
    public var campaignId: Int64
    /// The integration request that triggered it.
    public var requestUUID: String
    public var verb: String
    public var url: String
    public var headers: [String]
    public var body: String
    public var created: Timestamp
    /// Attempts made so far, this one included once claimed.
    public var attempts: Int

    public init(
        id: Int64 = 0, uuid: String, webhookId: Int64, applicationId: Int64, campaignId: Int64, requestUUID: String,
        verb: String, url: String, headers: [String], body: String, created: Timestamp, attempts: Int = 0
    ) {
        self.id = id
        self.uuid = uuid
        self.webhookId = webhookId
        self.applicationId = applicationId
        self.campaignId = campaignId
        self.requestUUID = requestUUID
        self.verb = verb
        self.url = url
        self.headers = headers
        self.body = body
        self.created = created
        self.attempts = attempts
    }
}

/// One attempt at a delivery, as `GET /v1/webhook_logs` shows it.
public struct WebhookAttempt: Sendable {
    public var id: Int64 = 0
    /// This attempt's own UUID.
    public var uuid: String
    public var deliveryUUID: String
    public var requestUUID: String
    public var webhookId: Int64
    public var applicationId: Int64
    public var campaignId: Int64
    public var url: String
    public var request: String
    /// The response's body (its start), or why there was none.
    public var response: String?
    /// The HTTP status; nil when no response came (refused, timed out).
    public var status: Int?
    public var requestTime: Timestamp
    public var responseTime: Timestamp?

    public init(
        uuid: String, deliveryUUID: String, requestUUID: String, webhookId: Int64, applicationId: Int64,
        campaignId: Int64, url: String, request: String, response: String?, status: Int?, requestTime: Timestamp,
        responseTime: Timestamp?
    ) {
        self.uuid = uuid
        self.deliveryUUID = deliveryUUID
        self.requestUUID = requestUUID
        self.webhookId = webhookId
        self.applicationId = applicationId
        self.campaignId = campaignId
        self.url = url
        self.request = request
        self.response = response
        self.status = status
        self.requestTime = requestTime
        self.responseTime = responseTime
    }
}

/// A rule triggering a webhook, as `GET /v1/webhook_activation_logs` shows it.
public struct WebhookActivation: Sendable {
    public var requestUUID: String
    public var webhookId: Int64
    public var applicationId: Int64
    public var campaignId: Int64
    public var created: Timestamp
}

public struct WebhookLogFilter: Sendable {
    public var webhookId: Int64?
    public var applicationId: Int64?
    public var campaignId: Int64?
    /// `requestUuid` of the logs, `integrationRequestUuid` of the activations.
    public var requestUUID: String?
    /// true: 2xx answers only; false: the others.
    public var success: Bool?
    public var createdBefore: Timestamp?
    public var createdAfter: Timestamp?
    public var descending = true
    public init() {}
}

/// Webhooks, and the outbox their calls wait in until delivered. Several nodes may deliver from
/// one outbox: a claim moves a delivery's due time past the attempt's timeout, under a row lock
/// other claimers skip, so that each attempt is made by one node, and a node that dies during one
/// leaves the delivery to be claimed again once that time passes.
public protocol WebhookStore {
    func insertWebhook(_ webhook: Webhook) throws -> Webhook
    func updateWebhook(_ webhook: Webhook) throws
    func deleteWebhook(id: Int64) throws -> Bool
    func webhook(id: Int64) throws -> Webhook?
    func webhooks() throws -> [Webhook]

    /// Adds a call to the outbox, due at once, and the activation that triggered it.
    func enqueue(_ delivery: WebhookDelivery) throws
    /// Up to `limit` deliveries due at `now`, each claimed until `leaseUntil` with its attempt counted.
    func claimDeliveries(now: Timestamp, leaseUntil: Timestamp, limit: Int) throws -> [WebhookDelivery]
    /// Records an attempt; the delivery is done (`retryAt` nil) or due again at `retryAt`.
    func recordAttempt(_ attempt: WebhookAttempt, deliveryId: Int64, done: Bool, failed: Bool, retryAt: Timestamp?)
        throws
    /// When the next pending delivery is due, if any.
    func nextDeliveryDue() throws -> Timestamp?

    func webhookLogs(filter: WebhookLogFilter, skip: Int, limit: Int) throws -> Page<WebhookAttempt>
    func webhookActivations(filter: WebhookLogFilter, skip: Int, limit: Int) throws -> Page<WebhookActivation>
}
