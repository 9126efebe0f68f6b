// The Rules tab of a campaign: its active ruleset in the rule builder (conditions and effects
// in plain words), or as Talang in a raw editor when the builder did not write it. Saving makes
// a new ruleset and activates it; an error Perk answers appears at the row or the text it names.

import { api, ApiError, request } from "./api.js";
import { append, confirmDialog, debounce, formatMoney, formatTime, fromLocalInput, h, replace, toLocalInput, toast } from "./dom.js";
import { Form, localError } from "./forms.js";
import {
  BUILDER_VERSION, WEEKDAYS, changeKind, conditionTemplate, conditionTemplates, effectTemplate, effectTemplates,
  emptyRule, newCondition, newEffect, pointerRange, pointers, ruleFromTalang, ruleToTalang, rulesetFromTalang,
  rulesetToTalang, syntaxErrorPosition, validateRules,
} from "./rules.js";
import { appApi, currency, may } from "./state.js";

let serial = 0;
const uid = (name) => `rb-${name}-${++serial}`;

const describeFormat = () => ({
  money: (n) => (typeof n === "number" ? formatMoney(n, currency()) : "…"),
  time: (t) => (t ? formatTime(t) : "…"),
});

/** RFC 3339 without milliseconds from a `datetime-local` value, or "". */
function timeFromInput(value) {
  const iso = fromLocalInput(value);
  return iso ? iso.replace(/\.000Z$/, "Z") : "";
}

const pretty = (value) => JSON.stringify(value, null, 2);

/** The Rules tab of `campaign` (`{id, name, activeRulesetId?}`): a `.panel`. */
export async function rulesTab(campaign) {
  const base = appApi(`/campaigns/${campaign.id}/rulesets`);
  let active = null;
  try {
    active = await loadActive(base, campaign);
  } catch (error) {
    const retry = h("button", { type: "button", class: "secondary", onclick: async () => element.replaceWith(await rulesTab(campaign)) }, "Try again");
    const element = h("section", { class: "panel rules-tab" },
      h("div", { class: "panel-head" }, h("h2", {}, "Rules")),
      h("div", { class: "form-error", role: "alert" }, "The rules of this campaign could not be loaded: ", error.message || String(error)),
      h("div", { class: "actions" }, retry));
    return element;
  }
  return new RulesEditor(campaign, base, active).element;
}

/** The campaign's active ruleset, or null when it has none. */
async function loadActive(base, campaign) {
  if (campaign.activeRulesetId === undefined || campaign.activeRulesetId === null) return null;
  const page = await api.get(base, { pageSize: 1000 });
  const found = (page?.data || []).find((r) => String(r.id) === String(campaign.activeRulesetId));
  return found || (await api.get(`${base}/${campaign.activeRulesetId}`));
}

class RulesEditor {
  constructor(campaign, base, active) {
    this.campaign = campaign;
    this.base = base;
    this.active = active;
    /** Ruleset-level bindings: not the builder's; kept as they are when the raw text is saved. */
    this.bindings = Array.isArray(active?.bindings) ? active.bindings : [];
    /** Per builder rule (by object): whether its Talang preview is open. */
    this.previewOpen = new WeakMap();

    this.readOnly = !may("campaigns");
    const recognised = active ? (this.bindings.length ? null : rulesetFromTalang(active.rules)) : this.readOnly ? [] : [emptyRule(campaign.name || "Rule 1")];
    this.mode = recognised ? "builder" : "raw";
    this.rules = recognised || [];
    this.rawText = active ? pretty(active.rules || []) : "[]";

    this.status = h("p", { class: "help rb-status" });
    this.toggle = h("button", { type: "button", class: "secondary small", onclick: () => this.switchMode() });
    this.toggleWhy = h("p", { class: "help rb-toggle-why", id: uid("why"), hidden: true });
    this.form = new Form({ submitLabel: "Save and activate", onsubmit: () => this.save() });
    this.form.element.classList.add("rb-form");
    this.content = h("div", { class: "rb-content" });
    this.form.add(this.content);
    // Someone who may only read sees the rules as they are, builder or Talang, and cannot save.
    if (this.readOnly) this.form.lock("You may read these rules; changing them needs the right to change campaigns.");
    const headingId = uid("heading");
    this.element = h("section", { class: "panel rules-tab", "aria-labelledby": headingId },
      h("div", { class: "panel-head" },
        h("h2", { id: headingId }, "Rules"),
        h("div", { class: "panel-actions" }, this.toggle)),
      this.status, this.toggleWhy, this.form.element);
    this.renderStatus();
    this.render();
  }

