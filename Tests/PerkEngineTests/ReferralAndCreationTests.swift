import PerkJSON
import Testing

@testable import PerkEngine
@testable import Talang

/// Referral validation, `redeemReferral`, `updateAttribute` and the creation effects, in-process.
@Suite struct ReferralAndCreationTests {
    typealias E = EngineEvaluatorTests
    static let now = E.now

    static let referralRule = Rule(
        title: "friend", condition: ["and", ["referralValid"]],
        effects: [["setDiscount", "welcome", 5], ["redeemReferral"]])

    static func referral(
        campaign: Int64 = 1, advocate: String = "ann", friend: String? = nil, start: String? = nil,
        expiry: String? = nil, counter: Int64 = 0, limit: Int64 = 1
    ) -> Referral {
        Referral(
            id: 9, created: now, campaignId: campaign, advocateProfileIntegrationId: advocate,
            friendProfileIntegrationId: friend, startDate: start.flatMap(Timestamp.init(rfc3339:)),
            expiryDate: expiry.flatMap(Timestamp.init(rfc3339:)), code: "REF-1", usageCounter: counter,
            usageLimit: limit)
    }

    static func evaluate(_ campaigns: [CompiledCampaign], profile: String = "bob", referral: Referral?)
        -> EvaluationResult
    {
        var s = E.session(profile: profile)
        s.referralCode = "REF-1"
        return Evaluator.evaluate(
            EvaluationRequest(
                application: E.app, session: s, profile: nil, eventType: "talon_session_updated",
                campaigns: campaigns, coupons: [], referral: referral, now: now, cascading: true))
    }

    @Test func aValidReferralIsAcceptedBeforeItsRuleEffects() throws {
        let c = try E.campaign(1, rules: [Self.referralRule])
        let r = Self.evaluate([c], referral: Self.referral())
        #expect(r.effects.map(\.type) == ["acceptReferral", "setDiscount", "redeemReferral"])
        #expect(r.effects[2].props == ["id": 9, "value": "REF-1"])
        #expect(r.acceptedReferral?.id == 9)
        #expect(r.referralRejection == nil)
    }

    @Test func everyReferralRejectionReason() throws {
        let running = try E.campaign(1, rules: [Self.referralRule])
        let cases: [(Referral?, String, [CompiledCampaign], ReferralRejectionReason)] = [
            (nil, "bob", [running], .referralNotFound),
            (Self.referral(), "ann", [running], .referralRecipientIdSameAsAdvocate),
            (Self.referral(friend: "carl"), "bob", [running], .referralRecipientDoesNotMatch),
            (Self.referral(friend: "carl"), "", [running], .referralRecipientDoesNotMatch),
            (Self.referral(expiry: "2026-05-01T00:00:00Z"), "bob", [running], .referralExpired),
            (Self.referral(start: "2026-07-01T00:00:00Z"), "bob", [running], .referralStartDateInFuture),
            (Self.referral(counter: 1, limit: 1), "bob", [running], .referralLimitReached),
            (
                Self.referral(), "bob", [try E.campaign(1, rules: [Self.referralRule], state: .disabled)],
                .referralPartOfNotRunningCampaign
            ),
            (Self.referral(), "bob", [try E.campaign(1, rules: [E.couponRule])], .referralValidConditionMissing),
            (
                Self.referral(), "bob",
                [
                    try E.campaign(
                        1, rules: [Rule(title: "never", condition: ["and", ["referralValid"], false], effects: [])])
                ],
                .referralRejectedByCondition
            ),
        ]
        for (referral, profile, campaigns, reason) in cases {
            let r = Self.evaluate(campaigns, profile: profile, referral: referral)
            #expect(r.referralRejection?.reason == reason, "\(reason)")
            #expect(r.acceptedReferral == nil)
            #expect(r.effects.last?.type == "rejectReferral")
            #expect(r.effects.last?.props["rejectionReason"]?.stringValue == reason.rawValue)
            #expect(!r.effects.contains { $0.type == "redeemReferral" })
        }
        #expect(Self.evaluate([running], referral: nil).effects.last?.campaignId == -1)
    }

