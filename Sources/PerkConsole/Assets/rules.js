// The rule builder's model: templates of conditions and effects in plain words, how each is
// written in Talang (Perk's JSON rule language), and how Talang the templates wrote is read back.
// Pure functions, no DOM: a rule the templates did not write exactly is not guessed at, it is
// left to the raw editor.
//
// A builder rule: {title, combinator: "and"|"or", conditions: [{kind, params}], effects: [{kind, params}]}.
// Its condition is always [combinator, c1, c2, ...] (`["and"]` with no argument is true, `["or"]` false).

const session = (...keys) => [".", "Session", ...keys];
const item = (key) => [".", "Item", key];
const NOW = ["now"];
const CART_ITEMS = session("CartItems");

export const BUILDER_VERSION = "perk-builder-1";

// ------------------------------------------------------------------ values and numbers

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const isString = (v) => typeof v === "string";
const isNumber = (v) => typeof v === "number" && Number.isFinite(v);
/** A number parameter: a finite number, or null while the input is empty. */
const isNumberParam = (v) => v === null || isNumber(v);
const NUMERIC = /^\s*-?(\d+\.?\d*|\.\d+)\s*$/;

/** The text parses as a number (`12`, `-3.5`): such values are written as JSON numbers. */
export function isNumeric(text) {
  return isString(text) && NUMERIC.test(text) && Number.isFinite(Number(text));
}

