// Campaigns: the list (state, tags, schedule, redemptions, budget use), a campaign's page with
// its tabs (settings, rules, coupons, referrals, analytics), and the editor.

import { api } from "./api.js";
import {
  badge, confirmDialog, debounce, empty, formatDate, formatMoney, formatNumber, fromLocalInput, h, panel, toLocalInput, toast,
} from "./dom.js";
import { Form } from "./forms.js";
import { go, setQuery } from "./router.js";
import { appApi, appPath, currency, may, state } from "./state.js";
import { rulesTab } from "./views-rules.js";
import { couponsTab, referralsTab } from "./views-coupons.js";
import { campaignAnalytics } from "./views-analytics.js";

export function register(route) {
  route("/apps/:app/campaigns", list);
  route("/apps/:app/campaigns/new", (params) => editor(null));
  route("/apps/:app/campaigns/:campaign", (params) => page(params.campaign, "rules"));
  route("/apps/:app/campaigns/:campaign/:tab", (params) => page(params.campaign, params.tab));
}

const states = [["", "Any state"], ["running", "Running"], ["scheduled", "Scheduled"], ["expired", "Expired"], ["disabled", "Disabled"], ["archived", "Archived"]];

export const actions = {
  setDiscount: "Discount given (money)",
  redeemCoupon: "Coupons redeemed",
  redeemReferral: "Referrals redeemed",
  createCoupon: "Coupons created by rules",
  setDiscountEffect: "Discounts given (count)",
};
const entities = ["Coupon", "Referral", "Profile", "Identifier"];

/** What a campaign's counters say of a campaign-wide budget: used of limit. */
function budgetUse(c, limit) {
  if (limit.entities && limit.entities.length) return null;
  const used = {
    setDiscount: Number(c.discountCount || 0),
    redeemCoupon: c.couponRedemptionCount || 0,
    redeemReferral: c.referralRedemptionCount || 0,
    createCoupon: c.couponCreationCount || 0,
    setDiscountEffect: c.discountEffectCount || 0,
  }[limit.action];
  return used === undefined ? null : { used, limit: Number(limit.limit) };
}

function schedule(c) {
  if (!c.startTime && !c.endTime) return "Always";
  return `${c.startTime ? formatDate(c.startTime) : "…"} – ${c.endTime ? formatDate(c.endTime) : "…"}`;
}

function budgetCell(c) {
  const uses = (c.limits || []).map((l) => [l, budgetUse(c, l)]);
  if (!uses.length) return h("span", { class: "help" }, "No budget");
  return uses.map(([l, use]) => {
    if (!use) return h("div", { class: "help" }, `${actions[l.action] || l.action}: ${formatNumber(l.limit)} per ${l.entities.join(" and ").toLowerCase()}`);
    const money = l.action === "setDiscount";
    const share = use.limit > 0 ? Math.min(1, use.used / use.limit) : 1;
    return h("div", {},
      h("div", { class: "help" }, `${money ? formatMoney(use.used, currency()) : formatNumber(use.used)} of ${money ? formatMoney(use.limit, currency()) : formatNumber(use.limit)}`),
      h("div", { class: share >= 1 ? "meter full" : "meter", role: "img", "aria-label": `${Math.round(share * 100)}% of the budget used` },
        h("span", { style: `width: ${Math.round(share * 100)}%` })));
  });
}

async function setState(c, enabled) {
  const body = { ...editable(c), state: enabled ? "enabled" : "disabled" };
  await api.put(appApi(`/campaigns/${c.id}`), body);
  toast(`${c.name} ${enabled ? "enabled" : "disabled"}`, "ok");
}

