// The console's shell: sign-in, the header with the application switcher, the section menu,
// keyboard shortcuts, and the page the location names.

import { api, ApiError, onSignInNeeded, session } from "./api.js";
import { h, replace, toast } from "./dom.js";
import { Form } from "./forms.js";
import { current, go, match, route } from "./router.js";
import { appPath, hasAccess, isAdmin, lastApplicationId, loadApplications, loadMe, may, state, useApplication } from "./state.js";
import * as applications from "./views-applications.js";
import * as campaigns from "./views-campaigns.js";
import * as testCart from "./views-testcart.js";
import * as priority from "./views-priority.js";
import * as analytics from "./views-analytics.js";
import * as customers from "./views-customers.js";
import * as attributes from "./views-attributes.js";
import * as loyalty from "./views-loyalty.js";
import * as webhooks from "./views-webhooks.js";
import * as team from "./views-team.js";
import * as changes from "./views-changes.js";
import * as costs from "./views-costs.js";
import * as account from "./views-account.js";

const main = document.getElementById("main");
const top = document.getElementById("top");
const nav = document.getElementById("nav");

for (const module of [applications, campaigns, testCart, priority, analytics, customers, attributes, loyalty, webhooks, team, changes, costs, account]) {
  module.register(route);
}

/** The application's sections: slug, label, shortcut key, and whether the user may use it. */
const sections = [
  ["campaigns", "Campaigns", "c", () => true],
  // The test cart makes a staging key, which takes the campaigns or the keys right.
  ["test-cart", "Test cart", "t", () => may("campaigns") || may("keys")],
  ["priority", "Priority", "p", () => true],
  ["analytics", "Analytics", "a", () => true],
  ["customers", "Customers", "u", () => true],
  ["keys", "API keys", "k", () => true],
];

/** Account-wide sections with a shortcut: path, label, key, and who may use it. */
const places = [
  ["/team", "Team", "m", isAdmin],
  ["/account", "My account", "y", () => true],
];

const shown = (list) => list.filter(([, , , allowed]) => allowed());

