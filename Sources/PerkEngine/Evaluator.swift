import PerkJSON
import Talang

/// Everything one evaluation of a session reads. Built by the caller from storage and the
/// in-memory campaign catalogue; the evaluation itself touches nothing else.
public struct EvaluationRequest: Sendable {
    public var application: Application
    public var session: CustomerSession
    public var profile: CustomerProfile?
    public var eventType: String
    public var eventAttributes: JSONObject
    /// Every campaign of the application, in evaluation order; the engine skips those not running.
    public var campaigns: [CompiledCampaign]
    /// The stored coupons matching the session's codes (any campaign of the application).
    public var coupons: [Coupon]
    /// The stored referral matching the session's referral code.
    public var referral: Referral?
    /// Which of `coupons` the session's profile has reserved (hard reservations need it).
    public var reservedCouponIds: Set<Int64> = []
    /// The application's campaign priority tree, when it has one.
    public var campaignSet: CampaignSetNode?
    /// Confirmed usage of the budget counters the session can touch (see `Campaign.limitKeys`).
    public var limitUsage: [LimitKey: DecimalNumber] = [:]
    public var now: Timestamp
    /// v2: a later rule sees `Session.Total` lowered by the discounts earlier rules set.
    public var cascading: Bool
    /// How much evaluation the rules may do.
    public var limits: EvaluationLimits = .standard
    /// The application's offset from UTC at `now`, in seconds (the rules' `now()` is in it).
    public var utcOffsetSeconds: Int32 = 0
    /// The loyalty programs the application is subscribed to, and the profile's balances in them.
    public var loyalty = LoyaltyFacts()
    /// The webhooks the application's rules may trigger, by id.
    public var webhooks: [Int64: Webhook] = [:]

    public init(
        application: Application, session: CustomerSession, profile: CustomerProfile?, eventType: String,
        eventAttributes: JSONObject = JSONObject(), campaigns: [CompiledCampaign], coupons: [Coupon],
        referral: Referral? = nil, reservedCouponIds: Set<Int64> = [], campaignSet: CampaignSetNode? = nil,
        limitUsage: [LimitKey: DecimalNumber] = [:], now: Timestamp, cascading: Bool
    ) {
        self.limitUsage = limitUsage
        self.campaignSet = campaignSet
        self.referral = referral
        self.reservedCouponIds = reservedCouponIds
        self.application = application
        self.session = session
        self.profile = profile
        self.eventType = eventType
        self.eventAttributes = eventAttributes
        self.campaigns = campaigns
        self.coupons = coupons
        self.now = now
        self.cascading = cascading
    }
}

public struct CouponRejection: Sendable, Equatable {
    public var code: String
    public var campaignId: Int64
    public var couponId: Int64
    public var reason: CouponRejectionReason
}

public struct ReferralRejection: Sendable, Equatable {
    public var code: String
    public var campaignId: Int64
    public var referralId: Int64
    public var reason: ReferralRejectionReason
}

public struct EvaluationResult: Sendable {
    /// In campaign and rule order, each `acceptCoupon` just before the effects of the rule that
    /// validated it, rejections last.
    public var effects: [Effect]
    public var acceptedCoupons: [Coupon]
    public var rejections: [CouponRejection]
    /// The session's referral, when a rule validating it fired.
    public var acceptedReferral: Referral?
    public var referralRejection: ReferralRejection?
    /// Campaigns whose rules produced effects.
    public var triggeredCampaignIds: [Int64]
    /// What confirming this result adds to the campaigns' budget counters (`createCoupon` ones are
    /// charged when the code is made, and never given back).
    public var limitCharges: [LimitCharge] = []
    /// Rules that did not fire (or lost an effect) because evaluating them failed.
    public var failures: [RuleFailure] = []

    /// The result after the coupons in `refused` could not be redeemed at close: each such
    /// coupon's acceptance becomes a rejection with `reason`, and the effects its evaluation
    /// produced are withdrawn.
    public func refusing(_ refused: Set<Int64>, reason: CouponRejectionReason) -> EvaluationResult {
        guard !refused.isEmpty else { return self }
        var out = self
        out.effects = []
        var newRejections: [Effect] = []
        for e in effects {
            guard let id = e.triggeredByCoupon, refused.contains(id) else {
                out.effects.append(e)
                continue
            }
            if e.type == "acceptCoupon" {
                newRejections.append(
                    Effect.engine(
                        "rejectCoupon", campaignId: e.campaignId, rulesetId: e.rulesetId,
                        props: ["value": e.props["value"] ?? .string(""), "rejectionReason": .string(reason.rawValue)]))
            }
        }
        out.effects += newRejections
        out.limitCharges = limitCharges.filter { c in c.couponId.map { !refused.contains($0) } ?? true }
        out.acceptedCoupons = acceptedCoupons.filter { !refused.contains($0.id) }
        out.rejections += acceptedCoupons.filter { refused.contains($0.id) }.map {
            CouponRejection(code: $0.value, campaignId: $0.campaignId, couponId: $0.id, reason: reason)
        }
        return out
    }

