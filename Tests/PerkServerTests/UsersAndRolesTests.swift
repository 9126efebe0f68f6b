import HTTPTypes
import PerkJSON
import PerkServer
import PerkStorage
import Testing

/// Users, roles and the rights they grant, checked from outside: who may call what.
@Suite struct UsersAndRolesTests {
    /// Creates a user (as the admin of `h`) and answers a harness signed in as them.
    static func signedIn(_ h: Harness, _ email: String, roles: [Int64] = [], admin: Bool = false) async throws
        -> (Harness, Int64)
    {
        let made = try await h.call(
            .post, "/v1/users",
            [
                "email": .string(email), "password": "correct horse", "name": "Someone",
                "roles": .array(roles.map { .number($0) }), "isAdmin": .bool(admin),
            ])
        guard made.status == .created, let id = made["id"]?.numberValue?.intValue else {
            throw HarnessError(reply: made)
        }
        var other = h
        other.token = ""
        let login = try await other.call(.post, "/v1/sessions", ["email": .string(email), "password": "correct horse"])
        guard login.status == .created else { throw HarnessError(reply: login) }
        other.token = login["token"]?.stringValue ?? ""
        return (other, id)
    }

    static func role(_ h: Harness, _ acl: JSON, name: String = "Role") async throws -> Int64 {
        let r = try await h.call(.post, "/v1/roles", ["name": .string(name), "acl": .string(acl.text), "users": []])
        guard r.status == .created, let id = r["id"]?.numberValue?.intValue else { throw HarnessError(reply: r) }
        return id
    }

    @Test func aUserWithoutRolesSeesNothingButThemselves() async throws {
        try await Harness.run { h in
            let app = try await h.createApplication()
            let (nobody, id) = try await Self.signedIn(h, "nobody@example.com")
            #expect(try await nobody.call(.get, "/v1/applications").status == .forbidden)
            #expect(try await nobody.call(.get, "/v1/applications/\(app)").status == .notFound)
            #expect(try await nobody.call(.get, "/v1/attributes").status == .forbidden)
            let forbidden = try await nobody.call(.post, "/v1/applications", ["name": "Mine", "currency": "EUR"])
            #expect(forbidden.status == .forbidden)
            #expect(forbidden["message"]?.stringValue?.contains("admin") == true)
            let me = try await nobody.call(.get, "/v1/users/\(id)")
            #expect(me.status == .ok)
            #expect(me["email"]?.stringValue == "nobody@example.com")
            #expect(me["roles"] == [])
            #expect(me["isAdmin"] == false)
        }
    }

    @Test func aReadOnlyRoleSeesItsApplicationOnly() async throws {
        try await Harness.run { h in
            let shop = try await h.createApplication("Shop")
            let other = try await h.createApplication("Other")
            let campaign = try await h.createCampaign(shop, rules: [Harness.couponRule])
            let readOnly = try await Self.role(h, ["applications": [String(shop): ["read"]]])
            let (reader, _) = try await Self.signedIn(h, "reader@example.com", roles: [readOnly])

            let apps = try await reader.call(.get, "/v1/applications")
            #expect(apps.status == .ok)
            #expect(apps["data"]?.arrayValue?.compactMap { $0["id"]?.numberValue?.intValue } == [shop])
            #expect(apps["totalResultSize"] == 1)
            #expect(try await reader.call(.get, "/v1/applications/\(other)").status == .notFound)
            #expect(try await reader.call(.get, "/v1/applications/\(other)/campaigns").status == .notFound)
            #expect(try await reader.call(.get, "/v1/applications/\(shop)/campaigns/\(campaign)").status == .ok)
            let change = try await reader.call(
                .put, "/v1/applications/\(shop)/campaigns/\(campaign)", ["name": "Renamed", "state": "disabled"])
            #expect(change.status == .forbidden)
            #expect(change["message"]?.stringValue?.contains("campaigns") == true)
            let stored = try await h.call(.get, "/v1/applications/\(shop)/campaigns/\(campaign)")
            #expect(stored["name"] == "Campaign")
            #expect(try await reader.call(.post, "/v1/applications/\(shop)/api_keys", ["title": "k", "expires": "2099-01-01T00:00:00Z"]).status == .forbidden)
            #expect(try await reader.call(.get, "/v1/attributes").status == .ok)
            #expect(try await reader.call(.post, "/v1/attributes", ["entity": "CustomerSession", "name": "x", "title": "x", "type": "string", "description": ""]).status == .forbidden)
        }
    }

