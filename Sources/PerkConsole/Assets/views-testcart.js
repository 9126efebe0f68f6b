// The test cart: a cart, codes and a customer, and what the campaigns would give, through a dry
// run of the Integration API (`dry=true`: evaluated exactly as a real update, nothing stored).
// It uses a staging key of the application (good for dry runs only), made once per tab.

import { ApiError, api, request } from "./api.js";
import { badge, formatMoney, formatNumber, h, panel, replace } from "./dom.js";
import { Form } from "./forms.js";
import { appApi, currency, may, state } from "./state.js";

export function register(route) {
  route("/apps/:app/test-cart", testCart);
}

const KEY = (app) => `perk.staging-key.${app}`;

async function stagingKey(fresh = false) {
  const app = state.application.id;
  const kept = sessionStorage.getItem(KEY(app));
  if (kept && !fresh) return kept;
  const made = await api.post(appApi("/api_keys"), {
    title: "Console test cart", type: "staging", expires: new Date(Date.now() + 24 * 3600 * 1000).toISOString(),
  });
  sessionStorage.setItem(KEY(app), made.key);
  return made.key;
}

/** One dry run; a staging key that expired or was revoked is replaced once. */
export async function dryRun(body, { campaignIds } = {}) {
  const session = { ...body.customerSession };
  if (campaignIds) session.evaluableCampaignIds = campaignIds;
  const payload = { customerSession: session, responseContent: ["customerSession", "triggeredCampaigns", "ruleFailureReasons", "coupons"] };
  const id = `console-test-${Math.random().toString(36).slice(2, 10)}`;
  const send = async (key) => request("PUT", `/v2/customer_sessions/${encodeURIComponent(id)}`, { query: { dry: "true" }, body: payload, auth: `ApiKey-v1 ${key}` });
  try {
    return await send(await stagingKey());
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return send(await stagingKey(true));
    throw error;
  }
}

const reasons = {
  CouponNotFound: "does not exist",
  CouponPartOfNotRunningCampaign: "belongs to a campaign that is not running",
  CouponExpired: "has expired",
  CouponStartDateInFuture: "is not valid yet",
  CouponLimitReached: "has been used up",
  CouponRecipientDoesNotMatch: "belongs to another customer",
  CouponRejectedByCondition: "does not meet the campaign's conditions",
  CouponValidConditionMissing: "is not checked by any rule of its campaign",
  CampaignLimitReached: "reached the campaign's budget",
  ProfileLimitReached: "reached this customer's limit",
  EffectCouldNotBeApplied: "could not give its discount (budget used up)",
  ReferralNotFound: "does not exist",
  ReferralLimitReached: "has been used up",
  ReferralRecipientIdSameAsAdvocate: "belongs to this very customer",
  ReferralRejectedByCondition: "does not meet the campaign's conditions",
  ReferralExpired: "has expired",
};

/** An effect in plain words, and the amount it takes off (if any). */
export function describeEffect(effect, items) {
  const p = effect.props || {};
  const money = (v) => formatMoney(v, currency());
  switch (effect.effectType) {
    case "acceptCoupon": return { text: `Coupon ${p.value} accepted`, kind: "accepted" };
    case "rejectCoupon": return { text: `Coupon ${p.value} refused: it ${reasons[p.rejectionReason] || p.rejectionReason}`, kind: "rejected" };
    case "acceptReferral": return { text: `Referral code ${p.value} accepted`, kind: "accepted" };
    case "rejectReferral": return { text: `Referral code ${p.value} refused: it ${reasons[p.rejectionReason] || p.rejectionReason}`, kind: "rejected" };
    case "setDiscount": return { text: `Discount "${p.name}"`, amount: Number(p.value) };
    case "setDiscountPerItem": {
      const item = items[p.position];
      return { text: `Discount "${String(p.name).replace(/#\d+$/, "")}" on ${item ? item.name : `item ${p.position + 1}`}`, amount: Number(p.value) };
    }
    case "addFreeItem": return { text: `Free item: ${p.name} (${p.sku})` };
    case "showNotification": return { text: `Message to show: ${p.title}${p.body ? " — " + p.body : ""}` };
    case "couponCreated": return { text: `A coupon would be created for ${p.profileId || "the customer"}` };
    case "referralCreated": return { text: "A referral code would be created for the customer" };
    case "updateAttribute": return { text: `${p.path} would be set to ${JSON.stringify(p.value)}` };
    case "redeemReferral": return { text: `Referral code ${p.value} would be redeemed` };
    case "addLoyaltyPoints": return { text: `${formatNumber(p.value)} loyalty points for ${p.recipientIntegrationId}${p.subLedgerId ? ` (${p.subLedgerId})` : ""}, ${p.expiryCondition === "unlimited" ? "never expiring" : `valid ${p.expiryCondition}`}` };
    case "deductLoyaltyPoints": return { text: `${formatNumber(p.value)} loyalty points spent` };
    case "rollbackAddedLoyaltyPoints": return { text: `${formatNumber(p.value)} loyalty points taken back` };
    case "rollbackDeductedLoyaltyPoints": return { text: `${formatNumber(p.value)} loyalty points given back` };
    case "triggerWebhook": return { text: `Webhook "${p.webhookName}" called` };
    case "setDiscountPerAdditionalCost": return { text: `Discount "${p.name}" on ${p.additionalCost}`, amount: Number(p.value) };
    default: return { text: `${effect.effectType} ${JSON.stringify(p)}` };
  }
}

