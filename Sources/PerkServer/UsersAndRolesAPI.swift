import Hummingbird
import PerkEngine
import PerkJSON
import PerkStorage
import Talang

/// The people who manage promotions and what they may do. The 2020 reads (`getUsers`, `getUser`,
/// `getAllRoles`, `getRole`) and Perk's own writes: users (`POST`, `PUT`, `DELETE /v1/users`),
/// roles (`POST`, `PUT`, `DELETE /v1/roles`) and a user's own password
/// (`PUT /v1/users/me/password`). The account always keeps one active admin.
extension ManagementAPI {
    static let minPasswordLength = 8

    func registerUsersAndRoles(on router: Routes) {
        router.get("/v1/users") { req, ctx in try await listUsers(req, ctx) }
        router.post("/v1/users") { req, ctx in try await createUser(req, ctx) }
        router.put("/v1/users/me/password") { req, ctx in try await changeOwnPassword(req, ctx) }
        router.get("/v1/users/:userId") { req, ctx in try await getUser(req, ctx) }
        router.put("/v1/users/:userId") { req, ctx in try await updateUser(req, ctx) }
        router.delete("/v1/users/:userId") { req, ctx in try await deleteUser(req, ctx) }
        router.get("/v1/roles") { req, _ in try await listRoles(req) }
        router.post("/v1/roles") { req, ctx in try await createRole(req, ctx) }
        router.get("/v1/roles/:roleId") { req, ctx in try await getRole(req, ctx) }
        router.put("/v1/roles/:roleId") { req, ctx in try await updateRole(req, ctx) }
        router.delete("/v1/roles/:roleId") { req, ctx in try await deleteRole(req, ctx) }
        // A self-hosted Perk sends no e-mail: an admin sets a forgotten password instead.
        router.post("/v1/password_recovery_emails") { _, _ -> Response in
            throw APIError.badRequest(
                "Perk does not send e-mail; an account admin sets a new password with PUT /v1/users/{userId}")
        }
        router.post("/v1/reset_password") { _, _ -> Response in
            throw APIError.invalid(
                FieldError(
                    title: "Invalid value",
                    details: "Perk makes no reset tokens; an account admin sets a new password with PUT /v1/users/{userId}",
                    pointer: "/resetToken"))
        }
    }

    // MARK: Users

    func listUsers(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await member(req)
        let (skip, limit) = try req.paging()
        // An empty `sort` lists in the default order.
        let order = req.query("sort") == "" ? UserSort() : try req.sortQuery(UserField.self) ?? UserSort()
        let page = try await store.read { tx in
            let page = try tx.users(skip: skip, limit: limit, sort: order)
            return (page, try page.items.map { try tx.roleIds(userId: $0.id) })
        }
        let items = zip(page.0.items, page.1).map { Wire.user($0, roles: $1) }
        return jsonResponse(.ok, listJSON(items, total: page.0.total))
    }

    func storedUser(_ ctx: PerkRequestContext) async throws -> (User, [Int64]) {
        let id = try ctx.parameters.id("userId")
        return try await found("User") { tx in try tx.user(id: id).map { ($0, try tx.roleIds(userId: id)) } }
    }

    func getUser(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let principal = try await principal(req)
        let (user, roles) = try await storedUser(ctx)
        // Everyone may see themselves; other users are for those who may see the account.
        guard user.id == principal.userId || principal.isMember else {
            throw APIError.forbidden("see other users")
        }
        return jsonResponse(.ok, Wire.user(user, roles: roles))
    }

    /// `{email, password, name?, isAdmin?, roles?}` (the current `NewUser` without its invite
    /// token, and the current `UpdateUser`'s `isAdmin` and `roles`) → 201 `User`.
    func createUser(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        let body = try await req.json(context: ctx)
        let now = clock()
        let new = try decode { try newUser(body) }
        let (email, password, name, isAdmin, roles) = (new.email, new.password, new.name, new.isAdmin, new.roles)
        let hash = try await access.hash(password)
        let user = User(email: email, name: name, passwordHash: hash, admin: isAdmin, created: now)
        let created = try await store.write { tx in
            try checkRoles(roles, tx)
            let created: User
            do {
                created = try tx.insertUser(user)
            } catch StoreError.duplicate {
                throw APIError.invalid(
                    FieldError(title: "Duplicate", details: "a user with this email exists", pointer: "/email"))
            }
            try tx.setRoles(userId: created.id, roleIds: roles)
            return created
        }
        return jsonResponse(.created, Wire.user(created, roles: Set(roles).sorted()))
    }

