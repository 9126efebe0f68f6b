// Applications (a shop's integration: its currency, time zone, campaigns and keys) and their
// Integration API keys.

import { api } from "./api.js";
import { badge, confirmDialog, empty, formatDate, formatTime, fromLocalInput, h, note, panel, toLocalInput, toast } from "./dom.js";
import { Form } from "./forms.js";
import { go } from "./router.js";
import { appApi, isAdmin, loadApplications, may, state, useApplication } from "./state.js";

export function register(route) {
  route("/apps", listApplications);
  route("/apps/new", newApplication);
  route("/apps/:app/keys", keys);
}

async function listApplications() {
  const apps = await loadApplications();
  const rows = apps.map((a) =>
    h("tr", {},
      h("td", {}, h("a", { href: `#/apps/${a.id}/campaigns` }, a.name), a.description ? h("div", { class: "help" }, a.description) : null),
      h("td", {}, a.currency),
      h("td", {}, a.timezone),
      h("td", {}, formatDate(a.created))));
  return h("div", {},
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Applications"), h("p", { class: "subtitle" }, "Each application is one shop or channel, with its own campaigns, coupons and keys.")),
      isAdmin() ? h("button", { type: "button", class: "primary", "data-shortcut": "new", onclick: () => go("/apps/new") }, "New application") : null),
    apps.length
      ? panel("All applications", null, h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Currency"), h("th", {}, "Time zone"), h("th", {}, "Created"))),
        h("tbody", {}, rows))))
      : isAdmin()
        ? empty("There is no application yet.", h("button", { type: "button", class: "primary", onclick: () => go("/apps/new") }, "Create the first one"))
        : empty("None of your roles opens an application yet: ask an account admin."));
}

function zones() {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC", "Europe/Berlin", "Europe/London", "America/New_York"];
  }
}

async function newApplication() {
  if (!isAdmin()) return h("div", { class: "empty" }, h("h1", {}, "New application"), h("p", {}, "Only account admins create applications."));
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const form = new Form({
    submitLabel: "Create application",
    cancel: h("button", { type: "button", class: "secondary", onclick: () => history.back() }, "Cancel"),
    onsubmit: async () => {
      const created = await api.post("/v1/applications", {
        name: name.read(),
        description: description.read() || undefined,
        currency: currencyField.read(),
        timezone: timezone.read(),
        caseSensitivity: caseSensitivity.read(),
        enableFlattenedCartItems: flattened.read(),
      });
      await loadApplications();
      useApplication(created.id);
      window.dispatchEvent(new Event("perk:applications-changed"));
      toast(`${created.name} is ready`, "ok");
      go(`/apps/${created.id}/campaigns`);
    },
  });
  const name = form.field({ label: "Name", pointer: "/name", required: true, placeholder: "My shop" });
  const description = form.field({ label: "Description", pointer: "/description", type: "textarea" });
  const currencyField = form.field({ label: "Currency", pointer: "/currency", value: "EUR", required: true, help: "ISO 4217 code: EUR, USD, GBP…", attrs: { maxlength: 3 } });
  const timezone = form.field({ label: "Time zone", pointer: "/timezone", type: "select", value: here, options: zones().map((z) => [z, z]), help: "Campaign schedules and weekday rules use it." });
  const caseSensitivity = form.field({
    label: "Coupon codes", pointer: "/caseSensitivity", type: "select", value: "sensitive",
    options: [["sensitive", "Case-sensitive"], ["insensitive-uppercase", "Not case-sensitive (stored upper-case)"], ["insensitive-lowercase", "Not case-sensitive (stored lower-case)"], ["insensitive-mixed", "Not case-sensitive (stored as written)"]],
    help: "Cannot be changed later.",
  });
  const flattened = form.field({
    label: "Rules see each unit of a cart line", pointer: "/enableFlattenedCartItems", type: "checkbox", value: true,
    help: "A line of 3 pairs of socks is 3 items to the rules, so that they can discount single units (3 for 2, cheapest free).",
  });
  form.add(name, description, h("div", { class: "grid-2" }, currencyField, timezone), caseSensitivity, flattened);
  return h("div", {},
    h("div", { class: "breadcrumbs" }, h("a", { href: "#/apps" }, "Applications")),
    h("h1", {}, "New application"),
    h("p", { class: "subtitle" }, "Campaigns, coupons and keys belong to an application."),
    h("div", { class: "panel" }, form.element));
}