function itemRow(item = { name: "", sku: "", category: "", price: "", quantity: 1 }, rows, onchange) {
  const input = (key, label, attrs = {}) => h("input", { value: item[key] ?? "", "aria-label": label, placeholder: label, oninput: onchange, ...attrs });
  const row = h("tr", {},
    h("td", {}, input("name", "Name")),
    h("td", {}, input("sku", "SKU")),
    h("td", {}, input("category", "Category")),
    h("td", {}, input("price", "Price", { type: "number", step: "any", min: "0", class: "num" })),
    h("td", {}, input("quantity", "Quantity", { type: "number", min: "1", step: "1" })),
    h("td", {}, h("button", { type: "button", class: "small", "aria-label": "Remove item", onclick: () => { row.remove(); onchange(); } }, "Remove")));
  rows.append(row);
  return row;
}

async function testCart() {
  if (!may("campaigns") && !may("keys")) {
    // The dry run needs a staging key, which only those who change campaigns or keys may make.
    return h("div", { class: "empty" }, h("h1", {}, "Test cart"),
      h("p", {}, "Trying carts needs the right to change campaigns (or to manage API keys) in this application: ask an account admin."));
  }
  const campaigns = (await api.get(appApi("/campaigns"), { pageSize: 1000 })).data || [];
  const result = h("div", {}, h("p", { class: "help" }, "Fill the cart and press Run to see what the campaigns give."));
  const rows = h("tbody", {});
  const subtotal = h("span", {});
  const readItems = () => [...rows.children].map((tr) => {
    const [name, sku, category, price, quantity] = [...tr.querySelectorAll("input")].map((i) => i.value.trim());
    return { name, sku, category, price, quantity };
  }).filter((i) => i.name || i.sku);
  const updateSubtotal = () => {
    const total = readItems().reduce((s, i) => s + Number(i.price || 0) * Number(i.quantity || 0), 0);
    subtotal.textContent = formatMoney(total, currency());
  };
  for (const item of [{ name: "Running shoes", sku: "shoe-01", category: "shoes", price: 120, quantity: 1 }]) itemRow(item, rows, updateSubtotal);
  updateSubtotal();

  const picks = campaigns.map((c) => {
    const box = h("input", { type: "checkbox", id: `pick-${c.id}`, checked: c.frontendState === "running" });
    return { c, box };
  });

  const form = new Form({
    submitLabel: "Run",
    onsubmit: async () => {
      const items = readItems();
      const session = {
        profileId: profile.read().trim() || undefined,
        couponCodes: coupons.read(),
        referralCode: referral.read().trim() || undefined,
        cartItems: items.map((i) => ({ name: i.name || i.sku, sku: i.sku || i.name, category: i.category || undefined, price: Number(i.price || 0), quantity: Number(i.quantity || 1) })),
        attributes: Object.keys(attributes.read()).length ? attributes.read() : undefined,
      };
      if (typeof session.attributes === "string") throw { message: "Attributes must be a JSON object", errors: [{ details: "Write a JSON object.", source: { pointer: "/customerSession/attributes" } }] };
      const chosen = picks.filter((p) => p.box.checked).map((p) => p.c.id);
      const everyRunning = picks.every((p) => p.box.checked === (p.c.frontendState === "running"));
      const reply = await dryRun({ customerSession: session }, { campaignIds: everyRunning ? undefined : chosen });
      show(reply, session.cartItems);
    },
  });
  const profile = form.field({ label: "Customer (integration id)", pointer: "/customerSession/profileId", value: "test-customer", help: "An existing customer's stored attributes and history apply; empty: an anonymous cart." });
  const coupons = form.field({ label: "Coupon codes", pointer: "/customerSession/couponCodes", type: "tags", help: "Separated by commas." });
  const referral = form.field({ label: "Referral code", pointer: "/customerSession/referralCode" });
  const attributes = form.field({ label: "Session attributes", pointer: "/customerSession/attributes", type: "json", help: "Optional, a JSON object of declared attributes, e.g. {\"ShippingMethod\": \"express\"}." });
  const cartError = h("p", { class: "field-error", hidden: true });
  const cart = h("fieldset", {}, h("legend", {}, "Cart"),
    h("table", { class: "cart-table" }, h("thead", {}, h("tr", {}, ["Name", "SKU", "Category", "Price", "Quantity"].map((t) => h("th", {}, t)), h("th", {}, h("span", { class: "hidden" }, "Remove")))), rows),
    cartError,
    h("div", { class: "row-actions" }, h("span", { class: "help" }, "Subtotal ", subtotal),
      h("button", { type: "button", class: "small", onclick: () => { itemRow(undefined, rows, updateSubtotal).querySelector("input").focus(); } }, "+ Add item")));
  form.register("/customerSession/cartItems", cart, cartError);
  const campaignBox = h("fieldset", {}, h("legend", {}, "Campaigns to evaluate"),
    h("p", { class: "help" }, "Running campaigns are picked; pick disabled or scheduled ones to try them before they go live."),
    picks.length ? picks.map(({ c, box }) => h("div", { class: "field checkbox" }, box, h("label", { for: box.id }, c.name, " ", badge(c.frontendState || c.state)))) : h("p", { class: "help" }, "No campaigns yet."));
  form.add(cart, h("div", { class: "grid-2" }, profile, referral), coupons, attributes, campaignBox);

  const show = (reply, items) => {
    const effects = reply.effects || [];
    const described = effects.map((e) => ({ e, ...describeEffect(e, items) }));
    const discounts = described.reduce((s, d) => s + (d.amount || 0), 0);
    const total = Number(reply.customerSession?.total ?? items.reduce((s, i) => s + i.price * i.quantity, 0));
    const triggered = reply.triggeredCampaigns || [];
    const failures = reply.ruleFailureReasons || [];
    replace(result,
      effects.length
        ? h("ul", { class: "effects", "aria-label": "Effects" }, described.map((d) => h("li", {},
          d.kind ? badge(d.kind === "accepted" ? "✓" : "✗", d.kind) : null,
          h("span", { class: "what" }, d.text, d.e.campaignId > 0 ? h("span", { class: "help" }, ` · ${campaigns.find((c) => c.id === d.e.campaignId)?.name ?? "campaign " + d.e.campaignId}`) : null),
          d.amount ? h("span", { class: "amount" }, "−", formatMoney(d.amount, currency())) : null)))
        : h("p", { class: "help" }, "No campaign gives anything to this cart."),
      h("div", { class: "totals", "aria-label": "Totals" },
        h("span", {}, "Cart total"), h("span", { class: "num", "data-total": "cart" }, formatMoney(total, currency())),
        h("span", {}, "Discounts"), h("span", { class: "num", "data-total": "discounts" }, "−", formatMoney(discounts, currency())),
        h("span", { class: "final" }, "To pay"), h("span", { class: "final num", "data-total": "final" }, formatMoney(total - discounts, currency()))),
      triggered.length ? h("p", { class: "help" }, "Campaigns that gave something: ", triggered.map((c) => c.name).join(", ")) : null,
      failures.length
        ? h("div", { class: "form-error" }, h("strong", {}, "Rules that failed:"), h("ul", {}, failures.map((f) => h("li", {}, `${f.campaignName}, rule "${f.ruleName}": ${f.details}`))))
        : null,
      h("p", { class: "help" }, "A dry run: nothing was stored, no coupon was redeemed, no budget used."));
    result.dataset.renderedAt = String(performance.now());
    result.focus();
  };
  result.setAttribute("tabindex", "-1");
  result.setAttribute("aria-live", "polite");
  return h("div", {},
    h("h1", {}, "Test cart"),
    h("p", { class: "subtitle" }, "Try a cart against the campaigns without storing anything."),
    h("div", { class: "split" }, h("div", { class: "panel" }, form.element), panel("What the customer gets", null, result)));
}
