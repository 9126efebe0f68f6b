// My account: any signed-in user's own name and password, and what their roles let them do.

import { api } from "./api.js";
import { h, panel, toast } from "./dom.js";
import { Form, localError } from "./forms.js";
import { go } from "./router.js";
import { describe } from "./rights.js";
import { hasAccess, loadMe, state } from "./state.js";

export function register(route) {
  route("/account", account);
}

async function account() {
  const me = await loadMe();
  const names = new Map(state.applications.map((a) => [String(a.id), a.name]));

  const profile = new Form({
    submitLabel: "Save name",
    onsubmit: async () => {
      // Only the name: anyone may change their own, and nothing else of themselves.
      await api.put(`/v1/users/${me.id}`, { name: name.read() });
      toast("Name saved", "ok");
      window.dispatchEvent(new Event("perk:rights-changed"));
    },
  });
  const name = profile.field({ label: "Name", pointer: "/name", value: me.name, attrs: { autocomplete: "name" } });
  profile.add(name);

  const secret = new Form({
    submitLabel: "Change password",
    onsubmit: async () => {
      if (fresh.read() !== again.read()) throw localError("/again", "The two new passwords differ.");
      await api.put("/v1/users/me/password", { password: current.read(), newPassword: fresh.read() });
      for (const f of [current, fresh, again]) f.input.value = "";
      toast("Password changed; your other sign-ins have ended", "ok");
    },
  });
  const current = secret.field({ label: "Current password", pointer: "/password", type: "password", required: true, attrs: { autocomplete: "current-password" } });
  const fresh = secret.field({ label: "New password", pointer: "/newPassword", type: "password", required: true, help: "At least 8 characters.", attrs: { autocomplete: "new-password" } });
  const again = secret.field({ label: "New password again", pointer: "/again", type: "password", required: true, attrs: { autocomplete: "new-password" } });
  secret.add(h("div", { class: "grid-3" }, current, fresh, again));

  const lines = describe(state.access, (id) => names.get(String(id)) || `application ${id}`);
  return h("div", {},
    h("h1", {}, "My account"),
    h("p", { class: "subtitle" }, `Signed in as ${me.email}.`),
    panel("Name", null, profile.element),
    panel("Password", null, h("p", { class: "help" }, "Changing it signs you out everywhere else; this tab stays signed in."), secret.element),
    panel("What you may do", null,
      h("ul", { class: "plain", id: "my-rights" }, lines.map((line) => h("li", {}, line))),
      hasAccess() ? null : h("p", {}, "Ask an account admin for a role. ", h("a", { href: "#/", onclick: (e) => { e.preventDefault(); go("/", null, true); } }, "Back"))));
}