/** Deep equality of JSON values (object member order does not matter). */
export function deepEqual(a, b) {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * `value` × 10^places, computed on its decimal digits so that no binary rounding shows:
 * shift(15, -2) is exactly 0.15 and shift(0.15, 2) exactly 15.
 */
export function shiftDecimal(value, places) {
  if (!isNumber(value)) return null;
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(String(value));
  if (!m) return null;
  const [, sign, whole, fraction = "", e = "0"] = m;
  let digits = (whole + fraction).replace(/^0+(?=\d)/, "");
  const exponent = Number(e) - fraction.length + places;
  let text;
  if (exponent >= 0) {
    text = digits + "0".repeat(exponent);
  } else {
    digits = digits.padStart(-exponent + 1, "0");
    const point = digits.length + exponent;
    text = `${digits.slice(0, point)}.${digits.slice(point)}`.replace(/\.?0+$/, "");
  }
  const n = Number(sign + text);
  return Object.is(n, -0) ? 0 : n;
}

const percentToFactor = (p) => (p === null ? null : shiftDecimal(p, -2));
const factorToPercent = (f) => (f === null ? null : shiftDecimal(f, 2));

/** An attribute value as the templates write it: a number when it reads as one, else the text. */
const attributeValue = (text, asNumber) => (asNumber && isNumeric(text) ? Number(text) : text);

/** The text a parameter holds for an attribute value written as `v`, or undefined if the templates would not write `v`. */
function attributeText(v, asNumber) {
  if (isNumber(v)) return asNumber && isNumeric(String(v)) ? String(v) : undefined;
  if (isString(v)) return asNumber && isNumeric(v) ? undefined : v;
  return undefined;
}

const isTime = (v) => isObject(v) && Object.keys(v).length === 1 && isString(v.$time) && v.$time !== "";
const isCall = (v, name, count) => Array.isArray(v) && v[0] === name && (count === undefined || v.length === count + 1);

// ------------------------------------------------------------------ plain words

const quote = (s) => `“${s ?? ""}”`;
const blank = "…";
const plainNumber = (n) => (isNumber(n) ? String(n) : blank);
const defaultFormat = { money: plainNumber, number: plainNumber, time: (t) => (t ? String(t) : blank) };
const fmtOf = (fmt) => ({ ...defaultFormat, ...(fmt || {}) });
const text = (s) => (s === undefined || s === null || s === "" ? blank : quote(s));

/** "a, b or c". */
function list(words, last = "or") {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} ${last} ${words[words.length - 1]}`;
}

export const COMPARISONS = [
  ["=", "is"],
  ["!=", "is not"],
  [">", "is more than"],
  [">=", "is at least"],
  ["<", "is less than"],
  ["<=", "is at most"],
  ["contains", "contains"],
];
const ORDERINGS = new Set([">", ">=", "<", "<="]);
const OPS = new Set(COMPARISONS.map(([op]) => op));
const opWords = (op) => (COMPARISONS.find(([o]) => o === op) || [op, op])[1];

export const WEEKDAYS = [
  ["1", "Monday"],
  ["2", "Tuesday"],
  ["3", "Wednesday"],
  ["4", "Thursday"],
  ["5", "Friday"],
  ["6", "Saturday"],
  ["0", "Sunday"],
];
const DAYS = new Set(WEEKDAYS.map(([d]) => d));
const dayName = (d) => (WEEKDAYS.find(([v]) => v === d) || [d, d])[1];

const ITEM_FIELDS = [["Category", "category"], ["Sku", "SKU"]];
const EACH_ITEM_FIELDS = [["", "every item"], ["Category", "items of the category"], ["Sku", "items with the SKU"]];
const fieldWords = (field) => (field === "Sku" ? "SKU" : "category");

// ------------------------------------------------------------------ conditions

/** An attribute condition on `entity` ("Profile" or "Session"). */
function attributeCondition(kind, entity, label, whose) {
  return {
    kind,
    label,
    params: [
      { name: "name", label: "Attribute", type: "text", default: "", placeholder: "name" },
      { name: "op", label: "Comparison", type: "select", options: COMPARISONS, default: "=" },
      { name: "value", label: "Value", type: "text", default: "" },
    ],
    toTalang: ({ name, op, value }) => {
      const path = [".", entity, "Attributes", name];
      return op === "contains" ? ["contains", path, value] : [op, path, attributeValue(value, ORDERINGS.has(op))];
    },
    fromTalang(json) {
      if (!Array.isArray(json) || json.length !== 3 || !OPS.has(json[0])) return null;
      const [op, path, v] = json;
      if (!isCall(path, ".", 3) || path[1] !== entity || path[2] !== "Attributes" || !isString(path[3])) return null;
      const value = op === "contains" ? (isString(v) ? v : undefined) : attributeText(v, ORDERINGS.has(op));
      return value === undefined ? null : { name: path[3], op, value };
    },
    describe: ({ name, op, value }) =>
      `${whose} attribute ${text(name)} ${opWords(op)} ${ORDERINGS.has(op) && isNumeric(value) ? value : text(value)}`,
  };
}

export const conditionTemplates = [
  {
    kind: "cartTotalAtLeast",
    label: "Cart total is at least",
    params: [{ name: "amount", label: "Amount", type: "number", default: null, min: 0 }],
    toTalang: ({ amount }) => [">=", session("Total"), amount],
    fromTalang(json) {
      if (!isCall(json, ">=", 2) || !deepEqual(json[1], session("Total")) || !isNumberParam(json[2])) return null;
      return { amount: json[2] };
    },
    describe: ({ amount }, fmt) => `The cart total is at least ${fmtOf(fmt).money(amount)}`,
  },
  {
    kind: "itemCountAtLeast",
    label: "Number of items is at least",
    params: [{ name: "count", label: "Items", type: "number", default: null, min: 1, step: 1 }],
    toTalang: ({ count }) => [">=", ["sum", CART_ITEMS, "Item", item("Quantity")], count],
    fromTalang(json) {
      if (!isCall(json, ">=", 2) || !deepEqual(json[1], ["sum", CART_ITEMS, "Item", item("Quantity")])) return null;
      return isNumberParam(json[2]) ? { count: json[2] } : null;
    },
    describe: ({ count }, fmt) =>
      `The cart holds at least ${fmtOf(fmt).number(count)} item${count === 1 ? "" : "s"} (quantities counted)`,
  },
  {
    kind: "pointsAtLeast",
    label: "The customer has at least N loyalty points",
    params: [
      { name: "points", label: "Points", type: "number", default: null, min: 0 },
      { name: "program", label: "In the program (id)", type: "number", default: 1, min: 1, step: 1 },
    ],
    toTalang: ({ points, program }) => [">=", ["loyaltyBalance", program], points],
    fromTalang(json) {
      if (!isCall(json, ">=", 2) || !isCall(json[1], "loyaltyBalance", 1) || typeof json[1][1] !== "number") return null;
      return isNumberParam(json[2]) ? { points: json[2], program: json[1][1] } : null;
    },
    describe: ({ points, program }, fmt) =>
      `The customer has at least ${fmtOf(fmt).number(points)} points in loyalty program ${program}`,
  },
  {
    kind: "couponValid",
    label: "A valid coupon code is applied",
    params: [],
    toTalang: () => ["couponValid"],
    fromTalang: (json) => (isCall(json, "couponValid", 0) ? {} : null),
    describe: () => "The session has a valid coupon code of this campaign",
  },
  {
    kind: "referralValid",
    label: "A valid referral code is applied",
    params: [],
    toTalang: () => ["referralValid"],
    fromTalang: (json) => (isCall(json, "referralValid", 0) ? {} : null),
    describe: () => "The session has a valid referral code of this campaign",
  },
  {
    kind: "itemInCart",
    label: "The cart holds an item",
    params: [
      { name: "field", label: "Field", type: "select", options: ITEM_FIELDS, default: "Category" },
      { name: "value", label: "Value", type: "text", default: "" },
    ],
    toTalang: ({ field, value }) => ["exists", CART_ITEMS, "Item", ["=", item(field), value]],
    fromTalang(json) {
      if (!isCall(json, "exists", 3) || !deepEqual(json[1], CART_ITEMS) || json[2] !== "Item") return null;
      const body = json[3];
      if (!isCall(body, "=", 2) || !isCall(body[1], ".", 2) || body[1][1] !== "Item") return null;
      const field = body[1][2];
      if (!ITEM_FIELDS.some(([f]) => f === field) || !isString(body[2])) return null;
      return { field, value: body[2] };
    },
    describe: ({ field, value }) => `The cart holds an item whose ${fieldWords(field)} is ${text(value)}`,
  },
  attributeCondition("profileAttribute", "Profile", "Customer profile attribute", "The customer profile's"),
  attributeCondition("sessionAttribute", "Session", "Session attribute", "The session's"),
  {
    kind: "dateWindow",
    label: "Between dates",
    params: [
      { name: "from", label: "From", type: "date", optional: true, default: "" },
      { name: "to", label: "Until", type: "date", optional: true, default: "" },
    ],
    toTalang({ from, to }) {
      const bounds = [];
      if (from) bounds.push(["after", NOW, { $time: from }]);
      if (to) bounds.push(["before", NOW, { $time: to }]);
      return bounds.length === 1 ? bounds[0] : ["and", ...bounds];
    },
    fromTalang(json) {
      const bound = (b, name) => (isCall(b, name, 2) && deepEqual(b[1], NOW) && isTime(b[2]) ? b[2].$time : null);
      const after = bound(json, "after");
      if (after) return { from: after, to: "" };
      const before = bound(json, "before");
      if (before) return { from: "", to: before };
      if (isCall(json, "and", 0)) return { from: "", to: "" };
      if (isCall(json, "and", 2)) {
        const from = bound(json[1], "after");
        const to = bound(json[2], "before");
        if (from && to) return { from, to };
      }
      return null;
    },
    describe({ from, to }, fmt) {
      const f = fmtOf(fmt);
      if (from && to) return `It is after ${f.time(from)} and before ${f.time(to)}`;
      if (from) return `It is after ${f.time(from)}`;
      if (to) return `It is before ${f.time(to)}`;
      return "Any time (no dates given yet)";
    },
  },
  {
    kind: "weekdays",
    label: "On weekdays",
    params: [{ name: "days", label: "Days", type: "weekdays", options: WEEKDAYS, default: [] }],
    toTalang({ days }) {
      const tests = days.map((d) => ["=", ["weekday", NOW], d]);
      return tests.length === 1 ? tests[0] : ["or", ...tests];
    },
    fromTalang(json) {
      const day = (t) => (isCall(t, "=", 2) && deepEqual(t[1], ["weekday", NOW]) && DAYS.has(t[2]) ? t[2] : null);
      const one = day(json);
      if (one) return { days: [one] };
      if (!Array.isArray(json) || json[0] !== "or" || json.length === 2) return null;
      const days = json.slice(1).map(day);
      return days.every(Boolean) ? { days } : null;
    },
    describe: ({ days }) =>
      days.length ? `It is ${list(days.map(dayName))} (in the application's time zone)` : "On no day yet (pick the days)",
  },
];

