// Analytics: the figures of one campaign per period (its Analytics tab), and an overview of all
// campaigns of the application. Periods are the server's, in UTC, so the range is chosen in UTC
// days too: the first and the last day both count. What the user chose stays in the location's
// query, so a reload or a shared link shows the same figures.

import { ApiError, api } from "./api.js";
import { barChart, chartLegend, lineChart } from "./chart.js";
import { badge, debounce, empty, formatMoney, formatNumber, h, panel, replace } from "./dom.js";
import { current, setQuery } from "./router.js";
import { currency, state } from "./state.js";

const GRANULARITIES = [
  ["1 hour", "Hour", "hour"],
  ["1 day", "Day", "day"],
  ["1 week", "Week", "week"],
  ["1 month", "Month", "month"],
  ["1 year", "Year", "year"],
];
const DEFAULT_GRANULARITY = "1 day";

/** Range choices: query value, label, days (0: the dates typed). */
const RANGES = [
  ["7d", "Last 7 days", 7],
  ["30d", "Last 30 days", 30],
  ["90d", "Last 90 days", 90],
  ["365d", "Last 12 months", 365],
  ["custom", "Custom dates", 0],
];
const DEFAULT_RANGE = "30d";

/** At most this many running campaigns are summed in the overview's daily chart. */
const SUMMED_CAMPAIGNS = 20;
/** Bars in the overview's per-campaign charts. */
const TOP = 10;

const STATES = ["running", "scheduled", "expired", "disabled", "archived"];

// ------------------------------------------------------------------ numbers and days

const num = (value) => {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
};

const money = (value) => formatMoney(value, currency());

const wholeMoney = new Map();
/** Tick labels for money: whole amounts without cents (`€200`), others as usual. */
function moneyTick(value) {
  const code = currency();
  if (!wholeMoney.has(code)) {
    try {
      wholeMoney.set(code, new Intl.NumberFormat(undefined, { style: "currency", currency: code, minimumFractionDigits: 0, maximumFractionDigits: 0 }));
    } catch {
      wholeMoney.set(code, null);
    }
  }
  const whole = wholeMoney.get(code);
  return whole && Number.isInteger(value) ? whole.format(value) : money(value);
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const dayOf = (date) => date.toISOString().slice(0, 10);
const parseDay = (day) => new Date(`${day}T00:00:00Z`);
const validDay = (value) => typeof value === "string" && DAY.test(value) && !Number.isNaN(parseDay(value).getTime());

function addDays(day, count) {
  const d = parseDay(day);
  d.setUTCDate(d.getUTCDate() + count);
  return dayOf(d);
}

const rangeDays = (range) => RANGES.find(([value]) => value === range)?.[2] || 0;

/** The last `days` UTC days, today included. */
function lastDays(days) {
  const to = dayOf(new Date());
  return { from: addDays(to, -(days - 1)), to };
}

/** How periods are named: under a bar (`short`) and in tooltips and tables (`long`). */
const utc = (options) => new Intl.DateTimeFormat(undefined, { timeZone: "UTC", ...options });
const PERIOD_FORMATS = {
  "1 hour": [utc({ hour: "2-digit", minute: "2-digit" }), utc({ dateStyle: "medium", timeStyle: "short" }), " UTC"],
  "1 day": [utc({ month: "short", day: "numeric" }), utc({ weekday: "short", year: "numeric", month: "short", day: "numeric" }), ""],
  "1 week": [utc({ month: "short", day: "numeric" }), utc({ year: "numeric", month: "short", day: "numeric" }), ""],
  "1 month": [utc({ month: "short", year: "numeric" }), utc({ month: "long", year: "numeric" }), ""],
  "1 year": [utc({ year: "numeric" }), utc({ year: "numeric" }), ""],
};

function periodLabels(date, granularity) {
  const d = new Date(date);
  if (Number.isNaN(d.getTime())) return { short: String(date ?? ""), long: String(date ?? "") };
  const [short, long, suffix] = PERIOD_FORMATS[granularity] || PERIOD_FORMATS[DEFAULT_GRANULARITY];
  const text = long.format(d) + suffix;
  // An hour's label is its time, but midnight's is the day it begins.
  const first = granularity === "1 hour" && d.getUTCHours() === 0 ? PERIOD_FORMATS["1 day"][0] : short;
  return { short: first.format(d), long: granularity === "1 week" ? `Week of ${text}` : text };
}

/** Label intervals that read well: whole days of hours. */
const LABEL_STEPS = { "1 hour": [1, 2, 3, 6, 12, 24, 48, 72, 96, 120, 144, 168, 336, 504, 672] };

const noun = (granularity) => GRANULARITIES.find(([value]) => value === granularity)?.[2] || "day";

// ------------------------------------------------------------------ the range choice

/** The choice a query names (`range`, `from`, `to`, `granularity`), or the defaults. */
function readChoice(query = {}) {
  let range = query.range;
  let { from, to } = query;
  if (!range && validDay(from) && validDay(to)) range = "custom";
  if (range === "custom" && !(validDay(from) && validDay(to))) range = DEFAULT_RANGE;
  if (range !== "custom" && !rangeDays(range)) range = DEFAULT_RANGE;
  if (range !== "custom") ({ from, to } = lastDays(rangeDays(range)));
  const granularity = GRANULARITIES.some(([value]) => value === query.granularity) ? query.granularity : DEFAULT_GRANULARITY;
  return { range, from, to, granularity };
}

/** The query members for `choice`: nothing for the defaults, dates only when typed. */
function choiceQuery(choice, withGranularity) {
  const custom = choice.range === "custom";
  return {
    range: custom || choice.range === DEFAULT_RANGE ? null : choice.range,
    from: custom ? choice.from : null,
    to: custom ? choice.to : null,
    granularity: withGranularity && choice.granularity !== DEFAULT_GRANULARITY ? choice.granularity : null,
  };
}

/** What is wrong with a choice before asking the server, or null. */
function checkChoice(choice) {
  if (!validDay(choice.from)) return { text: "Choose the first day of the range.", fields: ["from"] };
  if (!validDay(choice.to)) return { text: "Choose the last day of the range.", fields: ["to"] };
  if (choice.from > choice.to) return { text: "The last day cannot be before the first day.", fields: ["to"] };
  return null;
}

/** The API's query for a choice: from the start of the first day to the end of the last (UTC). */
function rangeParameters(choice, granularity = choice.granularity) {
  return { rangeStart: `${choice.from}T00:00:00Z`, rangeEnd: `${addDays(choice.to, 1)}T00:00:00Z`, granularity };
}

const sentence = (text) => {
  const s = String(text || "").trim();
  if (!s) return s;
  return s[0].toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? "" : ".");
};

