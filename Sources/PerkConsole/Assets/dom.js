// Building the page. Every text goes in as a text node, never as markup: whatever a campaign or
// a customer is called, it shows as what it is.

/** An element: h("a", {href: "#/x", class: "link", onclick: fn}, "text", child, [more]). */
export function h(tag, attributes = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "class") {
      el.className = value;
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (name === "value" && "value" in el) {
      el.value = value;
    } else if (name === "checked" || name === "selected" || name === "disabled") {
      el[name] = Boolean(value);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Adds children: elements, strings (as text), numbers, arrays of them; skips null. */
export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** An SVG element (charts). */
export function svg(tag, attributes = {}, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) el.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const money = new Map();

/** An amount in the application's currency (`12.50 EUR` as `€12.50`). */
export function formatMoney(value, currency = "EUR") {
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value ?? "");
  if (!money.has(currency)) {
    try {
      money.set(currency, new Intl.NumberFormat(undefined, { style: "currency", currency }));
    } catch {
      money.set(currency, new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
    }
  }
  return money.get(currency).format(n);
}

const numbers = new Intl.NumberFormat();
export function formatNumber(value) {
  const n = Number(value);
  return Number.isFinite(n) ? numbers.format(n) : String(value ?? "");
}

/** A date-time in the browser's time zone, or "—". */
export function formatTime(value) {
  if (!value) return "—";
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function formatDate(value) {
  if (!value) return "—";
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleDateString(undefined, { dateStyle: "medium" });
}

/** `<input type=datetime-local>` value for an RFC 3339 time, and back. */
export function toLocalInput(value) {
  if (!value) return "";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** A small status badge. */
export function badge(text, kind = text) {
  return h("span", { class: `badge badge-${String(kind).toLowerCase()}` }, text);
}

/** Announces `message` to screen readers and shows it briefly. */
export function toast(message, kind = "info") {
  const region = document.getElementById("toasts");
  if (!region) return;
  const item = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" }, message);
  region.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

/** Waits for the user's answer to a yes/no question in a modal dialog; resolves true or false. */
export function confirmDialog(question, { confirm = "Delete", danger = true, details = "" } = {}) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": "confirm-title" });
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    append(dialog, [
      h("h2", { id: "confirm-title" }, question),
      details ? h("p", {}, details) : null,
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: () => close(false) }, "Cancel"),
        h("button", { type: "button", class: danger ? "danger" : "primary", onclick: () => close(true) }, confirm)),
    ]);
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector("button.secondary").focus();
  });
}

/** A labelled section with a heading and optional actions on the right. */
export function panel(title, actions, ...content) {
  return h("section", { class: "panel" },
    h("div", { class: "panel-head" }, h("h2", {}, title), actions ? h("div", { class: "panel-actions" }, actions) : null),
    content);
}

/** A quiet line that says why something is not offered (a right the user lacks). */
export function note(text) {
  return h("p", { class: "note" }, text);
}

/** An empty state: what is missing and what to do. */
export function empty(message, action) {
  return h("div", { class: "empty" }, h("p", {}, message), action || null);
}

/** Debounces `fn` by `ms`. */
export function debounce(fn, ms = 250) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Downloads `blob` as `filename`. */
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: filename, class: "hidden" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