// ------------------------------------------------------------------ effects

const discountName = (fallback) => ({ name: "name", label: "Discount name", type: "text", default: fallback });
const totalTimes = (factor) => ["*", session("Total"), factor];

/** The cart items a per-item effect acts on: all of them, or those whose `field` is `value`. */
function itemsOf(field, value) {
  return field ? ["filter", CART_ITEMS, [["Item"], ["=", item(field), value]]] : CART_ITEMS;
}

function readItems(json) {
  if (deepEqual(json, CART_ITEMS)) return { field: "", value: "" };
  if (!isCall(json, "filter", 2) || !deepEqual(json[1], CART_ITEMS)) return null;
  const lambda = json[2];
  if (!Array.isArray(lambda) || lambda.length !== 2 || !deepEqual(lambda[0], ["Item"])) return null;
  const body = lambda[1];
  if (!isCall(body, "=", 2) || !isCall(body[1], ".", 2) || body[1][1] !== "Item") return null;
  if (!ITEM_FIELDS.some(([f]) => f === body[1][2]) || !isString(body[2])) return null;
  return { field: body[1][2], value: body[2] };
}

/** `["map", items, "Item", ["setDiscountPerItem", name, amount, position]]` → {items, name, amount}. */
function readPerItem(json) {
  if (!isCall(json, "map", 3) || json[2] !== "Item") return null;
  const items = readItems(json[1]);
  const set = json[3];
  if (!items || !isCall(set, "setDiscountPerItem", 3) || !isString(set[1])) return null;
  if (!deepEqual(set[3], item("Position"))) return null;
  return { ...items, name: set[1], amount: set[2] };
}

const whichItems = ({ field, value }) => (field ? `each item whose ${fieldWords(field)} is ${text(value)}` : "every item");
const eachItemParams = (amountParam) => [
  amountParam,
  { name: "field", label: "Of", type: "select", options: EACH_ITEM_FIELDS, default: "" },
  { name: "value", label: "Value", type: "text", default: "", shownWhen: { field: ["Category", "Sku"] } },
  discountName("Item discount"),
];

