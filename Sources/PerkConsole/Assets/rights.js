// Rights in Perk's own access list (a role's `acl`, JSON text): `{"admin": bool, "applications":
// {"<appId>" or "*": ["read", "campaigns", "coupons", "keys"]}}`. Any right includes read; admin
// may do everything. Here they are read, merged, and said in plain words; no one types the JSON.

/** The rights an application may grant, as the role editor and the summaries name them. */
export const RIGHTS = [
  ["read", "See"],
  ["campaigns", "Change campaigns"],
  ["coupons", "Change coupons"],
  ["keys", "Manage API keys"],
];

const words = { campaigns: "campaigns", coupons: "coupons", keys: "API keys" };

/** Nothing at all: a user without roles. */
export function noAccess() {
  return { admin: false, every: new Set(), apps: new Map() };
}

/** A role's acl (its JSON text, or the object) as `{admin, every: Set, apps: Map<id, Set>}`. */
export function parseAcl(acl) {
  const access = noAccess();
  let o = acl;
  if (typeof acl === "string") {
    try {
      o = JSON.parse(acl);
    } catch {
      // The server checks an acl when it is saved; one that does not read grants nothing, there too.
      return access;
    }
  }
  if (!o || typeof o !== "object") return access;
  access.admin = o.admin === true;
  for (const [key, list] of Object.entries(o.applications || {})) {
    const held = new Set((Array.isArray(list) ? list : []).filter((r) => RIGHTS.some(([name]) => name === r)));
    if (key === "*") held.forEach((r) => access.every.add(r));
    else access.apps.set(String(key), new Set([...(access.apps.get(String(key)) || []), ...held]));
  }
  return access;
}

/** Several roles together: a right any of them grants. */
export function merge(into, other) {
  into.admin = into.admin || other.admin;
  other.every.forEach((r) => into.every.add(r));
  for (const [id, held] of other.apps) into.apps.set(id, new Set([...(into.apps.get(id) || []), ...held]));
  return into;
}

/** The acl text to send for `access`; rights that add nothing (read beside another) are left out. */
export function aclText(access) {
  const applications = {};
  const list = (held) => {
    const changes = ["campaigns", "coupons", "keys"].filter((r) => held.has(r));
    return changes.length ? changes : held.has("read") ? ["read"] : [];
  };
  if (list(access.every).length) applications["*"] = list(access.every);
  for (const [id, held] of access.apps) if (list(held).length) applications[id] = list(held);
  return JSON.stringify({ admin: access.admin, applications });
}

/** Whether `access` holds `right` in application `appId` (any right includes read). */
export function holds(access, right, appId) {
  if (access.admin) return true;
  const held = new Set([...access.every, ...(access.apps.get(String(appId)) || [])]);
  return right === "read" ? held.size > 0 : held.has(right);
}

/** Whether `access` lets its holder see anything at all (the server's "member"). */
export function seesSomething(access) {
  return access.admin || access.every.size > 0 || [...access.apps.values()].some((held) => held.size > 0);
}

/** "change campaigns and coupons", "read only". */
function says(held) {
  const changes = ["campaigns", "coupons", "keys"].filter((r) => held.has(r)).map((r) => words[r]);
  if (!changes.length) return "read only";
  const last = changes.pop();
  return `change ${changes.length ? `${changes.join(", ")} and ${last}` : last}`;
}

/** What `access` allows, one line per application: ["Every application: read only", …]. */
export function describe(access, applicationName = (id) => `application ${id}`) {
  if (access.admin) return ["Account admin: may do everything"];
  const lines = [];
  if (access.every.size) lines.push(`Every application: ${says(access.every)}`);
  for (const [id, held] of access.apps) if (held.size) lines.push(`${applicationName(id)}: ${says(held)}`);
  return lines.length ? lines : ["No access"];
}
