// Additional costs: the extra amounts a session may carry besides its items (shipping, gift
// wrapping), declared for the account. Once one is declared, sessions may send only declared
// costs of their application. Perk has no way to delete one (nor has the reference API).

import { api } from "./api.js";
import { empty, formatDate, h, panel, toast } from "./dom.js";
import { Form } from "./forms.js";
import { go } from "./router.js";
import { loadApplications, state } from "./state.js";
import { adminOnly, teamTabs } from "./views-team.js";

export function register(route) {
  route("/team/costs", adminOnly(list));
  route("/team/costs/new", adminOnly(() => edit(null)));
  route("/team/costs/:id", adminOnly((p) => edit(p.id)));
}

async function list() {
  const [costs] = await Promise.all([api.get("/v1/additional_costs", { pageSize: 1000 }).then((p) => p.data || []), loadApplications()]);
  const names = new Map(state.applications.map((a) => [a.id, a.name]));
  return h("div", {},
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Additional costs"),
        h("p", { class: "subtitle" }, "Costs a session carries besides its items, such as shipping; rules can discount them. Until one is declared, sessions may send any.")),
      h("button", { type: "button", class: "primary", "data-shortcut": "new", onclick: () => go("/team/costs/new") }, "New additional cost")),
    teamTabs("/team/costs"),
    panel("Additional costs", null, costs.length
      ? h("div", { class: "table-wrap" }, h("table", { id: "additional-costs" },
        h("thead", {}, h("tr", {}, ["Name", "Title", "Applications", "Created"].map((t) => h("th", {}, t)))),
        h("tbody", {}, costs.map((c) => h("tr", {},
          h("td", { class: "mono" }, h("a", { href: `#/team/costs/${c.id}` }, c.name)),
          h("td", {}, c.title, c.description ? h("div", { class: "help" }, c.description) : null),
          h("td", {}, (c.subscribedApplicationsIds || []).length ? c.subscribedApplicationsIds.map((id) => names.get(id) || `#${id}`).join(", ") : h("span", { class: "help" }, "every application")),
          h("td", {}, formatDate(c.created)))))))
      : empty("No additional cost declared: sessions may send any.", h("button", { type: "button", class: "primary", onclick: () => go("/team/costs/new") }, "Declare one"))));
}

async function edit(id) {
  const [existing] = await Promise.all([id ? api.get(`/v1/additional_costs/${id}`) : null, loadApplications()]);
  const form = new Form({
    submitLabel: existing ? "Save" : "Create additional cost",
    cancel: h("button", { type: "button", class: "secondary", onclick: () => go("/team/costs") }, "Cancel"),
    onsubmit: async () => {
      // The API replaces every field, so the whole cost goes each time.
      const body = {
        name: name.read(), title: title.read(), description: description.read(),
        subscribedApplicationsIds: apps.filter((a) => a.box.checked).map((a) => a.id),
      };
      const saved = existing ? await api.put(`/v1/additional_costs/${existing.id}`, body) : await api.post("/v1/additional_costs", body);
      toast(`Additional cost ${saved.name} saved`, "ok");
      go("/team/costs");
    },
  });
  const name = form.field({ label: "Name", pointer: "/name", value: existing?.name, required: true, placeholder: "shipping", help: "As sessions send it (additionalCosts.<name>): letters, digits, _ and -." });
  const title = form.field({ label: "Title", pointer: "/title", value: existing?.title, required: true, placeholder: "Shipping" });
  const description = form.field({ label: "Description", pointer: "/description", type: "textarea", value: existing?.description });
  const apps = state.applications.map((a) => ({ id: a.id, box: h("input", { type: "checkbox", id: `cost-app-${a.id}`, checked: (existing?.subscribedApplicationsIds || []).includes(a.id) }), name: a.name }));
  const error = h("p", { class: "field-error", hidden: true });
  const appsField = h("fieldset", { class: "field" }, h("legend", {}, "Applications whose sessions may carry it (none ticked: every one)"),
    apps.map((a) => h("div", { class: "checkbox" }, a.box, h("label", { for: `cost-app-${a.id}` }, a.name))), error);
  form.register("/subscribedApplicationsIds", appsField, error);
  form.add(h("div", { class: "grid-2" }, name, title), description, appsField);
  return h("div", {},
    h("div", { class: "breadcrumbs" }, h("a", { href: "#/team/costs" }, "Additional costs")),
    h("h1", {}, existing ? `Additional cost ${existing.name}` : "New additional cost"),
    h("div", { class: "panel" }, form.element));
}