/** A 400 about the range or the granularity (more than 1,000 periods): its text and the fields it is about. */
function rangeProblem(error) {
  if (!(error instanceof ApiError) || error.status !== 400) return null;
  const about = { granularity: "granularity", rangeStart: "from", rangeEnd: "to" };
  const items = error.errors.filter((e) => about[e.source?.parameter]);
  if (!items.length) return null;
  return {
    text: items.map((e) => sentence(e.details || e.title || error.message)).join(" "),
    fields: items.map((e) => about[e.source.parameter]),
  };
}

let controlSerial = 0;

/**
 * The pickers: a range (preset or dates) and, if asked, a granularity. `onchange(choice)` runs
 * when the user changes something; `showError(text, fields)` puts a message next to them.
 */
function rangeControls({ choice, withGranularity, onchange }) {
  const prefix = `analytics-${++controlSerial}`;
  const errorId = `${prefix}-error`;
  const range = h("select", { id: `${prefix}-range` }, RANGES.map(([value, label]) => h("option", { value }, label)));
  range.value = choice.range;
  const from = h("input", { type: "date", id: `${prefix}-from`, value: choice.from, required: true });
  const to = h("input", { type: "date", id: `${prefix}-to`, value: choice.to, required: true });
  const granularity = withGranularity
    ? h("select", { id: `${prefix}-granularity` }, GRANULARITIES.map(([value, label]) => h("option", { value }, label)))
    : null;
  if (granularity) granularity.value = choice.granularity;
  const status = h("span", { class: "analytics-status loading", role: "status" });
  const error = h("p", { class: "field-error analytics-error", id: errorId, role: "alert", hidden: true });
  const inputs = { from, to, granularity: granularity || from };

  const read = () => ({ range: range.value, from: from.value, to: to.value, granularity: granularity ? granularity.value : DEFAULT_GRANULARITY });
  const changed = () => onchange(read());
  const typed = debounce(changed, 450);

  range.addEventListener("change", () => {
    const days = rangeDays(range.value);
    if (days) {
      const last = lastDays(days);
      from.value = last.from;
      to.value = last.to;
    }
    changed();
  });
  for (const input of [from, to]) {
    input.addEventListener("change", () => {
      range.value = "custom";
      typed();
    });
  }
  granularity?.addEventListener("change", changed);

  const field = (input, label) => h("div", { class: "field" }, h("label", { for: input.id }, label), input);
  const element = h("form", { class: "filters analytics-filters", "aria-label": "Range", onsubmit: (e) => {
    e.preventDefault();
    changed();
  } },
  field(range, "Range"),
  field(from, "From"),
  field(to, "To"),
  granularity ? field(granularity, "Granularity") : null,
  status,
  error,
  h("p", { class: "help analytics-help" }, "Days are in UTC; the first and the last day both count."));

  return {
    element,
    read,
    busy(on) {
      status.textContent = on ? "Loading…" : "";
    },
    showError(text, fields = []) {
      this.clearError();
      error.textContent = text;
      error.hidden = false;
      for (const name of fields) {
        inputs[name]?.setAttribute("aria-invalid", "true");
        inputs[name]?.setAttribute("aria-describedby", errorId);
      }
    },
    clearError() {
      error.hidden = true;
      error.textContent = "";
      for (const input of [from, to, granularity]) {
        input?.removeAttribute("aria-invalid");
        input?.removeAttribute("aria-describedby");
      }
    },
  };
}

