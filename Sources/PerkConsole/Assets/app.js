// The console's shell: sign-in, the header with the application switcher, the section menu,
// keyboard shortcuts, and the page the location names.

import { api, ApiError, onSignInNeeded, session } from "./api.js";
import { h, replace, toast } from "./dom.js";
import { Form } from "./forms.js";
import { current, go, match, route } from "./router.js";
import { appPath, lastApplicationId, loadApplications, state, useApplication } from "./state.js";
import * as applications from "./views-applications.js";
import * as campaigns from "./views-campaigns.js";
import * as testCart from "./views-testcart.js";
import * as priority from "./views-priority.js";
import * as analytics from "./views-analytics.js";
import * as customers from "./views-customers.js";
import * as attributes from "./views-attributes.js";
import * as loyalty from "./views-loyalty.js";
import * as webhooks from "./views-webhooks.js";

const main = document.getElementById("main");
const top = document.getElementById("top");
const nav = document.getElementById("nav");

for (const module of [applications, campaigns, testCart, priority, analytics, customers, attributes, loyalty, webhooks]) {
  module.register(route);
}

const sections = [
  ["campaigns", "Campaigns", "c"],
  ["test-cart", "Test cart", "t"],
  ["priority", "Priority", "p"],
  ["analytics", "Analytics", "a"],
  ["customers", "Customers", "u"],
  ["keys", "API keys", "k"],
];

/** The sign-in form; `onDone` runs once a token was received. */
function signInForm(onDone, { email = "" } = {}) {
  const form = new Form({
    submitLabel: "Sign in",
    onsubmit: async () => {
      const reply = await api.post("/v1/sessions", { email: emailField.read(), password: passwordField.read() });
      session.token = reply.token;
      await onDone();
    },
  });
  const emailField = form.field({ label: "E-mail", pointer: "/email", type: "email", value: email, required: true, attrs: { autocomplete: "username" } });
  const passwordField = form.field({ label: "Password", pointer: "/password", type: "password", required: true, attrs: { autocomplete: "current-password" } });
  form.add(emailField, passwordField);
  const originalShow = form.showErrors.bind(form);
  form.showErrors = (error) => {
    if (error instanceof ApiError && error.status === 401) {
      originalShow({ message: "The e-mail or the password is not right." });
    } else {
      originalShow(error);
    }
  };
  return form;
}

function showSignIn() {
  top.hidden = true;
  nav.hidden = true;
  const form = signInForm(async () => {
    await start();
  });
  replace(main, h("div", { class: "signin" },
    h("div", { class: "signin-card" },
      h("div", { class: "brand big" }, h("img", { src: "/console/favicon.svg", alt: "" }), "Perk"),
      h("h1", {}, "Sign in to the Campaign Manager"),
      form.element)));
  document.title = "Sign in · Perk";
  form.fields[0].input.focus();
}

/** The token expired mid-work: sign in over the page, keep the page. */
let pending = null;
onSignInNeeded(() => {
  if (pending) return pending;
  pending = new Promise((resolve) => {
    const dialog = h("dialog", { class: "reauth", "aria-labelledby": "reauth-title" });
    const form = signInForm(async () => {
      dialog.close();
      dialog.remove();
      pending = null;
      resolve();
    });
    dialog.append(h("h2", { id: "reauth-title" }, "Your session ended"), h("p", {}, "Sign in again to carry on where you were."), form.element);
    dialog.addEventListener("cancel", (e) => e.preventDefault());
    document.body.append(dialog);
    dialog.showModal();
    form.fields[0].input.focus();
  });
  return pending;
});

async function signOut() {
  try {
    await api.delete("/v1/sessions");
  } catch {
    // The token may be gone already.
  }
  session.token = null;
  state.application = null;
  location.hash = "#/";
  showSignIn();
}

function renderTop() {
  top.hidden = false;
  const switcher = h("select", { id: "app-switcher", "aria-label": "Application", onchange: (e) => {
    if (e.target.value === "new") go("/apps/new");
    else go(`/apps/${e.target.value}/campaigns`);
  } },
  state.applications.map((a) => h("option", { value: a.id, selected: a.id === state.application?.id }, a.name)),
  h("option", { value: "new" }, "+ New application…"));
  replace(top,
    h("a", { href: "#/apps", class: "brand" }, h("img", { src: "/console/favicon.svg", alt: "" }), "Perk"),
    state.applications.length ? switcher : null,
    h("span", { class: "spacer" }),
    h("a", { href: "#/loyalty", class: "top-link" }, "Loyalty"),
    h("a", { href: "#/webhooks", class: "top-link" }, "Webhooks"),
    h("a", { href: "#/attributes", class: "top-link" }, "Attributes"),
    h("a", { href: "#/apps", class: "top-link" }, "Applications"),
    h("button", { type: "button", class: "link", title: "Keyboard shortcuts (?)", onclick: showShortcuts }, "Shortcuts"),
    h("button", { type: "button", class: "secondary small", onclick: signOut }, "Sign out"));
}

