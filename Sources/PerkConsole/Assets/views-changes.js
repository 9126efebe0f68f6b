// Changes: the audit log (`GET /v1/changes`, admins only). Who changed what, when: the path
// Perk recorded, said in words, and the fields that differ between before and after.

import { api } from "./api.js";
import { empty, formatNumber, formatTime, fromLocalInput, h, panel } from "./dom.js";
import { setQuery } from "./router.js";
import { describe, parseAcl } from "./rights.js";
import { loadApplications, state } from "./state.js";
import { adminOnly, teamTabs } from "./views-team.js";

export function register(route) {
  route("/team/changes", adminOnly(changes));
}

const PAGE = 50;

/** The things a path names, singular, as people say them. */
const nouns = {
  users: "user", roles: "role", applications: "application", campaigns: "campaign", rulesets: "rules", coupons: "coupons",
  referrals: "referral code", api_keys: "API key", webhooks: "webhook", attributes: "attribute", loyalty_programs: "loyalty program",
  additional_costs: "additional cost", campaign_set: "campaign priority", customer_data: "customer's personal data",
  coupon_reservations: "coupon reservation", profile: "customer", customer_profiles: "customer",
};

/** Paths that are an action rather than a thing: what the action is called. */
const verbs = {
  add_points: "Added points", deduct_points: "Took points", copy: "Copied", import_coupons: "Imported coupons into",
  password: "Changed the password of",
};

/** Fields that change on every save, or are the reference API's leftovers, and tell nothing. */
const noise = new Set([
  "modified", "updated", "created", "accountId", "accountID", "inviteToken", "policy", "releaseUpdate", "authMethod",
  "applicationNotificationSubscriptions",
]);

/** "campaign 7 of Perk demo shop" for `/v1/applications/1/campaigns/7`. */
function thing(path, appName) {
  const parts = path.replace(/^\/v\d+\//, "").split("/").filter(Boolean);
  let app = null;
  if (parts[0] === "applications" && parts.length > 2) {
    app = parts[1];
    parts.splice(0, 2);
  }
  const words = [];
  for (let i = 0; i < parts.length; i += 1) {
    const name = nouns[parts[i]];
    if (!name) continue;
    const id = parts[i + 1] && !nouns[parts[i + 1]] && !verbs[parts[i + 1]] ? decodeURIComponent(parts[i + 1]) : null;
    words.unshift(id ? `${name} ${id === "me" ? "(own)" : id}` : name);
  }
  let out = words.length ? words.join(" of ") : parts.join(" ");
  if (app) out += ` in ${appName(app)}`;
  return out;
}

/** Created, changed, deleted or an action's own verb. */
function verb(change) {
  const last = change.entity.split("/").filter(Boolean).pop();
  if (verbs[last]) return verbs[last];
  if (change.old === undefined) return "Created";
  if (change.new === undefined) return "Deleted";
  return "Changed";
}

/** A value in a few words: text as written, yes/no, "none" for an empty list, lists and objects short. */
function short(key, value, appName) {
  if (key === "acl") return describe(parseAcl(value), appName).join("; ");
  if (value === null || value === undefined) return "nothing";
  if (value === "") return "empty";
  if (typeof value === "string") return value.length > 60 ? `${value.slice(0, 57)}…` : value;
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value) && !value.length) return "none";
  if (Array.isArray(value) && value.every((v) => typeof v !== "object")) {
    const text = `[${value.join(", ")}]`;
    return text.length > 60 ? `${value.length} items` : text;
  }
  if (typeof value === "object") {
    const text = JSON.stringify(value);
    return text.length > 60 ? (Array.isArray(value) ? `${value.length} items` : `${Object.keys(value).length} fields`) : text;
  }
  return String(value);
}

const isObject = (v) => v && typeof v === "object" && !Array.isArray(v);

/** The fields that differ (a change), or those given (a creation): [key, before?, after?]. */
export function changedFields(old, now) {
  if (isObject(old) && isObject(now)) {
    const keys = [...new Set([...Object.keys(old), ...Object.keys(now)])];
    return keys.filter((k) => !noise.has(k) && JSON.stringify(old[k]) !== JSON.stringify(now[k])).map((k) => [k, old[k], now[k], "both"]);
  }
  if (isObject(now)) return Object.keys(now).filter((k) => !noise.has(k) && k !== "id").map((k) => [k, undefined, now[k], "new"]);
  if (isObject(old)) return [];
  return [];
}