    /// The result after the accepted referral could not be redeemed at close: its acceptance
    /// becomes a rejection with `reason`, and no effect says it was redeemed.
    public func refusingReferral(reason: ReferralRejectionReason) -> EvaluationResult {
        guard let referral = acceptedReferral else { return self }
        var out = self
        out.effects = []
        var rejection: Effect?
        for e in effects {
            switch e.type {
            case "acceptReferral":
                rejection = Effect.engine(
                    "rejectReferral", campaignId: e.campaignId, rulesetId: e.rulesetId,
                    props: ["value": .string(referral.code), "rejectionReason": .string(reason.rawValue)])
            case "redeemReferral": continue
            default: out.effects.append(e)
            }
        }
        if let rejection { out.effects.append(rejection) }
        out.limitCharges = limitCharges.filter { $0.key.action != "redeemReferral" }
        out.acceptedReferral = nil
        out.referralRejection = ReferralRejection(
            code: referral.code, campaignId: referral.campaignId, referralId: referral.id, reason: reason)
        return out
    }
}

extension RedemptionLedger {
    /// What a close confirms of an evaluation: its accepted coupons and its discounts.
    public init(confirming result: EvaluationResult, sales: DecimalNumber) {
        self.init(
            coupons: result.acceptedCoupons.map { .init(couponId: $0.id, campaignId: $0.campaignId, value: $0.value) },
            referral: result.acceptedReferral.map {
                .init(referralId: $0.id, campaignId: $0.campaignId, code: $0.code)
            },
            discounts: result.effects.compactMap { e in
                e.discount.map { .init(campaignId: e.campaignId, name: $0.name, value: $0.value) }
            },
            charges: result.limitCharges, sales: sales)
    }

    /// What the ledger adds to each campaign's counters; with `sign` -1, what giving it back removes.
    public func counterDeltas(sign: Int64 = 1) -> [Int64: CampaignCounters] {
        var deltas: [Int64: CampaignCounters] = [:]
        for c in coupons { deltas[c.campaignId, default: CampaignCounters()].couponRedemptionCount += sign }
        if let r = referral { deltas[r.campaignId, default: CampaignCounters()].referralRedemptionCount += sign }
        for d in discounts {
            var delta = deltas[d.campaignId] ?? CampaignCounters()
            delta.discountCount = delta.discountCount + DecimalNumber(sign) * d.value
            delta.discountEffectCount += sign
            deltas[d.campaignId] = delta
        }
        return deltas
    }
}

/// The mutable state of one evaluation as it goes through the campaigns.
struct Pass {
    let request: EvaluationRequest
    /// Prechecked coupons by campaign.
    let candidates: [Int64: [Coupon]]
    /// The session's referral, when it passed its prechecks.
    let referral: Referral?
    var root: ValueMap
    var total: DecimalNumber
    var rejections: [CouponRejection]
    var referralRejection: ReferralRejection?
    var effects: [Effect] = []
    var accepted: [Coupon] = []
    var acceptedReferral: Referral?
    var triggered: [Int64] = []
    /// Campaigns already evaluated or passed over.
    var visited: Set<Int64> = []
    var limits: LimitLedger
    var budget: RequestBudget
    var failures: [RuleFailure] = []
    let evaluationTime: TimeValue
    /// What is left to discount of each item, cost and the total.
    var room: DiscountRoom
    /// Cart positions whose per-item discounts a campaign may not give (cart item scoped groups).
    var deniedPositions: [Int64: Set<Int>] = [:]
    let cart: CartFacts
    /// Points deducted so far, by ledger.
    var deducted: [LedgerKey: DecimalNumber] = [:]

    init(
        request: EvaluationRequest, candidates: [Int64: [Coupon]], referral: Referral?, root: ValueMap,
        total: DecimalNumber, rejections: [CouponRejection], referralRejection: ReferralRejection?
    ) {
        self.request = request
        self.candidates = candidates
        self.referral = referral
        self.root = root
        self.total = total
        self.rejections = rejections
        self.referralRejection = referralRejection
        self.limits = LimitLedger(confirmed: request.limitUsage)
        self.budget = RequestBudget(request.limits)
        self.room = DiscountRoom(request.session)
        self.cart = CartFacts(request)
        self.evaluationTime = TimeValue(
            seconds: request.now.microseconds / 1_000_000,
            nanoseconds: Int32(request.now.microseconds % 1_000_000) * 1000,
            offsetSeconds: request.utcOffsetSeconds)
    }

