import PerkJSON
import Talang

/// The 2020 campaign priority tree: `ALL` evaluates every child, `FIRST` stops at the first child
/// that produced rule effects. Exclusive, stackable and universal groups are sets of these.
public indirect enum CampaignSetNode: Sendable, Equatable {
    public enum Operator: String, Sendable, CaseIterable {
        case all = "ALL"
        case first = "FIRST"
    }

    /// How a campaign evaluation group (today's shape of a set) picks among its children:
    /// `stackable` all of them, `listOrder` the first that gives effects, `lowestDiscount` /
    /// `highestDiscount` the one whose discounts add up to the least / most (ties: the earlier);
    /// for the whole session, or for each cart item (`cartItem`: per-item discounts of an item
    /// come from the child chosen for that item, other effects from every child).
    public struct Evaluation: Sendable, Equatable {
        public enum Mode: String, Sendable, CaseIterable {
            case stackable, listOrder, lowestDiscount, highestDiscount
        }
        public enum Scope: String, Sendable, CaseIterable {
            case session, cartItem
        }
        public var mode: Mode
        public var scope: Scope
        public init(mode: Mode, scope: Scope = .session) {
            self.mode = mode
            self.scope = scope
        }
    }

    /// `evaluation` nil: the 2020 `operator` decides.
    case set(name: String, operator: Operator, elements: [CampaignSetNode], evaluation: Evaluation? = nil)
    case campaign(Int64)

    /// Every campaign id in the tree, in order.
    public var campaignIds: [Int64] {
        switch self {
        case .campaign(let id): [id]
        case .set(_, _, let elements, _): elements.flatMap(\.campaignIds)
        }
    }

    public var json: JSON {
        switch self {
        case .campaign(let id): ["type": "CAMPAIGN", "campaignId": .number(id)]
        case .set(let name, let op, let elements, let evaluation):
            {
                var o: JSONObject = [
                    "type": "SET", "name": .string(name), "operator": .string(op.rawValue),
                    "elements": .array(elements.map(\.json)),
                ]
                if let evaluation {
                    o["evaluationMode"] = .string(evaluation.mode.rawValue)
                    o["evaluationScope"] = .string(evaluation.scope.rawValue)
                }
                return .object(o)
            }()
        }
    }

    /// A node of `NewCampaignSet.set`; the root must be a `SET`.
    public init(json: JSON, at pointer: String, root: Bool = false) throws(FieldError) {
        let r = try ObjectReader(json, at: pointer)
        let type = try r.string("type", required: true)!
        switch type {
        case "SET":
            var elements: [CampaignSetNode] = []
            for (i, e) in (try r.array("elements", required: true)!).enumerated() {
                elements.append(try CampaignSetNode(json: e, at: JSONPointer.append(r.path("elements"), i)))
            }
            var evaluation: Evaluation?
            if let mode = try r.enumeration("evaluationMode", Evaluation.Mode.self) {
                evaluation = Evaluation(
                    mode: mode, scope: try r.enumeration("evaluationScope", Evaluation.Scope.self) ?? .session)
            } else if r.object["evaluationScope"]?.isNull == false {
                throw FieldError.required(r.path("evaluationMode"), "evaluationMode")
            }
            self = .set(
                name: try r.string("name", required: true)!,
                operator: try r.enumeration("operator", Operator.self, required: true)!, elements: elements,
                evaluation: evaluation)
        case "CAMPAIGN" where !root:
            self = .campaign(try r.integer("campaignId", required: true)!)
        default:
            throw ObjectReader.enumError(r.path("type"), "type", root ? ["SET"] : ["SET", "CAMPAIGN"])
        }
    }
}

/// An application's stored campaign set.
public struct CampaignSet: Sendable {
    public var id: Int64
    public var created: Timestamp
    public var applicationId: Int64
    public var root: CampaignSetNode

    public init(id: Int64, created: Timestamp, applicationId: Int64, root: CampaignSetNode) {
        self.id = id
        self.created = created
        self.applicationId = applicationId
        self.root = root
    }
}
