// Loyalty programs: the list, a program's settings, and a customer's points in it (balance,
// history, points added or taken by hand).

import { ApiError, api } from "./api.js";
import { badge, empty, formatDate, formatNumber, formatTime, h, note, panel, replace, toast } from "./dom.js";
import { Form } from "./forms.js";
import { go } from "./router.js";
import { isAdmin, loadApplications, state } from "./state.js";

export function register(route) {
  route("/loyalty", list);
  route("/loyalty/new", () => edit(null));
  route("/loyalty/:id", (p) => program(p.id));
  route("/loyalty/:id/edit", (p) => edit(p.id));
}

const units = { s: "second", m: "minute", h: "hour", d: "day", D: "day", w: "week", W: "week" };

/** "30d" as "30 days", for people. */
function duration(v) {
  const m = /^(\d+)([smhdDwW])$/.exec(v || "");
  if (!m) return v;
  const n = Number(m[1]);
  return `${n} ${units[m[2]]}${n === 1 ? "" : "s"}`;
}

const validityWords = (v) => (v === "unlimited" ? "never expire" : `stay valid for ${duration(v)}`);

async function list() {
  const programs = (await api.get("/v1/loyalty_programs")).data || [];
  await loadApplications();
  const names = new Map(state.applications.map((a) => [a.id, a.name]));
  return h("div", {},
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Loyalty programs"),
        h("p", { class: "subtitle" }, "Points customers earn and spend, kept per customer. Rules give and take them.")),
      isAdmin() ? h("button", { type: "button", class: "primary", "data-shortcut": "new", onclick: () => go("/loyalty/new") }, "New program") : null),
    panel("Programs", null, programs.length
      ? h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ["Program", "Points", "Applications", "Created"].map((t) => h("th", {}, t)))),
        h("tbody", {}, programs.map((p) => h("tr", {},
          h("td", {}, h("a", { href: `#/loyalty/${p.id}` }, p.title), h("div", { class: "help mono" }, `#${p.id} · ${p.name}`)),
          h("td", {}, `Points ${validityWords(p.defaultValidity)}`, p.allowSubledger ? h("div", { class: "help" }, "with subledgers") : null),
          h("td", {}, p.subscribedApplications.length ? p.subscribedApplications.map((id) => names.get(id) || `#${id}`).join(", ") : h("span", { class: "help" }, "none yet")),
          h("td", {}, formatDate(p.created)))))))
      : empty("No loyalty program yet.", isAdmin() ? h("button", { type: "button", class: "primary", onclick: () => go("/loyalty/new") }, "Create one") : null)));
}

async function edit(id) {
  if (!isAdmin()) return h("div", { class: "empty" }, h("h1", {}, "Loyalty program"), h("p", {}, "Only account admins create and change loyalty programs."));
  const existing = id ? await api.get(`/v1/loyalty_programs/${id}`) : null;
  await loadApplications();
  const form = new Form({
    submitLabel: existing ? "Save" : "Create program",
    cancel: h("button", { type: "button", class: "secondary", onclick: () => go(existing ? `/loyalty/${existing.id}` : "/loyalty") }, "Cancel"),
    onsubmit: async () => {
      const body = {
        title: title.read(), description: description.read(), defaultValidity: validity.read().trim() || "unlimited",
        allowSubledger: subledgers.read(),
        subscribedApplications: apps.filter((a) => a.box.checked).map((a) => a.id),
      };
      const saved = existing
        ? await api.put(`/v1/loyalty_programs/${existing.id}`, body)
        : await api.post("/v1/loyalty_programs", { name: name.read(), ...body });
      toast(`Program ${saved.title} saved`, "ok");
      go(`/loyalty/${saved.id}`);
    },
  });
  const name = form.field({ label: "Name", pointer: "/name", value: existing?.name, required: true, help: "The program's fixed internal name, e.g. points.", attrs: { disabled: Boolean(existing) } });
  const title = form.field({ label: "Title", pointer: "/title", value: existing?.title, required: true, help: "As customers and colleagues see it." });
  const description = form.field({ label: "Description", pointer: "/description", type: "textarea", value: existing?.description });
  const validity = form.field({ label: "Points stay valid for", pointer: "/defaultValidity", value: existing?.defaultValidity || "unlimited", help: "unlimited, or a number and a unit: 30d (days), 12w (weeks), 48h (hours)." });
  const subledgers = form.field({ label: "Separate balances (subledgers) allowed", pointer: "/allowSubledger", type: "checkbox", value: existing?.allowSubledger });
  const apps = state.applications.map((a) => ({ id: a.id, box: h("input", { type: "checkbox", id: `app-${a.id}`, checked: existing ? existing.subscribedApplications.includes(a.id) : false }), name: a.name }));
  const appsField = h("fieldset", { class: "field" }, h("legend", {}, "Applications whose rules use it"),
    apps.length ? apps.map((a) => h("div", { class: "checkbox" }, a.box, h("label", { for: `app-${a.id}` }, a.name))) : h("p", { class: "help" }, "No application yet."));
  form.register("/subscribedApplications", appsField, h("p", { class: "field-error", hidden: true }));
  form.add(h("div", { class: "grid-2" }, name, title), description, h("div", { class: "grid-2" }, validity, subledgers), appsField);
  return h("div", {},
    h("div", { class: "breadcrumbs" }, h("a", { href: "#/loyalty" }, "Loyalty programs")),
    h("h1", {}, existing ? `Edit ${existing.title}` : "New loyalty program"),
    h("div", { class: "panel" }, form.element));
}

