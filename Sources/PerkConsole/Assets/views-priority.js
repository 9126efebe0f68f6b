// Campaign priority: the application's campaign set in the three groups marketers know.
// Exclusive campaigns are tried in order and only the first that applies gives anything; if none
// does, the stackable ones all apply; universal ones always apply. As a campaign set:
// ALL[ FIRST[ FIRST[exclusive…], ALL[stackable…] ], ALL[universal…] ].

import { api } from "./api.js";
import { badge, h, note, panel, toast } from "./dom.js";
import { appApi, may, state } from "./state.js";

export function register(route) {
  route("/apps/:app/priority", priority);
}

const groups = [
  ["exclusive", "Exclusive", "Tried from the top; only the first campaign that applies gives anything."],
  ["stackable", "Stackable", "All apply together, when no exclusive campaign did."],
  ["universal", "Universal", "Always apply, whatever the others did."],
];

/** How the stackable campaigns combine: every one, or only the best deal (an evaluation group). */
const combinations = [
  ["all", "All of them apply together", null],
  ["best", "Only the one that gives the biggest discount", { evaluationMode: "highestDiscount", evaluationScope: "session" }],
  ["bestPerItem", "For each item, only the biggest item discount", { evaluationMode: "highestDiscount", evaluationScope: "cartItem" }],
];

function readCombination(node) {
  if (!node.evaluationMode || node.evaluationMode === "stackable") return "all";
  const found = combinations.find(([, , mode]) => mode && mode.evaluationMode === node.evaluationMode && mode.evaluationScope === (node.evaluationScope || "session"));
  return found ? found[0] : null;
}

/** The three groups of a stored set, or null when the set has another shape. */
function readSet(set) {
  const ids = (node) => (node?.elements || []).map((e) => (e.type === "CAMPAIGN" ? e.campaignId : null));
  if (!set || set.operator !== "ALL" || (set.elements || []).length !== 2) return null;
  const [first, universal] = set.elements;
  if (first.type !== "SET" || first.operator !== "FIRST" || universal.type !== "SET" || universal.operator !== "ALL") return null;
  const [exclusive, stackable] = first.elements || [];
  if (!exclusive || !stackable || exclusive.operator !== "FIRST" || stackable.operator !== "ALL") return null;
  const out = { exclusive: ids(exclusive), stackable: ids(stackable), universal: ids(universal) };
  const combination = readCombination(stackable);
  if (!combination || exclusive.evaluationMode || universal.evaluationMode || first.evaluationMode) return null;
  return Object.values(out).flat().includes(null) ? null : { ...out, combination };
}

function writeSet(placed, combination) {
  const mode = combinations.find(([key]) => key === combination)?.[2] || {};
  const list = (ids) => ids.map((id) => ({ type: "CAMPAIGN", campaignId: id }));
  return {
    type: "SET", name: "root", operator: "ALL",
    elements: [
      { type: "SET", name: "priority", operator: "FIRST", elements: [
        { type: "SET", name: "exclusive", operator: "FIRST", elements: list(placed.exclusive) },
        { type: "SET", name: "stackable", operator: "ALL", ...mode, elements: list(placed.stackable) },
      ] },
      { type: "SET", name: "universal", operator: "ALL", elements: list(placed.universal) },
    ],
  };
}

async function priority() {
  const campaigns = (await api.get(appApi("/campaigns"), { pageSize: 1000, sort: "name" })).data || [];
  const byId = new Map(campaigns.map((c) => [c.id, c]));
  let stored = null;
  try {
    stored = await api.get(appApi("/campaign_set"));
  } catch {
    stored = null;
  }
  const parsed = stored && stored.id ? readSet(stored.set) : null;
  const placed = { exclusive: [], stackable: [], universal: [] };
  if (parsed) for (const g of Object.keys(placed)) placed[g] = parsed[g].filter((id) => byId.has(id));
  let combination = parsed ? parsed.combination : "all";
  const inSet = new Set(Object.values(placed).flat());
  // New campaigns go to the stackable group: what they do without a set (every campaign applies).
  for (const c of campaigns) if (!inSet.has(c.id)) placed.stackable.push(c.id);
  let dirty = false;
  // Saving the priority takes the campaigns right: others see the groups without moving them.
  const changing = may("campaigns");
  const body = changing ? h("div", {}) : h("fieldset", { class: "locked", disabled: true });
  const saveButton = h("button", { type: "button", class: "primary", onclick: async () => {
    await api.put(appApi("/campaign_set"), { applicationId: state.application.id, set: writeSet(placed, combination) });
    dirty = false;
    saveButton.disabled = true;
    toast("Priority saved", "ok");
  }, disabled: true }, "Save priority");

  const render = (focus) => {
    body.replaceChildren(...groups.map(([key, title, help]) => {
      const items = placed[key];
      const combine = key !== "stackable" ? null : h("div", { class: "combine" },
        h("label", { for: "stackable-combination" }, "When several apply:"),
        h("select", { id: "stackable-combination", onchange: (e) => {
          combination = e.target.value;
          changed("stackable-combination");
        } }, combinations.map(([value, label]) => h("option", { value, selected: value === combination }, label))));
      return h("div", { class: "group" },
        h("div", { class: "group-head" }, h("h2", {}, title), h("span", { class: "help" }, help)),
        combine,
        items.length
          ? h("ol", { class: "priority-list", "aria-label": title }, items.map((id, i) => {
            const c = byId.get(id);
            const move = (delta) => {
              const j = i + delta;
              [items[i], items[j]] = [items[j], items[i]];
              changed(`${key}-${id}-${delta < 0 ? "up" : "down"}`);
            };
            return h("li", {},
              h("span", { class: "name" }, c.name, " ", badge(c.frontendState || c.state)),
              h("button", { type: "button", class: "small", id: `${key}-${id}-up`, "aria-label": `Move ${c.name} up`, disabled: i === 0, onclick: () => move(-1) }, "↑"),
              h("button", { type: "button", class: "small", id: `${key}-${id}-down`, "aria-label": `Move ${c.name} down`, disabled: i === items.length - 1, onclick: () => move(1) }, "↓"),
              h("label", { class: "hidden", for: `${key}-${id}-group` }, `Group of ${c.name}`),
              h("select", { id: `${key}-${id}-group`, onchange: (e) => {
                items.splice(i, 1);
                placed[e.target.value].push(id);
                changed(`${e.target.value}-${id}-group`);
              } }, groups.map(([g, label]) => h("option", { value: g, selected: g === key }, label))));
          }))
          : h("p", { class: "help" }, "No campaign in this group."));
    }));
    if (focus) document.getElementById(focus)?.focus();
  };
  const changed = (focus) => {
    dirty = true;
    saveButton.disabled = false;
    render(focus);
  };
  render();
  return h("div", {},
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Campaign priority"), h("p", { class: "subtitle" }, "Which campaigns may apply together, and which win.")),
      changing ? saveButton : null),
    changing ? null : note("You may see the priority; changing it needs the right to change campaigns."),
    stored && stored.id && !parsed
      ? h("div", { class: "form-error" }, "The priority was set through the API in a shape this screen does not show. Saving here replaces it.")
      : null,
    campaigns.length ? panel("Groups", null, body) : h("p", { class: "empty" }, "No campaigns yet."));
}
