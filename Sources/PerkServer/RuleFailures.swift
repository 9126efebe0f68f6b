import Logging
import Metrics
import PerkEngine
import PerkJSON

/// Rules that failed while an Integration API request was evaluated: logged with their campaign,
/// ruleset and rule, counted in `perk_rule_failures_total{reason}` (`budget` or `error`), and
/// answered as `ruleFailureReasons` when a v2 request asks for them.
enum RuleFailures {
    static func report(_ failures: [RuleFailure], logger: Logger) {
        for f in failures {
            let reason = f.outOfBudget ? "budget" : "error"
            Counter(label: "perk_rule_failures_total", dimensions: [("reason", reason)]).increment()
            var metadata: Logger.Metadata = [
                "campaign": "\(f.campaignId)", "ruleset": "\(f.rulesetId)", "rule": "\(f.ruleIndex)",
                "reason": "\(reason)", "details": "\(f.details)",
            ]
            if let e = f.effectIndex { metadata["effect"] = "\(e)" }
            // Running out of budget is the marketer's to fix and rare; a rule reading an attribute
            // a session lacks fails on every such session, so plain errors stay at debug.
            logger.log(level: f.outOfBudget ? .warning : .debug, "rule failed", metadata: metadata)
        }
    }

    /// `RuleFailureReason` of the current API.
    static func json(_ f: RuleFailure) -> JSON {
        var o = JSONObject()
        o.appendUnique("campaignID", .number(f.campaignId))
        o.appendUnique("campaignName", .string(f.campaignName))
        o.appendUnique("rulesetID", .number(f.rulesetId))
        if let id = f.couponId { o.appendUnique("couponID", .number(id)) }
        if let v = f.couponValue { o.appendUnique("couponValue", .string(v)) }
        if let id = f.referralId { o.appendUnique("referralID", .number(id)) }
        if let v = f.referralValue { o.appendUnique("referralValue", .string(v)) }
        o.appendUnique("ruleIndex", .number(f.ruleIndex))
        o.appendUnique("ruleName", .string(f.ruleName))
        if let e = f.effectIndex { o.appendUnique("effectIndex", .number(e)) }
        o.appendUnique("details", .string(f.details))
        return .object(o)
    }
}