  renderStatus() {
    const a = this.active;
    if (this.readOnly) {
      replace(this.status, a ? `Active ruleset #${a.id}${a.activatedAt ? `, activated ${formatTime(a.activatedAt)}` : ""}.` : "This campaign has no rules yet.");
      return;
    }
    replace(this.status, a
      ? [`Active ruleset #${a.id}`, a.activatedAt ? `, activated ${formatTime(a.activatedAt)}` : "",
        a.rbVersion ? " (made with the rule builder)." : ".",
        " Saving makes a new ruleset and activates it."]
      : "This campaign has no active rules yet. Saving makes its first ruleset and activates it.");
  }

  /** Fills the form with the builder or the raw editor; `focusKey` names what gets the focus. */
  render(focusKey) {
    // The rows are built anew: the form takes errors only for the rows that are on the page now.
    this.form.fields.length = 0;
    this.form.clearErrors();
    this.raw = null;
    replace(this.content, this.mode === "builder" ? this.builder() : this.rawEditor());
    this.updateToggle();
    if (focusKey) this.content.querySelector(`[data-focus="${focusKey}"]`)?.focus();
  }

  // ------------------------------------------------------------------ switching

  updateToggle() {
    if (this.mode === "builder") {
      this.toggle.textContent = "Edit as Talang";
      this.toggle.disabled = false;
      this.toggle.removeAttribute("aria-describedby");
      this.toggleWhy.hidden = true;
      return;
    }
    this.toggle.textContent = "Use the rule builder";
    const why = this.builderRefusal();
    this.toggle.disabled = Boolean(why);
    this.toggleWhy.hidden = !why;
    this.toggleWhy.textContent = why ? `The rule builder cannot show these rules: ${why}` : "";
    if (why) this.toggle.setAttribute("aria-describedby", this.toggleWhy.id);
    else this.toggle.removeAttribute("aria-describedby");
  }

  /** Why the raw text cannot go to the builder, or "" when it can. */
  builderRefusal() {
    if (this.bindings.length) return "the ruleset has bindings of its own, which the builder does not write.";
    let rules;
    try {
      rules = JSON.parse(this.rawText);
    } catch {
      return "the text is not valid JSON.";
    }
    if (!Array.isArray(rules)) return "the text is not a list of rules ([ … ]).";
    const index = rules.findIndex((r) => !ruleFromTalang(r));
    if (index >= 0) {
      const title = typeof rules[index]?.title === "string" && rules[index].title ? ` (“${rules[index].title}”)` : "";
      return `rule ${index + 1}${title} is written in a way the builder does not write. Edit it here in Talang.`;
    }
    return "";
  }

  switchMode() {
    if (this.mode === "builder") {
      this.rawText = pretty(rulesetToTalang(this.rules));
      this.mode = "raw";
      this.render("raw");
      return;
    }
    if (this.builderRefusal()) return;
    this.rules = rulesetFromTalang(JSON.parse(this.rawText));
    this.mode = "builder";
    this.render(this.rules.length ? "r0-title" : "add-rule");
  }

  // ------------------------------------------------------------------ the builder