    @Test func refusingAReferralAtCloseTurnsItsAcceptanceIntoARejection() throws {
        let c = try E.campaign(1, rules: [Self.referralRule])
        let r = Self.evaluate([c], referral: Self.referral()).refusingReferral(reason: .referralLimitReached)
        #expect(r.effects.map(\.type) == ["setDiscount", "rejectReferral"])
        #expect(r.acceptedReferral == nil)
        #expect(r.referralRejection?.reason == .referralLimitReached)
    }

    @Test func theLedgerCountsTheReferralForItsCampaign() throws {
        let c = try E.campaign(1, rules: [Self.referralRule])
        let result = Self.evaluate([c], referral: Self.referral())
        let ledger = RedemptionLedger(confirming: result, sales: DecimalNumber(100))
        #expect(ledger.referral == RedemptionLedger.RedeemedReferral(referralId: 9, campaignId: 1, code: "REF-1"))
        #expect(ledger.counterDeltas()[1]?.referralRedemptionCount == 1)
        #expect(ledger.counterDeltas(sign: -1)[1]?.referralRedemptionCount == -1)
        #expect(try RedemptionLedger(json: ledger.json) == ledger)
    }

    @Test func updateAttributeNamesSessionOrProfileAttributes() throws {
        let c = try E.campaign(
            1,
            rules: [
                Rule(
                    title: "tag", condition: true,
                    effects: [
                        ["updateAttribute", "Profile.Attributes.vip", true],
                        ["updateAttribute", "Session.Attributes.note", ["+", 1, 2]],
                        ["updateAttribute", "Cart.Attributes.x", 1],
                    ])
            ])
        let named = Self.evaluate([c], referral: nil).effects.filter { $0.type == "updateAttribute" }
        #expect(
            named.map(\.props) == [
                ["path": "Profile.Attributes.vip", "value": true], ["path": "Session.Attributes.note", "value": 3],
            ])
        // An anonymous session has no profile to write to: that effect is skipped.
        let anonymous = Self.evaluate([c], profile: "", referral: nil).effects.filter { $0.type == "updateAttribute" }
        #expect(anonymous.map { $0.props["path"] } == ["Session.Attributes.note"])
    }

    @Test func creationsDescribeTheirCodeAndAreNumberedPerRule() throws {
        var campaign = try E.campaign(1, rules: []).campaign
        campaign.couponSettings = CodeGeneratorSettings(validCharacters: ["A-Z"], couponPattern: "GIFT-####")
        let c = CompiledCampaign(
            campaign: campaign,
            ruleset: try CompiledRuleset(
                Ruleset(
                    id: 10, campaignId: 1, userId: 1, created: Self.now,
                    rules: [
                        Rule(title: "none", condition: false, effects: []),
                        Rule(
                            title: "gifts", condition: true,
                            effects: [["createCoupon"], ["createCoupon", "carl"], ["createReferral", "dan"]]),
                    ], bindings: [], rbVersion: nil, activate: true, activatedAt: Self.now)))
        let effects = Self.evaluate([c], referral: nil).effects.filter { $0.creation != nil }
        #expect(effects.map(\.type) == ["couponCreated", "couponCreated", "referralCreated"])
        #expect(effects.map { $0.creation?.key } == ["1/1/0", "1/1/1", "1/1/2"])
        #expect(effects[0].creation?.kind == .coupon(profileId: "bob"))
        #expect(effects[0].creation?.settings?.couponPattern == "GIFT-####")
        #expect(effects[0].props == ["value": "", "profileId": "bob"])
        #expect(effects[1].creation?.kind == .coupon(profileId: "carl"))
        #expect(effects[2].creation?.kind == .referral(advocateId: "bob", friendId: "dan"))
        #expect(effects[2].creation?.settings == nil)
        // No advocate without a profile.
        #expect(!Self.evaluate([c], profile: "", referral: nil).effects.contains { $0.type == "referralCreated" })
    }
}