    @Test func rightsAreGrantedOneByOne() async throws {
        try await Harness.run { h in
            let shop = try await h.createApplication("Shop")
            let campaigns = try await Self.role(h, ["applications": [String(shop): ["campaigns"]]])
            let (marketer, _) = try await Self.signedIn(h, "marketer@example.com", roles: [campaigns])
            let campaign = try await marketer.createCampaign(shop, rules: [Harness.couponRule])
            let coupons = try await marketer.call(
                .post, "/v1/applications/\(shop)/campaigns/\(campaign)/coupons",
                ["couponPattern": "A-####", "validCharacters": ["0-9"], "numberOfCoupons": 1, "usageLimit": 1])
            #expect(coupons.status == .forbidden)
            let live = try await marketer.call(
                .post, "/v1/applications/\(shop)/api_keys", ["title": "live", "expires": "2099-01-01T00:00:00Z"])
            #expect(live.status == .forbidden)
            // Trying carts takes a staging key, which changing campaigns allows.
            let staging = try await marketer.call(
                .post, "/v1/applications/\(shop)/api_keys",
                ["title": "test cart", "expires": "2099-01-01T00:00:00Z", "type": "staging"])
            #expect(staging.status == .created)

            let couponsRole = try await Self.role(h, ["applications": ["*": ["coupons"]]], name: "Coupons")
            let (clerk, _) = try await Self.signedIn(h, "clerk@example.com", roles: [couponsRole])
            #expect(try await clerk.createCoupons(shop, campaign, pattern: "B-####").count == 1)
            #expect(try await clerk.call(.delete, "/v1/applications/\(shop)/campaigns/\(campaign)").status == .forbidden)
            // "*" includes applications made later.
            let later = try await h.createApplication("Later")
            #expect(try await clerk.call(.get, "/v1/applications/\(later)").status == .ok)
        }
    }

    @Test func aRoleChangeTakesEffectAtTheNextRequest() async throws {
        try await Harness.run { h in
            let shop = try await h.createApplication()
            let role = try await Self.role(h, ["applications": [String(shop): ["read"]]])
            let (user, id) = try await Self.signedIn(h, "u@example.com", roles: [role])
            #expect(try await user.call(.get, "/v1/applications/\(shop)").status == .ok)
            let emptied = try await h.call(.put, "/v1/roles/\(role)", ["users": []])
            #expect(emptied.status == .ok)
            #expect(emptied["members"] == [])
            #expect(try await user.call(.get, "/v1/applications/\(shop)").status == .notFound)
            let given = try await h.call(.put, "/v1/users/\(id)", ["roles": [.number(role)]])
            #expect(given["roles"] == [.number(role)])
            #expect(try await h.call(.get, "/v1/roles/\(role)")["members"] == [.number(id)])
            #expect(try await user.call(.get, "/v1/applications/\(shop)").status == .ok)
            #expect(try await h.call(.delete, "/v1/roles/\(role)").status == .noContent)
            #expect(try await user.call(.get, "/v1/applications/\(shop)").status == .notFound)
        }
    }

