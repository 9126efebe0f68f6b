import PerkJSON
import Testing

@testable import PerkEngine
@testable import Talang

@Suite struct EngineEvaluatorTests {
    static let now = Timestamp(rfc3339: "2026-06-01T12:00:00Z")!
    static let app = Application(
        id: 1, created: now, modified: now, name: "Shop", description: nil, timezone: "UTC", currency: "EUR",
        caseSensitivity: .sensitive, attributes: [:], limits: [], key: "fefecafedeadbeef")

    static func campaign(_ id: Int64, rules: [Rule], state: CampaignState = .enabled) throws -> CompiledCampaign {
        let c = Campaign(
            id: id, applicationId: 1, userId: 1, created: now, name: "C\(id)", state: state, activeRulesetId: id * 10)
        let r = Ruleset(
            id: id * 10, campaignId: id, userId: 1, created: now, rules: rules, bindings: [], rbVersion: nil,
            activate: true, activatedAt: now)
        return CompiledCampaign(campaign: c, ruleset: try CompiledRuleset(r))
    }

    static func session(codes: [String] = [], total: Int = 100, profile: String = "p") -> CustomerSession {
        var s = CustomerSession(
            id: 1, integrationId: "s", applicationId: 1, created: now, profileId: profile, couponCodes: codes)
        s.cartItems = [CartItem(name: "x", sku: "x", quantity: 1, price: DecimalNumber(total))]
        return s
    }

    static func evaluate(
        _ campaigns: [CompiledCampaign], _ session: CustomerSession, coupons: [Coupon] = [], cascading: Bool = true
    )
        -> EvaluationResult
    {
        Evaluator.evaluate(
            EvaluationRequest(
                application: app, session: session, profile: nil, eventType: "talon_session_updated",
                campaigns: campaigns,
                coupons: coupons, now: now, cascading: cascading))
    }

    static let couponRule = Rule(
        title: "coupon", condition: ["and", ["couponValid"]],
        effects: [["setDiscount", "ten", ["*", [".", "Session", "Total"], 0.1]]])

    @Test func acceptsBeforeTheRuleEffectsAndRejectsLast() throws {
        let c = try Self.campaign(1, rules: [Self.couponRule])
        let coupon = Coupon(id: 7, created: Self.now, campaignId: 1, value: "GOOD", usageLimit: 0)
        let r = Self.evaluate([c], Self.session(codes: ["BAD1", "GOOD"]), coupons: [coupon])
        #expect(r.effects.map(\.type) == ["acceptCoupon", "setDiscount", "rejectCoupon"])
        #expect(r.effects[0].triggeredByCoupon == 7)
        #expect(r.effects[2].campaignId == -1)
        #expect(r.acceptedCoupons.map(\.id) == [7])
        #expect(r.triggeredCampaignIds == [1])
    }

    @Test func refusingACouponWithdrawsItsEffects() throws {
        let c = try Self.campaign(
            1, rules: [Self.couponRule, Rule(title: "always", condition: true, effects: [["addFreeItem", "s", "n"]])])
        let coupon = Coupon(id: 7, created: Self.now, campaignId: 1, value: "GOOD", usageLimit: 1)
        let r = Self.evaluate([c], Self.session(codes: ["GOOD"]), coupons: [coupon]).refusing(
            [7], reason: .couponLimitReached)
        #expect(r.effects.map(\.type) == ["rejectCoupon"])
        #expect(r.effects[0].props["rejectionReason"] == "CouponLimitReached")
        #expect(r.acceptedCoupons.isEmpty)
    }

