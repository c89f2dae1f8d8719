// The staff API, as the console uses it. The bearer token lives in this module's memory only;
// the refresh token is an httpOnly cookie the page cannot read, sent to /api/staff/session only.
const session = { token: null, role: null, email: null, expiresAt: 0, timer: null };
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export function onSessionChange(listener) { listeners.add(listener); }
export function currentSession() { return { role: session.role, email: session.email }; }
export function signedIn() { return session.token !== null; }

function adopt(answer) {
  session.token = answer.token;
  session.role = answer.role;
  session.email = answer.email;
  session.expiresAt = Date.now() + answer.expires_in * 1000;
  clearTimeout(session.timer);
  // Refresh a minute before the token runs out, so a working person is never cut off.
  const lead = Math.max(5, Math.min(60, answer.expires_in / 5));
  session.timer = setTimeout(() => refresh().catch(() => forget()), (answer.expires_in - lead) * 1000);
  listeners.forEach((listener) => listener(currentSession()));
}

function forget() {
  clearTimeout(session.timer);
  Object.assign(session, { token: null, role: null, email: null, expiresAt: 0, timer: null });
  listeners.forEach((listener) => listener(null));
}

async function problemOf(response) {
  try { return await response.json(); } catch { return null; }
}

export async function signIn(email, password) {
  const response = await fetch("/api/staff/session", {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  adopt(await response.json());
}

let refreshing = null;
export function refresh() {
  // One refresh at a time: the cookie is good once, a second concurrent use would end the session.
  if (!refreshing) {
    refreshing = (async () => {
      const response = await fetch("/api/staff/session/refresh", { method: "POST", credentials: "same-origin" });
      if (!response.ok) throw new ApiError(response.status, await problemOf(response));
      adopt(await response.json());
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

export async function signOut() {
  try {
    await fetch("/api/staff/session", { method: "DELETE", credentials: "same-origin" });
  } finally {
    forget();
  }
}

async function send(method, path, body, accept) {
  const headers = { Authorization: `Bearer ${session.token}` };
  if (accept) headers.Accept = accept;
  const init = { method, headers, credentials: "omit" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(path, init);
}

/** Call a staff route; a 401 gets one refresh and one retry. Answers the JSON body (or null). */
export async function call(method, path, body) {
  let response = await send(method, path, body);
  if (response.status === 401 && session.token) {
    try { await refresh(); } catch { forget(); throw new ApiError(401, await problemOf(response)); }
    response = await send(method, path, body);
  }
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  if (response.status === 204) return null;
  return response.json();
}

/** A staff route's body as a Blob (downloads need the bearer, so no plain link). */
export async function download(path, accept = "text/csv") {
  let response = await send("GET", path, undefined, accept);
  if (response.status === 401) { await refresh(); response = await send("GET", path, undefined, accept); }
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  return response.blob();
}

export const get = (path, query) => call("GET", query ? `${path}?${new URLSearchParams(clean(query))}` : path);
export const post = (path, body) => call("POST", path, body ?? {});
export const patch = (path, body) => call("PATCH", path, body);

function clean(query) {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined && value !== null && value !== ""));
}
