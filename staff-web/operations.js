// Operations for staff: the mail log of one address; for admins also the dead-letter queues
// (look, replay) and the staff accounts (add, disable, enable, reset a password, change a role).
// The API refuses the admin routes to anyone else; the sections are not drawn for them either.
import * as api from "./api.js";
import { attempt, choice, field, formValues, h, table } from "./dom.js";
import { formatTime, t } from "./i18n.js";

const ROLES = ["admin", "staff", "consultant"];

function mailLogSection() {
  const out = h("div", { id: "mail-log" });
  const form = h("form", { class: "form", role: "search" }, field("email", "email", { required: true }, t("email")),
    h("button", { type: "submit" }, t("show_mail_log")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const log = await attempt(() => api.get("/api/staff/mail", formValues(form)));
    if (log) out.replaceChildren(log.deliveries.length ? table([t("when"), t("kind"), t("status"), t("attempts"), t("error")],
      log.deliveries.map((d) => [formatTime(d.created_at), d.kind, d.status, String(d.attempts), d.error || ""]), t("mail_log")) : h("p", {}, t("none")));
  });
  return h("section", { "aria-labelledby": "mail-title" }, h("h2", { id: "mail-title" }, t("mail_log")), form, out);
}

// -- dead-letter queues ---------------------------------------------------------------------

function lastLine(text) {
  const lines = (text || "").trim().split("\n");
  return lines[lines.length - 1];
}

async function showParked(service, out, refresh) {
  const parked = await attempt(() => api.get(`/api/staff/dead-letters/${service}`, { limit: 50 }));
  if (!parked) return;
  const replay = h("form", { class: "form", id: "replay-form", "aria-label": t("replay_from", { queue: parked.queue }) },
    field("count", "number", { min: 1, max: 1000, step: 1, value: 1, required: true }, t("replay_count")),
    h("button", { type: "submit" }, t("replay_first")),
    h("button", { type: "button", class: "secondary", onclick: () => run({ all: true }) }, t("replay_all")));
  async function run(body) {
    const done = await attempt(() => api.post(`/api/staff/dead-letters/${service}/replay`, body),
      (result) => t("replayed", { count: result.replayed.length, left: result.left }));
    if (done) { await refresh(); await showParked(service, out, refresh); }
  }
  replay.addEventListener("submit", (event) => { event.preventDefault(); run({ count: Number(replay.count.value) }); });
  out.replaceChildren(
    h("h3", { id: "parked-title" }, t("parked_in", { queue: parked.queue, depth: parked.depth })),
    parked.messages.length ? table([t("number"), t("type"), t("handler_queue"), t("failed_at"), t("attempts"), t("error")],
      parked.messages.map((m) => [String(m.index), m.type, m.handler_queue || "", formatTime(m.failed_at), String(m.attempt ?? ""),
        h("span", { title: m.error }, lastLine(m.error))]), t("parked_messages")) : h("p", {}, t("none")),
    parked.messages.length ? replay : null);
}

function deadLetterSection() {
  const queues = h("div", { id: "dead-letter-queues" });
  const parked = h("div", { id: "parked" });
  async function refresh() {
    const answer = await attempt(() => api.get("/api/staff/dead-letters"));
    if (!answer) return;
    queues.replaceChildren(table([t("service"), t("queue"), t("waiting"), ""], answer.queues.map((q) => [
      q.service, q.queue, h("span", { class: q.depth ? "badge alert" : "badge" }, String(q.depth)),
      h("button", { type: "button", class: "secondary", "aria-label": t("show_queue", { queue: q.queue }),
        onclick: () => showParked(q.service, parked, refresh) }, t("show"))]), t("dead_letters")));
  }
  refresh();
  return h("section", { id: "dead-letters", "aria-labelledby": "dlq-title" },
    h("h2", { id: "dlq-title" }, t("dead_letters")),
    h("p", {}, t("dead_letters_help")),
    h("button", { type: "button", class: "secondary", onclick: refresh }, t("refresh")), queues, parked);
}

