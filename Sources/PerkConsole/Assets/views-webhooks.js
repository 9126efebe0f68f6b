// Webhooks: calls rules make to a shop's other systems. The list, a webhook's settings (URL and
// payload templates with their parameters), and its deliveries, every attempt with its answer.

import { api } from "./api.js";
import { badge, confirmDialog, empty, formatTime, h, panel, toast } from "./dom.js";
import { Form } from "./forms.js";
import { go } from "./router.js";
import { loadApplications, state } from "./state.js";

export function register(route) {
  route("/webhooks", list);
  route("/webhooks/new", () => edit(null));
  route("/webhooks/:id", (p) => edit(p.id));
}

const verbs = ["POST", "PUT", "PATCH", "GET", "DELETE"];
const paramTypes = [["string", "text"], ["number", "number"], ["boolean", "yes / no"], ["time", "time"]];

async function list() {
  const webhooks = (await api.get("/v1/webhooks", { sort: "title" })).data || [];
  return h("div", {},
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Webhooks"),
        h("p", { class: "subtitle" }, "Calls to your other systems (CRM, e-mail, data platforms) that rules make when an update is stored.")),
      h("button", { type: "button", class: "primary", "data-shortcut": "new", onclick: () => go("/webhooks/new") }, "New webhook")),
    panel("Webhooks", null, webhooks.length
      ? h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ["Webhook", "Calls", "State", "Changed"].map((t) => h("th", {}, t)))),
        h("tbody", {}, webhooks.map((w) => h("tr", {},
          h("td", {}, h("a", { href: `#/webhooks/${w.id}` }, w.title), h("div", { class: "help" }, `id ${w.id}`)),
          h("td", { class: "mono" }, `${w.verb} ${w.url}`),
          h("td", {}, badge(w.enabled ? "enabled" : "disabled")),
          h("td", {}, formatTime(w.modified)))))))
      : empty("No webhook yet.", h("button", { type: "button", class: "primary", onclick: () => go("/webhooks/new") }, "Create one"))));
}

function paramRow(p, rows) {
  const key = h("input", { value: p.key || "", "aria-label": "Key", placeholder: "key, e.g. session" });
  const title = h("input", { value: p.title || "", "aria-label": "Title", placeholder: "Title, e.g. Order id" });
  const type = h("select", { "aria-label": "Type" }, paramTypes.map(([v, t]) => h("option", { value: v, selected: v === (p.type || "string") }, t)));
  const row = h("div", { class: "param-row" }, key, title, type,
    h("button", { type: "button", class: "small", "aria-label": "Remove parameter", onclick: () => row.remove() }, "Remove"));
  row.read = () => ({ type: type.value, title: title.value || key.value, key: key.value, description: "", ui: {} });
  rows.append(row);
}