/** The members of a campaign that `PUT` takes. */
function editable(c) {
  const out = {
    name: c.name, description: c.description || "", tags: c.tags || [], features: c.features || [], limits: c.limits || [],
    state: c.state, attributes: c.attributes || {},
  };
  if (c.startTime) out.startTime = c.startTime;
  if (c.endTime) out.endTime = c.endTime;
  if (c.activeRulesetId) out.activeRulesetId = c.activeRulesetId;
  if (c.couponSettings) out.couponSettings = c.couponSettings;
  if (c.referralSettings) out.referralSettings = c.referralSettings;
  return out;
}

async function copy(c) {
  // A copy goes only where the user may make campaigns.
  const others = state.applications.filter((a) => may("campaigns", a.id));
  const dialog = h("dialog", { "aria-labelledby": "copy-title" });
  const form = new Form({
    submitLabel: "Copy",
    cancel: h("button", { type: "button", class: "secondary", onclick: () => { dialog.close(); dialog.remove(); } }, "Cancel"),
    onsubmit: async () => {
      const reply = await api.post(appApi(`/campaigns/${c.id}/copy`), { applicationIds: [Number(target.read())], name: name.read() });
      dialog.close();
      dialog.remove();
      const made = reply.data?.[0];
      toast(`Copied as "${made?.name ?? name.read()}"`, "ok");
      if (made) go(`/apps/${made.applicationId}/campaigns/${made.id}/settings`);
    },
  });
  const name = form.field({ label: "Name of the copy", pointer: "/name", value: `${c.name} (copy)`, required: true });
  const target = form.field({ label: "Into the application", pointer: "/applicationIds", type: "select", value: state.application.id, options: others.map((a) => [a.id, a.name]) });
  form.add(name, target);
  dialog.append(h("h2", { id: "copy-title" }, `Copy "${c.name}"`), h("p", { class: "help" }, "The copy takes the settings, budgets and active rules, not the coupons."), form.element);
  dialog.addEventListener("cancel", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  name.input.select();
}

async function remove(c) {
  const yes = await confirmDialog(`Delete the campaign "${c.name}"?`, { details: "Its rules, coupons, referral codes and budget counters are deleted too. This cannot be undone." });
  if (!yes) return false;
  await api.delete(appApi(`/campaigns/${c.id}`));
  toast(`${c.name} deleted`, "ok");
  return true;
}

async function list(params, query) {
  const changing = may("campaigns");
  const filters = { campaignState: query.campaignState || "", name: query.name || "", tags: query.tags || "" };
  const table = h("div", { class: "table-wrap" }, h("p", { class: "loading" }, "Loading…"));
  const refresh = async () => {
    setQuery(filters);
    let items = (await api.get(appApi("/campaigns"), { pageSize: 1000, campaignState: filters.campaignState || undefined, name: filters.name || undefined, sort: "-created" })).data || [];
    if (filters.tags) {
      const t = filters.tags.toLowerCase();
      items = items.filter((c) => (c.tags || []).some((tag) => tag.toLowerCase().includes(t)));
    }
    if (!items.length) {
      table.replaceChildren(empty(filters.campaignState || filters.name || filters.tags ? "No campaign matches these filters." : "No campaign yet.",
        changing ? h("button", { type: "button", class: "primary", onclick: () => go(appPath("campaigns/new")) }, "Create a campaign") : null));
      return;
    }
    table.replaceChildren(h("table", {},
      h("thead", {}, h("tr", {}, ["Campaign", "State", "Tags", "Schedule"].map((t) => h("th", {}, t)), h("th", { class: "num" }, "Redemptions"), h("th", {}, "Budget"), h("th", {}, h("span", { class: "hidden" }, "Actions")))),
      h("tbody", {}, items.map((c) => h("tr", {},
        h("td", {}, h("a", { href: "#" + appPath(`campaigns/${c.id}`) }, c.name), c.description ? h("div", { class: "help" }, c.description) : null),
        h("td", {}, badge(c.frontendState || c.state)),
        h("td", {}, (c.tags || []).map((t) => h("span", { class: "tag" }, t))),
        h("td", {}, schedule(c)),
        h("td", { class: "num" }, formatNumber((c.couponRedemptionCount || 0) + (c.referralRedemptionCount || 0))),
        h("td", {}, budgetCell(c)),
        h("td", {}, changing ? h("div", { class: "row-actions" },
          h("button", { type: "button", class: "small", "aria-label": `${c.state === "enabled" ? "Disable" : "Enable"} ${c.name}`, onclick: async () => { await setState(c, c.state !== "enabled"); await refresh(); } }, c.state === "enabled" ? "Disable" : "Enable"),
          h("button", { type: "button", class: "small", "aria-label": `Copy ${c.name}`, onclick: () => copy(c) }, "Copy"),
          h("button", { type: "button", class: "small danger", "aria-label": `Delete ${c.name}`, onclick: async () => { if (await remove(c)) await refresh(); } }, "Delete")) : null))))));
  };
  const later = debounce(refresh, 250);
  const stateFilter = h("select", { id: "filter-state", onchange: (e) => { filters.campaignState = e.target.value; refresh(); } },
    states.map(([v, t]) => h("option", { value: v, selected: v === filters.campaignState }, t)));
  const nameFilter = h("input", { id: "filter-name", type: "search", value: filters.name, placeholder: "Name contains…", oninput: (e) => { filters.name = e.target.value; later(); } });
  const tagFilter = h("input", { id: "filter-tags", type: "search", value: filters.tags, placeholder: "Tag…", oninput: (e) => { filters.tags = e.target.value; later(); } });
  await refresh();
  return h("div", {},
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Campaigns"), h("p", { class: "subtitle" }, `Promotions of ${state.application.name}.`,
        changing ? null : " Your roles let you see them, not change them.")),
      changing ? h("button", { type: "button", class: "primary", "data-shortcut": "new", onclick: () => go(appPath("campaigns/new")) }, "New campaign") : null),
    h("div", { class: "panel" },
      h("div", { class: "filters", role: "search" },
        h("div", { class: "field" }, h("label", { for: "filter-name" }, "Name"), nameFilter),
        h("div", { class: "field" }, h("label", { for: "filter-state" }, "State"), stateFilter),
        h("div", { class: "field" }, h("label", { for: "filter-tags" }, "Tag"), tagFilter)),
      table));
}