/** Keeps `members` in the location's query, leaving the other members as they are. */
function remember(members) {
  const query = { ...current().query };
  for (const [name, value] of Object.entries(members)) {
    if (value === null || value === undefined || value === "") delete query[name];
    else query[name] = value;
  }
  setQuery(query);
}

// ------------------------------------------------------------------ pieces

function card(label, value, note) {
  return h("div", { class: "card" },
    h("div", { class: "label" }, label),
    h("div", { class: "value" }, value),
    note ? h("div", { class: "note" }, note) : null);
}

function failure(error) {
  return h("div", { class: "form-error", role: "alert" }, error?.message || String(error));
}

function loading() {
  return h("p", { class: "loading" }, "Loading…");
}

/** A `<details>` with a plain table: `columns` [[heading, (row) => cell, numeric]], `foot` cells. */
function numbersTable(summary, caption, columns, rows, foot) {
  return h("details", { class: "analytics-numbers" },
    h("summary", {}, summary),
    h("div", { class: "table-wrap" },
      h("table", {},
        h("caption", { class: "sr-only" }, caption),
        h("thead", {}, h("tr", {}, columns.map(([heading, , numeric], i) => h("th", { scope: "col", class: numeric ? "num" : null }, heading || (i ? "" : "Period"))))),
        h("tbody", {}, rows.map((row) => h("tr", {}, columns.map(([, cell, numeric], i) => (i === 0
          ? h("th", { scope: "row" }, cell(row))
          : h("td", { class: numeric ? "num" : null }, cell(row))))))),
        foot ? h("tfoot", {}, h("tr", {}, foot.map((text, i) => (i === 0 ? h("th", { scope: "row" }, text) : h("td", { class: "num" }, text))))) : null)));
}

// ------------------------------------------------------------------ one campaign

/** The rows of a campaign's analytics answer, in numbers. */
function campaignRows(data, granularity) {
  return data.map((d) => {
    const coupons = num(d.couponRedemptions);
    const referrals = num(d.referralRedemptions);
    const labels = periodLabels(d.date, granularity);
    return {
      date: d.date,
      short: labels.short,
      long: labels.long,
      coupons,
      referrals,
      redemptions: coupons + referrals,
      total: num(d.totalCouponRedemptions) + num(d.totalReferralRedemptions),
      rollbacks: num(d.couponRolledbackRedemptions),
      cost: num(d.campaignDiscountCosts),
      revenue: num(d.campaignRevenue),
      freeItems: num(d.campaignFreeItems),
      couponsCreated: num(d.couponsCreated),
      referralsCreated: num(d.referralsCreated),
    };
  });
}

const sum = (rows, key) => rows.reduce((total, row) => total + row[key], 0);