    /// The current `UpdateUser` (`name`, `state`, `isAdmin`, `roles`) and Perk's own `password`:
    /// an admin may change anyone; other users only their own `name`.
    func updateUser(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let principal = try await principal(req)
        if !principal.isAdmin, try ctx.parameters.id("userId") != principal.userId {
            throw APIError.forbidden("change other users")
        }
        var (user, roles) = try await storedUser(ctx)
        let body = try await req.json(context: ctx)
        let r = try decode { try ObjectReader(body, at: "") }
        if !principal.isAdmin {
            // A user may send their whole record back; only what they may not change is refused.
            let unchanged: [String: JSON] = [
                "state": .string(user.state.rawValue), "isAdmin": .bool(user.admin),
                "roles": .array(roles.map { .number($0) }),
            ]
            for key in ["state", "isAdmin", "roles", "password"] {
                guard let v = r.object[key], !v.isNull, v != unchanged[key] else { continue }
                throw APIError.forbidden("change your own \(key)")
            }
        }
        var password: String?
        try decode {
            if let name = try r.string("name", maxLength: 1000) { user.name = name }
            if let state = try r.enumeration("state", User.State.self) { user.state = state }
            if let admin = try r.bool("isAdmin") { user.admin = admin }
            if let ids = try r.ids("roles") { roles = Set(ids).sorted() }
            if r.object.contains("password") { password = try self.password(r, "password") }
        }
        user.modified = clock()
        if let password { user.passwordHash = try await access.hash(password) }
        let toSave = user
        let newRoles = roles
        let rolesGiven = r.object.contains("roles")
        let passwordChanged = password != nil
        try await store.write { tx in
            try checkRoles(newRoles, tx)
            try tx.updateUser(toSave)
            if rolesGiven { try tx.setRoles(userId: toSave.id, roleIds: newRoles) }
            if passwordChanged { try tx.updatePasswordHash(userId: toSave.id, passwordHash: toSave.passwordHash) }
            // A deactivated user, or one whose password an admin reset, is signed out everywhere.
            if toSave.state != .active || passwordChanged { try tx.deleteTokens(userId: toSave.id, except: nil) }
            try keepAnAdmin(tx)
        }
        return jsonResponse(.ok, Wire.user(toSave, roles: newRoles))
    }

    func deleteUser(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        let id = try ctx.parameters.id("userId")
        try await store.write { tx in
            guard try tx.deleteUser(id: id) else { throw APIError.notFound("User") }
            try keepAnAdmin(tx)
        }
        return emptyResponse(.noContent)
    }

    /// `ChangeProfilePassword {password, newPassword}` (the current SDK's): the signed-in user's
    /// own password, given the old one. Their other sign-ins end; this one stays.
    func changeOwnPassword(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        let principal = try await principal(req)
        let body = try await req.json(context: ctx)
        let (old, new) = try decode {
            let r = try ObjectReader(body, at: "")
            return (try r.string("password", required: true)!, try password(r, "newPassword"))
        }
        guard let user = try await store.read({ tx in try tx.user(id: principal.userId) }) else {
            throw APIError.unauthorized
        }
        guard try await access.verify(old, against: user.passwordHash) else {
            throw APIError.invalid(
                FieldError(title: "Invalid value", details: "password is not your current password", pointer: "/password"))
        }
        let hash = try await access.hash(new)
        let current = Credentials.digest(try req.credential(scheme: "Bearer"))
        try await store.write { tx in
            try tx.updatePasswordHash(userId: user.id, passwordHash: hash)
            try tx.deleteTokens(userId: user.id, except: current)
        }
        return emptyResponse(.noContent)
    }

    private struct NewUser {
        var email: String
        var password: String
        var name: String
        var isAdmin: Bool
        var roles: [Int64]
    }

    private func newUser(_ body: JSON) throws(FieldError) -> NewUser {
        let r = try ObjectReader(body, at: "")
        let email = try r.string("email", required: true, minLength: 3, maxLength: Self.maxEmailLength)!
        guard email.contains("@"), !email.contains(where: \.isWhitespace) else {
            throw FieldError(title: "Invalid value", details: "email must be an e-mail address", pointer: "/email")
        }
        return NewUser(
            email: email, password: try password(r, "password"), name: try r.string("name", maxLength: 1000) ?? "",
            isAdmin: try r.bool("isAdmin") ?? false, roles: try r.ids("roles") ?? [])
    }

    private func password(_ r: ObjectReader, _ key: String) throws(FieldError) -> String {
        try access.password(r, key, minimum: Self.minPasswordLength)
    }

    private func checkRoles(_ ids: [Int64], _ tx: any StoreTransaction) throws {
        try Self.requireExisting(ids, field: "roles", noun: "role") { try tx.role(id: $0) != nil }
    }

    /// Fails the transaction when it would leave the account without an active admin (by their
    /// own flag or by a role).
    private func keepAnAdmin(_ tx: any StoreTransaction) throws {
        let active = try tx.users(skip: 0, limit: Int.max, sort: UserSort()).items.filter { $0.state == .active }
        let adminRoles = try tx.roles().filter { (try? AccessList(text: $0.acl, at: "/acl"))?.admin == true }
        let byRole = Set(adminRoles.flatMap(\.members))
        guard active.contains(where: { $0.admin || byRole.contains($0.id) }) else {
            throw APIError.badRequest("The account needs at least one active admin; make another user admin first")
        }
    }