const tabs = [["rules", "Rules"], ["settings", "Settings"], ["coupons", "Coupons"], ["referrals", "Referrals"], ["analytics", "Analytics"]];

async function page(id, tab) {
  const c = await api.get(appApi(`/campaigns/${id}`));
  const base = appPath(`campaigns/${c.id}`);
  let content;
  switch (tab) {
    case "settings": content = await editor(c, true); break;
    case "coupons": content = await couponsTab(c); break;
    case "referrals": content = await referralsTab(c); break;
    case "analytics": content = await campaignAnalytics(c); break;
    default: content = await rulesTab(c);
  }
  return h("div", {},
    h("div", { class: "breadcrumbs" }, h("a", { href: "#" + appPath("campaigns") }, "Campaigns")),
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, c.name), h("p", { class: "subtitle" }, badge(c.frontendState || c.state), " ", schedule(c), " · ",
        `${formatNumber(c.couponRedemptionCount || 0)} coupon redemptions · ${formatMoney(c.discountCount || 0, currency())} discounts given`)),
      may("campaigns") ? h("div", { class: "panel-actions" },
        h("button", { type: "button", class: c.state === "enabled" ? "secondary" : "primary", onclick: async () => { await setState(c, c.state !== "enabled"); go(base + "/" + (tab || "rules"), null, true); } }, c.state === "enabled" ? "Disable" : "Enable"),
        h("button", { type: "button", class: "secondary", onclick: () => copy(c) }, "Copy"),
        h("button", { type: "button", class: "danger", onclick: async () => { if (await remove(c)) go(appPath("campaigns")); } }, "Delete")) : null),
    h("nav", { class: "tabs", "aria-label": "Campaign" }, tabs.map(([slug, label]) => h("a", {
      href: `#${base}/${slug}`, class: (tab || "rules") === slug ? "active" : "", "aria-current": (tab || "rules") === slug ? "page" : undefined,
    }, label))),
    content);
}

