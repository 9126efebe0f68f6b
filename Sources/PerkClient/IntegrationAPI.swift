import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// How requests prove they come from the application.
public enum Credentials: Sendable {
    /// `Authorization: ApiKey-v1 <key>`: every operation.
    case apiKey(String)
    /// `Content-Signature: signer=<applicationId>; signature=<HMAC-MD5 of the body>` under the
    /// application's hex `key`: every operation but `updateCustomerSessionV2`.
    case contentSignature(applicationId: Int, key: String)
}

/// What a call can fail with.
public enum PerkClientError: Error, Sendable {
    /// The server answered an error status with the reference's error body.
    case response(status: Int, ErrorResponse)
    /// The server answered an error status with a body that is not an error body.
    case unexpectedStatus(Int, body: String)
    /// The answer could not be decoded as the operation's result.
    case undecodable(any Error & Sendable, body: String)
    /// The hex key of `contentSignature` is not hex.
    case invalidSigningKey
}

extension PerkClientError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .response(let status, let body):
            let details = body.errors.map { e in
                [e.source.pointer ?? e.source.parameter, e.details].compactMap { $0 }.joined(separator: " ")
            }
            return "\(status) \(body.message)" + (details.isEmpty ? "" : ": " + details.joined(separator: "; "))
        case .unexpectedStatus(let status, let body): return "\(status): \(body)"
        case .undecodable(let error, _): return "unexpected answer: \(error)"
        case .invalidSigningKey: return "the signing key is not hexadecimal"
        }
    }
}

/// The eleven operations of Talon.One's Integration API, as Perk serves them.
public struct IntegrationAPI: Sendable {
    public let credentials: Credentials
    let transport: Transport
    public var baseURL: String { transport.baseURL }

    /// `baseURL` like `http://127.0.0.1:8080`.
    public init(baseURL: String, credentials: Credentials, httpClient: HTTPClient = .shared) {
        self.credentials = credentials
        self.transport = Transport(baseURL: baseURL, http: httpClient)
    }

    // MARK: Operations

    public func createCouponReservation(couponValue: String, body: CouponReservations) async throws -> Coupon {
        try await send(.POST, "/v1/coupon_reservations/\(Transport.segment(couponValue))", body)
    }

    public func createReferral(body: NewReferral) async throws -> Referral {
        try await send(.POST, "/v1/referrals", body)
    }

    public func deleteCouponReservation(couponValue: String, body: CouponReservations) async throws {
        try await sendWithoutResult(.DELETE, "/v1/coupon_reservations/\(Transport.segment(couponValue))", body)
    }

    public func deleteCustomerData(integrationId: String) async throws {
        try await sendWithoutResult(
            .DELETE, "/v1/customer_data/\(Transport.segment(integrationId))", Optional<Int>.none)
    }

    public func getCustomerInventory(integrationId: String, profile: Bool? = nil, referrals: Bool? = nil)
        async throws -> CustomerInventory
    {
        var query: [String] = []
        if let profile { query.append("profile=\(profile)") }
        if let referrals { query.append("referrals=\(referrals)") }
        let q = query.isEmpty ? "" : "?" + query.joined(separator: "&")
        return try await send(
            .GET, "/v1/customer_profiles/\(Transport.segment(integrationId))/inventory\(q)", Optional<Int>.none)
    }

    public func getReservedCoupons(integrationId: String) async throws -> InlineResponse2001 {
        try await send(.GET, "/v1/coupon_reservations/coupons/\(Transport.segment(integrationId))", Optional<Int>.none)
    }

    public func getReservedCustomers(couponValue: String) async throws -> InlineResponse200 {
        try await send(
            .GET, "/v1/coupon_reservations/customerprofiles/\(Transport.segment(couponValue))", Optional<Int>.none)
    }

    public func trackEvent(body: NewEvent) async throws -> IntegrationState {
        try await send(.POST, "/v1/events", body)
    }