    @Test func aLedgerCountsWhatACloseConfirmsAndGivesItBack() throws {
        let c = try Self.campaign(1, rules: [Self.couponRule])
        let coupon = Coupon(id: 7, created: Self.now, campaignId: 1, value: "GOOD", usageLimit: 0)
        let result = Self.evaluate([c], Self.session(codes: ["GOOD"]), coupons: [coupon])
        let ledger = RedemptionLedger(confirming: result, sales: DecimalNumber(100))
        #expect(ledger.coupons == [.init(couponId: 7, campaignId: 1, value: "GOOD")])
        #expect(ledger.discounts.map(\.value) == [DecimalNumber(10)])
        let counted = try #require(ledger.counterDeltas()[1])
        #expect(
            counted.couponRedemptionCount == 1 && counted.discountEffectCount == 1
                && counted.discountCount == DecimalNumber(10))
        let givenBack = try #require(ledger.counterDeltas(sign: -1)[1])
        #expect(givenBack.couponRedemptionCount == -1 && givenBack.discountCount == DecimalNumber(-10))
    }

    @Test func cascadingOnlyInV2() throws {
        let rule = Rule(
            title: "10%", condition: true, effects: [["setDiscount", "d", ["*", [".", "Session", "Total"], 0.1]]])
        let campaigns = [try Self.campaign(1, rules: [rule]), try Self.campaign(2, rules: [rule])]
        let v2 = Self.evaluate(campaigns, Self.session()).effects.compactMap { $0.discount?.value.description }
        let v1 = Self.evaluate(campaigns, Self.session(), cascading: false).effects.compactMap {
            $0.discount?.value.description
        }
        #expect(v2 == ["10.0", "9.00"])
        #expect(v1 == ["10.0", "10.0"])
    }

    @Test func conditionErrorsDoNotFireAndEffectErrorsAreSkipped() throws {
        let c = try Self.campaign(
            1,
            rules: [
                Rule(title: "bad condition", condition: [".", "Nope"], effects: [["setDiscount", "x", 1]]),
                Rule(
                    title: "partly bad", condition: true,
                    effects: [["setDiscount", "bad", [".", "Nope"]], ["setDiscount", "good", 1]]),
            ])
        let r = Self.evaluate([c], Self.session())
        #expect(r.effects.map { $0.props["name"] } == ["good"])
        #expect(r.effects[0].ruleIndex == 1 && r.effects[0].ruleName == "partly bad")
    }

    @Test func notRunningCampaignsAreSkipped() throws {
        let rule = Rule(title: "r", condition: true, effects: [["setDiscount", "d", 1]])
        var future = try Self.campaign(2, rules: [rule])
        future = CompiledCampaign(
            campaign: {
                var c = future.campaign
                c.startTime = Timestamp(rfc3339: "2030-01-01T00:00:00Z")
                return c
            }(),
            ruleset: future.ruleset)
        let r = Self.evaluate([try Self.campaign(1, rules: [rule], state: .disabled), future], Self.session())
        #expect(r.effects.isEmpty)
    }

    @Test func precheckReasons() {
        let campaign = Campaign(id: 1, applicationId: 1, userId: 1, created: Self.now, name: "c")
        func reason(_ c: Coupon, profile: String = "p") -> CouponRejectionReason? {
            Evaluator.precheck(c, campaign, Self.session(profile: profile), Self.now)
        }
        let base = Coupon(id: 1, created: Self.now, campaignId: 1, value: "CODE", usageLimit: 2, usageCounter: 2)
        #expect(reason(base) == .couponLimitReached)
        var c = base
        c.usageCounter = 1
        #expect(reason(c) == nil)
        c.expiryDate = Self.now
        #expect(reason(c) == .couponExpired)
        c.expiryDate = nil
        c.recipientIntegrationId = "other"
        #expect(reason(c) == .couponRecipientDoesNotMatch)
        #expect(reason(c, profile: "") == .couponRecipientDoesNotMatch)
        #expect(reason(c, profile: "other") == nil)
    }
}

@Suite struct SessionMachineTests {
    static let now = Timestamp(rfc3339: "2026-06-01T12:00:00Z")!
    static let blank = CustomerSession(id: 0, integrationId: "s", applicationId: 1, created: now)

    static func patch(_ state: SessionState?, profile: String? = nil) -> SessionPatch {
        var p = SessionPatch()
        p.state = state
        p.profileId = profile
        return p
    }

    static func stored(_ state: SessionState, profile: String = "") -> CustomerSession {
        var s = blank
        s.state = state
        s.profileId = profile
        return s
    }

    @Test func transitions() throws {
        #expect(
            try SessionMachine.apply(Self.patch(nil), to: nil, new: Self.blank, now: Self.now).transition == .created)
        let createdClosed = try SessionMachine.apply(Self.patch(.closed), to: nil, new: Self.blank, now: Self.now)
        #expect(createdClosed.closes)
        #expect(
            try SessionMachine.apply(Self.patch(.closed), to: Self.stored(.open), new: Self.blank, now: Self.now)
                .transition == .closed)
        #expect(
            try SessionMachine.apply(Self.patch(.cancelled), to: Self.stored(.open), new: Self.blank, now: Self.now)
                .transition == .cancelled)
        #expect(
            try SessionMachine.apply(Self.patch(.cancelled), to: Self.stored(.closed), new: Self.blank, now: Self.now)
                .transition == .revoked)
        #expect(
            try SessionMachine.apply(Self.patch(.closed), to: Self.stored(.closed), new: Self.blank, now: Self.now)
                .transition == .unchanged)
        #expect(
            try SessionMachine.apply(Self.patch(nil), to: Self.stored(.cancelled), new: Self.blank, now: Self.now)
                .transition == .unchanged)
        #expect(throws: SessionUpdateError.invalidTransition(from: .closed, to: .open)) {
            try SessionMachine.apply(Self.patch(.open), to: Self.stored(.closed), new: Self.blank, now: Self.now)
        }
        #expect(throws: SessionUpdateError.invalidTransition(from: .cancelled, to: .closed)) {
            try SessionMachine.apply(Self.patch(.closed), to: Self.stored(.cancelled), new: Self.blank, now: Self.now)
        }
        #expect(throws: SessionUpdateError.invalidTransition(from: .closed, to: .closed)) {
            try SessionMachine.apply(
                Self.patch(.closed, profile: "x"), to: Self.stored(.closed), new: Self.blank, now: Self.now)
        }
        #expect(
            SessionUpdateError.invalidTransition(from: .closed, to: .open).message
                == #"Cannot move session to state "open" from state "closed""#)
    }

    @Test func profilesAttachOnceAndNeverMove() throws {
        let attached = try SessionMachine.apply(
            Self.patch(nil, profile: "p"), to: Self.stored(.open), new: Self.blank, now: Self.now)
        #expect(attached.profileAttached)
        #expect(throws: SessionUpdateError.self) {
            try SessionMachine.apply(
                Self.patch(nil, profile: "q"), to: Self.stored(.open, profile: "p"), new: Self.blank, now: Self.now)
        }
        #expect(
            !(try SessionMachine.apply(
                Self.patch(nil, profile: "p"), to: Self.stored(.open, profile: "p"), new: Self.blank, now: Self.now))
                .profileAttached)
    }
}