/** The key, shown once, with a way to copy it. */
function showKey(record) {
  const dialog = h("dialog", { "aria-labelledby": "key-title" });
  const close = () => {
    dialog.close();
    dialog.remove();
  };
  dialog.append(
    h("h2", { id: "key-title" }, "Your new API key"),
    h("p", {}, "Copy it now: Perk keeps only a fingerprint of it and cannot show it again."),
    h("p", { class: "secret", tabindex: "0" }, record.key),
    h("p", { class: "help" }, `Send it as "Authorization: ApiKey-v1 <key>". Valid until ${formatTime(record.expires)}.`),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", onclick: async () => {
        try {
          await navigator.clipboard.writeText(record.key);
          toast("Copied", "ok");
        } catch {
          toast("Select the key and copy it", "info");
        }
      } }, "Copy"),
      h("button", { type: "button", class: "primary", onclick: close }, "Done")));
  dialog.addEventListener("cancel", close);
  document.body.append(dialog);
  dialog.showModal();
}

async function keys() {
  const list = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const refresh = async () => {
    const page = await api.get(appApi("/api_keys"));
    const items = page.data || [];
    list.replaceChildren(items.length
      ? h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, h("th", {}, "Title"), h("th", {}, "Type"), h("th", {}, "Created"), h("th", {}, "Expires"), h("th", {}, h("span", { class: "hidden" }, "Actions")))),
        h("tbody", {}, items.map((k) => h("tr", {},
          h("td", {}, k.title),
          h("td", {}, k.type === "staging" ? badge("staging", "staging") : "Live"),
          h("td", {}, formatTime(k.created)),
          h("td", {}, formatTime(k.expires), new Date(k.expires) < new Date() ? [" ", badge("expired", "expired")] : null),
          h("td", { class: "row-actions" }, !may("keys") ? null : h("button", { type: "button", class: "small danger", "aria-label": `Revoke ${k.title}`, onclick: async () => {
            if (!(await confirmDialog(`Revoke the key "${k.title}"?`, { confirm: "Revoke", details: "Integrations using it stop working within a second." }))) return;
            await api.delete(appApi(`/api_keys/${k.id}`));
            toast("Key revoked", "ok");
            await refresh();
          } }, "Revoke")))))))
      : empty("No keys yet. Create one for your shop's integration."));
  };
  const inAYear = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const form = new Form({
    submitLabel: "Create key",
    onsubmit: async () => {
      const created = await api.post(appApi("/api_keys"), {
        title: title.read(),
        expires: fromLocalInput(expires.read()),
        type: type.read() || undefined,
      });
      showKey(created);
      title.input.value = "";
      await refresh();
    },
  });
  const title = form.field({ label: "Title", pointer: "/title", required: true, placeholder: "Web shop" });
  const expires = form.field({ label: "Expires", pointer: "/expires", type: "datetime-local", value: toLocalInput(inAYear.toISOString()) });
  // Live keys take the keys right; a staging key (dry runs only) the campaigns right too.
  const types = [may("keys") ? ["", "Live"] : null, ["staging", "Staging (dry runs only)"]].filter(Boolean);
  const type = form.field({ label: "Type", pointer: "/type", type: "select", value: types[0][0], options: types });
  form.add(h("div", { class: "grid-3" }, title, expires, type));
  await refresh();
  const making = may("keys") || may("campaigns");
  return h("div", {},
    h("h1", {}, "API keys"),
    h("p", { class: "subtitle" }, `Keys of ${state.application?.name ?? "this application"} for the Integration API.`),
    making
      ? panel("New key", null, may("keys") ? null : note("Your roles let you make staging keys only (for trying carts); live keys need the API keys right."), form.element)
      : note("Your roles let you see this application's keys, not make or revoke them."),
    panel("Keys", null, list));
}
