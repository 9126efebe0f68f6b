// The team, for account admins: the people who use Perk (their roles, admin flag, state and
// password) and the roles that say, in plain words, what they may do in which application. The
// audit log and the additional costs sit under the same tabs (views-changes.js, views-costs.js).

import { api } from "./api.js";
import { badge, confirmDialog, empty, formatDate, h, note, panel, toast } from "./dom.js";
import { Form } from "./forms.js";
import { go } from "./router.js";
import { RIGHTS, aclText, describe, noAccess, parseAcl } from "./rights.js";
import { isAdmin, loadApplications, state } from "./state.js";

export function register(route) {
  route("/team", adminOnly(users));
  route("/team/users/new", adminOnly(() => editUser(null)));
  route("/team/users/:id", adminOnly((p) => editUser(p.id)));
  route("/team/roles", adminOnly(roles));
  route("/team/roles/new", adminOnly(() => editRole(null)));
  route("/team/roles/:id", adminOnly((p) => editRole(p.id)));
}

const tabs = [["/team", "People"], ["/team/roles", "Roles"], ["/team/changes", "Changes"], ["/team/costs", "Additional costs"]];

/** The Team tabs, `active` being the path of the one shown. */
export function teamTabs(active) {
  return h("nav", { class: "tabs", "aria-label": "Team" }, tabs.map(([path, label]) => h("a", {
    href: `#${path}`, class: path === active ? "active" : "", "aria-current": path === active ? "page" : undefined,
  }, label)));
}

/** A Team page, or a plain word for someone who is not an admin (the top link is not shown to them). */
export function adminOnly(view) {
  return (...args) => (isAdmin()
    ? view(...args)
    : h("div", { class: "empty" }, h("h1", {}, "Team"), h("p", {}, "Only account admins manage people, roles, the audit log and additional costs."),
      h("p", {}, h("a", { href: "#/account" }, "Your own name and password are in My account"))));
}

/** Application names for describing rights; a deleted application is named by its id. */
async function applicationName() {
  await loadApplications();
  const names = new Map(state.applications.map((a) => [String(a.id), a.name]));
  return (id) => names.get(String(id)) || `application ${id} (deleted)`;
}

const roleLines = (role, name) => describe(parseAcl(role.acl), name);

// ------------------------------------------------------------------ people

async function users() {
  const [people, allRoles, name] = await Promise.all([
    api.get("/v1/users", { pageSize: 1000, sort: "name" }).then((p) => p.data || []),
    api.get("/v1/roles").then((p) => p.data || []),
    applicationName(),
  ]);
  const byId = new Map(allRoles.map((r) => [r.id, r]));
  const access = (u) => {
    if (u.isAdmin) return badge("admin", "admin");
    if (!(u.roles || []).length) return h("span", { class: "help" }, "no role: sees nothing yet");
    return u.roles.map((id) => h("span", { class: "tag", title: byId.has(id) ? roleLines(byId.get(id), name).join("; ") : "" }, byId.get(id)?.name || `role ${id}`));
  };
  return h("div", {},
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Team"), h("p", { class: "subtitle" }, "The people who may sign in to this console and the API, and what their roles let them do.")),
      h("button", { type: "button", class: "primary", "data-shortcut": "new", onclick: () => go("/team/users/new") }, "New user")),
    teamTabs("/team"),
    panel("People", null, h("div", { class: "table-wrap" }, h("table", { id: "team-users" },
      h("thead", {}, h("tr", {}, ["Name", "E-mail", "Access", "State", "Since"].map((t) => h("th", {}, t)))),
      h("tbody", {}, people.map((u) => h("tr", {},
        h("td", {}, h("a", { href: `#/team/users/${u.id}` }, u.name || u.email), u.id === state.me?.id ? h("span", { class: "help" }, " (you)") : null),
        h("td", {}, u.email),
        h("td", {}, access(u)),
        h("td", {}, badge(u.state === "active" ? "active" : "deactivated", u.state === "active" ? "enabled" : "disabled")),
        h("td", {}, formatDate(u.created)))))))));
}

