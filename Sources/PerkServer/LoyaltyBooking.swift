import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// Books the points of committed effects in the ledgers, and gives them back.
enum LoyaltyBooking {
    /// Adds and deducts the points `effects` move, writing each transaction's UUID into its
    /// effect. A deduction the balance can no longer pay (another update spent the points since
    /// this one was evaluated) ends the transaction with `StoreError.conflict`, so that the update
    /// is evaluated again with the balance as it is.
    static func book(
        _ tx: any StoreTransaction, _ effects: inout [Effect], profileId: String, sessionId: String, now: Timestamp
    ) throws -> [BookedPoints] {
        var booked: [BookedPoints] = []
        for i in effects.indices {
            guard let points = effects[i].points, !profileId.isEmpty else { continue }
            let e = effects[i]
            let uuid: String
            switch points.kind {
            case .added:
                let validity = e.props["expiryCondition"]?.stringValue.flatMap(PointsValidity.init) ?? .unlimited
                var addition = PointsAddition(
                    ledger: points.ledger, profileId: profileId, amount: points.amount,
                    name: e.props["name"]?.stringValue ?? e.ruleName, created: now, expires: validity.expiry(from: now))
                addition.sessionId = sessionId
                addition.campaignId = e.campaignId
                addition.rulesetId = e.rulesetId
                addition.ruleName = e.ruleName
                uuid = try tx.addPoints(addition)
            case .deducted:
                guard
                    let made = try tx.deductPoints(
                        ledger: points.ledger, profileId: profileId, amount: points.amount,
                        name: e.props["name"]?.stringValue ?? "", now: now, sessionId: sessionId,
                        campaignId: e.campaignId, rulesetId: e.rulesetId, ruleName: e.ruleName, userId: nil)
                else { throw StoreError.conflict }
                uuid = made
            }
            effects[i].props["transactionUUID"] = .string(uuid)
            booked.append(
                BookedPoints(
                    kind: points.kind, campaignId: e.campaignId, programId: points.ledger.programId,
                    subledger: points.ledger.subledger, amount: points.amount, profileId: profileId,
                    transactionUUID: uuid))
        }
        return booked
    }

    /// Takes back the points a close added and gives back those it deducted, as rollback
    /// effects. Added points already spent are taken back only as far as the balance goes.
    static func giveBack(_ tx: any StoreTransaction, _ booked: [BookedPoints], now: Timestamp) throws -> [Effect] {
        var effects: [Effect] = []
        for b in booked {
            let type: String
            let done: (DecimalNumber, String)?
            switch b.kind {
            case .added:
                type = "rollbackAddedLoyaltyPoints"
                done = try tx.revokePoints(transactionUUID: b.transactionUUID, name: "Cancelled session", now: now)
            case .deducted:
                type = "rollbackDeductedLoyaltyPoints"
                done = try tx.restorePoints(transactionUUID: b.transactionUUID, name: "Cancelled session", now: now)
            }
            guard let (amount, uuid) = done else { continue }
            effects.append(
                .engine(
                    type, campaignId: b.campaignId,
                    props: [
                        "programId": .number(b.programId), "subLedgerId": .string(b.subledger), "value": amount.json,
                        "recipientIntegrationId": .string(b.profileId), "transactionUUID": .string(uuid),
                    ]))
        }
        return effects
    }
}
