// Custom attributes: the extra facts integrations may send (session, profile, cart item, event)
// and management may set (campaign, coupon, application), and their types.

import { api } from "./api.js";
import { badge, empty, formatDate, h, panel, toast } from "./dom.js";
import { isAdmin } from "./state.js";
import { Form } from "./forms.js";
import { go } from "./router.js";

export function register(route) {
  route("/attributes", list);
  route("/attributes/new", (p) => edit(null));
  route("/attributes/:id", (p) => edit(p.id));
}

const entities = ["CustomerSession", "CustomerProfile", "CartItem", "Event", "Campaign", "Coupon", "Application"];
const types = ["string", "number", "boolean", "time", "(list string)", "(list number)", "(list time)", "location", "(list location)"];
const entityNames = {
  CustomerSession: "Session", CustomerProfile: "Customer profile", CartItem: "Cart item", Event: "Event", Campaign: "Campaign",
  Coupon: "Coupon", Application: "Application", Account: "Account",
};

async function list() {
  const items = (await api.get("/v1/attributes", { pageSize: 1000 })).data || [];
  const custom = items.filter((a) => a.editable !== false);
  const builtIn = items.filter((a) => a.editable === false);
  const table = (rows) => h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, ["Name", "Title", "On", "Type", "Created"].map((t) => h("th", {}, t)))),
    h("tbody", {}, rows.map((a) => h("tr", {},
      h("td", { class: "mono" }, a.editable === false ? a.name : h("a", { href: `#/attributes/${a.id}` }, a.name)),
      h("td", {}, a.title, a.description ? h("div", { class: "help" }, a.description) : null),
      h("td", {}, entityNames[a.entity] || a.entity, a.eventType ? h("div", { class: "help" }, `event ${a.eventType}`) : null),
      h("td", {}, badge(a.type, "type")),
      h("td", {}, formatDate(a.created)))))));
  return h("div", {},
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Attributes"), h("p", { class: "subtitle" }, "What integrations may tell Perk about sessions, customers, items and events, and rules may read.")),
      isAdmin() ? h("button", { type: "button", class: "primary", "data-shortcut": "new", onclick: () => go("/attributes/new") }, "New attribute") : null),
    panel("Custom attributes", null, custom.length ? table(custom) : empty("No custom attributes yet.")),
    h("details", { class: "panel" }, h("summary", {}, `Built-in attributes (${builtIn.length})`), table(builtIn)));
}

async function edit(id) {
  if (!id && !isAdmin()) return h("div", { class: "empty" }, h("h1", {}, "New attribute"), h("p", {}, "Only account admins add attributes."));
  const existing = id ? await api.get(`/v1/attributes/${id}`) : null;
  const form = new Form({
    submitLabel: existing ? "Save" : "Create attribute",
    cancel: h("button", { type: "button", class: "secondary", onclick: () => go("/attributes") }, "Cancel"),
    onsubmit: async () => {
      const body = {
        entity: entity.read(), name: name.read(), title: title.read(), type: type.read(), description: description.read(),
        suggestions: suggestions.read(), editable: true,
      };
      if (body.entity === "Event" && eventType.read()) body.eventType = eventType.read();
      if (existing) await api.put(`/v1/attributes/${existing.id}`, { ...existing, ...body });
      else await api.post("/v1/attributes", body);
      toast(`Attribute ${body.name} saved`, "ok");
      go("/attributes");
    },
  });
  const entity = form.field({ label: "On", pointer: "/entity", type: "select", value: existing?.entity || "CustomerSession", options: entities.map((e) => [e, entityNames[e]]), attrs: { disabled: Boolean(existing) } });
  const eventType = form.field({ label: "Event type", pointer: "/eventType", value: existing?.eventType, help: "For event attributes: the custom event type that carries it." });
  const name = form.field({ label: "Name", pointer: "/name", value: existing?.name, required: true, help: "As integrations send it and rules read it, e.g. ShippingMethod.", attrs: { disabled: Boolean(existing) } });
  const title = form.field({ label: "Title", pointer: "/title", value: existing?.title, required: true });
  const type = form.field({ label: "Type", pointer: "/type", type: "select", value: existing?.type || "string", options: types.map((t) => [t, t]), attrs: { disabled: Boolean(existing) } });
  const description = form.field({ label: "Description", pointer: "/description", type: "textarea", value: existing?.description });
  const suggestions = form.field({ label: "Suggested values", pointer: "/suggestions", type: "tags", value: existing?.suggestions, help: "Separated by commas." });
  form.add(h("div", { class: "grid-2" }, entity, eventType), h("div", { class: "grid-2" }, name, type), title, description, suggestions);
  if (!isAdmin()) form.lock("Only account admins change attributes.");
  return h("div", {},
    h("div", { class: "breadcrumbs" }, h("a", { href: "#/attributes" }, "Attributes")),
    h("h1", {}, existing ? `Attribute ${existing.name}` : "New attribute"),
    h("div", { class: "panel" }, form.element));
}