/** Ticks for the roles a user holds; each says what it allows. Errors for `/roles`. */
function rolesPicker(form, allRoles, held, name) {
  const boxes = allRoles.map((r) => ({ id: r.id, box: h("input", { type: "checkbox", id: `user-role-${r.id}`, checked: held.includes(r.id) }) }));
  const error = h("p", { class: "field-error", hidden: true });
  const field = h("fieldset", { class: "field" }, h("legend", {}, "Roles"),
    allRoles.length
      ? boxes.map(({ id, box }, i) => h("div", { class: "checkbox role-choice" }, box,
        h("label", { for: box.id }, allRoles[i].name, h("span", { class: "help" }, ` · ${roleLines(allRoles[i], name).join("; ")}`))))
      : h("p", { class: "help" }, "No role yet. ", h("a", { href: "#/team/roles/new" }, "Make one"), " to give people access to applications."),
    error);
  form.register("/roles", field, error);
  field.read = () => boxes.filter((b) => b.box.checked).map((b) => b.id);
  return field;
}

async function editUser(id) {
  const [existing, allRoles, name] = await Promise.all([
    id ? api.get(`/v1/users/${id}`) : null,
    api.get("/v1/roles").then((p) => p.data || []),
    applicationName(),
  ]);
  const self = existing && existing.id === state.me?.id;
  const form = new Form({
    submitLabel: existing ? "Save" : "Create user",
    cancel: h("button", { type: "button", class: "secondary", onclick: () => go("/team") }, "Cancel"),
    onsubmit: async () => {
      const body = { name: nameField.read(), isAdmin: admin.read(), roles: picker.read() };
      if (existing) {
        if (stateField) body.state = stateField.read();
        if (password.read()) body.password = password.read();
        await api.put(`/v1/users/${existing.id}`, body);
      } else {
        await api.post("/v1/users", { email: email.read(), password: password.read(), ...body });
      }
      toast(`${body.name || email?.read() || existing.email} saved`, "ok");
      if (self) window.dispatchEvent(new Event("perk:rights-changed"));
      go("/team");
    },
  });
  const email = existing ? null : form.field({ label: "E-mail", pointer: "/email", type: "email", required: true, help: "They sign in with it.", attrs: { autocomplete: "off" } });
  const nameField = form.field({ label: "Name", pointer: "/name", value: existing?.name, placeholder: "e.g. Sam Marketing" });
  const password = form.field({
    label: existing ? "New password" : "Initial password", pointer: "/password", type: "password", required: !existing,
    help: existing ? "Leave empty to keep theirs. Setting one signs them out everywhere." : "At least 8 characters. Tell it to them: they can change it in My account.",
    attrs: { autocomplete: "new-password" },
  });
  const admin = form.field({ label: "Account admin: may do everything (people, roles, applications, webhooks, settings)", pointer: "/isAdmin", type: "checkbox", value: existing?.isAdmin });
  const picker = rolesPicker(form, allRoles, existing?.roles || [], name);
  const stateField = existing && !self ? form.field({
    label: "State", pointer: "/state", type: "select", value: existing.state,
    options: [["active", "Active: may sign in"], ["deactivated", "Deactivated: may not sign in (signed out at once)"]],
  }) : null;
  form.add(existing ? null : email, nameField, admin, picker, stateField, password);
  const parts = [
    h("div", { class: "breadcrumbs" }, h("a", { href: "#/team" }, "Team")),
    h("h1", {}, existing ? existing.name || existing.email : "New user"),
    existing ? h("p", { class: "subtitle" }, existing.email, self ? " · this is you" : "") : h("p", { class: "subtitle" }, "Someone who may sign in. Without admin or a role they see nothing yet."),
    h("div", { class: "panel" }, form.element),
  ];
  if (existing && self) parts.push(note("You cannot deactivate or delete yourself here: another admin can."));
  if (existing && !self) {
    parts.push(h("button", { type: "button", class: "danger", onclick: async () => {
      if (!(await confirmDialog(`Delete the user ${existing.email}?`, { details: "They can no longer sign in. What they changed stays in Changes, under their id." }))) return;
      await api.delete(`/v1/users/${existing.id}`);
      toast("User deleted", "ok");
      go("/team");
    } }, "Delete user"));
  }
  return h("div", {}, ...parts);
}