export const effectTemplates = [
  {
    kind: "percentOff",
    label: "Percent off the cart",
    params: [
      { name: "percent", label: "Percent", type: "number", default: null, min: 0, max: 100 },
      { name: "cap", label: "At most", type: "number", optional: true, default: null, min: 0 },
      discountName("Discount"),
    ],
    toTalang({ percent, cap, name }) {
      const value = totalTimes(percentToFactor(percent));
      return ["setDiscount", name, cap === null || cap === undefined ? value : ["min", ["list", cap, value]]];
    },
    fromTalang(json) {
      if (!isCall(json, "setDiscount", 2) || !isString(json[1])) return null;
      let value = json[2];
      let cap = null;
      if (isCall(value, "min", 1) && isCall(value[1], "list", 2) && isNumber(value[1][1])) {
        cap = value[1][1];
        value = value[1][2];
      }
      if (!isCall(value, "*", 2) || !deepEqual(value[1], session("Total")) || !isNumberParam(value[2])) return null;
      return { percent: factorToPercent(value[2]), cap, name: json[1] };
    },
    describe: ({ percent, cap, name }, fmt) => {
      const f = fmtOf(fmt);
      const most = cap === null || cap === undefined ? "" : ` (at most ${f.money(cap)})`;
      return `Take ${f.number(percent)}% off the cart total${most}, as the discount ${text(name)}`;
    },
  },
  {
    kind: "amountOff",
    label: "Amount off the cart",
    params: [{ name: "amount", label: "Amount", type: "number", default: null, min: 0 }, discountName("Discount")],
    toTalang: ({ amount, name }) => ["setDiscount", name, amount],
    fromTalang(json) {
      if (!isCall(json, "setDiscount", 2) || !isString(json[1]) || !isNumberParam(json[2])) return null;
      return { amount: json[2], name: json[1] };
    },
    describe: ({ amount, name }, fmt) => `Take ${fmtOf(fmt).money(amount)} off the cart, as the discount ${text(name)}`,
  },
  {
    kind: "percentOffEachItem",
    label: "Percent off each item",
    params: eachItemParams({ name: "percent", label: "Percent", type: "number", default: null, min: 0, max: 100 }),
    toTalang: ({ percent, field, value, name }) => [
      "map", itemsOf(field, value), "Item",
      ["setDiscountPerItem", name, ["*", item("Price"), item("Quantity"), percentToFactor(percent)], item("Position")],
    ],
    fromTalang(json) {
      const p = readPerItem(json);
      if (!p) return null;
      const a = p.amount;
      if (!isCall(a, "*", 3) || !deepEqual(a[1], item("Price")) || !deepEqual(a[2], item("Quantity"))) return null;
      if (!isNumberParam(a[3])) return null;
      return { percent: factorToPercent(a[3]), field: p.field, value: p.value, name: p.name };
    },
    describe: (p, fmt) => `Take ${fmtOf(fmt).number(p.percent)}% off ${whichItems(p)}, as the discount ${text(p.name)}`,
  },
  {
    kind: "amountOffEachItem",
    label: "Amount off each item",
    params: eachItemParams({ name: "amount", label: "Amount per unit", type: "number", default: null, min: 0 }),
    toTalang: ({ amount, field, value, name }) => [
      "map", itemsOf(field, value), "Item",
      ["setDiscountPerItem", name, ["*", amount, item("Quantity")], item("Position")],
    ],
    fromTalang(json) {
      const p = readPerItem(json);
      if (!p) return null;
      const a = p.amount;
      if (!isCall(a, "*", 2) || !isNumberParam(a[1]) || !deepEqual(a[2], item("Quantity"))) return null;
      return { amount: a[1], field: p.field, value: p.value, name: p.name };
    },
    describe: (p, fmt) =>
      `Take ${fmtOf(fmt).money(p.amount)} off each unit of ${whichItems(p)}, as the discount ${text(p.name)}`,
  },
  {
    kind: "cheapestFree",
    label: "Of every N units, the cheapest free",
    params: [
      { name: "every", label: "Of every", type: "number", default: 3, min: 2, step: 1 },
      { name: "field", label: "Of", type: "select", options: EACH_ITEM_FIELDS, default: "" },
      { name: "value", label: "Value", type: "text", default: "", shownWhen: { field: ["Category", "Sku"] } },
      discountName("3 for 2"),
    ],
    // Needs the application's cart item flattening: each unit is an item with its SubPosition.
    toTalang: ({ every, field, value, name }) => [
      "map",
      ["take", ["sortByNumber", itemsOf(field, value), [["Item"], item("Price")], false],
        ["floor", ["/", ["count", itemsOf(field, value)], every]]],
      "Item",
      ["setDiscountPerItem", name, item("Price"), item("Position"), item("SubPosition")],
    ],
    fromTalang(json) {
      if (!isCall(json, "map", 3) || json[2] !== "Item" || !isCall(json[1], "take", 2)) return null;
      const sorted = json[1][1];
      const count = json[1][2];
      if (!isCall(sorted, "sortByNumber", 3)) return null;
      const items = readItems(sorted[1]);
      if (!items || !isCall(count, "floor", 1) || !isCall(count[1], "/", 2) || !isNumberParam(count[1][2])) return null;
      const set = json[3];
      if (!isCall(set, "setDiscountPerItem", 4) || !isString(set[1])) return null;
      return { every: count[1][2], field: items.field, value: items.value, name: set[1] };
    },
    describe: (p, fmt) =>
      `Of every ${fmtOf(fmt).number(p.every)} units of ${whichItems(p).replace(/^each item/, "the items").replace(/^every item/, "all items")}, give the cheapest for free, as the discount ${text(p.name)} (needs cart item flattening)`,
  },
  {
    kind: "additionalCostOff",
    label: "Percent off an additional cost (shipping...)",
    params: [
      { name: "percent", label: "Percent", type: "number", default: 100, min: 0, max: 100 },
      { name: "cost", label: "Of the cost", type: "text", default: "shipping" },
      discountName("Free shipping"),
    ],
    toTalang: ({ percent, cost, name }) => [
      "setDiscountPerAdditionalCost", name, cost,
      ["*", [".", "Session", "AdditionalCosts", cost, "Price"], percentToFactor(percent)],
    ],
    fromTalang(json) {
      if (!isCall(json, "setDiscountPerAdditionalCost", 3) || !isString(json[1]) || !isString(json[2])) return null;
      const v = json[3];
      if (!isCall(v, "*", 2) || !isNumberParam(v[2])) return null;
      return { percent: factorToPercent(v[2]), cost: json[2], name: json[1] };
    },
    describe: ({ percent, cost, name }, fmt) =>
      `Take ${fmtOf(fmt).number(percent)}% off the additional cost ${text(cost)}, as the discount ${text(name)}`,
  },
  {
    kind: "freeItem",
    label: "Add a free item",
    params: [
      { name: "sku", label: "SKU", type: "text", default: "" },
      { name: "name", label: "Item name", type: "text", optional: true, default: "" },
    ],
    toTalang: ({ sku, name }) => ["addFreeItem", sku, name],
    fromTalang: (json) =>
      isCall(json, "addFreeItem", 2) && isString(json[1]) && isString(json[2]) ? { sku: json[1], name: json[2] } : null,
    describe: ({ sku, name }) => `Add ${name ? quote(name) : "an item"} (SKU ${text(sku)}) to the cart for free`,
  },
  {
    kind: "notification",
    label: "Show a notification",
    params: [
      { name: "title", label: "Title", type: "text", default: "" },
      { name: "body", label: "Text", type: "text", optional: true, default: "", wide: true },
    ],
    toTalang: ({ title, body }) => ["showNotification", "Info", title, body],
    fromTalang: (json) =>
      isCall(json, "showNotification", 3) && json[1] === "Info" && isString(json[2]) && isString(json[3])
        ? { title: json[2], body: json[3] }
        : null,
    describe: ({ title, body }) => `Show the customer the notice ${text(title)}${body ? `: ${quote(body)}` : ""}`,
  },
  {
    kind: "pointsPerSpent",
    label: "Loyalty points per amount spent",
    params: [
      { name: "per", label: "1 point per", type: "number", default: 10, min: 0.01 },
      { name: "program", label: "In the program (id)", type: "number", default: 1, min: 1, step: 1 },
      { name: "name", label: "Shown as", type: "text", optional: true, default: "" },
    ],
    toTalang: ({ per, program, name }) =>
      ["addLoyaltyPoints", program, ["floor", ["/", session("Total"), per]], ...(name ? [name] : [])],
    fromTalang(json) {
      if (!isCall(json, "addLoyaltyPoints", 2) && !isCall(json, "addLoyaltyPoints", 3)) return null;
      const v = json[2];
      if (typeof json[1] !== "number" || !isCall(v, "floor", 1) || !isCall(v[1], "/", 2)) return null;
      if (!deepEqual(v[1][1], session("Total")) || !isNumberParam(v[1][2])) return null;
      if (json.length === 4 && !isString(json[3])) return null;
      return { per: v[1][2], program: json[1], name: json[3] || "" };
    },
    describe: ({ per, program }, fmt) =>
      `Give the customer 1 loyalty point per ${fmtOf(fmt).money(per)} spent, in program ${program}, booked when the order closes`,
  },
  {
    kind: "addPoints",
    label: "Give loyalty points",
    params: [
      { name: "points", label: "Points", type: "number", default: null, min: 0 },
      { name: "program", label: "In the program (id)", type: "number", default: 1, min: 1, step: 1 },
    ],
    toTalang: ({ points, program }) => ["addLoyaltyPoints", program, points],
    fromTalang: (json) =>
      isCall(json, "addLoyaltyPoints", 2) && typeof json[1] === "number" && isNumberParam(json[2])
        ? { points: json[2], program: json[1] }
        : null,
    describe: ({ points, program }, fmt) =>
      `Give the customer ${fmtOf(fmt).number(points)} loyalty points in program ${program}, booked when the order closes`,
  },
  {
    kind: "deductPoints",
    label: "Spend loyalty points",
    params: [
      { name: "points", label: "Points", type: "number", default: null, min: 0 },
      { name: "program", label: "From the program (id)", type: "number", default: 1, min: 1, step: 1 },
    ],
    toTalang: ({ points, program }) => ["deductLoyaltyPoints", program, points],
    fromTalang: (json) =>
      isCall(json, "deductLoyaltyPoints", 2) && typeof json[1] === "number" && isNumberParam(json[2])
        ? { points: json[2], program: json[1] }
        : null,
    describe: ({ points, program }, fmt) =>
      `Spend ${fmtOf(fmt).number(points)} of the customer's points in program ${program} (the rule does not apply if they have fewer)`,
  },
  {
    kind: "createCoupon",
    label: "Create a coupon",
    params: [],
    toTalang: () => ["createCoupon"],
    fromTalang: (json) => (isCall(json, "createCoupon", 0) ? {} : null),
    describe: () => "Create a coupon code of this campaign for the customer",
  },
  {
    kind: "createReferral",
    label: "Create a referral code",
    params: [],
    toTalang: () => ["createReferral"],
    fromTalang: (json) => (isCall(json, "createReferral", 0) ? {} : null),
    describe: () => "Create a referral code with the customer as the advocate",
  },
  {
    kind: "updateAttribute",
    label: "Set an attribute",
    params: [
      { name: "entity", label: "Of the", type: "select", options: [["Session", "session"], ["Profile", "customer profile"]], default: "Session" },
      { name: "name", label: "Attribute", type: "text", default: "", placeholder: "name" },
      { name: "value", label: "To", type: "text", default: "" },
    ],
    toTalang: ({ entity, name, value }) => ["updateAttribute", `${entity}.Attributes.${name}`, attributeValue(value, true)],
    fromTalang(json) {
      if (!isCall(json, "updateAttribute", 2) || !isString(json[1])) return null;
      const m = /^(Session|Profile)\.Attributes\.(.*)$/s.exec(json[1]);
      const value = attributeText(json[2], true);
      return m && value !== undefined ? { entity: m[1], name: m[2], value } : null;
    },
    describe: ({ entity, name, value }) =>
      `Set the ${entity === "Profile" ? "customer profile" : "session"} attribute ${text(name)} to ${isNumeric(value) ? value : text(value)}`,
  },
];