function renderNav(path) {
  if (!state.application) {
    nav.hidden = true;
    return;
  }
  nav.hidden = false;
  replace(nav, h("ul", {}, sections.map(([slug, label, key]) => {
    const href = "#" + appPath(slug);
    const active = path.startsWith(appPath(slug));
    return h("li", {}, h("a", { href, class: active ? "active" : "", "aria-current": active ? "page" : undefined, title: `g then ${key}` }, label));
  })));
}

function showShortcuts() {
  const dialog = h("dialog", { class: "shortcuts", "aria-labelledby": "shortcuts-title" },
    h("h2", { id: "shortcuts-title" }, "Keyboard shortcuts"),
    h("dl", {},
      sections.flatMap(([, label, key]) => [h("dt", {}, h("kbd", {}, "g"), " ", h("kbd", {}, key)), h("dd", {}, label)]),
      h("dt", {}, h("kbd", {}, "/")), h("dd", {}, "Search on this page"),
      h("dt", {}, h("kbd", {}, "n")), h("dd", {}, "New item on this page"),
      h("dt", {}, h("kbd", {}, "?")), h("dd", {}, "This help"),
      h("dt", {}, h("kbd", {}, "Esc")), h("dd", {}, "Close a dialog")),
    h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: () => { dialog.close(); dialog.remove(); } }, "Close")));
  document.body.append(dialog);
  dialog.showModal();
}

let leader = false;
document.addEventListener("keydown", (e) => {
  const typing = e.target.closest?.("input, textarea, select, [contenteditable]");
  if (typing || e.metaKey || e.ctrlKey || e.altKey || document.querySelector("dialog[open]")) return;
  if (leader) {
    leader = false;
    const section = sections.find(([, , key]) => key === e.key);
    if (section && state.application) {
      e.preventDefault();
      go(appPath(section[0]));
    }
    return;
  }
  if (e.key === "g") leader = true;
  else if (e.key === "/") {
    const search = main.querySelector("input[type=search]");
    if (search) {
      e.preventDefault();
      search.focus();
    }
  } else if (e.key === "n") {
    const create = main.querySelector("[data-shortcut=new]");
    if (create) {
      e.preventDefault();
      create.click();
    }
  } else if (e.key === "?") showShortcuts();
});

let rendering = 0;
async function render() {
  if (!session.token) return showSignIn();
  const { path, query } = current();
  const appMatch = /^\/apps\/(\d+)/.exec(path);
  if (appMatch && String(state.application?.id) !== appMatch[1]) {
    if (!useApplication(appMatch[1])) await loadApplications().then(() => useApplication(appMatch[1]));
  }
  if (path === "/" || path === "") {
    const id = lastApplicationId();
    const app = state.applications.find((a) => String(a.id) === id) || state.applications[0];
    return go(app ? `/apps/${app.id}/campaigns` : "/apps", null, true);
  }
  renderTop();
  renderNav(path);
  const found = match(path);
  const ticket = ++rendering;
  if (!found) {
    replace(main, h("div", { class: "empty" }, h("h1", {}, "Nothing here"), h("p", {}, h("a", { href: "#/" }, "Back to the start"))));
    return;
  }
  main.setAttribute("aria-busy", "true");
  try {
    const page = await found.view(found.params, query);
    if (ticket !== rendering) return;
    replace(main, page);
    // When the page showed its data (bench/console-screens reads it).
    main.dataset.renderedAt = String(performance.now());
    const heading = main.querySelector("h1");
    document.title = `${heading ? heading.textContent + " · " : ""}${state.application ? state.application.name + " · " : ""}Perk`;
    main.focus({ preventScroll: true });
  } catch (error) {
    if (ticket !== rendering) return;
    replace(main, h("div", { class: "form-error", role: "alert" }, h("h1", {}, "This page could not be shown"), h("p", {}, error.message || String(error))));
  } finally {
    main.removeAttribute("aria-busy");
  }
}

async function start() {
  try {
    await loadApplications();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      session.token = null;
      return showSignIn();
    }
    throw error;
  }
  const { path } = current();
  if (path === "/" || !path) {
    const id = lastApplicationId();
    const app = state.applications.find((a) => String(a.id) === id) || state.applications[0];
    if (app) useApplication(app.id);
  }
  await render();
}

window.addEventListener("hashchange", render);
window.addEventListener("popstate", render);
window.addEventListener("perk:navigate", render);
window.addEventListener("perk:applications-changed", async () => {
  await loadApplications();
  if (state.application) useApplication(state.application.id);
  renderTop();
});
window.addEventListener("unhandledrejection", (e) => {
  toast(e.reason?.message || String(e.reason), "error");
});

if (session.token) start();
else showSignIn();