// ------------------------------------------------------------------ roles

async function roles() {
  const [allRoles, people, name] = await Promise.all([
    api.get("/v1/roles").then((p) => p.data || []),
    api.get("/v1/users", { pageSize: 1000 }).then((p) => p.data || []),
    applicationName(),
  ]);
  const who = new Map(people.map((u) => [u.id, u.name || u.email]));
  return h("div", {},
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Roles"), h("p", { class: "subtitle" }, "What people may do, per application. A person's rights are those of all their roles together.")),
      h("button", { type: "button", class: "primary", "data-shortcut": "new", onclick: () => go("/team/roles/new") }, "New role")),
    teamTabs("/team/roles"),
    panel("Roles", null, allRoles.length
      ? h("div", { class: "table-wrap" }, h("table", { id: "team-roles" },
        h("thead", {}, h("tr", {}, ["Role", "May", "People"].map((t) => h("th", {}, t)))),
        h("tbody", {}, allRoles.map((r) => h("tr", {},
          h("td", {}, h("a", { href: `#/team/roles/${r.id}` }, r.name), r.description ? h("div", { class: "help" }, r.description) : null),
          h("td", {}, h("ul", { class: "plain" }, roleLines(r, name).map((line) => h("li", {}, line)))),
          h("td", {}, (r.members || []).length ? r.members.map((id) => who.get(id) || `user ${id}`).join(", ") : h("span", { class: "help" }, "nobody yet")))))))
      : empty("No role yet: only admins can do anything.", h("button", { type: "button", class: "primary", onclick: () => go("/team/roles/new") }, "Create one"))));
}

/**
 * The rights of a role in plain words: account admin, then a row per application (and one for
 * every application) with a tick per right. A change right includes seeing, so ticking one ticks
 * "See" and holds it. Errors for `/acl`.
 */
function rightsEditor(form, initial) {
  const rows = [["*", "Every application", "also those made later"], ...state.applications.map((a) => [String(a.id), a.name, null])];
  const ticks = new Map();
  const body = h("tbody", {}, rows.map(([key, label, help]) => {
    const held = key === "*" ? initial.every : initial.apps.get(key) || new Set();
    const boxes = new Map(RIGHTS.map(([right, words]) => [right, h("input", {
      type: "checkbox", checked: held.has(right) || (right === "read" && held.size > 0), "aria-label": `${words} in ${label}`, dataset: { right, app: key },
    })]));
    // "See" as the admin ticked it themselves: unticking the last change right gives it back, so
    // that trying a change right never leaves a role seeing more than was meant.
    const read = boxes.get("read");
    let ownRead = held.has("read") || held.size > 0;
    read.addEventListener("change", () => { ownRead = read.checked; });
    const sync = () => {
      const changes = ["campaigns", "coupons", "keys"].some((r) => boxes.get(r).checked);
      read.checked = changes || ownRead;
      read.disabled = changes;
    };
    for (const box of boxes.values()) box.addEventListener("change", sync);
    sync();
    ticks.set(key, boxes);
    return h("tr", {}, h("th", { scope: "row" }, label, help ? h("div", { class: "help" }, help) : null),
      [...boxes.values()].map((box) => h("td", { class: "tick" }, box)));
  }));
  const table = h("table", { class: "rights" }, h("thead", {}, h("tr", {}, h("th", {}, "Application"), RIGHTS.map(([, words]) => h("th", { class: "tick" }, words)))), body);
  const apps = h("fieldset", { class: "locked" }, h("div", { class: "table-wrap" }, table));
  const admin = h("input", { type: "checkbox", id: "role-admin", checked: initial.admin });
  const adminNote = h("p", { class: "help" }, "An account admin may do everything in every application, and manage people, roles, applications, webhooks, attributes and loyalty programs.");
  const showAdmin = () => {
    apps.disabled = admin.checked;
    apps.classList.toggle("muted", admin.checked);
  };
  admin.addEventListener("change", showAdmin);
  showAdmin();
  const error = h("p", { class: "field-error", hidden: true });
  const field = h("fieldset", { class: "field", id: "role-rights" }, h("legend", {}, "What people with this role may do"),
    h("div", { class: "checkbox" }, admin, h("label", { for: "role-admin" }, "Account admin")), adminNote,
    apps,
    h("p", { class: "help" }, "See: read campaigns, coupons, customers and analytics. Change campaigns: campaigns, rules, priority and the test cart. Change coupons: generate, import, edit and delete coupons and referral codes. Manage API keys: the application's Integration API keys."),
    error);
  form.register("/acl", field, error);
  field.read = () => {
    const access = noAccess();
    access.admin = admin.checked;
    for (const [key, boxes] of ticks) {
      const held = new Set([...boxes].filter(([, box]) => box.checked).map(([right]) => right));
      if (key === "*") access.every = held;
      else if (held.size) access.apps.set(key, held);
    }
    return aclText(access);
  };
  return field;
}

