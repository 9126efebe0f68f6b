import PerkJSON
import Talang

/// The entities custom attributes can be declared on (the 2020 `Attribute.entity` values).
public enum AttributeEntity: String, Sendable, CaseIterable {
    case account = "Account"
    case application = "Application"
    case campaign = "Campaign"
    case customerProfile = "CustomerProfile"
    case customerSession = "CustomerSession"
    case cartItem = "CartItem"
    case coupon = "Coupon"
    case event = "Event"
}

/// The value types of attributes (the 2020 `Attribute.type` values) and how JSON values are checked.
public enum AttributeType: String, Sendable, CaseIterable {
    case string, number, boolean, time
    case stringList = "(list string)"
    case numberList = "(list number)"
    case timeList = "(list time)"
    case location
    case locationList = "(list location)"

    /// What the type is called in "is not a ..." messages.
    public var noun: String {
        switch self {
        case .string: "a string"
        case .number: "a number"
        case .boolean: "a boolean"
        case .time: "a time (RFC 3339)"
        case .stringList: "a list of strings"
        case .numberList: "a list of numbers"
        case .timeList: "a list of times (RFC 3339)"
        case .location: "a location"
        case .locationList: "a list of locations"
        }
    }

    public func accepts(_ value: JSON) -> Bool {
        switch self {
        case .string, .location: return value.stringValue != nil
        case .number: return value.numberValue != nil
        case .boolean: if case .bool = value { return true } else { return false }
        case .time: return value.stringValue.flatMap(TimeValue.init(rfc3339:)) != nil
        case .stringList, .locationList: return value.arrayValue?.allSatisfy { $0.stringValue != nil } ?? false
        case .numberList: return value.arrayValue?.allSatisfy { $0.numberValue != nil } ?? false
        case .timeList:
            return value.arrayValue?.allSatisfy { $0.stringValue.flatMap(TimeValue.init(rfc3339:)) != nil } ?? false
        }
    }
}

/// A declared attribute: built in, or created through the management API.
public struct AttributeDefinition: Sendable {
    public var id: Int64
    public var created: Timestamp
    public var entity: AttributeEntity
    /// For `Event` attributes: the custom event type they belong to.
    public var eventType: String?
    public var name: String
    public var title: String
    public var type: AttributeType
    public var description: String
    public var suggestions: [String]
    public var editable: Bool
    /// Applications that may use the attribute; empty: all of them.
    public var subscribedApplicationsIds: [Int64]
    public var builtIn: Bool

    public init(
        id: Int64, created: Timestamp, entity: AttributeEntity, eventType: String? = nil, name: String, title: String,
        type: AttributeType, description: String = "", suggestions: [String] = [], editable: Bool = true,
        subscribedApplicationsIds: [Int64] = [], builtIn: Bool = false
    ) {
        self.id = id
        self.created = created
        self.entity = entity
        self.eventType = eventType
        self.name = name
        self.title = title
        self.type = type
        self.description = description
        self.suggestions = suggestions
        self.editable = editable
        self.subscribedApplicationsIds = subscribedApplicationsIds
        self.builtIn = builtIn
    }

    /// The attributes every Perk knows without being told (Perk's choice; see README).
    public static func builtIns(created: Timestamp) -> [AttributeDefinition] {
        let profile: [(String, AttributeType)] = [
            ("Name", .string), ("Title", .string), ("Gender", .string), ("BirthDate", .time), ("Email", .string),
            ("PhoneNumber", .string), ("Company", .string), ("Address1", .string), ("Address2", .string),
            ("City", .string), ("PostCode", .string), ("Region", .string), ("Country", .string),
            ("SignupDate", .time),
        ]
        let session: [(String, AttributeType)] = [
            ("Currency", .string), ("PaymentMethod", .string), ("ShippingMethod", .string), ("ShippingCost", .number),
            ("ShippingStreet", .string), ("ShippingCity", .string), ("ShippingPostalCode", .string),
            ("ShippingRegion", .string), ("ShippingCountry", .string), ("BillingStreet", .string),
            ("BillingCity", .string), ("BillingPostalCode", .string), ("BillingRegion", .string),
            ("BillingCountry", .string),
        ]
        let coupon: [(String, AttributeType)] = [("Description", .string)]
        var out: [AttributeDefinition] = []
        for (entity, list) in [
            (AttributeEntity.customerProfile, profile), (.customerSession, session), (.coupon, coupon),
        ] {
            for (name, type) in list {
                out.append(
                    AttributeDefinition(
                        id: 0, created: created, entity: entity, name: name, title: name, type: type, editable: false,
                        builtIn: true))
            }
        }
        return out
    }
}

/// The declared attributes, looked up by entity (and event type) and name: checks the attributes
/// of integration requests.
public struct AttributeSchema: Sendable {
    struct Key: Hashable {
        var entity: AttributeEntity
        var eventType: String
        var name: String
    }

    let definitions: [Key: AttributeDefinition]

    public init(_ definitions: [AttributeDefinition]) {
        var map: [Key: AttributeDefinition] = [:]
        for d in definitions {
            map[Key(entity: d.entity, eventType: d.entity == .event ? d.eventType ?? "" : "", name: d.name)] = d
        }
        self.definitions = map
    }

    /// Checks each attribute against its declaration for `applicationId`: an undeclared name is
    /// "Unknown", a value of another type "Invalid type" (null values pass: they mean "leave as is").
    public func validate(
        _ attributes: JSONObject, entity: AttributeEntity, eventType: String? = nil, applicationId: Int64,
        pointer: String
    ) throws(FieldError) {
        for (name, value) in attributes {
            let key = Key(entity: entity, eventType: entity == .event ? eventType ?? "" : "", name: name)
            guard let d = definitions[key],
                d.subscribedApplicationsIds.isEmpty || d.subscribedApplicationsIds.contains(applicationId)
            else {
                let on =
                    entity == .event
                    ? "\(entity.rawValue) entities of type \"\(eventType ?? "")\"" : "\(entity.rawValue) entities"
                throw FieldError(
                    title: "Unknown", details: "The attribute \"\(name)\" is not defined on \(on).",
                    pointer: JSONPointer.append(pointer, name))
            }
            guard value.isNull || d.type.accepts(value) else {
                throw FieldError(
                    title: "Invalid type",
                    details: "Value of \"\(name)\" attribute (\(value.text)) is not \(d.type.noun)",
                    pointer: JSONPointer.append(pointer, name))
            }
        }
    }
}
