import Foundation
import HTTPTypes
import PerkJSON
import Testing

/// What one Integration API request may carry; past a limit, a 400 that points at the field.
@Suite struct InputLimitsTests {
    @Test func oversizedRequestsAre400sNamingTheField() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            try await h.declare("CustomerSession", "Note")
            var deep: JSON = 1
            for _ in 0..<40 { deep = ["x": deep] }
            let cases: [(JSON, String, String)] = [
                (
                    ["cartItems": .array((0..<1_001).map { cartItem("s\($0)", price: 1) })],
                    "/customerSession/cartItems", "maxItems"
                ),
                (
                    ["cartItems": [cartItem("s", price: 1, quantity: 10_001)]], "/customerSession/cartItems/0/quantity",
                    "maximum"
                ),
                (
                    ["cartItems": [cartItem("s", price: 999_999_999_999_999, quantity: 10)]],
                    "/customerSession/cartItems", "Invalid value"
                ),
                (
                    ["attributes": ["Note": .string(String(repeating: "x", count: 10_001))]],
                    "/customerSession/attributes/Note", "maxLength"
                ),
                (
                    ["couponCodes": [.string(String(repeating: "C", count: 1_001))]], "/customerSession/couponCodes/0",
                    "maxLength"
                ),
                (
                    ["referralCode": .string(String(repeating: "R", count: 1_001))], "/customerSession/referralCode",
                    "maxLength"
                ),
                (
                    ["identifiers": .array((0..<1_001).map { .string("i\($0)") })], "/customerSession/identifiers",
                    "maxItems"
                ),
                (
                    ["attributes": ["Deep": deep]],
                    "/customerSession/attributes/Deep" + String(repeating: "/x", count: 29), "maxDepth"
                ),
            ]
            for (session, pointer, title) in cases {
                let r = try await h.session("limits", key: key, session)
                #expect(r.status == .badRequest, "\(pointer)")
                #expect(r["errors"]?[0]?["source"]?["pointer"]?.stringValue == pointer)
                #expect(r["errors"]?[0]?["title"]?.stringValue == title, "\(pointer)")
            }
            // At the limits, the request is fine.
            let fine = try await h.session(
                "limits", key: key,
                [
                    "cartItems": .array((0..<1_000).map { cartItem("s\($0)", price: 1) }),
                    "attributes": ["Note": .string(String(repeating: "x", count: 10_000))],
                ])
            #expect(fine.status == .ok)
        }
    }

    /// Lengths count code points, as JSON Schema does: 600 thumbs with a skin tone are 600
    /// characters to Swift but 1,200 code points, over the 1,000 of an id.
    @Test func lengthsCountCodePoints() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let auth: [(HTTPField.Name, String)] = [(.authorization, "ApiKey-v1 \(key)")]
            let thumbs = String(repeating: "\u{1F44D}\u{1F3FB}", count: 600)
            let encoded = thumbs.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let path = try await h.call(.get, "/v1/coupon_reservations/coupons/\(encoded)", headers: auth)
            #expect(path.status == .badRequest)
            let body = try await h.session("thumbs", key: key, ["profileId": .string(thumbs)])
            #expect(body.status == .badRequest && body["errors"]?[0]?["source"]?["pointer"] == "/customerSession/profileId")
            let fits = try await h.session("thumbs", key: key, ["profileId": .string(String(repeating: "\u{1F44D}\u{1F3FB}", count: 500))])
            #expect(fits.status == .ok)
        }
    }
}