/** The sign-in form; `onDone` runs once a token was received. */
function signInForm(onDone, { email = "" } = {}) {
  const form = new Form({
    submitLabel: "Sign in",
    onsubmit: async () => {
      const reply = await api.post("/v1/sessions", { email: emailField.read(), password: passwordField.read() });
      const someoneElse = String(reply.userId) !== session.userId;
      session.token = reply.token;
      session.userId = reply.userId;
      await onDone(someoneElse);
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
    const form = signInForm(async (someoneElse) => {
      dialog.close();
      dialog.remove();
      pending = null;
      resolve();
      // Signed in as another user: the page must show what they may do.
      if (someoneElse) await start();
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
  session.userId = null;
  state.application = null;
  state.me = null;
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
  isAdmin() ? h("option", { value: "new" }, "+ New application…") : null);
  // Only what the user may open: account-wide lists need a role, changing the account an admin.
  const links = hasAccess() ? [
    isAdmin() ? h("a", { href: "#/team", class: "top-link", title: "g then m" }, "Team") : null,
    h("a", { href: "#/loyalty", class: "top-link" }, "Loyalty"),
    isAdmin() ? h("a", { href: "#/webhooks", class: "top-link" }, "Webhooks") : null,
    h("a", { href: "#/attributes", class: "top-link" }, "Attributes"),
    h("a", { href: "#/apps", class: "top-link" }, "Applications"),
  ] : [];
  replace(top,
    h("a", { href: hasAccess() ? "#/apps" : "#/", class: "brand" }, h("img", { src: "/console/favicon.svg", alt: "" }), "Perk"),
    state.applications.length ? switcher : null,
    h("span", { class: "spacer" }),
    links,
    h("a", { href: "#/account", class: "top-link", title: "My account (g then y)" }, state.me?.name || state.me?.email || "My account"),
    h("button", { type: "button", class: "link", title: "Keyboard shortcuts (?)", onclick: showShortcuts }, "Shortcuts"),
    h("button", { type: "button", class: "secondary small", onclick: signOut }, "Sign out"));
}

function renderNav(path) {
  if (!state.application) {
    nav.hidden = true;
    return;
  }
  nav.hidden = false;
  replace(nav, h("ul", {}, shown(sections).map(([slug, label, key]) => {
    const href = "#" + appPath(slug);
    const active = path.startsWith(appPath(slug));
    return h("li", {}, h("a", { href, class: active ? "active" : "", "aria-current": active ? "page" : undefined, title: `g then ${key}` }, label));
  })));
}

function showShortcuts() {
  const dialog = h("dialog", { class: "shortcuts", "aria-labelledby": "shortcuts-title" },
    h("h2", { id: "shortcuts-title" }, "Keyboard shortcuts"),
    h("dl", {},
      [...(state.application ? shown(sections) : []), ...shown(places)]
        .flatMap(([, label, key]) => [h("dt", {}, h("kbd", {}, "g"), " ", h("kbd", {}, key)), h("dd", {}, label)]),
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
    const section = shown(sections).find(([, , key]) => key === e.key);
    const place = shown(places).find(([, , key]) => key === e.key);
    if (section && state.application) {
      e.preventDefault();
      go(appPath(section[0]));
    } else if (place) {
      e.preventDefault();
      go(place[0]);
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
  if (!hasAccess() && path !== "/account") {
    renderTop();
    renderNav(path);
    replace(main, noRole());
    document.title = "No role yet · Perk";
    return;
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
  if (appMatch && !state.application) {
    // The server answers 404 alike for an application that does not exist and one the user may not see.
    replace(main, h("div", { class: "empty" }, h("h1", {}, "No such application"),
      h("p", {}, "It does not exist, or none of your roles lets you see it."), h("p", {}, h("a", { href: "#/apps" }, "Your applications"))));
    return;
  }
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
    if (error instanceof ApiError && error.status === 403) {
      // The server's message says what is missing; rights may have changed since sign-in.
      replace(main, h("div", { class: "empty" }, h("h1", {}, "Not open to you"), h("p", {}, error.message),
        h("p", {}, h("a", { href: "#/" }, "Back to the start"))));
      return;
    }
    replace(main, h("div", { class: "form-error", role: "alert" }, h("h1", {}, "This page could not be shown"), h("p", {}, error.message || String(error))));
  } finally {
    main.removeAttribute("aria-busy");
  }
}

/** What a user without a role sees instead of empty pages and refusals. */
function noRole() {
  const again = h("button", { type: "button", class: "primary", onclick: async () => {
    again.disabled = true;
    try {
      await loadMe();
      await loadApplications();
    } finally {
      again.disabled = false;
    }
    if (hasAccess()) go("/", null, true);
    else toast("Still no role: ask an account admin", "info");
  } }, "Check again");
  return h("div", { class: "empty no-role" },
    h("h1", {}, "You have no role yet"),
    h("p", {}, `You are signed in as ${state.me?.email ?? "a user"}, but no role lets you see an application yet.`),
    h("p", {}, "Ask an account admin to give you a role (Team, in the admin's console). Then check again."),
    h("div", { class: "actions center" }, again, h("a", { href: "#/account", class: "button-link" }, "My account")));
}

async function start() {
  if (!session.userId) {
    // A token from before the console kept whose it is: sign in again to learn it.
    session.token = null;
    return showSignIn();
  }
  try {
    await loadMe();
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
// An admin changed their own user or a role: what the console offers follows at once.
window.addEventListener("perk:rights-changed", async () => {
  await loadMe();
  await loadApplications();
  if (state.application) useApplication(state.application.id);
  renderTop();
});
window.addEventListener("unhandledrejection", (e) => {
  toast(e.reason?.message || String(e.reason), "error");
});

if (session.token) start();
else showSignIn();