function fieldsList(change, appName) {
  const fields = changedFields(change.old, change.new);
  if (!fields.length) return change.old !== undefined && change.new !== undefined ? h("span", { class: "help" }, "nothing visible changed") : null;
  const shown = fields.slice(0, 6);
  return h("ul", { class: "plain changed-fields" },
    shown.map(([key, before, after, kind]) => h("li", {},
      h("span", { class: "mono" }, key), ": ",
      kind === "both" ? [h("span", { class: "before" }, short(key, before, appName)), " → ", h("span", { class: "after" }, short(key, after, appName))] : short(key, after, appName))),
    fields.length > shown.length ? h("li", { class: "help" }, `and ${fields.length - shown.length} more`) : null);
}

function whole(change) {
  if (change.old === undefined && change.new === undefined) return null;
  const pretty = (v) => h("pre", {}, h("code", {}, JSON.stringify(v, null, 2)));
  return h("details", { class: "talang-preview" }, h("summary", {}, "Everything recorded"),
    h("div", { class: "grid-2" },
      change.old !== undefined ? h("div", {}, h("div", { class: "help" }, "Before"), pretty(change.old)) : null,
      change.new !== undefined ? h("div", {}, h("div", { class: "help" }, "After"), pretty(change.new)) : null));
}

/** A day of the date field at a time of day, in the browser's time zone, as RFC 3339 (or undefined). */
const day = (date, time) => (date ? fromLocalInput(`${date}T${time}`)?.replace(/\.\d+Z$/, "Z") : undefined);

async function changes(params, query) {
  const filters = { applicationId: query.applicationId || "", after: query.after || "", before: query.before || "" };
  let skip = 0;
  const [people] = await Promise.all([api.get("/v1/users", { pageSize: 1000 }).then((p) => p.data || []), loadApplications()]);
  const who = new Map(people.map((u) => [u.id, u.name || u.email]));
  const apps = new Map(state.applications.map((a) => [String(a.id), a.name]));
  const appName = (id) => apps.get(String(id)) || `application ${id}`;
  const table = h("div", { class: "table-wrap" });
  const pager = h("div", { class: "pager" });
  const refresh = async () => {
    setQuery(filters);
    const page = await api.get("/v1/changes", {
      pageSize: PAGE, skip, applicationId: filters.applicationId,
      createdAfter: day(filters.after, "00:00"),
      createdBefore: day(filters.before, "23:59:59"),
    });
    const items = page.data || [];
    table.replaceChildren(items.length
      ? h("table", { id: "changes" },
        h("thead", {}, h("tr", {}, ["When", "Who", "What", "Fields"].map((t) => h("th", {}, t)))),
        h("tbody", {}, items.map((c) => h("tr", {},
          h("td", { class: "nowrap" }, formatTime(c.created)),
          h("td", {}, who.get(c.userId) || `user ${c.userId} (deleted)`),
          h("td", {}, h("strong", {}, verb(c)), " ", thing(c.entity, appName), h("div", { class: "help mono" }, c.entity)),
          h("td", {}, fieldsList(c, appName), whole(c))))))
      : empty(skip ? "No more changes." : Object.values(filters).some(Boolean) ? "No change matches these filters." : "Nothing changed yet."));
    pager.replaceChildren(
      h("span", {}, items.length ? `${formatNumber(skip + 1)}–${formatNumber(skip + items.length)} of ${formatNumber(page.totalResultSize)}` : ""),
      h("button", { type: "button", class: "small", disabled: skip === 0, onclick: () => { skip = Math.max(0, skip - PAGE); refresh(); } }, "Previous"),
      h("button", { type: "button", class: "small", disabled: !page.hasMore, onclick: () => { skip += PAGE; refresh(); } }, "Next"));
  };
  const onFilter = (key) => (e) => {
    filters[key] = e.target.value;
    skip = 0;
    refresh();
  };
  const filterBar = h("div", { class: "filters", role: "search" },
    h("div", { class: "field" }, h("label", { for: "changes-app" }, "Application"),
      h("select", { id: "changes-app", onchange: onFilter("applicationId") },
        h("option", { value: "" }, "Any (and account settings)"),
        state.applications.map((a) => h("option", { value: a.id, selected: String(a.id) === filters.applicationId }, a.name)))),
    h("div", { class: "field" }, h("label", { for: "changes-after" }, "From"), h("input", { id: "changes-after", type: "date", value: filters.after, onchange: onFilter("after") })),
    h("div", { class: "field" }, h("label", { for: "changes-before" }, "Until"), h("input", { id: "changes-before", type: "date", value: filters.before, onchange: onFilter("before") })));
  await refresh();
  return h("div", {},
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Changes"), h("p", { class: "subtitle" }, "Every change made through the Management API (this console included), newest first. Passwords, keys and secrets are never recorded."))),
    teamTabs("/team/changes"),
    panel("Changes", null, filterBar, table, pager));
}