// -- staff accounts -------------------------------------------------------------------------

function showPassword(out, answer) {
  out.replaceChildren(answer.temporary_password ? h("p", { role: "alert", class: "card" },
    t("temporary_password_for", { email: answer.account.email }), " ",
    h("code", { id: "temporary-password" }, answer.temporary_password), " ", t("temporary_password_once")) : "");
}

function accountRow(account, session, reload, secret) {
  const self = account.email === session.email;
  const role = h("select", { name: "role", "aria-label": t("role_of", { email: account.email }), disabled: self,
    onchange: async (event) => {
      const changed = await attempt(() => api.call("PUT", `/api/staff/accounts/${account.id}/role`, { role: event.target.value }),
        t("role_changed", { email: account.email }));
      if (!changed) event.target.value = account.role;
    } }, ROLES.map((r) => h("option", { value: r, selected: r === account.role }, t(`role_${r}`))));
  const toggle = account.disabled
    ? h("button", { type: "button", class: "secondary", onclick: async () => {
      if (await attempt(() => api.post(`/api/staff/accounts/${account.id}/enable`), t("account_enabled", { email: account.email }))) reload();
    } }, t("enable"))
    : h("button", { type: "button", class: "danger", disabled: self, onclick: async () => {
      if (await attempt(() => api.post(`/api/staff/accounts/${account.id}/disable`), t("account_disabled", { email: account.email }))) reload();
    } }, t("disable"));
  const reset = h("button", { type: "button", class: "secondary", onclick: async () => {
    const answer = await attempt(() => api.post(`/api/staff/accounts/${account.id}/password`, {}), t("password_reset", { email: account.email }));
    if (answer) showPassword(secret, answer);
  } }, t("reset_password"));
  return h("tr", { dataset: { email: account.email } },
    [account.email, role, account.disabled ? t("account_state_disabled") : t("account_state_active"),
      formatTime(account.last_login_at), h("span", { class: "row-actions" }, toggle, reset)].map((c) => h("td", {}, c)));
}

function accountsSection(session) {
  const rows = h("tbody", {});
  const secret = h("div", { id: "account-secret" });
  async function reload() {
    const answer = await attempt(() => api.get("/api/staff/accounts"));
    if (answer) rows.replaceChildren(...answer.accounts.map((a) => accountRow(a, session, reload, secret)));
  }
  const form = h("form", { class: "form", id: "account-form", "aria-labelledby": "add-account-title" },
    field("email", "email", { required: true, autocomplete: "off" }, t("email")),
    choice("role", ROLES.map((r) => [r, t(`role_${r}`)]), {}, t("role")),
    field("password", "password", { minlength: 12, autocomplete: "new-password" }, t("password_optional")),
    h("button", { type: "submit" }, t("add_account")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = formValues(form);
    if (!body.password) delete body.password;
    const answer = await attempt(() => api.post("/api/staff/accounts", body), t("account_added", { email: body.email }));
    if (answer) { form.reset(); showPassword(secret, answer); reload(); }
  });
  reload();
  return h("section", { id: "accounts", "aria-labelledby": "accounts-title" },
    h("h2", { id: "accounts-title" }, t("staff_accounts")),
    h("table", { id: "account-list" }, h("caption", { class: "visually-hidden" }, t("staff_accounts")),
      h("thead", {}, h("tr", {}, [t("email"), t("role"), t("status"), t("last_sign_in"), ""].map((x) => h("th", { scope: "col" }, x)))), rows),
    h("h3", { id: "add-account-title" }, t("add_account")), form, secret);
}

export function operationsView(session) {
  const admin = session.role === "admin";
  return h("div", {}, h("h1", {}, t("nav_operations")), mailLogSection(),
    admin ? deadLetterSection() : null, admin ? accountsSection(session) : null);
}