function campaignFigures(data, choice) {
  const per = noun(choice.granularity);
  const rows = campaignRows(data, choice.granularity);
  const points = (key) => rows.map((r) => ({ label: r.short, title: r.long, value: r[key] }));
  const labelSteps = LABEL_STEPS[choice.granularity];
  const totals = {
    coupons: sum(rows, "coupons"),
    referrals: sum(rows, "referrals"),
    rollbacks: sum(rows, "rollbacks"),
    cost: sum(rows, "cost"),
    revenue: sum(rows, "revenue"),
  };
  const redemptions = totals.coupons + totals.referrals;
  return h("div", {},
    h("section", { class: "cards", "aria-label": "Totals for the range" },
      card("Redemptions", formatNumber(redemptions), `${formatNumber(totals.coupons)} coupon · ${formatNumber(totals.referrals)} referral`),
      card("Discount cost", money(totals.cost), "Discounts given"),
      card("Revenue", money(totals.revenue), "Sales the campaign took part in"),
      card("Rollbacks", formatNumber(totals.rollbacks), "Coupon redemptions given back")),
    panel(`Redemptions per ${per}`, null,
      barChart({ points: points("redemptions"), format: formatNumber, title: `Redemptions per ${per}`, labelSteps })),
    panel(`Discount cost and revenue per ${per}`, null,
      chartLegend(["Discount cost", "Revenue"]),
      lineChart({
        series: [{ name: "Discount cost", points: points("cost") }, { name: "Revenue", points: points("revenue") }],
        format: money,
        tickFormat: moneyTick,
        title: `Discount cost and revenue per ${per}`,
        labelSteps,
      })),
    panel("Cumulative redemptions", null,
      h("p", { class: "help analytics-note" }, `Coupon and referral redemptions since the campaign began, at the end of each ${per}.`),
      lineChart({ series: [{ name: "Redemptions", points: points("total") }], format: formatNumber, title: "Cumulative redemptions", labelSteps })),
    numbersTable(`The numbers per ${per} (${formatNumber(rows.length)} ${rows.length === 1 ? "row" : "rows"})`,
      `Campaign figures per ${per}`,
      [
        ["Period", (r) => r.long],
        ["Coupon redemptions", (r) => formatNumber(r.coupons), true],
        ["Referral redemptions", (r) => formatNumber(r.referrals), true],
        ["Rollbacks", (r) => formatNumber(r.rollbacks), true],
        ["Discount cost", (r) => money(r.cost), true],
        ["Revenue", (r) => money(r.revenue), true],
        ["Free items", (r) => formatNumber(r.freeItems), true],
        ["Coupons created", (r) => formatNumber(r.couponsCreated), true],
        ["Referrals created", (r) => formatNumber(r.referralsCreated), true],
        ["Redemptions so far", (r) => formatNumber(r.total), true],
      ],
      rows,
      rows.length
        ? ["Range", formatNumber(totals.coupons), formatNumber(totals.referrals), formatNumber(totals.rollbacks),
          money(totals.cost), money(totals.revenue), formatNumber(sum(rows, "freeItems")),
          formatNumber(sum(rows, "couponsCreated")), formatNumber(sum(rows, "referralsCreated")), formatNumber(rows[rows.length - 1].total)]
        : null));
}

/**
 * What both range pickers do when their choice changes: check it (what is wrong shows next to
 * its field), keep a changed choice in the location's query, and run `fetch` with the results
 * marked busy. An answer overtaken by a newer choice is dropped: `fetch` asks `stale()`.
 */
function rangeLoader(results, perCampaign, fetch) {
  let ticket = 0;
  return async (controls, choice, changed) => {
    const mine = ++ticket;
    const problem = checkChoice(choice);
    if (problem) {
      controls.showError(problem.text, problem.fields);
      return;
    }
    controls.clearError();
    if (changed) remember(choiceQuery(choice, perCampaign));
    controls.busy(true);
    results.setAttribute("aria-busy", "true");
    try {
      await fetch(choice, () => mine !== ticket);
    } finally {
      if (mine === ticket) {
        controls.busy(false);
        results.removeAttribute("aria-busy");
      }
    }
  };
}

/**
 * The Analytics tab of `campaign` ({id, applicationId?}): range and granularity pickers, totals
 * for the range, redemptions, discount cost and revenue per period, cumulative redemptions and
 * a table of the numbers. The choice is read from, and kept in, the location's query.
 */
