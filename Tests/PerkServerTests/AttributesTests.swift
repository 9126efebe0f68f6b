import HTTPTypes
import PerkJSON
import Testing

/// Declared attributes: the management endpoints, and the checks of integration requests.
@Suite struct AttributesTests {
    @Test func builtInsAreListedAndCustomAttributesCreatedReadAndUpdated() async throws {
        try await Harness.run { h in
            let list = try await h.call(.get, "/v1/attributes")
            let names = list["data"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("Name") && names.contains("ShippingCity"))
            #expect(list["totalResultSize"]?.numberValue?.intValue == Int64(names.count))
            let builtIn = try #require(list["data"]?[0])
            #expect(builtIn["editable"] == false)
            #expect(builtIn["accountId"] == 1)

            let body: JSON = [
                "entity": "CustomerSession", "name": "GiftWrap", "title": "Gift wrap", "type": "boolean",
                "description": "Wrap the order", "suggestions": [], "editable": true,
            ]
            let created = try await h.call(.post, "/v1/attributes", body)
            #expect(created.status == .created)
            let id = try #require(created["id"]?.numberValue?.intValue)
            #expect(created["type"] == "boolean")
            #expect(created["subscribedApplicationsIds"] == [])
            #expect(try await h.call(.post, "/v1/attributes", body).status == .badRequest)
            #expect(try await h.call(.get, "/v1/attributes/\(id)")["name"] == "GiftWrap")
            #expect(try await h.call(.get, "/v1/attributes/999999").status == .notFound)

            guard case .object(var changed) = body else { return }
            changed["title"] = "Gift wrapping"
            changed["type"] = "string"
            let updated = try await h.call(.put, "/v1/attributes/\(id)", .object(changed))
            #expect(updated.status == .ok)
            #expect(updated["title"] == "Gift wrapping" && updated["type"] == "string")
            changed["name"] = "Other"
            #expect(try await h.call(.put, "/v1/attributes/\(id)", .object(changed)).status == .badRequest)
            let builtInId = try #require(builtIn["id"]?.numberValue?.intValue)
            #expect(try await h.call(.put, "/v1/attributes/\(builtInId)", body).status == .badRequest)

            let bad: [(JSON, String)] = [
                (
                    [
                        "entity": "Planet", "name": "x", "title": "x", "type": "string", "description": "",
                        "suggestions": [], "editable": true,
                    ], "/entity"
                ),
                (
                    [
                        "entity": "Event", "name": "x", "title": "x", "type": "string", "description": "",
                        "suggestions": [], "editable": true,
                    ], "/eventType"
                ),
                (
                    [
                        "entity": "Coupon", "name": "x y", "title": "x", "type": "string", "description": "",
                        "suggestions": [], "editable": true,
                    ], "/name"
                ),
                (
                    [
                        "entity": "Coupon", "name": "x", "title": "x", "type": "money", "description": "",
                        "suggestions": [], "editable": true,
                    ], "/type"
                ),
                (
                    [
                        "entity": "Coupon", "name": "x", "title": "x", "type": "string", "description": "",
                        "editable": true,
                    ], "/suggestions"
                ),
            ]
            for (b, pointer) in bad {
                let r = try await h.call(.post, "/v1/attributes", b)
                #expect(r.status == .badRequest, "\(b.text)")
                #expect(r["errors"]?[0]?["source"]?["pointer"]?.stringValue == pointer, "\(b.text)")
            }
        }
    }

    @Test func integrationRequestsMayOnlySendDeclaredAttributesOfTheirType() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let other = try await h.createApplication(extra: ["name": "Other"])
            let key = try await h.createKey(app)
            let auth: [(HTTPField.Name, String)] = [(.authorization, "ApiKey-v1 \(key)")]
            try await h.declare("CustomerSession", "Points", type: "number")
            try await h.declare("CartItem", "Color")
            try await h.declare("Event", "URL", eventType: "Homepage")
            try await h.declare("CustomerProfile", "Tags", type: "(list string)")
            let r0 = try await h.call(
                .post, "/v1/attributes",
                [
                    "entity": "CustomerSession", "name": "OtherOnly", "title": "x", "type": "string", "description": "",
                    "suggestions": [], "editable": true, "subscribedApplicationsIds": [.number(other)],
                ])
            #expect(r0.status == .created)