    func subject(coupon: Coupon? = nil, referral: Referral? = nil) -> LimitSubject {
        LimitSubject(
            couponId: coupon?.id, referralId: referral?.id, profileId: request.session.profileId,
            identifiers: request.session.identifiers)
    }

    /// Evaluates a campaign-set node; whether it qualified (produced effects).
    mutating func visit(_ node: CampaignSetNode, _ campaigns: [Int64: CompiledCampaign]) -> Bool {
        switch node {
        case .campaign(let id):
            guard let compiled = campaigns[id], !visited.contains(id) else { return false }
            return campaign(compiled)
        case .set(_, let op, let elements, let evaluation):
            let mode = evaluation?.mode ?? (op == .all ? .stackable : .listOrder)
            if evaluation?.scope == .cartItem && mode != .stackable { return perItem(elements, mode, campaigns) }
            switch mode {
            case .stackable:
                var qualified = false
                for e in elements where visit(e, campaigns) { qualified = true }
                return qualified
            case .listOrder:
                for (i, e) in elements.enumerated() where visit(e, campaigns) {
                    for skipped in elements[(i + 1)...] { passOver(skipped, campaigns) }
                    return true
                }
                return false
            case .lowestDiscount, .highestDiscount:
                return best(elements, mode, campaigns)
            }
        }
    }

    /// The discounts effects from `start` on add up to.
    func discounted(since start: Int) -> DecimalNumber {
        effects[start...].reduce(DecimalNumber.zero) { $0 + ($1.discount?.value ?? .zero) }
    }

    /// Session scope: each child evaluated from the same point; the one whose discounts add up to
    /// the least or most is kept, the others passed over.
    mutating func best(
        _ elements: [CampaignSetNode], _ mode: CampaignSetNode.Evaluation.Mode, _ campaigns: [Int64: CompiledCampaign]
    ) -> Bool {
        let start = self
        var winner: (index: Int, total: DecimalNumber, pass: Pass)?
        for (i, e) in elements.enumerated() {
            var trial = start
            guard trial.visit(e, campaigns) else { continue }
            let total = trial.discounted(since: start.effects.count)
            let better =
                winner.map { mode == .highestDiscount ? total > $0.total : total < $0.total } ?? true
            if better { winner = (i, total, trial) }
        }
        guard let winner else {
            for e in elements { passOver(e, campaigns) }
            return false
        }
        self = winner.pass
        for (i, e) in elements.enumerated() where i != winner.index { passOver(e, campaigns) }
        return true
    }

    /// Cart item scope: each child evaluated from the same point to see which discounts each item
    /// would get; then every child runs, an item's per-item discounts coming only from the child
    /// chosen for it (the first for `listOrder`, the lowest or highest otherwise).
    mutating func perItem(
        _ elements: [CampaignSetNode], _ mode: CampaignSetNode.Evaluation.Mode, _ campaigns: [Int64: CompiledCampaign]
    ) -> Bool {
        let start = self
        var chosen: [Int: (child: Int, total: DecimalNumber)] = [:]
        for (i, e) in elements.enumerated() {
            var trial = start
            _ = trial.visit(e, campaigns)
            var byItem: [Int: DecimalNumber] = [:]
            for effect in trial.effects[start.effects.count...] where effect.type == "setDiscountPerItem" {
                guard let p = effect.props["position"]?.numberValue?.intValue, let d = effect.discount else { continue }
                byItem[Int(p)] = (byItem[Int(p)] ?? .zero) + d.value
            }
            for (p, total) in byItem {
                guard let current = chosen[p] else {
                    chosen[p] = (i, total)
                    continue
                }
                let better =
                    switch mode {
                    case .highestDiscount: total > current.total
                    case .lowestDiscount: total < current.total
                    default: false
                    }
                if better { chosen[p] = (i, total) }
            }
        }
        for (i, e) in elements.enumerated() {
            let denied = Set(chosen.filter { $0.value.child != i }.map(\.key))
            for id in e.campaignIds { deniedPositions[id] = denied }
        }
        var qualified = false
        for e in elements where visit(e, campaigns) { qualified = true }
        for e in elements { for id in e.campaignIds { deniedPositions[id] = nil } }
        return qualified
    }