async function editRole(id) {
  const [existing, people] = await Promise.all([
    id ? api.get(`/v1/roles/${id}`) : null,
    api.get("/v1/users", { pageSize: 1000, sort: "name" }).then((p) => p.data || []),
    loadApplications(),
  ]);
  const form = new Form({
    submitLabel: existing ? "Save" : "Create role",
    cancel: h("button", { type: "button", class: "secondary", onclick: () => go("/team/roles") }, "Cancel"),
    onsubmit: async () => {
      const body = { name: name.read(), description: description.read(), acl: rights.read(), members: members.filter((m) => m.box.checked).map((m) => m.id) };
      const saved = existing ? await api.put(`/v1/roles/${existing.id}`, body) : await api.post("/v1/roles", body);
      toast(`Role ${saved.name} saved`, "ok");
      if (body.members.includes(state.me?.id) || (existing?.members || []).includes(state.me?.id)) window.dispatchEvent(new Event("perk:rights-changed"));
      go("/team/roles");
    },
  });
  const name = form.field({ label: "Name", pointer: "/name", value: existing?.name, required: true, placeholder: "e.g. Marketing (read only)" });
  const description = form.field({ label: "Description", pointer: "/description", value: existing?.description, placeholder: "What the role is for" });
  const rights = rightsEditor(form, existing ? parseAcl(existing.acl) : noAccess());
  const members = people.map((u) => ({ id: u.id, box: h("input", { type: "checkbox", id: `role-member-${u.id}`, checked: (existing?.members || []).includes(u.id) }), label: `${u.name || u.email}${u.name ? ` (${u.email})` : ""}` }));
  const membersError = h("p", { class: "field-error", hidden: true });
  const membersField = h("fieldset", { class: "field" }, h("legend", {}, "People with this role"),
    members.map((m) => h("div", { class: "checkbox" }, m.box, h("label", { for: m.box.id }, m.label))), membersError);
  form.register("/members", membersField, membersError);
  form.add(h("div", { class: "grid-2" }, name, description), rights, membersField);
  const parts = [
    h("div", { class: "breadcrumbs" }, h("a", { href: "#/team/roles" }, "Roles")),
    h("h1", {}, existing ? `Role ${existing.name}` : "New role"),
    h("div", { class: "panel" }, form.element),
  ];
  if (existing) {
    parts.push(h("button", { type: "button", class: "danger", onclick: async () => {
      if (!(await confirmDialog(`Delete the role "${existing.name}"?`, { details: "Its people lose what it allows them, at their next request." }))) return;
      await api.delete(`/v1/roles/${existing.id}`);
      toast("Role deleted", "ok");
      if ((existing.members || []).includes(state.me?.id)) window.dispatchEvent(new Event("perk:rights-changed"));
      go("/team/roles");
    } }, "Delete role"));
  }
  return h("div", {}, ...parts);
}
