import PerkJSON
import Talang

/// The rule functions of loyalty programs and webhooks.
extension PromotionLibrary {
    static func registerLoyalty(_ lib: inout FunctionLibrary) {
        // `addLoyaltyPoints(program, points[, name[, subLedgerId[, validity]]])`: the session's
        // profile earns points, booked when the session closes (an event's at once).
        let add: [Kind] = [.decimal, .decimal, .string, .string, .string]
        for count in 2...add.count {
            lib.register(
                "addLoyaltyPoints",
                .nary(Array(add[..<count]), returns: .null) { args, env throws(EvalError) in
                    try addPoints(args, env)
                    return .null
                })
        }
        // `deductLoyaltyPoints(program, points[, subLedgerId])`: the profile spends points; a rule
        // whose deductions its balance cannot pay does not fire.
        for params: [Kind] in [[.decimal, .decimal], [.decimal, .decimal, .string]] {
            lib.register(
                "deductLoyaltyPoints",
                .nary(params, returns: .null) { args, env throws(EvalError) in
                    try deductPoints(args, env)
                    return .null
                })
        }
        // Perk's own: `loyaltyBalance(program[, subLedgerId])`, the profile's active points there
        // (0 for an anonymous session), less what earlier rules of this evaluation deducted.
        for params: [Kind] in [[.decimal], [.decimal, .string]] {
            lib.register(
                "loyaltyBalance",
                .nary(params, returns: .decimal) { args, env throws(EvalError) in
                    let h = host(env)
                    let ledger = try ledger(args[0], args.count > 1 ? args[1] : nil, h, "loyaltyBalance")
                    return .decimal(h.balance(ledger))
                })
        }
    }

    static func registerWebhooks(_ lib: inout FunctionLibrary) {
        // `triggerWebhook(webhook, arg...)`: one argument per parameter of the webhook, in order.
        lib.register(
            "triggerWebhook",
            .nary([.decimal, .atom], variadic: true, returns: .null) { args, env throws(EvalError) in
                let h = host(env)
                guard case .decimal(let d) = args[0], let id = d.exactInt, let webhook = h.webhooks[Int64(id)] else {
                    throw EvalError("triggerWebhook: \(args[0].atomText ?? "") is not a webhook of this application")
                }
                guard webhook.enabled else { throw EvalError("triggerWebhook: webhook \(id) is disabled") }
                let request = try webhook.request(Array(args.dropFirst()))
                emit(
                    env, "triggerWebhook",
                    [("webhookId", .number(Int64(id))), ("webhookName", .string(webhook.title))],
                    webhook: request)
                return .null
            })
    }

    /// The program and ledger a loyalty function names, checked against the application's programs.
    static func ledger(_ program: Value, _ subledger: Value?, _ h: PromotionHost, _ name: String) throws(EvalError)
        -> LedgerKey
    {
        guard case .decimal(let d) = program, let id = d.exactInt, let p = h.loyalty.programs[Int64(id)] else {
            throw EvalError(
                "\(name): \(program.atomText ?? "") is not a loyalty program this application is subscribed to")
        }
        let sub = subledger?.atomText ?? ""
        if !sub.isEmpty && !p.allowSubledger {
            throw EvalError("\(name): loyalty program \(id) has no subledgers")
        }
        return LedgerKey(programId: p.id, subledger: sub)
    }

    static func amount(_ v: Value, _ name: String) throws(EvalError) -> DecimalNumber {
        guard case .decimal(let d) = v, !d.isNegative, !(Points.largest < d) else {
            throw EvalError("\(name): the points must be between 0 and \(Points.largest)")
        }
        return d.rounded(toPlaces: 2)
    }

    static func addPoints(_ args: [Value], _ env: Environment) throws(EvalError) {
        let h = host(env)
        let ledger = try ledger(args[0], args.count > 3 ? args[3] : nil, h, "addLoyaltyPoints")
        guard !h.profileId.isEmpty else {
            throw EvalError("addLoyaltyPoints: an anonymous session has no profile to earn points")
        }
        let points = try amount(args[1], "addLoyaltyPoints")
        guard !points.isZero else { return }
        var validity = h.loyalty.programs[ledger.programId]?.defaultValidity ?? .unlimited
        if args.count > 4 {
            guard let v = PointsValidity(args[4].atomText ?? "") else {
                throw EvalError("addLoyaltyPoints: the validity must be \"unlimited\" or like \"30d\" (s, m, h, d, w)")
            }
            validity = v
        }
        let name = args.count > 2 ? args[2].atomText ?? "" : ""
        var props: [(String, JSON)] = [
            ("name", .string(name.isEmpty ? h.ruleTitle : name)), ("programId", .number(ledger.programId)),
            ("subLedgerId", .string(ledger.subledger)), ("value", points.json),
            ("recipientIntegrationId", .string(h.profileId)), ("expiryCondition", .string(validity.description)),
        ]
        if let expiry = validity.expiry(from: h.now) {
            props.append(("expiryDate", expiry.json))
        }
        emit(env, "addLoyaltyPoints", props)
    }

    static func deductPoints(_ args: [Value], _ env: Environment) throws(EvalError) {
        let h = host(env)
        let ledger = try ledger(args[0], args.count > 2 ? args[2] : nil, h, "deductLoyaltyPoints")
        let points = try amount(args[1], "deductLoyaltyPoints")
        guard !points.isZero else { return }
        guard !h.profileId.isEmpty, !(h.balance(ledger) < points) else {
            h.unaffordable = true
            return
        }
        h.deducted[ledger] = (h.deducted[ledger] ?? .zero) + points
        emit(
            env, "deductLoyaltyPoints",
            [
                ("ruleTitle", .string(h.ruleTitle)), ("programId", .number(ledger.programId)),
                ("subLedgerId", .string(ledger.subledger)), ("value", points.json),
                ("name", .string(h.loyalty.programs[ledger.programId]?.name ?? "")),
            ])
    }
}

extension PromotionHost {
    /// The profile's active points in a ledger, less what this evaluation deducted from it.
    func balance(_ ledger: LedgerKey) -> DecimalNumber {
        guard !profileId.isEmpty else { return .zero }
        return (loyalty.balances[ledger] ?? .zero) - (deducted[ledger] ?? .zero)
    }
}