  builder() {
    const list = h("div", { class: "rules" }, this.rules.map((rule, r) => this.ruleCard(rule, r)));
    return [
      h("p", { class: "help" }, "Each rule applies its effects to a customer session when its conditions hold. Rules run in this order."),
      this.rules.length ? list : h("div", { class: "empty" }, h("p", {}, "No rules yet: this campaign does nothing until it has one.")),
      h("button", { type: "button", class: "secondary rb-add-rule", dataset: { focus: "add-rule" }, onclick: () => this.addRule() }, "+ Add rule"),
    ];
  }

  addRule() {
    this.rules.push(emptyRule(`Rule ${this.rules.length + 1}`));
    this.render(`r${this.rules.length - 1}-title`);
  }

  moveRule(r, by) {
    const [rule] = this.rules.splice(r, 1);
    this.rules.splice(r + by, 0, rule);
    const to = r + by;
    const edge = (by < 0 && to === 0) || (by > 0 && to === this.rules.length - 1);
    this.render(`r${to}-${edge ? (by < 0 ? "down" : "up") : by < 0 ? "up" : "down"}`);
  }

  async removeRule(r) {
    const rule = this.rules[r];
    if (rule.conditions.length || rule.effects.length) {
      const sure = await confirmDialog(`Remove the rule “${rule.title || `Rule ${r + 1}`}”?`, {
        confirm: "Remove", details: "Its conditions and effects go with it. Nothing is saved until you save the rules.",
      });
      if (!sure) {
        this.content.querySelector(`[data-focus="r${r}-remove"]`)?.focus();
        return;
      }
    }
    this.rules.splice(r, 1);
    this.render(this.rules.length ? `r${Math.min(r, this.rules.length - 1)}-title` : "add-rule");
  }

