import HTTPTypes
import PerkJSON
import Testing

@Suite struct BadInputTests {
    static func pointer(_ r: Harness.Reply) -> String? { r["errors"]?[0]?["source"]?["pointer"]?.stringValue }

    @Test func malformedAndIllTypedRequestsAreClear400s() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let auth: [(HTTPField.Name, String)] = [(.authorization, "ApiKey-v1 \(key)")]
            let malformed = try await h.raw(.put, "/v2/customer_sessions/s", #"{"customerSession": {"#, headers: auth)
            #expect(malformed.status == .badRequest)
            #expect(malformed["errors"]?[0]?["title"]?.stringValue == "Malformed JSON")
            // A number no double can hold would come back unreadable to most clients.
            let huge = try await h.raw(
                .put, "/v2/customer_sessions/s", #"{"customerSession": {"attributes": {"n": 1e400}}}"#, headers: auth)
            #expect(huge.status == .badRequest)
            #expect(huge["errors"]?[0]?["details"]?.stringValue?.contains("number out of range") == true)

            let cases: [(JSON, String, String)] = [
                ([:], "/customerSession", "required"),
                (["customerSession": "x"], "/customerSession", "Invalid type"),
                (["customerSession": ["profileId": 5]], "/customerSession/profileId", "Invalid type"),
                (["customerSession": ["state": "paused"]], "/customerSession/state", "enum"),
                (["customerSession": ["couponCodes": "A"]], "/customerSession/couponCodes", "Invalid type"),
                (["customerSession": ["couponCodes": [1]]], "/customerSession/couponCodes/0", "Invalid type"),
                (
                    ["customerSession": ["cartItems": [["name": "a", "sku": "b", "quantity": 0, "price": 1]]]],
                    "/customerSession/cartItems/0/quantity", "minimum"
                ),
                (
                    ["customerSession": ["cartItems": [["name": "a", "quantity": 1, "price": 1]]]],
                    "/customerSession/cartItems/0/sku", "required"
                ),
                (
                    ["customerSession": ["cartItems": [["name": "a", "sku": "b", "quantity": 1, "price": "1"]]]],
                    "/customerSession/cartItems/0/price", "Invalid type"
                ),
                (
                    ["customerSession": ["cartItems": [["name": "a", "sku": "", "quantity": 1, "price": 1]]]],
                    "/customerSession/cartItems/0/sku", "minLength"
                ),
                (
                    ["customerSession": ["cartItems": [["name": "a", "sku": "b", "quantity": 1.5, "price": 1]]]],
                    "/customerSession/cartItems/0/quantity", "Invalid type"
                ),
                (
                    ["customerSession": ["additionalCosts": ["shipping": ["cost": 1]]]],
                    "/customerSession/additionalCosts/shipping/price", "required"
                ),
                (["customerSession": ["attributes": []]], "/customerSession/attributes", "Invalid type"),
                (
                    ["customerSession": ["cartItems": [["name": "a", "sku": "b", "quantity": 1, "price": 1e15]]]],
                    "/customerSession/cartItems/0/price", "Invalid value"
                ),
                (
                    ["customerSession": ["additionalCosts": ["shipping": ["price": -1e15]]]],
                    "/customerSession/additionalCosts/shipping/price", "Invalid value"
                ),
                (
                    ["customerSession": ["couponCodes": .array((0...100).map { .string("C\($0)") })]],
                    "/customerSession/couponCodes", "maxItems"
                ),
                (
                    ["customerSession": [:], "responseContent": ["customerSession", "everything"]],
                    "/responseContent/1", "enum"
                ),
            ]
            for (body, pointer, title) in cases {
                let r = try await h.call(.put, "/v2/customer_sessions/s", body, headers: auth)
                #expect(r.status == .badRequest, "\(body.text)")
                #expect(Self.pointer(r) == pointer, "\(body.text): \(r.body.text)")
                #expect(r["errors"]?[0]?["title"]?.stringValue == title, "\(body.text): \(r.body.text)")
                #expect(r["message"]?.stringValue == "The submitted data was invalid")
            }
            // Nothing was written by any refused request.
            let fresh = try await h.session("s", key: key, [:], content: ["event"])
            #expect(fresh["event"]?["type"]?.stringValue == "talon_session_created")
            // Unknown top-level keys and unknown cart item keys are tolerated.
            let tolerant = try await h.session(
                "t", key: key,
                ["extra": 1, "cartItems": [["name": "a", "sku": "b", "quantity": 1, "price": 1, "uuId": "x"]]])
            #expect(tolerant.status == .ok)
        }
    }

