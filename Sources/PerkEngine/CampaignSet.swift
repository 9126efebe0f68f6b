import PerkJSON
import Talang

/// The 2020 campaign priority tree: `ALL` evaluates every child, `FIRST` stops at the first child
/// that produced rule effects. Exclusive, stackable and universal groups are sets of these.
public indirect enum CampaignSetNode: Sendable, Equatable {
    public enum Operator: String, Sendable, CaseIterable {
        case all = "ALL"
        case first = "FIRST"
    }

    case set(name: String, operator: Operator, elements: [CampaignSetNode])
    case campaign(Int64)

    /// Every campaign id in the tree, in order.
    public var campaignIds: [Int64] {
        switch self {
        case .campaign(let id): [id]
        case .set(_, _, let elements): elements.flatMap(\.campaignIds)
        }
    }

    public var json: JSON {
        switch self {
        case .campaign(let id): ["type": "CAMPAIGN", "campaignId": .number(id)]
        case .set(let name, let op, let elements):
            [
                "type": "SET", "name": .string(name), "operator": .string(op.rawValue),
                "elements": .array(elements.map(\.json)),
            ]
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
            self = .set(
                name: try r.string("name", required: true)!,
                operator: try r.enumeration("operator", Operator.self, required: true)!, elements: elements)
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