const byKind = (templates) => new Map(templates.map((t) => [t.kind, t]));
const conditionsByKind = byKind(conditionTemplates);
const effectsByKind = byKind(effectTemplates);

export const conditionTemplate = (kind) => conditionsByKind.get(kind) || null;
export const effectTemplate = (kind) => effectsByKind.get(kind) || null;

// ------------------------------------------------------------------ rules

/** Default parameters of a template. */
export function defaultParams(template) {
  const params = {};
  for (const p of template.params) params[p.name] = Array.isArray(p.default) ? [...p.default] : p.default ?? null;
  return params;
}

export const newCondition = (kind = conditionTemplates[0].kind) => ({ kind, params: defaultParams(conditionTemplate(kind)) });
export const newEffect = (kind = effectTemplates[0].kind) => ({ kind, params: defaultParams(effectTemplate(kind)) });
export const emptyRule = (title = "") => ({ title, combinator: "and", conditions: [], effects: [] });

/**
 * A row of template `kind` made from `row` (another template was picked): it keeps the values of
 * the parameters both templates have under the same name and label (a discount's name, an amount).
 */
export function changeKind(row, kind, isEffect) {
  const template = isEffect ? effectTemplate(kind) : conditionTemplate(kind);
  const params = defaultParams(template);
  for (const p of template.params) {
    const old = row.params?.[p.name];
    const oldParam = (isEffect ? effectTemplate(row.kind) : conditionTemplate(row.kind))?.params.find((q) => q.name === p.name);
    const same = oldParam && oldParam.type === p.type && oldParam.label === p.label;
    if (old !== undefined && same && (p.type !== "select" || p.options.some(([v]) => v === old))) {
      params[p.name] = Array.isArray(old) ? [...old] : old;
    }
  }
  return { kind, params };
}

