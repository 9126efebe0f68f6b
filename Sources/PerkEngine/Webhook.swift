import PerkJSON
import Talang

/// An outgoing HTTP call that rules trigger (`triggerWebhook`): its URL and payload are
/// templates in which `${key}` stands for the argument the rule passes for that parameter.
public struct Webhook: Sendable, Equatable {
    public var id: Int64
    public var created: Timestamp
    public var modified: Timestamp
    /// The applications whose rules may trigger it; empty: every application.
    public var applicationIds: [Int64]
    public var title: String
    public var description: String
    public var verb: String
    public var url: String
    /// `Name: value` lines sent with every call.
    public var headers: [String]
    public var payload: String
    public var params: [TemplateParameter]
    public var enabled: Bool
    /// Perk's own: the key of the `X-Perk-Signature` HMAC-SHA256 of each call's body.
    public var secret: String

    public static let verbs = ["POST", "PUT", "GET", "DELETE", "PATCH"]

    public init(
        id: Int64, created: Timestamp, modified: Timestamp, applicationIds: [Int64], title: String,
        description: String = "", verb: String, url: String, headers: [String] = [], payload: String = "",
        params: [TemplateParameter] = [], enabled: Bool = true, secret: String = ""
    ) {
        self.id = id
        self.created = created
        self.modified = modified
        self.applicationIds = applicationIds
        self.title = title
        self.description = description
        self.verb = verb
        self.url = url
        self.headers = headers
        self.payload = payload
        self.params = params
        self.enabled = enabled
        self.secret = secret
    }

    /// A header line's name and value: `Name: value`, a token for a name, and no line break or
    /// NUL anywhere (checked by bytes: "\r\n" is one Character, which neither "\r" nor "\n" matches).
    public static func header(_ line: String) -> (name: String, value: String)? {
        guard let colon = line.firstIndex(of: ":"), !line.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 })
        else { return nil }
        let name = line[..<colon]
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) })
        else { return nil }
        var value = line[line.index(after: colon)...]
        while let c = value.first, c == " " || c == "\t" { value.removeFirst() }
        while let c = value.last, c == " " || c == "\t" { value.removeLast() }
        return (String(name), String(value))
    }

    /// Whether rules of the application may trigger it.
    public func serves(_ applicationId: Int64) -> Bool {
        applicationIds.isEmpty || applicationIds.contains(applicationId)
    }
}

/// One parameter of a webhook (`TemplateArgDef`): what a rule passes, in order.
public struct TemplateParameter: Sendable, Equatable {
    public static let types = ["string", "boolean", "number", "time"]

    public var type: String
    public var title: String
    public var description: String
    /// The name `${key}` uses in the templates; the title when the definition has no key.
    public var key: String
    public var ui: JSONObject

    public init(type: String, title: String, description: String = "", key: String = "", ui: JSONObject = JSONObject())
    {
        self.type = type
        self.title = title
        self.description = description
        self.key = key
        self.ui = ui
    }

    public var name: String { key.isEmpty ? title : key }
}

/// A call ready to be sent: the templates filled in. Made by the evaluation, stored in the outbox
/// by the update that triggered it, sent once that update is committed.
public struct WebhookRequest: Sendable, Equatable {
    public var webhookId: Int64
    public var verb: String
    public var url: String
    public var headers: [String]
    public var body: String
    /// The webhook's signing key.
    public var secret: String

    public init(webhookId: Int64, verb: String, url: String, headers: [String], body: String, secret: String = "") {
        self.secret = secret
        self.webhookId = webhookId
        self.verb = verb
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// `${name}` templates of webhook URLs and payloads.
public enum WebhookTemplate {
    /// The names a template uses, in order of appearance; nil when a `${` is not closed.
    public static func names(in template: String) -> [String]? {
        var names: [String] = []
        var rest = Substring(template)
        while let open = rest.firstRange(of: "${") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { return nil }
            names.append(String(rest[open.upperBound..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// The template with each `${name}` replaced by `encode` of its value.
    static func fill(_ template: String, _ values: [String: Value], encode: (Value) -> String) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstRange(of: "${"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            out += rest[..<open.lowerBound]
            let name = String(rest[open.upperBound..<close])
            out += values[name].map(encode) ?? ""
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    static func text(_ v: Value) -> String { v.atomText ?? v.json.text }

    /// In a URL, every byte but RFC 3986's unreserved characters is percent-encoded, so that a
    /// value can neither leave its path segment or query parameter nor change the host.
    static func urlEncoded(_ v: Value) -> String {
        var out = ""
        for byte in text(v).utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    /// In a payload, a string is written as the inside of a JSON string (`"${name}"` stays valid
    /// JSON whatever the customer typed); numbers, booleans and times as their text.
    static func payloadEncoded(_ v: Value) -> String {
        guard case .string(let s) = v else { return text(v) }
        let quoted = JSON.string(s).text
        return String(quoted.dropFirst().dropLast())
    }
}

extension Webhook {
    /// The call for one `triggerWebhook`: one argument per parameter, in order, of its type.
    public func request(_ arguments: [Value]) throws(EvalError) -> WebhookRequest {
        guard arguments.count == params.count else {
            throw EvalError(
                "triggerWebhook: webhook \(id) takes \(params.count) argument(s), the rule passes \(arguments.count)")
        }
        var values: [String: Value] = [:]
        for (p, a) in zip(params, arguments) {
            let fits: Bool =
                switch (p.type, a) {
                case ("number", .decimal), ("boolean", .bool), ("time", .time): true
                case ("string", _): a.atomText != nil
                default: false
                }
            guard fits else {
                throw EvalError("triggerWebhook: the argument for \"\(p.name)\" must be a \(p.type)")
            }
            values[p.name] = a
        }
        return WebhookRequest(
            webhookId: id, verb: verb, url: WebhookTemplate.fill(url, values, encode: WebhookTemplate.urlEncoded),
            headers: headers, body: WebhookTemplate.fill(payload, values, encode: WebhookTemplate.payloadEncoded),
            secret: secret)
    }
}