    @Test func keysAreCheckedAndApplicationsIsolated() async throws {
        try await Harness.run { h in
            let shopA = try await h.createApplication("A")
            let keyA = try await h.createKey(shopA)
            let shopB = try await h.createApplication("B")
            let keyB = try await h.createKey(shopB)
            let expired = try await h.createKey(shopA, expires: "2001-01-01T00:00:00Z")
            let campaignA = try await h.createCampaign(shopA, rules: [Harness.couponRule])
            let code = try await h.createCoupons(shopA, campaignA, pattern: "ONLYA1")[0]

            var anonymous = h
            anonymous.token = ""
            let noKey = try await anonymous.call(.put, "/v2/customer_sessions/s", ["customerSession": [:]])
            #expect(noKey.status == .unauthorized)
            #expect(noKey["message"]?.stringValue != nil)
            #expect(try await h.session("s", key: "wrong", [:]).status == .unauthorized)
            #expect(try await h.session("s", key: expired, [:]).status == .unauthorized)
            let bearer = try await anonymous.call(
                .put, "/v2/customer_sessions/s", ["customerSession": [:]], headers: [(.authorization, "Bearer \(keyA)")]
            )
            #expect(bearer.status == .unauthorized)

            // B cannot use A's coupon, nor see A's session of the same id.
            let inB = try await h.session("shared", key: keyB, ["couponCodes": [.string(code)]])
            #expect(inB.body.effects("rejectCoupon").first?["rejectionReason"]?.stringValue == "CouponNotFound")
            _ = try await h.session("shared", key: keyA, ["couponCodes": [.string(code)]])
            _ = try await h.session("shared", key: keyA, ["state": "closed"])
            let stillOpenInB = try await h.session("shared", key: keyB, ["cartItems": []], content: ["customerSession"])
            #expect(stillOpenInB.status == .ok)
            #expect(stillOpenInB["customerSession"]?["state"]?.stringValue == "open")
            #expect(stillOpenInB["customerSession"]?["applicationId"]?.numberValue?.intValue == shopB)
        }
    }

    @Test func pathIdsArePercentDecoded() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let key = try await h.createKey(app)
            let r = try await h.session("order%2F42%20x", key: key, [:], content: ["customerSession"])
            #expect(r["customerSession"]?["integrationId"]?.stringValue == "order/42 x")
        }
    }

    @Test func anotherMethodOnAKnownPathIs405WithAllow() async throws {
        try await Harness.run { h in
            let patch = try await h.raw(.patch, "/v1/applications/7", "{}")
            #expect(patch.status == .methodNotAllowed)
            #expect(patch.headers[.allow] == "GET, PUT")
            #expect(patch["message"]?.stringValue == "PATCH is not allowed here; use GET, PUT")
            let query = try await h.raw(HTTPRequest.Method("QUERY")!, "/v1/applications", nil)
            #expect(query.status == .methodNotAllowed)
            #expect(query.headers[.allow] == "POST, GET")
            // A literal segment wins over a parameter, as in the router.
            let noTotal = try await h.raw(.delete, "/v1/applications/1/campaigns/2/coupons/no_total", nil)
            #expect(noTotal.status == .methodNotAllowed && noTotal.headers[.allow] == "GET")
            // An unknown path stays 404, whatever the method.
            #expect(try await h.raw(.patch, "/v1/nothing/here", nil).status == .notFound)
            #expect(try await h.raw(.get, "/v1/applications/7/nothing", nil).status == .notFound)
        }
    }

    @Test func theOpenAPIDocumentIsServed() async throws {
        try await Harness.run { h in
            let r = try await h.raw(.get, "/openapi.yaml", nil)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "application/yaml")
            guard case .string(let text) = r.body else {
                Issue.record("expected YAML text")
                return
            }
            #expect(text.hasPrefix("openapi: 3.0"))
            #expect(text.contains("operationId: updateCustomerSessionV2"))
        }
    }
}