export async function campaignAnalytics(campaign) {
  const appId = campaign.applicationId ?? state.application?.id ?? 0;
  const path = `/v1/applications/${appId}/campaigns/${campaign.id}/analytics`;
  const results = h("div", { class: "analytics-results" }, loading());
  const load = rangeLoader(results, true, async (choice, stale) => {
    try {
      const page = await api.get(path, rangeParameters(choice));
      if (stale()) return;
      replace(results, campaignFigures(page?.data || [], choice));
    } catch (error) {
      if (stale()) return;
      const range = rangeProblem(error);
      if (range) {
        controls.showError(range.text, range.fields);
        replace(results, empty("Choose a shorter range or a coarser granularity to see the figures."));
      } else {
        replace(results, failure(error));
      }
    }
  });

  const choice = readChoice(current().query);
  const controls = rangeControls({ choice, withGranularity: true, onchange: (c) => load(controls, c, true) });
  load(controls, choice, false);
  return h("div", { class: "analytics" }, controls.element, results);
}

// ------------------------------------------------------------------ all campaigns

function campaignSummary(c) {
  const coupons = num(c.couponRedemptionCount);
  const referrals = num(c.referralRedemptionCount);
  return {
    id: c.id,
    name: String(c.name ?? `Campaign ${c.id}`),
    state: String(c.frontendState || c.state || ""),
    coupons,
    referrals,
    redemptions: coupons + referrals,
    cost: num(c.discountCount),
    discounts: num(c.discountEffectCount),
    created: num(c.couponCreationCount),
  };
}

const SORTS = {
  name: (a, b) => a.name.localeCompare(b.name),
  state: (a, b) => STATES.indexOf(a.state) - STATES.indexOf(b.state) || a.name.localeCompare(b.name),
  redemptions: (a, b) => a.redemptions - b.redemptions || a.name.localeCompare(b.name),
  created: (a, b) => a.created - b.created || a.name.localeCompare(b.name),
  cost: (a, b) => a.cost - b.cost || a.name.localeCompare(b.name),
};
const DEFAULT_SORT = "-redemptions";

function readSort(value) {
  const key = String(value || DEFAULT_SORT).replace(/^-/, "");
  return SORTS[key] ? { key, descending: String(value || DEFAULT_SORT).startsWith("-") } : { key: "redemptions", descending: true };
}

function topBars(campaigns, key, format, title, emptyText) {
  const top = campaigns.filter((c) => c[key] > 0).sort((a, b) => b[key] - a[key] || a.name.localeCompare(b.name)).slice(0, TOP);
  return barChart({
    points: top.map((c) => ({ label: c.name, value: c[key] })),
    format,
    title,
    horizontal: true,
    emptyText,
  });
}

