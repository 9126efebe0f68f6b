import PerkJSON
import Testing

@testable import PerkEngine
@testable import Talang

@Suite struct CampaignSetTests {
    typealias E = EngineEvaluatorTests

    static func discount(_ name: String, when condition: JSON = true) -> Rule {
        Rule(title: name, condition: condition, effects: [["setDiscount", .string(name), 1]])
    }

    static func evaluate(
        _ campaigns: [CompiledCampaign], set: CampaignSetNode?, codes: [String] = [], coupons: [Coupon] = []
    )
        -> EvaluationResult
    {
        Evaluator.evaluate(
            EvaluationRequest(
                application: E.app, session: E.session(codes: codes), profile: nil, eventType: "talon_session_updated",
                campaigns: campaigns, coupons: coupons, campaignSet: set, now: E.now, cascading: true))
    }

    @Test func exclusiveStackableAndUniversal() throws {
        let c1 = try E.campaign(1, rules: [Self.discount("exclusive-1", when: false)])
        let c2 = try E.campaign(2, rules: [Self.discount("exclusive-2")])
        let c3 = try E.campaign(3, rules: [Self.discount("exclusive-3")])
        let c4 = try E.campaign(4, rules: [Self.discount("stackable")])
        let c5 = try E.campaign(5, rules: [Self.discount("universal")])
        let c6 = try E.campaign(6, rules: [Self.discount("in no set")])
        // ALL[ FIRST[ FIRST[exclusive…], ALL[stackable…] ], ALL[universal…] ]
        let set = CampaignSetNode.set(
            name: "root", operator: .all,
            elements: [
                .set(
                    name: "priority", operator: .first,
                    elements: [
                        .set(
                            name: "exclusive", operator: .first, elements: [.campaign(1), .campaign(2), .campaign(3)]),
                        .set(name: "stackable", operator: .all, elements: [.campaign(4)]),
                    ]),
                .set(name: "universal", operator: .all, elements: [.campaign(5)]),
            ])
        let r = Self.evaluate([c6, c5, c4, c3, c2, c1], set: set)
        #expect(r.effects.compactMap { $0.props["name"]?.stringValue } == ["exclusive-2", "universal", "in no set"])
        #expect(r.triggeredCampaignIds == [2, 5, 6])

        // No exclusive campaign qualifies: the stackable ones run.
        let quiet = try E.campaign(2, rules: [Self.discount("exclusive-2", when: false)])
        let quieter = try E.campaign(3, rules: [Self.discount("exclusive-3", when: false)])
        let r2 = Self.evaluate([c1, quiet, quieter, c4, c5], set: set)
        #expect(r2.effects.compactMap { $0.props["name"]?.stringValue } == ["stackable", "universal"])
        // Without a set: every campaign, in campaign order.
        let r3 = Self.evaluate([c1, c2, c3, c4], set: nil)
        #expect(r3.effects.compactMap { $0.props["name"]?.stringValue } == ["exclusive-2", "exclusive-3", "stackable"])
    }

    @Test func aCouponOfACampaignAFirstSetPassedOverIsRefused() throws {
        let winner = try E.campaign(1, rules: [Self.discount("winner")])
        let loser = try E.campaign(2, rules: [E.couponRule])
        let coupon = Coupon(id: 7, created: E.now, campaignId: 2, value: "LATE", usageLimit: 0)
        let set = CampaignSetNode.set(name: "root", operator: .first, elements: [.campaign(1), .campaign(2)])
        let r = Self.evaluate([winner, loser], set: set, codes: ["LATE"], coupons: [coupon])
        #expect(r.effects.map(\.type) == ["setDiscount", "rejectCoupon"])
        #expect(r.rejections.first?.reason == .couponRejectedByCondition)
        #expect(r.acceptedCoupons.isEmpty)
    }

    @Test func theTreeReadsAndWritesItsJSON() throws {
        let json: JSON = [
            "type": "SET", "name": "root", "operator": "ALL",
            "elements": [
                ["type": "CAMPAIGN", "campaignId": 3],
                ["type": "SET", "name": "x", "operator": "FIRST", "elements": []],
            ],
        ]
        let node = try CampaignSetNode(json: json, at: "/set", root: true)
        #expect(node.json == json)
        #expect(node.campaignIds == [3])
        #expect(throws: FieldError.self) {
            try CampaignSetNode(json: ["type": "CAMPAIGN", "campaignId": 3], at: "/set", root: true)
        }
        #expect(throws: FieldError.self) {
            try CampaignSetNode(
                json: ["type": "SET", "name": "r", "operator": "SOME", "elements": []], at: "/set", root: true)
        }
    }
}