    /// A campaign a FIRST set did not get to: its codes are refused as if its rules had not fired.
    mutating func passOver(_ node: CampaignSetNode, _ campaigns: [Int64: CompiledCampaign]) {
        for id in node.campaignIds where !visited.contains(id) {
            visited.insert(id)
            guard let compiled = campaigns[id], compiled.campaign.isRunning(at: request.now) else { continue }
            for coupon in candidates[id] ?? [] {
                rejections.append(
                    CouponRejection(
                        code: coupon.value, campaignId: id, couponId: coupon.id, reason: .couponRejectedByCondition))
            }
            if let r = referral, r.campaignId == id {
                referralRejection = ReferralRejection(
                    code: r.code, campaignId: id, referralId: r.id, reason: .referralRejectedByCondition)
            }
        }
    }

    /// Runs one campaign (once per valid code of it in the session); whether it produced effects.
    mutating func campaign(_ compiled: CompiledCampaign) -> Bool {
        visited.insert(compiled.campaign.id)
        guard compiled.campaign.isRunning(at: request.now) else { return false }
        let campaignReferral = referral?.campaignId == compiled.campaign.id ? referral : nil
        guard let ruleset = compiled.ruleset else {
            for coupon in candidates[compiled.campaign.id] ?? [] {
                rejections.append(
                    CouponRejection(
                        code: coupon.value, campaignId: coupon.campaignId, couponId: coupon.id,
                        reason: .couponValidConditionMissing))
            }
            if let r = campaignReferral {
                referralRejection = ReferralRejection(
                    code: r.code, campaignId: r.campaignId, referralId: r.id, reason: .referralValidConditionMissing)
            }
            return false
        }
        let before = effects.count
        let coupons = candidates[compiled.campaign.id] ?? []
        var referralAccepted = false
        let campaign = compiled.campaign
        for coupon in coupons.isEmpty ? [nil] : coupons.map(Optional.some) {
            // What the run changes, so that a coupon refused after it takes its effects back.
            let saved = (effects.count, root, total, limits, room, deducted)
            let wasAccepted = Evaluator.run(
                compiled, ruleset, coupon: coupon, referral: campaignReferral, referralAccepted: &referralAccepted,
                subject: subject(coupon: coupon, referral: campaignReferral), limits: &limits,
                root: &root, total: &total, room: &room, budget: &budget,
                failures: &failures, now: evaluationTime, cart: cart, request: request, deducted: &deducted,
                deniedPositions: deniedPositions[compiled.campaign.id] ?? [], into: &effects)
            guard let coupon else { continue }
            var reason: CouponRejectionReason?
            if !wasAccepted.accepted {
                reason = ruleset.checksCoupons ? .couponRejectedByCondition : .couponValidConditionMissing
            } else if wasAccepted.blocked {
                reason = .effectCouldNotBeApplied
            } else if let limit = limits.exceeded(campaign, "redeemCoupon", .one, subject(coupon: coupon)) {
                reason = limit.limitReason.coupon
            }
            guard let reason else {
                limits.charge(campaign, "redeemCoupon", .one, subject(coupon: coupon))
                accepted.append(coupon)
                continue
            }
            if wasAccepted.accepted {
                effects.removeSubrange(saved.0...)
                (root, total, limits, room, deducted) = (saved.1, saved.2, saved.3, saved.4, saved.5)
            }
            rejections.append(
                CouponRejection(code: coupon.value, campaignId: coupon.campaignId, couponId: coupon.id, reason: reason))
        }
        if let r = campaignReferral {
            if !referralAccepted {
                referralRejection = ReferralRejection(
                    code: r.code, campaignId: r.campaignId, referralId: r.id,
                    reason: ruleset.checksReferrals ? .referralRejectedByCondition : .referralValidConditionMissing)
            } else if let limit = limits.exceeded(campaign, "redeemReferral", .one, subject(referral: r)) {
                effects.removeAll { $0.type == "acceptReferral" && $0.campaignId == campaign.id }
                referralRejection = ReferralRejection(
                    code: r.code, campaignId: r.campaignId, referralId: r.id, reason: limit.limitReason.referral)
            } else {
                limits.charge(campaign, "redeemReferral", .one, subject(referral: r))
                acceptedReferral = r
            }
        }
        guard effects.count > before else { return false }
        triggered.append(compiled.campaign.id)
        return true
    }
}

