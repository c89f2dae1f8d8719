// Operations for staff: the mail log of one address.
import * as api from "./api.js";
import { attempt, field, formValues, h, table } from "./dom.js";
import { formatTime, t } from "./i18n.js";

export function operationsView() {
  const out = h("div", { id: "mail-log" });
  const form = h("form", { class: "form", role: "search" }, field("email", "email", { required: true }, t("email")),
    h("button", { type: "submit" }, t("show_mail_log")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const log = await attempt(() => api.get("/api/staff/mail", formValues(form)));
    if (log) out.replaceChildren(log.deliveries.length ? table([t("when"), t("kind"), t("status"), t("attempts"), t("error")],
      log.deliveries.map((d) => [formatTime(d.created_at), d.kind, d.status, String(d.attempts), d.error || ""]), t("mail_log")) : h("p", {}, t("none")));
  });
  return h("div", {}, h("h1", {}, t("nav_operations")),
    h("section", { "aria-labelledby": "mail-title" }, h("h2", { id: "mail-title" }, t("mail_log")), form, out));
}
