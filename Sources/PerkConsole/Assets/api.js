// The console's only way to Perk: the public Management API (and, for the test cart, dry runs of
// the Integration API with a staging key), the same calls a script would make.

const TOKEN = "perk.token";
const USER = "perk.user";

/** An answer other than 2xx, with the API's `{message, errors}` body. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `The server answered ${status}`);
    this.status = status;
    this.errors = (body && Array.isArray(body.errors) && body.errors) || [];
  }

  /** The errors whose `source.pointer` starts with `prefix` (a JSON Pointer). */
  at(prefix) {
    return this.errors.filter((e) => (e.source?.pointer ?? "").startsWith(prefix));
  }
}

let reauthenticate = null;

/** What to do when the token is refused: show a sign-in over the page and resolve once done. */
export function onSignInNeeded(handler) {
  reauthenticate = handler;
}

/** The token lives for this tab only (sessionStorage): closing the tab signs out. */
export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN);
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN, value);
    else sessionStorage.removeItem(TOKEN);
  },
  /** Whose token it is (the sign-in's answer): what they may do is read from their user. */
  get userId() {
    return sessionStorage.getItem(USER);
  },
  set userId(value) {
    if (value !== null && value !== undefined) sessionStorage.setItem(USER, String(value));
    else sessionStorage.removeItem(USER);
  },
};

function url(path, query) {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") u.searchParams.set(k, String(v));
  }
  return u.pathname + u.search;
}

/**
 * One request. A refused token (401) opens the sign-in dialog and, once the user signed in
 * again, sends the request once more: what they were editing stays where it was.
 */
export async function request(method, path, { query, body, headers = {}, auth, raw = false, retried = false } = {}) {
  const h = { Accept: raw ? "*/*" : "application/json", ...headers };
  if (body !== undefined && !(body instanceof FormData) && !(typeof body === "string")) {
    h["Content-Type"] = "application/json";
  }
  const credential = auth ?? (session.token ? `Bearer ${session.token}` : null);
  if (credential) h.Authorization = credential;
  let response;
  try {
    response = await fetch(url(path, query), {
      method,
      headers: h,
      body: body === undefined ? undefined : body instanceof FormData || typeof body === "string" ? body : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, { message: "Perk cannot be reached. Check the connection and try again." });
  }
  if (response.status === 401 && auth === undefined && !retried && reauthenticate && path !== "/v1/sessions") {
    await reauthenticate();
    return request(method, path, { query, body, headers, auth, raw, retried: true });
  }
  if (raw && response.ok) return response;
  const text = await response.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { message: text };
    }
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

export const api = {
  get: (path, query) => request("GET", path, { query }),
  post: (path, body, query) => request("POST", path, { body, query }),
  put: (path, body, query) => request("PUT", path, { body, query }),
  delete: (path, query) => request("DELETE", path, { query }),
};

/** Every item of a paged listing (pageSize 1000), up to `limit` items. */
export async function all(path, query = {}, limit = 10000) {
  const items = [];
  for (let skip = 0; items.length < limit; skip += 1000) {
    const page = await api.get(path, { ...query, pageSize: 1000, skip });
    items.push(...(page.data || []));
    if ((page.data || []).length < 1000) break;
  }
  return items;
}