/** The daily redemptions of the running campaigns, summed. */
function rangeSection(appId, campaigns, query) {
  const running = campaigns.filter((c) => c.state === "running").sort((a, b) => b.redemptions - a.redemptions || a.name.localeCompare(b.name));
  const chosen = running.slice(0, SUMMED_CAMPAIGNS);
  const results = h("div", { class: "analytics-results" }, loading());
  const load = rangeLoader(results, false, async (choice, stale) => {
    if (!chosen.length) {
      replace(results, empty("No campaign is running right now, so there is nothing to add up."));
      return;
    }
    try {
      const parameters = rangeParameters(choice, "1 day");
      const answers = await Promise.allSettled(chosen.map((c) => api.get(`/v1/applications/${appId}/campaigns/${c.id}/analytics`, parameters)));
      if (stale()) return;
      const failed = answers.filter((a) => a.status === "rejected").map((a) => a.reason);
      const range = failed.map(rangeProblem).find(Boolean);
      if (range) {
        controls.showError(`${range.text} This chart counts days: choose a shorter range.`, range.fields);
        replace(results, empty("Choose a shorter range to see the daily figures."));
        return;
      }
      if (failed.length === answers.length) {
        replace(results, failure(failed[0]));
        return;
      }
      const days = new Map();
      for (const answer of answers) {
        if (answer.status !== "fulfilled") continue;
        for (const row of campaignRows(answer.value?.data || [], "1 day")) {
          const day = days.get(row.date) || { ...row, redemptions: 0, rollbacks: 0, cost: 0, coupons: 0, referrals: 0 };
          day.redemptions += row.redemptions;
          day.coupons += row.coupons;
          day.referrals += row.referrals;
          day.rollbacks += row.rollbacks;
          day.cost += row.cost;
          days.set(row.date, day);
        }
      }
      const rows = [...days.values()].sort((a, b) => new Date(a.date) - new Date(b.date));
      const redemptions = sum(rows, "redemptions");
      const which = running.length > chosen.length
        ? `Summed over the ${chosen.length} running campaigns with the most redemptions (of ${running.length} running).`
        : `Summed over ${chosen.length === 1 ? "the running campaign" : `the ${chosen.length} running campaigns`}.`;
      replace(results,
        h("section", { class: "cards", "aria-label": "Totals of the running campaigns for the range" },
          card("Redemptions", formatNumber(redemptions), `${formatNumber(sum(rows, "coupons"))} coupon · ${formatNumber(sum(rows, "referrals"))} referral`),
          card("Discount cost", money(sum(rows, "cost")), "Discounts given"),
          card("Rollbacks", formatNumber(sum(rows, "rollbacks")), "Coupon redemptions given back")),
        h("p", { class: "help analytics-note" }, which),
        failed.length
          ? h("p", { class: "form-error" }, `${failed.length} of ${answers.length} campaigns could not be added: ${failed[0]?.message || failed[0]}`)
          : null,
        lineChart({
          series: [{ name: "Redemptions", points: rows.map((r) => ({ label: r.short, title: r.long, value: r.redemptions })) }],
          format: formatNumber,
          title: "Redemptions per day of the running campaigns",
        }),
        numbersTable(`The numbers per day (${formatNumber(rows.length)} ${rows.length === 1 ? "row" : "rows"})`,
          "Redemptions per day of the running campaigns",
          [
            ["Day", (r) => r.long],
            ["Redemptions", (r) => formatNumber(r.redemptions), true],
            ["Rollbacks", (r) => formatNumber(r.rollbacks), true],
            ["Discount cost", (r) => money(r.cost), true],
          ],
          rows,
          rows.length ? ["Range", formatNumber(redemptions), formatNumber(sum(rows, "rollbacks")), money(sum(rows, "cost"))] : null));
    } catch (error) {
      if (!stale()) replace(results, failure(error));
    }
  });

  const choice = readChoice(query);
  const controls = rangeControls({ choice, withGranularity: false, onchange: (c) => load(controls, c, true) });
  load(controls, choice, false);
  return panel("Redemptions per day of the running campaigns", null, controls.element, results);
}

/** The table of campaigns, with a state filter, a search and sortable columns. */
function campaignTable(appId, campaigns, query) {
  const prefs = {
    state: STATES.includes(query.state) ? query.state : "",
    q: query.q || "",
    sort: readSort(query.sort),
  };
  const stateSelect = h("select", { id: "analytics-state" },
    h("option", { value: "" }, "All states"),
    STATES.map((s) => h("option", { value: s }, s[0].toUpperCase() + s.slice(1))));
  stateSelect.value = prefs.state;
  const search = h("input", { type: "search", id: "analytics-search", value: prefs.q, placeholder: "Campaign name", autocomplete: "off" });
  const count = h("span", { class: "analytics-status", role: "status" });
  const holder = h("div", { class: "table-wrap" });

  const save = () => remember({
    state: prefs.state || null,
    q: prefs.q || null,
    sort: prefs.sort.key === "redemptions" && prefs.sort.descending ? null : `${prefs.sort.descending ? "-" : ""}${prefs.sort.key}`,
  });

  function header(label, key, numeric) {
    const active = prefs.sort.key === key;
    const sortState = active ? (prefs.sort.descending ? "descending" : "ascending") : undefined;
    return h("th", { scope: "col", class: numeric ? "num" : null, "aria-sort": sortState },
      h("button", { type: "button", class: "link sort", onclick: () => {
        prefs.sort = { key, descending: active ? !prefs.sort.descending : numeric };
        save();
        draw();
        holder.querySelector(`button[data-key="${key}"]`)?.focus();
      }, dataset: { key } }, label, h("span", { class: "sort-mark", "aria-hidden": "true" }, active ? (prefs.sort.descending ? " ▼" : " ▲") : "")));
  }

  function draw() {
    const needle = prefs.q.trim().toLowerCase();
    const shown = campaigns
      .filter((c) => !prefs.state || c.state === prefs.state)
      .filter((c) => !needle || c.name.toLowerCase().includes(needle))
      .sort((a, b) => (prefs.sort.descending ? -1 : 1) * SORTS[prefs.sort.key](a, b));
    count.textContent = `${formatNumber(shown.length)} of ${formatNumber(campaigns.length)} campaigns`;
    if (!shown.length) {
      replace(holder, empty("No campaign matches these filters."));
      return;
    }
    replace(holder, h("table", {},
      h("caption", { class: "sr-only" }, "Campaigns with their redemptions and discount cost (all time)"),
      h("thead", {}, h("tr", {},
        header("Campaign", "name", false),
        header("State", "state", false),
        header("Redemptions", "redemptions", true),
        header("Coupons created", "created", true),
        header("Discount cost", "cost", true))),
      h("tbody", {}, shown.map((c) => h("tr", {},
        h("th", { scope: "row" }, h("a", { href: `#/apps/${appId}/campaigns/${c.id}/analytics` }, c.name)),
        h("td", {}, c.state ? badge(c.state) : "—"),
        h("td", { class: "num" }, formatNumber(c.redemptions)),
        h("td", { class: "num" }, formatNumber(c.created)),
        h("td", { class: "num" }, money(c.cost))))),
      shown.length > 1
        ? h("tfoot", {}, h("tr", {},
          h("th", { scope: "row" }, "Total"),
          h("td", {}),
          h("td", { class: "num" }, formatNumber(sum(shown, "redemptions"))),
          h("td", { class: "num" }, formatNumber(sum(shown, "created"))),
          h("td", { class: "num" }, money(sum(shown, "cost")))))
        : null));
  }

  stateSelect.addEventListener("change", () => {
    prefs.state = stateSelect.value;
    save();
    draw();
  });
  const typed = debounce(() => {
    prefs.q = search.value;
    save();
    draw();
  }, 200);
  search.addEventListener("input", typed);

  draw();
  return panel("Campaigns", null,
    h("form", { class: "filters", role: "search", "aria-label": "Campaigns", onsubmit: (e) => e.preventDefault() },
      h("div", { class: "field" }, h("label", { for: search.id }, "Search"), search),
      h("div", { class: "field" }, h("label", { for: stateSelect.id }, "State"), stateSelect),
      count),
    holder);
}