/** One row to Talang. */
export function conditionToTalang(condition) {
  return conditionTemplate(condition.kind).toTalang(condition.params);
}
export function effectToTalang(effect) {
  return effectTemplate(effect.kind).toTalang(effect.params);
}

/** The template row that writes `json` exactly, or null. */
function recognise(templates, json) {
  for (const t of templates) {
    const params = t.fromTalang(json);
    if (params && deepEqual(t.toTalang(params), json)) return { kind: t.kind, params };
  }
  return null;
}
export const conditionFromTalang = (json) => recognise(conditionTemplates, json);
export const effectFromTalang = (json) => recognise(effectTemplates, json);

/** A builder rule in Talang: `{title, bindings: [], condition, effects}`. */
export function ruleToTalang(rule) {
  return {
    title: rule.title,
    bindings: [],
    condition: [rule.combinator, ...rule.conditions.map(conditionToTalang)],
    effects: rule.effects.map(effectToTalang),
  };
}

/** The builder rule that `ruleToTalang` turns into `json` exactly, or null. */
export function ruleFromTalang(json) {
  if (!isObject(json) || !isString(json.title)) return null;
  const known = new Set(["title", "description", "bindings", "condition", "effects"]);
  if (Object.keys(json).some((k) => !known.has(k))) return null;
  if (json.description !== undefined && json.description !== "" && json.description !== null) return null;
  if (json.bindings !== undefined && !(Array.isArray(json.bindings) && json.bindings.length === 0)) return null;
  const c = json.condition;
  if (!Array.isArray(c) || (c[0] !== "and" && c[0] !== "or")) return null;
  if (!Array.isArray(json.effects)) return null;
  const conditions = c.slice(1).map(conditionFromTalang);
  const effects = json.effects.map(effectFromTalang);
  if (conditions.some((x) => !x) || effects.some((x) => !x)) return null;
  return { title: json.title, combinator: c[0], conditions, effects };
}