/// Evaluates the campaigns of an application for one session: pure, from values to values.
public enum Evaluator {
    public static func evaluate(_ request: EvaluationRequest) -> EvaluationResult {
        let now = request.now
        let caseSensitivity = request.application.caseSensitivity
        var couponsByCode: [String: Coupon] = [:]
        for c in request.coupons { couponsByCode[caseSensitivity.normalize(c.value)] = c }
        var campaignsById: [Int64: CompiledCampaign] = [:]
        for c in request.campaigns { campaignsById[c.campaign.id] = c }

        // Coupon checks that need no rule: existence, campaign, dates, recipient, usage limit.
        var rejections: [CouponRejection] = []
        var candidates: [Int64: [Coupon]] = [:]
        var seen: Set<String> = []
        for code in request.session.couponCodes {
            let key = caseSensitivity.normalize(code)
            guard seen.insert(key).inserted else { continue }
            guard let coupon = couponsByCode[key], let owner = campaignsById[coupon.campaignId] else {
                rejections.append(CouponRejection(code: code, campaignId: -1, couponId: 0, reason: .couponNotFound))
                continue
            }
            if let reason = precheck(
                coupon, owner.campaign, request.session, now,
                reserved: request.reservedCouponIds.contains(coupon.id))
            {
                rejections.append(
                    CouponRejection(code: code, campaignId: coupon.campaignId, couponId: coupon.id, reason: reason))
                continue
            }
            candidates[coupon.campaignId, default: []].append(coupon)
        }

        // The same checks for the referral code.
        var referralRejection: ReferralRejection?
        var referral: Referral?
        let referralCode = request.session.referralCode
        if !referralCode.isEmpty {
            if let r = request.referral, let owner = campaignsById[r.campaignId] {
                if let reason = precheck(r, owner.campaign, request.session, now) {
                    referralRejection = ReferralRejection(
                        code: referralCode, campaignId: r.campaignId, referralId: r.id, reason: reason)
                } else {
                    referral = r
                }
            } else {
                referralRejection = ReferralRejection(
                    code: referralCode, campaignId: -1, referralId: 0, reason: .referralNotFound)
            }
        }

        var pass = Pass(
            request: request, candidates: candidates, referral: referral, root: baseContext(request),
            total: request.session.total, rejections: rejections, referralRejection: referralRejection)
        // The campaign set first (in its order, FIRST sets stopping at their first qualifying
        // child), then every campaign it does not name, in campaign order.
        if let set = request.campaignSet {
            _ = pass.visit(set, campaignsById)
        }
        for compiled in request.campaigns where !pass.visited.contains(compiled.campaign.id) {
            _ = pass.campaign(compiled)
        }
        var effects = pass.effects
        let accepted = pass.accepted
        let acceptedReferral = pass.acceptedReferral
        let triggered = pass.triggered
        rejections = pass.rejections
        referralRejection = pass.referralRejection
        let charges = pass.limits.charges.filter { $0.key.action != "createCoupon" }

        for r in rejections {
            let rulesetId = campaignsById[r.campaignId]?.ruleset?.id ?? -1
            effects.append(
                Effect.engine(
                    "rejectCoupon", campaignId: r.campaignId, rulesetId: rulesetId,
                    props: ["value": .string(r.code), "rejectionReason": .string(r.reason.rawValue)]))
        }
        if let r = referralRejection {
            effects.append(
                Effect.engine(
                    "rejectReferral", campaignId: r.campaignId,
                    rulesetId: campaignsById[r.campaignId]?.ruleset?.id ?? -1,
                    props: ["value": .string(r.code), "rejectionReason": .string(r.reason.rawValue)]))
        }
        return EvaluationResult(
            effects: effects, acceptedCoupons: accepted, rejections: rejections, acceptedReferral: acceptedReferral,
            referralRejection: referralRejection, triggeredCampaignIds: triggered, limitCharges: charges,
            failures: pass.failures)
    }

    /// The checks of a referral code that do not depend on rules (semantics §10.1).
    public static func precheck(
        _ referral: Referral, _ campaign: Campaign, _ session: CustomerSession, _ now: Timestamp
    )
        -> ReferralRejectionReason?
    {
        if !campaign.isRunning(at: now) { return .referralPartOfNotRunningCampaign }
        if let start = referral.startDate, now < start { return .referralStartDateInFuture }
        if let expiry = referral.expiryDate, !(now < expiry) { return .referralExpired }
        if referral.advocateProfileIntegrationId == session.profileId { return .referralRecipientIdSameAsAdvocate }
        if let friend = referral.friendProfileIntegrationId, !friend.isEmpty, friend != session.profileId {
            return .referralRecipientDoesNotMatch
        }
        if referral.usageLimit > 0 && referral.usageCounter >= referral.usageLimit { return .referralLimitReached }
        return nil
    }