    // MARK: Roles

    func listRoles(_ req: Request) async throws -> Response {
        try await member(req)
        let roles = try await store.read { tx in try tx.roles() }
        return jsonResponse(.ok, listJSON(roles.map(Wire.role), total: roles.count))
    }

    func storedRole(_ ctx: PerkRequestContext) async throws -> Role {
        let id = try ctx.parameters.id("roleId")
        return try await found("Role") { tx in try tx.role(id: id) }
    }

    func getRole(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await member(req)
        return jsonResponse(.ok, Wire.role(try await storedRole(ctx)))
    }

    /// The 2020 `NewRole {name, description?, acl, users}` (`members`, the current name, too).
    func createRole(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        let body = try await req.json(context: ctx)
        let now = clock()
        var role = Role(name: "", description: "", acl: "", members: [], created: now, modified: now)
        let membersKey = try decode { try Self.applyRole(body, to: &role, creating: true) }
        let toInsert = role
        let created = try await store.write { tx in
            try checkUsers(toInsert.members, field: membersKey, tx)
            return try tx.insertRole(toInsert)
        }
        return jsonResponse(.created, Wire.role(created))
    }

    /// The 2020 `UpdateRole`: the fields given replace the stored ones.
    func updateRole(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        var role = try await storedRole(ctx)
        let body = try await req.json(context: ctx)
        let membersKey = try decode { try Self.applyRole(body, to: &role, creating: false) }
        role.modified = clock()
        role.members = Set(role.members).sorted()
        let toSave = role
        try await store.write { tx in
            try checkUsers(toSave.members, field: membersKey, tx)
            try tx.updateRole(toSave)
            try keepAnAdmin(tx)
        }
        return jsonResponse(.ok, Wire.role(toSave))
    }

    func deleteRole(_ req: Request, _ ctx: PerkRequestContext) async throws -> Response {
        try await admin(req)
        let id = try ctx.parameters.id("roleId")
        try await store.write { tx in
            guard try tx.deleteRole(id: id) else { throw APIError.notFound("Role") }
            try keepAnAdmin(tx)
        }
        return emptyResponse(.noContent)
    }

    /// Applies a role body; answers the key its members came under (`users` or `members`).
    static func applyRole(_ body: JSON, to role: inout Role, creating: Bool) throws(FieldError) -> String {
        let r = try ObjectReader(body, at: "")
        if let name = try r.string("name", required: creating, minLength: 1, maxLength: 1000) { role.name = name }
        if let d = try r.string("description", maxLength: 10_000) { role.description = d }
        if let v = try r.value("acl", required: creating) {
            // The 2020 API sends the list as JSON text; an object is taken too.
            let text: String
            switch v {
            case .string(let s): text = s
            case .object: text = v.text
            default: throw .type("/acl", "acl", expected: "a JSON object or its text", found: v)
            }
            guard text.utf8.count <= 100_000 else {
                throw FieldError(title: "maxLength", details: "acl can be at most 100000 bytes", pointer: "/acl")
            }
            _ = try AccessList(text: text, at: "/acl")
            role.acl = text
        }
        // Both are read, so that a wrong list is refused even when the other one wins.
        let users = try r.ids("users", required: creating && !r.object.contains("members"))
        let members = try r.ids("members")
        if let ids = members ?? users { role.members = ids }
        return members != nil ? "members" : "users"
    }

    private func checkUsers(_ ids: [Int64], field: String, _ tx: any StoreTransaction) throws {
        try Self.requireExisting(ids, field: field, noun: "user") { try tx.user(id: $0) != nil }
    }
}

extension Wire {
    /// The 2020 `User`, with the current `isAdmin`. `policy` is the user's own access list (the
    /// rights their roles add are in `roles`).
    static func user(_ u: User, roles: [Int64]) -> JSON {
        [
            "id": .number(u.id), "created": u.created.json, "modified": u.modified.json, "email": .string(u.email),
            "accountId": 1, "inviteToken": "", "state": .string(u.state.rawValue), "name": .string(u.name),
            "policy": .string(JSON.object(["admin": .bool(u.admin)]).text), "releaseUpdate": false,
            "roles": .array(roles.map { .number($0) }), "applicationNotificationSubscriptions": .object(JSONObject()),
            "authMethod": "basic_auth", "isAdmin": .bool(u.admin),
        ]
    }

    /// The 2020 `Role`; `acl` is its access list's JSON text. `created` and `modified` are the current SDK's.
    static func role(_ r: Role) -> JSON {
        [
            "id": .number(r.id), "accountID": 1, "name": .string(r.name), "description": .string(r.description),
            "members": .array(r.members.map { .number($0) }), "acl": .string(r.acl), "created": r.created.json,
            "modified": r.modified.json,
        ]
    }
}