            let unknown = try await h.session("s1", key: key, ["attributes": ["MyAttribute": 1]])
            #expect(unknown.status == .badRequest)
            #expect(
                unknown.body
                    == [
                        "message": "The submitted data was invalid",
                        "errors": [
                            [
                                "title": "Unknown",
                                "details": "The attribute \"MyAttribute\" is not defined on CustomerSession entities.",
                                "source": ["pointer": "/customerSession/attributes/MyAttribute"],
                            ]
                        ], "StatusCode": 400,
                    ])
            let wrongType = try await h.call(
                .put, "/v1/customer_profiles/p1", ["attributes": ["Name": false]], headers: auth)
            #expect(
                wrongType["errors"]?[0] == [
                    "title": "Invalid type", "details": "Value of \"Name\" attribute (false) is not a string",
                    "source": ["pointer": "/attributes/Name"],
                ])
            let cases: [(HTTPRequest.Method, String, JSON, String)] = [
                (
                    .put, "/v2/customer_sessions/s1", ["customerSession": ["attributes": ["Points": "many"]]],
                    "/customerSession/attributes/Points"
                ),
                (
                    .put, "/v2/customer_sessions/s1", ["customerSession": ["attributes": ["OtherOnly": "x"]]],
                    "/customerSession/attributes/OtherOnly"
                ),
                (
                    .put, "/v2/customer_sessions/s1",
                    [
                        "customerSession": [
                            "cartItems": [
                                ["name": "x", "sku": "x", "quantity": 1, "price": 1, "attributes": ["Size": "L"]]
                            ]
                        ]
                    ],
                    "/customerSession/cartItems/0/attributes/Size"
                ),
                (.put, "/v1/customer_sessions/s1", ["attributes": ["Unknown": 1]], "/attributes/Unknown"),
                (
                    .post, "/v1/events", ["type": "Page", "attributes": ["URL": "x"], "sessionId": "s1"],
                    "/attributes/URL"
                ),
                (
                    .post, "/v1/events", ["type": "Homepage", "attributes": ["BADURL": "x"], "sessionId": "s1"],
                    "/attributes/BADURL"
                ),
                (.put, "/v1/customer_profiles/p1", ["attributes": ["Tags": ["a", 1]]], "/attributes/Tags"),
                (.put, "/v1/customer_profiles/p1", ["attributes": ["BirthDate": "last year"]], "/attributes/BirthDate"),
            ]
            for (method, path, body, pointer) in cases {
                let r = try await h.call(method, path, body, headers: auth)
                #expect(r.status == .badRequest, "\(path) \(body.text)")
                #expect(r["errors"]?[0]?["source"]?["pointer"]?.stringValue == pointer, "\(path) \(body.text)")
            }
            let fine: [(HTTPRequest.Method, String, JSON)] = [
                (
                    .put, "/v2/customer_sessions/s1",
                    [
                        "customerSession": [
                            "attributes": ["Points": 3, "ShippingCity": "Berlin"],
                            "cartItems": [
                                ["name": "x", "sku": "x", "quantity": 1, "price": 1, "attributes": ["Color": "red"]]
                            ],
                        ]
                    ]
                ),
                (.post, "/v1/events", ["type": "Homepage", "attributes": ["URL": "https://x"], "sessionId": "s1"]),
                (
                    .put, "/v1/customer_profiles/p1",
                    ["attributes": ["Tags": ["a", "b"], "BirthDate": "1990-01-01T00:00:00Z", "Name": .null]]
                ),
            ]
            for (method, path, body) in fine {
                let r = try await h.call(method, path, body, headers: auth)
                #expect(r.status.code < 300, "\(path) \(body.text) \(r.body.text)")
            }
        }
    }
}