    public func updateCustomerProfile(integrationId: String, body: NewCustomerProfile) async throws
        -> IntegrationState
    {
        try await send(.PUT, "/v1/customer_profiles/\(Transport.segment(integrationId))", body)
    }

    public func updateCustomerSession(customerSessionId: String, body: NewCustomerSession) async throws
        -> IntegrationState
    {
        try await send(.PUT, "/v1/customer_sessions/\(Transport.segment(customerSessionId))", body)
    }

    public func updateCustomerSessionV2(customerSessionId: String, body: IntegrationRequest) async throws
        -> IntegrationStateV2
    {
        try await send(.PUT, "/v2/customer_sessions/\(Transport.segment(customerSessionId))", body)
    }

    func send<Body: Encodable, Result: Decodable>(_ method: HTTPMethod, _ path: String, _ body: Body?) async throws
        -> Result
    {
        try await transport.send(method, path, body, authenticate: authenticate)
    }

    func sendWithoutResult<Body: Encodable>(_ method: HTTPMethod, _ path: String, _ body: Body?) async throws {
        _ = try await transport.exchange(method, path, body, authenticate: authenticate)
    }

    func authenticate(_ payload: [UInt8]) throws -> (name: String, value: String) {
        switch credentials {
        case .apiKey(let key):
            return ("Authorization", "ApiKey-v1 \(key)")
        case .contentSignature(let applicationId, let key):
            guard let secret = Transport.hexBytes(key) else { throw PerkClientError.invalidSigningKey }
            let mac = HMAC<Insecure.MD5>.authenticationCode(for: payload, using: SymmetricKey(data: secret))
            let hex = mac.map { String(format: "%02x", $0) }.joined()
            return ("Content-Signature", "signer=\(applicationId); signature=\(hex)")
        }
    }
}

/// HTTP and JSON, shared by both APIs.
struct Transport: Sendable {
    let baseURL: String
    let http: HTTPClient

    init(baseURL: String, http: HTTPClient) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.http = http
    }

    /// A path segment, percent-encoded (codes may hold `/`, `%` or spaces).
    static func segment(_ s: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/%?#")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = PerkDates.parse(text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "not an RFC 3339 time: \(text)"))
            }
            return date
        }
        return d
    }()

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(PerkDates.format(date))
        }
        return e
    }()

    func send<Body: Encodable, Result: Decodable>(
        _ method: HTTPMethod, _ path: String, _ body: Body?,
        authenticate: ([UInt8]) throws -> (name: String, value: String)
    ) async throws -> Result {
        let bytes = try await exchange(method, path, body, authenticate: authenticate)
        do {
            return try Self.decoder.decode(Result.self, from: Data(bytes))
        } catch {
            throw PerkClientError.undecodable(error, body: String(decoding: bytes, as: UTF8.self))
        }
    }

    func exchange<Body: Encodable>(
        _ method: HTTPMethod, _ path: String, _ body: Body?,
        authenticate: ([UInt8]) throws -> (name: String, value: String)
    ) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        let payload = try body.map { [UInt8](try Self.encoder.encode($0)) } ?? []
        if body != nil {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: payload))
        }
        let header = try authenticate(payload)
        request.headers.add(name: header.name, value: header.value)
        let response = try await http.execute(request, timeout: .seconds(30))
        let received = try await response.body.collect(upTo: 16 << 20)
        let bytes = Array(received.readableBytesView)
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            if let error = try? Self.decoder.decode(ErrorResponse.self, from: Data(bytes)) {
                throw PerkClientError.response(status: status, error)
            }
            throw PerkClientError.unexpectedStatus(status, body: String(decoding: bytes, as: UTF8.self))
        }
        return bytes
    }

    static func hexBytes(_ hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let b = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
            i += 2
        }
        return out
    }
}

/// RFC 3339 times as the API writes them, with or without fractional seconds.
enum PerkDates {
    static func parse(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }

    static func format(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }
}