async function overview(params, query) {
  const appId = params.app;
  const head = h("div", { class: "page-head" },
    h("div", {},
      h("h1", {}, "Analytics"),
      h("p", { class: "subtitle" }, `Redemptions and discounts of the campaigns in ${state.application?.name || "this application"}.`)));
  let campaigns;
  try {
    const page = await api.get(`/v1/applications/${appId}/campaigns`, { pageSize: 1000 });
    campaigns = (page?.data || []).map(campaignSummary);
  } catch (error) {
    return h("div", { class: "analytics" }, head, failure(error));
  }
  if (!campaigns.length) {
    return h("div", { class: "analytics" }, head,
      empty("This application has no campaigns yet. Once campaigns redeem coupons and give discounts, their figures show here.",
        h("a", { href: `#/apps/${appId}/campaigns` }, "Go to the campaigns")));
  }
  const running = campaigns.filter((c) => c.state === "running").length;
  const coupons = sum(campaigns, "coupons");
  const referrals = sum(campaigns, "referrals");
  return h("div", { class: "analytics" },
    head,
    h("section", { class: "cards", "aria-label": "Totals of all campaigns, all time" },
      card("Campaigns", formatNumber(campaigns.length), `${formatNumber(running)} running`),
      card("Redemptions", formatNumber(coupons + referrals), `${formatNumber(coupons)} coupon · ${formatNumber(referrals)} referral · all time`),
      card("Discount cost", money(sum(campaigns, "cost")), `${formatNumber(sum(campaigns, "discounts"))} discounts · all time`),
      card("Coupons created", formatNumber(sum(campaigns, "created")), "All time")),
    rangeSection(appId, campaigns, query),
    panel(`Redemptions per campaign`, null,
      h("p", { class: "help analytics-note" }, `All time; the ${TOP} campaigns with the most.`),
      topBars(campaigns, "redemptions", formatNumber, "Redemptions per campaign, all time", "No campaign has redemptions yet")),
    panel(`Discount cost per campaign`, null,
      h("p", { class: "help analytics-note" }, `All time; the ${TOP} campaigns that gave the most.`),
      topBars(campaigns, "cost", money, "Discount cost per campaign, all time", "No campaign has given a discount yet")),
    campaignTable(appId, campaigns, query));
}

export function register(route) {
  route("/apps/:app/analytics", overview);
}
