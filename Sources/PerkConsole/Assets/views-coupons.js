// A campaign's coupons (generate with progress, list paged on the server, search and filter,
// export and import CSV, edit, disable, delete) and its referral codes.

import { api, request } from "./api.js";
import {
  badge, confirmDialog, debounce, download, empty, formatDate, formatNumber, formatTime, fromLocalInput, h, note, panel, toLocalInput, toast,
} from "./dom.js";
import { Form } from "./forms.js";
import { appApi, may } from "./state.js";

const PAGE = 50;
/** Coupons per request when generating: a large batch shows its progress. */
const CHUNK = 10000;

const characterSets = {
  "letters and digits": ["A-Z", "0-9"],
  letters: ["A-Z"],
  digits: ["0-9"],
  "letters without look-alikes": ["A-H", "J-N", "P-Z", "2-9"],
};

function usage(c) {
  const used = c.usageCounter || 0;
  if (!c.usageLimit) return `${formatNumber(used)} (no limit)`;
  return `${formatNumber(used)} of ${formatNumber(c.usageLimit)}`;
}

function validity(c) {
  const now = Date.now();
  if (c.expiryDate && new Date(c.expiryDate).getTime() <= now) return badge("expired", "expired");
  if (c.startDate && new Date(c.startDate).getTime() > now) return badge("scheduled", "scheduled");
  if (c.usageLimit && (c.usageCounter || 0) >= c.usageLimit) return badge("used up", "used");
  return badge("valid", "valid");
}