  ruleCard(rule, r) {
    const n = r + 1;
    const titleId = uid("title");
    const titleError = h("p", { class: "field-error", id: `${titleId}-error`, hidden: true });
    const preview = h("pre", {}, h("code", {}, pretty(ruleToTalang(rule))));
    const details = h("details", { class: "talang-preview", open: this.previewOpen.get(rule) || undefined },
      h("summary", {}, "Show the rule as Talang"), preview);
    details.addEventListener("toggle", () => this.previewOpen.set(rule, details.open));
    const refresh = () => {
      preview.firstChild.textContent = pretty(ruleToTalang(rule));
    };

    const title = h("input", {
      id: titleId, type: "text", value: rule.title, dataset: { focus: `r${r}-title` }, placeholder: "What the rule is for",
      oninput: (e) => {
        rule.title = e.target.value;
        refresh();
      },
    });
    const ruleError = h("p", { class: "field-error", id: uid("rule-error"), hidden: true });
    const card = h("section", { class: "rule", "aria-labelledby": titleId });
    this.form.register(pointers.rule(r), card, ruleError).input = title;
    const titleEntry = this.form.register(pointers.title(r), title, titleError);

    const button = (label, aria, key, onclick, disabled, cls = "secondary small") =>
      h("button", { type: "button", class: cls, "aria-label": aria, dataset: { focus: `r${r}-${key}` }, disabled, onclick }, label);
    const head = h("div", { class: "rule-head" },
      h("label", { for: titleId, class: "rb-rule-number" }, `Rule ${n}`),
      title,
      button("↑", `Move rule ${n} up`, "up", () => this.moveRule(r, -1), r === 0),
      button("↓", `Move rule ${n} down`, "down", () => this.moveRule(r, 1), r === this.rules.length - 1),
      button("Remove", `Remove rule ${n}`, "remove", () => this.removeRule(r), false, "link small"));
    titleEntry.wrapper = head;

    const combinatorId = uid("combinator");
    const combinatorError = h("p", { class: "field-error", id: uid("combinator-error"), hidden: true });
    const emptyNote = h("p", { class: "help rb-empty-note" });
    const setEmptyNote = () => {
      emptyNote.hidden = rule.conditions.length > 0;
      emptyNote.textContent = rule.combinator === "or"
        ? "No conditions: with “any”, this rule never applies."
        : "No conditions: this rule applies to every session.";
    };
    setEmptyNote();
    const combinator = h("select", {
      id: combinatorId, dataset: { focus: `r${r}-combinator` },
      onchange: (e) => {
        rule.combinator = e.target.value;
        setEmptyNote();
        refresh();
      },
    },
    h("option", { value: "and", selected: rule.combinator === "and" }, "all"),
    h("option", { value: "or", selected: rule.combinator === "or" }, "any"));
    const combinatorLine = h("div", { class: "combinator" },
      h("label", { for: combinatorId }, "When"), combinator, h("span", {}, "of these are true:"));
    const conditionsEntry = this.form.register(pointers.condition(r), combinatorLine, combinatorError);
    conditionsEntry.input = combinator;

    const conditionRows = rule.conditions.map((c, i) => this.row(rule, r, i, false, refresh));
    const conditionsPart = h("div", { class: "rule-part", role: "group", "aria-label": `Conditions of rule ${n}` },
      combinatorLine, combinatorError, conditionRows, emptyNote,
      h("button", { type: "button", class: "link", dataset: { focus: `r${r}-add-condition` }, "aria-label": `Add a condition to rule ${n}`, onclick: () => {
        rule.conditions.push(newCondition());
        this.render(`r${r}-c${rule.conditions.length - 1}-kind`);
      } }, "+ Add condition"));

    const effectsError = h("p", { class: "field-error", id: uid("effects-error"), hidden: true });
    const effectsLabel = h("div", { class: "label", id: uid("then") }, "Then:");
    const addEffect = h("button", { type: "button", class: "link", dataset: { focus: `r${r}-add-effect` }, "aria-label": `Add an effect to rule ${n}`, onclick: () => {
      rule.effects.push(newEffect());
      this.render(`r${r}-e${rule.effects.length - 1}-kind`);
    } }, "+ Add effect");
    const effectsPart = h("div", { class: "rule-part", role: "group", "aria-labelledby": effectsLabel.id },
      effectsLabel, effectsError,
      rule.effects.map((e, j) => this.row(rule, r, j, true, refresh)),
      rule.effects.length ? null : h("p", { class: "help rb-empty-note" }, "No effects yet: add what the rule does."),
      addEffect);
    const effectsEntry = this.form.register(pointers.effects(r), addEffect, effectsError);
    effectsEntry.wrapper = effectsPart;

    return replace(card, head, titleError, ruleError, conditionsPart, effectsPart, details);
  }

  /** One condition (or effect) row: the template select, its parameters, its sentence, remove. */
  row(rule, r, i, isEffect, refresh) {
    const rows = isEffect ? rule.effects : rule.conditions;
    const entry = rows[i];
    const templates = isEffect ? effectTemplates : conditionTemplates;
    const template = (isEffect ? effectTemplate : conditionTemplate)(entry.kind);
    const what = isEffect ? "Effect" : "Condition";
    const key = `r${r}-${isEffect ? "e" : "c"}${i}`;
    const label = `${what} ${i + 1} of rule ${r + 1}`;

    const kind = h("select", {
      "aria-label": label, dataset: { focus: `${key}-kind` },
      onchange: (e) => {
        rows[i] = changeKind(entry, e.target.value, isEffect);
        this.render(`${key}-kind`);
      },
    }, templates.map((t) => h("option", { value: t.kind, selected: t.kind === entry.kind }, t.label)));

    const sentence = h("p", { class: "rb-describe" });
    const error = h("p", { class: "field-error", id: uid("row-error"), hidden: true });
    const slot = h("div", { class: "rb-slot" });
    const changed = () => {
      sentence.textContent = template.describe(entry.params, describeFormat());
      for (const el of slot.querySelectorAll("[data-shown-when]")) {
        const [name, values] = el.dataset.shownWhen.split("=");
        el.hidden = !values.split(",").includes(entry.params[name] ?? "");
      }
      if (!error.hidden) {
        error.hidden = true;
        slot.classList.remove("invalid");
        kind.removeAttribute("aria-invalid");
      }
      refresh();
    };
    const params = template.params.map((p) => this.param(p, entry.params, label, changed));
    const remove = h("button", {
      type: "button", class: "link small", "aria-label": `Remove ${what.toLowerCase()} ${i + 1} of rule ${r + 1}`, dataset: { focus: `${key}-remove` },
      onclick: () => {
        rows.splice(i, 1);
        const next = rows.length ? `r${r}-${isEffect ? "e" : "c"}${Math.min(i, rows.length - 1)}-kind` : `r${r}-add-${isEffect ? "effect" : "condition"}`;
        this.render(next);
      },
    }, "Remove");
    append(slot, [h("div", { class: "rule-row" }, kind, params, h("span", { class: "grow" }), remove, sentence), error]);
    changed();
    const registered = this.form.register(isEffect ? pointers.effectRow(r, i) : pointers.conditionRow(r, i), slot, error);
    registered.input = kind;
    kind.setAttribute("aria-describedby", error.id);
    return slot;
  }