    @Test func badRolesAndUsersAreRefusedAtTheirField() async throws {
        try await Harness.run { h in
            let bad = try await h.call(
                .post, "/v1/roles", ["name": "Bad", "acl": #"{"applications": {"1": ["everything"]}}"#, "users": []])
            #expect(bad.status == .badRequest)
            #expect(bad["errors"]?[0]?["source"]?["pointer"] == "/acl")
            let notJSON = try await h.call(.post, "/v1/roles", ["name": "Bad", "acl": "admin", "users": []])
            #expect(notJSON["errors"]?[0]?["source"]?["pointer"] == "/acl")
            let noUser = try await h.call(.post, "/v1/roles", ["name": "R", "acl": "{}", "users": [999]])
            #expect(noUser["errors"]?[0]?["source"]?["pointer"] == "/users/0")
            let short = try await h.call(.post, "/v1/users", ["email": "a@example.com", "password": "short"])
            #expect(short["errors"]?[0]?["source"]?["pointer"] == "/password")
            let noRole = try await h.call(
                .post, "/v1/users", ["email": "a@example.com", "password": "long enough", "roles": [42]])
            #expect(noRole["errors"]?[0]?["source"]?["pointer"] == "/roles/0")
            _ = try await Self.signedIn(h, "a@example.com")
            let twice = try await h.call(.post, "/v1/users", ["email": "A@example.com", "password": "long enough"])
            #expect(twice["errors"]?[0]?["source"]?["pointer"] == "/email")
            let users = try await h.call(.get, "/v1/users?sort=-email")
            #expect(users["data"]?.arrayValue?.compactMap { $0["email"]?.stringValue } == ["admin@example.com", "a@example.com"])
        }
    }

    @Test func aDeactivatedUserIsSignedOutAndTheLastAdminStays() async throws {
        try await Harness.run { h in
            let shop = try await h.createApplication()
            let (user, id) = try await Self.signedIn(h, "leaver@example.com", admin: true)
            #expect(try await user.call(.get, "/v1/applications/\(shop)").status == .ok)
            #expect(try await h.call(.put, "/v1/users/\(id)", ["state": "deactivated"]).status == .ok)
            #expect(try await user.call(.get, "/v1/applications/\(shop)").status == .unauthorized)
            var again = user
            again.token = ""
            let login = try await again.call(
                .post, "/v1/sessions", ["email": "leaver@example.com", "password": "correct horse"])
            #expect(login.status == .unauthorized)

            let adminId = try await h.call(.get, "/v1/users?sort=email")["data"]?[0]?["id"]?.numberValue?.intValue
            let last = try await h.call(.put, "/v1/users/\(adminId ?? 0)", ["isAdmin": false])
            #expect(last.status == .badRequest)
            #expect(last["message"]?.stringValue?.contains("admin") == true)
            #expect(try await h.call(.delete, "/v1/users/\(adminId ?? 0)").status == .badRequest)
            #expect(try await h.call(.get, "/v1/users/\(adminId ?? 0)")["isAdmin"] == true)
            #expect(try await h.call(.delete, "/v1/users/\(id)").status == .noContent)
            #expect(try await h.call(.get, "/v1/users/\(id)").status == .notFound)
        }
    }

    @Test func usersChangeTheirOwnPasswordAndNameOnly() async throws {
        try await Harness.run { h in
            let (user, id) = try await Self.signedIn(h, "me@example.com")
            var elsewhere = user
            elsewhere.token = ""
            let second = try await elsewhere.call(
                .post, "/v1/sessions", ["email": "me@example.com", "password": "correct horse"])
            elsewhere.token = second["token"]?.stringValue ?? ""

            let wrong = try await user.call(
                .put, "/v1/users/me/password", ["password": "incorrect", "newPassword": "battery staple"])
            #expect(wrong.status == .badRequest)
            #expect(wrong["errors"]?[0]?["source"]?["pointer"] == "/password")
            let changed = try await user.call(
                .put, "/v1/users/me/password", ["password": "correct horse", "newPassword": "battery staple"])
            #expect(changed.status == .noContent)
            #expect(try await user.call(.get, "/v1/users/\(id)").status == .ok)
            #expect(try await elsewhere.call(.get, "/v1/users/\(id)").status == .unauthorized)
            let old = try await elsewhere.call(
                .post, "/v1/sessions", ["email": "me@example.com", "password": "correct horse"])
            #expect(old.status == .unauthorized)
            let new = try await elsewhere.call(
                .post, "/v1/sessions", ["email": "me@example.com", "password": "battery staple"])
            #expect(new.status == .created)

            #expect(try await user.call(.put, "/v1/users/\(id)", ["name": "Me"])["name"] == "Me")
            #expect(try await user.call(.put, "/v1/users/\(id)", ["isAdmin": true]).status == .forbidden)
            let recovery = try await h.call(.post, "/v1/password_recovery_emails", ["email": "me@example.com"])
            #expect(recovery.status == .badRequest)
        }
    }

    @Test func everyChangeIsInTheAuditLogWithoutSecrets() async throws {
        try await Harness.run { h in
            let shop = try await h.createApplication()
            let campaign = try await h.createCampaign(shop, rules: [Harness.couponRule])
            _ = try await h.createKey(shop)
            _ = try await h.createCoupons(shop, campaign, pattern: "C-####", count: 3)
            var stored = try await h.call(.get, "/v1/applications/\(shop)/campaigns/\(campaign)").body.objectValue ?? [:]
            stored["name"] = "Renamed"
            let renamed = try await h.call(.put, "/v1/applications/\(shop)/campaigns/\(campaign)", .object(stored))
            #expect(renamed.status == .ok, "\(renamed.body)")
            let (_, userId) = try await Self.signedIn(h, "new@example.com")
            let deleted = try await h.call(.delete, "/v1/applications/\(shop)/campaigns/\(campaign)")
            #expect(deleted.status == .noContent, "\(deleted.body)")
            // Reads, failures and searches are not changes.
            _ = try await h.call(.get, "/v1/applications/\(shop)")
            _ = try await h.call(.put, "/v1/applications/\(shop)/campaigns/999", ["name": "x"])

            let log = try await h.call(.get, "/v1/changes?sort=created")
            #expect(log.status == .ok)
            let entries = log["data"]?.arrayValue ?? []
            let entities = entries.compactMap { $0["entity"]?.stringValue }
            let base = "/v1/applications/\(shop)"
            #expect(
                entities == [
                    "/v1/applications", "\(base)/campaigns", "\(base)/campaigns/\(campaign)/rulesets",
                    "\(base)/api_keys", "\(base)/campaigns/\(campaign)/coupons", "\(base)/campaigns/\(campaign)",
                    "/v1/users", "\(base)/campaigns/\(campaign)",
                ])
            #expect(log["totalResultSize"] == 8)
            let rename = entries[5]
            #expect(rename["old"]?["name"] == "Campaign")
            #expect(rename["new"]?["name"] == "Renamed")
            #expect(rename["applicationId"] == .number(shop))
            #expect(entries[3]["new"]?["title"] == "test")
            #expect(entries[3]["new"]?["key"] == nil)
            #expect(entries[4]["new"]?["data"]?.arrayValue?.count == 3)
            #expect(entries[6]["new"]?["password"] == nil)
            #expect(entries[6]["new"]?["email"] == "new@example.com")
            #expect(entries[7]["old"]?["name"] == "Renamed")
            #expect(entries[7]["new"] == nil)
            #expect(entries.allSatisfy { $0["userId"] != .number(userId) })

            let mine = try await h.call(.get, "/v1/changes?applicationId=\(shop)&includeOld=false&pageSize=2")
            #expect(mine["data"]?.arrayValue?.count == 2)
            #expect(mine["hasMore"] == true)
            #expect(mine["totalResultSize"] == 6)
            #expect(mine["data"]?[0]?["old"] == nil)
            #expect(mine["data"]?[0]?["entity"]?.stringValue == "\(base)/campaigns/\(campaign)")

            let (nonAdmin, _) = try await Self.signedIn(h, "reader@example.com", roles: [])
            #expect(try await nonAdmin.call(.get, "/v1/changes").status == .forbidden)
        }
    }

    @Test func declaredAdditionalCostsAreTheOnlyOnesSessionsMaySend() async throws {
        try await Harness.run { h in
            let shop = try await h.createApplication()
            let other = try await h.createApplication("Other")
            let key = try await h.createKey(shop)
            let otherKey = try await h.createKey(other)
            let session: JSON = ["cartItems": [cartItem("A", price: 10)], "additionalCosts": ["wrapping": ["price": 2]]]
            #expect(try await h.session("s1", key: key, session).status == .ok)

            let made = try await h.call(
                .post, "/v1/additional_costs",
                [
                    "name": "shipping", "title": "Shipping", "description": "Delivery to the door",
                    "subscribedApplicationsIds": [.number(shop)],
                ])
            #expect(made.status == .created)
            #expect(made["accountId"] == 1)
            let id = made["id"]?.numberValue?.intValue ?? 0
            let refused = try await h.session("s2", key: key, session)
            #expect(refused.status == .badRequest)
            #expect(refused["errors"]?[0]?["source"]?["pointer"] == "/customerSession/additionalCosts/wrapping")
            let shipping: JSON = ["additionalCosts": ["shipping": ["price": 4.5]]]
            let ok = try await h.session("s3", key: key, shipping, content: ["customerSession"])
            #expect(ok.status == .ok)
            #expect(ok["customerSession"]?["additionalCosts"]?["shipping"]?["price"] == 4.5)
            #expect(try await h.session("s4", key: otherKey, shipping).status == .badRequest)

            let everywhere = try await h.call(
                .put, "/v1/additional_costs/\(id)",
                ["name": "shipping", "title": "Shipping", "description": "", "subscribedApplicationsIds": []])
            #expect(everywhere.status == .ok)
            #expect(try await h.session("s5", key: otherKey, shipping).status == .ok)

            let twice = try await h.call(
                .post, "/v1/additional_costs", ["name": "shipping", "title": "Again", "description": ""])
            #expect(twice["errors"]?[0]?["source"]?["pointer"] == "/name")
            let noApp = try await h.call(
                .post, "/v1/additional_costs",
                ["name": "wrap", "title": "Wrap", "description": "", "subscribedApplicationsIds": [999]])
            #expect(noApp["errors"]?[0]?["source"]?["pointer"] == "/subscribedApplicationsIds/0")
            let list = try await h.call(.get, "/v1/additional_costs")
            #expect(list["totalResultSize"] == 1)
            #expect(try await h.call(.get, "/v1/additional_costs/\(id)")["title"] == "Shipping")
        }
    }
}