    /// The checks of a coupon that do not depend on rules (semantics §9.2 steps 3–6).
    /// A hard-reserved coupon (`reservation: false`) is only for profiles holding a reservation;
    /// 2020 has no reason of its own for it, so it is a recipient mismatch (semantics §9.2 step 5).
    public static func precheck(
        _ coupon: Coupon, _ campaign: Campaign, _ session: CustomerSession, _ now: Timestamp, reserved: Bool = false
    ) -> CouponRejectionReason? {
        if !campaign.isRunning(at: now) { return .couponPartOfNotRunningCampaign }
        if let start = coupon.startDate, now < start { return .couponStartDateInFuture }
        if let expiry = coupon.expiryDate, !(now < expiry) { return .couponExpired }
        if let recipient = coupon.recipientIntegrationId, !recipient.isEmpty, recipient != session.profileId {
            return .couponRecipientDoesNotMatch
        }
        if !coupon.reservation && !reserved { return .couponRecipientDoesNotMatch }
        if coupon.usageLimit > 0 && coupon.usageCounter >= coupon.usageLimit { return .couponLimitReached }
        return nil
    }

    /// Runs one campaign's rules, with `coupon` bound when the session carries one of its codes.
    /// Returns whether a rule validating the coupon fired.
    /// `referralAccepted` is set when a rule validating `referral` fired (once per campaign).
    /// Discounts and code creations over a budget are skipped (`blocked`). Each rule runs on its
    /// share of the request's evaluation budget; one that fails is reported in `failures`.
    static func run(
        _ compiled: CompiledCampaign, _ ruleset: CompiledRuleset, coupon: Coupon?, referral: Referral?,
        referralAccepted: inout Bool, subject: LimitSubject, limits: inout LimitLedger, root: inout ValueMap,
        total: inout DecimalNumber, room: inout DiscountRoom, budget: inout RequestBudget,
        failures: inout [RuleFailure], now: TimeValue, cart: CartFacts,
        request: EvaluationRequest, deducted: inout [LedgerKey: DecimalNumber],
        deniedPositions: Set<Int> = [], into effects: inout [Effect]
    ) -> (accepted: Bool, blocked: Bool) {
        var blocked = false
        let host = PromotionHost()
        host.now = now
        host.cart = cart
        host.couponValid = coupon != nil
        host.referral = referral
        host.profileId = subject.profileId
        host.campaign = compiled.campaign
        host.applicationId = request.application.id
        host.loyalty = request.loyalty
        host.webhooks = request.webhooks
        let campaign = compiled.campaign
        root["Campaign"] = compiled.context
        // The codes under evaluation are seen only by their own campaign's run.
        if coupon != nil || referral != nil, case .map(var s)? = root["Session"] {
            if let coupon { s["Coupon"] = .string(coupon.value) }
            if let referral { s["Referral"] = referralContext(referral) }
            root["Session"] = .map(s)
        }
        defer {
            if coupon != nil || referral != nil, case .map(var s)? = root["Session"] {
                s["Coupon"] = nil
                s["Referral"] = nil
                root["Session"] = .map(s)
            }
        }
        func failure(_ rule: CompiledRule, effect: Int? = nil, _ details: String, outOfBudget: Bool) -> RuleFailure {
            RuleFailure(
                campaignId: campaign.id, campaignName: campaign.name, rulesetId: ruleset.id, ruleIndex: rule.index,
                ruleName: rule.title, couponId: coupon?.id, couponValue: coupon?.value, referralId: referral?.id,
                referralValue: referral?.code, effectIndex: effect, details: details, outOfBudget: outOfBudget)
        }
        var env = Environment(
            root: root, host: host, budget: EvaluationBudget(steps: budget.ruleAllowance, deadline: budget.deadline))
        bind(ruleset.bindings, in: &env)
        budget.stepsLeft -= env.stepsUsed
        let rulesetScope = env.scopeMark
        var accepted = false
        for rule in ruleset.rules {
            env.restore(rulesetScope)
            if let spent = budget.spent {
                failures.append(failure(rule, "not evaluated: " + spent, outOfBudget: true))
                continue
            }
            env.allow(steps: budget.ruleAllowance)
            defer { budget.stepsLeft -= env.stepsUsed }
            host.ruleTitle = rule.title
            host.deducted = deducted
            host.unaffordable = false
            bind(rule.bindings, in: &env)
            // A condition that raises an error does not fire.
            let holds: Value
            do {
                holds = try rule.condition.evaluate(&env)
            } catch {
                failures.append(failure(rule, error.message, outOfBudget: error.isOutOfBudget))
                continue
            }
            guard case .bool(true) = holds else { continue }
            host.ruleIndex = rule.index
            host.creations = 0
            var ranOut = false
            for (j, effect) in rule.effects.enumerated() {
                let mark = host.emitted.count
                do {
                    _ = try effect.evaluate(&env)
                } catch {
                    // An effect that raises is skipped whole (unless the rule wrapped it in `catch`);
                    // one that runs out of budget takes the whole rule with it.
                    host.emitted.removeSubrange(mark...)
                    failures.append(failure(rule, effect: j, error.message, outOfBudget: error.isOutOfBudget))
                    if error.isOutOfBudget {
                        ranOut = true
                        break
                    }
                }
            }
            if ranOut || host.unaffordable {
                // Out of budget, or deducting more points than the profile has: the rule does not fire.
                host.emitted.removeAll(keepingCapacity: true)
                continue
            }
            if let referral, rule.checksReferral, !referralAccepted {
                referralAccepted = true
                effects.append(
                    Effect(
                        campaignId: campaign.id, rulesetId: ruleset.id, ruleIndex: rule.index, ruleName: rule.title,
                        type: "acceptReferral", props: ["value": .string(referral.code)]))
            }
            if let coupon, rule.checksCoupon, !accepted {
                accepted = true
                effects.append(
                    Effect(
                        campaignId: campaign.id, rulesetId: ruleset.id, ruleIndex: rule.index, ruleName: rule.title,
                        type: "acceptCoupon", props: ["value": .string(coupon.value)], triggeredByCoupon: coupon.id))
            }
            var discounted = DecimalNumber.zero
            for emitted in host.emitted {
                var e = Effect(
                    campaignId: campaign.id, rulesetId: ruleset.id, ruleIndex: rule.index, ruleName: rule.title,
                    type: emitted.type, props: emitted.props, triggeredByCoupon: coupon?.id,
                    creation: emitted.creation, webhook: emitted.webhook)
                if e.type == "setDiscountPerItem", !deniedPositions.isEmpty,
                    let p = e.props["position"]?.numberValue?.intValue, deniedPositions.contains(Int(p))
                {
                    // Another campaign of its group gives this item's discount.
                    continue
                }
                if let asked = e.discount?.value {
                    // Lowered to what is left to discount (dropped when nothing is), then charged.
                    var left = room
                    guard var granted = left.take(&e, asked: asked) else { continue }
                    if !campaign.limits.isEmpty && !Self.fits(granted, campaign, subject, &limits) {
                        // Over budget: dropped, or with partial discounts lowered to what is left
                        // of it (less than what the room granted, so the room grants it too).
                        left = room
                        guard request.application.enablePartialDiscounts, let part = Self.partialFit(campaign, subject, &limits),
                            let lowered = left.take(&e, asked: asked, granting: part)
                        else {
                            blocked = true
                            continue
                        }
                        granted = lowered
                    }
                    room = left
                    discounted = discounted + granted
                } else if let points = e.points, points.kind == .added, !campaign.limits.isEmpty {
                    guard limits.exceeded(campaign, "addLoyaltyPoints", points.amount, subject) == nil,
                        limits.exceeded(campaign, "addLoyaltyPointsEffect", .one, subject) == nil
                    else {
                        blocked = true
                        continue
                    }
                    limits.charge(campaign, "addLoyaltyPoints", points.amount, subject)
                    limits.charge(campaign, "addLoyaltyPointsEffect", .one, subject)
                } else if e.creation != nil && !campaign.limits.isEmpty {
                    guard limits.exceeded(campaign, "createCoupon", .one, subject) == nil else {
                        blocked = true
                        continue
                    }
                    if case .coupon? = e.creation?.kind {
                        limits.charge(campaign, "createCoupon", .one, subject)
                        e.creation?.limitKeys = campaign.limits.filter { $0.action == "createCoupon" }.flatMap {
                            $0.keys(campaignId: campaign.id, for: subject)
                        }
                    }
                }
                effects.append(e)
            }
            host.emitted.removeAll(keepingCapacity: true)
            deducted = host.deducted
            if request.cascading && !discounted.isZero {
                total = total - discounted
                if case .map(var s)? = root["Session"] {
                    s["Total"] = .decimal(total)
                    root["Session"] = .map(s)
                    env.setRoot("Session", .map(s))
                }
            }
        }
        return (accepted, blocked)
    }