export async function couponsTab(campaign) {
  const base = appApi(`/campaigns/${campaign.id}/coupons`);
  // Reading and exporting take the read right; making and changing coupons the coupons right.
  const changing = may("coupons");
  const filters = { value: "", valid: "", usable: "", batchId: "", recipientIntegrationId: "" };
  let skip = 0;
  const table = h("div", { class: "table-wrap" }, h("p", { class: "loading" }, "Loading…"));
  const pager = h("div", { class: "pager" });
  const query = () => {
    const q = { sort: "-created" };
    for (const [k, v] of Object.entries(filters)) if (v) q[k] = v;
    return q;
  };
  const refresh = async () => {
    const page = await api.get(`${base}/no_total`, { ...query(), pageSize: PAGE, skip });
    const items = page.data || [];
    if (!items.length) {
      table.replaceChildren(empty(skip ? "No more coupons." : Object.values(filters).some(Boolean) ? "No coupon matches these filters." : changing ? "No coupons yet: generate some above." : "No coupons yet."));
    } else {
      table.replaceChildren(h("table", {},
        h("thead", {}, h("tr", {}, ["Code", "Status", "Used"].map((t) => h("th", {}, t)), h("th", {}, "Valid from"), h("th", {}, "Expires"), h("th", {}, "For"), h("th", {}, h("span", { class: "hidden" }, "Actions")))),
        h("tbody", {}, items.map((c) => h("tr", {},
          h("td", { class: "mono" }, c.value),
          h("td", {}, validity(c)),
          h("td", {}, usage(c)),
          h("td", {}, formatDate(c.startDate)),
          h("td", {}, formatDate(c.expiryDate)),
          h("td", {}, c.recipientIntegrationId || h("span", { class: "help" }, "anyone")),
          h("td", {}, !changing ? null : h("div", { class: "row-actions" },
            h("button", { type: "button", class: "small", "aria-label": `Edit ${c.value}`, onclick: () => edit(c) }, "Edit"),
            h("button", { type: "button", class: "small", "aria-label": `Disable ${c.value}`, disabled: c.expiryDate && new Date(c.expiryDate) <= new Date(), onclick: async () => {
              await api.put(`${base}/${c.id}`, { expiryDate: new Date().toISOString() });
              toast(`${c.value} can no longer be redeemed`, "ok");
              await refresh();
            } }, "Disable"),
            h("button", { type: "button", class: "small danger", "aria-label": `Delete ${c.value}`, onclick: async () => {
              if (!(await confirmDialog(`Delete the coupon ${c.value}?`))) return;
              await api.delete(`${base}/${c.id}`);
              toast(`${c.value} deleted`, "ok");
              await refresh();
            } }, "Delete"))))))));
    }
    table.dataset.renderedAt = String(performance.now());
    pager.replaceChildren(
      h("span", {}, items.length ? `${formatNumber(skip + 1)}–${formatNumber(skip + items.length)}` : ""),
      h("button", { type: "button", class: "small", disabled: skip === 0, onclick: () => { skip = Math.max(0, skip - PAGE); refresh(); } }, "Previous"),
      h("button", { type: "button", class: "small", disabled: !page.hasMore, onclick: () => { skip += PAGE; refresh(); } }, "Next"));
  };

  const edit = (c) => {
    const dialog = h("dialog", { "aria-labelledby": "edit-coupon-title" });
    const close = () => { dialog.close(); dialog.remove(); };
    const form = new Form({
      submitLabel: "Save",
      cancel: h("button", { type: "button", class: "secondary", onclick: close }, "Cancel"),
      onsubmit: async () => {
        let attributes = {};
        const text = attrs.read();
        if (typeof text === "string") throw { message: "Attributes must be a JSON object", errors: [{ details: "Write a JSON object, like {\"tier\": \"gold\"}.", source: { pointer: "/attributes" } }] };
        attributes = text;
        await api.put(`${base}/${c.id}`, {
          usageLimit: limit.read() ?? 0, startDate: fromLocalInput(start.read()), expiryDate: fromLocalInput(expiry.read()),
          recipientIntegrationId: recipient.read() || null, attributes,
        });
        close();
        toast(`${c.value} saved`, "ok");
        await refresh();
      },
    });
    const limit = form.field({ label: "Usage limit", pointer: "/usageLimit", type: "number", value: c.usageLimit, help: "0: no limit.", attrs: { min: 0 } });
    const start = form.field({ label: "Valid from", pointer: "/startDate", type: "datetime-local", value: toLocalInput(c.startDate) });
    const expiry = form.field({ label: "Expires", pointer: "/expiryDate", type: "datetime-local", value: toLocalInput(c.expiryDate) });
    const recipient = form.field({ label: "Only for the customer", pointer: "/recipientIntegrationId", value: c.recipientIntegrationId, help: "A customer's integration id; empty: anyone." });
    const attrs = form.field({ label: "Attributes", pointer: "/attributes", type: "json", value: c.attributes });
    form.add(limit, h("div", { class: "grid-2" }, start, expiry), recipient, attrs);
    dialog.append(h("h2", { id: "edit-coupon-title" }, `Coupon ${c.value}`), form.element);
    dialog.addEventListener("cancel", () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
    limit.input.focus();
  };

  // Generating.
  const progress = h("div", { class: "progress", hidden: true, role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-label": "Generating coupons" }, h("span", { style: "width: 0%" }));
  const progressText = h("p", { class: "help", "aria-live": "polite" });
  const generate = new Form({
    submitLabel: "Generate coupons",
    onsubmit: async () => {
      const total = count.read();
      if (!total || total < 1) throw { message: "How many?", errors: [{ details: "Give a number of coupons, 1 or more.", source: { pointer: "/numberOfCoupons" } }] };
      const spec = {
        couponPattern: pattern.read(), validCharacters: characterSets[characters.read()], uniquePrefix: prefix.read() || undefined,
        usageLimit: usageLimit.read() ?? 1, startDate: fromLocalInput(validFrom.read()) || undefined,
        expiryDate: fromLocalInput(expires.read()) || undefined, recipientIntegrationId: recipientField.read() || undefined,
      };
      const attributes = attributesField.read();
      if (typeof attributes === "string") throw { message: "Attributes must be a JSON object", errors: [{ details: "Write a JSON object, like {\"source\": \"newsletter\"}.", source: { pointer: "/attributes" } }] };
      if (Object.keys(attributes).length) spec.attributes = attributes;
      progress.hidden = false;
      let made = 0;
      const bar = progress.firstChild;
      try {
        while (made < total) {
          const n = Math.min(CHUNK, total - made);
          await api.post(base, { ...spec, numberOfCoupons: n });
          made += n;
          const share = Math.round((made / total) * 100);
          bar.style.width = `${share}%`;
          progress.setAttribute("aria-valuenow", String(share));
          progressText.textContent = `${formatNumber(made)} of ${formatNumber(total)} coupons made`;
        }
        toast(`${formatNumber(total)} coupons generated`, "ok");
        skip = 0;
        await refresh();
      } finally {
        setTimeout(() => { progress.hidden = true; }, 1500);
      }
    },
  });
  const count = generate.field({ label: "How many", pointer: "/numberOfCoupons", type: "number", value: 10, required: true, attrs: { min: 1, max: 1000000 } });
  const pattern = generate.field({ label: "Pattern", pointer: "/couponPattern", value: campaign.couponSettings?.couponPattern || "SALE-####-####", required: true, help: "# is a random character; everything else stays as written." });
  const characters = generate.field({ label: "Characters", pointer: "/validCharacters", type: "select", value: "letters and digits", options: Object.keys(characterSets).map((k) => [k, k]) });
  const prefix = generate.field({ label: "Prefix", pointer: "/uniquePrefix", placeholder: "optional" });
  const usageLimit = generate.field({ label: "Uses per coupon", pointer: "/usageLimit", type: "number", value: 1, help: "0: no limit.", attrs: { min: 0 } });
  const validFrom = generate.field({ label: "Valid from", pointer: "/startDate", type: "datetime-local" });
  const expires = generate.field({ label: "Expires", pointer: "/expiryDate", type: "datetime-local" });
  const recipientField = generate.field({ label: "Only for the customer", pointer: "/recipientIntegrationId", placeholder: "integration id (optional)" });
  const attributesField = generate.field({ label: "Attributes", pointer: "/attributes", type: "json", help: "Optional, a JSON object." });
  generate.add(h("div", { class: "grid-3" }, count, pattern, characters), h("div", { class: "grid-3" }, prefix, usageLimit, recipientField),
    h("div", { class: "grid-2" }, validFrom, expires), attributesField, progress, progressText);

  // Filters.
  const later = debounce(() => { skip = 0; refresh(); }, 250);
  const filter = (label, key, control) => {
    control.id = `coupon-filter-${key}`;
    control.addEventListener(control.tagName === "SELECT" ? "change" : "input", (e) => { filters[key] = e.target.value.trim(); later(); });
    return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
  };
  const filterBar = h("div", { class: "filters", role: "search" },
    filter("Code contains", "value", h("input", { type: "search", placeholder: "SALE-" })),
    filter("Validity", "valid", h("select", {}, [["", "Any"], ["validNow", "Valid now"], ["validFuture", "Not yet valid"], ["expired", "Expired"]].map(([v, t]) => h("option", { value: v }, t)))),
    filter("Use", "usable", h("select", {}, [["", "Any"], ["true", "Can still be used"], ["false", "Used up"]].map(([v, t]) => h("option", { value: v }, t)))),
    filter("Customer", "recipientIntegrationId", h("input", { type: "search", placeholder: "integration id" })),
    filter("Batch", "batchId", h("input", { type: "search", placeholder: "batch id" })));

  // Export and import.
  const exportButton = h("button", { type: "button", class: "secondary", onclick: async () => {
    exportButton.disabled = true;
    try {
      const q = { ...query(), campaignId: campaign.id };
      delete q.sort;
      const response = await request("GET", appApi("/export_coupons"), { query: q, raw: true, headers: { Accept: "text/csv" } });
      download(await response.blob(), `coupons-${campaign.id}.csv`);
      toast("Coupons exported", "ok");
    } finally {
      exportButton.disabled = false;
    }
  } }, "Export CSV");
  const fileInput = h("input", { type: "file", accept: ".csv,text/csv", id: `import-${campaign.id}`, class: "hidden", onchange: async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    const data = new FormData();
    data.append("upFile", file, file.name);
    try {
      const reply = await request("POST", appApi(`/campaigns/${campaign.id}/import_coupons`), { body: data });
      toast(`${formatNumber(reply.amount)} coupons imported`, "ok");
      skip = 0;
      await refresh();
    } catch (error) {
      toast(error.message, "error");
    } finally {
      fileInput.value = "";
    }
  } });
  const importButton = h("button", { type: "button", class: "secondary", onclick: () => fileInput.click(), title: "A CSV file with a value column (and optionally expirydate, startdate, recipientintegrationid, limitval, attributes)" }, "Import CSV");

  await refresh();
  return h("div", {},
    changing ? panel("Generate coupons", null, generate.element) : note("Your roles let you see and export these coupons; making or changing them needs the right to change coupons."),
    panel("Coupons", changing ? [exportButton, importButton, fileInput] : [exportButton], filterBar, table, pager));
}

export async function referralsTab(campaign) {
  const base = appApi(`/campaigns/${campaign.id}/referrals`);
  const filters = { code: "", valid: "", usable: "", advocate: "" };
  let skip = 0;
  const table = h("div", { class: "table-wrap" });
  const pager = h("div", { class: "pager" });
  const refresh = async () => {
    const q = {};
    for (const [k, v] of Object.entries(filters)) if (v) q[k] = v;
    const page = await api.get(`${base}/no_total`, { ...q, pageSize: PAGE, skip });
    const items = page.data || [];
    table.replaceChildren(items.length
      ? h("table", {},
        h("thead", {}, h("tr", {}, ["Code", "Advocate", "Friend", "Used", "Created", "Expires"].map((t) => h("th", {}, t)), h("th", {}, h("span", { class: "hidden" }, "Actions")))),
        h("tbody", {}, items.map((r) => h("tr", {},
          h("td", { class: "mono" }, r.code),
          h("td", {}, r.advocateProfileIntegrationId),
          h("td", {}, r.friendProfileIntegrationId || h("span", { class: "help" }, "anyone")),
          h("td", {}, usage(r)),
          h("td", {}, formatTime(r.created)),
          h("td", {}, formatDate(r.expiryDate)),
          h("td", {}, !may("coupons") ? null : h("div", { class: "row-actions" }, h("button", { type: "button", class: "small danger", "aria-label": `Delete ${r.code}`, onclick: async () => {
            if (!(await confirmDialog(`Delete the referral code ${r.code}?`))) return;
            await api.delete(`${base}/${r.id}`);
            toast(`${r.code} deleted`, "ok");
            await refresh();
          } }, "Delete")))))))
      : empty(campaign.features?.includes("referrals")
        ? "No referral codes yet. Shops create them for advocates through the Integration API (POST /v1/referrals)."
        : "This campaign does not use referral codes (turn the feature on in its settings)."));
    pager.replaceChildren(
      h("button", { type: "button", class: "small", disabled: skip === 0, onclick: () => { skip = Math.max(0, skip - PAGE); refresh(); } }, "Previous"),
      h("button", { type: "button", class: "small", disabled: !page.hasMore, onclick: () => { skip += PAGE; refresh(); } }, "Next"));
  };
  const later = debounce(() => { skip = 0; refresh(); }, 250);
  const input = (label, key, placeholder) => {
    const id = `referral-filter-${key}`;
    return h("div", { class: "field" }, h("label", { for: id }, label), h("input", { id, type: "search", placeholder, oninput: (e) => { filters[key] = e.target.value.trim(); later(); } }));
  };
  await refresh();
  return panel("Referral codes", null,
    h("div", { class: "filters", role: "search" }, input("Code contains", "code", "FRIEND-"), input("Advocate", "advocate", "integration id")),
    table, pager);
}
