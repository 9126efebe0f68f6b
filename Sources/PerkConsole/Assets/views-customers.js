// Customers: find one by the shop's integration id; their attributes, sessions and events with
// what the campaigns gave, reserved coupons and referral codes; erase their personal data.

import { ApiError, api } from "./api.js";
import { badge, confirmDialog, empty, formatMoney, formatNumber, formatTime, h, panel, toast } from "./dom.js";
import { go } from "./router.js";
import { appApi, appPath, currency, isAdmin } from "./state.js";
import { describeEffect } from "./views-testcart.js";

export function register(route) {
  route("/apps/:app/customers", search);
  route("/apps/:app/customers/:integrationId", customer);
}

function finder(value = "") {
  const input = h("input", { id: "customer-id", type: "search", value, placeholder: "e.g. alice or customer-1042", required: true });
  return h("form", { class: "filters", role: "search", onsubmit: (e) => {
    e.preventDefault();
    if (input.value.trim()) go(appPath(`customers/${encodeURIComponent(input.value.trim())}`));
  } }, h("div", { class: "field grow" }, h("label", { for: "customer-id" }, "Customer's integration id"), input),
  h("button", { type: "submit", class: "primary" }, "Find"));
}

async function search() {
  const recent = await api.get(appApi("/sessions"), { pageSize: 20 });
  const ids = [...new Set((recent.data || []).map((s) => s.profileintegrationid).filter(Boolean))];
  return h("div", {},
    h("h1", {}, "Customers"),
    h("p", { class: "subtitle" }, "Look a customer up by the id the shop knows them by."),
    h("div", { class: "panel" }, finder()),
    panel("Recently active", null, ids.length
      ? h("ul", {}, ids.map((id) => h("li", {}, h("a", { href: "#" + appPath(`customers/${encodeURIComponent(id)}`) }, id))))
      : empty("No customer has shopped yet.")));
}

function attributesTable(attributes) {
  const entries = Object.entries(attributes || {});
  if (!entries.length) return h("p", { class: "help" }, "No attributes.");
  return h("table", {}, h("tbody", {}, entries.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, typeof v === "string" ? v : JSON.stringify(v))))));
}

async function customer(params) {
  const id = params.integrationId;
  let inventory;
  try {
    inventory = await api.get(appApi(`/customer_profiles/${encodeURIComponent(id)}/inventory`));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return h("div", {}, h("h1", {}, "Customers"), h("div", { class: "panel" }, finder(id)), empty(`No customer "${id}" is known.`));
    }
    throw error;
  }
  const p = inventory.profile;
  const [sessions, events, bought] = await Promise.all([
    api.get(appApi("/sessions"), { profile: id, pageSize: 50 }),
    api.get(appApi("/events"), { profile: id, pageSize: 50 }),
    api.get(appApi(`/customers/${p.id}/analytics`)),
  ]);
  const erase = h("button", { type: "button", class: "danger", onclick: async () => {
    const yes = await confirmDialog(`Erase the personal data of "${id}"?`, {
      confirm: "Erase", details: "Their attributes, and those of their sessions, cart items and events, are erased everywhere. Counts and redemptions stay.",
    });
    if (!yes) return;
    await api.delete(appApi(`/customer_data/${encodeURIComponent(id)}`));
    toast("Personal data erased", "ok");
    go(appPath(`customers/${encodeURIComponent(id)}`), null, true);
  } }, "Erase personal data");
  return h("div", {},
    h("div", { class: "breadcrumbs" }, h("a", { href: "#" + appPath("customers") }, "Customers")),
    // Erasing personal data reaches every application: an account admin's call.
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, id), h("p", { class: "subtitle" }, `Customer since ${formatTime(p.created)} · last active ${formatTime(p.lastActivity)}`)), isAdmin() ? erase : null),
    h("div", { class: "cards" },
      h("div", { class: "card" }, h("div", { class: "label" }, "Closed sessions"), h("div", { class: "value" }, formatNumber(p.closedSessions))),
      h("div", { class: "card" }, h("div", { class: "label" }, "Total sales"), h("div", { class: "value" }, formatMoney(p.totalSales, currency()))),
      h("div", { class: "card" }, h("div", { class: "label" }, "Reserved coupons"), h("div", { class: "value" }, formatNumber(inventory.coupons.length))),
      h("div", { class: "card" }, h("div", { class: "label" }, "Referral codes"), h("div", { class: "value" }, formatNumber(inventory.referrals.length)))),
    // What the customer's sessions in this application add up to (closed ones are orders).
    panel("In this application", null, h("div", { class: "cards", id: "customer-analytics" },
      h("div", { class: "card" }, h("div", { class: "label" }, "Orders"), h("div", { class: "value" }, formatNumber(bought.totalOrders))),
      h("div", { class: "card" }, h("div", { class: "label" }, "With a discount"), h("div", { class: "value" }, formatNumber(bought.totalDiscountedOrders))),
      h("div", { class: "card" }, h("div", { class: "label" }, "Revenue"), h("div", { class: "value" }, formatMoney(bought.totalRevenue, currency()))),
      h("div", { class: "card" }, h("div", { class: "label" }, "Discounts given"), h("div", { class: "value" }, formatMoney(bought.totalDiscounts, currency()))),
      h("div", { class: "card" }, h("div", { class: "label" }, "Coupons redeemed"), h("div", { class: "value" }, formatNumber(bought.acceptedCoupons))))),
    panel("Attributes", null, attributesTable(p.attributes)),
    panel("Sessions", null, (sessions.data || []).length
      ? h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ["Session", "State", "Coupon", "Created"].map((t) => h("th", {}, t)), h("th", { class: "num" }, "Total"), h("th", { class: "num" }, "Discounts"))),
        h("tbody", {}, sessions.data.map((s) => h("tr", {},
          h("td", { class: "mono" }, s.integrationId), h("td", {}, badge(s.state)), h("td", { class: "mono" }, s.coupon || "—"),
          h("td", {}, formatTime(s.created)), h("td", { class: "num" }, formatMoney(s.total, currency())),
          h("td", { class: "num" }, formatMoney(s.totalDiscounts || 0, currency())))))))
      : empty("No sessions.")),
    panel("Events", null, (events.data || []).length
      ? h("ul", { class: "effects" }, events.data.map((e) => h("li", {},
        h("span", { class: "what" }, h("strong", {}, e.type.replace(/^talon_/, "").replace(/_/g, " ")), " ", h("span", { class: "help" }, `${formatTime(e.created)}${e.sessionId ? " · session " + e.sessionId : ""}`),
          (e.effects || []).length ? h("ul", {}, (e.effects || []).map((fx) => {
            const effect = Array.isArray(fx) ? { campaignId: fx[0], effectType: fx[3]?.[0], props: {} } : fx;
            const d = describeEffect(effect, []);
            return h("li", {}, d.text, d.amount ? ` (−${formatMoney(d.amount, currency())})` : "");
          })) : null))))
      : empty("No events.")),
    panel("Reserved coupons", null, inventory.coupons.length
      ? h("ul", {}, inventory.coupons.map((c) => h("li", { class: "mono" }, c.value)))
      : empty("No reserved coupons.")),
    panel("Referral codes", null, inventory.referrals.length
      ? h("ul", {}, inventory.referrals.map((r) => h("li", {}, h("span", { class: "mono" }, r.code), ` · used ${formatNumber(r.usageCounter)} of ${formatNumber(r.usageLimit)}`)))
      : empty("This customer advocates no referral code.")));
}