/** A key/value editor for attributes, in plain words rather than JSON. */
function attributesEditor(form, initial) {
  const rows = h("div", {});
  const entries = [];
  const add = (key = "", value = "") => {
    const keyInput = h("input", { type: "text", value: key, "aria-label": "Attribute name", placeholder: "name" });
    const valueInput = h("input", { type: "text", value: typeof value === "string" ? value : JSON.stringify(value), "aria-label": "Attribute value", placeholder: "value", class: "wide" });
    const entry = { keyInput, valueInput };
    const row = h("div", { class: "rule-row" }, keyInput, h("span", { class: "words" }, "="), valueInput,
      h("button", { type: "button", class: "small", "aria-label": "Remove attribute", onclick: () => { row.remove(); entries.splice(entries.indexOf(entry), 1); } }, "Remove"));
    entries.push(entry);
    rows.append(row);
    return keyInput;
  };
  for (const [k, v] of Object.entries(initial || {})) add(k, v);
  const error = h("p", { class: "field-error", hidden: true });
  const wrapper = h("fieldset", {}, h("legend", {}, "Attributes"), h("p", { class: "help" }, "Extra facts about the campaign that rules can read (Campaign.Attributes)."), rows, error,
    h("button", { type: "button", class: "small", onclick: () => add().focus() }, "+ Add attribute"));
  form.register("/attributes", wrapper, error);
  wrapper.read = () => {
    const out = {};
    for (const { keyInput, valueInput } of entries) {
      const k = keyInput.value.trim();
      if (!k) continue;
      const v = valueInput.value;
      out[k] = v !== "" && !Number.isNaN(Number(v)) ? Number(v) : v === "true" ? true : v === "false" ? false : v;
    }
    return out;
  };
  return wrapper;
}

/** Budgets: every `LimitConfig`: an action, a limit, and what it is counted per. */
function budgetsEditor(form, initial) {
  const rows = h("div", {});
  const entries = [];
  const add = (limit = { action: "setDiscount", limit: 0, entities: [] }) => {
    const index = entries.length;
    const action = h("select", { "aria-label": "What the budget counts" }, Object.entries(actions).map(([v, t]) => h("option", { value: v, selected: v === limit.action }, t)));
    const amount = h("input", { type: "number", min: "0", step: "any", value: limit.limit, "aria-label": "Limit" });
    const boxes = entities.map((e) => {
      const id = `budget-${index}-${e}-${Math.random().toString(36).slice(2, 7)}`;
      return [e, h("input", { type: "checkbox", id, checked: (limit.entities || []).includes(e) }), id];
    });
    const error = h("p", { class: "field-error", hidden: true });
    const entry = { action, amount, boxes };
    const row = h("div", { class: "rule-row" }, h("span", { class: "words" }, "At most"), amount, h("span", { class: "words" }, "of"), action,
      h("span", { class: "words" }, "per"), boxes.map(([e, box, id]) => h("span", {}, box, " ", h("label", { for: id }, e.toLowerCase()))),
      h("span", { class: "help" }, "(none: for the whole campaign)"),
      h("button", { type: "button", class: "small", "aria-label": "Remove budget", onclick: () => { row.remove(); entries.splice(entries.indexOf(entry), 1); } }, "Remove"),
      error);
    form.register(`/limits/${index}`, row, error);
    entries.push(entry);
    rows.append(row);
    return amount;
  };
  for (const l of initial || []) add(l);
  const wrapper = h("fieldset", {}, h("legend", {}, "Budgets"), h("p", { class: "help" }, "Once a budget is used up, the campaign stops giving what it counts."), rows,
    h("button", { type: "button", class: "small", onclick: () => add().focus() }, "+ Add budget"));
  wrapper.read = () => entries.map(({ action, amount, boxes }) => ({
    action: action.value, limit: amount.value === "" ? 0 : Number(amount.value), entities: boxes.filter(([, box]) => box.checked).map(([e]) => e),
  }));
  return wrapper;
}