/** Every rule of a ruleset's `rules`, or null unless the builder recognises each one. */
export function rulesetFromTalang(rules) {
  if (!Array.isArray(rules)) return null;
  const out = rules.map(ruleFromTalang);
  return out.every(Boolean) ? out : null;
}

export const rulesetToTalang = (rules) => rules.map(ruleToTalang);

// ------------------------------------------------------------------ checking before sending

/** JSON Pointers of the request body (`{rules: [...]}`) that the builder's rows fill. */
export const pointers = {
  rule: (r) => `/rules/${r}`,
  title: (r) => `/rules/${r}/title`,
  condition: (r) => `/rules/${r}/condition`,
  /** Condition `i` of the builder is argument i + 1 of the and/or call. */
  conditionRow: (r, i) => `/rules/${r}/condition/${i + 1}`,
  effects: (r) => `/rules/${r}/effects`,
  effectRow: (r, j) => `/rules/${r}/effects/${j}`,
};

/**
 * Where in the builder an error for `pointer` goes: {rule, part, index?} with part "title",
 * "condition" (the and/or itself), "conditionRow", "effects", "effectRow" or "rule"; null when
 * the pointer is not inside a rule.
 */
export function locatePointer(pointer) {
  const m = /^\/rules\/(\d+)(?:\/(.*))?$/.exec(pointer || "");
  if (!m) return null;
  const rule = Number(m[1]);
  const rest = (m[2] ?? "").split("/");
  if (rest[0] === "title") return { rule, part: "title" };
  if (rest[0] === "condition") {
    const arg = rest.length > 1 && /^\d+$/.test(rest[1]) ? Number(rest[1]) : 0;
    return arg >= 1 ? { rule, part: "conditionRow", index: arg - 1 } : { rule, part: "condition" };
  }
  if (rest[0] === "effects") {
    return rest.length > 1 && /^\d+$/.test(rest[1]) ? { rule, part: "effectRow", index: Number(rest[1]) } : { rule, part: "effects" };
  }
  return { rule, part: "rule" };
}

function paramProblems(template, params) {
  const problems = [];
  for (const p of template.params) {
    const v = params[p.name];
    if (p.shownWhen && !Object.entries(p.shownWhen).every(([k, ok]) => ok.includes(params[k]))) continue;
    if (p.type === "number") {
      if (v === null || v === undefined) {
        if (!p.optional) problems.push(`${p.label}: enter a number.`);
      } else if (!isNumber(v)) problems.push(`${p.label}: enter a number.`);
      else if (p.min !== undefined && v < p.min) problems.push(`${p.label}: must be at least ${p.min}.`);
      else if (p.max !== undefined && v > p.max) problems.push(`${p.label}: must be at most ${p.max}.`);
      else if (p.step === 1 && !Number.isInteger(v)) problems.push(`${p.label}: must be a whole number.`);
    } else if (p.type === "text" && !p.optional && !(isString(v) && v.trim() !== "")) {
      problems.push(`${p.label}: fill this in.`);
    }
  }
  return problems;
}

/**
 * What would make Perk refuse the rules, or make a rule not do what it says, found before
 * sending: API-shaped errors `{title, details, source: {pointer}}` with the pointers of `pointers`.
 */
