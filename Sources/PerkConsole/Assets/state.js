// What every screen shares: the signed-in user, what they may do, their applications and the
// one being worked on.

import { ApiError, api, session } from "./api.js";
import { holds, merge, noAccess, parseAcl, seesSomething } from "./rights.js";

export const state = {
  applications: [],
  /** The application being worked on. */
  application: null,
  /** The signed-in user (`GET /v1/users/{id}`): name, email, isAdmin, roles. */
  me: null,
  /** What they may do: their admin flag and their roles' rights, merged (see rights.js). */
  access: noAccess(),
};

/**
 * Reads who is signed in and what their roles allow. The server decides every request anyway;
 * this only keeps the console from offering what it would refuse.
 */
export async function loadMe() {
  state.me = await api.get(`/v1/users/${session.userId}`);
  const access = noAccess();
  access.admin = state.me.isAdmin === true;
  if (!access.admin && (state.me.roles || []).length) {
    let roles = [];
    try {
      roles = (await api.get("/v1/roles")).data || [];
    } catch (error) {
      // Roles that grant nothing leave their holder unable to list roles: that is no access.
      if (!(error instanceof ApiError && error.status === 403)) throw error;
    }
    for (const role of roles) if (state.me.roles.includes(role.id)) merge(access, parseAcl(role.acl));
  }
  state.access = access;
  return state.me;
}

/** Whether the signed-in user holds `right` (read, campaigns, coupons, keys) in the application. */
export function may(right, applicationId = state.application?.id) {
  return holds(state.access, right, applicationId);
}

/** Whether the signed-in user is an account admin (users, roles, settings, webhooks…). */
export const isAdmin = () => state.access.admin;

/** Whether the signed-in user may see anything at all: without a role, they may not. */
export const hasAccess = () => seesSomething(state.access);

const LAST = "perk.application";

export async function loadApplications() {
  if (!hasAccess()) {
    state.applications = [];
    return state.applications;
  }
  const page = await api.get("/v1/applications", { pageSize: 1000 });
  state.applications = page.data || [];
  return state.applications;
}

/** Makes `id` the application being worked on (remembered for this tab). */
export function useApplication(id) {
  const found = state.applications.find((a) => String(a.id) === String(id)) || null;
  state.application = found;
  if (found) sessionStorage.setItem(LAST, String(found.id));
  return found;
}

export function lastApplicationId() {
  return sessionStorage.getItem(LAST);
}

/** `/apps/<current>/<suffix>`. */
export function appPath(suffix = "") {
  return `/apps/${state.application?.id ?? 0}${suffix ? "/" + suffix : ""}`;
}

export const currency = () => state.application?.currency || "EUR";

/** The API path of the current application (`/v1/applications/1` + suffix). */
export function appApi(suffix = "") {
  return `/v1/applications/${state.application?.id ?? 0}${suffix}`;
}