async function editor(c, embedded = false) {
  const creating = !c;
  if (creating && !may("campaigns")) {
    return h("div", { class: "empty" }, h("h1", {}, "New campaign"), h("p", {}, "Your roles do not let you make campaigns in this application: ask an account admin."));
  }
  const form = new Form({
    submitLabel: creating ? "Create campaign" : "Save settings",
    cancel: creating ? h("button", { type: "button", class: "secondary", onclick: () => history.back() }, "Cancel") : null,
    onsubmit: async () => {
      const body = {
        name: name.read(), description: description.read(), tags: tags.read(),
        features: ["coupons", "referrals"].filter((f) => featureBoxes[f].read()),
        state: enabled.read() ? "enabled" : "disabled", limits: budgets.read(), attributes: attributes.read(),
        startTime: fromLocalInput(start.read()) || undefined, endTime: fromLocalInput(end.read()) || undefined,
      };
      if (creating) {
        const made = await api.post(appApi("/campaigns"), body);
        toast(`${made.name} created: now give it rules`, "ok");
        go(appPath(`campaigns/${made.id}/rules`));
      } else {
        const kept = editable(c);
        await api.put(appApi(`/campaigns/${c.id}`), { ...kept, ...body, startTime: body.startTime ?? null, endTime: body.endTime ?? null });
        toast("Settings saved", "ok");
        go(appPath(`campaigns/${c.id}/settings`), null, true);
      }
    },
  });
  const name = form.field({ label: "Name", pointer: "/name", value: c?.name, required: true, placeholder: "Summer sale" });
  const description = form.field({ label: "Description", pointer: "/description", type: "textarea", value: c?.description });
  const tags = form.field({ label: "Tags", pointer: "/tags", type: "tags", value: c?.tags, help: "Separated by commas." });
  const start = form.field({ label: "Starts", pointer: "/startTime", type: "datetime-local", value: toLocalInput(c?.startTime), help: "Empty: now." });
  const end = form.field({ label: "Ends", pointer: "/endTime", type: "datetime-local", value: toLocalInput(c?.endTime), help: "Empty: never." });
  const enabled = form.field({ label: "Enabled", pointer: "/state", type: "checkbox", value: c ? c.state === "enabled" : true, help: "A disabled campaign gives nothing, whatever its schedule." });
  const featureBoxes = {
    coupons: form.field({ label: "Coupon codes", pointer: "/features", type: "checkbox", value: c ? (c.features || []).includes("coupons") : true }),
    referrals: form.field({ label: "Referral codes", pointer: "/features", type: "checkbox", value: c ? (c.features || []).includes("referrals") : false }),
  };
  const budgets = budgetsEditor(form, c?.limits);
  const attributes = attributesEditor(form, c?.attributes);
  form.add(name, description, tags, h("div", { class: "grid-2" }, start, end), enabled,
    h("fieldset", {}, h("legend", {}, "Features"), featureBoxes.coupons, featureBoxes.referrals), budgets, attributes);
  if (!may("campaigns")) form.lock("You may see these settings; changing them needs the right to change campaigns.");
  const body = h("div", { class: "panel" }, form.element);
  if (embedded) return body;
  return h("div", {},
    h("div", { class: "breadcrumbs" }, h("a", { href: "#" + appPath("campaigns") }, "Campaigns")),
    h("h1", {}, "New campaign"), h("p", { class: "subtitle" }, "Name it and set its schedule and budgets; its rules come next."), body);
}
