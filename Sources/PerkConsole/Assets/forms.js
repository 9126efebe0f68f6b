// Forms whose fields know the JSON Pointer of the request member they fill, so that an error
// the API answers appears next to the field its `source.pointer` names.

import { h, append, note } from "./dom.js";

let serial = 0;
const nextId = (name) => `f-${name.replace(/[^a-z0-9]/gi, "-")}-${++serial}`;

export class Form {
  constructor({ onsubmit, submitLabel = "Save", cancel } = {}) {
    this.fields = [];
    this.general = h("div", { class: "form-error", role: "alert", hidden: true });
    this.body = h("div", { class: "form-body" });
    this.submit = h("button", { type: "submit", class: "primary" }, submitLabel);
    this.element = h("form", { class: "form", novalidate: true },
      this.general, this.body,
      h("div", { class: "actions" }, cancel || null, onsubmit ? this.submit : null));
    if (onsubmit) {
      this.element.addEventListener("submit", async (event) => {
        event.preventDefault();
        this.clearErrors();
        this.submit.disabled = true;
        try {
          await onsubmit(this);
        } catch (error) {
          this.showErrors(error);
        } finally {
          this.submit.disabled = false;
        }
      });
    }
  }

  /**
   * Shows the form as it is without letting it be changed or sent: for someone who may see but
   * not change. `reason` says so above it, in plain words.
   */
  lock(reason) {
    const fence = h("fieldset", { class: "locked", disabled: true });
    this.body.replaceWith(fence);
    fence.append(this.body);
    this.submit.hidden = true;
    if (reason) this.element.prepend(note(reason));
    return this;
  }

  /** Adds elements (fields, groups, text) to the form's body. */
  add(...children) {
    append(this.body, children);
    return this;
  }

  /**
   * A labelled field. `pointer` is the request member it fills (`/name`, `/limits/0/limit`).
   * Types: text, number, textarea, select (options: [[value, label]]), checkbox, datetime-local,
   * tags (comma-separated list), json (a JSON object in a textarea).
   */
  field({ label, pointer = "", type = "text", value, help, options, required, placeholder, attrs = {}, onchange }) {
    const id = nextId(pointer || label);
    let input;
    if (type === "textarea" || type === "json") {
      input = h("textarea", { id, rows: type === "json" ? 4 : 3, placeholder, spellcheck: type === "json" ? "false" : undefined, ...attrs });
      input.value = type === "json" ? (value && Object.keys(value).length ? JSON.stringify(value, null, 2) : "") : (value ?? "");
    } else if (type === "select") {
      input = h("select", { id, ...attrs },
        (options || []).map(([v, text]) => h("option", { value: v, selected: String(v) === String(value ?? "") }, text)));
    } else if (type === "checkbox") {
      input = h("input", { id, type: "checkbox", checked: Boolean(value), ...attrs });
    } else if (type === "tags") {
      input = h("input", { id, type: "text", value: (value || []).join(", "), placeholder, ...attrs });
    } else {
      input = h("input", { id, type, value: value ?? "", placeholder, required, ...attrs });
    }
    if (onchange) input.addEventListener(type === "checkbox" || type === "select" ? "change" : "input", onchange);
    const error = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
    const helpText = help ? h("p", { class: "help", id: `${id}-help` }, help) : null;
    if (helpText) input.setAttribute("aria-describedby", helpText.id);
    const wrapper = type === "checkbox"
      ? h("div", { class: "field checkbox" }, input, h("label", { for: id }, label), helpText, error)
      : h("div", { class: "field" }, h("label", { for: id }, label, required ? h("span", { class: "required", "aria-hidden": "true" }, " *") : null), input, helpText, error);
    const entry = { pointer, input, error, wrapper, type };
    this.fields.push(entry);
    entry.read = () => read(entry);
    return Object.assign(wrapper, { input, read: entry.read });
  }

  /** A field not built by `field` (a rule builder row) that still takes errors for `pointer`. */
  register(pointer, element, errorSlot) {
    const entry = { pointer, input: element, error: errorSlot, wrapper: element, type: "custom" };
    this.fields.push(entry);
    return entry;
  }

  clearErrors() {
    this.general.hidden = true;
    this.general.replaceChildren();
    for (const f of this.fields) {
      f.error.hidden = true;
      f.error.textContent = "";
      f.input.removeAttribute?.("aria-invalid");
      f.wrapper.classList?.remove("invalid");
    }
  }

  /** Puts each error of an `ApiError` next to the field with the longest matching pointer. */
  showErrors(error) {
    const errors = error && error.errors && error.errors.length ? error.errors : null;
    const unplaced = [];
    let first = null;
    for (const e of errors || []) {
      const pointer = e.source?.pointer ?? e.source?.parameter ?? "";
      const target = this.fields
        .filter((f) => f.pointer && (pointer === f.pointer || pointer.startsWith(f.pointer + "/")))
        .sort((a, b) => b.pointer.length - a.pointer.length)[0];
      const text = e.details || e.title || error.message;
      if (!target) {
        unplaced.push(text);
        continue;
      }
      target.error.hidden = false;
      target.error.textContent = target.error.textContent ? `${target.error.textContent} ${text}` : text;
      target.input.setAttribute?.("aria-invalid", "true");
      target.input.setAttribute?.("aria-errormessage", target.error.id || "");
      target.wrapper.classList?.add("invalid");
      first = first || target.input;
    }
    if (!errors) unplaced.push(error?.message || String(error));
    if (unplaced.length) {
      this.general.hidden = false;
      append(this.general, [errors ? error.message : null, errors ? h("ul", {}, unplaced.map((u) => h("li", {}, u))) : unplaced[0]]);
      if (!first) this.general.focus?.();
    }
    first?.focus?.();
  }
}

function read({ input, type }) {
  switch (type) {
    case "checkbox":
      return input.checked;
    case "number":
      return input.value === "" ? null : Number(input.value);
    case "tags":
      return input.value.split(",").map((t) => t.trim()).filter(Boolean);
    case "json":
      if (!input.value.trim()) return {};
      try {
        return JSON.parse(input.value);
      } catch {
        return input.value;
      }
    default:
      return input.value;
  }
}

/** A `source.pointer`-shaped error made on the client (before anything is sent). */
export function localError(pointer, details) {
  return { message: "Please check the highlighted field", errors: [{ title: "Invalid value", details, source: { pointer } }] };
}