async function edit(id) {
  const existing = id ? await api.get(`/v1/webhooks/${id}`) : null;
  await loadApplications();
  const rows = h("div", { class: "param-rows" });
  for (const p of existing?.params || []) paramRow(p, rows);
  const form = new Form({
    submitLabel: existing ? "Save" : "Create webhook",
    cancel: h("button", { type: "button", class: "secondary", onclick: () => go("/webhooks") }, "Cancel"),
    onsubmit: async () => {
      const body = {
        title: title.read(), description: description.read(), verb: verb.read(), url: url.read(),
        headers: headers.read().split("\n").map((l) => l.trim()).filter(Boolean), payload: payload.read(),
        params: [...rows.children].map((r) => r.read()), enabled: enabled.read(),
        applicationIds: apps.filter((a) => a.box.checked).map((a) => a.id),
      };
      const saved = existing ? await api.put(`/v1/webhooks/${existing.id}`, body) : await api.post("/v1/webhooks", body);
      toast(`Webhook ${saved.title} saved`, "ok");
      go(`/webhooks/${saved.id}`);
    },
  });
  const title = form.field({ label: "Title", pointer: "/title", value: existing?.title, required: true });
  const description = form.field({ label: "Description", pointer: "/description", value: existing?.description });
  const verb = form.field({ label: "Method", pointer: "/verb", type: "select", value: existing?.verb || "POST", options: verbs.map((v) => [v, v]) });
  const url = form.field({ label: "URL", pointer: "/url", value: existing?.url, required: true, placeholder: "https://crm.example.com/orders/${order}", help: "${key} is replaced by the rule's value for that parameter (URL-encoded)." });
  const headers = form.field({ label: "Headers", pointer: "/headers", type: "textarea", value: (existing?.headers || []).join("\n"), placeholder: "Authorization: Bearer …", help: "One \"Name: value\" per line." });
  const payload = form.field({ label: "Body", pointer: "/payload", type: "textarea", value: existing?.payload, placeholder: "{\"order\": \"${order}\", \"total\": ${total}}", help: "Text values are written as the inside of a JSON string: put \"${key}\" in quotes." });
  const enabled = form.field({ label: "Enabled (rules may call it)", pointer: "/enabled", type: "checkbox", value: existing ? existing.enabled : true });
  const apps = state.applications.map((a) => ({ id: a.id, box: h("input", { type: "checkbox", id: `hook-app-${a.id}`, checked: existing ? existing.applicationIds.includes(a.id) : false }), name: a.name }));
  const appsField = h("fieldset", { class: "field" }, h("legend", {}, "Applications (none ticked: all of them)"),
    apps.map((a) => h("div", { class: "checkbox" }, a.box, h("label", { for: `hook-app-${a.id}` }, a.name))));
  const paramsField = h("fieldset", { class: "field" }, h("legend", {}, "Parameters, in the order rules pass them"), rows,
    h("button", { type: "button", class: "small", onclick: () => paramRow({}, rows) }, "Add a parameter"));
  form.register("/params", paramsField, h("p", { class: "field-error", hidden: true }));
  form.add(h("div", { class: "grid-2" }, title, description), h("div", { class: "grid-2" }, verb, url), paramsField, payload, headers, appsField, enabled);
  const parts = [
    h("div", { class: "breadcrumbs" }, h("a", { href: "#/webhooks" }, "Webhooks")),
    h("h1", {}, existing ? existing.title : "New webhook"),
    h("div", { class: "panel" }, form.element),
  ];
  if (existing) {
    const call = ["triggerWebhook", existing.id, ...existing.params.map((p) => `<${p.title || p.key}>`)];
    parts.push(
      h("p", { class: "help" }, "In a rule: ", h("code", {}, JSON.stringify(call))),
      panel("Signing", null, h("p", {}, "Every call carries X-Perk-Signature: sha256=<HMAC-SHA256 of the body under this secret>, and an Idempotency-Key that stays the same on every attempt."),
        h("p", { class: "secret", id: "webhook-secret" }, existing.secret)),
      await deliveries(existing),
      h("button", { type: "button", class: "danger", onclick: async () => {
        if (!(await confirmDialog(`Delete the webhook "${existing.title}"?`, { details: "Rules that call it stop calling it; calls already made are still delivered." }))) return;
        await api.delete(`/v1/webhooks/${existing.id}`);
        toast("Webhook deleted", "ok");
        go("/webhooks");
      } }, "Delete webhook"));
  }
  return h("div", {}, ...parts);
}

async function deliveries(webhook) {
  const logs = (await api.get("/v1/webhook_logs", { webhookId: webhook.id, pageSize: 50 })).data || [];
  const activations = await api.get("/v1/webhook_activation_logs", { webhookId: webhook.id, pageSize: 1 });
  const ok = (s) => s >= 200 && s < 300;
  return panel(`Deliveries (${activations.totalResultSize} calls triggered)`, null, logs.length
    ? h("div", { class: "table-wrap" }, h("table", { id: "webhook-deliveries" },
      h("thead", {}, h("tr", {}, ["Sent", "Answer", "URL", "Response"].map((t) => h("th", {}, t)))),
      h("tbody", {}, logs.map((l) => h("tr", {},
        h("td", {}, formatTime(l.requestTime)),
        h("td", {}, badge(l.status ? String(l.status) : "no answer", ok(l.status) ? "accepted" : "rejected")),
        h("td", { class: "mono" }, l.url),
        h("td", {}, h("span", { class: "help" }, (l.response || "").slice(0, 120))))))))
    : empty("Nothing sent yet."));
}