    /// Whether a discount of `value` fits the campaign's `setDiscount` (money) and
    /// `setDiscountEffect` (count) budgets; if so it is charged to them.
    static func fits(_ value: DecimalNumber, _ campaign: Campaign, _ subject: LimitSubject, _ limits: inout LimitLedger)
        -> Bool
    {
        guard limits.exceeded(campaign, "setDiscount", value, subject) == nil,
            limits.exceeded(campaign, "setDiscountEffect", .one, subject) == nil
        else { return false }
        limits.charge(campaign, "setDiscount", value, subject)
        limits.charge(campaign, "setDiscountEffect", .one, subject)
        return true
    }

    /// What is left of the campaign's `setDiscount` money budgets, when some is and the discount
    /// count budgets allow one more; charged to them.
    static func partialFit(_ campaign: Campaign, _ subject: LimitSubject, _ limits: inout LimitLedger)
        -> DecimalNumber?
    {
        guard let left = limits.left(campaign, "setDiscount", subject), left > .zero,
            limits.exceeded(campaign, "setDiscountEffect", .one, subject) == nil
        else { return nil }
        limits.charge(campaign, "setDiscount", left, subject)
        limits.charge(campaign, "setDiscountEffect", .one, subject)
        return left
    }

    static func bind(_ bindings: [(name: String, expression: Expression)], in env: inout Environment) {
        for b in bindings {
            // A binding that fails stays unbound; rules that read it then fail (and do not fire).
            if let v = try? b.expression.evaluate(&env) { env.bind(b.name, v) }
        }
    }

