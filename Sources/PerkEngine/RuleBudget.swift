import Talang

/// How much rule evaluation one request may do. Rules come from marketers and are untrusted: a
/// rule that runs out does not fire, and the others still run (each rule has its own share,
/// within what is left of the request's).
public struct EvaluationLimits: Sendable, Equatable {
    /// Evaluation steps one rule may take (its bindings, condition and effects together).
    public var ruleSteps: Int
    /// Evaluation steps all the rules of one request may take together.
    public var requestSteps: Int
    /// Wall-clock time all the rules of one request may take together.
    public var time: Duration

    public init(ruleSteps: Int = 100_000, requestSteps: Int = 1_000_000, time: Duration = .milliseconds(50)) {
        self.ruleSteps = ruleSteps
        self.requestSteps = requestSteps
        self.time = time
    }

    public static let standard = EvaluationLimits()
}

/// A rule that did not fire because evaluating it failed: it raised an error, or ran out of
/// steps or time. Reported to the client (`ruleFailureReasons`), logged and counted.
public struct RuleFailure: Sendable, Equatable {
    public var campaignId: Int64
    public var campaignName: String
    public var rulesetId: Int64
    public var ruleIndex: Int
    public var ruleName: String
    public var couponId: Int64?
    public var couponValue: String?
    public var referralId: Int64?
    public var referralValue: String?
    /// Set when an effect failed (the rule's other effects still apply, unless out of budget).
    public var effectIndex: Int?
    public var details: String
    /// The rule ran out of steps or time (rather than raising an error).
    public var outOfBudget: Bool
}

/// What is left of a request's evaluation budget as it goes through the campaigns.
struct RequestBudget {
    let limits: EvaluationLimits
    let deadline: ContinuousClock.Instant
    var stepsLeft: Int

    init(_ limits: EvaluationLimits) {
        self.limits = limits
        self.deadline = ContinuousClock.now + limits.time
        self.stepsLeft = limits.requestSteps
    }

    /// The share the next rule gets.
    var ruleAllowance: Int { min(limits.ruleSteps, max(stepsLeft, 0)) }

    /// Why no more rules may run, once that is so.
    var spent: String? {
        if stepsLeft <= 0 { return "the request used all its \(limits.requestSteps) evaluation steps" }
        if ContinuousClock.now >= deadline { return "the request ran past its \(limits.time) evaluation time limit" }
        return nil
    }
}