async function program(id) {
  const p = await api.get(`/v1/loyalty_programs/${id}`);
  const result = h("div", {});
  const input = h("input", { id: "points-customer", type: "search", placeholder: "e.g. alice", required: true });
  const lookup = h("form", { class: "filters", role: "search", onsubmit: async (e) => {
    e.preventDefault();
    if (input.value.trim()) await showCustomer(p, input.value.trim(), result);
  } }, h("div", { class: "field grow" }, h("label", { for: "points-customer" }, "Customer's integration id"), input),
  h("button", { type: "submit", class: "primary" }, "Show points"));
  return h("div", {},
    h("div", { class: "breadcrumbs" }, h("a", { href: "#/loyalty" }, "Loyalty programs")),
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, p.title), h("p", { class: "subtitle" }, p.description || `Points ${validityWords(p.defaultValidity)}.`)),
      isAdmin() ? h("button", { type: "button", class: "secondary", onclick: () => go(`/loyalty/${p.id}/edit`) }, "Edit") : null),
    h("p", { class: "help" }, `In rules: program id ${p.id}. Points ${validityWords(p.defaultValidity)}${p.allowSubledger ? "; subledgers allowed" : ""}.`),
    panel("A customer's points", null, lookup, result));
}

const typeWords = { addition: "added", subtraction: "taken" };

async function showCustomer(p, customer, into) {
  let ledger;
  try {
    ledger = await api.get(`/v1/loyalty_programs/${p.id}/profile/${encodeURIComponent(customer)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      replace(into, empty(`No customer "${customer}" is known.`));
      return;
    }
    throw error;
  }
  const main = ledger.ledger;
  const history = main.transactions || [];
  const change = (adding) => {
    const form = new Form({
      submitLabel: adding ? "Add points" : "Take points",
      onsubmit: async () => {
        await api.put(`/v1/loyalty_programs/${p.id}/profile/${encodeURIComponent(customer)}/${adding ? "add_points" : "deduct_points"}`,
          { points: points.read(), name: reason.read() });
        toast(`${formatNumber(points.read())} points ${adding ? "added" : "taken"}`, "ok");
        await showCustomer(p, customer, into);
      },
    });
    const points = form.field({ label: "Points", pointer: "/points", type: "number", required: true, attrs: { min: "0.01", step: "any" } });
    const reason = form.field({ label: "Reason", pointer: "/name", placeholder: adding ? "e.g. Goodwill" : "e.g. Correction" });
    form.add(h("div", { class: "grid-2" }, points, reason));
    return form.element;
  };
  replace(into,
    h("div", { class: "stats" },
      h("div", { class: "stat" }, h("div", { class: "stat-value", id: "points-balance" }, formatNumber(main.total)), h("div", { class: "stat-label" }, "points to spend")),
      h("div", { class: "stat" }, h("div", { class: "stat-value" }, formatNumber(main.totalSpentPoints ?? 0)), h("div", { class: "stat-label" }, "spent")),
      h("div", { class: "stat" }, h("div", { class: "stat-value" }, formatNumber(main.totalExpiredPoints ?? 0)), h("div", { class: "stat-label" }, "expired"))),
    Object.entries(ledger.subLedgers || {}).length
      ? h("p", {}, "Subledgers: ", Object.entries(ledger.subLedgers).map(([name, s]) => `${name} ${formatNumber(s.total)}`).join(", "))
      : null,
    history.length
      ? h("div", { class: "table-wrap" }, h("table", { id: "points-history" },
        h("thead", {}, h("tr", {}, ["When", "Change", "Points", "Why", "Order"].map((t) => h("th", {}, t)))),
        h("tbody", {}, history.map((t) => h("tr", {},
          h("td", {}, formatTime(t.created)),
          h("td", {}, badge(typeWords[t.type] || t.type, t.type === "addition" ? "accepted" : "rejected")),
          h("td", { class: "num" }, (t.type === "addition" ? "+" : "−") + formatNumber(t.amount)),
          h("td", {}, t.name, t.expiryDate ? h("div", { class: "help" }, `valid until ${formatDate(t.expiryDate)}`) : null),
          h("td", { class: "mono" }, t.customerSessionID || ""))))))
      : empty("No points yet."),
    // Points by hand are an account admin's: they reach the customer in every application of the program.
    isAdmin()
      ? h("div", { class: "grid-2" }, h("div", {}, h("h3", {}, "Add points"), change(true)), h("div", {}, h("h3", {}, "Take points"), change(false)))
      : note("Adding or taking points by hand is for account admins."));
}