  /** The input of one template parameter, labelled; writes `params[p.name]` and calls `changed`. */
  param(p, params, rowLabel, changed) {
    const set = (value) => {
      params[p.name] = value;
      changed();
    };
    const labelText = p.optional ? `${p.label} (optional)` : p.label;
    let control;
    if (p.type === "select") {
      control = h("select", { onchange: (e) => set(e.target.value) },
        p.options.map(([v, text]) => h("option", { value: v, selected: v === params[p.name] }, text)));
    } else if (p.type === "number") {
      control = h("input", {
        type: "number", step: p.step ?? "any", min: p.min, max: p.max, inputmode: "decimal", value: params[p.name] ?? "",
        oninput: (e) => set(e.target.value === "" || !Number.isFinite(e.target.valueAsNumber) ? null : e.target.valueAsNumber),
      });
    } else if (p.type === "date") {
      control = h("input", {
        type: "datetime-local", value: toLocalInput(params[p.name]),
        oninput: (e) => set(timeFromInput(e.target.value)),
      });
    } else if (p.type === "weekdays") {
      const chosen = () => p.options.map(([d]) => d).filter((d) => boxes.get(d).checked);
      const boxes = new Map();
      return h("span", { class: "rb-days", role: "group", "aria-label": `${p.label} (${rowLabel})` },
        h("span", { class: "words", "aria-hidden": "true" }, p.label),
        p.options.map(([d, name]) => {
          const box = h("input", { type: "checkbox", "aria-label": name, checked: params[p.name].includes(d), onchange: () => set(chosen()) });
          boxes.set(d, box);
          return h("label", { class: "rb-day", title: name }, box, h("span", { "aria-hidden": "true" }, name.slice(0, 3)));
        }));
    } else {
      control = h("input", {
        type: "text", value: params[p.name] ?? "", placeholder: p.placeholder, class: p.wide ? "wide" : undefined,
        oninput: (e) => set(e.target.value),
      });
    }
    control.setAttribute("aria-label", `${labelText} (${rowLabel})`);
    return h("label", {
      class: "rb-param",
      dataset: p.shownWhen ? { shownWhen: Object.entries(p.shownWhen).map(([k, v]) => `${k}=${v.join(",")}`)[0] } : undefined,
    }, h("span", { class: "words" }, labelText), control);
  }

  // ------------------------------------------------------------------ the raw editor