export function validateRules(rules) {
  const errors = [];
  const add = (pointer, details) => errors.push({ title: "Invalid value", details, source: { pointer } });
  rules.forEach((rule, r) => {
    if (!isString(rule.title) || rule.title.trim() === "") add(pointers.title(r), "Give the rule a title.");
    if (rule.combinator === "or" && rule.conditions.length === 0) {
      add(pointers.condition(r), "With “any” and no conditions the rule never applies: add a condition or pick “all”.");
    }
    rule.conditions.forEach((c, i) => {
      const t = conditionTemplate(c.kind);
      const problems = paramProblems(t, c.params);
      if (c.kind === "dateWindow") {
        const { from, to } = c.params;
        if (!from && !to) problems.push("Give a start, an end or both.");
        else if (from && to && !(Date.parse(from) < Date.parse(to))) problems.push("The start must be before the end.");
      }
      if (c.kind === "weekdays" && !c.params.days.length) problems.push("Pick at least one day.");
      if ((c.kind === "profileAttribute" || c.kind === "sessionAttribute") && ORDERINGS.has(c.params.op) && !isNumeric(c.params.value)) {
        problems.push(`“${opWords(c.params.op)}” compares numbers: enter a number as the value.`);
      }
      if (problems.length) add(pointers.conditionRow(r, i), problems.join(" "));
    });
    if (rule.effects.length === 0) add(pointers.effects(r), "Add at least one effect: what the rule does.");
    rule.effects.forEach((e, j) => {
      const problems = paramProblems(effectTemplate(e.kind), e.params);
      if (problems.length) add(pointers.effectRow(r, j), problems.join(" "));
    });
  });
  return errors;
}

// ------------------------------------------------------------------ JSON text positions

/**
 * The character range of the node `pointer` names in the JSON `text` (any formatting):
 * {start, end, line, column, exact}. When the pointer goes deeper than the text, the deepest
 * node on its way is given with exact: false. Null when the text is not JSON.
 */
export function pointerRange(text, pointer) {
  let root;
  try {
    root = new PositionParser(text).document();
  } catch {
    return null;
  }
  const tokens = pointer === "" ? [] : pointer.replace(/^\//, "").split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
  let node = root;
  let exact = true;
  for (const token of tokens) {
    let next = null;
    if (node.type === "array" && /^\d+$/.test(token)) next = node.items[Number(token)] || null;
    else if (node.type === "object") next = node.members.find((m) => m.key === token)?.value || null;
    if (!next) {
      exact = false;
      break;
    }
    node = next;
  }
  const before = text.slice(0, node.start);
  const line = before.split("\n").length;
  const column = node.start - before.lastIndexOf("\n");
  return { start: node.start, end: node.end, line, column, exact };
}

class PositionError extends SyntaxError {
  constructor(position) {
    super(`JSON ends or is wrong at position ${position}`);
    this.position = position;
  }
}

/** A JSON parser that only records where each value starts and ends. */
class PositionParser {
  constructor(text) {
    this.text = text;
    this.i = 0;
  }

  fail() {
    throw new PositionError(Math.max(0, Math.min(this.i, this.text.length)));
  }

  space() {
    while (this.i < this.text.length && " \t\n\r".includes(this.text[this.i])) this.i++;
  }

  document() {
    const v = this.value();
    this.space();
    if (this.i !== this.text.length) this.fail();
    return v;
  }

  value() {
    this.space();
    const start = this.i;
    const c = this.text[this.i];
    if (c === "{") {
      this.i++;
      const members = [];
      this.space();
      if (this.text[this.i] === "}") this.i++;
      else {
        for (;;) {
          this.space();
          if (this.text[this.i] !== '"') this.fail();
          const key = JSON.parse(this.text.slice(this.i, this.stringEnd()));
          this.space();
          if (this.text[this.i] !== ":") this.fail();
          this.i++;
          members.push({ key, value: this.value() });
          this.space();
          const d = this.text[this.i];
          if (d !== "}" && d !== ",") this.fail();
          this.i++;
          if (d === "}") break;
        }
      }
      return { type: "object", start, end: this.i, members };
    }
    if (c === "[") {
      this.i++;
      const items = [];
      this.space();
      if (this.text[this.i] === "]") this.i++;
      else {
        for (;;) {
          items.push(this.value());
          this.space();
          const d = this.text[this.i];
          if (d !== "]" && d !== ",") this.fail();
          this.i++;
          if (d === "]") break;
        }
      }
      return { type: "array", start, end: this.i, items };
    }
    if (c === '"') {
      this.stringEnd();
      return { type: "string", start, end: this.i };
    }
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(this.text.slice(this.i, this.i + 400));
    if (!m) this.fail();
    this.i += m[0].length;
    return { type: "atom", start, end: this.i };
  }

  /** Moves past the string starting at `i`; returns the position after its closing quote. */
  stringEnd() {
    this.i++;
    while (this.i < this.text.length) {
      const c = this.text[this.i++];
      if (c === "\\") this.i++;
      else if (c === '"') return this.i;
      else if (c < " ") {
        this.i--;
        this.fail();
      }
    }
    return this.fail();
  }
}

/**
 * Where reading `text` as JSON stops (a character index), or null when it is JSON. `error` is
 * what `JSON.parse` threw, whose message may tell the place when this reader does not.
 */
export function syntaxErrorPosition(text, error) {
  try {
    new PositionParser(text).document();
  } catch (e) {
    if (e instanceof PositionError) return Math.min(e.position, text.length);
  }
  const message = String(error?.message || "");
  const at = /position (\d+)/.exec(message);
  return at ? Math.min(Number(at[1]), text.length) : null;
}
