import Crypto
import Foundation
import PerkEngine
import PerkStorage
import Talang

/// Writes the calls of committed `triggerWebhook` effects into the outbox, in the transaction of
/// the update that triggered them: a call exists only if its update was committed, and once it
/// exists it is delivered (`WebhookDispatcher`), even after a crash.
enum WebhookOutbox {
    /// The header carrying the HMAC-SHA256 of the body under the webhook's secret, as
    /// `sha256=<hex>` (Perk's own; Talon.One does not sign).
    static let signatureHeader = "X-Perk-Signature"
    /// The same on every attempt at one delivery, for receivers to de-duplicate.
    static let idempotencyHeader = "Idempotency-Key"

    /// Enqueues one call per `triggerWebhook` effect; whether there was any.
    @discardableResult
    static func enqueue(_ tx: any StoreTransaction, _ effects: [Effect], applicationId: Int64, now: Timestamp) throws
        -> Bool
    {
        let calls = effects.compactMap { e in e.webhook.map { (e.campaignId, $0) } }
        guard !calls.isEmpty else { return false }
        let requestUUID = UUID().uuidString.lowercased()
        for (campaignId, call) in calls {
            let uuid = UUID().uuidString.lowercased()
            var headers = call.headers
            headers.append("\(idempotencyHeader): \(uuid)")
            headers.append("\(signatureHeader): sha256=\(signature(call.body, secret: call.secret))")
            try tx.enqueue(
                WebhookDelivery(
                    uuid: uuid, webhookId: call.webhookId, applicationId: applicationId, campaignId: campaignId,
                    requestUUID: requestUUID, verb: call.verb, url: call.url, headers: headers, body: call.body,
                    created: now))
        }
        return true
    }

    /// Lowercase hex HMAC-SHA256 of the body's UTF-8 bytes under the secret's.
    static func signature(_ body: String, secret: String) -> String {
        Credentials.hex(
            HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: Array(secret.utf8))))
    }
}