  rawEditor() {
    const id = uid("raw");
    const help = h("p", { class: "help", id: `${id}-help` },
      "Write the rules in Talang: a JSON list of rules, each ",
      h("code", {}, '{"title": …, "condition": […], "effects": [[…]]}'),
      ", with expressions like ", h("code", {}, '[">=", [".", "Session", "Total"], 50]'), ".");
    const textarea = h("textarea", {
      id, class: "code", rows: 22, spellcheck: "false", autocomplete: "off", "aria-describedby": `${id}-help ${id}-where`,
      dataset: { focus: "raw" }, value: this.rawText,
    });
    textarea.value = this.rawText;
    const check = debounce(() => this.updateToggle(), 200);
    textarea.addEventListener("input", () => {
      this.rawText = textarea.value;
      check();
    });
    const error = h("p", { class: "node-error", id: `${id}-error`, hidden: true });
    const where = h("p", { class: "help", id: `${id}-where`, hidden: true });
    this.raw = { textarea, error, where };
    this.form.register("/rules", textarea, error);
    return h("div", { class: "raw-editor" },
      h("label", { for: id }, "Rules in Talang"),
      help,
      this.bindings.length ? h("p", { class: "help" }, `This ruleset also has ${this.bindings.length} ruleset-level binding${this.bindings.length === 1 ? "" : "s"}; they are saved as they are.`) : null,
      textarea, error, where);
  }

  /** Selects, in the raw text, the node `pointer` (of the request body) names, and says where it is. */
  highlight(pointer, position) {
    const { textarea, where } = this.raw;
    const text = textarea.value;
    let range = null;
    if (position !== undefined && position !== null) {
      const before = text.slice(0, position);
      range = { start: position, end: Math.min(position + 1, text.length), line: before.split("\n").length, column: position - before.lastIndexOf("\n"), exact: true };
    } else if (pointer === "/rules" || pointer.startsWith("/rules/")) {
      range = pointerRange(text, pointer.slice("/rules".length));
    }
    if (!range) return;
    textarea.focus();
    textarea.setSelectionRange(range.start, range.end);
    const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 18;
    textarea.scrollTop = Math.max(0, (range.line - 3) * lineHeight);
    where.hidden = false;
    const at = pointer && pointer !== "/rules" ? ` (${pointer.slice("/rules".length)} in the list)` : "";
    where.textContent = `Line ${range.line}, column ${range.column}${range.exact ? "" : ", the closest part of the text,"} is selected${at}.`;
  }

  // ------------------------------------------------------------------ saving

  async save() {
    if (this.raw) this.raw.where.hidden = true;
    if (this.mode === "builder") {
      const problems = validateRules(this.rules);
      if (problems.length) throw { message: "Some rules are not complete yet:", errors: problems };
      const saved = await api.post(this.base, { rules: rulesetToTalang(this.rules), bindings: [], activate: true, rbVersion: BUILDER_VERSION });
      this.saved(saved);
      return;
    }
    const text = this.raw.textarea.value;
    let rules;
    try {
      rules = JSON.parse(text);
    } catch (e) {
      const position = syntaxErrorPosition(text, e);
      setTimeout(() => this.highlight("/rules", position));
      throw localError("/rules", `The text is not valid JSON: ${e.message}`);
    }
    if (!Array.isArray(rules)) {
      setTimeout(() => this.highlight("/rules"));
      throw localError("/rules", "The rules must be a JSON list: [ {rule}, {rule}, … ].");
    }
    // The text goes as it was written, so that numbers keep every digit the user typed.
    const body = `{"rules": ${text.trim()}, "bindings": ${JSON.stringify(this.bindings)}, "activate": true}`;
    try {
      const saved = await request("POST", this.base, { body, headers: { "Content-Type": "application/json" } });
      this.saved(saved);
    } catch (error) {
      const pointer = error instanceof ApiError ? error.errors.find((e) => (e.source?.pointer ?? "").startsWith("/rules"))?.source.pointer : null;
      if (pointer) setTimeout(() => this.highlight(pointer));
      throw error;
    }
  }

  saved(ruleset) {
    this.active = ruleset;
    this.campaign.activeRulesetId = ruleset.id;
    this.renderStatus();
    this.element.dispatchEvent(new CustomEvent("perk:ruleset-saved", { bubbles: true, detail: ruleset }));
    toast("Rules saved", "ok");
  }
}

