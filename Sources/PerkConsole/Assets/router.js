// Pages by location hash (`#/apps/1/campaigns/7`): the server serves one page, and a link to a
// screen is a bookmark that works.

const routes = [];

/** Adds a route: `pattern` like "/apps/:app/campaigns/:campaign", `view(params, query)`. */
export function route(pattern, view) {
  const names = [];
  const regex = new RegExp(
    "^" + pattern.replace(/:[a-zA-Z]+/g, (m) => {
      names.push(m.slice(1));
      return "([^/]+)";
    }) + "$");
  routes.push({ regex, names, view });
}

/** The current location: path and query of the hash. */
export function current() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = hash.split("?");
  return { path, query: Object.fromEntries(new URLSearchParams(search)) };
}

export function match(path) {
  for (const r of routes) {
    const m = r.regex.exec(path);
    if (m) return { view: r.view, params: Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
  }
  return null;
}

/** Goes to `path` (with `query`), as a new history entry unless `replace`. */
export function go(path, query = null, replace = false) {
  const search = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== "" && v != null)).toString() : "";
  const hash = "#" + path + (search ? "?" + search : "");
  if (replace) history.replaceState(null, "", hash);
  else if (location.hash !== hash) history.pushState(null, "", hash);
  window.dispatchEvent(new Event("perk:navigate"));
}

/** Changes the query of the current page without a new history entry or a re-render. */
export function setQuery(query) {
  const { path } = current();
  const search = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== "" && v != null)).toString();
  history.replaceState(null, "", "#" + path + (search ? "?" + search : ""));
}
