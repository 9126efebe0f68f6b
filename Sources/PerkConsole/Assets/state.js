// What every screen shares: the signed-in user's applications and the one being worked on.

import { api } from "./api.js";

export const state = {
  applications: [],
  /** The application being worked on. */
  application: null,
};

const LAST = "perk.application";

export async function loadApplications() {
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