@Suite struct CodeGeneratorTests {
    @Test func patternsAndRanges() throws {
        let g = try CodeGenerator(pattern: "AB-###", validCharacters: ["0-9", "[x-z]", "Q"], prefix: "P")
        #expect(g.alphabet.count == 14)
        #expect(g.capacity == 2744)
        var rng = SystemRandomNumberGenerator()
        let code = g.make(using: &rng)
        #expect(code.hasPrefix("PAB-") && code.count == 7)
        #expect(code.dropFirst(4).allSatisfy { g.alphabet.contains($0) })
        #expect(throws: CodeGenerator.Problem.self) { try CodeGenerator(pattern: "##", validCharacters: ["z-a"]) }
        #expect(throws: CodeGenerator.Problem.emptyAlphabet) { try CodeGenerator(pattern: "##", validCharacters: []) }
        #expect(try CodeGenerator(pattern: "FIXED", validCharacters: []).capacity == 1)
    }
}

@Suite struct AnalyticsGranularityTests {
    static func t(_ s: String) -> Timestamp { Timestamp(rfc3339: s)! }

    @Test func periodsStartWhereTheCalendarSays() {
        let at = Self.t("2026-03-18T15:42:10Z")  // a Wednesday
        #expect(AnalyticsGranularity.hour.start(of: at) == Self.t("2026-03-18T15:00:00Z"))
        #expect(AnalyticsGranularity.day.start(of: at) == Self.t("2026-03-18T00:00:00Z"))
        #expect(AnalyticsGranularity.week.start(of: at) == Self.t("2026-03-16T00:00:00Z"))
        #expect(AnalyticsGranularity.month.start(of: at) == Self.t("2026-03-01T00:00:00Z"))
        #expect(AnalyticsGranularity.year.start(of: at) == Self.t("2026-01-01T00:00:00Z"))
        #expect(
            AnalyticsGranularity.month.next(after: Self.t("2026-12-01T00:00:00Z")) == Self.t("2027-01-01T00:00:00Z"))
        #expect(AnalyticsGranularity.week.next(after: Self.t("2026-03-16T00:00:00Z")) == Self.t("2026-03-23T00:00:00Z"))
    }

    @Test func aSeriesAddsUpItsPeriodsAndRunningTotals() {
        var a = CampaignActivity(campaignId: 1, at: Self.t("2026-03-01T10:00:00Z"))
        a.couponRedemptions = 2
        var b = CampaignActivity(campaignId: 1, at: Self.t("2026-03-03T10:00:00Z"))
        b.couponRollbacks = 1
        let series = CampaignAnalytics.series(
            campaignId: 1, activity: [a, b], couponsCreated: [Self.t("2026-03-02T01:00:00Z")], referralsCreated: [],
            rangeStart: Self.t("2026-03-02T05:00:00Z"), rangeEnd: Self.t("2026-03-04T00:00:00Z"), granularity: .day)
        #expect(series.map(\.date) == [Self.t("2026-03-02T00:00:00Z"), Self.t("2026-03-03T00:00:00Z")])
        #expect(series.map(\.period.couponRedemptions) == [0, 0])
        #expect(series.map(\.total.couponRedemptions) == [2, 2])
        #expect(series.map(\.period.couponRollbacks) == [0, 1])
        #expect(series.map(\.couponsCreated) == [1, 0])
        #expect(series.map(\.totalCouponsCreated) == [1, 1])
    }
}