    // MARK: Context

    static func baseContext(_ r: EvaluationRequest) -> ValueMap {
        [
            "Session": sessionContext(r.session, flattened: r.application.enableFlattenedCartItems),
            "Profile": profileContext(r.profile, integrationId: r.session.profileId),
            "Event": .map(["Type": .string(r.eventType), "Attributes": Value(json: .object(r.eventAttributes))]),
            "Application": .map([
                "Id": .decimal(DecimalNumber(r.application.id)),
                "Attributes": Value(json: .object(r.application.attributes)),
            ]),
        ]
    }

    /// The session as rules see it. `flattened`: a line of quantity N is N items of quantity 1,
    /// each with the line's `Position` and its own `SubPosition` (0 to N-1).
    static func sessionContext(_ s: CustomerSession, flattened: Bool = false) -> Value {
        var items: [Value] = []
        items.reserveCapacity(s.cartItems.count)
        for (i, item) in s.cartItems.enumerated() {
            // Every field is present, with its zero value when the request left it out (as the
            // reference engine's struct-to-map conversion did), so rules can test any item.
            var fields: ValueMap = [
                "Name": .string(item.name), "Sku": .string(item.sku), "SKU": .string(item.sku),
                "Quantity": .decimal(DecimalNumber(item.quantity)), "Price": .decimal(item.price),
                "Category": .string(item.category ?? ""), "Weight": .decimal(item.weight ?? .zero),
                "Height": .decimal(item.height ?? .zero), "Width": .decimal(item.width ?? .zero),
                "Length": .decimal(item.length ?? .zero), "Position": .decimal(DecimalNumber(i)),
                "Attributes": item.attributes.map { Value(json: .object($0)) } ?? .map([:]),
            ]
            guard flattened else {
                items.append(.map(fields))
                continue
            }
            fields["Quantity"] = .decimal(.one)
            for unit in 0..<max(Int(item.quantity), 0) {
                fields["SubPosition"] = .decimal(DecimalNumber(unit))
                items.append(.map(fields))
            }
        }
        var costs: ValueMap = [:]
        for c in s.additionalCosts { costs[c.name] = .map(["Price": .decimal(c.price)]) }
        return .map([
            "IntegrationId": .string(s.integrationId), "ProfileId": .string(s.profileId),
            "State": .string(s.state.rawValue),
            "Total": .decimal(s.total), "CartItemTotal": .decimal(s.cartItemTotal),
            "AdditionalCostTotal": .decimal(s.additionalCostTotal), "CartItems": .list(items),
            "AdditionalCosts": .map(costs), "Identifiers": .list(s.identifiers.map(Value.string)),
            "CouponCodes": .list(s.couponCodes.map(Value.string)), "ReferralCode": .string(s.referralCode),
            "FirstSession": .bool(s.firstSession), "Attributes": Value(json: .object(s.attributes)),
        ])
    }

    static func referralContext(_ r: Referral) -> Value {
        .map([
            "Code": .string(r.code), "AdvocateProfileIntegrationId": .string(r.advocateProfileIntegrationId),
            "FriendProfileIntegrationId": .string(r.friendProfileIntegrationId ?? ""),
            "UsageCounter": .decimal(DecimalNumber(r.usageCounter)),
            "UsageLimit": .decimal(DecimalNumber(r.usageLimit)),
        ])
    }

    static func profileContext(_ p: CustomerProfile?, integrationId: String) -> Value {
        .map([
            "IntegrationId": .string(p?.integrationId ?? integrationId),
            "Attributes": p.map { Value(json: .object($0.attributes)) } ?? .map([:]),
            "ClosedSessions": .decimal(DecimalNumber(p?.closedSessions ?? 0)),
            "TotalSales": .decimal(p?.totalSales ?? .zero),
        ])
    }
}
